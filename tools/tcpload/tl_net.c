/* tl_net.c - source address ranges and nonblocking client sockets (see
 * tl_net.h). */
#include "tl_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>

#include "os.h"

/* Parses one address of family of at most len characters: its first 96
 * bits (IPv6) into high, its last 32 bits (host order) into *low. */
static int parse_addr(int family, const char *s, size_t len, uint8_t high[12], uint32_t *low)
{
    char buf[INET6_ADDRSTRLEN];
    uint8_t a[16];

    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(family, buf, a) != 1)
        return -1;
    size_t n = family == AF_INET ? 4 : 16;
    memcpy(high, a, n - 4);
    *low = (uint32_t)a[n - 4] << 24 | (uint32_t)a[n - 3] << 16 | (uint32_t)a[n - 2] << 8 |
           a[n - 1];
    return 0;
}

int tl_source_parse(const char *s, struct tl_source *src)
{
    uint8_t high[12] = { 0 }, high_b[12] = { 0 };
    uint32_t first, last;
    const char *dash;

    if (s == NULL)
        goto bad;
    int family = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
    dash = strchr(s, '-');
    if (dash == NULL) {
        if (parse_addr(family, s, strlen(s), high, &first) < 0)
            goto bad;
        last = first;
    } else if (parse_addr(family, s, (size_t)(dash - s), high, &first) < 0 ||
               parse_addr(family, dash + 1, strlen(dash + 1), high_b, &last) < 0 ||
               memcmp(high, high_b, sizeof(high)) != 0 || last < first ||
               last - first == UINT32_MAX) {
        goto bad;
    }
    src->family = family;
    memcpy(src->high, high, sizeof(src->high));
    src->first = first;
    src->count = last - first + 1;
    src->next = 0;
    return 0;
bad:
    errno = EINVAL;
    return -1;
}

/* Binds fd to the next source address, port chosen at connect() time. */
static int bind_source(int fd, struct tl_source *src)
{
    struct sockaddr_storage ss;
    uint32_t low = htonl(tl_source_addr(src, src->next));
    socklen_t len;
    int one = 1;

    if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) < 0)
        return -errno;
    memset(&ss, 0, sizeof(ss));
    if (src->family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        memcpy(sin6->sin6_addr.s6_addr, src->high, sizeof(src->high));
        memcpy(sin6->sin6_addr.s6_addr + 12, &low, 4);
        len = sizeof(*sin6);
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = low;
        len = sizeof(*sin);
    }
    if (++src->next == src->count)
        src->next = 0;
    if (bind(fd, (struct sockaddr *)&ss, len) < 0)
        return -errno;
    return 0;
}

int tl_net_connect(const struct sockaddr *dst, socklen_t len,
                   struct tl_source *src, int nodelay, int *connected)
{
    int fd, err = 0, one = 1;

    fd = socket(dst->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (src->count > 0 && (err = bind_source(fd, src)) < 0)
        goto fail;
    if (nodelay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
        err = -errno;
        goto fail;
    }
    *connected = 1;
    if (connect(fd, dst, len) < 0) {
        if (errno != EINPROGRESS) {
            err = -errno;
            goto fail;
        }
        *connected = 0;
    }
    return fd;
fail:
    os_close(fd); /* never connected: nothing to lose; err says what failed */
    return err;
}

int tl_net_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return errno;
    return err;
}

int tl_net_connected(int fd, uint32_t events)
{
    if (events & (EPOLLERR | EPOLLHUP)) {
        int err = tl_net_error(fd);
        return err != 0 ? err : ECONNREFUSED;
    }
    return (events & EPOLLOUT) ? 0 : -1;
}

int tl_net_close(int fd, int rst)
{
    if (rst) {
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };
        if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0) {
            int err = -errno;
            os_close(fd); /* the setsockopt failure is the one reported */
            return err;
        }
    }
    return os_close(fd);
}
