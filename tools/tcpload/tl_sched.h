/* tl_sched.h - tcpload's open-loop schedule: when each message is due.
 *
 * An open-loop run sends messages at constant intervals whatever the server
 * does.  One schedule serves one thread: its messages are numbered n = 0, 1,
 * 2, ... in time order, message n is due at start + floor(n * num / den)
 * nanoseconds, and it belongs to connection (slot) n % slots as that
 * connection's message number n / slots; so each connection sends at a
 * constant interval of slots * num / den and the connections of a thread
 * take turns.  The arithmetic is exact (128-bit where needed), so the
 * schedule never drifts however long the run.
 *
 * A late message's latency is measured from its scheduled time, not from
 * the moment it was written (the coordinated-omission correction): when
 * the loop wakes late, every overdue message is dispatched at once
 * ("catch-up") and keeps its original due time, so a stall shows up in the
 * latencies of all the messages it delayed.  A caller may also dispatch
 * messages a little ahead of their time (to send them in one wakeup);
 * those count from when they were queued, which is earlier.  The schedule also counts how late it was
 * dispatched, so the summary can say when the requested rate was not kept.
 *
 * Everything is pure logic on a clock value the caller passes in, so the
 * tests drive it with a fake clock.
 */
#ifndef TL_SCHED_H
#define TL_SCHED_H

#include <stdint.h>

struct tl_sched {
    uint64_t start_ns;    /* due time of message 0 */
    uint64_t num, den;    /* messages are num / den ns apart; num 0: all due at start */
    uint64_t fast_max;    /* n * num fits in 64 bits for every n <= fast_max */
    uint32_t slots;       /* connections that take turns, at least 1 */
    uint64_t next;        /* first message not dispatched yet */
    uint64_t late_ns;     /* dispatched more than this after its due time: late */
    uint64_t late;        /* messages dispatched late */
    uint64_t max_lag_ns;  /* the largest dispatch lag seen */
};

/* Sets up a schedule of messages num / den ns apart from start_ns, shared
 * round-robin by `slots` connections; num 0 makes every message due at
 * start_ns (no rate limit).  The fraction is reduced, so any num and den
 * work; den must not be 0. */
void tl_sched_init(struct tl_sched *s, uint64_t start_ns, uint64_t num,
                   uint64_t den, uint32_t slots, uint64_t late_ns);

/* Sets up one thread's share of a run-wide rate: `rate` messages per
 * second over `total_slots` connections in all, of which this thread owns
 * `slots`.  Each connection then sends every total_slots / rate seconds,
 * as in the whole run; thread number `thread` starts thread / rate seconds
 * after start_ns so the threads interleave.  rate 0: no limit. */
void tl_sched_init_share(struct tl_sched *s, uint64_t start_ns, uint64_t rate,
                         uint32_t total_slots, uint32_t slots, uint32_t thread,
                         uint64_t late_ns);

/* Due time of message n (ns). */
uint64_t tl_sched_time(const struct tl_sched *s, uint64_t n);

/* How many messages are due at or before now: the n with
 * tl_sched_time(n) <= now.  UINT64_MAX when there is no rate limit and
 * now >= start. */
uint64_t tl_sched_due(const struct tl_sched *s, uint64_t now);

/* Dispatches every message due at or before now + ahead_ns but not
 * beyond message number limit (exclusive): returns the new s->next; the
 * caller sends messages [old s->next, returned value).  Counts those sent
 * late (due more than late_ns before now) and the largest lag. */
uint64_t tl_sched_dispatch_ahead(struct tl_sched *s, uint64_t now, uint64_t ahead_ns,
                                 uint64_t limit);

/* Dispatches every message due at now (none ahead of its time). */
static inline uint64_t tl_sched_dispatch(struct tl_sched *s, uint64_t now, uint64_t limit)
{
    return tl_sched_dispatch_ahead(s, now, 0, limit);
}

/* Due time of the first message not dispatched yet. */
static inline uint64_t tl_sched_next_time(const struct tl_sched *s)
{
    return tl_sched_time(s, s->next);
}

/* Due time of message j of connection slot. */
static inline uint64_t tl_sched_slot_time(const struct tl_sched *s,
                                          uint32_t slot, uint64_t j)
{
    return tl_sched_time(s, j * s->slots + slot);
}

/* How many of messages [0, n) belong to slot. */
static inline uint64_t tl_sched_slot_count(const struct tl_sched *s,
                                           uint32_t slot, uint64_t n)
{
    return n > slot ? (n - slot + s->slots - 1) / s->slots : 0;
}

/* Lateness correction: how long ago message n was due (0 if not yet). */
static inline uint64_t tl_sched_latency(const struct tl_sched *s, uint64_t n,
                                        uint64_t now)
{
    uint64_t due = tl_sched_time(s, n);
    return now > due ? now - due : 0;
}

/* Whether a run kept its requested rate. */
enum tl_rate_verdict {
    TL_RATE_KEPT,            /* at least 99% answered in the window, <1% late */
    TL_RATE_SENDS_LATE,      /* more than 1% of the messages went out late */
    TL_RATE_REPLIES_BEHIND,  /* sent on time, but under 99% answered in time */
};

/* Judges a run from the messages scheduled in the measurement window, the
 * messages answered within it, and those dispatched late. */
enum tl_rate_verdict tl_sched_verdict(uint64_t scheduled, uint64_t answered,
                                      uint64_t late);

#endif
