/* tl_opts.c - tcpload's command line (see tl_opts.h).
 *
 * One table describes every option: its spellings, the kind of value it
 * takes, its range, the modes that use it and the field it fills.  The
 * shared driver (args.h) walks argv once, "--" ending the options (which may
 * come before or after the positional MODE and HOST:PORT); this file
 * remembers how each option was spelled, stores its value, and checks the
 * combinations once the mode is known.  Every message goes through
 * args_fail with the prefix "tcpload" and names the flag as spelled.
 */
#include "tl_opts.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "args.h"
#include "clock.h"
#include "parse.h"

enum opt_kind {
    K_COUNT,     /* whole number, k/m suffixes */
    K_RATE,      /* per second, k/m suffixes */
    K_SIZE,      /* bytes, k/KiB/M/MiB suffixes */
    K_DURATION,  /* 10, 10s, 500ms, 2m */
    K_FLAG,      /* no value: sets a bool */
    K_FILE,      /* a path */
    K_SOURCE,    /* an IPv4 or IPv6 address or range */
    K_TIME,      /* a wall-clock time: Unix seconds or RFC 3339 */
    K_HELP,
    K_VERSION,
};

#define M_ECHO    (1u << TL_MODE_ECHO)
#define M_CONNECT (1u << TL_MODE_CONNECT)
#define M_HOLD    (1u << TL_MODE_HOLD)
#define M_STREAM  (1u << TL_MODE_STREAM)
#define M_RUN     (M_ECHO | M_CONNECT | M_HOLD | M_STREAM)
#define M_MERGE   (1u << 8)  /* `tcpload merge` */
#define M_ALL     (M_RUN | M_MERGE)

#define F(field) offsetof(struct tl_opts, field)
#define SEC CLOCK_NS_PER_SEC
#define MAX_DURATION (168 * 3600 * SEC)

struct opt_def {
    struct args_opt arg;    /* spellings; takes_value follows from kind (ROW) */
    enum opt_kind kind;
    unsigned modes;         /* modes that use it */
    size_t field;           /* offset in struct tl_opts */
    uint64_t min, max;      /* numeric range */
};

/* One row; whether the option takes a value follows from its kind. */
#define ROW(name, short_name, kind, modes, field, min, max)                  \
    { { name, short_name, (kind) != K_FLAG && (kind) != K_HELP &&            \
        (kind) != K_VERSION }, kind, modes, field, min, max }

static const struct opt_def defs[] = {
    ROW("--connections",  'c', K_COUNT,    M_RUN,             F(conns), 1, 1000000),
    ROW("--threads",      't', K_COUNT,    M_RUN,             F(threads), 1, 256),
    ROW("--duration",     'd', K_DURATION, M_RUN,             F(duration_ns), CLOCK_NS_PER_MS, MAX_DURATION),
    ROW("--warmup",       0,   K_DURATION, M_ECHO | M_CONNECT | M_STREAM, F(warmup_ns), 0, MAX_DURATION),
    ROW("--timeout",      0,   K_DURATION, M_RUN,             F(timeout_ns), CLOCK_NS_PER_MS, 3600 * SEC),
    ROW("--size",         's', K_SIZE,     M_ECHO,            F(size), 1, 64 << 20),
    ROW("--response-size", 0,  K_SIZE,     M_ECHO,            F(response_size), 1, 64 << 20),
    ROW("--payload",      0,   K_FILE,     M_ECHO,            F(payload_file), 0, 0),
    ROW("--pipeline",     0,   K_COUNT,    M_ECHO,            F(pipeline), 1, 4096),
    ROW("--rate",         'R', K_RATE,     M_ECHO | M_CONNECT, F(rate), 1, 1000000000),
    ROW("--send",         0,   K_SIZE,     M_CONNECT,         F(send), 0, 64 << 20),
    ROW("--expect",       0,   K_SIZE,     M_CONNECT,         F(expect), 0, 64 << 20),
    ROW("--source",       0,   K_SOURCE,   M_CONNECT | M_HOLD, F(source), 0, 0),
    ROW("--linger0",      0,   K_FLAG,     M_CONNECT | M_HOLD, F(linger0), 0, 0),
    ROW("--connect-rate", 0,   K_RATE,     M_HOLD,            F(connect_rate), 1, 1000000000),
    ROW("--ping-interval", 0,   K_DURATION, M_HOLD,            F(ping_interval_ns), CLOCK_NS_PER_MS, 3600 * SEC),
    ROW("--json",         0,   K_FLAG,     M_ALL,             F(json), 0, 0),
    ROW("--progress",     0,   K_FLAG,     M_RUN,             F(progress), 0, 0),
    ROW("--histogram",    0,   K_FILE,     M_ALL,             F(histogram), 0, 0),
    ROW("--start-at",     0,   K_TIME,     M_RUN,             F(start_at_ns), 0, 0),
    ROW("--interval",     0,   K_DURATION, M_RUN,             F(interval_ns), 100 * CLOCK_NS_PER_MS, 3600 * SEC),
    ROW("--slack",        0,   K_DURATION, M_ECHO,            F(slack_ns), 0, CLOCK_NS_PER_SEC),
    ROW("--help",         'h', K_HELP,     M_ALL,             0, 0, 0),
    ROW("--version",      0,   K_VERSION,  M_ALL,             0, 0, 0),
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static const char *const mode_names[] = {
    [TL_MODE_ECHO] = "echo", [TL_MODE_CONNECT] = "connect", [TL_MODE_HOLD] = "hold",
    [TL_MODE_STREAM] = "stream",
};
#define NMODES (sizeof(mode_names) / sizeof(mode_names[0]))

const char *tl_opts_mode_name(enum tl_mode mode)
{
    return mode_names[mode];
}

const struct args_opt *tl_opts_flag(size_t i)
{
    return i < NDEFS ? &defs[i].arg : NULL;
}

/* Parser state: how each option was spelled (NULL: not given). */
struct parse_state {
    const char *spelled[NDEFS];
    char spelling[NDEFS][40];
    int have_mode, have_target;
    struct args_msg msg;    /* "tcpload: ...", returning TL_OPTS_ERROR */
};

static void set_defaults(struct tl_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->conns = 10;
    o->threads = 1;
    o->size = 64;
    o->pipeline = 1;
    o->duration_ns = 10 * SEC;
    o->warmup_ns = 1 * SEC;
    o->timeout_ns = 5 * SEC;
    o->expect_eof = true;
    o->slack_ns = TL_SLACK_NS;
    o->argc = argc;
    o->argv = argv;
}

/* A range bound of a duration option, for its message: "0", "100ms",
 * "1s", "168h". */
static const char *dur_text(char buf[16], uint64_t ns)
{
    static const struct { uint64_t div; const char *unit; } units[] = {
        { 3600 * SEC, "h" }, { SEC, "s" }, { CLOCK_NS_PER_MS, "ms" }, { 1, "ns" },
    };
    size_t i = 0;

    while (ns != 0 && ns % units[i].div != 0)
        i++;
    if (ns == 0)
        return strcpy(buf, "0");
    snprintf(buf, 16, "%lu%s", (unsigned long)(ns / units[i].div), units[i].unit);
    return buf;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Reads exactly n digits at *s into *v, advancing *s.  Returns 0 or -1. */
static int digits(const char **s, int n, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*s)++) {
        if (**s < '0' || **s > '9')
            return -1;
        *v = *v * 10 + (unsigned)(**s - '0');
    }
    return 0;
}

/* Optional fraction ".ddd" (up to 9 digits) into ns, advancing *s. */
static int fraction(const char **s, uint64_t *ns)
{
    uint64_t scale = SEC / 10;

    *ns = 0;
    if (**s != '.')
        return 0;
    (*s)++;
    if (**s < '0' || **s > '9')
        return -1;
    for (; **s >= '0' && **s <= '9'; (*s)++, scale /= 10)
        *ns += (uint64_t)(**s - '0') * scale;
    return 0;
}

int tl_opts_parse_time(const char *s, uint64_t *out_ns)
{
    unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
    uint64_t frac;
    int sign = 0;

    if (strchr(s, '-') == NULL || *s == '-') { /* Unix seconds */
        uint64_t whole = 0;
        if (*s < '0' || *s > '9')
            return -1;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (whole > 100000000000ULL)
                return -1;
            whole = whole * 10 + (uint64_t)(*s - '0');
        }
        if (fraction(&s, &frac) < 0 || *s != '\0' || whole == 0)
            return -1;
        *out_ns = whole * SEC + frac;
        return 0;
    }
    if (digits(&s, 4, &y) < 0 || *s++ != '-' || digits(&s, 2, &mo) < 0 || *s++ != '-' ||
        digits(&s, 2, &d) < 0 || (*s != 'T' && *s != 't' && *s != ' ') || !*s++ ||
        digits(&s, 2, &h) < 0 || *s++ != ':' || digits(&s, 2, &mi) < 0 || *s++ != ':' ||
        digits(&s, 2, &sec) < 0 || fraction(&s, &frac) < 0)
        return -1;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s++ == '-' ? -1 : 1;
        if (digits(&s, 2, &oh) < 0 || *s++ != ':' || digits(&s, 2, &om) < 0 || oh > 23 ||
            om > 59)
            return -1;
    } else {
        return -1;
    }
    if (*s != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || sec > 60)
        return -1;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
                sign * (int64_t)(oh * 3600 + om * 60);
    if (t <= 0)
        return -1;
    *out_ns = (uint64_t)t * SEC + frac;
    return 0;
}

/* Stores one option's value; flag is the option as spelled. */
static enum tl_opts_result set_value(struct parse_state *ps, struct tl_opts *o,
                                     const struct opt_def *d, const char *flag,
                                     const char *v)
{
    void *field = (char *)o + d->field;
    uint64_t u;

    switch (d->kind) {
    case K_COUNT:
        if (parse_count(v, d->min, d->max, &u) < 0)
            return args_fail(&ps->msg, flag, "expected a whole number from %lu to %lu, got '%s'",
                             (unsigned long)d->min, (unsigned long)d->max, v);
        break;
    case K_RATE:
        if (parse_count(v, d->min, d->max, &u) < 0)
            return args_fail(&ps->msg, flag, "expected a rate per second from %lu to %lu "
                             "(k and m suffixes allowed), got '%s'",
                             (unsigned long)d->min, (unsigned long)d->max, v);
        break;
    case K_SIZE:
        if (parse_size(v, d->min, d->max, &u) < 0)
            return args_fail(&ps->msg, flag, "expected a size in bytes from %lu to 64MiB "
                             "(k, KiB, M, MiB suffixes allowed), got '%s'",
                             (unsigned long)d->min, v);
        break;
    case K_DURATION:
        if (parse_duration(v, &u) < 0 || u < d->min || u > d->max) {
            char lo[16], hi[16];
            return args_fail(&ps->msg, flag, "expected a duration from %s to %s such as "
                             "10, 10s, 500ms or 2m, got '%s'", dur_text(lo, d->min),
                             dur_text(hi, d->max), v);
        }
        break;
    case K_TIME:
        if (tl_opts_parse_time(v, &u) < 0)
            return args_fail(&ps->msg, flag, "expected a time as Unix seconds "
                             "(1767225600) or RFC 3339 (2026-01-01T00:00:00Z), got '%s'", v);
        break;
    case K_SOURCE:
        if (tl_source_parse(v, (struct tl_source *)field) < 0)
            return args_fail(&ps->msg, flag, "expected an IPv4 or IPv6 address or range such "
                             "as 127.0.0.2-127.0.0.254 or fd00::2-fd00::ff, got '%s'", v);
        return TL_OPTS_RUN;
    case K_FILE:
        if (*v == '\0')
            return args_fail(&ps->msg, flag, "expected a file name, got ''");
        *(const char **)field = v;
        return TL_OPTS_RUN;
    case K_FLAG:
        *(bool *)field = true;
        return TL_OPTS_RUN;
    case K_HELP:
        return TL_OPTS_HELP;
    case K_VERSION:
        return TL_OPTS_VERSION;
    }
    *(uint64_t *)field = u;
    return TL_OPTS_RUN;
}

/* Says why HOST:PORT arg cannot be used: its syntax, or why the lookup of
 * its name failed (errno from parse_resolve). */
static enum tl_opts_result target_error(struct parse_state *ps, const char *arg)
{
    if (errno == EINVAL || errno == ERANGE)
        return args_fail(&ps->msg, "HOST:PORT", "expected an address such as "
                         "127.0.0.1:7007, [::1]:7007 or a host name, with a port from 1 "
                         "to 65535, got '%s'", arg);
    return args_fail(&ps->msg, "HOST:PORT", "'%s': %s", arg, parse_strerror(errno));
}

/* Handles the positional arguments: MODE, then HOST:PORT. */
static enum tl_opts_result positional(struct parse_state *ps, struct tl_opts *o,
                                      const char *arg)
{
    if (o->merge) {
        if (o->nfiles == TL_MERGE_MAX)
            return args_fail(&ps->msg, NULL, "'%s': at most %d files", arg, TL_MERGE_MAX);
        o->files[o->nfiles++] = arg;
        return TL_OPTS_RUN;
    }
    if (!ps->have_mode) {
        if (strcmp(arg, "merge") == 0) {
            o->merge = true;
            ps->have_mode = 1;
            return TL_OPTS_RUN;
        }
        for (int m = 0; m < (int)NMODES; m++)
            if (strcmp(arg, mode_names[m]) == 0) {
                o->mode = (enum tl_mode)m;
                ps->have_mode = 1;
                return TL_OPTS_RUN;
            }
        return args_fail(&ps->msg, NULL,
                         "'%s': unknown mode (expected echo, connect, hold, stream or merge)", arg);
    }
    if (!ps->have_target) {
        if (parse_resolve(arg, &o->addr, &o->addr_len) < 0)
            return target_error(ps, arg);
        if ((o->addr.ss_family == AF_INET &&
             ((struct sockaddr_in *)&o->addr)->sin_port == 0) ||
            (o->addr.ss_family == AF_INET6 &&
             ((struct sockaddr_in6 *)&o->addr)->sin6_port == 0))
            return args_fail(&ps->msg, "HOST:PORT",
                             "expected a port from 1 to 65535, got '%s'", arg);
        o->target = arg;
        ps->have_target = 1;
        return TL_OPTS_RUN;
    }
    return args_fail(&ps->msg, NULL,
                     "'%s': unexpected argument (one MODE and one HOST:PORT)", arg);
}

/* Handles an option event of the driver, or its error.  Messages name the
 * flag as spelled, cut to "-c" or "--" and 30 letters; a known option's
 * spelling is kept for the checks that follow argv. */
static enum tl_opts_result option(struct parse_state *ps, struct tl_opts *o,
                                  const struct args *a, enum args_kind kind)
{
    char flag[sizeof(ps->spelling[0])];

    snprintf(flag, sizeof(flag), "%.32s", a->flag);
    if (kind == ARGS_UNKNOWN)
        return args_fail(&ps->msg, flag, "unknown option (see tcpload --help)");
    if (kind == ARGS_NO_VALUE)
        return args_fail(&ps->msg, flag, "takes no value");
    if (kind == ARGS_NEEDS_VALUE)
        return args_fail(&ps->msg, flag, "expected a value");
    memcpy(ps->spelling[a->index], flag, sizeof(flag));
    ps->spelled[a->index] = ps->spelling[a->index];
    return set_value(ps, o, &defs[a->index], flag, a->value);
}

/* How the option named name ("--threads") was spelled, or NULL when it
 * was not given. */
static const char *given(const struct parse_state *ps, const char *name)
{
    for (size_t k = 0; k < NDEFS; k++)
        if (strcmp(defs[k].arg.name, name) == 0)
            return ps->spelled[k];
    return NULL;
}

/* Checks `tcpload merge`: files given, only merge's options. */
static enum tl_opts_result check_merge(struct parse_state *ps, struct tl_opts *o)
{
    for (size_t k = 0; k < NDEFS; k++)
        if (ps->spelled[k] != NULL && !(defs[k].modes & M_MERGE))
            return args_fail(&ps->msg, ps->spelled[k], "not used by merge");
    if (o->nfiles == 0)
        return args_fail(&ps->msg, NULL, "merge: expected one or more files written by "
                         "tcpload --json");
    return TL_OPTS_RUN;
}

/* Checks what only makes sense once every option and the mode are known. */
static enum tl_opts_result check(struct parse_state *ps, struct tl_opts *o)
{
    if (!ps->have_mode)
        return args_fail(&ps->msg, NULL,
                         "missing MODE (echo, connect, hold, stream or merge); see tcpload --help");
    if (o->merge)
        return check_merge(ps, o);
    if (!ps->have_target)
        return args_fail(&ps->msg, NULL, "missing HOST:PORT, such as 127.0.0.1:7007");
    for (size_t k = 0; k < NDEFS; k++)
        if (ps->spelled[k] != NULL && !(defs[k].modes & (1u << o->mode)))
            return args_fail(&ps->msg, ps->spelled[k], "not used in %s mode",
                             mode_names[o->mode]);
    if (o->threads > o->conns)
        return args_fail(&ps->msg, given(ps, "--threads"),
                         "expected at most as many threads as connections (%lu), got %lu",
                         (unsigned long)o->conns, (unsigned long)o->threads);
    if (given(ps, "--pipeline") && o->rate != 0)
        return args_fail(&ps->msg, given(ps, "--pipeline"), "cannot be combined with %s "
                         "(an open loop sends on schedule, not on replies)",
                         given(ps, "--rate"));
    if (o->source.count > 0 && o->addr.ss_family != o->source.family)
        return args_fail(&ps->msg, given(ps, "--source"), "%s source addresses need an %s "
                         "HOST:PORT", o->source.family == AF_INET ? "IPv4" : "IPv6",
                         o->source.family == AF_INET ? "IPv4" : "IPv6");
    if (given(ps, "--payload") && given(ps, "--size"))
        return args_fail(&ps->msg, given(ps, "--size"), "cannot be combined with %s (the "
                         "file's size is the message size)", given(ps, "--payload"));
    if (given(ps, "--expect"))
        o->expect_eof = false;
    if (o->mode == TL_MODE_HOLD)
        o->warmup_ns = 0;
    if (!given(ps, "--slack") && o->rate != 0 &&
        (unsigned __int128)TL_SLACK_MSGS * SEC * o->threads < (unsigned __int128)TL_SLACK_NS * o->rate)
        o->slack_ns = TL_SLACK_MSGS * SEC * o->threads / o->rate;
    return TL_OPTS_RUN;
}

enum tl_opts_result tl_opts_parse(struct tl_opts *o, int argc, char **argv,
                                  char *err, size_t errlen)
{
    struct parse_state ps;
    struct args a;
    enum args_kind kind;

    memset(&ps, 0, sizeof(ps));
    ps.msg = (struct args_msg){ err, errlen, "tcpload", TL_OPTS_ERROR };
    set_defaults(o, argc, argv);
    args_init(&a, argc, argv, ARGS_TABLE(defs, arg), ARGS_DOUBLE_DASH);
    while ((kind = args_next(&a)) != ARGS_END) {
        enum tl_opts_result r = kind == ARGS_POSITIONAL ? positional(&ps, o, a.arg)
                                                        : option(&ps, o, &a, kind);
        if (r != TL_OPTS_RUN)
            return r;
    }
    return check(&ps, o);
}

void tl_opts_usage(FILE *f)
{
    fputs(
"usage: tcpload MODE HOST:PORT [options]\n"
"       tcpload merge FILE... [--json] [--histogram FILE]\n"
"\n"
"Load generator for TCP servers: messages per second and latency (echo),\n"
"connections per second (connect), many idle connections (hold), bulk\n"
"transfer (stream).\n"
"\n"
"Modes:\n"
"  echo     CONNS connections each send SIZE-byte messages and check every\n"
"           echoed byte; closed loop (wait for each reply, or keep --pipeline\n"
"           K in flight) or open loop (-R RATE messages/s in total, latency\n"
"           measured from each message's scheduled send time)\n"
"             tcpload echo 127.0.0.1:7007 -c 100 -s 64 -d 10s\n"
"             tcpload echo 127.0.0.1:7007 -c 100 -R 50k -d 10s\n"
"  connect  transactions: connect, send --send bytes, read --expect bytes or\n"
"           until the server closes, close; CONNS in flight at once\n"
"             tcpload connect 127.0.0.1:7007 -c 50 -d 5s    (hello-and-close server)\n"
"             tcpload connect 127.0.0.1:7007 --send 64 --expect 64 --rate 20k \\\n"
"                     --source 127.0.0.2-127.0.0.254 --linger0\n"
"  hold     open CONNS connections (at --connect-rate), keep them open and\n"
"           idle for DURATION, optionally pinging each; report opened/held/lost\n"
"             tcpload hold 127.0.0.1:7007 -c 10k --connect-rate 2k -d 30s\n"
"  stream   CONNS connections each write the pattern as fast as the server\n"
"           takes it (a discard server, or any sink; an echo's replies are\n"
"           checked), MB/s in total and, with --interval, per interval\n"
"             tcpload stream 127.0.0.1:7009 -c 4 -d 10s --interval 1s\n"
"  merge    one report from the --json output of several runs (one mode, one\n"
"           message size): counts and rates summed, percentiles from the\n"
"           merged histograms, one row per run\n"
"             tcpload merge host1.json host2.json\n"
"\n"
"Options (all modes):\n"
"  -c, --connections N   connections, or transactions in flight (default 10)\n"
"  -t, --threads N       threads, each with its own epoll loop (default 1)\n"
"  -d, --duration D      measured time, or hold time (default 10s)\n"
"      --timeout D       longest wait for a connect, a transaction or the\n"
"                        last replies at the end (default 5s)\n"
"      --start-at TIME   connect, warm up, and start measuring at this\n"
"                        wall-clock time: Unix seconds or RFC 3339 (runs on\n"
"                        several machines then measure the same window)\n"
"      --interval D      a line per interval D (100ms..1h): its rate and\n"
"                        latency; with --json, JSON Lines before the summary\n"
"      --json            print the summary as one JSON object (merge reads it)\n"
"      --progress        a progress line each second on stderr even when it\n"
"                        is not a terminal\n"
"      --histogram FILE  write the main latency distribution in HdrHistogram's\n"
"                        percentile format (.hgrm, microseconds) to FILE\n"
"  -h, --help            this text;  --version  the version\n"
"echo:\n"
"  -s, --size BYTES      message size (default 64)\n"
"      --payload FILE    every message is FILE's bytes (its size: at most 64MiB)\n"
"                        instead of a slice of the check pattern\n"
"      --response-size BYTES  the server answers each message with BYTES bytes\n"
"                        of its own, not an echo (nothing is compared)\n"
"      --pipeline K      messages in flight per connection, closed loop (default 1)\n"
"  -R, --rate RATE       open loop: messages per second in total\n"
"      --slack D         open loop: one wakeup sends the messages due within D,\n"
"                        ahead of time (default: the time 8 of a thread's\n"
"                        messages take, at most 200us); latency counts from the\n"
"                        scheduled time, or from the send when that was earlier\n"
"      --warmup D        run this long before measuring (default 1s)\n"
"connect:\n"
"      --send BYTES      bytes to send after connecting (default 0)\n"
"      --expect BYTES    bytes to read, then close (default: read until EOF)\n"
"  -R, --rate RATE       at most RATE transactions per second\n"
"      --warmup D        run this long before measuring (default 1s)\n"
"      --source A[-B]    spread connections over source addresses A..B (IPv4,\n"
"                        or IPv6 varying in the last 32 bits)\n"
"      --linger0         close with a reset (no TIME_WAIT)\n"
"hold:\n"
"      --connect-rate R  connections opened per second (default: all at once)\n"
"      --ping-interval D send one byte on each connection every D\n"
"      --source A[-B], --linger0   as for connect\n"
"stream:\n"
"      --warmup D        run this long before measuring (default 1s)\n"
"\n"
"Durations: 10, 10s, 500ms, 2m.  Counts and rates: 10k, 2m (million).\n"
"Sizes: 64, 16k, 1MiB.  SIGINT or SIGTERM ends the run early, with a report.\n"
"Exit status: 0 run completed, 1 data corrupted, messages unanswered, no\n"
"connection made or a merge input unusable, 2 bad usage.\n", f);
}
