/* test_tl_sched.c - tcpload's open-loop schedule against a fake clock: due
 * times, dispatch, catch-up after a stall, the coordinated-omission
 * correction and the verdict on whether the rate was kept. */
#include <criterion/criterion.h>

#include "clock.h"
#include "tl_sched.h"

#define MS CLOCK_NS_PER_MS
#define US CLOCK_NS_PER_US
#define T0 (1000 * CLOCK_NS_PER_SEC) /* fake clock: the run starts here */

Test(tl_sched, constant_interval_per_connection)
{
    struct tl_sched s;
    /* 1000 msg/s over 4 connections: one message every 1 ms, each
     * connection every 4 ms. */
    tl_sched_init_share(&s, T0, 1000, 4, 4, 0, MS);
    for (uint64_t n = 0; n < 100; n++)
        cr_assert_eq(tl_sched_time(&s, n), T0 + n * MS);
    for (uint32_t slot = 0; slot < 4; slot++)
        for (uint64_t j = 1; j < 25; j++)
            cr_assert_eq(tl_sched_slot_time(&s, slot, j) -
                         tl_sched_slot_time(&s, slot, j - 1), 4 * MS);
    cr_assert_eq(tl_sched_slot_time(&s, 3, 2), T0 + 11 * MS);
}

Test(tl_sched, due_count_matches_brute_force)
{
    static const uint64_t fr[][2] = { { 1, 1 }, { 3, 7 }, { 1000000000, 3 },
                                      { 999, 1000 }, { 5, 2 }, { 100, 1 } };
    for (size_t k = 0; k < sizeof(fr) / sizeof(fr[0]); k++) {
        struct tl_sched s;
        tl_sched_init(&s, T0, fr[k][0], fr[k][1], 1, MS);
        uint64_t n = 0;
        for (uint64_t now = T0 - 5; now < T0 + 3000; now++) {
            while (tl_sched_time(&s, n) <= now)
                n++;
            cr_assert_eq(tl_sched_due(&s, now), now < T0 ? 0 : n,
                         "%lu/%lu at +%ld", (unsigned long)fr[k][0],
                         (unsigned long)fr[k][1], (long)(now - T0));
        }
    }
}

Test(tl_sched, exact_without_drift_far_out)
{
    struct tl_sched s;
    /* 7 msg/s: message 7e10 is due exactly 1e10 s later, beyond the
     * 64-bit product. */
    tl_sched_init_share(&s, 0, 7, 1, 1, 0, MS);
    cr_assert_gt(70000000000ULL, s.fast_max);
    cr_assert_eq(tl_sched_time(&s, 70000000000ULL), 10000000000ULL * CLOCK_NS_PER_SEC);
    cr_assert_eq(tl_sched_time(&s, 7), CLOCK_NS_PER_SEC);
    cr_assert_eq(tl_sched_time(&s, 1), CLOCK_NS_PER_SEC / 7);
}

Test(tl_sched, on_time_dispatch_sends_each_message_once_in_order)
{
    struct tl_sched s;
    uint64_t sent = 0;
    tl_sched_init_share(&s, T0, 10000, 10, 10, 0, MS); /* every 100 us */
    for (uint64_t now = T0; now < T0 + 50 * MS; now += 37 * US) {
        uint64_t old = s.next, end = tl_sched_dispatch(&s, now, UINT64_MAX);
        for (uint64_t n = old; n < end; n++, sent++) {
            cr_assert_eq(n, sent);
            cr_assert_leq(tl_sched_time(&s, n), now);
            cr_assert_gt(tl_sched_time(&s, n) + 37 * US, now, "dispatched late");
        }
        cr_assert_gt(tl_sched_next_time(&s), now);
    }
    cr_assert_eq(sent, 500);
    cr_assert_eq(s.late, 0);
    cr_assert_lt(s.max_lag_ns, 37 * US);
}

Test(tl_sched, catch_up_after_stall_keeps_due_times)
{
    struct tl_sched s;
    tl_sched_init_share(&s, T0, 1000, 2, 2, 0, MS); /* every 1 ms */
    cr_assert_eq(tl_sched_dispatch(&s, T0, UINT64_MAX), 1);
    /* The loop stalls for 50 ms: everything overdue goes at once. */
    uint64_t now = T0 + 50 * MS;
    cr_assert_eq(tl_sched_dispatch(&s, now, UINT64_MAX), 51);
    cr_assert_eq(tl_sched_slot_count(&s, 0, 51), 26);
    cr_assert_eq(tl_sched_slot_count(&s, 1, 51), 25);
    /* Messages 1..48 were due more than 1 ms before now: late. */
    cr_assert_eq(s.late, 48);
    cr_assert_eq(s.max_lag_ns, 49 * MS);
    /* The correction: message 1 answered 10 us after it was finally sent
     * has waited since its due time, not 10 us. */
    cr_assert_eq(tl_sched_latency(&s, 1, now + 10 * US), 49 * MS + 10 * US);
    cr_assert_eq(tl_sched_latency(&s, 50, now + 10 * US), 10 * US);
    /* Then back on schedule. */
    cr_assert_eq(tl_sched_dispatch(&s, now + MS, UINT64_MAX), 52);
    cr_assert_eq(s.late, 48);
}

/* Dispatching ahead: a wakeup takes every message due within the
 * horizon; those not yet due are neither late nor lagging, and the next
 * message is due after the horizon. */
Test(tl_sched, dispatch_ahead_takes_the_horizon_and_counts_only_overdue_ones)
{
    struct tl_sched s;
    tl_sched_init_share(&s, T0, 10000, 10, 10, 0, MS); /* every 100 us */
    cr_assert_eq(tl_sched_dispatch_ahead(&s, T0 + 50 * US, 200 * US, UINT64_MAX), 3);
    cr_assert_eq(s.late, 0);
    cr_assert_eq(s.max_lag_ns, 50 * US);
    cr_assert_gt(tl_sched_next_time(&s), T0 + 250 * US);
    /* Woken before anything new is due: nothing ahead of the horizon. */
    cr_assert_eq(tl_sched_dispatch_ahead(&s, T0 + 60 * US, 200 * US, UINT64_MAX), 3);
    /* Message 3 (due at +300 us) overdue by 10 us; 4 and 5 ahead. */
    cr_assert_eq(tl_sched_dispatch_ahead(&s, T0 + 310 * US, 200 * US, UINT64_MAX), 6);
    cr_assert_eq(s.max_lag_ns, 50 * US);
    /* A stall of 5 ms: messages 6..42 were due more than 1 ms ago. */
    cr_assert_eq(tl_sched_dispatch_ahead(&s, T0 + 5300 * US, 200 * US, UINT64_MAX), 56);
    cr_assert_eq(s.late, 37);
    cr_assert_eq(s.max_lag_ns, 4700 * US);
    /* The horizon stops at the limit, and never overflows the clock. */
    cr_assert_eq(tl_sched_dispatch_ahead(&s, T0 + 5300 * US, 10 * MS, 60), 60);
    cr_assert_eq(tl_sched_dispatch_ahead(&s, T0 + 5300 * US, UINT64_MAX, UINT64_MAX),
                 tl_sched_due(&s, UINT64_MAX));
    cr_assert_eq(s.late, 37);
}

Test(tl_sched, limit_stops_dispatch_at_window_end)
{
    struct tl_sched s;
    tl_sched_init_share(&s, T0, 1000, 1, 1, 0, MS);
    cr_assert_eq(tl_sched_dispatch(&s, T0 + 100 * MS, 20), 20);
    cr_assert_eq(tl_sched_dispatch(&s, T0 + 200 * MS, 20), 20);
}

Test(tl_sched, threads_share_the_rate_and_interleave)
{
    struct tl_sched a, b;
    /* 5000 msg/s over 5 connections: thread 0 has 3, thread 1 has 2; each
     * connection sends every 1 ms. */
    tl_sched_init_share(&a, T0, 5000, 5, 3, 0, MS);
    tl_sched_init_share(&b, T0, 5000, 5, 2, 1, MS);
    cr_assert_eq(tl_sched_slot_time(&a, 2, 1) - tl_sched_slot_time(&a, 2, 0), MS);
    cr_assert_eq(tl_sched_slot_time(&b, 1, 1) - tl_sched_slot_time(&b, 1, 0), MS);
    cr_assert_eq(tl_sched_time(&b, 0), T0 + 200 * US);
    uint64_t total = tl_sched_due(&a, T0 + CLOCK_NS_PER_SEC - 1) +
                     tl_sched_due(&b, T0 + CLOCK_NS_PER_SEC - 1);
    cr_assert_eq(total, 5000);
}

Test(tl_sched, no_rate_means_everything_due_at_start)
{
    struct tl_sched s;
    tl_sched_init_share(&s, T0, 0, 8, 8, 0, MS);
    cr_assert_eq(tl_sched_due(&s, T0 - 1), 0);
    cr_assert_eq(tl_sched_due(&s, T0), UINT64_MAX);
    cr_assert_eq(tl_sched_dispatch(&s, T0, 8), 8);
    cr_assert_eq(tl_sched_time(&s, 7), T0);
    cr_assert_eq(s.late, 0);
}

Test(tl_sched, verdict_names_who_fell_behind)
{
    cr_assert_eq(tl_sched_verdict(100000, 99950, 0), TL_RATE_KEPT);
    cr_assert_eq(tl_sched_verdict(100000, 99000, 1000), TL_RATE_KEPT);
    cr_assert_eq(tl_sched_verdict(100000, 98999, 0), TL_RATE_REPLIES_BEHIND);
    cr_assert_eq(tl_sched_verdict(100000, 100000, 1001), TL_RATE_SENDS_LATE);
    cr_assert_eq(tl_sched_verdict(0, 0, 0), TL_RATE_KEPT);
}
