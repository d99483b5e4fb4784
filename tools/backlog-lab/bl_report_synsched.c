/* bl_report_synsched.c - table, explanation and JSON for the syn-schedule
 * experiment (see bl_report.h).  The shape of the schedule (how many gaps
 * of the same length, then how many doubled) is read off the measured
 * times and only then compared with the sysctls said to set it. */
#include "bl_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bl_netstat.h"

static double sec(uint64_t ns)
{
    return (double)ns / 1e9;
}

/* Gap before retransmission k (0-based); the give-up counts as one more,
 * k == nrtx, when the connect ended. */
static uint64_t gap(const struct bl_synsched_run *r, int k)
{
    uint64_t at = k < r->nrtx ? r->t_rtx[k] : r->t_end;
    return k == 0 ? at : at - r->t_rtx[k - 1];
}

static bool near(double v, double want)
{
    return v >= want * 0.8 && v <= want * 1.25;
}

void bl_report_synsched_shape(const struct bl_synsched_run *r, struct bl_synsched_shape *s)
{
    int gaps = r->nrtx + (r->connected ? 0 : 1);

    memset(s, 0, sizeof(*s));
    if (r->nrtx == 0)
        return;
    s->first_gap_s = sec(gap(r, 0));
    int k = 1;
    while (k < gaps && near(sec(gap(r, k)), s->first_gap_s))
        k++;
    s->equal = k;
    for (; k < gaps && near(sec(gap(r, k)), 2 * sec(gap(r, k - 1))); k++)
        s->doubled++;
    s->other = gaps - s->equal - s->doubled;
    s->budget_s = r->syn_retries >= 1 && r->syn_retries <= 6
                      ? (double)((2L << r->syn_retries) - 1) * s->first_gap_s : 0;
}

/* Whether the linear part of the schedule fits tcp_syn_linear_timeouts:
 * that many gaps after the first kept its length, or the connect ended
 * while they all still had. */
static bool linear_fits(const struct bl_synsched_run *r, const struct bl_synsched_shape *s)
{
    int gaps = r->nrtx + (r->connected ? 0 : 1);

    return s->equal - 1 == r->linear_timeouts ||
           (s->equal == gaps && s->equal - 1 <= r->linear_timeouts);
}

/* What set the give-up: the count of retransmissions, or the time that
 * tcp_syn_retries doubling gaps would take (the first timer past it). */
static void explain_give_up(const struct bl_synsched_run *r, const struct bl_synsched_shape *s,
                            struct bl_text *t)
{
    const char *name = strerrorname_np(r->err) != NULL ? strerrorname_np(r->err) : "?";
    double last = sec(r->t_rtx[r->nrtx - 1]), end = sec(r->t_end);

    bl_text_add(t, "connect() gave up with %s (%s) %.2f s after it was called, %.2f s "
                   "after the last retransmission.", name, strerror(r->err), end, end - last);
    if (r->nrtx == r->syn_retries)
        bl_text_add(t, "The client sent exactly tcp_syn_retries (%ld) retransmissions before "
                       "giving up: here the sysctl counted retransmissions.", r->syn_retries);
    else if (s->budget_s > 0 && last < s->budget_s * 1.02 && end >= s->budget_s * 0.98)
        bl_text_add(t, "tcp_syn_retries (%ld) did not count retransmissions (%d were sent): "
                       "connect() gave up at the first timer past %.2f s, which is "
                       "(2^(%ld+1) - 1) x the first gap, the time %ld retransmission%s "
                       "take%s when every gap doubles; gaps that stay the same length fit "
                       "more retransmissions into that time.", r->syn_retries, r->nrtx,
                    s->budget_s, r->syn_retries, r->syn_retries,
                    r->syn_retries == 1 ? "" : "s", r->syn_retries == 1 ? "s" : "");
    else
        bl_text_add(t, "tcp_syn_retries (%ld) is neither the number of retransmissions (%d) "
                       "nor, as a time budget of (2^(N+1) - 1) x the first gap, where the "
                       "connect gave up: this run fits neither rule.", r->syn_retries,
                    r->nrtx);
}

void bl_report_synsched_explain(const struct bl_synsched_run *r, struct bl_text *t)
{
    struct bl_synsched_shape s;
    char times[512] = "";
    size_t used = 0;

    for (int k = 0; k < r->nrtx; k++) {
        int w = snprintf(times + used, sizeof(times) - used, "%s%.2f", k ? ", " : "",
                         sec(r->t_rtx[k]));
        if (w < 0 || (size_t)w >= sizeof(times) - used)
            break;
        used += (size_t)w;
    }
    if (r->nrtx == 0) {
        bl_text_add(t, "The client never retransmitted its SYN before the connect ended "
                       "(%s after %.2f s).", r->connected ? "connected" : strerror(r->err),
                    sec(r->t_end));
        return;
    }
    bl_text_add(t, "The client retransmitted its SYN %d time%s, at %s s after connect() "
                   "(tcp_syn_retries %ld in the namespace).", r->nrtx,
                r->nrtx == 1 ? "" : "s", times, r->syn_retries);
    bl_report_synsched_shape(r, &s);
    bl_text_add(t, "The first gap, the initial retransmission timeout, was %.2f s; %d more "
                   "gap%s kept that length.", s.first_gap_s, s.equal - 1,
                s.equal - 1 == 1 ? "" : "s");
    if (r->linear_timeouts >= 0)
        bl_text_add(t, "net.ipv4.tcp_syn_linear_timeouts is %ld in the namespace, %s.",
                    r->linear_timeouts, linear_fits(r, &s)
                        ? "which fits: that many timeouts do not back off"
                        : "which does NOT fit the gaps measured");
    if (s.doubled == 1)
        bl_text_add(t, "Then the next gap doubled the one before it.");
    else if (s.doubled > 1)
        bl_text_add(t, "Then each of the next %d gaps (the wait after the last "
                       "retransmission included) doubled the one before it.", s.doubled);
    if (s.other > 0)
        bl_text_add(t, "%d gap%s fit neither pattern (see the table).", s.other,
                    s.other == 1 ? "" : "s");
    if (r->connected)
        bl_text_add(t, "The connect completed after %.2f s: the queue had room again.",
                    sec(r->t_end));
    else
        explain_give_up(r, &s, t);
    if (r->delta[0] >= 0)
        bl_text_add(t, "The listener's full queue dropped %lld SYN%s (ListenOverflows, "
                       "counters of the lab's own namespace), %s the %d the client sent.",
                    (long long)r->delta[0], r->delta[0] == 1 ? "" : "s",
                    r->delta[0] == r->nrtx + 1 ? "exactly" : "not", r->nrtx + 1);
}

static void print_table(FILE *f, const struct bl_synsched_run *r)
{
    fprintf(f, "SYN retransmissions of one client whose SYNs a full queue drops "
               "(tcp_syn_retries %ld, tcp_syn_linear_timeouts %ld):\n", r->syn_retries,
            r->linear_timeouts);
    fprintf(f, "%6s %14s %10s\n", "SYN", "after connect", "gap");
    fprintf(f, "%6s %13.3fs %10s\n", "first", 0.0, "-");
    for (int k = 0; k < r->nrtx; k++)
        fprintf(f, "%6d %13.3fs %9.3fs\n", k + 1, sec(r->t_rtx[k]), sec(gap(r, k)));
    fprintf(f, "%6s %13.3fs %9.3fs  %s\n", "end", sec(r->t_end),
            sec(r->nrtx > 0 ? r->t_end - r->t_rtx[r->nrtx - 1] : r->t_end),
            r->connected ? "connected" : strerror(r->err));
}

void bl_report_synsched(FILE *f, const struct bl_synsched_run *r, const struct bl_opts *o)
{
    struct bl_text t;

    bl_text_init(&t);
    bl_report_synsched_explain(r, &t);
    if (o->json) {
        struct json j;
        bl_report_json_begin(&j, f, "syn-schedule");
        json_int(&j, "tcp_syn_retries", r->syn_retries);
        json_int(&j, "tcp_syn_linear_timeouts", r->linear_timeouts);
        json_array(&j, "retransmissions_ms");
        for (int k = 0; k < r->nrtx; k++)
            json_double(&j, NULL, (double)r->t_rtx[k] / 1e6);
        json_end_array(&j);
        json_bool(&j, "connected", r->connected);
        if (!r->connected)
            json_string(&j, "errno", strerrorname_np(r->err) != NULL
                                         ? strerrorname_np(r->err) : "?");
        json_double(&j, "ended_ms", (double)r->t_end / 1e6);
        bl_json_listen_deltas(&j, "counter_deltas", r->delta);
        bl_report_json_end(&j, &t);
    } else {
        print_table(f, r);
        bl_report_text_end(f, &t);
    }
    bl_text_free(&t);
    fflush(f);
}
