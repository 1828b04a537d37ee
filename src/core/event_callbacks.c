/* event_callbacks.c - plain change-event callbacks run by a scheduler
 * (CallbackScheduler.register_event_callback): they share the proxy's
 * streams with its invocations and go through the same kind of queue. */
#include "core/client_internal.h"
#include "core/error_build.h"
#include "core/log_internal.h"
#include "core/scheduler_internal.h"
#include "core/value.h"

#include <stdlib.h>
#include <string.h>

typedef struct registration {
    lrc_listener listener; /* first: the stream hands it back */
    lrc_proxy *p;          /* one reference */
    lrc_stream *stream;
    lrc_queue *queue;      /* one reference */
    lrc_event_fn fn;
    void *user;
    char *attr;
    atomic_uint refs;      /* the registry's, queued items */
    bool ended;            /* under p->mu: no more routing */
    lrc_gate gate;         /* the callback handshake, as for invocations */
} registration;

typedef struct event_item {
    registration *reg; /* one reference */
    char *value_json;
    lrc_error *error;
} event_item;

static void reg_unref(registration *r)
{
    if (atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    lrc_gate_destroy(&r->gate);
    lrc_queue_unref(r->queue);
    lrc_proxy_unref(r->p);
    free(r->attr);
    free(r);
}

static void item_free(event_item *it)
{
    free(it->value_json);
    lrc_error_free(it->error);
    reg_unref(it->reg);
    free(it);
}

/* On a scheduler worker. */
static void item_run(void *item, void *ctx)
{
    (void)ctx;
    event_item *it = item;
    registration *r = it->reg;
    lrc_gate_entry in;
    if (lrc_gate_enter(&r->gate, &in)) {
        lrc_event ev = {sizeof ev, r->p->name, r->attr, it->value_json, it->error};
        r->fn(&ev, r->user);
        lrc_gate_leave(&in);
    }
    item_free(it);
}

static void item_discard(void *item, void *ctx)
{
    (void)ctx;
    item_free(item);
}

/* Under p->mu, on a Tango thread: copy and queue. */
static void on_event(lrc_listener *l, lrc_stream_kind kind, const lrc_tg_event *ev)
{
    (void)kind;
    registration *r = (registration *)l;
    if (r->ended)
        return;
    event_item *it = calloc(1, sizeof *it);
    if (!it)
        goto oom;
    if (ev->error ? !(it->error = lrc_error_dup(ev->error))
                  : !(it->value_json = lrc_value_to_json(ev->value))) {
        free(it);
        goto oom;
    }
    it->reg = r;
    atomic_fetch_add(&r->refs, 1);
    if (lrc_queue_push(r->queue, item_run, item_discard, it, NULL, false) != LRC_OK)
        item_free(it); /* not the last reference: the registry holds one */
    return;
oom:
    lrc_log(LRC_LOG_ERROR, "%s/%s: out of memory: an event was dropped", r->p->name, r->attr);
}

/* Stops routing, unsubscribes if last, waits for a running callback (not
 * when called from it), drops the registry's reference. */
static void reg_end(void *obj)
{
    registration *r = obj;
    pthread_mutex_lock(&r->p->mu);
    r->ended = true;
    pthread_mutex_unlock(&r->p->mu);
    lrc_stream_release(r->p, r->stream, &r->listener, NULL, NULL);
    lrc_gate_close(&r->gate);
    reg_unref(r);
}

int lrc_register_event_callback(lrc_scheduler *s, lrc_proxy *p, const char *attribute,
                                lrc_queue *q, lrc_event_fn fn, void *user, uint64_t *id,
                                lrc_error **err)
{
    if (!p || !attribute || !*attribute || !fn || !id)
        return lrc_fail(err, LRC_EINVAL, "lrc_register_event_callback: %s",
                        !p ? "NULL proxy" : !fn ? "NULL callback" : !id ? "NULL id"
                                                                        : "no attribute name");
    if (!s)
        s = lrc_scheduler_default();
    registration *r = calloc(1, sizeof *r);
    if (!r || !(r->attr = strdup(attribute))) {
        free(r);
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    }
    int rc = q ? LRC_OK : lrc_proxy_queue(p, s, &r->queue, err);
    if (rc != LRC_OK) {
        free(r->attr);
        free(r);
        return rc;
    }
    if (q)
        r->queue = lrc_queue_ref(q);
    r->listener.on_event = on_event;
    r->p = lrc_proxy_ref(p);
    r->fn = fn;
    r->user = user;
    atomic_init(&r->refs, 1);
    lrc_gate_init(&r->gate);
    if ((rc = lrc_stream_acquire(p, attribute, &r->listener, &r->stream, err)) != LRC_OK) {
        reg_unref(r);
        return rc;
    }
    if ((rc = lrc_sched_reg_add(s, r, reg_end, id)) != LRC_OK) {
        reg_end(r);
        return lrc_fail(err, rc, "scheduler: %s", lrc_strerror(rc));
    }
    return LRC_OK;
}

int lrc_unregister_callback(lrc_scheduler *s, uint64_t id)
{
    if (!s)
        s = lrc_scheduler_default();
    void *obj = lrc_sched_reg_take(s, id);
    if (!obj)
        return LRC_ENOTFOUND;
    reg_end(obj);
    return LRC_OK;
}
