/* test_bl_report.c - the accept-queue rule is inferred from the numbers
 * given (synthetic runs here, so every branch is reachable); the
 * counter-deltas object backlog-lab adds to the JSON writer; and the
 * sentence lists that carry the reports. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bl_json.h"
#include "bl_netstat.h"
#include "bl_report.h"
#include "bl_text.h"
#include "support.h"

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

/* The writer itself is tested in tests/lib/test_json.c; here, what
 * backlog-lab adds: the counter deltas, null where the kernel lacks one,
 * and the explanation as an array of strings. */
Test(bl_report, json_counter_deltas_and_explanation)
{
    char *buf = NULL, path[96];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct json j;
    struct bl_text t;
    int64_t d[BL_NETSTAT_NLISTEN];
    long long v;

    cr_assert_not_null(f);
    for (int k = 0; k < BL_NETSTAT_NLISTEN; k++)
        d[k] = k == 1 ? -1 : 10 * k;
    bl_text_init(&t);
    bl_text_add(&t, "say \"%s\"", "it");
    json_init(&j, f, JSON_PRETTY);
    json_object(&j, NULL);
    bl_json_listen_deltas(&j, "counter_deltas", d);
    bl_text_json(&t, &j, "explanation");
    json_end_object(&j);
    cr_assert_eq(json_error(&j), 0);
    fclose(f);
    bl_text_free(&t);
    for (int k = 0; k < BL_NETSTAT_NLISTEN; k++) {
        snprintf(path, sizeof(path), "/counter_deltas/%s", bl_netstat_listen_counters[k]);
        if (k == 1)
            cr_assert(sup_json_is(buf, path, "null"), "%s in %s", path, buf);
        else
            cr_assert(sup_json_int(buf, path, &v) == 0 && v == 10 * k, "%s in %s", path, buf);
    }
    cr_assert(sup_json_is(buf, "/explanation/0", "\"say \\\"it\\\"\""), "%s", buf);
    cr_assert_not_null(strstr(buf, "\n  \"counter_deltas\": {\n    \""), "pretty: %s", buf);
    free(buf);
}

Test(bl_report, text_wraps_and_median)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct bl_text t;
    double v[] = { 5, 1, 3, 2 }, w[] = { 5, 1, 3 };

    bl_text_init(&t);
    bl_text_add(&t, "%s", "word word word word word word word word word word word word "
                          "word word word word word word");
    bl_text_print(&t, f);
    fclose(f);
    cr_assert(strstr(buf, "\n  word") != NULL, "not wrapped: %s", buf);
    for (char *line = buf; *line; line = strchr(line, '\n') + 1)
        cr_assert_leq(strcspn(line, "\n"), 78);
    bl_text_free(&t);
    free(buf);
    cr_assert_float_eq(bl_text_median(v, 4), 2.5, 1e-9);
    cr_assert_float_eq(bl_text_median(w, 3), 3, 1e-9);
    cr_assert_float_eq(bl_text_median(v, 0), 0, 1e-9);
}
