/* test_bl_synsched.c - the syn-schedule experiment (bl_synsched.c) run by
 * bin/backlog-lab with --syn-retries 1 (a few seconds): the client's SYN
 * was retransmitted, every SYN it sent was dropped by the full queue and
 * counted in the lab's own namespace, and connect() failed. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

Test(bl_synsched, give_up_with_one_syn_retry, .timeout = 60)
{
    char *out, *err;
    long long overflows;
    size_t len;
    const char *args[] = { "syn-schedule", "--syn-retries", "1", "--json", "-q", NULL };

    if (geteuid() != 0)
        cr_skip("syn-schedule needs root for a network namespace of its own");
    cr_assert_eq(sup_lab(&out, &err, 30000, args), 0, "%s", err);
    cr_assert(sup_json_is(out, "/experiment", "\"syn-schedule\""), "%s", out);
    cr_assert(sup_json_is(out, "/tcp_syn_retries", "1"), "%s", out);
    cr_assert(sup_json_is(out, "/connected", "false"), "%s", out);
    cr_assert(sup_json_is(out, "/errno", "\"ETIMEDOUT\""), "%s", out);
    cr_assert_not_null(sup_json_find(out, "/retransmissions_ms/0", &len), "%s", out);
    int n = 0;
    while (n < 32) {
        char path[48];
        snprintf(path, sizeof(path), "/retransmissions_ms/%d", n);
        if (sup_json_find(out, path, &len) == NULL)
            break;
        n++;
    }
    cr_assert_eq(sup_json_int(out, "/counter_deltas/ListenOverflows", &overflows), 0, "%s", out);
    cr_assert_eq(overflows, n + 1, "every SYN sent was dropped and counted: %s", out);
    cr_assert(sup_json_find(out, "/ended_ms", &len) != NULL, "%s", out);
    free(out), free(err);
}
