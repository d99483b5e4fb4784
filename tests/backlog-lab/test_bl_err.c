/* test_bl_err.c - a failed experiment names the call that failed: the
 * record itself, an accept-queue run that runs out of descriptors, and
 * the line bin/backlog-lab prints then.  Descriptors are made scarce
 * without root by lowering RLIMIT_NOFILE, here in the test's own process
 * (Criterion runs each test in a child of its own) or, for the program,
 * with the shell's ulimit before exec, counted from the descriptors the
 * shell already holds. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bl_acceptq.h"
#include "bl_env.h"
#include "bl_err.h"
#include "clock.h"
#include "support.h"

Test(bl_err, first_failure_is_kept)
{
    struct bl_err e = { "", 0 };

    cr_assert_eq(bl_err_set(&e, EINVAL, "bind %s:%u", "127.0.0.1", 7007u), -1);
    cr_assert_str_eq(e.call, "bind 127.0.0.1:7007");
    cr_assert_eq(e.errnum, EINVAL);
    cr_assert_eq(bl_err_set(&e, EBADF, "close"), -1);
    cr_assert_str_eq(e.call, "bind 127.0.0.1:7007", "a cleanup failure replaced the cause");
    cr_assert_eq(e.errnum, EINVAL);
}

/* Allows exactly `spare` more descriptors than are open below the lowest
 * free number. */
static void leave_descriptors(int spare)
{
    struct rlimit rl;
    int lowest = dup(0);

    cr_assert_geq(lowest, 0, "dup: %s", strerror(errno));
    close(lowest);
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = (rlim_t)(lowest + spare);
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit: %s", strerror(errno));
}

static void expect_failure(int spare, const char *call)
{
    char argv0[] = "backlog-lab", cmd[] = "accept-queue", quiet[] = "-q";
    char *argv[] = { argv0, cmd, quiet, NULL };
    struct bl_opts o;
    struct bl_acceptq_run run;
    struct bl_err why;
    char err[256];

    cr_assert_eq(bl_options_parse(3, argv, &o, err, sizeof(err)), 0, "%s", err);
    o.settle_ns = 100 * CLOCK_NS_PER_MS;
    o.window_ns = 100 * CLOCK_NS_PER_MS;
    bl_env_progress_init(true);
    leave_descriptors(spare);
    cr_assert_eq(bl_acceptq_run(8, 4, &o, &run, &why), -1);
    cr_assert_str_eq(why.call, call);
    cr_assert_eq(why.errnum, EMFILE, "%s", strerror(why.errnum));
    bl_acceptq_free(&run);
}

Test(bl_err, acceptq_run_out_of_descriptors_reading_somaxconn, .timeout = 30)
{
    expect_failure(0, "reading /proc/sys/net/core/somaxconn");
}

Test(bl_err, acceptq_run_out_of_descriptors_after_the_listener, .timeout = 30)
{
    expect_failure(1, "epoll_create1"); /* the listen socket took the one left */
}

Test(bl_err, backlog_lab_prints_the_failed_call, .timeout = 30)
{
    char *path = sup_bin("backlog-lab"), *out = NULL, *err = NULL;
    char *argv[] = { "/bin/sh", "-c",
                     /* three descriptors free past those the shell holds,
                      * inherited ones included: enough to start, not for a run */
                     "set -- /proc/self/fd/*; ulimit -n $(($# + 3)) && "
                     "exec \"$0\" accept-queue --backlog 1 --settle 100ms "
                     "--accept-window 100ms -q", path, NULL };
    static const char prefix[] = "backlog-lab: accept-queue run at backlog 1: ";
    static const char suffix[] = ": Too many open files\n";

    int st = sup_run(argv[0], argv, 20000, &out, &err);
    cr_assert(WIFEXITED(st), "status %d", st);
    cr_assert_eq(WEXITSTATUS(st), 1, "stderr: %s", err);
    /* the call between the context and the reason, e.g. "epoll_create1" */
    const char *line = strstr(err, prefix);
    cr_assert_not_null(line, "%s", err);
    const char *call = line + strlen(prefix);
    const char *end = strstr(call, suffix);
    cr_assert_not_null(end, "%s", err);
    cr_assert_gt(end - call, 0, "no call named: %s", err);
    cr_assert_str_eq(end, suffix, "%s", err);
    free(out), free(err), free(path);
}

/* issue 13 item 7: a client count cut by the open-file limit is said. */
Test(bl_err, issue_13_clients_cut_by_open_file_limit_is_said, .timeout = 60)
{
    char *path = sup_bin("backlog-lab"), *out = NULL, *err = NULL;
    char *argv[] = { "/bin/sh", "-c",
                     "ulimit -n 200 && exec \"$0\" accept-queue --backlog 1 --clients 500 "
                     "--settle 100ms --accept-window 500ms -q", path, NULL };

    int st = sup_run(argv[0], argv, 40000, &out, &err);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d, stderr: %s", st, err);
    cr_assert(strstr(err, "backlog 1 gets 68 clients, not 500: the open-file limit is 200")
              != NULL, "%s", err);
    free(out), free(err), free(path);
}
