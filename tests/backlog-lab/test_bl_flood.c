/* test_bl_flood.c - the syn-flood experiment in its network namespaces.
 * It needs root, `ip` and `nft` (test_bl_synq.c installs them as root),
 * otherwise it is skipped with a message.  The server namespace's counters
 * are its own, so the invariants below are exact; no speed is asserted. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "bl_env.h"
#include "bl_flood.h"
#include "bl_netns.h"
#include "support.h"

static void quick_opts(struct bl_opts *o)
{
    char err[256];
    char *argv[] = { "backlog-lab", "syn-flood", "--backlog", "4", "--rate", "400",
                     "--duration", "1s", "-q", NULL };

    cr_assert_eq(bl_options_parse(9, argv, o, err, sizeof(err)), 0, "%s", err);
    bl_env_progress_init(true);
}

/* What holds in every mode: every SYN sent was a valid segment, every
 * connect ended one way, and the server accepted only the client's. */
static void common_invariants(const struct bl_flood_phase *p)
{
    cr_assert_eq(p->syns_sent + p->syns_nobufs, 400, "mode %d: not rate x duration",
                 p->syncookies);
    cr_assert_eq(p->delta[BL_FL_CSUM_ERRORS], 0, "mode %d: crafted SYNs refused as corrupt",
                 p->syncookies);
    cr_assert_eq(p->limit, 4);
    cr_assert_eq(p->tries, 1000 / BL_FLOOD_TRY_GAP_MS);
    cr_assert_eq(p->connected + p->timed_out + p->failed, p->tries);
    cr_assert_leq(p->accepted, p->connected, "mode %d: a spoofed handshake completed",
                  p->syncookies);
    cr_assert_leq(p->retransmitted, p->connected);
    cr_assert_leq(p->lat_median_ms, p->lat_p99_ms);
    cr_assert_leq(p->lat_p99_ms, p->lat_max_ms);
    cr_assert_lt(p->lat_max_ms, BL_FLOOD_TRY_TIMEOUT_MS + 50);
    cr_assert_gt(p->nsamples, 0);
}

Test(bl_flood, spoofed_syns_fill_the_queue_or_get_cookies, .timeout = 300)
{
    struct bl_netns ns;
    struct bl_opts o;
    struct bl_flood_phase ph[2];
    struct bl_err why;
    char err[512];

    if (geteuid() != 0)
        cr_skip("syn-flood test skipped: needs root to create network namespaces");
    if (bl_netns_check(&ns, err, sizeof(err)) < 0)
        cr_skip("syn-flood test skipped: %s", err);
    int fds = sup_count_fds();
    quick_opts(&o);
    cr_assert_eq(bl_netns_create_spoofed(&ns, BL_FLOOD_SPOOF_NET, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_eq(bl_flood_phase(&ns, 0, 0, &o, &ph[0], &why), 0, "%s", why.call);
    cr_assert_eq(bl_flood_phase(&ns, 2, 1, &o, &ph[1], &why), 0, "%s", why.call);
    bl_netns_destroy(&ns);
    cr_assert_eq(sup_count_fds(), fds, "namespace or socket descriptors left open");

    for (int i = 0; i < 2; i++)
        common_invariants(&ph[i]);
    /* no cookies: the queue fills with spoofed request sockets, and every
     * spoofed SYN that found no room is dropped, with no cookie */
    cr_assert_geq(ph[0].syn_recv_peak, ph[0].limit);
    cr_assert_lt(ph[0].syn_recv_peak, 400);
    cr_assert_geq(ph[0].delta[BL_FL_REQQ_DROP], 400 - (int64_t)ph[0].syn_recv_peak);
    cr_assert_eq(ph[0].delta[BL_FL_COOKIES_SENT], 0);
    cr_assert_eq(ph[0].timed_out, ph[0].timed_out_syn_sent,
                 "a connect that timed out had been answered");
    /* cookies always: no request socket, a cookie for each spoofed SYN */
    cr_assert_eq(ph[1].syn_recv_peak, 0);
    cr_assert_geq(ph[1].delta[BL_FL_COOKIES_SENT], (int64_t)ph[1].syns_sent);
    cr_assert_eq(ph[1].delta[BL_FL_REQQ_DROP], 0);
    cr_assert_leq(ph[1].delta[BL_FL_COOKIES_RECV], ph[1].connected);
    cr_assert_eq(ph[1].delta[BL_FL_COOKIES_RECV], ph[1].accepted,
                 "a connection the server accepted did not come from a cookie");
    for (int i = 0; i < 2; i++)
        bl_flood_free(&ph[i]);
}

Test(bl_flood, quantile_is_the_smallest_value_covering_q)
{
    double v[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

    cr_assert_eq(bl_flood_quantile(v, 10, 0.5), 5);
    cr_assert_eq(bl_flood_quantile(v, 10, 0.99), 10);
    cr_assert_eq(bl_flood_quantile(v, 10, 0.1), 1);
    cr_assert_eq(bl_flood_quantile(v, 1, 0.99), 1);
    cr_assert_eq(bl_flood_quantile(v, 0, 0.99), 0);
}
