/* ring.c - byte ring buffer over caller-owned memory (see ring.h).
 *
 * Positions are free-running: the byte at logical position p lives at
 * data[p & mask].  A region of n bytes that starts at position p is
 * contiguous up to the end of the memory, then continues at data[0]; that
 * split is the only place where wrap-around is handled.
 */
#include "ring.h"

#include <assert.h>
#include <string.h>

int ring_valid_capacity(size_t n)
{
    return n >= 1 && n <= (1UL << 31) && (n & (n - 1)) == 0;
}

void ring_attach(struct ring *r, uint8_t *mem, uint32_t cap)
{
    assert(ring_valid_capacity(cap));
    assert(r->data == NULL || ring_empty(r));
    r->data = mem;
    r->mask = cap - 1;
    r->head = r->tail = 0;
}

uint8_t *ring_detach(struct ring *r)
{
    uint8_t *mem = r->data;

    assert(ring_empty(r));
    r->data = NULL;
    r->mask = 0;
    r->head = r->tail = 0;
    return mem;
}

/* Describes the n bytes starting at logical position pos as 1 or 2
 * iovecs (0 when n is 0). */
static int span_iov(const struct ring *r, uint32_t pos, uint32_t n,
                    struct iovec iov[2])
{
    uint32_t off = pos & r->mask;
    uint32_t first = ring_capacity(r) - off;

    if (n == 0)
        return 0;
    iov[0].iov_base = r->data + off;
    if (n <= first) {
        iov[0].iov_len = n;
        return 1;
    }
    iov[0].iov_len = first;
    iov[1].iov_base = r->data;
    iov[1].iov_len = n - first;
    return 2;
}

int ring_free_iov(const struct ring *r, struct iovec iov[2])
{
    return span_iov(r, r->head, ring_free(r), iov);
}

void ring_produce(struct ring *r, uint32_t n)
{
    assert(n <= ring_free(r));
    r->head += n;
}

int ring_data_iov(const struct ring *r, struct iovec iov[2])
{
    return span_iov(r, r->tail, ring_used(r), iov);
}

void ring_consume(struct ring *r, uint32_t n)
{
    assert(n <= ring_used(r));
    r->tail += n;
}

uint32_t ring_push(struct ring *r, const void *src, uint32_t len)
{
    struct iovec iov[2];
    uint32_t done = 0;
    int cnt;

    if (len > ring_free(r))
        len = ring_free(r);
    cnt = span_iov(r, r->head, len, iov);
    for (int i = 0; i < cnt; i++) {
        memcpy(iov[i].iov_base, (const uint8_t *)src + done, iov[i].iov_len);
        done += (uint32_t)iov[i].iov_len;
    }
    r->head += done;
    return done;
}

uint32_t ring_pop(struct ring *r, void *dst, uint32_t len)
{
    struct iovec iov[2];
    uint32_t done = 0;
    int cnt;

    if (len > ring_used(r))
        len = ring_used(r);
    cnt = span_iov(r, r->tail, len, iov);
    for (int i = 0; i < cnt; i++) {
        memcpy((uint8_t *)dst + done, iov[i].iov_base, iov[i].iov_len);
        done += (uint32_t)iov[i].iov_len;
    }
    r->tail += done;
    return done;
}
