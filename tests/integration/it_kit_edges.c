/*
 * it_kit_edges.c - the server kit at its edges (issue 10, items 8-13),
 * against the demo device over the real Tango database:
 *  - an Abort still draining when Init arrives ends COMPLETED, after the
 *    task it aborted, before the device goes (8);
 *  - a failure message over the 64 KiB result cap is cut, with a marker (9);
 *  - Aborts during an Abort join it: one ID, lrcExecuting stays readable
 *    and within its size (10);
 *  - lrc_device_add_command refuses built-in and duplicate names (12);
 *  - lrc_server_main exits 0 or 1, with a usage line naming the program
 *    and a message for an unregistered instance or a database that cannot
 *    be reached (13).
 */
#define _GNU_SOURCE /* strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "it_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAILED_PREFIX "Unhandled exception during execution: "

static void pause_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static char *submit(it_dev *d, const char *cmd, double secs)
{
    int64_t code = -1;
    char *id = NULL;
    assert_true(it_call_double(d, cmd, secs, &code, &id));
    if (code != RC_QUEUED)
        fail_msg("%s: expected QUEUED (2), got %lld '%s'", cmd, (long long)code, id);
    return id;
}

/* The result of id's final _lrcEvent (new reference). */
static json_t *final_result(it_dev *d, const char *id, int status)
{
    long k = lrct_find_lrc_status(d->rec, 0, id, status);
    assert_true(k >= 0);
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, (size_t)k, &n);
    json_t *o = NULL;
    assert_true(n > 0 && lrct_lrc_event(v[0], id, &o));
    free(v);
    json_t *res = json_incref(json_object_get(o, "result"));
    json_decref(o);
    return res;
}

/* 8: Sleep 10 with AbortLatency 3, Abort, Init 0.5 s later. */
static void test_abort_at_init(void **state)
{
    it_dev *d = *state;
    static const char *const props[] = {"AbortLatency=3", NULL};
    assert_true(it_dev_start(d, "edgeinit", props));
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
    char *sleep = submit(d, "Sleep", 10);
    assert_true(lrct_wait_lrc_status(d->rec, sleep, TS_IN_PROGRESS, 5));
    int64_t code = -1;
    char *abort = NULL;
    assert_true(it_call_void(d, "Abort", &code, &abort));
    assert_int_equal(code, RC_STARTED);
    pause_s(0.5);
    lrc_tg_value out = {0};
    lrc_error *err = NULL;
    int rc = lrc_tg_command_inout(d->p, "Init", NULL, &out, &err);
    if (rc != LRC_OK) /* the proxy may time out while Init waits for the task */
        fprintf(stderr, "Init: %s (carrying on)\n", lrc_error_message(err));
    lrc_error_free(err);
    lrc_tg_value_clear(&out);

    assert_true(lrct_wait_lrc_status(d->rec, abort, TS_COMPLETED, 10));
    assert_true(lrct_wait_lrc_status(d->rec, sleep, TS_ABORTED, 1));
    long fs = lrct_find_lrc_status(d->rec, 0, sleep, TS_ABORTED);
    long fa = lrct_find_lrc_status(d->rec, 0, abort, TS_COMPLETED);
    assert_true(fs >= 0 && fa > fs);
    json_t *res = final_result(d, abort, TS_COMPLETED);
    json_t *want = json_pack("[i,s]", 0, "Abort completed OK");
    assert_true(json_equal(res, want));
    json_decref(res);
    json_decref(want);
    /* the new incarnation serves */
    bool ok = false;
    for (int k = 0; k < 100 && !ok; k++) {
        char *id = NULL;
        if (it_call_str(d, "Echo", "after init", &code, &id) && code == RC_QUEUED)
            ok = true;
        else
            pause_s(0.1);
        free(id);
    }
    assert_true(ok);
    free(sleep);
    free(abort);
}

/* 9: one Fail message, checked capped. */
static void fail_capped(it_dev *d, const char *msg)
{
    int64_t code = -1;
    char *id = NULL;
    size_t mark = lrct_recorder_count(d->rec);
    assert_true(it_call_str(d, "Fail", msg, &code, &id));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, id, 15), TS_FAILED);
    json_t *res = final_result(d, id, TS_FAILED);
    char *text = json_dumps(res, JSON_COMPACT | JSON_ENSURE_ASCII); /* as json.dumps */
    const char *m = json_string_value(json_array_get(res, 1));
    assert_non_null(m);
    /* json_dumps(JSON_COMPACT) writes "[3,\"...\"]": ", " adds one byte */
    size_t wire = strlen(text) + 1;
    print_message("Fail of %zu bytes -> result of %zu bytes of JSON\n", strlen(msg), wire);
    if (wire > 65536)
        fail_msg("result of a Fail of %zu bytes: %zu bytes of JSON (cap 65536)", strlen(msg), wire);
    assert_int_equal(json_integer_value(json_array_get(res, 0)), 3);
    assert_memory_equal(m, FAILED_PREFIX, strlen(FAILED_PREFIX));
    assert_memory_equal(m + strlen(FAILED_PREFIX), msg, 1000);
    if (!strstr(m, "[truncated: "))
        fail_msg("no truncation marker at the end: ...%s", m + strlen(m) - 60);
    assert_true(it_expect_lifecycle(d, mark, id, "Fail", TS_FAILED, res, NULL));
    free(text);
    json_decref(res);
    free(id);
}

static void test_fail_message_capped(void **state)
{
    it_dev *d = *state;
    assert_true(it_dev_start(d, "edgefail", NULL));
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
    char *big = malloc(120001);
    memset(big, 'x', 120000);
    big[120000] = '\0';
    fail_capped(d, big);
    /* non-ASCII: 6 bytes of JSON per character */
    for (size_t k = 0; k < 40000; k++)
        memcpy(big + 2 * k, "\xc3\xa9", 2);
    big[80000] = '\0';
    fail_capped(d, big);
    free(big);
    assert_true(it_sentinel(d, lrct_recorder_count(d->rec), "small again"));
    assert_true(it_check_invariants(d));
}

/* 10: ten Aborts against a task that winds down for 3 s. */
static void test_abort_storm(void **state)
{
    it_dev *d = *state;
    static const char *const props[] = {"AbortLatency=3", NULL};
    assert_true(it_dev_start(d, "edgestorm", props));
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
    char *sleep = submit(d, "Sleep", 10);
    assert_true(lrct_wait_lrc_status(d->rec, sleep, TS_IN_PROGRESS, 5));
    char *first = NULL;
    for (int k = 0; k < 10; k++) {
        int64_t code = -1;
        char *a = NULL;
        if (!first) {
            assert_true(it_call_void(d, "Abort", &code, &a));
        } else { /* not it_call_void: it refuses a repeated ID */
            lrc_error *err = NULL;
            if (lrct_lrc_call_void(d->p, "Abort", &code, &a, &err) != LRC_OK)
                fail_msg("Abort %d: %s", k + 1, lrc_error_message(err));
        }
        assert_int_equal(code, RC_STARTED);
        if (!first)
            first = a;
        else {
            assert_string_equal(a, first); /* joined */
            free(a);
        }
        lrc_error *err = NULL;
        json_t *ex = lrct_read_strings(d->p, "lrcExecuting", &err);
        if (!ex)
            fail_msg("read lrcExecuting after Abort %d: %s", k + 1, lrc_error_message(err));
        assert_true(json_array_size(ex) <= 2);
        json_decref(ex);
        json_t *ip = lrct_read_strings(d->p, "longRunningCommandInProgress", &err);
        if (!ip)
            fail_msg("read longRunningCommandInProgress: %s", lrc_error_message(err));
        assert_true(json_array_size(ip) <= 2);
        json_decref(ip);
    }
    assert_true(lrct_wait_lrc_status(d->rec, first, TS_COMPLETED, 10));
    long fs = lrct_find_lrc_status(d->rec, 0, sleep, TS_ABORTED);
    long fa = lrct_find_lrc_status(d->rec, 0, first, TS_COMPLETED);
    assert_true(fs >= 0 && fa > fs);
    /* every lrcExecuting pushed stayed within MaxExecutingTasks + 1 */
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, 0, &n);
    for (size_t k = 0; k < n; k++)
        if (strcmp(v[k]->attr, "lrcExecuting") == 0)
            assert_true(v[k]->value.ns <= 2);
    free(v);
    int64_t code = -1;
    char *echo = NULL;
    assert_true(it_call_str(d, "Echo", "after the storm", &code, &echo));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, echo, 10), TS_COMPLETED);
    free(echo);
    assert_true(it_check_invariants(d));
    free(sleep);
    free(first);
}

/* 12: a device whose EchoAlias the kit refuses is FAULT, saying why. */
static void expect_refused(it_dev *d, const char *tag, const char *alias, const char *why)
{
    char prop[64];
    snprintf(prop, sizeof prop, "EchoAlias=%s", alias);
    char *st = it_dev_start_faulty(d, tag, prop);
    assert_non_null(st);
    print_message("EchoAlias=%s -> %s\n", alias, st);
    if (!strcasestr(st, why) || !strstr(st, alias))
        fail_msg("status of a device adding \"%s\": %s", alias, st);
    free(st);
}

static void test_builtin_names(void **state)
{
    it_dev *d = *state;
    expect_refused(d, "edgeabort", "abort", "built-in");
    /* Abort is still the kit's, not an Echo: on a device whose init
     * failed it refuses to work, saying so */
    int64_t code = -1;
    char *text = NULL;
    lrc_error *err = NULL;
    assert_int_not_equal(lrct_lrc_call_void(d->p, "Abort", &code, &text, &err), LRC_OK);
    assert_true(lrct_error_mentions(err, "Abort: the device is shutting down"));
    lrc_error_free(err);
    free(text);
}

static void test_duplicate_names(void **state)
{
    it_dev *d = *state;
    /* same Tango signature as Echo: Tango itself would replace it silently */
    expect_refused(d, "edgedup", "ECHO", "already");
}

static void test_alias_accepted(void **state)
{
    it_dev *d = *state;
    static const char *const props[] = {"EchoAlias=Echo2", NULL};
    assert_true(it_dev_start(d, "edgealias", props));
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
    lrc_error *err = NULL;
    assert_int_equal(lrct_state(d->p, &err), LRC_TG_OFF);
    int64_t code = -1;
    char *id = NULL;
    assert_true(it_call_str(d, "Echo2", "hi", &code, &id));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, id, 10), TS_COMPLETED);
    free(id);
}

/* 13: runs the demo device through sh, stderr captured with stdout. */
static int run_demo(const char *env, const char *args, char **out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s exec '%s' %s 2>&1", env, g_exe, args);
    const char *const argv[] = {"/bin/sh", "-c", cmd, NULL};
    int rc = lrct_run(argv, 60000, out);
    print_message("%s %s -> %d: %s", env, args, rc, *out ? *out : "");
    return rc;
}

static void test_server_main_exit(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(run_demo("", "", &out), 1);
    assert_non_null(strstr(out, "usage: "));
    assert_non_null(strstr(out, "lrc-demo-device INSTANCE"));
    assert_null(strstr(out, "lrc_tg_server_run"));
    free(out);

    char *inst = lrct_unique_name("unregistered");
    out = NULL;
    assert_int_equal(run_demo("", inst, &out), 1);
    assert_non_null(strstr(out, "not defined"));
    assert_non_null(strstr(out, inst));
    free(out);

    out = NULL;
    assert_int_equal(run_demo("TANGO_HOST=127.0.0.1:1", inst, &out), 1);
    assert_non_null(strcasestr(out, "database"));
    free(out);
    free(inst);
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_abort_at_init, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_fail_message_capped, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_abort_storm, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_builtin_names, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_names, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_alias_accepted, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_server_main_exit, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
