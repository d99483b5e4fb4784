/* ringtab.h - the ring headers of the connections that owe bytes,
 * addressed by a 32-bit handle.
 *
 * A connection owes bytes only while its peer reads slower than it sends,
 * and only then does it need a ring (ring.h) and the buffer under it.  So
 * the 24-byte ring header does not live in struct conn: the worker keeps
 * one table of headers, and a connection holds a 4-byte handle into it,
 * 0 while it owes nothing.  An idle connection so carries 4 bytes for its
 * output instead of 24.
 *
 * Slots come in chunks of RINGTAB_CHUNK that are never moved, so a header
 * found with ringtab_at stays where it is while other handles are taken;
 * freed slots are reused LIFO (still warm in the cache).  The table keeps
 * the chunks of its peak: at most one slot per buffer the pool has lent at
 * once.  One worker thread owns a table: no locks.
 */
#ifndef RINGTAB_H
#define RINGTAB_H

#include <stdint.h>

#include "ring.h"

#define RINGTAB_CHUNK 256 /* slots per chunk, a power of two */

struct ringtab {
    struct ring **chunks; /* chunk i holds handles i*RINGTAB_CHUNK .. */
    uint32_t nchunks;
    uint32_t free_head;   /* a free slot's handle, linked through ring.head; 0: none */
    uint32_t in_use;      /* handles taken and not yet given back */
};

/* Prepares an empty table. */
void ringtab_init(struct ringtab *t);

/* Returns a handle (never 0) whose ring is empty with no memory attached,
 * or 0 when malloc fails. */
uint32_t ringtab_get(struct ringtab *t);

/* Gives back handle h (from ringtab_get); its ring must be detached. */
void ringtab_put(struct ringtab *t, uint32_t h);

/* The ring of handle h (h != 0, taken). */
static inline struct ring *ringtab_at(const struct ringtab *t, uint32_t h)
{
    return &t->chunks[h / RINGTAB_CHUNK][h % RINGTAB_CHUNK];
}

/* Frees every chunk; every handle must have been given back. */
void ringtab_destroy(struct ringtab *t);

#endif
