/* tl_main.c - tcpload: a load generator for TCP servers.
 *
 * Parses the command line (tl_opts); `tcpload merge` goes to tl_merge.
 * Otherwise opens the --histogram file (before connecting, so a bad path
 * costs no run), raises the open-file limit, runs the chosen mode on its
 * threads (tl_run with tl_echo, tl_connect or tl_hold), judges the run and
 * prints the report (tl_report).  Exit status: 0 for a completed run, 1
 * when data came back corrupted, messages went unanswered, no connection
 * could be made, the run ended (or was stopped by a signal) before its
 * window began, the run could not be carried out, or the report could
 * not be written (a full disk, a closed pipe), 2 for bad usage (an
 * unwritable --histogram file included).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "os.h"
#include "tl_connect.h"
#include "tl_echo.h"
#include "tl_hold.h"
#include "tl_merge.h"
#include "tl_opts.h"
#include "tl_pattern.h"
#include "tl_report.h"
#include "tl_run.h"
#include "tl_sys.h"
#include "version.h"

static tl_mode_fn mode_fn(enum tl_mode mode)
{
    switch (mode) {
    case TL_MODE_CONNECT:
        return tl_connect_thread;
    case TL_MODE_HOLD:
        return tl_hold_thread;
    case TL_MODE_ECHO:
    case TL_MODE_STREAM: /* the echo engine, writing without waiting */
    case TL_MODES:
        break;
    }
    return tl_echo_thread;
}

static uint64_t tv_ns(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000000ULL + (uint64_t)tv.tv_usec * 1000ULL;
}

/* Runs the mode and reports; returns the exit status. */
static int run_mode(const struct tl_opts *o, FILE *hist)
{
    static struct tl_stats total; /* three histograms: too big for the stack */
    struct tl_run run;
    struct tl_sys sys;
    struct rusage ru;
    char why[512], host[256];
    uint64_t elapsed;
    int rc;

    tl_sys_read(&sys);
    if ((rc = os_raise_nofile(&sys.nofile, &sys.nofile_hard)) < 0)
        fprintf(stderr, "tcpload: cannot raise the open-file limit: %s\n", strerror(-rc));
    if (sys.nofile > 0 && o->conns + 64 > sys.nofile) /* 0: the limit is unknown */
        fprintf(stderr, "tcpload: -c %lu is close to or above the open-file limit %lu; "
                "connections beyond it fail with EMFILE\n", (unsigned long)o->conns,
                (unsigned long)sys.nofile);
    signal(SIGPIPE, SIG_IGN); /* sends use MSG_NOSIGNAL; this covers the rest */

    rc = tl_run_execute(&run, o, mode_fn(o->mode), &total, &elapsed);
    struct tl_result res = { .o = o, .sys = &sys, .s = &total, .elapsed_ns = elapsed,
                             .failure = rc < 0 ? run.why : NULL,
                             .warmup_ns = run.warmup_ran_ns, .stop_sig = run.stop_sig };
    /* hold starts its clock once every thread is done opening, even if
     * none opened anything: then nothing was held. */
    res.no_window = !run.window_begun || (o->mode == TL_MODE_HOLD && total.conns_ok == 0);
    if (res.no_window) {
        res.elapsed_ns = 0;
    } else {
        res.wall_start_ns = run.measure_ns + (uint64_t)run.wall_offset_ns;
        res.wall_end_ns = res.wall_start_ns + elapsed;
    }
    if (getrusage(RUSAGE_SELF, &ru) == 0) { /* cannot fail with these arguments */
        res.cpu_user_ns = tv_ns(ru.ru_utime);
        res.cpu_sys_ns = tv_ns(ru.ru_stime);
        res.cpu_sleeps = (uint64_t)ru.ru_nvcsw;
    }
    tl_report_stamp(&res, host, sizeof(host));
    tl_report_judge(&res, why, sizeof(why));
    if (o->json)
        tl_report_json(stdout, &res);
    else
        tl_report_human(stdout, &res);
    if (hist != NULL && (rc = tl_report_histogram(hist, &res)) < 0) {
        fprintf(stderr, "tcpload: --histogram: %s: %s\n", o->histogram, strerror(-rc));
        res.failure = "cannot write the histogram file";
    }
    int status = tl_report_exit_status(&res);
    tl_run_free(&run);
    return status;
}

/* The report is the run's result: when writing it failed, the run fails
 * too, saying why.  Returns status, or 1 in place of 0. */
static int check_report_written(int status)
{
    int err = fflush(stdout) != 0 ? errno : ferror(stdout) ? EIO : 0;

    if (err == 0)
        return status;
    fprintf(stderr, "tcpload: writing the report to standard output: %s\n", strerror(err));
    return status == 0 ? 1 : status;
}

/* Reads --payload into memory and makes its size the message size.
 * Returns the buffer, or NULL after saying why (exit 2). */
static uint8_t *read_payload(struct tl_opts *o)
{
    FILE *f = fopen(o->payload_file, "rb");
    const char *why = NULL;
    uint8_t *buf = NULL;
    long len = 0;

    if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) < 0)
        why = strerror(errno);
    else if (len == 0 || len > 64L << 20)
        why = "expected a file of 1 byte to 64MiB";
    else if ((buf = malloc((size_t)len)) == NULL)
        why = strerror(ENOMEM);
    else if (fread(buf, 1, (size_t)len, f) != (size_t)len)
        why = "cannot read it whole";
    if (f != NULL)
        fclose(f); /* read only: nothing a failed close could lose */
    if (why != NULL) {
        fprintf(stderr, "tcpload: --payload: %s: %s\n", o->payload_file, why);
        free(buf);
        return NULL;
    }
    o->payload = buf;
    o->size = (uint64_t)len;
    return buf;
}

int main(int argc, char **argv)
{
    static struct tl_opts o; /* the merge file list makes it large */
    char err[512];
    FILE *hist = NULL;

    switch (tl_opts_parse(&o, argc, argv, err, sizeof(err))) {
    case TL_OPTS_HELP:
        tl_opts_usage(stdout);
        return 0;
    case TL_OPTS_VERSION:
        printf("tcpload %s\n", TOOLKIT_VERSION);
        return 0;
    case TL_OPTS_ERROR:
        fprintf(stderr, "%s\n", err);
        return 2;
    case TL_OPTS_RUN:
        break;
    }
    if (o.histogram != NULL && (hist = fopen(o.histogram, "w")) == NULL) {
        fprintf(stderr, "tcpload: --histogram: %s: %s\n", o.histogram, strerror(errno));
        return 2;
    }
    if (o.merge)
        return check_report_written(tl_merge_main(&o, hist));
    uint8_t *payload = NULL;
    if (o.payload_file != NULL && (payload = read_payload(&o)) == NULL) {
        if (hist != NULL)
            fclose(hist);
        return 2;
    }
    if (tl_pattern_init() < 0) {
        fprintf(stderr, "tcpload: out of memory\n");
        return 1;
    }
    int status = check_report_written(run_mode(&o, hist));
    tl_pattern_free();
    free(payload);
    return status;
}
