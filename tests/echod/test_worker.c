/* test_worker.c - one echod worker, driven from the test.
 *
 * Its connections are socketpairs handed to it with worker_adopt; its
 * listen socket is a real loopback one nobody connects to.  Most tests step
 * the loop one turn at a time with worker_turn, so they know exactly which
 * events each turn's epoll_wait returns; the grace test runs the worker's
 * own thread, as echod does.  Pinned here: connections that used up their
 * byte budget resume in FIFO order, a closed connection's slot is released
 * only at the end of the turn, and a stop closes (and counts) every
 * connection still open when the grace period runs out.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "listener.h"
#include "options.h"
#include "parse.h"
#include "worker.h"

#define BUF 16384u      /* --buffer-size: the most one read takes */
#define NCONN 4
#define MAX_READS 1024

struct rig {
    struct options opt;
    struct worker_control ctl;
    int listen_fd;
    int done_fd;        /* eventfd the worker's thread signals when it ends */
    struct worker *w;
    int peer[NCONN];    /* the test's ends of the socketpairs */
    int fd[NCONN];      /* the worker's ends */
};

/* Creates a worker with echod's default options but BUF-byte buffers, no
 * idle timeout and grace_ms of grace, whose connections make their socket
 * calls through ops (NULL: the real ones), and NCONN socketpairs for it. */
static void rig_open(struct rig *r, const struct conn_sock_ops *ops, uint64_t grace_ms)
{
    char *argv[] = { "echod", NULL };
    struct sockaddr_storage addr, bound;
    socklen_t len;
    char err[256];

    memset(r, 0, sizeof(*r));
    cr_assert_eq(options_parse(&r->opt, 1, argv, err, sizeof(err)), 0, "%s", err);
    r->opt.buffer_size = BUF;
    r->opt.idle_timeout_ms = 0;
    r->opt.grace_ms = grace_ms;
    cr_assert_eq(parse_hostport("127.0.0.1:0", &addr, &len), 0);
    cr_assert_eq(listener_open_all((struct sockaddr *)&addr, len, 16, 1, 0, 0, &r->listen_fd,
                                   &bound, err, sizeof(err)), 0, "%s", err);
    r->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    cr_assert_geq(r->done_fd, 0);
    cr_assert_eq(listener_reserve_init(&r->ctl.reserve), 0);
    struct worker_config cfg = { .opt = &r->opt, .ctl = &r->ctl, .index = 0,
                                 .listen_fd = r->listen_fd, .done_fd = r->done_fd,
                                 .ops = ops };
    r->w = worker_create(&cfg, err, sizeof(err));
    cr_assert_not_null(r->w, "%s", err);
    for (int i = 0; i < NCONN; i++) {
        int sv[2];
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        r->peer[i] = sv[0];
        r->fd[i] = sv[1];
    }
}

/* Frees the worker (which closes the connections it still holds). */
static void rig_close(struct rig *r)
{
    worker_destroy(r->w);
    for (int i = 0; i < NCONN; i++)
        close(r->peer[i]);
    close(r->listen_fd);
    close(r->done_fd);
    listener_reserve_destroy(&r->ctl.reserve);
}

/* Sends len bytes from a peer at once; the socket must take them all. */
static void peer_send(int fd, size_t len)
{
    static uint8_t chunk[BUF];

    while (len > 0) {
        size_t n = len < sizeof(chunk) ? len : sizeof(chunk);
        ssize_t w = send(fd, chunk, n, MSG_NOSIGNAL);
        cr_assert_gt(w, 0, "send: %s", strerror(errno));
        len -= (size_t)w;
    }
}

static uint64_t counter(const struct rig *r, enum stats_id id)
{
    return stats_get(worker_stats(r->w), id);
}

/* Stops the worker the way main does: set ctl->stop, then kick. */
static void stop(struct rig *r)
{
    __atomic_store_n(&r->ctl.stop, 1, __ATOMIC_RELAXED);
    worker_kick(r->w);
}

/* The poll(2) events a peer shows now, without waiting. */
static short peer_events(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    cr_assert_geq(poll(&p, 1, 0), 0);
    return p.revents;
}

/* ---- a socket table that logs which descriptor each read was for ---- */

static int read_log[MAX_READS];
static size_t nreads;

static ssize_t logged_read(int fd, const struct iovec *iov, int iovcnt)
{
    cr_assert_lt(nreads, MAX_READS);
    read_log[nreads++] = fd;
    return readv(fd, iov, iovcnt);
}

static ssize_t real_write(int fd, const struct iovec *iov, int iovcnt)
{
    struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
    return sendmsg(fd, &msg, MSG_NOSIGNAL);
}

static int real_shutdown_write(int fd)
{
    return shutdown(fd, SHUT_WR);
}

static const struct conn_sock_ops logging_ops = {
    .read = logged_read,
    .write = real_write,
    .shutdown_write = real_shutdown_write,
    .close = close,
};

/* The descriptors read in read_log[from..to-1], each once, in the order of
 * their first read, into order[NCONN].  Returns how many. */
static int read_order(size_t from, size_t to, int order[NCONN])
{
    int n = 0;

    for (size_t i = from; i < to; i++) {
        int seen = 0;
        for (int j = 0; j < n; j++)
            seen |= order[j] == read_log[i];
        if (!seen) {
            cr_assert_lt(n, NCONN);
            order[n++] = read_log[i];
        }
    }
    return n;
}

/* A connected loopback TCP pair: sv[0] the peer's end, sv[1] a
 * nonblocking accepted socket for the worker. */
static void tcp_pair(int sv[2])
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

    cr_assert_geq(lfd, 0);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&any, sizeof(any)), 0);
    cr_assert_eq(listen(lfd, 1), 0);
    cr_assert_eq(getsockname(lfd, (struct sockaddr *)&addr, &len), 0);
    sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_eq(connect(sv[0], (struct sockaddr *)&addr, len), 0);
    sv[1] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    cr_assert_geq(sv[1], 0);
    close(lfd);
}

/* ---- the tests ---- */

/* Every peer sends two budgets and one buffer more before the first turn:
 * each connection spends its budget in turn 1 and again in turn 2, and
 * finishes in turn 3.  Nothing new arrives meanwhile, so turns 2 and 3
 * serve only the ready list, and must serve it in the order turn 1 filled
 * it, each connection once (one budget's worth of reads). */
Test(worker, budget_spent_connections_resume_in_fifo_order, .timeout = 10)
{
    struct rig r;
    const size_t budget = WORKER_MIN_BUDGET; /* BUF is below it */
    const size_t reads_per_budget = budget / BUF;
    size_t mark[4] = { 0 };

    rig_open(&r, &logging_ops, 5000);
    for (int i = 0; i < NCONN; i++) {
        peer_send(r.peer[i], 2 * budget + BUF);
        worker_adopt(r.w, r.fd[i]);
    }
    for (int t = 0; t < 3; t++) {
        cr_assert_eq(worker_turn(r.w), 1);
        mark[t + 1] = nreads;
    }

    int first[NCONN], order[NCONN];
    cr_assert_eq(read_order(mark[0], mark[1], first), NCONN);
    cr_assert_eq(mark[1] - mark[0], NCONN * reads_per_budget);
    for (int t = 1; t < 3; t++) {
        cr_assert_eq(read_order(mark[t], mark[t + 1], order), NCONN,
                     "turn %d: every connection left on the ready list is served", t + 1);
        for (int i = 0; i < NCONN; i++)
            cr_assert_eq(order[i], first[i], "turn %d: position %d is fd %d, not fd %d",
                         t + 1, i, order[i], first[i]);
    }
    cr_assert_eq(mark[2] - mark[1], NCONN * reads_per_budget,
                 "turn 2 serves each connection one budget, once");
    cr_assert_eq(counter(&r, STATS_BYTES_IN), NCONN * (2 * budget + BUF));
    rig_close(&r);
}

/* The stop arrives in the same epoll batch as a reset for a connection,
 * and ahead of it: handling the wake closes the connection (its one more
 * read meets the reset), and the batch still holds its event.  That event
 * must find a closed connection and be skipped; a slot released at once
 * would be FREE there, run again on a closed descriptor and close twice. */
Test(worker, slot_closed_mid_batch_is_released_only_at_the_end_of_the_turn, .timeout = 10)
{
    struct rig r;
    int sv[2];

    rig_open(&r, NULL, 5000);
    /* A TCP-like reset needs TCP: a loopback pair instead of socketpair's. */
    tcp_pair(sv);
    worker_adopt(r.w, sv[1]);
    cr_assert_eq(worker_turn(r.w), 1, "consumes the new socket's EPOLLOUT");
    stop(&r);                           /* the batch: the wake first ... */
    struct linger l0 = { 1, 0 };
    cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &l0, sizeof(l0)), 0);
    close(sv[0]);                       /* ... then the connection's reset */
    usleep(20000);

    cr_assert_eq(worker_turn(r.w), 0, "its only connection closed, the worker is done");
    cr_assert_eq(counter(&r, STATS_ACCEPTED), 1);
    cr_assert_eq(counter(&r, STATS_CLOSED), 1);
    cr_assert_eq(counter(&r, STATS_ACTIVE), 0);
    cr_assert_eq(counter(&r, STATS_RESETS), 1);
    cr_assert_eq(counter(&r, STATS_IO_ERRORS), 0);
    cr_assert_eq(counter(&r, STATS_GRACE_CLOSED), 0);
    rig_close(&r);
}

/* Issue 9, fault 2, in the worker: at the stop a connection echoes what
 * is queued, shuts its write side (the peer reads the echo, then EOF) and
 * lingers until the peer's FIN; only then does the worker finish. */
Test(worker, issue9_fault2_stop_lingers_until_the_peers_fin, .timeout = 10)
{
    struct rig r;
    char buf[16];

    rig_open(&r, NULL, 5000);
    worker_adopt(r.w, r.fd[0]);
    cr_assert_eq(worker_turn(r.w), 1);
    stop(&r);
    cr_assert_eq(send(r.peer[0], "ping", 4, 0), 4);
    cr_assert_eq(worker_turn(r.w), 1, "lingering: not done yet");
    cr_assert_eq(recv(r.peer[0], buf, sizeof(buf), 0), 4, "the queued input is echoed");
    cr_assert_eq(memcmp(buf, "ping", 4), 0);
    cr_assert_eq(recv(r.peer[0], buf, sizeof(buf), 0), 0, "then the peer reads EOF");
    cr_assert_eq(send(r.peer[0], "late", 4, 0), 4, "the peer may still send");
    cr_assert_eq(shutdown(r.peer[0], SHUT_WR), 0);
    while (worker_turn(r.w))
        ;
    cr_assert_eq(counter(&r, STATS_CLOSED), 1);
    cr_assert_eq(counter(&r, STATS_BYTES_OUT), 4, "what came after the stop is dropped");
    cr_assert_eq(counter(&r, STATS_IO_ERRORS), 0);
    cr_assert_eq(counter(&r, STATS_GRACE_CLOSED), 0);
    rig_close(&r);
}

/* NCONN - 1 connections owe output their peers never read (a minimal send
 * buffer, a full ring: backpressure); the last is idle.  After a stop the
 * idle one shuts its write side at once and closes after its peer's FIN,
 * the others hold out for the whole grace period and are then closed and
 * counted as grace-closed, and the thread ends. */
Test(worker, stop_closes_and_counts_every_connection_left_when_grace_ends, .timeout = 15)
{
    const uint64_t grace_ms = 400;
    const int idle = NCONN - 1;
    struct rig r;
    struct pollfd done;
    int tiny = 1;

    rig_open(&r, NULL, grace_ms);
    for (int i = 0; i < NCONN; i++) {
        if (i != idle) {
            cr_assert_eq(setsockopt(r.fd[i], SOL_SOCKET, SO_SNDBUF, &tiny, sizeof(tiny)), 0);
            peer_send(r.peer[i], 4 * BUF);
        }
        worker_adopt(r.w, r.fd[i]);
    }
    cr_assert_eq(worker_start(r.w), 0);
    uint64_t t0 = clock_now_ns();
    stop(&r); /* queued behind the connections' first events */

    struct pollfd p = { .fd = r.peer[idle], .events = POLLIN };
    char c;
    cr_assert_eq(poll(&p, 1, (int)grace_ms / 4), 1, "the idle connection ends at the stop");
    cr_assert_eq(recv(r.peer[idle], &c, 1, 0), 0, "EOF");
    cr_assert_eq(shutdown(r.peer[idle], SHUT_WR), 0);
    for (int i = 0; i < NCONN; i++)
        if (i != idle)
            cr_assert_not(peer_events(r.peer[i]) & POLLHUP, "conn %d closed before grace ended", i);

    done = (struct pollfd){ .fd = r.done_fd, .events = POLLIN };
    cr_assert_eq(poll(&done, 1, (int)grace_ms + 5000), 1, "the thread ends after grace");
    cr_assert_geq(clock_now_ns() - t0, (grace_ms - 1) * CLOCK_NS_PER_MS);
    worker_join(r.w);
    for (int i = 0; i < NCONN; i++)
        cr_assert(peer_events(r.peer[i]) & POLLHUP, "conn %d is closed", i);
    cr_assert_eq(counter(&r, STATS_GRACE_CLOSED), NCONN - 1);
    cr_assert_eq(counter(&r, STATS_CLOSED), NCONN);
    cr_assert_eq(counter(&r, STATS_ACTIVE), 0);
    rig_close(&r);
}
