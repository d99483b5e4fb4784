/* test_tl_merge.c - `tcpload merge` (tl_merge.c) end to end: two tcpload
 * processes started with one --start-at against bin/echod measure the
 * same window, and merge gives their summed counts and percentiles
 * inside the two runs' range, in the schema of a run; runs that cannot
 * be combined, and files that are not reports, are refused naming the
 * file; windows that do not overlap are warned about. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

TestSuite(tl_merge, .init = sup_procs_init, .fini = sup_procs_fini);

/* Writes text to a new temporary file; its name into path (32 bytes). */
static void write_temp(char path[32], const char *text)
{
    strcpy(path, "/tmp/tl-merge-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    cr_assert_geq(fputs(text, f), 0);
    cr_assert_eq(fclose(f), 0);
}

static double num(const char *json, const char *path)
{
    size_t len;
    const char *v = sup_json_find(json, path, &len);

    cr_assert_not_null(v, "no %s in %s", path, json);
    return strtod(v, NULL);
}

/* Starts tcpload echo against target measuring from start_at, into p. */
static void start_load(struct sup_proc *p, const char *target, const char *start_at)
{
    char *path = sup_bin("tcpload");
    char *const argv[] = { "tcpload", "echo", (char *)target, "-c", "2", "-d", "600ms",
                           "--warmup", "200ms", "--start-at", (char *)start_at, "--json",
                           NULL };
    cr_assert_eq(sup_spawn(p, path, argv), 0);
    free(path);
}

static char *finish_load(struct sup_proc *p)
{
    int st = sup_wait(p, 30000);
    cr_assert_eq(sup_exit_code(st), 0, "%s %s", p->out, p->err);
    return strdup(p->out);
}

Test(tl_merge, two_runs_with_one_start_at_merge_into_their_sums, .timeout = 90)
{
    static const char *const wargs[] = { "-w", "2", NULL };
    struct sup_proc other;
    char target[64], start_at[32], fa[32], fb[32];
    struct timespec now;
    int st;

    sup_start_echod(&sup_srv, target, wargs);
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(start_at, sizeof(start_at), "%ld.5", (long)now.tv_sec + 2);
    start_load(&sup_load, target, start_at);
    start_load(&other, target, start_at);
    char *a = finish_load(&sup_load), *b = finish_load(&other);
    sup_free(&other);
    /* One window for both, starting at the --start-at time. */
    double t = atof(start_at);
    cr_assert_float_eq(num(a, "/window_start_unix_s"), t, 0.001, "%s", a);
    cr_assert_float_eq(num(b, "/window_start_unix_s"), t, 0.001, "%s", b);
    cr_assert_float_eq(num(a, "/window_end_unix_s"), t + 0.6, 0.001, "%s", a);
    write_temp(fa, a);
    write_temp(fb, b);
    char *err = NULL;
    char *m = sup_tcpload(&st, &err, "merge", fa, fb, "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s %s", m, err);
    cr_assert_str_eq(err, "", "the windows overlap: no warning");
    cr_assert(sup_json_is(m, "/type", "\"summary\"") && sup_json_is(m, "/mode", "\"echo\""),
              "%s", m);
    static const char *const sums[] = {
        "/messages", "/totals/started", "/totals/bytes_in", "/connections/opened",
        "/latency_us/message/count", "/counters/measured", "/histograms/message/count",
        "/config/connections",
    };
    for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++)
        cr_assert_eq(sup_json_num(m, sums[i]), sup_json_num(a, sums[i]) + sup_json_num(b, sums[i]),
                     "%s summed: %s", sums[i], m);
    cr_assert_float_eq(num(m, "/per_second"), num(a, "/per_second") + num(b, "/per_second"),
                       0.01 * num(m, "/per_second"), "rates summed: %s", m);
    static const char *const pcts[] = { "/latency_us/message/p50", "/latency_us/message/p99",
                                        "/latency_us/message/min", "/latency_us/message/max" };
    for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
        double x = num(a, pcts[i]), y = num(b, pcts[i]), z = num(m, pcts[i]);
        cr_assert(z >= fmin(x, y) && z <= fmax(x, y), "%s %.3f outside [%.3f, %.3f]", pcts[i],
                  z, fmin(x, y), fmax(x, y));
    }
    size_t len;
    cr_assert_not_null(sup_json_find(m, "/inputs/1/host", &len), "one row per input: %s", m);
    cr_assert_null(sup_json_find(m, "/inputs/2", &len), "one row per input: %s", m);
    cr_assert_float_eq(num(m, "/inputs/1/per_second"), num(b, "/per_second"),
                       0.001 * num(b, "/per_second") + 0.01, "%s", m);
    /* The merged report merges again like a run: merge(merge(a, b)) = merge(a, b). */
    char fm[32];
    write_temp(fm, m);
    char *mm = sup_tcpload(&st, NULL, "merge", fm, "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", mm);
    cr_assert_eq(sup_json_num(mm, "/latency_us/message/count"),
                 sup_json_num(m, "/latency_us/message/count"), "%s", mm);
    cr_assert_float_eq(num(mm, "/latency_us/message/p99"), num(m, "/latency_us/message/p99"),
                       1e-9, "%s", mm);
    free(mm);
    char *human = sup_tcpload(&st, NULL, "merge", fa, fb, NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", human);
    cr_assert_neq(strstr(human, "\ninput         /tmp/tl-merge-"), NULL, "%s", human);
    cr_assert_eq(sup_count_lines(strstr(human, "\ninput ") + 1), 2, "%s", human);
    free(human);
    unlink(fa);
    unlink(fb);
    unlink(fm);
    free(m);
    free(err);
    free(a);
    free(b);
}

Test(tl_merge, runs_that_cannot_be_combined_are_refused_naming_the_file, .timeout = 60)
{
    static const char *const hargs[] = { "-w", "1", NULL };
    char target[64], fe[32], fs[32], fc[32], fr[32], fj[32], fo[32];
    int st;

    sup_start_echod(&sup_srv, target, hargs);
    char *e = sup_tcpload(&st, NULL, "echo", target, "-c", "1", "-d", "100ms", "--warmup", "0",
                          "--json", NULL);
    char *s = sup_tcpload(&st, NULL, "echo", target, "-c", "1", "-d", "100ms", "--warmup", "0",
                          "-s", "128", "--json", NULL);
    char *c = sup_tcpload(&st, NULL, "connect", target, "-c", "1", "-d", "100ms", "--warmup",
                          "0", "--send", "4", "--expect", "4", "--json", NULL);
    char *r = sup_tcpload(&st, NULL, "echo", target, "-c", "1", "-d", "100ms", "--warmup", "0",
                          "-R", "1000", "--json", NULL);
    write_temp(fe, e);
    write_temp(fs, s);
    write_temp(fc, c);
    write_temp(fr, r);
    write_temp(fj, "{\"tool\":\"other\"}\n");
    write_temp(fo, "not json at all\n");
    struct { const char *file, *want; } cases[] = {
        { fc, ": a connect run, but " },
        { fr, ": open loop (-R), but " },
        { fs, ": 128-byte messages, but " },
        { fj, ": not a tcpload report (no \"tool\":\"tcpload\" summary)" },
        { fo, ": not a tcpload report (not JSON at byte 0 of its last line)" },
        { "/nonexistent/x.json", ": No such file or directory" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *err = NULL, want[256];
        char *out = sup_tcpload(&st, &err, "merge", fe, cases[i].file, NULL);
        cr_assert_eq(sup_exit_code(st), 1, "%s", out);
        snprintf(want, sizeof(want), "tcpload: merge: %s%s", cases[i].file, cases[i].want);
        cr_assert_eq(strncmp(err, want, strlen(want)), 0, "want '%s', got '%s'", want, err);
        if (cases[i].file == fc)
            cr_assert_neq(strstr(err, " is an echo run"), NULL, "%s", err);
        if (cases[i].file == fr)
            cr_assert_neq(strstr(err, " is closed loop"), NULL, "%s", err);
        cr_assert_str_eq(out, "", "no report");
        free(out);
        free(err);
    }
    /* Two runs one after the other: combinable, but their windows do not
     * overlap, and the merge says so. */
    char fe2[32], *err = NULL;
    char *e2 = sup_tcpload(&st, NULL, "echo", target, "-c", "1", "-d", "100ms", "--warmup", "0",
                           "--json", NULL);
    write_temp(fe2, e2);
    char *out = sup_tcpload(&st, &err, "merge", fe, fe2, NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert_neq(strstr(err, "warning: the runs' windows do not overlap"), NULL, "%s", err);
    free(out);
    free(err);
    const char *files[] = { fe, fs, fc, fr, fj, fo, fe2 };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        unlink(files[i]);
    free(e);
    free(e2);
    free(s);
    free(c);
    free(r);
}

/* Audit item 3: the same report given twice was summed twice without a
 * word.  Now merge refuses it naming the second file, by its run_id, or
 * (a report without one) by its host, timestamp and window. */
Test(tl_merge, the_same_report_twice_is_refused_naming_the_file, .timeout = 60)
{
    static const char *const hargs[] = { "-w", "1", NULL };
    char target[64], fa[32], fb[32], fn[32], fn2[32];
    int st;

    sup_start_echod(&sup_srv, target, hargs);
    char *a = sup_tcpload(&st, NULL, "echo", target, "-c", "1", "-d", "100ms", "--warmup", "0",
                          "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", a);
    size_t len;
    const char *id = sup_json_find(a, "/run_id", &len);
    cr_assert(id != NULL && len == 34, "a run_id of 32 hex digits: %s", a);
    write_temp(fa, a);
    write_temp(fb, a); /* a copy under another name */
    char *noid = strdup(a); /* an older report: no run_id */
    char *key = strstr(noid, "\"run_id\":");
    cr_assert_not_null(key);
    memmove(key, key + 9 + len + 1, strlen(key + 9 + len + 1) + 1);
    cr_assert_null(strstr(noid, "run_id"), "%s", noid);
    write_temp(fn, noid);
    write_temp(fn2, noid);
    const char *pairs[][2] = { { fa, fa }, { fa, fb }, { fn, fn2 } };
    for (size_t i = 0; i < 3; i++) {
        char *err = NULL, want[160];
        char *out = sup_tcpload(&st, &err, "merge", pairs[i][0], pairs[i][1], NULL);
        cr_assert_eq(sup_exit_code(st), 1, "%s %s", out, err);
        snprintf(want, sizeof(want), "tcpload: merge: %s: the same report as input 1, %s (run_id ",
                 pairs[i][1], pairs[i][0]);
        cr_assert_eq(strncmp(err, want, strlen(want)), 0, "want '%s', got '%s'", want, err);
        cr_assert_str_eq(out, "", "no report");
        free(out);
        free(err);
    }
    /* Two different runs are merged, of course. */
    char *b = sup_tcpload(&st, NULL, "echo", target, "-c", "1", "-d", "100ms", "--warmup", "0",
                          "--json", NULL);
    unlink(fb);
    write_temp(fb, b);
    char *out = sup_tcpload(&st, NULL, "merge", fa, fb, "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/connections/opened"), 2, "%s", out);
    free(out);
    const char *files[] = { fa, fb, fn, fn2 };
    for (size_t i = 0; i < 4; i++)
        unlink(files[i]);
    free(a);
    free(b);
    free(noid);
    sup_stop(&sup_srv, SIGTERM, 10000);
    sup_free(&sup_srv);
}

/* Audit items 3 and 6: runs against different targets were merged under
 * the first one's name alone, and a failed run's row showed "p50 0ns p99
 * 0ns max 0ns".  Now merge warns naming two targets, each row names its
 * own, and a row without samples says so (JSON: null percentiles). */
Test(tl_merge, other_targets_are_warned_about_and_a_row_without_samples_says_so,
     .timeout = 60)
{
    static const char *const hargs[] = { "-w", "1", NULL };
    char target[64], other[80], fa[32], fb[32], ff[32];
    int st;

    sup_start_echod(&sup_srv, target, hargs);
    snprintf(other, sizeof(other), "localhost:%d", sup_srv.port);
    char *a = sup_tcpload(&st, NULL, "echo", target, "-c", "1", "-d", "100ms", "--warmup", "0",
                          "--json", NULL);
    char *b = sup_tcpload(&st, NULL, "echo", other, "-c", "1", "-d", "100ms", "--warmup", "0",
                          "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", b);
    char *f = sup_tcpload(&st, NULL, "echo", "127.0.0.1:1", "-c", "1", "--json", NULL);
    write_temp(fa, a);
    write_temp(fb, b);
    write_temp(ff, f);
    char *err = NULL, want[512], row[160];
    char *out = sup_tcpload(&st, &err, "merge", fa, fb, NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s %s", out, err);
    snprintf(want, sizeof(want), "tcpload: merge: warning: the runs had different targets "
             "(%s: %s, %s: %s; each row names its own)", fa, target, fb, other);
    cr_assert_not_null(strstr(err, want), "want '%s' in '%s'", want, err);
    cr_assert_not_null(strstr(out, "tcpload echo several targets: "), "%s", out);
    snprintf(row, sizeof(row), "\ninput         %s (", fb);
    const char *r = strstr(out, row);
    cr_assert(r != NULL && strstr(r, " to ") != NULL &&
              strncmp(strstr(r, " to ") + 4, other, strlen(other)) == 0, "%s", out);
    free(out);
    free(err);
    out = sup_tcpload(&st, &err, "merge", fa, ff, NULL);
    cr_assert_eq(sup_exit_code(st), 1, "a failed run fails the merge: %s", out);
    snprintf(row, sizeof(row), "\ninput         %s (", ff);
    r = strstr(out, row);
    cr_assert_not_null(r, "%s", out);
    cr_assert_not_null(strstr(r, "): no window, no samples, FAILED: no connection could be made\n"),
                       "%s", out);
    cr_assert_null(strstr(out, " 0ns"), "no made-up percentiles: %s", out);
    free(out);
    free(err);
    out = sup_tcpload(&st, NULL, "merge", fa, ff, "--json", NULL);
    cr_assert(sup_json_is(out, "/inputs/1/samples", "0"), "%s", out);
    cr_assert(sup_json_is(out, "/inputs/1/p50_us", "null"), "%s", out);
    cr_assert(sup_json_is(out, "/inputs/1/max_us", "null"), "%s", out);
    cr_assert(sup_json_is(out, "/inputs/1/window_start", "null"), "%s", out);
    cr_assert(!sup_json_is(out, "/inputs/0/p50_us", "null"), "%s", out);
    /* The failed run's empty window neither hides the other's nor halves
     * its duration. */
    cr_assert(!sup_json_is(out, "/window_start", "null"), "%s", out);
    cr_assert_gt(num(out, "/duration_s"), num(a, "/duration_s") * 0.99, "%s", out);
    free(out);
    const char *files[] = { fa, fb, ff };
    for (size_t i = 0; i < 3; i++)
        unlink(files[i]);
    free(a);
    free(b);
    free(f);
    sup_stop(&sup_srv, SIGTERM, 10000);
    sup_free(&sup_srv);
}
