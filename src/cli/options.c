/* options.c - the command line of a subcommand: options anywhere among the
 * positional arguments (as operators type them), "--" ends the options. */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_usage(const cli_command *cmd, const char *what, const char *arg)
{
    cli_error("%s: %s%s%s", cmd->name, what, arg ? " " : "", arg ? arg : "");
    fprintf(stderr, "usage: lrc %s %s\n(lrc %s --help for more)\n", cmd->name, cmd->synopsis,
            cmd->name);
    return CLI_EXIT_USAGE;
}

/* Prints a usage error; frees what cli_parse allocated. */
static int usage_error(const cli_command *cmd, cli_options *o, const char *what, const char *arg)
{
    free(o->pos);
    o->pos = NULL;
    return cli_usage(cmd, what, arg);
}

/* Any finite number (--lost-after: <= 0 means never). */
static bool parse_number(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* A number of seconds: finite, >= 0. */
static bool parse_seconds(const char *s, double *out)
{
    double v;
    if (!parse_number(s, &v) || v < 0)
        return false;
    *out = v;
    return true;
}

/* a is "--name" or "--name=VALUE". */
static bool is_option(const char *a, const char *name)
{
    size_t n = strlen(name);
    return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

/* The value of option a (is_option(a, name)): after its '=', or the next
 * argument (*i moves past it); NULL if there is none. */
static const char *option_value(const char *a, const char *name, int argc, char **argv, int *i)
{
    size_t n = strlen(name);
    if (a[n] == '=')
        return a + n + 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_options *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_s = -1;
    o->interval_s = 1;
    o->pos = calloc((size_t)argc + 1, sizeof *o->pos);
    if (!o->pos) {
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
            o->pos[o->npos++] = argv[i];
            continue;
        }
        /* A negative number is an argument (lrc invoke dev Move -5). */
        char *end = NULL;
        (void)strtod(a, &end);
        if (end != a && *end == '\0') {
            o->pos[o->npos++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->help = true;
        } else if ((cmd->opts & CLI_OPT_JSON) && strcmp(a, "--json") == 0) {
            o->json = o->json_given = true;
        } else if ((cmd->opts & CLI_OPT_QUIET) && (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)) {
            o->quiet = true;
        } else if ((cmd->opts & CLI_OPT_LIVE) && strcmp(a, "--live") == 0) {
            o->live = true;
        } else if ((cmd->opts & CLI_OPT_ABORT_ON_INT) && strcmp(a, "--abort-on-interrupt") == 0) {
            o->abort_on_interrupt = true;
        } else if ((cmd->opts & CLI_OPT_TIMEOUT) && is_option(a, "--timeout")) {
            const char *v = option_value(a, "--timeout", argc, argv, &i);
            if (!v)
                return usage_error(cmd, o, "--timeout needs a number of seconds", NULL);
            if (!parse_seconds(v, &o->timeout_s))
                return usage_error(cmd, o, "--timeout: not a number of seconds:", v);
        } else if ((cmd->opts & CLI_OPT_LOST_AFTER) && is_option(a, "--lost-after")) {
            const char *v = option_value(a, "--lost-after", argc, argv, &i);
            if (!v)
                return usage_error(cmd, o, "--lost-after needs a number of seconds", NULL);
            if (!parse_number(v, &o->lost_after_s))
                return usage_error(cmd, o, "--lost-after: not a number of seconds:", v);
            o->lost_after_given = true;
        } else if ((cmd->opts & CLI_OPT_GROUP_FILE) &&
                   (strcmp(a, "-f") == 0 || is_option(a, "--group-file"))) {
            const char *v = a[1] == 'f' ? (i + 1 < argc ? argv[++i] : NULL)
                                        : option_value(a, "--group-file", argc, argv, &i);
            if (!v || !*v)
                return usage_error(cmd, o, "--group-file needs a file name", NULL);
            o->group_file = v;
        } else if ((cmd->opts & CLI_OPT_STATS) && strcmp(a, "--stats") == 0) {
            o->stats = true;
        } else if ((cmd->opts & CLI_OPT_INTERVAL) && is_option(a, "--interval")) {
            const char *v = option_value(a, "--interval", argc, argv, &i);
            if (!v)
                return usage_error(cmd, o, "--interval needs a number of seconds", NULL);
            if (!parse_seconds(v, &o->interval_s) || o->interval_s < 0.05)
                return usage_error(cmd, o, "--interval: not a number of seconds >= 0.05:", v);
        } else {
            return usage_error(cmd, o, "unknown option", a);
        }
    }
    if (o->help)
        return 0;
    if (o->npos < cmd->min_pos)
        return usage_error(cmd, o, "missing arguments", NULL);
    if (cmd->max_pos >= 0 && o->npos > cmd->max_pos)
        return usage_error(cmd, o, "too many arguments, from", o->pos[cmd->max_pos]);
    if (o->live && o->json_given)
        return usage_error(cmd, o, "--live and --json exclude each other", NULL);
    if (cmd->json_when_piped && !o->json && !o->live && !isatty(STDOUT_FILENO))
        o->json = true; /* machine-readable when piped */
    return 0;
}

void cli_print_command_help(const cli_command *cmd, FILE *f)
{
    fprintf(f, "usage: lrc %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->summary);
    if (cmd->details)
        fprintf(f, "\n%s", cmd->details);
    fprintf(f, "\nOptions:\n");
    if (cmd->opts & CLI_OPT_JSON)
        fprintf(f, cmd->json_when_piped
                       ? "  --json                one JSON object per line (the default when stdout\n"
                         "                        is not a terminal)\n"
                       : "  --json                JSON instead of text\n");
    if (cmd->opts & CLI_OPT_LIVE)
        fprintf(f, "  --live                the terminal view even when stdout is not a\n"
                   "                        terminal (lines redrawn with carriage returns)\n");
    if (cmd->opts & CLI_OPT_GROUP_FILE)
        fprintf(f, "  -f, --group-file FILE the devices from FILE: one per line, DEVICE or\n"
                   "                        DEVICE COMMAND [ARG]; # comments, blank lines\n");
    if (cmd->opts & CLI_OPT_TIMEOUT)
        fprintf(f, "  --timeout SECONDS     stop waiting after SECONDS (exit 5); the command\n"
                   "                        goes on on the device\n");
    if (cmd->opts & CLI_OPT_LOST_AFTER)
        fprintf(f, "  --lost-after SECONDS  end as LOST (exit 7) when the device stays\n"
                   "                        unreachable for SECONDS after its event stream\n"
                   "                        failed (default 60; 0 or less: never, wait for it)\n");
    if ((cmd->opts & CLI_OPT_STATS) && (cmd->opts & CLI_OPT_INTERVAL))
        fprintf(f, "  --stats               per device metrics instead of the events: events,\n"
                   "                        drops, queue length, time in queue and in the\n"
                   "                        callback, subscribe time (a table on a terminal,\n"
                   "                        else one JSON line per interval)\n");
    else if (cmd->opts & CLI_OPT_STATS)
        fprintf(f, "  --stats               at the end, the device's metrics on stderr (events,\n"
                   "                        time in queue and in the callback, subscribe time;\n"
                   "                        a JSON line with --json)\n");
    if (cmd->opts & CLI_OPT_INTERVAL)
        fprintf(f, "  --interval SECONDS    time between two --stats reports (default 1)\n");
    if (cmd->opts & CLI_OPT_QUIET)
        fprintf(f, "  -q, --quiet           print nothing but errors; the exit status tells\n");
    if (cmd->opts & CLI_OPT_ABORT_ON_INT)
        fprintf(f, "  --abort-on-interrupt  on Ctrl-C send Abort to the device without asking\n");
    fprintf(f, "  -h, --help            this text\n");
    if (cmd->opts & CLI_OPT_TIMEOUT) {
        fprintf(f, "\n");
        cli_print_exit_codes(f);
    }
}

void cli_print_exit_codes(FILE *f)
{
    fprintf(f, "Exit status (invoke, abort):\n"
               "    0  COMPLETED, ResultCode OK (or a result without a ResultCode)\n"
               "    1  COMPLETED with another ResultCode\n"
               "    2  FAILED\n"
               "    3  ABORTED\n"
               "    4  REJECTED (by the command's reply, or as its final status)\n"
               "    5  timeout (--timeout)\n"
               "    6  could not invoke: unknown device or command, bad argument, device\n"
               "       not LRC-capable, no common protocol version, no Tango database,\n"
               "       Tango failure\n"
               "    7  lost: the outcome cannot be known (the device forgot the command,\n"
               "       or stayed unreachable past the bound, --lost-after)\n"
               "   64  usage error\n"
               "  130  interrupted (Ctrl-C) without Abort\n"
               "status: 0, 1 when the command ID is NOT_FOUND, 6 on failure.\n"
               "watch, versions: 0, 6 on failure.\n");
}
