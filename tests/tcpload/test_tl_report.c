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

/* A result with a fixed host and time, so the report is reproducible. */
#define RESULT(elapsed, why)                                                \
    { .o = &o, .sys = &sys, .s = &st, .elapsed_ns = (elapsed), .failure = (why), \
      .host = "testhost", .now_ns = 1767225600123456789ULL }

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
    struct tl_result r = RESULT(1000000000, NULL);
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
    struct tl_result r = RESULT(2000000000, NULL);
    st.measured = 200000;
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

/* Audit item 8: "1 connections" in the first line. */
Test(tl_report, the_first_line_says_1_connection_not_1_connections)
{
    struct tl_result r = RESULT(2000000000, NULL);
    o.conns = 1;
    char *out = render(0, &r);
    cr_assert_eq(strncmp(out, "tcpload echo 127.0.0.1:7007: 1 connection, 1 thread, ", 53), 0,
                 "%s", out);
    free(out);
    o.mode = TL_MODE_STREAM;
    out = render(0, &r);
    cr_assert_eq(strncmp(out, "tcpload stream 127.0.0.1:7007: 1 connection, 1 thread, ", 55), 0,
                 "%s", out);
    free(out);
    o.mode = TL_MODE_ECHO;
    o.conns = 2;
    out = render(0, &r);
    cr_assert_eq(strncmp(out, "tcpload echo 127.0.0.1:7007: 2 connections, ", 44), 0, "%s", out);
    free(out);
}

Test(tl_report, eaddrnotavail_says_what_helps)
{
    struct tl_result r = RESULT(1000000000, NULL);
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
    struct tl_result r = RESULT(1000000000, NULL);
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
    struct tl_result r = RESULT(1000000000, NULL);
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

/* Reads an .hgrm file as HdrHistogram's percentile distribution format
 * documents it: a header line, a blank line, rows "Value Percentile
 * TotalCount 1/(1-Percentile)" (the last, at percentile 1, without the
 * fourth column), then the #[Mean, #[Max and #[Buckets footers.  Checks
 * that the rows climb to the whole count and returns the number of rows;
 * *max_us and *count get the #[Max footer's values. */
static int parse_hgrm(FILE *f, double *max_us, unsigned long *count)
{
    char line[256];
    double prev_v = -1, prev_p = -1, mean, sd;
    unsigned long prev_n = 0;
    int rows = 0, last = 0;

    cr_assert_not_null(fgets(line, sizeof(line), f));
    cr_assert_str_eq(line, "       Value     Percentile TotalCount 1/(1-Percentile)\n");
    cr_assert_not_null(fgets(line, sizeof(line), f));
    cr_assert_str_eq(line, "\n");
    while (fgets(line, sizeof(line), f) != NULL && line[0] != '#') {
        double v, p, inv;
        unsigned long n;
        int k = sscanf(line, "%lf %lf %lu %lf", &v, &p, &n, &inv);
        cr_assert(!last, "a row after the 100%% row: %s", line);
        cr_assert(k == 4 || (k == 3 && p == 1.0), "bad row: %s", line);
        cr_assert(line[0] == ' ' && strlen(line) > 37, "columns right-aligned: %s", line);
        cr_assert(v >= prev_v && p > prev_p && n >= prev_n, "rows climb: %s", line);
        cr_assert(p >= 0 && p <= 1.0, "%s", line);
        if (k == 4)
            cr_assert_float_eq(inv, 1.0 / (1.0 - p), 0.01 * inv + 0.01, "%s", line);
        last = k == 3;
        prev_v = v;
        prev_p = p;
        prev_n = n;
        rows++;
    }
    cr_assert(last, "the last row is at percentile 1");
    cr_assert_eq(sscanf(line, "#[Mean    = %lf, StdDeviation   = %lf]", &mean, &sd), 2, "%s", line);
    cr_assert_not_null(fgets(line, sizeof(line), f));
    cr_assert_eq(sscanf(line, "#[Max     = %lf, Total count    = %lu]", max_us, count), 2, "%s", line);
    cr_assert_eq(*count, prev_n, "the last row holds every sample");
    cr_assert_float_eq(*max_us, prev_v, 1e-9);
    cr_assert_not_null(fgets(line, sizeof(line), f));
    cr_assert_eq(strncmp(line, "#[Buckets = ", 12), 0, "%s", line);
    return rows;
}

Test(tl_report, histogram_file_is_hdrhistogram_percentile_format)
{
    struct tl_result r = RESULT(1000000000, NULL);
    double max_us;
    unsigned long count;

    for (uint64_t v = 1; v <= 100000; v++)
        tl_hist_record(&st.lat[TL_LAT_MESSAGE], 10000 + v * 10); /* 10.01us .. 1.01ms */
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    int fd = dup(fileno(f));
    cr_assert_eq(tl_report_histogram(f, &r), 0);
    f = fdopen(fd, "r");
    rewind(f);
    int rows = parse_hgrm(f, &max_us, &count);
    fclose(f);
    cr_assert_eq(count, 100000);
    cr_assert_float_eq(max_us, 1010.0, 1e-9);
    /* Five rows per halving of the distance to 100%, until the last bucket
     * (about 8 us wide at 1 ms: the top 0.8% of these samples) ends it at
     * level 1: 0..50% in 6 rows, then 5 per halving for about 7 halvings. */
    cr_assert(rows > 35 && rows < 60, "%d rows", rows);
}

Test(tl_report, histogram_of_no_samples_still_parses_its_footers)
{
    struct tl_result r = RESULT(1000000000, NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    cr_assert_eq(tl_report_histogram(f, &r), 0);
    cr_assert_neq(strstr(buf, "#[Max     =        0.000, Total count    =            0]\n"),
                  NULL, "%s", buf);
    free(buf);
}

Test(tl_report, unanswered_messages_fail_the_run_with_a_sentence)
{
    struct tl_result r = RESULT(1000000000, NULL);
    char why[256];

    st.started = 50;
    st.unanswered = 50;
    tl_report_judge(&r, why, sizeof(why));
    cr_assert_not_null(r.failure);
    cr_assert_str_eq(r.failure, "50 messages went unanswered (of 50 sent): no reply came "
                     "within --timeout; it sent nothing back at all (a discard server?)");
    cr_assert_eq(tl_report_exit_status(&r), 1);
    r.failure = NULL;
    st.bytes_in = 64; /* some replies came: no word of a discard server */
    tl_report_judge(&r, why, sizeof(why));
    cr_assert_str_eq(r.failure, "50 messages went unanswered (of 50 sent): no reply came "
                     "within --timeout");
    r.failure = NULL;
    st.unanswered = 0;
    tl_report_judge(&r, why, sizeof(why));
    cr_assert_null(r.failure, "a run with every reply is no failure");
    st.conns_ok = 0;
    tl_report_judge(&r, why, sizeof(why));
    cr_assert_str_eq(r.failure, "no connection could be made");
    char *out = render(1, &r);
    cr_assert(sup_json_is(out, "/failure", "\"no connection could be made\""), "%s", out);
    free(out);
}

/* connect mode reads until EOF by default: against a server that never
 * closes, every transaction times out, and the sentence says why; with
 * --expect the same failure has no such hint. */
Test(tl_report, unanswered_transactions_until_eof_point_at_expect)
{
    struct tl_result r = RESULT(1000000000, NULL);
    char why[512];

    o.mode = TL_MODE_CONNECT;
    o.expect_eof = true;
    st.started = 3;
    st.unanswered = 1;
    tl_report_judge(&r, why, sizeof(why));
    cr_assert_str_eq(r.failure, "1 transactions went unanswered (of 3 sent): no reply came "
                     "within --timeout; without --expect a transaction ends when the server "
                     "closes, and a server that keeps connections open (an echo server) never "
                     "does: give it --send N --expect N");
    r.failure = NULL;
    o.expect_eof = false;
    o.expect = 4;
    tl_report_judge(&r, why, sizeof(why));
    cr_assert_str_eq(r.failure, "1 transactions went unanswered (of 3 sent): no reply came "
                     "within --timeout");
}

Test(tl_report, a_banner_instead_of_an_echo_gets_a_hint)
{
    struct tl_result r = RESULT(1000000000, NULL);

    st.bad_bytes = 6;
    st.bad_msgs = 1;
    st.bad_conn = 0;
    st.bad_offset = 0;
    char *out = render(0, &r);
    cr_assert_neq(strstr(out, "the server may not be an echo server"), NULL, "%s", out);
    free(out);
}

/* Every mode's report has the same keys: only their values differ. */
Test(tl_report, json_keys_do_not_depend_on_the_mode)
{
    struct tl_result r = RESULT(1000000000, NULL);
    static const char *const keys[] = {
        "/type", "/schema", "/host", "/timestamp", "/window_start", "/messages",
        "/transactions", "/latency_us/message/p99", "/latency_us/connect/count",
        "/latency_us/first_byte/max", "/latency_us/transaction/mean", "/rate/verdict",
        "/config/size", "/config/send", "/config/expect", "/config/connect_rate",
        "/mismatches/first_offset", "/cpu/user_s", "/counters/measured",
        "/histograms/message/buckets", "/inputs", "/failure", "/exit_status",
    };
    size_t len;

    for (int m = TL_MODE_ECHO; m <= TL_MODE_HOLD; m++) {
        o.mode = (enum tl_mode)m;
        char *out = render(1, &r);
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            cr_assert_not_null(sup_json_find(out, keys[i], &len), "%s mode lacks %s: %s",
                               tl_opts_mode_name(o.mode), keys[i], out);
        cr_assert(sup_json_is(out, "/host", "\"testhost\""), "%s", out);
        cr_assert(sup_json_is(out, "/timestamp", "\"2026-01-01T00:00:00.123456Z\""), "%s", out);
        free(out);
    }
}

Test(tl_report, interval_lines_are_json_lines)
{
    static struct tl_ival_sum sum;
    struct tl_interval_line l = { &sum, -500000000, 0, 250000000, "warmup" };
    char *buf = NULL;
    size_t len = 0;

    tl_hist_init(&sum.lat);
    sum.index = -1;
    sum.done = 500;
    sum.bytes_in = 32000;
    for (int i = 0; i < 500; i++)
        tl_hist_record(&sum.lat, 40000);
    o.json = true;
    FILE *f = open_memstream(&buf, &len);
    tl_report_interval(f, &o, &l);
    fclose(f);
    cr_assert_str_eq(buf, "{\"type\":\"interval\",\"index\":-1,\"start_s\":-0.500000,"
                     "\"end_s\":0.000000,\"phase\":\"warmup\",\"completed\":500,"
                     "\"per_second\":2000.000,\"mb_per_s_out\":0.000000,"
                     "\"mb_per_s_in\":0.128000,\"errors\":0,\"latency_us\":{\"message\":"
                     "{\"count\":500,\"min\":40.000,\"mean\":40.000,\"p50\":40.000,"
                     "\"p90\":40.000,\"p99\":40.000,\"p99.9\":40.000,\"p99.99\":40.000,"
                     "\"max\":40.000}}}\n");
    free(buf);
}

/* The whole --json report of an open-loop echo run with corruption, byte
 * for byte: key order, nesting and number formats are what scripts and
 * bench/harness read. */
Test(tl_report, json_report_is_pinned_byte_for_byte)
{
    struct tl_result r = RESULT(2000000123, "x");
    o.rate = 1000;
    st.measured = 129000;
    st.done = 123457;
    st.unanswered = 1000;
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
        tl_hist_record(&st.lat[TL_LAT_MESSAGE], 40000 + i % 4 * 3700);
    r.wall_start_ns = 1767225598000000000ULL;
    r.wall_end_ns = 1767225600000000123ULL;
    r.cpu_user_ns = 250000000;
    r.cpu_sys_ns = 750000000;
    r.cpu_sleeps = 40;
    r.warmup_ns = 1000000000;
    strcpy(r.run_id, "00112233445566778899aabbccddeeff");
    static const char want[] =
        "{\"type\":\"summary\",\"tool\":\"tcpload\",\"schema\":2,\"version\":\"1.0.0\",\"host\":\"testhost\","
        "\"timestamp\":\"2026-01-01T00:00:00.123456Z\",\"timestamp_unix_s\":1767225600.123457,"
        "\"run_id\":\"00112233445566778899aabbccddeeff\","
        "\"argv\":[\"tcpload\",\"echo\",\"127.0.0.1:7007\",\"--weird=\\\"q\\\"\\\\\"],\"mode\":\"echo\","
        "\"target\":\"127.0.0.1:7007\",\"system\":{\"kernel\":\"6.1.0-test\",\"ip_local_port_range\":\"32768 60999\","
        "\"tcp_tw_reuse\":2,\"somaxconn\":4096,\"ulimit_n\":20000,\"ulimit_n_hard\":20000},\"config\":{\"connections\":10,"
        "\"threads\":1,\"duration_s\":10.000,\"warmup_s\":1.000,\"timeout_s\":5.000,\"size\":64,\"response_size\":0,\"payload\":null,"
        "\"pipeline\":1,\"rate\":1000,\"open_loop\":true,\"slack_us\":200.000,\"send\":0,\"expect\":null,"
        "\"connect_rate\":0,\"ping_interval_s\":0.000,\"source_addresses\":0,\"linger0\":false,"
        "\"interval_s\":0.000},\"window_start\":\"2025-12-31T23:59:58.000000Z\",\"window_start_unix_s\":1767225598.000000,"
        "\"window_end\":\"2026-01-01T00:00:00.000000Z\",\"window_end_unix_s\":1767225600.000000,"
        "\"duration_s\":2.000000,\"warmup_s\":1.000000,\"connections\":{\"opened\":10,\"failed\":0,\"lost\":0,\"held\":0},"
        "\"messages\":129000,\"transactions\":0,\"per_second\":64499.996,\"mb_per_s_out\":4.938271,"
        "\"mb_per_s_in\":4.938270,\"latency_us\":{\"message\":{\"count\":1000,\"min\":40.000,"
        "\"mean\":45.550,\"p50\":43.775,\"p90\":51.100,\"p99\":51.100,\"p99.9\":51.100,\"p99.99\":51.100,"
        "\"max\":51.100},\"connect\":{\"count\":0,\"min\":null,\"mean\":null,\"p50\":null,\"p90\":null,"
        "\"p99\":null,\"p99.9\":null,\"p99.99\":null,\"max\":null},\"first_byte\":{\"count\":0,"
        "\"min\":null,\"mean\":null,\"p50\":null,\"p90\":null,\"p99\":null,\"p99.9\":null,\"p99.99\":null,"
        "\"max\":null},\"transaction\":{\"count\":0,\"min\":null,\"mean\":null,\"p50\":null,\"p90\":null,"
        "\"p99\":null,\"p99.9\":null,\"p99.99\":null,\"max\":null}},\"rate\":{\"requested\":1000,"
        "\"scheduled\":130000,\"done\":123457,\"late\":77,\"max_lag_us\":1234.567,\"kept\":false,"
        "\"verdict\":\"replies_behind\"},\"errors\":{\"ECONNREFUSED\":5,\"EOF\":1},\"mismatches\":{\"bytes\":3,"
        "\"messages\":2,\"first_connection\":7,\"first_offset\":4096},\"totals\":{\"started\":200001,"
        "\"bytes_out\":12345678901,\"bytes_in\":12345678900,\"unanswered\":1000,\"pings\":0},"
        "\"cpu\":{\"user_s\":0.250000,\"system_s\":0.750000,\"us_per_unit\":5.000,\"sleeps\":40},\"counters\":{\"conns_ok\":10,"
        "\"conns_failed\":0,\"conns_lost\":0,\"conns_held\":0,\"measured\":129000,\"done\":123457,"
        "\"started\":200001,\"unanswered\":1000,\"bytes_out\":12345678901,\"bytes_in\":12345678900,"
        "\"win_out\":9876543,\"win_in\":9876541,\"scheduled\":130000,\"late\":77,\"max_lag_ns\":1234567,"
        "\"bad_bytes\":3,\"bad_msgs\":2,\"bad_conn\":7,\"bad_offset\":4096,\"pings\":0},\"histograms\":{\"message\":{\"count\":1000,"
        "\"min_ns\":40000,\"max_ns\":51100,\"sum_ns\":45550000,\"buckets\":[1180,250,1194,250,"
        "1209,250,1223,250]},\"connect\":{\"count\":0,\"min_ns\":0,\"max_ns\":0,\"sum_ns\":0,"
        "\"buckets\":[]},\"first_byte\":{\"count\":0,\"min_ns\":0,\"max_ns\":0,\"sum_ns\":0,\"buckets\":[]},"
        "\"transaction\":{\"count\":0,\"min_ns\":0,\"max_ns\":0,\"sum_ns\":0,\"buckets\":[]}},"
        "\"inputs\":[],\"failure\":\"x\",\"exit_status\":1}\n";
    char *out = render(1, &r);
    cr_assert_str_eq(out, want);
    free(out);
}
