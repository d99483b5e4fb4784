/* test_bl_report_synsched.c - the syn-schedule explanation
 * (bl_report_synsched.c) fed constructed schedules of every shape it
 * tells apart: linear then doubling, ended within the linear part, purely
 * doubling (a kernel without tcp_syn_linear_timeouts), a count that
 * matches tcp_syn_retries, a schedule no rule fits, and a connect that
 * completed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_report.h"
#include "bl_text.h"
#include "text_check.h"

/* A run with retransmissions at the given seconds, ending at end_s. */
static struct bl_synsched_run sched(long retries, long linear, const double *at, int n,
                                    double end_s)
{
    struct bl_synsched_run r;

    memset(&r, 0, sizeof(r));
    r.syn_retries = retries;
    r.linear_timeouts = linear;
    r.nrtx = n;
    for (int i = 0; i < n; i++)
        r.t_rtx[i] = (uint64_t)(at[i] * 1e9);
    r.t_end = (uint64_t)(end_s * 1e9);
    r.err = ETIMEDOUT;
    r.private_ns = true;
    r.delta[0] = n + 1;
    return r;
}

static char *explain(const struct bl_synsched_run *r)
{
    static char *all;
    struct bl_text t;

    free(all); /* the previous call's */
    bl_text_init(&t);
    bl_report_synsched_explain(r, &t);
    all = bl_text_join(&t);
    cr_assert_not_null(all);
    bl_text_free(&t);
    return all;
}


/* Measured on 6.18 with --syn-retries 3: five 1 s gaps, then 2, 4, 8. */
Test(bl_report_synsched, linear_then_doubling_with_a_time_budget)
{
    const double at[] = { 1.023, 2.049, 3.073, 4.095, 5.124, 7.141, 11.363 };
    struct bl_synsched_run r = sched(3, 4, at, 7, 19.551);
    struct bl_synsched_shape s;

    bl_report_synsched_shape(&r, &s);
    cr_assert_eq(s.equal, 5);
    cr_assert_eq(s.doubled, 3);
    cr_assert_eq(s.other, 0);
    char *t = explain(&r);
    SAYS(t, "4 more gaps kept that length");
    SAYS(t, "tcp_syn_linear_timeouts is 4 in the namespace, which fits");
    SAYS(t, "each of the next 3 gaps");
    SAYS(t, "gave up with ETIMEDOUT (Connection timed out) 19.55 s");
    SAYS(t, "tcp_syn_retries (3) did not count retransmissions (7 were sent)");
    SAYS(t, "exactly the 8 the client sent");
    NEVER(t, "NOT");
}

Test(bl_report_synsched, ended_within_the_linear_part)
{
    const double at[] = { 1.016, 2.036 };
    struct bl_synsched_run r = sched(1, 4, at, 2, 3.064);

    char *t = explain(&r);
    SAYS(t, "2 more gaps kept that length");
    SAYS(t, "which fits");
    SAYS(t, "the time 1 retransmission takes");
    NEVER(t, "doubled");
}

Test(bl_report_synsched, doubling_only_and_count_matches)
{
    /* an older kernel: no linear sysctl, tcp_syn_retries counts */
    const double at[] = { 1.0, 3.0, 7.0 };
    struct bl_synsched_run r = sched(3, -1, at, 3, 15.0);

    char *t = explain(&r);
    SAYS(t, "0 more gaps kept that length");
    SAYS(t, "each of the next 3 gaps");
    SAYS(t, "exactly tcp_syn_retries (3) retransmissions");
    NEVER(t, "tcp_syn_linear_timeouts");
}

Test(bl_report_synsched, linear_count_that_does_not_fit)
{
    const double at[] = { 1.0, 2.0, 4.0, 8.0 };
    struct bl_synsched_run r = sched(3, 4, at, 4, 16.0);

    SAYS(explain(&r), "which does NOT fit the gaps measured");
}

Test(bl_report_synsched, no_rule_fits)
{
    const double at[] = { 1.0, 1.5, 9.0 };
    struct bl_synsched_run r = sched(2, 4, at, 3, 30.0);

    char *t = explain(&r);
    SAYS(t, "this run fits neither rule");
    SAYS(t, "fit neither pattern");
}

Test(bl_report_synsched, connect_completed)
{
    const double at[] = { 1.0 };
    struct bl_synsched_run r = sched(3, 4, at, 1, 1.5);

    r.connected = true;
    r.err = 0;
    char *t = explain(&r);
    SAYS(t, "The connect completed after 1.50 s");
    NEVER(t, "gave up");
}

Test(bl_report_synsched, counters_that_disagree_are_said)
{
    const double at[] = { 1.0, 2.0 };
    struct bl_synsched_run r = sched(1, 4, at, 2, 3.05);

    r.delta[0] = 7;
    SAYS(explain(&r), "dropped 7 SYNs (ListenOverflows, counters of the lab's own "
                      "namespace), not the 3");
}
