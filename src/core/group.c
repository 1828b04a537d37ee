/*
 * group.c - lrc_group: many lrc_invoke calls followed as one.
 *
 * Each member is a plain invocation whose callback is member_cb below; the
 * group counts members not ended yet (`outstanding`, plus one held by
 * lrc_group_invoke while it issues, so that the completion can never fire
 * inside it) and runs on_done where that count reaches zero: in the last
 * member's final callback, or, when lrc_group_invoke drops the last count
 * itself (no member started, or all ended while it issued), as an item on
 * a queue of the scheduler.
 *
 * Lifetime: references held by the caller (until lrc_group_free), by
 * lrc_group_invoke while it issues, and by a queued completion item.
 * lrc_group_free marks the group freed (no user callback starts after
 * that), frees every member's subscription it knows (an issuer that gets a
 * subscription after that frees it itself), and waits until no user
 * callback runs but the one it may be called from: then the caller's
 * reference is dropped when that callback returns (the thread-local
 * `cb_group` tells which group the thread is in).
 */
#include "core/error_build.h"
#include "core/group_internal.h"
#include "lrc/device.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct member {
    lrc_group *g;
    size_t index;
    lrc_proxy *p;
    char *command;
    lrc_arg arg;
    void *arg_mem;
    lrc_subscription *sub; /* under g->mu */
    lrc_group_outcome outcome; /* under g->mu */
    lrc_error *error;      /* why it did not start; set once under g->mu */
} member;

struct lrc_group {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* done and active changes */
    member *m;         /* fixed once invoked */
    size_t n, cap;
    bool invoked, aborting, freed, free_deferred, done;
    int active; /* user callbacks running now (on_update, on_done) */
    size_t outstanding;
    lrc_invoke_options opts;
    bool has_opts;
    lrc_group_update_fn on_update;
    lrc_group_done_fn on_done;
    void *user;
    lrc_queue *q; /* only for a completion lrc_group_invoke must not run */
    atomic_int refs;
};

/* The group whose callback this thread is running, if any. */
static _Thread_local lrc_group *cb_group;

static void group_unref(lrc_group *g)
{
    if (atomic_fetch_sub(&g->refs, 1) != 1)
        return;
    for (size_t i = 0; i < g->n; i++) {
        free(g->m[i].command);
        free(g->m[i].arg_mem);
        lrc_error_free(g->m[i].error);
    }
    free(g->m);
    lrc_queue_unref(g->q);
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

int lrc_group_new(lrc_group **out, lrc_error **err)
{
    if (!out)
        return lrc_fail(err, LRC_EINVAL, "lrc_group_new: NULL out");
    *out = NULL;
    lrc_group *g = calloc(1, sizeof *g);
    if (!g)
        return lrc_fail(err, LRC_ENOMEM, "lrc_group_new: out of memory");
    pthread_mutex_init(&g->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->cv, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&g->refs, 1);
    *out = g;
    return LRC_OK;
}

int lrc_group_add(lrc_group *g, lrc_proxy *p, const char *command, const lrc_arg *arg,
                  size_t *index, lrc_error **err)
{
    if (!g || !p || !command || !*command)
        return lrc_fail(err, LRC_EINVAL, "lrc_group_add: NULL group, proxy or command");
    member m = {.g = g, .p = p, .outcome = LRC_GROUP_IDLE};
    int rc = lrc_group_arg_copy(arg, &m.arg, &m.arg_mem);
    if (rc != LRC_OK)
        return lrc_fail(err, rc, "lrc_group_add: %s", lrc_strerror(rc));
    size_t len = strlen(command) + 1;
    m.command = malloc(len);
    if (!m.command) {
        free(m.arg_mem);
        return lrc_fail(err, LRC_ENOMEM, "lrc_group_add: out of memory");
    }
    memcpy(m.command, command, len);
    pthread_mutex_lock(&g->mu);
    if (g->invoked) {
        rc = LRC_ESTATE;
    } else if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 16;
        member *grown = realloc(g->m, cap * sizeof *grown);
        if (grown) {
            g->m = grown;
            g->cap = cap;
        } else {
            rc = LRC_ENOMEM;
        }
    }
    if (rc == LRC_OK) {
        m.index = g->n;
        g->m[g->n++] = m;
        if (index)
            *index = m.index;
    }
    pthread_mutex_unlock(&g->mu);
    if (rc != LRC_OK) {
        free(m.command);
        free(m.arg_mem);
        return lrc_fail(err, rc, "lrc_group_add: %s",
                        rc == LRC_ESTATE ? "the group was invoked already" : "out of memory");
    }
    return LRC_OK;
}

/* ---- completion ------------------------------------------------------------ */

static void summary_locked(const lrc_group *g, lrc_group_summary *s)
{
    memset(s, 0, sizeof *s);
    s->size = sizeof *s;
    for (size_t i = 0; i < g->n; i++)
        lrc_group_summary_count(s, g->m[i].outcome);
}

/* Runs on_done, or marks the group done without it. Called exactly once,
 * where `outstanding` reached zero, with g->mu NOT held. */
static void complete(lrc_group *g)
{
    pthread_mutex_lock(&g->mu);
    bool fire = g->on_done && !g->freed;
    lrc_group_summary s;
    summary_locked(g, &s);
    if (fire) {
        g->active++;
    } else {
        g->done = true;
        pthread_cond_broadcast(&g->cv);
    }
    pthread_mutex_unlock(&g->mu);
    if (!fire)
        return;
    lrc_group *prev = cb_group;
    cb_group = g;
    g->on_done(g, &s, g->user);
    cb_group = prev;
    pthread_mutex_lock(&g->mu);
    g->active--;
    g->done = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* One member ended (final update or failed lrc_invoke); true when it was
 * the last count. */
static bool end_one(lrc_group *g)
{
    pthread_mutex_lock(&g->mu);
    bool last = --g->outstanding == 0;
    pthread_mutex_unlock(&g->mu);
    return last;
}

/* Drops the caller's reference if lrc_group_free ran inside the callback
 * this thread is leaving. */
static void leave_callback(lrc_group *g, lrc_group *prev)
{
    cb_group = prev;
    if (prev == g)
        return; /* still inside an outer callback of g */
    pthread_mutex_lock(&g->mu);
    bool deferred = g->free_deferred;
    g->free_deferred = false;
    pthread_mutex_unlock(&g->mu);
    if (deferred)
        group_unref(g);
}

static void done_item_run(void *item, void *ctx)
{
    (void)ctx;
    lrc_group *g = item;
    lrc_group *prev = cb_group;
    cb_group = g;
    complete(g);
    leave_callback(g, prev);
    group_unref(g); /* the item's reference */
}

static void done_item_discard(void *item, void *ctx)
{
    (void)ctx;
    group_unref(item);
}

/* ---- members --------------------------------------------------------------- */

static void member_cb(const lrc_update *u, void *user)
{
    member *m = user;
    lrc_group *g = m->g;
    lrc_group *prev = cb_group;
    cb_group = g;
    pthread_mutex_lock(&g->mu);
    bool run = !g->freed && g->on_update;
    if (run)
        g->active++;
    pthread_mutex_unlock(&g->mu);
    if (run) {
        g->on_update(g, m->index, u, g->user);
        pthread_mutex_lock(&g->mu);
        g->active--;
        pthread_cond_broadcast(&g->cv);
        pthread_mutex_unlock(&g->mu);
    }
    if (u->final) {
        pthread_mutex_lock(&g->mu);
        m->outcome = lrc_group_outcome_of(u);
        pthread_mutex_unlock(&g->mu);
        if (end_one(g))
            complete(g);
    }
    leave_callback(g, prev);
}

static int queue_completion(lrc_group *g);

static void issue_one(void *ctx, size_t i)
{
    lrc_group *g = ctx;
    member *m = &g->m[i];
    pthread_mutex_lock(&g->mu);
    bool skip = g->aborting || g->freed;
    m->outcome = skip ? LRC_GROUP_NOT_STARTED : LRC_GROUP_RUNNING;
    if (skip)
        m->error = lrc_error_new(LRC_ECLOSED, "%s on %s: the group was %s before it started",
                                 m->command, lrc_proxy_name(m->p),
                                 g->freed ? "freed" : "aborted");
    pthread_mutex_unlock(&g->mu);
    if (skip) {
        end_one(g); /* never the last: lrc_group_invoke holds a count */
        return;
    }
    lrc_subscription *sub = NULL;
    lrc_error *e = NULL;
    int rc = lrc_invoke(m->p, m->command, &m->arg, member_cb, m, g->has_opts ? &g->opts : NULL,
                        &sub, &e);
    pthread_mutex_lock(&g->mu);
    /* lrc_group_free may have run meanwhile (from a callback of a member
     * issued before): it could not see this subscription, so free it here
     * (the group's memory lives on: lrc_group_invoke holds a reference). */
    lrc_subscription *orphan = rc == LRC_OK && g->freed ? sub : NULL;
    if (rc == LRC_OK) {
        m->sub = orphan ? NULL : sub;
    } else {
        m->outcome = rc == LRC_EREJECTED ? LRC_GROUP_REJECTED : LRC_GROUP_NOT_STARTED;
        m->error = e ? e : lrc_error_new(rc, "%s", lrc_strerror(rc));
    }
    pthread_mutex_unlock(&g->mu);
    lrc_subscription_free(orphan);
    if (rc != LRC_OK)
        end_one(g);
}

int lrc_group_invoke(lrc_group *g, const lrc_invoke_options *opts, lrc_group_update_fn on_update,
                     lrc_group_done_fn on_done, void *user, lrc_error **err)
{
    if (!g)
        return lrc_fail(err, LRC_EINVAL, "lrc_group_invoke: NULL group");
    if (opts && opts->size == 0)
        return lrc_fail(err, LRC_EINVAL,
                        "lrc_group_invoke: options not initialised (call lrc_invoke_options_init)");
    pthread_mutex_lock(&g->mu);
    int rc = g->invoked ? LRC_ESTATE : g->n == 0 ? LRC_EINVAL : LRC_OK;
    if (rc == LRC_OK) {
        g->invoked = true;
        g->outstanding = g->n + 1;
        g->on_update = on_update;
        g->on_done = on_done;
        g->user = user;
        if (opts) {
            lrc_invoke_options_init(&g->opts);
            size_t sz = opts->size < sizeof g->opts ? opts->size : sizeof g->opts;
            memcpy(&g->opts, opts, sz);
            g->opts.size = sizeof g->opts;
            g->has_opts = true;
        }
    }
    pthread_mutex_unlock(&g->mu);
    if (rc != LRC_OK)
        return lrc_fail(err, rc, "lrc_group_invoke: %s",
                        rc == LRC_ESTATE ? "the group was invoked already" : "empty group");

    /* Our own reference: a member's callback may free the group while we
     * still issue the others. */
    atomic_fetch_add(&g->refs, 1);
    lrc_group_parallel(g->n, LRC_GROUP_ISSUE_THREADS, issue_one, g);
    rc = queue_completion(g);
    group_unref(g);
    if (rc != LRC_OK)
        return lrc_fail(err, rc, "lrc_group_invoke: cannot queue the completion: %s",
                        lrc_strerror(rc));
    return LRC_OK;
}

/* Drops lrc_group_invoke's count; if it was the last, the completion goes
 * to a worker (on_done must not run inside lrc_group_invoke). */
static int queue_completion(lrc_group *g)
{
    if (!end_one(g))
        return LRC_OK; /* the last member's final completes the group */
    pthread_mutex_lock(&g->mu);
    bool queue = g->on_done && !g->freed;
    pthread_mutex_unlock(&g->mu);
    if (!queue) {
        complete(g);
        return LRC_OK;
    }
    /* Every member ended before we dropped our count: on_done must still
     * not run inside this call, so a worker runs it. */
    lrc_scheduler *s = g->has_opts && g->opts.scheduler ? g->opts.scheduler
                                                         : lrc_scheduler_default();
    lrc_queue *q = NULL;
    int rc = s ? lrc_queue_new(s, 0, &q, NULL) : LRC_ENOMEM;
    if (rc == LRC_OK) {
        pthread_mutex_lock(&g->mu);
        g->q = q;
        pthread_mutex_unlock(&g->mu);
        atomic_fetch_add(&g->refs, 1);
        rc = lrc_queue_push(q, done_item_run, done_item_discard, g, NULL, true);
        if (rc != LRC_OK)
            atomic_fetch_sub(&g->refs, 1); /* the caller's is still held */
    }
    if (rc != LRC_OK) {
        pthread_mutex_lock(&g->mu);
        g->done = true;
        pthread_cond_broadcast(&g->cv);
        pthread_mutex_unlock(&g->mu);
    }
    return rc;
}

/* ---- abort ----------------------------------------------------------------- */

typedef struct abort_ctx {
    lrc_proxy **devs;
    pthread_mutex_t mu;
    lrc_error *first;
} abort_ctx;

static void abort_one(void *ctx, size_t i)
{
    abort_ctx *a = ctx;
    char *reply = NULL;
    lrc_error *e = NULL;
    int rc = lrc_proxy_command(a->devs[i], "Abort", NULL, &reply, &e);
    free(reply);
    if (rc == LRC_OK)
        return;
    if (e)
        lrc_error_set(e, rc, "%s: Abort failed: %s", lrc_proxy_name(a->devs[i]),
                      lrc_error_message(e));
    pthread_mutex_lock(&a->mu);
    if (!a->first) {
        a->first = e;
        e = NULL;
    }
    pthread_mutex_unlock(&a->mu);
    lrc_error_free(e);
}

int lrc_group_abort(lrc_group *g, lrc_error **err)
{
    if (!g)
        return lrc_fail(err, LRC_EINVAL, "lrc_group_abort: NULL group");
    pthread_mutex_lock(&g->mu);
    g->aborting = true;
    lrc_proxy **devs = malloc((g->n ? g->n : 1) * sizeof *devs);
    size_t nd = 0;
    for (size_t i = 0; devs && i < g->n; i++) {
        if (g->m[i].outcome != LRC_GROUP_RUNNING)
            continue;
        bool seen = false; /* each device once: Abort ends all its LRCs */
        for (size_t k = 0; k < nd && !seen; k++)
            seen = devs[k] == g->m[i].p;
        if (!seen)
            devs[nd++] = g->m[i].p;
    }
    pthread_mutex_unlock(&g->mu);
    if (!devs)
        return lrc_fail(err, LRC_ENOMEM, "lrc_group_abort: out of memory");
    abort_ctx a = {.devs = devs};
    pthread_mutex_init(&a.mu, NULL);
    lrc_group_parallel(nd, LRC_GROUP_ISSUE_THREADS, abort_one, &a);
    pthread_mutex_destroy(&a.mu);
    free(devs);
    if (!a.first)
        return LRC_OK;
    return lrc_error_give(err, a.first);
}

/* ---- waiting and reading ------------------------------------------------------ */

int lrc_group_wait(lrc_group *g, int64_t timeout_ms, lrc_error **err)
{
    if (!g)
        return lrc_fail(err, LRC_EINVAL, "lrc_group_wait: NULL group");
    if (cb_group == g)
        return lrc_fail(err, LRC_ESTATE, "lrc_group_wait: called from a callback of the group");
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (timeout_ms >= 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    int rc = LRC_OK;
    pthread_mutex_lock(&g->mu);
    if (!g->invoked)
        rc = LRC_ESTATE;
    while (rc == LRC_OK && !g->done) {
        if (timeout_ms < 0)
            pthread_cond_wait(&g->cv, &g->mu);
        else if (pthread_cond_timedwait(&g->cv, &g->mu, &until) != 0 && !g->done)
            rc = LRC_ETIMEDOUT;
    }
    pthread_mutex_unlock(&g->mu);
    if (rc == LRC_ESTATE)
        return lrc_fail(err, rc, "lrc_group_wait: the group was not invoked");
    if (rc == LRC_ETIMEDOUT)
        return lrc_fail(err, rc, "lrc_group_wait: timed out after %lld ms",
                        (long long)timeout_ms);
    return LRC_OK;
}

void lrc_group_summary_get(const lrc_group *g, lrc_group_summary *out)
{
    if (!out)
        return;
    if (!g) {
        memset(out, 0, sizeof *out);
        out->size = sizeof *out;
        return;
    }
    lrc_group *mg = (lrc_group *)g; /* the lock, not the contents */
    pthread_mutex_lock(&mg->mu);
    summary_locked(g, out);
    pthread_mutex_unlock(&mg->mu);
}

size_t lrc_group_size(const lrc_group *g)
{
    if (!g)
        return 0;
    lrc_group *mg = (lrc_group *)g;
    pthread_mutex_lock(&mg->mu);
    size_t n = g->n;
    pthread_mutex_unlock(&mg->mu);
    return n;
}

lrc_proxy *lrc_group_member_proxy(const lrc_group *g, size_t i)
{
    if (!g)
        return NULL;
    lrc_group *mg = (lrc_group *)g;
    pthread_mutex_lock(&mg->mu);
    lrc_proxy *p = i < g->n ? g->m[i].p : NULL;
    pthread_mutex_unlock(&mg->mu);
    return p;
}

const char *lrc_group_member_command(const lrc_group *g, size_t i)
{
    if (!g)
        return NULL;
    lrc_group *mg = (lrc_group *)g;
    pthread_mutex_lock(&mg->mu);
    const char *c = i < g->n ? g->m[i].command : NULL;
    pthread_mutex_unlock(&mg->mu);
    return c;
}

lrc_group_outcome lrc_group_member_outcome(const lrc_group *g, size_t i)
{
    if (!g)
        return LRC_GROUP_IDLE;
    lrc_group *mg = (lrc_group *)g;
    pthread_mutex_lock(&mg->mu);
    lrc_group_outcome o = i < g->n ? g->m[i].outcome : LRC_GROUP_IDLE;
    pthread_mutex_unlock(&mg->mu);
    return o;
}

const lrc_error *lrc_group_member_error(const lrc_group *g, size_t i)
{
    if (!g)
        return NULL;
    lrc_group *mg = (lrc_group *)g;
    pthread_mutex_lock(&mg->mu);
    const lrc_error *e = i < g->n ? g->m[i].error : NULL;
    pthread_mutex_unlock(&mg->mu);
    return e;
}

/* ---- freeing ----------------------------------------------------------------- */

void lrc_group_free(lrc_group *g)
{
    if (!g)
        return;
    bool inside = cb_group == g;
    pthread_mutex_lock(&g->mu);
    g->freed = true; /* no on_update nor on_done starts from now on */
    pthread_mutex_unlock(&g->mu);
    for (size_t i = 0; i < g->n; i++) {
        pthread_mutex_lock(&g->mu);
        lrc_subscription *sub = g->m[i].sub;
        g->m[i].sub = NULL;
        pthread_mutex_unlock(&g->mu);
        lrc_subscription_free(sub); /* waits for its callback, unless ours */
    }
    pthread_mutex_lock(&g->mu);
    /* A member's callback may run without lrc_group_free having seen its
     * subscription (issued while we freed): wait for the user callbacks
     * themselves, all but the one we are called from. */
    while (g->active > (inside ? 1 : 0))
        pthread_cond_wait(&g->cv, &g->mu);
    lrc_queue *q = g->q;
    g->q = NULL;
    if (inside)
        g->free_deferred = true;
    pthread_mutex_unlock(&g->mu);
    /* A completion still queued is discarded (dropping its reference). */
    lrc_queue_unref(q);
    if (!inside)
        group_unref(g);
}
