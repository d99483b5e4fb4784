/* tl_loop.h - the loop every tcpload thread runs, and its measured window.
 *
 * Each mode (echo, connect, hold) runs the same way on each of its threads:
 * tl_loop_steps opens an epoll instance that watches the run's wake
 * eventfd, calls the mode's setup, waits at the run's start gate, calls its
 * run step, then its finish step.  While running, the mode calls
 * tl_loop_poll, which hands each connection's epoll event to the mode, and
 * keeps its struct tl_window up to date with tl_window_track so that it
 * knows whether a time lies in the measured window and counts the bytes
 * moved within it (and, with --interval, hands in its intervals: tl_ival.h).
 * The run itself (threads, gate, phases, the stats of a
 * thread) is tl_run.h's.
 */
#ifndef TL_LOOP_H
#define TL_LOOP_H

#include <stdint.h>

#include "tl_opts.h"
#include "tl_run.h"

/* A thread's view of the measured window [measure, end). */
struct tl_window {
    uint64_t measure, end;
    int begun;                /* a wakeup at or after measure was seen */
    int open;                 /* no wakeup at or after end yet: new work may start */
    uint64_t snap_out, snap_in; /* live byte counters when it began */
};

#define TL_WIN_BEGAN     1u   /* the window began at this wakeup */
#define TL_WIN_MOVED     2u   /* the end moved (or was first read) */

/* Starts tracking the run's window. */
void tl_window_init(struct tl_window *w, const struct tl_run *r);

/* Brings w up to date at time now: rereads the end, and when the window
 * begins or ends takes the thread's byte counters, so t->stats.win_out and
 * win_in hold the bytes moved within it; with --interval, hands in the
 * thread's interval once now has passed it (tl_ival_tick).  Returns
 * TL_WIN_* bits. */
unsigned tl_window_track(struct tl_window *w, struct tl_thread *t, uint64_t now);

/* Whether a time lies within the window. */
static inline int tl_window_has(const struct tl_window *w, uint64_t ns)
{
    return ns >= w->measure && ns < w->end;
}

/* What every mode's thread holds: its share of the run, its epoll
 * instance (which also watches the run's wake eventfd, with data.ptr
 * NULL), and its view of the window.  Each mode's state begins with one. */
struct tl_loop {
    struct tl_thread *t;
    const struct tl_opts *o;
    struct tl_stats *st;
    uint32_t n;               /* connections or slots of this thread */
    int ep;
    int ms_timeouts;          /* no epoll_pwait2: millisecond timeouts */
    struct tl_window w;
};

/* A mode's steps, each given the struct tl_loop its state begins with:
 * setup (after the epoll instance is open; returns 0 or -1), run (from the
 * gate to the end; returns 0 or -1) and finish (sums up and frees; always
 * called). */
struct tl_steps {
    int (*setup)(struct tl_loop *l);
    int (*run)(struct tl_loop *l);
    void (*finish)(struct tl_loop *l);
};

/* Runs a mode on thread t: opens l, sets up, waits at the gate (also
 * after a failure, so the other threads are not kept waiting), runs unless
 * this thread or another has failed, finishes, closes l's epoll instance.
 * Returns -1 when this thread's epoll instance, setup or run failed (the
 * reason went to tl_run_fail), else 0. */
int tl_loop_steps(struct tl_loop *l, struct tl_thread *t, const struct tl_steps *s);

/* A mode's handler for one epoll event on one of its connections. */
typedef void (*tl_event_fn)(struct tl_loop *l, void *conn, uint32_t events);

/* Waits up to wait_ns (never past the end of the thread's --interval, so
 * that each interval is handed in on time) for events (epoll_pwait2; where
 * the kernel lacks it, epoll_wait with the timeout rounded up to a
 * millisecond) and hands each connection's event to on_event (the wake
 * eventfd's are skipped).
 * Returns the number of events (0 on timeout or EINTR), or -1 after
 * tl_run_fail. */
int tl_loop_poll(struct tl_loop *l, uint64_t wait_ns, tl_event_fn on_event);

/* Sleeps wait_ns (never past the end of the thread's --interval) without
 * being woken by any event: for a mode whose next step is due by the
 * clock soon, which takes the events that came in meanwhile with
 * tl_loop_poll(l, 0, ...) afterwards.  Neither a reply nor the wake
 * eventfd cuts it short; a signal may.  Returns 0, or -1 after
 * tl_run_fail. */
int tl_loop_nap(struct tl_loop *l, uint64_t wait_ns);

#endif
