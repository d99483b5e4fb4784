/* test_tl_opts.c - tcpload's command line: values, defaults, the one-line
 * errors that name the flag, and a --help text that shows every row of the
 * option table. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "clock.h"
#include "tl_opts.h"
#include "support.h"

static struct tl_opts o;
static char err[256];

/* Parses a NULL-ended list of arguments (argv[0] added). */
static enum tl_opts_result parse(const char *first, ...)
{
    static char *argv[64];
    va_list ap;

    va_start(ap, first);
    int argc = sup_vargv(argv, 64, "tcpload", first, ap);
    va_end(ap);
    err[0] = '\0';
    return tl_opts_parse(&o, argc, argv, err, sizeof(err));
}

#define assert_error(msg, ...)                                           \
    do {                                                                 \
        cr_assert_eq(parse(__VA_ARGS__, NULL), TL_OPTS_ERROR);           \
        cr_assert_str_eq(err, msg);                                      \
    } while (0)

Test(tl_opts, echo_defaults)
{
    cr_assert_eq(parse("echo", "127.0.0.1:7007", NULL), TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.mode, TL_MODE_ECHO);
    cr_assert_str_eq(o.target, "127.0.0.1:7007");
    cr_assert_eq(o.addr.ss_family, AF_INET);
    cr_assert_eq(ntohs(((struct sockaddr_in *)&o.addr)->sin_port), 7007);
    cr_assert_eq(o.conns, 10);
    cr_assert_eq(o.threads, 1);
    cr_assert_eq(o.size, 64);
    cr_assert_eq(o.pipeline, 1);
    cr_assert_eq(o.rate, 0);
    cr_assert_eq(o.duration_ns, 10 * CLOCK_NS_PER_SEC);
    cr_assert_eq(o.warmup_ns, CLOCK_NS_PER_SEC);
    cr_assert_eq(o.timeout_ns, 5 * CLOCK_NS_PER_SEC);
    cr_assert(!o.json && !o.progress && o.histogram == NULL);
}

Test(tl_opts, echo_every_spelling)
{
    cr_assert_eq(parse("-c", "100", "echo", "-t2", "--size=1KiB", "[::1]:80",
                       "--duration", "500ms", "--warmup=0", "-R", "50k", "--json",
                       "--progress", "--histogram", "h.txt", "--timeout", "2s", NULL),
                 TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.conns, 100);
    cr_assert_eq(o.threads, 2);
    cr_assert_eq(o.size, 1024);
    cr_assert_eq(o.addr.ss_family, AF_INET6);
    cr_assert_eq(o.duration_ns, 500 * CLOCK_NS_PER_MS);
    cr_assert_eq(o.warmup_ns, 0);
    cr_assert_eq(o.rate, 50000);
    cr_assert(o.json && o.progress);
    cr_assert_str_eq(o.histogram, "h.txt");
    cr_assert_eq(o.timeout_ns, 2 * CLOCK_NS_PER_SEC);
    cr_assert_eq(o.argc, 18);
}

/* The open-loop slack by default: 8 of a thread's messages, at most
 * 200 us; what --slack says otherwise, even above that. */
Test(tl_opts, slack_defaults_to_eight_messages_at_most_200us)
{
    cr_assert_eq(parse("echo", "127.0.0.1:7007", NULL), TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.slack_ns, 200 * CLOCK_NS_PER_US);
    cr_assert_eq(parse("echo", "127.0.0.1:7007", "-R", "40k", NULL), TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.slack_ns, 200 * CLOCK_NS_PER_US);
    cr_assert_eq(parse("echo", "127.0.0.1:7007", "-R", "50k", NULL), TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.slack_ns, 160 * CLOCK_NS_PER_US);
    cr_assert_eq(parse("echo", "127.0.0.1:7007", "-R", "160k", NULL), TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.slack_ns, 50 * CLOCK_NS_PER_US);
    cr_assert_eq(parse("echo", "127.0.0.1:7007", "-R", "160k", "-t", "2", NULL), TL_OPTS_RUN,
                 "%s", err);
    cr_assert_eq(o.slack_ns, 100 * CLOCK_NS_PER_US);
    cr_assert_eq(parse("echo", "127.0.0.1:7007", "-R", "16M", NULL), TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.slack_ns, 500);
    cr_assert_eq(parse("echo", "127.0.0.1:7007", "-R", "160k", "--slack", "1ms", NULL),
                 TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.slack_ns, CLOCK_NS_PER_MS);
    cr_assert_eq(parse("echo", "127.0.0.1:7007", "-R", "50k", "--slack", "0", NULL),
                 TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.slack_ns, 0);
}

Test(tl_opts, connect_options)
{
    cr_assert_eq(parse("connect", "localhost:9", "--send", "100", "--expect", "6",
                       "--rate", "2k", "--source", "127.0.0.2-127.0.0.254",
                       "--linger0", NULL), TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.mode, TL_MODE_CONNECT);
    cr_assert_eq(o.send, 100);
    cr_assert_eq(o.expect, 6);
    cr_assert(!o.expect_eof);
    cr_assert_eq(o.rate, 2000);
    cr_assert_eq(o.source.first, 0x7f000002);
    cr_assert_eq(o.source.count, 253);
    cr_assert(o.linger0);
    cr_assert_eq(parse("connect", "127.0.0.1:9", NULL), TL_OPTS_RUN);
    cr_assert(o.expect_eof, "no --expect reads until EOF");
}

Test(tl_opts, hold_options)
{
    cr_assert_eq(parse("hold", "127.0.0.1:9", "-c", "10k", "--connect-rate", "1k",
                       "--ping-interval", "1s", "--source", "127.0.0.9", NULL),
                 TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.mode, TL_MODE_HOLD);
    cr_assert_eq(o.conns, 10000);
    cr_assert_eq(o.connect_rate, 1000);
    cr_assert_eq(o.ping_interval_ns, CLOCK_NS_PER_SEC);
    cr_assert_eq(o.source.count, 1);
    cr_assert_eq(o.warmup_ns, 0);
}

Test(tl_opts, help_and_version)
{
    cr_assert_eq(parse("--help", NULL), TL_OPTS_HELP);
    cr_assert_eq(parse("echo", "-h", NULL), TL_OPTS_HELP);
    cr_assert_eq(parse("--version", NULL), TL_OPTS_VERSION);
}

Test(tl_opts, bad_values_name_the_flag)
{
    assert_error("tcpload: -c: expected a whole number from 1 to 1000000, got 'banana'",
                 "echo", "127.0.0.1:1", "-c", "banana");
    assert_error("tcpload: --connections: expected a whole number from 1 to 1000000, got '0'",
                 "echo", "127.0.0.1:1", "--connections=0");
    assert_error("tcpload: -t: expected a whole number from 1 to 256, got '-1'",
                 "echo", "127.0.0.1:1", "-t", "-1");
    assert_error("tcpload: -s: expected a size in bytes from 1 to 64MiB (k, KiB, M, MiB "
                 "suffixes allowed), got '1.5k'", "echo", "127.0.0.1:1", "-s", "1.5k");
    assert_error("tcpload: -d: expected a duration from 1ms to 168h such as 10, 10s, "
                 "500ms or 2m, got '10x'", "echo", "127.0.0.1:1", "-d", "10x");
    assert_error("tcpload: -d: expected a duration from 1ms to 168h such as 10, 10s, "
                 "500ms or 2m, got '0'", "echo", "127.0.0.1:1", "-d", "0");
    assert_error("tcpload: -R: expected a rate per second from 1 to 1000000000 (k and m "
                 "suffixes allowed), got 'fast'", "echo", "127.0.0.1:1", "-R", "fast");
    assert_error("tcpload: --source: expected an IPv4 or IPv6 address or range such as "
                 "127.0.0.2-127.0.0.254 or fd00::2-fd00::ff, got '127.0.0.9-127.0.0.2'",
                 "hold", "127.0.0.1:1", "--source", "127.0.0.9-127.0.0.2");
    assert_error("tcpload: --histogram: expected a file name, got ''",
                 "echo", "127.0.0.1:1", "--histogram=");
}

/* Issue 11: targets by name work; a name that does not resolve says so. */
Test(tl_opts, issue11_target_by_name)
{
    cr_assert_eq(parse("echo", "localhost:7007", NULL), TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.addr.ss_family, AF_INET);
    cr_assert_eq(parse("echo", "[fe80::1%lo]:7007", NULL), TL_OPTS_RUN, "%s", err);
    cr_assert_eq(parse("echo", "no-such-host.invalid:7007", NULL), TL_OPTS_ERROR);
    cr_assert(strstr(err, "tcpload: HOST:PORT: 'no-such-host.invalid:7007': the host name")
              == err, "%s", err);
}

Test(tl_opts, usage_errors)
{
    assert_error("tcpload: missing MODE (echo, connect, hold, stream or merge); see tcpload --help",
                 "-c", "1");
    assert_error("tcpload: 'ping': unknown mode (expected echo, connect, hold, stream or merge)",
                 "ping", "127.0.0.1:1");
    assert_error("tcpload: missing HOST:PORT, such as 127.0.0.1:7007", "echo");
    assert_error("tcpload: HOST:PORT: expected an address such as 127.0.0.1:7007, "
                 "[::1]:7007 or a host name, with a port from 1 to 65535, got '1.2.3:80'",
                 "echo", "1.2.3:80");
    assert_error("tcpload: HOST:PORT: '[fe80::1%nosuchif0]:80': no such network interface",
                 "echo", "[fe80::1%nosuchif0]:80");
    assert_error("tcpload: HOST:PORT: expected a port from 1 to 65535, got '127.0.0.1:0'",
                 "echo", "127.0.0.1:0");
    assert_error("tcpload: 'x': unexpected argument (one MODE and one HOST:PORT)",
                 "echo", "127.0.0.1:1", "x");
    assert_error("tcpload: --frobnicate: unknown option (see tcpload --help)",
                 "echo", "127.0.0.1:1", "--frobnicate");
    assert_error("tcpload: -c: expected a value", "echo", "127.0.0.1:1", "-c");
    assert_error("tcpload: --json: takes no value", "echo", "127.0.0.1:1", "--json=yes");
}

Test(tl_opts, combinations_checked_against_the_mode)
{
    assert_error("tcpload: --pipeline: not used in connect mode",
                 "connect", "127.0.0.1:1", "--pipeline", "4");
    assert_error("tcpload: -s: not used in hold mode", "hold", "127.0.0.1:1", "-s", "1");
    assert_error("tcpload: --send: not used in echo mode", "echo", "127.0.0.1:1",
                 "--send", "1");
    assert_error("tcpload: --warmup: not used in hold mode", "hold", "127.0.0.1:1",
                 "--warmup", "1");
    assert_error("tcpload: -t: expected at most as many threads as connections (2), got 4",
                 "echo", "127.0.0.1:1", "-c", "2", "-t", "4");
    assert_error("tcpload: --pipeline: cannot be combined with -R (an open loop sends on "
                 "schedule, not on replies)", "echo", "127.0.0.1:1", "--pipeline", "2",
                 "-R", "100");
    assert_error("tcpload: -s: cannot be combined with --payload (the file's size is the "
                 "message size)", "echo", "127.0.0.1:1", "--payload", "f", "-s", "5");
    assert_error("tcpload: --source: IPv6 source addresses need an IPv6 HOST:PORT",
                 "connect", "127.0.0.1:1", "--source", "::1");
    assert_error("tcpload: --source: IPv4 source addresses need an IPv4 HOST:PORT",
                 "connect", "[::1]:1", "--source", "127.0.0.2");
}

Test(tl_opts, start_at_takes_unix_seconds_or_rfc3339)
{
    uint64_t t;

    cr_assert_eq(tl_opts_parse_time("1767225600", &t), 0);
    cr_assert_eq(t, 1767225600ULL * CLOCK_NS_PER_SEC);
    cr_assert_eq(tl_opts_parse_time("1767225600.25", &t), 0);
    cr_assert_eq(t, 1767225600ULL * CLOCK_NS_PER_SEC + 250 * CLOCK_NS_PER_MS);
    cr_assert_eq(tl_opts_parse_time("2026-01-01T00:00:00Z", &t), 0);
    cr_assert_eq(t, 1767225600ULL * CLOCK_NS_PER_SEC);
    cr_assert_eq(tl_opts_parse_time("2026-01-01T01:30:00.5+01:30", &t), 0);
    cr_assert_eq(t, 1767225600ULL * CLOCK_NS_PER_SEC + 500 * CLOCK_NS_PER_MS);
    cr_assert_eq(tl_opts_parse_time("2025-12-31T19:00:00-05:00", &t), 0);
    cr_assert_eq(t, 1767225600ULL * CLOCK_NS_PER_SEC);
    cr_assert_eq(tl_opts_parse_time("2024-02-29t12:00:00z", &t), 0, "leap day, lower case");
    cr_assert_eq(t, 1709208000ULL * CLOCK_NS_PER_SEC);
    const char *bad[] = { "", "now", "-5", "0", "12x", "1.", "2026-01-01", "2026-01-01T00:00:00",
                          "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-1-01T00:00:00Z",
                          "2026-01-01T00:00:00+0100", "2026-01-01T00:00:00Z ", "1969-12-31T00:00:00Z" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(tl_opts_parse_time(bad[i], &t), -1, "'%s' accepted", bad[i]);
    cr_assert_eq(parse("echo", "127.0.0.1:1", "--start-at", "2026-01-01T00:00:00Z",
                       "--interval", "250ms", NULL), TL_OPTS_RUN, "%s", err);
    cr_assert_eq(o.start_at_ns, 1767225600ULL * CLOCK_NS_PER_SEC);
    cr_assert_eq(o.interval_ns, 250 * CLOCK_NS_PER_MS);
    assert_error("tcpload: --start-at: expected a time as Unix seconds (1767225600) or RFC "
                 "3339 (2026-01-01T00:00:00Z), got 'noon'", "echo", "127.0.0.1:1",
                 "--start-at", "noon");
    assert_error("tcpload: --interval: expected a duration from 100ms to 1h such as 10, 10s, "
                 "500ms or 2m, got '10ms'", "echo", "127.0.0.1:1", "--interval", "10ms");
    assert_error("tcpload: --slack: not used in hold mode", "hold", "127.0.0.1:1",
                 "--slack", "1ms");
}

Test(tl_opts, merge_takes_files_and_only_its_options)
{
    cr_assert_eq(parse("merge", "a.json", "--json", "b.json", "--histogram", "m.hgrm", NULL),
                 TL_OPTS_RUN, "%s", err);
    cr_assert(o.merge && o.json);
    cr_assert_eq(o.nfiles, 2);
    cr_assert_str_eq(o.files[0], "a.json");
    cr_assert_str_eq(o.files[1], "b.json");
    cr_assert_str_eq(o.histogram, "m.hgrm");
    assert_error("tcpload: merge: expected one or more files written by tcpload --json",
                 "merge", "--json");
    assert_error("tcpload: -c: not used by merge", "merge", "a.json", "-c", "5");
}

/* dist/tcpload-job.yaml's container arguments, placeholders filled in as
 * its comment says, are a command line tcpload accepts. */
Test(tl_opts, kubernetes_job_arguments_parse)
{
    static char line[512], store[1024], *argv[32];
    FILE *f = fopen("dist/tcpload-job.yaml", "r");
    size_t used = 0;
    int argc = 0;

    cr_assert_not_null(f, "run from the repository root");
    argv[argc++] = "tcpload";
    while (fgets(line, sizeof(line), f) != NULL && strstr(line, "args: [") == NULL)
        continue;
    for (int lines = 0; lines < 4 && argc < 30; lines++) {
        for (char *q = strchr(line, '"'); q != NULL && argc < 30; q = strchr(q, '"')) {
            char *end = strchr(q + 1, '"');
            cr_assert_not_null(end, "%s", line);
            size_t n = (size_t)(end - q);
            cr_assert_lt(used + n, sizeof(store));
            memcpy(store + used, q + 1, n - 1);
            store[used + n - 1] = '\0';
            argv[argc++] = store + used;
            used += n;
            q = end + 1;
        }
        if (strchr(line, ']') != NULL || fgets(line, sizeof(line), f) == NULL)
            break;
    }
    fclose(f);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "@TARGET@") == 0)
            argv[i] = "127.0.0.1:7007";
        else if (strcmp(argv[i], "@START_AT@") == 0)
            argv[i] = "1767225600";
    }
    argv[argc] = NULL;
    cr_assert_gt(argc, 4, "no args found");
    cr_assert_eq(tl_opts_parse(&o, argc, argv, err, sizeof(err)), TL_OPTS_RUN, "%s", err);
    cr_assert(o.json, "the job's logs are what merge reads");
    cr_assert_eq(o.start_at_ns, 1767225600ULL * CLOCK_NS_PER_SEC);
}

Test(tl_opts, double_dash_ends_options)
{
    cr_assert_eq(parse("--", "echo", "127.0.0.1:1", NULL), TL_OPTS_RUN, "%s", err);
    assert_error("tcpload: '-c': unknown mode (expected echo, connect, hold, stream or merge)", "--", "-c");
}

Test(tl_opts, usage_mentions_every_option)
{
    char *text = sup_usage_text(tl_opts_usage);

    sup_expect_every_flag(text, tl_opts_flag);
    free(text);
}

/* The man page's entry (from its .TP heading to the next) for the option
 * whose heading line holds head, read from docs/tcpload.1. */
static char *man_entry(const char *head)
{
    static char text[2048];
    char line[512];
    FILE *f = fopen("docs/tcpload.1", "r");
    int in = 0;
    size_t used = 0;

    cr_assert_not_null(f, "run from the repository root");
    text[0] = '\0';
    while (fgets(line, sizeof(line), f) != NULL) {
        if (in && strncmp(line, ".TP", 3) == 0)
            break;
        if (!in && line[0] == '.' && strstr(line, head) != NULL)
            in = 1;
        if (in && used + strlen(line) < sizeof(text)) {
            strcpy(text + used, line);
            used += strlen(line);
        }
    }
    fclose(f);
    cr_assert_neq(used, 0, "no entry for %s in docs/tcpload.1", head);
    return text;
}

/* Audit item 7: the man page's -c, -d and --warmup named echo, connect
 * and hold but not stream, which takes them.  Each mode that accepts one
 * of these options is named in its entry. */
Test(tl_opts, man_page_names_every_mode_that_takes_c_d_and_warmup)
{
    static const struct { const char *flag, *value, *head; } opts[] = {
        { "-c", "2", "\\-\\-connections" },
        { "-d", "1s", "\\-\\-duration" },
        { "--warmup", "1s", "\\-\\-warmup \" D\"" },
    };
    static const char *const modes[] = { "echo", "connect", "hold", "stream" };

    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        const char *entry = man_entry(opts[i].head);
        for (size_t m = 0; m < 4; m++) {
            if (parse(modes[m], "127.0.0.1:7007", opts[i].flag, opts[i].value, NULL) !=
                TL_OPTS_RUN)
                continue;
            cr_expect_not_null(strstr(entry, modes[m]), "%s takes %s, its man entry does "
                               "not say so:\n%s", modes[m], opts[i].flag, entry);
        }
    }
}

/* Audit item 8: documented now; an option given twice takes its last
 * value. */
Test(tl_opts, a_repeated_option_takes_its_last_value)
{
    cr_assert_eq(parse("echo", "127.0.0.1:7007", "-c", "5", "-c", "6", NULL), TL_OPTS_RUN,
                 "%s", err);
    cr_assert_eq(o.conns, 6);
}
