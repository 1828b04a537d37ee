/*
 * decode.c - one Tango event of an LRC attribute as the updates of one
 * invocation (spec sections 1.4, 1.5 and 2.3).
 *
 * Every decoder follows the same shape: find our command ID in the value
 * (no ID: not our traffic, nothing to deliver), then build the updates and
 * log lines in *out. Malformed values become an error update plus an error
 * log line, as the Python client's logger.exception + callback(error=...).
 * Nothing is half-delivered: on LRC_ENOMEM the caller gets an empty *out.
 */
#include "core/decode.h"

#include "core/error_build.h"
#include "core/json_text.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* DevError reasons of the error updates this decoder makes. */
#define REASON_MALFORMED "LRC_MalformedEvent"
#define REASON_UNKNOWN_STATUS "LRC_UnknownTaskStatus"
#define ERROR_ORIGIN "lrc_decode_value"

/* ------------------------------------------------------------------------
 * Attribute names
 * ---------------------------------------------------------------------- */

static const char *const stream_attrs[LRC_STREAM_OTHER] = {
    [LRC_STREAM_LRC_EVENT] = "_lrcEvent",
    [LRC_STREAM_V1_STATUS] = "longRunningCommandStatus",
    [LRC_STREAM_V1_PROGRESS] = "longRunningCommandProgress",
    [LRC_STREAM_V1_RESULT] = "longRunningCommandResult",
};

const char *lrc_stream_attr(lrc_stream_kind kind)
{
    return (unsigned)kind < LRC_STREAM_OTHER ? stream_attrs[kind] : NULL;
}

lrc_stream_kind lrc_stream_kind_of(const char *attr)
{
    if (!attr)
        return LRC_STREAM_OTHER;
    /* Events name the attribute in full, lower-cased, e.g.
     * "tango://host:10000/test/lrc/1/_lrcevent", and without a database
     * with a "#dbase=no" suffix: compare only the last component. */
    const char *slash = strrchr(attr, '/');
    const char *name = slash ? slash + 1 : attr;
    size_t len = strcspn(name, "#");
    for (int k = 0; k < LRC_STREAM_OTHER; k++)
        if (strlen(stream_attrs[k]) == len && strncasecmp(name, stream_attrs[k], len) == 0)
            return (lrc_stream_kind)k;
    return LRC_STREAM_OTHER;
}

/* ------------------------------------------------------------------------
 * Owned data
 * ---------------------------------------------------------------------- */

void lrc_decoded_clear(lrc_decoded *d)
{
    if (!d)
        return;
    free(d->result_json);
    free(d->result_message);
    lrc_error_free(d->error);
    free(d->extra_json);
    free(d->status_raw);
    memset(d, 0, sizeof *d);
}

void lrc_decode_out_clear(lrc_decode_out *out)
{
    if (!out)
        return;
    /* Every slot, not only the first n: out is zeroed before decoding, so
     * unused slots are empty and clearing them is harmless. */
    for (size_t i = 0; i < LRC_DECODE_MAX_UPDATES; i++)
        lrc_decoded_clear(&out->upd[i]);
    for (size_t i = 0; i < LRC_DECODE_MAX_LOGS; i++)
        free(out->logs[i].text);
    memset(out, 0, sizeof *out);
}

bool lrc_decode_out_only_progress(const lrc_decode_out *out)
{
    if (out->nlogs > 0)
        return false;
    for (size_t i = 0; i < out->n; i++)
        if (out->upd[i].has & ~(unsigned)LRC_HAS_PROGRESS)
            return false;
    return true;
}

void lrc_decode_state_clear(lrc_decode_state *st)
{
    if (!st)
        return;
    free(st->v1_last_status);
    st->v1_last_status = NULL;
}

/* ------------------------------------------------------------------------
 * Building the outcome
 * ---------------------------------------------------------------------- */

/* Appends a log line, taking ownership of text (NULL: out of memory). */
static int add_log(lrc_decode_out *out, int level, char *text)
{
    if (!text)
        return LRC_ENOMEM;
    if (out->nlogs >= LRC_DECODE_MAX_LOGS) { /* no decoder logs more */
        free(text);
        return LRC_EINTERNAL;
    }
    out->logs[out->nlogs].level = level;
    out->logs[out->nlogs].text = text;
    out->nlogs++;
    return LRC_OK;
}

/* Moves *d into the next update slot; *d is left zeroed either way. */
static int add_update(lrc_decode_out *out, lrc_decoded *d)
{
    if (out->n >= LRC_DECODE_MAX_UPDATES) { /* no decoder delivers more */
        lrc_decoded_clear(d);
        return LRC_EINTERNAL;
    }
    out->upd[out->n++] = *d;
    memset(d, 0, sizeof *d);
    return LRC_OK;
}

/* An error update and its log line, for a value the Python client would
 * meet with logger.exception + callback(error=...). Takes ownership of msg
 * (NULL: out of memory). */
static int add_error_update(lrc_decode_out *out, const char *reason, char *msg)
{
    if (!msg)
        return LRC_ENOMEM;
    lrc_decoded d = {.has = LRC_HAS_ERROR};
    d.error = lrc_error_new(LRC_EJSON, "%s", msg);
    /* lrc_error_new degrades to a static out-of-memory error that refuses
     * pushes, so this one check covers both allocations. */
    int rc = lrc_error_push(d.error, reason, msg, ERROR_ORIGIN, LRC_SEVERITY_ERR);
    if (rc == LRC_OK)
        rc = add_log(out, LRC_LOG_ERROR, msg);
    else
        free(msg);
    if (rc == LRC_OK)
        rc = add_update(out, &d);
    lrc_decoded_clear(&d);
    return rc;
}

/* A status that is no TaskStatus: the error update first, then (by the
 * caller) the normal update, which carries the raw value instead of a
 * status. shown is the value as the message prints it; raw (JSON text) is
 * owned and given to d. */
static int unknown_status(lrc_decode_out *out, const char *id, const char *shown, char *raw,
                          lrc_decoded *d)
{
    if (!raw)
        return LRC_ENOMEM;
    int rc = add_error_update(
        out, REASON_UNKNOWN_STATUS,
        lrc_asprintf("Received unknown TaskStatus from '%s' command: %s", id, shown));
    if (rc != LRC_OK) {
        free(raw);
        return rc;
    }
    d->has |= LRC_HAS_UNKNOWN_STATUS;
    d->status_raw = raw;
    return LRC_OK;
}

/* The warning of a progress that is no integer (Python names the type). */
static int progress_warning(lrc_decode_out *out, const char *id, const char *type)
{
    return add_log(out, LRC_LOG_WARNING,
                   lrc_asprintf("'%s' command progress is not an int, but %s. Its type may be "
                                "checked and enforced in the future.",
                                id, type));
}

/* ------------------------------------------------------------------------
 * JSON helpers
 * ---------------------------------------------------------------------- */

/* Python's type() name of a JSON value, for the progress warning. */
static const char *python_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "dict";
    case JSON_ARRAY: return "list";
    case JSON_STRING: return "str";
    case JSON_INTEGER: return "int";
    case JSON_REAL: return "float";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: return "NoneType";
    }
    return "object";
}

/* A C string as JSON text, e.g. FOO -> "FOO" with the quotes. */
static char *json_quote(const char *s)
{
    json_t *j = lrc_json_string_wire(s);
    char *text = lrc_json_dumps(j);
    json_decref(j);
    return text;
}

/* Adds key -> val to the object *extra, creating it on first use. */
static int put_extra(json_t **extra, const char *key, size_t key_len, json_t *val)
{
    if (!*extra && !(*extra = json_object()))
        return LRC_ENOMEM;
    return json_object_setn(*extra, key, key_len, val) == 0 ? LRC_OK : LRC_ENOMEM;
}

/* Stores *extra as d's extra_json (if there is one) and releases it. */
static int take_extra(lrc_decoded *d, json_t **extra)
{
    if (!*extra)
        return LRC_OK;
    d->extra_json = lrc_json_dumps(*extra);
    json_decref(*extra);
    *extra = NULL;
    if (!d->extra_json)
        return LRC_ENOMEM;
    d->has |= LRC_HAS_EXTRA;
    return LRC_OK;
}

int lrc_decoded_set_result(lrc_decoded *d, const json_t *result)
{
    d->result_json = lrc_json_dumps(result);
    if (!d->result_json)
        return LRC_ENOMEM;
    d->has |= LRC_HAS_RESULT;
    if (!json_is_array(result) || json_array_size(result) != 2)
        return LRC_OK;
    const json_t *code = json_array_get(result, 0), *msg = json_array_get(result, 1);
    if (!json_is_integer(code) || !json_is_string(msg))
        return LRC_OK;
    json_int_t c = json_integer_value(code);
    if (c < INT_MIN || c > INT_MAX) /* not a ResultCode: the JSON text says it all */
        return LRC_OK;
    d->result_message = strdup(json_string_value(msg));
    if (!d->result_message)
        return LRC_ENOMEM;
    d->result_code = (int)c;
    d->has |= LRC_HAS_RESULT_CODE;
    return LRC_OK;
}

static bool key_is(const char *key, size_t key_len, const char *name)
{
    return key_len == strlen(name) && memcmp(key, name, key_len) == 0;
}

/* ------------------------------------------------------------------------
 * Finding our command in a value
 * ---------------------------------------------------------------------- */

/* v2 and the v1 result carry one command: element 0. */
static bool first_is(const lrc_tg_value *v, const char *id)
{
    return v->sv[0] && strcmp(v->sv[0], id) == 0;
}

/* The v1 status and progress lists hold every command: the position of the
 * first element equal to id, as Python's list.index. */
static bool find_id(const lrc_tg_value *v, const char *id, size_t *at)
{
    for (size_t i = 0; i < v->ns; i++) {
        if (v->sv[i] && strcmp(v->sv[i], id) == 0) {
            *at = i;
            return true;
        }
    }
    return false;
}

static const char *element(const lrc_tg_value *v, size_t i)
{
    return v->sv[i] ? v->sv[i] : "";
}

/* ------------------------------------------------------------------------
 * Protocol v2: _lrcEvent [id, json object]
 * ---------------------------------------------------------------------- */

static int v2_status(lrc_decode_out *out, const char *id, const json_t *val, lrc_decoded *d)
{
    if (!val)
        return LRC_OK;
    if (json_is_integer(val) && json_integer_value(val) >= LRC_STATUS_STAGING &&
        json_integer_value(val) <= LRC_STATUS_FAILED) {
        d->has |= LRC_HAS_STATUS;
        d->status = (lrc_status)json_integer_value(val);
        return LRC_OK;
    }
    char *raw = lrc_json_dumps(val);
    return unknown_status(out, id, raw ? raw : "", raw, d);
}

/* A non-integer progress is only warned about here; the key loop of
 * decode_v2_object forwards its raw value among the extra keys. */
static int v2_progress(lrc_decode_out *out, const char *id, const json_t *val, lrc_decoded *d)
{
    if (!val)
        return LRC_OK;
    if (json_is_integer(val)) {
        d->has |= LRC_HAS_PROGRESS;
        d->progress = json_integer_value(val);
        return LRC_OK;
    }
    return progress_warning(out, id, python_type_name(val));
}

/* One update with every key of the object. status and progress are looked
 * at first, whatever their place in the object, so that the log lines come
 * in the Python client's order; the other keys keep the event's order. */
static int decode_v2_object(lrc_decode_out *out, const char *id, json_t *obj)
{
    lrc_decoded d = {0};
    json_t *extra = NULL;
    int rc = v2_status(out, id, json_object_get(obj, "status"), &d);
    if (rc == LRC_OK)
        rc = v2_progress(out, id, json_object_get(obj, "progress"), &d);

    const char *key;
    size_t key_len;
    json_t *val;
    json_object_keylen_foreach(obj, key, key_len, val)
    {
        if (rc != LRC_OK)
            break;
        if (key_is(key, key_len, "status"))
            continue;
        if (key_is(key, key_len, "progress") && (d.has & LRC_HAS_PROGRESS))
            continue;
        if (key_is(key, key_len, "result"))
            rc = lrc_decoded_set_result(&d, val);
        else
            rc = put_extra(&extra, key, key_len, val);
    }
    if (rc == LRC_OK)
        rc = take_extra(&d, &extra);
    if (rc == LRC_OK)
        rc = add_update(out, &d);
    json_decref(extra);
    lrc_decoded_clear(&d);
    return rc;
}

/* The status of an event that is not JSON even to Python (truncated, say):
 * the first `"status": <TaskStatus>` in the text. Losing a terminal status
 * would leave the invocation waiting for ever; its result stays lost. */
static bool recover_status(const char *text, lrc_status *st)
{
    for (const char *p = strstr(text, "\"status\""); p; p = strstr(p + 1, "\"status\"")) {
        const char *q = p + strlen("\"status\"");
        q += strspn(q, " \t\r\n");
        if (*q != ':')
            continue;
        q++;
        q += strspn(q, " \t\r\n");
        if (*q >= '0' + LRC_STATUS_STAGING && *q <= '0' + LRC_STATUS_FAILED &&
            strchr(",} \t\r\n", q[1]) && q[1]) {
            *st = (lrc_status)(*q - '0');
            return true;
        }
    }
    return false;
}

static int decode_v2(lrc_decode_out *out, const char *id, const lrc_tg_value *v)
{
    if (!first_is(v, id))
        return LRC_OK;
    if (v->ns < 2) {
        out->unreadable = true;
        return add_error_update(
            out, REASON_MALFORMED,
            lrc_asprintf("'%s' command has no status/progress/result value", id));
    }
    const char *text = element(v, 1);
    json_t *obj;
    int rc = lrc_json_parse(text, &obj);
    if (rc != LRC_OK)
        return rc;
    if (!json_is_object(obj)) {
        rc = add_error_update(
            out, REASON_MALFORMED,
            lrc_asprintf("'%s' command sent a malformed event: %s", id, text));
        lrc_decoded d = {0};
        if (rc == LRC_OK && !obj && recover_status(text, &d.status)) {
            d.has = LRC_HAS_STATUS; /* a final status is never swallowed */
            rc = add_update(out, &d);
        } else {
            out->unreadable = true; /* whether it was terminal, the device knows */
        }
    } else
        rc = decode_v2_object(out, id, obj);
    json_decref(obj);
    return rc;
}

/* ------------------------------------------------------------------------
 * Protocol v1: three flat lists
 * ---------------------------------------------------------------------- */

/* The element after our ID in a v1 list; NULL (after adding the error
 * update "... has no <what> value", *rc telling whether that worked) when
 * the ID is the last element. */
static const char *v1_value_after(lrc_decode_out *out, const char *id, const lrc_tg_value *v,
                                  size_t at, const char *what, int *rc)
{
    if (at + 1 < v->ns)
        return element(v, at + 1);
    *rc = add_error_update(out, REASON_MALFORMED,
                           lrc_asprintf("'%s' command has no %s value", id, what));
    return NULL;
}

static int decode_v1_status(lrc_decode_out *out, const char *id, const lrc_tg_value *v,
                            lrc_decode_state *st)
{
    size_t at;
    int rc = LRC_OK;
    if (!find_id(v, id, &at))
        return LRC_OK;
    const char *text = v1_value_after(out, id, v, at, "status", &rc);
    if (!text)
        return rc;
    /* Every push of the shared list repeats every command's status: only a
     * change is news (our documented difference from the Python client). */
    if (st && st->v1_last_status && strcmp(st->v1_last_status, text) == 0)
        return LRC_OK;
    char *remember = NULL;
    if (st && !(remember = strdup(text)))
        return LRC_ENOMEM;

    lrc_decoded d = {0};
    lrc_status status;
    if (lrc_status_from_name(text, &status)) {
        d.has = LRC_HAS_STATUS;
        d.status = status;
    } else {
        rc = unknown_status(out, id, text, json_quote(text), &d);
    }
    if (rc == LRC_OK)
        rc = add_update(out, &d);
    lrc_decoded_clear(&d);
    /* Remember only what was delivered, so that a failed decode is retried
     * in full by the next push. */
    if (rc == LRC_OK && st) {
        free(st->v1_last_status);
        st->v1_last_status = remember;
    } else {
        free(remember);
    }
    return rc;
}

bool lrc_decode_v1_int(const char *text, int64_t *value)
{
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (end == text || errno == ERANGE)
        return false; /* no digits, or too big for the typed field */
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return false;
    *value = n;
    return true;
}

static int decode_v1_progress(lrc_decode_out *out, const char *id, const lrc_tg_value *v)
{
    size_t at;
    int rc = LRC_OK;
    if (!find_id(v, id, &at))
        return LRC_OK;
    const char *text = v1_value_after(out, id, v, at, "progress", &rc);
    if (!text)
        return rc;

    lrc_decoded d = {0};
    json_t *extra = NULL;
    if (lrc_decode_v1_int(text, &d.progress)) {
        d.has = LRC_HAS_PROGRESS;
    } else {
        json_t *raw = lrc_json_string_wire(text);
        rc = progress_warning(out, id, "str");
        if (rc == LRC_OK)
            rc = raw ? put_extra(&extra, "progress", strlen("progress"), raw) : LRC_ENOMEM;
        json_decref(raw);
        if (rc == LRC_OK)
            rc = take_extra(&d, &extra);
    }
    if (rc == LRC_OK)
        rc = add_update(out, &d);
    json_decref(extra);
    lrc_decoded_clear(&d);
    return rc;
}

static int decode_v1_result(lrc_decode_out *out, const char *id, const lrc_tg_value *v)
{
    /* The attribute holds only the most recent result: element 0 only. */
    if (!first_is(v, id))
        return LRC_OK;
    if (v->ns < 2)
        return add_error_update(out, REASON_MALFORMED,
                                lrc_asprintf("'%s' command has no result value", id));
    const char *text = element(v, 1);
    json_t *result;
    int rc = lrc_json_parse(text, &result);
    if (rc != LRC_OK)
        return rc;
    if (!result)
        return add_error_update(
            out, REASON_MALFORMED,
            lrc_asprintf("'%s' command sent a malformed result: %s", id, text));
    lrc_decoded d = {0};
    rc = lrc_decoded_set_result(&d, result);
    json_decref(result);
    if (rc == LRC_OK)
        rc = add_update(out, &d);
    lrc_decoded_clear(&d);
    return rc;
}

/* ------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------- */

static int decode_kind(lrc_stream_kind kind, const char *id, const lrc_tg_value *v,
                       lrc_decode_state *st, lrc_decode_out *out)
{
    switch (kind) {
    case LRC_STREAM_LRC_EVENT: return decode_v2(out, id, v);
    case LRC_STREAM_V1_STATUS: return decode_v1_status(out, id, v, st);
    case LRC_STREAM_V1_PROGRESS: return decode_v1_progress(out, id, v);
    case LRC_STREAM_V1_RESULT: return decode_v1_result(out, id, v);
    case LRC_STREAM_OTHER: break;
    }
    return LRC_OK;
}

int lrc_decode_value(lrc_stream_kind kind, const char *command_id, const lrc_tg_value *v,
                     lrc_decode_state *st, lrc_decode_out *out)
{
    if (!out)
        return LRC_EINVAL;
    memset(out, 0, sizeof *out);
    /* Only a string spectrum can carry an ID. An empty ID matches nothing:
     * the initial values ("" / ["", ""]) must never look like ours. */
    if (!command_id || !*command_id || !v || v->type != LRC_TG_STRING_ARRAY || v->ns == 0 ||
        !v->sv)
        return LRC_OK;
    int rc = decode_kind(kind, command_id, v, st, out);
    if (rc != LRC_OK) {
        lrc_decode_out_clear(out);
        return rc;
    }
    const lrc_decoded *last = out->n ? &out->upd[out->n - 1] : NULL;
    out->terminal = last && (last->has & LRC_HAS_STATUS) && lrc_status_is_terminal(last->status);
    return LRC_OK;
}

/* "<reason>: <desc>; ..." of every DevError, innermost first (the stack's
 * order), or the error's message when it has no stack. */
static char *describe_errors(const lrc_error *e)
{
    size_t count = lrc_error_count(e);
    if (count == 0)
        return strdup(lrc_error_message(e));
    size_t len = 1;
    for (size_t i = 0; i < count; i++) {
        const lrc_dev_error *d = lrc_error_at(e, i);
        len += strlen(d->reason) + strlen(d->desc) + 4; /* ": " and "; " */
    }
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        const lrc_dev_error *d = lrc_error_at(e, i);
        size_t r = strlen(d->reason), ds = strlen(d->desc);
        if (i > 0) {
            memcpy(p, "; ", 2);
            p += 2;
        }
        memcpy(p, d->reason, r);
        p += r;
        memcpy(p, ": ", 2);
        p += 2;
        memcpy(p, d->desc, ds);
        p += ds;
    }
    *p = '\0';
    return s;
}

/* A deep copy, or NULL when out of memory. lrc_error_dup degrades to the
 * static out-of-memory error for a stackless error: that is no copy. */
static lrc_error *copy_error(const lrc_error *e)
{
    lrc_error *c = lrc_error_dup(e);
    if (c && (lrc_error_code(c) != lrc_error_code(e) ||
              strcmp(lrc_error_message(c), lrc_error_message(e)) != 0)) {
        lrc_error_free(c); /* a no-op for the static one */
        return NULL;
    }
    return c;
}

/* The error update and its log line "'<who>'<what> encountered error(s):
 * <errors>". */
static int decode_error(const char *who, const char *what, const lrc_error *error,
                        lrc_decode_out *out)
{
    if (!out)
        return LRC_EINVAL;
    memset(out, 0, sizeof *out);
    if (!who || !error)
        return LRC_EINVAL;
    char *errors = describe_errors(error);
    int rc = add_log(out, LRC_LOG_ERROR,
                     errors ? lrc_asprintf("'%s'%s encountered error(s): %s", who, what, errors)
                            : NULL);
    free(errors);
    lrc_decoded d = {.has = LRC_HAS_ERROR};
    if (rc == LRC_OK) {
        d.error = copy_error(error);
        rc = d.error ? add_update(out, &d) : LRC_ENOMEM;
    }
    if (rc != LRC_OK)
        lrc_decode_out_clear(out);
    return rc;
}

int lrc_decode_error(const char *command_id, const lrc_error *error, lrc_decode_out *out)
{
    return decode_error(command_id, " command", error, out);
}

int lrc_decode_stream_error(const char *source, const lrc_error *error, lrc_decode_out *out)
{
    return decode_error(source, "", error, out);
}
