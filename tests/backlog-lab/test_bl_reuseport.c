/* test_bl_reuseport.c - the reuseport experiment (bl_reuseport.c) run by
 * bin/backlog-lab: with tcp_migrate_req 0 every connection queued on the
 * closed listener is reset and only the other queue is accepted; with 1
 * none is reset and every client is accepted. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <unistd.h>

#include "support.h"

static long long get(const char *json, const char *path)
{
    long long v;

    cr_assert_eq(sup_json_int(json, path, &v), 0, "%s in %s", path, json);
    return v;
}

Test(bl_reuseport, migrate_0_resets_1_moves, .timeout = 60)
{
    char *out, *err;
    const char *args[] = { "reuseport", "--clients", "16", "--json", "-q", NULL };

    if (geteuid() != 0)
        cr_skip("reuseport needs root for a network namespace of its own");
    cr_assert_eq(sup_lab(&out, &err, 30000, args), 0, "%s", err);
    cr_assert(sup_json_is(out, "/phases/0/tcp_migrate_req", "0"), "%s", out);
    cr_assert_eq(get(out, "/phases/0/closed_listener_queue") +
                 get(out, "/phases/0/other_listener_queue_before"), 16, "%s", out);
    cr_assert_eq(get(out, "/phases/0/clients_reset"),
                 get(out, "/phases/0/closed_listener_queue"), "%s", out);
    cr_assert_eq(get(out, "/phases/0/accepted"),
                 get(out, "/phases/0/other_listener_queue_before"), "%s", out);
    cr_assert(sup_json_is(out, "/phases/1/tcp_migrate_req", "1"), "%s", out);
    cr_assert_eq(get(out, "/phases/1/clients_reset"), 0, "%s", out);
    cr_assert_eq(get(out, "/phases/1/accepted"), 16, "%s", out);
    free(out), free(err);
}
