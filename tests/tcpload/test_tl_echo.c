/* test_tl_echo.c - tcpload's echo mode (tl_echo.c) end to end: closed
 * loop, pipelined and threaded, large messages and open loop against
 * bin/echod on an ephemeral port (byte counts must match echod's own), and
 * against helper servers that flip one byte (flipecho) or answer exactly
 * 20 ms late (delayecho: absolute accuracy); stream mode, the same engine
 * writing without waiting, against discard and echo; --response-size
 * against fixedreply; --payload from a file.  Runs are a few hundred
 * milliseconds each; nothing here asserts a speed. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

TestSuite(tl_echo, .init = sup_procs_init, .fini = sup_procs_fini);

/* Stops echod and checks that what it received and sent is exactly what
 * tcpload reported sending and receiving. */
static void assert_echod_saw(struct sup_proc *p, long long sent, long long received)
{
    cr_assert_eq(sup_exit_code(sup_stop(p, SIGTERM, 10000)), 0, "echod: %s", p->err);
    cr_assert_eq(sup_echod_num(p->out, "bytes_in"), sent, "echod: %s", p->out);
    cr_assert_eq(sup_echod_num(p->out, "bytes_out"), received, "echod: %s", p->out);
    sup_free(p);
}

/* An echo run against echod: every message came back, byte-exact, and
 * echod counted the same bytes. */
static void echo_run_matches_echod(const char *size, const char *extra[])
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64];
    int st;

    sup_start_echod(&sup_srv, target, wargs);
    char *out = sup_tcpload(&st, NULL, "echo", target, "-c", "4", "-d", "300ms", "--warmup",
                            "100ms", "-s", size, "--json", extra[0], extra[1], extra[2],
                            extra[3], NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    long long started = sup_json_num(out, "/totals/started");
    long long bytes_out = sup_json_num(out, "/totals/bytes_out");
    cr_assert_gt(started, 0, "%s", out);
    cr_assert_eq(bytes_out, started * atoll(size), "%s", out);
    cr_assert_eq(sup_json_num(out, "/totals/bytes_in"), bytes_out, "%s", out);
    cr_assert_eq(sup_json_num(out, "/totals/unanswered"), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/mismatches/bytes"), 0, "mismatches: %s", out);
    cr_assert_gt(sup_json_num(out, "/messages"), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/connections/opened"), 4, "%s", out);
    assert_echod_saw(&sup_srv, bytes_out, bytes_out);
    free(out);
}

Test(tl_echo, echo_closed_loop_counts_match_echod, .timeout = 60)
{
    const char *extra[] = { NULL, NULL, NULL, NULL };
    echo_run_matches_echod("64", extra);
}

Test(tl_echo, echo_pipeline_and_threads_count_match_echod, .timeout = 60)
{
    const char *extra[] = { "--pipeline", "8", "-t", "2" };
    echo_run_matches_echod("3000", extra);
}

Test(tl_echo, echo_large_messages_count_match_echod, .timeout = 60)
{
    const char *extra[] = { "--pipeline", "2", NULL, NULL };
    echo_run_matches_echod("300000", extra);
}

Test(tl_echo, echo_open_loop_measures_every_scheduled_message, .timeout = 60)
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64];
    int st;

    sup_start_echod(&sup_srv, target, wargs);
    char *out = sup_tcpload(&st, NULL, "echo", target, "-c", "8", "-R", "2000", "-d", "400ms",
                            "--warmup", "100ms", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/rate/requested"), 2000, "%s", out);
    cr_assert_eq(sup_json_num(out, "/config/rate"), 2000, "%s", out);
    /* 2000/s for 400 ms: 800 due in the window, all answered in the drain
     * and every one of them in the histogram. */
    cr_assert_eq(sup_json_num(out, "/rate/scheduled"), 800, "%s", out);
    cr_assert_eq(sup_json_num(out, "/latency_us/message/count"), 800, "%s", out);
    cr_assert_eq(sup_json_num(out, "/totals/unanswered"), 0, "%s", out);
    long long bytes_out = sup_json_num(out, "/totals/bytes_out");
    cr_assert_eq(bytes_out, sup_json_num(out, "/totals/started") * 64, "%s", out);
    assert_echod_saw(&sup_srv, bytes_out, sup_json_num(out, "/totals/bytes_in"));
    free(out);
}

Test(tl_echo, echo_detects_a_flipped_byte, .timeout = 60)
{
    char target[64];
    int st;

    sup_start_helper(&sup_srv, target, "flipecho", "1000", NULL);
    char *out = sup_tcpload(&st, NULL, "echo", target, "-c", "1", "-d", "200ms", "--warmup",
                            "0", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 1, "corruption must exit 1: %s", out);
    cr_assert_eq(sup_json_num(out, "/mismatches/bytes"), 1, "%s", out);
    cr_assert_eq(sup_json_num(out, "/mismatches/first_connection"), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/mismatches/first_offset"), 1000, "%s", out);
    free(out);
    out = sup_tcpload(&st, NULL, "echo", target, "-c", "1", "-d", "100ms", "--warmup", "0", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "only the first connection is corrupted: %s", out);
    cr_assert_neq(strstr(out, "all as sent"), NULL, "%s", out);
    free(out);
    sup_stop(&sup_srv, SIGKILL, 5000);
    sup_free(&sup_srv);
}

/* Against a server that answers every byte exactly delay_ms after it
 * arrived: no latency can be below the delay (the min is exact, not a
 * bucket edge), and the median lies a little above it, under p50_max_ms
 * (generous for a busy machine; nothing here is a speed).  Open loop
 * measures from each scheduled time, or from the queueing of a message
 * sent ahead of it, neither ever after the send. */
static void delay_accuracy(int delay_ms, const char *conns, double p50_max_ms,
                           const char *extra[4])
{
    char target[64], delay[16];
    int st;

    snprintf(delay, sizeof(delay), "%d", delay_ms);
    sup_start_helper(&sup_srv, target, "delayecho", delay, NULL);
    char *out = sup_tcpload(&st, NULL, "echo", target, "-c", conns, "-d", "1s", "--warmup",
                            "200ms", "--json", extra[0], extra[1], extra[2], extra[3], NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    size_t len;
    const char *min = sup_json_find(out, "/latency_us/message/min", &len);
    const char *p50 = sup_json_find(out, "/latency_us/message/p50", &len);
    cr_assert(min != NULL && p50 != NULL, "%s", out);
    cr_assert_geq(strtod(min, NULL), delay_ms * 1000.0, "below the server's delay: %s", out);
    cr_assert_lt(strtod(p50, NULL), p50_max_ms * 1000, "median far above the delay: %s", out);
    cr_assert_gt(sup_json_num(out, "/latency_us/message/count"), 50, "%s", out);
    free(out);
    sup_stop(&sup_srv, SIGKILL, 5000);
    sup_free(&sup_srv);
}

Test(tl_echo, delay_server_pins_closed_loop_accuracy, .timeout = 60)
{
    const char *extra[] = { NULL, NULL, NULL, NULL };
    delay_accuracy(20, "4", 35, extra);
}

Test(tl_echo, delay_server_pins_open_loop_accuracy, .timeout = 60)
{
    const char *extra[] = { "-R", "400", NULL, NULL };
    delay_accuracy(20, "4", 35, extra);
}

/* At 4000/s on 4 connections a send is due every 250 us, so the loop naps
 * between sends and reads the replies only after the next one: each
 * message still completes at the kernel's receive time of its reply. */
Test(tl_echo, delay_server_pins_open_loop_accuracy_when_napping, .timeout = 60)
{
    const char *extra[] = { "-R", "4000", NULL, NULL };
    delay_accuracy(20, "4", 35, extra);
}

/* At 200/s with --slack 20ms a wakeup sends four messages, three of them
 * 5 to 15 ms ahead of their time.  Counted from their scheduled times they
 * would come in under 20 ms; sent late by up to the slack instead, the
 * median would be near 30 ms.  Counted from when they were queued, the
 * slack adds neither. */
Test(tl_echo, delay_server_open_loop_slack_adds_nothing_and_hides_nothing, .timeout = 60)
{
    const char *extra[] = { "-R", "200", "--slack", "20ms" };
    delay_accuracy(20, "4", 25, extra);
}

/* One connection at 4000/s with --slack 2ms: 600 messages in flight
 * behind a 150 ms delay, more than the 512 queue times it keeps (100 ms
 * of its messages), so most count from the earliest time they can have
 * been queued (the slack before their due time), never from later. */
Test(tl_echo, delay_server_open_loop_beyond_the_kept_queue_times, .timeout = 60)
{
    const char *extra[] = { "-R", "4000", "--slack", "2ms" };
    delay_accuracy(150, "1", 165, extra);
}

/* stream mode (the echo engine writing without waiting): against a
 * discard server every byte written arrives there, counted the same by
 * echod; against an echo server what comes back is checked. */
Test(tl_echo, stream_writes_without_waiting, .timeout = 60)
{
    static const char *const dargs[] = { "-w", "1", "--mode", "discard", NULL };
    static const char *const eargs[] = { "-w", "1", NULL };
    char target[64];
    int st;

    sup_start_echod(&sup_srv, target, dargs);
    char *out = sup_tcpload(&st, NULL, "stream", target, "-c", "2", "-d", "300ms", "--warmup",
                            "100ms", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert(sup_json_is(out, "/mode", "\"stream\""), "%s", out);
    long long sent = sup_json_num(out, "/totals/bytes_out");
    cr_assert_gt(sent, 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/totals/bytes_in"), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/messages"), 0, "%s", out);
    cr_assert_neq(strncmp(sup_json_find(out, "/mb_per_s_out", &(size_t){ 0 }), "0.000000", 8), 0,
                  "%s", out);
    /* The 300 ms window is three quarters of the run: a connection that
     * wrote through the whole window in one turn (a sink that keeps up
     * never fills the socket) left it empty or short. */
    cr_assert_geq(sup_json_num(out, "/counters/win_out") * 4, sent, "%s", out);
    cr_assert_eq(sup_exit_code(sup_stop(&sup_srv, SIGTERM, 10000)), 0);
    cr_assert_eq(sup_echod_num(sup_srv.out, "bytes_in"), sent, "%s", sup_srv.out);
    sup_free(&sup_srv);
    free(out);
    sup_start_echod(&sup_srv, target, eargs);
    out = sup_tcpload(&st, NULL, "stream", target, "-c", "2", "-d", "200ms", "--warmup", "0",
                      NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert_neq(strstr(out, " bytes back (checked as an echo), all as sent\n"), NULL, "%s", out);
    free(out);
}

/* --response-size: a server that answers each 100-byte message with 7
 * bytes of its own; every message completes (by size), none is compared. */
Test(tl_echo, response_size_counts_replies_by_size, .timeout = 60)
{
    char target[64];
    int st;

    sup_start_helper(&sup_srv, target, "fixedreply", "100", "7", NULL);
    char *out = sup_tcpload(&st, NULL, "echo", target, "-c", "2", "-s", "100",
                            "--response-size", "7", "--pipeline", "3", "-d", "200ms",
                            "--warmup", "0", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    long long started = sup_json_num(out, "/totals/started");
    cr_assert_gt(started, 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/totals/bytes_in"), started * 7, "%s", out);
    cr_assert_eq(sup_json_num(out, "/totals/unanswered"), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/mismatches/bytes"), 0, "nothing compared: %s", out);
    cr_assert_eq(sup_json_num(out, "/config/response_size"), 7, "%s", out);
    free(out);
    out = sup_tcpload(&st, NULL, "echo", target, "-c", "1", "-s", "100", "-d", "100ms",
                      "--warmup", "0", "--timeout", "200ms", NULL);
    cr_assert_eq(sup_exit_code(st), 1, "without --response-size the replies are short: %s", out);
    free(out);
    sup_stop(&sup_srv, SIGKILL, 5000);
    sup_free(&sup_srv);
}

/* --payload FILE: every message is the file's bytes, and the echo is
 * still compared with them: echod passes, a flipped byte is caught. */
Test(tl_echo, payload_from_a_file_is_sent_and_checked, .timeout = 60)
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64], path[] = "/tmp/tl-payload-XXXXXX";
    static const char body[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    int st, fd = mkstemp(path);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, body, sizeof(body) - 1), (ssize_t)(sizeof(body) - 1));
    close(fd);
    sup_start_echod(&sup_srv, target, wargs);
    char *out = sup_tcpload(&st, NULL, "echo", target, "-c", "2", "-d", "200ms", "--warmup",
                            "0", "--payload", path, "--pipeline", "3", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/config/size"), (long long)sizeof(body) - 1, "%s", out);
    cr_assert_eq(sup_json_num(out, "/totals/bytes_out"),
                 sup_json_num(out, "/totals/started") * (long long)(sizeof(body) - 1), "%s", out);
    cr_assert_eq(sup_json_num(out, "/mismatches/bytes"), 0, "%s", out);
    free(out);
    sup_stop(&sup_srv, SIGTERM, 10000);
    sup_free(&sup_srv);
    sup_start_helper(&sup_srv, target, "flipecho", "40", NULL);
    out = sup_tcpload(&st, NULL, "echo", target, "-c", "1", "-d", "200ms", "--warmup", "0",
                      "--payload", path, "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 1, "%s", out);
    cr_assert_eq(sup_json_num(out, "/mismatches/bytes"), 1, "%s", out);
    cr_assert_eq(sup_json_num(out, "/mismatches/first_offset"), 40, "%s", out);
    free(out);
    unlink(path);
    sup_stop(&sup_srv, SIGKILL, 5000);
    sup_free(&sup_srv);
}
