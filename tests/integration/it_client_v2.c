/*
 * it_client_v2.c - lrc_invoke against a real protocol-v2 demo device over a
 * real Tango database: the callback sequences, every failure of the
 * invocation sequence, the subscription handle, pre-connected streams and
 * the lrc-invoke-example program. Conformance points 5, 8, 9, 11-15, 18,
 * 24, 28-30, 32-35, 51, 52, 54.
 */
#include "client_rec.h"
#include "it_common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

static const char *g_example; /* argv[2]: lrc-invoke-example */

/* Per test: a fresh demo device and an lrc_proxy on it. */
typedef crec_fx fx;

static int setup(void **state) { return crec_fx_setup(state, "cv2", NULL, true); }

/* Invokes and waits for the final update; returns the sequence text. */
static char *run_to_end(fx *f, const char *cmd, const lrc_arg *arg, crec *r,
                        lrc_subscription **sub)
{
    lrc_error *err = NULL;
    int rc = lrc_invoke(f->p, cmd, arg, crec_cb, r, NULL, sub, &err);
    if (rc != LRC_OK)
        fail_msg("lrc_invoke %s: %s", cmd, lrc_error_message(err));
    assert_true(crec_wait_finals(r, 1, 20));
    return crec_sequence(r);
}

static void expect_sequence(fx *f, const char *cmd, const lrc_arg *arg, const char *want)
{
    crec r;
    crec_init(&r);
    lrc_subscription *sub = NULL;
    char *seq = run_to_end(f, cmd, arg, &r, &sub);
    if (!crec_sequence_matches(seq, want))
        fail_msg("sequence \"%s\" is not (a suffix of) \"%s\"", seq, want);
    assert_int_equal(lrc_subscription_protocol_version(sub), 2);
    /* every update names our command; the ID has the ska shape */
    const char *id = lrc_subscription_command_id(sub);
    size_t lid = strlen(id), lcmd = strlen(cmd);
    assert_true(lid > lcmd + 1 && strcmp(id + lid - lcmd, cmd) == 0 && id[lid - lcmd - 1] == '_');
    for (size_t i = 0; i < r.n; i++) {
        assert_string_equal(r.u[i].command_id, id);
        assert_int_equal(r.u[i].protocol_version, 2);
        assert_false(pthread_equal(r.u[i].thread, pthread_self())); /* never inside the call */
    }
    assert_false(r.concurrent);
    lrc_subscription_free(sub);
    free(seq);
    crec_clear(&r);
}

/* 18, 14, 15, 11: the v2 happy path, STAGING first and exactly once. */
static void test_echo_sequence(void **state)
{
    fx *f = *state;
    lrc_arg a = lrc_arg_string("hello");
    expect_sequence(f, "Echo", &a,
                    "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"hello\"] FINAL");
    /* the stream went with the invocation */
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.subscribes, 1);
    assert_int_equal(st.unsubscribes, 1);
    assert_int_equal(st.streams, 0);
    assert_int_equal(st.invocations, 1);
}

static void test_sleep_progress(void **state)
{
    fx *f = *state;
    lrc_arg a = lrc_arg_double(0.3);
    expect_sequence(f, "Sleep", &a,
                    "STAGING | QUEUED | IN_PROGRESS | progress=10 | progress=20 | progress=30 | "
                    "progress=40 | progress=50 | progress=60 | progress=70 | progress=80 | "
                    "progress=90 | progress=100 | COMPLETED result=[0, \"Sleep done\"] FINAL");
}

/* 24 (FAILED) and 33 (unicode result text). */
static void test_fail_and_unicode(void **state)
{
    fx *f = *state;
    lrc_arg a = lrc_arg_string("boom");
    expect_sequence(f, "Fail", &a,
                    "STAGING | QUEUED | IN_PROGRESS | FAILED result=[3, \"Unhandled exception "
                    "during execution: boom\"] FINAL");
    /* Text is Latin-1 on the wire: up to U+00FF goes as an argument... */
    lrc_arg u = lrc_arg_string("caf\xc3\xa9 \xc3\xbf");
    expect_sequence(f, "Echo", &u,
                    "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"caf\\u00e9 "
                    "\\u00ff\"] FINAL");
    /* ...beyond it is refused before anything is sent... */
    crec r;
    crec_init(&r);
    lrc_error *err = NULL;
    lrc_arg euro = lrc_arg_string("caf\xc3\xa9 \xe2\x82\xac");
    assert_int_equal(lrc_invoke(f->p, "Echo", &euro, crec_cb, &r, NULL, NULL, &err), LRC_EINVAL);
    assert_non_null(strstr(lrc_error_message(err), "U+20AC"));
    lrc_error_free(err);
    crec_clear(&r);
    /* ...while results carry any character, escaped as json.dumps does
     * (Complete, the demo device's command ending with a given result). */
    if (g_impl == IT_IMPL_DEMO) {
        lrc_arg j = lrc_arg_string("[0, \"caf\\u00e9 \\u20ac \\ud83d\\ude00\"]");
        expect_sequence(f, "Complete", &j,
                        "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"caf\\u00e9 "
                        "\\u20ac \\ud83d\\ude00\"] FINAL");
    }
}

/* 33, spec section 7 "Text": a PyTango device decodes a DevString as
 * Latin-1, so UTF-8 text must be converted at the Tango boundary; the
 * device's JSON escapes non-ASCII (json.dumps). "café" is Latin-1
 * representable: it must come back as "caf\u00e9" from both devices. */
static void test_latin1_text(void **state)
{
    fx *f = *state;
    crec r;
    crec_init(&r);
    lrc_arg u = lrc_arg_string("caf\xc3\xa9");
    char *seq = run_to_end(f, "Echo", &u, &r, NULL);
    static const char want[] =
        "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"caf\\u00e9\"] FINAL";
    if (!crec_sequence_matches(seq, want))
        fail_msg("sequence \"%s\" is not (a suffix of) \"%s\"", seq, want);
    free(seq);
    crec_clear(&r);
}

/* 12: a falsy argument is an argument; no argument is refused at once. */
static void test_falsy_argument(void **state)
{
    fx *f = *state;
    lrc_arg empty = lrc_arg_string("");
    expect_sequence(f, "Echo", &empty,
                    "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"\"] FINAL");
    crec r;
    crec_init(&r);
    lrc_error *err = NULL;
    assert_int_equal(lrc_invoke(f->p, "Echo", NULL, crec_cb, &r, NULL, NULL, &err), LRC_EINVAL);
    assert_non_null(strstr(lrc_error_message(err), "'Echo'"));
    lrc_error_free(err);
    /* JSON form, converted by the declared DevDouble */
    lrc_arg j = lrc_arg_json("0");
    expect_sequence(f, "Sleep", &j,
                    "STAGING | QUEUED | IN_PROGRESS | progress=10 | progress=20 | progress=30 | "
                    "progress=40 | progress=50 | progress=60 | progress=70 | progress=80 | "
                    "progress=90 | progress=100 | COMPLETED result=[0, \"Sleep done\"] FINAL");
    crec_clear(&r);
}

/* 34: Abort through lrc_invoke (STARTED accepted); the Sleep ends ABORTED. */
static void test_abort(void **state)
{
    fx *f = *state;
    crec rs, ra;
    crec_init(&rs);
    crec_init(&ra);
    lrc_subscription *ss = NULL, *sa = NULL;
    lrc_arg a = lrc_arg_double(20);
    lrc_error *err = NULL;
    assert_int_equal(lrc_invoke(f->p, "Sleep", &a, crec_cb, &rs, NULL, &ss, &err), LRC_OK);
    assert_true(crec_wait_count(&rs, 3, 10)); /* STAGING, QUEUED, IN_PROGRESS */
    assert_int_equal(lrc_invoke(f->p, "Abort", NULL, crec_cb, &ra, NULL, &sa, &err), LRC_OK);
    assert_true(crec_wait_finals(&ra, 1, 20));
    assert_true(crec_wait_finals(&rs, 1, 20));
    char *sa_seq = crec_sequence(&ra);
    assert_true(crec_sequence_matches(
        sa_seq, "STAGING | IN_PROGRESS | COMPLETED result=[0, \"Abort completed OK\"] FINAL"));
    char *last = crec_render(&rs.u[rs.n - 1]);
    assert_string_equal(last, "ABORTED result=[7, \"Command has been aborted\"] FINAL");
    /* 28: both shared one stream, each saw only its own ID */
    for (size_t i = 0; i < rs.n; i++)
        assert_string_equal(rs.u[i].command_id, lrc_subscription_command_id(ss));
    for (size_t i = 0; i < ra.n; i++)
        assert_string_equal(ra.u[i].command_id, lrc_subscription_command_id(sa));
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.subscribes, 1);
    free(sa_seq);
    free(last);
    lrc_subscription_free(ss);
    lrc_subscription_free(sa);
    crec_clear(&rs);
    crec_clear(&ra);
}

/* Runs an Echo to its end on the same proxy and scheduler queue: every
 * update of an earlier command that was going to be delivered has been
 * by then (one queue, arrival order). */
static void barrier(fx *f)
{
    crec r;
    crec_init(&r);
    lrc_arg a = lrc_arg_string("barrier");
    free(run_to_end(f, "Echo", &a, &r, NULL));
    crec_clear(&r);
}

static void log_capture(void *user, int level, const char *msg)
{
    char *buf = user;
    snprintf(buf, 512, "%d %s", level, msg);
}

/* 9, 54: REJECTED -> LRC_EREJECTED with the reason, logged at error level
 * through the invocation's logger; nothing subscribed, no callback. */
static void test_rejected(void **state)
{
    fx *f = *state;
    if (g_impl != IT_IMPL_DEMO)
        skip(); /* Off: the PyTango device has no state machine to refuse with */
    crec r;
    crec_init(&r);
    char logged[512] = "";
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.logger = log_capture;
    o.logger_user = logged;
    lrc_error *err = NULL;
    lrc_subscription *sub = (lrc_subscription *)1;
    assert_int_equal(lrc_invoke(f->p, "Off", NULL, crec_cb, &r, &o, &sub, &err), LRC_EREJECTED);
    assert_null(sub);
    assert_string_equal(lrc_error_message(err), "Off command rejected: Device is already in OFF state.");
    assert_string_equal(logged, "40 Off command rejected: Device is already in OFF state.");
    lrc_error_free(err);
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.subscribes, 1);
    assert_int_equal(st.unsubscribes, 1);
    assert_int_equal(st.streams, 0);
    assert_int_equal(st.invocations, 0);
    barrier(f);
    assert_int_equal(r.n, 0);
    crec_clear(&r);
}

/* 8: a DevFailed from the command -> SKA_InvokeLrcFailed on top. */
static void test_command_devfailed(void **state)
{
    fx *f = *state;
    crec r;
    crec_init(&r);
    lrc_error *err = NULL;
    lrc_arg a = lrc_arg_double(-1);
    assert_int_equal(lrc_invoke(f->p, "Sleep", &a, crec_cb, &r, NULL, NULL, &err), LRC_ETANGO);
    assert_string_equal(lrc_error_message(err),
                        "Invocation of command 'Sleep' failed with args: (-1.0,)");
    size_t n = lrc_error_count(err);
    assert_true(n >= 2);
    assert_string_equal(lrc_error_at(err, n - 1)->reason, "SKA_InvokeLrcFailed");
    assert_string_equal(lrc_error_at(err, n - 1)->desc,
                        "Invocation of command 'Sleep' failed with args: (-1.0,)");
    bool device_reason = false; /* the device's own error is kept below */
    for (size_t i = 0; i + 1 < n; i++)
        if (strstr(lrc_error_at(err, i)->desc, "invalid duration"))
            device_reason = true;
    assert_true(device_reason);
    lrc_error_free(err);
    crec_expect_unsubscribed(f->p);
    barrier(f);
    assert_int_equal(r.n, 0);
    crec_clear(&r);
}

/* Unknown command: a Tango failure before anything is subscribed;
 * a command that is not an LRC: LRC_EINVAL. */
static void test_unknown_and_not_lrc(void **state)
{
    fx *f = *state;
    crec r;
    crec_init(&r);
    lrc_error *err = NULL;
    assert_int_equal(lrc_invoke(f->p, "NoSuchCommand", NULL, crec_cb, &r, NULL, NULL, &err),
                     LRC_ETANGO);
    bool not_found = false;
    for (size_t i = 0; i < lrc_error_count(err); i++)
        if (strcmp(lrc_error_at(err, i)->reason, "API_CommandNotFound") == 0)
            not_found = true;
    assert_true(not_found);
    lrc_error_free(err);
    assert_int_equal(
        lrc_invoke(f->p, "CheckLongRunningCommandStatus", NULL, crec_cb, &r, NULL, NULL, &err),
        LRC_EINVAL);
    assert_string_equal(lrc_error_message(err),
                        "'CheckLongRunningCommandStatus' is not a long running command: it "
                        "returns DevString, not DevVarLongStringArray");
    lrc_error_free(err);
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.subscribes, 0);
    crec_clear(&r);
}

/* 35: AbortCommands answers [[STARTED], ["Aborting commands"]]: the drain
 * starts, but that is no command ID (issue 10 item 4): lrc_invoke fails
 * at once with LRC_ERESULTCODE, nothing stays subscribed, nothing hangs. */
static void test_abort_commands(void **state)
{
    fx *f = *state;
    crec r;
    crec_init(&r);
    lrc_subscription *sub = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_invoke(f->p, "AbortCommands", NULL, crec_cb, &r, NULL, &sub, &err),
                     LRC_ERESULTCODE);
    assert_null(sub);
    assert_non_null(strstr(lrc_error_message(err),
                           "Unexpected reply of AbortCommands command: 'Aborting commands' is "
                           "not a command ID"));
    lrc_error_free(err);
    barrier(f);
    assert_int_equal(r.n, 0);
    crec_clear(&r);
}

/* 30: freeing stops callbacks; freeing inside the final callback is fine. */
static void test_free_handle(void **state)
{
    fx *f = *state;
    crec r;
    crec_init(&r);
    lrc_subscription *sub = NULL;
    lrc_error *err = NULL;
    lrc_arg a = lrc_arg_double(0.5);
    assert_int_equal(lrc_invoke(f->p, "Sleep", &a, crec_cb, &r, NULL, &sub, &err), LRC_OK);
    assert_true(crec_wait_count(&r, 3, 10));
    lrc_subscription_free(sub);
    pthread_mutex_lock(&r.mu);
    size_t at_free = r.n;
    pthread_mutex_unlock(&r.mu);
    barrier(f); /* the Sleep ended before this Echo: its events were not delivered */
    assert_int_equal(r.n, at_free);
    assert_int_equal(r.finals, 0);
    crec_clear(&r);

    crec_init(&r);
    r.free_in_final = true;
    lrc_arg e = lrc_arg_string("x");
    pthread_mutex_lock(&r.mu);
    assert_int_equal(lrc_invoke(f->p, "Echo", &e, crec_cb, &r, NULL, &r.sub, &err), LRC_OK);
    pthread_mutex_unlock(&r.mu);
    assert_true(crec_wait_finals(&r, 1, 10));
    assert_null(r.sub); /* freed by the callback */
    crec_clear(&r);
}

/* 51, 52: connected streams serve 50 invocations without a subscription;
 * disconnect releases them and invocations still work. */
static void test_connect_interface(void **state)
{
    fx *f = *state;
    lrc_error *err = NULL;
    assert_int_equal(lrc_connect_interface(f->p, NULL, &err), LRC_OK);
    assert_int_equal(lrc_connect_interface(f->p, NULL, &err), LRC_OK); /* idempotent */
    lrc_proxy_stats before;
    lrc_proxy_get_stats(f->p, &before);
    assert_int_equal(before.subscribes, 1);
    assert_int_equal(before.streams, 1);
    for (int i = 0; i < 50; i++) {
        char text[32];
        snprintf(text, sizeof text, "n%d", i);
        char want[160];
        snprintf(want, sizeof want,
                 "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"%s\"] FINAL", text);
        lrc_arg a = lrc_arg_string(text);
        expect_sequence(f, "Echo", &a, want);
    }
    lrc_proxy_stats after;
    lrc_proxy_get_stats(f->p, &after);
    assert_int_equal(after.subscribes, 1);
    assert_int_equal(after.unsubscribes, 0);
    assert_int_equal(after.invocations, 50);

    assert_int_equal(lrc_disconnect_interface(f->p, NULL), LRC_OK);
    assert_int_equal(lrc_disconnect_interface(f->p, NULL), LRC_ENOTFOUND);
    lrc_proxy_get_stats(f->p, &after);
    assert_int_equal(after.streams, 0);
    assert_int_equal(after.unsubscribes, 1);
    lrc_arg a = lrc_arg_string("again");
    expect_sequence(f, "Echo", &a,
                    "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"again\"] FINAL");
    lrc_proxy_get_stats(f->p, &after);
    assert_int_equal(after.subscribes, 2);
}

/* Disconnecting while an invocation runs does not break it: it keeps the
 * stream until its end, then the stream goes. */
static void test_disconnect_while_running(void **state)
{
    fx *f = *state;
    lrc_error *err = NULL;
    assert_int_equal(lrc_connect_interface(f->p, NULL, &err), LRC_OK);
    crec r;
    crec_init(&r);
    lrc_subscription *sub = NULL;
    lrc_arg a = lrc_arg_double(0.3);
    assert_int_equal(lrc_invoke(f->p, "Sleep", &a, crec_cb, &r, NULL, &sub, &err), LRC_OK);
    assert_true(crec_wait_count(&r, 3, 10));
    assert_int_equal(lrc_disconnect_interface(f->p, NULL), LRC_OK);
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.streams, 1); /* still needed by the Sleep */
    assert_true(crec_wait_finals(&r, 1, 10));
    char *last = crec_render(&r.u[r.n - 1]);
    assert_string_equal(last, "COMPLETED result=[0, \"Sleep done\"] FINAL");
    free(last);
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.streams, 0);
    assert_int_equal(st.subscribes, 1);
    assert_int_equal(st.unsubscribes, 1);
    lrc_subscription_free(sub);
    crec_clear(&r);
}

/* 29: two invocations at once on one device: one stream, each sees only
 * its own command, both complete. Without a handle (out NULL) the
 * invocation frees itself after its final callback. */
static void test_two_at_once(void **state)
{
    fx *f = *state;
    crec r1, r2;
    crec_init(&r1);
    crec_init(&r2);
    lrc_arg s = lrc_arg_double(0.3), e = lrc_arg_string("two");
    lrc_error *err = NULL;
    lrc_subscription *s1 = NULL;
    assert_int_equal(lrc_invoke(f->p, "Sleep", &s, crec_cb, &r1, NULL, &s1, &err), LRC_OK);
    assert_int_equal(lrc_invoke(f->p, "Echo", &e, crec_cb, &r2, NULL, NULL, &err), LRC_OK);
    assert_true(crec_wait_finals(&r1, 1, 10));
    assert_true(crec_wait_finals(&r2, 1, 10));
    char *q2 = crec_sequence(&r2);
    /* the Echo waits in the queue behind the Sleep */
    assert_true(crec_sequence_matches(
        q2, "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"two\"] FINAL"));
    for (size_t i = 0; i < r1.n; i++)
        assert_string_equal(r1.u[i].command_id, lrc_subscription_command_id(s1));
    for (size_t i = 1; i < r2.n; i++)
        assert_string_equal(r2.u[i].command_id, r2.u[0].command_id);
    assert_string_not_equal(r1.u[0].command_id, r2.u[0].command_id);
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.subscribes, 1);
    assert_int_equal(st.streams, 0);
    free(q2);
    lrc_subscription_free(s1);
    crec_clear(&r1);
    crec_clear(&r2);
}

/* Plain event callbacks on a scheduler (50): the current value first, then
 * every change; unregister stops delivery; unknown ids are harmless. */
typedef struct seen {
    pthread_mutex_t mu;
    char *values[64];
    size_t n;
} seen;

static void on_finished(const lrc_event *ev, void *user)
{
    seen *s = user;
    pthread_mutex_lock(&s->mu);
    if (s->n < 64)
        s->values[s->n++] = strdup(ev->value_json ? ev->value_json : "error");
    pthread_mutex_unlock(&s->mu);
}

static void test_register_event_callback(void **state)
{
    fx *f = *state;
    seen s = {PTHREAD_MUTEX_INITIALIZER, {0}, 0};
    uint64_t id = 0;
    lrc_error *err = NULL;
    assert_int_equal(lrc_register_event_callback(NULL, f->p, "lrcFinished", NULL, on_finished, &s,
                                                 &id, &err),
                     LRC_OK);
    /* The new stream may miss what the device publishes in its first
     * moments: run Echos (on the registration's queue) until one shows. */
    size_t n = 0;
    bool shown = false;
    for (int tries = 0; tries < 5 && !shown; tries++) {
        barrier(f);
        pthread_mutex_lock(&s.mu);
        n = s.n;
        shown = n >= 2 && strstr(s.values[n - 1], "barrier") && strstr(s.values[n - 1], "COMPLETED");
        pthread_mutex_unlock(&s.mu);
    }
    assert_true(shown);
    assert_true(s.values[0][0] == '['); /* the initial value: the list as it was */
    assert_int_equal(lrc_unregister_callback(NULL, id), LRC_OK);
    pthread_mutex_lock(&s.mu);
    n = s.n; /* the device pushes lrcFinished after the _lrcEvent final: read now */
    pthread_mutex_unlock(&s.mu);
    assert_int_equal(lrc_unregister_callback(NULL, id), LRC_ENOTFOUND);
    assert_int_equal(lrc_unregister_callback(NULL, 987654321), LRC_ENOTFOUND);
    barrier(f);
    barrier(f);
    assert_int_equal(s.n, n); /* nothing after unregistering */
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.streams, 0);
    for (size_t i = 0; i < s.n; i++)
        free(s.values[i]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Latency of n Echos on f->p: lrc_invoke's return and the final update,
 * from the call. Prints median and max; asserts only that all completed. */
static void latency_round(fx *f, const char *label, int n)
{
    double ret[20], fin[20];
    for (int i = 0; i < n; i++) {
        crec r;
        crec_init(&r);
        lrc_arg a = lrc_arg_string("latency");
        lrc_error *err = NULL;
        double t0 = crec_now();
        assert_int_equal(lrc_invoke(f->p, "Echo", &a, crec_cb, &r, NULL, NULL, &err), LRC_OK);
        ret[i] = crec_now() - t0;
        assert_true(crec_wait_finals(&r, 1, 20));
        fin[i] = r.u[r.n - 1].at - t0;
        crec_clear(&r);
    }
    qsort(ret, (size_t)n, sizeof *ret, cmp_double);
    qsort(fin, (size_t)n, sizeof *fin, cmp_double);
    fprintf(stderr,
            "latency report (%s, %s, %d Echos): lrc_invoke returned after median %.1f ms "
            "(max %.1f), final update after median %.1f ms (max %.1f)\n",
            it_impl_name(), label, n, ret[n / 2] * 1e3, ret[n - 1] * 1e3, fin[n / 2] * 1e3,
            fin[n - 1] * 1e3);
}

/* Issue 9 point 4: what a batching device (ska: 100 ms) does to the
 * client, next to our kit's immediate pushes. A report for the log, not
 * an assertion: timed assertions flake on a shared machine. */
static void test_latency_report(void **state)
{
    fx *f = *state;
    latency_round(f, "a stream per call", 10);
    lrc_error *err = NULL;
    assert_int_equal(lrc_connect_interface(f->p, NULL, &err), LRC_OK);
    latency_round(f, "connected interface", 10);
    assert_int_equal(lrc_disconnect_interface(f->p, NULL), LRC_OK);
}

/* True when this test runs instrumented (ASan, TSan, valgrind), several
 * times slower than usual. */
static bool instrumented(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return true;
#elif defined(RUNNING_ON_VALGRIND)
    return RUNNING_ON_VALGRIND != 0;
#else
    return false;
#endif
}

/* True when `out` is `full` or a tail of it that starts at a line. */
static bool is_line_tail(const char *out, const char *full)
{
    size_t n = strlen(out), nf = strlen(full);
    return n > 0 && n <= nf && strcmp(full + nf - n, out) == 0 &&
           (n == nf || full[nf - n - 1] == '\n');
}

/* The example program: JSON lines and its exit codes. */
static void test_example_program(void **state)
{
    fx *f = *state;
    char *out = NULL;
    const char *echo[] = {g_example, f->d->device, "Echo", "\"hi\"", NULL};
    assert_int_equal(lrct_run(echo, 30000, &out), 0);
    static const char full[] = "{\"status\":\"STAGING\"}\n{\"status\":\"QUEUED\"}\n"
                               "{\"status\":\"IN_PROGRESS\"}\n"
                               "{\"status\":\"COMPLETED\",\"result\":[0,\"hi\"]}\n";
    /* The example subscribes and calls at once. Our kit holds its first
     * pushes until the subscription took effect (docs/protocol.md, "Fresh
     * subscribers"), so it sees every status. A ska-like device publishing
     * every 100 ms does not: when the filter reaches its publisher after the
     * first batch (seen under ASan on a loaded machine), the first events
     * are lost and the library recovers the rest from the device. Nor does
     * the hold when the filter takes longer than it (100 ms): a new
     * process's first connection to the server did once in the TSan pass.
     * Then the output is a tail of the sequence, which must end with the
     * final. The whole sequence is required of our kit in the plain pass
     * (integration.fresh_subscribers measures the hold under load). */
    if (g_impl == IT_IMPL_DEMO && !instrumented()) {
        assert_string_equal(out, full);
    } else if (!is_line_tail(out, full)) {
        fprintf(stderr, "the example printed:\n%s", out);
        fail_msg("not the sequence nor a tail of it ending with the final");
    }
    free(out);
    const char *failing[] = {g_example, f->d->device, "Fail", "\"no\"", "--connect", NULL};
    assert_int_equal(lrct_run(failing, 30000, &out), 1);
    assert_non_null(strstr(out, "{\"status\":\"FAILED\",\"result\":[3,"));
    free(out);
    if (g_impl == IT_IMPL_DEMO) { /* Off is refused by the demo device only */
        const char *rejected[] = {g_example, f->d->device, "Off", NULL};
        assert_int_equal(lrct_run(rejected, 30000, &out), 2);
        assert_string_equal(out, "");
        free(out);
    }
    const char *usage[] = {g_example, f->d->device, NULL};
    assert_int_equal(lrct_run(usage, 30000, &out), 64);
    free(out);
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    if (argc < 3) {
        fprintf(stderr, "usage: %s <lrc-demo-device> <lrc-invoke-example>\n", argv[0]);
        return 2;
    }
    g_example = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_echo_sequence, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_sleep_progress, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_fail_and_unicode, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_latin1_text, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_falsy_argument, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_abort, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_rejected, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_command_devfailed, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_not_lrc, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_abort_commands, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_free_handle, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_connect_interface, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_two_at_once, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_while_running, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_register_event_callback, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_example_program, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_latency_report, setup, crec_fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
