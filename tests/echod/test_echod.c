/* test_echod.c - bin/echod end to end: each test starts the server on an
 * ephemeral loopback port, talks to it as a client would, and stops it by
 * PID.  Data is a position-dependent pattern (sup_pattern), so a lost,
 * repeated or reordered byte fails the comparison.  Counters are read back
 * from the "summary:" lines echod prints when it exits.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "clock.h"
#include "os.h"
#include "support.h"

#define START(p, ...) start((p), (const char *const[]){ __VA_ARGS__, NULL })

/* Every server a test starts, so that the suite's fini can kill what a
 * failed assertion left running.  A pid is killed only while it is still
 * an unreaped child of ours, so a number the system reused is never hit. */
static pid_t started[8];
static int nstarted;

static void kill_leftovers(void)
{
    for (int i = 0; i < nstarted; i++) {
        if (waitpid(started[i], NULL, WNOHANG) == 0) {
            kill(started[i], SIGKILL);
            waitpid(started[i], NULL, 0);
        }
    }
    nstarted = 0;
}

TestSuite(echod, .fini = kill_leftovers);

static void start(struct sup_proc *p, const char *const *args)
{
    int rc = sup_start_server(p, "echod", args);

    if (p->pid > 0 && nstarted < (int)(sizeof(started) / sizeof(started[0])))
        started[nstarted++] = p->pid;
    cr_assert_eq(rc, 0, "echod did not start: %s", p->err ? p->err : "");
}

/* SIGTERM; echod must exit 0 (and print its summary). */
static void stop(struct sup_proc *p)
{
    int status = sup_stop(p, SIGTERM, 15000);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "echod exit status %#x; stderr: %s", status, p->err ? p->err : "");
}

/* The value of `key` in the last totals line "WHAT: k=v ..." of the
 * child's stdout, or -1. */
static long long counter(struct sup_proc *p, const char *what, const char *key)
{
    char head[32], pat[64];
    const char *line = NULL;

    sup_drain(p);
    snprintf(head, sizeof(head), "%s: ", what);
    snprintf(pat, sizeof(pat), " %s=", key);
    for (const char *s = p->out; s != NULL && (s = strstr(s, head)) != NULL; s++)
        if (strncmp(s + strlen(head), "worker ", 7) != 0)
            line = s;
    if (line == NULL)
        return -1;
    const char *hit = strstr(line, pat);
    const char *end = strchr(line, '\n');
    if (hit == NULL || (end != NULL && hit > end))
        return -1;
    return strtoll(hit + strlen(pat), NULL, 10);
}

static int connect_to(const struct sup_proc *p)
{
    int fd = sup_connect(p->host, p->port);
    cr_assert_geq(fd, 0, "connect %s:%d: %s", p->host, p->port, strerror(errno));
    return fd;
}

static void set_nonblocking(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* Sends pattern bytes [sent, total) while reading the echo of [got,
 * total), checking each byte.  Returns 0 when everything came back. */
static int pump(int fd, uint64_t seed, size_t total, size_t sent, size_t got)
{
    static uint8_t out[65536], in[65536], want[65536];
    int rc = 0;

    set_nonblocking(fd, 1);
    while (got < total && rc == 0) {
        struct pollfd pfd = { fd, (short)(POLLIN | (sent < total ? POLLOUT : 0)), 0 };
        if (poll(&pfd, 1, 10000) <= 0) {
            rc = -1; /* ten seconds without progress */
            break;
        }
        if (pfd.revents & POLLOUT) {
            size_t n = total - sent < sizeof(out) ? total - sent : sizeof(out);
            sup_pattern(out, n, seed, sent);
            ssize_t w = send(fd, out, n, MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN)
                rc = -1;
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(fd, in, sizeof(in), 0);
            if (r == 0 || (r < 0 && errno != EAGAIN))
                rc = -1;
            if (r > 0) {
                sup_pattern(want, (size_t)r, seed, got);
                if (memcmp(in, want, (size_t)r) != 0)
                    rc = -1;
                got += (size_t)r;
            }
        }
    }
    set_nonblocking(fd, 0);
    return rc;
}

/* Sends msg and expects exactly msg back. */
static void ping(int fd, const char *msg)
{
    char buf[256];
    size_t len = strlen(msg);

    cr_assert_eq(sup_write_all(fd, msg, len), 0);
    cr_assert_eq(sup_read_n(fd, buf, len, 5000), (ssize_t)len);
    cr_assert_eq(memcmp(buf, msg, len), 0);
}

/* What the peer does next, within timeout_ms: >0 bytes, 0 EOF, -1 reset,
 * -2 nothing at all. */
static ssize_t next_event(int fd, void *buf, size_t len, int timeout_ms)
{
    struct pollfd pfd = { fd, POLLIN, 0 };

    if (poll(&pfd, 1, timeout_ms) <= 0)
        return -2;
    ssize_t r = recv(fd, buf, len, 0);
    return r < 0 ? -1 : r;
}

/* Lets the test process hold n more descriptors; skips the test when the
 * hard limit does not allow it. */
static void need_fds(rlim_t n)
{
    struct rlimit rl;

    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_max < n + 64)
        cr_skip_test("open-file hard limit %lu is below %lu", (unsigned long)rl.rlim_max,
                     (unsigned long)(n + 64));
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

/* ---- data paths ---- */

Test(echod, echoes_16_mib_byte_exact, .timeout = 60)
{
    struct sup_proc p;

    START(&p, "-w", "2");
    int fd = connect_to(&p);
    cr_assert_eq(pump(fd, 16, 16u << 20, 0, 0), 0, "16 MiB did not come back intact");
    close(fd);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "bytes_in"), 16 << 20);
    cr_assert_eq(counter(&p, "summary", "bytes_out"), 16 << 20);
    sup_free(&p);
}

/* Closed loop, one 64 KiB message at a time.  echod echoes it in
 * --buffer-size pieces; without TCP_NODELAY the kernel holds back a piece
 * smaller than the MSS until the client's delayed ACK, so each round trip
 * stalled: with --no-nodelay 200 rounds took 8.8 s on loopback (44 ms
 * each), against about 20 ms with TCP_NODELAY (the default), sanitized
 * build included.  The bound sits far from both: a stall detector, not a
 * speed requirement. */
Test(echod, large_message_closed_loop_is_not_stalled_by_nagle, .timeout = 60)
{
    enum { LEN = 64 * 1024, ROUNDS = 200, BOUND_MS = 1000 };
    static uint8_t msg[LEN], back[LEN];
    struct sup_proc p;

    START(&p, "-w", "1");
    int fd = connect_to(&p);
    sup_pattern(msg, LEN, 64, 0);
    uint64_t t0 = clock_now_ns();
    for (int i = 0; i < ROUNDS; i++) {
        cr_assert_eq(sup_write_all(fd, msg, LEN), 0);
        cr_assert_eq(sup_read_n(fd, back, LEN, 5000), LEN, "round %d", i);
        cr_assert_eq(memcmp(msg, back, LEN), 0, "round %d", i);
    }
    uint64_t ms = (clock_now_ns() - t0) / CLOCK_NS_PER_MS;
    close(fd);
    stop(&p);
    sup_free(&p);
    cr_assert_lt(ms, BOUND_MS, "%d round trips of 64 KiB took %llu ms: stalled by Nagle?",
                 ROUNDS, (unsigned long long)ms);
}

Test(echod, echoes_on_2000_concurrent_connections, .timeout = 60)
{
    enum { N = 2000 };
    static int fds[N];
    struct sup_proc p;
    uint8_t msg[100], back[100];

    need_fds(N);
    START(&p, "-w", "2");
    for (int i = 0; i < N; i++)
        fds[i] = connect_to(&p);
    for (int i = 0; i < N; i++) {
        sup_pattern(msg, sizeof(msg), (uint64_t)i, 0);
        cr_assert_eq(sup_write_all(fds[i], msg, sizeof(msg)), 0);
    }
    for (int i = 0; i < N; i++) {
        sup_pattern(msg, sizeof(msg), (uint64_t)i, 0);
        cr_assert_eq(sup_read_n(fds[i], back, sizeof(back), 5000), (ssize_t)sizeof(back),
                     "connection %d", i);
        cr_assert_eq(memcmp(msg, back, sizeof(msg)), 0, "connection %d", i);
    }
    kill(p.pid, SIGUSR1);
    usleep(100000);
    cr_assert_eq(counter(&p, "stats", "active"), N);
    for (int i = 0; i < N; i++)
        close(fds[i]);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "accepted"), N);
    /* SO_REUSEPORT spreads connections by hash: both workers got some. */
    cr_assert_null(strstr(p.out, "summary: worker 0 accepted=0 "));
    cr_assert_null(strstr(p.out, "summary: worker 1 accepted=0 "));
    sup_free(&p);
}

Test(echod, half_close_returns_everything_then_eof, .timeout = 30)
{
    struct sup_proc p;
    enum { LEN = 300000 };
    static uint8_t data[LEN], back[LEN + 1];

    START(&p, "-w", "1");
    int fd = connect_to(&p);
    sup_pattern(data, LEN, 3, 0);
    /* Small enough to fit in the socket buffers both ways, so the client
     * can write it all before reading. */
    cr_assert_eq(sup_write_all(fd, data, LEN), 0);
    cr_assert_eq(shutdown(fd, SHUT_WR), 0);
    cr_assert_eq(sup_read_n(fd, back, LEN + 1, 5000), LEN, "all bytes, then EOF");
    cr_assert_eq(memcmp(data, back, LEN), 0);
    close(fd);
    stop(&p);
    sup_free(&p);
}

Test(echod, slow_reader_is_held_back_without_growing_memory, .timeout = 90)
{
    struct sup_proc p;
    static uint8_t chunk[65536];
    size_t sent = 0;

    START(&p, "-w", "1");
    int fd = connect_to(&p);
    ping(fd, "warm up");
    long before = sup_rss_kib(p.pid);

    /* Send without reading until every buffer on the way is full. */
    set_nonblocking(fd, 1);
    for (int idle = 0; idle < 5;) {
        sup_pattern(chunk, sizeof(chunk), 9, sent);
        ssize_t n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            idle = 0;
        } else {
            cr_assert(n < 0 && errno == EAGAIN);
            idle++;
            usleep(50000);
        }
    }
    set_nonblocking(fd, 0);
    long after = sup_rss_kib(p.pid);
    cr_log_info("slow reader: %zu bytes stuck in the kernel, echod RSS %ld -> %ld KiB",
                sent, before, after);
    cr_assert_gt(sent, 1u << 20, "the client should have got megabytes out");
    cr_assert_lt(after - before, 4096, "RSS grew by %ld KiB", after - before);

    /* Now read: every byte comes back, in order. */
    cr_assert_eq(pump(fd, 9, 64u << 20, sent, 0), 0);
    close(fd);
    stop(&p);
    sup_free(&p);
}

/* The flooding client's two halves: one thread sends as fast as the
 * server takes data, the other reads the echo back; both stop when the
 * socket is shut down. */
static void *flood_send(void *arg)
{
    static uint8_t buf[1 << 16];
    while (send(*(int *)arg, buf, sizeof(buf), MSG_NOSIGNAL) > 0)
        ;
    return NULL;
}

static _Atomic size_t flood_echoed; /* bytes flood_recv got back */

static void *flood_recv(void *arg)
{
    static uint8_t buf[1 << 16];
    ssize_t n;
    while ((n = recv(*(int *)arg, buf, sizeof(buf), 0)) > 0)
        flood_echoed += (size_t)n;
    return NULL;
}

/* Waits until the flood has had `bytes` echoed back, or 30 s; returns
 * what it got.  The pings must run while the flood really flows, however
 * slowly a loaded machine starts it. */
static size_t flood_wait(size_t bytes)
{
    uint64_t deadline = clock_now_ns() + 30000000000ull;
    while (flood_echoed < bytes && clock_now_ns() < deadline)
        usleep(10000);
    return flood_echoed;
}

Test(echod, flooding_peer_does_not_starve_the_others, .timeout = 60)
{
    struct sup_proc p;
    pthread_t tx, rx;

    START(&p, "-w", "1", "--buffer-size", "64k");
    int flood = connect_to(&p);
    int quiet = connect_to(&p);
    cr_assert_eq(pthread_create(&tx, NULL, flood_send, &flood), 0);
    flood_echoed = 0;
    cr_assert_eq(pthread_create(&rx, NULL, flood_recv, &flood), 0);
    size_t flowing = flood_wait(1u << 20);
    cr_assert_geq(flowing, 1u << 20, "the flood did not get 1 MiB echoed in 30 s (%zu B)",
                  flowing);
    for (int i = 0; i < 200; i++)
        ping(quiet, "are you still there?");
    shutdown(flood, SHUT_RDWR);
    pthread_join(tx, NULL);
    pthread_join(rx, NULL);
    close(flood);
    close(quiet);
    stop(&p);
    cr_assert_gt(counter(&p, "summary", "bytes_in"), 1 << 20, "the flood did flow");
    sup_free(&p);
}

/* ---- modes ---- */

Test(echod, hello_mode_writes_the_banner_and_closes, .timeout = 30)
{
    struct sup_proc p;
    char buf[64];

    START(&p, "-w", "1", "--mode", "hello");
    for (int i = 0; i < 3; i++) {
        int fd = connect_to(&p);
        cr_assert_eq(sup_read_n(fd, buf, sizeof(buf), 5000), 13);
        cr_assert_eq(memcmp(buf, "Hello World!\n", 13), 0);
        close(fd);
    }
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "accepted"), 3);
    cr_assert_eq(counter(&p, "summary", "closed"), 3);
    sup_free(&p);

    START(&p, "-w", "1", "--mode", "hello", "--banner", "220 ready\\r\\n");
    int fd = connect_to(&p);
    cr_assert_eq(sup_read_n(fd, buf, sizeof(buf), 5000), 11);
    cr_assert_eq(memcmp(buf, "220 ready\r\n", 11), 0);
    close(fd);
    stop(&p);
    sup_free(&p);
}

Test(echod, discard_mode_reads_and_never_writes, .timeout = 30)
{
    struct sup_proc p;
    static uint8_t data[1 << 20];
    char c;

    START(&p, "-w", "1", "--mode", "discard");
    int fd = connect_to(&p);
    cr_assert_eq(sup_write_all(fd, data, sizeof(data)), 0);
    cr_assert_eq(shutdown(fd, SHUT_WR), 0);
    cr_assert_eq(sup_read_n(fd, &c, 1, 5000), 0, "EOF, and no byte before it");
    close(fd);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "bytes_in"), sizeof(data));
    cr_assert_eq(counter(&p, "summary", "bytes_out"), 0);
    sup_free(&p);
}

/* ---- limits ---- */

Test(echod, max_conns_refuses_the_extra_connection, .timeout = 30)
{
    struct sup_proc p;
    char c;

    START(&p, "-w", "2", "--max-conns", "2");
    int a = connect_to(&p), b = connect_to(&p);
    ping(a, "a");
    ping(b, "b");
    int extra = connect_to(&p);
    cr_assert_eq(next_event(extra, &c, 1, 5000), 0, "closed at once");
    close(extra);
    close(a);
    /* Room again once the server has seen a's close: retried until then. */
    int again = -1;
    for (int i = 0; i < 50 && again < 0; i++) {
        again = connect_to(&p);
        if (sup_write_all(again, "again", 5) < 0 || next_event(again, &c, 1, 5000) != 1) {
            close(again);
            again = -1;
            usleep(100000);
        }
    }
    cr_assert_geq(again, 0, "never served again after a close");
    close(again);
    close(b);
    stop(&p);
    long long refused = counter(&p, "summary", "refused");
    cr_assert_geq(refused, 1);
    cr_assert_eq(counter(&p, "summary", "accepted"), 3);
    cr_assert_eq(counter(&p, "summary", "closed"), 3);
    sup_free(&p);
}

Test(echod, idle_timeout_closes_only_idle_connections, .timeout = 30)
{
    struct sup_proc p;
    char c;

    START(&p, "-w", "1", "--idle-timeout", "500ms");
    int idle = connect_to(&p), busy = connect_to(&p);
    ping(idle, "x");
    uint64_t t0 = clock_now_ns();
    while (clock_now_ns() - t0 < 1500 * CLOCK_NS_PER_MS) {
        ping(busy, "still here");
        usleep(100000);
    }
    cr_assert_eq(next_event(idle, &c, 1, 0), 0, "the idle one was closed");
    ping(busy, "and alive");
    close(idle);
    close(busy);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "idle_timeouts"), 1);
    sup_free(&p);
}

/* Clock ticks of CPU time the process has used. */
static long cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long ut = 0, st = 0;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *s = strrchr(buf, ')');
    cr_assert_eq(sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st), 2);
    return (long)(ut + st);
}

Test(echod, emfile_sheds_clients_without_spinning_and_recovers, .timeout = 60)
{
    enum { N = 40 };
    struct sup_proc p;
    int fds[N], served = 0, shed = 0;
    char buf[8];

    START(&p, "-w", "1");
    struct rlimit tight = { 24, 24 };
    cr_assert_eq(prlimit(p.pid, RLIMIT_NOFILE, &tight, NULL), 0, "%s", strerror(errno));
    for (int i = 0; i < N; i++)
        fds[i] = connect_to(&p);
    for (int i = 0; i < N; i++) {
        /* Served: the echo.  Shed: EOF or a reset.  Never silence. */
        sup_write_all(fds[i], "ping", 4);
        ssize_t r = next_event(fds[i], buf, sizeof(buf), 5000);
        cr_assert_neq(r, -2, "client %d left hanging", i);
        if (r > 0)
            served++;
        else
            shed++;
    }
    cr_assert_gt(served, 0);
    cr_assert_gt(shed, 0);

    long t0 = cpu_ticks(p.pid);
    usleep(500000);
    long used = cpu_ticks(p.pid) - t0;
    cr_assert_lt(used, sysconf(_SC_CLK_TCK) / 5, "echod used %ld ticks while idle", used);

    for (int i = 0; i < N; i++)
        close(fds[i]);
    usleep(200000);
    int fd = connect_to(&p);
    ping(fd, "served again");
    close(fd);
    stop(&p);
    cr_assert_geq(counter(&p, "summary", "emfile"), shed);
    cr_assert_eq(counter(&p, "summary", "shed"), shed);
    sup_free(&p);
}

/* Connects n clients, sends "ping" on each, then waits up to timeout_ms
 * for every one of them to hear something: its echo (served) or EOF or a
 * reset (shed).  Leaves the descriptors in fds; returns how many heard
 * nothing at all (left hanging). */
static int storm_once(const struct sup_proc *p, int *fds, int n, int timeout_ms, int *served,
                      int *shed)
{
    struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
    uint64_t deadline = clock_now_ns() + (uint64_t)timeout_ms * CLOCK_NS_PER_MS;
    int left = n;
    char buf[8];

    cr_assert_not_null(pfd);
    *served = *shed = 0;
    for (int i = 0; i < n; i++) {
        fds[i] = connect_to(p);
        send(fds[i], "ping", 4, MSG_NOSIGNAL); /* a shed client may have been reset */
        pfd[i] = (struct pollfd){ fds[i], POLLIN, 0 };
    }
    while (left > 0 && clock_now_ns() < deadline) {
        if (poll(pfd, (nfds_t)n, 100) < 0)
            break;
        for (int i = 0; i < n; i++) {
            if (pfd[i].fd < 0 || pfd[i].revents == 0)
                continue;
            ssize_t r = recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (r < 0 && errno == EAGAIN)
                continue;
            *(r > 0 ? served : shed) += 1;
            pfd[i].fd = -1;
            left--;
        }
    }
    free(pfd);
    return left;
}

/* storm_once against a server at its descriptor limit: every client is
 * served or shed within 20 s, some of each; then closes them all.
 * Returns how many were shed. */
static int storm(const struct sup_proc *p, int n)
{
    int *fds = calloc((size_t)n, sizeof(*fds)), served, shed;

    cr_assert_not_null(fds);
    int hanging = storm_once(p, fds, n, 20000, &served, &shed);
    cr_assert_eq(hanging, 0, "%d of %d clients left hanging (%d served, %d shed)", hanging, n,
                 served, shed);
    cr_assert_gt(served, 0);
    cr_assert_gt(shed, 0);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    return shed;
}

/* Starts echod as START does, under an open-file limit of nofile (soft and
 * hard) from its first instruction, through util-linux's prlimit(1). */
static void start_limited_argv(struct sup_proc *p, int nofile, const char *const *args)
{
    static const char prlimit_bin[] = "/usr/bin/prlimit";
    char limit[32], *echod = sup_bin("echod");
    const char *argv[32] = { "prlimit", limit, echod };
    int n = 3;

    if (access(prlimit_bin, X_OK) != 0)
        cr_skip_test("%s (util-linux) is missing", prlimit_bin);
    snprintf(limit, sizeof(limit), "--nofile=%d:%d", nofile, nofile);
    for (int i = 0; args[i] != NULL && n < 28; i++)
        argv[n++] = args[i];
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    argv[n] = NULL;
    int rc = sup_spawn(p, prlimit_bin, (char *const *)argv);
    if (p->pid > 0 && nstarted < (int)(sizeof(started) / sizeof(started[0])))
        started[nstarted++] = p->pid;
    cr_assert_eq(rc, 0);
    cr_assert_eq(sup_wait_listening(p, 10000), 0, "echod did not start: %s",
                 p->err ? p->err : "");
    free(echod);
}
#define start_limited(p, nofile, ...) \
    start_limited_argv((p), (nofile), (const char *const[]){ __VA_ARGS__, NULL })

/* Issue 9, fault 1: with 2 workers at the descriptor limit, one worker's
 * reserve descriptor was taken by the other's accept and never came back:
 * of 400 clients, many hung connected, neither served nor closed. */
Test(echod, issue9_fault1_shedding_at_the_fd_limit_with_2_workers, .timeout = 90)
{
    struct sup_proc p;

    need_fds(400);
    start_limited(&p, 120, "-w", "2");
    int shed = storm(&p, 400);
    usleep(300000);
    int fd = connect_to(&p);
    ping(fd, "served again");
    close(fd);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "shed"), shed);
    cr_assert_eq(counter(&p, "summary", "emfile"), 0, "the cap kept echod off the limit");
    cr_assert_lt(counter(&p, "summary", "conn_cap"), 120);
    cr_assert_not_null(strstr(p.err, "echod: out of descriptors (connection cap"), "%s", p.err);
    sup_free(&p);
}

/* The same with the limit lowered while echod runs, so that accept4 does
 * fail with EMFILE: the reserve descriptor the workers share sheds every
 * excess client, and the cap drops to what is open. */
Test(echod, issue9_fault1_limit_lowered_while_running_with_2_workers, .timeout = 90)
{
    struct sup_proc p;

    need_fds(400);
    START(&p, "-w", "2");
    struct rlimit tight = { 120, 120 };
    cr_assert_eq(prlimit(p.pid, RLIMIT_NOFILE, &tight, NULL), 0, "%s", strerror(errno));
    int shed = storm(&p, 400);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "shed"), shed);
    cr_assert_gt(counter(&p, "summary", "emfile"), 0);
    cr_assert_lt(counter(&p, "summary", "conn_cap"), 120, "the cap came down");
    cr_assert_not_null(strstr(p.err, "echod: out of descriptors"), "%s", p.err);
    sup_free(&p);
}

/* ---- listeners ---- */

/* Listening TCP sockets the process holds: its socket inodes that
 * /proc/net/tcp and tcp6 list in state 0A (LISTEN). */
static int count_listeners(pid_t pid)
{
    char path[64], link[128], line[512];
    unsigned long inodes[256];
    int ninodes = 0, count = 0;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL && ninodes < 256;) {
        char fdpath[320];
        snprintf(fdpath, sizeof(fdpath), "%s/%s", path, e->d_name);
        ssize_t n = readlink(fdpath, link, sizeof(link) - 1);
        if (n > 0) {
            link[n] = '\0';
            if (sscanf(link, "socket:[%lu]", &inodes[ninodes]) == 1)
                ninodes++;
        }
    }
    closedir(d);
    const char *tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
    for (int t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "r");
        if (f == NULL)
            continue;
        while (fgets(line, sizeof(line), f) != NULL) {
            unsigned st;
            unsigned long ino;
            if (sscanf(line, " %*s %*s %*s %x %*s %*s %*s %*s %*s %lu", &st, &ino) != 2 || st != 0x0A)
                continue;
            for (int i = 0; i < ninodes; i++)
                count += inodes[i] == ino;
        }
        fclose(f);
    }
    return count;
}

Test(echod, one_listening_socket_per_worker_or_one_shared, .timeout = 30)
{
    struct sup_proc p;

    START(&p, "-w", "3");
    cr_assert_not_null(strstr(p.out, "(3 workers)"));
    cr_assert_eq(count_listeners(p.pid), 3);
    stop(&p);
    sup_free(&p);

    START(&p, "-w", "3", "--shared-listener");
    cr_assert_eq(count_listeners(p.pid), 1);
    int fds[6];
    for (int i = 0; i < 6; i++) {
        fds[i] = connect_to(&p);
        ping(fds[i], "shared");
    }
    for (int i = 0; i < 6; i++)
        close(fds[i]);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "accepted"), 6);
    sup_free(&p);

    START(&p, "-w", "1");
    cr_assert_not_null(strstr(p.out, "(1 worker)"), "%s", p.out);
    cr_assert_eq(count_listeners(p.pid), 1);
    stop(&p);
    sup_free(&p);
}

Test(echod, refuses_a_port_in_use, .timeout = 30)
{
    struct sup_proc a;
    char listen[80];

    START(&a, "-w", "2");
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", a.port);
    char *path = sup_bin("echod");
    char *argv[] = { "echod", "--listen", listen, "-w", "2", NULL };
    char *err = NULL;
    int status = sup_run(path, argv, 10000, NULL, &err);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %#x", status);
    cr_assert_not_null(strstr(err, "Address already in use"), "%s", err);
    free(err);
    free(path);
    stop(&a);
    sup_free(&a);
}

Test(echod, ipv6_loopback, .timeout = 30)
{
    struct sup_proc p;
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

    if (probe < 0 || bind(probe, (struct sockaddr *)&any, sizeof(any)) < 0)
        cr_skip_test("no IPv6 loopback here");
    close(probe);
    START(&p, "--listen", "[::1]:0", "-w", "1");
    cr_assert_str_eq(p.host, "::1");
    int fd = connect_to(&p);
    ping(fd, "over IPv6");
    close(fd);
    stop(&p);
    sup_free(&p);
}

/* ---- signals and shutdown ---- */

Test(echod, sigterm_with_data_in_flight_loses_nothing, .timeout = 30)
{
    struct sup_proc p;
    enum { LEN = 32768 };
    static uint8_t data[LEN], back[LEN + 1];

    START(&p, "-w", "1");
    int fd = connect_to(&p);
    ping(fd, "accepted");
    sup_pattern(data, LEN, 5, 0);
    cr_assert_eq(sup_write_all(fd, data, LEN), 0);
    kill(p.pid, SIGTERM);
    cr_assert_eq(sup_read_n(fd, back, LEN + 1, 5000), LEN, "every byte, then EOF");
    cr_assert_eq(memcmp(data, back, LEN), 0);
    int status = sup_wait(&p, 10000);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    cr_assert_neq(counter(&p, "summary", "bytes_out"), -1, "summary printed");
    close(fd);
    sup_free(&p);
}

/* One streaming client of stream_until_stopped. */
struct streamer {
    int fd;
    uint64_t sent, got;
    int state;          /* 0 streaming, 1 EOF seen, -1 error (errno in err) */
    int err;
};

/* Sends pattern bytes as fast as s->fd takes them and checks every echoed
 * byte; after stop_sent, sends no more.  Returns 0, or -1 on a wrong byte. */
static int stream_step(struct streamer *s, uint64_t seed, short revents, int stop_sending)
{
    static uint8_t out[16384], in[4096], want[4096];

    if ((revents & POLLOUT) && !stop_sending) {
        sup_pattern(out, sizeof(out), seed, s->sent);
        ssize_t w = send(s->fd, out, sizeof(out), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0)
            s->sent += (uint64_t)w;
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t r = recv(s->fd, in, sizeof(in), MSG_DONTWAIT);
        if (r > 0) {
            sup_pattern(want, (size_t)r, seed, s->got);
            if (memcmp(in, want, (size_t)r) != 0)
                return -1;
            s->got += (uint64_t)r;
        } else if (r == 0) {
            s->state = 1;
        } else if (errno != EAGAIN) {
            s->state = -1;
            s->err = errno;
        }
    }
    return 0;
}

/* Issue 9, fault 2: SIGTERM closed connections with unread input; the
 * reset discarded what echod had written but the kernel not yet sent, so
 * 22 of 50 streaming clients lost 66.8 MB already echoed.  These clients
 * read slowly (small receive buffers) so that echod's send queues are
 * full at the stop.  Every byte echod sends must arrive, then EOF. */
Test(echod, issue9_fault2_sigterm_with_streaming_clients_loses_no_echoed_byte, .timeout = 60)
{
    enum { N = 20, WARM = 256 * 1024 };
    struct streamer st[N];
    struct pollfd pfd[N];
    struct sup_proc p;
    int stopped = 0, left = N;

    START(&p, "-w", "2");
    for (int i = 0; i < N; i++) {
        int small = 4096;
        st[i] = (struct streamer){ .fd = socket(AF_INET, SOCK_STREAM, 0) };
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p.port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        cr_assert_eq(setsockopt(st[i].fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
        cr_assert_eq(connect(st[i].fd, (struct sockaddr *)&to, sizeof(to)), 0);
        set_nonblocking(st[i].fd, 1);
    }
    uint64_t deadline = clock_now_ns() + 40 * CLOCK_NS_PER_SEC;
    while (left > 0 && clock_now_ns() < deadline) {
        int warm = 0;
        for (int i = 0; i < N; i++) {
            pfd[i] = (struct pollfd){ st[i].state == 0 ? st[i].fd : -1, POLLIN | POLLOUT, 0 };
            warm += st[i].got >= WARM;
        }
        if (!stopped && warm == N) {
            kill(p.pid, SIGTERM);
            stopped = 1;
        }
        cr_assert_geq(poll(pfd, N, 100), 0);
        for (int i = 0; i < N; i++) {
            if (pfd[i].fd < 0 || pfd[i].revents == 0)
                continue;
            cr_assert_eq(stream_step(&st[i], (uint64_t)i, pfd[i].revents, 0), 0,
                         "client %d: a wrong byte at %llu", i, (unsigned long long)st[i].got);
            if (st[i].state != 0)
                left--, close(st[i].fd);
        }
    }
    cr_assert(stopped, "the clients never got going");
    cr_assert_eq(left, 0, "%d clients saw no end", left);
    uint64_t got = 0;
    for (int i = 0; i < N; i++) {
        cr_assert_eq(st[i].state, 1, "client %d: %s instead of EOF", i, strerror(st[i].err));
        got += st[i].got;
    }
    int status = sup_wait(&p, 15000);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    long long sent = counter(&p, "summary", "bytes_out");
    cr_assert_eq(sent, (long long)got, "echod sent %lld bytes, the clients received %llu",
                 sent, (unsigned long long)got);
    cr_assert_eq(counter(&p, "summary", "io_errors"), 0);
    cr_assert_eq(counter(&p, "summary", "grace_closed"), 0);
    sup_free(&p);
}

/* Issue 10, section 2: 100 clients closing with echoes unread showed up as
 * resets=11 io_errors=89 (shutdown after the peer's reset failed with
 * ENOTCONN).  Clean closes and closes with unread echoes count no I/O
 * error. */
Test(echod, issue10_closes_with_unread_echoes_are_not_io_errors, .timeout = 60)
{
    enum { N = 100 };
    static char blob[4096];
    struct sup_proc p;

    START(&p, "-w", "2");
    for (int i = 0; i < N; i++) {
        int fd = connect_to(&p);
        ping(fd, "clean");
        close(fd);
    }
    for (int i = 0; i < N; i++) {
        int fd = connect_to(&p);
        ping(fd, "first");
        /* Closed before its echo comes back: FIN, then the echo meets a
         * closed socket and the client's kernel answers with a reset. */
        cr_assert_eq(sup_write_all(fd, blob, sizeof(blob)), 0);
        close(fd);
    }
    usleep(300000);
    int fd = connect_to(&p);
    ping(fd, "last");
    close(fd);
    usleep(100000);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "closed"), 2 * N + 1);
    cr_assert_eq(counter(&p, "summary", "io_errors"), 0, "%s", p.out);
    sup_free(&p);
}

/* Issue 11: SIGTERM reset the connections still in the accept queue, and
 * the summary did not count them.  Now they are accepted, served, and
 * closed cleanly. */
Test(echod, issue11_sigterm_serves_the_accept_queue, .timeout = 30)
{
    enum { N = 5 };
    struct sup_proc p;
    int fds[N];
    char buf[16];

    START(&p, "-w", "1", "--accept-rate", "0");
    for (int i = 0; i < N; i++) {
        fds[i] = connect_to(&p);
        cr_assert_eq(sup_write_all(fds[i], "queued", 6), 0);
    }
    usleep(100000);
    kill(p.pid, SIGTERM);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(sup_read_n(fds[i], buf, sizeof(buf), 5000), 6, "client %d: %s", i,
                     strerror(errno));
        cr_assert_eq(memcmp(buf, "queued", 6), 0);
        close(fds[i]);
    }
    int status = sup_wait(&p, 10000);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    cr_assert_eq(counter(&p, "summary", "accepted"), N);
    cr_assert_eq(counter(&p, "summary", "resets"), 0);
    cr_assert_not_null(strstr(p.err, "stopping"), "shutdown is logged: %s", p.err);
    sup_free(&p);
}

/* Issue 9, fault 2, hello mode: clients that send before reading were
 * reset (about 95% in one run) and could lose the banner.  Each gets the
 * whole banner, then EOF. */
Test(echod, issue9_fault2_hello_does_not_reset_clients_that_send_first, .timeout = 60)
{
    enum { N = 50 };
    static char request[2048];
    struct sup_proc p;
    char buf[64];

    START(&p, "-w", "2", "--mode", "hello");
    for (int i = 0; i < N; i++) {
        int fd = connect_to(&p);
        cr_assert_eq(sup_write_all(fd, request, sizeof(request)), 0);
        usleep(2000);
        cr_assert_eq(sup_read_n(fd, buf, 13, 5000), 13, "client %d", i);
        cr_assert_eq(memcmp(buf, "Hello World!\n", 13), 0);
        ssize_t end = next_event(fd, buf, sizeof(buf), 5000);
        cr_assert_eq(end, 0, "client %d: %s after the banner, not EOF", i,
                     end == -1 ? "a reset" : end == -2 ? "nothing" : "more bytes");
        close(fd);
    }
    usleep(200000);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "io_errors"), 0);
    cr_assert_eq(counter(&p, "summary", "closed"), N);
    sup_free(&p);
}

/* A client that sends until everything is full and never reads: its
 * connection always owes data. */
static int stuck_client(const struct sup_proc *p)
{
    static uint8_t chunk[65536];
    int fd = connect_to(p);

    ping(fd, "hi");
    set_nonblocking(fd, 1);
    for (int idle = 0; idle < 3;) {
        if (send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) > 0)
            idle = 0;
        else
            idle++, usleep(30000);
    }
    return fd;
}

/* A client that sends until its socket blocks and never reads; returns
 * the descriptor and stores in *sent what it got out. */
static int sender_only(const struct sup_proc *p, uint64_t seed, size_t *sent)
{
    static uint8_t chunk[65536];
    int fd = connect_to(p);

    *sent = 0;
    set_nonblocking(fd, 1);
    for (int idle = 0; idle < 3;) {
        sup_pattern(chunk, sizeof(chunk), seed, *sent);
        ssize_t n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
        if (n > 0)
            *sent += (size_t)n, idle = 0;
        else
            idle++, usleep(30000);
    }
    return fd;
}

/* Never-reading clients against a budget of two --buffer-size buffers:
 * two hold one each and the third waits (counted) with its input left in
 * the kernel; a newcomer waits too.  Meanwhile echod's buffered gauge is
 * the budget, its RSS stays flat and it burns no CPU.  When the stuck
 * clients read their echoes back, the buffers they free go round, the
 * waiting connections are resumed in turn, every byte comes back, and the
 * newcomer gets its echo. */
Test(echod, never_reading_clients_wait_within_the_buffer_budget, .timeout = 90)
{
    struct sup_proc p;
    enum { STUCK = 3 };
    static uint8_t back[65536], want[65536];
    int fd[STUCK];
    size_t sent[STUCK];
    char buf[8];

    START(&p, "-w", "1", "--buffer-size", "16k", "--buffer-memory", "32k");
    long rss0 = sup_rss_kib(p.pid);
    for (int i = 0; i < STUCK; i++)
        fd[i] = sender_only(&p, (uint64_t)i + 20, &sent[i]);
    int late = connect_to(&p);
    cr_assert_eq(sup_write_all(late, "hello", 5), 0);
    cr_assert_eq(next_event(late, buf, sizeof(buf), 300), -2, "no buffer: it waits");

    long ticks0 = cpu_ticks(p.pid);
    usleep(500000);
    long idle_ticks = cpu_ticks(p.pid) - ticks0;
    kill(p.pid, SIGUSR1);
    usleep(200000);
    cr_assert_eq(counter(&p, "stats", "buffered"), 32768);
    cr_assert_geq(counter(&p, "stats", "memory_waits"), 2);
    cr_assert_eq(counter(&p, "stats", "nomem"), 0);
    long rss1 = sup_rss_kib(p.pid);
    cr_log_info("never-reading clients: RSS %ld -> %ld KiB, %ld ticks in 0.5 s of waiting",
                rss0, rss1, idle_ticks);
    cr_assert_lt(rss1 - rss0, 2048, "RSS grew by %ld KiB", rss1 - rss0);
    cr_assert_lt(idle_ticks, 20, "waiting connections cost no CPU (%ld ticks)", idle_ticks);

    /* All three read at once: which stuck connection the freed buffers
     * go to is the worker's choice, and one that gets a buffer and is not
     * read would hold it, leaving a reader that waits for memory. */
    size_t got[STUCK] = { 0 };
    for (int left = STUCK; left > 0;) {
        struct pollfd pfd[STUCK];
        for (int i = 0; i < STUCK; i++)
            pfd[i] = (struct pollfd){ .fd = got[i] < sent[i] ? fd[i] : -1, .events = POLLIN };
        cr_assert_gt(poll(pfd, STUCK, 10000), 0, "echoes stopped: %zu, %zu, %zu back",
                     got[0], got[1], got[2]);
        for (int i = 0; i < STUCK; i++) {
            if (!(pfd[i].revents & POLLIN))
                continue;
            size_t want_n = sent[i] - got[i] < sizeof(back) ? sent[i] - got[i] : sizeof(back);
            ssize_t r = recv(fd[i], back, want_n, MSG_DONTWAIT);
            cr_assert_gt(r, 0, "client %d: %zu of %zu bytes back", i, got[i], sent[i]);
            sup_pattern(want, (size_t)r, (uint64_t)i + 20, got[i]);
            cr_assert_eq(memcmp(back, want, (size_t)r), 0, "client %d: bytes at %zu", i, got[i]);
            got[i] += (size_t)r;
            left -= got[i] == sent[i];
        }
    }
    cr_assert_eq(sup_read_n(late, buf, 5, 10000), 5, "resumed once memory freed");
    cr_assert_eq(memcmp(buf, "hello", 5), 0);
    for (int i = 0; i < STUCK; i++)
        close(fd[i]);
    close(late);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "buffered"), 0);
    sup_free(&p);
}

Test(echod, grace_period_ends_stuck_connections, .timeout = 30)
{
    struct sup_proc p;

    START(&p, "-w", "1", "--grace", "300ms");
    int fd = stuck_client(&p);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "grace_closed"), 1);
    close(fd);
    sup_free(&p);
}

/* Issue 9, fault 3: a client that never reads held its owed output (and
 * its kernel buffers) for ever.  --write-timeout closes it; a client that
 * is merely idle, owing nothing, stays. */
Test(echod, issue9_fault3_write_timeout_closes_a_client_that_never_reads, .timeout = 30)
{
    struct sup_proc p;

    START(&p, "-w", "1", "--write-timeout", "300ms", "--buffer-size", "4k", "--sndbuf", "4k",
          "--rcvbuf", "4k");
    int idle = connect_to(&p);
    ping(idle, "idle");
    uint64_t t0 = clock_now_ns();
    int fd = stuck_client(&p);
    struct pollfd pfd = { fd, POLLRDHUP, 0 }; /* echoes wait unread: POLLIN says nothing */
    cr_assert_eq(poll(&pfd, 1, 5000), 1, "the stuck client is never closed");
    cr_assert_geq(clock_now_ns() - t0, 300 * CLOCK_NS_PER_MS, "closed before its timeout");
    ping(idle, "still here");
    close(fd);
    close(idle);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "write_timeouts"), 1);
    sup_free(&p);
}

/* Issue 9, fault 3: a client that trickles a byte now and then defeats
 * --idle-timeout; --max-lifetime ends it however busy it is. */
Test(echod, issue9_fault3_max_lifetime_ends_a_trickling_client, .timeout = 30)
{
    struct sup_proc p;
    char c;

    START(&p, "-w", "1", "--idle-timeout", "200ms", "--max-lifetime", "600ms");
    int fd = connect_to(&p);
    uint64_t t0 = clock_now_ns();
    int closed = 0;
    while (!closed && clock_now_ns() - t0 < 5 * CLOCK_NS_PER_SEC) {
        usleep(50000);
        if (send(fd, "x", 1, MSG_NOSIGNAL) != 1 || sup_read_n(fd, &c, 1, 2000) != 1)
            closed = 1;
    }
    uint64_t ms = (clock_now_ns() - t0) / CLOCK_NS_PER_MS;
    cr_assert(closed, "still open after %llu ms", (unsigned long long)ms);
    cr_assert_geq(ms, 550, "closed after %llu ms, before its lifetime", (unsigned long long)ms);
    close(fd);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "lifetime_closed"), 1);
    cr_assert_eq(counter(&p, "summary", "idle_timeouts"), 0);
    sup_free(&p);
}

Test(echod, second_signal_exits_at_once, .timeout = 30)
{
    struct sup_proc p;

    START(&p, "-w", "1", "--grace", "60s");
    int fd = stuck_client(&p);
    kill(p.pid, SIGINT);
    usleep(200000);
    cr_assert_eq(sup_wait(&p, 0), -1, "still finishing its connection");
    kill(p.pid, SIGINT);
    int status = sup_wait(&p, 5000);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGINT, "status %#x", status);
    close(fd);
    sup_free(&p);
}

/* The child's stdout pipe holds at least this much once nobody reads it. */
static int pipe_is_full(int fd)
{
    int queued = 0;

    return ioctl(fd, FIONREAD, &queued) == 0 && queued >= 60000;
}

/* Issue 9, fault 4: with stdout a pipe nobody reads, the main thread
 * blocked writing a stats line and SIGTERM was never acted on. */
Test(echod, issue9_fault4_sigterm_with_stdout_nobody_reads, .timeout = 60)
{
    struct sup_proc p;
    int status;

    START(&p, "-w", "1", "--stats-interval", "1ms");
    uint64_t deadline = clock_now_ns() + 20 * CLOCK_NS_PER_SEC;
    while (!pipe_is_full(p.out_fd) && clock_now_ns() < deadline)
        usleep(20000);
    cr_assert(pipe_is_full(p.out_fd), "the stats lines did not fill the pipe");
    usleep(200000); /* lines dropped now */
    kill(p.pid, SIGTERM);
    uint64_t t0 = clock_now_ns();
    while (waitpid(p.pid, &status, WNOHANG) == 0 && clock_now_ns() - t0 < 5 * CLOCK_NS_PER_SEC)
        usleep(10000);
    cr_assert_lt(clock_now_ns() - t0, 5 * CLOCK_NS_PER_SEC, "SIGTERM ignored for 5 s");
    p.pid = -1;
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    /* The lines that did get through are whole. */
    sup_drain(&p);
    cr_assert_eq(p.out[p.out_len - 1], '\n', "a line was cut");
    sup_free(&p);
}

Test(echod, sigusr1_prints_stats, .timeout = 30)
{
    struct sup_proc p;

    START(&p, "-w", "2", "--cpu-affinity", "--nodelay");
    int fd = connect_to(&p);
    ping(fd, "12345");
    kill(p.pid, SIGUSR1);
    usleep(200000);
    cr_assert_eq(counter(&p, "stats", "active"), 1);
    cr_assert_eq(counter(&p, "stats", "bytes_in"), 5);
    cr_assert_not_null(strstr(p.out, "stats: worker 1 accepted="));
    close(fd);
    stop(&p);
    sup_free(&p);
}

Test(echod, accept_rate_zero_pauses_and_sigusr2_resumes, .timeout = 30)
{
    struct sup_proc p;
    char buf[8];

    START(&p, "-w", "1", "--accept-rate", "0");
    int fd = connect_to(&p); /* the kernel completes the handshake */
    cr_assert_eq(sup_write_all(fd, "wait", 4), 0);
    cr_assert_eq(next_event(fd, buf, sizeof(buf), 300), -2, "not accepted while paused");
    kill(p.pid, SIGUSR1);
    usleep(100000);
    cr_assert_eq(counter(&p, "stats", "accepted"), 0);
    cr_assert_not_null(strstr(p.out, "accepting=paused"));

    kill(p.pid, SIGUSR2);
    cr_assert_eq(sup_read_n(fd, buf, 4, 5000), 4);
    cr_assert_eq(memcmp(buf, "wait", 4), 0);
    sup_drain(&p);
    cr_assert_not_null(strstr(p.out, "accepting resumed"));
    close(fd);
    stop(&p);
    sup_free(&p);
}

/* SIGUSR2 on a running server: the first pauses accepting (echod lives
 * on, an open connection keeps being served, a new one waits in the
 * queue), the second resumes and the queued connection is served. */
Test(echod, sigusr2_pauses_then_resumes_and_keeps_serving, .timeout = 30)
{
    struct sup_proc p;
    char buf[8];

    START(&p, "-w", "2");
    int open_fd = connect_to(&p);
    ping(open_fd, "before");
    kill(p.pid, SIGUSR2);
    usleep(200000);
    sup_drain(&p);
    cr_assert_not_null(strstr(p.out, "accepting paused"), "stdout: %s", p.out);
    cr_assert_eq(waitpid(p.pid, NULL, WNOHANG), 0, "echod died on SIGUSR2");
    ping(open_fd, "during");
    int fd = connect_to(&p); /* the kernel completes the handshake */
    cr_assert_eq(sup_write_all(fd, "wait", 4), 0);
    cr_assert_eq(next_event(fd, buf, sizeof(buf), 300), -2, "not accepted while paused");

    kill(p.pid, SIGUSR2);
    cr_assert_eq(sup_read_n(fd, buf, 4, 5000), 4);
    cr_assert_eq(memcmp(buf, "wait", 4), 0);
    sup_drain(&p);
    cr_assert_not_null(strstr(p.out, "accepting resumed"), "stdout: %s", p.out);
    ping(open_fd, "after");
    close(fd);
    close(open_fd);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "accepted"), 2);
    sup_free(&p);
}

Test(echod, accept_rate_paces_accepts, .timeout = 30)
{
    struct sup_proc p;
    int fds[4];

    START(&p, "-w", "1", "--accept-rate", "5"); /* one per 200 ms */
    uint64_t t0 = clock_now_ns();
    for (int i = 0; i < 4; i++)
        fds[i] = connect_to(&p);
    for (int i = 0; i < 4; i++)
        ping(fds[i], "paced");
    uint64_t ms = (clock_now_ns() - t0) / CLOCK_NS_PER_MS;
    cr_assert_geq(ms, 500, "4 accepts at 5/s took only %llu ms", (unsigned long long)ms);
    for (int i = 0; i < 4; i++)
        close(fds[i]);
    stop(&p);
    sup_free(&p);
}

/* The first line of out that is a JSON object with "type" type, as a
 * malloc'ed string; the test fails when there is none. */
static char *json_line(const char *out, const char *type)
{
    char want[32];

    snprintf(want, sizeof(want), "\"%s\"", type);
    for (const char *l = out; *l != '\0';) {
        size_t n = strcspn(l, "\n");
        char *line = strndup(l, n);
        cr_assert_not_null(line);
        if (line[0] == '{' && sup_json_is(line, "/type", want))
            return line;
        free(line);
        l += n + (l[n] == '\n');
    }
    cr_assert_fail("no %s line in: %s", type, out);
    return NULL;
}

Test(echod, stats_interval_lines_in_json, .timeout = 30)
{
    struct sup_proc p;
    long long v;

    START(&p, "-w", "1", "--stats-interval", "100ms", "--json");
    int fd = connect_to(&p);
    ping(fd, "json");
    usleep(400000);
    close(fd);
    stop(&p);
    char *interval = json_line(p.out, "interval");
    cr_assert_eq(sup_json_int(interval, "/active", &v), 0, "%s", interval);
    char *summary = json_line(p.out, "summary");
    cr_assert(sup_json_int(summary, "/accepted", &v) == 0 && v == 1, "%s", summary);
    free(interval);
    free(summary);
    sup_free(&p);
}

/* ---- command line ---- */

static int run_echod(const char *const *args, char **out, char **err)
{
    char *argv[16] = { "echod" };
    char *path = sup_bin("echod");

    for (int i = 0; args[i] != NULL; i++)
        argv[i + 1] = (char *)args[i];
    int status = sup_run(path, argv, 10000, out, err);
    free(path);
    return status;
}

Test(echod, bad_command_lines_exit_2_naming_the_flag, .timeout = 30)
{
    static const struct {
        const char *args[4];
        const char *message;
    } cases[] = {
        { { "--workers", "banana" }, "echod: --workers: expected a whole number from 1 to 1024, got 'banana'\n" },
        { { "--listen", "127.0.0.1:99999" }, "echod: --listen: expected a port from 0 to 65535" },
        { { "--listen", "no-such-host.invalid:7" },
          "echod: --listen: 'no-such-host.invalid:7': the host name" },
        { { "--grace", "18446744073709551615ns" }, "echod: --grace: expected a duration of "
          "at most 24h, got '18446744073709551615ns'\n" },
        { { "--frobnicate" }, "echod: --frobnicate: unknown option (see --help)\n" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out, *err;
        int status = run_echod(cases[i].args, &out, &err);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2, "%s: status %#x",
                  cases[i].args[0], status);
        cr_assert_eq(strncmp(err, cases[i].message, strlen(cases[i].message)), 0, "%s", err);
        cr_assert_str_eq(out, "");
        free(out);
        free(err);
    }
}

Test(echod, help_and_version, .timeout = 30)
{
    char *out, *err;
    int status = run_echod((const char *const[]){ "--help", NULL }, &out, &err);

    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert_eq(strncmp(out, "usage: echod", 12), 0);
    free(out);
    free(err);
    status = run_echod((const char *const[]){ "--version", NULL }, &out, &err);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert_eq(strncmp(out, "echod ", 6), 0);
    free(out);
    free(err);
}

Test(echod, backlog_above_somaxconn_is_reported, .timeout = 30)
{
    struct sup_proc p;

    START(&p, "-w", "1", "--backlog", "2147483647");
    sup_drain(&p);
    cr_assert_not_null(strstr(p.err, "exceeds net.core.somaxconn"), "%s", p.err ? p.err : "");
    stop(&p);
    sup_free(&p);
}

Test(echod, sighup_is_logged_and_ignored, .timeout = 30)
{
    struct sup_proc p;

    START(&p, "-w", "1");
    kill(p.pid, SIGHUP);
    usleep(200000);
    int fd = sup_connect("127.0.0.1", p.port);
    cr_assert_geq(fd, 0, "echod died of SIGHUP");
    cr_assert_eq(sup_write_all(fd, "ping", 4), 0);
    char buf[4];
    cr_expect_eq(sup_read_n(fd, buf, 4, 5000), 4);
    close(fd);
    stop(&p);
    cr_expect(p.err != NULL && strstr(p.err, "SIGHUP ignored") != NULL, "stderr: %s", p.err);
    sup_free(&p);
}

Test(echod, workers_default_to_the_cpu_affinity_mask, .timeout = 30)
{
    cpu_set_t one;
    struct sup_proc p;

    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
    /* The child inherits the mask, as under taskset -c N. */
    cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);
    START(&p, "--mode", "echo");
    cr_expect(strstr(p.out, "(1 worker)") != NULL, "%s", p.out);
    stop(&p);
    sup_free(&p);
}

/* Binding below 1024 unprivileged (as nobody when the test runs as root)
 * names socket activation and CAP_NET_BIND_SERVICE. */
Test(echod, privileged_port_refusal_names_the_ways_out, .timeout = 30)
{
    long start;

    if (os_read_sysctl("/proc/sys/net/ipv4/ip_unprivileged_port_start", &start, 1) == 1 &&
        start <= 7)
        cr_skip_test("ip_unprivileged_port_start is %ld: port 7 needs no privilege", start);
    char *echod = sup_bin("echod"), *err = NULL;
    char script[4096];
    snprintf(script, sizeof(script), "%s%s --listen 127.0.0.1:7 -w 1",
             getuid() == 0 ? "exec setpriv --reuid=65534 --regid=65534 --clear-groups " : "exec ",
             echod);
    char *argv[] = { "/bin/sh", "-c", script, NULL };
    int status = sup_run("/bin/sh", argv, 10000, NULL, &err);
    cr_expect_eq(sup_exit_code(status), 1, "status %#x: %s", status, err ? err : "");
    cr_expect(err != NULL && strstr(err, "Permission denied") &&
              strstr(err, "CAP_NET_BIND_SERVICE") && strstr(err, "systemd-socket-activate"),
              "stderr: %s", err ? err : "");
    free(err);
    free(echod);
}

/* ---- --splice: zero-copy echo through pipes ---- */

/* Sends pattern bytes (seed) on fd, nonblocking, until its buffers take no
 * more or *sent reaches total. */
static void preload(int fd, uint64_t seed, size_t total, size_t *sent)
{
    static uint8_t chunk[65536];

    set_nonblocking(fd, 1);
    while (*sent < total) {
        size_t n = total - *sent < sizeof(chunk) ? total - *sent : sizeof(chunk);
        sup_pattern(chunk, n, seed, *sent);
        ssize_t w = send(fd, chunk, n, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        *sent += (size_t)w;
    }
}

/* Connects n clients to a stopped (SIGSTOP) echod and preloads each with
 * up to total bytes (seed 100 + i), then lets echod go on: every
 * connection's first read finds its receive queue full, fills the read
 * unit and so streams. */
static void connect_preloaded(struct sup_proc *p, int *fds, size_t *sent, int n, size_t total)
{
    for (int i = 0; i < n; i++)
        fds[i] = connect_to(p);
    usleep(100000); /* accepted: connections registered before the stop */
    cr_assert_eq(kill(p->pid, SIGSTOP), 0);
    for (int i = 0; i < n; i++) {
        sent[i] = 0;
        preload(fds[i], 100 + (uint64_t)i, total, &sent[i]);
    }
    cr_assert_eq(kill(p->pid, SIGCONT), 0);
}

/* Pumps all n connections at once (poll) until each has sent total bytes
 * and got all of them back, every byte checked.  Returns 0, or -1 at the
 * first wrong byte or ten seconds without progress. */
static int pump_many(int *fds, size_t *sent, int n, size_t total)
{
    static uint8_t out[65536], in[65536], want[65536];
    static struct pollfd pfd[64];
    static size_t got[64];
    int left = n;

    cr_assert_leq(n, 64);
    memset(got, 0, sizeof(got));
    while (left > 0) {
        for (int i = 0; i < n; i++)
            pfd[i] = (struct pollfd){ got[i] < total ? fds[i] : -1,
                                      (short)(POLLIN | (sent[i] < total ? POLLOUT : 0)), 0 };
        if (poll(pfd, (nfds_t)n, 10000) <= 0)
            return -1;
        for (int i = 0; i < n; i++) {
            if (pfd[i].revents & POLLOUT) {
                size_t k = total - sent[i] < sizeof(out) ? total - sent[i] : sizeof(out);
                sup_pattern(out, k, 100 + (uint64_t)i, sent[i]);
                ssize_t w = send(fds[i], out, k, MSG_NOSIGNAL);
                if (w > 0)
                    sent[i] += (size_t)w;
            }
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t r = recv(fds[i], in, sizeof(in), 0);
            if (r == 0 || (r < 0 && errno != EAGAIN))
                return -1;
            if (r < 0)
                continue;
            sup_pattern(want, (size_t)r, 100 + (uint64_t)i, got[i]);
            if (memcmp(in, want, (size_t)r) != 0)
                return -1;
            got[i] += (size_t)r;
            if (got[i] == total)
                left--;
        }
    }
    return 0;
}

/* A client that streams into a stopped echod and then never reads, and
 * whose connection holds a pipe: sends (seed 100) until every buffer on
 * the way is full.  The connection takes a pipe only if its first echo
 * went out whole (a leftover in its ring keeps it on the copy path), so
 * up to ten clients are tried.  Returns the descriptor; *sent is what it
 * got out, *base_out echod's bytes_out before it connected (what earlier
 * tries got back). */
static int stuck_on_a_pipe(struct sup_proc *p, size_t total, size_t *sent, long long *base_out)
{
    *base_out = 0;
    for (int attempt = 0; attempt < 10; attempt++) {
        int fd;
        connect_preloaded(p, &fd, sent, 1, total);
        for (int idle = 0; idle < 5;) {
            size_t before = *sent;
            preload(fd, 100, total, sent);
            if (*sent == before)
                idle++, usleep(50000);
            else
                idle = 0;
        }
        kill(p->pid, SIGUSR1);
        usleep(200000);
        if (counter(p, "stats", "pipes_lent") == 1)
            return fd;
        close(fd);
        usleep(100000);
        kill(p->pid, SIGUSR1);
        usleep(200000);
        *base_out = counter(p, "stats", "bytes_out");
    }
    cr_assert_fail("no client of ten got a pipe: %s", p->out);
    return -1;
}

/* The pool's gauges are back to rest in the summary: every pipe open,
 * none lent, nothing held. */
static void expect_pipes_at_rest(struct sup_proc *p)
{
    cr_expect_eq(counter(p, "summary", "pipes"), 16, "%s", p->out);
    cr_expect_eq(counter(p, "summary", "pipes_lent"), 0);
    cr_expect_eq(counter(p, "summary", "piped"), 0);
    cr_expect_eq(counter(p, "summary", "io_errors"), 0);
}

Test(echod, splice_echoes_large_streams_byte_exact, .timeout = 60)
{
    enum { N = 4 };
    const size_t total = 16u << 20;
    int fds[N];
    size_t sent[N];
    struct sup_proc p;

    START(&p, "-w", "1", "--splice");
    connect_preloaded(&p, fds, sent, N, total);
    cr_assert_eq(pump_many(fds, sent, N, total), 0, "16 MiB x 4 did not come back intact");
    for (int i = 0; i < N; i++)
        close(fds[i]);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "bytes_in"), (long long)(N * total));
    cr_assert_eq(counter(&p, "summary", "bytes_out"), (long long)(N * total));
    cr_assert_gt(counter(&p, "summary", "spliced"), 0, "no byte went through a pipe");
    expect_pipes_at_rest(&p);
    sup_free(&p);
}

/* 40 streaming connections against 16 pipes: those that find none free
 * keep the copy path (counted), and every byte of every one comes back. */
Test(echod, splice_more_streams_than_pipes_use_the_copy_path, .timeout = 90)
{
    enum { N = 40 };
    const size_t total = 4u << 20;
    int fds[N];
    size_t sent[N];
    struct sup_proc p;

    need_fds(N);
    START(&p, "-w", "1", "--splice");
    connect_preloaded(&p, fds, sent, N, total);
    cr_assert_eq(pump_many(fds, sent, N, total), 0, "4 MiB x 40 did not come back intact");
    for (int i = 0; i < N; i++)
        close(fds[i]);
    stop(&p);
    cr_assert_eq(counter(&p, "summary", "bytes_out"), (long long)(N * total));
    cr_assert_gt(counter(&p, "summary", "spliced"), 0);
    cr_assert_gt(counter(&p, "summary", "pipe_misses"), 0, "%s", p.out);
    cr_assert_lt(counter(&p, "summary", "spliced"), (long long)(N * total),
                 "some bytes took the copy path");
    expect_pipes_at_rest(&p);
    sup_free(&p);
}

/* A streaming client that never reads: its connection holds one pipe with
 * at most the pipe's capacity in it, reads nothing more, holds no pool
 * buffer, and costs no CPU; echod's RSS stays flat.  Then it reads, and
 * every byte comes back in order. */
Test(echod, splice_never_reading_client_holds_at_most_one_pipe, .timeout = 60)
{
    size_t sent;
    long long base;
    struct sup_proc p;

    START(&p, "-w", "1", "--splice");
    long rss0 = sup_rss_kib(p.pid);
    int fd = stuck_on_a_pipe(&p, 64u << 20, &sent, &base);
    long ticks0 = cpu_ticks(p.pid);
    usleep(500000);
    long idle_ticks = cpu_ticks(p.pid) - ticks0;
    kill(p.pid, SIGUSR1);
    usleep(200000);
    long long piped = counter(&p, "stats", "piped");
    long rss1 = sup_rss_kib(p.pid);
    cr_log_info("never-reading --splice client: %zu bytes sent, %lld in the pipe, RSS %ld -> "
                "%ld KiB, %ld ticks in 0.5 s", sent, piped, rss0, rss1, idle_ticks);
    cr_assert_eq(counter(&p, "stats", "pipes_lent"), 1, "%s", p.out);
    cr_assert_gt(piped, 0);
    cr_assert_leq(piped, 256 * 1024, "a pipe holds at most its capacity");
    cr_assert_eq(counter(&p, "stats", "buffered"), 0, "no pool buffer beside the pipe");
    cr_assert_gt(sent, 2u << 20, "the client got megabytes out");
    cr_assert_lt(rss1 - rss0, 2048, "RSS grew by %ld KiB", rss1 - rss0);
    cr_assert_lt(idle_ticks, 20, "a connection held back costs no CPU (%ld ticks)", idle_ticks);
    cr_assert_eq(pump(fd, 100, 64u << 20, sent, 0), 0, "every byte back, in order");
    close(fd);
    stop(&p);
    expect_pipes_at_rest(&p);
    sup_free(&p);
}

/* Reads fd (blocking) to EOF, at most 4 MiB, checking each byte against
 * the pattern of seed 100 from offset 0; returns the bytes read. */
static size_t read_echo_to_eof(int fd)
{
    static uint8_t back[4u << 20], want[4u << 20];
    char c;

    set_nonblocking(fd, 0);
    ssize_t got = sup_read_n(fd, back, sizeof(back), 5000);
    cr_assert_geq(got, 0);
    sup_pattern(want, (size_t)got, 100, 0);
    cr_assert_eq(memcmp(back, want, (size_t)got), 0, "what came back is what was sent");
    cr_assert_eq(next_event(fd, &c, 1, 5000), 0, "then EOF");
    return (size_t)got;
}

/* The peer's FIN behind data still in the pipe: all of it comes back,
 * then EOF. */
Test(echod, splice_half_close_returns_everything_in_the_pipe_then_eof, .timeout = 30)
{
    size_t sent;
    long long base;
    struct sup_proc p;

    START(&p, "-w", "1", "--splice");
    int fd = stuck_on_a_pipe(&p, (4u << 20) - 1, &sent, &base);
    cr_assert_eq(shutdown(fd, SHUT_WR), 0);
    cr_assert_eq(read_echo_to_eof(fd), sent, "every byte, then EOF");
    close(fd);
    stop(&p);
    cr_assert_gt(counter(&p, "summary", "spliced"), 0);
    expect_pipes_at_rest(&p);
    sup_free(&p);
}

/* SIGTERM while a connection's pipe holds bytes its peer has not read:
 * the lingering close sends them all before the FIN (input not yet read
 * is dropped, as on the copy path), and echod exits 0 once the peer has
 * read them and closed. */
Test(echod, splice_sigterm_sends_what_the_pipe_holds_then_lingers, .timeout = 30)
{
    size_t sent;
    long long base;
    struct sup_proc p;

    START(&p, "-w", "1", "--splice");
    int fd = stuck_on_a_pipe(&p, (4u << 20) - 1, &sent, &base);
    long long owed = counter(&p, "stats", "piped");
    long long out = counter(&p, "stats", "bytes_out") - base;
    cr_assert_gt(owed, 0, "the pipe holds unread echoes");
    kill(p.pid, SIGTERM);
    size_t got = read_echo_to_eof(fd);
    cr_assert_geq((long long)got, out + owed, "all that was in the pipe came back");
    cr_assert_leq(got, sent);
    close(fd);
    int status = sup_wait(&p, 10000);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    cr_assert_eq(counter(&p, "summary", "grace_closed"), 0);
    cr_assert_eq(counter(&p, "summary", "linger_timeouts"), 0);
    expect_pipes_at_rest(&p);
    sup_free(&p);
}

/* The pipes' descriptors come out of the connection cap: 16 pipes, two
 * descriptors each, per worker. */
Test(echod, splice_pipes_count_against_the_descriptor_cap, .timeout = 30)
{
    struct sup_proc plain, piped;

    start_limited(&plain, 200, "-w", "2");
    stop(&plain);
    start_limited(&piped, 200, "-w", "2", "--splice");
    stop(&piped);
    long long a = counter(&plain, "summary", "conn_cap");
    long long b = counter(&piped, "summary", "conn_cap");
    cr_assert_gt(b, 0);
    cr_assert_eq(a - b, 2 * 16 * 2, "conn_cap %lld without --splice, %lld with", a, b);
    cr_assert_eq(counter(&piped, "summary", "pipes"), 32);
    sup_free(&plain);
    sup_free(&piped);
}
