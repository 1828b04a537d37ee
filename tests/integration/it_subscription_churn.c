/*
 * it_subscription_churn.c - the shim frees ended subscriptions: a long-lived
 * client that subscribes and unsubscribes per command does not grow
 * (tango_shim.h, lrc_tg_unsubscribe / lrc_tg_proxy_subscription_objects).
 *
 *  - churn: 2000 subscribe/unsubscribe rounds of _lrcEvent on one proxy,
 *    next to one subscription that stays; after every unsubscribe only the
 *    staying one is left, and events still flow at the end.
 *  - unsubscribe from inside the callback, on cppTango's ZMQ thread (where
 *    cppTango finishes the unsubscription later): the objects are freed by
 *    later calls, never while they run, and the callback is not called after
 *    its unsubscription.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "it_common.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHURN_ROUNDS 2000
#define IN_CALLBACK_ROUNDS 50

/* A bogus id: lrc_tg_unsubscribe on it only runs the shim's sweep. */
#define NO_SUCH_ID (-424242)

static void ignore_event(const lrc_tg_event *ev, void *user)
{
    (void)ev;
    (void)user;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void fail_with(const char *what, lrc_error *err)
{
    char *t = lrct_error_text(err);
    lrc_error_free(err);
    fail_msg("%s: %s", what, t);
}

/* Events pushed right after a subscription is made can be lost on the way
 * (seen with the unchanged shim too: a fresh ZeroMQ subscription, about 2 %
 * of the time), which is not what this program tests: calls Echo, waits up
 * to 3 s for done(arg) to become true, and calls Echo again (up to 4 times)
 * if it does not. */
static bool echo_until(it_dev *d, pthread_mutex_t *mu, pthread_cond_t *cv,
                       bool (*done)(void *), void *arg)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        int64_t code = -1;
        char *cmd_id = NULL;
        if (!it_call_str(d, "Echo", "churn", &code, &cmd_id))
            return false;
        free(cmd_id);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 3;
        pthread_mutex_lock(mu);
        while (!done(arg) && pthread_cond_timedwait(cv, mu, &until) == 0) {
        }
        bool ok = done(arg);
        pthread_mutex_unlock(mu);
        if (ok)
            return true;
        print_message("no event for Echo within 3 s (attempt %d); again\n", attempt + 1);
    }
    return false;
}

/* Counts the _lrcEvent values of a subscription. */
typedef struct seen {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int values; /* non-initial _lrcEvent values seen */
} seen;

static bool seen_four(void *arg)
{
    return ((seen *)arg)->values >= 4; /* one Echo: STAGING ... COMPLETED */
}

static void count_value(const lrc_tg_event *ev, void *user)
{
    seen *s = user;
    if (!ev->value || ev->value->ns != 2)
        return; /* the empty initial value, or an error */
    pthread_mutex_lock(&s->mu);
    s->values++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void test_churn(void **state)
{
    it_dev *d = *state;
    assert_true(it_dev_start(d, "churn", NULL));
    lrc_error *err = NULL;
    assert_int_equal(lrc_tg_proxy_subscription_objects(d->p), 0);

    /* Keeps the event channel of the device connected meanwhile, and checks
     * that live objects are never freed. */
    int keep = -1;
    if (lrc_tg_subscribe_change(d->p, "lrcQueue", ignore_event, NULL, &keep, &err) != LRC_OK)
        fail_with("subscribe lrcQueue", err);

    size_t most = 0;
    for (int k = 0; k < CHURN_ROUNDS; k++) {
        int id = -1;
        if (lrc_tg_subscribe_change(d->p, "_lrcEvent", ignore_event, NULL, &id, &err) != LRC_OK)
            fail_with("subscribe _lrcEvent", err);
        size_t n = lrc_tg_proxy_subscription_objects(d->p);
        if (n > most)
            most = n;
        if (lrc_tg_unsubscribe(d->p, id, &err) != LRC_OK)
            fail_with("unsubscribe _lrcEvent", err);
        n = lrc_tg_proxy_subscription_objects(d->p);
        if (n != 1)
            fail_msg("round %d: %zu subscription objects after unsubscribe, expected 1 (the "
                     "staying one)",
                     k, n);
    }
    print_message("%d rounds: at most %zu subscription objects\n", CHURN_ROUNDS, most);
    assert_int_equal(most, 2);

    /* Events still arrive after the churn. */
    seen s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    int id = -1;
    if (lrc_tg_subscribe_change(d->p, "_lrcEvent", count_value, &s, &id, &err) != LRC_OK)
        fail_with("subscribe _lrcEvent", err);
    if (!echo_until(d, &s.mu, &s.cv, seen_four, &s))
        fail_msg("no _lrcEvent events for Echo after the churn");
    assert_int_equal(lrc_tg_unsubscribe(d->p, id, NULL), LRC_OK);
    assert_int_equal(lrc_tg_unsubscribe(d->p, keep, NULL), LRC_OK);
    assert_int_equal(lrc_tg_proxy_subscription_objects(d->p), 0);
}

/* A subscription that ends itself from its callback on its first event. */
typedef struct self_ender {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    lrc_tg_proxy *p;
    int id;            /* -1 until lrc_tg_subscribe_change returned */
    bool ended;        /* the callback unsubscribed */
    int unsub_rc;      /* what lrc_tg_unsubscribe returned there */
    size_t objects;    /* subscription objects right after it: >= 1 (itself) */
    int late_calls;    /* calls after the unsubscription: must stay 0 */
} self_ender;

static bool has_ended(void *arg)
{
    return ((self_ender *)arg)->ended;
}

static void end_self(const lrc_tg_event *ev, void *user)
{
    self_ender *e = user;
    if (!ev->value || ev->value->ns != 2)
        return;
    pthread_mutex_lock(&e->mu);
    if (e->ended) {
        e->late_calls++;
        pthread_mutex_unlock(&e->mu);
        return;
    }
    int id = e->id;
    pthread_mutex_unlock(&e->mu);
    if (id < 0)
        return;
    int rc = lrc_tg_unsubscribe(e->p, id, NULL);
    size_t objects = lrc_tg_proxy_subscription_objects(e->p);
    pthread_mutex_lock(&e->mu);
    e->ended = true;
    e->unsub_rc = rc;
    e->objects = objects;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

static void test_unsubscribe_in_callback(void **state)
{
    it_dev *d = *state;
    assert_true(it_dev_start(d, "selfend", NULL));
    lrc_error *err = NULL;
    /* static: a failing round must not leave a leak report behind */
    static self_ender ends[IN_CALLBACK_ROUNDS];
    memset(ends, 0, sizeof ends);
    size_t most = 0;
    for (int k = 0; k < IN_CALLBACK_ROUNDS; k++) {
        self_ender *e = &ends[k];
        pthread_mutex_init(&e->mu, NULL);
        pthread_cond_init(&e->cv, NULL);
        e->p = d->p;
        e->id = -1;
        int id = -1;
        if (lrc_tg_subscribe_change(d->p, "_lrcEvent", end_self, e, &id, &err) != LRC_OK)
            fail_with("subscribe _lrcEvent", err);
        size_t n = lrc_tg_proxy_subscription_objects(d->p);
        if (n > most)
            most = n;
        pthread_mutex_lock(&e->mu);
        e->id = id;
        pthread_mutex_unlock(&e->mu);

        bool ran = echo_until(d, &e->mu, &e->cv, has_ended, e);
        pthread_mutex_lock(&e->mu);
        bool ended = e->ended;
        int rc = e->unsub_rc;
        size_t objects = e->objects;
        pthread_mutex_unlock(&e->mu);
        if (!ran || !ended)
            fail_msg("round %d: the callback never ran for Echo", k);
        assert_int_equal(rc, LRC_OK);
        /* Never freed inside its own callback. */
        if (objects < 1)
            fail_msg("round %d: the subscription was freed inside its own callback", k);
    }
    print_message("%d rounds: at most %zu subscription objects\n", IN_CALLBACK_ROUNDS, most);
    /* Each subscribe frees the objects whose deferred unsubscription is
     * over, so they do not pile up (without freeing: 50; seen: 2 or 3, as a
     * callback may still be returning, or cppTango still finishing, when the
     * next round starts). */
    if (most > 8)
        fail_msg("%zu subscription objects at once; ended ones are not freed", most);

    /* The last one is freed by a later call once cppTango is done with it. */
    size_t left = 1;
    for (int t = 0; t < 200 && left != 0; t++) {
        assert_int_equal(lrc_tg_unsubscribe(d->p, NO_SUCH_ID, NULL), LRC_ENOTFOUND);
        left = lrc_tg_proxy_subscription_objects(d->p);
        if (left != 0)
            sleep_ms(10);
    }
    if (left != 0)
        fail_msg("%zu subscription objects left 2 s after the last unsubscription", left);

    /* Events that raced with the unsubscriptions never reached a callback. */
    sleep_ms(200);
    for (int k = 0; k < IN_CALLBACK_ROUNDS; k++) {
        pthread_mutex_lock(&ends[k].mu);
        int late = ends[k].late_calls;
        pthread_mutex_unlock(&ends[k].mu);
        if (late != 0)
            fail_msg("round %d: callback called %d times after its unsubscription", k, late);
        pthread_mutex_destroy(&ends[k].mu);
        pthread_cond_destroy(&ends[k].cv);
    }
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_churn, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_unsubscribe_in_callback, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
