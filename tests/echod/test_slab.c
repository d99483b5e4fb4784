/* test_slab.c - fixed-size object chunks: zeroed fresh objects, LIFO
 * reuse, the walk over every slot, growth past one chunk. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "slab.h"

struct item {
    void *link;     /* overwritten while free */
    uint64_t value; /* kept while free */
};

Test(slab, fresh_objects_are_zero_and_reused_lifo)
{
    struct slab s;

    slab_init(&s, sizeof(struct item));
    struct item *a = slab_get(&s), *b = slab_get(&s);
    cr_assert(a != NULL && b != NULL && a != b);
    cr_assert_eq(a->value, 0);
    cr_assert_eq((char *)b - (char *)a, (ptrdiff_t)sizeof(struct item), "packed, in order");
    b->value = 42;
    slab_put(&s, b);
    cr_assert_eq(s.in_use, 1);
    struct item *c = slab_get(&s);
    cr_assert_eq(c, b);
    cr_assert_eq(c->value, 42, "only the first word is used by the free list");
    slab_destroy(&s);
}

Test(slab, grows_by_chunks_and_walks_every_slot)
{
    struct slab s;
    struct item *items[SLAB_CHUNK + 10];

    slab_init(&s, sizeof(struct item));
    cr_assert_eq(slab_capacity(&s), 0);
    for (size_t i = 0; i < SLAB_CHUNK + 10; i++) {
        items[i] = slab_get(&s);
        items[i]->value = i + 1;
    }
    cr_assert_eq(slab_capacity(&s), 2 * SLAB_CHUNK);
    uint64_t sum = 0;
    for (size_t i = 0; i < slab_capacity(&s); i++)
        sum += ((struct item *)slab_at(&s, i))->value;
    uint64_t n = SLAB_CHUNK + 10;
    cr_assert_eq(sum, n * (n + 1) / 2, "slab_at reaches every object once");
    for (size_t i = 0; i < SLAB_CHUNK + 10; i++)
        slab_put(&s, items[i]);
    cr_assert_eq(s.in_use, 0);
    slab_destroy(&s);
}
