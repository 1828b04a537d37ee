/* str_index.c - open addressing, linear probing, FNV-1a. */
#include "core/str_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return h;
}

bool lrc_str_index_init(lrc_str_index *x, size_t max)
{
    memset(x, 0, sizeof *x);
    size_t cap = 16;
    while (cap < 2 * max)
        cap *= 2;
    x->keys = calloc(cap, sizeof *x->keys);
    x->vals = malloc(cap * sizeof *x->vals);
    if (!x->keys || !x->vals) {
        lrc_str_index_free(x);
        return false;
    }
    x->cap = cap;
    return true;
}

void lrc_str_index_free(lrc_str_index *x)
{
    free(x->keys);
    free(x->vals);
    memset(x, 0, sizeof *x);
}

/* The slot of key, or the free slot where it would go. */
static size_t slot(const lrc_str_index *x, const char *key)
{
    size_t i = (size_t)hash(key) & (x->cap - 1);
    while (x->keys[i] && strcmp(x->keys[i], key) != 0)
        i = (i + 1) & (x->cap - 1);
    return i;
}

bool lrc_str_index_add(lrc_str_index *x, const char *key, size_t val)
{
    size_t i = slot(x, key);
    if (x->keys[i] || 2 * (x->n + 1) > x->cap)
        return false;
    x->keys[i] = key;
    x->vals[i] = val;
    x->n++;
    return true;
}

bool lrc_str_index_get(const lrc_str_index *x, const char *key, size_t *val)
{
    if (!x->cap)
        return false;
    size_t i = slot(x, key);
    if (!x->keys[i])
        return false;
    *val = x->vals[i];
    return true;
}
