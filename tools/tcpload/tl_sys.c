/* tl_sys.c - machine facts for the report (see tl_sys.h). */
#include "tl_sys.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "os.h"

void tl_sys_read(struct tl_sys *s)
{
    struct utsname u;
    long v[2];

    memset(s, 0, sizeof(*s));
    if (uname(&u) == 0)
        snprintf(s->kernel, sizeof(s->kernel), "%s", u.release);
    if (os_read_sysctl("/proc/sys/net/ipv4/ip_local_port_range", v, 2) == 2 &&
        v[0] > 0 && v[1] >= v[0] && v[1] < 65536) {
        s->port_lo = (uint32_t)v[0];
        s->port_hi = (uint32_t)v[1];
    }
    s->tw_reuse = os_read_sysctl("/proc/sys/net/ipv4/tcp_tw_reuse", v, 1) == 1 ? (int)v[0] : -1;
    s->somaxconn = os_read_sysctl("/proc/sys/net/core/somaxconn", v, 1) == 1 ? (int)v[0] : -1;
}
