/*
 * it_client_versions.c - lrc_invoke against demo devices advertising each
 * LrcProtocolVersions setting: v1 through the deprecated attributes ("1,1"
 * and a pre-1.2 device "none"), v2 for "2,2", and no common version for
 * "3,4". Conformance points 4, 5, 6, 19, 21, 24, 54 and the v1 repeat
 * suppression of section 7.
 */
#include "client_rec.h"
#include "it_common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef crec_fx fx;

static int setup_11(void **state) { return crec_fx_setup(state, "cver", "1,1", true); }
static int setup_none(void **state) { return crec_fx_setup(state, "cver", "none", true); }
static int setup_22(void **state) { return crec_fx_setup(state, "cver", "2,2", true); }
/* no common version: nothing to warm up */
static int setup_34(void **state) { return crec_fx_setup(state, "cver", "3,4", false); }

static char *run_to_end(fx *f, const char *cmd, const lrc_arg *arg, crec *r, int *version)
{
    lrc_error *err = NULL;
    lrc_subscription *sub = NULL;
    if (lrc_invoke(f->p, cmd, arg, crec_cb, r, NULL, &sub, &err) != LRC_OK)
        fail_msg("lrc_invoke %s: %s", cmd, lrc_error_message(err));
    assert_true(crec_wait_finals(r, 1, 20));
    *version = lrc_subscription_protocol_version(sub);
    for (size_t i = 0; i < r->n; i++)
        assert_string_equal(r->u[i].command_id, lrc_subscription_command_id(sub));
    lrc_subscription_free(sub);
    return crec_sequence(r);
}

static void expect(fx *f, const char *cmd, const lrc_arg *arg, int want_version,
                   const char *want)
{
    crec r;
    crec_init(&r);
    int version = 0;
    char *seq = run_to_end(f, cmd, arg, &r, &version);
    if (!crec_sequence_matches(seq, want))
        fail_msg("sequence \"%s\" is not (a suffix of) \"%s\"", seq, want);
    assert_int_equal(version, want_version);
    for (size_t i = 0; i < r.n; i++)
        assert_int_equal(r.u[i].protocol_version, want_version);
    free(seq);
    crec_clear(&r);
}

#define V1_SLEEP_TAIL                                                                         \
    "progress=10 | progress=20 | progress=30 | progress=40 | progress=50 | progress=60 | "    \
    "progress=70 | progress=80 | progress=90 | progress=100"

/* v1: one callback per attribute event; the result comes BEFORE the
 * terminal status (19); status names converted (21). */
static void v1_sequences(fx *f)
{
    lrc_arg e = lrc_arg_string("hello");
    expect(f, "Echo", &e, 1,
           "STAGING | QUEUED | IN_PROGRESS | result=[0, \"hello\"] | COMPLETED FINAL");
    lrc_arg s = lrc_arg_double(0.2);
    expect(f, "Sleep", &s, 1,
           "STAGING | QUEUED | IN_PROGRESS | " V1_SLEEP_TAIL
           " | result=[0, \"Sleep done\"] | COMPLETED FINAL");
    lrc_arg x = lrc_arg_string("boom");
    expect(f, "Fail", &x, 1,
           "STAGING | QUEUED | IN_PROGRESS | result=[3, \"Unhandled exception during execution: "
           "boom\"] | FAILED FINAL");
    /* 4: three v1 streams per invocation, released at the end */
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.subscribes, 9);
    assert_int_equal(st.unsubscribes, 9);
    assert_int_equal(st.streams, 0);
}

/* Section 7: the v1 status list is re-pushed whenever any command changes;
 * a command's unchanged status is delivered once. The Echo queued behind
 * the Sleep changes the list three times while the Sleep is IN_PROGRESS. */
static void v1_no_repeats(fx *f)
{
    crec rs, re;
    crec_init(&rs);
    crec_init(&re);
    lrc_error *err = NULL;
    lrc_subscription *ss = NULL, *se = NULL;
    lrc_arg s = lrc_arg_double(0.3), e = lrc_arg_string("later");
    assert_int_equal(lrc_invoke(f->p, "Sleep", &s, crec_cb, &rs, NULL, &ss, &err), LRC_OK);
    assert_true(crec_wait_count(&rs, 3, 10)); /* IN_PROGRESS seen */
    assert_int_equal(lrc_invoke(f->p, "Echo", &e, crec_cb, &re, NULL, &se, &err), LRC_OK);
    assert_true(crec_wait_finals(&rs, 1, 20));
    assert_true(crec_wait_finals(&re, 1, 20));
    char *q = crec_sequence(&rs);
    assert_true(crec_sequence_matches(q, "STAGING | QUEUED | IN_PROGRESS | " V1_SLEEP_TAIL
                                         " | result=[0, \"Sleep done\"] | COMPLETED FINAL"));
    free(q);
    q = crec_sequence(&re);
    assert_true(crec_sequence_matches(
        q, "STAGING | QUEUED | IN_PROGRESS | result=[0, \"later\"] | COMPLETED FINAL"));
    free(q);
    lrc_subscription_free(ss);
    lrc_subscription_free(se);
    crec_clear(&rs);
    crec_clear(&re);
}

/* v1 abort: result [7, ...] then ABORTED. */
static void v1_abort(fx *f)
{
    crec rs, ra;
    crec_init(&rs);
    crec_init(&ra);
    lrc_error *err = NULL;
    lrc_subscription *ss = NULL, *sa = NULL;
    lrc_arg s = lrc_arg_double(20);
    assert_int_equal(lrc_invoke(f->p, "Sleep", &s, crec_cb, &rs, NULL, &ss, &err), LRC_OK);
    assert_true(crec_wait_count(&rs, 3, 10));
    assert_int_equal(lrc_invoke(f->p, "Abort", NULL, crec_cb, &ra, NULL, &sa, &err), LRC_OK);
    assert_true(crec_wait_finals(&rs, 1, 20));
    assert_true(crec_wait_finals(&ra, 1, 20));
    char *q = crec_sequence(&ra);
    assert_true(crec_sequence_matches(q, "STAGING | IN_PROGRESS | result=[0, \"Abort completed "
                                         "OK\"] | COMPLETED FINAL"));
    free(q);
    assert_true(rs.n >= 2);
    char *a = crec_render(&rs.u[rs.n - 2]), *b = crec_render(&rs.u[rs.n - 1]);
    assert_string_equal(a, "result=[7, \"Command has been aborted\"]");
    assert_string_equal(b, "ABORTED FINAL");
    free(a);
    free(b);
    lrc_subscription_free(ss);
    lrc_subscription_free(sa);
    crec_clear(&rs);
    crec_clear(&ra);
}

/* 6: "1,1" -> protocol 1. */
static void test_v1_only(void **state)
{
    fx *f = *state;
    v1_sequences(f);
    v1_no_repeats(f);
    v1_abort(f);
}

/* 4: no lrcProtocolVersions at all (pre-1.2 device) -> protocol 1. */
static void test_pre_1_2_device(void **state)
{
    fx *f = *state;
    v1_sequences(f);
    v1_no_repeats(f);
    v1_abort(f);
}

/* 6: "2,2" -> protocol 2, one _lrcEvent stream. */
static void test_v2_only(void **state)
{
    fx *f = *state;
    lrc_arg e = lrc_arg_string("v2");
    expect(f, "Echo", &e, 2, "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"v2\"] FINAL");
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.subscribes, 1);
}

static void log_capture(void *user, int level, const char *msg)
{
    snprintf(user, 512, "%d %s", level, msg);
}

/* 6, 54: no common version: LRC_EPROTOCOL with both ranges, logged at
 * error level, nothing subscribed, also for lrc_connect_interface. */
static void test_no_common_version(void **state)
{
    fx *f = *state;
    static const char msg[] =
        "This version of invoke_lrc() is not compatible with any of the server's supported LRC "
        "protocols! Client version min, max = (1, 2) - Server version min, max = (3, 4)";
    crec r;
    crec_init(&r);
    char logged[512] = "";
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.logger = log_capture;
    o.logger_user = logged;
    lrc_error *err = NULL;
    lrc_arg e = lrc_arg_string("x");
    assert_int_equal(lrc_invoke(f->p, "Echo", &e, crec_cb, &r, &o, NULL, &err), LRC_EPROTOCOL);
    assert_string_equal(lrc_error_message(err), msg);
    lrc_error_free(err);
    char want[600];
    snprintf(want, sizeof want, "40 %s", msg);
    assert_string_equal(logged, want);
    assert_int_equal(lrc_connect_interface(f->p, NULL, &err), LRC_EPROTOCOL);
    assert_string_equal(lrc_error_message(err), msg);
    lrc_error_free(err);
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.subscribes, 0);
    assert_int_equal(r.n, 0);
    crec_clear(&r);
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v1_only, setup_11, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_pre_1_2_device, setup_none, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_v2_only, setup_22, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_no_common_version, setup_34, crec_fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
