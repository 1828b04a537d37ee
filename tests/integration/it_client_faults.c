/*
 * it_client_faults.c - every invocation ends exactly once when its device
 * server is SIGKILLed (issue 12): the real outcome when the device can
 * still tell it, else one final marked LRC_HAS_END (LOST or TIMED_OUT)
 * with the last status seen, and nothing after it.
 *
 *  - kill and restart: 10 Sleeps (a few short ones that end before the
 *    kill, one running, the rest queued on the device's single executor),
 *    SIGKILL, restart 2 s later; the restarted device has forgotten them
 *    (NOT_FOUND) once the stream comes back. 20 rounds in one run (or
 *    LRC_FAULT_ROUNDS), with --long only: minutes, each round waits for
 *    cppTango's heartbeat to notice the kill;
 *  - kill without restart: with lrc_proxy_options.lost_after_ms small, every
 *    invocation ends LOST within the bound after cppTango's error event
 *    (10-20 s after the kill), then freeing the handles and closing the
 *    proxy is safe;
 *  - lrc_invoke_options.timeout_ms on a live device: TIMED_OUT once.
 *
 * Each prints its counts: invocations, kills, finals, real, lost,
 * duplicates (always 0).
 */
#include "client_rec.h"
#include "it_common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define NINV 10

static int setup(void **state) { return crec_fx_setup(state, "cfaults", NULL, false); }
static int teardown(void **state) { return crec_fx_teardown(state); }

typedef struct counts {
    int invocations, kills, finals, real, lost, timed_out, duplicates;
} counts;

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* lrc_invoke of Sleep(seconds), retried while cppTango refuses to
 * reconnect to a server that just came back ("connection request was
 * delayed"). */
static lrc_subscription *invoke_sleep(lrc_proxy *p, double seconds, crec *r,
                                      const lrc_invoke_options *o)
{
    lrc_arg a = lrc_arg_double(seconds);
    for (int attempt = 0;; attempt++) {
        lrc_subscription *s = NULL;
        lrc_error *err = NULL;
        int rc = lrc_invoke(p, "Sleep", &a, crec_cb, r, o, &s, &err);
        if (rc == LRC_OK)
            return s;
        if (rc != LRC_ETANGO || attempt == 20)
            fail_msg("lrc_invoke(Sleep %.1f): %s: %s", seconds, lrc_strerror(rc),
                     lrc_error_message(err));
        lrc_error_free(err);
        sleep_s(1.5);
    }
}

/* Checks one invocation's updates: exactly one final, the last one; counts
 * its kind. */
static void tally(crec *r, counts *c, const char *what)
{
    pthread_mutex_lock(&r->mu);
    size_t finals = 0;
    for (size_t i = 0; i < r->n; i++)
        finals += r->u[i].final;
    bool ok = finals == 1 && r->n > 0 && r->u[r->n - 1].final;
    const crec_update *last = r->n ? &r->u[r->n - 1] : NULL;
    pthread_mutex_unlock(&r->mu);
    if (!ok) {
        char *seq = crec_sequence(r);
        fail_msg("%s: %zu finals: %s", what, finals, seq);
    }
    c->finals++;
    c->duplicates += (int)finals - 1;
    if (last->has & LRC_HAS_END) {
        assert_false(last->has & LRC_HAS_STATUS); /* never taken for a TaskStatus */
        if (last->end == LRC_END_LOST)
            c->lost++;
        else
            c->timed_out++;
    } else {
        assert_true(last->has & LRC_HAS_STATUS);
        assert_true(lrc_status_is_terminal(last->status));
        c->real++;
    }
}

static int rounds(void)
{
    const char *env = getenv("LRC_FAULT_ROUNDS");
    int n = env ? atoi(env) : 20;
    return n > 0 ? n : 20;
}

/* a) SIGKILL under 10 open LRCs, restart 2 s later; every one ends once. */
static void test_kill_and_restart_rounds(void **state)
{
    crec_fx *f = *state;
    counts c = {0};
    int n = rounds();
    double t0 = crec_now();
    for (int round = 0; round < n; round++) {
        crec *r = calloc(NINV, sizeof *r); /* on the heap: late callbacks after a failure */
        lrc_subscription *s[NINV];
        for (int i = 0; i < NINV; i++) {
            crec_init(&r[i]);
            /* three end before the kill, one runs, six queue */
            s[i] = invoke_sleep(f->p, i < 3 ? 0.1 : 30, &r[i], NULL);
            c.invocations++;
        }
        sleep_s(1.5);
        lrct_server_kill(f->d->srv);
        c.kills++;
        sleep_s(2);
        assert_int_equal(lrct_server_restart(f->d->srv), 0);
        for (int i = 0; i < NINV; i++) {
            if (!crec_wait_finals(&r[i], 1, 90)) {
                char *seq = crec_sequence(&r[i]);
                fail_msg("round %d, invocation %d: no final 90 s after the restart: %s", round,
                         i, seq);
            }
        }
        sleep_s(0.2); /* a duplicate would come now */
        for (int i = 0; i < NINV; i++) {
            char what[64];
            snprintf(what, sizeof what, "round %d invocation %d", round, i);
            tally(&r[i], &c, what);
            lrc_subscription_free(s[i]);
            crec_clear(&r[i]);
        }
        free(r);
        fprintf(stderr, "faults: round %d done at %.1f s: %d finals, %d real, %d lost\n", round,
                crec_now() - t0, c.finals, c.real, c.lost);
    }
    fprintf(stderr,
            "faults: kill+restart: invocations=%d kills=%d finals=%d real=%d lost=%d "
            "timed_out=%d duplicates=%d in %.1f s\n",
            c.invocations, c.kills, c.finals, c.real, c.lost, c.timed_out, c.duplicates,
            crec_now() - t0);
    assert_int_equal(c.finals, c.invocations);
    assert_int_equal(c.duplicates, 0);
    assert_true(c.lost > 0); /* the restarted device forgot the open ones */
    assert_true(c.real >= 3 * n); /* the short ones ended before the kill */
}

/* b) SIGKILL without restart: LOST within the bound, then freeing and
 * closing are safe. */
static void test_kill_without_restart(void **state)
{
    crec_fx *f = *state;
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    po.linger_ms = 0;
    po.lost_after_ms = 2000;
    lrc_proxy *p = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_proxy_open(f->d->device, &po, &p, &err), LRC_OK);
    counts c = {0};
    crec *r = calloc(NINV, sizeof *r);
    lrc_subscription *s[NINV];
    for (int i = 0; i < NINV; i++) {
        crec_init(&r[i]);
        s[i] = invoke_sleep(p, i < 3 ? 0.1 : 30, &r[i], NULL);
        c.invocations++;
    }
    /* Before the kill: the short ones have ended and every other one has
     * seen a status (a slow run, valgrind, may need seconds for the young
     * stream's first events), so the counts and the last statuses below
     * do not depend on the machine's speed. */
    for (int i = 0; i < NINV; i++)
        if (!(i < 3 ? crec_wait_finals(&r[i], 1, 20) : crec_wait_count(&r[i], 1, 20))) {
            char *seq = crec_sequence(&r[i]);
            fail_msg("invocation %d: nothing seen within 20 s before the kill: %s", i, seq);
        }
    double t_kill = crec_now();
    lrct_server_kill(f->d->srv);
    c.kills++;
    /* cppTango's error event: 10-20 s; then the bound (2 s), one question
     * period (500 ms) and a Tango timeout (3 s): 30 s is ample. */
    const double bound_s = 20 + 2 + 0.5 + 3 + 4.5;
    for (int i = 0; i < NINV; i++)
        if (!crec_wait_finals(&r[i], 1, bound_s - (crec_now() - t_kill))) {
            char *seq = crec_sequence(&r[i]);
            fail_msg("invocation %d: no final within %.0f s of the kill: %s", i, bound_s, seq);
        }
    double took = crec_now() - t_kill;
    sleep_s(0.2);
    for (int i = 0; i < NINV; i++) {
        char what[32];
        snprintf(what, sizeof what, "invocation %d", i);
        tally(&r[i], &c, what);
    }
    for (int i = 0; i < NINV; i++)
        lrc_subscription_free(s[i]);
    lrc_proxy_close(p);
    fprintf(stderr,
            "faults: kill, no restart: invocations=%d kills=%d finals=%d real=%d lost=%d "
            "timed_out=%d duplicates=%d; all ended %.1f s after the kill\n",
            c.invocations, c.kills, c.finals, c.real, c.lost, c.timed_out, c.duplicates, took);
    assert_int_equal(c.finals, NINV);
    assert_int_equal(c.duplicates, 0);
    assert_int_equal(c.lost, NINV - 3);
    /* the lost ones carry the last status seen */
    for (int i = 3; i < NINV; i++) {
        const crec_update *last = &r[i].u[r[i].n - 1];
        assert_int_equal(last->end, LRC_END_LOST);
        assert_true(last->has & LRC_HAS_LAST_STATUS);
        assert_true(last->last_status == LRC_STATUS_QUEUED ||
                    last->last_status == LRC_STATUS_IN_PROGRESS ||
                    last->last_status == LRC_STATUS_STAGING);
        crec_clear(&r[i]);
    }
    for (int i = 0; i < 3; i++)
        crec_clear(&r[i]);
    free(r);
    assert_int_equal(lrct_server_restart(f->d->srv), 0); /* for the teardown */
}

/* lrc_invoke_options.timeout_ms on a live device. */
static void test_timeout_on_a_live_device(void **state)
{
    crec_fx *f = *state;
    crec r;
    crec_init(&r);
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.timeout_ms = 1500;
    double t0 = crec_now();
    lrc_subscription *s = invoke_sleep(f->p, 20, &r, &o);
    assert_true(crec_wait_finals(&r, 1, 15));
    double took = crec_now() - t0;
    sleep_s(0.3);
    counts c = {0};
    tally(&r, &c, "Sleep 20 with timeout 1.5 s");
    assert_int_equal(c.timed_out, 1);
    const crec_update *last = &r.u[r.n - 1];
    assert_int_equal(last->end, LRC_END_TIMED_OUT);
    /* What the client had seen by then, if anything: under valgrind the
     * young stream's first event may come more than 1.5 s after the call
     * (then the final carries no last status), or the Sleep may still be
     * STAGING. Never a terminal status: the Sleep runs for 20 s. */
    bool seen = last->has & LRC_HAS_LAST_STATUS;
    if (seen)
        assert_true(last->last_status == LRC_STATUS_IN_PROGRESS ||
                    last->last_status == LRC_STATUS_QUEUED ||
                    last->last_status == LRC_STATUS_STAGING);
    assert_true(took >= 1.5);
    fprintf(stderr, "faults: timeout 1.5 s: TIMED_OUT after %.2f s, last status %s\n", took,
            seen ? lrc_status_name(last->last_status) : "(none seen yet)");
    lrc_subscription_free(s);
    crec_clear(&r);
    /* let the device finish its Sleep: Abort it */
    lrc_error *err = NULL;
    crec ra;
    crec_init(&ra);
    if (lrc_invoke(f->p, "Abort", NULL, crec_cb, &ra, NULL, NULL, &err) == LRC_OK)
        (void)crec_wait_finals(&ra, 1, 20);
    lrc_error_free(err);
    crec_clear(&ra);
}

/* argv: <lrc-demo-device> [--long]: the kill-and-restart rounds (minutes:
 * each waits for cppTango's heartbeat) run only with --long. */
int main(int argc, char **argv)
{
    it_init(argc, argv);
    if (argc >= 3 && strcmp(argv[2], "--long") == 0) {
        const struct CMUnitTest rounds_only[] = {
            cmocka_unit_test_setup_teardown(test_kill_and_restart_rounds, setup, teardown),
        };
        return cmocka_run_group_tests(rounds_only, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_timeout_on_a_live_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_without_restart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
