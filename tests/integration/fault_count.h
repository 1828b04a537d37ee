/*
 * fault_count.h - counts what the invocations of a fault test receive:
 * per invocation its updates, finals (exactly one is the promise), error
 * updates, final status and latency; and the truth check against what the
 * device itself says (CheckLongRunningCommandStatus).
 *
 * Invocations are started through fcount_invoke from one thread; callbacks
 * may run on any scheduler worker. Every function locks.
 */
#ifndef LRCT_FAULT_COUNT_H
#define LRCT_FAULT_COUNT_H

#include "lrc/client.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct fcount_inv {
    struct fcount *owner;
    lrc_subscription *sub;
    char *id;            /* the command ID (copied after lrc_invoke)      */
    size_t updates;      /* callbacks received                            */
    size_t errors;       /* of which error updates (API_EventTimeout, ...) */
    size_t finals;       /* of which final: 1 is right                    */
    int final_status;    /* status of the first final (-1: none / no status) */
    double t_invoke, t_final; /* monotonic s; t_final 0 until the final   */
} fcount_inv;

typedef struct fcount {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fcount_inv **v;
    size_t n, cap;
    size_t refused;      /* lrc_invoke calls that failed (not accepted)   */
    size_t updates, errors, finals;
    size_t missed;       /* error updates carrying cppTango's API_MissedEvents */
    size_t timeouts;     /* error updates carrying API_EventTimeout        */
} fcount;

void fcount_init(fcount *c);
/* Frees every subscription and the records. */
void fcount_clear(fcount *c);

/* lrc_invoke(p, command, arg) recorded; true if accepted. A refusal is
 * counted (and its message printed when `verbose`). */
bool fcount_invoke(fcount *c, lrc_proxy *p, const char *command, const lrc_arg *arg,
                   bool verbose);

/* Waits until every accepted invocation has its final; false on timeout. */
bool fcount_wait_finals(fcount *c, double timeout_s);

/* Totals. */
typedef struct fcount_totals {
    size_t invocations, refused, finals, lost, duplicates, updates, errors;
    size_t completed; /* finals with status COMPLETED                     */
    size_t untrue;    /* final status differs from what the device says   */
    size_t forgotten; /* the device no longer knows the ID (not checkable) */
    size_t unasked;   /* the device could not be asked                    */
} fcount_totals;

/* Counts; with p, also asks the device for every ID with a final from
 * index check_from on (the truth check: untrue / forgotten / unasked).
 * Accumulates into *t: zero it first. */
void fcount_totals_get(fcount *c, lrc_proxy *p, size_t check_from, fcount_totals *t);

/* Prints "NAME: invocations=.. faults=.. finals=.. lost=.. duplicates=.."
 * and the rest of the totals on stdout. */
void fcount_print(const char *name, int faults, const fcount_totals *t);

/* Latencies (invoke -> final) of the invocations with a final, from index
 * `from` on: min, median, max in seconds; false if none. */
bool fcount_latency(fcount *c, size_t from, double *min, double *med, double *max);

double fcount_now(void);

#endif
