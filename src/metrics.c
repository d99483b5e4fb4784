/* metrics.c - the --metrics endpoint (see metrics.h).
 *
 * Rendering is generic over stats.h: every counter id becomes a sample,
 * so a counter added there shows up here with no change.  Its family is
 * found in this order: a counter stats_errno_label names an errno for
 * (the io_e* counters) goes to echod_io_errors_by_errno_total with that
 * errno label (echod_io_errors_total stays their sum); the few below that
 * read better grouped (accept4's errors by errno, the two gauges: open
 * connections and buffered bytes); else echod_NAME_total.  Samples of one family are written
 * together, as the format requires.  The process values (stats_proc_*)
 * follow as gauges, but for the one counter among them.
 *
 * The thread runs a poll(2) loop over an eventfd (stop), the listen
 * socket and at most METRICS_MAX_CLIENTS clients.  A client is read into a
 * fixed buffer until its request head is whole (http.h), answered from a
 * buffer rendered at once, and closed after the answer ("Connection:
 * close"): one request per connection keeps every client's cost bounded.
 */
#include "metrics.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "listener.h"
#include "os.h"
#include "version.h"
#include "worker.h"

/* ---- families ---- */

struct family {
    const char *name;  /* without "echod_" and "_total" */
    const char *errno_label; /* NULL: no errno label */
    int gauge;
};

static const struct {
    enum stats_id id;
    struct family f;
} grouped[] = {
    { STATS_ACTIVE, { "connections_open", NULL, 1 } },
    { STATS_BUFFERED, { "buffered_bytes", NULL, 1 } },
    { STATS_PIPES, { "pipes", NULL, 1 } },
    { STATS_PIPES_LENT, { "pipes_lent", NULL, 1 } },
    { STATS_PIPED, { "piped_bytes", NULL, 1 } },
    { STATS_SPLICED, { "spliced_bytes", NULL, 0 } },
    { STATS_ACCEPT_EMFILE, { "accept_errors", "EMFILE", 0 } },
    { STATS_ACCEPT_ENFILE, { "accept_errors", "ENFILE", 0 } },
    { STATS_ACCEPT_ENOBUFS, { "accept_errors", "ENOBUFS", 0 } },
    { STATS_ACCEPT_ENOMEM, { "accept_errors", "ENOMEM", 0 } },
    { STATS_ACCEPT_ABORTED, { "accept_errors", "ECONNABORTED", 0 } },
    { STATS_ACCEPT_OTHER, { "accept_errors", "other", 0 } },
};

/* The family of counter id. */
static struct family family_of(enum stats_id id)
{
    struct family f = { stats_name(id), stats_errno_label(id), 0 };

    if (f.errno_label != NULL) {
        f.name = "io_errors_by_errno";
        return f;
    }
    for (size_t i = 0; i < sizeof(grouped) / sizeof(grouped[0]); i++)
        if (grouped[i].id == id)
            return grouped[i].f;
    return f;
}

static int same_family(const struct family *a, const struct family *b)
{
    return strcmp(a->name, b->name) == 0;
}

/* ---- rendering ---- */

static void write_family(FILE *f, const struct metrics_view *v, enum stats_id first)
{
    struct family fam = family_of(first);
    const char *suffix = fam.gauge ? "" : "_total";

    fprintf(f, "# HELP echod_%s%s echod's %s %s%s, per worker (see echod(1))\n", fam.name,
            suffix, fam.name, fam.gauge ? "gauge" : "counter", fam.errno_label ? " by errno" : "");
    fprintf(f, "# TYPE echod_%s%s %s\n", fam.name, suffix, fam.gauge ? "gauge" : "counter");
    for (int id = first; id < STATS_COUNT; id++) {
        struct family g = family_of(id);
        if (!same_family(&fam, &g))
            continue;
        for (unsigned w = 0; w < v->nworkers; w++) {
            fprintf(f, "echod_%s%s{worker=\"%u\"", g.name, suffix, w);
            if (g.errno_label != NULL)
                fprintf(f, ",errno=\"%s\"", g.errno_label);
            fprintf(f, "} %llu\n", (unsigned long long)stats_get(v->blocks[w], id));
        }
    }
}

/* Whether counter id's family was already written (by a lower id). */
static int written_before(enum stats_id id)
{
    struct family fam = family_of(id);

    for (int k = 0; k < (int)id; k++) {
        struct family g = family_of(k);
        if (same_family(&fam, &g))
            return 1;
    }
    return 0;
}

static void gauge(FILE *f, const char *name, const char *help, double value)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, value);
}

/* The process values of stats.h: gauges, but for the counter below. */
static void write_proc(FILE *f)
{
    char name[96], help[128];

    for (int id = 0; id < STATS_PROC_COUNT; id++) {
        int counter = id == STATS_PROC_LOG_DROPPED;
        snprintf(name, sizeof(name), "echod_%s%s", stats_proc_name(id), counter ? "_total" : "");
        snprintf(help, sizeof(help), "echod's %s (see echod(1))", stats_proc_name(id));
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name,
                counter ? "counter" : "gauge", name, (unsigned long long)stats_proc_get(id));
    }
}

static const char *const outcome_label[METRICS_NOUTCOMES] = {
    [METRICS_OK] = "200", [METRICS_NOT_FOUND] = "404", [METRICS_NOT_ALLOWED] = "405",
    [METRICS_UNHEALTHY] = "503", [METRICS_BUSY] = "busy", [METRICS_BAD_REQUEST] = "bad_request",
    [METRICS_TIMEOUT] = "timeout", [METRICS_IO_ERROR] = "io_error",
};

static void write_endpoint(FILE *f, const uint64_t *outcomes)
{
    fputs("# HELP echod_metrics_requests_total metrics endpoint answers by status code\n"
          "# TYPE echod_metrics_requests_total counter\n", f);
    for (int o = METRICS_OK; o <= METRICS_UNHEALTHY; o++)
        fprintf(f, "echod_metrics_requests_total{code=\"%s\"} %llu\n", outcome_label[o],
                (unsigned long long)(outcomes ? outcomes[o] : 0));
    fputs("# HELP echod_metrics_rejected_total metrics clients closed without an answer\n"
          "# TYPE echod_metrics_rejected_total counter\n", f);
    for (int o = METRICS_BUSY; o < METRICS_NOUTCOMES; o++)
        fprintf(f, "echod_metrics_rejected_total{reason=\"%s\"} %llu\n", outcome_label[o],
                (unsigned long long)(outcomes ? outcomes[o] : 0));
}

/* ---- process_* ---- */

/* Reads /proc/self/statm: virtual and resident bytes.  Returns 0 or -1. */
static int read_memory(double *vsz, double *rss)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long pages, resident;
    int n = f != NULL ? fscanf(f, "%llu %llu", &pages, &resident) : 0;
    double page = (double)sysconf(_SC_PAGESIZE);

    if (f != NULL)
        fclose(f);
    if (n != 2)
        return -1;
    *vsz = (double)pages * page;
    *rss = (double)resident * page;
    return 0;
}

/* Open descriptors (the directory's own one not counted), or -1. */
static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    long n = 0;

    if (d == NULL)
        return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;
}

/* The process's start in seconds since the epoch: boot time (btime of
 * /proc/stat) plus field 22 of /proc/self/stat.  Returns 0 or -1. */
static int start_time(double *out)
{
    char line[1024];
    unsigned long long btime = 0, ticks = 0;
    int found = 0;
    FILE *f = fopen("/proc/stat", "r");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        found |= sscanf(line, "btime %llu", &btime) == 1;
    if (f != NULL)
        fclose(f);
    f = fopen("/proc/self/stat", "r");
    size_t n = f != NULL ? fread(line, 1, sizeof(line) - 1, f) : 0;
    if (f != NULL)
        fclose(f);
    line[n] = '\0';
    const char *p = strrchr(line, ')'); /* the command name may hold anything */
    for (int field = 2; p != NULL && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (!found || p == NULL || sscanf(p, " %llu", &ticks) != 1)
        return -1;
    *out = (double)btime + (double)ticks / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

/* The start time never changes: read once (pthread_once: tests render
 * from other threads than the endpoint's). */
static double start_seconds = -1;

static void read_start_time(void)
{
    if (start_time(&start_seconds) < 0)
        start_seconds = -1;
}

static void write_process(FILE *f)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct rusage ru;
    struct rlimit rl;
    double vsz, rss;
    long fds = count_fds();

    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        fprintf(f, "# HELP process_cpu_seconds_total user and system CPU time\n"
                   "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.6f\n",
                cpu);
    }
    if (read_memory(&vsz, &rss) == 0) {
        gauge(f, "process_resident_memory_bytes", "resident memory", rss);
        gauge(f, "process_virtual_memory_bytes", "virtual memory", vsz);
    }
    if (fds >= 0)
        gauge(f, "process_open_fds", "open file descriptors", (double)fds);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        gauge(f, "process_max_fds", "the open-file soft limit", (double)rl.rlim_cur);
    pthread_once(&once, read_start_time);
    if (start_seconds >= 0)
        gauge(f, "process_start_time_seconds", "start time since the epoch", start_seconds);
}

int metrics_render(FILE *f, const struct metrics_view *v, const uint64_t *outcomes)
{
    for (int id = 0; id < STATS_COUNT; id++)
        if (!written_before(id))
            write_family(f, v, id);
    write_proc(f);
    gauge(f, "echod_accepting_paused", "1 while accepting is paused (SIGUSR2, --accept-rate 0)",
          __atomic_load_n(&v->ctl->paused, __ATOMIC_RELAXED));
    gauge(f, "echod_draining", "1 once SIGTERM/SIGINT started the stop",
          __atomic_load_n(&v->ctl->stop, __ATOMIC_RELAXED));
    gauge(f, "echod_workers", "worker threads", v->nworkers);
    fprintf(f, "# HELP echod_build_info the running version\n# TYPE echod_build_info gauge\n"
               "echod_build_info{version=\"%s\"} 1\n", TOOLKIT_VERSION);
    write_process(f);
    write_endpoint(f, outcomes);
    return ferror(f) ? -1 : 0;
}

int metrics_health(const struct metrics_view *v, const char **body)
{
    if (__atomic_load_n(&v->ctl->stop, __ATOMIC_RELAXED)) {
        *body = "draining\n";
        return 503;
    }
    if (__atomic_load_n(&v->ctl->paused, __ATOMIC_RELAXED)) {
        *body = "paused\n";
        return 503;
    }
    *body = "ok\n";
    return 200;
}

/* ---- the server ---- */

struct client {
    int fd;                  /* -1: slot free */
    uint64_t deadline_ns;
    size_t in_len;
    char in[HTTP_MAX_REQUEST];
    char *out;               /* the answer, once the request is whole */
    size_t out_len, out_pos;
};

struct metrics {
    struct metrics_view view;
    int listen_fd;
    int stop_fd;
    pthread_t thread;
    uint64_t outcomes[METRICS_NOUTCOMES];
    struct client clients[METRICS_MAX_CLIENTS];
};

static void drop(struct metrics *m, struct client *c, enum metrics_outcome why)
{
    if (why != METRICS_NOUTCOMES)
        m->outcomes[why]++;
    os_close(c->fd); /* nothing left to lose: the answer is sent, or abandoned */
    c->fd = -1;
    free(c->out);
    c->out = NULL;
}

/* Builds the answer to req into c->out.  Returns the outcome to count. */
static enum metrics_outcome answer(struct metrics *m, struct client *c,
                                   const struct http_request *req)
{
    char *page = NULL, *head = NULL;
    size_t page_len = 0;
    int code = 200;
    const char *type = "text/plain; version=0.0.4; charset=utf-8", *text = NULL, *body;
    enum metrics_outcome o = METRICS_OK;
    int is_get = http_method_is(req, "GET"), is_head = http_method_is(req, "HEAD");

    if (http_path_is(req, "/metrics") && (is_get || is_head)) {
        FILE *f = open_memstream(&page, &page_len);
        if (f == NULL || metrics_render(f, &m->view, m->outcomes) < 0 || fclose(f) != 0)
            return METRICS_IO_ERROR;
    } else if (http_path_is(req, "/healthz") && (is_get || is_head)) {
        code = metrics_health(&m->view, &text);
        o = code == 200 ? METRICS_OK : METRICS_UNHEALTHY;
        type = "text/plain; charset=utf-8";
    } else if (http_path_is(req, "/metrics") || http_path_is(req, "/healthz")) {
        code = 405, text = "method not allowed\n", o = METRICS_NOT_ALLOWED;
    } else {
        code = 404, text = "not found\n", o = METRICS_NOT_FOUND;
    }
    body = page != NULL ? page : text;
    size_t body_len = page != NULL ? page_len : strlen(text);
    const char *reason = code == 200 ? "OK" : code == 404 ? "Not Found"
                       : code == 405 ? "Method Not Allowed" : "Service Unavailable";
    int n = asprintf(&head, "HTTP/1.%d %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "%sConnection: close\r\n\r\n", req->minor, code, reason, type, body_len,
                     code == 405 ? "Allow: GET, HEAD\r\n" : "");
    if (n < 0) {
        free(page);
        return METRICS_IO_ERROR;
    }
    c->out_len = (size_t)n + (is_head ? 0 : body_len);
    c->out = malloc(c->out_len);
    if (c->out != NULL) {
        memcpy(c->out, head, (size_t)n);
        if (!is_head)
            memcpy(c->out + n, body, body_len);
    }
    free(head);
    free(page);
    return c->out != NULL ? o : METRICS_IO_ERROR;
}

/* The client is readable: reads, and answers once the request is whole. */
static void on_readable(struct metrics *m, struct client *c)
{
    struct http_request req;
    ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        drop(m, c, METRICS_IO_ERROR);
        return;
    }
    c->in_len += (size_t)n;
    switch (http_parse(c->in, c->in_len, &req)) {
    case HTTP_MORE:
        return;
    case HTTP_BAD:
        drop(m, c, METRICS_BAD_REQUEST);
        return;
    case HTTP_DONE:
        break;
    }
    enum metrics_outcome o = answer(m, c, &req);
    if (o == METRICS_IO_ERROR) {
        drop(m, c, o);
        return;
    }
    m->outcomes[o]++; /* counted now, so a scrape sees itself in the next one */
    c->deadline_ns = clock_now_ns() + METRICS_TIMEOUT_MS * CLOCK_NS_PER_MS;
}

static void on_writable(struct metrics *m, struct client *c)
{
    ssize_t n = send(c->fd, c->out + c->out_pos, c->out_len - c->out_pos,
                     MSG_NOSIGNAL | MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n < 0) {
        drop(m, c, METRICS_IO_ERROR);
        return;
    }
    c->out_pos += (size_t)n;
    if (c->out_pos == c->out_len)
        drop(m, c, METRICS_NOUTCOMES); /* done; counted when answered */
}

static void on_accept(struct metrics *m)
{
    for (;;) {
        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or an error the next readiness retries */
        struct client *c = NULL;
        for (int i = 0; i < METRICS_MAX_CLIENTS && c == NULL; i++)
            if (m->clients[i].fd < 0)
                c = &m->clients[i];
        if (c == NULL) {
            m->outcomes[METRICS_BUSY]++;
            os_close(fd); /* never read from: nothing to lose */
            continue;
        }
        c->fd = fd;
        c->in_len = c->out_len = c->out_pos = 0;
        c->deadline_ns = clock_now_ns() + METRICS_TIMEOUT_MS * CLOCK_NS_PER_MS;
    }
}

static int poll_timeout(const struct metrics *m, uint64_t now)
{
    uint64_t next = UINT64_MAX;

    for (int i = 0; i < METRICS_MAX_CLIENTS; i++)
        if (m->clients[i].fd >= 0 && m->clients[i].deadline_ns < next)
            next = m->clients[i].deadline_ns;
    if (next == UINT64_MAX)
        return -1;
    return next <= now ? 0 : (int)((next - now) / CLOCK_NS_PER_MS + 1);
}

static void *metrics_main(void *arg)
{
    struct metrics *m = arg;
    struct pollfd pfd[2 + METRICS_MAX_CLIENTS];

    for (;;) {
        pfd[0] = (struct pollfd){ m->stop_fd, POLLIN, 0 };
        pfd[1] = (struct pollfd){ m->listen_fd, POLLIN, 0 };
        for (int i = 0; i < METRICS_MAX_CLIENTS; i++) {
            struct client *c = &m->clients[i];
            pfd[2 + i] = (struct pollfd){ c->fd, c->out != NULL ? POLLOUT : POLLIN, 0 };
        }
        if (poll(pfd, 2 + METRICS_MAX_CLIENTS, poll_timeout(m, clock_now_ns())) < 0 &&
            errno != EINTR)
            return NULL; /* EFAULT/EINVAL cannot happen with this array */
        if (pfd[0].revents & POLLIN)
            return NULL;
        uint64_t now = clock_now_ns();
        for (int i = 0; i < METRICS_MAX_CLIENTS; i++) {
            struct client *c = &m->clients[i];
            if (c->fd < 0)
                continue;
            if (pfd[2 + i].revents & (POLLOUT | POLLERR | POLLHUP) && c->out != NULL)
                on_writable(m, c);
            else if (pfd[2 + i].revents & (POLLIN | POLLERR | POLLHUP))
                on_readable(m, c);
            if (c->fd >= 0 && now >= c->deadline_ns)
                drop(m, c, METRICS_TIMEOUT);
        }
        if (pfd[1].revents & POLLIN)
            on_accept(m);
    }
}

struct metrics *metrics_start(const struct sockaddr *addr, socklen_t addr_len,
                              const struct metrics_view *view,
                              struct sockaddr_storage *bound, char *err, size_t errlen)
{
    struct metrics *m = calloc(1, sizeof(*m));

    if (m == NULL) {
        snprintf(err, errlen, "--metrics: out of memory");
        return NULL;
    }
    m->view = *view;
    m->stop_fd = -1;
    for (int i = 0; i < METRICS_MAX_CLIENTS; i++)
        m->clients[i].fd = -1;
    if (listener_open_all(addr, addr_len, 16, 1, 1, 0, &m->listen_fd, bound, err, errlen) < 0) {
        free(m);
        return NULL;
    }
    m->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int rc = m->stop_fd < 0 ? errno : pthread_create(&m->thread, NULL, metrics_main, m);
    if (rc != 0) {
        snprintf(err, errlen, "--metrics: %s: %s", m->stop_fd < 0 ? "eventfd" : "pthread_create",
                 strerror(rc));
        if (m->stop_fd >= 0)
            os_close(m->stop_fd);
        os_close(m->listen_fd);
        free(m);
        return NULL;
    }
    return m;
}

void metrics_stop(struct metrics *m)
{
    uint64_t one = 1;

    if (m == NULL)
        return;
    /* An eventfd write fails only when the counter would overflow. */
    if (write(m->stop_fd, &one, sizeof(one)) < 0)
        fprintf(stderr, "echod: --metrics: eventfd: %s\n", strerror(errno));
    pthread_join(m->thread, NULL);
    for (int i = 0; i < METRICS_MAX_CLIENTS; i++)
        if (m->clients[i].fd >= 0)
            drop(m, &m->clients[i], METRICS_NOUTCOMES);
    os_close(m->stop_fd);   /* an eventfd and a listen socket: nothing to lose */
    os_close(m->listen_fd);
    free(m);
}
