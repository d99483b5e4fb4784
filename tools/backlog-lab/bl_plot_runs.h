/* bl_plot_runs.h - `accept-queue --plot` and `syn-queue --plot`: the
 * experiments' timelines, one panel per run, drawn with bl_plot_run.
 *
 * accept-queue: from each client's own timestamps, how many clients had
 * connected (their connect completed), been accepted, or failed by each
 * moment, and the difference of the first two (connected, not accepted:
 * the accept queue as the clients see it; a client whose final ACK the
 * server dropped counts there too, which is why the queue the listener
 * itself reported at the settle time, with inet_diag, is marked beside
 * it), against the listener's limit, with the start of accepting marked.
 *
 * syn-queue: the samples of each syncookies phase: the listener's
 * SYN-RECV sockets, the clients that had called connect and those whose
 * connect completed, against the listener's limit.
 *
 * syn-flood: the samples of each syncookies phase: the listener's
 * SYN-RECV sockets against its limit, the legitimate client's connects
 * tried and made so far, and (right axis) the spoofed SYNs sent so far.
 */
#ifndef BL_PLOT_RUNS_H
#define BL_PLOT_RUNS_H

#include <stddef.h>
#include <stdio.h>

#include "bl_acceptq.h"
#include "bl_flood.h"
#include "bl_synq.h"

void bl_plot_acceptq_script(FILE *f, const char *png, const struct bl_acceptq_run *runs,
                            int n);
int bl_plot_acceptq(const char *png, const struct bl_acceptq_run *runs, int n, char *err,
                    size_t errlen);

void bl_plot_synq_script(FILE *f, const char *png, const struct bl_synq_phase *ph, int n);
int bl_plot_synq(const char *png, const struct bl_synq_phase *ph, int n, char *err,
                 size_t errlen);

void bl_plot_flood_script(FILE *f, const char *png, const struct bl_flood_phase *ph, int n);
int bl_plot_flood(const char *png, const struct bl_flood_phase *ph, int n, char *err,
                  size_t errlen);

#endif
