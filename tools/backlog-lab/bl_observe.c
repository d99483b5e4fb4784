/* bl_observe.c - watch an existing listener (see bl_observe.h).
 *
 * Each sample is one inet_diag dump of the port (LISTEN and SYN-RECV
 * sockets) and one read of /proc/net/netstat.  Rows are printed as the
 * samples come: text, or with --json one JSON object per line per sample
 * (every listener in it), then a summary line with the explanation.  The TcpExt counters are host-wide: other listeners move them too,
 * which the explanation says.
 */
#include "bl_observe.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_acceptq.h"
#include "bl_env.h"
#include "bl_err.h"
#include "bl_json.h"
#include "bl_text.h"
#include "clock.h"
#include "bl_netstat.h"
#include "bl_plot.h"
#include "os.h"
#include "parse.h"
#include "bl_sockdiag.h"

#define OBS_SHOWN 5   /* counters shown in a row: the first five */

struct observer {
    const struct bl_opts *o;
    struct bl_err err;            /* the call that failed */
    int nl, nfd, sfd;
    uint16_t port;
    struct bl_netstat_snap *start, *now;
    struct bl_observe_sample *samples;
    int n, cap;
};

static uint16_t target_port(const struct bl_opts *o)
{
    if (o->target.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&o->target)->sin6_port);
    return ntohs(((const struct sockaddr_in *)&o->target)->sin_port);
}

static int take(struct observer *ob, double t_s)
{
    if (ob->n == ob->cap) {
        int cap = ob->cap ? ob->cap * 2 : 64;
        struct bl_observe_sample *grown = realloc(ob->samples, (size_t)cap * sizeof(*grown));
        if (grown == NULL)
            return bl_err_set(&ob->err, ENOMEM, "realloc");
        ob->samples = grown;
        ob->cap = cap;
    }
    struct bl_observe_sample *s = &ob->samples[ob->n];
    s->t_s = t_s;
    if (bl_sockdiag_port_queues(ob->nl, (const struct sockaddr *)&ob->o->target, ob->port,
                                &s->q) < 0)
        return bl_err_set(&ob->err, errno, "inet_diag dump");
    if (bl_netstat_read(ob->nfd, ob->sfd, ob->now) < 0)
        return bl_err_set(&ob->err, errno, "reading " BL_NETSTAT_FILES);
    bl_netstat_listen_deltas(ob->start, ob->now, s->delta);
    ob->n++;
    return 0;
}

static void print_header(FILE *f)
{
    fprintf(f, "%8s %9s %6s %6s %8s", "t", "listeners", "queue", "limit", "SYN-RECV");
    for (int k = 0; k < OBS_SHOWN; k++)
        fprintf(f, " %*s", (int)strlen(bl_netstat_listen_counters[k]) + 1,
                bl_netstat_listen_counters[k]);
    fprintf(f, "  each listener: queue/limit (! = full)\n");
}

static void print_row(FILE *f, const struct bl_observe_sample *s)
{
    fprintf(f, "%7.1fs %9d %6u %6u %8u", s->t_s, s->q.listeners, s->q.accept_len,
            s->q.accept_limit, s->q.syn_recv);
    for (int k = 0; k < OBS_SHOWN; k++)
        fprintf(f, " %+*lld", (int)strlen(bl_netstat_listen_counters[k]) + 1,
                (long long)s->delta[k]);
    fputc(' ', f);
    for (int i = 0; i < s->q.kept; i++)
        fprintf(f, " %u/%u%s", s->q.listener[i].len, s->q.listener[i].limit,
                s->q.listener[i].len > s->q.listener[i].limit ? "!" : "");
    if (s->q.listeners > s->q.kept)
        fprintf(f, " (+%d more)", s->q.listeners - s->q.kept);
    fputc('\n', f);
    fflush(f);
}

/* One listener over the samples, tracked by its inode. */
struct obs_listener {
    uint32_t inode, max_len, limit;
    int full;                  /* samples where its queue exceeded its limit */
};

static struct obs_listener *find_listener(struct obs_listener *ls, int *n, uint32_t inode)
{
    for (int i = 0; i < *n; i++)
        if (ls[i].inode == inode)
            return &ls[i];
    if (*n == BL_SOCKDIAG_MAX_LISTENERS)
        return NULL;
    ls[*n] = (struct obs_listener){ .inode = inode };
    return &ls[(*n)++];
}

void bl_observe_explain(const struct bl_observe_sample *s, int n, uint16_t port,
                        struct bl_text *t)
{
    struct obs_listener ls[BL_SOCKDIAG_MAX_LISTENERS];
    uint32_t max_syn = 0;
    int nls = 0, full = 0, listeners = 0;

    for (int i = 0; i < n; i++) {
        listeners = s[i].q.listeners > listeners ? s[i].q.listeners : listeners;
        max_syn = s[i].q.syn_recv > max_syn ? s[i].q.syn_recv : max_syn;
        full += s[i].q.full > 0;
        for (int k = 0; k < s[i].q.kept; k++) {
            const struct bl_sockdiag_listener *e = &s[i].q.listener[k];
            struct obs_listener *l = find_listener(ls, &nls, e->inode);
            if (l == NULL)
                continue;
            l->max_len = e->len > l->max_len ? e->len : l->max_len;
            l->limit = e->limit;
            l->full += e->len > e->limit;
        }
    }
    if (listeners == 0) {
        bl_text_add(t, "No listener was found on port %u in any sample (in this network "
                       "namespace).", port);
        return;
    }
    bl_text_add(t, "%d listener%s on port %u%s; SYN-RECV sockets on the port at most %u.",
                listeners, listeners == 1 ? "" : "s", port,
                listeners > 1 ? ", each with its own accept queue" : "", max_syn);
    for (int i = 0; i < nls; i++) {
        char when[64] = "";
        if (ls[i].full > 0)
            snprintf(when, sizeof(when), "; FULL (longer than its limit) in %d sample%s",
                     ls[i].full, ls[i].full == 1 ? "" : "s");
        bl_text_add(t, "Listener inode %u: at most %u connection%s waiting for accept() "
                       "(limit %u)%s.", ls[i].inode, ls[i].max_len,
                    ls[i].max_len == 1 ? "" : "s", ls[i].limit, when);
    }
    if (full > 0)
        bl_text_add(t, "In %d sample%s a listener's queue was longer than its limit, which "
                       "is how the kernel tells a full queue: a SYN or final ACK arriving "
                       "for that listener then is dropped (see backlog-lab accept-queue)%s.",
                    full, full == 1 ? "" : "s",
                    nls > 1 ? ", whatever room the other listeners of the group have" : "");
    const struct bl_observe_sample *last = &s[n - 1];
    if (last->delta[0] > 0)
        bl_text_add(t, "ListenOverflows rose by %lld while watching; the counter is "
                       "host-wide, so some of that may belong to other listeners.",
                    (long long)last->delta[0]);
}

/* --json: one line per sample, written as it is taken, so a reader of a
 * watch that runs until Ctrl-C sees each interval at once. */
static void json_sample(const struct bl_observe_sample *s)
{
    struct json j;

    json_init(&j, stdout, JSON_COMPACT);
    json_object(&j, NULL);
    json_string(&j, "type", "sample");
    json_double(&j, "t_s", s->t_s);
    json_int(&j, "listeners", s->q.listeners);
    json_int(&j, "queue_length", s->q.accept_len);
    json_int(&j, "queue_limit", s->q.accept_limit);
    json_int(&j, "syn_recv", s->q.syn_recv);
    json_array(&j, "per_listener");
    for (int k = 0; k < s->q.kept; k++) {
        json_object(&j, NULL);
        json_int(&j, "inode", s->q.listener[k].inode);
        json_int(&j, "queue_length", s->q.listener[k].len);
        json_int(&j, "queue_limit", s->q.listener[k].limit);
        json_bool(&j, "full", s->q.listener[k].len > s->q.listener[k].limit);
        json_end_object(&j);
    }
    json_end_array(&j);
    bl_json_listen_deltas(&j, "counter_deltas", s->delta);
    json_end_object(&j);
    fflush(stdout); /* json_end_object ended the line */
}

/* --json: the last line, once the watch is over. */
static void json_summary(const struct observer *ob, const struct bl_text *t)
{
    struct json j;
    char addr[PARSE_ADDRSTRLEN];

    json_init(&j, stdout, JSON_COMPACT);
    json_object(&j, NULL);
    json_string(&j, "type", "summary");
    json_string(&j, "experiment", "observe");
    json_string(&j, "target", parse_format_addr((const struct sockaddr *)&ob->o->target,
                                                   addr, sizeof(addr)));
    json_int(&j, "samples", ob->n);
    bl_text_json(t, &j, "explanation");
    json_end_object(&j);
    fflush(stdout); /* json_end_object ended the line */
}

static int watch(struct observer *ob)
{
    const struct bl_opts *o = ob->o;
    uint64_t t0 = clock_now_ns(), next = 0;

    if (!o->json)
        print_header(stdout);
    for (;;) {
        uint64_t now = clock_now_ns() - t0;
        if (now >= next) {
            if (take(ob, (double)now / 1e9) < 0)
                return -1;
            if (o->json)
                json_sample(&ob->samples[ob->n - 1]);
            else
                print_row(stdout, &ob->samples[ob->n - 1]);
            next += o->interval_ns;
        }
        if (bl_env_interrupted || (o->duration_ns > 0 && next > o->duration_ns))
            return 0;
        now = clock_now_ns() - t0;
        if (next > now)
            bl_env_sleep_ns(next - now);
    }
}

/* Opens the netlink socket and the counter files and takes the first
 * counter snapshot. */
static int observer_open(struct observer *ob)
{
    ob->nl = bl_sockdiag_open();
    if (ob->nl < 0)
        return bl_err_set(&ob->err, errno, "socket(NETLINK_SOCK_DIAG)");
    ob->start = malloc(sizeof(*ob->start));
    ob->now = malloc(sizeof(*ob->now));
    if (ob->start == NULL || ob->now == NULL)
        return bl_err_set(&ob->err, ENOMEM, "malloc");
    return bl_netstat_begin(&ob->nfd, &ob->sfd, ob->start, &ob->err);
}

static void observer_close(struct observer *ob)
{
    bl_netstat_close(ob->nfd, ob->sfd);
    if (ob->nl >= 0)
        os_close(ob->nl); /* a netlink socket we only read: nothing to lose */
    free(ob->start);
    free(ob->now);
    free(ob->samples);
}

static void announce(const struct bl_opts *o)
{
    char addr[PARSE_ADDRSTRLEN];

    if (o->quiet)
        return;
    fprintf(stderr, "backlog-lab observe %s: a sample every %.2f s, ",
            parse_format_addr((const struct sockaddr *)&o->target, addr, sizeof(addr)),
            (double)o->interval_ns / 1e9);
    if (o->duration_ns > 0)
        fprintf(stderr, "for %.1f s (Ctrl-C stops early)\n", (double)o->duration_ns / 1e9);
    else
        fprintf(stderr, "until Ctrl-C\n");
}

int bl_observe_main(const struct bl_opts *o)
{
    struct observer ob = { .o = o, .port = target_port(o), .nl = -1, .nfd = -1, .sfd = -1 };
    int rc = bl_plot_precheck("observe", o);

    if (rc != 0)
        return rc;
    rc = observer_open(&ob);

    if (rc == 0) {
        announce(o);
        rc = watch(&ob);
    }
    if (rc < 0)
        fprintf(stderr, "backlog-lab: observe: %s: %s\n", ob.err.call,
                strerror(ob.err.errnum));
    if (rc == 0 && ob.n > 0) {
        struct bl_text t;
        bl_text_init(&t);
        bl_observe_explain(ob.samples, ob.n, ob.port, &t);
        if (o->json) {
            json_summary(&ob, &t);
        } else {
            printf("\nWhat this watch shows:\n");
            bl_text_print(&t, stdout);
        }
        bl_text_free(&t);
    }
    if (rc == 0 && o->plot != NULL) {
        char why[320];
        int failed = bl_plot_observe(o->plot, ob.port, ob.samples, ob.n, why, sizeof(why));
        if (bl_plot_said("observe", o, failed, why, 0) != 0)
            rc = -1;
    }
    observer_close(&ob);
    if (rc < 0)
        return 1;
    if (bl_env_interrupted) {
        fprintf(stderr, "backlog-lab: interrupted\n");
        return 130;
    }
    return 0;
}
