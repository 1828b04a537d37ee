/*
 * scheduler_internal.h - the data of the callback scheduler, shared by
 * scheduler.c (lifecycle and workers) and scheduler_queue.c (queues).
 *
 * Locking: one mutex per scheduler (s->lock) guards every field below of the
 * scheduler and of all its queues, except the immutable ones noted. User
 * functions (run, discard, the log hook) are never called with it held.
 *
 * Lifetime: the scheduler's memory is reference-counted by its owner (until
 * lrc_scheduler_free) and by each queue not yet freed, so a queue that
 * outlives its scheduler can still lock s->lock and answer LRC_ECLOSED.
 */
#ifndef LRC_SCHEDULER_INTERNAL_H
#define LRC_SCHEDULER_INTERNAL_H

#include "core/metrics.h"
#include "lrc/scheduler.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* One queued callback. */
typedef struct sched_item {
    struct sched_item *next;
    lrc_item_fn run;
    lrc_item_fn discard;
    void *item;
    void *ctx;
    uint64_t seq;    /* per-queue push number: what lrc_queue_flush waits for */
    uint64_t ticket; /* scheduler-wide push number: the age for tie-breaks   */
    uint64_t push_ns; /* CLOCK_MONOTONIC at the push: queueing delay, measured */
    bool terminal;
} sched_item;

struct lrc_queue {
    lrc_scheduler *s;   /* immutable */
    unsigned id;        /* immutable; names the queue in log messages */
    size_t capacity;    /* immutable */
    size_t refs;        /* user references */
    bool released;      /* refs reached 0; freed once no item runs */
    bool busy;          /* a worker runs one of its items now */
    bool in_ready;      /* linked in s->ready */
    struct lrc_queue *all_prev, *all_next;     /* s->queues: every unfreed queue */
    struct lrc_queue *ready_prev, *ready_next; /* s->ready: non-empty, not busy */
    sched_item *head, *tail;                   /* FIFO, ascending seq */
    uint64_t pushed_seq;  /* seq of the last item pushed */
    uint64_t running_seq; /* seq of the item running (valid while busy) */
    double score;         /* recent work, as of score_ms */
    double score_ms;
    uint64_t unlogged_drops; /* overflow drops not yet reported in a warning */
    double last_warn_ms;
    bool warned;
    lrc_queue_stats st; /* length is kept up to date; capacity filled on read */
    lrc_hist queue_time;    /* push -> run start of each item run (ns) */
    lrc_hist callback_time; /* run start -> return (ns) */
};

struct lrc_scheduler {
    pthread_mutex_t lock;
    /* Workers sleep on a semaphore: whoever wakes one claims it under the
     * lock (sleeping--) and posts once, after unlocking where it can. A
     * worker woken from a condition variable took the lock back marked
     * contended, and its next unlock, right before the callback, made a
     * futex call for nobody: latency on every event that found the worker
     * asleep. */
    sem_t work_sem;
    pthread_cond_t done_cv; /* flushers: an item finished or was discarded */
    char *name;             /* immutable */
    size_t capacity;        /* immutable: default queue capacity */
    double half_life_ms;    /* immutable */
    unsigned thread_count;  /* immutable after start */
    unsigned sleeping;      /* workers asleep on work_sem and not yet claimed */
    unsigned spinning;      /* workers polling work_hint before they sleep */
    atomic_bool work_hint;  /* s->ready non-empty or closed; written under the
                               lock, read without it by spinning workers */
    pthread_t *threads;
    bool is_default;     /* immutable: the process-wide default scheduler */
    bool closed;         /* no more pushes; workers exit */
    size_t refs;         /* owner + unfreed queues */
    lrc_queue *queues;   /* all unfreed queues */
    lrc_queue *ready;    /* queues a worker may take an item from */
    uint64_t ticket;     /* last ticket handed out */
    unsigned next_queue_id;
    size_t flushers;     /* threads waiting on done_cv */
    size_t discarding;   /* items unlinked whose discard fn has not returned */
    lrc_queue_stats retired; /* totals of freed queues */
    lrc_hist retired_queue_time, retired_callback_time; /* ... their latencies */
    struct sched_reg *regs;  /* registrations (lrc_register_event_callback) */
    uint64_t next_reg_id;
    /* Loop mode (thread_count 0, scheduler_loop.c): no workers; the
     * application runs the items with lrc_scheduler_dispatch. */
    bool loop;              /* immutable */
    int loop_fd;            /* eventfd, readable while loop_signalled; -1 once
                               lrc_scheduler_free closed it */
    bool loop_signalled;    /* loop_fd's counter is non-zero */
    bool loop_wakeup;       /* lrc_scheduler_wakeup since the last dispatch */
    pthread_t loop_thread;  /* the thread that dispatched last (at first the
                               creator): a blocking wait there would wait for
                               itself */
};

/* An object registered on a scheduler under an ID (event callbacks): the
 * scheduler ends it (end(obj)) when it is freed. */
typedef struct sched_reg {
    struct sched_reg *next;
    uint64_t id;
    void *obj;
    void (*end)(void *obj);
} sched_reg;

/* Registers obj; *id is unique on s. LRC_ECLOSED once s is shut down. */
int lrc_sched_reg_add(lrc_scheduler *s, void *obj, void (*end)(void *obj), uint64_t *id);

/* Unregisters id and returns its object (NULL if unknown). */
void *lrc_sched_reg_take(lrc_scheduler *s, uint64_t id);

/* On a worker, inside an item's run fn: the CLOCK_MONOTONIC time (ns) at
 * which lrc_queue_push took that item; 0 on any other thread. Lets
 * benchmarks and diagnostics see how long an event waited between the
 * thread that pushed it (a Tango callback) and its callback. */
uint64_t lrc_sched_current_push_ns(void);

/* Monotonic clock in nanoseconds. */
uint64_t lrc_sched_now_ns(void);

/* Monotonic clock in milliseconds. */
double lrc_sched_now_ms(void);

/* Links q into / out of s->ready. Called with s->lock held. Linking
 * returns whether a sleeping worker must be woken: none when a worker is
 * awake or spinning, since it looks at s->ready before it sleeps, and a
 * wake would only cost the pushing thread a futex call. The caller then
 * claims one (lrc_sched_claim_sleeper) and posts (lrc_sched_wake_claimed),
 * after unlocking if it can: a worker woken while the lock is still held
 * would block on it at once. */
bool lrc_sched_ready_add(lrc_scheduler *s, lrc_queue *q);
void lrc_sched_ready_remove(lrc_scheduler *s, lrc_queue *q);

/* With s->lock held: takes one sleeping worker for the caller to wake with
 * lrc_sched_wake_claimed (exactly once), if one is owed: work is ready, no
 * worker spins (it would find the work) and one sleeps unclaimed. */
bool lrc_sched_claim_sleeper(lrc_scheduler *s);

/* Wakes the worker a claim took; with or without s->lock. */
void lrc_sched_wake_claimed(lrc_scheduler *s);

/* Deferred wakes: between lrc_sched_defer_wakes and lrc_sched_flush_wakes
 * (nested pairs count as one), the current thread's pushes do not signal a
 * sleeping worker; the flush does, once per scheduler. For code that pushes
 * while it holds a lock the callback needs (the proxy's, in the Tango event
 * callback and in lrc_invoke): a worker woken at once would only block on
 * that lock, a context switch more per event, and several events routed in
 * one go cost one futex call instead of one each. Nothing between the two
 * calls may wait for a worker of a scheduler it pushes to. */
void lrc_sched_defer_wakes(void);
void lrc_sched_flush_wakes(void);

/* Unlinks every item of q into a list (FIFO order) and counts them as
 * discarded. Called with s->lock held; the caller runs lrc_sched_discard_list
 * on the result after unlocking. */
sched_item *lrc_sched_take_all(lrc_queue *q);

/* Calls the discard fn of each item of a list and frees the items. Called
 * WITHOUT the lock. */
void lrc_sched_discard_list(sched_item *list);

/* Unlinks a released, idle queue from its scheduler, adds its counters to
 * the scheduler totals and drops its scheduler reference. Called with
 * s->lock held; returns true if that was the scheduler's last reference (the
 * caller then calls lrc_sched_destroy after unlocking). The caller frees q. */
bool lrc_sched_retire_queue(lrc_queue *q);

/* Adds q's counters (capacity included) and latency histograms to the
 * sums (which start zeroed). Called with s->lock held. */
void lrc_sched_queue_add_metrics(const lrc_queue *q, lrc_queue_stats *st, lrc_hist *queue_time,
                                 lrc_hist *callback_time);

/* The one body of lrc_scheduler_get_metrics (only NULL: the scheduler s
 * as a whole, its retired queues included) and lrc_queue_get_metrics
 * (only: that queue of s): the same size check, zeroed sums, tally under
 * s->lock and copy out, so that the two cannot drift apart. s NULL: zeros.
 * Takes s->lock. */
int lrc_sched_get_metrics(const lrc_scheduler *s, const lrc_queue *only, lrc_queue_metrics *out);

/* True when pushing to q would fail with LRC_ECLOSED: its scheduler is shut
 * down or the queue was released. Takes the scheduler lock. */
bool lrc_queue_is_dead(lrc_queue *q);

/* Frees the memory of a scheduler whose last reference is gone. */
void lrc_sched_destroy(lrc_scheduler *s);

/* ---- loop mode (scheduler_loop.c) ---------------------------------------- */

/* lrc_scheduler_new with thread_count 0: creates the eventfd. */
int lrc_sched_loop_init(lrc_scheduler *s, lrc_error **err);

/* lrc_scheduler_free: closes the eventfd (the scheduler is shut down). */
void lrc_sched_loop_close(lrc_scheduler *s);

/* After a push made s->ready non-empty: makes the fd readable. Called with
 * s->lock held; does nothing for a scheduler with workers. */
void lrc_sched_loop_notify(lrc_scheduler *s);

/* Runs one ready item on the calling thread as a worker would (the thread
 * counts as s's worker meanwhile: lrc_scheduler_on_worker). Called and
 * returns with s->lock held; s->ready must not be empty. (scheduler.c) */
void lrc_sched_run_one_here(lrc_scheduler *s);

/* True when a blocking wait for s's callbacks on the calling thread could
 * wait for itself: it is one of s's workers, or s is a loop scheduler and
 * this is the thread that dispatches it. */
bool lrc_sched_would_wait_for_self(const lrc_scheduler *s);

/* Wakes flushers if any wait. Called with s->lock held. */
void lrc_sched_wake_flushers(lrc_scheduler *s);

/* The CLOCK_MONOTONIC time ms milliseconds from now, for the timed waits of
 * lrc_queue_flush and the blocking waits (their condition variables use
 * that clock). */
static inline struct timespec lrc_sched_deadline_after(int64_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

#endif
