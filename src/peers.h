/* peers.h - --max-conns-per-ip: open connections counted per client
 * address, shared by every worker, as nginx's limit_conn does.
 *
 * The address is the socket's peer, or the PROXY header's source with
 * --proxy-protocol.  IPv4-mapped IPv6 addresses count as the IPv4 address
 * they map.  A table shared by the workers maps each address with open
 * connections to its count (striped locks: two workers contend only when
 * their addresses hash to the same stripe); an address leaves the table
 * with its last connection, so the table never holds more entries than
 * there are open connections.  Each worker also remembers which entry
 * each of its connections holds, keyed by the connection's slot (struct
 * conn is not widened for a feature most runs do not use).
 *
 * Memory: one 40-byte entry (48 with malloc's header) per distinct address
 * with open connections, plus 32 to 64 bytes per open connection in its
 * worker's map, plus 8 bytes per hash bucket (one per entry at most).
 * Nothing at all without the flag.
 */
#ifndef PEERS_H
#define PEERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct peers;

/* A worker's map from connection slot to the entry it holds; one thread. */
struct peers_local {
    struct peers_slot *slots; /* open addressing, linear probing */
    size_t cap;               /* a power of two, or 0 */
    size_t used;
};

enum peers_result {
    PEERS_ADMITTED, /* counted: call peers_release when key closes */
    PEERS_OVER,     /* the address already has max connections: refuse */
    PEERS_NOMEM,    /* no memory for the entry: refuse */
};

/* A table allowing max (>= 1) open connections per address, or NULL
 * when out of memory. */
struct peers *peers_create(uint64_t max);

/* Frees the table (every worker's map must be gone). */
void peers_destroy(struct peers *p);

/* Counts one more connection, key (its slot: unique while it is open),
 * from addr (AF_INET or AF_INET6; any other family is admitted
 * uncounted), unless addr is at the limit.  Any thread, with its own l. */
enum peers_result peers_admit(struct peers *p, struct peers_local *l, const void *key,
                              const struct sockaddr *addr);

/* The connection key has closed: uncounts it.  Harmless for a key that
 * was never admitted. */
void peers_release(struct peers *p, struct peers_local *l, const void *key);

/* Open connections counted for addr now (tests, metrics). */
uint64_t peers_count(struct peers *p, const struct sockaddr *addr);

/* Frees a worker's map (its connections must have been released). */
void peers_local_destroy(struct peers_local *l);

#endif
