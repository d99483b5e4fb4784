/* test_os.c - closing a descriptor, raising the open-file limit and
 * reading /proc/sys values (os.h).  Limits are changed only in a forked
 * child, so no other test sees them; sysctls are read from the real
 * /proc/sys and from temporary files holding what a parser must refuse. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os.h"

Test(os, close_keeps_errno)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    cr_assert_geq(fd, 0);
    errno = ERANGE;
    cr_assert_eq(os_close(fd), 0);
    cr_assert_eq(errno, ERANGE, "errno changed on success");
}

Test(os, close_reports_ebadf_and_keeps_errno)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    cr_assert_geq(fd, 0);
    cr_assert_eq(close(fd), 0);
    errno = ERANGE;
    cr_assert_eq(os_close(fd), -EBADF, "closed twice");
    cr_assert_eq(errno, ERANGE, "errno changed on failure");
    cr_assert_eq(os_close(-1), -EBADF);
}

Test(os, close_slot_closes_once_and_marks_the_slot)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), copy = fd;

    cr_assert_geq(fd, 0);
    errno = ERANGE;
    os_close_slot(&fd);
    cr_assert_eq(fd, -1);
    cr_assert_eq(errno, ERANGE, "errno changed");
    cr_assert_eq(fcntl(copy, F_GETFD), -1, "the descriptor is still open");
    os_close_slot(&fd); /* a second call, and a slot never opened, do nothing */
    cr_assert_eq(fd, -1);
}

/* Runs fn in a forked child, whose limits die with it; returns its exit
 * status: 0 when every check passed, else the number of the first that
 * failed. */
static int in_child(int (*fn)(void))
{
    int st;
    pid_t pid = fork();

    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0)
        _exit(fn());
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "child status %d", st);
    return WEXITSTATUS(st);
}

/* The soft limit lowered to 32 under an unchanged hard limit is raised to
 * it again, and both are reported. */
static int raise_lowered_soft(void)
{
    struct rlimit rl, low, now;
    uint64_t soft = 0, hard = 0;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max <= 32)
        return 1;
    low = (struct rlimit){ 32, rl.rlim_max };
    if (setrlimit(RLIMIT_NOFILE, &low) < 0)
        return 2;
    if (os_raise_nofile(&soft, &hard) != 0)
        return 3;
    if (getrlimit(RLIMIT_NOFILE, &now) < 0 || now.rlim_cur != rl.rlim_max)
        return 4;
    if (soft != rl.rlim_max || hard != rl.rlim_max)
        return 5;
    return 0;
}

/* Soft already at a (lowered) hard limit: nothing to raise, the limits are
 * still reported, and either pointer may be NULL. */
static int nothing_to_raise(void)
{
    struct rlimit tight = { 40, 40 };
    uint64_t soft = 0, hard = 0;

    if (setrlimit(RLIMIT_NOFILE, &tight) < 0)
        return 1;
    if (os_raise_nofile(&soft, &hard) != 0 || soft != 40 || hard != 40)
        return 2;
    soft = 0;
    if (os_raise_nofile(&soft, NULL) != 0 || soft != 40)
        return 3;
    if (os_raise_nofile(NULL, NULL) != 0)
        return 4;
    return 0;
}

Test(os, raise_nofile_lifts_a_lowered_soft_limit)
{
    int failed = in_child(raise_lowered_soft);
    cr_assert_eq(failed, 0, "check %d failed", failed);
}

Test(os, raise_nofile_reports_limits_when_nothing_to_raise)
{
    int failed = in_child(nothing_to_raise);
    cr_assert_eq(failed, 0, "check %d failed", failed);
}

Test(os, read_sysctl_real_files)
{
    long v[4];

    cr_assert_eq(os_read_sysctl("/proc/sys/net/core/somaxconn", v, 4), 1);
    cr_assert_gt(v[0], 0);
    cr_assert_eq(os_read_sysctl("/proc/sys/net/ipv4/ip_local_port_range", v, 4), 2);
    cr_assert(v[0] > 0 && v[0] <= v[1] && v[1] < 65536, "%ld %ld", v[0], v[1]);
    cr_assert_eq(os_read_sysctl("/proc/sys/net/ipv4/ip_local_port_range", v, 1), 1,
                 "max caps the count");
    cr_assert_eq(os_read_sysctl("/proc/sys/net/ipv4/tcp_rmem", v, 4), 3);
    cr_assert(v[0] <= v[1] && v[1] <= v[2], "%ld %ld %ld", v[0], v[1], v[2]);
    cr_assert_eq(os_read_sysctl("/proc/sys/net/core/no_such_sysctl", v, 1), -ENOENT);
}

/* os_read_sysctl on a temporary file holding text. */
static int read_text(const char *text, long *v, int max)
{
    char path[] = "/tmp/test_os.XXXXXX";
    int fd = mkstemp(path);

    cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    cr_assert_eq(close(fd), 0);
    int rc = os_read_sysctl(path, v, max);
    cr_assert_eq(unlink(path), 0);
    return rc;
}

Test(os, read_sysctl_numbers)
{
    long v[8];

    cr_assert_eq(read_text("4096\n", v, 8), 1);
    cr_assert_eq(v[0], 4096);
    cr_assert_eq(read_text("  1\t-2\n3 \n", v, 8), 3, "several, any blank between");
    cr_assert(v[0] == 1 && v[1] == -2 && v[2] == 3, "%ld %ld %ld", v[0], v[1], v[2]);
    cr_assert_eq(read_text("5 6 7", v, 2), 2, "at most max");
    cr_assert(v[0] == 5 && v[1] == 6);
}

Test(os, read_sysctl_refuses_junk_and_empty)
{
    const char *bad[] = { "", "\n", "abc\n", "12abc\n", "1 2 x\n", "0x10\n",
                          "99999999999999999999999\n" };
    long v[4];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(read_text(bad[i], v, 4), -EINVAL, "accepted '%s'", bad[i]);
}

Test(os, read_sysctl_refuses_a_number_with_junk_glued_on_even_at_max)
{
    long v[1];

    cr_assert_eq(read_text("12abc\n", v, 1), -EINVAL);
}

Test(os, count_fds_follows_opens_and_closes)
{
    int before = os_count_fds(), fds[3];

    cr_assert_geq(before, 0);
    for (int i = 0; i < 3; i++)
        cr_assert_geq(fds[i] = dup(0), 0);
    cr_assert_eq(os_count_fds(), before + 3);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    cr_assert_eq(os_count_fds(), before);
}
