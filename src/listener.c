/* listener.c - listen sockets, accepting, running out of descriptors (see
 * listener.h).
 *
 * Descriptors: echod caps its connections below the open-file limit
 * (listener_fd_cap, the --max-conns that main computes when none is
 * given), so that in normal operation accept4 always finds a descriptor
 * and a client past the cap is accepted and closed at once: it sees EOF
 * instead of waiting in the queue.  The reserve descriptor is for when
 * accept4 fails all the same (the limit lowered while echod runs, other
 * descriptors opened, the system's file table full).
 *
 * Why a reserve descriptor rather than pausing on a timer when accept4
 * fails with EMFILE/ENFILE: under edge triggering the connection that
 * could not be accepted stays in the kernel's queue, and nothing tells us
 * when a descriptor frees up.  Pausing (nginx's way) keeps those clients
 * waiting, possibly for ever if the server stays full.  With a spare
 * descriptor held open (libuv's way) the worker can always make room for
 * exactly one more socket: it closes the spare, accepts, closes the new
 * connection at once, and reopens the spare.  The client gets an immediate
 * EOF it can act on, and the queue drains to EAGAIN without spinning.
 *
 * With several workers a spare per worker does not work: the number one
 * worker frees is taken by another worker's ordinary accept4, the spare
 * cannot be reopened at the limit, and that worker's clients hang (issue
 * 9, fault 1).  So there is one spare for the process, spent and taken
 * back under a lock, and once any worker has met EMFILE/ENFILE every
 * accept takes that lock too (pressure): then no other thread of echod
 * creates a descriptor between the close of the spare and its reopening.
 * The pressure mode lasts until exit; it serializes accepts, which only a
 * server that did run out of descriptors pays for.  An accept racing the
 * switch to pressure can still take the spare's number: the worker lowers
 * the connection cap to what is open before it sheds (worker.c), so that
 * connection is closed at once, and the next shed reopens the spare (until
 * then the worker retries after LISTENER_BACKOFF_MS).
 */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "os.h"
#include "parse.h"
#include "sysraw.h"

/* What bind's EACCES means for a port below 1024, and the ways out. */
#define BIND_EACCES_HINT                                                        \
    " (ports below 1024 need privilege: let systemd pass the socket "         \
    "(dist/systemd/echod.socket, or systemd-socket-activate -l ADDR echod), " \
    "or grant CAP_NET_BIND_SERVICE: setcap cap_net_bind_service=+ep echod, "  \
    "AmbientCapabilities= in a unit)"

static int set_int(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof(value));
}

/* Listen sockets that never accepted: a failed close loses nothing. */
static void close_all(int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        os_close(fds[i]);
}

/* Creates a nonblocking socket bound to addr with SO_REUSEADDR (and the
 * options asked for).  Returns it, or -1 with a message. */
static int bound_socket(const struct sockaddr *addr, socklen_t addr_len, int reuseport,
                        int nodelay, char *err, size_t errlen)
{
    char text[PARSE_ADDRSTRLEN];
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    if (set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0 ||
        (reuseport && set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1) < 0) ||
        (nodelay && set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1) < 0)) {
        snprintf(err, errlen, "setsockopt: %s", strerror(errno));
    } else if (bind(fd, addr, addr_len) < 0) {
        snprintf(err, errlen, "bind %s: %s%s", parse_format_addr(addr, text, sizeof(text)),
                 strerror(errno), errno == EACCES ? BIND_EACCES_HINT : "");
    } else {
        return fd;
    }
    os_close(fd); /* never connected: nothing to lose */
    return -1;
}

/* Opens one listen socket on addr.  Returns it, or -1 with a message. */
static int open_one(const struct sockaddr *addr, socklen_t addr_len, int backlog,
                    int reuseport, int nodelay, char *err, size_t errlen)
{
    int fd = bound_socket(addr, addr_len, reuseport, nodelay, err, errlen);

    if (fd >= 0 && listen(fd, backlog) < 0) {
        snprintf(err, errlen, "listen: %s", strerror(errno));
        os_close(fd); /* never listened: nothing to lose */
        return -1;
    }
    return fd;
}

/* Binds a plain socket (no SO_REUSEPORT) to addr to prove the address is
 * free, and learns the port the kernel picks for port 0.  The probe is
 * closed before the real sockets bind.  Returns 0 or -1 with a message. */
static int probe_address(struct sockaddr_storage *addr, socklen_t addr_len,
                         char *err, size_t errlen)
{
    socklen_t len = addr_len;
    int fd = bound_socket((struct sockaddr *)addr, addr_len, 0, 0, err, errlen);
    int rc = 0;

    if (fd < 0)
        return -1;
    if (getsockname(fd, (struct sockaddr *)addr, &len) < 0) {
        snprintf(err, errlen, "getsockname: %s", strerror(errno));
        rc = -1;
    }
    os_close(fd); /* a bound probe: nothing to lose */
    return rc;
}

int listener_open_all(const struct sockaddr *addr, socklen_t addr_len, int backlog,
                      unsigned n, int shared, int nodelay, int *fds,
                      struct sockaddr_storage *bound, char *err, size_t errlen)
{
    socklen_t len = sizeof(*bound);

    memset(bound, 0, sizeof(*bound));
    memcpy(bound, addr, addr_len);
    if (shared)
        n = 1;
    else if (probe_address(bound, addr_len, err, errlen) < 0)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        fds[i] = open_one((struct sockaddr *)bound, addr_len, backlog, !shared, nodelay,
                          err, errlen);
        if (fds[i] < 0) {
            close_all(fds, i);
            return -1;
        }
    }
    if (getsockname(fds[0], (struct sockaddr *)bound, &len) < 0) {
        snprintf(err, errlen, "getsockname: %s", strerror(errno));
        close_all(fds, n);
        return -1;
    }
    return 0;
}

int listener_set_buffers(int fd, uint32_t sndbuf, uint32_t rcvbuf, char *err, size_t errlen)
{
    if (sndbuf != 0 && set_int(fd, SOL_SOCKET, SO_SNDBUF, (int)sndbuf) < 0) {
        snprintf(err, errlen, "setsockopt SO_SNDBUF: %s", strerror(errno));
        return -1;
    }
    if (rcvbuf != 0 && set_int(fd, SOL_SOCKET, SO_RCVBUF, (int)rcvbuf) < 0) {
        snprintf(err, errlen, "setsockopt SO_RCVBUF: %s", strerror(errno));
        return -1;
    }
    return 0;
}

long listener_somaxconn(void)
{
    long v;

    return os_read_sysctl("/proc/sys/net/core/somaxconn", &v, 1) == 1 ? v : -1;
}

static int open_reserve(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int listener_reserve_init(struct listener_reserve *r)
{
    int rc = pthread_mutex_init(&r->lock, NULL);

    if (rc != 0) {
        errno = rc;
        return -1;
    }
    r->pressure = 0;
    r->fd = open_reserve();
    return r->fd < 0 ? -1 : 0;
}

void listener_reserve_destroy(struct listener_reserve *r)
{
    os_close_slot(&r->fd); /* /dev/null, read-only: nothing to lose */
    pthread_mutex_destroy(&r->lock);
}

uint64_t listener_fd_cap(uint64_t nofile, uint64_t in_use, unsigned workers)
{
    uint64_t held = in_use + workers + LISTENER_SPARE_FDS;

    return nofile > held ? nofile - held : 0;
}

void listener_init(struct listener *l, int fd, struct listener_reserve *r)
{
    l->fd = fd;
    l->reserve = r;
}

/* Out of descriptors, holding the reserve's lock: trades the reserve for
 * the first queued connection and closes that (see the comment at the top
 * of the file).  close(2) of /dev/null or of a socket nobody has used
 * always frees the descriptor, which is all that matters here. */
static enum listener_result shed_locked(struct listener *l, struct stats_counters *s)
{
    struct listener_reserve *r = l->reserve;

    if (r->fd < 0) {
        r->fd = open_reserve();
        if (r->fd < 0)
            return LISTENER_BACKOFF;
    }
    sysraw_close(r->fd);
    int fd = sysraw_accept4(l->fd, SOCK_NONBLOCK | SOCK_CLOEXEC);
    int err = errno;
    if (fd >= 0) {
        sysraw_close(fd);
        stats_add(s, STATS_SHED, 1);
    }
    r->fd = open_reserve();
    if (fd >= 0)
        return r->fd < 0 ? LISTENER_BACKOFF : LISTENER_SHED;
    if (err == EAGAIN || err == EINVAL)
        return LISTENER_EMPTY;
    return LISTENER_BACKOFF; /* another process took the number, or worse */
}

/* One accept4 and what its failure means; the caller holds the reserve's
 * lock when it is under pressure. */
static enum listener_result accept_one(struct listener *l, struct stats_counters *s, int *fd)
{
    for (;;) {
        *fd = sysraw_accept4(l->fd, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (*fd >= 0)
            return LISTENER_ACCEPTED;
        switch (errno) {
        case EAGAIN:
        case EINVAL: /* no longer listening: shut down at stop */
            return LISTENER_EMPTY;
        case EINTR:
            continue;
        case ECONNABORTED:
        case EPROTO:
            stats_add(s, STATS_ACCEPT_ABORTED, 1);
            continue;
        case EMFILE:
        case ENFILE:
            stats_add(s, errno == EMFILE ? STATS_ACCEPT_EMFILE : STATS_ACCEPT_ENFILE, 1);
            __atomic_store_n(&l->reserve->pressure, 1, __ATOMIC_RELAXED);
            return LISTENER_NOFDS;
        case ENOBUFS:
            stats_add(s, STATS_ACCEPT_ENOBUFS, 1);
            return LISTENER_BACKOFF;
        case ENOMEM:
            stats_add(s, STATS_ACCEPT_ENOMEM, 1);
            return LISTENER_BACKOFF;
        default:
            stats_add(s, STATS_ACCEPT_OTHER, 1);
            return LISTENER_BACKOFF;
        }
    }
}

enum listener_result listener_accept(struct listener *l, struct stats_counters *s, int *fd)
{
    struct listener_reserve *r = l->reserve;
    enum listener_result res;

    if (!__atomic_load_n(&r->pressure, __ATOMIC_RELAXED))
        return accept_one(l, s, fd);
    pthread_mutex_lock(&r->lock);
    res = accept_one(l, s, fd);
    pthread_mutex_unlock(&r->lock);
    return res;
}

enum listener_result listener_shed(struct listener *l, struct stats_counters *s)
{
    enum listener_result res;

    pthread_mutex_lock(&l->reserve->lock);
    res = shed_locked(l, s);
    pthread_mutex_unlock(&l->reserve->lock);
    return res;
}

void listener_rate_init(struct listener_rate *r, uint64_t per_sec, uint64_t now_ns)
{
    uint64_t burst = per_sec / 10 > 1 ? per_sec / 10 : 1;

    r->interval_ns = CLOCK_NS_PER_SEC / per_sec;
    if (r->interval_ns == 0)
        r->interval_ns = 1;
    r->burst_ns = (burst - 1) * r->interval_ns;
    r->next_ns = now_ns;
}

uint64_t listener_rate_delay(const struct listener_rate *r, uint64_t now_ns)
{
    return r->next_ns > now_ns + r->burst_ns ? r->next_ns - r->burst_ns - now_ns : 0;
}

void listener_rate_note(struct listener_rate *r, uint64_t now_ns)
{
    r->next_ns = (r->next_ns > now_ns ? r->next_ns : now_ns) + r->interval_ns;
}
