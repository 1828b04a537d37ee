/*
 * fault_net.h - a private network namespace for one device server, so a
 * test can cut or throttle the link between it and the rest of the machine.
 *
 * One namespace "lrcf-<pid>" per test process, joined to the host by a veth
 * pair on a /30 of 10.213.0.0/16 chosen from the PID (host side .1, server
 * side .2 of the /30): traffic only ever goes to addresses the test set up.
 * Needs root (ip netns). Namespaces left by an earlier run that was killed
 * (its PID gone) are deleted by fnet_up, by the names this helper makes.
 *
 * Main thread only (lrct_run forks).
 */
#ifndef LRCT_FAULT_NET_H
#define LRCT_FAULT_NET_H

#include <stdbool.h>

typedef struct fnet {
    char ns[32];      /* namespace name                                */
    char host_if[16]; /* veth end on the host                          */
    char ns_if[16];   /* veth end in the namespace                     */
    char host_ip[32]; /* address of host_if                            */
    char ns_ip[32];     /* address of ns_if: the server's ORB endpoint   */
    bool up;
    bool throttled;
} fnet;

/* Creates the namespace, the veth pair and the addresses; 0 or -1 (printed).
 * On failure whatever was made is removed again. */
int fnet_up(fnet *n);

/* Deletes the namespace (which deletes the veth pair). Idempotent. */
void fnet_down(fnet *n);

/* Takes the link down (cut = true) or up again; 0 or -1. While it is
 * down, packets either way are dropped on the link (none leaves it). */
int fnet_cut(fnet *n, bool cut);

/* Token bucket (tc tbf) at `rate` (e.g. "64kbit") on both ends of the
 * link, or removes it (rate NULL); 0 or -1. */
int fnet_throttle(fnet *n, const char *rate);

#endif
