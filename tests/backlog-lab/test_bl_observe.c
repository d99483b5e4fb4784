/* test_bl_observe.c - the observe command (bl_observe.c): run by
 * bin/backlog-lab against a listener made here with two clients waiting
 * in its accept queue (every --json line, one per sample, shows their
 * number and the queue's limit, then a summary line) and interrupted; its explanation fed constructed samples
 * of an SO_REUSEPORT group. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bl_observe.h"
#include "support.h"

Test(bl_observe, observe_a_listener_with_two_waiting, .timeout = 30)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof(a);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    char target[64], *out, *err;

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
    cr_assert_eq(sup_lab(&out, &err, 10000, args), 0, "%s", err);
    int n = 0;
    char *line = out, *next;
    for (; (next = strchr(line, '\n')) != NULL; line = next + 1) {
        *next = '\0'; /* one JSON object per line */
        if (sup_json_is(line, "/type", "\"summary\"")) {
            cr_assert(sup_json_is(line, "/experiment", "\"observe\""), "%s", line);
            cr_assert_null(strchr(next + 1, '\n'), "lines after the summary");
            break;
        }
        cr_assert(sup_json_is(line, "/type", "\"sample\""), "%s", line);
        cr_assert(sup_json_is(line, "/queue_length", "2"), "%s", line);
        cr_assert(sup_json_is(line, "/queue_limit", "3"), "%s", line);
        cr_assert(sup_json_is(line, "/per_listener/0/queue_length", "2"), "%s", line);
        cr_assert(sup_json_is(line, "/per_listener/0/full", "false"), "%s", line);
        n++;
    }
    cr_assert_not_null(next, "no summary line");
    cr_assert_gt(n, 0, "no sample");
    free(out), free(err);
    close(c1);
    close(c2);
    close(lfd);
}

static struct bl_observe_sample two_listeners(uint32_t len_a, uint32_t len_b)
{
    struct bl_observe_sample s;

    memset(&s, 0, sizeof(s));
    s.q.listeners = s.q.kept = 2;
    s.q.listener[0] = (struct bl_sockdiag_listener){ 101, len_a, 4 };
    s.q.listener[1] = (struct bl_sockdiag_listener){ 102, len_b, 4 };
    s.q.full = (len_a > 4) + (len_b > 4);
    s.q.accept_len = len_a + len_b;
    s.q.accept_limit = 8;
    return s;
}

/* issue 13 item 5: an SO_REUSEPORT group with one listener full at 5 of 4
 * and another at 1 of 4 is not "6 / limit 8": the full one is named. */
Test(bl_observe, issue_13_full_listener_in_a_reuseport_group_is_named)
{
    struct bl_observe_sample s[] = { two_listeners(2, 1), two_listeners(5, 1) };
    struct bl_text t;

    bl_text_init(&t);
    bl_observe_explain(s, 2, 7007, &t);
    char *all = bl_text_join(&t);
    cr_assert(strstr(all, "2 listeners on port 7007") != NULL, "%s", all);
    cr_assert(strstr(all, "inode 101: at most 5 connections waiting for accept() (limit 4); "
                          "FULL (longer than its limit) in 1 sample.") != NULL, "%s", all);
    cr_assert(strstr(all, "inode 102: at most 1 connection waiting for accept() (limit 4).")
              != NULL, "%s", all);
    cr_assert(strstr(all, "whatever room the other listeners") != NULL, "%s", all);
    bl_text_free(&t);
    free(all);
}

Test(bl_observe, no_full_queue_no_full_sentence)
{
    struct bl_observe_sample s[] = { two_listeners(4, 0) };
    struct bl_text t;

    bl_text_init(&t);
    bl_observe_explain(s, 1, 7007, &t);
    char *all = bl_text_join(&t);
    cr_assert(strstr(all, "FULL") == NULL && strstr(all, "longer than its limit") == NULL,
              "%s", all);
    bl_text_free(&t);
    free(all);
}

/* issue 13 item 7: the man page promises 130 after SIGINT. */
Test(bl_observe, issue_13_sigint_exits_130, .timeout = 30)
{
    struct sup_proc p;
    char *path = sup_bin("backlog-lab");
    char *argv[] = { path, "observe", "127.0.0.1:9", "--interval", "50ms", "--duration",
                     "0", NULL };

    cr_assert_eq(sup_spawn(&p, path, argv), 0);
    usleep(500 * 1000);
    int st = sup_stop(&p, SIGINT, 10000);
    sup_drain(&p);
    cr_assert(WIFEXITED(st), "did not exit on SIGINT (status %d)", st);
    cr_assert_eq(WEXITSTATUS(st), 130, "stderr: %s", p.err);
    cr_assert(strstr(p.out, "What this watch shows") != NULL, "%s", p.out);
    sup_free(&p);
    free(path);
}
