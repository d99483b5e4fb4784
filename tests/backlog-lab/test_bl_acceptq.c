/* test_bl_acceptq.c - a quick accept-queue run at small backlogs whose
 * numbers must agree with each other: the client view, the server view,
 * inet_diag, TCP_INFO and the TcpExt counters.  The counters are host-wide
 * and other tests run at the same time, so they are checked as lower
 * bounds. */
#include <criterion/criterion.h>
#include <netinet/tcp.h>
#include <string.h>

#include "bl_acceptq.h"
#include "bl_env.h"
#include "bl_report.h"
#include "clock.h"

static void quick_opts(struct bl_opts *o)
{
    char err[256];
    char *argv[] = { "backlog-lab", "accept-queue", "-q", NULL };

    cr_assert_eq(bl_options_parse(3, argv, o, err, sizeof(err)), 0, "%s", err);
    o->settle_ns = 500 * CLOCK_NS_PER_MS;  /* generous: CI runs tests in parallel */
    o->window_ns = 2500 * CLOCK_NS_PER_MS; /* a SYN retransmitted at 1 s fits twice */
    bl_env_progress_init(true);
}

static void check_run(const struct bl_acceptq_run *r)
{
    cr_assert(!r->interrupted);
    cr_assert_eq(r->diag_limit, (uint32_t)r->backlog, "limit %u", r->diag_limit);
    cr_assert_eq(r->diag_len, r->info_len, "inet_diag and TCP_INFO disagree");
    cr_assert_eq(r->diag_limit, r->info_limit);
    cr_assert_eq((int)r->diag_len, r->srv_established,
                 "queue length vs ESTABLISHED server sockets");
    cr_assert_geq(r->cl_established, (int)r->diag_len,
                  "every queued connection is established for its client");
    cr_assert_eq(r->cl_established + r->cl_syn_sent + r->cl_failed, r->nclients);
    cr_assert_gt(r->cl_syn_sent, 0, "more clients than the queue takes");
    cr_assert_geq(r->settle_delta[0], r->cl_syn_sent, "ListenOverflows");
    cr_assert_geq(r->settle_delta[1], r->settle_delta[0] > 0 ? 1 : 0, "ListenDrops");
    for (int i = 0; i < r->nclients; i++) {
        const struct bl_client *c = &r->clients[i];
        if (c->accepted)
            cr_assert(c->established, "client %d accepted but not connected", i);
        if (c->queued_at_settle) {
            cr_assert(c->accepted, "client %d was in the queue, never accepted", i);
            cr_assert_eq(c->syn_retrans, 0);
            cr_assert_eq(c->state_at_settle, TCP_ESTABLISHED);
            cr_assert(!c->writer || c->data_read, "queued writer %d: data lost", i);
        }
        if (c->state_at_settle == TCP_SYN_SENT && c->established)
            cr_assert_geq(c->syn_retrans, 1, "client %d: left out yet no SYN retransmit", i);
    }
}

Test(bl_acceptq, small_backlogs_are_self_consistent, .timeout = 60)
{
    struct bl_opts o;
    struct bl_acceptq_run runs[2];
    struct bl_acceptq_rule rule;
    struct bl_err why;
    int backlogs[] = { 2, 5 };

    quick_opts(&o);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(bl_acceptq_run(backlogs[i], backlogs[i] + 6, &o, &runs[i], &why), 0,
                     "%s: %s", why.call, strerror(why.errnum));
        check_run(&runs[i]);
    }
    bl_report_acceptq_rule(runs, 2, &rule);
    cr_assert_eq(rule.saturated, 2);
    cr_assert(rule.extra_same, "queue minus limit differed between backlogs");
    cr_assert_eq(rule.limit_is_backlog, 2);
    for (int i = 0; i < 2; i++)
        bl_acceptq_free(&runs[i]);
}

Test(bl_acceptq, client_counts_and_backlogs)
{
    struct bl_opts o;
    struct bl_backlog_spec plus = { true, 10 }, plain = { false, 7 };

    quick_opts(&o);
    cr_assert_eq(bl_acceptq_resolve(&plus, 4096), 4106);
    cr_assert_eq(bl_acceptq_resolve(&plain, 4096), 7);
    cr_assert_eq(bl_acceptq_clients(&o, 8, 20000), 24);
    cr_assert_eq(bl_acceptq_clients(&o, 9000, 20000), BL_MAX_CLIENTS);
    cr_assert_eq(bl_acceptq_clients(&o, 5000, 1024), (1024 - 64) / 2, "fd limit");
    o.clients = 3;
    cr_assert_eq(bl_acceptq_clients(&o, 500, 20000), 3);
}
