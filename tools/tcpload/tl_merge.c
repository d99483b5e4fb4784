/* tl_merge.c - `tcpload merge` (see tl_merge.h).
 *
 * Each file becomes a struct run: the options its config says, its stats
 * rebuilt exactly from the report's "counters", "errors" and "histograms",
 * and the row the merged report shows for it.  Then the runs are checked
 * against the first, merged, and reported as one run would be.
 */
#include "tl_merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "tl_jread.h"
#include "tl_report.h"
#include "tl_run.h"
#include "tl_sys.h"

#define MAX_FILE (256u << 20)    /* a report is far smaller */

struct run {
    struct tl_opts o;
    struct tl_sys sys;
    struct tl_stats s;
    double duration_s, user_s, sys_s;
    uint64_t sleeps;
    char failure[256];
    char target[256];
};

/* Reads path whole into a malloc'ed, NUL-ended buffer; NULL with errno. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t cap = 0;

    *len = 0;
    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - *len < 65536) {
            char *nb = cap >= MAX_FILE ? NULL : realloc(buf, cap + 65536 + 1);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                errno = cap >= MAX_FILE ? EFBIG : ENOMEM;
                return NULL;
            }
            buf = nb;
            cap += 65536;
        }
        size_t n = fread(buf + *len, 1, cap - *len, f);
        *len += n;
        if (n == 0)
            break;
    }
    int err = ferror(f) ? EIO : 0;
    fclose(f);
    if (err != 0) {
        free(buf);
        errno = err;
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

/* The last line that is not blank: a run's summary follows its interval
 * lines. */
static const char *last_line(const char *buf, size_t len, size_t *n)
{
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
        len--;
    size_t start = len;
    while (start > 0 && buf[start - 1] != '\n')
        start--;
    *n = len - start;
    return buf + start;
}

/* Small helpers that write the reason into why and return -1. */
static int bad(char *why, size_t size, const char *what)
{
    snprintf(why, size, "%s", what);
    return -1;
}

static int get_u64(const struct tl_jdoc *d, int32_t at, const char *path, uint64_t *out)
{
    return tl_jread_u64(d, tl_jpath(d, at, path), out);
}

static int get_num(const struct tl_jdoc *d, const char *path, double *out)
{
    return tl_jread_num(d, tl_jpath(d, 0, path), out);
}

static uint64_t seconds_ns(double s)
{
    return s <= 0 ? 0 : (uint64_t)(s * 1e9 + 0.5);
}

/* The options a run's "config" and "mode" describe. */
static int read_opts(const struct tl_jdoc *d, struct run *r, char *why, size_t size)
{
    struct tl_opts *o = &r->o;
    const char *mode = tl_jread_str(d, tl_jget(d, 0, "mode"));
    const char *target = tl_jread_str(d, tl_jget(d, 0, "target"));
    int32_t c = tl_jget(d, 0, "config");
    double dur, warm, tmo, ping, slack, ival;

    memset(o, 0, sizeof(*o));
    int m = 0;
    while (m < TL_MODES && (mode == NULL || strcmp(mode, tl_opts_mode_name(m)) != 0))
        m++;
    if (m == TL_MODES)
        return bad(why, size, "no known \"mode\"");
    o->mode = (enum tl_mode)m;
    snprintf(r->target, sizeof(r->target), "%s", target ? target : "?");
    o->target = r->target;
    int32_t expect = tl_jget(d, c, "expect");
    o->expect_eof = expect >= 0 && d->nodes[expect].type == TL_JNULL;
    if (get_u64(d, c, "connections", &o->conns) < 0 || get_u64(d, c, "threads", &o->threads) < 0 ||
        get_u64(d, c, "size", &o->size) < 0 || get_u64(d, c, "response_size", &o->response_size) < 0 || get_u64(d, c, "pipeline", &o->pipeline) < 0 ||
        get_u64(d, c, "rate", &o->rate) < 0 || get_u64(d, c, "send", &o->send) < 0 ||
        (!o->expect_eof && tl_jread_u64(d, expect, &o->expect) < 0) ||
        get_u64(d, c, "connect_rate", &o->connect_rate) < 0 ||
        tl_jread_num(d, tl_jget(d, c, "duration_s"), &dur) < 0 ||
        tl_jread_num(d, tl_jget(d, c, "warmup_s"), &warm) < 0 ||
        tl_jread_num(d, tl_jget(d, c, "timeout_s"), &tmo) < 0 ||
        tl_jread_num(d, tl_jget(d, c, "ping_interval_s"), &ping) < 0 ||
        tl_jread_num(d, tl_jget(d, c, "slack_us"), &slack) < 0 ||
        tl_jread_num(d, tl_jget(d, c, "interval_s"), &ival) < 0)
        return bad(why, size, "its \"config\" is incomplete");
    uint64_t nsrc = 0;
    get_u64(d, c, "source_addresses", &nsrc);
    o->source.count = (uint32_t)nsrc;
    o->linger0 = tl_jget(d, c, "linger0") >= 0 &&
                 d->nodes[tl_jget(d, c, "linger0")].type == TL_JTRUE;
    o->duration_ns = seconds_ns(dur);
    o->warmup_ns = seconds_ns(warm);
    o->timeout_ns = seconds_ns(tmo);
    o->ping_interval_ns = seconds_ns(ping);
    o->slack_ns = seconds_ns(slack / 1e6);
    o->interval_ns = seconds_ns(ival);
    return 0;
}

/* One distribution from "histograms", exactly. */
static int read_hist(const struct tl_jdoc *d, int32_t at, struct tl_hist *h)
{
    int32_t b = tl_jget(d, at, "buckets");
    uint64_t total = 0, prev = 0;
    int first = 1;

    tl_hist_init(h);
    if (get_u64(d, at, "count", &h->count) < 0 || get_u64(d, at, "min_ns", &h->min) < 0 ||
        get_u64(d, at, "max_ns", &h->max) < 0 || get_u64(d, at, "sum_ns", &h->sum) < 0 ||
        b < 0 || d->nodes[b].type != TL_JARRAY)
        return -1;
    if (h->count == 0)
        h->min = UINT64_MAX;
    for (int32_t i = d->nodes[b].child; i >= 0; i = d->nodes[d->nodes[i].next].next) {
        uint64_t idx, n;
        if (d->nodes[i].next < 0 || tl_jread_u64(d, i, &idx) < 0 ||
            tl_jread_u64(d, d->nodes[i].next, &n) < 0 || idx >= TL_HIST_BUCKETS ||
            (!first && idx <= prev) || n == 0)
            return -1;
        h->buckets[idx] = n;
        total += n;
        prev = idx;
        first = 0;
    }
    return total == h->count ? 0 : -1;
}

/* The stats: every counter by name, the errors by kind, the histograms. */
static int read_stats(const struct tl_jdoc *d, struct run *r, char *why, size_t size)
{
    struct tl_stats *s = &r->s;
    int32_t c = tl_jget(d, 0, "counters"), e = tl_jget(d, 0, "errors");

    tl_stats_init(s);
#define READ_COUNTER(how, name) \
    if (get_u64(d, c, #name, &s->name) < 0) \
        return bad(why, size, "its \"counters\" lack " #name);
    TL_STATS_COUNTERS(READ_COUNTER)
#undef READ_COUNTER
    if (e < 0 || d->nodes[e].type != TL_JOBJECT)
        return bad(why, size, "it has no \"errors\"");
    for (int32_t i = d->nodes[e].child; i >= 0; i = d->nodes[i].next) {
        int kind = 0;
        while (kind < TL_ERR_KINDS && strcmp(tl_err_name(kind), d->nodes[i].key) != 0)
            kind++;
        uint64_t n;
        if (kind == TL_ERR_KINDS || tl_jread_u64(d, i, &n) < 0)
            return bad(why, size, "it counts an error tcpload does not know");
        s->errors[kind] += n;
    }
    int32_t hs = tl_jget(d, 0, "histograms");
    for (int32_t i = hs >= 0 ? d->nodes[hs].child : -1; i >= 0; i = d->nodes[i].next) {
        int idx = tl_report_lat_index(r->o.mode, d->nodes[i].key);
        struct tl_hist h;
        if (read_hist(d, i, &h) < 0)
            return bad(why, size, "a histogram is not well-formed");
        if (idx >= 0)
            s->lat[idx] = h;
        else if (h.count != 0)
            return bad(why, size, "it has samples in a distribution its mode lacks");
    }
    if (hs < 0)
        return bad(why, size, "it has no \"histograms\"");
    return 0;
}

static void read_sys(const struct tl_jdoc *d, struct tl_sys *y)
{
    int32_t s = tl_jget(d, 0, "system");
    const char *k = tl_jread_str(d, tl_jget(d, s, "kernel"));
    const char *range = tl_jread_str(d, tl_jget(d, s, "ip_local_port_range"));
    uint64_t v;
    double x;

    memset(y, 0, sizeof(*y));
    snprintf(y->kernel, sizeof(y->kernel), "%s", k ? k : "");
    if (range != NULL && sscanf(range, "%u %u", &y->port_lo, &y->port_hi) != 2)
        y->port_lo = y->port_hi = 0;
    y->tw_reuse = tl_jread_num(d, tl_jget(d, s, "tcp_tw_reuse"), &x) == 0 ? (int)x : -1;
    y->somaxconn = tl_jread_num(d, tl_jget(d, s, "somaxconn"), &x) == 0 ? (int)x : -1;
    if (get_u64(d, s, "ulimit_n", &v) == 0)
        y->nofile = v;
    if (get_u64(d, s, "ulimit_n_hard", &v) == 0)
        y->nofile_hard = v;
}

/* Reads one file into r and its row; 0, or -1 with why. */
static int read_run(const char *path, struct run *r, struct tl_input *in, char *why, size_t size)
{
    size_t len, n, at;
    char *buf = slurp(path, &len);
    struct tl_jdoc d;
    int rc = -1;

    if (buf == NULL) {
        snprintf(why, size, "%s", strerror(errno));
        return -1;
    }
    const char *line = last_line(buf, len, &n);
    uint64_t schema;
    const char *tool;
    if (tl_jread_parse(&d, line, n, &at) < 0) {
        snprintf(why, size, "not a tcpload report (not JSON at byte %lu of its last line)",
                 (unsigned long)at);
    } else if ((tool = tl_jread_str(&d, tl_jget(&d, 0, "tool"))) == NULL ||
               strcmp(tool, "tcpload") != 0 ||
               tl_jread_str(&d, tl_jget(&d, 0, "type")) == NULL ||
               strcmp(tl_jread_str(&d, tl_jget(&d, 0, "type")), "summary") != 0) {
        snprintf(why, size, "not a tcpload report (no \"tool\":\"tcpload\" summary)");
    } else if (get_u64(&d, 0, "schema", &schema) < 0 || schema != TL_REPORT_SCHEMA) {
        snprintf(why, size, "a tcpload report of another schema (this tcpload reads %d)",
                 TL_REPORT_SCHEMA);
    } else if (read_opts(&d, r, why, size) == 0 && read_stats(&d, r, why, size) == 0) {
        double ws = 0, we = 0;
        const char *host = tl_jread_str(&d, tl_jget(&d, 0, "host"));
        const char *fail = tl_jread_str(&d, tl_jget(&d, 0, "failure"));
        const char *id = tl_jread_str(&d, tl_jget(&d, 0, "run_id"));
        double stamp = 0;
        get_num(&d, "timestamp_unix_s", &stamp);
        snprintf(in->run_id, sizeof(in->run_id), "%s", id ? id : "");
        in->stamp_ns = seconds_ns(stamp);
        in->target = r->target;
        read_sys(&d, &r->sys);
        get_num(&d, "duration_s", &r->duration_s);
        get_num(&d, "cpu/user_s", &r->user_s);
        get_num(&d, "cpu/system_s", &r->sys_s);
        get_u64(&d, 0, "cpu/sleeps", &r->sleeps);
        get_num(&d, "window_start_unix_s", &ws);
        get_num(&d, "window_end_unix_s", &we);
        snprintf(in->host, sizeof(in->host), "%s", host ? host : "?");
        snprintf(r->failure, sizeof(r->failure), "%s", fail ? fail : "");
        in->file = path;
        in->wall_start_ns = seconds_ns(ws);
        in->wall_end_ns = seconds_ns(we);
        in->measured = r->s.measured;
        in->per_second = r->duration_s > 0 ? (double)r->s.measured / r->duration_s : 0;
        const char *key;
        const struct tl_hist *h = &r->s.lat[tl_report_main_lat(r->o.mode, &key)];
        in->p50_ns = tl_hist_percentile(h, 50);
        in->p99_ns = tl_hist_percentile(h, 99);
        in->max_ns = h->max;
        in->samples = h->count;
        in->failure = fail ? r->failure : NULL;
        rc = 0;
    }
    tl_jread_free(&d);
    free(buf);
    return rc;
}

/* The article before a mode's name: "an" echo, "a" connect. */
static const char *article(enum tl_mode m)
{
    return strchr("aeiou", tl_opts_mode_name(m)[0]) != NULL ? "an" : "a";
}

/* "closed loop", "open loop (-R)". */
static const char *loop_name(const struct run *r)
{
    return r->o.rate != 0 ? "open loop (-R)" : "closed loop";
}

/* Whether run b can be combined with run a; 0, or -1 with why.  Closed-
 * and open-loop echo runs measure different latencies (a reply's wait
 * against a schedule's), so their histograms do not add. */
static int combinable(const struct run *a, const struct run *b, const char *afile,
                      char *why, size_t size)
{
    if (a->o.mode != b->o.mode)
        snprintf(why, size, "%s %s run, but %s is %s %s run", article(b->o.mode),
                 tl_opts_mode_name(b->o.mode), afile, article(a->o.mode),
                 tl_opts_mode_name(a->o.mode));
    else if (a->o.mode == TL_MODE_ECHO && (a->o.rate != 0) != (b->o.rate != 0))
        snprintf(why, size, "%s, but %s is %s", loop_name(b), afile, loop_name(a));
    else if (a->o.mode == TL_MODE_ECHO && a->o.size != b->o.size)
        snprintf(why, size, "%lu-byte messages, but %s has %lu-byte ones",
                 (unsigned long)b->o.size, afile, (unsigned long)a->o.size);
    else if (a->o.mode == TL_MODE_ECHO && a->o.response_size != b->o.response_size)
        snprintf(why, size, "other --response-size than %s", afile);
    else if (a->o.mode == TL_MODE_CONNECT &&
             (a->o.send != b->o.send || a->o.expect != b->o.expect ||
              a->o.expect_eof != b->o.expect_eof))
        snprintf(why, size, "other --send or --expect than %s", afile);
    else
        return 0;
    return -1;
}

/* Whether input b is a report already given as input a: the same run_id,
 * or, for a report without one, the same host, timestamp and window. */
static int same_report(const struct tl_input *a, const struct tl_input *b)
{
    if (a->run_id[0] != '\0' && b->run_id[0] != '\0')
        return strcmp(a->run_id, b->run_id) == 0;
    return strcmp(a->host, b->host) == 0 && a->stamp_ns == b->stamp_ns &&
           a->wall_start_ns == b->wall_start_ns && a->wall_end_ns == b->wall_end_ns;
}

/* Refuses input i when an earlier one is the same report; 0, or -1 with
 * why. */
static int check_unique(const struct tl_input *ins, uint32_t i, char *why, size_t size)
{
    for (uint32_t k = 0; k < i; k++)
        if (same_report(&ins[k], &ins[i])) {
            snprintf(why, size, "the same report as input %u, %s (run_id %s): it would "
                     "count one run twice", k + 1, ins[k].file, ins[i].run_id[0]
                     ? ins[i].run_id : "none; the same host, timestamp and window");
            return -1;
        }
    return 0;
}

/* Warns when the runs did not all target the same address: legitimate for
 * one server behind several addresses (a VIP, a balancer, its IPv4 and
 * IPv6 address), meaningless for different servers.  Returns whether they
 * differed. */
static int warn_targets(const struct tl_input *ins, uint32_t n)
{
    uint32_t i = 1;

    while (i < n && strcmp(ins[i].target, ins[0].target) == 0)
        i++;
    if (i == n)
        return 0;
    fprintf(stderr, "tcpload: merge: warning: the runs had different targets (%s: %s, "
            "%s: %s; each row names its own): the sums are only meaningful when these "
            "addresses reach the same server\n", ins[0].file, ins[0].target, ins[i].file,
            ins[i].target);
    return 1;
}

/* Adds run b's options into the merged ones: what adds up, adds up. */
static void sum_opts(struct tl_opts *m, const struct tl_opts *b)
{
    m->conns += b->conns;
    m->threads += b->threads;
    m->rate += b->rate;
    m->connect_rate += b->connect_rate;
    m->source.count += b->source.count;
}

int tl_merge_main(const struct tl_opts *o, FILE *hist)
{
    struct run *runs = calloc(o->nfiles, sizeof(*runs));
    struct tl_input *ins = calloc(o->nfiles, sizeof(*ins));
    static struct tl_stats total;
    char why[512], judged[512], host[256];
    int status = 1;

    if (runs == NULL || ins == NULL) {
        fprintf(stderr, "tcpload: merge: out of memory\n");
        goto out;
    }
    for (uint32_t i = 0; i < o->nfiles; i++)
        if (read_run(o->files[i], &runs[i], &ins[i], why, sizeof(why)) < 0 ||
            (i > 0 && combinable(&runs[0], &runs[i], o->files[0], why, sizeof(why)) < 0) ||
            check_unique(ins, i, why, sizeof(why)) < 0) {
            fprintf(stderr, "tcpload: merge: %s: %s\n", o->files[i], why);
            goto out;
        }
    struct tl_opts m = runs[0].o;
    uint64_t start = UINT64_MAX, end = 0, last_start = 0, first_end = UINT64_MAX;
    double dur = 0, user = 0, sys = 0;
    uint64_t sleeps = 0;
    uint32_t failed = 0, windows = 0;
    tl_stats_init(&total);
    for (uint32_t i = 0; i < o->nfiles; i++) {
        if (i > 0)
            sum_opts(&m, &runs[i].o);
        tl_stats_merge(&total, &runs[i].s);
        user += runs[i].user_s;
        sys += runs[i].sys_s;
        sleeps += runs[i].sleeps;
        failed += ins[i].failure != NULL;
        if (ins[i].wall_start_ns == 0) /* it never measured: no window to place */
            continue;
        dur += runs[i].duration_s;
        windows++;
        if (ins[i].wall_start_ns < start)
            start = ins[i].wall_start_ns;
        if (ins[i].wall_start_ns > last_start)
            last_start = ins[i].wall_start_ns;
        if (ins[i].wall_end_ns > end)
            end = ins[i].wall_end_ns;
        if (ins[i].wall_end_ns < first_end)
            first_end = ins[i].wall_end_ns;
    }
    if (warn_targets(ins, o->nfiles))
        m.target = "several targets";
    if (o->nfiles > 1 && first_end != UINT64_MAX && last_start >= first_end)
        fprintf(stderr, "tcpload: merge: warning: the runs' windows do not overlap (one "
                "ends before another starts): their rates did not add up at any moment\n");
    m.json = o->json;
    m.argc = o->argc;
    m.argv = o->argv;
    struct tl_result res = {
        .o = &m, .sys = &runs[0].sys, .s = &total,
        .elapsed_ns = windows ? seconds_ns(dur / windows) : 0, .no_window = windows == 0,
        .wall_start_ns = start == UINT64_MAX ? 0 : start, .wall_end_ns = end,
        .cpu_user_ns = seconds_ns(user), .cpu_sys_ns = seconds_ns(sys), .cpu_sleeps = sleeps,
        .inputs = ins, .ninputs = o->nfiles,
    };
    if (failed > 0) {
        snprintf(judged, sizeof(judged), "%u of the %u runs failed", failed, o->nfiles);
        res.failure = judged;
    }
    tl_report_stamp(&res, host, sizeof(host));
    tl_report_judge(&res, judged, sizeof(judged));
    if (o->json)
        tl_report_json(stdout, &res);
    else
        tl_report_human(stdout, &res);
    status = tl_report_exit_status(&res);
    if (hist != NULL) {
        int rc = tl_report_histogram(hist, &res);
        hist = NULL;
        if (rc < 0) {
            fprintf(stderr, "tcpload: --histogram: %s: %s\n", o->histogram, strerror(-rc));
            status = 1;
        }
    }
out:
    if (hist != NULL)
        fclose(hist);
    free(runs);
    free(ins);
    return status;
}
