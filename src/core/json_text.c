/* json_text.c - Python-compatible JSON text: what json.dumps writes. */
#include "core/json_text.h"
#include "core/pyrepr.h"
#include "core/wire_text.h"
#include "lrc/error.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
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

/* Raw tokens: see lrc_json_parse below. */
#define RAW_MARK "\0lrc-raw:"
#define RAW_MARK_LEN (sizeof RAW_MARK - 1)

static bool is_raw(const json_t *j, const char **tok, size_t *len)
{
    size_t n = json_string_length(j);
    const char *v = json_string_value(j);
    if (n <= RAW_MARK_LEN || memcmp(v, RAW_MARK, RAW_MARK_LEN) != 0)
        return false;
    *tok = v + RAW_MARK_LEN;
    *len = n - RAW_MARK_LEN;
    return true;
}


/* Strings go through jansson (ASCII with \u escapes, as Python's
 * ensure_ascii), then jansson's upper-case hex digits are lowered and DEL,
 * which jansson writes raw but Python escapes (it keeps only " ".."~"),
 * becomes \u007f. Characters above U+FFFF are surrogate pairs in both. */
static void put_string(text *t, const json_t *j)
{
    const char *tok;
    size_t n;
    if (is_raw(j, &tok, &n)) { /* a token Python writes bare: NaN, 1e400 */
        put(t, tok, n);
        return;
    }
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

/* ---- what Python's json.loads accepts and jansson does not ---------------- *
 *
 * Python's json.dumps writes NaN, Infinity and -Infinity for non-finite
 * floats (allow_nan=True by default) and json.loads reads them back, and
 * any number at all: 1e400 (inf), integers of any size. jansson refuses all
 * of these, and cannot hold them. They are carried through jansson as a
 * string holding RAW_MARK and the token's text, which lrc_json_dumps
 * writes back raw: a device's result keeps its exact text. */
/* Whether jansson would refuse the number token t[0..n): a real beyond
 * double (strtod overflows) or an integer beyond json_int_t. */
static bool number_out_of_range(const char *t, size_t n)
{
    char buf[512];
    if (n >= sizeof buf)
        return true; /* no number jansson reads is that long anyway */
    memcpy(buf, t, n);
    buf[n] = '\0';
    errno = 0;
    if (strcspn(buf, ".eE") < n) {
        double d = strtod(buf, NULL);
        return errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL);
    }
    (void)strtoll(buf, NULL, 10);
    return errno == ERANGE;
}

/* Copies the text with the tokens jansson refuses (outside strings)
 * turned into raw-marked strings. NULL when out of memory. */
static char *mark_raw_tokens(const char *in)
{
    text t = {0};
    const char *p = in, *run = in;
    while (*p) {
        if (*p == '"') { /* skip the string */
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p)
                p++;
            continue;
        }
        size_t n = 0;
        bool raw = false;
        if (strncmp(p, "NaN", 3) == 0) {
            n = 3, raw = true;
        } else if (strncmp(p, "Infinity", 8) == 0) {
            n = 8, raw = true;
        } else if (strncmp(p, "-Infinity", 9) == 0) {
            n = 9, raw = true;
        } else if (*p == '-' || isdigit((unsigned char)*p)) {
            n = strspn(p, "+-0123456789.eE");
            raw = number_out_of_range(p, n);
        }
        if (!raw) {
            p += n ? n : 1;
            continue;
        }
        put(&t, run, (size_t)(p - run));
        puts_(&t, "\"\\u0000lrc-raw:");
        put(&t, p, n);
        puts_(&t, "\"");
        p += n;
        run = p;
    }
    puts_(&t, run);
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

static json_t *loads(const char *s, json_error_t *e)
{
    memset(e, 0, sizeof *e); /* json_error_code() reads a byte jansson may not set */
    return json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_PRESERVE_ORDER, e);
}

static bool out_of_memory(const json_error_t *e)
{
    return json_error_code(e) == json_error_out_of_memory || e->text[0] == '\0';
}

int lrc_json_parse(const char *text_in, json_t **j)
{
    json_error_t e;
    const char *s = text_in ? text_in : "";
    *j = loads(s, &e);
    if (*j)
        return LRC_OK;
    if (out_of_memory(&e))
        return LRC_ENOMEM;
    /* Not strict JSON: try again as Python reads it. Text that is not
     * UTF-8 (a value built by hand; the shim hands over UTF-8) is read as
     * Latin-1, as the wire carries it. */
    char *utf8 = NULL;
    if (!lrc_utf8_valid(s, NULL) && !(utf8 = lrc_latin1_to_utf8(s)))
        return LRC_ENOMEM;
    char *marked = mark_raw_tokens(utf8 ? utf8 : s);
    free(utf8);
    if (!marked)
        return LRC_ENOMEM;
    *j = loads(marked, &e);
    free(marked);
    if (!*j && out_of_memory(&e))
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
