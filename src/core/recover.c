/* recover.c - asking the device for what its events did not tell.
 *
 * A young stream: ZeroMQ hands a new subscription to the device server
 * asynchronously, and what the server publishes before it arrives is
 * dropped without a trace (cppTango confirms nothing; under CPU load the
 * window reaches tens of milliseconds). Every LRC device pushes the STAGING
 * event before the command returns, so a first event that is not STAGING,
 * or no event at all a second after the reply, means loss.
 *
 * An unreadable event: a v2 event that is no JSON object, from which no
 * status could be read either, may have been the terminal one; nothing
 * else would then end the invocation. A stream that comes back after an
 * error event (cppTango re-subscribed after a restart of the device) has
 * lost what the device published meanwhile, the final event perhaps.
 *
 * Either way the device is asked directly, and what it says is delivered
 * when no event said it. lrc_invoke never waits for this: routing notices
 * a first event that is not STAGING or an unreadable one, the timer notices
 * a missing first event, and the questions run as an item of the
 * invocation's callback queue (a scheduler worker: never the caller, never
 * a Tango thread), so what they deliver keeps its place among the
 * callbacks. */
#include "core/client_internal.h"
#include "core/error_build.h"
#include "core/log_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct recovery {
    lrc_subscription *inv; /* one reference */
    lrc_recover_why why;
} recovery;

/* True when the invocation's history is known to be complete: STAGING was
 * routed, or it has ended. */
static bool history_complete(lrc_subscription *inv)
{
    pthread_mutex_lock(&inv->p->mu);
    bool done = inv->seen_staging || inv->state != LRC_INV_ACTIVE;
    pthread_mutex_unlock(&inv->p->mu);
    return done;
}

static bool still_active(lrc_subscription *inv)
{
    pthread_mutex_lock(&inv->p->mu);
    bool active = inv->state == LRC_INV_ACTIVE;
    pthread_mutex_unlock(&inv->p->mu);
    return active;
}

/* The final update from the device's status st (terminal) and the result
 * it kept; true if delivered. */
static bool deliver_final_read(lrc_subscription *inv, lrc_status st, bool *with_result)
{
    lrc_decode_out out;
    memset(&out, 0, sizeof out);
    out.n = 1;
    lrc_decoded *d = &out.upd[0];
    d->has = LRC_HAS_STATUS;
    d->status = st;
    *with_result = lrc_command_result(inv->p, inv->command_id, inv->version, d);
    return lrc_inv_deliver_final(inv, &out);
}

/* A young stream's first events were (probably) lost. */
static void recover_young(lrc_subscription *inv, bool got_event)
{
    if (history_complete(inv))
        return;
    const char *id = inv->command_id;
    /* how the loss showed, for the log lines */
    char what[160];
    if (got_event)
        snprintf(what, sizeof what, "its first event was not STAGING");
    else
        snprintf(what, sizeof what, "no event arrived within %d ms of the command's reply",
                 LRC_FIRST_EVENT_WAIT_MS);
    lrc_status st;
    lrc_error *e = NULL;
    if (lrc_proxy_command_status(inv->p, id, &st, &e) != LRC_OK) {
        lrc_inv_log(inv, LRC_LOG_WARNING,
                    "'%s': %s (lost while the subscription took effect?) and its status cannot "
                    "be asked: %s",
                    id, what, lrc_error_message(e));
        lrc_error_free(e);
        return;
    }
    if (st == LRC_STATUS_NOT_FOUND) {
        lrc_inv_log(inv, LRC_LOG_WARNING,
                    "'%s': %s, and the device does not know this command ID (NOT_FOUND): no "
                    "event will come for it",
                    id, what);
        return;
    }
    if (!lrc_status_is_terminal(st)) {
        /* delivered only if no event has told a status meanwhile */
        lrc_inv_deliver_status(inv, st);
        lrc_inv_log(inv, LRC_LOG_WARNING,
                    "'%s': %s; the device reports %s: earlier events were lost while the "
                    "subscription took effect",
                    id, what, lrc_status_name(st));
        return;
    }
    bool with_result;
    if (deliver_final_read(inv, st, &with_result))
        lrc_inv_log(inv, LRC_LOG_WARNING,
                    "'%s': its events were lost while the subscription took effect; the final "
                    "status %s%s was read from the device",
                    id, lrc_status_name(st), with_result ? " and result" : "");
}

/* An event of the command could not be read (it may have been the
 * terminal one), or a stream came back after an error (its events of the
 * meantime are lost). */
static void recover_unreadable(lrc_subscription *inv, bool resumed)
{
    if (!still_active(inv))
        return;
    const char *id = inv->command_id;
    const char *what = resumed ? "its event stream came back after an error"
                               : "an event could not be read";
    lrc_status st;
    lrc_error *e = NULL;
    if (lrc_proxy_command_status(inv->p, id, &st, &e) != LRC_OK) {
        lrc_inv_log(inv, LRC_LOG_WARNING, "'%s': %s, and the command's status cannot be asked: %s",
                    id, what, lrc_error_message(e));
        lrc_error_free(e);
        return;
    }
    if (!lrc_status_is_terminal(st))
        return; /* still running: later events tell the rest */
    bool with_result;
    if (deliver_final_read(inv, st, &with_result))
        lrc_inv_log(inv, LRC_LOG_WARNING, "'%s': %s; the final status %s%s was read from the device",
                    id, what, lrc_status_name(st), with_result ? " and result" : "");
}

static void recovery_free(recovery *r)
{
    lrc_inv_unref(r->inv);
    free(r);
}

/* On a scheduler worker, in the invocation's queue. */
static void recovery_run(void *item, void *ctx)
{
    (void)ctx;
    recovery *r = item;
    if (r->why == LRC_RECOVER_UNREADABLE || r->why == LRC_RECOVER_RESUMED)
        recover_unreadable(r->inv, r->why == LRC_RECOVER_RESUMED);
    else
        recover_young(r->inv, r->why == LRC_RECOVER_NOT_STAGING);
    recovery_free(r);
}

static void recovery_discard(void *item, void *ctx)
{
    (void)ctx;
    recovery_free(item);
}

void lrc_inv_queue_recovery(lrc_subscription *inv, lrc_recover_why why)
{
    recovery *r = malloc(sizeof *r);
    if (!r) {
        lrc_log(LRC_LOG_ERROR, "'%s': out of memory: the device cannot be asked", inv->command_id);
        return;
    }
    r->inv = inv;
    r->why = why;
    atomic_fetch_add(&inv->refs, 1);
    /* terminal: never dropped for overflow, it may deliver the final */
    if (lrc_queue_push(inv->queue, recovery_run, recovery_discard, r, NULL, true) != LRC_OK) {
        atomic_fetch_sub(&inv->refs, 1); /* not the last: the caller's routing holds one */
        free(r);
    }
}

/* The timer (reaper thread): no first event came in time. */
static void first_event_timeout(void *arg)
{
    lrc_subscription *inv = arg;
    pthread_mutex_lock(&inv->p->mu);
    if (inv->confirm_pending && inv->state == LRC_INV_ACTIVE && !inv->seen_event) {
        inv->confirm_pending = false;
        lrc_inv_queue_recovery(inv, LRC_RECOVER_NO_EVENT);
    }
    pthread_mutex_unlock(&inv->p->mu);
    lrc_inv_unref(inv); /* the timer's */
}

void lrc_inv_confirm(lrc_subscription *inv)
{
    lrc_proxy *p = inv->p;
    pthread_mutex_lock(&p->mu);
    bool arm = inv->confirm_pending && inv->state == LRC_INV_ACTIVE;
    pthread_mutex_unlock(&p->mu);
    if (!arm)
        return;
    atomic_fetch_add(&inv->refs, 1); /* the timer's */
    if (!lrc_reaper_defer_at(lrc_now_ms() + LRC_FIRST_EVENT_WAIT_MS, first_event_timeout, inv)) {
        lrc_inv_log(inv, LRC_LOG_ERROR,
                    "'%s': out of resources: a loss of its first events would go unnoticed",
                    inv->command_id);
        lrc_inv_unref(inv);
    }
}

void lrc_inv_cancel_confirm(lrc_subscription *inv)
{
    if (lrc_reaper_cancel(first_event_timeout, inv))
        lrc_inv_unref(inv); /* the timer's; not the last: the caller holds one */
}
