/* stream.c - one Tango subscription per (proxy, attribute), shared by every
 * invocation, watch and registration on the proxy. The Tango thread only
 * routes: each listener decodes what concerns it and queues it for a
 * worker. An active invocation is found by its command ID through a hash
 * index (lrc_stream_route), so that an event costs the IDs it names rather
 * than every invocation in flight on the device.
 *
 * A stream nobody holds any more lingers for p->linger_ms (refs 0, still
 * listed and subscribed): subscribing costs a round trip to the device and,
 * for a fresh subscriber, the kit's hold of its first events, which
 * sequential invocations would otherwise pay each time. One timer job per
 * proxy (on the reaper thread, never a Tango thread) sweeps the expired
 * ones. A lingering stream that reports an error is swept at once: the
 * device is down or restarting, and the next invocation subscribes afresh
 * as it would without lingering. */
#include "core/client_internal.h"
#include "core/error_build.h"
#include "core/log_internal.h"
#include "core/scheduler_internal.h"
#include "core/str_index.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum stream_phase { PHASE_SUBSCRIBING, PHASE_LIVE } stream_phase;

struct lrc_stream {
    lrc_stream *next; /* p->streams */
    lrc_proxy *p;
    lrc_stream_kind kind;
    char *attr;
    int sub_id;
    unsigned refs;
    stream_phase phase;
    int64_t live_since_ms; /* when the subscription was made, or last came
                              back after an error event */
    int64_t linger_until;  /* refs 0: when the sweep unsubscribes it */
    bool errored;          /* an error event came after the last value */
    int64_t doubt_until_ms; /* an error event (an event gap, a reconnection)
                               came less than LRC_STREAM_DOUBT_MS before
                               this: a gap may recur unnoticed */
    lrc_listener **listeners; /* the every-event list, in listen order */
    size_t nlisteners, cap;
    lrc_str_index routes;  /* command ID -> its route (a pointer) */
    size_t nrouted;        /* listeners in routes */
    uint64_t nvalues;      /* value events routed so far (route.seen) */
};

/* The listeners routed by one command ID on one stream: usually one. */
typedef struct route {
    char *id; /* the key in lrc_stream.routes */
    lrc_listener **v;
    size_t n, cap;
    uint64_t seen; /* the value event that last visited it: a v1 list may
                      name an ID twice, and only its first place counts */
} route;

_Static_assert(sizeof(size_t) >= sizeof(uintptr_t), "str_index values hold pointers");

static void arm_sweep(lrc_proxy *p, int64_t due_ms);

static const char *const v2_attrs[] = {"_lrcEvent"};
static const char *const v1_attrs[] = {"longRunningCommandStatus", "longRunningCommandProgress",
                                       "longRunningCommandResult"};

const char *const *lrc_protocol_attrs(int version, size_t *n)
{
    *n = version == 2 ? 1 : 3;
    return version == 2 ? v2_attrs : v1_attrs;
}

bool lrc_stream_in_doubt(const lrc_stream *s)
{
    return s->doubt_until_ms != 0 && lrc_now_ms() < s->doubt_until_ms;
}

const char *lrc_stream_name(const lrc_stream *s) { return s->attr; }

int64_t lrc_stream_live_since_ms(const lrc_stream *s) { return s->live_since_ms; }

static route *find_route(const lrc_stream *s, const char *id)
{
    size_t val;
    return lrc_str_index_get(&s->routes, id, &val) ? (route *)(uintptr_t)val : NULL;
}

static int push_listener(lrc_listener ***v, size_t *n, size_t *cap, lrc_listener *l)
{
    if (*n == *cap) {
        size_t grown_cap = *cap ? 2 * *cap : 4;
        lrc_listener **grown = realloc(*v, grown_cap * sizeof *grown);
        if (!grown)
            return LRC_ENOMEM;
        *v = grown;
        *cap = grown_cap;
    }
    (*v)[(*n)++] = l;
    return LRC_OK;
}

/* Removes l from v[0..*n), keeping the order; false if absent. */
static bool remove_listener(lrc_listener **v, size_t *n, lrc_listener *l)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i] == l) {
            memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof *v);
            (*n)--;
            return true;
        }
    return false;
}

static void route_free(route *r)
{
    free(r->v);
    free(r->id);
    free(r);
}

int lrc_stream_listen(lrc_stream *s, lrc_listener *l)
{
    return push_listener(&s->listeners, &s->nlisteners, &s->cap, l);
}

void lrc_stream_unlisten(lrc_stream *s, lrc_listener *l)
{
    /* keep the order: every-event listeners are served in arrival order */
    if (remove_listener(s->listeners, &s->nlisteners, l) || !l->route_id)
        return;
    route *r = find_route(s, l->route_id);
    if (!r || !remove_listener(r->v, &r->n, l))
        return;
    s->nrouted--;
    if (r->n == 0) {
        lrc_str_index_remove(&s->routes, r->id);
        route_free(r);
    }
}

int lrc_stream_route(lrc_stream *s, lrc_listener *l)
{
    if (!l->route_id || !*l->route_id)
        return LRC_EINVAL;
    route *r = find_route(s, l->route_id);
    if (!r) {
        if (!(r = calloc(1, sizeof *r)) || !(r->id = strdup(l->route_id)) ||
            !lrc_str_index_reserve(&s->routes, s->routes.n + 1)) {
            if (r)
                free(r->id);
            free(r);
            return LRC_ENOMEM;
        }
        lrc_str_index_add(&s->routes, r->id, (size_t)(uintptr_t)r);
    }
    if (push_listener(&r->v, &r->n, &r->cap, l) != LRC_OK) {
        if (r->n == 0) {
            lrc_str_index_remove(&s->routes, r->id);
            route_free(r);
        }
        return LRC_ENOMEM;
    }
    s->nrouted++;
    remove_listener(s->listeners, &s->nlisteners, l);
    return LRC_OK;
}

/* One listener an event is for, and what of the value it is handed: the
 * whole value, or the [id, value] pair at `at` of a v1 list. */
typedef struct target {
    lrc_listener *l;
    size_t at;
    bool pair;
} target;

/* The listeners of one event, snapshotted before any is served: a
 * listener may unlisten itself while it is served (an invocation that sees
 * its terminal status). */
typedef struct targets {
    target small[16];
    target *v;
    size_t n, cap;
    bool oom;
} targets;

static void targets_add(targets *t, lrc_listener *l, size_t at, bool pair)
{
    if (t->oom)
        return;
    if (t->n == t->cap) {
        size_t cap = 2 * t->cap;
        target *grown = t->v == t->small ? malloc(cap * sizeof *grown)
                                         : realloc(t->v, cap * sizeof *grown);
        if (!grown) {
            t->oom = true;
            return;
        }
        if (t->v == t->small)
            memcpy(grown, t->small, sizeof t->small);
        t->v = grown;
        t->cap = cap;
    }
    t->v[t->n++] = (target){l, at, pair};
}

/* Every routed listener, whole events: the rare path of error events and
 * of the value that follows one. */
static void add_all_routed(const lrc_stream *s, targets *t)
{
    for (size_t i = 0; s->nrouted && i < s->routes.cap; i++) {
        if (!s->routes.keys[i])
            continue;
        const route *r = (const route *)(uintptr_t)s->routes.vals[i];
        for (size_t k = 0; k < r->n; k++)
            targets_add(t, r->v[k], 0, false);
    }
}

/* The routed listeners a value names: element 0 of v2 and the v1 result
 * (where the decoder reads the ID); the first place of each ID anywhere in
 * a v1 status or progress list (Python's list.index, as the decoder). */
static void add_named(lrc_stream *s, const lrc_tg_value *v, targets *t)
{
    if (!s->nrouted || !v || v->type != LRC_TG_STRING_ARRAY || !v->sv || v->ns == 0)
        return;
    bool list = s->kind == LRC_STREAM_V1_STATUS || s->kind == LRC_STREAM_V1_PROGRESS;
    size_t n = list ? v->ns : 1;
    uint64_t event = ++s->nvalues;
    for (size_t i = 0; i < n; i++) {
        route *r;
        if (!v->sv[i] || !(r = find_route(s, v->sv[i])) || r->seen == event)
            continue;
        r->seen = event;
        for (size_t k = 0; k < r->n; k++)
            targets_add(t, r->v[k], i, list);
    }
}

/* The Tango callback: on the subscribing thread (the initial value), the
 * event consumer thread or the keep-alive thread. Routes under p->mu, so
 * events of all streams of a proxy reach each queue in one order. */
static void on_tango_event(const lrc_tg_event *ev, void *user)
{
    lrc_stream *s = user;
    lrc_proxy *p = s->p;
    lrc_tango_thread_enter(); /* releases of Tango objects are deferred */
    lrc_sched_defer_wakes();  /* workers are woken once p->mu is released */
    pthread_mutex_lock(&p->mu);
    if (ev->error) {
        p->mx.event_errors++;
        s->errored = true;
        s->doubt_until_ms = lrc_now_ms() + LRC_STREAM_DOUBT_MS;
        if (s->refs == 0 && s->phase == PHASE_LIVE) {
            s->linger_until = 1; /* long expired: the sweep drops it now */
            arm_sweep(p, 0);
        }
    } else {
        p->mx.event_values++;
    }
    /* Back after an error: cppTango re-subscribed, and the device may have
     * published meanwhile; as distrusted as a new subscription, and the
     * listeners are told (after this value). */
    bool resumed = !ev->error && s->errored;
    if (resumed) {
        s->errored = false;
        s->live_since_ms = lrc_now_ms();
    }
    targets t = {.v = NULL, .n = 0, .cap = 16, .oom = false};
    t.v = t.small;
    for (size_t i = 0; i < s->nlisteners; i++)
        targets_add(&t, s->listeners[i], 0, false);
    if (ev->error || resumed)
        add_all_routed(s, &t);
    else
        add_named(s, ev->value, &t);
    if (t.oom) {
        lrc_log(LRC_LOG_ERROR, "%s/%s: out of memory: event dropped", p->name, s->attr);
        t.n = 0;
        resumed = false;
    }
    p->visits += t.n;
    for (size_t i = 0; i < t.n; i++) {
        const target *g = &t.v[i];
        if (!g->pair) {
            g->l->on_event(g->l, s->kind, ev);
            continue;
        }
        lrc_tg_value pair = *ev->value;
        pair.sv += g->at;
        pair.ns = pair.ns - g->at < 2 ? pair.ns - g->at : 2;
        lrc_tg_event pev = *ev;
        pev.value = &pair;
        g->l->on_event(g->l, s->kind, &pev);
    }
    for (size_t i = 0; resumed && i < t.n; i++)
        if (t.v[i].l->on_resume)
            t.v[i].l->on_resume(t.v[i].l);
    pthread_mutex_unlock(&p->mu);
    lrc_sched_flush_wakes();
    if (t.v != t.small)
        free(t.v);
    lrc_proxy_reap(p);
    lrc_tango_thread_leave();
}

static void sweep(void *arg);

/* Under p->mu: makes sure a sweep runs by due_ms. A sweep already armed
 * runs by then unless due_ms is 0 (an errored stream): that one is queued
 * besides, so the extra job holds its own reference. */
static void arm_sweep(lrc_proxy *p, int64_t due_ms)
{
    if (p->linger_armed && due_ms != 0)
        return;
    lrc_proxy_ref(p); /* the job's */
    if (lrc_reaper_defer_at(due_ms, sweep, p))
        p->linger_armed = true;
    else
        atomic_fetch_sub(&p->refs, 1); /* not the last: the caller holds one */
}

static lrc_stream *find_stream(lrc_proxy *p, const char *attr)
{
    for (lrc_stream *s = p->streams; s; s = s->next)
        if (strcasecmp(s->attr, attr) == 0)
            return s;
    return NULL;
}

static void unlink_stream(lrc_proxy *p, lrc_stream *s)
{
    for (lrc_stream **pp = &p->streams; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            return;
        }
}

static void free_stream(lrc_stream *s)
{
    for (size_t i = 0; i < s->routes.cap; i++)
        if (s->routes.keys[i])
            route_free((route *)(uintptr_t)s->routes.vals[i]);
    lrc_str_index_free(&s->routes);
    free(s->listeners);
    free(s->attr);
    free(s);
}

/* Under p->mu: a new stream entry, listed but not subscribed yet. */
static lrc_stream *new_stream(lrc_proxy *p, const char *attr, lrc_listener *l)
{
    lrc_stream *s = calloc(1, sizeof *s);
    if (!s || !(s->attr = strdup(attr))) {
        free(s);
        return NULL;
    }
    s->p = p;
    s->kind = lrc_stream_kind_of(attr);
    s->sub_id = -1;
    s->refs = 1;
    s->phase = PHASE_SUBSCRIBING;
    if (l && lrc_stream_listen(s, l) != LRC_OK) {
        free_stream(s);
        return NULL;
    }
    s->next = p->streams;
    p->streams = s;
    return s;
}

int lrc_stream_acquire(lrc_proxy *p, const char *attr, lrc_listener *l, lrc_stream **out,
                       lrc_error **err)
{
    *out = NULL;
    pthread_mutex_lock(&p->mu);
    lrc_stream *s;
    /* Another thread subscribing the same attribute: wait for its outcome
     * (on failure the entry is gone and this thread tries itself). */
    while ((s = find_stream(p, attr)) && s->phase == PHASE_SUBSCRIBING)
        pthread_cond_wait(&p->cv, &p->mu);
    if (s) {
        int rc = l ? lrc_stream_listen(s, l) : LRC_OK;
        if (rc == LRC_OK && s->refs++ == 0)
            s->linger_until = 0; /* lingering no more */
        pthread_mutex_unlock(&p->mu);
        if (rc != LRC_OK)
            return lrc_fail(err, rc, "out of memory");
        *out = s;
        return LRC_OK;
    }
    s = new_stream(p, attr, l);
    pthread_mutex_unlock(&p->mu);
    if (!s)
        return lrc_fail(err, LRC_ENOMEM, "out of memory");

    /* Without the lock: the initial value is delivered inside this call. */
    int id = -1;
    uint64_t t0 = lrc_sched_now_ns();
    int rc = p->t->ops->subscribe(p->conn, attr, on_tango_event, s, &id, err);
    uint64_t took = lrc_sched_now_ns() - t0;

    pthread_mutex_lock(&p->mu);
    if (rc == LRC_OK) {
        lrc_hist_record(&p->subscribe_time, took);
        s->sub_id = id;
        s->phase = PHASE_LIVE;
        s->live_since_ms = lrc_now_ms();
        p->st.subscribes++;
        p->st.streams++;
    } else {
        unlink_stream(p, s);
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (rc != LRC_OK) {
        free_stream(s); /* no callback after a failed subscribe returns */
        return rc;
    }
    *out = s;
    return LRC_OK;
}

/* Unsubscribes a stream already unlinked from p->streams. Without p->mu. */
static void unsubscribe(lrc_proxy *p, lrc_stream *s, lrc_log_fn log, void *log_user)
{
    lrc_error *e = NULL;
    int rc = p->t->ops->unsubscribe(p->conn, s->sub_id, &e);
    pthread_mutex_lock(&p->mu);
    p->st.unsubscribes++;
    pthread_mutex_unlock(&p->mu);
    if (rc != LRC_OK)
        lrc_log_to(log, log_user, LRC_LOG_WARNING, "proxy.unsubscribe_event(%d) failed with: %s",
                   s->sub_id, lrc_error_message(e));
    lrc_error_free(e);
    free_stream(s); /* no callback after unsubscribe returns, failed or not */
}

void lrc_stream_release(lrc_proxy *p, lrc_stream *s, lrc_listener *l, lrc_log_fn log,
                        void *log_user)
{
    pthread_mutex_lock(&p->mu);
    if (l)
        lrc_stream_unlisten(s, l);
    bool last = --s->refs == 0;
    if (last && p->linger_ms > 0 && !p->closed && !s->errored) {
        s->linger_until = lrc_now_ms() + p->linger_ms;
        arm_sweep(p, s->linger_until);
        last = false;
    } else if (last) {
        unlink_stream(p, s);
        p->st.streams--;
    }
    pthread_mutex_unlock(&p->mu);
    if (last)
        unsubscribe(p, s, log, log_user);
}

/* Under p->mu: unlinks the lingering streams due by `now` (all of them
 * when now is INT64_MAX) into a list through their next field. */
static lrc_stream *take_lingering(lrc_proxy *p, int64_t now)
{
    lrc_stream *out = NULL;
    for (lrc_stream **pp = &p->streams; *pp;) {
        lrc_stream *s = *pp;
        if (s->refs == 0 && s->phase == PHASE_LIVE && s->linger_until <= now) {
            *pp = s->next;
            s->next = out;
            out = s;
            p->st.streams--;
        } else {
            pp = &s->next;
        }
    }
    return out;
}

static void unsubscribe_list(lrc_proxy *p, lrc_stream *list)
{
    while (list) {
        lrc_stream *s = list;
        list = s->next;
        unsubscribe(p, s, NULL, NULL);
    }
}

/* The timer job (reaper thread): unsubscribes the expired lingering
 * streams and re-arms for the next one. */
static void sweep(void *arg)
{
    lrc_proxy *p = arg;
    pthread_mutex_lock(&p->mu);
    p->linger_armed = false;
    lrc_stream *list = take_lingering(p, p->closed ? INT64_MAX : lrc_now_ms());
    int64_t next = INT64_MAX;
    for (lrc_stream *s = p->streams; s; s = s->next)
        if (s->refs == 0 && s->phase == PHASE_LIVE && s->linger_until < next)
            next = s->linger_until;
    if (next != INT64_MAX)
        arm_sweep(p, next);
    pthread_mutex_unlock(&p->mu);
    unsubscribe_list(p, list);
    lrc_proxy_unref(p);
}

void lrc_stream_drop_lingering(lrc_proxy *p)
{
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    lrc_stream *list = take_lingering(p, INT64_MAX);
    pthread_mutex_unlock(&p->mu);
    unsubscribe_list(p, list);
    /* A sweep still queued would hold the proxy (and its connection) until
     * its time: take it back. One already running holds its own. */
    while (lrc_reaper_cancel(sweep, p)) {
        pthread_mutex_lock(&p->mu);
        p->linger_armed = false;
        pthread_mutex_unlock(&p->mu);
        atomic_fetch_sub(&p->refs, 1); /* not the last: the caller holds one */
    }
}

int lrc_stream_known_version(lrc_proxy *p)
{
    pthread_mutex_lock(&p->mu);
    int version = p->version;
    size_t n = 0;
    const char *const *attrs = version ? lrc_protocol_attrs(version, &n) : NULL;
    for (size_t i = 0; i < n && version; i++) {
        lrc_stream *s = find_stream(p, attrs[i]);
        if (!s || s->phase != PHASE_LIVE || s->errored)
            version = 0;
    }
    pthread_mutex_unlock(&p->mu);
    return version;
}

void lrc_stream_release_all(lrc_proxy *p, lrc_stream **held, size_t n, lrc_listener *l,
                            lrc_log_fn log, void *log_user)
{
    for (size_t i = 0; i < n; i++)
        lrc_stream_release(p, held[i], l, log, log_user);
}

int lrc_stream_acquire_protocol(lrc_proxy *p, int version, lrc_listener *l, lrc_stream **held,
                                size_t *n, const char *origin, lrc_error **err)
{
    size_t want;
    const char *const *attrs = lrc_protocol_attrs(version, &want);
    *n = 0;
    for (size_t i = 0; i < want; i++) {
        lrc_error *e = NULL;
        if (lrc_stream_acquire(p, attrs[i], l, &held[i], &e) != LRC_OK) {
            lrc_stream_release_all(p, held, i, l, NULL, NULL);
            char desc[96];
            snprintf(desc, sizeof desc, "Subscribing to '%s' change event failed.", attrs[i]);
            if (lrc_error_count(e) == 0) /* a failure of ours below Tango: keep its text */
                lrc_error_push(e, "LRC_Error", lrc_error_message(e), origin, LRC_SEVERITY_ERR);
            lrc_error_push(e, "SKA_InvokeLrcFailed", desc, origin, LRC_SEVERITY_ERR);
            lrc_error_set(e, LRC_ETANGO, "%s", desc);
            return lrc_error_give(err, e);
        }
    }
    *n = want;
    return LRC_OK;
}
