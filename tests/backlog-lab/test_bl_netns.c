/* test_bl_netns.c - the pair of network namespaces of the syn-queue
 * experiment (bl_netns.c), built directly: each side holds its own
 * address on the veth pair, a connection outside the dropped ports crosses
 * it, a command that fails inside a namespace is quoted, and destroying
 * the pair releases every descriptor.  It needs root, `ip` and `nft`;
 * otherwise it is skipped with a message (test_bl_synq.c installs the
 * tools as root); the bare pair of the close experiment has no rule;
 * syn-flood's pair routes its spoofed net to the client, which drops it. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bl_netns.h"
#include "support.h"

enum { DROPPED_PORT = 47001, OPEN_PORT = 47002 };

/* A TCP socket created in namespace ns_fd, bound to addr:port; the thread
 * goes back to orig afterwards.  -1 with errno when bind fails. */
static int socket_in(int ns_fd, int orig, const char *addr, int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

    cr_assert_eq(inet_pton(AF_INET, addr, &a.sin_addr), 1);
    cr_assert_eq(bl_netns_enter(ns_fd), 0, "setns: %s", strerror(errno));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(bl_netns_enter(orig), 0, "setns back: %s", strerror(errno));
    cr_assert_geq(fd, 0);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Skips the test without root, ip or nft; fills ns's tool paths. */
static void need_tools(struct bl_netns *ns)
{
    char err[512];

    if (geteuid() != 0)
        cr_skip("bl_netns test skipped: needs root to create network namespaces");
    if (bl_netns_check(ns, err, sizeof(err)) < 0)
        cr_skip("bl_netns test skipped: %s", err);
}

/* Listens on the server address at port, connects from the client's and
 * accepts: the connection crossed the veth pair both ways. */
static void connect_across(const struct bl_netns *ns, int port)
{
    int lfd = socket_in(ns->srv, ns->orig, BL_NETNS_SERVER_ADDR, port);
    cr_assert_geq(lfd, 0, "server address missing in its namespace: %s", strerror(errno));
    cr_assert_eq(listen(lfd, 4), 0);
    int cfd = socket_in(ns->cli, ns->orig, BL_NETNS_CLIENT_ADDR, 0);
    cr_assert_geq(cfd, 0, "client address missing in its namespace: %s", strerror(errno));
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, BL_NETNS_SERVER_ADDR, &to.sin_addr);
    cr_assert_eq(connect(cfd, (struct sockaddr *)&to, sizeof(to)), 0, "connect: %s",
                 strerror(errno));
    int afd = accept(lfd, NULL, NULL);
    cr_assert_geq(afd, 0, "accept: %s", strerror(errno));
    close(afd);
    close(cfd);
    close(lfd);
}

Test(bl_netns, pair_is_joined_by_veth_and_destroyed, .timeout = 60)
{
    struct bl_netns ns;
    char err[512];

    need_tools(&ns);
    int fds = sup_count_fds();

    cr_assert_eq(bl_netns_create(&ns, DROPPED_PORT, DROPPED_PORT, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert(ns.orig >= 0 && ns.srv >= 0 && ns.cli >= 0);

    cr_assert_eq(socket_in(ns.srv, ns.orig, BL_NETNS_CLIENT_ADDR, 0), -1,
                 "the client's address is in the server namespace");
    connect_across(&ns, OPEN_PORT);

    char *fails[] = { ns.ip, "link", "show", "dev", "no-such-link", NULL };
    cr_assert_eq(bl_netns_run(ns.cli, fails, NULL, err, sizeof(err)), -1);
    cr_assert(strstr(err, "failed") != NULL && strstr(err, ns.ip) != NULL, "%s", err);

    bl_netns_destroy(&ns);
    cr_assert(ns.orig == -1 && ns.srv == -1 && ns.cli == -1, "descriptors not forgotten");
    cr_assert_eq(sup_count_fds(), fds, "namespace descriptors left open");
}

/* bl_netns_create_pair (the close experiment's): the same veth pair with no
 * rule, so a connection to the port create() would drop completes, and
 * the client namespace holds no nftables table; bl_netns_check_ip finds ip. */
Test(bl_netns, bare_pair_has_no_rule, .timeout = 60)
{
    struct bl_netns ns;
    char err[512];

    need_tools(&ns);
    cr_assert_eq(bl_netns_check_ip(&ns, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(bl_netns_check(&ns, err, sizeof(err)), 0, "%s", err);
    int fds = sup_count_fds();
    cr_assert_eq(bl_netns_create_pair(&ns, err, sizeof(err)), 0, "%s", err);

    connect_across(&ns, DROPPED_PORT);
    char *list[] = { ns.nft, "list", "table", "inet", "backlog_lab", NULL };
    cr_assert_eq(bl_netns_run(ns.cli, list, NULL, err, sizeof(err)), -1,
                 "the bare pair has the drop table");

    bl_netns_destroy(&ns);
    cr_assert_eq(sup_count_fds(), fds, "namespace descriptors left open");
}

/* syn-flood's pair: the server routes the spoofed net through the client,
 * and the client holds the rule that drops what comes back for it. */
Test(bl_netns, spoofed_pair_routes_the_spoofed_net_to_the_client, .timeout = 60)
{
    struct bl_netns ns;
    char err[512];

    need_tools(&ns);
    int fds = sup_count_fds();

    cr_assert_eq(bl_netns_create_spoofed(&ns, "10.214.0.0/16", err, sizeof(err)), 0, "%s",
                 err);
    char *route[] = { ns.ip, "route", "get", "10.214.7.9", NULL };
    cr_assert_eq(bl_netns_run(ns.srv, route, NULL, err, sizeof(err)), 0, "%s", err);
    char *outside[] = { ns.ip, "route", "get", "10.215.7.9", NULL };
    cr_assert_eq(bl_netns_run(ns.srv, outside, NULL, err, sizeof(err)), -1,
                 "the server routes more than the spoofed net");
    char *rule[] = { ns.nft, "list", "chain", "inet", "backlog_lab", "prerouting", NULL };
    cr_assert_eq(bl_netns_run(ns.cli, rule, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(bl_netns_run(ns.srv, rule, NULL, err, sizeof(err)), -1,
                 "the drop rule is in the server namespace too");
    bl_netns_destroy(&ns);
    cr_assert_eq(sup_count_fds(), fds, "namespace descriptors left open");
}
