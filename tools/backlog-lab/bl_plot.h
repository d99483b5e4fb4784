/* bl_plot.h - `observe --plot FILE.png`: a timeline of each listener's
 * accept-queue length against its limit, and of the drop counters, drawn
 * by gnuplot (Debian: gnuplot-nox), which the lab runs with the script and
 * the data on its standard input.
 */
#ifndef BL_PLOT_H
#define BL_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bl_observe.h"

/* Writes the gnuplot script, data included, that draws n samples of port
 * into png.  Listeners are told apart by inode, at most
 * BL_SOCKDIAG_MAX_LISTENERS; a sample without one leaves a gap. */
void bl_plot_script(FILE *f, const char *png, uint16_t port,
                    const struct bl_observe_sample *s, int n);

/* Runs gnuplot on that script.  Returns 0, or -1 with a one-line message
 * in err (gnuplot missing, a file name gnuplot cannot be given, gnuplot
 * failing: its first line of stderr). */
int bl_plot_observe(const char *png, uint16_t port, const struct bl_observe_sample *s,
                    int n, char *err, size_t errlen);

#endif
