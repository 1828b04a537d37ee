/*
 * cli_group_test.c - `lrc invoke` over several devices, end to end: two
 * real demo devices on one server over the real Tango database, run by the
 * tool through pipes (JSON lines, an outcome per device, the summary, the
 * exit status) and through a pseudo-terminal (a live line per device, the
 * summary line), from the command line's words and from a group file.
 *
 *   cli_group_test LRC_EXE DEMO_DEVICE_EXE
 *   cli_group_test LRC_EXE ska_lrc_device.py
 *
 * The second form runs the same against the PyTango stand-in for a
 * ska-tango-base device (tests/pydevice/).
 */
#include "cli_common.h"
#include "tango_fixture.h"

#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

static char g_dev[2][128];
static char g_unknown[128]; /* in no database */
static lrct_server *g_srv;

/* Checks the JSON lines of a group run: every update line names one of
 * `devices` (n), each device has exactly one outcome line (returned in
 * outcomes[i], borrowed from lines) after its final update, and the last
 * line is the summary (returned). */
static json_t *check_lines(json_t *lines, const char *const *devices, size_t n,
                           json_t **outcomes)
{
    size_t count = json_array_size(lines), i;
    assert_true(count >= n + 1);
    json_t *last = json_array_get(lines, count - 1);
    json_t *summary = json_object_get(last, "summary");
    assert_true(json_is_object(summary));
    for (size_t d = 0; d < n; d++)
        outcomes[d] = NULL;
    json_t *u;
    json_array_foreach(lines, i, u)
    {
        if (i == count - 1)
            break;
        assert_null(json_object_get(u, "summary"));
        assert_null(json_object_get(u, "member")); /* the tool's own key stays inside */
        const char *dev = str(u, "device");
        assert_non_null(dev);
        size_t d = 0;
        while (d < n && strcmp(devices[d], dev) != 0)
            d++;
        if (d == n)
            fail_msg("a line about another device: %s", dev);
        if (str(u, "outcome")) {
            assert_null(outcomes[d]); /* one outcome per device */
            outcomes[d] = u;
        } else {
            assert_null(outcomes[d]); /* no update after the outcome */
            assert_non_null(str(u, "command_id"));
            assert_true(json_is_number(json_object_get(u, "elapsed")));
        }
    }
    for (size_t d = 0; d < n; d++)
        if (!outcomes[d])
            fail_msg("no outcome line for %s", devices[d]);
    return summary;
}

/* A group file with `text`; returns its path (caller frees and unlinks). */
static char *group_file(const char *text)
{
    char *path = strdup("/tmp/lrc-group-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* ---- fixture ------------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    setenv("TANGO_EVENT_BUFFER_HWM", "100000", 1);
    if (lrct_db_up() != 0)
        return -1;
    char *inst = lrct_unique_name("cligrp");
    for (int i = 0; i < 2; i++)
        snprintf(g_dev[i], sizeof g_dev[i], "test/lrccligrp/%s-%d", inst, i + 1);
    snprintf(g_unknown, sizeof g_unknown, "test/lrccligrp/%s-nosuch", inst);
    const char *devs[] = {g_dev[0], g_dev[1], NULL};
    if (g_py) { /* PyTango's run_server() names the server after the class */
        const char *python = getenv("LRC_PYTHON");
        const char *cmd[] = {python && *python ? python : "/usr/bin/python3", g_demo, NULL};
        g_srv = lrct_server_start_cmd(cmd, "SkaLrcDevice", inst, "SkaLrcDevice", devs, NULL);
    } else {
        g_srv = lrct_server_start(g_demo, inst, "LrcDemo", devs, NULL);
    }
    free(inst);
    return g_srv ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return lrct_server_stop(g_srv);
}

/* ---- pipes ----------------------------------------------------------------------- */

/* Two devices, one command: an outcome line per device, the summary, 0. */
static void test_two_devices(void **state)
{
    (void)state;
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[0], g_dev[1], "Echo", "hi", NULL);
    expect_exit(p, 0, "Echo on two devices");
    json_t *lines = json_lines(p), *out[2];
    const char *devs[] = {g_dev[0], g_dev[1]};
    json_t *s = check_lines(lines, devs, 2, out);
    for (int d = 0; d < 2; d++) {
        assert_string_equal(str(out[d], "outcome"), "COMPLETED");
        assert_string_equal(str(out[d], "result_code"), "OK");
        assert_int_equal(num(out[d], "exit"), 0);
    }
    /* each device's own command: two command IDs */
    assert_string_not_equal(str(out[0], "command_id"), str(out[1], "command_id"));
    assert_int_equal(num(s, "total"), 2);
    assert_int_equal(num(s, "completed"), 2);
    assert_int_equal(num(s, "failed"), 0);
    assert_int_equal(num(s, "not_started"), 0);
    assert_null(json_object_get(s, "running"));
    assert_int_equal(num(json_array_get(lines, json_array_size(lines) - 1), "exit"), 0);
    json_decref(lines);
    proc_free(p);
}

/* --stats over a group: one stats line on stderr naming both devices, each
 * with its one completed invocation; stdout as without it. */
static void test_group_stats(void **state)
{
    (void)state;
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[0], g_dev[1], "Echo", "hi", "--stats",
                        NULL);
    expect_exit(p, 0, "Echo on two devices with --stats");
    json_error_t je;
    const char *line = strstr(p->err, "{\"stats\":");
    if (!line)
        dump(p, "no stats line");
    assert_non_null(line);
    json_t *st = json_loadb(line, strcspn(line, "\n"), 0, &je);
    assert_non_null(st);
    json_t *devs = json_object_get(st, "stats");
    assert_int_equal(json_array_size(devs), 2);
    for (size_t d = 0; d < 2; d++) {
        json_t *dev = json_array_get(devs, d);
        const char *name = str(dev, "device");
        assert_true(strcasecmp(name, g_dev[0]) == 0 || strcasecmp(name, g_dev[1]) == 0);
        json_t *inv = json_object_get(dev, "invocations");
        assert_int_equal(num(inv, "started"), 1);
        assert_int_equal(num(inv, "completed"), 1);
    }
    assert_string_not_equal(str(json_array_get(devs, 0), "device"),
                            str(json_array_get(devs, 1), "device"));
    json_decref(st);
    json_t *lines = json_lines(p), *out[2];
    const char *names[] = {g_dev[0], g_dev[1]};
    json_t *s = check_lines(lines, names, 2, out);
    assert_int_equal(num(s, "completed"), 2);
    json_decref(lines);
    proc_free(p);
}

/* A group file: comments, blank lines, a command per line; one device
 * fails: exit 2 (FAILED), the other still completes. */
static void test_group_file_one_fails(void **state)
{
    (void)state;
    char text[600];
    snprintf(text, sizeof text,
             "# the two demo devices\n"
             "\n"
             "  %s   Echo  [1, 2]  \n"
             "%s Fail boom\n"
             "   # done\n",
             g_dev[0], g_dev[1]);
    char *path = group_file(text);
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", "--group-file", path, NULL);
    expect_exit(p, 2, "group file, one Fail");
    json_t *lines = json_lines(p), *out[2];
    const char *devs[] = {g_dev[0], g_dev[1]};
    json_t *s = check_lines(lines, devs, 2, out);
    assert_string_equal(str(out[0], "outcome"), "COMPLETED");
    assert_string_equal(str(out[1], "outcome"), "FAILED");
    assert_int_equal(num(out[1], "exit"), 2);
    assert_int_equal(num(s, "completed"), 1);
    assert_int_equal(num(s, "failed"), 1);
    /* the ARG is the rest of the line as written (Echo takes a string) */
    assert_non_null(strstr(p->out, "\"result\":[0,\"[1, 2]\"]"));
    json_decref(lines);
    proc_free(p);
    /* the command line's COMMAND for the lines without one */
    snprintf(text, sizeof text, "%s\n%s Fail x # not a comment: part of the ARG\n", g_dev[0],
             g_dev[1]);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    p = start_lrc(PROC_PIPES, NULL, "invoke", "-f", path, "Echo", "\"from the line\"", NULL);
    expect_exit(p, 2, "group file with a default command");
    lines = json_lines(p);
    check_lines(lines, devs, 2, out);
    assert_string_equal(str(out[0], "outcome"), "COMPLETED");
    assert_string_equal(str(out[1], "outcome"), "FAILED");
    assert_non_null(strstr(p->out, "\"result\":[0,\"from the line\"]"));
    json_decref(lines);
    proc_free(p);
    unlink(path);
    free(path);
}

/* Bad group files and words: a usage error naming the line, nothing run. */
static void test_bad_input(void **state)
{
    (void)state;
    char text[600];
    snprintf(text, sizeof text, "# two devices on a line\n%s %s Echo\n", g_dev[0], g_dev[1]);
    char *path = group_file(text);
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", "--group-file", path, "Echo", NULL);
    expect_exit(p, 64, "two devices on a line");
    char want[700];
    snprintf(want, sizeof want, "lrc: %s:2: '%s' is not a command name", path, g_dev[1]);
    if (!strstr(p->err, want)) {
        dump(p, "bad line");
        fail_msg("no error naming the line: %s", want);
    }
    assert_string_equal(p->out, ""); /* nothing invoked, nothing printed */
    proc_free(p);
    /* a device without a command, none on the command line */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s Echo\n\n%s\n", g_dev[0], g_dev[1]);
    fclose(f);
    p = start_lrc(PROC_PIPES, NULL, "invoke", "-f", path, NULL);
    expect_exit(p, 64, "no command");
    snprintf(want, sizeof want, "lrc: %s:3: no command for %s", path, g_dev[1]);
    assert_non_null(strstr(p->err, want));
    assert_string_equal(p->out, "");
    proc_free(p);
    /* only comments */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("# nothing\n\n", f);
    fclose(f);
    p = start_lrc(PROC_PIPES, NULL, "invoke", "-f", path, "Echo", NULL);
    expect_exit(p, 64, "no devices");
    assert_non_null(strstr(p->err, "no devices in the group file"));
    proc_free(p);
    unlink(path);
    free(path);
    /* devices but no command */
    p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[0], g_dev[1], NULL);
    expect_exit(p, 64, "no COMMAND");
    assert_non_null(strstr(p->err, "missing COMMAND"));
    proc_free(p);
    p = start_lrc(PROC_PIPES, NULL, "invoke", "-f", "/nonexistent/lrc-group", "Echo", NULL);
    expect_exit(p, 64, "no such file");
    assert_non_null(strstr(p->err, "cannot read the group file /nonexistent/lrc-group"));
    proc_free(p);
}

/* An unknown device among good ones: NOT_STARTED (exit 6), the others run. */
static void test_unknown_device(void **state)
{
    (void)state;
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[0], g_unknown, g_dev[1], "Sleep", "0.3",
                        NULL);
    expect_exit(p, 6, "an unknown device among two");
    json_t *lines = json_lines(p), *out[3];
    const char *devs[] = {g_dev[0], g_unknown, g_dev[1]};
    json_t *s = check_lines(lines, devs, 3, out);
    assert_string_equal(str(out[0], "outcome"), "COMPLETED");
    assert_string_equal(str(out[2], "outcome"), "COMPLETED");
    assert_string_equal(str(out[1], "outcome"), "NOT_STARTED");
    assert_int_equal(num(out[1], "exit"), 6);
    assert_string_equal(str(json_object_get(out[1], "error"), "code"), "LRC_ENODEVICE");
    assert_int_equal(num(s, "total"), 3);
    assert_int_equal(num(s, "completed"), 2);
    assert_int_equal(num(s, "not_started"), 1);
    assert_non_null(strstr(p->err, "no such device"));
    json_decref(lines);
    proc_free(p);
}

/* ---- a terminal -------------------------------------------------------------------- */

static const char *const k_utf8_env[] = {"LC_ALL=C.UTF-8", "TERM=xterm", "NO_COLOR=1", NULL};

/* The widest line of the live block (each drawn after "\r\033[K"), in
 * columns: escape sequences take none. */
static int widest_block_line(const char *out)
{
    int widest = 0;
    for (const char *c = strstr(out, "\r\033[K"); c; c = strstr(c, "\r\033[K")) {
        int cols = 0;
        for (c += 4; *c && *c != '\r' && *c != '\n'; c++) {
            if (*c == '\033') { /* CSI: up to its final byte */
                while (c[1] && !(c[1] >= '@' && c[1] <= '~'))
                    c++;
                c++;
                continue;
            }
            cols += ((unsigned char)*c & 0xc0) != 0x80;
        }
        widest = cols > widest ? cols : widest;
    }
    return widest;
}

/* A live line per device redrawn in place, the final marks, the summary,
 * and what went wrong for the failed device. */
static void test_tty(void **state)
{
    (void)state;
    char text[600];
    snprintf(text, sizeof text, "%s Sleep 0.5\n%s Fail boom\n", g_dev[0], g_dev[1]);
    char *path = group_file(text);
    proc *p = start_lrc(PROC_PTY, k_utf8_env, "invoke", "-f", path, NULL);
    expect_exit(p, 2, "two devices on a terminal");
    if (!strstr(p->out, "\033[2A") || !strstr(p->out, "\u2714 COMPLETED") ||
        !strstr(p->out, "\u2718 FAILED") ||
        !strstr(p->out, "2 devices: 1 COMPLETED, 1 FAILED in ") ||
        !strstr(p->out, "result: [3, \"Unhandled exception during execution: boom\"]")) {
        dump(p, "tty");
        fail_msg("not the group's terminal view");
    }
    assert_non_null(strstr(p->out, g_dev[0]));
    assert_null(strstr(p->out, "{\"")); /* no JSON on a terminal */
    assert_true(widest_block_line(p->out) <= 99);
    proc_free(p);
    /* a narrow terminal: the device names are cut, no line wraps (it would
     * break the redraw in place) */
    int cols = proc_pty_cols;
    proc_pty_cols = 40;
    p = start_lrc(PROC_PTY, k_utf8_env, "invoke", "-f", path, NULL);
    proc_pty_cols = cols;
    expect_exit(p, 2, "two devices on a narrow terminal");
    int widest = widest_block_line(p->out);
    if (widest > 39 || !strstr(p->out, "~ Sleep")) {
        dump(p, "narrow");
        fail_msg("a live line of %d columns on a 40-column terminal", widest);
    }
    proc_free(p);
    unlink(path);
    free(path);
}

/* How many lines of out (each drawn after "\r\033[K") hold all of a, b, c. */
static int drawn_lines_with(const char *out, const char *a, const char *b, const char *c)
{
    int n = 0;
    for (const char *l = strstr(out, "\r\033[K"); l; l = strstr(l + 4, "\r\033[K")) {
        size_t len = strcspn(l + 4, "\r\n");
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1),
                 l + 4);
        n += strstr(line, a) && strstr(line, b) && strstr(line, c);
    }
    return n;
}

/* More members than the terminal has rows (12 on 8 rows): the block the
 * tool goes back up over is never taller than the rows less two (the
 * cursor-up counts say how tall each was), there is a line of counts for
 * the members not in it, each member's final line is printed exactly once
 * (above the block), and the summary is the usual one. */
static void test_tall_group(void **state)
{
    (void)state;
    enum { N = 12, ROWS = 8 };
    char text[N * 160] = "", *w = text;
    for (int i = 0; i < N; i++) /* dev 1: 6 Sleep; dev 2: 3 Sleep, 3 Fail */
        w += sprintf(w, "%s %s\n", g_dev[i % 2], i % 4 == 3 ? "Fail boom" : "Sleep 0.2");
    char *path = group_file(text);
    int rows = proc_pty_rows;
    proc_pty_rows = ROWS;
    proc *p = start_lrc(PROC_PTY, k_utf8_env, "invoke", "-f", path, NULL);
    proc_pty_rows = rows;
    expect_exit(p, 2, "12 members on an 8-row terminal");
    int ups = 0;
    for (const char *c = strstr(p->out, "\033["); c; c = strstr(c + 2, "\033[")) {
        char *end;
        long up = strtol(c + 2, &end, 10);
        if (*end != 'A' || end == c + 2)
            continue;
        ups++;
        if (up > ROWS - 2) {
            dump(p, "tall");
            fail_msg("a block of %ld lines redrawn on a %d-row terminal", up, ROWS);
        }
    }
    assert_true(ups > 0); /* it was redrawn in place */
    const char *ok = "\u2714 COMPLETED", *failed = "\u2718 FAILED";
    int sleep0 = drawn_lines_with(p->out, g_dev[0], "Sleep", ok);
    int sleep1 = drawn_lines_with(p->out, g_dev[1], "Sleep", ok);
    int fail1 = drawn_lines_with(p->out, g_dev[1], "Fail", failed);
    if (sleep0 != 6 || sleep1 != 3 || fail1 != 3 || !strstr(p->out, " more: ") ||
        !strstr(p->out, "12 commands on 2 devices: 9 COMPLETED, 3 FAILED in ") ||
        !strstr(p->out, "result: [3, \"Unhandled exception during execution: boom\"]")) {
        dump(p, "tall");
        fail_msg("final lines %d, %d, %d (want 6, 3, 3 once each), or no counts or summary",
                 sleep0, sleep1, fail1);
    }
    /* no other final line, nor a member's line in the block once ended */
    assert_int_equal(drawn_lines_with(p->out, ok, "", ""), 9);
    assert_int_equal(drawn_lines_with(p->out, failed, "", ""), 3);
    assert_true(widest_block_line(p->out) <= 99);
    proc_free(p);
    unlink(path);
    free(path);
}

/* ---- Ctrl-C ------------------------------------------------------------------------- */

/* Waits until both devices' commands are IN_PROGRESS (JSON lines). */
static void wait_both_running(proc *p)
{
    char want[2][300];
    for (int d = 0; d < 2; d++)
        snprintf(want[d], sizeof want[d], "{\"device\":\"%s\",\"command_id\":", g_dev[d]);
    bool ok = proc_wait_for(p, "IN_PROGRESS", false, 20);
    for (int d = 0; d < 2 && ok; d++)
        ok = proc_wait_for(p, want[d], false, 20);
    if (!ok) {
        dump(p, "running");
        fail_msg("the commands did not start");
    }
}

/* As for one device: with --abort-on-interrupt Ctrl-C aborts every device
 * (both end ABORTED: exit 3); without, in a pipe, it stops following at
 * once (exit 130, the members counted as running). */
static void test_interrupt(void **state)
{
    (void)state;
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[0], g_dev[1], "Sleep", "20",
                        "--abort-on-interrupt", NULL);
    wait_both_running(p);
    proc_kill(p, SIGINT);
    expect_exit(p, 3, "Ctrl-C with --abort-on-interrupt");
    json_t *lines = json_lines(p), *out[2];
    const char *devs[] = {g_dev[0], g_dev[1]};
    json_t *s = check_lines(lines, devs, 2, out);
    assert_int_equal(num(s, "aborted"), 2);
    assert_string_equal(str(out[0], "outcome"), "ABORTED");
    assert_string_equal(str(out[1], "outcome"), "ABORTED");
    json_decref(lines);
    proc_free(p);

    p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[0], g_dev[1], "Sleep", "3", NULL);
    wait_both_running(p);
    proc_kill(p, SIGINT);
    expect_exit(p, 130, "Ctrl-C in a pipe");
    lines = json_lines(p);
    s = check_lines(lines, devs, 2, out);
    assert_string_equal(str(out[0], "outcome"), "INTERRUPTED");
    assert_int_equal(num(out[1], "exit"), 130);
    json_t *last = json_array_get(lines, json_array_size(lines) - 1);
    assert_int_equal(num(s, "running"), 2);
    assert_string_equal(str(last, "stopped"), "INTERRUPTED");
    assert_int_equal(num(last, "exit"), 130);
    json_decref(lines);
    proc_free(p);
}

int main(int argc, char **argv)
{
    if (cli_parse_args(argc, argv, "cli_group_test") != 0)
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_devices),
        cmocka_unit_test(test_group_stats),
        cmocka_unit_test(test_group_file_one_fails),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_unknown_device),
        cmocka_unit_test(test_tty),
        cmocka_unit_test(test_tall_group),
        cmocka_unit_test(test_interrupt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
