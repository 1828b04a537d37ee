/* arg_convert.c - a client's lrc_arg as the Tango value of a command's
 * input type, its validity check, and its Python repr for messages. */
#include "core/arg_convert.h"
#include "core/wire_text.h"

#include "core/error_build.h"
#include "core/json_text.h"
#include "core/pyrepr.h"

#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Checking an argument on its own
 * ---------------------------------------------------------------------- */

static int check_array(const void *v, size_t n, const char *what, lrc_error **err)
{
    if (n > 0 && !v)
        return lrc_fail(err, LRC_EINVAL, "%s argument has %zu elements but its data is NULL", what,
                        n);
    return LRC_OK;
}

static int check_strings(const char *const *v, size_t n, lrc_error **err)
{
    int rc = check_array(v, n, "string array", err);
    for (size_t k = 0; rc == LRC_OK && k < n; k++)
        if (!v[k])
            rc = lrc_fail(err, LRC_EINVAL, "element %zu of the string array argument is NULL", k);
    return rc;
}

/* Parses once: the converter wants the value (*parsed), the plain check
 * only the verdict (parsed NULL). */
static int check_json(const char *text, json_t **parsed, lrc_error **err)
{
    if (!text)
        return lrc_fail(err, LRC_EINVAL, "JSON argument is NULL");
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    if (!j)
        return lrc_fail(err, LRC_EINVAL, "JSON argument is not valid JSON: %s (line %d, column %d)",
                        je.text, je.line, je.column);
    if (parsed)
        *parsed = j;
    else
        json_decref(j);
    return LRC_OK;
}

static int check_arg(const lrc_arg *a, json_t **parsed, lrc_error **err)
{
    if (!a)
        return LRC_OK;
    switch (a->kind) {
    case LRC_ARG_NONE:
    case LRC_ARG_BOOL:
    case LRC_ARG_LONG:
    case LRC_ARG_DOUBLE: return LRC_OK;
    case LRC_ARG_STRING:
        return a->u.s ? LRC_OK : lrc_fail(err, LRC_EINVAL, "string argument is NULL");
    case LRC_ARG_JSON: return check_json(a->u.s, parsed, err);
    case LRC_ARG_LONG_ARRAY: return check_array(a->u.la.v, a->u.la.n, "integer array", err);
    case LRC_ARG_DOUBLE_ARRAY: return check_array(a->u.da.v, a->u.da.n, "float array", err);
    case LRC_ARG_STRING_ARRAY: return check_strings(a->u.sa.v, a->u.sa.n, err);
    }
    /* a kind from a newer header, or garbage memory */
    return lrc_fail(err, LRC_EINVAL, "unknown argument kind %d", (int)a->kind);
}

int lrc_arg_check(const lrc_arg *a, lrc_error **err)
{
    return check_arg(a, NULL, err);
}

/* ------------------------------------------------------------------------
 * Python's float repr (messages and lrc_arg_repr)
 * ---------------------------------------------------------------------- */

/* ------------------------------------------------------------------------
 * Conversion: the common view of typed and JSON arguments
 * ---------------------------------------------------------------------- */

/* What a conversion is for: the target type and names for messages. */
typedef struct conv {
    const char *command;
    lrc_tg_type type;
    lrc_error **err;
} conv;

/* The argument: typed (j NULL) or its parsed JSON (j). Never "none". */
typedef struct source {
    const lrc_arg *a;
    const json_t *j;
} source;

/* One value, seen the same way whether it came typed or as JSON, so that
 * each rule is written once. `what` describes it in plain words. */
typedef enum sc_kind { SC_BOOL, SC_INT, SC_REAL, SC_STRING, SC_OTHER } sc_kind;

typedef struct scalar {
    sc_kind kind;
    int64_t i; /* SC_BOOL (0/1) and SC_INT */
    double d;  /* SC_REAL */
    const char *s;
    const char *what;
} scalar;

/* Where a value sits, for messages: the whole argument (top), or
 * argument[k] (outer < 0), or argument[outer][k]. */
typedef struct place {
    bool top;
    int outer;
    size_t k;
} place;

static const place TOP = {true, -1, 0};

static scalar scalar_of_json(const json_t *j)
{
    scalar v = {SC_OTHER, 0, 0, NULL, "JSON null"};
    switch (json_typeof(j)) {
    case JSON_TRUE:
    case JSON_FALSE:
        v.kind = SC_BOOL;
        v.i = json_is_true(j);
        v.what = "a JSON boolean";
        break;
    case JSON_INTEGER:
        v.kind = SC_INT;
        v.i = json_integer_value(j);
        v.what = "a JSON integer";
        break;
    case JSON_REAL:
        v.kind = SC_REAL;
        v.d = json_real_value(j);
        v.what = "a JSON float";
        break;
    case JSON_STRING:
        v.kind = SC_STRING;
        v.s = json_string_value(j);
        v.what = "a JSON string";
        break;
    case JSON_ARRAY: v.what = "a JSON array"; break;
    case JSON_OBJECT: v.what = "a JSON object"; break;
    case JSON_NULL: break;
    }
    return v;
}

static scalar scalar_of_arg(const lrc_arg *a)
{
    scalar v = {SC_OTHER, 0, 0, NULL, "no argument"};
    switch (a->kind) {
    case LRC_ARG_BOOL: v = (scalar){SC_BOOL, a->u.b, 0, NULL, "a boolean"}; break;
    case LRC_ARG_LONG: v = (scalar){SC_INT, a->u.l, 0, NULL, "an integer"}; break;
    case LRC_ARG_DOUBLE: v = (scalar){SC_REAL, 0, a->u.d, NULL, "a float"}; break;
    case LRC_ARG_STRING: v = (scalar){SC_STRING, 0, 0, a->u.s, "a string"}; break;
    case LRC_ARG_LONG_ARRAY: v.what = "an integer array"; break;
    case LRC_ARG_DOUBLE_ARRAY: v.what = "a float array"; break;
    case LRC_ARG_STRING_ARRAY: v.what = "a string array"; break;
    case LRC_ARG_JSON: /* parsed into source.j before we get here */
    case LRC_ARG_NONE: break;
    }
    return v;
}

static scalar scalar_of_source(const source *s)
{
    return s->j ? scalar_of_json(s->j) : scalar_of_arg(s->a);
}

/* ------------------------------------------------------------------------
 * Conversion: messages
 * ---------------------------------------------------------------------- */

static void place_text(const place *p, char *buf, size_t len)
{
    if (p->outer < 0)
        snprintf(buf, len, "argument[%zu]", p->k);
    else
        snprintf(buf, len, "argument[%d][%zu]", p->outer, p->k);
}

static int fail_type(const conv *c, const place *p, const char *what)
{
    const char *t = lrc_tg_type_name(c->type);
    if (p->top)
        return lrc_fail(c->err, LRC_EINVAL, "command '%s' takes a %s, not %s", c->command, t, what);
    char where[64];
    place_text(p, where, sizeof where);
    return lrc_fail(c->err, LRC_EINVAL, "command '%s' takes a %s, but %s is %s", c->command, t,
                    where, what);
}

/* "argument 70000 is out of range ..." / "argument[2] = 70000 is out ..." */
static int fail_range(const conv *c, const place *p, const char *value, const char *limits)
{
    char where[64] = "argument";
    if (!p->top) {
        place_text(p, where, sizeof where - 2);
        strcat(where, " =");
    }
    return lrc_fail(c->err, LRC_EINVAL, "%s %s is out of range for %s%s of command '%s'", where,
                    value, lrc_tg_type_name(c->type), limits, c->command);
}

static int fail_nomem(const conv *c)
{
    return lrc_fail(c->err, LRC_ENOMEM, "out of memory converting the argument of command '%s'",
                    c->command);
}

/* ------------------------------------------------------------------------
 * Conversion: single values (a scalar argument or one array element)
 * ---------------------------------------------------------------------- */

typedef struct range {
    int64_t min, max;
} range;

/* The values the target's integers can hold. ULONG64 stops at INT64_MAX:
 * neither an lrc_arg nor jansson can carry more. */
static range int_range(lrc_tg_type t)
{
    switch (t) {
    case LRC_TG_SHORT:
    case LRC_TG_SHORT_ARRAY: return (range){INT16_MIN, INT16_MAX};
    case LRC_TG_USHORT:
    case LRC_TG_USHORT_ARRAY: return (range){0, UINT16_MAX};
    case LRC_TG_LONG:
    case LRC_TG_LONG_ARRAY:
    case LRC_TG_LONG_STRING_ARRAY: return (range){INT32_MIN, INT32_MAX};
    case LRC_TG_ULONG:
    case LRC_TG_ULONG_ARRAY: return (range){0, UINT32_MAX};
    case LRC_TG_UCHAR:
    case LRC_TG_CHAR_ARRAY: return (range){0, UINT8_MAX};
    case LRC_TG_BOOLEAN_ARRAY: return (range){0, 1};
    case LRC_TG_ULONG64:
    case LRC_TG_ULONG64_ARRAY: return (range){0, INT64_MAX};
    default: return (range){INT64_MIN, INT64_MAX}; /* LONG64, LONG64_ARRAY */
    }
}

static int int_of(const conv *c, const place *p, const scalar *v, int64_t *res)
{
    /* [true, false] is the natural JSON for a DevVarBooleanArray */
    bool bool_ok = c->type == LRC_TG_BOOLEAN_ARRAY && v->kind == SC_BOOL;
    if (v->kind != SC_INT && !bool_ok)
        return fail_type(c, p, v->what);
    range r = int_range(c->type);
    if (v->i < r.min || v->i > r.max) {
        char value[24], limits[48];
        snprintf(value, sizeof value, "%lld", (long long)v->i);
        snprintf(limits, sizeof limits, " (%lld..%lld)", (long long)r.min, (long long)r.max);
        return fail_range(c, p, value, limits);
    }
    *res = v->i;
    return LRC_OK;
}

/* Doubles below this magnitude round to a finite float (the midpoint
 * between FLT_MAX and 2^128 rounds to even, which is infinity). */
#define FLOAT_ROUND_LIMIT 0x1.ffffffp127

static bool is_float_target(lrc_tg_type t)
{
    return t == LRC_TG_FLOAT || t == LRC_TG_FLOAT_ARRAY;
}

static int real_of(const conv *c, const place *p, const scalar *v, double *res)
{
    if (v->kind != SC_REAL && v->kind != SC_INT)
        return fail_type(c, p, v->what);
    double d = v->kind == SC_REAL ? v->d : (double)v->i;
    if (is_float_target(c->type) && isfinite(d)) {
        if (fabs(d) >= FLOAT_ROUND_LIMIT) {
            char value[LRC_PY_FLOAT_LEN];
            lrc_py_float_repr(d, value);
            return fail_range(c, p, value, "");
        }
        /* what the float rounds to, and no undefined float cast in the shim */
        if (fabs(d) > FLT_MAX)
            d = copysign(FLT_MAX, d);
    }
    *res = d;
    return LRC_OK;
}

static int string_of(const conv *c, const place *p, const scalar *v, char **res)
{
    if (v->kind != SC_STRING)
        return fail_type(c, p, v->what);
    if (!(*res = strdup(v->s)))
        return fail_nomem(c);
    return LRC_OK;
}

/* ------------------------------------------------------------------------
 * Conversion: lists (typed arrays and JSON arrays)
 * ---------------------------------------------------------------------- */

/* A list: a typed array (j NULL) or a JSON array. */
typedef struct seq {
    const lrc_arg *a;
    const json_t *j;
    size_t n;
    int outer; /* for messages: -1, or the index of this list in a pair */
} seq;

static scalar seq_at(const seq *q, size_t k)
{
    if (q->j)
        return scalar_of_json(json_array_get(q->j, k));
    scalar v = {SC_OTHER, 0, 0, NULL, "an unknown value"};
    switch (q->a->kind) {
    case LRC_ARG_LONG_ARRAY: v = (scalar){SC_INT, q->a->u.la.v[k], 0, NULL, "an integer"}; break;
    case LRC_ARG_DOUBLE_ARRAY: v = (scalar){SC_REAL, 0, q->a->u.da.v[k], NULL, "a float"}; break;
    case LRC_ARG_STRING_ARRAY: v = (scalar){SC_STRING, 0, 0, q->a->u.sa.v[k], "a string"}; break;
    default: break;
    }
    return v;
}

static size_t typed_len(const lrc_arg *a)
{
    switch (a->kind) {
    case LRC_ARG_LONG_ARRAY: return a->u.la.n;
    case LRC_ARG_DOUBLE_ARRAY: return a->u.da.n;
    case LRC_ARG_STRING_ARRAY: return a->u.sa.n;
    default: return 0;
    }
}

static const void *typed_data(const lrc_arg *a)
{
    switch (a->kind) {
    case LRC_ARG_LONG_ARRAY: return a->u.la.v;
    case LRC_ARG_DOUBLE_ARRAY: return a->u.da.v;
    case LRC_ARG_STRING_ARRAY: return a->u.sa.v;
    default: return NULL;
    }
}

#define KIND_BIT(k) (1u << (unsigned)(k))

/* The list given for an array type: any JSON array (its elements are
 * checked one by one), or a typed array of a kind in `typed_ok`. */
static int seq_of(const conv *c, const source *s, unsigned typed_ok, seq *q)
{
    *q = (seq){s->a, NULL, 0, -1};
    if (s->j && json_is_array(s->j)) {
        q->j = s->j;
        q->n = json_array_size(s->j);
        return LRC_OK;
    }
    if (!s->j && (typed_ok & KIND_BIT(s->a->kind))) {
        q->n = typed_len(s->a);
        return LRC_OK;
    }
    scalar v = scalar_of_source(s);
    return fail_type(c, &TOP, v.what);
}

/* n elements of `size` bytes; NULL for none (so nothing to free) or on
 * overflow / out of memory (told apart by the caller through n). */
static void *alloc_elems(size_t n, size_t size)
{
    if (n == 0 || n > SIZE_MAX / size)
        return NULL;
    return calloc(n, size);
}

/* The fill_* functions store the buffer in *out before filling it, so that
 * on failure the caller's lrc_tg_value_clear frees what was done. */
static int fill_ints(const conv *c, const seq *q, int64_t **iv, size_t *ni)
{
    if (q->n && !(*iv = alloc_elems(q->n, sizeof **iv)))
        return fail_nomem(c);
    *ni = q->n;
    for (size_t k = 0; k < q->n; k++) {
        scalar v = seq_at(q, k);
        place p = {false, q->outer, k};
        int rc = int_of(c, &p, &v, &(*iv)[k]);
        if (rc != LRC_OK)
            return rc;
    }
    return LRC_OK;
}

static int fill_reals(const conv *c, const seq *q, double **dv, size_t *nd)
{
    if (q->n && !(*dv = alloc_elems(q->n, sizeof **dv)))
        return fail_nomem(c);
    *nd = q->n;
    for (size_t k = 0; k < q->n; k++) {
        scalar v = seq_at(q, k);
        place p = {false, q->outer, k};
        int rc = real_of(c, &p, &v, &(*dv)[k]);
        if (rc != LRC_OK)
            return rc;
    }
    return LRC_OK;
}

static int fill_strings(const conv *c, const seq *q, char ***sv, size_t *ns)
{
    if (q->n && !(*sv = alloc_elems(q->n, sizeof **sv))) /* zeroed: clear frees NULLs */
        return fail_nomem(c);
    *ns = q->n;
    for (size_t k = 0; k < q->n; k++) {
        scalar v = seq_at(q, k);
        place p = {false, q->outer, k};
        int rc = string_of(c, &p, &v, &(*sv)[k]);
        if (rc != LRC_OK)
            return rc;
    }
    return LRC_OK;
}

/* ------------------------------------------------------------------------
 * Conversion: one function per family of target types
 * ---------------------------------------------------------------------- */

typedef int (*convert_fn)(const conv *c, const source *s, lrc_tg_value *out);

static int to_void(const conv *c, const source *s, lrc_tg_value *out)
{
    if (s->j && json_is_null(s->j)) /* JSON's way of saying "nothing" */
        return LRC_OK;
    return lrc_fail(c->err, LRC_EINVAL, "command '%s' takes no argument", c->command);
}

static int to_bool(const conv *c, const source *s, lrc_tg_value *out)
{
    scalar v = scalar_of_source(s);
    if (v.kind != SC_BOOL)
        return fail_type(c, &TOP, v.what);
    out->i = v.i;
    return LRC_OK;
}

static int to_int(const conv *c, const source *s, lrc_tg_value *out)
{
    scalar v = scalar_of_source(s);
    return int_of(c, &TOP, &v, &out->i);
}

static int to_real(const conv *c, const source *s, lrc_tg_value *out)
{
    scalar v = scalar_of_source(s);
    return real_of(c, &TOP, &v, &out->d);
}

static int to_string(const conv *c, const source *s, lrc_tg_value *out)
{
    if (s->j && !json_is_string(s->j)) {
        /* SKA commands take JSON documents as a DevString: send the text */
        if (!(out->s = lrc_json_dumps(s->j)))
            return fail_nomem(c);
        return LRC_OK;
    }
    scalar v = scalar_of_source(s);
    return string_of(c, &TOP, &v, &out->s);
}

static int to_int_array(const conv *c, const source *s, lrc_tg_value *out)
{
    seq q;
    int rc = seq_of(c, s, KIND_BIT(LRC_ARG_LONG_ARRAY), &q);
    return rc != LRC_OK ? rc : fill_ints(c, &q, &out->iv, &out->ni);
}

static int to_real_array(const conv *c, const source *s, lrc_tg_value *out)
{
    seq q;
    int rc = seq_of(c, s, KIND_BIT(LRC_ARG_LONG_ARRAY) | KIND_BIT(LRC_ARG_DOUBLE_ARRAY), &q);
    return rc != LRC_OK ? rc : fill_reals(c, &q, &out->dv, &out->nd);
}

static int to_string_array(const conv *c, const source *s, lrc_tg_value *out)
{
    seq q;
    int rc = seq_of(c, s, KIND_BIT(LRC_ARG_STRING_ARRAY), &q);
    return rc != LRC_OK ? rc : fill_strings(c, &q, &out->sv, &out->ns);
}

/* The two lists of a DevVarLongStringArray / DevVarDoubleStringArray,
 * which only JSON can express: [[numbers...], [strings...]]. */
static int pair_lists(const conv *c, const source *s, seq *nums, seq *strs)
{
    const json_t *j = s->j;
    const char *shape = c->type == LRC_TG_LONG_STRING_ARRAY ? "[[integers], [strings]]"
                                                            : "[[numbers], [strings]]";
    if (!j || !json_is_array(j)) {
        scalar v = scalar_of_source(s);
        return lrc_fail(c->err, LRC_EINVAL, "command '%s' takes a %s as JSON %s, not %s",
                        c->command, lrc_tg_type_name(c->type), shape, v.what);
    }
    if (json_array_size(j) != 2)
        return lrc_fail(c->err, LRC_EINVAL,
                        "command '%s' takes a %s as JSON %s, not a JSON array of %zu element%s",
                        c->command, lrc_tg_type_name(c->type), shape, json_array_size(j),
                        json_array_size(j) == 1 ? "" : "s");
    for (int k = 0; k < 2; k++) {
        const json_t *list = json_array_get(j, (size_t)k);
        if (!json_is_array(list)) {
            place p = {false, -1, (size_t)k};
            return fail_type(c, &p, scalar_of_json(list).what);
        }
        *(k == 0 ? nums : strs) = (seq){NULL, list, json_array_size(list), k};
    }
    return LRC_OK;
}

static int to_pair(const conv *c, const source *s, lrc_tg_value *out)
{
    seq nums, strs;
    int rc = pair_lists(c, s, &nums, &strs);
    if (rc == LRC_OK)
        rc = c->type == LRC_TG_LONG_STRING_ARRAY ? fill_ints(c, &nums, &out->iv, &out->ni)
                                                 : fill_reals(c, &nums, &out->dv, &out->nd);
    if (rc == LRC_OK)
        rc = fill_strings(c, &strs, &out->sv, &out->ns);
    return rc;
}

/* NULL for the types lrc_invoke cannot send (STATE, ENUM, unknown). */
static convert_fn converter_for(lrc_tg_type t)
{
    switch (t) {
    case LRC_TG_VOID: return to_void;
    case LRC_TG_BOOLEAN: return to_bool;
    case LRC_TG_SHORT:
    case LRC_TG_USHORT:
    case LRC_TG_LONG:
    case LRC_TG_ULONG:
    case LRC_TG_LONG64:
    case LRC_TG_ULONG64:
    case LRC_TG_UCHAR: return to_int;
    case LRC_TG_FLOAT:
    case LRC_TG_DOUBLE: return to_real;
    case LRC_TG_STRING: return to_string;
    case LRC_TG_CHAR_ARRAY:
    case LRC_TG_SHORT_ARRAY:
    case LRC_TG_USHORT_ARRAY:
    case LRC_TG_LONG_ARRAY:
    case LRC_TG_ULONG_ARRAY:
    case LRC_TG_LONG64_ARRAY:
    case LRC_TG_ULONG64_ARRAY:
    case LRC_TG_BOOLEAN_ARRAY: return to_int_array;
    case LRC_TG_FLOAT_ARRAY:
    case LRC_TG_DOUBLE_ARRAY: return to_real_array;
    case LRC_TG_STRING_ARRAY: return to_string_array;
    case LRC_TG_LONG_STRING_ARRAY:
    case LRC_TG_DOUBLE_STRING_ARRAY: return to_pair;
    case LRC_TG_STATE:
    case LRC_TG_ENUM: break;
    }
    return NULL;
}

static int fail_unsendable(const conv *c)
{
    const char *name = lrc_tg_type_name(c->type);
    if (strcmp(name, "unknown") == 0)
        return lrc_fail(c->err, LRC_EINVAL,
                        "command '%s' takes Tango type %d, which lrc_invoke cannot send",
                        c->command, (int)c->type);
    return lrc_fail(c->err, LRC_EINVAL, "command '%s' takes a %s, which lrc_invoke cannot send",
                    c->command, name);
}

/* lrc_arg_check, with the command named in the message. */
static int check_for_command(const conv *c, const lrc_arg *a, json_t **parsed)
{
    lrc_error *e = NULL;
    int rc = check_arg(a, parsed, &e);
    if (rc != LRC_OK) {
        rc = lrc_fail(c->err, rc, "invalid argument for command '%s': %s", c->command,
                      lrc_error_message(e));
        lrc_error_free(e);
    }
    return rc;
}

int lrc_arg_to_tango(const lrc_arg *a, lrc_tg_type in_type, const char *command,
                     lrc_tg_value *out, lrc_error **err)
{
    memset(out, 0, sizeof *out);
    out->type = LRC_TG_VOID;
    conv c = {command ? command : "", in_type, err};
    convert_fn fn = converter_for(in_type);
    if (!fn)
        return fail_unsendable(&c);
    if (!a || a->kind == LRC_ARG_NONE) {
        if (in_type == LRC_TG_VOID)
            return LRC_OK;
        return lrc_fail(err, LRC_EINVAL, "command '%s' needs an argument (%s)", c.command,
                        lrc_tg_type_name(in_type));
    }
    json_t *j = NULL;
    int rc = check_for_command(&c, a, &j);
    if (rc != LRC_OK)
        return rc;
    source s = {a, j};
    rc = fn(&c, &s, out);
    json_decref(j);
    if (rc != LRC_OK) {
        lrc_tg_value_clear(out);
        return rc;
    }
    out->type = in_type;
    /* Text goes out as Latin-1 (the shim converts it): refuse what Latin-1
     * cannot hold now, before lrc_invoke subscribes or anything is sent. */
    char *what = lrc_asprintf("argument of command '%s'", c.command);
    rc = what ? lrc_wire_check(out, what, err) : lrc_fail(err, LRC_ENOMEM, "out of memory");
    free(what);
    if (rc != LRC_OK)
        lrc_tg_value_clear(out);
    return rc;
}

/* ------------------------------------------------------------------------
 * Python repr of the args tuple
 * ---------------------------------------------------------------------- */

/* A growing string; after one failed allocation it stays failed. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool failed;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* Python's repr(str) for UTF-8 text: single quotes unless the text has a '
 * and no ", backslash escapes for \\ \n \r \t and the quote, \xNN for the
 * other C0/C1 controls, DEL, NBSP and soft hyphen; the rest of non-ASCII
 * as is (Python would also escape other unprintable code points). */
static void repr_string(sbuf *b, const char *s)
{
    char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    sb_add(b, &q, 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8] = "";
        if (*p == q || *p == '\\')
            snprintf(esc, sizeof esc, "\\%c", *p);
        else if (*p == '\n' || *p == '\r' || *p == '\t')
            snprintf(esc, sizeof esc, "\\%c", *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't');
        else if (*p < 0x20 || *p == 0x7f)
            snprintf(esc, sizeof esc, "\\x%02x", *p);
        else if (*p == 0xc2 && ((p[1] >= 0x80 && p[1] <= 0xa0) || p[1] == 0xad))
            snprintf(esc, sizeof esc, "\\x%02x", *++p); /* U+0080..U+00A0, U+00AD */
        if (esc[0])
            sb_puts(b, esc);
        else
            sb_add(b, (const char *)p, 1);
    }
    sb_add(b, &q, 1);
}

static void repr_double(sbuf *b, double d)
{
    char t[LRC_PY_FLOAT_LEN];
    lrc_py_float_repr(d, t);
    sb_puts(b, t);
}

static void repr_long(sbuf *b, int64_t l)
{
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)l);
    sb_puts(b, t);
}

/* The JSON text as lrc_json_dumps writes it (one line, Python's
 * separators); text that does not parse is shown as given. */
static void repr_json(sbuf *b, const char *text)
{
    char *t = lrc_json_normalize(text);
    sb_puts(b, t ? t : text ? text : "None");
    free(t);
}

static void repr_list(sbuf *b, const lrc_arg *a)
{
    size_t n = typed_len(a);
    sb_puts(b, "[");
    for (size_t k = 0; k < n; k++) {
        if (k)
            sb_puts(b, ", ");
        if (a->kind == LRC_ARG_LONG_ARRAY)
            repr_long(b, a->u.la.v[k]);
        else if (a->kind == LRC_ARG_DOUBLE_ARRAY)
            repr_double(b, a->u.da.v[k]);
        else if (a->u.sa.v[k])
            repr_string(b, a->u.sa.v[k]);
        else
            sb_puts(b, "None");
    }
    sb_puts(b, "]");
}

static void repr_value(sbuf *b, const lrc_arg *a)
{
    switch (a->kind) {
    case LRC_ARG_BOOL: sb_puts(b, a->u.b ? "True" : "False"); return;
    case LRC_ARG_LONG: repr_long(b, a->u.l); return;
    case LRC_ARG_DOUBLE: repr_double(b, a->u.d); return;
    case LRC_ARG_STRING:
        if (a->u.s)
            repr_string(b, a->u.s);
        else
            sb_puts(b, "None");
        return;
    case LRC_ARG_JSON: repr_json(b, a->u.s); return;
    case LRC_ARG_LONG_ARRAY:
    case LRC_ARG_DOUBLE_ARRAY:
    case LRC_ARG_STRING_ARRAY:
        /* a NULL array with elements is invalid; show what is safe to show */
        if (typed_len(a) && !typed_data(a))
            sb_puts(b, "None");
        else
            repr_list(b, a);
        return;
    case LRC_ARG_NONE: break;
    }
    sb_puts(b, "None");
}

char *lrc_arg_repr(const lrc_arg *a)
{
    sbuf b = {NULL, 0, 0, false};
    if (!a || a->kind == LRC_ARG_NONE) {
        sb_puts(&b, "None");
    } else {
        sb_puts(&b, "(");
        repr_value(&b, a);
        sb_puts(&b, ",)");
    }
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
