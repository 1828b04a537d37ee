/* json_text.c - Python-compatible JSON text: what json.dumps writes. */
#include "core/json_text.h"
#include "core/pyrepr.h"
#include "core/wire_text.h"
#include "lrc/error.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing text buffer; `failed` sticks after the first allocation error. */
typedef struct text {
    char *s;
    size_t len, cap;
    bool failed;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *grown = realloc(t->s, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }

/* Strings go through jansson (ASCII with \u escapes, as Python's
 * ensure_ascii), then jansson's upper-case hex digits are lowered and DEL,
 * which jansson writes raw but Python escapes (it keeps only " ".."~"),
 * becomes \u007f. Characters above U+FFFF are surrogate pairs in both. */
static void put_string(text *t, const json_t *j)
{
    char *s = json_dumps(j, JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
    if (!s) {
        t->failed = true;
        return;
    }
    const char *run = s;
    for (char *p = s + 1; *p; p++) { /* s[0] is the opening quote */
        if (*p == '\\') {
            p++;
            if (*p == 'u')
                for (int k = 1; k <= 4 && p[k]; k++)
                    p[k] = (char)tolower((unsigned char)p[k]);
        } else if (*p == 0x7F) {
            put(t, run, (size_t)(p - run));
            puts_(t, "\\u007f");
            run = p + 1;
        }
    }
    puts_(t, run);
    free(s);
}

static void put_value(text *t, const json_t *j)
{
    char num[LRC_PY_FLOAT_LEN];
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        puts_(t, "{");
        const char *key;
        json_t *v;
        bool first = true;
        json_object_foreach ((json_t *)j, key, v) { /* insertion order, as Python's dict */
            if (!first)
                puts_(t, ", ");
            first = false;
            json_t *k = json_string(key);
            if (!k) {
                t->failed = true;
                return;
            }
            put_string(t, k);
            json_decref(k);
            puts_(t, ": ");
            put_value(t, v);
        }
        puts_(t, "}");
        break;
    }
    case JSON_ARRAY: {
        puts_(t, "[");
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i)
                puts_(t, ", ");
            put_value(t, json_array_get(j, i));
        }
        puts_(t, "]");
        break;
    }
    case JSON_STRING: put_string(t, j); break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" PRId64, (int64_t)json_integer_value(j));
        puts_(t, num);
        break;
    case JSON_REAL:
        /* Python writes floats with repr: 0.1, not 0.10000000000000001 */
        lrc_py_float_repr(json_real_value(j), num);
        puts_(t, num);
        break;
    case JSON_TRUE: puts_(t, "true"); break;
    case JSON_FALSE: puts_(t, "false"); break;
    case JSON_NULL: puts_(t, "null"); break;
    }
}

char *lrc_json_dumps(const json_t *j)
{
    if (!j)
        return NULL;
    text t = {0};
    put_value(&t, j);
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

char *lrc_json_normalize(const char *text_in)
{
    if (!text_in)
        return NULL;
    json_t *j = json_loads(text_in, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    char *s = lrc_json_dumps(j);
    json_decref(j);
    return s;
}

int lrc_json_parse(const char *text_in, json_t **j)
{
    json_error_t e;
    memset(&e, 0, sizeof e); /* json_error_code() reads a byte jansson may not set */
    *j = json_loads(text_in ? text_in : "", JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_PRESERVE_ORDER, &e);
    if (!*j && (json_error_code(&e) == json_error_out_of_memory || e.text[0] == '\0'))
        return LRC_ENOMEM;
    return LRC_OK;
}

json_t *lrc_json_string_wire(const char *s)
{
    if (!s)
        return NULL;
    json_t *j = json_string(s);
    if (!j) { /* not UTF-8 (or out of memory, where this fails too) */
        char *u = lrc_latin1_to_utf8(s);
        j = u ? json_string(u) : NULL;
        free(u);
    }
    return j;
}
