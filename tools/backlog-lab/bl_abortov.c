/* bl_abortov.c - accept-queue --abort-on-overflow (see bl_abortov.h). */
#include "bl_abortov.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bl_env.h"
#include "bl_netns.h"
#include "bl_netstat.h"
#include "bl_report.h"
#include "bl_sockdiag.h"
#include "os.h"

#define ABORT_PATH "/proc/sys/net/ipv4/tcp_abort_on_overflow"
#define SYNCOOKIES_PATH "/proc/sys/net/ipv4/tcp_syncookies"
#define STEP_NS (50 * 1000 * 1000ull)        /* loopback handshakes are done by then */
#define RETRANSMIT_WAIT_NS (1500 * 1000 * 1000ull) /* past the 1 s SYN-ACK retransmission */
#define NCLIENTS (BL_ABORTOV_HELD + BL_ABORTOV_BACKLOG + 1 + BL_ABORTOV_LATE)

const char *const bl_abortov_counter_group[BL_AO_NCOUNTERS] = {
    "TcpExt", "TcpExt", "TcpExt", "Tcp", "TcpExt", "TcpExt",
};
const char *const bl_abortov_counter_name[BL_AO_NCOUNTERS] = {
    "ListenOverflows", "ListenDrops", "EmbryonicRsts", "OutRsts", "SyncookiesSent",
    "SyncookiesRecv",
};

struct ao_lab {
    struct bl_err *err;
    const char *nft;
    int ns_fd;                 /* this namespace, for bl_netns_run */
    int lfd;
    struct sockaddr_in addr;   /* the listener's */
    int cfd[NCLIENTS];
    enum bl_abortov_group group[NCLIENTS];
    int n;
    struct bl_netstat_snap before, after;
    int nfd, sfd;
    int nl;                    /* NETLINK_SOCK_DIAG */
};

static int listener(struct ao_lab *l)
{
    socklen_t len = sizeof(l->addr);

    l->addr.sin_family = AF_INET;
    l->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->lfd < 0)
        return bl_err_set(l->err, errno, "socket");
    if (bind(l->lfd, (struct sockaddr *)&l->addr, sizeof(l->addr)) < 0)
        return bl_err_set(l->err, errno, "bind 127.0.0.1");
    if (listen(l->lfd, BL_ABORTOV_BACKLOG) < 0)
        return bl_err_set(l->err, errno, "listen");
    if (getsockname(l->lfd, (struct sockaddr *)&l->addr, &len) < 0)
        return bl_err_set(l->err, errno, "getsockname");
    return 0;
}

/* Adds (hold) or deletes the table whose rule drops the pure ACKs sent to
 * the listener's port: the final ACK of each handshake. */
static int hold_acks(struct ao_lab *l, bool hold)
{
    char *argv[] = { (char *)l->nft, "-f", "-", NULL };
    char rules[512], why[256];

    if (hold)
        snprintf(rules, sizeof(rules),
                 "table inet bl_abortov_%ld {\n"
                 "  chain out {\n"
                 "    type filter hook output priority 0; policy accept;\n"
                 "    tcp dport %u tcp flags & (syn | ack | fin | rst) == ack drop\n"
                 "  }\n"
                 "}\n", (long)getpid(), ntohs(l->addr.sin_port));
    else
        snprintf(rules, sizeof(rules), "delete table inet bl_abortov_%ld\n", (long)getpid());
    if (bl_netns_run(l->ns_fd, argv, rules, why, sizeof(why)) < 0)
        return bl_err_set(l->err, EIO, "nft %s: %s", hold ? "add" : "delete", why);
    return 0;
}

static int connect_group(struct ao_lab *l, enum bl_abortov_group g, int count)
{
    for (int k = 0; k < count; k++, l->n++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return bl_err_set(l->err, errno, "socket");
        l->cfd[l->n] = fd;
        l->group[l->n] = g;
        if (connect(fd, (struct sockaddr *)&l->addr, sizeof(l->addr)) < 0 &&
            errno != EINPROGRESS)
            return bl_err_set(l->err, errno, "connect 127.0.0.1:%u", ntohs(l->addr.sin_port));
    }
    return 0;
}

/* Counts the clients of the groups so far that are ESTABLISHED now. */
static int count_connected(struct ao_lab *l, struct bl_abortov_phase *ph)
{
    for (int i = 0; i < l->n; i++) {
        uint8_t state;
        uint32_t retrans;
        if (bl_sockdiag_tcp_state(l->cfd[i], &state, &retrans) < 0)
            return bl_err_set(l->err, errno, "getsockopt(TCP_INFO)");
        ph->g[l->group[i]].connected += state == TCP_ESTABLISHED;
    }
    return 0;
}

/* Each client's state and first read.  The read comes first: SO_ERROR
 * would consume the pending error, and the read would then see EOF. */
static int fates(struct ao_lab *l, struct bl_abortov_phase *ph)
{
    for (int i = 0; i < l->n; i++) {
        struct bl_abortov_group_fate *f = &ph->g[l->group[i]];
        char c;
        ssize_t r = recv(l->cfd[i], &c, 1, MSG_DONTWAIT);
        int rerr = r < 0 ? errno : 0;
        uint8_t state;
        uint32_t retrans;
        if (bl_sockdiag_tcp_state(l->cfd[i], &state, &retrans) < 0)
            return bl_err_set(l->err, errno, "getsockopt(TCP_INFO)");
        f->clients++;
        f->retransmitted += retrans > 0;
        if (r < 0 && rerr == ECONNRESET)
            f->reset++;
        else if (r < 0 && rerr == EAGAIN && state == TCP_ESTABLISHED)
            f->waiting++;
        else if (r < 0 && rerr == EAGAIN && state == TCP_SYN_SENT)
            f->syn_sent++;
        else
            f->other++;
    }
    return 0;
}

/* The end of a step: the listener's queue and request sockets, every
 * client's fate, and the counters since l->before. */
static int measure(struct ao_lab *l, struct bl_abortov_phase *ph, uint32_t *len,
                   uint32_t *limit, uint32_t *syn_recv, int64_t delta[BL_AO_NCOUNTERS])
{
    struct bl_sockdiag_queues q;

    if (bl_sockdiag_listener_info(l->lfd, len, limit) < 0)
        return bl_err_set(l->err, errno, "getsockopt(TCP_INFO) on the listener");
    if (bl_sockdiag_port_queues(l->nl, NULL, ntohs(l->addr.sin_port), &q) < 0)
        return bl_err_set(l->err, errno, "inet_diag dump");
    *syn_recv = q.syn_recv;
    if (fates(l, ph) < 0)
        return -1;
    if (bl_netstat_read(l->nfd, l->sfd, &l->after) < 0)
        return bl_err_set(l->err, errno, "reading " BL_NETSTAT_FILES);
    for (int k = 0; k < BL_AO_NCOUNTERS; k++)
        if (bl_netstat_delta(&l->before, &l->after, bl_abortov_counter_group[k],
                             bl_abortov_counter_name[k], &delta[k]) < 0)
            delta[k] = -1;
    return 0;
}

/* Closes the clients and the listener of a step. */
static void close_step(struct ao_lab *l)
{
    for (int i = 0; i < l->n; i++)
        os_close_slot(&l->cfd[i]);
    l->n = 0;
    os_close_slot(&l->lfd);
}

/* The final-ACK step. */
static int ack_step(struct ao_lab *l, struct bl_abortov_phase *ph)
{
    if (listener(l) < 0 || bl_netstat_begin(&l->nfd, &l->sfd, &l->before, l->err) < 0)
        return -1;
    if (hold_acks(l, true) < 0 || connect_group(l, BL_AO_HELD, BL_ABORTOV_HELD) < 0)
        return -1;
    bl_env_sleep_ns(STEP_NS);
    if (hold_acks(l, false) < 0 || connect_group(l, BL_AO_FILL, BL_ABORTOV_BACKLOG + 1) < 0)
        return -1;
    bl_env_sleep_ns(STEP_NS);
    if (connect_group(l, BL_AO_LATE, BL_ABORTOV_LATE) < 0)
        return -1;
    bl_env_sleep_ns(STEP_NS);
    if (count_connected(l, ph) < 0)
        return -1;
    bl_env_sleep_ns(RETRANSMIT_WAIT_NS);
    return measure(l, ph, &ph->queue_len, &ph->queue_limit, &ph->srv_syn_recv, ph->delta);
}

/* One byte from each cookie client: its segment carries the final ACK. */
static int send_bytes(struct ao_lab *l)
{
    for (int i = 0; i < l->n; i++)
        if (l->group[i] == BL_AO_COOKIE &&
            send(l->cfd[i], "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1)
            return bl_err_set(l->err, errno, "send");
    return 0;
}

/* The cookie step, in a namespace of its own. */
static int cookie_step(struct ao_lab *l, struct bl_abortov_phase *ph)
{
    if (bl_env_write_sysctl(SYNCOOKIES_PATH, 2) < 0)
        return bl_err_set(l->err, errno, "writing " SYNCOOKIES_PATH);
    if (listener(l) < 0 || bl_netstat_begin(&l->nfd, &l->sfd, &l->before, l->err) < 0)
        return -1;
    if (hold_acks(l, true) < 0 || connect_group(l, BL_AO_COOKIE, BL_ABORTOV_COOKIE) < 0)
        return -1;
    bl_env_sleep_ns(STEP_NS);
    if (count_connected(l, ph) < 0)
        return -1;
    if (hold_acks(l, false) < 0 ||
        connect_group(l, BL_AO_COOKIE_FILL, BL_ABORTOV_BACKLOG + 1) < 0)
        return -1;
    bl_env_sleep_ns(STEP_NS);
    if (send_bytes(l) < 0)
        return -1;
    bl_env_sleep_ns(RETRANSMIT_WAIT_NS);
    return measure(l, ph, &ph->ck_queue_len, &ph->ck_queue_limit, &ph->ck_srv_syn_recv,
                   ph->ck_delta);
}

/* Opens what a step needs of the calling process's namespace (its fd for
 * nft, a netlink socket) and sets tcp_abort_on_overflow there. */
static int open_namespace(struct ao_lab *l, int abort_on_overflow)
{
    l->ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (l->ns_fd < 0)
        return bl_err_set(l->err, errno, "open /proc/self/ns/net");
    l->nl = bl_sockdiag_open();
    if (l->nl < 0)
        return bl_err_set(l->err, errno, "socket(NETLINK_SOCK_DIAG)");
    if (bl_env_write_sysctl(ABORT_PATH, abort_on_overflow) < 0)
        return bl_err_set(l->err, errno, "writing " ABORT_PATH);
    return 0;
}

/* Closes everything open_namespace and a step opened. */
static void close_namespace(struct ao_lab *l)
{
    close_step(l);
    os_close_slot(&l->nl);
    os_close_slot(&l->ns_fd);
    if (l->nfd >= 0 || l->sfd >= 0)
        bl_netstat_close(l->nfd, l->sfd);
    l->nfd = l->sfd = -1;
}

/* The cookie step gets a fresh namespace: the first step's sockets, once
 * closed, still send (FIN retransmissions, resets) and would move its
 * counters. */
static int fresh_namespace(struct ao_lab *l, int abort_on_overflow)
{
    char why[256];

    close_namespace(l);
    if (bl_netns_private_loopback(why, sizeof(why)) < 0)
        return bl_err_set(l->err, errno, "%s", why);
    return open_namespace(l, abort_on_overflow);
}

int bl_abortov_phase(int abort_on_overflow, const char *nft,
                     struct bl_abortov_phase *ph, struct bl_err *err)
{
    static struct ao_lab l; /* two snapshots: too big for the stack */
    int rc;

    memset(&l, 0, sizeof(l));
    memset(ph, 0, sizeof(*ph));
    memset(err, 0, sizeof(*err));
    l.err = err;
    l.nft = nft;
    l.lfd = l.nfd = l.sfd = l.nl = l.ns_fd = -1;
    ph->abort_on_overflow = abort_on_overflow;
    rc = open_namespace(&l, abort_on_overflow) < 0 || ack_step(&l, ph) < 0 ? -1 : 0;
    if (rc == 0 && !bl_env_interrupted)
        rc = fresh_namespace(&l, abort_on_overflow) < 0 || cookie_step(&l, ph) < 0 ? -1 : 0;
    close_namespace(&l);
    return rc;
}

int bl_abortov_main(const struct bl_opts *o)
{
    struct bl_abortov_phase ph[BL_MAX_ABORT_MODES];
    struct bl_netns ns;
    struct bl_err why;
    char err[256];

    if (geteuid() != 0) {
        fprintf(stderr, "backlog-lab: accept-queue --abort-on-overflow needs root: it sets "
                        "tcp_abort_on_overflow and an nft rule in a namespace of its own\n");
        return 3;
    }
    if (bl_netns_check(&ns, err, sizeof(err)) < 0) {
        fprintf(stderr, "backlog-lab: accept-queue --abort-on-overflow: %s\n", err);
        return 1;
    }
    for (int i = 0; i < o->nabort; i++) {
        /* A fresh namespace per value: the last phase's closing sockets
         * would otherwise move this one's OutRsts. */
        if (bl_netns_private_loopback(err, sizeof(err)) < 0) {
            fprintf(stderr, "backlog-lab: accept-queue --abort-on-overflow: %s\n", err);
            return 1;
        }
        if (bl_abortov_phase(o->abort_modes[i], ns.nft, &ph[i], &why) < 0) {
            fprintf(stderr, "backlog-lab: accept-queue, tcp_abort_on_overflow=%d: %s: %s\n",
                    o->abort_modes[i], why.call, strerror(why.errnum));
            return 1;
        }
        if (bl_env_interrupted) {
            fprintf(stderr, "backlog-lab: interrupted; the namespace is gone\n");
            return 130;
        }
    }
    bl_report_abortov(stdout, ph, o->nabort, o);
    return 0;
}
