/* bl_netns.h - the pair of network namespaces the syn-queue experiment
 * runs in: a server namespace and a client namespace joined by a veth pair
 * (10.213.0.1/30 on the server side, 10.213.0.2/30 on the client side),
 * with an nftables rule in the client namespace that drops the client's
 * handshake-completing ACKs to the experiment's ports, so that the
 * server's connections stay half-open.
 *
 * The namespaces are anonymous: the lab holds them by file descriptor and
 * never mounts them under /run/netns, so they disappear with the last
 * descriptor, whatever way the lab exits (an interrupt, a crash, SIGKILL),
 * and every sysctl changed inside them dies with them.  `ip` (iproute2)
 * and `nft` (nftables) are run inside a namespace by forking, entering the
 * namespace with setns() and exec'ing them.
 *
 * Functions return 0, or -1 with a one-line message in err.
 */
#ifndef BL_NETNS_H
#define BL_NETNS_H

#include <stddef.h>
#include <stdint.h>

#define BL_NETNS_SERVER_ADDR "10.213.0.1"
#define BL_NETNS_CLIENT_ADDR "10.213.0.2"
#define BL_NETNS_PATH_MAX 256

struct bl_netns {
    int orig;                       /* the namespace the lab started in */
    int srv;                        /* server namespace */
    int cli;                        /* client namespace */
    char ip[BL_NETNS_PATH_MAX];     /* path of `ip` */
    char nft[BL_NETNS_PATH_MAX];    /* path of `nft` */
};

/* Checks that the lab can build namespaces: root (CAP_SYS_ADMIN), `ip`
 * and `nft` found in PATH or /usr/sbin, /sbin.  On failure err says what
 * is missing and how to get it. */
int bl_netns_check(struct bl_netns *ns, char *err, size_t errlen);

/* The same for a lab that needs `ip` only (ns->nft is left unset). */
int bl_netns_check_ip(struct bl_netns *ns, char *err, size_t errlen);

/* Creates both namespaces and the veth pair, with no nftables rule: what
 * the close experiment starts from.  On failure everything already made
 * is removed. */
int bl_netns_create_pair(struct bl_netns *ns, char *err, size_t errlen);

/* Creates both namespaces, the veth pair and the drop rule for
 * destination ports [port_lo, port_hi].  On failure everything already
 * made is removed. */
int bl_netns_create(struct bl_netns *ns, uint16_t port_lo, uint16_t port_hi,
                    char *err, size_t errlen);

/* The same pair for syn-flood, without the ACK rule: the server
 * namespace routes net (a CIDR such as "10.214.0.0/16", the spoofed
 * sources) through the client's address, and an nft rule in the client
 * namespace drops every packet for net as it arrives, so the server's
 * SYN-ACKs to spoofed sources are never answered. */
int bl_netns_create_spoofed(struct bl_netns *ns, const char *net, char *err,
                            size_t errlen);

/* Moves the calling thread into ns_fd (one of ns->srv, ns->cli, ns->orig).
 * Sockets keep the namespace they were created in. */
int bl_netns_enter(int ns_fd);

/* Returns to the original namespace and closes every namespace fd, which
 * removes the namespaces once their sockets are closed. */
void bl_netns_destroy(struct bl_netns *ns);

/* Moves the whole (single-threaded) process into a new network namespace
 * of its own with only its loopback, brought up: what accept-queue runs
 * in, so that every TcpExt counter it reads is its own.  The namespace
 * dies with the process.  On failure (EPERM without root) the process is
 * still where it was, errno is kept and err says which call failed. */
int bl_netns_private_loopback(char *err, size_t errlen);

/* Runs argv inside ns_fd with stdin_text (or nothing) on its standard
 * input; fails unless it exits with status 0, quoting its first line of
 * stderr. */
int bl_netns_run(int ns_fd, char *const argv[], const char *stdin_text,
                 char *err, size_t errlen);

#endif
