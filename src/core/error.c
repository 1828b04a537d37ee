/* error.c - lrc_error objects and lrc_strerror(). */
#include "core/error_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lrc_error {
    int code;
    char *message;
    lrc_dev_error *stack;
    size_t count;
    int is_static; /* the out-of-memory fallback is never freed */
};

static lrc_error oom_error = {LRC_ENOMEM, "out of memory", NULL, 0, 1};

const char *lrc_strerror(int code)
{
    switch (code) {
    case LRC_OK: return "success";
    case LRC_EINVAL: return "invalid argument";
    case LRC_ENOMEM: return "out of memory";
    case LRC_ETANGO: return "Tango call failed";
    case LRC_EREJECTED: return "command rejected by the device";
    case LRC_ERESULTCODE: return "unexpected result code";
    case LRC_EPROTOCOL: return "no common LRC protocol version";
    case LRC_ETIMEDOUT: return "timed out";
    case LRC_ECLOSED: return "closed";
    case LRC_ENOTFOUND: return "not found";
    case LRC_EJSON: return "malformed JSON";
    case LRC_ESTATE: return "invalid state for this call";
    case LRC_EFULL: return "queue full";
    case LRC_EINTERNAL: return "internal error";
    case LRC_EDEADLK: return "would wait for itself (deadlock)";
    default: return "unknown error code";
    }
}

char *lrc_vasprintf(const char *fmt, va_list ap)
{
    if (!fmt)
        return NULL;
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *lrc_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = lrc_vasprintf(fmt, ap);
    va_end(ap);
    return s;
}

lrc_error *lrc_error_newv(int code, const char *fmt, va_list ap)
{
    lrc_error *e = calloc(1, sizeof *e);
    if (!e)
        return &oom_error;
    e->code = code;
    e->message = lrc_vasprintf(fmt ? fmt : "", ap);
    if (!e->message) {
        free(e);
        return &oom_error;
    }
    return e;
}

lrc_error *lrc_error_new(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lrc_error *e = lrc_error_newv(code, fmt, ap);
    va_end(ap);
    return e;
}

void lrc_error_set(lrc_error *e, int code, const char *fmt, ...)
{
    if (!e || e->is_static)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *m = lrc_vasprintf(fmt, ap);
    va_end(ap);
    if (m) {
        free(e->message);
        e->message = m;
    }
    e->code = code;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

int lrc_error_push(lrc_error *e, const char *reason, const char *desc, const char *origin,
                   int severity)
{
    if (!e || e->is_static)
        return LRC_ENOMEM;
    lrc_dev_error *grown = realloc(e->stack, (e->count + 1) * sizeof *grown);
    if (!grown)
        return LRC_ENOMEM;
    e->stack = grown;
    lrc_dev_error *d = &e->stack[e->count];
    char *r = dup_or_empty(reason), *ds = dup_or_empty(desc), *o = dup_or_empty(origin);
    if (!r || !ds || !o) {
        free(r);
        free(ds);
        free(o);
        return LRC_ENOMEM;
    }
    d->reason = r;
    d->desc = ds;
    d->origin = o;
    d->severity = severity;
    e->count++;
    return LRC_OK;
}

int lrc_error_give(lrc_error **out, lrc_error *e)
{
    int code = e ? e->code : LRC_EINTERNAL;
    if (out)
        *out = e;
    else
        lrc_error_free(e);
    return code;
}

int lrc_fail(lrc_error **out, int code, const char *fmt, ...)
{
    if (!out)
        return code;
    va_list ap;
    va_start(ap, fmt);
    lrc_error *e = lrc_error_newv(code, fmt, ap);
    va_end(ap);
    return lrc_error_give(out, e);
}

int lrc_error_code(const lrc_error *e)
{
    return e ? e->code : LRC_OK;
}

const char *lrc_error_message(const lrc_error *e)
{
    return e && e->message ? e->message : "";
}

size_t lrc_error_count(const lrc_error *e)
{
    return e ? e->count : 0;
}

const lrc_dev_error *lrc_error_at(const lrc_error *e, size_t i)
{
    return e && i < e->count ? &e->stack[i] : NULL;
}

lrc_error *lrc_error_dup(const lrc_error *e)
{
    if (!e)
        return NULL;
    lrc_error *c = lrc_error_new(e->code, "%s", e->message ? e->message : "");
    for (size_t i = 0; i < e->count; i++) {
        const lrc_dev_error *d = &e->stack[i];
        if (lrc_error_push(c, d->reason, d->desc, d->origin, d->severity) != LRC_OK) {
            lrc_error_free(c);
            return NULL;
        }
    }
    return c;
}

void lrc_error_free(lrc_error *e)
{
    if (!e || e->is_static)
        return;
    for (size_t i = 0; i < e->count; i++) {
        free((char *)e->stack[i].reason);
        free((char *)e->stack[i].desc);
        free((char *)e->stack[i].origin);
    }
    free(e->stack);
    free(e->message);
    free(e);
}
