/* tl_pattern.h - the bytes tcpload sends, and the check of what comes back.
 *
 * Every connection sends a stream drawn from one read-only pseudo-random
 * pattern of TL_PATTERN_PERIOD bytes (a prime, so no shift of the stream by
 * a round number lines it up with itself); connection c starts at its own
 * offset tl_pattern_base(c), so bytes that cross from one connection to
 * another are caught too.  The buffer holds the period plus TL_PATTERN_SPAN
 * more bytes, so the bytes at any stream offset, for up to TL_PATTERN_SPAN
 * bytes, are one contiguous slice: a send writes straight from it and a
 * check is one memcmp against it.  Nothing is generated per message.
 */
#ifndef TL_PATTERN_H
#define TL_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TL_PATTERN_PERIOD 65521u        /* largest prime below 2^16 */
#define TL_PATTERN_SPAN   (256u * 1024) /* longest slice: a send or a read */

/* Fills the shared pattern; call once before any thread starts.  Returns 0
 * or -1 (out of memory). */
int tl_pattern_init(void);

/* Releases the pattern. */
void tl_pattern_free(void);

/* Where connection number conn starts in the pattern. */
static inline uint32_t tl_pattern_base(uint64_t conn)
{
    return (uint32_t)((conn * 7919u + 1) % TL_PATTERN_PERIOD);
}

/* The pattern itself; read it through tl_pattern_at.  Inline lookups
 * keep the per-message path free of calls. */
extern const uint8_t *tl_pattern_mem;

/* The TL_PATTERN_SPAN bytes a connection with base sends from stream
 * offset off on. */
static inline const uint8_t *tl_pattern_at(uint32_t base, uint64_t off)
{
    return tl_pattern_mem + (base + off) % TL_PATTERN_PERIOD;
}

/* The slow path of tl_pattern_check: counts the differing bytes. */
size_t tl_pattern_diff(const uint8_t *want, const uint8_t *buf, size_t len,
                       size_t *first_bad);

/* Compares len bytes (len <= TL_PATTERN_SPAN) received at stream offset
 * off with what was sent.  Returns the number of bytes that differ (0 in
 * the common case, found with one memcmp); *first_bad gets the offset of
 * the first difference within buf when there is one. */
static inline size_t tl_pattern_check(uint32_t base, uint64_t off, const uint8_t *buf,
                                      size_t len, size_t *first_bad)
{
    const uint8_t *want = tl_pattern_at(base, off);

    if (__builtin_expect(memcmp(buf, want, len) == 0, 1))
        return 0;
    return tl_pattern_diff(want, buf, len, first_bad);
}

#endif
