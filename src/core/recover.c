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
 * A stream in error (the device died, or its host is cut off): cppTango
 * re-subscribes by itself every heartbeat (10 s), but a device that came
 * back may be noticed sooner by asking it, so a probe timer asks while the
 * invocation's streams stay in error. cppTango also reports an event gap
 * (ZeroMQ dropped events: API_MissedEvents) as an error event, after which
 * the next value counts as a comeback: the same questions heal it. Only
 * the next event reveals a gap, so after a comeback the probe timer goes on
 * asking every period until the invocation ends: a later gap that swallows
 * the final, with no event after it, is healed too.
 *
 * Either way the device is asked directly, and what it says is delivered
 * when no event said it. When the device answers NOT_FOUND (it restarted
 * and forgot the command; a v2 device's lrcFinished is looked up first, for
 * a command whose entry merely expired), or stays unreachable for
 * lrc_proxy_options.lost_after_ms, the outcome cannot be known: the
 * invocation ends as LRC_END_LOST with the last status seen. lrc_invoke never waits for this: routing notices
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

/* The device does not know the command (NOT_FOUND): a v2 device may still
 * list it among its finished ones; otherwise it is lost. */
static void deliver_not_found(lrc_subscription *inv, const char *what)
{
    const char *id = inv->command_id;
    if (inv->version == 2) {
        lrc_decode_out out;
        memset(&out, 0, sizeof out);
        out.n = 1;
        if (lrc_command_finished(inv->p, id, &out.upd[0])) {
            lrc_status st = out.upd[0].status;
            if (lrc_inv_deliver_final(inv, &out))
                lrc_inv_log(inv, LRC_LOG_WARNING,
                            "'%s': %s; the final status %s was read from lrcFinished", id, what,
                            lrc_status_name(st));
            return;
        }
        lrc_decode_out_clear(&out);
    }
    char why[256];
    snprintf(why, sizeof why,
             "'%s': %s, and the device does not know this command ID (NOT_FOUND: it restarted "
             "and forgot it?): its outcome cannot be known",
             id, what);
    if (lrc_inv_end(inv, LRC_END_LOST, LRC_ENOTFOUND, why))
        lrc_inv_log(inv, LRC_LOG_WARNING, "%s", why);
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
        deliver_not_found(inv, what); /* no event will come for it */
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
    if (st == LRC_STATUS_NOT_FOUND) {
        deliver_not_found(inv, what);
        return;
    }
    if (!lrc_status_is_terminal(st))
        return; /* still running: later events tell the rest */
    bool with_result;
    if (deliver_final_read(inv, st, &with_result))
        lrc_inv_log(inv, LRC_LOG_WARNING, "'%s': %s; the final status %s%s was read from the device",
                    id, what, lrc_status_name(st), with_result ? " and result" : "");
}

/* How often a device whose streams are in error is asked: a few times
 * within the bound, at most every 5 s, at least every 200 ms. */
static int64_t probe_period_ms(const lrc_proxy *p)
{
    int64_t bound = p->lost_after_ms > 0 ? p->lost_after_ms : LRC_DEFAULT_LOST_AFTER_MS;
    int64_t t = bound / 4;
    return t > 5000 ? 5000 : t < 200 ? 200 : t;
}

/* The invocation's streams are in error, or it is doubted: asks the device;
 * ends the invocation as lost when its streams stay in error and it does
 * not answer past the bound. On a worker. */
static void recover_probe(lrc_subscription *inv)
{
    lrc_proxy *p = inv->p;
    int64_t now = lrc_now_ms();
    pthread_mutex_lock(&p->mu);
    inv->probe_queued = false;
    bool errored = inv->errored;
    bool active = inv->state == LRC_INV_ACTIVE && (errored || inv->doubted);
    int64_t since = inv->errored_since_ms;
    /* Another invocation's question failed a moment ago: one timeout per
     * period and device, not one per invocation. */
    bool skip = p->ask_failed_ms != 0 && now - p->ask_failed_ms < probe_period_ms(p) / 2;
    pthread_mutex_unlock(&p->mu);
    if (!active)
        return;
    const char *id = inv->command_id;
    lrc_status st = LRC_STATUS_NOT_FOUND;
    lrc_error *e = NULL;
    bool asked = !skip && lrc_proxy_command_status(p, id, &st, &e) == LRC_OK;
    now = lrc_now_ms();
    pthread_mutex_lock(&p->mu);
    if (asked) {
        p->ask_failed_ms = 0;
        inv->errored_since_ms = now; /* it answers: the bound starts again */
    } else if (!skip) {
        p->ask_failed_ms = now;
    }
    pthread_mutex_unlock(&p->mu);
    const char *what = errored ? "its event stream is in error"
                               : "its event stream had a gap or came back after an error";
    if (asked) {
        if (st == LRC_STATUS_NOT_FOUND) {
            deliver_not_found(inv, what);
        } else if (lrc_status_is_terminal(st)) {
            bool with_result;
            if (deliver_final_read(inv, st, &with_result))
                lrc_inv_log(inv, LRC_LOG_WARNING, "'%s': %s; the final status %s%s was read "
                            "from the device",
                            id, what, lrc_status_name(st), with_result ? " and result" : "");
        }
        return;
    }
    if (!errored) { /* a doubted one: its stream delivers, the bound does not run */
        lrc_error_free(e);
        return;
    }
    int64_t gone = now - since;
    if (p->lost_after_ms >= 0 && gone >= p->lost_after_ms) {
        char why[512];
        snprintf(why, sizeof why,
                 "'%s': the device has been unreachable for %lld ms (event stream in error, "
                 "questions failing: %s), more than the bound of %lld ms: its outcome cannot "
                 "be known",
                 id, (long long)gone, e ? lrc_error_message(e) : "skipped, another just failed",
                 (long long)p->lost_after_ms);
        if (lrc_inv_end(inv, LRC_END_LOST, LRC_ETIMEDOUT, why))
            lrc_inv_log(inv, LRC_LOG_WARNING, "%s", why);
    }
    lrc_error_free(e);
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
    if (r->why == LRC_RECOVER_PROBE)
        recover_probe(r->inv);
    else if (r->why == LRC_RECOVER_UNREADABLE || r->why == LRC_RECOVER_RESUMED)
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

/* ---- the timers of timeout_ms and of the probe (reaper thread) ------------ */

static void timeout_fire(void *arg)
{
    lrc_subscription *inv = arg;
    char why[256];
    snprintf(why, sizeof why,
             "'%s': no final status within %lld ms (timeout): the command may go on on the "
             "device",
             inv->command_id ? inv->command_id : "", (long long)inv->timeout_ms);
    lrc_inv_end(inv, LRC_END_TIMED_OUT, LRC_ETIMEDOUT, why);
    lrc_inv_unref(inv); /* the timer's */
}

void lrc_inv_arm_timeout(lrc_subscription *inv)
{
    lrc_proxy *p = inv->p;
    pthread_mutex_lock(&p->mu);
    bool arm = inv->deadline_ms > 0 && inv->state == LRC_INV_ACTIVE;
    if (arm)
        atomic_fetch_add(&inv->refs, 1); /* the timer's */
    pthread_mutex_unlock(&p->mu);
    if (arm && !lrc_reaper_defer_at(inv->deadline_ms, timeout_fire, inv)) {
        lrc_inv_log(inv, LRC_LOG_ERROR, "'%s': out of resources: its timeout cannot be armed",
                    inv->command_id);
        lrc_inv_unref(inv);
    }
}

/* While the invocation's streams stay in error, or once one came back after
 * an error (doubted) until it ends, queues one question at a time and comes
 * back a period later. */
static void probe_fire(void *arg)
{
    lrc_subscription *inv = arg;
    lrc_proxy *p = inv->p;
    pthread_mutex_lock(&p->mu);
    bool again = inv->state == LRC_INV_ACTIVE && (inv->errored || inv->doubted);
    if (again && !inv->probe_queued) {
        inv->probe_queued = true;
        lrc_inv_queue_recovery(inv, LRC_RECOVER_PROBE);
    }
    if (again)
        again = lrc_reaper_defer_at(lrc_now_ms() + probe_period_ms(p), probe_fire, inv);
    if (!again)
        inv->probe_armed = false;
    pthread_mutex_unlock(&p->mu);
    if (!again)
        lrc_inv_unref(inv); /* the timer's */
}

void lrc_inv_arm_probe(lrc_subscription *inv)
{
    if (inv->probe_armed || inv->state != LRC_INV_ACTIVE)
        return;
    atomic_fetch_add(&inv->refs, 1); /* the timer's */
    if (lrc_reaper_defer_at(lrc_now_ms() + probe_period_ms(inv->p), probe_fire, inv))
        inv->probe_armed = true;
    else
        atomic_fetch_sub(&inv->refs, 1); /* not the last: routing holds one */
}

void lrc_inv_cancel_timers(lrc_subscription *inv)
{
    if (lrc_reaper_cancel(timeout_fire, inv))
        lrc_inv_unref(inv); /* not the last: the caller holds one */
    if (lrc_reaper_cancel(probe_fire, inv)) {
        pthread_mutex_lock(&inv->p->mu);
        inv->probe_armed = false;
        pthread_mutex_unlock(&inv->p->mu);
        lrc_inv_unref(inv);
    }
}
