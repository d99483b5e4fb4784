/* delayecho.c - an echo server that answers every byte exactly DELAY_MS
 * after it arrived, so a test knows the true latency of each message and
 * can pin tcpload's absolute accuracy: no latency below the delay, the
 * median a little above it.
 *
 * usage: delayecho DELAY_MS
 * Listens on 127.0.0.1 (an ephemeral port), prints "listening on
 * 127.0.0.1:PORT", and serves up to MAX_CONNS connections with one thread
 * and ppoll(2), whose timeout has nanosecond resolution: what a read
 * brings in is queued with its due time (arrival + delay) and written once
 * that time has come.  A connection that queues more than MAX_QUEUED bytes
 * is closed.  Runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "helper_server.h"

#define MAX_CONNS  HELPER_CONNS
#define MAX_CHUNKS 4096          /* reads waiting per connection */
#define MAX_QUEUED (4u << 20)    /* bytes waiting per connection */

struct chunk {
    uint64_t due_ns;
    size_t len;
    char *data;
};

struct peer {
    int fd;
    struct chunk q[MAX_CHUNKS];  /* a ring: q[head % MAX_CHUNKS] is the oldest */
    unsigned head, tail;
    size_t queued;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void drop(struct peer *p)
{
    while (p->head != p->tail)
        free(p->q[p->head++ % MAX_CHUNKS].data);
    close(p->fd);
    p->fd = -1;
}

/* Queues what p has to read; -1 when p is done. */
static int take(struct peer *p, uint64_t delay_ns)
{
    char buf[65536];
    ssize_t n = read(p->fd, buf, sizeof(buf));

    if (n <= 0)
        return n < 0 && errno == EINTR ? 0 : -1;
    if (p->tail - p->head == MAX_CHUNKS || p->queued + (size_t)n > MAX_QUEUED)
        return -1;
    struct chunk *c = &p->q[p->tail % MAX_CHUNKS];
    if ((c->data = malloc((size_t)n)) == NULL)
        return -1;
    memcpy(c->data, buf, (size_t)n);
    c->len = (size_t)n;
    c->due_ns = now_ns() + delay_ns;
    p->tail++;
    p->queued += (size_t)n;
    return 0;
}

/* Writes every chunk of p that is due (blocking: the amounts are small). */
static int give(struct peer *p, uint64_t now)
{
    while (p->head != p->tail && p->q[p->head % MAX_CHUNKS].due_ns <= now) {
        struct chunk *c = &p->q[p->head % MAX_CHUNKS];
        if (helper_write_all(p->fd, c->data, c->len) < 0)
            return -1;
        p->queued -= c->len;
        free(c->data);
        p->head++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct peer peers[MAX_CONNS];
    struct pollfd pfd[MAX_CONNS + 1];
    int npeers = 0;

    if (argc != 2 || atoi(argv[1]) <= 0) {
        fprintf(stderr, "usage: delayecho DELAY_MS\n");
        return 2;
    }
    uint64_t delay_ns = (uint64_t)atoi(argv[1]) * 1000000ULL;
    int lfd = helper_listen("delayecho");
    for (;;) {
        uint64_t now = now_ns(), next = UINT64_MAX;
        for (int i = 0; i < npeers; i++)
            if (peers[i].head != peers[i].tail &&
                peers[i].q[peers[i].head % MAX_CHUNKS].due_ns < next)
                next = peers[i].q[peers[i].head % MAX_CHUNKS].due_ns;
        uint64_t wait = next == UINT64_MAX ? 1000000000ULL : next > now ? next - now : 0;
        struct timespec ts = { (time_t)(wait / 1000000000ULL), (long)(wait % 1000000000ULL) };
        pfd[0] = (struct pollfd){ lfd, POLLIN, 0 };
        for (int i = 0; i < npeers; i++)
            pfd[i + 1] = (struct pollfd){ peers[i].fd, POLLIN, 0 };
        if (ppoll(pfd, (nfds_t)npeers + 1, &ts, NULL) < 0 && errno != EINTR)
            return 1;
        for (int i = npeers - 1; i >= 0; i--) {
            int bad = pfd[i + 1].revents && take(&peers[i], delay_ns) < 0;
            if (bad || give(&peers[i], now_ns()) < 0) {
                drop(&peers[i]);
                peers[i] = peers[--npeers];
            }
        }
        if ((pfd[0].revents & POLLIN) && npeers < MAX_CONNS) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            int one = 1;
            if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0) {
                memset(&peers[npeers], 0, sizeof(peers[npeers]));
                peers[npeers++].fd = fd;
            } else if (fd >= 0) {
                close(fd);
            }
        }
    }
}
