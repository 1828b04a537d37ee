/*
 * cli_common.h - what every end-to-end test of the `lrc` tool does around
 * a run: the program's two arguments, starting lrc with words, checking its
 * exit status (dumping its output when wrong), reading its JSON lines.
 * Shared by cli_test.c and cli_group_test.c so that both programs judge
 * the tool's output the same way. Main thread only; failures end the
 * running cmocka test.
 */
#ifndef LRCT_CLI_COMMON_H
#define LRCT_CLI_COMMON_H

#include "proc.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>

/* The most words after `lrc` that start_lrc and lrc_argv take. */
#define MAX_ARGS 16

extern const char *g_lrc;  /* the lrc executable (argv[1]) */
extern const char *g_demo; /* the device server (argv[2]) */
extern bool g_py;          /* g_demo is the PyTango device script */

/* Sets g_lrc, g_demo and g_py from `prog LRC_EXE DEMO_DEVICE_EXE`.
 * Returns 0, or 2 after a usage line on stderr. */
int cli_parse_args(int argc, char **argv, const char *prog);

/* argv = {g_lrc, the NULL-terminated words of ap (MAX_ARGS at most), NULL};
 * returns argc. argv must hold MAX_ARGS + 2 entries. */
int lrc_argv(const char **argv, va_list ap);

/* lrc ARGS... (NULL-terminated), started in `mode` with `env` (see
 * proc_start); fails the test if it cannot start. Caller frees. */
proc *start_lrc(proc_mode mode, const char *const *env, ...);

/* Writes p's exit status, stdout and stderr to stderr, headed by `what`. */
void dump(const proc *p, const char *what);

/* Finishes p (60 s at most) and fails the test, after a dump, unless its
 * exit status is `want`. */
void expect_exit(proc *p, int want, const char *what);

/* Every line of p's stdout as a JSON object (each must parse, or the test
 * fails): a new array, the caller's reference. */
json_t *json_lines(const proc *p);

/* o[key] as a string (NULL when absent or not a string), borrowed. */
const char *str(json_t *o, const char *key);

/* o[key] as an integer (0 when absent or not an integer). */
long long num(json_t *o, const char *key);

#endif /* LRCT_CLI_COMMON_H */
