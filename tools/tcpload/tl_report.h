/* tl_report.h - what tcpload prints: the human summary, the --json
 * object (schema TL_REPORT_SCHEMA, the same keys in every mode, what
 * tl_merge reads back), the --histogram file (.hgrm), the --interval lines
 * and the progress line.
 *
 * The report reads a finished run, or a merge of several (its options, its
 * merged stats, the length and wall-clock times of its measured window,
 * tcpload's CPU time) and the machine facts of tl_sys.h; it decides nothing
 * about the run except whether it failed (tl_report_judge) and the exit
 * status that implies.
 */
#ifndef TL_REPORT_H
#define TL_REPORT_H

#include <stdio.h>

#include "tl_ival.h"
#include "tl_opts.h"
#include "tl_run.h"
#include "tl_sys.h"

struct tl_result {
    const struct tl_opts *o;
    const struct tl_sys *sys;
    const struct tl_stats *s;
    uint64_t elapsed_ns;      /* the measured window (hold: the hold time) */
    const char *failure;      /* why the run failed, or NULL (tl_report_judge) */
    uint64_t wall_start_ns;   /* the window's wall-clock start and end, ns */
    uint64_t wall_end_ns;     /* since the Unix epoch; 0 when unknown */
    int no_window;            /* the run ended before its window began
                                 (hold: before anything was held) */
    uint64_t warmup_ns;       /* the warmup that elapsed (merge: 0) */
    int stop_sig;             /* the signal that stopped the run, or 0 */
    uint64_t cpu_user_ns;     /* tcpload's CPU time over its whole life */
    uint64_t cpu_sys_ns;
    uint64_t cpu_sleeps;      /* voluntary context switches (getrusage) */
    const char *host;         /* the machine that writes the report */
    uint64_t now_ns;          /* when it is written (ns since the epoch) */
    char run_id[33];          /* 128 random bits in hex: this report's identity */
    const struct tl_input *inputs; /* merge: one row per file (else NULL) */
    size_t ninputs;
};

/* One run that a merge combined. */
struct tl_input {
    const char *file;
    char host[256];
    const char *target;       /* the address it ran against */
    char run_id[33];          /* its "run_id" ("" when it has none) */
    uint64_t stamp_ns;        /* its "timestamp" */
    uint64_t samples;         /* in its main distribution */
    uint64_t wall_start_ns, wall_end_ns;
    uint64_t measured;        /* messages or transactions in its window */
    double per_second;
    uint64_t p50_ns, p99_ns, max_ns; /* of its main distribution */
    const char *failure;      /* its failure, or NULL */
};

/* One line of --interval (tl_ival.h): the interval's figures, where it
 * lies relative to the window's start, the time it covers (shorter for a
 * first interval that began before the run did) and its phase ("warmup",
 * "window", "drain"). */
struct tl_interval_line {
    const struct tl_ival_sum *sum;
    int64_t start_ns, end_ns;
    uint64_t length_ns;
    const char *phase;
};

/* Fills r->host (buf, size bytes: gethostname), r->now_ns (the wall
 * clock) and r->run_id (getrandom; should that fail, the wall clock, the
 * process id and the monotonic clock, which still differ run to run). */
void tl_report_stamp(struct tl_result *r, char *buf, size_t size);

/* The schema of the --json report, raised when a key changes meaning. */
#define TL_REPORT_SCHEMA 2

/* Decides whether a finished run failed, when r->failure is not set yet:
 * no connection could be made, the run ended (or a signal stopped it)
 * before its window began, or messages (transactions) went unanswered; the sentence is written into buf and r->failure points to
 * it.  Leaves r->failure NULL for a run that did its job. */
void tl_report_judge(struct tl_result *r, char *buf, size_t size);

/* The mode's main distribution (echo: messages, connect: transactions,
 * hold: connects), as an index of struct tl_stats' lat[], and its name. */
int tl_report_main_lat(enum tl_mode mode, const char **key);

/* The index in lat[] of the distribution a mode records under key
 * ("message", "connect", "first_byte", "transaction"), or -1. */
int tl_report_lat_index(enum tl_mode mode, const char *key);

/* One --interval line: human, or with --json a JSON Lines object. */
void tl_report_interval(FILE *f, const struct tl_opts *o, const struct tl_interval_line *l);

/* Exit status of a finished run: 1 when data came back corrupted, no
 * connection could be made, or the run failed (r->failure); else 0. */
int tl_report_exit_status(const struct tl_result *r);

/* The summary for people, several lines. */
void tl_report_human(FILE *f, const struct tl_result *r);

/* The same as one JSON object on one line, with the command line, kernel
 * release, sysctls and open-file limit. */
void tl_report_json(FILE *f, const struct tl_result *r);

/* Writes the mode's main distribution to f in HdrHistogram's percentile
 * distribution format (.hgrm), values in microseconds, and closes f.
 * Returns 0 or -errno. */
int tl_report_histogram(FILE *f, const struct tl_result *r);

/* One progress line: totals now, and rates since prev (dt_s ago). */
void tl_report_progress(FILE *f, enum tl_mode mode, double elapsed_s,
                        const struct tl_live *now, const struct tl_live *prev,
                        double dt_s);

/* Formats a wall-clock time (ns since the Unix epoch) as RFC 3339 in UTC
 * with microseconds ("2026-01-01T00:00:00.000000Z"); returns buf. */
char *tl_fmt_time(char *buf, size_t size, uint64_t unix_ns);

/* "ECONNREFUSED", "EOF", ... for an error kind (errno or TL_ERR_*). */
const char *tl_err_name(int kind);

/* Formats a duration in ns with three significant digits and a unit
 * ("850ns", "45.1us", "1.25ms", "2.10s") into buf; returns buf. */
char *tl_fmt_ns(char *buf, size_t size, uint64_t ns);

#endif
