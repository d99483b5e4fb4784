/* test_peers.c - per-address connection counts (peers.c): the limit, the
 * entry leaving with its last connection, IPv4-mapped IPv6 counted as
 * IPv4, a worker map that grows and shrinks through thousands of keys,
 * and two threads racing on one address never passing the limit. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peers.h"

static struct sockaddr_storage v4(const char *ip)
{
    struct sockaddr_storage ss = { 0 };
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

    sin->sin_family = AF_INET;
    cr_assert_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
    return ss;
}

static struct sockaddr_storage v6(const char *ip)
{
    struct sockaddr_storage ss = { 0 };
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

    sin6->sin6_family = AF_INET6;
    cr_assert_eq(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
    return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

Test(peers, limit_per_address_and_release)
{
    struct peers *p = peers_create(2);
    struct peers_local l = { 0 };
    struct sockaddr_storage a = v4("192.0.2.1"), b = v4("192.0.2.2");
    int k[4];

    cr_assert_not_null(p);
    cr_expect_eq(peers_admit(p, &l, &k[0], SA(a)), PEERS_ADMITTED);
    cr_expect_eq(peers_admit(p, &l, &k[1], SA(a)), PEERS_ADMITTED);
    cr_expect_eq(peers_admit(p, &l, &k[2], SA(a)), PEERS_OVER);
    cr_expect_eq(peers_admit(p, &l, &k[3], SA(b)), PEERS_ADMITTED, "another address");
    cr_expect_eq(peers_count(p, SA(a)), 2);
    peers_release(p, &l, &k[2]); /* refused: holds nothing */
    cr_expect_eq(peers_count(p, SA(a)), 2);
    peers_release(p, &l, &k[0]);
    cr_expect_eq(peers_count(p, SA(a)), 1);
    cr_expect_eq(peers_admit(p, &l, &k[2], SA(a)), PEERS_ADMITTED, "room again");
    peers_release(p, &l, &k[1]);
    peers_release(p, &l, &k[2]);
    peers_release(p, &l, &k[3]);
    cr_expect_eq(peers_count(p, SA(a)), 0);
    cr_expect_eq(l.used, 0);
    peers_local_destroy(&l);
    peers_destroy(p);
}

Test(peers, ipv4_mapped_ipv6_is_the_ipv4_address)
{
    struct peers *p = peers_create(1);
    struct peers_local l = { 0 };
    struct sockaddr_storage a = v4("198.51.100.7"), m = v6("::ffff:198.51.100.7");
    struct sockaddr_storage six = v6("2001:db8::7");
    int k[3];

    cr_expect_eq(peers_admit(p, &l, &k[0], SA(a)), PEERS_ADMITTED);
    cr_expect_eq(peers_admit(p, &l, &k[1], SA(m)), PEERS_OVER);
    cr_expect_eq(peers_admit(p, &l, &k[2], SA(six)), PEERS_ADMITTED);
    for (int i = 0; i < 3; i++)
        peers_release(p, &l, &k[i]);
    peers_local_destroy(&l);
    peers_destroy(p);
}

Test(peers, other_families_are_not_counted)
{
    struct peers *p = peers_create(1);
    struct peers_local l = { 0 };
    struct sockaddr_storage u = { .ss_family = AF_UNIX };
    int k[2];

    cr_expect_eq(peers_admit(p, &l, &k[0], SA(u)), PEERS_ADMITTED);
    cr_expect_eq(peers_admit(p, &l, &k[1], SA(u)), PEERS_ADMITTED);
    cr_expect_eq(l.used, 0);
    peers_release(p, &l, &k[0]);
    peers_destroy(p);
}

/* 5000 connections over 1000 addresses, released in a scrambled order:
 * every count stays exact through the worker map's growth and backward
 * shifts, and the table ends empty. */
#define N 5000
Test(peers, thousands_of_keys_released_in_any_order)
{
    static char keys[N];
    static int order[N];
    struct peers *p = peers_create(5);
    struct peers_local l = { 0 };
    char ip[32];

    for (int i = 0; i < N; i++) {
        snprintf(ip, sizeof(ip), "10.0.%d.%d", (i % 1000) / 250, (i % 1000) % 250);
        struct sockaddr_storage a = v4(ip);
        cr_assert_eq(peers_admit(p, &l, &keys[i], SA(a)), PEERS_ADMITTED);
        order[i] = i;
    }
    struct sockaddr_storage first = v4("10.0.0.0");
    cr_expect_eq(peers_count(p, SA(first)), 5);
    char extra;
    cr_expect_eq(peers_admit(p, &l, &extra, SA(first)), PEERS_OVER);
    srand(7);
    for (int i = N - 1; i > 0; i--) {
        int j = rand() % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < N; i++)
        peers_release(p, &l, &keys[order[i]]);
    cr_expect_eq(l.used, 0);
    for (int i = 0; i < 1000; i++) {
        snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, i % 250);
        struct sockaddr_storage a = v4(ip);
        cr_expect_eq(peers_count(p, SA(a)), 0, "%s", ip);
    }
    peers_local_destroy(&l);
    peers_destroy(p);
}

struct racer {
    struct peers *p;
    int over_limit; /* a moment where more than the limit were admitted */
};

#define LIMIT 3
static int admitted_now;

static void *race(void *arg)
{
    struct racer *r = arg;
    struct peers_local l = { 0 };
    struct sockaddr_storage a = v4("203.0.113.9");
    char keys[LIMIT];

    for (int round = 0; round < 20000; round++) {
        int got = 0;
        for (int i = 0; i < LIMIT; i++) {
            if (peers_admit(r->p, &l, &keys[i], SA(a)) == PEERS_ADMITTED) {
                got++;
                if (__atomic_add_fetch(&admitted_now, 1, __ATOMIC_SEQ_CST) > LIMIT)
                    r->over_limit = 1;
            } else {
                break;
            }
        }
        for (int i = 0; i < got; i++) {
            __atomic_sub_fetch(&admitted_now, 1, __ATOMIC_SEQ_CST);
            peers_release(r->p, &l, &keys[i]);
        }
    }
    peers_local_destroy(&l);
    return NULL;
}

Test(peers, two_workers_racing_never_pass_the_limit, .timeout = 60)
{
    struct racer r[2] = { { peers_create(LIMIT), 0 }, { NULL, 0 } };
    pthread_t t[2];
    struct sockaddr_storage a = v4("203.0.113.9");

    r[1].p = r[0].p;
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    cr_expect_not(r[0].over_limit || r[1].over_limit);
    cr_expect_eq(peers_count(r[0].p, SA(a)), 0);
    peers_destroy(r[0].p);
}
