/* stats.h - echod's counters: one block per worker, summed when read.
 *
 * Each worker owns a struct stats_counters and is the only thread that
 * writes it; the main thread reads every block to print interval lines and
 * the summary.  A block is aligned to and padded out to whole cache lines,
 * so two workers never write the same line.  Updates are a relaxed atomic
 * load and store (a plain move on x86: no lock prefix, no fence); reads are
 * relaxed loads, so a reader may see one counter a moment older than
 * another, never a torn value.
 */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STATS_CACHE_LINE 64

/* Every counter, in the order the summary prints them; the names are in
 * stats.c.  STATS_ACTIVE, STATS_BUFFERED, STATS_PIPES, STATS_PIPES_LENT
 * and STATS_PIPED are gauges, all the others only grow. */
enum stats_id {
    STATS_ACCEPTED,       /* connections admitted */
    STATS_ACTIVE,         /* connections open now (gauge) */
    STATS_CLOSED,         /* connections closed, for any reason */
    STATS_REFUSED,        /* accepted and closed at once: --max-conns */
    STATS_IDLE_TIMEOUTS,  /* closed by --idle-timeout */
    STATS_GRACE_CLOSED,   /* still open (owing, or lingering) when --grace ran out */
    STATS_LINGER_TIMEOUTS, /* lingering close cut: no FIN from the peer in time */
    STATS_WRITE_TIMEOUTS, /* closed by --write-timeout: owed output did not move */
    STATS_LIFETIME_CLOSED, /* closed by --max-lifetime */
    STATS_RESETS,         /* ECONNRESET (or ENOTCONN) from the peer */
    STATS_EPIPE,          /* EPIPE: peer gone while we wrote */
    STATS_IO_ERRORS,      /* any other socket error, the sum of the io_e* below */
    STATS_IO_ETIMEDOUT,   /* io_errors by errno (stats_io_error) */
    STATS_IO_EHOSTUNREACH,
    STATS_IO_ENETUNREACH,
    STATS_IO_ENOBUFS,
    STATS_IO_ENOMEM,
    STATS_IO_EIO,
    STATS_IO_OTHER,
    STATS_NOMEM,          /* closed because no buffer could be allocated */
    STATS_MEMORY_WAITS,   /* a connection waited: the buffer budget was spent */
    STATS_BUFFERED,       /* bytes of pool buffers connections hold now (gauge) */
    STATS_BYTES_IN,
    STATS_BYTES_OUT,
    STATS_ACCEPT_EMFILE,  /* accept4 errors, by errno */
    STATS_ACCEPT_ENFILE,
    STATS_ACCEPT_ENOBUFS,
    STATS_ACCEPT_ENOMEM,
    STATS_ACCEPT_ABORTED, /* ECONNABORTED and EPROTO (retried) */
    STATS_ACCEPT_OTHER,
    STATS_SHED,           /* closed at once for lack of descriptors: past the
                           * descriptor cap, or through the reserve at EMFILE */
    STATS_PROXY_INVALID,  /* --proxy-protocol: header malformed or missing, or peer gone */
    STATS_PROXY_TIMEOUTS, /* --proxy-protocol: no whole header in PROXY_TIMEOUT_MS */
    STATS_PER_IP_REFUSED, /* closed at once: --max-conns-per-ip */
    STATS_PIPES,          /* --splice: pipes the worker holds open, two descriptors
                           * each (gauge) */
    STATS_PIPES_LENT,     /* --splice: pipes connections hold now (gauge) */
    STATS_PIPED,          /* --splice: bytes in those pipes, owed to peers (gauge) */
    STATS_SPLICED,        /* --splice: bytes echoed through a pipe (of bytes_in) */
    STATS_PIPE_MISSES,    /* --splice: a connection began to stream, no pipe was free */
    STATS_COUNT
};

/* Values of the process as a whole rather than of a worker, printed after
 * the totals; written by the main thread only (stats_proc_set). */
enum stats_proc_id {
    STATS_PROC_CONN_CAP,     /* connections echod holds at most (gauge) */
    STATS_PROC_LOG_DROPPED,  /* output lines dropped: their reader was too slow */
    STATS_PROC_COUNT
};

/* Main thread: sets a process value; any thread may read it. */
void stats_proc_set(enum stats_proc_id id, uint64_t v);
uint64_t stats_proc_get(enum stats_proc_id id);

/* The process value's name as the summary prints it ("conn_cap"...). */
const char *stats_proc_name(enum stats_proc_id id);

struct stats_counters {
    uint64_t v[STATS_COUNT];
} __attribute__((aligned(STATS_CACHE_LINE)));

/* Owner only: adds n to counter id. */
static inline void stats_add(struct stats_counters *s, enum stats_id id, uint64_t n)
{
    __atomic_store_n(&s->v[id], __atomic_load_n(&s->v[id], __ATOMIC_RELAXED) + n,
                     __ATOMIC_RELAXED);
}

/* Owner only: subtracts n from a gauge. */
static inline void stats_sub(struct stats_counters *s, enum stats_id id, uint64_t n)
{
    __atomic_store_n(&s->v[id], __atomic_load_n(&s->v[id], __ATOMIC_RELAXED) - n,
                     __ATOMIC_RELAXED);
}

/* Any thread: the current value of counter id in one block. */
static inline uint64_t stats_get(const struct stats_counters *s, enum stats_id id)
{
    return __atomic_load_n(&s->v[id], __ATOMIC_RELAXED);
}

/* The counter's name as the summary prints it ("accepted", "emfile"...). */
const char *stats_name(enum stats_id id);

/* The errno an io_e* counter counts, as a label ("ETIMEDOUT", "other"
 * for STATS_IO_OTHER), or NULL for any other counter. */
const char *stats_errno_label(enum stats_id id);

/* The io_e* counter of errno err. */
enum stats_id stats_io_errno_id(int err);

/* Owner only: counts a socket error err (neither a reset nor EPIPE) in
 * io_errors and in its errno's counter. */
static inline void stats_io_error(struct stats_counters *s, int err)
{
    stats_add(s, STATS_IO_ERRORS, 1);
    stats_add(s, stats_io_errno_id(err), 1);
}

/* Sums the n blocks blocks[0..n-1] into *out. */
void stats_sum(const struct stats_counters *const blocks[], size_t n,
               struct stats_counters *out);

/* Prints one interval line to f from two sums taken interval_ms apart:
 * active connections, accepts/s, MB/s in and out (MB = 10^6 bytes) and
 * whether accepting is paused; one JSON object per line with json. */
void stats_print_interval(FILE *f, const struct stats_counters *prev,
                          const struct stats_counters *cur, uint64_t interval_ms,
                          int paused, int json);

/* Prints every total and process value, then each worker's accepted and
 * active counts:
 * "WHAT: name=value ..." and "WHAT: worker I accepted=N active=N" lines, or
 * one JSON object {"type":"WHAT",...,"workers":[...]}.  WHAT is "summary"
 * at exit and "stats" for SIGUSR1. */
void stats_print_report(FILE *f, const char *what,
                        const struct stats_counters *const blocks[], size_t n,
                        int paused, int json);

#endif
