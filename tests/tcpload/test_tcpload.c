/* test_tcpload.c - tcpload end to end: against bin/echod on an ephemeral
 * port (its byte counts must match echod's own), against a helper server
 * that flips one byte, against a refused port, with --source (checked with
 * ss), hold mode losing connections to echod's idle timeout, a signal
 * ending a run early, and the command line.  Runs are a few hundred
 * milliseconds each; nothing here asserts a speed. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

#define RUN_MS 30000

/* The processes a test starts; the suite's fini kills what a failed
 * assertion left running. */
static struct sup_proc srv, load;

static void procs_init(void)
{
    memset(&srv, 0, sizeof(srv));
    memset(&load, 0, sizeof(load));
    srv.pid = load.pid = -1;
    srv.out_fd = srv.err_fd = load.out_fd = load.err_fd = -1;
}

static void procs_fini(void)
{
    sup_free(&srv);
    sup_free(&load);
}

TestSuite(tcpload, .init = procs_init, .fini = procs_fini);

/* Runs tcpload with a NULL-ended argument list; returns its stdout (and
 * stderr in *err when err is not NULL), its wait status in *status. */
static char *tcpload(int *status, char **err, const char *first, ...)
{
    char *argv[64], *out = NULL, *path = sup_bin("tcpload");
    int argc = 0;
    va_list ap;

    argv[argc++] = "tcpload";
    va_start(ap, first);
    for (const char *a = first; a != NULL && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    *status = sup_run(path, argv, RUN_MS, &out, err);
    free(path);
    cr_assert_neq(*status, -1, "tcpload did not run");
    return out;
}

/* The integer at path (a JSON Pointer, see sup_json_find) in tcpload's
 * --json report; the test fails when there is none. */
static long long json_num(const char *json, const char *path)
{
    long long v;
    cr_assert_eq(sup_json_int(json, path, &v), 0, "no integer at %s in: %s", path, json);
    return v;
}

/* The number after "key=" in echod's output (its final summary). */
static long long echod_num(const char *out, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), " %s=", key);
    const char *p = out ? strstr(out, pat) : NULL;
    return p == NULL ? -1 : strtoll(p + strlen(pat), NULL, 10);
}

static int exit_code(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void start_echod(struct sup_proc *p, char *target, const char *const args[])
{
    cr_assert_eq(sup_start_server(p, "echod", args), 0, "echod did not start");
    snprintf(target, 64, "127.0.0.1:%d", p->port);
}

/* Stops echod and checks that what it received and sent is exactly what
 * tcpload reported sending and receiving. */
static void assert_echod_saw(struct sup_proc *p, long long sent, long long received)
{
    cr_assert_eq(exit_code(sup_stop(p, SIGTERM, 10000)), 0, "echod: %s", p->err);
    cr_assert_eq(echod_num(p->out, "bytes_in"), sent, "echod: %s", p->out);
    cr_assert_eq(echod_num(p->out, "bytes_out"), received, "echod: %s", p->out);
    sup_free(p);
}

/* An echo run against echod: every message came back, byte-exact, and
 * echod counted the same bytes. */
static void echo_run_matches_echod(const char *size, const char *extra[])
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64];
    int st;

    start_echod(&srv, target, wargs);
    char *out = tcpload(&st, NULL, "echo", target, "-c", "4", "-d", "300ms", "--warmup",
                        "100ms", "-s", size, "--json", extra[0], extra[1], extra[2],
                        extra[3], NULL);
    cr_assert_eq(exit_code(st), 0, "%s", out);
    long long started = json_num(out, "/totals/started");
    long long bytes_out = json_num(out, "/totals/bytes_out");
    cr_assert_gt(started, 0, "%s", out);
    cr_assert_eq(bytes_out, started * atoll(size), "%s", out);
    cr_assert_eq(json_num(out, "/totals/bytes_in"), bytes_out, "%s", out);
    cr_assert_eq(json_num(out, "/totals/unanswered"), 0, "%s", out);
    cr_assert_eq(json_num(out, "/mismatches/bytes"), 0, "mismatches: %s", out);
    cr_assert_gt(json_num(out, "/messages"), 0, "%s", out);
    cr_assert_eq(json_num(out, "/connections/opened"), 4, "%s", out);
    assert_echod_saw(&srv, bytes_out, bytes_out);
    free(out);
}

Test(tcpload, echo_closed_loop_counts_match_echod, .timeout = 60)
{
    const char *extra[] = { NULL, NULL, NULL, NULL };
    echo_run_matches_echod("64", extra);
}

Test(tcpload, echo_pipeline_and_threads_count_match_echod, .timeout = 60)
{
    const char *extra[] = { "--pipeline", "8", "-t", "2" };
    echo_run_matches_echod("3000", extra);
}

Test(tcpload, echo_large_messages_count_match_echod, .timeout = 60)
{
    const char *extra[] = { "--pipeline", "2", NULL, NULL };
    echo_run_matches_echod("300000", extra);
}

Test(tcpload, echo_open_loop_measures_every_scheduled_message, .timeout = 60)
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64];
    int st;

    start_echod(&srv, target, wargs);
    char *out = tcpload(&st, NULL, "echo", target, "-c", "8", "-R", "2000", "-d", "400ms",
                        "--warmup", "100ms", "--json", NULL);
    cr_assert_eq(exit_code(st), 0, "%s", out);
    cr_assert_eq(json_num(out, "/rate/requested"), 2000, "%s", out);
    cr_assert_eq(json_num(out, "/config/rate"), 2000, "%s", out);
    /* 2000/s for 400 ms: 800 due in the window, all answered in the drain
     * and every one of them in the histogram. */
    cr_assert_eq(json_num(out, "/rate/scheduled"), 800, "%s", out);
    cr_assert_eq(json_num(out, "/latency_us/message/count"), 800, "%s", out);
    cr_assert_eq(json_num(out, "/totals/unanswered"), 0, "%s", out);
    long long bytes_out = json_num(out, "/totals/bytes_out");
    cr_assert_eq(bytes_out, json_num(out, "/totals/started") * 64, "%s", out);
    assert_echod_saw(&srv, bytes_out, json_num(out, "/totals/bytes_in"));
    free(out);
}

Test(tcpload, echo_detects_a_flipped_byte, .timeout = 60)
{
    char *path = sup_helper("flipecho"), target[64];
    char *const argv[] = { "flipecho", "1000", NULL };
    int st;

    cr_assert_eq(sup_spawn(&srv, path, argv), 0);
    free(path);
    cr_assert_eq(sup_wait_listening(&srv, 10000), 0, "flipecho did not start");
    snprintf(target, sizeof(target), "127.0.0.1:%d", srv.port);
    char *out = tcpload(&st, NULL, "echo", target, "-c", "1", "-d", "200ms", "--warmup",
                        "0", "--json", NULL);
    cr_assert_eq(exit_code(st), 1, "corruption must exit 1: %s", out);
    cr_assert_eq(json_num(out, "/mismatches/bytes"), 1, "%s", out);
    cr_assert_eq(json_num(out, "/mismatches/first_connection"), 0, "%s", out);
    cr_assert_eq(json_num(out, "/mismatches/first_offset"), 1000, "%s", out);
    free(out);
    out = tcpload(&st, NULL, "echo", target, "-c", "1", "-d", "100ms", "--warmup", "0", NULL);
    cr_assert_eq(exit_code(st), 0, "only the first connection is corrupted: %s", out);
    cr_assert_neq(strstr(out, "all as sent"), NULL, "%s", out);
    free(out);
    sup_stop(&srv, SIGKILL, 5000);
    sup_free(&srv);
}

Test(tcpload, connect_to_hello_every_transaction_gets_the_banner, .timeout = 60)
{
    static const char *const hargs[] = { "-w", "1", "--mode", "hello", NULL };
    char target[64];
    int st;

    start_echod(&srv, target, hargs);
    char *eof = tcpload(&st, NULL, "connect", target, "-c", "4", "-d", "300ms", "--warmup",
                        "0", "--json", NULL);
    cr_assert_eq(exit_code(st), 0, "%s", eof);
    char *exp = tcpload(&st, NULL, "connect", target, "-c", "4", "-d", "300ms", "--warmup",
                        "100ms", "--expect", "13", "--linger0", "--json", NULL);
    cr_assert_eq(exit_code(st), 0, "%s", exp);
    long long total_in = 0, total_started = 0;
    const char *outs[] = { eof, exp };
    for (int i = 0; i < 2; i++) {
        const char *out = outs[i];
        long long started = json_num(out, "/totals/started");
        cr_assert_gt(json_num(out, "/transactions"), 0, "%s", out);
        cr_assert(sup_json_is(out, "/errors", "{}"), "%s", out);
        cr_assert_eq(json_num(out, "/totals/unanswered"), 0, "%s", out);
        cr_assert_eq(json_num(out, "/totals/bytes_in"), started * 13,
                     "each gets 'Hello World!\\n': %s", out);
        cr_assert_eq(json_num(out, "/connections/opened"), started, "%s", out);
        total_in += json_num(out, "/totals/bytes_in");
        total_started += started;
    }
    cr_assert_eq(exit_code(sup_stop(&srv, SIGTERM, 10000)), 0);
    cr_assert_eq(echod_num(srv.out, "accepted"), total_started, "%s", srv.out);
    cr_assert_eq(echod_num(srv.out, "bytes_out"), total_in, "%s", srv.out);
    sup_free(&srv);
    free(eof);
    free(exp);
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

Test(tcpload, refused_port_reports_econnrefused, .timeout = 60)
{
    char target[64];
    int st;

    snprintf(target, sizeof(target), "127.0.0.1:%d", closed_port());
    char *out = tcpload(&st, NULL, "connect", target, "-c", "2", "-d", "100ms", "--warmup",
                        "0", "--json", NULL);
    cr_assert_eq(exit_code(st), 1, "no connection could be made: %s", out);
    cr_assert_gt(json_num(out, "/errors/ECONNREFUSED"), 0, "%s", out);
    free(out);
    out = tcpload(&st, NULL, "echo", target, "-c", "3", "-d", "100ms", NULL);
    cr_assert_eq(exit_code(st), 1, "%s", out);
    cr_assert_neq(strstr(out, "ECONNREFUSED 3"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "no connection could be made"), NULL, "%s", out);
    free(out);
}

/* Client sockets connected to port, as ss lists them (local addresses). */
static char *ss_clients(int port)
{
    char cmd[160], *out = NULL;
    snprintf(cmd, sizeof(cmd), "ss -Htn state established '( dport = :%d )'", port);
    char *const argv[] = { "sh", "-c", cmd, NULL };
    if (sup_run("/bin/sh", argv, 10000, &out, NULL) == -1)
        return NULL;
    return out;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; s != NULL && *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

Test(tcpload, source_spreads_connections_over_addresses_and_sigint_ends_early,
     .timeout = 60)
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64], *path = sup_bin("tcpload"), *seen = NULL;
    int st;

    start_echod(&srv, target, wargs);
    char *const argv[] = { "tcpload", "hold", target, "-c", "6", "-d", "20s",
                           "--source", "127.0.0.2-127.0.0.4", "--json", NULL };
    cr_assert_eq(sup_spawn(&load, path, argv), 0);
    free(path);
    for (int i = 0; i < 100 && count_lines(seen) < 6; i++) {
        free(seen);
        usleep(50000);
        seen = ss_clients(srv.port);
    }
    cr_assert_eq(count_lines(seen), 6, "ss shows: %s", seen);
    for (int a = 2; a <= 4; a++) {
        char addr[32];
        snprintf(addr, sizeof(addr), "127.0.0.%d:", a);
        const char *p = strstr(seen, addr);
        cr_assert_not_null(p, "no connection from %s in: %s", addr, seen);
        cr_assert_not_null(strstr(p + 1, addr), "one connection only from %s: %s", addr, seen);
    }
    free(seen);
    /* SIGINT ends the 20 s hold now, with a full report. */
    st = sup_stop(&load, SIGINT, 10000);
    cr_assert_eq(exit_code(st), 0, "%s %s", load.out, load.err);
    cr_assert_eq(json_num(load.out, "/connections/held"), 6, "%s", load.out);
    size_t len;
    const char *measured = sup_json_find(load.out, "/duration_s", &len); /* not config's */
    cr_assert_not_null(measured, "%s", load.out);
    cr_assert_lt(atof(measured), 15.0, "%s", load.out);
    sup_free(&load);
    sup_stop(&srv, SIGTERM, 10000);
    sup_free(&srv);
}

/* In a network namespace of its own with 100 ephemeral ports and no
 * TIME_WAIT reuse: connections that tcpload closes first use the ports up,
 * EADDRNOTAVAIL follows and is explained; three source addresses give three
 * times the ports. */
Test(tcpload, eaddrnotavail_explained_and_source_multiplies_ports, .timeout = 60)
{
    char *bin = sup_bin(""), script[1024], *out = NULL;

    char *const probe[] = { "unshare", "-n", "sh", "-c",
                            "ip link set lo up && sysctl -qw net.ipv4.tcp_tw_reuse=0", NULL };
    if (exit_code(sup_run("/usr/bin/unshare", probe, 10000, NULL, NULL)) != 0)
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
    cr_assert_eq(exit_code(st), 0, "%s", out);
    cr_assert_neq(strstr(out, "connections   100 opened"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "The kernel has 100 ephemeral ports"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "--source 127.0.0.2-127.0.0.254"), NULL, "%s", out);
    const char *json = strchr(out, '{');
    cr_assert_not_null(json, "%s", out);
    cr_assert_eq(json_num(json, "/connections/opened"), 300, "%s", out);
    cr_assert_gt(json_num(json, "/errors/EADDRNOTAVAIL"), 0, "%s", out);
    free(out);
}

Test(tcpload, hold_counts_connections_the_server_drops, .timeout = 60)
{
    static const char *const iargs[] = { "-w", "1", "--idle-timeout", "200ms", NULL };
    char target[64];
    int st;

    start_echod(&srv, target, iargs);
    char *out = tcpload(&st, NULL, "hold", target, "-c", "5", "-d", "1s", "--json", NULL);
    cr_assert_eq(exit_code(st), 0, "%s", out);
    cr_assert_eq(json_num(out, "/connections/opened"), 5, "%s", out);
    cr_assert_eq(json_num(out, "/connections/lost"), 5, "%s", out);
    cr_assert_eq(json_num(out, "/connections/held"), 0, "%s", out);
    cr_assert_eq(json_num(out, "/errors/EOF"), 5, "%s", out);
    free(out);
    /* With pings every 50 ms the connections are never idle: all held. */
    out = tcpload(&st, NULL, "hold", target, "-c", "5", "-d", "500ms", "--ping-interval",
                  "50ms", "--json", NULL);
    cr_assert_eq(exit_code(st), 0, "%s", out);
    cr_assert_eq(json_num(out, "/connections/held"), 5, "%s", out);
    cr_assert_gt(json_num(out, "/totals/pings"), 0, "%s", out);
    cr_assert_eq(json_num(out, "/totals/bytes_in"), json_num(out, "/totals/pings"),
                 "echoed: %s", out);
    free(out);
    sup_stop(&srv, SIGTERM, 10000);
    sup_free(&srv);
}

Test(tcpload, json_context_and_histogram_file, .timeout = 60)
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64], hist[] = "/tmp/tcpload-hist-XXXXXX";
    int st, fd = mkstemp(hist);

    cr_assert_geq(fd, 0);
    close(fd);
    start_echod(&srv, target, wargs);
    char *out = tcpload(&st, NULL, "echo", target, "-c", "2", "-d", "200ms", "--warmup", "0",
                        "--json", "--histogram", hist, NULL);
    cr_assert_eq(exit_code(st), 0, "%s", out);
    cr_assert(sup_json_is(out, "/argv/0", "\"tcpload\""), "%s", out);
    cr_assert(sup_json_is(out, "/argv/1", "\"echo\""), "%s", out);
    const char *strings[] = { "/system/kernel", "/system/ip_local_port_range" };
    const char *numbers[] = { "/system/tcp_tw_reuse", "/system/somaxconn", "/system/ulimit_n",
                              "/latency_us/message/p99.99" };
    size_t len;
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        const char *v = sup_json_find(out, strings[i], &len);
        cr_assert(v != NULL && *v == '"', "no string at %s in %s", strings[i], out);
    }
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        const char *v = sup_json_find(out, numbers[i], &len);
        cr_assert(v != NULL && (*v == '-' || (*v >= '0' && *v <= '9')),
                  "no number at %s in %s", numbers[i], out);
    }
    cr_assert_eq(json_num(out, "/exit_status"), 0, "%s", out);
    cr_assert_eq(count_lines(out), 1, "one JSON object on one line");
    char *const cat[] = { "cat", hist, NULL };
    char *rows = NULL;
    cr_assert_eq(exit_code(sup_run("/bin/cat", cat, 10000, &rows, NULL)), 0);
    cr_assert_neq(strstr(rows, "# value_us count percentile\n"), NULL, "%s", rows);
    cr_assert_neq(strstr(rows, " 100.000000\n"), NULL, "last row is 100%%: %s", rows);
    cr_assert_gt(count_lines(rows), 3, "%s", rows);
    free(rows);
    free(out);
    unlink(hist);
    sup_stop(&srv, SIGTERM, 10000);
    sup_free(&srv);
}

Test(tcpload, command_line_errors_exit_2_naming_the_flag, .timeout = 30)
{
    char *err = NULL;
    int st;

    char *out = tcpload(&st, &err, "echo", "127.0.0.1:7", "-c", "banana", NULL);
    cr_assert_eq(exit_code(st), 2);
    cr_assert_str_eq(err, "tcpload: -c: expected a whole number from 1 to 1000000, "
                          "got 'banana'\n");
    free(out);
    free(err);
    out = tcpload(&st, &err, "--help", NULL);
    cr_assert_eq(exit_code(st), 0);
    cr_assert_neq(strstr(out, "tcpload echo 127.0.0.1:7007"), NULL);
    cr_assert_neq(strstr(out, "tcpload connect"), NULL);
    cr_assert_neq(strstr(out, "tcpload hold"), NULL);
    free(out);
    free(err);
    out = tcpload(&st, NULL, "--version", NULL);
    cr_assert_eq(exit_code(st), 0);
    cr_assert_eq(strncmp(out, "tcpload ", 8), 0);
    free(out);
}
