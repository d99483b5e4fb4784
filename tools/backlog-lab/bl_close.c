/* bl_close.c - the close experiment (see bl_close.h).
 *
 * One thread.  Sockets are created inside their namespace (setns there
 * and back) and keep it; inet_diag is read through one netlink socket per
 * namespace.  Every step goes through observe(), which appends what both
 * ends show to the sequence.
 */
#include "bl_close.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bl_env.h"
#include "bl_netns.h"
#include "bl_report.h"
#include "bl_sockdiag.h"
#include "clock.h"
#include "os.h"

#define FIN_TIMEOUT_PATH "/proc/sys/net/ipv4/tcp_fin_timeout"
#define SETTLE_NS (50 * 1000 * 1000ull)   /* lets a packet and its answer land */
#define POLL_NS (5 * 1000 * 1000ull)
#define WATCH_POLL_NS (100 * 1000 * 1000ull)

static const char table[] =
    "table inet bl_close {\n"
    "  chain in {\n"
    "    type filter hook input priority 0; policy accept;\n"
    "  }\n"
    "}\n";

/* The drop rules a step can hold, each in the input chain of the
 * namespace the packet arrives in, so that the sender sees it leave as
 * a packet lost on the way would. */
enum hold {
    HOLD_NONE,
    HOLD_CLIENT_FIN,            /* client -> server, FIN set */
    HOLD_CLIENT_ACK,            /* client -> server, ACK alone */
    HOLD_SERVER_FIN,            /* server -> client, FIN set */
};

#define FLUSH "flush chain inet bl_close in\n"

struct close_lab {
    struct bl_netns *ns;
    struct bl_err *err;
    int nl_cli, nl_srv;         /* inet_diag in each namespace */
    int lfd, cfd, sfd;          /* listener, client end, server end */
    uint16_t port, cport;
    uint64_t t0;
    struct bl_close_seq *seq;
};

const char *bl_close_state_name(uint8_t state)
{
    return state == 0 ? "-" : bl_sockdiag_state_name(state);
}

const char *bl_close_timer_name(uint8_t timer)
{
    static const char *const names[] = { "-", "retransmit", "keepalive", "time-wait",
                                         "persist" };
    return timer < sizeof(names) / sizeof(names[0]) ? names[timer] : "?";
}

/* A TCP socket, or with diag an inet_diag one, created inside ns_fd. */
static int socket_in(struct close_lab *l, int ns_fd, bool diag)
{
    if (bl_netns_enter(ns_fd) < 0)
        return bl_err_set(l->err, errno, "setns");
    int fd = diag ? bl_sockdiag_open() : socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int saved = errno;
    if (bl_netns_enter(l->ns->orig) < 0) {
        /* stuck in another namespace: nothing below could be trusted */
        perror("backlog-lab: setns back to the original namespace");
        abort();
    }
    if (fd < 0)
        return bl_err_set(l->err, saved, diag ? "socket(NETLINK_SOCK_DIAG)" : "socket");
    return fd;
}

static int nft(struct close_lab *l, int ns_fd, const char *text)
{
    char *argv[] = { l->ns->nft, "-f", "-", NULL };
    char msg[256];

    if (bl_netns_run(ns_fd, argv, text, msg, sizeof(msg)) < 0)
        return bl_err_set(l->err, EIO, "%s", msg);
    return 0;
}

/* Replaces the rule of the namespace that hold concerns (HOLD_NONE: both
 * chains flushed). */
static int hold(struct close_lab *l, enum hold h)
{
    char text[256];

    switch (h) {
    case HOLD_NONE:
        return nft(l, l->ns->cli, FLUSH) < 0 ? -1 : nft(l, l->ns->srv, FLUSH);
    case HOLD_CLIENT_FIN:
    case HOLD_CLIENT_ACK:
        snprintf(text, sizeof(text), FLUSH "add rule inet bl_close in ip saddr "
                 BL_NETNS_CLIENT_ADDR " tcp dport %u tcp flags & %s drop\n", l->port,
                 h == HOLD_CLIENT_FIN ? "fin == fin" : "(fin | syn | rst | ack) == ack");
        return nft(l, l->ns->srv, text);
    case HOLD_SERVER_FIN:
        snprintf(text, sizeof(text), FLUSH "add rule inet bl_close in ip saddr "
                 BL_NETNS_SERVER_ADDR " tcp sport %u tcp flags & fin == fin drop\n",
                 l->port);
        return nft(l, l->ns->cli, text);
    }
    return 0;
}

struct end_view {
    uint16_t peer;
    struct bl_close_end *end;
};

static int end_cb(const struct bl_sockdiag_entry *e, void *arg)
{
    struct end_view *v = arg;

    if (e->state == TCP_LISTEN || e->dport != v->peer)
        return 0;
    v->end->state = e->state;
    v->end->timer = e->timer;
    v->end->expires_ms = e->expires_ms;
    return 0;
}

static int read_ends(struct close_lab *l, struct bl_close_end *c, struct bl_close_end *s)
{
    struct end_view cv = { l->port, c }, sv = { l->cport, s };

    memset(c, 0, sizeof(*c));
    memset(s, 0, sizeof(*s));
    if (bl_sockdiag_dump(l->nl_cli, l->cport, BL_SOCKDIAG_ALL_STATES, end_cb, &cv) < 0 ||
        bl_sockdiag_dump(l->nl_srv, l->port, BL_SOCKDIAG_ALL_STATES, end_cb, &sv) < 0)
        return bl_err_set(l->err, errno, "inet_diag dump");
    return 0;
}

static int observe(struct close_lab *l, const char *action)
{
    struct bl_close_step *st = &l->seq->step[l->seq->n];

    if (l->seq->n == BL_CLOSE_MAX_STEPS)
        return bl_err_set(l->err, ENOSPC, "recording step '%s'", action);
    st->action = action;
    if (read_ends(l, &st->client, &st->server) < 0)
        return -1;
    st->t_ns = clock_now_ns() - l->t0;
    l->seq->n++;
    return 0;
}

/* Lets SETTLE_NS pass, then records both ends. */
static int settle_observe(struct close_lab *l, const char *action)
{
    bl_env_sleep_ns(SETTLE_NS);
    return observe(l, action);
}

/* Polls until either end's state differs from the last step's (a
 * retransmission got through), at most BL_CLOSE_WAIT_S, then records the
 * ends once they settled. */
static int wait_change(struct close_lab *l, const char *action)
{
    const struct bl_close_step *last = &l->seq->step[l->seq->n - 1];
    uint64_t until = clock_now_ns() + BL_CLOSE_WAIT_S * CLOCK_NS_PER_SEC;
    struct bl_close_end c, s;

    while (!bl_env_interrupted && clock_now_ns() < until) {
        if (read_ends(l, &c, &s) < 0)
            return -1;
        if (c.state != last->client.state || s.state != last->server.state)
            break;
        bl_env_sleep_ns(POLL_NS);
    }
    return settle_observe(l, action);
}

/* A fresh connection on port: listener in the server namespace, client in
 * the client's, accepted, listener closed. */
static int connect_pair(struct close_lab *l, uint16_t port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    socklen_t len = sizeof(a);

    l->port = port;
    inet_pton(AF_INET, BL_NETNS_SERVER_ADDR, &a.sin_addr);
    if ((l->lfd = socket_in(l, l->ns->srv, false)) < 0)
        return -1;
    if (bind(l->lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return bl_err_set(l->err, errno, "bind " BL_NETNS_SERVER_ADDR ":%u", port);
    if (listen(l->lfd, 1) < 0)
        return bl_err_set(l->err, errno, "listen");
    if ((l->cfd = socket_in(l, l->ns->cli, false)) < 0)
        return -1;
    if (connect(l->cfd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return bl_err_set(l->err, errno, "connect " BL_NETNS_SERVER_ADDR ":%u", port);
    if ((l->sfd = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
        return bl_err_set(l->err, errno, "accept4");
    os_close_slot(&l->lfd);
    if (getsockname(l->cfd, (struct sockaddr *)&a, &len) < 0)
        return bl_err_set(l->err, errno, "getsockname");
    l->cport = ntohs(a.sin_port);
    l->t0 = clock_now_ns();
    return observe(l, "connected");
}

/* Closing an end that sent and received no data loses nothing. */
static void close_end(int *fd)
{
    os_close_slot(fd);
}

static int four_way(struct close_lab *l)
{
    if (connect_pair(l, BL_CLOSE_PORT) < 0 || hold(l, HOLD_CLIENT_FIN) < 0)
        return -1;
    close_end(&l->cfd);
    if (settle_observe(l, "client close(), its FIN dropped") < 0 || hold(l, HOLD_NONE) < 0 ||
        wait_change(l, "the client's FIN let through") < 0)
        return -1;
    bl_env_sleep_ns(BL_CLOSE_HOLD_MS * 1000000ull);
    if (observe(l, "later, the server not closed yet") < 0 || hold(l, HOLD_CLIENT_ACK) < 0)
        return -1;
    close_end(&l->sfd);
    if (settle_observe(l, "server close(), the client's ACK dropped") < 0 ||
        hold(l, HOLD_NONE) < 0)
        return -1;
    return wait_change(l, "the client's ACK let through");
}

static int simultaneous(struct close_lab *l)
{
    if (connect_pair(l, BL_CLOSE_PORT + 1) < 0 || hold(l, HOLD_CLIENT_FIN) < 0 ||
        hold(l, HOLD_SERVER_FIN) < 0)
        return -1;
    close_end(&l->cfd);
    close_end(&l->sfd);
    if (settle_observe(l, "both close(), both FINs dropped") < 0 ||
        hold(l, HOLD_CLIENT_ACK) < 0 ||
        wait_change(l, "the client's FIN let through, its ACKs dropped") < 0)
        return -1;
    if (nft(l, l->ns->cli, FLUSH) < 0 ||
        wait_change(l, "the server's FIN let through too") < 0 || hold(l, HOLD_NONE) < 0)
        return -1;
    return wait_change(l, "the client's ACKs let through");
}

/* --long: the four-way client end, until it is gone. */
static int watch_time_wait(struct close_lab *l, struct bl_close_result *r, uint16_t cport,
                           uint64_t t0)
{
    l->port = BL_CLOSE_PORT;
    l->cport = cport;
    for (;;) {
        struct bl_close_end c, s;
        if (read_ends(l, &c, &s) < 0)
            return -1;
        uint64_t at = clock_now_ns() - t0;
        if (c.state != TCP_TIME_WAIT || bl_env_interrupted ||
            at > BL_CLOSE_WATCH_S * CLOCK_NS_PER_SEC) {
            r->watched = !bl_env_interrupted;
            r->gone = c.state == 0;
            r->gone_ns = at;
            return 0;
        }
        bl_env_progress("close: the client's TIME-WAIT end, %.0f s on", at / 1e9);
        bl_env_sleep_ns(WATCH_POLL_NS);
    }
}

static int setup(struct close_lab *l, struct bl_close_result *r)
{
    int rc;

    if (nft(l, l->ns->cli, table) < 0 || nft(l, l->ns->srv, table) < 0)
        return -1;
    if ((l->nl_cli = socket_in(l, l->ns->cli, true)) < 0 ||
        (l->nl_srv = socket_in(l, l->ns->srv, true)) < 0)
        return -1;
    if (bl_netns_enter(l->ns->cli) < 0)
        return bl_err_set(l->err, errno, "setns");
    rc = os_read_sysctl(FIN_TIMEOUT_PATH, &r->fin_timeout_s, 1);
    if (bl_netns_enter(l->ns->orig) < 0) {
        perror("backlog-lab: setns back to the original namespace");
        abort();
    }
    return rc < 0 ? bl_err_set(l->err, -rc, "reading " FIN_TIMEOUT_PATH) : 0;
}

static int run(struct close_lab *l, const struct bl_opts *o, struct bl_close_result *r)
{
    uint16_t cport;
    uint64_t t0;

    if (setup(l, r) < 0)
        return -1;
    r->seq[0].kind = BL_CLOSE_FOUR_WAY;
    r->seq[1].kind = BL_CLOSE_SIMULTANEOUS;
    l->seq = &r->seq[0];
    bl_env_progress_now("close: the four-way close");
    if (four_way(l) < 0)
        return -1;
    cport = l->cport;
    t0 = l->t0;
    l->seq = &r->seq[1];
    bl_env_progress_now("close: the simultaneous close");
    if (!bl_env_interrupted && simultaneous(l) < 0)
        return -1;
    if (o->long_form && !bl_env_interrupted && watch_time_wait(l, r, cport, t0) < 0)
        return -1;
    r->interrupted = bl_env_interrupted;
    return 0;
}

int bl_close_main(const struct bl_opts *o)
{
    static struct bl_close_result r;
    struct bl_netns ns;
    struct bl_err why = { "", 0 };
    struct close_lab l = { .ns = &ns, .err = &why, .nl_cli = -1, .nl_srv = -1, .lfd = -1,
                           .cfd = -1, .sfd = -1 };
    char err[512];

    if (bl_netns_check(&ns, err, sizeof(err)) < 0) {
        fprintf(stderr, "backlog-lab: close: %s\n", err);
        return 3;
    }
    if (!o->quiet)
        fprintf(stderr, "backlog-lab close: two connections between two namespaces, each "
                "state held with nft: a few seconds%s\n",
                o->long_form ? ", then the TIME-WAIT end watched until it goes (about a "
                               "minute)" : "");
    if (bl_netns_create_pair(&ns, err, sizeof(err)) < 0) {
        fprintf(stderr, "backlog-lab: setting up the namespaces: %s\n", err);
        return 1;
    }
    int rc = run(&l, o, &r);
    bl_env_progress_end();
    os_close_slot(&l.cfd);
    os_close_slot(&l.sfd);
    os_close_slot(&l.lfd);
    os_close_slot(&l.nl_cli);
    os_close_slot(&l.nl_srv);
    bl_netns_destroy(&ns);
    if (rc < 0) {
        fprintf(stderr, "backlog-lab: close: %s: %s\n", why.call, strerror(why.errnum));
        return 1;
    }
    if (r.interrupted) {
        fprintf(stderr, "backlog-lab: interrupted; the namespaces are gone\n");
        return 130;
    }
    bl_report_close(stdout, &r, o);
    return 0;
}
