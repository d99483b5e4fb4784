/* test_timeouts.c - every verdict of timeouts_verdict, for connections of
 * each shape (idle, owing, lingering, PROXY, old), how long until the
 * next look, and the floor between sweeps. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "timeouts.h"

/* A connection slot with room for opened_ms (--max-lifetime). */
static union { struct conn c; uint8_t bytes[CONN_SIZE(1)]; } slot;
static struct conn *const c = &slot.c;

static struct timeouts limits(uint64_t idle, uint64_t write, uint64_t life)
{
    return (struct timeouts){ .idle_ms = idle, .write_ms = write, .lifetime_ms = life,
                              .linger_ms = 5000, .proxy_ms = 3000 };
}

/* An open connection whose last byte moved `idle_ms` before t=100000,
 * opened `age_ms` before it, owing bytes or not. */
static void shape(enum conn_state st, uint32_t idle_ms, uint32_t age_ms, int owes)
{
    memset(&slot, 0, sizeof(slot));
    c->state = (uint8_t)st;
    c->last_active_ms = 100000 - idle_ms;
    c->opened_ms[0] = 100000 - age_ms;
    c->ring = owes ? 7 : 0;
}

/* One look: limits (idle, write, lifetime in ms; lingering 5 s, PROXY
 * 3 s), the connection's shape, and what the look must find. */
struct look {
    const char *what;
    uint64_t idle, write, life;
    enum conn_state state;
    uint32_t idle_for, age;
    int owes;
    enum stats_id verdict;
    uint64_t next_ms; /* when the verdict is STATS_COUNT */
};

static const struct look looks[] = {
    { "idle 400 of 1000 ms", 1000, 60000, 0, CONN_READING, 400, 400, 0, STATS_COUNT, 600 },
    { "idle 1000 of 1000 ms", 1000, 60000, 0, CONN_READING, 1000, 5000, 0,
      STATS_IDLE_TIMEOUTS, 0 },
    { "owes nothing: no write deadline, looked at a write timeout later", 0, 2000, 0,
      CONN_BACKPRESSURE, 2500, 9000, 0, STATS_COUNT, 2000 },
    { "owes, stuck 1500 of 2000 ms", 0, 2000, 0, CONN_BACKPRESSURE, 1500, 9000, 1,
      STATS_COUNT, 500 },
    { "owes, stuck 2000 of 2000 ms", 0, 2000, 0, CONN_DRAINING, 2000, 9000, 1,
      STATS_WRITE_TIMEOUTS, 0 },
    { "busy, 9990 of 10000 ms old", 0, 0, 10000, CONN_READING, 0, 9990, 0, STATS_COUNT, 10 },
    { "busy, 10000 of 10000 ms old", 0, 0, 10000, CONN_READING, 0, 10000, 0,
      STATS_LIFETIME_CLOSED, 0 },
    { "no limit on: never", 0, 0, 0, CONN_READING, 4000000000u, 4000000000u, 1,
      STATS_COUNT, UINT64_MAX },
    { "all up: idle first", 100, 100, 100, CONN_BACKPRESSURE, 200, 200, 1,
      STATS_IDLE_TIMEOUTS, 0 },
    { "write and lifetime up: write first", 0, 100, 100, CONN_BACKPRESSURE, 200, 200, 1,
      STATS_WRITE_TIMEOUTS, 0 },
    { "lingering 4000 of 5000 ms, the other limits do not apply", 100, 100, 100,
      CONN_LINGERING, 4000, 999999, 0, STATS_COUNT, 1000 },
    { "lingering 5000 ms", 100, 100, 100, CONN_LINGERING, 5000, 0, 0,
      STATS_LINGER_TIMEOUTS, 0 },
    { "no PROXY header after 2999 ms", 0, 0, 0, CONN_PROXY, 2999, 2999, 0, STATS_COUNT, 1 },
    { "no PROXY header after 3000 ms", 0, 0, 0, CONN_PROXY, 3000, 3000, 0,
      STATS_PROXY_TIMEOUTS, 0 },
};

Test(timeouts, every_verdict_for_connections_of_each_shape)
{
    for (size_t i = 0; i < sizeof(looks) / sizeof(looks[0]); i++) {
        const struct look *l = &looks[i];
        struct timeouts t = limits(l->idle, l->write, l->life);
        uint64_t next = 12345;
        shape(l->state, l->idle_for, l->age, l->owes);
        enum stats_id v = timeouts_verdict(&t, c, l->owes, 100000, &next);
        cr_assert_eq(v, l->verdict, "%s: verdict %d", l->what, (int)v);
        if (v == STATS_COUNT)
            cr_assert_eq(next, l->next_ms, "%s: next look in %llu ms", l->what,
                         (unsigned long long)next);
    }
}

Test(timeouts, the_clock_may_wrap)
{
    struct timeouts t = limits(1000, 0, 0);
    uint64_t next;

    shape(CONN_READING, 0, 0, 0);
    c->last_active_ms = UINT32_MAX - 99; /* 100 ms before now = 0 after the wrap */
    cr_assert_eq(timeouts_verdict(&t, c, 0, 0, &next), STATS_COUNT);
    cr_assert_eq(next, 900);
}

Test(timeouts, first_deadline_of_a_new_connection)
{
    struct timeouts t = limits(0, 60000, 30000);

    cr_assert_eq(timeouts_first_ms(&t, 0), 30000);
    cr_assert_eq(timeouts_first_ms(&t, 1), 3000, "a PROXY header's limit");
    t = limits(0, 0, 0);
    cr_assert_eq(timeouts_first_ms(&t, 0), UINT64_MAX);
}

Test(timeouts, sweeps_are_spaced_by_the_shortest_limit_and_the_slot_count)
{
    struct timeouts t = limits(0, 60000, 0);

    cr_assert_eq(timeouts_floor_ms(&t, 512), 5000 / 32, "lingering's 5 s is shorter");
    t.idle_ms = 320;
    cr_assert_eq(timeouts_floor_ms(&t, 512), 10);
    t.idle_ms = 1;
    cr_assert_eq(timeouts_floor_ms(&t, 512), 1, "at least 1 ms");
    cr_assert_eq(timeouts_floor_ms(&t, 100 * TIMEOUTS_SLOTS_PER_MS), 100,
                 "1 ms per TIMEOUTS_SLOTS_PER_MS slots");
    t = limits(0, 0, 0);
    t.linger_ms = 1000000;
    cr_assert_eq(timeouts_floor_ms(&t, 0), 1000, "at most 1 s for the limits");
}
