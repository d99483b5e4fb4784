/* tl_sys.h - the facts about the machine that make a tcpload figure
 * credible.
 *
 * --json reports the kernel release, the sysctls that bound a loopback
 * benchmark (ip_local_port_range, tcp_tw_reuse, somaxconn) and the
 * open-file limit, which tcpload raises to the hard limit (os_raise_nofile,
 * which also fills nofile and nofile_hard) before it opens any connection.
 */
#ifndef TL_SYS_H
#define TL_SYS_H

#include <stdint.h>

struct tl_sys {
    char kernel[128];        /* uname release */
    uint32_t port_lo;        /* net.ipv4.ip_local_port_range */
    uint32_t port_hi;
    int tw_reuse;            /* net.ipv4.tcp_tw_reuse; -1 when unreadable */
    int somaxconn;           /* net.core.somaxconn; -1 when unreadable */
    uint64_t nofile;         /* open-file limit (soft, after raising) */
    uint64_t nofile_hard;
};

/* Reads the kernel release and the sysctls; what cannot be read is left
 * 0 / -1 / "".  The limits are left 0 for os_raise_nofile to fill. */
void tl_sys_read(struct tl_sys *s);

/* Ephemeral ports per source address and destination (0 when unknown). */
static inline uint32_t tl_sys_ports(const struct tl_sys *s)
{
    return s->port_hi >= s->port_lo && s->port_lo > 0 ? s->port_hi - s->port_lo + 1 : 0;
}

#endif
