/* test_tl_ival.c - --interval (tl_ival.c) end to end against bin/echod:
 * JSON Lines, one object per interval aligned on the window's start, in
 * order and none missing, then the summary; what the intervals counted
 * adds up to what the run sent.  Nothing here asserts a speed. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

TestSuite(tl_ival, .init = sup_procs_init, .fini = sup_procs_fini);

/* The number at path in one JSON line, as a double. */
static double num(const char *line, const char *path)
{
    size_t len;
    const char *v = sup_json_find(line, path, &len);

    cr_assert_not_null(v, "no %s in %s", path, line);
    return strtod(v, NULL);
}

static void check_lines(char *out, int threads)
{
    long long total = 0, index = -2;
    char *save = NULL, *summary = NULL;

    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (sup_json_is(line, "/type", "\"summary\"")) {
            summary = line;
            continue;
        }
        cr_assert_null(summary, "an interval after the summary: %s", line);
        cr_assert(sup_json_is(line, "/type", "\"interval\""), "%s", line);
        cr_assert_eq(sup_json_num(line, "/index"), index, "in order, none missing: %s", line);
        cr_assert_float_eq(num(line, "/start_s"), (double)index * 0.1, 1e-6, "%s", line);
        cr_assert_float_eq(num(line, "/end_s"), (double)(index + 1) * 0.1, 1e-6, "%s", line);
        const char *phase = index < 0 ? "\"warmup\"" : index < 5 ? "\"window\"" : "\"drain\"";
        cr_assert(sup_json_is(line, "/phase", phase), "%s in %s", phase, line);
        long long n = sup_json_num(line, "/completed");
        cr_assert_eq(sup_json_num(line, "/latency_us/message/count"), n, "%s", line);
        total += n;
        index++;
    }
    cr_assert_not_null(summary, "the summary comes last");
    cr_assert_geq(index, 5, "warmup and window intervals: %lld", index);
    cr_assert_eq(sup_json_num(summary, "/exit_status"), 0, "%s", summary);
    cr_assert_eq(sup_json_num(summary, "/config/threads"), threads, "%s", summary);
    /* Every message sent came back and was counted in exactly one interval. */
    cr_assert_eq(total, sup_json_num(summary, "/totals/started"), "%s", summary);
    cr_assert_gt(total, 0);
}

static void interval_run(const char *threads, const char *rate)
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64];
    int st;

    sup_start_echod(&sup_srv, target, wargs);
    char *out = sup_tcpload(&st, NULL, "echo", target, "-c", "4", "-t", threads, "-d",
                            "500ms", "--warmup", "200ms", "--interval", "100ms", "--json",
                            rate ? "-R" : NULL, rate, NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    check_lines(out, atoi(threads));
    free(out);
}

Test(tl_ival, json_lines_closed_loop, .timeout = 60)
{
    interval_run("1", NULL);
}

Test(tl_ival, json_lines_open_loop_two_threads, .timeout = 60)
{
    interval_run("2", "2000");
}

Test(tl_ival, human_lines_before_the_summary, .timeout = 60)
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64];
    int st;

    sup_start_echod(&sup_srv, target, wargs);
    char *out = sup_tcpload(&st, NULL, "connect", target, "-c", "2", "--send", "8",
                            "--expect", "8", "-d", "300ms", "--warmup", "0",
                            "--interval", "100ms", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert_eq(strncmp(out, "interval    0.00-0.10s window ", 30), 0, "%s", out);
    cr_assert_neq(strstr(out, "\ninterval    0.20-0.30s window "), NULL, "%s", out);
    cr_assert_lt(strstr(out, "interval    0.20-0.30s"), strstr(out, "tcpload connect"), "%s", out);
    free(out);
}
