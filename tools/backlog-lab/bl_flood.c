/* bl_flood.c - the syn-flood experiment (see bl_flood.h).
 *
 * A phase: in the server namespace set tcp_syncookies, listen and open the
 * namespace's netlink and counter files; then, in the client namespace,
 * open the raw socket and run one loop that sends the spoofed SYNs due by
 * now, starts the legitimate client's next connect when it is due, times
 * out the connects that ran too long, accepts and closes on the server's
 * listener (whose socket stays in the server namespace) and samples the
 * SYN-RECV sockets.  The flood stops at --duration; the loop ends when
 * the last connect has finished.
 */
#include "bl_flood.h"

#include <arpa/inet.h>
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
#include "bl_netstat.h"
#include "bl_plot.h"
#include "bl_plot_runs.h"
#include "bl_report.h"
#include "bl_sockdiag.h"
#include "bl_synpkt.h"
#include "clock.h"
#include "os.h"

#define SYNCOOKIES_PATH "/proc/sys/net/ipv4/tcp_syncookies"
#define LISTENER_ID UINT32_MAX
#define MS CLOCK_NS_PER_MS

const char *const bl_flood_counter_group[BL_FL_NCOUNTERS] = {
    "TcpExt", "TcpExt", "TcpExt", "TcpExt", "TcpExt", "TcpExt", "TcpExt", "Tcp",
};
const char *const bl_flood_counter_name[BL_FL_NCOUNTERS] = {
    "SyncookiesSent", "SyncookiesRecv", "SyncookiesFailed", "ListenDrops",
    "ListenOverflows", "TCPReqQFullDrop", "TCPReqQFullDoCookies", "InCsumErrors",
};

enum try_state { TRY_PENDING, TRY_CONNECTED, TRY_TIMED_OUT, TRY_FAILED };

/* One connect of the legitimate client. */
struct flood_try {
    int fd;
    enum try_state state;
    uint64_t t_start;          /* ns since the phase began */
    double ms;                 /* connect time, once connected */
    bool retransmitted;
    bool syn_sent;             /* given up while still in SYN-SENT */
    uint32_t syns;             /* SYNs sent by then, retransmissions included */
};

struct flood_lab {
    struct bl_flood_phase *ph;
    struct bl_netns *ns;
    struct bl_err *err;
    int lfd, nl, nfd, sfd, ep, raw;
    uint64_t t0;
    uint64_t rng;
    struct flood_try *tries;
    int ntries, max_tries, pending;
    int max_samples;
    struct bl_netstat_snap *before, *now;
};

static uint64_t since(const struct flood_lab *l)
{
    return clock_now_ns() - l->t0;
}

/* xorshift64: the spoofed addresses, ports and sequence numbers. */
static uint32_t next_random(struct flood_lab *l)
{
    l->rng ^= l->rng << 13;
    l->rng ^= l->rng >> 7;
    l->rng ^= l->rng << 17;
    return (uint32_t)(l->rng >> 32);
}

static void set_addr(struct sockaddr_in *a, uint16_t port)
{
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, BL_NETNS_SERVER_ADDR, &a->sin_addr); /* a literal: cannot fail */
}

static int read_sysctl(struct flood_lab *l, const char *path, long *out)
{
    int rc = os_read_sysctl(path, out, 1);

    return rc < 0 ? bl_err_set(l->err, -rc, "reading %s", path) : 0;
}

/* Sets tcp_syncookies (checking that it took) and reads what the report
 * quotes; the thread is in the server namespace. */
static int server_sysctls(struct flood_lab *l, int syncookies)
{
    long check;

    if (bl_env_write_sysctl(SYNCOOKIES_PATH, syncookies) < 0)
        return bl_err_set(l->err, errno, "writing " SYNCOOKIES_PATH);
    if (read_sysctl(l, SYNCOOKIES_PATH, &check) < 0 ||
        read_sysctl(l, "/proc/sys/net/ipv4/tcp_max_syn_backlog", &l->ph->max_syn_backlog) < 0 ||
        read_sysctl(l, "/proc/sys/net/ipv4/tcp_synack_retries", &l->ph->synack_retries) < 0)
        return -1;
    if (check != syncookies)
        return bl_err_set(l->err, EIO, "writing " SYNCOOKIES_PATH " (it reads back %ld)",
                          check);
    return 0;
}

static int epoll_add(struct flood_lab *l, int fd, uint32_t events, uint32_t id)
{
    struct epoll_event ev = { .events = events, .data.u32 = id };

    return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0
               ? bl_err_set(l->err, errno, "epoll_ctl ADD") : 0;
}

/* The listener, netlink socket and counter files, in the server namespace. */
static int server_open(struct flood_lab *l, int syncookies)
{
    struct sockaddr_in a;

    if (bl_netns_enter(l->ns->srv) < 0)
        return bl_err_set(l->err, errno, "setns to the server namespace");
    if (server_sysctls(l, syncookies) < 0)
        return -1;
    set_addr(&a, l->ph->port);
    l->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->lfd < 0)
        return bl_err_set(l->err, errno, "socket");
    if (bind(l->lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return bl_err_set(l->err, errno, "bind " BL_NETNS_SERVER_ADDR ":%u", l->ph->port);
    if (listen(l->lfd, l->ph->backlog) < 0)
        return bl_err_set(l->err, errno, "listen");
    if (epoll_add(l, l->lfd, EPOLLIN, LISTENER_ID) < 0)
        return -1;
    l->nl = bl_sockdiag_open();
    if (l->nl < 0)
        return bl_err_set(l->err, errno, "socket(NETLINK_SOCK_DIAG)");
    return bl_netstat_begin(&l->nfd, &l->sfd, l->before, l->err);
}

static int lab_alloc(struct flood_lab *l)
{
    struct bl_flood_phase *ph = l->ph;
    uint64_t ticks = ph->duration_ns / (BL_FLOOD_SAMPLE_MS * MS);

    l->lfd = l->nl = l->nfd = l->sfd = l->ep = l->raw = -1;
    /* one connect at each multiple of the gap before the flood ends */
    l->max_tries = (int)((ph->duration_ns + BL_FLOOD_TRY_GAP_MS * MS - 1) /
                         (BL_FLOOD_TRY_GAP_MS * MS));
    l->tries = calloc((size_t)l->max_tries, sizeof(*l->tries));
    l->before = malloc(sizeof(*l->before));
    l->now = malloc(sizeof(*l->now));
    /* the samples of the flood, of the last timeout after it, and spares */
    l->max_samples = (int)ticks + BL_FLOOD_TRY_TIMEOUT_MS / BL_FLOOD_SAMPLE_MS + 16;
    ph->samples = calloc((size_t)l->max_samples, sizeof(*ph->samples));
    if (l->tries == NULL || l->before == NULL || l->now == NULL || ph->samples == NULL)
        return bl_err_set(l->err, ENOMEM, "malloc");
    for (int i = 0; i < l->max_tries; i++)
        l->tries[i].fd = -1;
    l->rng = clock_now_ns() | 1;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    return l->ep < 0 ? bl_err_set(l->err, errno, "epoll_create1") : 0;
}

static void lab_close(struct flood_lab *l)
{
    for (int i = 0; l->tries != NULL && i < l->ntries; i++)
        os_close_slot(&l->tries[i].fd);
    os_close_slot(&l->lfd);
    os_close_slot(&l->nl);
    os_close_slot(&l->ep);
    os_close_slot(&l->raw);
    bl_netstat_close(l->nfd, l->sfd);
    free(l->tries);
    free(l->before);
    free(l->now);
}

/* Sends one spoofed SYN; a full send buffer or device queue (EAGAIN,
 * ENOBUFS) is counted, not fatal. */
static int send_syn(struct flood_lab *l)
{
    struct bl_synpkt p = {
        .src = BL_FLOOD_SPOOF_BASE | (1 + next_random(l) % 254) << 8 | (1 + next_random(l) % 254),
        .dst = ntohl(inet_addr(BL_NETNS_SERVER_ADDR)),
        .sport = (uint16_t)(1024 + next_random(l) % 64512),
        .dport = l->ph->port,
        .seq = next_random(l),
        .ip_id = (uint16_t)next_random(l),
    };
    uint8_t pkt[BL_SYNPKT_LEN];
    struct sockaddr_in to;

    bl_synpkt_build(&p, pkt);
    set_addr(&to, 0);
    if (sendto(l->raw, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
        if (errno != ENOBUFS && errno != EAGAIN)
            return bl_err_set(l->err, errno, "sendto (raw socket)");
        l->ph->syns_nobufs++;
        return 0;
    }
    l->ph->syns_sent++;
    return 0;
}

/* The legitimate client's next connect (the thread is in the client ns). */
static int start_try(struct flood_lab *l)
{
    uint32_t id = (uint32_t)l->ntries;
    struct flood_try *t = &l->tries[id];
    struct sockaddr_in a;

    set_addr(&a, l->ph->port);
    t->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t->fd < 0)
        return bl_err_set(l->err, errno, "socket");
    l->ntries++;                   /* from here on lab_close closes it */
    l->pending++;
    t->t_start = since(l);
    t->state = TRY_PENDING;
    if (connect(t->fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
        return bl_err_set(l->err, errno, "connect " BL_NETNS_SERVER_ADDR ":%u", l->ph->port);
    return epoll_add(l, t->fd, EPOLLOUT, id);
}

/* A connect ended: connected, refused with an error, or timed out. */
static int end_try(struct flood_lab *l, struct flood_try *t)
{
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    uint8_t state;
    uint32_t retrans;

    if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        return bl_err_set(l->err, errno, "getsockopt(SO_ERROR)");
    if (soerr == 0) {
        if (bl_sockdiag_tcp_state(t->fd, &state, &retrans) < 0)
            return bl_err_set(l->err, errno, "getsockopt(TCP_INFO)");
        t->state = TRY_CONNECTED;
        t->ms = (double)(since(l) - t->t_start) / 1e6;
        t->retransmitted = retrans > 0;
    } else {
        t->state = TRY_FAILED;
        if (l->ph->first_errno == 0)
            l->ph->first_errno = soerr;
    }
    l->pending--;
    os_close_slot(&t->fd); /* closing a client socket: nothing to lose */
    return 0;
}

/* Gives up the connects that ran past the timeout, noting their state and
 * how many SYNs each had sent. */
static int time_out_tries(struct flood_lab *l)
{
    uint64_t now = since(l);

    for (int i = 0; i < l->ntries; i++) {
        struct flood_try *t = &l->tries[i];
        uint8_t state;
        uint32_t retrans;
        if (t->state != TRY_PENDING || now - t->t_start < BL_FLOOD_TRY_TIMEOUT_MS * MS)
            continue;
        if (bl_sockdiag_tcp_state(t->fd, &state, &retrans) < 0)
            return bl_err_set(l->err, errno, "getsockopt(TCP_INFO)");
        t->state = TRY_TIMED_OUT;
        t->syn_sent = state == TCP_SYN_SENT;
        t->syns = retrans + 1;
        l->pending--;
        os_close_slot(&t->fd); /* a connect given up: nothing to lose */
    }
    return 0;
}

/* Accepts and closes whatever the listener's queue holds. */
static int drain_listener(struct flood_lab *l)
{
    for (;;) {
        int fd = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED
                       ? 0 : bl_err_set(l->err, errno, "accept4");
        l->ph->accepted++;
        os_close(fd); /* an accepted connection the lab sends nothing on */
    }
}

static int take_sample(struct flood_lab *l)
{
    struct bl_flood_phase *ph = l->ph;
    struct bl_flood_sample *s = &ph->samples[ph->nsamples];
    struct bl_sockdiag_queues q;

    if (ph->nsamples == l->max_samples) /* the loop ran late: keep the first ones */
        return 0;
    if (bl_sockdiag_port_queues(l->nl, NULL, ph->port, &q) < 0)
        return bl_err_set(l->err, errno, "inet_diag dump");
    s->t_ms = (uint32_t)(since(l) / MS);
    s->syn_recv = q.syn_recv;
    s->syns = ph->syns_sent;
    s->tries = (uint32_t)l->ntries;
    s->connected = 0;
    for (int i = 0; i < l->ntries; i++)
        s->connected += l->tries[i].state == TRY_CONNECTED;
    ph->limit = q.accept_limit;
    if (q.syn_recv > ph->syn_recv_peak) {
        ph->syn_recv_peak = q.syn_recv;
        ph->peak_at_ms = s->t_ms;
    }
    if (s->t_ms * MS <= ph->duration_ns)
        ph->syn_recv_flood_end = q.syn_recv;
    ph->nsamples++;
    bl_env_progress("  syncookies=%d: %llu spoofed SYNs, %u SYN-RECV, client %u of %u "
                    "connected (%.1f s)", ph->syncookies, (unsigned long long)s->syns,
                    s->syn_recv, s->connected, s->tries, (double)s->t_ms / 1000);
    return 0;
}

static int on_event(struct flood_lab *l, uint32_t id)
{
    if (id == LISTENER_ID)
        return drain_listener(l);
    struct flood_try *t = &l->tries[id];
    return t->state == TRY_PENDING ? end_try(l, t) : 0;
}

/* Sends what is due by now, starts the connect that is due (one a call:
 * a loop that ran late catches up, even past the flood's end, so the
 * count of each stays the same), keeps time. */
static int due_work(struct flood_lab *l, uint64_t now)
{
    struct bl_flood_phase *ph = l->ph;
    uint64_t total = ph->rate * ph->duration_ns / CLOCK_NS_PER_SEC;
    uint64_t due = ph->rate * now / CLOCK_NS_PER_SEC + 1;  /* past the end: all of them */

    while (ph->syns_sent + ph->syns_nobufs < due && ph->syns_sent + ph->syns_nobufs < total)
        if (send_syn(l) < 0)
            return -1;
    if (l->ntries < l->max_tries && now >= (uint64_t)l->ntries * BL_FLOOD_TRY_GAP_MS * MS &&
        start_try(l) < 0)
        return -1;
    return time_out_tries(l);
}

/* The phase's loop, in the client namespace. */
static int watch(struct flood_lab *l)
{
    struct bl_flood_phase *ph = l->ph;
    uint64_t next_sample = 0;
    struct epoll_event evs[64];

    for (;;) {
        uint64_t now = since(l);
        if (bl_env_interrupted) {
            ph->interrupted = true;
            return 0;
        }
        if (due_work(l, now) < 0)
            return -1;
        if (now >= ph->duration_ns && l->ntries == l->max_tries && l->pending == 0)
            break;
        if (now >= next_sample) {
            if (take_sample(l) < 0)
                return -1;
            next_sample += BL_FLOOD_SAMPLE_MS * MS;
        }
        int n = epoll_wait(l->ep, evs, 64, 1);
        if (n < 0 && errno != EINTR)
            return bl_err_set(l->err, errno, "epoll_wait");
        for (int k = 0; k < n; k++)
            if (on_event(l, evs[k].data.u32) < 0)
                return -1;
    }
    bl_env_sleep_ns(50 * MS); /* the last final ACKs reach the listener */
    if (drain_listener(l) < 0)
        return -1;
    return take_sample(l);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bl_flood_quantile(const double *sorted, int n, double q)
{
    if (n == 0)
        return 0;
    int k = (int)(q * n + 0.999999);
    return sorted[k < 1 ? 0 : k > n ? n - 1 : k - 1];
}

static void count_timeout(struct bl_flood_phase *ph, const struct flood_try *t)
{
    if (t->syn_sent) {
        if (ph->timed_out_syn_sent == 0 || t->syns < ph->timed_out_syns_min)
            ph->timed_out_syns_min = t->syns;
        if (t->syns > ph->timed_out_syns_max)
            ph->timed_out_syns_max = t->syns;
        ph->timed_out_syn_sent++;
    }
    ph->timed_out++;
}

/* Reads the counters into ph->delta. */
static int read_deltas(struct flood_lab *l)
{
    if (bl_netstat_read(l->nfd, l->sfd, l->now) < 0)
        return bl_err_set(l->err, errno, "reading " BL_NETSTAT_FILES);
    for (int k = 0; k < BL_FL_NCOUNTERS; k++)
        if (bl_netstat_delta(l->before, l->now, bl_flood_counter_group[k],
                             bl_flood_counter_name[k], &l->ph->delta[k]) < 0)
            l->ph->delta[k] = -1;
    return 0;
}

/* The sum of the counters every spoofed SYN that reaches the listener
 * moves, one way or another. */
static int64_t syn_verdicts(const struct bl_flood_phase *ph)
{
    return ph->delta[BL_FL_REQQ_DROP] + ph->delta[BL_FL_COOKIES_SENT] +
           ph->delta[BL_FL_LISTEN_DROPS];
}

/* Reads the counters once the SYNs still on their way (a flood that fell
 * behind catches up in a burst, and a loaded machine runs the softirq
 * late) have all been dealt with: until two reads 50 ms apart agree, for
 * at most COUNTERS_SETTLE_MS. */
#define COUNTERS_SETTLE_MS 1000
static int read_counters(struct flood_lab *l)
{
    int64_t last = -1;

    for (int waited = 0;; waited += 50) {
        if (read_deltas(l) < 0)
            return -1;
        int64_t v = syn_verdicts(l->ph);
        if (v == last || waited >= COUNTERS_SETTLE_MS)
            return 0;
        last = v;
        bl_env_sleep_ns(50 * MS);
    }
}

/* The legitimate client's tally and times, and the counters. */
static int summarize(struct flood_lab *l)
{
    struct bl_flood_phase *ph = l->ph;
    double *v = malloc((size_t)(l->ntries + 1) * sizeof(*v));
    double *r = malloc((size_t)(l->ntries + 1) * sizeof(*r));
    int nr = 0;

    if (v == NULL || r == NULL) {
        free(v);
        free(r);
        return bl_err_set(l->err, ENOMEM, "malloc");
    }
    ph->tries = l->ntries;
    for (int i = 0; i < l->ntries; i++) {
        const struct flood_try *t = &l->tries[i];
        ph->failed += t->state == TRY_FAILED;
        if (t->state == TRY_TIMED_OUT)
            count_timeout(ph, t);
        if (t->state != TRY_CONNECTED)
            continue;
        v[ph->connected++] = t->ms;
        ph->last_ok_start_ms = (uint32_t)(t->t_start / MS);
        if (t->retransmitted)
            r[nr++] = t->ms;
    }
    ph->retransmitted = nr;
    qsort(v, (size_t)ph->connected, sizeof(*v), cmp_double);
    ph->lat_median_ms = bl_text_median(v, ph->connected);
    ph->lat_p99_ms = bl_flood_quantile(v, ph->connected, 0.99);
    ph->lat_max_ms = ph->connected > 0 ? v[ph->connected - 1] : 0;
    ph->rtx_median_ms = bl_text_median(r, nr);
    free(v);
    free(r);
    return read_counters(l);
}

/* The phase proper; the caller cleans up and returns to the original
 * namespace, whatever happened. */
static int run_phase(struct flood_lab *l, int syncookies)
{
    if (lab_alloc(l) < 0 || server_open(l, syncookies) < 0)
        return -1;
    if (bl_netns_enter(l->ns->cli) < 0)
        return bl_err_set(l->err, errno, "setns to the client namespace");
    l->raw = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
    if (l->raw < 0)
        return bl_err_set(l->err, errno, "socket(SOCK_RAW, IPPROTO_RAW)");
    l->t0 = clock_now_ns();
    if (watch(l) < 0)
        return -1;
    return l->ph->interrupted ? 0 : summarize(l);
}

int bl_flood_phase(struct bl_netns *ns, int syncookies, int index, const struct bl_opts *o,
                   struct bl_flood_phase *ph, struct bl_err *err)
{
    struct flood_lab l = { .ph = ph, .ns = ns, .err = err };
    int rc;

    memset(ph, 0, sizeof(*ph));
    memset(err, 0, sizeof(*err));
    ph->syncookies = syncookies;
    ph->backlog = (int)o->flood_backlog;
    ph->port = (uint16_t)(BL_FLOOD_PORT_BASE + index);
    ph->rate = o->flood_rate;
    ph->duration_ns = o->flood_ns;
    rc = run_phase(&l, syncookies);
    bl_env_progress_end();
    lab_close(&l);
    if (bl_netns_enter(ns->orig) < 0)
        rc = bl_err_set(err, errno, "setns back to the original namespace");
    return rc;
}

void bl_flood_free(struct bl_flood_phase *ph)
{
    free(ph->samples);
    ph->samples = NULL;
}

static void announce(const struct bl_opts *o)
{
    double per = (double)o->flood_ns / 1e9 + BL_FLOOD_TRY_TIMEOUT_MS / 1000.0;

    if (o->quiet)
        return;
    fprintf(stderr, "backlog-lab syn-flood: backlog %llu, %llu spoofed SYNs/s for %.1f s, "
            "syncookies mode%s", (unsigned long long)o->flood_backlog,
            (unsigned long long)o->flood_rate, (double)o->flood_ns / 1e9,
            o->ncookie_modes == 1 ? "" : "s");
    for (int i = 0; i < o->ncookie_modes; i++)
        fprintf(stderr, "%s%d", i ? "," : " ", o->cookie_modes[i]);
    fprintf(stderr, ": at most %.0f s in all\n", per * o->ncookie_modes + 1);
}

int bl_flood_main(const struct bl_opts *o)
{
    struct bl_netns ns;
    struct bl_flood_phase phases[BL_MAX_COOKIE_MODES];
    char err[512];
    struct bl_err why;
    int done = 0, status = 0;

    if (bl_netns_check(&ns, err, sizeof(err)) < 0) {
        fprintf(stderr, "backlog-lab: %s\n", err);
        return 3;
    }
    if ((status = bl_plot_precheck("syn-flood", o)) != 0)
        return status;
    announce(o);
    if (bl_netns_create_spoofed(&ns, BL_FLOOD_SPOOF_NET, err, sizeof(err)) < 0) {
        fprintf(stderr, "backlog-lab: setting up the namespaces: %s\n", err);
        return 1;
    }
    for (; done < o->ncookie_modes; done++) {
        if (bl_flood_phase(&ns, o->cookie_modes[done], done, o, &phases[done], &why) < 0) {
            fprintf(stderr, "backlog-lab: syn-flood, syncookies=%d: %s: %s\n",
                    o->cookie_modes[done], why.call, strerror(why.errnum));
            bl_flood_free(&phases[done]);
            status = 1;
            break;
        }
        if (phases[done].interrupted) {
            bl_flood_free(&phases[done]);
            status = 130;
            break;
        }
    }
    bl_netns_destroy(&ns);
    if (done > 0)
        bl_report_flood(stdout, phases, done, o);
    if (done > 0 && o->plot != NULL) {
        char why[320];
        int failed = bl_plot_flood(o->plot, phases, done, why, sizeof(why));
        status = bl_plot_said("syn-flood", o, failed, why, status);
    }
    if (status == 130)
        fprintf(stderr, "backlog-lab: interrupted; the namespaces are gone\n");
    for (int i = 0; i < done; i++)
        bl_flood_free(&phases[i]);
    return status;
}
