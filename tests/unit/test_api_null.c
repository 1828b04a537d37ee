/* NULL and invalid arguments across the public API (docs/bad-input.md):
 * every public function that takes a pointer, given NULL handles, NULL
 * outputs, NULL callbacks, empty names and negative sizes or timeouts,
 * returns its documented code (or does nothing), never crashes and never
 * touches the device. Complements test_client's
 * test_invalid_arguments_make_no_device_call and test_proxy_open_arguments
 * and test_scheduler's test_options_and_arguments, which cover lrc_invoke's,
 * lrc_proxy_open_with's and the scheduler options' checks.
 *
 * A proxy on the fake device (no Tango) serves the calls that need a live
 * handle: the fake counts every transport call, so "no device call" is
 * asserted, not assumed. The kit's functions (lrc/server.h) are called
 * without a device server: with NULL handles they must return before
 * touching Tango. */
#include "core/client_internal.h" /* lrc_proxy_open_with */
#include "fake_transport.h"
#include "lrc/client.h"
#include "lrc/device.h"
#include "lrc/server.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICE "test/fake/1"

static void cb(const lrc_update *u, void *user)
{
    (void)u;
    (void)user;
}

static void ev_cb(const lrc_event *ev, void *user)
{
    (void)ev;
    (void)user;
}

/* The last message logged (the process-wide hook). */
static char g_logged[512];
static void hook(void *user, int level, const char *msg)
{
    (void)level;
    (void)user;
    snprintf(g_logged, sizeof g_logged, "%s", msg);
}

static lrc_status task(lrc_task *t, const lrc_arg *arg, void *user)
{
    (void)t;
    (void)arg;
    (void)user;
    return LRC_STATUS_COMPLETED;
}

static int init_fn(lrc_device *dev, void *user, lrc_error **err)
{
    (void)dev;
    (void)user;
    (void)err;
    return LRC_OK;
}

/* Asserts code and message of *err, then frees it. */
static void expect_err(lrc_error **err, int code, const char *msg)
{
    assert_non_null(*err);
    assert_int_equal(lrc_error_code(*err), code);
    if (msg)
        assert_string_equal(lrc_error_message(*err), msg);
    lrc_error_free(*err);
    *err = NULL;
}

typedef struct fx {
    fake_device *d;
    lrc_proxy *p;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->d = fake_new(DEVICE);
    fake_add_command(f->d, "Echo", LRC_TG_STRING, LRC_TG_LONG_STRING_ARRAY, NULL, NULL);
    assert_int_equal(lrc_proxy_open_with(fake_transport(f->d), DEVICE, NULL, &f->p, NULL),
                     LRC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    /* none of the bad calls reached the device */
    char *trace = fake_trace(f->d);
    assert_string_equal(trace, "");
    free(trace);
    assert_int_equal(fake_calls(f->d), 0);
    assert_int_equal(fake_subscribes(f->d, NULL), 0);
    lrc_proxy_close(f->p);
    fake_free(f->d);
    free(f);
    return 0;
}

/* lrc/client.h: proxies */
static void test_proxy_functions(void **state)
{
    (void)state;
    lrc_error *err = NULL;
    lrc_proxy *p = (lrc_proxy *)&err;
    assert_int_equal(lrc_proxy_open(NULL, NULL, &p, &err), LRC_EINVAL);
    assert_null(p);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_proxy_open("", NULL, &p, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_proxy_open("a/b/c", NULL, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, NULL);
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    po.linger_ms = -1;
    assert_int_equal(lrc_proxy_open("a/b/c", &po, &p, &err), LRC_EINVAL);
    assert_null(p);
    expect_err(&err, LRC_EINVAL, "lrc_proxy_open: negative linger -1 ms");

    assert_null(lrc_proxy_name(NULL));
    assert_int_equal(lrc_proxy_timeout_ms(NULL), 0);
    lrc_proxy_stats st;
    memset(&st, 0xff, sizeof st);
    lrc_proxy_get_stats(NULL, &st);
    assert_int_equal(st.subscribes + st.unsubscribes + st.events + st.invocations, 0);
    assert_int_equal(st.streams, 0);
    lrc_proxy_get_stats(NULL, NULL);
    lrc_proxy_close(NULL);
    lrc_proxy_options_init(NULL);
    lrc_invoke_options_init(NULL);
}

/* lrc/client.h: subscriptions, interfaces, event callbacks */
static void test_client_handles(void **state)
{
    fx *f = *state;
    lrc_error *err = NULL;
    assert_null(lrc_subscription_command_id(NULL));
    assert_int_equal(lrc_subscription_protocol_version(NULL), 0);
    lrc_subscription_free(NULL);
    lrc_final *fin = (lrc_final *)&err;
    assert_int_equal(lrc_subscription_wait(NULL, 0, &fin, &err), LRC_EINVAL);
    assert_null(fin);
    expect_err(&err, LRC_EINVAL, "lrc_subscription_wait: NULL subscription");
    lrc_final_free(NULL);
    fin = (lrc_final *)&err;
    assert_int_equal(lrc_invoke_wait(NULL, "Echo", NULL, NULL, 0, &fin, &err), LRC_EINVAL);
    assert_null(fin);
    expect_err(&err, LRC_EINVAL, "lrc_invoke: NULL proxy");

    assert_int_equal(lrc_connect_interface(NULL, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_connect_interface: NULL proxy");
    assert_int_equal(lrc_disconnect_interface(NULL, NULL), LRC_EINVAL);
    /* never connected */
    assert_int_equal(lrc_disconnect_interface(f->p, NULL), LRC_ENOTFOUND);

    uint64_t id = 77;
    assert_int_equal(lrc_register_event_callback(NULL, NULL, "State", NULL, ev_cb, NULL, &id, &err),
                     LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_register_event_callback(NULL, f->p, NULL, NULL, ev_cb, NULL, &id, &err),
                     LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_register_event_callback(NULL, f->p, "", NULL, ev_cb, NULL, &id, &err),
                     LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_register_event_callback(NULL, f->p, "State", NULL, NULL, NULL, &id, &err),
                     LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_register_event_callback(NULL, f->p, "State", NULL, ev_cb, NULL, NULL, NULL),
                     LRC_EINVAL);
    /* an id never given out, on the default scheduler and on NULL */
    assert_int_equal(lrc_unregister_callback(NULL, 0), LRC_ENOTFOUND);
    assert_int_equal(lrc_unregister_callback(lrc_scheduler_default(), UINT64_MAX), LRC_ENOTFOUND);

    lrc_arg x = lrc_arg_string("x");
    assert_int_equal(lrc_invoke(NULL, "Echo", &x, cb, NULL, NULL, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_invoke: NULL proxy");
    assert_int_equal(lrc_invoke(f->p, "", &x, cb, NULL, NULL, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_invoke: no command name");

    /* lrc_invoke: options whose size says they were never initialised */
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.size = 0;
    lrc_arg a = lrc_arg_string("x");
    lrc_subscription *sub = (lrc_subscription *)&err;
    assert_int_equal(lrc_invoke(f->p, "Echo", &a, cb, NULL, &o, &sub, &err), LRC_EINVAL);
    assert_null(sub);
    expect_err(&err, LRC_EINVAL,
               "lrc_invoke: options not initialised (call lrc_invoke_options_init)");
}

/* lrc/device.h */
static void test_device_queries(void **state)
{
    fx *f = *state;
    lrc_error *err = NULL;
    lrc_protocol_info pi;
    lrc_protocol_info_init(&pi);
    assert_int_equal(lrc_proxy_protocol(NULL, &pi, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_proxy_protocol: NULL proxy");
    assert_int_equal(lrc_proxy_protocol(f->p, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_proxy_protocol: NULL output");
    lrc_protocol_info_init(NULL);

    lrc_command_list *l = (lrc_command_list *)&err;
    assert_int_equal(lrc_proxy_list_commands(NULL, &l, &err), LRC_EINVAL);
    assert_null(l);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_proxy_list_commands(f->p, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_command_list_count(NULL), 0);
    assert_null(lrc_command_list_at(NULL, 0));
    assert_null(lrc_command_list_find(NULL, "x"));
    assert_int_equal(lrc_command_list_malformed(NULL), 0);
    lrc_command_list_free(NULL);

    lrc_status s = LRC_STATUS_COMPLETED;
    assert_int_equal(lrc_proxy_command_status(NULL, "id", &s, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_proxy_command_status: NULL proxy");
    assert_int_equal(lrc_proxy_command_status(f->p, NULL, &s, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_proxy_command_status: NULL command ID");
    assert_int_equal(lrc_proxy_command_status(f->p, "id", NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_proxy_command_status: NULL output");

    char *reply = (char *)&err;
    assert_int_equal(lrc_proxy_command(NULL, "Echo", NULL, &reply, &err), LRC_EINVAL);
    assert_null(reply);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_proxy_command(f->p, NULL, NULL, &reply, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_proxy_command(f->p, "", NULL, &reply, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_proxy_command(f->p, "Echo", NULL, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, NULL);

    lrc_watch *w = (lrc_watch *)&err;
    assert_int_equal(lrc_watch_start(NULL, cb, NULL, NULL, &w, &err), LRC_EINVAL);
    assert_null(w);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_watch_start(f->p, NULL, NULL, NULL, &w, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_watch_start(f->p, cb, NULL, NULL, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, NULL);
    assert_int_equal(lrc_watch_protocol_version(NULL), 0);
    lrc_watch_free(NULL);
    lrc_watch_options_init(NULL);
}

/* lrc/scheduler.h: what test_scheduler does not call */
static void test_scheduler_functions(void **state)
{
    (void)state;
    lrc_scheduler_options_init(NULL);
    lrc_queue *q = NULL;
    assert_int_equal(lrc_queue_new(NULL, 0, &q, NULL), LRC_EINVAL);
    assert_null(q);
    lrc_scheduler *s = NULL;
    assert_int_equal(lrc_scheduler_new(NULL, &s, NULL), LRC_OK);
    assert_int_equal(lrc_queue_new(s, 0, NULL, NULL), LRC_EINVAL);
    assert_int_equal(lrc_queue_flush(NULL, 0), LRC_EINVAL);
    assert_int_equal(lrc_queue_new(s, 4, &q, NULL), LRC_OK);
    /* negative timeout: waits for ever, an empty queue returns at once */
    assert_int_equal(lrc_queue_flush(q, -1), LRC_OK);
    assert_null(lrc_queue_ref(NULL));
    lrc_queue_stats st;
    memset(&st, 0xff, sizeof st);
    lrc_queue_get_stats(NULL, &st);
    assert_int_equal(st.received + st.processed + st.dropped + st.discarded, 0);
    assert_int_equal(st.length + st.capacity, 0);
    lrc_queue_get_stats(q, NULL);
    lrc_scheduler_get_stats(NULL, &st);
    assert_int_equal(st.received, 0);
    lrc_scheduler_get_stats(s, NULL);
    assert_false(lrc_scheduler_on_worker(NULL));
    /* loop-mode functions: NULL, or a scheduler with workers */
    assert_int_equal(lrc_scheduler_fd(NULL), -1);
    assert_int_equal(lrc_scheduler_fd(s), -1);
    assert_int_equal(lrc_scheduler_dispatch(NULL, 0), LRC_EINVAL);
    assert_int_equal(lrc_scheduler_dispatch(s, 1), LRC_EINVAL);
    assert_int_equal(lrc_scheduler_wakeup(NULL), LRC_EINVAL);
    assert_int_equal(lrc_scheduler_wakeup(s), LRC_EINVAL);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
    /* the default one is never freed by lrc_scheduler_free */
    lrc_log_set_hook(hook, NULL, LRC_LOG_DEBUG);
    lrc_scheduler *def = lrc_scheduler_default();
    lrc_scheduler_free(def);
    lrc_log_set_hook(NULL, NULL, LRC_LOG_WARNING);
    assert_non_null(strstr(g_logged, "the default scheduler is stopped at exit, not by its "
                                     "users; call ignored"));
    assert_ptr_equal(lrc_scheduler_default(), def);
    lrc_queue *dq = NULL;
    assert_int_equal(lrc_queue_new(def, 0, &dq, NULL), LRC_OK); /* still alive */
    lrc_queue_unref(dq);
}

/* lrc/arg.h and lrc/error.h */
static void test_arg_and_error(void **state)
{
    (void)state;
    assert_null(lrc_arg_to_json(NULL));
    lrc_arg bad = lrc_arg_none();
    bad.kind = (lrc_arg_kind)99;
    char *j = lrc_arg_to_json(&bad);
    /* an unknown kind has no JSON form */
    assert_null(j);
    lrc_arg nul = lrc_arg_string(NULL);
    j = lrc_arg_to_json(&nul);
    assert_null(j);

    assert_int_equal(lrc_error_code(NULL), LRC_OK);
    assert_string_equal(lrc_error_message(NULL), "");
    assert_int_equal(lrc_error_count(NULL), 0);
    assert_null(lrc_error_at(NULL, 0));
    assert_null(lrc_error_dup(NULL));
    lrc_error_free(NULL);
    assert_string_equal(lrc_strerror(12345), "unknown error code");
    assert_string_equal(lrc_strerror(-12345), "unknown error code");
}

static int plain_fn(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user,
                    lrc_error **err)
{
    (void)dev, (void)in, (void)out, (void)user, (void)err;
    return LRC_OK;
}

/* lrc/server.h, without a server: NULL handles and bad definitions */
static void test_kit_functions(void **state)
{
    (void)state;
    lrc_error *err = NULL;
    lrc_command_def def = lrc_command_def_init("Echo", LRC_ARG_STRING, task, NULL);
    assert_int_equal(lrc_device_add_command(NULL, &def, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_device_add_command: name and task are required");
    lrc_device *fake_dev = (lrc_device *)&def; /* never dereferenced: refused first */
    assert_int_equal(lrc_device_add_command(fake_dev, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_device_add_command: name and task are required");
    lrc_command_def noname = lrc_command_def_init(NULL, LRC_ARG_NONE, task, NULL);
    assert_int_equal(lrc_device_add_command(fake_dev, &noname, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_device_add_command: name and task are required");
    lrc_command_def empty = lrc_command_def_init("", LRC_ARG_NONE, task, NULL);
    assert_int_equal(lrc_device_add_command(fake_dev, &empty, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_device_add_command: name and task are required");
    lrc_command_def notask = lrc_command_def_init("X", LRC_ARG_NONE, NULL, NULL);
    assert_int_equal(lrc_device_add_command(fake_dev, &notask, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_device_add_command: name and task are required");
    lrc_command_def unsized = def;
    unsized.size = 0;
    assert_int_equal(lrc_device_add_command(fake_dev, &unsized, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_device_add_command: use lrc_command_def_init()");

    /* task functions with no task */
    assert_int_equal(lrc_task_progress(NULL, 5), LRC_EINVAL);
    assert_int_equal(lrc_task_progress_ex(NULL, 5, "{\"t\": 1}"), LRC_EINVAL);
    assert_int_equal(lrc_task_progress_ex(NULL, 5, NULL), LRC_EINVAL);
    assert_false(lrc_task_abort_requested(NULL));
    assert_false(lrc_task_sleep(NULL, 10));
    assert_int_equal(lrc_task_set_result(NULL, "1"), LRC_EINVAL);
    assert_int_equal(lrc_task_set_result_code(NULL, LRC_RESULT_OK, "x"), LRC_EINVAL);
    assert_int_equal(lrc_task_fail(NULL, "x"), LRC_STATUS_FAILED);
    assert_null(lrc_task_command_id(NULL));
    assert_null(lrc_task_command_name(NULL));
    assert_null(lrc_task_device(NULL));

    /* devices with no device */
    assert_null(lrc_device_name(NULL));
    lrc_device_set_user(NULL, &err);
    assert_null(lrc_device_user(NULL));
    lrc_device_set_state(NULL, LRC_DEV_ON);
    assert_int_equal(lrc_device_get_state(NULL), LRC_DEV_UNKNOWN);
    char *v = (char *)&err;
    assert_int_equal(lrc_device_get_property(NULL, "P", &v, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_device_get_property: NULL argument");

    /* plain commands: refused before the device is looked at */
    lrc_plain_command_def pd = lrc_plain_command_def_init("P", LRC_ARG_NONE, LRC_ARG_LONG,
                                                          plain_fn, NULL);
    assert_int_equal(lrc_device_add_plain_command(NULL, &pd, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_device_add_plain_command: name and fn are required");
    assert_int_equal(lrc_device_add_plain_command(fake_dev, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_device_add_plain_command: name and fn are required");
    lrc_plain_command_def nofn = pd;
    nofn.fn = NULL;
    assert_int_equal(lrc_device_add_plain_command(fake_dev, &nofn, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_device_add_plain_command: name and fn are required");
    lrc_plain_command_def psized = pd;
    psized.size = 0;
    assert_int_equal(lrc_device_add_plain_command(fake_dev, &psized, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_device_add_plain_command: use lrc_plain_command_def_init()");
    lrc_plain_command_def badkind = pd;
    badkind.out_kind = (lrc_arg_kind)99;
    assert_int_equal(lrc_device_add_plain_command(fake_dev, &badkind, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "lrc_device_add_plain_command: P: unknown argument kind 0 -> 99");
    assert_int_equal(lrc_reply_set_bool(NULL, true), LRC_EINVAL);
    assert_int_equal(lrc_reply_set_long(NULL, 1), LRC_EINVAL);
    assert_int_equal(lrc_reply_set_string(NULL, "x"), LRC_EINVAL);
    assert_int_equal(lrc_reply_set_json(NULL, "1"), LRC_EINVAL);
    assert_int_equal(lrc_reply_set_long_array(NULL, NULL, 0), LRC_EINVAL);
    assert_int_equal(lrc_reply_set_double_array(NULL, NULL, 0), LRC_EINVAL);
    assert_int_equal(lrc_reply_set_string_array(NULL, NULL, 0), LRC_EINVAL);
    assert_int_equal(lrc_command_fail(NULL, "R", "x %d", 1), LRC_ETANGO);
    assert_int_equal(lrc_command_fail(&err, "PLAIN_R", "x %d", 1), LRC_ETANGO);
    assert_int_equal(lrc_error_count(err), 1);
    assert_string_equal(lrc_error_at(err, 0)->reason, "PLAIN_R");
    expect_err(&err, LRC_ETANGO, "x 1");
    lrc_device_set_status(NULL, "x");
    lrc_device_log(NULL, LRC_LOG_ERROR, "x %d", 1);

    /* submit-check helpers accept a NULL err */
    assert_int_equal(lrc_check_reject(NULL, "busy %d", 1), LRC_EREJECTED);
    assert_int_equal(lrc_check_invalid(NULL, "bad %d", 1), LRC_EINVAL);
    assert_int_equal(lrc_check_reject(&err, "busy %d", 1), LRC_EREJECTED);
    expect_err(&err, LRC_EREJECTED, "busy 1");

    /* lrc_server_main with a bad configuration or no instance: 1, no
     * Tango started */
    char *argv[] = {(char *)"srv", NULL};
    assert_int_equal(lrc_server_main(1, argv, NULL), 1);
    lrc_server_config cfg = lrc_server_config_init("C", NULL, NULL);
    assert_int_equal(lrc_server_main(1, argv, &cfg), 1);
    cfg = lrc_server_config_init(NULL, init_fn, NULL);
    assert_int_equal(lrc_server_main(1, argv, &cfg), 1);
    cfg = lrc_server_config_init("C", init_fn, NULL);
    assert_int_equal(lrc_server_main(1, argv, &cfg), 1);
    assert_int_equal(lrc_server_main(0, NULL, &cfg), 1);
}

/* Overlong names are passed on, never truncated or overflowed: the device
 * does not know a 10,000-character command. */
static void test_overlong_names(void **state)
{
    (void)state;
    fake_device *d = fake_new(DEVICE);
    lrc_proxy *p = NULL;
    assert_int_equal(lrc_proxy_open_with(fake_transport(d), DEVICE, NULL, &p, NULL), LRC_OK);
    size_t n = 10000;
    char *name = malloc(n + 1);
    assert_non_null(name);
    memset(name, 'C', n);
    name[n] = 0;
    lrc_error *err = NULL;
    lrc_subscription *sub = (lrc_subscription *)&err;
    int rc = lrc_invoke(p, name, NULL, cb, NULL, NULL, &sub, &err);
    assert_int_equal(rc, LRC_ETANGO);
    assert_null(sub);
    bool not_found = false;
    for (size_t i = 0; i < lrc_error_count(err); i++)
        if (strcmp(lrc_error_at(err, i)->reason, "API_CommandNotFound") == 0)
            not_found = true;
    assert_true(not_found);
    lrc_error_free(err);
    err = NULL;
    /* the same name as a device name is kept whole (a real database does not
     * know it: it_abuse test_bad_devices_and_text) */
    lrc_proxy *q = NULL;
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    assert_int_equal(lrc_proxy_open_with(fake_transport(d), name, &po, &q, NULL), LRC_OK);
    assert_string_equal(lrc_proxy_name(q), name);
    lrc_proxy_close(q);
    free(name);
    lrc_proxy_close(p);
    fake_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proxy_functions),
        cmocka_unit_test_setup_teardown(test_client_handles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_queries, setup, teardown),
        cmocka_unit_test(test_scheduler_functions),
        cmocka_unit_test(test_arg_and_error),
        cmocka_unit_test(test_kit_functions),
        cmocka_unit_test(test_overlong_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
