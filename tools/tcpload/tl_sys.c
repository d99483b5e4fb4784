/* tl_sys.c - machine facts for the report, and the open-file limit (see
 * tl_sys.h). */
#include "tl_sys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>

int tl_sys_raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -errno;
    if (rl.rlim_cur == rl.rlim_max)
        return 0;
    rl.rlim_cur = rl.rlim_max;
    return setrlimit(RLIMIT_NOFILE, &rl) < 0 ? -errno : 0;
}

/* Reads up to two integers from a /proc/sys file; returns how many. */
static int read_ints(const char *path, long *a, long *b)
{
    FILE *f = fopen(path, "r");
    int n;

    if (f == NULL)
        return 0;
    n = fscanf(f, "%ld %ld", a, b);
    fclose(f);
    return n < 0 ? 0 : n;
}

void tl_sys_read(struct tl_sys *s)
{
    struct utsname u;
    struct rlimit rl;
    long a = -1, b = -1;

    memset(s, 0, sizeof(*s));
    if (uname(&u) == 0)
        snprintf(s->kernel, sizeof(s->kernel), "%s", u.release);
    if (read_ints("/proc/sys/net/ipv4/ip_local_port_range", &a, &b) == 2 &&
        a > 0 && b >= a && b < 65536) {
        s->port_lo = (uint32_t)a;
        s->port_hi = (uint32_t)b;
    }
    s->tw_reuse = read_ints("/proc/sys/net/ipv4/tcp_tw_reuse", &a, &b) >= 1 ? (int)a : -1;
    s->somaxconn = read_ints("/proc/sys/net/core/somaxconn", &a, &b) >= 1 ? (int)a : -1;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        s->nofile = rl.rlim_cur;
        s->nofile_hard = rl.rlim_max;
    }
}
