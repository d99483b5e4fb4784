/* metrics.h - --metrics HOST:PORT: Prometheus metrics and a health probe
 * over HTTP, served by a thread of its own, never by a worker.
 *
 * GET /metrics answers the Prometheus text exposition format (0.0.4):
 * every counter of stats.h as echod_NAME_total{worker="i"} (errors as
 * families with an errno label), the open connections per worker, whether
 * accepting is paused or the server draining, echod_build_info, the
 * standard process_* metrics and the endpoint's own counters.  GET
 * /healthz answers 200 "ok", or 503 while accepting is paused or the
 * server is stopping, so a load balancer stops sending.  Any other path is
 * 404, any other method 405.
 *
 * The endpoint cannot hurt the echo path: it reads the workers' counters
 * with relaxed loads (as the summary does) and shares nothing else with
 * them; it serves at most METRICS_MAX_CLIENTS connections at once (more
 * are closed at once and counted), one request each, read within
 * HTTP_MAX_REQUEST bytes and METRICS_TIMEOUT_MS, and a client that sends
 * garbage, too much, or too slowly, or does not read its answer, is
 * closed and counted.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "stats.h"

#define METRICS_MAX_CLIENTS 4
#define METRICS_TIMEOUT_MS 2000 /* to send the request, and to read the answer */

struct worker_control;

/* What the endpoint shows: the workers' counter blocks and the control
 * block (paused, stopping).  Everything must outlive the endpoint. */
struct metrics_view {
    const struct stats_counters *const *blocks;
    unsigned nworkers;
    const struct worker_control *ctl;
};

/* The endpoint's own counters (its thread is their only writer). */
enum metrics_outcome {
    METRICS_OK,          /* 200 */
    METRICS_NOT_FOUND,   /* 404 */
    METRICS_NOT_ALLOWED, /* 405 */
    METRICS_UNHEALTHY,   /* 503 from /healthz */
    METRICS_BUSY,        /* closed at once: METRICS_MAX_CLIENTS already open */
    METRICS_BAD_REQUEST, /* closed: malformed or oversized request */
    METRICS_TIMEOUT,     /* closed: request or answer not through in time */
    METRICS_IO_ERROR,    /* closed: read or write failed, or peer left early */
    METRICS_NOUTCOMES
};

struct metrics;

/* Opens the listen socket on addr (port 0 picks one; *bound gets the real
 * address) and starts the thread.  Returns the endpoint, or NULL with a
 * message naming the failing call in err. */
struct metrics *metrics_start(const struct sockaddr *addr, socklen_t addr_len,
                              const struct metrics_view *view,
                              struct sockaddr_storage *bound, char *err, size_t errlen);

/* Stops the thread, closes every socket and frees the endpoint. */
void metrics_stop(struct metrics *m);

/* Writes the /metrics page for view to f, with the endpoint's counters
 * outcomes (NULL: all zero).  Returns 0, or -1 when a write to f failed. */
int metrics_render(FILE *f, const struct metrics_view *view, const uint64_t *outcomes);

/* /healthz: 200 and "ok", or 503 and "paused" or "draining". */
int metrics_health(const struct metrics_view *view, const char **body);

#endif
