/* thread_echo.c - thread-per-connection echo server with blocking sockets:
 * the design of the classic sockets tutorials, kept here to show what an
 * event loop buys.
 *
 * The main thread blocks in accept(); each connection gets a detached
 * thread that loops read() then write() until EOF or an error
 * (peer_echo_blocking).  Stacks are STACK_SIZE bytes (of which only the touched pages are resident) so that
 * ten thousand connections fit in the address space and the pid limit.
 *
 *   thread_echo --listen 127.0.0.1:0     prints "listening on 127.0.0.1:PORT"
 */
#include "peer.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STACK_SIZE (64 * 1024)

static void *serve(void *arg)
{
    peer_echo_blocking((int)(intptr_t)arg);
    return NULL;
}

/* Starts a detached thread for fd; returns 0 or an errno value. */
static int spawn(pthread_attr_t *attr, int fd)
{
    pthread_t t;
    return pthread_create(&t, attr, serve, (void *)(intptr_t)fd);
}

int main(int argc, char **argv)
{
    int lfd, rc = peer_init(argc, argv, "usage: thread_echo [--listen HOST:PORT]\n", 0, &lfd);
    if (rc != PEER_RUN)
        return rc;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, STACK_SIZE) ||
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED)) {
        fprintf(stderr, "thread_echo: pthread_attr setup failed\n");
        return 1;
    }
    if (peer_announce(lfd) != 0)
        return 1;
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            /* Every accept error is transient for this server (EINTR,
             * ECONNABORTED, ...): retry, pausing when out of descriptors
             * so that the loop does not spin. */
            if (errno == EMFILE || errno == ENFILE)
                usleep(10000);
            continue;
        }
        int e = spawn(&attr, fd);
        if (e) {
            fprintf(stderr, "thread_echo: pthread_create: %s\n", strerror(e));
            close(fd);
        }
    }
}
