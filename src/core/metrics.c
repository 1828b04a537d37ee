/* metrics.c - the latency histograms of metrics.h and the size-checked copy
 * of the metrics structs. */
#include "core/metrics.h"

#include <math.h>
#include <string.h>

unsigned lrc_hist_bucket(uint64_t v)
{
    if (v < 4)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* v in [2^e, 2^(e+1)) */
    if (e > LRC_HIST_MAX_EXP)
        return LRC_HIST_BUCKETS - 1;
    unsigned sub = (unsigned)(v >> (e - 2)) & 3u; /* the quarter of the octave */
    return 4u * (e - 1u) + sub;
}

uint64_t lrc_hist_bucket_low(unsigned i)
{
    if (i < 4)
        return i;
    unsigned e = i / 4u + 1u, sub = i % 4u;
    return (uint64_t)(4u + sub) << (e - 2u);
}

uint64_t lrc_hist_bucket_high(unsigned i)
{
    if (i < 4)
        return i;
    if (i >= LRC_HIST_BUCKETS - 1)
        return UINT64_MAX; /* the overflow bucket */
    unsigned e = i / 4u + 1u;
    return lrc_hist_bucket_low(i) + ((uint64_t)1 << (e - 2u)) - 1u;
}

void lrc_hist_add(lrc_hist *dst, const lrc_hist *src)
{
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->max > dst->max)
        dst->max = src->max;
    for (unsigned i = 0; i < LRC_HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
}

uint64_t lrc_hist_quantile(const lrc_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (!(q > 0))
        q = 0;
    if (q > 1)
        q = 1;
    /* the rank of the value wanted, 1-based: the ceiling of q * count */
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < LRC_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t high = lrc_hist_bucket_high(i);
            return high < h->max ? high : h->max;
        }
    }
    return h->max; /* buckets and count disagree: cannot happen */
}

void lrc_hist_summary(const lrc_hist *h, lrc_latency *out)
{
    memset(out, 0, sizeof *out);
    out->count = h->count;
    out->sum_ns = h->sum;
    out->max_ns = h->max;
    out->p50_ns = lrc_hist_quantile(h, 0.50);
    out->p90_ns = lrc_hist_quantile(h, 0.90);
    out->p99_ns = lrc_hist_quantile(h, 0.99);
}

int lrc_metrics_copy_out(void *out, const void *full, size_t full_size)
{
    if (!out)
        return LRC_EINVAL;
    size_t size;
    memcpy(&size, out, sizeof size);
    if (size < sizeof size)
        return LRC_EINVAL;
    size_t n = size < full_size ? size : full_size;
    memcpy((char *)out + sizeof size, (const char *)full + sizeof size, n - sizeof size);
    return LRC_OK;
}
