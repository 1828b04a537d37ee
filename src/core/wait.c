/* wait.c - blocking waits on an invocation: its final update recorded once
 * its final callback has returned, copies of it for each waiter, and
 * lrc_invoke_wait. */
#include "core/client_internal.h"
#include "core/error_build.h"
#include "core/scheduler_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An lrc_final with the memory it points to. */
typedef struct lrc_final_box {
    lrc_final pub; /* first: lrc_final_free gets it back */
    char *command_id;
    char *result_json;
    char *result_message;
    lrc_error *error;
} lrc_final_box;

void lrc_final_free(lrc_final *f)
{
    if (!f)
        return;
    lrc_final_box *b = (lrc_final_box *)f;
    free(b->command_id);
    free(b->result_json);
    free(b->result_message);
    lrc_error_free(b->error);
    free(b);
}

/* strdup of NULL is NULL; *ok turns false when memory runs out. */
static char *dup_or_null(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

/* A box pointing at its own copies of what `from` says. NULL: no memory. */
static lrc_final_box *box_new(const lrc_final *from)
{
    lrc_final_box *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    bool ok = true;
    b->pub = *from;
    b->pub.size = sizeof b->pub;
    b->command_id = dup_or_null(from->command_id, &ok);
    b->result_json = dup_or_null(from->result_json, &ok);
    b->result_message = dup_or_null(from->result_message, &ok);
    if (from->error && !(b->error = lrc_error_dup(from->error)))
        ok = false;
    b->pub.command_id = b->command_id;
    b->pub.result_json = b->result_json;
    b->pub.result_message = b->result_message;
    b->pub.error = b->error;
    if (!ok) {
        lrc_final_free(&b->pub);
        return NULL;
    }
    return b;
}

void lrc_waiters_init(lrc_inv_waiters *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    /* Wait deadlines use the monotonic clock: wall-clock jumps must not
     * stretch or cut them. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
}

void lrc_waiters_destroy(lrc_inv_waiters *w)
{
    if (w->final)
        lrc_final_free(&w->final->pub);
    free(w->result_json);
    free(w->result_message);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

/* Under w->mu: the outcome is known. */
static void finish_locked(lrc_inv_waiters *w, int rc, lrc_final_box *final)
{
    if (w->done) { /* exactly one final per invocation: keep the first */
        if (final)
            lrc_final_free(&final->pub);
        return;
    }
    w->done = true;
    w->rc = rc;
    w->final = final;
    pthread_cond_broadcast(&w->cv);
}

void lrc_waiters_end(lrc_inv_waiters *w, int rc)
{
    pthread_mutex_lock(&w->mu);
    finish_locked(w, rc, NULL);
    pthread_mutex_unlock(&w->mu);
}

void lrc_waiters_freed(lrc_inv_waiters *w)
{
    pthread_mutex_lock(&w->mu);
    w->freed = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Keeps the latest result of the invocation (on its queue's items only). */
static void keep_result(lrc_inv_waiters *w, const lrc_decoded *d)
{
    if (d->has & LRC_HAS_RESULT) {
        char *j = d->result_json ? strdup(d->result_json) : NULL;
        free(w->result_json);
        w->result_json = j;
        w->res_has = j ? w->res_has | LRC_HAS_RESULT : w->res_has & ~LRC_HAS_RESULT;
    }
    if (d->has & LRC_HAS_RESULT_CODE) {
        char *m = d->result_message ? strdup(d->result_message) : NULL;
        free(w->result_message);
        w->result_message = m;
        w->result_code = d->result_code;
        w->res_has |= LRC_HAS_RESULT_CODE;
    }
}

void lrc_waiters_note(lrc_subscription *inv, const lrc_decode_out *out, bool final)
{
    lrc_inv_waiters *w = &inv->waiters;
    for (size_t i = 0; i < out->n; i++)
        keep_result(w, &out->upd[i]);
    if (!final)
        return;
    const unsigned keep =
        LRC_HAS_STATUS | LRC_HAS_ERROR | LRC_HAS_END | LRC_HAS_LAST_STATUS;
    lrc_final f;
    memset(&f, 0, sizeof f);
    f.command_id = inv->command_id;
    f.protocol_version = inv->version;
    if (out->n > 0) {
        const lrc_decoded *d = &out->upd[out->n - 1];
        f.has = d->has & keep;
        f.status = d->status;
        f.error = (d->has & LRC_HAS_ERROR) ? d->error : NULL;
        f.end = d->end;
        f.last_status = d->last_status;
    }
    f.has |= w->res_has;
    f.result_json = w->result_json;
    f.result_code = w->result_code;
    f.result_message = w->result_message;
    lrc_final_box *b = box_new(&f);
    pthread_mutex_lock(&w->mu);
    finish_locked(w, b ? LRC_OK : LRC_ENOMEM, b);
    pthread_mutex_unlock(&w->mu);
}

/* The scheduler whose callbacks deliver the invocation's final. */
static const lrc_scheduler *inv_scheduler(const lrc_subscription *inv)
{
    return inv->queue->s; /* immutable */
}

int lrc_subscription_wait(lrc_subscription *s, int64_t timeout_ms, lrc_final **out,
                          lrc_error **err)
{
    if (out)
        *out = NULL;
    if (!s)
        return lrc_fail(err, LRC_EINVAL, "lrc_subscription_wait: NULL subscription");
    lrc_inv_waiters *w = &s->waiters;
    atomic_fetch_add(&s->refs, 1); /* lrc_subscription_free may run meanwhile */
    pthread_mutex_lock(&w->mu);
    bool blocks = !w->done && !w->freed && timeout_ms != 0;
    pthread_mutex_unlock(&w->mu);
    /* Asked without w->mu: the scheduler's lock is not a leaf below it. */
    if (blocks && lrc_sched_would_wait_for_self(inv_scheduler(s))) {
        lrc_inv_unref(s);
        return lrc_fail(err, LRC_EDEADLK,
                        "lrc_subscription_wait: called on a thread that runs the callbacks of "
                        "scheduler '%s' (a worker, or the loop's dispatching thread): it would "
                        "wait for itself",
                        inv_scheduler(s)->name);
    }
    struct timespec deadline = lrc_sched_deadline_after(timeout_ms > 0 ? timeout_ms : 0);
    int rc = LRC_OK;
    lrc_final_box *copy = NULL;
    pthread_mutex_lock(&w->mu);
    w->waiting++;
    while (!w->done && !w->freed) {
        if (timeout_ms == 0) {
            rc = LRC_ETIMEDOUT;
            break;
        }
        if (timeout_ms < 0) {
            pthread_cond_wait(&w->cv, &w->mu);
        } else if (pthread_cond_timedwait(&w->cv, &w->mu, &deadline) == ETIMEDOUT) {
            if (!w->done && !w->freed)
                rc = LRC_ETIMEDOUT;
            break;
        }
    }
    if (rc == LRC_OK) {
        if (!w->done)
            rc = LRC_ECLOSED; /* freed first */
        else if ((rc = w->rc) == LRC_OK && out && !(copy = box_new(&w->final->pub)))
            rc = LRC_ENOMEM;
    }
    w->waiting--;
    pthread_mutex_unlock(&w->mu);
    const char *id = s->command_id ? s->command_id : "?";
    switch (rc) {
    case LRC_OK:
        if (out)
            *out = &copy->pub;
        break;
    case LRC_ETIMEDOUT:
        rc = lrc_fail(err, rc,
                      "no final update of '%s' within %lld ms (the invocation goes on)", id,
                      (long long)timeout_ms);
        break;
    case LRC_ECLOSED:
        rc = lrc_fail(err, rc,
                      "'%s' will deliver no final update: its subscription was freed or its "
                      "scheduler shut down",
                      id);
        break;
    default: rc = lrc_fail(err, rc, "out of memory"); break;
    }
    lrc_inv_unref(s);
    return rc;
}

/* lrc_invoke_wait's callback: the wait is what the caller wants. */
static void ignore_update(const lrc_update *u, void *user)
{
    (void)u;
    (void)user;
}

int lrc_invoke_wait(lrc_proxy *p, const char *command, const lrc_arg *arg,
                    const lrc_invoke_options *opts, int64_t timeout_ms, lrc_final **out,
                    lrc_error **err)
{
    if (out)
        *out = NULL;
    /* Refused before anything is sent (lrc_invoke checks the rest). */
    const lrc_scheduler *sched = NULL;
    if (opts && opts->size > offsetof(lrc_invoke_options, scheduler))
        sched = opts->scheduler;
    if (!sched)
        sched = lrc_scheduler_default();
    if (timeout_ms != 0 && lrc_sched_would_wait_for_self(sched))
        return lrc_fail(err, LRC_EDEADLK,
                        "lrc_invoke_wait: called on a thread that runs the callbacks of "
                        "scheduler '%s' (a worker, or the loop's dispatching thread): it would "
                        "wait for itself",
                        sched->name);
    lrc_subscription *sub = NULL;
    int rc = lrc_invoke(p, command, arg, ignore_update, NULL, opts, &sub, err);
    if (rc != LRC_OK)
        return rc;
    rc = lrc_subscription_wait(sub, timeout_ms, out, err);
    lrc_subscription_free(sub);
    return rc;
}
