/* cmd_invoke.c - `lrc invoke` and `lrc abort`: start one long running
 * command, follow it to its end on the terminal or as JSON lines, and
 * turn its outcome into the exit status. Ctrl-C offers to send Abort. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How often the live line is redrawn (spinner, elapsed time). */
#define TICK_S 0.1

typedef struct run {
    const cli_options *o;
    cli_term term;
    const char *device;
    const char *command;
    lrc_proxy *p;
    cli_follow *f;
    cli_live *live;         /* NULL unless drawing on a terminal           */
    lrc_subscription *sub;  /* the command followed                        */
    lrc_subscription *abort_sub; /* an Abort sent on Ctrl-C                */
    double t0;
    bool ended;             /* the final update was seen                   */
    char *final_status;
    char *end;              /* the library ended it: "TIMED_OUT", "LOST"   */
    char *last_status;      /* ... after this status (may be NULL)         */
    json_t *result;         /* the latest result of the command            */
    int interrupts;
    json_t *held;           /* updates taken while the Ctrl-C question waits */
} run;

/* ---- output --------------------------------------------------------------- */

static const char *final_outcome(const run *r, int *exit_code)
{
    if (r->end) {
        bool lost = strcmp(r->end, "LOST") == 0;
        *exit_code = lost ? CLI_EXIT_LOST : CLI_EXIT_TIMEOUT;
        return lost ? "LOST" : "TIMEOUT";
    }
    const char *st = r->final_status ? r->final_status : "";
    if (strcmp(st, "COMPLETED") == 0) {
        json_t *code = json_is_array(r->result) ? json_array_get(r->result, 0) : NULL;
        *exit_code = json_is_integer(code) && json_integer_value(code) != LRC_RESULT_OK
                         ? CLI_EXIT_RESULT_CODE
                         : CLI_EXIT_OK;
    } else if (strcmp(st, "FAILED") == 0) {
        *exit_code = CLI_EXIT_FAILED;
    } else if (strcmp(st, "ABORTED") == 0) {
        *exit_code = CLI_EXIT_ABORTED;
    } else if (strcmp(st, "REJECTED") == 0) {
        *exit_code = CLI_EXIT_REJECTED;
    } else {
        *exit_code = CLI_EXIT_ERROR;
        return "ERROR";
    }
    return st;
}

/* The last JSON line: how it ended. */
static void print_outcome(const run *r, const char *outcome, int exit_code, json_t *error)
{
    if (!r->o->json || r->o->quiet) {
        json_decref(error);
        return;
    }
    json_t *o = json_pack("{s:s}", "outcome", outcome);
    if (r->device)
        json_object_set_new(o, "device", json_string(r->device));
    if (r->sub)
        json_object_set_new(o, "command_id", json_string(lrc_subscription_command_id(r->sub)));
    json_t *code = json_is_array(r->result) ? json_array_get(r->result, 0) : NULL;
    if (strcmp(outcome, "COMPLETED") == 0 && json_is_integer(code)) {
        const char *name = lrc_result_code_name((int)json_integer_value(code));
        json_object_set_new(o, "result_code",
                            name ? json_string(name) : json_integer(json_integer_value(code)));
    }
    if (error)
        json_object_set_new(o, "error", error);
    json_object_set_new(o, "exit", json_integer(exit_code));
    json_object_set_new(o, "elapsed", cli_elapsed_json(r->t0));
    cli_print_json_line(o);
}

static bool is_about(json_t *u, lrc_subscription *s)
{
    const char *id = json_string_value(json_object_get(u, "command_id"));
    return s && id && strcmp(id, lrc_subscription_command_id(s)) == 0;
}

/* An update of the Abort sent on Ctrl-C: a note, not the outcome. */
static void show_abort_update(run *r, json_t *u)
{
    const char *st = json_string_value(json_object_get(u, "status"));
    if (r->live && st)
        cli_live_note(r->live, "  abort: %s", cli_t(st));
}

static void show(run *r, json_t *u)
{
    /* a log line of the library (cli_follow_log) */
    const char *log = json_string_value(json_object_get(u, "log"));
    if (log) {
        if (r->live)
            cli_live_clear(r->live);
        if (!r->o->quiet)
            fprintf(stderr, "%s: warning: %s\n", cli_prog, cli_t_err(log));
        return;
    }
    bool mine = is_about(u, r->sub);
    if (r->o->json && !r->o->quiet)
        cli_print_json_line(json_incref(u));
    if (!mine) {
        show_abort_update(r, u);
        return;
    }
    json_t *res = json_object_get(u, "result");
    if (res) {
        json_decref(r->result);
        r->result = json_incref(res);
    }
    const char *st = json_string_value(json_object_get(u, "status"));
    if (json_is_true(json_object_get(u, "final")) && st) {
        r->ended = true;
        r->final_status = strdup(st);
    }
    const char *end = json_string_value(json_object_get(u, "end"));
    if (json_is_true(json_object_get(u, "final")) && end) {
        const char *last = json_string_value(json_object_get(u, "last_status"));
        r->ended = true;
        r->end = strdup(end);
        r->last_status = last ? strdup(last) : NULL;
    }
    if (r->live)
        cli_live_update(r->live, u);
}

/* lrc_invoke of Abort failed with *err: on a pre-1.2 device (no such
 * command) sends the deprecated, untracked AbortCommands instead. LRC_OK
 * with its reply in *reply (the caller frees it); otherwise the failure,
 * in *err. */
static int abort_commands_instead(run *r, int rc, lrc_error **err, char **reply)
{
    *reply = NULL;
    if (!cli_has_reason(*err, "API_CommandNotFound"))
        return rc;
    lrc_error_free(*err);
    *err = NULL;
    return lrc_proxy_command(r->p, "AbortCommands", NULL, reply, err);
}

/* ---- Ctrl-C ------------------------------------------------------------------ */

/* user: the run (a cli_interrupt_ops callback). */
static void send_abort(void *user)
{
    run *r = user;
    lrc_invoke_options io = cli_invoke_options(r->o, r->f);
    lrc_error *err = NULL;
    int rc = lrc_invoke(r->p, "Abort", NULL, cli_follow_cb, r->f, &io, &r->abort_sub, &err);
    if (rc == LRC_OK) {
        if (r->live)
            cli_live_note(r->live, "Abort sent to %s (%s); waiting for the command to end", r->device,
                          cli_t(lrc_subscription_command_id(r->abort_sub)));
        else if (!r->o->quiet && !r->o->json)
            fprintf(stderr, "%s: Abort sent to %s\n", cli_prog, r->device);
        return;
    }
    char *reply = NULL;
    if ((rc = abort_commands_instead(r, rc, &err, &reply)) == LRC_OK) {
        if (r->live)
            cli_live_note(r->live, "AbortCommands sent to %s: %s", r->device, cli_t(reply));
        free(reply);
        return;
    }
    if (r->live)
        cli_live_clear(r->live);
    cli_error("%s: Abort failed: %s", r->device, err ? lrc_error_message(err) : lrc_strerror(rc));
    lrc_error_free(err);
}

/* The run's parts for cli_on_interrupt (user: the run), in k_interrupt_ops. */
static bool abort_already_sent(void *user)
{
    return ((run *)user)->abort_sub != NULL;
}

static void clear_live(void *user)
{
    run *r = user;
    if (r->live)
        cli_live_clear(r->live);
}

static bool is_final(void *user, json_t *u)
{
    run *r = user;
    return is_about(u, r->sub) && json_is_true(json_object_get(u, "final"));
}

static void show_cb(void *user, json_t *u)
{
    show(user, u);
}

static const cli_interrupt_ops k_interrupt_ops = {
    abort_already_sent, send_abort, clear_live, is_final, show_cb};

/* ---- following --------------------------------------------------------------- */

/* Follows r->sub to its end, a timeout or an interrupt; returns the exit
 * status and prints the outcome. */
static int follow(run *r, int sig_fd)
{
    /* The library ends the invocation at --timeout (lrc_invoke_options.
     * timeout_ms); this deadline is only a safety net behind it. */
    double deadline = r->o->timeout_s >= 0 ? r->t0 + r->o->timeout_s + 5 : -1;
    char q[512];
    snprintf(q, sizeof q, "\nAbort all commands of %s? [y/N] ", r->device);
    cli_interrupt in = {.ops = &k_interrupt_ops, .run = r, .f = r->f, .question = q,
                        .what = r->command, .count = &r->interrupts, .held = &r->held,
                        .abort_on_interrupt = r->o->abort_on_interrupt, .tty = r->term.tty};
    for (;;) {
        json_t *u;
        while ((u = cli_follow_take(r->f))) {
            show(r, u);
            json_decref(u);
        }
        if (r->ended) {
            int code;
            const char *outcome = final_outcome(r, &code);
            if (r->end && !r->o->quiet) {
                if (r->live)
                    cli_live_stop(r->live, code == CLI_EXIT_LOST ? "lost" : "timeout");
                if (code == CLI_EXIT_LOST)
                    cli_error("%s: LOST: the device cannot tell the command's outcome (it "
                              "forgot the command, or stayed unreachable); last status seen: %s",
                              r->command, r->last_status ? r->last_status : "none");
                else
                    cli_error("%s: no final status after %g s (--timeout); last status seen: "
                              "%s; the command goes on on the device",
                              r->command, r->o->timeout_s,
                              r->last_status ? r->last_status : "none");
            }
            print_outcome(r, outcome, code, NULL);
            return code;
        }
        double now = cli_now();
        if (deadline >= 0 && now >= deadline) {
            if (r->live)
                cli_live_stop(r->live, "timeout");
            if (!r->o->quiet)
                cli_error("%s: no final status after %g s (--timeout); the command goes on on "
                          "the device",
                          r->command, r->o->timeout_s);
            print_outcome(r, "TIMEOUT", CLI_EXIT_TIMEOUT, NULL);
            return CLI_EXIT_TIMEOUT;
        }
        double wait = deadline >= 0 ? deadline - now : -1;
        if (r->live && (wait < 0 || wait > TICK_S))
            wait = TICK_S;
        bool signalled;
        cli_follow_wait(r->f, sig_fd, wait, &signalled);
        if (signalled && cli_on_interrupt(&in, sig_fd)) { /* ask.c's policy */
            if (r->live)
                cli_live_stop(r->live, "interrupted");
            print_outcome(r, "INTERRUPTED", CLI_EXIT_INTERRUPTED, NULL);
            return CLI_EXIT_INTERRUPTED;
        }
        if (r->live)
            cli_live_tick(r->live);
    }
}

static int run_command(const cli_options *o, const char *device, const char *command,
                       const char *arg_text)
{
    run r = {.o = o, .device = device, .command = command};
    cli_term_probe(&r.term);
    int sig_fd = cli_signals_install();
    r.t0 = cli_now();
    cli_diag dg = {.silent = false};
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    if (o->lost_after_given) {
        /* the library's 0 is its default: the tool's 0 (or less) is never */
        int64_t ms = (int64_t)(o->lost_after_s * 1000 + 0.5);
        po.lost_after_ms = o->lost_after_s <= 0 ? -1 : ms > 0 ? ms : 1;
    }
    int code = cli_open_with(device, &po, &r.p, &dg);
    if (code != 0) {
        print_outcome(&r, "ERROR", code, cli_diag_json(&dg, NULL));
        return code;
    }
    r.f = cli_follow_new(device, r.t0);
    if (!r.f) {
        cli_error("out of memory");
        lrc_proxy_close(r.p);
        return CLI_EXIT_ERROR;
    }
    lrc_invoke_options io = cli_invoke_options(r.o, r.f);
    lrc_arg arg = cli_target_arg(arg_text);
    lrc_error *err = NULL;
    int rc = lrc_invoke(r.p, command, &arg, cli_follow_cb, r.f, &io, &r.sub, &err);
    if (rc != LRC_OK && strcmp(command, "Abort") == 0) {
        /* lrc abort on a pre-1.2 device: the deprecated AbortCommands */
        char *reply = NULL;
        if ((rc = abort_commands_instead(&r, rc, &err, &reply)) == LRC_OK) {
            if (!o->quiet)
                printf("%s: AbortCommands: %s\n", device, cli_t(reply));
            free(reply);
            cli_follow_free(r.f);
            lrc_proxy_close(r.p);
            return CLI_EXIT_OK;
        }
    }
    if (rc != LRC_OK) {
        code = cli_report(r.p, device, command, rc, err, &dg);
        print_outcome(&r, code == CLI_EXIT_REJECTED ? "REJECTED" : "ERROR", code,
                      cli_diag_json(&dg, err));
        lrc_error_free(err);
        cli_follow_free(r.f);
        if (o->stats)
            cli_stats_report(device, r.p, o->json);
        lrc_proxy_close(r.p);
        return code;
    }
    if (!o->json && !o->quiet && (r.term.tty || o->live))
        r.live = cli_live_new(&r.term, device, command, lrc_subscription_command_id(r.sub), r.t0);
    code = follow(&r, sig_fd);

    lrc_subscription_free(r.sub);
    lrc_subscription_free(r.abort_sub);
    cli_live_free(r.live);
    cli_follow_free(r.f); /* after the subscriptions: no callback is running */
    json_decref(r.result);
    json_decref(r.held);
    free(r.final_status);
    free(r.end);
    free(r.last_status);
    if (o->stats)
        cli_stats_report(device, r.p, o->json);
    lrc_proxy_close(r.p);
    return code;
}

/* One device as it always was (its output unchanged); several, or a group
 * file, as a group (cmd_group.c). */
static int run_invoke(const cli_command *cmd, cli_options *o)
{
    cli_targets t;
    int code = cli_targets_parse(cmd, o, &t);
    if (code != 0)
        return code;
    if (t.n == 1 && !o->group_file)
        code = run_command(o, t.v[0].device, t.v[0].command, t.v[0].arg);
    else
        code = cli_invoke_group(o, &t);
    cli_targets_free(&t);
    return code;
}

static int run_abort(const cli_command *cmd, cli_options *o)
{
    (void)cmd;
    return run_command(o, o->pos[0], "Abort", NULL);
}

const cli_command cli_cmd_invoke = {
    .name = "invoke",
    .synopsis = "DEVICE [DEVICE...] COMMAND [ARG] [--json|--live] [--timeout SECONDS]\n"
                "                  [--lost-after SECONDS] [-q] [--abort-on-interrupt] [--stats]\n"
                "       lrc invoke --group-file FILE [COMMAND [ARG]] [options]",
    .summary = "run a long running command on devices and follow it to its end",
    .details =
        "ARG is JSON converted by the command's input type: 5, 2.5, '\"text\"', '[1, 2]',\n"
        "true. A word that is not JSON is a string (lrc invoke dev Echo hello). Without\n"
        "ARG the command gets no argument (not the same as 0 or \"\").\n\n"
        "On a terminal: a line per status change, a live line with the progress bar\n"
        "and the elapsed time, then the final status and the result. Otherwise (or\n"
        "with --json): one JSON object per update, keys as the device sent them\n"
        "(\"status\", \"progress\", \"result\", \"error\", extra keys) plus \"device\",\n"
        "\"command_id\", \"elapsed\" and \"final\"; the last line is\n"
        "{\"outcome\": ..., \"exit\": N}. When the library ends it instead of the\n"
        "device, the final update has \"end\" (TIMED_OUT at --timeout, LOST when the\n"
        "outcome cannot be known) and \"last_status\", no \"status\" (exit 5, 7).\n\n"
        "Ctrl-C asks whether to send Abort (which aborts every queued and running\n"
        "command of the device); not on a terminal it stops following (exit 130).\n\n"
        "Several devices: every word after the first that contains a '/' is one more\n"
        "device; the first word without one is COMMAND (command names have no '/').\n"
        "Aliases beyond the first device go in a group file: one device per line,\n"
        "DEVICE or DEVICE COMMAND [ARG] (the ARG is the rest of the line; a line's\n"
        "command replaces the one given after the file), '#' starts a comment line.\n"
        "  lrc invoke sys/dish/1 sys/dish/2 Scan 7\n"
        "  lrc invoke -f dishes.txt Scan 7\n"
        "They run at once. On a terminal: one live line per device (more devices\n"
        "than rows: the running ones that fit, a line of counts, each final line\n"
        "printed once above them), then a summary\n"
        "(\"2 devices: 1 COMPLETED, 1 FAILED in 4.2 s\") and what went wrong. As JSON:\n"
        "the update lines of every device, an outcome line per device when it ends\n"
        "(outcome NOT_STARTED, exit 6, when it could not be invoked), then\n"
        "{\"summary\": {\"total\": N, \"completed\": ..., ...}, \"exit\": N}. The exit status\n"
        "is 0 when every command COMPLETED with OK, else the first of 130, 7, 5, 6,\n"
        "4, 3, 2, 1 that a device has. Ctrl-C asks whether to abort every device.\n",
    .opts = CLI_OPT_JSON | CLI_OPT_LIVE | CLI_OPT_TIMEOUT | CLI_OPT_LOST_AFTER | CLI_OPT_QUIET |
            CLI_OPT_ABORT_ON_INT | CLI_OPT_GROUP_FILE | CLI_OPT_STATS,
    .min_pos = 0,
    .max_pos = -1,
    .json_when_piped = true,
    .run = run_invoke,
};

const cli_command cli_cmd_abort = {
    .name = "abort",
    .synopsis = "DEVICE [--json|--live] [--timeout SECONDS] [--lost-after SECONDS] [-q]",
    .summary = "abort every queued and running command of a device",
    .details = "Sends Abort (itself a long running command) and follows it to its end, as\n"
               "lrc invoke does. A device without the tracked Abort (before ska-tango-base\n"
               "1.2) gets the deprecated AbortCommands instead.\n",
    .opts = CLI_OPT_JSON | CLI_OPT_LIVE | CLI_OPT_TIMEOUT | CLI_OPT_LOST_AFTER | CLI_OPT_QUIET,
    .min_pos = 1,
    .max_pos = 1,
    .json_when_piped = true,
    .run = run_abort,
};
