/* test_bl_abortov.c - accept-queue --abort-on-overflow (bl_abortov.c) run
 * by bin/backlog-lab: with 0 the held clients wait connected on server
 * request sockets, with 1 they read ECONNRESET and EmbryonicRsts counts
 * them; the late clients stay in SYN-SENT with both; the cookie step
 * fills its queue with no request socket and checks every cookie ACK. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "json_check.h"
#include "support.h"

static long long at(const char *out, int i, const char *rest)
{
    char path[96];

    snprintf(path, sizeof(path), "/phases/%d/%s", i, rest);
    return json_get(out, path);
}

/* The cookie step, whatever the setting: the queue full with the fill
 * clients and no request socket; every cookie client connected before its
 * ACK was let through, and each one's segment was checked as a cookie
 * (SyncookiesRecv beyond the fill handshakes) and met the full queue
 * (ListenOverflows); a client that waits saw no reset, so none was sent. */
static void cookie_step_holds(const char *out, int i)
{
    long long waiting = at(out, i, "groups/cookie/waiting");

    cr_assert_eq(at(out, i, "cookie_step/queue_len"), 5, "%s", out);
    cr_assert_eq(at(out, i, "cookie_step/server_syn_recv"), 0, "%s", out);
    cr_assert_eq(at(out, i, "groups/cookie_fill/waiting"), 5, "%s", out);
    cr_assert_eq(at(out, i, "groups/cookie/connected_before_release"), 2, "%s", out);
    cr_assert_eq(waiting + at(out, i, "groups/cookie/reset"), 2, "%s", out);
    cr_assert_geq(at(out, i, "cookie_step/counters/SyncookiesRecv"), 5 + 2, "%s", out);
    cr_assert_geq(at(out, i, "cookie_step/counters/ListenOverflows"), 2, "%s", out);
    if (waiting == 2)
        cr_assert_eq(at(out, i, "cookie_step/counters/OutRsts"), 0, "%s", out);
}

Test(bl_abortov, zero_keeps_one_resets, .timeout = 60)
{
    char *out, *err;
    const char *args[] = { "accept-queue", "--abort-on-overflow", "0,1", "--json", "-q",
                           NULL };

    if (geteuid() != 0)
        cr_skip("accept-queue --abort-on-overflow needs root for a namespace of its own");
    cr_assert_eq(sup_lab(&out, &err, 30000, args), 0, "%s", err);
    cr_assert(sup_json_is(out, "/phases/0/tcp_abort_on_overflow", "0"), "%s", out);
    cr_assert_eq(json_get(out, "/phases/0/queue_len"), 5, "%s", out);
    cr_assert_eq(json_get(out, "/phases/0/groups/held/connected_before_release"), 2, "%s", out);
    cr_assert_eq(json_get(out, "/phases/0/groups/held/waiting"), 2, "%s", out);
    cr_assert_eq(json_get(out, "/phases/0/server_syn_recv"), 2, "%s", out);
    cr_assert_eq(json_get(out, "/phases/0/counters/EmbryonicRsts"), 0, "%s", out);
    cr_assert(sup_json_is(out, "/phases/1/tcp_abort_on_overflow", "1"), "%s", out);
    cr_assert_eq(json_get(out, "/phases/1/groups/held/connected_before_release"), 2, "%s", out);
    cr_assert_eq(json_get(out, "/phases/1/groups/held/reset"), 2, "%s", out);
    cr_assert_eq(json_get(out, "/phases/1/server_syn_recv"), 0, "%s", out);
    cr_assert_eq(json_get(out, "/phases/1/counters/EmbryonicRsts"), 2, "%s", out);
    for (int i = 0; i < 2; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/phases/%d/groups/late/syn_sent", i);
        cr_assert_eq(json_get(out, path), 2, "%s", out);
        snprintf(path, sizeof(path), "/phases/%d/groups/fill/waiting", i);
        cr_assert_eq(json_get(out, path), 5, "%s", out);
        snprintf(path, sizeof(path), "/phases/%d/counters/ListenOverflows", i);
        cr_assert_geq(json_get(out, path), 4, "%s", out);
        cookie_step_holds(out, i);
    }
    free(out), free(err);
}
