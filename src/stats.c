/* stats.c - summing and printing echod's per-worker counters (see stats.h).
 *
 * Only the main thread calls these, on a timer (--stats-interval), on
 * SIGUSR1 and at exit; the workers just bump their own block.  Text lines
 * are "key=value" pairs, so a script can pick any field with one regex;
 * --json prints the same fields as one JSON object per line.
 */
#include "stats.h"

#include <string.h>

static const char *const stats_names[STATS_COUNT] = {
    [STATS_ACCEPTED] = "accepted",
    [STATS_ACTIVE] = "active",
    [STATS_CLOSED] = "closed",
    [STATS_REFUSED] = "refused",
    [STATS_IDLE_TIMEOUTS] = "idle_timeouts",
    [STATS_GRACE_CLOSED] = "grace_closed",
    [STATS_RESETS] = "resets",
    [STATS_EPIPE] = "epipe",
    [STATS_IO_ERRORS] = "io_errors",
    [STATS_NOMEM] = "nomem",
    [STATS_BYTES_IN] = "bytes_in",
    [STATS_BYTES_OUT] = "bytes_out",
    [STATS_ACCEPT_EMFILE] = "emfile",
    [STATS_ACCEPT_ENFILE] = "enfile",
    [STATS_ACCEPT_ENOBUFS] = "enobufs",
    [STATS_ACCEPT_ENOMEM] = "enomem",
    [STATS_ACCEPT_ABORTED] = "accept_aborted",
    [STATS_ACCEPT_OTHER] = "accept_other",
    [STATS_SHED] = "shed",
};

const char *stats_name(enum stats_id id)
{
    return stats_names[id];
}

void stats_sum(const struct stats_counters *const blocks[], size_t n,
               struct stats_counters *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t w = 0; w < n; w++)
        for (int id = 0; id < STATS_COUNT; id++)
            out->v[id] += stats_get(blocks[w], id);
}

/* Per second over interval_ms; 0 for an empty interval. */
static double per_sec(uint64_t delta, uint64_t interval_ms)
{
    return interval_ms == 0 ? 0.0 : (double)delta * 1000.0 / (double)interval_ms;
}

void stats_print_interval(FILE *f, const struct stats_counters *prev,
                          const struct stats_counters *cur, uint64_t interval_ms,
                          int paused, int json)
{
    unsigned long long active = cur->v[STATS_ACTIVE];
    double accepts = per_sec(cur->v[STATS_ACCEPTED] - prev->v[STATS_ACCEPTED], interval_ms);
    double in = per_sec(cur->v[STATS_BYTES_IN] - prev->v[STATS_BYTES_IN], interval_ms) / 1e6;
    double out = per_sec(cur->v[STATS_BYTES_OUT] - prev->v[STATS_BYTES_OUT], interval_ms) / 1e6;

    if (json)
        fprintf(f, "{\"type\":\"interval\",\"active\":%llu,\"accepts_per_s\":%.1f,"
                "\"in_mb_per_s\":%.3f,\"out_mb_per_s\":%.3f,\"accepting\":\"%s\"}\n",
                active, accepts, in, out, paused ? "paused" : "on");
    else
        fprintf(f, "stats: active=%llu accepts/s=%.1f in=%.3fMB/s out=%.3fMB/s accepting=%s\n",
                active, accepts, in, out, paused ? "paused" : "on");
}

static void print_totals(FILE *f, const struct stats_counters *t, int json)
{
    for (int id = 0; id < STATS_COUNT; id++)
        fprintf(f, json ? ",\"%s\":%llu" : " %s=%llu", stats_names[id],
                (unsigned long long)t->v[id]);
}

void stats_print_report(FILE *f, const char *what,
                        const struct stats_counters *const blocks[], size_t n,
                        int paused, int json)
{
    struct stats_counters total;

    stats_sum(blocks, n, &total);
    if (json) {
        fprintf(f, "{\"type\":\"%s\"", what);
        print_totals(f, &total, 1);
        fprintf(f, ",\"accepting\":\"%s\",\"workers\":[", paused ? "paused" : "on");
        for (size_t w = 0; w < n; w++)
            fprintf(f, "%s{\"accepted\":%llu,\"active\":%llu}", w ? "," : "",
                    (unsigned long long)stats_get(blocks[w], STATS_ACCEPTED),
                    (unsigned long long)stats_get(blocks[w], STATS_ACTIVE));
        fputs("]}\n", f);
    } else {
        fprintf(f, "%s:", what);
        print_totals(f, &total, 0);
        fprintf(f, " accepting=%s\n", paused ? "paused" : "on");
        for (size_t w = 0; w < n; w++)
            fprintf(f, "%s: worker %zu accepted=%llu active=%llu\n", what, w,
                    (unsigned long long)stats_get(blocks[w], STATS_ACCEPTED),
                    (unsigned long long)stats_get(blocks[w], STATS_ACTIVE));
    }
}
