/* worker.c - the per-worker epoll loop (see worker.h).
 *
 * One loop turn:
 *   1. epoll_wait (timeout 0 while the ready list or the accept queue has
 *      work, else until the next sweep, accept retry or grace deadline);
 *   2. read the clock once (every timestamp of the turn uses it);
 *   3. run the connections epoll reported, each up to its share of the
 *      turn (below); one already on a list only notes its events;
 *      one still in PROXY state reads its header first (on_header);
 *   4. run the connections that were on the ready list before this turn
 *      (they used up their share earlier: served after the fresh events,
 *      so one flooding peer cannot starve the others);
 *   5. when a deadline may have come, sweep: close the connections whose
 *      time is up (idle, write, lifetime, lingering, PROXY header);
 *   6. accept, at most WORKER_ACCEPT_BUDGET connections;
 *   7. if the pool can lend a buffer again, move the connections waiting
 *      for memory to the ready list (served next turn);
 *   8. release the slots of connections closed during the turn (not
 *      earlier: a later event of the same batch may still name them).
 *
 * Fairness: a turn reads at most about WORKER_TURN_BUDGET bytes, shared
 * evenly by the connections active in it (the batch's events plus the
 * ready list), and never less than WORKER_QUANTUM_MIN each.  A connection
 * that used its whole share last turn (it is on the ready list) gets only
 * WORKER_QUANTUM_MIN while fresh events wait, so a stream cannot take a
 * turn from many small clients; alone, or beside other streams only, it
 * gets the even share, and it is served every turn.  A read into the
 * scratch buffer takes no more than what is left of the share; one into a
 * connection's ring (it owes bytes) takes what the ring has free, so a
 * connection exceeds its share by less than one buffer at most.
 *
 * Memory: a connection that owes nothing reads into the worker's scratch
 * buffer; what a short write leaves over goes into a pool buffer (see
 * pool.h) under the worker's share of --buffer-memory.  When the share is
 * spent, a connection that would read waits on the memory list (its input
 * stays in the kernel, which slows its sender): it costs nothing while
 * waiting, and it is resumed as soon as another connection of the worker
 * gives a buffer back, which only a connection's own progress can do.
 * With --splice the worker also holds SPLICE_PIPES pipes, opened here and
 * lent to streaming connections (conn.h); what they hold is owed output
 * like a ring's, under the pipe's capacity.
 *
 * Timeouts carry no timer (see timeouts.h): a connection records the loop
 * time of its last byte (a plain store), and a sweep over all of them,
 * due at the earliest deadline the last one found (or that a new or
 * lingering connection brought), closes those whose time is up.  No timer
 * work per message, and no timer node in a connection.
 *
 * Every descriptor is registered once, edge-triggered: a connection with
 * EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET right after accept4 (no epoll_ctl
 * afterwards; close removes it), the listener with EPOLLIN|EPOLLET (plus
 * EPOLLEXCLUSIVE when shared), the wake eventfd with EPOLLIN|EPOLLET.
 */
#include "worker.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "listener.h"
#include "log.h"
#include "os.h"
#include "peers.h"
#include "pool.h"
#include "proxy.h"
#include "slab.h"
#include "splice.h"
#include "sysraw.h"
#include "timeouts.h"

#define TAG_WAKE 1u   /* epoll data of the eventfd; connections use pointers */
#define TAG_LISTEN 2u /* epoll data of the listen socket */

struct worker {
    struct stats_counters stats;    /* first, so it starts a cache line */
    struct worker_config cfg;
    int epfd;
    int wake_fd;
    struct listener listener;
    int accept_pending;             /* a listener edge not yet drained to EAGAIN */
    uint64_t accept_resume_ns;      /* no accept before this (backoff) */
    int rate_limited;               /* --accept-rate N with N >= 1 */
    struct listener_rate rate;
    struct conn_env env;
    struct pool pool;
    struct splice_pool splice;      /* --splice: pipes lent to streaming connections */
    struct slab slab;               /* struct conn slots */
    struct ringtab rings;           /* ring headers of the connections that owe bytes */
    struct timeouts timeouts;
    uint64_t sweep_at_ms;           /* look at every connection's deadlines then;
                                     * UINT64_MAX: none to come */
    struct conn *ready_head;        /* share spent, input left: FIFO */
    struct conn *ready_tail;
    size_t ready_len;
    struct conn *memwait_head;      /* waiting for the pool: FIFO */
    struct conn *memwait_tail;
    size_t memwait_len;
    struct conn *closed;            /* closed this turn; released at its end */
    struct peers_local peers;       /* --max-conns-per-ip: what each connection holds */
    uint64_t active;                /* open connections */
    uint64_t start_ns;
    uint64_t now_ns;                /* clock_now_ns() at the start of the turn */
    uint64_t now_ms;                /* milliseconds since start_ns */
    int stopping;
    uint64_t grace_end_ms;
    pthread_t thread;
    struct epoll_event events[WORKER_EVENTS];
};

static void tick(struct worker *w)
{
    w->now_ns = clock_now_ns();
    w->now_ms = (w->now_ns - w->start_ns) / CLOCK_NS_PER_MS;
    w->env.now_ms = (uint32_t)w->now_ms;
}

/* ---- connection bookkeeping ---- */

/* Appends c to a FIFO (the ready or the memory list) unless it is on one
 * already.  Both lists link through c->next under CONN_QUEUED. */
static void enqueue(struct conn **head, struct conn **tail, size_t *len, struct conn *c)
{
    if (c->flags & CONN_QUEUED)
        return;
    c->flags |= CONN_QUEUED;
    c->next = NULL;
    if (*tail != NULL)
        (*tail)->next = c;
    else
        *head = c;
    *tail = c;
    (*len)++;
}

static void enqueue_ready(struct worker *w, struct conn *c)
{
    enqueue(&w->ready_head, &w->ready_tail, &w->ready_len, c);
}

/* The pool can lend again: the whole memory list joins the ready list's
 * tail.  One that finds the budget spent again goes back to wait. */
static void resume_memwait(struct worker *w)
{
    if (w->ready_tail != NULL)
        w->ready_tail->next = w->memwait_head;
    else
        w->ready_head = w->memwait_head;
    w->ready_tail = w->memwait_tail;
    w->ready_len += w->memwait_len;
    w->memwait_head = w->memwait_tail = NULL;
    w->memwait_len = 0;
}

/* A connection has just closed: count it.  Its slot goes on the closed
 * list, unless it sits on the ready or the memory list, which hands it
 * over when it reaches it. */
static void on_closed(struct worker *w, struct conn *c)
{
    w->active--;
    stats_sub(&w->stats, STATS_ACTIVE, 1);
    stats_add(&w->stats, STATS_CLOSED, 1);
    __atomic_fetch_sub(&w->cfg.ctl->active, 1, __ATOMIC_RELAXED);
    if (w->cfg.peers != NULL)
        peers_release(w->cfg.peers, &w->peers, c);
    if (!(c->flags & CONN_QUEUED)) {
        c->next = w->closed;
        w->closed = c;
    }
}

/* A deadline comes in ms: the next sweep comes by then. */
static void sweep_by(struct worker *w, uint64_t ms)
{
    if (ms != UINT64_MAX && w->now_ms + ms < w->sweep_at_ms)
        w->sweep_at_ms = w->now_ms + ms;
}

/* A connection has started its lingering close: it gets WORKER_LINGER_MS
 * for the peer's FIN (the grace period may end it sooner). */
static void on_linger(struct worker *w, struct conn *c)
{
    sweep_by(w, WORKER_LINGER_MS);
    if (c->flags & CONN_CAN_READ)
        enqueue_ready(w, c);
}

/* Acts on what a connection said it needs next. */
static inline void settle(struct worker *w, struct conn *c, enum conn_result r)
{
    if (__builtin_expect(r == CONN_WAIT, 1))
        return;
    if (r == CONN_MORE)
        enqueue_ready(w, c);
    else if (r == CONN_MEMWAIT)
        enqueue(&w->memwait_head, &w->memwait_tail, &w->memwait_len, c);
    else if (r == CONN_LINGER)
        on_linger(w, c);
    else
        on_closed(w, c);
}

static void release_closed(struct worker *w)
{
    while (w->closed != NULL) {
        struct conn *c = w->closed;
        w->closed = c->next;
        conn_set_state(c, CONN_FREE);
        slab_put(&w->slab, c);
    }
}

/* Runs the first `count` connections of the ready list (those queued
 * before this turn's events), each with env.budget. */
static void serve_ready(struct worker *w, size_t count)
{
    while (count-- > 0) {
        struct conn *c = w->ready_head;
        w->ready_head = c->next;
        if (w->ready_head == NULL)
            w->ready_tail = NULL;
        w->ready_len--;
        c->flags &= (uint8_t)~CONN_QUEUED;
        if (c->state == CONN_CLOSED) {
            c->next = w->closed;
            w->closed = c;
            continue;
        }
        settle(w, c, conn_io(c, &w->env, 0));
    }
}

static int is_open(const struct conn *c)
{
    return c->state == CONN_READING || c->state == CONN_BACKPRESSURE ||
           c->state == CONN_DRAINING || c->state == CONN_LINGERING || c->state == CONN_PROXY;
}

/* Closes every open connection, counting each under reason. */
static void close_all(struct worker *w, enum stats_id reason)
{
    for (size_t i = 0; i < slab_capacity(&w->slab); i++) {
        struct conn *c = slab_at(&w->slab, i);
        if (!is_open(c))
            continue;
        conn_abort(c, &w->env);
        stats_add(&w->stats, reason, 1);
        on_closed(w, c);
    }
}

/* Looks at every open connection's deadlines: closes those whose time
 * is up (counted by reason) and sets the next sweep for the earliest
 * deadline still to come, at least the floor away. */
static void sweep(struct worker *w)
{
    uint64_t next = UINT64_MAX;

    for (size_t i = 0; i < slab_capacity(&w->slab); i++) {
        struct conn *c = slab_at(&w->slab, i);
        uint64_t in_ms;
        if (!is_open(c))
            continue;
        enum stats_id why = timeouts_verdict(&w->timeouts, c, conn_owes(c, &w->env),
                                             w->env.now_ms, &in_ms);
        if (why == STATS_COUNT) {
            next = in_ms < next ? in_ms : next;
            continue;
        }
        conn_abort(c, &w->env);
        stats_add(&w->stats, why, 1);
        on_closed(w, c);
    }
    w->sweep_at_ms = UINT64_MAX;
    if (next != UINT64_MAX) {
        uint64_t floor = timeouts_floor_ms(&w->timeouts, slab_capacity(&w->slab));
        sweep_by(w, next > floor ? next : floor);
    }
}

/* ---- accepting ---- */

/* Closes a connection we will not serve and counts it under id.  close(2)
 * of a socket never used always frees the descriptor. */
static void refuse(struct worker *w, int fd, enum stats_id id)
{
    sysraw_close(fd);
    stats_add(&w->stats, id, 1);
}

/* Registers a new connection with epoll, once for good, and makes sure
 * a sweep comes by its first deadline.  Returns 0, or -1 when epoll_ctl
 * fails (counted). */
static int watch(struct worker *w, struct conn *c)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                              .data.ptr = c };

    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        stats_io_error(&w->stats, errno);
        return -1;
    }
    sweep_by(w, timeouts_first_ms(&w->timeouts, c->state == CONN_PROXY));
    return 0;
}

/* --max-conns-per-ip: counts c under addr (NULL: the socket's peer).
 * Returns 0, or -1 when c must be refused (counted). */
static int admit_peer(struct worker *w, struct conn *c, int fd, const struct sockaddr *addr)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (w->cfg.peers == NULL)
        return 0;
    if (addr == NULL) {
        if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) {
            stats_add(&w->stats, STATS_RESETS, 1); /* ENOTCONN: reset meanwhile */
            return -1;
        }
        addr = (const struct sockaddr *)&ss;
    }
    switch (peers_admit(w->cfg.peers, &w->peers, c, addr)) {
    case PEERS_ADMITTED:
        return 0;
    case PEERS_OVER:
        stats_add(&w->stats, STATS_PER_IP_REFUSED, 1);
        return -1;
    case PEERS_NOMEM:
        stats_add(&w->stats, STATS_NOMEM, 1);
        return -1;
    }
    return -1;
}

/* A connection in PROXY state had events: reads its header (never a data
 * byte), applies --max-conns-per-ip to the address it carries, then
 * serves it as any other, under the timeouts of any connection.  A
 * malformed header, or a peer that closes before a whole one arrives,
 * closes the connection (counted). */
static enum conn_result on_header(struct worker *w, struct conn *c, uint32_t events)
{
    struct proxy_header h;
    enum proxy_result r = proxy_recv(c->fd, &h);

    if (r == PROXY_MORE && !(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        return CONN_WAIT;
    if (r != PROXY_DONE) {
        stats_add(&w->stats, STATS_PROXY_INVALID, 1);
        conn_abort(c, &w->env);
        return CONN_DONE;
    }
    if (admit_peer(w, c, c->fd, h.local ? NULL : (const struct sockaddr *)&h.src) < 0) {
        conn_abort(c, &w->env);
        return CONN_DONE;
    }
    sweep_by(w, timeouts_first_ms(&w->timeouts, 0));
    return conn_start(c, &w->env);
}

/* Past the descriptor cap or EMFILE: said on stderr at most once a
 * second, for all workers together. */
static struct log_limit shed_log = LOG_LIMIT(LOG_LIMIT_MS);

static void log_shed(const struct worker *w, const char *why)
{
    log_errf_limited(&shed_log, "out of descriptors (%s): new connections are closed at "
                     "once (shed=%llu in worker %u)", why,
                     (unsigned long long)stats_get(&w->stats, STATS_SHED), w->cfg.index);
}

/* Takes an accepted socket: refused past --max-conns, shed past the
 * descriptor cap, else a connection. */
static void admit(struct worker *w, int fd)
{
    struct worker_control *ctl = w->cfg.ctl;
    uint64_t max = __atomic_load_n(&ctl->max_conns, __ATOMIC_RELAXED);
    struct conn *c;

    if (__atomic_fetch_add(&ctl->active, 1, __ATOMIC_RELAXED) >= max && max) {
        int fds = __atomic_load_n(&ctl->cap_is_fds, __ATOMIC_RELAXED);
        __atomic_fetch_sub(&ctl->active, 1, __ATOMIC_RELAXED);
        refuse(w, fd, fds ? STATS_SHED : STATS_REFUSED);
        if (fds)
            log_shed(w, "connection cap below the open-file limit reached");
        return;
    }
    c = slab_get(&w->slab);
    if (c == NULL) {
        __atomic_fetch_sub(&ctl->active, 1, __ATOMIC_RELAXED);
        refuse(w, fd, STATS_NOMEM);
        return;
    }
    if (!w->env.proxy && admit_peer(w, c, fd, NULL) < 0) { /* it counted why */
        __atomic_fetch_sub(&ctl->active, 1, __ATOMIC_RELAXED);
        slab_put(&w->slab, c);
        sysraw_close(fd);
        return;
    }
    w->active++;
    stats_add(&w->stats, STATS_ACCEPTED, 1);
    stats_add(&w->stats, STATS_ACTIVE, 1);
    if (w->timeouts.lifetime_ms != 0) /* the slot has room for it */
        c->opened_ms[0] = w->env.now_ms;
    enum conn_result r = conn_open(c, fd, &w->env);
    if ((r == CONN_WAIT || r == CONN_LINGER) && watch(w, c) < 0) {
        conn_abort(c, &w->env);
        r = CONN_DONE;
    }
    settle(w, c, r);
}

/* Nanoseconds until accepting is allowed: 0 now, UINT64_MAX while paused
 * or stopping. */
static uint64_t accept_delay_ns(const struct worker *w)
{
    uint64_t d;

    if (w->stopping || __atomic_load_n(&w->cfg.ctl->paused, __ATOMIC_RELAXED))
        return UINT64_MAX;
    d = w->accept_resume_ns > w->now_ns ? w->accept_resume_ns - w->now_ns : 0;
    if (w->rate_limited) {
        uint64_t r = listener_rate_delay(&w->rate, w->now_ns);
        if (r > d)
            d = r;
    }
    return d;
}

/* accept4 met EMFILE/ENFILE: every descriptor is in use (the limit was
 * lowered, or something else holds them), so the cap drops to the
 * connections open now and stays there; past it is shed.  Then one queued
 * client is shed through the reserve descriptor. */
static void shed(struct worker *w)
{
    struct worker_control *ctl = w->cfg.ctl;
    uint64_t active = __atomic_load_n(&ctl->active, __ATOMIC_RELAXED);
    uint64_t cap = __atomic_load_n(&ctl->max_conns, __ATOMIC_RELAXED);

    if (active == 0)
        active = 1; /* 0 would mean no cap */
    while ((cap == 0 || active < cap) &&
           !__atomic_compare_exchange_n(&ctl->max_conns, &cap, active, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
        ;
    __atomic_store_n(&ctl->cap_is_fds, 1, __ATOMIC_RELAXED);
    switch (listener_shed(&w->listener, &w->stats)) {
    case LISTENER_EMPTY:
        w->accept_pending = 0;
        break;
    case LISTENER_BACKOFF:
        w->accept_resume_ns = w->now_ns + LISTENER_BACKOFF_MS * CLOCK_NS_PER_MS;
        break;
    default:
        break;
    }
    log_shed(w, "accept4 failed with EMFILE or ENFILE");
}

/* Accepts while the listener may hold connections, accepting is allowed,
 * and the per-turn budget lasts. */
static void accept_some(struct worker *w)
{
    for (int i = 0; i < WORKER_ACCEPT_BUDGET && w->accept_pending && accept_delay_ns(w) == 0;
         i++) {
        int fd;
        switch (listener_accept(&w->listener, &w->stats, &fd)) {
        case LISTENER_ACCEPTED:
            if (w->rate_limited)
                listener_rate_note(&w->rate, w->now_ns);
            admit(w, fd);
            break;
        case LISTENER_EMPTY:
            w->accept_pending = 0;
            break;
        case LISTENER_NOFDS:
            shed(w);
            break;
        case LISTENER_SHED:
            break;
        case LISTENER_BACKOFF:
            w->accept_resume_ns = w->now_ns + LISTENER_BACKOFF_MS * CLOCK_NS_PER_MS;
            break;
        }
    }
}

/* ---- control from the main thread ---- */

/* At stop, takes every connection still in the accept queue (they are
 * served like the others, past the cap shed), then shuts the listener
 * down so that no more come: shutdown, not close, so that no descriptor
 * number is reused while another worker may still call accept4 on a
 * shared listener (whose second shutdown fails harmlessly with ENOTCONN).
 * A connection that completes its handshake between the last accept and
 * the shutdown is reset by the kernel: that window is a few syscalls. */
static void drain_accept_queue(struct worker *w)
{
    enum listener_result r;
    int fd;

    do {
        r = listener_accept(&w->listener, &w->stats, &fd);
        if (r == LISTENER_ACCEPTED)
            admit(w, fd);
        else if (r == LISTENER_NOFDS)
            shed(w);
    } while (r == LISTENER_ACCEPTED || r == LISTENER_NOFDS);
    if (shutdown(w->cfg.listen_fd, SHUT_RDWR) < 0 && errno != ENOTCONN)
        log_errf("worker %u: shutdown of listener: %s", w->cfg.index, strerror(errno));
}

/* SIGINT/SIGTERM: the accept queue is drained and the listener shut
 * down (an inherited one is only no longer watched: what is queued there
 * is the next instance's); every connection gets one more read, so input already queued in
 * the kernel is echoed, then stops echoing and closes without losing what
 * it sent (conn_stop: all owed output, then the lingering close), within
 * the grace period. */
static void begin_stop(struct worker *w)
{
    /* Fails only if the listener was never added, which worker_create
     * rules out; an inherited socket stays open in the manager, so its
     * edges must stop waking (and, with EPOLLEXCLUSIVE, being taken by)
     * a worker that will not accept. */
    if (w->cfg.inherited && epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->cfg.listen_fd, NULL) < 0)
        stats_io_error(&w->stats, errno);
    w->stopping = 1;
    w->grace_end_ms = w->now_ms + w->cfg.opt->grace_ms;
    if (!w->cfg.inherited)
        drain_accept_queue(w);
    for (size_t i = 0; i < slab_capacity(&w->slab); i++) {
        struct conn *c = slab_at(&w->slab, i);
        if (c->state == CONN_PROXY) {
            /* A header already in: served like the rest; else nothing owed. */
            settle(w, c, on_header(w, c, EPOLLIN));
            if (c->state == CONN_PROXY) {
                conn_abort(c, &w->env);
                on_closed(w, c);
            }
        }
        if (is_open(c))
            settle(w, c, conn_stop(c, &w->env));
    }
}

/* The eventfd fired: re-read the control block.  A resume may follow a
 * pause during which listener edges were consumed, so the listener is
 * tried again (at worst one accept4 that returns EAGAIN). */
static void on_wake(struct worker *w)
{
    uint64_t count;

    /* Fails only with EAGAIN (counter already read): nothing to do. */
    if (read(w->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        stats_io_error(&w->stats, errno);
    w->accept_pending = 1;
    if (__atomic_load_n(&w->cfg.ctl->stop, __ATOMIC_RELAXED) && !w->stopping)
        begin_stop(w);
}

/* ---- the loop ---- */

/* A connection on the ready or the memory list is run from there (the
 * ready list later in this turn); its events are only noted. */
static void dispatch(struct worker *w, const struct epoll_event *ev)
{
    struct conn *c = ev->data.ptr;

    if (__builtin_expect(ev->data.u64 <= TAG_LISTEN, 0)) { /* tags are never pointers */
        if (ev->data.u64 == TAG_WAKE)
            on_wake(w);
        else
            w->accept_pending = 1;
    } else if (__builtin_expect(c->flags & CONN_QUEUED, 0)) {
        conn_note(c, ev->events);
    } else if (__builtin_expect(c->state == CONN_PROXY, 0)) {
        settle(w, c, on_header(w, c, ev->events));
    } else if (c->state != CONN_CLOSED) { /* closed earlier in this batch */
        settle(w, c, conn_io(c, &w->env, ev->events));
    }
}

/* The even share of a turn among `active` connections, within
 * [WORKER_QUANTUM_MIN, WORKER_TURN_BUDGET]. */
static uint32_t share(size_t active)
{
    size_t q = active > 0 ? WORKER_TURN_BUDGET / active : WORKER_TURN_BUDGET;
    return q < WORKER_QUANTUM_MIN ? WORKER_QUANTUM_MIN : (uint32_t)q;
}

static int64_t earliest(int64_t t, uint64_t ms)
{
    if (ms > INT_MAX)
        ms = INT_MAX;
    return (t < 0 || (uint64_t)t > ms) ? (int64_t)ms : t;
}

/* The epoll_wait timeout in ms: 0 when work is ready, else until the
 * next sweep, accept retry or the grace deadline; -1 for none. */
static int next_timeout(struct worker *w)
{
    int64_t t;

    if (w->ready_len > 0)
        return 0;
    t = -1;
    if (w->sweep_at_ms != UINT64_MAX)
        t = earliest(t, w->sweep_at_ms > w->now_ms ? w->sweep_at_ms - w->now_ms : 0);
    if (w->accept_pending) {
        uint64_t d = accept_delay_ns(w);
        if (d != UINT64_MAX)
            t = earliest(t, (d + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS);
    }
    if (w->stopping)
        t = earliest(t, w->grace_end_ms > w->now_ms ? w->grace_end_ms - w->now_ms : 0);
    return t > INT_MAX ? INT_MAX : (int)t;
}

/* The worker has stopped and every connection is closed: its thread ends. */
static int finished(const struct worker *w)
{
    return w->stopping && w->active == 0;
}

/* One loop turn; see the comment at the top of the file. */
static void turn(struct worker *w)
{
    int n = sysraw_epoll_wait(w->epfd, w->events, WORKER_EVENTS, next_timeout(w));

    if (n < 0) {
        if (errno != EINTR) {
            log_errf("worker %u: epoll_wait: %s", w->cfg.index, strerror(errno));
            log_flush(1000);
            exit(1);
        }
        n = 0;
    }
    tick(w);
    size_t queued = w->ready_len;
    w->env.budget = share((size_t)n + queued);
    for (int i = 0; i < n; i++)
        dispatch(w, &w->events[i]);
    if (n > 0)
        w->env.budget = WORKER_QUANTUM_MIN; /* fresh events wait on the flooders */
    serve_ready(w, queued);
    if (w->now_ms >= w->sweep_at_ms)
        sweep(w);
    accept_some(w);
    if (w->stopping && w->now_ms >= w->grace_end_ms)
        close_all(w, STATS_GRACE_CLOSED);
    if (w->memwait_head != NULL && w->pool.read_unit > 0)
        resume_memwait(w);
    release_closed(w);
}

static void run(struct worker *w)
{
    while (!finished(w))
        turn(w);
}

/* --cpu-affinity: pins the calling worker to the index-th CPU it may run
 * on (CPU i when all are allowed).  A failure is reported, not fatal. */
static void pin(const struct worker *w)
{
    cpu_set_t allowed, one;
    int rc = sched_getaffinity(0, sizeof(allowed), &allowed) < 0 ? errno : 0;

    if (rc == 0) {
        int skip = (int)(w->cfg.index % (unsigned)CPU_COUNT(&allowed));
        int cpu = 0;
        while (!CPU_ISSET(cpu, &allowed) || skip-- > 0)
            cpu++;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        rc = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
    }
    if (rc != 0)
        log_errf("worker %u: --cpu-affinity: %s", w->cfg.index, strerror(rc));
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    uint64_t one = 1;

    if (w->cfg.opt->cpu_affinity)
        pin(w);
    run(w);
    /* An eventfd write fails only when the counter would overflow 2^64-2. */
    if (write(w->cfg.done_fd, &one, sizeof(one)) < 0)
        log_errf("worker %u: eventfd: %s", w->cfg.index, strerror(errno));
    return NULL;
}

/* ---- life cycle ---- */

uint32_t worker_read_unit(const struct options *o)
{
    return o->buffer_size > WORKER_READ_UNIT ? o->buffer_size : WORKER_READ_UNIT;
}

static void init_env(struct worker *w)
{
    const struct options *o = w->cfg.opt;

    w->env.ops = w->cfg.ops != NULL ? w->cfg.ops : &conn_sys_ops;
    w->env.pool = &w->pool;
    w->env.rings = &w->rings;
    w->env.stats = &w->stats;
    w->env.banner = o->banner;
    w->env.banner_len = o->banner_len;
    w->env.budget = WORKER_TURN_BUDGET;
    w->env.mode = o->mode;
    w->env.proxy = o->proxy_protocol;
}

static int add_watch(struct worker *w, int fd, uint32_t events, uint64_t tag)
{
    struct epoll_event ev = { .events = events, .data.u64 = tag };
    return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Opens the worker's descriptors: with --splice its pipes too (only for
 * the real socket table: a fake socket has nothing to splice).  Returns
 * NULL, or the name of the call that failed (errno set). */
static const char *open_fds(struct worker *w)
{
    uint32_t listen_ev = EPOLLIN | EPOLLET | (w->cfg.opt->shared_listener ? EPOLLEXCLUSIVE : 0);
    const char *failed;

    if (w->cfg.opt->splice && w->env.ops == &conn_sys_ops) {
        if (splice_pool_init(&w->splice, SPLICE_PIPES, SPLICE_PIPE_BYTES, &failed) < 0)
            return failed;
        w->env.splice = &w->splice;
        stats_add(&w->stats, STATS_PIPES, w->splice.count);
    }

    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0)
        return "epoll_create1";
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->wake_fd < 0)
        return "eventfd";
    listener_init(&w->listener, w->cfg.listen_fd, &w->cfg.ctl->reserve);
    if (add_watch(w, w->wake_fd, EPOLLIN | EPOLLET, TAG_WAKE) < 0 ||
        add_watch(w, w->cfg.listen_fd, listen_ev, TAG_LISTEN) < 0)
        return "epoll_ctl";
    return NULL;
}

struct worker *worker_create(const struct worker_config *cfg, char *err, size_t errlen)
{
    size_t size = (sizeof(struct worker) + STATS_CACHE_LINE - 1) / STATS_CACHE_LINE *
                  STATS_CACHE_LINE;
    struct worker *w = aligned_alloc(STATS_CACHE_LINE, size);
    const struct options *o = cfg->opt;
    const char *failed;

    if (w == NULL) {
        snprintf(err, errlen, "worker %u: out of memory", cfg->index);
        return NULL;
    }
    memset(w, 0, size);
    w->cfg = *cfg;
    w->epfd = w->wake_fd = -1;
    w->start_ns = clock_now_ns();
    tick(w);
    pool_init(&w->pool, o->buffer_size, worker_read_unit(o), WORKER_LARGE_BUFFERS,
              o->buffer_memory / o->workers);
    slab_init(&w->slab, CONN_SIZE(o->max_lifetime_ms != 0));
    ringtab_init(&w->rings);
    timeouts_init(&w->timeouts, o, WORKER_LINGER_MS, PROXY_TIMEOUT_MS);
    w->sweep_at_ms = UINT64_MAX;
    init_env(w);
    if (o->accept_rate != OPTIONS_RATE_UNLIMITED && o->accept_rate > 0) {
        w->rate_limited = 1;
        listener_rate_init(&w->rate, o->accept_rate, w->now_ns);
    }
    w->env.scratch_size = worker_read_unit(o);
    w->env.scratch = malloc(w->env.scratch_size);
    if (w->env.scratch == NULL) {
        snprintf(err, errlen, "worker %u: out of memory", cfg->index);
        worker_destroy(w);
        return NULL;
    }
    failed = open_fds(w);
    if (failed != NULL) {
        snprintf(err, errlen, "worker %u: %s: %s", cfg->index, failed, strerror(errno));
        worker_destroy(w);
        return NULL;
    }
    return w;
}

int worker_start(struct worker *w)
{
    return pthread_create(&w->thread, NULL, worker_main, w);
}

void worker_kick(struct worker *w)
{
    uint64_t one = 1;

    /* An eventfd write fails only when the counter would overflow 2^64-2. */
    if (write(w->wake_fd, &one, sizeof(one)) < 0)
        log_errf("worker %u: eventfd: %s", w->cfg.index, strerror(errno));
}

/* pthread_join fails only for a thread that was never started or is
 * already joined; main joins each started worker exactly once. */
void worker_join(struct worker *w)
{
    pthread_join(w->thread, NULL);
}

void worker_adopt(struct worker *w, int fd)
{
    admit(w, fd);
}

int worker_turn(struct worker *w)
{
    turn(w);
    return !finished(w);
}

const struct stats_counters *worker_stats(const struct worker *w)
{
    return &w->stats;
}

void worker_destroy(struct worker *w)
{
    close_all(w, STATS_GRACE_CLOSED);
    release_closed(w);
    peers_local_destroy(&w->peers);
    free(w->env.scratch);
    pool_destroy(&w->pool);
    ringtab_destroy(&w->rings);
    splice_pool_destroy(&w->splice);
    slab_destroy(&w->slab);
    /* An epoll instance and an eventfd hold no data a failed close could lose. */
    if (w->epfd >= 0)
        os_close(w->epfd);
    if (w->wake_fd >= 0)
        os_close(w->wake_fd);
    free(w);
}
