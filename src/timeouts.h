/* timeouts.h - when a connection's time is up, and the sweep that looks.
 *
 * A connection carries no timer.  It records the loop time of its last
 * byte (a plain store on the data path; from the start of a lingering
 * close, the time that began) and, with --max-lifetime, its opening time;
 * every deadline follows from those, its state and the options.  The
 * worker looks at all its connections in one sweep, which also finds the
 * earliest deadline still to come, and sweeps again then: no timer work
 * per message, and no timer node per connection (an idle connection
 * costs no more with --idle-timeout than without).
 *
 * A sweep costs about 11 ns a slot (10,000 idle connections: 5.6 ms of
 * CPU in 5 s for 50 sweeps, wake-ups included; the timer wheel this
 * replaced used 54 ms), so sweeps are kept at least timeouts_floor_ms
 * apart: 1/32 of the shortest timeout (lingering's included), and at
 * least 1 ms per TIMEOUTS_SLOTS_PER_MS slots, which bounds the walk over
 * the slots to about 0.6% of a core at any connection count (the wake-ups
 * themselves come at most once per floor, as a timer wheel's ticks did).
 * A connection is closed at most that floor after its deadline, never
 * before.
 */
#ifndef TIMEOUTS_H
#define TIMEOUTS_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "options.h"
#include "stats.h"

#define TIMEOUTS_SLOTS_PER_MS 512

/* The timeouts in ms (0: off) and the lingering and PROXY header limits. */
struct timeouts {
    uint64_t idle_ms, write_ms, lifetime_ms;
    uint64_t linger_ms, proxy_ms;
};

void timeouts_init(struct timeouts *t, const struct options *o, uint64_t linger_ms,
                   uint64_t proxy_ms);

/* What a look at open connection c at time now_ms finds, owes saying
 * whether c owes its peer bytes (conn_owes: in its ring or its pipe): the
 * reason its time is up (a stats id: STATS_IDLE_TIMEOUTS, STATS_WRITE_TIMEOUTS,
 * STATS_LIFETIME_CLOSED, STATS_LINGER_TIMEOUTS, STATS_PROXY_TIMEOUTS), or
 * STATS_COUNT with *next_ms set to how long until it may be (UINT64_MAX:
 * never, as things stand).  A connection that owes nothing is looked at
 * again one write timeout later, so one that starts owing meanwhile is
 * found at most a sweep late. */
enum stats_id timeouts_verdict(const struct timeouts *t, const struct conn *c, int owes,
                               uint32_t now_ms, uint64_t *next_ms);

/* How long after opening (or the PROXY header) the first deadline of a
 * new connection may come: the sweep must come by then. */
uint64_t timeouts_first_ms(const struct timeouts *t, int proxy);

/* The least time between two sweeps of a worker with `slots` slots. */
uint64_t timeouts_floor_ms(const struct timeouts *t, size_t slots);

#endif
