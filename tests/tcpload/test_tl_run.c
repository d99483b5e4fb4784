/* test_tl_run.c - the run's shared pieces: the merge of the threads' stats
 * (over every field the lists in tl_run.h name, so a new field is tested
 * without a new line here) and the size of the per-connection state. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tl_echo.h"
#include "tl_hold.h"
#include "tl_run.h"

/* Gives every counter and array element of s its own value, counting up
 * from *v; histogram i records one value. */
static void fill(struct tl_stats *s, uint64_t *v)
{
    tl_stats_init(s);
#define SET_COUNTER(how, name) s->name = (*v)++;
#define SET_ELEM_SUM(name, i) s->name[i] = (*v)++
#define SET_ELEM_HIST(name, i) tl_hist_record(&s->name[i], (*v)++)
#define SET_ARRAY(how, type, name, n) \
    for (size_t i = 0; i < (n); i++)  \
        SET_ELEM_##how(name, i);
    TL_STATS_COUNTERS(SET_COUNTER)
    TL_STATS_ARRAYS(SET_ARRAY)
}

static void check_hist(const char *name, size_t i, const struct tl_hist *m,
                       const struct tl_hist *d, const struct tl_hist *s)
{
    cr_assert_eq(m->count, d->count + s->count, "%s[%zu].count", name, i);
    cr_assert_eq(m->sum, d->sum + s->sum, "%s[%zu].sum", name, i);
    cr_assert_eq(m->min, d->min < s->min ? d->min : s->min, "%s[%zu].min", name, i);
    cr_assert_eq(m->max, d->max > s->max ? d->max : s->max, "%s[%zu].max", name, i);
    for (size_t b = 0; b < TL_HIST_BUCKETS; b++)
        cr_assert_eq(m->buckets[b], d->buckets[b] + s->buckets[b], "%s[%zu].buckets[%zu]",
                     name, i, b);
}

static void same_hist(const char *name, size_t i, const struct tl_hist *got,
                      const struct tl_hist *want)
{
    cr_assert_eq(got->count, want->count, "%s[%zu].count", name, i);
    cr_assert_eq(got->sum, want->sum, "%s[%zu].sum", name, i);
    cr_assert_eq(got->min, want->min, "%s[%zu].min", name, i);
    cr_assert_eq(got->max, want->max, "%s[%zu].max", name, i);
}

/* Merges s into a copy of d and checks every field of the result against
 * the rule its list gives it. */
static void check_merge(const struct tl_stats *d, const struct tl_stats *s)
{
    static struct tl_stats m;
    int src_first = s->bad_conn < d->bad_conn;

    memcpy(&m, d, sizeof(m));
    tl_stats_merge(&m, s);
#define EXPECT_SUM(dv, sv) ((dv) + (sv))
#define EXPECT_MAX(dv, sv) ((dv) > (sv) ? (dv) : (sv))
#define EXPECT_FIRST(dv, sv) (src_first ? (sv) : (dv))
#define CHECK_COUNTER(how, name) \
    cr_assert_eq(m.name, EXPECT_##how(d->name, s->name), "%s (%s)", #name, #how);
#define CHECK_ELEM_SUM(name, i) \
    cr_assert_eq(m.name[i], EXPECT_SUM(d->name[i], s->name[i]), "%s[%zu]", #name, i)
#define CHECK_ELEM_HIST(name, i) check_hist(#name, i, &m.name[i], &d->name[i], &s->name[i])
#define CHECK_ARRAY(how, type, name, n) \
    for (size_t i = 0; i < (n); i++)    \
        CHECK_ELEM_##how(name, i);
    TL_STATS_COUNTERS(CHECK_COUNTER)
    TL_STATS_ARRAYS(CHECK_ARRAY)
}

Test(tl_run, stats_merge_combines_every_listed_field)
{
    static struct tl_stats a, b;
    uint64_t v = 1;

    fill(&a, &v);
    fill(&b, &v); /* every value of b is above every value of a */
    check_merge(&a, &b); /* dst has the first bad byte and the larger lag */
    check_merge(&b, &a); /* src has both */
}

/* The rules themselves, written out by hand: the list-driven test above
 * checks each field against the rule its list entry names, so a wrong rule
 * in the list would pass it. */
Test(tl_run, stats_merge_rules_by_hand)
{
    static struct tl_stats d, s;

    tl_stats_init(&d);
    tl_stats_init(&s);
    d.bytes_in = 100, s.bytes_in = 23;
    d.max_lag_ns = 7000, s.max_lag_ns = 9000;
    d.bad_conn = 5, d.bad_offset = 4096;
    s.bad_conn = 2, s.bad_offset = 17;
    d.errors[0] = 1, s.errors[0] = 2;
    tl_hist_record(&d.lat[0], 1000);
    tl_hist_record(&s.lat[0], 1000);
    tl_hist_record(&s.lat[0], 50000);
    tl_stats_merge(&d, &s);
    cr_assert_eq(d.bytes_in, 123, "bytes_in is summed");
    cr_assert_eq(d.max_lag_ns, 9000, "max_lag_ns keeps the larger");
    cr_assert_eq(d.bad_conn, 2, "the first bad byte is the lower connection's");
    cr_assert_eq(d.bad_offset, 17, "its offset comes with it");
    cr_assert_eq(d.errors[0], 3);
    cr_assert_eq(d.lat[0].count, 3);
    cr_assert_eq(d.lat[0].max, 50000);
    cr_assert_eq(d.lat[0].buckets[tl_hist_index(1000)], 2, "buckets are added");
}

/* What tl_run_execute does: merging into fresh stats must give back the
 * thread's own, field for field (the empty values are neutral). */
Test(tl_run, stats_merge_into_empty_stats_copies_every_field)
{
    static struct tl_stats a, total;
    uint64_t v = 1;

    fill(&a, &v);
    tl_stats_init(&total);
    tl_stats_merge(&total, &a);
#define SAME_COUNTER(how, name) cr_assert_eq(total.name, a.name, "%s", #name);
#define SAME_ELEM_SUM(name, i) cr_assert_eq(total.name[i], a.name[i], "%s[%zu]", #name, i)
#define SAME_ELEM_HIST(name, i) same_hist(#name, i, &total.name[i], &a.name[i])
#define SAME_ARRAY(how, type, name, n) \
    for (size_t i = 0; i < (n); i++)   \
        SAME_ELEM_##how(name, i);
    TL_STATS_COUNTERS(SAME_COUNTER)
    TL_STATS_ARRAYS(SAME_ARRAY)
}

Test(tl_run, connection_state_sizes)
{
    printf("sizes: tcpload echo connection %zu bytes (+8 per --pipeline slot; open loop: "
           "+8 per message of 100 ms or four slacks, at least 16), "
           "hold connection %zu bytes, struct tl_hist %zu bytes\n",
           tl_echo_conn_size(), tl_hold_conn_size(), sizeof(struct tl_hist));
    cr_assert_leq(tl_echo_conn_size(), 128);
    cr_assert_leq(tl_hold_conn_size(), 32);
}
