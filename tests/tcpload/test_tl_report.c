/* test_tl_report.c - tcpload's report: number formats, the exit status it
 * implies, what the human summary says about corruption, EADDRNOTAVAIL and
 * an unkept rate, the --json report (read by path, and one pinned byte for
 * byte, since scripts and the bench harness read it), and the --histogram
 * file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"
#include "tl_report.h"
#include "version.h"

static struct tl_stats st;
static struct tl_opts o;
static struct tl_sys sys;
static char *argv_[] = { "tcpload", "echo", "127.0.0.1:7007", "--weird=\"q\"\\", NULL };

static void setup(void)
{
    char err[128];
    cr_assert_eq(tl_opts_parse(&o, 3, argv_, err, sizeof(err)), TL_OPTS_RUN, "%s", err);
    o.argc = 4;
    tl_stats_init(&st);
    memset(&sys, 0, sizeof(sys));
    strcpy(sys.kernel, "6.1.0-test");
    sys.port_lo = 32768;
    sys.port_hi = 60999;
    sys.tw_reuse = 2;
    sys.somaxconn = 4096;
    sys.nofile = sys.nofile_hard = 20000;
    st.conns_ok = 10;
}

TestSuite(tl_report, .init = setup);

/* Renders the report into a string. */
static char *render(int json, const struct tl_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (json)
        tl_report_json(f, r);
    else
        tl_report_human(f, r);
    fclose(f);
    return buf;
}

Test(tl_report, durations_with_three_digits)
{
    char b[32];
    cr_assert_str_eq(tl_fmt_ns(b, sizeof(b), 850), "850ns");
    cr_assert_str_eq(tl_fmt_ns(b, sizeof(b), 45123), "45.1us");
    cr_assert_str_eq(tl_fmt_ns(b, sizeof(b), 1250000), "1.25ms");
    cr_assert_str_eq(tl_fmt_ns(b, sizeof(b), 210000), "210us");
    cr_assert_str_eq(tl_fmt_ns(b, sizeof(b), 2100000000), "2.10s");
    cr_assert_str_eq(tl_fmt_ns(b, sizeof(b), 0), "0ns");
}

Test(tl_report, exit_status)
{
    struct tl_result r = { &o, &sys, &st, 1000000000, NULL };
    cr_assert_eq(tl_report_exit_status(&r), 0);
    st.bad_bytes = 1;
    cr_assert_eq(tl_report_exit_status(&r), 1, "corrupted");
    st.bad_bytes = 0;
    st.conns_ok = 0;
    cr_assert_eq(tl_report_exit_status(&r), 1, "no connection");
    st.conns_ok = 1;
    r.failure = "epoll_create1: EMFILE";
    cr_assert_eq(tl_report_exit_status(&r), 1, "run failed");
}

Test(tl_report, human_summary_of_an_echo_run)
{
    struct tl_result r = { &o, &sys, &st, 2000000000, NULL };
    st.done = 200000;
    st.win_out = st.win_in = 200000 * 64;
    for (int i = 0; i < 1000; i++)
        tl_hist_record(&st.lat[TL_LAT_MESSAGE], 40000 + (uint64_t)i);
    st.bad_bytes = 3;
    st.bad_msgs = 2;
    st.bad_conn = 7;
    st.bad_offset = 4096;
    char *out = render(0, &r);
    cr_assert_neq(strstr(out, "messages      200000 in the window, 100000.0/s\n"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "throughput    6.40 MB/s out, 6.40 MB/s in\n"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "p50 40.7us"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "max 41.0us"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "CORRUPTED: 3 bytes differ in 2 messages (first: connection 7, "
                              "stream offset 4096)"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "errors        none\n"), NULL, "%s", out);
    free(out);
}

Test(tl_report, eaddrnotavail_says_what_helps)
{
    struct tl_result r = { &o, &sys, &st, 1000000000, NULL };
    o.mode = TL_MODE_CONNECT;
    st.errors[EADDRNOTAVAIL] = 1234;
    st.errors[ECONNREFUSED] = 1;
    char *out = render(0, &r);
    cr_assert_neq(strstr(out, "EADDRNOTAVAIL 1234, ECONNREFUSED 1"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "28232 ephemeral ports"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "--source 127.0.0.2-127.0.0.254"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "--linger0"), NULL, "%s", out);
    free(out);
    out = render(1, &r);
    cr_assert_eq(sup_json_num(out, "/errors/EADDRNOTAVAIL"), 1234, "%s", out);
    cr_assert_eq(sup_json_num(out, "/errors/ECONNREFUSED"), 1, "%s", out);
    free(out);
}

Test(tl_report, rate_not_kept_is_said_not_hidden)
{
    struct tl_result r = { &o, &sys, &st, 1000000000, NULL };
    o.rate = 100000;
    st.scheduled = 100000;
    st.done = 60000;
    char *out = render(0, &r);
    cr_assert_neq(strstr(out, "NOT KEPT: requested 100000/s"), NULL, "%s", out);
    cr_assert_neq(strstr(out, "the server did not keep up"), NULL, "%s", out);
    free(out);
    st.done = 100000;
    st.late = 5000;
    out = render(0, &r);
    cr_assert_neq(strstr(out, "tcpload could not send on schedule"), NULL, "%s", out);
    free(out);
    out = render(1, &r);
    cr_assert(sup_json_is(out, "/rate/kept", "false"), "%s", out);
    cr_assert(sup_json_is(out, "/rate/verdict", "\"sends_late\""), "%s", out);
    free(out);
}

Test(tl_report, json_escapes_the_command_line)
{
    struct tl_result r = { &o, &sys, &st, 1000000000, NULL };
    char *out = render(1, &r);
    cr_assert(sup_json_is(out, "/argv/3", "\"--weird=\\\"q\\\"\\\\\""), "%s", out);
    cr_assert(sup_json_is(out, "/system/kernel", "\"6.1.0-test\""), "%s", out);
    cr_assert(sup_json_is(out, "/system/ip_local_port_range", "\"32768 60999\""), "%s", out);
    cr_assert_eq(sup_json_num(out, "/system/tcp_tw_reuse"), 2, "%s", out);
    cr_assert_eq(sup_json_num(out, "/system/somaxconn"), 4096, "%s", out);
    cr_assert_eq(sup_json_num(out, "/system/ulimit_n"), 20000, "%s", out);
    cr_assert_eq(out[strlen(out) - 1], '\n');
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line");
    free(out);
}

Test(tl_report, histogram_file_rows)
{
    struct tl_result r = { &o, &sys, &st, 1000000000, NULL };
    char path[] = "/tmp/tl-report-XXXXXX", line[128];
    int fd = mkstemp(path);
    uint64_t total = 0;
    double last = 0;

    cr_assert_geq(fd, 0);
    close(fd);
    for (uint64_t v = 1000; v < 2000000; v *= 2)
        tl_hist_record(&st.lat[TL_LAT_MESSAGE], v);
    cr_assert_eq(tl_report_histogram(path, &r), 0);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        double v, pct;
        unsigned long n;
        if (line[0] == '#')
            continue;
        cr_assert_eq(sscanf(line, "%lf %lu %lf", &v, &n, &pct), 3, "%s", line);
        total += n;
        last = pct;
    }
    fclose(f);
    unlink(path);
    cr_assert_eq(total, st.lat[TL_LAT_MESSAGE].count);
    cr_assert_float_eq(last, 100.0, 1e-9);
    cr_assert_eq(tl_report_histogram("/nonexistent/dir/h", &r), -ENOENT);
}

/* The whole --json report of an open-loop echo run with corruption, byte
 * for byte: key order, nesting and number formats are what scripts and
 * bench/harness read. */
Test(tl_report, json_report_is_pinned_byte_for_byte)
{
    struct tl_result r = { &o, &sys, &st, 2000000123, "x" };
    o.rate = 1000;
    st.done = 123457;
    st.win_out = 9876543;
    st.win_in = 9876541;
    st.scheduled = 130000;
    st.late = 77;
    st.max_lag_ns = 1234567;
    st.started = 200001;
    st.bytes_out = 12345678901ULL;
    st.bytes_in = 12345678900ULL;
    st.bad_bytes = 3;
    st.bad_msgs = 2;
    st.bad_conn = 7;
    st.bad_offset = 4096;
    st.errors[ECONNREFUSED] = 5;
    st.errors[TL_ERR_EOF] = 1;
    for (uint64_t i = 0; i < 1000; i++)
        tl_hist_record(&st.lat[TL_LAT_MESSAGE], 40000 + i * 37);
    static const char want[] =
        "{\"tool\":\"tcpload\",\"version\":\"" TOOLKIT_VERSION "\",\"argv\":[\"tcpload\",\"echo\","
        "\"127.0.0.1:7007\",\"--weird=\\\"q\\\"\\\\\"],\"mode\":\"echo\","
        "\"target\":\"127.0.0.1:7007\",\"system\":{\"kernel\":\"6.1.0-test\","
        "\"ip_local_port_range\":\"32768 60999\",\"tcp_tw_reuse\":2,\"somaxconn\":4096,"
        "\"ulimit_n\":20000,\"ulimit_n_hard\":20000},\"config\":{\"connections\":10,"
        "\"threads\":1,\"duration_s\":10.000,\"warmup_s\":1.000,\"timeout_s\":5.000,"
        "\"size\":64,\"pipeline\":1,\"rate\":1000,\"open_loop\":true},\"duration_s\":2.000000,"
        "\"connections\":{\"opened\":10,\"failed\":0,\"lost\":0,\"held\":0},"
        "\"messages\":123457,\"per_second\":61728.496,\"mb_per_s_out\":4.938271,"
        "\"mb_per_s_in\":4.938270,\"latency_us\":{\"message\":{\"count\":1000,\"min\":40.000,"
        "\"mean\":58.481,\"p50\":58.623,\"p90\":73.727,\"p99\":76.799,\"p99.9\":76.963,"
        "\"p99.99\":76.963,\"max\":76.963}},\"rate\":{\"requested\":1000,\"scheduled\":130000,"
        "\"done\":123457,\"late\":77,\"max_lag_us\":1234.567,\"kept\":false,"
        "\"verdict\":\"replies_behind\"},\"errors\":{\"ECONNREFUSED\":5,\"EOF\":1},"
        "\"mismatches\":{\"bytes\":3,\"messages\":2,\"first_connection\":7,"
        "\"first_offset\":4096},\"totals\":{\"started\":200001,\"bytes_out\":12345678901,"
        "\"bytes_in\":12345678900,\"unanswered\":0,\"pings\":0},\"failure\":\"x\","
        "\"exit_status\":1}\n";
    char *out = render(1, &r);
    cr_assert_str_eq(out, want);
    free(out);
}
