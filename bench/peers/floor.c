/* floor.c - the kernel floor: ping-pong over loopback TCP between two
 * blocking threads, with no event loop at all.
 *
 * One thread (pinned to --server-cpu) accepts a single connection and
 * echoes it with blocking read()/write(); the main thread (pinned to
 * --client-cpu) connects, then sends --size bytes and waits for them to come
 * back, over and over.  Nothing between the two threads but the kernel's TCP
 * stack, so no echo server driven by any client can make more round trips
 * per second on one connection: the floor tells how much of a round trip is
 * ours.  After --warmup it counts round trips for --duration, reading each
 * thread's own user and system time from /proc/self/task/TID/stat, and
 * prints one summary line (or one JSON object with --json).
 *
 *   floor --size 64 --duration 5s --server-cpu 0 --client-cpu 1 --json
 */
#include "clock.h"
#include "parse.h"
#include "peer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_SIZE (1 << 20)

struct floor_opts {
    uint64_t size;
    uint64_t duration_ns;
    uint64_t warmup_ns;
    int server_cpu;
    int client_cpu;
    int json;
};

/* CPU time of one thread, in seconds. */
struct thread_cpu {
    double user;
    double sys;
};

struct server {
    int lfd;
    int server_cpu;
    volatile pid_t tid;
};

/* peer_parse's hook for the floor's own flags: returns how many arguments
 * it took, or -1. */
static int extra_opt(const char *name, const char *value, void *ctx)
{
    struct floor_opts *f = ctx;
    uint64_t v;
    int rc = -1;
    if (!strcmp(name, "--json")) {
        f->json = 1;
        return 1;
    }
    if (!value)
        return -1;
    if (!strcmp(name, "--size"))
        rc = parse_size(value, 1, MAX_SIZE, &f->size);
    else if (!strcmp(name, "--duration"))
        rc = parse_duration(value, &f->duration_ns);
    else if (!strcmp(name, "--warmup"))
        rc = parse_duration(value, &f->warmup_ns);
    else if (!strcmp(name, "--server-cpu") || !strcmp(name, "--client-cpu")) {
        rc = parse_count(value, 0, 4095, &v);
        if (rc == 0)
            *(name[2] == 's' ? &f->server_cpu : &f->client_cpu) = (int)v;
    }
    return rc == 0 ? 2 : -1;
}

/* Reads utime and stime (fields 14 and 15) of thread tid.  Returns 0 or -1. */
static int read_thread_cpu(pid_t tid, struct thread_cpu *out)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    double hz = (double)sysconf(_SC_CLK_TCK);
    out->user = ut / hz;
    out->sys = st / hz;
    return 0;
}

static int read_all(int fd, char *p, size_t len)
{
    while (len > 0) {
        ssize_t r = read(fd, p, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

/* The echo side: accepts one connection and echoes it until EOF. */
static void *server_main(void *arg)
{
    struct server *s = arg;
    s->tid = (pid_t)syscall(SYS_gettid);
    if (peer_pin(s->server_cpu) != 0)
        return NULL;
    int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        perror("floor: accept");
    else
        peer_echo_blocking(fd);
    return NULL;
}

/* Round trips on fd until clock_now_ns() passes end; returns how many, or
 * -1 when the connection failed. */
static long ping_until(int fd, char *msg, size_t size, uint64_t end)
{
    long n = 0;
    while (clock_now_ns() < end) {
        if (peer_write_all(fd, msg, size) != 0 || read_all(fd, msg, size) != 0)
            return -1;
        n++;
    }
    return n;
}

static void report(const struct floor_opts *f, long trips, double secs,
                   const struct thread_cpu *srv, const struct thread_cpu *cli)
{
    double rate = trips / secs;
    if (f->json) {
        printf("{\"size\":%llu,\"round_trips\":%ld,\"seconds\":%.6f,\"rate\":%.1f,"
               "\"mean_us\":%.3f,\"server_user_s\":%.3f,\"server_sys_s\":%.3f,"
               "\"client_user_s\":%.3f,\"client_sys_s\":%.3f}\n",
               (unsigned long long)f->size, trips, secs, rate, 1e6 / rate, srv->user,
               srv->sys, cli->user, cli->sys);
    } else {
        printf("%ld round trips of %llu B in %.3f s: %.0f round trips/s, %.2f us each; "
               "server thread %.2f s user %.2f s sys\n",
               trips, (unsigned long long)f->size, secs, rate, 1e6 / rate, srv->user,
               srv->sys);
    }
    fflush(stdout);
}

/* Connects to the listener, warms up, measures.  Returns the exit status. */
static int run_client(const struct floor_opts *f, struct server *s, const char *hostport)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(s->lfd, (struct sockaddr *)&ss, &len) != 0) {
        perror("floor: getsockname");
        return 1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0) {
        fprintf(stderr, "floor: connect %s: %s\n", hostport, strerror(errno));
        return 1;
    }
    char *msg = calloc(1, f->size);
    if (!msg || ping_until(fd, msg, f->size, clock_now_ns() + f->warmup_ns) < 0)
        return 1;
    struct thread_cpu s0, s1, c0, c1;
    pid_t me = (pid_t)syscall(SYS_gettid);
    if (read_thread_cpu(s->tid, &s0) || read_thread_cpu(me, &c0))
        return 1;
    uint64_t t0 = clock_now_ns();
    long trips = ping_until(fd, msg, f->size, t0 + f->duration_ns);
    uint64_t t1 = clock_now_ns();
    if (trips < 0 || read_thread_cpu(s->tid, &s1) || read_thread_cpu(me, &c1))
        return 1;
    struct thread_cpu srv = {s1.user - s0.user, s1.sys - s0.sys};
    struct thread_cpu cli = {c1.user - c0.user, c1.sys - c0.sys};
    report(f, trips, (t1 - t0) / 1e9, &srv, &cli);
    close(fd);
    free(msg);
    return 0;
}

int main(int argc, char **argv)
{
    struct floor_opts f = {64, 5000000000ull, 1000000000ull, 0, 1, 0};
    struct peer_opts o;
    int rc = peer_parse(argc, argv,
                        "usage: floor [--listen HOST:PORT] [--size BYTES] [--duration D]\n"
                        "             [--warmup D] [--server-cpu N] [--client-cpu N] [--json]\n",
                        &o, extra_opt, &f);
    if (rc)
        return rc < 0 ? 2 : 0;
    struct server s = {peer_listen(o.listen, 0), f.server_cpu, 0};
    if (s.lfd < 0 || peer_announce(s.lfd) != 0)
        return 1;
    pthread_t t;
    if (pthread_create(&t, NULL, server_main, &s) != 0) {
        fprintf(stderr, "floor: pthread_create failed\n");
        return 1;
    }
    if (peer_pin(f.client_cpu) != 0)
        return 1;
    while (!s.tid)
        usleep(1000);
    rc = run_client(&f, &s, o.listen);
    return rc ? rc : pthread_join(t, NULL) != 0;
}
