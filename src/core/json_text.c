/* json_text.c - Python-compatible JSON text. */
#include "core/json_text.h"

#include <ctype.h>
#include <stdbool.h>

char *lrc_json_dumps(const json_t *j)
{
    if (!j)
        return NULL;
    char *s = json_dumps(j, JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
    if (!s)
        return NULL;
    /* jansson writes \u00E9, Python \u00e9: lower the hex digits of every
     * \u escape (walking escapes so that an escaped backslash followed by
     * a 'u' is left alone). */
    bool in_string = false;
    for (char *p = s; *p; p++) {
        if (*p == '"') {
            in_string = !in_string;
        } else if (in_string && *p == '\\') {
            p++;
            if (*p == 'u')
                for (int k = 1; k <= 4 && p[k]; k++)
                    p[k] = (char)tolower((unsigned char)p[k]);
        }
    }
    return s;
}

char *lrc_json_normalize(const char *text)
{
    if (!text)
        return NULL;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    char *s = lrc_json_dumps(j);
    json_decref(j);
    return s;
}
