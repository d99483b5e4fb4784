/* bl_reuseport.c - the reuseport experiment (see bl_reuseport.h). */
#include "bl_reuseport.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bl_env.h"
#include "bl_netns.h"
#include "bl_report.h"
#include "bl_sockdiag.h"
#include "os.h"

#define MIGRATE_PATH "/proc/sys/net/ipv4/tcp_migrate_req"
#define SETTLE_NS (100 * 1000 * 1000ull)

struct rp_lab {
    struct bl_err *err;
    int lfd[BL_REUSEPORT_LISTENERS];
    int *cfd;                  /* clients */
    int *afd;                  /* accepted sockets */
    int nclients;
};

static int listeners(struct rp_lab *l, struct sockaddr_in *a)
{
    int one = 1;
    socklen_t len = sizeof(*a);

    for (int i = 0; i < BL_REUSEPORT_LISTENERS; i++) {
        l->lfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (l->lfd[i] < 0)
            return bl_err_set(l->err, errno, "socket");
        if (setsockopt(l->lfd[i], SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
            return bl_err_set(l->err, errno, "setsockopt(SO_REUSEPORT)");
        if (bind(l->lfd[i], (struct sockaddr *)a, sizeof(*a)) < 0)
            return bl_err_set(l->err, errno, "bind 127.0.0.1");
        if (listen(l->lfd[i], BL_REUSEPORT_BACKLOG) < 0)
            return bl_err_set(l->err, errno, "listen");
        if (i == 0 && getsockname(l->lfd[0], (struct sockaddr *)a, &len) < 0)
            return bl_err_set(l->err, errno, "getsockname");
    }
    return 0;
}

static int connect_all(struct rp_lab *l, const struct sockaddr_in *a)
{
    for (int i = 0; i < l->nclients; i++) {
        l->cfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (l->cfd[i] < 0)
            return bl_err_set(l->err, errno, "socket");
        if (connect(l->cfd[i], (const struct sockaddr *)a, sizeof(*a)) < 0)
            return bl_err_set(l->err, errno, "connect 127.0.0.1:%u", ntohs(a->sin_port));
    }
    return 0;
}

/* What each client sees once the survivors accepted: a reset, or not. */
static int client_fates(struct rp_lab *l, struct bl_reuseport_phase *ph)
{
    for (int i = 0; i < l->nclients; i++) {
        char c;
        ssize_t n = recv(l->cfd[i], &c, 1, MSG_DONTWAIT);
        if (n < 0 && errno == ECONNRESET)
            ph->reset++;
        else if (!(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
            ph->other++;
    }
    return 0;
}

static int run(struct rp_lab *l, int migrate, struct bl_reuseport_phase *ph)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    uint32_t len, limit;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bl_env_write_sysctl(MIGRATE_PATH, migrate) < 0)
        return bl_err_set(l->err, errno, "writing " MIGRATE_PATH);
    if (listeners(l, &a) < 0 || connect_all(l, &a) < 0)
        return -1;
    bl_env_sleep_ns(SETTLE_NS); /* the final ACKs are processed */
    for (int i = 0; i < BL_REUSEPORT_LISTENERS; i++) {
        if (bl_sockdiag_listener_info(l->lfd[i], &ph->before[i], &ph->limit) < 0)
            return bl_err_set(l->err, errno, "getsockopt(TCP_INFO) on a listener");
    }
    os_close_slot(&l->lfd[0]);
    bl_env_sleep_ns(SETTLE_NS);
    for (int i = 1; i < BL_REUSEPORT_LISTENERS; i++) {
        if (bl_sockdiag_listener_info(l->lfd[i], &len, &limit) < 0)
            return bl_err_set(l->err, errno, "getsockopt(TCP_INFO) on a listener");
        ph->after += len;
        for (;;) {
            int fd = accept4(l->lfd[i], NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            if (fd < 0)
                return bl_err_set(l->err, errno, "accept4");
            l->afd[ph->accepted++] = fd;
        }
    }
    bl_env_sleep_ns(SETTLE_NS);
    return client_fates(l, ph);
}

int bl_reuseport_phase(int migrate, int nclients, struct bl_reuseport_phase *ph,
                       struct bl_err *err)
{
    struct rp_lab l = { .err = err, .nclients = nclients };
    int rc = -1;

    memset(ph, 0, sizeof(*ph));
    memset(err, 0, sizeof(*err));
    ph->migrate = migrate;
    ph->nclients = nclients;
    for (int i = 0; i < BL_REUSEPORT_LISTENERS; i++)
        l.lfd[i] = -1;
    l.cfd = malloc((size_t)nclients * sizeof(int));
    l.afd = malloc((size_t)nclients * sizeof(int));
    if (l.cfd == NULL || l.afd == NULL) {
        bl_err_set(err, ENOMEM, "malloc");
    } else {
        for (int i = 0; i < nclients; i++)
            l.cfd[i] = -1;
        rc = run(&l, migrate, ph);
    }
    for (int i = 0; l.cfd != NULL && i < nclients; i++)
        os_close_slot(&l.cfd[i]);
    for (int i = 0; l.afd != NULL && i < ph->accepted; i++)
        os_close_slot(&l.afd[i]);
    for (int i = 0; i < BL_REUSEPORT_LISTENERS; i++)
        os_close_slot(&l.lfd[i]);
    free(l.cfd);
    free(l.afd);
    return rc;
}

int bl_reuseport_main(const struct bl_opts *o)
{
    struct bl_reuseport_phase ph[BL_MAX_MIGRATE_MODES];
    struct bl_err why;
    char err[256];

    if (bl_netns_private_loopback(err, sizeof(err)) < 0) {
        fprintf(stderr, "backlog-lab: reuseport: %s%s\n", err,
                errno == EPERM ? " (needs root: it sets tcp_migrate_req in a namespace "
                                 "of its own)" : "");
        return errno == EPERM ? 3 : 1;
    }
    for (int i = 0; i < o->nmigrate; i++) {
        if (bl_reuseport_phase(o->migrate[i], (int)o->rp_clients, &ph[i], &why) < 0) {
            fprintf(stderr, "backlog-lab: reuseport, tcp_migrate_req=%d: %s: %s\n",
                    o->migrate[i], why.call, strerror(why.errnum));
            return 1;
        }
        if (bl_env_interrupted) {
            fprintf(stderr, "backlog-lab: interrupted; the namespace is gone\n");
            return 130;
        }
    }
    bl_report_reuseport(stdout, ph, o->nmigrate, o);
    return 0;
}
