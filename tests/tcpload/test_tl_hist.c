/* test_tl_hist.c - the latency histogram: its buckets, and its percentiles
 * against the exact percentiles of the sorted samples for several
 * distributions (uniform, bimodal, long-tailed). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "tl_hist.h"

#define NSAMPLES 200000

static const double pcts[] = { 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100 };

/* Deterministic xorshift64* so a failure reproduces. */
static uint64_t rng_state = 0x243F6A8885A308D3ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}
static double rng_unit(void)
{
    return (double)(rng() >> 11) / 9007199254740992.0; /* [0, 1) */
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Records samples into a histogram, then checks every percentile of
 * pcts[] against the exact one: never below it, at most 1% above. */
static void check_against_sorted(uint64_t *v, size_t n, const char *what)
{
    static struct tl_hist h;

    tl_hist_init(&h);
    for (size_t i = 0; i < n; i++)
        tl_hist_record(&h, v[i]);
    qsort(v, n, sizeof(v[0]), cmp_u64);
    cr_assert_eq(h.count, n);
    cr_assert_eq(h.min, v[0], "%s: min", what);
    cr_assert_eq(h.max, v[n - 1], "%s: max", what);
    for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
        uint64_t exact = v[tl_hist_rank(n, pcts[k]) - 1];
        uint64_t got = tl_hist_percentile(&h, pcts[k]);
        cr_assert_geq(got, exact, "%s p%g: %lu below exact %lu", what, pcts[k],
                      (unsigned long)got, (unsigned long)exact);
        cr_assert_leq((double)(got - exact), 0.01 * (double)exact,
                      "%s p%g: %lu vs exact %lu", what, pcts[k],
                      (unsigned long)got, (unsigned long)exact);
    }
}

Test(hist, uniform_1us_to_10ms)
{
    uint64_t *v = malloc(NSAMPLES * sizeof(*v));
    for (size_t i = 0; i < NSAMPLES; i++)
        v[i] = 1000 + rng() % 10000000;
    check_against_sorted(v, NSAMPLES, "uniform");
    free(v);
}

Test(hist, bimodal_fast_and_slow)
{
    uint64_t *v = malloc(NSAMPLES * sizeof(*v));
    for (size_t i = 0; i < NSAMPLES; i++)
        v[i] = (rng() % 100 < 95) ? 20000 + rng() % 5000     /* ~20 us */
                                  : 40000000 + rng() % 2000000; /* ~40 ms */
    check_against_sorted(v, NSAMPLES, "bimodal");
    free(v);
}

Test(hist, long_tail_pareto_up_to_minutes)
{
    uint64_t *v = malloc(NSAMPLES * sizeof(*v));
    for (size_t i = 0; i < NSAMPLES; i++) {
        double x = 5000.0 / pow(1.0 - rng_unit(), 1.0 / 0.7); /* alpha 0.7 */
        v[i] = x > 120e9 ? (uint64_t)120e9 : (uint64_t)x;
    }
    check_against_sorted(v, NSAMPLES, "pareto");
    free(v);
}

Test(hist, exact_values_below_256ns)
{
    uint64_t v[256];
    for (size_t i = 0; i < 256; i++)
        v[i] = 255 - i;
    check_against_sorted(v, 256, "small");
}

Test(hist, buckets_cover_1us_to_60s_within_one_percent)
{
    for (uint64_t v = 1000; v <= 60ULL * 1000000000; v += v / 97 + 1) {
        size_t i = tl_hist_index(v);
        cr_assert_lt(i, TL_HIST_BUCKETS);
        cr_assert_leq(tl_hist_bucket_low(i), v);
        cr_assert_geq(tl_hist_bucket_high(i), v);
        cr_assert_leq((double)(tl_hist_bucket_high(i) - tl_hist_bucket_low(i)),
                      0.01 * (double)tl_hist_bucket_low(i), "v=%lu", (unsigned long)v);
    }
    /* Consecutive buckets tile the range with no gap and no overlap. */
    for (size_t i = 1; i < TL_HIST_BUCKETS; i++)
        cr_assert_eq(tl_hist_bucket_low(i), tl_hist_bucket_high(i - 1) + 1, "bucket %zu", i);
    cr_assert_eq(tl_hist_bucket_high(TL_HIST_BUCKETS - 1), TL_HIST_TOP_NS);
}

Test(hist, huge_values_clamp_but_max_stays_exact)
{
    static struct tl_hist h;
    tl_hist_init(&h);
    tl_hist_record(&h, UINT64_MAX / 4);
    tl_hist_record(&h, 0);
    cr_assert_eq(h.buckets[TL_HIST_BUCKETS - 1], 1);
    cr_assert_eq(h.buckets[0], 1);
    cr_assert_eq(tl_hist_percentile(&h, 100), UINT64_MAX / 4);
    cr_assert_eq(tl_hist_percentile(&h, 0), 0);
    cr_assert_eq(tl_hist_percentile(&h, 50), 0);
}

Test(hist, empty_reports_zero)
{
    static struct tl_hist h;
    struct tl_hist_iter it = { 0, 0 };
    struct tl_hist_row row;
    tl_hist_init(&h);
    cr_assert_eq(tl_hist_percentile(&h, 99), 0);
    cr_assert_eq(tl_hist_mean(&h), 0.0);
    cr_assert_eq(tl_hist_next(&h, &it, &row), 0);
}

Test(hist, merge_equals_recording_everything_in_one)
{
    static struct tl_hist a, b, all;
    tl_hist_init(&a);
    tl_hist_init(&b);
    tl_hist_init(&all);
    for (int i = 0; i < 50000; i++) {
        uint64_t v = rng() % 100000000;
        tl_hist_record(i % 3 ? &a : &b, v);
        tl_hist_record(&all, v);
    }
    tl_hist_merge(&a, &b);
    cr_assert_eq(a.count, all.count);
    cr_assert_eq(a.sum, all.sum);
    cr_assert_eq(a.min, all.min);
    cr_assert_eq(a.max, all.max);
    cr_assert_eq(memcmp(a.buckets, all.buckets, sizeof(a.buckets)), 0);
}

Test(hist, iteration_walks_rows_up_to_100_percent)
{
    static struct tl_hist h;
    struct tl_hist_iter it = { 0, 0 };
    struct tl_hist_row row;
    uint64_t total = 0, last = 0;
    double pct = 0;

    tl_hist_init(&h);
    for (uint64_t v = 1; v < 5000000; v = v * 3 / 2 + 1)
        tl_hist_record(&h, v);
    tl_hist_record(&h, 7);
    while (tl_hist_next(&h, &it, &row)) {
        cr_assert_gt(row.count, 0);
        cr_assert_gt(row.value, last);
        cr_assert_geq(row.percentile, pct);
        total += row.count;
        last = row.value;
        pct = row.percentile;
    }
    cr_assert_eq(total, h.count);
    cr_assert_float_eq(pct, 100.0, 1e-9);
    cr_assert_eq(last, h.max);
    cr_assert_float_eq(tl_hist_mean(&h), (double)h.sum / (double)h.count, 1e-9);
}
