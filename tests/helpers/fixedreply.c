/* fixedreply.c - a server that answers every IN bytes it reads with OUT
 * bytes of its own ('r'), as a request/response server with fixed sizes
 * does, so tcpload's --response-size can be seen to count replies by size.
 *
 * usage: fixedreply IN OUT
 * Listens on 127.0.0.1 (an ephemeral port), prints "listening on
 * 127.0.0.1:PORT", serves every connection with one thread and poll(2)
 * (helper_server.h); OUT is at most 65536.  Runs until killed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_server.h"

struct sizes {
    uint64_t in;
    size_t out;
    char reply[65536];
};

/* Reads what p has and answers each whole request (p->off: bytes of the
 * current one read so far); -1 when p is done. */
static int serve(struct helper_peer *p, void *ctx)
{
    const struct sizes *z = ctx;
    char buf[65536];
    ssize_t n = read(p->fd, buf, sizeof(buf));

    if (n <= 0)
        return n < 0 && errno == EINTR ? 0 : -1;
    for (p->off += (uint64_t)n; p->off >= z->in; p->off -= z->in)
        if (helper_write_all(p->fd, z->reply, z->out) < 0)
            return -1;
    return 0;
}

int main(int argc, char **argv)
{
    static struct sizes z;

    if (argc != 3 || atoi(argv[1]) <= 0 || atoi(argv[2]) <= 0 || atoi(argv[2]) > 65536) {
        fprintf(stderr, "usage: fixedreply IN OUT\n");
        return 2;
    }
    z.in = (uint64_t)atoi(argv[1]);
    z.out = (size_t)atoi(argv[2]);
    memset(z.reply, 'r', z.out);
    helper_serve(helper_listen("fixedreply"), serve, &z);
}
