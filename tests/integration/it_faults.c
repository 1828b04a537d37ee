/*
 * it_faults.c - faults on real servers over the real Tango database
 * (issue 12 item 3): every accepted invocation ends with exactly one final
 * callback that tells the truth (what the device itself reports), nothing
 * hangs, whatever happens between the client and the device.
 *
 *   it_faults DEMO_EXE|ska_lrc_device.py cut|throttle|freeze|dbrestart|burst|gap
 *
 * Every scenario runs a demo device (lrc-demo-device) in a network namespace
 * of its own (fault_net.h), registered through a DataBaseds of the test's
 * own on the host end of the link (fault_db.h), so the link can be cut or
 * throttled and the database restarted without touching anyone else:
 *   cut        8 Sleep(2) queued and running; the link down for 15 s
 *   throttle   lone Echos, then 10 Sleep(0.2) and 4 Echo(4 KB), first
 *              unthrottled (the baseline), then through a 64 kbit/s token
 *              bucket (tc tbf): latencies reported
 *   freeze     8 Sleep(2); the server SIGSTOPped for 15 s, then SIGCONT
 *   dbrestart  invocations every 0.5 s for 25 s on a connected proxy, and
 *              a fresh proxy every 2 s; the database stopped at 3 s and
 *              started again at 10 s
 *   burst      5 bursts of 90 Sleep(0) (14 events each): at least
 *              5,000 events to one client; every final checked against the
 *              device's CheckLongRunningCommandStatus
 *   gap        a real ZeroMQ event gap: the server's publisher high-water
 *              mark at 10, 90 Sleep(0.05) and the link at 8 kbit/s for 7 s;
 *              cppTango's API_MissedEvents seen, every final once and true
 * Each prints one line of counts (invocations, faults, finals, lost,
 * duplicates, ...), exits 0 only if lost = duplicates = untrue = 0 and the
 * fault was real (the device or the database unreachable meanwhile), and is
 * bounded by an alarm; the namespace, the database and the server are
 * removed at exit, also after a failure (atexit; a run killed outright
 * leaves a namespace that the next run deletes). See docs/fault-tests.md.
 */
#define _POSIX_C_SOURCE 200809L

#include "fault_count.h"
#include "fault_db.h"
#include "fault_net.h"
#include "recorder.h"
#include "tango_fixture.h"

#include "lrc/client.h"
#include "lrc/device.h"
#include "tango/tango_shim.h"

#include <errno.h>
#include <stdint.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OVERALL_BOUND_S 280 /* under ctest's TIMEOUT 300 */
#define FINALS_BOUND_S 150.0 /* after the fault: generous, the test fails rather than hang */
#define FAULT_S 15
#define DUP_WATCH_S 3 /* how long to watch for a second final after the last */

static fnet g_net;
static fdb g_db;
static lrct_server *g_srv;
static lrc_proxy *g_p;
static char g_dev[128];
static int g_failed;
static volatile pid_t g_frozen; /* the server, while SIGSTOPped */
static const char *g_ds_hwm;    /* the server's TANGO_DS_EVENT_BUFFER_HWM, if set */

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void cleanup(void)
{
    /* after a failure the proxy stays open: invocations may still run */
    if (g_frozen > 0)
        kill(g_frozen, SIGCONT); /* else SIGTERM would wait for the SIGKILL */
    if (g_srv) {
        if (lrct_server_stop(g_srv) != 0)
            fprintf(stderr, "it_faults: the server did not end cleanly\n");
        g_srv = NULL;
    }
    fdb_remove(&g_db);
    fnet_down(&g_net);
}

/* SIGALRM: the overall bound (a hang); SIGTERM/SIGINT: stopped from
 * outside. Either way exit() runs the clean-up (atexit). */
static void on_signal(int sig)
{
    static const char hang[] = "it_faults: FAIL: overall time bound reached (a hang)\n";
    static const char stop[] = "it_faults: FAIL: stopped by a signal\n";
    const char *msg = sig == SIGALRM ? hang : stop;
    size_t len = sig == SIGALRM ? sizeof hang - 1 : sizeof stop - 1;
    if (write(2, msg, len) < 0) {
    }
    exit(3);
}

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "it_faults: FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);         \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fprintf(stderr, "\n");                                                             \
            g_failed = 1;                                                                      \
        }                                                                                      \
    } while (0)

static void setup(const char *exe, const char *const *extra_props)
{
    if (lrct_db_up() != 0 || fnet_up(&g_net) != 0)
        exit(1);
    /* after lrct_db_up, which sets the suite's high-water marks (100000) */
    if (g_ds_hwm)
        setenv("TANGO_DS_EVENT_BUFFER_HWM", g_ds_hwm, 1);
    atexit(cleanup);
    if (fdb_start(&g_db, g_net.host_ip, 10000) != 0)
        exit(1);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "giop:tcp:%s:", g_net.ns_ip);
    setenv("LRC_ORB_ENDPOINT", endpoint, 1);
    /* The server also offers omniORB's Unix-socket transport, which a client
     * on the same machine prefers, and which no network namespace separates:
     * the client must take TCP, as from another host, or a cut would only
     * cut the events. (omniORB reads its parameters from ORB* variables;
     * before the first Tango call.) */
    setenv("ORBclientTransportRule", "* tcp", 1);
    char *inst = lrct_unique_name("faults");
    snprintf(g_dev, sizeof g_dev, "test/faults/%s", inst);
    const char *devs[] = {g_dev, NULL};
    char props[4][192];
    const char *pv[5] = {NULL};
    for (size_t i = 0; extra_props && extra_props[i] && i < 4; i++) {
        snprintf(props[i], sizeof props[i], "%s:%s", g_dev, extra_props[i]);
        pv[i] = props[i];
    }
    char *exe_copy = strdup(exe);
    /* The PyTango stand-in for a ska-tango-base device (a path ending in
     * ".py"): PyTango names the server after the class. */
    size_t len = strlen(exe);
    bool py = len > 3 && strcmp(exe + len - 3, ".py") == 0;
    const char *python = getenv("LRC_PYTHON");
    const char *cmd_demo[] = {"/usr/sbin/ip", "netns", "exec", g_net.ns, exe, NULL};
    const char *cmd_py[] = {"/usr/sbin/ip", "netns", "exec", g_net.ns,
                            python && *python ? python : "/usr/bin/python3", exe, NULL};
    if (py)
        g_srv = lrct_server_start_cmd(cmd_py, "SkaLrcDevice", inst, "SkaLrcDevice", devs, pv);
    else
        g_srv = lrct_server_start_cmd(cmd_demo, basename(exe_copy), inst, "LrcDemo", devs, pv);
    free(exe_copy);
    free(inst);
    if (!g_srv)
        exit(1);
    lrc_error *err = NULL;
    if (lrc_proxy_open(g_dev, NULL, &g_p, &err) != LRC_OK) {
        fprintf(stderr, "it_faults: proxy: %s\n", lrc_error_message(err));
        exit(1);
    }
    /* the event channel established before the counts start */
    if (lrc_connect_interface(g_p, NULL, &err) != LRC_OK) {
        fprintf(stderr, "it_faults: connect: %s\n", lrc_error_message(err));
        exit(1);
    }
    /* events really flow from the namespace (ZeroMQ publishes on the
     * server's ORB endpoint address): an Echo gets more than its final,
     * which the library could also have read from the device. A young
     * subscription may miss the first Echos' events while ZeroMQ hands it
     * to the server (slow under valgrind): try a few. */
    size_t got = 0;
    for (int attempt = 0; attempt < 10 && got < 2; attempt++) {
        fcount warm;
        fcount_init(&warm);
        lrc_arg a = lrc_arg_string("warm-up");
        if (!fcount_invoke(&warm, g_p, "Echo", &a, true) || !fcount_wait_finals(&warm, 30)) {
            fprintf(stderr, "it_faults: the warm-up Echo did not end\n");
            exit(1);
        }
        fcount_totals wt;
        memset(&wt, 0, sizeof wt);
        fcount_totals_get(&warm, NULL, 0, &wt);
        got = wt.updates;
        fcount_clear(&warm);
    }
    if (got < 2) {
        fprintf(stderr, "it_faults: 10 warm-up Echos got no events\n");
        exit(1);
    }
}

/* The promise after a fault: every final within the bound, then a short
 * watch for a second one, then the device asked for each ID. */
static void verify(const char *name, fcount *c, int faults, size_t expect_completed)
{
    double t = fcount_now();
    bool all = fcount_wait_finals(c, FINALS_BOUND_S);
    fprintf(stderr, "%s: last final %.1f s after the wait began\n", name, fcount_now() - t);
    sleep_s(DUP_WATCH_S);
    fcount_totals tt;
    memset(&tt, 0, sizeof tt);
    fcount_totals_get(c, g_p, 0, &tt);
    fcount_print(name, faults, &tt);
    CHECK(all, "finals missing after %.0f s", FINALS_BOUND_S);
    CHECK(tt.lost == 0, "%zu invocations without a final", tt.lost);
    CHECK(tt.duplicates == 0, "%zu duplicate finals", tt.duplicates);
    CHECK(tt.untrue == 0 && tt.unasked == 0, "untrue %zu, unasked %zu", tt.untrue, tt.unasked);
    CHECK(tt.completed == expect_completed, "%zu COMPLETED, expected %zu", tt.completed,
          expect_completed);
}

/* cut / freeze: 8 Sleep(2) (one runs, seven queue; 16 s of work) and the
 * fault 3 s in, for 15 s: finals published meanwhile are lost on the wire;
 * the stream comes back and the library asks the device. */
static void run_outage(const char *name, bool freeze)
{
    fcount c;
    fcount_init(&c);
    lrc_arg a = lrc_arg_double(2.0);
    for (int i = 0; i < 8; i++)
        CHECK(fcount_invoke(&c, g_p, "Sleep", &a, true), "Sleep %d refused", i);
    sleep_s(3);
    pid_t pid = lrct_server_pid(g_srv);
    if (freeze) {
        g_frozen = pid;
        CHECK(kill(pid, SIGSTOP) == 0, "SIGSTOP");
    }
    else
        CHECK(fnet_cut(&g_net, true) == 0, "link down");
    fprintf(stderr, "%s: fault on for %d s\n", name, FAULT_S);
    /* the fault is real: the device does not answer (one call, 2 s in; a
     * frozen server lets it wait for the proxy's timeout, or longer) */
    double t_fault = fcount_now();
    sleep_s(2);
    lrc_status st;
    lrc_error *e = NULL;
    int rc = lrc_proxy_command_status(g_p, "probe", &st, &e);
    fprintf(stderr, "%s: a call 2 s into the fault %s after %.1f s%s%s\n", name,
            rc == LRC_OK ? "answered" : "failed", fcount_now() - t_fault - 2,
            rc == LRC_OK ? "" : ": ", rc == LRC_OK ? "" : lrc_error_message(e));
    for (size_t i = 0; rc != LRC_OK && i < lrc_error_count(e); i++)
        fprintf(stderr, "%s:   %s: %.160s\n", name, lrc_error_at(e, i)->reason,
                lrc_error_at(e, i)->desc);
    lrc_error_free(e);
    CHECK(rc != LRC_OK, "the device answered during the fault");
    double left = FAULT_S - (fcount_now() - t_fault);
    if (left > 0)
        sleep_s(left);
    if (freeze) {
        CHECK(kill(pid, SIGCONT) == 0, "SIGCONT");
        g_frozen = 0;
    }
    else
        CHECK(fnet_cut(&g_net, false) == 0, "link up");
    fprintf(stderr, "%s: fault off after %.1f s\n", name, fcount_now() - t_fault);
    verify(name, &c, 1, 8);
    /* the device works normally afterwards, on the same proxy */
    fcount after;
    fcount_init(&after);
    lrc_arg after_arg = lrc_arg_string("after");
    CHECK(fcount_invoke(&after, g_p, "Echo", &after_arg, true), "Echo after the fault refused");
    CHECK(fcount_wait_finals(&after, 60), "Echo after the fault did not end");
    fcount_clear(&after);
    fcount_clear(&c);
}

static void run_throttle(void)
{
    fcount c;
    fcount_init(&c);
    /* 4 KB each way: half a second at 64 kbit/s, within the proxy's 3 s
     * timeout (16 KB Echos time out in lrc_invoke: refused, although the
     * device may have queued them) */
    static char big[4 * 1024 + 1];
    memset(big, 'x', sizeof big - 1);
    lrc_arg s = lrc_arg_double(0.2), e = lrc_arg_string(big), small = lrc_arg_string("x");
    double lo[2], med[2], hi[2], queue_s[2] = {0, 0};
    for (int phase = 0; phase < 2; phase++) {
        if (phase == 1)
            CHECK(fnet_throttle(&g_net, "64kbit") == 0, "tc tbf");
        /* one at a time: the latency of a lone invocation */
        for (int i = 0; i < 3; i++) {
            size_t one = c.n;
            double l1, m1, h1;
            CHECK(fcount_invoke(&c, g_p, "Echo", i == 2 ? &e : &small, true), "Echo refused");
            CHECK(fcount_wait_finals(&c, FINALS_BOUND_S), "finals missing");
            if (fcount_latency(&c, one, &l1, &m1, &h1))
                printf("throttle: %s: a lone Echo(%s): %.3f s\n", phase ? "64 kbit/s" : "baseline",
                       i == 2 ? "4 KB" : "\"x\"", m1);
        }
        /* a queue: 10 Sleeps (serial on the device) and 4 KB Echos */
        size_t from = c.n;
        double t_queue = fcount_now();
        for (int i = 0; i < 10; i++)
            CHECK(fcount_invoke(&c, g_p, "Sleep", &s, true), "Sleep refused");
        for (int i = 0; i < 4; i++)
            CHECK(fcount_invoke(&c, g_p, "Echo", &e, true), "Echo refused");
        CHECK(fcount_wait_finals(&c, FINALS_BOUND_S), "finals missing");
        queue_s[phase] = fcount_now() - t_queue;
        CHECK(fcount_latency(&c, from, &lo[phase], &med[phase], &hi[phase]), "no latency");
        printf("throttle: %s: queue of 14: all ended in %.2f s; latency invoke->final min "
               "%.2f s, median %.2f s, max %.2f s\n",
               phase ? "64 kbit/s" : "baseline", queue_s[phase], lo[phase], med[phase], hi[phase]);
    }
    /* the queue's time, not its median latency: lrc_invoke itself waits for
     * each argument to cross, so the later invocations start later */
    if (queue_s[0] > 0)
        printf("throttle: the queue took %.1f times as long at 64 kbit/s\n",
               queue_s[1] / queue_s[0]);
    fflush(stdout);
    verify("throttle", &c, 1, c.n);
    CHECK(c.refused == 0, "%zu invocations refused", c.refused);
    CHECK(fnet_throttle(&g_net, NULL) == 0, "tc del");
    fcount_clear(&c);
}

static void run_dbrestart(void)
{
    fcount c, fresh;
    fcount_init(&c);
    fcount_init(&fresh);
    lrc_arg s = lrc_arg_double(0.2), e = lrc_arg_string("fresh");
    double t0 = fcount_now(), next_fresh = 0;
    bool stopped = false, restarted = false;
    size_t fresh_open_fail_down = 0, fresh_fail_up = 0, fresh_tried_up = 0;
    while (fcount_now() - t0 < 25) {
        double t = fcount_now() - t0;
        if (!stopped && t >= 3) {
            CHECK(fdb_stop(&g_db) == 0, "database stop");
            stopped = true;
            fprintf(stderr, "dbrestart: database stopped at %.1f s\n", t);
        }
        if (stopped && !restarted && t >= 10) {
            CHECK(fdb_restart(&g_db) == 0, "database restart");
            restarted = true;
            fprintf(stderr, "dbrestart: database back at %.1f s\n", fcount_now() - t0);
        }
        CHECK(fcount_invoke(&c, g_p, "Sleep", &s, true), "Sleep on the connected proxy refused");
        if (t >= next_fresh) {
            next_fresh = t + 2;
            bool db_down = stopped && !restarted;
            lrc_proxy *q = NULL;
            lrc_error *err = NULL;
            if (lrc_proxy_open(g_dev, NULL, &q, &err) != LRC_OK) {
                if (db_down)
                    fresh_open_fail_down++;
                else {
                    fresh_tried_up++;
                    fresh_fail_up++;
                    fprintf(stderr, "dbrestart: fresh proxy at %.1f s: %s\n", t,
                            lrc_error_message(err));
                }
                lrc_error_free(err);
            } else {
                bool ok = fcount_invoke(&fresh, q, "Echo", &e, !db_down);
                if (!db_down) {
                    fresh_tried_up++;
                    fresh_fail_up += !ok;
                } else if (!ok) {
                    fresh_open_fail_down++;
                }
                lrc_proxy_close(q); /* its invocation keeps what it needs */
            }
        }
        sleep_s(0.5);
    }
    printf("dbrestart: fresh proxies while the database was down: %zu failed (expected: a "
           "database is needed to find the device); while up: %zu of %zu failed\n",
           fresh_open_fail_down, fresh_fail_up, fresh_tried_up);
    CHECK(fresh_fail_up == 0, "fresh proxies failed with the database up");
    /* the outage was real: what needs the database failed meanwhile */
    CHECK(fresh_open_fail_down > 0, "no fresh proxy failed while the database was down");
    verify("dbrestart", &c, 1, c.n);
    fcount_totals ft;
    memset(&ft, 0, sizeof ft);
    CHECK(fcount_wait_finals(&fresh, 60), "fresh proxies' finals missing");
    fcount_totals_get(&fresh, NULL, 0, &ft);
    fcount_print("dbrestart.fresh", 1, &ft);
    CHECK(ft.lost == 0 && ft.duplicates == 0 && ft.completed == ft.invocations,
          "fresh proxies' invocations");
    fcount_clear(&fresh);
    fcount_clear(&c);
}

static void run_burst(void)
{
    fcount c;
    fcount_init(&c);
    lrc_arg s = lrc_arg_double(0);
    fcount_totals tt;
    memset(&tt, 0, sizeof tt);
    double t0 = fcount_now();
    /* 90 per burst: the device remembers its last 100 finished commands,
     * so each burst's IDs can all be checked right after it */
    for (int burst = 0; burst < 5; burst++) {
        size_t from = c.n;
        for (int i = 0; i < 90; i++)
            CHECK(fcount_invoke(&c, g_p, "Sleep", &s, true), "Sleep refused");
        CHECK(fcount_wait_finals(&c, FINALS_BOUND_S), "burst %d: finals missing", burst);
        size_t untrue = tt.untrue, forgotten = tt.forgotten, unasked = tt.unasked;
        fcount_totals_get(&c, g_p, from, &tt);
        CHECK(tt.untrue == untrue && tt.forgotten == forgotten && tt.unasked == unasked,
              "burst %d: finals differ from the device", burst);
    }
    double dt = fcount_now() - t0;
    sleep_s(DUP_WATCH_S);
    size_t untrue = tt.untrue, forgotten = tt.forgotten, unasked = tt.unasked;
    fcount_totals_get(&c, NULL, 0, &tt);
    tt.untrue = untrue;
    tt.forgotten = forgotten;
    tt.unasked = unasked;
    fcount_print("burst", 0, &tt);
    printf("burst: %zu events delivered in %.1f s (%.0f/s)\n", tt.updates, dt,
           (double)tt.updates / dt);
    /* intermediate events may be merged or dropped (a full callback queue
     * drops the oldest non-final ones, and says so); finals never */
    size_t umin = SIZE_MAX, umax = 0, short_ = 0;
    pthread_mutex_lock(&c.mu);
    for (size_t i = 0; i < c.n; i++) {
        size_t u = c.v[i]->updates;
        umin = u < umin ? u : umin;
        umax = u > umax ? u : umax;
    }
    for (size_t i = 0; i < c.n; i++)
        short_ += c.v[i]->updates < umax;
    pthread_mutex_unlock(&c.mu);
    printf("burst: updates per invocation: min %zu, max %zu; %zu invocations below the max\n",
           umin, umax, short_);
    CHECK(tt.updates >= 5000, "only %zu events", tt.updates);
    CHECK(tt.lost == 0 && tt.duplicates == 0, "lost %zu, duplicates %zu", tt.lost, tt.duplicates);
    CHECK(tt.untrue == 0 && tt.forgotten == 0 && tt.unasked == 0, "truth check");
    CHECK(tt.completed == tt.invocations, "%zu COMPLETED of %zu", tt.completed, tt.invocations);
    fcount_clear(&c);
}

/* ---- gap: a real ZeroMQ event gap ------------------------------------
 * The server's publisher high-water mark small (TANGO_DS_EVENT_BUFFER_HWM,
 * read by cppTango at the server's start), a queue of short Sleeps (14
 * events each) and, once they are all accepted, the link throttled to
 * 8 kbit/s for a while: the events pile up in the server's TCP send buffer,
 * then in its ZeroMQ queue, and ZeroMQ drops the rest, finals included.
 * The throttle stays on for less than cppTango's 10 s heartbeat period, so
 * the stream is never declared dead: only the event counter can tell. Once
 * the link is free the next event (an Echo sent then) makes cppTango
 * report the gap, and the library asks the device for every open one. */
#define GAP_HWM "10"
#define GAP_SLEEPS 90
#define GAP_THROTTLE_S 7.0
#define GAP_HEAL_S 60.0 /* TCP retransmits (backed-off timers), then a probe period */

static struct {
    pthread_mutex_t mu;
    size_t events, missed, timeouts;
} g_raw = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0};

/* What cppTango itself reports on a plain subscription (the v1 status
 * list, pushed with every update): counts its error events by reason. */
static void raw_cb(const lrc_tg_event *ev, void *user)
{
    (void)user;
    pthread_mutex_lock(&g_raw.mu);
    g_raw.events++;
    if (ev->error) {
        g_raw.missed += lrct_error_has_reason(ev->error, "API_MissedEvents");
        g_raw.timeouts += lrct_error_has_reason(ev->error, "API_EventTimeout");
    }
    pthread_mutex_unlock(&g_raw.mu);
}

static void run_gap(void)
{
    lrc_tg_proxy *tp = NULL;
    lrc_error *err = NULL;
    int sid = -1;
    if (lrc_tg_proxy_open(g_dev, 3000, &tp, &err) != LRC_OK ||
        lrc_tg_subscribe_change(tp, "longRunningCommandStatus", raw_cb, NULL, &sid, &err) !=
            LRC_OK) {
        fprintf(stderr, "gap: plain subscription: %s\n", lrc_error_message(err));
        exit(1);
    }
    /* The server's TCP send buffer at most 16 KB (the namespace's own
     * setting; Linux would grow it to 4 MB, which would hold the whole
     * burst): so ZeroMQ's queue, not the kernel, meets the backlog. */
    const char *wmem[] = {"/usr/sbin/ip", "netns", "exec", g_net.ns, "/usr/sbin/sysctl", "-q",
                          "-w", "net.ipv4.tcp_wmem=4096 16384 16384", NULL};
    CHECK(lrct_run(wmem, 10000, NULL) == 0, "sysctl tcp_wmem in the namespace");
    fcount c;
    fcount_init(&c);
    lrc_arg a = lrc_arg_double(0.05);
    for (int i = 0; i < GAP_SLEEPS; i++)
        CHECK(fcount_invoke(&c, g_p, "Sleep", &a, true), "Sleep %d refused", i);
    CHECK(fnet_throttle(&g_net, "8kbit") == 0, "tc tbf");
    sleep_s(GAP_THROTTLE_S);
    CHECK(fnet_throttle(&g_net, NULL) == 0, "tc del");
    double t_free = fcount_now();
    /* What was queued drains; what ZeroMQ dropped is gone for good. A gap
     * shows only at the next event, and none comes once the device is
     * idle: the library goes on asking the device for the invocations whose
     * stream had a gap, so every final arrives all the same. */
    bool all = fcount_wait_finals(&c, GAP_HEAL_S);
    double healed = fcount_now() - t_free;
    verify("gap", &c, 1, (size_t)GAP_SLEEPS);
    /* the device works normally afterwards, on the same proxy */
    fcount next;
    fcount_init(&next);
    lrc_arg x = lrc_arg_string("after the gap");
    CHECK(fcount_invoke(&next, g_p, "Echo", &x, true), "Echo after the gap refused");
    CHECK(fcount_wait_finals(&next, 60), "Echo after the gap did not end");
    pthread_mutex_lock(&g_raw.mu);
    size_t raw_missed = g_raw.missed, raw_timeouts = g_raw.timeouts;
    pthread_mutex_unlock(&g_raw.mu);
    size_t umax = 0, short_ = 0;
    pthread_mutex_lock(&c.mu);
    for (size_t i = 0; i < c.n; i++)
        umax = c.v[i]->updates > umax ? c.v[i]->updates : umax;
    for (size_t i = 0; i < c.n; i++)
        short_ += c.v[i]->updates < umax;
    size_t missed = c.missed, timeouts = c.timeouts;
    pthread_mutex_unlock(&c.mu);
    printf("gap: every final %.1f s after the link was free, with no event to reveal the last "
           "gap; API_MissedEvents: %zu error updates to the invocations, %zu error events on "
           "the plain subscription; API_EventTimeout: %zu and %zu; invocations with fewer "
           "updates than the most: %zu\n",
           healed, missed, raw_missed, timeouts, raw_timeouts, short_);
    CHECK(all, "finals missing %.0f s after the link was free, before any new event",
          GAP_HEAL_S);
    CHECK(short_ > 0, "no event was dropped: no gap");
    CHECK(missed > 0 && raw_missed > 0, "cppTango reported no API_MissedEvents");
    fcount_clear(&next);
    fcount_clear(&c);
    CHECK(lrc_tg_unsubscribe(tp, sid, &err) == LRC_OK, "unsubscribe");
    lrc_tg_proxy_close(tp);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s DEMO_EXE|ska_lrc_device.py cut|throttle|freeze|dbrestart|burst|gap\n",
                argv[0]);
        return 2;
    }
    const char *mode = argv[2];
    signal(SIGALRM, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    alarm(OVERALL_BOUND_S);
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *burst_props[] = {"MaxQueuedTasks=100", NULL};
    bool gap = strcmp(mode, "gap") == 0;
    if (gap)
        g_ds_hwm = GAP_HWM; /* read by cppTango at the server's start */
    setup(argv[1], strcmp(mode, "burst") == 0 || gap ? burst_props : NULL);
    if (strcmp(mode, "cut") == 0)
        run_outage("cut", false);
    else if (strcmp(mode, "freeze") == 0)
        run_outage("freeze", true);
    else if (strcmp(mode, "throttle") == 0)
        run_throttle();
    else if (strcmp(mode, "dbrestart") == 0)
        run_dbrestart();
    else if (strcmp(mode, "burst") == 0)
        run_burst();
    else if (gap)
        run_gap();
    else {
        fprintf(stderr, "it_faults: unknown scenario %s\n", mode);
        return 2;
    }
    lrc_proxy_close(g_p);
    g_p = NULL;
    if (g_srv) {
        int rc = lrct_server_stop(g_srv);
        g_srv = NULL;
        CHECK(rc == 0, "the server did not end cleanly");
    }
    printf("it_faults %s: %s\n", mode, g_failed ? "FAIL" : "PASS");
    return g_failed ? 1 : 0;
}
