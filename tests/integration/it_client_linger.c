/*
 * it_client_linger.c - lrc_invoke without lrc_connect_interface against a
 * real device: streams that linger after an invocation serve the next ones
 * without a subscription, and lrc_invoke returns once the command replied,
 * before any event of it (the PyTango device publishes in 100 ms batches),
 * the callbacks still coming in order with exactly one final, and a server
 * restart while a stream lingers still ends the next invocation.
 */
#include "client_rec.h"
#include "it_common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef crec_fx fx;

static int setup(void **state) { return crec_fx_setup(state, "linger", NULL, true); }

#define ECHO_SEQ "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"x\"] FINAL"

static lrc_proxy *open_lingering(fx *f)
{
    lrc_proxy *p = NULL;
    lrc_error *err = NULL;
    if (lrc_proxy_open(f->d->device, NULL, &p, &err) != LRC_OK) /* the default: lingering */
        fail_msg("lrc_proxy_open: %s", lrc_error_message(err));
    return p;
}

/* Sequential invocations share one subscription: the first makes it, the
 * others find it lingering. */
static void test_sequential_invocations_subscribe_once(void **state)
{
    fx *f = *state;
    lrc_proxy *p = open_lingering(f);
    lrc_arg a = lrc_arg_string("x");
    for (int i = 0; i < 4; i++) {
        crec r;
        crec_init(&r);
        lrc_error *err = NULL;
        if (lrc_invoke(p, "Echo", &a, crec_cb, &r, NULL, NULL, &err) != LRC_OK)
            fail_msg("lrc_invoke: %s", lrc_error_message(err));
        assert_true(crec_wait_finals(&r, 1, 20));
        char *seq = crec_sequence(&r);
        if (!crec_sequence_matches(seq, ECHO_SEQ))
            fail_msg("call %d: %s", i, seq);
        free(seq);
        crec_clear(&r);
    }
    lrc_proxy_stats st;
    lrc_proxy_get_stats(p, &st);
    assert_int_equal(st.invocations, 4);
    assert_int_equal(st.subscribes, 1);
    assert_int_equal(st.unsubscribes, 0);
    assert_int_equal(st.streams, 1); /* lingering */
    lrc_proxy_close(p);              /* drops it (the teardown stops the server cleanly) */
}

/* What the callback saw of lrc_invoke's return. */
typedef struct order_rec {
    crec r;
    atomic_bool returned;           /* lrc_invoke has returned */
    atomic_int before_return;       /* callbacks but STAGING's that started before */
} order_rec;

static void order_cb(const lrc_update *u, void *user)
{
    order_rec *o = user;
    bool staging = (u->has & LRC_HAS_STATUS) && u->status == LRC_STATUS_STAGING;
    if (!atomic_load(&o->returned) && !staging)
        atomic_fetch_add(&o->before_return, 1);
    crec_cb(u, &o->r);
}

/* lrc_invoke on a fresh (young) stream returns when the command replied:
 * it does not wait for the first event. The PyTango device pushes STAGING
 * from the command itself (before its reply: kept as an early event and
 * possibly delivered at once) and everything else in 100 ms batches, so no
 * other callback can have run by then; when the young stream lost STAGING,
 * lrc_invoke used to wait for the first batch. The callbacks then arrive
 * in order, the final exactly once. */
static void test_invoke_returns_before_the_events(void **state)
{
    fx *f = *state;
    lrc_arg a = lrc_arg_string("x");
    for (int i = 0; i < 5; i++) {
        lrc_proxy *p = open_lingering(f); /* a new subscription each time: young */
        order_rec o;
        crec_init(&o.r);
        atomic_init(&o.returned, false);
        atomic_init(&o.before_return, 0);
        lrc_subscription *sub = NULL;
        lrc_error *err = NULL;
        if (lrc_invoke(p, "Echo", &a, order_cb, &o, NULL, &sub, &err) != LRC_OK)
            fail_msg("lrc_invoke: %s", lrc_error_message(err));
        atomic_store(&o.returned, true);
        if (g_impl == IT_IMPL_PY)
            assert_int_equal(atomic_load(&o.before_return), 0);
        assert_true(crec_wait_finals(&o.r, 1, 20));
        /* every callback of the device's queue has run once a later
         * invocation on the same proxy and scheduler has ended */
        crec r2;
        crec_init(&r2);
        assert_int_equal(lrc_invoke(p, "Echo", &a, crec_cb, &r2, NULL, NULL, NULL), LRC_OK);
        assert_true(crec_wait_finals(&r2, 1, 20));
        crec_clear(&r2);
        assert_int_equal(o.r.finals, 1);
        char *seq = crec_sequence(&o.r);
        if (!crec_sequence_matches(seq, ECHO_SEQ))
            fail_msg("call %d: %s", i, seq);
        free(seq);
        lrc_subscription_free(sub);
        crec_clear(&o.r);
        lrc_proxy_close(p);
    }
}

/* Without a second client (a warm-up proxy's reconnection attempts after
 * the restart disturb this one's, see it_client_restart.c). */
static int setup_cold(void **state) { return crec_fx_setup(state, "lrestart", NULL, false); }

/* The server restarts while the stream lingers: the stream still points at
 * the old server until cppTango notices (10-20 s), so the events of an
 * invocation made at once are lost; its final update still comes, read
 * from the device once the stream is back (or, if the error came first,
 * through a fresh subscription). */
static void test_device_restarting_while_a_stream_lingers(void **state)
{
    fx *f = *state;
    lrc_proxy *p = open_lingering(f);
    lrc_arg a = lrc_arg_string("x");
    crec r;
    crec_init(&r);
    assert_int_equal(lrc_invoke(p, "Echo", &a, crec_cb, &r, NULL, NULL, NULL), LRC_OK);
    assert_true(crec_wait_finals(&r, 1, 20));
    crec_clear(&r);
    lrc_proxy_stats st;
    lrc_proxy_get_stats(p, &st);
    assert_int_equal(st.streams, 1); /* lingering */

    assert_int_equal(lrct_server_restart(f->d->srv), 0);
    crec_init(&r);
    lrc_arg b = lrc_arg_string("after restart");
    lrc_error *err = NULL;
    if (lrc_invoke(p, "Echo", &b, crec_cb, &r, NULL, NULL, &err) != LRC_OK)
        fail_msg("lrc_invoke after the restart: %s", lrc_error_message(err));
    assert_true(crec_wait_finals(&r, 1, 60));
    char *seq = crec_sequence(&r);
    fprintf(stderr, "linger restart: %s\n", seq);
    const char *tail = "COMPLETED result=[0, \"after restart\"] FINAL";
    size_t ls = strlen(seq), lt = strlen(tail);
    if (ls < lt || strcmp(seq + ls - lt, tail) != 0)
        fail_msg("after the restart: %s", seq);
    free(seq);
    assert_int_equal(r.finals, 1);
    crec_clear(&r);
    lrc_proxy_close(p);
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sequential_invocations_subscribe_once, setup,
                                        crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_invoke_returns_before_the_events, setup,
                                        crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_device_restarting_while_a_stream_lingers,
                                        setup_cold, crec_fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
