/* test_worker.c - one echod worker, driven from the test.
 *
 * Its connections are socketpairs handed to it with worker_adopt; its
 * listen socket is a real loopback one nobody connects to.  Most tests step
 * the loop one turn at a time with worker_turn, so they know exactly which
 * events each turn's epoll_wait returns; the grace test runs the worker's
 * own thread, as echod does.  Pinned here: connections that used up their
 * share of a turn resume in FIFO order, a flooder gets at most its quantum
 * while the others are served every turn, a connection waiting for memory
 * is resumed once a buffer comes back, a closed connection's slot is released
 * only at the end of the turn, and a stop closes (and counts) every
 * connection still open when the grace period runs out.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <time.h>
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

/* rig_open creates a worker with echod's default options but BUF-byte
 * buffers, no idle timeout, grace_ms of grace and a buffer budget of
 * memory bytes for this worker (0: the default), whose connections make
 * their socket calls through ops (NULL: the real ones), and NCONN
 * socketpairs for it.  rig_options then rig_start do the same with the
 * options changed in between. */
static void rig_options(struct rig *r, uint64_t grace_ms, uint64_t memory)
{
    char *argv[] = { "echod", NULL };
    char err[256];

    memset(r, 0, sizeof(*r));
    cr_assert_eq(options_parse(&r->opt, 1, argv, err, sizeof(err)), 0, "%s", err);
    r->opt.buffer_size = BUF;
    r->opt.idle_timeout_ms = 0;
    r->opt.grace_ms = grace_ms;
    if (memory != 0) /* each worker gets an equal share */
        r->opt.buffer_memory = memory * r->opt.workers;
}

/* The worker of r->opt (rig_options, then changed as a test needs). */
static void rig_start(struct rig *r, const struct conn_sock_ops *ops)
{
    struct sockaddr_storage addr, bound;
    socklen_t len;
    char err[256];

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

static void rig_open(struct rig *r, const struct conn_sock_ops *ops, uint64_t grace_ms,
                     uint64_t memory)
{
    rig_options(r, grace_ms, memory);
    rig_start(r, ops);
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

/* ---- the log of which descriptor each read was for ---- */

static int read_log[MAX_READS];
static size_t nreads;

static int real_shutdown_write(int fd)
{
    return shutdown(fd, SHUT_WR);
}

/* ---- a socket table with virtual input: each descriptor has a number of
 * bytes queued that only the fake knows (epoll edges come from one real
 * byte the test sends), and every write is taken whole unless the
 * descriptor is marked blocked (then EAGAIN, a full send buffer) ---- */

static size_t virt_left[1024];   /* by descriptor: bytes still to read */
static size_t virt_read[1024];   /* by descriptor: bytes read so far */
static int virt_blocked[1024];   /* by descriptor: writes fail with EAGAIN */

static ssize_t virt_readv(int fd, const struct iovec *iov, int iovcnt)
{
    size_t got = 0;

    cr_assert_lt(fd, 1024);
    cr_assert_lt(nreads, MAX_READS);
    read_log[nreads++] = fd;
    for (int i = 0; i < iovcnt; i++)
        got += iov[i].iov_len;
    if (got == 0)
        return 0; /* as a stream socket answers a read of nothing */
    if (got > virt_left[fd])
        got = virt_left[fd];
    if (got == 0) {
        errno = EAGAIN;
        return -1;
    }
    memset(iov[0].iov_base, 'v', got < iov[0].iov_len ? got : iov[0].iov_len);
    virt_left[fd] -= got;
    virt_read[fd] += got;
    return (ssize_t)got;
}

static ssize_t sink_write(int fd, const struct iovec *iov, int iovcnt)
{
    size_t put = 0;

    if (virt_blocked[fd]) {
        errno = EAGAIN;
        return -1;
    }
    for (int i = 0; i < iovcnt; i++)
        put += iov[i].iov_len;
    return (ssize_t)put;
}

static const struct conn_sock_ops virtual_ops = {
    .read = virt_readv,
    .write = sink_write,
    .shutdown_write = real_shutdown_write,
    .close = close,
};

/* Queues len virtual bytes for the worker's end fd and sends the peer's
 * one real byte that makes epoll report it. */
static void virt_send(int peer, int fd, size_t len)
{
    virt_left[fd] = len;
    virt_read[fd] = 0;
    cr_assert_eq(send(peer, "!", 1, MSG_NOSIGNAL), 1);
}

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

/* Every peer has two shares and one buffer more queued before the first
 * turn (a share is the turn's budget split among the NCONN connections):
 * each connection spends its share in turn 1 and again in turn 2, and
 * finishes in turn 3.  Nothing new arrives meanwhile, so turns 2 and 3
 * serve only the ready list, and must serve it in the order turn 1 filled
 * it, each connection once (one share's worth of reads). */
Test(worker, budget_spent_connections_resume_in_fifo_order, .timeout = 10)
{
    struct rig r;
    const size_t budget = WORKER_TURN_BUDGET / NCONN;
    const size_t reads_per_budget = budget / WORKER_READ_UNIT;
    size_t mark[4] = { 0 };

    rig_open(&r, &virtual_ops, 5000, 0);
    for (int i = 0; i < NCONN; i++) {
        virt_send(r.peer[i], r.fd[i], 2 * budget + BUF);
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
                 "turn 2 serves each connection one share, once");
    cr_assert_eq(counter(&r, STATS_BYTES_IN), NCONN * (2 * budget + BUF));
    for (int i = 0; i < NCONN; i++)
        cr_assert_eq(virt_read[r.fd[i]], 2 * budget + BUF);
    rig_close(&r);
}

/* NCONN - 1 small clients and one flooder with more input than any turn
 * reads.  While the small clients send, every turn serves each of them
 * (their whole message) and gives the flooder, which used its whole share
 * the turn before, at most WORKER_QUANTUM_MIN, and some of it; in a turn
 * with no small client it gets the whole turn's share.  It is served every
 * turn. */
Test(worker, flooder_gets_at_most_its_quantum_while_others_are_served, .timeout = 10)
{
    struct rig r;
    const int flood = NCONN - 1;
    const size_t msg = 100;

    rig_open(&r, &virtual_ops, 5000, 0);
    virt_send(r.peer[flood], r.fd[flood], (size_t)1 << 40);
    for (int i = 0; i < NCONN; i++)
        worker_adopt(r.w, r.fd[i]);
    cr_assert_eq(worker_turn(r.w), 1);
    cr_assert_eq(virt_read[r.fd[flood]], WORKER_TURN_BUDGET / NCONN,
                 "an even share among the batch's %d connections", NCONN);
    for (int t = 0; t < 5; t++) {
        for (int i = 0; i < flood; i++)
            virt_send(r.peer[i], r.fd[i], msg);
        size_t before = virt_read[r.fd[flood]];
        cr_assert_eq(worker_turn(r.w), 1);
        size_t got = virt_read[r.fd[flood]] - before;
        for (int i = 0; i < flood; i++)
            cr_assert_eq(virt_read[r.fd[i]], msg, "turn %d: client %d served", t, i);
        cr_assert_gt(got, 0, "turn %d: the flooder is served too", t);
        cr_assert_leq(got, WORKER_QUANTUM_MIN, "turn %d: the flooder took %zu", t, got);
    }
    size_t before = virt_read[r.fd[flood]];
    cr_assert_eq(worker_turn(r.w), 1);
    cr_assert_eq(virt_read[r.fd[flood]] - before, WORKER_TURN_BUDGET,
                 "alone again: the whole turn");
    cr_assert_eq(counter(&r, STATS_BYTES_IN), counter(&r, STATS_BYTES_OUT));
    rig_close(&r);
}

/* The budget is one BUF buffer.  Connection a, whose peer does not read,
 * takes it; b, with input, then waits for memory without reading, and an
 * event for it meanwhile is only noted (neither read nor counted again:
 * no busy loop).  When a's peer drains and a gives the buffer back, b is
 * moved to the ready list and served in the next turn. */
Test(worker, connection_waiting_for_memory_is_resumed_when_a_buffer_comes_back, .timeout = 10)
{
    struct rig r;
    const int a = 0, b = 1;

    rig_open(&r, &virtual_ops, 5000, BUF);
    virt_blocked[r.fd[a]] = 1;
    virt_send(r.peer[a], r.fd[a], 3 * BUF);
    worker_adopt(r.w, r.fd[a]);
    cr_assert_eq(worker_turn(r.w), 1);
    cr_assert_eq(counter(&r, STATS_BUFFERED), BUF, "a holds the whole budget");
    cr_assert_eq(virt_read[r.fd[a]], BUF, "and reads no more than it can keep");

    virt_send(r.peer[b], r.fd[b], 100);
    worker_adopt(r.w, r.fd[b]);
    cr_assert_eq(worker_turn(r.w), 1);
    cr_assert_eq(virt_read[r.fd[b]], 0, "b waits, its input unread");
    cr_assert_eq(counter(&r, STATS_MEMORY_WAITS), 1);
    cr_assert_eq(send(r.peer[b], "!", 1, MSG_NOSIGNAL), 1); /* another edge for b */
    cr_assert_eq(worker_turn(r.w), 1);
    cr_assert_eq(virt_read[r.fd[b]], 0);
    cr_assert_eq(counter(&r, STATS_MEMORY_WAITS), 1, "its event noted, not served again");

    virt_blocked[r.fd[a]] = 0;
    cr_assert_eq(send(r.peer[a], "!", 1, MSG_NOSIGNAL), 1); /* a wakes, writable */
    cr_assert_eq(worker_turn(r.w), 1);
    cr_assert_eq(virt_read[r.fd[a]], 3 * BUF, "a drained and read the rest");
    cr_assert_eq(counter(&r, STATS_BUFFERED), 0);
    cr_assert_eq(virt_read[r.fd[b]], 0, "b is served from the ready list, next turn");
    cr_assert_eq(worker_turn(r.w), 1);
    cr_assert_eq(virt_read[r.fd[b]], 100);
    cr_assert_eq(counter(&r, STATS_BYTES_OUT), 3 * BUF + 100);
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

    rig_open(&r, NULL, 5000, 0);
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

    rig_open(&r, NULL, 5000, 0);
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

    rig_open(&r, NULL, grace_ms, 0);
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

/* ---- timeouts: the sweep (timeouts.h) ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Turns the worker until stat id reaches 1 or limit_ms pass; returns the
 * ms it took. */
static uint64_t turn_until(struct rig *r, enum stats_id id, uint64_t limit_ms)
{
    uint64_t t0 = now_ms();

    while (counter(r, id) == 0 && now_ms() - t0 < limit_ms)
        worker_turn(r->w);
    return now_ms() - t0;
}

/* The sweep that finds a connection idle sets the next one a whole write
 * timeout later; a connection that starts owing after it (its peer stops
 * reading) must still be closed one write timeout after its last byte
 * moved, not later than a sweep's floor after that, and not before. */
Test(worker, a_connection_that_starts_owing_after_a_sweep_meets_its_write_timeout,
     .timeout = 20)
{
    struct rig r;

    rig_options(&r, 1000, 0);
    r.opt.write_timeout_ms = 300;
    rig_start(&r, NULL);
    worker_adopt(r.w, r.fd[0]);
    turn_until(&r, STATS_WRITE_TIMEOUTS, 450); /* a sweep at 300 ms found it idle */
    cr_assert_eq(counter(&r, STATS_WRITE_TIMEOUTS), 0);
    /* The peer sends more than both socket buffers and the ring hold,
     * and never reads. */
    uint64_t t_owes = now_ms();
    for (int i = 0; i < 64 && counter(&r, STATS_BUFFERED) < BUF; i++) {
        ssize_t w;
        static uint8_t chunk[BUF];
        while ((w = send(r.peer[0], chunk, sizeof(chunk), MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
            ;
        worker_turn(r.w);
    }
    cr_assert_gt(counter(&r, STATS_BUFFERED), 0, "the worker owes bytes");
    uint64_t last_move = now_ms();
    uint64_t took = turn_until(&r, STATS_WRITE_TIMEOUTS, 3000) + (last_move - t_owes);
    cr_assert_eq(counter(&r, STATS_WRITE_TIMEOUTS), 1, "closed by its write timeout");
    cr_assert_geq(took + 1, 300, "not before the timeout (%llu ms)", (unsigned long long)took);
    cr_assert_leq(took, 300 + 150 + 250, "within the floor and a loaded machine's slack "
                  "(%llu ms)", (unsigned long long)took);
    rig_close(&r);
}
