/* tl_report.h - what tcpload prints: the human summary, the --json
 * object, the --histogram file and the progress line.
 *
 * The report reads a finished run (its options, its merged stats, the
 * length of its measured window) and the machine facts of tl_sys.h; it
 * decides nothing about the run except the exit status it implies.
 */
#ifndef TL_REPORT_H
#define TL_REPORT_H

#include <stdio.h>

#include "tl_opts.h"
#include "tl_run.h"
#include "tl_sys.h"

struct tl_result {
    const struct tl_opts *o;
    const struct tl_sys *sys;
    const struct tl_stats *s;
    uint64_t elapsed_ns;      /* the measured window (hold: the hold time) */
    const char *failure;      /* why the run could not be carried out, or NULL */
};

/* Exit status of a finished run: 1 when data came back corrupted, no
 * connection could be made, or the run failed; else 0. */
int tl_report_exit_status(const struct tl_result *r);

/* The summary for people, several lines. */
void tl_report_human(FILE *f, const struct tl_result *r);

/* The same as one JSON object on one line, with the command line, kernel
 * release, sysctls and open-file limit. */
void tl_report_json(FILE *f, const struct tl_result *r);

/* Writes the latency distribution(s) to path: rows "value_us count
 * percentile", one block per distribution, blocks separated by two blank
 * lines (gnuplot's "index").  Returns 0 or -errno. */
int tl_report_histogram(const char *path, const struct tl_result *r);

/* One progress line: totals now, and rates since prev (dt_s ago). */
void tl_report_progress(FILE *f, enum tl_mode mode, double elapsed_s,
                        const struct tl_live *now, const struct tl_live *prev,
                        double dt_s);

/* "ECONNREFUSED", "EOF", ... for an error kind (errno or TL_ERR_*). */
const char *tl_err_name(int kind);

/* Formats a duration in ns with three significant digits and a unit
 * ("850ns", "45.1us", "1.25ms", "2.10s") into buf; returns buf. */
char *tl_fmt_ns(char *buf, size_t size, uint64_t ns);

#endif
