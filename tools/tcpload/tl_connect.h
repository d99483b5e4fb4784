/* tl_connect.h - tcpload's connect mode: connections per second.
 *
 * A transaction connects, sends --send bytes, reads --expect bytes (or
 * until the server closes) and closes; -c transactions are in flight at
 * once across the threads, --rate caps how many begin per second.  Three
 * latencies are recorded per transaction, each from the connect() call:
 * until the connection is established, until the first reply byte (where
 * a full accept queue shows: the client believes it is connected while
 * the server has not accepted yet), and until the transaction is done.
 */
#ifndef TL_CONNECT_H
#define TL_CONNECT_H

#include "tl_run.h"

/* The connect mode's thread body (a tl_mode_fn). */
int tl_connect_thread(struct tl_thread *t);

#endif
