/* tl_hold.h - tcpload's hold mode: many idle connections.
 *
 * Opens -c connections at --connect-rate, keeps them open for -d once all
 * are open (optionally sending one byte on each every --ping-interval and
 * reading whatever comes back), then closes them.  Counts how many were
 * opened, held to the end, lost on the way (reset or closed by the server)
 * and failed to open, by errno.  This is the client side of C10K..C1M
 * memory runs; --source spreads the connections over source addresses.
 */
#ifndef TL_HOLD_H
#define TL_HOLD_H

#include <stddef.h>

#include "tl_run.h"

/* The hold mode's thread body (a tl_mode_fn). */
int tl_hold_thread(struct tl_thread *t);

/* Bytes of state per held connection. */
size_t tl_hold_conn_size(void);

#endif
