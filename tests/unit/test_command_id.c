/* Unit tests: command IDs (conformance point 2) and the protocol enums
 * (point 1). */
#include "lrc/types.h"
#include "server/command_id.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_float_repr_is_shortest_round_trip(void **state)
{
    char buf[32];
    lrc_float_repr(1636437568.0723004, buf, sizeof buf);
    assert_string_equal(buf, "1636437568.0723004");
    lrc_float_repr(1636437568.0, buf, sizeof buf);
    assert_string_equal(buf, "1636437568.0");
    lrc_float_repr(1795594285.291185, buf, sizeof buf);
    assert_string_equal(buf, "1795594285.291185");
    lrc_float_repr(0.5, buf, sizeof buf);
    assert_string_equal(buf, "0.5");
    /* few significant digits: still fixed notation, as Python prints */
    lrc_float_repr(10.0, buf, sizeof buf);
    assert_string_equal(buf, "10.0");
    lrc_float_repr(1700000000.0, buf, sizeof buf);
    assert_string_equal(buf, "1700000000.0");
    lrc_float_repr(1700000000.5, buf, sizeof buf);
    assert_string_equal(buf, "1700000000.5");
    lrc_float_repr(0.1, buf, sizeof buf);
    assert_string_equal(buf, "0.1");
    lrc_float_repr(1795594285.2911851, buf, sizeof buf); /* values from Python's repr() */
    assert_string_equal(buf, "1795594285.2911851");
}

/* "<float>_<int>_<Name>", name recoverable as the last field. */
static void test_id_shape(void **state)
{
    char *id = lrc_command_id_new("Sleep", 1636437568.0723004);
    assert_non_null(id);
    char *first = strchr(id, '_');
    char *last = strrchr(id, '_');
    assert_non_null(first);
    assert_true(first != last);
    assert_string_equal(last + 1, "Sleep");
    assert_string_equal(lrc_command_id_name(id), "Sleep");
    assert_memory_equal(id, "1636437568.0723004_", 19);
    char *end;
    unsigned long long node = strtoull(first + 1, &end, 10);
    assert_ptr_equal(end, last);
    assert_true(node < (1ULL << 48));
    double t = strtod(id, &end);
    assert_ptr_equal(end, first);
    assert_true(t == 1636437568.0723004);
    free(id);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_ids_unique(void **state)
{
    enum { N = 100000 };
    char **ids = malloc(N * sizeof *ids);
    assert_non_null(ids);
    for (int i = 0; i < N; i++) {
        ids[i] = lrc_command_id_new("Echo", 1700000000.25); /* same time on purpose */
        assert_non_null(ids[i]);
    }
    qsort(ids, N, sizeof *ids, cmp_str);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    for (int i = 0; i < N; i++)
        free(ids[i]);
    free(ids);
}

static void test_enum_values(void **state)
{
    assert_int_equal(LRC_STATUS_STAGING, 0);
    assert_int_equal(LRC_STATUS_QUEUED, 1);
    assert_int_equal(LRC_STATUS_IN_PROGRESS, 2);
    assert_int_equal(LRC_STATUS_ABORTED, 3);
    assert_int_equal(LRC_STATUS_NOT_FOUND, 4);
    assert_int_equal(LRC_STATUS_COMPLETED, 5);
    assert_int_equal(LRC_STATUS_REJECTED, 6);
    assert_int_equal(LRC_STATUS_FAILED, 7);
    assert_int_equal(LRC_RESULT_OK, 0);
    assert_int_equal(LRC_RESULT_STARTED, 1);
    assert_int_equal(LRC_RESULT_QUEUED, 2);
    assert_int_equal(LRC_RESULT_FAILED, 3);
    assert_int_equal(LRC_RESULT_UNKNOWN, 4);
    assert_int_equal(LRC_RESULT_REJECTED, 5);
    assert_int_equal(LRC_RESULT_NOT_ALLOWED, 6);
    assert_int_equal(LRC_RESULT_ABORTED, 7);
    assert_string_equal(lrc_status_name(LRC_STATUS_IN_PROGRESS), "IN_PROGRESS");
    assert_null(lrc_status_name(8));
    assert_null(lrc_status_name(-1));
    lrc_status s;
    assert_true(lrc_status_from_name("NOT_FOUND", &s));
    assert_int_equal(s, LRC_STATUS_NOT_FOUND);
    assert_false(lrc_status_from_name("completed", &s));
    assert_false(lrc_status_from_name(NULL, &s));
    assert_true(lrc_status_is_terminal(LRC_STATUS_REJECTED));
    assert_false(lrc_status_is_terminal(LRC_STATUS_NOT_FOUND));
    assert_string_equal(lrc_result_code_name(LRC_RESULT_NOT_ALLOWED), "NOT_ALLOWED");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_repr_is_shortest_round_trip),
        cmocka_unit_test(test_id_shape),
        cmocka_unit_test(test_ids_unique),
        cmocka_unit_test(test_enum_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
