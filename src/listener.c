/* listener.c - listen sockets, accepting, running out of descriptors (see
 * listener.h).
 *
 * Why a reserve descriptor rather than pausing on a timer when accept4
 * fails with EMFILE/ENFILE: under edge triggering the connection that
 * could not be accepted stays in the kernel's queue, and nothing tells us
 * when a descriptor frees up.  Pausing (nginx's way) keeps those clients
 * waiting, possibly for ever if the server stays full, and costs a wakeup
 * per pause.  With a spare descriptor held open (libuv's way) the worker
 * can always make room for exactly one more socket: it closes the spare,
 * accepts, closes the new connection at once, and reopens the spare.  The
 * client gets an immediate EOF it can act on, the queue drains to EAGAIN,
 * and the worker goes back to epoll_wait without spinning; later
 * connections are served again as soon as descriptors are free.  With
 * several workers another thread may take the freed number first; then
 * the reserve cannot be reopened and the worker pauses LISTENER_BACKOFF_MS
 * before trying again (the only case, with ENOBUFS/ENOMEM, where clients
 * wait in the queue), so it never spins either way.
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

long listener_somaxconn(void)
{
    long v;

    return os_read_sysctl("/proc/sys/net/core/somaxconn", &v, 1) == 1 ? v : -1;
}

static int open_reserve(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int listener_init(struct listener *l, int fd)
{
    l->fd = fd;
    l->reserve_fd = open_reserve();
    return l->reserve_fd < 0 ? -1 : 0;
}

void listener_destroy(struct listener *l)
{
    if (l->reserve_fd >= 0)
        os_close(l->reserve_fd); /* /dev/null, read-only: nothing to lose */
    l->reserve_fd = -1;
}

/* Out of descriptors: trades the reserve for the first queued connection
 * and closes that (see the comment at the top of the file).  close(2) of
 * /dev/null or of a socket nobody has used always frees the descriptor,
 * which is all that matters here. */
static enum listener_result shed_one(struct listener *l, struct stats_counters *s)
{
    if (l->reserve_fd < 0) {
        l->reserve_fd = open_reserve();
        if (l->reserve_fd < 0)
            return LISTENER_BACKOFF;
    }
    sysraw_close(l->reserve_fd);
    int fd = sysraw_accept4(l->fd, SOCK_NONBLOCK | SOCK_CLOEXEC);
    int err = errno;
    if (fd >= 0) {
        sysraw_close(fd);
        stats_add(s, STATS_SHED, 1);
    }
    l->reserve_fd = open_reserve();
    if (fd >= 0)
        return l->reserve_fd < 0 ? LISTENER_BACKOFF : LISTENER_SHED;
    if (err == EAGAIN)
        return LISTENER_EMPTY;
    return LISTENER_BACKOFF; /* another thread took the number, or worse */
}

enum listener_result listener_accept(struct listener *l, struct stats_counters *s, int *fd)
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
            stats_add(s, STATS_ACCEPT_EMFILE, 1);
            return shed_one(l, s);
        case ENFILE:
            stats_add(s, STATS_ACCEPT_ENFILE, 1);
            return shed_one(l, s);
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
