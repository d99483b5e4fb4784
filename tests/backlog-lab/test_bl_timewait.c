/* test_bl_timewait.c - the time-wait experiment (bl_timewait.c) run by
 * bin/backlog-lab: its JSON's shape and what must hold whatever the
 * kernel's speed: a phase never uses more ports than its range, every
 * TIME-WAIT end found holds a port the phase used, tcp_tw_reuse=0 takes
 * over none, each connect that succeeded once the ports had run out took
 * over one end (TWRecycled), and the one end watched has a timer of at
 * most a minute; interrupted, it exits 130. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_check.h"
#include "netns_check.h"
#include "support.h"

static void need_root(void)
{
    if (geteuid() != 0)
        cr_skip("time-wait needs root for namespaces of its own");
}

/* The invariants of phase i of a run with `ports` ports. */
static void check_phase(const char *out, int i, long long ports)
{
    char path[96];
#define AT(field) (snprintf(path, sizeof(path), "/phases/%d/%s", i, field), path)
    long long used = json_get(out, AT("ports_used"));

    cr_assert_eq(json_get(out, AT("port_lo")), 40000, "%s", out);
    cr_assert_eq(json_get(out, AT("port_hi")), 40000 + ports - 1, "%s", out);
    cr_assert_leq(used, ports, "%s", out);
    cr_assert_leq(json_get(out, AT("time_wait_at_failure")), used, "%s", out);
    cr_assert(sup_json_is(out, AT("failed"), "true"), "phase %d never ran out: %s", i, out);
    cr_assert(sup_json_is(out, AT("errno"), "\"EADDRNOTAVAIL\""), "%s", out);
    cr_assert_eq(json_get(out, AT("counter_deltas/TWRecycled")), json_get(out, AT("reused")),
                 "%s", out);
    if (json_get(out, AT("tcp_tw_reuse")) == 0)
        cr_assert_eq(json_get(out, AT("reused")), 0, "%s", out);
#undef AT
}

Test(bl_timewait, quick_form_json, .timeout = 90)
{
    char *out, *err;
    const char *args[] = { "time-wait", "--json", "-q", NULL };

    need_root();
    cr_assert_eq(sup_lab(&out, &err, 60000, args), 0, "%s", err);
    cr_assert(sup_json_is(out, "/experiment", "\"time-wait\""), "%s", out);
    for (int i = 0; i < 7; i++)
        check_phase(out, i, 8);
    cr_assert(sup_json_is(out, "/phases/1/address", "\"10.213.1.1\""), "%s", out);
    cr_assert(sup_json_is(out, "/phases/6/tcp_timestamps", "0"), "%s", out);
    cr_assert(sup_json_is(out, "/time_wait_end/seen", "true"), "%s", out);
    cr_assert(sup_json_is(out, "/time_wait_end/watched", "false"), "%s", out);
    long long exp = json_get(out, "/time_wait_end/expires_ms");
    cr_assert(exp > 0 && exp <= 60000, "%s", out);
    free(out), free(err);
}

Test(bl_timewait, ports_and_one_mode, .timeout = 60)
{
    char *out, *err;
    size_t len;
    const char *args[] = { "time-wait", "--ports", "2", "--tw-reuse", "0", "--json", "-q",
                           NULL };

    need_root();
    cr_assert_eq(sup_lab(&out, &err, 30000, args), 0, "%s", err);
    check_phase(out, 0, 2);
    check_phase(out, 1, 2);
    cr_assert_null(sup_json_find(out, "/phases/2", &len), "no 1 asked, no phase 2: %s", out);
    free(out), free(err);
}

Test(bl_timewait, interrupted, .timeout = 60)
{
    const char *args[] = { "time-wait", NULL };

    need_root();
    expect_interrupted(args, 1500, "interrupted; the namespaces are gone");
}
