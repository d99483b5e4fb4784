/* splice.c - a worker's pipes for zero-copy echo (see splice.h).
 *
 * The pool keeps its lent pipes first: taking one moves the boundary up
 * over the first free pipe, giving one back swaps it with the last lent
 * one and moves the boundary down.  Both are O(1); finding a connection's
 * pipe scans the lent ones only.
 */
#include "splice.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "os.h"

int splice_pool_init(struct splice_pool *p, unsigned n, uint32_t bytes, const char **failed)
{
    int fds[2];

    p->count = p->lent = 0;
    p->capacity = bytes;
    while (p->count < n) {
        if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) {
            *failed = "pipe2";
            goto err;
        }
        p->pipe[p->count++] = (struct splice_pipe){ .rd = fds[0], .wr = fds[1], .owner = -1 };
        int got = fcntl(fds[1], F_SETPIPE_SZ, (int)bytes);
        if (got < 0) {
            *failed = "fcntl(F_SETPIPE_SZ)";
            goto err;
        }
        /* The kernel rounds up to a power of two pages: the same for all. */
        p->capacity = (uint32_t)got;
    }
    return 0;
err:;
    int saved = errno;
    splice_pool_destroy(p);
    errno = saved;
    return -1;
}

void splice_pool_destroy(struct splice_pool *p)
{
    for (uint32_t i = 0; i < p->count; i++) {
        os_close_slot(&p->pipe[i].rd);
        os_close_slot(&p->pipe[i].wr);
    }
    p->count = p->lent = 0;
}

struct splice_pipe *splice_take(struct splice_pool *p, int fd)
{
    if (p->lent == p->count)
        return NULL;
    struct splice_pipe *q = &p->pipe[p->lent++];
    q->owner = fd;
    return q;
}

static void swap(struct splice_pipe *a, struct splice_pipe *b)
{
    struct splice_pipe t = *a;
    *a = *b;
    *b = t;
}

void splice_give(struct splice_pool *p, struct splice_pipe *q)
{
    q->owner = -1;
    swap(q, &p->pipe[--p->lent]);
}

ssize_t splice_in(struct splice_pipe *q, int sock, size_t len)
{
    ssize_t n;

    do
        n = splice(sock, NULL, q->wr, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        q->held += (uint32_t)n;
    return n;
}

ssize_t splice_out(struct splice_pipe *q, int sock)
{
    ssize_t n;

    do
        n = splice(q->rd, NULL, sock, NULL, q->held, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        q->held -= (uint32_t)n;
    return n;
}

int splice_release(struct splice_pool *p, struct splice_pipe *q, void *buf, size_t len)
{
    while (q->held > 0) {
        ssize_t n = read(q->rd, buf, q->held < len ? q->held : len);
        if (n > 0) {
            q->held -= (uint32_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        int err = n < 0 ? errno : EIO; /* 0: the pipe held less than counted */
        os_close_slot(&q->rd);
        os_close_slot(&q->wr);
        q->owner = -1;
        swap(q, &p->pipe[--p->lent]);
        swap(&p->pipe[p->lent], &p->pipe[--p->count]);
        return err;
    }
    splice_give(p, q);
    return 0;
}
