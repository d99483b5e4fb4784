/* bl_timewait.h - the time-wait experiment: ephemeral-port exhaustion.
 *
 * Each phase runs in a fresh network namespace of the lab's own
 * (bl_netns_private_loopback), with net.ipv4.ip_local_port_range set to
 * --ports ports from BL_TIMEWAIT_PORT_LO and net.ipv4.tcp_tw_reuse set to
 * one of --tw-reuse, against a listener on BL_TIMEWAIT_SERVER_PORT (outside
 * the range) on 127.0.0.1 or on an address of a veth interface
 * (BL_TIMEWAIT_VETH_ADDR, which is not a loopback address).  For
 * BL_TIMEWAIT_WINDOW_NS the lab connects, accepts, closes the client end
 * first and then the server end, so that the client end lands in
 * TIME-WAIT, as fast as it can; after a failed connect it waits
 * BL_TIMEWAIT_RETRY_MS and tries again.  It records the first failure (its
 * errno, its time, the client ends inet_diag shows then), every later
 * success (a port whose TIME-WAIT end was taken over) and the namespace's
 * TIME-WAIT counters.  When --tw-reuse holds 1, one more phase runs it on
 * loopback with net.ipv4.tcp_timestamps 0.
 *
 * A last step, in a namespace of its own, watches one TIME-WAIT end: its
 * timer (idiag_expires) right after the close, and with --long how long
 * it really lives.
 *
 * The experiment only measures; bl_report_timewait.c explains.
 */
#ifndef BL_TIMEWAIT_H
#define BL_TIMEWAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "bl_err.h"
#include "bl_options.h"

#define BL_TIMEWAIT_PORT_LO 40000
#define BL_TIMEWAIT_MAX_PORTS BL_MAX_TW_PORTS
#define BL_TIMEWAIT_SERVER_PORT 7100
#define BL_TIMEWAIT_VETH_ADDR "10.213.1.1"
#define BL_TIMEWAIT_WINDOW_NS (2500 * 1000 * 1000ull)
#define BL_TIMEWAIT_RETRY_MS 20
#define BL_TIMEWAIT_MAX_CONNECTS 20000  /* bounds a phase whatever reuse does */
#define BL_TIMEWAIT_WATCH_S 150         /* --long: longest watch of one end */
#define BL_TIMEWAIT_NCOUNTERS 4

/* TcpExt counters of the namespace, in this order: TW (ended by their
 * timer), TWRecycled (taken over by a connect), TWKilled,
 * TCPTimeWaitOverflow. */
extern const char *const bl_timewait_counters[BL_TIMEWAIT_NCOUNTERS];

enum bl_timewait_addr {
    BL_TW_LOOPBACK,  /* 127.0.0.1 */
    BL_TW_VETH,      /* BL_TIMEWAIT_VETH_ADDR on a veth interface */
};

struct bl_timewait_phase {
    int reuse;                  /* net.ipv4.tcp_tw_reuse */
    enum bl_timewait_addr addr;
    bool no_timestamps;         /* the phase set net.ipv4.tcp_timestamps to 0 */
    long port_lo, port_hi;      /* ip_local_port_range, read back */
    long timestamps;            /* net.ipv4.tcp_timestamps */
    long reuse_delay_ms;        /* net.ipv4.tcp_tw_reuse_delay, -1 absent */
    int ok_before_fail;         /* connects that succeeded before the first failure */
    int ports_used;             /* distinct local ports those got */
    bool failed;                /* a connect failed */
    int fail_errno;             /* the first failure's errno */
    uint64_t t_fail_ns;         /* its time after the first close */
    int tw_at_fail;             /* client ends in TIME-WAIT then (inet_diag) */
    int other_at_fail;          /* client ends in any other state then */
    uint32_t tw_expires_min_ms, tw_expires_max_ms; /* their timers then */
    int attempts_after;         /* connects tried after the first failure */
    int reused;                 /* of them, the ones that succeeded */
    uint64_t t_first_reuse_ns;  /* the first of those, after the first close */
    int64_t delta[BL_TIMEWAIT_NCOUNTERS]; /* bl_timewait_counters, -1 absent */
};

/* One TIME-WAIT end watched from the close of its socket. */
struct bl_timewait_life {
    bool seen;                  /* inet_diag showed it in TIME-WAIT */
    uint64_t seen_after_ns;     /* when, after the close */
    uint32_t expires_ms;        /* its timer then */
    bool watched;               /* --long: watched until it went */
    bool gone;                  /* it went within BL_TIMEWAIT_WATCH_S */
    uint64_t gone_after_ns;     /* when, after the close */
};

struct bl_timewait_result {
    int nphases;
    struct bl_timewait_phase ph[2 * BL_MAX_TW_MODES + 1];
    struct bl_timewait_life life;
    bool interrupted;
};

/* One phase in a fresh namespace (the process moves into it); ip is the
 * path of `ip`, for the veth interface.  Returns 0,
 * or -1 with *err naming the call that failed. */
struct bl_timewait_mode {
    int reuse;                  /* net.ipv4.tcp_tw_reuse */
    enum bl_timewait_addr addr;
    bool no_timestamps;         /* set net.ipv4.tcp_timestamps to 0 */
};

int bl_timewait_phase(const struct bl_opts *o, const char *ip,
                      const struct bl_timewait_mode *m, struct bl_timewait_phase *ph,
                      struct bl_err *err);

/* The whole command; returns the exit status. */
int bl_timewait_main(const struct bl_opts *o);

#endif
