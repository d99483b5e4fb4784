/* flipecho.c - a tiny echo server that corrupts one byte, so tcpload's
 * check can be seen to catch it.
 *
 * usage: flipecho OFFSET [ARG...]
 * ARGs are ignored, so that a driver that starts echod with its options
 * after the caller's (the soak) can start flipecho in its place.
 * Listens on 127.0.0.1 (an ephemeral port), prints "listening on
 * 127.0.0.1:PORT", and echoes every connection; on the first connection it
 * accepts, the byte at stream offset OFFSET goes back with its lowest bit
 * flipped.  One thread, poll(2), blocking-free; runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 64

struct peer {
    int fd;
    uint64_t off;      /* bytes echoed so far */
    int flips;         /* this connection corrupts a byte */
};

static int listen_any(void)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
        listen(fd, 128) < 0 || getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
        perror("flipecho: listen");
        exit(1);
    }
    printf("listening on 127.0.0.1:%u\n", ntohs(sin.sin_port));
    fflush(stdout);
    return fd;
}

/* Echoes what p has; returns -1 when p is done. */
static int echo(struct peer *p, uint64_t flip_at)
{
    char buf[65536];
    ssize_t n = read(p->fd, buf, sizeof(buf));

    if (n <= 0)
        return -1;
    if (p->flips && flip_at >= p->off && flip_at < p->off + (uint64_t)n)
        buf[flip_at - p->off] ^= 1;
    p->off += (uint64_t)n;
    for (ssize_t done = 0; done < n;) {
        ssize_t w = write(p->fd, buf + done, (size_t)(n - done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct pollfd pfd[MAX_CONNS + 1];
    struct peer peers[MAX_CONNS];
    int npeers = 0, accepted = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: flipecho OFFSET [ARG...]\n");
        return 2;
    }
    uint64_t flip_at = strtoull(argv[1], NULL, 10);
    int lfd = listen_any();
    for (;;) {
        pfd[0] = (struct pollfd){ lfd, POLLIN, 0 };
        for (int i = 0; i < npeers; i++)
            pfd[i + 1] = (struct pollfd){ peers[i].fd, POLLIN, 0 };
        if (poll(pfd, (nfds_t)npeers + 1, -1) < 0 && errno != EINTR)
            return 1;
        for (int i = npeers - 1; i >= 0; i--)
            if (pfd[i + 1].revents && echo(&peers[i], flip_at) < 0) {
                close(peers[i].fd);
                peers[i] = peers[--npeers];
            }
        if ((pfd[0].revents & POLLIN) && npeers < MAX_CONNS) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                peers[npeers++] = (struct peer){ fd, 0, accepted++ == 0 };
        }
    }
}
