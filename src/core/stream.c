/* stream.c - one Tango subscription per (proxy, attribute), shared by every
 * invocation and registration on the proxy. The Tango thread only routes:
 * each listener decodes what concerns it and queues it for a worker.
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
    lrc_listener **listeners;
    size_t nlisteners, cap;
};

static void arm_sweep(lrc_proxy *p, int64_t due_ms);

static const char *const v2_attrs[] = {"_lrcEvent"};
static const char *const v1_attrs[] = {"longRunningCommandStatus", "longRunningCommandProgress",
                                       "longRunningCommandResult"};

const char *const *lrc_protocol_attrs(int version, size_t *n)
{
    *n = version == 2 ? 1 : 3;
    return version == 2 ? v2_attrs : v1_attrs;
}

const char *lrc_stream_name(const lrc_stream *s) { return s->attr; }

int64_t lrc_stream_live_since_ms(const lrc_stream *s) { return s->live_since_ms; }

int lrc_stream_listen(lrc_stream *s, lrc_listener *l)
{
    if (s->nlisteners == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4;
        lrc_listener **grown = realloc(s->listeners, cap * sizeof *grown);
        if (!grown)
            return LRC_ENOMEM;
        s->listeners = grown;
        s->cap = cap;
    }
    s->listeners[s->nlisteners++] = l;
    return LRC_OK;
}

void lrc_stream_unlisten(lrc_stream *s, lrc_listener *l)
{
    for (size_t i = 0; i < s->nlisteners; i++)
        if (s->listeners[i] == l) {
            /* keep the order: listeners are served in arrival order */
            memmove(&s->listeners[i], &s->listeners[i + 1],
                    (s->nlisteners - i - 1) * sizeof *s->listeners);
            s->nlisteners--;
            return;
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
    pthread_mutex_lock(&p->mu);
    p->st.events++;
    if (ev->error) {
        s->errored = true;
        if (s->refs == 0 && s->phase == PHASE_LIVE) {
            s->linger_until = 1; /* long expired: the sweep drops it now */
            arm_sweep(p, 0);
        }
    }
    /* Back after an error: cppTango re-subscribed, and the device may have
     * published meanwhile; as distrusted as a new subscription, and the
     * listeners are told (after this value). */
    bool resumed = !ev->error && s->errored;
    if (resumed) {
        s->errored = false;
        s->live_since_ms = lrc_now_ms();
    }
    /* A listener may unlisten itself while it is served (an invocation that
     * sees its terminal status): serve a snapshot. */
    lrc_listener *small[16];
    lrc_listener **snap = small;
    size_t n = s->nlisteners;
    if (n > 16 && !(snap = malloc(n * sizeof *snap))) {
        lrc_log(LRC_LOG_ERROR, "%s/%s: out of memory: event dropped", p->name, s->attr);
        pthread_mutex_unlock(&p->mu);
        lrc_tango_thread_leave();
        return;
    }
    if (n > 0) /* listeners is NULL while there are none */
        memcpy(snap, s->listeners, n * sizeof *snap);
    for (size_t i = 0; i < n; i++)
        snap[i]->on_event(snap[i], s->kind, ev);
    for (size_t i = 0; resumed && i < n; i++)
        if (snap[i]->on_resume)
            snap[i]->on_resume(snap[i]);
    pthread_mutex_unlock(&p->mu);
    if (snap != small)
        free(snap);
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
    int rc = p->t->ops->subscribe(p->conn, attr, on_tango_event, s, &id, err);

    pthread_mutex_lock(&p->mu);
    if (rc == LRC_OK) {
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
