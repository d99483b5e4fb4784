/* tl_jread.c - the strict JSON reader (see tl_jread.h).
 *
 * A recursive descent parser: one function per JSON value kind, the depth
 * bounded so no input can exhaust the stack.  The strings' memory is sized
 * once (it never needs more than the text's length plus one byte per
 * string), so pointers into it stay valid while nodes are added.
 */
#include "tl_jread.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    struct tl_jdoc *d;
    const char *s;
    size_t len, pos;
    int depth;
    int nomem;
};

static int value(struct parser *p, int32_t *out);

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int32_t new_node(struct parser *p, enum tl_jtype type)
{
    struct tl_jdoc *d = p->d;

    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        struct tl_jnode *nodes = cap > INT32_MAX ? NULL : realloc(d->nodes, cap * sizeof(*nodes));
        if (nodes == NULL) {
            p->nomem = 1;
            return -1;
        }
        d->nodes = nodes;
        d->cap = cap;
    }
    struct tl_jnode *n = &d->nodes[d->n];
    memset(n, 0, sizeof(*n));
    n->type = type;
    n->child = n->next = -1;
    return (int32_t)d->n++;
}

static int literal(struct parser *p, const char *word, enum tl_jtype type, int32_t *out)
{
    size_t n = strlen(word);

    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return -1;
    p->pos += n;
    return (*out = new_node(p, type)) < 0 ? -1 : 0;
}

static int hex4(struct parser *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++, p->pos++) {
        if (p->pos >= p->len)
            return -1;
        char c = p->s[p->pos];
        unsigned x = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
        if (x == 16)
            return -1;
        *v = *v << 4 | x;
    }
    return 0;
}

/* Writes code point c as UTF-8 at o; returns the bytes written. */
static size_t utf8(char *o, unsigned c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xc0 | c >> 6);
        o[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xe0 | c >> 12);
        o[1] = (char)(0x80 | (c >> 6 & 0x3f));
        o[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | c >> 18);
    o[1] = (char)(0x80 | (c >> 12 & 0x3f));
    o[2] = (char)(0x80 | (c >> 6 & 0x3f));
    o[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* A \u escape (after the 'u'), with a surrogate pair's second half. */
static int unicode(struct parser *p, unsigned *c)
{
    unsigned lo;

    if (hex4(p, c) < 0 || (*c >= 0xdc00 && *c < 0xe000))
        return -1;
    if (*c < 0xd800 || *c >= 0xdc00)
        return 0;
    if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
        return -1;
    p->pos += 2;
    if (hex4(p, &lo) < 0 || lo < 0xdc00 || lo >= 0xe000)
        return -1;
    *c = 0x10000 + ((*c - 0xd800) << 10) + (lo - 0xdc00);
    return 0;
}

/* A string (at its opening quote) into the document's strings. */
static int string(struct parser *p, const char **str, size_t *slen)
{
    char *o = p->d->strings + p->d->slen, *start = o;

    p->pos++;
    for (;;) {
        if (p->pos >= p->len)
            return -1;
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"')
            break;
        if (c < 0x20)
            return -1;
        p->pos++;
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        if (p->pos >= p->len)
            return -1;
        char e = p->s[p->pos++];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *k = strchr(from, e);
        if (e != '\0' && k != NULL) {
            *o++ = to[k - from];
        } else if (e == 'u') {
            unsigned cp;
            if (unicode(p, &cp) < 0)
                return -1;
            o += utf8(o, cp);
        } else {
            p->pos--;
            return -1;
        }
    }
    p->pos++;
    *o = '\0';
    *str = start;
    *slen = (size_t)(o - start);
    p->d->slen += *slen + 1;
    return 0;
}

static int number(struct parser *p, int32_t *out)
{
    size_t start = p->pos;
    int whole = 1;

    if (p->pos < p->len && p->s[p->pos] == '-') {
        p->pos++;
        whole = 0;
    }
    if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
        return -1;
    if (p->s[p->pos] == '0' && p->pos + 1 < p->len && p->s[p->pos + 1] >= '0' &&
        p->s[p->pos + 1] <= '9')
        return -1; /* no leading zeros */
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '.') {
        whole = 0;
        if (++p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return -1;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        whole = 0;
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return -1;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    char buf[64];
    size_t n = p->pos - start;
    if (n >= sizeof(buf))
        n = sizeof(buf) - 1; /* longer: only the double, from its first digits */
    memcpy(buf, p->s + start, n);
    buf[n] = '\0';
    if ((*out = new_node(p, TL_JNUMBER)) < 0)
        return -1;
    struct tl_jnode *node = &p->d->nodes[*out];
    node->d = strtod(buf, NULL);
    if (whole && n < sizeof(buf) - 1) {
        errno = 0;
        unsigned long long u = strtoull(buf, NULL, 10);
        if (errno == 0) {
            node->exact = 1;
            node->u = u;
        }
    }
    return 0;
}

/* The elements of an array or the members of an object, at its opening
 * bracket. */
static int container(struct parser *p, int is_object, int32_t *out)
{
    int32_t last = -1;

    if (++p->depth > TL_JREAD_DEPTH)
        return -1;
    if ((*out = new_node(p, is_object ? TL_JOBJECT : TL_JARRAY)) < 0)
        return -1;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == (is_object ? '}' : ']')) {
        p->pos++;
        p->depth--;
        return 0;
    }
    for (;;) {
        const char *key = NULL;
        size_t klen;
        int32_t v;
        skip_ws(p);
        if (is_object) {
            if (p->pos >= p->len || p->s[p->pos] != '"' || string(p, &key, &klen) < 0)
                return -1;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return -1;
            p->pos++;
        }
        if (value(p, &v) < 0)
            return -1;
        p->d->nodes[v].key = key;
        if (last < 0)
            p->d->nodes[*out].child = v;
        else
            p->d->nodes[last].next = v;
        last = v;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == (is_object ? '}' : ']')) {
            p->pos++;
            p->depth--;
            return 0;
        }
        return -1;
    }
}

static int value(struct parser *p, int32_t *out)
{
    skip_ws(p);
    if (p->pos >= p->len)
        return -1;
    switch (p->s[p->pos]) {
    case '{':
        return container(p, 1, out);
    case '[':
        return container(p, 0, out);
    case '"': {
        const char *str;
        size_t len;
        if (string(p, &str, &len) < 0 || (*out = new_node(p, TL_JSTRING)) < 0)
            return -1;
        p->d->nodes[*out].str = str;
        p->d->nodes[*out].len = len;
        return 0;
    }
    case 't':
        return literal(p, "true", TL_JTRUE, out);
    case 'f':
        return literal(p, "false", TL_JFALSE, out);
    case 'n':
        return literal(p, "null", TL_JNULL, out);
    }
    return number(p, out);
}

int tl_jread_parse(struct tl_jdoc *d, const char *text, size_t len, size_t *err_at)
{
    struct parser p = { d, text, len, 0, 0, 0 };
    int32_t root;

    memset(d, 0, sizeof(*d));
    *err_at = 0;
    /* Unescaping never lengthens a string (\uXXXX is 6 bytes, its UTF-8
     * at most 4, a pair 12 for 4), and each string adds one NUL to at
     * least its two quotes. */
    if ((d->strings = malloc(len + 1)) == NULL)
        return -1;
    if (value(&p, &root) == 0) {
        skip_ws(&p);
        if (p.pos == len)
            return 0;
    }
    *err_at = p.nomem ? 0 : p.pos;
    return -1;
}

void tl_jread_free(struct tl_jdoc *d)
{
    free(d->nodes);
    free(d->strings);
    memset(d, 0, sizeof(*d));
}

int32_t tl_jget(const struct tl_jdoc *d, int32_t obj, const char *key)
{
    if (obj < 0 || (size_t)obj >= d->n || d->nodes[obj].type != TL_JOBJECT)
        return -1;
    for (int32_t i = d->nodes[obj].child; i >= 0; i = d->nodes[i].next)
        if (strcmp(d->nodes[i].key, key) == 0)
            return i;
    return -1;
}

int32_t tl_jpath(const struct tl_jdoc *d, int32_t from, const char *path)
{
    char key[64];

    while (from >= 0 && *path != '\0') {
        size_t n = strcspn(path, "/");
        if (n >= sizeof(key))
            return -1;
        memcpy(key, path, n);
        key[n] = '\0';
        from = tl_jget(d, from, key);
        path += n + (path[n] == '/');
    }
    return from;
}

int tl_jread_u64(const struct tl_jdoc *d, int32_t i, uint64_t *out)
{
    if (i < 0 || d->nodes[i].type != TL_JNUMBER || !d->nodes[i].exact)
        return -1;
    *out = d->nodes[i].u;
    return 0;
}

int tl_jread_num(const struct tl_jdoc *d, int32_t i, double *out)
{
    if (i < 0 || d->nodes[i].type != TL_JNUMBER || !isfinite(d->nodes[i].d))
        return -1;
    *out = d->nodes[i].d;
    return 0;
}

const char *tl_jread_str(const struct tl_jdoc *d, int32_t i)
{
    return i >= 0 && d->nodes[i].type == TL_JSTRING ? d->nodes[i].str : NULL;
}
