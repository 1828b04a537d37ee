/* text.c - strings from devices (command names, IDs, results, error texts)
 * on a terminal. A device controls those bytes; written raw, an ESC or a
 * C1 control would be a terminal command (move the cursor, retitle the
 * window, recolour, clear the screen) and a newline would forge output
 * lines. On a terminal every control character is shown escaped, C style;
 * in a pipe the text is passed as it is (scripts get what the device
 * sent). Main thread only. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A few results live at once in one printf: a small ring of buffers, each
 * freed when its slot comes round again. */
#define RING 8
static char *ring[RING];
static unsigned ring_next;

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (s[0] >= 0xf8)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

char *cli_escape(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t cap = strlen((const char *)p) * 6 + 1; /* worst case: \u009b per 2 bytes, \x7f per 1 */
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    while (*p) {
        unsigned char c = *p;
        if (c < 0x20 || c == 0x7f) {
            const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r"
                                                  : c == 0x1b ? "\\e" : NULL;
            o += named ? (size_t)sprintf(o, "%s", named) : (size_t)sprintf(o, "\\x%02x", c);
            p++;
        } else if (c < 0x80) {
            *o++ = (char)*p++;
        } else {
            size_t n = utf8_len(p);
            if (n == 2 && c == 0xc2 && p[1] < 0xa0) { /* U+0080..U+009F: C1 controls */
                o += sprintf(o, "\\u%04x", p[1]);
                p += 2;
            } else if (n == 0) { /* not UTF-8: a lone byte a Latin-1 terminal could obey */
                o += sprintf(o, "\\x%02x", c);
                p++;
            } else {
                memcpy(o, p, n);
                o += n;
                p += n;
            }
        }
    }
    *o = '\0';
    return out;
}

static const char *ring_keep(char *s)
{
    unsigned i = ring_next++ % RING;
    free(ring[i]);
    ring[i] = s;
    return s ? s : "?";
}

const char *cli_t(const char *s)
{
    static int tty = -1;
    if (tty < 0)
        tty = isatty(STDOUT_FILENO);
    if (!s)
        return "";
    return tty ? ring_keep(cli_escape(s)) : s;
}

const char *cli_t_err(const char *s)
{
    static int tty = -1;
    if (tty < 0)
        tty = isatty(STDERR_FILENO);
    if (!s)
        return "";
    return tty ? ring_keep(cli_escape(s)) : s;
}

void cli_text_release(void)
{
    for (unsigned i = 0; i < RING; i++) {
        free(ring[i]);
        ring[i] = NULL;
    }
}
