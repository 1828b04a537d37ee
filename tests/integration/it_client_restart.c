/*
 * it_client_restart.c - the device server dies under a running LRC and
 * comes back (conformance point 55): the Tango error event (API_EventTimeout,
 * from the keep-alive thread 10-20 s after the kill) reaches the callback as
 * an error update that is not final, nothing crashes, freeing the handle is
 * safe and prompt, and once the server is restarted a new invocation on the
 * same lrc_proxy runs to COMPLETED.
 *
 * Also a device that is down when its proxy is made (issue 10 item 16, and
 * `lrc watch` waiting for a late server): one clear error naming the real
 * cause, never cppTango's "connection request was delayed", and the same
 * proxy works once the server is up and again after a restart.
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
#include <time.h>

#include <cmocka.h>

static const char *g_example; /* argv[2]: lrc-invoke-example (unused here) */

/* A demo device of its own, with no second proxy: after the restart a
 * second client's reconnection attempts would make this one's subscription
 * fail ("connection request was delayed"). The test warms its own stream. */
static int setup(void **state) { return crec_fx_setup(state, "crestart", NULL, false); }

/* The restarted server must end cleanly too. */
static int teardown(void **state) { return crec_fx_teardown(state); }

/* Index of the first update at or after `from` whose error stack holds
 * API_EventTimeout, or -1. Under r->mu. */
static long find_timeout(crec *r, size_t from)
{
    for (size_t i = from; i < r->n; i++)
        if ((r->u[i].has & LRC_HAS_ERROR) && r->u[i].error_reasons &&
            strstr(r->u[i].error_reasons, "API_EventTimeout"))
            return (long)i;
    return -1;
}

typedef struct timeout_seen {
    crec *r;
    size_t from;
    long at;
} timeout_seen;

static bool timeout_found(void *arg)
{
    timeout_seen *t = arg;
    return (t->at = find_timeout(t->r, t->from)) >= 0;
}

/* Waits on the recorder's condition variable (no fixed sleep) for that
 * update; its index or -1 on timeout. */
static long wait_timeout_error(crec *r, size_t from, double timeout_s)
{
    timeout_seen t = {r, from, -1};
    (void)it_wait_cond(&r->mu, &r->cv, timeout_found, &t, timeout_s);
    return t.at;
}

/* 55: kill the server under a running Sleep, then restart it. */
static void test_server_killed_and_restarted(void **state)
{
    crec_fx *f = *state;
    /* recorders on the heap: after a failed assertion callbacks may still
     * come (freed only on success) */
    crec *r = calloc(1, sizeof *r), *r2 = calloc(1, sizeof *r2), *dead = calloc(1, sizeof *dead);
    crec_init(r);
    lrc_subscription *sub = NULL;
    lrc_error *err = NULL;
    lrc_arg a = lrc_arg_double(60);

    /* A cold stream may lose its first events while ZeroMQ propagates the
     * subscription (it_client_load.c, test_fresh_stream_events): keep the
     * stream connected through an Echo that completes, so the Sleep is
     * seen from STAGING on; then let the Sleep alone hold it. */
    assert_int_equal(lrc_connect_interface(f->p, NULL, &err), LRC_OK);
    crec warm;
    crec_init(&warm);
    lrc_arg hello = lrc_arg_string("warm-up");
    assert_int_equal(lrc_invoke(f->p, "Echo", &hello, crec_cb, &warm, NULL, NULL, &err), LRC_OK);
    assert_true(crec_wait_finals(&warm, 1, 20));
    crec_clear(&warm);

    double t0 = crec_now();
    assert_int_equal(lrc_invoke(f->p, "Sleep", &a, crec_cb, r, NULL, &sub, &err), LRC_OK);
    assert_int_equal(lrc_disconnect_interface(f->p, NULL), LRC_OK);
    assert_true(crec_wait_count(r, 3, 10));
    char *seq = crec_sequence(r);
    if (strncmp(seq, "STAGING | QUEUED | IN_PROGRESS", 30) != 0)
        fail_msg("before the kill: %s", seq);
    free(seq);
    /* a copy: the handle, which owns the ID, is freed before the last use */
    char *id = strdup(lrc_subscription_command_id(sub));
    assert_non_null(id);

    /* crash the server: SIGKILL, the database still lists the device */
    pthread_mutex_lock(&r->mu);
    size_t before_kill = r->n;
    pthread_mutex_unlock(&r->mu);
    double t_kill = crec_now();
    lrct_server_kill(f->d->srv);
    assert_int_equal(lrct_server_pid(f->d->srv), 0);

    /* commands fail at once while the server is down, not a crash either
     * (done now: cppTango refuses a reconnection within 1 s of a failed
     * one, "The connection request was delayed", so this must not be
     * right before the call after the restart) */
    crec_init(dead);
    lrc_arg e = lrc_arg_string("nobody home");
    double t_dead = crec_now();
    assert_int_equal(lrc_invoke(f->p, "Echo", &e, crec_cb, dead, NULL, NULL, &err), LRC_ETANGO);
    double dead_s = crec_now() - t_dead;
    fprintf(stderr, "restart: lrc_invoke on the dead device failed in %.2f s: %s\n", dead_s,
            lrc_error_message(err));
    lrc_error_free(err);
    err = NULL;

    long at = wait_timeout_error(r, before_kill, 40);
    double t_err = crec_now();
    seq = crec_sequence(r);
    if (at < 0)
        fail_msg("no API_EventTimeout update within 40 s of the kill: %s", seq);
    fprintf(stderr, "restart: API_EventTimeout delivered %.1f s after the kill: %s\n",
            t_err - t_kill, seq);
    free(seq);
    pthread_mutex_lock(&r->mu);
    const crec_update *eu = &r->u[at];
    assert_false(eu->final);            /* an error is not the end */
    assert_false(eu->has & LRC_HAS_STATUS);
    assert_string_equal(eu->command_id, id);
    assert_int_equal(r->finals, 0);
    for (size_t i = 0; i < r->n; i++)
        assert_false(r->u[i].final);
    bool concurrent = r->concurrent;
    pthread_mutex_unlock(&r->mu);
    assert_false(concurrent);

    /* freeing the handle is safe and prompt, the stream goes with it */
    double t_free = crec_now();
    lrc_subscription_free(sub);
    double free_s = crec_now() - t_free;
    fprintf(stderr, "restart: lrc_subscription_free took %.3f s\n", free_s);
    assert_true(free_s < 2.0);
    pthread_mutex_lock(&r->mu);
    size_t at_free = r->n;
    pthread_mutex_unlock(&r->mu);
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.streams, 0);
    assert_int_equal(st.subscribes, st.unsubscribes);

    /* back up (on a new port): a new invocation on the same proxy works */
    double t_restart = crec_now();
    assert_int_equal(lrct_server_restart(f->d->srv), 0);
    double t_up = crec_now();
    crec_init(r2);
    lrc_subscription *sub2 = NULL;
    lrc_arg again = lrc_arg_string("after restart");
    int rc = lrc_invoke(f->p, "Echo", &again, crec_cb, r2, NULL, &sub2, &err);
    if (rc != LRC_OK) {
        for (size_t i = 0; i < lrc_error_count(err); i++)
            fprintf(stderr, "  %s: %s\n", lrc_error_at(err, i)->reason, lrc_error_at(err, i)->desc);
        fail_msg("lrc_invoke %.2f s after the restart: %s: %s", crec_now() - t_up,
                 lrc_strerror(rc), lrc_error_message(err));
    }
    assert_true(crec_wait_finals(r2, 1, 30));
    double t_done = crec_now();
    seq = crec_sequence(r2);
    fprintf(stderr, "restart: after the restart: %s\n", seq);
    /* its stream is fresh: the first events may be lost in ZeroMQ (see
     * it_client_load.c, test_fresh_stream_events), the final may not */
    static const char *const want[] = {"STAGING", "QUEUED", "IN_PROGRESS",
                                       "COMPLETED result=[0, \"after restart\"] FINAL"};
    if (!crec_ordered_subsequence(seq, want, 4) || r2->finals != 1)
        fail_msg("after the restart: %s", seq);
    free(seq);
    for (size_t i = 0; i < r2->n; i++)
        assert_string_equal(r2->u[i].command_id, lrc_subscription_command_id(sub2));
    assert_string_not_equal(lrc_subscription_command_id(sub2), id);
    lrc_subscription_free(sub2);

    /* the freed invocation heard nothing more, and nothing of the dead call */
    pthread_mutex_lock(&r->mu);
    assert_int_equal(r->n, at_free);
    pthread_mutex_unlock(&r->mu);
    assert_int_equal(dead->n, 0);
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.streams, 0);
    assert_int_equal(st.invocations, 3); /* the warm-up Echo, the Sleep, the Echo after */
    fprintf(stderr,
            "restart: timeline from invoke: kill %.1f s, error %.1f s, restart %.1f s "
            "(ready after %.1f s), Echo completed %.2f s after ready; total %.1f s\n",
            t_kill - t0, t_err - t0, t_restart - t0, t_up - t_restart, t_done - t_up,
            t_done - t0);
    crec_clear(dead);
    crec_clear(r2);
    crec_clear(r);
    free(id);
    free(r);
    free(r2);
    free(dead);
}

/* The error of a call on a device that is down: cppTango's reason of the
 * failed connection attempt, `reason`, in the stack, nothing in the stack
 * about a refused (delayed) second attempt. */
static void expect_down_error(int rc, lrc_error *err, const char *reason, const char *what)
{
    bool delayed = false, found = false;
    for (size_t i = 0; i < lrc_error_count(err); i++) {
        found = found || strcmp(lrc_error_at(err, i)->reason, reason) == 0;
        fprintf(stderr, "  %s [%zu] %s: %s\n", what, i, lrc_error_at(err, i)->reason,
                lrc_error_at(err, i)->desc);
        delayed = delayed || strstr(lrc_error_at(err, i)->desc, "delayed");
    }
    assert_int_equal(rc, LRC_ETANGO);
    assert_true(found);
    assert_false(delayed);
    assert_null(strstr(lrc_error_message(err), "delayed"));
}

/* Invokes Echo(text) on p until the watch recorder w has seen a final
 * update (a fresh stream may lose its first events, it_client_load.c);
 * true when it did. Each Echo must complete. */
static bool echo_seen_by_watch(lrc_proxy *p, crec *w, const char *text)
{
    for (int k = 0; k < 5; k++) {
        crec r;
        crec_init(&r);
        lrc_error *err = NULL;
        lrc_arg a = lrc_arg_string(text);
        int rc = lrc_invoke(p, "Echo", &a, crec_cb, &r, NULL, NULL, &err);
        if (rc != LRC_OK)
            fprintf(stderr, "restart: Echo: %s\n", lrc_error_message(err));
        lrc_error_free(err);
        bool done = rc == LRC_OK && crec_wait_finals(&r, 1, 20);
        crec_clear(&r);
        if (!done)
            return false;
        if (crec_wait_finals(w, 1, 5))
            return true;
    }
    return false;
}

/* Issue 10 item 16 and `lrc watch`: a proxy made while its device's server
 * has not been started fails with one clear error (API_DeviceNotExported,
 * no "delayed" second attempt), then serves a watch and invocations once
 * the server is up, and again after the server was killed and restarted.
 * A new proxy to the killed (still exported) device fails cleanly too. */
static void test_proxy_before_server(void **state)
{
    (void)state;
    char *inst = lrct_unique_name("cbefore");
    char dev[160], server[200];
    snprintf(dev, sizeof dev, "test/%s/%s", g_impl == IT_IMPL_PY ? "skalrc" : "lrcdemo", inst);
    snprintf(server, sizeof server, "%s/%s",
             g_impl == IT_IMPL_PY ? "SkaLrcDevice" : "lrc-demo-device", inst);
    const char *reg[] = {"tango_admin", "--add-server", server,
                         g_impl == IT_IMPL_PY ? "SkaLrcDevice" : "LrcDemo", dev, NULL};
    assert_int_equal(lrct_run(reg, 10000, NULL), 0);

    lrc_proxy *p = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_proxy_open(dev, NULL, &p, &err), LRC_OK);
    crec *dead = calloc(1, sizeof *dead), *w = calloc(1, sizeof *w);
    crec_init(dead);
    crec_init(w);
    lrc_arg e = lrc_arg_string("nobody home");
    int rc = lrc_invoke(p, "Echo", &e, crec_cb, dead, NULL, NULL, &err);
    expect_down_error(rc, err, "API_DeviceNotExported", "invoke, never started");
    assert_string_equal(lrc_error_at(err, lrc_error_count(err) - 1)->reason,
                        "SKA_InvokeLrcFailed");
    lrc_error_free(err);
    err = NULL;
    lrc_watch *watch = NULL;
    rc = lrc_watch_start(p, crec_cb, w, NULL, &watch, &err);
    assert_null(watch);
    expect_down_error(rc, err, "API_DeviceNotExported", "watch, never started");
    lrc_error_free(err);
    err = NULL;

    /* the server comes up: the same proxy watches and invokes */
    const char *devs[] = {dev, NULL};
    lrct_server *srv = it_server_start(inst, devs, NULL);
    assert_non_null(srv);
    rc = lrc_watch_start(p, crec_cb, w, NULL, &watch, &err);
    if (rc != LRC_OK)
        fail_msg("watch on the proxy made before the server: %s", lrc_error_message(err));
    assert_true(echo_seen_by_watch(p, w, "first life"));
    lrc_watch_free(watch);
    watch = NULL;

    /* killed: a new proxy to the exported-but-dead device fails at once,
     * cleanly; then the server is back and the first proxy works again */
    lrct_server_kill(srv);
    lrc_proxy *p2 = NULL;
    assert_int_equal(lrc_proxy_open(dev, NULL, &p2, &err), LRC_OK);
    rc = lrc_invoke(p2, "Echo", &e, crec_cb, dead, NULL, NULL, &err);
    expect_down_error(rc, err, "API_CantConnectToDevice", "invoke, killed");
    lrc_error_free(err);
    err = NULL;
    lrc_proxy_close(p2);

    assert_int_equal(lrct_server_restart(srv), 0);
    crec_clear(w);
    crec_init(w);
    rc = lrc_watch_start(p, crec_cb, w, NULL, &watch, &err);
    if (rc != LRC_OK)
        fail_msg("watch after the restart: %s", lrc_error_message(err));
    assert_true(echo_seen_by_watch(p, w, "second life"));
    lrc_watch_free(watch);
    assert_int_equal(dead->n, 0);
    lrc_proxy_close(p);
    assert_int_equal(lrct_server_stop(srv), 0);
    crec_clear(dead);
    crec_clear(w);
    free(dead);
    free(w);
    free(inst);
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
        cmocka_unit_test_setup_teardown(test_server_killed_and_restarted, setup, teardown),
        cmocka_unit_test(test_proxy_before_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
