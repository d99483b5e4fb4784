/* test_bl_lifecycle.c - the lifecycle experiment (bl_lifecycle.c) run by
 * bin/backlog-lab: one connection walked through its close, every state
 * on the way (ESTABLISHED, FIN-WAIT-2, CLOSE-WAIT, TIME-WAIT) shown. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

Test(bl_lifecycle, lifecycle_walks_the_close, .timeout = 30)
{
    char *out, *err;

    cr_assert_eq(sup_lab(&out, &err, 10000, (const char *[]){ "lifecycle", NULL }), 0, "%s", err);
    const char *want[] = { "ESTABLISHED", "FIN-WAIT-2", "CLOSE-WAIT", "TIME-WAIT", "1/1" };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_assert(strstr(out, want[i]) != NULL, "no %s in:\n%s", want[i], out);
    free(out), free(err);
}
