/* tl_opts.c - tcpload's command line (see tl_opts.h).
 *
 * One table describes every option: its spellings, the kind of value it
 * takes, its range, the modes that use it and the field it fills.  Parsing
 * walks argv once (options may come before or after the positional MODE and
 * HOST:PORT), remembers how each option was spelled, and checks the
 * combinations once the mode is known.
 */
#include "tl_opts.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "clock.h"
#include "parse.h"

enum opt_kind {
    K_COUNT,     /* whole number, k/m suffixes */
    K_RATE,      /* per second, k/m suffixes */
    K_SIZE,      /* bytes, k/KiB/M/MiB suffixes */
    K_DURATION,  /* 10, 10s, 500ms, 2m */
    K_FLAG,      /* no value: sets a bool */
    K_FILE,      /* a path */
    K_SOURCE,    /* an IPv4 address or range */
    K_HELP,
    K_VERSION,
};

#define M_ECHO    (1u << TL_MODE_ECHO)
#define M_CONNECT (1u << TL_MODE_CONNECT)
#define M_HOLD    (1u << TL_MODE_HOLD)
#define M_ALL     (M_ECHO | M_CONNECT | M_HOLD)

#define F(field) offsetof(struct tl_opts, field)
#define SEC CLOCK_NS_PER_SEC
#define MAX_DURATION (168 * 3600 * SEC)

struct opt_def {
    char short_name;        /* 0: long form only */
    const char *long_name;
    enum opt_kind kind;
    unsigned modes;         /* modes that use it */
    size_t field;           /* offset in struct tl_opts */
    uint64_t min, max;      /* numeric range */
};

static const struct opt_def defs[] = {
    { 'c', "connections",   K_COUNT,    M_ALL,             F(conns), 1, 1000000 },
    { 't', "threads",       K_COUNT,    M_ALL,             F(threads), 1, 256 },
    { 'd', "duration",      K_DURATION, M_ALL,             F(duration_ns), CLOCK_NS_PER_MS, MAX_DURATION },
    { 0,   "warmup",        K_DURATION, M_ECHO | M_CONNECT, F(warmup_ns), 0, MAX_DURATION },
    { 0,   "timeout",       K_DURATION, M_ALL,             F(timeout_ns), CLOCK_NS_PER_MS, 3600 * SEC },
    { 's', "size",          K_SIZE,     M_ECHO,            F(size), 1, 64 << 20 },
    { 0,   "pipeline",      K_COUNT,    M_ECHO,            F(pipeline), 1, 4096 },
    { 'R', "rate",          K_RATE,     M_ECHO | M_CONNECT, F(rate), 1, 1000000000 },
    { 0,   "send",          K_SIZE,     M_CONNECT,         F(send), 0, 64 << 20 },
    { 0,   "expect",        K_SIZE,     M_CONNECT,         F(expect), 0, 64 << 20 },
    { 0,   "source",        K_SOURCE,   M_CONNECT | M_HOLD, F(source), 0, 0 },
    { 0,   "linger0",       K_FLAG,     M_CONNECT | M_HOLD, F(linger0), 0, 0 },
    { 0,   "connect-rate",  K_RATE,     M_HOLD,            F(connect_rate), 1, 1000000000 },
    { 0,   "ping-interval", K_DURATION, M_HOLD,            F(ping_interval_ns), CLOCK_NS_PER_MS, 3600 * SEC },
    { 0,   "json",          K_FLAG,     M_ALL,             F(json), 0, 0 },
    { 0,   "progress",      K_FLAG,     M_ALL,             F(progress), 0, 0 },
    { 0,   "histogram",     K_FILE,     M_ALL,             F(histogram), 0, 0 },
    { 'h', "help",          K_HELP,     M_ALL,             0, 0, 0 },
    { 0,   "version",       K_VERSION,  M_ALL,             0, 0, 0 },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static const char *const mode_names[] = {
    [TL_MODE_ECHO] = "echo", [TL_MODE_CONNECT] = "connect", [TL_MODE_HOLD] = "hold",
};

const char *tl_opts_mode_name(enum tl_mode mode)
{
    return mode_names[mode];
}

/* Parser state: how each option was spelled (NULL: not given). */
struct parse_state {
    const char *spelled[NDEFS];
    char spelling[NDEFS][40];
    int have_mode, have_target;
    char *err;
    size_t errlen;
};

static enum tl_opts_result fail(struct parse_state *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum tl_opts_result fail(struct parse_state *ps, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(ps->err, ps->errlen, "tcpload: ");

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < ps->errlen)
        vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return TL_OPTS_ERROR;
}

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
    o->argc = argc;
    o->argv = argv;
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
            return fail(ps, "%s: expected a whole number from %lu to %lu, got '%s'",
                        flag, (unsigned long)d->min, (unsigned long)d->max, v);
        break;
    case K_RATE:
        if (parse_count(v, d->min, d->max, &u) < 0)
            return fail(ps, "%s: expected a rate per second from %lu to %lu "
                        "(k and m suffixes allowed), got '%s'",
                        flag, (unsigned long)d->min, (unsigned long)d->max, v);
        break;
    case K_SIZE:
        if (parse_size(v, d->min, d->max, &u) < 0)
            return fail(ps, "%s: expected a size in bytes from %lu to 64MiB "
                        "(k, KiB, M, MiB suffixes allowed), got '%s'",
                        flag, (unsigned long)d->min, v);
        break;
    case K_DURATION:
        if (parse_duration(v, &u) < 0 || u < d->min || u > d->max)
            return fail(ps, "%s: expected a duration from %s to %s such as 10, "
                        "10s, 500ms or 2m, got '%s'", flag,
                        d->min == 0 ? "0" : "1ms",
                        d->max == MAX_DURATION ? "168h" : "1h", v);
        break;
    case K_SOURCE:
        if (tl_source_parse(v, (struct tl_source *)field) < 0)
            return fail(ps, "%s: expected an IPv4 address or range such as "
                        "127.0.0.2-127.0.0.254, got '%s'", flag, v);
        return TL_OPTS_RUN;
    case K_FILE:
        if (*v == '\0')
            return fail(ps, "%s: expected a file name, got ''", flag);
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

static const struct opt_def *find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (strlen(defs[i].long_name) == len && strncmp(defs[i].long_name, name, len) == 0)
            return &defs[i];
    return NULL;
}

static const struct opt_def *find_short(char c)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (defs[i].short_name == c)
            return &defs[i];
    return NULL;
}

/* Handles the positional arguments: MODE, then HOST:PORT. */
static enum tl_opts_result positional(struct parse_state *ps, struct tl_opts *o,
                                      const char *arg)
{
    if (!ps->have_mode) {
        for (int m = 0; m < (int)(sizeof(mode_names) / sizeof(mode_names[0])); m++)
            if (strcmp(arg, mode_names[m]) == 0) {
                o->mode = (enum tl_mode)m;
                ps->have_mode = 1;
                return TL_OPTS_RUN;
            }
        return fail(ps, "'%s': unknown mode (expected echo, connect or hold)", arg);
    }
    if (!ps->have_target) {
        if (parse_hostport(arg, &o->addr, &o->addr_len) < 0)
            return fail(ps, "HOST:PORT: expected an address such as 127.0.0.1:7007 "
                        "or [::1]:7007, got '%s'", arg);
        if ((o->addr.ss_family == AF_INET &&
             ((struct sockaddr_in *)&o->addr)->sin_port == 0) ||
            (o->addr.ss_family == AF_INET6 &&
             ((struct sockaddr_in6 *)&o->addr)->sin6_port == 0))
            return fail(ps, "HOST:PORT: expected a port from 1 to 65535, got '%s'", arg);
        o->target = arg;
        ps->have_target = 1;
        return TL_OPTS_RUN;
    }
    return fail(ps, "'%s': unexpected argument (one MODE and one HOST:PORT)", arg);
}

/* Handles argv[*i], an option; may consume argv[*i + 1] as its value. */
static enum tl_opts_result option(struct parse_state *ps, struct tl_opts *o,
                                  int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *value = NULL, *eq = NULL;
    const struct opt_def *d;
    char flag[40];

    if (arg[1] == '-') {
        eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        d = find_long(arg + 2, len);
        snprintf(flag, sizeof(flag), "--%.*s", (int)(len > 30 ? 30 : len), arg + 2);
        if (eq != NULL)
            value = eq + 1;
    } else {
        d = find_short(arg[1]);
        snprintf(flag, sizeof(flag), "-%c", arg[1]);
        if (arg[2] != '\0')
            value = arg + 2;
    }
    if (d == NULL)
        return fail(ps, "%s: unknown option (see tcpload --help)", flag);
    int takes_value = d->kind != K_FLAG && d->kind != K_HELP && d->kind != K_VERSION;
    if (!takes_value && value != NULL)
        return fail(ps, "%s: takes no value", flag);
    if (takes_value && value == NULL) {
        if (*i + 1 >= argc)
            return fail(ps, "%s: expected a value", flag);
        value = argv[++*i];
    }
    size_t k = (size_t)(d - defs);
    snprintf(ps->spelling[k], sizeof(ps->spelling[k]), "%s", flag);
    ps->spelled[k] = ps->spelling[k];
    return set_value(ps, o, d, flag, value);
}

static const char *given(const struct parse_state *ps, const char *long_name)
{
    return ps->spelled[find_long(long_name, strlen(long_name)) - defs];
}

/* Checks what only makes sense once every option and the mode are known. */
static enum tl_opts_result check(struct parse_state *ps, struct tl_opts *o)
{
    if (!ps->have_mode)
        return fail(ps, "missing MODE (echo, connect or hold); see tcpload --help");
    if (!ps->have_target)
        return fail(ps, "missing HOST:PORT, such as 127.0.0.1:7007");
    for (size_t k = 0; k < NDEFS; k++)
        if (ps->spelled[k] != NULL && !(defs[k].modes & (1u << o->mode)))
            return fail(ps, "%s: not used in %s mode", ps->spelled[k],
                        mode_names[o->mode]);
    if (o->threads > o->conns)
        return fail(ps, "%s: expected at most as many threads as connections (%lu), "
                    "got %lu", given(ps, "threads"), (unsigned long)o->conns,
                    (unsigned long)o->threads);
    if (given(ps, "pipeline") && o->rate != 0)
        return fail(ps, "%s: cannot be combined with %s (an open loop sends on "
                    "schedule, not on replies)", given(ps, "pipeline"), given(ps, "rate"));
    if (o->source.count > 0 && o->addr.ss_family != AF_INET)
        return fail(ps, "%s: IPv4 source addresses need an IPv4 HOST:PORT",
                    given(ps, "source"));
    if (given(ps, "expect"))
        o->expect_eof = false;
    if (o->mode == TL_MODE_HOLD)
        o->warmup_ns = 0;
    return TL_OPTS_RUN;
}

enum tl_opts_result tl_opts_parse(struct tl_opts *o, int argc, char **argv,
                                  char *err, size_t errlen)
{
    struct parse_state ps;
    int only_positional = 0;

    memset(&ps, 0, sizeof(ps));
    ps.err = err;
    ps.errlen = errlen;
    set_defaults(o, argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        enum tl_opts_result r;
        if (!only_positional && strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (!only_positional && arg[0] == '-' && arg[1] != '\0')
            r = option(&ps, o, argc, argv, &i);
        else
            r = positional(&ps, o, arg);
        if (r != TL_OPTS_RUN)
            return r;
    }
    return check(&ps, o);
}

void tl_opts_usage(FILE *f)
{
    fputs(
"usage: tcpload MODE HOST:PORT [options]\n"
"\n"
"Load generator for TCP servers: messages per second and latency (echo),\n"
"connections per second (connect), many idle connections (hold).\n"
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
"\n"
"Options (all modes):\n"
"  -c, --connections N   connections, or transactions in flight (default 10)\n"
"  -t, --threads N       threads, each with its own epoll loop (default 1)\n"
"  -d, --duration D      measured time, or hold time (default 10s)\n"
"      --timeout D       longest wait for a connect, a transaction or the\n"
"                        last replies at the end (default 5s)\n"
"      --json            print the summary as one JSON object\n"
"      --progress        a progress line each second on stderr even when it\n"
"                        is not a terminal\n"
"      --histogram FILE  write the latency distribution (value_us count\n"
"                        percentile) to FILE\n"
"  -h, --help            this text;  --version  the version\n"
"echo:\n"
"  -s, --size BYTES      message size (default 64)\n"
"      --pipeline K      messages in flight per connection, closed loop (default 1)\n"
"  -R, --rate RATE       open loop: messages per second in total\n"
"      --warmup D        run this long before measuring (default 1s)\n"
"connect:\n"
"      --send BYTES      bytes to send after connecting (default 0)\n"
"      --expect BYTES    bytes to read, then close (default: read until EOF)\n"
"  -R, --rate RATE       at most RATE transactions per second\n"
"      --warmup D        run this long before measuring (default 1s)\n"
"      --source A[-B]    spread connections over IPv4 source addresses A..B\n"
"      --linger0         close with a reset (no TIME_WAIT)\n"
"hold:\n"
"      --connect-rate R  connections opened per second (default: all at once)\n"
"      --ping-interval D send one byte on each connection every D\n"
"      --source A[-B], --linger0   as for connect\n"
"\n"
"Durations: 10, 10s, 500ms, 2m.  Counts and rates: 10k, 2m (million).\n"
"Sizes: 64, 16k, 1MiB.  SIGINT or SIGTERM ends the run early, with a report.\n"
"Exit status: 0 run completed, 1 data corrupted or no connection could be\n"
"made, 2 bad usage.\n", f);
}
