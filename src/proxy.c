/* proxy.c - the PROXY protocol v1/v2 header parser (see proxy.h).
 *
 * v1 is one line: "PROXY TCP4 SRC DST SPORT DPORT\r\n" (TCP6 likewise, or
 * "PROXY UNKNOWN ...\r\n"), at most 107 bytes.  Every field is checked:
 * single spaces, addresses in the family the protocol names
 * (inet_pton), ports 0 to 65535 in decimal without leading zeros.
 *
 * v2 is a 16-byte head (12-byte signature, version 2 and command LOCAL or
 * PROXY, family and transport, big-endian length of the rest) followed by
 * the addresses and then TLVs.  TLVs are walked only to check that each
 * fits in the header, then skipped: echod needs none of them.
 *
 * Which version comes is known from the first byte ('P' or '\r'); until
 * a header is complete, every byte seen so far must be one a valid header
 * could start with, so a client that sends data without a header is
 * refused at its first byte, not after a timeout.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

static const uint8_t v2_sig[12] = { '\r', '\n', '\r', '\n', 0, '\r', '\n', 'Q', 'U', 'I', 'T', '\n' };
static const char v1_sig[] = "PROXY ";

static enum proxy_result invalid(struct proxy_header *out, const char *why)
{
    out->why = why;
    return PROXY_INVALID;
}

/* A port: 1 to 5 decimal digits, no leading zero, at most 65535. */
static int parse_port(const char *s, size_t n, uint16_t *port)
{
    unsigned v = 0;

    if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

/* An address of family af in s[0..n) into ss with port. */
static int parse_ip(int af, const char *s, size_t n, struct sockaddr_storage *ss)
{
    char text[INET6_ADDRSTRLEN];

    if (n == 0 || n >= sizeof(text))
        return -1;
    memcpy(text, s, n);
    text[n] = '\0';
    memset(ss, 0, sizeof(*ss));
    ss->ss_family = (sa_family_t)af;
    if (af == AF_INET)
        return inet_pton(AF_INET, text, &((struct sockaddr_in *)ss)->sin_addr) == 1 ? 0 : -1;
    return inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1 ? 0 : -1;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* Splits line[0..n) (no CRLF) at single spaces into at most max fields.
 * Returns the count, or -1 on an empty field. */
static int split(const char *line, size_t n, const char *f[], size_t flen[], int max)
{
    int k = 0;
    size_t start = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i < n && line[i] != ' ')
            continue;
        if (i == start || k == max)
            return -1;
        f[k] = line + start;
        flen[k++] = i - start;
        start = i + 1;
    }
    return k;
}

/* The fields after "PROXY " of a v1 line of n bytes (CRLF excluded). */
static enum proxy_result parse_v1_fields(const char *line, size_t n, struct proxy_header *out)
{
    const char *f[5];
    size_t flen[5];
    uint16_t sport, dport;
    int af;

    if (n >= 7 && memcmp(line, "UNKNOWN", 7) == 0 && (n == 7 || line[7] == ' ')) {
        out->local = 1; /* the rest of the line is to be ignored */
        return PROXY_DONE;
    }
    if (split(line, n, f, flen, 5) != 5 || flen[0] != 4 ||
        (memcmp(f[0], "TCP4", 4) != 0 && memcmp(f[0], "TCP6", 4) != 0))
        return invalid(out, "v1: expected TCP4, TCP6 or UNKNOWN and four fields");
    af = f[0][3] == '4' ? AF_INET : AF_INET6;
    if (parse_ip(af, f[1], flen[1], &out->src) < 0 || parse_ip(af, f[2], flen[2], &out->dst) < 0)
        return invalid(out, "v1: bad address");
    if (parse_port(f[3], flen[3], &sport) < 0 || parse_port(f[4], flen[4], &dport) < 0)
        return invalid(out, "v1: bad port");
    set_port(&out->src, sport);
    set_port(&out->dst, dport);
    out->addr_len = af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    return PROXY_DONE;
}

static enum proxy_result parse_v1(const uint8_t *buf, size_t len, struct proxy_header *out)
{
    size_t sig = sizeof(v1_sig) - 1, avail = len < PROXY_V1_MAX ? len : PROXY_V1_MAX;

    if (memcmp(buf, v1_sig, avail < sig ? avail : sig) != 0)
        return invalid(out, "v1: bad signature");
    for (size_t i = 0; i < avail; i++) {
        if (buf[i] == '\n')
            return invalid(out, "v1: bare LF");
        if (buf[i] != '\r')
            continue;
        if (i + 1 == avail)
            return avail == PROXY_V1_MAX ? invalid(out, "v1: line too long") : PROXY_MORE;
        if (buf[i + 1] != '\n')
            return invalid(out, "v1: CR without LF");
        if (i < sig)
            return invalid(out, "v1: bad signature");
        out->version = 1;
        out->len = i + 2;
        return parse_v1_fields((const char *)buf + sig, i - sig, out);
    }
    return avail == PROXY_V1_MAX ? invalid(out, "v1: line too long") : PROXY_MORE;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Walks the TLVs in p[0..n): each must fit. */
static int tlvs_fit(const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (n < 3 || (size_t)be16(p + 1) > n - 3)
            return -1;
        size_t step = 3 + (size_t)be16(p + 1);
        p += step;
        n -= step;
    }
    return 0;
}

/* The addresses of a v2 PROXY command: family fam, body b[0..n). */
static enum proxy_result parse_v2_addrs(int fam, const uint8_t *b, size_t n,
                                        struct proxy_header *out)
{
    size_t alen;

    if (fam == 0x1) { /* AF_INET: 4 + 4 + 2 + 2 */
        struct sockaddr_in *s = (struct sockaddr_in *)&out->src, *d = (struct sockaddr_in *)&out->dst;
        alen = 12;
        if (n < alen)
            return invalid(out, "v2: length too short for IPv4 addresses");
        memset(&out->src, 0, sizeof(out->src));
        memset(&out->dst, 0, sizeof(out->dst));
        s->sin_family = d->sin_family = AF_INET;
        memcpy(&s->sin_addr, b, 4);
        memcpy(&d->sin_addr, b + 4, 4);
        memcpy(&s->sin_port, b + 8, 2);
        memcpy(&d->sin_port, b + 10, 2);
        out->addr_len = sizeof(*s);
    } else if (fam == 0x2) { /* AF_INET6: 16 + 16 + 2 + 2 */
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->src, *d = (struct sockaddr_in6 *)&out->dst;
        alen = 36;
        if (n < alen)
            return invalid(out, "v2: length too short for IPv6 addresses");
        memset(&out->src, 0, sizeof(out->src));
        memset(&out->dst, 0, sizeof(out->dst));
        s->sin6_family = d->sin6_family = AF_INET6;
        memcpy(&s->sin6_addr, b, 16);
        memcpy(&d->sin6_addr, b + 16, 16);
        memcpy(&s->sin6_port, b + 32, 2);
        memcpy(&d->sin6_port, b + 34, 2);
        out->addr_len = sizeof(*s);
    } else { /* AF_UNSPEC or AF_UNIX: no address echod can use */
        alen = fam == 0x3 ? 216 : 0;
        if (n < alen)
            return invalid(out, "v2: length too short for Unix addresses");
        out->local = 1;
    }
    if (tlvs_fit(b + alen, n - alen) < 0)
        return invalid(out, "v2: TLV overruns the header");
    return PROXY_DONE;
}

static enum proxy_result parse_v2(const uint8_t *buf, size_t len, struct proxy_header *out)
{
    if (memcmp(buf, v2_sig, len < sizeof(v2_sig) ? len : sizeof(v2_sig)) != 0)
        return invalid(out, "v2: bad signature");
    if (len > 12 && (buf[12] >> 4) != 2)
        return invalid(out, "v2: version is not 2");
    if (len > 12 && (buf[12] & 0xf) > 1)
        return invalid(out, "v2: command is neither LOCAL nor PROXY");
    if (len > 13 && ((buf[13] >> 4) > 3 || (buf[13] & 0xf) > 2))
        return invalid(out, "v2: unknown address family or transport");
    if (len < PROXY_V2_HEAD)
        return PROXY_MORE;
    size_t body = be16(buf + 14);
    if (PROXY_V2_HEAD + body > PROXY_MAX_HEADER)
        return invalid(out, "v2: header longer than echod accepts");
    if (len < PROXY_V2_HEAD + body)
        return PROXY_MORE;
    out->version = 2;
    out->len = PROXY_V2_HEAD + body;
    if ((buf[12] & 0xf) == 0) { /* LOCAL: addresses, if any, are ignored */
        out->local = 1;
        return PROXY_DONE;
    }
    if ((buf[13] & 0xf) == 0x2)
        return invalid(out, "v2: datagram transport on a stream connection");
    return parse_v2_addrs(buf[13] >> 4, buf + PROXY_V2_HEAD, body, out);
}

enum proxy_result proxy_parse(const uint8_t *buf, size_t len, struct proxy_header *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 0)
        return PROXY_MORE;
    if (buf[0] == 'P')
        return parse_v1(buf, len, out);
    if (buf[0] == '\r')
        return parse_v2(buf, len, out);
    return invalid(out, "no PROXY header");
}

enum proxy_result proxy_recv(int fd, struct proxy_header *out)
{
    uint8_t buf[PROXY_MAX_HEADER];
    ssize_t n;

    do
        n = recv(fd, buf, sizeof(buf), MSG_PEEK);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return PROXY_MORE;
    if (n <= 0) {
        memset(out, 0, sizeof(*out));
        return invalid(out, n == 0 ? "closed before a whole header" : "receive failed");
    }
    enum proxy_result r = proxy_parse(buf, (size_t)n, out);
    if (r != PROXY_DONE)
        return r;
    do /* the peeked bytes are in the queue: this takes exactly the header */
        n = recv(fd, buf, out->len, 0);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)out->len)
        return invalid(out, "receive failed");
    return PROXY_DONE;
}
