/* timeouts.c - deadlines from a connection's times (see timeouts.h). */
#include "timeouts.h"

void timeouts_init(struct timeouts *t, const struct options *o, uint64_t linger_ms,
                   uint64_t proxy_ms)
{
    *t = (struct timeouts){ .idle_ms = o->idle_timeout_ms, .write_ms = o->write_timeout_ms,
                            .lifetime_ms = o->max_lifetime_ms, .linger_ms = linger_ms,
                            .proxy_ms = proxy_ms };
}

/* How long until limit ms have passed since an event `since` ms ago
 * (0 when they have); UINT64_MAX when the limit is off. */
static uint64_t left_ms(uint64_t limit, uint32_t since)
{
    return limit == 0 ? UINT64_MAX : since >= limit ? 0 : limit - since;
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t m = a < b ? a : b;
    return m < c ? m : c;
}

enum stats_id timeouts_verdict(const struct timeouts *t, const struct conn *c, int owes,
                               uint32_t now_ms, uint64_t *next_ms)
{
    uint32_t idle = now_ms - c->last_active_ms;

    if (c->state == CONN_LINGERING || c->state == CONN_PROXY) {
        /* Lingering counts from its start; no byte moves before a header. */
        int lingering = c->state == CONN_LINGERING;
        *next_ms = left_ms(lingering ? t->linger_ms : t->proxy_ms, idle);
        if (*next_ms != 0)
            return STATS_COUNT;
        return lingering ? STATS_LINGER_TIMEOUTS : STATS_PROXY_TIMEOUTS;
    }
    uint64_t t_idle = left_ms(t->idle_ms, idle);
    uint64_t t_write = left_ms(t->write_ms, owes ? idle : 0);
    uint64_t t_life = t->lifetime_ms == 0 ? UINT64_MAX
                    : left_ms(t->lifetime_ms, now_ms - c->opened_ms[0]);

    *next_ms = min3(t_idle, t_write, t_life);
    if (*next_ms != 0)
        return STATS_COUNT;
    return t_idle == 0 ? STATS_IDLE_TIMEOUTS : t_write == 0 ? STATS_WRITE_TIMEOUTS
                                                            : STATS_LIFETIME_CLOSED;
}

/* The shortest of the limits that are on (UINT64_MAX: none). */
static uint64_t shortest(uint64_t a, uint64_t b, uint64_t c)
{
    return min3(a ? a : UINT64_MAX, b ? b : UINT64_MAX, c ? c : UINT64_MAX);
}

uint64_t timeouts_first_ms(const struct timeouts *t, int proxy)
{
    return proxy ? t->proxy_ms : shortest(t->idle_ms, t->write_ms, t->lifetime_ms);
}

uint64_t timeouts_floor_ms(const struct timeouts *t, size_t slots)
{
    uint64_t first = shortest(t->idle_ms, t->write_ms, t->lifetime_ms);
    uint64_t f = (first < t->linger_ms ? first : t->linger_ms) / 32;
    uint64_t by_count = slots / TIMEOUTS_SLOTS_PER_MS;

    f = f < 1 ? 1 : f > 1000 ? 1000 : f;
    return f > by_count ? f : by_count;
}
