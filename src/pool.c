/* pool.c - per-worker buffer cache (see pool.h). */
#include "pool.h"

#include <assert.h>
#include <stdlib.h>

void pool_init(struct pool *p, uint32_t buf_size, uint32_t max_free)
{
    assert(buf_size >= sizeof(void *));
    p->free_list = NULL;
    p->buf_size = buf_size;
    p->max_free = max_free;
    p->nfree = 0;
    p->in_use = 0;
}

uint8_t *pool_get(struct pool *p)
{
    uint8_t *buf = p->free_list;

    if (buf != NULL) {
        p->free_list = *(void **)buf;
        p->nfree--;
    } else {
        buf = malloc(p->buf_size);
        if (buf == NULL)
            return NULL;
    }
    p->in_use++;
    return buf;
}

void pool_put(struct pool *p, uint8_t *buf)
{
    assert(p->in_use > 0);
    p->in_use--;
    if (p->nfree >= p->max_free) {
        free(buf);
        return;
    }
    *(void **)buf = p->free_list;
    p->free_list = buf;
    p->nfree++;
}

void pool_destroy(struct pool *p)
{
    assert(p->in_use == 0);
    while (p->free_list != NULL) {
        void *next = *(void **)p->free_list;
        free(p->free_list);
        p->free_list = next;
    }
    p->nfree = 0;
}
