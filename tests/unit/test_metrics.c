/* Unit tests: the latency histograms behind lrc_latency (bucket bounds,
 * quantiles, merging), the size-checked copy of the metrics structs, and
 * the scheduler's metrics over real workers and in loop mode: counts equal
 * the items run, latencies are what the callbacks took. */
#include "core/metrics.h"
#include "lrc/client.h"
#include "lrc/scheduler.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the histogram ------------------------------------------------------- */

/* Every value falls in a bucket whose bounds hold it; the buckets tile the
 * range without gaps; each is at most a quarter of its lower bound wide. */
static void test_bucket_bounds(void **state)
{
    (void)state;
    for (unsigned i = 0; i + 1 < LRC_HIST_BUCKETS; i++) {
        assert_true(lrc_hist_bucket_low(i) <= lrc_hist_bucket_high(i));
        if (i + 2 < LRC_HIST_BUCKETS) /* the next is not the overflow bucket */
            assert_int_equal(lrc_hist_bucket_high(i) + 1, lrc_hist_bucket_low(i + 1));
        if (i >= 4) {
            uint64_t width = lrc_hist_bucket_high(i) - lrc_hist_bucket_low(i) + 1;
            assert_true(width * 4 <= lrc_hist_bucket_low(i));
        }
        assert_int_equal(lrc_hist_bucket(lrc_hist_bucket_low(i)), i);
        assert_int_equal(lrc_hist_bucket(lrc_hist_bucket_high(i)), i);
    }
    uint64_t probes[] = {0, 1, 3, 4, 7, 8, 9, 1000, 1023, 1024, 123456789, (uint64_t)1 << 41,
                         ((uint64_t)1 << 42) - 1};
    for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
        unsigned b = lrc_hist_bucket(probes[k]);
        assert_true(b < LRC_HIST_BUCKETS - 1);
        assert_true(lrc_hist_bucket_low(b) <= probes[k]);
        assert_true(probes[k] <= lrc_hist_bucket_high(b));
    }
    /* beyond 2^42 ns: the overflow bucket */
    assert_int_equal(lrc_hist_bucket((uint64_t)1 << 42), LRC_HIST_BUCKETS - 1);
    assert_int_equal(lrc_hist_bucket(UINT64_MAX), LRC_HIST_BUCKETS - 1);
}

static void test_quantiles(void **state)
{
    (void)state;
    lrc_hist h;
    memset(&h, 0, sizeof h);
    assert_int_equal(lrc_hist_quantile(&h, 0.5), 0); /* empty */
    lrc_latency l;
    lrc_hist_summary(&h, &l);
    assert_int_equal(l.count, 0);
    assert_int_equal(l.p99_ns, 0);

    /* one value: every quantile is it (the bucket's bound is capped at max) */
    lrc_hist_record(&h, 1234);
    assert_int_equal(lrc_hist_quantile(&h, 0.5), 1234);
    assert_int_equal(lrc_hist_quantile(&h, 0.99), 1234);

    /* 1..1000: the quantile's true value v, reported within [v, 1.25 v] */
    memset(&h, 0, sizeof h);
    for (uint64_t v = 1; v <= 1000; v++)
        lrc_hist_record(&h, v);
    lrc_hist_summary(&h, &l);
    assert_int_equal(l.count, 1000);
    assert_int_equal(l.sum_ns, 500500);
    assert_int_equal(l.max_ns, 1000);
    assert_in_range(l.p50_ns, 500, 625);
    assert_in_range(l.p90_ns, 900, 1000);
    assert_in_range(l.p99_ns, 990, 1000);
    /* small values are exact */
    memset(&h, 0, sizeof h);
    for (int i = 0; i < 10; i++)
        lrc_hist_record(&h, 2);
    lrc_hist_record(&h, 7);
    assert_int_equal(lrc_hist_quantile(&h, 0.5), 2);
    assert_int_equal(lrc_hist_quantile(&h, 1.0), 7);
}

/* A skewed distribution: 98 fast values and 2 slow ones. */
static void test_quantiles_tail(void **state)
{
    (void)state;
    lrc_hist h;
    memset(&h, 0, sizeof h);
    for (int i = 0; i < 98; i++)
        lrc_hist_record(&h, 10000); /* 10 us */
    lrc_hist_record(&h, 5000000);   /* 5 ms */
    lrc_hist_record(&h, 80000000);  /* 80 ms */
    lrc_latency l;
    lrc_hist_summary(&h, &l);
    assert_in_range(l.p50_ns, 10000, 12500);
    assert_in_range(l.p90_ns, 10000, 12500);
    assert_in_range(l.p99_ns, 5000000, 6250000); /* rank 99: the 5 ms one */
    assert_int_equal(l.max_ns, 80000000);
    /* the overflow bucket reports the maximum */
    lrc_hist_record(&h, (uint64_t)1 << 50);
    assert_int_equal(lrc_hist_quantile(&h, 1.0), (uint64_t)1 << 50);
}

static void test_merge(void **state)
{
    (void)state;
    lrc_hist a, b, all;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&all, 0, sizeof all);
    for (uint64_t v = 1; v <= 300; v++) {
        lrc_hist_record(v % 3 ? &a : &b, v * 100);
        lrc_hist_record(&all, v * 100);
    }
    lrc_hist_add(&a, &b);
    assert_memory_equal(&a, &all, sizeof a);
}

/* The caller's size decides how much is written; its size field stays. */
static void test_copy_out(void **state)
{
    (void)state;
    lrc_queue_metrics full;
    memset(&full, 0, sizeof full);
    full.size = sizeof full;
    full.counts.received = 7;
    full.callback_time.count = 9;

    lrc_queue_metrics small;
    memset(&small, 0xab, sizeof small);
    small.size = offsetof(lrc_queue_metrics, queue_time); /* an older, smaller struct */
    assert_int_equal(lrc_metrics_copy_out(&small, &full, sizeof full), LRC_OK);
    assert_int_equal(small.size, offsetof(lrc_queue_metrics, queue_time));
    assert_int_equal(small.counts.received, 7);
    assert_int_equal(small.callback_time.count, 0xababababababababull); /* untouched */

    lrc_queue_metrics unset;
    memset(&unset, 0, sizeof unset);
    assert_int_equal(lrc_metrics_copy_out(&unset, &full, sizeof full), LRC_EINVAL);
    assert_int_equal(lrc_queue_get_metrics(NULL, &unset), LRC_EINVAL);
    assert_int_equal(lrc_scheduler_get_metrics(NULL, NULL), LRC_EINVAL);
    unset.size = sizeof unset;
    assert_int_equal(lrc_queue_get_metrics(NULL, &unset), LRC_OK); /* zeros */
    assert_int_equal(unset.counts.received, 0);

    /* a proxy's: the same rules */
    lrc_proxy_metrics pm;
    memset(&pm, 0xab, sizeof pm);
    pm.size = 0;
    assert_int_equal(lrc_proxy_get_metrics(NULL, &pm), LRC_EINVAL);
    assert_int_equal(lrc_proxy_get_metrics(NULL, NULL), LRC_EINVAL);
    pm.size = sizeof pm;
    assert_int_equal(lrc_proxy_get_metrics(NULL, &pm), LRC_OK);
    assert_int_equal(pm.started, 0);
    assert_int_equal(pm.callback_time.max_ns, 0);
}

/* ---- the scheduler's metrics ---------------------------------------------- */

static void sleep_ns(long ns)
{
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    nanosleep(&ts, NULL);
}

/* item: how long the callback sleeps (ns), or 0 */
static void run_sleep(void *item, void *ctx)
{
    (void)ctx;
    long ns = (long)(intptr_t)item;
    if (ns)
        sleep_ns(ns);
}

static lrc_scheduler *make(unsigned threads, size_t capacity)
{
    lrc_scheduler_options o;
    lrc_scheduler_options_init(&o);
    o.thread_count = threads;
    o.name = "t-metrics";
    if (capacity)
        o.queue_capacity = capacity;
    lrc_scheduler *s = NULL;
    assert_int_equal(lrc_scheduler_new(&o, &s, NULL), LRC_OK);
    return s;
}

/* The metrics of queue q, or of scheduler s when q is NULL: one body for
 * both getters, so that every check asks them the same way (size set,
 * LRC_OK). */
static lrc_queue_metrics get_metrics(const lrc_scheduler *s, const lrc_queue *q)
{
    lrc_queue_metrics m;
    memset(&m, 0, sizeof m);
    m.size = sizeof m;
    assert_int_equal(q ? lrc_queue_get_metrics(q, &m) : lrc_scheduler_get_metrics(s, &m), LRC_OK);
    return m;
}

static lrc_queue_metrics get_q(const lrc_queue *q) { return get_metrics(NULL, q); }

static lrc_queue_metrics get_s(const lrc_scheduler *s) { return get_metrics(s, NULL); }

/* Two queues on two workers: each item is timed once; the slow callbacks
 * show in callback_time; the scheduler sums its queues, released ones
 * included; the counters agree with lrc_queue_get_stats. */
static void test_scheduler_workers(void **state)
{
    (void)state;
    lrc_scheduler *s = make(2, 0);
    lrc_queue *a = NULL, *b = NULL;
    assert_int_equal(lrc_queue_new(s, 0, &a, NULL), LRC_OK);
    assert_int_equal(lrc_queue_new(s, 0, &b, NULL), LRC_OK);
    for (int i = 0; i < 20; i++)
        assert_int_equal(lrc_queue_push(a, run_sleep, NULL, NULL, NULL, true), LRC_OK);
    for (int i = 0; i < 3; i++) /* 3 callbacks of 3 ms */
        assert_int_equal(
            lrc_queue_push(b, run_sleep, NULL, (void *)(intptr_t)3000000, NULL, true), LRC_OK);
    assert_int_equal(lrc_queue_flush(a, 5000), LRC_OK);
    assert_int_equal(lrc_queue_flush(b, 5000), LRC_OK);

    lrc_queue_metrics ma = get_q(a), mb = get_q(b);
    lrc_queue_stats sa;
    lrc_queue_get_stats(a, &sa);
    assert_memory_equal(&ma.counts, &sa, sizeof sa);
    assert_int_equal(ma.counts.processed, 20);
    assert_int_equal(ma.queue_time.count, 20);
    assert_int_equal(ma.callback_time.count, 20);
    assert_true(ma.callback_time.max_ns < 3000000); /* none of a's slept */
    assert_int_equal(mb.callback_time.count, 3);
    assert_true(mb.callback_time.p50_ns >= 3000000);
    assert_true(mb.callback_time.max_ns >= 3000000);
    assert_true(mb.callback_time.sum_ns >= 9000000);
    /* b's items waited for the ones before them in b */
    assert_true(mb.queue_time.max_ns >= 3000000);

    lrc_queue_metrics ms = get_s(s);
    assert_int_equal(ms.counts.processed, 23);
    assert_int_equal(ms.queue_time.count, 23);
    assert_int_equal(ms.callback_time.count, 23);
    assert_int_equal(ms.callback_time.max_ns, mb.callback_time.max_ns);
    assert_int_equal(ms.counts.capacity, 2 * LRC_SCHEDULER_DEFAULT_QUEUE_CAPACITY);

    lrc_queue_unref(b); /* released: its numbers stay in the scheduler's */
    ms = get_s(s);
    assert_int_equal(ms.callback_time.count, 23);
    assert_int_equal(ms.callback_time.max_ns, mb.callback_time.max_ns);
    assert_int_equal(ms.counts.capacity, LRC_SCHEDULER_DEFAULT_QUEUE_CAPACITY);
    lrc_queue_unref(a);
    lrc_scheduler_free(s);
}

/* Loop mode, with overflow: only the items run are timed; the drops and
 * the waiting items are counted as such. */
static void test_scheduler_loop(void **state)
{
    (void)state;
    lrc_scheduler *s = make(0, 2);
    lrc_queue *q = NULL;
    assert_int_equal(lrc_queue_new(s, 0, &q, NULL), LRC_OK);
    for (int i = 0; i < 5; i++) /* non-terminal: 3 dropped for overflow */
        assert_int_equal(lrc_queue_push(q, run_sleep, NULL, NULL, NULL, false), LRC_OK);
    lrc_queue_metrics m = get_q(q);
    assert_int_equal(m.counts.received, 5);
    assert_int_equal(m.counts.dropped, 3);
    assert_int_equal(m.counts.length, 2);
    assert_int_equal(m.queue_time.count, 0);

    sleep_ns(2000000); /* they wait 2 ms in the queue */
    assert_int_equal(lrc_scheduler_dispatch(s, 1), 1);
    m = get_q(q);
    assert_int_equal(m.counts.processed, 1);
    assert_int_equal(m.queue_time.count, 1);
    assert_true(m.queue_time.max_ns >= 2000000);
    assert_int_equal(m.queue_time.p50_ns, m.queue_time.max_ns); /* one value */
    assert_int_equal(lrc_scheduler_dispatch(s, 0), 1);
    m = get_s(s);
    assert_int_equal(m.counts.processed, 2);
    assert_int_equal(m.counts.length, 0);
    assert_int_equal(m.queue_time.count, 2);
    assert_int_equal(m.callback_time.count, 2);
    assert_true(m.callback_time.sum_ns <= m.callback_time.count * m.callback_time.max_ns);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_bounds),   cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_quantiles_tail),  cmocka_unit_test(test_merge),
        cmocka_unit_test(test_copy_out),        cmocka_unit_test(test_scheduler_workers),
        cmocka_unit_test(test_scheduler_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
