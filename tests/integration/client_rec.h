/*
 * client_rec.h - records what lrc_invoke callbacks receive, for the client
 * integration tests: every update copied with the thread it ran on, waits
 * on a condition variable (never fixed sleeps), and a one-line rendering
 * of each update for exact sequence checks.
 */
#ifndef LRCT_CLIENT_REC_H
#define LRCT_CLIENT_REC_H

#include "lrc/client.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct crec_update {
    unsigned has;
    char *command_id;
    int protocol_version;
    int status;
    long long progress;
    char *result_json;
    char *extra_json;
    char *status_raw;
    char *error_reasons; /* "reason1,reason2" of the DevError stack */
    bool final;
    pthread_t thread;
    double at; /* monotonic seconds */
} crec_update;

typedef struct crec {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    crec_update *u;
    size_t n, cap;
    size_t finals;
    bool free_in_final; /* the callback frees the subscription in its final call */
    lrc_subscription *sub; /* what free_in_final frees (set by the test) */
    bool concurrent;    /* two callbacks of this recorder ever overlapped */
    int inside;
} crec;

void crec_init(crec *r);
void crec_clear(crec *r);

/* The lrc_update_fn; user = the crec. */
void crec_cb(const lrc_update *u, void *user);

/* Waits until the recorder saw `finals` final updates; false on timeout. */
bool crec_wait_finals(crec *r, size_t finals, double timeout_s);

/* Waits until at least n updates arrived; false on timeout. */
bool crec_wait_count(crec *r, size_t n, double timeout_s);

/* One update as text: "STAGING", "progress=10", "COMPLETED result=[0, \"x\"]",
 * "error=API_EventTimeout", with " FINAL" appended to the final one.
 * malloc'd. */
char *crec_render(const crec_update *u);

/* All updates rendered and joined with " | " (under the lock). malloc'd. */
char *crec_sequence(crec *r);

double crec_now(void);

#endif
