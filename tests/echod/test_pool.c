/* test_pool.c - a worker's buffers: LIFO reuse, the cap on cached small
 * buffers, the small-or-large choice, the bound on large buffers, the byte
 * budget, and the read unit that follows what can still be lent. */
#include <criterion/criterion.h>

#include "pool.h"

#define SMALL 1024u
#define LARGE 8192u
#define NOLIMIT (1ULL << 40)

static uint8_t *get(struct pool *p, uint32_t need, uint32_t want_size)
{
    uint32_t size = 0;
    uint8_t *b = pool_get(p, need, &size);

    cr_assert_not_null(b, "pool_get(%u)", need);
    cr_assert_eq(size, want_size, "pool_get(%u): a %u-byte buffer, not %u", need, want_size,
                 size);
    return b;
}

Test(pool, reuses_the_last_returned_buffer)
{
    struct pool p;

    pool_init(&p, SMALL, LARGE, 2, NOLIMIT);
    uint8_t *a = get(&p, 10, SMALL);
    uint8_t *b = get(&p, SMALL, SMALL);
    cr_assert(a != b);
    cr_assert_eq(p.shelf[POOL_SMALL].in_use, 2);
    cr_assert_eq(pool_in_use_bytes(&p), 2 * SMALL);
    pool_put(&p, a, SMALL);
    pool_put(&p, b, SMALL);
    cr_assert_eq(p.shelf[POOL_SMALL].nfree, 2);
    cr_assert_eq(get(&p, 1, SMALL), b, "LIFO: the warmest buffer first");
    cr_assert_eq(get(&p, 1, SMALL), a);
    a[SMALL - 1] = 1; /* the whole size is usable */
    pool_put(&p, a, SMALL);
    pool_put(&p, b, SMALL);
    pool_destroy(&p);
    cr_assert_eq(p.allocated, 0);
}

Test(pool, caches_at_most_64_small_buffers)
{
    struct pool p;
    uint8_t *bufs[70];

    pool_init(&p, 64, 0, 0, NOLIMIT);
    for (int i = 0; i < 70; i++)
        bufs[i] = get(&p, 64, 64);
    for (int i = 0; i < 70; i++)
        pool_put(&p, bufs[i], 64);
    cr_assert_eq(p.shelf[POOL_SMALL].nfree, 64, "the rest went back to malloc");
    cr_assert_eq(p.allocated, 64 * 64);
    pool_destroy(&p);
    cr_assert_eq(p.shelf[POOL_SMALL].nfree, 0);
    cr_assert_eq(p.allocated, 0);
}

Test(pool, leftover_larger_than_small_takes_a_large_buffer)
{
    struct pool p;

    pool_init(&p, SMALL, LARGE, 2, NOLIMIT);
    cr_assert_eq(p.read_unit, LARGE);
    uint8_t *a = get(&p, SMALL + 1, LARGE);
    a[LARGE - 1] = 1;
    uint8_t *b = get(&p, LARGE, LARGE);
    cr_assert_eq(p.read_unit, SMALL, "both large buffers lent: reads shrink to a small one");
    uint32_t size;
    cr_assert_null(pool_get(&p, SMALL + 1, &size), "no third large buffer");
    uint8_t *c = get(&p, SMALL, SMALL);
    pool_put(&p, b, LARGE);
    cr_assert_eq(p.read_unit, LARGE);
    pool_put(&p, a, LARGE);
    pool_put(&p, c, SMALL);
    pool_destroy(&p);
}

Test(pool, no_large_class_when_small_is_as_big)
{
    struct pool p;

    pool_init(&p, LARGE, LARGE, 4, NOLIMIT);
    cr_assert_eq(p.read_unit, LARGE);
    uint8_t *a = get(&p, LARGE, LARGE);
    cr_assert_eq(p.shelf[POOL_SMALL].in_use, 1);
    cr_assert_eq(p.shelf[POOL_LARGE].max_count, 0);
    pool_put(&p, a, LARGE);
    pool_destroy(&p);
}

/* A budget of one large buffer plus two small ones: the read unit steps
 * down as the budget is spent and is 0 when nothing more can be lent. */
Test(pool, budget_bounds_what_is_allocated_and_the_read_unit_follows)
{
    struct pool p;
    uint32_t size;

    pool_init(&p, SMALL, LARGE, 4, LARGE + 2 * SMALL);
    cr_assert_eq(p.read_unit, LARGE);
    uint8_t *big = get(&p, LARGE, LARGE);
    cr_assert_eq(p.read_unit, SMALL);
    uint8_t *s1 = get(&p, 1, SMALL);
    uint8_t *s2 = get(&p, 1, SMALL);
    cr_assert_eq(p.read_unit, 0, "budget spent");
    cr_assert_null(pool_get(&p, 1, &size));
    cr_assert_leq(p.allocated, p.limit);
    pool_put(&p, s1, SMALL);
    cr_assert_eq(p.read_unit, SMALL, "a cached small buffer can be lent again");
    pool_put(&p, big, LARGE);
    cr_assert_eq(p.read_unit, LARGE);
    pool_put(&p, s2, SMALL);
    pool_destroy(&p);
}

/* Cached small buffers are freed to make room for a large one. */
Test(pool, cached_buffers_of_one_class_make_room_for_the_other)
{
    struct pool p;
    uint8_t *s[8];

    pool_init(&p, SMALL, LARGE, 1, LARGE);
    for (int i = 0; i < 8; i++)
        s[i] = get(&p, 1, SMALL);
    cr_assert_eq(p.read_unit, 0, "the budget is all in small buffers");
    for (int i = 0; i < 8; i++)
        pool_put(&p, s[i], SMALL);
    cr_assert_eq(p.shelf[POOL_SMALL].nfree, 8);
    cr_assert_eq(p.read_unit, LARGE, "the cached ones can be freed for a large one");
    uint8_t *big = get(&p, LARGE, LARGE);
    cr_assert_eq(p.shelf[POOL_SMALL].nfree, 0);
    cr_assert_eq(p.allocated, LARGE);
    pool_put(&p, big, LARGE);
    pool_destroy(&p);
}
