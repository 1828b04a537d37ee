/* invocation.c - one LRC being followed: routing of its events (buffered
 * until the command ID is known), the items its callbacks run from, and the
 * subscription handle the caller holds. */
#include "core/client_internal.h"
#include "core/error_build.h"
#include "core/group_internal.h"
#include "core/log_internal.h"
#include "core/value.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One queued batch of callbacks: what one event meant for one invocation. */
typedef struct delivery {
    lrc_subscription *inv; /* one reference */
    lrc_decode_out out;
    bool final;
} delivery;

static void on_event(lrc_listener *l, lrc_stream_kind kind, const lrc_tg_event *ev);
static void on_resume(lrc_listener *l);

void lrc_inv_log(lrc_subscription *inv, int level, const char *fmt, ...)
{
    char *msg;
    va_list ap;
    va_start(ap, fmt);
    msg = lrc_vasprintf(fmt, ap);
    va_end(ap);
    const char *text = msg ? msg : "(out of memory)";
    /* The invocation's logger only while its handle lives, behind the same
     * gate as its callback: once lrc_subscription_free has returned, the
     * logger's user data may be gone, and a message that comes later (a
     * recovery that was under way) goes to the process-wide hook. */
    lrc_gate_entry in;
    if (inv->logger && lrc_gate_enter(&inv->gate, &in)) {
        lrc_log_to(inv->logger, inv->logger_user, level, "%s", text);
        lrc_gate_leave(&in);
    } else {
        lrc_log_to(NULL, NULL, level, "%s", text);
    }
    free(msg);
}

/* ---- lifetime ---------------------------------------------------------------- */

int lrc_inv_new(lrc_proxy *p, lrc_queue *q, const char *command, lrc_update_fn cb, void *user,
                const lrc_invoke_options *opts, lrc_subscription **out)
{
    lrc_subscription *inv = calloc(1, sizeof *inv);
    if (!inv || !(inv->command = strdup(command))) {
        free(inv);
        return LRC_ENOMEM;
    }
    inv->listener.on_event = on_event;
    inv->listener.on_resume = on_resume;
    inv->p = lrc_proxy_ref(p);
    inv->queue = lrc_queue_ref(q);
    inv->cb = cb;
    inv->user = user;
    if (opts) {
        inv->logger = opts->logger;
        inv->logger_user = opts->logger_user;
        /* counted from the call: the time to subscribe and to run the
         * command is part of what the caller waits */
        inv->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 0;
        if (opts->timeout_ms > 0)
            inv->deadline_ms = lrc_now_ms() + opts->timeout_ms;
    }
    atomic_init(&inv->refs, 1); /* the caller's */
    inv->state = LRC_INV_PENDING;
    inv->early_deadline_ms = lrc_now_ms() + p->timeout_ms + 1000;
    lrc_gate_init(&inv->gate);
    lrc_waiters_init(&inv->waiters);
    *out = inv;
    return LRC_OK;
}

static void drop_early(lrc_subscription *inv)
{
    for (size_t i = 0; i < inv->nearly; i++) {
        lrc_tg_value_clear(&inv->early[i].value);
        lrc_error_free(inv->early[i].error);
    }
    free(inv->early);
    inv->early = NULL;
    inv->nearly = inv->cap_early = 0;
    inv->early_bytes = 0;
}

static void inv_free(lrc_subscription *inv)
{
    drop_early(inv);
    lrc_decode_state_clear(&inv->dec);
    free(inv->command_id);
    free(inv->command);
    lrc_gate_destroy(&inv->gate);
    lrc_waiters_destroy(&inv->waiters);
    lrc_queue_unref(inv->queue);
    lrc_proxy_unref(inv->p);
    free(inv);
}

void lrc_inv_unref(lrc_subscription *inv)
{
    if (inv && atomic_fetch_sub(&inv->refs, 1) == 1)
        inv_free(inv);
}

/* Under p->mu: no more events for this invocation. */
static void end_routing(lrc_subscription *inv)
{
    inv->state = LRC_INV_ENDED;
    for (size_t i = 0; i < inv->nstreams; i++)
        lrc_stream_unlisten(inv->streams[i], &inv->listener);
    drop_early(inv);
}

/* ---- streams ----------------------------------------------------------------- */

int lrc_inv_attach(lrc_subscription *inv, int version, const char *origin, lrc_error **err)
{
    lrc_proxy *p = inv->p;
    lrc_stream *held[3];
    size_t n = 0;
    inv->version = version;
    atomic_fetch_add(&inv->refs, 1); /* the streams point at the listener */
    int rc = lrc_stream_acquire_protocol(p, version, &inv->listener, held, &n, origin, err);
    if (rc != LRC_OK) {
        lrc_inv_detach(inv); /* nothing held: marks it detached, drops that reference */
        return rc;
    }
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < n; i++) {
        inv->streams[inv->nstreams++] = held[i];
        if (lrc_now_ms() - lrc_stream_live_since_ms(held[i]) < LRC_YOUNG_STREAM_MS)
            inv->young_stream = true;
    }
    pthread_mutex_unlock(&p->mu);
    return LRC_OK;
}

void lrc_inv_detach(lrc_subscription *inv)
{
    lrc_proxy *p = inv->p;
    lrc_stream *held[3];
    pthread_mutex_lock(&p->mu);
    if (inv->detached) {
        pthread_mutex_unlock(&p->mu);
        return;
    }
    inv->detached = true;
    inv->detaching = true;
    end_routing(inv);
    size_t n = inv->nstreams;
    memcpy(held, inv->streams, n * sizeof *held);
    inv->nstreams = 0;
    pthread_mutex_unlock(&p->mu);

    lrc_stream_release_all(p, held, n, NULL, inv->logger, inv->logger_user);
    lrc_inv_cancel_confirm(inv); /* nothing to confirm any more */
    lrc_inv_cancel_timers(inv);
    pthread_mutex_lock(&p->mu);
    inv->detaching = false;
    pthread_cond_broadcast(&p->cv); /* lrc_subscription_free may wait for it */
    pthread_mutex_unlock(&p->mu);
    lrc_inv_unref(inv); /* the reference taken by lrc_inv_attach */
}

/* Waits until no thread is giving back the invocation's streams: a worker
 * may be unsubscribing them for the final status right now. Without p->mu.
 * Never on a Tango thread (that unsubscribe may wait for it). */
static void wait_detached(lrc_subscription *inv)
{
    pthread_mutex_lock(&inv->p->mu);
    while (inv->detaching)
        pthread_cond_wait(&inv->p->cv, &inv->p->mu);
    pthread_mutex_unlock(&inv->p->mu);
}

/* ---- running callbacks ----------------------------------------------------- */

static void delivery_free(delivery *d)
{
    lrc_decode_out_clear(&d->out);
    lrc_inv_unref(d->inv);
    free(d);
}

/* On a scheduler worker. */
static void delivery_run(void *item, void *ctx)
{
    (void)ctx;
    delivery *d = item;
    lrc_subscription *inv = d->inv;
    if (d->final)
        lrc_inv_detach(inv); /* stop listening, then the final callback */
    lrc_update_sink sink = {inv->cb, inv->user, inv->logger, inv->logger_user, inv->version};
    lrc_deliver_updates(&inv->gate, &sink, &d->out, inv->command_id, d->final);
    lrc_waiters_note(inv, &d->out, d->final); /* after the callback: a woken
                                                 waiter may free the handle */
    delivery_free(d);
}

/* When the queue or scheduler goes away with the item still queued. */
static void delivery_discard(void *item, void *ctx)
{
    (void)ctx;
    delivery *d = item;
    if (d->final) {
        lrc_inv_detach(d->inv);
        lrc_waiters_end(&d->inv->waiters, LRC_ECLOSED);
    }
    delivery_free(d);
}

/* ---- routing (under p->mu, on a Tango thread or the invoking thread) ------- */

/* Under p->mu: counts the invocation's outcome (lrc_proxy_metrics) from
 * its final update. Each invocation has one: routing ends with it. */
static void count_outcome(lrc_proxy *p, const lrc_decode_out *out)
{
    if (out->n == 0)
        return;
    const lrc_decoded *d = &out->upd[out->n - 1];
    switch (lrc_final_outcome(d->has, d->end, d->status)) {
    case LRC_GROUP_COMPLETED: p->mx.completed++; break;
    case LRC_GROUP_FAILED: p->mx.failed++; break;
    case LRC_GROUP_REJECTED: p->mx.rejected++; break;
    case LRC_GROUP_ABORTED: p->mx.aborted++; break;
    case LRC_GROUP_TIMED_OUT: p->mx.timed_out++; break;
    default: p->mx.lost++; break;
    }
}

static void queue_delivery(lrc_subscription *inv, lrc_decode_out *out)
{
    if (out->terminal)
        count_outcome(inv->p, out);
    delivery *d = malloc(sizeof *d);
    if (!d) {
        lrc_decode_out_clear(out);
        lrc_log(LRC_LOG_ERROR, "'%s': out of memory: an event was dropped", inv->command_id);
        return;
    }
    d->inv = inv;
    atomic_fetch_add(&inv->refs, 1);
    d->out = *out;
    memset(out, 0, sizeof *out);
    d->final = d->out.terminal;
    bool final = d->final;
    int rc = lrc_queue_push(inv->queue, delivery_run, delivery_discard, d, NULL,
                            final || !lrc_decode_out_only_progress(&d->out));
    if (rc == LRC_OK)
        return;
    lrc_log(LRC_LOG_ERROR, "'%s': callbacks cannot be queued (%s): an event was dropped",
            inv->command_id, lrc_strerror(rc));
    delivery_free(d); /* not the last reference: the streams hold one */
    if (final || rc == LRC_ECLOSED) {
        /* Nothing of this invocation can run any more (its scheduler is
         * gone) or its end was lost: stop following it, and have its
         * streams given back once p->mu is released, or a fire-and-forget
         * invocation would keep the device subscribed for ever. */
        end_routing(inv);
        lrc_waiters_end(&inv->waiters, rc); /* its final will never run */
        if (!inv->reaping && !inv->detached) {
            inv->reaping = true;
            atomic_fetch_add(&inv->refs, 1);
            inv->reap_next = inv->p->reap;
            inv->p->reap = inv;
        }
    }
}

static void reap_deferred(void *arg)
{
    lrc_proxy *p = arg;
    lrc_proxy_reap(p); /* not on a Tango thread now */
    lrc_proxy_unref(p);
}

void lrc_proxy_reap(lrc_proxy *p)
{
    if (lrc_on_tango_thread()) {
        /* Giving the streams back may drop the last reference of the
         * proxy, whose close must not run inside Tango's callback. */
        pthread_mutex_lock(&p->mu);
        bool any = p->reap != NULL;
        pthread_mutex_unlock(&p->mu);
        if (any)
            lrc_reaper_defer(reap_deferred, lrc_proxy_ref(p));
        return;
    }
    for (;;) {
        pthread_mutex_lock(&p->mu);
        lrc_subscription *inv = p->reap;
        if (inv) {
            p->reap = inv->reap_next;
            inv->reap_next = NULL;
        }
        pthread_mutex_unlock(&p->mu);
        if (!inv)
            return;
        lrc_inv_detach(inv);
        lrc_inv_unref(inv); /* the reap list's */
    }
}

static void route(lrc_subscription *inv, lrc_stream_kind kind, const lrc_tg_event *ev)
{
    lrc_decode_out out;
    int rc = ev->error ? lrc_decode_error(inv->command_id, ev->error, &out)
                       : lrc_decode_value(kind, inv->command_id, ev->value, &inv->dec, &out);
    if (rc != LRC_OK) {
        lrc_log(LRC_LOG_ERROR, "'%s': out of memory decoding an event: dropped", inv->command_id);
        return;
    }
    if (out.n == 0 && out.nlogs == 0)
        return;
    if (ev->error) {
        if (!inv->errored) {
            inv->errored = true;
            inv->errored_since_ms = lrc_now_ms();
            lrc_inv_arm_probe(inv);
        }
    } else {
        inv->errored = false; /* its stream delivers again */
    }
    for (size_t i = 0; i < out.n; i++)
        if (out.upd[i].has & LRC_HAS_STATUS) {
            inv->has_last_status = true;
            inv->last_status = out.upd[i].status;
            inv->seen_status = true;
            inv->seen_staging = inv->seen_staging || out.upd[i].status == LRC_STATUS_STAGING;
        }
    inv->seen_event = true;
    /* Ask the device (after this event's callbacks) when a young stream's
     * first event shows that earlier ones were lost, or when this event
     * could not be read and may have been the terminal one. */
    bool lost = inv->confirm_pending && !inv->seen_staging && !out.terminal;
    bool unreadable = out.unreadable && !out.terminal;
    inv->confirm_pending = false;
    if (out.terminal)
        end_routing(inv); /* nothing after the final callback */
    queue_delivery(inv, &out);
    if (lost)
        lrc_inv_queue_recovery(inv, LRC_RECOVER_NOT_STAGING);
    else if (unreadable)
        lrc_inv_queue_recovery(inv, LRC_RECOVER_UNREADABLE);
}

/* Whether an event's command ID can be that of the pending command. IDs
 * are opaque, but ska's have the shape <time>_<number>_<Command>
 * (protocol section 1.2): one of that shape naming another command is not
 * ours. Any other non-empty ID may be. */
static bool could_be_ours(const lrc_subscription *inv, const char *id)
{
    if (!id || !*id)
        return false;
    const char *c = id + strspn(id, "0123456789.");
    if (c == id || *c != '_')
        return true;
    const char *n = c + 1 + strspn(c + 1, "0123456789");
    if (n == c + 1 || *n != '_')
        return true;
    return strcasecmp(n + 1, inv->command) == 0;
}

/* What an event costs in the early buffer. */
#define EARLY_OVERHEAD (sizeof(lrc_early) + 64)

/* Copies into *dst the part of a string-list event that can concern the
 * pending command (v2 and the v1 result: [id, value] as a whole; the v1
 * status and progress lists: only the [id, value] pairs whose id could be
 * ours), adding the bytes kept to *bytes. False when nothing can be ours:
 * nothing is copied then. LRC_ENOMEM through *rc. */
static bool copy_ours(const lrc_subscription *inv, lrc_stream_kind kind, const lrc_tg_value *v,
                      lrc_tg_value *dst, size_t *bytes, int *rc)
{
    *rc = LRC_OK;
    if (!v || v->type != LRC_TG_STRING_ARRAY || v->ns == 0 || !v->sv)
        return false; /* the decoders find no ID in it */
    bool pairs = kind == LRC_STREAM_V1_STATUS || kind == LRC_STREAM_V1_PROGRESS;
    size_t step = pairs ? 2 : v->ns;
    size_t keep = 0;
    for (size_t i = 0; i < v->ns; i += step)
        if (could_be_ours(inv, v->sv[i]))
            keep += i + step <= v->ns ? step : v->ns - i;
    if (keep == 0)
        return false;
    memset(dst, 0, sizeof *dst);
    dst->type = LRC_TG_STRING_ARRAY;
    if (!(dst->sv = calloc(keep, sizeof *dst->sv))) {
        *rc = LRC_ENOMEM;
        return false;
    }
    for (size_t i = 0; i < v->ns; i += step) {
        if (!could_be_ours(inv, v->sv[i]))
            continue;
        for (size_t k = i; k < i + step && k < v->ns; k++) {
            const char *s = v->sv[k] ? v->sv[k] : "";
            if (!(dst->sv[dst->ns] = strdup(s))) {
                lrc_tg_value_clear(dst);
                *rc = LRC_ENOMEM;
                return false;
            }
            dst->ns++;
            *bytes += strlen(s) + 1 + sizeof(char *);
        }
    }
    return true;
}

/* Keeps a copy of what of an event can concern the pending command, in a
 * buffer bounded in bytes and in time. Other commands' traffic (a busy
 * device's progress, say) is not copied at all. */
static void buffer_early(lrc_subscription *inv, lrc_stream_kind kind, const lrc_tg_event *ev)
{
    if (inv->early_lost)
        return;
    if (lrc_now_ms() > inv->early_deadline_ms)
        goto lost;
    lrc_early e;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    size_t bytes = EARLY_OVERHEAD;
    if (ev->error) {
        if (!(e.error = lrc_error_dup(ev->error)))
            goto lost;
        bytes += strlen(lrc_error_message(e.error)) + 256 * lrc_error_count(e.error);
    } else {
        int rc;
        if (!copy_ours(inv, kind, ev->value, &e.value, &bytes, &rc)) {
            if (rc != LRC_OK)
                goto lost;
            return; /* not ours */
        }
    }
    if (inv->early_bytes + bytes > LRC_EARLY_MAX_BYTES)
        goto drop;
    if (inv->nearly == inv->cap_early) {
        size_t cap = inv->cap_early ? 2 * inv->cap_early : 8;
        lrc_early *grown = realloc(inv->early, cap * sizeof *grown);
        if (!grown)
            goto drop;
        inv->early = grown;
        inv->cap_early = cap;
    }
    inv->early[inv->nearly++] = e;
    inv->early_bytes += bytes;
    return;
drop:
    lrc_tg_value_clear(&e.value);
    lrc_error_free(e.error);
lost:
    /* Reported when the ID is known (logging here would call out). */
    inv->early_lost = true;
    drop_early(inv);
}

static void on_event(lrc_listener *l, lrc_stream_kind kind, const lrc_tg_event *ev)
{
    lrc_subscription *inv = (lrc_subscription *)l;
    if (inv->state == LRC_INV_PENDING)
        buffer_early(inv, kind, ev);
    else if (inv->state == LRC_INV_ACTIVE)
        route(inv, kind, ev);
}

/* A stream of the invocation came back after an error (the device may have
 * restarted, or ZeroMQ dropped events: API_MissedEvents): its events of the
 * meantime, the final one perhaps, are lost. The device is asked, now and
 * then every probe period until the invocation ends: a gap is noticed only
 * at the next event, and the congestion that made one may make another
 * that swallows the final with nothing after it. (A pending invocation
 * learns its outcome from the reply and the young-stream check.) */
static void on_resume(lrc_listener *l)
{
    lrc_subscription *inv = (lrc_subscription *)l;
    inv->errored = false;
    if (inv->state == LRC_INV_ACTIVE) {
        lrc_inv_queue_recovery(inv, LRC_RECOVER_RESUMED);
        inv->doubted = true;
        lrc_inv_arm_probe(inv);
    }
}

int lrc_inv_activate(lrc_subscription *inv, const char *command_id)
{
    char *id = strdup(command_id);
    if (!id)
        return LRC_ENOMEM;
    lrc_proxy *p = inv->p;
    pthread_mutex_lock(&p->mu);
    inv->command_id = id;
    bool lost = inv->early_lost;
    if (inv->state == LRC_INV_PENDING) {
        inv->state = LRC_INV_ACTIVE;
        inv->confirm_pending = inv->young_stream; /* checked by the first event */
        /* From now on only the events naming the ID reach it (a stream
         * that cannot index it keeps it on its every-event list, where
         * route() filters the same way, only slower). */
        inv->listener.route_id = inv->command_id;
        for (size_t i = 0; i < inv->nstreams; i++) {
            (void)lrc_stream_route(inv->streams[i], &inv->listener);
            inv->doubted = inv->doubted || lrc_stream_in_doubt(inv->streams[i]);
        }
        if (inv->doubted) /* a stream that just had a gap: ask until the end */
            lrc_inv_arm_probe(inv);
        /* Replay from a detached copy: routing the terminal event ends the
         * invocation, which drops whatever is still buffered. */
        lrc_early *early = inv->early;
        size_t n = inv->nearly;
        inv->early = NULL;
        inv->nearly = inv->cap_early = 0;
        for (size_t i = 0; i < n; i++) {
            lrc_early *e = &early[i];
            if (inv->state == LRC_INV_ACTIVE) {
                lrc_tg_event ev = {.attr_name = NULL,
                                   .value = e->error ? NULL : &e->value,
                                   .error = e->error};
                route(inv, e->kind, &ev);
            }
            lrc_tg_value_clear(&e->value);
            lrc_error_free(e->error);
        }
        free(early);
    }
    pthread_mutex_unlock(&p->mu);
    lrc_proxy_reap(p);
    if (lost)
        lrc_inv_log(inv, LRC_LOG_WARNING,
                    "'%s': events that arrived before the command returned its ID were "
                    "dropped (more than %d KiB, or later than the proxy timeout + 1 s)",
                    id, LRC_EARLY_MAX_BYTES / 1024);
    return LRC_OK;
}

/* Queues *out, read from the device after lost events (recover.c), unless
 * the invocation ended or, for a status that is not final, an event told
 * a status already. *out is consumed. Takes p->mu. */
static bool deliver_read(lrc_subscription *inv, lrc_decode_out *out, bool final)
{
    pthread_mutex_lock(&inv->p->mu);
    bool go = inv->state == LRC_INV_ACTIVE && (final || !inv->seen_status);
    if (go) {
        if (out->n > 0 && (out->upd[0].has & LRC_HAS_STATUS)) {
            inv->has_last_status = true;
            inv->last_status = out->upd[0].status;
        }
        if (final) {
            end_routing(inv);
            out->terminal = true;
        } else {
            inv->seen_status = true;
            /* v1: the status list repeats it; that repeat is no news */
            char *name = strdup(lrc_status_name(out->upd[0].status));
            if (name) {
                free(inv->dec.v1_last_status);
                inv->dec.v1_last_status = name;
            }
        }
        queue_delivery(inv, out);
    }
    pthread_mutex_unlock(&inv->p->mu);
    lrc_proxy_reap(inv->p);
    lrc_decode_out_clear(out);
    return go;
}

bool lrc_inv_deliver_status(lrc_subscription *inv, lrc_status st)
{
    lrc_decode_out out;
    memset(&out, 0, sizeof out);
    out.n = 1;
    out.upd[0].has = LRC_HAS_STATUS;
    out.upd[0].status = st;
    return deliver_read(inv, &out, false);
}

bool lrc_inv_deliver_final(lrc_subscription *inv, lrc_decode_out *out)
{
    return deliver_read(inv, out, true);
}

bool lrc_inv_end_locked(lrc_subscription *inv, lrc_end end, int code, const char *why)
{
    if (inv->state != LRC_INV_ACTIVE)
        return false; /* a real final (or another end) came first */
    lrc_decode_out out;
    memset(&out, 0, sizeof out);
    out.n = 1;
    lrc_decoded *d = &out.upd[0];
    d->has = LRC_HAS_END;
    d->end = end;
    if (inv->has_last_status) {
        d->has |= LRC_HAS_LAST_STATUS;
        d->last_status = inv->last_status;
    }
    /* The reason as an error stack, as Tango's own are shown; without
     * memory the end still comes, unexplained. */
    lrc_error *e = lrc_error_new(code, "%s", why);
    if (e && lrc_error_push(e, end == LRC_END_LOST ? "LRC_CommandLost" : "LRC_CommandTimedOut",
                            why, "lrc::invocation", LRC_SEVERITY_ERR) == LRC_OK) {
        d->has |= LRC_HAS_ERROR;
        d->error = e;
    } else {
        lrc_error_free(e);
    }
    end_routing(inv); /* nothing after this final */
    out.terminal = true;
    queue_delivery(inv, &out);
    return true;
}

bool lrc_inv_end(lrc_subscription *inv, lrc_end end, int code, const char *why)
{
    pthread_mutex_lock(&inv->p->mu);
    bool done = lrc_inv_end_locked(inv, end, code, why);
    pthread_mutex_unlock(&inv->p->mu);
    lrc_proxy_reap(inv->p);
    return done;
}

void lrc_inv_abandon(lrc_subscription *inv)
{
    pthread_mutex_lock(&inv->p->mu);
    end_routing(inv);
    pthread_mutex_unlock(&inv->p->mu);
    lrc_inv_detach(inv);
}

/* ---- the handle ----------------------------------------------------------------- */

const char *lrc_subscription_command_id(const lrc_subscription *s)
{
    return s ? s->command_id : NULL;
}

int lrc_subscription_protocol_version(const lrc_subscription *s) { return s ? s->version : 0; }

void lrc_subscription_free(lrc_subscription *s)
{
    if (!s)
        return;
    lrc_waiters_freed(&s->waiters);
    pthread_mutex_lock(&s->p->mu);
    end_routing(s);
    pthread_mutex_unlock(&s->p->mu);

    /* Wait for a callback running on another thread; from inside the
     * callback itself, let it finish normally. */
    lrc_gate_close(&s->gate);

    lrc_inv_detach(s);
    /* When a worker is unsubscribing for the final status, wait for it, so
     * that once every handle is freed no thread of the library is inside
     * Tango for them (an exit right after would otherwise tear down
     * Tango's event consumer under that unsubscribe). */
    wait_detached(s);
    lrc_inv_unref(s); /* the caller's */
}
