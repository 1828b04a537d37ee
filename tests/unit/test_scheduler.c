/* Unit tests: the callback scheduler (lrc/scheduler.h), conformance items
 * 45-49 of lrc-protocol.md section 6 plus lifetime, flush and counters.
 *
 * Synchronisation is by conditions (gates, rendezvous, lrc_queue_flush) with
 * generous bounds; the only sleeps test the one-second warning rate limit
 * and that a deferred wake is not done before its flush. */
#define _GNU_SOURCE /* pthread_getname_np */
#include "core/scheduler_internal.h" /* lrc_sched_current_push_ns */
#include "lrc/log.h"
#include "lrc/scheduler.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bound for anything that should happen promptly (generous for valgrind). */
#define WAIT_MS 20000

static struct timespec deadline_in(int64_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t); /* default condition variable clock */
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static lrc_scheduler *make_sched(unsigned threads, size_t capacity, const char *name)
{
    lrc_scheduler_options o;
    lrc_scheduler_options_init(&o);
    o.thread_count = threads;
    o.queue_capacity = capacity;
    o.name = name;
    lrc_scheduler *s = NULL;
    assert_int_equal(lrc_scheduler_new(&o, &s, NULL), LRC_OK);
    assert_non_null(s);
    return s;
}

static lrc_queue *make_queue(lrc_scheduler *s, size_t capacity)
{
    lrc_queue *q = NULL;
    assert_int_equal(lrc_queue_new(s, capacity, &q, NULL), LRC_OK);
    assert_non_null(q);
    return q;
}

/* ---- a gate: a callback that blocks until the test opens it -------------- */

typedef struct gate {
    pthread_mutex_t m;
    pthread_cond_t c;
    bool reached, open, timed_out, finished;
} gate;

static void gate_init(gate *g)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->m, NULL);
    pthread_cond_init(&g->c, NULL);
}

static void gate_destroy(gate *g)
{
    pthread_cond_destroy(&g->c);
    pthread_mutex_destroy(&g->m);
}

/* Waits (bounded) until *flag is true; g->m held. */
static bool gate_await_locked(gate *g, const bool *flag)
{
    struct timespec dl = deadline_in(WAIT_MS);
    while (!*flag)
        if (pthread_cond_timedwait(&g->c, &g->m, &dl) == ETIMEDOUT)
            return *flag;
    return true;
}

/* The blocking callback body: says it arrived, waits for the gate. */
static void gate_pass(gate *g)
{
    pthread_mutex_lock(&g->m);
    g->reached = true;
    pthread_cond_broadcast(&g->c);
    if (!gate_await_locked(g, &g->open))
        g->timed_out = true;
    g->finished = true;
    pthread_cond_broadcast(&g->c);
    pthread_mutex_unlock(&g->m);
}

static void gate_run(void *item, void *ctx)
{
    (void)ctx;
    gate_pass(item);
}

static void gate_await(gate *g, const bool *flag)
{
    pthread_mutex_lock(&g->m);
    bool ok = gate_await_locked(g, flag);
    pthread_mutex_unlock(&g->m);
    assert_true(ok);
}

static void gate_open(gate *g)
{
    pthread_mutex_lock(&g->m);
    g->open = true;
    pthread_cond_broadcast(&g->c);
    pthread_mutex_unlock(&g->m);
}

/* ---- a recorder of runs and discards of integer items -------------------- */

typedef struct rec {
    pthread_mutex_t m;
    size_t cap;
    int *order; /* ids in run order */
    size_t n_order;
    int *drops; /* ids in discard order */
    size_t n_drops;
    int *runs, *discards; /* per id */
    pthread_t pusher;
    bool ran_on_pusher, discard_off_pusher, ran_off_worker;
    const lrc_scheduler *s;
    gate *g; /* when set, item g_id blocks on it after being recorded */
    int g_id;
} rec;

static void rec_init(rec *r, size_t cap, const lrc_scheduler *s)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->m, NULL);
    r->cap = cap;
    r->order = calloc(cap, sizeof *r->order);
    r->drops = calloc(cap, sizeof *r->drops);
    r->runs = calloc(cap, sizeof *r->runs);
    r->discards = calloc(cap, sizeof *r->discards);
    assert_true(r->order && r->drops && r->runs && r->discards);
    r->pusher = pthread_self();
    r->s = s;
    r->g_id = -1;
}

static void rec_destroy(rec *r)
{
    free(r->order);
    free(r->drops);
    free(r->runs);
    free(r->discards);
    pthread_mutex_destroy(&r->m);
}

static void rec_run(void *item, void *ctx)
{
    rec *r = ctx;
    int id = (int)(intptr_t)item;
    pthread_mutex_lock(&r->m);
    r->order[r->n_order++] = id;
    r->runs[id]++;
    if (pthread_equal(pthread_self(), r->pusher))
        r->ran_on_pusher = true;
    if (r->s && !lrc_scheduler_on_worker(r->s))
        r->ran_off_worker = true;
    pthread_mutex_unlock(&r->m);
    if (r->g && id == r->g_id)
        gate_pass(r->g);
}

static void rec_discard(void *item, void *ctx)
{
    rec *r = ctx;
    int id = (int)(intptr_t)item;
    pthread_mutex_lock(&r->m);
    r->drops[r->n_drops++] = id;
    r->discards[id]++;
    if (!pthread_equal(pthread_self(), r->pusher))
        r->discard_off_pusher = true;
    pthread_mutex_unlock(&r->m);
}

static int rec_push(rec *r, lrc_queue *q, int id, bool terminal)
{
    return lrc_queue_push(q, rec_run, rec_discard, (void *)(intptr_t)id, r, terminal);
}

/* Every id below n was either run or discarded, exactly once. */
static void assert_exactly_once(const rec *r, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(r->runs[i] + r->discards[i], 1);
}

static void assert_stats_consistent(const lrc_queue_stats *st)
{
    assert_int_equal(st->received, st->processed + st->dropped + st->discarded + st->length);
}

/* ---- log capture ----------------------------------------------------------- */

typedef struct logcap {
    pthread_mutex_t m;
    const char *filter; /* only messages containing it count */
    int warnings, errors;
    uint64_t reported; /* sum of the "dropped N" numbers */
    uint64_t first_reported;
    char last[512];
} logcap;

static logcap cap_log;

static void log_hook(void *user, int level, const char *msg)
{
    logcap *c = user;
    pthread_mutex_lock(&c->m);
    if (c->filter && strstr(msg, c->filter)) {
        snprintf(c->last, sizeof c->last, "%s", msg);
        if (level == LRC_LOG_ERROR)
            c->errors++;
        const char *d = strstr(msg, "dropped ");
        if (level == LRC_LOG_WARNING && d) {
            uint64_t n = strtoull(d + strlen("dropped "), NULL, 10);
            if (c->warnings++ == 0)
                c->first_reported = n;
            c->reported += n;
        }
    }
    pthread_mutex_unlock(&c->m);
}

static void capture_logs(const char *filter)
{
    pthread_mutex_lock(&cap_log.m);
    cap_log.filter = filter;
    cap_log.warnings = cap_log.errors = 0;
    cap_log.reported = cap_log.first_reported = 0;
    cap_log.last[0] = '\0';
    pthread_mutex_unlock(&cap_log.m);
    lrc_log_set_hook(log_hook, &cap_log, LRC_LOG_DEBUG);
}

static void stop_capture(void)
{
    lrc_log_set_hook(NULL, NULL, LRC_LOG_WARNING);
}

/* ---- options and arguments -------------------------------------------------- */

static void test_options_and_arguments(void **state)
{
    (void)state;
    lrc_scheduler_options o;
    lrc_scheduler_options_init(&o);
    assert_int_equal(o.size, sizeof o);
    assert_int_equal(o.thread_count, 1);
    assert_null(o.name);
    assert_int_equal(o.queue_capacity, 1024);
    assert_true(o.fairness_half_life_ms == 1000.0);

    lrc_scheduler *s = NULL;
    lrc_error *err = NULL;
    lrc_scheduler_options bad = o;
    bad.size = 0;
    assert_int_equal(lrc_scheduler_new(&bad, &s, &err), LRC_EINVAL);
    assert_null(s);
    assert_int_equal(lrc_error_code(err), LRC_EINVAL);
    lrc_error_free(err);
    bad = o;
    bad.thread_count = 257; /* 0 is the loop mode (test_scheduler_loop.c) */
    assert_int_equal(lrc_scheduler_new(&bad, &s, NULL), LRC_EINVAL);
    bad = o;
    bad.queue_capacity = 0;
    assert_int_equal(lrc_scheduler_new(&bad, &s, NULL), LRC_EINVAL);
    bad = o;
    bad.fairness_half_life_ms = -1;
    assert_int_equal(lrc_scheduler_new(&bad, &s, NULL), LRC_EINVAL);
    assert_int_equal(lrc_scheduler_new(&o, NULL, NULL), LRC_EINVAL);

    assert_int_equal(lrc_scheduler_new(NULL, &s, NULL), LRC_OK);
    lrc_queue *q = NULL;
    assert_int_equal(lrc_queue_new(NULL, 0, &q, NULL), LRC_EINVAL);
    q = make_queue(s, 0);
    lrc_queue_stats st;
    lrc_queue_get_stats(q, &st);
    assert_int_equal(st.capacity, LRC_SCHEDULER_DEFAULT_QUEUE_CAPACITY);
    assert_int_equal(lrc_queue_push(NULL, rec_run, NULL, NULL, NULL, false), LRC_EINVAL);
    assert_int_equal(lrc_queue_push(q, NULL, NULL, NULL, NULL, false), LRC_EINVAL);
    assert_int_equal(lrc_queue_flush(q, 0), LRC_OK); /* empty: nothing to wait for */
    assert_false(lrc_scheduler_on_worker(s));
    lrc_queue_unref(q);
    lrc_queue_unref(NULL);
    lrc_scheduler_free(s);
    lrc_scheduler_free(NULL);
}

/* ---- 45: callbacks only on workers, never inside the push ------------------ */

typedef struct reentry {
    lrc_queue *q;
    bool inside_push; /* set by the first callback around its own push */
    bool first_done;
    bool nested_ran_inside_push, nested_ran_before_first_done, nested_ran;
    int push_rc;
} reentry;

static void nested_run(void *item, void *ctx)
{
    (void)ctx;
    reentry *e = item;
    e->nested_ran_inside_push = e->inside_push;
    e->nested_ran_before_first_done = !e->first_done;
    e->nested_ran = true;
}

/* Runs on the (only) worker and pushes to its own queue: the new item must
 * wait until this callback returned, not run inside the push. */
static void first_run(void *item, void *ctx)
{
    (void)ctx;
    reentry *e = item;
    e->inside_push = true;
    e->push_rc = lrc_queue_push(e->q, nested_run, NULL, e, NULL, false);
    e->inside_push = false;
    e->first_done = true;
}

static void test_callbacks_run_on_workers_only(void **state)
{
    (void)state;
    lrc_scheduler *s = make_sched(1, 1024, "t-worker");
    lrc_queue *q = make_queue(s, 0);
    rec r;
    rec_init(&r, 200, s);
    for (int i = 0; i < 200; i++)
        assert_int_equal(rec_push(&r, q, i, false), LRC_OK);
    reentry e = {.q = q};
    assert_int_equal(lrc_queue_push(q, first_run, NULL, &e, NULL, false), LRC_OK);
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    /* The nested item was pushed after the flush started waiting: flush
     * again for it. */
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);

    assert_int_equal(r.n_order, 200);
    assert_false(r.ran_on_pusher);
    assert_false(r.ran_off_worker);
    assert_false(lrc_scheduler_on_worker(s));
    assert_int_equal(e.push_rc, LRC_OK);
    assert_true(e.nested_ran);
    assert_false(e.nested_ran_inside_push);
    assert_false(e.nested_ran_before_first_done);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
    rec_destroy(&r);
}

/* ---- 45: a blocked callback does not block pushing ---------------------- */

static void test_blocked_callback_does_not_block_push(void **state)
{
    (void)state;
    enum { N = 10000 };
    lrc_scheduler *s = make_sched(1, 16, "t-blocked");
    lrc_queue *q = make_queue(s, 0);
    gate g;
    gate_init(&g);
    rec r;
    rec_init(&r, N, s);
    assert_int_equal(lrc_queue_push(q, gate_run, NULL, &g, NULL, false), LRC_OK);
    gate_await(&g, &g.reached);

    /* The worker is stuck in the gate; every push must still return. */
    for (int i = 0; i < N; i++)
        assert_int_equal(rec_push(&r, q, i, false), LRC_OK);
    pthread_mutex_lock(&g.m);
    bool still_blocked = !g.finished;
    pthread_mutex_unlock(&g.m);
    assert_true(still_blocked); /* the pushes did not wait for the callback */

    lrc_queue_stats st;
    lrc_queue_get_stats(q, &st);
    assert_int_equal(st.received, N + 1);
    assert_int_equal(st.processed, 1);
    assert_int_equal(st.length, 16);
    assert_int_equal(st.dropped, N - 16);
    assert_stats_consistent(&st);

    gate_open(&g);
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    assert_false(g.timed_out);
    assert_exactly_once(&r, N);
    /* the newest 16 survived, in order */
    assert_int_equal(r.n_order, 16);
    for (int i = 0; i < 16; i++)
        assert_int_equal(r.order[i], N - 16 + i);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
    rec_destroy(&r);
    gate_destroy(&g);
}

/* ---- 46: overflow policy ------------------------------------------------- */

static void test_overflow_drops_oldest_non_terminal(void **state)
{
    (void)state;
    capture_logs("t-overflow");
    lrc_scheduler *s = make_sched(1, 4, "t-overflow");
    lrc_queue *q = make_queue(s, 0);
    gate g;
    gate_init(&g);
    rec r;
    rec_init(&r, 16, s);
    assert_int_equal(lrc_queue_push(q, gate_run, NULL, &g, NULL, false), LRC_OK);
    gate_await(&g, &g.reached);

    /* Capacity 4. Worked out by hand: each arrival at a full queue drops
     * the oldest non-terminal item; with only terminal items queued the new
     * item is accepted beyond capacity. */
    static const bool terminal[14] = {[1] = true, [4] = true, [8] = true, [10] = true,
                                      [11] = true};
    for (int i = 1; i <= 13; i++)
        assert_int_equal(rec_push(&r, q, i, terminal[i]), LRC_OK);

    static const int want_dropped[] = {2, 3, 5, 6, 7, 9, 12};
    static const int want_run[] = {1, 4, 8, 10, 11, 13};
    /* discard runs synchronously in the pushing thread */
    assert_int_equal(r.n_drops, 7);
    assert_memory_equal(r.drops, want_dropped, sizeof want_dropped);
    assert_false(r.discard_off_pusher);

    lrc_queue_stats st;
    lrc_queue_get_stats(q, &st);
    assert_int_equal(st.received, 14);
    assert_int_equal(st.processed, 1);
    assert_int_equal(st.dropped, 7);
    assert_int_equal(st.discarded, 0);
    assert_int_equal(st.length, 6); /* 4 + 2 terminal items beyond capacity */
    assert_stats_consistent(&st);

    gate_open(&g);
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    assert_int_equal(r.n_order, 6);
    assert_memory_equal(r.order, want_run, sizeof want_run);
    for (int i = 1; i <= 13; i++)
        assert_int_equal(r.runs[i] + r.discards[i], 1);

    pthread_mutex_lock(&cap_log.m);
    assert_true(cap_log.warnings >= 1);
    assert_int_equal(cap_log.first_reported, 1);
    assert_non_null(strstr(cap_log.last, "full"));
    pthread_mutex_unlock(&cap_log.m);
    stop_capture();

    lrc_queue_get_stats(q, &st);
    assert_int_equal(st.processed, 7);
    assert_int_equal(st.length, 0);
    assert_stats_consistent(&st);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
    rec_destroy(&r);
    gate_destroy(&g);
}

static void test_overflow_warning_rate_limited(void **state)
{
    (void)state;
    enum { N = 2000 };
    capture_logs("t-ratelimit");
    lrc_scheduler *s = make_sched(1, 1, "t-ratelimit");
    lrc_queue *q = make_queue(s, 0);
    gate g;
    gate_init(&g);
    rec r;
    rec_init(&r, N + 2, s);
    assert_int_equal(lrc_queue_push(q, gate_run, NULL, &g, NULL, false), LRC_OK);
    gate_await(&g, &g.reached);

    double t0 = mono_s();
    for (int i = 0; i < N; i++)
        assert_int_equal(rec_push(&r, q, i, false), LRC_OK);
    double burst = mono_s() - t0;
    /* Rate limiting is about time, so time is what this waits for: the next
     * drop must be reported, with everything not reported so far. */
    sleep_ms(1100);
    assert_int_equal(rec_push(&r, q, N, false), LRC_OK);

    lrc_queue_stats st;
    lrc_queue_get_stats(q, &st);
    assert_int_equal(st.dropped, N); /* capacity 1: every push but the first drops */

    pthread_mutex_lock(&cap_log.m);
    int warnings = cap_log.warnings;
    uint64_t reported = cap_log.reported, first = cap_log.first_reported;
    pthread_mutex_unlock(&cap_log.m);
    assert_int_equal(first, 1);                 /* the first drop is reported at once */
    assert_int_equal(reported, N);              /* every drop is reported eventually */
    assert_true(warnings >= 2);                 /* ... the last one after the pause */
    assert_true(warnings <= 2 + (int)burst);    /* at most one per second */
    stop_capture();

    gate_open(&g);
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    assert_int_equal(r.n_order, 1);
    assert_int_equal(r.order[0], N); /* only the newest survived */
    assert_exactly_once(&r, N + 1);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
    rec_destroy(&r);
    gate_destroy(&g);
}

/* ---- 47: two streams on one queue keep their relative order --------------- */

typedef struct stream_ctx {
    rec *r;
    lrc_queue *q;
    pthread_mutex_t *order_lock;
    int *next_ticket;
    int pushes;
    int failures;
} stream_ctx;

/* Pushes `pushes` items; the ticket taken under order_lock is the global push
 * order, so the run order must be 0, 1, 2, ... */
static void *stream_main(void *arg)
{
    stream_ctx *c = arg;
    for (int i = 0; i < c->pushes; i++) {
        pthread_mutex_lock(c->order_lock);
        int id = (*c->next_ticket)++;
        if (rec_push(c->r, c->q, id, false) != LRC_OK)
            c->failures++;
        pthread_mutex_unlock(c->order_lock);
        if (i % 64 == 0)
            sched_yield(); /* let the other stream interleave */
    }
    return NULL;
}

static void test_two_streams_keep_relative_order(void **state)
{
    (void)state;
    enum { PER_STREAM = 5000 };
    lrc_scheduler *s = make_sched(2, 4 * PER_STREAM, "t-order");
    lrc_queue *q = make_queue(s, 0);
    rec r;
    rec_init(&r, 2 * PER_STREAM, s);
    pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;
    int next = 0;
    stream_ctx a = {&r, q, &order_lock, &next, PER_STREAM, 0};
    stream_ctx b = a;
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, stream_main, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, stream_main, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.failures + b.failures, 0);
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);

    assert_int_equal(r.n_order, 2 * PER_STREAM);
    for (int i = 0; i < 2 * PER_STREAM; i++)
        assert_int_equal(r.order[i], i);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
    rec_destroy(&r);
}

/* ---- 48: fairness ------------------------------------------------------------ */

static void test_busy_queue_does_not_starve_quiet_one(void **state)
{
    (void)state;
    enum { BUSY = 1000, QUIET_ID = 5000, PAUSE_AT = 100 };
    lrc_scheduler *s = make_sched(1, 4096, "t-fair");
    lrc_queue *busy = make_queue(s, 0);
    lrc_queue *quiet = make_queue(s, 0);
    gate g;
    gate_init(&g);
    rec r;
    rec_init(&r, QUIET_ID + 1, s);
    r.g = &g;
    r.g_id = PAUSE_AT; /* the busy stream pauses there, mid-way */
    for (int i = 0; i < BUSY; i++)
        assert_int_equal(rec_push(&r, busy, i, false), LRC_OK);
    gate_await(&g, &g.reached);
    /* The busy queue has run ~100 items and has ~900 more waiting, all older
     * than the quiet item. */
    assert_int_equal(rec_push(&r, quiet, QUIET_ID, false), LRC_OK);
    gate_open(&g);
    assert_int_equal(lrc_queue_flush(quiet, WAIT_MS), LRC_OK);
    assert_int_equal(lrc_queue_flush(busy, WAIT_MS), LRC_OK);

    assert_int_equal(r.n_order, BUSY + 1);
    size_t pos = 0;
    while (r.order[pos] != QUIET_ID)
        pos++;
    /* Items 0..100 ran before the quiet item arrived; it must come next or
     * nearly so, not after the remaining ~900. */
    assert_true(pos >= PAUSE_AT + 1);
    assert_true(pos <= PAUSE_AT + 3);
    lrc_queue_unref(busy);
    lrc_queue_unref(quiet);
    lrc_scheduler_free(s);
    rec_destroy(&r);
    gate_destroy(&g);
}

static void test_two_busy_queues_interleave(void **state)
{
    (void)state;
    enum { PER_QUEUE = 300, B_BASE = 1000 };
    lrc_scheduler *s = make_sched(1, 1024, "t-interleave");
    lrc_queue *blocker = make_queue(s, 0);
    lrc_queue *qa = make_queue(s, 0);
    lrc_queue *qb = make_queue(s, 0);
    gate g;
    gate_init(&g);
    rec r;
    rec_init(&r, B_BASE + PER_QUEUE, s);
    assert_int_equal(lrc_queue_push(blocker, gate_run, NULL, &g, NULL, false), LRC_OK);
    gate_await(&g, &g.reached);
    /* All of A is older than all of B: oldest-first would run A entirely. */
    for (int i = 0; i < PER_QUEUE; i++)
        assert_int_equal(rec_push(&r, qa, i, false), LRC_OK);
    for (int i = 0; i < PER_QUEUE; i++)
        assert_int_equal(rec_push(&r, qb, B_BASE + i, false), LRC_OK);
    gate_open(&g);
    assert_int_equal(lrc_queue_flush(qa, WAIT_MS), LRC_OK);
    assert_int_equal(lrc_queue_flush(qb, WAIT_MS), LRC_OK);

    assert_int_equal(r.n_order, 2 * PER_QUEUE);
    int from_b = 0;
    for (int i = 0; i < 100; i++)
        from_b += r.order[i] >= B_BASE;
    assert_true(from_b >= 40 && from_b <= 60);
    lrc_queue_unref(blocker);
    lrc_queue_unref(qa);
    lrc_queue_unref(qb);
    lrc_scheduler_free(s);
    rec_destroy(&r);
    gate_destroy(&g);
}

/* ---- 49: concurrency across queues, serial within one --------------------- */

typedef struct rendezvous {
    pthread_mutex_t m;
    pthread_cond_t c;
    int arrived;
    int64_t wait_ms;
    int met; /* callbacks that saw everyone arrive */
} rendezvous;

static void rendezvous_run(void *item, void *ctx)
{
    (void)ctx;
    rendezvous *z = item;
    pthread_mutex_lock(&z->m);
    z->arrived++;
    pthread_cond_broadcast(&z->c);
    struct timespec dl = deadline_in(z->wait_ms);
    while (z->arrived < 2)
        if (pthread_cond_timedwait(&z->c, &z->m, &dl) == ETIMEDOUT)
            break;
    if (z->arrived >= 2)
        z->met++;
    pthread_mutex_unlock(&z->m);
}

static void rendezvous_init(rendezvous *z, int64_t wait_ms)
{
    memset(z, 0, sizeof *z);
    pthread_mutex_init(&z->m, NULL);
    pthread_cond_init(&z->c, NULL);
    z->wait_ms = wait_ms;
}

static void rendezvous_destroy(rendezvous *z)
{
    pthread_cond_destroy(&z->c);
    pthread_mutex_destroy(&z->m);
}

static void test_two_workers_run_queues_concurrently(void **state)
{
    (void)state;
    lrc_scheduler *s = make_sched(2, 1024, "t-concurrent");
    lrc_queue *qa = make_queue(s, 0);
    lrc_queue *qb = make_queue(s, 0);
    rendezvous z;
    rendezvous_init(&z, WAIT_MS);
    /* Each callback waits for the other: serialised, both would time out. */
    assert_int_equal(lrc_queue_push(qa, rendezvous_run, NULL, &z, NULL, false), LRC_OK);
    assert_int_equal(lrc_queue_push(qb, rendezvous_run, NULL, &z, NULL, false), LRC_OK);
    assert_int_equal(lrc_queue_flush(qa, WAIT_MS), LRC_OK);
    assert_int_equal(lrc_queue_flush(qb, WAIT_MS), LRC_OK);
    assert_int_equal(z.met, 2);
    rendezvous_destroy(&z);

    /* The same two items on ONE queue must not meet: the first gives up
     * after a short wait, then the second runs and finds it arrived. */
    rendezvous_init(&z, 300);
    assert_int_equal(lrc_queue_push(qa, rendezvous_run, NULL, &z, NULL, false), LRC_OK);
    assert_int_equal(lrc_queue_push(qa, rendezvous_run, NULL, &z, NULL, false), LRC_OK);
    assert_int_equal(lrc_queue_flush(qa, WAIT_MS), LRC_OK);
    assert_int_equal(z.arrived, 2);
    assert_int_equal(z.met, 1); /* only the second one */
    rendezvous_destroy(&z);
    lrc_queue_unref(qa);
    lrc_queue_unref(qb);
    lrc_scheduler_free(s);
}

typedef struct overlap {
    atomic_int active;
    atomic_int max_active;
    atomic_int next; /* expected id: FIFO within the queue */
    atomic_bool out_of_order;
} overlap;

static void overlap_run(void *item, void *ctx)
{
    overlap *o = ctx;
    int now = atomic_fetch_add(&o->active, 1) + 1;
    int m = atomic_load(&o->max_active);
    while (now > m && !atomic_compare_exchange_weak(&o->max_active, &m, now)) {
    }
    if (atomic_fetch_add(&o->next, 1) != (int)(intptr_t)item)
        atomic_store(&o->out_of_order, true);
    for (int i = 0; i < 20; i++)
        sched_yield(); /* widen the window an overlap would need */
    atomic_fetch_sub(&o->active, 1);
}

static void test_one_queue_never_runs_concurrently(void **state)
{
    (void)state;
    enum { N = 400 };
    lrc_scheduler *s = make_sched(4, 1024, "t-serial");
    lrc_queue *qc = make_queue(s, 0);
    lrc_queue *qd = make_queue(s, 0);
    overlap oc = {0}, od = {0};
    /* first C alone (three idle workers that must not help), then C and D */
    for (int i = 0; i < N; i++)
        assert_int_equal(lrc_queue_push(qc, overlap_run, NULL, (void *)(intptr_t)i, &oc, false),
                         LRC_OK);
    for (int i = 0; i < N; i++)
        assert_int_equal(lrc_queue_push(qd, overlap_run, NULL, (void *)(intptr_t)i, &od, false),
                         LRC_OK);
    assert_int_equal(lrc_queue_flush(qc, WAIT_MS), LRC_OK);
    assert_int_equal(lrc_queue_flush(qd, WAIT_MS), LRC_OK);
    assert_int_equal(atomic_load(&oc.next), N);
    assert_int_equal(atomic_load(&od.next), N);
    assert_int_equal(atomic_load(&oc.max_active), 1);
    assert_int_equal(atomic_load(&od.max_active), 1);
    assert_false(atomic_load(&oc.out_of_order));
    assert_false(atomic_load(&od.out_of_order));
    lrc_queue_unref(qc);
    lrc_queue_unref(qd);
    lrc_scheduler_free(s);
}

/* ---- lifetime ---------------------------------------------------------------- */

static void test_unref_discards_pending(void **state)
{
    (void)state;
    lrc_scheduler *s = make_sched(1, 1024, "t-unref");
    lrc_queue *q1 = make_queue(s, 0);
    lrc_queue *q2 = make_queue(s, 0);
    gate g;
    gate_init(&g);
    rec r;
    rec_init(&r, 32, s);
    assert_int_equal(lrc_queue_push(q1, gate_run, NULL, &g, NULL, false), LRC_OK);
    gate_await(&g, &g.reached);
    for (int i = 0; i < 5; i++)
        assert_int_equal(rec_push(&r, q1, i, i == 4), LRC_OK);
    for (int i = 10; i < 20; i++)
        assert_int_equal(rec_push(&r, q2, i, false), LRC_OK);

    /* An extra reference keeps the queue and its items. */
    assert_ptr_equal(lrc_queue_ref(q2), q2);
    lrc_queue_unref(q2);
    assert_int_equal(r.n_drops, 0);
    lrc_queue_unref(q2); /* the last one: discards synchronously, terminal too */
    assert_int_equal(r.n_drops, 10);

    lrc_queue_unref(q1); /* while its gate item runs */
    assert_int_equal(r.n_drops, 15);
    pthread_mutex_lock(&g.m);
    assert_false(g.finished); /* the running item was not disturbed */
    pthread_mutex_unlock(&g.m);
    gate_open(&g);
    gate_await(&g, &g.finished); /* the worker frees q1 after this returns */

    assert_int_equal(r.n_order, 0);
    assert_exactly_once(&r, 5);
    lrc_queue_stats st;
    lrc_scheduler_get_stats(s, &st); /* released queues still count */
    assert_int_equal(st.received, 16);
    assert_int_equal(st.processed, 1);
    assert_int_equal(st.discarded, 15);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(st.length, 0);
    lrc_scheduler_free(s);
    rec_destroy(&r);
    gate_destroy(&g);
}

typedef struct freer {
    lrc_scheduler *s;
    gate *g;
    bool gate_finished_before_return;
} freer;

static void *freer_main(void *arg)
{
    freer *f = arg;
    lrc_scheduler_free(f->s);
    pthread_mutex_lock(&f->g->m);
    f->gate_finished_before_return = f->g->finished;
    pthread_mutex_unlock(&f->g->m);
    return NULL;
}

static void test_free_waits_discards_and_closes(void **state)
{
    (void)state;
    lrc_scheduler *s = make_sched(1, 1024, "t-free");
    lrc_queue *q = make_queue(s, 0);
    lrc_queue *probe = make_queue(s, 0);
    gate g;
    gate_init(&g);
    rec r;
    rec_init(&r, 100000, s);
    assert_int_equal(lrc_queue_push(q, gate_run, NULL, &g, NULL, false), LRC_OK);
    gate_await(&g, &g.reached);
    for (int i = 0; i < 5; i++)
        assert_int_equal(rec_push(&r, q, i, false), LRC_OK);

    freer f = {s, &g, false};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, freer_main, &f), 0);
    /* Wait (bounded) until the free has closed the scheduler: pushes fail. */
    int id = 100, rc = LRC_OK;
    double until = mono_s() + WAIT_MS / 1000.0;
    while ((rc = rec_push(&r, probe, id, false)) == LRC_OK && mono_s() < until) {
        id++;
        sleep_ms(1);
    }
    assert_int_equal(rc, LRC_ECLOSED);
    gate_open(&g);
    pthread_join(t, NULL);
    assert_true(f.gate_finished_before_return); /* free waited for it */
    assert_false(g.timed_out);

    /* Queued items were discarded, never run; the probes that got in too. */
    assert_int_equal(r.n_order, 0);
    assert_exactly_once(&r, 5);
    for (int i = 100; i < id; i++)
        assert_int_equal(r.discards[i], 1);
    size_t drops = r.n_drops;

    /* The queues are dead but valid until released. */
    assert_int_equal(rec_push(&r, q, 99, false), LRC_ECLOSED);
    assert_int_equal(r.n_drops, drops); /* nothing called on ECLOSED */
    assert_int_equal(r.discards[99], 0);
    assert_int_equal(lrc_queue_flush(q, 0), LRC_OK);
    lrc_queue_stats st;
    lrc_queue_get_stats(q, &st);
    assert_int_equal(st.received, 6);
    assert_int_equal(st.processed, 1);
    assert_int_equal(st.discarded, 5);
    assert_int_equal(st.length, 0);
    assert_stats_consistent(&st);
    lrc_queue_unref(q);
    lrc_queue_unref(probe); /* the last reference frees the scheduler's memory */
    rec_destroy(&r);
    gate_destroy(&g);
}

/* ---- the default scheduler --------------------------------------------------- */

typedef struct on_default {
    bool on_worker;
    char thread_name[16];
} on_default;

static void on_default_run(void *item, void *ctx)
{
    (void)ctx;
    on_default *d = item;
    d->on_worker = lrc_scheduler_on_worker(lrc_scheduler_default());
    pthread_getname_np(pthread_self(), d->thread_name, sizeof d->thread_name);
}

static void *get_default(void *arg)
{
    (void)arg;
    return lrc_scheduler_default();
}

static void test_default_scheduler(void **state)
{
    (void)state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, get_default, NULL), 0);
    lrc_scheduler *d = lrc_scheduler_default();
    void *other = NULL;
    pthread_join(t, &other);
    assert_non_null(d);
    assert_ptr_equal(d, other);
    assert_ptr_equal(d, lrc_scheduler_default());

    lrc_queue *q = make_queue(d, 0);
    on_default od = {0};
    assert_int_equal(lrc_queue_push(q, on_default_run, NULL, &od, NULL, false), LRC_OK);
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    assert_true(od.on_worker);
    assert_string_equal(od.thread_name, "lrc-default-0");

    /* Freeing it is refused (logged) and it keeps working. */
    capture_logs("default scheduler");
    lrc_scheduler_free(d);
    pthread_mutex_lock(&cap_log.m);
    assert_int_equal(cap_log.errors, 1);
    pthread_mutex_unlock(&cap_log.m);
    stop_capture();
    od.on_worker = false;
    assert_int_equal(lrc_queue_push(q, on_default_run, NULL, &od, NULL, false), LRC_OK);
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    assert_true(od.on_worker);
    lrc_queue_unref(q);
}

static void name_run(void *item, void *ctx)
{
    (void)ctx;
    pthread_getname_np(pthread_self(), item, 16);
}

static void test_thread_names(void **state)
{
    (void)state;
    char name[16] = "";
    lrc_scheduler *s = make_sched(1, 16, "a-very-long-scheduler-name");
    lrc_queue *q = make_queue(s, 0);
    assert_int_equal(lrc_queue_push(q, name_run, NULL, name, NULL, false), LRC_OK);
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    assert_string_equal(name, "a-very-long-s-0"); /* 15 chars, suffix kept */
    lrc_queue_unref(q);
    lrc_scheduler_free(s);

    s = make_sched(1, 16, NULL);
    q = make_queue(s, 0);
    assert_int_equal(lrc_queue_push(q, name_run, NULL, name, NULL, false), LRC_OK);
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    assert_int_equal(strncmp(name, "lrc-sched-", 10), 0);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
}

/* ---- flush ------------------------------------------------------------------------ */

typedef struct self_flush {
    lrc_queue *q;
    int rc;
} self_flush;

static void self_flush_run(void *item, void *ctx)
{
    (void)ctx;
    self_flush *f = item;
    f->rc = lrc_queue_flush(f->q, 0);
}

static void test_flush_timeout_and_worker_misuse(void **state)
{
    (void)state;
    lrc_scheduler *s = make_sched(1, 16, "t-flush");
    lrc_queue *q = make_queue(s, 0);
    gate g;
    gate_init(&g);
    rec r;
    rec_init(&r, 8, s);
    assert_int_equal(lrc_queue_push(q, gate_run, NULL, &g, NULL, false), LRC_OK);
    gate_await(&g, &g.reached);
    for (int i = 0; i < 3; i++)
        assert_int_equal(rec_push(&r, q, i, false), LRC_OK);
    assert_int_equal(lrc_queue_flush(q, 50), LRC_ETIMEDOUT);
    assert_int_equal(lrc_queue_flush(q, 0), LRC_ETIMEDOUT);

    capture_logs("t-flush");
    self_flush sf = {q, LRC_OK};
    assert_int_equal(lrc_queue_push(q, self_flush_run, NULL, &sf, NULL, false), LRC_OK);
    gate_open(&g);
    assert_int_equal(lrc_queue_flush(q, -1), LRC_OK);
    assert_int_equal(r.n_order, 3);
    assert_int_equal(sf.rc, LRC_ESTATE);
    pthread_mutex_lock(&cap_log.m);
    assert_int_equal(cap_log.errors, 1);
    pthread_mutex_unlock(&cap_log.m);
    stop_capture();
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
    rec_destroy(&r);
    gate_destroy(&g);
}

/* ---- counters under load ------------------------------------------------------------ */

typedef struct loader {
    rec *r;
    lrc_queue **qs;
    int base, n;
    int failures; /* cmocka assertions are for the test's own thread */
} loader;

static void *loader_main(void *arg)
{
    loader *l = arg;
    for (int i = 0; i < l->n; i++) {
        int id = l->base + i;
        /* every 7th item terminal, spread over three queues */
        if (rec_push(l->r, l->qs[id % 3], id, id % 7 == 0) != LRC_OK)
            l->failures++;
    }
    return NULL;
}

static void test_stats_add_up(void **state)
{
    (void)state;
    enum { PER_THREAD = 3000 };
    lrc_scheduler *s = make_sched(2, 8, "t-stats");
    lrc_queue *qs[3] = {make_queue(s, 0), make_queue(s, 4), make_queue(s, 0)};
    rec r;
    rec_init(&r, 2 * PER_THREAD, NULL);
    loader la = {&r, qs, 0, PER_THREAD, 0}, lb = {&r, qs, PER_THREAD, PER_THREAD, 0};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, loader_main, &la), 0);
    assert_int_equal(pthread_create(&tb, NULL, loader_main, &lb), 0);
    /* Sample while everything moves: each snapshot must add up. */
    for (int k = 0; k < 200; k++) {
        lrc_queue_stats st;
        for (int i = 0; i < 3; i++) {
            lrc_queue_get_stats(qs[i], &st);
            assert_stats_consistent(&st);
        }
        lrc_scheduler_get_stats(s, &st);
        assert_stats_consistent(&st);
        sched_yield();
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(la.failures + lb.failures, 0);

    lrc_queue_stats sum = {0};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(lrc_queue_flush(qs[i], WAIT_MS), LRC_OK);
        lrc_queue_stats st;
        lrc_queue_get_stats(qs[i], &st);
        assert_stats_consistent(&st);
        assert_int_equal(st.length, 0);
        sum.received += st.received;
        sum.processed += st.processed;
        sum.dropped += st.dropped;
        sum.capacity += st.capacity;
    }
    assert_int_equal(sum.received, 2 * PER_THREAD);
    assert_int_equal(sum.processed, r.n_order);
    assert_int_equal(sum.dropped, r.n_drops);
    assert_exactly_once(&r, 2 * PER_THREAD);
    for (int id = 0; id < 2 * PER_THREAD; id += 7)
        assert_int_equal(r.runs[id], 1); /* terminal items always run */

    lrc_queue_stats all;
    lrc_scheduler_get_stats(s, &all);
    assert_int_equal(all.received, sum.received);
    assert_int_equal(all.processed, sum.processed);
    assert_int_equal(all.dropped, sum.dropped);
    assert_int_equal(all.capacity, 8 + 4 + 8);
    for (int i = 0; i < 3; i++)
        lrc_queue_unref(qs[i]);
    lrc_scheduler_get_stats(s, &all); /* totals survive the queues */
    assert_int_equal(all.received, sum.received);
    assert_int_equal(all.processed, sum.processed);
    assert_int_equal(all.dropped, sum.dropped);
    assert_int_equal(all.capacity, 0);
    lrc_scheduler_free(s);
    rec_destroy(&r);
}

/* ---- wake-ups: a push signals only sleeping workers ------------------------ */

static void count_run(void *item, void *ctx)
{
    (void)ctx;
    atomic_fetch_add((atomic_int *)item, 1);
}

/* Every push to an idle scheduler must wake a sleeping worker, also while
 * another worker is busy (no signal is owed to an awake worker, but one is
 * to each sleeper): a lost wake-up shows as a flush timing out. */
static void test_sleeping_workers_are_woken(void **state)
{
    (void)state;
    enum { ROUNDS = 400 };
    lrc_scheduler *s = make_sched(4, 1024, "t-wake");
    lrc_queue *qs[4] = {make_queue(s, 0), make_queue(s, 0), make_queue(s, 0), make_queue(s, 0)};
    atomic_int runs;
    atomic_init(&runs, 0);
    for (int i = 0; i < ROUNDS; i++) { /* one at a time: the workers sleep in between */
        assert_int_equal(lrc_queue_push(qs[i % 4], count_run, NULL, &runs, NULL, true), LRC_OK);
        assert_int_equal(lrc_queue_flush(qs[i % 4], WAIT_MS), LRC_OK);
        assert_int_equal(atomic_load(&runs), i + 1);
    }

    /* Worker 1 held in a callback; the others still wake for other queues. */
    gate g;
    gate_init(&g);
    assert_int_equal(lrc_queue_push(qs[0], gate_run, NULL, &g, NULL, true), LRC_OK);
    gate_await(&g, &g.reached);
    for (int i = 0; i < ROUNDS; i++) {
        lrc_queue *q = qs[1 + i % 3];
        assert_int_equal(lrc_queue_push(q, count_run, NULL, &runs, NULL, true), LRC_OK);
        assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    }
    assert_int_equal(atomic_load(&runs), 2 * ROUNDS);
    gate_open(&g);
    assert_int_equal(lrc_queue_flush(qs[0], WAIT_MS), LRC_OK);
    assert_false(g.timed_out);
    for (int i = 0; i < 4; i++)
        lrc_queue_unref(qs[i]);
    lrc_scheduler_free(s);
    gate_destroy(&g);
}

/* ---- deferred wakes (lrc_sched_defer_wakes) ----------------------------------- */

/* Waits until n workers of s sleep on the condition variable (a worker
 * that ran an item spins a little first). */
static void await_sleepers(lrc_scheduler *s, unsigned n)
{
    double until = mono_s() + WAIT_MS / 1e3;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        unsigned sleeping = s->sleeping;
        pthread_mutex_unlock(&s->lock);
        if (sleeping == n)
            return;
        assert_true(mono_s() < until);
        sleep_ms(1);
    }
}

/* Between defer and flush a push does not wake the sleeping worker; the
 * flush does: an item that runs before the flush was woken by the push. */
static void test_deferred_wake_runs_after_flush(void **state)
{
    (void)state;
    lrc_scheduler *s = make_sched(1, 1024, "t-defer");
    lrc_queue *q = make_queue(s, 0);
    atomic_int runs;
    atomic_init(&runs, 0);
    await_sleepers(s, 1);
    lrc_sched_defer_wakes();
    lrc_sched_defer_wakes(); /* nested: only the outer flush wakes */
    assert_int_equal(lrc_queue_push(q, count_run, NULL, &runs, NULL, true), LRC_OK);
    assert_int_equal(lrc_queue_push(q, count_run, NULL, &runs, NULL, true), LRC_OK);
    lrc_sched_flush_wakes();
    sleep_ms(100);
    assert_int_equal(atomic_load(&runs), 0);
    lrc_sched_flush_wakes();
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    assert_int_equal(atomic_load(&runs), 2);
    /* and without deferral, a push wakes it again (nothing left owed) */
    await_sleepers(s, 1);
    assert_int_equal(lrc_queue_push(q, count_run, NULL, &runs, NULL, true), LRC_OK);
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    assert_int_equal(atomic_load(&runs), 3);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
}

static void count_discard(void *item, void *ctx)
{
    (void)ctx;
    atomic_fetch_add((atomic_int *)item, 100);
}

/* A deferred wake holds the scheduler: freed before the flush, its memory
 * goes with the flush (a use after free otherwise, for ASan/valgrind). */
static void test_deferred_wake_outlives_scheduler(void **state)
{
    (void)state;
    lrc_scheduler *s = make_sched(1, 1024, "t-defer-free");
    lrc_queue *q = make_queue(s, 0);
    atomic_int n;
    atomic_init(&n, 0);
    lrc_sched_defer_wakes();
    assert_int_equal(lrc_queue_push(q, count_run, count_discard, &n, NULL, true), LRC_OK);
    lrc_queue_unref(q); /* discards the item: nobody will run it */
    assert_int_equal(atomic_load(&n), 100);
    lrc_scheduler_free(s);
    lrc_sched_flush_wakes();
    assert_int_equal(atomic_load(&n), 100);
}

/* ---- the push time an item's run fn sees -------------------------------------- */

typedef struct stamp {
    uint64_t seen;
} stamp;

static void stamp_run(void *item, void *ctx)
{
    (void)ctx;
    ((stamp *)item)->seen = lrc_sched_current_push_ns();
}

static void test_run_sees_its_push_time(void **state)
{
    (void)state;
    lrc_scheduler *s = make_sched(1, 1024, "t-stamp");
    lrc_queue *q = make_queue(s, 0);
    assert_int_equal(lrc_sched_current_push_ns(), 0); /* not a worker */
    gate g;
    gate_init(&g);
    assert_int_equal(lrc_queue_push(q, gate_run, NULL, &g, NULL, true), LRC_OK);
    gate_await(&g, &g.reached); /* the next item waits behind the gate */
    stamp st[2] = {{0}, {0}};
    uint64_t t0 = lrc_sched_now_ns();
    assert_int_equal(lrc_queue_push(q, stamp_run, NULL, &st[0], NULL, true), LRC_OK);
    uint64_t t1 = lrc_sched_now_ns();
    assert_int_equal(lrc_queue_push(q, stamp_run, NULL, &st[1], NULL, true), LRC_OK);
    uint64_t t2 = lrc_sched_now_ns();
    gate_open(&g);
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    /* each item its own stamp, not the time it ran */
    assert_true(st[0].seen >= t0 && st[0].seen <= t1);
    assert_true(st[1].seen >= t1 && st[1].seen <= t2);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
    gate_destroy(&g);
}

int main(void)
{
    pthread_mutex_init(&cap_log.m, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_and_arguments),
        cmocka_unit_test(test_callbacks_run_on_workers_only),
        cmocka_unit_test(test_blocked_callback_does_not_block_push),
        cmocka_unit_test(test_overflow_drops_oldest_non_terminal),
        cmocka_unit_test(test_overflow_warning_rate_limited),
        cmocka_unit_test(test_two_streams_keep_relative_order),
        cmocka_unit_test(test_busy_queue_does_not_starve_quiet_one),
        cmocka_unit_test(test_two_busy_queues_interleave),
        cmocka_unit_test(test_two_workers_run_queues_concurrently),
        cmocka_unit_test(test_one_queue_never_runs_concurrently),
        cmocka_unit_test(test_unref_discards_pending),
        cmocka_unit_test(test_free_waits_discards_and_closes),
        cmocka_unit_test(test_default_scheduler),
        cmocka_unit_test(test_thread_names),
        cmocka_unit_test(test_flush_timeout_and_worker_misuse),
        cmocka_unit_test(test_stats_add_up),
        cmocka_unit_test(test_sleeping_workers_are_woken),
        cmocka_unit_test(test_run_sees_its_push_time),
        cmocka_unit_test(test_deferred_wake_runs_after_flush),
        cmocka_unit_test(test_deferred_wake_outlives_scheduler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
