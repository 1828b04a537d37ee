/*
 * scheduler_queue.c - the queues of the callback scheduler: references,
 * pushing with drop-oldest overflow, flushing and counters. The workers that
 * empty them live in scheduler.c.
 */
#include "core/error_build.h"
#include "core/log_internal.h"
#include "core/scheduler_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* At most one overflow warning per queue per this many milliseconds. */
#define WARN_INTERVAL_MS 1000.0

/* ---- helpers shared with scheduler.c -------------------------------------- */

sched_item *lrc_sched_take_all(lrc_queue *q)
{
    sched_item *list = q->head;
    q->st.discarded += q->st.length;
    q->st.length = 0;
    q->head = q->tail = NULL;
    lrc_sched_ready_remove(q->s, q);
    return list;
}

void lrc_sched_discard_list(sched_item *list)
{
    while (list) {
        sched_item *next = list->next;
        if (list->discard)
            list->discard(list->item, list->ctx);
        free(list);
        list = next;
    }
}

bool lrc_sched_retire_queue(lrc_queue *q)
{
    lrc_scheduler *s = q->s;
    if (q->all_prev)
        q->all_prev->all_next = q->all_next;
    else
        s->queues = q->all_next;
    if (q->all_next)
        q->all_next->all_prev = q->all_prev;
    s->retired.received += q->st.received;
    s->retired.processed += q->st.processed;
    s->retired.dropped += q->st.dropped;
    s->retired.discarded += q->st.discarded;
    lrc_hist_add(&s->retired_queue_time, &q->queue_time);
    lrc_hist_add(&s->retired_callback_time, &q->callback_time);
    return --s->refs == 0;
}

/* ---- references ---------------------------------------------------------- */

int lrc_queue_new(lrc_scheduler *s, size_t capacity, lrc_queue **out, lrc_error **err)
{
    if (!s || !out)
        return lrc_fail(err, LRC_EINVAL, "lrc_queue_new: NULL scheduler or out");
    *out = NULL;
    lrc_queue *q = calloc(1, sizeof *q);
    if (!q)
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    pthread_mutex_lock(&s->lock);
    if (s->closed) {
        pthread_mutex_unlock(&s->lock);
        free(q);
        return lrc_fail(err, LRC_ECLOSED, "scheduler '%s' is shut down", s->name);
    }
    q->s = s;
    q->id = ++s->next_queue_id;
    q->capacity = capacity ? capacity : s->capacity;
    q->refs = 1;
    q->all_next = s->queues;
    if (s->queues)
        s->queues->all_prev = q;
    s->queues = q;
    s->refs++; /* a dead queue still locks s->lock */
    pthread_mutex_unlock(&s->lock);
    *out = q;
    return LRC_OK;
}

lrc_queue *lrc_queue_ref(lrc_queue *q)
{
    if (!q)
        return NULL;
    pthread_mutex_lock(&q->s->lock);
    q->refs++;
    pthread_mutex_unlock(&q->s->lock);
    return q;
}

void lrc_queue_unref(lrc_queue *q)
{
    if (!q)
        return;
    lrc_scheduler *s = q->s;
    pthread_mutex_lock(&s->lock);
    if (--q->refs > 0) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    q->released = true;
    sched_item *left = lrc_sched_take_all(q);
    /* A worker running one of its items frees it when the item returns. */
    bool free_now = !q->busy;
    bool last = free_now && lrc_sched_retire_queue(q);
    pthread_mutex_unlock(&s->lock);

    lrc_sched_discard_list(left);
    if (free_now)
        free(q);
    if (last)
        lrc_sched_destroy(s);
}

/* ---- pushing --------------------------------------------------------------- */

/* Unlinks the oldest non-terminal item, or returns NULL if all are terminal. */
static sched_item *unlink_oldest_droppable(lrc_queue *q)
{
    sched_item *prev = NULL;
    for (sched_item *it = q->head; it; prev = it, it = it->next) {
        if (it->terminal)
            continue;
        if (prev)
            prev->next = it->next;
        else
            q->head = it->next;
        if (q->tail == it)
            q->tail = prev;
        return it;
    }
    return NULL;
}

/* Counts one overflow drop; returns how many drops to report now (0: stay
 * quiet, a warning went out less than WARN_INTERVAL_MS ago). */
static uint64_t note_drop(lrc_queue *q)
{
    q->st.dropped++;
    q->unlogged_drops++;
    double now = lrc_sched_now_ms();
    if (q->warned && now - q->last_warn_ms < WARN_INTERVAL_MS)
        return 0;
    q->warned = true;
    q->last_warn_ms = now;
    uint64_t n = q->unlogged_drops;
    q->unlogged_drops = 0;
    return n;
}

static void append(lrc_queue *q, sched_item *it)
{
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
}

/* Calls a dropped item's discard fn, then lets flushers see it gone. */
static void finish_drop(lrc_scheduler *s, sched_item *victim)
{
    lrc_sched_discard_list(victim);
    pthread_mutex_lock(&s->lock);
    s->discarding--;
    lrc_sched_wake_flushers(s);
    pthread_mutex_unlock(&s->lock);
}

/* The wakes deferred by the current thread: the schedulers to signal, each
 * holding one reference (s->refs) so that it outlives the flush. A thread
 * pushes to one or two schedulers at a time; past DEFER_MAX the pushes
 * signal at once, as without deferral. */
#define DEFER_MAX 4
static _Thread_local struct {
    unsigned depth;
    size_t n;
    lrc_scheduler *s[DEFER_MAX];
} tls_defer;

void lrc_sched_defer_wakes(void) { tls_defer.depth++; }

void lrc_sched_flush_wakes(void)
{
    if (tls_defer.depth == 0 || --tls_defer.depth > 0)
        return;
    for (size_t i = 0; i < tls_defer.n; i++) {
        lrc_scheduler *s = tls_defer.s[i];
        pthread_mutex_lock(&s->lock);
        /* a worker may have woken (or been woken) since the push */
        bool wake = lrc_sched_claim_sleeper(s);
        bool last = --s->refs == 0;
        pthread_mutex_unlock(&s->lock);
        if (wake)
            lrc_sched_wake_claimed(s);
        if (last)
            lrc_sched_destroy(s);
    }
    tls_defer.n = 0;
}

/* Under s->lock: true if the current thread defers its wake of s (and
 * holds a reference to s for the flush). */
static bool defer_wake(lrc_scheduler *s)
{
    if (tls_defer.depth == 0)
        return false;
    for (size_t i = 0; i < tls_defer.n; i++)
        if (tls_defer.s[i] == s)
            return true;
    if (tls_defer.n == DEFER_MAX)
        return false;
    s->refs++;
    tls_defer.s[tls_defer.n++] = s;
    return true;
}

int lrc_queue_push(lrc_queue *q, lrc_item_fn run, lrc_item_fn discard, void *item, void *ctx,
                   bool terminal)
{
    if (!q || !run)
        return LRC_EINVAL;
    /* Allocated before locking: the lock is shared with every queue. */
    sched_item *it = malloc(sizeof *it);
    if (!it)
        return LRC_ENOMEM;
    *it = (sched_item){.run = run, .discard = discard, .item = item, .ctx = ctx,
                       .push_ns = lrc_sched_now_ns(), .terminal = terminal};

    lrc_scheduler *s = q->s;
    pthread_mutex_lock(&s->lock);
    if (s->closed || q->released) {
        pthread_mutex_unlock(&s->lock);
        free(it);
        return LRC_ECLOSED;
    }
    sched_item *victim = NULL;
    uint64_t report = 0, total = 0;
    if (q->st.length >= q->capacity)
        victim = unlink_oldest_droppable(q);
    if (victim) {
        victim->next = NULL;
        q->st.length--;
        s->discarding++;
        report = note_drop(q);
        total = q->st.dropped;
    }
    it->seq = ++q->pushed_seq;
    it->ticket = ++s->ticket;
    append(q, it);
    q->st.received++;
    q->st.length++;
    bool wake = !q->busy && lrc_sched_ready_add(s, q) && !defer_wake(s) &&
                lrc_sched_claim_sleeper(s);
    if (s->loop && s->ready)
        lrc_sched_loop_notify(s);
    pthread_mutex_unlock(&s->lock);
    /* After unlocking: woken under the lock, the worker would block on it.
     * s outlives the call: q holds a reference to it. */
    if (wake)
        lrc_sched_wake_claimed(s);

    if (victim)
        finish_drop(s, victim);
    if (report)
        lrc_log(LRC_LOG_WARNING,
                "scheduler '%s': queue %u is full (%zu items): dropped %" PRIu64
                " oldest event(s) since the last warning, %" PRIu64 " in total",
                s->name, q->id, q->capacity, report, total);
    return LRC_OK;
}

/* ---- flushing -------------------------------------------------------------- */

/* True once every item of q with seq <= target has run or been dropped and
 * no dropped item's discard fn is still running. */
static bool flushed(const lrc_queue *q, uint64_t target)
{
    if (q->busy && q->running_seq <= target)
        return false;
    if (q->head && q->head->seq <= target) /* items are in seq order */
        return false;
    return q->s->discarding == 0;
}

int lrc_queue_flush(lrc_queue *q, int64_t timeout_ms)
{
    if (!q)
        return LRC_EINVAL;
    lrc_scheduler *s = q->s;
    if (lrc_sched_would_wait_for_self(s)) {
        lrc_log(LRC_LOG_ERROR, "lrc_queue_flush: called from a worker (or the dispatching "
                               "thread) of scheduler '%s', which could wait for itself",
                s->name);
        return LRC_ESTATE;
    }
    struct timespec deadline = lrc_sched_deadline_after(timeout_ms < 0 ? 0 : timeout_ms);
    int rc = LRC_OK;
    pthread_mutex_lock(&s->lock);
    uint64_t target = q->pushed_seq;
    s->flushers++;
    while (!flushed(q, target)) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&s->done_cv, &s->lock);
        } else if (pthread_cond_timedwait(&s->done_cv, &s->lock, &deadline) == ETIMEDOUT) {
            if (!flushed(q, target))
                rc = LRC_ETIMEDOUT;
            break;
        }
    }
    s->flushers--;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- counters ---------------------------------------------------------------- */

void lrc_queue_get_stats(const lrc_queue *q, lrc_queue_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!q)
        return;
    pthread_mutex_lock(&q->s->lock);
    *out = q->st;
    out->capacity = q->capacity;
    pthread_mutex_unlock(&q->s->lock);
}

void lrc_sched_queue_add_metrics(const lrc_queue *q, lrc_queue_stats *st, lrc_hist *queue_time,
                                 lrc_hist *callback_time)
{
    st->received += q->st.received;
    st->processed += q->st.processed;
    st->dropped += q->st.dropped;
    st->discarded += q->st.discarded;
    st->length += q->st.length;
    st->capacity += q->capacity;
    lrc_hist_add(queue_time, &q->queue_time);
    lrc_hist_add(callback_time, &q->callback_time);
}

int lrc_sched_get_metrics(const lrc_scheduler *s, const lrc_queue *only, lrc_queue_metrics *out)
{
    if (!out || out->size < sizeof out->size)
        return LRC_EINVAL;
    lrc_queue_stats st;
    memset(&st, 0, sizeof st);
    /* ~2.6 KiB each: on the heap would cost an allocation per call */
    lrc_hist qt, ct;
    memset(&qt, 0, sizeof qt);
    memset(&ct, 0, sizeof ct);
    if (s) {
        lrc_scheduler *m = (lrc_scheduler *)s; /* only the lock is touched */
        pthread_mutex_lock(&m->lock);
        if (only) {
            lrc_sched_queue_add_metrics(only, &st, &qt, &ct);
        } else {
            st = s->retired;
            lrc_hist_add(&qt, &s->retired_queue_time);
            lrc_hist_add(&ct, &s->retired_callback_time);
            for (const lrc_queue *q = s->queues; q; q = q->all_next)
                lrc_sched_queue_add_metrics(q, &st, &qt, &ct);
        }
        pthread_mutex_unlock(&m->lock);
    }
    lrc_queue_metrics full;
    memset(&full, 0, sizeof full);
    full.size = sizeof full;
    full.counts = st;
    lrc_hist_summary(&qt, &full.queue_time);
    lrc_hist_summary(&ct, &full.callback_time);
    return lrc_metrics_copy_out(out, &full, sizeof full);
}

int lrc_queue_get_metrics(const lrc_queue *q, lrc_queue_metrics *out)
{
    return lrc_sched_get_metrics(q ? q->s : NULL, q, out);
}

bool lrc_queue_is_dead(lrc_queue *q)
{
    pthread_mutex_lock(&q->s->lock);
    bool dead = q->s->closed || q->released;
    pthread_mutex_unlock(&q->s->lock);
    return dead;
}
