/* fault_net.c - see fault_net.h. Everything goes through `ip` and `tc`
 * (iproute2), run without a shell. */
#define _POSIX_C_SOURCE 200809L

#include "fault_net.h"

#include "tango_fixture.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define IP "/usr/sbin/ip"
#define TC "/usr/sbin/tc"
#define NS_PREFIX "lrcf-"
#define CMD_TIMEOUT_MS 10000

static int run(const char *const *argv)
{
    int rc = lrct_run(argv, CMD_TIMEOUT_MS, NULL);
    if (rc != 0) {
        fprintf(stderr, "fault_net: failed (%d):", rc);
        for (size_t i = 0; argv[i]; i++)
            fprintf(stderr, " %s", argv[i]);
        fprintf(stderr, "\n");
    }
    return rc == 0 ? 0 : -1;
}

/* Deletes lrcf-<pid> namespaces whose process is gone (a test killed by a
 * timeout runs no clean-up of its own). */
static void sweep_stale(void)
{
    const char *argv[] = {IP, "netns", "list", NULL};
    char *out = NULL;
    if (lrct_run(argv, CMD_TIMEOUT_MS, &out) == 0 && out) {
        for (char *save = NULL, *line = strtok_r(out, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            if (strncmp(line, NS_PREFIX, strlen(NS_PREFIX)) != 0)
                continue;
            char *end = NULL;
            long pid = strtol(line + strlen(NS_PREFIX), &end, 10);
            if (pid <= 0 || (*end != '\0' && *end != ' '))
                continue;
            if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                continue;
            *end = '\0';
            fprintf(stderr, "fault_net: deleting stale namespace %s\n", line);
            const char *del[] = {IP, "netns", "del", line, NULL};
            run(del);
        }
    }
    free(out);
}

int fnet_up(fnet *n)
{
    memset(n, 0, sizeof *n);
    sweep_stale();
    long pid = (long)getpid();
    snprintf(n->ns, sizeof n->ns, NS_PREFIX "%ld", pid);
    snprintf(n->host_if, sizeof n->host_if, "lrcfh%ld", pid % 10000000);
    snprintf(n->ns_if, sizeof n->ns_if, "lrcfn%ld", pid % 10000000);
    /* a /30 per PID: 64 per third octet */
    unsigned a = (unsigned)(pid / 64) % 256, b = (unsigned)(pid % 64) * 4;
    char host_cidr[40], ns_cidr[40];
    snprintf(n->host_ip, sizeof n->host_ip, "10.213.%u.%u", a, b + 1);
    snprintf(n->ns_ip, sizeof n->ns_ip, "10.213.%u.%u", a, b + 2);
    snprintf(host_cidr, sizeof host_cidr, "%s/30", n->host_ip);
    snprintf(ns_cidr, sizeof ns_cidr, "%s/30", n->ns_ip);

    const char *add_ns[] = {IP, "netns", "add", n->ns, NULL};
    if (run(add_ns) != 0)
        return -1;
    n->up = true;
    const char *veth[] = {IP, "link", "add", n->host_if, "type", "veth", "peer", "name", n->ns_if, NULL};
    const char *move[] = {IP, "link", "set", n->ns_if, "netns", n->ns, NULL};
    const char *haddr[] = {IP, "addr", "add", host_cidr, "dev", n->host_if, NULL};
    const char *hup[] = {IP, "link", "set", n->host_if, "up", NULL};
    const char *naddr[] = {IP, "-n", n->ns, "addr", "add", ns_cidr, "dev", n->ns_if, NULL};
    const char *nup[] = {IP, "-n", n->ns, "link", "set", n->ns_if, "up", NULL};
    const char *lo[] = {IP, "-n", n->ns, "link", "set", "lo", "up", NULL};
    if (run(veth) || run(move) || run(haddr) || run(hup) || run(naddr) || run(nup) || run(lo)) {
        /* a veth end still on the host would outlive the namespace */
        const char *del_veth[] = {IP, "link", "del", n->host_if, NULL};
        lrct_run(del_veth, CMD_TIMEOUT_MS, NULL);
        fnet_down(n);
        return -1;
    }
    fprintf(stderr, "fault_net: namespace %s, host %s (%s), server %s (%s)\n", n->ns, n->host_ip,
            n->host_if, n->ns_ip, n->ns_if);
    return 0;
}

void fnet_down(fnet *n)
{
    if (!n->up)
        return;
    const char *del[] = {IP, "netns", "del", n->ns, NULL};
    if (run(del) == 0)
        fprintf(stderr, "fault_net: namespace %s deleted\n", n->ns);
    n->up = false;
}

/* The namespace's end goes down: the host end loses its carrier but keeps
 * its route, so what the host sends to the server goes into the veth and
 * is dropped there. (Taking the host end down would remove that route and
 * send the traffic to the host's default gateway instead.) */
int fnet_cut(fnet *n, bool cut)
{
    const char *argv[] = {IP, "-n", n->ns, "link", "set", n->ns_if, cut ? "down" : "up", NULL};
    return run(argv);
}

int fnet_throttle(fnet *n, const char *rate)
{
    if (!rate) {
        const char *h[] = {TC, "qdisc", "del", "dev", n->host_if, "root", NULL};
        const char *s[] = {IP, "netns", "exec", n->ns, TC, "qdisc", "del", "dev", n->ns_if, "root", NULL};
        int rc = run(h) | run(s);
        n->throttled = false;
        return rc ? -1 : 0;
    }
    /* burst: one full-size segment and a bit (the least tbf takes, so a
     * 4 KB message feels the rate); latency: how long a packet may wait
     * in the bucket before it is dropped (TCP retransmits it) */
    const char *h[] = {TC, "qdisc", "add", "dev", n->host_if, "root", "tbf", "rate", rate,
                       "burst", "2kb", "latency", "500ms", NULL};
    const char *s[] = {IP, "netns", "exec", n->ns, TC, "qdisc", "add", "dev", n->ns_if, "root",
                       "tbf", "rate", rate, "burst", "2kb", "latency", "500ms", NULL};
    if (run(h) || run(s))
        return -1;
    n->throttled = true;
    return 0;
}
