/* test_bl_report_synq.c - the syn-queue explanation (bl_report_synq.c):
 * each branch fed a constructed phase of the shape that reaches it, and
 * checked for what it must say and for what it must not. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bl_report.h"
#include "bl_text.h"

/* A phase whose queue filled: stop SYN-RECV sockets out of clients. */
static struct bl_synq_phase phase(int syncookies, uint32_t limit, long max_syn_backlog,
                                  uint32_t stop, int clients)
{
    struct bl_synq_phase p;

    memset(&p, 0, sizeof(p));
    p.syncookies = syncookies;
    p.backlog = (int)limit;
    p.limit = limit;
    p.somaxconn = 4096;
    p.max_syn_backlog = max_syn_backlog;
    p.synack_retries = 5;
    p.nclients = clients;
    p.syn_recv_stop = p.syn_recv_peak = p.syn_recv_end = stop;
    p.cl_established = (int)stop;
    p.cl_syn_sent = clients - (int)stop;
    p.watch_ns = 3500000000ull;
    p.rtx_count[1] = (int)stop;
    p.rtx_median_ms[1] = 1000;
    return p;
}

/* The explanation of one phase, joined into one string. */
static char *explain(const struct bl_synq_phase *p)
{
    static char *all;
    struct bl_text t;

    free(all); /* the previous call's */
    bl_text_init(&t);
    bl_report_synq_explain(p, 1, &t);
    all = bl_text_join(&t);
    cr_assert_not_null(all);
    bl_text_free(&t);
    return all;
}

static void says(const char *text, const char *what)
{
    cr_assert(strstr(text, what) != NULL, "missing '%s' in:\n%s", what, text);
}

static void never_says(const char *text, const char *what)
{
    cr_assert(strstr(text, what) == NULL, "'%s' should not be in:\n%s", what, text);
}

/* issue 13 item 1: backlog 2048, syncookies 0, tcp_max_syn_backlog 2048:
 * SYN-RECV stopped at 1537, which is the quarter rule, not "limit - 511". */
Test(bl_report_synq, issue_13_stop_at_three_quarters_of_max_syn_backlog)
{
    struct bl_synq_phase p = phase(0, 2048, 2048, 1537, 2200);
    p.delta[1] = 1989; /* ListenDrops only */

    cr_assert_eq(bl_report_synq_quarter_stop(&p), 1537);
    cr_assert_eq(bl_report_synq_full_stop(&p), 2049);
    char *s = explain(&p);
    says(s, "net.ipv4.tcp_max_syn_backlog (2048 in the namespace) minus its quarter (512)");
    says(s, "1989 SYNs were dropped with no counter of their own");
    says(s, "663 clients stayed in SYN-SENT");
    never_says(s, "- 511");
    never_says(s, "limit plus one");
}

Test(bl_report_synq, stop_at_limit_plus_one)
{
    struct bl_synq_phase p = phase(0, 64, 2048, 65, 100);
    p.delta[1] = p.delta[2] = 140;

    char *s = explain(&p);
    says(s, "that is the listener's limit plus one: limit 64");
    says(s, "TCPReqQFullDrop +140");
    never_says(s, "no counter of their own");
    never_says(s, "plays no part");
}

Test(bl_report_synq, syncookies_on_ignore_max_syn_backlog)
{
    /* quarter rule would say 751; with syncookies 1 it does not apply */
    struct bl_synq_phase p = phase(1, 2048, 1000, 2049, 2200);
    p.delta[3] = p.delta[4] = 151;
    p.cl_established = 2200;
    p.cl_syn_sent = 0;

    char *s = explain(&p);
    says(s, "limit plus one: limit 2048");
    says(s, "tcp_max_syn_backlog plays no part with syncookies on");
    says(s, "TCPReqQFullDoCookies +151");
    never_says(s, "SYN-SENT");
}

Test(bl_report_synq, both_rules_agree)
{
    struct bl_synq_phase p = phase(0, 1536, 2048, 1537, 1600);

    says(explain(&p), "two limits agree there");
}

Test(bl_report_synq, stop_fits_no_rule)
{
    struct bl_synq_phase p = phase(0, 64, 2048, 40, 100);

    char *s = explain(&p);
    says(s, "this run does not fit either rule");
    never_says(s, "limit plus one:");
}

Test(bl_report_synq, queue_never_filled)
{
    struct bl_synq_phase p = phase(0, 64, 2048, 30, 30);

    says(explain(&p), "the queue never filled");
}

Test(bl_report_synq, every_syn_a_cookie)
{
    struct bl_synq_phase p = phase(2, 64, 2048, 0, 100);
    p.delta[4] = 100;
    p.rtx_count[1] = 0;

    char *s = explain(&p);
    says(s, "no SYN-RECV socket ever appeared");
    never_says(s, "retransmitted each unanswered");
}

/* issue 13 item 2: with pruning two populations vanish: each is reported
 * with its own time and retransmissions, and no "let 0 clients" appears. */
Test(bl_report_synq, issue_13_pruned_and_full_timeouts_reported_apart)
{
    struct bl_synq_phase p = phase(0, 64, 2048, 65, 65);

    p.cl_syn_sent = 0;
    p.watch_ns = 70000000000ull;
    p.expired = 65;
    p.expired_count[2] = 33;
    p.expired_median_ms[2] = 7200;
    p.expired_count[5] = 32;
    p.expired_median_ms[5] = 63900;
    char *s = explain(&p);
    says(s, "33 half-open sockets vanished after 2 SYN-ACK retransmissions, 7.2 s");
    says(s, "32 half-open sockets vanished after 5 SYN-ACK retransmissions, 63.9 s");
    says(s, "33 of them gave up after fewer retransmissions than tcp_synack_retries (5)");
    says(s, "more than half of max(8, limit)");
    never_says(s, "let 0");
    never_says(s, "whose first SYN had been dropped");
    p.late_admitted = 3;
    says(explain(&p), "3 clients whose first SYN had been dropped got a half-open socket");
}

/* issue 13 item 3: every socket vanished after the full count: the text
 * must not also say that none had given up. */
Test(bl_report_synq, issue_13_full_timeouts_not_also_none_gave_up)
{
    struct bl_synq_phase p = phase(0, 64, 2048, 16, 16);

    p.expired = 16;
    p.expired_count[5] = 16;
    p.expired_median_ms[5] = 63900;
    char *s = explain(&p);
    says(s, "16 half-open sockets vanished after 5 SYN-ACK retransmissions, 63.9 s");
    never_says(s, "had given up by the end");
    never_says(s, "fewer retransmissions");
}

Test(bl_report_synq, none_gave_up_within_the_watch)
{
    struct bl_synq_phase p = phase(0, 64, 2048, 65, 100);

    char *s = explain(&p);
    says(s, "no half-open socket had given up by the end of the 3.5 s watch");
    never_says(s, "vanished");
}

Test(bl_report_synq, pruning_below_half_full_gives_no_cause)
{
    /* fewer retransmissions than tcp_synack_retries with a queue at most
     * half full: the text says so without naming the half-full rule */
    struct bl_synq_phase p = phase(0, 64, 2048, 10, 10);

    p.expired = 10;
    p.expired_count[3] = 10;
    p.expired_median_ms[3] = 15000;
    char *s = explain(&p);
    says(s, "10 of them gave up after fewer retransmissions");
    never_says(s, "more than half");
}
