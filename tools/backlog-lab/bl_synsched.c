/* bl_synsched.c - the syn-schedule experiment (see bl_synsched.h).
 *
 * One thread: the listener is made full with one connection that is never
 * accepted, then the probing client connects and its TCP_INFO is read
 * every BL_SYNSCHED_POLL_US until poll() says the connect ended.
 */
#include "bl_synsched.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
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

#define SYN_RETRIES_PATH "/proc/sys/net/ipv4/tcp_syn_retries"
#define LINEAR_PATH "/proc/sys/net/ipv4/tcp_syn_linear_timeouts"

struct sched_lab {
    struct bl_synsched_run *run;
    struct bl_err *err;
    int lfd, filler, probe, nfd, sfd;
    struct bl_netstat_snap *before, *now;
};

static int sysctls(struct sched_lab *l, const struct bl_opts *o)
{
    struct bl_synsched_run *r = l->run;
    int rc;

    if (o->syn_retries > 0 && bl_env_write_sysctl(SYN_RETRIES_PATH, (long)o->syn_retries) < 0)
        return bl_err_set(l->err, errno, "writing " SYN_RETRIES_PATH);
    if ((rc = os_read_sysctl(SYN_RETRIES_PATH, &r->syn_retries, 1)) < 0)
        return bl_err_set(l->err, -rc, "reading " SYN_RETRIES_PATH);
    rc = os_read_sysctl(LINEAR_PATH, &r->linear_timeouts, 1);
    if (rc == -ENOENT)
        r->linear_timeouts = -1; /* a kernel older than the sysctl */
    else if (rc < 0)
        return bl_err_set(l->err, -rc, "reading " LINEAR_PATH);
    return 0;
}

/* The listener with backlog 0 and the one connection that fills it. */
static int fill_listener(struct sched_lab *l, struct sockaddr_in *a)
{
    socklen_t len = sizeof(*a);

    l->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->lfd < 0)
        return bl_err_set(l->err, errno, "socket");
    if (bind(l->lfd, (struct sockaddr *)a, sizeof(*a)) < 0)
        return bl_err_set(l->err, errno, "bind 127.0.0.1:0");
    if (listen(l->lfd, 0) < 0)
        return bl_err_set(l->err, errno, "listen");
    if (getsockname(l->lfd, (struct sockaddr *)a, &len) < 0)
        return bl_err_set(l->err, errno, "getsockname");
    l->filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->filler < 0)
        return bl_err_set(l->err, errno, "socket");
    if (connect(l->filler, (struct sockaddr *)a, sizeof(*a)) < 0)
        return bl_err_set(l->err, errno, "connect (the connection that fills the queue)");
    return 0;
}

/* Polls the probe until its connect ends or an interrupt. */
static int watch_probe(struct sched_lab *l, uint64_t t0)
{
    struct bl_synsched_run *r = l->run;
    uint32_t seen = 0;

    for (;;) {
        struct pollfd p = { .fd = l->probe, .events = POLLOUT };
        int n = poll(&p, 1, BL_SYNSCHED_POLL_US / 1000);
        uint64_t now = clock_now_ns() - t0;
        uint8_t state;
        uint32_t total;
        if (n < 0 && errno != EINTR)
            return bl_err_set(l->err, errno, "poll");
        if (bl_env_interrupted) {
            r->interrupted = true;
            return 0;
        }
        if (bl_sockdiag_tcp_state(l->probe, &state, &total) < 0)
            return bl_err_set(l->err, errno, "getsockopt(TCP_INFO)");
        for (; seen < total && r->nrtx < BL_SYNSCHED_MAX_RTX; seen++)
            r->t_rtx[r->nrtx++] = now;
        if (n > 0) {
            socklen_t len = sizeof(r->err);
            if (getsockopt(l->probe, SOL_SOCKET, SO_ERROR, &r->err, &len) < 0)
                return bl_err_set(l->err, errno, "getsockopt(SO_ERROR)");
            r->connected = r->err == 0;
            r->t_end = now;
            return 0;
        }
    }
}

static int probe(struct sched_lab *l, const struct sockaddr_in *a)
{
    l->probe = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->probe < 0)
        return bl_err_set(l->err, errno, "socket");
    uint64_t t0 = clock_now_ns();
    if (connect(l->probe, (const struct sockaddr *)a, sizeof(*a)) < 0 && errno != EINPROGRESS)
        return bl_err_set(l->err, errno, "connect");
    return watch_probe(l, t0);
}

int bl_synsched_run(const struct bl_opts *o, struct bl_synsched_run *run, struct bl_err *err)
{
    struct sched_lab l = { .run = run, .err = err, .lfd = -1, .filler = -1, .probe = -1,
                           .nfd = -1, .sfd = -1 };
    struct sockaddr_in a = { .sin_family = AF_INET };
    int rc = -1;

    memset(run, 0, sizeof(*run));
    memset(err, 0, sizeof(*err));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l.before = malloc(sizeof(*l.before));
    l.now = malloc(sizeof(*l.now));
    if (l.before == NULL || l.now == NULL) {
        bl_err_set(err, ENOMEM, "malloc");
        goto out;
    }
    if (sysctls(&l, o) < 0 || fill_listener(&l, &a) < 0 ||
        bl_netstat_begin(&l.nfd, &l.sfd, l.before, err) < 0 || probe(&l, &a) < 0)
        goto out;
    if (bl_netstat_read(l.nfd, l.sfd, l.now) < 0) {
        bl_err_set(err, errno, "reading " BL_NETSTAT_FILES);
        goto out;
    }
    bl_netstat_listen_deltas(l.before, l.now, run->delta);
    rc = 0;
out:
    os_close_slot(&l.probe);
    os_close_slot(&l.filler);
    os_close_slot(&l.lfd);
    bl_netstat_close(l.nfd, l.sfd);
    free(l.before);
    free(l.now);
    return rc;
}

int bl_synsched_main(const struct bl_opts *o)
{
    struct bl_synsched_run run;
    struct bl_err why;
    char err[256];

    if (bl_netns_private_loopback(err, sizeof(err)) < 0) {
        fprintf(stderr, "backlog-lab: syn-schedule: %s%s\n", err,
                errno == EPERM ? " (needs root: it sets tcp_syn_retries in a namespace "
                                 "of its own)" : "");
        return errno == EPERM ? 3 : 1;
    }
    if (!o->quiet)
        fprintf(stderr, "backlog-lab syn-schedule: one connect to a listener whose queue "
                "never drains, watched until it gives up%s\n",
                o->syn_retries > 0 ? "" : " (the kernel's defaults can take minutes; "
                                          "--syn-retries N shortens it)");
    if (bl_synsched_run(o, &run, &why) < 0) {
        fprintf(stderr, "backlog-lab: syn-schedule: %s: %s\n", why.call,
                strerror(why.errnum));
        return 1;
    }
    run.private_ns = true;
    if (run.interrupted) {
        fprintf(stderr, "backlog-lab: interrupted; the namespace is gone\n");
        return 130;
    }
    bl_report_synsched(stdout, &run, o);
    return 0;
}
