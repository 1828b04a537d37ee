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

bool lrc_str_index_reserve(lrc_str_index *x, size_t max)
{
    if (x->cap && 2 * max <= x->cap)
        return true;
    lrc_str_index grown;
    if (!lrc_str_index_init(&grown, max))
        return false;
    for (size_t i = 0; i < x->cap; i++)
        if (x->keys[i])
            lrc_str_index_add(&grown, x->keys[i], x->vals[i]);
    lrc_str_index_free(x);
    *x = grown;
    return true;
}

bool lrc_str_index_remove(lrc_str_index *x, const char *key)
{
    if (!x->cap)
        return false;
    size_t mask = x->cap - 1;
    size_t i = slot(x, key);
    if (!x->keys[i])
        return false;
    x->keys[i] = NULL;
    x->n--;
    /* Pull back every later key of the run whose home slot is not in
     * (i, j]: a lookup starting at its home would stop at the hole. */
    for (size_t j = (i + 1) & mask; x->keys[j]; j = (j + 1) & mask) {
        size_t home = (size_t)hash(x->keys[j]) & mask;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays)
            continue;
        x->keys[i] = x->keys[j];
        x->vals[i] = x->vals[j];
        x->keys[j] = NULL;
        i = j;
    }
    return true;
}
