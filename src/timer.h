/* timer.h - a hashed timer wheel for per-connection deadlines.
 *
 * Each echod worker keeps one wheel for its connections' idle timeouts, so
 * no connection needs a timer descriptor of its own.  A node is embedded in
 * the object it times (intrusive, no allocation); adding, moving and
 * removing a node are O(1).  The wheel has TIMER_SLOTS slots of tick_ms
 * each; a deadline further away than one turn simply stays in its slot
 * until a later turn reaches it (each node remembers its exact deadline).
 * A node fires at most one tick after its deadline, never before.
 *
 * Time is whatever millisecond clock the caller passes in, so tests drive
 * the wheel with a fake clock.
 */
#ifndef TIMER_H
#define TIMER_H

#include <stddef.h>
#include <stdint.h>

#define TIMER_SLOTS 256  /* a power of two */

struct timer_node {
    struct timer_node *next, *prev;  /* NULL/NULL while not armed */
    uint64_t deadline_ms;
};

struct timer_wheel {
    struct timer_node slots[TIMER_SLOTS]; /* list heads (circular) */
    uint64_t tick_ms;   /* slot width */
    uint64_t now_tick;  /* last tick processed by timer_expire */
    size_t armed;       /* nodes currently in the wheel */
    uint64_t scan_tick; /* the slots of ticks now_tick + 1 .. scan_tick - 1
                         * are empty: timer_next_ms starts looking here */
};

typedef void (*timer_cb)(struct timer_node *node, void *arg);

/* Prepares an empty wheel whose slots are tick_ms wide (tick_ms >= 1),
 * starting at time now_ms. */
void timer_init(struct timer_wheel *w, uint64_t tick_ms, uint64_t now_ms);

/* Prepares a node that is not armed. */
static inline void timer_node_init(struct timer_node *n) { n->next = n->prev = NULL; n->deadline_ms = 0; }
static inline int timer_armed(const struct timer_node *n) { return n->next != NULL; }

/* Arms n to fire at deadline_ms, moving it if it was already armed.
 * A deadline in the past fires at the next tick. */
void timer_arm(struct timer_wheel *w, struct timer_node *n, uint64_t deadline_ms);

/* Disarms n; harmless when n is not armed. */
void timer_disarm(struct timer_wheel *w, struct timer_node *n);

/* Fires, in no particular order, every node whose deadline is <= now_ms:
 * each is disarmed before cb(node, arg) runs, and cb may arm or disarm any
 * node (itself included).  Returns the number fired. */
size_t timer_expire(struct timer_wheel *w, uint64_t now_ms, timer_cb cb, void *arg);

/* Milliseconds from now_ms until the next occupied slot is reached (0 if
 * one is already due), or -1 when nothing is armed.  Suitable as an
 * epoll_wait timeout: it may wake early for a node a turn or more away,
 * never after a node is due.  Remembers where it found the slot, so a
 * call per loop turn with no arming in between costs O(1), not a scan. */
int64_t timer_next_ms(struct timer_wheel *w, uint64_t now_ms);

#endif
