/* tl_merge.h - `tcpload merge FILE...`: one report from several runs.
 *
 * Each FILE is what `tcpload --json` printed (with --interval, the JSON
 * Lines before the summary are skipped: the last line is the summary).
 * The runs must be of one mode, and echo runs of one message size,
 * connect runs of one --send and --expect; a file that is not a tcpload
 * report of this schema, or a run that cannot be combined, is an error
 * that names the file.  The counters are summed and the histograms merged
 * bucket by bucket (tl_stats_merge), so the percentiles are those of all
 * the samples together, not averages.  Rates are the total over the mean
 * window length: the sum of the runs' rates when their windows are equally
 * long, as one --start-at and one -d make them.  The report says when the
 * windows do not overlap.
 */
#ifndef TL_MERGE_H
#define TL_MERGE_H

#include <stdio.h>

#include "tl_opts.h"

/* Reads o->files, prints the merged report (human, or --json in the
 * schema of a run; the merged .hgrm to hist when not NULL, which it
 * closes).  Returns the exit status: 0, 1 when a file cannot be read or
 * combined or the merged run failed. */
int tl_merge_main(const struct tl_opts *o, FILE *hist);

#endif
