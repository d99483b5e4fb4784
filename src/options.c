/* options.c - echod's command line (see options.h).
 *
 * One table lists every option: its spellings (long name, short letter,
 * whether it takes a value) and the setter that checks and stores its
 * value.  The shared driver of args.h splits "--flag=value" / "--flag
 * value" / "-w4" / "-w 4" and finds the row; this file turns each event
 * into a setter call or a message.  Every message goes through args_fail
 * and names the flag by its long name, so every message names its flag
 * the same way (an unknown one as it was spelled).
 */
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "clock.h"
#include "parse.h"
#include "ring.h"

#define BUFFER_MIN 64ULL
#define BUFFER_MAX (1ULL << 20)    /* a connection holds at most this: 1 MiB */
#define BUFFER_MEMORY_MAX (1ULL << 40)
#define SOCKBUF_MAX (64ULL << 20)  /* --sndbuf, --rcvbuf */
#define MAX_CONNS_MAX 100000000ULL
#define RATE_MAX 100000000ULL

/* What a setter works on: the options it fills, and where a message goes
 * with the flag it names. */
struct setting {
    struct options *o;
    const struct args_msg *msg;
    const char *flag;   /* the row's long name */
};

/* A setter stores value v (NULL for a row without one) into s->o, or
 * writes a message naming s->flag and returns -1. */
typedef int (*opt_set)(const struct setting *s, const char *v);

struct opt_def {
    struct args_opt arg;
    opt_set set;
};

static int get_count(const struct setting *s, const char *v, uint64_t min,
                     uint64_t max, uint64_t *out)
{
    if (parse_count(v, min, max, out) < 0)
        return args_fail(s->msg, s->flag, "expected a whole number from %llu to %llu, got '%s'",
                         (unsigned long long)min, (unsigned long long)max, v);
    return 0;
}

/* A duration in whole milliseconds at most max_ms (spelled max_text in
 * the message); a nonzero value below 1 ms becomes 1 ms so that it never
 * silently means "disabled", and one that overflows is out of range. */
static int get_ms(const struct setting *s, const char *v, uint64_t max_ms,
                  const char *max_text, uint64_t *out)
{
    if (parse_duration_ms(v, max_ms, out) == 0)
        return 0;
    if (errno == ERANGE)
        return args_fail(s->msg, s->flag, "expected a duration of at most %s, got '%s'",
                         max_text, v);
    return args_fail(s->msg, s->flag,
                     "expected a duration such as 0, 10, 10s, 500ms or 2m, got '%s'", v);
}

/* A name is looked up (parse_resolve); a syntax error gets the syntax
 * message, anything else its reason. */
static int set_listen(const struct setting *s, const char *v)
{
    if (parse_resolve(v, &s->o->addr, &s->o->addr_len) == 0) {
        s->o->listen_given = 1;
        return 0;
    }
    if (errno == EINVAL)
        return args_fail(s->msg, s->flag, "expected HOST:PORT such as 127.0.0.1:7007, "
                         "[::1]:7007, [fe80::1%%eth0]:7007 or localhost:7007, got '%s'", v);
    if (errno == ERANGE)
        return args_fail(s->msg, s->flag, "expected a port from 0 to 65535, got '%s'", v);
    return args_fail(s->msg, s->flag, "'%s': %s", v, parse_strerror(errno));
}

static int set_metrics(const struct setting *s, const char *v)
{
    if (parse_resolve(v, &s->o->metrics_addr, &s->o->metrics_addr_len) == 0)
        return 0;
    s->o->metrics_addr_len = 0;
    if (errno == EINVAL)
        return args_fail(s->msg, s->flag, "expected HOST:PORT such as 127.0.0.1:9107, got '%s'",
                         v);
    if (errno == ERANGE)
        return args_fail(s->msg, s->flag, "expected a port from 0 to 65535, got '%s'", v);
    return args_fail(s->msg, s->flag, "'%s': %s", v, parse_strerror(errno));
}

static int set_workers(const struct setting *s, const char *v)
{
    uint64_t n;

    if (get_count(s, v, 1, OPTIONS_MAX_WORKERS, &n) < 0)
        return -1;
    s->o->workers = (unsigned)n;
    return 0;
}

static int set_backlog(const struct setting *s, const char *v)
{
    uint64_t n;

    if (get_count(s, v, 0, INT_MAX, &n) < 0)
        return -1;
    s->o->backlog = (int)n;
    return 0;
}

static int set_buffer_size(const struct setting *s, const char *v)
{
    uint64_t n;

    if (parse_size(v, BUFFER_MIN, BUFFER_MAX, &n) < 0 || !ring_valid_capacity(n))
        return args_fail(s->msg, s->flag, "expected a power of two from 64 to 1MiB "
                         "(such as 4k, 16KiB, 1M), got '%s'", v);
    s->o->buffer_size = (uint32_t)n;
    return 0;
}

/* 0 while not given: options_parse then picks the default. */
static int set_buffer_memory(const struct setting *s, const char *v)
{
    if (parse_size(v, 1, BUFFER_MEMORY_MAX, &s->o->buffer_memory) < 0)
        return args_fail(s->msg, s->flag, "expected a size from 1 to 1TiB (such as 64M, "
                         "1GiB), got '%s'", v);
    return 0;
}

static int set_mode(const struct setting *s, const char *v)
{
    for (int m = OPTIONS_MODE_ECHO; m <= OPTIONS_MODE_HELLO; m++) {
        if (strcmp(v, options_mode_name(m)) == 0) {
            s->o->mode = m;
            return 0;
        }
    }
    return args_fail(s->msg, s->flag, "expected echo, discard or hello, got '%s'", v);
}

/* Decodes the escapes \n \r \t \\ so a banner can end in a newline. */
static int set_banner(const struct setting *s, const char *v)
{
    static const char from[] = "nrt\\", to[] = "\n\r\t\\";
    uint32_t n = 0;

    for (const char *p = v; *p != '\0'; p++) {
        char c = *p;
        if (c == '\\') {
            const char *hit = p[1] != '\0' ? strchr(from, p[1]) : NULL;
            if (hit == NULL)
                return args_fail(s->msg, s->flag,
                                 "unknown escape in '%s' (use \\n, \\r, \\t or \\\\)", v);
            c = to[hit - from];
            p++;
        }
        if (n == OPTIONS_BANNER_MAX)
            return args_fail(s->msg, s->flag, "longer than %d bytes", OPTIONS_BANNER_MAX);
        s->o->banner[n++] = c;
    }
    s->o->banner_len = n;
    return 0;
}

static int set_max_conns(const struct setting *s, const char *v)
{
    return get_count(s, v, 0, MAX_CONNS_MAX, &s->o->max_conns);
}

static int set_max_conns_per_ip(const struct setting *s, const char *v)
{
    return get_count(s, v, 0, MAX_CONNS_MAX, &s->o->max_conns_per_ip);
}

static int set_accept_rate(const struct setting *s, const char *v)
{
    return get_count(s, v, 0, RATE_MAX, &s->o->accept_rate);
}

/* Connections keep their last activity as 32-bit milliseconds, so the
 * timeout must stay below 2^31 ms (24 days). */
static int set_idle_timeout(const struct setting *s, const char *v)
{
    return get_ms(s, v, INT32_MAX, "596h", &s->o->idle_timeout_ms);
}

/* Both are stored as whole milliseconds beside 32-bit timestamps, as
 * --idle-timeout. */
static int set_write_timeout(const struct setting *s, const char *v)
{
    return get_ms(s, v, INT32_MAX, "596h", &s->o->write_timeout_ms);
}

static int set_max_lifetime(const struct setting *s, const char *v)
{
    return get_ms(s, v, INT32_MAX, "596h", &s->o->max_lifetime_ms);
}

/* A socket buffer cap: 0 (the kernel's autotuning) or 4k to 64MiB. */
static int get_sockbuf(const struct setting *s, const char *v, uint32_t *out)
{
    uint64_t n;

    if (parse_size(v, 0, SOCKBUF_MAX, &n) < 0 || (n != 0 && n < 4096))
        return args_fail(s->msg, s->flag, "expected 0 (the kernel's autotuning) or a size "
                         "from 4k to 64MiB, got '%s'", v);
    *out = (uint32_t)n;
    return 0;
}

static int set_sndbuf(const struct setting *s, const char *v)
{
    return get_sockbuf(s, v, &s->o->sndbuf);
}

static int set_rcvbuf(const struct setting *s, const char *v)
{
    return get_sockbuf(s, v, &s->o->rcvbuf);
}

static int set_grace(const struct setting *s, const char *v)
{
    return get_ms(s, v, OPTIONS_DURATION_MAX_MS, "24h", &s->o->grace_ms);
}

static int set_stats_interval(const struct setting *s, const char *v)
{
    return get_ms(s, v, OPTIONS_DURATION_MAX_MS, "24h", &s->o->stats_interval_ms);
}

/* Flags without a value: the row's setter receives NULL. */
#define FLAG_SETTER(fn, field)                          \
    static int fn(const struct setting *s, const char *v) \
    {                                                   \
        (void)v;                                        \
        s->o->field = 1;                                \
        return 0;                                       \
    }
FLAG_SETTER(set_nodelay, nodelay)
FLAG_SETTER(set_cpu_affinity, cpu_affinity)
FLAG_SETTER(set_json, json)
FLAG_SETTER(set_shared_listener, shared_listener)
FLAG_SETTER(set_proxy_protocol, proxy_protocol)
FLAG_SETTER(set_splice, splice)
FLAG_SETTER(set_help, help)
FLAG_SETTER(set_version, version)

static int set_no_nodelay(const struct setting *s, const char *v)
{
    (void)v;
    s->o->nodelay = 0;
    return 0;
}

static const struct opt_def opt_table[] = {
    { { "--listen",          'l', true },  set_listen },
    { { "--workers",         'w', true },  set_workers },
    { { "--backlog",         'b', true },  set_backlog },
    { { "--buffer-size",     0,   true },  set_buffer_size },
    { { "--buffer-memory",   0,   true },  set_buffer_memory },
    { { "--mode",            'm', true },  set_mode },
    { { "--banner",          0,   true },  set_banner },
    { { "--max-conns",       0,   true },  set_max_conns },
    { { "--idle-timeout",    0,   true },  set_idle_timeout },
    { { "--write-timeout",   0,   true },  set_write_timeout },
    { { "--max-lifetime",    0,   true },  set_max_lifetime },
    { { "--sndbuf",          0,   true },  set_sndbuf },
    { { "--rcvbuf",          0,   true },  set_rcvbuf },
    { { "--grace",           0,   true },  set_grace },
    { { "--stats-interval",  0,   true },  set_stats_interval },
    { { "--accept-rate",     0,   true },  set_accept_rate },
    { { "--metrics",         0,   true },  set_metrics },
    { { "--proxy-protocol",  0,   false }, set_proxy_protocol },
    { { "--max-conns-per-ip", 0,  true },  set_max_conns_per_ip },
    { { "--nodelay",         0,   false }, set_nodelay },
    { { "--no-nodelay",      0,   false }, set_no_nodelay },
    { { "--splice",          0,   false }, set_splice },
    { { "--cpu-affinity",    0,   false }, set_cpu_affinity },
    { { "--json",            0,   false }, set_json },
    { { "--shared-listener", 0,   false }, set_shared_listener },
    { { "--help",            'h', false }, set_help },
    { { "--version",         0,   false }, set_version },
};
#define NOPTS (sizeof(opt_table) / sizeof(opt_table[0]))

const struct args_opt *options_flag(size_t i)
{
    return i < NOPTS ? &opt_table[i].arg : NULL;
}

const char *options_mode_name(enum options_mode m)
{
    switch (m) {
    case OPTIONS_MODE_ECHO:    return "echo";
    case OPTIONS_MODE_DISCARD: return "discard";
    case OPTIONS_MODE_HELLO:   return "hello";
    }
    return "?";
}

/* The CPUs this process may run on (its affinity mask: taskset, a
 * container's cpuset), else the online CPUs when the mask cannot be read. */
static long usable_cpus(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        return CPU_COUNT(&set);
    return sysconf(_SC_NPROCESSORS_ONLN);
}

static void set_defaults(struct options *o)
{
    static const char banner[] = "Hello World!\n";
    long cpus = usable_cpus();

    memset(o, 0, sizeof(*o));
    /* The default is a valid literal, so this parse cannot fail. */
    parse_hostport(OPTIONS_DEFAULT_LISTEN, &o->addr, &o->addr_len);
    o->workers = cpus < 1 ? 1 : cpus > OPTIONS_MAX_WORKERS ? OPTIONS_MAX_WORKERS : (unsigned)cpus;
    o->backlog = 4096;
    o->buffer_size = 16384;
    o->mode = OPTIONS_MODE_ECHO;
    memcpy(o->banner, banner, sizeof(banner) - 1);
    o->banner_len = sizeof(banner) - 1;
    o->grace_ms = 5000;
    o->write_timeout_ms = OPTIONS_DEFAULT_WRITE_TIMEOUT_MS;
    o->sndbuf = OPTIONS_DEFAULT_SOCKBUF;
    o->rcvbuf = OPTIONS_DEFAULT_SOCKBUF;
    o->accept_rate = OPTIONS_RATE_UNLIMITED;
    o->nodelay = 1;
}

/* Each worker gets an equal share of --buffer-memory, which must hold one
 * --buffer-size buffer at least; unset, it is OPTIONS_BUFFER_MEMORY or one
 * buffer per worker, whichever is more.  Returns 0 or -1. */
static int check_buffer_memory(struct options *o, const struct args_msg *m)
{
    uint64_t least = (uint64_t)o->workers * o->buffer_size;

    if (o->buffer_memory == 0)
        o->buffer_memory = least > OPTIONS_BUFFER_MEMORY ? least : OPTIONS_BUFFER_MEMORY;
    if (o->buffer_memory < least)
        return args_fail(m, "--buffer-memory", "%llu bytes give each of %u workers less "
                         "than one --buffer-size %u buffer",
                         (unsigned long long)o->buffer_memory, o->workers, o->buffer_size);
    return 0;
}

/* Turns the driver's event kind into a setter call or a message in m.
 * Returns 0 or -1. */
static int apply(const struct args *a, enum args_kind kind, struct options *o,
                 const struct args_msg *m)
{
    switch (kind) {
    case ARGS_OPTION: {
        const struct opt_def *d = &opt_table[a->index];
        const struct setting s = { o, m, d->arg.name };
        return d->set(&s, a->value);
    }
    case ARGS_POSITIONAL:
        return args_fail(m, NULL, "'%s': unexpected argument (echod takes only options)",
                         a->arg);
    case ARGS_UNKNOWN:
        return args_fail(m, a->flag, "unknown option (see --help)");
    case ARGS_NO_VALUE:
        return args_fail(m, a->opt->name, "takes no value");
    case ARGS_NEEDS_VALUE:
        return args_fail(m, a->opt->name, "needs a value");
    case ARGS_END:
        break;
    }
    return 0;
}

int options_parse(struct options *o, int argc, char *const argv[],
                  char *err, size_t errlen)
{
    const struct args_msg m = { err, errlen, NULL, -1 };
    struct args a;
    enum args_kind kind;

    set_defaults(o);
    args_init(&a, argc, argv, ARGS_TABLE(opt_table, arg), 0);
    while ((kind = args_next(&a)) != ARGS_END) {
        if (apply(&a, kind, o, &m) < 0)
            return -1;
        if (o->help || o->version)
            return 0;
    }
    if (o->mode == OPTIONS_MODE_HELLO && o->banner_len > o->buffer_size)
        return args_fail(&m, "--banner", "%u bytes do not fit in --buffer-size %u",
                         o->banner_len, o->buffer_size);
    return check_buffer_memory(o, &m);
}

void options_usage(FILE *f)
{
    fputs(
"usage: echod [OPTIONS]\n"
"A TCP echo server: one epoll worker thread per CPU, edge-triggered.\n"
"\n"
"  -l, --listen HOST:PORT     address to listen on (default " OPTIONS_DEFAULT_LISTEN ");\n"
"                             port 0 picks a free port; IPv6 as [::1]:7007 or\n"
"                             [fe80::1%eth0]:7007; a host name is resolved\n"
"  -w, --workers N            worker threads (default: the CPUs echod may run\n"
"                             on, its affinity mask; 1 to 1024)\n"
"  -b, --backlog N            listen(2) backlog (default 4096; the kernel caps\n"
"                             it at net.core.somaxconn)\n"
"      --buffer-size BYTES    what one connection may hold when its peer reads\n"
"                             slower than it sends, a power of two from 64 to\n"
"                             1MiB (default 16k); up to 4 connections per\n"
"                             worker may hold 256k instead, while they stream\n"
"      --buffer-memory BYTES  buffers all connections hold, all workers together,\n"
"                             split evenly (default 64M, or one --buffer-size\n"
"                             per worker if more); when a worker's share is\n"
"                             spent, its connections wait before reading more.\n"
"                             Per worker echod holds at most its share plus one\n"
"                             max(256k, --buffer-size) read buffer\n"
"      --sndbuf BYTES         cap on each connection's kernel send buffer\n"
"                             (SO_SNDBUF; default 256k; 0: kernel autotuning)\n"
"      --rcvbuf BYTES         cap on each connection's kernel receive buffer\n"
"                             (SO_RCVBUF; default 256k; 0: kernel autotuning)\n"
"  -m, --mode MODE            echo (default), discard (read, never write) or\n"
"                             hello (write the banner, then close)\n"
"      --banner TEXT          hello mode's banner; \\n \\r \\t \\\\ are decoded\n"
"                             (default 'Hello World!\\n')\n"
"      --max-conns N          open connections at most, all workers together;\n"
"                             past it new ones are accepted and closed\n"
"                             (default 0: as many as the open-file limit\n"
"                             allows, which is also the most it may be)\n"
"      --idle-timeout DUR     close connections idle this long (default 0:\n"
"                             never; at most 596h)\n"
"      --write-timeout DUR    close a connection that owes output and has\n"
"                             moved no byte this long (default 60s; 0: never)\n"
"      --max-lifetime DUR     close connections this long after they opened,\n"
"                             however busy (default 0: never; at most 596h)\n"
"      --grace DUR            at SIGINT/SIGTERM, time open connections get to\n"
"                             finish (default 5s; at most 24h)\n"
"      --stats-interval DUR   print a stats line every DUR (default 0: none;\n"
"                             at most 24h)\n"
"      --json                 print stats lines and the summary as JSON\n"
"      --shared-listener      one listen socket shared by all workers\n"
"                             (EPOLLEXCLUSIVE) instead of one per worker\n"
"                             (SO_REUSEPORT)\n"
"      --accept-rate N        accepts per second per worker (default: no\n"
"                             limit; 0: paused, connections wait in the queue)\n"
"      --metrics HOST:PORT    serve Prometheus metrics on GET /metrics and a\n"
"                             health probe on GET /healthz (503 while paused\n"
"                             or stopping), from a thread of its own\n"
"      --proxy-protocol       expect a PROXY protocol header (v1 or v2, as\n"
"                             HAProxy's send-proxy[-v2] sends) before the\n"
"                             data; connections without a valid one within\n"
"                             5s are closed; v2 LOCAL is served\n"
"      --max-conns-per-ip N   open connections per client address (the\n"
"                             PROXY header's with --proxy-protocol); past it\n"
"                             new ones are closed at once (default 0: no limit)\n"
"      --nodelay              set TCP_NODELAY on every connection (the\n"
"                             default: otherwise Nagle holds the last piece\n"
"                             of a large echo for the peer's delayed ACK)\n"
"      --no-nodelay           leave Nagle's algorithm on\n"
"      --splice               echo a streaming connection (a read that fills\n"
"                             256k) through a pipe with splice(2), no copy\n"
"                             into echod: 16 pipes per worker, opened at\n"
"                             start (32 descriptors, counted against the\n"
"                             connection cap), each holding at most 256k,\n"
"                             so at most 4M more per worker in the kernel;\n"
"                             with none free, the copy path (echo mode)\n"
"      --cpu-affinity         pin worker i to CPU i\n"
"  -h, --help                 print this help and exit\n"
"      --version              print the version and exit\n"
"\n"
"DUR is 10 (seconds), 10s, 500ms, 2m...  Signals: SIGINT/SIGTERM stop\n"
"gracefully (a second one exits at once), SIGUSR1 prints stats, SIGUSR2\n"
"pauses or resumes accepting, SIGHUP is logged and ignored.\n"
"Under systemd: sockets passed in LISTEN_FDS (socket activation) are served\n"
"instead of --listen, and NOTIFY_SOCKET gets READY=1, STATUS= and\n"
"STOPPING=1 (Type=notify); see dist/systemd and echod(1).\n"
"Exit status: 0 after a clean stop, 1 on a runtime error, 2 on a bad\n"
"command line, 128+N when a second signal N cut the grace period short.\n", f);
}
