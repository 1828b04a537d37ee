/* Unit tests of lrc/device.h: the command-list parser on its own (pure:
 * both kits' items, unknown keys, malformed items, v1 lists), and the
 * device functions over the scripted fake device (fake_transport.h):
 * protocol info, listing commands, CheckLongRunningCommandStatus, plain
 * commands, and watches of every command (v2 and v1).
 *
 * Watch callbacks run on a real scheduler (one worker) and are recorded
 * under a mutex. Pushes of the fake are routed synchronously, so once a
 * push returned its callbacks are queued: flushing the proxy's queue on
 * that scheduler (barrier) waits until they ran, which is how the tests
 * show that something was NOT delivered. */
#include "core/client_internal.h" /* lrc_proxy_open_with, lrc_proxy_queue */
#include "core/command_list.h"
#include "fake_transport.h"
#include "lrc/device.h"
#include "test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICE "test/fake/1"
#define LRC_EVENT "_lrcEvent"
#define V1_STATUS "longRunningCommandStatus"
#define V1_PROGRESS "longRunningCommandProgress"
#define V1_RESULT "longRunningCommandResult"
#define TIMEOUT_DESC "Event channel is not responding anymore"


/* ========================================================================
 * The item parser, without any transport
 * ====================================================================== */

typedef struct winfo {
    lrc_command_source source;
    const char *id, *name;
    lrc_status status;
    int64_t progress; /* -1: none */
    const char *submitted, *started, *finished;
    const char *result;  /* result_json */
    int code;            /* -1: no result code */
    const char *message; /* with code */
    const char *extra;
} winfo;

static void assert_opt_string(const char *got, const char *wanted)
{
    if (!wanted)
        assert_null(got);
    else
        assert_string_equal(got, wanted);
}

static void assert_info(const lrc_command_info *c, const winfo *w)
{
    assert_non_null(c);
    assert_int_equal(c->size, sizeof(lrc_command_info));
    assert_int_equal(c->source, w->source);
    assert_string_equal(c->command_id, w->id);
    assert_string_equal(c->name, w->name);
    assert_int_equal(c->status, w->status);
    assert_int_equal(c->has_progress, w->progress >= 0);
    if (w->progress >= 0)
        assert_int_equal(c->progress, w->progress);
    assert_opt_string(c->submitted_time, w->submitted);
    assert_opt_string(c->started_time, w->started);
    assert_opt_string(c->finished_time, w->finished);
    assert_opt_string(c->result_json, w->result);
    assert_int_equal(c->has_result_code, w->code >= 0);
    if (w->code >= 0) {
        assert_int_equal(c->result_code, w->code);
        assert_string_equal(c->result_message, w->message);
    } else {
        assert_null(c->result_message);
    }
    assert_opt_string(c->extra_json, w->extra);
}

static void add(lrc_command_list *l, lrc_command_source src, size_t i, const char *text)
{
    assert_int_equal(lrc_command_list_add_item(l, src, i, text), LRC_OK);
}

#define T1 "2026-11-25T08:11:25.292139+00:00"
#define T2 "2026-11-25T08:11:26.001000+00:00"
#define T3 "2026-11-25T08:11:27.500000+00:00"

/* Section 1.3 items: our server kit (with submitted_time) and real ska
 * 1.3.2 servers (never submitted_time; an aborted queued command without
 * started_time; a finished one without result). */
static void test_items_of_both_kits(void **state)
{
    (void)state;
    lrc_command_list *l = lrc_command_list_new();
    assert_non_null(l);
    /* our kit */
    add(l, LRC_SOURCE_QUEUE, 0,
        "{\"uid\": \"1_1_Echo\", \"name\": \"Echo\", \"submitted_time\": \"" T1 "\"}");
    add(l, LRC_SOURCE_EXECUTING, 0,
        "{\"uid\": \"1_2_Sleep\", \"name\": \"Sleep\", \"submitted_time\": \"" T1
        "\", \"started_time\": \"" T2 "\", \"progress\": 40}");
    add(l, LRC_SOURCE_FINISHED, 0,
        "{\"uid\": \"1_3_Echo\", \"name\": \"Echo\", \"submitted_time\": \"" T1
        "\", \"status\": \"COMPLETED\", \"started_time\": \"" T2 "\", \"finished_time\": \"" T3
        "\", \"result\": [0, \"hello\"]}");
    /* ska-tango-base 1.3.2 */
    add(l, LRC_SOURCE_QUEUE, 1, "{\"uid\": \"2_1_On\", \"name\": \"On\"}");
    add(l, LRC_SOURCE_EXECUTING, 1,
        "{\"uid\": \"2_2_Scan\", \"name\": \"Scan\", \"started_time\": \"" T2 "\"}");
    add(l, LRC_SOURCE_FINISHED, 1,
        "{\"uid\": \"2_3_Sleep\", \"name\": \"Sleep\", \"status\": \"ABORTED\", "
        "\"finished_time\": \"" T3 "\", \"result\": [7, \"Command has been aborted\"]}");
    add(l, LRC_SOURCE_FINISHED, 2,
        "{\"uid\": \"2_4_Off\", \"name\": \"Off\", \"status\": \"FAILED\", \"started_time\": "
        "\"" T2 "\", \"finished_time\": \"" T3 "\"}");
    /* a result of another shape */
    add(l, LRC_SOURCE_FINISHED, 3,
        "{\"uid\": \"2_5_Get\", \"name\": \"Get\", \"status\": \"COMPLETED\", \"result\": "
        "{\"a\": 1}}");
    lrc_command_list_finish(l);

    assert_int_equal(lrc_command_list_count(l), 8);
    assert_int_equal(lrc_command_list_malformed(l), 0);
    assert_null(lrc_command_list_malformed_reason(l));
    const winfo w[] = {
        {LRC_SOURCE_FINISHED, "1_3_Echo", "Echo", LRC_STATUS_COMPLETED, -1, T1, T2, T3,
         "[0, \"hello\"]", 0, "hello", NULL},
        {LRC_SOURCE_FINISHED, "2_3_Sleep", "Sleep", LRC_STATUS_ABORTED, -1, NULL, NULL, T3,
         "[7, \"Command has been aborted\"]", 7, "Command has been aborted", NULL},
        {LRC_SOURCE_FINISHED, "2_4_Off", "Off", LRC_STATUS_FAILED, -1, NULL, T2, T3, NULL, -1,
         NULL, NULL},
        {LRC_SOURCE_FINISHED, "2_5_Get", "Get", LRC_STATUS_COMPLETED, -1, NULL, NULL, NULL,
         "{\"a\": 1}", -1, NULL, NULL},
        {LRC_SOURCE_EXECUTING, "1_2_Sleep", "Sleep", LRC_STATUS_IN_PROGRESS, 40, T1, T2, NULL,
         NULL, -1, NULL, NULL},
        {LRC_SOURCE_EXECUTING, "2_2_Scan", "Scan", LRC_STATUS_IN_PROGRESS, -1, NULL, T2, NULL,
         NULL, -1, NULL, NULL},
        {LRC_SOURCE_QUEUE, "1_1_Echo", "Echo", LRC_STATUS_QUEUED, -1, T1, NULL, NULL, NULL, -1,
         NULL, NULL},
        {LRC_SOURCE_QUEUE, "2_1_On", "On", LRC_STATUS_QUEUED, -1, NULL, NULL, NULL, NULL, -1,
         NULL, NULL},
    };
    for (size_t i = 0; i < COUNT(w); i++)
        assert_info(lrc_command_list_at(l, i), &w[i]);
    assert_null(lrc_command_list_at(l, 8));
    assert_ptr_equal(lrc_command_list_find(l, "2_2_Scan"), lrc_command_list_at(l, 5));
    assert_null(lrc_command_list_find(l, "9_9_None"));
    assert_null(lrc_command_list_find(l, NULL));
    lrc_command_list_free(l);
}

/* Keys this library does not know, and known keys with a value of the
 * wrong type, are kept in extra_json (json.dumps style, item order). */
static void test_unknown_keys_go_to_extra(void **state)
{
    (void)state;
    lrc_command_list *l = lrc_command_list_new();
    add(l, LRC_SOURCE_QUEUE, 0,
        "{\"uid\": \"3_1_Scan\", \"name\": 7, \"progress\": \"50%\", \"zeta\": [1, 2.5, {\"k\": "
        "null}], \"status\": \"QUEUED\", \"note\": \"caf\\u00e9\"}");
    add(l, LRC_SOURCE_FINISHED, 0,
        "{\"priority\": \"high\", \"uid\": \"3_2_On\", \"status\": \"REJECTED\", "
        "\"finished_time\": 12}");
    lrc_command_list_finish(l);
    assert_int_equal(lrc_command_list_count(l), 2);
    winfo fin = {LRC_SOURCE_FINISHED, "3_2_On", "On", LRC_STATUS_REJECTED, -1, NULL, NULL, NULL,
                NULL, -1, NULL, "{\"priority\": \"high\", \"finished_time\": 12}"};
    assert_info(lrc_command_list_at(l, 0), &fin);
    winfo q = {LRC_SOURCE_QUEUE, "3_1_Scan", "Scan", LRC_STATUS_QUEUED, -1, NULL, NULL, NULL, NULL,
              -1, NULL,
              "{\"name\": 7, \"progress\": \"50%\", \"zeta\": [1, 2.5, {\"k\": null}], "
              "\"status\": \"QUEUED\", \"note\": \"caf\\u00e9\"}"};
    assert_info(lrc_command_list_at(l, 1), &q);
    assert_int_equal(lrc_command_list_malformed(l), 0);
    lrc_command_list_free(l);
}

/* Finishes and frees l, which must have counted exactly one malformed
 * item, for `reason`. Returns the number of entries it had. */
static size_t expect_one_malformed(lrc_command_list *l, const char *reason)
{
    lrc_command_list_finish(l);
    assert_int_equal(lrc_command_list_malformed(l), 1);
    assert_string_equal(lrc_command_list_malformed_reason(l), reason);
    size_t n = lrc_command_list_count(l);
    lrc_command_list_free(l);
    return n;
}

/* Anything that is not a JSON object with a string uid is counted, the
 * first reason kept, and never listed; the good items still are. */
static void test_malformed_items_are_counted(void **state)
{
    (void)state;
    lrc_command_list *l = lrc_command_list_new();
    add(l, LRC_SOURCE_QUEUE, 0, "not json");
    add(l, LRC_SOURCE_QUEUE, 1, "[1, 2]");
    add(l, LRC_SOURCE_QUEUE, 2, "{}");
    add(l, LRC_SOURCE_QUEUE, 3, NULL);
    add(l, LRC_SOURCE_QUEUE, 4, "{\"uid\": \"4_0_Good\"}");
    add(l, LRC_SOURCE_EXECUTING, 0, "{\"uid\": 5, \"name\": \"X\"}");
    add(l, LRC_SOURCE_EXECUTING, 1, "{\"uid\": \"\"}");
    add(l, LRC_SOURCE_FINISHED, 0, "{\"uid\": \"4_1_A\", \"name\": \"A\"}");
    add(l, LRC_SOURCE_FINISHED, 1, "{\"uid\": \"4_2_B\", \"status\": \"DONE\"}");
    add(l, LRC_SOURCE_FINISHED, 2, "{\"uid\": \"4_3_C\", \"status\": 5}");
    add(l, LRC_SOURCE_FINISHED, 3, "\"just a string\"");
    assert_int_equal(lrc_command_list_add_item(l, LRC_SOURCE_V1_STATUS, 0, "{}"), LRC_EINVAL);
    assert_int_equal(lrc_command_list_add_item(NULL, LRC_SOURCE_QUEUE, 0, "{}"), LRC_EINVAL);
    lrc_command_list_finish(l);
    assert_int_equal(lrc_command_list_malformed(l), 10);
    assert_string_equal(lrc_command_list_malformed_reason(l), "lrcQueue item 0 is not JSON: not json");
    assert_int_equal(lrc_command_list_count(l), 1);
    assert_string_equal(lrc_command_list_at(l, 0)->command_id, "4_0_Good");
    assert_string_equal(lrc_command_list_at(l, 0)->name, "Good");
    lrc_command_list_free(l);

    /* each reason in turn, and a long text cut at a character boundary */
    const struct {
        lrc_command_source src;
        const char *text, *reason;
    } cases[] = {
        {LRC_SOURCE_QUEUE, "[1, 2]", "lrcQueue item 0 is not a JSON object: [1, 2]"},
        {LRC_SOURCE_EXECUTING, "{\"uid\": 5}",
         "lrcExecuting item 0 has no command ID (a string \"uid\"): {\"uid\": 5}"},
        {LRC_SOURCE_FINISHED, "{\"uid\": \"4_2_B\", \"status\": \"DONE\"}",
         "lrcFinished item 0 has no TaskStatus name as \"status\": {\"uid\": \"4_2_B\", "
         "\"status\": \"DONE\"}"},
        {LRC_SOURCE_QUEUE,
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9yyy",
         "lrcQueue item 0 is not JSON: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        l = lrc_command_list_new();
        add(l, cases[i].src, 0, cases[i].text);
        assert_int_equal(expect_one_malformed(l, cases[i].reason), 0);
    }
}

/* The attributes are read one after the other (queue first) while
 * commands move on: a command seen twice is listed once, in its later
 * state; one listed twice by the same attribute is a malformed repeat. */
static void test_order_and_commands_seen_twice(void **state)
{
    (void)state;
    lrc_command_list *l = lrc_command_list_new();
    add(l, LRC_SOURCE_QUEUE, 0, "{\"uid\": \"5_1_A\", \"name\": \"A\"}");
    add(l, LRC_SOURCE_QUEUE, 1, "{\"uid\": \"5_2_B\", \"name\": \"B\"}");
    add(l, LRC_SOURCE_EXECUTING, 0, "{\"uid\": \"5_2_B\", \"name\": \"B\", \"progress\": 1}");
    add(l, LRC_SOURCE_EXECUTING, 1, "{\"uid\": \"5_3_C\", \"name\": \"C\"}");
    add(l, LRC_SOURCE_FINISHED, 0, "{\"uid\": \"5_3_C\", \"name\": \"C\", \"status\": \"COMPLETED\"}");
    add(l, LRC_SOURCE_FINISHED, 1, "{\"uid\": \"5_4_D\", \"name\": \"D\", \"status\": \"FAILED\"}");
    add(l, LRC_SOURCE_FINISHED, 2, "{\"uid\": \"5_4_D\", \"name\": \"D\", \"status\": \"FAILED\"}");
    lrc_command_list_finish(l);
    assert_int_equal(lrc_command_list_count(l), 4);
    const char *ids[] = {"5_3_C", "5_4_D", "5_2_B", "5_1_A"};
    const lrc_command_source src[] = {LRC_SOURCE_FINISHED, LRC_SOURCE_FINISHED,
                                      LRC_SOURCE_EXECUTING, LRC_SOURCE_QUEUE};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(lrc_command_list_at(l, i)->command_id, ids[i]);
        assert_int_equal(lrc_command_list_at(l, i)->source, src[i]);
    }
    assert_int_equal(lrc_command_list_at(l, 2)->progress, 1);
    assert_int_equal(lrc_command_list_malformed(l), 1);
    assert_string_equal(lrc_command_list_malformed_reason(l), "lrcFinished lists '5_4_D' twice");
    lrc_command_list_free(l);
}

static lrc_tg_value strings(const char *const *sv, size_t n)
{
    lrc_tg_value v = {.type = LRC_TG_STRING_ARRAY, .sv = (char **)sv, .ns = n};
    return v;
}

#define STRINGS(...)                                                                           \
    strings((const char *const[]){__VA_ARGS__}, COUNT(((const char *const[]){__VA_ARGS__})))

/* A pre-1.2 device: entries from the status list, progress and result
 * where they name the command, name = the ID's last "_" field. */
static void test_v1_lists(void **state)
{
    (void)state;
    lrc_command_list *l = lrc_command_list_new();
    lrc_tg_value st = STRINGS("1.5_11_Echo", "COMPLETED", "1.6_12_Sleep", "IN_PROGRESS",
                              "1.7_13_Off", "QUEUED", "noname", "STAGING");
    lrc_tg_value pr = STRINGS("1.6_12_Sleep", "40", "9.9_99_Gone", "10");
    lrc_tg_value re = STRINGS("1.5_11_Echo", "[0, \"hello\"]");
    assert_int_equal(lrc_command_list_add_v1(l, &st, &pr, &re), LRC_OK);
    lrc_command_list_finish(l);
    assert_int_equal(lrc_command_list_count(l), 4);
    assert_int_equal(lrc_command_list_malformed(l), 0);
    const winfo w[] = {
        {LRC_SOURCE_V1_STATUS, "1.5_11_Echo", "Echo", LRC_STATUS_COMPLETED, -1, NULL, NULL, NULL,
         "[0, \"hello\"]", 0, "hello", NULL},
        {LRC_SOURCE_V1_STATUS, "1.6_12_Sleep", "Sleep", LRC_STATUS_IN_PROGRESS, 40, NULL, NULL,
         NULL, NULL, -1, NULL, NULL},
        {LRC_SOURCE_V1_STATUS, "1.7_13_Off", "Off", LRC_STATUS_QUEUED, -1, NULL, NULL, NULL,
         NULL, -1, NULL, NULL},
        {LRC_SOURCE_V1_STATUS, "noname", "noname", LRC_STATUS_STAGING, -1, NULL, NULL, NULL,
         NULL, -1, NULL, NULL},
    };
    for (size_t i = 0; i < COUNT(w); i++)
        assert_info(lrc_command_list_at(l, i), &w[i]);
    lrc_command_list_free(l);

    /* the initial values: nothing, and nothing malformed */
    l = lrc_command_list_new();
    lrc_tg_value empty = {.type = LRC_TG_STRING_ARRAY};
    lrc_tg_value init_result = STRINGS("", "");
    assert_int_equal(lrc_command_list_add_v1(l, &empty, &empty, &init_result), LRC_OK);
    assert_int_equal(lrc_command_list_add_v1(l, NULL, NULL, NULL), LRC_OK);
    lrc_command_list_finish(l);
    assert_int_equal(lrc_command_list_count(l), 0);
    assert_int_equal(lrc_command_list_malformed(l), 0);
    lrc_command_list_free(l);
}

/* Odd lengths and garbage in the v1 lists are counted, never a crash. */
static void test_v1_garbage_is_counted(void **state)
{
    (void)state;
    lrc_command_list *l = lrc_command_list_new();
    lrc_tg_value st = STRINGS("1_1_A", "COMPLETED", "", "QUEUED", "1_2_B", "DONE", "1_3_C");
    lrc_tg_value pr = STRINGS("1_1_A", "abc", "1_1_A");
    lrc_tg_value re = STRINGS("1_1_A", "not json");
    assert_int_equal(lrc_command_list_add_v1(l, &st, &pr, &re), LRC_OK);
    lrc_command_list_finish(l);
    assert_int_equal(lrc_command_list_count(l), 1);
    winfo a = {LRC_SOURCE_V1_STATUS, "1_1_A", "A", LRC_STATUS_COMPLETED, -1, NULL, NULL, NULL,
              NULL, -1, NULL, NULL};
    assert_info(lrc_command_list_at(l, 0), &a);
    /* empty ID, unknown status, odd status list, non-integer progress,
     * odd progress list, result that is no JSON */
    assert_int_equal(lrc_command_list_malformed(l), 6);
    assert_string_equal(lrc_command_list_malformed_reason(l),
                        "longRunningCommandStatus element 2 is an empty command ID");
    lrc_command_list_free(l);

    const struct {
        lrc_tg_value st, pr, re;
        const char *reason;
    } cases[] = {
        {STRINGS("1_2_B", "DONE"), {0}, {0},
         "longRunningCommandStatus gives '1_2_B' the status \"DONE\", which is no TaskStatus "
         "name"},
        {STRINGS("1_1_A", "QUEUED", "1_3_C"), {0}, {0},
         "longRunningCommandStatus has an odd number of elements (3): '1_3_C' has no status"},
        {STRINGS("1_1_A", "IN_PROGRESS"), STRINGS("1_1_A", "abc"), {0},
         "longRunningCommandProgress gives '1_1_A' the progress \"abc\", which is no integer"},
        {STRINGS("1_1_A", "IN_PROGRESS"), STRINGS("1_1_A"), {0},
         "longRunningCommandProgress has an odd number of elements (1): '1_1_A' has no progress"},
        {STRINGS("1_1_A", "COMPLETED"), {0}, STRINGS("1_1_A", "not json"),
         "longRunningCommandResult for '1_1_A' is not JSON: not json"},
        {STRINGS("1_1_A", "COMPLETED"), {0}, STRINGS("1_1_A", "[0, \"x\"]", "extra"),
         "longRunningCommandResult has 3 elements instead of [command ID, result]"},
        {{.type = LRC_TG_LONG64_ARRAY}, {0}, {0}, NULL},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        l = lrc_command_list_new();
        char reason[160];
        const char *expected = cases[i].reason;
        if (!expected) {
            snprintf(reason, sizeof reason, "longRunningCommandStatus is a %s, not a list of strings",
                     lrc_tg_type_name(LRC_TG_LONG64_ARRAY));
            expected = reason;
        }
        assert_int_equal(lrc_command_list_add_v1(l, &cases[i].st,
                                                 cases[i].pr.type ? &cases[i].pr : NULL,
                                                 cases[i].re.type ? &cases[i].re : NULL),
                         LRC_OK);
        expect_one_malformed(l, expected);
    }
}

static void test_list_accessors_accept_null(void **state)
{
    (void)state;
    assert_int_equal(lrc_command_list_count(NULL), 0);
    assert_null(lrc_command_list_at(NULL, 0));
    assert_null(lrc_command_list_find(NULL, "x"));
    assert_int_equal(lrc_command_list_malformed(NULL), 0);
    assert_null(lrc_command_list_malformed_reason(NULL));
    lrc_command_list_free(NULL);
    lrc_command_list_finish(NULL);
}

/* ========================================================================
 * The device functions over the fake transport
 * ====================================================================== */

typedef struct fx {
    fake_device *d;
    lrc_scheduler *s;
    lrc_proxy *p;
    lrc_watch_options wo; /* scheduler s, logger wlog */
    logcap wlog;          /* the watch's logger */
} fx;

static int fx_setup(void **state)
{
    logcap_reset(&test_hook);
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->d = fake_new(DEVICE);
    lrc_scheduler_options so;
    lrc_scheduler_options_init(&so);
    so.name = "test-device";
    assert_int_equal(lrc_scheduler_new(&so, &f->s, NULL), LRC_OK);
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    po.linger_ms = 0; /* the tests count subscriptions: streams end with their last use */
    assert_int_equal(lrc_proxy_open_with(fake_transport(f->d), DEVICE, &po, &f->p, NULL),
                     LRC_OK);
    logcap_init(&f->wlog);
    lrc_watch_options_init(&f->wo);
    f->wo.scheduler = f->s;
    f->wo.logger = logcap_fn;
    f->wo.logger_user = &f->wlog;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    bool clean = fake_close_all(f->s, f->p, f->d);
    logcap_destroy(&f->wlog);
    free(f);
    assert_true(clean);
    return 0;
}


/* Every callback of the proxy on f->s queued so far has run. */
static void barrier(fx *f)
{
    lrc_queue *q = NULL;
    assert_int_equal(lrc_proxy_queue(f->p, f->s, &q, NULL), LRC_OK);
    assert_int_equal(lrc_queue_flush(q, WAIT_MS), LRC_OK);
    lrc_queue_unref(q);
}

static bool has_reason(const lrc_error *e, const char *reason)
{
    for (size_t i = 0; i < lrc_error_count(e); i++)
        if (strcmp(lrc_error_at(e, i)->reason, reason) == 0)
            return true;
    return false;
}

/* ---- protocol ------------------------------------------------------------ */

static void expect_info(const lrc_protocol_info *pi, bool capable, bool advertised,
                        int64_t smin, int64_t smax, int version)
{
    assert_int_equal(pi->size, sizeof *pi);
    assert_int_equal(pi->lrc_capable, capable);
    assert_int_equal(pi->advertised, advertised);
    assert_int_equal(pi->server_min, smin);
    assert_int_equal(pi->server_max, smax);
    assert_int_equal(pi->version, version);
}

static int protocol(fx *f, lrc_protocol_info *pi, lrc_error **err)
{
    lrc_protocol_info_init(pi);
    pi->version = 99; /* must be overwritten */
    fake_trace_clear(f->d);
    return lrc_proxy_protocol(f->p, pi, err);
}

static void test_protocol_info(void **state)
{
    fx *f = *state;
    lrc_protocol_info pi;
    lrc_error *err = NULL;
    assert_int_equal(protocol(f, &pi, &err), LRC_OK);
    assert_null(err);
    expect_info(&pi, true, true, 1, 2, 2);
    assert_fake_trace(f->d, "attrs read:lrcProtocolVersions");

    fake_set_protocol(f->d, true, 2, 5);
    assert_int_equal(protocol(f, &pi, NULL), LRC_OK);
    expect_info(&pi, true, true, 2, 5, 2);
    fake_set_protocol(f->d, true, 1, 1);
    assert_int_equal(protocol(f, &pi, NULL), LRC_OK);
    expect_info(&pi, true, true, 1, 1, 1);

    /* pre-1.2: only the v1 attributes, [1, 1] assumed */
    fake_set_protocol(f->d, false, 0, 0);
    assert_int_equal(protocol(f, &pi, NULL), LRC_OK);
    expect_info(&pi, true, false, 1, 1, 1);
    assert_fake_trace(f->d, "attrs");

    /* no common version: lrc_invoke's message, not logged, *out filled */
    fake_set_protocol(f->d, true, 3, 4);
    size_t logged = logcap_n(&test_hook);
    assert_int_equal(protocol(f, &pi, &err), LRC_EPROTOCOL);
    assert_string_equal(lrc_error_message(err),
                        "This version of invoke_lrc() is not compatible with any of the server's "
                        "supported LRC protocols! Client version min, max = (1, 2) - Server "
                        "version min, max = (3, 4)");
    expect_info(&pi, true, true, 3, 4, 0);
    assert_int_equal(logcap_n(&test_hook), logged);
    /* ... while the shared negotiation still logs it for the others */
    assert_int_equal(lrc_connect_interface(f->p, f->s, NULL), LRC_EPROTOCOL);
    assert_true(logcap_count(&test_hook, LRC_LOG_ERROR, lrc_error_message(err)) == 1);
    lrc_error_free(err);
    err = NULL;

    /* not LRC-capable */
    const char *plain[] = {"State", "Status", "temperature"};
    fake_set_attribute_list(f->d, plain, COUNT(plain));
    assert_int_equal(protocol(f, &pi, &err), LRC_ENOTFOUND);
    assert_string_equal(lrc_error_message(err),
                        DEVICE " is not LRC-capable: it has neither lrcProtocolVersions nor "
                               "longRunningCommandStatus");
    expect_info(&pi, false, false, 1, 1, 0);
    lrc_error_free(err);
    err = NULL;
    fake_set_attribute_list(f->d, NULL, 0);

    /* Tango failures: the stack, zeros */
    fake_fail_reads(f->d, true, NULL);
    assert_int_equal(protocol(f, &pi, &err), LRC_ETANGO);
    assert_string_equal(lrc_error_message(err), FAKE_DOWN_MESSAGE);
    assert_true(has_reason(err, "API_CantConnectToDevice"));
    expect_info(&pi, false, false, 0, 0, 0);
    lrc_error_free(err);
    err = NULL;
    fake_fail_reads(f->d, false, "lrcProtocolVersions");
    assert_int_equal(protocol(f, &pi, NULL), LRC_ETANGO);
    expect_info(&pi, false, false, 0, 0, 0);
    fake_fail_reads(f->d, false, NULL);
    fake_set_protocol(f->d, true, 1, 2);

    /* arguments; a caller's smaller struct is filled up to its size */
    assert_int_equal(lrc_proxy_protocol(NULL, &pi, NULL), LRC_EINVAL);
    assert_int_equal(lrc_proxy_protocol(f->p, NULL, NULL), LRC_EINVAL);
    lrc_protocol_info raw;
    memset(&raw, 0, sizeof raw);
    assert_int_equal(lrc_proxy_protocol(f->p, &raw, &err), LRC_EINVAL);
    assert_non_null(strstr(lrc_error_message(err), "lrc_protocol_info_init"));
    lrc_error_free(err);
    lrc_protocol_info small;
    lrc_protocol_info_init(&small);
    small.size = offsetof(lrc_protocol_info, version);
    small.version = 77;
    assert_int_equal(lrc_proxy_protocol(f->p, &small, NULL), LRC_OK);
    assert_int_equal(small.size, offsetof(lrc_protocol_info, version));
    assert_int_equal(small.server_max, 2);
    assert_int_equal(small.version, 77);
    lrc_protocol_info_init(NULL);
}

/* ---- listing commands ------------------------------------------------------ */

static void test_list_commands_v2(void **state)
{
    fx *f = *state;
    const char *queue[] = {"{\"uid\": \"7_3_Echo\", \"name\": \"Echo\"}"};
    const char *executing[] = {"{\"uid\": \"7_2_Sleep\", \"name\": \"Sleep\", \"started_time\": "
                               "\"" T2 "\", \"progress\": 30}"};
    const char *finished[] = {"{\"uid\": \"7_1_Echo\", \"name\": \"Echo\", \"status\": "
                              "\"COMPLETED\", \"finished_time\": \"" T3 "\", \"result\": [0, \"x\"]}",
                              "{\"name\": \"lost\"}"};
    fake_set_strings(f->d, "lrcQueue", queue, 1);
    fake_set_strings(f->d, "lrcExecuting", executing, 1);
    fake_set_strings(f->d, "lrcFinished", finished, 2);
    fake_trace_clear(f->d);
    lrc_command_list *l = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_proxy_list_commands(f->p, &l, &err), LRC_OK);
    assert_null(err);
    assert_fake_trace(f->d, "attrs read:lrcQueue read:lrcExecuting read:lrcFinished");
    assert_int_equal(lrc_command_list_count(l), 3);
    winfo fin = {LRC_SOURCE_FINISHED, "7_1_Echo", "Echo", LRC_STATUS_COMPLETED, -1, NULL, NULL, T3,
                "[0, \"x\"]", 0, "x", NULL};
    winfo ex = {LRC_SOURCE_EXECUTING, "7_2_Sleep", "Sleep", LRC_STATUS_IN_PROGRESS, 30, NULL, T2,
               NULL, NULL, -1, NULL, NULL};
    winfo q = {LRC_SOURCE_QUEUE, "7_3_Echo", "Echo", LRC_STATUS_QUEUED, -1, NULL, NULL, NULL, NULL,
              -1, NULL, NULL};
    assert_info(lrc_command_list_at(l, 0), &fin);
    assert_info(lrc_command_list_at(l, 1), &ex);
    assert_info(lrc_command_list_at(l, 2), &q);
    assert_int_equal(lrc_command_list_malformed(l), 1);
    assert_string_equal(lrc_command_list_malformed_reason(l),
                        "lrcFinished item 1 has no command ID (a string \"uid\"): {\"name\": "
                        "\"lost\"}");
    lrc_command_list_free(l);

    /* empty lists; a list attribute of the wrong type is counted */
    fake_set_strings(f->d, "lrcQueue", NULL, 0);
    fake_set_strings(f->d, "lrcExecuting", NULL, 0);
    lrc_tg_value wrong = {.type = LRC_TG_LONG64_ARRAY};
    fake_set_value(f->d, "lrcFinished", &wrong);
    assert_int_equal(lrc_proxy_list_commands(f->p, &l, NULL), LRC_OK);
    assert_int_equal(lrc_command_list_count(l), 0);
    assert_int_equal(lrc_command_list_malformed(l), 1);
    char reason[128];
    snprintf(reason, sizeof reason, "lrcFinished is a %s, not a list of strings",
             lrc_tg_type_name(LRC_TG_LONG64_ARRAY));
    assert_string_equal(lrc_command_list_malformed_reason(l), reason);
    lrc_command_list_free(l);
}

static void test_list_commands_pre_1_2(void **state)
{
    fx *f = *state;
    fake_set_protocol(f->d, false, 0, 0);
    const char *st[] = {"8_1_Echo", "COMPLETED", "8_2_Sleep", "IN_PROGRESS", "8_3_On", "QUEUED"};
    const char *pr[] = {"8_2_Sleep", "60"};
    const char *re[] = {"8_1_Echo", "[0, \"hi\"]"};
    fake_set_strings(f->d, V1_STATUS, st, COUNT(st));
    fake_set_strings(f->d, V1_PROGRESS, pr, COUNT(pr));
    fake_set_strings(f->d, V1_RESULT, re, COUNT(re));
    fake_trace_clear(f->d);
    lrc_command_list *l = NULL;
    assert_int_equal(lrc_proxy_list_commands(f->p, &l, NULL), LRC_OK);
    assert_fake_trace(f->d, "attrs read:" V1_RESULT " read:" V1_PROGRESS " read:" V1_STATUS);
    assert_int_equal(lrc_command_list_count(l), 3);
    winfo w[] = {{LRC_SOURCE_V1_STATUS, "8_1_Echo", "Echo", LRC_STATUS_COMPLETED, -1, NULL, NULL,
                 NULL, "[0, \"hi\"]", 0, "hi", NULL},
                {LRC_SOURCE_V1_STATUS, "8_2_Sleep", "Sleep", LRC_STATUS_IN_PROGRESS, 60, NULL,
                 NULL, NULL, NULL, -1, NULL, NULL},
                {LRC_SOURCE_V1_STATUS, "8_3_On", "On", LRC_STATUS_QUEUED, -1, NULL, NULL, NULL,
                 NULL, -1, NULL, NULL}};
    for (size_t i = 0; i < COUNT(w); i++)
        assert_info(lrc_command_list_at(l, i), &w[i]);
    assert_int_equal(lrc_command_list_malformed(l), 0);
    lrc_command_list_free(l);

    /* an odd status list */
    const char *odd[] = {"8_1_Echo", "COMPLETED", "8_4_Off"};
    fake_set_strings(f->d, V1_STATUS, odd, COUNT(odd));
    assert_int_equal(lrc_proxy_list_commands(f->p, &l, NULL), LRC_OK);
    assert_int_equal(lrc_command_list_count(l), 1);
    assert_int_equal(lrc_command_list_malformed(l), 1);
    lrc_command_list_free(l);
}

static void test_list_commands_failures(void **state)
{
    fx *f = *state;
    lrc_command_list *l = (lrc_command_list *)f; /* garbage: must be reset */
    lrc_error *err = NULL;
    assert_int_equal(lrc_proxy_list_commands(NULL, &l, NULL), LRC_EINVAL);
    assert_null(l);
    assert_int_equal(lrc_proxy_list_commands(f->p, NULL, NULL), LRC_EINVAL);

    const char *plain[] = {"State", "Status"};
    fake_set_attribute_list(f->d, plain, COUNT(plain));
    assert_int_equal(lrc_proxy_list_commands(f->p, &l, &err), LRC_ENOTFOUND);
    assert_null(l);
    assert_string_equal(lrc_error_message(err), DEVICE " lists no commands: it has neither "
                                                       "lrcFinished nor longRunningCommandStatus");
    lrc_error_free(err);
    err = NULL;
    fake_set_attribute_list(f->d, NULL, 0);

    fake_set_strings(f->d, "lrcQueue", NULL, 0);
    fake_fail_reads(f->d, false, "lrcExecuting");
    assert_int_equal(lrc_proxy_list_commands(f->p, &l, &err), LRC_ETANGO);
    assert_null(l);
    assert_true(has_reason(err, "API_CantConnectToDevice"));
    lrc_error_free(err);
    err = NULL;
    fake_fail_reads(f->d, true, NULL);
    assert_int_equal(lrc_proxy_list_commands(f->p, &l, &err), LRC_ETANGO);
    assert_string_equal(lrc_error_message(err), FAKE_DOWN_MESSAGE);
    lrc_error_free(err);
    fake_fail_reads(f->d, false, NULL);
}

/* ---- CheckLongRunningCommandStatus ---------------------------------------- */

static void test_command_status(void **state)
{
    fx *f = *state;
    char *running = fake_new_id(f->d, "Sleep"), *done = fake_new_id(f->d, "Echo");
    char *odd = fake_new_id(f->d, "Odd"), *broken = fake_new_id(f->d, "Broken");
    fake_set_lrc(f->d, running, "IN_PROGRESS", NULL);
    fake_set_lrc(f->d, done, "COMPLETED", "[0, \"ok\"]");
    fake_set_lrc(f->d, odd, "BOGUS", NULL);
    fake_set_lrc(f->d, broken, FAKE_QUERY_FAILS, NULL);
    lrc_status st = LRC_STATUS_FAILED;
    lrc_error *err = NULL;
    fake_trace_clear(f->d);
    assert_int_equal(lrc_proxy_command_status(f->p, running, &st, &err), LRC_OK);
    assert_int_equal(st, LRC_STATUS_IN_PROGRESS);
    assert_fake_trace(f->d, "inout:CheckLongRunningCommandStatus");
    lrc_tg_value in = fake_last_input(f->d);
    assert_int_equal(in.type, LRC_TG_STRING);
    assert_string_equal(in.s, running);
    lrc_tg_value_clear(&in);
    assert_int_equal(lrc_proxy_command_status(f->p, done, &st, NULL), LRC_OK);
    assert_int_equal(st, LRC_STATUS_COMPLETED);
    assert_int_equal(lrc_proxy_command_status(f->p, "1.0_1_Unknown", &st, NULL), LRC_OK);
    assert_int_equal(st, LRC_STATUS_NOT_FOUND);
    assert_int_equal(lrc_proxy_command_status(f->p, "", &st, NULL), LRC_OK);
    assert_int_equal(st, LRC_STATUS_NOT_FOUND);

    assert_int_equal(lrc_proxy_command_status(f->p, odd, &st, &err), LRC_EJSON);
    assert_string_equal(lrc_error_message(err), "CheckLongRunningCommandStatus answered "
                                                "\"BOGUS\", which is no TaskStatus name");
    lrc_error_free(err);
    err = NULL;
    assert_int_equal(lrc_proxy_command_status(f->p, broken, &st, &err), LRC_ETANGO);
    assert_dev_error(err, 0, "API_CorbaException", "TRANSIENT CORBA system exception");
    lrc_error_free(err);
    err = NULL;
    assert_int_equal(lrc_proxy_command_status(NULL, done, &st, NULL), LRC_EINVAL);
    assert_int_equal(lrc_proxy_command_status(f->p, NULL, &st, NULL), LRC_EINVAL);
    assert_int_equal(lrc_proxy_command_status(f->p, done, NULL, NULL), LRC_EINVAL);
    free(running);
    free(done);
    free(odd);
    free(broken);
}

/* ---- plain commands ----------------------------------------------------------- */

static int plain_handler(fake_device *d, void *user, const char *cmd, const lrc_tg_value *in,
                         lrc_tg_value *out, lrc_error **err)
{
    (void)user;
    memset(out, 0, sizeof *out);
    if (strcmp(cmd, "AbortCommands") == 0) {
        fake_reply(out, LRC_RESULT_STARTED, "Aborting commands");
    } else if (strcmp(cmd, "Ping") == 0) {
        out->type = LRC_TG_VOID;
    } else if (strcmp(cmd, "Twice") == 0) {
        out->type = LRC_TG_DOUBLE;
        out->d = 2 * in->d;
    } else if (strcmp(cmd, "Greet") == 0) {
        out->type = LRC_TG_STRING;
        out->s = xstrdup("caf\xc3\xa9 ");
        out->s = realloc(out->s, strlen(out->s) + strlen(in->s) + 1);
        strcat(out->s, in->s);
    } else if (strcmp(cmd, "Latin") == 0) {
        out->type = LRC_TG_STRING;
        out->s = xstrdup("caf\xe9");
    } else if (strcmp(cmd, "Names") == 0) {
        out->type = LRC_TG_STRING_ARRAY;
        out->sv = calloc(2, sizeof *out->sv);
        out->sv[0] = xstrdup("a");
        out->sv[1] = xstrdup("b");
        out->ns = 2;
    } else if (strcmp(cmd, "State") == 0) {
        out->type = LRC_TG_STATE;
        out->i = LRC_TG_ON;
    } else {
        *err = fake_command_failed(d, cmd, "Demo_Broken", "it broke");
        return LRC_ETANGO;
    }
    return LRC_OK;
}

static void expect_reply(fx *f, const char *cmd, const lrc_arg *arg, const char *json)
{
    char *reply = NULL;
    lrc_error *err = NULL;
    int rc = lrc_proxy_command(f->p, cmd, arg, &reply, &err);
    if (rc != LRC_OK)
        fprintf(stderr, "%s: %s\n", cmd, lrc_error_message(err));
    assert_int_equal(rc, LRC_OK);
    assert_null(err);
    assert_string_equal(reply, json);
    free(reply);
}

static void test_plain_command(void **state)
{
    fx *f = *state;
    const struct {
        const char *name;
        lrc_tg_type in, out;
    } cmds[] = {{"AbortCommands", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY},
                {"Ping", LRC_TG_VOID, LRC_TG_VOID},
                {"Twice", LRC_TG_DOUBLE, LRC_TG_DOUBLE},
                {"Greet", LRC_TG_STRING, LRC_TG_STRING},
                {"Latin", LRC_TG_VOID, LRC_TG_STRING},
                {"Names", LRC_TG_VOID, LRC_TG_STRING_ARRAY},
                {"State", LRC_TG_VOID, LRC_TG_STATE},
                {"Broken", LRC_TG_VOID, LRC_TG_VOID}};
    for (size_t i = 0; i < COUNT(cmds); i++)
        fake_add_command(f->d, cmds[i].name, cmds[i].in, cmds[i].out, plain_handler, NULL);

    fake_trace_clear(f->d);
    expect_reply(f, "AbortCommands", NULL, "[[1], [\"Aborting commands\"]]");
    assert_fake_trace(f->d, "query:AbortCommands inout:AbortCommands");
    lrc_arg none = lrc_arg_none();
    expect_reply(f, "AbortCommands", &none, "[[1], [\"Aborting commands\"]]");
    expect_reply(f, "Ping", NULL, "null");
    lrc_arg d = lrc_arg_double(1.25), l3 = lrc_arg_long(3), j = lrc_arg_json("0.5");
    expect_reply(f, "Twice", &d, "2.5");
    expect_reply(f, "Twice", &l3, "6.0"); /* converted to the declared DevDouble */
    expect_reply(f, "Twice", &j, "1.0");
    lrc_arg s = lrc_arg_string("x");
    expect_reply(f, "Greet", &s, "\"caf\\u00e9 x\"");
    expect_reply(f, "Latin", NULL, "\"caf\\u00e9\""); /* Latin-1 as PyTango reads it */
    expect_reply(f, "Names", NULL, "[\"a\", \"b\"]");
    expect_reply(f, "State", NULL, "0");
    /* the signature is asked once */
    char *trace = fake_trace(f->d);
    assert_non_null(strstr(trace, "query:Twice inout:Twice inout:Twice inout:Twice "));
    free(trace);

    char *reply = (char *)f; /* garbage: must be reset */
    lrc_error *err = NULL;
    assert_int_equal(lrc_proxy_command(f->p, "Nope", NULL, &reply, &err), LRC_ENOTFOUND);
    assert_null(reply);
    assert_true(has_reason(err, "API_CommandNotFound"));
    lrc_error_free(err);
    err = NULL;
    fake_trace_clear(f->d);
    assert_int_equal(lrc_proxy_command(f->p, "Twice", &s, &reply, &err), LRC_EINVAL);
    assert_non_null(strstr(lrc_error_message(err), "'Twice'"));
    assert_fake_trace(f->d, ""); /* refused before the device is called */
    lrc_error_free(err);
    err = NULL;
    assert_int_equal(lrc_proxy_command(f->p, "Ping", &s, &reply, NULL), LRC_EINVAL);
    lrc_arg bad = lrc_arg_json("{bad");
    assert_int_equal(lrc_proxy_command(f->p, "Twice", &bad, &reply, NULL), LRC_EINVAL);
    assert_int_equal(lrc_proxy_command(f->p, "Broken", NULL, &reply, &err), LRC_ETANGO);
    assert_null(reply);
    assert_dev_error(err, 0, "Demo_Broken", "it broke");
    assert_string_equal(lrc_error_message(err),
                        "Failed to execute command_inout on device " DEVICE ", command Broken");
    lrc_error_free(err);
    assert_int_equal(lrc_proxy_command(NULL, "Ping", NULL, &reply, NULL), LRC_EINVAL);
    assert_int_equal(lrc_proxy_command(f->p, "", NULL, &reply, NULL), LRC_EINVAL);
    assert_int_equal(lrc_proxy_command(f->p, "Ping", NULL, NULL, NULL), LRC_EINVAL);
}

/* ========================================================================
 * Watches
 * ====================================================================== */

typedef struct wrec {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    upd u[MAX_UPD];
    size_t n;
    lrc_scheduler *s;
    int inside;
    bool concurrent;
    size_t block_at; /* callback number block_at waits for wrec_release */
    bool blocked, released, returned;
    size_t free_at; /* callback number free_at frees free_w */
    lrc_watch *free_w;
} wrec;

static void wrec_init(wrec *r, fx *f)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->s = f->s;
}

static void wrec_destroy(wrec *r)
{
    upd_clear_all(r->u, r->n);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

static void wrec_cb(const lrc_update *u, void *user)
{
    wrec *r = user;
    bool on_worker = lrc_scheduler_on_worker(r->s);
    pthread_mutex_lock(&r->mu);
    if (r->inside++)
        r->concurrent = true;
    size_t k = ++r->n;
    if (k <= MAX_UPD) {
        upd_copy(&r->u[k - 1], u);
        r->u[k - 1].on_worker = on_worker;
    }
    pthread_cond_broadcast(&r->cv);
    if (r->block_at == k) {
        r->blocked = true;
        pthread_cond_broadcast(&r->cv);
        wait_flag(&r->mu, &r->cv, &r->released, WAIT_MS);
    }
    lrc_watch *to_free = r->free_at == k ? r->free_w : NULL;
    pthread_mutex_unlock(&r->mu);
    if (to_free)
        lrc_watch_free(to_free); /* from inside its own callback */
    pthread_mutex_lock(&r->mu);
    r->inside--;
    if (r->block_at == k)
        r->returned = true;
    pthread_mutex_unlock(&r->mu);
}

/* "<id> STATUS progress=N result=R extra=E error=REASON FINAL" */
static void render(const upd *u, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "%s", u->id);
#define ADD(...) len += (size_t)snprintf(buf + len, size - len, __VA_ARGS__)
    if (u->has & LRC_HAS_STATUS)
        ADD(" %s", lrc_status_name(u->status));
    if (u->has & LRC_HAS_PROGRESS)
        ADD(" progress=%lld", (long long)u->progress);
    if (u->has & LRC_HAS_RESULT)
        ADD(" result=%s", u->result_json);
    if (u->has & LRC_HAS_EXTRA)
        ADD(" extra=%s", u->extra_json);
    if (u->has & LRC_HAS_ERROR)
        ADD(" error=%s", lrc_error_count(u->error)
                             ? lrc_error_at(u->error, lrc_error_count(u->error) - 1)->reason
                             : lrc_error_message(u->error));
    if (u->final)
        ADD(" FINAL");
#undef ADD
}

/* All updates so far, " | "-joined; checks what every update must be. */
static char *wrec_seq(wrec *r, int version)
{
    pthread_mutex_lock(&r->mu);
    size_t cap = 64 + r->n * 520, len = 0;
    char *s = calloc(1, cap);
    for (size_t i = 0; i < r->n && i < MAX_UPD; i++) {
        char one[512];
        render(&r->u[i], one, sizeof one);
        len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? " | " : "", one);
        assert_true(r->u[i].size_ok);
        assert_true(r->u[i].on_worker);
        assert_int_equal(r->u[i].version, version);
    }
    assert_false(r->concurrent);
    pthread_mutex_unlock(&r->mu);
    return s;
}

static void expect_seq(wrec *r, int version, const char *want)
{
    char *s = wrec_seq(r, version);
    if (strcmp(s, want) != 0)
        fprintf(stderr, "got:    %s\nwanted: %s\n", s, want);
    assert_string_equal(s, want);
    free(s);
}

static lrc_watch *watch_ok(fx *f, wrec *r)
{
    lrc_watch *w = (lrc_watch *)r; /* garbage: must be replaced */
    lrc_error *err = NULL;
    int rc = lrc_watch_start(f->p, wrec_cb, r, &f->wo, &w, &err);
    if (rc != LRC_OK)
        fprintf(stderr, "lrc_watch_start: %s\n", lrc_error_message(err));
    assert_int_equal(rc, LRC_OK);
    assert_null(err);
    assert_non_null(w);
    return w;
}

#define J_STAGING "{\"status\": 0}"
#define J_QUEUED "{\"status\": 1}"
#define J_IN_PROGRESS "{\"status\": 2}"

/* v2: every command on _lrcEvent, in event order; the current value at
 * subscription is not a change; finals marked, the watch goes on; an
 * error event is one update without a command ID, logged. */
static void test_watch_v2_follows_every_command(void **state)
{
    fx *f = *state;
    const char *current[] = {"0_0_Old", J_IN_PROGRESS};
    fake_set_strings(f->d, LRC_EVENT, current, 2);
    wrec r;
    wrec_init(&r, f);
    lrc_watch *w = watch_ok(f, &r);
    assert_int_equal(lrc_watch_protocol_version(w), 2);
    assert_int_equal(fake_live(f->d, LRC_EVENT), 1);
    assert_int_equal(fake_live_total(f->d), 1);

    fake_push_lrc(f->d, "1_1_A", J_STAGING);
    fake_push_lrc_thread(f->d, "1_2_B", J_STAGING);
    fake_push_lrc(f->d, "1_1_A", J_QUEUED);
    fake_push_lrc(f->d, "1_1_A", J_IN_PROGRESS);
    fake_push_lrc(f->d, "1_1_A", "{\"progress\": 50}");
    fake_push_lrc(f->d, "1_2_B", J_QUEUED);
    fake_push_lrc(f->d, "1_1_A", "{\"status\": 5, \"result\": [0, \"a\"]}");
    fake_push_lrc_thread(f->d, "1_2_B", "{\"status\": 7, \"result\": [3, \"boom\"], \"extra\": 1}");
    fake_push_lrc(f->d, "1_3_C", J_STAGING); /* after the finals: the watch goes on */
    PUSH(f->d, LRC_EVENT, "1_3_C");          /* malformed: no value */
    PUSH(f->d, LRC_EVENT, "", "{\"status\": 1}");
    fake_push_error_thread(f->d, LRC_EVENT, "API_EventTimeout", TIMEOUT_DESC);
    barrier(f);
    expect_seq(&r, 2,
               "1_1_A STAGING | 1_2_B STAGING | 1_1_A QUEUED | 1_1_A IN_PROGRESS | 1_1_A "
               "progress=50 | 1_2_B QUEUED | 1_1_A COMPLETED result=[0, \"a\"] FINAL | 1_2_B "
               "FAILED result=[3, \"boom\"] extra={\"extra\": 1} FINAL | 1_3_C STAGING | 1_3_C "
               "error=LRC_MalformedEvent | (null) error=API_EventTimeout");
    assert_int_equal(r.u[6].result_code, 0);
    assert_string_equal(r.u[6].result_message, "a");
    assert_string_equal(lrc_error_message(r.u[10].error), TIMEOUT_DESC);

    /* the log lines go to the watch's logger, not the hook */
    const char *line = "'" DEVICE "/_lrcEvent' encountered error(s): API_EventTimeout: " TIMEOUT_DESC;
    assert_true(logcap_wait(&f->wlog, LRC_LOG_ERROR, line));
    assert_int_equal(logcap_count(&test_hook, 0, line), 0);
    assert_true(logcap_wait(&f->wlog, LRC_LOG_ERROR,
                            "'1_3_C' command has no status/progress/result value"));

    lrc_watch_free(w);
    assert_int_equal(fake_live_total(f->d), 0);
    assert_int_equal(fake_push_lrc(f->d, "1_3_C", J_QUEUED), 0);
    lrc_watch_free(NULL);
    assert_int_equal(lrc_watch_protocol_version(NULL), 0);
    wrec_destroy(&r);
}

/* v1 (a pre-1.2 device): the lists name many commands; what they held
 * when the watch started is its starting point; a status or progress that
 * repeats is not news; a command that leaves the status list is
 * forgotten (so its memory goes), and is news again if it comes back. */
static void test_watch_v1_follows_every_command(void **state)
{
    fx *f = *state;
    fake_set_protocol(f->d, false, 0, 0);
    const char *st0[] = {"0_0_Old", "COMPLETED", "0_1_Run", "IN_PROGRESS"};
    const char *pr0[] = {"0_1_Run", "70"};
    const char *re0[] = {"0_0_Old", "[0, \"old\"]"};
    fake_set_strings(f->d, V1_STATUS, st0, COUNT(st0));
    fake_set_strings(f->d, V1_PROGRESS, pr0, COUNT(pr0));
    fake_set_strings(f->d, V1_RESULT, re0, COUNT(re0));
    wrec r;
    wrec_init(&r, f);
    fake_trace_clear(f->d);
    lrc_watch *w = watch_ok(f, &r);
    assert_int_equal(lrc_watch_protocol_version(w), 1);
    /* new streams: their initial values were the starting point, no reads */
    assert_fake_trace(f->d, "attrs sub:" V1_STATUS " sub:" V1_PROGRESS " sub:" V1_RESULT);

    PUSH(f->d, V1_STATUS, "0_0_Old", "COMPLETED", "0_1_Run", "IN_PROGRESS", "1_1_A", "STAGING");
    PUSH(f->d, V1_STATUS, "0_0_Old", "COMPLETED", "0_1_Run", "IN_PROGRESS", "1_1_A", "QUEUED",
         "1_2_B", "STAGING");
    PUSH(f->d, V1_PROGRESS, "0_1_Run", "70"); /* unchanged */
    PUSH(f->d, V1_PROGRESS, "0_1_Run", "80");
    PUSH(f->d, V1_RESULT, "0_1_Run", "[0, \"run\"]");
    PUSH(f->d, V1_STATUS, "0_0_Old", "COMPLETED", "0_1_Run", "COMPLETED", "1_1_A", "IN_PROGRESS",
         "1_2_B", "QUEUED");
    PUSH(f->d, V1_PROGRESS, "1_1_A", "10");
    PUSH(f->d, V1_PROGRESS, "1_1_A", "10");
    PUSH(f->d, V1_PROGRESS, "1_1_A", "20");
    PUSH(f->d, V1_RESULT, "1_1_A", "[0, \"a\"]");
    fake_push_strings(f->d, V1_PROGRESS, NULL, 0);
    PUSH(f->d, V1_STATUS, "0_1_Run", "COMPLETED", "1_1_A", "COMPLETED", "1_2_B", "IN_PROGRESS");
    PUSH(f->d, V1_STATUS, "1_2_B", "IN_PROGRESS"); /* removal: forgotten */
    PUSH(f->d, V1_STATUS, "1_1_A", "COMPLETED", "1_2_B", "IN_PROGRESS");
    PUSH(f->d, V1_PROGRESS, "1_2_B", "x");
    PUSH(f->d, V1_STATUS, "1_2_B", "IN_PROGRESS", "1_3_C");
    fake_push_error(f->d, V1_STATUS, "API_EventTimeout", TIMEOUT_DESC);
    barrier(f);
    expect_seq(&r, 1,
               "1_1_A STAGING | 1_1_A QUEUED | 1_2_B STAGING | 0_1_Run progress=80 | 0_1_Run "
               "result=[0, \"run\"] | 0_1_Run COMPLETED FINAL | 1_1_A IN_PROGRESS | 1_2_B QUEUED "
               "| 1_1_A progress=10 | 1_1_A progress=20 | 1_1_A result=[0, \"a\"] | 1_1_A "
               "COMPLETED FINAL | 1_2_B IN_PROGRESS | 1_1_A COMPLETED FINAL | 1_2_B "
               "extra={\"progress\": \"x\"} | 1_3_C error=LRC_MalformedEvent | (null) "
               "error=API_EventTimeout");
    assert_true(logcap_wait(&f->wlog, LRC_LOG_WARNING,
                            "'1_2_B' command progress is not an int, but str. Its type may be "
                            "checked and enforced in the future."));
    assert_true(logcap_wait(&f->wlog, LRC_LOG_ERROR,
                            "'" DEVICE "/" V1_STATUS "' encountered error(s): API_EventTimeout: "
                            TIMEOUT_DESC));
    lrc_watch_free(w);
    assert_int_equal(fake_live_total(f->d), 0);
    wrec_destroy(&r);
}

/* Issue 10 item 6: a v1 list of n commands costs O(n) on the Tango
 * thread (under the proxy lock), not O(n^2): 20000 commands, as a busy
 * device's status list, then their progress, are all routed; the time is
 * printed (bench material, not an assertion). */
static void test_watch_v1_long_lists_in_linear_time(void **state)
{
    fx *f = *state;
    fake_set_protocol(f->d, false, 0, 0);
    enum { N = 20000 };
    char **ids = calloc(N, sizeof *ids);
    const char **sv = calloc(2 * N, sizeof *sv);
    assert_non_null(ids);
    assert_non_null(sv);
    for (int i = 0; i < N; i++) {
        char id[64];
        snprintf(id, sizeof id, "1796291733.18932_%014d_Scan", i);
        ids[i] = xstrdup(id);
    }
    fake_track_pushes(f->d, false); /* time the library, not the fake */
    wrec r;
    wrec_init(&r, f);
    lrc_watch *w = watch_ok(f, &r);
    const char *what[] = {"STAGING", "QUEUED", "42"};
    const char *attr[] = {V1_STATUS, V1_STATUS, V1_PROGRESS};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < N; i++) {
            sv[2 * i] = ids[i];
            sv[2 * i + 1] = what[k];
        }
        int64_t t0 = lrc_now_ms();
        assert_int_equal(fake_push_strings(f->d, attr[k], sv, 2 * N), 1);
        int64_t ms = lrc_now_ms() - t0;
        /* Reported, not asserted: a time limit would flake under valgrind
         * and sanitizers (the quadratic version took 3.4 s here, this one
         * about 60 ms). */
        fprintf(stderr, "%s list of %d commands routed in %lld ms\n", attr[k], N, (long long)ms);
    }
    barrier(f);
    /* Every command's STAGING and QUEUED reached the callback (statuses are
     * never dropped; only progress may be, under overflow). */
    pthread_mutex_lock(&r.mu);
    size_t delivered = r.n;
    pthread_mutex_unlock(&r.mu);
    assert_true(delivered >= 2 * (size_t)N);
    lrc_watch_free(w);
    wrec_destroy(&r);
    for (int i = 0; i < N; i++)
        free(ids[i]);
    free(ids);
    free(sv);
}

/* A watch that joins streams already subscribed (here by a connected
 * interface) gets no initial value: it reads the lists instead. */
static void test_watch_v1_joins_existing_streams(void **state)
{
    fx *f = *state;
    fake_set_protocol(f->d, false, 0, 0);
    assert_int_equal(lrc_connect_interface(f->p, f->s, NULL), LRC_OK);
    const char *st0[] = {"0_0_Old", "COMPLETED"};
    fake_set_strings(f->d, V1_STATUS, st0, COUNT(st0));
    fake_set_strings(f->d, V1_PROGRESS, NULL, 0);
    assert_int_equal(PUSH(f->d, V1_STATUS, "0_0_Old", "COMPLETED"), 1); /* to the interface */
    wrec r;
    wrec_init(&r, f);
    fake_trace_clear(f->d);
    lrc_watch *w = watch_ok(f, &r);
    assert_fake_trace(f->d, "attrs read:" V1_STATUS " read:" V1_PROGRESS);
    PUSH(f->d, V1_STATUS, "0_0_Old", "COMPLETED", "1_1_A", "STAGING");
    barrier(f);
    expect_seq(&r, 1, "1_1_A STAGING");
    lrc_watch_free(w);
    assert_int_equal(fake_live(f->d, V1_STATUS), 1); /* the interface keeps its streams */
    assert_int_equal(lrc_disconnect_interface(f->p, f->s), LRC_OK);

    /* when the starting point cannot be read: a warning, and it goes on */
    assert_int_equal(lrc_connect_interface(f->p, f->s, NULL), LRC_OK);
    fake_fail_reads(f->d, false, V1_STATUS);
    wrec r2;
    wrec_init(&r2, f);
    w = watch_ok(f, &r2);
    char warning[256];
    snprintf(warning, sizeof warning,
             "%s: watch: cannot read %s as the starting point (%s): the commands it lists may "
             "be reported once",
             DEVICE, V1_STATUS, FAKE_DOWN_MESSAGE);
    assert_int_equal(logcap_count(&f->wlog, LRC_LOG_WARNING, warning), 1);
    PUSH(f->d, V1_STATUS, "0_0_Old", "COMPLETED");
    barrier(f);
    expect_seq(&r2, 1, "0_0_Old COMPLETED FINAL");
    lrc_watch_free(w);
    fake_fail_reads(f->d, false, NULL);
    assert_int_equal(lrc_disconnect_interface(f->p, f->s), LRC_OK);
    wrec_destroy(&r);
    wrec_destroy(&r2);
}

/* The watch shares the proxy's stream and queue with invocations: one
 * subscription, both see the command, callbacks never overlap. */
static void test_watch_shares_streams_with_invocations(void **state)
{
    fx *f = *state;
    fake_add_command(f->d, "Echo", LRC_TG_STRING, LRC_TG_LONG_STRING_ARRAY, NULL, NULL);
    wrec rw, ri;
    wrec_init(&rw, f);
    wrec_init(&ri, f);
    lrc_watch *w = watch_ok(f, &rw);
    lrc_invoke_options io;
    lrc_invoke_options_init(&io);
    io.scheduler = f->s;
    lrc_subscription *sub = NULL;
    lrc_arg a = lrc_arg_string("x");
    assert_int_equal(lrc_invoke(f->p, "Echo", &a, wrec_cb, &ri, &io, &sub, NULL), LRC_OK);
    const char *id = lrc_subscription_command_id(sub);
    fake_push_lrc(f->d, id, "{\"status\": 5, \"result\": [0, \"x\"]}");
    barrier(f);
    char want[256];
    snprintf(want, sizeof want, "%s STAGING | %s COMPLETED result=[0, \"x\"] FINAL", id, id);
    expect_seq(&rw, 2, want);
    expect_seq(&ri, 2, want);
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.subscribes, 1);
    assert_int_equal(st.streams, 1); /* the watch still holds it */
    lrc_subscription_free(sub);
    lrc_watch_free(w);
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.streams, 0);
    assert_int_equal(st.unsubscribes, 1);
    wrec_destroy(&rw);
    wrec_destroy(&ri);
}

typedef struct free_job {
    lrc_watch *w;
    atomic_bool done;
    bool callback_had_returned;
    wrec *r;
} free_job;

static void *free_main(void *arg)
{
    free_job *j = arg;
    lrc_watch_free(j->w);
    pthread_mutex_lock(&j->r->mu);
    j->callback_had_returned = j->r->returned;
    pthread_mutex_unlock(&j->r->mu);
    atomic_store(&j->done, true);
    return NULL;
}

/* lrc_watch_free: nothing after it returns; it waits for a callback
 * running on another thread; it may be called from the callback. */
static void test_watch_free(void **state)
{
    fx *f = *state;
    /* a connected interface keeps the stream: events still flow to it */
    assert_int_equal(lrc_connect_interface(f->p, f->s, NULL), LRC_OK);
    wrec r;
    wrec_init(&r, f);
    lrc_watch *w = watch_ok(f, &r);
    fake_push_lrc(f->d, "1_1_A", J_STAGING);
    barrier(f);
    lrc_watch_free(w);
    assert_int_equal(fake_push_lrc(f->d, "1_1_A", J_QUEUED), 1);
    barrier(f);
    expect_seq(&r, 2, "1_1_A STAGING");
    wrec_destroy(&r);

    /* waits for the running callback */
    wrec_init(&r, f);
    r.block_at = 1;
    w = watch_ok(f, &r);
    fake_push_lrc(f->d, "1_1_A", J_STAGING);
    pthread_mutex_lock(&r.mu);
    assert_true(wait_flag(&r.mu, &r.cv, &r.blocked, WAIT_MS));
    pthread_mutex_unlock(&r.mu);
    free_job j = {.w = w, .r = &r};
    atomic_init(&j.done, false);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, free_main, &j), 0);
    sleep_ms(100);
    assert_false(atomic_load(&j.done));
    pthread_mutex_lock(&r.mu);
    r.released = true;
    pthread_cond_broadcast(&r.cv);
    pthread_mutex_unlock(&r.mu);
    pthread_join(t, NULL);
    assert_true(j.done);
    assert_true(j.callback_had_returned);
    wrec_destroy(&r);

    /* from inside its own callback: the others queued are not delivered */
    wrec_init(&r, f);
    w = watch_ok(f, &r);
    pthread_mutex_lock(&r.mu);
    r.free_w = w;
    r.free_at = 1;
    pthread_mutex_unlock(&r.mu);
    fake_push_lrc(f->d, "1_1_A", J_STAGING);
    fake_push_lrc(f->d, "1_1_A", J_QUEUED);
    barrier(f);
    fake_push_lrc(f->d, "1_1_A", J_IN_PROGRESS);
    barrier(f);
    expect_seq(&r, 2, "1_1_A STAGING");
    wrec_destroy(&r);
    assert_int_equal(lrc_disconnect_interface(f->p, f->s), LRC_OK);
    assert_int_equal(fake_live_total(f->d), 0);
}

static void test_watch_start_failures(void **state)
{
    fx *f = *state;
    wrec r;
    wrec_init(&r, f);
    lrc_watch *w = (lrc_watch *)&r;
    lrc_error *err = NULL;
    assert_int_equal(lrc_watch_start(NULL, wrec_cb, &r, NULL, &w, NULL), LRC_EINVAL);
    assert_null(w);
    assert_int_equal(lrc_watch_start(f->p, NULL, &r, NULL, &w, NULL), LRC_EINVAL);
    assert_int_equal(lrc_watch_start(f->p, wrec_cb, &r, NULL, NULL, NULL), LRC_EINVAL);
    lrc_watch_options zero;
    memset(&zero, 0, sizeof zero);
    assert_int_equal(lrc_watch_start(f->p, wrec_cb, &r, &zero, &w, &err), LRC_EINVAL);
    assert_non_null(strstr(lrc_error_message(err), "lrc_watch_options_init"));
    lrc_error_free(err);
    err = NULL;
    assert_int_equal(fake_calls(f->d), 0);

    /* no common version: as lrc_invoke, logged to the watch's logger */
    fake_set_protocol(f->d, true, 3, 4);
    assert_int_equal(lrc_watch_start(f->p, wrec_cb, &r, &f->wo, &w, &err), LRC_EPROTOCOL);
    assert_null(w);
    assert_int_equal(logcap_count(&f->wlog, LRC_LOG_ERROR, lrc_error_message(err)), 1);
    lrc_error_free(err);
    err = NULL;

    /* a v1 stream cannot be subscribed: nothing stays subscribed */
    fake_set_protocol(f->d, false, 0, 0);
    fake_fail_subscribe(f->d, V1_PROGRESS, "API_AttributePollingNotStarted", "no polling");
    assert_int_equal(lrc_watch_start(f->p, wrec_cb, &r, &f->wo, &w, &err), LRC_ETANGO);
    assert_null(w);
    assert_string_equal(lrc_error_message(err),
                        "Subscribing to 'longRunningCommandProgress' change event failed.");
    size_t n = lrc_error_count(err);
    assert_dev_error(err, 0, "API_AttributePollingNotStarted", "no polling");
    assert_dev_error(err, n - 1, "SKA_InvokeLrcFailed",
                     "Subscribing to 'longRunningCommandProgress' change event failed.");
    assert_string_equal(lrc_error_at(err, n - 1)->origin, "lrc::lrc_watch_start");
    lrc_error_free(err);
    err = NULL;
    assert_int_equal(fake_live_total(f->d), 0);
    fake_fail_subscribe(f->d, NULL, "", "");

    fake_fail_reads(f->d, true, NULL);
    assert_int_equal(lrc_watch_start(f->p, wrec_cb, &r, &f->wo, &w, &err), LRC_ETANGO);
    assert_string_equal(lrc_error_message(err), FAKE_DOWN_MESSAGE);
    lrc_error_free(err);
    fake_fail_reads(f->d, false, NULL);
    barrier(f);
    assert_int_equal(r.n, 0);
    wrec_destroy(&r);
}

/* Its scheduler freed under it: said once, not per event; freeing the
 * watch afterwards is fine. */
static void test_watch_outlives_its_scheduler(void **state)
{
    fx *f = *state;
    lrc_scheduler *s2 = NULL;
    assert_int_equal(lrc_scheduler_new(NULL, &s2, NULL), LRC_OK);
    wrec r;
    wrec_init(&r, f);
    f->wo.scheduler = s2;
    lrc_watch *w = watch_ok(f, &r);
    lrc_scheduler_free(s2);
    fake_push_lrc(f->d, "1_1_A", J_STAGING);
    fake_push_lrc(f->d, "1_1_A", J_QUEUED);
    char msg[256];
    snprintf(msg, sizeof msg,
             DEVICE ": watch: callbacks cannot be queued (%s): no more are delivered",
             lrc_strerror(LRC_ECLOSED));
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_ERROR, msg), 1);
    assert_int_equal(r.n, 0);
    lrc_watch_free(w);
    assert_int_equal(fake_live_total(f->d), 0);
    wrec_destroy(&r);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_of_both_kits),
        cmocka_unit_test(test_unknown_keys_go_to_extra),
        cmocka_unit_test(test_malformed_items_are_counted),
        cmocka_unit_test(test_order_and_commands_seen_twice),
        cmocka_unit_test(test_v1_lists),
        cmocka_unit_test(test_v1_garbage_is_counted),
        cmocka_unit_test(test_list_accessors_accept_null),
        T(test_protocol_info),
        T(test_list_commands_v2),
        T(test_list_commands_pre_1_2),
        T(test_list_commands_failures),
        T(test_command_status),
        T(test_plain_command),
        T(test_watch_v2_follows_every_command),
        T(test_watch_v1_follows_every_command),
        T(test_watch_v1_long_lists_in_linear_time),
        T(test_watch_v1_joins_existing_streams),
        T(test_watch_shares_streams_with_invocations),
        T(test_watch_free),
        T(test_watch_start_failures),
        T(test_watch_outlives_its_scheduler),
    };
    return cmocka_run_group_tests_name("test_device", tests, test_hook_install, test_hook_remove);
}
