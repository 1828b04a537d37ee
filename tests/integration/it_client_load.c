/*
 * it_client_load.c - lrc_invoke under load against real demo devices:
 * 100 concurrent invocations from 8 plain threads on 4 devices (one shared
 * lrc_proxy per device, so several threads invoke on one proxy at once),
 * on the default scheduler and on a 4-worker one; and a callback that
 * blocks for 1 s on a 2-worker scheduler not holding up another device's
 * callbacks (with the 1-worker negative control, where it does); and 400
 * invocations that each subscribe a fresh stream, where the device's first
 * events may be lost in Tango/ZeroMQ but every invocation must still get
 * its final. Conformance points 14, 29, 45, 49, 53.
 */
#include "client_rec.h"
#include "it_common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define NDEV 4
#define NTHREADS 8
#define NJOBS 100
#define SLEEP_S 0.05

static const char *g_example; /* argv[2]: lrc-invoke-example (unused here) */

/* ---- group fixture: 4 demo devices for the whole program ----------------- */

static it_dev *g_dev[NDEV];

/* A raw `_lrcEvent` subscription of the test itself (the shim, another
 * DeviceProxy) held from group setup until test_fresh_stream_events. It
 * records what the device pushed, for cross-checks, and it keeps the
 * process subscribed to the event at the ZeroMQ level all along (cppTango
 * keys its event subscriptions by event name per process), so the
 * library's own subscribe/unsubscribe churn (a proxy holds its Tango
 * subscription only while some invocation needs it) never waits on a fresh
 * ZMQ subscription. A fresh one is not effective at once: what the device
 * pushes in the first moments after subscribe_event() returned is lost,
 * with or without this library (the ZMQ "late joiner"). Without this
 * recorder about 1 load run in 5 had an invocation missing its first
 * updates, with it none in 20+ runs. The load tests check the library's
 * concurrency exactly; test_fresh_stream_events checks what lrc_invoke
 * still promises on fresh streams. */
static bool start_wire(it_dev *d)
{
    static const char *const attrs[] = {"_lrcEvent", NULL};
    lrc_error *err = NULL;
    if (lrct_recorder_start(d->p, attrs, &d->rec, &err) != LRC_OK) {
        fprintf(stderr, "wire recorder on %s: %s\n", d->device, lrc_error_message(err));
        lrc_error_free(err);
        return false;
    }
    return true;
}

/* `_lrcEvent` events the wire recorder saw for id. */
static size_t wire_count(it_dev *d, const char *id)
{
    size_t n = 0, k = 0;
    const lrct_event **ev = lrct_recorder_snapshot(d->rec, 0, &n);
    for (size_t i = 0; i < n; i++)
        if (lrct_lrc_event(ev[i], id, NULL))
            k++;
    free(ev);
    return k;
}

static int group_setup(void **state)
{
    (void)state;
    static const char *const props[] = {"MaxExecutingTasks=4", NULL};
    for (int i = 0; i < NDEV; i++) {
        void *ds = NULL;
        if (it_setup(&ds) != 0)
            return -1;
        g_dev[i] = ds;
        if (!it_dev_start(g_dev[i], "cload", props))
            return -1;
        if (!start_wire(g_dev[i]))
            return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = 0;
    for (int i = 0; i < NDEV; i++) {
        void *ds = g_dev[i];
        if (ds && it_teardown(&ds) != 0)
            rc = -1; /* a server that did not end cleanly fails the run */
        g_dev[i] = NULL;
    }
    return rc;
}

static lrc_proxy *open_proxy(int i)
{
    lrc_proxy *p = NULL;
    lrc_error *err = NULL;
    lrc_proxy_options po; /* the streams end with their last use (checked) */
    lrc_proxy_options_init(&po);
    po.linger_ms = 0;
    if (lrc_proxy_open(g_dev[i]->device, &po, &p, &err) != LRC_OK) {
        fprintf(stderr, "lrc_proxy_open %s: %s\n", g_dev[i]->device, lrc_error_message(err));
        lrc_error_free(err);
        fail();
    }
    return p;
}

/* ---- 1a: 100 invocations from 8 threads on 4 devices ------------------------ */

typedef struct job {
    int idx;
    int dev;
    int thread_no;
    bool echo;
    bool self_free; /* invoked with out NULL: frees itself after its final */
    char text[64];
    crec rec;
    lrc_scheduler *expect_sched; /* callbacks must run on its workers */
    bool off_worker;             /* a callback ran elsewhere */
    lrc_subscription *sub;
    int rc;
    char *errtext;
    pthread_t invoker;
    lrc_proxy_stats before, after; /* the proxy's counters around lrc_invoke */
    double t_invoke, t_return;
} job;

typedef struct load {
    lrc_proxy *p[NDEV];
    lrc_scheduler *sched; /* NULL: the default one */
    job jobs[NJOBS];
    pthread_barrier_t start;
} load;

typedef struct worker {
    load *L;
    int no;
} worker;

static void job_cb(const lrc_update *u, void *user)
{
    job *j = user;
    if (!lrc_scheduler_on_worker(j->expect_sched)) {
        pthread_mutex_lock(&j->rec.mu);
        j->off_worker = true;
        pthread_mutex_unlock(&j->rec.mu);
    }
    crec_cb(u, &j->rec);
}

/* Thread t makes invocations t, t+8, t+16, ...; its k-th one goes to device
 * (t + k) % 4, so every thread uses every proxy and every proxy is used by
 * every thread, 25 invocations per device (at most 4 running + 21 queued:
 * under the device's 32-queued limit). */
static void *invoker(void *arg)
{
    worker *w = arg;
    load *L = w->L;
    pthread_barrier_wait(&L->start);
    for (int i = w->no, k = 0; i < NJOBS; i += NTHREADS, k++) {
        job *j = &L->jobs[i];
        j->invoker = pthread_self();
        lrc_arg a = j->echo ? lrc_arg_string(j->text) : lrc_arg_double(SLEEP_S);
        lrc_invoke_options o;
        lrc_invoke_options_init(&o);
        o.scheduler = L->sched;
        lrc_error *err = NULL;
        lrc_proxy_get_stats(L->p[j->dev], &j->before);
        j->t_invoke = crec_now();
        j->rc = lrc_invoke(L->p[j->dev], j->echo ? "Echo" : "Sleep", &a, job_cb, j, &o,
                           j->self_free ? NULL : &j->sub, &err);
        j->t_return = crec_now();
        lrc_proxy_get_stats(L->p[j->dev], &j->after);
        if (j->rc != LRC_OK) {
            j->errtext = strdup(lrc_error_message(err));
            lrc_error_free(err);
        }
    }
    return NULL;
}

static double g_t0; /* start of the current load run */

static int status_rank(int st)
{
    switch (st) {
    case LRC_STATUS_STAGING: return 0;
    case LRC_STATUS_QUEUED: return 1;
    case LRC_STATUS_IN_PROGRESS: return 2;
    case LRC_STATUS_ABORTED:
    case LRC_STATUS_COMPLETED:
    case LRC_STATUS_REJECTED:
    case LRC_STATUS_FAILED: return 3;
    default: return -1;
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static const char *k_sleep_seq =
    "STAGING | QUEUED | IN_PROGRESS | progress=10 | progress=20 | progress=30 | "
    "progress=40 | progress=50 | progress=60 | progress=70 | progress=80 | "
    "progress=90 | progress=100 | COMPLETED result=[0, \"Sleep done\"] FINAL";

/* Everything one invocation's recorder must show; prints what is wrong. */
#define BAD(...)                                                                                  \
    do {                                                                                          \
        fprintf(stderr, "job %d (%s on dev %d): ", j->idx, cmd, j->dev);                          \
        fprintf(stderr, __VA_ARGS__);                                                             \
        fprintf(stderr, "\n    got: %s\n", seq);                                                  \
        fprintf(stderr,                                                                           \
                "    around lrc_invoke (%.4f..%.4f s): subscribes %llu->%llu, unsubscribes "      \
                "%llu->%llu, streams %u->%u\n",                                                  \
                j->t_invoke - g_t0, j->t_return - g_t0, (unsigned long long)j->before.subscribes, \
                (unsigned long long)j->after.subscribes,                                          \
                (unsigned long long)j->before.unsubscribes,                                       \
                (unsigned long long)j->after.unsubscribes, j->before.streams, j->after.streams);  \
        ok = false;                                                                               \
        goto out;                                                                                 \
    } while (0)

static bool check_job(job *j)
{
    crec *r = &j->rec;
    bool ok = true;
    char *seq = crec_sequence(r);
    const char *cmd = j->echo ? "Echo" : "Sleep";
    if (r->n == 0)
        BAD("no update");
    /* exactly one final, and it is the last update */
    if (r->finals != 1 || !r->u[r->n - 1].final)
        BAD("%zu finals, last final=%d", r->finals, (int)r->u[r->n - 1].final);
    for (size_t i = 0; i + 1 < r->n; i++)
        if (r->u[i].final)
            BAD("update %zu is final but not last", i);
    /* only its own command ID, protocol 2, never on the invoking thread */
    const char *id = j->sub ? lrc_subscription_command_id(j->sub) : r->u[0].command_id;
    char suffix[16];
    snprintf(suffix, sizeof suffix, "_%s", cmd);
    if (!id || !ends_with(id, suffix))
        BAD("command ID %s is not a %s", id ? id : "(null)", cmd);
    for (size_t i = 0; i < r->n; i++) {
        if (!r->u[i].command_id || strcmp(r->u[i].command_id, id) != 0)
            BAD("update %zu carries ID %s, its command is %s", i,
                r->u[i].command_id ? r->u[i].command_id : "(null)", id);
        if (r->u[i].protocol_version != 2)
            BAD("update %zu: protocol %d", i, r->u[i].protocol_version);
        if (pthread_equal(r->u[i].thread, j->invoker))
            BAD("update %zu ran on the invoking thread", i);
        if (r->u[i].has & (LRC_HAS_ERROR | LRC_HAS_UNKNOWN_STATUS | LRC_HAS_EXTRA))
            BAD("unexpected update %zu", i);
    }
    /* a valid sequence: STAGING first, statuses never go backwards, the
     * terminal one last */
    if (!(r->u[0].has & LRC_HAS_STATUS) || r->u[0].status != LRC_STATUS_STAGING)
        BAD("does not start with STAGING");
    int rank = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!(r->u[i].has & LRC_HAS_STATUS))
            continue;
        int now = status_rank(r->u[i].status);
        if (now < rank || now < 0)
            BAD("status went backwards at update %zu", i);
        if (now == 3 && i + 1 != r->n)
            BAD("terminal status before the end");
        rank = now;
    }
    if (rank != 3)
        BAD("no terminal status");
    /* and exactly the sequence the device produces (Echo: its own text) */
    if (j->echo) {
        char want[256];
        snprintf(want, sizeof want,
                 "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"%s\"] FINAL", j->text);
        if (strcmp(seq, want) != 0)
            BAD("not the Echo sequence");
    } else if (strcmp(seq, k_sleep_seq) != 0) {
        BAD("not the Sleep sequence");
    }
    if (r->concurrent)
        BAD("two callbacks of one invocation overlapped");
    if (j->off_worker)
        BAD("a callback ran off the expected scheduler's workers");
out:
    free(seq);
    return ok;
}
#undef BAD

static void run_load(lrc_scheduler *sched, const char *tag)
{
    load *L = calloc(1, sizeof *L);
    assert_non_null(L);
    L->sched = sched;
    for (int d = 0; d < NDEV; d++)
        L->p[d] = open_proxy(d);
    for (int i = 0; i < NJOBS; i++) {
        job *j = &L->jobs[i];
        j->idx = i;
        j->thread_no = i % NTHREADS;
        j->dev = (j->thread_no + i / NTHREADS) % NDEV;
        j->echo = (i / NTHREADS) % 2 == 0; /* each thread alternates, each device mixes */
        j->self_free = i % 5 == 4;
        snprintf(j->text, sizeof j->text, "%s-%d-t%d-d%d", tag, i, j->thread_no, j->dev);
        j->expect_sched = sched ? sched : lrc_scheduler_default();
        crec_init(&j->rec);
    }
    int per_dev[NDEV] = {0};
    bool used[NDEV][NTHREADS] = {{false}};
    for (int i = 0; i < NJOBS; i++) {
        per_dev[L->jobs[i].dev]++;
        used[L->jobs[i].dev][L->jobs[i].thread_no] = true;
    }
    for (int d = 0; d < NDEV; d++) {
        assert_int_equal(per_dev[d], NJOBS / NDEV);
        for (int t = 0; t < NTHREADS; t++)
            assert_true(used[d][t]); /* 53: every proxy shared by all 8 threads */
    }

    pthread_barrier_init(&L->start, NULL, NTHREADS + 1);
    pthread_t th[NTHREADS];
    worker w[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        w[t].L = L;
        w[t].no = t;
        assert_int_equal(pthread_create(&th[t], NULL, invoker, &w[t]), 0);
    }
    double t0 = crec_now();
    g_t0 = t0;
    pthread_barrier_wait(&L->start);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    double t_invoked = crec_now();
    pthread_barrier_destroy(&L->start);

    int failed = 0;
    for (int i = 0; i < NJOBS; i++)
        if (L->jobs[i].rc != LRC_OK) {
            fprintf(stderr, "job %d: lrc_invoke %s: %s (%s)\n", i,
                    L->jobs[i].echo ? "Echo" : "Sleep", lrc_strerror(L->jobs[i].rc),
                    L->jobs[i].errtext ? L->jobs[i].errtext : "");
            failed++;
        }
    assert_int_equal(failed, 0);

    double deadline = crec_now() + 60;
    int missing = 0;
    for (int i = 0; i < NJOBS; i++) {
        job *j = &L->jobs[i];
        double left = deadline - crec_now();
        if (!crec_wait_finals(&j->rec, 1, left > 0 ? left : 0)) {
            char *seq = crec_sequence(&j->rec);
            fprintf(stderr,
                    "job %d (%s by thread %d on dev %d, %s): no final within 60 s: %s\n"
                    "    around lrc_invoke (%.4f..%.4f s): subscribes %llu->%llu, "
                    "unsubscribes %llu->%llu, streams %u->%u\n",
                    i, j->echo ? "Echo" : "Sleep", j->thread_no, j->dev,
                    j->sub ? lrc_subscription_command_id(j->sub) : "no handle", seq,
                    j->t_invoke - t0, j->t_return - t0, (unsigned long long)j->before.subscribes,
                    (unsigned long long)j->after.subscribes,
                    (unsigned long long)j->before.unsubscribes,
                    (unsigned long long)j->after.unsubscribes, j->before.streams,
                    j->after.streams);
            free(seq);
            missing++;
        }
    }
    for (int d = 0; d < NDEV; d++) {
        lrc_proxy_stats st;
        lrc_proxy_get_stats(L->p[d], &st);
        fprintf(stderr, "load[%s]: dev %d: %llu subscribes, %llu unsubscribes, %llu events\n", tag,
                d, (unsigned long long)st.subscribes, (unsigned long long)st.unsubscribes,
                (unsigned long long)st.events);
    }
    if (missing)
        fail_msg("%d of %d invocations got no final update", missing, NJOBS);
    double t_done = crec_now();

    /* the final has been delivered: nothing more may come. A barrier per
     * device (an Echo to its end on the same proxy and scheduler queue)
     * makes sure no late update is still on its way. */
    for (int d = 0; d < NDEV; d++) {
        crec b;
        crec_init(&b);
        lrc_arg a = lrc_arg_string("barrier");
        lrc_invoke_options o;
        lrc_invoke_options_init(&o);
        o.scheduler = sched;
        lrc_error *err = NULL;
        assert_int_equal(lrc_invoke(L->p[d], "Echo", &a, crec_cb, &b, &o, NULL, &err), LRC_OK);
        assert_true(crec_wait_finals(&b, 1, 20));
        crec_clear(&b);
    }

    int bad = 0;
    for (int i = 0; i < NJOBS; i++)
        if (!check_job(&L->jobs[i]))
            bad++;
    if (bad)
        fail_msg("%d of %d invocations did not see exactly their own valid sequence", bad, NJOBS);
    char *ids[NJOBS];
    for (int i = 0; i < NJOBS; i++)
        ids[i] = L->jobs[i].rec.u[0].command_id;
    /* each update is one `_lrcEvent` the device pushed for that command
     * (v2: one callback per event), none missed, none invented */
    for (int i = 0; i < NJOBS; i++) {
        size_t pushed = wire_count(g_dev[L->jobs[i].dev], ids[i]);
        if (pushed != L->jobs[i].rec.n)
            fail_msg("job %d (%s): the device pushed %zu events, the callback saw %zu", i,
                     ids[i], pushed, L->jobs[i].rec.n);
    }
    for (int i = 0; i < NJOBS; i++) /* 29: all different commands */
        for (int k = i + 1; k < NJOBS; k++)
            if (strcmp(ids[i], ids[k]) == 0)
                fail_msg("jobs %d and %d share the ID %s", i, k, ids[i]);

    for (int d = 0; d < NDEV; d++) {
        lrc_proxy_stats st;
        lrc_proxy_get_stats(L->p[d], &st);
        /* 25 + the barrier */
        assert_int_equal(st.invocations, NJOBS / NDEV + 1);
        assert_int_equal(st.streams, 0);
        assert_int_equal(st.subscribes, st.unsubscribes);
    }
    size_t threads_seen = 0;
    pthread_t seen[64];
    for (int i = 0; i < NJOBS; i++)
        for (size_t k = 0; k < L->jobs[i].rec.n; k++) {
            bool known = false;
            for (size_t s = 0; s < threads_seen; s++)
                if (pthread_equal(seen[s], L->jobs[i].rec.u[k].thread))
                    known = true;
            if (!known && threads_seen < 64)
                seen[threads_seen++] = L->jobs[i].rec.u[k].thread;
        }
    if (!sched)
        assert_int_equal(threads_seen, 1); /* the default scheduler: one worker */
    else
        assert_true(threads_seen >= 1 && threads_seen <= 4);
    fprintf(stderr,
            "load[%s]: 100 lrc_invoke returned after %.2f s, all finals after %.2f s; "
            "callbacks ran on %zu thread(s)\n",
            tag, t_invoked - t0, t_done - t0, threads_seen);

    for (int i = 0; i < NJOBS; i++) {
        lrc_subscription_free(L->jobs[i].sub);
        L->jobs[i].sub = NULL;
        free(L->jobs[i].errtext);
        crec_clear(&L->jobs[i].rec);
    }
    for (int d = 0; d < NDEV; d++) {
        lrc_proxy_stats st;
        lrc_proxy_get_stats(L->p[d], &st);
        assert_int_equal(st.streams, 0);
        lrc_proxy_close(L->p[d]);
    }
    free(L);
}

/* 1a, 29, 53: on the default scheduler (one worker). */
static void test_load_default_scheduler(void **state)
{
    (void)state;
    run_load(NULL, "dflt");
}

/* 1a, 29, 49, 53: on a 4-worker scheduler: callbacks of different devices
 * may run at once, those of one invocation never. */
static void test_load_four_workers(void **state)
{
    (void)state;
    lrc_scheduler_options so;
    lrc_scheduler_options_init(&so);
    so.thread_count = 4;
    so.name = "load4";
    lrc_scheduler *s = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_scheduler_new(&so, &s, &err), LRC_OK);
    run_load(s, "four");
    lrc_scheduler_free(s);
}

/* ---- 1b: a blocking callback and another device ------------------------------ */

typedef struct blocker {
    crec rec;
    double block_s;         /* > 0: the first callback blocks this long */
    bool block_started;     /* under rec.mu */
    bool in_block;          /* under rec.mu */
    double block_start, block_end;
    pthread_t block_thread;
    struct blocker *other;  /* B: A, sampled at B's final */
    bool other_blocked_at_final;
    double final_at;
} blocker;

static void sleep_for(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static void block_cb(const lrc_update *u, void *user)
{
    blocker *b = user;
    bool do_block = false;
    pthread_mutex_lock(&b->rec.mu);
    if (b->block_s > 0 && !b->block_started) {
        b->block_started = true;
        b->in_block = true;
        b->block_start = crec_now();
        b->block_thread = pthread_self();
        do_block = true;
        pthread_cond_broadcast(&b->rec.cv);
    }
    pthread_mutex_unlock(&b->rec.mu);
    if (do_block) {
        sleep_for(b->block_s); /* the slow callback under test */
        pthread_mutex_lock(&b->rec.mu);
        b->in_block = false;
        b->block_end = crec_now();
        pthread_mutex_unlock(&b->rec.mu);
    }
    if (u->final && b->other) {
        pthread_mutex_lock(&b->other->rec.mu);
        b->other_blocked_at_final = b->other->in_block;
        pthread_mutex_unlock(&b->other->rec.mu);
        b->final_at = crec_now();
    }
    crec_cb(u, &b->rec);
}

static bool block_started(void *arg) { return ((blocker *)arg)->block_started; }

/* Runs Echo(text) on p through scheduler s to its end (warm-up: caches the
 * signature so the measured call is a plain command). */
static void warm_up(lrc_proxy *p, lrc_scheduler *s)
{
    crec r;
    crec_init(&r);
    lrc_arg a = lrc_arg_string("warm-up");
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.scheduler = s;
    lrc_error *err = NULL;
    assert_int_equal(lrc_invoke(p, "Echo", &a, crec_cb, &r, &o, NULL, &err), LRC_OK);
    assert_true(crec_wait_finals(&r, 1, 20));
    crec_clear(&r);
}

/* A's first callback blocks 1 s; B's Echo is invoked once A is blocked.
 * Returns through *a and *b (the caller checks). */
static void run_blocking(unsigned workers, blocker *a, blocker *b)
{
    lrc_scheduler_options so;
    lrc_scheduler_options_init(&so);
    so.thread_count = workers;
    lrc_scheduler *s = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_scheduler_new(&so, &s, &err), LRC_OK);
    lrc_proxy *pa = open_proxy(0), *pb = open_proxy(1);
    /* streams connected and signatures cached: B's invocation is quick */
    assert_int_equal(lrc_connect_interface(pa, s, &err), LRC_OK);
    assert_int_equal(lrc_connect_interface(pb, s, &err), LRC_OK);
    warm_up(pa, s);
    warm_up(pb, s);

    memset(a, 0, sizeof *a);
    memset(b, 0, sizeof *b);
    crec_init(&a->rec);
    crec_init(&b->rec);
    a->block_s = 1.0;
    b->other = a;
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.scheduler = s;
    lrc_subscription *sa = NULL, *sb = NULL;
    lrc_arg ea = lrc_arg_string("A"), eb = lrc_arg_string("B");
    assert_int_equal(lrc_invoke(pa, "Echo", &ea, block_cb, a, &o, &sa, &err), LRC_OK);
    assert_true(it_wait_cond(&a->rec.mu, &a->rec.cv, block_started, a, 10));
    double t_b = crec_now();
    assert_int_equal(lrc_invoke(pb, "Echo", &eb, block_cb, b, &o, &sb, &err), LRC_OK);
    assert_true(crec_wait_finals(&b->rec, 1, 10));
    assert_true(crec_wait_finals(&a->rec, 1, 10));
    fprintf(stderr,
            "blocking[%u worker(s)]: B invoked %.3f s after A blocked; B final %.3f s after A "
            "blocked (A blocked %.3f s; A still blocked then: %s)\n",
            workers, t_b - a->block_start, b->final_at - a->block_start,
            a->block_end - a->block_start, b->other_blocked_at_final ? "yes" : "no");

    /* A got all its updates in order afterwards, none overlapping */
    char *qa = crec_sequence(&a->rec), *qb = crec_sequence(&b->rec);
    assert_string_equal(qa, "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"A\"] FINAL");
    assert_string_equal(qb, "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"B\"] FINAL");
    assert_false(a->rec.concurrent);
    assert_false(b->rec.concurrent);
    assert_true(a->block_end - a->block_start >= 0.99);
    for (size_t i = 0; i < a->rec.n; i++) {
        assert_true(a->rec.u[i].at >= a->block_end); /* recorded after the block */
        assert_string_equal(a->rec.u[i].command_id, lrc_subscription_command_id(sa));
    }
    for (size_t i = 0; i < b->rec.n; i++)
        assert_string_equal(b->rec.u[i].command_id, lrc_subscription_command_id(sb));
    free(qa);
    free(qb);
    lrc_subscription_free(sa);
    lrc_subscription_free(sb);
    assert_int_equal(lrc_disconnect_interface(pa, s), LRC_OK);
    assert_int_equal(lrc_disconnect_interface(pb, s), LRC_OK);
    lrc_proxy_close(pa);
    lrc_proxy_close(pb);
    lrc_scheduler_free(s);
}

/* 1b, 45, 49: on 2 workers B's callbacks run while A's blocks. */
static void test_blocking_callback_two_workers(void **state)
{
    (void)state;
    /* on the heap: after a failed assertion callbacks may still come */
    blocker *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    run_blocking(2, a, b);
    assert_true(b->other_blocked_at_final);
    assert_true(b->final_at < a->block_start + 0.8);
    for (size_t i = 0; i < b->rec.n; i++)
        assert_false(pthread_equal(b->rec.u[i].thread, a->block_thread));
    crec_clear(&a->rec);
    crec_clear(&b->rec);
    free(a);
    free(b);
}

/* The negative control: on 1 worker B's callbacks wait for A's. */
static void test_blocking_callback_one_worker(void **state)
{
    (void)state;
    blocker *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    run_blocking(1, a, b);
    assert_false(b->other_blocked_at_final);
    assert_true(b->final_at >= a->block_end);
    assert_true(b->final_at >= a->block_start + 0.99);
    crec_clear(&a->rec);
    crec_clear(&b->rec);
    free(a);
    free(b);
}

/* ---- fresh streams: the late joiner ------------------------------------------ */

#define FRESH_ROUNDS 100

typedef struct fresh {
    int dev;
    lrc_proxy *p;
    int partial, no_final, bad, not_fresh;
    double slowest; /* s, one lrc_invoke */
    char first_bad[600], first_partial[600];
} fresh;

static void *fresh_run(void *arg)
{
    fresh *f = arg;
    for (int r = 0; r < FRESH_ROUNDS; r++) {
        lrc_proxy_stats st;
        lrc_proxy_get_stats(f->p, &st);
        if (st.streams != 0)
            f->not_fresh++;
        crec *rec = malloc(sizeof *rec);
        crec_init(rec);
        char text[32];
        snprintf(text, sizeof text, "fresh-%d-%d", f->dev, r);
        lrc_arg a = lrc_arg_string(text);
        lrc_error *err = NULL;
        double t = crec_now();
        int rc = lrc_invoke(f->p, "Echo", &a, crec_cb, rec, NULL, NULL, &err);
        t = crec_now() - t;
        if (t > f->slowest)
            f->slowest = t;
        if (rc != LRC_OK) {
            snprintf(f->first_bad, sizeof f->first_bad, "round %d: lrc_invoke: %s", r,
                     lrc_error_message(err));
            lrc_error_free(err);
            f->bad++;
            crec_clear(rec);
            free(rec);
            return NULL;
        }
        bool final = crec_wait_finals(rec, 1, 10);
        char *seq = crec_sequence(rec);
        char result[96];
        snprintf(result, sizeof result, "COMPLETED result=[0, \"%s\"] FINAL", text);
        const char *want[] = {"STAGING", "QUEUED", "IN_PROGRESS", result};
        char full[200];
        snprintf(full, sizeof full, "STAGING | QUEUED | IN_PROGRESS | %s", result);
        if (!final) {
            f->no_final++;
            if (!f->first_bad[0])
                snprintf(f->first_bad, sizeof f->first_bad,
                         "round %d: no final within 10 s, got \"%s\"", r, seq);
        } else if (!crec_ordered_subsequence(seq, want, 4) || rec->finals != 1) {
            f->bad++;
            if (!f->first_bad[0])
                snprintf(f->first_bad, sizeof f->first_bad, "round %d: got \"%s\"", r, seq);
        } else if (strcmp(seq, full) != 0) {
            f->partial++; /* updates lost before the stream took effect */
            if (!f->first_partial[0])
                snprintf(f->first_partial, sizeof f->first_partial,
                         "round %d: \"%s\" (lrc_invoke took %.3f s)", r, seq, t);
        }
        free(seq);
        if (!final)
            continue; /* it may still call back: the recorder is leaked on purpose */
        crec_clear(rec);
        free(rec);
    }
    return NULL;
}

/* What lrc_invoke promises when it makes the Tango subscription itself (no
 * lrc_connect_interface, no other subscriber to the event in the process)
 * and the command runs at once: a fresh ZeroMQ subscription is not
 * effective at the device server at once, and what the device pushes
 * meanwhile is lost (the late joiner; it happens without this library too).
 * An Echo may lose some or all of its events. Every invocation must still
 * get exactly one final, the right one, as its last update, and what it did
 * get must be in order (the library asks the device when a young stream
 * stays silent). 4 devices x 100 fresh-stream Echos in parallel. Runs last:
 * it ends the wire recorders, which would otherwise keep the event
 * channels subscribed. */
static void test_fresh_stream_events(void **state)
{
    (void)state;
    for (int d = 0; d < NDEV; d++)
        lrct_recorder_stop(g_dev[d]->rec); /* no other subscriber any more */
    fresh f[NDEV];
    pthread_t th[NDEV];
    memset(f, 0, sizeof f);
    double t0 = crec_now();
    for (int d = 0; d < NDEV; d++) {
        f[d].dev = d;
        f[d].p = open_proxy(d);
        assert_int_equal(pthread_create(&th[d], NULL, fresh_run, &f[d]), 0);
    }
    int partial = 0, no_final = 0, bad = 0, not_fresh = 0;
    double slowest = 0;
    for (int d = 0; d < NDEV; d++) {
        pthread_join(th[d], NULL);
        partial += f[d].partial;
        no_final += f[d].no_final;
        bad += f[d].bad;
        not_fresh += f[d].not_fresh;
        if (f[d].slowest > slowest)
            slowest = f[d].slowest;
        if (f[d].first_bad[0])
            fprintf(stderr, "fresh: dev %d: FIRST FAILURE %s\n", d, f[d].first_bad);
        if (f[d].first_partial[0])
            fprintf(stderr, "fresh: dev %d: %d with lost updates, first %s\n", d, f[d].partial,
                    f[d].first_partial);
    }
    fprintf(stderr,
            "fresh: %d Echos on fresh streams in %.1f s (slowest lrc_invoke %.3f s): %d lost "
            "some updates but got their final, %d never got a final, %d wrong; %d invoked "
            "while a stream was still up\n",
            NDEV * FRESH_ROUNDS, crec_now() - t0, slowest, partial, no_final, bad, not_fresh);
    assert_int_equal(no_final, 0);
    assert_int_equal(bad, 0);
    for (int d = 0; d < NDEV; d++)
        lrc_proxy_close(f[d].p);
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    if (argc < 3) {
        fprintf(stderr, "usage: %s <lrc-demo-device> <lrc-invoke-example>\n", argv[0]);
        return 2;
    }
    g_example = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_default_scheduler),
        cmocka_unit_test(test_load_four_workers),
        cmocka_unit_test(test_blocking_callback_two_workers),
        cmocka_unit_test(test_blocking_callback_one_worker),
        cmocka_unit_test(test_fresh_stream_events), /* last: ends the wire recorders */
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
