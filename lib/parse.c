/* parse.c - strict parsing of command-line values (see parse.h). */
#include "parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(int err)
{
    errno = err;
    return -1;
}

/* Reads the leading run of decimal digits of s into *out.  Returns the
 * number of digits read, 0 when there are none, -1 on overflow. */
static int read_digits(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    int n = 0;

    while (isdigit((unsigned char)s[n])) {
        unsigned d = (unsigned)(s[n] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        n++;
    }
    *out = v;
    return n;
}

/* Reads the number every value starts with: at least one digit.  Returns
 * how many digits, or -1 with errno EINVAL (none, or s is NULL) or ERANGE
 * (overflow). */
static int read_leading(const char *s, uint64_t *out)
{
    int n;

    if (s == NULL)
        return fail(EINVAL);
    n = read_digits(s, out);
    if (n < 0)
        return fail(ERANGE);
    if (n == 0)
        return fail(EINVAL);
    return n;
}

/* Multiplies v by m, failing on overflow, then checks [min, max]. */
static int scale_check(uint64_t v, uint64_t m, uint64_t min, uint64_t max,
                       uint64_t *out)
{
    if (m != 0 && v > UINT64_MAX / m)
        return fail(ERANGE);
    v *= m;
    if (v < min || v > max)
        return fail(ERANGE);
    *out = v;
    return 0;
}

int parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v, m = 1;
    int n;

    n = read_leading(s, &v);
    if (n < 0)
        return -1;
    s += n;
    if (*s == 'k' || *s == 'K')
        m = 1000, s++;
    else if (*s == 'm' || *s == 'M')
        m = 1000000, s++;
    else if (*s == 'g' || *s == 'G')
        m = 1000000000, s++;
    if (*s != '\0')
        return fail(EINVAL);
    return scale_check(v, m, min, max, out);
}

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    static const struct { const char *suffix; uint64_t mult; } units[] = {
        { "", 1 }, { "B", 1 },
        { "k", 1ULL << 10 }, { "K", 1ULL << 10 }, { "KiB", 1ULL << 10 },
        { "m", 1ULL << 20 }, { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
        { "g", 1ULL << 30 }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
    };
    uint64_t v;
    int n;

    n = read_leading(s, &v);
    if (n < 0)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(s + n, units[i].suffix) == 0)
            return scale_check(v, units[i].mult, min, max, out);
    return fail(EINVAL);
}

int parse_duration(const char *s, uint64_t *out_ns)
{
    static const struct { const char *unit; uint64_t ns; } units[] = {
        { "", 1000000000ULL }, { "s", 1000000000ULL },
        { "ns", 1ULL }, { "us", 1000ULL }, { "ms", 1000000ULL },
        { "m", 60000000000ULL }, { "h", 3600000000000ULL },
    };
    uint64_t whole, frac = 0, frac_div = 1;
    int n;

    n = read_leading(s, &whole);
    if (n < 0)
        return -1;
    s += n;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return fail(EINVAL);
        /* Up to nine fractional digits matter; more are accepted and cut. */
        for (; isdigit((unsigned char)*s); s++)
            if (frac_div < 1000000000ULL)
                frac = frac * 10 + (uint64_t)(*s - '0'), frac_div *= 10;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        uint64_t unit = units[i].ns;
        if (strcmp(s, units[i].unit) != 0)
            continue;
        if (whole > UINT64_MAX / unit)
            return fail(ERANGE);
        /* frac < frac_div <= 1e9 and unit <= 3.6e12: split to avoid overflow */
        uint64_t part = (unit / frac_div) * frac +
                        (unit % frac_div) * frac / frac_div;
        if (whole * unit > UINT64_MAX - part)
            return fail(ERANGE);
        *out_ns = whole * unit + part;
        return 0;
    }
    return fail(EINVAL);
}

int parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *colon, *port_s;
    uint64_t port;
    size_t hlen;


    if (s == NULL)
        return fail(EINVAL);
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (end == NULL || end[1] != ':')
            return fail(EINVAL);
        hlen = (size_t)(end - s - 1);
        if (hlen == 0 || hlen >= sizeof(host))
            return fail(EINVAL);
        memcpy(host, s + 1, hlen);
        port_s = end + 2;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
            return fail(EINVAL); /* bare IPv6 must be bracketed */
        hlen = (size_t)(colon - s);
        if (hlen == 0 || hlen >= sizeof(host))
            return fail(EINVAL);
        memcpy(host, s, hlen);
        port_s = colon + 1;
    }
    host[hlen] = '\0';
    int n = read_digits(port_s, &port);
    if (n < 0)
        return fail(ERANGE);
    if (n == 0 || port_s[n] != '\0')
        return fail(EINVAL);
    if (port > 65535)
        return fail(ERANGE);

    memset(ss, 0, sizeof(*ss));
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    if (s[0] != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *len = sizeof(*sin);
        return 0;
    }
    if (s[0] == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*sin6);
        return 0;
    }
    return fail(EINVAL);
}

char *parse_format_addr(const struct sockaddr *sa, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN];

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
        snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
        snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
    } else {
        snprintf(buf, size, "(family %d)", sa->sa_family);
    }
    return buf;
}
