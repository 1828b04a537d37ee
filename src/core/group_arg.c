/*
 * group_arg.c - deep copies of lrc_arg, so that a group member keeps its
 * argument from lrc_group_add until the group issues it, whatever the
 * caller does with its own buffers meanwhile.
 */
#include "core/group_internal.h"

#include <stdlib.h>
#include <string.h>

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

/* The copy's pointers all go into one block (*mem), freed with free(). */
int lrc_group_arg_copy(const lrc_arg *a, lrc_arg *out, void **mem)
{
    *mem = NULL;
    if (!a) {
        *out = lrc_arg_none();
        return LRC_OK;
    }
    *out = *a;
    switch (a->kind) {
    case LRC_ARG_STRING:
    case LRC_ARG_JSON:
        if (!a->u.s)
            return LRC_EINVAL;
        out->u.s = *mem = dup_str(a->u.s);
        return out->u.s ? LRC_OK : LRC_ENOMEM;
    case LRC_ARG_LONG_ARRAY:
        if (a->u.la.n == 0)
            return LRC_OK;
        *mem = malloc(a->u.la.n * sizeof(int64_t));
        if (!*mem)
            return LRC_ENOMEM;
        memcpy(*mem, a->u.la.v, a->u.la.n * sizeof(int64_t));
        out->u.la.v = *mem;
        return LRC_OK;
    case LRC_ARG_DOUBLE_ARRAY:
        if (a->u.da.n == 0)
            return LRC_OK;
        *mem = malloc(a->u.da.n * sizeof(double));
        if (!*mem)
            return LRC_ENOMEM;
        memcpy(*mem, a->u.da.v, a->u.da.n * sizeof(double));
        out->u.da.v = *mem;
        return LRC_OK;
    case LRC_ARG_STRING_ARRAY: {
        /* One block: the pointer table, then the strings. */
        size_t n = a->u.sa.n, bytes = n * sizeof(char *);
        for (size_t i = 0; i < n; i++) {
            if (!a->u.sa.v[i])
                return LRC_EINVAL;
            bytes += strlen(a->u.sa.v[i]) + 1;
        }
        if (n == 0)
            return LRC_OK;
        char *block = malloc(bytes);
        if (!block)
            return LRC_ENOMEM;
        const char **table = (const char **)(void *)block;
        char *text = block + n * sizeof(char *);
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(a->u.sa.v[i]) + 1;
            memcpy(text, a->u.sa.v[i], len);
            table[i] = text;
            text += len;
        }
        *mem = block;
        out->u.sa.v = table;
        return LRC_OK;
    }
    default:
        return LRC_OK; /* scalars live in the struct itself */
    }
}
