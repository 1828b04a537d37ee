/* reaper.c - releases deferred off Tango's threads.
 *
 * A Tango event callback may end the last use of an invocation or a proxy
 * (a fire-and-forget invocation whose scheduler is gone is reaped where its
 * event arrives). Releasing Tango objects there is forbidden: closing a
 * proxy inside push_event waits for that very callback (5 s in cppTango
 * 9.3) and then unlocks a freed mutex. So the event path marks its thread,
 * and whatever would release Tango objects on a marked thread is handed to
 * one library-owned thread instead, started on first use and idle
 * otherwise.
 *
 * The same thread is the library's timer: a job may be due later
 * (lrc_reaper_defer_at: lingering streams, the bound on a young stream's
 * first event) and cancelled before it runs. Jobs stay in order of due
 * time, and in order of deferral among equal times. */
#include "core/client_internal.h"
#include "core/log_internal.h"

#include <stdlib.h>
#include <time.h>

typedef struct job {
    struct job *next;
    void (*fn)(void *);
    void *arg;
    int64_t due_ms; /* lrc_now_ms; 0: at once */
} job;

static _Thread_local int t_tango_depth;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv; /* on CLOCK_MONOTONIC, as lrc_now_ms (start_locked) */
static job *head;         /* ascending due_ms */
static bool started;
static size_t running; /* jobs taken and not finished */
/* When the thread will look at the jobs again by itself: 0 while it runs
 * (it looks before it sleeps), the head's due time while it sleeps toward
 * it, INT64_MAX while it sleeps with nothing queued. A job due no earlier
 * needs no wake-up: lrc_invoke arms a timer for every command on a young
 * stream and cancels it at the first event, and waking this thread for each
 * cost two context switches per command. */
static int64_t wake_at;

void lrc_tango_thread_enter(void) { t_tango_depth++; }
void lrc_tango_thread_leave(void) { t_tango_depth--; }
bool lrc_on_tango_thread(void) { return t_tango_depth > 0; }

/* Under mu: waits until the head job is due. */
static void wait_due(void)
{
    for (;;) {
        if (!head) {
            wake_at = INT64_MAX;
            pthread_cond_wait(&cv, &mu);
            wake_at = 0;
            continue;
        }
        int64_t now = lrc_now_ms();
        if (head->due_ms <= now)
            return;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + (head->due_ms - now) * 1000000LL;
        ts.tv_sec += (time_t)(ns / 1000000000LL);
        ts.tv_nsec = (long)(ns % 1000000000LL);
        wake_at = head->due_ms;
        pthread_cond_timedwait(&cv, &mu, &ts);
        wake_at = 0;
    }
}

static void *reaper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        wait_due();
        job *j = head;
        head = j->next;
        running++;
        pthread_mutex_unlock(&mu);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&mu);
        running--; /* lrc_reaper_wait_idle polls: no one to wake */
    }
    return NULL;
}

/* Under mu: starts the thread unless it runs. */
static void start_locked(void)
{
    if (!started) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&cv, &ca);
        pthread_condattr_destroy(&ca);
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&t, &a, reaper_main, NULL) == 0;
        pthread_attr_destroy(&a);
        if (!started)
            pthread_cond_destroy(&cv);
    }
}

/* Queues a job; false when the thread or the memory cannot be had. */
static bool enqueue(void (*fn)(void *), void *arg, int64_t due_ms)
{
    job *j = malloc(sizeof *j);
    pthread_mutex_lock(&mu);
    if (j)
        start_locked();
    if (!j || !started) {
        pthread_mutex_unlock(&mu);
        free(j);
        return false;
    }
    *j = (job){.fn = fn, .arg = arg, .due_ms = due_ms};
    job **pp = &head;
    while (*pp && (*pp)->due_ms <= due_ms)
        pp = &(*pp)->next;
    j->next = *pp;
    *pp = j;
    if (due_ms < wake_at)
        pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return true;
}

void lrc_reaper_defer(void (*fn)(void *), void *arg)
{
    if (enqueue(fn, arg, 0))
        return;
    /* Out of resources: releasing here risks the 5 s stall, leaking would
     * keep the device subscribed for ever. Stall. */
    lrc_log(LRC_LOG_ERROR, "out of memory: releasing on a Tango event thread");
    fn(arg);
}

bool lrc_reaper_defer_at(int64_t due_ms, void (*fn)(void *), void *arg)
{
    return enqueue(fn, arg, due_ms);
}

bool lrc_reaper_cancel(void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&mu);
    job *j = NULL;
    for (job **pp = &head; *pp; pp = &(*pp)->next)
        if ((*pp)->fn == fn && (*pp)->arg == arg) {
            j = *pp;
            *pp = j->next;
            break;
        }
    pthread_mutex_unlock(&mu);
    free(j);
    return j != NULL;
}

bool lrc_reaper_wait_idle(int64_t timeout_ms)
{
    int64_t end = lrc_now_ms() + timeout_ms;
    pthread_mutex_lock(&mu);
    /* jobs due later (timers) do not count */
    while (((head && head->due_ms <= lrc_now_ms()) || running) && lrc_now_ms() < end) {
        pthread_mutex_unlock(&mu);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&mu);
    }
    bool idle = !(head && head->due_ms <= lrc_now_ms()) && !running;
    pthread_mutex_unlock(&mu);
    return idle;
}
