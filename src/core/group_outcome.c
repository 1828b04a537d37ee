/*
 * group_outcome.c - what a member's final update means for the group
 * summary, and the parallel for that issues members and aborts devices:
 * pure logic, unit-tested without Tango.
 */
#include "core/group_internal.h"

#include <pthread.h>
#include <stdatomic.h>

static const char *const outcome_names[] = {
    "IDLE", "RUNNING", "COMPLETED", "FAILED", "REJECTED", "ABORTED", "LOST", "TIMED_OUT",
    "NOT_STARTED",
};

const char *lrc_group_outcome_name(int outcome)
{
    if (outcome < 0 || outcome > LRC_GROUP_NOT_STARTED)
        return NULL;
    return outcome_names[outcome];
}

lrc_group_outcome lrc_final_outcome(unsigned has, lrc_end end, lrc_status status)
{
    if (has & LRC_HAS_END)
        return end == LRC_END_TIMED_OUT ? LRC_GROUP_TIMED_OUT : LRC_GROUP_LOST;
    if (has & LRC_HAS_STATUS) {
        switch (status) {
        case LRC_STATUS_COMPLETED:
            return LRC_GROUP_COMPLETED;
        case LRC_STATUS_FAILED:
            return LRC_GROUP_FAILED;
        case LRC_STATUS_REJECTED:
            return LRC_GROUP_REJECTED;
        case LRC_STATUS_ABORTED:
            return LRC_GROUP_ABORTED;
        default:
            break;
        }
    }
    return LRC_GROUP_LOST;
}

lrc_group_outcome lrc_group_outcome_of(const lrc_update *u)
{
    return u->final ? lrc_final_outcome(u->has, u->end, u->status) : LRC_GROUP_RUNNING;
}

void lrc_group_summary_count(lrc_group_summary *s, lrc_group_outcome o)
{
    s->total++;
    switch (o) {
    case LRC_GROUP_IDLE:
        s->idle++;
        break;
    case LRC_GROUP_RUNNING:
        s->running++;
        break;
    case LRC_GROUP_COMPLETED:
        s->completed++;
        break;
    case LRC_GROUP_FAILED:
        s->failed++;
        break;
    case LRC_GROUP_REJECTED:
        s->rejected++;
        break;
    case LRC_GROUP_ABORTED:
        s->aborted++;
        break;
    case LRC_GROUP_LOST:
        s->lost++;
        break;
    case LRC_GROUP_TIMED_OUT:
        s->timed_out++;
        break;
    case LRC_GROUP_NOT_STARTED:
        s->not_started++;
        break;
    }
}

typedef struct par {
    atomic_size_t next;
    size_t n;
    void (*fn)(void *ctx, size_t i);
    void *ctx;
} par;

static void *par_worker(void *arg)
{
    par *p = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n)
            return NULL;
        p->fn(p->ctx, i);
    }
}

void lrc_group_parallel(size_t n, unsigned max_threads, void (*fn)(void *ctx, size_t i),
                        void *ctx)
{
    par p = {.n = n, .fn = fn, .ctx = ctx};
    atomic_init(&p.next, 0);
    pthread_t th[LRC_GROUP_ISSUE_THREADS];
    size_t want = n < max_threads ? n : max_threads;
    if (want > LRC_GROUP_ISSUE_THREADS)
        want = LRC_GROUP_ISSUE_THREADS;
    size_t started = 0;
    /* One item needs no thread; otherwise every item runs on a helper, so
     * the caller only waits. */
    if (want > 1)
        while (started < want && pthread_create(&th[started], NULL, par_worker, &p) == 0)
            started++;
    if (started == 0)
        par_worker(&p);
    for (size_t k = 0; k < started; k++)
        pthread_join(th[k], NULL);
}
