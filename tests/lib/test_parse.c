/* test_parse.c - the strict value parsers every program's flags go through. */
#include <criterion/criterion.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"

Test(parse, count_plain_and_suffixes)
{
    uint64_t v;
    cr_assert_eq(parse_count("0", 0, 100, &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(parse_count("10k", 0, UINT64_MAX, &v), 0);
    cr_assert_eq(v, 10000);
    cr_assert_eq(parse_count("2m", 0, UINT64_MAX, &v), 0);
    cr_assert_eq(v, 2000000);
    cr_assert_eq(parse_count("3G", 0, UINT64_MAX, &v), 0);
    cr_assert_eq(v, 3000000000ULL);
}

Test(parse, count_rejects_junk_and_range)
{
    uint64_t v = 42;
    const char *bad[] = { "", "banana", "-1", "1x", " 1", "1 ", "k", "1kk", "0x10" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(parse_count(bad[i], 0, 1000, &v), -1, "accepted '%s'", bad[i]);
        cr_assert_eq(errno, EINVAL, "'%s'", bad[i]);
    }
    cr_assert_eq(v, 42, "out written on failure");
    cr_assert_eq(parse_count("1001", 0, 1000, &v), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_count("0", 1, 1000, &v), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_count("99999999999999999999", 0, UINT64_MAX, &v), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_count("18446744073709552k", 0, UINT64_MAX, &v), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_count(NULL, 0, 1, &v), -1);
}

Test(parse, size_binary_suffixes)
{
    uint64_t v;
    cr_assert_eq(parse_size("16k", 1, UINT64_MAX, &v), 0);
    cr_assert_eq(v, 16384);
    cr_assert_eq(parse_size("16KiB", 1, UINT64_MAX, &v), 0);
    cr_assert_eq(v, 16384);
    cr_assert_eq(parse_size("64M", 1, UINT64_MAX, &v), 0);
    cr_assert_eq(v, 64ULL << 20);
    cr_assert_eq(parse_size("1G", 1, UINT64_MAX, &v), 0);
    cr_assert_eq(v, 1ULL << 30);
    cr_assert_eq(parse_size("512B", 1, UINT64_MAX, &v), 0);
    cr_assert_eq(v, 512);
    cr_assert_eq(parse_size("16kb", 1, UINT64_MAX, &v), -1);
    cr_assert_eq(parse_size("1.5k", 1, UINT64_MAX, &v), -1);
    cr_assert_eq(parse_size("0", 1, 10, &v), -1);
    cr_assert_eq(errno, ERANGE);
}

Test(parse, durations)
{
    uint64_t ns;
    struct { const char *s; uint64_t ns; } ok[] = {
        { "10", 10000000000ULL }, { "10s", 10000000000ULL },
        { "500ms", 500000000ULL }, { "2m", 120000000000ULL },
        { "1.5s", 1500000000ULL }, { "250us", 250000ULL }, { "7ns", 7 },
        { "1h", 3600000000000ULL }, { "0.001", 1000000ULL }, { "0", 0 },
        { "0.25m", 15000000000ULL },
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cr_assert_eq(parse_duration(ok[i].s, &ns), 0, "rejected '%s'", ok[i].s);
        cr_assert_eq(ns, ok[i].ns, "'%s' gave %lu", ok[i].s, (unsigned long)ns);
    }
    const char *bad[] = { "", "s", "-1s", "1.s", ".5s", "10 s", "10sec", "1d", "abc" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(parse_duration(bad[i], &ns), -1, "accepted '%s'", bad[i]);
    cr_assert_eq(parse_duration("99999999999999h", &ns), -1);
    cr_assert_eq(errno, ERANGE);
}

Test(parse, hostport_ipv4_ipv6_localhost)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char buf[PARSE_ADDRSTRLEN];

    cr_assert_eq(parse_hostport("127.0.0.1:7007", &ss, &len), 0);
    cr_assert_eq(ss.ss_family, AF_INET);
    cr_assert_eq(len, sizeof(struct sockaddr_in));
    cr_assert_str_eq(parse_format_addr((struct sockaddr *)&ss, buf, sizeof(buf)),
                     "127.0.0.1:7007");
    cr_assert_eq(parse_hostport("[::1]:0", &ss, &len), 0);
    cr_assert_eq(ss.ss_family, AF_INET6);
    cr_assert_str_eq(parse_format_addr((struct sockaddr *)&ss, buf, sizeof(buf)), "[::1]:0");
    cr_assert_eq(parse_hostport("localhost:80", &ss, &len), 0);
    cr_assert_str_eq(parse_format_addr((struct sockaddr *)&ss, buf, sizeof(buf)),
                     "127.0.0.1:80");
    cr_assert_eq(parse_hostport("0.0.0.0:65535", &ss, &len), 0);
}

Test(parse, hostport_rejects)
{
    struct sockaddr_storage ss;
    socklen_t len;
    const char *bad[] = { "", "127.0.0.1", "127.0.0.1:", ":80", "::1:80",
                          "[::1]80", "[::1]:", "[]:80", "1.2.3:80", "127.0.0.1:7k",
                          "127.0.0.1:-1", "[127.0.0.1]:80", "[localhost]:80",
                          "[fe80::1%]:80", "fe80::1%lo:80", "a b:80", "h\xc3\xa9:80" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(parse_hostport(bad[i], &ss, &len), -1, "accepted '%s'", bad[i]);
        cr_assert_eq(errno, EINVAL, "'%s'", bad[i]);
    }
    cr_assert_eq(parse_hostport("127.0.0.1:99999", &ss, &len), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_hostport("127.0.0.1:65536", &ss, &len), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_hostport("127.0.0.1:18446744073709551616", &ss, &len), -1);
    cr_assert_eq(errno, ERANGE);
}

/* A well-formed name is not an address: parse_hostport never looks it up
 * and says so with its own errno, so a caller can tell it from a typo. */
Test(parse, hostport_name_is_not_numeric)
{
    struct sockaddr_storage ss;
    socklen_t len = 7;

    cr_assert_eq(parse_hostport("host.example:80", &ss, &len), -1);
    cr_assert_eq(errno, EADDRNOTAVAIL);
    cr_assert_eq(parse_hostport("my-host_1:80", &ss, &len), -1);
    cr_assert_eq(errno, EADDRNOTAVAIL);
    cr_assert_eq(len, 7, "len written on failure");
    cr_assert_eq(parse_hostport("host.example:99999", &ss, &len), -1);
    cr_assert_eq(errno, ERANGE, "the port is checked before the host");
}

/* Issue 9, fault 6: "[fe80::1%lo]:7007" was refused. */
Test(parse, issue9_ipv6_scope)
{
    struct sockaddr_storage ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    socklen_t len;
    char buf[PARSE_ADDRSTRLEN];
    unsigned lo = if_nametoindex("lo");

    cr_assert_neq(lo, 0, "no loopback interface");
    cr_assert_eq(parse_hostport("[fe80::1%lo]:7007", &ss, &len), 0);
    cr_assert_eq(ss.ss_family, AF_INET6);
    cr_assert_eq(len, sizeof(*sin6));
    cr_assert_eq(sin6->sin6_scope_id, lo);
    cr_assert_eq(ntohs(sin6->sin6_port), 7007);
    cr_assert_str_eq(parse_format_addr((struct sockaddr *)&ss, buf, sizeof(buf)),
                     "[fe80::1%lo]:7007");
    cr_assert_eq(parse_hostport("[fe80::1%7]:80", &ss, &len), 0);
    cr_assert_eq(sin6->sin6_scope_id, 7);
    cr_assert_eq(parse_hostport("[fe80::1%4294967295]:80", &ss, &len), 0);
    cr_assert_eq(sin6->sin6_scope_id, 4294967295u);
    cr_assert_eq(parse_hostport("[fe80::1%4294967296]:80", &ss, &len), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_hostport("[fe80::1%nosuchif0]:80", &ss, &len), -1);
    cr_assert_eq(errno, ENODEV);
    cr_assert_eq(parse_hostport("[fe80::1%averyveryverylongname]:80", &ss, &len), -1);
    cr_assert_eq(errno, ENODEV);
    cr_assert_str_eq(parse_strerror(ENODEV), "no such network interface");
    cr_assert_eq(parse_hostport("[::1]:80", &ss, &len), 0);
    cr_assert_eq(sin6->sin6_scope_id, 0);
}

/* Issue 11: "--listen example.com:7007" was refused with the syntax
 * message.  Numeric forms never reach the resolver; a name resolves to
 * what getaddrinfo gives first; one that does not resolve says so. */
Test(parse, issue11_resolve_names)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char name[256], buf[PARSE_ADDRSTRLEN];

    cr_assert_eq(parse_resolve("127.0.0.1:7", &ss, &len), 0);
    cr_assert_str_eq(parse_format_addr((struct sockaddr *)&ss, buf, sizeof(buf)), "127.0.0.1:7");
    cr_assert_eq(parse_resolve("[fe80::1%lo]:7", &ss, &len), 0);
    cr_assert_eq(parse_resolve("localhost:9", &ss, &len), 0);
    cr_assert_str_eq(parse_format_addr((struct sockaddr *)&ss, buf, sizeof(buf)), "127.0.0.1:9");
    cr_assert_eq(parse_resolve("no-such-host.invalid:80", &ss, &len), -1);
    cr_assert(errno == ENOENT || errno == EAGAIN, "errno %d", errno);
    cr_assert_eq(parse_resolve("host.invalid:70000", &ss, &len), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_resolve("1.2.3:80", &ss, &len), -1);
    cr_assert_eq(errno, EINVAL, "a malformed address is not a name");
    cr_assert_eq(parse_resolve("[host.example]:80", &ss, &len), -1);
    cr_assert_eq(errno, EINVAL);

    /* This machine's own name: compared with what getaddrinfo says. */
    cr_assert_eq(gethostname(name, sizeof(name) - 8), 0);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
    int rc = getaddrinfo(name, NULL, &hints, &res);
    strcat(name, ":4242");
    if (rc != 0) {
        cr_assert_eq(parse_resolve(name, &ss, &len), -1, "'%s' resolved", name);
        return;
    }
    cr_assert_eq(parse_resolve(name, &ss, &len), 0, "'%s': %s", name, parse_strerror(errno));
    cr_assert_eq(ss.ss_family, res->ai_family);
    cr_assert_eq(len, res->ai_addrlen);
    if (ss.ss_family == AF_INET)
        cr_assert_eq(((struct sockaddr_in *)&ss)->sin_port, htons(4242));
    else
        cr_assert_eq(((struct sockaddr_in6 *)&ss)->sin6_port, htons(4242));
    freeaddrinfo(res);
}

/* Issue 9, fault 5: "--grace 18446744073709551615ns" wrapped to 0 ms. */
Test(parse, issue9_duration_overflow)
{
    uint64_t v = 42;

    cr_assert_eq(parse_duration("18446744073709551615ns", &v), 0);
    cr_assert_eq(v, UINT64_MAX);
    cr_assert_eq(parse_duration("18446744073709551616ns", &v), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_duration("18446744073709551.616us", &v), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_duration("5124095h", &v), 0);
    cr_assert_eq(parse_duration("5124096h", &v), -1);
    cr_assert_eq(errno, ERANGE);
    v = 42;
    cr_assert_eq(parse_duration_ms("18446744073709551615ns", UINT64_MAX, &v), 0);
    cr_assert_eq(v, UINT64_MAX / 1000000 + 1, "rounded up, not wrapped");
    cr_assert_eq(parse_duration_ms("18446744073709551615ns", 86400000, &v), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_duration_ms("24h", 86400000, &v), 0);
    cr_assert_eq(v, 86400000);
    cr_assert_eq(parse_duration_ms("24h1ns", 86400000, &v), -1);
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(parse_duration_ms("86400.000001", 86400000, &v), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_duration_ms("1ns", 10, &v), 0);
    cr_assert_eq(v, 1, "nonzero stays nonzero");
    cr_assert_eq(parse_duration_ms("1.000001ms", 10, &v), 0);
    cr_assert_eq(v, 2);
    cr_assert_eq(parse_duration_ms("0", 10, &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(parse_duration_ms("x", 10, &v), -1);
    cr_assert_eq(errno, EINVAL);
}

/* Found by the fuzzer: a nonzero duration finer than a nanosecond was cut
 * to 0, so "--idle-timeout 0.0000000001s" turned the timeout off. */
Test(parse, a_duration_below_one_nanosecond_is_not_zero)
{
    uint64_t v;
    struct { const char *s; uint64_t ns; } cases[] = {
        { "0.0000000001s", 1 }, { "0.0000001ms", 1 }, { "0.5ns", 1 },
        { "1.0000000001s", 1000000001 }, { "0.0000000000h", 0 },
        { "1.5ns", 2 }, { "0.000000001s", 1 }, { "1.0000000000000000001s", 1000000001 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_assert_eq(parse_duration(cases[i].s, &v), 0, "rejected '%s'", cases[i].s);
        cr_assert_eq(v, cases[i].ns, "'%s' gave %lu ns", cases[i].s, (unsigned long)v);
    }
    cr_assert_eq(parse_duration_ms("0.0000000001s", 10, &v), 0);
    cr_assert_eq(v, 1, "a nonzero value stays nonzero in milliseconds");
}

Test(parse, strerror_names_each_reason)
{
    const int errs[] = { EINVAL, ERANGE, EADDRNOTAVAIL, ENODEV, ENOENT, EAGAIN,
                         EAFNOSUPPORT, EIO, ENOMEM };
    for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(parse_strerror(errs[i]), parse_strerror(errs[j]));
}
