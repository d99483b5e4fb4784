/* test_activation.c - socket activation (activation.c) and Type=notify as
 * a service manager drives them.
 *
 * Unit tests check the environment and the descriptor checks in-process.
 * End to end, echod is handed sockets two ways: by systemd-socket-activate
 * from Debian's systemd package (the real component; installed by
 * install-tools.sh when missing, else the test is skipped and says so),
 * and by the test itself through the listenfds helper, so that the test
 * can hold the socket across restarts as systemd does: echod is stopped
 * and started twice while client threads keep connecting and echoing, and
 * every transaction must succeed.  Readiness is read from a test-owned
 * NOTIFY_SOCKET, as systemd reads it for Type=notify.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "activation.h"
#include "clock.h"
#include "support.h"

/* ---- unit: environment and descriptor checks ---- */

static int tcp_socket(int listening)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    if (listening)
        cr_assert_eq(listen(fd, 128), 0);
    return fd;
}

static int port_of(int fd)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);

    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    return ntohs(sin.sin_port);
}

Test(activation, listening_tcp_socket_is_adopted_nonblocking_cloexec)
{
    char err[256];
    int fd = tcp_socket(1);

    cr_assert_eq(activation_adopt_fd(fd, err, sizeof(err)), 0, "%s", err);
    cr_expect(fcntl(fd, F_GETFL) & O_NONBLOCK);
    cr_expect(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
}

Test(activation, bound_but_not_listening_is_refused)
{
    char err[256];
    int fd = tcp_socket(0);

    cr_assert_eq(activation_adopt_fd(fd, err, sizeof(err)), -1);
    cr_expect(strstr(err, "not listening") != NULL, "%s", err);
    close(fd);
}

Test(activation, datagram_socket_is_refused)
{
    char err[256];
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    cr_assert_eq(activation_adopt_fd(fd, err, sizeof(err)), -1);
    cr_expect(strstr(err, "not a TCP socket") != NULL, "%s", err);
    close(fd);
}

Test(activation, unix_stream_socket_is_refused)
{
    char err[256];
    int sv[2];

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(activation_adopt_fd(sv[0], err, sizeof(err)), -1);
    cr_expect(strstr(err, "not a TCP socket") != NULL, "%s", err);
    close(sv[0]);
    close(sv[1]);
}

Test(activation, pipe_is_not_a_socket)
{
    char err[256];
    int p[2];

    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(activation_adopt_fd(p[0], err, sizeof(err)), -1);
    cr_expect(strstr(err, "not a socket") != NULL, "%s", err);
    close(p[0]);
    close(p[1]);
}

Test(activation, nothing_passed_is_zero)
{
    int fds[ACTIVATION_MAX_FDS];
    char err[256];

    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    cr_expect_eq(activation_listen_fds(fds, err, sizeof(err)), 0);
}

Test(activation, sockets_for_another_process_are_ignored_and_unset)
{
    int fds[ACTIVATION_MAX_FDS];
    char err[256], pid[32];

    snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "2", 1);
    setenv("LISTEN_FDNAMES", "a:b", 1);
    cr_expect_eq(activation_listen_fds(fds, err, sizeof(err)), 0);
    cr_expect_null(getenv("LISTEN_PID"));
    cr_expect_null(getenv("LISTEN_FDS"));
    cr_expect_null(getenv("LISTEN_FDNAMES"));
}

Test(activation, malformed_count_is_refused_by_name)
{
    int fds[ACTIVATION_MAX_FDS];
    char err[256], pid[32];

    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "1k", 1);
    cr_expect_eq(activation_listen_fds(fds, err, sizeof(err)), -1);
    cr_expect(strstr(err, "LISTEN_FDS") != NULL, "%s", err);
    cr_expect_null(getenv("LISTEN_FDS"));
}

/* ---- end to end ---- */

/* Spawns listenfds FD -- echod ARGS... (NULL-ended). */
static void spawn_activated(struct sup_proc *p, int fd, const char *const *args)
{
    char *helper = sup_helper("listenfds"), *echod = sup_bin("echod"), num[16];
    const char *argv[32] = { "listenfds", num, "--", echod };
    int n = 4;

    snprintf(num, sizeof(num), "%d", fd);
    while (*args != NULL && n < 31)
        argv[n++] = *args++;
    argv[n] = NULL;
    cr_assert_eq(sup_spawn(p, helper, (char *const *)argv), 0);
    free(helper);
    free(echod);
}

#define ECHOD_ARGS(...) (const char *const[]){ __VA_ARGS__, NULL }

Test(activation, listen_flag_with_inherited_socket_exits_2)
{
    struct sup_proc p;
    int fd = tcp_socket(1);

    spawn_activated(&p, fd, ECHOD_ARGS("--listen", "127.0.0.1:0"));
    int status = sup_wait(&p, 10000);
    sup_drain(&p);
    cr_expect_eq(sup_exit_code(status), 2, "status %#x", status);
    cr_expect(p.err != NULL && strstr(p.err, "--listen: not allowed with socket activation"),
              "stderr: %s", p.err ? p.err : "");
    sup_free(&p);
    close(fd);
}

Test(activation, udp_socket_passed_exits_1_naming_it)
{
    struct sup_proc p;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    spawn_activated(&p, fd, ECHOD_ARGS("-w", "1"));
    int status = sup_wait(&p, 10000);
    sup_drain(&p);
    cr_expect_eq(sup_exit_code(status), 1, "status %#x", status);
    cr_expect(p.err != NULL && strstr(p.err, "descriptor 3 is not a TCP socket"),
              "stderr: %s", p.err ? p.err : "");
    sup_free(&p);
    close(fd);
}

/* Echoes msg over a fresh connection to port; 1 when every byte came back. */
static int transaction(int port, uint64_t seed)
{
    uint8_t out[64], in[64];
    int fd = sup_connect("127.0.0.1", port), ok = 0;

    if (fd < 0)
        return 0;
    sup_pattern(out, sizeof(out), seed, 0);
    if (sup_write_all(fd, out, sizeof(out)) == 0 &&
        sup_read_n(fd, in, sizeof(in), 10000) == (ssize_t)sizeof(in))
        ok = memcmp(in, out, sizeof(in)) == 0;
    close(fd);
    return ok;
}

Test(activation, systemd_socket_activate_hands_echod_its_socket)
{
    if (!sup_tool_ready("systemd-socket-activate:systemd"))
        cr_skip_test("systemd-socket-activate missing and not installable (package systemd)");
    int probe = tcp_socket(0), port = port_of(probe);
    char addr[32], *echod = sup_bin("echod");
    struct sup_proc p;

    close(probe); /* a free port for systemd-socket-activate to bind */
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    char *argv[] = { "systemd-socket-activate", "-l", addr, echod, "-w", "2", NULL };
    cr_assert_eq(sup_spawn(&p, "/usr/bin/systemd-socket-activate", argv), 0);
    int fd = -1;
    for (int i = 0; i < 500 && fd < 0; i++) { /* it binds, then execs on the first client */
        fd = sup_connect("127.0.0.1", port);
        if (fd < 0)
            usleep(10000);
    }
    cr_assert_geq(fd, 0, "systemd-socket-activate never listened on %s", addr);
    uint8_t out[1000], in[1000];
    sup_pattern(out, sizeof(out), 7, 0);
    cr_assert_eq(sup_write_all(fd, out, sizeof(out)), 0);
    cr_assert_eq(sup_read_n(fd, in, sizeof(in), 10000), (ssize_t)sizeof(in));
    cr_expect_eq(memcmp(in, out, sizeof(in)), 0);
    close(fd);
    cr_assert_eq(sup_wait_listening(&p, 10000), 0, "stderr: %s", p.err ? p.err : "");
    cr_expect_eq(p.port, port, "echod must serve the passed socket, not bind its own");
    cr_expect(strstr(p.out, "socket activation") != NULL, "%s", p.out);
    int status = sup_stop(&p, SIGTERM, 15000);
    cr_expect_eq(sup_exit_code(status), 0, "status %#x, stderr %s", status, p.err);
    cr_expect_eq(sup_echod_num(p.out, "accepted"), 1);
    sup_free(&p);
    free(echod);
}

/* ---- restart without loss ---- */

struct load {
    int port;
    int stop;
    unsigned id;
    long ok, failed;
};

static void *client_main(void *arg)
{
    struct load *l = arg;
    uint64_t seed = (uint64_t)l->id << 32;

    while (!__atomic_load_n(&l->stop, __ATOMIC_RELAXED)) {
        if (transaction(l->port, seed++))
            l->ok++;
        else
            l->failed++;
    }
    return NULL;
}

/* A datagram socket bound at a fresh path, set as NOTIFY_SOCKET for what
 * the test spawns next. */
static int manager_socket(char *path, size_t size)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    cr_assert_geq(fd, 0);
    snprintf(path, size, "/tmp/echod-notify-%d", (int)getpid());
    unlink(path);
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    setenv("NOTIFY_SOCKET", path, 1);
    return fd;
}

/* Reads notify datagrams until one equals want (within timeout_ms);
 * returns 1 when it came. */
static int await_message(int fd, const char *want, int timeout_ms)
{
    uint64_t end = clock_now_ns() + (uint64_t)timeout_ms * CLOCK_NS_PER_MS;
    char buf[256];

    while (clock_now_ns() < end) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (poll(&pfd, 1, 100) != 1)
            continue;
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
            return 0;
        buf[n] = '\0';
        if (strcmp(buf, want) == 0)
            return 1;
    }
    return 0;
}

#define CLIENTS 3
#define RUNS 3 /* the first start and two restarts */

Test(activation, restart_twice_under_load_loses_no_transaction, .timeout = 90)
{
    char path[108];
    int mgr = manager_socket(path, sizeof(path));
    int lfd = tcp_socket(1), port = port_of(lfd), defer = 5;
    struct load load[CLIENTS];
    pthread_t th[CLIENTS];
    long long accepted = 0;

    /* What echod.socket asks of systemd (DeferAcceptSec=): a connection
     * reaches the queue with its first bytes, so none that an instance
     * accepts at its stop is still silent (docs/echod.md). */
    cr_assert_eq(setsockopt(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer)), 0);
    for (unsigned i = 0; i < CLIENTS; i++) {
        load[i] = (struct load){ .port = port, .id = i };
        cr_assert_eq(pthread_create(&th[i], NULL, client_main, &load[i]), 0);
    }
    for (int run = 0; run < RUNS; run++) {
        struct sup_proc p;
        spawn_activated(&p, lfd, ECHOD_ARGS("-w", "2", "--grace", "5s"));
        cr_assert(await_message(mgr, "READY=1", 15000), "run %d: no READY=1", run);
        usleep(300000); /* serve a while */
        kill(p.pid, SIGTERM);
        cr_expect(await_message(mgr, "STOPPING=1", 15000), "run %d: no STOPPING=1", run);
        int status = sup_wait(&p, 15000);
        sup_drain(&p);
        cr_assert_eq(sup_exit_code(status), 0, "run %d: status %#x, stderr %s", run, status,
                     p.err ? p.err : "");
        long long n = sup_echod_num(p.out, "accepted");
        cr_expect_gt(n, 0, "run %d served nothing", run);
        accepted += n;
        sup_free(&p);
    }
    /* Stop the clients only with nobody serving: a transaction begun now
     * waits in the held queue, so serve it with one more start. */
    for (unsigned i = 0; i < CLIENTS; i++)
        __atomic_store_n(&load[i].stop, 1, __ATOMIC_RELAXED);
    struct sup_proc last;
    spawn_activated(&last, lfd, ECHOD_ARGS("-w", "1"));
    cr_assert(await_message(mgr, "READY=1", 15000), "last run: no READY=1");
    long ok = 0, failed = 0;
    for (unsigned i = 0; i < CLIENTS; i++) {
        pthread_join(th[i], NULL);
        ok += load[i].ok;
        failed += load[i].failed;
    }
    cr_assert_eq(sup_exit_code(sup_stop(&last, SIGTERM, 15000)), 0);
    sup_drain(&last);
    accepted += sup_echod_num(last.out, "accepted");
    cr_log_info("%ld transactions over %d restarts, %ld failed", ok + failed, RUNS - 1, failed);
    cr_expect_eq(failed, 0, "%ld of %ld transactions failed across restarts", failed,
                 ok + failed);
    cr_expect_gt(ok, 10);
    cr_expect_eq(accepted, ok, "each transaction is served by exactly one instance");
    sup_free(&last);
    close(lfd);
    close(mgr);
    unlink(path);
}

/* The contrast that motivates the held socket: echod restarted on its own
 * listeners (as before socket activation) refuses the clients that
 * connect while it is down and resets those queued on the sockets that
 * die with it.  The figures are logged for docs/echod.md. */
Test(activation, restart_without_a_held_socket_loses_transactions, .timeout = 60)
{
    struct load load[CLIENTS];
    pthread_t th[CLIENTS];
    struct sup_proc p;
    char addr[32];

    cr_assert_eq(sup_start_server(&p, "echod", (const char *const[]){ "-w", "2", NULL }), 0);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", p.port);
    for (unsigned i = 0; i < CLIENTS; i++) {
        load[i] = (struct load){ .port = p.port, .id = i };
        cr_assert_eq(pthread_create(&th[i], NULL, client_main, &load[i]), 0);
    }
    for (int run = 1; run < RUNS; run++) {
        usleep(300000);
        cr_assert_eq(sup_exit_code(sup_stop(&p, SIGTERM, 15000)), 0);
        sup_free(&p);
        cr_assert_eq(sup_start_server(&p, "echod", (const char *const[]){ "-w", "2", "--listen",
                                      addr, NULL }), 0, "restart %d on %s", run, addr);
    }
    usleep(300000);
    long ok = 0, failed = 0;
    for (unsigned i = 0; i < CLIENTS; i++) {
        __atomic_store_n(&load[i].stop, 1, __ATOMIC_RELAXED);
        pthread_join(th[i], NULL);
        ok += load[i].ok;
        failed += load[i].failed;
    }
    cr_assert_eq(sup_exit_code(sup_stop(&p, SIGTERM, 15000)), 0);
    sup_free(&p);
    cr_log_info("without a held socket: %ld of %ld transactions failed over %d restarts",
                failed, ok + failed, RUNS - 1);
    cr_expect_gt(failed, 0, "a restart on its own listeners lost nothing?");
}

/* dist/systemd's units as `make install` writes them (ExecStart pointing
 * at the echod under test) pass systemd-analyze verify.  --man=no: the man
 * page is not installed where the test runs. */
Test(activation, units_pass_systemd_analyze_verify)
{
    if (!sup_tool_ready("systemd-analyze:systemd"))
        cr_skip_test("systemd-analyze missing and not installable (package systemd)");
    char dir[] = "/tmp/echod-units-XXXXXX", *echod = sup_bin("echod"), abs[4096], cmd[8192];
    char *out = NULL, *err = NULL;

    cr_assert_not_null(mkdtemp(dir));
    cr_assert_not_null(realpath(echod, abs));
    snprintf(cmd, sizeof(cmd),
             "sed 's|/usr/local/bin/echod|%s|' dist/systemd/echod.service > %s/echod.service && "
             "cp dist/systemd/echod.socket %s/ && "
             "systemd-analyze verify --man=no %s/echod.socket %s/echod.service; rc=$?; "
             "rm -rf %s; exit $rc", abs, dir, dir, dir, dir, dir);
    char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    int status = sup_run("/bin/sh", argv, 60000, &out, &err);
    cr_expect_eq(sup_exit_code(status), 0, "systemd-analyze verify: %s%s", out ? out : "",
                 err ? err : "");
    free(out);
    free(err);
    free(echod);
}
