/* test_bl_synq.c - the syn-queue experiment in its network namespaces.
 * It needs root, `ip` and `nft`: as root the test installs what is missing
 * (tests/backlog-lab/install-tools.sh, apt-get), otherwise it is skipped with a
 * message.  The namespace's counters are its own, so here they are exact. */
#include <criterion/criterion.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bl_env.h"
#include "bl_netns.h"
#include "bl_synq.h"
#include "clock.h"
#include "os.h"
#include "support.h"

enum { C_REQQ_DROP = 2, C_REQQ_COOKIES = 3, C_COOKIES_SENT = 4 };

/* Skips unless the lab can build namespaces here; installs the tools as
 * root when they are missing. */
static void need_namespaces(struct bl_netns *ns)
{
    char err[512];

    if (geteuid() != 0)
        cr_skip("syn-queue test skipped: needs root to create network namespaces");
    if (bl_netns_check(ns, err, sizeof(err)) < 0) {
        char *argv[] = { "/bin/sh", "tests/backlog-lab/install-tools.sh", NULL };
        char *out = NULL, *errout = NULL;
        int st = sup_run("/bin/sh", argv, 300000, &out, &errout);
        cr_assert_eq(st, 0, "installing iproute2/nftables failed: %s %s", out, errout);
        free(out);
        free(errout);
        cr_assert_eq(bl_netns_check(ns, err, sizeof(err)), 0, "%s", err);
    }
}

static void quick_opts(struct bl_opts *o)
{
    char err[256];
    char *argv[] = { "backlog-lab", "syn-queue", "--backlog", "4", "--clients", "12",
                     "--rate", "500", "--watch", "1500ms", "-q", NULL };

    cr_assert_eq(bl_options_parse(11, argv, o, err, sizeof(err)), 0, "%s", err);
    bl_env_progress_init(true);
}

Test(bl_synq, half_open_queue_fills_and_stops, .timeout = 400)
{
    struct bl_netns ns;
    struct bl_opts o;
    struct bl_synq_phase ph[2];
    struct bl_err why;
    char err[512];
    int fds = sup_count_fds();

    need_namespaces(&ns);
    quick_opts(&o);
    cr_assert_eq(bl_netns_create(&ns, BL_SYNQ_PORT_BASE, BL_SYNQ_PORT_BASE + 1, err,
                                 sizeof(err)), 0, "%s", err);
    cr_assert_eq(bl_synq_phase(&ns, 0, 0, &o, &ph[0], &why), 0, "%s", why.call);
    cr_assert_eq(bl_synq_phase(&ns, 1, 1, &o, &ph[1], &why), 0, "%s", why.call);
    bl_netns_destroy(&ns);
    cr_assert_eq(sup_count_fds(), fds, "namespace or socket descriptors left open");

    for (int i = 0; i < 2; i++) {
        const struct bl_synq_phase *p = &ph[i];
        cr_assert_eq(p->limit, 4);
        cr_assert(p->stopped_seen, "mode %d: not every client started", i);
        cr_assert_geq(p->syn_recv_stop, p->limit, "mode %d: queue never filled", i);
        cr_assert_lt((int)p->syn_recv_stop, p->nclients, "mode %d: SYN-RECV did not stop", i);
        cr_assert_eq(p->syn_recv_end, p->syn_recv_stop, "half-open sockets went away early");
        cr_assert_gt(p->rtx_count[1], 0, "mode %d: no SYN-ACK retransmission seen", i);
        cr_assert_geq(p->rtx_median_ms[1], 500, "retransmitted before any timer could fire");
    }
    /* no cookies: the SYNs beyond the queue are dropped, those clients wait */
    cr_assert_eq(ph[0].cl_established, (int)ph[0].syn_recv_stop);
    cr_assert_eq(ph[0].cl_syn_sent, ph[0].nclients - (int)ph[0].syn_recv_stop);
    cr_assert_geq(ph[0].delta[C_REQQ_DROP], ph[0].cl_syn_sent);
    cr_assert_eq(ph[0].delta[C_COOKIES_SENT], 0);
    /* cookies: every client connects, the server keeps state for the queue only */
    cr_assert_eq(ph[1].cl_established, ph[1].nclients);
    cr_assert_eq(ph[1].delta[C_COOKIES_SENT], ph[1].nclients - (int)ph[1].syn_recv_stop);
    cr_assert_eq(ph[1].delta[C_REQQ_COOKIES], ph[1].delta[C_COOKIES_SENT]);
    bl_synq_free(&ph[0]);
    bl_synq_free(&ph[1]);
}

Test(bl_synq, host_syncookies_untouched, .timeout = 400)
{
    struct bl_netns ns;
    struct bl_opts o;
    struct bl_synq_phase ph;
    char err[512];
    long before, after;
    struct bl_err why;

    need_namespaces(&ns);
    quick_opts(&o);
    o.syn_clients = 2;
    o.watch_ns = 200 * CLOCK_NS_PER_MS;
    cr_assert_eq(os_read_sysctl("/proc/sys/net/ipv4/tcp_syncookies", &before, 1), 1);
    cr_assert_eq(bl_netns_create(&ns, BL_SYNQ_PORT_BASE, BL_SYNQ_PORT_BASE, err,
                                 sizeof(err)), 0, "%s", err);
    cr_assert_eq(bl_synq_phase(&ns, before == 2 ? 0 : 2, 0, &o, &ph, &why), 0, "%s", why.call);
    bl_netns_destroy(&ns);
    cr_assert_eq(os_read_sysctl("/proc/sys/net/ipv4/tcp_syncookies", &after, 1), 1);
    cr_assert_eq(after, before, "the host's tcp_syncookies changed");
    bl_synq_free(&ph);
}
