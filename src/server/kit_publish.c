/* kit_publish.c - the LRC attributes of a device: declaration, reads and
 * pushing exactly what changed, in the order of lrc-protocol.md 1.5. */
#include "core/log_internal.h"
#include "server/clock.h"
#include "core/error_build.h"
#include "server/kit.h"

#include <stdlib.h>
#include <string.h>

/* What an attribute carries and how big it may get (section 5.6, 7). */
static void attr_shape(const lrc_device *dev, lrc_attr a, lrc_tg_type *type, long *max_x)
{
    /* + 1: the Abort slot. An Abort during an Abort joins it
     * (kit_commands.c), so no more than this are ever IN_PROGRESS. */
    size_t sq = dev->status_queue_size, ex = dev->max_executing + 1;
    *type = LRC_TG_STRING_ARRAY;
    switch (a) {
    case LRC_ATTR_IN_QUEUE:
    case LRC_ATTR_IDS_IN_QUEUE:
    case LRC_ATTR_QUEUE: *max_x = (long)sq; break;
    case LRC_ATTR_STATUS: *max_x = (long)(2 * sq); break;
    case LRC_ATTR_PROGRESS: *max_x = (long)(2 * ex); break;
    case LRC_ATTR_IN_PROGRESS:
    case LRC_ATTR_EXECUTING: *max_x = (long)ex; break;
    case LRC_ATTR_FINISHED: *max_x = 100; break;
    case LRC_ATTR_COMMANDED_STATE:
        *type = LRC_TG_STRING;
        *max_x = 1;
        break;
    default: *max_x = 2; break; /* result, _lrcEvent */
    }
}

static int read_attr(lrc_tg_device *tg, void *user, lrc_tg_value *out, lrc_error **err)
{
    lrc_device *dev = lrc_tg_device_user(tg);
    lrc_attr a = (lrc_attr)(intptr_t)user;
    if (!dev)
        return lrc_fail(err, LRC_ESTATE, "device is not initialised");
    if (a == LRC_ATTR_EVENT) { /* always reads empty: it is an event stream */
        out->type = LRC_TG_STRING_ARRAY;
        return LRC_OK;
    }
    char **v;
    size_t n;
    if (lrc_tracker_render(dev->tracker, a, &v, &n) != 0)
        return lrc_fail(err, LRC_ENOMEM, "out of memory rendering %s", lrc_attr_name(a));
    if (a == LRC_ATTR_COMMANDED_STATE) {
        out->type = LRC_TG_STRING;
        out->s = v[0];
        free(v);
    } else {
        out->type = LRC_TG_STRING_ARRAY;
        out->sv = v;
        out->ns = n;
    }
    return LRC_OK;
}

static int read_versions(lrc_tg_device *tg, void *user, lrc_tg_value *out, lrc_error **err)
{
    lrc_device *dev = lrc_tg_device_user(tg);
    if (!dev)
        return lrc_fail(err, LRC_ESTATE, "device is not initialised");
    out->type = LRC_TG_LONG64_ARRAY;
    out->iv = malloc(2 * sizeof *out->iv);
    if (!out->iv)
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    out->iv[0] = dev->proto_min;
    out->iv[1] = dev->proto_max;
    out->ni = 2;
    return LRC_OK;
}

int kit_add_attributes(lrc_device *dev, lrc_error **err)
{
    for (int a = 0; a < LRC_ATTR_COUNT; a++) {
        bool v2_only = a == LRC_ATTR_EVENT || a == LRC_ATTR_QUEUE || a == LRC_ATTR_EXECUTING ||
                       a == LRC_ATTR_FINISHED;
        if (v2_only && dev->v1_only)
            continue;
        lrc_tg_type type;
        long max_x;
        attr_shape(dev, (lrc_attr)a, &type, &max_x);
        bool archive = a != LRC_ATTR_EVENT; /* _lrcEvent: change events only */
        int rc = lrc_tg_device_add_attribute(dev->tg, lrc_attr_name((lrc_attr)a), type, max_x,
                                             read_attr, (void *)(intptr_t)a, true, archive, err);
        if (rc != LRC_OK)
            return rc;
        dev->has_attr[a] = true;
    }
    if (!dev->v1_only) /* constant: no events (subscribing fails, as on ska) */
        return lrc_tg_device_add_attribute(dev->tg, "lrcProtocolVersions", LRC_TG_LONG64_ARRAY,
                                           2, read_versions, NULL, false, false, err);
    return LRC_OK;
}

static bool same_value(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

void kit_push_now(lrc_device *dev, lrc_attr a, char **v, size_t n)
{
    lrc_tg_value val = {0};
    if (a == LRC_ATTR_COMMANDED_STATE) {
        val.type = LRC_TG_STRING;
        val.s = v[0];
    } else {
        val.type = LRC_TG_STRING_ARRAY;
        val.sv = v;
        val.ns = n;
    }
    lrc_error *e = NULL;
    if (lrc_tg_device_push(dev->tg, lrc_attr_name(a), &val, true, a != LRC_ATTR_EVENT, &e) != 0) {
        kit_log(dev, LRC_LOG_WARNING, "pushing %s failed: %s", lrc_attr_name(a),
                lrc_error_message(e));
        lrc_error_free(e);
    }
}

/* Which attributes anyone ever subscribed to, asked once per update. The
 * others are neither rendered nor compared nor pushed (the shim would send
 * their events to nobody), and their cached value is dropped: it would be
 * stale by the time someone subscribes. Such a subscriber reads the value
 * first, under the device lock this update holds, so it reads the value
 * after this update and needs no event of it; the next update seeds the
 * cache with the value before it (seed_published), which is what the
 * subscriber read, and compares against that as usual. _lrcEvent always
 * goes to kit_push: it reads empty, so a subscription stamped during this
 * update must still get (or have held) its events, and it costs nothing to
 * render. The answer changes only with a new subscription, which moves the
 * shim's last_subscribed_at: one atomic load per update otherwise. */
static void watched_now(lrc_device *dev, bool watched[LRC_ATTR_COUNT])
{
    double stamp = lrc_tg_device_last_subscribed_at(dev->tg);
    if (stamp != dev->watched_stamp) { /* a new subscription: ask per attribute */
        for (int a = 0; a < LRC_ATTR_COUNT; a++) {
            const char *name = lrc_attr_name((lrc_attr)a);
            dev->watched[a] = dev->has_attr[a] &&
                              (a == LRC_ATTR_EVENT ||
                               (stamp >= 0 && lrc_tg_device_subscribed_at(dev->tg, name) >= 0));
        }
        dev->watched_stamp = stamp;
    }
    for (int a = 0; a < LRC_ATTR_COUNT; a++) {
        watched[a] = dev->watched[a];
        if (!watched[a] && dev->has_published[a]) {
            lrc_strv_free(dev->published[a], dev->published_n[a]);
            dev->published[a] = NULL;
            dev->published_n[a] = 0;
            dev->has_published[a] = false;
        }
    }
}

#define PUSH_BEFORE 1 /* the attributes before _lrcEvent in push order */
#define PUSH_AFTER 2  /* and those after it */
#define PUSH_ALL (PUSH_BEFORE | PUSH_AFTER)

/* Keeps a batched update's _lrcEvent for kit_batch_end; false if out of
 * memory (then it is pushed now). */
static bool batch_event(lrc_device *dev, const char *id, const char *event_json)
{
    if (dev->batch_n + 2 > dev->batch_cap) {
        size_t cap = dev->batch_cap ? 2 * dev->batch_cap : 64;
        char **v = realloc(dev->batch_ev, cap * sizeof *v);
        if (!v)
            return false;
        dev->batch_ev = v;
        dev->batch_cap = cap;
    }
    char *i = strdup(id), *j = strdup(event_json);
    if (!i || !j) {
        free(i);
        free(j);
        return false;
    }
    dev->batch_ev[dev->batch_n++] = i;
    dev->batch_ev[dev->batch_n++] = j;
    return true;
}

/* Pushes every watched attribute whose value changed (those of `mask`),
 * and the _lrcEvent payload if given, in push order. */
static void publish_some(lrc_device *dev, const bool watched[LRC_ATTR_COUNT], const char *id,
                         const char *event_json, int mask)
{
    for (int a = 0; a < LRC_ATTR_COUNT; a++) {
        if (!watched[a])
            continue;
        if (dev->batching && a != LRC_ATTR_RESULT && a != LRC_ATTR_EVENT)
            continue; /* kit_batch_end pushes it, compared with its value before */
        if ((a < LRC_ATTR_EVENT && !(mask & PUSH_BEFORE)) ||
            (a > LRC_ATTR_EVENT && !(mask & PUSH_AFTER)))
            continue;
        if (a == LRC_ATTR_EVENT) {
            if (event_json && dev->batching && batch_event(dev, id, event_json))
                continue;
            if (event_json) {
                char *ev[2] = {(char *)id, (char *)event_json};
                kit_push(dev, LRC_ATTR_EVENT, ev, 2);
            }
            continue;
        }
        uint64_t gen = lrc_tracker_generation(dev->tracker, (lrc_attr)a);
        if (dev->has_published[a] && dev->published_gen[a] == gen)
            continue; /* unchanged: not even rendered (lrcFinished, results) */
        char **v;
        size_t n;
        if (lrc_tracker_render(dev->tracker, (lrc_attr)a, &v, &n) != 0) {
            kit_log(dev, LRC_LOG_ERROR, "out of memory rendering %s", lrc_attr_name((lrc_attr)a));
            continue;
        }
        if (dev->has_published[a] && same_value(v, n, dev->published[a], dev->published_n[a])) {
            lrc_strv_free(v, n);
            dev->published_gen[a] = gen;
            continue;
        }
        kit_push(dev, (lrc_attr)a, v, n);
        lrc_strv_free(dev->published[a], dev->published_n[a]);
        dev->published[a] = v;
        dev->published_n[a] = n;
        dev->has_published[a] = true;
        dev->published_gen[a] = gen;
    }
}

static void publish(lrc_device *dev, const bool watched[LRC_ATTR_COUNT], const char *id,
                    const char *event_json)
{
    publish_some(dev, watched, id, event_json, PUSH_ALL);
}

/* A watched attribute's first publish compares against its value before
 * the update, so nothing that did not change is pushed. */
static void seed_published(lrc_device *dev, const bool watched[LRC_ATTR_COUNT])
{
    for (int a = 0; a < LRC_ATTR_COUNT; a++) {
        if (!watched[a] || a == LRC_ATTR_EVENT || dev->has_published[a])
            continue;
        dev->published_gen[a] = lrc_tracker_generation(dev->tracker, (lrc_attr)a);
        dev->has_published[a] = lrc_tracker_render(dev->tracker, (lrc_attr)a,
                                                   &dev->published[a],
                                                   &dev->published_n[a]) == 0;
    }
}

/* Tells the service thread the next removal deadline. It is woken only
 * when the deadline moves earlier (or appears): a later one, or none, it
 * finds by itself when it wakes for the one it waits for. Under load the
 * oldest finished command leaves the v1 lists at every submission, and a
 * wake-up each time cost a context switch per submission. */
static void refresh_deadline(lrc_device *dev)
{
    double next = lrc_tracker_next_deadline(dev->tracker);
    pthread_mutex_lock(&dev->mu);
    if (next != dev->next_deadline) {
        bool earlier = next >= 0 && (dev->next_deadline < 0 || next < dev->next_deadline);
        dev->next_deadline = next;
        if (earlier)
            pthread_cond_signal(&dev->service_cv);
    }
    pthread_mutex_unlock(&dev->mu);
}

const char *kit_create(lrc_device *dev, const char *name, const char *commanded_state)
{
    bool watched[LRC_ATTR_COUNT];
    watched_now(dev, watched);
    seed_published(dev, watched);
    char *event = NULL;
    const char *id = lrc_tracker_create(dev->tracker, name, commanded_state, lrc_wall_now(), &event);
    if (id) {
        kit_hold_command(dev, id);
        publish(dev, watched, id, event);
    }
    free(event);
    return id;
}

void kit_apply(lrc_device *dev, const char *id, const lrc_fields *f)
{
    bool watched[LRC_ATTR_COUNT];
    watched_now(dev, watched);
    seed_published(dev, watched);
    char *event = NULL;
    int rc = lrc_tracker_update(dev->tracker, id, f, lrc_wall_now(), lrc_mono_now(), &event);
    if (rc == -2)
        kit_log(dev, LRC_LOG_ERROR, "update of %s failed (out of memory or invalid result)", id);
    if (event)
        publish(dev, watched, id, event);
    free(event);
    if (!dev->batching)
        refresh_deadline(dev);
}

void kit_batch_begin(lrc_device *dev)
{
    dev->batching = true;
}

void kit_batch_end(lrc_device *dev)
{
    dev->batching = false;
    bool watched[LRC_ATTR_COUNT];
    watched_now(dev, watched);
    seed_published(dev, watched);
    publish_some(dev, watched, NULL, NULL, PUSH_BEFORE);
    for (size_t k = 0; k + 1 < dev->batch_n; k += 2) {
        if (watched[LRC_ATTR_EVENT]) {
            char *ev[2] = {dev->batch_ev[k], dev->batch_ev[k + 1]};
            kit_push(dev, LRC_ATTR_EVENT, ev, 2);
        }
        free(dev->batch_ev[k]);
        free(dev->batch_ev[k + 1]);
    }
    dev->batch_n = 0;
    publish_some(dev, watched, NULL, NULL, PUSH_AFTER);
    refresh_deadline(dev);
}

void kit_expire(lrc_device *dev)
{
    bool watched[LRC_ATTR_COUNT];
    watched_now(dev, watched);
    seed_published(dev, watched);
    if (lrc_tracker_expire(dev->tracker, lrc_mono_now()))
        publish(dev, watched, NULL, NULL);
    refresh_deadline(dev);
}

void kit_publish_free(lrc_device *dev)
{
    free(dev->batch_ev); /* empty: every batch ends */
    dev->batch_ev = NULL;
    dev->batch_cap = 0;
    for (int a = 0; a < LRC_ATTR_COUNT; a++) {
        lrc_strv_free(dev->published[a], dev->published_n[a]);
        dev->published[a] = NULL;
        dev->has_published[a] = false;
    }
}
