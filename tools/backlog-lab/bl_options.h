/* bl_options.h - backlog-lab's command line: one command word
 * (accept-queue, syn-queue, observe, lifecycle, syn-schedule, reuseport,
 * time-wait, close, syn-flood) followed by its flags.
 *
 * bl_options_parse never exits and never prints: it fills struct bl_opts
 * or returns -1 with a one-line message naming the offending flag, which
 * main prints before exiting with status 2.  argv is split by the shared
 * driver (args.h); --version prints the toolkit's version (version.h).
 */
#ifndef BL_OPTIONS_H
#define BL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define BL_MAX_BACKLOGS 16
#define BL_MAX_COOKIE_MODES 3
#define BL_MAX_MIGRATE_MODES 2
#define BL_MAX_ABORT_MODES 2
#define BL_MAX_TW_MODES 3
#define BL_MAX_TW_PORTS 256
#define BL_MAX_BACKLOG 1000000
#define BL_MAX_CLIENTS 8000
#define BL_REUSEPORT_MAX_CLIENTS 64    /* fits both queues: no SYN dropped */

enum bl_cmd {
    BL_CMD_NONE,       /* only --help or --version was given */
    BL_CMD_ACCEPTQ,    /* accept-queue */
    BL_CMD_SYNQ,       /* syn-queue */
    BL_CMD_OBSERVE,    /* observe HOST:PORT */
    BL_CMD_LIFECYCLE,  /* lifecycle: one connection from SYN to TIME-WAIT */
    BL_CMD_SYNSCHED,   /* syn-schedule: the client's SYN retransmissions */
    BL_CMD_REUSEPORT,  /* reuseport: closing one listener of a group */
    BL_CMD_TIMEWAIT,   /* time-wait: ephemeral ports used up by TIME-WAIT */
    BL_CMD_CLOSE,      /* close: every state of the four-way close */
    BL_CMD_FLOOD,      /* syn-flood: spoofed SYNs and a legitimate client */
};

/* One --backlog entry: a number, or net.core.somaxconn plus a number
 * ("somaxconn+1000"), resolved when the experiment runs. */
struct bl_backlog_spec {
    bool plus_somaxconn;
    uint64_t n;
};

struct bl_opts {
    enum bl_cmd cmd;
    bool help, version, json, quiet, long_form, per_client;

    /* accept-queue */
    struct bl_backlog_spec backlogs[BL_MAX_BACKLOGS];
    int nbacklogs;
    uint64_t clients;          /* 0: backlog + 16 for each run */
    uint64_t settle_ns;        /* wait before measuring the full queue */
    uint64_t window_ns;        /* longest accepting phase */
    uint64_t accept_rate;      /* accepts per second, 0: as fast as possible */
    bool host;                 /* on the host's loopback, not a private netns */
    int abort_modes[BL_MAX_ABORT_MODES]; /* --abort-on-overflow values to try */
    int nabort;                /* 0: the backlog runs, not the abort experiment */

    /* syn-queue */
    uint64_t syn_backlog;
    uint64_t syn_clients;
    uint64_t syn_rate;         /* connects per second */
    uint64_t watch_ns;         /* how long each syncookies mode is watched */
    uint64_t max_syn_backlog;  /* tcp_max_syn_backlog to set, 0: leave it */
    int cookie_modes[BL_MAX_COOKIE_MODES];
    int ncookie_modes;

    /* syn-schedule */
    uint64_t syn_retries;      /* tcp_syn_retries to set, 0: leave it */

    /* reuseport */
    int migrate[BL_MAX_MIGRATE_MODES]; /* tcp_migrate_req values to try */
    int nmigrate;
    uint64_t rp_clients;

    /* time-wait */
    uint64_t tw_ports;         /* ports in ip_local_port_range */
    int tw_reuse[BL_MAX_TW_MODES]; /* tcp_tw_reuse values to try */
    int ntw_reuse;

    /* syn-flood (its modes in cookie_modes) */
    uint64_t flood_backlog;
    uint64_t flood_rate;       /* spoofed SYNs per second */
    uint64_t flood_ns;         /* how long each mode is flooded */

    /* observe */
    struct sockaddr_storage target;
    socklen_t target_len;
    uint64_t interval_ns;
    uint64_t duration_ns;      /* 0: until interrupted */
    const char *plot;          /* --plot FILE.png, NULL: none */
};

/* Parses argv (argv[0] is the program name).  Returns 0, or -1 with a
 * message in err such as "--clients: expected a whole number from 1 to
 * 8000, got 'x'". */
int bl_options_parse(int argc, char *const argv[], struct bl_opts *o,
                     char *err, size_t errlen);

/* The spellings of the i-th row of the flag table (args.h), or NULL past
 * the last row; lets a test check the usage text against the table. */
struct args_opt;
const struct args_opt *bl_options_flag(size_t i);

/* The usage text printed by --help. */
extern const char bl_options_usage[];

#endif
