/* str_index.h - a hash index of borrowed strings to positions (or
 * pointers), so that the v1 lists (hundreds of commands per event) are
 * handled in linear time and a stream finds the invocations an event names
 * in constant time. The strings are not copied: they must outlive their
 * entries. A zeroed struct is an empty index (lrc_str_index_reserve sizes
 * it). */
#ifndef LRC_STR_INDEX_H
#define LRC_STR_INDEX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct lrc_str_index {
    const char **keys; /* NULL: free slot */
    size_t *vals;
    size_t cap;        /* a power of two, at least twice the entries */
    size_t n;
} lrc_str_index;

/* An empty index for up to `max` entries. false when out of memory. */
bool lrc_str_index_init(lrc_str_index *x, size_t max);
void lrc_str_index_free(lrc_str_index *x);

/* Adds key -> val unless key is there (then false and *val unchanged).
 * At most `max` entries (lrc_str_index_init). */
bool lrc_str_index_add(lrc_str_index *x, const char *key, size_t val);

/* Makes room for `max` entries in all, rehashing when the index is too
 * small. false when out of memory (x unchanged). */
bool lrc_str_index_reserve(lrc_str_index *x, size_t max);

/* Removes key (false if absent). The others stay where lookups find them
 * (backward-shift deletion: no tombstones). */
bool lrc_str_index_remove(lrc_str_index *x, const char *key);

/* The value of key: true and *val, or false. */
bool lrc_str_index_get(const lrc_str_index *x, const char *key, size_t *val);

#endif
