/* tl_run.c - threads, phases and counters of one tcpload run (see tl_run.h).
 *
 * Main blocks SIGINT and SIGTERM before starting the threads (they inherit
 * the mask) and takes them with sigtimedwait between progress lines, so no
 * work happens in a signal handler: the first signal ends the measured
 * window now, a second one exits at once.
 */
#include "tl_run.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "sysraw.h"
#include "tl_report.h"

#define TICK_NS  CLOCK_NS_PER_SEC            /* progress line interval */
#define POLL_NS  (100 * CLOCK_NS_PER_MS)     /* how often main looks around */
#define MAX_EVENTS 256                       /* events taken per epoll wait */

void tl_stats_init(struct tl_stats *s)
{
    memset(s, 0, sizeof(*s));
    s->bad_conn = UINT64_MAX;
    for (int i = 0; i < TL_LAT_KINDS; i++)
        tl_hist_init(&s->lat[i]);
}

void tl_stats_merge(struct tl_stats *dst, const struct tl_stats *src)
{
    dst->conns_ok += src->conns_ok;
    dst->conns_failed += src->conns_failed;
    dst->conns_lost += src->conns_lost;
    dst->conns_held += src->conns_held;
    dst->done += src->done;
    dst->measured += src->measured;
    dst->started += src->started;
    dst->unanswered += src->unanswered;
    dst->bytes_out += src->bytes_out;
    dst->bytes_in += src->bytes_in;
    dst->win_out += src->win_out;
    dst->win_in += src->win_in;
    dst->scheduled += src->scheduled;
    dst->late += src->late;
    if (src->max_lag_ns > dst->max_lag_ns)
        dst->max_lag_ns = src->max_lag_ns;
    dst->bad_bytes += src->bad_bytes;
    dst->bad_msgs += src->bad_msgs;
    if (src->bad_conn < dst->bad_conn) {
        dst->bad_conn = src->bad_conn;
        dst->bad_offset = src->bad_offset;
    }
    dst->pings += src->pings;
    for (int i = 0; i < TL_ERR_KINDS; i++)
        dst->errors[i] += src->errors[i];
    for (int i = 0; i < TL_LAT_KINDS; i++)
        tl_hist_merge(&dst->lat[i], &src->lat[i]);
}

void tl_run_error(struct tl_thread *t, int kind)
{
    if (kind <= 0 || kind >= TL_ERR_KINDS)
        kind = 0; /* an errno tcpload has no name for */
    t->stats.errors[kind]++;
    tl_live_add(&t->live.errors, 1);
}

int tl_run_fail(struct tl_thread *t, const char *fmt, ...)
{
    struct tl_run *r = t->run;
    va_list ap;

    pthread_mutex_lock(&r->lock);
    if (!r->failed) {
        va_start(ap, fmt);
        vsnprintf(r->why, sizeof(r->why), fmt, ap);
        va_end(ap);
        r->failed = 1;
    }
    pthread_mutex_unlock(&r->lock);
    return -1;
}

void tl_run_begin(struct tl_thread *t)
{
    struct tl_run *r = t->run;

    t->begun = 1;
    pthread_mutex_lock(&r->lock);
    r->arrived++;
    pthread_cond_broadcast(&r->cond);
    while (!r->gate_open)
        pthread_cond_wait(&r->cond, &r->lock);
    pthread_mutex_unlock(&r->lock);
}

void tl_run_opened(struct tl_thread *t)
{
    __atomic_add_fetch(&t->run->opened_threads, 1, __ATOMIC_RELEASE);
}

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
    if (rc == 0 && !t->run->failed) {
        tl_window_init(&l->w, t->run);
        rc = s->run(l);
    }
    s->finish(l);
    if (l->ep >= 0)
        close(l->ep);
    l->ep = -1;
    return rc;
}

/* Waits for events; see tl_loop_poll. */
static int loop_wait(struct tl_loop *l, struct epoll_event *evs, int max, uint64_t wait_ns)
{
    struct timespec ts = { (time_t)(wait_ns / CLOCK_NS_PER_SEC),
                           (long)(wait_ns % CLOCK_NS_PER_SEC) };
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

int tl_loop_poll(struct tl_loop *l, uint64_t wait_ns, tl_event_fn on_event)
{
    struct epoll_event evs[MAX_EVENTS];
    int n = loop_wait(l, evs, MAX_EVENTS, wait_ns);

    for (int i = 0; i < n; i++)
        if (evs[i].data.ptr != NULL)
            on_event(l, evs[i].data.ptr, evs[i].events);
    return n;
}

/* Moves the end of the window and wakes every thread to see it. */
static void set_end(struct tl_run *r, uint64_t end)
{
    uint64_t one = 1;

    __atomic_store_n(&r->end_ns, end, __ATOMIC_RELEASE);
    /* Cannot fail: the counter is far from overflowing and the fd is ours. */
    if (write(r->wake_fd, &one, sizeof(one)) < 0)
        perror("tcpload: eventfd");
}

static void *thread_main(void *p)
{
    struct tl_thread *t = p;
    struct tl_run *r = t->run;

    r->fn(t);
    if (!t->begun) /* a mode that failed during setup still opens the gate */
        tl_run_begin(t);
    __atomic_add_fetch(&r->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Waits for every started thread at the gate, fixes the times, opens it. */
static void open_gate(struct tl_run *r)
{
    const struct tl_opts *o = r->o;

    pthread_mutex_lock(&r->lock);
    while (r->arrived < r->started)
        pthread_cond_wait(&r->cond, &r->lock);
    r->start_ns = clock_now_ns();
    r->measure_ns = r->start_ns + o->warmup_ns;
    r->end_ns = o->mode == TL_MODE_HOLD ? UINT64_MAX : r->measure_ns + o->duration_ns;
    r->gate_open = 1;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

/* Sums the live counters of every thread. */
static void live_sum(const struct tl_run *r, struct tl_live *sum)
{
    memset(sum, 0, sizeof(*sum));
    for (uint32_t i = 0; i < r->started; i++) {
        const struct tl_live *l = &r->threads[i].live;
        sum->done += __atomic_load_n(&l->done, __ATOMIC_RELAXED);
        sum->opened += __atomic_load_n(&l->opened, __ATOMIC_RELAXED);
        sum->open += __atomic_load_n(&l->open, __ATOMIC_RELAXED);
        sum->bytes_out += __atomic_load_n(&l->bytes_out, __ATOMIC_RELAXED);
        sum->bytes_in += __atomic_load_n(&l->bytes_in, __ATOMIC_RELAXED);
        sum->errors += __atomic_load_n(&l->errors, __ATOMIC_RELAXED);
    }
}

/* Main's loop while the threads run: signals, the hold clock, progress. */
static void supervise(struct tl_run *r, const sigset_t *sigs, int progress)
{
    uint64_t tick = r->start_ns + TICK_NS, prev_ns = r->start_ns;
    struct tl_live prev, now_live;
    int stopping = 0;

    memset(&prev, 0, sizeof(prev));
    while (__atomic_load_n(&r->finished, __ATOMIC_ACQUIRE) < r->started) {
        uint64_t now = clock_now_ns(), wait = POLL_NS;
        if (r->o->mode == TL_MODE_HOLD && tl_run_end(r) == UINT64_MAX &&
            __atomic_load_n(&r->opened_threads, __ATOMIC_ACQUIRE) == r->started) {
            r->measure_ns = now; /* the hold time starts once all are open */
            set_end(r, now + r->o->duration_ns);
        }
        if (progress && now >= tick) {
            live_sum(r, &now_live);
            tl_report_progress(stderr, r->o->mode, (double)(now - r->start_ns) / 1e9,
                               &now_live, &prev, (double)(now - prev_ns) / 1e9);
            prev = now_live;
            prev_ns = now;
            tick += TICK_NS;
        }
        if (progress && tick > now && tick - now < wait)
            wait = tick - now;
        struct timespec ts = { (time_t)(wait / CLOCK_NS_PER_SEC),
                               (long)(wait % CLOCK_NS_PER_SEC) };
        int sig = sigtimedwait(sigs, NULL, &ts);
        if (sig <= 0)
            continue;
        if (stopping) {
            fprintf(stderr, "tcpload: second signal, exiting now\n");
            _exit(128 + sig);
        }
        stopping = 1;
        now = clock_now_ns();
        if (now < tl_run_end(r))
            set_end(r, now);
    }
}

/* Starts the threads; returns how many started. */
static uint32_t start_threads(struct tl_run *r)
{
    const struct tl_opts *o = r->o;

    for (uint32_t i = 0; i < r->nthreads; i++) {
        struct tl_thread *t = &r->threads[i];
        t->run = r;
        t->id = i;
        t->nconns = (uint32_t)(o->conns / r->nthreads + (i < o->conns % r->nthreads));
        tl_stats_init(&t->stats);
        int err = pthread_create(&t->tid, NULL, thread_main, t);
        if (err != 0) {
            tl_run_fail(t, "pthread_create: %s", strerror(err));
            return i;
        }
    }
    return r->nthreads;
}

int tl_run_execute(struct tl_run *r, const struct tl_opts *o, tl_mode_fn fn,
                   struct tl_stats *total, uint64_t *elapsed_ns)
{
    sigset_t sigs, old;

    memset(r, 0, sizeof(*r));
    r->o = o;
    r->fn = fn;
    r->nthreads = (uint32_t)o->threads;
    r->end_ns = UINT64_MAX;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    r->threads = calloc(r->nthreads, sizeof(*r->threads));
    if (r->wake_fd < 0 || r->threads == NULL) {
        snprintf(r->why, sizeof(r->why), "cannot set up: %s", strerror(errno));
        return -1;
    }
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, &old);
    r->started = start_threads(r);
    open_gate(r);
    supervise(r, &sigs, o->progress || isatty(STDERR_FILENO));
    for (uint32_t i = 0; i < r->started; i++)
        pthread_join(r->threads[i].tid, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    tl_stats_init(total);
    for (uint32_t i = 0; i < r->started; i++)
        tl_stats_merge(total, &r->threads[i].stats);
    uint64_t end = tl_run_end(r);
    *elapsed_ns = end != UINT64_MAX && end > r->measure_ns ? end - r->measure_ns : 0;
    return r->failed ? -1 : 0;
}

void tl_run_free(struct tl_run *r)
{
    if (r->wake_fd >= 0)
        close(r->wake_fd);
    free(r->threads);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    r->threads = NULL;
    r->wake_fd = -1;
}
