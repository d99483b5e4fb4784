/* bl_lifecycle.c - one loopback connection, step by step (see
 * bl_lifecycle.h).
 *
 * After each step the lab dumps, with inet_diag, every TCP socket whose
 * local port is the client's port (the client end, TIME-WAIT included) and
 * every one whose local port is the server's (the listener and the
 * server end), and records their states, the listener's queue and any
 * timer.  On loopback the handshake completes inside connect(), so the
 * half-open states are left to the syn-queue experiment.
 */
#include "bl_lifecycle.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bl_err.h"
#include "bl_json.h"
#include "bl_text.h"
#include "bl_sockdiag.h"
#include "os.h"

#define LC_MAX_STEPS 8
#define LC_SETTLE_MS 50   /* lets loopback packets and timers land */

struct lc_step {
    const char *action;
    char client[48];       /* the client end: state (and timer) */
    char server[48];       /* the server end (not the listener) */
    int listeners;
    uint32_t queue, limit;
    uint32_t tw_ms;        /* TIME-WAIT time left, 0 when none */
};

struct lc {
    struct bl_err err;      /* the call that failed */
    int lfd, cfd, afd, nl;
    uint16_t sport, cport;
    struct lc_step steps[LC_MAX_STEPS];
    int n;
};

struct end_view {
    struct lc_step *st;
    uint16_t peer;          /* the other end's port, to pick our socket */
    char *out;
};

static int end_cb(const struct bl_sockdiag_entry *e, void *arg)
{
    struct end_view *v = arg;

    if (e->state == TCP_LISTEN) {
        v->st->listeners++;
        v->st->queue = e->rqueue;
        v->st->limit = e->wqueue;
        return 0;
    }
    if (e->dport != v->peer)
        return 0;
    snprintf(v->out, 48, "%s", bl_sockdiag_state_name(e->state));
    if (e->state == TCP_TIME_WAIT)
        v->st->tw_ms = e->expires_ms;
    return 0;
}

/* Records both ends after the step called action. */
static int observe(struct lc *lc, const char *action)
{
    struct lc_step *st = &lc->steps[lc->n];
    struct end_view cv = { st, lc->sport, st->client }, sv = { st, lc->cport, st->server };

    poll(NULL, 0, LC_SETTLE_MS);
    memset(st, 0, sizeof(*st));
    st->action = action;
    snprintf(st->client, sizeof(st->client), "-");
    snprintf(st->server, sizeof(st->server), "-");
    if (lc->cport != 0 &&
        bl_sockdiag_dump(lc->nl, lc->cport, BL_SOCKDIAG_ALL_STATES, end_cb, &cv) < 0)
        return bl_err_set(&lc->err, errno, "inet_diag dump");
    if (bl_sockdiag_dump(lc->nl, lc->sport, BL_SOCKDIAG_ALL_STATES, end_cb, &sv) < 0)
        return bl_err_set(&lc->err, errno, "inet_diag dump");
    lc->n++;
    return 0;
}

static int port_of(int fd, uint16_t *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);

    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        return -1;
    *port = ntohs(a.sin_port);
    return 0;
}

static int listen_step(struct lc *lc)
{
    struct sockaddr_in a = { .sin_family = AF_INET };

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lc->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lc->lfd < 0)
        return bl_err_set(&lc->err, errno, "socket");
    if (bind(lc->lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return bl_err_set(&lc->err, errno, "bind 127.0.0.1:0");
    if (listen(lc->lfd, 1) < 0)
        return bl_err_set(&lc->err, errno, "listen");
    if (port_of(lc->lfd, &lc->sport) < 0)
        return bl_err_set(&lc->err, errno, "getsockname");
    return observe(lc, "server: listen(fd, 1)");
}

static int connect_step(struct lc *lc)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(lc->sport) };

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lc->cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lc->cfd < 0)
        return bl_err_set(&lc->err, errno, "socket");
    if (connect(lc->cfd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return bl_err_set(&lc->err, errno, "connect 127.0.0.1:%u", lc->sport);
    if (port_of(lc->cfd, &lc->cport) < 0)
        return bl_err_set(&lc->err, errno, "getsockname");
    return observe(lc, "client: connect() -> SYN, SYN-ACK, ACK");
}

/* Closes *fd (the descriptor is released even when close fails) and
 * records the step called action. */
static int close_step(struct lc *lc, int *fd, const char *action)
{
    int rc = os_close(*fd);

    *fd = -1;
    if (rc < 0)
        return bl_err_set(&lc->err, -rc, "close");
    return observe(lc, action);
}

static int run_steps(struct lc *lc)
{
    char byte;

    if (listen_step(lc) < 0 || connect_step(lc) < 0)
        return -1;
    lc->afd = accept4(lc->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (lc->afd < 0)
        return bl_err_set(&lc->err, errno, "accept4");
    if (observe(lc, "server: accept()") < 0 ||
        close_step(lc, &lc->cfd, "client: close() -> FIN; server kernel ACKs it") < 0)
        return -1;
    ssize_t n = read(lc->afd, &byte, 1);
    if (n != 0) /* a byte nobody sent: EPROTO */
        return bl_err_set(&lc->err, n < 0 ? errno : EPROTO, "read (expecting end of stream)");
    if (observe(lc, "server: read() returns 0 (end of stream)") < 0)
        return -1;
    return close_step(lc, &lc->afd, "server: close() -> FIN; client kernel ACKs it");
}

static void print_text(const struct lc *lc, const struct bl_text *t)
{
    printf("One connection on 127.0.0.1, server port %u, client port %u "
           "(states from inet_diag after each step):\n", lc->sport, lc->cport);
    printf("%-48s %-12s %-12s %12s %10s\n", "step", "client end", "server end",
           "listen queue", "TIME-WAIT");
    for (int i = 0; i < lc->n; i++) {
        const struct lc_step *st = &lc->steps[i];
        char q[24], tw[24];
        snprintf(q, sizeof(q), st->listeners ? "%u/%u" : "-", st->queue, st->limit);
        snprintf(tw, sizeof(tw), st->tw_ms ? "%.1f s" : "-", st->tw_ms / 1000.0);
        printf("%-48s %-12s %-12s %12s %10s\n", st->action, st->client, st->server, q, tw);
    }
    printf("\nWhat this run shows:\n");
    bl_text_print(t, stdout);
}

static void explain(const struct lc *lc, struct bl_text *t)
{
    const struct lc_step *s = lc->steps;

    bl_text_add(t, "After connect() returned, the server end was %s and the listen queue "
                   "%u/%u before any accept(): the kernel finished the handshake alone and "
                   "parked the connection in the accept queue.", s[1].server, s[1].queue,
                s[1].limit);
    bl_text_add(t, "accept() only took it off the queue (%u/%u); the server end stayed %s.",
                s[2].queue, s[2].limit, s[2].server);
    bl_text_add(t, "The first close() (client) left the client end in %s and the server "
                   "end in %s: one FIN and its ACK, half of the four-way close; the server "
                   "application learns of it only when read() returns 0.", s[3].client,
                s[3].server);
    bl_text_add(t, "The second close() (server) sent the other FIN; the side that closed "
                   "first is now in %s for another %.1f s, the server end is %s.",
                s[5].client, s[5].tw_ms / 1000.0,
                strcmp(s[5].server, "-") == 0 ? "gone" : s[5].server);
}

static void print_json(const struct lc *lc, const struct bl_text *t)
{
    struct json j;

    json_init(&j, stdout, JSON_PRETTY);
    json_object(&j, NULL);
    json_string(&j, "experiment", "lifecycle");
    json_int(&j, "server_port", lc->sport);
    json_int(&j, "client_port", lc->cport);
    json_array(&j, "steps");
    for (int i = 0; i < lc->n; i++) {
        const struct lc_step *st = &lc->steps[i];
        json_object(&j, NULL);
        json_string(&j, "action", st->action);
        json_string(&j, "client", st->client);
        json_string(&j, "server", st->server);
        json_int(&j, "queue_length", st->queue);
        json_int(&j, "queue_limit", st->limit);
        json_int(&j, "time_wait_ms", st->tw_ms);
        json_end_object(&j);
    }
    json_end_array(&j);
    bl_text_json(t, &j, "explanation");
    json_end_object(&j);
}

int bl_lifecycle_main(const struct bl_opts *o)
{
    struct lc lc = { .lfd = -1, .cfd = -1, .afd = -1 };
    int rc;

    lc.nl = bl_sockdiag_open();
    if (lc.nl < 0)
        rc = bl_err_set(&lc.err, errno, "socket(NETLINK_SOCK_DIAG)");
    else
        rc = run_steps(&lc);
    if (rc < 0)
        fprintf(stderr, "backlog-lab: lifecycle: %s: %s\n", lc.err.call,
                strerror(lc.err.errnum));
    int *fds[] = { &lc.afd, &lc.cfd, &lc.lfd, &lc.nl };
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (*fds[i] >= 0)
            os_close(*fds[i]); /* no data was ever written: nothing to lose */
    if (rc < 0)
        return 1;
    struct bl_text t;
    bl_text_init(&t);
    explain(&lc, &t);
    if (o->json)
        print_json(&lc, &t);
    else
        print_text(&lc, &t);
    bl_text_free(&t);
    return 0;
}
