/* timer.c - hashed timer wheel (see timer.h).
 *
 * Slot i holds the nodes whose deadline tick is congruent to i modulo
 * TIMER_SLOTS.  timer_expire walks the slots from the last processed tick to
 * the current one (at most one full turn) and fires the nodes whose exact
 * deadline has passed; a node whose deadline is one or more turns away is
 * simply left where it is.  A deadline is rounded up to its tick, so a node
 * fires at most one tick late and never early.  timer_next_ms, called every
 * loop turn, starts from the slot it found last time (scan_tick; arming a
 * nearer node moves it back), so it scans the slots only after that slot's
 * tick has passed, not on every turn.
 */
#include "timer.h"

#include <assert.h>

static struct timer_node *slot_for(struct timer_wheel *w, uint64_t tick)
{
    return &w->slots[tick & (TIMER_SLOTS - 1)];
}

void timer_init(struct timer_wheel *w, uint64_t tick_ms, uint64_t now_ms)
{
    assert(tick_ms >= 1);
    for (size_t i = 0; i < TIMER_SLOTS; i++)
        w->slots[i].next = w->slots[i].prev = &w->slots[i];
    w->tick_ms = tick_ms;
    w->now_tick = now_ms / tick_ms;
    w->armed = 0;
    w->scan_tick = w->now_tick + 1;
}

/* A node went into the slot of tick (> now_tick): where timer_next_ms
 * looks first must not be past that slot's place in the coming turn. */
static void note_slot(struct timer_wheel *w, uint64_t tick)
{
    uint64_t at = w->now_tick + 1 + ((tick - w->now_tick - 1) & (TIMER_SLOTS - 1));

    if (at < w->scan_tick)
        w->scan_tick = at;
}

static void unlink_node(struct timer_node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = NULL;
}

void timer_arm(struct timer_wheel *w, struct timer_node *n, uint64_t deadline_ms)
{
    /* Rounded up, so every node in a slot is due once its tick is reached. */
    uint64_t tick = deadline_ms / w->tick_ms + (deadline_ms % w->tick_ms != 0);
    struct timer_node *head;

    if (timer_armed(n)) {
        unlink_node(n);
        w->armed--;
    }
    /* A deadline at or before the current tick goes into the next slot
     * timer_expire will visit, so it fires on the next call. */
    if (tick <= w->now_tick)
        tick = w->now_tick + 1;
    head = slot_for(w, tick);
    n->deadline_ms = deadline_ms;
    n->next = head->next;
    n->prev = head;
    head->next->prev = n;
    head->next = n;
    w->armed++;
    note_slot(w, tick);
}

void timer_disarm(struct timer_wheel *w, struct timer_node *n)
{
    if (!timer_armed(n))
        return;
    unlink_node(n);
    w->armed--;
}

/* Fires the due nodes of one slot.  The slot's list is first moved to a
 * local head so that callbacks re-arming nodes into this same slot cannot
 * make the walk loop forever. */
static size_t expire_slot(struct timer_wheel *w, struct timer_node *head,
                          uint64_t now_ms, timer_cb cb, void *arg)
{
    struct timer_node pending;
    size_t fired = 0;

    if (head->next == head)
        return 0;
    pending.next = head->next;
    pending.prev = head->prev;
    pending.next->prev = &pending;
    pending.prev->next = &pending;
    head->next = head->prev = head;

    while (pending.next != &pending) {
        struct timer_node *n = pending.next;
        unlink_node(n);
        if (n->deadline_ms <= now_ms) {
            w->armed--;
            fired++;
            cb(n, arg);
        } else {
            n->next = head->next; /* not due this turn: back into its slot */
            n->prev = head;
            head->next->prev = n;
            head->next = n; /* a turn away: scan_tick is never past it */
        }
    }
    return fired;
}

size_t timer_expire(struct timer_wheel *w, uint64_t now_ms, timer_cb cb, void *arg)
{
    uint64_t target = now_ms / w->tick_ms;
    uint64_t tick = w->now_tick;
    size_t fired = 0;

    if (target <= tick)
        return 0;
    /* Past one full turn every slot is visited once: no need for more. */
    if (target - tick > TIMER_SLOTS)
        tick = target - TIMER_SLOTS;
    while (tick < target) {
        tick++;
        w->now_tick = tick;
        fired += expire_slot(w, slot_for(w, tick), now_ms, cb, arg);
    }
    return fired;
}

int64_t timer_next_ms(struct timer_wheel *w, uint64_t now_ms)
{
    uint64_t tick = w->scan_tick > w->now_tick ? w->scan_tick : w->now_tick + 1;

    if (w->armed == 0)
        return -1;
    for (; tick <= w->now_tick + TIMER_SLOTS; tick++) {
        const struct timer_node *head = &w->slots[tick & (TIMER_SLOTS - 1)];
        if (head->next != head) {
            uint64_t at = tick * w->tick_ms;
            w->scan_tick = tick;
            return at <= now_ms ? 0 : (int64_t)(at - now_ms);
        }
    }
    return 0; /* unreachable while armed > 0: every node sits in a slot at
               * or after scan_tick (note_slot) */
}
