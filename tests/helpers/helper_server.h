/* helper_server.h - what the test server helpers share: the listening
 * socket (127.0.0.1 on an ephemeral port, announced as "listening on
 * 127.0.0.1:PORT" on stdout, what sup_wait_listening reads; a helper that
 * cannot listen exits 1 naming itself), a blocking write of a whole
 * buffer, and a poll(2) loop over up to HELPER_CONNS connections for the
 * helpers that act only when a connection is readable. */
#ifndef HELPER_SERVER_H
#define HELPER_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define HELPER_CONNS 64

static inline int helper_listen(const char *name)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
        listen(fd, 128) < 0 || getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
        fprintf(stderr, "%s: listen: ", name);
        perror(NULL);
        exit(1);
    }
    printf("listening on 127.0.0.1:%u\n", ntohs(sin.sin_port));
    fflush(stdout);
    return fd;
}

/* Writes all of buf (blocking); 0, or -1 when the peer is gone. */
static inline int helper_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* One connection of helper_serve. */
struct helper_peer {
    int fd;
    unsigned index;    /* 0 for the first connection accepted, and so on */
    uint64_t off;      /* the helper's own count: bytes seen so far */
};

/* Accepts on lfd and calls on_readable for every readable connection
 * until it returns -1, then closes that one; never returns. */
static inline void helper_serve(int lfd, int (*on_readable)(struct helper_peer *, void *),
                                void *ctx)
{
    struct pollfd pfd[HELPER_CONNS + 1];
    struct helper_peer peers[HELPER_CONNS];
    unsigned npeers = 0, accepted = 0;

    for (;;) {
        pfd[0] = (struct pollfd){ lfd, POLLIN, 0 };
        for (unsigned i = 0; i < npeers; i++)
            pfd[i + 1] = (struct pollfd){ peers[i].fd, POLLIN, 0 };
        if (poll(pfd, (nfds_t)npeers + 1, -1) < 0 && errno != EINTR)
            exit(1);
        for (unsigned i = npeers; i-- > 0;)
            if (pfd[i + 1].revents && on_readable(&peers[i], ctx) < 0) {
                close(peers[i].fd);
                peers[i] = peers[--npeers];
            }
        if ((pfd[0].revents & POLLIN) && npeers < HELPER_CONNS) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                peers[npeers++] = (struct helper_peer){ fd, accepted++, 0 };
        }
    }
}

#endif
