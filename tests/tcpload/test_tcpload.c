/* test_tcpload.c - the tcpload program (tl_main.c) end to end: the --json
 * report's context (argv, system, exit status) and the --histogram file,
 * and command-line errors, --help and --version.  The modes are tested in
 * test_tl_echo.c, test_tl_connect.c and test_tl_hold.c. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

TestSuite(tcpload, .init = sup_procs_init, .fini = sup_procs_fini);

/* A report that cannot be written (standard output on a full disk) fails
 * the run with the reason, instead of exit 0 with nothing said. */
Test(tcpload, an_unwritable_report_fails_the_run, .timeout = 60)
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64], err[512] = "";
    int errpipe[2], st;

    sup_start_echod(&sup_srv, target, wargs);
    cr_assert_eq(pipe(errpipe), 0);
    char *bin = sup_bin("tcpload");
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int full = open("/dev/full", O_WRONLY);
        if (full < 0 || dup2(full, 1) < 0 || dup2(errpipe[1], 2) < 0)
            _exit(99);
        execl(bin, "tcpload", "echo", target, "-c", "1", "-d", "200ms", "--warmup", "0",
              "--json", (char *)NULL);
        _exit(98);
    }
    close(errpipe[1]);
    ssize_t n = sup_read_n(errpipe[0], err, sizeof(err) - 1, 30000);
    err[n > 0 ? n : 0] = '\0';
    close(errpipe[0]);
    free(bin);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert_eq(sup_exit_code(st), 1, "exit %d: %s", sup_exit_code(st), err);
    cr_assert_not_null(strstr(err, "writing the report to standard output: No space left on device"),
                       "%s", err);
    sup_stop(&sup_srv, SIGTERM, 10000);
    sup_free(&sup_srv);
}

Test(tcpload, json_context_and_histogram_file, .timeout = 60)
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64], hist[] = "/tmp/tcpload-hist-XXXXXX";
    int st, fd = mkstemp(hist);

    cr_assert_geq(fd, 0);
    close(fd);
    sup_start_echod(&sup_srv, target, wargs);
    char *out = sup_tcpload(&st, NULL, "echo", target, "-c", "2", "-d", "200ms", "--warmup", "0",
                            "--json", "--histogram", hist, NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert(sup_json_is(out, "/argv/0", "\"tcpload\""), "%s", out);
    cr_assert(sup_json_is(out, "/argv/1", "\"echo\""), "%s", out);
    const char *strings[] = { "/system/kernel", "/system/ip_local_port_range" };
    const char *numbers[] = { "/system/tcp_tw_reuse", "/system/somaxconn", "/system/ulimit_n",
                              "/latency_us/message/p99.99" };
    size_t len;
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        const char *v = sup_json_find(out, strings[i], &len);
        cr_assert(v != NULL && *v == '"', "no string at %s in %s", strings[i], out);
    }
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        const char *v = sup_json_find(out, numbers[i], &len);
        cr_assert(v != NULL && (*v == '-' || (*v >= '0' && *v <= '9')),
                  "no number at %s in %s", numbers[i], out);
    }
    cr_assert_eq(sup_json_num(out, "/exit_status"), 0, "%s", out);
    cr_assert_eq(sup_count_lines(out), 1, "one JSON object on one line");
    char *const cat[] = { "cat", hist, NULL };
    char *rows = NULL;
    cr_assert_eq(sup_exit_code(sup_run("/bin/cat", cat, 10000, &rows, NULL)), 0);
    /* The .hgrm of every sample in the report (the format itself is
     * checked row by row in test_tl_report.c). */
    char want[128];
    snprintf(want, sizeof(want), " 1.000000000000 %10lld\n",
             sup_json_num(out, "/latency_us/message/count"));
    cr_assert_eq(strncmp(rows, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n",
                         57), 0, "%s", rows);
    cr_assert_neq(strstr(rows, want), NULL, "last row holds every sample: %s", rows);
    cr_assert_neq(strstr(rows, "#[Unit    = microseconds"), NULL, "%s", rows);
    free(rows);
    free(out);
    unlink(hist);
    sup_stop(&sup_srv, SIGTERM, 10000);
    sup_free(&sup_srv);
}

Test(tcpload, an_unwritable_histogram_path_fails_before_connecting, .timeout = 30)
{
    char *err = NULL;
    int st;

    /* Nothing listens on port 1; the path is refused first, at once. */
    char *out = sup_tcpload(&st, &err, "echo", "127.0.0.1:1", "--histogram",
                            "/nonexistent/dir/h.hgrm", NULL);
    cr_assert_eq(sup_exit_code(st), 2, "%s", out);
    cr_assert_str_eq(err, "tcpload: --histogram: /nonexistent/dir/h.hgrm: No such file or "
                          "directory\n");
    cr_assert_str_eq(out, "", "no run, no report");
    free(out);
    free(err);
}

Test(tcpload, a_start_at_in_the_past_fails_the_run, .timeout = 30)
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64];
    int st;

    sup_start_echod(&sup_srv, target, wargs);
    char *out = sup_tcpload(&st, NULL, "echo", target, "-c", "1", "--start-at",
                            "2001-09-09T01:46:40Z", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 1, "%s", out);
    size_t len;
    const char *why = sup_json_find(out, "/failure", &len);
    cr_assert(why != NULL && strncmp(why, "\"--start-at is ", 15) == 0 &&
              strstr(why, " s in the past once connected\"") == why + len - 30, "%s", out);
    cr_assert_eq(sup_json_num(out, "/totals/started"), 0, "nothing was sent: %s", out);
    free(out);
    sup_stop(&sup_srv, SIGTERM, 10000);
    sup_free(&sup_srv);
}

Test(tcpload, command_line_errors_exit_2_naming_the_flag, .timeout = 30)
{
    char *err = NULL;
    int st;

    char *out = sup_tcpload(&st, &err, "echo", "127.0.0.1:7", "-c", "banana", NULL);
    cr_assert_eq(sup_exit_code(st), 2);
    cr_assert_str_eq(err, "tcpload: -c: expected a whole number from 1 to 1000000, "
                          "got 'banana'\n");
    free(out);
    free(err);
    out = sup_tcpload(&st, &err, "--help", NULL);
    cr_assert_eq(sup_exit_code(st), 0);
    cr_assert_neq(strstr(out, "tcpload echo 127.0.0.1:7007"), NULL);
    cr_assert_neq(strstr(out, "tcpload connect"), NULL);
    cr_assert_neq(strstr(out, "tcpload hold"), NULL);
    free(out);
    free(err);
    out = sup_tcpload(&st, NULL, "--version", NULL);
    cr_assert_eq(sup_exit_code(st), 0);
    cr_assert_eq(strncmp(out, "tcpload ", 8), 0);
    free(out);
}

/* Audit item 2: a run that ended before its window began reported the
 * planned window (in the future, after the report's own timestamp) and the
 * configured warmup. */
Test(tcpload, a_run_that_ends_in_its_warmup_reports_no_window, .timeout = 30)
{
    int st;

    char *out = sup_tcpload(&st, NULL, "echo", "127.0.0.1:1", "-d", "1s", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 1, "%s", out);
    cr_assert(sup_json_is(out, "/window_start", "null"), "%s", out);
    cr_assert(sup_json_is(out, "/window_end", "null"), "%s", out);
    cr_assert(sup_json_is(out, "/duration_s", "0.000000"), "%s", out);
    size_t len;
    const char *warm = sup_json_find(out, "/warmup_s", &len);
    cr_assert(warm != NULL && atof(warm) < 1.0, "the warmup that ran, not 1 s: %s", out);
    cr_assert(sup_json_is(out, "/config/warmup_s", "1.000"), "%s", out);
    free(out);
    out = sup_tcpload(&st, NULL, "echo", "127.0.0.1:1", "-d", "1s", NULL);
    cr_assert_eq(sup_exit_code(st), 1, "%s", out);
    cr_assert_not_null(strstr(out, "\nwindow        none: the run ended "), "%s", out);
    cr_assert_not_null(strstr(out, " s into the 1.00 s warmup\n"), "%s", out);
    cr_assert_null(strstr(out, "measured after"), "%s", out);
    free(out);
    out = sup_tcpload(&st, NULL, "hold", "127.0.0.1:1", "-c", "2", NULL);
    cr_assert_eq(sup_exit_code(st), 1, "%s", out);
    cr_assert_not_null(strstr(out, "\nheld          none: no connection opened\n"), "%s", out);
    free(out);
    out = sup_tcpload(&st, NULL, "hold", "127.0.0.1:1", "-c", "2", "--json", NULL);
    cr_assert(sup_json_is(out, "/window_start", "null"), "%s", out);
    cr_assert(sup_json_is(out, "/duration_s", "0.000000"), "%s", out);
    free(out);
}

/* Audit item 2: SIGINT during the warmup exited 0 with a window of 0 s
 * that lay in the future.  Now it fails (exit 1), saying so, with no
 * window and the warmup that elapsed. */
Test(tcpload, sigint_during_the_warmup_fails_the_run_with_no_window, .timeout = 60)
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64], *path = sup_bin("tcpload");

    sup_start_echod(&sup_srv, target, wargs);
    char *const argv[] = { "tcpload", "echo", target, "-c", "2", "-d", "5s", "--warmup",
                           "20s", "--json", NULL };
    cr_assert_eq(sup_spawn(&sup_load, path, argv), 0);
    free(path);
    usleep(500000);
    int st = sup_stop(&sup_load, SIGINT, 10000);
    const char *out = sup_load.out;
    cr_assert_eq(sup_exit_code(st), 1, "%s %s", out, sup_load.err);
    cr_assert(sup_json_is(out, "/window_start", "null"), "%s", out);
    cr_assert(sup_json_is(out, "/duration_s", "0.000000"), "%s", out);
    size_t len;
    const char *warm = sup_json_find(out, "/warmup_s", &len);
    cr_assert(warm != NULL && atof(warm) < 15.0, "%s", out);
    const char *why = sup_json_find(out, "/failure", &len);
    cr_assert(why != NULL && strncmp(why, "\"stopped by SIGINT ", 19) == 0 &&
              strstr(why, " s warmup, before the window began: nothing was measured\"") != NULL,
              "%s", out);
    cr_assert(sup_json_is(out, "/exit_status", "1"), "%s", out);
    sup_free(&sup_load);
    sup_stop(&sup_srv, SIGTERM, 10000);
    sup_free(&sup_srv);
}
