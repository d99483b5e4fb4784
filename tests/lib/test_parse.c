/* test_parse.c - the strict value parsers every program's flags go through. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

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
                          "[::1]80", "[::1]:", "[]:80", "1.2.3:80", "host.example:80",
                          "127.0.0.1:7k", "127.0.0.1:-1", "[127.0.0.1]:80" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(parse_hostport(bad[i], &ss, &len), -1, "accepted '%s'", bad[i]);
        cr_assert_eq(errno, EINVAL, "'%s'", bad[i]);
    }
    cr_assert_eq(parse_hostport("127.0.0.1:99999", &ss, &len), -1);
    cr_assert_eq(errno, ERANGE);
    cr_assert_eq(parse_hostport("127.0.0.1:65536", &ss, &len), -1);
    cr_assert_eq(errno, ERANGE);
}
