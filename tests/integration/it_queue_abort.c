/*
 * it_queue_abort.c - queue limits and aborting (lrc-protocol.md 1.2, 1.6,
 * 5.1, 5.5, 7; checks 40, 41, 42):
 *  - 1 running + 32 queued: the 34th submission is REJECTED "Input queue
 *    supports a maximum of 32 commands", no ID, nothing pushed, no ghost;
 *  - Abort: every queued and the running task end ABORTED [7, "Command has
 *    been aborted"], Abort COMPLETED [0, "Abort completed OK"] last (an
 *    Abort during the Abort joins it: same ID); submissions during the drain REJECTED
 *    "Queue is being aborted";
 *  - AbortCommands: untracked [[1], ["Aborting commands"]], same drain.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "it_common.h"

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* long enough that no progress is reported while the test runs */
#define LONG_SLEEP 600.0

static const char *const k_props[] = {"RemovalTime=600", NULL};

static void start(it_dev *d, const char *tag)
{
    assert_true(it_dev_start(d, tag, k_props));
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
}

static char *submit_sleep(it_dev *d, double secs)
{
    int64_t code = -1;
    char *id = NULL;
    assert_true(it_call_double(d, "Sleep", secs, &code, &id));
    if (code != RC_QUEUED)
        fail_msg("Sleep: expected QUEUED (2), got %lld '%s'", (long long)code, id);
    return id;
}

/* Running Sleep + n queued Sleeps; ids[0] = running (ids has n+1 slots). */
static void fill(it_dev *d, char **ids, int n)
{
    ids[0] = submit_sleep(d, LONG_SLEEP);
    assert_true(lrct_wait_lrc_status(d->rec, ids[0], TS_IN_PROGRESS, 5));
    for (int k = 1; k <= n; k++)
        ids[k] = submit_sleep(d, LONG_SLEEP);
    /* a long queue's events take a while under a sanitizer */
    assert_true(lrct_wait_lrc_status(d->rec, ids[n], TS_QUEUED, 5 + n / 20));
}

static void expect_aborted(it_dev *d, const char *id, long *fin)
{
    assert_int_equal(it_wait_terminal(d, id, 15), TS_ABORTED);
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, 0, &n);
    json_t *want = json_pack("{s:i,s:[i,s]}", "status", 3, "result", 7, "Command has been aborted");
    bool found = false;
    for (size_t k = 0; k < n; k++) {
        json_t *o = NULL;
        if (!lrct_lrc_event(v[k], id, &o))
            continue;
        json_t *st = json_object_get(o, "status");
        if (st && json_integer_value(st) == TS_ABORTED) {
            if (!json_equal(o, want)) {
                char *g = lrct_json_str(o);
                fail_msg("final _lrcEvent of %s: %s", id, g);
            }
            *fin = (long)v[k]->seq;
            found = true;
        }
        json_decref(o);
    }
    free(v);
    json_decref(want);
    assert_true(found);
}

static long expect_abort_completed(it_dev *d, const char *id)
{
    assert_true(lrct_wait_lrc_status(d->rec, id, TS_COMPLETED, 15));
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, 0, &n);
    json_t *got = json_array();
    long fin = -1;
    for (size_t k = 0; k < n; k++) {
        json_t *o = NULL;
        if (lrct_lrc_event(v[k], id, &o)) {
            json_array_append_new(got, o);
            fin = (long)v[k]->seq;
        }
    }
    free(v);
    json_t *want = lrct_json_parse("[{\"status\": 0}, {\"status\": 2},"
                                   " {\"status\": 5, \"result\": [0, \"Abort completed OK\"]}]");
    if (!json_equal(got, want)) {
        char *g = lrct_json_str(got);
        fail_msg("_lrcEvent payloads of Abort %s: %s", id, g);
    }
    json_decref(got);
    json_decref(want);
    return fin;
}

static void expect_echo_ok(it_dev *d, const char *text)
{
    int64_t code = -1;
    char *id = NULL;
    assert_true(it_call_str(d, "Echo", text, &code, &id));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, id, 10), TS_COMPLETED);
    free(id);
}

static void test_queue_full(void **state)
{
    it_dev *d = *state;
    start(d, "qfull");
    char *ids[33];
    fill(d, ids, 32);

    /* the lists before the rejected submission (1.3: v1 order = finished,
     * executing, queued, each in insertion order) */
    json_t *want_ids = json_array(), *want_names = json_array(), *want_status = json_array(),
           *want_queue = json_array();
    for (int k = 0; k < 33; k++) {
        json_array_append_new(want_ids, json_string(ids[k]));
        json_array_append_new(want_names, json_string("Sleep"));
        json_array_append_new(want_status, json_string(ids[k]));
        json_array_append_new(want_status, json_string(k == 0 ? "IN_PROGRESS" : "QUEUED"));
        if (k > 0)
            json_array_append_new(want_queue,
                                  json_pack("{s:s,s:s,s:s}", "uid", ids[k], "name", "Sleep",
                                            "submitted_time", "<time>"));
    }
    /* lrcQueue pushes: [S], [] (S starts), then one per queued Sleep */
    assert_true(lrct_wait_events(d->rec, 0, "lrcQueue", 34, 5));
    json_t *q = it_last_json(d, "lrcQueue");
    if (!lm_match(want_queue, q)) {
        char *g = lrct_json_str(q);
        fail_msg("lrcQueue with 32 queued: %s", g);
    }
    json_decref(q);

    size_t mark = lrct_recorder_count(d->rec);
    int64_t code = -1;
    char *text = NULL;
    assert_true(it_call_double(d, "Sleep", LONG_SLEEP, &code, &text));
    assert_int_equal(code, RC_REJECTED);
    assert_string_equal(text, "Input queue supports a maximum of 32 commands");
    free(text);
    /* any command, not only Sleep */
    assert_true(it_call_str(d, "Echo", "x", &code, &text));
    assert_int_equal(code, RC_REJECTED);
    assert_string_equal(text, "Input queue supports a maximum of 32 commands");
    free(text);

    /* nothing pushed by the rejected submissions: the next events are the
     * creation pushes of an Abort (the only command still accepted) */
    char *a = NULL;
    assert_true(it_call_void(d, "Abort", &code, &a));
    assert_int_equal(code, RC_STARTED);
    assert_true(lrct_wait_lrc_status(d->rec, a, TS_STAGING, 5));
    long a0 = lrct_find_lrc_status(d->rec, mark, a, TS_STAGING);
    assert_true(a0 >= 0);
    {
        json_array_append_new(want_ids, json_string(a));
        json_array_append_new(want_names, json_string("Abort"));
        json_array_append_new(want_status, json_string(a));
        json_array_append_new(want_status, json_string("STAGING"));
        size_t n = 0;
        const lrct_event **v = lrct_recorder_snapshot(d->rec, mark, &n);
        size_t cnt = 0;
        bool ok = true;
        for (size_t k = 0; k < n && v[k]->seq < (size_t)a0; k++) {
            cnt++;
            json_t *j = lrct_event_json(v[k]);
            const json_t *w = strcmp(v[k]->attr, "longRunningCommandIDsInQueue") == 0 ? want_ids
                              : strcmp(v[k]->attr, "longRunningCommandsInQueue") == 0 ? want_names
                              : strcmp(v[k]->attr, "longRunningCommandStatus") == 0 ? want_status
                                                                                    : NULL;
            if (!w || !json_equal(w, j)) {
                char *g = lrct_json_str(j);
                fprintf(stderr, "unexpected event before Abort's STAGING: %s %.400s\n", v[k]->attr,
                        g);
                free(g);
                ok = false;
            }
            json_decref(j);
        }
        free(v);
        if (!ok || cnt != 3) {
            lrct_recorder_dump(d->rec, mark);
            fail_msg("after the rejected submissions expected exactly the 3 v1 creation pushes "
                     "of Abort before its STAGING _lrcEvent, got %zu events",
                     cnt);
        }
    }
    /* Abort drains: all 33 ABORTED, Abort COMPLETED last */
    long fin_max = -1;
    for (int k = 0; k < 33; k++) {
        long f = -1;
        expect_aborted(d, ids[k], &f);
        if (f > fin_max)
            fin_max = f;
    }
    long fa = expect_abort_completed(d, a);
    assert_true(fa > fin_max);
    /* queued-then-aborted items have no started_time; the running one has */
    assert_true(lrct_wait_events(d->rec, (size_t)fa, "lrcFinished", 1, 5));
    json_t *fin = it_last_json(d, "lrcFinished");
    assert_int_equal(json_array_size(fin), 34);
    for (size_t k = 0; k < json_array_size(fin); k++) {
        json_t *it = json_array_get(fin, k);
        const char *uid = json_string_value(json_object_get(it, "uid"));
        assert_non_null(uid);
        bool started = strcmp(uid, ids[0]) == 0 || strcmp(uid, a) == 0;
        if ((json_object_get(it, "started_time") != NULL) != started)
            fail_msg("lrcFinished item %s: started_time %s", uid,
                     started ? "missing" : "present for a command that never started");
    }
    json_decref(fin);
    expect_echo_ok(d, "after abort");
    assert_true(it_check_invariants(d));
    for (int k = 0; k < 33; k++)
        free(ids[k]);
    free(a);
    json_decref(want_ids);
    json_decref(want_names);
    json_decref(want_status);
    json_decref(want_queue);
}

/* A second client that submits Echo back to back on its own proxy, so
 * that its requests wait on the device while Abort is handled and reach
 * the device as soon as it can take them: the drain window is sampled as
 * densely as the device allows. */
typedef struct hammer {
    lrc_tg_proxy *p;
    pthread_mutex_t mu;
    bool stop;
    int full, aborting, other, errors, calls;
    char *other_text;
    char *accepted;
    const char *full_text;
} hammer;

static void *hammer_run(void *arg)
{
    hammer *h = arg;
    for (int k = 0; k < 100000; k++) {
        pthread_mutex_lock(&h->mu);
        bool stop = h->stop;
        pthread_mutex_unlock(&h->mu);
        if (stop)
            break;
        int64_t code = -1;
        char *text = NULL;
        lrc_error *err = NULL;
        int rc = lrct_lrc_call_str(h->p, "Echo", "during", &code, &text, &err);
        lrc_error_free(err);
        pthread_mutex_lock(&h->mu);
        h->calls++;
        if (rc != LRC_OK) {
            h->errors++;
        } else if (code == RC_REJECTED && strcmp(text, h->full_text) == 0) {
            h->full++;
        } else if (code == RC_REJECTED && strcmp(text, "Queue is being aborted") == 0) {
            h->aborting++;
        } else if (code == RC_QUEUED) {
            h->accepted = text;
            text = NULL;
            h->stop = true;
        } else {
            h->other++;
            if (!h->other_text) {
                char buf[256];
                snprintf(buf, sizeof buf, "[%lld, \"%s\"]", (long long)code, text ? text : "");
                h->other_text = strdup(buf);
            }
        }
        pthread_mutex_unlock(&h->mu);
        free(text);
    }
    return NULL;
}

/* The demo's AbortLatency makes the running Sleep take 1.5 s to wind down,
 * so the drain window is long enough to be hit every time (without it the
 * whole drain takes about a millisecond). A longer queue makes the
 * queue-full text name the configured limit (section 7). */
#define DRAIN_QUEUE 200
static const char *const k_drain_props[] = {"RemovalTime=600", "MaxQueuedTasks=200",
                                            "AbortLatency=1.5", NULL};

#define N_HAMMERS 3

static void test_abort_drain(void **state)
{
    it_dev *d = *state;
    assert_true(it_dev_start(d, "qdrain", k_drain_props));
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
    char **ids = calloc(DRAIN_QUEUE + 1, sizeof *ids);
    fill(d, ids, DRAIN_QUEUE);
    hammer h[N_HAMMERS];
    pthread_t th[N_HAMMERS];
    memset(h, 0, sizeof h);
    for (int k = 0; k < N_HAMMERS; k++) {
        h[k].full_text = "Input queue supports a maximum of 200 commands";
        pthread_mutex_init(&h[k].mu, NULL);
        lrc_error *err = NULL;
        assert_int_equal(lrc_tg_proxy_open(d->device, 5000, &h[k].p, &err), LRC_OK);
        assert_int_equal(pthread_create(&th[k], NULL, hammer_run, &h[k]), 0);
    }
    /* let the hammers run into the full queue first */
    for (int i = 0; i < 500; i++) {
        int c = 1 << 30;
        for (int k = 0; k < N_HAMMERS; k++) {
            pthread_mutex_lock(&h[k].mu);
            c = h[k].calls < c ? h[k].calls : c;
            pthread_mutex_unlock(&h[k].mu);
        }
        if (c >= 3)
            break;
        lrct_wait_events(d->rec, lrct_recorder_count(d->rec), NULL, 1, 0.01);
    }
    int64_t code = -1;
    char *a1 = NULL;
    assert_true(it_call_void(d, "Abort", &code, &a1));
    assert_int_equal(code, RC_STARTED);
    assert_true(lrct_wait_lrc_status(d->rec, a1, TS_COMPLETED, 15));
    /* each hammer stops at its first accepted submission */
    for (int i = 0; i < 1000; i++) {
        bool all = true;
        for (int k = 0; k < N_HAMMERS; k++) {
            pthread_mutex_lock(&h[k].mu);
            all = all && h[k].stop;
            pthread_mutex_unlock(&h[k].mu);
        }
        if (all)
            break;
        lrct_wait_events(d->rec, lrct_recorder_count(d->rec), NULL, 1, 0.01);
    }
    int full = 0, aborting = 0;
    for (int k = 0; k < N_HAMMERS; k++) {
        pthread_mutex_lock(&h[k].mu);
        h[k].stop = true;
        pthread_mutex_unlock(&h[k].mu);
        pthread_join(th[k], NULL);
        lrc_tg_proxy_close(h[k].p);
        print_message("hammer %d: %d calls, %d queue full, %d \"Queue is being aborted\", %d "
                      "other, %d errors, accepted %s\n",
                      k, h[k].calls, h[k].full, h[k].aborting, h[k].other, h[k].errors,
                      h[k].accepted ? h[k].accepted : "(none)");
        if (h[k].other)
            fail_msg("unexpected answer during the drain: %s", h[k].other_text);
        assert_int_equal(h[k].errors, 0);
        assert_non_null(h[k].accepted);
        it_dev_add_id(d, h[k].accepted);
        full += h[k].full;
        aborting += h[k].aborting;
    }
    assert_true(full >= 1); /* the hammers did start on the full queue */
    /* section 7: submissions between Abort and its completion are REJECTED
     * "Queue is being aborted" */
    assert_true(aborting >= 1);
    long fin_max = -1;
    for (int k = 0; k <= DRAIN_QUEUE; k++) {
        long f = -1;
        expect_aborted(d, ids[k], &f);
        if (f > fin_max)
            fin_max = f;
    }
    long fa1 = expect_abort_completed(d, a1);
    assert_true(fa1 > fin_max);
    /* the accepted submissions were accepted after the drain ended */
    for (int k = 0; k < N_HAMMERS; k++) {
        assert_int_equal(it_wait_terminal(d, h[k].accepted, 10), TS_COMPLETED);
        long acc0 = lrct_find_lrc_status(d->rec, 0, h[k].accepted, TS_STAGING);
        print_message("Abort COMPLETED #%ld, accepted Echo STAGING #%ld\n", fa1, acc0);
        assert_true(acc0 > fa1);
        free(h[k].accepted);
        free(h[k].other_text);
        pthread_mutex_destroy(&h[k].mu);
    }
    assert_true(it_check_invariants(d));
    for (int k = 0; k <= DRAIN_QUEUE; k++)
        free(ids[k]);
    free(ids);
    free(a1);
}

/* Two Aborts back to back: the second joins the first (same ID), which
 * ends COMPLETED after every aborted task (docs/protocol.md section 7: an
 * Abort during an Abort is tracked too, with the running Abort's ID). */
static void test_abort_twice(void **state)
{
    it_dev *d = *state;
    start(d, "qabort2");
    char *ids[33];
    fill(d, ids, 32);
    int64_t code = -1;
    char *a1 = NULL, *a2 = NULL;
    assert_true(it_call_void(d, "Abort", &code, &a1));
    assert_int_equal(code, RC_STARTED);
    lrc_error *err = NULL; /* not it_call_void: it refuses a repeated ID */
    if (lrct_lrc_call_void(d->p, "Abort", &code, &a2, &err) != LRC_OK)
        fail_msg("second Abort: %s", lrc_error_message(err));
    assert_int_equal(code, RC_STARTED);
    if (strcmp(a2, a1) != 0) {
        /* the first drain (no AbortLatency) may be over already: then the
         * second Abort is a new one, created after the first completed
         * (it_kit_edges checks the join with a drain that lasts) */
        assert_true(lrct_wait_lrc_status(d->rec, a2, TS_STAGING, 5));
        long c1 = lrct_find_lrc_status(d->rec, 0, a1, TS_COMPLETED);
        long s2 = lrct_find_lrc_status(d->rec, 0, a2, TS_STAGING);
        assert_true(c1 >= 0 && s2 > c1);
        it_dev_add_id(d, a2);
    }
    long fin_max = -1;
    for (int k = 0; k < 33; k++) {
        long f = -1;
        expect_aborted(d, ids[k], &f);
        if (f > fin_max)
            fin_max = f;
    }
    long fa1 = expect_abort_completed(d, a1);
    long fa2 = expect_abort_completed(d, a2);
    assert_true(fa1 > fin_max);
    assert_true(fa2 > fin_max);
    expect_echo_ok(d, "after two aborts");
    assert_true(it_check_invariants(d));
    for (int k = 0; k < 33; k++)
        free(ids[k]);
    free(a1);
    free(a2);
}

static void test_abort_commands(void **state)
{
    it_dev *d = *state;
    start(d, "qabortcmds");
    char *ids[3];
    fill(d, ids, 2);
    size_t mark = lrct_recorder_count(d->rec);
    int64_t code = -1;
    char *text = NULL;
    assert_true(it_call_void(d, "AbortCommands", &code, &text));
    assert_int_equal(code, RC_STARTED);
    assert_string_equal(text, "Aborting commands");
    free(text);
    for (int k = 0; k < 3; k++) {
        long f;
        expect_aborted(d, ids[k], &f);
    }
    /* untracked: no new id anywhere (the invariant check rejects unknown
     * ids), no "AbortCommands" entry in the v1 name lists */
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, mark, &n);
    for (size_t k = 0; k < n; k++) {
        if (strcmp(v[k]->attr, "longRunningCommandsInQueue") == 0 ||
            strcmp(v[k]->attr, "longRunningCommandInProgress") == 0)
            for (size_t i = 0; i < v[k]->value.ns; i++)
                if (strcmp(v[k]->value.sv[i], "AbortCommands") == 0)
                    fail_msg("AbortCommands appears in %s", v[k]->attr);
    }
    free(v);
    /* the device serves afterwards */
    bool ok = false;
    for (int k = 0; k < 200 && !ok; k++) {
        char *id = NULL;
        assert_true(it_call_str(d, "Echo", "after", &code, &id));
        if (code == RC_QUEUED) {
            assert_int_equal(it_wait_terminal(d, id, 10), TS_COMPLETED);
            ok = true;
        } else {
            assert_int_equal(code, RC_REJECTED);
            assert_string_equal(id, "Queue is being aborted");
            lrct_wait_events(d->rec, lrct_recorder_count(d->rec), NULL, 1, 0.05);
        }
        free(id);
    }
    assert_true(ok);
    assert_true(it_check_invariants(d));
    for (int k = 0; k < 3; k++)
        free(ids[k]);
}

/* A long queue (the scale benchmark's case): 1,000 queued Sleeps behind a
 * running one, then Abort. Every one must end ABORTED with the aborted
 * result, Abort COMPLETED after all of them, and the lists must end empty
 * (they are pushed once after the drain, not once per aborted command).
 * The time is printed, never asserted (shared machine). */
#define LONG_QUEUE 1000
static const char *const k_long_props[] = {"RemovalTime=600", "MaxQueuedTasks=1000", NULL};

static void test_abort_long_queue(void **state)
{
    it_dev *d = *state;
    assert_true(it_dev_start(d, "qlong", k_long_props));
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
    char **ids = calloc(LONG_QUEUE + 1, sizeof *ids);
    assert_non_null(ids);
    fill(d, ids, LONG_QUEUE);
    size_t mark = lrct_recorder_count(d->rec);
    int64_t code = -1;
    char *a = NULL;
    double t0 = lrct_now_real();
    assert_true(it_call_void(d, "Abort", &code, &a));
    double t_reply = lrct_now_real();
    assert_int_equal(code, RC_STARTED);
    assert_true(lrct_wait_lrc_status(d->rec, a, TS_COMPLETED, 60));
    double t_done = lrct_now_real();
    print_message("Abort of %d queued + 1 running: reply %.3f s, COMPLETED after %.3f s\n",
                  LONG_QUEUE, t_reply - t0, t_done - t0);
    long fa = expect_abort_completed(d, a);

    /* one pass: the final _lrcEvent of every command, and where it came */
    json_t *want = json_pack("{s:i,s:[i,s]}", "status", 3, "result", 7, "Command has been aborted");
    json_t *seen = json_object(); /* id -> seq of its ABORTED event */
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, mark, &n);
    for (size_t k = 0; k < n; k++) {
        json_t *o = NULL;
        if (!lrct_lrc_event(v[k], NULL, &o))
            continue;
        json_t *st = json_object_get(o, "status");
        if (st && json_integer_value(st) == TS_ABORTED) {
            if (!json_equal(o, want)) {
                char *g = lrct_json_str(o);
                fail_msg("final _lrcEvent of %s: %s", v[k]->value.sv[0], g);
            }
            if (json_object_get(seen, v[k]->value.sv[0]))
                fail_msg("two ABORTED events for %s", v[k]->value.sv[0]);
            json_object_set_new(seen, v[k]->value.sv[0], json_integer((json_int_t)v[k]->seq));
        }
        json_decref(o);
    }
    free(v);
    for (int k = 0; k <= LONG_QUEUE; k++) {
        json_t *seq = json_object_get(seen, ids[k]);
        if (!seq)
            fail_msg("command %d (%s) has no ABORTED event", k, ids[k]);
        assert_true(json_integer_value(seq) < fa);
    }
    assert_int_equal(json_object_size(seen), LONG_QUEUE + 1);
    json_decref(seen);
    json_decref(want);

    /* the lists' last pushed values: nothing queued, nothing executing
     * (Abort leaving lrcExecuting is pushed after its final _lrcEvent) */
    assert_true(lrct_wait_events(d->rec, (size_t)fa, "lrcExecuting", 1, 5));
    json_t *q = it_last_json(d, "lrcQueue");
    assert_int_equal(json_array_size(q), 0);
    json_decref(q);
    json_t *x = it_last_json(d, "lrcExecuting");
    assert_int_equal(json_array_size(x), 0);
    json_decref(x);
    assert_true(lrct_wait_events(d->rec, (size_t)fa, "lrcFinished", 1, 5));
    json_t *fin = it_last_json(d, "lrcFinished");
    assert_int_equal(json_array_size(fin), 100);
    json_decref(fin);
    expect_echo_ok(d, "after the long abort");
    assert_true(it_check_invariants(d));
    for (int k = 0; k <= LONG_QUEUE; k++)
        free(ids[k]);
    free(ids);
    free(a);
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    /* "--long": only the 1,000-command drain, a load test that runs once, in
     * the plain pass (ctest entry integration.it_queue_abort.long, label
     * long); without it, everything else. */
    if (argc > 2 && strcmp(argv[2], "--long") == 0)
        cmocka_set_test_filter("test_abort_long_queue");
    else
        cmocka_set_skip_filter("test_abort_long_queue");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_queue_full, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_abort_drain, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_abort_twice, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_abort_commands, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_abort_long_queue, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
