/* bl_plot.h - `--plot FILE.png`: timelines drawn by gnuplot (Debian:
 * gnuplot-nox), which the lab runs with the script and the data on its
 * standard input.  This file runs gnuplot and writes observe's timeline:
 * each listener's accept-queue length against its limit, and the drop
 * counters; the experiments' timelines are in bl_plot_runs.h.
 */
#ifndef BL_PLOT_H
#define BL_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bl_observe.h"
#include "bl_options.h"

/* Writes the gnuplot script, data included, that draws n samples of port
 * into png.  Listeners are told apart by inode, at most
 * BL_SOCKDIAG_MAX_LISTENERS; a sample without one leaves a gap. */
void bl_plot_script(FILE *f, const char *png, uint16_t port,
                    const struct bl_observe_sample *s, int n);

/* Writes to f a whole gnuplot script, data included, that draws ctx
 * into png. */
typedef void (*bl_plot_writer)(FILE *f, const char *png, const void *ctx);

/* Runs gnuplot on the script that write(f, png, ctx) writes.  Returns 0,
 * or -1 with a one-line message in err (gnuplot missing, a file name
 * gnuplot cannot be given, gnuplot failing: its first line of stderr). */
int bl_plot_run(const char *png, bl_plot_writer write, const void *ctx, char *err,
                size_t errlen);

/* Before an experiment: can png be drawn at its end?  gnuplot must be on
 * PATH (else -1) and png's folder writable (else -2); err says why.
 * Returns 0 when both hold. */
int bl_plot_check(const char *png, char *err, size_t errlen);

/* Before command cmd runs: with --plot, says on stderr why the picture
 * could not be drawn at the end (bl_plot_check) and returns the exit
 * status for that: 3 (gnuplot missing) or 1 (an unwritable folder); 0
 * when it can be drawn, or without --plot. */
int bl_plot_precheck(const char *cmd, const struct bl_opts *o);

/* After drawing: says on stderr what became of --plot (failed: its
 * reason why) and returns the command's exit status, 1 when the picture
 * failed and the runs had not. */
int bl_plot_said(const char *cmd, const struct bl_opts *o, int failed, const char *why,
                      int status);

/* bl_plot_run with bl_plot_script. */
int bl_plot_observe(const char *png, uint16_t port, const struct bl_observe_sample *s,
                    int n, char *err, size_t errlen);

#endif
