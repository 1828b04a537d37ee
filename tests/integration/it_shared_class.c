/*
 * it_shared_class.c - several demo devices of one class in one server
 * (issues 11 and 13). cppTango shares what a class declares among its
 * devices; each device must still get what it asked for:
 *  - list lengths: a device with a larger MaxQueuedTasks reads (and
 *    reports in its attribute configuration) lists longer than those of
 *    the class's first device; an Init after the property grew gives the
 *    device the new lengths;
 *  - commands: every device runs its own handlers, with its own IDs; a
 *    command only another device registered (EchoAlias) is
 *    API_CommandNotFound here; the same results while the admin device
 *    polls something of the device (cppTango's polling-buffer path).
 * One server, devices ".../<instance>-a" (MaxQueuedTasks=2: its lists hold
 * 32 entries, 64 for the status list) and ".../<instance>-b"
 * (MaxQueuedTasks=50: 102 and 204); -a sorts first, so cppTango creates it
 * first, whose lengths it used to give every device.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "it_multi.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CODE_QUEUED 2
#define CODE_STARTED 1
#define SMALL_QUEUE_LEN 32 /* lists of -a: max(2 * 2 + 2, 32) */
#define BIG_QUEUE_LEN 102  /* lists of -b: 2 * 50 + 2 */
#define N_QUEUED 40        /* > SMALL_QUEUE_LEN, <= 50 */

typedef struct shared {
    it_multi *m;
    /* borrowed from m */
    char *instance;
    char *dev_a, *dev_b;
    lrc_tg_proxy *a, *b;
} shared;

static int group_setup(void **state)
{
    const char *const suffixes[] = {"a", "b", NULL};
    const char *const props[] = {"a:MaxQueuedTasks=2", "a:EchoAlias=Shout",
                                 "b:MaxQueuedTasks=50", "b:RemovalTime=600", NULL};
    shared *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->m = it_multi_start("shared", suffixes, props);
    s->instance = s->m->instance;
    s->dev_a = s->m->dev[0];
    s->dev_b = s->m->dev[1];
    s->a = s->m->p[0];
    s->b = s->m->p[1];
    *state = s;
    return 0;
}

static int group_teardown(void **state)
{
    shared *s = *state;
    int rc = it_multi_stop(s->m);
    free(s);
    return rc;
}

static long max_dim_x(lrc_tg_proxy *p, const char *attr)
{
    lrc_tg_attr_info info;
    lrc_error *err = NULL;
    if (lrc_tg_attribute_query(p, attr, &info, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fail_msg("attribute config %s/%s: %s", lrc_tg_proxy_name(p), attr, t);
    }
    return info.max_dim_x;
}

/* Calls cmd; returns the result code, the text in *text (malloc'd) if
 * wanted. Fails the test on any error. */
static int64_t call(lrc_tg_proxy *p, const char *cmd, const lrc_tg_value *in, char **text)
{
    lrc_tg_value out = {0};
    lrc_error *err = NULL;
    if (lrc_tg_command_inout(p, cmd, in, &out, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fail_msg("%s on %s: %s", cmd, lrc_tg_proxy_name(p), t);
    }
    assert_int_equal(out.type, LRC_TG_LONG_STRING_ARRAY);
    assert_int_equal(out.ni, 1);
    assert_int_equal(out.ns, 1);
    int64_t code = out.iv[0];
    if (text)
        *text = strdup(out.sv[0]);
    lrc_tg_value_clear(&out);
    return code;
}

/* Reads a string list; fails the test on an error (such as cppTango's
 * "Data size ... exceeds given limit"). Returns its length. */
static size_t list_len(lrc_tg_proxy *p, const char *attr)
{
    lrc_tg_value v = {0};
    lrc_error *err = NULL;
    if (lrc_tg_read_attribute(p, attr, &v, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fail_msg("read %s/%s: %s", lrc_tg_proxy_name(p), attr, t);
    }
    assert_int_equal(v.type, LRC_TG_STRING_ARRAY);
    size_t n = v.ns;
    lrc_tg_value_clear(&v);
    return n;
}

/* One running and N_QUEUED queued Sleeps on `big`, its lists read beyond
 * the lengths of `small`, then Abort (the server then stops at once). */
static void fill_read_abort(lrc_tg_proxy *big, lrc_tg_proxy *small)
{
    lrc_tg_value sleep = {.type = LRC_TG_DOUBLE, .d = 600.0};
    for (int k = 0; k <= N_QUEUED; k++)
        assert_int_equal(call(big, "Sleep", &sleep, NULL), CODE_QUEUED);
    size_t q = list_len(big, "lrcQueue");
    print_message("%s: lrcQueue %zu, longRunningCommandsInQueue %zu, "
                  "longRunningCommandStatus %zu entries\n",
                  lrc_tg_proxy_name(big), q, list_len(big, "longRunningCommandsInQueue"),
                  list_len(big, "longRunningCommandStatus"));
    /* the first Sleep may still be queued for a moment */
    assert_true(q >= N_QUEUED && q <= N_QUEUED + 1);
    assert_true(list_len(big, "longRunningCommandsInQueue") > SMALL_QUEUE_LEN);
    assert_true(list_len(big, "longRunningCommandIDsInQueue") > SMALL_QUEUE_LEN);
    assert_true(list_len(big, "longRunningCommandStatus") > 2 * SMALL_QUEUE_LEN);
    /* the other device is unaffected */
    assert_int_equal(list_len(small, "lrcQueue"), 0);
    char *abort_id = NULL;
    assert_int_equal(call(big, "Abort", NULL, &abort_id), CODE_STARTED);
    /* the queue empties before the Abort completes */
    lrc_tg_value idv = {.type = LRC_TG_STRING, .s = abort_id};
    bool done = false;
    for (int i = 0; i < 600 && !done; i++) {
        lrc_tg_value st = {0};
        lrc_error *err = NULL;
        assert_int_equal(
            lrc_tg_command_inout(big, "CheckLongRunningCommandStatus", &idv, &st, &err), LRC_OK);
        done = strcmp(st.s, "COMPLETED") == 0;
        lrc_tg_value_clear(&st);
        if (!done)
            nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
    }
    assert_true(done);
    free(abort_id);
    assert_int_equal(list_len(big, "lrcQueue"), 0);
}

static void test_list_lengths_per_device(void **state)
{
    shared *s = *state;
    assert_int_equal(max_dim_x(s->a, "lrcQueue"), SMALL_QUEUE_LEN);
    assert_int_equal(max_dim_x(s->a, "longRunningCommandStatus"), 2 * SMALL_QUEUE_LEN);
    assert_int_equal(max_dim_x(s->b, "lrcQueue"), BIG_QUEUE_LEN);
    assert_int_equal(max_dim_x(s->b, "longRunningCommandsInQueue"), BIG_QUEUE_LEN);
    assert_int_equal(max_dim_x(s->b, "longRunningCommandStatus"), 2 * BIG_QUEUE_LEN);
    fill_read_abort(s->b, s->a);
}

static void init(lrc_tg_proxy *p)
{
    lrc_tg_value out = {0};
    lrc_error *err = NULL;
    if (lrc_tg_command_inout(p, "Init", NULL, &out, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fail_msg("Init of %s: %s", lrc_tg_proxy_name(p), t);
    }
}

/* An Init declares the attributes again with the device's current
 * lengths: -a, given MaxQueuedTasks=50, then holds as much as -b (cppTango
 * keeps the Attribute objects a device already has across an Init). */
static void test_list_lengths_after_init(void **state)
{
    shared *s = *state;
    const char *del[] = {"tango_admin", "--delete-property", s->dev_a, "MaxQueuedTasks", NULL};
    const char *add[] = {"tango_admin", "--add-property", s->dev_a, "MaxQueuedTasks", "50", NULL};
    lrct_run(del, 10000, NULL);
    assert_int_equal(lrct_run(add, 10000, NULL), 0);
    init(s->a);
    init(s->b);
    assert_int_equal(max_dim_x(s->a, "lrcQueue"), BIG_QUEUE_LEN);
    assert_int_equal(max_dim_x(s->a, "longRunningCommandStatus"), 2 * BIG_QUEUE_LEN);
    assert_int_equal(max_dim_x(s->b, "lrcQueue"), BIG_QUEUE_LEN);
    fill_read_abort(s->a, s->b);
    fill_read_abort(s->b, s->a);
}

static void test_commands_per_device(void **state)
{
    shared *s = *state;
    lrc_tg_value hello = {.type = LRC_TG_STRING, .s = "hello"};
    /* the same command on both devices, each answered by its own device */
    for (int k = 0; k < 2; k++) {
        lrc_tg_proxy *p = k ? s->b : s->a;
        lrc_tg_type in = LRC_TG_VOID, out = LRC_TG_VOID;
        lrc_error *err = NULL;
        assert_int_equal(lrc_tg_command_query(p, "Echo", &in, &out, &err), LRC_OK);
        assert_int_equal(in, LRC_TG_STRING);
        assert_int_equal(out, LRC_TG_LONG_STRING_ARRAY);
        char *id = NULL;
        int64_t code = call(p, "Echo", &hello, &id);
        assert_true(code == CODE_QUEUED || code == CODE_STARTED);
        lrc_tg_value idv = {.type = LRC_TG_STRING, .s = id};
        lrc_tg_value st = {0};
        assert_int_equal(lrc_tg_command_inout(p, "CheckLongRunningCommandStatus", &idv, &st, &err),
                         LRC_OK);
        /* known to this device: not the tracker's "NOT_FOUND" */
        assert_string_not_equal(st.s, "NOT_FOUND");
        lrc_tg_value_clear(&st);
        /* an id of this device is unknown to the other one */
        lrc_tg_proxy *other = k ? s->a : s->b;
        assert_int_equal(
            lrc_tg_command_inout(other, "CheckLongRunningCommandStatus", &idv, &st, &err),
            LRC_OK);
        assert_string_equal(st.s, "NOT_FOUND");
        lrc_tg_value_clear(&st);
        free(id);
    }
    /* -a's alias works there; -b never registered it */
    int64_t code = call(s->a, "Shout", &hello, NULL);
    assert_true(code == CODE_QUEUED || code == CODE_STARTED);
    lrc_tg_value out = {0};
    lrc_error *err = NULL;
    assert_int_not_equal(lrc_tg_command_inout(s->b, "Shout", &hello, &out, &err), LRC_OK);
    assert_true(lrct_error_has_reason(err, "API_CommandNotFound"));
    lrc_error_free(err);
}

/* Polling in the admin device's hands: while something of -a is polled,
 * a command call from a default (CACHE_DEV) client takes cppTango's own
 * path, which looks in the polling buffer first; results are the same as
 * on the direct path the shim takes otherwise. */
static void admin_polling(shared *s, const char *cmd, bool with_period)
{
    size_t l = strlen(s->instance) + 64;
    char *admin = malloc(l);
    assert_non_null(admin);
    snprintf(admin, l, "dserver/lrc-demo-device/%s", s->instance);
    lrc_tg_proxy *p = it_open_proxy(admin);
    char *sv[] = {s->dev_a, "attribute", "lrcqueue"};
    int64_t period = 200;
    lrc_tg_value in = {.type = LRC_TG_STRING_ARRAY, .sv = sv, .ns = 3};
    if (with_period)
        in = (lrc_tg_value){
            .type = LRC_TG_LONG_STRING_ARRAY, .iv = &period, .ni = 1, .sv = sv, .ns = 3};
    lrc_tg_value out = {0};
    lrc_error *err = NULL;
    if (lrc_tg_command_inout(p, cmd, &in, &out, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fail_msg("%s on %s: %s", cmd, admin, t);
    }
    lrc_tg_value_clear(&out);
    /* the admin device's view: polled after Add, not after Rem */
    lrc_tg_value name = {.type = LRC_TG_STRING, .s = s->dev_a};
    if (lrc_tg_command_inout(p, "DevPollStatus", &name, &out, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fail_msg("DevPollStatus on %s: %s", admin, t);
    }
    assert_int_equal(out.type, LRC_TG_STRING_ARRAY);
    assert_int_equal(out.ns, with_period ? 1 : 0);
    lrc_tg_value_clear(&out);
    lrc_tg_proxy_close(p);
    free(admin);
}

static void test_commands_while_polled(void **state)
{
    shared *s = *state;
    admin_polling(s, "AddObjPolling", true);
    lrc_tg_value hello = {.type = LRC_TG_STRING, .s = "polled"};
    for (int k = 0; k < 3; k++) {
        char *id = NULL;
        int64_t code = call(s->a, "Echo", &hello, &id);
        assert_true(code == CODE_QUEUED || code == CODE_STARTED);
        lrc_tg_value idv = {.type = LRC_TG_STRING, .s = id};
        lrc_tg_value st = {0};
        lrc_error *err = NULL;
        assert_int_equal(
            lrc_tg_command_inout(s->a, "CheckLongRunningCommandStatus", &idv, &st, &err), LRC_OK);
        assert_string_not_equal(st.s, "NOT_FOUND");
        lrc_tg_value_clear(&st);
        free(id);
    }
    /* a command without input is looked up in the polling buffer too */
    assert_int_equal(call(s->a, "AbortCommands", NULL, NULL), CODE_STARTED);
    admin_polling(s, "RemObjPolling", false);
    assert_int_equal(call(s->a, "AbortCommands", NULL, NULL), CODE_STARTED);
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands_per_device), /* before any Abort drains -b */
        cmocka_unit_test(test_commands_while_polled),
        cmocka_unit_test(test_list_lengths_per_device),
        cmocka_unit_test(test_list_lengths_after_init),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
