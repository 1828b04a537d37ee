/*
 * it_versions.c - the LrcProtocolVersions property of the demo device
 * (lrc-protocol.md 1.3, 1.6, 7; checks 43, 44): "1,2" (default), "1,1",
 * "2,2", "3,4" only change the value of lrcProtocolVersions; "none" is a
 * pre-1.2 device without lrcProtocolVersions, _lrcEvent, lrcQueue,
 * lrcExecuting, lrcFinished but with working v1 attributes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "it_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_v2_only[] = {"lrcProtocolVersions", "_lrcEvent", "lrcQueue",
                                        "lrcExecuting", "lrcFinished", NULL};

static bool has_name(char **names, size_t n, const char *want)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(names[k], want) == 0)
            return true;
    return false;
}

static void check_attr_list(it_dev *d, bool v2)
{
    char **names = NULL;
    size_t n = 0;
    lrc_error *err = NULL;
    assert_int_equal(lrc_tg_attribute_list(d->p, &names, &n, &err), LRC_OK);
    for (size_t k = 0; k_v1_attrs[k]; k++)
        if (!has_name(names, n, k_v1_attrs[k]))
            fail_msg("attribute %s missing (exact spelling, section 1.3)", k_v1_attrs[k]);
    for (size_t k = 0; k_v2_only[k]; k++) {
        bool has = has_name(names, n, k_v2_only[k]);
        if (has != v2)
            fail_msg("attribute %s %s", k_v2_only[k],
                     v2 ? "missing (section 1.3)" : "present on a pre-1.2 ('none') device");
    }
    if (v2 && !has_name(names, n, "commandedState"))
        fail_msg("attribute commandedState missing (section 1.3)");
    lrc_tg_strv_free(names, n);
}

static void check_versions_value(it_dev *d, int64_t lo, int64_t hi)
{
    lrc_tg_value v;
    memset(&v, 0, sizeof v);
    lrc_error *err = NULL;
    int rc = lrc_tg_read_attribute(d->p, "lrcProtocolVersions", &v, &err);
    if (rc != LRC_OK) {
        char *t = lrct_error_text(err);
        fail_msg("read lrcProtocolVersions: %s", t);
    }
    /* DevLong64 SPECTRUM (44) */
    if (v.type != LRC_TG_LONG64_ARRAY)
        fail_msg("lrcProtocolVersions type %s, expected DevLong64 spectrum (DevVarLong64Array)",
                 lrc_tg_type_name(v.type));
    assert_int_equal(v.ni, 2);
    assert_int_equal(v.iv[0], lo);
    assert_int_equal(v.iv[1], hi);
    lrc_tg_value_clear(&v);
}

static void dummy_cb(const lrc_tg_event *ev, void *user)
{
    (void)ev;
    (void)user;
}

/* 44: no change events on lrcProtocolVersions: subscribing fails */
static void check_versions_no_events(it_dev *d)
{
    int id = -1;
    lrc_error *err = NULL;
    int rc = lrc_tg_subscribe_change(d->p, "lrcProtocolVersions", dummy_cb, NULL, &id, &err);
    if (rc == LRC_OK) {
        lrc_tg_unsubscribe(d->p, id, NULL);
        fail_msg("subscribing to lrcProtocolVersions change events succeeded; the spec says it "
                 "fails (no events, section 1.3 / check 44)");
    }
    char *t = lrct_error_text(err);
    print_message("subscribe lrcProtocolVersions fails as expected: %s\n", t);
    free(t);
    lrc_error_free(err);
}

/* 43: reading _lrcEvent returns empty; other initial reads (1.3) */
static void check_initial_reads(it_dev *d, bool v2)
{
    lrc_error *err = NULL;
    const char *empty_lists[] = {"longRunningCommandStatus", "longRunningCommandProgress",
                                 "longRunningCommandsInQueue", "longRunningCommandIDsInQueue",
                                 "longRunningCommandInProgress", NULL};
    for (size_t k = 0; empty_lists[k]; k++) {
        json_t *j = lrct_read_strings(d->p, empty_lists[k], &err);
        if (!j || json_array_size(j) != 0)
            fail_msg("initial read of %s not empty", empty_lists[k]);
        json_decref(j);
    }
    json_t *r = lrct_read_strings(d->p, "longRunningCommandResult", &err);
    assert_non_null(r);
    json_t *want = json_pack("[s,s]", "", "");
    if (!json_equal(r, want)) {
        char *s = lrct_json_str(r);
        fail_msg("initial longRunningCommandResult %s, expected [\"\", \"\"]", s);
    }
    json_decref(want);
    json_decref(r);
    if (!v2)
        return;
    const char *v2_lists[] = {"_lrcEvent", "lrcQueue", "lrcExecuting", "lrcFinished", NULL};
    for (size_t k = 0; v2_lists[k]; k++) {
        json_t *j = lrct_read_strings(d->p, v2_lists[k], &err);
        if (!j || json_array_size(j) != 0)
            fail_msg("initial read of %s not empty", v2_lists[k]);
        json_decref(j);
    }
    lrc_tg_value v;
    memset(&v, 0, sizeof v);
    assert_int_equal(lrc_tg_read_attribute(d->p, "commandedState", &v, &err), LRC_OK);
    assert_int_equal(v.type, LRC_TG_STRING);
    assert_string_equal(v.s, "None");
    lrc_tg_value_clear(&v);
}

/* 43 again after activity: _lrcEvent still reads empty */
static void check_lrc_event_read_empty(it_dev *d)
{
    lrc_error *err = NULL;
    json_t *j = lrct_read_strings(d->p, "_lrcEvent", &err);
    assert_non_null(j);
    if (json_array_size(j) != 0) {
        char *s = lrct_json_str(j);
        fail_msg("reading _lrcEvent returned %s; it must ALWAYS read empty (1.3, check 43)", s);
    }
    json_decref(j);
}

static void echo_lifecycle(it_dev *d, const char *arg)
{
    size_t mark = lrct_recorder_count(d->rec);
    int64_t code = -1;
    char *id = NULL;
    assert_true(it_call_str(d, "Echo", arg, &code, &id));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, id, 10), TS_COMPLETED);
    json_t *res = json_pack("[i,s]", 0, arg);
    assert_true(it_expect_lifecycle(d, mark, id, "Echo", TS_COMPLETED, res, NULL));
    json_decref(res);
    free(id);
}

static void run_v2(void **state, const char *prop, int64_t lo, int64_t hi)
{
    it_dev *d = *state;
    char buf[64];
    const char *props[2] = {NULL, NULL};
    if (prop) {
        snprintf(buf, sizeof buf, "LrcProtocolVersions=%s", prop);
        props[0] = buf;
    }
    assert_true(it_dev_start(d, "ver", props));
    check_attr_list(d, true);
    check_versions_value(d, lo, hi);
    check_versions_no_events(d);
    check_initial_reads(d, true);
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
    echo_lifecycle(d, "v2");
    check_lrc_event_read_empty(d);
    assert_true(it_check_invariants(d));
}

static void check_signatures(it_dev *d)
{
    static const struct {
        const char *cmd;
        lrc_tg_type in, out;
    } sig[] = {
        {"Sleep", LRC_TG_DOUBLE, LRC_TG_LONG_STRING_ARRAY},
        {"Echo", LRC_TG_STRING, LRC_TG_LONG_STRING_ARRAY},
        {"Fail", LRC_TG_STRING, LRC_TG_LONG_STRING_ARRAY},
        {"On", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY},
        {"Off", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY},
        {"Standby", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY},
        {"Abort", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY},
        {"AbortCommands", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY},
        {"CheckLongRunningCommandStatus", LRC_TG_STRING, LRC_TG_STRING},
    };
    for (size_t k = 0; k < sizeof sig / sizeof sig[0]; k++) {
        lrc_tg_type in = LRC_TG_ENUM, out = LRC_TG_ENUM;
        lrc_error *err = NULL;
        int rc = lrc_tg_command_query(d->p, sig[k].cmd, &in, &out, &err);
        if (rc != LRC_OK)
            fail_msg("command %s missing", sig[k].cmd);
        if (in != sig[k].in || out != sig[k].out)
            fail_msg("command %s: %s -> %s, expected %s -> %s", sig[k].cmd, lrc_tg_type_name(in),
                     lrc_tg_type_name(out), lrc_tg_type_name(sig[k].in),
                     lrc_tg_type_name(sig[k].out));
    }
}

/* One attribute's type, format and max_dim_x (section 5.6 / 7 sizes). */
static void check_shape(it_dev *d, const char *attr, lrc_tg_type type, int format, long max_x)
{
    lrc_tg_attr_info info;
    lrc_error *err = NULL;
    if (lrc_tg_attribute_query(d->p, attr, &info, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fail_msg("attribute_query %s: %s", attr, t);
    }
    if (info.data_type != type || info.format != format || info.max_dim_x != max_x)
        fail_msg("%s: type %s format %d max_dim_x %ld; expected %s format %d max_dim_x %ld", attr,
                 lrc_tg_type_name(info.data_type), info.format, info.max_dim_x,
                 lrc_tg_type_name(type), format, max_x);
    assert_false(info.writable);
}

/* Sizes for max_queued q and max_executing x: status_queue_size
 * sq = max(2q + max(x, 2), 32); lrcQueue sq; lrcExecuting x + 1 (the Abort
 * slot, section 7); lrcFinished 100; status 2 sq; IDs/names sq; InProgress
 * x + 1 and progress 2 (x + 1) (room for Abort); result, _lrcEvent and
 * lrcProtocolVersions 2 (check 44). */
static void check_sizes(it_dev *d, long q, long x)
{
    long sq = 2 * q + (x < 2 ? 2 : x);
    if (sq < 32)
        sq = 32;
    const lrc_tg_type S = LRC_TG_STRING;
    check_shape(d, "lrcProtocolVersions", LRC_TG_LONG64, 1, 2);
    check_shape(d, "_lrcEvent", S, 1, 2);
    check_shape(d, "lrcQueue", S, 1, sq);
    check_shape(d, "lrcExecuting", S, 1, x + 1);
    check_shape(d, "lrcFinished", S, 1, 100);
    check_shape(d, "longRunningCommandStatus", S, 1, 2 * sq);
    check_shape(d, "longRunningCommandsInQueue", S, 1, sq);
    check_shape(d, "longRunningCommandIDsInQueue", S, 1, sq);
    check_shape(d, "longRunningCommandInProgress", S, 1, x + 1);
    check_shape(d, "longRunningCommandProgress", S, 1, 2 * (x + 1));
    check_shape(d, "longRunningCommandResult", S, 1, 2);
    check_shape(d, "commandedState", S, 0, 1);
}

static void test_default(void **state)
{
    run_v2(state, NULL, 1, 2);
    check_signatures(*state);
    check_sizes(*state, 32, 1); /* the DishManager example: 66, 2, 100, 132 */
}

static const char *const k_sized_props[] = {"MaxQueuedTasks=5", "MaxExecutingTasks=3", NULL};

static void test_sizes_follow_properties(void **state)
{
    it_dev *d = *state;
    assert_true(it_dev_start(d, "sizes", k_sized_props));
    check_sizes(d, 5, 3); /* sq = max(10 + 3, 32) = 32 */
}
static void test_1_2(void **state)
{
    run_v2(state, "1,2", 1, 2);
}
static void test_1_1(void **state)
{
    run_v2(state, "1,1", 1, 1);
}
static void test_2_2(void **state)
{
    run_v2(state, "2,2", 2, 2);
}
static void test_3_4(void **state)
{
    run_v2(state, "3,4", 3, 4);
}

static void test_none(void **state)
{
    it_dev *d = *state;
    const char *props[] = {"LrcProtocolVersions=none", NULL};
    assert_true(it_dev_start(d, "vernone", props));
    check_attr_list(d, false);
    lrc_tg_value v;
    memset(&v, 0, sizeof v);
    lrc_error *err = NULL;
    assert_int_not_equal(lrc_tg_read_attribute(d->p, "lrcProtocolVersions", &v, &err), LRC_OK);
    lrc_error_free(err);
    check_initial_reads(d, false);
    /* working v1 attributes: exact v1 sequences of Echo, Sleep, Fail */
    assert_true(it_dev_record(d, k_v1_attrs, false, false));
    echo_lifecycle(d, "v1 only");
    size_t mark = lrct_recorder_count(d->rec);
    int64_t code = -1;
    char *id = NULL;
    assert_true(it_call_double(d, "Sleep", 0.3, &code, &id));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, id, 10), TS_COMPLETED);
    long prog[64];
    size_t np = it_observed_progress(d, id, prog, 64);
    assert_int_equal(np, 10);
    for (size_t k = 0; k < np; k++)
        assert_int_equal(prog[k], (long)(k + 1) * 10);
    json_t *res = json_pack("[i,s]", 0, "Sleep done");
    assert_true(it_expect_lifecycle(d, mark, id, "Sleep", TS_COMPLETED, res, NULL));
    json_decref(res);
    free(id);
    mark = lrct_recorder_count(d->rec);
    assert_true(it_call_str(d, "Fail", "old", &code, &id));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, id, 10), TS_FAILED);
    res = json_pack("[i,s]", 3, "Unhandled exception during execution: old");
    assert_true(it_expect_lifecycle(d, mark, id, "Fail", TS_FAILED, res, NULL));
    json_decref(res);
    free(id);
    assert_true(it_check_invariants(d));
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_sizes_follow_properties, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_1_2, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_1_1, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_2_2, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_3_4, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_none, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
