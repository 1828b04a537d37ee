/* Unit tests: lrc_arg checks, conversion to a command's Tango input type,
 * and the Python repr used in "failed with args: ..." messages. */
#include "core/arg_convert.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMAND "MyCommand"

/* ---- helpers ----------------------------------------------------------- */

/* Fills a value with garbage: the converter must reset it, not free it. */
static void scribble(lrc_tg_value *v)
{
    memset(v, 0xab, sizeof *v);
}

static void assert_cleared(const lrc_tg_value *v)
{
    assert_int_equal(v->type, LRC_TG_VOID);
    assert_null(v->s);
    assert_null(v->iv);
    assert_null(v->dv);
    assert_null(v->sv);
    assert_int_equal(v->ni, 0);
    assert_int_equal(v->nd, 0);
    assert_int_equal(v->ns, 0);
}

/* Converts and expects success with out->type == t; the caller clears *v. */
static void convert_ok(const lrc_arg *a, lrc_tg_type t, lrc_tg_value *v)
{
    lrc_error *err = NULL;
    scribble(v);
    int rc = lrc_arg_to_tango(a, t, COMMAND, v, &err);
    if (rc != LRC_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", err ? lrc_error_message(err) : "(no error)");
        lrc_error_free(err);
        fail_msg("conversion to %s failed: %s", lrc_tg_type_name(t), msg);
    }
    assert_null(err);
    assert_int_equal(v->type, t);
}

/* Converts and expects `code`; returns the message (malloc'd), after
 * checking that it names the command, that *out was left cleared, and that
 * err == NULL gives the same code. */
static char *convert_error(const lrc_arg *a, lrc_tg_type t, int code)
{
    lrc_tg_value v;
    lrc_error *err = NULL;
    scribble(&v);
    int rc = lrc_arg_to_tango(a, t, COMMAND, &v, &err);
    if (rc == LRC_OK) {
        lrc_tg_value_clear(&v);
        fail_msg("conversion to %s succeeded, a failure was expected", lrc_tg_type_name(t));
    }
    assert_int_equal(rc, code);
    assert_non_null(err);
    assert_int_equal(lrc_error_code(err), code);
    char *msg = strdup(lrc_error_message(err));
    lrc_error_free(err);
    assert_non_null(msg);
    assert_cleared(&v);
    if (!strstr(msg, "'" COMMAND "'")) {
        char copy[512];
        snprintf(copy, sizeof copy, "%s", msg);
        free(msg);
        fail_msg("message does not name the command: %s", copy);
    }
    scribble(&v);
    assert_int_equal(lrc_arg_to_tango(a, t, COMMAND, &v, NULL), code);
    assert_cleared(&v);
    return msg;
}

/* Expects LRC_EINVAL with a message containing `part`. */
static void convert_fails(const lrc_arg *a, lrc_tg_type t, const char *part)
{
    char *msg = convert_error(a, t, LRC_EINVAL);
    if (!strstr(msg, part)) {
        char copy[512];
        snprintf(copy, sizeof copy, "%s", msg);
        free(msg);
        fail_msg("message \"%s\" lacks \"%s\"", copy, part);
    }
    free(msg);
}

/* Expects LRC_EINVAL with exactly this message, for any command name. */
static void convert_fails_exactly(const lrc_arg *a, lrc_tg_type t, const char *command,
                                  const char *expected)
{
    lrc_tg_value v;
    lrc_error *err = NULL;
    scribble(&v);
    assert_int_equal(lrc_arg_to_tango(a, t, command, &v, &err), LRC_EINVAL);
    assert_non_null(err);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", lrc_error_message(err));
    lrc_error_free(err);
    assert_cleared(&v);
    assert_string_equal(msg, expected);
}

static void json_fails(const char *json, lrc_tg_type t, const char *part)
{
    lrc_arg a = lrc_arg_json(json);
    convert_fails(&a, t, part);
}

static void json_ok(const char *json, lrc_tg_type t, lrc_tg_value *v)
{
    lrc_arg a = lrc_arg_json(json);
    convert_ok(&a, t, v);
}

/* The message of lrc_arg_check, or NULL when the argument is valid. */
static char *check_message(const lrc_arg *a)
{
    lrc_error *err = NULL;
    int rc = lrc_arg_check(a, &err);
    if (rc == LRC_OK) {
        assert_null(err);
        return NULL;
    }
    assert_int_equal(rc, LRC_EINVAL);
    assert_non_null(err);
    assert_int_equal(lrc_error_code(err), LRC_EINVAL);
    char *msg = strdup(lrc_error_message(err));
    lrc_error_free(err);
    assert_int_equal(lrc_arg_check(a, NULL), LRC_EINVAL);
    return msg;
}

static void check_fails(const lrc_arg *a, const char *part)
{
    char *msg = check_message(a);
    if (!msg)
        fail_msg("lrc_arg_check accepted an invalid argument (expected \"%s\")", part);
    if (!strstr(msg, part)) {
        char copy[512];
        snprintf(copy, sizeof copy, "%s", msg);
        free(msg);
        fail_msg("message \"%s\" lacks \"%s\"", copy, part);
    }
    free(msg);
}

static void check_ok(const lrc_arg *a)
{
    char *msg = check_message(a);
    if (msg) {
        char copy[512];
        snprintf(copy, sizeof copy, "%s", msg);
        free(msg);
        fail_msg("lrc_arg_check rejected a valid argument: %s", copy);
    }
}

/* Every type the converter supports, for the "no argument" rules. */
static const lrc_tg_type sendable[] = {
    LRC_TG_BOOLEAN,      LRC_TG_SHORT,        LRC_TG_LONG,
    LRC_TG_FLOAT,        LRC_TG_DOUBLE,       LRC_TG_USHORT,
    LRC_TG_ULONG,        LRC_TG_STRING,       LRC_TG_CHAR_ARRAY,
    LRC_TG_SHORT_ARRAY,  LRC_TG_LONG_ARRAY,   LRC_TG_FLOAT_ARRAY,
    LRC_TG_DOUBLE_ARRAY, LRC_TG_USHORT_ARRAY, LRC_TG_ULONG_ARRAY,
    LRC_TG_STRING_ARRAY, LRC_TG_LONG_STRING_ARRAY, LRC_TG_DOUBLE_STRING_ARRAY,
    LRC_TG_BOOLEAN_ARRAY, LRC_TG_UCHAR,       LRC_TG_LONG64,
    LRC_TG_ULONG64,      LRC_TG_LONG64_ARRAY, LRC_TG_ULONG64_ARRAY,
};
#define N_SENDABLE (sizeof sendable / sizeof sendable[0])

/* ---- lrc_arg_check ----------------------------------------------------- */

static void test_check_accepts_valid_arguments(void **state)
{
    static const int64_t l[] = {1, 2};
    static const double d[] = {1.5};
    static const char *const s[] = {"a", ""};
    lrc_arg args[] = {
        lrc_arg_none(),
        lrc_arg_bool(false),
        lrc_arg_long(0),
        lrc_arg_double(NAN), /* finite values are not required */
        lrc_arg_double(INFINITY),
        lrc_arg_string(""),
        lrc_arg_json("null"),
        lrc_arg_json(" {\"a\": [1, 2.5, \"x\"]} "),
        lrc_arg_json("\"just a string\""),
        lrc_arg_long_array(l, 2),
        lrc_arg_long_array(NULL, 0), /* empty arrays need no data */
        lrc_arg_double_array(d, 1),
        lrc_arg_double_array(NULL, 0),
        lrc_arg_string_array(s, 2),
        lrc_arg_string_array(NULL, 0),
    };
    check_ok(NULL);
    for (size_t k = 0; k < sizeof args / sizeof args[0]; k++)
        check_ok(&args[k]);
}

static void test_check_rejects_invalid_arguments(void **state)
{
    static const char *const with_null[] = {"a", NULL, "c"};
    lrc_arg unknown = lrc_arg_none();
    unknown.kind = (lrc_arg_kind)42;
    check_fails(&unknown, "unknown argument kind 42");

    lrc_arg a = lrc_arg_string(NULL);
    check_fails(&a, "string argument is NULL");
    a = lrc_arg_json(NULL);
    check_fails(&a, "JSON argument is NULL");
    a = lrc_arg_long_array(NULL, 3);
    check_fails(&a, "integer array argument has 3 elements");
    a = lrc_arg_double_array(NULL, 1);
    check_fails(&a, "float array argument has 1 elements");
    a = lrc_arg_string_array(NULL, 2);
    check_fails(&a, "string array argument has 2 elements");
    a = lrc_arg_string_array(with_null, 3);
    check_fails(&a, "element 1 of the string array argument is NULL");
}

static void test_check_reports_json_errors_with_position(void **state)
{
    lrc_arg a = lrc_arg_json("{\"a\": 1,\n \"b\": }");
    char *msg = check_message(&a);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "JSON argument is not valid JSON: "));
    assert_non_null(strstr(msg, "unexpected token")); /* jansson's own text */
    assert_non_null(strstr(msg, "(line 2, column "));
    free(msg);

    const char *bad[] = {"", "tru", "[1, 2", "{'a': 1}", "NaN", "\"a\\u0000b\"", "1 2"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        a = lrc_arg_json(bad[k]);
        check_fails(&a, "is not valid JSON");
    }
}

/* ---- no argument, DevVoid, unsupported types --------------------------- */

static void test_no_argument_only_for_void(void **state)
{
    lrc_tg_value v;
    lrc_arg none = lrc_arg_none();
    convert_ok(NULL, LRC_TG_VOID, &v);
    assert_cleared(&v);
    convert_ok(&none, LRC_TG_VOID, &v);
    assert_cleared(&v);
    json_ok("null", LRC_TG_VOID, &v);
    assert_cleared(&v);
    json_ok(" null\n", LRC_TG_VOID, &v);
    assert_cleared(&v);

    for (size_t k = 0; k < N_SENDABLE; k++) {
        char part[80];
        snprintf(part, sizeof part, "needs an argument (%s)", lrc_tg_type_name(sendable[k]));
        convert_fails(NULL, sendable[k], part);
        convert_fails(&none, sendable[k], part);
    }
    convert_fails_exactly(NULL, LRC_TG_LONG, "X", "command 'X' needs an argument (DevLong)");
}

static void test_void_rejects_every_argument(void **state)
{
    static const int64_t l[] = {1};
    lrc_arg args[] = {
        lrc_arg_bool(false),     lrc_arg_long(0),          lrc_arg_double(0.0),
        lrc_arg_string(""),      lrc_arg_long_array(l, 1), lrc_arg_long_array(NULL, 0),
        lrc_arg_json("0"),       lrc_arg_json("\"\""),     lrc_arg_json("[]"),
        lrc_arg_json("{}"),      lrc_arg_json("false"),
    };
    for (size_t k = 0; k < sizeof args / sizeof args[0]; k++)
        convert_fails(&args[k], LRC_TG_VOID, "takes no argument");
    convert_fails_exactly(&args[0], LRC_TG_VOID, "X", "command 'X' takes no argument");
}

static void test_unsendable_types(void **state)
{
    lrc_arg a = lrc_arg_long(1);
    convert_fails_exactly(&a, LRC_TG_STATE, "X",
                          "command 'X' takes a DevState, which lrc_invoke cannot send");
    convert_fails(&a, LRC_TG_ENUM, "takes a DevEnum, which lrc_invoke cannot send");
    convert_fails(NULL, LRC_TG_STATE, "cannot send");
    convert_fails(&a, (lrc_tg_type)99, "takes Tango type 99, which lrc_invoke cannot send");
    convert_fails(&a, (lrc_tg_type)20, "cannot send"); /* a gap in CmdArgType */
}

/* An argument that fails lrc_arg_check fails conversion too, naming the
 * command, whatever the target type. */
static void test_invalid_argument_names_the_command(void **state)
{
    lrc_arg a = lrc_arg_string(NULL);
    convert_fails(&a, LRC_TG_STRING, "invalid argument for command 'MyCommand': string argument");
    a = lrc_arg_json("{");
    convert_fails(&a, LRC_TG_STRING, "is not valid JSON");
    convert_fails(&a, LRC_TG_VOID, "is not valid JSON");
    a = lrc_arg_long_array(NULL, 2);
    convert_fails(&a, LRC_TG_LONG_ARRAY, "integer array argument has 2 elements");
    a.kind = (lrc_arg_kind)77;
    convert_fails(&a, LRC_TG_LONG, "unknown argument kind 77");
}

/* ---- DevBoolean --------------------------------------------------------- */

static void test_boolean(void **state)
{
    lrc_tg_value v;
    lrc_arg a = lrc_arg_bool(true);
    convert_ok(&a, LRC_TG_BOOLEAN, &v);
    assert_int_equal(v.i, 1);
    a = lrc_arg_bool(false); /* falsy, but an argument */
    convert_ok(&a, LRC_TG_BOOLEAN, &v);
    assert_int_equal(v.i, 0);
    json_ok("true", LRC_TG_BOOLEAN, &v);
    assert_int_equal(v.i, 1);
    json_ok("false", LRC_TG_BOOLEAN, &v);
    assert_int_equal(v.i, 0);

    a = lrc_arg_long(1);
    convert_fails(&a, LRC_TG_BOOLEAN, "takes a DevBoolean, not an integer");
    a = lrc_arg_string("true");
    convert_fails(&a, LRC_TG_BOOLEAN, "takes a DevBoolean, not a string");
    a = lrc_arg_double(1.0);
    convert_fails(&a, LRC_TG_BOOLEAN, "not a float");
    json_fails("1", LRC_TG_BOOLEAN, "takes a DevBoolean, not a JSON integer");
    json_fails("null", LRC_TG_BOOLEAN, "not JSON null");
    json_fails("\"true\"", LRC_TG_BOOLEAN, "not a JSON string");
    json_fails("[true]", LRC_TG_BOOLEAN, "not a JSON array");
}

/* ---- integer scalars and arrays: every boundary ------------------------ */

typedef struct int_case {
    lrc_tg_type scalar; /* LRC_TG_VOID: no scalar type */
    lrc_tg_type array;
    int64_t min, max;
    bool below_exists, above_exists; /* min-1 / max+1 fit in an int64 */
} int_case;

static const int_case int_cases[] = {
    {LRC_TG_SHORT, LRC_TG_SHORT_ARRAY, INT16_MIN, INT16_MAX, true, true},
    {LRC_TG_USHORT, LRC_TG_USHORT_ARRAY, 0, UINT16_MAX, true, true},
    {LRC_TG_LONG, LRC_TG_LONG_ARRAY, INT32_MIN, INT32_MAX, true, true},
    {LRC_TG_ULONG, LRC_TG_ULONG_ARRAY, 0, UINT32_MAX, true, true},
    {LRC_TG_LONG64, LRC_TG_LONG64_ARRAY, INT64_MIN, INT64_MAX, false, false},
    {LRC_TG_ULONG64, LRC_TG_ULONG64_ARRAY, 0, INT64_MAX, true, false},
    {LRC_TG_UCHAR, LRC_TG_CHAR_ARRAY, 0, UINT8_MAX, true, true},
    {LRC_TG_VOID, LRC_TG_BOOLEAN_ARRAY, 0, 1, true, true},
};

static void scalar_int_ok(lrc_tg_type t, int64_t x)
{
    lrc_tg_value v;
    lrc_arg a = lrc_arg_long(x);
    convert_ok(&a, t, &v);
    assert_true(v.i == x);
    char json[32];
    snprintf(json, sizeof json, "%lld", (long long)x);
    json_ok(json, t, &v);
    assert_true(v.i == x);
}

static void scalar_int_fails(lrc_tg_type t, int64_t x)
{
    char part[96], json[32];
    snprintf(part, sizeof part, "argument %lld is out of range for %s", (long long)x,
             lrc_tg_type_name(t));
    lrc_arg a = lrc_arg_long(x);
    convert_fails(&a, t, part);
    snprintf(json, sizeof json, "%lld", (long long)x);
    json_fails(json, t, part);
}

/* [0, 0, x]: the failing element is not the first. */
static void array_int_ok(lrc_tg_type t, int64_t x)
{
    const int64_t l[] = {0, 0, x};
    lrc_tg_value v;
    lrc_arg a = lrc_arg_long_array(l, 3);
    convert_ok(&a, t, &v);
    assert_int_equal(v.ni, 3);
    assert_true(v.iv[0] == 0 && v.iv[2] == x);
    lrc_tg_value_clear(&v);
    char json[64];
    snprintf(json, sizeof json, "[0, 0, %lld]", (long long)x);
    json_ok(json, t, &v);
    assert_int_equal(v.ni, 3);
    assert_true(v.iv[2] == x);
    lrc_tg_value_clear(&v);
}

static void array_int_fails(lrc_tg_type t, int64_t x)
{
    const int64_t l[] = {0, 0, x};
    char part[96], json[64];
    snprintf(part, sizeof part, "argument[2] = %lld is out of range for %s", (long long)x,
             lrc_tg_type_name(t));
    lrc_arg a = lrc_arg_long_array(l, 3);
    convert_fails(&a, t, part);
    snprintf(json, sizeof json, "[0, 0, %lld]", (long long)x);
    json_fails(json, t, part);
}

static void test_integer_ranges(void **state)
{
    for (size_t k = 0; k < sizeof int_cases / sizeof int_cases[0]; k++) {
        const int_case *c = &int_cases[k];
        if (c->scalar != LRC_TG_VOID) {
            scalar_int_ok(c->scalar, c->min);
            scalar_int_ok(c->scalar, c->max);
            scalar_int_ok(c->scalar, 0); /* falsy, but an argument */
            if (c->below_exists)
                scalar_int_fails(c->scalar, c->min - 1);
            if (c->above_exists)
                scalar_int_fails(c->scalar, c->max + 1);
        }
        array_int_ok(c->array, c->min);
        array_int_ok(c->array, c->max);
        if (c->below_exists)
            array_int_fails(c->array, c->min - 1);
        if (c->above_exists)
            array_int_fails(c->array, c->max + 1);
    }
}

static void test_integer_messages(void **state)
{
    lrc_arg a = lrc_arg_long(70000);
    convert_fails_exactly(&a, LRC_TG_SHORT, "X",
                          "argument 70000 is out of range for DevShort (-32768..32767) of "
                          "command 'X'");
    static const int64_t l[] = {1, -1};
    a = lrc_arg_long_array(l, 2);
    convert_fails_exactly(&a, LRC_TG_ULONG_ARRAY, "Y",
                          "argument[1] = -1 is out of range for DevVarULongArray (0..4294967295) "
                          "of command 'Y'");
}

static void test_ulong64_bit_pattern_and_json_limit(void **state)
{
    lrc_tg_value v;
    lrc_arg a = lrc_arg_long(INT64_MAX);
    convert_ok(&a, LRC_TG_ULONG64, &v);
    assert_true((uint64_t)v.i == (uint64_t)INT64_MAX);
    /* jansson cannot read integers beyond int64: an invalid argument */
    json_fails("9223372036854775808", LRC_TG_ULONG64, "too big integer");
    json_fails("[18446744073709551615]", LRC_TG_ULONG64_ARRAY, "too big integer");
}

static void test_integer_type_errors(void **state)
{
    static const double d[] = {1.0};
    static const char *const s[] = {"1"};
    lrc_arg a = lrc_arg_double(1.0);
    convert_fails(&a, LRC_TG_LONG, "takes a DevLong, not a float");
    a = lrc_arg_bool(true);
    convert_fails(&a, LRC_TG_SHORT, "takes a DevShort, not a boolean");
    a = lrc_arg_string("1");
    convert_fails(&a, LRC_TG_LONG64, "takes a DevLong64, not a string");
    a = lrc_arg_long_array(NULL, 0);
    convert_fails(&a, LRC_TG_LONG, "not an integer array");
    json_fails("1.0", LRC_TG_LONG, "takes a DevLong, not a JSON float");
    json_fails("true", LRC_TG_UCHAR, "takes a DevUChar, not a JSON boolean");
    json_fails("\"1\"", LRC_TG_ULONG, "not a JSON string");
    json_fails("[1]", LRC_TG_LONG, "not a JSON array");
    json_fails("{}", LRC_TG_LONG, "not a JSON object");

    a = lrc_arg_double_array(d, 1);
    convert_fails(&a, LRC_TG_LONG_ARRAY, "takes a DevVarLongArray, not a float array");
    a = lrc_arg_string_array(s, 1);
    convert_fails(&a, LRC_TG_SHORT_ARRAY, "not a string array");
    a = lrc_arg_long(1);
    convert_fails(&a, LRC_TG_LONG_ARRAY, "takes a DevVarLongArray, not an integer");
    json_fails("1", LRC_TG_LONG_ARRAY, "not a JSON integer");
    json_fails("{\"a\": [1]}", LRC_TG_LONG_ARRAY, "not a JSON object");
    json_fails("[1, 2.5]", LRC_TG_LONG_ARRAY,
               "takes a DevVarLongArray, but argument[1] is a JSON float");
    json_fails("[1, \"2\"]", LRC_TG_LONG64_ARRAY, "argument[1] is a JSON string");
    json_fails("[[1]]", LRC_TG_LONG_ARRAY, "argument[0] is a JSON array");
    json_fails("[null]", LRC_TG_LONG_ARRAY, "argument[0] is JSON null");
    json_fails("[true]", LRC_TG_LONG_ARRAY, "argument[0] is a JSON boolean");
}

static void test_integer_arrays_empty(void **state)
{
    const lrc_tg_type types[] = {LRC_TG_SHORT_ARRAY, LRC_TG_LONG64_ARRAY, LRC_TG_CHAR_ARRAY,
                                 LRC_TG_BOOLEAN_ARRAY};
    static const int64_t zero[] = {0};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        lrc_tg_value v;
        lrc_arg a = lrc_arg_long_array(NULL, 0);
        convert_ok(&a, types[k], &v);
        assert_int_equal(v.ni, 0);
        lrc_tg_value_clear(&v);
        json_ok("[]", types[k], &v);
        assert_int_equal(v.ni, 0);
        lrc_tg_value_clear(&v);
        a = lrc_arg_long_array(zero, 1); /* [0]: falsy elements */
        convert_ok(&a, types[k], &v);
        assert_int_equal(v.ni, 1);
        assert_int_equal(v.iv[0], 0);
        lrc_tg_value_clear(&v);
    }
}

static void test_boolean_array_accepts_json_booleans(void **state)
{
    lrc_tg_value v;
    json_ok("[true, false, 1, 0]", LRC_TG_BOOLEAN_ARRAY, &v);
    assert_int_equal(v.ni, 4);
    assert_int_equal(v.iv[0], 1);
    assert_int_equal(v.iv[1], 0);
    assert_int_equal(v.iv[2], 1);
    assert_int_equal(v.iv[3], 0);
    lrc_tg_value_clear(&v);
    /* only the boolean array reads JSON booleans as integers */
    json_fails("[true]", LRC_TG_CHAR_ARRAY, "argument[0] is a JSON boolean");
    json_fails("[true, 2]", LRC_TG_BOOLEAN_ARRAY, "argument[1] = 2 is out of range");
    json_fails("[1.0]", LRC_TG_BOOLEAN_ARRAY, "argument[0] is a JSON float");
}

/* ---- DevFloat / DevDouble ----------------------------------------------- */

static double to_double(const lrc_arg *a, lrc_tg_type t)
{
    lrc_tg_value v;
    convert_ok(a, t, &v);
    return v.d;
}

static double json_to_double(const char *json, lrc_tg_type t)
{
    lrc_arg a = lrc_arg_json(json);
    return to_double(&a, t);
}

static void test_double(void **state)
{
    lrc_arg a = lrc_arg_double(2.5);
    assert_true(to_double(&a, LRC_TG_DOUBLE) == 2.5);
    a = lrc_arg_double(0.0); /* falsy, but an argument */
    assert_true(to_double(&a, LRC_TG_DOUBLE) == 0.0);
    a = lrc_arg_double(-DBL_MAX);
    assert_true(to_double(&a, LRC_TG_DOUBLE) == -DBL_MAX);
    a = lrc_arg_long(3);
    assert_true(to_double(&a, LRC_TG_DOUBLE) == 3.0);
    a = lrc_arg_double(INFINITY); /* no range to check for a double */
    assert_true(isinf(to_double(&a, LRC_TG_DOUBLE)));
    a = lrc_arg_double(NAN);
    assert_true(isnan(to_double(&a, LRC_TG_DOUBLE)));
    assert_true(json_to_double("2.5", LRC_TG_DOUBLE) == 2.5);
    assert_true(json_to_double("7", LRC_TG_DOUBLE) == 7.0);
    assert_true(json_to_double("-1e300", LRC_TG_DOUBLE) == -1e300);
    assert_true(json_to_double("0", LRC_TG_DOUBLE) == 0.0);

    a = lrc_arg_string("2.5");
    convert_fails_exactly(&a, LRC_TG_DOUBLE, "Sleep",
                          "command 'Sleep' takes a DevDouble, not a string");
    a = lrc_arg_bool(true);
    convert_fails(&a, LRC_TG_DOUBLE, "takes a DevDouble, not a boolean");
    a = lrc_arg_double_array(NULL, 0);
    convert_fails(&a, LRC_TG_DOUBLE, "not a float array");
    json_fails("\"2.5\"", LRC_TG_DOUBLE, "not a JSON string");
    json_fails("false", LRC_TG_FLOAT, "takes a DevFloat, not a JSON boolean");
    json_fails("[2.5]", LRC_TG_DOUBLE, "not a JSON array");
}

static void test_float_range(void **state)
{
    lrc_arg a = lrc_arg_double(FLT_MAX);
    assert_true(to_double(&a, LRC_TG_FLOAT) == FLT_MAX);
    a = lrc_arg_double(-FLT_MAX);
    assert_true(to_double(&a, LRC_TG_FLOAT) == -FLT_MAX);
    /* Python's repr of FLT_MAX reads as a double just above it, which
     * still rounds to FLT_MAX: sent as FLT_MAX */
    a = lrc_arg_double(3.4028235e38);
    assert_true(to_double(&a, LRC_TG_FLOAT) == FLT_MAX);
    assert_true(json_to_double("-3.4028235e38", LRC_TG_FLOAT) == -FLT_MAX);
    a = lrc_arg_double(FLT_MIN / 4); /* underflow is not an error */
    assert_true(to_double(&a, LRC_TG_FLOAT) == FLT_MIN / 4);
    a = lrc_arg_double(INFINITY); /* a float holds infinities and NaN */
    assert_true(isinf(to_double(&a, LRC_TG_FLOAT)));
    a = lrc_arg_long(INT64_MAX);
    assert_true(to_double(&a, LRC_TG_FLOAT) == (double)INT64_MAX);

    /* the first double that rounds to infinity, and beyond */
    a = lrc_arg_double(0x1.ffffffp127);
    convert_fails(&a, LRC_TG_FLOAT, "argument 3.4028235677973366e+38 is out of range for DevFloat");
    a = lrc_arg_double(-1e39);
    convert_fails_exactly(&a, LRC_TG_FLOAT, "X",
                          "argument -1e+39 is out of range for DevFloat of command 'X'");
    json_fails("1e39", LRC_TG_FLOAT, "argument 1e+39 is out of range for DevFloat");
    a = lrc_arg_double(1e39); /* fine for a double */
    assert_true(to_double(&a, LRC_TG_DOUBLE) == 1e39);
}

static void test_real_arrays(void **state)
{
    static const double d[] = {1.5, -0.0, 1e300};
    static const int64_t l[] = {1, -2};
    lrc_tg_value v;
    lrc_arg a = lrc_arg_double_array(d, 3);
    convert_ok(&a, LRC_TG_DOUBLE_ARRAY, &v);
    assert_int_equal(v.nd, 3);
    assert_true(v.dv[0] == 1.5 && v.dv[2] == 1e300);
    lrc_tg_value_clear(&v);
    a = lrc_arg_long_array(l, 2);
    convert_ok(&a, LRC_TG_FLOAT_ARRAY, &v);
    assert_int_equal(v.nd, 2);
    assert_true(v.dv[0] == 1.0 && v.dv[1] == -2.0);
    lrc_tg_value_clear(&v);
    json_ok("[1, 2.5, -3e-5]", LRC_TG_DOUBLE_ARRAY, &v);
    assert_int_equal(v.nd, 3);
    assert_true(v.dv[0] == 1.0 && v.dv[1] == 2.5 && v.dv[2] == -3e-5);
    lrc_tg_value_clear(&v);
    json_ok("[]", LRC_TG_FLOAT_ARRAY, &v);
    assert_int_equal(v.nd, 0);
    lrc_tg_value_clear(&v);
    a = lrc_arg_double_array(NULL, 0);
    convert_ok(&a, LRC_TG_DOUBLE_ARRAY, &v);
    assert_int_equal(v.nd, 0);
    lrc_tg_value_clear(&v);

    json_fails("[1.0, 3.4028236e38]", LRC_TG_FLOAT_ARRAY,
               "argument[1] = 3.4028236e+38 is out of range for DevVarFloatArray");
    a = lrc_arg_double_array(d, 3);
    convert_fails(&a, LRC_TG_FLOAT_ARRAY, "argument[2] = 1e+300 is out of range");
    json_fails("[1, \"2\"]", LRC_TG_DOUBLE_ARRAY,
               "takes a DevVarDoubleArray, but argument[1] is a JSON string");
    json_fails("[true]", LRC_TG_DOUBLE_ARRAY, "argument[0] is a JSON boolean");
    json_fails("2.5", LRC_TG_DOUBLE_ARRAY, "not a JSON float");
    a = lrc_arg_double(2.5);
    convert_fails(&a, LRC_TG_DOUBLE_ARRAY, "takes a DevVarDoubleArray, not a float");
    static const char *const s[] = {"x"};
    a = lrc_arg_string_array(s, 1);
    convert_fails(&a, LRC_TG_FLOAT_ARRAY, "not a string array");
}

/* ---- DevString ---------------------------------------------------------- */

static void string_is(const lrc_arg *a, const char *expected)
{
    lrc_tg_value v;
    convert_ok(a, LRC_TG_STRING, &v);
    assert_non_null(v.s);
    assert_string_equal(v.s, expected);
    lrc_tg_value_clear(&v);
}

static void json_string_is(const char *json, const char *expected)
{
    lrc_arg a = lrc_arg_json(json);
    string_is(&a, expected);
}

static void test_string(void **state)
{
    lrc_arg a = lrc_arg_string("abc");
    string_is(&a, "abc");
    a = lrc_arg_string(""); /* falsy, but an argument */
    string_is(&a, "");
    a = lrc_arg_string("\xc3\xa9t\xc3\xa9"); /* bytes as given */
    string_is(&a, "\xc3\xa9t\xc3\xa9");

    /* a JSON string gives its content ... */
    json_string_is("\"abc\"", "abc");
    json_string_is("\"\"", "");
    json_string_is("\"line\\nbreak \\u00e9\"", "line\nbreak \xc3\xa9");
    /* ... any other JSON value its text, as Python's json.dumps writes it */
    json_string_is("{\"a\":1,\"b\":[true,null,\"\xc3\xa9\"]}",
                   "{\"a\": 1, \"b\": [true, null, \"\\u00e9\"]}");
    json_string_is("5", "5");
    json_string_is("null", "null");
    json_string_is("false", "false");
    json_string_is("[]", "[]");

    a = lrc_arg_long(5);
    convert_fails(&a, LRC_TG_STRING, "takes a DevString, not an integer");
    a = lrc_arg_bool(false);
    convert_fails(&a, LRC_TG_STRING, "not a boolean");
    a = lrc_arg_double(1.5);
    convert_fails(&a, LRC_TG_STRING, "not a float");
    static const char *const s[] = {"a"};
    a = lrc_arg_string_array(s, 1);
    convert_fails(&a, LRC_TG_STRING, "not a string array");
}

static void test_string_arrays(void **state)
{
    static const char *const s[] = {"a", "", "\xc3\xa9"};
    lrc_tg_value v;
    lrc_arg a = lrc_arg_string_array(s, 3);
    convert_ok(&a, LRC_TG_STRING_ARRAY, &v);
    assert_int_equal(v.ns, 3);
    assert_string_equal(v.sv[0], "a");
    assert_string_equal(v.sv[1], "");
    assert_string_equal(v.sv[2], "\xc3\xa9");
    lrc_tg_value_clear(&v);
    json_ok("[\"a\", \"\", \"{\\\"k\\\": 1}\"]", LRC_TG_STRING_ARRAY, &v);
    assert_int_equal(v.ns, 3);
    assert_string_equal(v.sv[1], "");
    assert_string_equal(v.sv[2], "{\"k\": 1}");
    lrc_tg_value_clear(&v);
    json_ok("[]", LRC_TG_STRING_ARRAY, &v);
    assert_int_equal(v.ns, 0);
    lrc_tg_value_clear(&v);
    a = lrc_arg_string_array(NULL, 0);
    convert_ok(&a, LRC_TG_STRING_ARRAY, &v);
    assert_int_equal(v.ns, 0);
    lrc_tg_value_clear(&v);

    /* fails after two strings were copied: nothing may leak */
    json_fails("[\"a\", \"b\", 3]", LRC_TG_STRING_ARRAY,
               "takes a DevVarStringArray, but argument[2] is a JSON integer");
    json_fails("[{}]", LRC_TG_STRING_ARRAY, "argument[0] is a JSON object");
    json_fails("\"a\"", LRC_TG_STRING_ARRAY, "not a JSON string");
    a = lrc_arg_string("a");
    convert_fails(&a, LRC_TG_STRING_ARRAY, "takes a DevVarStringArray, not a string");
    static const int64_t l[] = {1};
    a = lrc_arg_long_array(l, 1);
    convert_fails(&a, LRC_TG_STRING_ARRAY, "not an integer array");
}

/* ---- DevVarLongStringArray / DevVarDoubleStringArray -------------------- */

static void test_long_string_array(void **state)
{
    lrc_tg_value v;
    json_ok("[[1, -2, 2147483647, -2147483648], [\"a\", \"\"]]", LRC_TG_LONG_STRING_ARRAY, &v);
    assert_int_equal(v.ni, 4);
    assert_int_equal(v.iv[1], -2);
    assert_int_equal(v.iv[2], INT32_MAX);
    assert_int_equal(v.iv[3], INT32_MIN);
    assert_int_equal(v.ns, 2);
    assert_string_equal(v.sv[0], "a");
    assert_string_equal(v.sv[1], "");
    assert_null(v.dv);
    lrc_tg_value_clear(&v);
    json_ok("[[], []]", LRC_TG_LONG_STRING_ARRAY, &v);
    assert_int_equal(v.ni, 0);
    assert_int_equal(v.ns, 0);
    lrc_tg_value_clear(&v);

    json_fails("[[2147483648], []]", LRC_TG_LONG_STRING_ARRAY,
               "argument[0][0] = 2147483648 is out of range for DevVarLongStringArray");
    json_fails("[[0, -2147483649], []]", LRC_TG_LONG_STRING_ARRAY,
               "argument[0][1] = -2147483649 is out of range");
    json_fails("[[1.5], []]", LRC_TG_LONG_STRING_ARRAY, "argument[0][0] is a JSON float");
    /* fails in the strings after the integers were stored: nothing may leak */
    json_fails("[[1, 2], [\"a\", 5]]", LRC_TG_LONG_STRING_ARRAY,
               "takes a DevVarLongStringArray, but argument[1][1] is a JSON integer");
    json_fails("[1, []]", LRC_TG_LONG_STRING_ARRAY, "argument[0] is a JSON integer");
    json_fails("[[], \"a\"]", LRC_TG_LONG_STRING_ARRAY, "argument[1] is a JSON string");
    lrc_arg one = lrc_arg_json("[[1]]");
    convert_fails_exactly(&one, LRC_TG_LONG_STRING_ARRAY, "X",
                          "command 'X' takes a DevVarLongStringArray as JSON [[integers], "
                          "[strings]], not a JSON array of 1 element");
    json_fails("[[1], [\"a\"], []]", LRC_TG_LONG_STRING_ARRAY, "not a JSON array of 3 elements");
    json_fails("{\"a\": 1}", LRC_TG_LONG_STRING_ARRAY, "not a JSON object");
    json_fails("\"[[1], []]\"", LRC_TG_LONG_STRING_ARRAY, "not a JSON string");
    static const int64_t l[] = {1};
    lrc_arg a = lrc_arg_long_array(l, 1);
    convert_fails(&a, LRC_TG_LONG_STRING_ARRAY,
                  "takes a DevVarLongStringArray as JSON [[integers], [strings]], not an "
                  "integer array");
    a = lrc_arg_string("x");
    convert_fails(&a, LRC_TG_LONG_STRING_ARRAY, "not a string");
}

static void test_double_string_array(void **state)
{
    lrc_tg_value v;
    json_ok("[[1.5, 2, -1e300], [\"a\"]]", LRC_TG_DOUBLE_STRING_ARRAY, &v);
    assert_int_equal(v.nd, 3);
    assert_true(v.dv[0] == 1.5 && v.dv[1] == 2.0 && v.dv[2] == -1e300);
    assert_int_equal(v.ns, 1);
    assert_string_equal(v.sv[0], "a");
    assert_null(v.iv);
    lrc_tg_value_clear(&v);
    json_ok("[[], []]", LRC_TG_DOUBLE_STRING_ARRAY, &v);
    assert_int_equal(v.nd, 0);
    assert_int_equal(v.ns, 0);
    lrc_tg_value_clear(&v);

    json_fails("[[\"x\"], []]", LRC_TG_DOUBLE_STRING_ARRAY,
               "takes a DevVarDoubleStringArray, but argument[0][0] is a JSON string");
    json_fails("[[1.5], [\"a\", null]]", LRC_TG_DOUBLE_STRING_ARRAY,
               "argument[1][1] is JSON null");
    json_fails("[]", LRC_TG_DOUBLE_STRING_ARRAY,
               "as JSON [[numbers], [strings]], not a JSON array of 0 elements");
    static const double d[] = {1.0};
    lrc_arg a = lrc_arg_double_array(d, 1);
    convert_fails(&a, LRC_TG_DOUBLE_STRING_ARRAY, "not a float array");
}

/* ---- odds and ends ------------------------------------------------------ */

/* A NULL command name does not crash; the message just has ''. */
static void test_null_command_name(void **state)
{
    lrc_tg_value v;
    lrc_error *err = NULL;
    assert_int_equal(lrc_arg_to_tango(NULL, LRC_TG_LONG, NULL, &v, &err), LRC_EINVAL);
    assert_string_equal(lrc_error_message(err), "command '' needs an argument (DevLong)");
    lrc_error_free(err);
    assert_cleared(&v);
}

/* *out is reset with memset, not freed: garbage in it is simply overwritten. */
static void test_out_is_reset_not_freed(void **state)
{
    lrc_tg_value v;
    lrc_arg a = lrc_arg_long(5);
    convert_ok(&a, LRC_TG_LONG, &v); /* convert_ok scribbles garbage first */
    assert_int_equal(v.i, 5);
    assert_null(v.s);
    assert_null(v.iv);
    assert_null(v.dv);
    assert_null(v.sv);
    assert_true(v.d == 0.0);
}

/* ---- lrc_arg_repr ------------------------------------------------------- */

static void repr_is(const lrc_arg *a, const char *expected)
{
    char *r = lrc_arg_repr(a);
    assert_non_null(r);
    char copy[256];
    snprintf(copy, sizeof copy, "%s", r);
    free(r);
    assert_string_equal(copy, expected);
}

static void test_repr_scalars(void **state)
{
    lrc_arg none = lrc_arg_none();
    repr_is(NULL, "None");
    repr_is(&none, "None");
    lrc_arg a = lrc_arg_long(5);
    repr_is(&a, "(5,)");
    a = lrc_arg_long(-7);
    repr_is(&a, "(-7,)");
    a = lrc_arg_long(0);
    repr_is(&a, "(0,)");
    a = lrc_arg_long(INT64_MIN);
    repr_is(&a, "(-9223372036854775808,)");
    a = lrc_arg_bool(true);
    repr_is(&a, "(True,)");
    a = lrc_arg_bool(false);
    repr_is(&a, "(False,)");
}

/* Expected texts are Python 3's repr((x,)). */
static void test_repr_floats(void **state)
{
    static const struct {
        double x;
        const char *repr;
    } cases[] = {
        {2.5, "(2.5,)"},
        {1.0, "(1.0,)"},
        {0.0, "(0.0,)"},
        {-0.0, "(-0.0,)"},
        {0.1, "(0.1,)"},
        {100.0, "(100.0,)"},
        {0.30000000000000004, "(0.30000000000000004,)"},
        {1e20, "(1e+20,)"},
        {1e-5, "(1e-05,)"},
        {0.0001, "(0.0001,)"},
        {-1.5e-7, "(-1.5e-07,)"},
        {1e16, "(1e+16,)"},
        {1234567890123456.0, "(1234567890123456.0,)"},
        {1.5e16, "(1.5e+16,)"},
        {5e-324, "(5e-324,)"},
        {1.7976931348623157e308, "(1.7976931348623157e+308,)"},
        {1636437568.0723004, "(1636437568.0723004,)"},
        {INFINITY, "(inf,)"},
        {-INFINITY, "(-inf,)"},
        {NAN, "(nan,)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lrc_arg a = lrc_arg_double(cases[k].x);
        repr_is(&a, cases[k].repr);
    }
}

/* Expected texts are Python 3's repr((s,)). */
static void test_repr_strings(void **state)
{
    static const struct {
        const char *s;
        const char *repr;
    } cases[] = {
        {"text", "('text',)"},
        {"", "('',)"},
        {"it's", "(\"it's\",)"},
        {"say \"hi\"", "('say \"hi\"',)"},
        {"both ' and \"", "('both \\' and \"',)"},
        {"a\\b", "('a\\\\b',)"},
        {"\n\r\t", "('\\n\\r\\t',)"},
        {"\x01\x1f\x7f", "('\\x01\\x1f\\x7f',)"},
        {"\xc3\xa9t\xc3\xa9 \xe2\x98\x83", "('\xc3\xa9t\xc3\xa9 \xe2\x98\x83',)"},
        {"\xc2\x85", "('\\x85',)"},
        {"\xc2\xa0", "('\\xa0',)"},
        {"\xc2\xad", "('\\xad',)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lrc_arg a = lrc_arg_string(cases[k].s);
        repr_is(&a, cases[k].repr);
    }
}

static void test_repr_arrays_and_json(void **state)
{
    static const int64_t l[] = {1, 2};
    static const double d[] = {1.0, 2.5};
    static const char *const s[] = {"a", "it's"};
    lrc_arg a = lrc_arg_long_array(l, 2);
    repr_is(&a, "([1, 2],)");
    a = lrc_arg_long_array(NULL, 0);
    repr_is(&a, "([],)");
    a = lrc_arg_double_array(d, 2);
    repr_is(&a, "([1.0, 2.5],)");
    a = lrc_arg_string_array(s, 2);
    repr_is(&a, "(['a', \"it's\"],)");
    a = lrc_arg_string_array(NULL, 0);
    repr_is(&a, "([],)");

    a = lrc_arg_json("{\"a\":1,\"b\":[true,null]}");
    repr_is(&a, "({\"a\": 1, \"b\": [true, null]},)");
    a = lrc_arg_json(" \"s\" ");
    repr_is(&a, "(\"s\",)");
    a = lrc_arg_json("{"); /* invalid text: shown as given */
    repr_is(&a, "({,)");
}

/* Text is UTF-8 in the API and Latin-1 on the wire: what Latin-1 can
 * hold passes (still UTF-8: the shim converts), the rest is refused here,
 * naming the character, before anything is subscribed or sent. */
static void test_text_beyond_latin1(void **state)
{
    (void)state;
    lrc_tg_value v;
    lrc_error *err = NULL;
    lrc_arg ok = lrc_arg_string("\xc3\xa9 \xc2\xb0" "C \xc2\xb5s");
    assert_int_equal(lrc_arg_to_tango(&ok, LRC_TG_STRING, COMMAND, &v, &err), LRC_OK);
    assert_string_equal(v.s, "\xc3\xa9 \xc2\xb0" "C \xc2\xb5s");
    lrc_tg_value_clear(&v);

    lrc_arg arrow = lrc_arg_string("a \xe2\x86\x92 b");
    scribble(&v);
    assert_int_equal(lrc_arg_to_tango(&arrow, LRC_TG_STRING, COMMAND, &v, &err), LRC_EINVAL);
    assert_cleared(&v);
    assert_string_equal(lrc_error_message(err),
                        "argument of command 'MyCommand' holds U+2192 (character 2, byte offset "
                        "2), which cannot be sent to Tango: DevString text travels as Latin-1 "
                        "(U+0000..U+00FF)");
    lrc_error_free(err);
    err = NULL;

    const char *sv[] = {"x", "\xe2\x82\xac"};
    lrc_arg arr = lrc_arg_string_array(sv, 2);
    assert_int_equal(lrc_arg_to_tango(&arr, LRC_TG_STRING_ARRAY, COMMAND, &v, &err), LRC_EINVAL);
    assert_non_null(strstr(lrc_error_message(err), "argument of command 'MyCommand'[1] holds U+20AC"));
    lrc_error_free(err);
    err = NULL;

    /* JSON converted to a DevVarLongStringArray: the strings are checked;
     * JSON text sent as a DevString is ASCII (escaped) and passes. */
    lrc_arg js = lrc_arg_json("[[1], [\"\\u20ac\"]]");
    assert_int_equal(lrc_arg_to_tango(&js, LRC_TG_LONG_STRING_ARRAY, COMMAND, &v, &err),
                     LRC_EINVAL);
    lrc_error_free(err);
    err = NULL;
    lrc_arg obj = lrc_arg_json("{\"unit\": \"\\u20ac\"}");
    assert_int_equal(lrc_arg_to_tango(&obj, LRC_TG_STRING, COMMAND, &v, &err), LRC_OK);
    assert_string_equal(v.s, "{\"unit\": \"\\u20ac\"}");
    lrc_tg_value_clear(&v);
    assert_null(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_accepts_valid_arguments),
        cmocka_unit_test(test_check_rejects_invalid_arguments),
        cmocka_unit_test(test_check_reports_json_errors_with_position),
        cmocka_unit_test(test_no_argument_only_for_void),
        cmocka_unit_test(test_void_rejects_every_argument),
        cmocka_unit_test(test_unsendable_types),
        cmocka_unit_test(test_invalid_argument_names_the_command),
        cmocka_unit_test(test_boolean),
        cmocka_unit_test(test_integer_ranges),
        cmocka_unit_test(test_integer_messages),
        cmocka_unit_test(test_ulong64_bit_pattern_and_json_limit),
        cmocka_unit_test(test_integer_type_errors),
        cmocka_unit_test(test_integer_arrays_empty),
        cmocka_unit_test(test_boolean_array_accepts_json_booleans),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_float_range),
        cmocka_unit_test(test_real_arrays),
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_string_arrays),
        cmocka_unit_test(test_long_string_array),
        cmocka_unit_test(test_double_string_array),
        cmocka_unit_test(test_null_command_name),
        cmocka_unit_test(test_out_is_reset_not_freed),
        cmocka_unit_test(test_text_beyond_latin1),
        cmocka_unit_test(test_repr_scalars),
        cmocka_unit_test(test_repr_floats),
        cmocka_unit_test(test_repr_strings),
        cmocka_unit_test(test_repr_arrays_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
