/* bl_report_timewait.c - table, explanation and JSON for the time-wait
 * experiment (see bl_report.h).  Each sentence is read off one phase's
 * numbers; what tcp_tw_reuse 2 does is said only from how its phases
 * compare with those of 0 and 1 measured in the same run. */
#include "bl_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static double sec(uint64_t ns)
{
    return (double)ns / 1e9;
}

static const char *errname(int e)
{
    return strerrorname_np(e) != NULL ? strerrorname_np(e) : "?";
}

/* "tcp_tw_reuse=1 on loopback", for the start of each sentence. */
static const char *label(const struct bl_timewait_phase *p, char *buf, size_t len)
{
    snprintf(buf, len, "tcp_tw_reuse=%d %son %s", p->reuse,
             p->no_timestamps ? "without timestamps " : "",
             p->addr == BL_TW_VETH ? "the veth address " BL_TIMEWAIT_VETH_ADDR
                                   : "loopback 127.0.0.1");
    return buf;
}

static long range_size(const struct bl_timewait_phase *p)
{
    return p->port_hi - p->port_lo + 1;
}

static void explain_failure(const struct bl_timewait_phase *p, const char *who,
                            struct bl_text *t)
{
    long ports = range_size(p);
    char held[160] = "";

    if (p->tw_at_fail > 0)
        snprintf(held, sizeof(held), " (timers %.1f-%.1f s left)",
                 p->tw_expires_min_ms / 1e3, p->tw_expires_max_ms / 1e3);
    bl_text_add(t, "%s: %d connect%s succeeded, using %d of the %ld ports of "
                   "ip_local_port_range %ld-%ld, then connect() failed with %s (%s) %.1f ms "
                   "after the first close, with %d client end%s in TIME-WAIT%s and %d in "
                   "other states%s.", who, p->ok_before_fail, p->ok_before_fail == 1 ? "" : "s",
                p->ports_used, ports, p->port_lo, p->port_hi, errname(p->fail_errno),
                strerror(p->fail_errno), sec(p->t_fail_ns) * 1e3, p->tw_at_fail,
                p->tw_at_fail == 1 ? "" : "s", held, p->other_at_fail,
                p->tw_at_fail == p->ports_used && p->other_at_fail == 0 && p->tw_at_fail > 0
                    ? ": every port used was held by a TIME-WAIT end" : "");
    if (p->ports_used < ports)
        bl_text_add(t, "%s: %ld port%s of the range had never been used when connect() "
                       "failed: the kernel did not hand out every port of the range.", who,
                    ports - p->ports_used, ports - p->ports_used == 1 ? "" : "s");
}

static void explain_reuse(const struct bl_timewait_phase *p, const char *who,
                          struct bl_text *t)
{
    int64_t recycled = p->delta[1];
    char delay[256] = "", counter[96] = "";

    if (recycled >= 0)
        snprintf(counter, sizeof(counter), " (TWRecycled +%lld%s)", (long long)recycled,
                 recycled == p->reused ? "" : ", not the same count");
    if (p->reused == 0) {
        bl_text_add(t, "%s: none of the %d connects retried every %d ms for the rest of the "
                       "%.1f s succeeded: no TIME-WAIT end was taken over%s.", who,
                    p->attempts_after, BL_TIMEWAIT_RETRY_MS, BL_TIMEWAIT_WINDOW_NS / 1e9,
                    counter);
        return;
    }
    if (p->reuse_delay_ms >= 0 && p->t_fail_ns < (uint64_t)p->reuse_delay_ms * 1000000)
        snprintf(delay, sizeof(delay), ", when the oldest end had been in TIME-WAIT %s "
                 "net.ipv4.tcp_tw_reuse_delay (%ld ms); none earlier, though the loop "
                 "had run out of ports at %.1f ms: a loop this fast fails first even with "
                 "reuse on", sec(p->t_first_reuse_ns) * 1000 >= (double)p->reuse_delay_ms
                                  ? "longer than" : "less than",
                 p->reuse_delay_ms, sec(p->t_fail_ns) * 1e3);
    bl_text_add(t, "%s: %d of the %d connects retried after the failure succeeded, on ports "
                   "held by TIME-WAIT ends%s; the first came %.3f s after the first close%s.",
                who, p->reused, p->attempts_after, counter, sec(p->t_first_reuse_ns), delay);
}

static const struct bl_timewait_phase *find(const struct bl_timewait_result *r, int reuse,
                                            enum bl_timewait_addr addr)
{
    for (int i = 0; i < r->nphases; i++)
        if (r->ph[i].reuse == reuse && r->ph[i].addr == addr && !r->ph[i].no_timestamps)
            return &r->ph[i];
    return NULL;
}

/* What each address did with each value: the values that took over ends. */
static void explain_compare(const struct bl_timewait_result *r, struct bl_text *t)
{
    for (int a = BL_TW_LOOPBACK; a <= BL_TW_VETH; a++) {
        char yes[32] = "", no[32] = "";
        for (int v = 0; v <= 2; v++) {
            const struct bl_timewait_phase *p = find(r, v, a);
            char *list = p == NULL ? NULL : p->reused > 0 ? yes : no;
            size_t used = list != NULL ? strlen(list) : 0;
            if (list != NULL)
                snprintf(list + used, sizeof(yes) - used, "%s%c", used ? ", " : "", '0' + v);
        }
        if (yes[0] == '\0' && no[0] == '\0')
            continue;
        bl_text_add(t, "On %s, tcp_tw_reuse values that took over TIME-WAIT ends: %s; "
                       "that did not: %s.", a == BL_TW_VETH ? "the veth address" : "loopback",
                    yes[0] ? yes : "none", no[0] ? no : "none");
    }
    const struct bl_timewait_phase *lo2 = find(r, 2, BL_TW_LOOPBACK),
                                   *veth2 = find(r, 2, BL_TW_VETH),
                                   *veth1 = find(r, 1, BL_TW_VETH);
    if (lo2 != NULL && veth2 != NULL && lo2->reused > 0 && veth2->reused == 0)
        bl_text_add(t, "tcp_tw_reuse=2 took over ends on loopback and none on the veth "
                       "address%s: 2 is reuse for loopback connections only, although both "
                       "addresses are local to the namespace.",
                    veth1 != NULL && veth1->reused > 0 ? ", where 1 did" : "");
    for (int i = 0; i < r->nphases; i++) {
        const struct bl_timewait_phase *p = &r->ph[i], *with = find(r, 1, BL_TW_LOOPBACK);
        if (p->no_timestamps && with != NULL)
            bl_text_add(t, "With net.ipv4.tcp_timestamps 0, tcp_tw_reuse=1 on loopback "
                           "took over %d end%s, against %d with timestamps on%s.", p->reused,
                        p->reused == 1 ? "" : "s", with->reused,
                        p->reused == 0 && with->reused > 0
                            ? ": reuse needed the timestamps" : "");
    }
}

static void explain_life(const struct bl_timewait_life *l, struct bl_text *t)
{
    if (!l->seen) {
        bl_text_add(t, "The TIME-WAIT end watched alone was never seen in TIME-WAIT.");
        return;
    }
    bl_text_add(t, "One TIME-WAIT end watched alone was seen %.0f ms after its close with "
                   "%.1f s left on its timer (idiag_expires): a lifetime of about %.1f s.",
                sec(l->seen_after_ns) * 1e3, l->expires_ms / 1e3,
                sec(l->seen_after_ns) + l->expires_ms / 1e3);
    if (l->watched && l->gone)
        bl_text_add(t, "Watched every 100 ms, it was gone %.1f s after the close, %.1f s "
                       "after its timer said it would%s.", sec(l->gone_after_ns),
                    sec(l->gone_after_ns) - sec(l->seen_after_ns) - l->expires_ms / 1e3,
                    sec(l->gone_after_ns) < 239
                        ? ": shorter than the 2 x MSL of RFC 793 (MSL 2 minutes: 240 s)"
                        : "");
    else if (l->watched)
        bl_text_add(t, "Watched every 100 ms, it was still there %d s after the close.",
                    BL_TIMEWAIT_WATCH_S);
    else
        bl_text_add(t, "(--long watches it until it goes.)");
}

void bl_report_timewait_explain(const struct bl_timewait_result *r, struct bl_text *t)
{
    char who[96];

    for (int i = 0; i < r->nphases; i++) {
        const struct bl_timewait_phase *p = &r->ph[i];
        label(p, who, sizeof(who));
        if (!p->failed) {
            bl_text_add(t, "%s: no connect failed in %.1f s: %d connects, the %ld ports of "
                           "the range never ran out.", who, BL_TIMEWAIT_WINDOW_NS / 1e9,
                        p->ok_before_fail, range_size(p));
            continue;
        }
        explain_failure(p, who, t);
        explain_reuse(p, who, t);
    }
    explain_compare(r, t);
    explain_life(&r->life, t);
}

static void print_table(FILE *f, const struct bl_timewait_result *r)
{
    fprintf(f, "Connect, close client first, repeat; each phase in a fresh namespace "
               "(%.1f s):\n", BL_TIMEWAIT_WINDOW_NS / 1e9);
    fprintf(f, "%5s %-8s %3s %11s %4s %6s %10s %13s %8s %7s %11s %8s\n", "reuse", "address",
            "ts", "port range", "ok", "ports", "failed at", "errno", "TW then", "reused",
            "first reuse", "TWRecyc");
    for (int i = 0; i < r->nphases; i++) {
        const struct bl_timewait_phase *p = &r->ph[i];
        char range[16], first[16] = "-", failed[16] = "-";
        snprintf(range, sizeof(range), "%ld-%ld", p->port_lo, p->port_hi);
        if (p->failed)
            snprintf(failed, sizeof(failed), "%.1fms", sec(p->t_fail_ns) * 1e3);
        if (p->reused > 0)
            snprintf(first, sizeof(first), "%.3fs", sec(p->t_first_reuse_ns));
        fprintf(f, "%5d %-8s %3ld %11s %4d %6d %10s %13s %8d %7d %11s %8lld\n", p->reuse,
                p->addr == BL_TW_VETH ? "veth" : "loopback", p->timestamps, range,
                p->ok_before_fail, p->ports_used, failed,
                p->failed ? errname(p->fail_errno) : "-", p->tw_at_fail, p->reused, first,
                (long long)p->delta[1]);
    }
}

static void json_phase(struct json *j, const struct bl_timewait_phase *p)
{
    json_object(j, NULL);
    json_int(j, "tcp_tw_reuse", p->reuse);
    json_string(j, "address", p->addr == BL_TW_VETH ? BL_TIMEWAIT_VETH_ADDR : "127.0.0.1");
    json_int(j, "tcp_timestamps", p->timestamps);
    json_int(j, "tcp_tw_reuse_delay_ms", p->reuse_delay_ms);
    json_int(j, "port_lo", p->port_lo);
    json_int(j, "port_hi", p->port_hi);
    json_int(j, "connects_before_failure", p->ok_before_fail);
    json_int(j, "ports_used", p->ports_used);
    json_bool(j, "failed", p->failed);
    if (p->failed) {
        json_string(j, "errno", errname(p->fail_errno));
        json_double(j, "failed_ms", (double)p->t_fail_ns / 1e6);
    }
    json_int(j, "time_wait_at_failure", p->tw_at_fail);
    json_int(j, "other_at_failure", p->other_at_fail);
    json_int(j, "time_wait_expires_min_ms", p->tw_expires_min_ms);
    json_int(j, "time_wait_expires_max_ms", p->tw_expires_max_ms);
    json_int(j, "retries_after_failure", p->attempts_after);
    json_int(j, "reused", p->reused);
    if (p->reused > 0)
        json_double(j, "first_reuse_ms", (double)p->t_first_reuse_ns / 1e6);
    json_object(j, "counter_deltas");
    for (int k = 0; k < BL_TIMEWAIT_NCOUNTERS; k++) {
        if (p->delta[k] < 0)
            json_null(j, bl_timewait_counters[k]);
        else
            json_int(j, bl_timewait_counters[k], p->delta[k]);
    }
    json_end_object(j);
    json_end_object(j);
}

static void json_life(struct json *j, const struct bl_timewait_life *l)
{
    json_object(j, "time_wait_end");
    json_bool(j, "seen", l->seen);
    json_double(j, "seen_after_ms", (double)l->seen_after_ns / 1e6);
    json_int(j, "expires_ms", l->expires_ms);
    json_bool(j, "watched", l->watched);
    json_bool(j, "gone", l->gone);
    if (l->gone)
        json_double(j, "gone_after_ms", (double)l->gone_after_ns / 1e6);
    json_end_object(j);
}

void bl_report_timewait(FILE *f, const struct bl_timewait_result *r, const struct bl_opts *o)
{
    struct bl_text t;

    bl_text_init(&t);
    bl_report_timewait_explain(r, &t);
    if (o->json) {
        struct json j;
        bl_report_json_begin(&j, f, "time-wait");
        json_int(&j, "window_ms", (int64_t)(BL_TIMEWAIT_WINDOW_NS / 1000000));
        json_array(&j, "phases");
        for (int i = 0; i < r->nphases; i++)
            json_phase(&j, &r->ph[i]);
        json_end_array(&j);
        json_life(&j, &r->life);
        bl_report_json_end(&j, &t);
    } else {
        print_table(f, r);
        if (r->life.seen)
            fprintf(f, "\nOne TIME-WAIT end: seen %.0f ms after its close, timer %.1f s%s\n",
                    sec(r->life.seen_after_ns) * 1e3, r->life.expires_ms / 1e3,
                    r->life.gone ? "" : r->life.watched ? ", still there at the end" : "");
        if (r->life.gone)
            fprintf(f, "                gone %.1f s after its close\n",
                    sec(r->life.gone_after_ns));
        bl_report_text_end(f, &t);
    }
    bl_text_free(&t);
    fflush(f);
}
