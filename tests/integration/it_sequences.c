/*
 * it_sequences.c - exact wire sequences of Echo, Sleep, Fail and Abort
 * (lrc-protocol.md 1.3-1.5, 5.2-5.3, 7; checks 37, 42, 43): _lrcEvent
 * payloads, the v1 attributes with their relative push order, and the
 * lrcQueue/lrcExecuting/lrcFinished items. One fresh demo server per test,
 * RemovalTime=2.
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

static void start(it_dev *d, const char *tag)
{
    assert_true(it_dev_start(d, tag, k_props));
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
}

/* Initial values (section 1.3): empty lists, result ("", ""), "None",
 * _lrcEvent empty. Only checked for events marked initial. */
static void check_initial_values(it_dev *d)
{
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, 0, &n);
    size_t seen = 0;
    for (size_t k = 0; k < n; k++) {
        if (!v[k]->initial)
            continue;
        seen++;
        json_t *j = lrct_event_json(v[k]);
        json_t *want;
        if (strcmp(v[k]->attr, "longRunningCommandResult") == 0)
            want = json_pack("[s,s]", "", "");
        else if (strcmp(v[k]->attr, "commandedState") == 0)
            want = json_string("None");
        else
            want = json_array();
        if (!json_equal(j, want)) {
            char *s = lrct_json_str(j), *w = lrct_json_str(want);
            fprintf(stderr, "initial value of %s: expected %s, got %s\n", v[k]->attr, w, s);
            free(s);
            free(w);
            fail_msg("wrong initial value of %s", v[k]->attr);
        }
        json_decref(j);
        json_decref(want);
    }
    free(v);
    print_message("initial events recorded: %zu of %d subscriptions\n", seen, 11);
}

static double lrc_event_time(it_dev *d, const char *id, int status)
{
    long k = lrct_find_lrc_status(d->rec, 0, id, status);
    if (k < 0)
        return -1;
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, (size_t)k, &n);
    double t = n ? v[0]->t : -1;
    free(v);
    return t;
}

/* Removal after RemovalTime=2: the removal pushes come ~2 s after the
 * final event (section 1.3 removal; section 7 re-push of the status list). */
static void expect_removal_timed(it_dev *d, size_t from, const char *id, int final_status)
{
    double t_final = lrc_event_time(d, id, final_status);
    assert_true(t_final > 0);
    size_t next = 0;
    assert_true(it_expect_removal(d, from, id, &next));
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, from, &n);
    assert_true(n > 0);
    double dt = v[0]->t - t_final;
    free(v);
    print_message("removal of %s after %.2f s (RemovalTime=2)\n", id, dt);
    assert_true(dt >= 1.7);
    assert_true(dt <= 4.0);
}

static void check_check_status(it_dev *d, const char *id, const char *want)
{
    lrc_error *err = NULL;
    char *s = lrct_check_status(d->p, id, &err);
    if (!s) {
        char *t = lrct_error_text(err);
        lrc_error_free(err);
        fail_msg("CheckLongRunningCommandStatus(%s) failed: %s", id, t);
    }
    if (strcmp(s, want) != 0)
        fail_msg("CheckLongRunningCommandStatus(%s): expected %s, got %s", id, want, s);
    free(s);
}

/* A read of an lrc list attribute returns what was last pushed. */
static void check_read_matches_last(it_dev *d, const char *attr)
{
    lrc_error *err = NULL;
    json_t *rd = lrct_read_strings(d->p, attr, &err);
    assert_non_null(rd);
    json_t *last = it_last_json(d, attr);
    assert_non_null(last);
    /* normalise the read like an event */
    lrct_event fake;
    memset(&fake, 0, sizeof fake);
    fake.attr = (char *)attr;
    fake.value.type = LRC_TG_STRING_ARRAY;
    fake.value.ns = json_array_size(rd);
    fake.value.sv = calloc(fake.value.ns + 1, sizeof(char *));
    for (size_t k = 0; k < fake.value.ns; k++)
        fake.value.sv[k] = (char *)json_string_value(json_array_get(rd, k));
    json_t *rj = lrct_event_json(&fake);
    free(fake.value.sv);
    if (!json_equal(rj, last)) {
        char *a = lrct_json_str(rj), *b = lrct_json_str(last);
        fprintf(stderr, "read %s = %s\nlast event = %s\n", attr, a, b);
        free(a);
        free(b);
        fail_msg("read of %s differs from its last pushed value", attr);
    }
    json_decref(rj);
    json_decref(last);
    json_decref(rd);
}

static void run_echo(it_dev *d, const char *arg)
{
    size_t mark = lrct_recorder_count(d->rec);
    int64_t code = -1;
    char *id = NULL;
    assert_true(it_call_str(d, "Echo", arg, &code, &id));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, id, 10), TS_COMPLETED);
    json_t *res = json_pack("[i,s]", 0, arg);
    size_t next = 0;
    assert_true(it_expect_lifecycle(d, mark, id, "Echo", TS_COMPLETED, res, &next));
    json_decref(res);
    check_read_matches_last(d, "lrcFinished");
    check_read_matches_last(d, "lrcQueue");
    check_read_matches_last(d, "lrcExecuting");
    expect_removal_timed(d, next, id, TS_COMPLETED);
    check_check_status(d, id, "COMPLETED");
    free(id);
}

static void test_echo_sequence(void **state)
{
    it_dev *d = *state;
    start(d, "seqecho");
    check_initial_values(d);
    run_echo(d, "hello");
    /* JSON escaping of the result: quotes, backslash, control chars, DEL,
     * non-ASCII (UTF-8 in our API, Latin-1 on the wire: up to U+00FF) */
    run_echo(d, "he said \"hi\"\\ \n\ttab \x7f \xc3\xbcnic\xc3\xb6" "de \xc3\xbf");
    /* A character beyond Latin-1 (U+20AC) cannot be sent at all. */
    lrc_tg_value in = {.type = LRC_TG_STRING, .s = (char *)"\xe2\x82\xac"}, out = {0};
    lrc_error *err = NULL;
    assert_int_equal(lrc_tg_command_inout(d->p, "Echo", &in, &out, &err), LRC_EINVAL);
    assert_non_null(strstr(lrc_error_message(err), "U+20AC"));
    lrc_error_free(err);
    run_echo(d, "");
    assert_true(it_check_invariants(d));
}

static void test_sleep_sequence(void **state)
{
    it_dev *d = *state;
    start(d, "seqsleep");
    size_t mark = lrct_recorder_count(d->rec);
    int64_t code = -1;
    char *id = NULL;
    assert_true(it_call_double(d, "Sleep", 0.5, &code, &id));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, id, 10), TS_COMPLETED);
    /* progress reported at 10, 20, ..., 100 */
    long prog[64];
    size_t np = it_observed_progress(d, id, prog, 64);
    assert_int_equal(np, 10);
    for (size_t k = 0; k < np; k++)
        assert_int_equal(prog[k], (long)(k + 1) * 10);
    json_t *res = json_pack("[i,s]", 0, "Sleep done");
    size_t next = 0;
    assert_true(it_expect_lifecycle(d, mark, id, "Sleep", TS_COMPLETED, res, &next));
    json_decref(res);
    /* pushed at once, not batched (section 7): the events are spread over
     * the 0.5 s the command runs */
    double t_run = lrc_event_time(d, id, TS_IN_PROGRESS);
    double t_done = lrc_event_time(d, id, TS_COMPLETED);
    print_message("IN_PROGRESS -> COMPLETED: %.3f s\n", t_done - t_run);
    assert_true(t_done - t_run >= 0.45);
    {
        size_t n = 0;
        const lrct_event **v = lrct_recorder_snapshot(d->rec, mark, &n);
        double t10 = -1, t100 = -1;
        for (size_t k = 0; k < n; k++) {
            json_t *o = NULL;
            if (lrct_lrc_event(v[k], id, &o)) {
                json_t *p = json_object_get(o, "progress");
                if (p && json_integer_value(p) == 10)
                    t10 = v[k]->t;
                if (p && json_integer_value(p) == 100)
                    t100 = v[k]->t;
                json_decref(o);
            }
        }
        free(v);
        print_message("progress 10 -> 100: %.3f s\n", t100 - t10);
        assert_true(t10 > 0 && t100 > 0);
        assert_true(t100 - t10 >= 0.3);
    }
    expect_removal_timed(d, next, id, TS_COMPLETED);
    check_check_status(d, id, "COMPLETED");
    free(id);
    assert_true(it_check_invariants(d));
}

static void test_fail_sequence(void **state)
{
    it_dev *d = *state;
    start(d, "seqfail");
    size_t mark = lrct_recorder_count(d->rec);
    int64_t code = -1;
    char *id = NULL;
    assert_true(it_call_str(d, "Fail", "boom", &code, &id));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, id, 10), TS_FAILED);
    json_t *res = json_pack("[i,s]", 3, "Unhandled exception during execution: boom");
    size_t next = 0;
    assert_true(it_expect_lifecycle(d, mark, id, "Fail", TS_FAILED, res, &next));
    json_decref(res);
    expect_removal_timed(d, next, id, TS_FAILED);
    check_check_status(d, id, "FAILED");
    free(id);
    assert_true(it_check_invariants(d));
}

/* _lrcEvent payloads of id at index >= from, as JSON texts (compact). */
static json_t *lrc_payloads(it_dev *d, size_t from, const char *id, json_t **idx)
{
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, from, &n);
    json_t *arr = json_array();
    *idx = json_array();
    for (size_t k = 0; k < n; k++) {
        json_t *o = NULL;
        if (lrct_lrc_event(v[k], id, &o)) {
            json_array_append_new(arr, o);
            json_array_append_new(*idx, json_integer((json_int_t)v[k]->seq));
        }
    }
    free(v);
    return arr;
}

static void expect_payloads(it_dev *d, size_t from, const char *id, const char *want_text,
                            bool allow_leading_progress, long *final_idx)
{
    json_t *idx = NULL;
    json_t *got = lrc_payloads(d, from, id, &idx);
    /* drop leading progress-only payloads if allowed */
    if (allow_leading_progress) {
        while (json_array_size(got) > 1) {
            json_t *o = json_array_get(got, 0);
            if (json_object_size(o) == 1 && json_object_get(o, "progress")) {
                json_array_remove(got, 0);
                json_array_remove(idx, 0);
            } else {
                break;
            }
        }
    }
    json_t *want = lrct_json_parse(want_text);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *g = lrct_json_str(got);
        fail_msg("_lrcEvent payloads of %s:\n  expected %s\n  got      %s", id, want_text, g);
    }
    *final_idx = (long)json_integer_value(json_array_get(idx, json_array_size(idx) - 1));
    json_decref(want);
    json_decref(got);
    json_decref(idx);
}

/* First index >= from of an event of attr whose normalised value makes
 * pred true, or -1. */
typedef bool (*val_pred)(const json_t *v, const char *id);

static bool status_has(const json_t *v, const char *id, const char *name)
{
    for (size_t k = 0; k + 1 < json_array_size(v); k += 2)
        if (strcmp(json_string_value(json_array_get(v, k)), id) == 0 &&
            strcmp(json_string_value(json_array_get(v, k + 1)), name) == 0)
            return true;
    return false;
}

static long first_event(it_dev *d, size_t from, const char *attr, const char *id,
                        const char *status_name /* NULL: result attr for id */)
{
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, from, &n);
    long found = -1;
    for (size_t k = 0; k < n && found < 0; k++) {
        if (v[k]->initial || strcmp(v[k]->attr, attr) != 0)
            continue;
        json_t *j = lrct_event_json(v[k]);
        if (status_name) {
            if (status_has(j, id, status_name))
                found = (long)v[k]->seq;
        } else if (json_array_size(j) == 2 &&
                   strcmp(json_string_value(json_array_get(j, 0)), id) == 0) {
            found = (long)v[k]->seq;
        }
        json_decref(j);
    }
    free(v);
    return found;
}

static void test_abort_sequence(void **state)
{
    it_dev *d = *state;
    start(d, "seqabort");
    int64_t code = -1;
    char *s1 = NULL, *s2 = NULL, *e3 = NULL, *a = NULL;
    assert_true(it_call_double(d, "Sleep", 30.0, &code, &s1));
    assert_int_equal(code, RC_QUEUED);
    assert_true(lrct_wait_lrc_status(d->rec, s1, TS_IN_PROGRESS, 5));
    assert_true(it_call_double(d, "Sleep", 30.0, &code, &s2));
    assert_int_equal(code, RC_QUEUED);
    assert_true(it_call_str(d, "Echo", "queued", &code, &e3));
    assert_int_equal(code, RC_QUEUED);
    assert_true(lrct_wait_lrc_status(d->rec, e3, TS_QUEUED, 5));
    size_t mark = lrct_recorder_count(d->rec);
    double t0 = lrct_now_mono();
    assert_true(it_call_void(d, "Abort", &code, &a));
    assert_int_equal(code, RC_STARTED); /* [[1],[id]] (1.6) */
    assert_true(lrct_wait_lrc_status(d->rec, a, TS_COMPLETED, 10));
    print_message("Abort completed %.3f s after the call\n", lrct_now_mono() - t0);

    long f_s1, f_s2, f_e3, f_a;
    const char *aborted = "[{\"status\": 3, \"result\": [7, \"Command has been aborted\"]}]";
    expect_payloads(d, mark, s2, aborted, false, &f_s2);
    expect_payloads(d, mark, e3, aborted, false, &f_e3);
    expect_payloads(d, mark, s1, aborted, true, &f_s1);
    expect_payloads(d, mark, a,
                    "[{\"status\": 0}, {\"status\": 2},"
                    " {\"status\": 5, \"result\": [0, \"Abort completed OK\"]}]",
                    false, &f_a);
    /* Abort's COMPLETED comes last (section 7) */
    assert_true(f_a > f_s1 && f_a > f_s2 && f_a > f_e3);

    /* v1 order per update (1.5): result attr, then status attr, then
     * _lrcEvent; lrcFinished after _lrcEvent */
    struct {
        const char *id;
        long fin;
        const char *name;
    } x[4] = {{s1, f_s1, "ABORTED"}, {s2, f_s2, "ABORTED"}, {e3, f_e3, "ABORTED"},
              {a, f_a, "COMPLETED"}};
    for (int k = 0; k < 4; k++) {
        long r = first_event(d, mark, "longRunningCommandResult", x[k].id, NULL);
        long s = first_event(d, mark, "longRunningCommandStatus", x[k].id, x[k].name);
        print_message("%s: result #%ld status #%ld _lrcEvent #%ld\n", x[k].id, r, s, x[k].fin);
        assert_true(r >= 0 && s >= 0);
        assert_true(r < s);
        assert_true(s < x[k].fin);
    }
    /* v1 result attribute carries the JSON-encoded results */
    {
        size_t n = 0;
        const lrct_event **v = lrct_recorder_snapshot(d->rec, mark, &n);
        for (size_t k = 0; k < n; k++) {
            if (strcmp(v[k]->attr, "longRunningCommandResult") != 0)
                continue;
            json_t *j = lrct_event_json(v[k]);
            const char *rid = json_string_value(json_array_get(j, 0));
            json_t *want = strcmp(rid, a) == 0 ? json_pack("[s,[i,s]]", rid, 0, "Abort completed OK")
                                               : json_pack("[s,[i,s]]", rid, 7,
                                                           "Command has been aborted");
            if (!json_equal(j, want)) {
                char *g = lrct_json_str(j);
                fail_msg("longRunningCommandResult event %s", g);
            }
            json_decref(want);
            json_decref(j);
        }
        free(v);
    }
    /* Abort shows in longRunningCommandInProgress while IN_PROGRESS */
    {
        size_t n = 0;
        const lrct_event **v = lrct_recorder_snapshot(d->rec, mark, &n);
        bool seen = false;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(v[k]->attr, "longRunningCommandInProgress") != 0)
                continue;
            for (size_t i = 0; i < v[k]->value.ns; i++)
                if (strcmp(v[k]->value.sv[i], "Abort") == 0)
                    seen = true;
        }
        free(v);
        assert_true(seen);
    }
    /* final lists: finished items in finish order, exact keys (1.3 + 7) */
    {
        struct {
            const char *id;
            long fin;
        } order[3] = {{s1, f_s1}, {s2, f_s2}, {e3, f_e3}};
        for (int i = 0; i < 3; i++)
            for (int j = i + 1; j < 3; j++)
                if (order[j].fin < order[i].fin) {
                    const char *ti = order[i].id;
                    long tf = order[i].fin;
                    order[i] = order[j];
                    order[j].id = ti;
                    order[j].fin = tf;
                }
        json_t *want = json_array();
        json_t *want_status = json_array();
        for (int i = 0; i < 3; i++) {
            bool started = order[i].id == s1;
            json_t *it = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[i,s]}", "uid", order[i].id, "name",
                                   lrct_id_name(order[i].id), "status", "ABORTED",
                                   "submitted_time", "<time>", "finished_time", "<time>",
                                   "result", 7, "Command has been aborted");
            if (started)
                json_object_set_new(it, "started_time", json_string("<time>"));
            json_array_append_new(want, it);
            json_array_append_new(want_status, json_string(order[i].id));
            json_array_append_new(want_status, json_string("ABORTED"));
        }
        json_array_append_new(want, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[i,s]}", "uid", a,
                                              "name", "Abort", "status", "COMPLETED",
                                              "submitted_time", "<time>", "started_time",
                                              "<time>", "finished_time", "<time>", "result", 0,
                                              "Abort completed OK"));
        json_array_append_new(want_status, json_string(a));
        json_array_append_new(want_status, json_string("COMPLETED"));
        /* the last pushed lrcFinished may arrive a moment after the
         * _lrcEvent: wait for the events that follow it */
        assert_true(lrct_wait_events(d->rec, (size_t)f_a, "lrcFinished", 1, 5));
        json_t *fin = it_last_json(d, "lrcFinished");
        json_t *st = it_last_json(d, "longRunningCommandStatus");
        json_t *q = it_last_json(d, "lrcQueue");
        json_t *ex = it_last_json(d, "lrcExecuting");
        json_t *ip = it_last_json(d, "longRunningCommandInProgress");
        json_t *empty = json_array();
        if (!lm_match(want, fin)) {
            char *g = lrct_json_str(fin), *w = lrct_json_str(want);
            fail_msg("lrcFinished after Abort:\n  expected %s\n  got      %s", w, g);
        }
        if (!json_equal(want_status, st)) {
            char *g = lrct_json_str(st), *w = lrct_json_str(want_status);
            fail_msg("longRunningCommandStatus after Abort:\n  expected %s\n  got      %s", w,
                     g);
        }
        assert_true(json_equal(q, empty));
        assert_true(json_equal(ex, empty));
        assert_true(json_equal(ip, empty));
        json_decref(want);
        json_decref(want_status);
        json_decref(fin);
        json_decref(st);
        json_decref(q);
        json_decref(ex);
        json_decref(ip);
        json_decref(empty);
    }
    /* commandedState untouched by Sleep/Echo/Abort */
    assert_true(lrct_wait_events(d->rec, 0, "commandedState", 1, 0) == false);
    check_check_status(d, s1, "ABORTED");
    check_check_status(d, s2, "ABORTED");
    check_check_status(d, e3, "ABORTED");
    check_check_status(d, a, "COMPLETED");
    assert_true(it_check_invariants(d));
    free(s1);
    free(s2);
    free(e3);
    free(a);
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_echo_sequence, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_sleep_sequence, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_fail_sequence, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_abort_sequence, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
