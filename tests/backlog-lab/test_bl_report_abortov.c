/* test_bl_report_abortov.c - the --abort-on-overflow explanation
 * (bl_report_abortov.c) fed phases of each shape: held clients reset,
 * held clients waiting on server request sockets (or not), a mix, a
 * setup that did not work, late clients in SYN-SENT or not, counters
 * absent, cookie ACKs dropped or reset, and the comparison of two values. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bl_report.h"
#include "bl_text.h"
#include "text_check.h"

static void group(struct bl_abortov_group_fate *g, int clients, int connected, int waiting,
                  int syn_sent, int reset)
{
    g->clients = clients;
    g->connected = connected;
    g->waiting = waiting;
    g->syn_sent = syn_sent;
    g->reset = reset;
    g->other = clients - waiting - syn_sent - reset;
}

/* The shape measured with 0 (reset 0) or 1 (reset 1) on this kernel. */
static struct bl_abortov_phase phase(int abort_on_overflow)
{
    struct bl_abortov_phase p;
    int r = abort_on_overflow;

    memset(&p, 0, sizeof(p));
    p.abort_on_overflow = abort_on_overflow;
    p.queue_len = 5;
    p.queue_limit = 4;
    p.srv_syn_recv = r ? 0 : 2;
    group(&p.g[BL_AO_HELD], 2, 2, r ? 0 : 2, 0, r ? 2 : 0);
    group(&p.g[BL_AO_FILL], 5, 5, 5, 0, 0);
    group(&p.g[BL_AO_LATE], 2, 0, 0, 2, 0);
    p.delta[BL_AO_LISTEN_OVERFLOWS] = 6;
    p.delta[BL_AO_LISTEN_DROPS] = 6;
    p.delta[BL_AO_EMBRYONIC_RSTS] = r ? 2 : 0;
    p.delta[BL_AO_OUT_RSTS] = r ? 2 : 0;
    /* the cookie step, alike with 0 and 1 on this kernel */
    p.ck_queue_len = 5;
    p.ck_queue_limit = 4;
    group(&p.g[BL_AO_COOKIE], 2, 2, 2, 0, 0);
    p.g[BL_AO_COOKIE].retransmitted = 2;
    group(&p.g[BL_AO_COOKIE_FILL], 5, 0, 5, 0, 0);
    p.ck_delta[BL_AO_COOKIES_RECV] = 13;
    p.ck_delta[BL_AO_LISTEN_OVERFLOWS] = p.ck_delta[BL_AO_LISTEN_DROPS] = 8;
    return p;
}

/* A phase whose cookie step ran no clients: its text says nothing of it. */
static struct bl_abortov_phase ack_step_only(int abort_on_overflow)
{
    struct bl_abortov_phase p = phase(abort_on_overflow);

    memset(&p.g[BL_AO_COOKIE], 0, sizeof(p.g[BL_AO_COOKIE]));
    return p;
}

static char *explain(const struct bl_abortov_phase *p, int n)
{
    static char *all;
    struct bl_text t;

    free(all); /* the previous call's */
    bl_text_init(&t);
    bl_report_abortov_explain(p, n, &t);
    all = bl_text_join(&t);
    cr_assert_not_null(all);
    bl_text_free(&t);
    return all;
}

Test(bl_report_abortov, one_resets_the_held_clients)
{
    struct bl_abortov_phase p = ack_step_only(1);
    char *t = explain(&p, 1);

    SAYS(t, "had all seen connect() succeed, and then their first read returned ECONNRESET");
    SAYS(t, "EmbryonicRsts +2, OutRsts +2");
    SAYS(t, "the queue held 5 (limit 4, so it was full)");
    NEVER(t, "think they are connected");
    NEVER(t, "What the setting changes");
}

Test(bl_report_abortov, zero_leaves_them_waiting_on_request_sockets)
{
    struct bl_abortov_phase p = phase(0);
    char *t = explain(&p, 1);

    SAYS(t, "all think they are connected (ESTABLISHED, first read EAGAIN)");
    SAYS(t, "still holds them as 2 SYN-RECV request sockets");
    NEVER(t, "ECONNRESET");
}

Test(bl_report_abortov, waiting_without_request_sockets_says_what_it_saw)
{
    struct bl_abortov_phase p = phase(0);
    char *t;

    p.srv_syn_recv = 0;
    t = explain(&p, 1);
    SAYS(t, "the server holds 0 SYN-RECV request sockets");
    NEVER(t, "still holds them");
}

Test(bl_report_abortov, a_mix_is_counted)
{
    struct bl_abortov_phase p = phase(1);
    char *t;

    group(&p.g[BL_AO_HELD], 2, 2, 1, 0, 1);
    t = explain(&p, 1);
    SAYS(t, "of the 2 clients whose final ACK met the full queue, 1 read ECONNRESET, "
            "1 wait connected and 0 saw something else");
}

Test(bl_report_abortov, a_failed_setup_is_said)
{
    struct bl_abortov_phase p = phase(1);
    char *t;

    p.g[BL_AO_HELD].connected = 1;
    p.queue_len = 3;
    t = explain(&p, 1);
    SAYS(t, "only 1 of the 2 held clients had seen connect() complete");
    SAYS(t, "the queue held 3 (limit 4), not the 5 fill clients");
}

Test(bl_report_abortov, late_clients_not_in_syn_sent)
{
    struct bl_abortov_phase p = phase(1);
    char *t;

    group(&p.g[BL_AO_LATE], 2, 0, 0, 1, 1);
    t = explain(&p, 1);
    SAYS(t, "of the 2 clients whose SYN reached the full queue, 1 are in SYN-SENT, "
            "1 read ECONNRESET");
    NEVER(t, "got no answer and no reset");
}

Test(bl_report_abortov, counters_absent_or_short)
{
    struct bl_abortov_phase p = ack_step_only(1);
    char *t;

    p.delta[BL_AO_EMBRYONIC_RSTS] = -1;
    p.delta[BL_AO_LISTEN_OVERFLOWS] = 3;
    t = explain(&p, 1);
    SAYS(t, "EmbryonicRsts absent");
    SAYS(t, "ListenOverflows +3 is fewer than the 4 clients");
    p.delta[BL_AO_LISTEN_OVERFLOWS] = -1;
    t = explain(&p, 1);
    NEVER(t, "ListenOverflows");
}

Test(bl_report_abortov, two_values_compared)
{
    struct bl_abortov_phase p[2] = { phase(0), phase(1) };
    char *t = explain(p, 2);

    SAYS(t, "only the answer to a final ACK that meets a full queue (0 reset with 0, "
            "2 with 1)");
    SAYS(t, "dropped alike with both values, and so were cookie ACKs that met it");
    group(&p[1].g[BL_AO_LATE], 2, 0, 0, 0, 2);
    t = explain(p, 2);
    SAYS(t, "fared differently with 0 and 1 (SYN-SENT 2 and 0, reset 0 and 2)");
}

Test(bl_report_abortov, cookie_ack_on_a_full_queue_dropped_without_reset)
{
    struct bl_abortov_phase p = phase(1);
    char *t = explain(&p, 1);

    SAYS(t, "tcp_abort_on_overflow=1, tcp_syncookies=2: the queue held 5 (limit 4, full): "
            "the 5 cookie_fill clients, and the server kept no request socket (SYN-RECV 0)");
    SAYS(t, "the 2 clients whose cookie ACK (carried by the byte each sent) met the full "
            "queue all think they are connected (ESTABLISHED, first read EAGAIN) and have had "
            "to retransmit their byte");
    SAYS(t, "the server checked 13 cookies (SyncookiesRecv), 8 more than the 5 cookie_fill "
            "handshakes, dropped 8 segments on the full queue (ListenOverflows) and sent no "
            "reset (OutRsts +0)");
    NEVER(t, "cookie ACK (carried by the byte each sent) met the full queue read ECONNRESET");
}

Test(bl_report_abortov, cookie_ack_reset)
{
    struct bl_abortov_phase p = phase(1);
    char *t;

    group(&p.g[BL_AO_COOKIE], 2, 2, 0, 0, 2);
    p.ck_delta[BL_AO_OUT_RSTS] = 2;
    t = explain(&p, 1);
    SAYS(t, "met the full queue read ECONNRESET: the server answered it with a reset "
            "(SyncookiesRecv +13, ListenOverflows +8, OutRsts +2)");
    NEVER(t, "sent no reset");
    NEVER(t, "think they are connected (ESTABLISHED, first read EAGAIN) and have had");
}

Test(bl_report_abortov, cookie_ack_mix_and_failed_setup)
{
    struct bl_abortov_phase p = phase(0);
    char *t;

    group(&p.g[BL_AO_COOKIE], 2, 1, 1, 0, 0);
    p.g[BL_AO_COOKIE].retransmitted = 1;
    p.ck_queue_len = 3;
    p.ck_srv_syn_recv = 1;
    p.ck_delta[BL_AO_COOKIES_RECV] = 5;
    t = explain(&p, 1);
    SAYS(t, "the queue held 3 (limit 4) and the server 1 SYN-RECV sockets, not the 5 "
            "cookie_fill clients");
    SAYS(t, "only 1 of the 2 cookie clients had seen connect() complete");
    SAYS(t, "of the 2 clients whose cookie ACK met the full queue, 0 read ECONNRESET, 1 wait "
            "connected (1 of all retransmitted their byte) and 1 saw something else");
    NEVER(t, "the server checked"); /* no more cookies than the fill handshakes */
}

Test(bl_report_abortov, cookie_acks_fared_differently)
{
    struct bl_abortov_phase p[2] = { phase(0), phase(1) };
    char *t;

    group(&p[1].g[BL_AO_COOKIE], 2, 2, 0, 0, 2);
    t = explain(p, 2);
    SAYS(t, "The clients whose cookie ACK met the full queue fared differently with 0 and 1 "
            "(waiting 2 and 0, reset 0 and 2)");
    NEVER(t, "What the setting changes: only");
}

Test(bl_report_abortov, no_cookie_clients_no_cookie_text)
{
    struct bl_abortov_phase p = ack_step_only(0);
    char *t = explain(&p, 1);

    NEVER(t, "tcp_syncookies=2");
    NEVER(t, "cookie");
}
