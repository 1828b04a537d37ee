/*
 * it_metrics.c - lrc_proxy_get_metrics and the scheduler's metrics against a
 * real demo device: a scripted mix of invocations (completed, failed,
 * refused, aborted, timed out by the library, an unknown command) leaves
 * exactly the script's counts; every event queued is run and timed once;
 * the subscribe times are those of the subscriptions made. Once with a
 * worker scheduler, once with a loop-mode one dispatched by the test.
 */
#include "client_rec.h"
#include "it_common.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef crec_fx fx;

static int setup(void **state) { return crec_fx_setup(state, "metrics", NULL, true); }

/* m (a metrics struct of `size` bytes, whose first member is its size)
 * zeroed with its size set, as the getters want it. */
static void *sized(void *m, size_t size)
{
    memset(m, 0, size);
    *(size_t *)m = size;
    return m;
}

static lrc_proxy_metrics proxy_metrics(const lrc_proxy *p)
{
    lrc_proxy_metrics m;
    assert_int_equal(lrc_proxy_get_metrics(p, sized(&m, sizeof m)), LRC_OK);
    return m;
}

static lrc_queue_metrics sched_metrics(const lrc_scheduler *s)
{
    lrc_queue_metrics m;
    assert_int_equal(lrc_scheduler_get_metrics(s, sized(&m, sizeof m)), LRC_OK);
    return m;
}

static size_t finals_of(const crec *r) { return r->finals; }

static size_t count_of(const crec *r) { return r->n; }

/* Dispatches the loop scheduler `loop` until seen(r) reaches want,
 * polling its fd between rounds: one loop for finals and for updates. */
static bool dispatch_until(lrc_scheduler *loop, crec *r, size_t (*seen)(const crec *), size_t want,
                           double timeout_s)
{
    double end = crec_now() + timeout_s;
    for (;;) {
        assert_true(lrc_scheduler_dispatch(loop, 0) >= 0);
        pthread_mutex_lock(&r->mu);
        bool done = seen(r) >= want;
        pthread_mutex_unlock(&r->mu);
        if (done)
            return true;
        if (crec_now() > end)
            return false;
        struct pollfd pfd = {.fd = lrc_scheduler_fd(loop), .events = POLLIN};
        (void)poll(&pfd, 1, 50);
    }
}

/* Waits until the recorder saw `finals` finals: by sleeping on the
 * recorder (workers), or by dispatching the loop scheduler `loop`. */
static bool wait_finals(lrc_scheduler *loop, crec *r, size_t finals, double timeout_s)
{
    if (!loop)
        return crec_wait_finals(r, finals, timeout_s);
    return dispatch_until(loop, r, finals_of, finals, timeout_s);
}

/* The same until the recorder holds n updates. */
static bool wait_count(lrc_scheduler *loop, crec *r, size_t n, double timeout_s)
{
    if (!loop)
        return crec_wait_count(r, n, timeout_s);
    return dispatch_until(loop, r, count_of, n, timeout_s);
}

/* Invokes and records into r (one final expected); returns lrc_invoke's code. */
static int invoke(fx *f, lrc_scheduler *s, const char *cmd, const lrc_arg *a, int64_t timeout_ms,
                  crec *r, lrc_subscription **sub)
{
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.scheduler = s;
    o.timeout_ms = timeout_ms;
    lrc_error *err = NULL;
    int rc = lrc_invoke(f->p, cmd, a, crec_cb, r, &o, sub, &err);
    lrc_error_free(err);
    return rc;
}

/* The script: 5 Echo (COMPLETED), 2 Fail (FAILED), Off on a device that is
 * OFF (refused: REJECTED, not started), a Sleep aborted by Abort (ABORTED;
 * the Abort COMPLETED), a Sleep ended by timeout_ms (TIMED_OUT), an
 * unknown command (not started). Returns the updates delivered. */
static size_t run_script(fx *f, lrc_scheduler *s, lrc_scheduler *loop)
{
    size_t updates = 0;
    crec r;
    lrc_arg echo = lrc_arg_string("x"), boom = lrc_arg_string("boom");
    for (int i = 0; i < 7; i++) {
        crec_init(&r);
        assert_int_equal(invoke(f, s, i < 5 ? "Echo" : "Fail", i < 5 ? &echo : &boom, 0, &r, NULL),
                         LRC_OK);
        assert_true(wait_finals(loop, &r, 1, 20));
        updates += r.n;
        crec_clear(&r);
    }
    crec_init(&r);
    assert_int_equal(invoke(f, s, "Off", NULL, 0, &r, NULL), LRC_EREJECTED);
    assert_int_equal(invoke(f, s, "NoSuchCommand", NULL, 0, &r, NULL) != LRC_OK, true);
    assert_int_equal(r.n, 0);
    crec_clear(&r);

    /* ABORTED: a long Sleep, queued or running, then Abort */
    crec rs, ra;
    crec_init(&rs);
    crec_init(&ra);
    lrc_subscription *ss = NULL;
    lrc_arg long_sleep = lrc_arg_double(20);
    assert_int_equal(invoke(f, s, "Sleep", &long_sleep, 0, &rs, &ss), LRC_OK);
    assert_true(wait_count(loop, &rs, 2, 10)); /* STAGING, QUEUED */
    assert_int_equal(invoke(f, s, "Abort", NULL, 0, &ra, NULL), LRC_OK);
    assert_true(wait_finals(loop, &ra, 1, 20));
    assert_true(wait_finals(loop, &rs, 1, 20));
    char *last = crec_render(&rs.u[rs.n - 1]);
    assert_non_null(strstr(last, "ABORTED"));
    free(last);
    updates += rs.n + ra.n;
    lrc_subscription_free(ss);
    crec_clear(&rs);
    crec_clear(&ra);

    /* TIMED_OUT: the library ends it after 300 ms; the device goes on */
    crec_init(&r);
    lrc_arg short_sleep = lrc_arg_double(1.0);
    assert_int_equal(invoke(f, s, "Sleep", &short_sleep, 300, &r, NULL), LRC_OK);
    assert_true(wait_finals(loop, &r, 1, 20));
    assert_int_equal(r.u[r.n - 1].end, LRC_END_TIMED_OUT);
    updates += r.n - 1; /* that final came from the library, not an event */
    crec_clear(&r);
    return updates;
}

static void check_script(fx *f, lrc_scheduler *s, size_t updates)
{
    lrc_proxy_metrics m = proxy_metrics(f->p);
    assert_int_equal(m.started, 10);
    assert_int_equal(m.not_started, 2);
    assert_int_equal(m.completed, 6); /* 5 Echo and the Abort */
    assert_int_equal(m.failed, 2);
    assert_int_equal(m.rejected, 1);
    assert_int_equal(m.aborted, 1);
    assert_int_equal(m.timed_out, 1);
    assert_int_equal(m.lost, 0);
    /* the old counters agree */
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.invocations, m.started);
    assert_int_equal(st.subscribes, m.subscribes);
    assert_int_equal(st.events, m.event_values + m.event_errors);
    /* every event that reached the device's invocations came in a value
     * event; none was an error */
    assert_true(m.event_values >= updates);
    assert_int_equal(m.event_errors, 0);
    assert_true(m.subscribes >= 1);
    assert_int_equal(m.subscribe_time.count, m.subscribes);
    assert_true(m.subscribe_time.max_ns > 0);
    assert_true(m.subscribe_time.sum_ns >= m.subscribe_time.max_ns);
    /* the queue: every batch queued ran (nothing dropped: finals and
     * statuses are never dropped, and the queue never filled) */
    assert_int_equal(m.queue.dropped, 0);
    assert_int_equal(m.queue.length, 0);
    assert_true(m.queue.processed >= 10); /* at least each final */
    assert_int_equal(m.queue.received, m.queue.processed + m.queue.discarded);
    assert_int_equal(m.queue_time.count, m.queue.processed);
    assert_int_equal(m.callback_time.count, m.queue.processed);
    assert_true(m.queue_time.p50_ns <= m.queue_time.p99_ns);
    assert_true(m.queue_time.p99_ns <= m.queue_time.max_ns);
    /* only this proxy used the scheduler */
    lrc_queue_metrics sm = sched_metrics(s);
    assert_int_equal(sm.counts.processed, m.queue.processed);
    assert_int_equal(sm.callback_time.count, m.callback_time.count);
    assert_int_equal(sm.callback_time.max_ns, m.callback_time.max_ns);
    printf("metrics: %llu events, %llu items, queue p50 %llu ns p99 %llu ns, callback p50 %llu "
           "ns, %llu subscribes, mean %llu us\n",
           (unsigned long long)m.event_values, (unsigned long long)m.queue.processed,
           (unsigned long long)m.queue_time.p50_ns, (unsigned long long)m.queue_time.p99_ns,
           (unsigned long long)m.callback_time.p50_ns, (unsigned long long)m.subscribes,
           (unsigned long long)(m.subscribe_time.sum_ns / m.subscribe_time.count / 1000));
}

static lrc_scheduler *new_sched(unsigned threads)
{
    lrc_scheduler_options o;
    lrc_scheduler_options_init(&o);
    o.thread_count = threads;
    o.name = "it-metrics";
    lrc_scheduler *s = NULL;
    assert_int_equal(lrc_scheduler_new(&o, &s, NULL), LRC_OK);
    return s;
}

static void test_script_workers(void **state)
{
    fx *f = *state;
    lrc_scheduler *s = new_sched(1);
    size_t updates = run_script(f, s, NULL);
    /* A callback's times are recorded when it returns, just after the
     * recorder saw its final: wait until the last one is in. */
    for (int i = 0; i < 500; i++) {
        lrc_proxy_metrics m = proxy_metrics(f->p);
        if (m.callback_time.count == m.queue.processed && m.queue.length == 0)
            break;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    check_script(f, s, updates);
    lrc_proxy_metrics before = proxy_metrics(f->p);
    lrc_scheduler_free(s);

    /* A new scheduler (often at the freed one's address, whose binding
     * then gets a new queue): the proxy's numbers only grow. */
    s = new_sched(1);
    crec r;
    crec_init(&r);
    lrc_arg a = lrc_arg_string("again");
    assert_int_equal(invoke(f, s, "Echo", &a, 0, &r, NULL), LRC_OK);
    assert_true(crec_wait_finals(&r, 1, 20));
    crec_clear(&r);
    lrc_scheduler_free(s); /* waits for the running callback: its times are in */
    lrc_proxy_metrics after = proxy_metrics(f->p);
    assert_int_equal(after.completed, before.completed + 1);
    assert_true(after.queue.processed > before.queue.processed);
    assert_true(after.queue.received >= before.queue.received + 1);
    assert_true(after.callback_time.count > before.callback_time.count);
    assert_true(after.callback_time.max_ns >= before.callback_time.max_ns);
}

static void test_script_loop(void **state)
{
    fx *f = *state;
    lrc_scheduler *s = new_sched(0);
    size_t updates = run_script(f, s, s);
    /* nothing runs but inside dispatch: exact now */
    assert_true(lrc_scheduler_dispatch(s, 0) >= 0);
    check_script(f, s, updates);
    lrc_scheduler_free(s);
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_script_workers, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_script_loop, setup, crec_fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
