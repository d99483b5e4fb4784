/* slab.h - fixed-size objects carved out of large chunks.
 *
 * echod allocates one struct conn per connection.  Taking each from malloc
 * would add malloc's per-allocation header and scatter connections across
 * the heap; a slab instead allocates SLAB_CHUNK objects at a time and keeps
 * freed ones on a LIFO free list, so a connection costs exactly its size
 * and reuses a slot that is likely still cached.  Chunks are given back
 * only by slab_destroy: the slab keeps the memory of its peak connection
 * count.  One worker thread owns a slab: no locks.
 */
#ifndef SLAB_H
#define SLAB_H

#include <stddef.h>

#define SLAB_CHUNK 512  /* objects per chunk */

struct slab {
    size_t obj_size;    /* bytes per object, rounded up to a pointer */
    void *free_list;    /* free objects, linked through their first bytes */
    void **chunks;      /* every chunk, for slab_destroy */
    size_t nchunks, cap_chunks;
    size_t in_use;      /* objects handed out and not yet returned */
};

/* Prepares an empty slab of obj_size-byte objects (obj_size >= 1). */
void slab_init(struct slab *s, size_t obj_size);

/* Returns an object, or NULL when memory is exhausted.  An object fresh
 * from a new chunk is all zero bytes; a reused one keeps what it held,
 * except its first pointer-sized bytes (the free-list link). */
void *slab_get(struct slab *s);

/* Gives back an object that came from slab_get on this slab. */
void slab_put(struct slab *s, void *obj);

/* The number of objects in all chunks so far (slots in use or free). */
static inline size_t slab_capacity(const struct slab *s) { return s->nchunks * SLAB_CHUNK; }

/* Object number i, 0 <= i < slab_capacity(s), whether in use or free: for
 * a walk over every slot. */
static inline void *slab_at(const struct slab *s, size_t i)
{
    return (char *)s->chunks[i / SLAB_CHUNK] + (i % SLAB_CHUNK) * s->obj_size;
}

/* Frees every chunk; objects still handed out become invalid. */
void slab_destroy(struct slab *s);

#endif
