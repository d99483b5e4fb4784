/* test_tl_net.c - source address ranges and tcpload's client sockets:
 * --source binds each socket to the next address of the range, a refused
 * connect reports ECONNREFUSED, --linger0 closes with a reset. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tl_net.h"

Test(tl_net, source_ranges)
{
    struct tl_source s;

    cr_assert_eq(tl_source_parse("127.0.0.2-127.0.0.254", &s), 0);
    cr_assert_eq(s.first, 0x7f000002);
    cr_assert_eq(s.count, 253);
    cr_assert_eq(tl_source_addr(&s, 252), 0x7f0000fe);
    cr_assert_eq(tl_source_parse("10.0.0.255-10.0.1.1", &s), 0);
    cr_assert_eq(s.count, 3);
    cr_assert_eq(tl_source_parse("127.0.0.9", &s), 0);
    cr_assert_eq(s.count, 1);
    cr_assert_eq(s.family, AF_INET);
    cr_assert_eq(tl_source_parse("fd00::1:fffe-fd00::2:1", &s), 0);
    cr_assert_eq(s.family, AF_INET6);
    cr_assert_eq(s.first, 0x0001fffe);
    cr_assert_eq(s.count, 4);
    cr_assert_eq(s.high[0], 0xfd);
    cr_assert_eq(tl_source_parse("::1", &s), 0);
    cr_assert(s.family == AF_INET6 && s.first == 1 && s.count == 1);
    const char *bad[] = { "", "-", "127.0.0.2-", "-127.0.0.2", "127.0.0.3-127.0.0.2",
                          "127.0.0.1-::1", "::1-127.0.0.1", "localhost",
                          "127.0.0.1-127.0.0.2-127.0.0.3", "0.0.0.0-255.255.255.255",
                          "fd00::1-fd01::1", "fd00::9-fd00::2", "[::1]", "::1-::1:0:0" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(tl_source_parse(bad[i], &s), -1, "accepted '%s'", bad[i]);
        cr_assert_eq(errno, EINVAL);
    }
}

/* A listening socket on 127.0.0.1; fills *sin with its address. */
static int listener(struct sockaddr_in *sin)
{
    socklen_t len = sizeof(*sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0);
    cr_assert_eq(listen(fd, 16), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)sin, &len), 0);
    return fd;
}

/* Waits until fd is connected (writable). */
static void wait_connected(int fd)
{
    struct pollfd p = { fd, POLLOUT, 0 };
    cr_assert_eq(poll(&p, 1, 5000), 1);
    cr_assert_eq(tl_net_error(fd), 0);
}

Test(tl_net, source_addresses_taken_in_turn)
{
    struct sockaddr_in srv, local;
    struct tl_source src;
    int lfd = listener(&srv), connected;

    cr_assert_eq(tl_source_parse("127.0.0.5-127.0.0.6", &src), 0);
    for (int i = 0; i < 3; i++) {
        socklen_t len = sizeof(local);
        int fd = tl_net_connect((struct sockaddr *)&srv, sizeof(srv), &src, 1, &connected);
        cr_assert_geq(fd, 0, "%s", strerror(-fd));
        wait_connected(fd);
        cr_assert_eq(tl_net_connected(fd, EPOLLOUT), 0);
        cr_assert_eq(tl_net_connected(fd, EPOLLIN), -1, "no verdict without EPOLLOUT");
        cr_assert_eq(getsockname(fd, (struct sockaddr *)&local, &len), 0);
        cr_assert_eq(ntohl(local.sin_addr.s_addr), 0x7f000005u + (i % 2), "socket %d", i);
        cr_assert_neq(local.sin_port, 0);
        close(fd);
    }
    close(lfd);
}

Test(tl_net, refused_connect_reports_econnrefused)
{
    struct sockaddr_in srv;
    struct tl_source none = { .count = 0 };
    int lfd = listener(&srv), connected;

    close(lfd); /* nothing listens there now */
    int fd = tl_net_connect((struct sockaddr *)&srv, sizeof(srv), &none, 0, &connected);
    if (fd < 0) {
        cr_assert_eq(-fd, ECONNREFUSED);
        return;
    }
    struct pollfd p = { fd, POLLOUT, 0 };
    cr_assert_eq(poll(&p, 1, 5000), 1);
    cr_assert_eq(tl_net_connected(fd, EPOLLOUT | EPOLLERR | EPOLLHUP), ECONNREFUSED);
    cr_assert_eq(tl_net_error(fd), 0, "SO_ERROR is read once");
    close(fd);
}

Test(tl_net, linger0_close_resets_the_peer)
{
    struct sockaddr_in srv;
    struct tl_source none = { .count = 0 };
    int lfd = listener(&srv), connected;
    char c;

    int fd = tl_net_connect((struct sockaddr *)&srv, sizeof(srv), &none, 0, &connected);
    cr_assert_geq(fd, 0);
    wait_connected(fd);
    int peer = accept(lfd, NULL, NULL);
    cr_assert_geq(peer, 0);
    cr_assert_eq(tl_net_close(fd, 1), 0);
    cr_assert_eq(read(peer, &c, 1), -1);
    cr_assert_eq(errno, ECONNRESET);
    close(peer);
    close(lfd);
}
