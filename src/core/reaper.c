/* reaper.c - releases deferred off Tango's threads.
 *
 * A Tango event callback may end the last use of an invocation or a proxy
 * (a fire-and-forget invocation whose scheduler is gone is reaped where its
 * event arrives). Releasing Tango objects there is forbidden: closing a
 * proxy inside push_event waits for that very callback (5 s in cppTango
 * 9.3) and then unlocks a freed mutex. So the event path marks its thread,
 * and whatever would release Tango objects on a marked thread is handed to
 * one library-owned thread instead, started on first use and idle
 * otherwise. */
#include "core/client_internal.h"
#include "core/log_internal.h"

#include <stdlib.h>
#include <time.h>

typedef struct job {
    struct job *next;
    void (*fn)(void *);
    void *arg;
} job;

static _Thread_local int t_tango_depth;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static job *head, *tail;
static bool started;
static size_t running; /* jobs taken and not finished */

void lrc_tango_thread_enter(void) { t_tango_depth++; }
void lrc_tango_thread_leave(void) { t_tango_depth--; }
bool lrc_on_tango_thread(void) { return t_tango_depth > 0; }

static void *reaper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        while (!head)
            pthread_cond_wait(&cv, &mu);
        job *j = head;
        head = j->next;
        if (!head)
            tail = NULL;
        running++;
        pthread_mutex_unlock(&mu);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&mu);
        running--;
        pthread_cond_broadcast(&cv);
    }
    return NULL;
}

void lrc_reaper_defer(void (*fn)(void *), void *arg)
{
    job *j = malloc(sizeof *j);
    pthread_mutex_lock(&mu);
    if (j && !started) {
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&t, &a, reaper_main, NULL) == 0;
        pthread_attr_destroy(&a);
    }
    if (!j || !started) {
        pthread_mutex_unlock(&mu);
        free(j);
        /* Out of resources: releasing here risks the 5 s stall, leaking
         * would keep the device subscribed for ever. Stall. */
        lrc_log(LRC_LOG_ERROR, "out of memory: releasing on a Tango event thread");
        fn(arg);
        return;
    }
    *j = (job){.fn = fn, .arg = arg};
    if (tail)
        tail->next = j;
    else
        head = j;
    tail = j;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

bool lrc_reaper_wait_idle(int64_t timeout_ms)
{
    int64_t end = lrc_now_ms() + timeout_ms;
    pthread_mutex_lock(&mu);
    while ((head || running) && lrc_now_ms() < end) {
        pthread_mutex_unlock(&mu);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&mu);
    }
    bool idle = !head && !running;
    pthread_mutex_unlock(&mu);
    return idle;
}
