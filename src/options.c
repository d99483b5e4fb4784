/* options.c - echod's command line (see options.h).
 *
 * One table lists every option: its long and short name, whether it takes a
 * value, and the setter that checks and stores that value.  The driver
 * splits "--flag=value" / "--flag value" / "-w4" / "-w 4", finds the row,
 * and prefixes any setter message with the flag's long name, so every
 * message names its flag the same way.
 */
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "parse.h"
#include "ring.h"

#define BUFFER_MIN 64ULL
#define BUFFER_MAX (1ULL << 30)
#define MAX_CONNS_MAX 100000000ULL
#define RATE_MAX 100000000ULL

/* A setter stores value v into o, or writes a message (without the flag
 * name) into err and returns -1. */
typedef int (*opt_set)(struct options *o, const char *v, char *err, size_t errlen);

struct opt_def {
    const char *name;   /* long name, without the dashes */
    char short_name;    /* 0 when there is none */
    int takes_value;
    opt_set set;
};

static int say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int get_count(const char *v, uint64_t min, uint64_t max, uint64_t *out,
                     char *err, size_t errlen)
{
    if (parse_count(v, min, max, out) < 0)
        return say(err, errlen, "expected a whole number from %llu to %llu, got '%s'",
                   (unsigned long long)min, (unsigned long long)max, v);
    return 0;
}

/* A duration in whole milliseconds; a nonzero value below 1 ms becomes
 * 1 ms so that it never silently means "disabled". */
static int get_ms(const char *v, uint64_t *out, char *err, size_t errlen)
{
    uint64_t ns;

    if (parse_duration(v, &ns) < 0)
        return say(err, errlen, "expected a duration such as 0, 10, 10s, 500ms or 2m, got '%s'", v);
    *out = (ns + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS;
    return 0;
}

static int set_listen(struct options *o, const char *v, char *err, size_t errlen)
{
    if (parse_hostport(v, &o->addr, &o->addr_len) < 0)
        return say(err, errlen, "expected HOST:PORT such as 127.0.0.1:7007, [::1]:7007 or "
                   "localhost:7007, with a port from 0 to 65535, got '%s'", v);
    return 0;
}

static int set_workers(struct options *o, const char *v, char *err, size_t errlen)
{
    uint64_t n;

    if (get_count(v, 1, OPTIONS_MAX_WORKERS, &n, err, errlen) < 0)
        return -1;
    o->workers = (unsigned)n;
    return 0;
}

static int set_backlog(struct options *o, const char *v, char *err, size_t errlen)
{
    uint64_t n;

    if (get_count(v, 0, INT_MAX, &n, err, errlen) < 0)
        return -1;
    o->backlog = (int)n;
    return 0;
}

static int set_buffer_size(struct options *o, const char *v, char *err, size_t errlen)
{
    uint64_t n;

    if (parse_size(v, BUFFER_MIN, BUFFER_MAX, &n) < 0 || !ring_valid_capacity(n))
        return say(err, errlen, "expected a power of two from 64 to 1GiB "
                   "(such as 4k, 16KiB, 1M), got '%s'", v);
    o->buffer_size = (uint32_t)n;
    return 0;
}

static int set_mode(struct options *o, const char *v, char *err, size_t errlen)
{
    for (int m = OPTIONS_MODE_ECHO; m <= OPTIONS_MODE_HELLO; m++) {
        if (strcmp(v, options_mode_name(m)) == 0) {
            o->mode = m;
            return 0;
        }
    }
    return say(err, errlen, "expected echo, discard or hello, got '%s'", v);
}

/* Decodes the escapes \n \r \t \\ so a banner can end in a newline. */
static int set_banner(struct options *o, const char *v, char *err, size_t errlen)
{
    static const char from[] = "nrt\\", to[] = "\n\r\t\\";
    uint32_t n = 0;

    for (const char *p = v; *p != '\0'; p++) {
        char c = *p;
        if (c == '\\') {
            const char *hit = p[1] != '\0' ? strchr(from, p[1]) : NULL;
            if (hit == NULL)
                return say(err, errlen, "unknown escape in '%s' (use \\n, \\r, \\t or \\\\)", v);
            c = to[hit - from];
            p++;
        }
        if (n == OPTIONS_BANNER_MAX)
            return say(err, errlen, "longer than %d bytes", OPTIONS_BANNER_MAX);
        o->banner[n++] = c;
    }
    o->banner_len = n;
    return 0;
}

static int set_max_conns(struct options *o, const char *v, char *err, size_t errlen)
{
    return get_count(v, 0, MAX_CONNS_MAX, &o->max_conns, err, errlen);
}

static int set_accept_rate(struct options *o, const char *v, char *err, size_t errlen)
{
    return get_count(v, 0, RATE_MAX, &o->accept_rate, err, errlen);
}

/* Connections keep their last activity as 32-bit milliseconds, so the
 * timeout must stay below 2^31 ms (24 days). */
static int set_idle_timeout(struct options *o, const char *v, char *err, size_t errlen)
{
    if (get_ms(v, &o->idle_timeout_ms, err, errlen) < 0)
        return -1;
    if (o->idle_timeout_ms > INT32_MAX)
        return say(err, errlen, "at most 596h, got '%s'", v);
    return 0;
}

static int set_grace(struct options *o, const char *v, char *err, size_t errlen)
{
    return get_ms(v, &o->grace_ms, err, errlen);
}

static int set_stats_interval(struct options *o, const char *v, char *err, size_t errlen)
{
    return get_ms(v, &o->stats_interval_ms, err, errlen);
}

/* Flags without a value: the row's setter receives NULL. */
#define FLAG_SETTER(fn, field)                                              \
    static int fn(struct options *o, const char *v, char *err, size_t errlen) \
    {                                                                       \
        (void)v, (void)err, (void)errlen;                                   \
        o->field = 1;                                                       \
        return 0;                                                           \
    }
FLAG_SETTER(set_nodelay, nodelay)
FLAG_SETTER(set_cpu_affinity, cpu_affinity)
FLAG_SETTER(set_json, json)
FLAG_SETTER(set_shared_listener, shared_listener)
FLAG_SETTER(set_help, help)
FLAG_SETTER(set_version, version)

static int set_no_nodelay(struct options *o, const char *v, char *err, size_t errlen)
{
    (void)v, (void)err, (void)errlen;
    o->nodelay = 0;
    return 0;
}

static const struct opt_def opt_table[] = {
    { "listen",          'l', 1, set_listen },
    { "workers",         'w', 1, set_workers },
    { "backlog",         'b', 1, set_backlog },
    { "buffer-size",     0,   1, set_buffer_size },
    { "mode",            'm', 1, set_mode },
    { "banner",          0,   1, set_banner },
    { "max-conns",       0,   1, set_max_conns },
    { "idle-timeout",    0,   1, set_idle_timeout },
    { "grace",           0,   1, set_grace },
    { "stats-interval",  0,   1, set_stats_interval },
    { "accept-rate",     0,   1, set_accept_rate },
    { "nodelay",         0,   0, set_nodelay },
    { "no-nodelay",      0,   0, set_no_nodelay },
    { "cpu-affinity",    0,   0, set_cpu_affinity },
    { "json",            0,   0, set_json },
    { "shared-listener", 0,   0, set_shared_listener },
    { "help",            'h', 0, set_help },
    { "version",         0,   0, set_version },
};

const char *options_mode_name(enum options_mode m)
{
    switch (m) {
    case OPTIONS_MODE_ECHO:    return "echo";
    case OPTIONS_MODE_DISCARD: return "discard";
    case OPTIONS_MODE_HELLO:   return "hello";
    }
    return "?";
}

static void set_defaults(struct options *o)
{
    static const char banner[] = "Hello World!\n";
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

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
    o->accept_rate = OPTIONS_RATE_UNLIMITED;
    o->nodelay = 1;
}

/* Finds the row for "--name" (name_len bytes of name) or "-c". */
static const struct opt_def *find_long(const char *name, size_t name_len)
{
    for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++)
        if (strlen(opt_table[i].name) == name_len &&
            memcmp(opt_table[i].name, name, name_len) == 0)
            return &opt_table[i];
    return NULL;
}

static const struct opt_def *find_short(char c)
{
    for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++)
        if (opt_table[i].short_name == c)
            return &opt_table[i];
    return NULL;
}

/* Parses the argument at argv[*i] (and its value, advancing *i). */
static int parse_one(struct options *o, int argc, char *const argv[], int *i,
                     char *err, size_t errlen)
{
    const char *arg = argv[*i];
    const struct opt_def *d = NULL;
    const char *value = NULL;
    char msg[512];

    if (arg[0] == '-' && arg[1] == '-' && arg[2] != '\0') {
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        d = find_long(arg + 2, len);
        if (d == NULL)
            return say(err, errlen, "%.*s: unknown option (see --help)", (int)(len + 2), arg);
        if (eq != NULL && !d->takes_value)
            return say(err, errlen, "--%s: takes no value", d->name);
        value = eq ? eq + 1 : NULL;
    } else if (arg[0] == '-' && arg[1] != '\0' && arg[1] != '-') {
        d = find_short(arg[1]);
        if (d == NULL)
            return say(err, errlen, "-%c: unknown option (see --help)", arg[1]);
        if (arg[2] != '\0' && !d->takes_value)
            return say(err, errlen, "--%s: takes no value", d->name);
        value = arg[2] != '\0' ? arg + 2 : NULL;
    } else {
        return say(err, errlen, "'%s': unexpected argument (echod takes only options)", arg);
    }
    if (d->takes_value && value == NULL) {
        if (*i + 1 >= argc)
            return say(err, errlen, "--%s: needs a value", d->name);
        value = argv[++*i];
    }
    if (d->set(o, value, msg, sizeof(msg)) < 0)
        return say(err, errlen, "--%s: %s", d->name, msg);
    return 0;
}

int options_parse(struct options *o, int argc, char *const argv[],
                  char *err, size_t errlen)
{
    set_defaults(o);
    for (int i = 1; i < argc; i++) {
        if (parse_one(o, argc, argv, &i, err, errlen) < 0)
            return -1;
        if (o->help || o->version)
            return 0;
    }
    if (o->mode == OPTIONS_MODE_HELLO && o->banner_len > o->buffer_size)
        return say(err, errlen, "--banner: %u bytes do not fit in --buffer-size %u",
                   o->banner_len, o->buffer_size);
    return 0;
}

void options_usage(FILE *f)
{
    fputs(
"usage: echod [OPTIONS]\n"
"A TCP echo server: one epoll worker thread per CPU, edge-triggered.\n"
"\n"
"  -l, --listen HOST:PORT     address to listen on (default " OPTIONS_DEFAULT_LISTEN ");\n"
"                             port 0 picks a free port; IPv6 as [::1]:7007\n"
"  -w, --workers N            worker threads (default: online CPUs; 1 to 1024)\n"
"  -b, --backlog N            listen(2) backlog (default 4096; the kernel caps\n"
"                             it at net.core.somaxconn)\n"
"      --buffer-size BYTES    per-connection buffer, a power of two (default 16k)\n"
"  -m, --mode MODE            echo (default), discard (read, never write) or\n"
"                             hello (write the banner, then close)\n"
"      --banner TEXT          hello mode's banner; \\n \\r \\t \\\\ are decoded\n"
"                             (default 'Hello World!\\n')\n"
"      --max-conns N          open connections at most, all workers together;\n"
"                             past it new ones are accepted and closed (default 0:\n"
"                             no limit)\n"
"      --idle-timeout DUR     close connections idle this long (default 0: never)\n"
"      --grace DUR            at SIGINT/SIGTERM, time open connections get to\n"
"                             finish (default 5s)\n"
"      --stats-interval DUR   print a stats line every DUR (default 0: none)\n"
"      --json                 print stats lines and the summary as JSON\n"
"      --shared-listener      one listen socket shared by all workers\n"
"                             (EPOLLEXCLUSIVE) instead of one per worker\n"
"                             (SO_REUSEPORT)\n"
"      --accept-rate N        accepts per second per worker (default: no\n"
"                             limit; 0: paused, connections wait in the queue)\n"
"      --nodelay              set TCP_NODELAY on every connection (the\n"
"                             default: otherwise Nagle holds echoes larger\n"
"                             than --buffer-size for the peer's delayed ACK)\n"
"      --no-nodelay           leave Nagle's algorithm on\n"
"      --cpu-affinity         pin worker i to CPU i\n"
"  -h, --help                 print this help and exit\n"
"      --version              print the version and exit\n"
"\n"
"DUR is 10 (seconds), 10s, 500ms, 2m...  Signals: SIGINT/SIGTERM stop\n"
"gracefully (a second one exits at once), SIGUSR1 prints stats, SIGUSR2\n"
"pauses or resumes accepting.  Exit status: 0 after a clean stop, 1 on a\n"
"runtime error, 2 on a bad command line.\n", f);
}
