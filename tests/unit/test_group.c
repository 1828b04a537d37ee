/*
 * test_group.c - the pure parts of lrc/group.h, no Tango: how a final
 * update counts in the summary, argument copies, the parallel for, and
 * the calls a group refuses before or after lrc_group_invoke.
 */
#include "core/group_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static lrc_update final_status(lrc_status st)
{
    lrc_update u;
    memset(&u, 0, sizeof u);
    u.size = sizeof u;
    u.has = LRC_HAS_STATUS;
    u.status = st;
    u.final = true;
    return u;
}

static void test_outcome_of(void **state)
{
    (void)state;
    lrc_update u = final_status(LRC_STATUS_COMPLETED);
    assert_int_equal(lrc_group_outcome_of(&u), LRC_GROUP_COMPLETED);
    u = final_status(LRC_STATUS_FAILED);
    assert_int_equal(lrc_group_outcome_of(&u), LRC_GROUP_FAILED);
    u = final_status(LRC_STATUS_REJECTED);
    assert_int_equal(lrc_group_outcome_of(&u), LRC_GROUP_REJECTED);
    u = final_status(LRC_STATUS_ABORTED);
    assert_int_equal(lrc_group_outcome_of(&u), LRC_GROUP_ABORTED);
    u = final_status(LRC_STATUS_IN_PROGRESS);
    u.final = false;
    assert_int_equal(lrc_group_outcome_of(&u), LRC_GROUP_RUNNING);
    /* the library's ends: the status bit is clear, last_status may be set */
    u = final_status(LRC_STATUS_IN_PROGRESS);
    u.has = LRC_HAS_END | LRC_HAS_LAST_STATUS | LRC_HAS_ERROR;
    u.end = LRC_END_TIMED_OUT;
    assert_int_equal(lrc_group_outcome_of(&u), LRC_GROUP_TIMED_OUT);
    u.end = LRC_END_LOST;
    assert_int_equal(lrc_group_outcome_of(&u), LRC_GROUP_LOST);
    /* a final with both a status and an end is the end's */
    u = final_status(LRC_STATUS_COMPLETED);
    u.has |= LRC_HAS_END;
    u.end = LRC_END_TIMED_OUT;
    assert_int_equal(lrc_group_outcome_of(&u), LRC_GROUP_TIMED_OUT);
}

static void test_summary_count(void **state)
{
    (void)state;
    lrc_group_summary s;
    memset(&s, 0, sizeof s);
    for (int o = LRC_GROUP_IDLE; o <= LRC_GROUP_NOT_STARTED; o++)
        for (int k = 0; k <= o; k++)
            lrc_group_summary_count(&s, (lrc_group_outcome)o);
    assert_int_equal(s.idle, 1);
    assert_int_equal(s.running, 2);
    assert_int_equal(s.completed, 3);
    assert_int_equal(s.failed, 4);
    assert_int_equal(s.rejected, 5);
    assert_int_equal(s.aborted, 6);
    assert_int_equal(s.lost, 7);
    assert_int_equal(s.timed_out, 8);
    assert_int_equal(s.not_started, 9);
    assert_int_equal(s.total, 45);
    assert_string_equal(lrc_group_outcome_name(LRC_GROUP_NOT_STARTED), "NOT_STARTED");
    assert_string_equal(lrc_group_outcome_name(LRC_GROUP_IDLE), "IDLE");
    assert_null(lrc_group_outcome_name(-1));
    assert_null(lrc_group_outcome_name(LRC_GROUP_NOT_STARTED + 1));
}

static void test_arg_copy(void **state)
{
    (void)state;
    lrc_arg out;
    void *mem = (void *)1;
    assert_int_equal(lrc_group_arg_copy(NULL, &out, &mem), LRC_OK);
    assert_int_equal(out.kind, LRC_ARG_NONE);
    assert_null(mem);

    char text[] = "scan 1";
    lrc_arg s = lrc_arg_string(text);
    assert_int_equal(lrc_group_arg_copy(&s, &out, &mem), LRC_OK);
    text[0] = 'X';
    assert_string_equal(out.u.s, "scan 1");
    free(mem);

    const char *strs[] = {"a", "", "ccc"};
    lrc_arg sa = lrc_arg_string_array(strs, 3);
    assert_int_equal(lrc_group_arg_copy(&sa, &out, &mem), LRC_OK);
    assert_ptr_not_equal(out.u.sa.v, strs);
    assert_int_equal(out.u.sa.n, 3);
    assert_string_equal(out.u.sa.v[0], "a");
    assert_string_equal(out.u.sa.v[1], "");
    assert_string_equal(out.u.sa.v[2], "ccc");
    free(mem);

    int64_t l[] = {1, -2, 3};
    lrc_arg la = lrc_arg_long_array(l, 3);
    assert_int_equal(lrc_group_arg_copy(&la, &out, &mem), LRC_OK);
    l[1] = 99;
    assert_int_equal(out.u.la.v[1], -2);
    free(mem);

    double d[] = {0.5};
    lrc_arg da = lrc_arg_double_array(d, 1);
    assert_int_equal(lrc_group_arg_copy(&da, &out, &mem), LRC_OK);
    d[0] = 7;
    assert_true(out.u.da.v[0] == 0.5);
    free(mem);

    lrc_arg dbl = lrc_arg_double(2.5);
    assert_int_equal(lrc_group_arg_copy(&dbl, &out, &mem), LRC_OK);
    assert_null(mem);
    assert_true(out.u.d == 2.5);

    lrc_arg bad = lrc_arg_string(NULL);
    assert_int_equal(lrc_group_arg_copy(&bad, &out, &mem), LRC_EINVAL);
    assert_null(mem);
}

static atomic_int hits[1000];

static void count_hit(void *ctx, size_t i)
{
    (void)ctx;
    atomic_fetch_add(&hits[i], 1);
}

static void test_parallel(void **state)
{
    (void)state;
    for (size_t n = 0; n < 1000; n += 333) {
        for (size_t i = 0; i < 1000; i++)
            atomic_store(&hits[i], 0);
        lrc_group_parallel(n, LRC_GROUP_ISSUE_THREADS, count_hit, NULL);
        for (size_t i = 0; i < 1000; i++)
            assert_int_equal(atomic_load(&hits[i]), i < n ? 1 : 0);
    }
    lrc_group_parallel(1, 1, count_hit, NULL); /* on the caller's thread */
    assert_int_equal(atomic_load(&hits[0]), 2);
}

/* What a group refuses without any device: nothing is issued. */
static void test_refusals(void **state)
{
    (void)state;
    lrc_error *err = NULL;
    assert_int_equal(lrc_group_new(NULL, &err), LRC_EINVAL);
    lrc_error_free(err);
    err = NULL;
    lrc_group *g = NULL;
    assert_int_equal(lrc_group_new(&g, &err), LRC_OK);
    assert_int_equal(lrc_group_size(g), 0);
    assert_int_equal(lrc_group_invoke(g, NULL, NULL, NULL, NULL, &err), LRC_EINVAL);
    lrc_error_free(err);
    err = NULL;
    lrc_invoke_options zero;
    memset(&zero, 0, sizeof zero);
    assert_int_equal(lrc_group_invoke(g, &zero, NULL, NULL, NULL, &err), LRC_EINVAL);
    assert_non_null(strstr(lrc_error_message(err), "not initialised"));
    lrc_error_free(err);
    err = NULL;
    assert_int_equal(lrc_group_add(g, NULL, "Echo", NULL, NULL, &err), LRC_EINVAL);
    lrc_error_free(err);
    err = NULL;
    assert_int_equal(lrc_group_wait(g, 0, &err), LRC_ESTATE);
    lrc_error_free(err);
    err = NULL;
    assert_int_equal(lrc_group_abort(g, &err), LRC_OK); /* nothing runs */
    lrc_group_summary s;
    lrc_group_summary_get(g, &s);
    assert_int_equal(s.total, 0);
    assert_int_equal(s.size, sizeof s);
    assert_null(lrc_group_member_proxy(g, 0));
    assert_null(lrc_group_member_command(g, 0));
    assert_null(lrc_group_member_error(g, 0));
    assert_int_equal(lrc_group_member_outcome(g, 0), LRC_GROUP_IDLE);
    lrc_group_free(g);
    lrc_group_free(NULL);
    assert_int_equal(lrc_group_invoke(NULL, NULL, NULL, NULL, NULL, NULL), LRC_EINVAL);
    assert_int_equal(lrc_group_abort(NULL, NULL), LRC_EINVAL);
    assert_int_equal(lrc_group_wait(NULL, 0, NULL), LRC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcome_of),  cmocka_unit_test(test_summary_count),
        cmocka_unit_test(test_arg_copy),    cmocka_unit_test(test_parallel),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
