/* flipecho.c - a tiny echo server that corrupts one byte, so tcpload's
 * check can be seen to catch it.
 *
 * usage: flipecho OFFSET [ARG...]
 * ARGs are ignored, so that a driver that starts echod with its options
 * after the caller's (the soak) can start flipecho in its place.
 * Listens on 127.0.0.1 (an ephemeral port), prints "listening on
 * 127.0.0.1:PORT", and echoes every connection; on the first connection it
 * accepts, the byte at stream offset OFFSET goes back with its lowest bit
 * flipped.  One thread, poll(2) (helper_server.h); runs until killed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "helper_server.h"

/* Echoes what p has, flipping the byte at *flip_at on the first
 * connection; -1 when p is done. */
static int echo(struct helper_peer *p, void *flip_at)
{
    uint64_t at = *(const uint64_t *)flip_at;
    char buf[65536];
    ssize_t n = read(p->fd, buf, sizeof(buf));

    if (n <= 0)
        return n < 0 && errno == EINTR ? 0 : -1;
    if (p->index == 0 && at >= p->off && at < p->off + (uint64_t)n)
        buf[at - p->off] ^= 1;
    p->off += (uint64_t)n;
    return helper_write_all(p->fd, buf, (size_t)n);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: flipecho OFFSET [ARG...]\n");
        return 2;
    }
    uint64_t flip_at = strtoull(argv[1], NULL, 10);
    helper_serve(helper_listen("flipecho"), echo, &flip_at);
}
