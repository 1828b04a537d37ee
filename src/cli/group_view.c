/* group_view.c - the terminal view of a group: one line per member, the
 * device and command in aligned columns, then a spinner (a final mark once
 * it ended), the status, the progress and the elapsed time (drawn as the
 * single view draws them: live.c). The block is redrawn in place: the
 * cursor goes back up to its first line. No line may reach the last
 * column (a wrapped line would break the count of lines to go up), so
 * long names are cut.
 *
 * Nor may the block be taller than the terminal: lines scrolled off the top
 * cannot be reached by going up. When the members do not all fit (with the
 * cursor's line below them), the block is bounded to the height less two
 * lines: the members not ended yet, in member order, as many as fit, then a
 * line of counts for the others ("... 57 more: 52 COMPLETED, 1 FAILED, 4
 * running"). A member that ends leaves the block: its final line is printed
 * once above it, where it scrolls as any output does, so the scrollback
 * keeps every member's outcome. Once bounded the view stays so (a window
 * made taller again must not bring those final lines back into the block,
 * which would show them twice). */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct row {
    const char *device, *command;
    char *status;
    long long progress; /* < 0: none */
    bool ended;
    bool printed;       /* bounded: its final line went above the block */
    double elapsed;     /* when ended */
} row;

struct cli_group_view {
    const cli_term *t;
    double t0;
    size_t n;
    row *rows;
    size_t drawn; /* lines of the block on the screen above the cursor */
    unsigned spin;
    bool bounded; /* the members did not fit the terminal once: for good */
    int height;   /* the terminal's rows last known (0: unknown) */
};

/* The columns of a line, for this redraw. */
typedef struct layout {
    int width, dw, cw, pad;
} layout;

cli_group_view *cli_group_view_new(const cli_term *t, size_t n, const char *const *devices,
                                   const char *const *commands, double t0)
{
    cli_group_view *v = calloc(1, sizeof *v);
    if (!v || !(v->rows = calloc(n, sizeof *v->rows))) {
        free(v);
        return NULL;
    }
    v->t = t;
    v->t0 = t0;
    v->n = n;
    for (size_t i = 0; i < n; i++) {
        v->rows[i].device = devices[i];
        v->rows[i].command = commands[i];
        v->rows[i].progress = -1;
    }
    return v;
}

void cli_group_view_free(cli_group_view *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++)
        free(v->rows[i].status);
    free(v->rows);
    free(v);
}

void cli_group_view_set(cli_group_view *v, size_t i, const char *status, long long progress,
                        bool ended, double elapsed)
{
    row *r = &v->rows[i];
    if (status && (!r->status || strcmp(r->status, status) != 0)) {
        free(r->status);
        r->status = strdup(status);
    }
    if (progress >= 0)
        r->progress = progress;
    r->ended = ended;
    r->elapsed = elapsed;
}

void cli_group_view_detach(cli_group_view *v) { v->drawn = 0; }

/* The widest text of a column (escaped as drawn), at most `max`. */
static int column_width(const cli_group_view *v, bool device, int max)
{
    int w = 0;
    for (size_t i = 0; i < v->n; i++) {
        int c = cli_columns(cli_t(device ? v->rows[i].device : v->rows[i].command));
        w = c > w ? c : w;
    }
    return w < max ? w : max;
}

/* s in exactly `w` columns: padded, or cut with a "~" at its end. */
static void put_cell(const char *s, int w)
{
    const char *e = cli_t(s);
    int c = cli_columns(e);
    if (c <= w) {
        printf("%s%*s", e, w - c, "");
        return;
    }
    /* cut at a code point boundary: w - 1 code points, then "~" */
    int n = 0;
    const char *p = e;
    for (; *p; p++) {
        if (((unsigned char)*p & 0xc0) != 0x80 && n++ == w - 1)
            break;
    }
    printf("%.*s~", (int)(p - e), e);
}

/* Member r's line, at the cursor's line, then a newline. */
static void draw_row(const cli_group_view *v, const layout *l, const row *r)
{
    fputs("\r\033[K", stdout);
    put_cell(r->device, l->dw);
    fputc(' ', stdout);
    put_cell(r->command, l->cw);
    const char *st = r->status ? r->status : r->ended ? "ended" : "waiting";
    const char *mark = r->ended ? cli_final_symbol(v->t, r->status) : cli_spinner(v->t, v->spin);
    printf(" %s%s %-*s%s", cli_sgr(v->t, cli_status_sgr(r->status)), mark, l->pad, st,
           cli_sgr(v->t, SGR_RESET));
    int used = l->dw + 1 + l->cw + 1 + cli_columns(mark) + 1 +
               ((int)strlen(st) > l->pad ? (int)strlen(st) : l->pad);
    cli_put_tail(v->t, used, r->progress >= 0, r->progress < 0 ? 0 : r->progress,
                 r->ended ? r->elapsed : cli_now() - v->t0);
    fputc('\n', stdout);
}

/* The line of counts of the members not in the block (!shown[i]): "... 57
 * more: 52 COMPLETED, 1 FAILED, 4 running", statuses in the order members
 * first have them, the running ones last; cut to the width. */
static void draw_counts(const cli_group_view *v, const layout *l, const bool *shown)
{
    const char **name = calloc(v->n, sizeof *name);
    size_t *count = calloc(v->n, sizeof *count);
    size_t kinds = 0, more = 0, running = 0;
    for (size_t i = 0; name && count && i < v->n; i++) {
        const row *r = &v->rows[i];
        if (shown[i])
            continue;
        more++;
        if (!r->ended) {
            running++;
            continue;
        }
        const char *st = r->status ? r->status : "ended";
        size_t k = 0;
        while (k < kinds && strcmp(name[k], st) != 0)
            k++;
        if (k == kinds)
            name[kinds++] = st;
        count[k]++;
    }
    char text[512];
    int len = snprintf(text, sizeof text, "... %zu more:", more);
    for (size_t k = 0; k <= kinds && len > 0 && (size_t)len < sizeof text; k++) {
        if (k == kinds && !running)
            break;
        len += snprintf(text + len, sizeof text - (size_t)len, "%s %zu %s", k ? "," : "",
                        k < kinds ? count[k] : running, k < kinds ? name[k] : "running");
    }
    free(name);
    free(count);
    fputs("\r\033[K", stdout);
    int c = cli_columns(cli_t(text));
    put_cell(text, c < l->width - 1 ? c : l->width - 1);
    fputc('\n', stdout);
}

/* The bounded block (see the top of the file), the cursor at its first
 * line. */
static void draw_bounded(cli_group_view *v, const layout *l)
{
    /* the lines ended since the last redraw, over the old block, for good */
    size_t running = 0;
    for (size_t i = 0; i < v->n; i++) {
        row *r = &v->rows[i];
        if (r->ended && !r->printed) {
            draw_row(v, l, r);
            r->printed = true;
        }
        running += !r->ended;
    }
    size_t cap = v->height >= 3 ? (size_t)v->height - 2 : 1; /* lines, the counts' too */
    bool *shown = calloc(v->n, sizeof *shown);
    size_t lines = 0;
    for (size_t i = 0; shown && running && i < v->n && lines + 1 < cap; i++)
        if (!v->rows[i].ended) {
            draw_row(v, l, &v->rows[i]);
            shown[i] = true;
            lines++;
        }
    /* nothing running (the end): no block, the summary comes next */
    if (running && shown) {
        draw_counts(v, l, shown);
        lines++;
    }
    free(shown);
    fputs("\033[J", stdout); /* what is left of a taller block */
    v->drawn = lines;
}

void cli_group_view_draw(cli_group_view *v)
{
    layout l = {.width = cli_term_width()};
    /* a third of the line for the device, a sixth for the command at most */
    l.dw = column_width(v, true, l.width / 3 > 8 ? l.width / 3 : 8);
    l.cw = column_width(v, false, l.width / 6 > 6 ? l.width / 6 : 6);
    l.pad = l.width >= 60 ? 11 : 0;
    /* the device gives way first: the rest must fit (a mark, a status) */
    int room = l.width - 1 - (1 + l.cw + 1 + 2 + 11);
    if (l.dw > room)
        l.dw = room > 4 ? room : 4;
    int height = cli_term_height();
    if (height > 0)
        v->height = height;
    /* the whole block and the cursor's line below it must fit */
    if (v->height > 0 && v->n + 1 > (size_t)v->height)
        v->bounded = true;
    if (v->drawn)
        printf("\033[%zuA", v->drawn);
    v->spin++;
    if (v->bounded) {
        draw_bounded(v, &l);
    } else {
        for (size_t i = 0; i < v->n; i++)
            draw_row(v, &l, &v->rows[i]);
        v->drawn = v->n;
    }
    fflush(stdout);
}
