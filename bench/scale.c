/*
 * scale.c - lrc-bench-scale: many LRCs in flight over many devices (issue
 * 11, goal 5). Every final must arrive; what one in-flight LRC costs the
 * client in memory and CPU, and how that grows with their number.
 *
 *   lrc-bench-scale [--quick] [--devices-file F] [--sleep S] DEVICE...
 *
 * DEVICEs are demo devices (examples/demo-device: Sleep, AbortCommands),
 * ideally in several device servers, with MaxQueuedTasks raised so that
 * N / D commands fit on one device (10,000 for N = 10,000 on one device)
 * and SubscriberHold 0 (the interfaces are connected first anyway).
 *
 * For N in {1, 10, 100, 1000, 10000} and D in {1, 10, 100} (D <= N, D <=
 * the devices given; --quick: N <= 100, D <= 10):
 *  1. connects every device's interface once (not counted);
 *  2. invokes N Sleep(S) round-robin over D devices from one thread; S
 *     (default 600 s) outlasts the invoking, so all N are in flight at once;
 *  3. once no update has come for 100 ms (the invocations' QUEUED and
 *     IN_PROGRESS events delivered), samples the client's heap
 *     (mallinfo2) and RSS: growth / in-flight;
 *  4. AbortCommands on each device: every LRC ends (ABORTED) and its final
 *     must reach its callback; waits for all of them;
 *  5. CPU time (getrusage, all threads) from 2 to the last final, / N.
 * Lines (bench_out.h), with x = N and series = "dD":
 *   scale.nN.dD                 lrc_invoke call times (ms)
 *   scale.mem_per_lrc.nN.dD     heap growth per in-flight LRC (bytes; goal <= 2048)
 *   scale.rss_per_lrc.nN.dD     RSS growth per in-flight LRC (bytes; pages: coarse)
 *   scale.cpu_per_lrc.nN.dD     CPU time per LRC, invoke to final (us)
 *   scale.delivered.nN.dD       finals delivered / expected (must be 1)
 *   scale.finals_ms.nN.dD       AbortCommands sent -> last final (ms)
 * Exit status 1 if a final was missing.
 */
#define _GNU_SOURCE

#include "bench_out.h"
#include "lrc/arg.h"
#include "lrc/client.h"
#include "lrc/device.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Counts the finals of one scenario. */
typedef struct tally {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t finals, aborted, completed, other, updates;
} tally;

static void on_update(const lrc_update *u, void *user)
{
    tally *t = user;
    pthread_mutex_lock(&t->mu);
    t->updates++;
    if (u->final) {
        t->finals++;
        if (u->status == LRC_STATUS_ABORTED)
            t->aborted++;
        else if (u->status == LRC_STATUS_COMPLETED)
            t->completed++;
        else
            t->other++;
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
}

static size_t finals_now(tally *t)
{
    pthread_mutex_lock(&t->mu);
    size_t n = t->finals;
    pthread_mutex_unlock(&t->mu);
    return n;
}

static size_t updates_now(tally *t)
{
    pthread_mutex_lock(&t->mu);
    size_t n = t->updates;
    pthread_mutex_unlock(&t->mu);
    return n;
}

/* Waits until no update has come for quiet_ms (at most limit_ms): the
 * events the invocations caused (QUEUED, IN_PROGRESS) are delivered, so a
 * heap sample counts what the in-flight LRCs hold, not a passing backlog
 * of undelivered events (which one run in several caught mid-burst). */
static void await_quiet(tally *t, double quiet_ms, double limit_ms)
{
    double start = bench_now_ms(), since = start;
    size_t seen = updates_now(t);
    while (bench_now_ms() - since < quiet_ms && bench_now_ms() - start < limit_ms) {
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
        size_t now = updates_now(t);
        if (now != seen) {
            seen = now;
            since = bench_now_ms();
        }
    }
}

/* Waits until `want` finals or timeout_ms; returns the count. */
static size_t await_finals(tally *t, size_t want, double timeout_ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    long long ns = dl.tv_nsec + (long long)(timeout_ms * 1e6);
    dl.tv_sec += (time_t)(ns / 1000000000LL);
    dl.tv_nsec = (long)(ns % 1000000000LL);
    pthread_mutex_lock(&t->mu);
    while (t->finals < want)
        if (pthread_cond_timedwait(&t->cv, &t->mu, &dl))
            break;
    size_t n = t->finals;
    pthread_mutex_unlock(&t->mu);
    return n;
}

static void abort_all(lrc_proxy **p, size_t d)
{
    for (size_t i = 0; i < d; i++) {
        char *reply = NULL;
        lrc_error *err = NULL;
        lrc_arg none = lrc_arg_none();
        if (lrc_proxy_command(p[i], "AbortCommands", &none, &reply, &err) != LRC_OK)
            fprintf(stderr, "lrc-bench-scale: AbortCommands on %s: %s\n", lrc_proxy_name(p[i]),
                    lrc_error_message(err));
        lrc_error_free(err);
        free(reply);
    }
}

/* One scenario: N LRCs over the first D proxies. False if a final is missing. */
static bool run_case(lrc_proxy **p, size_t n, size_t d, double sleep_s)
{
    tally t = {0};
    pthread_mutex_init(&t.mu, NULL);
    pthread_cond_init(&t.cv, NULL);
    bench_samples inv = {0};

    uint64_t heap0 = bench_heap_bytes(), rss0 = bench_rss_bytes();
    double cpu0 = bench_cpu_s(), t0 = bench_now_ms();
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        lrc_arg a = lrc_arg_double(sleep_s);
        lrc_error *err = NULL;
        double s = bench_now_ms();
        int rc = lrc_invoke(p[i % d], "Sleep", &a, on_update, &t, NULL, NULL, &err);
        bench_samples_add(&inv, bench_now_ms() - s);
        /* The previous scenario's AbortCommands may still be at work on the
         * device ("Queue is being aborted"): wait for it, uncounted. */
        for (int retry = 0; rc == LRC_EREJECTED && retry < 600; retry++) {
            lrc_error_free(err);
            err = NULL;
            nanosleep(&(struct timespec){0, 100000000L}, NULL);
            rc = lrc_invoke(p[i % d], "Sleep", &a, on_update, &t, NULL, NULL, &err);
        }
        if (rc != LRC_OK) {
            if (failed++ < 5)
                fprintf(stderr, "lrc-bench-scale: Sleep on %s: %s\n", lrc_proxy_name(p[i % d]),
                        lrc_error_message(err));
            lrc_error_free(err);
        }
    }
    double t_invoked = bench_now_ms();
    await_quiet(&t, 100.0, 5000.0);
    uint64_t heap1 = bench_heap_bytes(), rss1 = bench_rss_bytes();
    size_t expected = n - failed;
    size_t in_flight = expected - finals_now(&t);

    double t_abort = bench_now_ms();
    abort_all(p, d);
    size_t finals = await_finals(&t, expected, 60000.0 + 20.0 * (double)n);
    double t_end = bench_now_ms();
    double cpu1 = bench_cpu_s();

    char scen[96], label[192], series[16];
    snprintf(series, sizeof series, "d%zu", d);
    bench_tag tag = {(double)n, series};
    snprintf(scen, sizeof scen, "scale.n%zu.d%zu", n, d);
    snprintf(label, sizeof label, "lrc_invoke call time, %zu LRCs over %zu devices (ms)", n, d);
    fprintf(stderr,
            "%s: invoke median %.3f ms p99 %.3f, %zu in flight, heap +%.0f B/LRC, rss +%.0f "
            "B/LRC, cpu %.1f us/LRC, finals %zu/%zu (aborted %zu, completed %zu, other %zu) "
            "in %.0f ms, invoking %.0f ms\n",
            scen, bench_quantile(&inv, 0.5), bench_quantile(&inv, 0.99), in_flight,
            in_flight ? (double)((int64_t)heap1 - (int64_t)heap0) / (double)in_flight : 0,
            in_flight ? (double)((int64_t)rss1 - (int64_t)rss0) / (double)in_flight : 0,
            (cpu1 - cpu0) * 1e6 / (double)n, finals, expected, t.aborted, t.completed, t.other,
            t_end - t_abort, t_invoked - t0);
    bench_emit_samples(scen, label, "ms", &inv, 1000, tag);
    if (in_flight) {
        snprintf(scen, sizeof scen, "scale.mem_per_lrc.n%zu.d%zu", n, d);
        bench_emit_value(scen, "client heap growth per in-flight LRC (mallinfo2; goal <= 2048)",
                         "bytes", (double)((int64_t)heap1 - (int64_t)heap0) / (double)in_flight,
                         tag);
        snprintf(scen, sizeof scen, "scale.rss_per_lrc.n%zu.d%zu", n, d);
        bench_emit_value(scen, "client RSS growth per in-flight LRC (/proc/self/statm)", "bytes",
                         (double)((int64_t)rss1 - (int64_t)rss0) / (double)in_flight, tag);
    }
    snprintf(scen, sizeof scen, "scale.cpu_per_lrc.n%zu.d%zu", n, d);
    bench_emit_value(scen, "client CPU time per LRC, invoke to final, all threads", "us",
                     (cpu1 - cpu0) * 1e6 / (double)n, tag);
    snprintf(scen, sizeof scen, "scale.delivered.n%zu.d%zu", n, d);
    snprintf(label, sizeof label, "finals delivered / expected (%zu / %zu; %zu invokes failed)",
             finals, expected, failed);
    bench_emit_value(scen, label, "ratio", expected ? (double)finals / (double)expected : 0, tag);
    snprintf(scen, sizeof scen, "scale.finals_ms.n%zu.d%zu", n, d);
    bench_emit_value(scen, "AbortCommands sent -> last final delivered", "ms", t_end - t_abort,
                     tag);

    bool ok = finals == expected && failed == 0;
    if (finals < expected) {
        /* Late finals would touch t after it is gone: wait them out. */
        fprintf(stderr, "lrc-bench-scale: %zu finals missing; waiting 30 s more\n",
                expected - finals);
        await_finals(&t, expected, 30000.0);
        if (finals_now(&t) < expected) {
            fprintf(stderr, "lrc-bench-scale: giving up\n");
            exit(1);
        }
    }
    bench_samples_free(&inv);
    pthread_cond_destroy(&t.cv);
    pthread_mutex_destroy(&t.mu);
    return ok;
}

int main(int argc, char **argv)
{
    bool quick = false;
    double sleep_s = 600;
    char **names = NULL;
    size_t ndev = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--devices-file") == 0 && i + 1 < argc) {
            if (bench_read_names(argv[++i], &names, &ndev))
                return 2;
        } else if (strcmp(argv[i], "--sleep") == 0 && i + 1 < argc) {
            sleep_s = atof(argv[++i]);
        } else if (argv[i][0] == '-') {
            ndev = 0;
            break;
        } else {
            char **grown = realloc(names, (ndev + 1) * sizeof *grown);
            if (!grown)
                return 1;
            names = grown;
            names[ndev++] = strdup(argv[i]);
        }
    }
    if (ndev == 0) {
        fprintf(stderr, "usage: lrc-bench-scale [--quick] [--devices-file F] [--sleep S] "
                        "DEVICE...\n");
        return 2;
    }
    /* Bursts of thousands of events (all finals at once) must not overflow
     * ZeroMQ's receive buffer (1,000 events by default). */
    setenv("TANGO_EVENT_BUFFER_HWM", "100000", 0);

    lrc_proxy **p = calloc(ndev, sizeof *p);
    for (size_t i = 0; i < ndev; i++) {
        lrc_error *err = NULL;
        if (lrc_proxy_open(names[i], NULL, &p[i], &err) != LRC_OK ||
            lrc_connect_interface(p[i], NULL, &err) != LRC_OK) {
            fprintf(stderr, "lrc-bench-scale: %s: %s\n", names[i], lrc_error_message(err));
            return 1;
        }
        lrc_error_free(err);
    }
    abort_all(p, ndev); /* nothing left over from an earlier run */

    static const size_t ns[] = {1, 10, 100, 1000, 10000};
    static const size_t ds[] = {1, 10, 100};
    bool ok = true;
    for (size_t di = 0; di < sizeof ds / sizeof *ds; di++) {
        size_t d = ds[di];
        if (d > ndev || (quick && d > 10))
            continue;
        for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++) {
            size_t n = ns[ni];
            if (n < d || (quick && n > 100))
                continue;
            ok = run_case(p, n, d, sleep_s) && ok;
        }
    }
    for (size_t i = 0; i < ndev; i++) {
        lrc_proxy_close(p[i]);
        free(names[i]);
    }
    free(p);
    free(names);
    return ok ? 0 : 1;
}
