/* hist.h - a log-linear latency histogram in the manner of HdrHistogram.
 *
 * tcpload records one latency per message; each thread owns a histogram
 * and the thread histograms are merged when the run ends.  Values are
 * nanoseconds.  Below 2^HIST_SUB_BITS (128 ns) every value has a bucket of
 * its own; above, each power of two [2^k, 2^(k+1)) is split into 128 equal
 * buckets, so a bucket is never wider than 1/128 of its lowest value and any
 * value read back (the highest value of its bucket) is at most 0.79% above
 * the value recorded.  Buckets reach HIST_TOP_NS (about 36 minutes); larger
 * values fall into the last bucket, while min, max and sum stay exact.
 *
 * The memory is fixed (struct hist is about 35 KiB) and recording is a few
 * instructions with no allocation, so hist_record sits on the hot path.
 */
#ifndef HIST_H
#define HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS  7
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)
/* The largest exponent with buckets of its own: values up to 2^41 - 1 ns. */
#define HIST_MAX_EXP   33
#define HIST_TOP_NS    ((2ULL * HIST_SUB_COUNT << HIST_MAX_EXP) - 1)
#define HIST_BUCKETS   ((HIST_MAX_EXP + 2) * HIST_SUB_COUNT)

struct hist {
    uint64_t count;  /* values recorded */
    uint64_t min;    /* exact; UINT64_MAX while empty */
    uint64_t max;    /* exact; 0 while empty */
    uint64_t sum;    /* exact sum of the values, for the mean */
    uint64_t buckets[HIST_BUCKETS];
};

/* One row of the distribution, as hist_next hands them out. */
struct hist_row {
    uint64_t value;      /* highest value of the bucket, capped at max (ns) */
    uint64_t count;      /* values in this bucket */
    double percentile;   /* share of all values at or below this bucket, 0..100 */
};

struct hist_iter {
    size_t index;        /* next bucket to look at */
    uint64_t seen;       /* values in the buckets already returned */
};

/* Empties h. */
void hist_init(struct hist *h);

/* The bucket a value falls into. */
static inline size_t hist_index(uint64_t v)
{
    if (v > HIST_TOP_NS)
        v = HIST_TOP_NS;
    if (v < HIST_SUB_COUNT)
        return (size_t)v;
    unsigned e = (unsigned)(63 - __builtin_clzll(v)) - HIST_SUB_BITS;
    return ((size_t)e << HIST_SUB_BITS) + (size_t)(v >> e);
}

/* Lowest and highest value (ns) that fall into bucket i. */
uint64_t hist_bucket_low(size_t i);
uint64_t hist_bucket_high(size_t i);

/* Records one value (ns).  No allocation, no system call. */
static inline void hist_record(struct hist *h, uint64_t v)
{
    h->buckets[hist_index(v)]++;
    h->count++;
    h->sum += v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

/* Adds every value of src to dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The rank (1-based position in sorted order) that percentile pct of count
 * values denotes: ceil(pct / 100 * count), at least 1, at most count. */
uint64_t hist_rank(uint64_t count, double pct);

/* The value at percentile pct (0..100): the highest value of the bucket
 * that holds the value of rank hist_rank(count, pct), capped at max; so it
 * is never below the exact percentile and at most 0.79% above it.
 * pct 0 gives min, 100 gives max; 0 when h is empty. */
uint64_t hist_percentile(const struct hist *h, double pct);

/* Mean of the values in ns (exact, from the sum); 0 when empty. */
double hist_mean(const struct hist *h);

/* Walks the non-empty buckets in increasing order: start with
 * *it = (struct hist_iter){0}; each call fills *row and returns 1, then 0
 * once every bucket has been returned. */
int hist_next(const struct hist *h, struct hist_iter *it, struct hist_row *row);

#endif
