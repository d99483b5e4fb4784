/* test_bl_sockdiag.c - the inet_diag and TCP_INFO readers against a listener
 * made here with a known number of connections waiting to be accepted. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bl_sockdiag.h"
#include "support.h"

/* A listener on 127.0.0.1 with an ephemeral port; returns the fd. */
static int listener(int backlog, uint16_t *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert_geq(fd, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(fd, backlog), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void assert_queue(int nl, int lfd, uint16_t port, uint32_t len, uint32_t limit)
{
    struct bl_sockdiag_queues q;
    uint32_t tlen, tlimit;

    cr_assert_eq(bl_sockdiag_port_queues(nl, NULL, port, &q), 0, "%s", strerror(errno));
    cr_assert_eq(q.listeners, 1);
    cr_assert_eq(q.accept_len, len, "inet_diag says %u waiting, expected %u", q.accept_len, len);
    cr_assert_eq(q.accept_limit, limit);
    cr_assert_eq(bl_sockdiag_listener_info(lfd, &tlen, &tlimit), 0);
    cr_assert_eq(tlen, len, "TCP_INFO says %u waiting, expected %u", tlen, len);
    cr_assert_eq(tlimit, limit);
}

Test(bl_sockdiag, accept_queue_of_a_known_listener, .timeout = 20)
{
    uint16_t port;
    int lfd = listener(8, &port);
    int nl = bl_sockdiag_open();
    int clients[5];

    cr_assert_geq(nl, 0);
    assert_queue(nl, lfd, port, 0, 8);
    for (int i = 0; i < 5; i++) {
        clients[i] = sup_connect("127.0.0.1", port);
        cr_assert_geq(clients[i], 0);
    }
    assert_queue(nl, lfd, port, 5, 8);
    int a = accept(lfd, NULL, NULL);
    cr_assert_geq(a, 0);
    assert_queue(nl, lfd, port, 4, 8);
    close(a);
    for (int i = 0; i < 5; i++)
        close(clients[i]);
    close(lfd);
    close(nl);
}

Test(bl_sockdiag, no_listener_on_port)
{
    uint16_t port;
    int lfd = listener(1, &port);
    int nl = bl_sockdiag_open();
    struct bl_sockdiag_queues q;

    close(lfd); /* the port is now free */
    cr_assert_eq(bl_sockdiag_port_queues(nl, NULL, port, &q), 0);
    cr_assert_eq(q.listeners, 0);
    cr_assert_eq(q.syn_recv, 0);
    close(nl);
}

Test(bl_sockdiag, address_filter_matches_wildcard_and_exact)
{
    uint16_t port;
    int lfd = listener(3, &port);
    int nl = bl_sockdiag_open();
    struct bl_sockdiag_queues q;
    struct sockaddr_in other = { .sin_family = AF_INET };

    other.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1); /* 127.0.0.2 */
    cr_assert_eq(bl_sockdiag_port_queues(nl, (struct sockaddr *)&other, port, &q), 0);
    cr_assert_eq(q.listeners, 0, "127.0.0.2 matched a 127.0.0.1 listener");
    other.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bl_sockdiag_port_queues(nl, (struct sockaddr *)&other, port, &q), 0);
    cr_assert_eq(q.listeners, 1);
    cr_assert_eq(q.accept_limit, 3);
    close(lfd);
    close(nl);
}

struct count_arg { int established; uint16_t port; };

static int count_cb(const struct bl_sockdiag_entry *e, void *arg)
{
    struct count_arg *c = arg;
    cr_assert_eq(e->sport, c->port);
    if (e->state == TCP_ESTABLISHED)
        c->established++;
    return 0;
}

static int stop_cb(const struct bl_sockdiag_entry *e, void *arg)
{
    (void)e;
    (void)arg;
    return 7;
}

Test(bl_sockdiag, dump_children_and_stop_early, .timeout = 20)
{
    uint16_t port;
    int lfd = listener(4, &port);
    int nl = bl_sockdiag_open();
    int c1 = sup_connect("127.0.0.1", port), c2 = sup_connect("127.0.0.1", port);
    struct count_arg ca = { 0, port };
    uint8_t state;
    uint32_t retrans;

    cr_assert_geq(c1, 0);
    cr_assert_geq(c2, 0);
    cr_assert_eq(bl_sockdiag_dump(nl, port, BL_SOCKDIAG_ALL_STATES, count_cb, &ca), 0);
    cr_assert_eq(ca.established, 2, "server-side children not seen");
    cr_assert_eq(bl_sockdiag_dump(nl, port, BL_SOCKDIAG_ALL_STATES, stop_cb, NULL), 7);
    /* the socket is still usable after an early stop */
    ca.established = 0;
    cr_assert_eq(bl_sockdiag_dump(nl, port, BL_SOCKDIAG_ALL_STATES, count_cb, &ca), 0);
    cr_assert_eq(ca.established, 2);
    cr_assert_eq(bl_sockdiag_tcp_state(c1, &state, &retrans), 0);
    cr_assert_str_eq(bl_sockdiag_state_name(state), "ESTABLISHED");
    cr_assert_str_eq(bl_sockdiag_state_name(TCP_SYN_RECV), "SYN-RECV");
    cr_assert_str_eq(bl_sockdiag_state_name(200), "?");
    cr_assert_eq(bl_sockdiag_listener_info(c1, &retrans, &retrans), -1, "not a listener");
    close(c1);
    close(c2);
    close(lfd);
    close(nl);
}
