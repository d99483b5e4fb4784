/* tl_hist.c - the log-linear latency histogram (see tl_hist.h).
 *
 * Bucket i below 2 * TL_HIST_SUB_COUNT holds the single value i (the first two
 * groups share exponent 0); above, i = e * TL_HIST_SUB_COUNT + s with the
 * sub-bucket s in [TL_HIST_SUB_COUNT, 2 * TL_HIST_SUB_COUNT) holds the values
 * [s << e, (s + 1) << e).  tl_hist_index in tl_hist.h is the inverse.
 */
#include "tl_hist.h"

#include <math.h>
#include <string.h>

void tl_hist_init(struct tl_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

/* Exponent (bucket width log2) of bucket i. */
static unsigned bucket_exp(size_t i)
{
    return i < 2 * TL_HIST_SUB_COUNT ? 0 : (unsigned)(i >> TL_HIST_SUB_BITS) - 1;
}

uint64_t tl_hist_bucket_low(size_t i)
{
    unsigned e = bucket_exp(i);
    return (uint64_t)(i - ((size_t)e << TL_HIST_SUB_BITS)) << e;
}

uint64_t tl_hist_bucket_high(size_t i)
{
    return tl_hist_bucket_low(i) + (1ULL << bucket_exp(i)) - 1;
}

void tl_hist_merge(struct tl_hist *dst, const struct tl_hist *src)
{
    if (src->count == 0)
        return;
    for (size_t i = 0; i < TL_HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t tl_hist_rank(uint64_t count, double pct)
{
    double r = ceil(pct / 100.0 * (double)count);

    if (r < 1.0)
        return 1;
    if (r >= (double)count)
        return count;
    return (uint64_t)r;
}

/* The value reported for bucket i: its highest value, within [min, max];
 * the last bucket also holds every value above TL_HIST_TOP_NS, so its
 * highest value is max. */
static uint64_t bucket_value(const struct tl_hist *h, size_t i)
{
    uint64_t v = tl_hist_bucket_high(i);

    if (v > h->max || i == TL_HIST_BUCKETS - 1)
        v = h->max;
    if (v < h->min)
        v = h->min;
    return v;
}

uint64_t tl_hist_percentile(const struct tl_hist *h, double pct)
{
    if (h->count == 0)
        return 0;
    if (pct <= 0.0)
        return h->min;
    uint64_t rank = tl_hist_rank(h->count, pct), seen = 0;
    if (rank == h->count)
        return h->max;
    for (size_t i = 0; i < TL_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank)
            return bucket_value(h, i);
    }
    return h->max;
}

double tl_hist_mean(const struct tl_hist *h)
{
    return h->count == 0 ? 0.0 : (double)h->sum / (double)h->count;
}

int tl_hist_next(const struct tl_hist *h, struct tl_hist_iter *it, struct tl_hist_row *row)
{
    while (it->index < TL_HIST_BUCKETS && h->buckets[it->index] == 0)
        it->index++;
    if (it->index >= TL_HIST_BUCKETS)
        return 0;
    size_t i = it->index++;
    it->seen += h->buckets[i];
    row->value = bucket_value(h, i);
    row->count = h->buckets[i];
    row->percentile = 100.0 * (double)it->seen / (double)h->count;
    return 1;
}
