/* bl_acceptq.c - the accept-queue experiment (see bl_acceptq.h).
 *
 * Everything happens in this one thread on 127.0.0.1 (by default that of
 * a network namespace of the lab's own, made by bl_acceptq_main, so the
 * TcpExt counters move for this run alone): the clients are
 * nonblocking sockets watched by epoll for their connect to complete, the
 * listener is polled with accept4() once accepting begins, and accepted
 * sockets of clients that wrote are watched for their bytes.  Each event
 * is stamped with the time since the run began.  A run moves through three
 * phases: CONNECT (every client calls connect once), SETTLE (nobody
 * accepts; at its end both sides are measured) and ACCEPT (accept until
 * every client is in or the window closes).
 */
#include "bl_acceptq.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bl_env.h"
#include "bl_netns.h"
#include "bl_plot.h"
#include "bl_plot_runs.h"
#include "bl_report.h"
#include "clock.h"
#include "bl_netstat.h"
#include "bl_sockdiag.h"
#include "os.h"

#define SOMAXCONN_PATH "/proc/sys/net/core/somaxconn"
#define SERVER_TAG (1ULL << 32)   /* epoll data: an accepted socket */
#define NO_CLIENT (-1)

enum phase { PHASE_SETTLE, PHASE_ACCEPT };

struct lab {
    struct bl_acceptq_run *run;
    const struct bl_opts *o;
    struct bl_err *err;          /* the call that failed */
    int lfd, ep, nl, nfd, sfd;
    uint16_t port;
    uint64_t t0;                 /* clock at the start of the run */
    int32_t *by_port;            /* client index by client port */
    int *srv_fd;                 /* accepted socket by client index */
    int in_phase_accepted;
    int data_pending;            /* accepted writers whose bytes are unread */
    struct bl_netstat_snap *before, *now;
};

static uint64_t since(const struct lab *l)
{
    return clock_now_ns() - l->t0;
}

static int make_listener(struct lab *l, int backlog)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof(a);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->lfd < 0)
        return bl_err_set(l->err, errno, "socket");
    if (bind(l->lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return bl_err_set(l->err, errno, "bind 127.0.0.1:0");
    if (listen(l->lfd, backlog) < 0)
        return bl_err_set(l->err, errno, "listen");
    if (getsockname(l->lfd, (struct sockaddr *)&a, &len) < 0)
        return bl_err_set(l->err, errno, "getsockname");
    l->port = ntohs(a.sin_port);
    return 0;
}

/* Everything but the clients: listener, epoll, netlink, counters. */
static int lab_open(struct lab *l, int backlog)
{
    l->lfd = l->ep = l->nl = l->nfd = l->sfd = -1;
    l->by_port = malloc(65536 * sizeof(*l->by_port));
    l->srv_fd = malloc((size_t)l->run->nclients * sizeof(*l->srv_fd));
    l->before = malloc(sizeof(*l->before));
    l->now = malloc(sizeof(*l->now));
    if (l->by_port == NULL || l->srv_fd == NULL || l->before == NULL || l->now == NULL)
        return bl_err_set(l->err, ENOMEM, "malloc");
    for (int i = 0; i < 65536; i++)
        l->by_port[i] = NO_CLIENT;
    for (int i = 0; i < l->run->nclients; i++)
        l->srv_fd[i] = -1;
    if (make_listener(l, backlog) < 0)
        return -1;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    if (l->ep < 0)
        return bl_err_set(l->err, errno, "epoll_create1");
    l->nl = bl_sockdiag_open();
    if (l->nl < 0)
        return bl_err_set(l->err, errno, "socket(NETLINK_SOCK_DIAG)");
    return bl_netstat_begin(&l->nfd, &l->sfd, l->before, l->err);
}

/* Closes the server side first (accepted sockets, then the listener, which
 * resets what it never accepted), then the clients. */
static void lab_close(struct lab *l)
{
    for (int i = 0; l->srv_fd != NULL && i < l->run->nclients; i++)
        os_close_slot(&l->srv_fd[i]);
    os_close_slot(&l->lfd);
    for (int i = 0; i < l->run->nclients; i++)
        os_close_slot(&l->run->clients[i].fd);
    os_close_slot(&l->ep);
    os_close_slot(&l->nl);
    bl_netstat_close(l->nfd, l->sfd);
    free(l->by_port);
    free(l->srv_fd);
    free(l->before);
    free(l->now);
}

/* Starts client i's nonblocking connect. */
static int connect_one(struct lab *l, int i)
{
    struct bl_client *c = &l->run->clients[i];
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(l->port) };
    socklen_t len = sizeof(a);
    struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = (uint64_t)i };

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return bl_err_set(l->err, errno, "socket");
    c->t_connect = since(l);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
        c->connect_failed = c->failed_at_call = true;
        c->err = errno;
        c->t_failed = c->t_connect;
        os_close_slot(&c->fd);
        return 0;
    }
    if (getsockname(c->fd, (struct sockaddr *)&a, &len) < 0)
        return bl_err_set(l->err, errno, "getsockname");
    c->port = ntohs(a.sin_port);
    l->by_port[c->port] = i;
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        return bl_err_set(l->err, errno, "epoll_ctl ADD");
    return 0;
}

/* Client i's socket became writable or failed. */
static int on_client(struct lab *l, int i)
{
    struct bl_client *c = &l->run->clients[i];
    int err = 0;
    socklen_t len = sizeof(err);
    uint8_t state;

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return bl_err_set(l->err, errno, "getsockopt(SO_ERROR)");
    if (epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL) < 0)
        return bl_err_set(l->err, errno, "epoll_ctl DEL");
    if (err != 0) {
        c->connect_failed = true;
        c->err = err;
        c->t_failed = since(l);
        return 0;
    }
    c->established = true;
    c->t_established = since(l);
    if (bl_sockdiag_tcp_state(c->fd, &state, &c->syn_retrans) < 0)
        return bl_err_set(l->err, errno, "getsockopt(TCP_INFO)");
    if (c->writer) {
        char hello[BL_HELLO_LEN];
        memset(hello, 'h', sizeof(hello));
        ssize_t n = write(c->fd, hello, sizeof(hello));
        if (n != (ssize_t)sizeof(hello)) /* an empty send buffer always takes 32 bytes */
            return bl_err_set(l->err, n < 0 ? errno : EIO, "write");
    }
    return 0;
}

/* The server read (or tried to read) accepted client i's bytes. */
static int on_server(struct lab *l, int i)
{
    struct bl_client *c = &l->run->clients[i];
    char buf[BL_HELLO_LEN];
    ssize_t n = read(l->srv_fd[i], buf, sizeof(buf));

    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n < 0 && errno != ECONNRESET)
        return bl_err_set(l->err, errno, "read");
    if (!c->data_read) {
        c->data_read = true;
        c->t_data = since(l);
        l->data_pending--;
    }
    if (epoll_ctl(l->ep, EPOLL_CTL_DEL, l->srv_fd[i], NULL) < 0)
        return bl_err_set(l->err, errno, "epoll_ctl DEL");
    return 0;
}

/* Accepts one connection; returns 1 when one was accepted, 0 when the
 * queue is empty, -1 on error. */
static int accept_one(struct lab *l)
{
    struct sockaddr_in peer;
    socklen_t len = sizeof(peer);
    int fd = accept4(l->lfd, (struct sockaddr *)&peer, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0 && (errno == EAGAIN || errno == ECONNABORTED))
        return 0;
    if (fd < 0)
        return bl_err_set(l->err, errno, "accept4");
    int i = l->by_port[ntohs(peer.sin_port)];
    if (i == NO_CLIENT || l->srv_fd[i] >= 0) {
        os_close(fd); /* not one of ours: cannot happen on a private port */
        return 1;
    }
    struct bl_client *c = &l->run->clients[i];
    l->srv_fd[i] = fd;
    c->accepted = true;
    c->t_accepted = since(l);
    l->run->accepted++;
    l->in_phase_accepted++;
    if (!c->writer)
        return 1;
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = SERVER_TAG | (uint64_t)i };
    l->data_pending++;
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        return bl_err_set(l->err, errno, "epoll_ctl ADD");
    return on_server(l, i) < 0 ? -1 : 1;
}

/* Accepts as many as --accept-rate allows by now (all when it is 0). */
static int accept_some(struct lab *l, uint64_t phase_start)
{
    uint64_t rate = l->o->accept_rate;
    uint64_t allowed = rate == 0 ? UINT64_MAX
                                 : 1 + rate * (since(l) - phase_start) / CLOCK_NS_PER_SEC;

    while ((uint64_t)l->in_phase_accepted < allowed) {
        int rc = accept_one(l);
        if (rc <= 0)
            return rc;
    }
    return 0;
}

/* Every client has failed, or been accepted and seen its own connect
 * complete.  The server can accept a connection before the client's
 * EPOLLOUT is read (a retransmitted SYN completes both ends within one
 * loop turn), so counting accepts alone would end the phase with that
 * client's side unrecorded. */
static bool all_done(const struct lab *l)
{
    for (int i = 0; i < l->run->nclients; i++) {
        const struct bl_client *c = &l->run->clients[i];
        if (!c->connect_failed && !(c->accepted && c->established))
            return false;
    }
    return l->data_pending == 0;
}

static void show_progress(const struct lab *l, enum phase p, uint64_t end)
{
    const struct bl_acceptq_run *r = l->run;
    double t = (double)since(l) / 1e9, until = (double)end / 1e9;

    if (p == PHASE_SETTLE)
        bl_env_progress("  backlog %d: %d clients connecting, nobody accepts yet "
                        "(%.1f of %.1f s)", r->backlog, r->nclients, t, until);
    else
        bl_env_progress("  backlog %d: accepted %d of %d (%.1f s, window ends at %.1f s)",
                        r->backlog, r->accepted, r->nclients, t, until);
}

/* Runs the event loop until end (ns since t0), accepting in PHASE_ACCEPT;
 * returns early when interrupted or when accepting has finished. */
static int wait_phase(struct lab *l, enum phase p, uint64_t end)
{
    struct epoll_event evs[256];
    uint64_t phase_start = since(l);

    while (since(l) < end) {
        if (bl_env_interrupted) {
            l->run->interrupted = true;
            return 0;
        }
        if (p == PHASE_ACCEPT && (accept_some(l, phase_start) < 0))
            return -1;
        if (p == PHASE_ACCEPT && all_done(l))
            return 0;
        int n = epoll_wait(l->ep, evs, 256, p == PHASE_ACCEPT ? 1 : 10);
        if (n < 0 && errno != EINTR)
            return bl_err_set(l->err, errno, "epoll_wait");
        for (int k = 0; k < n; k++) {
            uint64_t tag = evs[k].data.u64;
            int i = (int)(tag & 0xffffffffu);
            int rc = (tag & SERVER_TAG) ? on_server(l, i) : on_client(l, i);
            if (rc < 0)
                return -1;
        }
        show_progress(l, p, end);
    }
    return 0;
}

static int server_side_cb(const struct bl_sockdiag_entry *e, void *arg)
{
    struct lab *l = arg;
    int i = l->by_port[e->dport];

    if (i == NO_CLIENT)
        return 0;
    if (e->state == TCP_ESTABLISHED) {
        l->run->clients[i].queued_at_settle = true;
        l->run->srv_established++;
    } else if (e->state == TCP_SYN_RECV) {
        l->run->clients[i].synrecv_at_settle = true;
        l->run->srv_syn_recv++;
    }
    return 0;
}

static int read_deltas(struct lab *l, int64_t out[BL_NCOUNTERS])
{
    if (bl_netstat_read(l->nfd, l->sfd, l->now) < 0)
        return bl_err_set(l->err, errno, "reading " BL_NETSTAT_FILES);
    bl_netstat_listen_deltas(l->before, l->now, out);
    return 0;
}

/* The measurement at the end of the settle time: both sides, counters. */
static int measure_settle(struct lab *l)
{
    struct bl_acceptq_run *r = l->run;
    struct bl_sockdiag_queues q;

    if (bl_sockdiag_port_queues(l->nl, NULL, l->port, &q) < 0)
        return bl_err_set(l->err, errno, "inet_diag dump");
    if (bl_sockdiag_listener_info(l->lfd, &r->info_len, &r->info_limit) < 0)
        return bl_err_set(l->err, errno, errno == EINVAL ? "TCP_INFO: the listener is not in LISTEN"
                                                         : "getsockopt(TCP_INFO) of the listener");
    r->diag_len = q.accept_len;
    r->diag_limit = q.accept_limit;
    if (bl_sockdiag_dump(l->nl, l->port, (1u << TCP_ESTABLISHED) | (1u << TCP_SYN_RECV),
                         server_side_cb, l) < 0)
        return bl_err_set(l->err, errno, "inet_diag dump");
    for (int i = 0; i < r->nclients; i++) {
        struct bl_client *c = &r->clients[i];
        uint32_t retrans;
        if (c->connect_failed) {
            r->cl_failed++;
            r->cl_failed_at_call += c->failed_at_call;
            continue;
        }
        if (bl_sockdiag_tcp_state(c->fd, &c->state_at_settle, &retrans) < 0)
            return bl_err_set(l->err, errno, "getsockopt(TCP_INFO)");
        r->cl_established += c->state_at_settle == TCP_ESTABLISHED;
        r->cl_syn_sent += c->state_at_settle == TCP_SYN_SENT;
    }
    return read_deltas(l, r->settle_delta);
}

static int measure_end(struct lab *l)
{
    for (int i = 0; i < l->run->nclients; i++) {
        struct bl_client *c = &l->run->clients[i];
        uint8_t state;
        uint32_t total;
        if (c->fd < 0 || !c->established)
            continue;
        if (bl_sockdiag_tcp_state(c->fd, &state, &total) < 0)
            return bl_err_set(l->err, errno, "getsockopt(TCP_INFO)");
        c->data_retrans = total - c->syn_retrans;
    }
    return read_deltas(l, l->run->end_delta);
}

static int run_phases(struct lab *l)
{
    struct bl_acceptq_run *r = l->run;

    for (int i = 0; i < r->nclients && !bl_env_interrupted; i++)
        if (connect_one(l, i) < 0)
            return -1;
    uint64_t settle_end = since(l) + l->o->settle_ns;
    r->settle_ns = settle_end;
    if (wait_phase(l, PHASE_SETTLE, settle_end) < 0)
        return -1;
    if (r->interrupted || bl_env_interrupted) {
        r->interrupted = true;
        return 0;
    }
    if (measure_settle(l) < 0)
        return -1;
    uint64_t start = since(l);
    if (wait_phase(l, PHASE_ACCEPT, start + l->o->window_ns) < 0)
        return -1;
    r->accept_ns = since(l) - start;
    return measure_end(l);
}

int bl_acceptq_run(int backlog, int nclients, const struct bl_opts *o,
                   struct bl_acceptq_run *run, struct bl_err *err)
{
    struct lab l = { .run = run, .o = o, .err = err };
    int rc;

    memset(run, 0, sizeof(*run));
    memset(err, 0, sizeof(*err));
    run->backlog = backlog;
    run->nclients = nclients;
    rc = os_read_sysctl(SOMAXCONN_PATH, &run->somaxconn, 1);
    if (rc < 0)
        return bl_err_set(err, -rc, "reading " SOMAXCONN_PATH);
    run->clients = calloc((size_t)nclients, sizeof(*run->clients));
    if (run->clients == NULL)
        return bl_err_set(err, ENOMEM, "calloc");
    for (int i = 0; i < nclients; i++) {
        run->clients[i].fd = -1;
        run->clients[i].writer = i % 2 == 1;
    }
    l.t0 = clock_now_ns();
    rc = lab_open(&l, backlog);
    if (rc == 0)
        rc = run_phases(&l);
    bl_env_progress_end();
    lab_close(&l);
    return rc;
}

void bl_acceptq_free(struct bl_acceptq_run *run)
{
    free(run->clients);
    run->clients = NULL;
}

int bl_acceptq_resolve(const struct bl_backlog_spec *spec, long somaxconn)
{
    uint64_t v = spec->n + (spec->plus_somaxconn ? (uint64_t)somaxconn : 0);
    return v > BL_MAX_BACKLOG ? BL_MAX_BACKLOG : (int)v;
}

int bl_acceptq_clients(const struct bl_opts *o, int backlog, uint64_t nofile)
{
    uint64_t want = o->clients != 0 ? o->clients : (uint64_t)backlog + 16;
    uint64_t fit = nofile > 64 ? (nofile - 64) / 2 : 1; /* client + accepted */

    if (want > BL_MAX_CLIENTS)
        want = BL_MAX_CLIENTS;
    return (int)(want < fit ? want : fit);
}

/* Tells how long the runs will take before they start. */
static void announce(const struct bl_opts *o, bool private_ns, const int *backlogs,
                     const int *clients, int n)
{
    uint64_t most = 0;

    if (o->quiet)
        return;
    fprintf(stderr, "backlog-lab accept-queue: %d run%s on 127.0.0.1 %s (backlog/clients:",
            n, n == 1 ? "" : "s",
            private_ns ? "in a network namespace of its own" : "of the host");
    for (int i = 0; i < n; i++) {
        fprintf(stderr, " %d/%d", backlogs[i], clients[i]);
        most += o->settle_ns + o->window_ns;
    }
    fprintf(stderr, "); at most %.0f s, less when every client gets in early\n",
            (double)most / 1e9 + 0.5);
}

int bl_acceptq_main(const struct bl_opts *o)
{
    int backlogs[BL_MAX_BACKLOGS], clients[BL_MAX_BACKLOGS], done = 0, status = 0;
    struct bl_acceptq_run runs[BL_MAX_BACKLOGS];
    uint64_t nofile;
    long somaxconn;
    struct bl_err err;
    bool private_ns = false;
    int rc = os_raise_nofile(&nofile, NULL);

    if (rc < 0) {
        fprintf(stderr, "backlog-lab: accept-queue: getrlimit/setrlimit(RLIMIT_NOFILE): %s\n",
                strerror(-rc));
        return 1;
    }
    if ((rc = bl_plot_precheck("accept-queue", o)) != 0)
        return rc;
    if (!o->host) {
        char why[256];
        if (bl_netns_private_loopback(why, sizeof(why)) == 0)
            private_ns = true;
        else if (errno == EPERM)
            fprintf(stderr, "backlog-lab: accept-queue: no private network namespace "
                    "without root; on the host's loopback, whose counters are host-wide\n");
        else {
            fprintf(stderr, "backlog-lab: accept-queue: %s\n", why);
            return 1;
        }
    }
    if ((rc = os_read_sysctl(SOMAXCONN_PATH, &somaxconn, 1)) < 0) {
        fprintf(stderr, "backlog-lab: accept-queue: reading " SOMAXCONN_PATH ": %s\n",
                strerror(-rc));
        return 1;
    }
    for (int i = 0; i < o->nbacklogs; i++) {
        backlogs[i] = bl_acceptq_resolve(&o->backlogs[i], somaxconn);
        clients[i] = bl_acceptq_clients(o, backlogs[i], nofile);
        int wanted = bl_acceptq_clients(o, backlogs[i], UINT64_MAX);
        if (clients[i] < wanted)
            fprintf(stderr, "backlog-lab: accept-queue: backlog %d gets %d clients, not %d: "
                    "the open-file limit is %llu and each client needs two descriptors\n",
                    backlogs[i], clients[i], wanted, (unsigned long long)nofile);
    }
    announce(o, private_ns, backlogs, clients, o->nbacklogs);
    for (; done < o->nbacklogs; done++) {
        int failed = bl_acceptq_run(backlogs[done], clients[done], o, &runs[done], &err);
        runs[done].private_ns = private_ns;
        if (failed < 0) {
            fprintf(stderr, "backlog-lab: accept-queue run at backlog %d: %s: %s\n",
                    backlogs[done], err.call, strerror(err.errnum));
            bl_acceptq_free(&runs[done]);
            status = 1;
            break;
        }
        if (runs[done].interrupted) {
            bl_acceptq_free(&runs[done]);
            status = 130;
            break;
        }
    }
    if (done > 0)
        bl_report_acceptq(stdout, runs, done, o);
    if (done > 0 && o->plot != NULL) {
        char why[320];
        int failed = bl_plot_acceptq(o->plot, runs, done, why, sizeof(why));
        status = bl_plot_said("accept-queue", o, failed, why, status);
    }
    if (status == 130)
        fprintf(stderr, "backlog-lab: interrupted; every socket is closed\n");
    for (int i = 0; i < done; i++)
        bl_acceptq_free(&runs[i]);
    return status;
}
