/* options.c - fuzzes backlog-lab's command line (bl_options_parse).
 *
 * Input: the arguments, separated by NUL bytes (../argv.h).  A refused
 * command line must come with a message.  An accepted one must name a
 * command (unless it asked only for --help or --version) and hold only
 * what an experiment can run: one to BL_MAX_BACKLOGS backlogs of at most
 * BL_MAX_BACKLOG each, client counts up to BL_MAX_CLIENTS (syn-queue's
 * from 1, its default following --backlog), syncookies
 * modes from 0 to 2, durations within a day, for observe an IPv4 or
 * IPv6 target, --plot only for observe, accept-queue (not with
 * --abort-on-overflow) and syn-queue, with a name gnuplot can be given,
 * for time-wait 1 to BL_MAX_TW_PORTS ports and one to BL_MAX_TW_MODES
 * tcp_tw_reuse values from 0 to 2, and for syn-flood a backlog from 1 to
 * 4096, a rate from 1 to 100000 and a flood from 100 ms to 10 minutes (a
 * bounded load).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_options.h"
#include "fuzz/argv.h"

#define NS_PER_MS 1000000ULL
#define DAY_NS (24ULL * 3600 * 1000000000ULL)

static void check_accepted(const struct fuzz_argv *fa, const struct bl_opts *o)
{
    if (o->cmd == BL_CMD_NONE)
        fuzz_argv_die(fa, "no command");
    if (o->nbacklogs < 1 || o->nbacklogs > BL_MAX_BACKLOGS)
        fuzz_argv_die(fa, "--backlog list length");
    for (int i = 0; i < o->nbacklogs; i++)
        if (o->backlogs[i].n > BL_MAX_BACKLOG)
            fuzz_argv_die(fa, "--backlog entry");
    if (o->clients > BL_MAX_CLIENTS ||
        (o->cmd == BL_CMD_SYNQ && (o->syn_clients < 1 || o->syn_clients > BL_MAX_CLIENTS)))
        fuzz_argv_die(fa, "--clients");
    if (o->syn_backlog < 1 || o->syn_backlog > 4096 || o->syn_rate < 1 || o->syn_rate > 100000)
        fuzz_argv_die(fa, "syn-queue --backlog/--rate");
    if (o->ncookie_modes < 1 || o->ncookie_modes > BL_MAX_COOKIE_MODES)
        fuzz_argv_die(fa, "--syncookies list length");
    for (int i = 0; i < o->ncookie_modes; i++)
        if (o->cookie_modes[i] < 0 || o->cookie_modes[i] > 2)
            fuzz_argv_die(fa, "--syncookies entry");
    if (o->settle_ns > DAY_NS || o->window_ns > DAY_NS || o->watch_ns < 1 ||
        o->watch_ns > DAY_NS || o->interval_ns < NS_PER_MS || o->interval_ns > DAY_NS ||
        o->duration_ns > DAY_NS)
        fuzz_argv_die(fa, "a duration");
    if (o->tw_ports < 1 || o->tw_ports > BL_MAX_TW_PORTS)
        fuzz_argv_die(fa, "time-wait --ports");
    if (o->ntw_reuse < 1 || o->ntw_reuse > BL_MAX_TW_MODES)
        fuzz_argv_die(fa, "--tw-reuse list length");
    for (int i = 0; i < o->ntw_reuse; i++)
        if (o->tw_reuse[i] < 0 || o->tw_reuse[i] > 2)
            fuzz_argv_die(fa, "--tw-reuse entry");
    if (o->cmd == BL_CMD_FLOOD &&
        (o->flood_backlog < 1 || o->flood_backlog > 4096 || o->flood_rate < 1 ||
         o->flood_rate > 100000 || o->flood_ns < 100 * NS_PER_MS ||
         o->flood_ns > 600 * 1000 * NS_PER_MS))
        fuzz_argv_die(fa, "syn-flood --backlog/--rate/--duration");
    if (o->cmd == BL_CMD_OBSERVE &&
        !(o->target.ss_family == AF_INET && o->target_len == sizeof(struct sockaddr_in)) &&
        !(o->target.ss_family == AF_INET6 && o->target_len == sizeof(struct sockaddr_in6)))
        fuzz_argv_die(fa, "observe target");
    if (o->plot != NULL &&
        ((o->cmd != BL_CMD_OBSERVE && o->cmd != BL_CMD_ACCEPTQ && o->cmd != BL_CMD_SYNQ &&
          o->cmd != BL_CMD_FLOOD) ||
         (o->cmd == BL_CMD_ACCEPTQ && o->nabort > 0) || o->plot[0] == '\0' ||
         strpbrk(o->plot, "'\n") != NULL))
        fuzz_argv_die(fa, "--plot");
}

/* Parses one command line and checks what came of it. */
static void check_one(const struct fuzz_argv *fa)
{
    struct bl_opts o;
    char err[256];

    memset(err, 'x', sizeof(err));
    if (bl_options_parse(fa->argc, fa->argv, &o, err, sizeof(err)) != 0)
        fuzz_check_message(err, sizeof(err), "");
    else if (!o.help && !o.version)
        check_accepted(fa, &o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_argv_run(data, size, "backlog-lab", check_one);
}
