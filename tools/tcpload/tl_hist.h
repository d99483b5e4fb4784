/* tl_hist.h - a log-linear latency histogram in the manner of HdrHistogram.
 *
 * tcpload records one latency per message; each thread owns a histogram
 * and the thread histograms are merged when the run ends.  Values are
 * nanoseconds.  Below 2^TL_HIST_SUB_BITS (128 ns) every value has a bucket of
 * its own; above, each power of two [2^k, 2^(k+1)) is split into 128 equal
 * buckets, so a bucket is never wider than 1/128 of its lowest value and any
 * value read back (the highest value of its bucket) is at most 0.79% above
 * the value recorded.  Buckets reach TL_HIST_TOP_NS (about 36 minutes); larger
 * values fall into the last bucket, while min, max and sum stay exact.
 *
 * The memory is fixed (struct tl_hist is about 35 KiB) and recording is a few
 * instructions with no allocation, so tl_hist_record sits on the hot path.
 */
#ifndef TL_HIST_H
#define TL_HIST_H

#include <stddef.h>
#include <stdint.h>

#define TL_HIST_SUB_BITS  7
#define TL_HIST_SUB_COUNT (1u << TL_HIST_SUB_BITS)
/* The largest exponent with buckets of its own: values up to 2^41 - 1 ns. */
#define TL_HIST_MAX_EXP   33
#define TL_HIST_TOP_NS    ((2ULL * TL_HIST_SUB_COUNT << TL_HIST_MAX_EXP) - 1)
#define TL_HIST_BUCKETS   ((TL_HIST_MAX_EXP + 2) * TL_HIST_SUB_COUNT)

struct tl_hist {
    uint64_t count;  /* values recorded */
    uint64_t min;    /* exact; UINT64_MAX while empty */
    uint64_t max;    /* exact; 0 while empty */
    uint64_t sum;    /* exact sum of the values, for the mean */
    uint64_t buckets[TL_HIST_BUCKETS];
};

/* One row of the distribution, as tl_hist_next hands them out. */
struct tl_hist_row {
    uint64_t value;      /* highest value of the bucket, capped at max (ns) */
    uint64_t count;      /* values in this bucket */
    double percentile;   /* share of all values at or below this bucket, 0..100 */
};

struct tl_hist_iter {
    size_t index;        /* next bucket to look at */
    uint64_t seen;       /* values in the buckets already returned */
};

/* Empties h. */
void tl_hist_init(struct tl_hist *h);

/* The bucket a value falls into. */
static inline size_t tl_hist_index(uint64_t v)
{
    if (v > TL_HIST_TOP_NS)
        v = TL_HIST_TOP_NS;
    if (v < TL_HIST_SUB_COUNT)
        return (size_t)v;
    unsigned e = (unsigned)(63 - __builtin_clzll(v)) - TL_HIST_SUB_BITS;
    return ((size_t)e << TL_HIST_SUB_BITS) + (size_t)(v >> e);
}

/* Lowest and highest value (ns) that fall into bucket i. */
uint64_t tl_hist_bucket_low(size_t i);
uint64_t tl_hist_bucket_high(size_t i);

/* Records one value (ns).  No allocation, no system call. */
static inline void tl_hist_record(struct tl_hist *h, uint64_t v)
{
    h->buckets[tl_hist_index(v)]++;
    h->count++;
    h->sum += v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

/* Adds every value of src to dst. */
void tl_hist_merge(struct tl_hist *dst, const struct tl_hist *src);

/* The rank (1-based position in sorted order) that percentile pct of count
 * values denotes: ceil(pct / 100 * count), at least 1, at most count. */
uint64_t tl_hist_rank(uint64_t count, double pct);

/* The value at percentile pct (0..100): the highest value of the bucket
 * that holds the value of rank tl_hist_rank(count, pct), capped at max; so it
 * is never below the exact percentile and at most 0.79% above it.
 * pct 0 gives min, 100 gives max; 0 when h is empty. */
uint64_t tl_hist_percentile(const struct tl_hist *h, double pct);

/* Mean of the values in ns (exact, from the sum); 0 when empty. */
double tl_hist_mean(const struct tl_hist *h);

/* Walks the non-empty buckets in increasing order: start with
 * *it = (struct tl_hist_iter){0}; each call fills *row and returns 1, then 0
 * once every bucket has been returned. */
int tl_hist_next(const struct tl_hist *h, struct tl_hist_iter *it, struct tl_hist_row *row);

#endif
