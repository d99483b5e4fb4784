/* os.h - the small jobs every program does with the operating system:
 * closing a descriptor, raising the open-file limit, counting open
 * descriptors, reading a /proc/sys value.  One way each, so the three programs agree on errno and EINTR.
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure, as libuv does; none prints.
 */
#ifndef OS_H
#define OS_H

#include <stdint.h>

/* Closes fd and leaves errno as the caller had it.  Linux releases the
 * descriptor even when close(2) fails with EINTR, so EINTR counts as done
 * (retrying could close a descriptor another thread just opened).  Returns
 * 0, or -errno for any other failure (EBADF, EIO: data may be lost). */
int os_close(int fd);

/* Closes *fd when it is open (>= 0) and sets it to -1, so that a second
 * call, or one for a slot never opened, does nothing.  For descriptors
 * with nothing left to flush (sockets whose work is over, /dev/null, /proc
 * files, namespace handles): close(2)'s result tells nothing then, and is
 * not returned. */
void os_close_slot(int *fd);

/* Raises the soft RLIMIT_NOFILE to the hard limit.  *soft and *hard (each
 * may be NULL) get the limits in force afterwards, also on failure when
 * they could be read.  Returns 0 or -errno of getrlimit/setrlimit. */
int os_raise_nofile(uint64_t *soft, uint64_t *hard);

/* The number of descriptors the process has open now (from
 * /proc/self/fd, not counting the one that reads it).  Returns it, or
 * -errno of opendir when /proc is not mounted. */
int os_count_fds(void);

/* Reads up to max whitespace-separated whole numbers from a /proc/sys file
 * such as "/proc/sys/net/ipv4/ip_local_port_range" (the calling thread's
 * network namespace) into v.  Returns how many were read (at least 1), or
 * -errno: that of open/read, or -EINVAL when the file holds anything but
 * numbers or a number overflows a long.  Only the first 255 bytes are
 * read: enough for every sysctl the toolkit reads. */
int os_read_sysctl(const char *path, long *v, int max);

#endif
