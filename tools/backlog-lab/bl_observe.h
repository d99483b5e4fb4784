/* bl_observe.h - `backlog-lab observe HOST:PORT`: watch a listener the
 * lab does not own (echod, nginx, anything) and print, once per interval,
 * its accept-queue length and limit (inet_diag), its SYN-RECV sockets,
 * and how far the listen-queue TcpExt counters have moved since the start.
 */
#ifndef BL_OBSERVE_H
#define BL_OBSERVE_H

#include "bl_options.h"

/* Runs until --duration passes or an interrupt; returns the exit
 * status (an interrupt ends a watch normally: 0). */
int bl_observe_main(const struct bl_opts *o);

#endif
