/* options.c - fuzzes echod's command line (options_parse).
 *
 * Input: the arguments, separated by NUL bytes (../argv.h).  A command
 * line that is refused must come with a message.  One that is accepted is
 * walked again with the shared driver over the same option table, and
 * every value echod keeps is checked against what the strict parsers make
 * of the last spelling given: the address, the worker count, the buffer
 * size (a power of two from 64 to 1 GiB) and each duration in milliseconds
 * (rounded up, never wrapped to 0, the idle timeout below 2^31 ms), and
 * --splice set exactly when given.  Host names go to the stand-in
 * resolver (../resolve.c), never to DNS.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "fuzz/argv.h"
#include "options.h"
#include "parse.h"

#define MAX_ROWS 64

/* The value last given for the option called name, or NULL; *given is
 * set to 1 when the option appears at all (a flag has no value). */
static const char *scan(const struct fuzz_argv *fa, const char *name, int *given)
{
    struct args_opt rows[MAX_ROWS];
    const struct args_opt *row;
    const char *v = NULL;
    size_t n = 0;
    struct args a;
    enum args_kind kind;

    while ((row = options_flag(n)) != NULL && n < MAX_ROWS)
        rows[n++] = *row;
    args_init(&a, fa->argc, fa->argv, rows, n, sizeof(rows[0]), 0);
    *given = 0;
    while ((kind = args_next(&a)) != ARGS_END)
        if (kind == ARGS_OPTION && strcmp(a.opt->name, name) == 0)
            v = a.value, *given = 1;
    return v;
}

static const char *last_value(const struct fuzz_argv *fa, const char *name)
{
    int given;

    return scan(fa, name, &given);
}

/* A duration option kept in milliseconds: what the strict parser makes
 * of the value given (rounded up, never wrapped). */
static void check_ms(const struct fuzz_argv *fa, const char *name, uint64_t ms)
{
    const char *v = last_value(fa, name);
    uint64_t want;

    if (v != NULL && (parse_duration_ms(v, UINT64_MAX, &want) != 0 || ms != want))
        fuzz_argv_die(fa, name);
}

static void check_accepted(const struct fuzz_argv *fa, const struct options *o)
{
    const char *v;
    uint64_t n;

    if ((v = last_value(fa, "--listen")) != NULL) {
        struct sockaddr_storage ss;
        socklen_t len;
        if (parse_resolve(v, &ss, &len) != 0 || len != o->addr_len ||
            memcmp(&ss, &o->addr, len) != 0)
            fuzz_argv_die(fa, "--listen");
    }
    if ((v = last_value(fa, "--workers")) != NULL &&
        (parse_count(v, 1, OPTIONS_MAX_WORKERS, &n) != 0 || n != o->workers))
        fuzz_argv_die(fa, "--workers");
    if (o->workers < 1 || o->workers > OPTIONS_MAX_WORKERS)
        fuzz_argv_die(fa, "worker count out of range");
    if (o->buffer_size < 64 || o->buffer_size > (1u << 30) ||
        (o->buffer_size & (o->buffer_size - 1)) != 0)
        fuzz_argv_die(fa, "--buffer-size");
    if (o->banner_len > OPTIONS_BANNER_MAX ||
        (o->mode == OPTIONS_MODE_HELLO && o->banner_len > o->buffer_size))
        fuzz_argv_die(fa, "--banner");
    if (o->mode != OPTIONS_MODE_ECHO && o->mode != OPTIONS_MODE_DISCARD &&
        o->mode != OPTIONS_MODE_HELLO)
        fuzz_argv_die(fa, "--mode");
    if (o->backlog < 0)
        fuzz_argv_die(fa, "--backlog");
    int splice;
    scan(fa, "--splice", &splice);
    if (o->splice != splice)
        fuzz_argv_die(fa, "--splice");
    check_ms(fa, "--grace", o->grace_ms);
    check_ms(fa, "--idle-timeout", o->idle_timeout_ms);
    check_ms(fa, "--stats-interval", o->stats_interval_ms);
    if (o->idle_timeout_ms > INT32_MAX)
        fuzz_argv_die(fa, "--idle-timeout past 2^31 ms");
}

/* Parses one command line and checks what came of it. */
static void check_one(const struct fuzz_argv *fa)
{
    struct options o;
    char err[256];

    memset(err, 'x', sizeof(err));
    if (options_parse(&o, fa->argc, fa->argv, err, sizeof(err)) != 0)
        fuzz_check_message(err, sizeof(err), "");
    else if (!o.help && !o.version)
        check_accepted(fa, &o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_argv_run(data, size, "echod", check_one);
}
