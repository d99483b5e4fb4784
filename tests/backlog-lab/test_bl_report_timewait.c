/* test_bl_report_timewait.c - the time-wait explanation
 * (bl_report_timewait.c) fed phases of every shape it tells apart: no
 * failure, ports exhausted by TIME-WAIT ends, ports never handed out, no
 * reuse, reuse past or short of tcp_tw_reuse_delay, a counter that
 * disagrees, tcp_tw_reuse=2 on both addresses, reuse without timestamps,
 * and the one TIME-WAIT end watched or not. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bl_report.h"
#include "bl_text.h"
#include "text_check.h"

/* A phase that ran out of its 8 ports after 8 connects, each held by a
 * TIME-WAIT end, and took over `reused` of them from 1.017 s on. */
static struct bl_timewait_phase phase(int reuse, enum bl_timewait_addr addr, int reused)
{
    struct bl_timewait_phase p;

    memset(&p, 0, sizeof(p));
    p.reuse = reuse;
    p.addr = addr;
    p.port_lo = 40000;
    p.port_hi = 40007;
    p.timestamps = 1;
    p.reuse_delay_ms = 1000;
    p.ok_before_fail = 8;
    p.ports_used = 8;
    p.failed = true;
    p.fail_errno = EADDRNOTAVAIL;
    p.t_fail_ns = 300000;
    p.tw_at_fail = 8;
    p.tw_expires_min_ms = 59990;
    p.tw_expires_max_ms = 60000;
    p.attempts_after = 120;
    p.reused = reused;
    p.t_first_reuse_ns = reused > 0 ? 1017000000 : 0;
    p.delta[1] = reused;
    return p;
}

static struct bl_timewait_result result(const struct bl_timewait_phase *ph, int n)
{
    struct bl_timewait_result r;

    memset(&r, 0, sizeof(r));
    r.nphases = n;
    memcpy(r.ph, ph, (size_t)n * sizeof(*ph));
    r.life.seen = true;
    r.life.seen_after_ns = 5000000;
    r.life.expires_ms = 59995;
    return r;
}

static char *explain(const struct bl_timewait_result *r)
{
    static char *all;
    struct bl_text t;

    free(all); /* the previous call's */
    bl_text_init(&t);
    bl_report_timewait_explain(r, &t);
    all = bl_text_join(&t);
    cr_assert_not_null(all);
    bl_text_free(&t);
    return all;
}

/* Measured on 6.18: 8 ports, tcp_tw_reuse 0 and 1 on loopback. */
Test(bl_report_timewait, exhausted_then_reused_past_the_delay)
{
    struct bl_timewait_phase ph[] = { phase(0, BL_TW_LOOPBACK, 0),
                                      phase(1, BL_TW_LOOPBACK, 16) };
    struct bl_timewait_result r = result(ph, 2);
    char *t = explain(&r);

    SAYS(t, "tcp_tw_reuse=0 on loopback 127.0.0.1: 8 connects succeeded, using 8 of the 8 "
            "ports of ip_local_port_range 40000-40007, then connect() failed with "
            "EADDRNOTAVAIL");
    SAYS(t, "with 8 client ends in TIME-WAIT (timers 60.0-60.0 s left) and 0 in other "
            "states: every port used was held by a TIME-WAIT end");
    SAYS(t, "tcp_tw_reuse=0 on loopback 127.0.0.1: none of the 120 connects retried every "
            "20 ms");
    SAYS(t, "no TIME-WAIT end was taken over (TWRecycled +0)");
    SAYS(t, "tcp_tw_reuse=1 on loopback 127.0.0.1: 16 of the 120 connects retried after "
            "the failure succeeded, on ports held by TIME-WAIT ends (TWRecycled +16)");
    SAYS(t, "the first came 1.017 s after the first close, when the oldest end had been in "
            "TIME-WAIT longer than net.ipv4.tcp_tw_reuse_delay (1000 ms)");
    SAYS(t, "On loopback, tcp_tw_reuse values that took over TIME-WAIT ends: 1; that did "
            "not: 0.");
    NEVER(t, "On the veth address");
    NEVER(t, "never been used");
    NEVER(t, "not the same count");
    NEVER(t, "loopback connections only");
}

Test(bl_report_timewait, no_failure)
{
    struct bl_timewait_phase p = phase(0, BL_TW_LOOPBACK, 0);

    p.failed = false;
    p.ok_before_fail = 40;
    struct bl_timewait_result r = result(&p, 1);
    char *t = explain(&r);
    SAYS(t, "no connect failed in 2.5 s: 40 connects, the 8 ports of the range never ran "
            "out");
    NEVER(t, "EADDRNOTAVAIL");
}

Test(bl_report_timewait, ports_never_handed_out_and_no_time_wait)
{
    struct bl_timewait_phase p = phase(0, BL_TW_LOOPBACK, 0);

    p.ok_before_fail = 7;
    p.ports_used = 7;
    p.tw_at_fail = 0;
    p.other_at_fail = 7;
    struct bl_timewait_result r = result(&p, 1);
    char *t = explain(&r);
    SAYS(t, "using 7 of the 8 ports");
    SAYS(t, "with 0 client ends in TIME-WAIT and 7 in other states.");
    SAYS(t, "1 port of the range had never been used when connect() failed");
    NEVER(t, "timers");
    NEVER(t, "every port used was held");
}

Test(bl_report_timewait, reuse_short_of_the_delay_and_a_counter_that_disagrees)
{
    struct bl_timewait_phase p = phase(1, BL_TW_LOOPBACK, 8);

    p.t_first_reuse_ns = 400000000;
    p.delta[1] = 5;
    struct bl_timewait_result r = result(&p, 1);
    char *t = explain(&r);
    SAYS(t, "(TWRecycled +5, not the same count)");
    SAYS(t, "the oldest end had been in TIME-WAIT less than net.ipv4.tcp_tw_reuse_delay "
            "(1000 ms)");
}

Test(bl_report_timewait, reuse_without_the_delay_sysctl)
{
    struct bl_timewait_phase p = phase(1, BL_TW_LOOPBACK, 8);

    p.reuse_delay_ms = -1;
    struct bl_timewait_result r = result(&p, 1);
    char *t = explain(&r);
    SAYS(t, "the first came 1.017 s after the first close.");
    NEVER(t, "tcp_tw_reuse_delay");
}

Test(bl_report_timewait, two_is_loopback_only)
{
    struct bl_timewait_phase ph[] = { phase(1, BL_TW_LOOPBACK, 16), phase(1, BL_TW_VETH, 16),
                                      phase(2, BL_TW_LOOPBACK, 16), phase(2, BL_TW_VETH, 0) };
    struct bl_timewait_result r = result(ph, 4);
    char *t = explain(&r);
    SAYS(t, "tcp_tw_reuse=2 on the veth address 10.213.1.1: none of the 120");
    SAYS(t, "On the veth address, tcp_tw_reuse values that took over TIME-WAIT ends: 1; "
            "that did not: 2.");
    SAYS(t, "tcp_tw_reuse=2 took over ends on loopback and none on the veth address, where "
            "1 did: 2 is reuse for loopback connections only");
}

Test(bl_report_timewait, two_alike_on_both_addresses_says_nothing_of_loopback)
{
    struct bl_timewait_phase ph[] = { phase(2, BL_TW_LOOPBACK, 16), phase(2, BL_TW_VETH, 16) };
    struct bl_timewait_result r = result(ph, 2);

    NEVER(explain(&r), "loopback connections only");
}

Test(bl_report_timewait, reuse_needed_timestamps)
{
    struct bl_timewait_phase ph[] = { phase(1, BL_TW_LOOPBACK, 16),
                                      phase(1, BL_TW_LOOPBACK, 0) };

    ph[1].no_timestamps = true;
    ph[1].timestamps = 0;
    struct bl_timewait_result r = result(ph, 2);
    char *t = explain(&r);
    SAYS(t, "tcp_tw_reuse=1 without timestamps on loopback 127.0.0.1: none");
    SAYS(t, "With net.ipv4.tcp_timestamps 0, tcp_tw_reuse=1 on loopback took over 0 ends, "
            "against 16 with timestamps on: reuse needed the timestamps.");
    ph[1].reused = 3;
    r = result(ph, 2);
    t = explain(&r);
    SAYS(t, "took over 3 ends, against 16 with timestamps on.");
    NEVER(t, "needed the timestamps");
}

Test(bl_report_timewait, the_end_watched_alone)
{
    struct bl_timewait_phase p = phase(0, BL_TW_LOOPBACK, 0);
    struct bl_timewait_result r = result(&p, 1);

    SAYS(explain(&r), "seen 5 ms after its close with 60.0 s left on its timer "
                      "(idiag_expires): a lifetime of about 60.0 s.");
    SAYS(explain(&r), "(--long watches it until it goes.)");
    r.life.watched = true;
    r.life.gone = true;
    r.life.gone_after_ns = 60100000000ull;
    SAYS(explain(&r), "it was gone 60.1 s after the close, 0.1 s after its timer said it "
                      "would: shorter than the 2 x MSL of RFC 793");
    r.life.gone_after_ns = 240100000000ull;
    NEVER(explain(&r), "shorter than");
    r.life.gone = false;
    SAYS(explain(&r), "it was still there 150 s after the close");
    r.life.seen = false;
    SAYS(explain(&r), "was never seen in TIME-WAIT");
}
