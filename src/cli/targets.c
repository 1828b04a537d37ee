/* targets.c - what `lrc invoke` runs where: the devices, commands and
 * arguments from its words or from a group file. Everything is checked
 * before anything is invoked: a bad word or file line invokes nothing.
 *
 * The words: the first is always a device (an alias too, as it always
 * was); after it, each word with a '/' is one more device, and the first
 * word without one is the COMMAND (Tango command names have no '/', device
 * names always have one unless they are aliases). So further aliases need
 * a group file. */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cli_targets_free(cli_targets *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].device);
        free(t->v[i].command);
        free(t->v[i].arg);
    }
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

/* Appends a target (copies of the strings; arg may be NULL). */
static bool add(cli_targets *t, const char *device, size_t device_len, const char *command,
                size_t command_len, const char *arg)
{
    cli_target *grown = realloc(t->v, (t->n + 1) * sizeof *grown);
    if (!grown)
        return false;
    t->v = grown;
    cli_target *x = &t->v[t->n];
    x->device = strndup(device, device_len);
    x->command = strndup(command, command_len);
    x->arg = arg ? strdup(arg) : NULL;
    t->n++;
    return x->device && x->command && (!arg || x->arg);
}

static const char *const blanks = " \t\r\n";

static const char *skip_blanks(const char *s) { return s + strspn(s, " \t"); }

/* One line of a group file: DEVICE [COMMAND [ARG]]. The ARG is the rest of
 * the line as written (JSON may have blanks), its trailing blanks removed. */
static int file_line(const char *file, int lineno, char *line, const char *command,
                     const char *arg, cli_targets *out)
{
    size_t len = strlen(line);
    while (len > 0 && strchr(blanks, line[len - 1]))
        line[--len] = '\0';
    const char *dev = skip_blanks(line);
    if (*dev == '\0' || *dev == '#')
        return 0; /* blank line or comment */
    size_t dev_len = strcspn(dev, " \t");
    const char *cmd = skip_blanks(dev + dev_len);
    size_t cmd_len = strcspn(cmd, " \t");
    const char *line_arg = skip_blanks(cmd + cmd_len);
    if (*cmd == '#') /* DEVICE  # a comment */
        cmd_len = 0;
    if (cmd_len == 0) {
        if (!command) {
            cli_error("%s:%d: no command for %.*s: give one on the line (DEVICE COMMAND [ARG]) "
                      "or after the file on the command line",
                      file, lineno, (int)dev_len, dev);
            return CLI_EXIT_USAGE;
        }
        return add(out, dev, dev_len, command, strlen(command), arg) ? 0 : CLI_EXIT_ERROR;
    }
    if (memchr(cmd, '/', cmd_len)) {
        cli_error("%s:%d: '%.*s' is not a command name (one device per line: DEVICE [COMMAND "
                  "[ARG]])",
                  file, lineno, (int)cmd_len, cmd);
        return CLI_EXIT_USAGE;
    }
    return add(out, dev, dev_len, cmd, cmd_len, *line_arg ? line_arg : NULL) ? 0 : CLI_EXIT_ERROR;
}

static int from_file(const char *file, const char *command, const char *arg, cli_targets *out)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (!f) {
        cli_error("cannot read the group file %s: %s", file, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0)
        rc = file_line(file, ++lineno, line, command, arg, out);
    if (rc == 0 && ferror(f)) {
        cli_error("cannot read the group file %s: %s", file, strerror(errno));
        rc = CLI_EXIT_USAGE;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    if (rc == 0 && out->n == 0) {
        cli_error("%s: no devices in the group file", file);
        rc = CLI_EXIT_USAGE;
    }
    return rc;
}

int cli_targets_parse(const cli_command *cmd, const cli_options *o, cli_targets *out)
{
    memset(out, 0, sizeof *out);
    int rc;
    if (o->group_file) {
        if (o->npos > 0 && strchr(o->pos[0], '/'))
            return cli_usage(cmd, "with --group-file the devices come from the file, not",
                             o->pos[0]);
        if (o->npos > 2)
            return cli_usage(cmd, "too many arguments, from", o->pos[2]);
        rc = from_file(o->group_file, o->npos > 0 ? o->pos[0] : NULL, o->npos > 1 ? o->pos[1] : NULL,
                       out);
    } else {
        if (o->npos < 2)
            return cli_usage(cmd, "missing arguments", NULL);
        int c = 1; /* the COMMAND's word */
        while (c < o->npos && strchr(o->pos[c], '/'))
            c++;
        if (c == o->npos)
            return cli_usage(cmd, "missing COMMAND after the devices", NULL);
        if (o->npos > c + 2)
            return cli_usage(cmd, "too many arguments, from", o->pos[c + 2]);
        const char *arg = c + 1 < o->npos ? o->pos[c + 1] : NULL;
        rc = 0;
        for (int i = 0; i < c && rc == 0; i++)
            if (!add(out, o->pos[i], strlen(o->pos[i]), o->pos[c], strlen(o->pos[c]), arg))
                rc = CLI_EXIT_ERROR;
    }
    if (rc == CLI_EXIT_ERROR)
        cli_error("out of memory");
    if (rc != 0)
        cli_targets_free(out);
    return rc;
}

lrc_arg cli_target_arg(const char *text)
{
    if (!text)
        return lrc_arg_none();
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!v)
        return lrc_arg_string(text);
    json_decref(v);
    return lrc_arg_json(text);
}
