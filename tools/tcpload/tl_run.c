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
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "os.h"
#include "tl_report.h"

#define TICK_NS  CLOCK_NS_PER_SEC            /* progress line interval */
#define POLL_NS  (100 * CLOCK_NS_PER_MS)     /* how often main looks around */

void tl_stats_init(struct tl_stats *s)
{
    memset(s, 0, sizeof(*s));
    s->bad_conn = UINT64_MAX;
    for (int i = 0; i < TL_LAT_KINDS; i++)
        tl_hist_init(&s->lat[i]);
}

/* How tl_stats_merge combines one field (tl_run.h). */
#define MERGE_SUM(f)   dst->f += src->f;
#define MERGE_MAX(f)   if (src->f > dst->f) dst->f = src->f;
#define MERGE_FIRST(f) if (src_first) dst->f = src->f;
#define MERGE_HIST(f)  tl_hist_merge(&dst->f, &src->f);
#define MERGE_COUNTER(how, name) MERGE_##how(name)
#define MERGE_ARRAY(how, type, name, n) \
    for (size_t i = 0; i < (n); i++)    \
        MERGE_##how(name[i])

void tl_stats_merge(struct tl_stats *dst, const struct tl_stats *src)
{
    int src_first = src->bad_conn < dst->bad_conn; /* src saw the first bad byte */

    TL_STATS_COUNTERS(MERGE_COUNTER)
    TL_STATS_ARRAYS(MERGE_ARRAY)
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

/* Sleeps until monotonic time t, taking SIGINT and SIGTERM.  Returns 0,
 * or the signal that came first. */
static int sleep_until(uint64_t t, const sigset_t *sigs)
{
    for (;;) {
        uint64_t now = clock_now_ns();
        if (now >= t)
            return 0;
        uint64_t wait = t - now;
        struct timespec ts = { (time_t)(wait / CLOCK_NS_PER_SEC),
                               (long)(wait % CLOCK_NS_PER_SEC) };
        int sig = sigtimedwait(sigs, NULL, &ts);
        if (sig > 0)
            return sig;
    }
}

/* Fixes the start, the warmup's end and the window's end: now, or with
 * --start-at so that the window starts at that wall-clock time.  Returns
 * 0, or -1 (r->why says why). */
static int fix_times(struct tl_run *r)
{
    const struct tl_opts *o = r->o;
    uint64_t now = clock_now_ns();

    r->wall_offset_ns = (int64_t)(tl_run_wall_ns() - now);
    r->start_ns = now;
    r->measure_ns = now + o->warmup_ns;
    if (o->start_at_ns != 0) {
        int64_t ahead = (int64_t)(o->start_at_ns - (now + (uint64_t)r->wall_offset_ns));
        if (ahead <= 0) {
            r->failed = 1;
            snprintf(r->why, sizeof(r->why), "--start-at is %.3f s in the past once "
                     "connected", (double)-ahead / 1e9);
            return -1;
        }
        r->measure_ns = now + (uint64_t)ahead;
        if (r->measure_ns - now > o->warmup_ns)
            r->start_ns = r->measure_ns - o->warmup_ns;
    }
    r->end_ns = o->mode == TL_MODE_HOLD ? UINT64_MAX : r->measure_ns + o->duration_ns;
    return 0;
}

/* Waits for every started thread at the gate, fixes the times, waits for
 * the start, opens the gate.  A signal before the start, a --start-at
 * already past, or no memory for --interval fails the run (the threads
 * then see r->failed and do not run). */
static void open_gate(struct tl_run *r, const sigset_t *sigs)
{
    pthread_mutex_lock(&r->lock);
    while (r->arrived < r->started)
        pthread_cond_wait(&r->cond, &r->lock);
    pthread_mutex_unlock(&r->lock);
    if (!r->failed && fix_times(r) == 0) {
        int sig = sleep_until(r->start_ns, sigs);
        if (sig != 0) {
            r->failed = 1;
            snprintf(r->why, sizeof(r->why), "stopped by %s before --start-at",
                     strsignal(sig));
        }
        if (!r->failed && r->o->interval_ns != 0 &&
            tl_ival_ring_init(r, r->o->interval_ns, stdout) < 0) {
            r->failed = 1;
            snprintf(r->why, sizeof(r->why), "out of memory for --interval");
        }
    }
    if (r->failed)
        r->measure_ns = 0; /* the threads will not run: no warmup, no window */
    pthread_mutex_lock(&r->lock);
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

/* Hold mode: starts the hold time once every thread is done opening. */
static void start_hold_clock(struct tl_run *r, uint64_t now)
{
    if (r->o->mode == TL_MODE_HOLD && tl_run_end(r) == UINT64_MAX &&
        __atomic_load_n(&r->opened_threads, __ATOMIC_ACQUIRE) == r->started) {
        r->measure_ns = now;
        r->window_begun = 1;
        set_end(r, now + r->o->duration_ns);
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
        start_hold_clock(r, now);
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
        tl_ival_emit(r, 0);
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
        r->stop_sig = sig;
        now = clock_now_ns();
        start_hold_clock(r, now); /* all open since the last look: held 0 s */
        if (now < tl_run_end(r))
            set_end(r, now);
    }
    uint64_t now = clock_now_ns();
    if (now < tl_run_end(r)) /* every thread stopped early: the window ends now */
        __atomic_store_n(&r->end_ns, now, __ATOMIC_RELEASE);
}

/* Once the run has ended at monotonic time end: whether its window began
 * and how much of its warmup elapsed.  A run that failed before the gate
 * opened (measure_ns still 0) ran neither; hold mode set window_begun when
 * its clock started and has no warmup. */
static void record_phases(struct tl_run *r, uint64_t end)
{
    if (r->o->mode == TL_MODE_HOLD || r->measure_ns == 0 || end == UINT64_MAX)
        return;
    r->window_begun = end > r->measure_ns;
    if (end > r->start_ns)
        r->warmup_ran_ns = (end < r->measure_ns ? end : r->measure_ns) - r->start_ns;
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
    open_gate(r, &sigs);
    supervise(r, &sigs, o->progress || isatty(STDERR_FILENO));
    for (uint32_t i = 0; i < r->started; i++)
        pthread_join(r->threads[i].tid, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    tl_ival_emit(r, 1);

    tl_stats_init(total);
    for (uint32_t i = 0; i < r->started; i++)
        tl_stats_merge(total, &r->threads[i].stats);
    record_phases(r, tl_run_end(r));
    *elapsed_ns = r->window_begun ? tl_run_end(r) - r->measure_ns : 0;
    return r->failed ? -1 : 0;
}

void tl_run_free(struct tl_run *r)
{
    /* An eventfd holds no data that a failed close could lose. */
    if (r->wake_fd >= 0)
        os_close(r->wake_fd);
    free(r->threads);
    tl_ival_ring_free(r);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    r->threads = NULL;
    r->wake_fd = -1;
}
