/* group_view.c - the terminal view of a group: one line per member, the
 * device and command in aligned columns, then a spinner (a final mark once
 * it ended), the status, the progress and the elapsed time (drawn as the
 * single view draws them: live.c). The block is redrawn in place: the
 * cursor goes back up to its first line. No line may reach the last
 * column (a wrapped line would break the count of lines to go up), so
 * long names are cut. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct row {
    const char *device, *command;
    char *status;
    long long progress; /* < 0: none */
    bool ended;
    double elapsed;     /* when ended */
} row;

struct cli_group_view {
    const cli_term *t;
    double t0;
    size_t n;
    row *rows;
    size_t drawn; /* lines of the block on the screen above the cursor */
    unsigned spin;
};

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

void cli_group_view_draw(cli_group_view *v)
{
    int width = cli_term_width();
    /* a third of the line for the device, a sixth for the command at most */
    int dw = column_width(v, true, width / 3 > 8 ? width / 3 : 8);
    int cw = column_width(v, false, width / 6 > 6 ? width / 6 : 6);
    int pad = width >= 60 ? 11 : 0;
    /* the device gives way first: the rest must fit (a mark, a status) */
    int room = width - 1 - (1 + cw + 1 + 2 + 11);
    if (dw > room)
        dw = room > 4 ? room : 4;
    if (v->drawn)
        printf("\033[%zuA", v->drawn);
    v->spin++;
    for (size_t i = 0; i < v->n; i++) {
        const row *r = &v->rows[i];
        fputs("\r\033[K", stdout);
        put_cell(r->device, dw);
        fputc(' ', stdout);
        put_cell(r->command, cw);
        const char *st = r->status ? r->status : r->ended ? "ended" : "waiting";
        const char *mark = r->ended ? cli_final_symbol(v->t, r->status) : cli_spinner(v->t, v->spin);
        printf(" %s%s %-*s%s", cli_sgr(v->t, cli_status_sgr(r->status)), mark, pad, st,
               cli_sgr(v->t, SGR_RESET));
        int used = dw + 1 + cw + 1 + cli_columns(mark) + 1 +
                   ((int)strlen(st) > pad ? (int)strlen(st) : pad);
        cli_put_tail(v->t, used, r->progress >= 0, r->progress < 0 ? 0 : r->progress,
                     r->ended ? r->elapsed : cli_now() - v->t0);
        fputc('\n', stdout);
    }
    v->drawn = v->n;
    fflush(stdout);
}
