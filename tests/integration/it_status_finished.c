/*
 * it_status_finished.c - CheckLongRunningCommandStatus and lrcFinished
 * (lrc-protocol.md 1.3, 1.6, 7; checks 36 and 38):
 *  - names for live and finished ids, also after the removal time;
 *    NOT_FOUND for unknown ids;
 *  - lrcFinished keeps exactly the last 100 finished commands, oldest
 *    first, with no removal time; an id answers NOT_FOUND exactly when it
 *    leaves lrcFinished.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "it_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_props[] = {"RemovalTime=2", NULL};

static void check_status(it_dev *d, const char *id, const char *want)
{
    lrc_error *err = NULL;
    char *s = lrct_check_status(d->p, id, &err);
    if (!s) {
        char *t = lrct_error_text(err);
        fail_msg("CheckLongRunningCommandStatus('%s') failed: %s", id, t);
    }
    if (strcmp(s, want) != 0)
        fail_msg("CheckLongRunningCommandStatus('%s'): expected %s, got %s", id, want, s);
    free(s);
}

static const char *const k_unknown[] = {"nonexistent", "",
                                        "1636437568.0723004_235210334802782_On",
                                        "1636437568.0723004_235210334802782_Sleep", NULL};

static char *submit(it_dev *d, const char *cmd, const lrc_tg_value *in, int64_t want_code)
{
    int64_t code = -1;
    char *id = NULL;
    assert_true(it_call(d, cmd, in, &code, &id));
    if (code != want_code)
        fail_msg("%s: expected code %lld, got %lld '%s'", cmd, (long long)want_code,
                 (long long)code, id);
    return id;
}

typedef struct empty_arg {
    const char *attr;
} empty_arg;

/* the last non-initial event of attr is an empty list */
static bool pred_last_empty(const lrct_event *const *ev, size_t n, void *arg)
{
    empty_arg *a = arg;
    for (size_t k = n; k-- > 0;) {
        if (strcmp(ev[k]->attr, a->attr) == 0)
            return !ev[k]->initial && !ev[k]->is_error && ev[k]->value.ns == 0;
    }
    return false;
}

static void test_check_status_names(void **state)
{
    it_dev *d = *state;
    assert_true(it_dev_start(d, "chkstatus", k_props));
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
    for (size_t k = 0; k_unknown[k]; k++)
        check_status(d, k_unknown[k], "NOT_FOUND");

    lrc_tg_value s_in = {.type = LRC_TG_STRING, .s = (char *)"x"};
    lrc_tg_value f_in = {.type = LRC_TG_STRING, .s = (char *)"bad"};
    lrc_tg_value l_in = {.type = LRC_TG_DOUBLE, .d = 600.0};
    char *e = submit(d, "Echo", &s_in, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, e, 10), TS_COMPLETED);
    char *f = submit(d, "Fail", &f_in, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, f, 10), TS_FAILED);
    char *s = submit(d, "Sleep", &l_in, RC_QUEUED);
    assert_true(lrct_wait_lrc_status(d->rec, s, TS_IN_PROGRESS, 5));
    char *q = submit(d, "Sleep", &l_in, RC_QUEUED);
    assert_true(lrct_wait_lrc_status(d->rec, q, TS_QUEUED, 5));

    check_status(d, e, "COMPLETED");
    check_status(d, f, "FAILED");
    check_status(d, s, "IN_PROGRESS");
    check_status(d, q, "QUEUED");

    char *a = submit(d, "Abort", NULL, RC_STARTED);
    assert_true(lrct_wait_lrc_status(d->rec, a, TS_COMPLETED, 15));
    check_status(d, s, "ABORTED");
    check_status(d, q, "ABORTED");
    check_status(d, a, "COMPLETED");

    /* after the removal time: the v1 lists are empty again ... */
    empty_arg ea = {"longRunningCommandIDsInQueue"};
    assert_true(lrct_wait(d->rec, pred_last_empty, &ea, 10));
    /* ... and the answers are unchanged (1.3: observed 1.3.2 behaviour) */
    check_status(d, e, "COMPLETED");
    check_status(d, f, "FAILED");
    check_status(d, s, "ABORTED");
    check_status(d, q, "ABORTED");
    check_status(d, a, "COMPLETED");
    for (size_t k = 0; k_unknown[k]; k++)
        check_status(d, k_unknown[k], "NOT_FOUND");
    assert_true(it_check_invariants(d));
    free(e);
    free(f);
    free(s);
    free(q);
    free(a);
}

#define N_ECHO 105

static void test_finished_last_100(void **state)
{
    it_dev *d = *state;
    assert_true(it_dev_start(d, "fin100", k_props));
    static const char *const attrs[] = {"_lrcEvent", "lrcFinished",
                                        "longRunningCommandIDsInQueue", NULL};
    assert_true(it_dev_record(d, attrs, true, false));
    char *ids[N_ECHO];
    for (int i = 0; i < N_ECHO; i++) {
        char arg[32];
        snprintf(arg, sizeof arg, "e%d", i);
        lrc_tg_value in = {.type = LRC_TG_STRING, .s = arg};
        ids[i] = submit(d, "Echo", &in, RC_QUEUED);
        assert_int_equal(it_wait_terminal(d, ids[i], 10), TS_COMPLETED);
        /* one lrcFinished push per finished command */
        assert_true(lrct_wait_events(d->rec, 0, "lrcFinished", (size_t)i + 1, 5));
        json_t *fin = it_last_json(d, "lrcFinished");
        size_t want_n = i + 1 < 100 ? (size_t)i + 1 : 100;
        int first = i + 1 - (int)want_n;
        if (json_array_size(fin) != want_n)
            fail_msg("after %d finished commands lrcFinished has %zu items, expected %zu", i + 1,
                     json_array_size(fin), want_n);
        for (size_t k = 0; k < want_n; k++) {
            const char *uid = json_string_value(json_object_get(json_array_get(fin, k), "uid"));
            if (!uid || strcmp(uid, ids[first + (int)k]) != 0)
                fail_msg("after %d finished commands lrcFinished[%zu] is %s, expected %s (oldest "
                         "first, last 100)",
                         i + 1, k, uid ? uid : "(none)", ids[first + (int)k]);
        }
        json_decref(fin);
        /* NOT_FOUND exactly when the id left lrcFinished */
        if (first > 0)
            check_status(d, ids[first - 1], "NOT_FOUND");
        check_status(d, ids[first], "COMPLETED");
    }
    for (int i = 0; i < N_ECHO; i++)
        check_status(d, ids[i], i < N_ECHO - 100 ? "NOT_FOUND" : "COMPLETED");
    /* no removal time for lrcFinished: after the v1 removal it is unchanged */
    empty_arg ea = {"longRunningCommandIDsInQueue"};
    assert_true(lrct_wait(d->rec, pred_last_empty, &ea, 15));
    lrc_error *err = NULL;
    json_t *rd = lrct_read_strings(d->p, "lrcFinished", &err);
    assert_non_null(rd);
    assert_int_equal(json_array_size(rd), 100);
    for (size_t k = 0; k < 100; k++) {
        json_t *it = lrct_json_parse(json_string_value(json_array_get(rd, k)));
        assert_non_null(it);
        assert_string_equal(json_string_value(json_object_get(it, "uid")),
                            ids[N_ECHO - 100 + (int)k]);
        char arg[32];
        snprintf(arg, sizeof arg, "e%d", N_ECHO - 100 + (int)k);
        json_t *want = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[i,s]}", "uid",
                                 ids[N_ECHO - 100 + (int)k], "name", "Echo", "status",
                                 "COMPLETED", "submitted_time", "<time>", "started_time",
                                 "<time>", "finished_time", "<time>", "result", 0, arg);
        if (!lm_match(want, it)) {
            char *g = lrct_json_str(it);
            fail_msg("lrcFinished item %zu: %s", k, g);
        }
        json_decref(want);
        json_decref(it);
    }
    json_decref(rd);
    check_status(d, ids[N_ECHO - 100], "COMPLETED");
    check_status(d, ids[N_ECHO - 101], "NOT_FOUND");
    assert_true(it_check_invariants(d));
    for (int i = 0; i < N_ECHO; i++)
        free(ids[i]);
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check_status_names, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_finished_last_100, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
