/* test_sizes.c - the sizes of the hot structures, printed with the suite
 * (memory per connection is a feature) and held to a budget. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "conn.h"
#include "pool.h"
#include "ring.h"
#include "slab.h"
#include "stats.h"
#include "timer.h"

Test(sizes, hot_structs_stay_small)
{
    fprintf(stderr, "sizes: struct conn %zu, struct ring %zu, struct timer_node %zu, "
            "struct stats_counters %zu, struct timer_wheel %zu, struct pool %zu, "
            "struct slab %zu\n",
            sizeof(struct conn), sizeof(struct ring), sizeof(struct timer_node),
            sizeof(struct stats_counters), sizeof(struct timer_wheel), sizeof(struct pool),
            sizeof(struct slab));
    /* An idle connection costs one struct conn in a slab and nothing else
     * in user space; the target is 256 bytes, the budget here is 96. */
    cr_assert_leq(sizeof(struct conn), 96);
    cr_assert_leq(sizeof(struct ring), 24);
}
