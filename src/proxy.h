/* proxy.h - the PROXY protocol header (HAProxy's proxy-protocol.txt, v1
 * text and v2 binary) that a load balancer sends before a connection's
 * first byte, to tell echod the client's real address.
 *
 * proxy_parse is a pure function over the bytes seen so far: it says
 * whether they already hold a whole valid header (and how long it is),
 * could still become one (more bytes needed), or never can.  It reads at
 * most PROXY_MAX_HEADER bytes and never past len, so a fuzzer can drive
 * it directly.  proxy_recv does the socket side: it peeks at the receive
 * queue (MSG_PEEK), so that nothing but the header is ever taken out of it
 * and a header split across segments is simply looked at again.
 */
#ifndef PROXY_H
#define PROXY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROXY_V1_MAX 107     /* the longest v1 line, CRLF included (the spec's) */
#define PROXY_V2_HEAD 16     /* signature, version/command, family, length */
#define PROXY_MAX_HEADER 1024 /* v2 with TLVs beyond this is refused */
#define PROXY_TIMEOUT_MS 5000 /* a whole header must arrive within this */

enum proxy_result {
    PROXY_DONE,    /* a whole valid header: *out is filled, out->len its size */
    PROXY_MORE,    /* a valid prefix: wait for more bytes */
    PROXY_INVALID, /* never a valid header: out->why says why */
};

struct proxy_header {
    size_t len;                   /* header bytes, to be consumed */
    int version;                  /* 1 or 2 */
    int local;                    /* no address to use: v2 LOCAL (the balancer's
                                   * own health check), v1 UNKNOWN, v2 UNSPEC or
                                   * AF_UNIX; keep the socket's own addresses */
    struct sockaddr_storage src;  /* the client, when !local */
    struct sockaddr_storage dst;  /* the address it connected to, when !local */
    socklen_t addr_len;
    const char *why;              /* PROXY_INVALID: a static reason */
};

/* Parses the first len bytes of a connection.  See enum proxy_result. */
enum proxy_result proxy_parse(const uint8_t *buf, size_t len, struct proxy_header *out);

/* Reads the header from socket fd without taking any byte after it:
 * peeks, parses, and on PROXY_DONE receives exactly out->len bytes.
 * Returns PROXY_DONE, PROXY_MORE (wait for the next EPOLLIN), or
 * PROXY_INVALID, also when the peer closed or the socket failed before
 * a whole header came (out->why says which). */
enum proxy_result proxy_recv(int fd, struct proxy_header *out);

#endif
