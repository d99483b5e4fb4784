/* notify.c - sd_notify messages to NOTIFY_SOCKET (see notify.h).
 *
 * One datagram per message, sent without blocking: the manager reads its
 * socket promptly, and a full queue must never stall echod's main thread,
 * so EAGAIN is reported like any other failure.
 */
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os.h"

static int parse_address(struct notify *n, const char *v, char *err, size_t errlen)
{
    size_t len = strlen(v);

    memset(&n->addr, 0, sizeof(n->addr));
    n->addr.sun_family = AF_UNIX;
    if ((v[0] != '/' && v[0] != '@') || len < 2 || len >= sizeof(n->addr.sun_path)) {
        snprintf(err, errlen, "NOTIFY_SOCKET: expected an absolute path or @name of at "
                 "most %zu bytes, got '%s'", sizeof(n->addr.sun_path) - 1, v);
        return -1;
    }
    memcpy(n->addr.sun_path, v, len);
    if (v[0] == '@')
        n->addr.sun_path[0] = '\0'; /* abstract: the name is not NUL-ended */
    n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (v[0] == '/'));
    return 0;
}

int notify_open(struct notify *n, char *err, size_t errlen)
{
    const char *v = getenv("NOTIFY_SOCKET");
    int rc = 0;

    n->fd = -1;
    if (v == NULL)
        return 0;
    if (parse_address(n, v, err, errlen) < 0) {
        rc = -1;
    } else {
        n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (n->fd < 0) {
            snprintf(err, errlen, "NOTIFY_SOCKET: socket: %s", strerror(errno));
            rc = -1;
        }
    }
    unsetenv("NOTIFY_SOCKET");
    return rc;
}

int notify_send(const struct notify *n, const char *msg)
{
    if (n->fd < 0)
        return 0;
    if (sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL, (const struct sockaddr *)&n->addr,
               n->addr_len) < 0)
        return -errno;
    return 0;
}

void notify_close(struct notify *n)
{
    os_close_slot(&n->fd); /* an unconnected datagram socket holds nothing to lose */
}
