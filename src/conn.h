/* conn.h - one echod connection: its state machine and its I/O.
 *
 * A connection is in exactly one of the states below, and every change of
 * state goes through conn_set_state, which checks the move against the
 * table of legal transitions and aborts the process on any other (a bug,
 * never a peer's doing):
 *
 *     FREE --open--> READING <--ring has room-- BACKPRESSURE
 *       |              |  \------ring full------------^   |
 *       |(hello)       |peer FIN (read 0, or short read   |
 *       v              v          after EPOLLRDHUP)       |
 *     DRAINING <-------+-------conn_stop (shutdown)-------+
 *       |  all output sent: after the peer's FIN with its input all
 *       |  read, close; else (hello, conn_stop) shutdown(SHUT_WR) unless
 *       v  the peer's FIN came, and linger
 *     LINGERING: read and drop input until the peer's FIN, then close
 *       |
 *       v
 *     CLOSED <---- error, reset, idle or linger timeout, grace (from any open state)
 *       |
 *       +--slot released at the end of the loop turn--> FREE
 *
 * Lingering is how a server closes without losing what it sent: closing
 * a socket with unread input makes the kernel answer with a reset, and a
 * reset makes the peer's kernel drop whatever it has not yet read of our
 * output.  So a connection whose peer may still be sending first sends
 * everything it owes, then shuts its write side (the peer reads it all,
 * then EOF), then reads and drops input until the peer's FIN; the worker
 * bounds that with a deadline (WORKER_LINGER_MS, or the grace period).
 *
 * With --proxy-protocol a connection opens in PROXY instead, before any
 * data byte, and leaves it once the worker has consumed the header:
 *
 *     FREE --open--> PROXY --header consumed (conn_start)--> READING
 *                      |                    (hello mode: --> DRAINING)
 *                      +--bad or missing header, timeout--> CLOSED
 *
 * Readiness is not a state: CONN_CAN_READ and CONN_CAN_WRITE remember what
 * the edge-triggered events said and what the last read or write showed,
 * so that a connection issues no syscall it knows would return EAGAIN.  An
 * echoed message costs one read and one write: a read that returns less
 * than it asked for proves the receive queue empty (stream socket), and a
 * write is attempted first and EPOLLOUT awaited only after a short one.
 *
 * With --splice (echo mode) a connection whose read filled the read unit
 * borrows a pipe from the worker (splice.h) if one is free, and echoes
 * through it with splice(2) while it streams: socket to pipe, pipe to
 * socket, under the same share of the turn as a read.  Bytes in the pipe
 * are owed like bytes in the ring (write timeout, lingering close), and
 * no more is read while the pipe holds any, so the pipe's capacity bounds
 * what the connection holds.  The pipe goes back once it is empty and the
 * connection has drained (its receive queue found empty, the peer's FIN,
 * a stop), and at close; the copy path takes over.
 *
 * The connection makes its socket calls through a table of socket
 * operations, so unit tests drive it with a fake socket.  When the table
 * is conn_sys_ops (every worker's), the per-message reads and writes skip
 * the table and enter the kernel inline: one pointer comparison instead of
 * an indirect call.  It knows nothing of epoll, deadlines or lists: the
 * worker owns those.
 */
#ifndef CONN_H
#define CONN_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "options.h"
#include "pool.h"
#include "ring.h"
#include "ringtab.h"
#include "splice.h"
#include "stats.h"

enum conn_state {
    CONN_FREE,         /* slot not in use */
    CONN_READING,      /* open: reads while the ring has room; output may be pending */
    CONN_BACKPRESSURE, /* ring full: no reads until the peer drains what it is owed */
    CONN_DRAINING,     /* no more input echoed (peer's FIN, hello, stop): flush, then finish */
    CONN_LINGERING,    /* all sent, write side shut: drop input until the peer's FIN */
    CONN_CLOSED,       /* descriptor closed; slot waits for the end of the loop turn */
    CONN_PROXY,        /* open, --proxy-protocol: waiting for the header; no data byte
                        * has been read (the worker peeks, see proxy.h) */
    CONN_NSTATES
};

enum conn_flag {
    CONN_CAN_READ = 1u << 0,  /* input may be queued: an EPOLLIN edge came, no short read since */
    CONN_CAN_WRITE = 1u << 1, /* the send buffer had room when last seen */
    CONN_PEER_FIN = 1u << 2,  /* EPOLLRDHUP or EOF seen: the FIN follows the queued input */
    CONN_QUEUED = 1u << 3,    /* on the worker's ready list (the worker sets and clears it) */
    CONN_UNREAD = 1u << 4,    /* DRAINING without having read to the peer's FIN (hello, stop) */
};

/* What a connection needs next, returned by every call that runs it. */
enum conn_result {
    CONN_WAIT, /* nothing to do until its next epoll event */
    CONN_MORE, /* budget spent with input left: serve again after the others */
    CONN_MEMWAIT, /* would read, owes nothing, and the pool's budget is spent:
                     serve again (events 0) once the pool's read unit is not 0 */
    CONN_DONE, /* closed (state CLOSED); the worker releases the slot */
    CONN_LINGER, /* now LINGERING: arm its deadline; serve again if CONN_CAN_READ */
};

/* The socket calls a connection makes; each returns what the syscall
 * returns and sets errno.  read/write take 1 or 2 iovecs. */
struct conn_sock_ops {
    ssize_t (*read)(int fd, const struct iovec *iov, int iovcnt);
    ssize_t (*write)(int fd, const struct iovec *iov, int iovcnt);
    int (*shutdown_write)(int fd);
    int (*close)(int fd);
};

/* recv/readv, send/sendmsg with MSG_NOSIGNAL, shutdown(SHUT_WR), close. */
extern const struct conn_sock_ops conn_sys_ops;

/* What a worker shares with all its connections. */
struct conn_env {
    const struct conn_sock_ops *ops;
    struct pool *pool;            /* ring buffers: small and large, under a budget */
    struct ringtab *rings;        /* the headers of the rings of bytes owed */
    struct stats_counters *stats; /* the worker's counters */
    uint8_t *scratch;             /* reads land here while nothing is owed (the
                                     pool's largest class: its read unit at most) */
    uint32_t scratch_size;        /* bytes at scratch */
    const char *banner;           /* hello mode */
    uint32_t banner_len;
    uint32_t budget;              /* bytes one conn_io may read: the worker's quantum */
    enum options_mode mode;
    uint32_t now_ms;              /* the worker's clock, read once per loop turn */
    int proxy;                    /* --proxy-protocol: connections open in PROXY */
    struct splice_pool *splice;   /* --splice: the worker's pipes (the real
                                     socket table only), else NULL */
};

struct conn {
    struct conn *next;         /* the worker's ready / memory / closed lists */
    int fd;
    uint32_t ring;             /* handle of the bytes owed (ringtab.h), 0 while
                                * nothing is owed: never an empty ring */
    uint32_t last_active_ms;   /* env->now_ms of the last byte moved; from the
                                * start of a lingering close, when it began */
    uint8_t state;             /* enum conn_state */
    uint8_t flags;             /* enum conn_flag */
    uint32_t opened_ms[];      /* env->now_ms at open: only in a slot made
                                * CONN_SIZE(1) bytes long (--max-lifetime) */
};

/* The size of a connection slot, with or without its opened_ms. */
#define CONN_SIZE(with_opened) (sizeof(struct conn) + ((with_opened) ? sizeof(uint32_t) : 0))


/* Starts a connection on accepted socket fd in slot c (state FREE).  In
 * hello mode this writes the banner at once, and may close.  Returns
 * CONN_WAIT or CONN_DONE. */
enum conn_result conn_open(struct conn *c, int fd, const struct conn_env *e);

/* The PROXY header of c (state PROXY) has been consumed: starts serving
 * as conn_open does without --proxy-protocol (READING, or DRAINING with
 * the banner in hello mode), then serves what already followed the
 * header.  Returns what conn_io returns. */
enum conn_result conn_start(struct conn *c, const struct conn_env *e);

/* Runs an open connection after epoll reported events (EPOLLIN, EPOLLOUT,
 * EPOLLRDHUP, EPOLLHUP, EPOLLERR), or with events 0 to continue after a
 * CONN_MORE or a CONN_MEMWAIT.  Reads and writes as far as readiness, the
 * budget and the pool allow.  Returns CONN_LINGER once, when the
 * connection starts lingering. */
enum conn_result conn_io(struct conn *c, const struct conn_env *e, uint32_t events);

/* Records what epoll reported for c without running it: for a connection
 * that waits on one of the worker's lists and will be run from there. */
void conn_note(struct conn *c, uint32_t events);

/* Shutdown: serves a READING or BACKPRESSURE connection once more, as if
 * EPOLLIN had come (input already queued is echoed), then stops echoing:
 * DRAINING, then the lingering close.  Any other state is left as it is
 * (CONN_WAIT).  Returns like conn_io. */
enum conn_result conn_stop(struct conn *c, const struct conn_env *e);

/* 1 when c owes its peer bytes (in its ring or its pipe), else 0. */
int conn_owes(const struct conn *c, const struct conn_env *e);

/* Closes an open connection now, dropping whatever it still owed. */
void conn_abort(struct conn *c, const struct conn_env *e);

/* Moves c to state `to`; aborts the process on an illegal transition. */
void conn_set_state(struct conn *c, enum conn_state to);

/* Returns 1 when from -> to is a legal transition, else 0. */
int conn_transition_ok(enum conn_state from, enum conn_state to);

/* The state's name ("reading", "backpressure"...). */
const char *conn_state_name(enum conn_state s);

#endif
