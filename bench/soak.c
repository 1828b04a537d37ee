/*
 * soak.c - mixed LRC traffic through the library for a given time, with the
 * memory and threads of the client and the servers sampled (scripts/soak
 * starts the servers, restarts one of them and calls this).
 *
 *   lrc-soak --seconds S --csv FILE STABLE_DEV:PIDFILE RESTARTED_DEV:PIDFILE
 *
 * Two client threads invoke in a loop, each pick at random: Echo on a
 * connected proxy, Echo on a fresh one (subscribe per call, as ska's
 * invoke_lrc without a pre-connected interface), Sleep(0.3) followed by
 * Abort, or Fail. Half of the traffic goes to each device. Every second
 * the client's and each server's VmRSS and thread count go to FILE (the
 * servers' PIDs are read from their pidfiles then, so a restart is
 * followed), and for the client its RSS split into anonymous and file
 * pages, and malloc's heap in use and held (mallinfo2): RSS that grows
 * while the heap in use stays flat is freed memory glibc keeps, not a
 * leak. --trim calls malloc_trim(0) before each sample, to show how much
 * of the RSS that is. At the end no new call is made, every open invocation gets
 * up to 30 s for its final, and a summary is printed:
 *   invocations by outcome (COMPLETED/ABORTED/FAILED/REJECTED), errors of
 *   lrc_invoke, finals missing, finals delivered twice, and the growth per
 *   hour of RSS and threads (least squares over the samples after the
 *   first fifth) for the client and the stable server.
 * Invocations on the restarted server still open after the grace that were
 * made before its last restart was seen + 12 s are reported apart ("open
 * across a restart": the device forgot them, or accepted them while the
 * client's stream was still broken; the library cannot yet end them as
 * lost). Exits 1 on a missing or duplicate final or on growth beyond
 * --max-rss-mb-h (default 20) / --max-threads-h (default 10), judged only
 * for runs of 5 minutes or more (shorter ones cannot tell a slope from
 * warm-up), else 0; 2 on bad usage or setup.
 */
#include "lrc/client.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#define WORKERS 2
#define MAX_INV 200000
/* Every accepted invocation must end within the lost bound after the
 * traffic stops (a device that forgot a command, or never answers, ends it
 * as LRC_END_LOST): the proxies use LOST_AFTER_MS, and the wait for the
 * last finals is longer than that plus a Tango heartbeat. */
#define LOST_AFTER_MS 20000
#define FINAL_GRACE_S 45

#define END_BASE 100 /* inv.status of a final the library ended: END_BASE + lrc_end */

typedef struct inv {
    atomic_int finals;
    atomic_int status;
    int target;        /* index in targets[] */
    double invoked_at; /* seconds since the start */
} inv;

typedef struct target {
    const char *device;
    const char *pidfile;
    lrc_proxy *connected;
} target;

static inv invs[MAX_INV];
static atomic_int n_inv;
static atomic_int n_errors;
static atomic_int n_rejected; /* lrc_invoke said LRC_EREJECTED */
static double t_start;
static atomic_bool stopping;
static target targets[2];
static lrc_proxy_options popts; /* every proxy's: the lost bound */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* VmRSS (kB) and Threads of a process; -1 when it cannot be read. */
static void proc_sample(long pid, long *rss_kb, long *threads)
{
    *rss_kb = -1;
    *threads = -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            *rss_kb = atol(line + 6);
        else if (strncmp(line, "Threads:", 8) == 0)
            *threads = atol(line + 8);
    }
    fclose(f);
}

/* What of the client's RSS is anonymous memory (heap, stacks) and what is
 * file pages (code of the libraries touched so far), and malloc's own view:
 * bytes in use and bytes it holds from the system (kB; -1 when unknown).
 * RSS growing while the heap in use stays flat is glibc keeping freed
 * pages, or code pages first run, not a leak. */
static void self_memory(long *anon_kb, long *file_kb, long *heap_used_kb, long *heap_held_kb)
{
    *anon_kb = *file_kb = *heap_used_kb = *heap_held_kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "RssAnon:", 8) == 0)
                *anon_kb = atol(line + 8);
            else if (strncmp(line, "RssFile:", 8) == 0)
                *file_kb = atol(line + 8);
        }
        fclose(f);
    }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2(); /* all arenas */
    *heap_used_kb = (long)((mi.uordblks + mi.hblkhd) / 1024);
    *heap_held_kb = (long)((mi.arena + mi.hblkhd) / 1024);
#endif
}

static long pid_from(const char *pidfile)
{
    FILE *f = fopen(pidfile, "r");
    long pid = -1;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = -1;
        fclose(f);
    }
    return pid;
}

static void on_update(const lrc_update *u, void *user)
{
    inv *v = user;
    if (u->final) {
        int st = -1;
        if (u->has & LRC_HAS_STATUS)
            st = (int)u->status;
        else if (u->has & LRC_HAS_END)
            st = END_BASE + (int)u->end; /* ended by the library: lost, timed out */
        atomic_store(&v->status, st);
        atomic_fetch_add(&v->finals, 1);
    }
}

/* One invocation; its final callback frees it (out == NULL). */
static void invoke(int which, lrc_proxy *p, const char *cmd, const lrc_arg *arg)
{
    int i = atomic_fetch_add(&n_inv, 1);
    if (i >= MAX_INV) {
        atomic_fetch_sub(&n_inv, 1);
        atomic_store(&stopping, true);
        return;
    }
    atomic_store(&invs[i].status, -2);
    invs[i].target = which;
    invs[i].invoked_at = now_s() - t_start;
    lrc_error *err = NULL;
    int rc = lrc_invoke(p, cmd, arg, on_update, &invs[i], NULL, NULL, &err);
    if (rc != LRC_OK) {
        atomic_store(&invs[i].status, -3); /* no invocation: counted as an error */
        atomic_fetch_add(rc == LRC_EREJECTED ? &n_rejected : &n_errors, 1);
        lrc_error_free(err);
    }
}

static void *worker_main(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg * 7919u + (unsigned)time(NULL);
    while (!atomic_load(&stopping)) {
        int ti = (int)(rand_r(&seed) % 2);
        target *t = &targets[ti];
        int op = rand_r(&seed) % 10;
        if (op < 4) { /* Echo over the connected proxy */
            lrc_arg a = lrc_arg_string("soak");
            invoke(ti, t->connected, "Echo", &a);
        } else if (op < 7) { /* a fresh proxy per call: subscribe, call, unsubscribe */
            lrc_proxy *p = NULL;
            lrc_error *err = NULL;
            if (lrc_proxy_open(t->device, &popts, &p, &err) != LRC_OK) {
                atomic_fetch_add(&n_errors, 1);
                lrc_error_free(err);
                sleep_s(0.2);
                continue;
            }
            lrc_arg a = lrc_arg_string("fresh");
            invoke(ti, p, "Echo", &a);
            lrc_proxy_close(p); /* the invocation keeps what it needs */
        } else if (op < 9) { /* a task, then Abort */
            lrc_arg a = lrc_arg_double(0.3);
            invoke(ti, t->connected, "Sleep", &a);
            sleep_s(0.05);
            lrc_arg none = lrc_arg_none();
            invoke(ti, t->connected, "Abort", &none);
        } else {
            lrc_arg a = lrc_arg_string("soak failure");
            invoke(ti, t->connected, "Fail", &a);
        }
        sleep_s(0.02);
    }
    return NULL;
}

/* Least-squares slope of y over x (per second). */
static double slope(const double *x, const double *y, int n)
{
    if (n < 2)
        return 0;
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxx = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    return sxx > 0 ? sxy / sxx : 0;
}

static bool split_target(char *spec, target *t)
{
    char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1])
        return false;
    *colon = '\0';
    t->device = spec;
    t->pidfile = colon + 1;
    return true;
}

int main(int argc, char **argv)
{
    lrc_proxy_options_init(&popts);
    popts.lost_after_ms = LOST_AFTER_MS;
    double seconds = 60, max_rss_mb_h = 20, max_threads_h = 10;
    bool trim = false;
    const char *csv = NULL;
    char *specs[2];
    int nspec = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc)
            csv = argv[++i];
        else if (strcmp(argv[i], "--max-rss-mb-h") == 0 && i + 1 < argc)
            max_rss_mb_h = atof(argv[++i]);
        else if (strcmp(argv[i], "--max-threads-h") == 0 && i + 1 < argc)
            max_threads_h = atof(argv[++i]);
        else if (strcmp(argv[i], "--trim") == 0)
            trim = true; /* a diagnostic: what glibc keeps, given back */
        else if (nspec < 2)
            specs[nspec++] = argv[i];
        else
            nspec = 3;
    }
    if (nspec != 2 || !csv || seconds <= 0 || !split_target(specs[0], &targets[0]) ||
        !split_target(specs[1], &targets[1])) {
        fprintf(stderr, "usage: lrc-soak --seconds S --csv FILE STABLE_DEV:PIDFILE "
                        "RESTARTED_DEV:PIDFILE [--max-rss-mb-h X] [--max-threads-h N] [--trim]\n");
        return 2;
    }
    for (int k = 0; k < 2; k++) {
        lrc_error *err = NULL;
        if (lrc_proxy_open(targets[k].device, &popts, &targets[k].connected, &err) != LRC_OK ||
            lrc_connect_interface(targets[k].connected, NULL, &err) != LRC_OK) {
            fprintf(stderr, "lrc-soak: %s: %s\n", targets[k].device, lrc_error_message(err));
            lrc_error_free(err);
            return 2;
        }
    }
    FILE *out = fopen(csv, "w");
    if (!out) {
        perror(csv);
        return 2;
    }
    fprintf(out, "t_s,client_rss_kb,client_threads,stable_rss_kb,stable_threads,"
                 "restarted_rss_kb,restarted_threads,invocations,client_rss_anon_kb,"
                 "client_rss_file_kb,client_heap_used_kb,client_heap_held_kb\n");

    /* Touch the whole table now: its pages must not show as client growth. */
    memset(invs, 0, sizeof invs);
    t_start = now_s();
    pthread_t workers[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&workers[i], NULL, worker_main, (void *)(uintptr_t)(i + 1));

    int cap = (int)seconds + 16, n = 0;
    double *ts = calloc((size_t)cap, sizeof *ts);
    double *c_rss = calloc((size_t)cap, sizeof *c_rss), *c_thr = calloc((size_t)cap, sizeof *c_thr);
    double *s_rss = calloc((size_t)cap, sizeof *s_rss), *s_thr = calloc((size_t)cap, sizeof *s_thr);
    double *c_mem[4]; /* RssAnon, RssFile, heap in use, heap held (self_memory) */
    for (int k = 0; k < 4; k++)
        c_mem[k] = calloc((size_t)cap, sizeof *c_mem[k]);
    double t0 = t_start;
    long last_pid = pid_from(targets[1].pidfile);
    int restarts_seen = 0;
    while (now_s() - t0 < seconds && !atomic_load(&stopping) && n < cap) {
        sleep_s(1.0);
        long v[6];
        proc_sample((long)getpid(), &v[0], &v[1]);
        proc_sample(pid_from(targets[0].pidfile), &v[2], &v[3]);
        long pid1 = pid_from(targets[1].pidfile);
        proc_sample(pid1, &v[4], &v[5]);
        long m[4];
#if defined(__GLIBC__)
        if (trim)
            malloc_trim(0);
#else
        (void)trim;
#endif
        self_memory(&m[0], &m[1], &m[2], &m[3]);
        double t = now_s() - t0;
        if (pid1 != last_pid) { /* stopped (no pidfile) or started again */
            if (pid1 < 0)
                restarts_seen++;
            last_pid = pid1;
        }
        fprintf(out, "%.1f,%ld,%ld,%ld,%ld,%ld,%ld,%d,%ld,%ld,%ld,%ld\n", t, v[0], v[1], v[2],
                v[3], v[4], v[5], atomic_load(&n_inv), m[0], m[1], m[2], m[3]);
        fflush(out);
        ts[n] = t;
        c_rss[n] = (double)v[0];
        for (int k = 0; k < 4; k++)
            if (c_mem[k])
                c_mem[k][n] = (double)m[k];
        c_thr[n] = (double)v[1];
        s_rss[n] = (double)v[2];
        s_thr[n] = (double)v[3];
        n++;
    }
    atomic_store(&stopping, true);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(workers[i], NULL);
    fclose(out);

    /* Every invocation lrc_invoke accepted must end: wait for the finals. */
    int total = atomic_load(&n_inv);
    double until = now_s() + FINAL_GRACE_S;
    int open;
    do {
        open = 0;
        for (int i = 0; i < total; i++)
            if (atomic_load(&invs[i].status) != -3 && atomic_load(&invs[i].finals) == 0)
                open++;
        if (open)
            sleep_s(0.2);
    } while (open && now_s() < until);
    /* Still open: missing. Those the restarted server forgot end as lost. */
    int missing = 0;
    for (int i = 0; i < total; i++) {
        if (atomic_load(&invs[i].status) == -3 || atomic_load(&invs[i].finals) > 0)
            continue;
        if (++missing <= 20)
            fprintf(stderr, "lrc-soak: no final: invocation %d on %s, made at %.1f s\n", i,
                    targets[invs[i].target].device, invs[i].invoked_at);
    }

    int by_status[8] = {0}, lost = 0, timed_out = 0, other = 0, dup = 0, accepted = 0;
    for (int i = 0; i < total; i++) {
        if (atomic_load(&invs[i].status) == -3)
            continue;
        accepted++;
        int f = atomic_load(&invs[i].finals);
        if (f > 1)
            dup++;
        if (f >= 1) {
            int st = atomic_load(&invs[i].status);
            if (st >= 0 && st < 8)
                by_status[st]++;
            else if (st == END_BASE + LRC_END_LOST)
                lost++;
            else if (st == END_BASE + LRC_END_TIMED_OUT)
                timed_out++;
            else
                other++;
        }
    }
    int skip = n / 5;
    double c_rss_h = slope(ts + skip, c_rss + skip, n - skip) * 3600 / 1024;
    double c_thr_h = slope(ts + skip, c_thr + skip, n - skip) * 3600;
    double s_rss_h = slope(ts + skip, s_rss + skip, n - skip) * 3600 / 1024;
    double s_thr_h = slope(ts + skip, s_thr + skip, n - skip) * 3600;
    printf("soak: %.0f s, invocations %d (accepted %d; refused by lrc_invoke: REJECTED %d, "
           "errors %d)\n",
           ts[n > 0 ? n - 1 : 0], total, accepted, atomic_load(&n_rejected),
           atomic_load(&n_errors));
    printf("soak: finals COMPLETED %d, ABORTED %d, FAILED %d, REJECTED %d, LOST %d, "
           "TIMED_OUT %d, other %d; missing %d, duplicate %d; restarts seen %d\n",
           by_status[LRC_STATUS_COMPLETED], by_status[LRC_STATUS_ABORTED],
           by_status[LRC_STATUS_FAILED], by_status[LRC_STATUS_REJECTED], lost, timed_out, other,
           missing, dup, restarts_seen);
    printf("soak: client rss %.0f -> %.0f kB (%+.1f MB/h), threads %.0f -> %.0f (%+.1f/h)\n",
           n ? c_rss[0] : 0, n ? c_rss[n - 1] : 0, c_rss_h, n ? c_thr[0] : 0,
           n ? c_thr[n - 1] : 0, c_thr_h);
    if (n && c_mem[0] && c_mem[1] && c_mem[2] && c_mem[3] && c_mem[2][0] >= 0) {
        double used_h = slope(ts + skip, c_mem[2] + skip, n - skip) * 3600 / 1024;
        double held_h = slope(ts + skip, c_mem[3] + skip, n - skip) * 3600 / 1024;
        printf("soak: client heap in use %.0f -> %.0f kB (%+.1f MB/h), held by malloc %.0f -> "
               "%.0f kB (%+.1f MB/h); rss anon %.0f -> %.0f kB, file %.0f -> %.0f kB\n",
               c_mem[2][0], c_mem[2][n - 1], used_h, c_mem[3][0], c_mem[3][n - 1], held_h,
               c_mem[0][0], c_mem[0][n - 1], c_mem[1][0], c_mem[1][n - 1]);
    }
    printf("soak: stable server rss %.0f -> %.0f kB (%+.1f MB/h), threads %.0f -> %.0f (%+.1f/h)\n",
           n ? s_rss[0] : 0, n ? s_rss[n - 1] : 0, s_rss_h, n ? s_thr[0] : 0,
           n ? s_thr[n - 1] : 0, s_thr_h);
    int rc = 0;
    if (missing || dup) {
        printf("soak: FAIL: %d finals missing, %d duplicate\n", missing, dup);
        rc = 1;
    }
    if (seconds >= 300 && (c_rss_h > max_rss_mb_h || s_rss_h > max_rss_mb_h ||
                           c_thr_h > max_threads_h || s_thr_h > max_threads_h)) {
        printf("soak: FAIL: growth beyond %.0f MB/h or %.0f threads/h\n", max_rss_mb_h,
               max_threads_h);
        rc = 1;
    } else if (seconds < 300) {
        printf("soak: growth not judged (a run under 5 minutes cannot tell it from warm-up)\n");
    }
    if (rc == 0)
        printf("soak: PASS\n");
    free(ts);
    free(c_rss);
    for (int k = 0; k < 4; k++)
        free(c_mem[k]);
    free(c_thr);
    free(s_rss);
    free(s_thr);
    for (int k = 0; k < 2; k++) {
        lrc_disconnect_interface(targets[k].connected, NULL);
        lrc_proxy_close(targets[k].connected);
    }
    return rc;
}
