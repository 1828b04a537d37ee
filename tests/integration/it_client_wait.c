/*
 * it_client_wait.c - blocking waits (lrc_subscription_wait, lrc_invoke_wait)
 * and the scheduler's loop mode against a real demo device over a real
 * Tango database: finals within the wait's timeout, a wait that times out
 * and a second one that gets the final, waits combined with callbacks,
 * several waiting threads, refusals that would deadlock, a free racing
 * waits, callbacks on a poll() loop's own thread, and the
 * lrc-poll-loop-example program (argv[2]).
 */
#include "client_rec.h"
#include "core/client_internal.h" /* waiters.waiting: a wait has begun */
#include "it_common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

static const char *g_example; /* argv[2]: lrc-poll-loop-example */

typedef crec_fx fx;

static int setup(void **state) { return crec_fx_setup(state, "cwt", NULL, true); }

/* Generous: valgrind and a loaded machine. */
#define LONG_MS 30000

static lrc_subscription *start(fx *f, const char *cmd, const lrc_arg *arg, crec *r,
                               const lrc_invoke_options *o)
{
    lrc_subscription *sub = NULL;
    lrc_error *err = NULL;
    if (lrc_invoke(f->p, cmd, arg, crec_cb, r, o, &sub, &err) != LRC_OK)
        fail_msg("lrc_invoke %s: %s", cmd, lrc_error_message(err));
    return sub;
}

/* The opening of most tests here, in one place: a Sleep of `seconds`
 * invoked with the recorder r (initialised here) as its callback; o: NULL
 * for the defaults. */
static lrc_subscription *start_sleep(fx *f, double seconds, crec *r,
                                     const lrc_invoke_options *o)
{
    crec_init(r);
    lrc_arg a = lrc_arg_double(seconds);
    return start(f, "Sleep", &a, r, o);
}

/* Echo: the wait returns COMPLETED with the result, after the final
 * callback (which ran exactly once); waiting again gives the same. */
static void test_wait_echo(void **state)
{
    fx *f = *state;
    crec r;
    crec_init(&r);
    lrc_arg a = lrc_arg_string("hello");
    lrc_subscription *sub = start(f, "Echo", &a, &r, NULL);
    lrc_final *fin = NULL;
    lrc_error *err = NULL;
    int rc = lrc_subscription_wait(sub, LONG_MS, &fin, &err);
    if (rc != LRC_OK)
        fail_msg("wait: %s", lrc_error_message(err));
    pthread_mutex_lock(&r.mu);
    assert_int_equal(r.finals, 1); /* the callback came first */
    assert_true(r.u[r.n - 1].final);
    assert_int_equal(r.u[r.n - 1].status, fin->status);
    pthread_mutex_unlock(&r.mu);
    assert_true(fin->has & LRC_HAS_STATUS);
    assert_int_equal(fin->status, LRC_STATUS_COMPLETED);
    assert_true(fin->has & LRC_HAS_RESULT);
    assert_string_equal(fin->result_json, "[0, \"hello\"]");
    assert_true(fin->has & LRC_HAS_RESULT_CODE);
    assert_int_equal(fin->result_code, 0);
    assert_string_equal(fin->result_message, "hello");
    assert_string_equal(fin->command_id, lrc_subscription_command_id(sub));
    assert_false(fin->has & LRC_HAS_END);
    lrc_final *again = NULL;
    assert_int_equal(lrc_subscription_wait(sub, 0, &again, NULL), LRC_OK);
    assert_int_equal(again->status, LRC_STATUS_COMPLETED);
    assert_ptr_not_equal(again, fin); /* each wait its own copy */
    assert_int_equal(lrc_subscription_wait(sub, -1, NULL, NULL), LRC_OK);
    lrc_subscription_free(sub);
    lrc_final_free(again);
    assert_string_equal(fin->result_json, "[0, \"hello\"]"); /* outlives the handle */
    lrc_final_free(fin);
    assert_int_equal(r.finals, 1);
    crec_clear(&r);
}

/* A Sleep longer than the wait: LRC_ETIMEDOUT, the invocation goes on and
 * a second wait gets its final. */
static void test_wait_timeout_then_final(void **state)
{
    fx *f = *state;
    crec r;
    lrc_subscription *sub = start_sleep(f, 1.5, &r, NULL);
    lrc_error *err = NULL;
    lrc_final *fin = (lrc_final *)&r; /* must be reset */
    assert_int_equal(lrc_subscription_wait(sub, 100, &fin, &err), LRC_ETIMEDOUT);
    assert_null(fin);
    assert_int_equal(lrc_error_code(err), LRC_ETIMEDOUT);
    assert_non_null(strstr(lrc_error_message(err), "goes on"));
    lrc_error_free(err);
    assert_int_equal(lrc_subscription_wait(sub, 0, NULL, NULL), LRC_ETIMEDOUT);
    assert_int_equal(lrc_subscription_wait(sub, LONG_MS, &fin, NULL), LRC_OK);
    assert_int_equal(fin->status, LRC_STATUS_COMPLETED);
    assert_string_equal(fin->result_json, "[0, \"Sleep done\"]");
    lrc_final_free(fin);
    lrc_subscription_free(sub);
    crec_clear(&r);
}

/* One call, no callback: COMPLETED, FAILED, a wait timeout, a rejection. */
static void test_invoke_wait(void **state)
{
    fx *f = *state;
    lrc_final *fin = NULL;
    lrc_error *err = NULL;
    lrc_arg a = lrc_arg_string("once");
    assert_int_equal(lrc_invoke_wait(f->p, "Echo", &a, NULL, LONG_MS, &fin, &err), LRC_OK);
    assert_int_equal(fin->status, LRC_STATUS_COMPLETED);
    assert_string_equal(fin->result_json, "[0, \"once\"]");
    assert_int_equal(fin->protocol_version, 2);
    lrc_final_free(fin);
    lrc_arg b = lrc_arg_string("boom");
    assert_int_equal(lrc_invoke_wait(f->p, "Fail", &b, NULL, LONG_MS, &fin, NULL), LRC_OK);
    assert_int_equal(fin->status, LRC_STATUS_FAILED);
    assert_int_equal(fin->result_code, 3);
    lrc_final_free(fin);
    lrc_arg s = lrc_arg_double(2.0);
    assert_int_equal(lrc_invoke_wait(f->p, "Sleep", &s, NULL, 100, &fin, &err), LRC_ETIMEDOUT);
    assert_null(fin);
    lrc_error_free(err);
    err = NULL;
    /* the invocation's own timeout ends it: a final marked TIMED_OUT */
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.timeout_ms = 200;
    assert_int_equal(lrc_invoke_wait(f->p, "Sleep", &s, &o, LONG_MS, &fin, NULL), LRC_OK);
    assert_true(fin->has & LRC_HAS_END);
    assert_int_equal(fin->end, LRC_END_TIMED_OUT);
    assert_true(fin->has & LRC_HAS_ERROR);
    lrc_final_free(fin);
    /* an lrc_invoke error comes back as it is */
    assert_int_equal(lrc_invoke_wait(f->p, "NoSuchCommand", NULL, NULL, LONG_MS, &fin, &err),
                     LRC_ETANGO);
    assert_null(fin);
    lrc_error_free(err);
    assert_int_equal(lrc_subscription_wait(NULL, 0, NULL, NULL), LRC_EINVAL);
}

typedef struct waiter {
    lrc_subscription *sub;
    int64_t timeout_ms;
    int rc;
    int status;
    char *result;
} waiter;

static void *waiter_main(void *arg)
{
    waiter *w = arg;
    lrc_final *fin = NULL;
    w->rc = lrc_subscription_wait(w->sub, w->timeout_ms, &fin, NULL);
    if (fin) {
        w->status = fin->status;
        w->result = fin->result_json ? strdup(fin->result_json) : NULL;
    }
    lrc_final_free(fin);
    return NULL;
}

/* Starts a thread that waits for sub (waiter_main): the block every test
 * of waits on other threads begins with. */
static void waiter_start(waiter *w, pthread_t *t, lrc_subscription *sub, int64_t timeout_ms)
{
    *w = (waiter){.sub = sub, .timeout_ms = timeout_ms, .rc = 99};
    assert_int_equal(pthread_create(t, NULL, waiter_main, w), 0);
}

/* Four threads and a callback on one invocation: all see the same final. */
static void test_many_waiters(void **state)
{
    fx *f = *state;
    crec r;
    lrc_subscription *sub = start_sleep(f, 0.5, &r, NULL);
    enum { N = 4 };
    waiter w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        waiter_start(&w[i], &t[i], sub, LONG_MS);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].rc, LRC_OK);
        assert_int_equal(w[i].status, LRC_STATUS_COMPLETED);
        assert_string_equal(w[i].result, "[0, \"Sleep done\"]");
        free(w[i].result);
    }
    assert_int_equal(r.finals, 1);
    lrc_subscription_free(sub);
    crec_clear(&r);
}

/* Freed while a thread waits: that wait returns LRC_ECLOSED. */
static void test_free_while_waiting(void **state)
{
    fx *f = *state;
    crec r;
    lrc_subscription *sub = start_sleep(f, 3.0, &r, NULL);
    waiter w;
    pthread_t t;
    waiter_start(&w, &t, sub, -1);
    for (;;) { /* the rule: a wait must have begun before the free */
        pthread_mutex_lock(&sub->waiters.mu);
        size_t n = sub->waiters.waiting;
        pthread_mutex_unlock(&sub->waiters.mu);
        if (n)
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    lrc_subscription_free(sub);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, LRC_ECLOSED);
    crec_clear(&r);
}

/* Inside a callback on a one-worker scheduler, waiting for an invocation
 * of that scheduler would wait for itself: refused. */
typedef struct nested {
    fx *f;
    lrc_subscription *other;
    int wait_rc, poll_rc, invoke_rc;
    bool done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} nested;

static void nested_cb(const lrc_update *u, void *user)
{
    nested *n = user;
    (void)u;
    /* The first update (STAGING): the device runs one command at a time,
     * so this Echo's final would only come after the Sleep's. */
    pthread_mutex_lock(&n->mu);
    bool first = !n->done;
    pthread_mutex_unlock(&n->mu);
    if (!first)
        return;
    lrc_error *err = NULL;
    n->wait_rc = lrc_subscription_wait(n->other, 5000, NULL, &err);
    lrc_error_free(err);
    n->poll_rc = lrc_subscription_wait(n->other, 0, NULL, NULL); /* cannot block: fine */
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.scheduler = lrc_scheduler_default();
    n->invoke_rc = lrc_invoke_wait(n->f->p, "Echo", NULL, &o, 5000, NULL, NULL);
    pthread_mutex_lock(&n->mu);
    n->done = true;
    pthread_cond_broadcast(&n->cv);
    pthread_mutex_unlock(&n->mu);
}

static void test_deadlock_refused(void **state)
{
    fx *f = *state;
    crec r;
    lrc_subscription *other = start_sleep(f, 4.0, &r, NULL); /* default scheduler */
    nested n = {.f = f, .other = other, .wait_rc = 99, .poll_rc = 99, .invoke_rc = 99};
    pthread_mutex_init(&n.mu, NULL);
    pthread_cond_init(&n.cv, NULL);
    lrc_subscription *sub = NULL;
    lrc_arg a = lrc_arg_string("x");
    assert_int_equal(lrc_invoke(f->p, "Echo", &a, nested_cb, &n, NULL, &sub, NULL), LRC_OK);
    pthread_mutex_lock(&n.mu);
    while (!n.done)
        pthread_cond_wait(&n.cv, &n.mu);
    pthread_mutex_unlock(&n.mu);
    assert_int_equal(n.wait_rc, LRC_EDEADLK);
    assert_int_equal(n.poll_rc, LRC_ETIMEDOUT);
    assert_int_equal(n.invoke_rc, LRC_EDEADLK);
    /* from this thread, the same wait is fine */
    assert_int_equal(lrc_subscription_wait(other, LONG_MS, NULL, NULL), LRC_OK);
    lrc_subscription_free(sub);
    lrc_subscription_free(other);
    pthread_cond_destroy(&n.cv);
    pthread_mutex_destroy(&n.mu);
    crec_clear(&r);
}

/* A loop scheduler: callbacks run inside lrc_scheduler_dispatch on this
 * thread; a wait here is refused, one on another thread works while this
 * one dispatches. */
static void test_poll_loop_callbacks(void **state)
{
    fx *f = *state;
    lrc_scheduler_options so;
    lrc_scheduler_options_init(&so);
    so.thread_count = 0;
    lrc_scheduler *s = NULL;
    assert_int_equal(lrc_scheduler_new(&so, &s, NULL), LRC_OK);
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.scheduler = s;
    crec r;
    lrc_subscription *sub = start_sleep(f, 0.3, &r, &o);
    lrc_error *err = NULL;
    assert_int_equal(lrc_subscription_wait(sub, 1000, NULL, &err), LRC_EDEADLK);
    lrc_error_free(err);
    assert_int_equal(lrc_invoke_wait(f->p, "Echo", NULL, &o, 1000, NULL, NULL), LRC_EDEADLK);
    waiter w;
    pthread_t t;
    waiter_start(&w, &t, sub, LONG_MS);
    int fd = lrc_scheduler_fd(s);
    double end = crec_now() + LONG_MS / 1000.0;
    size_t ran = 0;
    while (r.finals == 0 && crec_now() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 1000) == 1) {
            int n = lrc_scheduler_dispatch(s, 0);
            assert_true(n >= 0);
            ran += (size_t)n;
        }
    }
    pthread_join(t, NULL);
    assert_int_equal(r.finals, 1);
    assert_int_equal(w.rc, LRC_OK);
    assert_int_equal(w.status, LRC_STATUS_COMPLETED);
    free(w.result);
    assert_true(ran >= r.n);
    for (size_t i = 0; i < r.n; i++)
        assert_true(pthread_equal(r.u[i].thread, pthread_self()));
    lrc_subscription_free(sub);
    lrc_scheduler_free(s);
    crec_clear(&r);
}

/* The example program: commands from stdin, callbacks on its loop. */
static void test_poll_example(void **state)
{
    fx *f = *state;
    char script[1024];
    snprintf(script, sizeof script, "printf 'Echo hi\\nSleep 0.3\\n' | '%s' '%s'", g_example,
             f->d->device);
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    char *out = NULL;
    assert_int_equal(lrct_run(argv, LONG_MS, &out), 0);
    if (!strstr(out, "Echo status=COMPLETED result=[0, \"hi\"] final loop=1") ||
        !strstr(out, "Sleep status=COMPLETED result=[0, \"Sleep done\"] final loop=1") ||
        !strstr(out, "Sleep progress=50 loop=1") || strstr(out, "loop=0"))
        fail_msg("unexpected output:\n%s", out);
    free(out);
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    if (argc < 3) {
        fprintf(stderr, "usage: %s <lrc-demo-device> <lrc-poll-loop-example>\n", argv[0]);
        return 2;
    }
    g_example = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wait_echo, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_wait_timeout_then_final, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_invoke_wait, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_many_waiters, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_free_while_waiting, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_deadlock_refused, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_poll_loop_callbacks, setup, crec_fx_teardown),
        cmocka_unit_test_setup_teardown(test_poll_example, setup, crec_fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
