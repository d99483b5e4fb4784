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
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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
    case TL_MODE_STREAM: /* no messages: no latency */
    case TL_MODES:
        *n = 0;
        return echo_lats;
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

int tl_report_lat_index(enum tl_mode mode, const char *key)
{
    size_t n;
    const struct lat_def *lats = mode_lats(mode, &n);

    for (size_t i = 0; i < n; i++)
        if (strcmp(lats[i].key, key) == 0)
            return lats[i].index;
    return -1;
}

int tl_report_main_lat(enum tl_mode mode, const char **key)
{
    size_t n;
    const struct lat_def *lats = mode_lats(mode, &n);
    const struct lat_def *d = mode == TL_MODE_CONNECT ? &lats[2] : &lats[0];

    *key = d->key;
    return d->index;
}

/* How the run ended, for a failure that names it. */
static const char *ended_by(int sig)
{
    return sig == SIGINT ? "stopped by SIGINT" : sig == SIGTERM ? "stopped by SIGTERM"
                                                                : "the run ended";
}

/* What may explain unanswered messages or transactions: a server that
 * sends nothing back (echo mode), or one that never closes (connect mode
 * reading until EOF); "" when nothing does. */
static const char *unanswered_hint(const struct tl_result *r)
{
    if (r->o->mode == TL_MODE_ECHO && r->s->bytes_in == 0)
        return "; it sent nothing back at all (a discard server?)";
    if (r->o->mode == TL_MODE_CONNECT && r->o->expect_eof)
        return "; without --expect a transaction ends when the server closes, and a "
               "server that keeps connections open (an echo server) never does: give "
               "it --send N --expect N";
    return "";
}

void tl_report_judge(struct tl_result *r, char *buf, size_t size)
{
    const struct tl_stats *s = r->s;
    const char *what = r->o->mode == TL_MODE_CONNECT ? "transactions" : "messages";

    if (r->failure != NULL)
        return;
    if (s->conns_ok == 0) {
        snprintf(buf, size, "no connection could be made");
        r->failure = buf;
    } else if (r->no_window && r->o->mode == TL_MODE_HOLD) {
        snprintf(buf, size, "%s before the hold began: nothing was held",
                 ended_by(r->stop_sig));
        r->failure = buf;
    } else if (r->no_window) {
        snprintf(buf, size, "%s %.2f s into the %.2f s warmup, before the window began: "
                 "nothing was measured", ended_by(r->stop_sig),
                 (double)r->warmup_ns / 1e9, (double)r->o->warmup_ns / 1e9);
        r->failure = buf;
    } else if (r->o->mode != TL_MODE_HOLD && s->unanswered > 0) {
        snprintf(buf, size, "%lu %s went unanswered (of %lu sent): no reply came within "
                 "--timeout%s",
                 (unsigned long)s->unanswered, what, (unsigned long)s->started,
                 unanswered_hint(r));
        r->failure = buf;
    }
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
    const char *cs = o->conns == 1 ? "" : "s";

    fprintf(f, "tcpload %s %s: ", tl_opts_mode_name(o->mode), o->target);
    switch (o->mode) {
    case TL_MODE_ECHO:
        fprintf(f, "%lu connection%s, %lu thread%s, %lu-byte messages, ",
                (unsigned long)o->conns, cs, (unsigned long)o->threads,
                o->threads == 1 ? "" : "s", (unsigned long)o->size);
        if (o->response_size != 0)
            fprintf(f, "%lu-byte replies, ", (unsigned long)o->response_size);
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
        fprintf(f, "%lu connection%s, %lu thread%s", (unsigned long)o->conns, cs,
                (unsigned long)o->threads, o->threads == 1 ? "" : "s");
        if (o->connect_rate != 0)
            fprintf(f, ", %lu connects/s", (unsigned long)o->connect_rate);
        if (o->ping_interval_ns != 0) {
            char b[32];
            fprintf(f, ", a ping every %s", tl_fmt_ns(b, sizeof(b), o->ping_interval_ns));
        }
        fputc('\n', f);
        break;
    case TL_MODE_STREAM:
    case TL_MODES:
        fprintf(f, "%lu connection%s, %lu thread%s, writing without waiting\n",
                (unsigned long)o->conns, cs, (unsigned long)o->threads, o->threads == 1 ? "" : "s");
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
    char lag[32], slack[64], b[32];
    double pct = s->scheduled ? 100.0 * (double)s->done / (double)s->scheduled : 100.0;

    tl_fmt_ns(lag, sizeof(lag), s->max_lag_ns);
    slack[0] = '\0';
    if (r->o->mode == TL_MODE_ECHO)
        snprintf(slack, sizeof(slack), "; one wakeup sends what is due within --slack %s",
                 tl_fmt_ns(b, sizeof(b), r->o->slack_ns));
    switch (tl_sched_verdict(s->scheduled, s->done, s->late)) {
    case TL_RATE_KEPT:
        fprintf(f, "rate          kept: requested %lu/s, %lu %s due in the window, "
                "%lu answered before it ended (%.2f%%), %lu sent >1ms past due (max lag %s)%s\n",
                (unsigned long)r->o->rate, (unsigned long)s->scheduled, what,
                (unsigned long)s->done, pct, (unsigned long)s->late, lag, slack);
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
                "only %lu answered before it ended (%.2f%%):\n              the server did not keep "
                "up; the latencies show how far behind it fell\n",
                (unsigned long)r->o->rate, (unsigned long)s->scheduled, what,
                (unsigned long)s->done, pct);
        break;
    }
}

static void human_window(FILE *f, const struct tl_result *r)
{
    char a[40], b[40];

    if (r->no_window && r->o->mode == TL_MODE_HOLD)
        fprintf(f, "held          none: %s", r->s->conns_ok == 0 ? "no connection opened"
                : "the run ended before every connection was open");
    else if (r->no_window && r->inputs != NULL)
        fprintf(f, "window        none: no run's window began");
    else if (r->no_window)
        fprintf(f, "window        none: the run ended %.2f s into the %.2f s warmup",
                secs(r->warmup_ns), secs(r->o->warmup_ns));
    else if (r->o->mode == TL_MODE_HOLD)
        fprintf(f, "held          %.2f s after the last connection opened",
                secs(r->elapsed_ns));
    else if (r->inputs != NULL)
        fprintf(f, "window        %.2f s measured (the runs' mean)", secs(r->elapsed_ns));
    else
        fprintf(f, "window        %.2f s measured after %.2f s warmup",
                secs(r->elapsed_ns), secs(r->warmup_ns));
    if (r->wall_start_ns != 0)
        fprintf(f, ", %s to %s", tl_fmt_time(a, sizeof(a), r->wall_start_ns),
                tl_fmt_time(b, sizeof(b), r->wall_end_ns));
    fputc('\n', f);
}

/* merge: one row per input run. */
static void human_inputs(FILE *f, const struct tl_result *r)
{
    char a[40], b[3][32], win[96], lat[128];

    for (size_t i = 0; i < r->ninputs; i++) {
        const struct tl_input *in = &r->inputs[i];
        if (in->wall_start_ns != 0)
            snprintf(win, sizeof(win), "%lu in %s, %.1f/s", (unsigned long)in->measured,
                     tl_fmt_time(a, sizeof(a), in->wall_start_ns), in->per_second);
        else
            snprintf(win, sizeof(win), "no window");
        if (in->samples > 0)
            snprintf(lat, sizeof(lat), "p50 %s p99 %s max %s", tl_fmt_ns(b[0], 32, in->p50_ns),
                     tl_fmt_ns(b[1], 32, in->p99_ns), tl_fmt_ns(b[2], 32, in->max_ns));
        else
            snprintf(lat, sizeof(lat), "no samples");
        fprintf(f, "input         %s (%s to %s): %s, %s%s%s\n", in->file, in->host, in->target,
                win, lat, in->failure ? ", FAILED: " : "", in->failure ? in->failure : "");
    }
}

static void human_cpu(FILE *f, const struct tl_result *r)
{
    uint64_t n = r->s->started, cpu = r->cpu_user_ns + r->cpu_sys_ns;

    if (r->inputs != NULL || cpu == 0)
        return;
    fprintf(f, "cpu           %.3f s user, %.3f s system", secs(r->cpu_user_ns),
            secs(r->cpu_sys_ns));
    if (n > 0 && r->o->mode != TL_MODE_HOLD)
        fprintf(f, ": %.2f us and %.3f sleeps per %s sent", (double)cpu / 1e3 / (double)n,
                (double)r->cpu_sleeps / (double)n,
                r->o->mode == TL_MODE_CONNECT ? "transaction" : "message");
    fputc('\n', f);
}

/* The check line: what was compared, or what differed. */
static void human_check(FILE *f, const struct tl_stats *s, const char *what,
                        const char *unit)
{
    if (s->bad_bytes == 0)
        fprintf(f, "check         %lu %s, all as sent\n", (unsigned long)s->bytes_in, what);
    else
        fprintf(f, "check         CORRUPTED: %lu bytes differ in %lu %s (first: "
                "connection %lu, stream offset %lu)\n", (unsigned long)s->bad_bytes,
                (unsigned long)s->bad_msgs, unit, (unsigned long)s->bad_conn,
                (unsigned long)s->bad_offset);
    if (s->bad_bytes > 0 && s->bad_offset == 0)
        fprintf(f, "              the very first byte differs: the server may not be an "
                "echo server (a banner or a fixed reply?)\n");
}

static void human_echo(FILE *f, const struct tl_result *r)
{
    const struct tl_stats *s = r->s;

    fprintf(f, "connections   %lu opened, %lu failed, %lu lost\n", (unsigned long)s->conns_ok,
            (unsigned long)s->conns_failed, (unsigned long)s->conns_lost);
    fprintf(f, "messages      %lu in the window, %.1f/s\n", (unsigned long)s->measured,
            per_sec(s->measured, r->elapsed_ns));
    fprintf(f, "throughput    %.2f MB/s out, %.2f MB/s in\n",
            per_sec(s->win_out, r->elapsed_ns) / 1e6, per_sec(s->win_in, r->elapsed_ns) / 1e6);
    human_latency(f, "latency", &s->lat[TL_LAT_MESSAGE]);
    if (r->o->rate != 0)
        human_rate(f, r, "messages");
    human_errors(f, r);
    if (r->o->response_size != 0)
        fprintf(f, "check         none: the replies are %lu bytes of the server's own "
                "(--response-size), not echoes\n", (unsigned long)r->o->response_size);
    else
        human_check(f, s, "echoed bytes", "messages");
    fprintf(f, "totals        %lu messages sent (%lu bytes), %lu bytes received, "
            "%lu unanswered\n", (unsigned long)s->started, (unsigned long)s->bytes_out,
            (unsigned long)s->bytes_in, (unsigned long)s->unanswered);
}

static void human_connect(FILE *f, const struct tl_result *r)
{
    const struct tl_stats *s = r->s;
    size_t n;
    const struct lat_def *lats = mode_lats(r->o->mode, &n);

    fprintf(f, "transactions  %lu in the window, %.1f/s\n", (unsigned long)s->measured,
            per_sec(s->measured, r->elapsed_ns));
    fprintf(f, "connections   %lu opened, %lu failed, %lu lost\n", (unsigned long)s->conns_ok,
            (unsigned long)s->conns_failed, (unsigned long)s->conns_lost);
    fprintf(f, "throughput    %.2f MB/s out, %.2f MB/s in\n",
            per_sec(s->win_out, r->elapsed_ns) / 1e6, per_sec(s->win_in, r->elapsed_ns) / 1e6);
    for (size_t i = 0; i < n; i++)
        human_latency(f, lats[i].label, &s->lat[lats[i].index]);
    if (r->o->rate != 0)
        human_rate(f, r, "transactions");
    human_errors(f, r);
    if (!r->o->expect_eof && r->o->send > 0 && r->o->send == r->o->expect)
        human_check(f, s, "reply bytes compared with what was sent", "transactions");
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
    if (r->o->ping_interval_ns != 0 || s->bad_bytes > 0)
        human_check(f, s, "ping reply bytes", "replies");
}

static void human_stream(FILE *f, const struct tl_result *r)
{
    const struct tl_stats *s = r->s;
    double out = per_sec(s->win_out, r->elapsed_ns);

    fprintf(f, "connections   %lu opened, %lu failed, %lu lost\n", (unsigned long)s->conns_ok,
            (unsigned long)s->conns_failed, (unsigned long)s->conns_lost);
    fprintf(f, "throughput    %.2f MB/s out (%.3f Gbit/s), %.2f MB/s in\n", out / 1e6,
            out * 8 / 1e9, per_sec(s->win_in, r->elapsed_ns) / 1e6);
    human_errors(f, r);
    if (s->bytes_in > 0 || s->bad_bytes > 0)
        human_check(f, s, "bytes back (checked as an echo)", "reads");
    fprintf(f, "totals        %lu bytes sent, %lu bytes received\n",
            (unsigned long)s->bytes_out, (unsigned long)s->bytes_in);
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
    case TL_MODE_STREAM:
    case TL_MODES:
        human_stream(f, r);
        break;
    }
    human_cpu(f, r);
    human_inputs(f, r);
    if (r->failure != NULL)
        fprintf(f, "FAILED        %s\n", r->failure);
    else if (r->s->conns_ok == 0)
        fprintf(f, "FAILED        no connection could be made\n");
}

/* ---- JSON ---- */

static const struct tl_hist *empty_hist(void)
{
    static struct tl_hist h = { .min = UINT64_MAX };
    return &h;
}

/* The distribution a mode records under key, or an empty one: every
 * report has all four keys. */
static const struct tl_hist *hist_for(const struct tl_result *r, const char *key)
{
    int i = tl_report_lat_index(r->o->mode, key);

    return i >= 0 ? &r->s->lat[i] : empty_hist();
}

static const char *const all_lat_keys[] = { "message", "connect", "first_byte", "transaction" };
#define NKEYS (sizeof(all_lat_keys) / sizeof(all_lat_keys[0]))

/* A latency distribution in microseconds: its count, then min, mean, each
 * of pcts[] (keys "p50" ... "p99.99") and max, null when it is empty. */
static void json_hist(struct json *j, const char *key, const struct tl_hist *h)
{
    char pkey[16];

    json_object(j, key);
    json_uint(j, "count", h->count);
    if (h->count > 0) {
        json_fixed(j, "min", (double)h->min / 1e3, 3);
        json_fixed(j, "mean", tl_hist_mean(h) / 1e3, 3);
    } else {
        json_null(j, "min");
        json_null(j, "mean");
    }
    for (size_t i = 0; i < NPCTS; i++) {
        snprintf(pkey, sizeof(pkey), "p%g", pcts[i]);
        if (h->count > 0)
            json_fixed(j, pkey, (double)tl_hist_percentile(h, pcts[i]) / 1e3, 3);
        else
            json_null(j, pkey);
    }
    if (h->count > 0)
        json_fixed(j, "max", (double)h->max / 1e3, 3);
    else
        json_null(j, "max");
    json_end_object(j);
}

/* A distribution losslessly: exact count, min, max and sum in ns, and the
 * non-empty buckets as a flat array of index, count pairs. */
static void json_hist_exact(struct json *j, const char *key, const struct tl_hist *h)
{
    json_object(j, key);
    json_uint(j, "count", h->count);
    json_uint(j, "min_ns", h->count ? h->min : 0);
    json_uint(j, "max_ns", h->max);
    json_uint(j, "sum_ns", h->sum);
    json_array(j, "buckets");
    for (size_t i = 0; i < TL_HIST_BUCKETS; i++)
        if (h->buckets[i] != 0) {
            json_uint(j, NULL, i);
            json_uint(j, NULL, h->buckets[i]);
        }
    json_end_array(j);
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

/* Every option, in every mode (those a mode does not use at their
 * defaults), so the keys never depend on the mode. */
static void json_config(struct json *j, const struct tl_opts *o)
{
    json_object(j, "config");
    json_uint(j, "connections", o->conns);
    json_uint(j, "threads", o->threads);
    json_fixed(j, "duration_s", secs(o->duration_ns), 3);
    json_fixed(j, "warmup_s", secs(o->warmup_ns), 3);
    json_fixed(j, "timeout_s", secs(o->timeout_ns), 3);
    json_uint(j, "size", o->size);
    json_uint(j, "response_size", o->response_size);
    if (o->payload_file != NULL)
        json_string(j, "payload", o->payload_file);
    else
        json_null(j, "payload");
    json_uint(j, "pipeline", o->pipeline);
    json_uint(j, "rate", o->rate);
    json_bool(j, "open_loop", o->mode == TL_MODE_ECHO && o->rate != 0);
    json_fixed(j, "slack_us", (double)o->slack_ns / 1e3, 3);
    json_uint(j, "send", o->send);
    if (o->expect_eof)
        json_null(j, "expect");
    else
        json_uint(j, "expect", o->expect);
    json_uint(j, "connect_rate", o->connect_rate);
    json_fixed(j, "ping_interval_s", secs(o->ping_interval_ns), 3);
    json_uint(j, "source_addresses", o->source.count);
    json_bool(j, "linger0", o->linger0);
    json_fixed(j, "interval_s", secs(o->interval_ns), 3);
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
    if (r->o->rate != 0) {
        json_bool(j, "kept", v == TL_RATE_KEPT);
        json_string(j, "verdict", verdicts[v]);
    } else {
        json_null(j, "kept");
        json_null(j, "verdict");
    }
    json_end_object(j);
}

/* The connection counts, what was measured and the throughput. */
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
    json_uint(j, "messages", mode == TL_MODE_ECHO ? s->measured : 0);
    json_uint(j, "transactions", mode == TL_MODE_CONNECT ? s->measured : 0);
    json_fixed(j, "per_second", per_sec(s->measured, r->elapsed_ns), 3);
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
    } else {
        json_null(j, "first_connection");
        json_null(j, "first_offset");
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

char *tl_fmt_time(char *buf, size_t size, uint64_t unix_ns)
{
    time_t t = (time_t)(unix_ns / CLOCK_NS_PER_SEC);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, size, "?");
        return buf;
    }
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06luZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (unsigned long)(unix_ns % CLOCK_NS_PER_SEC / 1000));
    return buf;
}

/* A wall-clock time: RFC 3339 under key, Unix seconds under key_unix_s;
 * both null when unknown. */
static void json_time(struct json *j, const char *key, uint64_t unix_ns)
{
    char k[32], b[40];

    snprintf(k, sizeof(k), "%s_unix_s", key);
    if (unix_ns == 0) {
        json_null(j, key);
        json_null(j, k);
        return;
    }
    json_string(j, key, tl_fmt_time(b, sizeof(b), unix_ns));
    json_fixed(j, k, (double)unix_ns / 1e9, 6);
}

/* Every counter of struct tl_stats by its field name, so that merge can
 * rebuild the stats exactly. */
static void json_counters(struct json *j, const struct tl_stats *s)
{
    json_object(j, "counters");
#define JSON_COUNTER(how, name) json_uint(j, #name, s->name);
    TL_STATS_COUNTERS(JSON_COUNTER)
#undef JSON_COUNTER
    json_end_object(j);
}

static void json_inputs(struct json *j, const struct tl_result *r)
{
    json_array(j, "inputs");
    for (size_t i = 0; i < r->ninputs; i++) {
        const struct tl_input *in = &r->inputs[i];
        json_object(j, NULL);
        json_string(j, "file", in->file);
        json_string(j, "host", in->host);
        json_string(j, "target", in->target);
        json_string(j, "run_id", in->run_id);
        json_time(j, "window_start", in->wall_start_ns);
        json_time(j, "window_end", in->wall_end_ns);
        json_uint(j, "measured", in->measured);
        json_fixed(j, "per_second", in->per_second, 3);
        json_uint(j, "samples", in->samples);
        if (in->samples > 0) {
            json_fixed(j, "p50_us", (double)in->p50_ns / 1e3, 3);
            json_fixed(j, "p99_us", (double)in->p99_ns / 1e3, 3);
            json_fixed(j, "max_us", (double)in->max_ns / 1e3, 3);
        } else {
            json_null(j, "p50_us");
            json_null(j, "p99_us");
            json_null(j, "max_us");
        }
        if (in->failure != NULL)
            json_string(j, "failure", in->failure);
        else
            json_null(j, "failure");
        json_end_object(j);
    }
    json_end_array(j);
}

void tl_report_stamp(struct tl_result *r, char *buf, size_t size)
{
    if (gethostname(buf, size) < 0) /* cannot fail with a valid buffer */
        snprintf(buf, size, "?");
    buf[size - 1] = '\0';
    r->host = buf;
    r->now_ns = tl_run_wall_ns();
    uint64_t id[2];
    if (getrandom(id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id)) {
        id[0] = r->now_ns;
        id[1] = (uint64_t)getpid() << 40 ^ clock_now_ns();
    }
    snprintf(r->run_id, sizeof(r->run_id), "%016llx%016llx", (unsigned long long)id[0],
             (unsigned long long)id[1]);
}

void tl_report_json(FILE *f, const struct tl_result *r)
{
    const struct tl_opts *o = r->o;
    const struct tl_stats *s = r->s;
    struct json j;

    json_init(&j, f, JSON_COMPACT);
    json_object(&j, NULL);
    json_string(&j, "type", "summary");
    json_string(&j, "tool", "tcpload");
    json_uint(&j, "schema", TL_REPORT_SCHEMA);
    json_string(&j, "version", TOOLKIT_VERSION);
    json_string(&j, "host", r->host != NULL ? r->host : "?");
    json_time(&j, "timestamp", r->now_ns);
    json_string(&j, "run_id", r->run_id);
    json_array(&j, "argv");
    for (int i = 0; i < o->argc; i++)
        json_string(&j, NULL, o->argv[i]);
    json_end_array(&j);
    json_string(&j, "mode", tl_opts_mode_name(o->mode));
    json_string(&j, "target", o->target);
    json_system(&j, r->sys);
    json_config(&j, o);
    json_time(&j, "window_start", r->wall_start_ns);
    json_time(&j, "window_end", r->wall_end_ns);
    json_fixed(&j, "duration_s", secs(r->elapsed_ns), 6);
    if (r->inputs != NULL)
        json_null(&j, "warmup_s");
    else
        json_fixed(&j, "warmup_s", secs(r->warmup_ns), 6);
    json_counts(&j, r);
    json_object(&j, "latency_us");
    for (size_t i = 0; i < NKEYS; i++)
        json_hist(&j, all_lat_keys[i], hist_for(r, all_lat_keys[i]));
    json_end_object(&j);
    json_rate(&j, r);
    json_errors(&j, s);
    json_totals(&j, s);
    json_object(&j, "cpu");
    json_fixed(&j, "user_s", secs(r->cpu_user_ns), 6);
    json_fixed(&j, "system_s", secs(r->cpu_sys_ns), 6);
    json_fixed(&j, "us_per_unit", s->started ? (double)(r->cpu_user_ns + r->cpu_sys_ns) /
               1e3 / (double)s->started : 0.0, 3);
    json_uint(&j, "sleeps", r->cpu_sleeps);
    json_end_object(&j);
    json_counters(&j, s);
    json_object(&j, "histograms");
    for (size_t i = 0; i < NKEYS; i++)
        json_hist_exact(&j, all_lat_keys[i], hist_for(r, all_lat_keys[i]));
    json_end_object(&j);
    json_inputs(&j, r);
    if (r->failure != NULL)
        json_string(&j, "failure", r->failure);
    else
        json_null(&j, "failure");
    json_int(&j, "exit_status", tl_report_exit_status(r));
    json_end_object(&j);
}

/* ---- --interval lines ---- */

void tl_report_interval(FILE *f, const struct tl_opts *o, const struct tl_interval_line *l)
{
    const struct tl_ival_sum *s = l->sum;
    const char *key;

    tl_report_main_lat(o->mode, &key);
    if (o->json) {
        struct json j;
        json_init(&j, f, JSON_COMPACT);
        json_object(&j, NULL);
        json_string(&j, "type", "interval");
        json_int(&j, "index", s->index);
        json_fixed(&j, "start_s", (double)l->start_ns / 1e9, 6);
        json_fixed(&j, "end_s", (double)l->end_ns / 1e9, 6);
        json_string(&j, "phase", l->phase);
        json_uint(&j, "completed", s->done);
        json_fixed(&j, "per_second", per_sec(s->done, l->length_ns), 3);
        json_fixed(&j, "mb_per_s_out", per_sec(s->bytes_out, l->length_ns) / 1e6, 6);
        json_fixed(&j, "mb_per_s_in", per_sec(s->bytes_in, l->length_ns) / 1e6, 6);
        json_uint(&j, "errors", s->errors);
        json_object(&j, "latency_us");
        json_hist(&j, key, &s->lat);
        json_end_object(&j);
        json_end_object(&j);
    } else {
        char b[6][32];
        const struct tl_hist *h = &s->lat;
        fprintf(f, "interval %7.2f-%.2fs %-6s %10.1f/s  %.2f MB/s out  %.2f MB/s in  p50 %s  "
                "p90 %s  p99 %s  max %s  %lu errors\n", (double)l->start_ns / 1e9,
                (double)l->end_ns / 1e9, l->phase, per_sec(s->done, l->length_ns),
                per_sec(s->bytes_out, l->length_ns) / 1e6,
                per_sec(s->bytes_in, l->length_ns) / 1e6,
                h->count ? tl_fmt_ns(b[0], 32, tl_hist_percentile(h, 50)) : "-",
                h->count ? tl_fmt_ns(b[1], 32, tl_hist_percentile(h, 90)) : "-",
                h->count ? tl_fmt_ns(b[2], 32, tl_hist_percentile(h, 99)) : "-",
                h->count ? tl_fmt_ns(b[3], 32, h->max) : "-", (unsigned long)s->errors);
    }
    fflush(f);
}

/* ---- histogram file and progress ---- */

/* HdrHistogram's percentile distribution (.hgrm), values in microseconds:
 * rows at the percentile levels HdrHistogram's printer steps through (five
 * per halving of the distance to 100%), each with the value where the
 * level is reached, the level (0..1), the samples at or below that value
 * and 1/(1-level); the row of level 1 has no fourth column.  Then the
 * #[Mean, #[Max and #[Buckets footers, and one more stating the unit. */
static void hgrm(FILE *f, const struct tl_hist *h)
{
    struct tl_hist_iter it = { 0, 0 };
    struct tl_hist_row row;
    double level = 0.0, var = 0.0, mean = tl_hist_mean(h);

    fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
            "1/(1-Percentile)");
    while (h->count > 0 && tl_hist_next(h, &it, &row)) {
        double d = (double)row.value - mean;
        var += d * d * (double)row.count;
        if (it.seen == h->count) {
            fprintf(f, "%12.3f %2.12f %10lu\n", (double)row.value / 1e3, 1.0,
                    (unsigned long)it.seen);
            break;
        }
        while (row.percentile >= level) {
            fprintf(f, "%12.3f %2.12f %10lu %14.2f\n", (double)row.value / 1e3, level / 100,
                    (unsigned long)it.seen, 1.0 / (1.0 - level / 100));
            level += 100.0 / (5.0 * pow(2.0, floor(log2(100.0 / (100.0 - level))) + 1));
        }
    }
    fprintf(f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean / 1e3,
            h->count ? sqrt(var / (double)h->count) / 1e3 : 0.0);
    fprintf(f, "#[Max     = %12.3f, Total count    = %12lu]\n", (double)h->max / 1e3,
            (unsigned long)h->count);
    fprintf(f, "#[Buckets = %12d, SubBuckets     = %12d]\n", TL_HIST_MAX_EXP + 1,
            2 * TL_HIST_SUB_COUNT);
    fprintf(f, "#[Unit    = microseconds (recorded in ns, divided by 1000)]\n");
}

int tl_report_histogram(FILE *f, const struct tl_result *r)
{
    const char *key;

    hgrm(f, &r->s->lat[tl_report_main_lat(r->o->mode, &key)]);
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
    case TL_MODE_STREAM:
    case TL_MODES:
        fprintf(f, "  %.2f MB/s out  %.2f MB/s in",
                (double)(now->bytes_out - prev->bytes_out) / dt / 1e6,
                (double)(now->bytes_in - prev->bytes_in) / dt / 1e6);
        break;
    }
    fprintf(f, "  %lu open  %lu errors\n", (unsigned long)now->open,
            (unsigned long)now->errors);
}
