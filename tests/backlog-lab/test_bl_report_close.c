/* test_bl_report_close.c - the close explanation (bl_report_close.c) fed
 * sequences of every shape it tells apart: both on the tutorials' path,
 * one that leaves it, one cut short, a state never seen, a FIN-WAIT-2
 * timer that fits tcp_fin_timeout or not, a TIME-WAIT timer restarted or
 * not, and the --long watch ending either way. */
#include <criterion/criterion.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "bl_report.h"
#include "bl_text.h"
#include "text_check.h"

static void put(struct bl_close_seq *s, double at_s, uint8_t c, uint8_t ct, uint32_t cms,
                uint8_t sv, uint8_t st, uint32_t sms)
{
    struct bl_close_step *p = &s->step[s->n++];

    p->action = "a step";
    p->t_ns = (uint64_t)(at_s * 1e9);
    p->client = (struct bl_close_end){ c, ct, cms };
    p->server = (struct bl_close_end){ sv, st, sms };
}

/* Both sequences as measured on 6.18 (bin/backlog-lab close). */
static struct bl_close_result measured(void)
{
    struct bl_close_result r;
    struct bl_close_seq *f = &r.seq[0], *m = &r.seq[1];

    memset(&r, 0, sizeof(r));
    r.fin_timeout_s = 60;
    f->kind = BL_CLOSE_FOUR_WAY;
    put(f, 0.018, TCP_ESTABLISHED, 0, 0, TCP_ESTABLISHED, 0, 0);
    put(f, 0.094, TCP_FIN_WAIT1, 1, 148, TCP_ESTABLISHED, 0, 0);
    put(f, 0.324, TCP_FIN_WAIT2, 3, 59936, TCP_CLOSE_WAIT, 0, 0);
    put(f, 0.636, TCP_FIN_WAIT2, 3, 59616, TCP_CLOSE_WAIT, 0, 0);
    put(f, 0.717, TCP_TIME_WAIT, 3, 59948, TCP_LAST_ACK, 1, 144);
    put(f, 0.939, TCP_TIME_WAIT, 3, 59940, 0, 0, 0);
    m->kind = BL_CLOSE_SIMULTANEOUS;
    put(m, 0.017, TCP_ESTABLISHED, 0, 0, TCP_ESTABLISHED, 0, 0);
    put(m, 0.114, TCP_FIN_WAIT1, 1, 148, TCP_FIN_WAIT1, 1, 144);
    put(m, 0.335, TCP_FIN_WAIT2, 3, 59936, TCP_CLOSING, 1, 148);
    put(m, 0.591, TCP_TIME_WAIT, 3, 59920, TCP_CLOSING, 1, 356);
    put(m, 1.011, TCP_TIME_WAIT, 3, 59940, TCP_TIME_WAIT, 3, 59932);
    return r;
}

static char *explain(const struct bl_close_result *r)
{
    static char *all;
    struct bl_text t;

    free(all); /* the previous call's */
    bl_text_init(&t);
    bl_report_close_explain(r, &t);
    all = bl_text_join(&t);
    cr_assert_not_null(all);
    bl_text_free(&t);
    return all;
}

Test(bl_report_close, both_on_the_path)
{
    struct bl_close_result r = measured();
    char *t = explain(&r);

    SAYS(t, "Four-way close, 0.094 s: while the client's FIN was dropped the client sat in "
            "FIN-WAIT-1");
    SAYS(t, "Four-way close, 0.939 s: when a retransmitted FIN drew an ACK");
    SAYS(t, "Simultaneous close, 0.335 s: the client's FIN reached the server");
    SAYS(t, "after a simultaneous close both ends are in TIME-WAIT");
    SAYS(t, "CLOSE-WAIT seen: the server in the four-way close at 0.324 s (no timer).");
    SAYS(t, "CLOSING seen: the server in the simultaneous close at 0.335 s (retransmit timer, "
            "0.148 s left).");
    SAYS(t, "LAST-ACK seen: the server in the four-way close at 0.717 s");
    SAYS(t, "net.ipv4.tcp_fin_timeout is 60 s in its namespace: the timer fits");
    SAYS(t, "restarted while the server retransmitted its FIN: 59.948 s left at 0.717 s, so "
            "59.726 s at 0.939 s had it run on, but 59.940 s.");
    SAYS(t, "The TIME-WAIT timer read at most 59.9 s, far from the 2 x MSL = 240 s");
    NEVER(t, "left the tutorials' path");
    NEVER(t, "never seen");
    NEVER(t, "Watched");
}

Test(bl_report_close, a_sequence_that_leaves_the_path)
{
    struct bl_close_result r = measured();

    r.seq[1].step[2].server.state = TCP_CLOSE_WAIT;
    r.seq[1].step[3].server.state = TCP_LAST_ACK;
    r.seq[1].step[4].server.state = 0;
    char *t = explain(&r);
    SAYS(t, "The simultaneous close left the tutorials' path at 'a step' (0.335 s): the "
            "client was FIN-WAIT-2 and the server CLOSE-WAIT, where the path has FIN-WAIT-2 "
            "and CLOSING");
    NEVER(t, "Simultaneous close, 0.591 s");
    SAYS(t, "CLOSING was never seen in this run.");
    SAYS(t, "Simultaneous close, 0.114 s: both ends closed");
}

Test(bl_report_close, a_sequence_cut_short)
{
    struct bl_close_result r = measured();

    r.seq[1].n = 2;
    SAYS(explain(&r), "The simultaneous close stopped after 2 of its 5 steps.");
}

Test(bl_report_close, timers_that_do_not_fit)
{
    struct bl_close_result r = measured();

    r.fin_timeout_s = 30;
    r.seq[0].step[5].client.expires_ms = 59700; /* ran on: no restart */
    r.seq[0].step[4].client.expires_ms = 250000;
    char *t = explain(&r);
    SAYS(t, "tcp_fin_timeout is 30 s in its namespace.");
    NEVER(t, "the timer fits");
    NEVER(t, "restarted");
    SAYS(t, "The TIME-WAIT timer read at most 250.0 s.");
}

Test(bl_report_close, the_long_watch)
{
    struct bl_close_result r = measured();

    r.watched = true;
    r.gone = true;
    r.gone_ns = 60939000000ull;
    SAYS(explain(&r), "the client's TIME-WAIT end was gone 60.2 s after it was first seen "
                      "and 60.0 s after its timer last read 59.9 s.");
    r.gone = false;
    r.gone_ns = 150100000000ull;
    SAYS(explain(&r), "was still there 150.1 s after the sequence began.");
}
