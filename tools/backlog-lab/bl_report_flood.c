/* bl_report_flood.c - the report of syn-flood: a table per syncookies
 * mode (the spoofed SYNs, the SYN queue, the legitimate client, the
 * counters), the SYN-RECV timeline, the explanation built from them, or
 * JSON. */
#include <inttypes.h>
#include <string.h>

#include "bl_report.h"
#include "json.h"

#define C(p, k) ((p)->delta[BL_FL_##k])

/* What the spoofed SYNs did to the SYN queue. */
static void explain_queue(const struct bl_flood_phase *p, struct bl_text *t)
{
    double secs = (double)p->duration_ns / 1e9;

    if (p->syn_recv_peak == 0)
        bl_text_add(t, "syncookies=%d: %" PRIu64 " spoofed SYNs in %.1f s, and no SYN-RECV "
                       "socket ever appeared: no SYN made a request socket.", p->syncookies,
                    p->syns_sent, secs);
    else if (p->syn_recv_flood_end == p->syn_recv_peak)
        bl_text_add(t, "syncookies=%d: %" PRIu64 " spoofed SYNs in %.1f s; SYN-RECV rose to "
                       "%u (the listener's limit is %u) by %.1f s and stayed there until the "
                       "flood ended: the SYN queue was full.", p->syncookies, p->syns_sent,
                    secs, p->syn_recv_peak, p->limit, (double)p->peak_at_ms / 1000);
    else
        bl_text_add(t, "syncookies=%d: %" PRIu64 " spoofed SYNs in %.1f s; SYN-RECV peaked at "
                       "%u (the listener's limit is %u) at %.1f s and was down to %u when the "
                       "flood ended.", p->syncookies, p->syns_sent, secs, p->syn_recv_peak,
                    p->limit, (double)p->peak_at_ms / 1000, p->syn_recv_flood_end);
    if (C(p, CSUM_ERRORS) > 0)
        bl_text_add(t, "syncookies=%d: the server counted %" PRId64 " TCP checksum errors "
                       "(InCsumErrors): that many SYNs were refused as corrupt.",
                    p->syncookies, C(p, CSUM_ERRORS));
    if (p->syns_nobufs > 0)
        bl_text_add(t, "syncookies=%d: %" PRIu64 " more SYNs were due but the raw socket "
                       "refused them (ENOBUFS or EAGAIN): the flood was slower than "
                       "--rate.",
                    p->syncookies, p->syns_nobufs);
}

/* SYNs dropped, and cookies sent instead. */
static void explain_drops(const struct bl_flood_phase *p, struct bl_text *t)
{
    int64_t drops = C(p, LISTEN_DROPS), full = C(p, REQQ_DROP), sent = C(p, COOKIES_SENT);

    int64_t unplaced = (int64_t)p->syns_sent - p->syn_recv_peak; /* spoofed, no room */

    if (full > 0 && full > unplaced)
        bl_text_add(t, "syncookies=%d: the server dropped %" PRId64 " SYNs because the SYN "
                       "queue was full (TCPReqQFullDrop +%" PRId64 ", ListenDrops +%" PRId64
                       ") and sent no cookie for them: %" PRId64 " more than the spoofed "
                       "SYNs that found no room, so at least that many were the legitimate "
                       "client's.", p->syncookies, full, full, drops, full - unplaced);
    else if (full > 0)
        bl_text_add(t, "syncookies=%d: the server dropped %" PRId64 " SYNs because the SYN "
                       "queue was full (TCPReqQFullDrop +%" PRId64 ", ListenDrops +%" PRId64
                       ") and sent no cookie for them.", p->syncookies, full, full, drops);
    if (drops > 0 && full >= 0 && drops > full)
        bl_text_add(t, "syncookies=%d: ListenDrops +%" PRId64 " counts %" PRId64 " drops "
                       "more than TCPReqQFullDrop: SYNs or ACKs dropped for another reason.",
                    p->syncookies, drops, drops - full);
    if (sent <= 0) {
        if (p->syncookies != 0 && sent == 0)
            bl_text_add(t, "syncookies=%d: no cookie was sent (SyncookiesSent +0).",
                        p->syncookies);
        return;
    }
    if (p->syn_recv_peak == 0 && sent >= (int64_t)p->syns_sent + p->tries)
        bl_text_add(t, "syncookies=%d: every SYN was answered with a cookie: SyncookiesSent "
                       "+%" PRId64 " covers the %" PRIu64 " spoofed SYNs and the client's %d "
                       "connects, and not one request socket was made.", p->syncookies,
                    sent, p->syns_sent, p->tries);
    else if (p->syn_recv_peak > 0 && sent == C(p, REQQ_COOKIES))
        bl_text_add(t, "syncookies=%d: once the SYN queue was full the server answered SYNs "
                       "with a cookie instead of a request socket: SyncookiesSent +%" PRId64
                       ", each one counted by TCPReqQFullDoCookies (a SYN that found the "
                       "queue full), and SYN-RECV never went above %u.", p->syncookies,
                    sent, p->syn_recv_peak);
    else
        bl_text_add(t, "syncookies=%d: SyncookiesSent +%" PRId64 " (TCPReqQFullDoCookies +%"
                       PRId64 ") for %" PRIu64 " spoofed SYNs and %d connects.",
                    p->syncookies, sent, C(p, REQQ_COOKIES), p->syns_sent, p->tries);
}

/* Cookies that came back. */
static void explain_cookies_back(const struct bl_flood_phase *p, struct bl_text *t)
{
    int64_t recv = C(p, COOKIES_RECV), failed = C(p, COOKIES_FAILED);

    if (recv > 0 && recv <= p->connected)
        bl_text_add(t, "syncookies=%d: SyncookiesRecv +%" PRId64 ": %" PRId64 " of the "
                       "client's %d completed connects came back with a valid cookie and "
                       "became connections without a request socket.", p->syncookies, recv,
                    recv, p->connected);
    else if (recv > p->connected)
        bl_text_add(t, "syncookies=%d: SyncookiesRecv +%" PRId64 ", more than the %d connects "
                       "the client completed.", p->syncookies, recv, p->connected);
    if (failed > 0)
        bl_text_add(t, "syncookies=%d: SyncookiesFailed +%" PRId64 ": that many ACKs carried "
                       "a cookie that did not check out.", p->syncookies, failed);
}

/* How the connects that timed out had fared, for the client's sentence. */
static void timeout_phrase(const struct bl_flood_phase *p, char *buf, size_t len)
{
    if (p->timed_out_syn_sent == p->timed_out && p->timed_out_syns_min == p->timed_out_syns_max)
        snprintf(buf, len, ", each still in SYN-SENT with its SYN sent %u times and never "
                 "answered", p->timed_out_syns_min);
    else if (p->timed_out_syn_sent == p->timed_out)
        snprintf(buf, len, ", each still in SYN-SENT with its SYN sent %u to %u times and "
                 "never answered", p->timed_out_syns_min, p->timed_out_syns_max);
    else
        snprintf(buf, len, ", %d of them still in SYN-SENT", p->timed_out_syn_sent);
}

/* Which connects completed when some did not, and whether the server's
 * accepted connections were all the client's. */
static void explain_who(const struct bl_flood_phase *p, struct bl_text *t)
{
    if (p->connected > 0 && p->connected < p->tries && p->last_ok_start_ms < p->peak_at_ms)
        bl_text_add(t, "syncookies=%d: the connects that completed had all started by %.2f "
                       "s, before the sample that first saw SYN-RECV at its peak (%.1f s).",
                    p->syncookies, (double)p->last_ok_start_ms / 1000,
                    (double)p->peak_at_ms / 1000);
    if (p->accepted > p->connected)
        bl_text_add(t, "syncookies=%d: the server accepted %d connections, %d more than the "
                       "client completed: some spoofed handshake completed.", p->syncookies,
                    p->accepted, p->accepted - p->connected);
    else if (p->accepted > 0)
        bl_text_add(t, "syncookies=%d: the server accepted %d connection%s, none beyond "
                       "the client's %d: no spoofed handshake completed.", p->syncookies,
                    p->accepted, p->accepted == 1 ? "" : "s", p->connected);
}

/* The legitimate client's connects. */
static void explain_client(const struct bl_flood_phase *p, struct bl_text *t)
{
    char failed[96] = "", lost[160] = "";

    if (p->tries == 0)
        return;
    if (p->failed > 0)
        snprintf(failed, sizeof(failed), ", %d failed (the first with %s)", p->failed,
                 strerror(p->first_errno));
    if (p->timed_out > 0)
        timeout_phrase(p, lost, sizeof(lost));
    if (p->connected == p->tries)
        bl_text_add(t, "syncookies=%d: the legitimate client connected every time, %d of %d: "
                       "median %.1f ms, p99 %.1f ms, max %.1f ms.", p->syncookies,
                    p->connected, p->tries, p->lat_median_ms, p->lat_p99_ms, p->lat_max_ms);
    else if (p->connected == 0)
        bl_text_add(t, "syncookies=%d: the legitimate client connected none of %d times: %d "
                       "timed out after %d ms%s%s.", p->syncookies, p->tries, p->timed_out,
                    BL_FLOOD_TRY_TIMEOUT_MS, lost, failed);
    else
        bl_text_add(t, "syncookies=%d: the legitimate client connected %d of %d times "
                       "(%.0f%%; median %.1f ms, p99 %.1f ms, max %.1f ms); %d timed out "
                       "after %d ms%s%s.", p->syncookies, p->connected, p->tries,
                    100.0 * p->connected / p->tries, p->lat_median_ms, p->lat_p99_ms,
                    p->lat_max_ms, p->timed_out, BL_FLOOD_TRY_TIMEOUT_MS, lost, failed);
    if (p->retransmitted > 0)
        bl_text_add(t, "syncookies=%d: %d of the connects that completed needed a "
                       "retransmitted SYN (TCP_INFO), their first SYN lost; they took a "
                       "median of %.0f ms.", p->syncookies, p->retransmitted,
                    p->rtx_median_ms);
    else if (p->connected > 0)
        bl_text_add(t, "syncookies=%d: no completed connect needed a retransmitted SYN.",
                    p->syncookies);
    if (C(p, LISTEN_OVERFLOWS) > 0)
        bl_text_add(t, "syncookies=%d: the accept queue overflowed too (ListenOverflows +%"
                       PRId64 ").", p->syncookies, C(p, LISTEN_OVERFLOWS));
}

void bl_report_flood_explain(const struct bl_flood_phase *ph, int n, struct bl_text *t)
{
    for (int i = 0; i < n; i++) {
        explain_queue(&ph[i], t);
        explain_drops(&ph[i], t);
        explain_cookies_back(&ph[i], t);
        explain_client(&ph[i], t);
        explain_who(&ph[i], t);
    }
    if (n < 2)
        return;
    char line[256];
    int len = snprintf(line, sizeof(line), "Side by side, the legitimate client connected");
    for (int i = 0; i < n && len < (int)sizeof(line); i++)
        len += snprintf(line + len, sizeof(line) - (size_t)len, "%s %d of %d times with "
                        "syncookies=%d", i == 0 ? "" : i == n - 1 ? " and" : ",",
                        ph[i].connected, ph[i].tries, ph[i].syncookies);
    bl_text_add(t, "%s.", line);
}

static void print_table(FILE *f, const struct bl_flood_phase *ph, int n)
{
    fprintf(f, "Spoofed SYNs against one listener, and a legitimate client connecting every "
               "%d ms (each connect given %d ms; counters of the server namespace):\n",
            BL_FLOOD_TRY_GAP_MS, BL_FLOOD_TRY_TIMEOUT_MS);
    fprintf(f, "%10s %7s %5s %10s %13s %5s %9s %8s %6s %7s %10s %10s %9s\n", "syncookies",
            "backlog", "limit", "SYNs sent", "SYN-RECV peak", "tries", "connected",
            "timedout", "failed", "rtx SYN", "median ms", "p99 ms", "max ms");
    for (int i = 0; i < n; i++) {
        const struct bl_flood_phase *p = &ph[i];
        fprintf(f, "%10d %7d %5u %10" PRIu64 " %13u %5d %9d %8d %6d %7d %10.1f %10.1f %9.1f\n",
                p->syncookies, p->backlog, p->limit, p->syns_sent, p->syn_recv_peak, p->tries,
                p->connected, p->timed_out, p->failed, p->retransmitted, p->lat_median_ms,
                p->lat_p99_ms, p->lat_max_ms);
    }
    fprintf(f, "\n%10s", "syncookies");
    for (int k = 0; k < BL_FL_NCOUNTERS; k++)
        fprintf(f, " %s", bl_flood_counter_name[k]);
    fprintf(f, "\n");
    for (int i = 0; i < n; i++) {
        fprintf(f, "%10d", ph[i].syncookies);
        for (int k = 0; k < BL_FL_NCOUNTERS; k++)
            fprintf(f, " %*" PRId64, (int)strlen(bl_flood_counter_name[k]), ph[i].delta[k]);
        fprintf(f, "\n");
    }
}

/* SYN-RECV every half second of each phase, side by side. */
static void print_timeline(FILE *f, const struct bl_flood_phase *ph, int n)
{
    int rows = 0;

    for (int i = 0; i < n; i++)
        if (ph[i].nsamples > rows)
            rows = ph[i].nsamples;
    fprintf(f, "\nSYN-RECV sockets over time (inet_diag):\n%6s", "t (s)");
    for (int i = 0; i < n; i++)
        fprintf(f, "  syncookies=%d", ph[i].syncookies);
    fprintf(f, "\n");
    for (int r = 0; r < rows; r += 500 / BL_FLOOD_SAMPLE_MS) {
        fprintf(f, "%6.1f", (double)r * BL_FLOOD_SAMPLE_MS / 1000);
        for (int i = 0; i < n; i++) {
            if (r < ph[i].nsamples)
                fprintf(f, "  %12u", ph[i].samples[r].syn_recv);
            else
                fprintf(f, "  %12s", "");
        }
        fprintf(f, "\n");
    }
}

static void json_phase(struct json *j, const struct bl_flood_phase *p)
{
    json_object(j, NULL);
    json_int(j, "syncookies", p->syncookies);
    json_int(j, "backlog", p->backlog);
    json_int(j, "port", p->port);
    json_int(j, "limit", p->limit);
    json_int(j, "tcp_max_syn_backlog", p->max_syn_backlog);
    json_int(j, "tcp_synack_retries", p->synack_retries);
    json_object(j, "flood");
    json_uint(j, "rate", p->rate);
    json_fixed(j, "duration_s", (double)p->duration_ns / 1e9, 3);
    json_uint(j, "syns_sent", p->syns_sent);
    json_uint(j, "syns_refused", p->syns_nobufs);
    json_end_object(j);
    json_object(j, "syn_queue");
    json_int(j, "syn_recv_peak", p->syn_recv_peak);
    json_int(j, "peak_at_ms", p->peak_at_ms);
    json_int(j, "syn_recv_at_flood_end", p->syn_recv_flood_end);
    json_array(j, "timeline");
    for (int i = 0; i < p->nsamples; i++) {
        const struct bl_flood_sample *s = &p->samples[i];
        json_object(j, NULL);
        json_int(j, "t_ms", s->t_ms);
        json_int(j, "syn_recv", s->syn_recv);
        json_uint(j, "syns_sent", s->syns);
        json_int(j, "client_tries", s->tries);
        json_int(j, "client_connected", s->connected);
        json_end_object(j);
    }
    json_end_array(j);
    json_end_object(j);
    json_object(j, "client");
    json_int(j, "interval_ms", BL_FLOOD_TRY_GAP_MS);
    json_int(j, "timeout_ms", BL_FLOOD_TRY_TIMEOUT_MS);
    json_int(j, "tries", p->tries);
    json_int(j, "connected", p->connected);
    json_int(j, "timed_out", p->timed_out);
    json_int(j, "timed_out_in_syn_sent", p->timed_out_syn_sent);
    json_int(j, "timed_out_syns_min", p->timed_out_syns_min);
    json_int(j, "timed_out_syns_max", p->timed_out_syns_max);
    json_int(j, "last_connected_start_ms", p->last_ok_start_ms);
    json_int(j, "failed", p->failed);
    if (p->first_errno != 0)
        json_string(j, "first_error", strerror(p->first_errno));
    else
        json_null(j, "first_error");
    json_fixed(j, "success_ratio", p->tries > 0 ? (double)p->connected / p->tries : 0, 3);
    json_int(j, "syn_retransmitted", p->retransmitted);
    json_int(j, "server_accepted", p->accepted);
    json_fixed(j, "connect_median_ms", p->lat_median_ms, 3);
    json_fixed(j, "connect_p99_ms", p->lat_p99_ms, 3);
    json_fixed(j, "connect_max_ms", p->lat_max_ms, 3);
    json_fixed(j, "retransmitted_median_ms", p->rtx_median_ms, 3);
    json_end_object(j);
    bl_json_counters(j, "counters", bl_flood_counter_name, p->delta, BL_FL_NCOUNTERS);
    json_end_object(j);
}

void bl_report_flood(FILE *f, const struct bl_flood_phase *ph, int n,
                     const struct bl_opts *o)
{
    struct bl_text t;

    bl_text_init(&t);
    bl_report_flood_explain(ph, n, &t);
    if (o->json) {
        struct json j;
        bl_report_json_begin(&j, f, "syn-flood");
        json_string(&j, "spoofed_net", BL_FLOOD_SPOOF_NET);
        json_array(&j, "phases");
        for (int i = 0; i < n; i++)
            json_phase(&j, &ph[i]);
        json_end_array(&j);
        bl_report_json_end(&j, &t);
    } else {
        print_table(f, ph, n);
        print_timeline(f, ph, n);
        bl_report_text_end(f, &t);
    }
    bl_text_free(&t);
    fflush(f);
}
