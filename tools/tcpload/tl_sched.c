/* tl_sched.c - the open-loop schedule (see tl_sched.h).
 *
 * With t = now - start, message n is due when floor(n * num / den) <= t,
 * that is n * num < (t + 1) * den, so the number of messages due at t is
 * ceil((t + 1) * den / num).  Products are taken in 128 bits.
 */
#include "tl_sched.h"

#include "clock.h"

typedef unsigned __int128 u128;

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

void tl_sched_init(struct tl_sched *s, uint64_t start_ns, uint64_t num,
                   uint64_t den, uint32_t slots, uint64_t late_ns)
{
    uint64_t g = num == 0 ? den : gcd(num, den);

    s->start_ns = start_ns;
    s->num = num / g;
    s->den = den / g;
    s->fast_max = s->num == 0 ? UINT64_MAX : UINT64_MAX / s->num;
    s->slots = slots == 0 ? 1 : slots;
    s->next = 0;
    s->late_ns = late_ns;
    s->late = 0;
    s->max_lag_ns = 0;
}

void tl_sched_init_share(struct tl_sched *s, uint64_t start_ns, uint64_t rate,
                         uint32_t total_slots, uint32_t slots, uint32_t thread,
                         uint64_t late_ns)
{
    if (rate == 0) {
        tl_sched_init(s, start_ns, 0, 1, slots, late_ns);
        return;
    }
    /* Interval between this thread's messages: total_slots / (rate * slots)
     * seconds; the thread's offset: thread / rate seconds. */
    uint64_t offset = (uint64_t)((u128)thread * CLOCK_NS_PER_SEC / rate);
    tl_sched_init(s, start_ns + offset, (uint64_t)total_slots * CLOCK_NS_PER_SEC,
                  rate * (slots == 0 ? 1 : slots), slots, late_ns);
}

uint64_t tl_sched_time(const struct tl_sched *s, uint64_t n)
{
    if (n <= s->fast_max)
        return s->start_ns + n * s->num / s->den;
    return s->start_ns + (uint64_t)((u128)n * s->num / s->den);
}

uint64_t tl_sched_due(const struct tl_sched *s, uint64_t now)
{
    if (now < s->start_ns)
        return 0;
    if (s->num == 0)
        return UINT64_MAX;
    u128 t1 = (u128)(now - s->start_ns) + 1;
    u128 due = (t1 * s->den + s->num - 1) / s->num;
    return due > UINT64_MAX ? UINT64_MAX : (uint64_t)due;
}

uint64_t tl_sched_dispatch_ahead(struct tl_sched *s, uint64_t now, uint64_t ahead_ns,
                                 uint64_t limit)
{
    uint64_t old = s->next;
    uint64_t end = tl_sched_due(s, ahead_ns > UINT64_MAX - now ? UINT64_MAX : now + ahead_ns);

    if (end > limit)
        end = limit;
    if (end <= old)
        return old;
    uint64_t first = tl_sched_time(s, old);
    if (now > first && now - first > s->max_lag_ns)
        s->max_lag_ns = now - first;
    /* Late: due before now - late_ns, i.e. among the first
     * tl_sched_due(now - late_ns - 1) messages. */
    if (now > s->late_ns) {
        uint64_t late_end = tl_sched_due(s, now - s->late_ns - 1);
        if (late_end > end)
            late_end = end;
        if (late_end > old)
            s->late += late_end - old;
    }
    s->next = end;
    return end;
}

enum tl_rate_verdict tl_sched_verdict(uint64_t scheduled, uint64_t answered,
                                      uint64_t late)
{
    if ((u128)late * 100 > scheduled)
        return TL_RATE_SENDS_LATE;
    if ((u128)answered * 100 < (u128)scheduled * 99)
        return TL_RATE_REPLIES_BEHIND;
    return TL_RATE_KEPT;
}
