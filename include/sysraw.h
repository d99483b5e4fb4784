/* sysraw.h - the system calls on the hot paths, made directly: echod's
 * workers and tcpload's threads both use it, hence its place in include/.
 *
 * glibc's recv, recvmsg, send, readv, sendmsg, accept4, close and epoll_wait are
 * pthread cancellation points: in a process with more than one thread each
 * call switches asynchronous cancellation on and off around the syscall,
 * two extra function calls per call, which on a per-message path weighs as
 * much as the program's own work for the message.  Neither echod nor
 * tcpload ever cancels a thread, so they enter the kernel themselves: one
 * inline `syscall` (x86-64) or `svc 0` (arm64) instruction, or syscall(2)
 * on any other architecture.  Each function returns what the syscall
 * returns and sets errno exactly like the libc wrapper.
 */
#ifndef SYSRAW_H
#define SYSRAW_H

#include <errno.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#if defined(__x86_64__)
static inline long sysraw_enter(long nr, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;

    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
static inline long sysraw_enter(long nr, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;

    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory", "cc");
    return x0;
}
#endif

/* Enters the kernel with syscall nr; returns its result, or -1 with errno
 * set when the kernel returned -errno. */
static inline long sysraw(long nr, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__) || defined(__aarch64__)
    long r = sysraw_enter(nr, a, b, c, d, e, f);
    if ((unsigned long)r > -4096UL) {
        errno = (int)-r;
        return -1;
    }
    return r;
#else
    return syscall(nr, a, b, c, d, e, f);
#endif
}

static inline ssize_t sysraw_recv(int fd, void *buf, size_t len)
{
    return sysraw(SYS_recvfrom, fd, (long)buf, (long)len, 0, 0, 0);
}

static inline ssize_t sysraw_recvmsg(int fd, struct msghdr *msg)
{
    return sysraw(SYS_recvmsg, fd, (long)msg, 0, 0, 0, 0);
}

static inline ssize_t sysraw_readv(int fd, const struct iovec *iov, int iovcnt)
{
    return sysraw(SYS_readv, fd, (long)iov, iovcnt, 0, 0, 0);
}

/* send(2) with MSG_NOSIGNAL: a vanished peer is EPIPE, never SIGPIPE. */
static inline ssize_t sysraw_send(int fd, const void *buf, size_t len)
{
    return sysraw(SYS_sendto, fd, (long)buf, (long)len, MSG_NOSIGNAL, 0, 0);
}

static inline ssize_t sysraw_sendmsg(int fd, const struct msghdr *msg)
{
    return sysraw(SYS_sendmsg, fd, (long)msg, MSG_NOSIGNAL, 0, 0, 0);
}

static inline int sysraw_accept4(int fd, int flags)
{
    return (int)sysraw(SYS_accept4, fd, 0, 0, flags, 0, 0);
}

static inline int sysraw_close(int fd)
{
    return (int)sysraw(SYS_close, fd, 0, 0, 0, 0, 0);
}

/* epoll_wait; where the architecture lacks it (arm64), epoll_pwait with
 * no signal mask, which is the same call. */
static inline int sysraw_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
#ifdef SYS_epoll_wait
    return (int)sysraw(SYS_epoll_wait, epfd, (long)events, max, timeout, 0, 0);
#else
    return (int)sysraw(SYS_epoll_pwait, epfd, (long)events, max, timeout, 0, 8);
#endif
}

#endif
