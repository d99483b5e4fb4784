/* pool.h - a worker's I/O buffers: two size classes under one byte budget.
 *
 * Echoed messages need no buffer of their own: a read lands in the
 * worker's scratch buffer and is written straight back from it.  A
 * connection takes a buffer only when a write comes back short (the send
 * buffer is full) and bytes stay owed to its peer, and gives it back as
 * soon as it has sent them; an idle or keeping-up connection holds none.
 *
 * Two classes: small buffers of --buffer-size bytes, as many as the budget
 * allows, and large ones of the read unit (the scratch buffer's size), at
 * most max_large of them.  What a short write leaves over goes into a
 * small buffer when it fits, else into a large one.  The pool keeps
 * `read_unit`, the most one read into the scratch buffer may take now so
 * that whatever a short write leaves of it is sure to find a buffer: the
 * large size while a large buffer can be had, else the small size while a
 * small one can, else 0 (the budget is spent: a connection that owes
 * nothing waits rather than read what it could not keep).
 *
 * Every buffer allocated, handed out or cached, counts against the budget
 * (`limit` bytes); a cached buffer of one class is freed to make room for
 * the other.  Each class keeps returned buffers on a LIFO free list (the
 * next taker gets the buffer still warm in the cache).  One worker thread
 * owns a pool: no locks.
 */
#ifndef POOL_H
#define POOL_H

#include <stddef.h>
#include <stdint.h>

enum pool_class { POOL_SMALL, POOL_LARGE, POOL_NCLASSES };

/* One size class. */
struct pool_shelf {
    void *free_list;     /* cached buffers, linked through their first bytes */
    uint32_t size;       /* bytes per buffer */
    uint32_t max_free;   /* cached buffers at most */
    uint32_t max_count;  /* buffers handed out and cached, at most */
    uint32_t nfree;      /* buffers on free_list */
    uint32_t in_use;     /* buffers handed out and not yet returned */
};

struct pool {
    struct pool_shelf shelf[POOL_NCLASSES];
    uint64_t limit;      /* bytes of buffers allocated (handed out or cached) at most */
    uint64_t allocated;  /* bytes of buffers allocated now */
    uint32_t read_unit;  /* see above: a class's size, or 0 */
};

/* Prepares an empty pool: small buffers of small bytes (a power of two,
 * at least sizeof(void *)), at most max_large large ones of large bytes
 * (large > small, else no large class), all within limit bytes. */
void pool_init(struct pool *p, uint32_t small, uint32_t large, uint32_t max_large,
               uint64_t limit);

/* Returns a buffer for need bytes (1 <= need <= read_unit) and stores its
 * size in *size: a small one when need fits and one can be had, else a
 * large one.  Returns NULL when malloc fails, or when need exceeds
 * read_unit (nothing can be had). */
uint8_t *pool_get(struct pool *p, uint32_t need, uint32_t *size);

/* Gives back a buffer of size bytes that came from pool_get on this pool. */
void pool_put(struct pool *p, uint8_t *buf, uint32_t size);

/* Bytes of buffers handed out now. */
uint64_t pool_in_use_bytes(const struct pool *p);

/* Frees the cached buffers; every buffer must have been returned. */
void pool_destroy(struct pool *p);

#endif
