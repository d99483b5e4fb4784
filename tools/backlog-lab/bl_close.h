/* bl_close.h - the close experiment: every state of TCP's close made
 * visible by holding packets with nftables.
 *
 * Two namespaces joined by veth (bl_netns_create_pair): the server
 * listens on BL_NETNS_SERVER_ADDR in one, the client connects from the
 * other.  Each namespace has a table of its own with one input chain; a
 * step puts one drop rule in the receiver's (the client's FIN, the client's
 * pure ACKs, the server's FIN) or flushes it, and the lab reads both ends with
 * inet_diag, each in its namespace, after every step: state, timer kind
 * and time left.  After a rule is flushed it waits for the next
 * retransmission to change a state (at most BL_CLOSE_WAIT_S).
 *
 * Two sequences, each on a connection of its own:
 *   four-way close: the client closes with its FIN dropped, the FIN is let
 *     through, the server closes with the client's last ACK dropped, the
 *     ACK is let through;
 *   simultaneous close: both close with both FINs dropped, the client's
 *     FIN is let through (its ACKs still dropped), then the server's, then
 *     the client's ACKs.
 * With --long the client's TIME-WAIT end of the first sequence is watched
 * until it goes.  Namespaces, rules and sysctls die with the process.
 *
 * The experiment only measures; bl_report_close.c explains.
 */
#ifndef BL_CLOSE_H
#define BL_CLOSE_H

#include <stdbool.h>
#include <stdint.h>

#include "bl_err.h"
#include "bl_options.h"

#define BL_CLOSE_PORT 7200           /* the four-way close; +1 simultaneous */
#define BL_CLOSE_MAX_STEPS 8
#define BL_CLOSE_HOLD_MS 300         /* how long FIN-WAIT-2/CLOSE-WAIT are held */
#define BL_CLOSE_WAIT_S 10           /* longest wait for a retransmission */
#define BL_CLOSE_WATCH_S 150         /* --long: longest TIME-WAIT watch */

enum bl_close_seq_kind {
    BL_CLOSE_FOUR_WAY,
    BL_CLOSE_SIMULTANEOUS,
};

/* One end as inet_diag showed it; state 0 when it had no socket. */
struct bl_close_end {
    uint8_t state;              /* TCP_ESTABLISHED ... */
    uint8_t timer;              /* idiag_timer: 1 retransmit, 2 keepalive, 3 TIME-WAIT */
    uint32_t expires_ms;        /* time left on it */
};

struct bl_close_step {
    const char *action;         /* what the lab had just done */
    uint64_t t_ns;              /* when the ends were read, after the sequence began */
    struct bl_close_end client, server;
};

struct bl_close_seq {
    enum bl_close_seq_kind kind;
    int n;
    struct bl_close_step step[BL_CLOSE_MAX_STEPS];
};

struct bl_close_result {
    long fin_timeout_s;         /* net.ipv4.tcp_fin_timeout (client namespace) */
    struct bl_close_seq seq[2];
    bool watched;               /* --long: the TIME-WAIT end was watched */
    bool gone;                  /* and went within BL_CLOSE_WATCH_S */
    uint64_t gone_ns;           /* when the watch ended (the end went, or the
                                   watch gave up), after the four-way began */
    bool interrupted;
};

/* "FIN-WAIT-1", or "-" for an end with no socket. */
const char *bl_close_state_name(uint8_t state);

/* "retransmit", "keepalive", "time-wait", "-" ... for an idiag_timer. */
const char *bl_close_timer_name(uint8_t timer);

/* The whole command; returns the exit status. */
int bl_close_main(const struct bl_opts *o);

#endif
