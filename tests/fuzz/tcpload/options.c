/* options.c - fuzzes tcpload's command line (tl_opts_parse).
 *
 * Input: the arguments, separated by NUL bytes (../argv.h).  A refused
 * command line must come with a message starting "tcpload: ".  An
 * accepted one must hold only what tcpload can run: every number within
 * its option's range, a target with a nonzero port that is one of the
 * arguments, no more threads than connections, a source range of the
 * target's family only, and the mode's own rules; or, for `tcpload
 * merge`, one to TL_MERGE_MAX files, each one of the arguments.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/argv.h"
#include "tl_opts.h"

#define NS_PER_MS 1000000ULL
#define HOUR_NS (3600ULL * 1000000000ULL)

static int in(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v >= lo && v <= hi;
}

static int port_of(const struct tl_opts *o)
{
    if (o->addr.ss_family == AF_INET && o->addr_len == sizeof(struct sockaddr_in))
        return ntohs(((const struct sockaddr_in *)&o->addr)->sin_port);
    if (o->addr.ss_family == AF_INET6 && o->addr_len == sizeof(struct sockaddr_in6))
        return ntohs(((const struct sockaddr_in6 *)&o->addr)->sin6_port);
    return -1;
}

static int is_argument(const struct fuzz_argv *fa, const char *s)
{
    for (int i = 1; i < fa->argc; i++)
        if (fa->argv[i] == s)
            return 1;
    return 0;
}

/* `tcpload merge FILE...`: one to TL_MERGE_MAX files, each an argument. */
static void check_merge(const struct fuzz_argv *fa, const struct tl_opts *o)
{
    if (o->nfiles < 1 || o->nfiles > TL_MERGE_MAX)
        fuzz_argv_die(fa, "merge file count");
    for (uint32_t i = 0; i < o->nfiles; i++)
        if (!is_argument(fa, o->files[i]))
            fuzz_argv_die(fa, "merge file");
}

static void check_run(const struct fuzz_argv *fa, const struct tl_opts *o)
{
    if (o->merge) {
        check_merge(fa, o);
        return;
    }
    if (o->mode != TL_MODE_ECHO && o->mode != TL_MODE_CONNECT && o->mode != TL_MODE_HOLD &&
        o->mode != TL_MODE_STREAM)
        fuzz_argv_die(fa, "mode");
    if (o->target == NULL || !is_argument(fa, o->target) || port_of(o) <= 0)
        fuzz_argv_die(fa, "target");
    if (!in(o->conns, 1, 1000000) || !in(o->threads, 1, 256) || o->threads > o->conns)
        fuzz_argv_die(fa, "-c/-t");
    if (!in(o->duration_ns, NS_PER_MS, 168 * HOUR_NS) || o->warmup_ns > 168 * HOUR_NS ||
        !in(o->timeout_ns, NS_PER_MS, HOUR_NS))
        fuzz_argv_die(fa, "-d/--warmup/--timeout");
    if (!in(o->size, 1, 64 << 20) || !in(o->pipeline, 1, 4096) ||
        o->send > 64 << 20 || o->expect > 64 << 20 || o->rate > 1000000000)
        fuzz_argv_die(fa, "-s/--pipeline/--send/--expect/-R");
    if (o->pipeline > 1 && o->rate != 0)
        fuzz_argv_die(fa, "--pipeline with --rate");
    if (o->source.count > 0 &&
        (o->source.family != o->addr.ss_family ||
         o->source.first + (uint64_t)o->source.count - 1 > UINT32_MAX))
        fuzz_argv_die(fa, "--source");
    if ((o->interval_ns != 0 && !in(o->interval_ns, 100 * NS_PER_MS, HOUR_NS)) ||
        o->slack_ns > 1000 * NS_PER_MS)
        fuzz_argv_die(fa, "--interval/--slack");
    if (o->mode == TL_MODE_HOLD && o->warmup_ns != 0)
        fuzz_argv_die(fa, "warmup in hold mode");
    if (o->histogram != NULL && o->histogram[0] == '\0')
        fuzz_argv_die(fa, "--histogram");
}

/* Parses one command line and checks what came of it. */
static void check_one(const struct fuzz_argv *fa)
{
    struct tl_opts o;
    char err[256];

    memset(err, 'x', sizeof(err));
    switch (tl_opts_parse(&o, fa->argc, (char **)fa->argv, err, sizeof(err))) {
    case TL_OPTS_ERROR:
        fuzz_check_message(err, sizeof(err), "tcpload: ");
        break;
    case TL_OPTS_RUN:
        check_run(fa, &o);
        break;
    case TL_OPTS_HELP:
    case TL_OPTS_VERSION:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_argv_run(data, size, "tcpload", check_one);
}
