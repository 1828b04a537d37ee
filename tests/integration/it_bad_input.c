/*
 * it_bad_input.c - bad input to the demo device (lrc-protocol.md 1.2, 7):
 * wrong argument type, unknown command, invalid Sleep durations (negative,
 * NaN, infinite, > 86400 s: DevFailed mentioning the duration, no ID,
 * nothing pushed), results over 64 KiB (FAILED [3, "Unhandled exception
 * during execution: <message mentioning the size>"]), a 1 MiB Echo; after
 * each, the device still serves (exact Echo lifecycle).
 */
#define _GNU_SOURCE /* strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "it_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_props[] = {"RemovalTime=600", NULL};

static void start(it_dev *d, const char *tag)
{
    assert_true(it_dev_start(d, tag, k_props));
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
}

/* A call that must fail with a Tango error; returns the error. */
static lrc_error *expect_tango_error(it_dev *d, const char *cmd, const lrc_tg_value *in)
{
    int64_t code = -1;
    char *text = NULL;
    lrc_error *err = NULL;
    int rc = lrct_lrc_call(d->p, cmd, in, &code, &text, &err);
    if (rc == LRC_OK)
        fail_msg("%s returned [%lld, \"%s\"] instead of raising a Tango error", cmd,
                 (long long)code, text);
    char *t = lrct_error_text(err);
    print_message("%s -> rc %d: %s\n", cmd, rc, t);
    free(t);
    if (rc != LRC_ETANGO && rc != LRC_ENOTFOUND && rc != LRC_EINVAL)
        fail_msg("%s: unexpected failure kind rc=%d", cmd, rc);
    assert_non_null(err);
    return err;
}

static void test_wrong_type_and_unknown(void **state)
{
    it_dev *d = *state;
    start(d, "badtype");
    size_t mark = lrct_recorder_count(d->rec);

    lrc_tg_value s = {.type = LRC_TG_STRING, .s = (char *)"1.0"};
    lrc_error *e = expect_tango_error(d, "Sleep", &s);
    if (lrc_error_code(e) == LRC_ETANGO && !lrct_error_has_reason(e, "API_IncompatibleCmdArgumentType"))
        print_message("note: reason is not API_IncompatibleCmdArgumentType\n");
    lrc_error_free(e);

    lrc_tg_value dbl = {.type = LRC_TG_DOUBLE, .d = 1.0};
    e = expect_tango_error(d, "Echo", &dbl);
    lrc_error_free(e);

    e = expect_tango_error(d, "NoSuchCommand", NULL);
    if (lrc_error_code(e) == LRC_ETANGO || lrc_error_code(e) == LRC_ENOTFOUND)
        assert_true(lrct_error_has_reason(e, "API_CommandNotFound"));
    lrc_error_free(e);

    /* Sleep without argument */
    e = expect_tango_error(d, "Sleep", NULL);
    lrc_error_free(e);

    assert_true(it_sentinel(d, mark, "still serving"));
    assert_true(it_check_invariants(d));
}

static void test_sleep_durations(void **state)
{
    it_dev *d = *state;
    start(d, "baddur");
    const double bad[] = {-1.0, -1e-9, NAN, INFINITY, -INFINITY, 86400.001, 1e300};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        size_t mark = lrct_recorder_count(d->rec);
        lrc_tg_value in = {.type = LRC_TG_DOUBLE, .d = bad[k]};
        int64_t code = -1;
        char *text = NULL;
        lrc_error *err = NULL;
        int rc = lrct_lrc_call(d->p, "Sleep", &in, &code, &text, &err);
        if (rc == LRC_OK)
            fail_msg("Sleep(%g) returned [%lld, \"%s\"]; expected a DevFailed (no ID)", bad[k],
                     (long long)code, text);
        assert_int_equal(rc, LRC_ETANGO);
        char *t = lrct_error_text(err);
        print_message("Sleep(%g) -> %s\n", bad[k], t);
        if (!lrct_error_mentions(err, "duration"))
            fail_msg("Sleep(%g): the error does not mention the duration: %s", bad[k], t);
        free(t);
        lrc_error_free(err);
        /* nothing pushed, device still serves */
        assert_true(it_sentinel(d, mark, "after bad duration"));
    }
    /* boundaries that are valid: 0 runs to completion */
    size_t mark = lrct_recorder_count(d->rec);
    int64_t code = -1;
    char *id = NULL;
    assert_true(it_call_double(d, "Sleep", 0.0, &code, &id));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, id, 10), TS_COMPLETED);
    json_t *res = json_pack("[i,s]", 0, "Sleep done");
    assert_true(it_expect_lifecycle(d, mark, id, "Sleep", TS_COMPLETED, res, NULL));
    json_decref(res);
    free(id);
    /* 86400 s is accepted (only > 86400 is invalid); abort it */
    assert_true(it_call_double(d, "Sleep", 86400.0, &code, &id));
    assert_int_equal(code, RC_QUEUED);
    assert_true(lrct_wait_lrc_status(d->rec, id, TS_IN_PROGRESS, 5));
    char *a = NULL;
    assert_true(it_call_void(d, "Abort", &code, &a));
    assert_int_equal(code, RC_STARTED);
    assert_int_equal(it_wait_terminal(d, id, 10), TS_ABORTED);
    assert_true(lrct_wait_lrc_status(d->rec, a, TS_COMPLETED, 10));
    free(a);
    free(id);
    assert_true(it_check_invariants(d));
}

static char *big_string(size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t k = 0; k < n; k++)
        s[k] = (char)('a' + k % 26);
    s[n] = 0;
    return s;
}

/* Echo whose result JSON is over 64 KiB: FAILED with the kit's message */
static void echo_too_big(it_dev *d, size_t len)
{
    char *arg = big_string(len);
    size_t mark = lrct_recorder_count(d->rec);
    int64_t code = -1;
    char *id = NULL;
    bool ok = it_call_str(d, "Echo", arg, &code, &id);
    free(arg);
    assert_true(ok);
    if (code != RC_QUEUED)
        fail_msg("Echo of %zu bytes: expected QUEUED then FAILED, got [%lld, \"%.200s\"]", len,
                 (long long)code, id);
    assert_int_equal(it_wait_terminal(d, id, 15), TS_FAILED);
    /* the observed result: [3, "Unhandled exception during execution: ..."] */
    json_t *o = NULL;
    long k = lrct_find_lrc_status(d->rec, mark, id, TS_FAILED);
    assert_true(k >= 0);
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, (size_t)k, &n);
    assert_true(lrct_lrc_event(v[0], id, &o));
    free(v);
    json_t *res = json_object_get(o, "result");
    const char *prefix = "Unhandled exception during execution: ";
    const char *msg = json_string_value(json_array_get(res, 1));
    if (!json_is_array(res) || json_array_size(res) != 2 ||
        json_integer_value(json_array_get(res, 0)) != 3 || !msg ||
        strncmp(msg, prefix, strlen(prefix)) != 0 || strlen(msg) <= strlen(prefix)) {
        char *g = lrct_json_str(o);
        fail_msg("Echo of %zu bytes: final payload %.300s", len, g);
    }
    print_message("Echo of %zu bytes -> %s\n", len, msg);
    const char *m = msg + strlen(prefix);
    if (!(strstr(m, "64") || strstr(m, "65536") || strcasestr(m, "KiB") ||
          strcasestr(m, "byte") || strcasestr(m, "size")))
        fail_msg("the FAILED message does not mention the size: %s", msg);
    assert_true(it_expect_lifecycle(d, mark, id, "Echo", TS_FAILED, res, NULL));
    json_decref(o);
    free(id);
}

static void test_big_results(void **state)
{
    it_dev *d = *state;
    start(d, "badbig");
    /* a result JSON just below 64 KiB completes */
    {
        char *arg = big_string(65000);
        size_t mark = lrct_recorder_count(d->rec);
        int64_t code = -1;
        char *id = NULL;
        assert_true(it_call_str(d, "Echo", arg, &code, &id));
        assert_int_equal(code, RC_QUEUED);
        assert_int_equal(it_wait_terminal(d, id, 10), TS_COMPLETED);
        json_t *res = json_pack("[i,s]", 0, arg);
        assert_true(it_expect_lifecycle(d, mark, id, "Echo", TS_COMPLETED, res, NULL));
        json_decref(res);
        free(arg);
        free(id);
    }
    echo_too_big(d, 65536);
    echo_too_big(d, 1024 * 1024);
    assert_true(it_sentinel(d, lrct_recorder_count(d->rec), "small again"));
    assert_true(it_check_invariants(d));
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wrong_type_and_unknown, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_sleep_durations, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_big_results, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
