/* test_tl_loop.c - a tcpload thread's loop, run in the test's thread on a
 * hand-made run whose start gate is already open: the order of the steps,
 * what tl_loop_poll hands to the mode, its timeouts, tl_loop_nap's sleep
 * through events, and a thread's view of the measured window. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "tl_loop.h"

static struct tl_opts opts;
static struct tl_run run;
static struct tl_thread thread;

/* A run of one thread, past its gate, with a wake eventfd. */
static void open_run(void)
{
    memset(&run, 0, sizeof(run));
    memset(&thread, 0, sizeof(thread));
    run.o = &opts;
    run.nthreads = 1;
    run.measure_ns = 1000;
    run.end_ns = UINT64_MAX;
    run.gate_open = 1;
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.cond, NULL);
    run.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    cr_assert_geq(run.wake_fd, 0);
    thread.run = &run;
    thread.nconns = 3;
    tl_stats_init(&thread.stats);
}

static void close_run(void)
{
    close(run.wake_fd);
    pthread_mutex_destroy(&run.lock);
    pthread_cond_destroy(&run.cond);
}

/* What the steps saw, in order. */
static struct {
    char trace[16];          /* 's'etup, 'r'un, 'f'inish */
    int sv[2];               /* a socketpair; sv[1] is the loop's connection */
    int handed;              /* events handed to on_event */
    void *conn;              /* the last one's connection */
    uint32_t events;
    int polled;              /* tl_loop_poll's return */
} seen;

static void step(char c)
{
    size_t n = strlen(seen.trace);
    cr_assert_lt(n + 1, sizeof(seen.trace));
    seen.trace[n] = c;
}

static void on_event(struct tl_loop *l, void *conn, uint32_t events)
{
    (void)l;
    seen.handed++;
    seen.conn = conn;
    seen.events = events;
}

static int setup_pair(struct tl_loop *l)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.ptr = &seen.sv[1] };

    step('s');
    cr_assert_eq(l->t, &thread);
    cr_assert_eq(l->o, &opts);
    cr_assert_eq(l->st, &thread.stats);
    cr_assert_eq(l->n, 3);
    cr_assert_geq(l->ep, 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, seen.sv), 0);
    cr_assert_eq(epoll_ctl(l->ep, EPOLL_CTL_ADD, seen.sv[1], &ev), 0);
    return 0;
}

/* Input on the connection and a wake, then one poll. */
static int run_poll(struct tl_loop *l)
{
    uint64_t one = 1;

    step('r');
    cr_assert_eq(l->w.measure, run.measure_ns, "the window is set up before run");
    cr_assert(l->w.open);
    cr_assert_eq(write(run.wake_fd, &one, sizeof(one)), sizeof(one));
    cr_assert_eq(send(seen.sv[0], "x", 1, 0), 1);
    seen.polled = tl_loop_poll(l, CLOCK_NS_PER_SEC, on_event);
    return 0;
}

static void finish_pair(struct tl_loop *l)
{
    (void)l;
    step('f');
    close(seen.sv[0]);
    close(seen.sv[1]);
}

Test(tl_loop, poll_hands_over_connection_events_and_skips_the_wake, .timeout = 10)
{
    static const struct tl_steps steps = { setup_pair, run_poll, finish_pair };
    struct tl_loop l;

    memset(&seen, 0, sizeof(seen));
    open_run();
    cr_assert_eq(tl_loop_steps(&l, &thread, &steps), 0);
    cr_assert_str_eq(seen.trace, "srf");
    cr_assert_eq(seen.polled, 2, "the wake and the connection");
    cr_assert_eq(seen.handed, 1, "only the connection's event is handed over");
    cr_assert_eq(seen.conn, &seen.sv[1]);
    cr_assert(seen.events & EPOLLIN);
    cr_assert_eq(l.ep, -1, "the epoll instance is closed");
    cr_assert_eq(run.arrived, 1);
    close_run();
}

static int setup_fails(struct tl_loop *l)
{
    step('s');
    return tl_run_fail(l->t, "setup: %s", "no luck");
}

static int setup_ok(struct tl_loop *l)
{
    (void)l;
    step('s');
    return 0;
}

static int run_step(struct tl_loop *l)
{
    (void)l;
    step('r');
    return 0;
}

static void finish_step(struct tl_loop *l)
{
    (void)l;
    step('f');
}

Test(tl_loop, failed_setup_skips_run_but_passes_the_gate_and_finishes)
{
    static const struct tl_steps steps = { setup_fails, run_step, finish_step };
    struct tl_loop l;

    memset(&seen, 0, sizeof(seen));
    open_run();
    cr_assert_eq(tl_loop_steps(&l, &thread, &steps), -1);
    cr_assert_str_eq(seen.trace, "sf");
    cr_assert_eq(run.arrived, 1, "the other threads do not wait for this one");
    cr_assert(run.failed);
    cr_assert_str_eq(run.why, "setup: no luck");
    close_run();
}

Test(tl_loop, another_threads_failure_skips_run)
{
    static const struct tl_steps steps = { setup_ok, run_step, finish_step };
    struct tl_loop l;

    memset(&seen, 0, sizeof(seen));
    open_run();
    run.failed = 1;
    cr_assert_eq(tl_loop_steps(&l, &thread, &steps), 0);
    cr_assert_str_eq(seen.trace, "sf");
    close_run();
}

/* Polls with nothing to report, wait_ns long, with millisecond timeouts
 * or not; returns how long the poll took. */
static uint64_t idle_poll(int ms_timeouts, uint64_t wait_ns)
{
    struct tl_loop l = { .t = &thread, .ms_timeouts = ms_timeouts };

    l.ep = epoll_create1(EPOLL_CLOEXEC);
    cr_assert_geq(l.ep, 0);
    uint64_t t0 = clock_now_ns();
    cr_assert_eq(tl_loop_poll(&l, wait_ns, on_event), 0);
    uint64_t took = clock_now_ns() - t0;
    close(l.ep);
    return took;
}

Test(tl_loop, poll_waits_its_timeout)
{
    open_run();
    cr_assert_geq(idle_poll(0, 20 * CLOCK_NS_PER_MS), 20 * CLOCK_NS_PER_MS);
    cr_assert_geq(idle_poll(1, 20 * CLOCK_NS_PER_MS), 20 * CLOCK_NS_PER_MS);
    close_run();
}

/* Without epoll_pwait2 a timeout below a millisecond must not become 0:
 * a thread waiting for a send due in 300 us would spin. */
Test(tl_loop, millisecond_timeouts_round_up)
{
    open_run();
    cr_assert_geq(idle_poll(1, 300 * CLOCK_NS_PER_US), CLOCK_NS_PER_MS);
    close_run();
}

/* A nap is not cut short by an event: with input waiting on a watched
 * socket and the wake eventfd written, it still sleeps its whole time,
 * and the events are there for the poll after it. */
Test(tl_loop, nap_sleeps_through_events)
{
    int sv[2];
    uint64_t one = 1;

    open_run();
    struct tl_loop l = { .t = &thread };
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.ptr = &seen };
    l.ep = epoll_create1(EPOLL_CLOEXEC);
    cr_assert_geq(l.ep, 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    cr_assert_eq(epoll_ctl(l.ep, EPOLL_CTL_ADD, sv[1], &ev), 0);
    ev.data.ptr = NULL;
    cr_assert_eq(epoll_ctl(l.ep, EPOLL_CTL_ADD, run.wake_fd, &ev), 0);
    cr_assert_eq(write(sv[0], "x", 1), 1);
    cr_assert_eq(write(run.wake_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
    uint64_t t0 = clock_now_ns();
    cr_assert_eq(tl_loop_nap(&l, 20 * CLOCK_NS_PER_MS), 0);
    cr_assert_geq(clock_now_ns() - t0, 20 * CLOCK_NS_PER_MS);
    memset(&seen, 0, sizeof(seen));
    cr_assert_eq(tl_loop_poll(&l, 0, on_event), 2, "the wake and the connection");
    cr_assert_eq(seen.handed, 1);
    close(sv[0]);
    close(sv[1]);
    close(l.ep);
    close_run();
}

Test(tl_loop, window_begins_ends_and_moves)
{
    static struct tl_run r;
    static struct tl_thread t;
    struct tl_window w;

    memset(&r, 0, sizeof(r));
    memset(&t, 0, sizeof(t));
    t.run = &r;
    r.measure_ns = 1000;
    r.end_ns = 5000;
    tl_window_init(&w, &r);
    cr_assert_eq(tl_window_track(&w, &t, 500), TL_WIN_MOVED);
    cr_assert(!w.begun && w.open);
    t.live.bytes_out = 100;
    t.live.bytes_in = 50;
    cr_assert_eq(tl_window_track(&w, &t, 1000), TL_WIN_BEGAN);
    cr_assert(tl_window_has(&w, 1000) && tl_window_has(&w, 4999));
    cr_assert(!tl_window_has(&w, 999) && !tl_window_has(&w, 5000));
    t.live.bytes_out = 400;
    t.live.bytes_in = 250;
    r.end_ns = 3000; /* a signal moved the end earlier */
    cr_assert_eq(tl_window_track(&w, &t, 3500), TL_WIN_MOVED);
    cr_assert(!w.open);
    cr_assert_eq(t.stats.win_out, 300);
    cr_assert_eq(t.stats.win_in, 200);
    t.live.bytes_out = 1000;
    cr_assert_eq(tl_window_track(&w, &t, 4000), 0);
    cr_assert_eq(t.stats.win_out, 300, "bytes after the end do not count");
}
