/* bl_plot.c - running gnuplot, and observe's PNG timeline (see
 * bl_plot.h).  The data goes into the script as a gnuplot datablock, so
 * nothing is written to disk but the picture itself. */
#include "bl_plot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os.h"

/* The listeners of all samples, by inode, in the order they appeared. */
static int listeners(const struct bl_observe_sample *s, int n,
                     uint32_t inode[BL_SOCKDIAG_MAX_LISTENERS])
{
    int m = 0;

    for (int i = 0; i < n; i++)
        for (int k = 0; k < s[i].q.kept; k++) {
            int j = 0;
            while (j < m && inode[j] != s[i].q.listener[k].inode)
                j++;
            if (j == m && m < BL_SOCKDIAG_MAX_LISTENERS)
                inode[m++] = s[i].q.listener[k].inode;
        }
    return m;
}

static const struct bl_sockdiag_listener *find(const struct bl_observe_sample *s,
                                               uint32_t inode)
{
    for (int k = 0; k < s->q.kept; k++)
        if (s->q.listener[k].inode == inode)
            return &s->q.listener[k];
    return NULL;
}

void bl_plot_script(FILE *f, const char *png, uint16_t port,
                    const struct bl_observe_sample *s, int n)
{
    uint32_t inode[BL_SOCKDIAG_MAX_LISTENERS];
    int m = listeners(s, n, inode);

    fprintf(f, "set terminal png size 900,640\nset output '%s'\n", png);
    fprintf(f, "set datafile missing '-'\nset key outside right\nset grid\n");
    fprintf(f, "$d << EOD\n");
    for (int i = 0; i < n; i++) {
        fprintf(f, "%.3f", s[i].t_s);
        for (int j = 0; j < m; j++) {
            const struct bl_sockdiag_listener *l = find(&s[i], inode[j]);
            if (l != NULL)
                fprintf(f, " %u %u", l->len, l->limit);
            else
                fprintf(f, " - -");
        }
        fprintf(f, " %lld %lld\n", (long long)s[i].delta[0], (long long)s[i].delta[1]);
    }
    fprintf(f, "EOD\n");
    fprintf(f, "set multiplot layout 2,1 title 'backlog-lab observe, port %u'\n", port);
    fprintf(f, "set ylabel 'connections waiting'\nset yrange [0:*]\nplot");
    for (int j = 0; j < m; j++)
        fprintf(f, "%s $d using 1:%d with steps lw 2 lc %d title 'listener %u queue', "
                   "$d using 1:%d with steps dt 2 lc %d title 'its limit'",
                j ? "," : "", 2 + 2 * j, j + 1, inode[j], 3 + 2 * j, j + 1);
    if (m == 0)
        fprintf(f, " NaN title 'no listener found'");
    fprintf(f, "\nset xlabel 'seconds'\nset ylabel 'since the start (host-wide)'\n");
    fprintf(f, "plot $d using 1:%d with steps lw 2 title 'ListenOverflows', "
               "$d using 1:%d with steps title 'ListenDrops'\n", 2 + 2 * m, 3 + 2 * m);
    fprintf(f, "unset multiplot\n");
}

static int errf(char *err, size_t errlen, const char *what, int e)
{
    snprintf(err, errlen, "%s: %s", what, strerror(e));
    return -1;
}

/* In the child: the script on stdin, stderr into the pipe, exec. */
static void child(int in, int errw)
{
    if (dup2(in, STDIN_FILENO) < 0 || dup2(errw, STDERR_FILENO) < 0 ||
        dup2(errw, STDOUT_FILENO) < 0)
        _exit(126);
    execlp("gnuplot", "gnuplot", (char *)NULL);
    dprintf(errw, "gnuplot not found (Debian: apt-get install gnuplot-nox)\n");
    _exit(127);
}

/* Feeds the script, collects gnuplot's first line of output and status. */
static int run_gnuplot(const char *png, bl_plot_writer write, const void *ctx, char *err,
                       size_t errlen)
{
    int in[2], out[2], status;
    char line[256] = "";

    /* close-on-exec: gnuplot must hold no write end of its own stdin, or it
     * never sees the end of the script */
    if (pipe2(in, O_CLOEXEC) < 0)
        return errf(err, errlen, "pipe2", errno);
    if (pipe2(out, O_CLOEXEC) < 0) {
        int e = errno;
        os_close(in[0]); /* fresh pipe ends: nothing to lose */
        os_close(in[1]);
        return errf(err, errlen, "pipe2", e);
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            os_close(in[i]); /* unused pipe ends */
            os_close(out[i]);
        }
        return errf(err, errlen, "fork", e);
    }
    if (pid == 0)
        child(in[0], out[1]);
    os_close(in[0]);   /* pipe ends the parent does not use */
    os_close(out[1]);
    FILE *f = fdopen(in[1], "w");
    if (f == NULL) {
        os_close(in[1]); /* gnuplot sees an empty script and fails: reaped below */
        snprintf(line, sizeof(line), "fdopen: %s", strerror(errno));
    } else {
        write(f, png, ctx);
        fclose(f); /* a write error shows as gnuplot's failure below */
    }
    if (line[0] == '\0') {
        ssize_t got = read(out[0], line, sizeof(line) - 1);
        line[got > 0 ? got : 0] = '\0';
    }
    line[strcspn(line, "\n")] = '\0';
    os_close(out[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return errf(err, errlen, "waitpid", errno);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && access(png, F_OK) == 0)
        return 0;
    snprintf(err, errlen, "gnuplot failed%s%s", line[0] ? ": " : "", line);
    return -1;
}

/* 1 when an executable named prog is on PATH. */
static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[4096];

    for (const char *p = path ? path : "/usr/bin:/bin"; *p != '\0';) {
        size_t n = strcspn(p, ":");
        if (n > 0 && n + strlen(prog) + 2 <= sizeof(buf)) {
            snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
            if (access(buf, X_OK) == 0)
                return 1;
        }
        p += n + (p[n] == ':');
    }
    return 0;
}

int bl_plot_check(const char *png, char *err, size_t errlen)
{
    const char *slash = strrchr(png, '/');
    char dir[4096];

    if (!on_path("gnuplot")) {
        snprintf(err, errlen, "gnuplot not found (Debian: apt-get install gnuplot-nox)");
        return -1;
    }
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash == png ? 1 : slash - png), png);
    if (access(dir, W_OK) < 0) {
        errf(err, errlen, dir, errno);
        return -2;
    }
    return 0;
}

int bl_plot_precheck(const char *cmd, const struct bl_opts *o)
{
    char why[320];
    int rc = o->plot != NULL ? bl_plot_check(o->plot, why, sizeof(why)) : 0;

    if (rc == 0)
        return 0;
    fprintf(stderr, "backlog-lab: %s --plot %s: %s\n", cmd, o->plot, why);
    return rc == -1 ? 3 : 1;
}

int bl_plot_said(const char *cmd, const struct bl_opts *o, int failed, const char *why,
                      int status)
{
    if (failed < 0) {
        fprintf(stderr, "backlog-lab: %s --plot %s: %s\n", cmd, o->plot, why);
        return status == 0 ? 1 : status;
    }
    if (!o->quiet)
        fprintf(stderr, "backlog-lab: %s: wrote %s\n", cmd, o->plot);
    return status;
}

int bl_plot_run(const char *png, bl_plot_writer write, const void *ctx, char *err,
                size_t errlen)
{
    if (strpbrk(png, "'\n") != NULL) { /* bl_options_parse refuses these */
        snprintf(err, errlen, "a file name with ' or a newline cannot be given to gnuplot");
        return -1;
    }
    return run_gnuplot(png, write, ctx, err, errlen);
}

struct observe_plot {
    uint16_t port;
    const struct bl_observe_sample *s;
    int n;
};

static void observe_writer(FILE *f, const char *png, const void *ctx)
{
    const struct observe_plot *p = ctx;

    bl_plot_script(f, png, p->port, p->s, p->n);
}

int bl_plot_observe(const char *png, uint16_t port, const struct bl_observe_sample *s,
                    int n, char *err, size_t errlen)
{
    struct observe_plot p = { port, s, n };

    return bl_plot_run(png, observe_writer, &p, err, errlen);
}
