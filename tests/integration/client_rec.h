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
    int end;         /* lrc_end with LRC_HAS_END, else LRC_END_NONE */
    int last_status; /* with LRC_HAS_LAST_STATUS, else -1 */
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

/* True if `seq` (crec_sequence) is `want`, or a suffix of it that starts at
 * an update boundary: the device's events are delivered in order, but a
 * stream subscribed moments before may lose the first ones (see
 * crec_warm_up); the final update is always there (the library reads it
 * from the device then). Prints a note for a strict suffix. */
bool crec_sequence_matches(const char *seq, const char *want);

/* True if `seq` (crec_sequence) is `want` (nwant items) with some leading
 * or inner items missing: every item of seq is an item of want, in want's
 * order, and the last items are equal. For streams that may lose events
 * but never the final (it_client_load, it_client_restart). */
bool crec_ordered_subsequence(const char *seq, const char *const *want, size_t nwant);

/* Opens a second proxy on device, connects its LRC interface and runs one
 * Echo to its end, so that this process's event channel to the device
 * server is established before a test measures exact sequences (ZeroMQ
 * connects asynchronously: events a server publishes before a new
 * subscription reaches it are lost; the library recovers the final status
 * then, not the intermediate ones). Returns the proxy to close after the
 * test (crec_cool_down), or NULL on failure (printed). */
lrc_proxy *crec_warm_up(const char *device);
void crec_cool_down(lrc_proxy *warm);

/* The fixture of a client test: a demo device of its own (it_common.h),
 * an lrc_proxy on it, and the warm-up proxy. */
struct it_dev;
typedef struct crec_fx {
    struct it_dev *d;
    lrc_proxy *p;
    lrc_proxy *warm; /* keeps the event channel to the server established */
} crec_fx;

/* A cmocka set-up: starts a demo device (tag: see it_dev_start) with
 * property LrcProtocolVersions=versions (NULL: the default), warms it up
 * when `warm` (a device without a common protocol version cannot be),
 * opens the proxy. *state is the fixture even on failure (0, or -1 after
 * printing why); crec_fx_teardown frees it. */
int crec_fx_setup(void **state, const char *tag, const char *versions, bool warm);
/* Asserts (cmocka) that p holds no stream now and ended every
 * subscription it made. */
void crec_expect_unsubscribed(lrc_proxy *p);

/* Closes the proxies, stops the server (-1 unless it ended cleanly). */
int crec_fx_teardown(void **state);

#endif
