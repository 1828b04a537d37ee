/* kit_plain.c - plain (non-LRC) commands: an ordinary Tango command whose
 * body is the author's function, with typed input and a typed result filled
 * through lrc_reply. Runs on the Tango thread with the device lock held. */
#include "core/error_build.h"
#include "core/wire_text.h"
#include "server/kit.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct kit_plain {
    lrc_plain_command_def def; /* name owned by the entry */
    lrc_device *dev;
} kit_plain;

/* The result being built: the shim's output value, checked against the
 * declared kind by every setter. */
struct lrc_reply {
    lrc_arg_kind kind;
    lrc_tg_value *out;
    bool set;
};

static const char *const state_names[] = {
    "ON",     "OFF",   "CLOSE",   "OPEN",  "INSERT", "EXTRACT", "MOVING",
    "STANDBY", "FAULT", "INIT",   "RUNNING", "ALARM", "DISABLE", "UNKNOWN",
};

lrc_plain_command_def lrc_plain_command_def_init(const char *name, lrc_arg_kind in_kind,
                                                 lrc_arg_kind out_kind, lrc_plain_fn fn,
                                                 void *user)
{
    lrc_plain_command_def d;
    memset(&d, 0, sizeof d);
    d.size = sizeof d;
    d.name = name;
    d.in_kind = in_kind;
    d.out_kind = out_kind;
    d.fn = fn;
    d.user = user;
    return d;
}

const char *kit_plain_find(const lrc_device *dev, const char *name)
{
    for (size_t i = 0; i < dev->n_plain; i++)
        if (strcasecmp(name, dev->plain[i]->def.name) == 0)
            return dev->plain[i]->def.name;
    return NULL;
}

void kit_plain_free(lrc_device *dev)
{
    for (size_t i = 0; i < dev->n_plain; i++) {
        free((char *)dev->plain[i]->def.name);
        free(dev->plain[i]);
    }
    free(dev->plain);
    dev->plain = NULL;
    dev->n_plain = 0;
}

static bool kind_ok(lrc_arg_kind k)
{
    return (int)k >= (int)LRC_ARG_NONE && (int)k <= (int)LRC_ARG_JSON;
}

static int run_plain(lrc_tg_device *tg, void *user, const lrc_tg_value *in, lrc_tg_value *out,
                     lrc_error **err)
{
    (void)tg;
    kit_plain *p = user;
    const lrc_plain_command_def *def = &p->def;
    if (def->allowed && !def->allowed(p->dev, def->user)) {
        int st = (int)lrc_device_get_state(p->dev);
        const char *sn = st >= 0 && st <= LRC_DEV_UNKNOWN ? state_names[st] : "UNKNOWN";
        return lrc_command_fail(err, "API_CommandNotAllowed",
                                "Command %s not allowed when the device is in %s state",
                                def->name, sn);
    }
    lrc_arg arg;
    int rc = kit_arg_from_value(def->in_kind, in, &arg, err);
    if (rc != LRC_OK)
        return rc;
    lrc_reply reply = {.kind = def->out_kind, .out = out, .set = false};
    rc = def->fn(p->dev, &arg, &reply, def->user, err);
    if (rc != LRC_OK) {
        if (err && !*err) /* say which command failed, not only the code */
            lrc_fail(err, rc, "%s failed: %s", def->name, lrc_strerror(rc));
        return rc;
    }
    if (def->out_kind != LRC_ARG_NONE && !reply.set)
        return lrc_fail(err, LRC_EINVAL, "%s set no result", def->name);
    return LRC_OK;
}

int lrc_device_add_plain_command(lrc_device *dev, const lrc_plain_command_def *def,
                                 lrc_error **err)
{
    static const char who[] = "lrc_device_add_plain_command";
    if (!dev || !def || !def->name || !def->name[0] || !def->fn)
        return lrc_fail(err, LRC_EINVAL, "%s: name and fn are required", who);
    if (def->size < sizeof *def)
        return lrc_fail(err, LRC_EINVAL, "%s: use lrc_plain_command_def_init()", who);
    if (!kind_ok(def->in_kind) || !kind_ok(def->out_kind))
        return lrc_fail(err, LRC_EINVAL, "%s: %s: unknown argument kind %d -> %d", who,
                        def->name, (int)def->in_kind, (int)def->out_kind);
    int rc = kit_check_command_name(dev, who, def->name, err);
    if (rc != LRC_OK)
        return rc;
    kit_plain *p = calloc(1, sizeof *p);
    kit_plain **grown = realloc(dev->plain, (dev->n_plain + 1) * sizeof *grown);
    if (grown)
        dev->plain = grown;
    char *name = strdup(def->name);
    if (!p || !grown || !name) {
        free(p);
        free(name);
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    }
    p->def = *def;
    p->def.name = name;
    p->dev = dev;
    dev->plain[dev->n_plain++] = p;
    return lrc_tg_device_add_command(dev->tg, name, kit_arg_tango_type(def->in_kind),
                                     kit_arg_tango_type(def->out_kind), run_plain, p, err);
}

int lrc_command_fail(lrc_error **err, const char *reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lrc_error *e = lrc_error_newv(LRC_ETANGO, fmt, ap);
    va_end(ap);
    lrc_error_push(e, reason ? reason : "LRC_CommandFailed", lrc_error_message(e), "lrc_server",
                   LRC_SEVERITY_ERR);
    return lrc_error_give(err, e);
}

/* ---- the result ---------------------------------------------------------- */

/* Checks the kind and empties the output for a new value. */
static int begin(lrc_reply *r, lrc_arg_kind kind)
{
    if (!r || r->kind != kind)
        return LRC_EINVAL;
    return LRC_OK;
}

static void commit(lrc_reply *r, lrc_tg_value *v)
{
    lrc_tg_value_clear(r->out);
    *r->out = *v;
    r->set = true;
}

int lrc_reply_set_bool(lrc_reply *out, bool v)
{
    if (begin(out, LRC_ARG_BOOL) != LRC_OK)
        return LRC_EINVAL;
    lrc_tg_value t = {.type = LRC_TG_BOOLEAN, .i = v ? 1 : 0};
    commit(out, &t);
    return LRC_OK;
}

int lrc_reply_set_long(lrc_reply *out, int64_t v)
{
    if (begin(out, LRC_ARG_LONG) != LRC_OK)
        return LRC_EINVAL;
    lrc_tg_value t = {.type = LRC_TG_LONG64, .i = v};
    commit(out, &t);
    return LRC_OK;
}

int lrc_reply_set_double(lrc_reply *out, double v)
{
    if (begin(out, LRC_ARG_DOUBLE) != LRC_OK)
        return LRC_EINVAL;
    lrc_tg_value t = {.type = LRC_TG_DOUBLE, .d = v};
    commit(out, &t);
    return LRC_OK;
}

static int set_text(lrc_reply *out, const char *s)
{
    char *copy = strdup(s ? s : "");
    if (!copy)
        return LRC_ENOMEM;
    lrc_tg_value t = {.type = LRC_TG_STRING, .s = copy};
    commit(out, &t);
    return LRC_OK;
}

int lrc_reply_set_string(lrc_reply *out, const char *s)
{
    if (begin(out, LRC_ARG_STRING) != LRC_OK || (s && !lrc_utf8_valid(s, NULL)))
        return LRC_EINVAL;
    return set_text(out, s);
}

int lrc_reply_set_json(lrc_reply *out, const char *json_text)
{
    if (begin(out, LRC_ARG_JSON) != LRC_OK || !json_text || !lrc_utf8_valid(json_text, NULL))
        return LRC_EINVAL;
    json_error_t je;
    json_t *j = json_loads(json_text, JSON_DECODE_ANY, &je);
    if (!j)
        return LRC_EJSON;
    json_decref(j);
    return set_text(out, json_text);
}

int lrc_reply_set_long_array(lrc_reply *out, const int64_t *v, size_t n)
{
    if (begin(out, LRC_ARG_LONG_ARRAY) != LRC_OK || (n && !v))
        return LRC_EINVAL;
    int64_t *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy)
        return LRC_ENOMEM;
    if (n)
        memcpy(copy, v, n * sizeof *copy);
    lrc_tg_value t = {.type = LRC_TG_LONG64_ARRAY, .iv = copy, .ni = n};
    commit(out, &t);
    return LRC_OK;
}

int lrc_reply_set_double_array(lrc_reply *out, const double *v, size_t n)
{
    if (begin(out, LRC_ARG_DOUBLE_ARRAY) != LRC_OK || (n && !v))
        return LRC_EINVAL;
    double *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy)
        return LRC_ENOMEM;
    if (n)
        memcpy(copy, v, n * sizeof *copy);
    lrc_tg_value t = {.type = LRC_TG_DOUBLE_ARRAY, .dv = copy, .nd = n};
    commit(out, &t);
    return LRC_OK;
}

int lrc_reply_set_string_array(lrc_reply *out, const char *const *v, size_t n)
{
    if (begin(out, LRC_ARG_STRING_ARRAY) != LRC_OK || (n && !v))
        return LRC_EINVAL;
    for (size_t k = 0; k < n; k++)
        if (v[k] && !lrc_utf8_valid(v[k], NULL))
            return LRC_EINVAL;
    char **copy = calloc(n ? n : 1, sizeof *copy);
    if (!copy)
        return LRC_ENOMEM;
    lrc_tg_value t = {.type = LRC_TG_STRING_ARRAY, .sv = copy, .ns = n};
    for (size_t k = 0; k < n; k++)
        if (!(copy[k] = strdup(v[k] ? v[k] : ""))) {
            lrc_tg_value_clear(&t);
            return LRC_ENOMEM;
        }
    commit(out, &t);
    return LRC_OK;
}
