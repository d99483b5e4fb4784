/* tl_loop.c - a tcpload thread's loop and measured window (see tl_loop.h).
 *
 * The wake eventfd is registered edge-triggered and never read: main
 * writes to it only when the end of the window moves, and each write is
 * one new edge that wakes every thread once to reread the end.
 */
#include "tl_loop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "clock.h"
#include "os.h"
#include "sysraw.h"

#define MAX_EVENTS 256                       /* events taken per epoll wait */

/* Creates the thread's epoll instance, watching the wake eventfd. */
static int loop_open(struct tl_loop *l, struct tl_thread *t)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.ptr = NULL };

    l->ep = -1;
    l->t = t;
    l->o = t->run->o;
    l->st = &t->stats;
    l->n = t->nconns;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    if (l->ep < 0)
        return tl_run_fail(t, "epoll_create1: %s", strerror(errno));
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, t->run->wake_fd, &ev) < 0)
        return tl_run_fail(t, "epoll_ctl: %s", strerror(errno));
    return 0;
}

int tl_loop_steps(struct tl_loop *l, struct tl_thread *t, const struct tl_steps *s)
{
    int rc = loop_open(l, t);

    if (rc == 0)
        rc = s->setup(l);
    tl_run_begin(t);
    if (rc == 0 && !t->run->failed && t->run->ival != NULL &&
        tl_ival_start(t, clock_now_ns()) < 0)
        rc = tl_run_fail(t, "out of memory for --interval");
    if (rc == 0 && !t->run->failed) {
        tl_window_init(&l->w, t->run);
        rc = s->run(l);
    }
    tl_ival_stop(t);
    s->finish(l);
    /* An epoll instance holds no data that a failed close could lose. */
    if (l->ep >= 0)
        os_close(l->ep);
    l->ep = -1;
    return rc;
}

static struct timespec timespec_of(uint64_t ns)
{
    return (struct timespec){ (time_t)(ns / CLOCK_NS_PER_SEC), (long)(ns % CLOCK_NS_PER_SEC) };
}

/* Waits for events; see tl_loop_poll. */
static int loop_wait(struct tl_loop *l, struct epoll_event *evs, int max, uint64_t wait_ns)
{
    struct timespec ts = timespec_of(wait_ns);
    int n = -1;

    if (!l->ms_timeouts) {
        n = (int)sysraw(SYS_epoll_pwait2, l->ep, (long)evs, max, (long)&ts, 0, 8);
        if (n < 0 && errno == ENOSYS)
            l->ms_timeouts = 1; /* kernel before 5.11, or valgrind */
    }
    if (l->ms_timeouts) {
        uint64_t ms = (wait_ns + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS;
        n = sysraw_epoll_wait(l->ep, evs, max, ms > INT32_MAX ? INT32_MAX : (int)ms);
    }
    if (n >= 0)
        return n;
    if (errno == EINTR)
        return 0;
    return tl_run_fail(l->t, "epoll_wait: %s", strerror(errno));
}

/* wait_ns, cut short so as to wake up when the --interval ends. */
static uint64_t ival_cap(const struct tl_loop *l, uint64_t wait_ns)
{
    if (l->t->ival != NULL) {
        uint64_t now = clock_now_ns(), end = l->t->ival->end_ns;
        if (end > now && end - now < wait_ns)
            wait_ns = end - now;
    }
    return wait_ns;
}

int tl_loop_poll(struct tl_loop *l, uint64_t wait_ns, tl_event_fn on_event)
{
    struct epoll_event evs[MAX_EVENTS];
    int n = loop_wait(l, evs, MAX_EVENTS, ival_cap(l, wait_ns));

    for (int i = 0; i < n; i++)
        if (evs[i].data.ptr != NULL)
            on_event(l, evs[i].data.ptr, evs[i].events);
    return n;
}

int tl_loop_nap(struct tl_loop *l, uint64_t wait_ns)
{
    struct timespec ts = timespec_of(ival_cap(l, wait_ns));

    /* Relative, on CLOCK_MONOTONIC.  A signal ends it early (EINTR): the
     * loop looks at the clock again anyway. */
    if (sysraw(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)&ts, 0, 0, 0) == 0 ||
        errno == EINTR)
        return 0;
    return tl_run_fail(l->t, "clock_nanosleep: %s", strerror(errno));
}

void tl_window_init(struct tl_window *w, const struct tl_run *r)
{
    memset(w, 0, sizeof(*w));
    w->measure = r->measure_ns;
    w->open = 1;
}

unsigned tl_window_track(struct tl_window *w, struct tl_thread *t, uint64_t now)
{
    const struct tl_live *l = &t->live;
    uint64_t end = tl_run_end(t->run);
    unsigned bits = 0;

    tl_ival_tick(t, now);
    if (end != w->end) {
        w->end = end;
        bits |= TL_WIN_MOVED;
    }
    if (!w->begun && now >= w->measure) {
        w->begun = 1;
        w->snap_out = l->bytes_out;
        w->snap_in = l->bytes_in;
        bits |= TL_WIN_BEGAN;
    }
    if (w->open && now >= w->end) {
        w->open = 0;
        if (w->begun) {
            t->stats.win_out = l->bytes_out - w->snap_out;
            t->stats.win_in = l->bytes_in - w->snap_in;
        }
    }
    return bits;
}
