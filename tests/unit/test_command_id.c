/* Unit tests: command IDs (conformance point 2) and the protocol enums
 * (point 1). */
#include "lrc/types.h"
#include "server/command_id.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
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

/* The significant digits of a repr: no sign, point, exponent, leading or
 * trailing zeros. */
static void repr_digits(const char *r, char *out)
{
    size_t n = 0;
    for (const char *p = r; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && (n > 0 || *p != '0'))
            out[n++] = *p;
    while (n > 0 && out[n - 1] == '0')
        n--;
    out[n] = '\0';
}

/* The same digits by the plain search: correctly rounded candidates of
 * growing length until one reads back. */
static void reference_digits(double x, char *out)
{
    char e[40];
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, fabs(x));
        if (strtod(e, NULL) == fabs(x))
            break;
    }
    repr_digits(e, out);
}

/* The shortest digits are found by a binary search over the length: the
 * same digits as the plain search, and they read back, for timestamps
 * (what IDs carry) and for random doubles of every magnitude. */
static void test_float_repr_matches_plain_search(void **state)
{
    (void)state;
    uint64_t z = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 20000; i++) {
        z = z * 6364136223846793005ULL + 1442695040888963407ULL;
        double x;
        if (i % 2) { /* unix times, half of them in whole microseconds as clocks give */
            x = 1.7e9 + (double)(z >> 11) / (double)(1ULL << 53) * 1e8;
            if (i % 4 == 1)
                x = round(x * 1e6) / 1e6;
        } else {
            uint64_t bits = z & 0x7FEFFFFFFFFFFFFFULL; /* finite, positive */
            memcpy(&x, &bits, sizeof x);
        }
        char buf[40], got[24], want[24];
        lrc_float_repr(x, buf, sizeof buf);
        assert_true(strtod(buf, NULL) == x);
        repr_digits(buf, got);
        reference_digits(x, want);
        if (strcmp(got, want) != 0)
            fail_msg("%.17g: %s has digits %s, the plain search %s", x, buf, got, want);
    }
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
        cmocka_unit_test(test_float_repr_matches_plain_search),
        cmocka_unit_test(test_id_shape),
        cmocka_unit_test(test_ids_unique),
        cmocka_unit_test(test_enum_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
