/*
 * metrics.h - the latency histograms behind lrc_latency (lrc/scheduler.h):
 * a fixed log-linear histogram of nanosecond values, four buckets per power
 * of two, so that recording is O(1) (a count-leading-zeros and three adds),
 * needs no allocation and no lock of its own (its owner's lock guards it),
 * and two histograms merge by adding their buckets. A quantile read from it
 * is the upper bound of the bucket that holds it: at most a quarter above
 * the true value (exact below 8 ns), and never above the maximum seen.
 */
#ifndef LRC_METRICS_H
#define LRC_METRICS_H

#include "lrc/scheduler.h"

#include <stdint.h>

/* Values of 2^(LRC_HIST_MAX_EXP+1) ns (about 73 minutes) and more share
 * the last bucket; count, sum and max stay exact. */
#define LRC_HIST_MAX_EXP 41
#define LRC_HIST_BUCKETS (4 * LRC_HIST_MAX_EXP + 1) /* the last: overflow */

typedef struct lrc_hist {
    uint64_t count;
    uint64_t sum;
    uint64_t max;
    uint64_t b[LRC_HIST_BUCKETS];
} lrc_hist;

/* The bucket of value v, and the smallest / largest value bucket i holds. */
unsigned lrc_hist_bucket(uint64_t v);
uint64_t lrc_hist_bucket_low(unsigned i);
uint64_t lrc_hist_bucket_high(unsigned i);

/* Counts one value. */
static inline void lrc_hist_record(lrc_hist *h, uint64_t v)
{
    h->count++;
    h->sum += v;
    if (v > h->max)
        h->max = v;
    h->b[lrc_hist_bucket(v)]++;
}

/* dst += src. */
void lrc_hist_add(lrc_hist *dst, const lrc_hist *src);

/* The value below or at which a fraction q (0 < q <= 1) of the values
 * lie, as the upper bound of its bucket, capped at max; 0 when empty. */
uint64_t lrc_hist_quantile(const lrc_hist *h, double q);

/* count, sum, max and the quantiles of lrc_latency. */
void lrc_hist_summary(const lrc_hist *h, lrc_latency *out);

/* Copies the library's struct `full` (whose first member is its size_t
 * size, full_size bytes) into the caller's `out`, as far as both know it:
 * min(out's size, full_size) bytes; out's size field is kept. LRC_EINVAL
 * when out is NULL or its size is smaller than a size_t (not set). */
int lrc_metrics_copy_out(void *out, const void *full, size_t full_size);

#endif
