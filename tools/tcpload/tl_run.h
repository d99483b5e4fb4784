/* tl_run.h - one tcpload run: its threads, its phases, its counters.
 *
 * Every mode runs the same way: main starts one thread per -t; each thread
 * sets up its share of the connections (connection k of thread i is
 * connection number k * threads + i of the run), then waits at a barrier;
 * main fixes the start time, the end of the warmup and the end of the
 * measured window (with --start-at, the window starts at that wall-clock
 * time and main holds the gate until its warmup is due), releases the threads, prints a progress line once a
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
 * The loop each thread runs, and its view of the window, are tl_loop.h's.
 */
#ifndef TL_RUN_H
#define TL_RUN_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "tl_hist.h"
#include "tl_ival.h"
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

/* A thread's results, each field listed once below and the struct and
 * tl_stats_merge generated from the lists, so no field can be left out of
 * the merge (memcached lists its stats the same way).
 *
 * TL_STATS_COUNTERS lists the uint64_t counters as X(HOW, name), where HOW
 * is how tl_stats_merge combines two threads' values:
 *   SUM    adds them;
 *   MAX    keeps the larger;
 *   FIRST  belongs to the first bad byte: both FIRST fields come from the
 *          thread whose bad_conn is lower (UINT64_MAX: none seen).
 * TL_STATS_ARRAYS lists the arrays as X(HOW, type, name, length), each
 * element merged by HOW: SUM, or HIST (tl_hist_merge). */
#define TL_STATS_COUNTERS(X)                                                      \
    X(SUM, conns_ok)       /* connections established */                         \
    X(SUM, conns_failed)   /* connection attempts that failed */                 \
    X(SUM, conns_lost)     /* established, then closed by an error or EOF */     \
    X(SUM, conns_held)     /* open at the end (hold) */                          \
    X(SUM, measured)       /* started in the window and completed: in lat[] */   \
    X(SUM, done)           /* of those, completed before the window ended */     \
    X(SUM, started)        /* messages sent or transactions begun, all phases */ \
    X(SUM, unanswered)     /* sent (or begun) but never completed */             \
    X(SUM, bytes_out)      /* all phases */                                      \
    X(SUM, bytes_in)                                                             \
    X(SUM, win_out)        /* bytes moved within the measured window */          \
    X(SUM, win_in)                                                               \
    X(SUM, scheduled)      /* open loop / --rate: due within the window */       \
    X(SUM, late)           /* of those, dispatched late */                       \
    X(MAX, max_lag_ns)     /* the latest a dispatch came */                      \
    X(SUM, bad_bytes)      /* echoed bytes that differ from what was sent */     \
    X(SUM, bad_msgs)       /* messages with at least one such byte */            \
    X(FIRST, bad_conn)     /* connection and stream offset of the first */       \
    X(FIRST, bad_offset)                                                         \
    X(SUM, pings)          /* hold: pings sent */

#define TL_STATS_ARRAYS(X)                                                        \
    X(SUM, uint64_t, errors, TL_ERR_KINDS)      /* by errno or TL_ERR_* */        \
    X(HIST, struct tl_hist, lat, TL_LAT_KINDS)  /* latencies, by enum tl_lat */

struct tl_stats {
#define TL_STATS_COUNTER_FIELD(how, name) uint64_t name;
#define TL_STATS_ARRAY_FIELD(how, type, name, n) type name[n];
    TL_STATS_COUNTERS(TL_STATS_COUNTER_FIELD)
    TL_STATS_ARRAYS(TL_STATS_ARRAY_FIELD)
#undef TL_STATS_COUNTER_FIELD
#undef TL_STATS_ARRAY_FIELD
};

struct tl_run;

/* One thread of a run. */
struct tl_thread {
    struct tl_run *run;
    uint32_t id;
    uint32_t nconns;          /* connections (or slots) this thread owns */
    pthread_t tid;
    int begun;                /* tl_run_begin called */
    struct tl_ival *ival;     /* --interval: the thread's current one */
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
    int64_t wall_offset_ns;   /* CLOCK_REALTIME - CLOCK_MONOTONIC at the gate */
    int window_begun;         /* set at the end: the measured window (hold:
                                 the hold clock) began before the run ended */
    uint64_t warmup_ran_ns;   /* set at the end: the warmup that elapsed
                                 (hold: 0) */
    int stop_sig;             /* the SIGINT or SIGTERM that ended it, or 0 */
    struct tl_ival_ring *ival; /* --interval, or NULL */
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

/* The wall clock (CLOCK_REALTIME) in ns since the Unix epoch. */
static inline uint64_t tl_run_wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts); /* cannot fail for this clock id */
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
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
 * and progress, joins.  On return the merged stats are in *total,
 * *elapsed_ns is the length of the measured window (0 when it never
 * began), and r->window_begun, r->warmup_ran_ns and r->stop_sig say what
 * actually ran.  Returns 0, or -1 when
 * the run could not be carried out (r->why says why). */
int tl_run_execute(struct tl_run *r, const struct tl_opts *o, tl_mode_fn fn,
                   struct tl_stats *total, uint64_t *elapsed_ns);

/* Releases what tl_run_execute allocated. */
void tl_run_free(struct tl_run *r);

/* Empties stats (bad_conn UINT64_MAX, histograms empty); merges src into
 * dst field by field, as the lists above say. */
void tl_stats_init(struct tl_stats *s);
void tl_stats_merge(struct tl_stats *dst, const struct tl_stats *src);

#endif
