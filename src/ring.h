/* ring.h - a byte ring buffer with a power-of-two capacity.
 *
 * Each echod connection stages the bytes it owes its peer in a ring.  The
 * indices are free-running 32-bit counters: `head` counts every byte ever
 * produced into the ring, `tail` every byte ever consumed, so used bytes are
 * head - tail (unsigned arithmetic makes wrap-around free) and "full" and
 * "empty" need no extra flag.  The ring never does I/O itself: it describes
 * its free space or its data as at most two iovecs (two when the region
 * wraps past the end of the memory), the caller passes them to readv(2) or
 * sendmsg(2), then commits or consumes what the kernel actually moved.
 *
 * The ring does not own its memory: the caller attaches a buffer (from a
 * pool) while data is pending and detaches it when the ring is empty, so an
 * idle connection holds no buffer at all.
 */
#ifndef RING_H
#define RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct ring {
    uint8_t *data;  /* NULL while no buffer is attached */
    uint32_t head;  /* producer side: bytes ever written in */
    uint32_t tail;  /* consumer side: bytes ever taken out */
    uint32_t mask;  /* capacity - 1; capacity is a power of two */
};

/* Returns 1 when n is a power of two between 1 and 2^31, else 0. */
int ring_valid_capacity(size_t n);

/* Attaches mem of capacity cap (ring_valid_capacity(cap) must hold) to an
 * empty ring and resets its indices. */
void ring_attach(struct ring *r, uint8_t *mem, uint32_t cap);

/* Detaches and returns the memory of an empty ring (NULL if none). */
uint8_t *ring_detach(struct ring *r);

static inline uint32_t ring_capacity(const struct ring *r) { return r->data ? r->mask + 1 : 0; }
static inline uint32_t ring_used(const struct ring *r)     { return r->head - r->tail; }
static inline uint32_t ring_free(const struct ring *r)     { return ring_capacity(r) - ring_used(r); }
static inline int      ring_empty(const struct ring *r)    { return r->head == r->tail; }
static inline int      ring_full(const struct ring *r)     { return r->data != NULL && ring_free(r) == 0; }

/* Describes the free space, in order, as 0, 1 or 2 iovecs in iov[2];
 * returns the count.  Follow with ring_produce(). */
int ring_free_iov(const struct ring *r, struct iovec iov[2]);
/* Records that n bytes (n <= ring_free) were written into the free space. */
void ring_produce(struct ring *r, uint32_t n);

/* Describes the pending data, oldest first, as 0, 1 or 2 iovecs in iov[2];
 * returns the count.  Follow with ring_consume(). */
int ring_data_iov(const struct ring *r, struct iovec iov[2]);
/* Records that n bytes (n <= ring_used) were taken out. */
void ring_consume(struct ring *r, uint32_t n);

/* Copies up to len bytes in / out; returns the number copied.  For tests
 * and for small writes (a banner); the I/O path uses the iovec calls. */
uint32_t ring_push(struct ring *r, const void *src, uint32_t len);
uint32_t ring_pop(struct ring *r, void *dst, uint32_t len);

#endif
