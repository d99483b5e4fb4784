/* helper_listen.h - the listening socket every test server helper opens:
 * 127.0.0.1 on an ephemeral port, announced as "listening on
 * 127.0.0.1:PORT" on stdout (what sup_wait_listening reads).  A helper
 * that cannot listen exits 1 with a message naming itself. */
#ifndef HELPER_LISTEN_H
#define HELPER_LISTEN_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

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

#endif
