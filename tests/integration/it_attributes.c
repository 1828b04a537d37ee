/*
 * it_attributes.c - the kit's author attributes (lrc/server.h,
 * "Attributes") over the real Tango database, with the test device
 * lrc-attr-device (attr_device.c): two devices of class LrcAttrTest in one
 * server, ".../1" with every kind of attribute, ".../2" with only
 * temperature and only_two.
 *  - the shim's client read path (what lrc's tools use): values, types,
 *    writability, text as UTF-8;
 *  - per-device attribute sets in one class;
 *  - PyTango (py/attr_client.py): reads, writes, refused writes, the
 *    configuration, change/archive events from a task with thresholds,
 *    quality, timestamps;
 *  - Init gives the device fresh attributes (new handles, initial values).
 * argv[1]: the lrc-attr-device executable.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tango/tango_shim.h"
#include "tango_fixture.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *g_exe;

typedef struct fixture {
    lrct_server *srv;
    char *instance;
    char dev1[128], dev2[128];
    lrc_tg_proxy *p1, *p2;
} fixture;

static lrc_tg_proxy *open_proxy(const char *dev)
{
    lrc_tg_proxy *p = NULL;
    lrc_error *err = NULL;
    if (lrc_tg_proxy_open(dev, 5000, &p, &err) != LRC_OK)
        fail_msg("proxy %s: %s", dev, lrc_error_message(err));
    return p;
}

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->instance = lrct_unique_name("attr");
    snprintf(f->dev1, sizeof f->dev1, "test/%s/1", f->instance);
    snprintf(f->dev2, sizeof f->dev2, "test/%s/2", f->instance);
    const char *devs[] = {f->dev1, f->dev2, NULL};
    f->srv = lrct_server_start(g_exe, f->instance, "LrcAttrTest", devs, NULL);
    assert_non_null(f->srv);
    f->p1 = open_proxy(f->dev1);
    f->p2 = open_proxy(f->dev2);
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    lrc_tg_proxy_close(f->p1);
    lrc_tg_proxy_close(f->p2);
    int rc = lrct_server_stop(f->srv); /* fails on a crash or a sanitizer report */
    free(f->instance);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void read_ok(lrc_tg_proxy *p, const char *attr, lrc_tg_value *v)
{
    lrc_error *err = NULL;
    if (lrc_tg_read_attribute(p, attr, v, &err) != LRC_OK)
        fail_msg("read %s: %s", attr, lrc_error_message(err));
}

/* Whether a DevError of the stack says `text`. */
static bool stack_has(const lrc_error *err, const char *text)
{
    for (size_t i = 0; i < lrc_error_count(err); i++)
        if (strstr(lrc_error_at(err, i)->desc, text))
            return true;
    return false;
}

/* Through the shim's client: the initial values and the types. */
static void test_c_reads(void **state)
{
    fixture *f = *state;
    lrc_tg_value v;
    memset(&v, 0, sizeof v);

    read_ok(f->p1, "temperature", &v);
    assert_int_equal(v.type, LRC_TG_DOUBLE);
    assert_true(v.d == 0.0);
    lrc_tg_value_clear(&v);

    read_ok(f->p1, "count", &v);
    assert_int_equal(v.type, LRC_TG_LONG64);
    assert_int_equal(v.i, 0);
    lrc_tg_value_clear(&v);

    read_ok(f->p1, "flags", &v);
    assert_int_equal(v.type, LRC_TG_BOOLEAN_ARRAY);
    assert_int_equal(v.ni, 0);
    lrc_tg_value_clear(&v);

    read_ok(f->p1, "tags", &v); /* set by the init hook, in UTF-8 */
    assert_int_equal(v.type, LRC_TG_STRING_ARRAY);
    assert_int_equal(v.ns, 2);
    assert_string_equal(v.sv[0], "alpha");
    assert_string_equal(v.sv[1], "b\xc3\xa9ta");
    lrc_tg_value_clear(&v);

    read_ok(f->p1, "counts", &v); /* the read function's */
    assert_int_equal(v.type, LRC_TG_LONG64_ARRAY);
    assert_int_equal(v.ni, 4);
    assert_int_equal(v.iv[2], 3);
    lrc_tg_value_clear(&v);

    lrc_error *err = NULL;
    assert_int_equal(lrc_tg_read_attribute(f->p1, "broken", &v, &err), LRC_ETANGO);
    assert_true(stack_has(err, "the sensor is unplugged"));
    lrc_error_free(err);

    lrc_tg_attr_info info;
    assert_int_equal(lrc_tg_attribute_query(f->p1, "count", &info, NULL), LRC_OK);
    assert_true(info.writable);
    assert_int_equal(info.data_type, LRC_TG_LONG64);
    assert_int_equal(lrc_tg_attribute_query(f->p1, "temperature", &info, NULL), LRC_OK);
    assert_false(info.writable);
    assert_int_equal(lrc_tg_attribute_query(f->p1, "samples", &info, NULL), LRC_OK);
    assert_int_equal(info.format, 1);
    assert_int_equal(info.max_dim_x, 8);
}

static bool has_attr(lrc_tg_proxy *p, const char *name)
{
    char **names = NULL;
    size_t n = 0;
    assert_int_equal(lrc_tg_attribute_list(p, &names, &n, NULL), LRC_OK);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found = found || strcmp(names[i], name) == 0;
    lrc_tg_strv_free(names, n);
    return found;
}

/* Two devices of one class, each listing and serving exactly the attributes
 * its init hook added. (cppTango 9.3 gives a device created after another
 * every attribute the class has so far; the shim drops those the device did
 * not declare: .../2 must not list count.) */
static void test_per_device(void **state)
{
    fixture *f = *state;
    assert_true(has_attr(f->p2, "only_two"));
    assert_true(has_attr(f->p2, "temperature"));
    assert_false(has_attr(f->p1, "only_two")); /* created before .../2 added it */
    lrc_tg_value v;
    memset(&v, 0, sizeof v);
    read_ok(f->p2, "only_two", &v);
    assert_int_equal(v.type, LRC_TG_LONG64);
    lrc_tg_value_clear(&v);
    read_ok(f->p2, "temperature", &v);
    assert_int_equal(v.type, LRC_TG_DOUBLE);
    lrc_tg_value_clear(&v);
    assert_false(has_attr(f->p2, "count"));
    lrc_error *err = NULL;
    assert_int_equal(lrc_tg_read_attribute(f->p2, "count", &v, &err), LRC_ETANGO);
    lrc_error_free(err);
}

static void test_pytango(void **state)
{
    fixture *f = *state;
    const char *argv[] = {"/usr/bin/python3", LRC_IT_PY_DIR "/attr_client.py", f->dev1, NULL};
    assert_int_equal(lrct_run(argv, 120000, NULL), 0);
}

/* After Init the init hook has added the attributes again: fresh handles
 * with their initial values (the python test wrote count = 7). */
static void test_init_renews(void **state)
{
    fixture *f = *state;
    lrc_tg_value v;
    memset(&v, 0, sizeof v);
    read_ok(f->p1, "count", &v);
    assert_int_equal(v.i, 7);
    lrc_tg_value_clear(&v);
    lrc_error *err = NULL;
    if (lrc_tg_command_inout(f->p1, "Init", NULL, &v, &err) != LRC_OK)
        fail_msg("Init: %s", lrc_error_message(err));
    lrc_tg_value_clear(&v);
    read_ok(f->p1, "count", &v);
    assert_int_equal(v.i, 0);
    lrc_tg_value_clear(&v);
    read_ok(f->p1, "tags", &v);
    assert_int_equal(v.ns, 2);
    lrc_tg_value_clear(&v);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s LRC_ATTR_DEVICE\n", argv[0]);
        return 2;
    }
    g_exe = argv[1];
    if (lrct_db_up() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_reads),
        cmocka_unit_test(test_per_device),
        cmocka_unit_test(test_pytango),
        cmocka_unit_test(test_init_renews),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
