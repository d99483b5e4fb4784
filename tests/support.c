/* support.c - process, socket and JSON-reading helpers for the tests (see
 * support.h).  Plain blocking code: clarity matters more than speed here. */
#include "support.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
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

void *sup_guarded(const void *data, size_t len)
{
    static uint8_t *guard; /* two usable pages below it, then PROT_NONE */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    if (guard == NULL) {
        uint8_t *base = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        cr_assert_neq(base, MAP_FAILED, "mmap: %s", strerror(errno));
        cr_assert_eq(mprotect(base + 2 * page, page, PROT_NONE), 0, "mprotect: %s",
                     strerror(errno));
        guard = base + 2 * page;
    }
    cr_assert_leq(len, 2 * page, "%zu bytes do not fit before the guard page", len);
    memcpy(guard - len, data, len);
    return guard - len;
}

void sup_pattern(uint8_t *buf, size_t len, uint64_t seed, uint64_t offset)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t x = (offset + i) * 0x9E3779B97F4A7C15ULL ^ seed;
        x ^= x >> 29;
        buf[i] = (uint8_t)(x ^ (x >> 8));
    }
}

/* ---- a strict JSON reader: each function takes p at the first byte of
 * what it reads and returns the byte after it, or NULL when the text is not
 * what RFC 8259 allows there ---- */

#define JR_DEPTH 64 /* deepest nesting read */

static const char *jr_value(const char *p, int depth);

static const char *jr_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static const char *jr_string(const char *p)
{
    if (*p != '"')
        return NULL;
    for (p++; *p != '"'; p++) {
        if ((unsigned char)*p < 0x20)
            return NULL; /* a raw control character, or the text ended */
        if (*p != '\\')
            continue;
        p++;
        if (*p == 'u') {
            for (int i = 1; i <= 4; i++)
                if (!isxdigit((unsigned char)p[i]))
                    return NULL;
            p += 4;
        } else if (*p == '\0' || strchr("\"\\/bfnrt", *p) == NULL) {
            return NULL;
        }
    }
    return p + 1;
}

static const char *jr_digits(const char *p)
{
    if (!isdigit((unsigned char)*p))
        return NULL;
    while (isdigit((unsigned char)*p))
        p++;
    return p;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *jr_number(const char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if ((p = jr_digits(p)) == NULL)
        return NULL;
    if (*p == '.' && (p = jr_digits(p + 1)) == NULL)
        return NULL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        p = jr_digits(p);
    }
    return p;
}

static const char *jr_word(const char *p, const char *word)
{
    size_t n = strlen(word);
    return strncmp(p, word, n) == 0 ? p + n : NULL;
}

/* An object or an array, at most JR_DEPTH - depth levels deep. */
static const char *jr_container(const char *p, int depth)
{
    int object = *p == '{';
    char close = object ? '}' : ']';

    if (depth >= JR_DEPTH)
        return NULL;
    p = jr_ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (object) {
            if ((p = jr_string(p)) == NULL || *(p = jr_ws(p)) != ':')
                return NULL;
            p = jr_ws(p + 1);
        }
        if ((p = jr_value(p, depth + 1)) == NULL)
            return NULL;
        p = jr_ws(p);
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = jr_ws(p + 1);
    }
}

static const char *jr_value(const char *p, int depth)
{
    switch (*p) {
    case '{':
    case '[':
        return jr_container(p, depth);
    case '"':
        return jr_string(p);
    case 't':
        return jr_word(p, "true");
    case 'f':
        return jr_word(p, "false");
    case 'n':
        return jr_word(p, "null");
    }
    return jr_number(p);
}

/* An array index as RFC 6901 spells it: "0", or digits without a leading
 * zero.  Returns it, or -1. */
static long jr_index(const char *seg, size_t n)
{
    long v = 0;

    if (n == 0 || n > 9 || (seg[0] == '0' && n > 1))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)seg[i]))
            return -1;
        v = v * 10 + (seg[i] - '0');
    }
    return v;
}

/* In the already checked value at p: the element numbered seg[0..n) of an
 * array, or the one member named seg[0..n) of an object; NULL when there
 * is none (or, in an object, more than one). */
static const char *jr_child(const char *p, const char *seg, size_t n)
{
    const char *found = NULL;

    if (*p == '[') {
        long want = jr_index(seg, n);
        p = jr_ws(p + 1);
        for (long i = 0; want >= 0 && *p != ']'; i++) {
            if (i == want)
                return p;
            p = jr_ws(jr_value(p, 0));
            if (*p == ',')
                p = jr_ws(p + 1);
        }
        return NULL;
    }
    if (*p != '{')
        return NULL;
    for (p = jr_ws(p + 1); *p == '"';) {
        const char *end = jr_string(p);
        int match = (size_t)(end - p - 2) == n && memcmp(p + 1, seg, n) == 0;
        p = jr_ws(jr_ws(end) + 1);
        if (match && found != NULL)
            return NULL;
        if (match)
            found = p;
        p = jr_ws(jr_value(p, 0));
        if (*p == ',')
            p = jr_ws(p + 1);
    }
    return found;
}

const char *sup_json_find(const char *json, const char *path, size_t *len)
{
    const char *p = jr_ws(json), *end = jr_value(p, 0);

    if (end == NULL || *jr_ws(end) != '\0')
        return NULL;
    while (*path != '\0') {
        if (*path != '/')
            return NULL;
        path++;
        size_t n = strcspn(path, "/");
        if (memchr(path, '~', n) != NULL || (p = jr_child(p, path, n)) == NULL)
            return NULL;
        path += n;
    }
    *len = (size_t)(jr_value(p, 0) - p);
    return p;
}

int sup_json_int(const char *json, const char *path, long long *out)
{
    size_t len;
    const char *v = sup_json_find(json, path, &len);
    char *end;

    if (v == NULL || strcspn(v, ".eE") < len || (*v != '-' && !isdigit((unsigned char)*v)))
        return -1;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || end != v + len)
        return -1;
    *out = n;
    return 0;
}

int sup_json_is(const char *json, const char *path, const char *want)
{
    size_t len;
    const char *v = sup_json_find(json, path, &len);

    return v != NULL && len == strlen(want) && memcmp(v, want, len) == 0;
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

/* Whether text names flag as a whole word, not inside a longer flag. */
static bool mentions(const char *text, const char *flag)
{
    size_t n = strlen(flag);

    for (const char *p = strstr(text, flag); p != NULL; p = strstr(p + 1, flag)) {
        char before = p == text ? ' ' : p[-1], after = p[n];
        if (!isalnum((unsigned char)before) && before != '-' &&
            !isalnum((unsigned char)after) && after != '-')
            return true;
    }
    return false;
}

void sup_expect_every_flag(const char *text, const struct args_opt *(*row_at)(size_t))
{
    const struct args_opt *row;
    size_t i;

    for (i = 0; (row = row_at(i)) != NULL; i++) {
        char both[64];
        snprintf(both, sizeof(both), "-%c, %s", row->short_name, row->name);
        const char *want = row->short_name != 0 ? both : row->name;
        cr_expect(mentions(text, want), "%s missing from --help", want);
    }
    cr_assert_gt(i, 0, "the option table is empty");
}

long long sup_json_num(const char *json, const char *path)
{
    long long v;
    cr_assert_eq(sup_json_int(json, path, &v), 0, "no integer at %s in: %s", path, json);
    return v;
}

int sup_exit_code(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int sup_count_lines(const char *s)
{
    int n = 0;
    for (; s != NULL && *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

struct sup_proc sup_srv, sup_load;

void sup_procs_init(void)
{
    memset(&sup_srv, 0, sizeof(sup_srv));
    memset(&sup_load, 0, sizeof(sup_load));
    sup_srv.pid = sup_load.pid = -1;
    sup_srv.out_fd = sup_srv.err_fd = sup_load.out_fd = sup_load.err_fd = -1;
}

void sup_procs_fini(void)
{
    sup_free(&sup_srv);
    sup_free(&sup_load);
}

void sup_start_echod(struct sup_proc *p, char *target, const char *const args[])
{
    cr_assert_eq(sup_start_server(p, "echod", args), 0, "echod did not start");
    snprintf(target, 64, "127.0.0.1:%d", p->port);
}

void sup_start_helper(struct sup_proc *p, char *target, const char *name, ...)
{
    char *path = sup_helper(name), *argv[8];
    va_list ap;

    va_start(ap, name);
    const char *first = va_arg(ap, const char *);
    sup_vargv(argv, 8, name, first, ap);
    va_end(ap);

    cr_assert_eq(sup_spawn(p, path, argv), 0);
    free(path);
    cr_assert_eq(sup_wait_listening(p, 10000), 0, "%s did not start", name);
    snprintf(target, 64, "127.0.0.1:%d", p->port);
}

long long sup_echod_num(const char *out, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), " %s=", key);
    const char *p = out ? strstr(out, pat) : NULL;
    return p == NULL ? -1 : strtoll(p + strlen(pat), NULL, 10);
}

int sup_vargv(char *argv[], int n, const char *argv0, const char *first, va_list ap)
{
    int argc = 0;

    argv[argc++] = (char *)argv0;
    for (const char *a = first; a != NULL; a = va_arg(ap, const char *)) {
        cr_assert_lt(argc, n - 1, "more than %d arguments", n - 2);
        argv[argc++] = (char *)a;
    }
    argv[argc] = NULL;
    return argc;
}

char *sup_tcpload(int *status, char **err, const char *first, ...)
{
    char *argv[64], *out = NULL, *path = sup_bin("tcpload");
    va_list ap;

    va_start(ap, first);
    sup_vargv(argv, 64, "tcpload", first, ap);
    va_end(ap);
    *status = sup_run(path, argv, 30000, &out, err);
    free(path);
    cr_assert_neq(*status, -1, "tcpload did not run");
    return out;
}

int sup_lab(char **out, char **err, int timeout_ms, const char *const args[])
{
    char *path = sup_bin("backlog-lab");
    char *argv[24] = { path };
    int n = 1;

    while (args[n - 1] != NULL) {
        cr_assert_lt(n, 23, "more than 22 arguments");
        argv[n] = (char *)args[n - 1];
        n++;
    }
    argv[n] = NULL;
    int st = sup_run(path, argv, timeout_ms, out, err);
    free(path);
    cr_assert_neq(st, -1, "could not run backlog-lab");
    cr_assert(WIFEXITED(st), "backlog-lab died (status %d)", st);
    return WEXITSTATUS(st);
}

char *sup_usage_text(void (*usage)(FILE *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    cr_assert_not_null(f, "open_memstream: %s", strerror(errno));
    usage(f);
    cr_assert_eq(fclose(f), 0, "fclose: %s", strerror(errno));
    return text;
}

int sup_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    cr_assert_not_null(d, "opendir /proc/self/fd: %s", strerror(errno));
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

int sup_tool_ready(const char *pair)
{
    char *argv[] = { "/bin/sh", "tests/echod/install-tools.sh", (char *)pair, NULL };
    char *err = NULL;
    int status = sup_run("/bin/sh", argv, 600000, NULL, &err);

    if (sup_exit_code(status) != 0)
        cr_log_warn("%s: %s", pair, err ? err : "install-tools.sh failed");
    free(err);
    return sup_exit_code(status) == 0;
}

int sup_free_port(void)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

void sup_take_png(const char *path)
{
    unsigned char magic[8] = { 0 };
    FILE *f = fopen(path, "rb");

    cr_assert_not_null(f, "no %s: %s", path, strerror(errno));
    size_t got = fread(magic, 1, sizeof(magic), f);
    fclose(f);
    unlink(path);
    cr_assert(got == sizeof(magic) && memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0,
              "%s is not a PNG", path);
}
