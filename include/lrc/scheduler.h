/*
 * lrc/scheduler.h - the callback scheduler: runs callbacks off the Tango
 * event threads.
 *
 * Tango delivers every event of a process on one consumer thread (plus a
 * keep-alive thread for errors); a slow callback there delays every other
 * subscription. A scheduler instead takes events into bounded per-stream
 * queues (the Tango thread only enqueues and returns) and runs callbacks on
 * its own worker threads:
 *
 *  - Each queue is FIFO; several event streams may share one queue and then
 *    keep their relative order.
 *  - A queue's items never run concurrently (one worker at a time), so the
 *    callbacks of one invocation are serialised; with thread_count > 1,
 *    different queues do run concurrently.
 *  - Fairness: a worker takes ONE item from the queue that has done the least
 *    work recently (an exponentially decaying count of processed items), so a
 *    busy stream cannot starve a quiet one.
 *  - Bounded: when a queue is full, its OLDEST non-terminal item is dropped
 *    (terminal items are never dropped: an invocation queues its statuses,
 *    results, errors and log lines as terminal, only progress as not, so
 *    overflow loses progress and nothing else; a queue full of terminal
 *    items grows past its capacity);
 *    each drop is counted and logged as a rate-limited warning.
 *
 * All functions are thread-safe unless stated. Callbacks never run inside
 * the call that queued them.
 */
#ifndef LRC_SCHEDULER_H
#define LRC_SCHEDULER_H

#include "lrc/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lrc_scheduler lrc_scheduler;
typedef struct lrc_queue lrc_queue;

#define LRC_SCHEDULER_DEFAULT_QUEUE_CAPACITY 1024

typedef struct lrc_scheduler_options {
    size_t size;              /* sizeof(lrc_scheduler_options), set by _init     */
    unsigned thread_count;    /* worker threads (1); 0: loop mode, no workers:
                                 the application runs the callbacks with
                                 lrc_scheduler_dispatch (see below)          */
    const char *name;         /* for log messages and thread names (NULL: auto)  */
    size_t queue_capacity;    /* default capacity of new queues (1024)           */
    double fairness_half_life_ms; /* decay of the recent-work count (1000 ms)    */
} lrc_scheduler_options;

/* Fills *o with the defaults. */
void lrc_scheduler_options_init(lrc_scheduler_options *o);

/* Creates a scheduler and starts its workers. opts may be NULL (defaults).
 * On success *out owns it; free it with lrc_scheduler_free(). */
int lrc_scheduler_new(const lrc_scheduler_options *opts, lrc_scheduler **out, lrc_error **err);

/* Stops the workers and frees the scheduler: waits for callbacks running
 * now, discards (drop functions are called) what is still queued. Queues
 * still allocated become dead: pushing to them fails with LRC_ECLOSED until
 * released. Must not be called from one of its own workers (the call is
 * then ignored and logged). NULL is fine. A loop scheduler's fd is closed:
 * stop polling it first; call this on the dispatching thread, or once no
 * thread is inside lrc_scheduler_dispatch (from a callback it is ignored and
 * logged, as from a worker). */
void lrc_scheduler_free(lrc_scheduler *s);

/* The process-wide default scheduler (one worker, named "lrc-default"),
 * created on first use and stopped at process exit by an atexit handler
 * registered then; after that its queues are dead (LRC_ECLOSED) but stay
 * valid. lrc_scheduler_free() ignores it. Never NULL unless out of memory. */
lrc_scheduler *lrc_scheduler_default(void);

/* ---- queues ------------------------------------------------------------ */

/* Allocates a queue on the scheduler, holding at most `capacity` items
 * (0: the scheduler's default). The caller owns one reference. */
int lrc_queue_new(lrc_scheduler *s, size_t capacity, lrc_queue **out, lrc_error **err);

/* Adds / drops a reference. The queue is freed with its last reference;
 * items still queued are then discarded (their drop function runs). */
lrc_queue *lrc_queue_ref(lrc_queue *q);
void lrc_queue_unref(lrc_queue *q);

/* Runs an item on a worker: fn(item, ctx). */
typedef void (*lrc_item_fn)(void *item, void *ctx);

/* Queues one item. `run` is called on a worker; if the item is dropped
 * instead (overflow, queue freed, scheduler freed), `discard` is called (on
 * whatever thread drops it; may be NULL) so the item's memory can be
 * released. Exactly one of the two is called, once. `terminal` items are
 * never dropped for overflow. Never blocks on a callback: safe from Tango
 * event threads. Returns LRC_OK, or LRC_ECLOSED, LRC_ENOMEM, LRC_EINVAL (q or
 * run NULL); nothing is called then. */
int lrc_queue_push(lrc_queue *q, lrc_item_fn run, lrc_item_fn discard, void *item, void *ctx,
                   bool terminal);

/* Waits until every item queued on q before this call has run or been
 * dropped (for a dropped item: until its discard function has returned).
 * Must not be called from a worker of q's scheduler (LRC_ESTATE), nor, on a
 * loop scheduler, from its dispatching thread (LRC_ESTATE: only that thread
 * would run the items); from another thread it waits for the loop's
 * lrc_scheduler_dispatch calls.
 * timeout_ms < 0 waits for ever. LRC_OK or LRC_ETIMEDOUT. */
int lrc_queue_flush(lrc_queue *q, int64_t timeout_ms);

/* ---- counters ------------------------------------------------------------ */

/* received == processed + dropped + discarded + length at any moment. */
typedef struct lrc_queue_stats {
    uint64_t received;  /* items pushed                                   */
    uint64_t processed; /* items run (counted when they start)            */
    uint64_t dropped;   /* items dropped for overflow                     */
    uint64_t discarded; /* items discarded with their queue or scheduler  */
    size_t length;      /* items waiting now                              */
    size_t capacity;
} lrc_queue_stats;

/* Copies the counters of q (zeros for NULL) into *out. */
void lrc_queue_get_stats(const lrc_queue *q, lrc_queue_stats *out);

/* Sums over all queues of the scheduler, including released ones (capacity:
 * of the queues not yet freed). */
void lrc_scheduler_get_stats(const lrc_scheduler *s, lrc_queue_stats *out);

/* ---- metrics: counters and latencies ------------------------------------
 *
 * On top of the counters, every item run is timed twice: its time in the
 * queue (lrc_queue_push -> its run function starts) and its time in the
 * callback (start -> return). Both cost two clock reads per item and a few
 * adds under the lock the scheduler takes anyway; nothing is allocated.
 * Nothing is ever reset: to see a rate or the latencies of a period, take
 * two snapshots and subtract (count, sum_ns and the counters subtract;
 * max and the quantiles are of the whole life). */

/* A latency distribution in nanoseconds. The quantiles come from a fixed
 * log-scale histogram with four buckets per power of two: each is the upper
 * bound of its bucket, at most 25 % above the true value, never above
 * max_ns. All zero while count is 0. This struct never grows (a new
 * quantile would come in a new struct). */
typedef struct lrc_latency {
    uint64_t count;  /* values recorded                           */
    uint64_t sum_ns; /* their sum: sum_ns / count is the mean       */
    uint64_t max_ns; /* the largest                               */
    uint64_t p50_ns; /* median                                    */
    uint64_t p90_ns;
    uint64_t p99_ns;
} lrc_latency;

/* A queue's (or a whole scheduler's) counters and latencies. */
typedef struct lrc_queue_metrics {
    size_t size;              /* set by the caller: sizeof(lrc_queue_metrics)  */
    lrc_queue_stats counts;   /* as lrc_queue_get_stats                         */
    lrc_latency queue_time;   /* push -> run start, per item run; recorded when
                                 the item's run returns, so count trails
                                 counts.processed by the items running now  */
    lrc_latency callback_time; /* run start -> return, per item run          */
} lrc_queue_metrics;

/* Fills *out with q's counters and latencies (q NULL: zeros). The caller
 * sets out->size = sizeof *out first; the library fills the fields both it
 * and the caller know (a caller built against an older, smaller struct
 * gets its prefix; fields the library does not know are left alone).
 * LRC_OK, or LRC_EINVAL when out is NULL or out->size is not set. Any
 * thread; takes the scheduler's lock for a copy of a few KiB, and computes
 * the quantiles after releasing it. */
int lrc_queue_get_metrics(const lrc_queue *q, lrc_queue_metrics *out);

/* The same summed over all queues of s, including released ones (as
 * lrc_scheduler_get_stats). Holds s's lock while it adds up the queues'
 * histograms: O(queues), about a microsecond per queue. */
int lrc_scheduler_get_metrics(const lrc_scheduler *s, lrc_queue_metrics *out);

/* True when called from one of s's worker threads; on a loop scheduler,
 * from inside its lrc_scheduler_dispatch (a callback). */
bool lrc_scheduler_on_worker(const lrc_scheduler *s);

/* ---- loop mode: callbacks on the application's event loop ---------------
 *
 * A scheduler created with thread_count 0 starts no thread. Its callbacks
 * run inside lrc_scheduler_dispatch, on whatever thread calls it, so an
 * application with its own event loop (poll/epoll, libuv, GLib) gets them on
 * the loop's thread, with no locking of its own:
 *
 *     int fd = lrc_scheduler_fd(s);            poll fd for POLLIN with the
 *     ...                                      application's other fds
 *     if (fds[0].revents & POLLIN)
 *         lrc_scheduler_dispatch(s, 0);
 *
 * Everything else is as with workers: per-queue FIFO order, one item of a
 * queue at a time, fairness between queues, bounded queues, exactly one of
 * run / discard per item. Dispatching from several threads at once is
 * allowed (a queue's items still never run concurrently). The dispatching
 * thread is "the loop thread": the one that called lrc_scheduler_dispatch
 * last (before any call, the one that created the scheduler). Blocking on
 * the scheduler's work from it would wait for itself, so lrc_queue_flush
 * and lrc_subscription_wait refuse there (LRC_ESTATE, LRC_EDEADLK). */

/* The eventfd of a loop scheduler, -1 for one with workers (or NULL). It
 * polls readable (POLLIN; level-triggered: it stays readable until a
 * dispatch) while a callback is pending or after lrc_scheduler_wakeup; a
 * dispatch that leaves nothing pending makes it unreadable again. Owned by
 * the scheduler: never read, write or close it; it is closed by
 * lrc_scheduler_free. With edge-triggered epoll, dispatch until it returns
 * 0 before waiting again. */
int lrc_scheduler_fd(const lrc_scheduler *s);

/* Runs pending callbacks of a loop scheduler on the calling thread: at most
 * max_items (0: no limit), and never more than were pending when the call
 * began, so callbacks that push more, or an event flood, cannot hold the
 * loop here for ever (the fd stays readable: call again). Returns how many
 * ran (0 is fine: a wakeup, or another thread took them), or LRC_EINVAL (s
 * NULL or not a loop scheduler), LRC_ESTATE (called from one of its own
 * callbacks), LRC_ECLOSED (freed). Clears a pending wakeup. */
int lrc_scheduler_dispatch(lrc_scheduler *s, size_t max_items);

/* Makes a loop scheduler's fd readable until the next lrc_scheduler_dispatch,
 * so that another thread can wake the loop for the application's own
 * reasons. Any thread, never blocks. LRC_OK, LRC_EINVAL (not a loop
 * scheduler), LRC_ECLOSED. */
int lrc_scheduler_wakeup(lrc_scheduler *s);

#ifdef __cplusplus
}
#endif

#endif /* LRC_SCHEDULER_H */
