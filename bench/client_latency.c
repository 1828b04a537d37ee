/*
 * client_latency.c - what the client library adds to one LRC, against the
 * floor a raw client through the Tango shim reaches.
 *
 *   lrc-bench-client [--quick] [--samples N] [--steady SCENARIO --seconds S] DEVICE
 *
 * DEVICE: a running LRC device with an Echo(DevString) command (the demo
 * device, or the PyTango one); TANGO_HOST from the environment. Scenarios:
 *
 *   client.state_roundtrip      State through the shim: one round trip
 *   client.raw_floor            the shim, _lrcEvent already subscribed:
 *                               command_inout Echo, then wait (condvar) for
 *                               the terminal _lrcEvent of its ID
 *   client.raw_command          the same command's round trip alone
 *   client.invoke_connected     lrc_invoke Echo -> final callback, after
 *                               lrc_connect_interface
 *   client.invoke_return        how long those lrc_invoke calls took to
 *                               return (goal: the command's round trip)
 *   client.invoke_unconnected   the same without connecting, sequential
 *                               calls, streams lingering (the default)
 *   client.invoke_unconnected_linger0
 *                               the same with linger_ms 0: each call
 *                               subscribes and unsubscribes
 * Where the time of the two goes, from the same samples (call -> ...):
 *   client.raw_terminal_arrived the terminal _lrcEvent enters the raw
 *                               client's Tango callback
 *   client.invoke_final_pushed  the terminal event, routed, is queued for
 *                               the scheduler (on Tango's event thread)
 *   client.invoke_final_called  the final callback starts (on a worker)
 *
 * Interleaved: the goals are ratios of these scenarios' medians, and on a
 * shared machine the load changes within seconds, so scenarios measured one
 * after the other would compare two different machines. The first four
 * (State, raw floor, connected, unconnected) are measured in ROUNDS rounds
 * of n / ROUNDS samples each, one block per scenario and round, the order
 * of the blocks rotated every round; each scenario's samples are the union
 * of its blocks, so a ratio of medians compares samples taken in the same
 * minutes. Each block opens its own proxy (and subscribes, for the raw floor
 * and ours) and closes it at its end, after a few warm-up samples: no
 * subscription of one scenario is alive while another is measured (two on
 * the same attribute would share the Tango event thread). linger0 is slow
 * (one subscription per call) and compared with nothing: measured last.
 *
 * Output, one JSON object per scenario and line on stdout:
 *   {"scenario": "client.raw_floor", "label": "...", "unit": "ms",
 *    "samples": [...]}
 * and a median per scenario on stderr. --quick takes few samples (well
 * under 15 s in all). Ratios are for the reader: timings on a shared
 * machine are noisy, compare scenarios of the same run.
 *
 * --steady SCENARIO --seconds S: only that scenario's loop, for S seconds
 * after its warm-up, for a profiler (steady.h); client.raw_command is the
 * loop of client.raw_floor, client.invoke_return that of
 * client.invoke_connected.
 */
#include "bench_out.h"
#include "core/scheduler_internal.h"
#include "lrc/client.h"
#include "lrc/types.h"
#include "steady.h"
#include "tango/tango_shim.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WAIT_S 10 /* a sample that takes longer is a failure */
#define ROUNDS 10 /* interleaving rounds (--quick: 3) */

static void deadline(struct timespec *ts)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += WAIT_S;
}

/* One scenario's line on stdout (bench_out.h, like every benchmark) and,
 * for the reader, its median and p90 on stderr. */
static void report(const char *scenario, const char *label, const double *v, size_t n)
{
    bench_samples s = {0};
    for (size_t i = 0; i < n; i++)
        bench_samples_add(&s, v[i]);
    bench_emit_samples(scenario, label, "ms", &s, 0, BENCH_NO_TAG); /* sorts s */
    if (n)
        fprintf(stderr, "%-36s median %8.3f ms  p90 %8.3f ms  (%zu samples)\n", scenario,
                s.v[n / 2], s.v[n * 9 / 10], n);
    bench_samples_free(&s);
}

/* The median of v[0..n); 0 if n is 0. */
static double median_of(const double *v, size_t n)
{
    bench_samples s = {0};
    for (size_t i = 0; i < n; i++)
        bench_samples_add(&s, v[i]);
    double m = n ? bench_quantile(&s, 0.5) : 0; /* the middle one, s.v[n / 2] */
    bench_samples_free(&s);
    return m;
}

static void die(const char *what, lrc_error *e)
{
    fprintf(stderr, "lrc-bench-client: %s: %s\n", what, e ? lrc_error_message(e) : "failed");
    lrc_error_free(e);
    exit(1);
}

/* ---- the shim alone ------------------------------------------------------- */

static void bench_state(const char *dev, double *v, size_t n, size_t warm)
{
    lrc_tg_proxy *p;
    lrc_error *e = NULL;
    if (lrc_tg_proxy_open(dev, 3000, &p, &e) != LRC_OK)
        die("open", e);
    lrc_tg_value in = {.type = LRC_TG_VOID};
    for (size_t i = 0; bench_steady_more(i, warm, n); i++) {
        lrc_tg_value out = {0};
        double t0 = bench_now_ms();
        if (lrc_tg_command_inout(p, "State", &in, &out, &e) != LRC_OK)
            die("State", e);
        if (i >= warm && i - warm < n)
            v[i - warm] = bench_now_ms() - t0;
        lrc_tg_value_clear(&out);
    }
    lrc_tg_proxy_close(p);
}

/* The IDs whose terminal _lrcEvent arrived (the last few). */
typedef struct raw_state {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char done[16][128];
    double arrived[16]; /* when each terminal event entered the callback */
    unsigned ndone;
} raw_state;

static void raw_event(const lrc_tg_event *ev, void *user)
{
    raw_state *st = user;
    double arrived = bench_now_ms();
    const lrc_tg_value *v = ev->value;
    if (!v || v->type != LRC_TG_STRING_ARRAY || v->ns < 2 || !v->sv[0] || !v->sv[1])
        return;
    json_t *obj = json_loads(v->sv[1], 0, NULL);
    json_t *status = obj ? json_object_get(obj, "status") : NULL;
    bool terminal = json_is_integer(status) && lrc_status_is_terminal((int)json_integer_value(status));
    json_decref(obj);
    if (!terminal)
        return;
    pthread_mutex_lock(&st->mu);
    st->arrived[st->ndone % 16] = arrived;
    snprintf(st->done[st->ndone++ % 16], sizeof st->done[0], "%s", v->sv[0]);
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

/* When the terminal event of id arrived; < 0 if it has not. */
static double raw_seen(raw_state *st, const char *id)
{
    for (unsigned k = 0; k < 16 && k < st->ndone; k++)
        if (strcmp(st->done[k], id) == 0)
            return st->arrived[k];
    return -1;
}

/* v: command -> terminal event seen by the waiting thread; reply: the
 * command's round trip alone; arrived (may be NULL): command -> the
 * terminal event entering the Tango callback. */
static void bench_raw(const char *dev, double *v, double *reply, double *arrived, size_t n,
                      size_t warm)
{
    raw_state st = {.ndone = 0};
    pthread_mutex_init(&st.mu, NULL);
    pthread_cond_init(&st.cv, NULL);
    lrc_tg_proxy *p;
    lrc_error *e = NULL;
    int sub;
    if (lrc_tg_proxy_open(dev, 3000, &p, &e) != LRC_OK)
        die("open", e);
    if (lrc_tg_subscribe_change(p, "_lrcEvent", raw_event, &st, &sub, &e) != LRC_OK)
        die("subscribe _lrcEvent", e);
    lrc_tg_value in = {.type = LRC_TG_STRING, .s = "bench"};
    for (size_t i = 0; bench_steady_more(i, warm, n); i++) {
        lrc_tg_value out = {0};
        double t0 = bench_now_ms();
        if (lrc_tg_command_inout(p, "Echo", &in, &out, &e) != LRC_OK)
            die("Echo", e);
        if (out.ns < 1 || !out.sv[0])
            die("Echo replied no command ID", NULL);
        if (i >= warm && i - warm < n)
            reply[i - warm] = bench_now_ms() - t0;
        struct timespec until;
        deadline(&until);
        pthread_mutex_lock(&st.mu);
        double at;
        while ((at = raw_seen(&st, out.sv[0])) < 0)
            if (pthread_cond_timedwait(&st.cv, &st.mu, &until) != 0)
                die("no terminal _lrcEvent for Echo", NULL);
        pthread_mutex_unlock(&st.mu);
        if (i >= warm && i - warm < n) {
            v[i - warm] = bench_now_ms() - t0;
            if (arrived)
                arrived[i - warm] = at - t0;
        }
        lrc_tg_value_clear(&out);
    }
    lrc_tg_unsubscribe(p, sub, NULL);
    lrc_tg_proxy_close(p);
    pthread_cond_destroy(&st.cv);
    pthread_mutex_destroy(&st.mu);
}

/* ---- the library ----------------------------------------------------------- */

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool final;
    double pushed, called; /* the final's: queued, callback started (ms) */
} waiter;

static void on_update(const lrc_update *u, void *user)
{
    waiter *w = user;
    if (!u->final)
        return;
    double called = bench_now_ms();
    /* the scheduler's stamp of the item this worker runs (bench-only
     * internal; on the same clock as bench_now_ms) */
    double pushed = (double)lrc_sched_current_push_ns() / 1e6;
    pthread_mutex_lock(&w->mu);
    w->pushed = pushed;
    w->called = called;
    w->final = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* connect: lrc_connect_interface first; linger_ms for the proxy. v: call ->
 * final callback seen by the waiting thread; ret (may be NULL): how long
 * lrc_invoke took to return; split (may be NULL): call -> the final queued
 * (split[0]) and its callback started (split[1]). */
static void bench_invoke(const char *dev, bool connect, int64_t linger_ms, double *v,
                         double *ret, double *split[2], size_t n, size_t warm)
{
    waiter w = {.final = false};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    po.linger_ms = linger_ms;
    lrc_proxy *p;
    lrc_error *e = NULL;
    if (lrc_proxy_open(dev, &po, &p, &e) != LRC_OK)
        die("lrc_proxy_open", e);
    if (connect && lrc_connect_interface(p, NULL, &e) != LRC_OK)
        die("lrc_connect_interface", e);
    lrc_arg arg = lrc_arg_string("bench");
    for (size_t i = 0; bench_steady_more(i, warm, n); i++) {
        lrc_subscription *sub;
        w.final = false;
        double t0 = bench_now_ms();
        if (lrc_invoke(p, "Echo", &arg, on_update, &w, NULL, &sub, &e) != LRC_OK)
            die("lrc_invoke", e);
        if (ret && i >= warm && i - warm < n)
            ret[i - warm] = bench_now_ms() - t0;
        struct timespec until;
        deadline(&until);
        pthread_mutex_lock(&w.mu);
        while (!w.final)
            if (pthread_cond_timedwait(&w.cv, &w.mu, &until) != 0)
                die("no final callback for Echo", NULL);
        pthread_mutex_unlock(&w.mu);
        if (i >= warm && i - warm < n) {
            v[i - warm] = bench_now_ms() - t0;
            if (split) {
                split[0][i - warm] = w.pushed - t0;
                split[1][i - warm] = w.called - t0;
            }
        }
        lrc_subscription_free(sub);
    }
    lrc_proxy_close(p);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
}

int main(int argc, char **argv)
{
    bool quick = false;
    long samples = 0;
    const char *dev = NULL, *steady = NULL, *seconds = "5";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc)
            samples = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--steady") == 0 && i + 1 < argc)
            steady = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = argv[++i];
        else if (argv[i][0] != '-' && !dev)
            dev = argv[i];
        else {
            fprintf(stderr, "usage: lrc-bench-client [--quick] [--samples N] [--steady SCENARIO --seconds S] DEVICE\n");
            return 2;
        }
    }
    if (!dev) {
        fprintf(stderr, "usage: lrc-bench-client [--quick] [--samples N] [--steady SCENARIO --seconds S] DEVICE\n");
        return 2;
    }
    size_t n = samples > 0 ? (size_t)samples : quick ? 30 : 300;
    size_t warm = quick ? 3 : 10;
    /* an unconnected call without lingering costs ~10 ms: fewer of those */
    size_t n_slow = quick ? 15 : n / 3 ? n / 3 : 1;
    double *v = malloc(n * sizeof *v), *v2 = malloc(n * sizeof *v2);
    if (!v || !v2)
        return 1;
    if (steady) {
        if (!bench_steady_set(steady, seconds)) {
            fprintf(stderr, "lrc-bench-client: --seconds %s: not a time\n", seconds);
            return 2;
        }
        if (bench_steady_is("client.state_roundtrip", "client.state_rtt"))
            bench_state(dev, v, n, warm);
        else if (bench_steady_is("client.raw_floor", "client.raw_command"))
            bench_raw(dev, v, v2, NULL, n, warm);
        else if (bench_steady_is("client.invoke_connected", "client.invoke_return"))
            bench_invoke(dev, true, LRC_DEFAULT_LINGER_MS, v, v2, NULL, n, warm);
        else if (bench_steady_is("client.invoke_unconnected", NULL))
            bench_invoke(dev, false, LRC_DEFAULT_LINGER_MS, v, NULL, NULL, n, warm);
        else {
            fprintf(stderr, "lrc-bench-client: no steady loop for %s\n", steady);
            return 3;
        }
        free(v);
        free(v2);
        return 0;
    }

    double *state = malloc(n * sizeof *state), *raw = malloc(n * sizeof *raw),
           *conn = malloc(n * sizeof *conn), *conn_ret = malloc(n * sizeof *conn_ret),
           *unconn = malloc(n * sizeof *unconn), *raw_at = malloc(n * sizeof *raw_at),
           *pushed = malloc(n * sizeof *pushed), *called = malloc(n * sizeof *called);
    if (!state || !raw || !conn || !conn_ret || !unconn || !raw_at || !pushed || !called)
        return 1;
    size_t rounds = quick ? 3 : ROUNDS, per = (n + rounds - 1) / rounds;
    for (size_t r = 0, off = 0; off < n; r++, off += per) {
        size_t k = n - off < per ? n - off : per;
        for (size_t b = 0; b < 4; b++) {
            switch ((b + r) % 4) { /* rotated: no scenario always follows the same one */
            case 0: bench_state(dev, state + off, k, warm); break;
            case 1: bench_raw(dev, raw + off, v2 + off, raw_at + off, k, warm); break;
            case 2: {
                double *split[2] = {pushed + off, called + off};
                bench_invoke(dev, true, LRC_DEFAULT_LINGER_MS, conn + off, conn_ret + off, split,
                             k, warm);
                break;
            }
            default:
                bench_invoke(dev, false, LRC_DEFAULT_LINGER_MS, unconn + off, NULL, NULL, k,
                             warm);
                break;
            }
        }
        /* Per round: how much the load moved the numbers, and the ratios. */
        double ms = median_of(state + off, k), mr = median_of(raw + off, k),
               mc = median_of(conn + off, k);
        fprintf(stderr, "round %zu: State %.3f ms, raw floor %.3f ms, connected %.3f ms "
                        "(x%.2f raw, x%.2f State)\n",
                r, ms, mr, mc, mr > 0 ? mc / mr : 0, ms > 0 ? mc / ms : 0);
    }
    fprintf(stderr, "interleaved: %zu rounds of %zu samples per scenario\n", rounds, per);
    report("client.state_roundtrip", "State round trip through the shim", state, n);
    report("client.raw_floor",
           "raw shim client, _lrcEvent subscribed: Echo -> terminal _lrcEvent", raw, n);
    report("client.raw_command", "raw shim client: Echo's command round trip alone", v2, n);
    report("client.invoke_connected", "lrc_invoke Echo -> final callback, connected", conn, n);
    report("client.invoke_return", "lrc_invoke Echo: call -> return, connected", conn_ret, n);
    report("client.invoke_unconnected",
           "lrc_invoke Echo -> final callback, not connected, streams lingering (default)",
           unconn, n);
    report("client.raw_terminal_arrived",
           "raw shim client: Echo -> its terminal _lrcEvent enters the Tango callback", raw_at, n);
    report("client.invoke_final_pushed",
           "lrc_invoke Echo -> the terminal event queued for the scheduler (Tango thread), "
           "connected",
           pushed, n);
    report("client.invoke_final_called",
           "lrc_invoke Echo -> the final callback starts (worker), connected", called, n);
    free(state);
    free(raw);
    free(conn);
    free(conn_ret);
    free(unconn);
    free(raw_at);
    free(pushed);
    free(called);
    bench_invoke(dev, false, 0, v, NULL, NULL, n_slow, 1);
    report("client.invoke_unconnected_linger0",
           "lrc_invoke Echo -> final callback, not connected, linger_ms 0", v, n_slow);
    free(v);
    free(v2);
    return 0;
}
