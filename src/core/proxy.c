/* proxy.c - device handles: opening, lifetime, callback queues per
 * scheduler, the command-signature cache and protocol negotiation. */
#include "core/client_internal.h"
#include "core/error_build.h"
#include "core/log_internal.h"
#include "core/scheduler_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_TIMEOUT_MS 3000

int64_t lrc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lrc_proxy_options_init(lrc_proxy_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->timeout_ms = 0;
    o->linger_ms = LRC_DEFAULT_LINGER_MS;
    o->lost_after_ms = LRC_DEFAULT_LOST_AFTER_MS;
}

int lrc_options_copy(void *dst, size_t dst_size, const void *src, const char *fn,
                     const char *init_fn, lrc_error **err)
{
    if (!src)
        return LRC_OK;
    size_t size;
    memcpy(&size, src, sizeof size);
    if (size == 0)
        return lrc_fail(err, LRC_EINVAL, "%s: options not initialised (call %s)", fn, init_fn);
    memcpy(dst, src, size < dst_size ? size : dst_size);
    memcpy(dst, &dst_size, sizeof dst_size);
    return LRC_OK;
}

int lrc_proxy_open_with(const lrc_transport *t, const char *device, const lrc_proxy_options *opts,
                        lrc_proxy **out, lrc_error **err)
{
    if (out)
        *out = NULL;
    if (!t || !device || !*device || !out)
        return lrc_fail(err, LRC_EINVAL, "lrc_proxy_open: %s",
                        !device || !*device ? "no device name" : "NULL argument");
    lrc_proxy_options o;
    lrc_proxy_options_init(&o);
    if (opts) {
        if (opts->size < sizeof(size_t) + sizeof(int64_t))
            return lrc_fail(err, LRC_EINVAL, "lrc_proxy_open: options not initialised "
                                             "(call lrc_proxy_options_init)");
        o.timeout_ms = opts->timeout_ms;
        /* a caller built before linger_ms existed gets the default */
        if (opts->size >= offsetof(lrc_proxy_options, linger_ms) + sizeof o.linger_ms)
            o.linger_ms = opts->linger_ms;
        if (opts->size >= offsetof(lrc_proxy_options, lost_after_ms) + sizeof o.lost_after_ms)
            o.lost_after_ms = opts->lost_after_ms;
    }
    if (o.lost_after_ms == 0)
        o.lost_after_ms = LRC_DEFAULT_LOST_AFTER_MS;
    if (o.timeout_ms < 0)
        return lrc_fail(err, LRC_EINVAL, "lrc_proxy_open: negative timeout %lld ms",
                        (long long)o.timeout_ms);
    if (o.linger_ms < 0)
        return lrc_fail(err, LRC_EINVAL, "lrc_proxy_open: negative linger %lld ms",
                        (long long)o.linger_ms);

    lrc_proxy *p = calloc(1, sizeof *p);
    if (!p || !(p->name = strdup(device))) {
        free(p);
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    }
    int rc = t->ops->open(t->ctx, device, o.timeout_ms ? o.timeout_ms : DEFAULT_TIMEOUT_MS,
                          &p->conn, err);
    if (rc != LRC_OK) {
        free(p->name);
        free(p);
        return rc;
    }
    p->t = t;
    p->timeout_ms = t->ops->timeout_ms(p->conn);
    p->linger_ms = o.linger_ms;
    p->lost_after_ms = o.lost_after_ms;
    atomic_init(&p->refs, 1);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    *out = p;
    return LRC_OK;
}

int lrc_proxy_open(const char *device, const lrc_proxy_options *opts, lrc_proxy **out,
                   lrc_error **err)
{
    return lrc_proxy_open_with(lrc_transport_tango(), device, opts, out, err);
}

lrc_proxy *lrc_proxy_ref(lrc_proxy *p)
{
    atomic_fetch_add(&p->refs, 1);
    return p;
}

/* Last reference: nothing can use p any more, and no stream is left (every
 * stream holder holds a proxy reference until its stream is released). */
static void proxy_free(lrc_proxy *p)
{
    p->t->ops->close(p->conn);
    while (p->bindings) {
        lrc_binding *b = p->bindings;
        p->bindings = b->next;
        lrc_queue_unref(b->queue);
        free(b);
    }
    while (p->signatures) {
        lrc_signature *sig = p->signatures;
        p->signatures = sig->next;
        free(sig->command);
        free(sig);
    }
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->name);
    free(p);
}

static void proxy_free_deferred(void *p) { proxy_free(p); }

void lrc_proxy_unref(lrc_proxy *p)
{
    if (p && atomic_fetch_sub(&p->refs, 1) == 1) {
        if (lrc_on_tango_thread()) /* never close a connection inside its callback */
            lrc_reaper_defer(proxy_free_deferred, p);
        else
            proxy_free(p);
    }
}

void lrc_proxy_close(lrc_proxy *p)
{
    if (!p)
        return;
    /* Disconnect every interface; the streams go when nobody needs them. */
    for (;;) {
        lrc_scheduler *s = NULL;
        pthread_mutex_lock(&p->mu);
        for (lrc_binding *b = p->bindings; b; b = b->next)
            if (b->connected) {
                s = b->sched;
                break;
            }
        pthread_mutex_unlock(&p->mu);
        if (!s)
            break;
        lrc_disconnect_interface(p, s);
    }
    lrc_stream_drop_lingering(p); /* and none lingers from now on */
    lrc_proxy_unref(p);
}

const char *lrc_proxy_name(const lrc_proxy *p) { return p ? p->name : NULL; }

int64_t lrc_proxy_timeout_ms(const lrc_proxy *p) { return p ? p->timeout_ms : 0; }

void lrc_proxy_get_stats(const lrc_proxy *p, lrc_proxy_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!p)
        return;
    lrc_proxy *mp = (lrc_proxy *)p; /* the lock is not part of the value */
    pthread_mutex_lock(&mp->mu);
    *out = p->st;
    out->events = p->mx.event_values + p->mx.event_errors; /* counted once, there */
    pthread_mutex_unlock(&mp->mu);
}

int lrc_proxy_get_metrics(const lrc_proxy *p, lrc_proxy_metrics *out)
{
    if (!out || out->size < sizeof out->size)
        return LRC_EINVAL;
    lrc_proxy_metrics full;
    memset(&full, 0, sizeof full);
    lrc_hist sub, qt, ct; /* ~1.3 KiB each, on the stack: no allocation */
    memset(&sub, 0, sizeof sub);
    memset(&qt, 0, sizeof qt);
    memset(&ct, 0, sizeof ct);
    if (p) {
        lrc_proxy *mp = (lrc_proxy *)p; /* the lock is not part of the value */
        pthread_mutex_lock(&mp->mu);
        full = p->mx;
        full.subscribes = p->st.subscribes;
        full.unsubscribes = p->st.unsubscribes;
        full.streams = p->st.streams;
        full.started = p->st.invocations;
        sub = p->subscribe_time;
        full.queue = p->old_queues;
        qt = p->old_queue_time;
        ct = p->old_callback_time;
        /* p->mu, then each scheduler's lock: the documented order. A
         * binding holds a queue reference, so the queue is there. */
        for (const lrc_binding *b = p->bindings; b; b = b->next) {
            pthread_mutex_lock(&b->queue->s->lock);
            lrc_sched_queue_add_metrics(b->queue, &full.queue, &qt, &ct);
            pthread_mutex_unlock(&b->queue->s->lock);
        }
        pthread_mutex_unlock(&mp->mu);
    }
    full.size = sizeof full;
    lrc_hist_summary(&sub, &full.subscribe_time);
    lrc_hist_summary(&qt, &full.queue_time);
    lrc_hist_summary(&ct, &full.callback_time);
    return lrc_metrics_copy_out(out, &full, sizeof full);
}

/* ---- callback queues ------------------------------------------------------ */

/* Under p->mu. A binding whose queue died with its scheduler is renewed: a
 * new scheduler may have been created at the same address. */
static lrc_binding *binding_find(lrc_proxy *p, lrc_scheduler *s)
{
    for (lrc_binding *b = p->bindings; b; b = b->next)
        if (b->sched == s)
            return b;
    return NULL;
}

int lrc_proxy_queue(lrc_proxy *p, lrc_scheduler *s, lrc_queue **q, lrc_error **err)
{
    *q = NULL;
    if (!s)
        return lrc_fail(err, LRC_ENOMEM, "cannot create the default scheduler");
    pthread_mutex_lock(&p->mu);
    lrc_binding *b = binding_find(p, s);
    lrc_queue *stale = NULL; /* unref'd without p->mu: it may discard items */
    if (b && lrc_queue_is_dead(b->queue)) {
        lrc_queue *fresh = NULL;
        if (lrc_queue_new(s, 0, &fresh, NULL) == LRC_OK) {
            /* its numbers stay in the proxy's metrics (p->mu, then the
             * scheduler's lock: the documented order) */
            size_t capacity = p->old_queues.capacity;
            pthread_mutex_lock(&b->queue->s->lock);
            lrc_sched_queue_add_metrics(b->queue, &p->old_queues, &p->old_queue_time,
                                        &p->old_callback_time);
            pthread_mutex_unlock(&b->queue->s->lock);
            p->old_queues.capacity = capacity; /* not a live queue's */
            stale = b->queue;
            b->queue = fresh;
        }
    }
    if (!b) {
        b = calloc(1, sizeof *b);
        int rc = b ? lrc_queue_new(s, 0, &b->queue, err) : lrc_fail(err, LRC_ENOMEM, "out of memory");
        if (rc != LRC_OK) {
            free(b);
            pthread_mutex_unlock(&p->mu);
            lrc_queue_unref(stale);
            return rc;
        }
        b->sched = s;
        b->next = p->bindings;
        p->bindings = b;
    }
    *q = lrc_queue_ref(b->queue);
    pthread_mutex_unlock(&p->mu);
    lrc_queue_unref(stale);
    return LRC_OK;
}

/* ---- command signatures ---------------------------------------------------- */

int lrc_proxy_signature(lrc_proxy *p, const char *command, lrc_tg_type *in_type,
                        lrc_tg_type *out_type, lrc_error **err)
{
    pthread_mutex_lock(&p->mu);
    for (lrc_signature *sig = p->signatures; sig; sig = sig->next)
        if (strcasecmp(sig->command, command) == 0) {
            *in_type = sig->in_type;
            *out_type = sig->out_type;
            pthread_mutex_unlock(&p->mu);
            return LRC_OK;
        }
    pthread_mutex_unlock(&p->mu);

    int rc = p->t->ops->command_query(p->conn, command, in_type, out_type, err);
    if (rc != LRC_OK)
        return rc;
    lrc_signature *sig = calloc(1, sizeof *sig);
    if (sig && (sig->command = strdup(command))) {
        sig->in_type = *in_type;
        sig->out_type = *out_type;
        pthread_mutex_lock(&p->mu);
        sig->next = p->signatures;
        p->signatures = sig;
        pthread_mutex_unlock(&p->mu);
    } else {
        free(sig); /* not cached: asked again next time */
    }
    return LRC_OK;
}

/* ---- protocol negotiation --------------------------------------------------- */

int lrc_proxy_has_attributes(lrc_proxy *p, const char *const *names, size_t n, bool *has,
                             lrc_error **err)
{
    char **list = NULL;
    size_t count = 0;
    int rc = p->t->ops->attribute_list(p->conn, &list, &count, err);
    if (rc != LRC_OK)
        return rc;
    for (size_t k = 0; k < n; k++) {
        has[k] = false;
        for (size_t i = 0; i < count && !has[k]; i++)
            has[k] = strcasecmp(list[i], names[k]) == 0;
    }
    lrc_strv_free(list, count);
    return LRC_OK;
}

static bool is_integer_array(lrc_tg_type t)
{
    switch (t) {
    case LRC_TG_SHORT_ARRAY:
    case LRC_TG_LONG_ARRAY:
    case LRC_TG_USHORT_ARRAY:
    case LRC_TG_ULONG_ARRAY:
    case LRC_TG_LONG64_ARRAY:
    case LRC_TG_ULONG64_ARRAY: return true;
    default: return false;
    }
}

/* The device's [min, max] from lrcProtocolVersions. */
static int server_range(lrc_proxy *p, int64_t *smin, int64_t *smax, lrc_error **err)
{
    lrc_tg_value v = {0};
    int rc = p->t->ops->read_attribute(p->conn, "lrcProtocolVersions", &v, err);
    if (rc != LRC_OK)
        return rc;
    if (!is_integer_array(v.type) || v.ni != 2) {
        rc = lrc_fail(err, LRC_EPROTOCOL,
                      "%s: lrcProtocolVersions is not a [min, max] pair of integers "
                      "(%s of %zu elements)",
                      p->name, lrc_tg_type_name(v.type), v.ni + v.nd + v.ns);
    } else {
        *smin = v.iv[0];
        *smax = v.iv[1];
    }
    lrc_tg_value_clear(&v);
    return rc;
}

int lrc_proxy_probe(lrc_proxy *p, lrc_protocol_info *info, lrc_error **err)
{
    lrc_protocol_info_init(info);
    static const char *const names[] = {"lrcProtocolVersions", "longRunningCommandStatus"};
    bool has[2];
    int rc = lrc_proxy_has_attributes(p, names, 2, has, err);
    if (rc != LRC_OK)
        return rc;
    bool versioned = has[0], v1 = has[1];

    int64_t smin = 1, smax = 1; /* a device without the attribute speaks v1 */
    if (versioned && (rc = server_range(p, &smin, &smax, err)) != LRC_OK)
        return rc;
    info->lrc_capable = versioned || v1;
    info->advertised = versioned;
    info->server_min = smin;
    info->server_max = smax;
    /* The contract's test, as ska's invoke_lrc makes it: an inverted range
     * such as [2, 1] passes it and gives min(smax, 2) = v1, which a device
     * advertising it must then serve; refusing it would break a client
     * that ska's Python client serves. */
    if (smin <= LRC_PROTOCOL_MAX && LRC_PROTOCOL_MIN <= smax)
        info->version = (int)(smax < LRC_PROTOCOL_MAX ? smax : LRC_PROTOCOL_MAX);
    return LRC_OK;
}

lrc_error *lrc_protocol_incompatible(const lrc_protocol_info *info)
{
    return lrc_error_new(
        LRC_EPROTOCOL,
        "This version of invoke_lrc() is not compatible with any of the server's supported "
        "LRC protocols! Client version min, max = (%d, %d) - Server version min, max = "
        "(%lld, %lld)",
        LRC_PROTOCOL_MIN, LRC_PROTOCOL_MAX, (long long)info->server_min,
        (long long)info->server_max);
}

int lrc_proxy_negotiate(lrc_proxy *p, lrc_log_fn log, void *log_user, int *version,
                        lrc_error **err)
{
    lrc_protocol_info info;
    int rc = lrc_proxy_probe(p, &info, err);
    if (rc != LRC_OK)
        return rc;
    if (info.version != 0) {
        *version = info.version;
        pthread_mutex_lock(&p->mu);
        p->version = info.version; /* lrc_stream_known_version */
        pthread_mutex_unlock(&p->mu);
        return LRC_OK;
    }
    lrc_error *e = lrc_protocol_incompatible(&info);
    lrc_log_to(log, log_user, LRC_LOG_ERROR, "%s", lrc_error_message(e));
    return lrc_error_give(err, e);
}
