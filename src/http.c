/* http.c - a bounded HTTP/1.x request-head parser (see http.h).
 *
 * Grammar accepted (RFC 9112, strictly): a request line METHOD SP TARGET
 * SP "HTTP/1." DIGIT CRLF, where METHOD is 1 to 16 token characters and
 * TARGET starts with '/' and holds only visible ASCII; then header lines
 * "name: value" CRLF (name a token, value visible ASCII, space or tab);
 * then CRLF.  Bare LF, control characters, obsolete line folding and
 * anything beyond HTTP_MAX_REQUEST are refused: a scraper never sends
 * them, and a hostile client gets closed at once instead of holding a
 * slot.
 */
#include "http.h"

#include <string.h>

#define METHOD_MAX 16

static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_vchar(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

static enum http_result bad(struct http_request *req, const char *why)
{
    req->why = why;
    return HTTP_BAD;
}

/* Finds the CRLF of the line starting at p (within end).  Returns its
 * offset, -1 when the line is not complete yet, -2 for a bare CR or LF. */
static long line_end(const char *p, const char *end)
{
    for (const char *q = p; q < end; q++) {
        if (*q == '\n')
            return -2;
        if (*q != '\r')
            continue;
        if (q + 1 == end)
            return -1;
        return q[1] == '\n' ? q - p : -2;
    }
    return -1;
}

/* Whether p[0..n), an unfinished request line, can still start with a
 * method and a space: garbage (a TLS hello, a binary probe) is refused at
 * its first bytes instead of holding a client slot until the timeout. */
static int method_prefix_ok(const char *p, size_t n)
{
    size_t i = 0;

    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i > METHOD_MAX)
        return 0;
    return i == n || (i > 0 && p[i] == ' ');
}

static enum http_result request_line(const char *p, size_t n, struct http_request *req)
{
    size_t i = 0;

    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i > METHOD_MAX || i == n || p[i] != ' ')
        return bad(req, "bad method");
    req->method = p;
    req->method_len = i++;
    req->target = p + i;
    while (i < n && is_vchar((unsigned char)p[i]))
        i++;
    req->target_len = (size_t)(p + i - req->target);
    if (req->target_len == 0 || req->target[0] != '/' || i == n || p[i] != ' ')
        return bad(req, "bad target");
    i++;
    if (n - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0 || (p[i + 7] != '0' && p[i + 7] != '1'))
        return bad(req, "not HTTP/1.0 or HTTP/1.1");
    req->minor = p[i + 7] - '0';
    return HTTP_DONE;
}

static enum http_result header_line(const char *p, size_t n, struct http_request *req)
{
    size_t i = 0;

    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i == n || p[i] != ':')
        return bad(req, "bad header line");
    for (i++; i < n; i++)
        if (!is_vchar((unsigned char)p[i]) && p[i] != ' ' && p[i] != '\t')
            return bad(req, "bad header value");
    return HTTP_DONE;
}

enum http_result http_parse(const char *buf, size_t len, struct http_request *req)
{
    const char *end = buf + (len < HTTP_MAX_REQUEST ? len : HTTP_MAX_REQUEST);
    const char *p = buf;

    memset(req, 0, sizeof(*req));
    for (int first = 1;; first = 0) {
        long n = line_end(p, end);
        if (n == -2)
            return bad(req, "bare CR or LF");
        if (n == -1 && first && !method_prefix_ok(p, (size_t)(end - p)))
            return bad(req, "bad method");
        if (n == -1)
            return len >= HTTP_MAX_REQUEST ? bad(req, "request too long") : HTTP_MORE;
        if (n == 0 && !first) {
            req->len = (size_t)(p + 2 - buf);
            return HTTP_DONE;
        }
        enum http_result r = first ? request_line(p, (size_t)n, req)
                                   : header_line(p, (size_t)n, req);
        if (r != HTTP_DONE)
            return r;
        p += n + 2;
    }
}

int http_method_is(const struct http_request *req, const char *m)
{
    return req->method_len == strlen(m) && memcmp(req->method, m, req->method_len) == 0;
}

int http_path_is(const struct http_request *req, const char *p)
{
    const char *q = memchr(req->target, '?', req->target_len);
    size_t n = q != NULL ? (size_t)(q - req->target) : req->target_len;

    return n == strlen(p) && memcmp(req->target, p, n) == 0;
}
