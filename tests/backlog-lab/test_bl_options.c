/* test_bl_options.c - backlog-lab's command line: defaults, --long, a
 * message naming the flag for every bad value, and a --help text that
 * shows every row of the flag table. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "bl_options.h"
#include "clock.h"
#include "support.h"

static int parse(struct bl_opts *o, char *err, const char *a1, const char *a2,
                 const char *a3, const char *a4)
{
    char *argv[] = { "backlog-lab", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL };
    int argc = 1;
    while (argv[argc] != NULL)
        argc++;
    return bl_options_parse(argc, argv, o, err, 256);
}

Test(bl_options, accept_queue_defaults_are_quick)
{
    struct bl_opts o;
    char err[256];

    cr_assert_eq(parse(&o, err, "accept-queue", NULL, NULL, NULL), 0, "%s", err);
    cr_assert_eq(o.cmd, BL_CMD_ACCEPTQ);
    cr_assert_eq(o.nbacklogs, 4);
    cr_assert_eq(o.backlogs[0].n, 1);
    cr_assert(o.backlogs[3].plus_somaxconn);
    cr_assert_eq(o.clients, 0, "auto clients");
    uint64_t most = (uint64_t)o.nbacklogs * (o.settle_ns + o.window_ns);
    cr_assert_leq(most, 30 * CLOCK_NS_PER_SEC, "quick form must fit 30 s");
}

Test(bl_options, backlog_list_with_somaxconn)
{
    struct bl_opts o;
    char err[256];

    cr_assert_eq(parse(&o, err, "accept-queue", "--backlog", "0,8,somaxconn,somaxconn+5",
                       NULL), 0, "%s", err);
    cr_assert_eq(o.nbacklogs, 4);
    cr_assert_eq(o.backlogs[0].n, 0);
    cr_assert(!o.backlogs[1].plus_somaxconn);
    cr_assert(o.backlogs[2].plus_somaxconn);
    cr_assert_eq(o.backlogs[2].n, 0);
    cr_assert_eq(o.backlogs[3].n, 5);
}

Test(bl_options, long_changes_only_unset_defaults)
{
    struct bl_opts o;
    char err[256];

    cr_assert_eq(parse(&o, err, "syn-queue", "--long", NULL, NULL), 0, "%s", err);
    cr_assert_eq(o.watch_ns, 70 * CLOCK_NS_PER_SEC);
    cr_assert_eq(o.ncookie_modes, 1);
    cr_assert_eq(o.syn_clients, 64, "4 x default backlog 16");
    cr_assert_eq(parse(&o, err, "syn-queue", "--long", "--watch", "2s"), 0, "%s", err);
    cr_assert_eq(o.watch_ns, 2 * CLOCK_NS_PER_SEC);
    cr_assert_eq(parse(&o, err, "syn-queue", "--backlog=4", "--syncookies", "1,2"), 0, "%s", err);
    cr_assert_eq(o.syn_backlog, 4);
    cr_assert_eq(o.syn_clients, 16);
    cr_assert_eq(o.ncookie_modes, 2);
    cr_assert_eq(o.cookie_modes[1], 2);
}

Test(bl_options, observe_target_and_timing)
{
    struct bl_opts o;
    char err[256];

    cr_assert_eq(parse(&o, err, "observe", "127.0.0.1:7007", "--interval", "250ms"), 0, "%s", err);
    cr_assert_eq(o.cmd, BL_CMD_OBSERVE);
    cr_assert_eq(o.interval_ns, 250 * CLOCK_NS_PER_MS);
    cr_assert_eq(o.duration_ns, 10 * CLOCK_NS_PER_SEC);
    cr_assert_eq(parse(&o, err, "observe", NULL, NULL, NULL), -1);
    cr_assert(strstr(err, "HOST:PORT") != NULL, "%s", err);
}

/* A command line of up to four arguments and what its refusal must say. */
struct refusal {
    const char *a[4];
    const char *want;
};

static void expect_refused(const struct refusal *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct bl_opts o;
        char err[256] = "";
        cr_assert_eq(parse(&o, err, cases[i].a[0], cases[i].a[1], cases[i].a[2],
                           cases[i].a[3]), -1, "case %zu accepted", i);
        cr_assert(strstr(err, cases[i].want) != NULL, "case %zu: '%s'", i, err);
    }
}

Test(bl_options, errors_name_the_flag)
{
    struct refusal cases[] = {
        { { "accept-queue", "--clients", "banana", NULL }, "--clients: expected a whole number" },
        { { "accept-queue", "--clients", "0", NULL }, "--clients:" },
        { { "accept-queue", "--backlog", "1,,2", NULL }, "--backlog:" },
        { { "accept-queue", "--backlog", "somaxconn-1", NULL }, "--backlog:" },
        { { "accept-queue", "--settle", "fast", NULL }, "--settle: expected a duration" },
        { { "accept-queue", "--rate", "5", NULL }, "--rate: not an option of accept-queue" },
        { { "syn-queue", "--syncookies", "3", NULL }, "--syncookies:" },
        { { "syn-queue", "--backlog", "5000", NULL }, "--backlog: expected a whole number from 1 to 4096" },
        { { "syn-queue", "--watch", "0", NULL }, "--watch:" },
        { { "observe", "127.0.0.1:1", "--interval", "500us" },
          "--interval: expected a duration such as 500ms, 10s or 2m (at least 1ms), got '500us'" },
        { { "syn-queue", "--max-syn-backlog", "0", NULL }, "--max-syn-backlog: expected a whole number from 1" },
        { { "syn-schedule", "--syn-retries", "200", NULL }, "--syn-retries: expected a whole number from 0 to 127" },
        { { "observe", "127.0.0.1:1", "--plot", "a'b.png" }, "--plot: expected a file name without '" },
        { { "reuseport", "--migrate", "2", NULL }, "--migrate: expected up to 2 comma-separated values from 0 to 1" },
        { { "accept-queue", "--abort-on-overflow", "0,2", NULL },
          "--abort-on-overflow: expected up to 2 comma-separated values from 0 to 1" },
        { { "accept-queue", "--abort-on-overflow", "1", "--host" },
          "--abort-on-overflow: sets the sysctl in a namespace of the lab's own: not with --host" },
        { { "reuseport", "--clients", "65", NULL }, "--clients: expected a whole number from 1 to 64" },
        { { "accept-queue", "--syn-retries", "2", NULL }, "--syn-retries: not an option of accept-queue" },
        { { "time-wait", "--ports", "257", NULL }, "--ports: expected a whole number from 1 to 256" },
        { { "time-wait", "--ports", "0", NULL }, "--ports: expected a whole number from 1 to 256" },
        { { "time-wait", "--tw-reuse", "0,3", NULL },
          "--tw-reuse: expected up to 3 comma-separated values from 0 to 2" },
        { { "time-wait", "--tw-reuse", "0,1,2,1", NULL }, "--tw-reuse: expected up to 3" },
        { { "close", "--ports", "4", NULL }, "--ports: not an option of close" },
        { { "syn-queue", "--tw-reuse", "1", NULL }, "--tw-reuse: not an option of syn-queue" },
        { { "syn-queue", "--frobnicate", NULL, NULL }, "--frobnicate: unknown option" },
        { { "observe", "nowhere", NULL, NULL }, "observe: expected HOST:PORT" },
        { { "observe", "[::1%nosuchif0]:80", NULL, NULL },
          "observe: '[::1%nosuchif0]:80': no such network interface" },
        { { "banana", NULL, NULL, NULL }, "banana: unknown command" },
        { { "--json", NULL, NULL, NULL }, "expected a command first" },
        { { "accept-queue", "--clients", NULL, NULL }, "--clients: expected a value" },
    };
    expect_refused(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(bl_options, abort_on_overflow_refuses_the_backlog_runs_flags)
{
    const char *flags[][2] = { { "--backlog", "8" }, { "--clients", "9" },
                               { "--settle", "1s" }, { "--accept-window", "1s" },
                               { "--accept-rate", "2" }, { "--per-client", NULL } };
    struct bl_opts o;
    char err[256];

    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        char *argv[] = { "backlog-lab", "accept-queue", (char *)flags[i][0],
                         (char *)flags[i][1], "--abort-on-overflow", "0,1", NULL };
        if (flags[i][1] == NULL) {
            argv[3] = "--abort-on-overflow";
            argv[4] = "0,1";
            argv[5] = NULL;
        }
        int argc = flags[i][1] == NULL ? 5 : 6;
        cr_assert_eq(bl_options_parse(argc, argv, &o, err, sizeof(err)), -1, "%s", flags[i][0]);
        cr_assert(strstr(err, "--abort-on-overflow: runs a fixed experiment") != NULL &&
                  strstr(err, flags[i][0]) != NULL, "%s", err);
    }
    cr_assert_eq(parse(&o, err, "accept-queue", "--abort-on-overflow", "1", "--json"), 0, "%s", err);
    cr_assert_eq(o.nabort, 1);
    cr_assert_eq(o.abort_modes[0], 1);
}

Test(bl_options, time_wait_and_close)
{
    struct bl_opts o;
    char err[256];

    cr_assert_eq(parse(&o, err, "time-wait", NULL, NULL, NULL), 0, "%s", err);
    cr_assert_eq(o.cmd, BL_CMD_TIMEWAIT);
    cr_assert_eq(o.tw_ports, 8);
    cr_assert_eq(o.ntw_reuse, 3);
    cr_assert_eq(o.tw_reuse[2], 2);
    cr_assert_eq(parse(&o, err, "time-wait", "--ports", "3", NULL), 0, "%s", err);
    cr_assert_eq(o.tw_ports, 3);
    cr_assert_eq(parse(&o, err, "time-wait", "--tw-reuse", "2,0", NULL), 0, "%s", err);
    cr_assert_eq(o.ntw_reuse, 2);
    cr_assert_eq(o.tw_reuse[0], 2);
    cr_assert_eq(o.tw_reuse[1], 0);
    cr_assert_eq(parse(&o, err, "close", "--long", "--json", NULL), 0, "%s", err);
    cr_assert_eq(o.cmd, BL_CMD_CLOSE);
    cr_assert(o.long_form && o.json);
}

Test(bl_options, help_and_version_need_no_command)
{
    struct bl_opts o;
    char err[256];

    cr_assert_eq(parse(&o, err, "--help", NULL, NULL, NULL), 0);
    cr_assert(o.help);
    cr_assert_eq(parse(&o, err, "--version", NULL, NULL, NULL), 0);
    cr_assert(o.version);
    cr_assert(strstr(bl_options_usage, "--accept-window") != NULL);
}

Test(bl_options, usage_mentions_every_flag)
{
    sup_expect_every_flag(bl_options_usage, bl_options_flag);
}

Test(bl_options, syn_flood_defaults_are_quick)
{
    struct bl_opts o;
    char err[256];

    cr_assert_eq(parse(&o, err, "syn-flood", NULL, NULL, NULL), 0, "%s", err);
    cr_assert_eq(o.cmd, BL_CMD_FLOOD);
    cr_assert_eq(o.flood_backlog, 16);
    cr_assert_eq(o.flood_rate, 1000);
    cr_assert_eq(o.ncookie_modes, 3);
    /* each mode: the flood, then the last connect's timeout */
    uint64_t most = (uint64_t)o.ncookie_modes * (o.flood_ns + 1500 * CLOCK_NS_PER_MS);
    cr_assert_leq(most, 30 * CLOCK_NS_PER_SEC, "quick form must fit 30 s");
    cr_assert_eq(parse(&o, err, "syn-flood", "--long", NULL, NULL), 0, "%s", err);
    cr_assert_eq(o.flood_ns, 30 * CLOCK_NS_PER_SEC);
    cr_assert_eq(o.ncookie_modes, 3, "--long keeps the three modes of syn-flood");
}

Test(bl_options, syn_flood_flags_are_its_own)
{
    struct bl_opts o;
    char err[256];
    char *argv[] = { "backlog-lab", "syn-flood", "--backlog", "8", "--rate", "250",
                     "--duration", "1500ms", "--syncookies", "2,0", NULL };

    cr_assert_eq(bl_options_parse(10, argv, &o, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(o.flood_backlog, 8);
    cr_assert_eq(o.flood_rate, 250);
    cr_assert_eq(o.flood_ns, 1500 * CLOCK_NS_PER_MS);
    cr_assert_eq(o.ncookie_modes, 2);
    cr_assert_eq(o.cookie_modes[0], 2);
    cr_assert_eq(o.cookie_modes[1], 0);
    cr_assert_eq(o.syn_backlog, 16, "syn-queue's backlog untouched");
    cr_assert_eq(o.syn_rate, 100, "syn-queue's rate untouched");
    cr_assert_eq(o.duration_ns, 10 * CLOCK_NS_PER_SEC, "observe's duration untouched");
}

Test(bl_options, syn_flood_errors_name_the_flag)
{
    struct refusal cases[] = {
        { { "syn-flood", "--rate", "0", NULL }, "--rate: expected a whole number from 1 to 100000" },
        { { "syn-flood", "--backlog", "4097", NULL }, "--backlog: expected a whole number from 1 to 4096" },
        { { "syn-flood", "--duration", "0", NULL }, "--duration: expected a duration such as 500ms, 10s or 2m (at least 100ms)" },
        { { "syn-flood", "--duration", "11m", NULL }, "--duration: at most 10m" },
        { { "syn-flood", "--syncookies", "0,3", NULL }, "--syncookies:" },
        { { "syn-flood", "--clients", "5", NULL }, "--clients: not an option of syn-flood" },
        { { "syn-flood", "--watch", "5s", NULL }, "--watch: not an option of syn-flood" },
    };
    expect_refused(cases, sizeof(cases) / sizeof(cases[0]));
}
