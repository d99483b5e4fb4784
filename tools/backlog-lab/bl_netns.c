/* bl_netns.c - anonymous network namespaces joined by veth, built with
 * `ip` and `nft` run inside them, and the private loopback-only namespace
 * of accept-queue (see bl_netns.h). */
#include "bl_netns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os.h"

static int errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Finds name in PATH, then in /usr/sbin and /sbin; returns 0 or -1. */
static int find_tool(const char *name, char out[BL_NETNS_PATH_MAX])
{
    const char *env = getenv("PATH");
    char *dirs = NULL;
    int rc = -1;

    if (asprintf(&dirs, "%s:/usr/sbin:/sbin", env != NULL ? env : "") < 0)
        return -1;
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d != NULL;
         d = strtok_r(NULL, ":", &save)) {
        int n = snprintf(out, BL_NETNS_PATH_MAX, "%s/%s", d, name);
        if (n > 0 && n < BL_NETNS_PATH_MAX && access(out, X_OK) == 0) {
            rc = 0;
            break;
        }
    }
    free(dirs);
    return rc;
}

int bl_netns_check_ip(struct bl_netns *ns, char *err, size_t errlen)
{
    ns->orig = ns->srv = ns->cli = -1;
    if (geteuid() != 0)
        return errf(err, errlen, "the lab needs root here: it creates network namespaces "
                    "and a veth pair (run it with sudo)");
    if (find_tool("ip", ns->ip) < 0)
        return errf(err, errlen, "the lab needs `ip` from iproute2, not found in PATH, "
                    "/usr/sbin or /sbin (Debian: apt-get install iproute2)");
    return 0;
}

int bl_netns_check(struct bl_netns *ns, char *err, size_t errlen)
{
    if (bl_netns_check_ip(ns, err, errlen) < 0)
        return -1;
    if (find_tool("nft", ns->nft) < 0)
        return errf(err, errlen, "the lab needs `nft` from nftables, not found in PATH, "
                    "/usr/sbin or /sbin (Debian: apt-get install nftables)");
    return 0;
}

int bl_netns_enter(int ns_fd)
{
    return setns(ns_fd, CLONE_NEWNET);
}

int bl_netns_private_loopback(char *err, size_t errlen)
{
    struct ifreq ifr;
    int saved, fd;

    if (unshare(CLONE_NEWNET) < 0) {
        saved = errno;
        errf(err, errlen, "unshare(CLONE_NEWNET): %s", strerror(saved));
        errno = saved;
        return -1;
    }
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errf(err, errlen, "socket: %s", strerror(errno));
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
        (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)) {
        saved = errno;
        os_close(fd); /* a datagram socket used for ioctl only */
        errf(err, errlen, "bringing up lo in the new namespace: %s", strerror(saved));
        errno = saved;
        return -1;
    }
    os_close(fd); /* a datagram socket used for ioctl only */
    return 0;
}

/* Makes a fresh namespace and returns an fd holding it, or -1 with a
 * message; the thread is back in orig afterwards. */
static int new_namespace(int orig, char *err, size_t errlen)
{
    if (unshare(CLONE_NEWNET) < 0)
        return errf(err, errlen, "unshare(CLONE_NEWNET): %s", strerror(errno));
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        errf(err, errlen, "open /proc/thread-self/ns/net: %s", strerror(errno));
    if (bl_netns_enter(orig) < 0) {
        /* stuck in the new namespace: nothing below could be trusted */
        perror("backlog-lab: setns back to the original namespace");
        abort();
    }
    return fd;
}

/* In the child: enter the namespace, wire stdin and stderr, exec. */
static void child_exec(int ns_fd, int in_fd, int err_fd, char *const argv[])
{
    if (bl_netns_enter(ns_fd) < 0)
        _exit(126);
    if (in_fd >= 0 && dup2(in_fd, STDIN_FILENO) < 0)
        _exit(126);
    if (dup2(err_fd, STDERR_FILENO) < 0 || dup2(err_fd, STDOUT_FILENO) < 0)
        _exit(126);
    execv(argv[0], argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Collects the child's output and status; returns 0 when it exited 0. */
static int finish_child(pid_t pid, int out_fd, char *const argv[], char *err, size_t errlen)
{
    char buf[512];
    size_t len = 0;
    ssize_t n;
    int status;

    while ((n = read(out_fd, buf + len, sizeof(buf) - 1 - len)) > 0 ||
           (n < 0 && errno == EINTR))
        if (n > 0 && (len += (size_t)n) == sizeof(buf) - 1)
            break;
    buf[len] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    os_close(out_fd); /* a pipe's read end: nothing to lose */
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return errf(err, errlen, "waitpid: %s", strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    return errf(err, errlen, "%s %s failed: %s", argv[0], argv[1] != NULL ? argv[1] : "",
                len > 0 ? buf : "no message");
}

int bl_netns_run(int ns_fd, char *const argv[], const char *stdin_text,
                 char *err, size_t errlen)
{
    int in[2] = { -1, -1 }, out[2];

    if (pipe2(out, O_CLOEXEC) < 0)
        return errf(err, errlen, "pipe: %s", strerror(errno));
    /* os_close keeps errno, so the messages below quote the failed call;
     * pipes hold nothing that a failed close could lose (what was written
     * to one is already in it). */
    if (stdin_text != NULL && pipe2(in, O_CLOEXEC) < 0) {
        os_close(out[0]);
        os_close(out[1]);
        return errf(err, errlen, "pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0)
        child_exec(ns_fd, in[0], out[1], argv);
    os_close(out[1]);
    if (in[0] >= 0)
        os_close(in[0]);
    if (pid < 0) {
        os_close(out[0]);
        if (in[1] >= 0)
            os_close(in[1]);
        return errf(err, errlen, "fork: %s", strerror(errno));
    }
    if (in[1] >= 0) {
        size_t len = strlen(stdin_text);
        ssize_t n = write(in[1], stdin_text, len); /* small: fits the pipe */
        const char *why = n < 0 ? strerror(errno) : "short write";
        os_close(in[1]);
        if (n != (ssize_t)len) {
            finish_child(pid, out[0], argv, err, errlen);
            return errf(err, errlen, "write to %s: %s", argv[0], why);
        }
    }
    return finish_child(pid, out[0], argv, err, errlen);
}

/* The iproute2 batch for the server side: the veth pair (its peer created
 * straight inside the client namespace, named by a /proc path), address,
 * links up. */
static int setup_server(struct bl_netns *ns, char *err, size_t errlen)
{
    char batch[512];
    char *argv[] = { ns->ip, "-batch", "-", NULL };

    /* the child inherits ns->cli under the same number only without
     * O_CLOEXEC, so name it through our own /proc entry instead */
    snprintf(batch, sizeof(batch),
             "link add bl-srv type veth peer name bl-cli netns /proc/%d/fd/%d\n"
             "addr add " BL_NETNS_SERVER_ADDR "/30 dev bl-srv\n"
             "link set lo up\n"
             "link set bl-srv up\n",
             (int)getpid(), ns->cli);
    return bl_netns_run(ns->srv, argv, batch, err, errlen);
}

static int setup_client(struct bl_netns *ns, char *err, size_t errlen)
{
    static const char ip_batch[] =
        "addr add " BL_NETNS_CLIENT_ADDR "/30 dev bl-cli\n"
        "link set lo up\n"
        "link set bl-cli up\n";
    char *ip_argv[] = { ns->ip, "-batch", "-", NULL };

    return bl_netns_run(ns->cli, ip_argv, ip_batch, err, errlen);
}

/* Adds the lab's nft table to the client namespace: one chain on hook
 * (output, prerouting) holding rule. */
static int client_rule(struct bl_netns *ns, const char *hook, const char *rule, char *err,
                       size_t errlen)
{
    char *nft_argv[] = { ns->nft, "-f", "-", NULL };
    char rules[512];

    snprintf(rules, sizeof(rules),
             "table inet backlog_lab {\n"
             "  chain %s {\n"
             "    type filter hook %s priority 0; policy accept;\n"
             "    %s\n"
             "  }\n"
             "}\n",
             hook, hook, rule);
    return bl_netns_run(ns->cli, nft_argv, rules, err, errlen);
}

static int drop_acks(struct bl_netns *ns, uint16_t lo, uint16_t hi, char *err, size_t errlen)
{
    char rule[256];

    /* ACK without SYN: the third packet of the handshake (and anything
     * after it) from client to server; SYNs pass. */
    snprintf(rule, sizeof(rule),
             "ip daddr " BL_NETNS_SERVER_ADDR " tcp dport %u-%u "
             "tcp flags & (syn | ack) == ack counter drop", lo, hi);
    return client_rule(ns, "output", rule, err, errlen);
}

int bl_netns_create_pair(struct bl_netns *ns, char *err, size_t errlen)
{
    ns->orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns->orig < 0)
        return errf(err, errlen, "open /proc/thread-self/ns/net: %s", strerror(errno));
    ns->srv = new_namespace(ns->orig, err, errlen);
    if (ns->srv >= 0)
        ns->cli = new_namespace(ns->orig, err, errlen);
    if (ns->srv < 0 || ns->cli < 0) {
        bl_netns_destroy(ns);
        return -1;
    }
    if (setup_server(ns, err, errlen) < 0 || setup_client(ns, err, errlen) < 0) {
        bl_netns_destroy(ns);
        return -1;
    }
    return 0;
}

int bl_netns_create(struct bl_netns *ns, uint16_t port_lo, uint16_t port_hi,
                    char *err, size_t errlen)
{
    if (bl_netns_create_pair(ns, err, errlen) < 0)
        return -1;
    if (drop_acks(ns, port_lo, port_hi, err, errlen) < 0) {
        bl_netns_destroy(ns);
        return -1;
    }
    return 0;
}

/* The server's route to the spoofed net through the client, and the
 * client's rule that drops whatever arrives for the spoofed net before
 * routing (so no ICMP error goes back either). */
static int setup_spoofed(struct bl_netns *ns, const char *net, char *err, size_t errlen)
{
    char *ip_argv[] = { ns->ip, "-batch", "-", NULL };
    char route[128], rule[128];

    snprintf(route, sizeof(route), "route add %s via " BL_NETNS_CLIENT_ADDR "\n", net);
    snprintf(rule, sizeof(rule), "ip daddr %s counter drop", net);
    if (bl_netns_run(ns->srv, ip_argv, route, err, errlen) < 0)
        return -1;
    return client_rule(ns, "prerouting", rule, err, errlen);
}

int bl_netns_create_spoofed(struct bl_netns *ns, const char *net, char *err, size_t errlen)
{
    if (bl_netns_create_pair(ns, err, errlen) < 0)
        return -1;
    if (setup_spoofed(ns, net, err, errlen) < 0) {
        bl_netns_destroy(ns);
        return -1;
    }
    return 0;
}

void bl_netns_destroy(struct bl_netns *ns)
{
    if (ns->orig >= 0 && bl_netns_enter(ns->orig) < 0)
        perror("backlog-lab: setns back to the original namespace");
    int *fds[] = { &ns->srv, &ns->cli, &ns->orig };
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (*fds[i] >= 0)
            os_close(*fds[i]); /* namespace fds: closing releases, cannot lose data */
        *fds[i] = -1;
    }
}
