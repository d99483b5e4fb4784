/* bl_main.c - backlog-lab: experiments that show what the kernel does with a
 * listening socket's accept queue and SYN queue, measured with its own
 * instruments.  This file only parses the command line and hands over to
 * the command's module; see bl_options.h for the commands. */
#include <stdio.h>
#include <string.h>

#include "bl_abortov.h"
#include "bl_acceptq.h"
#include "bl_close.h"
#include "bl_env.h"
#include "bl_flood.h"
#include "bl_lifecycle.h"
#include "bl_observe.h"
#include "bl_options.h"
#include "bl_reuseport.h"
#include "bl_synq.h"
#include "bl_synsched.h"
#include "bl_timewait.h"
#include "version.h"

static int run_command(const struct bl_opts *o)
{
    switch (o->cmd) {
    case BL_CMD_ACCEPTQ:
        return o->nabort > 0 ? bl_abortov_main(o) : bl_acceptq_main(o);
    case BL_CMD_SYNQ:
        return bl_synq_main(o);
    case BL_CMD_OBSERVE:
        return bl_observe_main(o);
    case BL_CMD_LIFECYCLE:
        return bl_lifecycle_main(o);
    case BL_CMD_SYNSCHED:
        return bl_synsched_main(o);
    case BL_CMD_REUSEPORT:
        return bl_reuseport_main(o);
    case BL_CMD_TIMEWAIT:
        return bl_timewait_main(o);
    case BL_CMD_CLOSE:
        return bl_close_main(o);
    case BL_CMD_FLOOD:
        return bl_flood_main(o);
    case BL_CMD_NONE:
        break;
    }
    return 2; /* bl_options_parse never leaves cmd NONE without help/version */
}

int main(int argc, char **argv)
{
    struct bl_opts o;
    char err[256];

    if (bl_options_parse(argc, argv, &o, err, sizeof(err)) < 0) {
        fprintf(stderr, "backlog-lab: %s\n", err);
        return 2;
    }
    if (o.help) {
        fputs(bl_options_usage, stdout);
        return 0;
    }
    if (o.version) {
        printf("backlog-lab %s\n", TOOLKIT_VERSION);
        return 0;
    }
    if (bl_env_catch_signals() < 0) {
        perror("backlog-lab: sigaction");
        return 1;
    }
    bl_env_progress_init(o.quiet);
    return run_command(&o);
}
