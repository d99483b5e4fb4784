/* tl_ival.c - per-interval reports (see tl_ival.h). */
#include "tl_ival.h"

#include <stdlib.h>
#include <string.h>

#include "tl_report.h"
#include "tl_run.h"

static void sum_init(struct tl_ival_sum *s, int64_t index)
{
    s->index = index;
    s->done = s->bytes_out = s->bytes_in = s->errors = 0;
    tl_hist_init(&s->lat);
}

int tl_ival_ring_init(struct tl_run *r, uint64_t d_ns, FILE *out)
{
    struct tl_ival_ring *g = calloc(1, sizeof(*g));

    if (g == NULL || (g->passed = calloc(r->nthreads, sizeof(*g->passed))) == NULL) {
        free(g);
        return -1;
    }
    uint64_t before = r->measure_ns - r->start_ns;
    g->d_ns = d_ns;
    g->skip = (int64_t)((before + d_ns - 1) / d_ns);
    g->base_ns = r->measure_ns - (uint64_t)g->skip * d_ns;
    g->next = -g->skip;
    for (uint32_t i = 0; i < r->nthreads; i++)
        g->passed[i] = -g->skip;
    g->out = out;
    r->ival = g;
    return 0;
}

void tl_ival_ring_free(struct tl_run *r)
{
    if (r->ival != NULL)
        free(r->ival->passed);
    free(r->ival);
    r->ival = NULL;
}

/* The interval that time ns falls into. */
static int64_t index_at(const struct tl_ival_ring *g, uint64_t ns)
{
    return (int64_t)((ns - g->base_ns) / g->d_ns) - g->skip;
}

static uint64_t start_of(const struct tl_ival_ring *g, int64_t index)
{
    return g->base_ns + (uint64_t)(index + g->skip) * g->d_ns;
}

/* Prints one interval; under the run's lock. */
static void print_sum(struct tl_run *r, const struct tl_ival_sum *s)
{
    struct tl_ival_ring *g = r->ival;
    uint64_t from = start_of(g, s->index), to = from + g->d_ns;
    struct tl_interval_line line = {
        .sum = s,
        .start_ns = (int64_t)(from - r->measure_ns),
        .end_ns = (int64_t)(to - r->measure_ns),
        .length_ns = to - (from > r->start_ns ? from : r->start_ns),
        .phase = from < r->measure_ns ? "warmup" : from < tl_run_end(r) ? "window" : "drain",
    };
    tl_report_interval(g->out, r->o, &line);
}

static int slot_of(int64_t index)
{
    return (int)(((index % TL_IVAL_RING) + TL_IVAL_RING) % TL_IVAL_RING);
}

/* Prints interval g->next (an empty one when nothing happened in it) and
 * moves on; under the run's lock. */
static void emit_next(struct tl_run *r)
{
    struct tl_ival_ring *g = r->ival;
    int k = slot_of(g->next);

    if (!g->used[k] || g->slot[k].index != g->next) {
        struct tl_ival_sum empty;
        sum_init(&empty, g->next);
        print_sum(r, &empty);
    } else {
        print_sum(r, &g->slot[k]);
        g->used[k] = 0;
    }
    g->next++;
}

/* Adds s (one thread's interval) to the ring; under the run's lock.  An
 * interval printed already (its thread was more than TL_IVAL_RING
 * intervals behind the others and main) is dropped. */
static void add(struct tl_run *r, const struct tl_ival_sum *s)
{
    struct tl_ival_ring *g = r->ival;
    int k = slot_of(s->index);

    while (s->index >= g->next && g->used[k] && g->slot[k].index != s->index)
        emit_next(r); /* main is that far behind: print the old ones now */
    if (s->index < g->next)
        return;
    if (!g->used[k]) {
        sum_init(&g->slot[k], s->index);
        g->used[k] = 1;
    }
    struct tl_ival_sum *d = &g->slot[k];
    d->done += s->done;
    d->bytes_out += s->bytes_out;
    d->bytes_in += s->bytes_in;
    d->errors += s->errors;
    tl_hist_merge(&d->lat, &s->lat);
}

/* Closes t's current interval at its live counters and hands it in;
 * passed: the first index t may still add to. */
static void hand_in(struct tl_thread *t, int64_t passed)
{
    struct tl_ival *iv = t->ival;
    struct tl_run *r = t->run;

    iv->cur.bytes_out = t->live.bytes_out - iv->snap_out;
    iv->cur.bytes_in = t->live.bytes_in - iv->snap_in;
    iv->cur.errors = t->live.errors - iv->snap_err;
    iv->snap_out = t->live.bytes_out;
    iv->snap_in = t->live.bytes_in;
    iv->snap_err = t->live.errors;
    pthread_mutex_lock(&r->lock);
    if (iv->cur.done != 0 || iv->cur.bytes_out != 0 || iv->cur.bytes_in != 0 ||
        iv->cur.errors != 0)
        add(r, &iv->cur);
    r->ival->passed[t->id] = passed;
    pthread_mutex_unlock(&r->lock);
}

int tl_ival_start(struct tl_thread *t, uint64_t now)
{
    const struct tl_ival_ring *g = t->run->ival;
    struct tl_ival *iv = malloc(sizeof(*iv));

    if (iv == NULL)
        return -1;
    sum_init(&iv->cur, index_at(g, now));
    iv->end_ns = start_of(g, iv->cur.index) + g->d_ns;
    iv->snap_out = t->live.bytes_out;
    iv->snap_in = t->live.bytes_in;
    iv->snap_err = t->live.errors;
    t->ival = iv;
    return 0;
}

void tl_ival_tick(struct tl_thread *t, uint64_t now)
{
    struct tl_ival *iv = t->ival;
    const struct tl_ival_ring *g = t->run->ival;

    if (iv == NULL || now < iv->end_ns)
        return;
    int64_t next = index_at(g, now);
    hand_in(t, next);
    sum_init(&iv->cur, next);
    iv->end_ns = start_of(g, next) + g->d_ns;
}

void tl_ival_stop(struct tl_thread *t)
{
    struct tl_run *r = t->run;

    if (t->ival != NULL) {
        hand_in(t, INT64_MAX);
        free(t->ival);
        t->ival = NULL;
    } else if (r->ival != NULL) { /* never started: takes part in none */
        pthread_mutex_lock(&r->lock);
        r->ival->passed[t->id] = INT64_MAX;
        pthread_mutex_unlock(&r->lock);
    }
}

void tl_ival_emit(struct tl_run *r, int all)
{
    struct tl_ival_ring *g = r->ival;

    if (g == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    int64_t bound = INT64_MAX;
    for (uint32_t i = 0; i < r->started; i++)
        if (g->passed[i] < bound)
            bound = g->passed[i];
    if (all || bound == INT64_MAX) { /* every thread is done: what is left */
        bound = g->next;
        for (int k = 0; k < TL_IVAL_RING; k++)
            if (g->used[k] && g->slot[k].index >= bound)
                bound = g->slot[k].index + 1;
    }
    while (g->next < bound)
        emit_next(r);
    pthread_mutex_unlock(&r->lock);
}
