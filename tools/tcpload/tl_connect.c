/* tl_connect.c - the connect mode engine (see tl_connect.h).
 *
 * Each thread owns a fixed set of transaction slots.  An idle slot begins a
 * transaction when the thread is allowed to (always, or when the --rate
 * schedule says one is due); a transaction moves through connecting,
 * sending and reading and goes back to idle when it is done or has failed.
 * Reads happen while sending too (a server may speak first, and with
 * edge-triggered epoll an input edge that is not acted on is gone), and a
 * transaction is done once both its send and its read are complete.
 *
 * With --send N --expect N (the same N) the server is taken for an echo
 * server and every reply byte is compared with the byte sent at its
 * offset; differences count as mismatches, as in echo mode.
 *
 * When a connect fails (refused, or it cannot even begin: EADDRNOTAVAIL,
 * EMFILE), the thread pauses starting new ones, RETRY_NS after the first
 * failure in a row and twice as long after each further one up to
 * RETRY_MAX_NS, instead of spinning on the failure; a connect that
 * succeeds ends the streak.  A thread whose every slot has failed to
 * connect, with nothing ever connected, stops at once: the run then says
 * FAILED without waiting out its duration.  A scan every SCAN_NS fails the transactions
 * older than --timeout.
 */
#include "tl_connect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "sysraw.h"
#include "tl_loop.h"
#include "tl_net.h"
#include "tl_pattern.h"
#include "tl_sched.h"

#define RETRY_NS     CLOCK_NS_PER_MS
#define RETRY_MAX_NS (256 * CLOCK_NS_PER_MS)
#define SCAN_NS    (100 * CLOCK_NS_PER_MS)
#define LATE_NS    CLOCK_NS_PER_MS
#define READ_BUF   (64 * 1024)

enum txn_state {
    TXN_IDLE,        /* no socket: waiting for the rate, or the run is over */
    TXN_CONNECTING,  /* connect() in progress */
    TXN_SENDING,     /* connected; writing --send bytes (and reading) */
    TXN_READING,     /* sent; reading --expect bytes or until EOF */
};

struct txn {
    int fd;
    uint8_t state;       /* enum txn_state */
    uint8_t got_first;   /* a reply byte has arrived */
    uint8_t eof;         /* the server has closed its side */
    uint8_t bad;         /* a reply byte differed (counted once per transaction) */
    uint32_t slot;
    uint64_t t_start;    /* connect() called */
    uint64_t sent, rcvd;
};

struct cmode {
    struct tl_loop l;        /* thread, options, epoll, window */
    struct txn *txns;
    uint32_t *idle;          /* stack of idle slots */
    uint32_t nidle;
    uint8_t *buf;
    struct tl_source source; /* this thread's walk over --source */
    int rated;               /* --rate given */
    int compare;             /* --send N --expect N: replies must echo */
    struct tl_sched sched;
    uint64_t owed;           /* due by the schedule, not begun yet */
    uint64_t n_lo;           /* first transaction due in the window */
    uint64_t retry_at;       /* no new transaction before this */
    uint32_t streak;         /* connects failed in a row */
    uint64_t next_scan;
};

static int in_flight(const struct cmode *m)
{
    return m->nidle < m->l.n;
}

/* Legal moves: bit `to` of legal[from]. */
static const uint8_t legal[] = {
    [TXN_IDLE] = 1u << TXN_CONNECTING,
    [TXN_CONNECTING] = 1u << TXN_SENDING | 1u << TXN_IDLE,
    [TXN_SENDING] = 1u << TXN_READING | 1u << TXN_IDLE,
    [TXN_READING] = 1u << TXN_IDLE,
};

/* The one place a transaction changes state: leaving CONNECTING for a
 * connected state counts a connection, going back to IDLE closes the
 * socket and frees the slot. */
static void set_state(struct cmode *m, struct txn *x, enum txn_state to)
{
    struct tl_live *l = &m->l.t->live;

    if (!(legal[x->state] & (1u << to)))
        abort();
    if (x->state == TXN_CONNECTING && to == TXN_SENDING) {
        m->streak = 0;
        m->l.st->conns_ok++;
        tl_live_add(&l->opened, 1);
        tl_live_add(&l->open, 1);
    }
    if (to == TXN_IDLE) {
        if (x->state != TXN_CONNECTING)
            tl_live_sub(&l->open, 1);
        int err = tl_net_close(x->fd, m->l.o->linger0);
        if (err < 0)
            tl_run_error(m->l.t, -err);
        x->fd = -1;
        m->idle[m->nidle++] = x->slot;
    }
    x->state = (uint8_t)to;
}

/* A connect failed: counts it and pauses new ones (see the top). */
static void connect_failed(struct cmode *m)
{
    unsigned shift = m->streak < 8 ? m->streak : 8;

    m->l.st->conns_failed++;
    m->streak++;
    m->retry_at = clock_now_ns() + (RETRY_NS << shift < RETRY_MAX_NS ? RETRY_NS << shift
                                                                      : RETRY_MAX_NS);
}

static void fail(struct cmode *m, struct txn *x, int kind)
{
    tl_run_error(m->l.t, kind);
    if (x->state == TXN_CONNECTING)
        connect_failed(m);
    else
        m->l.st->conns_lost++;
    set_state(m, x, TXN_IDLE);
}

static void record(struct cmode *m, struct txn *x, int which, uint64_t now)
{
    if (tl_window_has(&m->l.w, x->t_start))
        tl_hist_record(&m->l.st->lat[which], now - x->t_start);
}

/* Completes x when both halves are done. */
static void maybe_done(struct cmode *m, struct txn *x, uint64_t now)
{
    const struct tl_opts *o = m->l.o;

    if (x->state != TXN_READING)
        return;
    if (o->expect_eof ? !x->eof : x->rcvd < o->expect)
        return;
    if (now == 0)
        now = clock_now_ns();
    record(m, x, TL_LAT_TXN, now);
    if (m->l.t->ival != NULL)
        tl_ival_record(m->l.t->ival, now - x->t_start);
    if (tl_window_has(&m->l.w, x->t_start)) {
        m->l.st->measured++;
        m->l.st->done += now < m->l.w.end;
    }
    tl_live_add(&m->l.t->live.done, 1);
    set_state(m, x, TXN_IDLE);
}

/* Writes the rest of --send; moves to READING when all is out. */
static int send_more(struct cmode *m, struct txn *x)
{
    while (x->sent < m->l.o->send) {
        uint64_t left = m->l.o->send - x->sent;
        size_t len = left < TL_PATTERN_SPAN ? (size_t)left : TL_PATTERN_SPAN;
        ssize_t n = sysraw_send(x->fd, tl_pattern_at(tl_pattern_base(x->slot), x->sent), len);
        if (n > 0) {
            x->sent += (uint64_t)n;
            m->l.st->bytes_out += (uint64_t)n;
            tl_live_add(&m->l.t->live.bytes_out, (uint64_t)n);
            if ((size_t)n < len)
                return 0;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        fail(m, x, n < 0 ? errno : EIO);
        return -1;
    }
    set_state(m, x, TXN_READING);
    return 0;
}

/* The server closed its side: fine, unless --expect bytes are missing.
 * Returns 0, or -1 when x failed. */
static int eof(struct cmode *m, struct txn *x)
{
    x->eof = 1;
    if (!m->l.o->expect_eof && x->rcvd < m->l.o->expect) {
        fail(m, x, TL_ERR_SHORT);
        return -1;
    }
    return 0;
}

/* Compares n reply bytes that arrived at offset x->rcvd with what x sent
 * there (those beyond --expect are not looked at). */
static void compare(struct cmode *m, struct txn *x, size_t n)
{
    uint64_t left = m->l.o->expect > x->rcvd ? m->l.o->expect - x->rcvd : 0;
    size_t len = n < left ? n : (size_t)left, first;
    struct tl_stats *st = m->l.st;

    size_t bad = tl_pattern_check(tl_pattern_base(x->slot), x->rcvd, m->buf, len, &first);
    if (bad == 0)
        return;
    st->bad_bytes += bad;
    st->bad_msgs += !x->bad;
    x->bad = 1;
    if (st->bad_conn == UINT64_MAX) {
        st->bad_conn = tl_run_conn_index(m->l.t, x->slot);
        st->bad_offset = x->rcvd + first;
    }
}

/* Reads what the server sent.  Returns 0, or -1 when x failed. */
static int read_reply(struct cmode *m, struct txn *x, uint32_t ev, uint64_t *now)
{
    for (;;) {
        ssize_t n = sysraw_recv(x->fd, m->buf, READ_BUF);
        if (n > 0) {
            *now = clock_now_ns();
            if (!x->got_first) {
                x->got_first = 1;
                record(m, x, TL_LAT_FIRST, *now);
            }
            if (m->compare)
                compare(m, x, (size_t)n);
            x->rcvd += (uint64_t)n;
            m->l.st->bytes_in += (uint64_t)n;
            tl_live_add(&m->l.t->live.bytes_in, (uint64_t)n);
            if (!m->l.o->expect_eof && x->rcvd >= m->l.o->expect)
                return 0; /* enough: the rest does not matter */
            if ((size_t)n < READ_BUF) {
                /* Emptied.  EPOLLRDHUP means the FIN was in order behind
                 * this data, so this is the end: no recv just to see 0. */
                if (ev & EPOLLRDHUP)
                    return eof(m, x);
                if (!(ev & (EPOLLHUP | EPOLLERR)))
                    return 0;
            }
            continue;
        }
        if (n == 0)
            return eof(m, x);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return 0;
        fail(m, x, errno);
        return -1;
    }
}

/* Connected at now: records it and starts sending. */
static int connected(struct cmode *m, struct txn *x, uint64_t now)
{
    record(m, x, TL_LAT_CONNECT, now);
    set_state(m, x, TXN_SENDING);
    return send_more(m, x);
}

/* A transaction's event (a tl_event_fn). */
static void on_event(struct tl_loop *l, void *conn, uint32_t ev)
{
    struct cmode *m = (struct cmode *)l;
    struct txn *x = conn;
    uint64_t now = 0;

    if (x->state == TXN_CONNECTING) {
        int r = tl_net_connected(x->fd, ev);
        if (r < 0)
            return;
        if (r > 0) {
            fail(m, x, r);
            return;
        }
        now = clock_now_ns();
        if (connected(m, x, now) < 0)
            return;
    } else if (x->state == TXN_SENDING && (ev & EPOLLOUT)) {
        if (send_more(m, x) < 0)
            return;
    }
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        if (read_reply(m, x, ev, &now) < 0)
            return;
    maybe_done(m, x, now);
}

/* Begins a transaction in an idle slot, with a timestamp of its own (a
 * batch of connects takes long enough to matter).  Returns 0, or -1 when
 * it failed at once (the caller pauses). */
static int begin(struct cmode *m)
{
    struct txn *x = &m->txns[m->idle[--m->nidle]];
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                              .data.ptr = x };
    int is_connected;

    uint64_t now = clock_now_ns();
    m->l.st->started++;
    x->t_start = now;
    x->sent = x->rcvd = 0;
    x->got_first = x->eof = x->bad = 0;
    int fd = tl_net_connect((const struct sockaddr *)&m->l.o->addr, m->l.o->addr_len,
                            &m->source, 0, &is_connected);
    if (fd < 0) {
        tl_run_error(m->l.t, -fd);
        connect_failed(m);
        m->idle[m->nidle++] = x->slot;
        return -1;
    }
    x->fd = fd;
    set_state(m, x, TXN_CONNECTING);
    if (epoll_ctl(m->l.ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        fail(m, x, errno);
        return -1;
    }
    if (is_connected && connected(m, x, now) == 0)
        maybe_done(m, x, now);
    return 0;
}

/* Begins what the rate (or the free slots) allow. */
static void begin_some(struct cmode *m, uint64_t now)
{
    if (!m->l.w.open || now < m->retry_at)
        return;
    if (m->rated) {
        uint64_t old = m->sched.next;
        m->owed += tl_sched_dispatch(&m->sched, now, UINT64_MAX) - old;
    }
    while (m->nidle > 0 && (!m->rated || m->owed > 0)) {
        if (m->rated)
            m->owed--;
        if (begin(m) < 0 || now < m->retry_at)
            return; /* paused by a failed connect */
    }
}

/* Fails the transactions older than --timeout. */
static void scan_timeouts(struct cmode *m, uint64_t now)
{
    if (now < m->next_scan)
        return;
    m->next_scan = now + SCAN_NS;
    for (uint32_t i = 0; i < m->l.n; i++) {
        struct txn *x = &m->txns[i];
        if (x->state != TXN_IDLE && now > x->t_start &&
            now - x->t_start > m->l.o->timeout_ns) {
            m->l.st->unanswered += x->state != TXN_CONNECTING; /* begun, no reply */
            fail(m, x, TL_ERR_TIMEOUT);
        }
    }
}

static uint64_t sleep_ns(const struct cmode *m, uint64_t now)
{
    uint64_t until = m->l.w.open ? m->l.w.end : m->l.w.end + m->l.o->timeout_ns;

    if (in_flight(m) && m->next_scan < until)
        until = m->next_scan;
    if (m->l.w.open && m->nidle > 0) {
        uint64_t next = m->retry_at;
        if (m->rated && m->owed == 0 && tl_sched_next_time(&m->sched) > next)
            next = tl_sched_next_time(&m->sched);
        if (next < until)
            until = next;
    }
    if (!m->l.w.begun && m->l.w.measure < until)
        until = m->l.w.measure;
    return until > now ? until - now : 0;
}

/* Allocates the slots (a tl_steps setup). */
static int setup(struct tl_loop *l)
{
    struct cmode *m = (struct cmode *)l;

    m->txns = calloc(l->n, sizeof(*m->txns));
    m->idle = calloc(l->n, sizeof(*m->idle));
    m->buf = malloc(READ_BUF);
    if (m->txns == NULL || m->idle == NULL || m->buf == NULL)
        return tl_run_fail(l->t, "out of memory for %u transactions", l->n);
    for (uint32_t i = 0; i < l->n; i++) {
        m->txns[i].fd = -1;
        m->txns[i].slot = i;
        m->idle[m->nidle++] = l->n - 1 - i;
    }
    m->source = l->o->source;
    if (m->source.count > 0)
        m->source.next = l->t->id % m->source.count;
    m->rated = l->o->rate != 0;
    m->compare = !l->o->expect_eof && l->o->send > 0 && l->o->send == l->o->expect;
    if (m->rated && prctl(PR_SET_TIMERSLACK, 1UL) < 0)
        return tl_run_fail(l->t, "prctl(PR_SET_TIMERSLACK): %s", strerror(errno));
    return 0;
}

/* Transactions from the gate to the end of the drain (a tl_steps run). */
static int run(struct tl_loop *l)
{
    struct cmode *m = (struct cmode *)l;
    const struct tl_run *r = l->t->run;
    if (m->rated) {
        /* The whole run's rate, shared by the threads in proportion. */
        tl_sched_init_share(&m->sched, r->start_ns, l->o->rate, (uint32_t)l->o->threads,
                            1, l->t->id, LATE_NS);
        m->n_lo = l->w.measure > r->start_ns ? tl_sched_due(&m->sched, l->w.measure - 1) : 0;
    }
    for (;;) {
        uint64_t now = clock_now_ns();
        if (tl_window_track(&l->w, l->t, now) & TL_WIN_BEGAN) {
            m->sched.late = 0;
            m->sched.max_lag_ns = 0;
        }
        scan_timeouts(m, now);
        begin_some(m, now);
        if (!l->w.open && (!in_flight(m) || now >= l->w.end + l->o->timeout_ns))
            break;
        if (l->st->conns_ok == 0 && l->st->conns_failed >= l->n && !in_flight(m))
            break; /* every slot failed to connect: no use going on */
        if (tl_loop_poll(l, sleep_ns(m, now), on_event) < 0)
            return -1;
    }
    return 0;
}

/* Counts what is still in flight and frees (a tl_steps finish). */
static void finish(struct tl_loop *l)
{
    struct cmode *m = (struct cmode *)l;

    for (uint32_t i = 0; m->txns != NULL && i < l->n; i++)
        if (m->txns[i].state != TXN_IDLE) {
            l->st->unanswered++;
            set_state(m, &m->txns[i], TXN_IDLE);
        }
    if (m->rated) {
        uint64_t hi = l->w.end > 0 ? tl_sched_due(&m->sched, l->w.end - 1) : 0;
        l->st->scheduled = hi > m->n_lo ? hi - m->n_lo : 0;
        l->st->late = m->sched.late;
        l->st->max_lag_ns = m->sched.max_lag_ns;
    }
    free(m->txns);
    free(m->idle);
    free(m->buf);
}

int tl_connect_thread(struct tl_thread *t)
{
    static const struct tl_steps steps = { setup, run, finish };
    struct cmode m;

    memset(&m, 0, sizeof(m));
    return tl_loop_steps(&m.l, t, &steps);
}
