/*
 * cli_common.c - the helpers around an lrc run that both CLI test programs
 * use (cli_common.h); one copy so that a fix to how a run is started or
 * judged reaches every test.
 */
#include "cli_common.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

const char *g_lrc;
const char *g_demo;
bool g_py;

int cli_parse_args(int argc, char **argv, const char *prog)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s LRC_EXE DEMO_DEVICE_EXE\n", prog);
        return 2;
    }
    g_lrc = argv[1];
    g_demo = argv[2];
    size_t len = strlen(g_demo);
    g_py = len > 3 && strcmp(g_demo + len - 3, ".py") == 0;
    return 0;
}

int lrc_argv(const char **argv, va_list ap)
{
    int n = 0;
    argv[n++] = g_lrc;
    const char *a;
    while ((a = va_arg(ap, const char *)) && n <= MAX_ARGS)
        argv[n++] = a;
    argv[n] = NULL;
    return n;
}

proc *start_lrc(proc_mode mode, const char *const *env, ...)
{
    const char *argv[MAX_ARGS + 2];
    va_list ap;
    va_start(ap, env);
    lrc_argv(argv, ap);
    va_end(ap);
    proc *p = proc_start(mode, argv, env);
    assert_non_null(p);
    return p;
}

void dump(const proc *p, const char *what)
{
    fprintf(stderr, "---- %s: exit %d\n---- stdout:\n%s\n---- stderr:\n%s\n----\n", what, p->status,
            p->out, p->err);
}

void expect_exit(proc *p, int want, const char *what)
{
    int st = proc_finish(p, 60);
    if (st != want) {
        dump(p, what);
        fail_msg("%s: exit %d, expected %d", what, st, want);
    }
}

json_t *json_lines(const proc *p)
{
    json_t *all = json_array();
    char *copy = strdup(p->out), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t je;
        json_t *v = json_loads(line, 0, &je);
        if (!json_is_object(v)) {
            dump(p, "json lines");
            fail_msg("not a JSON object line: %s (%s)", line, je.text);
        }
        json_array_append_new(all, v);
    }
    free(copy);
    return all;
}

const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

long long num(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}
