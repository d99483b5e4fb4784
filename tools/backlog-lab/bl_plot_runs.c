/* bl_plot_runs.c - the experiments' timelines (see bl_plot_runs.h). */
#include "bl_plot_runs.h"

#include <stdlib.h>

#include "bl_plot.h"
#include "clock.h"

/* ---- accept-queue ---- */

enum ev_kind { EV_CONNECTED, EV_ACCEPTED, EV_FAILED, EV_NKINDS };

struct ev {
    uint64_t t_ns;
    enum ev_kind kind;
};

static int by_time(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    return x->t_ns < y->t_ns ? -1 : x->t_ns > y->t_ns;
}

/* The run's client events in time order (malloc'ed; *n set), NULL when
 * malloc fails. */
static struct ev *events(const struct bl_acceptq_run *r, int *n)
{
    struct ev *e = malloc(((size_t)r->nclients * EV_NKINDS + 1) * sizeof(*e));

    *n = 0;
    if (e == NULL)
        return NULL;
    for (int i = 0; i < r->nclients; i++) {
        const struct bl_client *c = &r->clients[i];
        if (c->established)
            e[(*n)++] = (struct ev){ c->t_established, EV_CONNECTED };
        if (c->accepted)
            e[(*n)++] = (struct ev){ c->t_accepted, EV_ACCEPTED };
        if (c->connect_failed)
            e[(*n)++] = (struct ev){ c->t_failed, EV_FAILED };
    }
    qsort(e, (size_t)*n, sizeof(*e), by_time);
    return e;
}

/* Run k's datablock: seconds, connected, accepted, connected and not
 * accepted, failed; a row per event, from 0 to the end of accepting. */
static void acceptq_data(FILE *f, int k, const struct bl_acceptq_run *r)
{
    int n, count[EV_NKINDS] = { 0 };
    struct ev *e = events(r, &n);

    fprintf(f, "$r%d << EOD\n0 0 0 0 0\n", k);
    for (int i = 0; e != NULL && i < n; i++) {
        count[e[i].kind]++;
        if (i + 1 < n && e[i + 1].t_ns == e[i].t_ns)
            continue; /* one row per moment */
        fprintf(f, "%.6f %d %d %d %d\n", (double)e[i].t_ns / CLOCK_NS_PER_SEC,
                count[EV_CONNECTED], count[EV_ACCEPTED],
                count[EV_CONNECTED] - count[EV_ACCEPTED], count[EV_FAILED]);
    }
    fprintf(f, "%.6f %d %d %d %d\nEOD\n",
            (double)(r->settle_ns + r->accept_ns) / CLOCK_NS_PER_SEC, count[EV_CONNECTED],
            count[EV_ACCEPTED], count[EV_CONNECTED] - count[EV_ACCEPTED], count[EV_FAILED]);
    if (e == NULL)
        fprintf(f, "# no memory for the client events: the panel shows none\n");
    free(e);
}

void bl_plot_acceptq_script(FILE *f, const char *png, const struct bl_acceptq_run *runs,
                            int n)
{
    fprintf(f, "set terminal png size 900,%d\nset output '%s'\n", 120 + 280 * (n > 0 ? n : 1),
            png);
    fprintf(f, "set termoption noenhanced\nset key outside right\nset grid\n"
               "set yrange [0:*]\n");
    for (int k = 0; k < n; k++)
        acceptq_data(f, k, &runs[k]);
    fprintf(f, "set multiplot layout %d,1 title 'backlog-lab accept-queue: every client, "
               "its connect and its accept, by its own clock'\n", n > 0 ? n : 1);
    for (int k = 0; k < n; k++) {
        const struct bl_acceptq_run *r = &runs[k];
        double settle = (double)r->settle_ns / CLOCK_NS_PER_SEC;
        fprintf(f, "set title 'backlog %d: %d clients, listener limit %u'\n", r->backlog,
                r->nclients, r->diag_limit);
        fprintf(f, "unset arrow\nset arrow from %.6f, graph 0 to %.6f, graph 1 nohead dt 3\n",
                settle, settle);
        fprintf(f, "set xlabel '%s'\n", k == n - 1 ? "seconds since the first connect "
                   "(dotted: accepting starts)" : "");
        fprintf(f, "plot $r%d using 1:2 with steps title 'connected', "
                   "$r%d using 1:3 with steps title 'accepted', "
                   "$r%d using 1:4 with steps lw 2 title 'connected, not accepted', "
                   "$r%d using 1:5 with steps title 'connect failed', "
                   "%u with lines dt 2 title 'listener limit', "
                   "'+' using (%.6f):(%u) every ::0::0 with points pt 7 ps 1.5 "
                   "title 'queue at settle (inet_diag)'\n",
                k, k, k, k, r->diag_limit, settle, r->diag_len);
    }
    if (n == 0)
        fprintf(f, "plot NaN title 'no run finished'\n");
    fprintf(f, "unset multiplot\n");
}

struct runs_ctx {
    const void *runs;
    int n;
};

static void acceptq_writer(FILE *f, const char *png, const void *ctx)
{
    const struct runs_ctx *c = ctx;

    bl_plot_acceptq_script(f, png, c->runs, c->n);
}

int bl_plot_acceptq(const char *png, const struct bl_acceptq_run *runs, int n, char *err,
                    size_t errlen)
{
    struct runs_ctx c = { runs, n };

    return bl_plot_run(png, acceptq_writer, &c, err, errlen);
}

/* ---- syn-queue ---- */

void bl_plot_synq_script(FILE *f, const char *png, const struct bl_synq_phase *ph, int n)
{
    fprintf(f, "set terminal png size 900,%d\nset output '%s'\n", 120 + 280 * (n > 0 ? n : 1),
            png);
    fprintf(f, "set termoption noenhanced\nset key outside right\nset grid\n"
               "set yrange [0:*]\n");
    for (int k = 0; k < n; k++) {
        fprintf(f, "$p%d << EOD\n", k);
        for (int i = 0; i < ph[k].nsamples; i++) {
            const struct bl_synq_sample *s = &ph[k].samples[i];
            fprintf(f, "%.3f %u %u %u\n", s->t_ms / 1000.0, s->started, s->syn_recv,
                    s->established);
        }
        fprintf(f, "EOD\n");
    }
    fprintf(f, "set multiplot layout %d,1 title 'backlog-lab syn-queue: half-open "
               "connections of the listener (inet_diag)'\n", n > 0 ? n : 1);
    for (int k = 0; k < n; k++) {
        const struct bl_synq_phase *p = &ph[k];
        fprintf(f, "set title 'tcp_syncookies %d: backlog %d, %d clients, listener "
                   "limit %u'\n", p->syncookies, p->backlog, p->nclients, p->limit);
        fprintf(f, "set xlabel '%s'\n", k == n - 1 ? "seconds since the phase began" : "");
        if (p->nsamples == 0) {
            fprintf(f, "plot NaN title 'no sample'\n");
            continue;
        }
        fprintf(f, "plot $p%d using 1:3 with steps lw 2 title 'SYN-RECV sockets', "
                   "$p%d using 1:2 with steps title 'clients that called connect', "
                   "$p%d using 1:4 with steps title 'connects completed', "
                   "%u with lines dt 2 title 'listener limit'\n", k, k, k, p->limit);
    }
    if (n == 0)
        fprintf(f, "plot NaN title 'no phase finished'\n");
    fprintf(f, "unset multiplot\n");
}

static void synq_writer(FILE *f, const char *png, const void *ctx)
{
    const struct runs_ctx *c = ctx;

    bl_plot_synq_script(f, png, c->runs, c->n);
}

int bl_plot_synq(const char *png, const struct bl_synq_phase *ph, int n, char *err,
                 size_t errlen)
{
    struct runs_ctx c = { ph, n };

    return bl_plot_run(png, synq_writer, &c, err, errlen);
}

/* ---- syn-flood ---- */

void bl_plot_flood_script(FILE *f, const char *png, const struct bl_flood_phase *ph, int n)
{
    fprintf(f, "set terminal png size 900,%d\nset output '%s'\n", 120 + 280 * (n > 0 ? n : 1),
            png);
    fprintf(f, "set termoption noenhanced\nset key outside right\nset grid\n"
               "set yrange [0:*]\nset y2tics\nset ytics nomirror\n");
    for (int k = 0; k < n; k++) {
        fprintf(f, "$f%d << EOD\n", k);
        for (int i = 0; i < ph[k].nsamples; i++) {
            const struct bl_flood_sample *s = &ph[k].samples[i];
            fprintf(f, "%.3f %u %u %u %llu\n", s->t_ms / 1000.0, s->syn_recv, s->tries,
                    s->connected, (unsigned long long)s->syns);
        }
        fprintf(f, "EOD\n");
    }
    fprintf(f, "set multiplot layout %d,1 title 'backlog-lab syn-flood: spoofed SYNs against "
               "the listener, and a legitimate client'\n", n > 0 ? n : 1);
    for (int k = 0; k < n; k++) {
        const struct bl_flood_phase *p = &ph[k];
        fprintf(f, "set title 'tcp_syncookies %d: backlog %d, limit %u, %llu spoofed SYNs/s'\n", p->syncookies, p->backlog, p->limit,
                (unsigned long long)p->rate);
        /* The right axis runs to twice the SYNs sent, so that line stays
         * apart from the client's, whatever the two rates. */
        uint64_t most = p->nsamples > 0 ? p->samples[p->nsamples - 1].syns : 0;
        fprintf(f, "set xlabel '%s'\nset y2label 'spoofed SYNs sent'\nset y2range [0:%llu]\n",
                k == n - 1 ? "seconds since the phase began" : "",
                (unsigned long long)(most > 0 ? 2 * most : 1));
        if (p->nsamples == 0) {
            fprintf(f, "plot NaN title 'no sample'\n");
            continue;
        }
        fprintf(f, "plot $f%d using 1:2 with steps lw 2 title 'SYN-RECV sockets', "
                   "%u with lines dt 2 title 'listener limit', "
                   "$f%d using 1:3 with steps title 'client connects tried', "
                   "$f%d using 1:4 with steps title 'client connects made', "
                   "$f%d using 1:5 axes x1y2 with lines lw 3 dt 3 lc rgb 'gray40' "
                   "title 'spoofed SYNs sent (right axis)'\n",
                k, p->limit, k, k, k);
    }
    if (n == 0)
        fprintf(f, "plot NaN title 'no phase finished'\n");
    fprintf(f, "unset multiplot\n");
}

static void flood_writer(FILE *f, const char *png, const void *ctx)
{
    const struct runs_ctx *c = ctx;

    bl_plot_flood_script(f, png, c->runs, c->n);
}

int bl_plot_flood(const char *png, const struct bl_flood_phase *ph, int n, char *err,
                  size_t errlen)
{
    struct runs_ctx c = { ph, n };

    return bl_plot_run(png, flood_writer, &c, err, errlen);
}
