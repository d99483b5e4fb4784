/* tl_jread.h - a strict JSON reader for `tcpload merge`.
 *
 * Parses one JSON text (RFC 8259) into a tree of nodes held in one array:
 * objects and arrays link their children by index, strings are unescaped
 * into memory of the document's own (\uXXXX as UTF-8), numbers keep both
 * their double value and, when they are whole and non-negative and fit,
 * their exact uint64_t value (tcpload's counters and bucket counts are
 * 64-bit and must survive exactly).  Nesting is limited to TL_JREAD_DEPTH;
 * anything else that is not strict JSON is refused with the byte offset of
 * the problem.
 */
#ifndef TL_JREAD_H
#define TL_JREAD_H

#include <stddef.h>
#include <stdint.h>

#define TL_JREAD_DEPTH 32

enum tl_jtype { TL_JNULL, TL_JFALSE, TL_JTRUE, TL_JNUMBER, TL_JSTRING, TL_JARRAY, TL_JOBJECT };

struct tl_jnode {
    enum tl_jtype type;
    int exact;            /* number: u holds its exact value */
    uint64_t u;
    double d;
    const char *str;      /* string: its text, NUL-ended (len bytes) */
    size_t len;
    const char *key;      /* member of an object: its key, NUL-ended */
    int32_t child;        /* array, object: first element, -1 when empty */
    int32_t next;         /* next element of the parent, -1 at the end */
};

struct tl_jdoc {
    struct tl_jnode *nodes;
    size_t n, cap;
    char *strings;        /* the unescaped strings and keys */
    size_t slen;
};

/* Parses text (len bytes) into *d.  Returns 0, or -1 with *err_at set to
 * the offset of the first byte that is wrong (or to len when the text
 * ends early; ENOMEM leaves err_at at 0).  Node 0 is the root.  Free with
 * tl_jread_free in either case. */
int tl_jread_parse(struct tl_jdoc *d, const char *text, size_t len, size_t *err_at);
void tl_jread_free(struct tl_jdoc *d);

/* The member key of object node obj, or -1 (also when obj is not an
 * object or -1). */
int32_t tl_jget(const struct tl_jdoc *d, int32_t obj, const char *key);

/* The node at a path of keys separated by '/' from node from ("a/b"), or
 * -1. */
int32_t tl_jpath(const struct tl_jdoc *d, int32_t from, const char *path);

/* The exact whole number at node i into *out; 0, or -1 when it is none. */
int tl_jread_u64(const struct tl_jdoc *d, int32_t i, uint64_t *out);

/* The number at node i into *out; 0, or -1. */
int tl_jread_num(const struct tl_jdoc *d, int32_t i, double *out);

/* The string at node i, or NULL. */
const char *tl_jread_str(const struct tl_jdoc *d, int32_t i);

#endif
