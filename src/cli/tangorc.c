/* tangorc.c - which Tango database a plain device name refers to, found the
 * way cppTango 9.3.4 finds it (ApiUtil::get_env_var): the TANGO_HOST
 * environment variable, else TANGO_HOST in $HOME/.tangorc, else in
 * /etc/tangorc. The tool tells an operator where it looked, refuses early
 * (with a hint) when none of the three names a database, and hands a value
 * found in a file to libtango through the environment
 * (cli_tango_host_export). */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

/* The value of TANGO_HOST in a tangorc file ("NAME=VALUE" lines, '#'
 * comments, blanks around both sides ignored), or false. */
static bool from_file(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *name = line + strspn(line, " \t");
        size_t nl = strcspn(name, " \t");
        name[nl] = '\0';
        if (strcmp(name, "TANGO_HOST") != 0)
            continue;
        char *value = eq + 1 + strspn(eq + 1, " \t");
        size_t vl = strcspn(value, " \t\r\n");
        if (vl == 0)
            continue;
        snprintf(buf, n, "%.*s", (int)vl, value);
        found = true;
    }
    fclose(f);
    return found;
}

const char *cli_tango_host(const char **origin)
{
    static char host[256], where[512];
    static const char *found_where;
    static bool looked;
    if (!looked) {
        looked = true;
        const char *env = getenv("TANGO_HOST");
        const char *home = getenv("HOME");
        if (env && *env) {
            snprintf(host, sizeof host, "%s", env);
            found_where = "TANGO_HOST";
        } else if (home && *home &&
                   (snprintf(where, sizeof where, "%s/.tangorc", home), from_file(where, host,
                                                                                sizeof host))) {
            found_where = where;
        } else if (from_file("/etc/tangorc", host, sizeof host)) {
            found_where = "/etc/tangorc";
        }
    }
    if (origin)
        *origin = found_where;
    return found_where ? host : NULL;
}

void cli_tango_host_export(void)
{
    const char *origin = NULL;
    const char *host = cli_tango_host(&origin);
    if (host && origin && strcmp(origin, "TANGO_HOST") != 0)
        setenv("TANGO_HOST", host, 1);
}
