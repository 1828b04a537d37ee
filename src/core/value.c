/* value.c - Tango values in their C form (lrc_tg_value): deep copies. */
#include "core/value.h"
#include "core/json_text.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>

int lrc_value_copy(lrc_tg_value *dst, const lrc_tg_value *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src)
        return LRC_OK;
    dst->type = src->type;
    dst->i = src->i;
    dst->d = src->d;
    if (src->s && !(dst->s = strdup(src->s)))
        goto oom;
    if (src->ni) {
        if (!(dst->iv = malloc(src->ni * sizeof *dst->iv)))
            goto oom;
        memcpy(dst->iv, src->iv, src->ni * sizeof *dst->iv);
        dst->ni = src->ni;
    }
    if (src->nd) {
        if (!(dst->dv = malloc(src->nd * sizeof *dst->dv)))
            goto oom;
        memcpy(dst->dv, src->dv, src->nd * sizeof *dst->dv);
        dst->nd = src->nd;
    }
    if (src->ns) {
        if (!(dst->sv = calloc(src->ns, sizeof *dst->sv)))
            goto oom;
        dst->ns = src->ns;
        for (size_t k = 0; k < src->ns; k++)
            if (!(dst->sv[k] = strdup(src->sv[k] ? src->sv[k] : "")))
                goto oom;
    }
    return LRC_OK;
oom:
    lrc_tg_value_clear(dst);
    return LRC_ENOMEM;
}

static json_t *ints(const lrc_tg_value *v, bool booleans)
{
    json_t *a = json_array();
    for (size_t k = 0; a && k < v->ni; k++)
        json_array_append_new(a, booleans ? json_boolean(v->iv[k]) : json_integer(v->iv[k]));
    return a;
}

static json_t *reals(const lrc_tg_value *v)
{
    json_t *a = json_array();
    for (size_t k = 0; a && k < v->nd; k++)
        json_array_append_new(a, json_real(v->dv[k]));
    return a;
}

static json_t *strings(const lrc_tg_value *v)
{
    json_t *a = json_array();
    for (size_t k = 0; a && k < v->ns; k++)
        json_array_append_new(a, lrc_json_string_wire(v->sv[k] ? v->sv[k] : ""));
    return a;
}

static json_t *to_json(const lrc_tg_value *v)
{
    switch (v->type) {
    case LRC_TG_VOID: return json_null();
    case LRC_TG_BOOLEAN: return json_boolean(v->i);
    case LRC_TG_FLOAT:
    case LRC_TG_DOUBLE: return json_real(v->d);
    case LRC_TG_STRING: return lrc_json_string_wire(v->s ? v->s : "");
    case LRC_TG_BOOLEAN_ARRAY: return ints(v, true);
    case LRC_TG_CHAR_ARRAY:
    case LRC_TG_SHORT_ARRAY:
    case LRC_TG_LONG_ARRAY:
    case LRC_TG_USHORT_ARRAY:
    case LRC_TG_ULONG_ARRAY:
    case LRC_TG_LONG64_ARRAY:
    case LRC_TG_ULONG64_ARRAY: return ints(v, false);
    case LRC_TG_FLOAT_ARRAY:
    case LRC_TG_DOUBLE_ARRAY: return reals(v);
    case LRC_TG_STRING_ARRAY: return strings(v);
    case LRC_TG_LONG_STRING_ARRAY: return json_pack("[o, o]", ints(v, false), strings(v));
    case LRC_TG_DOUBLE_STRING_ARRAY: return json_pack("[o, o]", reals(v), strings(v));
    default: return json_integer(v->i); /* integer scalars, DevState, DevEnum */
    }
}

char *lrc_value_to_json(const lrc_tg_value *v)
{
    if (!v)
        return NULL;
    json_t *j = to_json(v);
    char *text = lrc_json_dumps(j);
    json_decref(j);
    return text;
}
