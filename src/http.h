/* http.h - the one HTTP/1.x request echod's metrics endpoint reads, parsed
 * within a fixed bound.
 *
 * The endpoint serves one request per connection (it answers with
 * "Connection: close"), so all it needs is the request line; the header
 * lines are only checked to be lines and to end, within HTTP_MAX_REQUEST
 * bytes.  Like proxy_parse, http_parse is a pure function over the bytes
 * received so far, never reads past them, and is fuzzed.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#define HTTP_MAX_REQUEST 4096 /* request line and headers, bytes; longer: refused */

enum http_result {
    HTTP_DONE, /* a whole request head: *req is filled */
    HTTP_MORE, /* a valid prefix: read more */
    HTTP_BAD,  /* malformed, or longer than HTTP_MAX_REQUEST: req->why says which */
};

struct http_request {
    const char *method;  /* into the buffer, not NUL-ended */
    size_t method_len;
    const char *target;  /* the path and query as sent */
    size_t target_len;
    int minor;           /* HTTP/1.minor: 0 or 1 */
    size_t len;          /* bytes of the head, final CRLF CRLF included */
    const char *why;     /* HTTP_BAD: a static reason */
};

/* Parses the first len bytes of a request. */
enum http_result http_parse(const char *buf, size_t len, struct http_request *req);

/* Whether the request's method is m, and its path (the target up to any
 * '?') is p. */
int http_method_is(const struct http_request *req, const char *m);
int http_path_is(const struct http_request *req, const char *p);

#endif
