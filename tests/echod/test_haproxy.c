/* test_haproxy.c - echod --proxy-protocol behind a real HAProxy (Debian's
 * haproxy package; installed by install-tools.sh when missing, else the
 * test is skipped and says so).
 *
 * Each test writes a temporary haproxy.cfg with one TCP frontend on a free
 * loopback port and echod as its only server, with send-proxy (v1) or
 * send-proxy-v2, runs `haproxy -db -f` as a child and stops it by PID.
 * Clients bind a source address in 127.0.0.0/8 of their own, so the
 * address the header carries differs from the one HAProxy connects from
 * (always 127.0.0.1): --max-conns-per-ip must count the former.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "support.h"

static struct sup_proc echod, haproxy;
static char cfg_path[64];

static void init(void)
{
    echod.pid = haproxy.pid = -1;
    echod.out_fd = echod.err_fd = haproxy.out_fd = haproxy.err_fd = -1;
}

static void fini(void)
{
    sup_free(&haproxy);
    sup_free(&echod);
    if (cfg_path[0] != '\0')
        unlink(cfg_path);
}

TestSuite(haproxy, .init = init, .fini = fini);

/* Connects from source address src (127.x.y.z) to 127.0.0.1:port. */
static int connect_from(const char *src, int port)
{
    struct sockaddr_in from = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert_geq(fd, 0);
    inet_pton(AF_INET, src, &from.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    to.sin_port = htons((uint16_t)port);
    cr_assert_eq(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
    if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Starts echod with args, then HAProxy in front of it with server
 * option `send` (send-proxy or send-proxy-v2, plus what else the test
 * asks); returns HAProxy's port. */
static int start_pair(const char *send, const char *const echod_args[])
{
    if (!sup_tool_ready("haproxy:haproxy"))
        cr_skip_test("haproxy missing and not installable (package haproxy)");
    cr_assert_eq(sup_start_server(&echod, "echod", echod_args), 0, "echod: %s",
                 echod.err ? echod.err : "");
    int port = sup_free_port();
    snprintf(cfg_path, sizeof(cfg_path), "/tmp/echod-haproxy-%d.cfg", (int)getpid());
    FILE *f = fopen(cfg_path, "w");
    cr_assert_not_null(f);
    fprintf(f, "global\n    maxconn 200\n"
               "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n"
               "    timeout server 30s\n"
               "frontend fe\n    bind 127.0.0.1:%d\n    default_backend be\n"
               "backend be\n    server echod 127.0.0.1:%d %s\n", port, echod.port, send);
    cr_assert_eq(fclose(f), 0);
    char *argv[] = { "haproxy", "-db", "-f", cfg_path, NULL };
    cr_assert_eq(sup_spawn(&haproxy, "/usr/sbin/haproxy", argv), 0);
    for (int i = 0; i < 500; i++) { /* until it listens */
        int fd = connect_from("127.0.0.1", port);
        if (fd >= 0) {
            close(fd);
            return port;
        }
        usleep(10000);
    }
    sup_drain(&haproxy);
    cr_assert_fail("haproxy did not listen: %s", haproxy.err ? haproxy.err : "");
    return -1;
}

/* echod's summary after SIGTERM; the test fails unless it exits 0. */
static void stop_echod(void)
{
    int status = sup_stop(&echod, SIGTERM, 15000);
    cr_assert_eq(sup_exit_code(status), 0, "echod status %#x: %s", status,
                 echod.err ? echod.err : "");
}

/* Sends len pattern bytes through fd and expects them back exactly. */
static void echo_exact(int fd, size_t len, uint64_t seed)
{
    uint8_t *out = malloc(len), *in = malloc(len);

    cr_assert(out != NULL && in != NULL);
    sup_pattern(out, len, seed, 0);
    cr_assert_eq(sup_write_all(fd, out, len), 0);
    cr_assert_eq(sup_read_n(fd, in, len, 10000), (ssize_t)len);
    cr_expect_eq(memcmp(in, out, len), 0, "echo differs");
    free(out);
    free(in);
}

static void byte_exact_through(const char *send)
{
    int port = start_pair(send, (const char *const[]){ "--proxy-protocol", "-w", "2", NULL });

    for (int i = 0; i < 3; i++) {
        int fd = connect_from("127.0.0.1", port);
        cr_assert_geq(fd, 0);
        echo_exact(fd, 256 * 1024, (uint64_t)i);
        close(fd);
    }
    /* A direct connection without a header is refused at its first byte. */
    int fd = connect_from("127.0.0.1", echod.port);
    cr_assert_geq(fd, 0);
    cr_assert_eq(sup_write_all(fd, "hello\n", 6), 0);
    char buf[8];
    cr_expect_leq(sup_read_n(fd, buf, sizeof(buf), 5000), 0, "no header, yet echoed");
    close(fd);
    stop_echod();
    cr_expect_eq(sup_echod_num(echod.out, "proxy_invalid"), 1, "%s", echod.out);
    cr_expect_eq(sup_echod_num(echod.out, "bytes_in"), 3 * 256 * 1024,
                 "the header is consumed, never counted or echoed: %s", echod.out);
}

Test(haproxy, send_proxy_v1_byte_exact_and_no_header_refused, .timeout = 60)
{
    byte_exact_through("send-proxy");
}

Test(haproxy, send_proxy_v2_byte_exact_and_no_header_refused, .timeout = 60)
{
    byte_exact_through("send-proxy-v2");
}

/* HAProxy's health checks with check-send-proxy carry a v2 LOCAL header
 * (no client behind them): echod serves them. */
Test(haproxy, v2_local_health_checks_are_served, .timeout = 60)
{
    start_pair("send-proxy-v2 check check-send-proxy inter 100ms",
               (const char *const[]){ "--proxy-protocol", "-w", "1", NULL });
    usleep(1000000);
    stop_echod();
    cr_expect_geq(sup_echod_num(echod.out, "accepted"), 3, "%s", echod.out);
    cr_expect_eq(sup_echod_num(echod.out, "proxy_invalid"), 0, "%s", echod.out);
}

/* All of HAProxy's connections come from 127.0.0.1; the headers say
 * 127.0.0.2 and 127.0.0.3.  With a limit of 2 per address, a third
 * client from .2 is closed while one from .3 is served. */
Test(haproxy, max_conns_per_ip_counts_the_header_address, .timeout = 60)
{
    int port = start_pair("send-proxy-v2", (const char *const[]){
        "--proxy-protocol", "--max-conns-per-ip", "2", "-w", "2", NULL });
    int held[2];

    for (int i = 0; i < 2; i++) {
        held[i] = connect_from("127.0.0.2", port);
        cr_assert_geq(held[i], 0);
        echo_exact(held[i], 100, (uint64_t)i);
    }
    int third = connect_from("127.0.0.2", port);
    cr_assert_geq(third, 0);
    uint8_t buf[16];
    cr_assert_eq(sup_write_all(third, "0123456789", 10), 0);
    cr_expect_leq(sup_read_n(third, buf, 10, 5000), 0, "a third connection from .2 served");
    close(third);
    int other = connect_from("127.0.0.3", port);
    cr_assert_geq(other, 0);
    echo_exact(other, 100, 9);
    close(other);
    close(held[0]);
    close(held[1]);
    stop_echod();
    cr_expect_eq(sup_echod_num(echod.out, "per_ip_refused"), 1, "%s", echod.out);
}
