/* Unit tests: text at the Tango boundary (Latin-1 on the wire, UTF-8 in the
 * API: core/wire_text.c) and non-ASCII text in the JSON the kit writes
 * (core/json_text.c, which must match Python's json.dumps). */
#include "core/json_text.h"
#include "core/wire_text.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* "é °C µs" in both encodings. */
#define UTF8_TEXT "\xc3\xa9 \xc2\xb0" "C \xc2\xb5s"
#define LATIN1_TEXT "\xe9 \xb0" "C \xb5s"

static void test_latin1_to_utf8(void **state)
{
    (void)state;
    char *u = lrc_latin1_to_utf8(LATIN1_TEXT);
    assert_string_equal(u, UTF8_TEXT);
    free(u);
    u = lrc_latin1_to_utf8("plain ASCII");
    assert_string_equal(u, "plain ASCII");
    free(u);
    u = lrc_latin1_to_utf8("\xff\x80"); /* every byte is a character */
    assert_string_equal(u, "\xc3\xbf\xc2\x80");
    free(u);
    u = lrc_latin1_to_utf8(NULL);
    assert_string_equal(u, "");
    free(u);
    /* Bytes that happen to be UTF-8 are still Latin-1: "Ã©" stays two
     * characters (the old "looks like UTF-8" guess turned it into "é"). */
    u = lrc_latin1_to_utf8("\xc3\xa9");
    assert_string_equal(u, "\xc3\x83\xc2\xa9");
    free(u);
}

static void test_utf8_to_latin1(void **state)
{
    (void)state;
    char *l = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_utf8_to_latin1(UTF8_TEXT, "argument", &l, &err), LRC_OK);
    assert_string_equal(l, LATIN1_TEXT);
    free(l);
    assert_int_equal(lrc_utf8_to_latin1("\xc3\xbf", "x", &l, &err), LRC_OK); /* U+00FF */
    assert_string_equal(l, "\xff");
    free(l);
    assert_int_equal(lrc_utf8_to_latin1(NULL, "x", &l, &err), LRC_OK);
    assert_string_equal(l, "");
    free(l);
    assert_null(err);
}

static void test_utf8_to_latin1_refuses(void **state)
{
    (void)state;
    char *l = (char *)"untouched";
    lrc_error *err = NULL;
    /* U+2192 (right arrow) is beyond Latin-1. */
    assert_int_equal(lrc_utf8_to_latin1("a \xe2\x86\x92 b", "argument of command 'Echo'", &l, &err),
                     LRC_EINVAL);
    assert_null(l);
    assert_int_equal(lrc_error_code(err), LRC_EINVAL);
    assert_string_equal(lrc_error_message(err),
                        "argument of command 'Echo' holds U+2192 (character 2, byte offset 2), "
                        "which cannot be sent to Tango: DevString text travels as Latin-1 "
                        "(U+0000..U+00FF)");
    lrc_error_free(err);
    err = NULL;
    /* Above U+FFFF. */
    assert_int_equal(lrc_utf8_to_latin1("\xf0\x9f\x98\x80", "t", &l, &err), LRC_EINVAL);
    assert_non_null(strstr(lrc_error_message(err), "U+1F600"));
    lrc_error_free(err);
    err = NULL;
    /* Not UTF-8 at all (raw Latin-1 given to a UTF-8 API). */
    assert_int_equal(lrc_utf8_to_latin1("caf\xe9", "t", &l, &err), LRC_EINVAL);
    assert_string_equal(lrc_error_message(err), "t is not UTF-8 text (byte 0xE9 at offset 3)");
    lrc_error_free(err);
}

static void test_utf8_valid(void **state)
{
    (void)state;
    size_t at = 99;
    assert_true(lrc_utf8_valid(UTF8_TEXT, &at));
    assert_true(lrc_utf8_valid("\xf0\x9f\x98\x80", NULL));
    assert_true(lrc_utf8_valid(NULL, NULL));
    assert_false(lrc_utf8_valid("ab\xe9", &at));
    assert_int_equal(at, 2);
    assert_false(lrc_utf8_valid("\xc0\xaf", &at)); /* overlong '/' */
    assert_int_equal(at, 0);
    assert_false(lrc_utf8_valid("\xed\xa0\x80", &at)); /* surrogate */
    assert_false(lrc_utf8_valid("\xf4\x90\x80\x80", &at)); /* above U+10FFFF */
    assert_false(lrc_utf8_valid("\xc3", &at));             /* truncated */
}

static void test_lossy(void **state)
{
    (void)state;
    char *l = lrc_utf8_to_latin1_lossy("motor \xe2\x86\x92 bloqu\xc3\xa9 \xff!");
    assert_string_equal(l, "motor ? bloqu\xe9 ?!");
    free(l);
}

static void test_value_round_trip(void **state)
{
    (void)state;
    char *sv[] = {(char *)UTF8_TEXT, (char *)"id"};
    int64_t iv[] = {2};
    lrc_tg_value in = {.type = LRC_TG_LONG_STRING_ARRAY, .iv = iv, .ni = 1, .sv = sv, .ns = 2};
    lrc_tg_value wire;
    lrc_error *err = NULL;
    assert_int_equal(lrc_wire_value_to_latin1(&in, &wire, "argument", &err), LRC_OK);
    assert_int_equal(wire.type, LRC_TG_LONG_STRING_ARRAY);
    assert_int_equal(wire.ni, 1);
    assert_int_equal(wire.iv[0], 2);
    assert_ptr_not_equal(wire.iv, iv);
    assert_int_equal(wire.ns, 2);
    assert_string_equal(wire.sv[0], LATIN1_TEXT);
    assert_string_equal(wire.sv[1], "id");
    assert_int_equal(lrc_wire_value_to_utf8(&wire), LRC_OK);
    assert_string_equal(wire.sv[0], UTF8_TEXT);
    lrc_tg_value_clear(&wire);

    lrc_tg_value s = {.type = LRC_TG_STRING, .s = (char *)UTF8_TEXT};
    assert_int_equal(lrc_wire_check(&s, "argument", &err), LRC_OK);
    assert_int_equal(lrc_wire_value_to_latin1(&s, &wire, "argument", &err), LRC_OK);
    assert_string_equal(wire.s, LATIN1_TEXT);
    lrc_tg_value_clear(&wire);
    assert_null(err);
}

static void test_value_refused_names_the_element(void **state)
{
    (void)state;
    char *sv[] = {(char *)"ok", (char *)"\xe2\x82\xac"}; /* U+20AC euro sign */
    lrc_tg_value in = {.type = LRC_TG_STRING_ARRAY, .sv = sv, .ns = 2};
    lrc_tg_value wire;
    lrc_error *err = NULL;
    assert_int_equal(lrc_wire_value_to_latin1(&in, &wire, "argument", &err), LRC_EINVAL);
    assert_int_equal(wire.type, LRC_TG_VOID);
    assert_null(wire.sv);
    assert_non_null(strstr(lrc_error_message(err), "argument[1] holds U+20AC"));
    lrc_error_free(err);
    err = NULL;
    assert_int_equal(lrc_wire_check(&in, "argument", &err), LRC_EINVAL);
    lrc_error_free(err);
}

/* What Python's json.dumps(x) (ensure_ascii=True) writes. */
static void expect_dumps(const char *utf8, const char *python)
{
    json_t *a = json_pack("[is]", 0, utf8);
    assert_non_null(a);
    char *s = lrc_json_dumps(a);
    assert_string_equal(s, python);
    free(s);
    json_decref(a);
}

static void test_json_escapes_as_python(void **state)
{
    (void)state;
    /* json.dumps([0, "é °C µs"]) */
    expect_dumps(UTF8_TEXT, "[0, \"\\u00e9 \\u00b0C \\u00b5s\"]");
    /* json.dumps([0, "→"]), json.dumps([0, "😀"]): surrogate pair */
    expect_dumps("\xe2\x86\x92", "[0, \"\\u2192\"]");
    expect_dumps("\xf0\x9f\x98\x80", "[0, \"\\ud83d\\ude00\"]");
    /* json.dumps([0, "\x7f\x01\n\"\\/"]): Python escapes all but
     * " ".."~", DEL included (jansson writes DEL raw); "/" is not escaped */
    expect_dumps("\x7f\x01\n\"\\/", "[0, \"\\u007f\\u0001\\n\\\"\\\\/\"]");
}

static void test_json_parse_gives_utf8(void **state)
{
    (void)state;
    json_t *j = NULL;
    assert_int_equal(lrc_json_parse("[0, \"\\u00e9 \\u00b0C \\u00b5s\"]", &j), LRC_OK);
    assert_string_equal(json_string_value(json_array_get(j, 1)), UTF8_TEXT);
    json_decref(j);
    /* raw Latin-1 JSON from a device, as the shim hands it over */
    char *u = lrc_latin1_to_utf8("[3, \"moteur bloqu\xe9\"]");
    assert_int_equal(lrc_json_parse(u, &j), LRC_OK);
    assert_string_equal(json_string_value(json_array_get(j, 1)), "moteur bloqu\xc3\xa9");
    json_decref(j);
    free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latin1_to_utf8),
        cmocka_unit_test(test_utf8_to_latin1),
        cmocka_unit_test(test_utf8_to_latin1_refuses),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_lossy),
        cmocka_unit_test(test_value_round_trip),
        cmocka_unit_test(test_value_refused_names_the_element),
        cmocka_unit_test(test_json_escapes_as_python),
        cmocka_unit_test(test_json_parse_gives_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
