/* pool.c - a worker's buffers in two classes under a budget (see pool.h). */
#include "pool.h"

#include <assert.h>
#include <stdlib.h>

#define SMALL_MAX_FREE 64

static enum pool_class other(enum pool_class k)
{
    return k == POOL_SMALL ? POOL_LARGE : POOL_SMALL;
}

/* Returns 1 when a buffer of class k can be had now without exceeding
 * the budget (freeing the other class's cached buffers if need be). */
static int available(const struct pool *p, enum pool_class k)
{
    const struct pool_shelf *s = &p->shelf[k], *o = &p->shelf[other(k)];
    uint64_t reclaimable = (uint64_t)o->nfree * o->size;

    if (s->nfree > 0)
        return 1;
    return s->in_use < s->max_count && p->allocated - reclaimable + s->size <= p->limit;
}

static void update_read_unit(struct pool *p)
{
    p->read_unit = available(p, POOL_LARGE)   ? p->shelf[POOL_LARGE].size
                 : available(p, POOL_SMALL) ? p->shelf[POOL_SMALL].size
                 : 0;
}

void pool_init(struct pool *p, uint32_t small, uint32_t large, uint32_t max_large,
               uint64_t limit)
{
    assert(small >= sizeof(void *));
    p->shelf[POOL_SMALL] = (struct pool_shelf){ .size = small, .max_free = SMALL_MAX_FREE,
                                                .max_count = UINT32_MAX };
    if (large <= small)
        max_large = 0;
    p->shelf[POOL_LARGE] = (struct pool_shelf){ .size = large, .max_free = max_large,
                                                .max_count = max_large };
    p->limit = limit;
    p->allocated = 0;
    update_read_unit(p);
}

static void *pop(struct pool_shelf *s)
{
    void *buf = s->free_list;

    s->free_list = *(void **)buf;
    s->nfree--;
    return buf;
}

static void release(struct pool *p, struct pool_shelf *s, void *buf)
{
    free(buf);
    p->allocated -= s->size;
}

/* Takes a buffer of class k (available(p, k) holds). */
static uint8_t *take(struct pool *p, enum pool_class k)
{
    struct pool_shelf *s = &p->shelf[k], *o = &p->shelf[other(k)];
    uint8_t *buf;

    if (s->nfree > 0) {
        buf = pop(s);
    } else {
        while (p->allocated + s->size > p->limit)
            release(p, o, pop(o));
        buf = malloc(s->size);
        if (buf == NULL)
            return NULL;
        p->allocated += s->size;
    }
    s->in_use++;
    return buf;
}

uint8_t *pool_get(struct pool *p, uint32_t need, uint32_t *size)
{
    enum pool_class k = need <= p->shelf[POOL_SMALL].size && available(p, POOL_SMALL)
                      ? POOL_SMALL : POOL_LARGE;
    uint8_t *buf;

    if (need > p->shelf[k].size || !available(p, k))
        return NULL;
    buf = take(p, k);
    if (buf != NULL)
        *size = p->shelf[k].size;
    update_read_unit(p);
    return buf;
}

void pool_put(struct pool *p, uint8_t *buf, uint32_t size)
{
    struct pool_shelf *s = &p->shelf[size == p->shelf[POOL_SMALL].size ? POOL_SMALL : POOL_LARGE];

    assert(s->size == size && s->in_use > 0);
    s->in_use--;
    if (s->nfree >= s->max_free) {
        release(p, s, buf);
    } else {
        *(void **)buf = s->free_list;
        s->free_list = buf;
        s->nfree++;
    }
    update_read_unit(p);
}

uint64_t pool_in_use_bytes(const struct pool *p)
{
    uint64_t n = 0;

    for (int k = 0; k < POOL_NCLASSES; k++)
        n += (uint64_t)p->shelf[k].in_use * p->shelf[k].size;
    return n;
}

void pool_destroy(struct pool *p)
{
    for (int k = 0; k < POOL_NCLASSES; k++) {
        struct pool_shelf *s = &p->shelf[k];
        assert(s->in_use == 0);
        while (s->nfree > 0)
            release(p, s, pop(s));
    }
}
