/* test_http.c - the metrics endpoint's bounded request parser (http.c):
 * requests that must parse, every prefix of one asking for more, and each
 * malformed or oversized head refused.  Inputs sit right before an
 * inaccessible page, so reading one byte too far crashes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "support.h"

static enum http_result parse(const char *s, size_t len, struct http_request *r)
{
    return http_parse(sup_guarded(s, len), len, r);
}

static void expect_bad(const char *s, const char *why)
{
    struct http_request r;

    cr_assert_eq(parse(s, strlen(s), &r), HTTP_BAD, "%s", s);
    cr_expect(r.why != NULL && strstr(r.why, why) != NULL, "why %s, want %s", r.why, why);
}

Test(http, prometheus_scrape_request)
{
    const char *s = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9107\r\n"
                    "User-Agent: Prometheus/2.42.0\r\nAccept: text/plain;version=0.0.4\r\n"
                    "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";
    struct http_request r;

    cr_assert_eq(parse(s, strlen(s), &r), HTTP_DONE);
    cr_expect(http_method_is(&r, "GET"));
    cr_expect(http_path_is(&r, "/metrics"));
    cr_expect_not(http_path_is(&r, "/metric"));
    cr_expect_eq(r.minor, 1);
    cr_expect_eq(r.len, strlen(s));
    for (size_t i = 0; i < strlen(s); i++)
        cr_expect_eq(parse(s, i, &r), HTTP_MORE, "prefix %zu", i);
}

Test(http, query_string_is_not_part_of_the_path)
{
    struct http_request r;
    const char *s = "GET /healthz?verbose=1 HTTP/1.0\r\n\r\n";

    cr_assert_eq(parse(s, strlen(s), &r), HTTP_DONE);
    cr_expect(http_path_is(&r, "/healthz"));
    cr_expect_eq(r.minor, 0);
}

Test(http, malformed_request_lines)
{
    expect_bad("\r\n\r\n", "method");
    expect_bad("GET  /metrics HTTP/1.1\r\n\r\n", "target");
    expect_bad("GET metrics HTTP/1.1\r\n\r\n", "target");
    expect_bad("GET /metrics HTTP/2.0\r\n\r\n", "HTTP/1");
    expect_bad("GET /metrics HTTP/1.1 \r\n\r\n", "HTTP/1");
    expect_bad("GET /metrics\r\n\r\n", "target");
    expect_bad("G(T /metrics HTTP/1.1\r\n\r\n", "method");
    expect_bad("AVERYLONGMETHODNAME /metrics HTTP/1.1\r\n\r\n", "method");
    expect_bad("GET /met\x01rics HTTP/1.1\r\n\r\n", "target");
}

Test(http, garbage_is_refused_before_a_line_ends)
{
    struct http_request r;

    cr_expect_eq(parse("\x16\x03\x01", 3, &r), HTTP_BAD);
    cr_expect_eq(parse("GE", 2, &r), HTTP_MORE);
    cr_expect_eq(parse("GET /met", 8, &r), HTTP_MORE);
    cr_expect_eq(parse("GET(", 4, &r), HTTP_BAD);
}

Test(http, malformed_headers)
{
    expect_bad("GET / HTTP/1.1\nHost: x\n\n", "bare");
    expect_bad("GET / HTTP/1.1\r\nHost x\r\n\r\n", "header line");
    expect_bad("GET / HTTP/1.1\r\n folded\r\n\r\n", "header line");
    expect_bad("GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", "header value");
    expect_bad("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", "bare");
}

Test(http, head_longer_than_the_bound_is_refused)
{
    static char big[HTTP_MAX_REQUEST + 64];
    struct http_request r;
    size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX: ");

    memset(big + n, 'a', sizeof(big) - n);
    cr_expect_eq(parse(big, HTTP_MAX_REQUEST - 1, &r), HTTP_MORE);
    cr_expect_eq(parse(big, HTTP_MAX_REQUEST, &r), HTTP_BAD);
    cr_expect(strstr(r.why, "too long") != NULL, "%s", r.why);
}
