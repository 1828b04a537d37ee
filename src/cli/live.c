/* live.c - the terminal view of one command: a header, a line per status
 * change, a live line (spinner, status, progress bar, elapsed time) redrawn
 * in place, and at the end the final status and the result. The parts of a
 * status line (colour, symbol, spinner, bar and elapsed time fitted to the
 * width) are shared with the view of a group (group_view.c). */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define BAR_CELLS 20

struct cli_live {
    const cli_term *t;
    double t0;
    char *status;      /* last status name, or NULL          */
    bool has_progress;
    long long progress;
    json_t *result;    /* the latest result, shown at the end */
    bool drawn;        /* the live line is on the screen      */
    bool ended;
    unsigned spin;
};

cli_live *cli_live_new(const cli_term *t, const char *device, const char *command,
                       const char *command_id, double t0)
{
    cli_live *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->t = t;
    l->t0 = t0;
    printf("%s%s%s %s  %s(%s)%s\n", cli_sgr(t, SGR_BOLD), cli_t(device), cli_sgr(t, SGR_RESET),
           cli_t(command), cli_sgr(t, SGR_DIM), cli_t(command_id), cli_sgr(t, SGR_RESET));
    fflush(stdout);
    return l;
}

void cli_live_free(cli_live *l)
{
    if (!l)
        return;
    free(l->status);
    json_decref(l->result);
    free(l);
}

const char *cli_status_sgr(const char *st)
{
    if (!st)
        return SGR_YELLOW;
    if (strcmp(st, "COMPLETED") == 0)
        return SGR_GREEN;
    if (strcmp(st, "FAILED") == 0 || strcmp(st, "REJECTED") == 0 ||
        strcmp(st, "NOT_STARTED") == 0) /* a group's member (group_view.c) */
        return SGR_RED;
    if (strcmp(st, "ABORTED") == 0)
        return SGR_YELLOW;
    if (strcmp(st, "IN_PROGRESS") == 0)
        return SGR_CYAN;
    return SGR_DIM;
}

const char *cli_final_symbol(const cli_term *t, const char *st)
{
    bool ok = st && strcmp(st, "COMPLETED") == 0;
    bool aborted = st && strcmp(st, "ABORTED") == 0;
    if (t->utf8)
        return ok ? "\u2714" : aborted ? "\u25a0" : "\u2718";
    return ok ? "OK" : aborted ? "--" : "!!";
}

/* The progress bar, `cells` wide (none when 0), then the percentage: in
 * eighths of a cell with UTF-8, '#' otherwise. */
static void put_bar(const cli_term *t, long long progress, FILE *f, int cells)
{
    long long p = progress < 0 ? 0 : progress > 100 ? 100 : progress;
    int eighths = (int)(p * cells * 8 / 100);
    if (cells > 0)
        fputc('[', f);
    for (int c = 0; c < cells; c++) {
        int fill = eighths - c * 8;
        if (!t->utf8) {
            fputc(fill >= 4 ? '#' : '.', f);
        } else if (fill >= 8) {
            fputs("\u2588", f);
        } else if (fill > 0) {
            static const char *const part[8] = {"", "\u258f", "\u258e", "\u258d",
                                                "\u258c", "\u258b", "\u258a", "\u2589"};
            fputs(part[fill], f);
        } else {
            fputs("\u2591", f);
        }
    }
    fprintf(f, "%s%3lld%%", cells > 0 ? "] " : "", progress);
}

/* How a status line fits the terminal: `used` columns taken by its start
 * (symbol and status), then the progress (always its percentage, the bar
 * only if there is room: up to BAR_CELLS cells) and the elapsed time (only
 * if there is room). Never the last column: writing there wraps on some
 * terminals. */
typedef struct fit {
    int cells;     /* bar cells, 0: no bar            */
    bool elapsed;  /* room for "  12.3 s"             */
} fit;

static fit fit_line(bool has_progress, int used, const char *elapsed)
{
    int room = cli_term_width() - 1 - used;
    fit f = {0, true};
    if (has_progress)
        room -= 6; /* "  100%" */
    int el = 2 + (int)strlen(elapsed);
    if (room < el)
        f.elapsed = false;
    else
        room -= el;
    if (has_progress) {
        int cells = room - 3; /* "[", "] " */
        f.cells = cells >= 5 ? (cells > BAR_CELLS ? BAR_CELLS : cells) : 0;
    }
    return f;
}

/* Display columns of UTF-8 text (one per code point: what we draw). */
int cli_columns(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

void cli_put_tail(const cli_term *t, int used, bool has_progress, long long progress,
                  double elapsed_s)
{
    char el[32];
    snprintf(el, sizeof el, "%.1f s", elapsed_s);
    fit f = fit_line(has_progress, used, el);
    if (has_progress) {
        fputs("  ", stdout);
        put_bar(t, progress, stdout, f.cells);
    }
    if (f.elapsed)
        printf("  %s", el);
}

/* The progress and elapsed part of a status line, fitted. */
static void put_tail(const cli_live *l, int used, double elapsed_s)
{
    cli_put_tail(l->t, used, l->has_progress, l->progress, elapsed_s);
}

const char *cli_spinner(const cli_term *t, unsigned n)
{
    static const char *const spin_utf8[] = {"\u280b", "\u2819", "\u2839", "\u2838", "\u283c",
                                            "\u2834", "\u2826", "\u2827", "\u2807", "\u280f"};
    static const char *const spin_ascii[] = {"|", "/", "-", "\\"};
    return t->utf8 ? spin_utf8[n % 10] : spin_ascii[n % 4];
}

static void clear_line(cli_live *l)
{
    if (l->drawn) {
        fputs("\r\033[K", stdout);
        l->drawn = false;
    }
}

/* The live line: spinner, status, bar, elapsed. Never wider than the
 * terminal: the elapsed time and the bar give way, the percentage stays. */
static void draw(cli_live *l)
{
    if (l->ended)
        return;
    const char *sp = cli_spinner(l->t, l->spin);
    clear_line(l);
    const char *st = l->status ? l->status : "waiting";
    int pad = cli_term_width() >= 60 ? 11 : 0; /* aligned columns only when there is room */
    printf("%s%s %s%-*s%s", cli_sgr(l->t, SGR_CYAN), sp, cli_sgr(l->t, cli_status_sgr(l->status)),
           pad, st, cli_sgr(l->t, SGR_RESET));
    int used = 2 + (int)strlen(st) > 2 + pad ? 2 + (int)strlen(st) : 2 + pad;
    put_tail(l, used, cli_now() - l->t0);
    fflush(stdout);
    l->drawn = true;
}

void cli_live_tick(cli_live *l)
{
    l->spin++;
    draw(l);
}

void cli_live_clear(cli_live *l)
{
    clear_line(l);
    fflush(stdout);
}

void cli_live_note(cli_live *l, const char *fmt, ...)
{
    clear_line(l);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    draw(l);
}

static void print_errors(cli_live *l, json_t *errors, double elapsed)
{
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        printf("%s%s %s: %s%s  %.1f s\n", cli_sgr(l->t, SGR_RED), l->t->utf8 ? "\u26a0" : "!",
               cli_t(json_string_value(json_object_get(e, "reason"))),
               cli_t(json_string_value(json_object_get(e, "desc"))), cli_sgr(l->t, SGR_RESET),
               elapsed);
    }
}

/* The keys a device added beyond status/progress/result. */
static void print_extra(cli_live *l, json_t *u)
{
    json_t *extra = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(u, k, v)
    {
        if (!cli_update_key_is_ours(k))
            json_object_set(extra, k, v);
    }
    if (json_object_size(extra) > 0) {
        char *text = cli_json_text(extra);
        printf("  %s%s%s\n", cli_sgr(l->t, SGR_DIM), cli_t(text), cli_sgr(l->t, SGR_RESET));
        free(text);
    }
    json_decref(extra);
}

static void print_result(cli_live *l)
{
    if (!l->result)
        return;
    char *text = cli_json_text(l->result);
    printf("result: %s\n", text ? cli_t(text) : "?");
    free(text);
}

void cli_live_update(cli_live *l, json_t *u)
{
    double elapsed = json_real_value(json_object_get(u, "elapsed"));
    bool final = json_is_true(json_object_get(u, "final"));
    clear_line(l);

    json_t *progress = json_object_get(u, "progress");
    if (json_is_integer(progress)) {
        l->has_progress = true;
        l->progress = json_integer_value(progress);
    }
    json_t *result = json_object_get(u, "result");
    if (result) {
        json_decref(l->result);
        l->result = json_incref(result);
    }
    json_t *errors = json_object_get(u, "error");
    if (errors)
        print_errors(l, errors, elapsed);

    json_t *status = json_object_get(u, "status");
    if (json_is_string(status) || json_is_null(status)) {
        const char *st = json_string_value(status);
        if (!st) {
            char *raw = cli_json_text(json_object_get(u, "status_raw"));
            printf("%s? unknown status %s%s  %.1f s\n", cli_sgr(l->t, SGR_YELLOW), cli_t(raw),
                   cli_sgr(l->t, SGR_RESET), elapsed);
            free(raw);
        } else if (!final && (!l->status || strcmp(st, l->status) != 0)) {
            printf("  %s%-11s%s  %.1f s\n", cli_sgr(l->t, cli_status_sgr(st)), st,
                   cli_sgr(l->t, SGR_RESET), elapsed);
        }
        if (st) {
            free(l->status);
            l->status = strdup(st);
        }
    }
    print_extra(l, u);

    if (final) {
        const char *st = l->status;
        const char *sym = cli_final_symbol(l->t, st), *name = st ? st : "ended";
        printf("%s%s %s%s", cli_sgr(l->t, cli_status_sgr(st)), sym, name, cli_sgr(l->t, SGR_RESET));
        put_tail(l, cli_columns(sym) + 1 + (int)strlen(name), elapsed);
        fputc('\n', stdout);
        print_result(l);
        l->ended = true;
        fflush(stdout);
        return;
    }
    draw(l);
}

/* The command did not end while we watched (timeout, interrupt): show
 * what is known. */
void cli_live_stop(cli_live *l, const char *why)
{
    clear_line(l);
    if (l->ended)
        return;
    printf("%s%s %s%s  (last status %s)  %.1f s\n", cli_sgr(l->t, SGR_YELLOW),
           l->t->utf8 ? "\u23f1" : "..", why, cli_sgr(l->t, SGR_RESET),
           l->status ? l->status : "none", cli_now() - l->t0);
    print_result(l);
    l->ended = true;
    fflush(stdout);
}
