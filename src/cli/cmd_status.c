/* cmd_status.c - `lrc status DEVICE [COMMAND_ID]`: what the device's
 * commands are doing, as a table or JSON; or the state of one command. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

static const char *source_name(lrc_command_source s)
{
    switch (s) {
    case LRC_SOURCE_QUEUE: return "lrcQueue";
    case LRC_SOURCE_EXECUTING: return "lrcExecuting";
    case LRC_SOURCE_FINISHED: return "lrcFinished";
    default: return "longRunningCommandStatus";
    }
}

static void set_opt_string(json_t *o, const char *key, const char *value)
{
    if (value)
        json_object_set_new(o, key, json_string(value));
}

static json_t *info_json(const lrc_command_info *c)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "command_id", c->command_id, "name",
                          c->name ? c->name : "", "status", lrc_status_name(c->status), "source",
                          source_name(c->source));
    if (c->has_progress)
        json_object_set_new(o, "progress", json_integer(c->progress));
    set_opt_string(o, "submitted_time", c->submitted_time);
    set_opt_string(o, "started_time", c->started_time);
    set_opt_string(o, "finished_time", c->finished_time);
    if (c->result_json)
        json_object_set_new(o, "result", json_loads(c->result_json, JSON_DECODE_ANY, NULL));
    if (c->extra_json) {
        json_t *extra = json_loads(c->extra_json, 0, NULL);
        if (json_is_object(extra))
            json_object_update_missing(o, extra);
        json_decref(extra);
    }
    return o;
}

/* "2026-11-25T08:11:25.292139+00:00" -> "08:11:25"; "-" when absent. */
static void short_time(const char *iso, char *buf, size_t n)
{
    const char *t = iso ? strchr(iso, 'T') : NULL;
    if (t && strlen(t + 1) >= 8)
        snprintf(buf, n, "%.8s", t + 1);
    else
        snprintf(buf, n, "%s", iso ? iso : "-");
}

/* text cut to `cols` code points, ending "..." (or an ellipsis) when cut;
 * in buf. */
static const char *cut(const char *text, int cols, bool utf8, char *buf, size_t n)
{
    int count = 0;
    size_t i = 0;
    for (; text[i]; i++)
        count += ((unsigned char)text[i] & 0xc0) != 0x80;
    if (count <= cols)
        return text;
    const char *more = utf8 ? "\u2026" : "...";
    int keep = cols - (utf8 ? 1 : 3);
    size_t at = 0;
    for (int c = 0; text[at] && (c < keep || ((unsigned char)text[at] & 0xc0) == 0x80); at++)
        c += ((unsigned char)text[at] & 0xc0) != 0x80;
    snprintf(buf, n, "%.*s%s", (int)at, text, keep > 0 ? more : "");
    return buf;
}

/* One row's texts, made safe for the terminal. */
typedef struct row {
    const char *status, *name, *id, *result;
    char prog[16], sub[32], sta[32], fin[32];
} row;

/* The table. On a terminal it fits the width (never the last column): the
 * times go first, then the result is cut, then the ID moves to a line of
 * its own; status and progress always stay. */
static void print_table(const cli_term *t, const char *device, int version,
                        const lrc_command_list *l)
{
    size_t n = lrc_command_list_count(l);
    printf("%s%s%s (LRC protocol %d): %zu command%s\n", cli_sgr(t, "\033[1m"), device,
           cli_sgr(t, "\033[0m"), version, n, n == 1 ? "" : "s");
    if (n == 0)
        return;
    row *rows = calloc(n, sizeof *rows);
    char **owned = calloc(n * 3, sizeof *owned);
    if (!rows || !owned) {
        free(rows);
        free(owned);
        return;
    }
    int wid = 2, wname = 7, wres = 6;
    for (size_t i = 0; i < n; i++) {
        const lrc_command_info *c = lrc_command_list_at(l, i);
        row *r = &rows[i];
        /* escaped copies of our own (cli_t's ring is too small for a table) */
        r->name = owned[3 * i] = t->tty ? cli_escape(c->name ? c->name : "") : strdup(c->name ? c->name : "");
        r->id = owned[3 * i + 1] = t->tty ? cli_escape(c->command_id) : strdup(c->command_id);
        r->result = owned[3 * i + 2] = t->tty ? cli_escape(c->result_json ? c->result_json : "")
                                              : strdup(c->result_json ? c->result_json : "");
        r->status = lrc_status_name(c->status);
        if (!r->name || !r->id || !r->result)
            r->name = r->id = r->result = "?";
        if (c->has_progress)
            snprintf(r->prog, sizeof r->prog, "%lld%%", (long long)c->progress);
        short_time(c->submitted_time, r->sub, sizeof r->sub);
        short_time(c->started_time, r->sta, sizeof r->sta);
        short_time(c->finished_time, r->fin, sizeof r->fin);
        wid = (int)strlen(r->id) > wid ? (int)strlen(r->id) : wid;
        wname = (int)strlen(r->name) > wname ? (int)strlen(r->name) : wname;
        wres = (int)strlen(r->result) > wres ? (int)strlen(r->result) : wres;
    }
    int width = t->tty ? cli_term_width() - 1 : 1 << 20;
    int fixed = 11 + 2 + 8 + 2 + wname + 2; /* STATUS, PROGRESS, COMMAND */
    bool times = fixed + wid + 2 + 30 + wres <= width;
    bool id_inline = fixed + wid + 2 + 6 <= width;
    int rescols = width - fixed - (id_inline ? wid + 2 : 0) - (times ? 30 : 0);
    if (rescols < 6)
        rescols = 6;
    printf("%-11s  %8s  %-*s  ", "STATUS", "PROGRESS", wname, "COMMAND");
    if (id_inline)
        printf("%-*s  ", wid, "ID");
    if (times)
        printf("%-9s %-8s  %-8s  ", "SUBMITTED", "STARTED", "FINISHED");
    printf("RESULT\n");
    for (size_t i = 0; i < n; i++) {
        row *r = &rows[i];
        char rb[1024], ib[256];
        printf("%-11s  %8s  %-*s  ", r->status, r->prog, wname, r->name);
        if (id_inline)
            printf("%-*s  ", wid, r->id);
        if (times)
            printf("%-9s %-8s  %-8s  ", r->sub, r->sta, r->fin);
        printf("%s\n", cut(r->result, rescols, t->utf8, rb, sizeof rb));
        if (!id_inline)
            printf("  ID %s\n", cut(r->id, width - 5, t->utf8, ib, sizeof ib));
    }
    for (size_t i = 0; i < n * 3; i++)
        free(owned[i]);
    free(owned);
    free(rows);
}

static int one_command(const cli_options *o, lrc_proxy *p, const char *device, const char *id)
{
    lrc_status st;
    lrc_error *err = NULL;
    int rc = lrc_proxy_command_status(p, id, &st, &err);
    if (rc != LRC_OK) {
        int code = cli_report(p, device, "CheckLongRunningCommandStatus", rc, err, NULL);
        lrc_error_free(err);
        return code;
    }
    /* the list entry adds progress, times and the result when it is there */
    lrc_command_list *l = NULL;
    const lrc_command_info *c = NULL;
    if (lrc_proxy_list_commands(p, &l, NULL) == LRC_OK)
        c = lrc_command_list_find(l, id);
    if (o->json) {
        json_t *obj = c ? info_json(c) : json_pack("{s:s}", "command_id", id);
        json_object_set_new(obj, "device", json_string(device));
        json_object_set_new(obj, "status", json_string(lrc_status_name(st)));
        cli_print_json_line(obj);
    } else {
        printf("%s\n", lrc_status_name(st));
        if (c && c->has_progress)
            printf("progress: %lld%%\n", (long long)c->progress);
        if (c && c->result_json)
            printf("result: %s\n", cli_t(c->result_json));
    }
    lrc_command_list_free(l);
    return st == LRC_STATUS_NOT_FOUND ? CLI_EXIT_RESULT_CODE : CLI_EXIT_OK;
}

static int run_status(const cli_command *cmd, cli_options *o)
{
    (void)cmd;
    const char *device = o->pos[0];
    lrc_proxy *p = NULL;
    int code = cli_open(device, &p, NULL);
    if (code != 0)
        return code;
    if (o->npos > 1) {
        code = one_command(o, p, device, o->pos[1]);
        lrc_proxy_close(p);
        return code;
    }
    lrc_protocol_info pi;
    lrc_protocol_info_init(&pi);
    lrc_error *err = NULL;
    lrc_command_list *l = NULL;
    int rc = lrc_proxy_protocol(p, &pi, &err);
    if (rc == LRC_OK || rc == LRC_EPROTOCOL) {
        lrc_error_free(err);
        err = NULL;
        rc = lrc_proxy_list_commands(p, &l, &err);
    }
    if (rc != LRC_OK) {
        code = cli_report(p, device, NULL, rc, err, NULL);
    } else {
        if (lrc_command_list_malformed(l) > 0)
            cli_error("%s: %zu list item%s could not be read: %s", device,
                      lrc_command_list_malformed(l), lrc_command_list_malformed(l) == 1 ? "" : "s",
                      lrc_command_list_malformed_reason(l));
        if (o->json) {
            json_t *cmds = json_array();
            for (size_t i = 0; i < lrc_command_list_count(l); i++)
                json_array_append_new(cmds, info_json(lrc_command_list_at(l, i)));
            cli_print_json_line(json_pack("{s:s, s:i, s:o}", "device", device, "protocol",
                                          pi.version, "commands", cmds));
        } else {
            cli_term t;
            cli_term_probe(&t);
            print_table(&t, device, pi.version, l);
        }
    }
    lrc_error_free(err);
    lrc_command_list_free(l);
    lrc_proxy_close(p);
    return code;
}

const cli_command cli_cmd_status = {
    .name = "status",
    .synopsis = "DEVICE [COMMAND_ID] [--json]",
    .summary = "show the device's queued, executing and finished commands",
    .details =
        "Without COMMAND_ID: a table of lrcQueue, lrcExecuting and lrcFinished (the v1\n"
        "attributes on devices older than ska-tango-base 1.2): status, progress, command,\n"
        "ID, submitted/started/finished time (\"-\" when the device does not say; real\n"
        "ska-tango-base devices never send submitted_time) and result.\n"
        "With COMMAND_ID: its status (CheckLongRunningCommandStatus) and, while the\n"
        "device lists it, its progress and result. Exit 1 when the ID is NOT_FOUND.\n",
    .opts = CLI_OPT_JSON,
    .min_pos = 1,
    .max_pos = 2,
    .run = run_status,
};
