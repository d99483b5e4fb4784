/* bl_synq.h - the syn-queue experiment: half-open connections.
 *
 * In the namespaces of bl_netns.h, a listener in the server namespace
 * receives paced connects from the client namespace, whose final ACKs the
 * nft rule drops: every handshake stops at SYN-RECV on the server side.
 * The lab samples the listener's SYN-RECV sockets (inet_diag, with each
 * one's SYN-ACK retransmission count) every BL_SYNQ_SAMPLE_MS, watches
 * the clients' view, and takes the server namespace's own TcpExt
 * counters, which nothing else on the host touches.  One phase per
 * net.ipv4.tcp_syncookies value, set inside the server namespace only.
 */
#ifndef BL_SYNQ_H
#define BL_SYNQ_H

#include <stdbool.h>
#include <stdint.h>

#include "bl_acceptq.h"
#include "bl_err.h"
#include "bl_options.h"

#define BL_SYNQ_SAMPLE_MS 50
#define BL_SYNQ_MAX_RTX 8
#define BL_SYNQ_PORT_BASE 8000

/* One sample of the server's and the clients' view. */
struct bl_synq_sample {
    uint32_t t_ms;            /* since the phase began */
    uint32_t started;         /* clients that had called connect */
    uint32_t syn_recv;        /* SYN-RECV sockets on the port */
    uint32_t established;     /* clients whose connect completed */
    uint32_t max_retrans;     /* most SYN-ACK retransmissions of one socket */
};

struct bl_synq_phase {
    int syncookies;           /* net.ipv4.tcp_syncookies in the namespace */
    int backlog;
    int nclients;
    uint16_t port;
    uint32_t limit;           /* the listener's idiag_wqueue */
    long synack_retries;      /* net.ipv4.tcp_synack_retries (namespace) */
    long max_syn_backlog;     /* net.ipv4.tcp_max_syn_backlog (namespace) */
    long somaxconn;           /* net.core.somaxconn (namespace) */
    uint64_t watch_ns;
    bool interrupted;

    uint32_t syn_recv_stop;   /* SYN-RECV once every client had started:
                                 where the queue stopped growing */
    bool stopped_seen;
    uint32_t syn_recv_peak;
    uint32_t peak_at_ms;      /* first sample that saw the peak */
    uint32_t syn_recv_end;
    int cl_established;       /* at the end of the phase */
    int cl_syn_sent;
    uint32_t cl_syn_retrans;  /* most SYN retransmissions of a client */
    int64_t delta[BL_NCOUNTERS]; /* namespace TcpExt counters, -1 absent */

    /* SYN-ACK retransmission k (1-based) was seen for rtx_count[k] request
     * sockets, rtx_median_ms[k] after the SYN that made each one. */
    int rtx_count[BL_SYNQ_MAX_RTX + 1];
    double rtx_median_ms[BL_SYNQ_MAX_RTX + 1];
    uint32_t expired;         /* request sockets seen that later vanished */
    /* ... of which expired_count[k] had had k SYN-ACK retransmissions,
     * vanishing expired_median_ms[k] after the SYN that made each. */
    int expired_count[BL_SYNQ_MAX_RTX + 1];
    double expired_median_ms[BL_SYNQ_MAX_RTX + 1];
    int late_admitted;        /* clients whose request socket was made by a
                                 retransmitted SYN: their first was dropped */

    struct bl_synq_sample *samples;  /* malloc'ed */
    int nsamples;
};

/* Runs one phase (ns from bl_netns_create; the thread ends up back in the
 * original namespace).  Returns 0, or -1 with *err naming the call that
 * failed. */
struct bl_netns;
int bl_synq_phase(struct bl_netns *ns, int syncookies, int index,
                  const struct bl_opts *o, struct bl_synq_phase *ph, struct bl_err *err);

void bl_synq_free(struct bl_synq_phase *ph);

/* The whole command: checks for root and tools, builds the namespaces,
 * runs the phases, removes everything, reports.  Returns the exit
 * status. */
int bl_synq_main(const struct bl_opts *o);

#endif
