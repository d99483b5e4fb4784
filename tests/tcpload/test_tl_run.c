/* test_tl_run.c - the run's shared pieces: stats merging, a thread's view
 * of the measured window, and the size of the per-connection state. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tl_echo.h"
#include "tl_hold.h"
#include "tl_run.h"

Test(tl_run, stats_merge_sums_and_keeps_extremes)
{
    static struct tl_stats a, b;
    tl_stats_init(&a);
    tl_stats_init(&b);
    a.done = 5;
    b.done = 7;
    a.max_lag_ns = 10;
    b.max_lag_ns = 3;
    b.bad_conn = 4;
    b.bad_offset = 99;
    a.errors[111] = 2;
    b.errors[111] = 1;
    tl_hist_record(&a.lat[0], 1000);
    tl_hist_record(&b.lat[0], 3000);
    tl_stats_merge(&a, &b);
    cr_assert_eq(a.done, 12);
    cr_assert_eq(a.max_lag_ns, 10);
    cr_assert_eq(a.bad_conn, 4);
    cr_assert_eq(a.bad_offset, 99);
    cr_assert_eq(a.errors[111], 3);
    cr_assert_eq(a.lat[0].count, 2);
    cr_assert_eq(a.lat[0].max, 3000);
}

Test(tl_run, window_begins_ends_and_moves)
{
    static struct tl_run r;
    static struct tl_thread t;
    struct tl_window w;

    memset(&r, 0, sizeof(r));
    memset(&t, 0, sizeof(t));
    t.run = &r;
    r.measure_ns = 1000;
    r.end_ns = 5000;
    tl_window_init(&w, &r);
    cr_assert_eq(tl_window_track(&w, &t, 500), TL_WIN_MOVED);
    cr_assert(!w.begun && w.open);
    t.live.bytes_out = 100;
    t.live.bytes_in = 50;
    cr_assert_eq(tl_window_track(&w, &t, 1000), TL_WIN_BEGAN);
    cr_assert(tl_window_has(&w, 1000) && tl_window_has(&w, 4999));
    cr_assert(!tl_window_has(&w, 999) && !tl_window_has(&w, 5000));
    t.live.bytes_out = 400;
    t.live.bytes_in = 250;
    r.end_ns = 3000; /* a signal moved the end earlier */
    cr_assert_eq(tl_window_track(&w, &t, 3500), TL_WIN_MOVED);
    cr_assert(!w.open);
    cr_assert_eq(t.stats.win_out, 300);
    cr_assert_eq(t.stats.win_in, 200);
    t.live.bytes_out = 1000;
    cr_assert_eq(tl_window_track(&w, &t, 4000), 0);
    cr_assert_eq(t.stats.win_out, 300, "bytes after the end do not count");
}

Test(tl_run, connection_state_sizes)
{
    printf("sizes: tcpload echo connection %zu bytes (+8 per --pipeline slot), "
           "hold connection %zu bytes, struct tl_hist %zu bytes\n",
           tl_echo_conn_size(), tl_hold_conn_size(), sizeof(struct tl_hist));
    cr_assert_leq(tl_echo_conn_size(), 128);
    cr_assert_leq(tl_hold_conn_size(), 32);
}
