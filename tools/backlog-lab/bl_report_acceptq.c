/* bl_report_acceptq.c - tables, explanation and JSON for the
 * accept-queue experiment (see bl_report.h).
 *
 * Two tables: the state of both sides at the end of the settle time (the
 * full queue, seen from every angle), then what happened once the lab
 * accepted (how many SYN retransmissions each client needed, how long the
 * writers' bytes waited).  Every sentence of the explanation is computed
 * from those numbers.
 */
#include "bl_report.h"

#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "bl_netstat.h"
#include "bl_sockdiag.h"

#define MAX_RTX_GROUP 3 /* groups 0, 1, 2 and "3 or more" */

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* A run was saturated when fewer clients waited in the queue than sent a
 * SYN: a connect that failed after its SYN left (timed out, reset) was
 * turned away like one still in SYN-SENT; only one that failed in
 * connect() itself never reached the listener. */
static bool saturated(const struct bl_acceptq_run *r)
{
    return (int)r->diag_len < r->nclients - r->cl_failed_at_call;
}

static const char *errno_name(int e)
{
    const char *name = strerrorname_np(e);

    return name != NULL ? name : "an unknown errno";
}

void bl_report_acceptq_rule(const struct bl_acceptq_run *runs, int n,
                            struct bl_acceptq_rule *rule)
{
    memset(rule, 0, sizeof(*rule));
    rule->extra_same = true;
    for (int i = 0; i < n; i++) {
        const struct bl_acceptq_run *r = &runs[i];
        if (!saturated(r) || r->interrupted)
            continue;
        long extra = (long)r->diag_len - (long)r->diag_limit;
        if (rule->saturated > 0 && extra != rule->extra)
            rule->extra_same = false;
        rule->extra = extra;
        rule->saturated++;
        rule->somaxconn = r->somaxconn;
        if ((long)r->diag_limit == r->backlog)
            rule->limit_is_backlog++;
        else if ((long)r->diag_limit == r->somaxconn && r->backlog > r->somaxconn)
            rule->limit_is_somaxconn++;
        else
            rule->limit_other++;
    }
    if (rule->saturated == 0)
        rule->extra_same = false;
}

/* Per run: counts and latencies of clients grouped by how many SYN
 * retransmissions their connect needed. */
struct rtx_groups {
    int count[MAX_RTX_GROUP + 1];
    double median_ms[MAX_RTX_GROUP + 1];
    double max_ms[MAX_RTX_GROUP + 1];
    int never;             /* never connected within the run */
};

static void group_latencies(const struct bl_acceptq_run *r, struct rtx_groups *g)
{
    double *lat = malloc((size_t)(r->nclients > 0 ? r->nclients : 1) * sizeof(*lat));

    memset(g, 0, sizeof(*g));
    for (int k = 0; k <= MAX_RTX_GROUP; k++) {
        int m = 0;
        for (int i = 0; i < r->nclients; i++) {
            const struct bl_client *c = &r->clients[i];
            int grp = c->syn_retrans > MAX_RTX_GROUP ? MAX_RTX_GROUP : (int)c->syn_retrans;
            if (!c->established || grp != k)
                continue;
            double v = ms(c->t_established - c->t_connect);
            if (lat != NULL)
                lat[m] = v;
            m++;
            if (v > g->max_ms[k])
                g->max_ms[k] = v;
        }
        g->count[k] = m;
        g->median_ms[k] = lat != NULL ? bl_text_median(lat, m) : 0;
    }
    for (int i = 0; i < r->nclients; i++)
        g->never += !r->clients[i].established;
    free(lat);
}

/* Writers: how long the server took to read bytes written at once. */
struct writer_stats {
    int writers, read, queued, queued_read, retrans;
    double queued_wait_median_ms;   /* write -> read, writers in the queue */
    int rescued;                    /* connected outside the queue, accepted
                                       after retransmitting their data */
    int rescued_retrans;
    int stranded_silent;            /* connected, never accepted, no data */
    int stranded_writers;           /* connected, wrote, never accepted */
};

static void writer_stats(const struct bl_acceptq_run *r, struct writer_stats *w)
{
    double *wait = malloc((size_t)(r->nclients > 0 ? r->nclients : 1) * sizeof(*wait));

    memset(w, 0, sizeof(*w));
    for (int i = 0; i < r->nclients; i++) {
        const struct bl_client *c = &r->clients[i];
        if (!c->writer)
            continue;
        w->writers++;
        w->read += c->data_read;
        if (!c->queued_at_settle) {
            w->rescued += c->accepted && c->data_retrans > 0;
            w->rescued_retrans += c->accepted ? (int)c->data_retrans : 0;
            continue;
        }
        w->retrans += (int)c->data_retrans;
        w->queued++;
        if (c->data_read && wait != NULL)
            wait[w->queued_read++] = ms(c->t_data - c->t_established);
    }
    for (int i = 0; i < r->nclients; i++) {
        const struct bl_client *c = &r->clients[i];
        if (c->established && !c->accepted) {
            w->stranded_writers += c->writer;
            w->stranded_silent += !c->writer;
        }
    }
    w->queued_wait_median_ms = wait != NULL ? bl_text_median(wait, w->queued_read) : 0;
    free(wait);
}

static void print_counter_cell(FILE *f, int64_t v)
{
    if (v < 0)
        fprintf(f, " %15s", "n/a");
    else
        fprintf(f, " %15lld", (long long)v);
}

static void print_settle_table(FILE *f, const struct bl_acceptq_run *runs, int n)
{
    fprintf(f, "At the end of the settle time, before any accept() "
               "(client view, server view, kernel counters):\n");
    fprintf(f, "%8s %6s %6s %9s %7s %11s %8s %8s %15s %15s\n", "backlog", "limit",
            "queue", "TCP_INFO", "clients", "established", "SYN-SENT", "SYN-RECV",
            "ListenOverflows", "ListenDrops");
    for (int i = 0; i < n; i++) {
        const struct bl_acceptq_run *r = &runs[i];
        char info[24];
        snprintf(info, sizeof(info), "%u/%u", r->info_len, r->info_limit);
        fprintf(f, "%8d %6u %6u %9s %7d %11d %8d %8d", r->backlog, r->diag_limit,
                r->diag_len, info, r->nclients, r->cl_established, r->cl_syn_sent,
                r->srv_syn_recv);
        print_counter_cell(f, r->settle_delta[0]);
        print_counter_cell(f, r->settle_delta[1]);
        fputc('\n', f);
    }
}

static void format_group(char *buf, size_t size, int count, double median_ms)
{
    if (count == 0)
        snprintf(buf, size, "-");
    else if (median_ms < 1000)
        snprintf(buf, size, "%d @%.0fms", count, median_ms);
    else
        snprintf(buf, size, "%d @%.2fs", count, median_ms / 1000);
}

static void print_accept_table(FILE *f, const struct bl_acceptq_run *runs, int n)
{
    fprintf(f, "\nThen the lab accepted. Connects grouped by the SYN retransmissions "
               "they needed (count @median connect time);\nstranded = connected in "
               "the client's view but never accepted:\n");
    fprintf(f, "%8s %8s %13s %13s %13s %13s %6s %9s %12s\n", "backlog", "accepted",
            "0 SYN rtx", "1 SYN rtx", "2 SYN rtx", "3+ SYN rtx", "never", "stranded",
            "writers read");
    for (int i = 0; i < n; i++) {
        const struct bl_acceptq_run *r = &runs[i];
        struct rtx_groups g;
        struct writer_stats w;
        char cell[MAX_RTX_GROUP + 1][32], wr[32];
        group_latencies(r, &g);
        writer_stats(r, &w);
        for (int k = 0; k <= MAX_RTX_GROUP; k++)
            format_group(cell[k], sizeof(cell[k]), g.count[k], g.median_ms[k]);
        snprintf(wr, sizeof(wr), "%d/%d", w.read, w.writers);
        fprintf(f, "%8d %8d %13s %13s %13s %13s %6d %9d %12s\n", r->backlog,
                r->accepted, cell[0], cell[1], cell[2], cell[3], g.never,
                w.stranded_silent + w.stranded_writers, wr);
    }
}

static void print_other_counters(FILE *f, const struct bl_acceptq_run *runs, int n)
{
    bool header = false;

    for (int i = 0; i < n; i++) {
        for (int k = 2; k < BL_NCOUNTERS; k++) {
            if (runs[i].end_delta[k] <= 0)
                continue;
            if (!header)
                fprintf(f, "\nOther TcpExt counters that moved during a run (%s):\n",
                        runs[i].private_ns ? "the run's own namespace" : "host-wide");
            header = true;
            fprintf(f, "  backlog %d: %s +%lld\n", runs[i].backlog,
                    bl_netstat_listen_counters[k], (long long)runs[i].end_delta[k]);
        }
    }
}

static void print_clients(FILE *f, const struct bl_acceptq_run *r)
{
    fprintf(f, "\nbacklog %d, every client (times in ms since the run began):\n", r->backlog);
    fprintf(f, "%6s %6s %6s %12s %9s %10s %10s %7s %9s %9s\n", "client", "port", "writer",
            "at settle", "queued", "connect", "connected", "SYN rtx", "accepted", "data read");
    for (int i = 0; i < r->nclients; i++) {
        const struct bl_client *c = &r->clients[i];
        fprintf(f, "%6d %6u %6s %12s %9s %10.1f", i, c->port, c->writer ? "yes" : "no",
                c->connect_failed && c->t_failed <= r->settle_ns
                    ? "failed" : bl_sockdiag_state_name(c->state_at_settle),
                c->queued_at_settle ? "yes" : c->synrecv_at_settle ? "SYN-RECV" : "no",
                ms(c->t_connect));
        if (c->established)
            fprintf(f, " %10.1f %7u", ms(c->t_established), c->syn_retrans);
        else if (c->connect_failed)
            fprintf(f, " %s @%.1f", errno_name(c->err), ms(c->t_failed));
        else
            fprintf(f, " %10s %7s", "-", "-");
        if (c->accepted)
            fprintf(f, " %9.1f", ms(c->t_accepted));
        else
            fprintf(f, " %9s", "-");
        if (c->data_read)
            fprintf(f, " %9.1f\n", ms(c->t_data));
        else
            fprintf(f, " %9s\n", "-");
    }
}

/* The sentences about the limit, from the inferred rule. */
static void explain_rule(const struct bl_acceptq_run *runs, int n, struct bl_text *t)
{
    struct bl_acceptq_rule rule;

    bl_report_acceptq_rule(runs, n, &rule);
    if (rule.saturated == 0) {
        bl_text_add(t, "No run had more clients than its queue took, so these runs say "
                       "nothing about the limit: try more --clients.");
        return;
    }
    if (rule.extra_same)
        bl_text_add(t, "Measured rule: in all %d run%s where more clients came than fit, "
                       "the accept queue held exactly limit %s %ld connection%s, where limit "
                       "is what the kernel reports for the listener (idiag_wqueue, "
                       "tcpi_sacked).", rule.saturated, rule.saturated == 1 ? "" : "s",
                    rule.extra < 0 ? "-" : "+", labs(rule.extra),
                    labs(rule.extra) == 1 ? "" : "s");
    else
        bl_text_add(t, "The queue's length at saturation was not a fixed offset from its "
                       "limit in these runs; see the table.");
    if (rule.limit_is_backlog > 0 && rule.limit_is_somaxconn > 0 && rule.limit_other == 0)
        bl_text_add(t, "That limit was the backlog passed to listen() in %d run%s, and "
                       "net.core.somaxconn (%ld) in the %d run%s whose backlog was larger: "
                       "effective queue = min(backlog, somaxconn) %s %ld.",
                    rule.limit_is_backlog, rule.limit_is_backlog == 1 ? "" : "s",
                    rule.somaxconn, rule.limit_is_somaxconn,
                    rule.limit_is_somaxconn == 1 ? "" : "s", rule.extra < 0 ? "-" : "+",
                    labs(rule.extra));
    else if (rule.limit_is_backlog > 0 && rule.limit_is_somaxconn == 0 && rule.limit_other == 0)
        bl_text_add(t, "That limit was the backlog passed to listen() in every such run "
                       "(no run went above net.core.somaxconn = %ld, so the cap was not "
                       "tested).", rule.somaxconn);
    else if (rule.limit_is_somaxconn > 0 && rule.limit_is_backlog == 0 && rule.limit_other == 0)
        bl_text_add(t, "That limit was net.core.somaxconn (%ld) in every such run: each "
                       "backlog was above it.", rule.somaxconn);
    else
        bl_text_add(t, "The limit was neither the backlog nor somaxconn in %d run%s.",
                    rule.limit_other, rule.limit_other == 1 ? "" : "s");
}

/* One sentence per errno the failed connects ended with: how many, and
 * when (first and last, since the run began). */
static void explain_failures(const struct bl_acceptq_run *r, struct bl_text *t)
{
    for (int i = 0; i < r->nclients; i++) {
        const struct bl_client *c = &r->clients[i];
        int n = 0, seen_before = 0;
        uint64_t first = UINT64_MAX, last = 0;
        if (!c->connect_failed)
            continue;
        for (int k = 0; k < i; k++)
            seen_before += r->clients[k].connect_failed && r->clients[k].err == c->err;
        if (seen_before > 0)
            continue;
        for (int k = i; k < r->nclients; k++) {
            const struct bl_client *d = &r->clients[k];
            if (!d->connect_failed || d->err != c->err)
                continue;
            n++;
            first = d->t_failed < first ? d->t_failed : first;
            last = d->t_failed > last ? d->t_failed : last;
        }
        if (n == 1)
            bl_text_add(t, "backlog %d: 1 connect failed with %s (%s) %.1f s into the run%s.",
                        r->backlog, errno_name(c->err), strerror(c->err), ms(first) / 1000,
                        c->failed_at_call ? ", in connect() itself" : "");
        else
            bl_text_add(t, "backlog %d: %d connects failed with %s (%s), from %.1f s to "
                           "%.1f s into the run%s.", r->backlog, n, errno_name(c->err),
                        strerror(c->err), ms(first) / 1000, ms(last) / 1000,
                        c->failed_at_call ? ", in connect() itself" : "");
    }
}

/* Sentences about one run's full queue and its clients. */
static void explain_run(const struct bl_acceptq_run *r, struct bl_text *t)
{
    struct rtx_groups g;
    int phantom = r->cl_established - (int)r->diag_len;

    group_latencies(r, &g);
    bl_text_add(t, "backlog %d: %d of %d clients were connected in their own view and %u "
                   "waited in the queue (inet_diag %u/%u, TCP_INFO %u/%u agree%s); %d "
                   "were still in SYN-SENT, %d server sockets in SYN-RECV.",
                r->backlog, r->cl_established, r->nclients, r->diag_len, r->diag_len,
                r->diag_limit, r->info_len, r->info_limit,
                r->diag_len == r->info_len && r->diag_limit == r->info_limit ? "" : " NOT",
                r->cl_syn_sent, r->srv_syn_recv);
    if (phantom > 0)
        bl_text_add(t, "backlog %d: %d client%s finished the handshake on their side but "
                       "are not in the queue: their final ACK arrived when it was full and "
                       "was dropped.", r->backlog, phantom, phantom == 1 ? "" : "s");
    if (r->cl_syn_sent > 0 && r->settle_delta[0] >= 0)
        bl_text_add(t, "backlog %d: the SYNs of the %d left out were dropped, not refused "
                       "(no RST): ListenOverflows rose by %lld and ListenDrops by %lld "
                       "during the settle time (%s).", r->backlog, r->cl_syn_sent,
                    (long long)r->settle_delta[0], (long long)r->settle_delta[1],
                    r->private_ns ? "the counters of the run's own network namespace: "
                                    "exactly this run's drops"
                                  : "host-wide counters, so at least that many");
    for (int k = 1; k <= MAX_RTX_GROUP; k++)
        if (g.count[k] > 0)
            bl_text_add(t, "backlog %d: %d client%s got in only after %s%d SYN "
                           "retransmission%s (median connect time %.2f s).",
                        r->backlog, g.count[k], g.count[k] == 1 ? "" : "s",
                        k == MAX_RTX_GROUP ? "at least " : "", k, k == 1 ? "" : "s",
                        g.median_ms[k] / 1000);
    if (g.never > 0)
        bl_text_add(t, "backlog %d: %d client%s never connected within the accept window.",
                    r->backlog, g.never, g.never == 1 ? "" : "s");
    explain_failures(r, t);
}

/* Sentences about clients that connected outside the queue. */
static void explain_stranded(const struct bl_acceptq_run *r, const struct writer_stats *w,
                             struct bl_text *t)
{
    int stranded = w->stranded_silent + w->stranded_writers;

    if (stranded > 0)
        bl_text_add(t, "backlog %d: %d client%s (%d silent, %d writer%s) finished the "
                       "handshake in their own view but were never accepted within the "
                       "window: their final ACK met a full accept queue and was dropped.",
                    r->backlog, stranded, stranded == 1 ? "" : "s", w->stranded_silent,
                    w->stranded_writers, w->stranded_writers == 1 ? "" : "s");
    if (stranded > 0 && r->end_delta[3] > 0)
        bl_text_add(t, "backlog %d: TCPReqQFullDoCookies rose by %lld and SyncookiesSent by "
                       "%lld during the run: retransmitted SYNs arrived together, overflowed "
                       "the SYN queue (see backlog-lab syn-queue) and were answered "
                       "with syncookies, which leave no request socket behind, so no SYN-ACK "
                       "is ever retransmitted for a dropped ACK; a client that waits for the "
                       "server to speak first hangs.", r->backlog,
                    (long long)r->end_delta[3], (long long)r->end_delta[4]);
    if (w->rescued > 0)
        bl_text_add(t, "backlog %d: %d writer%s that connected outside the queue got in "
                       "anyway: the retransmissions of their data (%d in all) carried the ACK "
                       "again until the queue had room.", r->backlog, w->rescued,
                    w->rescued == 1 ? "" : "s", w->rescued_retrans);
}

static void explain_writers(const struct bl_acceptq_run *runs, int n, struct bl_text *t)
{
    for (int i = 0; i < n; i++) {
        struct writer_stats w;
        writer_stats(&runs[i], &w);
        explain_stranded(&runs[i], &w, t);
        if (w.queued_read == 0)
            continue;
        bl_text_add(t, "backlog %d: %d writer%s in the queue sent %d bytes at once; the "
                       "kernel kept them with the unaccepted connection and the server read "
                       "them %.0f ms later (median), right after accept(), with %d "
                       "retransmission%s of data.", runs[i].backlog, w.queued,
                    w.queued == 1 ? "" : "s", BL_HELLO_LEN, w.queued_wait_median_ms,
                    w.retrans, w.retrans == 1 ? "" : "s");
    }
}

void bl_report_acceptq_explain(const struct bl_acceptq_run *runs, int n, struct bl_text *t)
{
    explain_rule(runs, n, t);
    for (int i = 0; i < n; i++)
        explain_run(&runs[i], t);
    explain_writers(runs, n, t);
}

static void json_client(struct json *j, const struct bl_client *c, uint64_t settle_ns)
{
    json_object(j, NULL);
    json_int(j, "port", c->port);
    json_bool(j, "writer", c->writer);
    json_string(j, "state_at_settle", c->connect_failed && c->t_failed <= settle_ns
                                         ? "failed"
                                         : bl_sockdiag_state_name(c->state_at_settle));
    json_bool(j, "queued_at_settle", c->queued_at_settle);
    json_bool(j, "syn_recv_at_settle", c->synrecv_at_settle);
    json_double(j, "connect_ms", ms(c->t_connect));
    if (c->connect_failed) {
        json_string(j, "connect_errno", errno_name(c->err));
        json_double(j, "failed_ms", ms(c->t_failed));
        json_bool(j, "failed_in_connect_call", c->failed_at_call);
    }
    if (c->established) {
        json_double(j, "connected_ms", ms(c->t_established));
        json_int(j, "syn_retransmissions", c->syn_retrans);
    }
    if (c->accepted)
        json_double(j, "accepted_ms", ms(c->t_accepted));
    if (c->data_read) {
        json_double(j, "data_read_ms", ms(c->t_data));
        json_int(j, "data_retransmissions", c->data_retrans);
    }
    json_end_object(j);
}

static void json_run(struct json *j, const struct bl_acceptq_run *r)
{
    struct rtx_groups g;

    group_latencies(r, &g);
    json_object(j, NULL);
    json_int(j, "backlog", r->backlog);
    json_int(j, "clients", r->nclients);
    json_object(j, "settle");
    json_double(j, "at_ms", ms(r->settle_ns));
    json_int(j, "queue_length", r->diag_len);
    json_int(j, "queue_limit", r->diag_limit);
    json_int(j, "tcp_info_queue_length", r->info_len);
    json_int(j, "tcp_info_queue_limit", r->info_limit);
    json_int(j, "clients_established", r->cl_established);
    json_int(j, "clients_syn_sent", r->cl_syn_sent);
    json_int(j, "clients_failed", r->cl_failed);
    json_int(j, "server_established", r->srv_established);
    json_int(j, "server_syn_recv", r->srv_syn_recv);
    bl_json_listen_deltas(j, "counter_deltas", r->settle_delta);
    json_end_object(j);
    json_object(j, "accept");
    json_double(j, "took_ms", ms(r->accept_ns));
    json_int(j, "accepted", r->accepted);
    json_int(j, "never_connected", g.never);
    json_array(j, "by_syn_retransmissions");
    for (int k = 0; k <= MAX_RTX_GROUP; k++) {
        json_object(j, NULL);
        json_int(j, "syn_retransmissions", k);
        json_bool(j, "or_more", k == MAX_RTX_GROUP);
        json_int(j, "clients", g.count[k]);
        json_double(j, "median_connect_ms", g.median_ms[k]);
        json_double(j, "max_connect_ms", g.max_ms[k]);
        json_end_object(j);
    }
    json_end_array(j);
    bl_json_listen_deltas(j, "counter_deltas", r->end_delta);
    json_end_object(j);
    json_array(j, "per_client");
    for (int i = 0; i < r->nclients; i++)
        json_client(j, &r->clients[i], r->settle_ns);
    json_end_array(j);
    json_end_object(j);
}

static void json_report(FILE *f, const struct bl_acceptq_run *runs, int n,
                        const struct bl_text *t)
{
    struct json j;
    struct bl_acceptq_rule rule;

    bl_report_acceptq_rule(runs, n, &rule);
    bl_report_json_begin(&j, f, "accept-queue");
    json_int(&j, "somaxconn", n > 0 ? runs[0].somaxconn : 0);
    json_bool(&j, "private_namespace", n > 0 && runs[0].private_ns);
    json_array(&j, "runs");
    for (int i = 0; i < n; i++)
        json_run(&j, &runs[i]);
    json_end_array(&j);
    json_object(&j, "rule");
    json_int(&j, "saturated_runs", rule.saturated);
    if (rule.extra_same)
        json_int(&j, "queue_minus_limit", rule.extra);
    else
        json_null(&j, "queue_minus_limit");
    json_int(&j, "limit_is_backlog", rule.limit_is_backlog);
    json_int(&j, "limit_is_somaxconn", rule.limit_is_somaxconn);
    json_int(&j, "limit_other", rule.limit_other);
    json_end_object(&j);
    bl_report_json_end(&j, t);
}

void bl_report_acceptq(FILE *f, const struct bl_acceptq_run *runs, int n,
                       const struct bl_opts *o)
{
    struct bl_text t;

    bl_text_init(&t);
    bl_report_acceptq_explain(runs, n, &t);
    if (o->json) {
        json_report(f, runs, n, &t);
    } else {
        print_settle_table(f, runs, n);
        print_accept_table(f, runs, n);
        print_other_counters(f, runs, n);
        for (int i = 0; o->per_client && i < n; i++)
            print_clients(f, &runs[i]);
        bl_report_text_end(f, &t);
    }
    bl_text_free(&t);
    fflush(f);
}
