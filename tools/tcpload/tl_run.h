/* tl_run.h - one tcpload run: its threads, its phases, its counters.
 *
 * Every mode runs the same way: main starts one thread per -t; each thread
 * sets up its share of the connections (connection k of thread i is
 * connection number k * threads + i of the run), then waits at a barrier;
 * main fixes the start time, the end of the warmup and the end of the
 * measured window, releases the threads, prints a progress line once a
 * second, and collects each thread's stats when they finish.
 *
 * Threads share nothing on the hot path.  Each owns a struct tl_stats that
 * only it writes (read by main after the join) and a struct tl_live of a
 * few counters that it stores with relaxed atomic stores and main reads for
 * the progress line: no lock, no atomic read-modify-write.  The end of the
 * window can move earlier (SIGINT, SIGTERM) or be set late (hold mode
 * starts its clock once every connection is open): main then stores the
 * new end and writes to an eventfd that every thread's epoll watches
 * (edge-triggered, never read), so each thread wakes up once and rereads it.
 */
#ifndef TL_RUN_H
#define TL_RUN_H

#include <pthread.h>
#include <stdint.h>

#include "tl_hist.h"
#include "tl_opts.h"

/* Error kinds: an errno below TL_ERRNO_MAX, or one of tcpload's own. */
#define TL_ERRNO_MAX 160
enum tl_err_kind {
    TL_ERR_EOF = TL_ERRNO_MAX,  /* the server closed the connection early */
    TL_ERR_SHORT,               /* reply shorter than --expect */
    TL_ERR_TIMEOUT,             /* no progress within --timeout */
    TL_ERR_KINDS,
};

/* Which latency distributions a mode records. */
enum tl_lat {
    TL_LAT_MESSAGE = 0,   /* echo: send (or schedule) to last echoed byte */
    TL_LAT_CONNECT = 0,   /* connect, hold: connect() to connected */
    TL_LAT_FIRST = 1,     /* connect: connect() to first reply byte */
    TL_LAT_TXN = 2,       /* connect: connect() to the end of the transaction */
    TL_LAT_KINDS = 3,
};

/* Counters the progress line reads while the thread runs. */
struct tl_live {
    uint64_t done;       /* messages or transactions completed */
    uint64_t opened;     /* connections established */
    uint64_t open;       /* connections open now */
    uint64_t bytes_out;
    uint64_t bytes_in;
    uint64_t errors;
} __attribute__((aligned(64)));

/* A thread's results; summed over threads with tl_stats_merge. */
struct tl_stats {
    uint64_t conns_ok;        /* connections established */
    uint64_t conns_failed;    /* connection attempts that failed */
    uint64_t conns_lost;      /* established, then closed by an error or EOF */
    uint64_t conns_held;      /* open at the end (hold) */
    uint64_t done;            /* completed within the measured window */
    uint64_t measured;        /* started in the window and completed: in lat[] */
    uint64_t started;         /* messages sent or transactions begun, all phases */
    uint64_t unanswered;      /* sent (or begun) but never completed */
    uint64_t bytes_out, bytes_in;    /* all phases */
    uint64_t win_out, win_in; /* bytes moved within the measured window */
    uint64_t scheduled;       /* open loop / --rate: due within the window */
    uint64_t late;            /* of those, dispatched late */
    uint64_t max_lag_ns;      /* the latest a dispatch came */
    uint64_t bad_bytes;       /* echoed bytes that differ from what was sent */
    uint64_t bad_msgs;        /* messages with at least one such byte */
    uint64_t bad_conn;        /* connection and stream offset of the first */
    uint64_t bad_offset;
    uint64_t pings;           /* hold: pings sent */
    uint64_t errors[TL_ERR_KINDS];
    struct tl_hist lat[TL_LAT_KINDS];
};

struct tl_run;

/* One thread of a run. */
struct tl_thread {
    struct tl_run *run;
    uint32_t id;
    uint32_t nconns;          /* connections (or slots) this thread owns */
    pthread_t tid;
    int begun;                /* tl_run_begin called */
    struct tl_live live;
    struct tl_stats stats;
};

/* A mode's thread body: sets up, calls tl_run_begin, runs, returns 0 or -1
 * (after writing the reason with tl_run_fail). */
typedef int (*tl_mode_fn)(struct tl_thread *t);

struct tl_run {
    const struct tl_opts *o;
    tl_mode_fn fn;            /* the mode's thread body */
    uint64_t start_ns;        /* threads start here */
    uint64_t measure_ns;      /* start + warmup */
    uint64_t end_ns;          /* end of the window: read with tl_run_end */
    int wake_fd;              /* eventfd that wakes every thread */
    uint32_t nthreads;        /* threads asked for */
    uint32_t started;         /* threads actually started */
    uint32_t opened_threads;  /* hold: threads done opening (atomic) */
    uint32_t finished;        /* threads that returned (atomic) */
    int failed;               /* a thread could not go on */
    char why[256];            /* the first reason */
    /* The start gate and why[]: setup and teardown only, never per message. */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint32_t arrived;         /* threads at the gate */
    int gate_open;
    struct tl_thread *threads;
};

/* Global connection number of a thread's connection k. */
static inline uint64_t tl_run_conn_index(const struct tl_thread *t, uint32_t k)
{
    return (uint64_t)k * t->run->nthreads + t->id;
}

/* The current end of the measured window (UINT64_MAX while unknown). */
static inline uint64_t tl_run_end(const struct tl_run *r)
{
    return __atomic_load_n(&r->end_ns, __ATOMIC_ACQUIRE);
}

/* Adds v to a live counter the thread owns (a plain store, atomic). */
static inline void tl_live_add(uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, *p + v, __ATOMIC_RELAXED);
}
static inline void tl_live_sub(uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, *p - v, __ATOMIC_RELAXED);
}

/* Counts one error of kind (errno or TL_ERR_*) on the thread. */
void tl_run_error(struct tl_thread *t, int kind);

/* Records why the thread cannot go on (first one wins); returns -1. */
int tl_run_fail(struct tl_thread *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Called by each thread when its setup is done, successful or not: waits
 * for the others and for main to fix the times. */
void tl_run_begin(struct tl_thread *t);

/* Hold mode: this thread has opened its connections. */
void tl_run_opened(struct tl_thread *t);

/* Runs the whole thing: starts o->threads threads on fn, drives phases
 * and progress, joins.  On return the merged stats are in *total and
 * *elapsed_ns is the length of the measured window.  Returns 0, or -1 when
 * the run could not be carried out (r->why says why). */
int tl_run_execute(struct tl_run *r, const struct tl_opts *o, tl_mode_fn fn,
                   struct tl_stats *total, uint64_t *elapsed_ns);

/* Releases what tl_run_execute allocated. */
void tl_run_free(struct tl_run *r);

/* Empties stats; adds src into dst. */
void tl_stats_init(struct tl_stats *s);
void tl_stats_merge(struct tl_stats *dst, const struct tl_stats *src);

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
 * win_in hold the bytes moved within it.  Returns TL_WIN_* bits. */
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
 * setup (after tl_loop_open; returns 0 or -1), run (from the gate to the
 * end; returns 0 or -1) and finish (sums up and frees; always called). */
struct tl_steps {
    int (*setup)(struct tl_loop *l);
    int (*run)(struct tl_loop *l);
    void (*finish)(struct tl_loop *l);
};

/* Runs a mode on thread t: opens l, sets up, waits at the gate, runs
 * unless something failed, finishes, closes l.  Returns 0 or -1. */
int tl_loop_steps(struct tl_loop *l, struct tl_thread *t, const struct tl_steps *s);

/* A mode's handler for one epoll event on one of its connections. */
typedef void (*tl_event_fn)(struct tl_loop *l, void *conn, uint32_t events);

/* Waits up to wait_ns for events (epoll_pwait2; where the kernel lacks
 * it, epoll_wait with the timeout rounded up to a millisecond) and hands
 * each connection's event to on_event (the wake eventfd's are skipped).
 * Returns the number of events (0 on timeout or EINTR), or -1 after
 * tl_run_fail. */
int tl_loop_poll(struct tl_loop *l, uint64_t wait_ns, tl_event_fn on_event);

#endif
