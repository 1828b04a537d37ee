/* watch.c - lrc_watch: every LRC of a device, whoever started it. The
 * watch is one more listener of the proxy's shared streams: each event is
 * decoded (decode.h) for whichever command ID(s) it names and queued on
 * the proxy's callback queue, as invocations do for their one ID.
 *
 * v1 lists name many commands per event: the watch remembers, per command
 * ID, the last status and progress text it delivered (repeats are not
 * news), and forgets an ID when it leaves the status list, so its memory
 * is bounded by the device's lists. What the streams say while the watch
 * is being attached is not delivered; in v1 it is the starting point the
 * changes are measured from. */
#include "core/client_internal.h"
#include "core/error_build.h"
#include "core/log_internal.h"
#include "core/str_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* v1: what was last delivered for one command. */
typedef struct cmd_state {
    char *id;
    lrc_decode_state dec; /* the status text */
    char *progress;       /* the progress text */
    bool listed;          /* in the last status list seen */
} cmd_state;

struct lrc_watch {
    lrc_listener listener; /* first: the streams hand it back */
    lrc_proxy *p;          /* one reference */
    lrc_queue *queue;      /* one reference */
    lrc_update_sink sink;  /* immutable */
    atomic_uint refs;      /* the handle, queued items */
    lrc_gate gate;         /* closed by lrc_watch_free */

    /* Under p->mu: */
    bool routing;                   /* attached: deliver what arrives      */
    bool stopped;                   /* lrc_watch_free: nothing any more    */
    bool queue_failed;              /* the queue is dead (logged once)     */
    bool seen[LRC_STREAM_OTHER];    /* a value of this kind arrived        */
    size_t nstreams;
    lrc_stream *streams[3];
    cmd_state *cmds;
    size_t ncmds, capcmds;
};

/* One queued batch: what one event meant for one command (or, for an
 * error event, for none). */
typedef struct watch_item {
    lrc_watch *w; /* one reference */
    char *command_id;
    lrc_decode_out out;
} watch_item;

void lrc_watch_options_init(lrc_watch_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

int lrc_watch_protocol_version(const lrc_watch *w) { return w ? w->sink.version : 0; }

/* ---- lifetime -------------------------------------------------------------- */

static void cmd_state_clear(cmd_state *c)
{
    free(c->id);
    free(c->progress);
    lrc_decode_state_clear(&c->dec);
}

static void watch_unref(lrc_watch *w)
{
    if (atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    for (size_t i = 0; i < w->ncmds; i++)
        cmd_state_clear(&w->cmds[i]);
    free(w->cmds);
    lrc_gate_destroy(&w->gate);
    lrc_queue_unref(w->queue);
    lrc_proxy_unref(w->p);
    free(w);
}

/* ---- running callbacks (scheduler worker) ----------------------------------- */

static void item_free(watch_item *it)
{
    lrc_decode_out_clear(&it->out);
    free(it->command_id);
    watch_unref(it->w);
    free(it);
}

static void item_run(void *item, void *ctx)
{
    (void)ctx;
    watch_item *it = item;
    lrc_deliver_updates(&it->w->gate, &it->w->sink, &it->out, it->command_id, it->out.terminal);
    item_free(it);
}

static void item_discard(void *item, void *ctx)
{
    (void)ctx;
    item_free(item);
}

/* ---- routing (under p->mu, on a Tango thread) --------------------------------- */

/* Queues what one event meant for command_id (NULL: the stream). *out is
 * consumed. */
static void queue_out(lrc_watch *w, const char *command_id, lrc_decode_out *out)
{
    if ((out->n == 0 && out->nlogs == 0) || w->queue_failed) {
        lrc_decode_out_clear(out);
        return;
    }
    watch_item *it = calloc(1, sizeof *it);
    if (!it || (command_id && !(it->command_id = strdup(command_id)))) {
        free(it);
        lrc_decode_out_clear(out);
        lrc_log(LRC_LOG_ERROR, "%s: watch: out of memory: an event was dropped", w->p->name);
        return;
    }
    it->w = w;
    atomic_fetch_add(&w->refs, 1);
    it->out = *out;
    memset(out, 0, sizeof *out);
    /* overflow may drop progress only, never a status or a result */
    int rc = lrc_queue_push(w->queue, item_run, item_discard, it, NULL,
                            it->out.terminal || !lrc_decode_out_only_progress(&it->out));
    if (rc == LRC_OK)
        return;
    item_free(it); /* not the last reference: the handle holds one */
    if (rc != LRC_ECLOSED) {
        lrc_log(LRC_LOG_ERROR, "%s: watch: callbacks cannot be queued (%s): an event was dropped",
                w->p->name, lrc_strerror(rc));
        return;
    }
    /* Its scheduler is gone: say so once, not per event. */
    w->queue_failed = true;
    lrc_log(LRC_LOG_ERROR, "%s: watch: callbacks cannot be queued (%s): no more are delivered",
            w->p->name, lrc_strerror(rc));
}

static void decode_for(lrc_watch *w, lrc_stream_kind kind, const char *id,
                       const lrc_tg_value *v, lrc_decode_state *st)
{
    lrc_decode_out out;
    if (lrc_decode_value(kind, id, v, st, &out) != LRC_OK) {
        lrc_log(LRC_LOG_ERROR, "'%s': watch: out of memory decoding an event: dropped", id);
        return;
    }
    queue_out(w, id, &out);
}

/* One v1 list event being handled: its IDs and the watch's commands, each
 * indexed by ID, so that a list of n commands costs O(n), not O(n^2): the
 * lists hold every command the device still knows, and this runs on a
 * Tango thread under the proxy's lock. */
typedef struct v1_pass {
    const lrc_tg_value *v;
    lrc_str_index ids;  /* ID -> its first even index in v */
    lrc_str_index cmds; /* ID -> index in w->cmds */
} v1_pass;

static bool pass_init(v1_pass *ps, lrc_watch *w, const lrc_tg_value *v)
{
    ps->v = v;
    size_t pairs = (v->ns + 1) / 2;
    if (!lrc_str_index_init(&ps->ids, pairs))
        return false;
    if (!lrc_str_index_init(&ps->cmds, w->ncmds + pairs)) {
        lrc_str_index_free(&ps->ids);
        return false;
    }
    for (size_t i = 0; i < v->ns; i += 2)
        if (v->sv[i] && *v->sv[i])
            lrc_str_index_add(&ps->ids, v->sv[i], i); /* the first place wins */
    for (size_t i = 0; i < w->ncmds; i++)
        lrc_str_index_add(&ps->cmds, w->cmds[i].id, i);
    return true;
}

static void pass_free(v1_pass *ps)
{
    lrc_str_index_free(&ps->ids);
    lrc_str_index_free(&ps->cmds);
}

/* The state of id, added if new (NULL: out of memory). */
static cmd_state *cmd_get(lrc_watch *w, v1_pass *ps, const char *id)
{
    size_t k;
    if (lrc_str_index_get(&ps->cmds, id, &k))
        return &w->cmds[k];
    if (w->ncmds == w->capcmds) {
        size_t cap = w->capcmds ? 2 * w->capcmds : 16;
        cmd_state *grown = realloc(w->cmds, cap * sizeof *grown);
        if (!grown)
            return NULL;
        w->cmds = grown;
        w->capcmds = cap;
    }
    cmd_state *c = &w->cmds[w->ncmds];
    memset(c, 0, sizeof *c);
    if (!(c->id = strdup(id)))
        return NULL;
    lrc_str_index_add(&ps->cmds, c->id, w->ncmds);
    w->ncmds++;
    return c;
}

/* Forgets the commands for which keep() is false. */
static void cmd_prune(lrc_watch *w, bool (*keep)(const cmd_state *c, const v1_pass *ps),
                      const v1_pass *ps)
{
    size_t kept = 0;
    for (size_t i = 0; i < w->ncmds; i++) {
        if (keep(&w->cmds[i], ps))
            w->cmds[kept++] = w->cmds[i];
        else
            cmd_state_clear(&w->cmds[i]);
    }
    w->ncmds = kept;
}

/* The ID at even index i of a v1 list, unless empty or named earlier in
 * the list (a command is decoded once per event, at its first place, as
 * decode.h finds it). */
static const char *id_at(const v1_pass *ps, size_t i)
{
    const char *id = ps->v->sv[i];
    size_t first;
    if (!id || !*id || !lrc_str_index_get(&ps->ids, id, &first) || first != i)
        return NULL;
    return id;
}

static bool keep_listed(const cmd_state *c, const v1_pass *ps)
{
    (void)ps;
    return c->listed;
}

static bool keep_listed_or_progressing(const cmd_state *c, const v1_pass *ps)
{
    size_t at;
    return c->listed || lrc_str_index_get(&ps->ids, c->id, &at);
}

/* Replaces *field with a copy of text (kept as it was if out of memory:
 * the next event then counts as a change). */
static void remember(char **field, const char *text)
{
    char *copy = strdup(text);
    if (copy) {
        free(*field);
        *field = copy;
    }
}

/* Decodes the pair at index i alone: the decoder finds the ID at once
 * instead of searching the whole list again. */
static void decode_pair(lrc_watch *w, lrc_stream_kind kind, const v1_pass *ps, size_t i,
                        lrc_decode_state *st)
{
    const lrc_tg_value *v = ps->v;
    lrc_tg_value pair = {.type = LRC_TG_STRING_ARRAY, .sv = &v->sv[i],
                         .ns = i + 1 < v->ns ? 2 : 1};
    decode_for(w, kind, v->sv[i], &pair, st);
}

static bool list_pass(v1_pass *ps, lrc_watch *w, const lrc_tg_value *v)
{
    if (pass_init(ps, w, v))
        return true;
    lrc_log(LRC_LOG_ERROR, "%s: watch: out of memory: an event was dropped", w->p->name);
    return false;
}

/* longRunningCommandStatus [id, NAME, ...]: each command whose status
 * changed (delivered only when `deliver`, else just remembered). */
static void on_status(lrc_watch *w, const lrc_tg_value *v, bool deliver)
{
    v1_pass ps;
    if (!list_pass(&ps, w, v))
        return;
    for (size_t i = 0; i < w->ncmds; i++)
        w->cmds[i].listed = false;
    for (size_t i = 0; i < v->ns; i += 2) {
        const char *id = id_at(&ps, i);
        cmd_state *c = id ? cmd_get(w, &ps, id) : NULL;
        if (!c)
            continue;
        c->listed = true;
        if (deliver)
            decode_pair(w, LRC_STREAM_V1_STATUS, &ps, i, &c->dec);
        else if (i + 1 < v->ns)
            remember(&c->dec.v1_last_status, v->sv[i + 1] ? v->sv[i + 1] : "");
    }
    cmd_prune(w, keep_listed, &ps);
    pass_free(&ps);
}

/* longRunningCommandProgress [id, "N", ...]: each command whose progress
 * changed. */
static void on_progress(lrc_watch *w, const lrc_tg_value *v, bool deliver)
{
    v1_pass ps;
    if (!list_pass(&ps, w, v))
        return;
    for (size_t i = 0; i < v->ns; i += 2) {
        const char *id = id_at(&ps, i);
        cmd_state *c = id ? cmd_get(w, &ps, id) : NULL;
        if (!c)
            continue;
        const char *text = i + 1 < v->ns ? (v->sv[i + 1] ? v->sv[i + 1] : "") : NULL;
        if (text && c->progress && strcmp(c->progress, text) == 0)
            continue;
        if (deliver)
            decode_pair(w, LRC_STREAM_V1_PROGRESS, &ps, i, NULL);
        if (text)
            remember(&c->progress, text);
    }
    /* commands only progress named, and no longer does: forgotten */
    cmd_prune(w, keep_listed_or_progressing, &ps);
    pass_free(&ps);
}

static void on_error(lrc_watch *w, lrc_stream_kind kind, const lrc_error *error)
{
    char source[512];
    snprintf(source, sizeof source, "%s/%s", w->p->name, lrc_stream_attr(kind));
    lrc_decode_out out;
    if (lrc_decode_stream_error(source, error, &out) != LRC_OK) {
        lrc_log(LRC_LOG_ERROR, "%s: watch: out of memory: an error event was dropped",
                w->p->name);
        return;
    }
    queue_out(w, NULL, &out);
}

static void on_event(lrc_listener *l, lrc_stream_kind kind, const lrc_tg_event *ev)
{
    lrc_watch *w = (lrc_watch *)l;
    if (w->stopped || (unsigned)kind >= LRC_STREAM_OTHER)
        return;
    if (ev->error) {
        if (w->routing)
            on_error(w, kind, ev->error);
        return;
    }
    const lrc_tg_value *v = ev->value;
    w->seen[kind] = true;
    if (!v || v->type != LRC_TG_STRING_ARRAY || v->ns == 0 || !v->sv)
        return; /* names no command (the initial values are empty) */
    switch (kind) {
    case LRC_STREAM_V1_STATUS: on_status(w, v, w->routing); break;
    case LRC_STREAM_V1_PROGRESS: on_progress(w, v, w->routing); break;
    default: /* _lrcEvent and the v1 result: one command, element 0 */
        if (w->routing && v->sv[0] && *v->sv[0])
            decode_for(w, kind, v->sv[0], v, NULL);
        break;
    }
}

/* ---- starting and stopping ------------------------------------------------- */

/* A v1 list stream that was already subscribed (shared with an invocation
 * or a connected interface) delivered no current value while the watch
 * joined it: read the value, as the starting point. */
static void read_starting_point(lrc_watch *w, lrc_stream_kind kind)
{
    lrc_proxy *p = w->p;
    pthread_mutex_lock(&p->mu);
    bool seen = w->seen[kind];
    pthread_mutex_unlock(&p->mu);
    if (seen)
        return;
    lrc_tg_value v = {0};
    lrc_error *e = NULL;
    if (p->t->ops->read_attribute(p->conn, lrc_stream_attr(kind), &v, &e) != LRC_OK) {
        lrc_log_to(w->sink.log, w->sink.log_user, LRC_LOG_WARNING,
                   "%s: watch: cannot read %s as the starting point (%s): the commands it lists "
                   "may be reported once",
                   p->name, lrc_stream_attr(kind), lrc_error_message(e));
        lrc_error_free(e);
        return;
    }
    lrc_tg_event ev = {.attr_name = NULL, .value = &v, .error = NULL};
    pthread_mutex_lock(&p->mu);
    if (!w->seen[kind]) /* else an event came meanwhile: it is as new */
        on_event(&w->listener, kind, &ev);
    pthread_mutex_unlock(&p->mu);
    lrc_tg_value_clear(&v);
}

static int check_start(lrc_proxy *p, lrc_update_fn fn, const lrc_watch_options *opts,
                       lrc_watch **out, lrc_watch_options *o, lrc_error **err)
{
    if (!p || !fn || !out)
        return lrc_fail(err, LRC_EINVAL, "lrc_watch_start: NULL %s",
                        !p ? "proxy" : !fn ? "callback" : "output");
    lrc_watch_options_init(o);
    return lrc_options_copy(o, sizeof *o, opts, "lrc_watch_start", "lrc_watch_options_init", err);
}

int lrc_watch_start(lrc_proxy *p, lrc_update_fn fn, void *user, const lrc_watch_options *opts,
                    lrc_watch **out, lrc_error **err)
{
    if (out)
        *out = NULL;
    lrc_watch_options o;
    int rc = check_start(p, fn, opts, out, &o, err);
    int version = 0;
    lrc_queue *q = NULL;
    if (rc != LRC_OK ||
        (rc = lrc_proxy_negotiate(p, o.logger, o.logger_user, &version, err)) != LRC_OK ||
        (rc = lrc_proxy_queue(p, o.scheduler ? o.scheduler : lrc_scheduler_default(), &q, err)) !=
            LRC_OK)
        return rc;
    lrc_watch *w = calloc(1, sizeof *w);
    if (!w) {
        lrc_queue_unref(q);
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    }
    w->listener.on_event = on_event;
    w->p = lrc_proxy_ref(p);
    w->queue = q;
    w->sink = (lrc_update_sink){fn, user, o.logger, o.logger_user, version};
    atomic_init(&w->refs, 1);
    lrc_gate_init(&w->gate);

    /* Not routing yet: what arrives while attaching is the starting point. */
    lrc_stream *held[3];
    size_t n = 0;
    if ((rc = lrc_stream_acquire_protocol(p, version, &w->listener, held, &n,
                                          "lrc::lrc_watch_start", err)) != LRC_OK) {
        watch_unref(w);
        return rc;
    }
    pthread_mutex_lock(&p->mu);
    memcpy(w->streams, held, n * sizeof *held);
    w->nstreams = n;
    pthread_mutex_unlock(&p->mu);
    if (version == 1) {
        read_starting_point(w, LRC_STREAM_V1_STATUS);
        read_starting_point(w, LRC_STREAM_V1_PROGRESS);
    }
    pthread_mutex_lock(&p->mu);
    w->routing = true;
    pthread_mutex_unlock(&p->mu);
    *out = w;
    return LRC_OK;
}

void lrc_watch_free(lrc_watch *w)
{
    if (!w)
        return;
    lrc_proxy *p = w->p;
    lrc_stream *held[3];
    pthread_mutex_lock(&p->mu);
    w->stopped = true;
    w->routing = false;
    size_t n = w->nstreams;
    memcpy(held, w->streams, n * sizeof *held);
    for (size_t i = 0; i < n; i++)
        lrc_stream_unlisten(held[i], &w->listener);
    w->nstreams = 0;
    pthread_mutex_unlock(&p->mu);

    /* No event reaches the watch any more; wait for a callback running on
     * another thread (from inside the callback itself, let it finish). */
    lrc_gate_close(&w->gate);
    lrc_stream_release_all(p, held, n, NULL, w->sink.log, w->sink.log_user);
    watch_unref(w); /* the handle's; queued items hold their own */
}
