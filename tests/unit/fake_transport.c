/* fake_transport.c - see fake_transport.h. */
#include "fake_transport.h"

#include "core/error_build.h"
#include "core/value.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct fake_sub {
    struct fake_sub *next;
    int id;
    char *attr;
    lrc_tg_event_fn fn;
    void *user;
    bool active;
    bool delivering; /* a thread is inside fn now */
    pthread_t deliverer;
} fake_sub;

typedef struct fake_cmd {
    struct fake_cmd *next;
    char *name;
    lrc_tg_type in, out;
    fake_handler_fn handler;
    void *user;
} fake_cmd;

/* A command the device knows (its tracker). */
typedef struct fake_lrc {
    struct fake_lrc *next; /* in creation order */
    char *id, *name, *status, *result;
    bool expired; /* CheckLongRunningCommandStatus forgot it (fake_expire_lrc) */
} fake_lrc;

/* A current value set by the test (fake_set_value). */
typedef struct fake_value {
    struct fake_value *next;
    char *attr;
    lrc_tg_value v;
} fake_value;

typedef struct fake_attr_count {
    struct fake_attr_count *next;
    char *attr;
    int subscribes, unsubscribes, live;
} fake_attr_count;

struct fake_device {
    lrc_transport transport;
    lrc_transport_ops ops;
    char *name;

    pthread_mutex_t mu;
    pthread_cond_t cv; /* a delivery ended */
    bool has_versions;
    int64_t vmin, vmax;
    fake_cmd *cmds;
    fake_sub *subs, *subs_tail; /* never freed before fake_free */
    int next_sub_id;
    fake_attr_count *counts;
    char *fail_sub_attr, *fail_sub_reason, *fail_sub_desc;
    bool fail_unsub;
    int unsub_delay_ms; /* unsubscribe takes this long (outside the lock) */
    int bad_unsub;
    int calls, inout_calls;
    char *trace;
    size_t trace_len;
    lrc_tg_value last_in;
    fake_lrc *lrcs, *lrcs_tail;
    char *last_result_id, *last_result; /* longRunningCommandResult */
    int open_conns, opens;
    bool untracked;         /* pushes do not update the table (fake_track_pushes) */
    int closes_in_callback; /* close called inside an event callback (forbidden) */
    int64_t timeout_ms;
    fake_value *values;
    char **attr_names; /* fake_set_attribute_list, or NULL */
    size_t nattr_names;
    bool fail_attrs;
    char *fail_read_attr;
};

static void *xmalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        abort();
    return p;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort();
    return d;
}

/* Under d->mu. */
static void trace_add(fake_device *d, const char *what, const char *arg)
{
    size_t add = strlen(what) + (arg ? strlen(arg) + 1 : 0) + 1;
    char *grown = realloc(d->trace, d->trace_len + add + 1);
    if (!grown)
        abort();
    d->trace = grown;
    int n = snprintf(d->trace + d->trace_len, add + 1, "%s%s%s%s", d->trace_len ? " " : "", what,
                     arg ? ":" : "", arg ? arg : "");
    d->trace_len += (size_t)n;
}

/* Under d->mu. */
static fake_attr_count *count_of(fake_device *d, const char *attr)
{
    for (fake_attr_count *c = d->counts; c; c = c->next)
        if (strcasecmp(c->attr, attr) == 0)
            return c;
    fake_attr_count *c = xmalloc(sizeof *c);
    c->attr = xstrdup(attr);
    c->next = d->counts;
    d->counts = c;
    return c;
}

/* Under d->mu: the current value of attr set by the test, or NULL. */
static fake_value *value_of(fake_device *d, const char *attr)
{
    for (fake_value *v = d->values; v; v = v->next)
        if (strcasecmp(v->attr, attr) == 0)
            return v;
    return NULL;
}

static lrc_error *device_down(void)
{
    lrc_error *e = lrc_error_new(LRC_ETANGO, "%s", FAKE_DOWN_MESSAGE);
    lrc_error_push(e, "API_CantConnectToDevice", FAKE_DOWN_MESSAGE, "Connection::connect",
                   LRC_SEVERITY_ERR);
    return e;
}

/* Under d->mu: the table entry of id, added (as STAGING) if unknown. */
static fake_lrc *lrc_entry(fake_device *d, const char *id)
{
    for (fake_lrc *l = d->lrcs; l; l = l->next)
        if (strcmp(l->id, id) == 0)
            return l;
    fake_lrc *l = xmalloc(sizeof *l);
    l->id = xstrdup(id);
    const char *us = strrchr(id, '_');
    l->name = xstrdup(us ? us + 1 : id);
    l->status = xstrdup("STAGING");
    if (d->lrcs_tail)
        d->lrcs_tail->next = l;
    else
        d->lrcs = l;
    d->lrcs_tail = l;
    return l;
}

static void set_str(char **field, const char *value)
{
    free(*field);
    *field = xstrdup(value);
}

static const char *const status_names[] = {"STAGING",   "QUEUED",    "IN_PROGRESS", "ABORTED",
                                           "NOT_FOUND", "COMPLETED", "REJECTED",    "FAILED"};

static bool is_terminal_name(const char *s)
{
    return strcmp(s, "ABORTED") == 0 || strcmp(s, "COMPLETED") == 0 ||
           strcmp(s, "REJECTED") == 0 || strcmp(s, "FAILED") == 0;
}

/* Under d->mu: what a pushed value means for the table (events the test
 * pushes for IDs the device does not know add them, as the real tracker
 * would have). */
static void track_push(fake_device *d, const char *attr, const lrc_tg_value *v)
{
    if (!v || v->type != LRC_TG_STRING_ARRAY || d->untracked)
        return;
    if (strcasecmp(attr, "_lrcEvent") == 0 && v->ns == 2 && v->sv[0] && *v->sv[0]) {
        json_t *j = json_loads(v->sv[1] ? v->sv[1] : "", 0, NULL);
        if (json_is_object(j)) {
            fake_lrc *l = lrc_entry(d, v->sv[0]);
            json_t *st = json_object_get(j, "status"), *res = json_object_get(j, "result");
            if (json_is_integer(st) && json_integer_value(st) >= 0 && json_integer_value(st) <= 7)
                set_str(&l->status, status_names[json_integer_value(st)]);
            if (res) {
                char *text = json_dumps(res, JSON_ENCODE_ANY);
                if (text)
                    set_str(&l->result, text);
                free(text);
            }
        }
        json_decref(j);
    } else if (strcasecmp(attr, "longRunningCommandStatus") == 0) {
        for (size_t i = 0; i + 1 < v->ns; i += 2)
            if (v->sv[i] && *v->sv[i] && v->sv[i + 1])
                set_str(&lrc_entry(d, v->sv[i])->status, v->sv[i + 1]);
    } else if (strcasecmp(attr, "longRunningCommandResult") == 0 && v->ns == 2 && v->sv[0] &&
               *v->sv[0] && v->sv[1]) {
        set_str(&lrc_entry(d, v->sv[0])->result, v->sv[1]);
        set_str(&d->last_result_id, v->sv[0]);
        set_str(&d->last_result, v->sv[1]);
    }
}

/* CheckLongRunningCommandStatus(id). */
static int check_status(fake_device *d, const lrc_tg_value *in, lrc_tg_value *out,
                        lrc_error **err)
{
    if (!in || in->type != LRC_TG_STRING || !in->s)
        return lrc_fail(err, LRC_ETANGO, "CheckLongRunningCommandStatus takes a DevString");
    pthread_mutex_lock(&d->mu);
    const char *answer = "NOT_FOUND";
    for (fake_lrc *l = d->lrcs; l; l = l->next)
        if (strcmp(l->id, in->s) == 0)
            answer = l->expired ? "NOT_FOUND" : l->status;
    char *copy = xstrdup(answer);
    pthread_mutex_unlock(&d->mu);
    if (strcmp(copy, FAKE_QUERY_FAILS) == 0) {
        free(copy);
        lrc_error *e = fake_command_failed(d, "CheckLongRunningCommandStatus", "API_CorbaException",
                                           "TRANSIENT CORBA system exception");
        return lrc_error_give(err, e);
    }
    out->type = LRC_TG_STRING;
    out->s = copy;
    return LRC_OK;
}

static fake_cmd *find_cmd(fake_device *d, const char *name)
{
    for (fake_cmd *c = d->cmds; c; c = c->next)
        if (strcasecmp(c->name, name) == 0)
            return c;
    return NULL;
}

static lrc_error *not_found(fake_device *d, const char *cmd)
{
    lrc_error *e = lrc_error_new(LRC_ENOTFOUND, "Command %s not found", cmd);
    char desc[256];
    snprintf(desc, sizeof desc, "Command %s not found", cmd);
    lrc_error_push(e, "API_CommandNotFound", desc, "Device_2Impl::command_query_2",
                   LRC_SEVERITY_ERR);
    (void)d;
    return e;
}

/* ---- the transport ------------------------------------------------------------ */

static int t_open(void *ctx, const char *device, int64_t timeout_ms, void **conn, lrc_error **err)
{
    (void)device;
    (void)err;
    fake_device *d = ctx;
    pthread_mutex_lock(&d->mu);
    d->open_conns++;
    d->opens++;
    d->timeout_ms = timeout_ms;
    pthread_mutex_unlock(&d->mu);
    *conn = d;
    return LRC_OK;
}

/* How many event deliveries are on this thread's stack. */
static _Thread_local int t_in_event;

static void t_close(void *conn)
{
    fake_device *d = conn;
    pthread_mutex_lock(&d->mu);
    if (t_in_event > 0) /* cppTango: a 5 s wait, then a freed mutex unlocked */
        d->closes_in_callback++;
    d->open_conns--;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static int64_t t_timeout_ms(void *conn)
{
    fake_device *d = conn;
    pthread_mutex_lock(&d->mu);
    int64_t t = d->timeout_ms;
    pthread_mutex_unlock(&d->mu);
    return t;
}

static int t_command_query(void *conn, const char *cmd, lrc_tg_type *in_type,
                           lrc_tg_type *out_type, lrc_error **err)
{
    fake_device *d = conn;
    pthread_mutex_lock(&d->mu);
    d->calls++;
    trace_add(d, "query", cmd);
    fake_cmd *c = find_cmd(d, cmd);
    if (c) {
        *in_type = c->in;
        *out_type = c->out;
    }
    pthread_mutex_unlock(&d->mu);
    return c ? LRC_OK : lrc_error_give(err, not_found(d, cmd));
}

static int t_command_inout(void *conn, const char *cmd, const lrc_tg_value *in, lrc_tg_value *out,
                           lrc_error **err)
{
    fake_device *d = conn;
    memset(out, 0, sizeof *out);
    out->type = LRC_TG_VOID;
    pthread_mutex_lock(&d->mu);
    d->calls++;
    d->inout_calls++;
    trace_add(d, "inout", cmd);
    lrc_tg_value_clear(&d->last_in);
    if (lrc_value_copy(&d->last_in, in) != LRC_OK)
        abort();
    fake_cmd *c = find_cmd(d, cmd);
    fake_handler_fn handler = c ? c->handler : NULL;
    void *user = c ? c->user : NULL;
    pthread_mutex_unlock(&d->mu);
    if (!c && strcasecmp(cmd, "CheckLongRunningCommandStatus") == 0)
        return check_status(d, in, out, err);
    if (!c)
        return lrc_error_give(err, not_found(d, cmd));
    lrc_tg_value none = {.type = LRC_TG_VOID};
    if (handler) {
        lrc_error *e = NULL;
        int rc = handler(d, user, cmd, in ? in : &none, out, &e);
        if (rc != LRC_OK) {
            lrc_tg_value_clear(out);
            if (!e)
                e = lrc_error_new(rc, "handler of %s failed", cmd);
            return lrc_error_give(err, e);
        }
        lrc_error_free(e);
        return LRC_OK;
    }
    char *id = fake_new_id(d, cmd);
    fake_push_creation(d, id, false);
    fake_reply(out, 2 /* QUEUED */, id);
    free(id);
    return LRC_OK;
}

static const char *const v2_names[] = {"_lrcEvent", "lrcQueue", "lrcExecuting", "lrcFinished"};
static const char *const base_names[] = {"State",
                                         "Status",
                                         "longRunningCommandStatus",
                                         "longRunningCommandProgress",
                                         "longRunningCommandResult",
                                         "longRunningCommandsInQueue",
                                         "longRunningCommandIDsInQueue",
                                         "longRunningCommandInProgress"};

static int t_attribute_list(void *conn, char ***names, size_t *count, lrc_error **err)
{
    fake_device *d = conn;
    pthread_mutex_lock(&d->mu);
    d->calls++;
    trace_add(d, "attrs", NULL);
    bool v = d->has_versions;
    if (d->fail_attrs) {
        pthread_mutex_unlock(&d->mu);
        return lrc_error_give(err, device_down());
    }
    if (d->attr_names) {
        char **list = xmalloc(d->nattr_names * sizeof *list);
        for (size_t i = 0; i < d->nattr_names; i++)
            list[i] = xstrdup(d->attr_names[i]);
        *names = list;
        *count = d->nattr_names;
        pthread_mutex_unlock(&d->mu);
        return LRC_OK;
    }
    pthread_mutex_unlock(&d->mu);
    size_t nb = sizeof base_names / sizeof *base_names, n2 = sizeof v2_names / sizeof *v2_names;
    size_t n = nb + (v ? n2 + 1 : 0), k = 0;
    char **list = xmalloc(n * sizeof *list);
    for (size_t i = 0; i < nb; i++)
        list[k++] = xstrdup(base_names[i]);
    if (v) {
        for (size_t i = 0; i < n2; i++)
            list[k++] = xstrdup(v2_names[i]);
        list[k++] = xstrdup("lrcProtocolVersions");
    }
    *names = list;
    *count = k;
    return LRC_OK;
}

static int t_read_attribute(void *conn, const char *attr, lrc_tg_value *out, lrc_error **err)
{
    fake_device *d = conn;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&d->mu);
    d->calls++;
    trace_add(d, "read", attr);
    bool v = d->has_versions;
    int64_t vmin = d->vmin, vmax = d->vmax;
    if (d->fail_read_attr && strcasecmp(d->fail_read_attr, attr) == 0) {
        pthread_mutex_unlock(&d->mu);
        return lrc_error_give(err, device_down());
    }
    fake_value *set = value_of(d, attr);
    if (set) {
        if (lrc_value_copy(out, &set->v) != LRC_OK)
            abort();
        pthread_mutex_unlock(&d->mu);
        return LRC_OK;
    }
    pthread_mutex_unlock(&d->mu);
    if (v && strcasecmp(attr, "lrcFinished") == 0) {
        out->type = LRC_TG_STRING_ARRAY;
        pthread_mutex_lock(&d->mu);
        size_t n = 0;
        for (fake_lrc *l = d->lrcs; l; l = l->next)
            n += is_terminal_name(l->status);
        out->sv = xmalloc((n ? n : 1) * sizeof *out->sv);
        for (fake_lrc *l = d->lrcs; l; l = l->next) {
            if (!is_terminal_name(l->status))
                continue;
            json_t *item = json_pack("{s:s, s:s, s:s}", "uid", l->id, "name", l->name, "status",
                                     l->status);
            json_t *res = l->result ? json_loads(l->result, JSON_DECODE_ANY, NULL) : NULL;
            if (res)
                json_object_set_new(item, "result", res);
            char *text = json_dumps(item, 0);
            out->sv[out->ns++] = xstrdup(text);
            free(text);
            json_decref(item);
        }
        pthread_mutex_unlock(&d->mu);
        return LRC_OK;
    }
    if (strcasecmp(attr, "longRunningCommandResult") == 0) {
        out->type = LRC_TG_STRING_ARRAY;
        out->sv = xmalloc(2 * sizeof *out->sv);
        pthread_mutex_lock(&d->mu);
        out->sv[0] = xstrdup(d->last_result_id ? d->last_result_id : "");
        out->sv[1] = xstrdup(d->last_result ? d->last_result : "");
        pthread_mutex_unlock(&d->mu);
        out->ns = 2;
        return LRC_OK;
    }
    if (v && strcasecmp(attr, "lrcProtocolVersions") == 0) {
        out->type = LRC_TG_LONG64_ARRAY;
        out->iv = xmalloc(2 * sizeof *out->iv);
        out->iv[0] = vmin;
        out->iv[1] = vmax;
        out->ni = 2;
        return LRC_OK;
    }
    lrc_error *e = lrc_error_new(LRC_ETANGO, "Attribute %s not found", attr);
    lrc_error_push(e, "API_AttrNotFound", lrc_error_message(e), "FakeDevice::read_attribute",
                   LRC_SEVERITY_ERR);
    return lrc_error_give(err, e);
}

/* The value Tango gives a new subscriber of attr. */
static void initial_value(const char *attr, lrc_tg_value *v)
{
    memset(v, 0, sizeof *v);
    v->type = LRC_TG_STRING_ARRAY;
    if (strcasecmp(attr, "longRunningCommandResult") == 0) {
        v->sv = xmalloc(2 * sizeof *v->sv);
        v->sv[0] = xstrdup("");
        v->sv[1] = xstrdup("");
        v->ns = 2;
    }
}

/* The full, lower-case name Tango puts in events. */
static void event_name(const fake_device *d, const char *attr, char *buf, size_t size)
{
    snprintf(buf, size, "tango://fakehost:10000/%s/%s", d->name, attr);
    for (char *c = buf; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
}

/* Under d->mu, with s->delivering set by this thread: calls s->fn without
 * the lock. The value is copied to fresh heap memory, freed afterwards. */
static void deliver_locked(fake_device *d, fake_sub *s, const lrc_tg_value *value,
                           const lrc_error *error)
{
    char name[256];
    event_name(d, s->attr, name, sizeof name);
    lrc_tg_value copy = {0};
    lrc_error *ecopy = NULL;
    if (value && lrc_value_copy(&copy, value) != LRC_OK)
        abort();
    if (error && !(ecopy = lrc_error_dup(error)))
        abort();
    lrc_tg_event ev = {.attr_name = name, .value = value ? &copy : NULL, .error = ecopy};
    lrc_tg_event_fn fn = s->fn;
    void *user = s->user;
    pthread_mutex_unlock(&d->mu);
    t_in_event++;
    fn(&ev, user);
    t_in_event--;
    lrc_tg_value_clear(&copy);
    lrc_error_free(ecopy);
    pthread_mutex_lock(&d->mu);
}

static int t_subscribe(void *conn, const char *attr, lrc_tg_event_fn fn, void *user, int *sub_id,
                       lrc_error **err)
{
    fake_device *d = conn;
    pthread_mutex_lock(&d->mu);
    d->calls++;
    if (d->fail_sub_attr && strcasecmp(d->fail_sub_attr, attr) == 0) {
        trace_add(d, "subfail", attr);
        lrc_error *e = lrc_error_new(LRC_ETANGO, "Failed to connect to event channel for device %s",
                                     d->name);
        lrc_error_push(e, d->fail_sub_reason, d->fail_sub_desc, "FakeDevice::subscribe",
                       LRC_SEVERITY_ERR);
        lrc_error_push(e, "API_EventSystemFailed", lrc_error_message(e),
                       "EventConsumer::subscribe_event", LRC_SEVERITY_ERR);
        pthread_mutex_unlock(&d->mu);
        return lrc_error_give(err, e);
    }
    trace_add(d, "sub", attr);
    fake_sub *s = xmalloc(sizeof *s);
    s->id = d->next_sub_id++;
    s->attr = xstrdup(attr);
    s->fn = fn;
    s->user = user;
    s->active = true;
    s->delivering = true; /* the initial value, before anyone else */
    s->deliverer = pthread_self();
    if (d->subs_tail)
        d->subs_tail->next = s;
    else
        d->subs = s;
    d->subs_tail = s;
    fake_attr_count *c = count_of(d, attr);
    c->subscribes++;
    c->live++;

    lrc_tg_value init;
    fake_value *set = value_of(d, attr);
    if (set) {
        if (lrc_value_copy(&init, &set->v) != LRC_OK)
            abort();
    } else {
        initial_value(attr, &init);
    }
    deliver_locked(d, s, &init, NULL);
    lrc_tg_value_clear(&init);
    s->delivering = false;
    pthread_cond_broadcast(&d->cv);
    *sub_id = s->id;
    pthread_mutex_unlock(&d->mu);
    return LRC_OK;
}

static int t_unsubscribe(void *conn, int sub_id, lrc_error **err)
{
    fake_device *d = conn;
    pthread_mutex_lock(&d->mu);
    d->calls++;
    fake_sub *s = d->subs;
    while (s && !(s->id == sub_id && s->active))
        s = s->next;
    if (!s) {
        d->bad_unsub++;
        trace_add(d, "unsub?", NULL);
        pthread_mutex_unlock(&d->mu);
        return lrc_fail(err, LRC_ENOTFOUND, "event id %d is not subscribed", sub_id);
    }
    s->active = false; /* no delivery starts any more */
    /* Wait for a delivery on another thread; from inside the callback
     * itself, return at once (Tango allows that). */
    while (s->delivering && !pthread_equal(s->deliverer, pthread_self()))
        pthread_cond_wait(&d->cv, &d->mu);
    if (d->unsub_delay_ms > 0) { /* as a Tango round trip to the consumer */
        int ms = d->unsub_delay_ms;
        pthread_mutex_unlock(&d->mu);
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&d->mu);
    }
    fake_attr_count *c = count_of(d, s->attr);
    c->unsubscribes++;
    c->live--;
    bool fail = d->fail_unsub;
    trace_add(d, fail ? "unsubfail" : "unsub", s->attr);
    pthread_mutex_unlock(&d->mu);
    if (!fail)
        return LRC_OK;
    lrc_error *e = lrc_error_new(LRC_ETANGO, "%s", FAKE_UNSUB_MESSAGE);
    lrc_error_push(e, "API_EventNotFound", FAKE_UNSUB_MESSAGE, "EventConsumer::unsubscribe_event",
                   LRC_SEVERITY_ERR);
    return lrc_error_give(err, e);
}

/* ---- set-up ----------------------------------------------------------------------- */

fake_device *fake_new(const char *name)
{
    fake_device *d = xmalloc(sizeof *d);
    d->name = xstrdup(name);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    d->has_versions = true;
    d->vmin = 1;
    d->vmax = 2;
    d->next_sub_id = 100;
    d->ops.open = t_open;
    d->ops.close = t_close;
    d->ops.timeout_ms = t_timeout_ms;
    d->ops.command_query = t_command_query;
    d->ops.command_inout = t_command_inout;
    d->ops.attribute_list = t_attribute_list;
    d->ops.read_attribute = t_read_attribute;
    d->ops.subscribe = t_subscribe;
    d->ops.unsubscribe = t_unsubscribe;
    d->transport.ops = &d->ops;
    d->transport.ctx = d;
    return d;
}

void fake_free(fake_device *d)
{
    if (!d)
        return;
    while (d->cmds) {
        fake_cmd *c = d->cmds;
        d->cmds = c->next;
        free(c->name);
        free(c);
    }
    while (d->subs) {
        fake_sub *s = d->subs;
        d->subs = s->next;
        free(s->attr);
        free(s);
    }
    while (d->lrcs) {
        fake_lrc *l = d->lrcs;
        d->lrcs = l->next;
        free(l->id);
        free(l->name);
        free(l->status);
        free(l->result);
        free(l);
    }
    free(d->last_result_id);
    free(d->last_result);
    while (d->counts) {
        fake_attr_count *c = d->counts;
        d->counts = c->next;
        free(c->attr);
        free(c);
    }
    while (d->values) {
        fake_value *v = d->values;
        d->values = v->next;
        free(v->attr);
        lrc_tg_value_clear(&v->v);
        free(v);
    }
    fake_set_attribute_list(d, NULL, 0);
    free(d->fail_read_attr);
    free(d->fail_sub_attr);
    free(d->fail_sub_reason);
    free(d->fail_sub_desc);
    free(d->trace);
    lrc_tg_value_clear(&d->last_in);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d->name);
    free(d);
}

const lrc_transport *fake_transport(fake_device *d) { return &d->transport; }

void fake_set_protocol(fake_device *d, bool has_attr, int64_t min, int64_t max)
{
    pthread_mutex_lock(&d->mu);
    d->has_versions = has_attr;
    d->vmin = min;
    d->vmax = max;
    pthread_mutex_unlock(&d->mu);
}

void fake_add_command(fake_device *d, const char *name, lrc_tg_type in, lrc_tg_type out,
                      fake_handler_fn handler, void *user)
{
    pthread_mutex_lock(&d->mu);
    fake_cmd *c = find_cmd(d, name);
    if (!c) {
        c = xmalloc(sizeof *c);
        c->name = xstrdup(name);
        c->next = d->cmds;
        d->cmds = c;
    }
    c->in = in;
    c->out = out;
    c->handler = handler;
    c->user = user;
    pthread_mutex_unlock(&d->mu);
}

/* ---- replies ------------------------------------------------------------------------ */

char *fake_new_id(fake_device *d, const char *cmd)
{
    /* one sequence for all devices of the process: IDs never collide */
    static atomic_ulong seq;
    unsigned long n = atomic_fetch_add(&seq, 1) + 1;
    char buf[256];
    snprintf(buf, sizeof buf, "1795594285.%06lu_%lu_%s", n, 220486277368000UL + n, cmd);
    pthread_mutex_lock(&d->mu);
    lrc_entry(d, buf);
    pthread_mutex_unlock(&d->mu);
    return xstrdup(buf);
}

void fake_set_lrc(fake_device *d, const char *id, const char *status, const char *result_json)
{
    pthread_mutex_lock(&d->mu);
    fake_lrc *l = lrc_entry(d, id);
    set_str(&l->status, status);
    if (result_json) {
        set_str(&l->result, result_json);
        set_str(&d->last_result_id, id);
        set_str(&d->last_result, result_json);
    }
    pthread_mutex_unlock(&d->mu);
}

void fake_expire_lrc(fake_device *d, const char *id)
{
    pthread_mutex_lock(&d->mu);
    lrc_entry(d, id)->expired = true;
    pthread_mutex_unlock(&d->mu);
}

void fake_reply(lrc_tg_value *out, int64_t code, const char *text)
{
    memset(out, 0, sizeof *out);
    out->type = LRC_TG_LONG_STRING_ARRAY;
    out->iv = xmalloc(sizeof *out->iv);
    out->iv[0] = code;
    out->ni = 1;
    out->sv = xmalloc(sizeof *out->sv);
    out->sv[0] = xstrdup(text);
    out->ns = 1;
}

lrc_error *fake_command_failed(fake_device *d, const char *cmd, const char *reason,
                               const char *desc)
{
    char outer[256];
    snprintf(outer, sizeof outer, "Failed to execute command_inout on device %s, command %s",
             d->name, cmd);
    lrc_error *e = lrc_error_new(LRC_ETANGO, "%s", outer);
    lrc_error_push(e, reason, desc, "FakeDevice::command", LRC_SEVERITY_ERR);
    lrc_error_push(e, "API_CommandFailed", outer, "Connection::command_inout()",
                   LRC_SEVERITY_ERR);
    return e;
}

/* ---- subscriptions --------------------------------------------------------------------- */

void fake_fail_subscribe(fake_device *d, const char *attr, const char *reason, const char *desc)
{
    pthread_mutex_lock(&d->mu);
    free(d->fail_sub_attr);
    free(d->fail_sub_reason);
    free(d->fail_sub_desc);
    d->fail_sub_attr = attr ? xstrdup(attr) : NULL;
    d->fail_sub_reason = xstrdup(reason);
    d->fail_sub_desc = xstrdup(desc);
    pthread_mutex_unlock(&d->mu);
}

void fake_fail_unsubscribe(fake_device *d, bool fail)
{
    pthread_mutex_lock(&d->mu);
    d->fail_unsub = fail;
    pthread_mutex_unlock(&d->mu);
}

void fake_delay_unsubscribe(fake_device *d, int ms)
{
    pthread_mutex_lock(&d->mu);
    d->unsub_delay_ms = ms;
    pthread_mutex_unlock(&d->mu);
}

typedef enum { CNT_LIVE, CNT_SUBS, CNT_UNSUBS } cnt_kind;

static int count(fake_device *d, const char *attr, cnt_kind k)
{
    pthread_mutex_lock(&d->mu);
    int n = 0;
    for (fake_attr_count *c = d->counts; c; c = c->next)
        if (!attr || strcasecmp(c->attr, attr) == 0)
            n += k == CNT_LIVE ? c->live : k == CNT_SUBS ? c->subscribes : c->unsubscribes;
    pthread_mutex_unlock(&d->mu);
    return n;
}

int fake_live(fake_device *d, const char *attr) { return count(d, attr, CNT_LIVE); }
int fake_subscribes(fake_device *d, const char *attr) { return count(d, attr, CNT_SUBS); }
int fake_unsubscribes(fake_device *d, const char *attr) { return count(d, attr, CNT_UNSUBS); }
int fake_live_total(fake_device *d) { return count(d, NULL, CNT_LIVE); }

int fake_sub_id(fake_device *d, const char *attr)
{
    int id = -1;
    pthread_mutex_lock(&d->mu);
    for (fake_sub *s = d->subs; s; s = s->next)
        if (s->active && strcasecmp(s->attr, attr) == 0)
            id = s->id;
    pthread_mutex_unlock(&d->mu);
    return id;
}

int fake_bad_unsubscribes(fake_device *d)
{
    pthread_mutex_lock(&d->mu);
    int n = d->bad_unsub;
    pthread_mutex_unlock(&d->mu);
    return n;
}

/* ---- calls ------------------------------------------------------------------------------ */

#define GETTER(fn, field)                                                                      \
    int fn(fake_device *d)                                                                     \
    {                                                                                          \
        pthread_mutex_lock(&d->mu);                                                            \
        int n = d->field;                                                                      \
        pthread_mutex_unlock(&d->mu);                                                          \
        return n;                                                                              \
    }
GETTER(fake_calls, calls)
GETTER(fake_inout_calls, inout_calls)
GETTER(fake_open_connections, open_conns)
GETTER(fake_closes_in_callback, closes_in_callback)

void fake_track_pushes(fake_device *d, bool track)
{
    pthread_mutex_lock(&d->mu);
    d->untracked = !track;
    pthread_mutex_unlock(&d->mu);
}
GETTER(fake_opens, opens)

bool fake_wait_closed(fake_device *d, int64_t timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&d->mu);
    while (d->open_conns > 0)
        if (pthread_cond_timedwait(&d->cv, &d->mu, &until) != 0)
            break;
    bool closed = d->open_conns == 0;
    pthread_mutex_unlock(&d->mu);
    return closed;
}

int64_t fake_timeout_ms(fake_device *d)
{
    pthread_mutex_lock(&d->mu);
    int64_t t = d->timeout_ms;
    pthread_mutex_unlock(&d->mu);
    return t;
}

char *fake_trace(fake_device *d)
{
    pthread_mutex_lock(&d->mu);
    char *t = xstrdup(d->trace ? d->trace : "");
    pthread_mutex_unlock(&d->mu);
    return t;
}

void fake_trace_clear(fake_device *d)
{
    pthread_mutex_lock(&d->mu);
    free(d->trace);
    d->trace = NULL;
    d->trace_len = 0;
    pthread_mutex_unlock(&d->mu);
}

lrc_tg_value fake_last_input(fake_device *d)
{
    lrc_tg_value v;
    pthread_mutex_lock(&d->mu);
    if (lrc_value_copy(&v, &d->last_in) != LRC_OK)
        abort();
    pthread_mutex_unlock(&d->mu);
    return v;
}

/* ---- events --------------------------------------------------------------------------------- */

static int push(fake_device *d, const char *attr, const lrc_tg_value *value,
                const lrc_error *error)
{
    int reached = 0;
    pthread_mutex_lock(&d->mu);
    track_push(d, attr, value);
    fake_value *set = value ? value_of(d, attr) : NULL;
    if (set) {
        lrc_tg_value_clear(&set->v);
        if (lrc_value_copy(&set->v, value) != LRC_OK)
            abort();
    }
    /* Nodes are never freed while the device lives and new ones are only
     * appended, so walking the list across unlocked deliveries is safe. */
    for (fake_sub *s = d->subs; s; s = s->next) {
        if (!s->active || strcasecmp(s->attr, attr) != 0)
            continue;
        while (s->delivering && !pthread_equal(s->deliverer, pthread_self()))
            pthread_cond_wait(&d->cv, &d->mu);
        if (!s->active || s->delivering) /* unsubscribed meanwhile; or a re-entrant push */
            continue;
        s->delivering = true;
        s->deliverer = pthread_self();
        deliver_locked(d, s, value, error);
        s->delivering = false;
        pthread_cond_broadcast(&d->cv);
        reached++;
    }
    pthread_mutex_unlock(&d->mu);
    return reached;
}

int fake_push_strings(fake_device *d, const char *attr, const char *const *sv, size_t n)
{
    lrc_tg_value v = {.type = LRC_TG_STRING_ARRAY, .sv = (char **)sv, .ns = n};
    return push(d, attr, &v, NULL);
}

int fake_push_lrc(fake_device *d, const char *id, const char *json)
{
    const char *sv[2] = {id, json};
    return fake_push_strings(d, "_lrcEvent", sv, 2);
}

static lrc_error *event_error(const char *reason, const char *desc)
{
    lrc_error *e = lrc_error_new(LRC_ETANGO, "%s", desc);
    lrc_error_push(e, reason, desc, "EventConsumer::keep_alive", LRC_SEVERITY_ERR);
    return e;
}

int fake_push_error(fake_device *d, const char *attr, const char *reason, const char *desc)
{
    lrc_error *e = event_error(reason, desc);
    int n = push(d, attr, NULL, e);
    lrc_error_free(e);
    return n;
}

/* ---- the same on a helper thread ------------------------------------------------------------ */

typedef struct push_job {
    fake_device *d;
    const char *attr;
    const char *const *sv;
    size_t n;
    const char *reason, *desc; /* an error event when reason is set */
    int reached;
} push_job;

static void *push_main(void *arg)
{
    push_job *j = arg;
    j->reached = j->reason ? fake_push_error(j->d, j->attr, j->reason, j->desc)
                           : fake_push_strings(j->d, j->attr, j->sv, j->n);
    return NULL;
}

static int run_job(push_job *j)
{
    pthread_t t;
    if (pthread_create(&t, NULL, push_main, j) != 0)
        abort();
    pthread_join(t, NULL);
    return j->reached;
}

int fake_push_strings_thread(fake_device *d, const char *attr, const char *const *sv, size_t n)
{
    push_job j = {.d = d, .attr = attr, .sv = sv, .n = n};
    return run_job(&j);
}

int fake_push_lrc_thread(fake_device *d, const char *id, const char *json)
{
    const char *sv[2] = {id, json};
    return fake_push_strings_thread(d, "_lrcEvent", sv, 2);
}

int fake_push_error_thread(fake_device *d, const char *attr, const char *reason,
                           const char *desc)
{
    push_job j = {.d = d, .attr = attr, .reason = reason, .desc = desc};
    return run_job(&j);
}

void fake_push_creation(fake_device *d, const char *id, bool on_thread)
{
    const char *v2[2] = {id, "{\"status\": 0}"};
    const char *v1[2] = {id, "STAGING"};
    if (on_thread) {
        fake_push_strings_thread(d, "_lrcEvent", v2, 2);
        fake_push_strings_thread(d, "longRunningCommandStatus", v1, 2);
    } else {
        fake_push_strings(d, "_lrcEvent", v2, 2);
        fake_push_strings(d, "longRunningCommandStatus", v1, 2);
    }
}

/* ---- attribute values and reads ------------------------------------------------------------ */

void fake_set_value(fake_device *d, const char *attr, const lrc_tg_value *v)
{
    pthread_mutex_lock(&d->mu);
    fake_value *set = value_of(d, attr);
    if (!set && v) {
        set = xmalloc(sizeof *set);
        set->attr = xstrdup(attr);
        set->next = d->values;
        d->values = set;
    }
    if (set && v) {
        lrc_tg_value_clear(&set->v);
        if (lrc_value_copy(&set->v, v) != LRC_OK)
            abort();
    } else if (set) {
        for (fake_value **pp = &d->values; *pp; pp = &(*pp)->next)
            if (*pp == set) {
                *pp = set->next;
                break;
            }
        free(set->attr);
        lrc_tg_value_clear(&set->v);
        free(set);
    }
    pthread_mutex_unlock(&d->mu);
}

void fake_set_strings(fake_device *d, const char *attr, const char *const *sv, size_t n)
{
    lrc_tg_value v = {.type = LRC_TG_STRING_ARRAY, .sv = (char **)sv, .ns = n};
    fake_set_value(d, attr, &v);
}

void fake_set_attribute_list(fake_device *d, const char *const *names, size_t n)
{
    char **copy = names ? xmalloc((n ? n : 1) * sizeof *copy) : NULL;
    for (size_t i = 0; names && i < n; i++)
        copy[i] = xstrdup(names[i]);
    pthread_mutex_lock(&d->mu);
    char **old = d->attr_names;
    size_t nold = d->nattr_names;
    d->attr_names = copy;
    d->nattr_names = names ? n : 0;
    pthread_mutex_unlock(&d->mu);
    for (size_t i = 0; i < nold; i++)
        free(old[i]);
    free(old);
}

void fake_fail_reads(fake_device *d, bool attrs, const char *attr)
{
    pthread_mutex_lock(&d->mu);
    d->fail_attrs = attrs;
    free(d->fail_read_attr);
    d->fail_read_attr = attr ? xstrdup(attr) : NULL;
    pthread_mutex_unlock(&d->mu);
}
