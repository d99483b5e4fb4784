/* test_backlog_lab.c - the backlog-lab program (bl_main.c) end to end:
 * usage, exit statuses and messages, the --json output of a quick
 * accept-queue run, syn-queue's exit status when interrupted, and the
 * namespace commands' without root.  Its other experiments are tested in
 * test_bl_<module>.c. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns_check.h"
#include "support.h"

Test(backlog_lab, usage_and_exit_statuses, .timeout = 30)
{
    char *out, *err;

    cr_assert_eq(sup_lab(&out, &err, 5000, (const char *[]){ "--help", NULL }), 0);
    cr_assert(strstr(out, "accept-queue") && strstr(out, "syn-queue"), "%s", out);
    free(out), free(err);
    cr_assert_eq(sup_lab(&out, &err, 5000, (const char *[]){ "--version", NULL }), 0);
    cr_assert(strncmp(out, "backlog-lab ", 12) == 0, "%s", out);
    free(out), free(err);
    cr_assert_eq(sup_lab(&out, &err, 5000,
                         (const char *[]){ "accept-queue", "--clients", "banana", NULL }), 2);
    cr_assert_str_eq(err, "backlog-lab: --clients: expected a whole number from 1 to 8000, "
                          "got 'banana'\n");
    free(out), free(err);
    cr_assert_eq(sup_lab(&out, &err, 5000, (const char *[]){ NULL }), 2);
    cr_assert_str_eq(err, "backlog-lab: expected a command: accept-queue, syn-queue, observe, "
                          "lifecycle, syn-schedule, reuseport, time-wait, close or "
                          "syn-flood (see --help)\n");
    free(out), free(err);
}

Test(backlog_lab, accept_queue_json, .timeout = 60)
{
    char *out, *err;
    size_t len;
    const char *args[] = { "accept-queue", "--backlog", "1", "--clients", "5", "--settle",
                           "200ms", "--accept-window", "1200ms", "--json", NULL };

    cr_assert_eq(sup_lab(&out, &err, 30000, args), 0, "%s", err);
    cr_assert(sup_json_is(out, "/experiment", "\"accept-queue\""), "%s", out);
    cr_assert(sup_json_is(out, "/rule/saturated_runs", "1"), "%s", out);
    cr_assert(sup_json_is(out, "/runs/0/settle/queue_limit", "1"), "%s", out);
    cr_assert_not_null(sup_json_find(out, "/runs/0/per_client/4", &len), "5 clients: %s", out);
    cr_assert_null(sup_json_find(out, "/runs/0/per_client/5", &len), "5 clients: %s", out);
    cr_assert(strstr(err, "at most") != NULL, "no time announced: %s", err);
    free(out), free(err);
}

Test(backlog_lab, syn_queue_interrupted_cleans_up, .timeout = 400)
{
    const char *args[] = { "syn-queue", "--syncookies", "0", "--watch", "20s", NULL };

    need_root_and_tools("syn-queue CLI test");
    expect_interrupted(args, 1500, "interrupted");
}

/* Each command that builds namespaces with ip (and nft) exits 3 without root. */
Test(backlog_lab, without_root_says_so, .timeout = 30)
{
    static const char *const commands[] = { "syn-queue", "time-wait", "close", "syn-flood" };
    char *path = sup_bin("backlog-lab");

    if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0)
        cr_skip("needs root and setpriv to drop to an unprivileged user");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        char *out = NULL, *err = NULL;
        char *argv[] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                         "--clear-groups", path, (char *)commands[i], NULL };
        int st = sup_run(argv[0], argv, 10000, &out, &err);
        cr_assert(WIFEXITED(st), "%s", commands[i]);
        cr_assert_eq(WEXITSTATUS(st), 3, "%s: stderr: %s", commands[i], err);
        cr_assert(strstr(err, "needs root") != NULL, "%s: %s", commands[i], err);
        free(out), free(err);
    }
    free(path);
}

/* issue 13: two accept-queue runs at once each report exactly the drops
 * they caused: every client left in SYN-SENT at the settle measurement had
 * sent one SYN (the settle ends before the first retransmission), and each
 * ACK dropped on a full queue counts too, in the run's own namespace. */
Test(backlog_lab, issue_13_two_runs_at_once_count_their_own, .timeout = 90)
{
    struct sup_proc p[2];
    char *path = sup_bin("backlog-lab");
    char *argv[] = { path, "accept-queue", "--backlog", "8", "--clients", "30", "--settle",
                     "300ms", "--accept-window", "1500ms", "--json", "-q", NULL };

    if (geteuid() != 0)
        cr_skip("needs root for a private network namespace");
    for (int i = 0; i < 2; i++)
        cr_assert_eq(sup_spawn(&p[i], path, argv), 0);
    for (int i = 0; i < 2; i++) {
        int st = sup_wait(&p[i], 60000);
        sup_drain(&p[i]);
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "run %d: %d %s", i, st, p[i].err);
    }
    for (int i = 0; i < 2; i++) {
        long long syn_sent, est, len, overflows, drops;
        const char *out = p[i].out;
        cr_assert(sup_json_is(out, "/private_namespace", "true"), "%s", out);
        cr_assert_eq(sup_json_int(out, "/runs/0/settle/clients_syn_sent", &syn_sent), 0);
        cr_assert_eq(sup_json_int(out, "/runs/0/settle/clients_established", &est), 0);
        cr_assert_eq(sup_json_int(out, "/runs/0/settle/queue_length", &len), 0);
        cr_assert_eq(sup_json_int(out, "/runs/0/settle/counter_deltas/ListenOverflows",
                                  &overflows), 0);
        cr_assert_eq(sup_json_int(out, "/runs/0/settle/counter_deltas/ListenDrops", &drops), 0);
        cr_assert_gt(syn_sent, 0, "%s", out);
        cr_assert_eq(overflows, syn_sent + (est - len), "run %d: %s", i, out);
        cr_assert_eq(drops, overflows, "run %d: %s", i, out);
    }
    for (int i = 0; i < 2; i++)
        sup_free(&p[i]);
    free(path);
}
