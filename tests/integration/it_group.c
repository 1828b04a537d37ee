/*
 * it_group.c - lrc/group.h against real demo devices: N devices spread
 * over several servers (argv[3]: "SERVERSxDEVICES", default 2x5), one
 * shared lrc_proxy per device.
 *
 *  - a mixed group (Echo COMPLETED, Fail FAILED, Off REJECTED at
 *    submission, Sleep TIMED_OUT by timeout_ms, an unknown command
 *    NOT_STARTED) ends with the exact summary, one final per started
 *    member and one on_done, off the invoking thread;
 *  - a group abort of Sleeps ends every member ABORTED;
 *  - a group where no member starts still completes once, on a worker;
 *  - freeing the group while members run, from inside on_update and from
 *    inside on_done: no callback after lrc_group_free returned;
 *  - a member whose server is killed ends LOST (lost_after_ms) while the
 *    others complete.
 */
#include "it_common.h"

#include "lrc/group.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define MAX_DEV 400

static int g_nsrv = 2, g_per = 5, g_ndev;
static lrct_server *g_srv[64];
static char *g_name[MAX_DEV];
static lrc_proxy *g_p[MAX_DEV];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fixture_setup(void **state)
{
    (void)state;
    g_ndev = g_nsrv * g_per;
    double t0 = now_s();
    for (int s = 0; s < g_nsrv; s++) {
        char *inst = lrct_unique_name("group");
        const char *devs[MAX_DEV + 1];
        for (int k = 0; k < g_per; k++) {
            size_t l = strlen(inst) + 40;
            g_name[s * g_per + k] = malloc(l);
            snprintf(g_name[s * g_per + k], l, "test/lrcdemo/%s_%d", inst, k);
            devs[k] = g_name[s * g_per + k];
        }
        devs[g_per] = NULL;
        g_srv[s] = it_server_start(inst, devs, NULL);
        free(inst);
        if (!g_srv[s])
            return -1;
    }
    for (int i = 0; i < g_ndev; i++) {
        lrc_error *err = NULL;
        if (lrc_proxy_open(g_name[i], NULL, &g_p[i], &err) != LRC_OK) {
            fprintf(stderr, "open %s: %s\n", g_name[i], lrc_error_message(err));
            lrc_error_free(err);
            return -1;
        }
    }
    fprintf(stderr, "started %d servers x %d devices in %.1f s\n", g_nsrv, g_per, now_s() - t0);
    return 0;
}

static int fixture_teardown(void **state)
{
    (void)state;
    int rc = 0;
    for (int i = 0; i < g_ndev; i++) {
        lrc_proxy_close(g_p[i]);
        free(g_name[i]);
    }
    for (int s = 0; s < g_nsrv; s++)
        if (g_srv[s] && lrct_server_stop(g_srv[s]) != 0)
            rc = -1;
    return rc;
}

/* ---- what the callbacks saw ------------------------------------------------ */

typedef struct rec {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t n;
    int *finals;     /* per member */
    int *outcome;    /* per member, from its final update */
    size_t updates;
    int done_calls;
    int wait_in_done; /* lrc_group_wait's code inside on_done */
    lrc_group_summary done;
    pthread_t invoker;
    bool done_on_invoker;
    atomic_bool after_free; /* set once lrc_group_free returned */
    atomic_int late;        /* callbacks that ran after that */
    atomic_int inside;      /* callbacks running now (rec_clear waits for 0) */
    lrc_group *free_in_update; /* freed inside the first update */
    lrc_group *free_in_done;   /* freed inside on_done */
} rec;

static void rec_init(rec *r, size_t n)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->n = n;
    r->finals = calloc(n, sizeof *r->finals);
    r->outcome = calloc(n, sizeof *r->outcome);
    r->invoker = pthread_self();
}

/* The record lives on the test's stack: a callback still running when the
 * test returns would write into whatever frame comes next (a callback that
 * frees its group from inside goes on after the test thread saw what it
 * waited for). So every callback counts itself in r->inside, the last
 * thing it does is leave, and the record is cleared only when none is in. */
static void rec_clear(rec *r)
{
    double end = now_s() + 30;
    while (atomic_load(&r->inside) != 0 && now_s() < end) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(atomic_load(&r->inside), 0);
    free(r->finals);
    free(r->outcome);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

/* The test's own reading of a final update, independent of the library's. */
static int outcome_of(const lrc_update *u)
{
    if (u->has & LRC_HAS_END)
        return u->end == LRC_END_TIMED_OUT ? LRC_GROUP_TIMED_OUT : LRC_GROUP_LOST;
    switch (u->status) {
    case LRC_STATUS_COMPLETED:
        return LRC_GROUP_COMPLETED;
    case LRC_STATUS_FAILED:
        return LRC_GROUP_FAILED;
    case LRC_STATUS_REJECTED:
        return LRC_GROUP_REJECTED;
    case LRC_STATUS_ABORTED:
        return LRC_GROUP_ABORTED;
    default:
        return -1;
    }
}

/* A callback that freed its group from inside returns this late: long
 * after the test thread saw what it waited for (the free, on_done), so that
 * a test clearing its record without rec_clear's wait would be caught at
 * once by ASan (it_group runs with detect_stack_use_after_return). */
#define SLOW_RETURN_NS 200000000L

static void slow_return(void)
{
    struct timespec ts = {0, SLOW_RETURN_NS};
    nanosleep(&ts, NULL);
}

static void on_update(lrc_group *g, size_t i, const lrc_update *u, void *user)
{
    rec *r = user;
    atomic_fetch_add(&r->inside, 1);
    if (atomic_load(&r->after_free))
        atomic_fetch_add(&r->late, 1);
    pthread_mutex_lock(&r->mu);
    r->updates++;
    if (u->final && i < r->n) {
        r->finals[i]++;
        r->outcome[i] = outcome_of(u);
    }
    lrc_group *f = r->free_in_update;
    r->free_in_update = NULL;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (f) {
        assert_ptr_equal(f, g);
        lrc_group_free(g);
        atomic_store(&r->after_free, true); /* nothing else of g may follow */
        slow_return();
    }
    atomic_fetch_sub(&r->inside, 1); /* the last touch of r */
}

static void on_done(lrc_group *g, const lrc_group_summary *s, void *user)
{
    rec *r = user;
    atomic_fetch_add(&r->inside, 1);
    if (atomic_load(&r->after_free))
        atomic_fetch_add(&r->late, 1);
    pthread_mutex_lock(&r->mu);
    r->done_calls++;
    r->done = *s;
    r->done_on_invoker = pthread_equal(pthread_self(), r->invoker);
    r->wait_in_done = lrc_group_wait(g, 0, NULL); /* would wait for itself */
    lrc_group *f = r->free_in_done;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (f) {
        assert_ptr_equal(f, g);
        lrc_group_free(g);
        atomic_store(&r->after_free, true);
        slow_return();
    }
    atomic_fetch_sub(&r->inside, 1); /* the last touch of r */
}

static bool wait_done(rec *r, double timeout_s)
{
    double end = now_s() + timeout_s;
    pthread_mutex_lock(&r->mu);
    while (r->done_calls == 0 && now_s() < end) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    }
    bool ok = r->done_calls > 0;
    pthread_mutex_unlock(&r->mu);
    return ok;
}

/* Aborts what a test left running on every device, and waits until each
 * device's Abort (itself an LRC, run as a group) completed: submissions
 * while it drains the queue would be REJECTED. */
static void abort_all(void)
{
    lrc_group *g = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_group_new(&g, &err), LRC_OK);
    for (int i = 0; i < g_ndev; i++)
        assert_int_equal(lrc_group_add(g, g_p[i], "Abort", NULL, NULL, &err), LRC_OK);
    assert_int_equal(lrc_group_invoke(g, NULL, NULL, NULL, NULL, &err), LRC_OK);
    assert_int_equal(lrc_group_wait(g, 60000, &err), LRC_OK);
    lrc_group_summary s;
    lrc_group_summary_get(g, &s);
    assert_int_equal(s.completed, (size_t)g_ndev);
    lrc_group_free(g);
}

/* ---- tests ------------------------------------------------------------------ */

/* The member plan of the mixed group: i % 5 picks the command. */
static lrc_group_outcome planned(int i)
{
    static const lrc_group_outcome k[] = {LRC_GROUP_COMPLETED, LRC_GROUP_COMPLETED,
                                          LRC_GROUP_FAILED, LRC_GROUP_REJECTED,
                                          LRC_GROUP_TIMED_OUT};
    return k[i % 5];
}

static void test_mixed_summary(void **state)
{
    (void)state;
    lrc_group *g = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_group_new(&g, &err), LRC_OK);
    char text[MAX_DEV][32];
    for (int i = 0; i < g_ndev; i++) {
        snprintf(text[i], sizeof text[i], "member %d", i);
        lrc_arg s = lrc_arg_string(text[i]);
        lrc_arg sleep = lrc_arg_double(20);
        size_t idx = 99999;
        int rc;
        switch (planned(i)) {
        case LRC_GROUP_COMPLETED:
            rc = lrc_group_add(g, g_p[i], "Echo", &s, &idx, &err);
            break;
        case LRC_GROUP_FAILED:
            rc = lrc_group_add(g, g_p[i], "Fail", &s, &idx, &err);
            break;
        case LRC_GROUP_REJECTED: /* a fresh demo device is OFF already */
            rc = lrc_group_add(g, g_p[i], "Off", NULL, &idx, &err);
            break;
        default:
            rc = lrc_group_add(g, g_p[i], "Sleep", &sleep, &idx, &err);
            break;
        }
        assert_int_equal(rc, LRC_OK);
        assert_int_equal(idx, (size_t)i);
        /* the group copied the text: the caller's buffer may change */
        memset(text[i], 'x', sizeof text[i] - 1);
        text[i][sizeof text[i] - 1] = 0;
    }
    /* plus an unknown command: its lrc_invoke fails, the group goes on */
    assert_int_equal(lrc_group_add(g, g_p[0], "NoSuchCommand", NULL, NULL, &err), LRC_OK);
    size_t n = (size_t)g_ndev + 1;
    assert_int_equal(lrc_group_size(g), n);
    assert_int_equal(lrc_group_member_outcome(g, 0), LRC_GROUP_IDLE);
    assert_int_equal(lrc_group_wait(g, 0, NULL), LRC_ESTATE);

    rec r;
    rec_init(&r, n);
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.timeout_ms = 8000; /* Echo and Fail end long before; Sleep(20) not */
    double t0 = now_s();
    assert_int_equal(lrc_group_invoke(g, &o, on_update, on_done, &r, &err), LRC_OK);
    double t_issue = now_s() - t0;
    fprintf(stderr, "issued %zu members in %.2f s\n", n, t_issue);
    assert_int_equal(lrc_group_invoke(g, &o, on_update, on_done, &r, &err), LRC_ESTATE);
    lrc_error_free(err);
    err = NULL;
    assert_int_equal(lrc_group_add(g, g_p[0], "Echo", NULL, NULL, &err), LRC_ESTATE);
    lrc_error_free(err);
    err = NULL;

    assert_int_equal(lrc_group_wait(g, 120000, &err), LRC_OK);
    fprintf(stderr, "group of %zu ended after %.2f s\n", n, now_s() - t0);
    assert_true(wait_done(&r, 1)); /* lrc_group_wait returns after on_done */

    size_t want_ok = 0, want_fail = 0, want_rej = 0, want_to = 0;
    pthread_mutex_lock(&r.mu);
    for (int i = 0; i < g_ndev; i++) {
        lrc_group_outcome w = planned(i);
        assert_int_equal(lrc_group_member_outcome(g, (size_t)i), w);
        if (w == LRC_GROUP_REJECTED) {
            assert_int_equal(r.finals[i], 0); /* refused by lrc_invoke: no update */
            const lrc_error *e = lrc_group_member_error(g, (size_t)i);
            assert_non_null(e);
            assert_int_equal(lrc_error_code(e), LRC_EREJECTED);
            want_rej++;
        } else {
            assert_int_equal(r.finals[i], 1);
            assert_int_equal(r.outcome[i], w);
            assert_null(lrc_group_member_error(g, (size_t)i));
            want_ok += w == LRC_GROUP_COMPLETED;
            want_fail += w == LRC_GROUP_FAILED;
            want_to += w == LRC_GROUP_TIMED_OUT;
        }
    }
    assert_int_equal(r.finals[n - 1], 0);
    assert_int_equal(lrc_group_member_outcome(g, n - 1), LRC_GROUP_NOT_STARTED);
    assert_non_null(lrc_group_member_error(g, n - 1));
    assert_int_equal(r.done_calls, 1);
    assert_false(r.done_on_invoker);
    assert_int_equal(r.wait_in_done, LRC_ESTATE);
    assert_int_equal(r.done.total, n);
    assert_int_equal(r.done.completed, want_ok);
    assert_int_equal(r.done.failed, want_fail);
    assert_int_equal(r.done.rejected, want_rej);
    assert_int_equal(r.done.timed_out, want_to);
    assert_int_equal(r.done.not_started, 1);
    assert_int_equal(r.done.aborted + r.done.lost + r.done.running + r.done.idle, 0);
    pthread_mutex_unlock(&r.mu);
    lrc_group_summary s;
    lrc_group_summary_get(g, &s);
    assert_memory_equal(&s, &r.done, sizeof s);
    assert_string_equal(lrc_group_outcome_name(LRC_GROUP_TIMED_OUT), "TIMED_OUT");
    assert_null(lrc_group_outcome_name(99));
    lrc_group_free(g);
    assert_int_equal(r.done_calls, 1);
    rec_clear(&r);
    abort_all(); /* the Sleeps that timed out go on on the devices */
}

/* A group abort of Sleeps ends every member ABORTED. */
static void test_abort(void **state)
{
    (void)state;
    lrc_group *g = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_group_new(&g, &err), LRC_OK);
    lrc_arg sleep = lrc_arg_double(60);
    for (int i = 0; i < g_ndev; i++)
        assert_int_equal(lrc_group_add(g, g_p[i], "Sleep", &sleep, NULL, &err), LRC_OK);
    rec r;
    rec_init(&r, (size_t)g_ndev);
    assert_int_equal(lrc_group_invoke(g, NULL, on_update, on_done, &r, &err), LRC_OK);
    lrc_group_summary s;
    lrc_group_summary_get(g, &s);
    assert_int_equal(s.running, (size_t)g_ndev);
    double t0 = now_s();
    assert_int_equal(lrc_group_abort(g, &err), LRC_OK);
    fprintf(stderr, "aborted %d devices in %.2f s\n", g_ndev, now_s() - t0);
    assert_int_equal(lrc_group_wait(g, 60000, &err), LRC_OK);
    pthread_mutex_lock(&r.mu);
    assert_int_equal(r.done_calls, 1);
    assert_int_equal(r.done.aborted, (size_t)g_ndev);
    assert_int_equal(r.done.total, (size_t)g_ndev);
    for (int i = 0; i < g_ndev; i++) {
        assert_int_equal(r.finals[i], 1);
        assert_int_equal(r.outcome[i], LRC_GROUP_ABORTED);
    }
    pthread_mutex_unlock(&r.mu);
    assert_int_equal(lrc_group_abort(g, &err), LRC_OK); /* harmless after the end */
    lrc_group_free(g);
    rec_clear(&r);
}

/* No member starts: on_done still runs once, on a worker, with the count. */
static void test_none_started(void **state)
{
    (void)state;
    lrc_group *g = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_group_new(&g, &err), LRC_OK);
    assert_int_equal(lrc_group_add(g, g_p[0], "NoSuchCommand", NULL, NULL, &err), LRC_OK);
    assert_int_equal(lrc_group_add(g, g_p[1], "NoSuchCommand", NULL, NULL, &err), LRC_OK);
    rec r;
    rec_init(&r, 2);
    r.free_in_done = g; /* and the group is freed inside it */
    assert_int_equal(lrc_group_invoke(g, NULL, on_update, on_done, &r, &err), LRC_OK);
    assert_true(wait_done(&r, 30));
    pthread_mutex_lock(&r.mu);
    assert_int_equal(r.done_calls, 1);
    assert_false(r.done_on_invoker);
    assert_int_equal(r.done.not_started, 2);
    assert_int_equal(r.updates, 0);
    pthread_mutex_unlock(&r.mu);
    rec_clear(&r); /* on_done, which freed the group, has returned */
    assert_true(atomic_load(&r.after_free));
}

/* Freeing while members run: from the test thread, and from inside a
 * member's update; no callback afterwards. */
static void test_free_while_running(void **state)
{
    (void)state;
    lrc_error *err = NULL;
    lrc_arg sleep = lrc_arg_double(30);
    for (int round = 0; round < 2; round++) {
        lrc_group *g = NULL;
        assert_int_equal(lrc_group_new(&g, &err), LRC_OK);
        for (int i = 0; i < g_ndev; i++)
            assert_int_equal(lrc_group_add(g, g_p[i], "Sleep", &sleep, NULL, &err), LRC_OK);
        rec r;
        rec_init(&r, (size_t)g_ndev);
        if (round == 1)
            r.free_in_update = g;
        assert_int_equal(lrc_group_invoke(g, NULL, on_update, on_done, &r, &err), LRC_OK);
        if (round == 0) {
            lrc_group_free(g);
            atomic_store(&r.after_free, true);
        } else {
            /* wait for the free inside the first update */
            double end = now_s() + 30;
            while (!atomic_load(&r.after_free) && now_s() < end) {
                struct timespec ts = {0, 10000000L};
                nanosleep(&ts, NULL);
            }
            assert_true(atomic_load(&r.after_free));
        }
        abort_all(); /* would make every member final, were it still followed */
        /* the aborts' finals would be delivered on the default scheduler
         * well within this; flush its queues by a round trip through one */
        lrc_group *probe = NULL;
        assert_int_equal(lrc_group_new(&probe, &err), LRC_OK);
        lrc_arg e = lrc_arg_string("probe");
        for (int i = 0; i < g_ndev; i++)
            assert_int_equal(lrc_group_add(probe, g_p[i], "Echo", &e, NULL, &err), LRC_OK);
        assert_int_equal(lrc_group_invoke(probe, NULL, NULL, NULL, NULL, &err), LRC_OK);
        assert_int_equal(lrc_group_wait(probe, 60000, &err), LRC_OK);
        lrc_group_summary s;
        lrc_group_summary_get(probe, &s);
        assert_int_equal(s.completed, (size_t)g_ndev);
        lrc_group_free(probe);
        assert_int_equal(atomic_load(&r.late), 0);
        pthread_mutex_lock(&r.mu);
        assert_int_equal(r.done_calls, 0);
        pthread_mutex_unlock(&r.mu);
        rec_clear(&r);
    }
}

/* One member's server is killed: that member ends LOST (lost_after_ms),
 * the others complete; one final each, one on_done. */
static void test_member_lost(void **state)
{
    (void)state;
    char *inst = lrct_unique_name("grouplost");
    char dev[128];
    snprintf(dev, sizeof dev, "test/lrcdemo/%s", inst);
    const char *devs[] = {dev, NULL};
    lrct_server *srv = it_server_start(inst, devs, NULL);
    free(inst);
    assert_non_null(srv);
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    po.lost_after_ms = 2000;
    lrc_proxy *p = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_proxy_open(dev, &po, &p, &err), LRC_OK);

    lrc_group *g = NULL;
    assert_int_equal(lrc_group_new(&g, &err), LRC_OK);
    lrc_arg sleep = lrc_arg_double(60);
    assert_int_equal(lrc_group_add(g, p, "Sleep", &sleep, NULL, &err), LRC_OK);
    lrc_arg e = lrc_arg_string("alive");
    for (int i = 0; i < g_ndev; i++)
        assert_int_equal(lrc_group_add(g, g_p[i], "Echo", &e, NULL, &err), LRC_OK);
    size_t n = (size_t)g_ndev + 1;
    rec r;
    rec_init(&r, n);
    assert_int_equal(lrc_group_invoke(g, NULL, on_update, on_done, &r, &err), LRC_OK);
    double t0 = now_s();
    lrct_server_kill(srv);
    assert_int_equal(lrc_group_wait(g, 90000, &err), LRC_OK);
    fprintf(stderr, "member LOST %.1f s after the kill\n", now_s() - t0);
    pthread_mutex_lock(&r.mu);
    assert_int_equal(r.done_calls, 1);
    assert_int_equal(r.done.lost, 1);
    assert_int_equal(r.done.completed, (size_t)g_ndev);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(r.finals[i], 1);
    assert_int_equal(r.outcome[0], LRC_GROUP_LOST);
    pthread_mutex_unlock(&r.mu);
    lrc_group_free(g);
    rec_clear(&r);
    lrc_proxy_close(p);
    lrct_server_stop(srv); /* killed: only unregisters */
}

#if defined(__SANITIZE_ADDRESS__)
/* Under ASan, frames of returned functions stay poisoned (a fake stack), so
 * a callback writing into a test's record after the test returned is
 * reported where it happens instead of corrupting a later frame. Options
 * from ASAN_OPTIONS still apply on top. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_stack_use_after_return=1"; }
#endif

int main(int argc, char **argv)
{
    it_init(argc, argv);
    if (argc > 3 && sscanf(argv[3], "%dx%d", &g_nsrv, &g_per) != 2)
        return 2;
    if (g_nsrv < 1 || g_nsrv > 64 || g_per < 1 || g_nsrv * g_per > MAX_DEV)
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed_summary),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_none_started),
        cmocka_unit_test(test_free_while_running),
        cmocka_unit_test(test_member_lost),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
