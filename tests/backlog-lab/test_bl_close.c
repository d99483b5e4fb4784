/* test_bl_close.c - the close experiment (bl_close.c) run by
 * bin/backlog-lab: its JSON's shape, the states its held packets must
 * produce (FIN-WAIT-1 while the FIN is dropped, TIME-WAIT at the end of
 * both sequences, CLOSING in the simultaneous one), TIME-WAIT timers of at
 * most a minute, and exit status 130 with the namespaces gone when
 * interrupted during the --long watch. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_check.h"
#include "netns_check.h"
#include "support.h"

static bool state_is(const char *out, int seq, int step, const char *side, const char *want)
{
    char path[96], quoted[32];

    snprintf(path, sizeof(path), "/sequences/%d/steps/%d/%s/state", seq, step, side);
    snprintf(quoted, sizeof(quoted), "\"%s\"", want);
    return sup_json_is(out, path, quoted);
}

/* Whether any step of sequence seq shows state on either side. */
static bool seen(const char *out, int seq, int steps, const char *state)
{
    for (int i = 0; i < steps; i++)
        if (state_is(out, seq, i, "client", state) || state_is(out, seq, i, "server", state))
            return true;
    return false;
}

Test(bl_close, quick_form_json, .timeout = 60)
{
    char *out, *err;
    size_t len;
    const char *args[] = { "close", "--json", "-q", NULL };

    need_root_and_tools("close test");
    cr_assert_eq(sup_lab(&out, &err, 30000, args), 0, "%s", err);
    cr_assert(sup_json_is(out, "/experiment", "\"close\""), "%s", out);
    cr_assert_not_null(sup_json_find(out, "/sequences/0/steps/5", &len), "%s", out);
    cr_assert_null(sup_json_find(out, "/sequences/0/steps/6", &len), "%s", out);
    cr_assert_not_null(sup_json_find(out, "/sequences/1/steps/4", &len), "%s", out);
    for (int q = 0; q < 2; q++) {
        cr_assert(state_is(out, q, 0, "client", "ESTABLISHED"), "%s", out);
        cr_assert(state_is(out, q, 0, "server", "ESTABLISHED"), "%s", out);
        cr_assert(state_is(out, q, 1, "client", "FIN-WAIT-1"), "%s", out);
        cr_assert(state_is(out, q, q == 0 ? 5 : 4, "client", "TIME-WAIT"), "%s", out);
        char path[96];
        snprintf(path, sizeof(path), "/sequences/%d/steps/%d/client/timer", q, q == 0 ? 5 : 4);
        cr_assert(sup_json_is(out, path, "\"time-wait\""), "%s", out);
        snprintf(path, sizeof(path), "/sequences/%d/steps/%d/client/expires_ms", q,
                 q == 0 ? 5 : 4);
        cr_assert_leq(json_get(out, path), 60000, "%s", out);
    }
    cr_assert(seen(out, 0, 6, "CLOSE-WAIT") && seen(out, 0, 6, "LAST-ACK"), "%s", out);
    cr_assert(seen(out, 0, 6, "FIN-WAIT-2"), "%s", out);
    cr_assert(seen(out, 1, 5, "CLOSING"), "%s", out);
    cr_assert(sup_json_is(out, "/time_wait_watch/watched", "false"), "%s", out);
    free(out), free(err);
}

Test(bl_close, interrupted_during_the_watch, .timeout = 60)
{
    const char *args[] = { "close", "--long", NULL };

    need_root_and_tools("close test");
    expect_interrupted(args, 4000, "interrupted; the namespaces are gone");
}
