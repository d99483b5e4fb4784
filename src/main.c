/* main.c - echod: parse the command line, open the listen sockets, start
 * one worker thread per listener, then turn signals into commands.
 *
 * The main thread never touches a connection.  Signals are blocked in
 * every thread and read from a signalfd here; the workers learn about them
 * through struct worker_control and an eventfd kick.  The main thread also
 * prints the interval stats lines (it wakes only for those and for
 * signals) and, once every worker has finished, the summary.
 *
 * Exit status: 0 after a clean stop, 1 on a runtime error, 2 on a bad
 * command line, 128+N when a second SIGINT/SIGTERM (signal N) cuts the
 * grace period short.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "activation.h"
#include "clock.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "options.h"
#include "os.h"
#include "peers.h"
#include "parse.h"
#include "splice.h"
#include "stats.h"
#include "version.h"
#include "worker.h"

struct server {
    const struct options *opt;
    struct worker_control ctl;
    int *listen_fds;
    unsigned nlisten;
    struct worker **workers;
    const struct stats_counters **blocks;
    unsigned nworkers;       /* created */
    unsigned nstarted;       /* threads running or finished */
    struct sockaddr_storage bound; /* the address with its real port */
    const int *inherited;    /* sockets from the service manager (activation.h) */
    unsigned ninherited;
    struct notify notify;    /* Type=notify (notify.h) */
    struct peers *peers;     /* --max-conns-per-ip, or NULL */
    struct metrics *metrics; /* --metrics, or NULL */
    int sig_fd;
    int done_fd;
    int reserve_open;        /* ctl.reserve needs listener_reserve_destroy */
    int stopping;
};

/* How long the last lines may wait for a slow reader at exit. */
#define EXIT_FLUSH_MS 500

/* "s" after a count other than 1, for messages a person reads. */
static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/* Blocks the signals echod handles (in this thread and so in every worker
 * created after) and returns a signalfd that reads them, or -1. */
static int open_signals(void)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN); /* belt and braces: writes use MSG_NOSIGNAL */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void warn_backlog(int backlog)
{
    long max = listener_somaxconn();

    if (max >= 0 && backlog > max)
        log_errf("warning: --backlog %d exceeds net.core.somaxconn (%ld); "
                 "the kernel caps it at %ld", backlog, max, max);
}

/* Tells the service manager msg; a failure is reported, never fatal. */
static void tell_manager(struct server *s, const char *msg)
{
    int rc = notify_send(&s->notify, msg);

    if (rc < 0)
        log_errf("NOTIFY_SOCKET: sendto: %s", strerror(-rc));
}

/* STATUS= for the service manager: open connections and accepts so far. */
static void tell_status(struct server *s)
{
    struct stats_counters sum;
    char msg[128];

    stats_sum(s->blocks, s->nworkers, &sum);
    snprintf(msg, sizeof(msg), "STATUS=%s: %llu connection%s open, %llu accepted",
             s->stopping ? "stopping" : "serving", (unsigned long long)sum.v[STATS_ACTIVE],
             plural(sum.v[STATS_ACTIVE]), (unsigned long long)sum.v[STATS_ACCEPTED]);
    tell_manager(s, msg);
}

static void kick_all(struct server *s)
{
    for (unsigned i = 0; i < s->nstarted; i++)
        worker_kick(s->workers[i]);
}

/* Renders a report or interval line into memory, then writes it without
 * blocking (log.h).  Returns the stream to print into, or NULL. */
static FILE *begin_text(char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);

    if (f == NULL)
        log_errf("open_memstream: %s", strerror(errno));
    return f;
}

static void end_text(FILE *f, char **buf, size_t *len)
{
    if (fclose(f) == 0) /* fclose sets *buf and *len */
        log_out(*buf, *len);
    else
        log_errf("open_memstream: %s", strerror(errno));
    free(*buf);
}

static void print_report(struct server *s, const char *what)
{
    char *buf;
    size_t len;
    FILE *f = begin_text(&buf, &len);

    if (f == NULL)
        return;
    stats_proc_set(STATS_PROC_LOG_DROPPED, log_dropped());
    stats_proc_set(STATS_PROC_CONN_CAP, __atomic_load_n(&s->ctl.max_conns, __ATOMIC_RELAXED));
    stats_print_report(f, what, s->blocks, s->nworkers,
                       __atomic_load_n(&s->ctl.paused, __ATOMIC_RELAXED), s->opt->json);
    end_text(f, &buf, &len);
}

/* First SIGINT/SIGTERM: each worker drains its accept queue, shuts its
 * listen socket down, and finishes its connections within --grace (see
 * worker.c, begin_stop).  An inherited socket is left listening: the
 * manager keeps it, and what queues there meanwhile is the next
 * instance's to serve. */
static void begin_stop(struct server *s, const char *why)
{
    struct stats_counters now;

    stats_sum(s->blocks, s->nworkers, &now);
    log_errf("%s: stopping; %llu connection%s open get%s --grace %llu ms", why,
             (unsigned long long)now.v[STATS_ACTIVE], plural(now.v[STATS_ACTIVE]),
             now.v[STATS_ACTIVE] == 1 ? "s" : "", (unsigned long long)s->opt->grace_ms);
    s->stopping = 1;
    tell_manager(s, "STOPPING=1");
    __atomic_store_n(&s->ctl.stop, 1, __ATOMIC_RELAXED);
    kick_all(s);
}

static void toggle_pause(struct server *s)
{
    int paused = !__atomic_load_n(&s->ctl.paused, __ATOMIC_RELAXED);

    /* Said before it takes effect, so the line precedes what it causes. */
    if (s->opt->json)
        log_outf("{\"type\":\"accepting\",\"accepting\":\"%s\"}\n", paused ? "paused" : "on");
    else
        log_outf("accepting %s\n", paused ? "paused" : "resumed");
    __atomic_store_n(&s->ctl.paused, paused, __ATOMIC_RELAXED);
    kick_all(s);
}

static void on_signals(struct server *s)
{
    struct signalfd_siginfo si;

    while (read(s->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGINT:
        case SIGTERM:
            if (s->stopping) {
                log_errf("%s again: exiting now", strsignal((int)si.ssi_signo));
                print_report(s, "summary");
                log_flush(EXIT_FLUSH_MS);
                _exit(128 + (int)si.ssi_signo);
            }
            begin_stop(s, strsignal((int)si.ssi_signo));
            break;
        case SIGUSR1:
            print_report(s, "stats");
            break;
        case SIGUSR2:
            toggle_pause(s);
            break;
        case SIGHUP:
            /* Nothing to reload: every setting is on the command line. */
            log_errf("SIGHUP ignored (no configuration to reload; restart to change "
                     "settings: under socket activation no connection is lost)");
            break;
        }
    }
}

static void print_interval(struct server *s, const struct stats_counters *prev,
                           const struct stats_counters *cur, uint64_t interval_ms)
{
    char *buf;
    size_t len;
    FILE *f = begin_text(&buf, &len);

    if (f == NULL)
        return;
    stats_print_interval(f, prev, cur, interval_ms,
                         __atomic_load_n(&s->ctl.paused, __ATOMIC_RELAXED), s->opt->json);
    end_text(f, &buf, &len);
}

/* Waits for signals and interval ticks until every worker has finished.
 * Returns 0, or -1 when poll fails. */
static int main_loop(struct server *s)
{
    uint64_t interval = s->opt->stats_interval_ms;
    uint64_t next = clock_now_ns() / CLOCK_NS_PER_MS + interval;
    uint64_t next_status = next - interval + NOTIFY_STATUS_MS;
    struct stats_counters prev, cur;
    uint64_t done = 0;

    stats_sum(s->blocks, s->nworkers, &prev);
    while (done < s->nworkers) {
        uint64_t now = clock_now_ns() / CLOCK_NS_PER_MS;
        struct pollfd pfd[2] = { { s->sig_fd, POLLIN, 0 }, { s->done_fd, POLLIN, 0 } };
        /* interval is at most OPTIONS_DURATION_MAX_MS, so it fits an int */
        int timeout = interval == 0 ? -1 : next > now ? (int)(next - now) : 0;
        if (notify_enabled(&s->notify) && (timeout < 0 || timeout > NOTIFY_STATUS_MS))
            timeout = NOTIFY_STATUS_MS;
        if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
            log_errf("poll: %s", strerror(errno));
            return -1;
        }
        if (pfd[0].revents & POLLIN)
            on_signals(s);
        uint64_t n;
        if ((pfd[1].revents & POLLIN) && read(s->done_fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
            done += n;
        now = clock_now_ns() / CLOCK_NS_PER_MS;
        if (notify_enabled(&s->notify) && now >= next_status) {
            tell_status(s);
            next_status = now + NOTIFY_STATUS_MS;
        }
        if (interval != 0 && now >= next) {
            stats_sum(s->blocks, s->nworkers, &cur);
            print_interval(s, &prev, &cur, interval + (now - next));
            prev = cur;
            next = now + interval;
        }
    }
    return 0;
}

/* Creates the workers (their threads do not run yet).  Returns 0, or -1
 * with a message. */
static int create_workers(struct server *s, char *err, size_t errlen)
{
    if (listener_reserve_init(&s->ctl.reserve) < 0) {
        snprintf(err, errlen, "open /dev/null (reserve descriptor): %s", strerror(errno));
        return -1;
    }
    s->reserve_open = 1;
    for (unsigned i = 0; i < s->opt->workers; i++) {
        struct worker_config cfg = {
            .opt = s->opt, .ctl = &s->ctl, .index = i,
            .listen_fd = s->listen_fds[i % s->nlisten], .done_fd = s->done_fd,
            .inherited = s->ninherited > 0, .peers = s->peers,
        };
        s->workers[i] = worker_create(&cfg, err, errlen);
        if (s->workers[i] == NULL)
            return -1;
        s->blocks[i] = worker_stats(s->workers[i]);
        s->nworkers++;
    }
    return 0;
}

/* Sets the connection cap: --max-conns, but never above what the
 * open-file limit leaves once everything but the connections is open (so
 * that excess clients are shed at once instead of waiting in the queue at
 * EMFILE).  Returns 0, or -1 with a message when no descriptor is left
 * for connections. */
static int set_conn_cap(struct server *s, uint64_t nofile, char *err, size_t errlen)
{
    int open_now = os_count_fds();
    /* Without /proc: what setup opened (--splice: the workers' pipes), plus
     * stdio.  With /proc the count includes the pipes: they are opened with
     * the workers, before this. */
    uint64_t pipe_fds = s->opt->splice ? 2 * (uint64_t)SPLICE_PIPES * s->nworkers : 0;
    uint64_t in_use = open_now >= 0 ? (uint64_t)open_now
                                    : 4 + s->nlisten + 2 * (uint64_t)s->nworkers + 2 + pipe_fds;
    uint64_t cap = listener_fd_cap(nofile, in_use, s->nworkers), want = s->opt->max_conns;

    if (cap == 0) {
        snprintf(err, errlen, "the open-file limit (%llu) leaves no descriptor for "
                 "connections: %llu are open, and %u workers and %d spare need more; raise "
                 "it (ulimit -n, LimitNOFILE=)", (unsigned long long)nofile,
                 (unsigned long long)in_use, s->nworkers, LISTENER_SPARE_FDS);
        return -1;
    }
    if (want != 0 && want > cap)
        log_errf("warning: --max-conns %llu is more than the open-file limit (%llu) "
                 "allows; using %llu", (unsigned long long)want, (unsigned long long)nofile,
                 (unsigned long long)cap);
    s->ctl.cap_is_fds = want == 0 || want > cap;
    s->ctl.max_conns = s->ctl.cap_is_fds ? cap : want;
    return 0;
}

/* Starts the workers' threads.  Returns 0, or -1 with a message. */
static int start_workers(struct server *s, char *err, size_t errlen)
{
    for (unsigned i = 0; i < s->nworkers; i++) {
        int rc = worker_start(s->workers[i]);
        if (rc != 0) {
            snprintf(err, errlen, "pthread_create: %s", strerror(rc));
            return -1;
        }
        s->nstarted++;
    }
    return 0;
}

/* Stops the workers that were started (if main_loop has not) and waits
 * for their threads. */
static void join_workers(struct server *s)
{
    if (s->nstarted > 0 && !s->stopping)
        begin_stop(s, "error");
    for (unsigned i = 0; i < s->nstarted; i++)
        worker_join(s->workers[i]);
    metrics_stop(s->metrics); /* after the workers: /healthz says draining until the end */
    s->metrics = NULL;
}

static void free_server(struct server *s)
{
    for (unsigned i = 0; i < s->nworkers; i++)
        worker_destroy(s->workers[i]);
    /* Listen sockets, a signalfd and an eventfd hold no data that a failed
     * close could lose, and the process is about to exit. */
    for (unsigned i = 0; i < s->nlisten; i++)
        os_close(s->listen_fds[i]);
    if (s->sig_fd >= 0)
        os_close(s->sig_fd);
    if (s->done_fd >= 0)
        os_close(s->done_fd);
    if (s->reserve_open)
        listener_reserve_destroy(&s->ctl.reserve);
    notify_close(&s->notify);
    peers_destroy(s->peers);
    free(s->listen_fds);
    free(s->workers);
    free(s->blocks);
}

/* Serves the sockets the service manager passed: every worker shares
 * them, worker i takes socket i mod n.  Returns 0, or -1 with a message. */
static int adopt_inherited(struct server *s, char *err, size_t errlen)
{
    socklen_t len = sizeof(s->bound);

    if (s->opt->workers < s->ninherited) {
        snprintf(err, errlen, "socket activation passed %u sockets: --workers must be at "
                 "least %u so that each has a worker", s->ninherited, s->ninherited);
        return -1;
    }
    memcpy(s->listen_fds, s->inherited, s->ninherited * sizeof(*s->listen_fds));
    s->nlisten = s->ninherited;
    if (getsockname(s->listen_fds[0], (struct sockaddr *)&s->bound, &len) < 0) {
        snprintf(err, errlen, "getsockname: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Opens the listen sockets.  Returns 0, or -1 with a message. */
static int open_listeners(struct server *s, char *err, size_t errlen)
{
    const struct options *o = s->opt;
    unsigned n = o->shared_listener ? 1 : o->workers;

    if (s->ninherited > 0)
        return adopt_inherited(s, err, errlen);

    warn_backlog(o->backlog);
    if (listener_open_all((const struct sockaddr *)&o->addr, o->addr_len, o->backlog, n,
                          o->shared_listener, o->nodelay, s->listen_fds, &s->bound,
                          err, errlen) < 0)
        return -1;
    s->nlisten = n;
    for (unsigned i = 0; i < n; i++)
        if (listener_set_buffers(s->listen_fds[i], o->sndbuf, o->rcvbuf, err, errlen) < 0)
            return -1;
    return 0;
}

/* --metrics: starts the endpoint and says where, before the listening
 * line (a script that reads that line can scrape at once).  Returns 0, or
 * -1 with a message. */
static int start_metrics(struct server *s, char *err, size_t errlen)
{
    const struct metrics_view view = { s->blocks, s->nworkers, &s->ctl };
    struct sockaddr_storage bound;
    char text[PARSE_ADDRSTRLEN];

    if (s->opt->metrics_addr_len == 0)
        return 0;
    s->metrics = metrics_start((const struct sockaddr *)&s->opt->metrics_addr,
                               s->opt->metrics_addr_len, &view, &bound, err, errlen);
    if (s->metrics == NULL)
        return -1;
    log_outf("metrics on %s\n", parse_format_addr((struct sockaddr *)&bound, text, sizeof(text)));
    return 0;
}

/* Everything before the main loop.  Returns 0, or -1 with a message. */
static int setup(struct server *s, char *err, size_t errlen)
{
    unsigned n = s->opt->workers;
    uint64_t nofile = 0;
    int rc = os_raise_nofile(&nofile, NULL); /* hold as many connections as allowed */

    if (rc < 0)
        log_errf("warning: cannot raise the open-file limit: %s", strerror(-rc));
    s->ctl.paused = s->opt->accept_rate == 0;
    s->listen_fds = calloc(n, sizeof(*s->listen_fds));
    s->workers = calloc(n, sizeof(*s->workers));
    s->blocks = calloc(n, sizeof(*s->blocks));
    if (s->listen_fds == NULL || s->workers == NULL || s->blocks == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->sig_fd = open_signals();
    if (s->sig_fd < 0) {
        snprintf(err, errlen, "signalfd: %s", strerror(errno));
        return -1;
    }
    s->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->done_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        return -1;
    }
    if (notify_open(&s->notify, err, errlen) < 0)
        return -1;
    if (s->opt->max_conns_per_ip > 0 && (s->peers = peers_create(s->opt->max_conns_per_ip)) == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (open_listeners(s, err, errlen) < 0 || create_workers(s, err, errlen) < 0 ||
        set_conn_cap(s, nofile, err, errlen) < 0 || start_workers(s, err, errlen) < 0 ||
        start_metrics(s, err, errlen) < 0)
        return -1;
    /* Said once everything runs: a script that reads the port can connect. */
    char text[PARSE_ADDRSTRLEN];
    log_outf("listening on %s (%u worker%s%s)\n",
             parse_format_addr((struct sockaddr *)&s->bound, text, sizeof(text)),
             s->opt->workers, plural(s->opt->workers),
             s->ninherited > 0 ? ", socket activation" : "");
    tell_manager(s, "READY=1");
    tell_status(s);
    return 0;
}

static int serve(const struct options *o, const int *inherited, unsigned ninherited)
{
    struct server s = { .opt = o, .inherited = inherited, .ninherited = ninherited,
                        .sig_fd = -1, .done_fd = -1, .notify = { .fd = -1 } };
    char err[512];
    int rc = setup(&s, err, sizeof(err));

    if (rc < 0)
        log_errf("%s", err);
    else
        rc = main_loop(&s);
    join_workers(&s);
    if (rc == 0)
        print_report(&s, "summary");
    free_server(&s);
    log_flush(EXIT_FLUSH_MS);
    return rc;
}

int main(int argc, char *argv[])
{
    struct options opt;
    char err[512];

    if (options_parse(&opt, argc, argv, err, sizeof(err)) < 0) {
        fprintf(stderr, "echod: %s\n", err);
        return 2;
    }
    if (opt.help) {
        options_usage(stdout);
        return 0;
    }
    if (opt.version) {
        printf("echod %s\n", TOOLKIT_VERSION);
        return 0;
    }
    int fds[ACTIVATION_MAX_FDS];
    int n = activation_listen_fds(fds, err, sizeof(err));
    if (n < 0) {
        fprintf(stderr, "echod: %s\n", err);
        return 1;
    }
    if (n > 0 && opt.listen_given) {
        fprintf(stderr, "echod: --listen: not allowed with socket activation (%d sockets "
                "passed in LISTEN_FDS): the service manager chooses the address\n", n);
        return 2;
    }
    opt.shared_listener |= n > 0; /* workers share what was passed: EPOLLEXCLUSIVE */
    log_init();
    return serve(&opt, fds, (unsigned)n) == 0 ? 0 : 1;
}
