/* test_options.c - echod's command line: defaults, every option, the
 * messages for bad values (each must name its flag), and a --help text
 * that shows every row of the option table. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "options.h"
#include "support.h"

static char err[512];

/* Parses a NULL-ended list of arguments (argv[0] added). */
static int parse(struct options *o, const char *const *args)
{
    char *argv[64] = { "echod" };
    int argc = 1;

    while (args[argc - 1] != NULL)
        argv[argc] = (char *)args[argc - 1], argc++;
    err[0] = '\0';
    return options_parse(o, argc, argv, err, sizeof(err));
}

#define PARSE(o, ...) parse((o), (const char *const[]){ __VA_ARGS__, NULL })

Test(options, defaults)
{
    struct options o;
    const char *none[] = { NULL };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    cr_assert_eq(parse(&o, none), 0);
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&o.addr;
    cr_assert_eq(sin->sin_family, AF_INET);
    cr_assert_eq(ntohs(sin->sin_port), 7007);
    cr_assert_eq(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
    cr_assert_eq(o.workers, (unsigned)cpus);
    cr_assert_eq(o.backlog, 4096);
    cr_assert_eq(o.buffer_size, 16384);
    cr_assert_eq(o.mode, OPTIONS_MODE_ECHO);
    cr_assert_eq(o.banner_len, 13);
    cr_assert_eq(memcmp(o.banner, "Hello World!\n", 13), 0);
    cr_assert_eq(o.max_conns, 0);
    cr_assert_eq(o.idle_timeout_ms, 0);
    cr_assert_eq(o.write_timeout_ms, 60000);
    cr_assert_eq(o.max_lifetime_ms, 0);
    cr_assert_eq(o.sndbuf, 256 * 1024);
    cr_assert_eq(o.rcvbuf, 256 * 1024);
    cr_assert_eq(o.grace_ms, 5000);
    cr_assert_eq(o.stats_interval_ms, 0);
    cr_assert_eq(o.accept_rate, OPTIONS_RATE_UNLIMITED);
    cr_assert_eq(o.nodelay, 1);
    cr_assert_eq(o.cpu_affinity + o.json + o.shared_listener + o.help + o.version, 0);
}

Test(options, no_nodelay_turns_nagle_back_on_and_nodelay_is_the_default)
{
    struct options o;

    cr_assert_eq(PARSE(&o, "--no-nodelay"), 0, "%s", err);
    cr_assert_eq(o.nodelay, 0);
    cr_assert_eq(PARSE(&o, "--no-nodelay", "--nodelay"), 0, "%s", err);
    cr_assert_eq(o.nodelay, 1);
    cr_assert_eq(PARSE(&o, "--nodelay", "--no-nodelay"), 0, "%s", err);
    cr_assert_eq(o.nodelay, 0);
    cr_assert_eq(PARSE(&o, "--no-nodelay=1"), -1);
    cr_assert_str_eq(err, "--no-nodelay: takes no value");
}

Test(options, every_option_in_every_spelling)
{
    struct options o;

    cr_assert_eq(PARSE(&o, "--listen", "[::1]:0", "-w", "3", "-b8", "--buffer-size=4k",
                       "--mode", "discard", "--max-conns", "10k", "--idle-timeout", "1.5s",
                       "--grace=250ms", "--stats-interval", "2", "--accept-rate", "0",
                       "--nodelay", "--cpu-affinity", "--json", "--shared-listener"), 0, "%s", err);
    cr_assert_eq(o.addr.ss_family, AF_INET6);
    cr_assert_eq(o.workers, 3);
    cr_assert_eq(o.backlog, 8);
    cr_assert_eq(o.buffer_size, 4096);
    cr_assert_eq(o.mode, OPTIONS_MODE_DISCARD);
    cr_assert_eq(o.max_conns, 10000);
    cr_assert_eq(o.idle_timeout_ms, 1500);
    cr_assert_eq(o.grace_ms, 250);
    cr_assert_eq(o.stats_interval_ms, 2000);
    cr_assert_eq(o.accept_rate, 0);
    cr_assert_eq(o.nodelay & o.cpu_affinity & o.json & o.shared_listener, 1);
    cr_assert_eq(PARSE(&o, "-l", "localhost:9", "-m", "hello", "-w4"), 0, "%s", err);
    cr_assert_eq(o.workers, 4);
    cr_assert_eq(o.mode, OPTIONS_MODE_HELLO);
}

Test(options, banner_escapes)
{
    struct options o;

    cr_assert_eq(PARSE(&o, "--banner", "hi\\tthere\\r\\n\\\\"), 0, "%s", err);
    cr_assert_eq(o.banner_len, 11);
    cr_assert_eq(memcmp(o.banner, "hi\tthere\r\n\\", 11), 0);
    cr_assert_eq(PARSE(&o, "--banner", ""), 0);
    cr_assert_eq(o.banner_len, 0);
    cr_assert_eq(PARSE(&o, "--banner", "bad\\q"), -1);
    cr_assert_str_eq(err, "--banner: unknown escape in 'bad\\q' (use \\n, \\r, \\t or \\\\)");
    cr_assert_eq(PARSE(&o, "--banner", "trailing\\"), -1);
}

Test(options, help_and_version_stop_parsing)
{
    struct options o;

    cr_assert_eq(PARSE(&o, "-h", "--bogus"), 0);
    cr_assert_eq(o.help, 1);
    cr_assert_eq(PARSE(&o, "--version"), 0);
    cr_assert_eq(o.version, 1);
}

/* Each bad command line and the exact message it must produce. */
static const struct {
    const char *args[4];
    const char *message;
} bad[] = {
    { { "--workers", "banana" }, "--workers: expected a whole number from 1 to 1024, got 'banana'" },
    { { "-w", "0" }, "--workers: expected a whole number from 1 to 1024, got '0'" },
    { { "--workers", "2000" }, "--workers: expected a whole number from 1 to 1024, got '2000'" },
    { { "--listen", "127.0.0.1:99999" },
      "--listen: expected a port from 0 to 65535, got '127.0.0.1:99999'" },
    { { "--listen", "nowhere" }, "--listen: expected HOST:PORT such as 127.0.0.1:7007, "
      "[::1]:7007, [fe80::1%eth0]:7007 or localhost:7007, got 'nowhere'" },
    { { "--listen", "[fe80::1%nosuchif0]:7" },
      "--listen: '[fe80::1%nosuchif0]:7': no such network interface" },
    { { "--bogus" }, "--bogus: unknown option (see --help)" },
    { { "--bogus=3" }, "--bogus: unknown option (see --help)" },
    { { "-x" }, "-x: unknown option (see --help)" },
    { { "stray" }, "'stray': unexpected argument (echod takes only options)" },
    { { "--workers" }, "--workers: needs a value" },
    { { "--json=yes" }, "--json: takes no value" },
    { { "-hx" }, "--help: takes no value" },
    { { "--buffer-size", "1000" }, "--buffer-size: expected a power of two from 64 to 1MiB "
      "(such as 4k, 16KiB, 1M), got '1000'" },
    { { "--buffer-size", "32" }, NULL },
    { { "--buffer-size", "2G" }, NULL },
    /* Issue 9, fault 3: --buffer-size 1G let one client take 1.05 GB. */
    { { "--buffer-size", "2M" }, "--buffer-size: expected a power of two from 64 to 1MiB "
      "(such as 4k, 16KiB, 1M), got '2M'" },
    { { "--sndbuf", "100" }, "--sndbuf: expected 0 (the kernel's autotuning) or a size from "
      "4k to 64MiB, got '100'" },
    { { "--rcvbuf", "1G" }, NULL },
    { { "--write-timeout", "600h" }, NULL },
    { { "--max-lifetime", "soon" }, NULL },
    { { "--backlog", "-1" }, NULL },
    { { "--mode", "chat" }, "--mode: expected echo, discard or hello, got 'chat'" },
    { { "--idle-timeout", "soon" }, "--idle-timeout: expected a duration such as 0, 10, 10s, "
      "500ms or 2m, got 'soon'" },
    { { "--grace", "-1" }, NULL },
    { { "--stats-interval", "1x" }, NULL },
    { { "--max-conns", "lots" }, NULL },
    { { "--accept-rate", "1.5" }, NULL },
    { { "--idle-timeout", "600h" },
      "--idle-timeout: expected a duration of at most 596h, got '600h'" },
    /* Issue 9, fault 5: these wrapped to 0 (no grace, no timeout). */
    { { "--grace", "18446744073709551615ns" },
      "--grace: expected a duration of at most 24h, got '18446744073709551615ns'" },
    { { "--idle-timeout", "18446744073709551615ns" },
      "--idle-timeout: expected a duration of at most 596h, got '18446744073709551615ns'" },
    { { "--grace", "99999999999999999999" }, "--grace: expected a duration of at most 24h, "
      "got '99999999999999999999'" },
    /* Issue 9, fault 6: an interval past poll's int milliseconds stopped
     * the stats lines. */
    { { "--stats-interval", "1000h" },
      "--stats-interval: expected a duration of at most 24h, got '1000h'" },
    { { "--buffer-memory", "0" }, "--buffer-memory: expected a size from 1 to 1TiB (such as "
      "64M, 1GiB), got '0'" },
    { { "--buffer-memory", "2T" }, NULL },
    { { "--metrics", "banana" },
      "--metrics: expected HOST:PORT such as 127.0.0.1:9107, got 'banana'" },
    { { "--metrics", "127.0.0.1:70000" },
      "--metrics: expected a port from 0 to 65535, got '127.0.0.1:70000'" },
    { { "--max-conns-per-ip", "-1" }, NULL },
    { { "--proxy-protocol=yes" }, "--proxy-protocol: takes no value" },
};

Test(options, deployment_options)
{
    struct options o;

    cr_assert_eq(PARSE(&o, "--proxy-protocol", "--max-conns-per-ip", "10k", "--metrics",
                       "[::1]:9107"), 0, "%s", err);
    cr_expect(o.proxy_protocol);
    cr_expect_eq(o.max_conns_per_ip, 10000);
    cr_expect_eq(o.metrics_addr.ss_family, AF_INET6);
    cr_expect_not(o.listen_given);
    cr_assert_eq(PARSE(&o, "--listen", "127.0.0.1:0"), 0);
    cr_expect(o.listen_given, "--listen with socket activation is refused by this");
    cr_expect_eq(o.metrics_addr_len, 0);
}

/* Issue 11: a host name is resolved; one that does not resolve says so
 * rather than giving the syntax message. */
Test(options, issue11_listen_takes_host_names)
{
    struct options o;

    cr_assert_eq(PARSE(&o, "--listen", "[fe80::1%lo]:7007"), 0, "%s", err);
    cr_assert_eq(o.addr.ss_family, AF_INET6);
    cr_assert_eq(PARSE(&o, "--listen", "no-such-host.invalid:7007"), -1);
    cr_assert(strstr(err, "--listen: 'no-such-host.invalid:7007': the host name") == err,
              "%s", err);
}

Test(options, bad_values_name_their_flag)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct options o;
        int rc = parse(&o, bad[i].args);
        cr_assert_eq(rc, -1, "accepted %s %s", bad[i].args[0], bad[i].args[1]);
        if (bad[i].message != NULL) {
            cr_assert_str_eq(err, bad[i].message);
        } else {
            const char *flag = bad[i].args[0];
            cr_assert_eq(strncmp(err, flag, strlen(flag)), 0, "'%s' does not name %s", err, flag);
        }
    }
}

Test(options, issue9_fault3_limits_for_slow_and_trickling_clients)
{
    struct options o;

    cr_assert_eq(PARSE(&o, "--sndbuf", "64k", "--rcvbuf", "0", "--write-timeout", "5s",
                       "--max-lifetime", "1h", "--buffer-size", "1M"), 0, "%s", err);
    cr_assert_eq(o.sndbuf, 65536);
    cr_assert_eq(o.rcvbuf, 0);
    cr_assert_eq(o.write_timeout_ms, 5000);
    cr_assert_eq(o.max_lifetime_ms, 3600000);
    cr_assert_eq(o.buffer_size, 1u << 20);
    cr_assert_eq(PARSE(&o, "--write-timeout", "0"), 0, "%s", err);
    cr_assert_eq(o.write_timeout_ms, 0);
}

Test(options, banner_must_fit_the_buffer)
{
    struct options o;
    char big[200];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cr_assert_eq(PARSE(&o, "--mode", "hello", "--buffer-size", "64", "--banner", big), -1);
    cr_assert_str_eq(err, "--banner: 199 bytes do not fit in --buffer-size 64");
}

/* Each worker's share must hold one --buffer-size buffer; unset, the
 * budget is 64 MiB or one buffer per worker, whichever is more. */
Test(options, buffer_memory_holds_a_buffer_per_worker)
{
    struct options o;

    cr_assert_eq(PARSE(&o, "-w", "2"), 0);
    cr_assert_eq(o.buffer_memory, 64ULL << 20);
    cr_assert_eq(PARSE(&o, "-w", "128", "--buffer-size", "1M"), 0);
    cr_assert_eq(o.buffer_memory, 128ULL << 20);
    cr_assert_eq(PARSE(&o, "-w", "2", "--buffer-memory", "32k"), 0);
    cr_assert_eq(o.buffer_memory, 32768);
    cr_assert_eq(PARSE(&o, "-w", "3", "--buffer-memory", "32k"), -1);
    cr_assert_str_eq(err, "--buffer-memory: 32768 bytes give each of 3 workers less than one "
                     "--buffer-size 16384 buffer");
}

Test(options, usage_mentions_every_option)
{
    char *text = sup_usage_text(options_usage);

    sup_expect_every_flag(text, options_flag);
    free(text);
}
