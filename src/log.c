/* log.c - nonblocking, rate-limited output lines (see log.h). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define LINE_MAX_LEN 1024

struct stream {
    pthread_mutex_t lock;
    int fd;
    int is_sock;                   /* written with send(MSG_DONTWAIT) */
    size_t npending;
    char pending[LOG_PENDING_MAX]; /* the unwritten tail of a line */
};

static struct stream out_stream = { PTHREAD_MUTEX_INITIALIZER, STDOUT_FILENO, 0, 0, { 0 } };
static struct stream err_stream = { PTHREAD_MUTEX_INITIALIZER, STDERR_FILENO, 0, 0, { 0 } };
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;
static int stamp_err = 1;
static uint64_t dropped;

/* Gives s->fd an open file description of its own with O_NONBLOCK, or
 * marks a socket for MSG_DONTWAIT.  Where /proc is missing, a pipe is
 * made nonblocking in place (its other holders are our parent's pipeline)
 * and a terminal is left as it is (it blocks only when stopped). */
static void make_nonblocking(struct stream *s)
{
    struct stat st;
    char path[32];
    int fd;

    if (fstat(s->fd, &st) < 0)
        return; /* closed: writes fail with EBADF and are dropped */
    if (S_ISSOCK(st.st_mode)) {
        s->is_sock = 1;
        return;
    }
    if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
        return; /* a regular file or a disk never blocks */
    snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd);
    fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0) {
        if (dup2(fd, s->fd) < 0)
            (void)fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
        close(fd); /* the duplicate stays open as s->fd */
    } else if (S_ISFIFO(st.st_mode)) {
        (void)fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
    }
}

/* Whether stderr is the journal's stream (systemd sets JOURNAL_STREAM to
 * "DEVICE:INODE" of the socket it gives as stdout/stderr). */
static int err_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
           fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

void log_init(void)
{
    make_nonblocking(&out_stream);
    make_nonblocking(&err_stream);
    stamp_err = !err_is_journal();
}

static ssize_t raw_write(const struct stream *s, const char *p, size_t n)
{
    ssize_t w;

    do
        w = s->is_sock ? send(s->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL) : write(s->fd, p, n);
    while (w < 0 && errno == EINTR);
    return w;
}

static uint64_t count_lines(const char *p, size_t n)
{
    uint64_t lines = 0;

    for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + n - q))) != NULL; q++)
        lines++;
    return lines;
}

static void drop(const char *p, size_t n)
{
    __atomic_fetch_add(&dropped, count_lines(p, n), __ATOMIC_RELAXED);
}

/* Writes what is kept of a cut line.  Returns 1 when nothing is left.
 * A reader that is gone (any error but EAGAIN) loses the tail. */
static int write_pending(struct stream *s)
{
    while (s->npending > 0) {
        ssize_t w = raw_write(s, s->pending, s->npending);
        if (w < 0 && errno != EAGAIN) {
            drop(s->pending, s->npending);
            s->npending = 0;
        }
        if (w <= 0)
            break;
        memmove(s->pending, s->pending + w, s->npending - (size_t)w);
        s->npending -= (size_t)w;
    }
    return s->npending == 0;
}

/* Keeps the unwritten rest of text from its first byte: the line the
 * kernel cut, and as many whole lines after it as fit; drops the others. */
static void keep_tail(struct stream *s, const char *rest, size_t n)
{
    size_t keep = n <= LOG_PENDING_MAX ? n : LOG_PENDING_MAX;

    while (keep < n && keep > 0 && rest[keep - 1] != '\n')
        keep--;
    if (keep == 0)
        keep = LOG_PENDING_MAX; /* one line longer than the buffer: cut it */
    memcpy(s->pending, rest, keep);
    s->npending = keep;
    drop(rest + keep, n - keep);
}

static void emit(struct stream *s, const char *text, size_t len)
{
    pthread_mutex_lock(&s->lock);
    if (!write_pending(s)) {
        drop(text, len);
    } else {
        ssize_t w = raw_write(s, text, len);
        if (w < 0)
            drop(text, len);
        else if ((size_t)w < len)
            keep_tail(s, text + w, len - (size_t)w);
    }
    pthread_mutex_unlock(&s->lock);
}

void log_out(const char *text, size_t len)
{
    emit(&out_stream, text, len);
}

void log_outf(const char *fmt, ...)
{
    char line[LINE_MAX_LEN];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(line)) {
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    if (n > 0)
        emit(&out_stream, line, (size_t)n);
}

/* Formats one stderr line, with its stamp and suffix, and writes it. */
static void err_line(const char *suffix, const char *fmt, va_list ap)
{
    char line[LINE_MAX_LEN];
    size_t n = 0;

    if (stamp_err) {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
        n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ ", ts.tv_nsec / 1000000);
    }
    n += (size_t)snprintf(line + n, sizeof(line) - n, "echod: ");
    if (n < sizeof(line))
        n += (size_t)vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    if (n < sizeof(line))
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s\n", suffix);
    if (n >= sizeof(line)) {
        n = sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    emit(&err_stream, line, n);
}

void log_errf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    err_line("", fmt, ap);
    va_end(ap);
}

void log_errf_limited(struct log_limit *l, const char *fmt, ...)
{
    uint64_t now = clock_now_ns(), suppressed;
    char suffix[64] = "";
    va_list ap;

    pthread_mutex_lock(&limit_lock);
    if (now < l->next_ns) {
        l->suppressed++;
        pthread_mutex_unlock(&limit_lock);
        return;
    }
    suppressed = l->suppressed;
    l->suppressed = 0;
    l->next_ns = now + l->interval_ns;
    pthread_mutex_unlock(&limit_lock);
    if (suppressed > 0)
        snprintf(suffix, sizeof(suffix), " (%llu more like this not logged)",
                 (unsigned long long)suppressed);
    va_start(ap, fmt);
    err_line(suffix, fmt, ap);
    va_end(ap);
}

uint64_t log_dropped(void)
{
    return __atomic_load_n(&dropped, __ATOMIC_RELAXED);
}

/* Waits for one stream's tail until deadline_ns. */
static void flush_stream(struct stream *s, uint64_t deadline_ns)
{
    pthread_mutex_lock(&s->lock);
    while (!write_pending(s)) {
        uint64_t now = clock_now_ns();
        struct pollfd pfd = { s->fd, POLLOUT, 0 };
        if (now >= deadline_ns ||
            poll(&pfd, 1, (int)((deadline_ns - now) / CLOCK_NS_PER_MS) + 1) <= 0) {
            drop(s->pending, s->npending);
            s->npending = 0;
        }
    }
    pthread_mutex_unlock(&s->lock);
}

void log_flush(int timeout_ms)
{
    uint64_t deadline = clock_now_ns() + (uint64_t)timeout_ms * CLOCK_NS_PER_MS;

    flush_stream(&out_stream, deadline);
    flush_stream(&err_stream, deadline);
}
