/*
 * it_device.c - lrc/device.h against real demo devices over the real Tango
 * database: protocol info for LrcProtocolVersions "1,2", "none" (a pre-1.2
 * device) and "3,4"; the command lists with a running Sleep, queued
 * commands and a finished Echo, on a v2 and on a pre-1.2 device;
 * CheckLongRunningCommandStatus for live, finished and unknown IDs;
 * AbortCommands as a plain command; and watches that follow commands
 * started by lrc_invoke end to end (v2 and v1), and see nothing of what
 * happened before they started.
 */
#include "client_rec.h"
#include "it_common.h"
#include "lrc/device.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef crec_fx fx;

static int setup_12(void **state) { return crec_fx_setup(state, "dev", "1,2", true); }
static int setup_none(void **state) { return crec_fx_setup(state, "dev", "none", true); }
static int setup_34(void **state) { return crec_fx_setup(state, "dev", "3,4", false); }

static lrc_subscription *invoke(fx *f, const char *cmd, const lrc_arg *arg, crec *r)
{
    lrc_subscription *sub = NULL;
    lrc_error *err = NULL;
    if (lrc_invoke(f->p, cmd, arg, crec_cb, r, NULL, &sub, &err) != LRC_OK)
        fail_msg("lrc_invoke %s: %s", cmd, lrc_error_message(err));
    return sub;
}

/* Waits until an update with progress arrived. */
static bool wait_progress(crec *r, double timeout_s)
{
    double end = crec_now() + timeout_s;
    for (size_t seen = 0; crec_now() < end;) {
        if (!crec_wait_count(r, seen + 1, end - crec_now()))
            return false;
        pthread_mutex_lock(&r->mu);
        bool got = false;
        for (; seen < r->n; seen++)
            got = got || (r->u[seen].has & LRC_HAS_PROGRESS);
        pthread_mutex_unlock(&r->mu);
        if (got)
            return true;
    }
    return false;
}

static void expect_protocol(lrc_proxy *p, int rc, bool advertised, int64_t smin, int64_t smax,
                            int version)
{
    lrc_protocol_info pi;
    lrc_protocol_info_init(&pi);
    lrc_error *err = NULL;
    assert_int_equal(lrc_proxy_protocol(p, &pi, &err), rc);
    assert_true(pi.lrc_capable);
    assert_int_equal(pi.advertised, advertised);
    assert_int_equal(pi.server_min, smin);
    assert_int_equal(pi.server_max, smax);
    assert_int_equal(pi.version, version);
    if (rc == LRC_OK)
        assert_null(err);
    else
        assert_int_equal(lrc_error_code(err), rc);
    lrc_error_free(err);
}

static void expect_status(fx *f, const char *id, lrc_status want)
{
    lrc_status st = LRC_STATUS_STAGING;
    lrc_error *err = NULL;
    if (lrc_proxy_command_status(f->p, id, &st, &err) != LRC_OK)
        fail_msg("lrc_proxy_command_status %s: %s", id, lrc_error_message(err));
    if (st != want)
        fail_msg("%s is %s, not %s", id, lrc_status_name(st), lrc_status_name(want));
}

static size_t index_of(const lrc_command_list *l, const char *id)
{
    for (size_t i = 0; i < lrc_command_list_count(l); i++)
        if (strcmp(lrc_command_list_at(l, i)->command_id, id) == 0)
            return i;
    fail_msg("%s is not listed", id);
    return 0;
}

static bool iso_time(const char *t)
{
    return t && strlen(t) >= 25 && t[4] == '-' && t[10] == 'T' && strstr(t, "+00:00");
}

/* A finished Echo, a running Sleep with progress, two queued Echos: the
 * device's list (v2: lrcFinished/lrcExecuting/lrcQueue items, with
 * submitted_time from our kit, without from the ska-like PyTango device;
 * v1: the deprecated lists), the status of each, then
 * AbortCommands as a plain command ends them. */
static void lists_and_status(fx *f, int version)
{
    crec rh, rs, r1, r2;
    crec_init(&rh);
    crec_init(&rs);
    crec_init(&r1);
    crec_init(&r2);
    lrc_arg hello = lrc_arg_string("hello"), secs = lrc_arg_double(3.0);
    lrc_arg q1 = lrc_arg_string("q1"), q2 = lrc_arg_string("q2");
    lrc_subscription *sh = invoke(f, "Echo", &hello, &rh);
    assert_true(crec_wait_finals(&rh, 1, 20));
    lrc_subscription *ss = invoke(f, "Sleep", &secs, &rs);
    assert_true(wait_progress(&rs, 20));
    lrc_subscription *s1 = invoke(f, "Echo", &q1, &r1);
    lrc_subscription *s2 = invoke(f, "Echo", &q2, &r2);
    const char *id_hello = lrc_subscription_command_id(sh), *id_sleep = lrc_subscription_command_id(ss);
    const char *id_q1 = lrc_subscription_command_id(s1), *id_q2 = lrc_subscription_command_id(s2);

    lrc_command_list *l = NULL;
    lrc_error *err = NULL;
    if (lrc_proxy_list_commands(f->p, &l, &err) != LRC_OK)
        fail_msg("lrc_proxy_list_commands: %s", lrc_error_message(err));
    assert_int_equal(lrc_command_list_malformed(l), 0);
    size_t ih = index_of(l, id_hello), is = index_of(l, id_sleep);
    size_t i1 = index_of(l, id_q1), i2 = index_of(l, id_q2);
    assert_true(ih < is && is < i1 && i1 < i2);
    const lrc_command_info *h = lrc_command_list_at(l, ih), *s = lrc_command_list_at(l, is);
    const lrc_command_info *c1 = lrc_command_list_at(l, i1), *c2 = lrc_command_list_at(l, i2);
    assert_int_equal(h->status, LRC_STATUS_COMPLETED);
    assert_string_equal(h->name, "Echo");
    assert_string_equal(h->result_json, "[0, \"hello\"]");
    assert_true(h->has_result_code);
    assert_int_equal(h->result_code, LRC_RESULT_OK);
    assert_string_equal(h->result_message, "hello");
    assert_int_equal(s->status, LRC_STATUS_IN_PROGRESS);
    assert_string_equal(s->name, "Sleep");
    assert_true(s->has_progress);
    assert_true(s->progress >= 10 && s->progress < 100);
    assert_null(s->result_json);
    for (size_t i = 0; i < 2; i++) {
        const lrc_command_info *q = i ? c2 : c1;
        assert_int_equal(q->status, LRC_STATUS_QUEUED);
        assert_string_equal(q->name, "Echo");
        assert_false(q->has_progress);
        assert_null(q->started_time);
        assert_null(q->extra_json);
    }
    if (version == 2) {
        assert_int_equal(h->source, LRC_SOURCE_FINISHED);
        assert_int_equal(s->source, LRC_SOURCE_EXECUTING);
        assert_int_equal(c1->source, LRC_SOURCE_QUEUE);
        assert_int_equal(c2->source, LRC_SOURCE_QUEUE);
        assert_true(iso_time(h->started_time) && iso_time(h->finished_time));
        assert_true(iso_time(s->started_time));
        assert_null(s->finished_time);
        if (g_impl == IT_IMPL_DEMO) { /* our kit sends the documented submitted_time */
            assert_true(iso_time(h->submitted_time) && iso_time(s->submitted_time) &&
                        iso_time(c1->submitted_time));
        } else { /* ska 1.3.2 never does (its "sumbitted_time" typo): not required */
            assert_null(h->submitted_time);
            assert_null(s->submitted_time);
            assert_null(c1->submitted_time);
        }
        assert_null(h->extra_json);
        /* finished, then executing, then queued (FINISHED > EXECUTING > QUEUE) */
        for (size_t i = 0; i + 1 < lrc_command_list_count(l); i++)
            assert_true(lrc_command_list_at(l, i)->source >= lrc_command_list_at(l, i + 1)->source);
    } else {
        for (size_t i = 0; i < lrc_command_list_count(l); i++) {
            const lrc_command_info *c = lrc_command_list_at(l, i);
            assert_int_equal(c->source, LRC_SOURCE_V1_STATUS);
            assert_null(c->submitted_time);
            assert_null(c->started_time);
            assert_null(c->finished_time);
        }
    }
    assert_ptr_equal(lrc_command_list_find(l, id_sleep), s);
    lrc_command_list_free(l);

    /* CheckLongRunningCommandStatus: live, finished, unknown */
    expect_status(f, id_sleep, LRC_STATUS_IN_PROGRESS);
    expect_status(f, id_q1, LRC_STATUS_QUEUED);
    expect_status(f, id_hello, LRC_STATUS_COMPLETED);
    expect_status(f, "1795594285.291185_220486277368583_Nothing", LRC_STATUS_NOT_FOUND);

    /* the deprecated AbortCommands, a plain command: its reply as JSON */
    char *reply = NULL;
    if (lrc_proxy_command(f->p, "AbortCommands", NULL, &reply, &err) != LRC_OK)
        fail_msg("AbortCommands: %s", lrc_error_message(err));
    assert_string_equal(reply, "[[1], [\"Aborting commands\"]]");
    free(reply);
    assert_true(crec_wait_finals(&rs, 1, 20));
    assert_true(crec_wait_finals(&r1, 1, 20));
    assert_true(crec_wait_finals(&r2, 1, 20));
    expect_status(f, id_sleep, LRC_STATUS_ABORTED);
    expect_status(f, id_q2, LRC_STATUS_ABORTED);
    /* a plain command with an argument and a DevString reply */
    lrc_arg id_arg = lrc_arg_string(id_hello);
    assert_int_equal(lrc_proxy_command(f->p, "CheckLongRunningCommandStatus", &id_arg, &reply, NULL),
                     LRC_OK);
    assert_string_equal(reply, "\"COMPLETED\"");
    free(reply);

    lrc_subscription_free(sh);
    lrc_subscription_free(ss);
    lrc_subscription_free(s1);
    lrc_subscription_free(s2);
    crec_clear(&rh);
    crec_clear(&rs);
    crec_clear(&r1);
    crec_clear(&r2);
}

static void test_v2_device_queries(void **state)
{
    fx *f = *state;
    expect_protocol(f->p, LRC_OK, true, 1, 2, 2);
    lists_and_status(f, 2);
}

static void test_pre_1_2_device_queries(void **state)
{
    fx *f = *state;
    expect_protocol(f->p, LRC_OK, false, 1, 1, 1);
    lists_and_status(f, 1);
}

/* No common version: the info says why; lists and status still work (they
 * need no protocol), a watch does not start. */
static void test_no_common_version(void **state)
{
    fx *f = *state;
    expect_protocol(f->p, LRC_EPROTOCOL, true, 3, 4, 0);
    lrc_command_list *l = NULL;
    assert_int_equal(lrc_proxy_list_commands(f->p, &l, NULL), LRC_OK);
    assert_int_equal(lrc_command_list_count(l), 0);
    assert_int_equal(lrc_command_list_malformed(l), 0);
    lrc_command_list_free(l);
    crec r;
    crec_init(&r);
    lrc_watch *w = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_watch_start(f->p, crec_cb, &r, NULL, &w, &err), LRC_EPROTOCOL);
    assert_null(w);
    assert_non_null(strstr(lrc_error_message(err), "Server version min, max = (3, 4)"));
    lrc_error_free(err);
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.subscribes, 0);
    crec_clear(&r);
}

/* ---- watches ------------------------------------------------------------------- */

/* The updates r got for id, rendered and joined; *finals counts the final
 * ones. */
static char *sequence_of(crec *r, const char *id, int version, size_t *finals)
{
    pthread_mutex_lock(&r->mu);
    size_t cap = 64, len = 0;
    char *s = calloc(1, cap);
    *finals = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!r->u[i].command_id || strcmp(r->u[i].command_id, id) != 0)
            continue;
        if (version)
            assert_int_equal(r->u[i].protocol_version, version);
        *finals += r->u[i].final;
        char *one = crec_render(&r->u[i]);
        size_t need = len + strlen(one) + 4;
        while (need > cap)
            s = realloc(s, cap *= 2);
        len += (size_t)sprintf(s + len, "%s%s", len ? " | " : "", one);
        free(one);
    }
    pthread_mutex_unlock(&r->mu);
    return s;
}

/* Waits until the watch delivered the final update of id. */
static bool wait_watch_final(crec *r, const char *id, double timeout_s)
{
    double end = crec_now() + timeout_s;
    for (;;) {
        size_t finals = 0;
        free(sequence_of(r, id, 0 /* unchecked below */, &finals));
        if (finals)
            return true;
        pthread_mutex_lock(&r->mu);
        size_t n = r->n;
        pthread_mutex_unlock(&r->mu);
        double left = end - crec_now();
        if (left <= 0 || !crec_wait_count(r, n + 1, left))
            return false;
    }
}

static bool named(crec *r, const char *id)
{
    pthread_mutex_lock(&r->mu);
    bool found = false;
    for (size_t i = 0; i < r->n && !found; i++)
        found = r->u[i].command_id && strcmp(r->u[i].command_id, id) == 0;
    pthread_mutex_unlock(&r->mu);
    return found;
}

/* Runs Echo(text) through lrc_invoke to its end; returns its ID. */
static char *echo_to_end(fx *f, const char *text)
{
    crec r;
    crec_init(&r);
    lrc_arg a = lrc_arg_string(text);
    lrc_subscription *s = invoke(f, "Echo", &a, &r);
    assert_true(crec_wait_finals(&r, 1, 20));
    char *id = strdup(lrc_subscription_command_id(s));
    lrc_subscription_free(s);
    crec_clear(&r);
    return id;
}

#define SLEEP_PROGRESS                                                                        \
    "progress=10 | progress=20 | progress=30 | progress=40 | progress=50 | progress=60 | "    \
    "progress=70 | progress=80 | progress=90 | progress=100"

static void watch_two_commands(fx *f, int version)
{
    /* before the watch: nothing of it may show */
    char *before = echo_to_end(f, "before");
    crec rw;
    crec_init(&rw);
    lrc_watch *w = NULL;
    lrc_error *err = NULL;
    if (lrc_watch_start(f->p, crec_cb, &rw, NULL, &w, &err) != LRC_OK)
        fail_msg("lrc_watch_start: %s", lrc_error_message(err));
    assert_int_equal(lrc_watch_protocol_version(w), version);
    /* A new subscription takes effect asynchronously: probe until the
     * watch sees a command's end (what it saw of the probes is not
     * checked). */
    bool live = false;
    for (int tries = 0; tries < 5 && !live; tries++) {
        char *probe = echo_to_end(f, "probe");
        live = wait_watch_final(&rw, probe, 2);
        free(probe);
    }
    assert_true(live);

    crec rs, re;
    crec_init(&rs);
    crec_init(&re);
    lrc_arg secs = lrc_arg_double(0.3), two = lrc_arg_string("two");
    lrc_subscription *ss = invoke(f, "Sleep", &secs, &rs);
    lrc_subscription *se = invoke(f, "Echo", &two, &re); /* queued behind the Sleep */
    assert_true(crec_wait_finals(&rs, 1, 20));
    assert_true(crec_wait_finals(&re, 1, 20));
    const char *ids = lrc_subscription_command_id(ss), *ide = lrc_subscription_command_id(se);
    assert_true(wait_watch_final(&rw, ids, 10));
    assert_true(wait_watch_final(&rw, ide, 10));

    const char *want_sleep =
        version == 2 ? "STAGING | QUEUED | IN_PROGRESS | " SLEEP_PROGRESS
                       " | COMPLETED result=[0, \"Sleep done\"] FINAL"
                     : "STAGING | QUEUED | IN_PROGRESS | " SLEEP_PROGRESS
                       " | result=[0, \"Sleep done\"] | COMPLETED FINAL";
    const char *want_echo =
        version == 2 ? "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"two\"] FINAL"
                     : "STAGING | QUEUED | IN_PROGRESS | result=[0, \"two\"] | COMPLETED FINAL";
    size_t finals = 0;
    char *seq = sequence_of(&rw, ids, version, &finals);
    if (strcmp(seq, want_sleep) != 0)
        fail_msg("watch saw the Sleep as \"%s\", not \"%s\"", seq, want_sleep);
    assert_int_equal(finals, 1);
    free(seq);
    seq = sequence_of(&rw, ide, version, &finals);
    if (strcmp(seq, want_echo) != 0)
        fail_msg("watch saw the Echo as \"%s\", not \"%s\"", seq, want_echo);
    assert_int_equal(finals, 1);
    free(seq);
    /* what the invocations saw of their own command */
    char *inv = crec_sequence(&rs);
    assert_true(crec_sequence_matches(inv, want_sleep));
    free(inv);
    inv = crec_sequence(&re);
    assert_true(crec_sequence_matches(inv, want_echo));
    free(inv);
    assert_false(named(&rw, before));
    assert_false(rw.concurrent);

    /* the watch goes on after those finals */
    char *after = echo_to_end(f, "after");
    assert_true(wait_watch_final(&rw, after, 10));
    free(after);
    /* and every update names a command (no error event meanwhile) */
    pthread_mutex_lock(&rw.mu);
    for (size_t i = 0; i < rw.n; i++)
        assert_non_null(rw.u[i].command_id);
    pthread_mutex_unlock(&rw.mu);

    lrc_watch_free(w);
    lrc_subscription_free(ss);
    lrc_subscription_free(se);
    crec_expect_unsubscribed(f->p);
    free(before);
    crec_clear(&rw);
    crec_clear(&rs);
    crec_clear(&re);
}

static void test_v2_watch(void **state) { watch_two_commands(*state, 2); }
static void test_v1_watch(void **state) { watch_two_commands(*state, 1); }

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v2_device_queries, setup_12, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_pre_1_2_device_queries, setup_none, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_no_common_version, setup_34, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_v2_watch, setup_12, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_v1_watch, setup_none, crec_fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
