/* test_bl_report_flood.c - the syn-flood explanation (bl_report_flood.c):
 * each branch fed a constructed phase of the shape that reaches it (the
 * shapes of a real run: syncookies 0 with a full queue and the client
 * timing out, 1 with cookies once the queue was full, 2 with a cookie for
 * every SYN), checked for what it must say and for what it must not. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bl_report.h"
#include "bl_text.h"
#include "text_check.h"

/* A phase of 3000 spoofed SYNs in 3 s against backlog 16, whose client
 * made 60 connects. */
static struct bl_flood_phase phase(int syncookies)
{
    struct bl_flood_phase p;

    memset(&p, 0, sizeof(p));
    p.syncookies = syncookies;
    p.backlog = 16;
    p.limit = 16;
    p.port = 8200;
    p.rate = 1000;
    p.duration_ns = 3000000000ull;
    p.syns_sent = 3000;
    p.tries = 60;
    return p;
}

/* syncookies 0, as measured: the queue stopped at 17, the client's SYNs
 * were dropped with the spoofed ones, 59 of 60 connects timed out. */
static struct bl_flood_phase no_cookies(void)
{
    struct bl_flood_phase p = phase(0);

    p.syn_recv_peak = p.syn_recv_flood_end = 17;
    p.peak_at_ms = 100;
    p.connected = p.accepted = 1;
    p.timed_out = p.timed_out_syn_sent = 59;
    p.timed_out_syns_min = p.timed_out_syns_max = 2;
    p.lat_median_ms = p.lat_p99_ms = p.lat_max_ms = 15.6;
    p.delta[BL_FL_REQQ_DROP] = p.delta[BL_FL_LISTEN_DROPS] = 3101;
    return p;
}

/* syncookies 1, as measured: cookies once the queue was full. */
static struct bl_flood_phase cookies_when_full(void)
{
    struct bl_flood_phase p = phase(1);

    p.syn_recv_peak = p.syn_recv_flood_end = 17;
    p.peak_at_ms = 100;
    p.connected = p.accepted = 60;
    p.last_ok_start_ms = 2950;
    p.lat_median_ms = 1.7;
    p.lat_p99_ms = p.lat_max_ms = 11.8;
    p.delta[BL_FL_COOKIES_SENT] = p.delta[BL_FL_REQQ_COOKIES] = 3042;
    p.delta[BL_FL_COOKIES_RECV] = 59;
    return p;
}

/* syncookies 2, as measured: a cookie for every SYN. */
static struct bl_flood_phase cookies_always(void)
{
    struct bl_flood_phase p = phase(2);

    p.connected = p.accepted = 60;
    p.last_ok_start_ms = 2950;
    p.lat_median_ms = 2.7;
    p.lat_p99_ms = p.lat_max_ms = 12.7;
    p.delta[BL_FL_COOKIES_SENT] = p.delta[BL_FL_REQQ_COOKIES] = 3060;
    p.delta[BL_FL_COOKIES_RECV] = 60;
    return p;
}

static char *explain_n(const struct bl_flood_phase *p, int n)
{
    static char *all;
    struct bl_text t;

    free(all); /* the previous call's */
    bl_text_init(&t);
    bl_report_flood_explain(p, n, &t);
    all = bl_text_join(&t);
    cr_assert_not_null(all);
    bl_text_free(&t);
    return all;
}

static char *explain(const struct bl_flood_phase *p)
{
    return explain_n(p, 1);
}

Test(bl_report_flood, no_cookies_queue_full_client_times_out)
{
    struct bl_flood_phase p = no_cookies();
    char *s = explain(&p);

    SAYS(s, "SYN-RECV rose to 17 (the listener's limit is 16) by 0.1 s and stayed there "
            "until the flood ended: the SYN queue was full");
    SAYS(s, "dropped 3101 SYNs because the SYN queue was full (TCPReqQFullDrop +3101, "
            "ListenDrops +3101)");
    SAYS(s, "118 more than the spoofed SYNs that found no room, so at least that many were "
            "the legitimate client's");
    SAYS(s, "connected 1 of 60 times (2%; median 15.6 ms");
    SAYS(s, "59 timed out after 1500 ms, each still in SYN-SENT with its SYN sent 2 times "
            "and never answered");
    SAYS(s, "had all started by 0.00 s, before the sample that first saw SYN-RECV at its "
            "peak (0.1 s)");
    SAYS(s, "accepted 1 connection, none beyond the client's 1");
    NEVER(s, "cookie instead");
    NEVER(s, "no cookie was sent"); /* said for modes that could send one */
    NEVER(s, "SyncookiesRecv");
}

Test(bl_report_flood, no_cookies_none_connected)
{
    struct bl_flood_phase p = no_cookies();
    p.connected = p.accepted = 0;
    p.timed_out = p.timed_out_syn_sent = 60;
    char *s = explain(&p);

    SAYS(s, "connected none of 60 times: 60 timed out after 1500 ms, each still in SYN-SENT");
    NEVER(s, "median");
    NEVER(s, "had all started");
    NEVER(s, "server accepted");
}

Test(bl_report_flood, drops_no_more_than_the_spoofed_surplus)
{
    struct bl_flood_phase p = no_cookies();
    p.delta[BL_FL_REQQ_DROP] = p.delta[BL_FL_LISTEN_DROPS] = 2983;
    char *s = explain(&p);

    SAYS(s, "dropped 2983 SYNs because the SYN queue was full (TCPReqQFullDrop +2983, "
            "ListenDrops +2983) and sent no cookie for them.");
    NEVER(s, "legitimate client's");
}

Test(bl_report_flood, listen_drops_beyond_the_full_queue)
{
    struct bl_flood_phase p = no_cookies();
    p.delta[BL_FL_LISTEN_DROPS] = 3111;
    char *s = explain(&p);

    SAYS(s, "ListenDrops +3111 counts 10 drops more than TCPReqQFullDrop");
}

Test(bl_report_flood, cookies_once_the_queue_was_full)
{
    struct bl_flood_phase p = cookies_when_full();
    char *s = explain(&p);

    SAYS(s, "the SYN queue was full");
    SAYS(s, "once the SYN queue was full the server answered SYNs with a cookie instead of "
            "a request socket: SyncookiesSent +3042, each one counted by "
            "TCPReqQFullDoCookies");
    SAYS(s, "SYN-RECV never went above 17");
    SAYS(s, "SyncookiesRecv +59: 59 of the client's 60 completed connects came back with a "
            "valid cookie");
    SAYS(s, "connected every time, 60 of 60: median 1.7 ms, p99 11.8 ms, max 11.8 ms");
    SAYS(s, "no completed connect needed a retransmitted SYN");
    SAYS(s, "accepted 60 connections, none beyond the client's 60: no spoofed handshake "
            "completed");
    NEVER(s, "TCPReqQFullDrop");
    NEVER(s, "timed out");
    NEVER(s, "had all started"); /* only when some connects did not complete */
}

Test(bl_report_flood, cookie_for_every_syn)
{
    struct bl_flood_phase p = cookies_always();
    char *s = explain(&p);

    SAYS(s, "no SYN-RECV socket ever appeared: no SYN made a request socket");
    SAYS(s, "every SYN was answered with a cookie: SyncookiesSent +3060 covers the 3000 "
            "spoofed SYNs and the client's 60 connects");
    SAYS(s, "SyncookiesRecv +60");
    NEVER(s, "once the SYN queue was full");
    NEVER(s, "the SYN queue was full");
}

Test(bl_report_flood, cookies_fewer_than_every_syn)
{
    struct bl_flood_phase p = cookies_always();
    p.delta[BL_FL_COOKIES_SENT] = p.delta[BL_FL_REQQ_COOKIES] = 2500;
    char *s = explain(&p);

    SAYS(s, "SyncookiesSent +2500 (TCPReqQFullDoCookies +2500) for 3000 spoofed SYNs and "
            "60 connects");
    NEVER(s, "every SYN was answered");
}

Test(bl_report_flood, cookies_not_all_for_a_full_queue)
{
    struct bl_flood_phase p = cookies_when_full();
    p.delta[BL_FL_REQQ_COOKIES] = 3000;
    char *s = explain(&p);

    SAYS(s, "SyncookiesSent +3042 (TCPReqQFullDoCookies +3000)");
    NEVER(s, "once the SYN queue was full");
}

Test(bl_report_flood, cookies_on_but_none_sent)
{
    struct bl_flood_phase p = phase(1);
    p.syn_recv_peak = p.syn_recv_flood_end = 9;
    p.connected = p.accepted = 60;
    char *s = explain(&p);

    SAYS(s, "SYN-RECV rose to 9 (the listener's limit is 16)");
    SAYS(s, "no cookie was sent (SyncookiesSent +0)");
    NEVER(s, "SyncookiesRecv");
}

Test(bl_report_flood, queue_drained_before_the_flood_ended)
{
    struct bl_flood_phase p = no_cookies();
    p.syn_recv_flood_end = 5;
    char *s = explain(&p);

    SAYS(s, "SYN-RECV peaked at 17 (the listener's limit is 16) at 0.1 s and was down to 5 "
            "when the flood ended");
    NEVER(s, "stayed there");
}

Test(bl_report_flood, connects_after_a_retransmitted_syn)
{
    struct bl_flood_phase p = no_cookies();
    p.connected = p.accepted = 20;
    p.timed_out = p.timed_out_syn_sent = 40;
    p.retransmitted = 19;
    p.rtx_median_ms = 1003.4;
    p.last_ok_start_ms = 2500;
    p.lat_median_ms = 1002.9;
    p.lat_p99_ms = p.lat_max_ms = 1010.2;
    char *s = explain(&p);

    SAYS(s, "connected 20 of 60 times (33%; median 1002.9 ms, p99 1010.2 ms, max 1010.2 ms)");
    SAYS(s, "19 of the connects that completed needed a retransmitted SYN (TCP_INFO), their "
            "first SYN lost; they took a median of 1003 ms");
    NEVER(s, "no completed connect needed");
    NEVER(s, "had all started"); /* the last one started after the peak was seen */
}

Test(bl_report_flood, client_errors_and_mixed_timeouts)
{
    struct bl_flood_phase p = no_cookies();
    p.connected = p.accepted = 0;
    p.timed_out = 50;
    p.timed_out_syn_sent = 48;
    p.failed = 10;
    p.first_errno = ECONNREFUSED;
    char *s = explain(&p);

    SAYS(s, "50 timed out after 1500 ms, 48 of them still in SYN-SENT, 10 failed (the first "
            "with Connection refused)");
    NEVER(s, "each still in SYN-SENT");
}

Test(bl_report_flood, timeouts_sent_their_syn_a_varying_number_of_times)
{
    struct bl_flood_phase p = no_cookies();
    p.timed_out_syns_min = 1;
    char *s = explain(&p);

    SAYS(s, "each still in SYN-SENT with its SYN sent 1 to 2 times and never answered");
}

Test(bl_report_flood, refused_sends_checksum_errors_overflows_and_spoofed_handshakes)
{
    struct bl_flood_phase p = cookies_when_full();
    p.syns_nobufs = 12;
    p.delta[BL_FL_CSUM_ERRORS] = 3;
    p.delta[BL_FL_LISTEN_OVERFLOWS] = 4;
    p.delta[BL_FL_COOKIES_FAILED] = 2;
    p.accepted = 62;
    char *s = explain(&p);

    SAYS(s, "12 more SYNs were due but the raw socket refused them (ENOBUFS or EAGAIN)");
    SAYS(s, "counted 3 TCP checksum errors (InCsumErrors)");
    SAYS(s, "the accept queue overflowed too (ListenOverflows +4)");
    SAYS(s, "SyncookiesFailed +2");
    SAYS(s, "accepted 62 connections, 2 more than the client completed: some spoofed "
            "handshake completed");
    NEVER(s, "no spoofed handshake completed");
}

Test(bl_report_flood, more_cookies_back_than_connects)
{
    struct bl_flood_phase p = cookies_when_full();
    p.delta[BL_FL_COOKIES_RECV] = 70;
    char *s = explain(&p);

    SAYS(s, "SyncookiesRecv +70, more than the 60 connects the client completed");
}

Test(bl_report_flood, quiet_about_what_did_not_happen)
{
    struct bl_flood_phase p = cookies_when_full();
    char *s = explain(&p);

    NEVER(s, "ENOBUFS");
    NEVER(s, "checksum");
    NEVER(s, "ListenOverflows");
    NEVER(s, "SyncookiesFailed");
    NEVER(s, "Side by side"); /* one phase */
}

Test(bl_report_flood, modes_side_by_side)
{
    struct bl_flood_phase p[3] = { no_cookies(), cookies_when_full(), cookies_always() };
    char *s = explain_n(p, 3);

    SAYS(s, "Side by side, the legitimate client connected 1 of 60 times with syncookies=0, "
            "60 of 60 times with syncookies=1 and 60 of 60 times with syncookies=2.");
}

Test(bl_report_flood, json_has_every_phase_and_the_explanation)
{
    struct bl_flood_phase p[2] = { no_cookies(), cookies_always() };
    struct bl_flood_sample s[2] = { { 0, 1, 1, 1, 0 }, { 100, 17, 100, 3, 1 } };
    struct bl_opts o;
    char *buf = NULL;
    size_t len = 0;

    memset(&o, 0, sizeof(o));
    o.json = true;
    p[0].samples = s;
    p[0].nsamples = 2;
    p[1].delta[BL_FL_CSUM_ERRORS] = -1;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    bl_report_flood(f, p, 2, &o);
    fclose(f);
    SAYS(buf, "\"experiment\": \"syn-flood\"");
    SAYS(buf, "\"syn_recv\": 17");
    SAYS(buf, "\"TCPReqQFullDrop\": 3101");
    SAYS(buf, "\"InCsumErrors\": null");
    SAYS(buf, "\"success_ratio\": 0.017");
    SAYS(buf, "\"explanation\"");
    free(buf);
}

Test(bl_report_flood, text_has_tables_timeline_and_explanation)
{
    struct bl_flood_phase p = no_cookies();
    struct bl_flood_sample s[6] = { { 0, 1, 1, 1, 0 } };
    struct bl_opts o;
    char *buf = NULL;
    size_t len = 0;

    memset(&o, 0, sizeof(o));
    for (int i = 1; i < 6; i++)
        s[i] = (struct bl_flood_sample){ (uint32_t)i * 100, 17, (uint64_t)i * 100, 1, 1 };
    p.samples = s;
    p.nsamples = 6;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    bl_report_flood(f, &p, 1, &o);
    fclose(f);
    SAYS(buf, "SyncookiesSent SyncookiesRecv");
    SAYS(buf, "   0.5            17");
    SAYS(buf, "What this run shows:");
    free(buf);
}
