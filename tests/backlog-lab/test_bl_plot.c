/* test_bl_plot.c - observe's PNG timeline (bl_plot.c): the script written
 * for constructed samples (every listener a column pair, a gap where a
 * sample lacks one, the counters last), and a real `observe --plot` that
 * must leave a PNG (gnuplot installed by install-tools.sh when missing). */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bl_plot.h"
#include "support.h"

static struct bl_observe_sample sample(double t, int kept, uint32_t len0, int64_t overflows)
{
    struct bl_observe_sample s;

    memset(&s, 0, sizeof(s));
    s.t_s = t;
    s.q.listeners = s.q.kept = kept;
    s.q.listener[0] = (struct bl_sockdiag_listener){ 7, len0, 4 };
    s.q.listener[1] = (struct bl_sockdiag_listener){ 8, 1, 4 };
    s.delta[0] = s.delta[1] = overflows;
    return s;
}

Test(bl_plot, script_has_a_column_pair_per_listener)
{
    struct bl_observe_sample s[] = { sample(0, 1, 2, 0), sample(0.5, 2, 5, 3) };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    cr_assert_not_null(f);
    bl_plot_script(f, "/tmp/x.png", 7007, s, 2);
    fclose(f);
    cr_assert(strstr(buf, "set output '/tmp/x.png'") != NULL, "%s", buf);
    cr_assert(strstr(buf, "\n0.000 2 4 - - 0 0\n") != NULL, "listener 8 absent: %s", buf);
    cr_assert(strstr(buf, "\n0.500 5 4 1 4 3 3\n") != NULL, "%s", buf);
    cr_assert(strstr(buf, "title 'listener 7 queue'") && strstr(buf, "title 'listener 8 queue'"),
              "%s", buf);
    cr_assert(strstr(buf, "using 1:6 with steps lw 2 title 'ListenOverflows'") != NULL, "%s", buf);
    free(buf);
}

Test(bl_plot, observe_plot_writes_a_png, .timeout = 300)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof(a);
    char target[64], png[64], *out, *err;

    if (system("command -v gnuplot >/dev/null 2>&1") != 0 &&
        system("sh tests/backlog-lab/install-tools.sh") != 0)
        cr_skip("observe --plot test skipped: gnuplot missing and could not be installed");
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(lfd, 3), 0);
    cr_assert_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    int c = sup_connect("127.0.0.1", ntohs(a.sin_port));
    snprintf(target, sizeof(target), "127.0.0.1:%u", ntohs(a.sin_port));
    snprintf(png, sizeof(png), "/tmp/bl-plot-test-%d.png", (int)getpid());
    const char *args[] = { "observe", target, "--interval", "100ms", "--duration", "300ms",
                           "--plot", png, "-q", NULL };
    cr_assert_eq(sup_lab(&out, &err, 60000, args), 0, "%s", err);
    sup_take_png(png);
    free(out), free(err);
    close(c);
    close(lfd);
}
