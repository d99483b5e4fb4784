/* resolve.c - a stand-in for the system resolver in every fuzzer, so that
 * no input can send a DNS query off this machine or wait on one.
 *
 * getaddrinfo here knows one name, "fuzz.test", as 192.0.2.1 (TEST-NET-1,
 * never routed); "again.test" fails with EAI_AGAIN and every other name
 * with EAI_NONAME.  A numeric host is never looked up by parse.h, so no
 * other form is needed.  Linked into the fuzzer, these definitions take
 * the place of libc's.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct fake_answer {
    struct addrinfo ai;
    struct sockaddr_in sin;
};

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    struct fake_answer *a;

    (void)service;
    if (node == NULL || strcmp(node, "again.test") == 0)
        return EAI_AGAIN;
    if (strcmp(node, "fuzz.test") != 0 ||
        (hints != NULL && hints->ai_family != AF_UNSPEC && hints->ai_family != AF_INET))
        return EAI_NONAME;
    if ((a = calloc(1, sizeof(*a))) == NULL)
        return EAI_MEMORY;
    a->sin.sin_family = AF_INET;
    a->sin.sin_addr.s_addr = htonl(0xc0000201);
    a->ai.ai_family = AF_INET;
    a->ai.ai_socktype = hints != NULL ? hints->ai_socktype : 0;
    a->ai.ai_protocol = hints != NULL ? hints->ai_protocol : 0;
    a->ai.ai_addrlen = sizeof(a->sin);
    a->ai.ai_addr = (struct sockaddr *)&a->sin;
    *res = &a->ai;
    return 0;
}

void freeaddrinfo(struct addrinfo *res)
{
    free(res);   /* the struct fake_answer that starts with it */
}
