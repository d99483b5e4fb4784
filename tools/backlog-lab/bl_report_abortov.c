/* bl_report_abortov.c - the report of accept-queue --abort-on-overflow:
 * a table per group of clients, the explanation built from the measured
 * fates and counters, or JSON. */
#include <inttypes.h>

#include "bl_report.h"
#include "json.h"

static const char *const group_word[BL_AO_NGROUPS] = { "held", "fill", "late" };

/* The counter's value for the text, or "absent" when the kernel lacks it. */
static void counter_phrase(const struct bl_abortov_phase *p, enum bl_abortov_counter k,
                           char *buf, size_t len)
{
    if (p->delta[k] < 0)
        snprintf(buf, len, "%s absent", bl_abortov_counter_name[k]);
    else
        snprintf(buf, len, "%s +%" PRId64, bl_abortov_counter_name[k], p->delta[k]);
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

/* Across the values: whether the late clients fared the same (what the
 * setting leaves alone) and the held ones differently (what it changes). */
static void explain_compare(const struct bl_abortov_phase *ph, int n, struct bl_text *t)
{
    const struct bl_abortov_group_fate *a, *b;

    if (n < 2 || ph[0].abort_on_overflow == ph[1].abort_on_overflow)
        return;
    a = &ph[0].g[BL_AO_LATE];
    b = &ph[1].g[BL_AO_LATE];
    if (a->syn_sent == b->syn_sent && a->reset == b->reset && a->waiting == b->waiting)
        bl_text_add(t, "What the setting changes: only the answer to a final ACK that meets "
                       "a full queue (%d reset with %d, %d with %d). SYNs that reached the "
                       "full queue were dropped alike with both values.",
                    ph[0].g[BL_AO_HELD].reset, ph[0].abort_on_overflow,
                    ph[1].g[BL_AO_HELD].reset, ph[1].abort_on_overflow);
    else
        bl_text_add(t, "The clients whose SYN reached the full queue fared differently with "
                       "%d and %d (SYN-SENT %d and %d, reset %d and %d).",
                    ph[0].abort_on_overflow, ph[1].abort_on_overflow, a->syn_sent,
                    b->syn_sent, a->reset, b->reset);
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
        json_end_object(j);
    }
    json_end_object(j);
    bl_json_counters(j, "counters", bl_abortov_counter_name, p->delta, BL_AO_NCOUNTERS);
    json_end_object(j);
}

static void text_phases(FILE *f, const struct bl_abortov_phase *ph, int n)
{
    fprintf(f, "A listener with backlog %d that never accepts. held: %d clients whose final "
               "ACK nft dropped until the queue was full; fill: %d that filled it; late: %d "
               "whose SYN reached it full.\n", BL_ABORTOV_BACKLOG, BL_ABORTOV_HELD,
            BL_ABORTOV_BACKLOG + 1, BL_ABORTOV_LATE);
    fprintf(f, "%5s %5s %7s %9s %7s %8s %5s %5s %8s %9s %7s %9s %7s\n", "abort", "group",
            "clients", "connected", "waiting", "SYN-SENT", "reset", "other", "SYN-RECV", "Overflows",
            "Drops", "EmbryRsts", "OutRsts");
    for (int i = 0; i < n; i++) {
        for (int g = 0; g < BL_AO_NGROUPS; g++) {
            const struct bl_abortov_group_fate *q = &ph[i].g[g];
            fprintf(f, "%5d %5s %7d %9d %7d %8d %5d %5d", ph[i].abort_on_overflow,
                    group_word[g], q->clients, q->connected, q->waiting, q->syn_sent,
                    q->reset, q->other);
            if (g == 0)
                fprintf(f, " %8u %9" PRId64 " %7" PRId64 " %9" PRId64 " %7" PRId64 "\n",
                        ph[i].srv_syn_recv, ph[i].delta[0], ph[i].delta[1],
                        ph[i].delta[2], ph[i].delta[3]);
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
        json_init(&j, f, JSON_PRETTY);
        json_object(&j, NULL);
        json_string(&j, "experiment", "abort-on-overflow");
        json_int(&j, "backlog", BL_ABORTOV_BACKLOG);
        json_array(&j, "phases");
        for (int i = 0; i < n; i++)
            json_phase(&j, &ph[i]);
        json_end_array(&j);
        bl_text_json(&t, &j, "explanation");
        json_end_object(&j);
    } else {
        text_phases(f, ph, n);
        fprintf(f, "\nWhat this run shows:\n");
        bl_text_print(&t, f);
    }
    bl_text_free(&t);
    fflush(f);
}
