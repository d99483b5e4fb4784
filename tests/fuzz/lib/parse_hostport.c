/* parse_hostport.c - fuzzes parse_hostport, parse_resolve and
 * parse_format_addr.
 *
 * Input: the value, up to a NUL.  Whatever parses must be IPv4 or IPv6
 * with the length of its family, must format as text that parses back to
 * the same address and port (scope included), and must have been spelled
 * the way parse.h allows (brackets exactly for IPv6, a port of decimal
 * digits only).  A failure must leave *len as it was and give one of the
 * documented errors.  parse_resolve must agree with parse_hostport on
 * every numeric form, and look up only what parse_hostport called a name
 * (EADDRNOTAVAIL), here through the stand-in resolver (../resolve.c),
 * which knows "fuzz.test" as 192.0.2.1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static void die(const char *what, const char *s, const char *text)
{
    fprintf(stderr, "%s: '%s' (formatted '%s')\n", what, s, text);
    abort();
}

/* The address and port of ss, which is of family AF_INET or AF_INET6,
 * compared field by field; 1 when equal. */
static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

/* The port text after the last ':' is one to five decimal digits. */
static int port_spelled_right(const char *s)
{
    const char *p = strrchr(s, ':');
    size_t n = p == NULL ? 0 : strspn(p + 1, "0123456789");

    return p != NULL && n > 0 && p[1 + n] == '\0';
}

/* What parse_resolve makes of s, which parse_hostport refused with err. */
static void check_resolve(const char *s, int err)
{
    struct sockaddr_storage ss;
    socklen_t len = 12345;
    int rc = parse_resolve(s, &ss, &len);

    if (err != EADDRNOTAVAIL) {
        if (rc == 0 || errno != err || len != 12345)
            die("parse_resolve accepted or told apart what parse_hostport refused", s, "");
        return;
    }
    if (strncmp(s, "fuzz.test:", 10) != 0) {
        if (rc == 0 || (errno != ENOENT && errno != EAGAIN) || len != 12345)
            die("parse_resolve found a name the resolver does not know", s, "");
        return;
    }
    const struct sockaddr_in *sin = (const void *)&ss;
    if (rc != 0 || len != sizeof(*sin) || sin->sin_family != AF_INET ||
        sin->sin_addr.s_addr != htonl(0xc0000201) || !port_spelled_right(s) ||
        ntohs(sin->sin_port) != strtoul(s + 10, NULL, 10))
        die("parse_resolve did not give fuzz.test's address and the port", s, "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[256], text[PARSE_ADDRSTRLEN];
    struct sockaddr_storage ss, back;
    socklen_t len = 12345, back_len = 0;

    size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
    memcpy(s, data, n);
    s[n] = '\0';

    if (parse_hostport(s, &ss, &len) != 0) {
        int err = errno;
        if (len != 12345)
            die("failed but wrote *len", s, "");
        if (err != EINVAL && err != ERANGE && err != EADDRNOTAVAIL && err != ENODEV)
            die("failed with an error parse.h does not name", s, "");
        check_resolve(s, err);
        return 0;
    }
    if (parse_resolve(s, &back, &back_len) != 0 || back_len != len || !same_addr(&ss, &back))
        die("parse_resolve disagrees on a numeric address", s, "");
    parse_format_addr((const struct sockaddr *)&ss, text, sizeof(text));
    if (ss.ss_family == AF_INET) {
        if (len != sizeof(struct sockaddr_in) || s[0] == '[')
            die("IPv4 with a wrong length or in brackets", s, text);
    } else if (ss.ss_family == AF_INET6) {
        if (len != sizeof(struct sockaddr_in6) || s[0] != '[')
            die("IPv6 with a wrong length or without brackets", s, text);
    } else {
        die("neither IPv4 nor IPv6", s, text);
    }
    if (!port_spelled_right(s))
        die("accepted a port that is not decimal digits", s, text);
    if (parse_hostport(text, &back, &back_len) != 0)
        die("the formatted address does not parse", s, text);
    if (back_len != len || !same_addr(&ss, &back))
        die("the formatted address parses to another", s, text);
    return 0;
}
