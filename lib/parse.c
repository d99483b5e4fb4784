/* parse.c - strict parsing of command-line values (see parse.h). */
#include "parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
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
    int n, cut = 0; /* a nonzero fractional digit past the ninth */

    n = read_leading(s, &whole);
    if (n < 0)
        return -1;
    s += n;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return fail(EINVAL);
        /* Nine fractional digits are read; what lies past them only
         * rounds the result up to the next nanosecond. */
        for (; isdigit((unsigned char)*s); s++)
            if (frac_div < 1000000000ULL)
                frac = frac * 10 + (uint64_t)(*s - '0'), frac_div *= 10;
            else if (*s != '0')
                cut = 1;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        uint64_t unit = units[i].ns;
        if (strcmp(s, units[i].unit) != 0)
            continue;
        if (whole > UINT64_MAX / unit)
            return fail(ERANGE);
        /* frac < frac_div <= 1e9 and unit <= 3.6e12: split to avoid
         * overflow.  Whatever the nine digits leave over, a fraction of a
         * nanosecond or the digits past them, rounds up to the next
         * nanosecond, so that no nonzero duration becomes 0. */
        uint64_t rest = (unit % frac_div) * frac;
        uint64_t part = (unit / frac_div) * frac + rest / frac_div +
                        (rest % frac_div != 0 || cut);
        if (whole * unit > UINT64_MAX - part)
            return fail(ERANGE);
        *out_ns = whole * unit + part;
        return 0;
    }
    return fail(EINVAL);
}

int parse_duration_ms(const char *s, uint64_t max_ms, uint64_t *out_ms)
{
    uint64_t ns, ms;

    if (parse_duration(s, &ns) < 0)
        return -1;
    ms = ns / 1000000 + (ns % 1000000 != 0);
    if (ms > max_ms)
        return fail(ERANGE);
    *out_ms = ms;
    return 0;
}

/* HOST:PORT split into its parts; host fits the longest DNS name. */
struct hostport {
    char host[256];
    int bracketed;      /* "[...]:PORT": IPv6 only */
    uint16_t port;
};

/* Splits s into *hp, checking the brackets and the port.  Returns 0, or
 * -1 with errno EINVAL or ERANGE (the port). */
static int split_hostport(const char *s, struct hostport *hp)
{
    const char *host, *port_s;
    uint64_t port;
    size_t hlen;
    int n;

    if (s == NULL)
        return fail(EINVAL);
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (end == NULL || end[1] != ':')
            return fail(EINVAL);
        host = s + 1;
        hlen = (size_t)(end - host);
        port_s = end + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
            return fail(EINVAL); /* bare IPv6 must be bracketed */
        host = s;
        hlen = (size_t)(colon - s);
        port_s = colon + 1;
    }
    if (hlen == 0 || hlen >= sizeof(hp->host))
        return fail(EINVAL);
    memcpy(hp->host, host, hlen);
    hp->host[hlen] = '\0';
    hp->bracketed = s[0] == '[';
    n = read_digits(port_s, &port);
    if (n < 0)
        return fail(ERANGE);
    if (n == 0 || port_s[n] != '\0')
        return fail(EINVAL);
    if (port > 65535)
        return fail(ERANGE);
    hp->port = (uint16_t)port;
    return 0;
}

/* The scope after '%' in an IPv6 address: an interface number or name.
 * Returns 0, or -1 with errno EINVAL (empty), ERANGE (a number past 32
 * bits) or ENODEV (no interface of that name). */
static int read_scope(const char *s, uint32_t *id)
{
    uint64_t v;
    int n = read_digits(s, &v);
    unsigned idx;

    if (n < 0 || (n > 0 && s[n] == '\0' && v > UINT32_MAX))
        return fail(ERANGE);
    if (n > 0 && s[n] == '\0') {
        *id = (uint32_t)v;
        return 0;
    }
    if (*s == '\0')
        return fail(EINVAL);
    if (strlen(s) >= IF_NAMESIZE)
        return fail(ENODEV);
    errno = 0;
    idx = if_nametoindex(s);
    if (idx == 0)
        return fail(errno == 0 || errno == ENXIO ? ENODEV : errno);
    *id = idx;
    return 0;
}

/* Whether host is spelled as a DNS name: letters, digits, '-', '_' and
 * '.', and not only digits and dots (a malformed IPv4 address, which the
 * resolver would read in the old inet_aton forms such as "1.2.3"). */
static int is_name(const char *host)
{
    int letters = 0;

    for (const char *p = host; *p != '\0'; p++) {
        if (isalpha((unsigned char)*p) || *p == '-' || *p == '_')
            letters = 1;
        else if (!isdigit((unsigned char)*p) && *p != '.')
            return 0;
    }
    return letters;
}

/* Fills *ss from a numeric hp.  Returns 0, or -1 with errno EINVAL,
 * ERANGE, ENODEV (a scope) or EADDRNOTAVAIL (a well-formed name). */
static int numeric_host(struct hostport *hp, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (hp->bracketed) {
        char *pct = strchr(hp->host, '%');
        if (pct != NULL)
            *pct = '\0';
        if (inet_pton(AF_INET6, hp->host, &sin6->sin6_addr) != 1)
            return fail(EINVAL);
        if (pct != NULL && read_scope(pct + 1, &sin6->sin6_scope_id) < 0)
            return -1;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(hp->port);
        *len = sizeof(*sin6);
        return 0;
    }
    if (strcmp(hp->host, "localhost") == 0)
        strcpy(hp->host, "127.0.0.1");
    if (inet_pton(AF_INET, hp->host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(hp->port);
        *len = sizeof(*sin);
        return 0;
    }
    return fail(is_name(hp->host) ? EADDRNOTAVAIL : EINVAL);
}

int parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    struct hostport hp;

    if (split_hostport(s, &hp) < 0)
        return -1;
    return numeric_host(&hp, ss, len);
}

/* The errno of parse.h that a getaddrinfo error code stands for. */
static int gai_errno(int rc)
{
    switch (rc) {
    case EAI_NONAME:
    case EAI_NODATA:
        return ENOENT;
    case EAI_AGAIN:
        return EAGAIN;
    case EAI_ADDRFAMILY:
    case EAI_FAMILY:
        return EAFNOSUPPORT;
    case EAI_MEMORY:
        return ENOMEM;
    case EAI_SYSTEM:
        return errno != 0 ? errno : EIO;
    }
    return EIO;
}

int parse_resolve(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    const struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res, *ai;
    struct hostport hp;
    int rc;

    if (split_hostport(s, &hp) < 0)
        return -1;
    if (numeric_host(&hp, ss, len) == 0)
        return 0;
    if (errno != EADDRNOTAVAIL)
        return -1;
    rc = getaddrinfo(hp.host, NULL, &hints, &res);
    if (rc != 0)
        return fail(gai_errno(rc));
    for (ai = res; ai != NULL; ai = ai->ai_next)
        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
            ai->ai_addrlen <= sizeof(*ss))
            break;
    if (ai == NULL) {
        freeaddrinfo(res);
        return fail(EAFNOSUPPORT);
    }
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = (socklen_t)ai->ai_addrlen;
    freeaddrinfo(res);
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(hp.port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(hp.port);
    return 0;
}

const char *parse_strerror(int err)
{
    switch (err) {
    case EINVAL:        return "malformed";
    case ERANGE:        return "out of range";
    case EADDRNOTAVAIL: return "a host name where a numeric address is needed";
    case ENODEV:        return "no such network interface";
    case ENOENT:        return "the host name does not resolve";
    case EAGAIN:        return "the host name cannot be resolved now (temporary failure)";
    case EAFNOSUPPORT:  return "the host name has no IPv4 or IPv6 address";
    case EIO:           return "the resolver failed";
    }
    return strerror(err);
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
        char scope[IF_NAMESIZE + 1] = "";
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
        if (sin6->sin6_scope_id != 0 && if_indextoname(sin6->sin6_scope_id, scope + 1) != NULL)
            scope[0] = '%';
        else if (sin6->sin6_scope_id != 0)
            snprintf(scope, sizeof(scope), "%%%u", (unsigned)sin6->sin6_scope_id);
        snprintf(buf, size, "[%s%s]:%u", host, scope, ntohs(sin6->sin6_port));
    } else {
        snprintf(buf, size, "(family %d)", sa->sa_family);
    }
    return buf;
}
