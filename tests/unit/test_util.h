/*
 * test_util.h - helpers shared by the unit tests of the client API
 * (test_client.c, test_device.c): deadlines, log capture, a copy of an
 * lrc_update that outlives its callback, and assertions on the fake
 * device's trace and on DevError stacks.
 */
#ifndef LRC_TEST_UTIL_H
#define LRC_TEST_UTIL_H

#include "fake_transport.h"
#include "lrc/client.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* How long a test waits for something that must happen. */
#define WAIT_MS 5000

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Pushes a string spectrum given inline. */
#define PUSH(d, attr, ...)                                                                   \
    fake_push_strings((d), (attr), (const char *const[]){__VA_ARGS__},                       \
                      COUNT(((const char *const[]){__VA_ARGS__})))

/* strdup that aborts when out of memory (NULL stays NULL). */
char *xstrdup(const char *s);
/* *ts = now (CLOCK_REALTIME) + ms, for pthread_cond_timedwait. */
void deadline_in(struct timespec *ts, int64_t ms);
void sleep_ms(int ms);

/* With mu held: waits on cv (which signals changes of *flag / *count)
 * until *flag is true / *count >= want, at most ms; returns whether it
 * is. */
bool wait_flag(pthread_mutex_t *mu, pthread_cond_t *cv, const bool *flag, int64_t ms);
bool wait_count(pthread_mutex_t *mu, pthread_cond_t *cv, const size_t *count, size_t want,
                int64_t ms);

/* ---- log capture: the process-wide hook and per-call loggers ------------ */

#define MAX_LOGS 256

typedef struct logcap {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int level[MAX_LOGS];
    char *msg[MAX_LOGS];
    size_t n;
} logcap;

void logcap_init(logcap *c);
void logcap_reset(logcap *c);
void logcap_destroy(logcap *c);
/* An lrc_log_fn; user = the logcap. */
void logcap_fn(void *user, int level, const char *msg);
/* Number of messages equal to msg at level (level 0: any level). */
size_t logcap_count(logcap *c, int level, const char *msg);
/* Waits (WAIT_MS) until msg was logged at level; true if it was. */
bool logcap_wait(logcap *c, int level, const char *msg);
size_t logcap_n(logcap *c);
void logcap_dump(logcap *c, const char *title);

/* The process-wide log hook of a test program: test_hook_install /
 * test_hook_remove are cmocka group set-up / tear-down functions. */
extern logcap test_hook;
int test_hook_install(void **state);
int test_hook_remove(void **state);

/* The end of a test on the fake device: frees the scheduler first (after a
 * failed test no callback may run on a recorder of the test's stack),
 * closes the proxy, frees the device. True if nothing was left behind (the
 * connection closed, no live subscription, no unsubscribe of an unknown
 * id); prints what was. */
bool fake_close_all(lrc_scheduler *s, lrc_proxy *p, fake_device *d);

/* ---- one update, copied out of its callback ------------------------------- */

typedef struct upd {
    bool size_ok; /* u->size == sizeof(lrc_update) */
    unsigned has;
    char *id; /* "(null)" when the update names no command */
    int version;
    int status;       /* -1 without LRC_HAS_STATUS */
    int64_t progress; /* -1 without LRC_HAS_PROGRESS */
    char *result_json, *result_message, *extra_json, *status_raw;
    int result_code;
    lrc_error *error;
    bool final;
    int end;         /* LRC_END_NONE without LRC_HAS_END */
    int last_status; /* -1 without LRC_HAS_LAST_STATUS */
    int live;       /* (test_client) live fake subscriptions during the callback */
    bool on_worker; /* ran on a worker of the expected scheduler */
} upd;

#define MAX_UPD 64

/* Copies *u into *c (everything but live and on_worker). */
void upd_copy(upd *c, const lrc_update *u);
/* Frees what *c owns. */
void upd_clear(upd *c);
/* upd_clear of u[0..n), at most MAX_UPD of them (a recorder's count may
 * run past its array). */
void upd_clear_all(upd *u, size_t n);

/* ---- assertions ------------------------------------------------------------ */

/* The fake device's call trace is exactly `expected`. */
void assert_fake_trace(fake_device *d, const char *expected);
/* The DevError at index i of e. */
void assert_dev_error(const lrc_error *e, size_t i, const char *reason, const char *desc);

#endif /* LRC_TEST_UTIL_H */
