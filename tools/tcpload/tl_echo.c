/* tl_echo.c - the echo mode engine (see tl_echo.h).
 *
 * A connection's byte counters tell its whole story: `queued` messages are
 * owed to the server (queued * size bytes), `sent` bytes of them are
 * written, `rcvd` bytes have come back and been checked, and `done`
 * messages have come back whole.  Writing stops at the first short write
 * (the socket's buffer is full) and resumes on EPOLLOUT; every socket is
 * registered once, for input, output and peer shutdown, edge-triggered.
 * A recv that returns less than it asked for has emptied the socket, so no
 * second recv is spent on EAGAIN; one that fills the buffer is repeated,
 * at most READS_PER_EVENT times before the connection goes to the back of
 * the thread's own ready list, so one busy connection cannot starve the
 * others.
 *
 * stream mode runs this engine too: a connection writes until its socket
 * is full and again on EPOLLOUT, owes no messages, and its window ends
 * without a drain; whatever comes back is checked as an echo.  Against a
 * sink that keeps up the socket may never fill, so a connection writes at
 * most STREAM_BURST bytes a turn and then goes to the back of the ready
 * list: the loop keeps reading its clock, and the window's start and end
 * fall between turns, not inside one.
 *
 * With --payload FILE every message is the file's bytes instead of a
 * slice of the pattern (so the connections' streams are alike, and a
 * misrouted byte can go unseen); the replies are still compared with them.
 *
 * With --response-size R the server answers each message with R bytes of
 * its own (not an echo): a message is complete once R more bytes have
 * come back, and nothing is compared.
 *
 * In open loop one wakeup sends every message due within --slack from
 * now, the later ones ahead of their time; a message's latency counts
 * from its scheduled time, or from when it was queued if that was
 * earlier, so sending ahead never shortens a latency, and a late message
 * keeps its scheduled time (the coordinated-omission correction).  Each
 * connection keeps the queue times of its last messages in a ring (its
 * messages of OPEN_STAMPS_NS or of four slacks, whichever is longer, at
 * least 16); a message whose time was overwritten (the server is that far
 * behind) counts from the slack before its due time, the earliest it can
 * have been queued, so a lost time lengthens a latency by at most the
 * slack and never shortens one.
 *
 * The replies do not wake the loop while sends are due soon (within
 * NAP_MAX_NS): it naps until the next send falls due, sends, and only
 * then reads what came back meanwhile.  So
 * that reading late does not add to the latencies, an open-loop socket
 * has SO_TIMESTAMPNS on and a message completes at the time the kernel
 * received the segment that completed it, as the kernel reports for the
 * newest segment a recv took in (so a message that arrived before others
 * read with it is counted as late as they: later, never earlier, and
 * never after the read).
 *
 * Which messages are measured: those sent (closed loop) or scheduled (open
 * loop) within the window [measure, end).  They are recorded when they
 * complete, even during the drain after the end, so slow replies are never
 * dropped from the percentiles.  After the end no new message is queued and
 * the loop runs until every reply is in or --timeout passes.
 */
#include "tl_echo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "os.h"
#include "sysraw.h"
#include "tl_loop.h"
#include "tl_net.h"
#include "tl_pattern.h"
#include "tl_sched.h"

#define READS_PER_EVENT 8
#define STREAM_BURST    (4 * TL_PATTERN_SPAN) /* stream: bytes one connection writes a turn */
#define LATE_NS         CLOCK_NS_PER_MS  /* an open-loop send this late is late */
#define OPEN_STAMPS_NS  (100 * CLOCK_NS_PER_MS) /* open loop: queue times kept, */
#define OPEN_STAMPS_MIN 16                      /* per connection, */
#define OPEN_STAMPS_MAX 65536                   /* at least and at most */
#define NAP_MAX_NS      CLOCK_NS_PER_MS  /* open loop: a next send sooner than this, nap */

/* Why a connection is on the ready list: what it left for its next turn. */
enum {
    READY_READ = 1,   /* reads (READS_PER_EVENT full buffers were taken) */
    READY_WRITE = 2,  /* stream: writes (a whole STREAM_BURST went out) */
};

enum echo_state {
    ECHO_CONNECTING,  /* connect() in progress: waiting for EPOLLOUT */
    ECHO_OPEN,        /* connected: exchanging messages */
    ECHO_CLOSED,      /* failed or closed by the peer; fd closed */
};

struct echo_conn {
    int fd;
    uint8_t state;        /* enum echo_state */
    uint8_t blocked;      /* a write came back short: flush on EPOLLOUT */
    uint8_t ready;        /* on the ready list: READY_READ | READY_WRITE */
    uint32_t slot;        /* index within the thread */
    uint32_t base;        /* where its stream starts in the pattern */
    uint64_t queued;      /* messages owed to the server */
    uint64_t done;        /* messages echoed whole */
    uint64_t sent;        /* bytes written */
    uint64_t rcvd;        /* bytes received and checked */
    uint64_t done_at;     /* rcvd that completes message `done` */
    uint64_t bad_msg;     /* last message counted as corrupted, plus one */
    uint64_t *stamps;     /* queue time of message m at [m & mask] */
};

struct echo {
    struct tl_loop l;        /* thread, options, epoll, window; l.w.open: still queueing */
    struct echo_conn *conns;
    struct echo_conn **ready;
    uint32_t nready;
    uint32_t pending;        /* connections still connecting (setup) */
    uint32_t nopen;          /* connections open */
    uint64_t *stamp_mem;
    uint64_t mask;           /* stamps per connection - 1 */
    uint64_t ahead_ns;       /* open loop: --slack, how far ahead a wakeup sends */
    uint8_t *buf;            /* receive buffer, TL_PATTERN_SPAN bytes */
    uint64_t size;
    uint64_t rsize;          /* reply bytes per message: size, or --response-size */
    const uint8_t *payload;  /* --payload: the message (size bytes), or NULL */
    int check;               /* replies are echoes: compare them */
    int open_loop;
    int stream;              /* stream mode: write without waiting, no messages */
    struct tl_sched sched;
    uint64_t n_lo, n_hi;     /* open loop: messages due in the window */
};

size_t tl_echo_conn_size(void)
{
    return sizeof(struct echo_conn);
}

/* The one place a connection changes state. */
static void set_state(struct echo *e, struct echo_conn *c, enum echo_state to)
{
    struct tl_live *l = &e->l.t->live;

    if (c->state == ECHO_CLOSED || (c->state == ECHO_OPEN && to != ECHO_CLOSED))
        abort(); /* no way back from CLOSED, and OPEN only closes */
    if (to == ECHO_OPEN) {
        e->nopen++;
        e->l.st->conns_ok++;
        tl_live_add(&l->opened, 1);
        tl_live_add(&l->open, 1);
    } else if (to == ECHO_CLOSED) {
        if (c->state == ECHO_OPEN) {
            e->nopen--;
            tl_live_sub(&l->open, 1);
        }
        int err = c->fd >= 0 ? os_close(c->fd) : 0;
        if (err < 0)
            tl_run_error(e->l.t, -err); /* counted like the other modes' */
        c->fd = -1;
        e->l.st->unanswered += c->queued - c->done;
    }
    c->state = (uint8_t)to;
}

/* Counts an error of kind on c and closes it. */
static void fail(struct echo *e, struct echo_conn *c, int kind)
{
    tl_run_error(e->l.t, kind);
    if (c->state == ECHO_OPEN)
        e->l.st->conns_lost++;
    else
        e->l.st->conns_failed++;
    set_state(e, c, ECHO_CLOSED);
}

/* The bytes c sends from stream offset off on, and in *avail how many of
 * them are contiguous there. */
static inline const uint8_t *want_at(const struct echo *e, const struct echo_conn *c,
                                     uint64_t off, size_t *avail)
{
    if (e->payload == NULL) {
        *avail = TL_PATTERN_SPAN;
        return tl_pattern_at(c->base, off);
    }
    uint64_t at = off % e->size;
    *avail = (size_t)(e->size - at);
    return e->payload + at;
}

/* Whether the len bytes of buf received at off are what c sent there. */
static int as_sent(const struct echo *e, const struct echo_conn *c, const uint8_t *buf,
                   size_t len, uint64_t off)
{
    for (size_t done = 0; done < len;) {
        size_t avail;
        const uint8_t *want = want_at(e, c, off + done, &avail);
        size_t n = len - done < avail ? len - done : avail;
        if (memcmp(buf + done, want, n) != 0)
            return 0;
        done += n;
    }
    return 1;
}

static void make_ready(struct echo *e, struct echo_conn *c, unsigned why);

/* Writes what c owes until done or the socket is full (stream: until the
 * socket is full, or STREAM_BURST bytes on, leaving c on the ready list).
 * Returns 0, or -1 when c failed. */
static int flush(struct echo *e, struct echo_conn *c)
{
    uint64_t target = e->stream ? c->sent + STREAM_BURST : c->queued * e->size;

    while (c->sent < target) {
        uint64_t left = target - c->sent;
        size_t avail;
        const uint8_t *from = want_at(e, c, c->sent, &avail);
        size_t len = left < avail ? (size_t)left : avail;
        ssize_t n = sysraw_send(c->fd, from, len);
        if (n > 0) {
            c->sent += (uint64_t)n;
            tl_live_add(&e->l.t->live.bytes_out, (uint64_t)n);
            if ((size_t)n < len)
                break; /* short: the socket buffer is full */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        fail(e, c, n < 0 ? errno : EIO);
        return -1;
    }
    c->blocked = c->sent < target;
    if (e->stream && !c->blocked)
        make_ready(e, c, READY_WRITE); /* a full turn: the socket may take more */
    return 0;
}

/* Slow path: counts the bytes of buf (received at stream offset off) that
 * differ from what was sent, and the messages they belong to. */
static void corrupted(struct echo *e, struct echo_conn *c, const uint8_t *buf,
                      size_t len, size_t want_len, uint64_t off)
{
    for (size_t i = 0; i < len; i++) {
        size_t avail;
        if (i < want_len && buf[i] == *want_at(e, c, off + i, &avail))
            continue; /* beyond want_len: bytes nobody sent */
        uint64_t msg = (off + i) / e->size;
        e->l.st->bad_bytes++;
        if (c->bad_msg != msg + 1) {
            e->l.st->bad_msgs++;
            c->bad_msg = msg + 1;
        }
        uint64_t conn = tl_run_conn_index(e->l.t, c->slot);
        if (e->l.st->bad_conn == UINT64_MAX) {
            e->l.st->bad_conn = conn;
            e->l.st->bad_offset = off + i;
        }
    }
}

/* Open loop: where the latency of message c->done, due at `due`,
 * starts (see the top of this file). */
static uint64_t open_start(const struct echo *e, const struct echo_conn *c, uint64_t due)
{
    if (c->queued - c->done > e->mask + 1)
        return due > e->ahead_ns ? due - e->ahead_ns : 0; /* its time was overwritten */
    uint64_t at = c->stamps[c->done & e->mask];
    return at < due ? at : due;
}

/* Records the latency of message c->done, completed at now. */
static void record(struct echo *e, struct echo_conn *c, uint64_t now)
{
    uint64_t from;
    int measured;

    if (e->open_loop) {
        uint64_t n = c->done * e->l.n + c->slot;
        measured = n >= e->n_lo && n < e->n_hi;
        from = open_start(e, c, tl_sched_time(&e->sched, n));
    } else {
        from = c->stamps[c->done & e->mask];
        measured = tl_window_has(&e->l.w, from);
    }
    uint64_t lat = now > from ? now - from : 0;
    if (measured) {
        tl_hist_record(&e->l.st->lat[TL_LAT_MESSAGE], lat);
        e->l.st->measured++;
        e->l.st->done += now < e->l.w.end;
    }
    if (e->l.t->ival != NULL)
        tl_ival_record(e->l.t->ival, lat);
}

/* Takes in n received bytes: checks them, completes messages. */
static void absorb(struct echo *e, struct echo_conn *c, size_t n, uint64_t now)
{
    uint64_t owed = c->sent > c->rcvd ? c->sent - c->rcvd : 0;
    size_t check = n < owed ? n : (size_t)owed;
    uint64_t k = 0;

    if (e->check && (check < n || !as_sent(e, c, e->buf, check, c->rcvd)))
        corrupted(e, c, e->buf, n, check, c->rcvd);
    c->rcvd += n;
    tl_live_add(&e->l.t->live.bytes_in, n);
    while (c->done < c->queued && c->rcvd >= c->done_at) {
        record(e, c, now);
        c->done++;
        c->done_at += e->rsize;
        k++;
    }
    tl_live_add(&e->l.t->live.done, k);
}

/* Closed loop: refills c's window with messages stamped now, and sends. */
static void refill(struct echo *e, struct echo_conn *c, uint64_t now)
{
    uint64_t target = c->done + e->l.o->pipeline;

    while (c->queued < target)
        c->stamps[c->queued++ & e->mask] = now;
    flush(e, c);
}

/* The time (CLOCK_MONOTONIC) at which the kernel received the segment
 * that a recvmsg's control data stamped (SCM_TIMESTAMPNS, CLOCK_REALTIME),
 * and in *now the time now; *now when there is no stamp; never after
 * *now.  The segment's age is taken on CLOCK_REALTIME before *now is read
 * on CLOCK_MONOTONIC, so whatever runs between the two reads (a
 * preemption) makes the arrival later, never earlier. */
static uint64_t arrival(struct msghdr *m, uint64_t *now)
{
    struct timespec real;

    for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm != NULL; cm = CMSG_NXTHDR(m, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS)
            continue;
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
        clock_gettime(CLOCK_REALTIME, &real); /* cannot fail for this clock id */
        *now = clock_now_ns();
        uint64_t r = (uint64_t)real.tv_sec * CLOCK_NS_PER_SEC + (uint64_t)real.tv_nsec;
        uint64_t k = (uint64_t)ts.tv_sec * CLOCK_NS_PER_SEC + (uint64_t)ts.tv_nsec;
        return r > k && r - k < *now ? *now - (r - k) : *now;
    }
    *now = clock_now_ns();
    return *now;
}

/* One recv from c into e->buf: returns what recv returns; on data sets
 * *now to the time and *at to when the data arrived (open loop: the
 * kernel's receive time, see the top of this file; else *now). */
static ssize_t receive(struct echo *e, struct echo_conn *c, uint64_t *now, uint64_t *at)
{
    if (!e->open_loop) {
        ssize_t n = sysraw_recv(c->fd, e->buf, TL_PATTERN_SPAN);
        if (n > 0)
            *at = *now = clock_now_ns();
        return n;
    }
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { e->buf, TL_PATTERN_SPAN };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
    ssize_t n = sysraw_recvmsg(c->fd, &m);
    if (n > 0)
        *at = arrival(&m, now);
    return n;
}

/* Reads what c has, up to READS_PER_EVENT full buffers; returns 1 when
 * more may be waiting, 0 when the socket is empty, -1 when c failed. */
static int drain_socket(struct echo *e, struct echo_conn *c, uint32_t ev)
{
    uint64_t now = 0;
    int more = 0;

    for (int reads = 0;; reads++) {
        if (reads == READS_PER_EVENT) {
            more = 1;
            break;
        }
        uint64_t at;
        ssize_t n = receive(e, c, &now, &at);
        if (n > 0) {
            absorb(e, c, (size_t)n, at);
            if ((size_t)n < TL_PATTERN_SPAN && !(ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
                break; /* short read: the socket is empty */
            continue;
        }
        if (n == 0) {
            fail(e, c, TL_ERR_EOF);
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            break;
        fail(e, c, errno);
        return -1;
    }
    if (now != 0 && !e->open_loop && !e->stream && e->l.w.open && now < e->l.w.end)
        refill(e, c, now);
    return more;
}

static void make_ready(struct echo *e, struct echo_conn *c, unsigned why)
{
    if (!c->ready)
        e->ready[e->nready++] = c;
    c->ready |= (uint8_t)why;
}

/* A connection's event while running (a tl_event_fn). */
static void on_event(struct tl_loop *l, void *conn, uint32_t ev)
{
    struct echo *e = (struct echo *)l;
    struct echo_conn *c = conn;

    if (c->state != ECHO_OPEN)
        return;
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        int r = drain_socket(e, c, ev);
        if (r < 0)
            return;
        if (r > 0)
            make_ready(e, c, READY_READ);
    }
    if ((ev & EPOLLOUT) && c->blocked && (!e->stream || e->l.w.open))
        flush(e, c);
}

/* Gives each connection left on the ready list another turn. */
static void run_ready(struct echo *e)
{
    uint32_t n = e->nready;

    e->nready = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct echo_conn *c = e->ready[i];
        unsigned why = c->ready;
        c->ready = 0;
        if ((why & READY_READ) && c->state == ECHO_OPEN && drain_socket(e, c, EPOLLIN) > 0)
            make_ready(e, c, READY_READ);
        if ((why & READY_WRITE) && c->state == ECHO_OPEN && e->l.w.open)
            flush(e, c);
    }
}

/* Open loop: queues every message due by now + --slack, stamps each
 * connection's new messages with the time just before it sends them, and
 * sends.  The loop sleeps until the next message is due, so a wakeup
 * sends the messages of the slack ahead of it in one go (see the top of
 * this file for how their latencies count). */
static void dispatch(struct echo *e, uint64_t now)
{
    uint64_t old = e->sched.next;
    uint64_t end = tl_sched_dispatch_ahead(&e->sched, now, e->ahead_ns, e->n_hi);
    uint64_t touched = end - old < e->l.n ? end - old : e->l.n;

    for (uint64_t m = old; m < old + touched; m++) {
        uint32_t slot = (uint32_t)(m % e->l.n);
        struct echo_conn *c = &e->conns[slot];
        if (c->state != ECHO_OPEN)
            continue;
        uint64_t k = tl_sched_slot_count(&e->sched, slot, end) -
                     tl_sched_slot_count(&e->sched, slot, old);
        uint64_t t = clock_now_ns();
        uint64_t skip = k > e->mask + 1 ? k - (e->mask + 1) : 0; /* would be overwritten */
        for (uint64_t i = skip; i < k; i++)
            c->stamps[(c->queued + i) & e->mask] = t;
        c->queued += k;
        if (!c->blocked)
            flush(e, c);
    }
}

/* True when every open connection has all its replies. */
static int quiet(const struct echo *e)
{
    for (uint32_t i = 0; i < e->l.n; i++) {
        const struct echo_conn *c = &e->conns[i];
        if (c->state == ECHO_OPEN && c->rcvd < c->queued * e->rsize)
            return 0;
    }
    return 1;
}

/* Opens a nonblocking connection for every slot; the loop in connect_all
 * waits for them. */
static void start_connect(struct echo *e, struct echo_conn *c)
{
    static struct tl_source no_source;
    const struct tl_opts *o = e->l.o;
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                              .data.ptr = c };
    int connected, on = 1;

    c->fd = tl_net_connect((const struct sockaddr *)&o->addr, o->addr_len,
                           &no_source, 1, &connected);
    if (c->fd < 0) {
        int err = -c->fd;
        c->fd = -1;
        fail(e, c, err);
        return;
    }
    if (epoll_ctl(e->l.ep, EPOLL_CTL_ADD, c->fd, &ev) < 0 ||
        (e->open_loop && setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0)) {
        fail(e, c, errno);
        return;
    }
    if (connected)
        set_state(e, c, ECHO_OPEN);
}

/* A connection's event while connecting (a tl_event_fn). */
static void on_connect_event(struct tl_loop *l, void *conn, uint32_t ev)
{
    struct echo *e = (struct echo *)l;
    struct echo_conn *c = conn;
    int r;

    if (c->state != ECHO_CONNECTING || (r = tl_net_connected(c->fd, ev)) < 0)
        return;
    e->pending--;
    if (r == 0)
        set_state(e, c, ECHO_OPEN);
    else
        fail(e, c, r);
}

/* Connects every slot, waiting up to --timeout.  Returns 0 or -1. */
static int connect_all(struct echo *e)
{
    uint64_t deadline = clock_now_ns() + e->l.o->timeout_ns;

    for (uint32_t i = 0; i < e->l.n; i++) {
        start_connect(e, &e->conns[i]);
        e->pending += e->conns[i].state == ECHO_CONNECTING;
    }
    while (e->pending > 0) {
        uint64_t now = clock_now_ns();
        if (now >= deadline)
            break;
        if (tl_loop_poll(&e->l, deadline - now, on_connect_event) < 0)
            return -1;
    }
    for (uint32_t i = 0; i < e->l.n; i++)
        if (e->conns[i].state == ECHO_CONNECTING)
            fail(e, &e->conns[i], TL_ERR_TIMEOUT);
    return 0;
}

static uint64_t pow2_at_least(uint64_t v)
{
    uint64_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

/* Queue times kept per connection: closed loop, its pipeline; open loop,
 * its messages of OPEN_STAMPS_NS or four slacks (see the top of this
 * file). */
static uint64_t stamps_per_conn(const struct tl_opts *o)
{
    if (o->rate == 0)
        return pow2_at_least(o->pipeline);
    uint64_t span = o->slack_ns > OPEN_STAMPS_NS / 4 ? 4 * o->slack_ns : OPEN_STAMPS_NS;
    unsigned __int128 per = (unsigned __int128)o->rate * span /
                            ((unsigned __int128)CLOCK_NS_PER_SEC * o->conns);
    if (per >= OPEN_STAMPS_MAX)
        return OPEN_STAMPS_MAX;
    return pow2_at_least(per < OPEN_STAMPS_MIN ? OPEN_STAMPS_MIN : (uint64_t)per + 1);
}

/* Allocates the thread's state and connects (a tl_steps setup). */
static int setup(struct tl_loop *l)
{
    struct echo *e = (struct echo *)l;
    const struct tl_opts *o = l->o;

    e->size = o->size;
    e->rsize = o->response_size != 0 ? o->response_size : o->size;
    e->check = o->response_size == 0;
    e->payload = o->payload;
    e->stream = o->mode == TL_MODE_STREAM;
    e->open_loop = o->rate != 0;
    e->ahead_ns = o->slack_ns;
    e->mask = stamps_per_conn(o) - 1;
    e->buf = malloc(TL_PATTERN_SPAN);
    e->conns = calloc(l->n, sizeof(*e->conns));
    e->ready = calloc(l->n, sizeof(*e->ready));
    e->stamp_mem = calloc((size_t)l->n, (e->mask + 1) * sizeof(uint64_t));
    if (e->buf == NULL || e->conns == NULL || e->ready == NULL || e->stamp_mem == NULL)
        return tl_run_fail(l->t, "out of memory for %u connections", l->n);
    for (uint32_t k = 0; k < l->n; k++) {
        struct echo_conn *c = &e->conns[k];
        c->fd = -1;
        c->state = ECHO_CONNECTING;
        c->slot = k;
        c->base = tl_pattern_base(tl_run_conn_index(l->t, k));
        c->done_at = e->rsize;
        c->stamps = e->stamp_mem + (size_t)k * (e->mask + 1);
    }
    return connect_all(e);
}

/* Window bookkeeping: the end may move (a signal), the schedule follows. */
static void track_window(struct echo *e, uint64_t now)
{
    unsigned bits = tl_window_track(&e->l.w, e->l.t, now);

    if ((bits & TL_WIN_MOVED) && e->open_loop)
        e->n_hi = e->l.w.end > 0 ? tl_sched_due(&e->sched, e->l.w.end - 1) : 0;
    if (bits & TL_WIN_BEGAN) {
        e->sched.late = 0; /* lateness counts within the window only */
        e->sched.max_lag_ns = 0;
    }
}

/* How long the loop may sleep. */
static uint64_t sleep_ns(const struct echo *e, uint64_t now)
{
    uint64_t until = e->l.w.open ? e->l.w.end : e->l.w.end + e->l.o->timeout_ns;

    if (e->nready > 0)
        return 0;
    if (e->open_loop && e->sched.next < e->n_hi && tl_sched_next_time(&e->sched) < until)
        until = tl_sched_next_time(&e->sched); /* see dispatch */
    if (!e->l.w.begun && e->l.w.measure < until)
        until = e->l.w.measure;
    return until > now ? until - now : 0;
}

/* Whether the loop may sleep wait_ns without waking for replies (see the
 * top of this file): open loop, a send due within NAP_MAX_NS, nothing
 * left to read. */
static int may_nap(const struct echo *e, uint64_t wait)
{
    return e->open_loop && e->l.w.open && e->nready == 0 && wait > 0 &&
           wait <= NAP_MAX_NS && e->sched.next < e->n_hi;
}

/* The measured run: from the gate to the end of the drain (a tl_steps
 * run). */
static int run(struct tl_loop *l)
{
    struct echo *e = (struct echo *)l;
    const struct tl_run *r = l->t->run;
    if (e->open_loop) {
        tl_sched_init_share(&e->sched, r->start_ns, l->o->rate, (uint32_t)l->o->conns,
                            l->n, l->t->id, LATE_NS);
        e->n_lo = l->w.measure > 0 ? tl_sched_due(&e->sched, l->w.measure - 1) : 0;
        /* Timer slack would make every scheduled wakeup up to 50 us late. */
        if (prctl(PR_SET_TIMERSLACK, 1UL) < 0)
            return tl_run_fail(l->t, "prctl(PR_SET_TIMERSLACK): %s", strerror(errno));
    }
    track_window(e, r->start_ns);
    for (uint32_t k = 0; !e->open_loop && k < l->n; k++)
        if (e->conns[k].state == ECHO_OPEN && e->stream)
            flush(e, &e->conns[k]);
        else if (e->conns[k].state == ECHO_OPEN)
            refill(e, &e->conns[k], r->start_ns);
    for (int napped = 0;;) {
        uint64_t now = clock_now_ns();
        track_window(e, now);
        if (e->open_loop)
            dispatch(e, now);
        if (!l->w.open && (now >= l->w.end + l->o->timeout_ns || quiet(e)))
            break;
        if (e->nopen == 0)
            break; /* every connection failed or was lost: nothing to wait for */
        uint64_t wait = sleep_ns(e, now);
        if (!napped && may_nap(e, wait)) {
            napped = 1; /* sent what was due; now the events, without waiting */
            if (tl_loop_nap(l, wait) < 0)
                return -1;
            continue;
        }
        if (tl_loop_poll(l, napped ? 0 : wait, on_event) < 0)
            return -1;
        napped = 0;
        run_ready(e);
    }
    return 0;
}

/* Sums what the connections did and closes them (a tl_steps finish). */
static void finish(struct tl_loop *l)
{
    struct echo *e = (struct echo *)l;
    struct tl_stats *st = l->st;

    for (uint32_t k = 0; e->conns != NULL && k < l->n; k++) {
        struct echo_conn *c = &e->conns[k];
        st->bytes_out += c->sent;
        st->bytes_in += c->rcvd;
        st->started += e->stream ? 0 : c->sent / e->size;
        if (c->state != ECHO_CLOSED)
            set_state(e, c, ECHO_CLOSED);
    }
    if (e->open_loop) {
        st->scheduled = e->n_hi > e->n_lo ? e->n_hi - e->n_lo : 0;
        st->late = e->sched.late;
        st->max_lag_ns = e->sched.max_lag_ns;
    }
    free(e->buf);
    free(e->conns);
    free(e->ready);
    free(e->stamp_mem);
}

int tl_echo_thread(struct tl_thread *t)
{
    static const struct tl_steps steps = { setup, run, finish };
    struct echo e;

    memset(&e, 0, sizeof(e));
    return tl_loop_steps(&e.l, t, &steps);
}
