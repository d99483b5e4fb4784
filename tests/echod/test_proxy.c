/* test_proxy.c - the PROXY protocol parser (proxy.c): v1 and v2 headers
 * that must parse, one test per malformed case (truncated, wrong
 * signature, bad length, unknown family, oversized TLVs...), every prefix
 * of a valid header asking for more, and proxy_recv taking exactly the
 * header out of a socket when it arrives in pieces.  Parser input sits
 * right before an inaccessible page, so reading one byte too far crashes.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "proxy.h"
#include "support.h"

static enum proxy_result parse(const void *data, size_t len, struct proxy_header *h)
{
    return proxy_parse(sup_guarded(data, len), len, h);
}

static enum proxy_result parse_str(const char *s, struct proxy_header *h)
{
    return parse(s, strlen(s), h);
}

static void expect_v4(const struct sockaddr_storage *ss, const char *ip, int port)
{
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    char text[INET_ADDRSTRLEN];

    cr_assert_eq(sin->sin_family, AF_INET);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
    cr_expect_str_eq(text, ip);
    cr_expect_eq(ntohs(sin->sin_port), port);
}

static void expect_invalid(const void *data, size_t len, const char *why_part)
{
    struct proxy_header h;

    cr_assert_eq(parse(data, len, &h), PROXY_INVALID);
    cr_expect(h.why != NULL && strstr(h.why, why_part) != NULL, "why: %s, want %s",
              h.why ? h.why : "(null)", why_part);
}

/* Every strict prefix of a valid header needs more. */
static void expect_prefixes_need_more(const uint8_t *hdr, size_t len)
{
    struct proxy_header h;

    for (size_t i = 0; i < len; i++)
        cr_expect_eq(parse(hdr, i, &h), PROXY_MORE, "prefix of %zu bytes", i);
}

/* ---- v1 ---- */

Test(proxy, v1_tcp4)
{
    struct proxy_header h;
    const char *s = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nhello";

    cr_assert_eq(parse_str(s, &h), PROXY_DONE);
    cr_expect_eq(h.version, 1);
    cr_expect_eq(h.len, strlen(s) - 5, "the data after the header is not part of it");
    cr_expect_not(h.local);
    expect_v4(&h.src, "192.0.2.1", 56324);
    expect_v4(&h.dst, "198.51.100.2", 443);
    expect_prefixes_need_more((const uint8_t *)s, strlen(s) - 5);
}

Test(proxy, v1_tcp6)
{
    struct proxy_header h;

    cr_assert_eq(parse_str("PROXY TCP6 2001:db8::1 ::1 1 65535\r\n", &h), PROXY_DONE);
    cr_expect_eq(h.src.ss_family, AF_INET6);
    cr_expect_eq(ntohs(((struct sockaddr_in6 *)&h.dst)->sin6_port), 65535);
    cr_expect_eq(h.addr_len, sizeof(struct sockaddr_in6));
}

Test(proxy, v1_unknown_is_local)
{
    struct proxy_header h;

    cr_assert_eq(parse_str("PROXY UNKNOWN\r\n", &h), PROXY_DONE);
    cr_expect(h.local);
    cr_assert_eq(parse_str("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", &h), PROXY_DONE);
    cr_expect(h.local);
}

Test(proxy, v1_longest_line_parses)
{
    struct proxy_header h;
    const char *s = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";

    cr_assert_eq(strlen(s), 104);
    cr_expect_eq(parse_str(s, &h), PROXY_DONE);
}

Test(proxy, missing_header_is_refused_at_the_first_byte)
{
    expect_invalid("GET / HTTP/1.0\r\n", 16, "no PROXY header");
    expect_invalid("h", 1, "no PROXY header");
}

Test(proxy, v1_wrong_signature)
{
    expect_invalid("PROXZ TCP4", 10, "signature");
    expect_invalid("PR\r\n", 4, "signature");
    expect_invalid("PROXYTCP4", 9, "signature");
}

Test(proxy, v1_truncated_stays_incomplete_until_too_long)
{
    char line[PROXY_V1_MAX + 1];
    struct proxy_header h;

    memset(line, 'x', sizeof(line));
    memcpy(line, "PROXY ", 6);
    cr_expect_eq(parse(line, PROXY_V1_MAX - 1, &h), PROXY_MORE);
    expect_invalid(line, PROXY_V1_MAX, "too long");
    expect_invalid(line, sizeof(line), "too long");
}

Test(proxy, v1_bad_fields)
{
    expect_invalid("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", 34, "four fields");
    expect_invalid("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", 33, "four fields");
    expect_invalid("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", 32, "TCP4");
    expect_invalid("PROXY TCP4 ::1 ::1 1 2\r\n", 24, "address");
    expect_invalid("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", 28, "address");
    expect_invalid("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", 36, "port");
    expect_invalid("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", 34, "port");
    expect_invalid("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", 33, "port");
    expect_invalid("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", 31, "LF");
    expect_invalid("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", 32, "CR without LF");
}

/* ---- v2 ---- */

static const uint8_t sig[12] = { '\r', '\n', '\r', '\n', 0, '\r', '\n', 'Q', 'U', 'I', 'T', '\n' };

/* A v2 header: command cmd, family/transport fam, body of n bytes. */
static size_t v2(uint8_t *out, uint8_t cmd, uint8_t fam, const void *body, size_t n)
{
    memcpy(out, sig, 12);
    out[12] = (uint8_t)(0x20 | cmd);
    out[13] = fam;
    out[14] = (uint8_t)(n >> 8);
    out[15] = (uint8_t)n;
    if (n > 0) /* body may be NULL for an empty one */
        memcpy(out + 16, body, n);
    return 16 + n;
}

static const uint8_t v4_body[12] = { 192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x04, 0x01, 0xbb };

Test(proxy, v2_tcp4_with_tlvs_skipped)
{
    uint8_t body[64], hdr[128];
    struct proxy_header h;

    memcpy(body, v4_body, 12);
    /* PP2_TYPE_AUTHORITY "ab", then a NOOP of length 0 */
    memcpy(body + 12, (uint8_t[]){ 0x02, 0, 2, 'a', 'b', 0x04, 0, 0 }, 8);
    size_t len = v2(hdr, 1, 0x11, body, 20);
    memcpy(hdr + len, "data", 4);
    cr_assert_eq(parse(hdr, len + 4, &h), PROXY_DONE);
    cr_expect_eq(h.version, 2);
    cr_expect_eq(h.len, len);
    expect_v4(&h.src, "192.0.2.1", 56324);
    expect_v4(&h.dst, "198.51.100.2", 443);
    expect_prefixes_need_more(hdr, len);
}

Test(proxy, v2_tcp6)
{
    uint8_t body[36] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1, [31] = 1, [32] = 0, [33] = 80 };
    uint8_t hdr[64];
    struct proxy_header h;

    cr_assert_eq(parse(hdr, v2(hdr, 1, 0x21, body, 36), &h), PROXY_DONE);
    cr_expect_eq(h.src.ss_family, AF_INET6);
    cr_expect_eq(ntohs(((struct sockaddr_in6 *)&h.src)->sin6_port), 80);
}

Test(proxy, v2_local_is_served_with_the_socket_address)
{
    uint8_t hdr[64];
    struct proxy_header h;

    cr_assert_eq(parse(hdr, v2(hdr, 0, 0x00, NULL, 0), &h), PROXY_DONE);
    cr_expect(h.local);
    cr_assert_eq(parse(hdr, v2(hdr, 0, 0x11, v4_body, 12), &h), PROXY_DONE);
    cr_expect(h.local, "LOCAL ignores whatever addresses it carries");
}

Test(proxy, v2_unspec_is_local)
{
    uint8_t hdr[64];
    struct proxy_header h;

    cr_assert_eq(parse(hdr, v2(hdr, 1, 0x00, NULL, 0), &h), PROXY_DONE);
    cr_expect(h.local);
}

Test(proxy, v2_wrong_signature)
{
    uint8_t hdr[64];
    size_t len = v2(hdr, 1, 0x11, v4_body, 12);

    hdr[7] = 'q';
    expect_invalid(hdr, len, "signature");
    expect_invalid(hdr, 8, "signature");
}

Test(proxy, v2_wrong_version_or_command)
{
    uint8_t hdr[64];
    size_t len = v2(hdr, 1, 0x11, v4_body, 12);

    hdr[12] = 0x11;
    expect_invalid(hdr, len, "version");
    hdr[12] = 0x22;
    expect_invalid(hdr, 13, "command");
}

Test(proxy, v2_unknown_family)
{
    uint8_t hdr[64];

    expect_invalid(hdr, v2(hdr, 1, 0x41, v4_body, 12), "family");
    expect_invalid(hdr, 14, "family");
    expect_invalid(hdr, v2(hdr, 1, 0x13, v4_body, 12), "family"); /* transport 3 */
}

Test(proxy, v2_datagram_refused)
{
    uint8_t hdr[64];

    expect_invalid(hdr, v2(hdr, 1, 0x12, v4_body, 12), "datagram");
}

Test(proxy, v2_length_too_short_for_the_addresses)
{
    uint8_t hdr[64];

    expect_invalid(hdr, v2(hdr, 1, 0x11, v4_body, 11), "too short");
    expect_invalid(hdr, v2(hdr, 1, 0x21, v4_body, 12), "too short");
}

Test(proxy, v2_truncated_needs_more)
{
    uint8_t hdr[64];
    struct proxy_header h;
    size_t len = v2(hdr, 1, 0x11, v4_body, 12);

    cr_expect_eq(parse(hdr, len - 1, &h), PROXY_MORE);
    cr_expect_eq(parse(hdr, 15, &h), PROXY_MORE);
}

Test(proxy, v2_oversized_header_refused_before_it_arrives)
{
    uint8_t hdr[PROXY_V2_HEAD];
    size_t body = PROXY_MAX_HEADER - PROXY_V2_HEAD + 1;

    memcpy(hdr, sig, 12);
    hdr[12] = 0x21;
    hdr[13] = 0x11;
    hdr[14] = (uint8_t)(body >> 8);
    hdr[15] = (uint8_t)body;
    expect_invalid(hdr, sizeof(hdr), "longer than");
}

Test(proxy, v2_tlv_overrunning_the_header)
{
    uint8_t body[32], hdr[64];

    memcpy(body, v4_body, 12);
    memcpy(body + 12, (uint8_t[]){ 0x02, 0, 9, 'a', 'b' }, 5); /* says 9, has 2 */
    expect_invalid(hdr, v2(hdr, 1, 0x11, body, 17), "TLV");
    memcpy(body + 12, (uint8_t[]){ 0x02, 0 }, 2); /* a TLV head cut short */
    expect_invalid(hdr, v2(hdr, 1, 0x11, body, 14), "TLV");
}

/* ---- proxy_recv on a socket ---- */

Test(proxy, recv_header_split_across_reads_takes_only_the_header)
{
    const char *hdr = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n";
    struct proxy_header h;
    char rest[16];
    int sv[2];

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    cr_expect_eq(proxy_recv(sv[1], &h), PROXY_MORE, "nothing yet");
    cr_assert_eq(write(sv[0], hdr, 10), 10);
    cr_expect_eq(proxy_recv(sv[1], &h), PROXY_MORE);
    cr_assert_eq(write(sv[0], hdr + 10, 20), 20);
    cr_expect_eq(proxy_recv(sv[1], &h), PROXY_MORE);
    size_t left = strlen(hdr) - 30;
    cr_assert_eq(write(sv[0], hdr + 30, left), (ssize_t)left);
    cr_assert_eq(write(sv[0], "hello", 5), 5);
    cr_assert_eq(proxy_recv(sv[1], &h), PROXY_DONE);
    expect_v4(&h.src, "192.0.2.1", 56324);
    cr_assert_eq(read(sv[1], rest, sizeof(rest)), 5);
    cr_expect_eq(memcmp(rest, "hello", 5), 0);
    close(sv[0]);
    close(sv[1]);
}

Test(proxy, recv_peer_closed_before_any_header_is_invalid)
{
    struct proxy_header h;
    int sv[2];

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    close(sv[0]);
    cr_expect_eq(proxy_recv(sv[1], &h), PROXY_INVALID);
    cr_expect(strstr(h.why, "closed") != NULL, "%s", h.why);
    close(sv[1]);
}

/* ---- bin/echod --proxy-protocol, end to end ---- */

static void start_echod(struct sup_proc *p)
{
    cr_assert_eq(sup_start_server(p, "echod", (const char *const[]){ "--proxy-protocol", "-w",
                                  "1", NULL }), 0, "echod did not start");
}

static long long stop_and_count(struct sup_proc *p, const char *key)
{
    int status = sup_stop(p, SIGTERM, 15000);

    cr_assert_eq(sup_exit_code(status), 0, "status %#x: %s", status, p->err ? p->err : "");
    return sup_echod_num(p->out, key);
}

Test(proxy, echod_header_split_across_segments_then_data, .timeout = 30)
{
    const char *hdr = "PROXY TCP6 2001:db8::1 2001:db8::2 4000 7\r\n";
    struct sup_proc p;
    char buf[8];

    start_echod(&p);
    int fd = sup_connect("127.0.0.1", p.port);
    cr_assert_geq(fd, 0);
    for (size_t off = 0, len = strlen(hdr); off < len; off += 7) { /* 7 bytes a segment */
        cr_assert_eq(sup_write_all(fd, hdr + off, len - off < 7 ? len - off : 7), 0);
        usleep(20000);
    }
    cr_assert_eq(sup_write_all(fd, "ping", 4), 0);
    cr_expect_eq(sup_read_n(fd, buf, 4, 5000), 4);
    cr_expect_eq(memcmp(buf, "ping", 4), 0, "exactly the data after the header comes back");
    close(fd);
    cr_expect_eq(stop_and_count(&p, "bytes_out"), 4, "%s", p.out);
    sup_free(&p);
}

Test(proxy, echod_peer_closing_mid_header_is_counted, .timeout = 30)
{
    struct sup_proc p;

    start_echod(&p);
    int fd = sup_connect("127.0.0.1", p.port);
    cr_assert_geq(fd, 0);
    cr_assert_eq(sup_write_all(fd, "PROXY TCP4 1.2", 14), 0);
    usleep(100000);
    close(fd);
    usleep(200000);
    cr_expect_eq(stop_and_count(&p, "proxy_invalid"), 1, "%s", p.out);
    sup_free(&p);
}

Test(proxy, echod_header_that_never_completes_times_out, .timeout = 30)
{
    struct sup_proc p;
    char buf[4];

    start_echod(&p);
    int fd = sup_connect("127.0.0.1", p.port);
    cr_assert_geq(fd, 0);
    cr_assert_eq(sup_write_all(fd, "PROXY TCP4 ", 11), 0);
    uint64_t t0 = clock_now_ns();
    cr_expect_leq(sup_read_n(fd, buf, sizeof(buf), 15000), 0, "closed without a reply");
    uint64_t waited_ms = (clock_now_ns() - t0) / CLOCK_NS_PER_MS;
    cr_expect_geq(waited_ms, PROXY_TIMEOUT_MS - 1100, "closed after %llu ms",
                  (unsigned long long)waited_ms);
    close(fd);
    cr_expect_eq(stop_and_count(&p, "proxy_timeouts"), 1, "%s", p.out);
    sup_free(&p);
}
