/* test_tl_pattern.c - the send pattern is one contiguous slice at every
 * offset, and the check catches a flipped, shifted or foreign byte. */
#include <criterion/criterion.h>
#include <string.h>

#include "tl_pattern.h"

static void setup(void)
{
    cr_assert_eq(tl_pattern_init(), 0);
}

static void teardown(void)
{
    tl_pattern_free();
}

TestSuite(tl_pattern, .init = setup, .fini = teardown);

Test(tl_pattern, slices_are_contiguous_across_the_period)
{
    uint32_t base = tl_pattern_base(3);
    uint64_t offs[] = { 0, 1, TL_PATTERN_PERIOD - 1, TL_PATTERN_PERIOD,
                        5ULL * TL_PATTERN_PERIOD - 17, 1ULL << 40 };
    for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
        const uint8_t *s = tl_pattern_at(base, offs[k]);
        for (size_t i = 0; i < TL_PATTERN_SPAN; i += 4099)
            cr_assert_eq(s[i], tl_pattern_at(base, offs[k] + i)[0]);
        cr_assert_eq(s[TL_PATTERN_SPAN - 1],
                     tl_pattern_at(base, offs[k] + TL_PATTERN_SPAN - 1)[0]);
    }
}

Test(tl_pattern, check_accepts_the_stream_and_counts_differences)
{
    uint32_t base = tl_pattern_base(0);
    uint8_t buf[3000];
    size_t first = 12345;

    memcpy(buf, tl_pattern_at(base, 70000), sizeof(buf));
    cr_assert_eq(tl_pattern_check(base, 70000, buf, sizeof(buf), &first), 0);
    cr_assert_eq(first, 12345, "untouched when nothing differs");
    buf[1000] ^= 0x01;
    buf[2000] ^= 0x80;
    cr_assert_eq(tl_pattern_check(base, 70000, buf, sizeof(buf), &first), 2);
    cr_assert_eq(first, 1000);
}

Test(tl_pattern, shifted_or_foreign_bytes_do_not_match)
{
    uint32_t a = tl_pattern_base(0), b = tl_pattern_base(1);
    uint8_t buf[256];
    size_t first;

    cr_assert_neq(a, b);
    memcpy(buf, tl_pattern_at(a, 1), sizeof(buf)); /* one byte lost */
    cr_assert_gt(tl_pattern_check(a, 0, buf, sizeof(buf), &first), 200);
    memcpy(buf, tl_pattern_at(b, 0), sizeof(buf)); /* another connection's */
    cr_assert_gt(tl_pattern_check(a, 0, buf, sizeof(buf), &first), 200);
    for (uint64_t c = 1; c < 1000; c++)
        cr_assert_neq(tl_pattern_base(c), tl_pattern_base(c - 1));
}
