/* slab.c - fixed-size object chunks with a free list (see slab.h). */
#include "slab.h"

#include <assert.h>
#include <stdlib.h>

void slab_init(struct slab *s, size_t obj_size)
{
    size_t align = sizeof(void *);

    s->obj_size = (obj_size + align - 1) / align * align;
    s->free_list = NULL;
    s->chunks = NULL;
    s->nchunks = s->cap_chunks = 0;
    s->in_use = 0;
}

/* Allocates one more chunk and threads its objects onto the free list.
 * Returns 0 or -1. */
static int slab_grow(struct slab *s)
{
    if (s->nchunks == s->cap_chunks) {
        size_t cap = s->cap_chunks ? s->cap_chunks * 2 : 8;
        void **grown = realloc(s->chunks, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        s->chunks = grown;
        s->cap_chunks = cap;
    }
    char *chunk = calloc(SLAB_CHUNK, s->obj_size);
    if (chunk == NULL)
        return -1;
    s->chunks[s->nchunks++] = chunk;
    /* Threaded from the last object so slab_get hands them out in address
     * order. */
    for (size_t i = SLAB_CHUNK; i-- > 0;) {
        void *obj = chunk + i * s->obj_size;
        *(void **)obj = s->free_list;
        s->free_list = obj;
    }
    return 0;
}

void *slab_get(struct slab *s)
{
    if (s->free_list == NULL && slab_grow(s) < 0)
        return NULL;
    void *obj = s->free_list;
    s->free_list = *(void **)obj;
    s->in_use++;
    return obj;
}

void slab_put(struct slab *s, void *obj)
{
    assert(s->in_use > 0);
    s->in_use--;
    *(void **)obj = s->free_list;
    s->free_list = obj;
}

void slab_destroy(struct slab *s)
{
    for (size_t i = 0; i < s->nchunks; i++)
        free(s->chunks[i]);
    free(s->chunks);
    s->chunks = NULL;
    s->nchunks = s->cap_chunks = 0;
    s->free_list = NULL;
    s->in_use = 0;
}
