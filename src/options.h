/* options.h - echod's command line.
 *
 * options_parse turns argv into a struct options and never exits or prints:
 * on a bad value or an unknown flag it returns -1 with a one-line message
 * that names the flag ("--workers: expected a whole number from 1 to 1024,
 * got 'banana'"); echod prints it as "echod: MESSAGE" and exits 2.  The
 * splitting of argv is the shared driver's (args.h); every value goes
 * through the strict parsers of parse.h.  The defaults live in one place
 * (options_parse starts from them) and the usage text states them.  The
 * version that --version prints is the toolkit's (version.h).
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

struct args_opt;

#define OPTIONS_DEFAULT_LISTEN "127.0.0.1:7007"
#define OPTIONS_MAX_WORKERS 1024
#define OPTIONS_BANNER_MAX 1024          /* bytes, after escapes */
#define OPTIONS_DURATION_MAX_MS (24 * 3600 * 1000ULL) /* --grace, --stats-interval */
#define OPTIONS_RATE_UNLIMITED UINT64_MAX /* --accept-rate not given */
#define OPTIONS_BUFFER_MEMORY (64ULL << 20) /* --buffer-memory default, at least */
#define OPTIONS_DEFAULT_WRITE_TIMEOUT_MS 60000
#define OPTIONS_DEFAULT_SOCKBUF (256u * 1024) /* --sndbuf, --rcvbuf */

enum options_mode {
    OPTIONS_MODE_ECHO,    /* send every byte back */
    OPTIONS_MODE_DISCARD, /* read and count, never write */
    OPTIONS_MODE_HELLO,   /* write the banner, then close */
};

struct options {
    struct sockaddr_storage addr;  /* --listen */
    socklen_t addr_len;
    int listen_given;              /* --listen was on the command line */
    unsigned workers;              /* -w/--workers: worker threads */
    int backlog;                   /* -b/--backlog: listen(2) backlog */
    uint32_t buffer_size;          /* --buffer-size: ring bytes per connection, power of two */
    uint64_t buffer_memory;        /* --buffer-memory: pool buffer bytes, all workers together */
    enum options_mode mode;        /* --mode */
    char banner[OPTIONS_BANNER_MAX]; /* --banner, escapes decoded (not NUL-ended) */
    uint32_t banner_len;
    uint64_t max_conns;            /* --max-conns: 0 = no limit */
    uint64_t idle_timeout_ms;      /* --idle-timeout: 0 = never */
    uint64_t write_timeout_ms;     /* --write-timeout: owed output stuck this long, 0 = never */
    uint64_t max_lifetime_ms;      /* --max-lifetime: 0 = never */
    uint32_t sndbuf;               /* --sndbuf: SO_SNDBUF of every connection, 0 = kernel's */
    uint32_t rcvbuf;               /* --rcvbuf: SO_RCVBUF of every connection, 0 = kernel's */
    uint64_t grace_ms;             /* --grace: time open connections get at shutdown */
    uint64_t stats_interval_ms;    /* --stats-interval: 0 = no interval lines */
    uint64_t accept_rate;          /* --accept-rate: accepts/s per worker, 0 = paused */
    int nodelay;                   /* TCP_NODELAY on every connection (default 1; --no-nodelay: 0) */
    int cpu_affinity;              /* --cpu-affinity: pin worker i to CPU i */
    int json;                      /* --json: stats lines as JSON */
    struct sockaddr_storage metrics_addr; /* --metrics HOST:PORT */
    socklen_t metrics_addr_len;    /* 0: no metrics endpoint */
    int proxy_protocol;            /* --proxy-protocol: a PROXY v1/v2 header first */
    uint64_t max_conns_per_ip;     /* --max-conns-per-ip: 0 = no limit */
    int splice;                    /* --splice: zero-copy echo through pipes (splice.h) */
    int shared_listener;           /* --shared-listener: one socket, EPOLLEXCLUSIVE */
                                   /* (also set for inherited sockets, main.c) */
    int help;                      /* -h/--help given: print usage, exit 0 */
    int version;                   /* --version given: print version, exit 0 */
};

/* Parses argv[1..argc-1] into *o, starting from the defaults.  Accepts
 * "--flag value", "--flag=value", "-w 4" and "-w4".  Returns 0, or -1 with
 * a message naming the flag in err (at most errlen bytes, NUL-ended). */
int options_parse(struct options *o, int argc, char *const argv[],
                  char *err, size_t errlen);

/* Writes the --help text (every option with its default) to f. */
void options_usage(FILE *f);

/* The spellings of the i-th row of the option table (args.h), or NULL
 * past the last row; lets a test check the usage text against the table. */
const struct args_opt *options_flag(size_t i);

/* The name of a mode as --mode spells it ("echo", "discard", "hello"). */
const char *options_mode_name(enum options_mode m);

#endif
