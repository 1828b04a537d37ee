/* kit_args.c - a command's Tango argument as the lrc_arg its task sees. */
#include "core/error_build.h"
#include "server/kit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

lrc_tg_type kit_arg_tango_type(lrc_arg_kind kind)
{
    switch (kind) {
    case LRC_ARG_BOOL: return LRC_TG_BOOLEAN;
    case LRC_ARG_LONG: return LRC_TG_LONG64;
    case LRC_ARG_DOUBLE: return LRC_TG_DOUBLE;
    case LRC_ARG_STRING:
    case LRC_ARG_JSON: return LRC_TG_STRING;
    case LRC_ARG_LONG_ARRAY: return LRC_TG_LONG64_ARRAY;
    case LRC_ARG_DOUBLE_ARRAY: return LRC_TG_DOUBLE_ARRAY;
    case LRC_ARG_STRING_ARRAY: return LRC_TG_STRING_ARRAY;
    case LRC_ARG_NONE:
    default: return LRC_TG_VOID;
    }
}

int kit_arg_from_value(lrc_arg_kind kind, const lrc_tg_value *v, lrc_arg *arg, lrc_error **err)
{
    memset(arg, 0, sizeof *arg);
    arg->kind = kind;
    switch (kind) {
    case LRC_ARG_NONE: break;
    case LRC_ARG_BOOL: arg->u.b = v->i != 0; break;
    case LRC_ARG_LONG: arg->u.l = v->i; break;
    case LRC_ARG_DOUBLE: arg->u.d = v->d; break;
    case LRC_ARG_STRING: arg->u.s = v->s ? v->s : ""; break;
    case LRC_ARG_JSON: {
        json_error_t je;
        json_t *j = json_loads(v->s ? v->s : "", JSON_DECODE_ANY, &je);
        if (!j)
            return lrc_fail(err, LRC_EJSON, "argument is not valid JSON: %s (line %d, column %d)",
                            je.text, je.line, je.column);
        json_decref(j);
        arg->u.s = v->s;
        break;
    }
    case LRC_ARG_LONG_ARRAY:
        arg->u.la.v = v->iv;
        arg->u.la.n = v->ni;
        break;
    case LRC_ARG_DOUBLE_ARRAY:
        arg->u.da.v = v->dv;
        arg->u.da.n = v->nd;
        break;
    case LRC_ARG_STRING_ARRAY:
        arg->u.sa.v = (const char *const *)v->sv;
        arg->u.sa.n = v->ns;
        break;
    default: return lrc_fail(err, LRC_EINVAL, "unsupported argument kind %d", (int)kind);
    }
    return LRC_OK;
}
