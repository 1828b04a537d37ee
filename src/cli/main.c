/*
 * lrc - run and follow long running commands (LRCs) of Tango devices.
 *
 *   lrc invoke DEVICE COMMAND [ARG]   run one LRC and follow it to its end
 *   lrc invoke DEV DEV... COMMAND [ARG], lrc invoke -f FILE [COMMAND [ARG]]
 *                                     the same on several devices at once
 *   lrc watch DEVICE...               every LRC event of the devices
 *   lrc status DEVICE [COMMAND_ID]    what the device's commands are doing
 *   lrc abort DEVICE                  abort every queued and running command
 *   lrc versions DEVICE               the LRC protocol the device speaks
 *
 * See lrc(1) and `lrc COMMAND --help`.
 */
#include "cli/cli.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LRC_VERSION_STRING
#define LRC_VERSION_STRING "unknown"
#endif

const char *cli_prog = "lrc";

void cli_error(const char *fmt, ...)
{
    /* The line often quotes a device (a rejection reason, an error text):
     * on a terminal its control characters are shown escaped. */
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "%s: %s\n", cli_prog, cli_t_err(line));
}

static const cli_command *const commands[] = {&cli_cmd_invoke, &cli_cmd_watch, &cli_cmd_status,
                                              &cli_cmd_abort, &cli_cmd_versions};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static void print_help(FILE *f)
{
    fprintf(f, "usage: lrc [--help] [--version] COMMAND [OPTIONS] ARGS...\n\n"
               "Run and follow long running commands (LRCs) of Tango devices\n"
               "(SKA ska-tango-base LRC protocol v1 and v2).\n\n"
               "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "  %-9s %s\n", "help", "help on a command: lrc help COMMAND");
    fprintf(f, "\n`lrc COMMAND --help` tells more; see also lrc(1).\n\n");
    cli_print_exit_codes(f);
    fprintf(f, "\nEnvironment:\n"
               "  TANGO_HOST  host:port of the Tango database; when unset, TANGO_HOST in\n"
               "              ~/.tangorc, then in /etc/tangorc (as for every Tango client);\n"
               "              not needed when DEVICE is a full tango://host:port/... name\n"
               "  NO_COLOR    no colours on a terminal\n");
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* Numbers in JSON and in argument parsing must not follow the locale. */
    setlocale(LC_NUMERIC, "C");
    /* Library messages below WARNING would only clutter a terminal; the
     * default hook writes the rest to stderr. */
    lrc_log_set_hook(NULL, NULL, LRC_LOG_CRITICAL + 1);
    /* Before any Tango call, while this process has one thread. */
    cli_tango_host_export();

    if (argc < 2) {
        print_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_help(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("lrc (tango-lrc) %s, LRC protocol %d..%d\n", LRC_VERSION_STRING, LRC_PROTOCOL_MIN,
               LRC_PROTOCOL_MAX);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            print_help(stdout);
            return CLI_EXIT_OK;
        }
        const cli_command *c = find_command(argv[2]);
        if (!c) {
            cli_error("no command '%s' (try: lrc --help)", argv[2]);
            return CLI_EXIT_USAGE;
        }
        cli_print_command_help(c, stdout);
        return CLI_EXIT_OK;
    }
    const cli_command *c = find_command(name);
    if (!c) {
        cli_error("no command '%s' (try: lrc --help)", name);
        return CLI_EXIT_USAGE;
    }
    cli_options o;
    int rc = cli_parse(c, argc - 1, argv + 1, &o);
    if (rc != 0)
        return rc;
    if (o.help) {
        cli_print_command_help(c, stdout);
        rc = CLI_EXIT_OK;
    } else {
        rc = c->run(c, &o);
    }
    free(o.pos);
    cli_text_release();
    return rc;
}
