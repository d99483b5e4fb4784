/* bl_synq.c - the syn-queue experiment (see bl_synq.h).
 *
 * A phase: in the server namespace set tcp_syncookies, listen and open
 * the namespace's netlink and counter files; then, from the client
 * namespace, start one nonblocking connect every 1/rate seconds while
 * sampling the listener's SYN-RECV sockets every BL_SYNQ_SAMPLE_MS until
 * the watch time is over.  Each request socket is matched to its client
 * by port, so the time of each SYN-ACK retransmission and of the socket's
 * disappearance is measured from that client's own connect.
 */
#include "bl_synq.h"

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
#include "bl_plot.h"
#include "bl_plot_runs.h"
#include "bl_report.h"
#include "bl_text.h"
#include "clock.h"
#include "bl_netstat.h"
#include "bl_sockdiag.h"
#include "os.h"

#define NO_CLIENT (-1)
#define SYNCOOKIES_PATH "/proc/sys/net/ipv4/tcp_syncookies"
#define MAX_SYN_BACKLOG_PATH "/proc/sys/net/ipv4/tcp_max_syn_backlog"

struct synq_client {
    int fd;
    uint16_t port;
    uint64_t t_connect;            /* ns since the phase began */
    bool established;
    bool seen;                     /* a SYN-RECV socket was seen for it */
    bool present;                  /* ... in the current sample */
    bool gone;                     /* ... and later vanished */
    uint64_t t_gone;
    uint64_t t_base;               /* when its SYN-RECV socket was made */
    uint8_t rtx_seen;
    uint64_t t_rtx[BL_SYNQ_MAX_RTX + 1];
};

struct synq_lab {
    struct bl_synq_phase *ph;
    const struct bl_opts *o;
    struct bl_netns *ns;
    struct bl_err *err;            /* the call that failed */
    int lfd, nl, nfd, sfd, ep;
    int started;
    uint64_t t0;
    struct synq_client *cl;
    int32_t *by_port;
    struct bl_netstat_snap *before, *now;
};

static uint64_t since(const struct synq_lab *l)
{
    return clock_now_ns() - l->t0;
}

static void set_addr(struct sockaddr_in *a, const char *ip, uint16_t port)
{
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, ip, &a->sin_addr); /* a constant literal: cannot fail */
}

/* One /proc/sys value of the calling thread's namespace. */
static int read_sysctl(struct synq_lab *l, const char *path, long *out)
{
    int rc = os_read_sysctl(path, out, 1);

    return rc < 0 ? bl_err_set(l->err, -rc, "reading %s", path) : 0;
}

/* Sets tcp_syncookies (checking that it took) and, with
 * --max-syn-backlog, tcp_max_syn_backlog, then reads the sysctls the
 * report quotes; the thread is in the server namespace. */
static int server_sysctls(struct synq_lab *l, int syncookies)
{
    struct bl_synq_phase *ph = l->ph;
    long check;

    if (bl_env_write_sysctl(SYNCOOKIES_PATH, syncookies) < 0)
        return bl_err_set(l->err, errno, "writing " SYNCOOKIES_PATH);
    if (l->o->max_syn_backlog > 0 &&
        bl_env_write_sysctl(MAX_SYN_BACKLOG_PATH, (long)l->o->max_syn_backlog) < 0)
        return bl_err_set(l->err, errno, "writing " MAX_SYN_BACKLOG_PATH);
    if (read_sysctl(l, SYNCOOKIES_PATH, &check) < 0 ||
        read_sysctl(l, "/proc/sys/net/ipv4/tcp_synack_retries", &ph->synack_retries) < 0 ||
        read_sysctl(l, MAX_SYN_BACKLOG_PATH, &ph->max_syn_backlog) < 0 ||
        read_sysctl(l, "/proc/sys/net/core/somaxconn", &ph->somaxconn) < 0)
        return -1;
    if (check != syncookies)
        return bl_err_set(l->err, EIO, "writing " SYNCOOKIES_PATH " (it reads back %ld)",
                          check);
    return 0;
}

/* Everything on the server side, made inside the server namespace. */
static int server_open(struct synq_lab *l, int syncookies)
{
    struct bl_synq_phase *ph = l->ph;
    struct sockaddr_in a;

    if (bl_netns_enter(l->ns->srv) < 0)
        return bl_err_set(l->err, errno, "setns to the server namespace");
    if (server_sysctls(l, syncookies) < 0)
        return -1;
    set_addr(&a, BL_NETNS_SERVER_ADDR, ph->port);
    l->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->lfd < 0)
        return bl_err_set(l->err, errno, "socket");
    if (bind(l->lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return bl_err_set(l->err, errno, "bind " BL_NETNS_SERVER_ADDR ":%u", ph->port);
    if (listen(l->lfd, ph->backlog) < 0)
        return bl_err_set(l->err, errno, "listen");
    l->nl = bl_sockdiag_open();
    if (l->nl < 0)
        return bl_err_set(l->err, errno, "socket(NETLINK_SOCK_DIAG)");
    return bl_netstat_begin(&l->nfd, &l->sfd, l->before, l->err);
}

static int lab_alloc(struct synq_lab *l)
{
    struct bl_synq_phase *ph = l->ph;

    l->lfd = l->nl = l->nfd = l->sfd = l->ep = -1;
    l->cl = calloc((size_t)ph->nclients, sizeof(*l->cl));
    l->by_port = malloc(65536 * sizeof(*l->by_port));
    l->before = malloc(sizeof(*l->before));
    l->now = malloc(sizeof(*l->now));
    ph->samples = calloc(ph->watch_ns / (BL_SYNQ_SAMPLE_MS * CLOCK_NS_PER_MS) + 16,
                         sizeof(*ph->samples));
    if (l->cl == NULL || l->by_port == NULL || l->before == NULL || l->now == NULL ||
        ph->samples == NULL)
        return bl_err_set(l->err, ENOMEM, "malloc");
    for (int i = 0; i < 65536; i++)
        l->by_port[i] = NO_CLIENT;
    for (int i = 0; i < ph->nclients; i++)
        l->cl[i].fd = -1;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    return l->ep < 0 ? bl_err_set(l->err, errno, "epoll_create1") : 0;
}

static void lab_close(struct synq_lab *l)
{
    for (int i = 0; l->cl != NULL && i < l->ph->nclients; i++)
        os_close_slot(&l->cl[i].fd);
    os_close_slot(&l->lfd);
    os_close_slot(&l->nl);
    os_close_slot(&l->ep);
    bl_netstat_close(l->nfd, l->sfd);
    free(l->cl);
    free(l->by_port);
    free(l->before);
    free(l->now);
}

/* Starts the next client's connect (the thread is in the client ns). */
static int start_client(struct synq_lab *l)
{
    struct synq_client *c = &l->cl[l->started];
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)l->started };

    set_addr(&a, BL_NETNS_SERVER_ADDR, l->ph->port);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return bl_err_set(l->err, errno, "socket");
    c->t_connect = since(l);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
        return bl_err_set(l->err, errno, "connect " BL_NETNS_SERVER_ADDR ":%u", l->ph->port);
    if (getsockname(c->fd, (struct sockaddr *)&a, &len) < 0)
        return bl_err_set(l->err, errno, "getsockname");
    c->port = ntohs(a.sin_port);
    l->by_port[c->port] = l->started++;
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        return bl_err_set(l->err, errno, "epoll_ctl ADD");
    return 0;
}

static int on_client(struct synq_lab *l, int i)
{
    struct synq_client *c = &l->cl[i];
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return bl_err_set(l->err, errno, "getsockopt(SO_ERROR)");
    if (epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL) < 0)
        return bl_err_set(l->err, errno, "epoll_ctl DEL");
    c->established = err == 0;
    return 0;
}

struct sample_ctx {
    struct synq_lab *l;
    struct bl_synq_sample *s;
    uint64_t now;
};

static int sample_cb(const struct bl_sockdiag_entry *e, void *arg)
{
    struct sample_ctx *sc = arg;
    int i;

    if (e->state == TCP_LISTEN) {
        sc->l->ph->limit = e->wqueue;
        return 0;
    }
    sc->s->syn_recv++;
    if (e->retrans > sc->s->max_retrans)
        sc->s->max_retrans = e->retrans;
    i = sc->l->by_port[e->dport];
    if (i == NO_CLIENT)
        return 0;
    struct synq_client *c = &sc->l->cl[i];
    if (!c->seen) /* made by the first SYN, or by a retransmitted one later */
        c->t_base = sc->now - c->t_connect < 2 * BL_SYNQ_SAMPLE_MS * CLOCK_NS_PER_MS
                        ? c->t_connect : sc->now;
    c->seen = c->present = true;
    while (c->rtx_seen < e->retrans && c->rtx_seen < BL_SYNQ_MAX_RTX) {
        c->rtx_seen++;
        c->t_rtx[c->rtx_seen] = sc->now - c->t_base;
    }
    return 0;
}

static int take_sample(struct synq_lab *l)
{
    struct bl_synq_phase *ph = l->ph;
    struct bl_synq_sample *s = &ph->samples[ph->nsamples];
    struct sample_ctx sc = { l, s, since(l) };

    memset(s, 0, sizeof(*s));
    s->t_ms = (uint32_t)(sc.now / CLOCK_NS_PER_MS);
    s->started = (uint32_t)l->started;
    for (int i = 0; i < l->started; i++) {
        l->cl[i].present = false;
        s->established += l->cl[i].established;
    }
    if (bl_sockdiag_dump(l->nl, ph->port, (1u << TCP_LISTEN) | (1u << TCP_SYN_RECV),
                         sample_cb, &sc) < 0)
        return bl_err_set(l->err, errno, "inet_diag dump");
    for (int i = 0; i < l->started; i++) {
        struct synq_client *c = &l->cl[i];
        if (c->seen && !c->present && !c->gone) {
            c->gone = true;
            c->t_gone = sc.now - c->t_base;
        }
    }
    if (!ph->stopped_seen && s->started == (uint32_t)ph->nclients) {
        ph->stopped_seen = true;
        ph->syn_recv_stop = s->syn_recv;
    }
    if (s->syn_recv > ph->syn_recv_peak) {
        ph->syn_recv_peak = s->syn_recv;
        ph->peak_at_ms = s->t_ms;
    }
    ph->syn_recv_end = s->syn_recv;
    ph->nsamples++;
    return 0;
}

static void show_progress(const struct synq_lab *l)
{
    const struct bl_synq_phase *ph = l->ph;
    const struct bl_synq_sample *s = &ph->samples[ph->nsamples - 1];

    bl_env_progress("  syncookies=%d: %u of %d clients started, %u connected, %u SYN-RECV "
                    "(%.1f of %.1f s)", ph->syncookies, s->started, ph->nclients,
                    s->established, s->syn_recv, (double)s->t_ms / 1000,
                    (double)ph->watch_ns / 1e9);
}

/* The phase's main loop, in the client namespace. */
static int watch(struct synq_lab *l)
{
    struct bl_synq_phase *ph = l->ph;
    uint64_t gap = CLOCK_NS_PER_SEC / l->o->syn_rate;
    uint64_t step = BL_SYNQ_SAMPLE_MS * CLOCK_NS_PER_MS, next_sample = 0;
    struct epoll_event evs[64];

    while (since(l) < ph->watch_ns) {
        if (bl_env_interrupted) {
            ph->interrupted = true;
            return 0;
        }
        while (l->started < ph->nclients && since(l) >= (uint64_t)l->started * gap)
            if (start_client(l) < 0)
                return -1;
        if (since(l) >= next_sample) {
            if (take_sample(l) < 0)
                return -1;
            show_progress(l);
            next_sample += step;
        }
        int n = epoll_wait(l->ep, evs, 64, 5);
        if (n < 0 && errno != EINTR)
            return bl_err_set(l->err, errno, "epoll_wait");
        for (int k = 0; k < n; k++)
            if (on_client(l, (int)evs[k].data.u32) < 0)
                return -1;
    }
    return take_sample(l);
}

/* Retransmission and expiry times, client states, counters. */
static int summarize(struct synq_lab *l)
{
    struct bl_synq_phase *ph = l->ph;
    double *v = malloc((size_t)(ph->nclients + 1) * sizeof(*v));

    if (v == NULL)
        return bl_err_set(l->err, ENOMEM, "malloc");
    for (int k = 1; k <= BL_SYNQ_MAX_RTX; k++) {
        int m = 0;
        for (int i = 0; i < l->started; i++)
            if (l->cl[i].rtx_seen >= k)
                v[m++] = (double)l->cl[i].t_rtx[k] / 1e6;
        ph->rtx_count[k] = m;
        ph->rtx_median_ms[k] = bl_text_median(v, m);
    }
    for (int k = 0; k <= BL_SYNQ_MAX_RTX; k++) {
        int m = 0;
        for (int i = 0; i < l->started; i++)
            if (l->cl[i].gone && l->cl[i].rtx_seen == k)
                v[m++] = (double)l->cl[i].t_gone / 1e6;
        ph->expired_count[k] = m;
        ph->expired_median_ms[k] = bl_text_median(v, m);
        ph->expired += (uint32_t)m;
    }
    for (int i = 0; i < l->started; i++)
        ph->late_admitted += l->cl[i].seen && l->cl[i].t_base != l->cl[i].t_connect;
    free(v);
    for (int i = 0; i < l->started; i++) {
        uint8_t state;
        uint32_t retrans;
        if (bl_sockdiag_tcp_state(l->cl[i].fd, &state, &retrans) < 0)
            return bl_err_set(l->err, errno, "getsockopt(TCP_INFO)");
        ph->cl_established += state == TCP_ESTABLISHED;
        ph->cl_syn_sent += state == TCP_SYN_SENT;
        if (state == TCP_SYN_SENT && retrans > ph->cl_syn_retrans)
            ph->cl_syn_retrans = retrans;
    }
    if (bl_netstat_read(l->nfd, l->sfd, l->now) < 0)
        return bl_err_set(l->err, errno, "reading " BL_NETSTAT_FILES);
    bl_netstat_listen_deltas(l->before, l->now, ph->delta);
    return 0;
}

/* The phase proper; the caller cleans up and returns to the original
 * namespace, whatever happened. */
static int run_phase(struct synq_lab *l, int syncookies)
{
    if (lab_alloc(l) < 0 || server_open(l, syncookies) < 0)
        return -1;
    if (bl_netns_enter(l->ns->cli) < 0)
        return bl_err_set(l->err, errno, "setns to the client namespace");
    l->t0 = clock_now_ns();
    if (watch(l) < 0)
        return -1;
    return l->ph->interrupted ? 0 : summarize(l);
}

int bl_synq_phase(struct bl_netns *ns, int syncookies, int index,
                  const struct bl_opts *o, struct bl_synq_phase *ph, struct bl_err *err)
{
    struct synq_lab l = { .ph = ph, .o = o, .ns = ns, .err = err };
    int rc;

    memset(ph, 0, sizeof(*ph));
    memset(err, 0, sizeof(*err));
    ph->syncookies = syncookies;
    ph->backlog = (int)o->syn_backlog;
    ph->nclients = (int)o->syn_clients;
    ph->port = (uint16_t)(BL_SYNQ_PORT_BASE + index);
    ph->watch_ns = o->watch_ns;
    rc = run_phase(&l, syncookies);
    bl_env_progress_end();
    lab_close(&l);
    if (bl_netns_enter(ns->orig) < 0)
        rc = bl_err_set(err, errno, "setns back to the original namespace");
    return rc;
}

void bl_synq_free(struct bl_synq_phase *ph)
{
    free(ph->samples);
    ph->samples = NULL;
}

static void announce(const struct bl_opts *o)
{
    double per = (double)o->watch_ns / 1e9;

    if (o->quiet)
        return;
    fprintf(stderr, "backlog-lab syn-queue: backlog %llu, %llu clients at %llu/s, "
            "syncookies mode%s", (unsigned long long)o->syn_backlog,
            (unsigned long long)o->syn_clients, (unsigned long long)o->syn_rate,
            o->ncookie_modes == 1 ? "" : "s");
    for (int i = 0; i < o->ncookie_modes; i++)
        fprintf(stderr, "%s%d", i ? "," : " ", o->cookie_modes[i]);
    fprintf(stderr, ", %.1f s each: about %.0f s in all\n", per,
            per * o->ncookie_modes + 1);
}

int bl_synq_main(const struct bl_opts *o)
{
    struct bl_netns ns;
    struct bl_synq_phase phases[BL_MAX_COOKIE_MODES];
    char err[512];
    struct bl_err why;
    int done = 0, status = 0;

    if (bl_netns_check(&ns, err, sizeof(err)) < 0) {
        fprintf(stderr, "backlog-lab: %s\n", err);
        return 3;
    }
    if ((status = bl_plot_precheck("syn-queue", o)) != 0)
        return status;
    announce(o);
    if (bl_netns_create(&ns, BL_SYNQ_PORT_BASE,
                        BL_SYNQ_PORT_BASE + BL_MAX_COOKIE_MODES - 1, err, sizeof(err)) < 0) {
        fprintf(stderr, "backlog-lab: setting up the namespaces: %s\n", err);
        return 1;
    }
    for (; done < o->ncookie_modes; done++) {
        if (bl_synq_phase(&ns, o->cookie_modes[done], done, o, &phases[done], &why) < 0) {
            fprintf(stderr, "backlog-lab: syn-queue, syncookies=%d: %s: %s\n",
                    o->cookie_modes[done], why.call, strerror(why.errnum));
            bl_synq_free(&phases[done]);
            status = 1;
            break;
        }
        if (phases[done].interrupted) {
            bl_synq_free(&phases[done]);
            status = 130;
            break;
        }
    }
    bl_netns_destroy(&ns);
    if (done > 0)
        bl_report_synq(stdout, phases, done, o);
    if (done > 0 && o->plot != NULL) {
        char why[320];
        int failed = bl_plot_synq(o->plot, phases, done, why, sizeof(why));
        status = bl_plot_said("syn-queue", o, failed, why, status);
    }
    if (status == 130)
        fprintf(stderr, "backlog-lab: interrupted; the namespaces are gone\n");
    for (int i = 0; i < done; i++)
        bl_synq_free(&phases[i]);
    return status;
}
