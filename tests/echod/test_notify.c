/* test_notify.c - the sd_notify datagrams (notify.c) as a service manager
 * receives them: a test-owned Unix datagram socket, by path and in the
 * abstract namespace, and the refusal of a malformed NOTIFY_SOCKET. */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

/* Binds a datagram socket at name ("/path" or "@abstract"). */
static int manager_socket(const char *name)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    size_t len = strlen(name);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    cr_assert_geq(fd, 0);
    memcpy(sun.sun_path, name, len);
    if (name[0] == '@')
        sun.sun_path[0] = '\0';
    cr_assert_eq(bind(fd, (struct sockaddr *)&sun,
                      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)), 0);
    return fd;
}

static void expect_datagram(int fd, const char *want)
{
    struct pollfd pfd = { fd, POLLIN, 0 };
    char buf[256];

    cr_assert_eq(poll(&pfd, 1, 2000), 1, "no datagram for '%s'", want);
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    cr_assert_geq(n, 0);
    buf[n] = '\0';
    cr_expect_str_eq(buf, want);
}

Test(notify, path_socket_gets_each_message_and_the_variable_is_unset)
{
    char path[64], err[256];
    struct notify n;

    snprintf(path, sizeof(path), "/tmp/echod-notify-test-%d", (int)getpid());
    unlink(path);
    int mgr = manager_socket(path);
    setenv("NOTIFY_SOCKET", path, 1);
    cr_assert_eq(notify_open(&n, err, sizeof(err)), 0, "%s", err);
    cr_expect(notify_enabled(&n));
    cr_expect_null(getenv("NOTIFY_SOCKET"));
    cr_expect_eq(notify_send(&n, "READY=1"), 0);
    cr_expect_eq(notify_send(&n, "STATUS=serving"), 0);
    expect_datagram(mgr, "READY=1");
    expect_datagram(mgr, "STATUS=serving");
    notify_close(&n);
    close(mgr);
    unlink(path);
}

Test(notify, abstract_socket)
{
    char name[64], err[256];
    struct notify n;

    snprintf(name, sizeof(name), "@echod-notify-test-%d", (int)getpid());
    int mgr = manager_socket(name);
    setenv("NOTIFY_SOCKET", name, 1);
    cr_assert_eq(notify_open(&n, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(notify_send(&n, "STOPPING=1"), 0);
    expect_datagram(mgr, "STOPPING=1");
    notify_close(&n);
    close(mgr);
}

Test(notify, without_the_variable_nothing_is_sent)
{
    char err[256];
    struct notify n;

    unsetenv("NOTIFY_SOCKET");
    cr_assert_eq(notify_open(&n, err, sizeof(err)), 0);
    cr_expect_not(notify_enabled(&n));
    cr_expect_eq(notify_send(&n, "READY=1"), 0);
    notify_close(&n);
}

Test(notify, relative_path_is_refused_by_name)
{
    char err[256];
    struct notify n;

    setenv("NOTIFY_SOCKET", "run/notify", 1);
    cr_assert_eq(notify_open(&n, err, sizeof(err)), -1);
    cr_expect(strstr(err, "NOTIFY_SOCKET") != NULL, "%s", err);
    cr_expect_not(notify_enabled(&n));
}

Test(notify, manager_gone_is_an_error_not_a_crash)
{
    char path[64], err[256];
    struct notify n;

    snprintf(path, sizeof(path), "/tmp/echod-notify-gone-%d", (int)getpid());
    unlink(path);
    setenv("NOTIFY_SOCKET", path, 1);
    cr_assert_eq(notify_open(&n, err, sizeof(err)), 0, "%s", err);
    cr_expect_lt(notify_send(&n, "READY=1"), 0);
    notify_close(&n);
}
