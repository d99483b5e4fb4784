/* tl_hold.c - the hold mode engine (see tl_hold.h).
 *
 * Two schedules drive a thread: one opens its connections (slot n % slots
 * at the n-th due time, so --connect-rate 0 opens them all at once), the
 * other pings them, each connection once per --ping-interval, spread
 * evenly.  Ping k of a connection is byte k of its pattern stream
 * (tl_pattern.h), so the replies of an echo server are checked byte for
 * byte, as in echo mode, not only counted.  The thread tells the run when every one of its connections is
 * open or has failed; main starts the hold clock when all threads have.
 */
#include "tl_hold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "sysraw.h"
#include "tl_loop.h"
#include "tl_net.h"
#include "tl_pattern.h"
#include "tl_sched.h"

#define SCAN_NS    (100 * CLOCK_NS_PER_MS)
#define IDLE_NS    CLOCK_NS_PER_SEC  /* longest sleep while waiting for the end */
#define OPEN_BATCH 64                /* connects between two looks at epoll */

enum hold_state {
    HOLD_WAITING,     /* not opened yet: waiting for the connect schedule */
    HOLD_CONNECTING,  /* connect() in progress */
    HOLD_OPEN,        /* established: held */
    HOLD_CLOSED,      /* failed to open, or lost; fd closed */
};

struct hold_conn {
    int fd;
    uint8_t state;      /* enum hold_state */
    uint8_t was_open;   /* reached HOLD_OPEN at some point */
    uint32_t pinged;    /* pings sent */
    uint32_t echoed;    /* reply bytes received (and checked) */
    uint64_t t_start;   /* connect() called */
};

struct hmode {
    struct tl_loop l;        /* thread, options, epoll, window */
    struct hold_conn *conns;
    uint32_t connecting;     /* conns in HOLD_CONNECTING */
    int reported;            /* tl_run_opened called */
    struct tl_source source;
    struct tl_sched opens;   /* when each connection is opened */
    struct tl_sched pings;   /* when each connection is pinged */
    uint64_t next_scan;
    uint8_t buf[4096];
};

size_t tl_hold_conn_size(void)
{
    return sizeof(struct hold_conn);
}

static const uint8_t legal[] = {
    [HOLD_WAITING] = 1u << HOLD_CONNECTING | 1u << HOLD_CLOSED,
    [HOLD_CONNECTING] = 1u << HOLD_OPEN | 1u << HOLD_CLOSED,
    [HOLD_OPEN] = 1u << HOLD_CLOSED,
    [HOLD_CLOSED] = 0,
};

/* The one place a connection changes state. */
static void set_state(struct hmode *m, struct hold_conn *c, enum hold_state to)
{
    struct tl_live *l = &m->l.t->live;

    if (!(legal[c->state] & (1u << to)))
        abort();
    if (c->state == HOLD_CONNECTING)
        m->connecting--;
    if (to == HOLD_CONNECTING)
        m->connecting++;
    if (to == HOLD_OPEN) {
        c->was_open = 1;
        m->l.st->conns_ok++;
        tl_live_add(&l->opened, 1);
        tl_live_add(&l->open, 1);
    }
    if (to == HOLD_CLOSED && c->fd >= 0) {
        if (c->state == HOLD_OPEN)
            tl_live_sub(&l->open, 1);
        int err = tl_net_close(c->fd, m->l.o->linger0);
        if (err < 0)
            tl_run_error(m->l.t, -err);
        c->fd = -1;
    }
    c->state = (uint8_t)to;
}

static void fail(struct hmode *m, struct hold_conn *c, int kind)
{
    tl_run_error(m->l.t, kind);
    if (c->state == HOLD_OPEN)
        m->l.st->conns_lost++;
    else
        m->l.st->conns_failed++;
    set_state(m, c, HOLD_CLOSED);
}

static void opened(struct hmode *m, struct hold_conn *c, uint64_t now)
{
    tl_hist_record(&m->l.st->lat[TL_LAT_CONNECT], now - c->t_start);
    if (m->l.t->ival != NULL)
        tl_ival_record(m->l.t->ival, now - c->t_start);
    set_state(m, c, HOLD_OPEN);
}

/* Opens one connection; its own timestamp, since opening a few thousand
 * in one go takes long enough to matter. */
static void open_one(struct hmode *m, struct hold_conn *c)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                              .data.ptr = c };
    int is_connected;

    c->t_start = clock_now_ns();
    m->l.st->started++;
    int fd = tl_net_connect((const struct sockaddr *)&m->l.o->addr, m->l.o->addr_len,
                            &m->source, 0, &is_connected);
    if (fd < 0) {
        fail(m, c, -fd);
        return;
    }
    c->fd = fd;
    set_state(m, c, HOLD_CONNECTING);
    if (epoll_ctl(m->l.ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        fail(m, c, errno);
    else if (is_connected)
        opened(m, c, c->t_start);
}

/* Connection c's place in the run and in the pattern. */
static uint64_t conn_index(const struct hmode *m, const struct hold_conn *c)
{
    return tl_run_conn_index(m->l.t, (uint32_t)(c - m->conns));
}

/* Checks n reply bytes against the pings c sent; bytes beyond them were
 * never sent and count as differing too. */
static void check_replies(struct hmode *m, struct hold_conn *c, size_t n)
{
    struct tl_stats *st = m->l.st;
    uint32_t base = tl_pattern_base(conn_index(m, c));
    size_t sent = c->pinged > c->echoed ? c->pinged - c->echoed : 0;
    size_t len = n < sent ? n : sent, first = len;
    size_t bad = tl_pattern_check(base, c->echoed, m->buf, len, &first) + (n - len);

    if (bad > 0) {
        st->bad_bytes += bad;
        st->bad_msgs++;
        if (st->bad_conn == UINT64_MAX) {
            st->bad_conn = conn_index(m, c);
            st->bad_offset = c->echoed + first;
        }
    }
    c->echoed += (uint32_t)n;
}

/* Reads whatever an open connection has (ping replies, EOF, errors). */
static void on_readable(struct hmode *m, struct hold_conn *c)
{
    for (;;) {
        ssize_t n = sysraw_recv(c->fd, m->buf, sizeof(m->buf));
        if (n > 0) {
            check_replies(m, c, (size_t)n);
            m->l.st->bytes_in += (uint64_t)n;
            tl_live_add(&m->l.t->live.bytes_in, (uint64_t)n);
            continue;
        }
        if (n == 0) {
            fail(m, c, TL_ERR_EOF);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            fail(m, c, errno);
        return;
    }
}

/* A connection's event (a tl_event_fn). */
static void on_event(struct tl_loop *l, void *conn, uint32_t ev)
{
    struct hmode *m = (struct hmode *)l;
    struct hold_conn *c = conn;

    if (c->state == HOLD_CONNECTING) {
        int r = tl_net_connected(c->fd, ev);
        if (r < 0)
            return;
        if (r > 0) {
            fail(m, c, r);
            return;
        }
        opened(m, c, clock_now_ns());
    }
    if (c->state == HOLD_OPEN && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        on_readable(m, c);
}

/* Opens the connections now due, at most OPEN_BATCH at a time so that
 * completed connects are seen (and timed) between batches. */
static void open_due(struct hmode *m, uint64_t now)
{
    uint64_t old = m->opens.next;
    uint64_t limit = old + OPEN_BATCH < m->l.n ? old + OPEN_BATCH : m->l.n;
    uint64_t end = tl_sched_dispatch(&m->opens, now, limit);

    for (uint64_t k = old; k < end; k++)
        open_one(m, &m->conns[k]);
}

/* Sends the pings now due, one byte each. */
static void ping_due(struct hmode *m, uint64_t now)
{
    uint64_t old = m->pings.next, end = tl_sched_dispatch(&m->pings, now, UINT64_MAX);

    for (uint64_t k = old; k < end; k++) {
        struct hold_conn *c = &m->conns[k % m->l.n];
        if (c->state != HOLD_OPEN)
            continue;
        ssize_t n = sysraw_send(c->fd, tl_pattern_at(tl_pattern_base(conn_index(m, c)),
                                                     c->pinged), 1);
        if (n == 1) {
            c->pinged++;
            m->l.st->pings++;
            m->l.st->bytes_out++;
            tl_live_add(&m->l.t->live.bytes_out, 1);
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            fail(m, c, errno);
        }
    }
}

/* Fails connects older than --timeout. */
static void scan_timeouts(struct hmode *m, uint64_t now)
{
    if (m->connecting == 0 || now < m->next_scan)
        return;
    m->next_scan = now + SCAN_NS;
    for (uint32_t i = 0; i < m->l.n; i++) {
        struct hold_conn *c = &m->conns[i];
        if (c->state == HOLD_CONNECTING && now > c->t_start &&
            now - c->t_start > m->l.o->timeout_ns)
            fail(m, c, TL_ERR_TIMEOUT);
    }
}

static uint64_t sleep_ns(const struct hmode *m, uint64_t now)
{
    uint64_t until = m->l.w.end < now + IDLE_NS ? m->l.w.end : now + IDLE_NS;

    if (m->opens.next < m->l.n && tl_sched_next_time(&m->opens) < until)
        until = tl_sched_next_time(&m->opens);
    if (m->connecting > 0 && m->next_scan < until)
        until = m->next_scan;
    if (m->l.o->ping_interval_ns != 0 && tl_sched_next_time(&m->pings) < until)
        until = tl_sched_next_time(&m->pings);
    return until > now ? until - now : 0;
}

/* Allocates the connections (a tl_steps setup). */
static int setup(struct tl_loop *l)
{
    struct hmode *m = (struct hmode *)l;

    m->conns = calloc(l->n, sizeof(*m->conns));
    if (m->conns == NULL)
        return tl_run_fail(l->t, "out of memory for %u connections", l->n);
    for (uint32_t i = 0; i < l->n; i++)
        m->conns[i].fd = -1;
    m->source = l->o->source;
    if (m->source.count > 0)
        m->source.next = l->t->id % m->source.count;
    return 0;
}

/* Opens, holds, pings until the end (a tl_steps run). */
static int run(struct tl_loop *l)
{
    struct hmode *m = (struct hmode *)l;
    const struct tl_run *r = l->t->run;
    const struct tl_opts *o = l->o;
    tl_sched_init_share(&m->opens, r->start_ns, o->connect_rate, (uint32_t)o->conns,
                        l->n, l->t->id, CLOCK_NS_PER_MS);
    /* Pings: each connection once per interval, the thread's connections
     * spread over it, the threads offset from each other. */
    uint64_t offset = o->ping_interval_ns / o->conns * l->t->id;
    tl_sched_init(&m->pings, r->start_ns + o->ping_interval_ns + offset,
                  o->ping_interval_ns, l->n, l->n, CLOCK_NS_PER_MS);
    for (;;) {
        uint64_t now = clock_now_ns();
        tl_window_track(&l->w, l->t, now);
        if (!l->w.open)
            break;
        open_due(m, now);
        scan_timeouts(m, now);
        if (!m->reported && m->opens.next == l->n && m->connecting == 0) {
            m->reported = 1;
            tl_run_opened(l->t);
        }
        if (m->reported && l->st->conns_ok == 0)
            break; /* every connection failed: nothing to hold */
        if (o->ping_interval_ns != 0)
            ping_due(m, now);
        if (tl_loop_poll(l, sleep_ns(m, now), on_event) < 0)
            return -1;
    }
    return 0;
}

/* Counts what was held and closes everything (a tl_steps finish). */
static void finish(struct tl_loop *l)
{
    struct hmode *m = (struct hmode *)l;

    for (uint32_t i = 0; m->conns != NULL && i < l->n; i++) {
        struct hold_conn *c = &m->conns[i];
        if (c->state == HOLD_OPEN)
            l->st->conns_held++;
        if (c->state == HOLD_CONNECTING)
            l->st->unanswered++;
        if (c->state != HOLD_CLOSED)
            set_state(m, c, HOLD_CLOSED);
    }
    if (!m->reported)
        tl_run_opened(l->t);
    free(m->conns);
}

int tl_hold_thread(struct tl_thread *t)
{
    static const struct tl_steps steps = { setup, run, finish };
    struct hmode m;

    memset(&m, 0, sizeof(m));
    return tl_loop_steps(&m.l, t, &steps);
}
