/*
 * cli_test.c - the `lrc` tool end to end, as an operator and a script use
 * it: through a pseudo-terminal (the live line, the progress bar, the final
 * line, the Ctrl-C prompt) and through pipes (JSON lines), against real
 * demo devices (v2, pre-1.2 "none", no common version "3,4") and a real
 * non-LRC device (TangoTest) over the real Tango database.
 *
 *   cli_test LRC_EXE DEMO_DEVICE_EXE
 *   cli_test LRC_EXE ska_lrc_device.py
 *
 * The second form runs the same scenarios against the PyTango stand-in for
 * a ska-tango-base device (tests/pydevice/: 100 ms event batches, no
 * submitted_time), skipping what only the demo device has (On/Off,
 * Complete) and what does not involve a device (--help).
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define TANGOTEST_EXE "/usr/lib/tango/TangoTest"

/* Skips the running test unless the devices are demo devices. */
#define DEMO_ONLY()                                                                           \
    do {                                                                                      \
        if (g_py)                                                                             \
            skip();                                                                           \
    } while (0)

/* The devices of the whole program, on two demo servers and a TangoTest. */
enum dev_index { D_V2, D_ONOFF, D_ABORT, D_STATUS, D_NONE, D_34, D_WATCH, D_COUNT };
static const char *const dev_tags[D_COUNT] = {"v2", "onoff", "abort", "status",
                                              "none", "v34", "watch"};
static char g_dev[D_COUNT][128];
static char g_tangotest[128];
static lrct_server *g_srv, *g_srv_none, *g_srv_34, *g_tt;
/* Registered in the database, server never started: "not running". */
static char g_down[128], g_down_server[160];

/* ---- lrc's JSON lines (cli_common.h starts lrc and reads them) --------- */

/* The outcome line (the last) and checks on every update line. */
static json_t *outcome_of(json_t *lines, const char *device)
{
    size_t n = json_array_size(lines);
    assert_true(n >= 1);
    json_t *last = json_array_get(lines, n - 1);
    assert_non_null(str(last, "outcome"));
    for (size_t i = 0; i + 1 < n; i++) {
        json_t *u = json_array_get(lines, i);
        assert_string_equal(str(u, "device"), device);
        assert_non_null(str(u, "command_id"));
        assert_true(json_is_number(json_object_get(u, "elapsed")));
        assert_null(json_object_get(u, "outcome"));
    }
    return last;
}

/* The update line with "final": true; exactly one, the last update. */
static json_t *final_of(json_t *lines)
{
    size_t n = json_array_size(lines), finals = 0;
    json_t *f = NULL;
    for (size_t i = 0; i < n; i++)
        if (json_is_true(json_object_get(json_array_get(lines, i), "final"))) {
            finals++;
            f = json_array_get(lines, i);
            assert_int_equal(i, n - 2); /* right before the outcome */
        }
    assert_int_equal(finals, 1);
    return f;
}

static char *dumps(json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
}

static void assert_json_eq(json_t *v, const char *want)
{
    char *got = dumps(v);
    if (!got || strcmp(got, want) != 0)
        fail_msg("JSON %s, expected %s", got ? got : "(null)", want);
    free(got);
}

/* Counts the lines of `lines` with status `st`. */
static size_t count_status(json_t *lines, const char *st)
{
    size_t n = 0, i;
    json_t *u;
    json_array_foreach(lines, i, u) n += str(u, "status") && strcmp(str(u, "status"), st) == 0;
    return n;
}

/* True when every line of err is a warning of the library ("lrc: warning:
 * ...", e.g. first events lost by a fresh subscription and recovered). */
static bool only_warnings(const char *err)
{
    for (const char *line = err; *line;) {
        if (strncmp(line, "lrc: warning: ", 14) != 0)
            return false;
        const char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : line + strlen(line);
    }
    return true;
}

/* ---- fixture -------------------------------------------------------------- */

/* One demo server with the devices `which` (a -1-terminated list of
 * indexes), all with LrcProtocolVersions = versions (NULL: the default). A
 * server's devices share one attribute set, so each protocol setting gets
 * its own server. */
static lrct_server *start_demo(const char *versions, const int *which)
{
    char *inst = lrct_unique_name("cli");
    const char *devs[D_COUNT + 1];
    char props_buf[D_COUNT][200];
    const char *props[D_COUNT + 1];
    int n = 0;
    for (; which[n] >= 0; n++) {
        int i = which[n];
        snprintf(g_dev[i], sizeof g_dev[i], "test/lrccli/%s-%s", inst, dev_tags[i]);
        devs[n] = g_dev[i];
        snprintf(props_buf[n], sizeof props_buf[n], "%s:LrcProtocolVersions=%s", g_dev[i],
                 versions ? versions : "");
        props[n] = props_buf[n];
    }
    devs[n] = NULL;
    props[versions ? n : 0] = NULL;
    lrct_server *srv;
    if (g_py) { /* PyTango's run_server() names the server after the class */
        const char *python = getenv("LRC_PYTHON");
        const char *cmd[] = {python && *python ? python : "/usr/bin/python3", g_demo, NULL};
        srv = lrct_server_start_cmd(cmd, "SkaLrcDevice", inst, "SkaLrcDevice", devs, props);
    } else {
        srv = lrct_server_start(g_demo, inst, "LrcDemo", devs, props);
    }
    free(inst);
    return srv;
}

static int group_setup(void **state)
{
    (void)state;
    setenv("TANGO_EVENT_BUFFER_HWM", "100000", 1);
    if (lrct_db_up() != 0)
        return -1;
    static const int v2[] = {D_V2, D_ONOFF, D_ABORT, D_STATUS, D_WATCH, -1};
    static const int none[] = {D_NONE, -1}, v34[] = {D_34, -1};
    if (!(g_srv = start_demo(NULL, v2)) || !(g_srv_none = start_demo("none", none)) ||
        !(g_srv_34 = start_demo("3,4", v34)))
        return -1;
    /* a device whose server is registered but not running */
    char *dinst = lrct_unique_name("clidown");
    snprintf(g_down, sizeof g_down, "test/lrccli/%s", dinst);
    snprintf(g_down_server, sizeof g_down_server, "%s/%s", g_py ? "SkaLrcDevice" : "lrc-demo-device",
             dinst);
    free(dinst);
    const char *reg[] = {"tango_admin", "--add-server", g_down_server,
                         g_py ? "SkaLrcDevice" : "LrcDemo", g_down, NULL};
    if (lrct_run(reg, 10000, NULL) != 0)
        return -1;
    char *tinst = lrct_unique_name("clitt");
    snprintf(g_tangotest, sizeof g_tangotest, "test/lrccli/%s", tinst);
    const char *tdevs[] = {g_tangotest, NULL};
    g_tt = lrct_server_start(TANGOTEST_EXE, tinst, "TangoTest", tdevs, NULL);
    free(tinst);
    return g_tt ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = 0;
    rc |= lrct_server_stop(g_srv);
    rc |= lrct_server_stop(g_srv_none);
    rc |= lrct_server_stop(g_srv_34);
    lrct_server_stop(g_tt); /* TangoTest's own exit status is not ours to judge */
    const char *unreg[] = {"tango_admin", "--delete-server", g_down_server, NULL};
    lrct_run(unreg, 10000, NULL);
    return rc;
}

/* Runs `lrc invoke device cmd arg` in a pipe and checks how it ended: the
 * exit status, the outcome line (with result_code when not NULL), and the
 * one final update's status and result (compact JSON). Returns the JSON
 * lines (caller frees) and the process in *out (caller frees). */
static json_t *expect_outcome(const char *device, const char *cmd, const char *arg, int want_exit,
                              const char *outcome, const char *result_code,
                              const char *final_status, const char *result_json, proc **out)
{
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", device, cmd, arg, NULL);
    expect_exit(p, want_exit, cmd);
    json_t *lines = json_lines(p);
    json_t *o = outcome_of(lines, device);
    assert_string_equal(str(o, "outcome"), outcome);
    if (result_code)
        assert_string_equal(str(o, "result_code"), result_code);
    assert_int_equal(json_integer_value(json_object_get(o, "exit")), want_exit);
    json_t *fin = final_of(lines);
    assert_string_equal(str(fin, "status"), final_status);
    assert_json_eq(json_object_get(fin, "result"), result_json);
    *out = p;
    return lines;
}

/* ---- pipes: JSON lines -------------------------------------------------------- */

static void test_json_echo(void **state)
{
    (void)state;
    proc *p;
    json_t *lines = expect_outcome(g_dev[D_V2], "Echo", "hello", 0, "COMPLETED", "OK",
                                   "COMPLETED", "[0,\"hello\"]", &p);
    /* every update is about the command the outcome names */
    const char *id = str(json_array_get(lines, json_array_size(lines) - 1), "command_id");
    size_t i;
    json_t *u;
    json_array_foreach(lines, i, u) assert_string_equal(str(u, "command_id"), id);
    assert_true(only_warnings(p->err));
    json_decref(lines);
    proc_free(p);
}

static void test_json_sleep_progress(void **state)
{
    (void)state;
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_V2], "Sleep", "1", "--json", NULL);
    expect_exit(p, 0, "Sleep 1");
    json_t *lines = json_lines(p);
    json_t *out = outcome_of(lines, g_dev[D_V2]);
    assert_string_equal(str(out, "outcome"), "COMPLETED");
    /* progress every 10 %, in order, ending at 100 */
    long last = -1;
    size_t nprog = 0, i;
    json_t *u;
    json_array_foreach(lines, i, u)
    {
        json_t *pr = json_object_get(u, "progress");
        if (!pr)
            continue;
        assert_true(json_is_integer(pr));
        assert_true(json_integer_value(pr) > last);
        last = (long)json_integer_value(pr);
        nprog++;
    }
    assert_true(nprog >= 5);
    assert_int_equal(last, 100);
    assert_json_eq(json_object_get(final_of(lines), "result"), "[0,\"Sleep done\"]");
    /* once, or twice when a fresh subscription lost the first events and
     * the status read from the device preceded the event that repeats it */
    assert_true(count_status(lines, "IN_PROGRESS") >= 1 && count_status(lines, "IN_PROGRESS") <= 2);
    json_decref(lines);
    proc_free(p);
}

static void test_json_fail(void **state)
{
    (void)state;
    proc *p;
    json_t *lines = expect_outcome(g_dev[D_V2], "Fail", "boom", 2, "FAILED", NULL, "FAILED",
                                   "[3,\"Unhandled exception during execution: boom\"]", &p);
    json_decref(lines);
    proc_free(p);
}

/* COMPLETED is not success by itself: a failing ResultCode gives exit 1. */
static void test_completed_with_failing_result_code(void **state)
{
    (void)state;
    DEMO_ONLY();
    proc *p;
    json_t *lines = expect_outcome(g_dev[D_V2], "Complete", "[3, \"motor at limit\"]", 1,
                                   "COMPLETED", "FAILED", "COMPLETED", "[3,\"motor at limit\"]",
                                   &p);
    json_decref(lines);
    proc_free(p);
    /* a result without a ResultCode is plain success */
    lines = expect_outcome(g_dev[D_V2], "Complete", "{\"x\": 1}", 0, "COMPLETED", NULL,
                           "COMPLETED", "{\"x\":1}", &p);
    json_decref(lines);
    proc_free(p);
}

static void test_abort_a_sleep(void **state)
{
    (void)state;
    proc *sl = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_ABORT], "Sleep", "30", NULL);
    if (!proc_wait_for(sl, "\"IN_PROGRESS\"", false, 20)) {
        dump(sl, "Sleep 30");
        fail_msg("the Sleep never went IN_PROGRESS");
    }
    proc *ab = start_lrc(PROC_PIPES, NULL, "abort", g_dev[D_ABORT], NULL);
    expect_exit(ab, 0, "abort");
    json_t *al = json_lines(ab);
    json_t *afin = final_of(al);
    assert_string_equal(str(afin, "status"), "COMPLETED");
    assert_json_eq(json_object_get(afin, "result"), "[0,\"Abort completed OK\"]");
    assert_true(strstr(str(afin, "command_id"), "_Abort") != NULL);

    expect_exit(sl, 3, "aborted Sleep");
    json_t *sl_lines = json_lines(sl);
    json_t *out = outcome_of(sl_lines, g_dev[D_ABORT]);
    assert_string_equal(str(out, "outcome"), "ABORTED");
    json_t *fin = final_of(sl_lines);
    assert_string_equal(str(fin, "status"), "ABORTED");
    assert_json_eq(json_object_get(fin, "result"), "[7,\"Command has been aborted\"]");
    json_decref(al);
    json_decref(sl_lines);
    proc_free(ab);
    proc_free(sl);
}

static void test_rejected_on(void **state)
{
    (void)state;
    DEMO_ONLY();
    proc *on = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_ONOFF], "On", NULL);
    expect_exit(on, 0, "On");
    proc_free(on);
    proc *again = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_ONOFF], "On", NULL);
    expect_exit(again, 4, "On again");
    assert_non_null(strstr(again->err, "On command rejected: Device is already in ON state."));
    json_t *lines = json_lines(again);
    assert_int_equal(json_array_size(lines), 1); /* no update: only the outcome */
    json_t *out = json_array_get(lines, 0);
    assert_string_equal(str(out, "outcome"), "REJECTED");
    assert_string_equal(str(json_object_get(out, "error"), "code"), "LRC_EREJECTED");
    json_decref(lines);
    proc_free(again);
    /* quiet: nothing on stdout, the reason still on stderr */
    proc *q = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_ONOFF], "On", "-q", NULL);
    expect_exit(q, 4, "On -q");
    assert_string_equal(q->out, "");
    assert_non_null(strstr(q->err, "already in ON state"));
    proc_free(q);
    proc *off = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_ONOFF], "Off", "--quiet", NULL);
    expect_exit(off, 0, "Off -q");
    assert_string_equal(off->out, "");
    proc_free(off);
}

static void test_timeout(void **state)
{
    (void)state;
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_V2], "Sleep", "4", "--timeout",
                        "0.5", NULL);
    expect_exit(p, 5, "timeout");
    json_t *lines = json_lines(p);
    json_t *out = outcome_of(lines, g_dev[D_V2]);
    assert_string_equal(str(out, "outcome"), "TIMEOUT");
    double el = json_number_value(json_object_get(out, "elapsed"));
    assert_true(el >= 0.5 && el < 3.5);
    assert_non_null(strstr(p->err, "--timeout"));
    json_decref(lines);
    proc_free(p);
    /* the command went on: wait for it so the next tests find the device idle */
    proc *w = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_V2], "Echo", "after", NULL);
    expect_exit(w, 0, "Echo after the timeout");
    proc_free(w);
}

static void expect_error(int want_exit, const char *want_text, const char *const *env, ...);

/* --lost-after SECONDS (lrc_proxy_options.lost_after_ms; 0 or less: never)
 * on a live device changes nothing; its --help and usage errors. Its effect
 * on a dead device: cli_faults.sh. */
static void test_lost_after(void **state)
{
    (void)state;
    static const char *const values[] = {"5", "0", "-1", "0.25"};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        proc *p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_V2], "Echo", "x", "--lost-after",
                            values[i], NULL);
        expect_exit(p, 0, "Echo with --lost-after");
        json_t *lines = json_lines(p);
        assert_string_equal(str(outcome_of(lines, g_dev[D_V2]), "outcome"), "COMPLETED");
        json_decref(lines);
        proc_free(p);
    }
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_V2], "Echo", "y", "--lost-after=2",
                        NULL);
    expect_exit(p, 0, "Echo with --lost-after=2");
    proc_free(p);
    static const char *const cmds[] = {"invoke", "abort"};
    for (size_t i = 0; i < 2; i++) {
        p = start_lrc(PROC_PIPES, NULL, cmds[i], "--help", NULL);
        expect_exit(p, 0, cmds[i]);
        assert_non_null(strstr(p->out, "[--lost-after SECONDS]"));
        assert_non_null(strstr(p->out, "  --lost-after SECONDS  end as LOST (exit 7)"));
        assert_non_null(strstr(p->out, "    7  lost"));
        proc_free(p);
    }
    p = start_lrc(PROC_PIPES, NULL, "status", "--help", NULL);
    expect_exit(p, 0, "status --help");
    assert_null(strstr(p->out, "--lost-after")); /* only invoke and abort follow a command */
    proc_free(p);
    expect_error(64, "--lost-after: not a number of seconds: soon", NULL, "invoke", g_dev[D_V2],
                 "Echo", "x", "--lost-after", "soon", NULL);
    expect_error(64, "--lost-after needs a number of seconds", NULL, "abort", g_dev[D_V2],
                 "--lost-after", NULL);
    expect_error(64, "unknown option --lost-after", NULL, "status", g_dev[D_V2], "--lost-after",
                 "3", NULL);
}

/* ---- errors: one clear line, exit 6 (64 for usage) -------------------------------- */

static void expect_error(int want_exit, const char *want_text, const char *const *env, ...)
{
    const char *argv[MAX_ARGS + 2];
    va_list ap;
    va_start(ap, env);
    int n = lrc_argv(argv, ap);
    va_end(ap);
    proc *p = NULL;
    int st = proc_run(PROC_PIPES, argv, env, 60, &p);
    assert_non_null(p);
    if (st != want_exit || !strstr(p->err, want_text)) {
        dump(p, argv[1]);
        fail_msg("%s %s: exit %d (want %d), stderr should contain \"%s\"", argv[1],
                 n > 2 ? argv[2] : "", st, want_exit, want_text);
    }
    /* the first line of stderr is the error, prefixed "lrc: " */
    assert_int_equal(strncmp(p->err, "lrc: ", 5), 0);
    proc_free(p);
}

static bool etc_tangorc_names_a_host(void)
{
    FILE *f = fopen("/etc/tangorc", "r");
    if (!f)
        return false;
    char line[512];
    bool named = false;
    while (fgets(line, sizeof line, f))
        named |= strncmp(line + strspn(line, " \t"), "TANGO_HOST", 10) == 0;
    fclose(f);
    return named;
}

static void test_error_cases(void **state)
{
    (void)state;
    expect_error(6, "no such device in the Tango database", NULL, "invoke", "no/such/device",
                 "Echo", "x", NULL);
    expect_error(6, "no command 'Nope'", NULL, "invoke", g_dev[D_V2], "Nope", NULL);
    expect_error(6, "Sleep: bad argument", NULL, "invoke", g_dev[D_V2], "Sleep", "abc", NULL);
    expect_error(6, "Sleep: bad argument", NULL, "invoke", g_dev[D_V2], "Sleep", NULL);
    expect_error(6, "Sleep: bad argument", NULL, "invoke", g_dev[D_V2], "Sleep", "[1, 2]", NULL);
    if (!g_py) /* the PyTango device has no On */
        expect_error(6, "On: bad argument", NULL, "invoke", g_dev[D_V2], "On", "1", NULL);
    /* the demo device refuses a negative duration itself (a DevFailed) */
    expect_error(6, g_dev[D_V2], NULL, "invoke", g_dev[D_V2], "Sleep", "-1", NULL);
    expect_error(6, "is not LRC-capable", NULL, "invoke", g_tangotest, "DevString", "x", NULL);
    expect_error(6, "is not LRC-capable", NULL, "invoke", g_tangotest, "DevVarLongStringArray",
                 "[[1], [\"a\"]]", NULL);
    expect_error(6, "is not LRC-capable", NULL, "status", g_tangotest, NULL);
    expect_error(6, "is not LRC-capable", NULL, "watch", g_tangotest, NULL);
    /* no TANGO_HOST and no ~/.tangorc: only when /etc/tangorc names no
     * database either (it is the machine's; the test never changes it) */
    if (!etc_tangorc_names_a_host()) {
        const char *no_host[] = {"TANGO_HOST", "HOME=/nonexistent", NULL};
        expect_error(6, "TANGO_HOST is not set", no_host, "invoke", g_dev[D_V2], "Echo", "x",
                     NULL);
    }
    const char *bad_host[] = {"TANGO_HOST=127.0.0.1:1", NULL};
    expect_error(6, "cannot reach the Tango database at 127.0.0.1:1", bad_host, "status",
                 g_dev[D_V2], NULL);
    expect_error(6, "not compatible", NULL, "invoke", g_dev[D_34], "Echo", "x", NULL);
    expect_error(64, "unknown option --bogus", NULL, "invoke", g_dev[D_V2], "Echo", "--bogus",
                 NULL);
    expect_error(64, "missing arguments", NULL, "invoke", g_dev[D_V2], NULL);
    expect_error(64, "no command 'frobnicate'", NULL, "frobnicate", NULL);
    expect_error(64, "--timeout: not a number of seconds", NULL, "invoke", g_dev[D_V2], "Echo",
                 "x", "--timeout", "soon", NULL);
}

static void test_help(void **state)
{
    (void)state;
    DEMO_ONLY();
    static const char *const cmds[] = {"invoke", "watch", "status", "abort", "versions"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        proc *p = start_lrc(PROC_PIPES, NULL, cmds[i], "--help", NULL);
        expect_exit(p, 0, cmds[i]);
        char want[64];
        snprintf(want, sizeof want, "usage: lrc %s ", cmds[i]);
        assert_non_null(strstr(p->out, want));
        proc_free(p);
    }
    proc *p = start_lrc(PROC_PIPES, NULL, "--help", NULL);
    expect_exit(p, 0, "--help");
    assert_non_null(strstr(p->out, "130  interrupted"));
    assert_non_null(strstr(p->out, "TANGO_HOST"));
    proc_free(p);
    p = start_lrc(PROC_PIPES, NULL, "--version", NULL);
    expect_exit(p, 0, "--version");
    assert_non_null(strstr(p->out, "lrc (tango-lrc) "));
    proc_free(p);
}

/* ---- a pseudo-terminal: what the operator sees ------------------------------------------ */

/* A UTF-8 terminal without colours: what most tests look at. */
static const char *const k_utf8_env[] = {"LC_ALL=C.UTF-8", "TERM=xterm", "NO_COLOR=1", NULL};

static void test_tty_sleep_progress_bar(void **state)
{
    (void)state;
    proc *p = start_lrc(PROC_PTY, k_utf8_env, "invoke", g_dev[D_V2], "Sleep", "1.5", NULL);
    /* a half-filled bar while it runs, redrawn in place */
    bool half = proc_wait_for(p, "\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588"
                                 "\u2591",
                              false, 20);
    expect_exit(p, 0, "Sleep on a terminal");
    if (!half) {
        dump(p, "tty");
        fail_msg("no half-filled progress bar");
    }
    assert_non_null(strstr(p->out, "\r\033[K"));          /* the live line redrawn */
    assert_non_null(strstr(p->out, "  50%"));
    assert_non_null(strstr(p->out, "IN_PROGRESS"));
    /* the final line: symbol, status, a full bar, 100 %, then the result */
    const char *fin = strstr(p->out, "\u2714 COMPLETED  [");
    if (!fin) {
        dump(p, "tty");
        fail_msg("no final line");
    }
    assert_non_null(strstr(fin, "\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588"
                                "\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588] 100%"));
    assert_non_null(strstr(fin, "\r\nresult: [0, \"Sleep done\"]\r\n"));
    assert_null(strstr(p->out, "\033[3")); /* NO_COLOR: no colours */
    assert_null(strstr(p->out, "{\"")); /* no JSON on a terminal */
    proc_free(p);
}

static void test_tty_ascii_and_colour(void **state)
{
    (void)state;
    /* ASCII without colours, then with colours */
    const char *env[] = {"LC_ALL=C", "LANG", "TERM=xterm", "NO_COLOR=1", NULL};
    proc *p = start_lrc(PROC_PTY, env, "invoke", g_dev[D_V2], "Fail", "stalled", NULL);
    expect_exit(p, 2, "Fail on a terminal");
    assert_non_null(strstr(p->out, "!! FAILED"));
    assert_non_null(strstr(p->out, "result: [3, \"Unhandled exception during execution: stalled\"]"));
    proc_free(p);
    p = start_lrc(PROC_PTY, env, "invoke", g_dev[D_V2], "Sleep", "0.5", NULL);
    expect_exit(p, 0, "Sleep, ASCII");
    assert_non_null(strstr(p->out, "####################] 100%"));
    assert_non_null(strstr(p->out, "OK COMPLETED"));
    proc_free(p);
    const char *coloured[] = {"LC_ALL=C", "TERM=xterm", "NO_COLOR", NULL};
    p = start_lrc(PROC_PTY, coloured, "invoke", g_dev[D_V2], "Echo", "hi", NULL);
    expect_exit(p, 0, "Echo, colours");
    assert_non_null(strstr(p->out, "\033[32mOK COMPLETED"));
    proc_free(p);
}

/* A Sleep of `seconds` on a terminal, interrupted with Ctrl-C once it
 * runs: returns it waiting at the Abort prompt. */
static proc *sleep_to_the_prompt(const char *seconds)
{
    proc *p = start_lrc(PROC_PTY, k_utf8_env, "invoke", g_dev[D_ABORT], "Sleep", seconds, NULL);
    assert_true(proc_wait_for(p, "IN_PROGRESS", false, 20));
    assert_true(proc_write(p, "\003")); /* Ctrl-C: the terminal sends SIGINT */
    char q[256];
    snprintf(q, sizeof q, "Abort all commands of %s? [y/N]", g_dev[D_ABORT]);
    if (!proc_wait_for(p, q, false, 10)) {
        dump(p, "prompt");
        fail_msg("no Abort prompt");
    }
    return p;
}

/* Ctrl-C on a terminal asks; "y" sends Abort and the command ends ABORTED. */
static void test_tty_interrupt_abort(void **state)
{
    (void)state;
    proc *p = sleep_to_the_prompt("30");
    assert_true(proc_write(p, "y\n"));
    expect_exit(p, 3, "Sleep aborted from the prompt");
    assert_non_null(strstr(p->out, "Abort sent to"));
    assert_non_null(strstr(p->out, "\u25a0 ABORTED"));
    assert_non_null(strstr(p->out, "result: [7, \"Command has been aborted\"]"));
    proc_free(p);
}

/* "n" at the prompt: stop following, the command goes on; exit 130. */
static void test_tty_interrupt_no(void **state)
{
    (void)state;
    proc *p = sleep_to_the_prompt("1");
    assert_true(proc_write(p, "n\n"));
    expect_exit(p, 130, "Sleep, interrupt declined");
    assert_non_null(strstr(p->out, "interrupted"));
    assert_null(strstr(p->out, "Abort sent"));
    /* the header line names the command: "DEVICE Sleep  (ID)" */
    const char *open_paren = strchr(p->out, '(');
    const char *close_paren = open_paren ? strstr(open_paren, "_Sleep)") : NULL;
    assert_non_null(close_paren);
    char id[128];
    snprintf(id, sizeof id, "%.*s", (int)(close_paren + 6 - open_paren - 1), open_paren + 1);
    proc_free(p);
    /* the Sleep was not aborted: once the device ran an Echo after it
     * (one worker), the Sleep is COMPLETED */
    proc *w = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_ABORT], "Echo", "idle", NULL);
    expect_exit(w, 0, "Echo after the Sleep");
    proc_free(w);
    proc *st = start_lrc(PROC_PIPES, NULL, "status", g_dev[D_ABORT], id, NULL);
    expect_exit(st, 0, "status of the Sleep");
    assert_string_equal(st->out, "COMPLETED\nresult: [0, \"Sleep done\"]\n");
    proc_free(st);
}

/* Not on a terminal: --abort-on-interrupt sends Abort at SIGINT; without
 * it SIGINT just stops following. */
static void test_pipe_interrupts(void **state)
{
    (void)state;
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_ABORT], "Sleep", "30",
                        "--abort-on-interrupt", NULL);
    assert_true(proc_wait_for(p, "\"IN_PROGRESS\"", false, 20));
    proc_kill(p, SIGINT);
    expect_exit(p, 3, "Sleep, --abort-on-interrupt");
    json_t *lines = json_lines(p);
    assert_string_equal(str(json_array_get(lines, json_array_size(lines) - 1), "outcome"),
                        "ABORTED");
    json_decref(lines);
    proc_free(p);

    p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_ABORT], "Sleep", "1", NULL);
    assert_true(proc_wait_for(p, "\"IN_PROGRESS\"", false, 20));
    proc_kill(p, SIGINT);
    expect_exit(p, 130, "Sleep, SIGINT");
    lines = json_lines(p);
    assert_string_equal(str(json_array_get(lines, json_array_size(lines) - 1), "outcome"),
                        "INTERRUPTED");
    json_decref(lines);
    proc_free(p);
    proc *w = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_ABORT], "Echo", "idle", NULL);
    expect_exit(w, 0, "Echo after the Sleep");
    proc_free(w);
}

/* True once the process catches SIGINT (its handler is set), read from
 * SigCgt in /proc/PID/status; waits at most timeout_s. */
static bool wait_catches_sigint(pid_t pid, double timeout_s)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    for (double waited = 0; waited < timeout_s; waited += 0.0005) {
        FILE *f = fopen(path, "r");
        char line[256];
        unsigned long long caught = 0;
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "SigCgt: %llx", &caught) == 1)
                break;
        if (f)
            fclose(f);
        if (caught & (1ull << (SIGINT - 1)))
            return true;
        struct timespec d = {0, 500000L};
        nanosleep(&d, NULL);
    }
    return false;
}

/* Ctrl-C while the tool opens the device, subscribes and calls must not
 * break the Tango calls under it: signals that interrupted their system
 * calls once made cppTango fail the subscription ("Failed to delay
 * event! ... ZMQ message: Interrupted system call", exit 6). From the
 * moment the tool catches SIGINT, a SIGINT every half millisecond for
 * 300 ms (its whole start, and more): the tool stops following (130), or
 * the command had ended (0). */
static void test_pipe_interrupt_while_starting(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++) {
        proc *p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_ABORT], "Sleep", "0.2", NULL);
        assert_true(wait_catches_sigint(p->pid, 20));
        struct timespec gap = {0, 500000L};
        for (int k = 0; k < 600; k++) {
            proc_kill(p, SIGINT); /* an exited child stays a zombie until reaped */
            nanosleep(&gap, NULL);
        }
        int st = proc_finish(p, 60);
        if (st != 130 && st != 0) {
            dump(p, "SIGINTs while starting");
            fail_msg("run %d: exit %d, expected 130 or 0", i + 1, st);
        }
        proc_free(p);
    }
    proc *w = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_ABORT], "Echo", "idle", NULL);
    expect_exit(w, 0, "Echo after the interrupted Sleeps");
    proc_free(w);
}

/* ---- status, versions, watch --------------------------------------------------------- */

static char *command_id_of(proc *p)
{
    json_t *lines = json_lines(p);
    char *id = strdup(str(json_array_get(lines, json_array_size(lines) - 1), "command_id"));
    json_decref(lines);
    return id;
}

static void check_status_on(const char *device, const char *want_source)
{
    proc *e = start_lrc(PROC_PIPES, NULL, "invoke", device, "Echo", "listed", NULL);
    expect_exit(e, 0, "Echo");
    char *echo_id = command_id_of(e);
    proc_free(e);
    proc *sl = start_lrc(PROC_PIPES, NULL, "invoke", device, "Sleep", "3", NULL);
    assert_true(proc_wait_for(sl, "\"progress\"", false, 20));

    proc *st = start_lrc(PROC_PIPES, NULL, "status", device, "--json", NULL);
    expect_exit(st, 0, "status --json");
    json_t *lines = json_lines(st);
    assert_int_equal(json_array_size(lines), 1);
    json_t *cmds = json_object_get(json_array_get(lines, 0), "commands");
    bool saw_echo = false, saw_sleep = false;
    size_t i;
    json_t *c;
    json_array_foreach(cmds, i, c)
    {
        if (strcmp(str(c, "command_id"), echo_id) == 0) {
            saw_echo = true;
            assert_string_equal(str(c, "status"), "COMPLETED");
            assert_string_equal(str(c, "name"), "Echo");
            if (want_source)
                assert_string_equal(str(c, "source"), want_source);
        }
        if (strcmp(str(c, "status"), "IN_PROGRESS") == 0 && strcmp(str(c, "name"), "Sleep") == 0) {
            saw_sleep = true;
            assert_true(json_is_integer(json_object_get(c, "progress")));
        }
    }
    json_decref(lines);
    if (!saw_echo || !saw_sleep) {
        dump(st, "status");
        fail_msg("status lists the Echo: %d, the running Sleep: %d", saw_echo, saw_sleep);
    }
    proc_free(st);

    /* text in a pipe too unless --json: a table is for reading */
    proc *tp = start_lrc(PROC_PIPES, NULL, "status", device, NULL);
    expect_exit(tp, 0, "status in a pipe");
    assert_non_null(strstr(tp->out, "STATUS"));
    assert_null(strstr(tp->out, "{\""));
    proc_free(tp);

    /* the table */
    const char *env[] = {"NO_COLOR=1", NULL};
    proc *tb = start_lrc(PROC_PTY, env, "status", device, NULL);
    expect_exit(tb, 0, "status table");
    assert_non_null(strstr(tb->out, "STATUS"));
    assert_non_null(strstr(tb->out, "PROGRESS"));
    assert_non_null(strstr(tb->out, echo_id));
    assert_non_null(strstr(tb->out, "IN_PROGRESS"));
    proc_free(tb);

    /* one command */
    proc *one = start_lrc(PROC_PIPES, env, "status", device, echo_id, "--json", NULL);
    expect_exit(one, 0, "status ID");
    json_t *ol = json_lines(one);
    assert_string_equal(str(json_array_get(ol, 0), "status"), "COMPLETED");
    json_decref(ol);
    proc_free(one);
    proc *nf = start_lrc(PROC_PTY, env, "status", device, "1.0_1_Nothing", NULL);
    expect_exit(nf, 1, "status unknown ID");
    assert_non_null(strstr(nf->out, "NOT_FOUND"));
    proc_free(nf);

    expect_exit(sl, 0, "the Sleep");
    proc_free(sl);
    free(echo_id);
}

static void test_status_v2(void **state)
{
    (void)state;
    check_status_on(g_dev[D_STATUS], "lrcFinished");
}

static void test_status_pre_1_2(void **state)
{
    (void)state;
    check_status_on(g_dev[D_NONE], "longRunningCommandStatus");
}

static void test_versions(void **state)
{
    (void)state;
    proc *p = start_lrc(PROC_PTY, NULL, "versions", g_dev[D_V2], NULL);
    expect_exit(p, 0, "versions v2");
    assert_non_null(strstr(p->out, "LRC protocol 2 (device 1..2, this client 1..2)"));
    proc_free(p);
    p = start_lrc(PROC_PTY, NULL, "versions", g_dev[D_NONE], NULL);
    expect_exit(p, 0, "versions none");
    assert_non_null(strstr(p->out, "LRC protocol 1 (device: no lrcProtocolVersions"));
    proc_free(p);
    p = start_lrc(PROC_PIPES, NULL, "versions", g_dev[D_34], NULL);
    expect_exit(p, 6, "versions 3,4");
    assert_non_null(strstr(p->err, "Server version min, max = (3, 4)"));
    assert_string_equal(p->out, ""); /* no common version: nothing to show */
    proc_free(p);
    p = start_lrc(PROC_PIPES, NULL, "versions", g_dev[D_34], "--json", NULL);
    expect_exit(p, 6, "versions 3,4 --json");
    assert_non_null(strstr(p->err, "Server version min, max = (3, 4)"));
    json_t *lines = json_lines(p);
    json_t *v = json_array_get(lines, 0);
    assert_true(json_is_null(json_object_get(v, "protocol")));
    assert_int_equal(json_integer_value(json_object_get(v, "device_min")), 3);
    json_decref(lines);
    proc_free(p);
}

/* The last complete line of p's stdout as JSON (NULL if none parses). */
static json_t *last_json_line(const proc *p)
{
    const char *end = p->out + p->nout;
    while (end > p->out && end[-1] != '\n')
        end--; /* drop an incomplete last line */
    if (end == p->out)
        return NULL;
    const char *start = end - 1;
    while (start > p->out && start[-1] != '\n')
        start--;
    return json_loadb(start, (size_t)(end - start), 0, NULL);
}

static long long num_at(json_t *o, const char *group, const char *key)
{
    return (long long)json_integer_value(json_object_get(json_object_get(o, group), key));
}

/* lrc watch --stats, piped: one JSON line per interval with the device's
 * metrics; another process's Echo shows as events run through the queue,
 * each timed once, none dropped; this process invoked nothing. */
static void test_watch_stats(void **state)
{
    (void)state;
    proc *w = start_lrc(PROC_PIPES, NULL, "watch", "--stats", "--interval", "0.2",
                        g_dev[D_WATCH], NULL);
    char want[256];
    snprintf(want, sizeof want, "watching %s", g_dev[D_WATCH]);
    if (!proc_wait_for(w, want, true, 20)) {
        dump(w, "watch --stats");
        fail_msg("the watch did not start");
    }
    /* the events before the Echo: the subscriptions' initial values */
    if (!proc_wait_for(w, "\"stats\"", false, 20)) {
        dump(w, "watch --stats");
        fail_msg("no stats line");
    }
    json_t *first = last_json_line(w);
    long long before = num_at(json_array_get(json_object_get(first, "stats"), 0), "events", "values");
    json_decref(first);
    proc *a = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_WATCH], "Echo", "stats", NULL);
    expect_exit(a, 0, "Echo on the watched device");
    /* STAGING, QUEUED, IN_PROGRESS, COMPLETED reach the watch */
    long long values = 0;
    for (int i = 0; i < 100 && values < before + 4; i++) {
        (void)proc_wait_for(w, "\x01never", false, 0.2); /* reads for 0.2 s */
        json_t *v = last_json_line(w);
        values = num_at(json_array_get(json_object_get(v, "stats"), 0), "events", "values");
        json_decref(v);
    }
    proc_kill(w, SIGINT);
    expect_exit(w, 0, "watch --stats, SIGINT");
    if (values < before + 4) {
        dump(w, "watch --stats");
        fail_msg("the watch's stats never showed the Echo's 4 events: %lld, %lld before",
                 values, before);
    }
    json_t *lines = json_lines(w);
    assert_true(json_array_size(lines) >= 2);
    double last_elapsed = -1;
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        json_t *stats = json_object_get(l, "stats");
        assert_int_equal(json_array_size(stats), 1);
        json_t *d = json_array_get(stats, 0);
        assert_string_equal(str(d, "device"), g_dev[D_WATCH]);
        double elapsed = json_number_value(json_object_get(l, "elapsed"));
        assert_true(elapsed >= last_elapsed);
        last_elapsed = elapsed;
        assert_int_equal(num_at(d, "queue", "dropped"), 0);
        assert_int_equal(num_at(d, "invocations", "started"), 0);
        assert_true(num_at(d, "subscribe_ms", "count") >= 1);
        assert_true(json_integer_value(json_object_get(d, "streams")) >= 1);
        /* at most the item running now is not timed yet */
        long long processed = num_at(d, "queue", "processed");
        long long timed = num_at(d, "callback_time_us", "count");
        assert_true(timed == processed || timed + 1 == processed);
        assert_int_equal(num_at(d, "queue_time_us", "count"), timed);
    }
    /* the last report (at Ctrl-C) has everything */
    json_t *d = json_array_get(json_object_get(json_array_get(lines, json_array_size(lines) - 1),
                                               "stats"), 0);
    assert_true(num_at(d, "events", "values") >= 4);
    assert_true(num_at(d, "queue", "processed") >= 4);
    json_t *qt = json_object_get(d, "queue_time_us");
    assert_true(json_number_value(json_object_get(qt, "p50")) <=
                json_number_value(json_object_get(qt, "max")));
    json_decref(lines);
    proc_free(a);
    proc_free(w);
}

/* lrc invoke --stats: the outcome on stdout as without it, then one JSON
 * line of the device's metrics on stderr: one invocation, COMPLETED, its
 * events run through the queue. */
static void test_invoke_stats(void **state)
{
    (void)state;
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", "--stats", g_dev[D_V2], "Echo", "s", NULL);
    expect_exit(p, 0, "invoke --stats");
    json_t *lines = json_lines(p);
    json_t *out = outcome_of(lines, g_dev[D_V2]);
    assert_string_equal(str(out, "outcome"), "COMPLETED");
    const char *at = p->err ? strstr(p->err, "{\"stats\"") : NULL;
    if (!at) {
        dump(p, "invoke --stats");
        fail_msg("no stats line on stderr");
    }
    json_t *v = json_loadb(at, strcspn(at, "\n"), 0, NULL);
    json_t *d = json_array_get(json_object_get(v, "stats"), 0);
    assert_string_equal(str(d, "device"), g_dev[D_V2]);
    assert_int_equal(num_at(d, "invocations", "started"), 1);
    assert_int_equal(num_at(d, "invocations", "completed"), 1);
    assert_int_equal(num_at(d, "invocations", "not_started"), 0);
    assert_true(num_at(d, "queue", "processed") >= 1); /* at least the final */
    /* the last callback's times may be recorded just after the report */
    long long processed = num_at(d, "queue", "processed");
    long long timed = num_at(d, "callback_time_us", "count");
    assert_true(timed == processed || timed + 1 == processed);
    assert_int_equal(num_at(d, "subscribe_ms", "count"), 1);
    json_decref(v);
    json_decref(lines);
    proc_free(p);
}

/* Every event of two devices (v2 and v1), started by someone else. */
static void test_watch_two_devices(void **state)
{
    (void)state;
    proc *w = start_lrc(PROC_PIPES, NULL, "watch", g_dev[D_WATCH], g_dev[D_NONE], NULL);
    char want[256];
    snprintf(want, sizeof want, "watching %s", g_dev[D_NONE]);
    if (!proc_wait_for(w, want, true, 20)) {
        dump(w, "watch");
        fail_msg("the watch did not start");
    }
    proc *a = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_WATCH], "Sleep", "0.3", NULL);
    proc *b = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_NONE], "Echo", "v1 here", NULL);
    expect_exit(a, 0, "Sleep on the v2 device");
    expect_exit(b, 0, "Echo on the v1 device");
    char *ida = command_id_of(a), *idb = command_id_of(b);
    /* both finals reach the watch */
    char fa[300], fb[300];
    snprintf(fa, sizeof fa, "\"command_id\":\"%s\",\"status\":\"COMPLETED\"", ida);
    snprintf(fb, sizeof fb, "\"command_id\":\"%s\",\"status\":\"COMPLETED\"", idb);
    bool got_a = proc_wait_for(w, fa, false, 20), got_b = proc_wait_for(w, fb, false, 20);
    proc_kill(w, SIGINT);
    expect_exit(w, 0, "watch, SIGINT");
    if (!got_a || !got_b) {
        dump(w, "watch");
        fail_msg("the watch saw the v2 final: %d, the v1 final: %d", got_a, got_b);
    }
    json_t *lines = json_lines(w);
    size_t i, n_a = 0, finals_b = 0;
    json_t *u;
    json_array_foreach(lines, i, u)
    {
        const char *id = str(u, "command_id");
        if (id && strcmp(id, ida) == 0) {
            assert_string_equal(str(u, "device"), g_dev[D_WATCH]);
            n_a++;
        }
        if (id && strcmp(id, idb) == 0 && json_is_true(json_object_get(u, "final"))) {
            assert_string_equal(str(u, "device"), g_dev[D_NONE]);
            finals_b++;
        }
    }
    assert_true(n_a >= 3); /* at least status changes and progress */
    assert_int_equal(finals_b, 1);
    json_decref(lines);
    free(ida);
    free(idb);
    proc_free(a);
    proc_free(b);
    proc_free(w);
}

/* ---- issue 10: the tool's traps ------------------------------------------------------------ */

/* The widest line of a terminal's output (split at \r and \n), in
 * columns. The library's warnings ("lrc: warning: ...", e.g. first events
 * lost by a fresh subscription) are messages, not the view: they may wrap. */
static int widest_line(const char *out)
{
    int widest = 0, cols = 0;
    for (const char *c = out; *c; c++) {
        if (*c == '\r' || *c == '\n') {
            cols = 0;
            const char *next = c + 1;
            if (strncmp(next, "\033[K", 3) == 0) /* the live line cleared */
                next += 3;
            if (strncmp(next, "lrc: warning: ", 14) == 0)
                c = next + strcspn(next, "\r\n") - 1;
            continue;
        }
        if (*c == '\033') { /* an escape sequence takes no column */
            c++;
            if (*c == '[')
                while (c[1] && !(c[1] >= '@' && c[1] <= '~'))
                    c++;
            if (*c)
                c++;
            continue;
        }
        cols += ((unsigned char)*c & 0xc0) != 0x80;
        widest = cols > widest ? cols : widest;
    }
    return widest;
}

/* 14: progress updates arrive while the Ctrl-C question waits: it stays,
 * nothing is drawn under it, and a late "y" still aborts. */
static void test_tty_prompt_survives_progress(void **state)
{
    (void)state;
    proc *p = sleep_to_the_prompt("4");
    size_t at = p->nout;
    proc_wait_for(p, "never printed", false, 1.5); /* ~5 progress updates */
    const char *after = p->out + at;
    if (strstr(after, "\r\033[K") || strstr(after, "%") || strstr(after, "ended before")) {
        dump(p, "prompt");
        fail_msg("output under the waiting question: [%s]", after);
    }
    assert_true(proc_write(p, "y\n"));
    expect_exit(p, 3, "Sleep aborted by a late answer");
    assert_non_null(strstr(p->out, "Abort sent to"));
    proc_free(p);
}

/* 14: the command ends before the answer: the tool says so, ends with the
 * command's outcome, and what was typed does not reach the shell. */
static void test_tty_prompt_command_ends(void **state)
{
    (void)state;
    /* the shell ignores SIGINT (the terminal's Ctrl-C goes to the whole
     * group); lrc installs its own handler */
    const char *script = "trap '' INT; \"$0\" invoke \"$1\" Sleep 1.5; echo \"exit[$?]\"; "
                         "read x; echo \"typed[$x]\"";
    const char *argv[] = {"/bin/sh", "-c", script, g_lrc, g_dev[D_ABORT], NULL};
    proc *p = proc_start(PROC_PTY, argv, k_utf8_env);
    assert_non_null(p);
    assert_true(proc_wait_for(p, "IN_PROGRESS", false, 20));
    assert_true(proc_write(p, "\003"));
    assert_true(proc_wait_for(p, "? [y/N]", false, 10));
    assert_true(proc_write(p, "y")); /* typed, not yet entered */
    bool said = proc_wait_for(p, "ended before an answer", false, 10);
    bool exited = proc_wait_for(p, "exit[", false, 10);
    assert_true(proc_write(p, "\n"));
    bool read_line = proc_wait_for(p, "typed[", false, 10);
    proc_finish(p, 10);
    if (!said || !exited || !read_line || !strstr(p->out, "exit[0]") ||
        !strstr(p->out, "typed[]") || !strstr(p->out, "\u2714 COMPLETED")) {
        dump(p, "prompt, command ends");
        fail_msg("said %d, exited %d, shell read %d", said, exited, read_line);
    }
    proc_free(p);
}

/* 15: TANGO_HOST unset, the database named by ~/.tangorc (a temporary
 * HOME; /etc/tangorc is the machine's and is never touched). */
static void test_tangorc(void **state)
{
    (void)state;
    char home[] = "/tmp/lrc-cli-home-XXXXXX";
    assert_non_null(mkdtemp(home));
    char rc_path[128], env_home[160];
    snprintf(rc_path, sizeof rc_path, "%s/.tangorc", home);
    FILE *f = fopen(rc_path, "w");
    assert_non_null(f);
    fprintf(f, "# written by cli_test\nTANGO_HOST=%s\n", getenv("TANGO_HOST"));
    fclose(f);
    snprintf(env_home, sizeof env_home, "HOME=%s", home);
    const char *env[] = {"TANGO_HOST", env_home, NULL};
    proc *p = start_lrc(PROC_PIPES, env, "invoke", g_dev[D_V2], "Echo", "rc", NULL);
    expect_exit(p, 0, "Echo with the database in ~/.tangorc");
    proc_free(p);
    p = start_lrc(PROC_PIPES, env, "status", "no/such/device", NULL);
    expect_exit(p, 6, "unknown device, database in ~/.tangorc");
    assert_non_null(strstr(p->err, "no such device in the Tango database"));
    proc_free(p);
    unlink(rc_path);
    rmdir(home);
}

/* A demo server (or the PyTango device) `inst` with the one device dev. */
static lrct_server *start_one(const char *inst, const char *dev)
{
    const char *devs[] = {dev, NULL};
    if (g_py) {
        const char *python = getenv("LRC_PYTHON");
        const char *cmd[] = {python && *python ? python : "/usr/bin/python3", g_demo, NULL};
        return lrct_server_start_cmd(cmd, "SkaLrcDevice", inst, "SkaLrcDevice", devs, NULL);
    }
    return lrct_server_start(g_demo, inst, "LrcDemo", devs, NULL);
}

/* 16: a device whose server is not running: one line, naming the server,
 * without cppTango's "delayed" connection text. */
static void test_device_down(void **state)
{
    (void)state;
    proc *p = start_lrc(PROC_PIPES, NULL, "invoke", g_down, "Echo", "x", NULL);
    expect_exit(p, 6, "Echo on a device that is down");
    char want[512];
    snprintf(want, sizeof want, "lrc: %s is not running: its server %s has not been started\n",
             g_down, g_down_server);
    if (strcmp(p->err, want) != 0) {
        dump(p, "down");
        fail_msg("stderr should be exactly: %s", want);
    }
    proc_free(p);
    p = start_lrc(PROC_PIPES, NULL, "status", g_down, NULL);
    expect_exit(p, 6, "status of a device that is down");
    assert_non_null(strstr(p->err, "is not running"));
    assert_null(strchr(strchr(p->err, '\n') + 1, '\n')); /* one line */
    proc_free(p);

    /* a server that crashed: the database still lists it as running */
    char *inst = lrct_unique_name("clicrash");
    char dev[128];
    snprintf(dev, sizeof dev, "test/lrccli/%s", inst);
    lrct_server *srv = start_one(inst, dev);
    assert_non_null(srv);
    lrct_server_kill(srv);
    p = start_lrc(PROC_PIPES, NULL, "invoke", dev, "Echo", "x", NULL);
    expect_exit(p, 6, "Echo on a crashed device");
    if (!strstr(p->err, "is not running: its server") || !strstr(p->err, "may have crashed") ||
        strchr(p->err, '\n') != p->err + strlen(p->err) - 1 || strstr(p->err, "delayed")) {
        dump(p, "crashed");
        fail_msg("not one line saying the server is down");
    }
    proc_free(p);
    lrct_server_stop(srv); /* killed: its exit status is not a verdict */
    free(inst);
}

/* 17: the JSON error of each kind of failure: its own code, and the
 * message stderr gives. */
static void expect_json_code(const char *const *env, const char *code, const char *device,
                             const char *cmd, const char *arg)
{
    proc *p = start_lrc(PROC_PIPES, env, "invoke", device, cmd, arg, NULL);
    expect_exit(p, 6, code);
    json_t *lines = json_lines(p);
    json_t *err = json_object_get(json_array_get(lines, json_array_size(lines) - 1), "error");
    const char *got = str(err, "code"), *msg = str(err, "message");
    char line[1200];
    snprintf(line, sizeof line, "lrc: %s\n", msg ? msg : "");
    if (!got || strcmp(got, code) != 0 || !strstr(p->err, line)) {
        dump(p, code);
        fail_msg("code %s (want %s); message should be stderr's line", got, code);
    }
    json_decref(lines);
    proc_free(p);
}

static void test_json_error_codes(void **state)
{
    (void)state;
    expect_json_code(NULL, "LRC_ENODEVICE", "no/such/device", "Echo", "x");
    const char *bad_host[] = {"TANGO_HOST=127.0.0.1:1", NULL};
    expect_json_code(bad_host, "LRC_ENODB", g_dev[D_V2], "Echo", "x");
    expect_json_code(NULL, "LRC_ENOCOMMAND", g_dev[D_V2], "Nope", NULL);
    expect_json_code(NULL, "LRC_EBADARG", g_dev[D_V2], "Sleep", "abc");
    expect_json_code(NULL, "LRC_ENOTLRC", g_tangotest, "DevString", "x");
    expect_json_code(NULL, "LRC_ENOTRUNNING", g_down, "Echo", "x");
}

/* 18: one device of a watch is down: a warning, the others are watched,
 * and it is watched too once its server starts. */
static void test_watch_device_down(void **state)
{
    (void)state;
    char *inst = lrct_unique_name("clilate");
    char late[128];
    snprintf(late, sizeof late, "test/lrccli/%s", inst);
    char server[160];
    snprintf(server, sizeof server, "%s/%s", g_py ? "SkaLrcDevice" : "lrc-demo-device", inst);
    const char *reg[] = {"tango_admin", "--add-server", server, g_py ? "SkaLrcDevice" : "LrcDemo",
                         late, NULL};
    assert_int_equal(lrct_run(reg, 10000, NULL), 0);

    proc *w = start_lrc(PROC_PIPES, NULL, "watch", late, g_dev[D_WATCH], NULL);
    char want[300];
    snprintf(want, sizeof want, "watching %s", g_dev[D_WATCH]);
    bool warned = proc_wait_for(w, "is not running", true, 20);
    bool watching = proc_wait_for(w, want, true, 20);
    if (!warned || !watching) {
        dump(w, "watch with a device down");
        fail_msg("warned %d, watching the other %d", warned, watching);
    }
    proc *a = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_WATCH], "Echo", "still here", NULL);
    expect_exit(a, 0, "Echo on the running device");
    char *ida = command_id_of(a);
    char fa[300];
    snprintf(fa, sizeof fa, "\"command_id\":\"%s\",\"status\":\"COMPLETED\"", ida);
    assert_true(proc_wait_for(w, fa, false, 20));

    /* the server comes up: the watch picks the device up */
    lrct_server *srv = start_one(inst, late);
    assert_non_null(srv);
    snprintf(want, sizeof want, "watching %s", late);
    bool picked = proc_wait_for(w, want, true, 20);
    proc *b = start_lrc(PROC_PIPES, NULL, "invoke", late, "Echo", "late", NULL);
    expect_exit(b, 0, "Echo on the late device");
    char *idb = command_id_of(b);
    char fb[300];
    snprintf(fb, sizeof fb, "\"command_id\":\"%s\",\"status\":\"COMPLETED\"", idb);
    bool got_b = picked && proc_wait_for(w, fb, false, 20);
    proc_kill(w, SIGINT);
    expect_exit(w, 0, "watch, SIGINT");
    if (!picked || !got_b) {
        dump(w, "watch, late device");
        fail_msg("picked up %d, saw its command %d", picked, got_b);
    }
    assert_int_equal(lrct_server_stop(srv), 0);
    free(ida);
    free(idb);
    free(inst);
    proc_free(a);
    proc_free(b);
    proc_free(w);
}

/* 19: a 40-column terminal: the live and final lines fit and keep the
 * percentage; the status table fits 60 columns. */
static void test_narrow_terminal(void **state)
{
    (void)state;
    proc_pty_cols = 40;
    proc *p = start_lrc(PROC_PTY, k_utf8_env, "invoke", g_dev[D_V2], "Sleep", "1", NULL);
    proc_pty_cols = 100;
    expect_exit(p, 0, "Sleep, 40 columns");
    const char *fin = strstr(p->out, "\u2714 COMPLETED");
    /* the header line holds the whole command ID, which may wrap */
    const char *below = strchr(p->out, '\n');
    if (!below || widest_line(below) > 39 || !strstr(p->out, " 50%") || !fin ||
        !strstr(fin, "100%")) {
        dump(p, "40 columns");
        fail_msg("widest line %d columns; percentage while running %d, at the end %d",
                 below ? widest_line(below) : -1, strstr(p->out, " 50%") != NULL,
                 fin && strstr(fin, "100%"));
    }
    proc_free(p);
    const char *env[] = {"NO_COLOR=1", NULL};
    proc_pty_cols = 60;
    proc *st = start_lrc(PROC_PTY, env, "status", g_dev[D_V2], NULL);
    proc_pty_cols = 100;
    expect_exit(st, 0, "status, 60 columns");
    if (widest_line(st->out) > 59 || !strstr(st->out, "PROGRESS")) {
        dump(st, "status, 60 columns");
        fail_msg("widest line %d columns", widest_line(st->out));
    }
    proc_free(st);
}

/* 20: control characters from a device are shown escaped on a terminal
 * (here a C1 CSI, U+009B, which JSON leaves as it is) and passed as they
 * are in a pipe. */
static void test_control_characters(void **state)
{
    (void)state;
    const char *arg = "x\xc2\x9b" "31mred\x7f";
    proc *p = start_lrc(PROC_PTY, k_utf8_env, "invoke", g_dev[D_STATUS], "Echo", arg, NULL);
    expect_exit(p, 0, "Echo of control characters, terminal");
    if (strstr(p->out, "\xc2\x9b") || strchr(p->out, 0x7f) ||
        !strstr(p->out, "result: [0, \"x\\u009b31mred\\x7f\"]")) {
        dump(p, "control characters");
        fail_msg("control characters reached the terminal");
    }
    proc_free(p);
    const char *env[] = {"NO_COLOR=1", NULL};
    p = start_lrc(PROC_PTY, env, "status", g_dev[D_STATUS], NULL);
    expect_exit(p, 0, "status with control characters");
    assert_null(strstr(p->out, "\xc2\x9b"));
    assert_null(strchr(p->out, 0x7f));
    proc_free(p);
    /* lrc watch on a terminal: its lines are escaped too */
    proc *w = start_lrc(PROC_PTY, env, "watch", g_dev[D_STATUS], NULL);
    assert_true(proc_wait_for(w, "watching", false, 20));
    p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_STATUS], "Echo", arg, NULL);
    expect_exit(p, 0, "Echo of control characters, watched");
    proc_free(p);
    bool seen = proc_wait_for(w, "31mred\\x7f\"] (final)", false, 20);
    proc_kill(w, SIGINT);
    expect_exit(w, 0, "watch of control characters");
    if (!seen || strstr(w->out, "\xc2\x9b") || strchr(w->out, 0x7f)) {
        dump(w, "watch, control characters");
        fail_msg("watch: final seen %d; control characters must be escaped", seen);
    }
    proc_free(w);
    p = start_lrc(PROC_PIPES, NULL, "invoke", g_dev[D_STATUS], "Echo", arg, "--json", NULL);
    expect_exit(p, 0, "Echo of control characters, pipe");
    json_t *lines = json_lines(p);
    assert_json_eq(json_object_get(final_of(lines), "result"), "[0,\"x\\u009B31mred\x7f\"]");
    json_decref(lines);
    proc_free(p);
}

int main(int argc, char **argv)
{
    if (cli_parse_args(argc, argv, "cli_test") != 0)
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_json_echo),
        cmocka_unit_test(test_json_sleep_progress),
        cmocka_unit_test(test_json_fail),
        cmocka_unit_test(test_completed_with_failing_result_code),
        cmocka_unit_test(test_abort_a_sleep),
        cmocka_unit_test(test_rejected_on),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_lost_after),
        cmocka_unit_test(test_error_cases),
        cmocka_unit_test(test_tty_sleep_progress_bar),
        cmocka_unit_test(test_tty_ascii_and_colour),
        cmocka_unit_test(test_tty_interrupt_abort),
        cmocka_unit_test(test_tty_interrupt_no),
        cmocka_unit_test(test_pipe_interrupts),
        cmocka_unit_test(test_pipe_interrupt_while_starting),
        cmocka_unit_test(test_status_v2),
        cmocka_unit_test(test_status_pre_1_2),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_watch_two_devices),
        cmocka_unit_test(test_watch_stats),
        cmocka_unit_test(test_invoke_stats),
        cmocka_unit_test(test_tty_prompt_survives_progress),
        cmocka_unit_test(test_tty_prompt_command_ends),
        cmocka_unit_test(test_tangorc),
        cmocka_unit_test(test_device_down),
        cmocka_unit_test(test_json_error_codes),
        cmocka_unit_test(test_watch_device_down),
        cmocka_unit_test(test_narrow_terminal),
        cmocka_unit_test(test_control_characters),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
