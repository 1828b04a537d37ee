/* cmd_watch.c - `lrc watch DEVICE...`: every LRC event of one or more
 * devices, whichever protocol each speaks, until Ctrl-C (with --stats:
 * the devices' metrics every interval instead). A device whose
 * server is not running is not a reason to stop watching the others: it
 * gets a warning and is tried again every RETRY_S until it comes up. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

/* How often a device that is not running is tried again. */
#define RETRY_S 2.0

typedef struct watched {
    const char *device;
    lrc_proxy *p;
    lrc_watch *w;
    cli_follow *f; /* shared by all devices: one main loop */
    double t0;
    bool retrying; /* not running: lrc_watch_start is tried again */
} watched;

static void on_update(const lrc_update *u, void *user)
{
    watched *wd = user;
    cli_follow_push(wd->f, cli_update_json(u, wd->device, wd->t0));
}

/* HH:MM:SS.mmm, local time. */
static void timestamp(char *buf, size_t n)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    size_t k = strftime(buf, n, "%H:%M:%S", &tm);
    snprintf(buf + k, n - k, ".%03ld", (long)(tv.tv_usec / 1000));
}

static void print_line(const cli_term *t, json_t *u)
{
    char ts[32];
    timestamp(ts, sizeof ts);
    const char *id = json_string_value(json_object_get(u, "command_id"));
    printf("%s%s%s %s %s", cli_sgr(t, "\033[2m"), ts, cli_sgr(t, "\033[0m"),
           json_string_value(json_object_get(u, "device")), id ? cli_t(id) : "-");
    json_t *st = json_object_get(u, "status");
    if (json_is_string(st))
        printf(" %s%s%s", cli_sgr(t, "\033[1m"), cli_t(json_string_value(st)), cli_sgr(t, "\033[0m"));
    else if (json_is_null(st))
        printf(" (unknown status)");
    json_t *pr = json_object_get(u, "progress");
    if (json_is_integer(pr))
        printf(" progress %lld%%", (long long)json_integer_value(pr));
    json_t *res = json_object_get(u, "result");
    if (res) {
        char *text = cli_json_text(res);
        printf(" result %s", text ? cli_t(text) : "?");
        free(text);
    }
    json_t *errs = json_object_get(u, "error");
    size_t i;
    json_t *e;
    json_array_foreach(errs, i, e)
    {
        printf(" %s!%s %s: %s", cli_sgr(t, "\033[31m"), cli_sgr(t, "\033[0m"),
               cli_t(json_string_value(json_object_get(e, "reason"))),
               cli_t(json_string_value(json_object_get(e, "desc"))));
    }
    if (json_is_true(json_object_get(u, "final")))
        printf(" (final)");
    putchar('\n');
    fflush(stdout);
}

/* Starts the watch of wd. CLI_EXIT_OK when it runs or its device is not
 * running (then wd->retrying; warned once); the exit status otherwise. */
static int start_watch(watched *wd, const lrc_watch_options *wo)
{
    /* the same proxy every time: it connects once the server is up */
    lrc_error *err = NULL;
    int rc = lrc_watch_start(wd->p, on_update, wd, wo, &wd->w, &err);
    int code = CLI_EXIT_OK;
    if (rc == LRC_OK) {
        /* on stderr also with --json: it tells a script the watch is live */
        fprintf(stderr, "%s: watching %s (LRC protocol %d); Ctrl-C to stop\n", cli_prog,
                wd->device, lrc_watch_protocol_version(wd->w));
        wd->retrying = false;
    } else if (cli_is_unreachable(err)) {
        if (!wd->retrying) {
            cli_diag d = {.silent = true};
            cli_report(wd->p, wd->device, NULL, rc, err, &d);
            fprintf(stderr, "%s: warning: %s; watching the others, trying again every %g s\n",
                    cli_prog, cli_t_err(d.message), RETRY_S);
        }
        wd->retrying = true;
    } else {
        code = cli_report(wd->p, wd->device, NULL, rc, err, NULL);
    }
    lrc_error_free(err);
    return code;
}

/* Shows what arrived; with --stats only the warnings (the updates are
 * counted in the metrics, not shown). True if a warning went to stderr. */
static bool show_updates(const cli_options *o, const cli_term *term, cli_follow *f)
{
    json_t *u;
    bool warned = false;
    while ((u = cli_follow_take(f))) {
        const char *log = json_string_value(json_object_get(u, "log"));
        if (log) {
            fprintf(stderr, "%s: warning: %s\n", cli_prog, cli_t_err(log));
            warned = true;
        } else if (o->stats) {
            /* counted in the metrics, not shown */
        } else if (o->json)
            cli_print_json_line(json_incref(u));
        else
            print_line(term, u);
        json_decref(u);
    }
    return warned;
}

/* --stats: one report of every device. On a terminal a table, drawn over
 * the previous one (*drawn: its lines; 0 when something was printed below
 * it since); otherwise one JSON line {"stats": [...], "elapsed": s}. */
static void show_stats(const cli_options *o, const cli_term *term, const watched *ws, int n,
                       double t0, int *drawn)
{
    json_t *rows = json_array();
    for (int i = 0; rows && i < n; i++) {
        json_t *dev = cli_stats_json(ws[i].device, ws[i].p);
        if (dev)
            json_array_append_new(rows, dev);
    }
    if (!rows)
        return;
    if (o->json) {
        cli_print_json_line(json_pack("{s:o, s:o}", "stats", rows, "elapsed", cli_elapsed_json(t0)));
        return;
    }
    if (term->tty && *drawn > 0)
        printf("\033[%dF\033[J", *drawn); /* back to the table's first line, clear below */
    cli_stats_print_header(stdout, term);
    size_t i;
    json_t *dev;
    json_array_foreach(rows, i, dev)
    {
        cli_stats_print_row(stdout, dev);
    }
    *drawn = (int)json_array_size(rows) + 1;
    fflush(stdout);
    json_decref(rows);
}

static int run_watch(const cli_command *cmd, cli_options *o)
{
    (void)cmd;
    cli_term term;
    cli_term_probe(&term);
    int sig_fd = cli_signals_install();
    int n = o->npos;
    watched *ws = calloc((size_t)n, sizeof *ws);
    double t0 = cli_now();
    cli_follow *f = cli_follow_new("", t0);
    int code = ws && f ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    if (code != CLI_EXIT_OK)
        cli_error("out of memory");
    lrc_watch_options wo;
    lrc_watch_options_init(&wo);
    wo.logger = cli_follow_log;
    wo.logger_user = f;
    for (int i = 0; i < n && code == CLI_EXIT_OK; i++) {
        watched *wd = &ws[i];
        wd->device = o->pos[i];
        wd->f = f;
        wd->t0 = t0;
        if ((code = cli_open(wd->device, &wd->p, NULL)) != 0)
            break;
        code = start_watch(wd, &wo);
    }
    double next_retry = cli_now() + RETRY_S;
    double next_stats = cli_now() + o->interval_s;
    int drawn = 0; /* lines of the stats table on the terminal */
    while (code == CLI_EXIT_OK) {
        if (show_updates(o, &term, f))
            drawn = 0; /* a warning went below the table: draw a new one */
        if (ferror(stdout)) /* the reader went away (lrc watch | head) */
            break;
        bool any_retrying = false;
        for (int i = 0; i < n; i++)
            any_retrying |= ws[i].retrying;
        double now = cli_now();
        if (any_retrying && now >= next_retry) {
            for (int i = 0; i < n && code == CLI_EXIT_OK; i++)
                if (ws[i].retrying)
                    code = start_watch(&ws[i], &wo);
            next_retry = cli_now() + RETRY_S;
            drawn = 0;
            continue;
        }
        if (o->stats && now >= next_stats) {
            show_stats(o, &term, ws, n, t0, &drawn);
            next_stats += o->interval_s;
            if (next_stats < now)
                next_stats = now + o->interval_s; /* fell behind: no burst */
            continue;
        }
        double wait = any_retrying ? next_retry - now : -1;
        if (o->stats && (wait < 0 || next_stats - now < wait))
            wait = next_stats - now;
        bool signalled;
        cli_follow_wait(f, sig_fd, wait, &signalled);
        if (signalled)
            break;
    }
    if (o->stats && code == CLI_EXIT_OK && !ferror(stdout)) {
        show_updates(o, &term, f);
        show_stats(o, &term, ws, n, t0, &drawn); /* the totals at the end */
    }
    for (int i = 0; ws && i < n; i++) {
        lrc_watch_free(ws[i].w);
        lrc_proxy_close(ws[i].p);
    }
    cli_follow_free(f);
    free(ws);
    return code;
}

const cli_command cli_cmd_watch = {
    .name = "watch",
    .synopsis = "DEVICE... [--json] [--stats [--interval SECONDS]]",
    .summary = "show every LRC event of one or more devices until Ctrl-C",
    .details = "Follows every long running command of the devices, whoever started it\n"
               "(protocol v1 or v2, whichever each device speaks), from now on. One line per\n"
               "update: time, device, command ID, status, progress, result, errors; with\n"
               "--json (or when stdout is not a terminal) the JSON objects of lrc invoke.\n"
               "A device whose server is not running gets a warning and is tried again\n"
               "every 2 s while the others are watched. Ctrl-C ends it with exit status 0.\n"
               "\n"
               "With --stats the updates are counted instead of shown: every interval, one\n"
               "row per device with the events received (ERRS: error events), the events\n"
               "dropped for overflow of its callback queue (progress only), the queue's\n"
               "length, the time events wait in the queue and the time the callback takes\n"
               "(p50/p99/max), the Tango subscriptions made (count, mean/max time) and the\n"
               "invocations of this process by outcome; with --json (or when stdout is not\n"
               "a terminal) one line {\"stats\": [one object per device], \"elapsed\": s}.\n"
               "A last report comes at Ctrl-C.\n",
    .opts = CLI_OPT_JSON | CLI_OPT_STATS | CLI_OPT_INTERVAL,
    .min_pos = 1,
    .max_pos = -1,
    .json_when_piped = true,
    .run = run_watch,
};
