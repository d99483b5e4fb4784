/* test_metrics.c - the --metrics endpoint (metrics.c).
 *
 * The page is checked by promtool (Debian's prometheus package, the real
 * parser; installed by install-tools.sh when missing, else skipped with
 * the reason) and for what it must hold; the endpoint is driven over
 * loopback with a tiny HTTP client written here (404, 405, /healthz going
 * 503 when paused, a hostile client closed and counted, the client limit).
 * Last, a real Prometheus started by the test scrapes echod for a few
 * seconds, and its query API must show the target up and the accepted
 * counter equal to the connections the test made.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "metrics.h"
#include "support.h"
#include "worker.h"

static struct sup_proc echod, prom;
static char prom_dir[64];

static void init(void)
{
    echod.pid = prom.pid = -1;
    echod.out_fd = echod.err_fd = prom.out_fd = prom.err_fd = -1;
}

static void fini(void)
{
    sup_free(&prom);
    sup_free(&echod);
    if (prom_dir[0] != '\0') {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", prom_dir);
        if (system(cmd) != 0)
            cr_log_warn("could not remove %s", prom_dir);
    }
}

TestSuite(metrics, .init = init, .fini = fini);

/* Runs promtool check metrics on text; returns its exit code (and its
 * complaint in *why). */
static int promtool_check(const char *text, char **why)
{
    char path[64], cmd[160];

    snprintf(path, sizeof(path), "/tmp/echod-metrics-%d.txt", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
    snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
    char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    int status = sup_run("/bin/sh", argv, 30000, NULL, why);
    unlink(path);
    return sup_exit_code(status);
}

static char *render(const struct metrics_view *v)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    cr_assert_not_null(f);
    cr_assert_eq(metrics_render(f, v, NULL), 0);
    cr_assert_eq(fclose(f), 0);
    return text;
}

Test(metrics, page_passes_promtool_and_holds_every_counter)
{
    if (!sup_tool_ready("promtool:prometheus"))
        cr_skip_test("promtool missing and not installable (package prometheus)");
    static struct stats_counters b[2];
    const struct stats_counters *blocks[2] = { &b[0], &b[1] };
    struct worker_control ctl = { .paused = 1 };
    struct metrics_view v = { blocks, 2, &ctl };

    stats_add(&b[0], STATS_ACCEPTED, 3);
    stats_add(&b[1], STATS_ACCEPTED, 4);
    stats_add(&b[1], STATS_ACCEPT_EMFILE, 2);
    stats_add(&b[0], STATS_ACTIVE, 1);
    char *text = render(&v), *why = NULL;
    cr_expect_eq(promtool_check(text, &why), 0, "promtool: %s\n%s", why ? why : "", text);
    free(why);
    cr_expect(strstr(text, "echod_accepted_total{worker=\"0\"} 3\n"), "%s", text);
    cr_expect(strstr(text, "echod_accepted_total{worker=\"1\"} 4\n"));
    cr_expect(strstr(text, "echod_accept_errors_total{worker=\"1\",errno=\"EMFILE\"} 2\n"));
    cr_expect(strstr(text, "# TYPE echod_connections_open gauge\n"
                           "echod_connections_open{worker=\"0\"} 1\n"));
    cr_expect(strstr(text, "# TYPE echod_buffered_bytes gauge\n"), "a gauge in stats.h");
    cr_expect(strstr(text, "# TYPE echod_io_errors_by_errno_total counter\n"
                           "echod_io_errors_by_errno_total{worker=\"0\",errno=\"ETIMEDOUT\"} 0\n"));
    cr_expect(strstr(text, "echod_conn_cap "), "stats.h's process values");
    cr_expect(strstr(text, "echod_accepting_paused 1\n"));
    cr_expect(strstr(text, "echod_draining 0\n"));
    cr_expect(strstr(text, "echod_build_info{version=\""));
    cr_expect(strstr(text, "\nprocess_cpu_seconds_total "));
    cr_expect(strstr(text, "\nprocess_resident_memory_bytes "));
    cr_expect(strstr(text, "\nprocess_open_fds "));
    cr_expect(strstr(text, "\nprocess_start_time_seconds "));
    /* every counter of stats.h is on the page, under some family */
    for (int id = 0; id < STATS_COUNT; id++) {
        struct stats_counters one[2] = { 0 };
        const struct stats_counters *ob[2] = { &one[0], &one[1] };
        struct metrics_view ov = { ob, 2, &ctl };
        stats_add(&one[1], id, 987654321);
        char *t = render(&ov);
        cr_expect(strstr(t, "worker=\"1\"") && strstr(t, "} 987654321\n"), "%s missing",
                  stats_name(id));
        free(t);
    }
    free(text);
}

Test(metrics, healthz_is_503_while_paused_or_draining)
{
    struct worker_control ctl = { 0 };
    struct metrics_view v = { NULL, 0, &ctl };
    const char *body;

    cr_expect_eq(metrics_health(&v, &body), 200);
    cr_expect_str_eq(body, "ok\n");
    ctl.paused = 1;
    cr_expect_eq(metrics_health(&v, &body), 503);
    cr_expect_str_eq(body, "paused\n");
    ctl.stop = 1;
    cr_expect_eq(metrics_health(&v, &body), 503);
    cr_expect_str_eq(body, "draining\n");
}

/* ---- over HTTP ---- */

/* Sends request to 127.0.0.1:port and reads the answer until EOF;
 * returns it malloc'ed (NULL on a connection error).  *status gets the
 * status code (0 when there was no status line). */
static char *http(int port, const char *request, int *status)
{
    int fd = sup_connect("127.0.0.1", port);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);

    *status = 0;
    if (fd < 0 || buf == NULL || sup_write_all(fd, request, strlen(request)) < 0) {
        free(buf);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    for (;;) {
        if (len + 1 == cap && (buf = realloc(buf, cap *= 2)) == NULL)
            cr_assert_fail("out of memory");
        ssize_t n = sup_read_n(fd, buf + len, cap - 1 - len, 5000);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    if (sscanf(buf, "HTTP/1.%*d %d", status) != 1)
        *status = 0;
    return buf;
}

static char *get(int port, const char *path, int *status)
{
    char req[512];

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    return http(port, req, status);
}

/* The port of echod's "metrics on HOST:PORT" line. */
static int metrics_port(const struct sup_proc *p)
{
    const char *s = p->out ? strstr(p->out, "metrics on 127.0.0.1:") : NULL;

    cr_assert_not_null(s, "no metrics line: %s", p->out ? p->out : "");
    return atoi(s + strlen("metrics on 127.0.0.1:"));
}

static int start_echod(const char *const *extra)
{
    const char *args[16] = { "--metrics", "127.0.0.1:0", "-w", "2" };
    int n = 4;

    while (extra != NULL && *extra != NULL)
        args[n++] = *extra++;
    args[n] = NULL;
    cr_assert_eq(sup_start_server(&echod, "echod", args), 0, "echod: %s",
                 echod.err ? echod.err : "");
    return metrics_port(&echod);
}

static long long sample(const char *page, const char *name)
{
    const char *s = strstr(page, name);

    return s == NULL ? -1 : strtoll(s + strlen(name), NULL, 10);
}

Test(metrics, endpoint_answers_404_405_and_healthz_follows_pause, .timeout = 30)
{
    int port = start_echod(NULL), status;
    char *r;

    r = get(port, "/nope", &status);
    cr_expect_eq(status, 404, "%s", r);
    free(r);
    r = http(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &status);
    cr_expect_eq(status, 405, "%s", r);
    cr_expect(r && strstr(r, "Allow: GET, HEAD\r\n"), "%s", r);
    free(r);
    r = get(port, "/healthz", &status);
    cr_expect_eq(status, 200);
    free(r);
    kill(echod.pid, SIGUSR2);
    usleep(200000);
    r = get(port, "/healthz", &status);
    cr_expect_eq(status, 503, "paused: %s", r);
    cr_expect(r && strstr(r, "\r\n\r\npaused\n"), "%s", r);
    free(r);
    r = get(port, "/metrics", &status);
    cr_expect_eq(status, 200);
    cr_expect_eq(sample(r, "\nechod_accepting_paused "), 1, "%s", r);
    cr_expect_eq(sample(r, "echod_metrics_requests_total{code=\"404\"} "), 1);
    cr_expect_eq(sample(r, "echod_metrics_requests_total{code=\"405\"} "), 1);
    cr_expect_eq(sample(r, "echod_metrics_requests_total{code=\"503\"} "), 1);
    free(r);
    cr_expect_eq(sup_exit_code(sup_stop(&echod, SIGTERM, 15000)), 0);
}

/* From SIGTERM until exit (the grace period), /healthz says draining, so
 * a balancer stops sending before the process is gone. */
Test(metrics, healthz_is_503_draining_during_the_grace_period, .timeout = 30)
{
    int port = start_echod((const char *const[]){ "--grace", "10s", NULL }), status;
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)echod.port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0), small = 4096;
    static uint8_t chunk[1 << 16];

    /* A connection that owes a lot and reads nothing (a small receive
     * buffer, never read) keeps echod in its grace period. */
    cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    cr_assert_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
    sup_pattern(chunk, sizeof(chunk), 1, 0);
    for (int stuck = 0, rounds = 0; stuck < 3 && rounds < 2000; rounds++) {
        ssize_t n = send(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
        stuck = n > 0 ? 0 : stuck + 1;
        if (n <= 0)
            usleep(20000); /* let echod fill its ring and stop reading */
    }
    kill(echod.pid, SIGTERM);
    usleep(300000);
    char *r = get(port, "/healthz", &status);
    cr_expect_eq(status, 503, "%s", r);
    cr_expect(r && strstr(r, "\r\n\r\ndraining\n"), "status %d: %s", status, r ? r : "no answer");
    free(r);
    close(fd);
    cr_expect_eq(sup_wait(&echod, 15000) >= 0, 1, "echod did not exit");
}

Test(metrics, hostile_clients_are_closed_and_counted, .timeout = 30)
{
    int port = start_echod(NULL), status;
    static char big[HTTP_MAX_REQUEST + 100];
    char *r;

    /* garbage (a TLS client hello's first bytes): refused at once */
    r = http(port, "\x16\x03\x01\x02", &status);
    cr_expect_eq(status, 0, "answered garbage: %s", r);
    free(r);
    /* a head past the bound */
    memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
    memset(big + 26, 'a', sizeof(big) - 27);
    r = http(port, big, &status);
    cr_expect_eq(status, 0);
    free(r);
    /* METRICS_MAX_CLIENTS silent clients hold every slot: one more is
     * closed at once; then they time out and are closed too */
    int idle[METRICS_MAX_CLIENTS];
    for (int i = 0; i < METRICS_MAX_CLIENTS; i++) {
        idle[i] = sup_connect("127.0.0.1", port);
        cr_assert_geq(idle[i], 0);
        cr_assert_eq(sup_write_all(idle[i], "GET /metr", 9), 0);
    }
    usleep(200000);
    int extra = sup_connect("127.0.0.1", port);
    char c;
    cr_expect_leq(sup_read_n(extra, &c, 1, 2000), 0, "a fifth client was served");
    close(extra);
    uint64_t t0 = clock_now_ns();
    for (int i = 0; i < METRICS_MAX_CLIENTS; i++) {
        cr_expect_leq(sup_read_n(idle[i], &c, 1, 10000), 0);
        close(idle[i]);
    }
    cr_expect_lt((clock_now_ns() - t0) / CLOCK_NS_PER_MS, 8000, "slow clients held too long");
    r = get(port, "/metrics", &status);
    cr_assert_eq(status, 200, "the endpoint serves again");
    cr_expect_eq(sample(r, "echod_metrics_rejected_total{reason=\"bad_request\"} "), 2, "%s", r);
    cr_expect_eq(sample(r, "echod_metrics_rejected_total{reason=\"busy\"} "), 1);
    cr_expect_eq(sample(r, "echod_metrics_rejected_total{reason=\"timeout\"} "), METRICS_MAX_CLIENTS);
    free(r);
    /* and the echo path never noticed */
    int fd = sup_connect("127.0.0.1", echod.port);
    cr_assert_eq(sup_write_all(fd, "ping", 4), 0);
    char buf[4];
    cr_expect_eq(sup_read_n(fd, buf, 4, 5000), 4);
    close(fd);
    cr_expect_eq(sup_exit_code(sup_stop(&echod, SIGTERM, 15000)), 0);
}

/* ---- a real Prometheus ---- */

/* The value of a one-sample instant query, as Prometheus's API returns
 * it (a JSON string), or -1 while there is none. */
static long long query(int port, const char *promql)
{
    char path[256];
    int status;
    size_t vlen;

    snprintf(path, sizeof(path), "/api/v1/query?query=%s", promql);
    char *r = get(port, path, &status);
    const char *body = r ? strstr(r, "\r\n\r\n") : NULL;
    const char *v = body && status == 200 ? sup_json_find(body + 4, "/data/result/0/value/1", &vlen)
                                          : NULL;
    long long n = v != NULL && vlen > 2 ? strtoll(v + 1, NULL, 10) : -1;
    free(r);
    return n;
}

Test(metrics, prometheus_scrapes_the_accepted_count, .timeout = 60)
{
    if (!sup_tool_ready("prometheus:prometheus"))
        cr_skip_test("prometheus missing and not installable (package prometheus)");
    int mport = start_echod(NULL), pport = sup_free_port();
    const int conns = 7;

    for (int i = 0; i < conns; i++) {
        int fd = sup_connect("127.0.0.1", echod.port);
        char buf[5];
        cr_assert_eq(sup_write_all(fd, "hello", 5), 0);
        cr_assert_eq(sup_read_n(fd, buf, 5, 5000), 5);
        close(fd);
    }
    snprintf(prom_dir, sizeof(prom_dir), "/tmp/echod-prom-XXXXXX");
    cr_assert_not_null(mkdtemp(prom_dir));
    char cfg[128], data[128], listen[64];
    snprintf(cfg, sizeof(cfg), "%s/prometheus.yml", prom_dir);
    snprintf(data, sizeof(data), "--storage.tsdb.path=%s/data", prom_dir);
    snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", pport);
    FILE *f = fopen(cfg, "w");
    cr_assert_not_null(f);
    fprintf(f, "global:\n  scrape_interval: 500ms\n  scrape_timeout: 400ms\n"
               "scrape_configs:\n  - job_name: echod\n    static_configs:\n"
               "      - targets: ['127.0.0.1:%d']\n", mport);
    cr_assert_eq(fclose(f), 0);
    char cfg_arg[160];
    snprintf(cfg_arg, sizeof(cfg_arg), "--config.file=%s", cfg);
    char *argv[] = { "prometheus", cfg_arg, data, listen, "--log.level=warn", NULL };
    uint64_t t0 = clock_now_ns();
    cr_assert_eq(sup_spawn(&prom, "/usr/bin/prometheus", argv), 0);
    long long up = -1, accepted = -1;
    uint64_t end = clock_now_ns() + 30 * CLOCK_NS_PER_SEC;
    while (clock_now_ns() < end && (up != 1 || accepted != conns)) {
        usleep(250000);
        up = query(pport, "up%7Bjob%3D%22echod%22%7D");
        accepted = query(pport, "sum(echod_accepted_total)");
    }
    sup_drain(&prom);
    cr_log_info("Prometheus showed the target up with %lld accepted after %llu ms", accepted,
                (unsigned long long)((clock_now_ns() - t0) / CLOCK_NS_PER_MS));
    cr_expect_eq(up, 1, "target not up; prometheus: %s", prom.err ? prom.err : "");
    cr_expect_eq(accepted, conns, "Prometheus saw %lld accepted, the test made %d", accepted,
                 conns);
    cr_expect_eq(sup_exit_code(sup_stop(&prom, SIGTERM, 15000)), 0);
    cr_expect_eq(sup_exit_code(sup_stop(&echod, SIGTERM, 15000)), 0);
    cr_expect_eq(sup_echod_num(echod.out, "accepted"), conns);
}
