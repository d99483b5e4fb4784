/* netns_check.h - what a test of a namespace experiment needs first: root
 * (or the test is skipped, naming what), then `ip` and `nft`, installed by
 * install-tools.sh when missing. */
#ifndef NETNS_CHECK_H
#define NETNS_CHECK_H

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

#endif
