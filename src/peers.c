/* peers.c - per-address connection counts (see peers.h).
 *
 * The shared table: PEERS_STRIPES independent chained hash tables, each
 * behind its own mutex, the stripe and bucket chosen by a keyed hash of
 * the address (the key is random per process, so a client choosing its
 * IPv6 addresses cannot aim them all at one chain).  A stripe's bucket
 * array doubles when it holds more entries than buckets.
 *
 * A worker's map: open addressing keyed by the connection's slot
 * pointer, grown at half full, deletion by backward shift (no
 * tombstones).
 */
#include "peers.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "stats.h"

#define PEERS_STRIPES 64
#define PEERS_MIN_BUCKETS 16
#define LOCAL_MIN_CAP 64

struct peer_entry {
    struct peer_entry *next;
    uint64_t hash;
    uint32_t count;      /* open connections from this address */
    uint8_t len;         /* 4 or 16 */
    uint8_t addr[16];
};

struct peers_slot {
    const void *key;     /* NULL: empty */
    struct peer_entry *entry;
};

struct stripe {
    pthread_mutex_t lock;
    struct peer_entry **buckets;
    size_t nbuckets;     /* a power of two, or 0 before the first entry */
    size_t n;
} __attribute__((aligned(STATS_CACHE_LINE)));

struct peers {
    uint64_t max;
    uint64_t seed;
    struct stripe stripes[PEERS_STRIPES];
};

/* ---- addresses ---- */

/* The address bytes of sa into addr; returns 4, 16, or 0 for a family
 * that is not counted. */
static size_t addr_key(const struct sockaddr *sa, uint8_t addr[16])
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    if (sa->sa_family == AF_INET) {
        memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa->sa_family != AF_INET6)
        return 0;
    const uint8_t *a6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    if (memcmp(a6, mapped, sizeof(mapped)) == 0) {
        memcpy(addr, a6 + 12, 4);
        return 4;
    }
    memcpy(addr, a6, 16);
    return 16;
}

/* A keyed 64-bit hash of len bytes (FNV-1a seeded, then mixed). */
static uint64_t hash_addr(uint64_t seed, const uint8_t *a, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;

    for (size_t i = 0; i < len; i++)
        h = (h ^ a[i]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

/* ---- the shared table ---- */

struct peers *peers_create(uint64_t max)
{
    struct peers *p = aligned_alloc(STATS_CACHE_LINE, sizeof(*p));

    if (p == NULL)
        return NULL;
    memset(p, 0, sizeof(*p));
    p->max = max;
    /* A weak seed only weakens the defence against chosen addresses. */
    if (getrandom(&p->seed, sizeof(p->seed), GRND_NONBLOCK) != (ssize_t)sizeof(p->seed))
        p->seed = (uint64_t)(uintptr_t)p ^ 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < PEERS_STRIPES; i++)
        pthread_mutex_init(&p->stripes[i].lock, NULL);
    return p;
}

void peers_destroy(struct peers *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < PEERS_STRIPES; i++) {
        struct stripe *s = &p->stripes[i];
        for (size_t b = 0; b < s->nbuckets; b++) {
            while (s->buckets[b] != NULL) {
                struct peer_entry *e = s->buckets[b];
                s->buckets[b] = e->next;
                free(e);
            }
        }
        free(s->buckets);
        pthread_mutex_destroy(&s->lock);
    }
    free(p);
}

static struct stripe *stripe_of(struct peers *p, uint64_t h)
{
    return &p->stripes[h % PEERS_STRIPES];
}

static struct peer_entry **bucket_of(struct stripe *s, uint64_t h)
{
    return &s->buckets[(h / PEERS_STRIPES) & (s->nbuckets - 1)];
}

/* Doubles the stripe's buckets when it has more entries than buckets.
 * Returns 0, or -1 when out of memory (with buckets left as they were,
 * unless there were none). */
static int maybe_grow(struct stripe *s)
{
    if (s->nbuckets > 0 && s->n < s->nbuckets)
        return 0;
    size_t cap = s->nbuckets ? s->nbuckets * 2 : PEERS_MIN_BUCKETS;
    struct peer_entry **nb = calloc(cap, sizeof(*nb));
    if (nb == NULL)
        return s->nbuckets > 0 ? 0 : -1;
    for (size_t b = 0; b < s->nbuckets; b++) {
        while (s->buckets[b] != NULL) {
            struct peer_entry *e = s->buckets[b];
            s->buckets[b] = e->next;
            struct peer_entry **to = &nb[(e->hash / PEERS_STRIPES) & (cap - 1)];
            e->next = *to;
            *to = e;
        }
    }
    free(s->buckets);
    s->buckets = nb;
    s->nbuckets = cap;
    return 0;
}

static struct peer_entry *find(struct stripe *s, uint64_t h, const uint8_t *a, size_t len)
{
    if (s->nbuckets == 0)
        return NULL;
    for (struct peer_entry *e = *bucket_of(s, h); e != NULL; e = e->next)
        if (e->hash == h && e->len == len && memcmp(e->addr, a, len) == 0)
            return e;
    return NULL;
}

/* Counts one more connection from a[0..len); returns its entry, or NULL
 * with *r saying why not. */
static struct peer_entry *take(struct peers *p, const uint8_t *a, size_t len,
                               enum peers_result *r)
{
    uint64_t h = hash_addr(p->seed, a, len);
    struct stripe *s = stripe_of(p, h);
    struct peer_entry *e;

    pthread_mutex_lock(&s->lock);
    e = find(s, h, a, len);
    if (e != NULL && e->count >= p->max) {
        *r = PEERS_OVER;
        e = NULL;
    } else if (e != NULL) {
        e->count++;
    } else if (maybe_grow(s) < 0 || (e = malloc(sizeof(*e))) == NULL) {
        *r = PEERS_NOMEM;
    } else {
        memset(e, 0, sizeof(*e));
        e->hash = h;
        e->len = (uint8_t)len;
        memcpy(e->addr, a, len);
        e->count = 1;
        struct peer_entry **b = bucket_of(s, h);
        e->next = *b;
        *b = e;
        s->n++;
    }
    pthread_mutex_unlock(&s->lock);
    return e;
}

static void give_back(struct peers *p, struct peer_entry *e)
{
    struct stripe *s = stripe_of(p, e->hash);

    pthread_mutex_lock(&s->lock);
    if (--e->count == 0) {
        struct peer_entry **pp = bucket_of(s, e->hash);
        while (*pp != e)
            pp = &(*pp)->next;
        *pp = e->next;
        s->n--;
        free(e);
    }
    pthread_mutex_unlock(&s->lock);
}

uint64_t peers_count(struct peers *p, const struct sockaddr *addr)
{
    uint8_t a[16];
    size_t len = addr_key(addr, a);
    uint64_t h = hash_addr(p->seed, a, len), n;
    struct stripe *s = stripe_of(p, h);

    if (len == 0)
        return 0;
    pthread_mutex_lock(&s->lock);
    struct peer_entry *e = find(s, h, a, len);
    n = e != NULL ? e->count : 0;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* ---- a worker's map ---- */

static size_t slot_of(const struct peers_local *l, const void *key)
{
    uint64_t h = (uint64_t)(uintptr_t)key * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 32) & (l->cap - 1);
}

static void local_put(struct peers_local *l, const void *key, struct peer_entry *e)
{
    size_t i = slot_of(l, key);

    while (l->slots[i].key != NULL)
        i = (i + 1) & (l->cap - 1);
    l->slots[i] = (struct peers_slot){ key, e };
    l->used++;
}

/* Makes room for one more slot.  Returns 0 or -1 (out of memory). */
static int local_reserve(struct peers_local *l)
{
    if ((l->used + 1) * 2 <= l->cap)
        return 0;
    size_t cap = l->cap ? l->cap * 2 : LOCAL_MIN_CAP;
    struct peers_slot *old = l->slots, *ns = calloc(cap, sizeof(*ns));
    size_t old_cap = l->cap;
    if (ns == NULL)
        return -1;
    l->slots = ns;
    l->cap = cap;
    l->used = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key != NULL)
            local_put(l, old[i].key, old[i].entry);
    free(old);
    return 0;
}

/* Removes key's slot and returns its entry, or NULL when key has none. */
static struct peer_entry *local_take(struct peers_local *l, const void *key)
{
    if (l->cap == 0)
        return NULL;
    size_t mask = l->cap - 1, i = slot_of(l, key);
    while (l->slots[i].key != key) {
        if (l->slots[i].key == NULL)
            return NULL;
        i = (i + 1) & mask;
    }
    struct peer_entry *e = l->slots[i].entry;
    /* Backward shift: move later members of the run into the hole. */
    for (size_t j = (i + 1) & mask; l->slots[j].key != NULL; j = (j + 1) & mask) {
        size_t home = slot_of(l, l->slots[j].key);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            l->slots[i] = l->slots[j];
            i = j;
        }
    }
    l->slots[i] = (struct peers_slot){ NULL, NULL };
    l->used--;
    return e;
}

enum peers_result peers_admit(struct peers *p, struct peers_local *l, const void *key,
                              const struct sockaddr *addr)
{
    enum peers_result r = PEERS_ADMITTED;
    uint8_t a[16];
    size_t len = addr_key(addr, a);

    if (len == 0)
        return PEERS_ADMITTED;
    if (local_reserve(l) < 0)
        return PEERS_NOMEM;
    struct peer_entry *e = take(p, a, len, &r);
    if (e != NULL)
        local_put(l, key, e);
    return r;
}

void peers_release(struct peers *p, struct peers_local *l, const void *key)
{
    struct peer_entry *e = local_take(l, key);

    if (e != NULL)
        give_back(p, e);
}

void peers_local_destroy(struct peers_local *l)
{
    free(l->slots);
    *l = (struct peers_local){ 0 };
}
