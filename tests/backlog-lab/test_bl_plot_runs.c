/* test_bl_plot_runs.c - the experiments' timelines (bl_plot_runs.c): the
 * datablock built from constructed client events (in time order, one row
 * per moment, cumulative counts, the queue as connected less accepted),
 * syn-queue's and syn-flood's panels from constructed samples, and real
 * runs: a PNG from
 * accept-queue --plot, and a folder that cannot take it refused before
 * the experiment starts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bl_plot_runs.h"
#include "support.h"

static char *script_of(void (*write)(FILE *, const void *), const void *ctx)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    cr_assert_not_null(f);
    write(f, ctx);
    fclose(f);
    return buf;
}

static void acceptq_script(FILE *f, const void *ctx)
{
    bl_plot_acceptq_script(f, "/tmp/a.png", ctx, 1);
}

static void synq_script(FILE *f, const void *ctx)
{
    bl_plot_synq_script(f, "/tmp/s.png", ctx, 2);
}

static void flood_script(FILE *f, const void *ctx)
{
    bl_plot_flood_script(f, "/tmp/f.png", ctx, 1);
}

#define MS 1000000ull

Test(bl_plot_runs, accept_queue_rows_count_each_moment_in_time_order)
{
    /* Given out of time order: two connect at 10 ms, one at 1000 ms (after
     * a SYN retransmission), the first two accepted at 600 and 700 ms, one
     * fails at 3000 ms. */
    struct bl_client cl[4] = {
        { .established = true, .t_established = 10 * MS, .accepted = true, .t_accepted = 700 * MS },
        { .established = true, .t_established = 1000 * MS },
        { .established = true, .t_established = 10 * MS, .accepted = true, .t_accepted = 600 * MS },
        { .connect_failed = true, .t_failed = 3000 * MS },
    };
    struct bl_acceptq_run r = { .backlog = 1, .nclients = 4, .clients = cl,
                                .settle_ns = 500 * MS, .accept_ns = 3500 * MS,
                                .diag_len = 2, .diag_limit = 1 };
    char *s = script_of(acceptq_script, &r);

    cr_assert(strstr(s, "$r0 << EOD\n0 0 0 0 0\n"
                        "0.010000 2 0 2 0\n"   /* both 10 ms connects in one row */
                        "0.600000 2 1 1 0\n"
                        "0.700000 2 2 0 0\n"
                        "1.000000 3 2 1 0\n"
                        "3.000000 3 2 1 1\n"
                        "4.000000 3 2 1 1\nEOD\n") != NULL, "%s", s);
    cr_assert(strstr(s, "set title 'backlog 1: 4 clients, listener limit 1'") != NULL, "%s", s);
    cr_assert(strstr(s, "set arrow from 0.500000, graph 0 to 0.500000") != NULL,
              "accepting starts at the settle time: %s", s);
    cr_assert(strstr(s, "'+' using (0.500000):(2)") != NULL,
              "the listener's own queue at settle: %s", s);
    cr_assert(strstr(s, "1 with lines dt 2 title 'listener limit'") != NULL, "%s", s);
    free(s);
}

Test(bl_plot_runs, syn_queue_has_a_panel_per_phase)
{
    struct bl_synq_sample a[] = { { 0, 1, 0, 0, 0 }, { 50, 24, 9, 0, 0 } };
    struct bl_synq_sample b[] = { { 0, 24, 9, 15, 0 } };
    struct bl_synq_phase ph[2] = {
        { .syncookies = 0, .backlog = 8, .nclients = 24, .limit = 8, .samples = a,
          .nsamples = 2 },
        { .syncookies = 1, .backlog = 8, .nclients = 24, .limit = 8, .samples = b,
          .nsamples = 1 },
    };
    char *s = script_of(synq_script, ph);

    cr_assert(strstr(s, "$p0 << EOD\n0.000 1 0 0\n0.050 24 9 0\nEOD\n") != NULL, "%s", s);
    cr_assert(strstr(s, "$p1 << EOD\n0.000 24 9 15\nEOD\n") != NULL, "%s", s);
    cr_assert(strstr(s, "set multiplot layout 2,1") != NULL, "%s", s);
    cr_assert(strstr(s, "tcp_syncookies 1: backlog 8, 24 clients, listener limit 8") != NULL,
              "%s", s);
    cr_assert(strstr(s, "$p1 using 1:3 with steps lw 2 title 'SYN-RECV sockets'") != NULL,
              "%s", s);
    free(s);
}

Test(bl_plot_runs, syn_flood_puts_the_spoofed_syns_on_their_own_axis)
{
    struct bl_flood_sample a[] = { { 0, 0, 0, 1, 0 }, { 100, 17, 40, 3, 2 } };
    struct bl_flood_phase ph = { .syncookies = 0, .backlog = 16, .limit = 16, .rate = 400,
                                 .samples = a, .nsamples = 2 };
    char *s = script_of(flood_script, &ph);

    cr_assert(strstr(s, "$f0 << EOD\n0.000 0 1 0 0\n0.100 17 3 2 40\nEOD\n") != NULL, "%s", s);
    cr_assert(strstr(s, "tcp_syncookies 0: backlog 16, limit 16, 400 spoofed SYNs/s") != NULL, "%s", s);
    cr_assert(strstr(s, "$f0 using 1:5 axes x1y2 with lines") != NULL, "%s", s);
    cr_assert(strstr(s, "set y2range [0:80]") != NULL, "twice the SYNs sent: %s", s);
    cr_assert(strstr(s, "16 with lines dt 2 title 'listener limit'") != NULL, "%s", s);
    free(s);
}

static void need_gnuplot(void)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0 &&
        system("sh tests/backlog-lab/install-tools.sh") != 0)
        cr_skip("--plot test skipped: gnuplot missing and could not be installed");
}

Test(bl_plot_runs, accept_queue_plot_writes_a_png, .timeout = 300)
{
    char png[64], *out, *err;

    need_gnuplot();
    snprintf(png, sizeof(png), "/tmp/bl-plot-aq-%d.png", (int)getpid());
    const char *args[] = { "accept-queue", "--backlog", "2", "--clients", "5", "--settle",
                           "100ms", "--accept-window", "500ms", "--plot", png, NULL };
    cr_assert_eq(sup_lab(&out, &err, 60000, args), 0, "%s", err);
    cr_assert(strstr(err, "accept-queue: wrote ") != NULL, "%s", err);
    sup_take_png(png);
    free(out), free(err);
}

Test(bl_plot_runs, an_unwritable_folder_is_refused_before_the_run, .timeout = 60)
{
    char *out, *err;
    struct timespec t0, t1;

    need_gnuplot();
    const char *args[] = { "accept-queue", "--settle", "5s", "--plot", "/nonexistent/q.png",
                           NULL };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(sup_lab(&out, &err, 30000, args), 1, "%s", err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cr_assert(strstr(err, "accept-queue --plot /nonexistent/q.png: /nonexistent: ") != NULL,
              "%s", err);
    cr_assert_lt(t1.tv_sec - t0.tv_sec, 5, "refused before the 5 s settle, not after");
    cr_assert_str_eq(out, "", "no experiment output");
    free(out), free(err);
}
