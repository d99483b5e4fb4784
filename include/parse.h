/* parse.h - strict parsing of command-line values, shared by every program.
 *
 * echod, tcpload and backlog-lab all take counts, sizes, durations and
 * HOST:PORT addresses on the command line.  These functions accept exactly
 * one spelling of each and reject everything else (empty strings, trailing
 * junk, overflow, values out of range), so that a bad flag can always be
 * reported by name and never silently becomes 0 or wraps.
 *
 * Every parse_* function returns 0 on success and -1 on failure with errno
 * saying why, so that a caller can name both the flag and the reason:
 *   EINVAL         bad syntax
 *   ERANGE         a number out of range, including one that overflows
 *   EADDRNOTAVAIL  HOST is well formed but a name, not a numeric address
 *                  (parse_hostport; parse_resolve looks it up instead)
 *   ENODEV         the IPv6 scope ("%eth0") names no network interface
 *   ENOENT         the host name does not resolve (parse_resolve)
 *   EAGAIN         the resolver failed for now; the same name may work later
 *   EAFNOSUPPORT   the host name has no IPv4 or IPv6 address
 *   EIO            the resolver failed for good
 *   ENOMEM         out of memory while resolving
 * parse_strerror turns each into words.  parse_count, parse_size and the
 * duration parsers write their result only on success; the HOST:PORT
 * parsers leave *len untouched on failure, and *ss too unless HOST itself
 * was at fault (then *ss may have been zeroed).
 */
#ifndef PARSE_H
#define PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A whole number in [min, max]; decimal, with an optional k, m or g suffix
 * meaning x1000, x1000000, x1000000000 ("10k" = 10000). */
int parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A byte size in [min, max]; an optional suffix k/K/KiB, m/M/MiB, g/G/GiB is
 * binary (x1024 per step), "B" alone is bytes ("16k" = 16384). */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A duration in nanoseconds: a decimal number, optionally fractional, with a
 * unit of ns, us, ms, s, m or h; no unit means seconds ("10", "10s",
 * "500ms", "1.5s", "2m").  Negative values are rejected; one that does not
 * fit in 64 bits of nanoseconds (about 584 years) fails with ERANGE.  Nine
 * fractional digits are read exactly; anything finer rounds up to the next
 * nanosecond, so a nonzero value is never 0 ("0.0000000001s" is 1 ns). */
int parse_duration(const char *s, uint64_t *out_ns);

/* The same spelling as parse_duration, in whole milliseconds at most
 * max_ms: a nonzero duration below 1 ms is 1 ms and a fraction of a
 * millisecond rounds up, so that a nonzero value never becomes 0 (which
 * flags usually read as "off").  Longer than max_ms: ERANGE. */
int parse_duration_ms(const char *s, uint64_t max_ms, uint64_t *out_ms);

/* HOST:PORT with a numeric address, without any lookup: IPv4
 * ("127.0.0.1:7007"), bracketed IPv6 ("[::1]:7007"), IPv6 with a scope,
 * an interface name or number ("[fe80::1%lo]:7007", "[fe80::1%2]:7007",
 * which sets sin6_scope_id), or "localhost", which is 127.0.0.1.  PORT is
 * 0..65535.  Fills *ss and *len.  A well-formed host name ("example.com")
 * fails with EADDRNOTAVAIL, a scope that names no interface with ENODEV. */
int parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* HOST:PORT like parse_hostport, but a host name is looked up with
 * getaddrinfo (numeric forms first, never a lookup for them), and the
 * first IPv4 or IPv6 address it gives is taken.  May block while the
 * resolver works, so it is for command lines, not event loops.  Fails
 * with parse_hostport's errors, or ENOENT, EAGAIN, EAFNOSUPPORT, EIO or
 * ENOMEM from the lookup. */
int parse_resolve(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* What errno err means for one of these parsers, in words for a message
 * that already names the flag and the value ("the host name does not
 * resolve"); any other err as strerror says it. */
const char *parse_strerror(int err);

/* Formats an IPv4 or IPv6 socket address as "1.2.3.4:80", "[::1]:80" or
 * "[fe80::1%lo]:80" (any other family as "(family N)") into buf of size
 * bytes (at least PARSE_ADDRSTRLEN for the whole text); cannot fail,
 * returns buf. */
#define PARSE_ADDRSTRLEN 80
char *parse_format_addr(const struct sockaddr *sa, char *buf, size_t size);

#endif
