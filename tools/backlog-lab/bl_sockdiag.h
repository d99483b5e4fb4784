/* bl_sockdiag.h - what the kernel says about TCP sockets on one port, read
 * with NETLINK_SOCK_DIAG (inet_diag, the interface `ss` uses) and, for
 * sockets this process owns, with getsockopt(TCP_INFO).
 *
 * For a listening socket inet_diag reports the accept-queue length in
 * idiag_rqueue and its limit in idiag_wqueue; TCP_INFO on the listener
 * reports the same two numbers in tcpi_unacked and tcpi_sacked.  Half-open
 * connections show up as sockets in state SYN-RECV (request sockets) with
 * their SYN-ACK retransmission count and timer; TIME-WAIT sockets likewise.
 *
 * A netlink socket answers for the network namespace it was created in.
 * Functions return 0 on success and -1 with errno set on failure.
 */
#ifndef BL_SOCKDIAG_H
#define BL_SOCKDIAG_H

#include <stdint.h>
#include <sys/socket.h>

/* Bit masks for the states argument: 1 << TCP_LISTEN etc. */
#define BL_SOCKDIAG_ALL_STATES 0xfffu

struct bl_sockdiag_entry {
    int family;                 /* AF_INET or AF_INET6 */
    uint8_t state;              /* TCP_ESTABLISHED ... (netinet/tcp.h) */
    uint8_t timer;              /* 0 none, 1 retransmit, 2 keepalive,
                                   3 TIME-WAIT, 4 zero-window probe */
    uint8_t retrans;            /* SYN-ACK retransmissions for SYN-RECV */
    struct sockaddr_storage src; /* local address and port */
    struct sockaddr_storage dst; /* peer address and port */
    uint16_t sport, dport;      /* host byte order */
    uint32_t rqueue;            /* LISTEN: accept-queue length */
    uint32_t wqueue;            /* LISTEN: accept-queue limit */
    uint32_t expires_ms;        /* time until the timer fires */
    uint32_t inode;
};

#define BL_SOCKDIAG_MAX_LISTENERS 16

/* One listener's accept queue. */
struct bl_sockdiag_listener {
    uint32_t inode;
    uint32_t len;               /* idiag_rqueue */
    uint32_t limit;             /* idiag_wqueue */
};

/* The queues of one port: each listener's own (several with SO_REUSEPORT,
 * the first BL_SOCKDIAG_MAX_LISTENERS kept one by one), their sums, and
 * the port's SYN-RECV sockets. */
struct bl_sockdiag_queues {
    int listeners;
    int kept;                   /* entries filled in listener[] */
    struct bl_sockdiag_listener listener[BL_SOCKDIAG_MAX_LISTENERS];
    int full;                   /* listeners whose len exceeded limit */
    uint32_t accept_len;        /* sum of idiag_rqueue of the listeners */
    uint32_t accept_limit;      /* sum of idiag_wqueue */
    uint32_t syn_recv;          /* request sockets in SYN-RECV */
    uint32_t syn_recv_retrans;  /* most SYN-ACK retransmissions among them */
};

typedef int (*bl_sockdiag_cb)(const struct bl_sockdiag_entry *e, void *arg);

/* Opens a NETLINK_SOCK_DIAG socket in the calling thread's namespace. */
int bl_sockdiag_open(void);

/* Dumps the TCP sockets of both families whose local port is port (0 =
 * every port) and whose state bit is set in states, calling cb for each;
 * a nonzero return from cb stops the dump and is returned. */
int bl_sockdiag_dump(int nl, uint16_t port, uint32_t states, bl_sockdiag_cb cb,
                     void *arg);

/* Fills q for the listeners on port whose local address is addr or a
 * wildcard (addr NULL, or itself a wildcard: every listener on port). */
int bl_sockdiag_port_queues(int nl, const struct sockaddr *addr, uint16_t port,
                            struct bl_sockdiag_queues *q);

/* TCP_INFO on a listening socket: *len = tcpi_unacked (accept-queue
 * length), *limit = tcpi_sacked (its limit).  Fails with getsockopt's
 * errno, or EINVAL when the socket is not in LISTEN. */
int bl_sockdiag_listener_info(int fd, uint32_t *len, uint32_t *limit);

/* TCP_INFO on any TCP socket: its state and total retransmissions. */
int bl_sockdiag_tcp_state(int fd, uint8_t *state, uint32_t *total_retrans);

/* "SYN-SENT" etc. for a TCP state number; "?" when unknown. */
const char *bl_sockdiag_state_name(uint8_t state);

#endif
