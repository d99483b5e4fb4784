/* bl_report_synq.c - table, timeline, SYN-ACK retransmission times,
 * explanation and JSON for the syn-queue experiment (see bl_report.h).
 * Counter names index bl_netstat_listen_counters. */
#include "bl_report.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bl_netstat.h"

enum { C_OVERFLOWS, C_DROPS, C_REQQ_DROP, C_REQQ_COOKIES, C_COOKIES_SENT,
       C_COOKIES_RECV, C_COOKIES_FAILED, C_SYN_RETRANS };

static const char *ordinal(int k)
{
    static const char *const words[] = { "0th", "1st", "2nd", "3rd", "4th",
                                         "5th", "6th", "7th", "8th" };
    return k >= 0 && k <= BL_SYNQ_MAX_RTX ? words[k] : "nth";
}

static void print_table(FILE *f, const struct bl_synq_phase *ph, int n)
{
    fprintf(f, "Half-open connections per syncookies mode (counters of the server "
               "namespace: nothing else runs there):\n");
    fprintf(f, "%10s %7s %5s %7s %8s %14s %7s %9s %8s %11s %12s %17s %14s %13s\n",
            "syncookies", "backlog", "limit", "clients", "stopped", "SYN-RECV peak",
            "at end", "connected", "SYN-SENT", "ListenDrops", "ReqQFullDrop",
            "ReqQFullDoCookies", "SyncookiesSent", "TCPSynRetrans");
    for (int i = 0; i < n; i++) {
        const struct bl_synq_phase *p = &ph[i];
        char peak[32];
        snprintf(peak, sizeof(peak), "%u @%.2fs", p->syn_recv_peak,
                 (double)p->peak_at_ms / 1000);
        fprintf(f, "%10d %7d %5u %7d %8u %14s %7u %9d %8d %11lld %12lld %17lld %14lld "
                   "%13lld\n", p->syncookies, p->backlog, p->limit, p->nclients,
                p->syn_recv_stop, peak, p->syn_recv_end, p->cl_established, p->cl_syn_sent,
                (long long)p->delta[C_DROPS], (long long)p->delta[C_REQQ_DROP],
                (long long)p->delta[C_REQQ_COOKIES], (long long)p->delta[C_COOKIES_SENT],
                (long long)p->delta[C_SYN_RETRANS]);
    }
}

/* The last sample at or before t_ms; NULL when there is none. */
static const struct bl_synq_sample *sample_at(const struct bl_synq_phase *p, uint32_t t_ms)
{
    const struct bl_synq_sample *best = NULL;

    for (int i = 0; i < p->nsamples && p->samples[i].t_ms <= t_ms; i++)
        best = &p->samples[i];
    return best;
}

/* True while some phase was still starting clients at t_ms. */
static bool ramping(const struct bl_synq_phase *ph, int n, uint32_t t_ms)
{
    for (int i = 0; i < n; i++) {
        const struct bl_synq_sample *s = sample_at(&ph[i], t_ms);
        if (s == NULL || (int)s->started < ph[i].nclients)
            return true;
    }
    return false;
}

/* Rows every 100 ms while clients are being started (the climb), then
 * about a dozen more over the rest of the watch. */
static void print_timeline(FILE *f, const struct bl_synq_phase *ph, int n)
{
    uint32_t end = (uint32_t)(ph[0].watch_ns / 1000000);
    uint32_t slow = end / 12 < 250 ? 250 : (end / 12 + 249) / 250 * 250;
    uint32_t t = 100;

    fprintf(f, "\nOver time (started clients / SYN-RECV sockets / connected clients):\n");
    fprintf(f, "%8s", "t");
    for (int i = 0; i < n; i++)
        fprintf(f, "  %16s%d", "syncookies=", ph[i].syncookies);
    fputc('\n', f);
    for (;;) {
        fprintf(f, "%7.2fs", (double)t / 1000);
        for (int i = 0; i < n; i++) {
            const struct bl_synq_sample *s = sample_at(&ph[i], t);
            char cell[40];
            if (s == NULL)
                snprintf(cell, sizeof(cell), "-");
            else
                snprintf(cell, sizeof(cell), "%u / %u / %u", s->started, s->syn_recv,
                         s->established);
            fprintf(f, "  %17s", cell);
        }
        fputc('\n', f);
        if (t >= end)
            break;
        t += ramping(ph, n, t) ? 100 : slow;
        t = t > end ? end : t;
    }
}

static void print_retransmissions(FILE *f, const struct bl_synq_phase *ph, int n)
{
    int most = 0;

    for (int i = 0; i < n; i++)
        for (int k = 1; k <= BL_SYNQ_MAX_RTX; k++)
            if (ph[i].rtx_count[k] > 0 && k > most)
                most = k;
    if (most == 0)
        return;
    fprintf(f, "\nSYN-ACK retransmissions of the half-open sockets (how many sockets, "
               "median time since the SYN that made each):\n%10s", "syncookies");
    for (int k = 1; k <= most; k++)
        fprintf(f, " %13s", ordinal(k));
    fprintf(f, " %13s\n", "gone");
    for (int i = 0; i < n; i++) {
        char cell[32];
        fprintf(f, "%10d", ph[i].syncookies);
        for (int k = 1; k <= most; k++) {
            if (ph[i].rtx_count[k] == 0)
                snprintf(cell, sizeof(cell), "-");
            else
                snprintf(cell, sizeof(cell), "%d @%.2fs", ph[i].rtx_count[k],
                         ph[i].rtx_median_ms[k] / 1000);
            fprintf(f, " %13s", cell);
        }
        if (ph[i].expired == 0)
            snprintf(cell, sizeof(cell), "-");
        else
            snprintf(cell, sizeof(cell), "%u", ph[i].expired);
        fprintf(f, " %13s\n", cell);
    }
}

/* Where SYN-RECV can stop, from this phase's own sysctls: one past the
 * listener's limit (the queue counts as full once it holds more than
 * sk_max_ack_backlog, which idiag_wqueue reports), and with syncookies 0
 * also one past three quarters of tcp_max_syn_backlog (tcp_conn_request
 * keeps the last quarter for peers it has already talked to).  Which one
 * the run stopped at is measured, not assumed: see explain_stop. */
long bl_report_synq_full_stop(const struct bl_synq_phase *p)
{
    return (long)p->limit + 1;
}

long bl_report_synq_quarter_stop(const struct bl_synq_phase *p)
{
    return p->max_syn_backlog - (p->max_syn_backlog >> 2) + 1;
}

/* Where SYN-RECV stopped, compared with both candidates. */
static void explain_stop(const struct bl_synq_phase *p, struct bl_text *t)
{
    long stop = p->syn_recv_stop;
    long full = bl_report_synq_full_stop(p), quarter = bl_report_synq_quarter_stop(p);
    bool quarter_applies = p->syncookies == 0;

    if ((int)p->syn_recv_stop >= p->nclients) {
        bl_text_add(t, "syncookies=%d: all %d clients got a SYN-RECV socket: the queue "
                       "never filled, so this mode says nothing about its limit.",
                    p->syncookies, p->nclients);
        return;
    }
    if (p->syn_recv_peak == 0) {
        bl_text_add(t, "syncookies=%d: no SYN-RECV socket ever appeared although %d "
                       "clients sent SYNs: the kernel answered every SYN with a syncookie "
                       "and kept no state (SyncookiesSent +%lld).", p->syncookies,
                    p->nclients, (long long)p->delta[C_COOKIES_SENT]);
        return;
    }
    bl_text_add(t, "syncookies=%d: SYN-RECV sockets climbed to %ld and stopped there once "
                   "all %d clients had sent their SYN.", p->syncookies, stop, p->nclients);
    if (stop == full && (!quarter_applies || quarter > full))
        bl_text_add(t, "syncookies=%d: that is the listener's limit plus one: limit %u "
                       "(idiag_wqueue, = min(backlog %d, net.core.somaxconn %ld)), and the "
                       "SYN queue counts as full once it holds more than that%s.",
                    p->syncookies, p->limit, p->backlog, p->somaxconn,
                    quarter_applies ? "" : "; tcp_max_syn_backlog plays no part with "
                                           "syncookies on");
    else if (quarter_applies && stop == quarter && quarter < full)
        bl_text_add(t, "syncookies=%d: that is not the listener's limit (%u, so %ld would "
                       "fit): it is net.ipv4.tcp_max_syn_backlog (%ld in the namespace) "
                       "minus its quarter (%ld), plus one. With syncookies off the kernel "
                       "keeps the last quarter of tcp_max_syn_backlog for peers it has "
                       "talked to before, and drops SYNs from new ones beyond that.",
                    p->syncookies, p->limit, full, p->max_syn_backlog,
                    p->max_syn_backlog >> 2);
    else if (quarter_applies && stop == quarter)
        bl_text_add(t, "syncookies=%d: two limits agree there: the listener's limit %u "
                       "plus one, and tcp_max_syn_backlog %ld minus its quarter plus one; "
                       "change one of them (--backlog, --max-syn-backlog) to see which "
                       "binds.", p->syncookies, p->limit, p->max_syn_backlog);
    else
        bl_text_add(t, "syncookies=%d: that is neither the listener's limit plus one (%ld) "
                       "nor, with syncookies off, three quarters of tcp_max_syn_backlog "
                       "plus one (%ld, from %ld): this run does not fit either rule.",
                    p->syncookies, full, quarter, p->max_syn_backlog);
    if (p->syn_recv_peak > p->syn_recv_stop)
        bl_text_add(t, "syncookies=%d: one sample saw %u (%.2f s in), for a moment while an "
                       "old half-open socket was being replaced by a new one.", p->syncookies,
                    p->syn_recv_peak, (double)p->peak_at_ms / 1000);
}

/* What happened to the SYNs beyond that point, and what clients saw. */
static void explain_beyond(const struct bl_synq_phase *p, struct bl_text *t)
{
    long other = p->delta[C_DROPS] - p->delta[C_REQQ_DROP] - p->delta[C_OVERFLOWS];

    if (p->syn_recv_peak == 0 || (int)p->syn_recv_stop >= p->nclients)
        return;
    if (p->delta[C_REQQ_DROP] > 0)
        bl_text_add(t, "syncookies=%d: SYNs that met the full queue were dropped "
                       "(TCPReqQFullDrop +%lld).", p->syncookies,
                    (long long)p->delta[C_REQQ_DROP]);
    if (p->delta[C_DROPS] >= 0 && other > 0)
        bl_text_add(t, "syncookies=%d: %lld SYN%s were dropped with no counter of their own: "
                       "ListenDrops rose by %lld, TCPReqQFullDrop by %lld and "
                       "ListenOverflows by %lld.", p->syncookies, (long long)other,
                    other == 1 ? "" : "s", (long long)p->delta[C_DROPS],
                    (long long)p->delta[C_REQQ_DROP], (long long)p->delta[C_OVERFLOWS]);
    if (p->cl_syn_sent > 0)
        bl_text_add(t, "syncookies=%d: %d client%s stayed in SYN-SENT to the end, "
                       "retransmitting their SYN (up to %u times), and %d connected in their "
                       "own view.", p->syncookies, p->cl_syn_sent,
                    p->cl_syn_sent == 1 ? "" : "s", p->cl_syn_retrans, p->cl_established);
    if (p->delta[C_REQQ_COOKIES] > 0)
        bl_text_add(t, "syncookies=%d: later SYNs were answered with syncookies "
                       "(TCPReqQFullDoCookies +%lld, SyncookiesSent +%lld) and left no "
                       "socket behind: %d of %d clients connected in their own view, the "
                       "server holds state for %u.", p->syncookies,
                    (long long)p->delta[C_REQQ_COOKIES], (long long)p->delta[C_COOKIES_SENT],
                    p->cl_established, p->nclients, p->syn_recv_end);
}

/* One sentence per group of request sockets that vanished after the same
 * number of SYN-ACK retransmissions, and whether that was fewer than
 * tcp_synack_retries. */
static void explain_expired(const struct bl_synq_phase *p, struct bl_text *t)
{
    int early = 0;

    for (int k = 0; k <= BL_SYNQ_MAX_RTX; k++) {
        if (p->expired_count[k] == 0)
            continue;
        bl_text_add(t, "syncookies=%d: %d half-open socket%s vanished after %d SYN-ACK "
                       "retransmission%s, %.1f s after the SYN that made %s (median); %s "
                       "client%s still believe%s %s connected.", p->syncookies,
                    p->expired_count[k], p->expired_count[k] == 1 ? "" : "s", k,
                    k == 1 ? "" : "s", p->expired_median_ms[k] / 1000,
                    p->expired_count[k] == 1 ? "it" : "each",
                    p->expired_count[k] == 1 ? "its" : "their",
                    p->expired_count[k] == 1 ? "" : "s", p->expired_count[k] == 1 ? "s" : "",
                    p->expired_count[k] == 1 ? "it is" : "they are");
        if (k < p->synack_retries)
            early += p->expired_count[k];
    }
    if (early == 0)
        return;
    long room = (long)p->limit > 8 ? (long)p->limit : 8;
    bl_text_add(t, "syncookies=%d: %d of them gave up after fewer retransmissions than "
                   "tcp_synack_retries (%ld)%s", p->syncookies, early, p->synack_retries,
                2L * p->syn_recv_peak > room
                    ? ": the queue held more than half of max(8, limit) in half-open "
                      "sockets, and then the kernel gives up on old ones sooner."
                    : ".");
    if (p->late_admitted > 0)
        bl_text_add(t, "syncookies=%d: %d client%s whose first SYN had been dropped got a "
                       "half-open socket later, from a retransmitted SYN.", p->syncookies,
                    p->late_admitted, p->late_admitted == 1 ? "" : "s");
}

static void explain_timers(const struct bl_synq_phase *p, struct bl_text *t)
{
    char steps[256] = "";
    size_t used = 0;

    for (int k = 1; k <= BL_SYNQ_MAX_RTX && p->rtx_count[k] > 0; k++) {
        int w = snprintf(steps + used, sizeof(steps) - used, "%s%s by %d after %.1f s",
                         k > 1 ? ", " : "", ordinal(k), p->rtx_count[k],
                         p->rtx_median_ms[k] / 1000);
        if (w < 0 || (size_t)w >= sizeof(steps) - used)
            break;
        used += (size_t)w;
    }
    if (used == 0)
        return;
    bl_text_add(t, "syncookies=%d: the server retransmitted each unanswered SYN-ACK "
                   "(sockets, median times since the SYN that made each: %s; "
                   "TCPSynRetrans +%lld); net.ipv4.tcp_synack_retries is %ld in the "
                   "namespace.", p->syncookies, steps, (long long)p->delta[C_SYN_RETRANS],
                p->synack_retries);
    if (p->expired > 0)
        explain_expired(p, t);
    else
        bl_text_add(t, "syncookies=%d: no half-open socket had given up by the end of the "
                       "%.1f s watch (--long watches until they do).", p->syncookies,
                    (double)p->watch_ns / 1e9);
}

void bl_report_synq_explain(const struct bl_synq_phase *ph, int n, struct bl_text *t)
{
    for (int i = 0; i < n; i++) {
        explain_stop(&ph[i], t);
        explain_beyond(&ph[i], t);
        explain_timers(&ph[i], t);
    }
    for (int i = 0; i < n; i++)
        if (ph[i].syn_recv_peak > 0) {
            bl_text_add(t, "Every SYN-RECV socket belonged to a client that was ESTABLISHED "
                           "in its own view: the client's final ACK was dropped on its way "
                           "(the nft rule), which is what a lost ACK or a SYN flood from "
                           "spoofed addresses looks like to the server.");
            break;
        }
}

static void json_phase(struct json *j, const struct bl_synq_phase *p)
{
    json_object(j, NULL);
    json_int(j, "syncookies", p->syncookies);
    json_int(j, "backlog", p->backlog);
    json_int(j, "limit", p->limit);
    json_int(j, "clients", p->nclients);
    json_int(j, "tcp_synack_retries", p->synack_retries);
    json_int(j, "tcp_max_syn_backlog", p->max_syn_backlog);
    json_int(j, "somaxconn", p->somaxconn);
    json_int(j, "stop_if_queue_full", bl_report_synq_full_stop(p));
    if (p->syncookies == 0)
        json_int(j, "stop_if_max_syn_backlog_quarter", bl_report_synq_quarter_stop(p));
    json_double(j, "watch_ms", (double)p->watch_ns / 1e6);
    json_int(j, "syn_recv_stopped_at", p->syn_recv_stop);
    json_int(j, "syn_recv_peak", p->syn_recv_peak);
    json_int(j, "syn_recv_peak_at_ms", p->peak_at_ms);
    json_int(j, "syn_recv_end", p->syn_recv_end);
    json_int(j, "clients_established", p->cl_established);
    json_int(j, "clients_syn_sent", p->cl_syn_sent);
    bl_json_listen_deltas(j, "counter_deltas", p->delta);
    json_array(j, "synack_retransmissions");
    for (int k = 1; k <= BL_SYNQ_MAX_RTX && p->rtx_count[k] > 0; k++) {
        json_object(j, NULL);
        json_int(j, "n", k);
        json_int(j, "sockets", p->rtx_count[k]);
        json_double(j, "median_ms_since_syn", p->rtx_median_ms[k]);
        json_end_object(j);
    }
    json_end_array(j);
    json_int(j, "expired", p->expired);
    json_array(j, "expired_by_synack_retransmissions");
    for (int k = 0; k <= BL_SYNQ_MAX_RTX; k++) {
        if (p->expired_count[k] == 0)
            continue;
        json_object(j, NULL);
        json_int(j, "retransmissions", k);
        json_int(j, "sockets", p->expired_count[k]);
        json_double(j, "median_ms_since_syn", p->expired_median_ms[k]);
        json_end_object(j);
    }
    json_end_array(j);
    json_int(j, "late_admitted", p->late_admitted);
    json_array(j, "samples");
    for (int i = 0; i < p->nsamples; i++) {
        const struct bl_synq_sample *s = &p->samples[i];
        json_object(j, NULL);
        json_int(j, "t_ms", s->t_ms);
        json_int(j, "started", s->started);
        json_int(j, "syn_recv", s->syn_recv);
        json_int(j, "established", s->established);
        json_int(j, "max_retrans", s->max_retrans);
        json_end_object(j);
    }
    json_end_array(j);
    json_end_object(j);
}

void bl_report_synq(FILE *f, const struct bl_synq_phase *ph, int n, const struct bl_opts *o)
{
    struct bl_text t;

    bl_text_init(&t);
    bl_report_synq_explain(ph, n, &t);
    if (o->json) {
        struct json j;
        bl_report_json_begin(&j, f, "syn-queue");
        json_array(&j, "phases");
        for (int i = 0; i < n; i++)
            json_phase(&j, &ph[i]);
        json_end_array(&j);
        bl_report_json_end(&j, &t);
    } else {
        print_table(f, ph, n);
        print_timeline(f, ph, n);
        print_retransmissions(f, ph, n);
        bl_report_text_end(f, &t);
    }
    bl_text_free(&t);
    fflush(f);
}
