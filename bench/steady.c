/* steady.c - the steady-state window of the benchmark programs (steady.h). */
#include "steady.h"

#include "bench_out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *g_scenario;
static double g_seconds;
static double g_t0, g_cpu0;
static bool g_open;
static size_t g_i0; /* i when the window opened */

bool bench_steady_set(const char *scenario, const char *seconds)
{
    char *end;
    double s = strtod(seconds, &end);
    if (!scenario || !*scenario || end == seconds || *end || !(s > 0))
        return false;
    g_scenario = scenario;
    g_seconds = s;
    return true;
}

const char *bench_steady_scenario(void) { return g_scenario; }

bool bench_steady_is(const char *name, const char *alias)
{
    return g_scenario &&
           (strcmp(g_scenario, name) == 0 || (alias && strcmp(g_scenario, alias) == 0));
}

/* Sends one command to perf's control FIFO and waits for its "ack" (so that
 * counting starts before the loop does, and stops before the teardown). */
static void perf_control(const char *cmd)
{
    const char *ctl = getenv("LRC_BENCH_PERF_CTL"), *ack = getenv("LRC_BENCH_PERF_ACK");
    if (!ctl || !*ctl)
        return;
    int fd = open(ctl, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "steady: %s: %s\n", ctl, strerror(errno));
        return;
    }
    size_t len = strlen(cmd);
    if (write(fd, cmd, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
        fprintf(stderr, "steady: %s: cannot write '%s'\n", ctl, cmd);
    close(fd);
    if (!ack || !*ack)
        return;
    int afd = open(ack, O_RDONLY | O_CLOEXEC);
    if (afd < 0)
        return;
    char buf[16];
    (void)!read(afd, buf, sizeof buf); /* perf answers "ack\n" */
    close(afd);
}

bool bench_steady_more(size_t i, size_t warm, size_t n)
{
    if (!g_scenario)
        return i < warm + n;
    if (i < warm)
        return true;
    if (!g_open) {
        g_open = true;
        g_i0 = i;
        perf_control("enable");
        g_t0 = bench_now_ms();
        g_cpu0 = bench_cpu_s();
        return true;
    }
    double secs = (bench_now_ms() - g_t0) / 1e3;
    if (secs < g_seconds)
        return true;
    double cpu = bench_cpu_s() - g_cpu0;
    perf_control("disable");
    size_t ops = i - g_i0;
    printf("{\"steady\": \"%s\", \"ops\": %zu, \"seconds\": %.3f, \"cpu_s\": %.4f}\n", g_scenario,
           ops, secs, cpu);
    fflush(stdout);
    fprintf(stderr, "steady %s: %zu ops in %.2f s, %.1f us CPU per op\n", g_scenario, ops, secs,
            ops ? cpu * 1e6 / (double)ops : 0.0);
    return false;
}
