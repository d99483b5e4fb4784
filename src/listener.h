/* listener.h - echod's listen sockets and how a worker accepts from them.
 *
 * By default every worker has its own listen socket, all bound to the same
 * address with SO_REUSEPORT, so the kernel spreads new connections across
 * the workers' accept queues.  With --shared-listener there is one socket,
 * which every worker registers with EPOLLEXCLUSIVE.  Either way the sockets
 * are nonblocking and close-on-exec, and a worker drains its queue with
 * accept4 until EAGAIN.
 *
 * Running out of descriptors is kept out of normal operation by a
 * connection cap below the open-file limit (listener_fd_cap); should
 * accept4 fail with EMFILE or ENFILE anyway (the limit lowered while echod
 * runs, or the system's file table full), a reserve descriptor that all
 * workers share sheds the waiting clients; running out of kernel memory
 * (ENOBUFS, ENOMEM) pauses accepting; see listener_accept.  An accept-rate
 * limiter (--accept-rate) paces the accepts of one worker.
 */
#ifndef LISTENER_H
#define LISTENER_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "stats.h"

#define LISTENER_BACKOFF_MS 100  /* pause after ENOBUFS/ENOMEM, or with no reserve */

/* What every worker shares to shed at the descriptor limit: one spare
 * descriptor, and the lock that makes spending it and taking it back
 * atomic with respect to every other accept (see listener.c). */
struct listener_reserve {
    pthread_mutex_t lock;
    int fd;          /* /dev/null; -1 while spent */
    int pressure;    /* EMFILE/ENFILE seen: every accept takes the lock */
};

struct listener {
    int fd;                           /* listen socket: this worker's own, or the shared one */
    struct listener_reserve *reserve; /* the process's */
};

enum listener_result {
    LISTENER_ACCEPTED, /* *fd holds a new nonblocking, close-on-exec connection */
    LISTENER_EMPTY,    /* EAGAIN: the accept queue is empty */
    LISTENER_NOFDS,    /* EMFILE/ENFILE: out of descriptors, call listener_shed */
    LISTENER_SHED,     /* out of descriptors: one queued connection was closed */
    LISTENER_BACKOFF,  /* cannot accept now: retry in LISTENER_BACKOFF_MS */
};

/* Opens n listen sockets bound to addr (SO_REUSEPORT), or one when shared
 * (fds[0]), with TCP_NODELAY when nodelay (accepted sockets inherit it).
 * With port 0 the first socket picks a free port and the others join it.
 * Refuses an address that any other socket has bound, even with
 * SO_REUSEPORT, so two servers never silently share a port.  Fills fds and
 * *bound (the address with its real port).  Returns 0, or -1 with a
 * message naming the failing call in err (nothing is left open). */
int listener_open_all(const struct sockaddr *addr, socklen_t addr_len, int backlog,
                      unsigned n, int shared, int nodelay, int *fds,
                      struct sockaddr_storage *bound, char *err, size_t errlen);

/* Caps the kernel buffers of every connection accepted on listen socket
 * fd: SO_SNDBUF sndbuf and SO_RCVBUF rcvbuf bytes (the kernel doubles
 * them for its bookkeeping, and turns autotuning off for each it sets);
 * 0 leaves one to the kernel.  Accepted sockets inherit both, so this
 * costs no syscall per connection.  Returns 0, or -1 with a message. */
int listener_set_buffers(int fd, uint32_t sndbuf, uint32_t rcvbuf, char *err, size_t errlen);

/* net.core.somaxconn, or -1 when it cannot be read. */
long listener_somaxconn(void);

/* Opens the process's reserve descriptor.  Returns 0, or -1 with errno. */
int listener_reserve_init(struct listener_reserve *r);

/* Closes it. */
void listener_reserve_destroy(struct listener_reserve *r);

/* The connections a process may hold under an open-file limit of nofile
 * descriptors while in_use are open for everything else, with `workers`
 * workers: each may hold one more descriptor for a moment (a connection
 * accepted to be closed at once), and LISTENER_SPARE_FDS stay free for
 * whatever else the process opens.  0 when nothing is left. */
#define LISTENER_SPARE_FDS 16
uint64_t listener_fd_cap(uint64_t nofile, uint64_t in_use, unsigned workers);

/* Prepares a worker's accept state on listen socket fd, sharing r. */
void listener_init(struct listener *l, int fd, struct listener_reserve *r);

/* Accepts one connection.  EINTR, ECONNABORTED and EPROTO are retried
 * (the last two counted).  EMFILE/ENFILE: NOFDS, and from then on every
 * accept of every worker holds the reserve's lock.  ENOBUFS/ENOMEM:
 * BACKOFF.  Every errno is counted in s.  Never blocks. */
enum listener_result listener_accept(struct listener *l, struct stats_counters *s, int *fd);

/* After NOFDS: closes the reserve descriptor, accepts the waiting
 * connection, closes it at once (the client sees EOF instead of waiting
 * forever) and reopens the reserve: SHED (counted in s), or EMPTY when
 * no connection was waiting.  BACKOFF when the reserve cannot be reopened
 * (a descriptor taken meanwhile; the next call tries again). */
enum listener_result listener_shed(struct listener *l, struct stats_counters *s);

/* Paces accepts at per_sec per second with a burst of per_sec / 10 (at
 * least 1): a generic cell rate algorithm, one timestamp, no tokens. */
struct listener_rate {
    uint64_t interval_ns; /* 10^9 / per_sec */
    uint64_t burst_ns;    /* how far ahead of now the schedule may run */
    uint64_t next_ns;     /* theoretical time of the next accept */
};

/* Prepares a limiter for per_sec >= 1 accepts per second. */
void listener_rate_init(struct listener_rate *r, uint64_t per_sec, uint64_t now_ns);

/* Returns 0 when an accept is allowed now, else the nanoseconds until one
 * is.  Does not change the limiter: call listener_rate_note after an
 * accept actually happened. */
uint64_t listener_rate_delay(const struct listener_rate *r, uint64_t now_ns);

/* Records one accept at now_ns. */
void listener_rate_note(struct listener_rate *r, uint64_t now_ns);

#endif
