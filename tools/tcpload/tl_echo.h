/* tl_echo.h - tcpload's echo mode: messages over long-lived connections.
 *
 * Each thread runs one edge-triggered epoll loop over its connections.
 * Closed loop: a connection keeps --pipeline messages in flight and sends
 * the next as soon as one has come back whole.  Open loop (-R): messages go
 * out on a constant schedule (tl_sched.h) whatever the server does, and
 * each latency is measured from the message's scheduled time.  Every
 * echoed byte is compared with what was sent (tl_pattern.h).
 *
 * Per message: one send, one recv (plus a share of epoll_wait), one clock
 * read per recv that serves as both the completion time and the send time
 * of the messages it releases; no allocation, no lock.
 */
#ifndef TL_ECHO_H
#define TL_ECHO_H

#include <stddef.h>

#include "tl_run.h"

/* The echo mode's thread body (a tl_mode_fn). */
int tl_echo_thread(struct tl_thread *t);

/* Bytes of state per connection, pipeline stamps excluded. */
size_t tl_echo_conn_size(void);

#endif
