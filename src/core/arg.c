/* arg.c - lrc_arg helpers. */
#include "lrc/arg.h"

#include "core/json_text.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>

static json_t *arg_to_json_value(const lrc_arg *a)
{
    json_t *arr;
    switch (a->kind) {
    case LRC_ARG_NONE: return json_null();
    case LRC_ARG_BOOL: return json_boolean(a->u.b);
    case LRC_ARG_LONG: return json_integer(a->u.l);
    case LRC_ARG_DOUBLE: return isfinite(a->u.d) ? json_real(a->u.d) : NULL;
    case LRC_ARG_STRING: return a->u.s ? json_string(a->u.s) : NULL;
    case LRC_ARG_JSON: return a->u.s ? json_loads(a->u.s, JSON_DECODE_ANY, NULL) : NULL;
    case LRC_ARG_LONG_ARRAY:
    case LRC_ARG_DOUBLE_ARRAY:
    case LRC_ARG_STRING_ARRAY:
        arr = json_array();
        size_t n = a->kind == LRC_ARG_LONG_ARRAY     ? a->u.la.n
                   : a->kind == LRC_ARG_DOUBLE_ARRAY ? a->u.da.n
                                                     : a->u.sa.n;
        for (size_t i = 0; arr && i < n; i++) {
            json_t *item = a->kind == LRC_ARG_LONG_ARRAY ? json_integer(a->u.la.v[i])
                           : a->kind == LRC_ARG_DOUBLE_ARRAY
                               ? (isfinite(a->u.da.v[i]) ? json_real(a->u.da.v[i]) : NULL)
                               : (a->u.sa.v[i] ? json_string(a->u.sa.v[i]) : NULL);
            if (!item || json_array_append_new(arr, item) != 0) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    default: return NULL;
    }
}

char *lrc_arg_to_json(const lrc_arg *a)
{
    if (!a)
        return NULL;
    json_t *j = arg_to_json_value(a);
    char *s = lrc_json_dumps(j);
    json_decref(j);
    return s;
}
