/* test_backlog_lab.c - bin/backlog-lab end to end: exit statuses and
 * messages, --json output of a quick accept-queue run, lifecycle, observe
 * against a listener made here, and syn-queue's interrupt and no-root
 * paths. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bl_netns.h"
#include "support.h"

/* Runs bin/backlog-lab with args (NULL-ended); returns the exit status. */
static int lab(char **out, char **err, int timeout_ms, const char *const args[])
{
    char *path = sup_bin("backlog-lab");
    char *argv[24] = { path };
    int n = 1;

    while (args[n - 1] != NULL && n < 23) {
        argv[n] = (char *)args[n - 1];
        n++;
    }
    argv[n] = NULL;
    int st = sup_run(path, argv, timeout_ms, out, err);
    free(path);
    cr_assert_neq(st, -1, "could not run backlog-lab");
    cr_assert(WIFEXITED(st), "backlog-lab died (status %d)", st);
    return WEXITSTATUS(st);
}

Test(backlog_lab, usage_and_exit_statuses, .timeout = 30)
{
    char *out, *err;

    cr_assert_eq(lab(&out, &err, 5000, (const char *[]){ "--help", NULL }), 0);
    cr_assert(strstr(out, "accept-queue") && strstr(out, "syn-queue"), "%s", out);
    free(out), free(err);
    cr_assert_eq(lab(&out, &err, 5000, (const char *[]){ "--version", NULL }), 0);
    cr_assert(strncmp(out, "backlog-lab ", 12) == 0, "%s", out);
    free(out), free(err);
    cr_assert_eq(lab(&out, &err, 5000,
                     (const char *[]){ "accept-queue", "--clients", "banana", NULL }), 2);
    cr_assert_str_eq(err, "backlog-lab: --clients: expected a whole number from 1 to 8000, "
                          "got 'banana'\n");
    free(out), free(err);
    cr_assert_eq(lab(&out, &err, 5000, (const char *[]){ NULL }), 2);
    cr_assert(strstr(err, "expected a command") != NULL, "%s", err);
    free(out), free(err);
}

Test(backlog_lab, accept_queue_json, .timeout = 60)
{
    char *out, *err;
    size_t len;
    const char *args[] = { "accept-queue", "--backlog", "1", "--clients", "5", "--settle",
                           "200ms", "--accept-window", "1200ms", "--json", NULL };

    cr_assert_eq(lab(&out, &err, 30000, args), 0, "%s", err);
    cr_assert(sup_json_is(out, "/experiment", "\"accept-queue\""), "%s", out);
    cr_assert(sup_json_is(out, "/rule/saturated_runs", "1"), "%s", out);
    cr_assert(sup_json_is(out, "/runs/0/settle/queue_limit", "1"), "%s", out);
    cr_assert_not_null(sup_json_find(out, "/runs/0/per_client/4", &len), "5 clients: %s", out);
    cr_assert_null(sup_json_find(out, "/runs/0/per_client/5", &len), "5 clients: %s", out);
    cr_assert(strstr(err, "at most") != NULL, "no time announced: %s", err);
    free(out), free(err);
}

Test(backlog_lab, lifecycle_walks_the_close, .timeout = 30)
{
    char *out, *err;

    cr_assert_eq(lab(&out, &err, 10000, (const char *[]){ "lifecycle", NULL }), 0, "%s", err);
    const char *want[] = { "ESTABLISHED", "FIN-WAIT-2", "CLOSE-WAIT", "TIME-WAIT", "1/1" };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_assert(strstr(out, want[i]) != NULL, "no %s in:\n%s", want[i], out);
    free(out), free(err);
}

Test(backlog_lab, observe_a_listener_with_two_waiting, .timeout = 30)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof(a);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    char target[64], path[64], *out, *err;
    size_t vlen;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(lfd, 3), 0);
    cr_assert_eq(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    int c1 = sup_connect("127.0.0.1", ntohs(a.sin_port));
    int c2 = sup_connect("127.0.0.1", ntohs(a.sin_port));
    cr_assert(c1 >= 0 && c2 >= 0);
    snprintf(target, sizeof(target), "127.0.0.1:%u", ntohs(a.sin_port));
    const char *args[] = { "observe", target, "--interval", "100ms", "--duration", "300ms",
                           "--json", NULL };
    cr_assert_eq(lab(&out, &err, 10000, args), 0, "%s", err);
    int n = 0;
    for (;; n++) { /* every sample sees the two clients waiting */
        snprintf(path, sizeof(path), "/samples/%d", n);
        if (sup_json_find(out, path, &vlen) == NULL)
            break;
        snprintf(path, sizeof(path), "/samples/%d/queue_length", n);
        cr_assert(sup_json_is(out, path, "2"), "%s in %s", path, out);
        snprintf(path, sizeof(path), "/samples/%d/queue_limit", n);
        cr_assert(sup_json_is(out, path, "3"), "%s in %s", path, out);
    }
    cr_assert_gt(n, 0, "no sample: %s", out);
    free(out), free(err);
    close(c1);
    close(c2);
    close(lfd);
}

/* Root with ip and nft, or skip (test_bl_synq.c installs them as root). */
static void need_root_and_tools(void)
{
    struct bl_netns ns;
    char msg[512];

    if (geteuid() != 0)
        cr_skip("syn-queue CLI test skipped: needs root");
    if (bl_netns_check(&ns, msg, sizeof(msg)) < 0) {
        char *argv[] = { "/bin/sh", "tests/bl-install-tools.sh", NULL };
        cr_assert_eq(sup_run("/bin/sh", argv, 300000, NULL, NULL), 0, "install failed");
    }
}

Test(backlog_lab, syn_queue_interrupted_cleans_up, .timeout = 400)
{
    struct sup_proc p;
    char *path = sup_bin("backlog-lab");
    char *argv[] = { path, "syn-queue", "--syncookies", "0", "--watch", "20s", NULL };

    need_root_and_tools();
    cr_assert_eq(sup_spawn(&p, path, argv), 0);
    usleep(1500 * 1000);
    int st = sup_stop(&p, SIGINT, 10000);
    sup_drain(&p);
    cr_assert(WIFEXITED(st), "did not exit on SIGINT (status %d)", st);
    cr_assert_eq(WEXITSTATUS(st), 130, "stderr: %s", p.err);
    cr_assert(strstr(p.err, "interrupted") != NULL, "%s", p.err);
    sup_free(&p);
    free(path);
}

Test(backlog_lab, syn_queue_without_root_says_so, .timeout = 30)
{
    char *out = NULL, *err = NULL;
    char *path = sup_bin("backlog-lab");
    char *argv[] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                     path, "syn-queue", NULL };

    if (geteuid() != 0 || access(argv[0], X_OK) != 0)
        cr_skip("needs root and setpriv to drop to an unprivileged user");
    int st = sup_run(argv[0], argv, 10000, &out, &err);
    cr_assert(WIFEXITED(st));
    cr_assert_eq(WEXITSTATUS(st), 3, "stderr: %s", err);
    cr_assert(strstr(err, "needs root") != NULL, "%s", err);
    free(out), free(err), free(path);
}
