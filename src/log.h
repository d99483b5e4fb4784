/* log.h - echod's output: lines on stdout (listening, stats, summary) and
 * on stderr (warnings and events), written so that they never block.
 *
 * A server must not stall because whoever reads its output is slow or
 * gone: a pipe nobody reads, a terminal stopped with ^S.  log_init makes
 * both streams nonblocking without touching the file description a parent
 * may share: a pipe, FIFO or terminal is reopened through /proc/self/fd
 * (an open file description of echod's own, O_NONBLOCK) onto the same
 * descriptor number; a socket (the journal) is written with MSG_DONTWAIT;
 * a regular file never blocks and is written as it is.  When the reader is
 * too slow, whole lines are dropped and counted (log_dropped), never cut:
 * the tail of a line the kernel took only in part is kept (up to
 * LOG_PENDING_MAX bytes) and written first next time.
 *
 * stderr lines start with a UTC timestamp ("2026-12-02T01:31:40.123Z
 * echod: ...") unless stderr is the journal (JOURNAL_STREAM names its
 * device and inode), which stamps lines itself.  Lines a peer can cause go
 * through a struct log_limit: at most one per interval, and the next one
 * says how many were suppressed.  Every function is thread safe.
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>
#include <stdint.h>

#define LOG_PENDING_MAX 65536
#define LOG_LIMIT_MS 1000   /* the interval of the limiters echod uses */

/* One rate-limited kind of line; LOG_LIMIT(ms) initialises it. */
struct log_limit {
    uint64_t interval_ns;
    uint64_t next_ns;       /* CLOCK_MONOTONIC: no line of this kind before */
    uint64_t suppressed;    /* lines not written since the last one */
};
#define LOG_LIMIT(ms) { (uint64_t)(ms) * 1000000u, 0, 0 }

/* Makes stdout and stderr nonblocking (as above) and decides whether
 * stderr lines are stamped.  Call once, before any thread starts. */
void log_init(void);

/* Writes text, whole lines of len bytes, to stdout. */
void log_out(const char *text, size_t len);

/* printf to stdout; the result must end with a newline. */
void log_outf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr: [timestamp ]"echod: " message "\n". */
void log_errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_errf through limiter l: dropped (and counted in l) when the last
 * line of its kind is less than l->interval_ns old. */
void log_errf_limited(struct log_limit *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Lines dropped so far because a reader was too slow or gone. */
uint64_t log_dropped(void);

/* Waits up to timeout_ms for kept tails to be written (at exit). */
void log_flush(int timeout_ms);

#endif
