/* bl_sockdiag.c - TCP socket queries through NETLINK_SOCK_DIAG and TCP_INFO
 * (see bl_sockdiag.h).  One dump request per address family; the kernel
 * answers with a multipart message of inet_diag_msg records ending in
 * NLMSG_DONE.  Filtering by port is done here rather than with inet_diag
 * bytecode: the states mask already keeps the answers small. */
#include "bl_sockdiag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#define BL_SOCKDIAG_BUF 65536

static int fail(int err)
{
    errno = err;
    return -1;
}

int bl_sockdiag_open(void)
{
    return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
}

static int send_request(int nl, int family, uint32_t states)
{
    struct {
        struct nlmsghdr nh;
        struct inet_diag_req_v2 req;
    } msg;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

    memset(&msg, 0, sizeof(msg));
    msg.nh.nlmsg_len = sizeof(msg);
    msg.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.req.sdiag_family = (uint8_t)family;
    msg.req.sdiag_protocol = IPPROTO_TCP;
    msg.req.idiag_states = states;
    for (;;) {
        ssize_t n = sendto(nl, &msg, sizeof(msg), 0,
                           (struct sockaddr *)&kernel, sizeof(kernel));
        if (n == (ssize_t)sizeof(msg))
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 ? -1 : fail(EIO);
    }
}

/* Fills a sockaddr from the raw address words of an inet_diag id. */
static void fill_addr(struct sockaddr_storage *ss, int family,
                      const uint32_t words[4], uint16_t port_be)
{
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = port_be;
        memcpy(&in->sin_addr, words, 4);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = port_be;
        memcpy(&in6->sin6_addr, words, 16);
    }
}

static void fill_entry(struct bl_sockdiag_entry *e, const struct inet_diag_msg *m)
{
    e->family = m->idiag_family;
    e->state = m->idiag_state;
    e->timer = m->idiag_timer;
    e->retrans = m->idiag_retrans;
    fill_addr(&e->src, m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
    fill_addr(&e->dst, m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
    e->sport = ntohs(m->id.idiag_sport);
    e->dport = ntohs(m->id.idiag_dport);
    e->rqueue = m->idiag_rqueue;
    e->wqueue = m->idiag_wqueue;
    e->expires_ms = m->idiag_expires;
    e->inode = m->idiag_inode;
}

/* Handles one netlink message other than NLMSG_DONE: returns -1 on an
 * error message, otherwise 0, with the callback's result in *cb_rc. */
static int handle_msg(const struct nlmsghdr *nh, uint16_t port, bl_sockdiag_cb cb,
                      void *arg, int *cb_rc)
{
    if (nh->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *err = NLMSG_DATA(nh);
        if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
            return fail(EIO);
        return fail(err->error < 0 ? -err->error : EIO);
    }
    if (nh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
        nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
        return 0;
    const struct inet_diag_msg *m = NLMSG_DATA(nh);
    if (port != 0 && ntohs(m->id.idiag_sport) != port)
        return 0;
    struct bl_sockdiag_entry e;
    fill_entry(&e, m);
    *cb_rc = cb(&e, arg);
    return 0;
}

/* NLMSG_OK with the remaining length kept signed (so NLMSG_NEXT cannot
 * wrap it) and compared without mixing signs, which clang's
 * -Wsign-compare rejects in the macro itself. */
static bool msg_ok(const struct nlmsghdr *nh, int len)
{
    return len >= (int)sizeof(*nh) && nh->nlmsg_len >= sizeof(*nh) &&
           nh->nlmsg_len <= (unsigned int)len;
}

/* Reads the answer to one request to its end (NLMSG_DONE) and returns 0,
 * -1, or the first nonzero callback result; after that result the rest
 * of the answer is read and dropped, so the socket is ready for the next
 * request. */
static int read_answer(int nl, uint16_t port, bl_sockdiag_cb cb, void *arg)
{
    static __thread char buf[BL_SOCKDIAG_BUF] __attribute__((aligned(8)));
    int cb_rc = 0;

    for (;;) {
        ssize_t n = recv(nl, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return fail(EIO);
        int len = (int)n;
        for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; msg_ok(nh, len);
             nh = NLMSG_NEXT(nh, len)) {
            if (nh->nlmsg_type == NLMSG_DONE)
                return cb_rc;
            if (cb_rc == 0 && handle_msg(nh, port, cb, arg, &cb_rc) < 0)
                return -1;
        }
    }
}

int bl_sockdiag_dump(int nl, uint16_t port, uint32_t states, bl_sockdiag_cb cb,
                     void *arg)
{
    static const int families[] = { AF_INET, AF_INET6 };

    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        if (send_request(nl, families[i], states) < 0)
            return -1;
        int rc = read_answer(nl, port, cb, arg);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int is_wildcard(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return 0;
}

static int same_host(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return 0;
    if (a->sa_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

struct queues_arg {
    const struct sockaddr *addr; /* NULL: any listener on the port */
    struct bl_sockdiag_queues *q;
};

static int queues_cb(const struct bl_sockdiag_entry *e, void *arg)
{
    struct queues_arg *qa = arg;
    const struct sockaddr *src = (const struct sockaddr *)&e->src;

    if (qa->addr != NULL && !is_wildcard(src) && !same_host(src, qa->addr))
        return 0;
    if (e->state == TCP_LISTEN) {
        struct bl_sockdiag_queues *q = qa->q;
        if (q->kept < BL_SOCKDIAG_MAX_LISTENERS)
            q->listener[q->kept++] = (struct bl_sockdiag_listener){ e->inode, e->rqueue,
                                                                    e->wqueue };
        q->full += e->rqueue > e->wqueue;
        qa->q->listeners++;
        qa->q->accept_len += e->rqueue;
        qa->q->accept_limit += e->wqueue;
    } else if (e->state == TCP_SYN_RECV) {
        qa->q->syn_recv++;
        if (e->retrans > qa->q->syn_recv_retrans)
            qa->q->syn_recv_retrans = e->retrans;
    }
    return 0;
}

int bl_sockdiag_port_queues(int nl, const struct sockaddr *addr, uint16_t port,
                            struct bl_sockdiag_queues *q)
{
    struct queues_arg qa = { addr, q };

    memset(q, 0, sizeof(*q));
    if (addr != NULL && is_wildcard(addr))
        qa.addr = NULL;
    return bl_sockdiag_dump(nl, port, (1u << TCP_LISTEN) | (1u << TCP_SYN_RECV),
                            queues_cb, &qa);
}

static int get_info(int fd, struct tcp_info *ti)
{
    socklen_t tlen = sizeof(*ti);

    memset(ti, 0, sizeof(*ti));
    return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &tlen);
}

int bl_sockdiag_listener_info(int fd, uint32_t *len, uint32_t *limit)
{
    struct tcp_info ti;

    if (get_info(fd, &ti) < 0)
        return -1;
    if (ti.tcpi_state != TCP_LISTEN)
        return fail(EINVAL);
    *len = ti.tcpi_unacked;
    *limit = ti.tcpi_sacked;
    return 0;
}

int bl_sockdiag_tcp_state(int fd, uint8_t *state, uint32_t *total_retrans)
{
    struct tcp_info ti;

    if (get_info(fd, &ti) < 0)
        return -1;
    *state = ti.tcpi_state;
    *total_retrans = ti.tcpi_total_retrans;
    return 0;
}

const char *bl_sockdiag_state_name(uint8_t state)
{
    static const char *const names[] = {
        [TCP_ESTABLISHED] = "ESTABLISHED", [TCP_SYN_SENT] = "SYN-SENT",
        [TCP_SYN_RECV] = "SYN-RECV",       [TCP_FIN_WAIT1] = "FIN-WAIT-1",
        [TCP_FIN_WAIT2] = "FIN-WAIT-2",    [TCP_TIME_WAIT] = "TIME-WAIT",
        [TCP_CLOSE] = "CLOSED",            [TCP_CLOSE_WAIT] = "CLOSE-WAIT",
        [TCP_LAST_ACK] = "LAST-ACK",       [TCP_LISTEN] = "LISTEN",
        [TCP_CLOSING] = "CLOSING",
    };

    if (state < sizeof(names) / sizeof(names[0]) && names[state] != NULL)
        return names[state];
    return "?";
}
