/* peer.h - what every benchmark peer shares: its command line and its
 * listening socket.
 *
 * The peers in bench/peers/ are small servers written only to be measured
 * beside echod.  So that the harness can treat them all alike, each one takes
 * `--listen HOST:PORT` (port 0 picks a free one), creates its listener here,
 * and prints exactly one line `listening on HOST:PORT` on stdout once the
 * socket accepts connections.  Addresses are parsed by the project's own
 * parse_hostport (lib/parse.c), so the peers accept the same spellings as
 * echod.
 */
#ifndef PEER_H
#define PEER_H

#include <stddef.h>

#define PEER_BACKLOG 4096

/* Options common to every peer.  Peers with more options (floor.c) read
 * them from the argument vector that peer_parse leaves them. */
struct peer_opts {
    const char *listen;   /* HOST:PORT, default 127.0.0.1:0 */
};

/* Parses --listen HOST:PORT and -h/--help from argv.  Unknown arguments are
 * an error unless extra is non-NULL, in which case extra(name, value, ctx)
 * is asked about every other argument, value being the argument after it
 * (NULL at the end); it returns how many arguments it took (1 for a bare
 * flag, 2 for a flag and its value) or -1 when the flag is unknown or its
 * value bad.  On error prints one line naming the flag and returns -1 (the
 * caller exits 2); returns 1 when help was printed, 0 otherwise. */
typedef int (*peer_extra_fn)(const char *name, const char *value, void *ctx);
int peer_parse(int argc, char **argv, const char *usage, struct peer_opts *o,
               peer_extra_fn extra, void *ctx);

/* peer_parse then peer_listen, for the peers with no flags of their own.
 * Returns PEER_RUN with *lfd set to the listener, or the status the program
 * should exit with: 0 after --help, 1 when the listener failed, 2 for bad
 * usage. */
#define PEER_RUN (-1)
int peer_init(int argc, char **argv, const char *usage, int nonblock, int *lfd);

/* Creates a nonblocking (when nonblock is set) TCP listener bound to
 * hostport with SO_REUSEADDR and a backlog of PEER_BACKLOG.  Returns the
 * descriptor, or -1 after printing which call failed. */
int peer_listen(const char *hostport, int nonblock);

/* Prints "listening on HOST:PORT" for the bound socket fd and flushes
 * stdout.  Returns 0, or -1 when getsockname fails. */
int peer_announce(int fd);

/* Sends all len bytes of p on a blocking socket, retrying on EINTR.
 * Returns 0, or -1 when the peer went away. */
int peer_write_all(int fd, const char *p, size_t len);

/* Echoes a blocking socket: read() then write back, until EOF or an error;
 * then closes fd. */
void peer_echo_blocking(int fd);

/* Sets the calling thread's CPU affinity to cpu (-1: leave it).  Returns 0
 * or -1. */
int peer_pin(int cpu);

#endif
