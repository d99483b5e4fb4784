/* test_sizes.c - the sizes of the hot structures, printed with the suite
 * (memory per connection is a feature) and held to a budget. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "conn.h"
#include "pool.h"
#include "ring.h"
#include "ringtab.h"
#include "slab.h"
#include "stats.h"

Test(sizes, hot_structs_stay_small)
{
    fprintf(stderr, "sizes: struct conn %zu (%zu with --max-lifetime), struct ring %zu, "
            "struct stats_counters %zu, struct pool %zu, struct ringtab %zu, struct slab %zu\n",
            CONN_SIZE(0), CONN_SIZE(1), sizeof(struct ring), sizeof(struct stats_counters),
            sizeof(struct pool), sizeof(struct ringtab), sizeof(struct slab));
    /* An idle connection costs one slot in a slab and nothing else in
     * user space (issue 10: at most 32 bytes of RSS per idle connection);
     * its ring header lives in the ring table only while it owes bytes,
     * and it carries no timer node (timeouts.h). */
    cr_assert_leq(CONN_SIZE(0), 24);
    cr_assert_leq(CONN_SIZE(1), 32);
    cr_assert_leq(sizeof(struct ring), 24);
}
