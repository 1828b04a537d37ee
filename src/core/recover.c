/* recover.c - a command whose events were lost because its stream was too
 * young: ZeroMQ hands a new subscription to the device server
 * asynchronously, and what the server publishes before it arrives is
 * dropped without a trace (cppTango confirms nothing; under CPU load the
 * window reaches tens of milliseconds). Every LRC device pushes the STAGING
 * event before the command returns, so a first event that is not STAGING,
 * or no event at all a second after the reply, means loss: the device is
 * asked directly, and what it says is delivered when no event said it. */
#include "core/client_internal.h"
#include "core/error_build.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Waits until an event for the command was routed, or the invocation
 * ended, or the bound passed. True unless the bound passed. */
static bool wait_first_event(lrc_subscription *inv)
{
    lrc_proxy *p = inv->p;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += LRC_FIRST_EVENT_WAIT_MS / 1000;
    until.tv_nsec += (long)(LRC_FIRST_EVENT_WAIT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    while (!inv->seen_event && inv->state == LRC_INV_ACTIVE)
        if (pthread_cond_timedwait(&p->cv, &p->mu, &until) != 0)
            break;
    bool ok = inv->seen_event || inv->state != LRC_INV_ACTIVE;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

/* True when the invocation's history is known to be complete: STAGING was
 * routed, or it has ended. */
static bool history_complete(lrc_subscription *inv)
{
    pthread_mutex_lock(&inv->p->mu);
    bool done = inv->seen_staging || inv->state != LRC_INV_ACTIVE;
    pthread_mutex_unlock(&inv->p->mu);
    return done;
}

void lrc_inv_confirm(lrc_subscription *inv)
{
    if (!inv->young_stream)
        return;
    bool got_event = wait_first_event(inv);
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
    lrc_decode_out out;
    memset(&out, 0, sizeof out);
    out.n = 1;
    lrc_decoded *d = &out.upd[0];
    d->has = LRC_HAS_STATUS;
    d->status = st;
    bool with_result = lrc_command_result(inv->p, id, inv->version, d);
    if (lrc_inv_deliver_final(inv, &out))
        lrc_inv_log(inv, LRC_LOG_WARNING,
                    "'%s': its events were lost while the subscription took effect; the final "
                    "status %s%s was read from the device",
                    id, lrc_status_name(st), with_result ? " and result" : "");
}
