/* splice.h - a worker's pipes for zero-copy echo (--splice).
 *
 * With --splice a connection that streams (a read into the scratch buffer
 * filled the whole read unit) borrows a pipe from its worker's pool and
 * echoes through it with splice(2): socket -> pipe, then pipe -> socket,
 * so the bytes never cross into user space.  It gives the pipe back as
 * soon as the pipe is empty and the connection has drained (its receive
 * queue found empty, or its peer's FIN), and when it closes.  No pipe free: the connection keeps the copy path.
 *
 * The pool owns the pipes and the map from a connection (its descriptor)
 * to the pipe it holds; struct conn knows nothing of either.  The map is
 * the pool's first `lent` entries, scanned: it holds at most the pool's
 * few pipes, and a worker with none lent pays one comparison.
 *
 * Every pipe is opened when the worker is created, so the descriptors
 * they cost (two each) are counted when echod sizes its connection cap,
 * and a busy server never meets EMFILE for want of a pipe.  Each pipe is
 * sized with F_SETPIPE_SZ to SPLICE_PIPE_BYTES: what a connection holds
 * in its pipe, and so the most it is owed through it.  One worker owns a
 * pool: no locks.
 */
#ifndef SPLICE_H
#define SPLICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SPLICE_PIPES 16               /* pipes a worker holds (two descriptors each) */
#define SPLICE_PIPE_BYTES (256u * 1024) /* F_SETPIPE_SZ of each: the read unit */

struct splice_pipe {
    int rd, wr;    /* the pipe's two ends */
    int owner;     /* descriptor of the connection holding it, or -1 */
    uint32_t held; /* bytes in the pipe: read from owner, not yet sent back */
};

struct splice_pool {
    struct splice_pipe pipe[SPLICE_PIPES]; /* [0, lent) lent, [lent, count) free */
    uint32_t count;    /* pipes open */
    uint32_t lent;     /* pipes held by connections */
    uint32_t capacity; /* bytes one pipe holds (what F_SETPIPE_SZ granted) */
};

/* Opens n pipes (1 <= n <= SPLICE_PIPES), each nonblocking and
 * close-on-exec, sized to bytes.  Returns 0, or -1 with errno set and
 * *failed naming the call that failed, every pipe closed again. */
int splice_pool_init(struct splice_pool *p, unsigned n, uint32_t bytes, const char **failed);

/* Closes every pipe; none may be lent. */
void splice_pool_destroy(struct splice_pool *p);

/* The pipe connection fd holds, or NULL. */
static inline struct splice_pipe *splice_find(struct splice_pool *p, int fd)
{
    for (uint32_t i = 0; i < p->lent; i++)
        if (p->pipe[i].owner == fd)
            return &p->pipe[i];
    return NULL;
}

/* Lends an empty pipe to connection fd (which holds none).  Returns it,
 * or NULL when all are lent. */
struct splice_pipe *splice_take(struct splice_pool *p, int fd);

/* Gives back pipe q, which must be empty (held 0).  Pointers to other
 * lent pipes may move: find them again. */
void splice_give(struct splice_pool *p, struct splice_pipe *q);

/* Moves at most len bytes (1 <= len <= capacity) from socket sock into
 * q, which must be empty, so that EAGAIN can only mean the socket has
 * nothing queued.  Returns what splice(2) returns: the bytes moved (added
 * to q->held), 0 at the peer's FIN, or -1 with errno (EAGAIN: nothing
 * queued).  Fewer than len bytes do not prove the socket empty: the pipe
 * may have run out of slots first. */
ssize_t splice_in(struct splice_pipe *q, int sock, size_t len);

/* Moves what q holds to socket sock, as far as its send buffer takes.
 * Returns the bytes moved (taken from q->held), or -1 with errno
 * (EAGAIN: the send buffer is full). */
ssize_t splice_out(struct splice_pipe *q, int sock);

/* Takes q back from a connection that closes, whatever it still holds:
 * reads that into buf (len bytes, overwritten) and drops it, then gives q
 * back.  Should read(2) fail, q cannot be trusted empty: it is closed and
 * the pool has one pipe fewer.  Returns 0, or the errno of the failed
 * read. */
int splice_release(struct splice_pool *p, struct splice_pipe *q, void *buf, size_t len);

#endif
