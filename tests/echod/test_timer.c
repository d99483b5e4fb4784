/* test_timer.c - the timer wheel against a fake millisecond clock. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "timer.h"

struct item {
    struct timer_node node;   /* first member: the callback casts back */
    uint64_t want;            /* deadline it was armed with */
    uint64_t fired_at;        /* 0 until it fires */
    int fired;
};

static uint64_t fake_now;

static void record_cb(struct timer_node *n, void *arg)
{
    struct item *it = (struct item *)n;
    (void)arg;
    it->fired++;
    it->fired_at = fake_now;
}

Test(timer, fires_after_deadline_within_one_tick)
{
    struct timer_wheel w;
    struct item a = { 0 };

    timer_init(&w, 10, 1000);
    timer_node_init(&a.node);
    timer_arm(&w, &a.node, 1055);
    cr_assert(timer_armed(&a.node));
    for (fake_now = 1000; fake_now < 1054; fake_now++)
        cr_assert_eq(timer_expire(&w, fake_now, record_cb, NULL), 0, "early at %lu",
                     (unsigned long)fake_now);
    for (; a.fired == 0 && fake_now < 1100; fake_now++)
        timer_expire(&w, fake_now, record_cb, NULL);
    cr_assert_eq(a.fired, 1);
    cr_assert_geq(a.fired_at, 1055);
    cr_assert_leq(a.fired_at, 1065);
    cr_assert_not(timer_armed(&a.node));
    cr_assert_eq(timer_next_ms(&w, fake_now), -1);
}

Test(timer, disarm_and_rearm_move_the_node)
{
    struct timer_wheel w;
    struct item a = { 0 };

    timer_init(&w, 1, 0);
    timer_node_init(&a.node);
    timer_disarm(&w, &a.node);            /* harmless when not armed */
    timer_arm(&w, &a.node, 50);
    timer_arm(&w, &a.node, 500);          /* moves, does not duplicate */
    fake_now = 100;
    cr_assert_eq(timer_expire(&w, 100, record_cb, NULL), 0);
    timer_disarm(&w, &a.node);
    fake_now = 1000;
    cr_assert_eq(timer_expire(&w, 1000, record_cb, NULL), 0);
    cr_assert_eq(a.fired, 0);
}

Test(timer, deadlines_beyond_one_turn_wait_for_their_turn)
{
    struct timer_wheel w;
    struct item a = { 0 };
    uint64_t far = 3 * TIMER_SLOTS * 10 + 7;

    timer_init(&w, 10, 0);
    timer_node_init(&a.node);
    timer_arm(&w, &a.node, far);
    for (fake_now = 0; fake_now < far; fake_now += 3)
        timer_expire(&w, fake_now, record_cb, NULL);
    cr_assert_eq(a.fired, 0);
    fake_now = far + 10;
    timer_expire(&w, fake_now, record_cb, NULL);
    cr_assert_eq(a.fired, 1);
}

Test(timer, past_deadline_fires_at_next_tick_and_big_jumps_work)
{
    struct timer_wheel w;
    struct item a = { 0 }, b = { 0 };

    timer_init(&w, 10, 5000);
    timer_node_init(&a.node);
    timer_node_init(&b.node);
    timer_arm(&w, &a.node, 10);                 /* long past */
    timer_arm(&w, &b.node, 5000 + 100000);
    cr_assert_eq(timer_next_ms(&w, 5000), 10);
    fake_now = 5010;
    cr_assert_eq(timer_expire(&w, fake_now, record_cb, NULL), 1);
    cr_assert_eq(a.fired, 1);
    fake_now = 5000 + 1000000;                  /* a jump of many turns */
    cr_assert_eq(timer_expire(&w, fake_now, record_cb, NULL), 1);
    cr_assert_eq(b.fired, 1);
}

static struct timer_wheel *rearm_wheel;

static void rearm_cb(struct timer_node *n, void *arg)
{
    struct item *it = (struct item *)n;
    (void)arg;
    it->fired++;
    if (it->fired < 3)
        timer_arm(rearm_wheel, n, fake_now);    /* due again at once */
}

Test(timer, callback_may_rearm_itself_without_looping)
{
    struct timer_wheel w;
    struct item a = { 0 };

    rearm_wheel = &w;
    timer_init(&w, 5, 0);
    timer_node_init(&a.node);
    timer_arm(&w, &a.node, 5);
    fake_now = 5;
    cr_assert_eq(timer_expire(&w, fake_now, rearm_cb, NULL), 1);
    cr_assert(timer_armed(&a.node));
    fake_now = 10;
    timer_expire(&w, fake_now, rearm_cb, NULL);
    fake_now = 15;
    timer_expire(&w, fake_now, rearm_cb, NULL);
    cr_assert_eq(a.fired, 3);
    cr_assert_not(timer_armed(&a.node));
}

/* Many nodes, random deadlines, random re-arms and disarms, a clock that
 * advances by random steps: each armed node fires exactly once, never
 * before its deadline and at most one tick plus one clock step after it;
 * timer_next_ms never points past a due node. */
Test(timer, randomized_fire_exactly_once_never_early)
{
    enum { N = 2000, TICK = 4 };
    static struct item items[N];
    struct timer_wheel w;
    uint64_t step_max = 9;

    srand(777);
    fake_now = 100000;
    timer_init(&w, TICK, fake_now);
    for (int i = 0; i < N; i++) {
        timer_node_init(&items[i].node);
        items[i].want = fake_now + (uint64_t)(rand() % 5000);
        timer_arm(&w, &items[i].node, items[i].want);
    }
    for (int round = 0; round < 4000; round++) {
        int i = rand() % N;
        if (rand() % 3 == 0 && !items[i].fired) {
            if (rand() % 2) {
                items[i].want = fake_now + (uint64_t)(rand() % 3000);
                timer_arm(&w, &items[i].node, items[i].want);
            } else {
                timer_disarm(&w, &items[i].node);
                items[i].want = 0;
            }
        }
        int64_t next = timer_next_ms(&w, fake_now);
        uint64_t step = 1 + (uint64_t)(rand() % (int)step_max);
        if (next >= 0)
            for (int k = 0; k < N; k++)
                if (timer_armed(&items[k].node))
                    cr_assert_geq(items[k].want + TICK, fake_now + (uint64_t)next,
                                  "next_ms %ld points past item %d", (long)next, k);
        fake_now += step;
        timer_expire(&w, fake_now, record_cb, NULL);
    }
    fake_now += 10000;
    timer_expire(&w, fake_now, record_cb, NULL);
    for (int i = 0; i < N; i++) {
        if (items[i].want == 0) {
            cr_assert_eq(items[i].fired, 0);
            continue;
        }
        cr_assert_eq(items[i].fired, 1, "item %d fired %d times", i, items[i].fired);
        if (items[i].fired_at < fake_now) {
            cr_assert_geq(items[i].fired_at, items[i].want, "item %d early", i);
            cr_assert_leq(items[i].fired_at, items[i].want + TICK + step_max, "item %d late", i);
        }
    }
    cr_assert_eq(w.armed, 0);
}

/* What timer_next_ms answered before it remembered where it looked: a full
 * scan of the coming turn's slots. */
static int64_t next_ms_by_full_scan(const struct timer_wheel *w, uint64_t now_ms)
{
    if (w->armed == 0)
        return -1;
    for (uint64_t tick = w->now_tick + 1; tick <= w->now_tick + TIMER_SLOTS; tick++) {
        const struct timer_node *head = &w->slots[tick & (TIMER_SLOTS - 1)];
        if (head->next != head) {
            uint64_t at = tick * w->tick_ms;
            return at <= now_ms ? 0 : (int64_t)(at - now_ms);
        }
    }
    return 0;
}

/* timer_next_ms starts where its last call found a slot (so a loop turn
 * with no arming costs no scan): it must answer exactly what a full scan
 * does, whatever was armed nearer, disarmed, re-armed beyond one turn or
 * put back by timer_expire in between, and with several calls in a row. */
Test(timer, next_ms_from_where_it_last_looked_equals_a_full_scan)
{
    enum { N = 64, TICK = 10 };
    static struct item items[N];
    struct timer_wheel w;

    srand(4242);
    fake_now = 50000;
    timer_init(&w, TICK, fake_now);
    for (int i = 0; i < N; i++)
        timer_node_init(&items[i].node);
    for (int round = 0; round < 20000; round++) {
        int i = rand() % N;
        switch (rand() % 4) {
        case 0: /* nearer than anything, or up to three turns away */
            timer_arm(&w, &items[i].node, fake_now + (uint64_t)(rand() % (3 * TIMER_SLOTS * TICK)));
            break;
        case 1:
            timer_disarm(&w, &items[i].node);
            break;
        case 2:
            fake_now += (uint64_t)(rand() % (rand() % 8 == 0 ? 4 * TIMER_SLOTS * TICK : 3 * TICK));
            timer_expire(&w, fake_now, record_cb, NULL);
            break;
        default:
            break;
        }
        int64_t want = next_ms_by_full_scan(&w, fake_now);
        cr_assert_eq(timer_next_ms(&w, fake_now), want, "round %d", round);
        cr_assert_eq(timer_next_ms(&w, fake_now), want, "round %d, asked again", round);
    }
}
