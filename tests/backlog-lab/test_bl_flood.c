/* test_bl_flood.c - the syn-flood experiment in its network namespaces,
 * one phase at a time and as the command (bin/backlog-lab syn-flood: the
 * quick form's JSON, an interrupt; test_backlog_lab.c runs it without
 * root).  It needs root, `ip` and `nft` (test_bl_synq.c installs them as
 * root), otherwise it is skipped with a message.  The server namespace's
 * counters are its own, so the invariants below are exact; no speed is
 * asserted. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bl_env.h"
#include "bl_flood.h"
#include "bl_netns.h"
#include "json_check.h"
#include "os.h"
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
    int64_t sent = (int64_t)ph[0].syns_sent;
    cr_assert_geq(ph[0].delta[BL_FL_REQQ_DROP], sent - (int64_t)ph[0].syn_recv_peak,
                  "%lld spoofed SYNs sent, %u request sockets at most, %lld dropped",
                  (long long)sent, ph[0].syn_recv_peak,
                  (long long)ph[0].delta[BL_FL_REQQ_DROP]);
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

static void need_root_and_tools(void)
{
    struct bl_netns ns;
    char err[512];

    if (geteuid() != 0)
        cr_skip("syn-flood CLI test skipped: needs root");
    if (bl_netns_check(&ns, err, sizeof(err)) < 0)
        cr_skip("syn-flood CLI test skipped: %s", err);
}

static long host_syncookies(void)
{
    long v;

    cr_assert_eq(os_read_sysctl("/proc/sys/net/ipv4/tcp_syncookies", &v, 1), 1);
    return v;
}

/* A whole number at /phases/i/rest of the JSON output. */
static long long phase_get(const char *out, int i, const char *rest)
{
    char path[96];

    snprintf(path, sizeof(path), "/phases/%d/%s", i, rest);
    return json_get(out, path);
}

/* One phase of the quick form's JSON: what must hold whatever the speed. */
static void phase_invariants(const char *out, int i)
{
#define AT(rest) phase_get(out, i, rest)
    long long tries = AT("client/tries"), connected = AT("client/connected");

    cr_assert_eq(AT("syncookies"), i, "%s", out);
    cr_assert_eq(AT("backlog"), 16);
    cr_assert_eq(AT("flood/syns_sent") + AT("flood/syns_refused"), 3000, "%s", out);
    cr_assert_eq(tries, 3000 / BL_FLOOD_TRY_GAP_MS, "%s", out);
    cr_assert_eq(connected + AT("client/timed_out") + AT("client/failed"), tries, "%s", out);
    cr_assert_leq(AT("client/server_accepted"), connected, "%s", out);
    cr_assert_leq(AT("client/syn_retransmitted"), connected, "%s", out);
    cr_assert_eq(AT("counters/InCsumErrors"), 0, "crafted SYNs refused: %s", out);
    cr_assert_leq(AT("syn_queue/syn_recv_peak"), AT("syn_queue/timeline/0/syn_recv") +
                  AT("flood/syns_sent") + tries, "%s", out);
#undef AT
}

Test(bl_flood, quick_form_json, .timeout = 120)
{
    const char *args[] = { "syn-flood", "--json", "-q", NULL };
    char *out, *err;
    size_t len;

    need_root_and_tools();
    long before = host_syncookies();
    cr_assert_eq(sup_lab(&out, &err, 60000, args), 0, "%s", err);
    cr_assert_eq(host_syncookies(), before, "the host's tcp_syncookies changed");
    cr_assert(sup_json_is(out, "/experiment", "\"syn-flood\""), "%s", out);
    cr_assert_not_null(sup_json_find(out, "/phases/2", &len), "%s", out);
    cr_assert_null(sup_json_find(out, "/phases/3", &len), "%s", out);
    cr_assert_not_null(sup_json_find(out, "/explanation/0", &len), "%s", out);
    for (int i = 0; i < 3; i++)
        phase_invariants(out, i);
    /* syncookies 0 sends no cookie; 2 makes no request socket and sends
     * one cookie for each spoofed SYN at least */
    cr_assert_eq(json_get(out, "/phases/0/counters/SyncookiesSent"), 0, "%s", out);
    cr_assert_geq(json_get(out, "/phases/0/syn_queue/syn_recv_peak"),
                  json_get(out, "/phases/0/limit"), "%s", out);
    cr_assert_eq(json_get(out, "/phases/2/syn_queue/syn_recv_peak"), 0, "%s", out);
    cr_assert_geq(json_get(out, "/phases/2/counters/SyncookiesSent"),
                  json_get(out, "/phases/2/flood/syns_sent"), "%s", out);
    free(out), free(err);
}

Test(bl_flood, interrupted_cleans_up, .timeout = 120)
{
    struct sup_proc p;
    char *path = sup_bin("backlog-lab");
    char *argv[] = { path, "syn-flood", "--syncookies", "0", "--duration", "20s", NULL };

    need_root_and_tools();
    long before = host_syncookies();
    cr_assert_eq(sup_spawn(&p, path, argv), 0);
    usleep(1500 * 1000);
    int st = sup_stop(&p, SIGINT, 10000);
    sup_drain(&p);
    cr_assert(WIFEXITED(st), "did not exit on SIGINT (status %d)", st);
    cr_assert_eq(WEXITSTATUS(st), 130, "stderr: %s", p.err);
    cr_assert(strstr(p.err, "interrupted") != NULL, "%s", p.err);
    cr_assert_eq(host_syncookies(), before, "the host's tcp_syncookies changed");
    sup_free(&p);
    free(path);
}
