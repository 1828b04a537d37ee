/* Unit tests: the server kit's command tracker (state machine, payloads of
 * _lrcEvent and of every LRC attribute, lrcFinished cap, v1 removal). */
#include "lrc/types.h"
#include "server/tracker.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lrc_tracker *make(double removal_time, size_t sq)
{
    lrc_tracker_config cfg = {.removal_time = removal_time, .status_queue_size = sq,
                              .max_finished = 100};
    lrc_tracker *t = lrc_tracker_new(&cfg);
    assert_non_null(t);
    return t;
}

static char *create(lrc_tracker *t, const char *name, const char *commanded, double now)
{
    char *ev = NULL;
    const char *id = lrc_tracker_create(t, name, commanded, now, &ev);
    assert_non_null(id);
    assert_string_equal(ev, "{\"status\": 0}");
    free(ev);
    return strdup(id);
}

/* Applies an update and checks the exact _lrcEvent text. */
static void update(lrc_tracker *t, const char *id, lrc_fields f, double mono, const char *want)
{
    char *ev = NULL;
    assert_int_equal(lrc_tracker_update(t, id, &f, 1e9, mono, &ev), 0);
    assert_string_equal(ev, want);
    free(ev);
}

static lrc_fields status(int s)
{
    lrc_fields f = {.has_status = true, .status = s};
    return f;
}

/* Renders and joins with "|" for compact assertions. */
static char *render(lrc_tracker *t, lrc_attr a)
{
    char **v;
    size_t n;
    assert_int_equal(lrc_tracker_render(t, a, &v, &n), 0);
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *s = calloc(1, len);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(s, "|");
        strcat(s, v[i]);
    }
    lrc_strv_free(v, n);
    return s;
}

static void assert_render(lrc_tracker *t, lrc_attr a, const char *want)
{
    char *got = render(t, a);
    assert_string_equal(got, want);
    free(got);
}

/* Parses item i of a JSON-list attribute. */
static json_t *item(lrc_tracker *t, lrc_attr a, size_t i)
{
    char **v;
    size_t n;
    assert_int_equal(lrc_tracker_render(t, a, &v, &n), 0);
    assert_true(i < n);
    json_t *j = json_loads(v[i], 0, NULL);
    assert_non_null(j);
    lrc_strv_free(v, n);
    return j;
}

/* Extra members (lrc_task_progress_ex) go into the _lrcEvent payload after
 * progress and before result, and nowhere else: lrcExecuting and the v1
 * progress list show the percent alone. */
static void test_extra_members(void **state)
{
    lrc_tracker *t = make(10, 66);
    char *id = create(t, "Heat", NULL, 1700000000.5);
    update(t, id, status(LRC_STATUS_IN_PROGRESS), 0, "{\"status\": 2}");
    lrc_fields p = {.has_progress = true, .progress = 40,
                    .extra_members = "\"temperature\": 32.0, \"unit\": \"\\u00b0C\""};
    update(t, id, p, 0, "{\"progress\": 40, \"temperature\": 32.0, \"unit\": \"\\u00b0C\"}");
    json_t *x = item(t, LRC_ATTR_EXECUTING, 0);
    assert_null(json_object_get(x, "temperature"));
    json_decref(x);
    char want[200];
    snprintf(want, sizeof want, "%s|40", id);
    assert_render(t, LRC_ATTR_PROGRESS, want);
    lrc_fields empty = {.has_progress = true, .progress = 50, .extra_members = ""};
    update(t, id, empty, 0, "{\"progress\": 50}");
    lrc_fields all = {.has_status = true, .status = LRC_STATUS_COMPLETED, .result_json = "[0, \"ok\"]",
                      .extra_members = "\"t\": 1"};
    update(t, id, all, 0, "{\"status\": 5, \"t\": 1, \"result\": [0, \"ok\"]}");
    lrc_fields only = {.extra_members = "\"t\": 2"};
    update(t, id, only, 0, "{\"t\": 2}");
    free(id);
    lrc_tracker_free(t);
    (void)state;
}

static void test_happy_path_payloads(void **state)
{
    lrc_tracker *t = make(10, 66);
    char *id = create(t, "Sleep", NULL, 1700000000.5);
    assert_int_equal(lrc_tracker_status(t, id), LRC_STATUS_STAGING);
    /* STAGING shows in the v1 lists but never in lrcQueue */
    assert_render(t, LRC_ATTR_IN_QUEUE, "Sleep");
    assert_render(t, LRC_ATTR_QUEUE, "");

    update(t, id, status(LRC_STATUS_QUEUED), 0, "{\"status\": 1}");
    json_t *q = item(t, LRC_ATTR_QUEUE, 0);
    assert_string_equal(json_string_value(json_object_get(q, "uid")), id);
    assert_string_equal(json_string_value(json_object_get(q, "name")), "Sleep");
    assert_string_equal(json_string_value(json_object_get(q, "submitted_time")),
                        "2023-11-14T22:13:20.500000+00:00");
    assert_int_equal(json_object_size(q), 3);
    json_decref(q);

    update(t, id, status(LRC_STATUS_IN_PROGRESS), 0, "{\"status\": 2}");
    assert_render(t, LRC_ATTR_QUEUE, "");
    assert_render(t, LRC_ATTR_IN_PROGRESS, "Sleep");
    lrc_fields p = {.has_progress = true, .progress = 10};
    update(t, id, p, 0, "{\"progress\": 10}");
    char want[200];
    snprintf(want, sizeof want, "%s|10", id);
    assert_render(t, LRC_ATTR_PROGRESS, want);
    json_t *x = item(t, LRC_ATTR_EXECUTING, 0);
    assert_int_equal(json_integer_value(json_object_get(x, "progress")), 10);
    assert_non_null(json_object_get(x, "started_time"));
    assert_null(json_object_get(x, "status"));
    json_decref(x);

    lrc_fields done = {.has_status = true, .status = LRC_STATUS_COMPLETED,
                       .result_json = "[0,\"Sleep done\"]"};
    update(t, id, done, 0, "{\"status\": 5, \"result\": [0, \"Sleep done\"]}");
    snprintf(want, sizeof want, "%s|[0, \"Sleep done\"]", id);
    assert_render(t, LRC_ATTR_RESULT, want);
    snprintf(want, sizeof want, "%s|COMPLETED", id);
    assert_render(t, LRC_ATTR_STATUS, want);
    assert_render(t, LRC_ATTR_PROGRESS, ""); /* only IN_PROGRESS commands */
    assert_render(t, LRC_ATTR_IN_PROGRESS, "");
    assert_render(t, LRC_ATTR_EXECUTING, "");
    json_t *f = item(t, LRC_ATTR_FINISHED, 0);
    assert_string_equal(json_string_value(json_object_get(f, "status")), "COMPLETED");
    assert_null(json_object_get(f, "progress"));
    assert_non_null(json_object_get(f, "started_time"));
    assert_non_null(json_object_get(f, "finished_time"));
    assert_int_equal(json_integer_value(json_array_get(json_object_get(f, "result"), 0)), 0);
    json_decref(f);
    assert_int_equal(lrc_tracker_status(t, id), LRC_STATUS_COMPLETED);
    free(id);
    lrc_tracker_free(t);
}

static void test_initial_values(void **state)
{
    lrc_tracker *t = make(10, 66);
    assert_render(t, LRC_ATTR_RESULT, "|");
    assert_render(t, LRC_ATTR_COMMANDED_STATE, "None");
    assert_render(t, LRC_ATTR_STATUS, "");
    assert_render(t, LRC_ATTR_FINISHED, "");
    assert_int_equal(lrc_tracker_status(t, "nope"), LRC_STATUS_NOT_FOUND);
    lrc_tracker_free(t);
}

/* v1 lists: finished, then executing, then queued, each in its order. */
static void test_v1_order(void **state)
{
    lrc_tracker *t = make(10, 66);
    char *a = create(t, "A", NULL, 1), *b = create(t, "B", NULL, 2), *c = create(t, "C", NULL, 3);
    update(t, a, status(LRC_STATUS_QUEUED), 0, "{\"status\": 1}");
    update(t, b, status(LRC_STATUS_QUEUED), 0, "{\"status\": 1}");
    update(t, c, status(LRC_STATUS_QUEUED), 0, "{\"status\": 1}");
    update(t, c, status(LRC_STATUS_IN_PROGRESS), 0, "{\"status\": 2}");
    update(t, b, status(LRC_STATUS_ABORTED), 0, "{\"status\": 3}");
    assert_render(t, LRC_ATTR_IN_QUEUE, "B|C|A");
    char want[300];
    snprintf(want, sizeof want, "%s|ABORTED|%s|IN_PROGRESS|%s|QUEUED", b, c, a);
    assert_render(t, LRC_ATTR_STATUS, want);
    json_t *f = item(t, LRC_ATTR_FINISHED, 0);
    assert_null(json_object_get(f, "started_time")); /* aborted while queued */
    json_decref(f);
    free(a);
    free(b);
    free(c);
    lrc_tracker_free(t);
}

static void test_commanded_state(void **state)
{
    lrc_tracker *t = make(10, 66);
    char *id = create(t, "On", "ON", 1);
    update(t, id, status(LRC_STATUS_QUEUED), 0, "{\"status\": 1}");
    assert_render(t, LRC_ATTR_COMMANDED_STATE, "None");
    update(t, id, status(LRC_STATUS_IN_PROGRESS), 0, "{\"status\": 2}");
    assert_render(t, LRC_ATTR_COMMANDED_STATE, "ON");
    free(id);
    lrc_tracker_free(t);
}

/* lrcFinished keeps exactly the last 100; status turns NOT_FOUND exactly
 * for the ids that left it. */
static void test_finished_cap(void **state)
{
    lrc_tracker *t = make(1000, 1000);
    char *ids[105];
    for (int i = 0; i < 105; i++) {
        ids[i] = create(t, "Echo", NULL, 100 + i);
        lrc_fields f = {.has_status = true, .status = LRC_STATUS_COMPLETED, .result_json = "[0, \"x\"]"};
        update(t, ids[i], f, 0, "{\"status\": 5, \"result\": [0, \"x\"]}");
    }
    char **v;
    size_t n;
    assert_int_equal(lrc_tracker_render(t, LRC_ATTR_FINISHED, &v, &n), 0);
    assert_int_equal(n, 100);
    json_t *first = json_loads(v[0], 0, NULL);
    assert_string_equal(json_string_value(json_object_get(first, "uid")), ids[5]);
    json_decref(first);
    lrc_strv_free(v, n);
    for (int i = 0; i < 105; i++)
        assert_int_equal(lrc_tracker_status(t, ids[i]),
                         i < 5 ? LRC_STATUS_NOT_FOUND : LRC_STATUS_COMPLETED);
    for (int i = 0; i < 105; i++)
        free(ids[i]);
    lrc_tracker_free(t);
}

/* Finished commands leave the v1 lists at the removal time, not before;
 * CheckLongRunningCommandStatus still knows them. */
static void test_removal_time(void **state)
{
    lrc_tracker *t = make(10, 66);
    char *id = create(t, "Echo", NULL, 1);
    lrc_fields f = {.has_status = true, .status = LRC_STATUS_COMPLETED};
    update(t, id, f, 100.0, "{\"status\": 5}");
    assert_true(lrc_tracker_next_deadline(t) == 110.0);
    assert_false(lrc_tracker_expire(t, 109.9));
    assert_render(t, LRC_ATTR_IDS_IN_QUEUE, id);
    assert_true(lrc_tracker_expire(t, 110.0));
    assert_render(t, LRC_ATTR_IDS_IN_QUEUE, "");
    assert_render(t, LRC_ATTR_STATUS, "");
    assert_true(lrc_tracker_next_deadline(t) < 0);
    assert_int_equal(lrc_tracker_status(t, id), LRC_STATUS_COMPLETED);
    free(id);
    lrc_tracker_free(t);
}

/* Over status_queue_size, the oldest finished commands leave the v1 lists
 * early; live ones never do. */
static void test_v1_pruning(void **state)
{
    lrc_tracker *t = make(1000, 32);
    char *ids[40];
    for (int i = 0; i < 40; i++) {
        ids[i] = create(t, "Echo", NULL, 10 + i);
        update(t, ids[i], status(LRC_STATUS_COMPLETED), 0, "{\"status\": 5}");
    }
    assert_int_equal(lrc_tracker_v1_count(t), 32);
    char *list = render(t, LRC_ATTR_IDS_IN_QUEUE);
    assert_null(strstr(list, ids[7]));
    assert_non_null(strstr(list, ids[8]));
    free(list);
    /* a new command makes room at creation, before any list is rendered */
    char *fresh = create(t, "Echo", NULL, 100);
    assert_int_equal(lrc_tracker_v1_count(t), 32);
    list = render(t, LRC_ATTR_IDS_IN_QUEUE);
    assert_null(strstr(list, ids[8]));
    assert_non_null(strstr(list, fresh));
    free(list);
    free(fresh);
    for (int i = 0; i < 40; i++)
        free(ids[i]);
    lrc_tracker_free(t);
}

/* ska emits an event for an unknown id too; the tracker reports it. */
static void test_unknown_id_and_bad_result(void **state)
{
    lrc_tracker *t = make(10, 66);
    char *ev = NULL;
    lrc_fields f = status(LRC_STATUS_COMPLETED);
    assert_int_equal(lrc_tracker_update(t, "1_2_X", &f, 1, 1, &ev), -1);
    assert_string_equal(ev, "{\"status\": 5}");
    free(ev);
    char *id = create(t, "Echo", NULL, 1);
    lrc_fields bad = {.result_json = "[0, "};
    ev = NULL;
    assert_int_equal(lrc_tracker_update(t, id, &bad, 1, 1, &ev), -2);
    assert_null(ev);
    free(id);
    lrc_tracker_free(t);
}

/* Non-ASCII results are escaped the way Python's json.dumps does. */
static void test_result_unicode(void **state)
{
    lrc_tracker *t = make(10, 66);
    char *id = create(t, "Echo", NULL, 1);
    lrc_fields f = {.has_status = true, .status = LRC_STATUS_COMPLETED,
                    .result_json = "[0, \"caf\xc3\xa9\"]"};
    update(t, id, f, 0, "{\"status\": 5, \"result\": [0, \"caf\\u00e9\"]}");
    free(id);
    lrc_tracker_free(t);
}

/* Issue 10, item 11: lrcFinished and longRunningCommandResult keep their
 * generation through updates that do not change them, so the kit neither
 * renders nor compares them (their size no longer weighs on every update),
 * and the finished items, rendered once, are byte for byte what a fresh
 * json.dumps of the whole item gives. */
static void test_generations(void **state)
{
    lrc_tracker *t = make(10, 66);
    char *done = create(t, "Echo", NULL, 1);
    lrc_fields fin = {.has_status = true, .status = LRC_STATUS_COMPLETED,
                      .result_json = "[0,{\"k\":[1,2.5,\"caf\xc3\xa9\"],\"n\":null}]"};
    update(t, done, status(LRC_STATUS_QUEUED), 0, "{\"status\": 1}");
    update(t, done, status(LRC_STATUS_IN_PROGRESS), 0, "{\"status\": 2}");
    update(t, done, fin, 0,
           "{\"status\": 5, \"result\": [0, {\"k\": [1, 2.5, \"caf\\u00e9\"], \"n\": null}]}");
    json_t *it = item(t, LRC_ATTR_FINISHED, 0);
    json_t *want = json_loads("[0, {\"k\": [1, 2.5, \"caf\\u00e9\"], \"n\": null}]", 0, NULL);
    assert_true(json_equal(json_object_get(it, "result"), want));
    json_decref(want);
    json_decref(it);
    char *finished = render(t, LRC_ATTR_FINISHED);
    assert_non_null(strstr(finished, "\"finished_time\": \""));
    assert_non_null(strstr(finished, "\", \"result\": [0, {\"k\": [1, 2.5, \"caf\\u00e9\"], "
                                     "\"n\": null}]}"));

    uint64_t g_fin = lrc_tracker_generation(t, LRC_ATTR_FINISHED);
    uint64_t g_res = lrc_tracker_generation(t, LRC_ATTR_RESULT);
    uint64_t g_any = lrc_tracker_generation(t, LRC_ATTR_STATUS);
    char *run = create(t, "Sleep", NULL, 2);
    update(t, run, status(LRC_STATUS_QUEUED), 0, "{\"status\": 1}");
    update(t, run, status(LRC_STATUS_IN_PROGRESS), 0, "{\"status\": 2}");
    lrc_fields prog = {.has_progress = true, .progress = 50};
    update(t, run, prog, 0, "{\"progress\": 50}");
    assert_true(lrc_tracker_generation(t, LRC_ATTR_STATUS) != g_any);
    assert_true(lrc_tracker_generation(t, LRC_ATTR_FINISHED) == g_fin);
    assert_true(lrc_tracker_generation(t, LRC_ATTR_RESULT) == g_res);
    assert_render(t, LRC_ATTR_FINISHED, finished); /* the same text, from the cache */

    update(t, run, status(LRC_STATUS_ABORTED), 0, "{\"status\": 3}");
    assert_true(lrc_tracker_generation(t, LRC_ATTR_FINISHED) != g_fin);
    assert_true(lrc_tracker_generation(t, LRC_ATTR_RESULT) == g_res);
    free(finished);
    free(done);
    free(run);
    lrc_tracker_free(t);
}

/* lrcQueue and the executing attributes move only when a command enters or
 * leaves QUEUED / IN_PROGRESS or reports progress: a submission does not
 * re-render lrcExecuting, progress does not re-render lrcQueue. A rendered
 * lrcQueue stays the same text while other commands come and go. */
static void test_queue_and_executing_generations(void **state)
{
    lrc_tracker *t = make(10, 66);
    uint64_t g_q = lrc_tracker_generation(t, LRC_ATTR_QUEUE);
    uint64_t g_x = lrc_tracker_generation(t, LRC_ATTR_EXECUTING);
    char *a = create(t, "Sleep", NULL, 1);
    assert_true(lrc_tracker_generation(t, LRC_ATTR_QUEUE) == g_q); /* STAGING: not shown */
    assert_true(lrc_tracker_generation(t, LRC_ATTR_EXECUTING) == g_x);
    update(t, a, status(LRC_STATUS_QUEUED), 0, "{\"status\": 1}");
    assert_true(lrc_tracker_generation(t, LRC_ATTR_QUEUE) != g_q);
    assert_true(lrc_tracker_generation(t, LRC_ATTR_EXECUTING) == g_x);
    char *queue = render(t, LRC_ATTR_QUEUE);
    assert_non_null(strstr(queue, "\"name\": \"Sleep\""));

    char *b = create(t, "Echo", NULL, 2);
    g_q = lrc_tracker_generation(t, LRC_ATTR_QUEUE);
    update(t, a, status(LRC_STATUS_IN_PROGRESS), 0, "{\"status\": 2}");
    assert_true(lrc_tracker_generation(t, LRC_ATTR_QUEUE) != g_q);
    assert_true(lrc_tracker_generation(t, LRC_ATTR_EXECUTING) != g_x);
    assert_true(lrc_tracker_generation(t, LRC_ATTR_IN_PROGRESS) ==
                lrc_tracker_generation(t, LRC_ATTR_EXECUTING));
    assert_render(t, LRC_ATTR_QUEUE, "");

    g_q = lrc_tracker_generation(t, LRC_ATTR_QUEUE);
    g_x = lrc_tracker_generation(t, LRC_ATTR_EXECUTING);
    lrc_fields prog = {.has_progress = true, .progress = 40};
    update(t, a, prog, 0, "{\"progress\": 40}");
    assert_true(lrc_tracker_generation(t, LRC_ATTR_QUEUE) == g_q);
    assert_true(lrc_tracker_generation(t, LRC_ATTR_EXECUTING) != g_x);
    assert_true(lrc_tracker_generation(t, LRC_ATTR_PROGRESS) ==
                lrc_tracker_generation(t, LRC_ATTR_EXECUTING));

    update(t, b, status(LRC_STATUS_QUEUED), 0, "{\"status\": 1}");
    assert_true(lrc_tracker_generation(t, LRC_ATTR_QUEUE) != g_q);
    char *queue_b = render(t, LRC_ATTR_QUEUE);
    assert_non_null(strstr(queue_b, "\"name\": \"Echo\""));
    assert_null(strstr(queue_b, "Sleep"));
    free(queue);
    free(queue_b);
    free(a);
    free(b);
    lrc_tracker_free(t);
}

/* Commands finishing out of submission order (an abort of queued commands
 * while an older one runs): the v1 lists show them by finish, pruning drops
 * the oldest submission first, removal follows the finish order. */
static void test_out_of_order_finish(void **state)
{
    lrc_tracker *t = make(10, 32);
    char *a = create(t, "A", NULL, 1), *b = create(t, "B", NULL, 2), *c = create(t, "C", NULL, 3);
    update(t, a, status(LRC_STATUS_QUEUED), 0, "{\"status\": 1}");
    update(t, b, status(LRC_STATUS_QUEUED), 0, "{\"status\": 1}");
    update(t, c, status(LRC_STATUS_QUEUED), 0, "{\"status\": 1}");
    update(t, a, status(LRC_STATUS_IN_PROGRESS), 0, "{\"status\": 2}");
    update(t, c, status(LRC_STATUS_ABORTED), 1, "{\"status\": 3}");
    update(t, b, status(LRC_STATUS_ABORTED), 2, "{\"status\": 3}");
    update(t, a, status(LRC_STATUS_COMPLETED), 3, "{\"status\": 5}");
    char want[300];
    snprintf(want, sizeof want, "%s|%s|%s", c, b, a);
    assert_render(t, LRC_ATTR_IDS_IN_QUEUE, want);
    assert_true(lrc_tracker_next_deadline(t) == 11.0);
    /* 30 more finished: 33 > 32, so one leaves: A, the oldest submission */
    for (int i = 0; i < 30; i++) {
        char *x = create(t, "Echo", NULL, 10 + i);
        update(t, x, status(LRC_STATUS_COMPLETED), 4, "{\"status\": 5}");
        free(x);
    }
    assert_int_equal(lrc_tracker_v1_count(t), 32);
    char *list = render(t, LRC_ATTR_IDS_IN_QUEUE);
    assert_null(strstr(list, a));
    assert_non_null(strstr(list, b));
    free(list);
    assert_int_equal(lrc_tracker_status(t, a), LRC_STATUS_COMPLETED); /* still in lrcFinished */
    assert_true(lrc_tracker_expire(t, 12.0)); /* C (11) and B (12) */
    list = render(t, LRC_ATTR_IDS_IN_QUEUE);
    assert_null(strstr(list, b));
    assert_null(strstr(list, c));
    free(list);
    assert_int_equal(lrc_tracker_v1_count(t), 30);
    assert_true(lrc_tracker_next_deadline(t) == 14.0);
    free(a);
    free(b);
    free(c);
    lrc_tracker_free(t);
}

/* A long history kept as configured: 10,000 finished commands all stay in
 * the v1 lists until their removal time, lrcFinished keeps the last 100,
 * and then only those 100 remain known. */
static void test_long_history(void **state)
{
    enum { N = 10000 };
    lrc_tracker *t = make(10, 2 * N + 2);
    char *first = NULL, *last = NULL;
    for (int i = 0; i < N; i++) {
        char *x = create(t, "Echo", NULL, 1 + i * 1e-3);
        update(t, x, status(LRC_STATUS_QUEUED), i, "{\"status\": 1}");
        update(t, x, status(LRC_STATUS_IN_PROGRESS), i, "{\"status\": 2}");
        update(t, x, status(LRC_STATUS_COMPLETED), i, "{\"status\": 5}");
        if (i == 0)
            first = x;
        else if (i == N - 1)
            last = x;
        else
            free(x);
    }
    assert_int_equal(lrc_tracker_v1_count(t), N);
    char **v;
    size_t n;
    assert_int_equal(lrc_tracker_render(t, LRC_ATTR_IDS_IN_QUEUE, &v, &n), 0);
    assert_int_equal(n, N);
    assert_string_equal(v[0], first);
    assert_string_equal(v[N - 1], last);
    lrc_strv_free(v, n);
    assert_int_equal(lrc_tracker_render(t, LRC_ATTR_FINISHED, &v, &n), 0);
    assert_int_equal(n, 100);
    lrc_strv_free(v, n);
    assert_int_equal(lrc_tracker_status(t, first), LRC_STATUS_NOT_FOUND);
    assert_int_equal(lrc_tracker_status(t, last), LRC_STATUS_COMPLETED);
    assert_false(lrc_tracker_expire(t, 9.5));
    assert_true(lrc_tracker_expire(t, N + 100.0));
    assert_int_equal(lrc_tracker_v1_count(t), 0);
    assert_true(lrc_tracker_next_deadline(t) < 0);
    assert_int_equal(lrc_tracker_status(t, last), LRC_STATUS_COMPLETED);
    free(first);
    free(last);
    lrc_tracker_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_happy_path_payloads), cmocka_unit_test(test_initial_values),
        cmocka_unit_test(test_v1_order),            cmocka_unit_test(test_commanded_state),
        cmocka_unit_test(test_finished_cap),        cmocka_unit_test(test_removal_time),
        cmocka_unit_test(test_v1_pruning),          cmocka_unit_test(test_unknown_id_and_bad_result),
        cmocka_unit_test(test_result_unicode),      cmocka_unit_test(test_generations),
        cmocka_unit_test(test_queue_and_executing_generations),
        cmocka_unit_test(test_out_of_order_finish), cmocka_unit_test(test_long_history),
        cmocka_unit_test(test_extra_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
