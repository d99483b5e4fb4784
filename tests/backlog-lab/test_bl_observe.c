/* test_bl_observe.c - the observe command (bl_observe.c) run by
 * bin/backlog-lab against a listener made here with two clients waiting
 * in its accept queue: every --json sample shows their number and the
 * queue's limit. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.h"

Test(bl_observe, observe_a_listener_with_two_waiting, .timeout = 30)
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
    cr_assert_eq(sup_lab(&out, &err, 10000, args), 0, "%s", err);
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
