/* soak.c - a bounded soak test of echod: churned connections, every byte
 * checked end to end, echod's memory and descriptors watched.
 *
 * usage: soak --echod PATH [--seconds N] [--conns N] [--seed N] [-- ARG...]
 *
 * Starts PATH [ARG...] --listen 127.0.0.1:0 -w 2 (so those two win over
 * any ARG; tests/helpers/flipecho takes its OFFSET there), then for N seconds
 * (default 60) keeps --conns connections (default 32) busy.  Each
 * connection sends 1 to 16 messages of 1 B to 1 MiB (sizes spread evenly
 * over the powers of two), keeps 1 to 16 of them in flight (pipelining),
 * and ends one of three ways: it closes once everything came back, it
 * half-closes after its last message and reads to EOF, or it resets
 * (SO_LINGER 0) at a random point.  The bytes come from a pattern of the
 * connection's seed and the stream offset, so every byte read back is
 * checked against what must come back.  Twice a second it samples echod's
 * resident memory and open descriptors from /proc/PID.
 *
 * At the end it waits for the last connections, stops echod with SIGTERM
 * and prints what it saw.  It exits 1 on any lost, extra or corrupted byte,
 * a connection that stalls 10 s or is refused or reset by echod, a
 * descriptor echod still holds once every connection is gone, memory that
 * grows in the second half of the run by more than a quarter over the
 * first half's peak (plus 4 MiB), echod's summary not agreeing (its
 * accepted connections and bytes against ours, and nothing refused, shed,
 * timed out or failed), or echod not exiting 0; 2 on bad usage.
 * Loopback only; every connection ends, the last within 30 s of the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"

#define MAX_CONNS 1000
#define MAX_MSGS 16
#define MAX_MSG (1u << 20)
#define CHUNK (64 * 1024)
#define STALL_NS (10ULL * 1000000000ULL)
#define DRAIN_NS (30ULL * 1000000000ULL)
#define SAMPLE_NS (500ULL * 1000000ULL)
#define MAX_EXTRA_ARGS 32
#define MAX_FAIL_LINES 20

enum ending {
    END_CLOSE,       /* close once every byte came back */
    END_HALF_CLOSE,  /* shutdown(SHUT_WR) after the last byte, read to EOF */
    END_RESET,       /* SO_LINGER 0 and close after reset_at bytes sent */
};

struct conn {
    int fd;                      /* -1: slot free */
    enum ending ending;
    uint64_t seed;               /* of the byte pattern */
    uint64_t end[MAX_MSGS];      /* stream offset where message i ends */
    int nmsgs, depth;            /* messages; how many may be in flight */
    uint64_t total;              /* end[nmsgs - 1] */
    uint64_t sent, recvd;
    uint64_t reset_at;           /* END_RESET only */
    int echoed;                  /* messages fully echoed */
    int shut;                    /* SHUT_WR done */
    uint32_t events;             /* what epoll watches now */
    uint64_t progress_ns;        /* last byte moved */
};

struct totals {
    uint64_t conns, closed, half_closed, resets;
    uint64_t bytes_sent, bytes_echoed;
    uint64_t lost;       /* bytes sent and never echoed, on connections echod broke */
    uint64_t corrupt;    /* connections that read a byte other than the one sent */
    uint64_t extra;      /* bytes read beyond those sent */
    uint64_t stalls, errors;
};

struct samples {
    long rss0, rss_first_max, rss_second_max, rss_last;   /* KiB */
    int fd0, fd_max, fd_last;
    int n;
};

static struct conn conns[MAX_CONNS];
static struct totals tot;
static uint64_t rng_state;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t rnd(void)
{
    return mix(rng_state++);
}

static uint64_t rnd_below(uint64_t n)
{
    return rnd() % n;
}

/* The pattern byte at stream offset off of a connection seeded seed. */
static void pattern(uint8_t *buf, size_t len, uint64_t seed, uint64_t off)
{
    for (size_t i = 0; i < len; ) {
        uint64_t word = mix(seed ^ mix((off + i) / 8));
        size_t k = (off + i) % 8;
        for (; k < 8 && i < len; k++, i++)
            buf[i] = (uint8_t)(word >> (8 * k));
    }
}

/* Prints one failure line; past MAX_FAIL_LINES they are only counted. */
static void fail_msg(const char *fmt, ...)
{
    static int printed;
    va_list ap;

    if (++printed > MAX_FAIL_LINES) {
        if (printed == MAX_FAIL_LINES + 1)
            fputs("soak: further failures are only counted\n", stderr);
        return;
    }
    va_start(ap, fmt);
    fputs("soak: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* One message size: a power of two 2^b (b from 0 to 19) plus up to as much
 * again, so each octave of sizes is as likely; now and then exactly 1 MiB. */
static uint64_t msg_size(void)
{
    if (rnd_below(32) == 0)
        return MAX_MSG;
    uint64_t b = 1ULL << rnd_below(20);
    return b + rnd_below(b);
}

/* Plans a connection's messages, pipelining depth and ending. */
static void plan(struct conn *c)
{
    static const int depths[] = { 1, 1, 2, 4, 8, 16 };
    uint64_t r = rnd_below(100);

    c->seed = rnd();
    c->nmsgs = 1 + (int)rnd_below(MAX_MSGS);
    c->depth = depths[rnd_below(sizeof(depths) / sizeof(depths[0]))];
    c->total = 0;
    for (int i = 0; i < c->nmsgs; i++)
        c->end[i] = c->total += msg_size();
    c->ending = r < 60 ? END_CLOSE : r < 85 ? END_HALF_CLOSE : END_RESET;
    c->reset_at = c->ending == END_RESET ? rnd_below(c->total + 1) : 0;
    c->sent = c->recvd = 0;
    c->echoed = 0;
    c->shut = 0;
    c->events = 0;
}

/* Bytes the connection may send now: up to the end of the last message
 * the pipelining depth allows. */
static uint64_t sendable(const struct conn *c)
{
    int last = c->echoed + c->depth - 1;
    uint64_t limit = c->end[last < c->nmsgs ? last : c->nmsgs - 1];

    if (c->ending == END_RESET && c->reset_at < limit)
        limit = c->reset_at;
    return limit > c->sent ? limit - c->sent : 0;
}

/* Whether the connection has something to do once writable: bytes to
 * send, or its reset (which waits for connect to complete). */
static int wants_out(const struct conn *c)
{
    return !c->shut && (sendable(c) > 0 || (c->ending == END_RESET && c->sent >= c->reset_at));
}

static void watch(int ep, struct conn *c)
{
    uint32_t want = EPOLLIN | EPOLLRDHUP | (wants_out(c) ? EPOLLOUT : 0);
    struct epoll_event ev = { .events = want, .data.ptr = c };

    if (want == c->events)
        return;
    if (epoll_ctl(ep, c->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c->fd, &ev) < 0) {
        fail_msg("epoll_ctl: %s", strerror(errno));
        exit(1);
    }
    c->events = want;
}

static void finish(struct conn *c, int linger0)
{
    if (linger0) {
        struct linger lg = { 1, 0 };
        if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
            fail_msg("setsockopt SO_LINGER: %s", strerror(errno)), tot.errors++;
    }
    if (close(c->fd) < 0)
        fail_msg("close: %s", strerror(errno)), tot.errors++;
    c->fd = -1;
}

/* Ends a connection that echod broke: counts what it still owed. */
static void broken(struct conn *c, const char *why)
{
    fail_msg("connection seed %#" PRIx64 ": %s after %" PRIu64 " of %" PRIu64
             " bytes echoed (%" PRIu64 " sent)", c->seed, why, c->recvd, c->total, c->sent);
    tot.lost += c->sent - c->recvd;
    tot.errors++;
    finish(c, 0);
}

static int open_conn(struct conn *c, const struct sockaddr_storage *ss, socklen_t len, int ep)
{
    int one = 1;

    c->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        fail_msg("socket: %s", strerror(errno));
        return -1;
    }
    if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
        (connect(c->fd, (const struct sockaddr *)ss, len) < 0 && errno != EINPROGRESS)) {
        fail_msg("connect: %s", strerror(errno));
        finish(c, 0);
        return -1;
    }
    plan(c);
    c->progress_ns = now_ns();
    tot.conns++;
    watch(ep, c);
    return 0;
}

/* Sends what the connection may send now; resets it when its time came.
 * Returns 0, or -1 when the connection ended. */
static int do_send(struct conn *c)
{
    uint8_t buf[CHUNK];

    for (;;) {
        if (c->ending == END_RESET && c->sent >= c->reset_at) {
            tot.resets++;
            finish(c, 1);
            return -1;
        }
        uint64_t n = sendable(c);
        if (n == 0)
            break;
        if (n > sizeof(buf))
            n = sizeof(buf);
        pattern(buf, n, c->seed, c->sent);
        ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (w < 0) {
            char why[64];
            snprintf(why, sizeof(why), "send: %s", strerror(errno));
            broken(c, why);
            return -1;
        }
        c->sent += (uint64_t)w;
        tot.bytes_sent += (uint64_t)w;
        c->progress_ns = now_ns();
    }
    if (c->ending == END_HALF_CLOSE && c->sent == c->total && !c->shut) {
        if (shutdown(c->fd, SHUT_WR) < 0) {
            broken(c, "shutdown");
            return -1;
        }
        c->shut = 1;
    }
    return 0;
}

/* Checks n bytes read at the connection's receive offset. */
static int check_bytes(struct conn *c, const uint8_t *buf, size_t n)
{
    uint8_t want[CHUNK];

    if (c->recvd + n > c->sent) {
        fail_msg("connection seed %#" PRIx64 ": %zu bytes back beyond the %" PRIu64 " sent",
                 c->seed, (size_t)(c->recvd + n - c->sent), c->sent);
        tot.extra += c->recvd + n - c->sent;
        return -1;
    }
    pattern(want, n, c->seed, c->recvd);
    if (memcmp(want, buf, n) != 0) {
        size_t i = 0;
        while (want[i] == buf[i])
            i++;
        fail_msg("connection seed %#" PRIx64 ": byte %" PRIu64 " is %#x, sent %#x",
                 c->seed, c->recvd + i, buf[i], want[i]);
        tot.corrupt++;
        return -1;
    }
    return 0;
}

/* Reads and checks what came back; ends the connection when it is done.
 * Returns 0, or -1 when the connection ended. */
static int do_recv(struct conn *c)
{
    uint8_t buf[CHUNK];

    for (;;) {
        ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (r < 0) {
            char why[64];
            snprintf(why, sizeof(why), "recv: %s", strerror(errno));
            broken(c, why);
            return -1;
        }
        if (r == 0) {
            if (c->ending == END_HALF_CLOSE && c->shut && c->recvd == c->total) {
                tot.half_closed++;
                finish(c, 0);
            } else {
                broken(c, "EOF from echod");
            }
            return -1;
        }
        if (check_bytes(c, buf, (size_t)r) < 0) {
            tot.errors++;
            finish(c, 0);
            return -1;
        }
        c->recvd += (uint64_t)r;
        tot.bytes_echoed += (uint64_t)r;
        c->progress_ns = now_ns();
        while (c->echoed < c->nmsgs && c->recvd >= c->end[c->echoed])
            c->echoed++;
        if (c->ending == END_CLOSE && c->recvd == c->total) {
            tot.closed++;
            finish(c, 0);
            return -1;
        }
    }
}

/* Resident memory of pid in KiB (the second field of /proc/PID/statm, in
 * pages); -1 when it cannot be read. */
static long read_rss_kib(pid_t pid)
{
    char path[64];
    long pages = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    if (fscanf(f, "%*s %ld", &pages) != 1)
        pages = -1;
    fclose(f);
    return pages < 0 ? -1 : pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static int count_fds(pid_t pid)
{
    char path[64];
    struct dirent *e;
    int n = 0;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    if ((d = opendir(path)) == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Takes one sample; second_half says which half of the run it is in. */
static void sample(struct samples *s, pid_t pid, int second_half)
{
    long rss = read_rss_kib(pid);
    int fds = count_fds(pid);

    if (rss < 0 || fds < 0) {
        fail_msg("cannot read /proc/%d (did echod die?)", (int)pid);
        exit(1);
    }
    if (s->n++ == 0)
        s->rss0 = rss, s->fd0 = fds;
    long *max = second_half ? &s->rss_second_max : &s->rss_first_max;
    if (rss > *max)
        *max = rss;
    if (fds > s->fd_max)
        s->fd_max = fds;
    s->rss_last = rss;
    s->fd_last = fds;
}

struct echod {
    pid_t pid;
    int out;                 /* its stdout */
    char text[65536];        /* what it printed */
    size_t len;
};

/* Reads what echod printed, waiting up to ms for more; returns 0 at EOF. */
static int read_echod(struct echod *e, int ms)
{
    struct pollfd p = { .fd = e->out, .events = POLLIN };

    if (poll(&p, 1, ms) <= 0)
        return 1;
    ssize_t r = read(e->out, e->text + e->len, sizeof(e->text) - 1 - e->len);
    if (r <= 0)
        return 0;
    e->len += (size_t)r;
    e->text[e->len] = '\0';
    return 1;
}

static void start_echod(struct echod *e, const char *path, char **extra, int nextra,
                        struct sockaddr_storage *ss, socklen_t *len)
{
    static char *const own[] = { "--listen", "127.0.0.1:0", "-w", "2" };
    char *argv[8 + MAX_EXTRA_ARGS] = { (char *)path };
    int pipefd[2], argc = 1;
    uint64_t deadline = now_ns() + 10000000000ULL;
    char *line;

    for (int i = 0; i < nextra; i++)
        argv[argc++] = extra[i];
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        argv[argc++] = own[i];
    argv[argc] = NULL;
    if (pipe2(pipefd, O_CLOEXEC) < 0 || (e->pid = fork()) < 0) {
        fail_msg("pipe/fork: %s", strerror(errno));
        exit(1);
    }
    if (e->pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        execv(path, argv);
        fprintf(stderr, "soak: exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    e->out = pipefd[0];
    e->len = 0;
    e->text[0] = '\0';
    while ((line = strstr(e->text, "listening on ")) == NULL || strchr(line, '\n') == NULL) {
        if (now_ns() > deadline || read_echod(e, 100) == 0) {
            fail_msg("echod did not start; it printed: %s", e->text);
            exit(1);
        }
    }
    char addr[128];
    if (sscanf(line, "listening on %127s", addr) != 1 || parse_hostport(addr, ss, len) < 0) {
        fail_msg("cannot read echod's address from: %s", line);
        exit(1);
    }
}

/* The number after the first " key=" in what echod printed: its summary's
 * totals line, which comes before the per-worker lines; -1 when absent. */
static long long summary_num(const char *text, const char *key)
{
    char pat[64];
    const char *hit;

    snprintf(pat, sizeof(pat), " %s=", key);
    hit = strstr(text, pat);
    return hit == NULL ? -1 : strtoll(hit + strlen(pat), NULL, 10);
}

static int ended(const struct conn *c)
{
    return c->fd < 0;
}

/* Drives every connection until the run ends and the last one is done. */
static void churn(int ep, int nconns, uint64_t run_ns, const struct sockaddr_storage *ss,
                  socklen_t len, struct samples *smp, pid_t pid)
{
    struct epoll_event evs[64];
    uint64_t start = now_ns(), next_sample = start, stop = start + run_ns;
    int active = 0;

    for (int i = 0; i < nconns; i++)
        conns[i].fd = -1;
    for (;;) {
        uint64_t now = now_ns();
        int opening = now < stop;
        if (!opening && active == 0)
            break;
        if (now > stop + DRAIN_NS) {
            fail_msg("%d connections still open %llu s after the end", active,
                     (unsigned long long)(DRAIN_NS / 1000000000ULL));
            tot.stalls += (uint64_t)active;
            break;
        }
        active = 0;
        for (int i = 0; i < nconns; i++) {
            struct conn *c = &conns[i];
            if (ended(c) && opening && open_conn(c, ss, len, ep) < 0)
                tot.errors++;
            if (ended(c))
                continue;
            if (now > c->progress_ns && now - c->progress_ns > STALL_NS) {
                tot.stalls++;
                broken(c, "no progress for 10 s");
                continue;
            }
            active++;
        }
        if (now >= next_sample) {
            sample(smp, pid, now - start > run_ns / 2);
            next_sample += SAMPLE_NS;
        }
        int n = epoll_wait(ep, evs, 64, 100);
        if (n < 0 && errno != EINTR) {
            fail_msg("epoll_wait: %s", strerror(errno));
            exit(1);
        }
        for (int k = 0; k < n; k++) {
            struct conn *c = evs[k].data.ptr;
            if (ended(c))
                continue;
            if ((evs[k].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) && do_recv(c) < 0)
                continue;
            if (do_send(c) < 0)
                continue;
            watch(ep, c);
        }
    }
}

static void usage(void)
{
    fputs("usage: soak --echod PATH [--seconds N] [--conns N] [--seed N] [-- ECHOD-ARG...]\n",
          stderr);
    exit(2);
}

/* echod's counters that a soak of well-behaved clients must leave at 0:
 * nothing refused, shed, timed out or failed. */
static const char *const never[] = {
    "refused", "shed", "idle_timeouts", "write_timeouts", "lifetime_closed",
    "linger_timeouts", "grace_closed", "io_errors", "nomem",
};

int main(int argc, char **argv)
{
    const char *echod_path = NULL;
    uint64_t secs = 60, nconns = 32, seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
    char **extra = NULL;
    int nextra = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            extra = argv + i + 1;
            nextra = argc - i - 1;
            break;
        }
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--echod") == 0)
            echod_path = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && parse_count(argv[i + 1], 1, 86400, &secs) == 0)
            i++;
        else if (strcmp(argv[i], "--conns") == 0 && parse_count(argv[i + 1], 1, MAX_CONNS, &nconns) == 0)
            i++;
        else if (strcmp(argv[i], "--seed") == 0 && parse_count(argv[i + 1], 0, UINT64_MAX, &seed) == 0)
            i++;
        else
            usage();
    }
    if (echod_path == NULL || nextra > MAX_EXTRA_ARGS)
        usage();
    rng_state = seed;
    signal(SIGPIPE, SIG_IGN);

    struct echod e;
    struct sockaddr_storage ss;
    socklen_t len;
    struct samples smp = { 0 };
    start_echod(&e, echod_path, extra, nextra, &ss, &len);
    sample(&smp, e.pid, 0);
    printf("soak: echod pid %d, %" PRIu64 " s, %" PRIu64 " connections at a time, seed %" PRIu64 "\n",
           (int)e.pid, secs, nconns, seed);
    fflush(stdout);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        fail_msg("epoll_create1: %s", strerror(errno));
        return 1;
    }
    uint64_t t0 = now_ns();
    churn(ep, (int)nconns, secs * 1000000000ULL, &ss, len, &smp, e.pid);
    double elapsed = (double)(now_ns() - t0) / 1e9;

    /* Every connection is closed on this side; echod must let go of each. */
    uint64_t deadline = now_ns() + 5000000000ULL;
    int fds;
    while ((fds = count_fds(e.pid)) > smp.fd0 && now_ns() < deadline)
        usleep(50000);
    smp.rss_last = read_rss_kib(e.pid);
    kill(e.pid, SIGTERM);
    while (read_echod(&e, 10000) != 0 && e.len < sizeof(e.text) - 1)
        ;
    int status = 0;
    waitpid(e.pid, &status, 0);

    long long acc = summary_num(e.text, "accepted"), bin = summary_num(e.text, "bytes_in"),
              bout = summary_num(e.text, "bytes_out"), act = summary_num(e.text, "active");
    printf("soak: %.1f s: %" PRIu64 " connections (%" PRIu64 " closed after the echo, %" PRIu64
           " half-closed, %" PRIu64 " reset), %.3f GB sent, %.3f GB echoed and checked\n",
           elapsed, tot.conns, tot.closed, tot.half_closed, tot.resets,
           (double)tot.bytes_sent / 1e9, (double)tot.bytes_echoed / 1e9);
    printf("soak: %" PRIu64 " bytes lost, %" PRIu64 " connections with a corrupted byte, %" PRIu64
           " bytes extra, %" PRIu64 " stalled connections, %" PRIu64 " errors\n",
           tot.lost, tot.corrupt, tot.extra, tot.stalls, tot.errors);
    printf("soak: echod RSS %ld KiB at start, peak %ld KiB in the first half, %ld KiB in the "
           "second, %ld KiB at the end; descriptors %d at start, peak %d, %d at the end\n",
           smp.rss0, smp.rss_first_max, smp.rss_second_max, smp.rss_last, smp.fd0, smp.fd_max, fds);
    printf("soak: echod's summary: accepted=%lld active=%lld bytes_in=%lld bytes_out=%lld "
           "resets=%lld\n", acc, act, bin, bout, summary_num(e.text, "resets"));

    int bad = tot.lost || tot.corrupt || tot.extra || tot.stalls || tot.errors;
    if (fds > smp.fd0)
        fail_msg("echod holds %d descriptors, %d more than before the run", fds, fds - smp.fd0), bad = 1;
    if (smp.rss_second_max > smp.rss_first_max + smp.rss_first_max / 4 + 4096)
        fail_msg("echod's memory grew: peak %ld KiB in the second half against %ld KiB in the first",
                 smp.rss_second_max, smp.rss_first_max), bad = 1;
    if (acc < 0 || act != 0 || acc > (long long)tot.conns ||
        acc < (long long)(tot.conns - tot.resets) || bout < (long long)tot.bytes_echoed ||
        bin > (long long)tot.bytes_sent || bin < bout)
        fail_msg("echod's summary does not agree with the connections made"), bad = 1;
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        if (summary_num(e.text, never[i]) != 0)
            fail_msg("echod's summary has %s=%lld, not 0", never[i],
                     summary_num(e.text, never[i])), bad = 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("echod did not exit 0 on SIGTERM (wait status %#x)", status), bad = 1;
    if (tot.conns == 0)
        fail_msg("no connection was made"), bad = 1;
    puts(bad ? "soak: FAILED" : "soak: ok");
    return bad;
}
