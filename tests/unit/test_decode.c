/* Unit tests: decoding LRC events into the updates of one invocation
 * (spec 1.4, 1.5, 2.3; conformance points 13, 19-28 and 33). Values are
 * built by hand, pointing at string literals, as the shim would fill them. */
#include "core/decode.h"
#include "core/error_build.h"
#include "lrc/types.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A command ID as a real device makes them. A macro, so that expected
 * messages can be written as one literal. */
#define ID "1795594285.291185_220486277368583_Echo"
#define OTHER_ID "1795594285.301185_220486277368584_Sleep"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A DevString spectrum [sv[0], ..., sv[ns-1]] (not owned: never cleared). */
static lrc_tg_value strings(char **sv, size_t ns)
{
    lrc_tg_value v = {.type = LRC_TG_STRING_ARRAY, .sv = ns ? sv : NULL, .ns = ns};
    return v;
}

#define VALUE(...)                                                                           \
    strings((char *[]){__VA_ARGS__}, sizeof((char *[]){__VA_ARGS__}) / sizeof(char *))

/* Decodes v for ID and asserts LRC_OK. */
static void decode(lrc_stream_kind kind, const lrc_tg_value *v, lrc_decode_state *st,
                   lrc_decode_out *out)
{
    assert_int_equal(lrc_decode_value(kind, ID, v, st, out), LRC_OK);
}

/* The _lrcEvent [ID, json] decoded for ID. */
static void v2(const char *json, lrc_decode_out *out)
{
    lrc_tg_value v = VALUE(ID, (char *)json);
    decode(LRC_STREAM_LRC_EVENT, &v, NULL, out);
}

/* One plain update with a status, no logs. */
static void assert_status_only(const lrc_decode_out *out, lrc_status s, bool terminal)
{
    assert_int_equal(out->n, 1);
    assert_int_equal(out->nlogs, 0);
    assert_int_equal(out->upd[0].has, LRC_HAS_STATUS);
    assert_int_equal(out->upd[0].status, s);
    assert_int_equal(out->terminal, terminal);
}

static void assert_log(const lrc_decode_out *out, size_t i, int level, const char *text)
{
    assert_true(i < out->nlogs);
    assert_int_equal(out->logs[i].level, level);
    assert_string_equal(out->logs[i].text, text);
}

/* An error update made by the decoder: LRC_EJSON with one DevError. */
static void assert_error_update(const lrc_decoded *d, const char *reason, const char *msg)
{
    assert_int_equal(d->has, LRC_HAS_ERROR);
    assert_non_null(d->error);
    assert_int_equal(lrc_error_code(d->error), LRC_EJSON);
    assert_string_equal(lrc_error_message(d->error), msg);
    assert_int_equal(lrc_error_count(d->error), 1);
    const lrc_dev_error *e = lrc_error_at(d->error, 0);
    assert_string_equal(e->reason, reason);
    assert_string_equal(e->desc, msg);
    assert_string_equal(e->origin, "lrc_decode_value");
    assert_int_equal(e->severity, LRC_SEVERITY_ERR);
}

/* The whole outcome is one error update plus its error log line. */
static void assert_malformed(const lrc_decode_out *out, const char *msg)
{
    assert_int_equal(out->n, 1);
    assert_false(out->terminal);
    assert_error_update(&out->upd[0], "LRC_MalformedEvent", msg);
    assert_int_equal(out->nlogs, 1);
    assert_log(out, 0, LRC_LOG_ERROR, msg);
}

static void assert_ignored(const lrc_decode_out *out)
{
    assert_int_equal(out->n, 0);
    assert_int_equal(out->nlogs, 0);
    assert_false(out->terminal);
}

/* ------------------------------------------------------------------------
 * Attribute names
 * ---------------------------------------------------------------------- */

static void test_stream_names(void **state)
{
    assert_string_equal(lrc_stream_attr(LRC_STREAM_LRC_EVENT), "_lrcEvent");
    assert_string_equal(lrc_stream_attr(LRC_STREAM_V1_STATUS), "longRunningCommandStatus");
    assert_string_equal(lrc_stream_attr(LRC_STREAM_V1_PROGRESS), "longRunningCommandProgress");
    assert_string_equal(lrc_stream_attr(LRC_STREAM_V1_RESULT), "longRunningCommandResult");
    assert_null(lrc_stream_attr(LRC_STREAM_OTHER));

    for (int k = LRC_STREAM_LRC_EVENT; k < LRC_STREAM_OTHER; k++)
        assert_int_equal(lrc_stream_kind_of(lrc_stream_attr((lrc_stream_kind)k)), k);
    /* Tango lower-cases names in events and gives them in full */
    assert_int_equal(lrc_stream_kind_of("_lrcevent"), LRC_STREAM_LRC_EVENT);
    assert_int_equal(lrc_stream_kind_of("LONGRUNNINGCOMMANDSTATUS"), LRC_STREAM_V1_STATUS);
    assert_int_equal(lrc_stream_kind_of("tango://127.0.0.1:10000/test/lrc/1/_lrcevent"),
                     LRC_STREAM_LRC_EVENT);
    assert_int_equal(lrc_stream_kind_of("test/lrc/1/longrunningcommandprogress"),
                     LRC_STREAM_V1_PROGRESS);
    assert_int_equal(
        lrc_stream_kind_of("tango://127.0.0.1:10000/test/lrc/1/longrunningcommandresult#dbase=no"),
        LRC_STREAM_V1_RESULT);
    /* anything else */
    assert_int_equal(lrc_stream_kind_of(NULL), LRC_STREAM_OTHER);
    assert_int_equal(lrc_stream_kind_of(""), LRC_STREAM_OTHER);
    assert_int_equal(lrc_stream_kind_of("state"), LRC_STREAM_OTHER);
    assert_int_equal(lrc_stream_kind_of("lrcEvent"), LRC_STREAM_OTHER);
    assert_int_equal(lrc_stream_kind_of("_lrcEvents"), LRC_STREAM_OTHER);
    assert_int_equal(lrc_stream_kind_of("longRunningCommandsInQueue"), LRC_STREAM_OTHER);
    assert_int_equal(lrc_stream_kind_of("test/_lrcevent/1/state"), LRC_STREAM_OTHER);
    assert_int_equal(lrc_stream_kind_of("test/lrc/1/"), LRC_STREAM_OTHER);
}

/* ------------------------------------------------------------------------
 * Protocol v2: _lrcEvent
 * ---------------------------------------------------------------------- */

/* Spec 1.4, quick command as observed on ska-tango-base 1.3.2; point 18. */
static void test_v2_observed_quick_command(void **state)
{
    lrc_decode_out out;
    v2("{\"status\": 0}", &out);
    assert_status_only(&out, LRC_STATUS_STAGING, false);
    lrc_decode_out_clear(&out);
    v2("{\"status\": 1}", &out);
    assert_status_only(&out, LRC_STATUS_QUEUED, false);
    lrc_decode_out_clear(&out);
    v2("{\"status\": 2}", &out);
    assert_status_only(&out, LRC_STATUS_IN_PROGRESS, false);
    lrc_decode_out_clear(&out);

    v2("{\"status\": 5, \"result\": [0, \"hello\"]}", &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.nlogs, 0);
    const lrc_decoded *d = &out.upd[0];
    assert_int_equal(d->has, LRC_HAS_STATUS | LRC_HAS_RESULT | LRC_HAS_RESULT_CODE);
    assert_int_equal(d->status, LRC_STATUS_COMPLETED);
    assert_string_equal(d->result_json, "[0, \"hello\"]");
    assert_int_equal(d->result_code, LRC_RESULT_OK);
    assert_string_equal(d->result_message, "hello");
    assert_null(d->extra_json);
    assert_null(d->error);
    assert_true(out.terminal);
    lrc_decode_out_clear(&out);
}

static void test_v2_progress(void **state)
{
    static const int64_t values[] = {10, 100, 0, 33, -1, 1000000000000};
    static const char *const texts[] = {"{\"progress\": 10}", "{\"progress\": 100}",
                                        "{\"progress\": 0}", "{\"progress\": 33}",
                                        "{\"progress\": -1}", "{\"progress\": 1000000000000}"};
    for (size_t i = 0; i < COUNT(values); i++) {
        lrc_decode_out out;
        v2(texts[i], &out);
        assert_int_equal(out.n, 1);
        assert_int_equal(out.nlogs, 0);
        assert_int_equal(out.upd[0].has, LRC_HAS_PROGRESS);
        assert_int_equal(out.upd[0].progress, values[i]);
        assert_false(out.terminal);
        lrc_decode_out_clear(&out);
    }
}

/* Spec 1.4: abort and task failure end in one event with both keys. */
static void test_v2_observed_aborted_and_failed(void **state)
{
    lrc_decode_out out;
    v2("{\"status\": 3, \"result\": [7, \"Command has been aborted\"]}", &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.upd[0].has, LRC_HAS_STATUS | LRC_HAS_RESULT | LRC_HAS_RESULT_CODE);
    assert_int_equal(out.upd[0].status, LRC_STATUS_ABORTED);
    assert_int_equal(out.upd[0].result_code, LRC_RESULT_ABORTED);
    assert_string_equal(out.upd[0].result_message, "Command has been aborted");
    assert_string_equal(out.upd[0].result_json, "[7, \"Command has been aborted\"]");
    assert_true(out.terminal);
    lrc_decode_out_clear(&out);

    v2("{\"status\": 7, \"result\": [3, \"Unhandled exception during execution: boom\"]}", &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.upd[0].status, LRC_STATUS_FAILED);
    assert_int_equal(out.upd[0].result_code, LRC_RESULT_FAILED);
    assert_string_equal(out.upd[0].result_message, "Unhandled exception during execution: boom");
    assert_true(out.terminal);
    lrc_decode_out_clear(&out);
}

/* Points 21, 24, 25: every TaskStatus value, terminal exactly for ABORTED,
 * COMPLETED, REJECTED and FAILED. */
static void test_v2_every_status(void **state)
{
    for (int s = LRC_STATUS_STAGING; s <= LRC_STATUS_FAILED; s++) {
        char json[32];
        snprintf(json, sizeof json, "{\"status\": %d}", s);
        lrc_decode_out out;
        v2(json, &out);
        bool terminal = s == LRC_STATUS_ABORTED || s == LRC_STATUS_COMPLETED ||
                        s == LRC_STATUS_REJECTED || s == LRC_STATUS_FAILED;
        assert_status_only(&out, (lrc_status)s, terminal);
        lrc_decode_out_clear(&out);
    }
}

/* Point 20: keys this library does not know are forwarded, in order. */
static void test_v2_unknown_keys_forwarded(void **state)
{
    lrc_decode_out out;
    v2("{\"status\": 2, \"eta\": 12.5, \"stage\": \"slew\"}", &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.nlogs, 0);
    assert_int_equal(out.upd[0].has, LRC_HAS_STATUS | LRC_HAS_EXTRA);
    assert_int_equal(out.upd[0].status, LRC_STATUS_IN_PROGRESS);
    assert_string_equal(out.upd[0].extra_json, "{\"eta\": 12.5, \"stage\": \"slew\"}");
    lrc_decode_out_clear(&out);

    /* the event's order, not sorted; values of any type, as Python writes them */
    v2("{\"zeta\": [1, {\"k\": null}], \"progress\": 5, \"alpha\": \"caf\\u00e9\", "
       "\"result\": 1, \"mid\": true}",
       &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.upd[0].has, LRC_HAS_PROGRESS | LRC_HAS_RESULT | LRC_HAS_EXTRA);
    assert_int_equal(out.upd[0].progress, 5);
    assert_string_equal(out.upd[0].result_json, "1");
    assert_string_equal(out.upd[0].extra_json,
                        "{\"zeta\": [1, {\"k\": null}], \"alpha\": \"caf\\u00e9\", \"mid\": true}");
    assert_false(out.terminal);
    lrc_decode_out_clear(&out);

    /* a terminal status still ends the invocation when extras ride along */
    v2("{\"finished_time\": 1700000000.5, \"status\": 6}", &out);
    assert_int_equal(out.upd[0].has, LRC_HAS_STATUS | LRC_HAS_EXTRA);
    assert_string_equal(out.upd[0].extra_json, "{\"finished_time\": 1700000000.5}");
    assert_true(out.terminal);
    lrc_decode_out_clear(&out);
}

/* An empty object is still an event for this command: one empty update. */
static void test_v2_empty_object(void **state)
{
    lrc_decode_out out;
    v2("{}", &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.nlogs, 0);
    assert_int_equal(out.upd[0].has, 0);
    assert_false(out.terminal);
    lrc_decode_out_clear(&out);
}

/* Point 33: result of any JSON type, written exactly as Python's
 * json.dumps writes it (", " / ": ", non-ASCII as lower-case \uXXXX). */
static void test_v2_result_any_json(void **state)
{
    static const struct {
        const char *event;
        const char *result_json;
    } cases[] = {
        {"{\"result\": {\"a\": 1, \"b\": [true, false, null]}}",
         "{\"a\": 1, \"b\": [true, false, null]}"},
        {"{\"result\":[1,2,3]}", "[1, 2, 3]"},
        {"{\"result\": []}", "[]"},
        {"{\"result\": {}}", "{}"},
        {"{\"result\": \"done\"}", "\"done\""},
        {"{\"result\": \"\"}", "\"\""},
        {"{\"result\": 42}", "42"},
        {"{\"result\": -7}", "-7"},
        {"{\"result\": 2.5}", "2.5"},
        {"{\"result\": 1e3}", "1000.0"},
        {"{\"result\": true}", "true"},
        {"{\"result\": null}", "null"},
        {"{\"result\": {\"z\": {\"y\": [1, [2, [3, {\"x\": \"deep\"}]]]}, \"a\": 0}}",
         "{\"z\": {\"y\": [1, [2, [3, {\"x\": \"deep\"}]]]}, \"a\": 0}"},
        /* unicode: raw UTF-8 or escaped on the wire, escaped like Python */
        {"{\"result\": \"\xc3\xa9t\xc3\xa9\"}", "\"\\u00e9t\\u00e9\""},
        {"{\"result\": \"\\u00E9t\\u00e9\"}", "\"\\u00e9t\\u00e9\""},
        {"{\"result\": \"\xe2\x82\xac \xf0\x9f\x98\x80\"}", "\"\\u20ac \\ud83d\\ude00\""},
        {"{\"result\": {\"cl\xc3\xa9\": \"\\\\u00e9 \\\"q\\\" \\n\"}}",
         "{\"cl\\u00e9\": \"\\\\u00e9 \\\"q\\\" \\n\"}"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        lrc_decode_out out;
        v2(cases[i].event, &out);
        assert_int_equal(out.n, 1);
        assert_int_equal(out.nlogs, 0);
        assert_int_equal(out.upd[0].has, LRC_HAS_RESULT);
        assert_string_equal(out.upd[0].result_json, cases[i].result_json);
        assert_null(out.upd[0].result_message);
        assert_false(out.terminal);
        lrc_decode_out_clear(&out);
    }
}

/* [int, "text"] gives the typed code and message; no other shape does. */
static void test_v2_result_code_shape(void **state)
{
    lrc_decode_out out;
    v2("{\"result\": [2, \"caf\\u00e9 \\u2603\"]}", &out);
    assert_int_equal(out.upd[0].has, LRC_HAS_RESULT | LRC_HAS_RESULT_CODE);
    assert_int_equal(out.upd[0].result_code, 2);
    assert_string_equal(out.upd[0].result_message, "caf\xc3\xa9 \xe2\x98\x83");
    assert_string_equal(out.upd[0].result_json, "[2, \"caf\\u00e9 \\u2603\"]");
    lrc_decode_out_clear(&out);

    static const char *const not_a_code[] = {
        "{\"result\": [0, \"hello\", 1]}", "{\"result\": [0]}",
        "{\"result\": [\"0\", \"hello\"]}", "{\"result\": [0, 5]}",
        "{\"result\": [0.0, \"hello\"]}",  "{\"result\": [true, \"hello\"]}",
        "{\"result\": [3000000000, \"x\"]}", "{\"result\": {\"0\": \"hello\"}}",
    };
    for (size_t i = 0; i < COUNT(not_a_code); i++) {
        v2(not_a_code[i], &out);
        assert_int_equal(out.n, 1);
        assert_int_equal(out.upd[0].has, LRC_HAS_RESULT);
        assert_null(out.upd[0].result_message);
        lrc_decode_out_clear(&out);
    }
}

/* Point 22: the error update first, then the delivery without status. */
static void test_v2_unknown_status(void **state)
{
    static const struct {
        const char *event;
        const char *raw;
    } cases[] = {
        {"{\"status\": 8}", "8"},
        {"{\"status\": -1}", "-1"},
        {"{\"status\": 99999999999}", "99999999999"},
        {"{\"status\": \"COMPLETED\"}", "\"COMPLETED\""},
        {"{\"status\": 5.0}", "5.0"},
        {"{\"status\": null}", "null"},
        {"{\"status\": true}", "true"},
        {"{\"status\": [5]}", "[5]"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char msg[128];
        snprintf(msg, sizeof msg, "Received unknown TaskStatus from '" ID "' command: %s",
                 cases[i].raw);
        lrc_decode_out out;
        v2(cases[i].event, &out);
        assert_int_equal(out.n, 2);
        assert_error_update(&out.upd[0], "LRC_UnknownTaskStatus", msg);
        assert_int_equal(out.upd[1].has, LRC_HAS_UNKNOWN_STATUS);
        assert_string_equal(out.upd[1].status_raw, cases[i].raw);
        assert_int_equal(out.nlogs, 1);
        assert_log(&out, 0, LRC_LOG_ERROR, msg);
        assert_false(out.terminal); /* no unsubscribe */
        lrc_decode_out_clear(&out);
    }

    /* the other keys still arrive with the status-less delivery */
    lrc_decode_out out;
    v2("{\"status\": 42, \"result\": [0, \"ok\"], \"eta\": 1}", &out);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.upd[1].has, LRC_HAS_UNKNOWN_STATUS | LRC_HAS_RESULT |
                                         LRC_HAS_RESULT_CODE | LRC_HAS_EXTRA);
    assert_string_equal(out.upd[1].status_raw, "42");
    assert_string_equal(out.upd[1].result_json, "[0, \"ok\"]");
    assert_string_equal(out.upd[1].extra_json, "{\"eta\": 1}");
    assert_false(out.terminal);
    lrc_decode_out_clear(&out);
}

/* Point 23: the typed progress is absent, a warning names the Python type,
 * the raw value is among the unknown keys (at its place). */
static void test_v2_non_int_progress(void **state)
{
    static const struct {
        const char *event;
        const char *type;
        const char *extra;
    } cases[] = {
        {"{\"progress\": \"50\"}", "str", "{\"progress\": \"50\"}"},
        {"{\"progress\": 12.5}", "float", "{\"progress\": 12.5}"},
        {"{\"progress\": 50.0}", "float", "{\"progress\": 50.0}"},
        {"{\"progress\": true}", "bool", "{\"progress\": true}"},
        {"{\"progress\": false}", "bool", "{\"progress\": false}"},
        {"{\"progress\": [1, 2]}", "list", "{\"progress\": [1, 2]}"},
        {"{\"progress\": {\"a\": 1}}", "dict", "{\"progress\": {\"a\": 1}}"},
        {"{\"progress\": null}", "NoneType", "{\"progress\": null}"},
        {"{\"stage\": \"a\", \"progress\": 1.5, \"eta\": 3}", "float",
         "{\"stage\": \"a\", \"progress\": 1.5, \"eta\": 3}"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "'" ID "' command progress is not an int, but %s. Its type may be checked and "
                 "enforced in the future.",
                 cases[i].type);
        lrc_decode_out out;
        v2(cases[i].event, &out);
        assert_int_equal(out.n, 1);
        assert_int_equal(out.upd[0].has, LRC_HAS_EXTRA);
        assert_string_equal(out.upd[0].extra_json, cases[i].extra);
        assert_int_equal(out.nlogs, 1);
        assert_log(&out, 0, LRC_LOG_WARNING, msg);
        lrc_decode_out_clear(&out);
    }
}

/* Both oddities in one event: the logs in the Python client's order
 * (status first), whatever the order of the keys. */
static void test_v2_unknown_status_and_bad_progress(void **state)
{
    lrc_decode_out out;
    v2("{\"progress\": \"x\", \"status\": \"RUNNING\"}", &out);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.nlogs, 2);
    assert_log(&out, 0, LRC_LOG_ERROR,
               "Received unknown TaskStatus from '" ID "' command: \"RUNNING\"");
    assert_log(&out, 1, LRC_LOG_WARNING,
               "'" ID "' command progress is not an int, but str. Its type may be checked and "
               "enforced in the future.");
    assert_int_equal(out.upd[0].has, LRC_HAS_ERROR);
    assert_int_equal(out.upd[1].has, LRC_HAS_UNKNOWN_STATUS | LRC_HAS_EXTRA);
    assert_string_equal(out.upd[1].status_raw, "\"RUNNING\"");
    assert_string_equal(out.upd[1].extra_json, "{\"progress\": \"x\"}");
    lrc_decode_out_clear(&out);
}

/* Points 13 and 28: initial values, other types, other commands. */
static void test_v2_ignored(void **state)
{
    lrc_decode_out out;
    lrc_tg_value values[] = {
        strings(NULL, 0),          /* the initial empty value of _lrcEvent */
        VALUE("", ""),             /* an empty pair                         */
        VALUE(""),                 /*                                       */
        VALUE(OTHER_ID, "{\"status\": 5}"),
        VALUE(ID "2", "{\"status\": 5}"),    /* a longer ID sharing our prefix */
        VALUE("1795594285.291185", "{\"status\": 5}"), /* a prefix of ours    */
        VALUE(OTHER_ID, ID),                /* our ID, but not at the front  */
        VALUE(OTHER_ID),
    };
    for (size_t i = 0; i < COUNT(values); i++) {
        decode(LRC_STREAM_LRC_EVENT, &values[i], NULL, &out);
        assert_ignored(&out);
    }

    /* not a string spectrum */
    lrc_tg_value scalar = {.type = LRC_TG_STRING, .s = (char *)ID};
    decode(LRC_STREAM_LRC_EVENT, &scalar, NULL, &out);
    assert_ignored(&out);
    lrc_tg_value longs = {.type = LRC_TG_LONG_STRING_ARRAY,
                          .sv = (char *[]){ID, "{\"status\": 5}"}, .ns = 2};
    decode(LRC_STREAM_LRC_EVENT, &longs, NULL, &out);
    assert_ignored(&out);
    lrc_tg_value nothing = {.type = LRC_TG_VOID};
    decode(LRC_STREAM_LRC_EVENT, &nothing, NULL, &out);
    assert_ignored(&out);
    decode(LRC_STREAM_LRC_EVENT, NULL, NULL, &out);
    assert_ignored(&out);

    /* an empty command ID matches nothing, not even ["", ""] */
    lrc_tg_value empty = VALUE("", "{\"status\": 5}");
    assert_int_equal(lrc_decode_value(LRC_STREAM_LRC_EVENT, "", &empty, NULL, &out), LRC_OK);
    assert_ignored(&out);
    assert_int_equal(lrc_decode_value(LRC_STREAM_LRC_EVENT, NULL, &empty, NULL, &out), LRC_OK);
    assert_ignored(&out);

    /* a stream that is no LRC attribute */
    lrc_tg_value ours = VALUE(ID, "{\"status\": 5}");
    decode(LRC_STREAM_OTHER, &ours, NULL, &out);
    assert_ignored(&out);

    assert_int_equal(lrc_decode_value(LRC_STREAM_LRC_EVENT, ID, &ours, NULL, NULL), LRC_EINVAL);
}

/* Point 27 and malformed JSON: an error update and an error log line. */
static void test_v2_malformed(void **state)
{
    lrc_decode_out out;
    lrc_tg_value id_only = VALUE(ID);
    decode(LRC_STREAM_LRC_EVENT, &id_only, NULL, &out);
    assert_malformed(&out, "'" ID "' command has no status/progress/result value");
    lrc_decode_out_clear(&out);

    static const char *const texts[] = {
        "not json", "", "[1, 2]", "\"status\"", "5", "null", "{'status': 1}",
        "{\"status\": 12,}", "{\"status\": \"5\"",
    };
    for (size_t i = 0; i < COUNT(texts); i++) {
        char msg[128];
        snprintf(msg, sizeof msg, "'" ID "' command sent a malformed event: %s", texts[i]);
        v2(texts[i], &out);
        assert_malformed(&out, msg);
        lrc_decode_out_clear(&out);
    }

    /* Not JSON even to Python, but with a status: the error, then the
     * status, so that a final one still ends the invocation. */
    static const struct {
        const char *text;
        lrc_status status;
    } with_status[] = {
        {"{\"status\": 1} x", LRC_STATUS_QUEUED},
        {"{\"status\": 2,}", LRC_STATUS_IN_PROGRESS},
        {"{\"status\": 5, \"result\": [0, \"trunc", LRC_STATUS_COMPLETED},
        {"{\"result\": [0, x], \"status\" :7}", LRC_STATUS_FAILED},
    };
    for (size_t i = 0; i < COUNT(with_status); i++) {
        char msg[128];
        snprintf(msg, sizeof msg, "'" ID "' command sent a malformed event: %s",
                 with_status[i].text);
        v2(with_status[i].text, &out);
        assert_int_equal(out.n, 2);
        assert_error_update(&out.upd[0], "LRC_MalformedEvent", msg);
        assert_int_equal(out.upd[1].has, LRC_HAS_STATUS);
        assert_int_equal(out.upd[1].status, with_status[i].status);
        assert_int_equal(out.terminal, lrc_status_is_terminal(with_status[i].status));
        lrc_decode_out_clear(&out);
    }
}

/* Python's json reads what json.dumps writes for non-finite floats, and
 * numbers of any size: they are kept as written. */
static void test_v2_python_json(void **state)
{
    (void)state;
    lrc_decode_out out;
    v2("{\"status\": NaN}", &out); /* JSON to Python: an unknown status */
    assert_int_equal(out.n, 2);
    assert_int_equal(out.upd[1].has, LRC_HAS_UNKNOWN_STATUS);
    assert_string_equal(out.upd[1].status_raw, "NaN");
    lrc_decode_out_clear(&out);

    v2("{\"progress\": 1e999, \"result\": [-Infinity, 99999999999999999999]}", &out);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.upd[0].result_json, "[-Infinity, 99999999999999999999]");
    assert_string_equal(out.upd[0].extra_json, "{\"progress\": 1e999}");
    lrc_decode_out_clear(&out);

    v2("{\"result\": [\"NaN\", \"a\\\"NaN\", 1.5e3, -0]}", &out); /* strict JSON untouched */
    assert_string_equal(out.upd[0].result_json, "[\"NaN\", \"a\\\"NaN\", 1500.0, 0]");
    lrc_decode_out_clear(&out);

    v2("{\"status\": 5, \"result\": [0, \"caf\xe9\"]}", &out); /* Latin-1 */
    assert_true(out.terminal);
    assert_string_equal(out.upd[0].result_json, "[0, \"caf\\u00e9\"]");
    lrc_decode_out_clear(&out);
}

/* ------------------------------------------------------------------------
 * Protocol v1: longRunningCommandStatus
 * ---------------------------------------------------------------------- */

static void v1_status(lrc_tg_value v, lrc_decode_state *st, lrc_decode_out *out)
{
    decode(LRC_STREAM_V1_STATUS, &v, st, out);
}

/* Our ID anywhere in the shared list; its value is the next element. */
static void test_v1_status_lookup(void **state)
{
    lrc_decode_state st = {0};
    lrc_decode_out out;
    v1_status(VALUE(ID, "QUEUED"), &st, &out);
    assert_status_only(&out, LRC_STATUS_QUEUED, false);
    lrc_decode_out_clear(&out);
    v1_status(VALUE(OTHER_ID, "COMPLETED", ID, "IN_PROGRESS", "x", "ABORTED"), &st, &out);
    assert_status_only(&out, LRC_STATUS_IN_PROGRESS, false);
    lrc_decode_out_clear(&out);
    /* the first occurrence wins, as list.index */
    v1_status(VALUE(ID, "COMPLETED", ID, "ABORTED"), &st, &out);
    assert_status_only(&out, LRC_STATUS_COMPLETED, true);
    lrc_decode_out_clear(&out);
    lrc_decode_state_clear(&st);
    assert_null(st.v1_last_status);
}

/* Points 24, 25 for v1 names. */
static void test_v1_status_every_name(void **state)
{
    static const char *const names[] = {"STAGING", "QUEUED",    "IN_PROGRESS", "ABORTED",
                                        "NOT_FOUND", "COMPLETED", "REJECTED",    "FAILED"};
    for (int s = 0; s < (int)COUNT(names); s++) {
        lrc_decode_state st = {0};
        lrc_decode_out out;
        v1_status(VALUE(ID, (char *)names[s]), &st, &out);
        assert_status_only(&out, (lrc_status)s, lrc_status_is_terminal(s));
        lrc_decode_out_clear(&out);
        lrc_decode_state_clear(&st);
    }
    /* spelled out, not only through lrc_status_is_terminal */
    lrc_decode_out out;
    v1_status(VALUE(ID, "NOT_FOUND"), NULL, &out);
    assert_false(out.terminal);
    lrc_decode_out_clear(&out);
    v1_status(VALUE(ID, "REJECTED"), NULL, &out);
    assert_true(out.terminal);
    lrc_decode_out_clear(&out);
}

/* Our documented difference: an unchanged status is delivered once. */
static void test_v1_status_repeats_suppressed(void **state)
{
    lrc_decode_state st = {0}, other = {0};
    lrc_decode_out out;
    v1_status(VALUE(ID, "IN_PROGRESS"), &st, &out);
    assert_status_only(&out, LRC_STATUS_IN_PROGRESS, false);
    lrc_decode_out_clear(&out);
    /* another command changed: the list is pushed again with ours unchanged */
    v1_status(VALUE(OTHER_ID, "QUEUED", ID, "IN_PROGRESS"), &st, &out);
    assert_ignored(&out);
    v1_status(VALUE(OTHER_ID, "ABORTED", ID, "IN_PROGRESS"), &st, &out);
    assert_ignored(&out);
    /* suppression is per invocation: another state still gets it */
    v1_status(VALUE(ID, "IN_PROGRESS"), &other, &out);
    assert_status_only(&out, LRC_STATUS_IN_PROGRESS, false);
    lrc_decode_out_clear(&out);
    /* without a state nothing is suppressed */
    v1_status(VALUE(ID, "IN_PROGRESS"), NULL, &out);
    assert_status_only(&out, LRC_STATUS_IN_PROGRESS, false);
    lrc_decode_out_clear(&out);
    /* a change is delivered, and so is going back */
    v1_status(VALUE(ID, "QUEUED"), &st, &out);
    assert_status_only(&out, LRC_STATUS_QUEUED, false);
    lrc_decode_out_clear(&out);
    v1_status(VALUE(ID, "IN_PROGRESS"), &st, &out);
    assert_status_only(&out, LRC_STATUS_IN_PROGRESS, false);
    lrc_decode_out_clear(&out);
    v1_status(VALUE(ID, "COMPLETED"), &st, &out);
    assert_status_only(&out, LRC_STATUS_COMPLETED, true);
    lrc_decode_out_clear(&out);
    v1_status(VALUE(ID, "COMPLETED"), &st, &out);
    assert_ignored(&out);
    /* events without our ID leave the memory alone */
    v1_status(VALUE(OTHER_ID, "QUEUED"), &st, &out);
    assert_ignored(&out);
    assert_string_equal(st.v1_last_status, "COMPLETED");
    lrc_decode_state_clear(&st);
    lrc_decode_state_clear(&other);
    lrc_decode_state_clear(NULL);
}

static void test_v1_status_unknown_name(void **state)
{
    lrc_decode_state st = {0};
    lrc_decode_out out;
    v1_status(VALUE(OTHER_ID, "QUEUED", ID, "BOGUS"), &st, &out);
    assert_int_equal(out.n, 2);
    assert_error_update(&out.upd[0], "LRC_UnknownTaskStatus",
                        "Received unknown TaskStatus from '" ID "' command: BOGUS");
    assert_int_equal(out.upd[1].has, LRC_HAS_UNKNOWN_STATUS);
    assert_string_equal(out.upd[1].status_raw, "\"BOGUS\"");
    assert_int_equal(out.nlogs, 1);
    assert_log(&out, 0, LRC_LOG_ERROR, "Received unknown TaskStatus from '" ID "' command: BOGUS");
    assert_false(out.terminal);
    lrc_decode_out_clear(&out);
    /* the same unknown text again is a repeat too */
    v1_status(VALUE(ID, "BOGUS"), &st, &out);
    assert_ignored(&out);

    /* names are exact upper case; odd bytes are quoted as Latin-1 */
    v1_status(VALUE(ID, "completed"), &st, &out);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.upd[1].status_raw, "\"completed\"");
    lrc_decode_out_clear(&out);
    v1_status(VALUE(ID, "\"q\" \xe9"), &st, &out);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.upd[1].status_raw, "\"\\\"q\\\" \\u00e9\"");
    lrc_decode_out_clear(&out);
    v1_status(VALUE(ID, ""), &st, &out);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.upd[1].status_raw, "\"\"");
    lrc_decode_out_clear(&out);
    lrc_decode_state_clear(&st);
}

static void test_v1_status_malformed_and_ignored(void **state)
{
    lrc_decode_state st = {0};
    lrc_decode_out out;
    v1_status(VALUE(OTHER_ID, "QUEUED", ID), &st, &out);
    assert_malformed(&out, "'" ID "' command has no status value");
    lrc_decode_out_clear(&out);
    assert_null(st.v1_last_status);

    lrc_tg_value ignored[] = {strings(NULL, 0), VALUE("", ""), VALUE(OTHER_ID, "QUEUED"),
                              VALUE(OTHER_ID, "QUEUED", ID "x", "COMPLETED")};
    for (size_t i = 0; i < COUNT(ignored); i++) {
        decode(LRC_STREAM_V1_STATUS, &ignored[i], &st, &out);
        assert_ignored(&out);
    }
    lrc_decode_state_clear(&st);
}

/* ------------------------------------------------------------------------
 * Protocol v1: longRunningCommandProgress
 * ---------------------------------------------------------------------- */

static void v1_progress(lrc_tg_value v, lrc_decode_out *out)
{
    decode(LRC_STREAM_V1_PROGRESS, &v, NULL, out);
}

static void test_v1_progress(void **state)
{
    static const struct {
        const char *text;
        int64_t value;
    } ints[] = {{"33", 33}, {"100", 100}, {"0", 0}, {" 66 ", 66}, {"\t7\n", 7},
                {"+5", 5},  {"-1", -1},   {"007", 7}};
    for (size_t i = 0; i < COUNT(ints); i++) {
        lrc_decode_out out;
        v1_progress(VALUE(OTHER_ID, "10", ID, (char *)ints[i].text), &out);
        assert_int_equal(out.n, 1);
        assert_int_equal(out.nlogs, 0);
        assert_int_equal(out.upd[0].has, LRC_HAS_PROGRESS);
        assert_int_equal(out.upd[0].progress, ints[i].value);
        assert_false(out.terminal);
        lrc_decode_out_clear(&out);
    }

    /* no repeat suppression for progress */
    for (int k = 0; k < 2; k++) {
        lrc_decode_out out;
        v1_progress(VALUE(ID, "50"), &out);
        assert_int_equal(out.n, 1);
        assert_int_equal(out.upd[0].progress, 50);
        lrc_decode_out_clear(&out);
    }
}

static void test_v1_progress_not_int(void **state)
{
    static const struct {
        const char *text;
        const char *extra;
    } cases[] = {
        {"33.5", "{\"progress\": \"33.5\"}"},
        {"", "{\"progress\": \"\"}"},
        {"  ", "{\"progress\": \"  \"}"},
        {"abc", "{\"progress\": \"abc\"}"},
        {"5 5", "{\"progress\": \"5 5\"}"},
        {"0x10", "{\"progress\": \"0x10\"}"},
        {"99999999999999999999", "{\"progress\": \"99999999999999999999\"}"},
        {"50%", "{\"progress\": \"50%\"}"},
        {"\xc3\xa9", "{\"progress\": \"\\u00e9\"}"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        lrc_decode_out out;
        v1_progress(VALUE(ID, (char *)cases[i].text), &out);
        assert_int_equal(out.n, 1);
        assert_int_equal(out.upd[0].has, LRC_HAS_EXTRA);
        assert_string_equal(out.upd[0].extra_json, cases[i].extra);
        assert_int_equal(out.nlogs, 1);
        assert_log(&out, 0, LRC_LOG_WARNING,
                   "'" ID "' command progress is not an int, but str. Its type may be checked "
                   "and enforced in the future.");
        lrc_decode_out_clear(&out);
    }
}

static void test_v1_progress_malformed_and_ignored(void **state)
{
    lrc_decode_out out;
    v1_progress(VALUE(OTHER_ID, "10", ID), &out);
    assert_malformed(&out, "'" ID "' command has no progress value");
    lrc_decode_out_clear(&out);

    lrc_tg_value ignored[] = {strings(NULL, 0), VALUE("", ""), VALUE(OTHER_ID, "10")};
    for (size_t i = 0; i < COUNT(ignored); i++) {
        decode(LRC_STREAM_V1_PROGRESS, &ignored[i], NULL, &out);
        assert_ignored(&out);
    }
}

/* ------------------------------------------------------------------------
 * Protocol v1: longRunningCommandResult
 * ---------------------------------------------------------------------- */

static void v1_result(lrc_tg_value v, lrc_decode_out *out)
{
    decode(LRC_STREAM_V1_RESULT, &v, NULL, out);
}

/* Point 19: the result arrives before the terminal status, never terminal
 * itself; then the status ends the invocation. */
static void test_v1_result_then_status(void **state)
{
    lrc_decode_state st = {0};
    lrc_decode_out out;
    v1_result(VALUE(ID, "[7, \"Command has been aborted\"]"), &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.nlogs, 0);
    assert_int_equal(out.upd[0].has, LRC_HAS_RESULT | LRC_HAS_RESULT_CODE);
    assert_string_equal(out.upd[0].result_json, "[7, \"Command has been aborted\"]");
    assert_int_equal(out.upd[0].result_code, LRC_RESULT_ABORTED);
    assert_string_equal(out.upd[0].result_message, "Command has been aborted");
    assert_false(out.terminal);
    lrc_decode_out_clear(&out);

    v1_status(VALUE(ID, "ABORTED"), &st, &out);
    assert_status_only(&out, LRC_STATUS_ABORTED, true);
    lrc_decode_out_clear(&out);
    lrc_decode_state_clear(&st);
}

static void test_v1_result_any_json(void **state)
{
    static const struct {
        const char *text;
        const char *result_json;
    } cases[] = {
        {"{\"a\":1,\"b\":[true,null]}", "{\"a\": 1, \"b\": [true, null]}"},
        {"[1, [2, [3]]]", "[1, [2, [3]]]"},
        {"\"text\"", "\"text\""},
        {"3", "3"},
        {"-2.25", "-2.25"},
        {"null", "null"},
        {"false", "false"},
        {" [0, \"caf\xc3\xa9\"] ", "[0, \"caf\\u00e9\"]"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        lrc_decode_out out;
        v1_result(VALUE(ID, (char *)cases[i].text), &out);
        assert_int_equal(out.n, 1);
        assert_int_equal(out.nlogs, 0);
        assert_true(out.upd[0].has & LRC_HAS_RESULT);
        assert_string_equal(out.upd[0].result_json, cases[i].result_json);
        assert_false(out.terminal);
        lrc_decode_out_clear(&out);
    }
}

static void test_v1_result_malformed_and_ignored(void **state)
{
    lrc_decode_out out;
    v1_result(VALUE(ID), &out);
    assert_malformed(&out, "'" ID "' command has no result value");
    lrc_decode_out_clear(&out);
    v1_result(VALUE(ID, "{bad"), &out);
    assert_malformed(&out, "'" ID "' command sent a malformed result: {bad");
    lrc_decode_out_clear(&out);
    v1_result(VALUE(ID, ""), &out);
    assert_malformed(&out, "'" ID "' command sent a malformed result: ");
    lrc_decode_out_clear(&out);

    /* the initial ["", ""], other commands' results, and our ID anywhere
     * but in front (the attribute holds only the latest result) */
    lrc_tg_value ignored[] = {strings(NULL, 0), VALUE("", ""),
                              VALUE(OTHER_ID, "[0, \"x\"]"),
                              VALUE(OTHER_ID, "[0, \"x\"]", ID, "[0, \"y\"]")};
    for (size_t i = 0; i < COUNT(ignored); i++) {
        decode(LRC_STREAM_V1_RESULT, &ignored[i], NULL, &out);
        assert_ignored(&out);
    }
}

/* ------------------------------------------------------------------------
 * Tango error events
 * ---------------------------------------------------------------------- */

/* Point 26: the DevError stack, copied, and one error log line. */
static void test_error_event(void **state)
{
    lrc_error *e = lrc_error_new(LRC_ETANGO, "Event channel is not responding anymore");
    assert_int_equal(lrc_error_push(e, "API_EventTimeout",
                                    "Event channel is not responding anymore", "origin1",
                                    LRC_SEVERITY_ERR),
                     LRC_OK);
    assert_int_equal(lrc_error_push(e, "API_Outer", "outer layer", "origin2", LRC_SEVERITY_WARN),
                     LRC_OK);
    lrc_decode_out out;
    assert_int_equal(lrc_decode_error(ID, e, &out), LRC_OK);
    assert_int_equal(out.n, 1);
    assert_false(out.terminal);
    assert_int_equal(out.upd[0].has, LRC_HAS_ERROR);
    const lrc_error *c = out.upd[0].error;
    assert_non_null(c);
    assert_ptr_not_equal(c, e);
    assert_int_equal(lrc_error_code(c), LRC_ETANGO);
    assert_string_equal(lrc_error_message(c), "Event channel is not responding anymore");
    assert_int_equal(lrc_error_count(c), 2);
    assert_string_equal(lrc_error_at(c, 0)->reason, "API_EventTimeout");
    assert_string_equal(lrc_error_at(c, 1)->desc, "outer layer");
    assert_string_equal(lrc_error_at(c, 1)->origin, "origin2");
    assert_int_equal(lrc_error_at(c, 1)->severity, LRC_SEVERITY_WARN);
    assert_int_equal(out.nlogs, 1);
    assert_log(&out, 0, LRC_LOG_ERROR,
               "'" ID "' command encountered error(s): API_EventTimeout: Event channel is not "
               "responding anymore; API_Outer: outer layer");
    lrc_decode_out_clear(&out);
    lrc_error_free(e);

    /* no DevError stack: the message */
    e = lrc_error_new(LRC_ETANGO, "device restarted");
    assert_int_equal(lrc_decode_error(ID, e, &out), LRC_OK);
    assert_int_equal(out.n, 1);
    assert_int_equal(lrc_error_count(out.upd[0].error), 0);
    assert_string_equal(lrc_error_message(out.upd[0].error), "device restarted");
    assert_log(&out, 0, LRC_LOG_ERROR, "'" ID "' command encountered error(s): device restarted");
    lrc_decode_out_clear(&out);

    assert_int_equal(lrc_decode_error(ID, NULL, &out), LRC_EINVAL);
    assert_ignored(&out);
    assert_int_equal(lrc_decode_error(NULL, e, &out), LRC_EINVAL);
    assert_int_equal(lrc_decode_error(ID, e, NULL), LRC_EINVAL);
    lrc_error_free(e);
}

/* ------------------------------------------------------------------------
 * Out of memory inside jansson (parsing and writing JSON)
 * ---------------------------------------------------------------------- */

static long alloc_budget = -1; /* jansson allocations left; < 0: unlimited */

static void *budget_malloc(size_t n)
{
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return malloc(n);
}

static void budget_free(void *p)
{
    free(p);
}

static bool is_zeroed(const lrc_decode_out *out)
{
    static const lrc_decode_out zero;
    return memcmp(out, &zero, sizeof zero) == 0;
}

/* Runs one decode with 0, 1, 2, ... jansson allocations allowed until it
 * succeeds: every failure is LRC_ENOMEM with nothing left in out (leaks
 * are for ASan and valgrind to find), and the state is untouched. */
static void fail_each_allocation(lrc_stream_kind kind, lrc_tg_value v, size_t want_n)
{
    bool saw_enomem = false;
    for (long budget = 0;; budget++) {
        lrc_decode_state st = {0};
        lrc_decode_out out;
        alloc_budget = budget;
        int rc = lrc_decode_value(kind, ID, &v, &st, &out);
        alloc_budget = -1;
        assert_true(rc == LRC_OK || rc == LRC_ENOMEM);
        if (rc == LRC_ENOMEM) {
            saw_enomem = true;
            assert_true(is_zeroed(&out));
            assert_null(st.v1_last_status);
            continue;
        }
        /* jansson's parser reports some failures as syntax errors: those
         * come out as malformed events, which is fine; the budget that lets
         * everything through gives the full outcome. */
        bool complete = out.n == want_n && !(out.upd[0].has == LRC_HAS_ERROR && want_n == 1);
        lrc_decode_out_clear(&out);
        lrc_decode_state_clear(&st);
        if (complete)
            break;
        assert_true(budget < 1000);
    }
    assert_true(saw_enomem);
}

static void test_out_of_memory_in_json(void **state)
{
    json_set_alloc_funcs(budget_malloc, budget_free);
    fail_each_allocation(LRC_STREAM_LRC_EVENT,
                         VALUE(ID, "{\"status\": \"X\", \"progress\": 1.5, \"eta\": [1, 2], "
                                   "\"result\": [0, \"done\"]}"),
                         2);
    fail_each_allocation(LRC_STREAM_LRC_EVENT, VALUE(ID, "{\"status\": 5, \"result\": {}}"), 1);
    fail_each_allocation(LRC_STREAM_V1_RESULT, VALUE(ID, "[0, \"hello\"]"), 1);
    fail_each_allocation(LRC_STREAM_V1_PROGRESS, VALUE(ID, "half"), 1);
    fail_each_allocation(LRC_STREAM_V1_STATUS, VALUE(ID, "BOGUS"), 2);
    json_set_alloc_funcs(malloc, free);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_names),
        cmocka_unit_test(test_v2_observed_quick_command),
        cmocka_unit_test(test_v2_progress),
        cmocka_unit_test(test_v2_observed_aborted_and_failed),
        cmocka_unit_test(test_v2_every_status),
        cmocka_unit_test(test_v2_unknown_keys_forwarded),
        cmocka_unit_test(test_v2_empty_object),
        cmocka_unit_test(test_v2_result_any_json),
        cmocka_unit_test(test_v2_result_code_shape),
        cmocka_unit_test(test_v2_unknown_status),
        cmocka_unit_test(test_v2_non_int_progress),
        cmocka_unit_test(test_v2_unknown_status_and_bad_progress),
        cmocka_unit_test(test_v2_ignored),
        cmocka_unit_test(test_v2_malformed),
        cmocka_unit_test(test_v2_python_json),
        cmocka_unit_test(test_v1_status_lookup),
        cmocka_unit_test(test_v1_status_every_name),
        cmocka_unit_test(test_v1_status_repeats_suppressed),
        cmocka_unit_test(test_v1_status_unknown_name),
        cmocka_unit_test(test_v1_status_malformed_and_ignored),
        cmocka_unit_test(test_v1_progress),
        cmocka_unit_test(test_v1_progress_not_int),
        cmocka_unit_test(test_v1_progress_malformed_and_ignored),
        cmocka_unit_test(test_v1_result_then_status),
        cmocka_unit_test(test_v1_result_any_json),
        cmocka_unit_test(test_v1_result_malformed_and_ignored),
        cmocka_unit_test(test_error_event),
        cmocka_unit_test(test_out_of_memory_in_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
