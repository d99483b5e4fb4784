/* netns_check.h - what the tests of the namespace experiments share: root
 * (or the test is skipped, naming what) with `ip` and `nft`, installed by
 * install-tools.sh when missing; and a run interrupted with SIGINT, which
 * must exit 130 saying so. */
#ifndef NETNS_CHECK_H
#define NETNS_CHECK_H

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bl_netns.h"
#include "support.h"

static inline void need_root_and_tools(const char *what)
{
    struct bl_netns ns;
    char msg[512];

    if (geteuid() != 0)
        cr_skip("%s skipped: needs root", what);
    if (bl_netns_check(&ns, msg, sizeof(msg)) < 0) {
        char *argv[] = { "/bin/sh", "tests/backlog-lab/install-tools.sh", NULL };
        cr_assert_eq(sup_run("/bin/sh", argv, 300000, NULL, NULL), 0, "install failed");
    }
}

/* Runs bin/backlog-lab with args (NULL-terminated, at most 8), sends it
 * SIGINT after after_ms and expects exit status 130 and `says` on stderr. */
static inline void expect_interrupted(const char *const args[], int after_ms,
                                      const char *says)
{
    struct sup_proc p;
    char *path = sup_bin("backlog-lab");
    char *argv[10] = { path };

    for (int i = 0; args[i] != NULL && i < 8; i++)
        argv[i + 1] = (char *)args[i];
    cr_assert_eq(sup_spawn(&p, path, argv), 0);
    usleep((useconds_t)after_ms * 1000);
    int st = sup_stop(&p, SIGINT, 10000);
    sup_drain(&p);
    cr_assert(WIFEXITED(st), "did not exit on SIGINT (status %d)", st);
    cr_assert_eq(WEXITSTATUS(st), 130, "stderr: %s", p.err);
    cr_assert(strstr(p.err, says) != NULL, "%s", p.err);
    sup_free(&p);
    free(path);
}

#endif
