/* test_log.c - echod's output lines: never blocking, never cut, stamped
 * unless stderr is the journal, rate limited where asked. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Puts a fresh pipe of size bytes on fd (stdout or stderr) and returns
 * its read end, nonblocking. */
static int pipe_on(int fd, int size)
{
    int p[2];

    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    cr_assert_geq(fcntl(p[1], F_SETPIPE_SZ, size), size);
    cr_assert_eq(dup2(p[1], fd), fd);
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    return p[0];
}

/* Everything the read end holds now, NUL-ended. */
static char *slurp(int rfd, size_t *len)
{
    size_t cap = 1 << 20;
    char *buf = malloc(cap + 1);
    ssize_t n;

    *len = 0;
    while ((n = read(rfd, buf + *len, cap - *len)) > 0)
        *len += (size_t)n;
    buf[*len] = '\0';
    return buf;
}

/* Issue 9, fault 4: a reader that never reads must not block a writer. */
Test(log, a_full_pipe_drops_whole_lines_and_counts_them, .timeout = 10)
{
    int rfd = pipe_on(STDOUT_FILENO, 4096);
    char line[128];
    int written = 0;

    log_init();
    uint64_t before = log_dropped();
    while (log_dropped() < before + 100) {
        int n = snprintf(line, sizeof(line), "line %06d %s\n", written++, "xxxxxxxxxxxxxxxxxxxxxxx");
        log_out(line, (size_t)n);
    }
    size_t len;
    char *got = slurp(rfd, &len);
    cr_assert_gt(len, 0);
    cr_assert_eq(got[len - 1], '\n', "the last line written is whole");
    int lines = 0;
    for (char *p = got; *p != '\0'; p = strchr(p, '\n') + 1, lines++)
        cr_assert_eq(strncmp(p, "line ", 5), 0, "a cut line: '%.40s'", p);
    cr_assert_eq((uint64_t)lines + (log_dropped() - before), (uint64_t)written,
                 "each line either arrived whole or was counted");
    free(got);
}

/* A line the pipe took only in part is finished before the next one. */
Test(log, a_cut_line_is_finished_first, .timeout = 10)
{
    enum { LINE = 40000 };
    int rfd = pipe_on(STDOUT_FILENO, 65536);
    static char a[LINE], b[LINE], want[2 * LINE + 7];
    size_t len1, len2;

    log_init();
    memset(a, 'a', LINE - 1);
    a[LINE - 1] = '\n';
    memset(b, 'b', LINE - 1);
    b[LINE - 1] = '\n';
    log_out(a, LINE);
    log_out(b, LINE); /* the pipe has room for part of it */
    char *got1 = slurp(rfd, &len1);
    cr_assert_lt(len1, 2 * LINE, "the pipe took both lines whole");
    log_outf("after\n");
    char *got2 = slurp(rfd, &len2);
    memcpy(want, a, LINE);
    memcpy(want + LINE, b, LINE);
    memcpy(want + 2 * LINE, "after\n", 7);
    cr_assert_eq(len1 + len2, 2 * LINE + 6);
    cr_assert_eq(memcmp(got1, want, len1), 0);
    cr_assert_eq(memcmp(got2, want + len1, len2), 0);
    free(got1);
    free(got2);
}

static void assert_matches(const char *text, const char *pattern)
{
    regex_t re;

    cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    cr_assert_eq(regexec(&re, text, 0, NULL, 0), 0, "'%s' does not match %s", text, pattern);
    regfree(&re);
}

Test(log, stderr_lines_are_stamped_unless_stderr_is_the_journal)
{
    int rfd = pipe_on(STDERR_FILENO, 4096);
    struct stat st;
    char js[64];
    size_t len;

    unsetenv("JOURNAL_STREAM");
    log_init();
    log_errf("hello %d", 42);
    char *got = slurp(rfd, &len);
    assert_matches(got, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
                        "echod: hello 42\n$");
    free(got);

    cr_assert_eq(fstat(STDERR_FILENO, &st), 0);
    snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", js, 1);
    log_init();
    log_errf("to the journal");
    got = slurp(rfd, &len);
    cr_assert_str_eq(got, "echod: to the journal\n");
    free(got);
    unsetenv("JOURNAL_STREAM");
}

Test(log, limited_lines_say_how_many_were_suppressed)
{
    int rfd = pipe_on(STDERR_FILENO, 4096);
    struct log_limit l = LOG_LIMIT(200);
    size_t len;

    setenv("JOURNAL_STREAM", "0:0", 1); /* not stderr: stamped */
    log_init();
    for (int i = 0; i < 3; i++)
        log_errf_limited(&l, "shed %d", i);
    char *got = slurp(rfd, &len);
    cr_assert_eq(strstr(got, "echod: shed 1"), NULL, "%s", got);
    cr_assert_not_null(strstr(got, "echod: shed 0\n"), "%s", got);
    free(got);
    usleep(250000);
    log_errf_limited(&l, "shed %d", 3);
    got = slurp(rfd, &len);
    cr_assert_not_null(strstr(got, "echod: shed 3 (2 more like this not logged)\n"), "%s", got);
    free(got);
    unsetenv("JOURNAL_STREAM");
}

Test(log, flush_gives_up_on_a_reader_that_never_reads, .timeout = 10)
{
    int rfd = pipe_on(STDOUT_FILENO, 4096);
    static char big[8192];

    log_init();
    memset(big, 'z', sizeof(big));
    big[sizeof(big) - 1] = '\n';
    log_out(big, sizeof(big));
    uint64_t before = log_dropped();
    log_flush(100);
    cr_assert_eq(log_dropped(), before + 1, "the cut line counted as dropped");
    close(rfd);
}
