/* bl_netstat.h - the kernel's own TCP counters, read from /proc/net/netstat
 * (TcpExt, IpExt, ...) and /proc/net/snmp (Tcp, Ip, ...).
 *
 * Both files hold pairs of lines: "Group: Name1 Name2 ..." followed by
 * "Group: value1 value2 ...".  A snapshot keeps every (group, name, value)
 * triple so that a caller can ask for any counter by name and take the
 * difference between two snapshots.  The counters belong to the network
 * namespace of whoever opened the file: a file opened inside a namespace
 * keeps reporting that namespace's counters.
 *
 * Functions return 0 on success and -1 with errno set on failure.
 */
#ifndef BL_NETSTAT_H
#define BL_NETSTAT_H

#include <stddef.h>
#include <stdint.h>

#define BL_NETSTAT_MAX_COUNTERS 640
#define BL_NETSTAT_GROUP_LEN 16
#define BL_NETSTAT_NAME_LEN 48

struct bl_netstat_counter {
    char group[BL_NETSTAT_GROUP_LEN]; /* "TcpExt", "Tcp", ... */
    char name[BL_NETSTAT_NAME_LEN];   /* "ListenOverflows", ... */
    int64_t value;                 /* signed: Tcp MaxConn is -1 */
};

struct bl_netstat_snap {
    size_t n;
    struct bl_netstat_counter c[BL_NETSTAT_MAX_COUNTERS];
};

/* Empties a snapshot. */
void bl_netstat_clear(struct bl_netstat_snap *s);

/* Parses text in the /proc/net/netstat or /proc/net/snmp format and
 * appends its counters to s.  Fails with EINVAL when a value line does not
 * match its header line (other group, other number of fields, a value that
 * is not a number) and with ENOSPC when s is full. */
int bl_netstat_parse(const char *text, struct bl_netstat_snap *s);

/* Reads the whole of an open /proc file from its start (it can be read
 * again and again) and appends its counters to s. */
int bl_netstat_read_fd(int fd, struct bl_netstat_snap *s);

/* The two files, as a failure message names them. */
#define BL_NETSTAT_FILES "/proc/net/netstat and /proc/net/snmp"

/* Opens /proc/net/netstat and /proc/net/snmp of the calling thread's
 * network namespace; *netstat_fd and *snmp_fd (both -1 on failure) are
 * closed with bl_netstat_close. */
int bl_netstat_open(int *netstat_fd, int *snmp_fd);
void bl_netstat_close(int netstat_fd, int snmp_fd);

/* Clears s and fills it from both open files. */
int bl_netstat_read(int netstat_fd, int snmp_fd, struct bl_netstat_snap *s);

struct bl_err;

/* What accept-queue, syn-queue and observe do first: bl_netstat_open,
 * then the snapshot `before` that their deltas start from.  On failure
 * returns -1 with the failing step ("opening ..." or "reading ...")
 * recorded in e.  After a failed open both descriptors are -1; after a
 * failed read both are open, for bl_netstat_close. */
int bl_netstat_begin(int *netstat_fd, int *snmp_fd, struct bl_netstat_snap *before,
                     struct bl_err *e);

/* The value of group/name in s; fails with ENOENT when it is absent (an
 * older kernel may lack a counter). */
int bl_netstat_get(const struct bl_netstat_snap *s, const char *group,
                   const char *name, int64_t *out);

/* after - before for group/name; fails with ENOENT when either lacks it. */
int bl_netstat_delta(const struct bl_netstat_snap *before,
                     const struct bl_netstat_snap *after, const char *group,
                     const char *name, int64_t *out);

/* The TcpExt counters that concern listen queues, in the order the lab
 * prints them; NULL-terminated after BL_NETSTAT_NLISTEN names. */
#define BL_NETSTAT_NLISTEN 8
extern const char *const bl_netstat_listen_counters[];

/* after - before for each of bl_netstat_listen_counters, into out[]; -1 for
 * a counter that either snapshot lacks. */
void bl_netstat_listen_deltas(const struct bl_netstat_snap *before,
                              const struct bl_netstat_snap *after,
                              int64_t out[BL_NETSTAT_NLISTEN]);

#endif
