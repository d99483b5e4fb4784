/* bl_report_abortov.c - the report of accept-queue --abort-on-overflow:
 * a table per group of clients for each step (the final ACK, the cookie
 * ACK), the explanation built from the measured fates and counters, or
 * JSON. */
#include <inttypes.h>

#include "bl_report.h"
#include "json.h"

static const char *const group_word[BL_AO_NGROUPS] = { "held", "fill", "late", "cookie",
                                                        "cookie_fill" };

/* A counter's value for the text, or "absent" when the kernel lacks it. */
static void delta_phrase(const int64_t *delta, enum bl_abortov_counter k, char *buf,
                         size_t len)
{
    if (delta[k] < 0)
        snprintf(buf, len, "%s absent", bl_abortov_counter_name[k]);
    else
        snprintf(buf, len, "%s +%" PRId64, bl_abortov_counter_name[k], delta[k]);
}

/* The same, for the final-ACK step's counters. */
static void counter_phrase(const struct bl_abortov_phase *p, enum bl_abortov_counter k,
                           char *buf, size_t len)
{
    delta_phrase(p->delta, k, buf, len);
}

/* The clients whose final ACK met the full queue. */
static void explain_held(const struct bl_abortov_phase *p, struct bl_text *t)
{
    const struct bl_abortov_group_fate *h = &p->g[BL_AO_HELD];
    char emb[64], rst[64];

    counter_phrase(p, BL_AO_EMBRYONIC_RSTS, emb, sizeof(emb));
    counter_phrase(p, BL_AO_OUT_RSTS, rst, sizeof(rst));
    if (h->connected < h->clients)
        bl_text_add(t, "tcp_abort_on_overflow=%d: only %d of the %d held clients had seen "
                       "connect() complete before their ACK was let through; the run did "
                       "not set up what it meant to.", p->abort_on_overflow, h->connected,
                    h->clients);
    if (h->reset == h->clients)
        bl_text_add(t, "tcp_abort_on_overflow=%d: the %d clients whose final ACK met the "
                       "full queue had all seen connect() succeed, and then their first read "
                       "returned ECONNRESET: the server answered the ACK with a reset "
                       "(%s, %s).", p->abort_on_overflow, h->clients, emb, rst);
    else if (h->waiting == h->clients && p->srv_syn_recv == (uint32_t)h->clients)
        bl_text_add(t, "tcp_abort_on_overflow=%d: the %d clients whose final ACK met the "
                       "full queue all think they are connected (ESTABLISHED, first read "
                       "EAGAIN), but the server dropped the ACK and still holds them as "
                       "%u SYN-RECV request sockets, not in the queue (%s).",
                    p->abort_on_overflow, h->clients, p->srv_syn_recv, emb);
    else if (h->waiting == h->clients)
        bl_text_add(t, "tcp_abort_on_overflow=%d: the %d clients whose final ACK met the "
                       "full queue all think they are connected (ESTABLISHED, first read "
                       "EAGAIN); the server holds %u SYN-RECV request sockets (%s).",
                    p->abort_on_overflow, h->clients, p->srv_syn_recv, emb);
    else
        bl_text_add(t, "tcp_abort_on_overflow=%d: of the %d clients whose final ACK met the "
                       "full queue, %d read ECONNRESET, %d wait connected and %d saw "
                       "something else (%s, %s).", p->abort_on_overflow, h->clients,
                    h->reset, h->waiting, h->syn_sent + h->other, emb, rst);
}

/* The clients whose SYN met the full queue. */
static void explain_late(const struct bl_abortov_phase *p, struct bl_text *t)
{
    const struct bl_abortov_group_fate *l = &p->g[BL_AO_LATE];

    if (l->syn_sent == l->clients)
        bl_text_add(t, "tcp_abort_on_overflow=%d: the %d clients whose SYN reached the "
                       "full queue got no answer and no reset: their SYNs were dropped "
                       "and they are still in SYN-SENT, retransmitting.",
                    p->abort_on_overflow, l->clients);
    else
        bl_text_add(t, "tcp_abort_on_overflow=%d: of the %d clients whose SYN reached the "
                       "full queue, %d are in SYN-SENT, %d read ECONNRESET, %d wait "
                       "connected and %d saw something else.", p->abort_on_overflow,
                    l->clients, l->syn_sent, l->reset, l->waiting, l->other);
}

/* ListenOverflows against what the run put at the full queue. */
static void explain_counters(const struct bl_abortov_phase *p, struct bl_text *t)
{
    int64_t met = p->g[BL_AO_HELD].clients + p->g[BL_AO_LATE].clients;
    int64_t ov = p->delta[BL_AO_LISTEN_OVERFLOWS];

    if (ov < 0)
        return;
    if (ov >= met)
        bl_text_add(t, "tcp_abort_on_overflow=%d: ListenOverflows +%" PRId64 " counts every "
                       "SYN and every final ACK that met the full queue (%" PRId64 " clients, "
                       "some of them more than once as they retransmitted), whatever the "
                       "setting.", p->abort_on_overflow, ov, met);
    else
        bl_text_add(t, "tcp_abort_on_overflow=%d: ListenOverflows +%" PRId64 " is fewer "
                       "than the %" PRId64 " clients that met the full queue.",
                    p->abort_on_overflow, ov, met);
}

static bool same_fate(const struct bl_abortov_group_fate *a,
                      const struct bl_abortov_group_fate *b)
{
    return a->syn_sent == b->syn_sent && a->reset == b->reset && a->waiting == b->waiting &&
           a->other == b->other;
}

/* Across the values: whether the late and the cookie clients fared the
 * same (what the setting leaves alone) and the held ones differently
 * (what it changes). */
static void explain_compare(const struct bl_abortov_phase *ph, int n, struct bl_text *t)
{
    const struct bl_abortov_group_fate *a, *b;

    if (n < 2 || ph[0].abort_on_overflow == ph[1].abort_on_overflow)
        return;
    a = &ph[0].g[BL_AO_LATE];
    b = &ph[1].g[BL_AO_LATE];
    if (same_fate(a, b) && same_fate(&ph[0].g[BL_AO_COOKIE], &ph[1].g[BL_AO_COOKIE]))
        bl_text_add(t, "What the setting changes: only the answer to a final ACK that meets "
                       "a full queue (%d reset with %d, %d with %d). SYNs that reached the "
                       "full queue were dropped alike with both values, and so were cookie "
                       "ACKs that met it.",
                    ph[0].g[BL_AO_HELD].reset, ph[0].abort_on_overflow,
                    ph[1].g[BL_AO_HELD].reset, ph[1].abort_on_overflow);
    else if (same_fate(a, b))
        bl_text_add(t, "The clients whose cookie ACK met the full queue fared differently "
                       "with %d and %d (waiting %d and %d, reset %d and %d).",
                    ph[0].abort_on_overflow, ph[1].abort_on_overflow,
                    ph[0].g[BL_AO_COOKIE].waiting, ph[1].g[BL_AO_COOKIE].waiting,
                    ph[0].g[BL_AO_COOKIE].reset, ph[1].g[BL_AO_COOKIE].reset);
    else
        bl_text_add(t, "The clients whose SYN reached the full queue fared differently with "
                       "%d and %d (SYN-SENT %d and %d, reset %d and %d).",
                    ph[0].abort_on_overflow, ph[1].abort_on_overflow, a->syn_sent,
                    b->syn_sent, a->reset, b->reset);
}

/* What the server did with the cookie ACKs, when the counters say it: it
 * checked more cookies than the cookie_fill handshakes needed, and sent
 * no reset. */
static void explain_cookie_counters(const struct bl_abortov_phase *p, struct bl_text *t)
{
    const int64_t *d = p->ck_delta;
    int fill = p->g[BL_AO_COOKIE_FILL].clients;

    if (d[BL_AO_COOKIES_RECV] > fill && d[BL_AO_OUT_RSTS] == 0 &&
        d[BL_AO_LISTEN_OVERFLOWS] > 0)
        bl_text_add(t, "tcp_abort_on_overflow=%d: the server checked %" PRId64 " cookies "
                       "(SyncookiesRecv), %" PRId64 " more than the %d cookie_fill "
                       "handshakes, dropped %" PRId64 " segments on the full queue "
                       "(ListenOverflows) and sent no reset (OutRsts +0).",
                    p->abort_on_overflow, d[BL_AO_COOKIES_RECV], d[BL_AO_COOKIES_RECV] - fill,
                    fill, d[BL_AO_LISTEN_OVERFLOWS]);
}

/* The cookie step: its queue, and the clients whose cookie ACK met it. */
static void explain_cookie(const struct bl_abortov_phase *p, struct bl_text *t)
{
    const struct bl_abortov_group_fate *c = &p->g[BL_AO_COOKIE];
    int fill = p->g[BL_AO_COOKIE_FILL].clients, a = p->abort_on_overflow;
    char recv[64], ov[64], rst[64];

    if (c->clients == 0)
        return;
    delta_phrase(p->ck_delta, BL_AO_COOKIES_RECV, recv, sizeof(recv));
    delta_phrase(p->ck_delta, BL_AO_LISTEN_OVERFLOWS, ov, sizeof(ov));
    delta_phrase(p->ck_delta, BL_AO_OUT_RSTS, rst, sizeof(rst));
    if (p->ck_queue_len == (uint32_t)fill && p->ck_srv_syn_recv == 0)
        bl_text_add(t, "tcp_abort_on_overflow=%d, tcp_syncookies=2: the queue held %u (limit "
                       "%u, full): the %d cookie_fill clients, and the server kept no request "
                       "socket (SYN-RECV 0).", a, p->ck_queue_len, p->ck_queue_limit, fill);
    else
        bl_text_add(t, "tcp_abort_on_overflow=%d, tcp_syncookies=2: the queue held %u (limit "
                       "%u) and the server %u SYN-RECV sockets, not the %d cookie_fill "
                       "clients and none the run meant.", a, p->ck_queue_len,
                    p->ck_queue_limit, p->ck_srv_syn_recv, fill);
    if (c->connected < c->clients)
        bl_text_add(t, "tcp_abort_on_overflow=%d: only %d of the %d cookie clients had seen "
                       "connect() complete before their ACK was let through; the run did "
                       "not set up what it meant to.", a, c->connected, c->clients);
    if (c->reset == c->clients)
        bl_text_add(t, "tcp_abort_on_overflow=%d: the %d clients whose cookie ACK (carried "
                       "by the byte each sent) met the full queue read ECONNRESET: the server "
                       "answered it with a reset (%s, %s, %s).", a, c->clients, recv, ov, rst);
    else if (c->waiting == c->clients && c->retransmitted == c->clients)
        bl_text_add(t, "tcp_abort_on_overflow=%d: the %d clients whose cookie ACK (carried "
                       "by the byte each sent) met the full queue all think they are "
                       "connected (ESTABLISHED, first read EAGAIN) and have had to "
                       "retransmit their byte: no reset reached them, and no acknowledgement "
                       "of the byte before its timer ran out.",
                    a, c->clients);
    else
        bl_text_add(t, "tcp_abort_on_overflow=%d: of the %d clients whose cookie ACK met the "
                       "full queue, %d read ECONNRESET, %d wait connected (%d of all "
                       "retransmitted their byte) and %d saw something else (%s, %s, %s).",
                    a, c->clients, c->reset, c->waiting, c->retransmitted,
                    c->syn_sent + c->other, recv, ov, rst);
    explain_cookie_counters(p, t);
}

void bl_report_abortov_explain(const struct bl_abortov_phase *ph, int n, struct bl_text *t)
{
    for (int i = 0; i < n; i++) {
        const struct bl_abortov_phase *p = &ph[i];
        if (p->queue_len == (uint32_t)p->g[BL_AO_FILL].clients)
            bl_text_add(t, "tcp_abort_on_overflow=%d: the queue held %u (limit %u, so it "
                           "was full): the %d fill clients.", p->abort_on_overflow,
                        p->queue_len, p->queue_limit, p->g[BL_AO_FILL].clients);
        else
            bl_text_add(t, "tcp_abort_on_overflow=%d: the queue held %u (limit %u), not "
                           "the %d fill clients the run meant it to hold.",
                        p->abort_on_overflow, p->queue_len, p->queue_limit,
                        p->g[BL_AO_FILL].clients);
        explain_held(p, t);
        explain_late(p, t);
        explain_counters(p, t);
        explain_cookie(p, t);
    }
    explain_compare(ph, n, t);
}

static void json_phase(struct json *j, const struct bl_abortov_phase *p)
{
    json_object(j, NULL);
    json_int(j, "tcp_abort_on_overflow", p->abort_on_overflow);
    json_int(j, "queue_len", p->queue_len);
    json_int(j, "queue_limit", p->queue_limit);
    json_int(j, "server_syn_recv", p->srv_syn_recv);
    json_object(j, "groups");
    for (int g = 0; g < BL_AO_NGROUPS; g++) {
        const struct bl_abortov_group_fate *f = &p->g[g];
        json_object(j, group_word[g]);
        json_int(j, "clients", f->clients);
        json_int(j, "connected_before_release", f->connected);
        json_int(j, "waiting", f->waiting);
        json_int(j, "syn_sent", f->syn_sent);
        json_int(j, "reset", f->reset);
        json_int(j, "other", f->other);
        json_int(j, "retransmitted", f->retransmitted);
        json_end_object(j);
    }
    json_end_object(j);
    bl_json_counters(j, "counters", bl_abortov_counter_name, p->delta, BL_AO_NCOUNTERS);
    json_object(j, "cookie_step");
    json_int(j, "tcp_syncookies", 2);
    json_int(j, "queue_len", p->ck_queue_len);
    json_int(j, "queue_limit", p->ck_queue_limit);
    json_int(j, "server_syn_recv", p->ck_srv_syn_recv);
    bl_json_counters(j, "counters", bl_abortov_counter_name, p->ck_delta, BL_AO_NCOUNTERS);
    json_end_object(j);
    json_end_object(j);
}

/* A step's first row ends with its server's side and counters. */
static void text_step_counters(FILE *f, uint32_t syn_recv, const int64_t *d)
{
    fprintf(f, " %8u %9" PRId64 " %7" PRId64 " %9" PRId64 " %7" PRId64 " %11" PRId64 "\n",
            syn_recv, d[BL_AO_LISTEN_OVERFLOWS], d[BL_AO_LISTEN_DROPS],
            d[BL_AO_EMBRYONIC_RSTS], d[BL_AO_OUT_RSTS], d[BL_AO_COOKIES_RECV]);
}

static void text_phases(FILE *f, const struct bl_abortov_phase *ph, int n)
{
    fprintf(f, "A listener with backlog %d that never accepts. held: %d clients whose final "
               "ACK nft dropped until the queue was full; fill: %d that filled it; late: %d "
               "whose SYN reached it full. Then, with tcp_syncookies=2 on a new listener: "
               "cookie: %d clients whose final ACK nft dropped, cookie_fill: %d that filled "
               "the queue, after which each cookie client sent one byte (its segment "
               "carries the ACK).\n", BL_ABORTOV_BACKLOG, BL_ABORTOV_HELD,
            BL_ABORTOV_BACKLOG + 1, BL_ABORTOV_LATE, BL_ABORTOV_COOKIE,
            BL_ABORTOV_BACKLOG + 1);
    fprintf(f, "%5s %11s %7s %9s %7s %8s %5s %5s %3s %8s %9s %7s %9s %7s %11s\n", "abort",
            "group", "clients", "connected", "waiting", "SYN-SENT", "reset", "other", "rtx",
            "SYN-RECV", "Overflows", "Drops", "EmbryRsts", "OutRsts", "CookiesRecv");
    for (int i = 0; i < n; i++) {
        for (int g = 0; g < BL_AO_NGROUPS; g++) {
            const struct bl_abortov_group_fate *q = &ph[i].g[g];
            fprintf(f, "%5d %11s %7d %9d %7d %8d %5d %5d %3d", ph[i].abort_on_overflow,
                    group_word[g], q->clients, q->connected, q->waiting, q->syn_sent,
                    q->reset, q->other, q->retransmitted);
            if (g == BL_AO_HELD)
                text_step_counters(f, ph[i].srv_syn_recv, ph[i].delta);
            else if (g == BL_AO_COOKIE)
                text_step_counters(f, ph[i].ck_srv_syn_recv, ph[i].ck_delta);
            else
                fprintf(f, "\n");
        }
    }
}

void bl_report_abortov(FILE *f, const struct bl_abortov_phase *ph, int n,
                       const struct bl_opts *o)
{
    struct bl_text t;

    bl_text_init(&t);
    bl_report_abortov_explain(ph, n, &t);
    if (o->json) {
        struct json j;
        bl_report_json_begin(&j, f, "abort-on-overflow");
        json_int(&j, "backlog", BL_ABORTOV_BACKLOG);
        json_array(&j, "phases");
        for (int i = 0; i < n; i++)
            json_phase(&j, &ph[i]);
        json_end_array(&j);
        bl_report_json_end(&j, &t);
    } else {
        text_phases(f, ph, n);
        bl_report_text_end(f, &t);
    }
    bl_text_free(&t);
    fflush(f);
}
