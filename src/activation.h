/* activation.h - systemd socket activation: the listening sockets a
 * service manager hands echod (sd_listen_fds(3) protocol, written here).
 *
 * The manager passes descriptors SD_LISTEN_FDS_START (3) onwards and
 * names them in the environment: LISTEN_PID (the process meant),
 * LISTEN_FDS (how many) and optionally LISTEN_FDNAMES (colon-separated
 * names).  echod serves those sockets instead of binding its own: every
 * worker shares them (EPOLLEXCLUSIVE), so the one queue the manager keeps
 * holds every waiting connection while echod restarts (docs/echod.md says
 * why not SO_REUSEPORT here).
 */
#ifndef ACTIVATION_H
#define ACTIVATION_H

#include <stddef.h>

#define ACTIVATION_FD_START 3  /* SD_LISTEN_FDS_START */
#define ACTIVATION_MAX_FDS 64  /* more inherited sockets than this: refused */

/* Reads LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES and unsets all three
 * (children never see them).  When they name this process, checks that
 * each descriptor 3..3+n-1 is a listening TCP stream socket (IPv4 or
 * IPv6), makes it nonblocking and close-on-exec, and stores it in fds
 * (room for ACTIVATION_MAX_FDS).  Returns the number of sockets (0 when
 * nothing was passed, or when LISTEN_PID names another process), or -1
 * with a message naming the variable or descriptor at fault in err. */
int activation_listen_fds(int *fds, char *err, size_t errlen);

/* The check activation_listen_fds makes of each descriptor: fd must be a
 * listening TCP socket; it is made nonblocking and close-on-exec.
 * Returns 0, or -1 with a message naming fd in err. */
int activation_adopt_fd(int fd, char *err, size_t errlen);

#endif
