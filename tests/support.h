/* support.h - helpers the integration tests share: start one of our
 * programs as a child process, read the port it listens on, talk to it over
 * loopback, stop it by PID, and read values out of the JSON it prints;
 * for the tool tests, run tcpload or backlog-lab to completion and start
 * echod for tcpload to drive, with the processes a suite's fini cleans up.
 *
 * Programs are found in $TOOLKIT_BIN (default "bin"), test helper programs
 * in $TOOLKIT_HELPERS (default "build/tests/helpers"); `make test` sets both
 * so that the sanitizer pass drives the sanitized binaries.
 */
#ifndef TEST_SUPPORT_H
#define TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct sup_proc {
    pid_t pid;
    int out_fd;        /* child's stdout, read end (nonblocking) */
    int err_fd;        /* child's stderr, read end (nonblocking) */
    char host[64];     /* from "listening on HOST:PORT" */
    int port;
    char *out;         /* everything read from stdout so far, NUL-ended */
    size_t out_len;
    char *err;         /* everything read from stderr so far */
    size_t err_len;
};

/* Path of program NAME: "$TOOLKIT_BIN/NAME" (static buffer per call site
 * is not needed: the result is malloc'ed and owned by the caller). */
char *sup_bin(const char *name);
/* Path of test helper NAME under $TOOLKIT_HELPERS; malloc'ed. */
char *sup_helper(const char *name);

/* Starts path with argv (argv[0] included, NULL-ended), stdout and stderr
 * piped.  Returns 0 or -1. */
int sup_spawn(struct sup_proc *p, const char *path, char *const argv[]);

/* Reads the child's output until a line "listening on HOST:PORT ..." shows
 * up on stdout (then fills host and port) or timeout_ms passes.
 * Returns 0 or -1. */
int sup_wait_listening(struct sup_proc *p, int timeout_ms);

/* Starts $TOOLKIT_BIN/NAME with the given arguments (NULL-ended, argv[0]
 * excluded) plus "--listen 127.0.0.1:0" unless args already hold
 * "--listen", and waits for its listening line.  Returns 0 or -1. */
int sup_start_server(struct sup_proc *p, const char *name, const char *const args[]);

/* Drains whatever the child has written so far into p->out / p->err. */
void sup_drain(struct sup_proc *p);

/* Waits up to timeout_ms for the child to exit; returns its wait status,
 * or -1 on timeout (the child is left running). */
int sup_wait(struct sup_proc *p, int timeout_ms);

/* Sends sig and waits up to timeout_ms; on timeout sends SIGKILL.  Returns
 * the wait status.  Frees nothing: call sup_free afterwards. */
int sup_stop(struct sup_proc *p, int sig, int timeout_ms);

/* Kills the child if still running and releases everything. */
void sup_free(struct sup_proc *p);

/* Runs path with argv to completion (killed after timeout_ms), capturing
 * stdout and stderr into malloc'ed strings (either may be NULL when not
 * wanted).  Returns the wait status, or -1 when it could not run. */
int sup_run(const char *path, char *const argv[], int timeout_ms,
            char **out, char **err);

/* Resident set size of pid in KiB, from /proc/PID/status; -1 on error. */
long sup_rss_kib(pid_t pid);

/* Blocking TCP connect to host:port (IPv4 or IPv6 literal); -1 on error. */
int sup_connect(const char *host, int port);

/* Writes all of buf; returns 0 or -1. */
int sup_write_all(int fd, const void *buf, size_t len);
/* Reads exactly len bytes unless EOF or timeout_ms of silence comes first;
 * returns the number read, or -1 on error. */
ssize_t sup_read_n(int fd, void *buf, size_t len, int timeout_ms);

/* Fills buf with a pattern that depends on seed and offset, so any lost,
 * duplicated or reordered byte shows up in a comparison. */
void sup_pattern(uint8_t *buf, size_t len, uint64_t seed, uint64_t offset);

/* Copies len bytes (at most two pages) so that they end exactly where an
 * unreadable page begins, and returns the copy: a parser that reads one
 * byte past its input crashes the test.  The copy stays valid until the
 * next call. */
void *sup_guarded(const void *data, size_t len);

/* Finds the value at path in json, which must be one strict JSON text
 * (RFC 8259, surrounded by nothing but whitespace, at most 64 levels deep;
 * strings are not checked for valid UTF-8), else nothing is found.  path is a JSON Pointer
 * (RFC 6901) without its ~ escapes: "" is the whole text, "/totals/bytes_in"
 * a member of a member, "/runs/0/backlog" a member of an array's first
 * element.  Keys are compared with the bytes between their quotes as
 * written; an object holding the key twice has no such member.  Returns
 * the value's first byte within json and its length in *len, or NULL. */
const char *sup_json_find(const char *json, const char *path, size_t *len);

/* The integer at path (a JSON number with no fraction or exponent, in the
 * range of long long) into *out.  Returns 0 or -1. */
int sup_json_int(const char *json, const char *path, long long *out);

/* 1 when the value at path is exactly the JSON text want ("\"on\"",
 * "true", "null", "3"), else 0. */
int sup_json_is(const char *json, const char *path, const char *want);

struct args_opt;

/* Expects (cr_expect) every row of an option table, walked by row_at until
 * it returns NULL, to be named in a --help text as a whole word: a row
 * with a short letter as "-c, --long".  Fails when the table is empty. */
void sup_expect_every_flag(const char *text, const struct args_opt *(*row_at)(size_t));

/* How many descriptors this process has open (asserts on failure). */
int sup_count_fds(void);

/* What usage writes to a FILE, as a malloc'ed string (asserts on failure). */
char *sup_usage_text(void (*usage)(FILE *));

/* The integer at path in a program's JSON output; the test fails when
 * there is none. */
long long sup_json_num(const char *json, const char *path);

/* The exit status in a wait status, or -1 when the process did not exit. */
int sup_exit_code(int status);

/* The number of newlines in s (0 for NULL). */
int sup_count_lines(const char *s);

/* The two processes a tool test starts, a server and the load against it.
 * A suite gives TestSuite .init = sup_procs_init (both unstarted) and
 * .fini = sup_procs_fini, which kills what a failed assertion left
 * running. */
extern struct sup_proc sup_srv, sup_load;
void sup_procs_init(void);
void sup_procs_fini(void);

/* Starts echod (sup_start_server) into p with args; writes its
 * "127.0.0.1:PORT" into target (64 bytes).  The test fails when it does
 * not start. */
void sup_start_echod(struct sup_proc *p, char *target, const char *const args[]);

/* Starts test helper server name (under $TOOLKIT_HELPERS) with a
 * NULL-ended list of arguments (at most 6) into p and writes its
 * "127.0.0.1:PORT" into target (64 bytes).  The test fails when it does
 * not start. */
void sup_start_helper(struct sup_proc *p, char *target, const char *name, ...);

/* The number after the first " key=" in echod's output, or -1: the final
 * summary when no stats line (SIGUSR1, --stats-interval) came before it. */
long long sup_echod_num(const char *out, const char *key);

/* Fills argv, room for n pointers, with argv0 and the NULL-ended list
 * that starts at first and goes on in ap (the test fails past n - 2 of it),
 * then NULL.  Returns the number of arguments, argv0 included. */
int sup_vargv(char *argv[], int n, const char *argv0, const char *first, va_list ap);

/* Runs $TOOLKIT_BIN/tcpload with a NULL-ended argument list (at most 62),
 * killed after 30 s; returns its stdout (and stderr in *err when err is not NULL), its wait
 * status in *status.  The test fails when it could not run. */
char *sup_tcpload(int *status, char **err, const char *first, ...);

/* Runs $TOOLKIT_BIN/backlog-lab with args (NULL-ended, at most 22),
 * capturing stdout and stderr as sup_run does; returns its exit status.
 * The test fails when it could not run or did not exit. */
int sup_lab(char **out, char **err, int timeout_ms, const char *const args[]);

/* Makes sure COMMAND exists, installing PACKAGE when it is missing
 * (pair "COMMAND:PACKAGE", tests/echod/install-tools.sh: apt-get).
 * Returns 1 when it is there, else 0 after logging why (the test then
 * skips and says so). */
int sup_tool_ready(const char *pair);

/* Asserts that path holds a PNG (its 8-byte signature), then removes it. */
void sup_take_png(const char *path);

/* A loopback TCP port that was free a moment ago, for a program that
 * takes no port 0 (HAProxy, Prometheus); asserts on failure. */
int sup_free_port(void);

#endif
