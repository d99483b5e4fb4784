/* test_bl_netstat.c - the /proc/net/netstat and /proc/net/snmp parser, on
 * fixture text and on the live files. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bl_netstat.h"

static const char fixture[] =
    "TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops\n"
    "TcpExt: 3 2 17 18\n"
    "IpExt: InNoRoutes InOctets\n"
    "IpExt: 0 123456789012\n";

static const char snmp_fixture[] =
    "Tcp: RtoAlgorithm RtoMin MaxConn CurrEstab\n"
    "Tcp: 1 200 -1 7\n";

static struct bl_netstat_snap *snap_new(void)
{
    struct bl_netstat_snap *s = malloc(sizeof(*s));
    cr_assert_not_null(s);
    bl_netstat_clear(s);
    return s;
}

Test(bl_netstat, parses_fixture_by_group_and_name)
{
    struct bl_netstat_snap *s = snap_new();
    int64_t v;

    cr_assert_eq(bl_netstat_parse(fixture, s), 0);
    cr_assert_eq(s->n, 6);
    cr_assert_eq(bl_netstat_get(s, "TcpExt", "ListenOverflows", &v), 0);
    cr_assert_eq(v, 17);
    cr_assert_eq(bl_netstat_get(s, "TcpExt", "SyncookiesSent", &v), 0);
    cr_assert_eq(v, 3);
    cr_assert_eq(bl_netstat_get(s, "IpExt", "InOctets", &v), 0);
    cr_assert_eq(v, 123456789012LL);
    cr_assert_eq(bl_netstat_get(s, "IpExt", "ListenOverflows", &v), -1);
    cr_assert_eq(errno, ENOENT);
    free(s);
}

Test(bl_netstat, appends_snmp_and_keeps_negative_values)
{
    struct bl_netstat_snap *s = snap_new();
    int64_t v;

    cr_assert_eq(bl_netstat_parse(fixture, s), 0);
    cr_assert_eq(bl_netstat_parse(snmp_fixture, s), 0);
    cr_assert_eq(bl_netstat_get(s, "Tcp", "MaxConn", &v), 0);
    cr_assert_eq(v, -1);
    cr_assert_eq(bl_netstat_get(s, "Tcp", "CurrEstab", &v), 0);
    cr_assert_eq(v, 7);
    free(s);
}

Test(bl_netstat, listen_deltas_name_every_counter_and_mark_missing_ones)
{
    struct bl_netstat_snap *a = snap_new(), *b = snap_new();
    int64_t d[BL_NETSTAT_NLISTEN];

    cr_assert_eq(bl_netstat_parse(fixture, a), 0);
    cr_assert_eq(bl_netstat_parse("TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops\n"
                               "TcpExt: 3 5 20 18\n", b), 0);
    bl_netstat_listen_deltas(a, b, d);
    cr_assert_null(bl_netstat_listen_counters[BL_NETSTAT_NLISTEN]);
    for (int k = 0; k < BL_NETSTAT_NLISTEN; k++) {
        const char *name = bl_netstat_listen_counters[k];
        int64_t want = strcmp(name, "ListenOverflows") == 0 ? 3
                     : strcmp(name, "SyncookiesRecv") == 0 ? 3
                     : strcmp(name, "ListenDrops") == 0 || strcmp(name, "SyncookiesSent") == 0 ? 0
                     : -1; /* not in the fixture: absent, not zero */
        cr_assert_eq(d[k], want, "%s: %lld", name, (long long)d[k]);
    }
    free(a);
    free(b);
}

Test(bl_netstat, rejects_mismatched_lines)
{
    const char *bad[] = {
        "TcpExt: A B\nTcpExt: 1\n",           /* fewer values */
        "TcpExt: A\nTcpExt: 1 2\n",           /* more values */
        "TcpExt: A B\nIpExt: 1 2\n",          /* other group */
        "TcpExt: A B\n",                      /* header alone */
        "TcpExt: A B\nTcpExt: 1 x\n",         /* not a number */
        "no colon here\nTcpExt: 1\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct bl_netstat_snap *s = snap_new();
        cr_assert_eq(bl_netstat_parse(bad[i], s), -1, "accepted case %zu", i);
        cr_assert_eq(errno, EINVAL, "case %zu", i);
        free(s);
    }
}

Test(bl_netstat, delta_between_snapshots)
{
    struct bl_netstat_snap *a = snap_new(), *b = snap_new();
    int64_t d;

    cr_assert_eq(bl_netstat_parse("TcpExt: ListenDrops X\nTcpExt: 10 1\n", a), 0);
    cr_assert_eq(bl_netstat_parse("TcpExt: ListenDrops\nTcpExt: 25\n", b), 0);
    cr_assert_eq(bl_netstat_delta(a, b, "TcpExt", "ListenDrops", &d), 0);
    cr_assert_eq(d, 15);
    cr_assert_eq(bl_netstat_delta(a, b, "TcpExt", "X", &d), -1);
    free(a);
    free(b);
}

Test(bl_netstat, reads_live_files_again_and_again)
{
    struct bl_netstat_snap *a = snap_new(), *b = snap_new();
    int nfd, sfd;
    int64_t v, d;

    cr_assert_eq(bl_netstat_open(&nfd, &sfd), 0, "open: %s", strerror(errno));
    cr_assert_eq(bl_netstat_read(nfd, sfd, a), 0, "read: %s", strerror(errno));
    cr_assert_eq(bl_netstat_read(nfd, sfd, b), 0, "second read: %s", strerror(errno));
    cr_assert_gt(a->n, 50, "only %zu counters", a->n);
    for (const char *const *name = bl_netstat_listen_counters; *name; name++) {
        cr_assert_eq(bl_netstat_get(a, "TcpExt", *name, &v), 0, "no TcpExt %s", *name);
        cr_assert_eq(bl_netstat_delta(a, b, "TcpExt", *name, &d), 0);
        cr_assert_geq(d, 0, "%s went backwards", *name);
    }
    cr_assert_eq(bl_netstat_get(a, "Tcp", "ActiveOpens", &v), 0, "snmp not read");
    bl_netstat_close(nfd, sfd);
    free(a);
    free(b);
}
