/* it_text: non-ASCII text across the Tango boundary (issue 9, point 3).
 * DevString text is Latin-1 on the wire and UTF-8 in our API.
 *
 *  - PyTango clients (tests/integration/py/latin1_client.py) against demo
 *    devices, v2 (_lrcEvent, lrcFinished) and v1 (longRunningCommandResult):
 *    Echo "é °C µs" and Fail "moteur bloqué" read back exactly as from a
 *    ska device: [0, "é °C µs"], [3, "Unhandled exception during
 *    execution: moteur bloqué"].
 *  - Our client (lrc_invoke, the shim, the `lrc` tool) against a tiny
 *    PyTango device (py/latin1_echo_device.py): the device sees the exact
 *    str, we get the exact UTF-8 back; text beyond Latin-1 is LRC_EINVAL.
 *
 * argv: lrc-demo-device, lrc (the tool). */
#include "it_common.h"
#include "lrc/client.h"
#include "recorder.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ECHO_TEXT "\xc3\xa9 \xc2\xb0" "C \xc2\xb5s" /* "é °C µs" in UTF-8 */
#define ECHO_ASCII "'\\xe9 \\xb0C \\xb5s'"           /* its Python ascii() */

static const char *g_cli;
static const char *const k_py_dir = LRC_IT_PY_DIR;

/* ---- PyTango clients against the demo device ------------------------------ */

static int run_py_client(const char *mode, const char *device)
{
    char script[512];
    snprintf(script, sizeof script, "%s/latin1_client.py", k_py_dir);
    const char *argv[] = {"/usr/bin/python3", script, mode, device, NULL};
    return lrct_run(argv, 60000, NULL);
}

static void test_pytango_client_v2(void **state)
{
    it_dev *d = *state;
    assert_true(it_dev_start(d, "text2", NULL));
    assert_int_equal(run_py_client("v2", d->device), 0);
    assert_true(it_dev_stop(d));
}

static void test_pytango_client_v1(void **state)
{
    it_dev *d = *state;
    const char *props[] = {"LrcProtocolVersions=none", NULL};
    assert_true(it_dev_start(d, "text1", props));
    assert_int_equal(run_py_client("v1", d->device), 0);
    assert_true(it_dev_stop(d));
}

/* ---- our client ----------------------------------------------------------- */

typedef struct final_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    int status;
    int code;
    char *message;
    char *result_json;
} final_wait;

static void on_update(const lrc_update *u, void *user)
{
    final_wait *w = user;
    pthread_mutex_lock(&w->mu);
    if (u->has & LRC_HAS_RESULT_CODE) {
        free(w->message);
        w->message = strdup(u->result_message);
        w->code = u->result_code;
    }
    if (u->has & LRC_HAS_RESULT) {
        free(w->result_json);
        w->result_json = strdup(u->result_json);
    }
    if (u->has & LRC_HAS_STATUS)
        w->status = u->status;
    if (u->final) {
        w->done = true;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
}

static bool wait_done(void *w) { return ((final_wait *)w)->done; }

/* lrc_invoke(command, text) and wait for its final callback. */
static void invoke_and_wait(const char *device, const char *command, const char *text,
                            final_wait *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    lrc_proxy *p = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_proxy_open(device, NULL, &p, &err), LRC_OK);
    lrc_arg a = lrc_arg_string(text);
    lrc_subscription *sub = NULL;
    int rc = lrc_invoke(p, command, &a, on_update, w, NULL, &sub, &err);
    if (rc != LRC_OK)
        fprintf(stderr, "lrc_invoke: %s\n", lrc_error_message(err));
    assert_int_equal(rc, LRC_OK);
    bool done = it_wait_cond(&w->mu, &w->cv, wait_done, w, 20);
    assert_true(done);
    lrc_subscription_free(sub);
    lrc_proxy_close(p);
}

static void final_wait_free(final_wait *w)
{
    free(w->message);
    free(w->result_json);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
}

/* Our client against our kit: the UTF-8 comes back unchanged. */
static void test_lrc_invoke_demo(void **state)
{
    it_dev *d = *state;
    assert_true(it_dev_start(d, "textc", NULL));
    final_wait w;
    invoke_and_wait(d->device, "Echo", ECHO_TEXT, &w);
    assert_int_equal(w.status, LRC_STATUS_COMPLETED);
    assert_int_equal(w.code, 0);
    assert_string_equal(w.message, ECHO_TEXT);
    assert_string_equal(w.result_json, "[0, \"\\u00e9 \\u00b0C \\u00b5s\"]");
    final_wait_free(&w);
    invoke_and_wait(d->device, "Fail", "moteur bloqu\xc3\xa9", &w);
    assert_int_equal(w.status, LRC_STATUS_FAILED);
    assert_int_equal(w.code, 3);
    assert_string_equal(w.message, "Unhandled exception during execution: moteur bloqu\xc3\xa9");
    final_wait_free(&w);
    assert_true(it_dev_stop(d));
}

/* The PyTango device, started through a wrapper named as PyTango names the
 * server (the script's base name without .py). */
typedef struct py_dev {
    lrct_server *srv;
    char *instance;
    char device[128];
    char wrapper[256];
} py_dev;

static void py_dev_start(py_dev *pd)
{
    const char *state_dir = getenv("LRC_STATE_DIR") ? getenv("LRC_STATE_DIR") : "/tmp/tango-lrc-state";
    char dir[200];
    snprintf(dir, sizeof dir, "%s/it_text-%d", state_dir, (int)getpid());
    mkdir(state_dir, 0755);
    mkdir(dir, 0755);
    snprintf(pd->wrapper, sizeof pd->wrapper, "%s/latin1_echo_device", dir);
    FILE *f = fopen(pd->wrapper, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\nexec /usr/bin/python3 %s/latin1_echo_device.py \"$@\"\n", k_py_dir);
    fclose(f);
    chmod(pd->wrapper, 0755);
    pd->instance = lrct_unique_name("text");
    snprintf(pd->device, sizeof pd->device, "test/latin1echo/%s", pd->instance);
    const char *devs[] = {pd->device, NULL};
    pd->srv = lrct_server_start(pd->wrapper, pd->instance, "Latin1Echo", devs, NULL);
    assert_non_null(pd->srv);
}

static void py_dev_stop(py_dev *pd)
{
    assert_int_equal(lrct_server_stop(pd->srv), 0);
    unlink(pd->wrapper);
    *strrchr(pd->wrapper, '/') = '\0';
    rmdir(pd->wrapper); /* the per-run directory of the wrapper */
    free(pd->instance);
}

/* What the PyTango device last received, as Python's ascii() of the str. */
static char *py_last_argument(const char *device)
{
    const char *argv[] = {"/usr/bin/python3", "-c",
                          "import sys, tango\n"
                          "print(ascii(tango.DeviceProxy(sys.argv[1]).lastArgument))\n",
                          device, NULL};
    char *out = NULL;
    assert_int_equal(lrct_run(argv, 30000, &out), 0);
    assert_non_null(out);
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = '\0';
    return out;
}

static void test_our_client_to_pytango(void **state)
{
    (void)state;
    py_dev pd;
    py_dev_start(&pd);

    /* lrc_invoke: the device sees the exact str; the result, sent as raw
     * Latin-1 JSON, comes back as the exact UTF-8. */
    final_wait w;
    invoke_and_wait(pd.device, "Echo", ECHO_TEXT, &w);
    assert_int_equal(w.status, LRC_STATUS_COMPLETED);
    assert_string_equal(w.message, ECHO_TEXT);
    json_t *r = json_loads(w.result_json, JSON_DECODE_ANY, NULL);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_array_get(r, 1)), ECHO_TEXT);
    json_decref(r);
    final_wait_free(&w);
    char *seen = py_last_argument(pd.device);
    assert_string_equal(seen, ECHO_ASCII);
    free(seen);

    /* A plain DevString command through the shim, both ways. */
    lrc_tg_proxy *tp = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_tg_proxy_open(pd.device, 5000, &tp, &err), LRC_OK);
    lrc_tg_value in = {.type = LRC_TG_STRING, .s = (char *)"moteur bloqu\xc3\xa9"}, out = {0};
    assert_int_equal(lrc_tg_command_inout(tp, "EchoPlain", &in, &out, &err), LRC_OK);
    assert_string_equal(out.s, "moteur bloqu\xc3\xa9");
    lrc_tg_value_clear(&out);
    seen = py_last_argument(pd.device);
    assert_string_equal(seen, "'moteur bloqu\\xe9'");
    free(seen);
    /* Beyond Latin-1: refused before sending, the device keeps the last. */
    in.s = (char *)"\xe2\x86\x92";
    assert_int_equal(lrc_tg_command_inout(tp, "EchoPlain", &in, &out, &err), LRC_EINVAL);
    assert_non_null(strstr(lrc_error_message(err), "U+2192"));
    lrc_error_free(err);
    err = NULL;
    lrc_tg_proxy_close(tp);
    seen = py_last_argument(pd.device);
    assert_string_equal(seen, "'moteur bloqu\\xe9'");
    free(seen);

    /* lrc_invoke refuses it too, with LRC_EINVAL naming the character. */
    lrc_proxy *p = NULL;
    assert_int_equal(lrc_proxy_open(pd.device, NULL, &p, &err), LRC_OK);
    lrc_arg arrow = lrc_arg_string("\xe2\x86\x92");
    assert_int_equal(lrc_invoke(p, "Echo", &arrow, on_update, &w, NULL, NULL, &err), LRC_EINVAL);
    assert_non_null(strstr(lrc_error_message(err), "argument of command 'Echo' holds U+2192"));
    lrc_error_free(err);
    lrc_proxy_close(p);

    /* The `lrc` tool: its JSON lines give the exact text back. */
    const char *argv[] = {g_cli, "invoke", pd.device, "Echo", ECHO_TEXT, "--json", NULL};
    char *text = NULL;
    assert_int_equal(lrct_run(argv, 60000, &text), 0);
    assert_non_null(text);
    bool found = false;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *o = json_loads(line, 0, NULL);
        json_t *res = json_object_get(o, "result");
        if (res) {
            assert_string_equal(json_string_value(json_array_get(res, 1)), ECHO_TEXT);
            found = true;
        }
        json_decref(o);
    }
    free(text);
    assert_true(found);
    seen = py_last_argument(pd.device);
    assert_string_equal(seen, ECHO_ASCII);
    free(seen);

    py_dev_stop(&pd);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s LRC_DEMO_DEVICE LRC_TOOL\n", argv[0]);
        return 2;
    }
    it_init(argc, argv);
    g_cli = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pytango_client_v2, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_pytango_client_v1, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_lrc_invoke_demo, it_setup, it_teardown),
        cmocka_unit_test(test_our_client_to_pytango),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
