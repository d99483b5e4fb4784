/* bl_report.h - backlog-lab's output: for each experiment a table, the
 * explanation generated from the numbers of this run, or with --json one
 * JSON document holding the same numbers, per-client details included.
 *
 * The rule the accept-queue report states (how the queue's effective
 * length relates to the backlog) is inferred from the runs by
 * bl_report_acceptq_rule, never taken from a constant.
 */
#ifndef BL_REPORT_H
#define BL_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "bl_abortov.h"
#include "bl_acceptq.h"
#include "bl_close.h"
#include "bl_flood.h"
#include "bl_synq.h"
#include "bl_reuseport.h"
#include "bl_synsched.h"
#include "bl_timewait.h"
#include "bl_text.h"

/* The frame every report shares (bl_report_frame.c).  With --json: one
 * document, {"experiment": NAME, the experiment's own fields, then
 * "explanation": [sentences]}; begin opens it, end closes it.  As text:
 * the experiment's tables, then text_end: "What this run shows:" and the
 * sentences. */
void bl_report_json_begin(struct json *j, FILE *f, const char *experiment);
void bl_report_json_end(struct json *j, const struct bl_text *t);
void bl_report_text_end(FILE *f, const struct bl_text *t);

/* What the accept-queue runs say about the queue's length. */
struct bl_acceptq_rule {
    int saturated;          /* runs where not every client got into the queue */
    bool extra_same;        /* held - limit was the same in all of them */
    long extra;             /* that difference (when extra_same) */
    int limit_is_backlog;   /* saturated runs whose limit equalled the backlog */
    int limit_is_somaxconn; /* ... equalled somaxconn, below the backlog */
    int limit_other;        /* ... anything else */
    long somaxconn;
};

/* Infers the rule from the runs; runs that were not saturated say nothing
 * about the limit and are left out. */
void bl_report_acceptq_rule(const struct bl_acceptq_run *runs, int n,
                            struct bl_acceptq_rule *rule);

/* Builds the explanation of the accept-queue runs into t. */
void bl_report_acceptq_explain(const struct bl_acceptq_run *runs, int n,
                               struct bl_text *t);

/* Tables and explanation, or JSON with --json. */
void bl_report_acceptq(FILE *f, const struct bl_acceptq_run *runs, int n,
                       const struct bl_opts *o);

/* Where SYN-RECV would stop if the listener's limit binds (limit + 1),
 * and if three quarters of tcp_max_syn_backlog bind (syncookies 0 only):
 * the two candidates explain_stop compares the measured stop with. */
long bl_report_synq_full_stop(const struct bl_synq_phase *p);
long bl_report_synq_quarter_stop(const struct bl_synq_phase *p);

/* Builds the explanation of the syn-queue phases into t. */
void bl_report_synq_explain(const struct bl_synq_phase *ph, int n, struct bl_text *t);

/* Table, timeline, retransmission times and explanation, or JSON. */
void bl_report_synq(FILE *f, const struct bl_synq_phase *ph, int n,
                    const struct bl_opts *o);

/* The shape of a SYN schedule, read off the measured gaps: equal gaps
 * (within -20%..+25% of the first, counted from the first), then gaps that
 * each doubled the one before (the give-up counted as one more gap), and
 * whatever fits neither. */
struct bl_synsched_shape {
    double first_gap_s;
    int equal, doubled, other;
    double budget_s;    /* (2^(tcp_syn_retries+1) - 1) x first gap, for
                           tcp_syn_retries 1-6; 0 otherwise */
};

void bl_report_synsched_shape(const struct bl_synsched_run *r, struct bl_synsched_shape *s);

/* Builds the explanation of a syn-schedule run into t. */
void bl_report_synsched_explain(const struct bl_synsched_run *r, struct bl_text *t);

/* Table and explanation, or JSON with --json. */
void bl_report_synsched(FILE *f, const struct bl_synsched_run *r, const struct bl_opts *o);

/* Builds the explanation of the reuseport phases into t. */
void bl_report_reuseport_explain(const struct bl_reuseport_phase *ph, int n,
                                 struct bl_text *t);

/* Table and explanation, or JSON with --json. */
void bl_report_reuseport(FILE *f, const struct bl_reuseport_phase *ph, int n,
                         const struct bl_opts *o);

/* Builds the explanation of the --abort-on-overflow phases into t. */
void bl_report_abortov_explain(const struct bl_abortov_phase *ph, int n, struct bl_text *t);

/* Prints the --abort-on-overflow phases: table and explanation, or JSON. */
void bl_report_abortov(FILE *f, const struct bl_abortov_phase *ph, int n,
                       const struct bl_opts *o);

/* Builds the explanation of the time-wait phases into t. */
void bl_report_timewait_explain(const struct bl_timewait_result *r, struct bl_text *t);

/* Table and explanation, or JSON with --json. */
void bl_report_timewait(FILE *f, const struct bl_timewait_result *r, const struct bl_opts *o);

/* Builds the explanation of the close sequences into t. */
void bl_report_close_explain(const struct bl_close_result *r, struct bl_text *t);

/* Tables and explanation, or JSON with --json. */
void bl_report_close(FILE *f, const struct bl_close_result *r, const struct bl_opts *o);

/* Builds the explanation of the syn-flood phases into t. */
void bl_report_flood_explain(const struct bl_flood_phase *ph, int n, struct bl_text *t);

/* Table, SYN-RECV timeline and explanation, or JSON with --json. */
void bl_report_flood(FILE *f, const struct bl_flood_phase *ph, int n,
                     const struct bl_opts *o);

#endif
