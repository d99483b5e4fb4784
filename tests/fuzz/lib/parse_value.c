/* parse_value.c - fuzzes parse_count, parse_size, parse_duration and
 * parse_duration_ms against a reference written from parse.h's contract
 * alone.
 *
 * Input: the first byte picks the parser (modulo 4: count, size,
 * duration, duration in ms), the rest (up to a NUL) is the
 * value.  The reference reads the grammar with exact 128-bit arithmetic:
 * a text the grammar refuses must fail; one it accepts must give exactly
 * the value the contract promises (for a fractional duration, a value
 * between the one cut to nine fractional digits and the one rounded up),
 * or fail with ERANGE when
 * that value does not fit.  A value that parsed must also pass a range
 * check of [v, v] and fail one of [v + 1, max] with ERANGE.  In
 * milliseconds, a duration is the reference's nanoseconds rounded up, and
 * must fit a maximum of exactly itself but not one less.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

typedef unsigned __int128 u128;

#define U64_MAX ((u128)UINT64_MAX)
#define HUGE_VALUE (U64_MAX + 1)   /* any value past UINT64_MAX */

/* What the reference makes of a text. */
struct ref {
    int valid;          /* the grammar accepts it */
    int frac_digits;    /* digits after the point (durations) */
    u128 lo, hi;        /* the value must lie in [lo, hi]; HUGE_VALUE: too big */
};

static void die(const char *what, const char *s, const struct ref *r, uint64_t got)
{
    fprintf(stderr, "%s: '%s' (reference: valid=%d lo=%llu%s hi=%llu%s) got %llu errno %d\n",
            what, s, r->valid,
            (unsigned long long)(r->lo > U64_MAX ? UINT64_MAX : r->lo), r->lo > U64_MAX ? "+" : "",
            (unsigned long long)(r->hi > U64_MAX ? UINT64_MAX : r->hi), r->hi > U64_MAX ? "+" : "",
            (unsigned long long)got, errno);
    abort();
}

static u128 cap(u128 v)
{
    return v > U64_MAX ? HUGE_VALUE : v;
}

/* Reads decimal digits at *s; returns how many, the value (capped) in *v. */
static int digits(const char **s, u128 *v)
{
    int n = 0;

    *v = 0;
    while (**s >= '0' && **s <= '9') {
        *v = cap(*v * 10 + (u128)(**s - '0'));
        (*s)++;
        n++;
    }
    return n;
}

static int suffix_is(const char *s, const char *const list[], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return (int)i;
    return -1;
}

/* A number's suffixes and what each multiplies by. */
struct suffixes {
    const char *const *name;
    const uint64_t *mult;
    size_t n;
};

static const char *const count_names[] = { "", "k", "K", "m", "M", "g", "G" };
static const uint64_t count_mults[] = { 1, 1000, 1000, 1000000, 1000000,
                                        1000000000, 1000000000 };
static const struct suffixes count_sfx = { count_names, count_mults, 7 };

static const char *const size_names[] = { "", "B", "k", "K", "KiB", "m", "M", "MiB",
                                          "g", "G", "GiB" };
static const uint64_t size_mults[] = { 1, 1, 1 << 10, 1 << 10, 1 << 10, 1 << 20, 1 << 20,
                                       1 << 20, 1 << 30, 1 << 30, 1 << 30 };
static const struct suffixes size_sfx = { size_names, size_mults, 11 };

/* parse_count and parse_size: digits, then one of the suffixes. */
static struct ref ref_scaled(const char *s, const struct suffixes *sfx)
{
    struct ref r = { 0 };
    u128 v;

    if (digits(&s, &v) == 0)
        return r;
    int i = suffix_is(s, sfx->name, sfx->n);
    if (i < 0)
        return r;
    r.valid = 1;
    r.lo = r.hi = cap(v * sfx->mult[i]);
    return r;
}

static struct ref ref_duration(const char *s)
{
    static const char *const sfx[] = { "", "s", "ns", "us", "ms", "m", "h" };
    static const uint64_t unit[] = { 1000000000ULL, 1000000000ULL, 1, 1000, 1000000,
                                     60000000000ULL, 3600000000000ULL };
    struct ref r = { 0 };
    u128 whole, f = 0, d = 1, f9 = 0, d9 = 1;

    if (digits(&s, &whole) == 0)
        return r;
    if (*s == '.') {
        s++;
        for (; *s >= '0' && *s <= '9'; s++, r.frac_digits++) {
            if (r.frac_digits < 9)
                f9 = f9 * 10 + (u128)(*s - '0'), d9 *= 10;
            if (r.frac_digits < 18)
                f = f * 10 + (u128)(*s - '0'), d *= 10;
        }
        if (r.frac_digits == 0)
            return r;
    }
    int i = suffix_is(s, sfx, sizeof(sfx) / sizeof(sfx[0]));
    if (i < 0)
        return r;
    r.valid = 1;
    u128 base = cap(whole * unit[i]);
    r.lo = cap(base + unit[i] * f9 / d9);
    r.hi = cap(base + (unit[i] * (f + 1) + d - 1) / d);
    if (r.frac_digits == 0)
        r.hi = r.lo;
    return r;
}

/* Checks one parser's answer (rc, errno, v) against the reference. */
static void check(const char *s, const struct ref *r, int rc, int err, uint64_t v)
{
    errno = err;
    if (!r->valid) {
        if (rc == 0 || (err != EINVAL && err != ERANGE))
            die("accepted what the grammar refuses", s, r, v);
        return;
    }
    if (rc == 0) {
        if (v < r->lo || v > r->hi)
            die("wrong value", s, r, v);
        return;
    }
    if (r->lo > U64_MAX) {
        if (err != ERANGE)
            die("too big but not ERANGE", s, r, 0);
        return;
    }
    /* A fraction finer than a nanosecond may be refused; a value that
     * fits only when truncated may be refused as out of range. */
    if (r->frac_digits > 9 && err == EINVAL)
        return;
    if (r->hi > U64_MAX && err == ERANGE)
        return;
    die("refused a valid value", s, r, 0);
}

typedef int (*ranged_fn)(const char *, uint64_t, uint64_t, uint64_t *);

/* parse_count and parse_size: the whole range, then [v, v] and [v + 1, max]. */
static void fuzz_ranged(ranged_fn fn, const char *s, const struct ref *r)
{
    uint64_t v = 0, w = 0;
    int rc;

    errno = 0;
    rc = fn(s, 0, UINT64_MAX, &v);
    check(s, r, rc, errno, v);
    if (rc != 0)
        return;
    if (fn(s, v, v, &w) != 0 || w != v)
        die("refused [v, v]", s, r, v);
    w = 12345;
    if (v < UINT64_MAX) {
        errno = 0;
        if (fn(s, v + 1, UINT64_MAX, &w) == 0 || errno != ERANGE || w != 12345)
            die("accepted below min, or wrote on failure", s, r, w);
    }
}

/* parse_duration_ms: the reference's nanoseconds rounded up to whole
 * milliseconds; then max_ms = v and v - 1. */
static void fuzz_ms(const char *s, const struct ref *r_ns)
{
    struct ref r = *r_ns;
    uint64_t v = 0, w = 0;
    int rc;

    r.lo = r.lo > U64_MAX ? HUGE_VALUE : (r.lo + 999999) / 1000000;
    r.hi = r.hi > U64_MAX ? HUGE_VALUE : (r.hi + 999999) / 1000000;
    /* Rounding up makes any value of 1 ns or more at least 1 ms.  A
     * nonzero value below 1 ns ("0.0000000001s") is not held to it:
     * parse_duration cuts it to 0 ns and parse_duration_ms then gives 0
     * (found by this harness, reported in the fuzzing work's notes). */
    if (r.hi < r.lo)
        r.hi = r.lo;
    errno = 0;
    rc = parse_duration_ms(s, UINT64_MAX, &v);
    check(s, &r, rc, errno, v);
    if (rc != 0)
        return;
    if (parse_duration_ms(s, v, &w) != 0 || w != v)
        die("refused max_ms = v", s, &r, v);
    w = 12345;
    errno = 0;
    if (v > 0 && (parse_duration_ms(s, v - 1, &w) == 0 || errno != ERANGE || w != 12345))
        die("accepted above max_ms, or wrote on failure", s, &r, w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[256];
    struct ref r;
    uint64_t v = 0;
    int rc;

    if (size == 0)
        return 0;
    size_t len = size - 1 < sizeof(s) - 1 ? size - 1 : sizeof(s) - 1;
    memcpy(s, data + 1, len);
    s[len] = '\0';

    switch (data[0] % 4) {
    case 0:
        r = ref_scaled(s, &count_sfx);
        fuzz_ranged(parse_count, s, &r);
        break;
    case 1:
        r = ref_scaled(s, &size_sfx);
        fuzz_ranged(parse_size, s, &r);
        break;
    case 2:
        r = ref_duration(s);
        errno = 0;
        rc = parse_duration(s, &v);
        check(s, &r, rc, errno, v);
        break;
    default:
        r = ref_duration(s);
        fuzz_ms(s, &r);
        break;
    }
    return 0;
}
