/* bl_observe.h - `backlog-lab observe HOST:PORT`: watch a listener the
 * lab does not own (echod, nginx, anything) and print, once per interval,
 * its accept-queue length and limit (inet_diag), its SYN-RECV sockets,
 * and how far the listen-queue TcpExt counters have moved since the start.
 */
#ifndef BL_OBSERVE_H
#define BL_OBSERVE_H

#include <stdint.h>

#include "bl_acceptq.h"
#include "bl_options.h"
#include "bl_sockdiag.h"
#include "bl_text.h"

/* One sample: every listener's queue, and the counters since the start. */
struct bl_observe_sample {
    double t_s;
    struct bl_sockdiag_queues q;
    int64_t delta[BL_NCOUNTERS];
};

/* Builds the explanation of n samples of port into t: each listener on
 * its own (a full one is named even when its group's sum is not). */
void bl_observe_explain(const struct bl_observe_sample *s, int n, uint16_t port,
                        struct bl_text *t);

/* Runs until --duration passes or an interrupt; returns the exit status:
 * 0, or 130 after an interrupt (the samples taken are still reported). */
int bl_observe_main(const struct bl_opts *o);

#endif
