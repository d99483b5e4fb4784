/* tl_report.c - tcpload's output (see tl_report.h).
 *
 * Every figure is printed from the same struct tl_result in both forms, so
 * the human summary and --json never disagree.  Rates are per second of
 * the measured window; "MB" is 10^6 bytes; latencies come from the merged
 * histograms (upper bucket edges, at most 0.79% above the true values).
 * --json goes through the shared JSON writer (json.h), compact: one line.
 */
#include "tl_report.h"

#include <errno.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "tl_sched.h"
#include "version.h"

static const double pcts[] = { 50, 90, 99, 99.9, 99.99 };
#define NPCTS (sizeof(pcts) / sizeof(pcts[0]))

/* The latency distributions a mode records, and their names. */
struct lat_def {
    int index;
    const char *label;   /* human */
    const char *key;     /* JSON and --histogram */
};
static const struct lat_def echo_lats[] = { { TL_LAT_MESSAGE, "latency", "message" } };
static const struct lat_def connect_lats[] = {
    { TL_LAT_CONNECT, "connect", "connect" },
    { TL_LAT_FIRST, "first byte", "first_byte" },
    { TL_LAT_TXN, "transaction", "transaction" },
};
static const struct lat_def hold_lats[] = { { TL_LAT_CONNECT, "connect", "connect" } };

static const struct lat_def *mode_lats(enum tl_mode m, size_t *n)
{
    switch (m) {
    case TL_MODE_CONNECT:
        *n = 3;
        return connect_lats;
    case TL_MODE_HOLD:
        *n = 1;
        return hold_lats;
    case TL_MODE_ECHO:
        break;
    }
    *n = 1;
    return echo_lats;
}

const char *tl_err_name(int kind)
{
    switch (kind) {
    case TL_ERR_EOF:
        return "EOF";
    case TL_ERR_SHORT:
        return "short-reply";
    case TL_ERR_TIMEOUT:
        return "timeout";
    case 0:
        return "other";
    }
    const char *name = strerrorname_np(kind);
    return name != NULL ? name : "other";
}

/* What an error means for a run, for the human summary; NULL for none. */
static const char *err_hint(int kind)
{
    switch (kind) {
    case ECONNREFUSED:
        return "nothing listens on the port (or the server reset the handshake)";
    case ETIMEDOUT:
        return "the kernel gave up: SYNs or data went unanswered (a full accept "
               "queue drops SYNs)";
    case ECONNRESET:
        return "the server reset the connection";
    case EMFILE:
        return "tcpload's open-file limit was reached (see ulimit -n; the hard "
               "limit caps it): use fewer connections per process";
    case ENFILE:
        return "the system-wide open-file limit was reached (fs.file-max)";
    case EADDRINUSE:
        return "no free source port for --source (IP_BIND_ADDRESS_NO_PORT): "
               "widen the range";
    case TL_ERR_EOF:
        return "the server closed the connection before tcpload was done";
    case TL_ERR_SHORT:
        return "the server closed before sending --expect bytes";
    case TL_ERR_TIMEOUT:
        return "nothing happened within --timeout";
    }
    return NULL;
}

char *tl_fmt_ns(char *buf, size_t size, uint64_t ns)
{
    static const struct { uint64_t div; const char *unit; } units[] = {
        { 1000000000, "s" }, { 1000000, "ms" }, { 1000, "us" },
    };
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (ns < units[i].div)
            continue;
        double v = (double)ns / (double)units[i].div;
        snprintf(buf, size, v < 10 ? "%.2f%s" : v < 100 ? "%.1f%s" : "%.0f%s",
                 v, units[i].unit);
        return buf;
    }
    snprintf(buf, size, "%luns", (unsigned long)ns);
    return buf;
}

int tl_report_exit_status(const struct tl_result *r)
{
    if (r->failure != NULL || r->s->bad_bytes > 0 || r->s->conns_ok == 0)
        return 1;
    return 0;
}

static double per_sec(uint64_t n, uint64_t ns)
{
    return ns == 0 ? 0.0 : (double)n * 1e9 / (double)ns;
}

static double secs(uint64_t ns)
{
    return (double)ns / 1e9;
}

static uint64_t errors_total(const struct tl_stats *s)
{
    uint64_t n = 0;
    for (int i = 0; i < TL_ERR_KINDS; i++)
        n += s->errors[i];
    return n;
}

/* ---- human summary ---- */

static void human_title(FILE *f, const struct tl_result *r)
{
    const struct tl_opts *o = r->o;

    fprintf(f, "tcpload %s %s: ", tl_opts_mode_name(o->mode), o->target);
    switch (o->mode) {
    case TL_MODE_ECHO:
        fprintf(f, "%lu connections, %lu thread%s, %lu-byte messages, ",
                (unsigned long)o->conns, (unsigned long)o->threads,
                o->threads == 1 ? "" : "s", (unsigned long)o->size);
        if (o->rate != 0)
            fprintf(f, "open loop at %lu/s\n", (unsigned long)o->rate);
        else
            fprintf(f, "closed loop, pipeline %lu\n", (unsigned long)o->pipeline);
        break;
    case TL_MODE_CONNECT:
        fprintf(f, "%lu in flight, %lu thread%s, send %lu bytes, ", (unsigned long)o->conns,
                (unsigned long)o->threads, o->threads == 1 ? "" : "s",
                (unsigned long)o->send);
        if (o->expect_eof)
            fprintf(f, "read until EOF");
        else
            fprintf(f, "expect %lu bytes", (unsigned long)o->expect);
        if (o->rate != 0)
            fprintf(f, ", at most %lu/s", (unsigned long)o->rate);
        fputc('\n', f);
        break;
    case TL_MODE_HOLD:
        fprintf(f, "%lu connections, %lu thread%s", (unsigned long)o->conns,
                (unsigned long)o->threads, o->threads == 1 ? "" : "s");
        if (o->connect_rate != 0)
            fprintf(f, ", %lu connects/s", (unsigned long)o->connect_rate);
        if (o->ping_interval_ns != 0) {
            char b[32];
            fprintf(f, ", a ping every %s", tl_fmt_ns(b, sizeof(b), o->ping_interval_ns));
        }
        fputc('\n', f);
        break;
    }
}

static void human_latency(FILE *f, const char *label, const struct tl_hist *h)
{
    char b[32];

    fprintf(f, "%-13s ", label);
    if (h->count == 0) {
        fprintf(f, "no samples\n");
        return;
    }
    for (size_t i = 0; i < NPCTS; i++)
        fprintf(f, "p%g %s  ", pcts[i], tl_fmt_ns(b, sizeof(b), tl_hist_percentile(h, pcts[i])));
    fprintf(f, "max %s  ", tl_fmt_ns(b, sizeof(b), h->max));
    fprintf(f, "(mean %s", tl_fmt_ns(b, sizeof(b), (uint64_t)tl_hist_mean(h)));
    fprintf(f, ", %lu samples)\n", (unsigned long)h->count);
}

static void human_eaddrnotavail(FILE *f, const struct tl_result *r)
{
    const struct tl_sys *y = r->sys;

    fprintf(f, "              EADDRNOTAVAIL: no free local port.  The kernel has %u "
            "ephemeral ports\n              (ip_local_port_range %u-%u) per source "
            "address and destination, and\n              a connection closed by "
            "tcpload first keeps its port in TIME_WAIT for 60 s\n              "
            "(tcp_tw_reuse is %d).  Spread connections over more source addresses "
            "with\n              --source 127.0.0.2-127.0.0.254, close with a reset "
            "using --linger0, or\n              widen net.ipv4.ip_local_port_range.\n",
            tl_sys_ports(y), y->port_lo, y->port_hi, y->tw_reuse);
}

static void human_errors(FILE *f, const struct tl_result *r)
{
    const struct tl_stats *s = r->s;
    const char *sep = "";

    fprintf(f, "errors        ");
    if (errors_total(s) == 0) {
        fprintf(f, "none\n");
        return;
    }
    for (int i = 0; i < TL_ERR_KINDS; i++)
        if (s->errors[i] != 0) {
            fprintf(f, "%s%s %lu", sep, tl_err_name(i), (unsigned long)s->errors[i]);
            sep = ", ";
        }
    fputc('\n', f);
    for (int i = 0; i < TL_ERR_KINDS; i++) {
        if (s->errors[i] == 0)
            continue;
        if (i == EADDRNOTAVAIL)
            human_eaddrnotavail(f, r);
        else if (err_hint(i) != NULL)
            fprintf(f, "              %s: %s\n", tl_err_name(i), err_hint(i));
    }
}

/* Open loop and --rate: was the requested rate kept? */
static void human_rate(FILE *f, const struct tl_result *r, const char *what)
{
    const struct tl_stats *s = r->s;
    char lag[32];
    double pct = s->scheduled ? 100.0 * (double)s->done / (double)s->scheduled : 100.0;

    tl_fmt_ns(lag, sizeof(lag), s->max_lag_ns);
    switch (tl_sched_verdict(s->scheduled, s->done, s->late)) {
    case TL_RATE_KEPT:
        fprintf(f, "rate          kept: requested %lu/s, %lu %s due in the window, "
                "%lu done in it (%.2f%%), %lu sent >1ms late (max lag %s)\n",
                (unsigned long)r->o->rate, (unsigned long)s->scheduled, what,
                (unsigned long)s->done, pct, (unsigned long)s->late, lag);
        break;
    case TL_RATE_SENDS_LATE:
        fprintf(f, "rate          NOT KEPT: requested %lu/s, but %lu of %lu %s went out "
                "more than 1 ms late\n              (max lag %s): tcpload could not "
                "send on schedule (it was busy, or not scheduled: try\n              more "
                "threads, fewer connections, a lower rate or a quieter machine)%s\n",
                (unsigned long)r->o->rate, (unsigned long)s->late,
                (unsigned long)s->scheduled, what, lag,
                r->o->mode == TL_MODE_ECHO ? ";\n              latencies still count "
                "from the scheduled send times" : "");
        break;
    case TL_RATE_REPLIES_BEHIND:
        fprintf(f, "rate          NOT KEPT: requested %lu/s, %lu %s due in the window, "
                "only %lu done in it (%.2f%%):\n              the server did not keep "
                "up; the latencies show how far behind it fell\n",
                (unsigned long)r->o->rate, (unsigned long)s->scheduled, what,
                (unsigned long)s->done, pct);
        break;
    }
}

static void human_window(FILE *f, const struct tl_result *r)
{
    if (r->o->mode == TL_MODE_HOLD)
        fprintf(f, "held          %.2f s after the last connection opened\n",
                secs(r->elapsed_ns));
    else
        fprintf(f, "window        %.2f s measured after %.2f s warmup\n",
                secs(r->elapsed_ns), secs(r->o->warmup_ns));
}

static void human_echo(FILE *f, const struct tl_result *r)
{
    const struct tl_stats *s = r->s;

    fprintf(f, "connections   %lu opened, %lu failed, %lu lost\n", (unsigned long)s->conns_ok,
            (unsigned long)s->conns_failed, (unsigned long)s->conns_lost);
    fprintf(f, "messages      %lu in the window, %.1f/s\n", (unsigned long)s->done,
            per_sec(s->done, r->elapsed_ns));
    fprintf(f, "throughput    %.2f MB/s out, %.2f MB/s in\n",
            per_sec(s->win_out, r->elapsed_ns) / 1e6, per_sec(s->win_in, r->elapsed_ns) / 1e6);
    human_latency(f, "latency", &s->lat[TL_LAT_MESSAGE]);
    if (r->o->rate != 0)
        human_rate(f, r, "messages");
    human_errors(f, r);
    if (s->bad_bytes == 0)
        fprintf(f, "check         %lu echoed bytes, all as sent\n", (unsigned long)s->bytes_in);
    else
        fprintf(f, "check         CORRUPTED: %lu bytes differ in %lu messages (first: "
                "connection %lu, stream offset %lu)\n", (unsigned long)s->bad_bytes,
                (unsigned long)s->bad_msgs, (unsigned long)s->bad_conn,
                (unsigned long)s->bad_offset);
    fprintf(f, "totals        %lu messages sent (%lu bytes), %lu bytes received, "
            "%lu unanswered\n", (unsigned long)s->started, (unsigned long)s->bytes_out,
            (unsigned long)s->bytes_in, (unsigned long)s->unanswered);
}

static void human_connect(FILE *f, const struct tl_result *r)
{
    const struct tl_stats *s = r->s;
    size_t n;
    const struct lat_def *lats = mode_lats(r->o->mode, &n);

    fprintf(f, "transactions  %lu in the window, %.1f/s\n", (unsigned long)s->done,
            per_sec(s->done, r->elapsed_ns));
    fprintf(f, "connections   %lu opened, %lu failed, %lu lost\n", (unsigned long)s->conns_ok,
            (unsigned long)s->conns_failed, (unsigned long)s->conns_lost);
    fprintf(f, "throughput    %.2f MB/s out, %.2f MB/s in\n",
            per_sec(s->win_out, r->elapsed_ns) / 1e6, per_sec(s->win_in, r->elapsed_ns) / 1e6);
    for (size_t i = 0; i < n; i++)
        human_latency(f, lats[i].label, &s->lat[lats[i].index]);
    if (r->o->rate != 0)
        human_rate(f, r, "transactions");
    human_errors(f, r);
    fprintf(f, "totals        %lu transactions begun, %lu bytes sent, %lu bytes "
            "received, %lu unfinished\n", (unsigned long)s->started,
            (unsigned long)s->bytes_out, (unsigned long)s->bytes_in,
            (unsigned long)s->unanswered);
}

static void human_hold(FILE *f, const struct tl_result *r)
{
    const struct tl_stats *s = r->s;

    fprintf(f, "connections   %lu opened, %lu held to the end, %lu lost, %lu failed "
            "(of %lu)\n", (unsigned long)s->conns_ok, (unsigned long)s->conns_held,
            (unsigned long)s->conns_lost, (unsigned long)s->conns_failed,
            (unsigned long)r->o->conns);
    human_latency(f, "connect", &s->lat[TL_LAT_CONNECT]);
    if (r->o->ping_interval_ns != 0)
        fprintf(f, "pings         %lu sent, %lu bytes back\n", (unsigned long)s->pings,
                (unsigned long)s->bytes_in);
    human_errors(f, r);
}

void tl_report_human(FILE *f, const struct tl_result *r)
{
    human_title(f, r);
    human_window(f, r);
    switch (r->o->mode) {
    case TL_MODE_ECHO:
        human_echo(f, r);
        break;
    case TL_MODE_CONNECT:
        human_connect(f, r);
        break;
    case TL_MODE_HOLD:
        human_hold(f, r);
        break;
    }
    if (r->failure != NULL)
        fprintf(f, "FAILED        %s\n", r->failure);
    else if (r->s->conns_ok == 0)
        fprintf(f, "FAILED        no connection could be made\n");
}

/* ---- JSON ---- */

/* A latency distribution in microseconds: its count, and when it has
 * samples min, mean, each of pcts[] (keys "p50" ... "p99.99") and max. */
static void json_hist(struct json *j, const char *key, const struct tl_hist *h)
{
    char pkey[16];

    json_object(j, key);
    json_uint(j, "count", h->count);
    if (h->count > 0) {
        json_fixed(j, "min", (double)h->min / 1e3, 3);
        json_fixed(j, "mean", tl_hist_mean(h) / 1e3, 3);
        for (size_t i = 0; i < NPCTS; i++) {
            snprintf(pkey, sizeof(pkey), "p%g", pcts[i]);
            json_fixed(j, pkey, (double)tl_hist_percentile(h, pcts[i]) / 1e3, 3);
        }
        json_fixed(j, "max", (double)h->max / 1e3, 3);
    }
    json_end_object(j);
}

static void json_system(struct json *j, const struct tl_sys *y)
{
    char range[32];

    snprintf(range, sizeof(range), "%u %u", y->port_lo, y->port_hi);
    json_object(j, "system");
    json_string(j, "kernel", y->kernel);
    json_string(j, "ip_local_port_range", range);
    json_int(j, "tcp_tw_reuse", y->tw_reuse);
    json_int(j, "somaxconn", y->somaxconn);
    json_uint(j, "ulimit_n", y->nofile);
    json_uint(j, "ulimit_n_hard", y->nofile_hard);
    json_end_object(j);
}

static void json_config(struct json *j, const struct tl_opts *o)
{
    json_object(j, "config");
    json_uint(j, "connections", o->conns);
    json_uint(j, "threads", o->threads);
    json_fixed(j, "duration_s", secs(o->duration_ns), 3);
    json_fixed(j, "warmup_s", secs(o->warmup_ns), 3);
    json_fixed(j, "timeout_s", secs(o->timeout_ns), 3);
    if (o->mode == TL_MODE_ECHO) {
        json_uint(j, "size", o->size);
        json_uint(j, "pipeline", o->pipeline);
        json_uint(j, "rate", o->rate);
        json_bool(j, "open_loop", o->rate != 0);
    }
    if (o->mode == TL_MODE_CONNECT) {
        json_uint(j, "send", o->send);
        if (o->expect_eof)
            json_string(j, "expect", "eof");
        else
            json_uint(j, "expect", o->expect);
        json_uint(j, "rate", o->rate);
    }
    if (o->mode == TL_MODE_HOLD) {
        json_uint(j, "connect_rate", o->connect_rate);
        json_fixed(j, "ping_interval_s", secs(o->ping_interval_ns), 3);
    }
    if (o->mode != TL_MODE_ECHO) {
        json_uint(j, "source_addresses", o->source.count);
        json_bool(j, "linger0", o->linger0);
    }
    json_end_object(j);
}

/* Each error kind that occurred, by name, in the order of their numbers. */
static void json_errors(struct json *j, const struct tl_stats *s)
{
    json_object(j, "errors");
    for (int i = 0; i < TL_ERR_KINDS; i++)
        if (s->errors[i] != 0)
            json_uint(j, tl_err_name(i), s->errors[i]);
    json_end_object(j);
}

static void json_rate(struct json *j, const struct tl_result *r)
{
    const struct tl_stats *s = r->s;
    static const char *const verdicts[] = {
        [TL_RATE_KEPT] = "kept", [TL_RATE_SENDS_LATE] = "sends_late",
        [TL_RATE_REPLIES_BEHIND] = "replies_behind",
    };
    enum tl_rate_verdict v = tl_sched_verdict(s->scheduled, s->done, s->late);

    json_object(j, "rate");
    json_uint(j, "requested", r->o->rate);
    json_uint(j, "scheduled", s->scheduled);
    json_uint(j, "done", s->done);
    json_uint(j, "late", s->late);
    json_fixed(j, "max_lag_us", (double)s->max_lag_ns / 1e3, 3);
    json_bool(j, "kept", v == TL_RATE_KEPT);
    json_string(j, "verdict", verdicts[v]);
    json_end_object(j);
}

/* The connection counts, and for echo and connect what was done and the
 * throughput in the window. */
static void json_counts(struct json *j, const struct tl_result *r)
{
    const struct tl_stats *s = r->s;
    enum tl_mode mode = r->o->mode;

    json_object(j, "connections");
    json_uint(j, "opened", s->conns_ok);
    json_uint(j, "failed", s->conns_failed);
    json_uint(j, "lost", s->conns_lost);
    json_uint(j, "held", s->conns_held);
    json_end_object(j);
    if (mode == TL_MODE_HOLD)
        return;
    json_uint(j, mode == TL_MODE_CONNECT ? "transactions" : "messages", s->done);
    json_fixed(j, "per_second", per_sec(s->done, r->elapsed_ns), 3);
    json_fixed(j, "mb_per_s_out", per_sec(s->win_out, r->elapsed_ns) / 1e6, 6);
    json_fixed(j, "mb_per_s_in", per_sec(s->win_in, r->elapsed_ns) / 1e6, 6);
}

static void json_totals(struct json *j, const struct tl_stats *s)
{
    json_object(j, "mismatches");
    json_uint(j, "bytes", s->bad_bytes);
    json_uint(j, "messages", s->bad_msgs);
    if (s->bad_bytes > 0) {
        json_uint(j, "first_connection", s->bad_conn);
        json_uint(j, "first_offset", s->bad_offset);
    }
    json_end_object(j);
    json_object(j, "totals");
    json_uint(j, "started", s->started);
    json_uint(j, "bytes_out", s->bytes_out);
    json_uint(j, "bytes_in", s->bytes_in);
    json_uint(j, "unanswered", s->unanswered);
    json_uint(j, "pings", s->pings);
    json_end_object(j);
}

void tl_report_json(FILE *f, const struct tl_result *r)
{
    const struct tl_opts *o = r->o;
    size_t n;
    const struct lat_def *lats = mode_lats(o->mode, &n);
    struct json j;

    json_init(&j, f, JSON_COMPACT);
    json_object(&j, NULL);
    json_string(&j, "tool", "tcpload");
    json_string(&j, "version", TOOLKIT_VERSION);
    json_array(&j, "argv");
    for (int i = 0; i < o->argc; i++)
        json_string(&j, NULL, o->argv[i]);
    json_end_array(&j);
    json_string(&j, "mode", tl_opts_mode_name(o->mode));
    json_string(&j, "target", o->target);
    json_system(&j, r->sys);
    json_config(&j, o);
    json_fixed(&j, "duration_s", secs(r->elapsed_ns), 6);
    json_counts(&j, r);
    json_object(&j, "latency_us");
    for (size_t i = 0; i < n; i++)
        json_hist(&j, lats[i].key, &r->s->lat[lats[i].index]);
    json_end_object(&j);
    if (o->rate != 0)
        json_rate(&j, r);
    json_errors(&j, r->s);
    json_totals(&j, r->s);
    if (r->failure != NULL)
        json_string(&j, "failure", r->failure);
    json_int(&j, "exit_status", tl_report_exit_status(r));
    json_end_object(&j);
}

/* ---- histogram file and progress ---- */

int tl_report_histogram(const char *path, const struct tl_result *r)
{
    size_t n;
    const struct lat_def *lats = mode_lats(r->o->mode, &n);
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return -errno;
    for (size_t i = 0; i < n; i++) {
        const struct tl_hist *h = &r->s->lat[lats[i].index];
        struct tl_hist_iter it = { 0, 0 };
        struct tl_hist_row row;
        fprintf(f, "%s# tcpload %s latency: %s (%lu samples)\n# value_us count percentile\n",
                i ? "\n\n" : "", tl_opts_mode_name(r->o->mode), lats[i].key,
                (unsigned long)h->count);
        while (tl_hist_next(h, &it, &row))
            fprintf(f, "%.3f %lu %.6f\n", (double)row.value / 1e3,
                    (unsigned long)row.count, row.percentile);
    }
    if (ferror(f)) {
        fclose(f);
        return -EIO;
    }
    return fclose(f) == 0 ? 0 : -errno;
}

void tl_report_progress(FILE *f, enum tl_mode mode, double elapsed_s,
                        const struct tl_live *now, const struct tl_live *prev,
                        double dt_s)
{
    double dt = dt_s > 0 ? dt_s : 1;

    fprintf(f, "tcpload: %5.1fs", elapsed_s);
    switch (mode) {
    case TL_MODE_ECHO:
        fprintf(f, "  %.0f msg/s  %.2f MB/s out  %.2f MB/s in",
                (double)(now->done - prev->done) / dt,
                (double)(now->bytes_out - prev->bytes_out) / dt / 1e6,
                (double)(now->bytes_in - prev->bytes_in) / dt / 1e6);
        break;
    case TL_MODE_CONNECT:
        fprintf(f, "  %.0f txn/s", (double)(now->done - prev->done) / dt);
        break;
    case TL_MODE_HOLD:
        fprintf(f, "  %lu opened", (unsigned long)now->opened);
        break;
    }
    fprintf(f, "  %lu open  %lu errors\n", (unsigned long)now->open,
            (unsigned long)now->errors);
}
