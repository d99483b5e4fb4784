/* test_stats.c - per-worker counters: their cache-line layout, the sum, and
 * the interval and report lines (text and JSON; the JSON read by path and
 * also pinned byte for byte, since scripts and bench/harness read it). */
#include <criterion/criterion.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "support.h"

/* Runs fn into a memory stream and returns the text (caller frees). */
#define CAPTURE(text, call)                                   \
    do {                                                      \
        size_t len_;                                          \
        FILE *f = open_memstream(&(text), &len_);             \
        call;                                                 \
        fclose(f);                                            \
    } while (0)

Test(stats, blocks_never_share_a_cache_line)
{
    cr_assert_eq(alignof(struct stats_counters), STATS_CACHE_LINE);
    cr_assert_eq(sizeof(struct stats_counters) % STATS_CACHE_LINE, 0);
    struct stats_counters two[2];
    cr_assert_eq((uintptr_t)&two[1] % STATS_CACHE_LINE, 0);
}

Test(stats, sums_every_block)
{
    struct stats_counters a = { 0 }, b = { 0 }, sum;
    const struct stats_counters *blocks[] = { &a, &b };

    stats_add(&a, STATS_ACCEPTED, 3);
    stats_add(&b, STATS_ACCEPTED, 4);
    stats_add(&b, STATS_ACTIVE, 2);
    stats_sub(&b, STATS_ACTIVE, 1);
    stats_add(&a, STATS_SHED, 1);
    stats_sum(blocks, 2, &sum);
    cr_assert_eq(sum.v[STATS_ACCEPTED], 7);
    cr_assert_eq(sum.v[STATS_ACTIVE], 1);
    cr_assert_eq(sum.v[STATS_SHED], 1);
    cr_assert_eq(stats_get(&b, STATS_ACCEPTED), 4);
}

Test(stats, every_counter_has_a_distinct_name)
{
    for (int i = 0; i < STATS_COUNT; i++) {
        cr_assert_not_null(stats_name(i));
        for (int j = 0; j < i; j++)
            cr_assert_str_neq(stats_name(i), stats_name(j));
    }
}

Test(stats, interval_line_rates)
{
    struct stats_counters prev = { 0 }, cur = { 0 };
    char *text;

    cur.v[STATS_ACTIVE] = 5;
    cur.v[STATS_ACCEPTED] = 20;
    cur.v[STATS_BYTES_IN] = 4000000;
    cur.v[STATS_BYTES_OUT] = 2000000;
    CAPTURE(text, stats_print_interval(f, &prev, &cur, 2000, 0, 0));
    cr_assert_str_eq(text, "stats: active=5 accepts/s=10.0 in=2.000MB/s out=1.000MB/s accepting=on\n");
    free(text);
    CAPTURE(text, stats_print_interval(f, &prev, &cur, 2000, 1, 1));
    cr_assert_str_eq(text, "{\"type\":\"interval\",\"active\":5,\"accepts_per_s\":10.0,"
                     "\"in_mb_per_s\":2.000,\"out_mb_per_s\":1.000,\"accepting\":\"paused\"}\n");
    free(text);
}

Test(stats, report_has_totals_and_per_worker_accepts)
{
    struct stats_counters a = { 0 }, b = { 0 };
    const struct stats_counters *blocks[] = { &a, &b };
    char *text;

    stats_add(&a, STATS_ACCEPTED, 3);
    stats_add(&b, STATS_ACCEPTED, 4);
    stats_add(&b, STATS_ACCEPT_EMFILE, 2);
    CAPTURE(text, stats_print_report(f, "summary", blocks, 2, 0, 0));
    cr_assert(strncmp(text, "summary: accepted=7 active=0 ", 29) == 0, "%s", text);
    cr_assert_not_null(strstr(text, " emfile=2 "));
    cr_assert_not_null(strstr(text, "\nsummary: worker 0 accepted=3 active=0\n"
                                    "summary: worker 1 accepted=4 active=0\n"));
    free(text);
    CAPTURE(text, stats_print_report(f, "stats", blocks, 2, 1, 1));
    long long v;
    cr_assert(sup_json_is(text, "/type", "\"stats\""), "%s", text);
    cr_assert(sup_json_int(text, "/accepted", &v) == 0 && v == 7, "%s", text);
    cr_assert(sup_json_int(text, "/emfile", &v) == 0 && v == 2, "%s", text);
    cr_assert(sup_json_is(text, "/accepting", "\"paused\""), "%s", text);
    cr_assert(sup_json_int(text, "/workers/0/accepted", &v) == 0 && v == 3, "%s", text);
    cr_assert(sup_json_int(text, "/workers/1/accepted", &v) == 0 && v == 4, "%s", text);
    cr_assert(sup_json_int(text, "/workers/1/active", &v) == 0 && v == 0, "%s", text);
    cr_assert_str_eq(text, "{\"type\":\"stats\",\"accepted\":7,\"active\":0,\"closed\":0,"
                     "\"refused\":0,\"idle_timeouts\":0,\"grace_closed\":0,"
                     "\"linger_timeouts\":0,\"write_timeouts\":0,\"lifetime_closed\":0,"
                     "\"resets\":0,\"epipe\":0,\"io_errors\":0,"
                     "\"io_etimedout\":0,\"io_ehostunreach\":0,\"io_enetunreach\":0,"
                     "\"io_enobufs\":0,\"io_enomem\":0,\"io_eio\":0,\"io_other\":0,"
                     "\"nomem\":0,\"memory_waits\":0,\"buffered\":0,\"bytes_in\":0,\"bytes_out\":0,"
                     "\"emfile\":2,\"enfile\":0,\"enobufs\":0,\"enomem\":0,"
                     "\"accept_aborted\":0,\"accept_other\":0,\"shed\":0,"
                     "\"proxy_invalid\":0,\"proxy_timeouts\":0,\"per_ip_refused\":0,"
                     "\"pipes\":0,\"pipes_lent\":0,\"piped\":0,\"spliced\":0,\"pipe_misses\":0,"
                     "\"conn_cap\":0,\"log_dropped\":0,"
                     "\"accepting\":\"paused\",\"workers\":[{\"accepted\":3,\"active\":0},"
                     "{\"accepted\":4,\"active\":0}]}\n");
    free(text);
}

Test(stats, json_counters_are_whole_64_bit_numbers)
{
    struct stats_counters a = { 0 };
    const struct stats_counters *blocks[] = { &a };
    char *text;
    size_t len;

    stats_add(&a, STATS_BYTES_IN, UINT64_MAX);
    CAPTURE(text, stats_print_report(f, "summary", blocks, 1, 0, 1));
    cr_assert(sup_json_is(text, "/bytes_in", "18446744073709551615"), "%s", text);
    cr_assert_not_null(sup_json_find(text, "/workers/0", &len), "%s", text);
    free(text);
}
