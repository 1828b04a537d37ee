/* update_json.c - updates and errors as the JSON objects the tool prints
 * (lrc --json; the terminal view reads the same objects). */
#include "cli/cli.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *severity_name(int s)
{
    switch (s) {
    case LRC_SEVERITY_WARN: return "WARN";
    case LRC_SEVERITY_PANIC: return "PANIC";
    default: return "ERR";
    }
}

json_t *cli_error_stack_json(const lrc_error *e)
{
    json_t *list = json_array();
    size_t n = lrc_error_count(e);
    for (size_t i = 0; i < n; i++) {
        const lrc_dev_error *d = lrc_error_at(e, i);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "reason", d->reason, "desc",
                                              d->desc, "origin", d->origin, "severity",
                                              severity_name(d->severity)));
    }
    if (n == 0 && e)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "reason", "LRC_Error",
                                              "desc", lrc_error_message(e), "origin", "lrc",
                                              "severity", "ERR"));
    return list;
}

const char *cli_code_name(int rc)
{
    switch (rc) {
    case LRC_OK: return "LRC_OK";
    case LRC_EINVAL: return "LRC_EINVAL";
    case LRC_ENOMEM: return "LRC_ENOMEM";
    case LRC_ETANGO: return "LRC_ETANGO";
    case LRC_EREJECTED: return "LRC_EREJECTED";
    case LRC_ERESULTCODE: return "LRC_ERESULTCODE";
    case LRC_EPROTOCOL: return "LRC_EPROTOCOL";
    case LRC_ETIMEDOUT: return "LRC_ETIMEDOUT";
    case LRC_ECLOSED: return "LRC_ECLOSED";
    case LRC_ENOTFOUND: return "LRC_ENOTFOUND";
    case LRC_EJSON: return "LRC_EJSON";
    case LRC_ESTATE: return "LRC_ESTATE";
    case LRC_EFULL: return "LRC_EFULL";
    case LRC_EDEADLK: return "LRC_EDEADLK";
    default: return "LRC_EINTERNAL";
    }
}

json_t *cli_error_json(int rc, const lrc_error *e)
{
    return json_pack("{s:s, s:s, s:o}", "code", cli_code_name(rc), "message",
                     e ? lrc_error_message(e) : lrc_strerror(rc), "stack",
                     cli_error_stack_json(e));
}

/* A JSON text of the library (always valid) as a value; null if not. */
static json_t *parse(const char *text)
{
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
    return v ? v : json_null();
}

json_t *cli_update_json(const lrc_update *u, const char *device, double t0)
{
    json_t *o = json_object();
    json_object_set_new(o, "device", json_string(device));
    if (u->command_id)
        json_object_set_new(o, "command_id", json_string(u->command_id));
    if (u->has & LRC_HAS_STATUS) {
        json_object_set_new(o, "status", json_string(lrc_status_name(u->status)));
    } else if (u->has & LRC_HAS_UNKNOWN_STATUS) {
        json_object_set_new(o, "status", json_null()); /* as Python: status=None */
        json_object_set_new(o, "status_raw", parse(u->status_raw));
    }
    if (u->has & LRC_HAS_PROGRESS)
        json_object_set_new(o, "progress", json_integer(u->progress));
    if (u->has & LRC_HAS_RESULT)
        json_object_set_new(o, "result", parse(u->result_json));
    if (u->has & LRC_HAS_ERROR)
        json_object_set_new(o, "error", cli_error_stack_json(u->error));
    if (u->has & LRC_HAS_EXTRA) {
        /* extra keys never replace the ones above */
        json_t *extra = parse(u->extra_json);
        if (json_is_object(extra))
            json_object_update_missing(o, extra);
        json_decref(extra);
    }
    if (u->has & LRC_HAS_END) {
        /* the library ended it, not the device: never a "status" */
        const char *end = lrc_end_name(u->end);
        json_object_set_new(o, "end", end ? json_string(end) : json_integer(u->end));
        if (u->has & LRC_HAS_LAST_STATUS)
            json_object_set_new(o, "last_status", json_string(lrc_status_name(u->last_status)));
    }
    if (u->final)
        json_object_set_new(o, "final", json_true());
    json_object_set_new(o, "elapsed", cli_elapsed_json(t0));
    return o;
}

json_t *cli_elapsed_json(double t0)
{
    return json_real((double)(int64_t)((cli_now() - t0) * 1000) / 1000);
}

bool cli_update_key_is_ours(const char *key)
{
    static const char *const ours[] = {"device", "command_id", "status", "status_raw", "progress",
                                       "result", "error", "final", "elapsed", "end",
                                       "last_status"};
    for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
        if (strcmp(key, ours[i]) == 0)
            return true;
    return false;
}

void cli_print_json_line(json_t *obj)
{
    char *text = json_dumps(obj, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENSURE_ASCII |
                                     JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));
    json_decref(obj);
    if (!text)
        return;
    fputs(text, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(text);
}

/* Appends the text of v to *buf (growing it); false when out of memory. */
static bool append_text(char **buf, size_t *len, const char *text)
{
    size_t n = strlen(text);
    char *grown = realloc(*buf, *len + n + 1);
    if (!grown)
        return false;
    memcpy(grown + *len, text, n + 1);
    *buf = grown;
    *len += n;
    return true;
}

static bool append_value(char **buf, size_t *len, const json_t *v)
{
    size_t i;
    const char *key;
    json_t *item;
    bool ok = true;
    if (json_is_array(v)) {
        ok = append_text(buf, len, "[");
        json_array_foreach(v, i, item) ok = ok && (i == 0 || append_text(buf, len, ", ")) &&
                                            append_value(buf, len, item);
        return ok && append_text(buf, len, "]");
    }
    if (json_is_object(v)) {
        ok = append_text(buf, len, "{");
        i = 0;
        json_object_foreach((json_t *)v, key, item)
        {
            json_t *k = json_string(key);
            ok = ok && (i++ == 0 || append_text(buf, len, ", ")) && append_value(buf, len, k) &&
                 append_text(buf, len, ": ") && append_value(buf, len, item);
            json_decref(k);
        }
        return ok && append_text(buf, len, "}");
    }
    char *scalar = json_dumps(v, JSON_ENCODE_ANY);
    ok = scalar && append_text(buf, len, scalar);
    free(scalar);
    return ok;
}

char *cli_json_text(const json_t *v)
{
    char *buf = NULL;
    size_t len = 0;
    if (!append_text(&buf, &len, "") || !append_value(&buf, &len, v)) {
        free(buf);
        return NULL;
    }
    return buf;
}
