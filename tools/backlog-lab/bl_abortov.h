/* bl_abortov.h - accept-queue --abort-on-overflow: what
 * net.ipv4.tcp_abort_on_overflow changes when a connection's final ACK
 * meets a full accept queue, and what it leaves alone (SYNs that reach a
 * full queue), and the same for a cookie ACK.
 *
 * In a network namespace of the lab's own, one listener (backlog
 * BL_ABORTOV_BACKLOG) never accepts.  Three groups of clients connect:
 *   held - their final ACK is dropped by an nft rule, so the server keeps
 *          them as request sockets while the queue is still empty;
 *   fill - backlog + 1 clients that fill the accept queue;
 *   late - clients whose SYN reaches the full queue.
 * The rule is removed before fill connects; the server's first SYN-ACK
 * retransmission (1 s) makes the held clients send their ACK again, and
 * it now meets the full queue.  At the end every client's TCP state and
 * first read are recorded, with the counters that moved.
 *
 * Then every socket of that step is closed and the cookie step runs in a
 * fresh namespace of its own (so that the closed sockets' last packets
 * move none of its counters) on a new listener of the same backlog with
 * net.ipv4.tcp_syncookies 2, where
 * the server keeps no request socket and every handshake rests on a
 * cookie:
 *   cookie      - clients whose final ACK nft drops: connect() completes
 *                 on their side, the server has nothing of them;
 *   cookie_fill - backlog + 1 clients that fill the accept queue.
 * Then each cookie client sends one byte: the segment carries the same
 * ACK, so the server checks its cookie and meets the full queue.  Nothing
 * on the server retransmits for them, so the byte is what brings the ACK
 * back; the client retransmits it.
 */
#ifndef BL_ABORTOV_H
#define BL_ABORTOV_H

#include <stdint.h>

#include "bl_err.h"
#include "bl_options.h"

#define BL_ABORTOV_BACKLOG 4
#define BL_ABORTOV_HELD 2
#define BL_ABORTOV_LATE 2
#define BL_ABORTOV_COOKIE 2

enum bl_abortov_group {
    BL_AO_HELD, BL_AO_FILL, BL_AO_LATE,   /* the final-ACK step */
    BL_AO_COOKIE, BL_AO_COOKIE_FILL,      /* the cookie step */
    BL_AO_NGROUPS
};

/* The clients of one group, by what they saw. */
struct bl_abortov_group_fate {
    int clients;
    int connected;     /* connect() had completed (ESTABLISHED) before the
                        * held clients' ACK was let through */
    int waiting;       /* at the end: ESTABLISHED, first read EAGAIN */
    int syn_sent;      /* at the end: still SYN-SENT (connect not done) */
    int reset;         /* first read ECONNRESET */
    int other;         /* anything else */
    int retransmitted; /* TCP_INFO counted a retransmission (a SYN, or the
                        * cookie clients' byte) */
};

/* Counters of the namespace, after - before; -1 when the kernel lacks one. */
enum bl_abortov_counter {
    BL_AO_LISTEN_OVERFLOWS,   /* TcpExt ListenOverflows */
    BL_AO_LISTEN_DROPS,       /* TcpExt ListenDrops */
    BL_AO_EMBRYONIC_RSTS,     /* TcpExt EmbryonicRsts */
    BL_AO_OUT_RSTS,           /* Tcp OutRsts */
    BL_AO_COOKIES_SENT,       /* TcpExt SyncookiesSent */
    BL_AO_COOKIES_RECV,       /* TcpExt SyncookiesRecv */
    BL_AO_NCOUNTERS
};

struct bl_abortov_phase {
    int abort_on_overflow;               /* the sysctl's value in the run */
    uint32_t queue_len, queue_limit;     /* the listener at the end */
    uint32_t srv_syn_recv;               /* server request sockets at the end */
    struct bl_abortov_group_fate g[BL_AO_NGROUPS];
    int64_t delta[BL_AO_NCOUNTERS];
    /* the cookie step: its listener at the end and its own counters */
    uint32_t ck_queue_len, ck_queue_limit, ck_srv_syn_recv;
    int64_t ck_delta[BL_AO_NCOUNTERS];
};

/* The counters' names, group and name ("TcpExt", "ListenOverflows"). */
extern const char *const bl_abortov_counter_group[BL_AO_NCOUNTERS];
extern const char *const bl_abortov_counter_name[BL_AO_NCOUNTERS];

/* One phase in the calling process's namespace, which must be the lab's
 * own (it writes the sysctls and adds an nft table); for its cookie step
 * the process moves into a new namespace of its own, where it stays; nft
 * is the path of `nft`.  Returns 0, or -1 with *err naming the call that
 * failed. */
int bl_abortov_phase(int abort_on_overflow, const char *nft,
                     struct bl_abortov_phase *ph, struct bl_err *err);

/* accept-queue --abort-on-overflow LIST; returns the exit status. */
int bl_abortov_main(const struct bl_opts *o);

#endif
