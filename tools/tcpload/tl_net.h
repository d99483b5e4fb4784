/* tl_net.h - tcpload's socket helpers: source address ranges and
 * nonblocking client sockets.
 *
 * A loopback client runs out of ephemeral ports (as many per source address
 * as net.ipv4.ip_local_port_range holds, fewer while TIME_WAIT holds them)
 * long before a server runs out of anything.  --source A-B spreads
 * connections over a range of IPv4 or IPv6 source addresses: each socket
 * is bound to the next address of the range with IP_BIND_ADDRESS_NO_PORT,
 * so the kernel picks the port only at connect() time, per (source,
 * destination) pair, and each address brings its own set of ports.  An
 * IPv6 range varies in its last 32 bits only (fd00::2-fd00::ff; the first
 * 96 bits of A and B must agree).
 *
 * tl_net_connect and tl_net_close return 0 (or a descriptor) on success and
 * a negative errno on failure, so callers can count failures by errno.
 * The others differ, each as its contract says: tl_source_parse returns -1
 * with errno set, and tl_net_error and tl_net_connected report a socket's
 * error as a positive errno.
 */
#ifndef TL_NET_H
#define TL_NET_H

#include <stdint.h>
#include <sys/socket.h>

/* A range of source addresses; count 0 means "let the kernel choose". */
struct tl_source {
    int family;          /* AF_INET or AF_INET6 (when count > 0) */
    uint8_t high[12];    /* IPv6: the first 96 bits, shared by the range */
    uint32_t first;      /* first address (IPv6: its last 32 bits), host byte order */
    uint32_t count;      /* addresses in the range */
    uint32_t next;       /* offset of the address the next socket gets */
};

/* Parses "A" or "A-B" (both dotted IPv4, or both IPv6 that differ in
 * their last 32 bits only; A <= B) into *src.  Returns 0, or -1 with errno
 * EINVAL. */
int tl_source_parse(const char *s, struct tl_source *src);

/* Address number i of the range (IPv6: its last 32 bits; host byte
 * order), i < count. */
static inline uint32_t tl_source_addr(const struct tl_source *src, uint32_t i)
{
    return src->first + i;
}

/* Starts a nonblocking, close-on-exec TCP connection to dst; binds it to
 * the next address of src first when src->count > 0 (and advances src).
 * Sets TCP_NODELAY when nodelay is set.  Returns the descriptor and sets
 * *connected to 1 when connect() completed at once, 0 when in progress;
 * returns -errno when a call failed (the descriptor is closed then). */
int tl_net_connect(const struct sockaddr *dst, socklen_t len,
                   struct tl_source *src, int nodelay, int *connected);

/* The pending error of a socket (SO_ERROR) as a positive errno, 0 if none;
 * getsockopt's own errno (positive too) when the call itself fails. */
int tl_net_error(int fd);

/* What an epoll event on a socket whose connect() is in progress says: 0
 * connected, a positive errno when the connect failed (ECONNREFUSED when
 * EPOLLERR or EPOLLHUP came with no pending error), -1 still waiting. */
int tl_net_connected(int fd, uint32_t events);

/* Closes fd; with rst set, with SO_LINGER 0 so the kernel sends a reset and
 * keeps no TIME_WAIT socket.  Returns 0 or -errno. */
int tl_net_close(int fd, int rst);

#endif
