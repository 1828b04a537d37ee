/* Unit tests: the library's timer thread (src/core/reaper.c). It sleeps
 * toward its earliest job and is woken only for a job due before that:
 * a job due earlier still runs on time, one due later runs once due, one
 * for "at once" runs at once, and a cancelled job never runs. */
#include "core/client_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* A job that notes when it ran (lrc_now_ms), once. */
typedef struct ran {
    atomic_llong at; /* 0: not yet */
    atomic_int count;
} ran;

static void note_run(void *arg)
{
    ran *r = arg;
    atomic_store(&r->at, (long long)lrc_now_ms());
    atomic_fetch_add(&r->count, 1);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits up to limit_ms for r to run; its time, or 0. */
static long long wait_run(ran *r, long limit_ms)
{
    for (long waited = 0; atomic_load(&r->at) == 0 && waited < limit_ms; waited += 5)
        sleep_ms(5);
    return atomic_load(&r->at);
}

/* The thread sleeps toward a job 3 s away; a job due in 100 ms must wake
 * it and run well before the far one is due. */
static void test_earlier_job_wakes_the_thread(void **state)
{
    (void)state;
    ran far = {0}, near = {0};
    int64_t t0 = lrc_now_ms();
    assert_true(lrc_reaper_defer_at(t0 + 3000, note_run, &far));
    sleep_ms(50); /* asleep toward far's due time by now */
    assert_true(lrc_reaper_defer_at(t0 + 100, note_run, &near));
    long long at = wait_run(&near, 2900);
    assert_true(at != 0);                /* ran before far came due */
    assert_true(at >= t0 + 100);         /* not before its own time */
    assert_int_equal(atomic_load(&far.count), 0);
    assert_true(lrc_reaper_cancel(note_run, &far));
    sleep_ms(20);
    assert_int_equal(atomic_load(&far.count), 0);
}

/* A job due after the one the thread sleeps toward wakes nobody; when
 * that one is cancelled, the thread still wakes at its time, finds the
 * later job and runs it once it is due. */
static void test_later_job_runs_after_a_cancelled_head(void **state)
{
    (void)state;
    ran head = {0}, later = {0};
    int64_t t0 = lrc_now_ms();
    assert_true(lrc_reaper_defer_at(t0 + 100, note_run, &head));
    sleep_ms(20);
    assert_true(lrc_reaper_defer_at(t0 + 250, note_run, &later));
    assert_true(lrc_reaper_cancel(note_run, &head));
    long long at = wait_run(&later, 5000);
    assert_true(at != 0);
    assert_true(at >= t0 + 250);
    assert_int_equal(atomic_load(&head.count), 0);
    assert_int_equal(atomic_load(&later.count), 1);
}

/* Many timers armed and cancelled back to back, as lrc_invoke does on a
 * young stream, then one left armed: it runs, and only it. */
static void test_armed_and_cancelled_many_times(void **state)
{
    (void)state;
    enum { N = 200 };
    static ran jobs[N];
    int64_t t0 = lrc_now_ms();
    for (int i = 0; i < N; i++) {
        jobs[i] = (ran){0};
        assert_true(lrc_reaper_defer_at(t0 + 150 + i, note_run, &jobs[i]));
        if (i + 1 < N)
            assert_true(lrc_reaper_cancel(note_run, &jobs[i]));
    }
    long long at = wait_run(&jobs[N - 1], 5000);
    assert_true(at >= t0 + 150 + N - 1);
    for (int i = 0; i + 1 < N; i++)
        assert_int_equal(atomic_load(&jobs[i].count), 0);
    assert_int_equal(atomic_load(&jobs[N - 1].count), 1);
}

/* A job for "at once" runs at once even while the thread sleeps toward a
 * far one. */
static void test_immediate_job_while_a_far_one_waits(void **state)
{
    (void)state;
    ran far = {0}, now = {0};
    int64_t t0 = lrc_now_ms();
    assert_true(lrc_reaper_defer_at(t0 + 3000, note_run, &far));
    sleep_ms(50);
    lrc_reaper_defer(note_run, &now);
    long long at = wait_run(&now, 2900);
    assert_true(at != 0);
    assert_true(lrc_reaper_cancel(note_run, &far));
    assert_int_equal(atomic_load(&far.count), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_earlier_job_wakes_the_thread),
        cmocka_unit_test(test_later_job_runs_after_a_cancelled_head),
        cmocka_unit_test(test_armed_and_cancelled_many_times),
        cmocka_unit_test(test_immediate_job_while_a_far_one_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
