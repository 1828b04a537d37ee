/* wire_text.c - Latin-1 on the Tango wire, UTF-8 in the API (wire_text.h). */
#include "core/wire_text.h"
#include "core/error_build.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Decodes one UTF-8 sequence at p: its length (1..4) and code point, or 0
 * if the bytes there are not well-formed UTF-8 (RFC 3629). */
static size_t utf8_decode(const unsigned char *p, uint32_t *cp)
{
    unsigned char c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, min = 0x80, *cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, min = 0x800, *cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, min = 0x10000, *cp = c & 0x07u;
    } else {
        return 0;
    }
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        *cp = (*cp << 6) | (p[k] & 0x3Fu);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

bool lrc_utf8_valid(const char *s, size_t *bad_at)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    for (size_t i = 0; p[i];) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, &cp);
        if (n == 0) {
            if (bad_at)
                *bad_at = i;
            return false;
        }
        i += n;
    }
    return true;
}

char *lrc_latin1_to_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    char *u = malloc(2 * strlen((const char *)p) + 1), *o = u;
    if (!u)
        return NULL;
    for (; *p; p++) {
        if (*p < 0x80) {
            *o++ = (char)*p;
        } else {
            *o++ = (char)(0xC0 | (*p >> 6));
            *o++ = (char)(0x80 | (*p & 0x3F));
        }
    }
    *o = '\0';
    return u;
}

/* Where a strict encoding stopped: byte offset, character index, and the
 * code point (0 when the bytes there are not UTF-8). */
typedef struct bad_text {
    size_t at, index;
    uint32_t cp;
} bad_text;

/* The one encoder. lossy: '?' for what cannot go. Strict: stops at the
 * first problem, fills *bad and returns LRC_EINVAL. LRC_ENOMEM. */
static int encode(const char *s, bool lossy, char **out, bad_text *bad)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    char *o = *out = malloc(strlen((const char *)p) + 1);
    if (!o)
        return LRC_ENOMEM;
    size_t index = 0;
    for (size_t i = 0; p[i]; index++) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, &cp);
        if (n == 0 || cp > 0xFF) {
            if (!lossy) {
                *bad = (bad_text){.at = i, .index = index, .cp = n == 0 ? 0 : cp};
                free(*out);
                *out = NULL;
                return LRC_EINVAL;
            }
            *o++ = '?';
            i += n == 0 ? 1 : n;
            continue;
        }
        *o++ = (char)cp;
        i += n;
    }
    *o = '\0';
    return LRC_OK;
}

int lrc_utf8_to_latin1(const char *s, const char *what, char **out, lrc_error **err)
{
    bad_text bad = {0};
    int rc = encode(s, false, out, &bad);
    if (rc == LRC_ENOMEM)
        return lrc_fail(err, rc, "out of memory");
    if (rc == LRC_OK)
        return LRC_OK;
    what = what ? what : "text";
    if (bad.cp == 0)
        return lrc_fail(err, LRC_EINVAL, "%s is not UTF-8 text (byte 0x%02X at offset %zu)",
                        what, (unsigned)(unsigned char)s[bad.at], bad.at);
    return lrc_fail(err, LRC_EINVAL,
                    "%s holds U+%04X (character %zu, byte offset %zu), which cannot be sent to "
                    "Tango: DevString text travels as Latin-1 (U+0000..U+00FF)",
                    what, (unsigned)bad.cp, bad.index, bad.at);
}

char *lrc_utf8_to_latin1_lossy(const char *s)
{
    char *out;
    bad_text bad;
    return encode(s, true, &out, &bad) == LRC_OK ? out : NULL;
}

int lrc_wire_check(const lrc_tg_value *v, const char *what, lrc_error **err)
{
    lrc_tg_value copy;
    int rc = lrc_wire_value_to_latin1(v, &copy, what, err);
    lrc_tg_value_clear(&copy);
    return rc;
}

static void *dup_array(const void *p, size_t n, size_t size, bool *failed)
{
    if (n == 0 || !p)
        return NULL;
    void *c = malloc(n * size);
    if (!c)
        *failed = true;
    else
        memcpy(c, p, n * size);
    return c;
}

int lrc_wire_value_to_latin1(const lrc_tg_value *in, lrc_tg_value *out, const char *what,
                             lrc_error **err)
{
    memset(out, 0, sizeof *out);
    out->type = in->type;
    out->i = in->i;
    out->d = in->d;
    bool failed = false;
    out->iv = dup_array(in->iv, in->ni, sizeof *in->iv, &failed);
    out->ni = out->iv ? in->ni : 0;
    out->dv = dup_array(in->dv, in->nd, sizeof *in->dv, &failed);
    out->nd = out->dv ? in->nd : 0;
    int rc = LRC_OK;
    if (!failed && in->s)
        rc = lrc_utf8_to_latin1(in->s, what, &out->s, err);
    if (!failed && rc == LRC_OK && in->ns > 0 && in->sv) {
        out->sv = calloc(in->ns, sizeof *out->sv);
        if (!out->sv)
            failed = true;
        else
            out->ns = in->ns;
        for (size_t k = 0; !failed && rc == LRC_OK && k < in->ns; k++) {
            char *name = lrc_asprintf("%s[%zu]", what ? what : "text", k);
            rc = lrc_utf8_to_latin1(in->sv[k], name ? name : what, &out->sv[k], err);
            free(name);
        }
    }
    if (failed && rc == LRC_OK)
        rc = lrc_fail(err, LRC_ENOMEM, "out of memory");
    if (rc != LRC_OK)
        lrc_tg_value_clear(out);
    return rc;
}

/* Replaces *s by its UTF-8 form; false when out of memory (*s unchanged). */
static bool to_utf8(char **s)
{
    if (!*s)
        return true;
    for (const unsigned char *p = (const unsigned char *)*s; *p; p++)
        if (*p >= 0x80)
            goto convert;
    return true; /* ASCII, the usual case: nothing to do */
convert:;
    char *u = lrc_latin1_to_utf8(*s);
    if (!u)
        return false;
    free(*s);
    *s = u;
    return true;
}

int lrc_wire_value_to_utf8(lrc_tg_value *v)
{
    bool ok = to_utf8(&v->s);
    for (size_t k = 0; k < v->ns && v->sv; k++)
        ok = to_utf8(&v->sv[k]) && ok;
    return ok ? LRC_OK : LRC_ENOMEM;
}
