/* test_tl_connect.c - tcpload's connect mode (tl_connect.c) end to end:
 * transactions against echod in hello mode (every one gets the banner,
 * closed by EOF or by --expect with --linger0), a refused port, and
 * EADDRNOTAVAIL explained when the ephemeral ports run out, in a network
 * namespace of its own. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

TestSuite(tl_connect, .init = sup_procs_init, .fini = sup_procs_fini);

Test(tl_connect, connect_to_hello_every_transaction_gets_the_banner, .timeout = 60)
{
    static const char *const hargs[] = { "-w", "1", "--mode", "hello", NULL };
    char target[64];
    int st;

    sup_start_echod(&sup_srv, target, hargs);
    char *eof = sup_tcpload(&st, NULL, "connect", target, "-c", "4", "-d", "300ms", "--warmup",
                            "0", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", eof);
    char *exp = sup_tcpload(&st, NULL, "connect", target, "-c", "4", "-d", "300ms", "--warmup",
                            "100ms", "--expect", "13", "--linger0", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", exp);
    long long total_in = 0, total_started = 0;
    const char *outs[] = { eof, exp };
    for (int i = 0; i < 2; i++) {
        const char *out = outs[i];
        long long started = sup_json_num(out, "/totals/started");
        cr_assert_gt(sup_json_num(out, "/transactions"), 0, "%s", out);
        cr_assert(sup_json_is(out, "/errors", "{}"), "%s", out);
        cr_assert_eq(sup_json_num(out, "/totals/unanswered"), 0, "%s", out);
        cr_assert_eq(sup_json_num(out, "/totals/bytes_in"), started * 13,
                     "each gets 'Hello World!\\n': %s", out);
        cr_assert_eq(sup_json_num(out, "/connections/opened"), started, "%s", out);
        total_in += sup_json_num(out, "/totals/bytes_in");
        total_started += started;
    }
    cr_assert_eq(sup_exit_code(sup_stop(&sup_srv, SIGTERM, 10000)), 0);
    cr_assert_eq(sup_echod_num(sup_srv.out, "accepted"), total_started, "%s", sup_srv.out);
    cr_assert_eq(sup_echod_num(sup_srv.out, "bytes_out"), total_in, "%s", sup_srv.out);
    sup_free(&sup_srv);
    free(eof);
    free(exp);
}

/* --send N --expect N: the replies are compared with what was sent; an
 * echo server passes, a banner fails as corrupted with a hint. */
Test(tl_connect, send_expect_compares_the_reply_bytes, .timeout = 60)
{
    static const char *const eargs[] = { "-w", "1", NULL };
    static const char *const hargs[] = { "-w", "1", "--mode", "hello", NULL };
    struct sup_proc hello;
    char target[64], htarget[64];
    int st;

    sup_start_echod(&sup_srv, target, eargs);
    char *out = sup_tcpload(&st, NULL, "connect", target, "-c", "2", "-d", "200ms", "--warmup",
                            "0", "--send", "3000", "--expect", "3000", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert_neq(strstr(out, " reply bytes compared with what was sent, all as sent\n"), NULL,
                  "%s", out);
    free(out);
    sup_start_echod(&hello, htarget, hargs);
    out = sup_tcpload(&st, NULL, "connect", htarget, "-c", "1", "-d", "100ms", "--warmup", "0",
                      "--send", "13", "--expect", "13", "--json", NULL);
    sup_stop(&hello, SIGTERM, 10000);
    sup_free(&hello);
    cr_assert_eq(sup_exit_code(st), 1, "a banner is not an echo: %s", out);
    cr_assert_gt(sup_json_num(out, "/mismatches/bytes"), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/mismatches/first_offset"), 0, "%s", out);
    cr_assert_gt(sup_json_num(out, "/mismatches/messages"), 0, "%s", out);
    free(out);
}

/* A port on 127.0.0.1 where nothing listens. */
static int closed_port(void)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

Test(tl_connect, refused_port_reports_econnrefused, .timeout = 60)
{
    char target[64];
    int st;

    snprintf(target, sizeof(target), "127.0.0.1:%d", closed_port());
    char *out = sup_tcpload(&st, NULL, "connect", target, "-c", "2", "-d", "100ms", "--warmup",
                            "0", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 1, "no connection could be made: %s", out);
    cr_assert_gt(sup_json_num(out, "/errors/ECONNREFUSED"), 0, "%s", out);
    free(out);
    out = sup_tcpload(&st, NULL, "echo", target, "-c", "3", "-d", "100ms", NULL);
    cr_assert_eq(sup_exit_code(st), 1, "%s", out);
    cr_assert_neq(strstr(out, "ECONNREFUSED 3"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "no connection could be made"), NULL, "%s", out);
    free(out);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Nothing listens: every mode says FAILED as soon as every connection has
 * failed, not after its 20 s, and connect mode backs off between refused
 * connects instead of making tens of thousands of them. */
Test(tl_connect, refused_port_fails_fast_and_backs_off, .timeout = 60)
{
    static const char *const modes[] = { "connect", "echo", "hold" };
    char target[64];
    int st;

    snprintf(target, sizeof(target), "127.0.0.1:%d", closed_port());
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        double t0 = now_s();
        char *out = sup_tcpload(&st, NULL, modes[i], target, "-c", "10", "-d", "20s",
                                "--json", NULL);
        double took = now_s() - t0;
        cr_assert_eq(sup_exit_code(st), 1, "%s", out);
        cr_assert_lt(took, 10.0, "%s waited %.1f s of its 20 s: %s", modes[i], took, out);
        cr_assert(sup_json_is(out, "/failure", "\"no connection could be made\""), "%s", out);
        long long refused = sup_json_num(out, "/errors/ECONNREFUSED");
        cr_assert(refused >= 10 && refused <= 100, "%s: %lld attempts: %s", modes[i], refused,
                  out);
        free(out);
    }
}

/* A discard server reads and never answers: the run fails and says why. */
Test(tl_connect, unanswered_messages_fail_the_run, .timeout = 60)
{
    static const char *const dargs[] = { "-w", "1", "--mode", "discard", NULL };
    char target[64];
    int st;

    sup_start_echod(&sup_srv, target, dargs);
    char *out = sup_tcpload(&st, NULL, "echo", target, "-c", "2", "-d", "200ms", "--warmup",
                            "0", "--timeout", "200ms", NULL);
    cr_assert_eq(sup_exit_code(st), 1, "%s", out);
    cr_assert_neq(strstr(out, "FAILED        2 messages went unanswered (of 2 sent)"), NULL,
                  "%s", out);
    cr_assert_neq(strstr(out, "(a discard server?)"), NULL, "%s", out);
    free(out);
    out = sup_tcpload(&st, NULL, "connect", target, "-c", "2", "-d", "200ms", "--warmup", "0",
                      "--timeout", "200ms", "--send", "4", "--expect", "4", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 1, "%s", out);
    cr_assert_gt(sup_json_num(out, "/totals/unanswered"), 0, "%s", out);
    cr_assert_neq(strstr(out, "transactions went unanswered"), NULL, "%s", out);
    free(out);
}

/* In a network namespace of its own with 100 ephemeral ports and no
 * TIME_WAIT reuse: connections that tcpload closes first use the ports up,
 * EADDRNOTAVAIL follows and is explained; three source addresses give three
 * times the ports. */
Test(tl_connect, eaddrnotavail_explained_and_source_multiplies_ports, .timeout = 60)
{
    char *bin = sup_bin(""), script[1024], *out = NULL;

    char *const probe[] = { "unshare", "-n", "sh", "-c",
                            "ip link set lo up && sysctl -qw net.ipv4.tcp_tw_reuse=0", NULL };
    if (sup_exit_code(sup_run("/usr/bin/unshare", probe, 10000, NULL, NULL)) != 0)
        cr_skip_test("no network namespace with ip and sysctl here");
    snprintf(script, sizeof(script),
             "ip link set lo up && "
             "sysctl -qw net.ipv4.ip_local_port_range='40000 40099' net.ipv4.tcp_tw_reuse=0 && "
             "{ %sechod --listen 127.0.0.1:7007 -w 1 >/dev/null & E=$!; sleep 0.3; "
             "%stcpload connect 127.0.0.1:7007 -c 4 -d 400ms --warmup 0 --send 1 --expect 1; "
             "%stcpload connect 127.0.0.1:7007 -c 4 -d 400ms --warmup 0 --send 1 --expect 1 "
             "--source 127.0.0.2-127.0.0.4 --json; kill $E; }", bin, bin, bin);
    free(bin);
    char *const argv[] = { "unshare", "-n", "sh", "-c", script, NULL };
    int st = sup_run("/usr/bin/unshare", argv, 30000, &out, NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert_neq(strstr(out, "connections   100 opened"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "The kernel has 100 ephemeral ports"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "--source 127.0.0.2-127.0.0.254"), NULL, "%s", out);
    const char *json = strchr(out, '{');
    cr_assert_not_null(json, "%s", out);
    cr_assert_eq(sup_json_num(json, "/connections/opened"), 300, "%s", out);
    cr_assert_gt(sup_json_num(json, "/errors/EADDRNOTAVAIL"), 0, "%s", out);
    free(out);
}

/* An IPv6 --source: the connections come from it (::1, the one IPv6
 * loopback address), to an IPv6 echod. */
Test(tl_connect, ipv6_source_range, .timeout = 60)
{
    static const char *const args[] = { "-w", "1", "--listen", "[::1]:0", NULL };
    char target[64];
    int st;

    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 lo = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    int ok = probe >= 0 && bind(probe, (struct sockaddr *)&lo, sizeof(lo)) == 0;
    if (probe >= 0)
        close(probe);
    if (!ok)
        cr_skip_test("no IPv6 loopback here");
    sup_start_echod(&sup_srv, target, args);
    snprintf(target, sizeof(target), "[::1]:%d", sup_srv.port);
    char *out = sup_tcpload(&st, NULL, "connect", target, "-c", "2", "-d", "200ms", "--warmup",
                            "0", "--send", "8", "--expect", "8", "--source", "::1", "--json",
                            NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert_gt(sup_json_num(out, "/transactions"), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/config/source_addresses"), 1, "%s", out);
    cr_assert_eq(sup_json_num(out, "/mismatches/bytes"), 0, "%s", out);
    free(out);
}
