/* notify.h - readiness and status for a service manager (Type=notify),
 * the sd_notify(3) datagram protocol written here.
 *
 * When NOTIFY_SOCKET names a Unix datagram socket (a path, or "@name" for
 * the abstract namespace), echod sends it "READY=1" once every worker
 * serves, "STOPPING=1" when shutdown begins and "STATUS=..." lines with
 * its open connections.  Without NOTIFY_SOCKET every call does nothing.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define NOTIFY_STATUS_MS 1000 /* how often STATUS= is refreshed while serving */

struct notify {
    int fd;                  /* -1: no manager to tell */
    struct sockaddr_un addr;
    socklen_t addr_len;
};

/* Reads and unsets NOTIFY_SOCKET and opens a datagram socket for it.
 * Returns 0 (n->fd is -1 when there is nothing to notify), or -1 with a
 * message naming the variable or the failing call in err. */
int notify_open(struct notify *n, char *err, size_t errlen);

/* Sends one message ("READY=1", "STATUS=...").  Returns 0, or -errno of
 * sendto (the caller reports it; a manager that went away is no reason to
 * stop serving). */
int notify_send(const struct notify *n, const char *msg);

/* Whether a manager is listening. */
static inline int notify_enabled(const struct notify *n)
{
    return n->fd >= 0;
}

/* Closes the socket. */
void notify_close(struct notify *n);

#endif
