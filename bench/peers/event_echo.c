/* event_echo.c - echo server on libevent, bufferevents on one event base:
 * the other event-loop library peer.
 *
 * Each accepted connection gets a socket bufferevent; the read callback
 * moves the whole input buffer to the output buffer (no copy: evbuffer
 * chains change hands).  When a connection's output passes HIGH_WATER bytes
 * it stops reading and resumes from the write callback once the output has
 * drained below LOW_WATER, so a client that does not read cannot grow the
 * server without bound.
 *
 *   event_echo --listen 127.0.0.1:0     prints "listening on 127.0.0.1:PORT"
 */
#include "peer.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdio.h>

#define HIGH_WATER (256 * 1024)
#define LOW_WATER (64 * 1024)

static void read_cb(struct bufferevent *bev, void *ctx)
{
    (void)ctx;
    struct evbuffer *out = bufferevent_get_output(bev);
    if (evbuffer_add_buffer(out, bufferevent_get_input(bev)) != 0) {
        bufferevent_free(bev);
        return;
    }
    if (evbuffer_get_length(out) > HIGH_WATER) {
        bufferevent_setwatermark(bev, EV_WRITE, LOW_WATER, 0);
        if (bufferevent_disable(bev, EV_READ) != 0)
            bufferevent_free(bev);
    }
}

/* Called when the output drained to the low-water mark set above. */
static void write_cb(struct bufferevent *bev, void *ctx)
{
    (void)ctx;
    if (bufferevent_get_enabled(bev) & EV_READ)
        return;
    bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
    if (bufferevent_enable(bev, EV_READ) != 0)
        bufferevent_free(bev);
}

static void event_cb(struct bufferevent *bev, short what, void *ctx)
{
    (void)ctx;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        bufferevent_free(bev);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *ctx)
{
    (void)sa;
    (void)salen;
    (void)ctx;
    struct event_base *base = evconnlistener_get_base(l);
    struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        evutil_closesocket(fd);
        return;
    }
    bufferevent_setcb(bev, read_cb, write_cb, event_cb, NULL);
    if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
        bufferevent_free(bev);
}

int main(int argc, char **argv)
{
    int fd, rc = peer_init(argc, argv, "usage: event_echo [--listen HOST:PORT]\n", 1, &fd);
    if (rc != PEER_RUN)
        return rc;
    struct event_base *base = event_base_new();
    if (!base) {
        fprintf(stderr, "event_echo: event_base_new failed\n");
        return 1;
    }
    struct evconnlistener *l =
        evconnlistener_new(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, -1, fd);
    if (!l) {
        fprintf(stderr, "event_echo: evconnlistener_new failed\n");
        return 1;
    }
    if (peer_announce(fd) != 0)
        return 1;
    return event_base_dispatch(base) < 0;
}
