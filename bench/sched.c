/*
 * sched.c - lrc-bench-sched: what the callback scheduler costs per event
 * and how it shares its workers (issue 11, goal 6).
 *
 *   lrc-bench-sched [--quick] [--steady sched.latency_e2e --seconds S] [DEVICE...]
 *
 * In-process (no Tango: a producer thread pushes through lrc_queue_push,
 * the call the stream router makes on the Tango event thread):
 *   sched.latency_inproc      push -> run start, one event at a time, the
 *                             worker asleep between events (wake-up included)
 *   sched.latency_inproc_busy the same while the worker is kept busy by a
 *                             second stream (no wake-up needed)
 *   sched.push_cost           time inside lrc_queue_push (the Tango thread's share)
 *   sched.events_per_s.wN     throughput with N = 1, 2, 4 workers, 8 queues,
 *                             callbacks that do nothing (the scheduler alone)
 *   sched.events_per_s.work5.wN the same with callbacks of 5 us (user work)
 *   sched.quiet_idle          a quiet queue's latency, nothing else queued
 *   sched.quiet_while_flood   the same while another queue floods the worker
 *   sched.quiet_ratio         median while flood / median idle (goal <= 2)
 *   sched.drops               overflow drops of the flooded queue (only
 *                             progress: its items are non-terminal) and of
 *                             the quiet one (must be 0)
 * End to end, when a demo device (examples/demo-device, Sleep) is named:
 *   sched.latency_e2e         push in the Tango callback -> the user's
 *                             callback start, for every update of Sleep LRCs
 * The machine's floor for 6a, measured just before and just after it:
 *   sched.handoff_condvar     wake a thread asleep on a condition variable
 *                             (what the scheduler's workers sleep on)
 *   sched.handoff_futex       the same on a bare futex
 *   sched.handoff_*_spaced    both again with the events' own median gap
 *                             (sched.e2e_gap): a long-idle virtual CPU wakes
 *                             more slowly, so this is the floor 6a meets
 *   sched.idle_cpu            CPU while the scheduler idles after work
 *
 * --steady: only the end-to-end loop, for S seconds after a warm-up, for a
 * profiler (steady.h).
 *
 * Prints one JSON object per line (bench_out.h). Timings are what this
 * machine did in this run; compare ratios, not absolute numbers.
 */
#define _GNU_SOURCE

#include "bench_out.h"
#include "steady.h"
#include "core/scheduler_internal.h"
#include "lrc/client.h"
#include "lrc/arg.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static bool quick;

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static lrc_scheduler *new_sched(unsigned workers, size_t capacity)
{
    lrc_scheduler_options o;
    lrc_scheduler_options_init(&o);
    o.thread_count = workers;
    o.name = "bench";
    if (capacity)
        o.queue_capacity = capacity;
    lrc_scheduler *s = NULL;
    lrc_error *err = NULL;
    if (lrc_scheduler_new(&o, &s, &err) != LRC_OK) {
        fprintf(stderr, "lrc-bench-sched: %s\n", lrc_error_message(err));
        exit(1);
    }
    return s;
}

static lrc_queue *new_queue(lrc_scheduler *s, size_t capacity)
{
    lrc_queue *q = NULL;
    if (lrc_queue_new(s, capacity, &q, NULL) != LRC_OK) {
        fprintf(stderr, "lrc-bench-sched: lrc_queue_new failed\n");
        exit(1);
    }
    return q;
}

/* ---- latency recording ------------------------------------------------------ */

/* Latencies (us) recorded on a worker; read after a flush. */
typedef struct recorder {
    pthread_mutex_t mu;
    bench_samples lat;
    atomic_ulong runs;
} recorder;

static void recorder_init(recorder *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

static void recorder_destroy(recorder *r)
{
    bench_samples_free(&r->lat);
    pthread_mutex_destroy(&r->mu);
}

/* An item: its push time is the scheduler's own stamp. */
static void record_run(void *item, void *ctx)
{
    (void)item;
    recorder *r = ctx;
    uint64_t now = lrc_sched_now_ns();
    double us = (double)(now - lrc_sched_current_push_ns()) / 1e3;
    pthread_mutex_lock(&r->mu);
    bench_samples_add(&r->lat, us);
    pthread_mutex_unlock(&r->mu);
    atomic_fetch_add(&r->runs, 1);
}

/* An item that keeps the worker busy ~busy_us, like a callback that does a
 * little work. */
static void busy_run(void *item, void *ctx)
{
    (void)ctx;
    uint64_t until = lrc_sched_now_ns() + (uint64_t)(uintptr_t)item * 1000u;
    while (lrc_sched_now_ns() < until)
        ;
}

/* The cheapest item: counts. */
static void count_run(void *item, void *ctx)
{
    (void)item;
    atomic_fetch_add((atomic_ulong *)ctx, 1);
}

/* Works item (busy_us, as a uintptr_t) microseconds, then counts. */
static void busy_count_run(void *item, void *ctx)
{
    busy_run(item, NULL);
    count_run(NULL, ctx);
}

/* Pushes n recorded events onto q, gap_us apart; *push_cost (if not NULL)
 * gets the time of each lrc_queue_push call. */
static void paced(lrc_queue *q, recorder *r, size_t n, long gap_us, bench_samples *push_cost)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = bench_now_ns();
        lrc_queue_push(q, record_run, NULL, NULL, r, true);
        uint64_t t1 = bench_now_ns();
        if (push_cost)
            bench_samples_add(push_cost, (double)(t1 - t0) / 1e3);
        sleep_us(gap_us);
    }
    lrc_queue_flush(q, -1);
}

/* ---- a flooding producer ----------------------------------------------------- */

typedef struct flood {
    lrc_queue *q;
    atomic_bool stop;
    uintptr_t busy_us; /* per item */
    bool terminal;
    pthread_t thread;
} flood;

static void *flood_main(void *arg)
{
    flood *f = arg;
    while (!atomic_load(&f->stop)) {
        for (int i = 0; i < 64; i++)
            lrc_queue_push(f->q, busy_run, NULL, (void *)f->busy_us, NULL, f->terminal);
        sched_yield(); /* a Tango thread also waits for its socket now and then */
    }
    return NULL;
}

static void flood_start(flood *f, lrc_queue *q, uintptr_t busy_us, bool terminal)
{
    f->q = q;
    f->busy_us = busy_us;
    f->terminal = terminal;
    atomic_init(&f->stop, false);
    pthread_create(&f->thread, NULL, flood_main, f);
}

static void flood_stop(flood *f)
{
    atomic_store(&f->stop, true);
    pthread_join(f->thread, NULL);
    lrc_queue_flush(f->q, -1);
}

/* ---- scenarios ------------------------------------------------------------------ */

static void bench_latency(void)
{
    size_t n = quick ? 2000 : 20000;
    lrc_scheduler *s = new_sched(1, 0);
    lrc_queue *q = new_queue(s, 0);
    recorder r;
    recorder_init(&r);
    bench_samples cost = {0};
    paced(q, &r, n, 100, &cost);
    fprintf(stderr, "latency_inproc: median %.2f us, p90 %.2f, p99 %.2f; push %.2f us\n",
            bench_quantile(&r.lat, 0.5), bench_quantile(&r.lat, 0.9),
            bench_quantile(&r.lat, 0.99), bench_quantile(&cost, 0.5));
    bench_emit_samples("sched.latency_inproc",
                       "push -> callback start, worker idle between events (us)", "us", &r.lat,
                       2000, BENCH_NO_TAG);
    bench_emit_samples("sched.push_cost", "time inside lrc_queue_push (us)", "us", &cost, 2000,
                       BENCH_NO_TAG);
    bench_samples_free(&cost);

    /* Same, with the worker kept awake by another queue's 1 us items. */
    recorder busy;
    recorder_init(&busy);
    lrc_queue *other = new_queue(s, 0);
    flood f;
    flood_start(&f, other, 1, false);
    paced(q, &busy, n, 100, NULL);
    flood_stop(&f);
    fprintf(stderr, "latency_inproc_busy: median %.2f us, p90 %.2f, p99 %.2f\n",
            bench_quantile(&busy.lat, 0.5), bench_quantile(&busy.lat, 0.9),
            bench_quantile(&busy.lat, 0.99));
    bench_emit_samples("sched.latency_inproc_busy",
                       "push -> callback start, worker busy with another queue (us)", "us",
                       &busy.lat, 2000, BENCH_NO_TAG);
    lrc_queue_unref(other);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
    recorder_destroy(&busy);
    recorder_destroy(&r);
}

/* Events/s through 1, 2 and 4 workers from one producer. With callbacks
 * that do nothing (busy_us 0) the scheduler's own cost is all there is, and
 * its one lock, shared by the producer and the workers, decides; with
 * callbacks that work (busy_us > 0) the workers run them in parallel, as far
 * as the machine's cores allow. */
static void bench_throughput(uintptr_t busy_us)
{
    size_t n = busy_us ? (quick ? 5000 : 50000) : (quick ? 100000 : 400000);
    enum { QUEUES = 8, REPS = 3 };
    static const unsigned workers[] = {1, 2, 4};
    for (size_t w = 0; w < sizeof workers / sizeof *workers; w++) {
        bench_samples rate = {0};
        for (int rep = 0; rep < REPS; rep++) {
            lrc_scheduler *s = new_sched(workers[w], n); /* room for all: no drops */
            lrc_queue *q[QUEUES];
            for (int i = 0; i < QUEUES; i++)
                q[i] = new_queue(s, 0);
            atomic_ulong runs;
            atomic_init(&runs, 0);
            uint64_t t0 = bench_now_ns();
            for (size_t i = 0; i < n; i++)
                lrc_queue_push(q[i % QUEUES], busy_us ? busy_count_run : count_run, NULL,
                               (void *)busy_us, &runs, false);
            for (int i = 0; i < QUEUES; i++)
                lrc_queue_flush(q[i], -1);
            double secs = (double)(bench_now_ns() - t0) / 1e9;
            if (atomic_load(&runs) != n)
                fprintf(stderr, "events_per_s: %lu of %zu ran\n", atomic_load(&runs), n);
            bench_samples_add(&rate, (double)n / secs);
            for (int i = 0; i < QUEUES; i++)
                lrc_queue_unref(q[i]);
            lrc_scheduler_free(s);
        }
        char scen[64], label[128];
        if (busy_us) {
            snprintf(scen, sizeof scen, "sched.events_per_s.work%u.w%u", (unsigned)busy_us,
                     workers[w]);
            snprintf(label, sizeof label,
                     "events/s, %u worker(s), 8 queues, 1 producer, callbacks of %u us",
                     workers[w], (unsigned)busy_us);
        } else {
            snprintf(scen, sizeof scen, "sched.events_per_s.w%u", workers[w]);
            snprintf(label, sizeof label, "events/s, %u worker(s), 8 queues, 1 producer",
                     workers[w]);
        }
        fprintf(stderr, "%s: median %.0f\n", scen, bench_quantile(&rate, 0.5));
        /* a line per kind of callback in the plot, against the workers */
        char series[48] = "empty callbacks";
        if (busy_us)
            snprintf(series, sizeof series, "callbacks of %u us", (unsigned)busy_us);
        bench_emit_samples(scen, label, "events/s", &rate, 0, (bench_tag){workers[w], series});
        bench_samples_free(&rate);
    }
}

static void bench_fairness(void)
{
    size_t n = quick ? 1000 : 5000;
    lrc_scheduler *s = new_sched(1, 0); /* the default: one worker */
    lrc_queue *quiet = new_queue(s, 0), *loud = new_queue(s, 0);
    recorder idle, flooded;
    recorder_init(&idle);
    recorder_init(&flooded);
    paced(quiet, &idle, n, 200, NULL);

    flood f;
    flood_start(&f, loud, 2, false); /* progress-like: droppable */
    paced(quiet, &flooded, n, 200, NULL);
    flood_stop(&f);

    lrc_queue_stats qs, ls;
    lrc_queue_get_stats(quiet, &qs);
    lrc_queue_get_stats(loud, &ls);
    double mi = bench_quantile(&idle.lat, 0.5), mf = bench_quantile(&flooded.lat, 0.5);
    fprintf(stderr,
            "quiet: idle median %.2f us, while flood %.2f us (p99 %.2f), ratio %.2f; "
            "flood: %lu pushed, %lu run, %lu dropped; quiet dropped %lu\n",
            mi, mf, bench_quantile(&flooded.lat, 0.99), mf / mi, (unsigned long)ls.received,
            (unsigned long)ls.processed, (unsigned long)ls.dropped, (unsigned long)qs.dropped);
    bench_emit_samples("sched.quiet_idle", "quiet queue latency, nothing else queued (us)", "us",
                       &idle.lat, 2000, BENCH_NO_TAG);
    bench_emit_samples("sched.quiet_while_flood",
                       "quiet queue latency while another queue floods one worker (us)", "us",
                       &flooded.lat, 2000, BENCH_NO_TAG);
    bench_emit_value("sched.quiet_ratio", "median while flood / median idle (goal <= 2)",
                     "ratio", mf / mi, BENCH_NO_TAG);
    bench_emit_value("sched.drops", "overflow drops of the flooding queue (progress only)",
                     "events", (double)ls.dropped, (bench_tag){-1, "flood"});
    bench_emit_value("sched.drops", "overflow drops of the quiet queue (must be 0)", "events",
                     (double)qs.dropped, (bench_tag){-1, "quiet"});
    bench_emit_value("sched.flood_pushed", "events pushed by the flooding producer", "events",
                     (double)ls.received, BENCH_NO_TAG);
    lrc_queue_unref(quiet);
    lrc_queue_unref(loud);
    lrc_scheduler_free(s);
    recorder_destroy(&idle);
    recorder_destroy(&flooded);
}

/* ---- the machine's hand-off floor -------------------------------------------------- */

/* What waking a sleeping thread costs on this machine, without the
 * scheduler: one thread stamps the time and wakes another that sleeps, which
 * records now - stamp. Goal 6a's latency can only be below it when the
 * worker is already awake (spinning). Two ways: a mutex + condition
 * variable (what the scheduler's workers sleep on) and a bare futex. */
typedef struct handoff {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint word; /* futex: 0 nothing, 1 a stamp to take, 2 stop */
    uint64_t stamp;
    bool pending, stop, use_futex;
    bench_samples lat;
} handoff;

static long futex(atomic_uint *addr, int op, unsigned val)
{
    return syscall(SYS_futex, (unsigned *)addr, op, val, NULL, NULL, 0);
}

static void *handoff_main(void *arg)
{
    handoff *h = arg;
    if (h->use_futex) {
        for (;;) {
            unsigned w;
            while ((w = atomic_load(&h->word)) == 0)
                futex(&h->word, FUTEX_WAIT_PRIVATE, 0);
            if (w == 2)
                return NULL;
            uint64_t now = bench_now_ns();
            bench_samples_add(&h->lat, (double)(now - h->stamp) / 1e3);
            atomic_store(&h->word, 0);
        }
    }
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->pending && !h->stop)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->stop)
            break;
        uint64_t now = bench_now_ns();
        bench_samples_add(&h->lat, (double)(now - h->stamp) / 1e3);
        h->pending = false;
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* n hand-offs, gap_us apart (the other thread is asleep by then), appended
 * to *out. */
static void handoff_block(bool use_futex, size_t n, long gap_us, bench_samples *out)
{
    handoff h = {.use_futex = use_futex};
    pthread_mutex_init(&h.mu, NULL);
    pthread_cond_init(&h.cv, NULL);
    atomic_init(&h.word, 0);
    pthread_t t;
    if (pthread_create(&t, NULL, handoff_main, &h) != 0) {
        fprintf(stderr, "lrc-bench-sched: pthread_create failed\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        sleep_us(gap_us);
        if (use_futex) {
            while (atomic_load(&h.word) != 0) /* the previous one not taken yet */
                sleep_us(gap_us);
            h.stamp = bench_now_ns();
            atomic_store(&h.word, 1);
            futex(&h.word, FUTEX_WAKE_PRIVATE, 1);
        } else {
            /* The previous one taken (checked only after the gap: a check
             * right after the signal would hold the mutex the waking thread
             * needs and add a second wake-up to the measure). */
            for (;;) {
                pthread_mutex_lock(&h.mu);
                bool taken = !h.pending;
                pthread_mutex_unlock(&h.mu);
                if (taken)
                    break;
                sleep_us(gap_us);
            }
            pthread_mutex_lock(&h.mu);
            h.stamp = bench_now_ns();
            h.pending = true;
            pthread_mutex_unlock(&h.mu);
            pthread_cond_signal(&h.cv); /* after unlocking, as lrc_queue_push does */
        }
    }
    sleep_us(gap_us);
    if (use_futex) {
        while (atomic_load(&h.word) != 0)
            sleep_us(gap_us);
        atomic_store(&h.word, 2);
        futex(&h.word, FUTEX_WAKE_PRIVATE, 1);
    } else {
        pthread_mutex_lock(&h.mu);
        h.stop = true;
        pthread_mutex_unlock(&h.mu);
        pthread_cond_signal(&h.cv);
    }
    pthread_join(t, NULL);
    for (size_t i = 0; i < h.lat.n; i++)
        bench_samples_add(out, h.lat.v[i]);
    bench_samples_free(&h.lat);
    pthread_cond_destroy(&h.cv);
    pthread_mutex_destroy(&h.mu);
}

/* `rounds` blocks of n hand-offs of each kind, gap_us apart, alternated
 * so that the two see the same load. */
static void handoff_blocks(bench_samples *cv, bench_samples *fx, int rounds, size_t n, long gap_us)
{
    for (int r = 0; r < rounds; r++) {
        handoff_block(false, n, gap_us, cv);
        handoff_block(true, n, gap_us, fx);
    }
}

/* Called before and after the end-to-end run (and on its own without a
 * device), so that the floor and 6a see the same load. */
static void handoff_round(bench_samples *cv, bench_samples *fx)
{
    handoff_blocks(cv, fx, 4, quick ? 50 : 250, 300);
}

/* CPU the process burns while its scheduler idles after some work: the
 * workers' spin must stop (bounded, only right after an item). */
static void bench_idle_cpu(void)
{
    lrc_scheduler *s = new_sched(1, 0);
    lrc_queue *q = new_queue(s, 0);
    atomic_ulong runs;
    atomic_init(&runs, 0);
    for (int i = 0; i < 100; i++)
        lrc_queue_push(q, count_run, NULL, NULL, &runs, false);
    lrc_queue_flush(q, -1);
    double c0 = bench_cpu_s(), t0 = bench_now_ms();
    sleep_us(quick ? 300000 : 1000000);
    double cpu_ms = (bench_cpu_s() - c0) * 1e3, secs = (bench_now_ms() - t0) / 1e3;
    fprintf(stderr, "idle: %.3f ms CPU per s\n", cpu_ms / secs);
    bench_emit_value("sched.idle_cpu", "CPU of the process while its scheduler idles after work "
                                       "(ms per s; the spin is bounded)",
                     "ms", cpu_ms / secs, BENCH_NO_TAG);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
}

static void handoff_emit(bench_samples *cv, bench_samples *fx)
{
    fprintf(stderr, "hand-off floor: condvar median %.2f us, futex median %.2f us\n",
            bench_quantile(cv, 0.5), bench_quantile(fx, 0.5));
    bench_emit_samples("sched.handoff_condvar",
                       "the machine's floor: wake a thread asleep on a condition variable "
                       "(signal after unlock) -> it runs (us)",
                       "us", cv, 2000, BENCH_NO_TAG);
    bench_emit_samples("sched.handoff_futex",
                       "the machine's floor: wake a thread asleep on a bare futex -> it runs (us)",
                       "us", fx, 2000, BENCH_NO_TAG);
}

/* The floor at 6a's own spacing. A virtual CPU that has idled for
 * milliseconds is woken far more slowly than one idle for 300 us (the
 * hypervisor stops polling for it after a while): 6a's events come
 * milliseconds apart, so the floor it is compared with must be measured
 * with the same gaps. */
static void handoff_spaced(double gap_us)
{
    long gap = (long)gap_us;
    bench_samples cv = {0}, fx = {0};
    handoff_blocks(&cv, &fx, 2, quick ? 40 : 200, gap);
    fprintf(stderr, "hand-off floor %ld us apart: condvar median %.2f us, futex median %.2f us\n",
            gap, bench_quantile(&cv, 0.5), bench_quantile(&fx, 0.5));
    bench_emit_samples("sched.handoff_condvar_spaced",
                       "the machine's floor at 6a's spacing: wake a thread asleep on a condition "
                       "variable, events the median gap of sched.latency_e2e apart (us)",
                       "us", &cv, 2000, BENCH_NO_TAG);
    bench_emit_samples("sched.handoff_futex_spaced",
                       "the same on a bare futex, at 6a's spacing (us)", "us", &fx, 2000,
                       BENCH_NO_TAG);
    bench_samples_free(&cv);
    bench_samples_free(&fx);
}

/* ---- end to end ----------------------------------------------------------------- */

typedef struct e2e {
    recorder rec;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t finals;
    uint64_t last_push_ns; /* the previous update's push (one worker) */
    bench_samples gaps;    /* us between consecutive pushes */
} e2e;

static void e2e_update(const lrc_update *u, void *user)
{
    e2e *e = user;
    record_run(NULL, &e->rec);
    uint64_t push = lrc_sched_current_push_ns();
    if (e->last_push_ns && push > e->last_push_ns)
        bench_samples_add(&e->gaps, (double)(push - e->last_push_ns) / 1e3);
    e->last_push_ns = push;
    if (u->final) {
        pthread_mutex_lock(&e->mu);
        e->finals++;
        pthread_cond_broadcast(&e->cv);
        pthread_mutex_unlock(&e->mu);
    }
}

/* gap_us: the median time between two events of the run (0 if none), the
 * spacing at which the hand-off floor comparable to 6a is measured. */
static int bench_e2e(const char *device, double *gap_us)
{
    size_t n = quick ? 20 : 200;
    size_t window = 10; /* LRCs in flight at a time */
    lrc_scheduler *s = new_sched(1, 0);
    lrc_proxy *p = NULL;
    lrc_error *err = NULL;
    if (lrc_proxy_open(device, NULL, &p, &err) != LRC_OK ||
        lrc_connect_interface(p, s, &err) != LRC_OK) {
        fprintf(stderr, "lrc-bench-sched: %s: %s\n", device, lrc_error_message(err));
        lrc_error_free(err);
        lrc_proxy_close(p);
        lrc_scheduler_free(s);
        return -1;
    }
    e2e e = {0};
    recorder_init(&e.rec);
    pthread_mutex_init(&e.mu, NULL);
    pthread_cond_init(&e.cv, NULL);
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.scheduler = s;
    /* The steady mode counts updates, not LRCs: a Sleep LRC is mostly the
     * device sleeping, and the updates are what the scheduler hands off. */
    bool steady = bench_steady_scenario() != NULL;
    size_t started = 0, failed = 0, warm = steady ? 50 : 0;
    for (size_t i = 0; bench_steady_more(steady ? atomic_load(&e.rec.runs) : i, warm, n); i++) {
        pthread_mutex_lock(&e.mu);
        while (started - failed - e.finals >= window)
            pthread_cond_wait(&e.cv, &e.mu);
        pthread_mutex_unlock(&e.mu);
        lrc_arg a = lrc_arg_double(0.1);
        started++;
        if (lrc_invoke(p, "Sleep", &a, e2e_update, &e, &o, NULL, &err) != LRC_OK) {
            fprintf(stderr, "lrc-bench-sched: Sleep on %s: %s\n", device, lrc_error_message(err));
            lrc_error_free(err);
            err = NULL;
            failed++;
        }
    }
    pthread_mutex_lock(&e.mu);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 60;
    while (e.finals < started - failed)
        if (pthread_cond_timedwait(&e.cv, &e.mu, &dl))
            break;
    size_t finals = e.finals;
    pthread_mutex_unlock(&e.mu);
    lrc_disconnect_interface(p, s);
    lrc_proxy_close(p);
    lrc_scheduler_free(s); /* after it no callback runs: the recorder is ours */
    fprintf(stderr, "latency_e2e: %zu updates, median %.2f us, p90 %.2f, p99 %.2f; finals %zu/%zu\n",
            e.rec.lat.n, bench_quantile(&e.rec.lat, 0.5), bench_quantile(&e.rec.lat, 0.9),
            bench_quantile(&e.rec.lat, 0.99), finals, started);
    bench_emit_samples("sched.latency_e2e",
                       "push in the Tango callback -> the user's callback start (us)", "us",
                       &e.rec.lat, 2000, BENCH_NO_TAG);
    bench_emit_value("sched.e2e_finals", "finals delivered / expected", "ratio",
                     (double)finals / (double)started, BENCH_NO_TAG);
    *gap_us = e.gaps.n ? bench_quantile(&e.gaps, 0.5) : 0;
    fprintf(stderr, "latency_e2e: median gap between events %.0f us\n", *gap_us);
    bench_emit_value("sched.e2e_gap", "median time between two events of sched.latency_e2e (us)",
                     "us", *gap_us, BENCH_NO_TAG);
    bench_samples_free(&e.gaps);
    recorder_destroy(&e.rec);
    pthread_cond_destroy(&e.cv);
    pthread_mutex_destroy(&e.mu);
    return finals == started ? 0 : -1;
}

int main(int argc, char **argv)
{
    char **devices = NULL;
    size_t ndev = 0;
    const char *steady = NULL, *seconds = "5";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--steady") == 0 && i + 1 < argc) {
            steady = argv[++i];
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = argv[++i];
        } else if (strcmp(argv[i], "--devices-file") == 0 && i + 1 < argc) {
            if (bench_read_names(argv[++i], &devices, &ndev))
                return 2;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: lrc-bench-sched [--quick] [--devices-file F] "
                            "[--steady sched.latency_e2e --seconds S] [DEVICE...]\n");
            return 2;
        } else {
            char **grown = realloc(devices, (ndev + 1) * sizeof *grown);
            if (!grown)
                return 1;
            devices = grown;
            devices[ndev++] = strdup(argv[i]);
        }
    }
    if (steady) {
        if (!bench_steady_set(steady, seconds) || ndev == 0 ||
            !bench_steady_is("sched.latency_e2e", NULL)) {
            fprintf(stderr, "lrc-bench-sched: --steady needs sched.latency_e2e, a time and a "
                            "device\n");
            return 3;
        }
    } else {
        bench_latency();
        bench_throughput(0);
        bench_throughput(5);
        bench_fairness();
        bench_idle_cpu();
    }
    int rc = 0;
    bench_samples cv = {0}, fx = {0};
    if (!steady)
        handoff_round(&cv, &fx);
    double gap_us = 0;
    if (ndev > 0 && bench_e2e(devices[0], &gap_us))
        rc = 1;
    if (!steady) {
        handoff_round(&cv, &fx); /* before and after: the same minutes as 6a */
        handoff_emit(&cv, &fx);
        if (gap_us > 0)
            handoff_spaced(gap_us);
    }
    bench_samples_free(&cv);
    bench_samples_free(&fx);
    for (size_t i = 0; i < ndev; i++)
        free(devices[i]);
    free(devices);
    return rc;
}
