/* os.c - closing descriptors, the open-file limit, counting descriptors
 * and /proc/sys values (see os.h). */
#include "os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

int os_close(int fd)
{
    int saved = errno, rc = 0;

    if (close(fd) < 0 && errno != EINTR)
        rc = -errno;
    errno = saved;
    return rc;
}

void os_close_slot(int *fd)
{
    if (*fd >= 0)
        os_close(*fd); /* nothing to flush: see os.h */
    *fd = -1;
}

int os_raise_nofile(uint64_t *soft, uint64_t *hard)
{
    struct rlimit rl;
    int rc = 0;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -errno;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t was = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
            rc = -errno;
            rl.rlim_cur = was;
        }
    }
    if (soft != NULL)
        *soft = rl.rlim_cur;
    if (hard != NULL)
        *hard = rl.rlim_max;
    return rc;
}

int os_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -errno;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d); /* a directory stream: nothing to lose */
    return n - 1; /* the stream's own descriptor */
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

int os_read_sysctl(const char *path, long *v, int max)
{
    char buf[256], *p = buf, *end;
    int fd = open(path, O_RDONLY | O_CLOEXEC), n = 0;
    ssize_t len;

    if (fd < 0)
        return -errno;
    len = read(fd, buf, sizeof(buf) - 1);
    int err = errno;
    os_close(fd); /* read-only: nothing is lost when close fails */
    if (len < 0)
        return -err;
    buf[len] = '\0';
    while (n < max) {
        while (is_blank(*p))
            p++;
        if (*p == '\0')
            break;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (errno != 0 || end == p || (*end != '\0' && !is_blank(*end)))
            return -EINVAL; /* not a whole number: "12abc" too */
        v[n++] = x;
        p = end;
    }
    return n == 0 ? -EINVAL : n;
}
