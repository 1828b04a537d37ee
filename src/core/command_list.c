/* command_list.c - see command_list.h: the items of lrcQueue /
 * lrcExecuting / lrcFinished and the v1 lists as lrc_command_info entries,
 * and the public accessors of the list. */
#include "core/command_list.h"

#include "core/decode.h"
#include "core/error_build.h"
#include "core/json_text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct lrc_command_list {
    lrc_command_info *v; /* every string malloc'd, owned here */
    size_t n, cap;
    size_t malformed;
    char *reason; /* of the first malformed item */
};

static const char *source_attr(lrc_command_source src)
{
    switch (src) {
    case LRC_SOURCE_QUEUE: return "lrcQueue";
    case LRC_SOURCE_EXECUTING: return "lrcExecuting";
    case LRC_SOURCE_FINISHED: return "lrcFinished";
    case LRC_SOURCE_V1_STATUS: break;
    }
    return "longRunningCommandStatus";
}

static void info_clear(lrc_command_info *c)
{
    free((char *)c->command_id);
    free((char *)c->name);
    free((char *)c->submitted_time);
    free((char *)c->started_time);
    free((char *)c->finished_time);
    free((char *)c->result_json);
    free((char *)c->result_message);
    free((char *)c->extra_json);
    memset(c, 0, sizeof *c);
}

lrc_command_list *lrc_command_list_new(void) { return calloc(1, sizeof(lrc_command_list)); }

int lrc_command_list_add_malformed(lrc_command_list *l, char *reason)
{
    l->malformed++;
    if (!l->reason)
        l->reason = reason;
    else
        free(reason);
    return l->reason ? LRC_OK : LRC_ENOMEM;
}

/* Moves *c to the end of the list (*c is cleared either way). */
static int append(lrc_command_list *l, lrc_command_info *c)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        lrc_command_info *grown = realloc(l->v, cap * sizeof *grown);
        if (!grown) {
            info_clear(c);
            return LRC_ENOMEM;
        }
        l->v = grown;
        l->cap = cap;
    }
    l->v[l->n++] = *c;
    memset(c, 0, sizeof *c);
    return LRC_OK;
}

/* The start of a text from the device, for a message: at most 60 bytes,
 * cut at a UTF-8 character boundary. malloc'd or NULL. */
static char *excerpt(const char *text)
{
    size_t len = strlen(text), cut = len;
    if (len > 60) {
        cut = 60;
        while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--;
    }
    return lrc_asprintf("%.*s%s", (int)cut, text, cut < len ? "..." : "");
}

/* A command's name from its ID (<time>_<random>_<Name>): the last "_"
 * field. */
static char *name_of_id(const char *id)
{
    const char *us = strrchr(id, '_');
    return strdup(us ? us + 1 : id);
}

/* result_json, and for [ResultCode, "message"] the typed fields. */
static int set_result(lrc_command_info *c, const json_t *result)
{
    lrc_decoded d = {0};
    int rc = lrc_decoded_set_result(&d, result);
    if (rc == LRC_OK) {
        c->result_json = d.result_json;
        d.result_json = NULL;
        if (d.has & LRC_HAS_RESULT_CODE) {
            c->has_result_code = true;
            c->result_code = d.result_code;
            c->result_message = d.result_message;
            d.result_message = NULL;
        }
    }
    lrc_decoded_clear(&d);
    return rc;
}

/* ------------------------------------------------------------------------
 * Items of lrcQueue / lrcExecuting / lrcFinished
 * ---------------------------------------------------------------------- */

#define KEY_NOT_TAKEN 1 /* the value goes to extra_json */

/* The typed string field of a key, or NULL. */
static const char **string_field(lrc_command_info *c, const char *key, size_t key_len)
{
    static const char *const names[] = {"uid", "name", "submitted_time", "started_time",
                                        "finished_time"};
    const char **fields[] = {&c->command_id, &c->name, &c->submitted_time, &c->started_time,
                             &c->finished_time};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == key_len && memcmp(names[i], key, key_len) == 0)
            return fields[i];
    return NULL;
}

static bool key_is(const char *key, size_t key_len, const char *name)
{
    return strlen(name) == key_len && memcmp(name, key, key_len) == 0;
}

/* One key of an item: LRC_OK when taken into a typed field,
 * KEY_NOT_TAKEN, or LRC_ENOMEM. */
static int take_key(lrc_command_info *c, const char *key, size_t key_len, const json_t *val,
                    bool *has_status)
{
    const char **field = string_field(c, key, key_len);
    if (field) {
        if (!json_is_string(val))
            return KEY_NOT_TAKEN;
        free((char *)*field);
        return (*field = strdup(json_string_value(val))) ? LRC_OK : LRC_ENOMEM;
    }
    if (key_is(key, key_len, "progress")) {
        if (!json_is_integer(val))
            return KEY_NOT_TAKEN;
        c->has_progress = true;
        c->progress = json_integer_value(val);
        return LRC_OK;
    }
    if (key_is(key, key_len, "result"))
        return set_result(c, val);
    lrc_status st;
    if (c->source == LRC_SOURCE_FINISHED && key_is(key, key_len, "status") &&
        json_is_string(val) && lrc_status_from_name(json_string_value(val), &st)) {
        c->status = st;
        *has_status = true;
        return LRC_OK;
    }
    return KEY_NOT_TAKEN;
}

/* The item's keys into *c; the others into *extra (created on first use). */
static int take_keys(lrc_command_info *c, json_t *obj, json_t **extra, bool *has_status)
{
    const char *key;
    size_t key_len;
    json_t *val;
    json_object_keylen_foreach(obj, key, key_len, val)
    {
        int rc = take_key(c, key, key_len, val, has_status);
        if (rc == KEY_NOT_TAKEN) {
            if (!*extra && !(*extra = json_object()))
                return LRC_ENOMEM;
            rc = json_object_setn(*extra, key, key_len, val) == 0 ? LRC_OK : LRC_ENOMEM;
        }
        if (rc != LRC_OK)
            return rc;
    }
    return LRC_OK;
}

/* Counts the item as malformed: "<attr> item <index> <why>: <excerpt>". */
static int item_malformed(lrc_command_list *l, lrc_command_source src, size_t index,
                          const char *why, const char *text)
{
    char *ex = excerpt(text);
    char *reason = ex ? lrc_asprintf("%s item %zu %s: %s", source_attr(src), index, why, ex) : NULL;
    free(ex);
    return lrc_command_list_add_malformed(l, reason);
}

int lrc_command_list_add_item(lrc_command_list *l, lrc_command_source src, size_t index,
                              const char *text)
{
    if (!l || (src != LRC_SOURCE_QUEUE && src != LRC_SOURCE_EXECUTING &&
               src != LRC_SOURCE_FINISHED))
        return LRC_EINVAL;
    if (!text)
        text = "";
    json_t *obj;
    int rc = lrc_json_parse(text, &obj);
    if (rc != LRC_OK)
        return rc;
    const json_t *uid = json_object_get(obj, "uid");
    if (!json_is_object(obj) || !json_is_string(uid) || !*json_string_value(uid)) {
        rc = item_malformed(l, src, index,
                            !obj                   ? "is not JSON"
                            : !json_is_object(obj) ? "is not a JSON object"
                                                   : "has no command ID (a string \"uid\")",
                            text);
        json_decref(obj);
        return rc;
    }

    lrc_command_info c = {.size = sizeof c, .source = src};
    c.status = src == LRC_SOURCE_QUEUE ? LRC_STATUS_QUEUED : LRC_STATUS_IN_PROGRESS;
    json_t *extra = NULL;
    bool has_status = false;
    rc = take_keys(&c, obj, &extra, &has_status);
    if (rc == LRC_OK && !c.name && !(c.name = name_of_id(c.command_id)))
        rc = LRC_ENOMEM;
    if (rc == LRC_OK && extra && !(c.extra_json = lrc_json_dumps(extra)))
        rc = LRC_ENOMEM;
    json_decref(extra);
    json_decref(obj);
    if (rc == LRC_OK && src == LRC_SOURCE_FINISHED && !has_status) {
        info_clear(&c);
        return item_malformed(l, src, index, "has no TaskStatus name as \"status\"", text);
    }
    if (rc != LRC_OK) {
        info_clear(&c);
        return rc;
    }
    return append(l, &c);
}

/* ------------------------------------------------------------------------
 * The v1 lists of a pre-1.2 device
 * ---------------------------------------------------------------------- */

static int v1_malformed(lrc_command_list *l, const char *fmt, ...) LRC_PRINTF(2, 3);
static int v1_malformed(lrc_command_list *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *reason = lrc_vasprintf(fmt, ap);
    va_end(ap);
    return lrc_command_list_add_malformed(l, reason);
}

static const char *element(const lrc_tg_value *v, size_t i) { return v->sv[i] ? v->sv[i] : ""; }

/* True (after counting it as malformed) when v is no string spectrum. */
static bool not_strings(lrc_command_list *l, const char *attr, const lrc_tg_value *v, int *rc)
{
    if (v->type == LRC_TG_STRING_ARRAY && (v->ns == 0 || v->sv))
        return false;
    *rc = v1_malformed(l, "%s is a %s, not a list of strings", attr, lrc_tg_type_name(v->type));
    return true;
}

/* Counts an [id, value, ...] list of odd length: its last ID has no value. */
static int v1_odd(lrc_command_list *l, const char *attr, const lrc_tg_value *v, const char *what)
{
    if (v->ns % 2 == 0)
        return LRC_OK;
    return v1_malformed(l, "%s has an odd number of elements (%zu): '%s' has no %s", attr, v->ns,
                        element(v, v->ns - 1), what);
}

/* The entry of id among those from index `first` on. */
static lrc_command_info *find_from(lrc_command_list *l, size_t first, const char *id)
{
    for (size_t i = first; i < l->n; i++)
        if (strcmp(l->v[i].command_id, id) == 0)
            return &l->v[i];
    return NULL;
}

static int v1_status(lrc_command_list *l, const lrc_tg_value *v)
{
    int rc = LRC_OK;
    if (not_strings(l, "longRunningCommandStatus", v, &rc))
        return rc;
    for (size_t i = 0; rc == LRC_OK && i + 1 < v->ns; i += 2) {
        const char *id = element(v, i), *name = element(v, i + 1);
        lrc_status st;
        if (!*id) {
            rc = v1_malformed(l, "longRunningCommandStatus element %zu is an empty command ID", i);
        } else if (!lrc_status_from_name(name, &st)) {
            rc = v1_malformed(l,
                              "longRunningCommandStatus gives '%s' the status \"%s\", which is "
                              "no TaskStatus name",
                              id, name);
        } else {
            lrc_command_info c = {.size = sizeof c, .source = LRC_SOURCE_V1_STATUS, .status = st};
            c.command_id = strdup(id);
            c.name = name_of_id(id);
            rc = c.command_id && c.name ? append(l, &c) : LRC_ENOMEM;
            info_clear(&c);
        }
    }
    return rc == LRC_OK ? v1_odd(l, "longRunningCommandStatus", v, "status") : rc;
}

static int v1_progress(lrc_command_list *l, size_t first, const lrc_tg_value *v)
{
    int rc = LRC_OK;
    if (not_strings(l, "longRunningCommandProgress", v, &rc))
        return rc;
    for (size_t i = 0; rc == LRC_OK && i + 1 < v->ns; i += 2) {
        lrc_command_info *c = find_from(l, first, element(v, i));
        int64_t n;
        if (!c)
            continue; /* not a listed command */
        if (lrc_decode_v1_int(element(v, i + 1), &n)) {
            c->has_progress = true;
            c->progress = n;
        } else {
            rc = v1_malformed(l,
                              "longRunningCommandProgress gives '%s' the progress \"%s\", which "
                              "is no integer",
                              c->command_id, element(v, i + 1));
        }
    }
    return rc == LRC_OK ? v1_odd(l, "longRunningCommandProgress", v, "progress") : rc;
}

int lrc_v1_result_of(const lrc_tg_value *v, const char *id, json_t **result)
{
    *result = NULL;
    if (!v || v->type != LRC_TG_STRING_ARRAY || v->ns != 2 || !v->sv ||
        strcmp(element(v, 0), id) != 0)
        return LRC_OK;
    int rc = lrc_json_parse(element(v, 1), result);
    if (rc != LRC_OK)
        return rc;
    return *result ? LRC_OK : LRC_EJSON;
}

static int v1_result(lrc_command_list *l, size_t first, const lrc_tg_value *v)
{
    int rc = LRC_OK;
    if (not_strings(l, "longRunningCommandResult", v, &rc) || v->ns == 0)
        return rc;
    if (v->ns != 2)
        return v1_malformed(l,
                            "longRunningCommandResult has %zu elements instead of [command ID, "
                            "result]",
                            v->ns);
    lrc_command_info *c = find_from(l, first, element(v, 0));
    if (!c)
        return LRC_OK; /* the initial ["", ""], or a command no longer listed */
    json_t *result;
    if ((rc = lrc_v1_result_of(v, c->command_id, &result)) == LRC_EJSON) {
        char *ex = excerpt(element(v, 1));
        rc = lrc_command_list_add_malformed(
            l, ex ? lrc_asprintf("longRunningCommandResult for '%s' is not JSON: %s",
                                 c->command_id, ex)
                  : NULL);
        free(ex);
        return rc;
    }
    if (rc == LRC_OK)
        rc = set_result(c, result);
    json_decref(result);
    return rc;
}

int lrc_command_list_add_v1(lrc_command_list *l, const lrc_tg_value *status,
                            const lrc_tg_value *progress, const lrc_tg_value *result)
{
    if (!l)
        return LRC_EINVAL;
    size_t first = l->n;
    int rc = status ? v1_status(l, status) : LRC_OK;
    if (rc == LRC_OK && progress)
        rc = v1_progress(l, first, progress);
    if (rc == LRC_OK && result)
        rc = v1_result(l, first, result);
    return rc;
}

/* ------------------------------------------------------------------------
 * Order, and the accessors
 * ---------------------------------------------------------------------- */

static int rank(lrc_command_source src)
{
    switch (src) {
    case LRC_SOURCE_FINISHED:
    case LRC_SOURCE_V1_STATUS: return 0;
    case LRC_SOURCE_EXECUTING: return 1;
    case LRC_SOURCE_QUEUE: break;
    }
    return 2;
}

void lrc_command_list_finish(lrc_command_list *l)
{
    if (!l || l->n == 0)
        return;
    lrc_command_info *sorted = malloc(l->n * sizeof *sorted);
    if (!sorted)
        return; /* out of memory: the entries stay in reading order */
    size_t k = 0;
    for (int r = 0; r <= 2; r++)
        for (size_t i = 0; i < l->n; i++)
            if (rank(l->v[i].source) == r)
                sorted[k++] = l->v[i];
    /* Keep the first of each ID: the most advanced state. */
    size_t kept = 0;
    for (size_t i = 0; i < k; i++) {
        const lrc_command_info *earlier = NULL;
        for (size_t j = 0; j < kept && !earlier; j++)
            if (strcmp(sorted[j].command_id, sorted[i].command_id) == 0)
                earlier = &sorted[j];
        if (!earlier) {
            sorted[kept++] = sorted[i];
            continue;
        }
        if (earlier->source == sorted[i].source)
            lrc_command_list_add_malformed(l, lrc_asprintf("%s lists '%s' twice",
                                                           source_attr(sorted[i].source),
                                                           sorted[i].command_id));
        info_clear(&sorted[i]);
    }
    free(l->v);
    l->v = sorted;
    l->n = kept;
    l->cap = k;
}

size_t lrc_command_list_count(const lrc_command_list *l) { return l ? l->n : 0; }

const lrc_command_info *lrc_command_list_at(const lrc_command_list *l, size_t i)
{
    return l && i < l->n ? &l->v[i] : NULL;
}

const lrc_command_info *lrc_command_list_find(const lrc_command_list *l, const char *command_id)
{
    for (size_t i = 0; l && command_id && i < l->n; i++)
        if (strcmp(l->v[i].command_id, command_id) == 0)
            return &l->v[i];
    return NULL;
}

size_t lrc_command_list_malformed(const lrc_command_list *l) { return l ? l->malformed : 0; }

const char *lrc_command_list_malformed_reason(const lrc_command_list *l)
{
    return l ? l->reason : NULL;
}

void lrc_command_list_free(lrc_command_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        info_clear(&l->v[i]);
    free(l->v);
    free(l->reason);
    free(l);
}
