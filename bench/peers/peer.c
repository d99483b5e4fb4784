/* peer.c - command line, listener and announcement shared by the benchmark
 * peers (see peer.h). */
#include "peer.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Read size of the blocking echo loop (on the thread's stack). */
#define PEER_ECHO_BUF (16 * 1024)

int peer_parse(int argc, char **argv, const char *usage, struct peer_opts *o,
               peer_extra_fn extra, void *ctx)
{
    o->listen = "127.0.0.1:0";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("%s", usage);
            return 1;
        }
        int took = -1;
        if (!strcmp(a, "--listen"))
            took = v ? 2 : -1;
        else if (extra)
            took = extra(a, v, ctx);
        if (took < 0) {
            fprintf(stderr, "%s: %s: unknown flag, or bad or missing value\n", argv[0], a);
            return -1;
        }
        if (!strcmp(a, "--listen"))
            o->listen = v;
        i += took - 1;
    }
    return 0;
}

int peer_init(int argc, char **argv, const char *usage, int nonblock, int *lfd)
{
    struct peer_opts o;
    int rc = peer_parse(argc, argv, usage, &o, NULL, NULL);
    if (rc)
        return rc < 0 ? 2 : 0;
    *lfd = peer_listen(o.listen, nonblock);
    return *lfd < 0 ? 1 : PEER_RUN;
}

int peer_listen(const char *hostport, int nonblock)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_hostport(hostport, &ss, &len) != 0) {
        fprintf(stderr, "--listen: expected HOST:PORT, got '%s'\n", hostport);
        return -1;
    }
    int type = SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);
    int fd = socket(ss.ss_family, type, 0);
    if (fd < 0) {
        perror("socket");
        return -1;
    }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
        perror("setsockopt SO_REUSEADDR");
        goto err;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
        fprintf(stderr, "bind %s: %s\n", hostport, strerror(errno));
        goto err;
    }
    if (listen(fd, PEER_BACKLOG) != 0) {
        perror("listen");
        goto err;
    }
    return fd;
err:
    close(fd);
    return -1;
}

int peer_announce(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char buf[PARSE_ADDRSTRLEN];
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        perror("getsockname");
        return -1;
    }
    printf("listening on %s\n", parse_format_addr((struct sockaddr *)&ss, buf, sizeof buf));
    fflush(stdout);
    return 0;
}

int peer_pin(int cpu)
{
    if (cpu < 0)
        return 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        perror("sched_setaffinity");
        return -1;
    }
    return 0;
}

int peer_write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

void peer_echo_blocking(int fd)
{
    char buf[PEER_ECHO_BUF];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || peer_write_all(fd, buf, (size_t)n) != 0)
            break;
    }
    close(fd);
}
