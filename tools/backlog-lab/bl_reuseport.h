/* bl_reuseport.h - the reuseport experiment: an SO_REUSEPORT group of
 * BL_REUSEPORT_LISTENERS listeners on one port, each with its own accept
 * queue, and what closing one that still has queued connections does to
 * them, with net.ipv4.tcp_migrate_req 0 and 1.
 *
 * In a network namespace of the lab's own: the listeners never accept
 * until the end; --clients connects complete on loopback and wait in
 * whichever queue the kernel's hash picked.  Each queue is measured
 * (TCP_INFO on the listener), the first listener is closed, the others
 * are measured again and then accept everything; every client is then
 * asked what it sees (a reset, or a connection the server accepted).
 * This is what restarting one worker of a multi-worker server does.
 */
#ifndef BL_REUSEPORT_H
#define BL_REUSEPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "bl_err.h"
#include "bl_options.h"

#define BL_REUSEPORT_LISTENERS 2
#define BL_REUSEPORT_BACKLOG 64

struct bl_reuseport_phase {
    int migrate;                       /* net.ipv4.tcp_migrate_req */
    int nclients;
    uint32_t before[BL_REUSEPORT_LISTENERS]; /* queue lengths before the close */
    uint32_t limit;                    /* each listener's limit */
    uint32_t after;                    /* the survivors' queues, summed, after */
    int accepted;                      /* by the surviving listeners */
    int reset;                         /* clients that read ECONNRESET */
    int other;                         /* clients with neither */
};

/* One phase in the calling process's namespace.  Returns 0, or -1 with
 * *err naming the call that failed. */
int bl_reuseport_phase(int migrate, int nclients, struct bl_reuseport_phase *ph,
                       struct bl_err *err);

/* The whole command; returns the exit status. */
int bl_reuseport_main(const struct bl_opts *o);

#endif
