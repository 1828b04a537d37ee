/*
 * fuzz_input.h - turns a libFuzzer input into the values the drivers feed
 * the code under test: a NUL-terminated copy of some bytes, or a string
 * spectrum split at newlines (so that seed files are readable text, one
 * element a line).
 */
#ifndef LRC_FUZZ_INPUT_H
#define LRC_FUZZ_INPUT_H

#include "tango/tango_shim.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd NUL-terminated copy of data[0..n) (NULs inside shorten it,
 * as a C string from Tango would be). Aborts when out of memory: a fuzz
 * run has memory to spare, and a NULL here would only hide a finding. */
static inline char *fuzz_str(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

/* A string spectrum (LRC_TG_STRING_ARRAY) of the lines of data[0..n);
 * release with lrc_tg_value_clear. */
static inline void fuzz_lines(const uint8_t *data, size_t n, lrc_tg_value *v)
{
    memset(v, 0, sizeof *v);
    v->type = LRC_TG_STRING_ARRAY;
    size_t count = 1;
    for (size_t i = 0; i < n; i++)
        count += data[i] == '\n';
    v->sv = calloc(count, sizeof *v->sv);
    if (!v->sv)
        abort();
    size_t start = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || data[i] == '\n') {
            v->sv[v->ns++] = fuzz_str(data + start, i - start);
            start = i + 1;
        }
}

#endif /* LRC_FUZZ_INPUT_H */
