/* bl_synsched.h - the syn-schedule experiment: when a client retransmits
 * its SYN to a listener whose accept queue never drains, and when and how
 * connect() gives up.
 *
 * In a network namespace of the lab's own (bl_netns_private_loopback), a
 * listener with backlog 0 takes one connection and never accepts it: its
 * queue (1, limit 0) is full, so the kernel drops every later SYN
 * (ListenOverflows).  One client connects and the lab polls its TCP_INFO
 * every BL_SYNSCHED_POLL_US: each rise of tcpi_total_retrans is one SYN
 * retransmission, stamped with the time since connect().  The run ends
 * when the connect fails (its errno and time kept).  With --syn-retries N
 * the lab sets net.ipv4.tcp_syn_retries in its namespace first; the
 * sysctls that shape the schedule are read there either way.
 *
 * The experiment only measures; bl_report_synsched.c explains.
 */
#ifndef BL_SYNSCHED_H
#define BL_SYNSCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "bl_acceptq.h"
#include "bl_err.h"
#include "bl_options.h"

#define BL_SYNSCHED_MAX_RTX 32
#define BL_SYNSCHED_POLL_US 2000

struct bl_synsched_run {
    long syn_retries;           /* net.ipv4.tcp_syn_retries (namespace) */
    long linear_timeouts;       /* net.ipv4.tcp_syn_linear_timeouts, -1 absent */
    bool private_ns;
    bool interrupted;
    int nrtx;                   /* SYN retransmissions seen */
    uint64_t t_rtx[BL_SYNSCHED_MAX_RTX]; /* ns after connect(), each one */
    bool connected;             /* the connect completed (it should not) */
    int err;                    /* its errno when it failed */
    uint64_t t_end;             /* ns after connect() when it ended */
    int64_t delta[BL_NCOUNTERS]; /* namespace TcpExt counters, -1 absent */
};

/* Runs the experiment in the calling process's namespace (bl_synsched_main
 * makes a private one first).  Returns 0, or -1 with *err naming the call
 * that failed; an interrupt returns 0 with run->interrupted set. */
int bl_synsched_run(const struct bl_opts *o, struct bl_synsched_run *run,
                    struct bl_err *err);

/* The whole command; returns the exit status. */
int bl_synsched_main(const struct bl_opts *o);

#endif
