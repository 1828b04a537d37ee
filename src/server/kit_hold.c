/* kit_hold.c - pushes held back for fresh subscribers.
 *
 * A client that subscribes to an LRC attribute and calls a command at once
 * (ska's Python client does it on every call without a pre-connected
 * interface) would lose whatever the device pushes before the client's
 * ZeroMQ filter has reached the device's publisher: possibly every event of
 * a quick command. The shim tells when a subscription request was served,
 * per attribute (lrc_tg_device_subscribed_at); the kit then holds, for
 * `subscriber_hold` seconds after it, what such a client could be waiting
 * for, and the service thread sends it, in order, when that time is over.
 * Everyone else keeps the latency of an immediate push:
 *
 * - `_lrcEvent`: a command whose caller subscribed to `_lrcEvent` less than
 *   the hold ago is held: its events wait until that subscription is `hold`
 *   old. Commands of other clients (say, a pre-connected one), and commands
 *   created before, go out at once, whoever subscribes meanwhile. Each
 *   command's events keep their order.
 * - every other LRC attribute (the v1 attributes, the lists): their values
 *   are shared by all commands, so after a subscription to any of them all
 *   their pushes wait until it is `hold` old, in one queue that keeps their
 *   order (the v1 result before the final status).
 *
 * A push thus waits at most `hold` after the subscription that caused the
 * wait; a device nobody newly subscribed to pushes at once, exactly as
 * without this file. See docs/protocol.md, "Fresh subscribers".
 *
 * Locks: everything here is guarded by the device lock (like every push),
 * except hold_deadline, guarded by mu, which the service thread waits on. */
#include "core/log_internal.h"
#include "server/clock.h"
#include "server/kit.h"

#include <stdlib.h>
#include <string.h>

struct kit_held {
    lrc_attr attr;
    char **v; /* owned copy of the value */
    size_t n;
    double release; /* monotonic seconds */
    struct kit_held *next;
};

/* A command whose _lrcEvent pushes wait until `release`. */
struct kit_held_cmd {
    char *id;
    double release;
    struct kit_held_cmd *next;
};

/* Tells the service thread when the next held push is due: `due` (< 0:
 * none). */
static void set_deadline(lrc_device *dev, double due)
{
    pthread_mutex_lock(&dev->mu);
    if (due != dev->hold_deadline) {
        dev->hold_deadline = due;
        pthread_cond_signal(&dev->service_cv);
    }
    pthread_mutex_unlock(&dev->mu);
}

static char **copy_value(char **v, size_t n)
{
    char **c = calloc(n ? n : 1, sizeof *c);
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!(c[i] = strdup(v[i]))) {
            lrc_strv_free(c, i);
            return NULL;
        }
    }
    return c;
}

static double hold_end(lrc_device *dev, lrc_attr a)
{
    double at = lrc_tg_device_subscribed_at(dev->tg, lrc_attr_name(a));
    return at < 0 ? -1 : at + dev->subscriber_hold;
}

/* When a list push may leave: `hold` after the youngest subscription to any
 * LRC attribute other than _lrcEvent, and never before an earlier one. */
static double list_release(lrc_device *dev, double now)
{
    double release = dev->held_list_release;
    /* One atomic load rules out every young subscription: the common case
     * (nobody subscribed within the hold) asks no attribute one by one. */
    double last = lrc_tg_device_last_subscribed_at(dev->tg);
    if (last < 0 || last + dev->subscriber_hold <= now)
        return release;
    /* The youngest of them moves only with a new subscription, which moves
     * `last`: asked attribute by attribute once per new subscription, not
     * per push while it is young. */
    if (last != dev->list_sub_stamp) {
        double youngest = -1;
        for (int a = 0; a < LRC_ATTR_COUNT; a++) {
            if (a == LRC_ATTR_EVENT || !dev->has_attr[a])
                continue;
            double end = hold_end(dev, (lrc_attr)a);
            if (end > youngest)
                youngest = end;
        }
        dev->list_sub_at = youngest;
        dev->list_sub_stamp = last;
    }
    return dev->list_sub_at > release ? dev->list_sub_at : release;
}

static struct kit_held_cmd *find_cmd(lrc_device *dev, const char *id)
{
    for (struct kit_held_cmd *c = dev->held_cmds; c; c = c->next)
        if (strcmp(c->id, id) == 0)
            return c;
    return NULL;
}

void kit_hold_command(lrc_device *dev, const char *id)
{
    if (dev->subscriber_hold <= 0 || !dev->has_attr[LRC_ATTR_EVENT])
        return;
    /* Nobody subscribed to anything within the hold (one atomic load): the
     * caller did not either, no need to identify it (a string per call). */
    double last = lrc_tg_device_last_subscribed_at(dev->tg);
    if (last < 0 || last + dev->subscriber_hold <= lrc_mono_now())
        return;
    double at = lrc_tg_device_caller_subscribed_at(dev->tg, lrc_attr_name(LRC_ATTR_EVENT));
    double release = at < 0 ? -1 : at + dev->subscriber_hold;
    if (release <= lrc_mono_now())
        return;
    struct kit_held_cmd *c = calloc(1, sizeof *c);
    if (!c || !(c->id = strdup(id))) {
        free(c); /* out of memory: its events go out at once */
        return;
    }
    c->release = release;
    c->next = dev->held_cmds;
    dev->held_cmds = c;
}

static void send_held(lrc_device *dev, struct kit_held *h)
{
    kit_push_now(dev, h->attr, h->v, h->n);
    lrc_strv_free(h->v, h->n);
    free(h);
}

/* Sends what is due at `now` (everything if all). */
static void flush_at(lrc_device *dev, bool all, double now)
{
    struct kit_held **link = &dev->held_head, *last = NULL;
    while (*link) {
        struct kit_held *h = *link;
        if (all || h->release <= now) {
            *link = h->next;
            send_held(dev, h);
        } else {
            last = h;
            link = &h->next;
        }
    }
    dev->held_tail = last;
    for (struct kit_held_cmd **c = &dev->held_cmds; *c;) {
        struct kit_held_cmd *cmd = *c;
        if (all || cmd->release <= now) {
            *c = cmd->next;
            free(cmd->id);
            free(cmd);
        } else {
            c = &cmd->next;
        }
    }
    if (all || dev->held_list_release <= now)
        dev->held_list_release = -1;
    /* The flush walked the queue anyway: find the earliest release here. */
    double due = -1;
    for (struct kit_held *h = dev->held_head; h; h = h->next)
        if (due < 0 || h->release < due)
            due = h->release;
    dev->held_due = due;
    set_deadline(dev, due);
}

void kit_hold_flush(lrc_device *dev, bool all)
{
    flush_at(dev, all, lrc_mono_now());
}

void kit_push(lrc_device *dev, lrc_attr a, char **v, size_t n)
{
    if (dev->subscriber_hold <= 0) {
        kit_push_now(dev, a, v, n);
        return;
    }
    /* One reading of the clock for the whole decision: with two, a hold
     * ending between them let this push leave at once while the pushes
     * held before it, not yet due at the first reading, stayed behind. */
    double now = lrc_mono_now();
    if (dev->held_head)
        flush_at(dev, false, now); /* what is due goes first */
    double release = -1;
    if (a == LRC_ATTR_EVENT) {
        struct kit_held_cmd *c = n > 0 ? find_cmd(dev, v[0]) : NULL;
        if (c)
            release = c->release;
    } else {
        release = list_release(dev, now);
    }
    if (release <= now) {
        kit_push_now(dev, a, v, n);
        return;
    }
    struct kit_held *h = calloc(1, sizeof *h);
    char **copy = h ? copy_value(v, n) : NULL;
    if (!copy) {
        /* Out of memory: sending now beats not sending; send what waits
         * first, so that nothing overtakes. */
        free(h);
        kit_log(dev, LRC_LOG_WARNING, "out of memory holding a push: sent at once");
        kit_hold_flush(dev, true);
        kit_push_now(dev, a, v, n);
        return;
    }
    h->attr = a;
    h->v = copy;
    h->n = n;
    h->release = release;
    if (a != LRC_ATTR_EVENT)
        dev->held_list_release = release;
    if (dev->held_tail)
        dev->held_tail->next = h;
    else
        dev->held_head = h;
    dev->held_tail = h;
    /* Appending moves the earliest release only if this one is earlier:
     * no walk over what is held. */
    if (dev->held_due < 0 || release < dev->held_due) {
        dev->held_due = release;
        set_deadline(dev, release);
    }
}

void kit_hold_free(lrc_device *dev)
{
    while (dev->held_head) {
        struct kit_held *h = dev->held_head;
        dev->held_head = h->next;
        lrc_strv_free(h->v, h->n);
        free(h);
    }
    dev->held_tail = NULL;
    dev->held_due = -1;
    while (dev->held_cmds) {
        struct kit_held_cmd *c = dev->held_cmds;
        dev->held_cmds = c->next;
        free(c->id);
        free(c);
    }
}
