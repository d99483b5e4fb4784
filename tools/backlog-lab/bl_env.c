/* bl_env.c - interrupt flag, progress line and writing sysctls, shared by
 * the backlog-lab experiments (see bl_env.h). */
#include "bl_env.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "os.h"

volatile sig_atomic_t bl_env_interrupted;

static const int interrupt_sigs[] = { SIGINT, SIGTERM, SIGHUP };

static struct {
    bool quiet;
    bool tty;
    bool open_line;      /* a terminal line is waiting to be rewritten */
    uint64_t last_ns;    /* when the last non-terminal line was printed */
} progress;

static void on_signal(int sig)
{
    (void)sig;
    bl_env_interrupted = 1;
}

int bl_env_catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(interrupt_sigs) / sizeof(interrupt_sigs[0]); i++)
        if (sigaction(interrupt_sigs[i], &sa, NULL) < 0)
            return -1;
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

void bl_env_progress_init(bool quiet)
{
    progress.quiet = quiet;
    progress.tty = isatty(STDERR_FILENO) == 1;
    progress.open_line = false;
    progress.last_ns = 0;
}

static void vprogress(bool force, const char *fmt, va_list ap)
{
    uint64_t now = clock_now_ns();

    if (progress.quiet)
        return;
    if (!progress.tty && !force && now - progress.last_ns < CLOCK_NS_PER_SEC)
        return;
    progress.last_ns = now;
    if (progress.tty)
        fputs("\r\033[K", stderr);
    vfprintf(stderr, fmt, ap);
    if (progress.tty)
        progress.open_line = true;
    else
        fputc('\n', stderr);
    fflush(stderr);
}

void bl_env_progress(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprogress(false, fmt, ap);
    va_end(ap);
}

void bl_env_progress_now(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprogress(true, fmt, ap);
    va_end(ap);
}

void bl_env_progress_end(void)
{
    if (progress.tty && progress.open_line) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    progress.open_line = false;
}

int bl_env_write_sysctl(const char *path, long value)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%ld\n", value);
    return bl_env_write_sysctl_text(path, buf);
}

int bl_env_write_sysctl_text(const char *path, const char *text)
{
    ssize_t len = (ssize_t)strlen(text);
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, (size_t)len);
    int err = n < 0 ? errno : EIO;
    int closed = os_close(fd); /* a write error may only show here */
    if (n != len) {
        errno = err;
        return -1;
    }
    if (closed < 0) {
        errno = -closed;
        return -1;
    }
    return 0;
}

/* The interrupting signals are blocked while the flag is checked and
 * unblocked only inside ppoll, atomically: a signal that lands just before
 * the sleep (after the caller's own check) is delivered in ppoll and ends
 * it, instead of being slept through. */
void bl_env_sleep_ns(uint64_t ns)
{
    struct timespec ts = {
        .tv_sec = (time_t)(ns / CLOCK_NS_PER_SEC),
        .tv_nsec = (long)(ns % CLOCK_NS_PER_SEC),
    };
    sigset_t block, old;

    sigemptyset(&block);
    for (size_t i = 0; i < sizeof(interrupt_sigs) / sizeof(interrupt_sigs[0]); i++)
        sigaddset(&block, interrupt_sigs[i]);
    /* pthread_sigmask fails only for a bad how: nanosleep is the fallback */
    if (pthread_sigmask(SIG_BLOCK, &block, &old) != 0) {
        nanosleep(&ts, NULL);
        return;
    }
    if (!bl_env_interrupted)
        ppoll(NULL, 0, &ts, &old); /* EINTR is the point: the caller checks the flag */
    pthread_sigmask(SIG_SETMASK, &old, NULL); /* restores a mask it just read */
}
