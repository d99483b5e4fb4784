/* tl_pattern.c - the shared send pattern and the echo check (see
 * tl_pattern.h). */
#include "tl_pattern.h"

#include <stdlib.h>
#include <string.h>

static uint8_t *pattern;
const uint8_t *tl_pattern_mem;

int tl_pattern_init(void)
{
    uint64_t x = 0x9E3779B97F4A7C15ULL;

    if (pattern != NULL)
        return 0;
    pattern = malloc(TL_PATTERN_PERIOD + TL_PATTERN_SPAN);
    if (pattern == NULL)
        return -1;
    for (size_t i = 0; i < TL_PATTERN_PERIOD; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        pattern[i] = (uint8_t)((x * 0x2545F4914F6CDD1DULL) >> 56);
    }
    for (size_t i = 0; i < TL_PATTERN_SPAN; i++)
        pattern[TL_PATTERN_PERIOD + i] = pattern[i % TL_PATTERN_PERIOD];
    tl_pattern_mem = pattern;
    return 0;
}

void tl_pattern_free(void)
{
    free(pattern);
    pattern = NULL;
    tl_pattern_mem = NULL;
}

size_t tl_pattern_diff(const uint8_t *want, const uint8_t *buf, size_t len,
                       size_t *first_bad)
{
    size_t bad = 0;

    for (size_t i = 0; i < len; i++)
        if (buf[i] != want[i] && bad++ == 0)
            *first_bad = i;
    return bad;
}
