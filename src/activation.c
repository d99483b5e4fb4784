/* activation.c - inherited listening sockets (see activation.h).
 *
 * The checks are those a manager's misconfiguration trips: a .socket unit
 * with ListenDatagram= or a FIFO, a socket that is not listening
 * (Accept=yes hands over connections, not listeners), or a count that
 * does not match the descriptors actually open.  Each is refused with a
 * message naming the descriptor, so the unit can be fixed from the log.
 */
#include "activation.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "parse.h"

/* A decimal number in [min, max] from variable name.  Returns 0, or -1
 * with a message. */
static int env_number(const char *name, const char *v, uint64_t min, uint64_t max,
                      uint64_t *out, char *err, size_t errlen)
{
    if (parse_count(v, min, max, out) < 0 || strpbrk(v, "kmg") != NULL) {
        snprintf(err, errlen, "%s: expected a whole number from %llu to %llu, got '%s'", name,
                 (unsigned long long)min, (unsigned long long)max, v);
        return -1;
    }
    return 0;
}

static int sock_int(int fd, int name, int *v)
{
    socklen_t len = sizeof(*v);

    return getsockopt(fd, SOL_SOCKET, name, v, &len);
}

int activation_adopt_fd(int fd, char *err, size_t errlen)
{
    int type, listening, domain, protocol, fl;

    if (sock_int(fd, SO_TYPE, &type) < 0) {
        snprintf(err, errlen, "socket activation: descriptor %d: %s", fd,
                 errno == ENOTSOCK ? "not a socket" : strerror(errno));
        return -1;
    }
    if (sock_int(fd, SO_DOMAIN, &domain) < 0 || sock_int(fd, SO_PROTOCOL, &protocol) < 0 ||
        sock_int(fd, SO_ACCEPTCONN, &listening) < 0) {
        snprintf(err, errlen, "socket activation: descriptor %d: getsockopt: %s", fd,
                 strerror(errno));
        return -1;
    }
    if (type != SOCK_STREAM || (domain != AF_INET && domain != AF_INET6) ||
        (protocol != 0 && protocol != IPPROTO_TCP)) {
        snprintf(err, errlen, "socket activation: descriptor %d is not a TCP socket "
                 "(use ListenStream= in the .socket unit)", fd);
        return -1;
    }
    if (!listening) {
        snprintf(err, errlen, "socket activation: descriptor %d is not listening "
                 "(the .socket unit needs Accept=no)", fd);
        return -1;
    }
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        snprintf(err, errlen, "socket activation: descriptor %d: fcntl: %s", fd,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* Reads the variables (before they are unset).  Returns the number of
 * descriptors meant for this process, or -1 with a message. */
static int read_env(char *err, size_t errlen)
{
    const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
    uint64_t pid, n;

    if (pid_s == NULL || fds_s == NULL)
        return 0;
    if (env_number("LISTEN_PID", pid_s, 1, INT32_MAX, &pid, err, errlen) < 0 ||
        env_number("LISTEN_FDS", fds_s, 0, ACTIVATION_MAX_FDS, &n, err, errlen) < 0)
        return -1;
    return (pid_t)pid == getpid() ? (int)n : 0;
}

int activation_listen_fds(int *fds, char *err, size_t errlen)
{
    int n = read_env(err, errlen);

    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    for (int i = 0; i < n; i++) {
        fds[i] = ACTIVATION_FD_START + i;
        if (activation_adopt_fd(fds[i], err, errlen) < 0)
            return -1;
    }
    return n;
}
