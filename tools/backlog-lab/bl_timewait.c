/* bl_timewait.c - the time-wait experiment (see bl_timewait.h).
 *
 * One thread.  Each phase first moves the process into a new network
 * namespace, so the TIME-WAIT ends of the phase before die with theirs
 * and every counter read is the phase's own.  On loopback a blocking
 * connect() completes inside the call and each close() is answered before
 * it returns, so one pass of the loop leaves one client end in TIME-WAIT
 * (inet_diag checks what it really left at the first failure).
 */
#include "bl_timewait.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bl_env.h"
#include "bl_netns.h"
#include "bl_netstat.h"
#include "bl_report.h"
#include "bl_sockdiag.h"
#include "clock.h"
#include "os.h"

#define RANGE_PATH "/proc/sys/net/ipv4/ip_local_port_range"
#define REUSE_PATH "/proc/sys/net/ipv4/tcp_tw_reuse"
#define TIMESTAMPS_PATH "/proc/sys/net/ipv4/tcp_timestamps"
#define DELAY_PATH "/proc/sys/net/ipv4/tcp_tw_reuse_delay"
#define WATCH_POLL_NS (100 * 1000 * 1000ull)

const char *const bl_timewait_counters[BL_TIMEWAIT_NCOUNTERS] = {
    "TW", "TWRecycled", "TWKilled", "TCPTimeWaitOverflow",
};

struct tw_lab {
    struct bl_timewait_phase *ph;
    struct bl_err *err;
    int lfd, nl, nfd, sfd;
    struct sockaddr_in srv;
    bool used[BL_TIMEWAIT_MAX_PORTS];
    uint64_t t_first_close;     /* 0 until the first close */
};

/* The veth interface and its address, in the calling thread's namespace. */
static int add_veth(struct tw_lab *l, const char *ip)
{
    static const char batch[] =
        "link add bl-tw0 type veth peer name bl-tw1\n"
        "addr add " BL_TIMEWAIT_VETH_ADDR "/24 dev bl-tw0\n"
        "link set bl-tw0 up\n"
        "link set bl-tw1 up\n";
    char *argv[] = { (char *)ip, "-batch", "-", NULL };
    char msg[256];
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return bl_err_set(l->err, errno, "open /proc/thread-self/ns/net");
    int rc = bl_netns_run(fd, argv, batch, msg, sizeof(msg));
    os_close(fd); /* a namespace fd: the process still holds the namespace */
    if (rc < 0)
        return bl_err_set(l->err, EIO, "%s", msg);
    return 0;
}

static int sysctls(struct tw_lab *l, const struct bl_opts *o)
{
    struct bl_timewait_phase *ph = l->ph;
    char range[32];
    long r[2];
    int rc;

    snprintf(range, sizeof(range), "%d %llu\n", BL_TIMEWAIT_PORT_LO,
             (unsigned long long)(BL_TIMEWAIT_PORT_LO + o->tw_ports - 1));
    if (bl_env_write_sysctl_text(RANGE_PATH, range) < 0)
        return bl_err_set(l->err, errno, "writing " RANGE_PATH);
    if (bl_env_write_sysctl(REUSE_PATH, ph->reuse) < 0)
        return bl_err_set(l->err, errno, "writing " REUSE_PATH);
    if (ph->no_timestamps && bl_env_write_sysctl(TIMESTAMPS_PATH, 0) < 0)
        return bl_err_set(l->err, errno, "writing " TIMESTAMPS_PATH);
    if ((rc = os_read_sysctl(RANGE_PATH, r, 2)) != 2)
        return bl_err_set(l->err, rc < 0 ? -rc : EINVAL, "reading " RANGE_PATH);
    ph->port_lo = r[0];
    ph->port_hi = r[1];
    if ((rc = os_read_sysctl(TIMESTAMPS_PATH, &ph->timestamps, 1)) < 0)
        return bl_err_set(l->err, -rc, "reading " TIMESTAMPS_PATH);
    rc = os_read_sysctl(DELAY_PATH, &ph->reuse_delay_ms, 1);
    if (rc == -ENOENT)
        ph->reuse_delay_ms = -1; /* a kernel older than the sysctl */
    else if (rc < 0)
        return bl_err_set(l->err, -rc, "reading " DELAY_PATH);
    return 0;
}

static int listener(struct tw_lab *l)
{
    int one = 1;

    l->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->lfd < 0)
        return bl_err_set(l->err, errno, "socket");
    if (setsockopt(l->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        return bl_err_set(l->err, errno, "setsockopt(SO_REUSEADDR)");
    if (bind(l->lfd, (struct sockaddr *)&l->srv, sizeof(l->srv)) < 0)
        return bl_err_set(l->err, errno, "bind %s:%d", inet_ntoa(l->srv.sin_addr),
                          BL_TIMEWAIT_SERVER_PORT);
    if (listen(l->lfd, 128) < 0)
        return bl_err_set(l->err, errno, "listen");
    l->nl = bl_sockdiag_open();
    if (l->nl < 0)
        return bl_err_set(l->err, errno, "socket(NETLINK_SOCK_DIAG)");
    return 0;
}

/* Counts the client ends (local port in the range, peer the server). */
static int client_end_cb(const struct bl_sockdiag_entry *e, void *arg)
{
    struct bl_timewait_phase *ph = arg;

    if (e->dport != BL_TIMEWAIT_SERVER_PORT || e->sport < ph->port_lo ||
        e->sport > ph->port_hi)
        return 0;
    if (e->state != TCP_TIME_WAIT) {
        ph->other_at_fail++;
        return 0;
    }
    if (ph->tw_at_fail == 0 || e->expires_ms < ph->tw_expires_min_ms)
        ph->tw_expires_min_ms = e->expires_ms;
    if (e->expires_ms > ph->tw_expires_max_ms)
        ph->tw_expires_max_ms = e->expires_ms;
    ph->tw_at_fail++;
    return 0;
}

/* One connect; returns 1 when it succeeded (and was closed client first),
 * 0 when connect() failed (errno in *why), -1 on any other failure. */
static int one_connection(struct tw_lab *l, int *why)
{
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (c < 0)
        return bl_err_set(l->err, errno, "socket");
    if (connect(c, (struct sockaddr *)&l->srv, sizeof(l->srv)) < 0) {
        *why = errno;
        os_close(c); /* never connected: nothing to lose */
        return 0;
    }
    if (getsockname(c, (struct sockaddr *)&me, &len) < 0) {
        bl_err_set(l->err, errno, "getsockname");
        os_close(c);
        return -1;
    }
    int a = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (a < 0) {
        bl_err_set(l->err, errno, "accept4");
        os_close(c);
        return -1;
    }
    long port = ntohs(me.sin_port) - l->ph->port_lo;
    if (port >= 0 && port < BL_TIMEWAIT_MAX_PORTS)
        l->used[port] = true;
    /* the client's close first: its end goes to TIME-WAIT; no data was
     * sent, so neither close can lose any */
    os_close(c);
    if (l->t_first_close == 0)
        l->t_first_close = clock_now_ns();
    os_close(a);
    return 1;
}

static int first_failure(struct tw_lab *l, int why, uint64_t now)
{
    struct bl_timewait_phase *ph = l->ph;

    ph->failed = true;
    ph->fail_errno = why;
    ph->t_fail_ns = now - l->t_first_close;
    for (int i = 0; i < BL_TIMEWAIT_MAX_PORTS; i++)
        ph->ports_used += l->used[i];
    if (bl_sockdiag_dump(l->nl, 0, 1u << TCP_TIME_WAIT | 1u << TCP_FIN_WAIT2 |
                         1u << TCP_FIN_WAIT1 | 1u << TCP_ESTABLISHED | 1u << TCP_CLOSING,
                         client_end_cb, ph) < 0)
        return bl_err_set(l->err, errno, "inet_diag dump");
    return 0;
}

/* Connects until the window ends; see the top of bl_timewait.h. */
static int hammer(struct tw_lab *l)
{
    struct bl_timewait_phase *ph = l->ph;
    uint64_t start = clock_now_ns();

    for (int n = 0; n < BL_TIMEWAIT_MAX_CONNECTS && !bl_env_interrupted; n++) {
        int why = 0;
        int rc = one_connection(l, &why);
        uint64_t now = clock_now_ns();
        if (rc < 0)
            return -1;
        if (ph->failed)
            ph->attempts_after++;
        if (rc == 1 && !ph->failed)
            ph->ok_before_fail++;
        if (rc == 1 && ph->failed && ph->reused++ == 0)
            ph->t_first_reuse_ns = now - l->t_first_close;
        if (rc == 0 && !ph->failed && first_failure(l, why, now) < 0)
            return -1;
        if (now - start >= BL_TIMEWAIT_WINDOW_NS)
            break;
        if (rc == 0)
            bl_env_sleep_ns(BL_TIMEWAIT_RETRY_MS * 1000000ull);
        bl_env_progress("time-wait: tcp_tw_reuse=%d, %d connected, %s", ph->reuse,
                        ph->ok_before_fail + ph->reused,
                        ph->failed ? "ports exhausted" : "ports left");
    }
    return 0;
}

static int counters(struct tw_lab *l, const struct bl_netstat_snap *before,
                    struct bl_netstat_snap *now)
{
    if (bl_netstat_read(l->nfd, l->sfd, now) < 0)
        return bl_err_set(l->err, errno, "reading " BL_NETSTAT_FILES);
    for (int i = 0; i < BL_TIMEWAIT_NCOUNTERS; i++)
        if (bl_netstat_delta(before, now, "TcpExt", bl_timewait_counters[i],
                             &l->ph->delta[i]) < 0)
            l->ph->delta[i] = -1; /* an older kernel lacks it */
    return 0;
}

/* The new namespace, its sysctls, the listener, the counters' start. */
static int setup(struct tw_lab *l, const struct bl_opts *o, const char *ip,
                 struct bl_netstat_snap *before)
{
    char msg[256];

    if (bl_netns_private_loopback(msg, sizeof(msg)) < 0)
        return bl_err_set(l->err, errno, "%s", msg);
    if (l->ph->addr == BL_TW_VETH && add_veth(l, ip) < 0)
        return -1;
    if (sysctls(l, o) < 0 || listener(l) < 0)
        return -1;
    return bl_netstat_begin(&l->nfd, &l->sfd, before, l->err);
}

int bl_timewait_phase(const struct bl_opts *o, const char *ip,
                      const struct bl_timewait_mode *m, struct bl_timewait_phase *ph,
                      struct bl_err *err)
{
    struct tw_lab l = { .ph = ph, .err = err, .lfd = -1, .nl = -1, .nfd = -1, .sfd = -1 };
    struct bl_netstat_snap *before = malloc(sizeof(*before)), *now = malloc(sizeof(*now));
    int rc = -1;

    memset(ph, 0, sizeof(*ph));
    memset(err, 0, sizeof(*err));
    ph->reuse = m->reuse;
    ph->addr = m->addr;
    ph->no_timestamps = m->no_timestamps;
    l.srv.sin_family = AF_INET;
    l.srv.sin_port = htons(BL_TIMEWAIT_SERVER_PORT);
    inet_pton(AF_INET, m->addr == BL_TW_VETH ? BL_TIMEWAIT_VETH_ADDR : "127.0.0.1",
              &l.srv.sin_addr);
    if (before == NULL || now == NULL)
        bl_err_set(err, ENOMEM, "malloc");
    else if (setup(&l, o, ip, before) == 0 && hammer(&l) == 0 && counters(&l, before, now) == 0)
        rc = 0;
    bl_env_progress_end();
    os_close_slot(&l.lfd);
    os_close_slot(&l.nl);
    bl_netstat_close(l.nfd, l.sfd);
    free(before);
    free(now);
    return rc;
}

struct life_view {
    uint16_t port;              /* the client end's local port */
    bool found;
    uint32_t expires_ms;
};

static int life_cb(const struct bl_sockdiag_entry *e, void *arg)
{
    struct life_view *v = arg;

    if (e->state == TCP_TIME_WAIT && e->dport == BL_TIMEWAIT_SERVER_PORT) {
        v->found = true;
        v->expires_ms = e->expires_ms;
    }
    return 0;
}

/* Watches one client end from its close: its first sight in TIME-WAIT
 * and, with watch, until it is gone. */
static int watch_life(struct tw_lab *l, struct bl_timewait_life *life, bool watch)
{
    struct life_view v = { 0 };
    int why = 0, rc = one_connection(l, &why);
    uint64_t closed = l->t_first_close;

    if (rc <= 0)
        return rc < 0 ? -1 : bl_err_set(l->err, why, "connect");
    for (;;) {
        v.found = false;
        if (bl_sockdiag_dump(l->nl, 0, 1u << TCP_TIME_WAIT, life_cb, &v) < 0)
            return bl_err_set(l->err, errno, "inet_diag dump");
        uint64_t at = clock_now_ns() - closed;
        if (v.found && !life->seen) {
            life->seen = true;
            life->seen_after_ns = at;
            life->expires_ms = v.expires_ms;
        }
        if (!watch || (!v.found && life->seen) || bl_env_interrupted ||
            at > BL_TIMEWAIT_WATCH_S * CLOCK_NS_PER_SEC) {
            life->watched = watch && !bl_env_interrupted;
            life->gone = life->seen && !v.found;
            life->gone_after_ns = life->gone ? at : 0;
            return 0;
        }
        bl_env_progress("time-wait: one TIME-WAIT end, %.0f s after its close", at / 1e9);
        bl_env_sleep_ns(WATCH_POLL_NS);
    }
}

static int life_step(const struct bl_opts *o, struct bl_timewait_life *life,
                     struct bl_err *err)
{
    struct bl_timewait_phase ph = { .reuse = 0 };
    struct tw_lab l = { .ph = &ph, .err = err, .lfd = -1, .nl = -1 };
    char msg[256];
    int rc = -1;

    memset(life, 0, sizeof(*life));
    memset(err, 0, sizeof(*err));
    l.srv.sin_family = AF_INET;
    l.srv.sin_port = htons(BL_TIMEWAIT_SERVER_PORT);
    l.srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ph.port_lo = BL_TIMEWAIT_PORT_LO;
    if (bl_netns_private_loopback(msg, sizeof(msg)) < 0)
        bl_err_set(err, errno, "%s", msg);
    else if (listener(&l) == 0 && watch_life(&l, life, o->long_form) == 0)
        rc = 0;
    bl_env_progress_end();
    os_close_slot(&l.lfd);
    os_close_slot(&l.nl);
    return rc;
}

static void announce(const struct bl_opts *o, int nm)
{
    if (o->quiet)
        return;
    fprintf(stderr, "backlog-lab time-wait: %llu local ports, tcp_tw_reuse",
            (unsigned long long)o->tw_ports);
    for (int i = 0; i < o->ntw_reuse; i++)
        fprintf(stderr, "%s%d", i ? "," : " ", o->tw_reuse[i]);
    fprintf(stderr, " on loopback and on a veth address: %d phases of %.1f s%s\n", nm,
            BL_TIMEWAIT_WINDOW_NS / 1e9,
            o->long_form ? ", then one TIME-WAIT end watched until it goes (about a "
                           "minute)" : "");
}

/* The phases: each --tw-reuse value on both addresses, and 1 once more
 * without timestamps. */
static int modes(const struct bl_opts *o, struct bl_timewait_mode *m)
{
    int n = 0;
    bool one = false;

    for (int i = 0; i < o->ntw_reuse; i++) {
        m[n++] = (struct bl_timewait_mode){ o->tw_reuse[i], BL_TW_LOOPBACK, false };
        m[n++] = (struct bl_timewait_mode){ o->tw_reuse[i], BL_TW_VETH, false };
        one |= o->tw_reuse[i] == 1;
    }
    if (one)
        m[n++] = (struct bl_timewait_mode){ 1, BL_TW_LOOPBACK, true };
    return n;
}

int bl_timewait_main(const struct bl_opts *o)
{
    static struct bl_timewait_result res;
    struct bl_timewait_mode m[2 * BL_MAX_TW_MODES + 1];
    struct bl_netns ns;
    struct bl_err why;
    char err[512];
    int nm = modes(o, m);

    if (bl_netns_check_ip(&ns, err, sizeof(err)) < 0) {
        fprintf(stderr, "backlog-lab: time-wait: %s\n", err);
        return 3;
    }
    announce(o, nm);
    for (int i = 0; i < nm && !bl_env_interrupted; i++) {
        if (bl_timewait_phase(o, ns.ip, &m[i], &res.ph[i], &why) < 0) {
            fprintf(stderr, "backlog-lab: time-wait, tcp_tw_reuse=%d on %s: %s: %s\n",
                    m[i].reuse, m[i].addr == BL_TW_VETH ? "veth" : "loopback", why.call,
                    strerror(why.errnum));
            return 1;
        }
        res.nphases++;
    }
    if (!bl_env_interrupted && life_step(o, &res.life, &why) < 0) {
        fprintf(stderr, "backlog-lab: time-wait, watching one TIME-WAIT end: %s: %s\n",
                why.call, strerror(why.errnum));
        return 1;
    }
    if (bl_env_interrupted) {
        fprintf(stderr, "backlog-lab: interrupted; the namespaces are gone\n");
        return 130;
    }
    bl_report_timewait(stdout, &res, o);
    return 0;
}
