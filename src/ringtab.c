/* ringtab.c - ring headers by handle (see ringtab.h).
 *
 * Handle 0 is slot 0 of the first chunk, which is never handed out, so 0
 * can mean "no ring".  A new chunk's slots are pushed onto the free list
 * last first, so handles are handed out in increasing order. */
#include "ringtab.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void ringtab_init(struct ringtab *t)
{
    memset(t, 0, sizeof(*t));
}

static void push_free(struct ringtab *t, uint32_t h)
{
    struct ring *r = ringtab_at(t, h);

    *r = (struct ring){ .head = t->free_head };
    t->free_head = h;
}

/* Adds a chunk and puts its slots (slot 0 of chunk 0 excepted) on the
 * free list.  Returns 0, or -1 when malloc fails. */
static int grow(struct ringtab *t)
{
    struct ring **chunks = realloc(t->chunks, (t->nchunks + 1) * sizeof(*chunks));
    struct ring *slots = malloc(RINGTAB_CHUNK * sizeof(*slots));

    if (chunks != NULL)
        t->chunks = chunks;
    if (chunks == NULL || slots == NULL) {
        free(slots);
        return -1;
    }
    uint32_t first = t->nchunks * RINGTAB_CHUNK;
    t->chunks[t->nchunks++] = slots;
    for (uint32_t i = RINGTAB_CHUNK; i-- > (first == 0 ? 1 : 0);)
        push_free(t, first + i);
    return 0;
}

uint32_t ringtab_get(struct ringtab *t)
{
    if (t->free_head == 0 && (t->nchunks >= UINT32_MAX / RINGTAB_CHUNK || grow(t) < 0))
        return 0;
    uint32_t h = t->free_head;
    struct ring *r = ringtab_at(t, h);
    t->free_head = r->head;
    *r = (struct ring){ 0 };
    t->in_use++;
    return h;
}

void ringtab_put(struct ringtab *t, uint32_t h)
{
    assert(h != 0 && t->in_use > 0 && ringtab_at(t, h)->data == NULL);
    push_free(t, h);
    t->in_use--;
}

void ringtab_destroy(struct ringtab *t)
{
    assert(t->in_use == 0);
    for (uint32_t i = 0; i < t->nchunks; i++)
        free(t->chunks[i]);
    free(t->chunks);
    memset(t, 0, sizeof(*t));
}
