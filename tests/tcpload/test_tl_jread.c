/* test_tl_jread.c - the strict JSON reader merge uses (tl_jread.c): values
 * of every kind, exact 64-bit whole numbers, escapes, paths, and refusal of
 * everything that is not strict JSON, each input placed against a guard
 * page so that reading one byte past its end crashes the test. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "support.h"
#include "tl_jread.h"

/* Parses text copied to end exactly at the guard page. */
static int parse(struct tl_jdoc *d, const char *text, size_t *at)
{
    size_t len = strlen(text);

    return tl_jread_parse(d, sup_guarded(text, len), len, at);
}

Test(tl_jread, values_paths_and_exact_numbers)
{
    struct tl_jdoc d;
    size_t at;
    uint64_t u;
    double x;

    cr_assert_eq(parse(&d, " {\"a\":{\"b\":[1,2.5,-3e2,true,false,null]},\"n\":18446744073709551615,"
                       "\"s\":\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\",\"e\":{},\"z\":[]} ",
                       &at), 0, "at %zu", at);
    cr_assert_eq(tl_jread_u64(&d, tl_jget(&d, 0, "n"), &u), 0);
    cr_assert_eq(u, UINT64_MAX, "exact, not through a double");
    int32_t b = tl_jpath(&d, 0, "a/b");
    cr_assert_eq(d.nodes[b].type, TL_JARRAY);
    int32_t e = d.nodes[b].child;
    cr_assert_eq(tl_jread_u64(&d, e, &u), 0);
    cr_assert_eq(u, 1);
    e = d.nodes[e].next;
    cr_assert_eq(tl_jread_u64(&d, e, &u), -1, "2.5 is not whole");
    cr_assert_eq(tl_jread_num(&d, e, &x), 0);
    cr_assert_float_eq(x, 2.5, 1e-12);
    e = d.nodes[e].next;
    cr_assert_eq(tl_jread_u64(&d, e, &u), -1, "negative");
    cr_assert_eq(tl_jread_num(&d, e, &x), 0);
    cr_assert_float_eq(x, -300.0, 1e-12);
    e = d.nodes[e].next;
    cr_assert_eq(d.nodes[e].type, TL_JTRUE);
    cr_assert_eq(d.nodes[d.nodes[e].next].type, TL_JFALSE);
    cr_assert_eq(d.nodes[d.nodes[d.nodes[e].next].next].type, TL_JNULL);
    cr_assert_str_eq(tl_jread_str(&d, tl_jget(&d, 0, "s")), "q\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
    cr_assert_eq(d.nodes[tl_jget(&d, 0, "e")].child, -1);
    cr_assert_eq(d.nodes[tl_jget(&d, 0, "z")].child, -1);
    cr_assert_eq(tl_jget(&d, 0, "missing"), -1);
    cr_assert_eq(tl_jpath(&d, 0, "a/b/c"), -1, "an array has no members");
    cr_assert_null(tl_jread_str(&d, tl_jget(&d, 0, "n")));
    tl_jread_free(&d);
}

Test(tl_jread, refuses_what_is_not_strict_json)
{
    static const struct { const char *text; size_t at; } bad[] = {
        { "", 0 }, { "{", 1 }, { "{\"a\":1,}", 7 }, { "[1 2]", 3 }, { "01", 0 },
        { "1.", 2 }, { "-", 1 }, { "+1", 0 }, { "tru", 0 }, { "\"a", 2 },
        { "\"\\x\"", 2 }, { "\"\\ud800\"", 7 }, { "\"\t\"", 1 }, { "{a:1}", 1 },
        { "1 2", 2 }, { "[\"\\u12g4\"]", 6 }, { "nul", 0 },
    };
    struct tl_jdoc d;
    size_t at;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(parse(&d, bad[i].text, &at), -1, "'%s' accepted", bad[i].text);
        cr_assert_eq(at, bad[i].at, "'%s': at %zu, not %zu", bad[i].text, at, bad[i].at);
        tl_jread_free(&d);
    }
}

Test(tl_jread, nesting_is_bounded)
{
    char deep[2 * TL_JREAD_DEPTH + 8];
    struct tl_jdoc d;
    size_t at;

    memset(deep, '[', TL_JREAD_DEPTH);
    memset(deep + TL_JREAD_DEPTH, ']', TL_JREAD_DEPTH);
    deep[2 * TL_JREAD_DEPTH] = '\0';
    cr_assert_eq(parse(&d, deep, &at), 0, "%d levels are fine", TL_JREAD_DEPTH);
    tl_jread_free(&d);
    memset(deep, '[', TL_JREAD_DEPTH + 1);
    memset(deep + TL_JREAD_DEPTH + 1, ']', TL_JREAD_DEPTH + 1);
    deep[2 * TL_JREAD_DEPTH + 2] = '\0';
    cr_assert_eq(parse(&d, deep, &at), -1, "one more is refused");
    tl_jread_free(&d);
}
