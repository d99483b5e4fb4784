/* conn.c - the connection state machine and its I/O (see conn.h).
 *
 * conn_io is the whole per-event path: write what is owed (write first),
 * then read while the ring has room and the kernel may hold input, until
 * the readiness flags say the next syscall would only return EAGAIN or the
 * per-turn budget is spent.
 *
 * While nothing is owed (the common case), echo reads into the worker's
 * scratch buffer, up to the pool's read unit at once, and writes straight
 * back from it: no buffer is taken, and the same few cache lines serve
 * every connection of the worker.  Only what a short write leaves over is
 * copied into a buffer from the pool (a --buffer-size one when it fits,
 * else a large one), and while that ring holds bytes, input is read into
 * the ring behind them, so order is kept.  The read unit shrinks with what
 * the pool can still give, so the leftover always has a buffer; when the
 * budget is spent it is 0, and a connection that would read waits
 * (CONN_MEMWAIT) with its input left in the kernel.  Discard reads into
 * the scratch buffer too; hello writes its banner from the options and
 * buffers only what a short write left.
 *
 * With --splice, a direct read that fills the read unit takes a pipe and
 * hands the connection to stream(), which splices through it while the
 * connection streams and returns it to the copy path when it stops (see
 * conn.h).  The copy path pays one test of env->splice per conn_io.
 */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sysraw.h"

/* The per-message helpers, inlined into conn_io whatever the compiler's
 * size heuristics say: each runs at least once per message, where a call
 * and the register spills around it are a real share of the work. */
#define HOT static inline __attribute__((always_inline))

/* ---- socket operations ---- */

static ssize_t sys_read(int fd, const struct iovec *iov, int iovcnt)
{
    if (iovcnt == 1)
        return sysraw_recv(fd, iov[0].iov_base, iov[0].iov_len);
    return sysraw_readv(fd, iov, iovcnt);
}

static ssize_t sys_write(int fd, const struct iovec *iov, int iovcnt)
{
    if (iovcnt == 1)
        return sysraw_send(fd, iov[0].iov_base, iov[0].iov_len);
    struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
    return sysraw_sendmsg(fd, &msg);
}

static int sys_shutdown_write(int fd)
{
    return shutdown(fd, SHUT_WR);
}

const struct conn_sock_ops conn_sys_ops = {
    .read = sys_read,
    .write = sys_write,
    .shutdown_write = sys_shutdown_write,
    .close = sysraw_close,
};

/* The reads and writes of the per-message path.  With the real table
 * (every worker's) they enter the kernel inline, with no indirect call
 * and no iovec for a single buffer; any other table, the tests' fake
 * socket, is called through.  The comparison is a compare and a branch;
 * the indirect call it saves would also build an iovec and spill
 * registers. */
#define SOCK_IS_SYS(e) __builtin_expect((e)->ops == &conn_sys_ops, 1)

/* The fake socket's single-buffer calls, kept out of line so that the
 * real path builds no iovec. */
static __attribute__((noinline)) ssize_t ops_recv(const struct conn_env *e, int fd, void *buf,
                                                  size_t len)
{
    struct iovec iov = { buf, len };

    return e->ops->read(fd, &iov, 1);
}

static __attribute__((noinline)) ssize_t ops_send(const struct conn_env *e, int fd,
                                                  const void *buf, size_t len)
{
    struct iovec iov = { (void *)buf, len };

    return e->ops->write(fd, &iov, 1);
}

HOT ssize_t sock_recv(const struct conn_env *e, int fd, void *buf, size_t len)
{
    return SOCK_IS_SYS(e) ? sysraw_recv(fd, buf, len) : ops_recv(e, fd, buf, len);
}

HOT ssize_t sock_send(const struct conn_env *e, int fd, const void *buf, size_t len)
{
    return SOCK_IS_SYS(e) ? sysraw_send(fd, buf, len) : ops_send(e, fd, buf, len);
}

/* Ring reads and writes: 1 or 2 iovecs. */
HOT ssize_t sock_readv(const struct conn_env *e, int fd, const struct iovec *iov, int cnt)
{
    return SOCK_IS_SYS(e) ? sys_read(fd, iov, cnt) : e->ops->read(fd, iov, cnt);
}

HOT ssize_t sock_writev(const struct conn_env *e, int fd, const struct iovec *iov, int cnt)
{
    return SOCK_IS_SYS(e) ? sys_write(fd, iov, cnt) : e->ops->write(fd, iov, cnt);
}

/* ---- states ---- */

#define BIT(s) (1u << (s))
static const unsigned legal_next[CONN_NSTATES] = {
    [CONN_FREE] = BIT(CONN_READING) | BIT(CONN_DRAINING) | BIT(CONN_PROXY),
    [CONN_PROXY] = BIT(CONN_READING) | BIT(CONN_DRAINING) | BIT(CONN_CLOSED),
    [CONN_READING] = BIT(CONN_BACKPRESSURE) | BIT(CONN_DRAINING) | BIT(CONN_CLOSED),
    [CONN_BACKPRESSURE] = BIT(CONN_READING) | BIT(CONN_DRAINING) | BIT(CONN_CLOSED),
    [CONN_DRAINING] = BIT(CONN_LINGERING) | BIT(CONN_CLOSED),
    [CONN_LINGERING] = BIT(CONN_CLOSED),
    [CONN_CLOSED] = BIT(CONN_FREE),
};

const char *conn_state_name(enum conn_state s)
{
    static const char *const names[CONN_NSTATES] = {
        [CONN_FREE] = "free",
        [CONN_READING] = "reading",
        [CONN_BACKPRESSURE] = "backpressure",
        [CONN_DRAINING] = "draining",
        [CONN_LINGERING] = "lingering",
        [CONN_CLOSED] = "closed",
        [CONN_PROXY] = "proxy",
    };
    return (unsigned)s < CONN_NSTATES ? names[s] : "invalid";
}

int conn_transition_ok(enum conn_state from, enum conn_state to)
{
    return (unsigned)from < CONN_NSTATES && (unsigned)to < CONN_NSTATES &&
           (legal_next[from] & BIT(to)) != 0;
}

void conn_set_state(struct conn *c, enum conn_state to)
{
    if (!conn_transition_ok(c->state, to)) {
        fprintf(stderr, "echod: bug: connection on fd %d: illegal transition %s -> %s\n",
                c->fd, conn_state_name(c->state), conn_state_name(to));
        abort();
    }
    c->state = (uint8_t)to;
}

/* ---- closing ---- */

/* The ring of bytes owed; only while c->ring is not 0. */
HOT struct ring *owed(const struct conn *c, const struct conn_env *e)
{
    return ringtab_at(e->rings, c->ring);
}

/* Gives the ring's buffer back to the pool and its header back to the
 * table, dropping what it still holds: nothing is owed any more, and an
 * idle connection holds neither. */
static void release_ring(struct conn *c, const struct conn_env *e)
{
    struct ring *r = owed(c, e);
    uint32_t size = ring_capacity(r);

    ring_consume(r, ring_used(r));
    pool_put(e->pool, ring_detach(r), size);
    ringtab_put(e->rings, c->ring);
    c->ring = 0;
    stats_sub(e->stats, STATS_BUFFERED, size);
}

/* Gives the pipe c holds, if any, back to the worker, dropping what is
 * still in it (a connection that closes owing bytes). */
static __attribute__((noinline)) void release_pipe(struct conn *c, const struct conn_env *e)
{
    struct splice_pipe *q = splice_find(e->splice, c->fd);

    if (q == NULL)
        return;
    stats_sub(e->stats, STATS_PIPED, q->held);
    stats_sub(e->stats, STATS_PIPES_LENT, 1);
    int err = splice_release(e->splice, q, e->scratch, e->scratch_size);
    if (err != 0) { /* the pipe was closed: one fewer */
        stats_io_error(e->stats, err);
        stats_sub(e->stats, STATS_PIPES, 1);
    }
}

/* Closes the descriptor and drops any pending output.  close(2) on a
 * socket always releases the descriptor; an error it reports (EINTR, EIO)
 * leaves nothing to retry, so it is only counted. */
static void close_now(struct conn *c, const struct conn_env *e)
{
    if (c->ring != 0)
        release_ring(c, e);
    if (e->splice != NULL)
        release_pipe(c, e);
    conn_set_state(c, CONN_CLOSED);
    if (e->ops->close(c->fd) < 0 && errno != EINTR)
        stats_io_error(e->stats, errno);
    c->fd = -1;
}

/* A socket call failed with err: count it by kind and close quietly.
 * ENOTCONN (shutdown after the peer's reset) is a reset too. */
static enum conn_result fail(struct conn *c, const struct conn_env *e, int err)
{
    if (err == ECONNRESET || err == ENOTCONN)
        stats_add(e->stats, STATS_RESETS, 1);
    else if (err == EPIPE)
        stats_add(e->stats, STATS_EPIPE, 1);
    else
        stats_io_error(e->stats, err);
    close_now(c, e);
    return CONN_DONE;
}

/* Everything owed has been sent.  When the peer's FIN was read with all
 * its input (DRAINING from a read), close: that sends our FIN, and no
 * shutdown is needed.  Otherwise (hello, conn_stop) the peer may still
 * send, and closing now would answer with a reset: linger, after shutting
 * our write side down unless the peer's FIN has come (then only its unread
 * input and the FIN are left to read). */
static enum conn_result finish(struct conn *c, const struct conn_env *e)
{
    if (!(c->flags & CONN_UNREAD)) {
        close_now(c, e);
        return CONN_DONE;
    }
    if (!(c->flags & CONN_PEER_FIN) && e->ops->shutdown_write(c->fd) < 0)
        return fail(c, e, errno);
    conn_set_state(c, CONN_LINGERING);
    c->last_active_ms = e->now_ms; /* its deadline counts from here */
    return CONN_LINGER;
}

/* LINGERING: reads and drops input, at most the budget per turn, until
 * the peer's FIN (then closes: nothing is left unread, so no reset). */
static enum conn_result linger(struct conn *c, const struct conn_env *e)
{
    int64_t budget = e->budget;

    while (c->flags & CONN_CAN_READ) {
        ssize_t n;
        if (budget <= 0)
            return CONN_MORE;
        do
            n = sock_recv(e, c->fd, e->scratch, e->scratch_size);
        while (n < 0 && errno == EINTR);
        if (n == 0) {
            close_now(c, e);
            return CONN_DONE;
        }
        if (n < 0 && errno != EAGAIN)
            return fail(c, e, errno);
        if (n < 0)
            c->flags &= (uint8_t)~CONN_CAN_READ;
        else
            stats_add(e->stats, STATS_BYTES_IN, (uint64_t)n), budget -= n;
    }
    return CONN_WAIT;
}

void conn_abort(struct conn *c, const struct conn_env *e)
{
    close_now(c, e);
}

int conn_owes(const struct conn *c, const struct conn_env *e)
{
    const struct splice_pipe *q;

    if (c->ring != 0)
        return 1;
    q = e->splice != NULL ? splice_find(e->splice, c->fd) : NULL;
    return q != NULL && q->held > 0;
}

/* ---- I/O ---- */

/* c owes nothing: gives it a ring with a pool buffer for need bytes
 * and copies them in.  After a read of at most the pool's read unit a
 * buffer can always be had; pool_get fails only when malloc does, or for
 * a banner leftover while the budget is spent.  Returns 0, or -1 after
 * closing the connection (counted as nomem). */
static int owe(struct conn *c, const struct conn_env *e, const uint8_t *src, uint32_t need)
{
    uint32_t size;
    uint8_t *buf = pool_get(e->pool, need, &size);
    uint32_t h = buf != NULL ? ringtab_get(e->rings) : 0;

    if (h == 0) {
        if (buf != NULL)
            pool_put(e->pool, buf, size);
        stats_add(e->stats, STATS_NOMEM, 1);
        close_now(c, e);
        return -1;
    }
    c->ring = h;
    ring_attach(owed(c, e), buf, size);
    ring_push(owed(c, e), src, need);
    stats_add(e->stats, STATS_BUFFERED, size);
    return 0;
}

/* One write call (retried on EINTR).  Returns the bytes written, 0 when
 * the send buffer is full (EAGAIN), or -1 after closing on an error. */
HOT ssize_t write_some(struct conn *c, const struct conn_env *e,
                       const struct iovec *iov, int cnt)
{
    ssize_t n;

    do
        n = cnt == 1 ? sock_send(e, c->fd, iov[0].iov_base, iov[0].iov_len)
                     : sock_writev(e, c->fd, iov, cnt);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN) {
        fail(c, e, errno);
        return -1;
    }
    n = n < 0 ? 0 : n;
    stats_add(e->stats, STATS_BYTES_OUT, (uint64_t)n);
    return n;
}

/* Writes as much of the ring as the socket takes in one call.  A short
 * write means the send buffer is full: wait for EPOLLOUT.  A ring written
 * out gives its buffer back at once, so the next read may take the whole
 * read unit again.  Returns 0, or -1 after closing the connection on an
 * error. */
static int flush(struct conn *c, const struct conn_env *e)
{
    struct iovec iov[2];
    struct ring *r = owed(c, e);
    int cnt = ring_data_iov(r, iov);
    uint32_t want = ring_used(r);
    ssize_t n = write_some(c, e, iov, cnt);

    if (n < 0)
        return -1;
    ring_consume(r, (uint32_t)n);
    if (n > 0)
        c->last_active_ms = e->now_ms;
    if ((uint32_t)n < want)
        c->flags &= (uint8_t)~CONN_CAN_WRITE;
    else
        release_ring(c, e);
    return 0;
}

/* Echo's direct path: writes the n bytes just read into the scratch
 * buffer back at once, and copies into a ring what the socket does not
 * take.  Returns 0, or -1 after closing. */
HOT int echo_back(struct conn *c, const struct conn_env *e, uint32_t n)
{
    uint32_t sent = 0;

    if (c->flags & CONN_CAN_WRITE) {
        struct iovec iov = { e->scratch, n };
        ssize_t w = write_some(c, e, &iov, 1);
        if (w < 0)
            return -1;
        sent = (uint32_t)w;
        if (sent < n)
            c->flags &= (uint8_t)~CONN_CAN_WRITE;
    }
    if (sent < n && owe(c, e, e->scratch + sent, n - sent) < 0)
        return -1;
    return 0;
}

/* What fill found. */
enum fill_result {
    FILL_AGAIN = 0,  /* look again: more may be done now */
    FILL_EMPTY = 1,  /* the receive queue is proven empty, still READING: nothing
                        more until the next event (a non-empty ring here means
                        the send buffer is full) */
    FILL_MEMORY = 2, /* nothing owed and the pool's read unit is 0: wait for memory */
    FILL_PIPE = 3,   /* --splice: the read filled the unit and c took a pipe: stream */
    FILL_CLOSED = -1,
};

/* ---- zero-copy echo (--splice) ---- */

/* What stream() returns besides a conn_result: the pipe is given back,
 * and serve's copy loop goes on. */
#define STREAM_COPY (-1)

/* A direct read of c, which owes nothing, filled the read unit: c streams.
 * Borrows a pipe; none free, the copy path goes on (counted). */
static __attribute__((noinline)) enum fill_result take_pipe(struct conn *c,
                                                            const struct conn_env *e)
{
    if (splice_take(e->splice, c->fd) == NULL) {
        stats_add(e->stats, STATS_PIPE_MISSES, 1);
        return FILL_AGAIN;
    }
    stats_add(e->stats, STATS_PIPES_LENT, 1);
    return FILL_PIPE;
}

/* Sends what q holds, as far as the send buffer takes it; a short splice
 * means the send buffer is full.  Returns 0, or -1 after closing. */
static int pipe_flush(struct conn *c, const struct conn_env *e, struct splice_pipe *q)
{
    uint32_t want = q->held;
    ssize_t n = splice_out(q, c->fd);

    if (n < 0 && errno != EAGAIN) {
        fail(c, e, errno);
        return -1;
    }
    n = n < 0 ? 0 : n;
    stats_add(e->stats, STATS_BYTES_OUT, (uint64_t)n);
    stats_sub(e->stats, STATS_PIPED, (uint64_t)n);
    if (n > 0)
        c->last_active_ms = e->now_ms;
    if ((uint32_t)n < want)
        c->flags &= (uint8_t)~CONN_CAN_WRITE;
    return 0;
}

/* Splices at most *budget (and the pipe's capacity) from c's socket into
 * its empty pipe q, as fill reads: EAGAIN clears CONN_CAN_READ, 0 is the
 * peer's FIN (DRAINING).  A splice short of what it asked proves nothing
 * (the pipe may have run out of slots first), so only EAGAIN ends the
 * stream.  Returns 0, or -1 after closing. */
static int pipe_fill(struct conn *c, const struct conn_env *e, struct splice_pipe *q,
                     int64_t *budget)
{
    size_t want = (uint64_t)*budget < e->splice->capacity ? (size_t)*budget
                                                           : e->splice->capacity;
    ssize_t n = splice_in(q, c->fd, want);

    if (n < 0) {
        if (errno != EAGAIN) {
            fail(c, e, errno);
            return -1;
        }
        c->flags &= (uint8_t)~CONN_CAN_READ;
        return 0;
    }
    if (n == 0) {
        c->flags = (uint8_t)((c->flags & ~CONN_CAN_READ) | CONN_PEER_FIN);
        conn_set_state(c, CONN_DRAINING);
        return 0;
    }
    stats_add(e->stats, STATS_BYTES_IN, (uint64_t)n);
    stats_add(e->stats, STATS_SPLICED, (uint64_t)n);
    stats_add(e->stats, STATS_PIPED, (uint64_t)n);
    c->last_active_ms = e->now_ms;
    *budget -= n;
    return 0;
}

/* Echoes c through the pipe it holds: send what the pipe holds, and once
 * it is empty splice the next piece in, while the share of the turn
 * lasts.  Nothing is read while the pipe holds bytes, so c holds at most
 * the pipe's capacity.  The pipe goes back once it is empty and c has
 * drained: its receive queue found empty (EAGAIN), or DRAINING.  Returns
 * a conn_result, or STREAM_COPY after giving the pipe back. */
static int stream(struct conn *c, const struct conn_env *e, struct splice_pipe *q,
                  int64_t *budget)
{
    for (;;) {
        if (q->held > 0 && (c->flags & CONN_CAN_WRITE) && pipe_flush(c, e, q) < 0)
            return CONN_DONE;
        if (q->held > 0)
            return CONN_WAIT; /* the send buffer is full: EPOLLOUT will come */
        if (c->state != CONN_READING || !(c->flags & CONN_CAN_READ)) {
            splice_give(e->splice, q);
            stats_sub(e->stats, STATS_PIPES_LENT, 1);
            return STREAM_COPY;
        }
        if (*budget <= 0)
            return CONN_MORE;
        if (pipe_fill(c, e, q, budget) < 0)
            return CONN_DONE;
    }
}

/* What stream_on returns: a conn_result, or STREAM_COPY with the budget
 * left for serve's copy loop.  Returned by value (in two registers), so
 * that serve's budget never has its address taken and stays in a
 * register on the per-message path. */
struct streamed {
    int result;
    int64_t budget;
};

/* Streams c if it holds a pipe (at the start of serve, or after a read
 * took one), with budget.  Holding none: STREAM_COPY, budget untouched. */
static __attribute__((noinline)) struct streamed stream_on(struct conn *c,
                                                           const struct conn_env *e,
                                                           int64_t budget)
{
    struct splice_pipe *q = splice_find(e->splice, c->fd);
    struct streamed r = { STREAM_COPY, budget };

    if (q != NULL)
        r.result = stream(c, e, q, &r.budget);
    return r;
}

/* What a read of want bytes that returned n means, before its bytes are
 * used: FILL_AGAIN with *budget charged when n bytes came, else what fill
 * returns (EAGAIN, the peer's FIN, a read unit of 0, an error). */
HOT enum fill_result took(struct conn *c, const struct conn_env *e, ssize_t n, size_t want,
                          int64_t *budget)
{
    if (n < 0) {
        if (errno != EAGAIN) {
            fail(c, e, errno);
            return FILL_CLOSED;
        }
        c->flags &= (uint8_t)~CONN_CAN_READ;
        return FILL_EMPTY;
    }
    if (n == 0) {
        if (__builtin_expect(want == 0, 0))
            return FILL_MEMORY;
        c->flags = (uint8_t)((c->flags & ~CONN_CAN_READ) | CONN_PEER_FIN);
        conn_set_state(c, CONN_DRAINING);
        return FILL_AGAIN;
    }
    stats_add(e->stats, STATS_BYTES_IN, (uint64_t)n);
    c->last_active_ms = e->now_ms;
    *budget -= n;
    return FILL_AGAIN;
}

/* After n bytes of a read of want: a short read proves the receive queue
 * empty (then only the FIN may be left), a full ring means BACKPRESSURE. */
HOT enum fill_result settled(struct conn *c, const struct conn_env *e, ssize_t n, size_t want)
{
    if ((size_t)n < want) {
        c->flags &= (uint8_t)~CONN_CAN_READ;
        if (!(c->flags & CONN_PEER_FIN))
            return FILL_EMPTY;
        conn_set_state(c, CONN_DRAINING); /* only the FIN is left */
    } else if (c->ring != 0) {
        if (ring_full(owed(c, e)))
            conn_set_state(c, CONN_BACKPRESSURE);
    } else if (__builtin_expect(e->splice != NULL, 0) && n == e->pool->read_unit &&
               e->mode == OPTIONS_MODE_ECHO) {
        /* --splice: a direct read filled the unit and all of it was
         * written back (so the pipe's bytes follow every byte sent). */
        return take_pipe(c, e);
    }
    return FILL_AGAIN;
}

/* fill for a connection that owes bytes: reads into its ring's free space
 * (not capped: the ring bounds it, and trimming its iovecs would cost
 * every message), behind what it owes, so order is kept.  Out of line:
 * the per-message path owes nothing. */
static __attribute__((noinline)) enum fill_result fill_owed(struct conn *c,
                                                            const struct conn_env *e,
                                                            int64_t *budget)
{
    struct iovec iov[2];
    struct ring *r = owed(c, e);
    int cnt = ring_free_iov(r, iov);
    size_t want = ring_free(r);
    ssize_t n;

    do
        n = sock_readv(e, c->fd, iov, cnt);
    while (n < 0 && errno == EINTR);
    enum fill_result f = took(c, e, n, want, budget);
    if (f != FILL_AGAIN || n == 0)
        return f;
    ring_produce(r, (uint32_t)n);
    return settled(c, e, n, want);
}

/* Reads once (*budget > 0): into the scratch buffer, at most the pool's
 * read unit and at most *budget, while nothing is owed (then echo writes
 * it straight back), else into the ring's free space (not capped: the
 * ring bounds it, and trimming its iovecs would cost every message);
 * takes what it read from *budget.  A short read clears CONN_CAN_READ; a read of 0 (or a short
 * read after EPOLLRDHUP) means the peer's FIN: on to DRAINING.  A full
 * ring means BACKPRESSURE.  With a read unit of 0 the read asks for 0
 * bytes, which a stream socket answers with 0 at once, consuming nothing:
 * the check for it stays off the per-message path. */
HOT enum fill_result fill(struct conn *c, const struct conn_env *e, int64_t *budget)
{
    if (__builtin_expect(c->ring != 0, 0))
        return fill_owed(c, e, budget);

    size_t want = e->pool->read_unit < (uint64_t)*budget ? e->pool->read_unit : (size_t)*budget;
    ssize_t n;

    do
        n = sock_recv(e, c->fd, e->scratch, want);
    while (n < 0 && errno == EINTR);
    enum fill_result f = took(c, e, n, want, budget);
    if (f != FILL_AGAIN || n == 0)
        return f;
    if (e->mode == OPTIONS_MODE_ECHO && echo_back(c, e, (uint32_t)n) < 0)
        return FILL_CLOSED;
    return settled(c, e, n, want);
}

/* The loop behind conn_io; see the comment at the top of the file. */
static enum conn_result serve(struct conn *c, const struct conn_env *e)
{
    int64_t budget = e->budget; /* below 0 only after a read into the ring */

    if (__builtin_expect(e->splice != NULL, 0)) {
        struct streamed sr = stream_on(c, e, budget);
        if (sr.result != STREAM_COPY)
            return (enum conn_result)sr.result;
        budget = sr.budget;
    }
    for (;;) {
        if (c->ring != 0 && (c->flags & CONN_CAN_WRITE) && flush(c, e) < 0)
            return CONN_DONE;
        if (__builtin_expect(c->state != CONN_READING, 0)) {
            if (c->state == CONN_DRAINING)
                return c->ring == 0 ? finish(c, e) : CONN_WAIT;
            if (c->ring != 0 && ring_full(owed(c, e))) /* BACKPRESSURE */
                return CONN_WAIT; /* flush came back short: EPOLLOUT will come */
            conn_set_state(c, CONN_READING);
        }
        if (!(c->flags & CONN_CAN_READ))
            break;
        if (budget <= 0)
            return CONN_MORE;
        enum fill_result r = fill(c, e, &budget);
        if (r != FILL_AGAIN) {
            if (r == FILL_EMPTY)
                break;
            if (r == FILL_CLOSED)
                return CONN_DONE;
            if (r == FILL_PIPE) {
                struct streamed sr = stream_on(c, e, budget);
                if (sr.result != STREAM_COPY)
                    return (enum conn_result)sr.result;
                budget = sr.budget;
                continue;
            }
            stats_add(e->stats, STATS_MEMORY_WAITS, 1);
            return CONN_MEMWAIT;
        }
    }
    return CONN_WAIT;
}

/* Hello mode: the banner goes straight from the options; only what a
 * short write leaves is copied into a ring. */
static enum conn_result send_banner(struct conn *c, const struct conn_env *e)
{
    struct iovec iov = { (void *)e->banner, e->banner_len };
    ssize_t n = e->banner_len > 0 ? write_some(c, e, &iov, 1) : 0;

    if (n < 0)
        return CONN_DONE;
    if ((uint32_t)n == e->banner_len)
        return finish(c, e);
    if (owe(c, e, (const uint8_t *)e->banner + n, e->banner_len - (uint32_t)n) < 0)
        return CONN_DONE;
    c->flags &= (uint8_t)~CONN_CAN_WRITE;
    return CONN_WAIT;
}

enum conn_result conn_open(struct conn *c, int fd, const struct conn_env *e)
{
    c->ring = 0;
    c->next = NULL;
    c->last_active_ms = e->now_ms;
    c->fd = fd;
    c->state = CONN_FREE;
    c->flags = CONN_CAN_WRITE; /* a new socket's send buffer is empty */
    if (e->proxy) {
        conn_set_state(c, CONN_PROXY);
        return CONN_WAIT;
    }
    if (e->mode != OPTIONS_MODE_HELLO) {
        conn_set_state(c, CONN_READING);
        return CONN_WAIT;
    }
    conn_set_state(c, CONN_DRAINING);
    c->flags |= CONN_UNREAD;
    return send_banner(c, e);
}

enum conn_result conn_start(struct conn *c, const struct conn_env *e)
{
    if (e->mode == OPTIONS_MODE_HELLO) {
        conn_set_state(c, CONN_DRAINING);
        c->flags |= CONN_UNREAD;
        return send_banner(c, e);
    }
    conn_set_state(c, CONN_READING);
    c->flags |= CONN_CAN_READ; /* data may have come with the header */
    /* Through conn_io, so that serve keeps one caller and stays inlined
     * there: called from two places it was not, and each echoed message
     * paid about 20 more instructions (callgrind, 150 -> 170). */
    return conn_io(c, e, 0);
}

void conn_note(struct conn *c, uint32_t events)
{
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        c->flags |= CONN_CAN_READ;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        c->flags |= CONN_CAN_WRITE;
    if (events & EPOLLRDHUP)
        c->flags |= CONN_PEER_FIN;
}

enum conn_result conn_io(struct conn *c, const struct conn_env *e, uint32_t events)
{
    conn_note(c, events);
    if (__builtin_expect(c->state == CONN_LINGERING, 0))
        return linger(c, e);
    return serve(c, e);
}

enum conn_result conn_stop(struct conn *c, const struct conn_env *e)
{
    enum conn_result r;

    if (c->state != CONN_READING && c->state != CONN_BACKPRESSURE)
        return CONN_WAIT;
    r = conn_io(c, e, EPOLLIN);
    if (r == CONN_DONE || c->state == CONN_DRAINING)
        return r; /* closed, or the peer's FIN came: its input is all read */
    conn_set_state(c, CONN_DRAINING);
    c->flags |= CONN_UNREAD;
    if (r == CONN_MORE)
        return r; /* the ready list finishes it */
    return conn_owes(c, e) ? CONN_WAIT : finish(c, e);
}
