/* test_conn.c - the connection state machine, driven through a fake socket.
 *
 * The fake socket holds the bytes the peer has sent (and whether a FIN or
 * an error follows them) and accepts a settable number of bytes before it
 * reports EAGAIN, like a full send buffer.  It counts every call, so the
 * tests can pin the syscall budget: one read and one write per message.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "conn.h"

#define FAKE_FD 7
#define FAKE_MAX (1 << 20)

static struct fake {
    uint8_t in[FAKE_MAX];   /* what the peer sent */
    size_t in_len, in_pos;
    int in_eof;             /* a FIN follows in[] */
    int in_err;             /* read fails with this once in[] is consumed */
    uint8_t out[FAKE_MAX];  /* what we sent */
    size_t out_len;
    size_t out_room;        /* bytes the send buffer takes before EAGAIN */
    int out_err;            /* write fails with this */
    int shutdown_err;       /* shutdown fails with this */
    int reads, eagain_reads, writes, shutdowns, closes;
} fk;

static ssize_t fake_read(int fd, const struct iovec *iov, int cnt)
{
    size_t got = 0;

    cr_assert_eq(fd, FAKE_FD);
    fk.reads++;
    size_t asked = 0;
    for (int i = 0; i < cnt; i++)
        asked += iov[i].iov_len;
    if (asked == 0)
        return 0; /* a stream socket answers a read of nothing at once */
    for (int i = 0; i < cnt && fk.in_pos < fk.in_len; i++) {
        size_t n = iov[i].iov_len < fk.in_len - fk.in_pos ? iov[i].iov_len : fk.in_len - fk.in_pos;
        memcpy(iov[i].iov_base, fk.in + fk.in_pos, n);
        fk.in_pos += n;
        got += n;
    }
    if (got > 0)
        return (ssize_t)got;
    if (fk.in_err) {
        errno = fk.in_err;
        return -1;
    }
    if (fk.in_eof)
        return 0;
    fk.eagain_reads++;
    errno = EAGAIN;
    return -1;
}

static ssize_t fake_write(int fd, const struct iovec *iov, int cnt)
{
    size_t put = 0;

    cr_assert_eq(fd, FAKE_FD);
    fk.writes++;
    if (fk.out_err) {
        errno = fk.out_err;
        return -1;
    }
    for (int i = 0; i < cnt && fk.out_room > 0; i++) {
        size_t n = iov[i].iov_len < fk.out_room ? iov[i].iov_len : fk.out_room;
        memcpy(fk.out + fk.out_len, iov[i].iov_base, n);
        fk.out_len += n;
        fk.out_room -= n;
        put += n;
    }
    if (put == 0) {
        errno = EAGAIN;
        return -1;
    }
    return (ssize_t)put;
}

static int fake_shutdown(int fd)
{
    cr_assert_eq(fd, FAKE_FD);
    fk.shutdowns++;
    if (fk.shutdown_err) {
        errno = fk.shutdown_err;
        return -1;
    }
    return 0;
}

static int fake_close(int fd)
{
    cr_assert_eq(fd, FAKE_FD);
    fk.closes++;
    return 0;
}

static const struct conn_sock_ops fake_ops = { fake_read, fake_write, fake_shutdown, fake_close };

static struct pool pool;
static struct ringtab rings;
static struct stats_counters stats;
static uint8_t scratch[256];
static struct conn_env env;
static struct conn c;

/* A fresh fake socket, pool and environment: 64-byte buffers and no large
 * class (so reads take 64 bytes at most), a budget of 256 bytes per turn,
 * echo mode, an unlimited send buffer. */
static void setup(void)
{
    memset(&fk, 0, sizeof(fk));
    fk.out_room = FAKE_MAX;
    memset(&stats, 0, sizeof(stats));
    pool_init(&pool, 64, 64, 0, 1 << 20);
    ringtab_init(&rings);
    env = (struct conn_env){
        .ops = &fake_ops, .pool = &pool, .rings = &rings, .stats = &stats, .scratch = scratch,
        .scratch_size = sizeof(scratch),
        .banner = "Hello World!\n", .banner_len = 13, .budget = 256,
        .mode = OPTIONS_MODE_ECHO, .now_ms = 1000,
    };
    memset(&c, 0, sizeof(c));
}

static void teardown(void)
{
    if (c.state != CONN_FREE && c.state != CONN_CLOSED)
        conn_abort(&c, &env);
    pool_destroy(&pool);
    ringtab_destroy(&rings);
}

/* The ring of bytes c owes (c owes some). */
static struct ring *owed(void)
{
    cr_assert_neq(c.ring, 0, "the connection owes bytes");
    return ringtab_at(&rings, c.ring);
}

TestSuite(conn, .init = setup, .fini = teardown);

static void peer_sends(const void *data, size_t len)
{
    memcpy(fk.in + fk.in_len, data, len);
    fk.in_len += len;
}

static void peer_sends_pattern(size_t len)
{
    for (size_t i = 0; i < len; i++)
        fk.in[fk.in_len + i] = (uint8_t)((fk.in_len + i) * 7 + 3);
    fk.in_len += len;
}

Test(conn, transition_table_is_exactly_the_documented_one)
{
    static const int legal[][2] = {
        { CONN_FREE, CONN_READING }, { CONN_FREE, CONN_DRAINING },
        { CONN_READING, CONN_BACKPRESSURE }, { CONN_READING, CONN_DRAINING },
        { CONN_READING, CONN_CLOSED }, { CONN_BACKPRESSURE, CONN_READING },
        { CONN_BACKPRESSURE, CONN_CLOSED }, { CONN_BACKPRESSURE, CONN_DRAINING },
        { CONN_DRAINING, CONN_CLOSED }, { CONN_DRAINING, CONN_LINGERING },
        { CONN_LINGERING, CONN_CLOSED }, { CONN_CLOSED, CONN_FREE },
        { CONN_FREE, CONN_PROXY }, { CONN_PROXY, CONN_READING },
        { CONN_PROXY, CONN_DRAINING }, { CONN_PROXY, CONN_CLOSED },
    };
    for (int from = 0; from < CONN_NSTATES; from++) {
        for (int to = 0; to < CONN_NSTATES; to++) {
            int expect = 0;
            for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
                expect |= legal[i][0] == from && legal[i][1] == to;
            cr_expect_eq(conn_transition_ok(from, to), expect, "%s -> %s",
                         conn_state_name(from), conn_state_name(to));
        }
    }
    cr_expect_eq(conn_transition_ok(CONN_NSTATES, CONN_FREE), 0);
    cr_expect_str_eq(conn_state_name(CONN_BACKPRESSURE), "backpressure");
}

Test(conn, illegal_transition_aborts, .signal = SIGABRT)
{
    c.state = CONN_DRAINING;
    conn_set_state(&c, CONN_READING); /* the peer's FIN cannot be undone */
}

Test(conn, lingering_cannot_go_back_to_draining, .signal = SIGABRT)
{
    c.state = CONN_LINGERING;
    conn_set_state(&c, CONN_DRAINING); /* the write side is shut */
}

Test(conn, echo_costs_one_read_and_one_write)
{
    cr_assert_eq(conn_open(&c, FAKE_FD, &env), CONN_WAIT);
    cr_assert_eq(c.state, CONN_READING);
    for (int i = 0; i < 3; i++) {
        peer_sends("ping", 4);
        cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLOUT), CONN_WAIT);
    }
    cr_assert_eq(fk.reads, 3);
    cr_assert_eq(fk.writes, 3);
    cr_assert_eq(fk.eagain_reads, 0, "a short read already proves the queue empty");
    cr_assert_eq(fk.out_len, 12);
    cr_assert_eq(memcmp(fk.out, "pingpingping", 12), 0);
    cr_assert_eq(c.ring, 0, "an idle connection holds no ring and no buffer");
    cr_assert_eq(pool.shelf[POOL_SMALL].in_use, 0);
    cr_assert_eq(stats.v[STATS_BYTES_IN], 12);
    cr_assert_eq(stats.v[STATS_BYTES_OUT], 12);
}

Test(conn, epollout_alone_costs_no_syscall)
{
    conn_open(&c, FAKE_FD, &env);
    cr_assert_eq(conn_io(&c, &env, EPOLLOUT), CONN_WAIT);
    cr_assert_eq(fk.reads + fk.writes, 0);
}

Test(conn, short_write_waits_for_epollout)
{
    conn_open(&c, FAKE_FD, &env);
    fk.out_room = 3;
    peer_sends("abcdef", 6);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLOUT), CONN_WAIT);
    cr_assert_eq(fk.writes, 1);
    cr_assert_eq(fk.out_len, 3);
    cr_assert_eq(c.flags & CONN_CAN_WRITE, 0);
    cr_assert_not_null(owed()->data, "pending output keeps its buffer");

    peer_sends("gh", 2); /* more input, still no room: no write attempted */
    cr_assert_eq(conn_io(&c, &env, EPOLLIN), CONN_WAIT);
    cr_assert_eq(fk.writes, 1);

    fk.out_room = 100;
    cr_assert_eq(conn_io(&c, &env, EPOLLOUT), CONN_WAIT);
    cr_assert_eq(fk.out_len, 8);
    cr_assert_eq(memcmp(fk.out, "abcdefgh", 8), 0);
    cr_assert_eq(c.ring, 0);
}

Test(conn, full_ring_stops_reading_until_the_peer_drains)
{
    conn_open(&c, FAKE_FD, &env);
    fk.out_room = 0; /* the peer does not read */
    peer_sends_pattern(1000);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLOUT), CONN_WAIT);
    cr_assert_eq(c.state, CONN_BACKPRESSURE);
    cr_assert_eq(fk.in_pos, 64, "read exactly one buffer, then stopped");
    int reads = fk.reads;
    cr_assert_eq(conn_io(&c, &env, EPOLLIN), CONN_WAIT);
    cr_assert_eq(fk.reads, reads, "no read while the ring is full");
    cr_assert_eq(pool.shelf[POOL_SMALL].in_use, 1, "memory never exceeds one buffer");

    fk.out_room = FAKE_MAX;
    enum conn_result r = conn_io(&c, &env, EPOLLOUT);
    while (r == CONN_MORE)
        r = conn_io(&c, &env, 0);
    cr_assert_eq(r, CONN_WAIT);
    cr_assert_eq(c.state, CONN_READING);
    cr_assert_eq(fk.out_len, 1000);
    cr_assert_eq(memcmp(fk.out, fk.in, 1000), 0, "every byte, in order");
}

/* Issue 10, section 2: after the peer's FIN, shutdown(SHUT_WR) before
 * close was a wasted syscall, and failed with ENOTCONN (counted as an I/O
 * error) when the peer had reset meanwhile.  close alone sends the FIN. */
Test(conn, half_close_sends_everything_then_closes_without_shutdown)
{
    conn_open(&c, FAKE_FD, &env);
    peer_sends("last words", 10);
    fk.in_eof = 1;
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLRDHUP | EPOLLOUT), CONN_DONE);
    cr_assert_eq(c.state, CONN_CLOSED);
    cr_assert_eq(fk.reads, 1, "short read after EPOLLRDHUP: no read for the EOF");
    cr_assert_eq(fk.out_len, 10);
    cr_assert_eq(fk.shutdowns, 0);
    cr_assert_eq(fk.closes, 1);
    cr_assert_eq(pool.shelf[POOL_SMALL].in_use, 0);
}

Test(conn, half_close_waits_for_pending_output)
{
    conn_open(&c, FAKE_FD, &env);
    fk.out_room = 4;
    peer_sends("0123456789", 10);
    fk.in_eof = 1;
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLRDHUP | EPOLLOUT), CONN_WAIT);
    cr_assert_eq(c.state, CONN_DRAINING);
    cr_assert_eq(fk.shutdowns, 0);
    fk.out_room = 100;
    cr_assert_eq(conn_io(&c, &env, EPOLLOUT), CONN_DONE);
    cr_assert_eq(fk.out_len, 10);
    cr_assert_eq(memcmp(fk.out, "0123456789", 10), 0);
    cr_assert_eq(fk.shutdowns, 0);
    cr_assert_eq(fk.closes, 1);
}

Test(conn, fin_arriving_later_is_read_as_eof)
{
    conn_open(&c, FAKE_FD, &env);
    peer_sends("abc", 3);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLOUT), CONN_WAIT);
    fk.in_eof = 1;
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLRDHUP), CONN_DONE);
    cr_assert_eq(fk.reads, 2);
    cr_assert_eq(fk.shutdowns, 0);
    cr_assert_eq(stats.v[STATS_IO_ERRORS], 0);
}

Test(conn, reset_closes_quietly_and_is_counted)
{
    conn_open(&c, FAKE_FD, &env);
    fk.in_err = ECONNRESET;
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLERR | EPOLLHUP), CONN_DONE);
    cr_assert_eq(stats.v[STATS_RESETS], 1);
    cr_assert_eq(fk.closes, 1);
    cr_assert_eq(fk.shutdowns, 0);
}

Test(conn, epipe_closes_quietly_and_is_counted)
{
    conn_open(&c, FAKE_FD, &env);
    peer_sends("x", 1);
    fk.out_err = EPIPE;
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLOUT), CONN_DONE);
    cr_assert_eq(stats.v[STATS_EPIPE], 1);
    cr_assert_eq(pool.shelf[POOL_SMALL].in_use, 0, "the buffer of dropped output goes back");
}

Test(conn, budget_yields_and_resumes)
{
    conn_open(&c, FAKE_FD, &env);
    peer_sends_pattern(1024); /* 4 budgets of 256 */
    int turns = 1;
    enum conn_result r = conn_io(&c, &env, EPOLLIN | EPOLLOUT);
    cr_assert_eq(r, CONN_MORE);
    cr_assert_eq(fk.in_pos, 256);
    while (r == CONN_MORE) {
        r = conn_io(&c, &env, 0);
        turns++;
    }
    cr_assert_eq(r, CONN_WAIT);
    cr_assert_geq(turns, 4);
    cr_assert_eq(fk.out_len, 1024);
    cr_assert_eq(memcmp(fk.out, fk.in, 1024), 0);
}

Test(conn, wraps_around_the_ring_under_random_readiness)
{
    srand(12345);
    conn_open(&c, FAKE_FD, &env);
    fk.out_room = 0;
    for (int step = 0; step < 20000 && fk.out_len < 200000; step++) {
        if (rand() % 2)
            peer_sends_pattern((size_t)(rand() % 100));
        uint32_t ev = 0;
        if (rand() % 2) {
            fk.out_room += (size_t)(rand() % 90);
            ev |= EPOLLOUT;
        }
        if (fk.in_pos < fk.in_len)
            ev |= EPOLLIN;
        enum conn_result r = conn_io(&c, &env, ev);
        cr_assert_neq(r, CONN_DONE);
        cr_assert_leq(pool.shelf[POOL_SMALL].in_use, 1);
        cr_assert_eq(memcmp(fk.out, fk.in, fk.out_len), 0, "diverged at step %d", step);
    }
    cr_assert_gt(fk.out_len, 10000);
}

Test(conn, discard_reads_and_never_writes)
{
    env.mode = OPTIONS_MODE_DISCARD;
    conn_open(&c, FAKE_FD, &env);
    peer_sends_pattern(200);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLOUT), CONN_WAIT);
    cr_assert_eq(fk.writes, 0);
    cr_assert_eq(stats.v[STATS_BYTES_IN], 200);
    cr_assert_eq(c.ring, 0);
    fk.in_eof = 1;
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLRDHUP), CONN_DONE);
    cr_assert_eq(fk.writes, 0);
    cr_assert_eq(fk.closes, 1);
}

/* Issue 9, fault 2: hello closed at once, and a client that had sent
 * before reading got a reset that could drop the banner unread.  Now it
 * writes the banner, shuts its write side, and drops input until the FIN. */
Test(conn, issue9_fault2_hello_lingers_instead_of_resetting)
{
    env.mode = OPTIONS_MODE_HELLO;
    cr_assert_eq(conn_open(&c, FAKE_FD, &env), CONN_LINGER);
    cr_assert_eq(c.state, CONN_LINGERING);
    cr_assert_eq(fk.writes, 1);
    cr_assert_eq(fk.reads, 0);
    cr_assert_eq(fk.shutdowns, 1);
    cr_assert_eq(fk.closes, 0);
    cr_assert_eq(fk.out_len, 13);
    cr_assert_eq(memcmp(fk.out, "Hello World!\n", 13), 0);
    peer_sends("GET / HTTP/1.0\r\n\r\n", 18);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN), CONN_WAIT, "input dropped, no FIN yet");
    cr_assert_eq(fk.closes, 0);
    fk.in_eof = 1;
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLRDHUP), CONN_DONE);
    cr_assert_eq(fk.closes, 1);
    cr_assert_eq(fk.out_len, 13, "nothing echoed");
}

Test(conn, hello_after_the_peers_fin_reads_to_eof_without_shutdown)
{
    env.mode = OPTIONS_MODE_HELLO;
    fk.out_room = 5;
    cr_assert_eq(conn_open(&c, FAKE_FD, &env), CONN_WAIT);
    peer_sends("bye", 3);
    fk.in_eof = 1;
    fk.out_room = 100;
    cr_assert_eq(conn_io(&c, &env, EPOLLOUT | EPOLLIN | EPOLLRDHUP), CONN_LINGER);
    cr_assert_eq(fk.shutdowns, 0, "the peer's FIN came: close will send ours");
    cr_assert_eq(conn_io(&c, &env, 0), CONN_DONE, "the rest of its input and EOF");
    cr_assert_eq(fk.closes, 1);
}

Test(conn, hello_finishes_a_short_banner_write)
{
    env.mode = OPTIONS_MODE_HELLO;
    fk.out_room = 5;
    cr_assert_eq(conn_open(&c, FAKE_FD, &env), CONN_WAIT);
    cr_assert_eq(c.state, CONN_DRAINING);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN), CONN_WAIT, "input is ignored");
    fk.out_room = 100;
    cr_assert_eq(conn_io(&c, &env, EPOLLOUT), CONN_LINGER);
    cr_assert_eq(memcmp(fk.out, "Hello World!\n", 13), 0);
    cr_assert_eq(fk.out_len, 13);
}

/* Issue 9, fault 2: at SIGTERM a connection whose peer was still sending
 * was closed with input unread; the reset made the peer's kernel drop
 * echoes it had not read yet.  conn_stop echoes what is queued, stops
 * echoing, shuts the write side and lingers. */
Test(conn, issue9_fault2_stop_echoes_what_is_queued_then_lingers)
{
    conn_open(&c, FAKE_FD, &env);
    peer_sends("tail", 4);
    cr_assert_eq(conn_stop(&c, &env), CONN_LINGER, "queued input echoed, write side shut");
    cr_assert_eq(fk.out_len, 4);
    cr_assert_eq(fk.shutdowns, 1);
    cr_assert_eq(fk.closes, 0);
    peer_sends("more", 4);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN), CONN_WAIT);
    cr_assert_eq(fk.out_len, 4, "input after the stop is dropped, not echoed");
    fk.in_eof = 1;
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLRDHUP), CONN_DONE);
    cr_assert_eq(fk.closes, 1);
    cr_assert_eq(stats.v[STATS_IO_ERRORS], 0);
}

Test(conn, stop_sends_what_is_owed_before_lingering)
{
    conn_open(&c, FAKE_FD, &env);
    fk.out_room = 2;
    peer_sends("tail", 4);
    cr_assert_eq(conn_stop(&c, &env), CONN_WAIT);
    cr_assert_eq(c.state, CONN_DRAINING);
    cr_assert_eq(fk.shutdowns, 0, "not before everything owed is sent");
    fk.out_room = 10;
    cr_assert_eq(conn_io(&c, &env, EPOLLOUT), CONN_LINGER);
    cr_assert_eq(fk.out_len, 4);
    cr_assert_eq(fk.shutdowns, 1);
}

Test(conn, stop_after_the_peers_fin_needs_no_linger)
{
    conn_open(&c, FAKE_FD, &env);
    fk.out_room = 0;
    peer_sends("end", 3);
    fk.in_eof = 1;
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLRDHUP), CONN_WAIT);
    cr_assert_eq(c.state, CONN_DRAINING);
    cr_assert_eq(conn_stop(&c, &env), CONN_WAIT, "draining already: left as it is");
    fk.out_room = 10;
    cr_assert_eq(conn_io(&c, &env, EPOLLOUT), CONN_DONE);
    cr_assert_eq(fk.out_len, 3);
    cr_assert_eq(fk.shutdowns, 0);
}

Test(conn, lingering_drops_a_flood_a_budget_at_a_time)
{
    conn_open(&c, FAKE_FD, &env);
    cr_assert_eq(conn_stop(&c, &env), CONN_LINGER);
    peer_sends_pattern(1000);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN), CONN_MORE);
    cr_assert_eq(fk.in_pos, 256);
    while (conn_io(&c, &env, 0) == CONN_MORE)
        ;
    cr_assert_eq(fk.in_pos, 1000);
    cr_assert_eq(fk.out_len, 0);
}

/* Issue 10, section 2: a reset is a reset, never an I/O error. */
Test(conn, resets_while_lingering_or_at_shutdown_count_as_resets)
{
    conn_open(&c, FAKE_FD, &env);
    cr_assert_eq(conn_stop(&c, &env), CONN_LINGER);
    fk.in_err = ECONNRESET;
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLERR), CONN_DONE);
    cr_assert_eq(stats.v[STATS_RESETS], 1);

    memset(&c, 0, sizeof(c));
    fk.in_err = 0;
    fk.shutdown_err = ENOTCONN;
    conn_open(&c, FAKE_FD, &env);
    cr_assert_eq(conn_stop(&c, &env), CONN_DONE);
    cr_assert_eq(stats.v[STATS_RESETS], 2);
    cr_assert_eq(stats.v[STATS_IO_ERRORS], 0);
}

Test(conn, other_errors_are_counted_by_errno)
{
    conn_open(&c, FAKE_FD, &env);
    fk.in_err = ETIMEDOUT;
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLERR), CONN_DONE);
    cr_assert_eq(stats.v[STATS_IO_ERRORS], 1);
    cr_assert_eq(stats.v[STATS_IO_ETIMEDOUT], 1);
    cr_assert_str_eq(stats_errno_label(STATS_IO_ETIMEDOUT), "ETIMEDOUT");
    cr_assert_null(stats_errno_label(STATS_RESETS));
}

Test(conn, abort_drops_pending_output_and_its_buffer)
{
    conn_open(&c, FAKE_FD, &env);
    fk.out_room = 0;
    peer_sends("pending", 7);
    conn_io(&c, &env, EPOLLIN);
    cr_assert_eq(pool.shelf[POOL_SMALL].in_use, 1);
    conn_abort(&c, &env);
    cr_assert_eq(c.state, CONN_CLOSED);
    cr_assert_eq(pool.shelf[POOL_SMALL].in_use, 0);
    cr_assert_eq(fk.closes, 1);
}

Test(conn, activity_updates_the_idle_clock)
{
    conn_open(&c, FAKE_FD, &env);
    cr_assert_eq(c.last_active_ms, 1000);
    env.now_ms = 5000;
    conn_io(&c, &env, EPOLLOUT);
    cr_assert_eq(c.last_active_ms, 1000, "no bytes moved: still idle");
    peer_sends("x", 1);
    conn_io(&c, &env, EPOLLIN);
    cr_assert_eq(c.last_active_ms, 5000);
}

/* ---- the read unit, large buffers and the memory budget ---- */

/* Re-creates the pool with 64-byte small and 256-byte large buffers, at
 * most max_large of the latter, within limit bytes. */
static void large_pool(uint32_t max_large, uint64_t limit)
{
    pool_destroy(&pool);
    pool_init(&pool, 64, sizeof(scratch), max_large, limit);
}

Test(conn, streaming_reads_the_large_unit_while_nothing_is_owed)
{
    large_pool(1, 1 << 20);
    env.budget = 1024;
    conn_open(&c, FAKE_FD, &env);
    peer_sends_pattern(256);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLOUT), CONN_WAIT);
    cr_assert_eq(fk.reads, 2, "one read of the whole unit, then one that finds EAGAIN");
    cr_assert_eq(fk.writes, 1);
    cr_assert_eq(fk.out_len, 256);
    cr_assert_eq(pool.allocated, 0, "nothing owed, no buffer was taken");
}

Test(conn, leftover_that_fits_goes_into_a_small_buffer)
{
    large_pool(1, 1 << 20);
    conn_open(&c, FAKE_FD, &env);
    fk.out_room = 200;
    peer_sends_pattern(250);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLOUT), CONN_WAIT);
    cr_assert_eq(ring_capacity(owed()), 64);
    cr_assert_eq(ring_used(owed()), 50);
    cr_assert_eq(stats.v[STATS_BUFFERED], 64);
    fk.out_room = FAKE_MAX;
    cr_assert_eq(conn_io(&c, &env, EPOLLOUT), CONN_WAIT);
    cr_assert_eq(fk.out_len, 250);
    cr_assert_eq(memcmp(fk.out, fk.in, 250), 0);
    cr_assert_eq(c.ring, 0);
    cr_assert_eq(stats.v[STATS_BUFFERED], 0);
}

Test(conn, leftover_too_big_for_a_small_buffer_takes_a_large_one)
{
    large_pool(1, 1 << 20);
    env.budget = 1024;
    conn_open(&c, FAKE_FD, &env);
    fk.out_room = 56;
    peer_sends_pattern(600);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLOUT), CONN_WAIT);
    cr_assert_eq(ring_capacity(owed()), 256);
    cr_assert_eq(c.state, CONN_BACKPRESSURE, "kept reading into the large buffer until full");
    cr_assert_eq(stats.v[STATS_BUFFERED], 256);
    cr_assert_eq(pool.read_unit, 64, "the only large buffer is lent: reads shrink");
    fk.out_room = FAKE_MAX;
    enum conn_result r = conn_io(&c, &env, EPOLLOUT);
    while (r == CONN_MORE)
        r = conn_io(&c, &env, 0);
    cr_assert_eq(fk.out_len, 600);
    cr_assert_eq(memcmp(fk.out, fk.in, 600), 0, "every byte, in order");
    cr_assert_eq(pool.read_unit, 256);
    cr_assert_eq(stats.v[STATS_BUFFERED], 0);
}

Test(conn, with_the_large_buffers_lent_reads_take_what_a_small_buffer_holds)
{
    uint32_t size;

    large_pool(1, 1 << 20);
    uint8_t *other = pool_get(&pool, 256, &size); /* another connection's */
    cr_assert_eq(size, 256);
    conn_open(&c, FAKE_FD, &env);
    fk.out_room = 0;
    peer_sends_pattern(600);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLOUT), CONN_WAIT);
    cr_assert_eq(fk.in_pos, 64, "one read of the small size: the leftover fits a small buffer");
    cr_assert_eq(ring_capacity(owed()), 64);
    cr_assert_eq(c.state, CONN_BACKPRESSURE);
    conn_abort(&c, &env);
    pool_put(&pool, other, 256);
}

/* The budget holds one small buffer and it is lent: a connection that
 * owes nothing reads nothing (it could not keep what a short write left:
 * its read asks for 0 bytes), returns CONN_MEMWAIT and counts it; once the buffer is back it is served
 * from where it stopped. */
Test(conn, spent_budget_makes_a_reader_wait_until_memory_frees)
{
    uint32_t size;

    large_pool(1, 64);
    cr_assert_eq(pool.read_unit, 64, "no large buffer fits the budget");
    uint8_t *other = pool_get(&pool, 1, &size);
    cr_assert_eq(pool.read_unit, 0);
    conn_open(&c, FAKE_FD, &env);
    peer_sends("wait for me", 11);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLOUT), CONN_MEMWAIT);
    cr_assert_eq(fk.in_pos, 0, "nothing read without memory for its leftover");
    cr_assert_eq(stats.v[STATS_MEMORY_WAITS], 1);
    cr_assert_eq(c.state, CONN_READING);

    pool_put(&pool, other, 64);
    cr_assert_eq(conn_io(&c, &env, 0), CONN_WAIT);
    cr_assert_eq(fk.out_len, 11);
    cr_assert_eq(memcmp(fk.out, "wait for me", 11), 0);
}

Test(conn, a_connection_that_owes_reads_into_its_ring_whatever_the_budget)
{
    large_pool(0, 64);
    conn_open(&c, FAKE_FD, &env);
    fk.out_room = 10;
    peer_sends_pattern(30);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN | EPOLLOUT), CONN_WAIT);
    cr_assert_eq(pool.read_unit, 0, "its ring took the whole budget");
    peer_sends_pattern(30);
    cr_assert_eq(conn_io(&c, &env, EPOLLIN), CONN_WAIT);
    cr_assert_eq(ring_used(owed()), 50, "the new input went into its own ring");
    fk.out_room = FAKE_MAX;
    cr_assert_eq(conn_io(&c, &env, EPOLLOUT), CONN_WAIT);
    cr_assert_eq(fk.out_len, 60);
    cr_assert_eq(memcmp(fk.out, fk.in, 60), 0);
}

Test(conn, proxy_protocol_opens_in_proxy_and_reads_nothing)
{
    env.proxy = 1;
    peer_sends("hello", 5);
    cr_expect_eq(conn_open(&c, FAKE_FD, &env), CONN_WAIT);
    cr_expect_eq(c.state, CONN_PROXY);
    cr_expect_eq(fk.reads + fk.writes, 0, "the header is the worker's to peek at");
    cr_expect_str_eq(conn_state_name(CONN_PROXY), "proxy");
}

Test(conn, start_after_the_header_serves_what_followed_it)
{
    env.proxy = 1;
    conn_open(&c, FAKE_FD, &env);
    peer_sends("hello", 5); /* the bytes after the consumed header */
    cr_expect_eq(conn_start(&c, &env), CONN_WAIT);
    cr_expect_eq(c.state, CONN_READING);
    cr_expect_eq(fk.out_len, 5);
    cr_expect_eq(memcmp(fk.out, "hello", 5), 0);
}

Test(conn, start_in_hello_mode_sends_the_banner_after_the_header)
{
    env.proxy = 1;
    env.mode = OPTIONS_MODE_HELLO;
    conn_open(&c, FAKE_FD, &env);
    cr_expect_eq(fk.writes, 0, "no banner before the header");
    cr_expect_eq(conn_start(&c, &env), CONN_LINGER, "banner sent, then the lingering close");
    cr_expect_eq(c.state, CONN_LINGERING);
    cr_expect_eq(fk.out_len, 13);
}

Test(conn, proxy_cannot_skip_to_backpressure, .signal = SIGABRT)
{
    c.state = CONN_PROXY;
    conn_set_state(&c, CONN_BACKPRESSURE);
}
