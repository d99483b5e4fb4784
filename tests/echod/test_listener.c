/* test_listener.c - opening the listen sockets (SO_REUSEPORT group on one
 * port, refusal of a taken port), the reserve-descriptor answer to EMFILE,
 * and the accept-rate limiter. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "listener.h"
#include "parse.h"
#include "support.h"

static int port_of(int fd)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);

    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    return ntohs(sin.sin_port);
}

static void loopback(struct sockaddr_storage *ss, socklen_t *len, const char *text)
{
    cr_assert_eq(parse_hostport(text, ss, len), 0);
}

Test(listener, workers_share_one_ephemeral_port)
{
    struct sockaddr_storage addr, bound;
    socklen_t len;
    int fds[3];
    char err[256];

    loopback(&addr, &len, "127.0.0.1:0");
    cr_assert_eq(listener_open_all((struct sockaddr *)&addr, len, 16, 3, 0, 0, fds, &bound,
                                   err, sizeof(err)), 0, "%s", err);
    int port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    cr_assert_gt(port, 0);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(port_of(fds[i]), port);
        cr_assert(fcntl(fds[i], F_GETFL) & O_NONBLOCK);
        cr_assert(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
    }

    /* The port is taken: a second server must fail, even with SO_REUSEPORT. */
    int more[2];
    loopback(&addr, &len, "127.0.0.1:0");
    ((struct sockaddr_in *)&addr)->sin_port = htons((uint16_t)port);
    cr_assert_eq(listener_open_all((struct sockaddr *)&addr, len, 16, 2, 0, 0, more, &bound,
                                   err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "Address already in use"), "%s", err);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
}

Test(listener, shared_opens_one_socket)
{
    struct sockaddr_storage addr, bound;
    socklen_t len;
    int fds[4] = { -1, -1, -1, -1 };
    char err[256];

    loopback(&addr, &len, "127.0.0.1:0");
    cr_assert_eq(listener_open_all((struct sockaddr *)&addr, len, 16, 4, 1, 1, fds, &bound,
                                   err, sizeof(err)), 0, "%s", err);
    cr_assert_geq(fds[0], 0);
    cr_assert_eq(fds[1], -1);
    close(fds[0]);
}

Test(listener, emfile_sheds_queued_clients_instead_of_leaving_them_hanging)
{
    struct sockaddr_storage addr, bound;
    socklen_t len;
    struct stats_counters st = { 0 };
    struct listener_reserve reserve;
    struct listener l;
    int lfd, fd, clients[3];
    char err[256], c;

    loopback(&addr, &len, "127.0.0.1:0");
    cr_assert_eq(listener_open_all((struct sockaddr *)&addr, len, 16, 1, 0, 0, &lfd, &bound,
                                   err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(listener_reserve_init(&reserve), 0);
    listener_init(&l, lfd, &reserve);
    int port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    for (int i = 0; i < 3; i++)
        cr_assert_geq(clients[i] = sup_connect("127.0.0.1", port), 0);

    /* No descriptor number is free from here on (the lowest free one is
     * the limit). */
    int lowest = dup(0);
    close(lowest);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct rlimit tight = { (rlim_t)lowest, rl.rlim_max };
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);

    for (int i = 0; i < 3; i++) {
        cr_assert_eq(listener_accept(&l, &st, &fd), LISTENER_NOFDS, "client %d", i);
        cr_assert_eq(listener_shed(&l, &st), LISTENER_SHED, "client %d", i);
    }
    cr_assert_eq(listener_accept(&l, &st, &fd), LISTENER_NOFDS);
    cr_assert_eq(listener_shed(&l, &st), LISTENER_EMPTY);
    cr_assert_eq(st.v[STATS_ACCEPT_EMFILE], 4, "3 shed + the one that found the queue empty");
    cr_assert_eq(st.v[STATS_SHED], 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(sup_read_n(clients[i], &c, 1, 2000), 0, "client %d sees EOF at once", i);

    /* Descriptors free again: served normally. */
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    int late = sup_connect("127.0.0.1", port);
    cr_assert_eq(listener_accept(&l, &st, &fd), LISTENER_ACCEPTED);
    close(fd);
    close(late);
    for (int i = 0; i < 3; i++)
        close(clients[i]);
    listener_reserve_destroy(&reserve);
    close(lfd);
}

/* Issue 9, fault 3: a client that never reads cost about 5 MB of kernel
 * memory.  The caps set on the listener hold for what it accepts. */
Test(listener, issue9_fault3_buffer_caps_are_inherited_by_accepted_sockets)
{
    struct sockaddr_storage addr, bound;
    socklen_t len;
    int lfd, snd = 0, rcv = 0;
    socklen_t olen = sizeof(int);
    char err[256];

    loopback(&addr, &len, "127.0.0.1:0");
    cr_assert_eq(listener_open_all((struct sockaddr *)&addr, len, 16, 1, 0, 0, &lfd, &bound,
                                   err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(listener_set_buffers(lfd, 32768, 16384, err, sizeof(err)), 0, "%s", err);
    int client = sup_connect("127.0.0.1", ntohs(((struct sockaddr_in *)&bound)->sin_port));
    int fd = accept(lfd, NULL, NULL);
    cr_assert_geq(fd, 0);
    getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &olen);
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &olen);
    cr_assert_eq(snd, 2 * 32768, "the kernel doubles what it is given");
    cr_assert_eq(rcv, 2 * 16384);
    close(fd);
    close(client);
    close(lfd);
}

Test(listener, fd_cap_leaves_room_for_every_worker_and_the_spares)
{
    cr_assert_eq(listener_fd_cap(1024, 20, 4), 1024 - 20 - 4 - LISTENER_SPARE_FDS);
    cr_assert_eq(listener_fd_cap(120, 14, 2), 120 - 14 - 2 - LISTENER_SPARE_FDS);
    cr_assert_eq(listener_fd_cap(20 + 4 + LISTENER_SPARE_FDS, 20, 4), 0);
    cr_assert_eq(listener_fd_cap(10, 20, 4), 0);
    cr_assert_eq(listener_fd_cap(UINT64_MAX, 20, 4), UINT64_MAX - 24 - LISTENER_SPARE_FDS);
}

Test(listener, rate_limiter_paces_after_its_burst)
{
    struct listener_rate r;
    uint64_t t = 1000 * CLOCK_NS_PER_SEC;

    listener_rate_init(&r, 100, t); /* 10 ms apart, burst 10 */
    int allowed = 0;
    while (listener_rate_delay(&r, t) == 0) {
        listener_rate_note(&r, t);
        allowed++;
    }
    cr_assert_eq(allowed, 10, "the burst");
    uint64_t wait = listener_rate_delay(&r, t);
    cr_assert_eq(wait, 10 * CLOCK_NS_PER_MS);
    t += wait;
    cr_assert_eq(listener_rate_delay(&r, t), 0);
    listener_rate_note(&r, t);
    cr_assert_eq(listener_rate_delay(&r, t), 10 * CLOCK_NS_PER_MS);

    listener_rate_init(&r, 1, t); /* burst of one */
    listener_rate_note(&r, t);
    cr_assert_eq(listener_rate_delay(&r, t), CLOCK_NS_PER_SEC);
}
