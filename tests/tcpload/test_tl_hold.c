/* test_tl_hold.c - tcpload's hold mode (tl_hold.c) end to end: --source
 * spreads the held connections over addresses (checked with ss) and SIGINT
 * ends the run early with a full report; connections echod drops at its
 * idle timeout are counted lost, pings keep them held, and their replies
 * are checked byte for byte (against flipecho). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

TestSuite(tl_hold, .init = sup_procs_init, .fini = sup_procs_fini);

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

Test(tl_hold, source_spreads_connections_over_addresses_and_sigint_ends_early,
     .timeout = 60)
{
    static const char *const wargs[] = { "-w", "1", NULL };
    char target[64], *path = sup_bin("tcpload"), *seen = NULL;
    int st;

    sup_start_echod(&sup_srv, target, wargs);
    char *const argv[] = { "tcpload", "hold", target, "-c", "6", "-d", "20s",
                           "--source", "127.0.0.2-127.0.0.4", "--json", NULL };
    cr_assert_eq(sup_spawn(&sup_load, path, argv), 0);
    free(path);
    for (int i = 0; i < 100 && sup_count_lines(seen) < 6; i++) {
        free(seen);
        usleep(50000);
        seen = ss_clients(sup_srv.port);
    }
    cr_assert_eq(sup_count_lines(seen), 6, "ss shows: %s", seen);
    for (int a = 2; a <= 4; a++) {
        char addr[32];
        snprintf(addr, sizeof(addr), "127.0.0.%d:", a);
        const char *p = strstr(seen, addr);
        cr_assert_not_null(p, "no connection from %s in: %s", addr, seen);
        cr_assert_not_null(strstr(p + 1, addr), "one connection only from %s: %s", addr, seen);
    }
    free(seen);
    usleep(300000); /* tcpload sees them open a moment after the kernel does */
    /* SIGINT ends the 20 s hold now, with a full report. */
    st = sup_stop(&sup_load, SIGINT, 10000);
    cr_assert_eq(sup_exit_code(st), 0, "%s %s", sup_load.out, sup_load.err);
    cr_assert_eq(sup_json_num(sup_load.out, "/connections/held"), 6, "%s", sup_load.out);
    size_t len;
    const char *measured = sup_json_find(sup_load.out, "/duration_s", &len); /* not config's */
    cr_assert_not_null(measured, "%s", sup_load.out);
    cr_assert_lt(atof(measured), 15.0, "%s", sup_load.out);
    sup_free(&sup_load);
    sup_stop(&sup_srv, SIGTERM, 10000);
    sup_free(&sup_srv);
}

Test(tl_hold, hold_counts_connections_the_server_drops, .timeout = 60)
{
    static const char *const iargs[] = { "-w", "1", "--idle-timeout", "200ms", NULL };
    char target[64];
    int st;

    sup_start_echod(&sup_srv, target, iargs);
    char *out = sup_tcpload(&st, NULL, "hold", target, "-c", "5", "-d", "1s", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/connections/opened"), 5, "%s", out);
    cr_assert_eq(sup_json_num(out, "/connections/lost"), 5, "%s", out);
    cr_assert_eq(sup_json_num(out, "/connections/held"), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/errors/EOF"), 5, "%s", out);
    free(out);
    /* With pings every 50 ms the connections are never idle: all held. */
    out = sup_tcpload(&st, NULL, "hold", target, "-c", "5", "-d", "500ms", "--ping-interval",
                      "50ms", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/connections/held"), 5, "%s", out);
    cr_assert_gt(sup_json_num(out, "/totals/pings"), 0, "%s", out);
    cr_assert_eq(sup_json_num(out, "/totals/bytes_in"), sup_json_num(out, "/totals/pings"),
                 "echoed: %s", out);
    free(out);
    sup_stop(&sup_srv, SIGTERM, 10000);
    sup_free(&sup_srv);
}

/* Pings are checked byte for byte: a server that flips the fourth byte of
 * its first connection's stream is caught at that offset. */
Test(tl_hold, ping_replies_are_checked_byte_for_byte, .timeout = 60)
{
    char target[64];
    int st;

    sup_start_helper(&sup_srv, target, "flipecho", "3", NULL);
    char *out = sup_tcpload(&st, NULL, "hold", target, "-c", "1", "-d", "600ms",
                            "--ping-interval", "50ms", "--json", NULL);
    cr_assert_eq(sup_exit_code(st), 1, "a flipped byte fails the run: %s", out);
    cr_assert_eq(sup_json_num(out, "/mismatches/bytes"), 1, "%s", out);
    cr_assert_eq(sup_json_num(out, "/mismatches/first_offset"), 3, "%s", out);
    cr_assert_gt(sup_json_num(out, "/totals/pings"), 4, "%s", out);
    free(out);
    sup_stop(&sup_srv, SIGKILL, 5000);
    sup_free(&sup_srv);
}
