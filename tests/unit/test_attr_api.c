/* test_attr_api.c - lrc/server.h "Attributes" without a server: the
 * definition's defaults, NULL handles and definitions refused before any
 * device is touched. (Attributes on real devices: integration.it_attributes.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lrc/server.h"

#include <math.h>
#include <string.h>

static void expect_err(lrc_error **err, int code, const char *text)
{
    assert_non_null(*err);
    assert_int_equal(lrc_error_code(*err), code);
    assert_non_null(strstr(lrc_error_message(*err), text));
    lrc_error_free(*err);
    *err = NULL;
}

static void test_def_init(void **state)
{
    (void)state;
    lrc_attribute_def d = lrc_attribute_def_init("x", LRC_ATYPE_DOUBLE);
    assert_int_equal(d.size, sizeof d);
    assert_string_equal(d.name, "x");
    assert_int_equal(d.type, LRC_ATYPE_DOUBLE);
    assert_int_equal(d.max_length, 0);
    assert_false(d.writable);
    assert_true(isnan(d.min_value) && isnan(d.max_value));
    assert_true(d.abs_change == 0 && d.rel_change == 0);
    assert_null(d.read);
    assert_null(d.write);
    assert_null(d.unit);
}

static int write_fn(lrc_attribute *a, const lrc_arg *v, void *user, lrc_error **err)
{
    (void)a;
    (void)v;
    (void)user;
    (void)err;
    return LRC_OK;
}

/* Invalid definitions are refused before the device is looked at. */
static void test_bad_defs(void **state)
{
    (void)state;
    lrc_error *err = NULL;
    lrc_attribute *out = (lrc_attribute *)&err;
    lrc_attribute_def d = lrc_attribute_def_init("x", LRC_ATYPE_DOUBLE);
    assert_int_equal(lrc_device_add_attribute(NULL, &d, &out, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "a name is required");
    assert_null(out);
    lrc_device *fake = (lrc_device *)&d; /* never dereferenced */
    assert_int_equal(lrc_device_add_attribute(fake, NULL, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "a name is required");
    lrc_attribute_def bad = d;
    bad.size = 0;
    assert_int_equal(lrc_device_add_attribute(fake, &bad, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "use lrc_attribute_def_init()");
    bad = lrc_attribute_def_init("x", (lrc_attr_type)99);
    assert_int_equal(lrc_device_add_attribute(fake, &bad, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "unsupported type");
    bad = lrc_attribute_def_init("x", LRC_ATYPE_ENUM);
    bad.max_length = 3;
    assert_int_equal(lrc_device_add_attribute(fake, &bad, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "as a spectrum");
    bad.max_length = 0;
    assert_int_equal(lrc_device_add_attribute(fake, &bad, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "an enum needs labels");
    bad = d;
    bad.write = write_fn;
    assert_int_equal(lrc_device_add_attribute(fake, &bad, NULL, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "needs writable");
    const char *reserved[] = {"state", "STATUS", "lrcProtocolVersions", "_lrcEvent",
                              "longRunningCommandResult", "lrcfinished"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        bad = lrc_attribute_def_init(reserved[i], LRC_ATYPE_LONG64);
        assert_int_equal(lrc_device_add_attribute(fake, &bad, NULL, &err), LRC_EINVAL);
        expect_err(&err, LRC_EINVAL, "every kit device has");
    }
}

static void test_null_handles(void **state)
{
    (void)state;
    double dv = 1;
    int64_t lv = 1;
    bool bv = true;
    const char *sv = "a";
    char *s = (char *)&dv;
    assert_int_equal(lrc_attribute_set_bool(NULL, true), LRC_EINVAL);
    assert_int_equal(lrc_attribute_set_long(NULL, 1), LRC_EINVAL);
    assert_int_equal(lrc_attribute_set_double(NULL, 1), LRC_EINVAL);
    assert_int_equal(lrc_attribute_set_string(NULL, "a"), LRC_EINVAL);
    assert_int_equal(lrc_attribute_set_bool_array(NULL, &bv, 1), LRC_EINVAL);
    assert_int_equal(lrc_attribute_set_long_array(NULL, &lv, 1), LRC_EINVAL);
    assert_int_equal(lrc_attribute_set_double_array(NULL, &dv, 1), LRC_EINVAL);
    assert_int_equal(lrc_attribute_set_string_array(NULL, &sv, 1), LRC_EINVAL);
    assert_int_equal(lrc_attribute_set_quality(NULL, LRC_QUALITY_ALARM), LRC_EINVAL);
    assert_int_equal(lrc_attribute_set_time(NULL, 1.5e9), LRC_EINVAL);
    lrc_error *err = NULL;
    assert_int_equal(lrc_attribute_push(NULL, true, true, &err), LRC_EINVAL);
    expect_err(&err, LRC_EINVAL, "NULL attribute");
    assert_int_equal(lrc_attribute_get_bool(NULL, &bv), LRC_EINVAL);
    assert_int_equal(lrc_attribute_get_long(NULL, &lv), LRC_EINVAL);
    assert_int_equal(lrc_attribute_get_double(NULL, &dv), LRC_EINVAL);
    assert_int_equal(lrc_attribute_get_string(NULL, &s), LRC_EINVAL);
    assert_null(lrc_attribute_name(NULL));
    assert_null(lrc_attribute_device(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_def_init),
        cmocka_unit_test(test_bad_defs),
        cmocka_unit_test(test_null_handles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
