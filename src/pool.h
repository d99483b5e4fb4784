/* pool.h - a per-worker cache of equally sized I/O buffers.
 *
 * Echoed messages need no buffer of their own: a read lands in the
 * worker's scratch buffer and is written straight back from it.  A
 * connection takes a buffer for its ring only when a write comes back
 * short (the send buffer is full) and bytes stay owed to its peer, and
 * gives it back as soon as the ring is empty again; an idle or keeping-up
 * connection holds none.  The pool keeps returned buffers on a
 * LIFO free list (the next taker gets the buffer that is still warm in the
 * cache) and frees whatever exceeds max_free, so a burst does not pin its
 * peak memory forever.  One worker thread owns a pool: no locks.
 */
#ifndef POOL_H
#define POOL_H

#include <stddef.h>
#include <stdint.h>

struct pool {
    void *free_list;    /* returned buffers, linked through their first bytes */
    uint32_t buf_size;  /* bytes per buffer */
    uint32_t max_free;  /* cached free buffers at most */
    uint32_t nfree;     /* buffers on free_list */
    uint64_t in_use;    /* buffers handed out and not yet returned */
};

/* Prepares an empty pool of buf_size-byte buffers (buf_size >= sizeof
 * (void *)) that caches at most max_free returned ones. */
void pool_init(struct pool *p, uint32_t buf_size, uint32_t max_free);

/* Returns a buffer of buf_size bytes (contents undefined), or NULL when
 * memory is exhausted. */
uint8_t *pool_get(struct pool *p);

/* Gives back a buffer that came from pool_get on this pool. */
void pool_put(struct pool *p, uint8_t *buf);

/* Frees the cached buffers; every buffer must have been returned. */
void pool_destroy(struct pool *p);

#endif
