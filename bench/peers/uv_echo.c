/* uv_echo.c - echo server on libuv, one loop: the event-loop library peer.
 *
 * Written the way a careful libuv user would: one read buffer for the whole
 * loop (the read callback consumes it at once), uv_try_write first so that an
 * echoed message costs one read and one write, and a queued uv_write only for
 * what the socket would not take.  While a connection has queued output it
 * stops reading (backpressure), so memory stays bounded when a client does
 * not read.  An idle connection holds only its uv_tcp_t.
 *
 *   uv_echo --listen 127.0.0.1:0     prints "listening on 127.0.0.1:PORT"
 */
#include "peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define READ_BUF (64 * 1024)

/* A write the socket did not take at once: the rest of one read. */
struct pending {
    uv_write_t req;
    size_t len;
    char data[];
};

static uv_loop_t *loop;
static char read_buf[READ_BUF];

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf);
static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void close_cb(uv_handle_t *h)
{
    free(h);
}

static void drop(uv_stream_t *s)
{
    if (!uv_is_closing((uv_handle_t *)s))
        uv_close((uv_handle_t *)s, close_cb);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    *buf = uv_buf_init(read_buf, sizeof read_buf);
}

/* The queued rest of a message went out: resume reading. */
static void write_cb(uv_write_t *req, int status)
{
    uv_stream_t *s = req->handle;
    free(req->data);
    if (status < 0) {
        drop(s);
        return;
    }
    if (uv_stream_get_write_queue_size(s) == 0 && uv_read_start(s, alloc_cb, read_cb) != 0)
        drop(s);
}

/* Queues what uv_try_write left (data, len) and stops reading until it has
 * gone.  Returns 0 or a libuv error. */
static int queue_rest(uv_stream_t *s, const char *data, size_t len)
{
    struct pending *p = malloc(sizeof *p + len);
    if (!p)
        return UV_ENOMEM;
    memcpy(p->data, data, len);
    p->len = len;
    p->req.data = p;
    uv_buf_t b = uv_buf_init(p->data, (unsigned)len);
    int rc = uv_write(&p->req, s, &b, 1, write_cb);
    if (rc != 0) {
        free(p);
        return rc;
    }
    return uv_read_stop(s);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    if (n < 0) {
        drop(s);
        return;
    }
    if (n == 0)
        return;
    uv_buf_t b = uv_buf_init(buf->base, (unsigned)n);
    int w = uv_try_write(s, &b, 1);
    if (w == UV_EAGAIN)
        w = 0;
    if (w < 0 || (w < n && queue_rest(s, buf->base + w, (size_t)(n - w)) != 0))
        drop(s);
}

static void accept_cb(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    uv_tcp_t *c = malloc(sizeof *c);
    if (!c)
        return;
    if (uv_tcp_init(loop, c) != 0) {
        free(c);
        return;
    }
    if (uv_accept(server, (uv_stream_t *)c) != 0 ||
        uv_read_start((uv_stream_t *)c, alloc_cb, read_cb) != 0)
        drop((uv_stream_t *)c);
}

int main(int argc, char **argv)
{
    int fd, rc = peer_init(argc, argv, "usage: uv_echo [--listen HOST:PORT]\n", 1, &fd);
    if (rc != PEER_RUN)
        return rc;
    loop = uv_default_loop();
    uv_tcp_t server;
    int e = uv_tcp_init(loop, &server);
    if (!e)
        e = uv_tcp_open(&server, fd);
    if (!e)
        e = uv_listen((uv_stream_t *)&server, PEER_BACKLOG, accept_cb);
    if (e) {
        fprintf(stderr, "uv_echo: %s\n", uv_strerror(e));
        return 1;
    }
    if (peer_announce(fd) != 0)
        return 1;
    return uv_run(loop, UV_RUN_DEFAULT) < 0;
}
