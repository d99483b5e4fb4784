/* stats.c - summing and printing echod's per-worker counters (see stats.h).
 *
 * Only the main thread calls these, on a timer (--stats-interval), on
 * SIGUSR1 and at exit; the workers just bump their own block.  Text lines
 * are "key=value" pairs, so a script can pick any field with one regex;
 * --json prints the same fields as one JSON object per line, through the
 * shared JSON writer (json.h).
 */
#include "stats.h"

#include <errno.h>
#include <string.h>

#include "json.h"

static const char *const stats_names[STATS_COUNT] = {
    [STATS_ACCEPTED] = "accepted",
    [STATS_ACTIVE] = "active",
    [STATS_CLOSED] = "closed",
    [STATS_REFUSED] = "refused",
    [STATS_IDLE_TIMEOUTS] = "idle_timeouts",
    [STATS_GRACE_CLOSED] = "grace_closed",
    [STATS_LINGER_TIMEOUTS] = "linger_timeouts",
    [STATS_WRITE_TIMEOUTS] = "write_timeouts",
    [STATS_LIFETIME_CLOSED] = "lifetime_closed",
    [STATS_RESETS] = "resets",
    [STATS_EPIPE] = "epipe",
    [STATS_IO_ERRORS] = "io_errors",
    [STATS_IO_ETIMEDOUT] = "io_etimedout",
    [STATS_IO_EHOSTUNREACH] = "io_ehostunreach",
    [STATS_IO_ENETUNREACH] = "io_enetunreach",
    [STATS_IO_ENOBUFS] = "io_enobufs",
    [STATS_IO_ENOMEM] = "io_enomem",
    [STATS_IO_EIO] = "io_eio",
    [STATS_IO_OTHER] = "io_other",
    [STATS_NOMEM] = "nomem",
    [STATS_MEMORY_WAITS] = "memory_waits",
    [STATS_BUFFERED] = "buffered",
    [STATS_BYTES_IN] = "bytes_in",
    [STATS_BYTES_OUT] = "bytes_out",
    [STATS_ACCEPT_EMFILE] = "emfile",
    [STATS_ACCEPT_ENFILE] = "enfile",
    [STATS_ACCEPT_ENOBUFS] = "enobufs",
    [STATS_ACCEPT_ENOMEM] = "enomem",
    [STATS_ACCEPT_ABORTED] = "accept_aborted",
    [STATS_ACCEPT_OTHER] = "accept_other",
    [STATS_SHED] = "shed",
    [STATS_PROXY_INVALID] = "proxy_invalid",
    [STATS_PROXY_TIMEOUTS] = "proxy_timeouts",
    [STATS_PER_IP_REFUSED] = "per_ip_refused",
    [STATS_PIPES] = "pipes",
    [STATS_PIPES_LENT] = "pipes_lent",
    [STATS_PIPED] = "piped",
    [STATS_SPLICED] = "spliced",
    [STATS_PIPE_MISSES] = "pipe_misses",
};

static const char *const proc_names[STATS_PROC_COUNT] = {
    [STATS_PROC_CONN_CAP] = "conn_cap",
    [STATS_PROC_LOG_DROPPED] = "log_dropped",
};

static uint64_t proc_values[STATS_PROC_COUNT];

/* The errnos with a counter of their own; the others go to io_other. */
static const struct {
    int err;
    enum stats_id id;
    const char *label;
} io_errnos[] = {
    { ETIMEDOUT, STATS_IO_ETIMEDOUT, "ETIMEDOUT" },
    { EHOSTUNREACH, STATS_IO_EHOSTUNREACH, "EHOSTUNREACH" },
    { ENETUNREACH, STATS_IO_ENETUNREACH, "ENETUNREACH" },
    { ENOBUFS, STATS_IO_ENOBUFS, "ENOBUFS" },
    { ENOMEM, STATS_IO_ENOMEM, "ENOMEM" },
    { EIO, STATS_IO_EIO, "EIO" },
};
#define N_IO_ERRNOS (sizeof(io_errnos) / sizeof(io_errnos[0]))

const char *stats_name(enum stats_id id)
{
    return stats_names[id];
}

const char *stats_errno_label(enum stats_id id)
{
    for (size_t i = 0; i < N_IO_ERRNOS; i++)
        if (io_errnos[i].id == id)
            return io_errnos[i].label;
    return id == STATS_IO_OTHER ? "other" : NULL;
}

enum stats_id stats_io_errno_id(int err)
{
    for (size_t i = 0; i < N_IO_ERRNOS; i++)
        if (io_errnos[i].err == err)
            return io_errnos[i].id;
    return STATS_IO_OTHER;
}

void stats_proc_set(enum stats_proc_id id, uint64_t v)
{
    __atomic_store_n(&proc_values[id], v, __ATOMIC_RELAXED);
}

uint64_t stats_proc_get(enum stats_proc_id id)
{
    return __atomic_load_n(&proc_values[id], __ATOMIC_RELAXED);
}

const char *stats_proc_name(enum stats_proc_id id)
{
    return proc_names[id];
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

/* The interval line as one JSON object. */
static void json_interval(FILE *f, uint64_t active, double accepts, double in, double out,
                          int paused)
{
    struct json j;

    json_init(&j, f, JSON_COMPACT);
    json_object(&j, NULL);
    json_string(&j, "type", "interval");
    json_uint(&j, "active", active);
    json_fixed(&j, "accepts_per_s", accepts, 1);
    json_fixed(&j, "in_mb_per_s", in, 3);
    json_fixed(&j, "out_mb_per_s", out, 3);
    json_string(&j, "accepting", paused ? "paused" : "on");
    json_end_object(&j);
}

void stats_print_interval(FILE *f, const struct stats_counters *prev,
                          const struct stats_counters *cur, uint64_t interval_ms,
                          int paused, int json)
{
    uint64_t active = cur->v[STATS_ACTIVE];
    double accepts = per_sec(cur->v[STATS_ACCEPTED] - prev->v[STATS_ACCEPTED], interval_ms);
    double in = per_sec(cur->v[STATS_BYTES_IN] - prev->v[STATS_BYTES_IN], interval_ms) / 1e6;
    double out = per_sec(cur->v[STATS_BYTES_OUT] - prev->v[STATS_BYTES_OUT], interval_ms) / 1e6;

    if (json)
        json_interval(f, active, accepts, in, out, paused);
    else
        fprintf(f, "stats: active=%llu accepts/s=%.1f in=%.3fMB/s out=%.3fMB/s accepting=%s\n",
                (unsigned long long)active, accepts, in, out, paused ? "paused" : "on");
}

/* The report as one JSON object: type, every total, accepting, workers. */
static void json_report(FILE *f, const char *what, const struct stats_counters *total,
                        const struct stats_counters *const blocks[], size_t n, int paused)
{
    struct json j;

    json_init(&j, f, JSON_COMPACT);
    json_object(&j, NULL);
    json_string(&j, "type", what);
    for (int id = 0; id < STATS_COUNT; id++)
        json_uint(&j, stats_names[id], total->v[id]);
    for (int id = 0; id < STATS_PROC_COUNT; id++)
        json_uint(&j, proc_names[id], stats_proc_get(id));
    json_string(&j, "accepting", paused ? "paused" : "on");
    json_array(&j, "workers");
    for (size_t w = 0; w < n; w++) {
        json_object(&j, NULL);
        json_uint(&j, "accepted", stats_get(blocks[w], STATS_ACCEPTED));
        json_uint(&j, "active", stats_get(blocks[w], STATS_ACTIVE));
        json_end_object(&j);
    }
    json_end_array(&j);
    json_end_object(&j);
}

void stats_print_report(FILE *f, const char *what,
                        const struct stats_counters *const blocks[], size_t n,
                        int paused, int json)
{
    struct stats_counters total;

    stats_sum(blocks, n, &total);
    if (json) {
        json_report(f, what, &total, blocks, n, paused);
        return;
    }
    fprintf(f, "%s:", what);
    for (int id = 0; id < STATS_COUNT; id++)
        fprintf(f, " %s=%llu", stats_names[id], (unsigned long long)total.v[id]);
    for (int id = 0; id < STATS_PROC_COUNT; id++)
        fprintf(f, " %s=%llu", proc_names[id], (unsigned long long)stats_proc_get(id));
    fprintf(f, " accepting=%s\n", paused ? "paused" : "on");
    for (size_t w = 0; w < n; w++)
        fprintf(f, "%s: worker %zu accepted=%llu active=%llu\n", what, w,
                (unsigned long long)stats_get(blocks[w], STATS_ACCEPTED),
                (unsigned long long)stats_get(blocks[w], STATS_ACTIVE));
}
