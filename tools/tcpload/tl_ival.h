/* tl_ival.h - --interval: one report line per interval of the run.
 *
 * Intervals are D long and aligned on the start of the measured window, so
 * that runs started with one --start-at on several machines cut the same
 * intervals: interval 0 is [measure, measure + D), negative ones cover the
 * warmup (the first of them may begin before the threads start: its rate
 * counts from the start), and those after the window's end the drain.
 *
 * Each thread owns a struct tl_ival: the interval it is in, what completed
 * in it (the count and the latency of the mode's main distribution: echo's
 * messages, connect's transactions, hold's connects) and its byte and error
 * counters when it began.  Recording is a histogram increment on the
 * thread's own memory.  When the thread's clock passes the interval's end
 * (tl_loop_poll never sleeps past it) it adds its interval to the run's
 * ring under the run's lock, once per interval, and starts the next.
 * Main prints an interval once every thread has moved past it
 * (tl_ival_emit), and everything left after the threads have finished; a
 * thread that finds its ring slot still taken by an interval main has not
 * printed yet prints that one first, so nothing is lost however late main
 * runs.
 */
#ifndef TL_IVAL_H
#define TL_IVAL_H

#include <stdint.h>
#include <stdio.h>

#include "tl_hist.h"

struct tl_run;
struct tl_thread;

/* What one thread, or all of them, did in one interval. */
struct tl_ival_sum {
    int64_t index;        /* interval number, 0 the first of the window */
    uint64_t done;        /* completed in it */
    uint64_t bytes_out, bytes_in;
    uint64_t errors;
    struct tl_hist lat;   /* latencies of what completed in it */
};

/* A thread's current interval. */
struct tl_ival {
    struct tl_ival_sum cur;
    uint64_t end_ns;      /* when cur ends */
    uint64_t snap_out, snap_in, snap_err; /* live counters when cur began */
};

#define TL_IVAL_RING 8

/* The run's intervals not printed yet; guarded by the run's lock. */
struct tl_ival_ring {
    uint64_t base_ns;     /* start of the first interval, index -skip */
    int64_t skip;         /* intervals before the window (the warmup's) */
    uint64_t d_ns;        /* --interval */
    int64_t next;         /* the next index to print */
    int used[TL_IVAL_RING];
    struct tl_ival_sum slot[TL_IVAL_RING];
    int64_t *passed;      /* per thread: every index below is added */
    FILE *out;
};

/* Sets up r's ring for intervals of d_ns aligned on r->measure_ns (call
 * once the run's times are fixed); 0 or -1 (out of memory). */
int tl_ival_ring_init(struct tl_run *r, uint64_t d_ns, FILE *out);
void tl_ival_ring_free(struct tl_run *r);

/* Starts thread t's interval tracking (t->ival, allocated); 0 or -1. */
int tl_ival_start(struct tl_thread *t, uint64_t now);

/* Records one completion of latency ns in t's current interval. */
static inline void tl_ival_record(struct tl_ival *iv, uint64_t ns)
{
    iv->cur.done++;
    tl_hist_record(&iv->cur.lat, ns);
}

/* When now has passed t's interval, hands it to the run and starts the
 * one now is in. */
void tl_ival_tick(struct tl_thread *t, uint64_t now);

/* The thread is done: hands in its last interval, and takes part in no
 * later one. */
void tl_ival_stop(struct tl_thread *t);

/* Main: prints every interval all threads have passed; with all set,
 * every interval left. */
void tl_ival_emit(struct tl_run *r, int all);

#endif
