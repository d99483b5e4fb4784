/* test_pool.c - the per-worker buffer cache: LIFO reuse, the cap on cached
 * buffers, and the in-use count a leak would show in. */
#include <criterion/criterion.h>

#include "pool.h"

Test(pool, reuses_the_last_returned_buffer)
{
    struct pool p;

    pool_init(&p, 1024, 4);
    uint8_t *a = pool_get(&p);
    uint8_t *b = pool_get(&p);
    cr_assert(a != NULL && b != NULL && a != b);
    cr_assert_eq(p.in_use, 2);
    pool_put(&p, a);
    pool_put(&p, b);
    cr_assert_eq(p.nfree, 2);
    cr_assert_eq(pool_get(&p), b, "LIFO: the warmest buffer first");
    cr_assert_eq(pool_get(&p), a);
    cr_assert_eq(p.nfree, 0);
    a[1023] = 1; /* the whole size is usable */
    pool_put(&p, a);
    pool_put(&p, b);
    pool_destroy(&p);
}

Test(pool, caches_at_most_max_free)
{
    struct pool p;
    uint8_t *bufs[10];

    pool_init(&p, 64, 3);
    for (int i = 0; i < 10; i++)
        bufs[i] = pool_get(&p);
    for (int i = 0; i < 10; i++)
        pool_put(&p, bufs[i]);
    cr_assert_eq(p.nfree, 3, "the rest went back to malloc");
    cr_assert_eq(p.in_use, 0);
    pool_destroy(&p);
    cr_assert_eq(p.nfree, 0);
}
