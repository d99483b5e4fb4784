/* bl_lifecycle.h - `backlog-lab lifecycle`: one loopback connection taken
 * step by step from listen() through the handshake, accept(), the
 * four-way close and TIME-WAIT, printing after each step the TCP state of
 * both ends and the listener's queue as inet_diag reports them.
 */
#ifndef BL_LIFECYCLE_H
#define BL_LIFECYCLE_H

#include "bl_options.h"

/* Runs the steps and prints them (or JSON); returns the exit status. */
int bl_lifecycle_main(const struct bl_opts *o);

#endif
