/*
 * scheduler_loop.c - the scheduler's loop mode (thread_count 0): no worker
 * threads; the application runs the queued callbacks on its own thread with
 * lrc_scheduler_dispatch when an eventfd says there is work.
 *
 * The fd is level-triggered by construction: its counter is non-zero (it
 * polls readable) exactly while loop_signalled is set, which holds while a
 * queue is ready or a wakeup waits for the next dispatch. Pushes set it on
 * the first ready queue; only a dispatch that leaves nothing ready clears
 * it. Both happen under s->lock, so a push can never be lost between a
 * dispatch's last item and its reset of the fd.
 */
#define _GNU_SOURCE

#include "core/error_build.h"
#include "core/log_internal.h"
#include "core/scheduler_internal.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int lrc_sched_loop_init(lrc_scheduler *s, lrc_error **err)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0)
        return lrc_fail(err, LRC_ENOMEM, "scheduler '%s': cannot create its eventfd: %s", s->name,
                        strerror(errno));
    s->loop = true;
    s->loop_fd = fd;
    s->loop_thread = pthread_self();
    return LRC_OK;
}

void lrc_sched_loop_close(lrc_scheduler *s)
{
    if (!s->loop)
        return;
    pthread_mutex_lock(&s->lock);
    int fd = s->loop_fd;
    s->loop_fd = -1;
    s->loop_signalled = false;
    pthread_mutex_unlock(&s->lock);
    if (fd >= 0)
        close(fd);
}

/* Under s->lock. */
static void signal_fd(lrc_scheduler *s)
{
    if (s->loop_signalled || s->loop_fd < 0)
        return;
    uint64_t one = 1;
    /* Cannot fail short of a bug: the counter is 0 here (it is read back to
     * 0 whenever loop_signalled is cleared), far from its maximum. */
    if (write(s->loop_fd, &one, sizeof one) == (ssize_t)sizeof one)
        s->loop_signalled = true;
}

/* Under s->lock: the fd stops polling readable. */
static void reset_fd(lrc_scheduler *s)
{
    if (!s->loop_signalled || s->loop_fd < 0)
        return;
    uint64_t n;
    (void)!read(s->loop_fd, &n, sizeof n); /* EAGAIN only if already 0 */
    s->loop_signalled = false;
}

void lrc_sched_loop_notify(lrc_scheduler *s)
{
    if (s->loop)
        signal_fd(s);
}

bool lrc_sched_would_wait_for_self(const lrc_scheduler *s)
{
    if (!s)
        return false;
    if (lrc_scheduler_on_worker(s))
        return true;
    if (!s->loop)
        return false;
    lrc_scheduler *m = (lrc_scheduler *)s; /* only the lock is touched */
    pthread_mutex_lock(&m->lock);
    bool self = pthread_equal(s->loop_thread, pthread_self());
    pthread_mutex_unlock(&m->lock);
    return self;
}

int lrc_scheduler_fd(const lrc_scheduler *s)
{
    if (!s || !s->loop)
        return -1;
    lrc_scheduler *m = (lrc_scheduler *)s;
    pthread_mutex_lock(&m->lock);
    int fd = s->loop_fd;
    pthread_mutex_unlock(&m->lock);
    return fd;
}

/* Items waiting now in every queue: what one dispatch runs at most, so that
 * callbacks that keep pushing (or a flood of events) cannot keep the
 * application's loop inside lrc_scheduler_dispatch for ever. */
static size_t pending(const lrc_scheduler *s)
{
    size_t n = 0;
    for (const lrc_queue *q = s->queues; q; q = q->all_next)
        n += q->st.length;
    return n;
}

int lrc_scheduler_dispatch(lrc_scheduler *s, size_t max_items)
{
    if (!s || !s->loop)
        return LRC_EINVAL;
    if (lrc_scheduler_on_worker(s)) {
        lrc_log(LRC_LOG_ERROR, "lrc_scheduler_dispatch: called from a callback of scheduler "
                               "'%s'; call ignored",
                s->name);
        return LRC_ESTATE;
    }
    pthread_mutex_lock(&s->lock);
    if (s->closed) {
        pthread_mutex_unlock(&s->lock);
        return LRC_ECLOSED;
    }
    s->loop_thread = pthread_self();
    s->loop_wakeup = false;
    size_t limit = pending(s);
    if (max_items && max_items < limit)
        limit = max_items;
    size_t ran = 0;
    while (ran < limit && s->ready && !s->closed) {
        lrc_sched_run_one_here(s); /* unlocks around the callback */
        ran++;
    }
    if (!s->ready && !s->loop_wakeup)
        reset_fd(s);
    pthread_mutex_unlock(&s->lock);
    return ran > (size_t)INT32_MAX ? INT32_MAX : (int)ran;
}

int lrc_scheduler_wakeup(lrc_scheduler *s)
{
    if (!s || !s->loop)
        return LRC_EINVAL;
    pthread_mutex_lock(&s->lock);
    int rc = LRC_ECLOSED;
    if (!s->closed) {
        s->loop_wakeup = true;
        signal_fd(s);
        rc = LRC_OK;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
