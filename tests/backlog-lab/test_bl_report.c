/* test_bl_report.c - the reports (bl_report.h): the accept-queue rule is
 * inferred from the numbers given (synthetic runs here, so every branch is
 * reachable) and explained in sentences that follow those numbers. */
#include <criterion/criterion.h>
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
