/* tl_opts.h - tcpload's command line.
 *
 * tl_opts_parse turns argv into a struct tl_opts and never exits: a bad
 * value, an unknown flag or a flag that the chosen mode does not use comes
 * back as TL_OPTS_ERROR with a one-line message that names the flag as it
 * was spelled ("tcpload: -c: expected a whole number from 1 to 1000000,
 * got 'banana'"), which main prints before exiting with status 2.  argv is
 * split by the shared driver (args.h).
 */
#ifndef TL_OPTS_H
#define TL_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "tl_net.h"

struct args_opt;

#define TL_MERGE_MAX 256         /* files one merge reads */
#define TL_SLACK_NS   200000ULL  /* --slack default: at most 200 us, */
#define TL_SLACK_MSGS 8          /* or the time this many of a thread's messages take */

enum tl_mode {
    TL_MODE_ECHO,     /* messages over long-lived connections */
    TL_MODE_CONNECT,  /* connect, exchange, close: connections per second */
    TL_MODE_HOLD,     /* many idle connections */
    TL_MODE_STREAM,   /* bulk transfer, one direction: MB/s */
    TL_MODES,
};

struct tl_opts {
    enum tl_mode mode;
    const char *target;              /* HOST:PORT as given */
    struct sockaddr_storage addr;    /* the target, parsed */
    socklen_t addr_len;
    uint64_t conns;          /* -c: connections (echo, hold) or transactions in flight */
    uint64_t threads;        /* -t */
    uint64_t size;           /* -s: message bytes (echo) */
    uint64_t response_size;  /* --response-size: reply bytes per message; 0: an echo */
    const char *payload_file; /* --payload FILE, or NULL */
    const uint8_t *payload;  /* its bytes (size of them), read by tl_main; NULL: the pattern */
    uint64_t pipeline;       /* --pipeline: messages in flight per connection */
    uint64_t rate;           /* -R/--rate: messages or transactions per second; 0: none */
    uint64_t duration_ns;    /* -d */
    uint64_t warmup_ns;      /* --warmup */
    uint64_t timeout_ns;     /* --timeout: longest wait for one reply or connect */
    uint64_t send;           /* --send: bytes each transaction sends */
    uint64_t expect;         /* --expect: bytes each transaction reads */
    bool expect_eof;         /* no --expect: read until the server closes */
    struct tl_source source; /* --source; count 0 when not given */
    bool linger0;            /* --linger0 */
    uint64_t connect_rate;   /* --connect-rate (hold); 0: no limit */
    uint64_t ping_interval_ns; /* --ping-interval (hold); 0: no pings */
    bool json;               /* --json */
    bool progress;           /* --progress: even when stderr is not a tty */
    const char *histogram;   /* --histogram FILE, or NULL */
    uint64_t start_at_ns;    /* --start-at: the window's wall-clock start
                              * (ns since the Unix epoch); 0: none */
    uint64_t interval_ns;    /* --interval: a report line every D; 0: none */
    uint64_t slack_ns;       /* --slack: an open-loop wakeup sends the
                              * messages due within this much from now */
    bool merge;              /* `tcpload merge FILE...` */
    uint32_t nfiles;         /* merge: the files */
    const char *files[TL_MERGE_MAX];
    int argc;                /* the whole command line, for the report */
    char **argv;
};

enum tl_opts_result {
    TL_OPTS_RUN,      /* *o is complete: run it */
    TL_OPTS_HELP,     /* -h/--help: print tl_opts_usage, exit 0 */
    TL_OPTS_VERSION,  /* --version: print the version, exit 0 */
    TL_OPTS_ERROR,    /* err holds the message: print it, exit 2 */
};

/* Parses argv into *o: `tcpload MODE HOST:PORT [options]`, or
 * `tcpload merge FILE... [--json] [--histogram FILE]` (o->merge set; the
 * mode then comes from the files).  On TL_OPTS_ERROR err (errlen bytes) holds one
 * line without a newline, starting "tcpload: ". */
enum tl_opts_result tl_opts_parse(struct tl_opts *o, int argc, char **argv,
                                  char *err, size_t errlen);

/* The spellings of the i-th row of the option table (args.h), or NULL
 * past the last row; lets a test check the usage text against the table. */
const struct args_opt *tl_opts_flag(size_t i);

/* Writes the --help text. */
void tl_opts_usage(FILE *f);

/* Parses a wall-clock time: Unix seconds with an optional fraction
 * ("1767225600", "1767225600.25") or RFC 3339 ("2026-01-01T00:00:00Z",
 * "2026-01-01T01:00:00.5+01:00") into ns since the Unix epoch.  Returns 0,
 * or -1 for anything else (or a time before 1970). */
int tl_opts_parse_time(const char *s, uint64_t *out_ns);

/* The mode's name: "echo", "connect" or "hold". */
const char *tl_opts_mode_name(enum tl_mode mode);

#endif
