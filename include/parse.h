/* parse.h - strict parsing of command-line values, shared by every program.
 *
 * echod, tcpload and backlog-lab all take counts, sizes, durations and
 * HOST:PORT addresses on the command line.  These functions accept exactly
 * one spelling of each and reject everything else (empty strings, trailing
 * junk, overflow, values out of range), so that a bad flag can always be
 * reported by name and never silently becomes 0.
 *
 * Every parse_* function returns 0 on success and -1 on failure, with
 * errno EINVAL (bad syntax) or ERANGE (out of range).  parse_count,
 * parse_size and parse_duration write their result only on success;
 * parse_hostport may have cleared *ss on failure (see there).
 */
#ifndef PARSE_H
#define PARSE_H

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
 * "500ms", "1.5s", "2m").  Negative values are rejected. */
int parse_duration(const char *s, uint64_t *out_ns);

/* HOST:PORT with a numeric IPv4 address, a bracketed IPv6 address
 * ("[::1]:7007") or "localhost"; PORT is 0..65535.  Fills *ss and *len.
 * On failure *len is untouched, and so is *ss when the syntax or the port
 * is wrong; when only HOST is not an address ("banana:80", "[1.2.3.4]:80"),
 * *ss has been zeroed. */
int parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* Formats an IPv4 or IPv6 socket address as "1.2.3.4:80" or "[::1]:80"
 * (any other family as "(family N)") into buf of size bytes (at least
 * PARSE_ADDRSTRLEN for the whole text); cannot fail, returns buf. */
#define PARSE_ADDRSTRLEN 64
char *parse_format_addr(const struct sockaddr *sa, char *buf, size_t size);

#endif
