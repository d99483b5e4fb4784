/* bl_flood.h - the syn-flood experiment: SYNs from many spoofed sources
 * against a listener with a small backlog, while a legitimate client
 * keeps connecting.
 *
 * In the namespaces of bl_netns_create_spoofed, a raw socket in the client
 * namespace sends SYNs (bl_synpkt.h) from random addresses of
 * BL_FLOOD_SPOOF_NET at --rate per second for --duration.  The server
 * namespace routes that net back through the client, whose nft rule drops
 * the SYN-ACKs: no spoofed handshake ever completes.  Meanwhile a
 * legitimate client in the client namespace starts a connect every
 * BL_FLOOD_TRY_GAP_MS, each given BL_FLOOD_TRY_TIMEOUT_MS, and the server
 * accepts and closes whatever completes.  The lab samples the listener's
 * SYN-RECV sockets every BL_FLOOD_SAMPLE_MS (inet_diag) and takes the
 * server namespace's own counters.  One phase per net.ipv4.tcp_syncookies
 * value, set inside the server namespace only.
 */
#ifndef BL_FLOOD_H
#define BL_FLOOD_H

#include <stdbool.h>
#include <stdint.h>

#include "bl_err.h"
#include "bl_options.h"

#define BL_FLOOD_PORT_BASE 8200
#define BL_FLOOD_SPOOF_NET "10.214.0.0/16"
#define BL_FLOOD_SPOOF_BASE 0x0ad60000u     /* 10.214.0.0 */
#define BL_FLOOD_SAMPLE_MS 100
#define BL_FLOOD_TRY_GAP_MS 50
#define BL_FLOOD_TRY_TIMEOUT_MS 1500        /* room for one SYN retransmission */

/* Counters of the server namespace, after - before; -1 when absent. */
enum bl_flood_counter {
    BL_FL_COOKIES_SENT,       /* TcpExt SyncookiesSent */
    BL_FL_COOKIES_RECV,       /* TcpExt SyncookiesRecv */
    BL_FL_COOKIES_FAILED,     /* TcpExt SyncookiesFailed */
    BL_FL_LISTEN_DROPS,       /* TcpExt ListenDrops */
    BL_FL_LISTEN_OVERFLOWS,   /* TcpExt ListenOverflows */
    BL_FL_REQQ_DROP,          /* TcpExt TCPReqQFullDrop */
    BL_FL_REQQ_COOKIES,       /* TcpExt TCPReqQFullDoCookies */
    BL_FL_CSUM_ERRORS,        /* Tcp InCsumErrors: a crafted SYN refused */
    BL_FL_NCOUNTERS
};

extern const char *const bl_flood_counter_group[BL_FL_NCOUNTERS];
extern const char *const bl_flood_counter_name[BL_FL_NCOUNTERS];

struct bl_flood_sample {
    uint32_t t_ms;            /* since the phase began */
    uint32_t syn_recv;        /* SYN-RECV sockets on the port */
    uint64_t syns;            /* spoofed SYNs sent so far */
    uint32_t tries, connected; /* the legitimate client's, so far */
};

struct bl_flood_phase {
    int syncookies;           /* net.ipv4.tcp_syncookies in the namespace */
    int backlog;
    uint16_t port;
    uint32_t limit;           /* the listener's idiag_wqueue */
    long max_syn_backlog;     /* net.ipv4.tcp_max_syn_backlog (namespace) */
    long synack_retries;      /* net.ipv4.tcp_synack_retries (namespace) */
    uint64_t rate;            /* spoofed SYNs per second */
    uint64_t duration_ns;     /* how long they were sent */
    bool interrupted;

    uint64_t syns_sent;       /* spoofed SYNs the raw socket took */
    uint64_t syns_nobufs;     /* ... and refused (ENOBUFS, EAGAIN): not sent */
    uint32_t syn_recv_peak;
    uint32_t peak_at_ms;      /* first sample that saw the peak */
    uint32_t syn_recv_flood_end; /* the last sample while the flood ran */

    int tries;                /* the legitimate client's connects */
    int connected;            /* ... completed within the timeout */
    int timed_out;            /* ... not completed within it */
    int failed;               /* ... ended with an error */
    int first_errno;          /* the first such error */
    int timed_out_syn_sent;   /* ... of which still SYN-SENT when given up */
    uint32_t timed_out_syns_min, timed_out_syns_max; /* SYNs each of those sent */
    uint32_t last_ok_start_ms; /* the latest start of a connect that completed */
    int retransmitted;        /* connected after a retransmitted SYN (TCP_INFO) */
    int accepted;             /* connections the server accepted */
    double lat_median_ms, lat_p99_ms, lat_max_ms;   /* of the connected */
    double rtx_median_ms;     /* of those that needed a retransmission */

    int64_t delta[BL_FL_NCOUNTERS];

    struct bl_flood_sample *samples;  /* malloc'ed */
    int nsamples;
};

/* Runs one phase (ns from bl_netns_create_spoofed; the thread ends up back
 * in the original namespace).  Returns 0, or -1 with *err naming the call
 * that failed. */
struct bl_netns;
int bl_flood_phase(struct bl_netns *ns, int syncookies, int index, const struct bl_opts *o,
                   struct bl_flood_phase *ph, struct bl_err *err);

void bl_flood_free(struct bl_flood_phase *ph);

/* The value at quantile q (0..1) of n sorted values, the smallest value
 * with at least q of them at or below it; 0 when n is 0. */
double bl_flood_quantile(const double *sorted, int n, double q);

/* The whole command: checks for root and tools, builds the namespaces,
 * runs the phases, removes everything, reports.  Returns the exit
 * status. */
int bl_flood_main(const struct bl_opts *o);

#endif
