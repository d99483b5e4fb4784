/* support.c - process and socket helpers for the integration tests (see
 * support.h).  Plain blocking code: clarity matters more than speed here. */
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#include <criterion/criterion.h>

static char *join_env(const char *var, const char *fallback, const char *name)
{
    const char *dir = getenv(var);
    char *path;

    if (dir == NULL || *dir == '\0')
        dir = fallback;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return NULL;
    return path;
}

char *sup_bin(const char *name)
{
    return join_env("TOOLKIT_BIN", "bin", name);
}

char *sup_helper(const char *name)
{
    return join_env("TOOLKIT_HELPERS", "build/tests/helpers", name);
}

int sup_spawn(struct sup_proc *p, const char *path, char *const argv[])
{
    int out[2], err[2];

    memset(p, 0, sizeof(*p));
    p->pid = -1;
    p->out_fd = p->err_fd = -1;
    if (pipe2(out, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(err, O_CLOEXEC) < 0) {
        close(out[0]);
        close(out[1]);
        return -1;
    }
    pid_t parent = getpid();
    p->pid = fork();
    if (p->pid < 0)
        return -1;
    if (p->pid == 0) {
        /* A test that fails an assertion exits without cleaning up: the
         * kernel then kills what it started, so no server outlives it. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
            _exit(127);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execv(path, argv);
        fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    p->out_fd = out[0];
    p->err_fd = err[0];
    fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
    fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
    return 0;
}

/* Appends what fd has now to *buf; returns 1 on EOF, 0 otherwise. */
static int drain_fd(int fd, char **buf, size_t *len)
{
    char chunk[4096];

    if (fd < 0)
        return 1;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n == 0)
            return 1;
        if (n < 0)
            return errno == EINTR ? drain_fd(fd, buf, len) : 0;
        char *grown = realloc(*buf, *len + (size_t)n + 1);
        if (grown == NULL)
            return 0;
        memcpy(grown + *len, chunk, (size_t)n);
        *len += (size_t)n;
        grown[*len] = '\0';
        *buf = grown;
    }
}

void sup_drain(struct sup_proc *p)
{
    drain_fd(p->out_fd, &p->out, &p->out_len);
    drain_fd(p->err_fd, &p->err, &p->err_len);
}

int sup_wait_listening(struct sup_proc *p, int timeout_ms)
{
    uint64_t deadline = clock_now_ns() + (uint64_t)timeout_ms * CLOCK_NS_PER_MS;

    for (;;) {
        sup_drain(p);
        const char *line = p->out ? strstr(p->out, "listening on ") : NULL;
        if (line != NULL && strchr(line, '\n') != NULL) {
            const char *addr = line + strlen("listening on ");
            const char *sp = strchr(addr, ' ');
            const char *nl = strchr(addr, '\n');
            const char *end = (sp != NULL && sp < nl) ? sp : nl;
            const char *colon = end;
            while (colon > addr && *colon != ':')
                colon--;
            size_t hlen = (size_t)(colon - addr);
            if (hlen >= 2 && addr[0] == '[')
                addr++, hlen -= 2; /* strip the IPv6 brackets */
            if (hlen == 0 || hlen >= sizeof(p->host))
                return -1;
            memcpy(p->host, addr, hlen);
            p->host[hlen] = '\0';
            p->port = atoi(colon + 1);
            return p->port > 0 ? 0 : -1;
        }
        if (clock_now_ns() > deadline || waitpid(p->pid, NULL, WNOHANG) != 0)
            return -1;
        struct pollfd pfd[2] = { { p->out_fd, POLLIN, 0 }, { p->err_fd, POLLIN, 0 } };
        poll(pfd, 2, 20);
    }
}

int sup_start_server(struct sup_proc *p, const char *name, const char *const args[])
{
    const char *argv[64];
    int n = 0, has_listen = 0;
    char *path = sup_bin(name);

    if (path == NULL)
        return -1;
    argv[n++] = name;
    for (int i = 0; args != NULL && args[i] != NULL && n < 60; i++) {
        if (strcmp(args[i], "--listen") == 0)
            has_listen = 1;
        argv[n++] = args[i];
    }
    if (!has_listen) {
        argv[n++] = "--listen";
        argv[n++] = "127.0.0.1:0";
    }
    argv[n] = NULL;
    int rc = sup_spawn(p, path, (char *const *)argv);
    free(path);
    if (rc < 0)
        return -1;
    return sup_wait_listening(p, 10000);
}

int sup_wait(struct sup_proc *p, int timeout_ms)
{
    uint64_t deadline = clock_now_ns() + (uint64_t)timeout_ms * CLOCK_NS_PER_MS;
    int status;

    if (p->pid <= 0)
        return -1;
    for (;;) {
        sup_drain(p);
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid) {
            p->pid = -1;
            sup_drain(p);
            return status;
        }
        if (r < 0 && errno != EINTR)
            return -1;
        if (clock_now_ns() > deadline)
            return -1;
        struct pollfd pfd[2] = { { p->out_fd, POLLIN, 0 }, { p->err_fd, POLLIN, 0 } };
        poll(pfd, 2, 10);
    }
}

int sup_stop(struct sup_proc *p, int sig, int timeout_ms)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, sig);
    int status = sup_wait(p, timeout_ms);
    if (status == -1) {
        kill(p->pid, SIGKILL);
        status = sup_wait(p, 5000);
    }
    return status;
}

void sup_free(struct sup_proc *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
        p->pid = -1;
    }
    if (p->out_fd >= 0)
        close(p->out_fd);
    if (p->err_fd >= 0)
        close(p->err_fd);
    p->out_fd = p->err_fd = -1;
    free(p->out);
    free(p->err);
    p->out = p->err = NULL;
}

int sup_run(const char *path, char *const argv[], int timeout_ms,
            char **out, char **err)
{
    struct sup_proc p;

    if (sup_spawn(&p, path, argv) < 0) {
        sup_free(&p);
        return -1;
    }
    int status = sup_wait(&p, timeout_ms);
    if (status == -1)
        status = sup_stop(&p, SIGKILL, 5000);
    if (out != NULL)
        *out = p.out ? p.out : strdup(""), p.out = NULL;
    if (err != NULL)
        *err = p.err ? p.err : strdup(""), p.err = NULL;
    sup_free(&p);
    return status;
}

long sup_rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

int sup_connect(const char *host, int port)
{
    struct sockaddr_storage ss;
    socklen_t len;

    memset(&ss, 0, sizeof(ss));
    if (strchr(host, ':') != NULL) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
            return -1;
        len = sizeof(*sin6);
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
            return -1;
        len = sizeof(*sin);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int sup_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t sup_read_n(int fd, void *buf, size_t len, int timeout_ms)
{
    size_t got = 0;

    while (got < len) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        int r = poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return got > 0 ? (ssize_t)got : -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

void sup_pattern(uint8_t *buf, size_t len, uint64_t seed, uint64_t offset)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t x = (offset + i) * 0x9E3779B97F4A7C15ULL ^ seed;
        x ^= x >> 29;
        buf[i] = (uint8_t)(x ^ (x >> 8));
    }
}

/* The suite's own main: Criterion's, except that the runner process leaves
 * with _exit().  Tests run in separate worker processes, which still exit
 * normally, so LeakSanitizer checks every test; what _exit skips is only
 * the leak check of the runner itself, where libcriterion (2.4, with
 * --jobs 2) now and then leaks a few blocks of its own and would fail
 * `make test` under ASan although every test passed. */
int main(int argc, char *argv[])
{
    struct criterion_test_set *tests = criterion_initialize();
    int result = 0;

    if (criterion_handle_args(argc, argv, true))
        result = !criterion_run_all_tests(tests);
    criterion_finalize(tests);
    fflush(NULL);
    _exit(result);
}
