/* test_bl_report.c - the reports (bl_report.h): the accept-queue rule is
 * inferred from the numbers given (synthetic runs here, so every branch is
 * reachable) and explained in sentences that follow those numbers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_report.h"
#include "bl_text.h"

/* A saturated run: len waiting, limit reported, clients beyond them. */
static struct bl_acceptq_run run(int backlog, uint32_t limit, uint32_t len, int clients)
{
    struct bl_acceptq_run r;

    memset(&r, 0, sizeof(r));
    r.backlog = backlog;
    r.somaxconn = 100;
    r.diag_limit = r.info_limit = limit;
    r.diag_len = r.info_len = len;
    r.nclients = clients;
    r.cl_established = (int)len;
    r.cl_syn_sent = clients - (int)len;
    r.clients = calloc((size_t)clients, sizeof(*r.clients));
    cr_assert_not_null(r.clients);
    return r;
}

Test(bl_report, rule_from_backlog_and_cap)
{
    struct bl_acceptq_run runs[] = {
        run(1, 1, 2, 10), run(8, 8, 9, 20), run(500, 100, 101, 120),
    };
    struct bl_acceptq_rule rule;

    bl_report_acceptq_rule(runs, 3, &rule);
    for (int i = 0; i < 3; i++)
        bl_acceptq_free(&runs[i]);
    cr_assert_eq(rule.saturated, 3);
    cr_assert(rule.extra_same);
    cr_assert_eq(rule.extra, 1);
    cr_assert_eq(rule.limit_is_backlog, 2);
    cr_assert_eq(rule.limit_is_somaxconn, 1);
    cr_assert_eq(rule.limit_other, 0);
}

Test(bl_report, rule_follows_other_numbers_too)
{
    /* a kernel that held exactly the backlog: the rule must say +0 */
    struct bl_acceptq_run runs[] = { run(4, 4, 4, 10), run(16, 16, 16, 30) };
    struct bl_acceptq_rule rule;
    struct bl_text t;

    bl_report_acceptq_rule(runs, 2, &rule);
    cr_assert(rule.extra_same);
    cr_assert_eq(rule.extra, 0);
    bl_text_init(&t);
    bl_report_acceptq_explain(runs, 2, &t);
    cr_assert_gt(t.n, 0);
    cr_assert(strstr(t.line[0], "limit + 0") != NULL, "%s", t.line[0]);
    bl_text_free(&t);
    bl_acceptq_free(&runs[0]);
    bl_acceptq_free(&runs[1]);
}

Test(bl_report, unsaturated_runs_say_nothing)
{
    struct bl_acceptq_run runs[] = { run(64, 64, 10, 10), run(4, 4, 5, 9) };
    struct bl_acceptq_rule rule;

    runs[0].cl_syn_sent = 0;
    bl_report_acceptq_rule(runs, 1, &rule);
    cr_assert_eq(rule.saturated, 0);
    cr_assert(!rule.extra_same);
    runs[1].diag_len = 6; /* inconsistent with run 2 below */
    struct bl_acceptq_run two[] = { runs[1], run(8, 8, 9, 20) };
    bl_report_acceptq_rule(two, 2, &rule);
    cr_assert_eq(rule.saturated, 2);
    cr_assert(!rule.extra_same);
    bl_acceptq_free(&runs[0]);
    bl_acceptq_free(&runs[1]);
    bl_acceptq_free(&two[1]);
}

/* issue 13 item 4: --backlog 0 --clients 3 --settle 140s: two connects
 * timed out; they were turned away by the queue, so the run is saturated,
 * and each failure is reported with its errno and time. */
Test(bl_report, issue_13_timed_out_connects_have_errno_and_time)
{
    struct bl_acceptq_run r = run(0, 0, 1, 3);
    struct bl_acceptq_rule rule;
    struct bl_text t;

    r.cl_syn_sent = 0;
    r.cl_failed = 2;
    r.settle_ns = 140000000000ull;
    for (int i = 1; i < 3; i++) {
        r.clients[i].connect_failed = true;
        r.clients[i].err = ETIMEDOUT;
        r.clients[i].t_failed = (uint64_t)(127 + i) * 1000000000ull;
    }
    bl_report_acceptq_rule(&r, 1, &rule);
    cr_assert_eq(rule.saturated, 1);
    bl_text_init(&t);
    bl_report_acceptq_explain(&r, 1, &t);
    char *all = bl_text_join(&t);
    cr_assert(strstr(all, "No run had more clients") == NULL, "%s", all);
    cr_assert(strstr(all, "backlog 0: 2 connects failed with ETIMEDOUT (Connection timed "
                          "out), from 128.0 s to 129.0 s into the run.") != NULL, "%s", all);
    bl_text_free(&t);
    free(all);
    r.clients[2].err = ECONNRESET;
    bl_text_init(&t);
    bl_report_acceptq_explain(&r, 1, &t);
    all = bl_text_join(&t);
    cr_assert(strstr(all, "1 connect failed with ETIMEDOUT (Connection timed out) 128.0 s")
              != NULL, "%s", all);
    cr_assert(strstr(all, "1 connect failed with ECONNRESET") != NULL, "%s", all);
    bl_text_free(&t);
    free(all);
    bl_acceptq_free(&r);
}

/* A connect that failed in the call itself (no port left) never reached
 * the listener: it does not make the run saturated. */
Test(bl_report, failed_in_connect_call_is_not_saturation)
{
    struct bl_acceptq_run r = run(8, 8, 2, 3);
    struct bl_acceptq_rule rule;
    struct bl_text t;

    r.cl_syn_sent = 0;
    r.cl_failed = r.cl_failed_at_call = 1;
    r.clients[2].connect_failed = r.clients[2].failed_at_call = true;
    r.clients[2].err = EADDRNOTAVAIL;
    bl_report_acceptq_rule(&r, 1, &rule);
    cr_assert_eq(rule.saturated, 0);
    bl_text_init(&t);
    bl_report_acceptq_explain(&r, 1, &t);
    char *all = bl_text_join(&t);
    cr_assert(strstr(all, "No run had more clients") != NULL, "%s", all);
    cr_assert(strstr(all, "EADDRNOTAVAIL") != NULL && strstr(all, "in connect() itself"),
              "%s", all);
    bl_text_free(&t);
    free(all);
    bl_acceptq_free(&r);
}
