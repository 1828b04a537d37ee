/* test_util.c - see test_util.h. */
#include "test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

void deadline_in(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* ------------------------------------------------------------------------
 * Log capture: the process-wide hook and per-invocation loggers
 * ---------------------------------------------------------------------- */

void logcap_init(logcap *c)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
}

void logcap_reset(logcap *c)
{
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n && i < MAX_LOGS; i++)
        free(c->msg[i]);
    c->n = 0;
    pthread_mutex_unlock(&c->mu);
}

void logcap_destroy(logcap *c)
{
    logcap_reset(c);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
}

void logcap_fn(void *user, int level, const char *msg)
{
    logcap *c = user;
    pthread_mutex_lock(&c->mu);
    if (c->n < MAX_LOGS) {
        c->level[c->n] = level;
        c->msg[c->n] = xstrdup(msg);
    }
    c->n++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Number of messages equal to msg at level (level 0: any level). */
size_t logcap_count(logcap *c, int level, const char *msg)
{
    size_t k = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n && i < MAX_LOGS; i++)
        if ((!level || c->level[i] == level) && strcmp(c->msg[i], msg) == 0)
            k++;
    pthread_mutex_unlock(&c->mu);
    return k;
}

bool wait_flag(pthread_mutex_t *mu, pthread_cond_t *cv, const bool *flag, int64_t ms)
{
    struct timespec until;
    deadline_in(&until, ms);
    while (!*flag)
        if (pthread_cond_timedwait(cv, mu, &until) != 0)
            break;
    return *flag;
}

bool wait_count(pthread_mutex_t *mu, pthread_cond_t *cv, const size_t *count, size_t want,
                int64_t ms)
{
    struct timespec until;
    deadline_in(&until, ms);
    while (*count < want)
        if (pthread_cond_timedwait(cv, mu, &until) != 0)
            break;
    return *count >= want;
}

/* Waits until msg was logged at level; true if it was. */
bool logcap_wait(logcap *c, int level, const char *msg)
{
    struct timespec until;
    deadline_in(&until, WAIT_MS);
    for (;;) {
        if (logcap_count(c, level, msg) > 0)
            return true;
        pthread_mutex_lock(&c->mu);
        int rc = pthread_cond_timedwait(&c->cv, &c->mu, &until);
        pthread_mutex_unlock(&c->mu);
        if (rc != 0)
            return logcap_count(c, level, msg) > 0;
    }
}

size_t logcap_n(logcap *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}

void logcap_dump(logcap *c, const char *title)
{
    pthread_mutex_lock(&c->mu);
    fprintf(stderr, "-- %s: %zu messages\n", title, c->n);
    for (size_t i = 0; i < c->n && i < MAX_LOGS; i++)
        fprintf(stderr, "   [%d] %s\n", c->level[i], c->msg[i]);
    pthread_mutex_unlock(&c->mu);
}

logcap test_hook;

int test_hook_install(void **state)
{
    (void)state;
    logcap_init(&test_hook);
    lrc_log_set_hook(logcap_fn, &test_hook, LRC_LOG_DEBUG);
    return 0;
}

int test_hook_remove(void **state)
{
    (void)state;
    lrc_log_set_hook(NULL, NULL, LRC_LOG_WARNING);
    logcap_destroy(&test_hook);
    return 0;
}

bool fake_close_all(lrc_scheduler *s, lrc_proxy *p, fake_device *d)
{
    lrc_scheduler_free(s);
    lrc_proxy_close(p);
    bool closed = fake_wait_closed(d, 1000); /* workers are joined: at once */
    int live = fake_live_total(d), bad = fake_bad_unsubscribes(d);
    fake_free(d);
    if (!closed || live || bad)
        fprintf(stderr, "left behind: connection %s, %d live subscriptions, %d bad unsubscribes\n",
                closed ? "closed" : "open", live, bad);
    return closed && !live && !bad;
}

void upd_copy(upd *c, const lrc_update *u)
{
    c->size_ok = u->size == sizeof(lrc_update);
    c->has = u->has;
    c->id = xstrdup(u->command_id ? u->command_id : "(null)");
    c->version = u->protocol_version;
    c->status = (u->has & LRC_HAS_STATUS) ? (int)u->status : -1;
    c->progress = (u->has & LRC_HAS_PROGRESS) ? u->progress : -1;
    if (u->has & LRC_HAS_RESULT)
        c->result_json = xstrdup(u->result_json);
    if (u->has & LRC_HAS_RESULT_CODE) {
        c->result_code = u->result_code;
        c->result_message = xstrdup(u->result_message);
    }
    if (u->has & LRC_HAS_EXTRA)
        c->extra_json = xstrdup(u->extra_json);
    if (u->has & LRC_HAS_UNKNOWN_STATUS)
        c->status_raw = xstrdup(u->status_raw);
    if (u->has & LRC_HAS_ERROR)
        c->error = lrc_error_dup(u->error);
    c->final = u->final;
    c->end = (u->has & LRC_HAS_END) ? (int)u->end : LRC_END_NONE;
    c->last_status = (u->has & LRC_HAS_LAST_STATUS) ? (int)u->last_status : -1;
}

void upd_clear(upd *c)
{
    free(c->id);
    free(c->result_json);
    free(c->result_message);
    free(c->extra_json);
    free(c->status_raw);
    lrc_error_free(c->error);
    memset(c, 0, sizeof *c);
}

void upd_clear_all(upd *u, size_t n)
{
    for (size_t i = 0; i < n && i < MAX_UPD; i++)
        upd_clear(&u[i]);
}

void assert_fake_trace(fake_device *d, const char *expected)
{
    char *t = fake_trace(d);
    if (strcmp(t, expected) != 0)
        fprintf(stderr, "trace: %s\nwanted: %s\n", t, expected);
    assert_string_equal(t, expected);
    free(t);
}

void assert_dev_error(const lrc_error *e, size_t i, const char *reason, const char *desc)
{
    const lrc_dev_error *de = lrc_error_at(e, i);
    assert_non_null(de);
    assert_string_equal(de->reason, reason);
    assert_string_equal(de->desc, desc);
}
