/* test_json.c - the shared JSON writer (json.h): both layouts, every string
 * escape, nesting, commas, arrays of objects, the number formats and their
 * limits, NaN as null, and what misuse and a too-deep document do; and the
 * tests' own strict JSON reader (sup_json_* in support.h) that every suite
 * uses to read the programs' --json output. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "support.h"

/* A writer into memory; done() closes it and returns the text. */
static FILE *mem;
static char *text;
static size_t text_len;
static struct json j;

static void start(enum json_style style)
{
    mem = open_memstream(&text, &text_len);
    cr_assert_not_null(mem);
    json_init(&j, mem, style);
}

static char *done(void)
{
    cr_assert_eq(fclose(mem), 0);
    return text;
}

Test(json, compact_nesting_commas_and_arrays_of_objects)
{
    start(JSON_COMPACT);
    json_object(&j, NULL);
    json_int(&j, "a", -3);
    json_array(&j, "rows");
    for (int i = 0; i < 2; i++) {
        json_object(&j, NULL);
        json_int(&j, "n", i);
        json_bool(&j, "odd", i % 2);
        json_end_object(&j);
    }
    json_end_array(&j);
    json_array(&j, "mixed");
    json_string(&j, NULL, "s");
    json_null(&j, NULL);
    json_array(&j, NULL);
    json_end_array(&j);
    json_object(&j, NULL);
    json_end_object(&j);
    json_end_array(&j);
    json_object(&j, "empty");
    json_end_object(&j);
    json_end_object(&j);
    cr_assert_eq(json_error(&j), 0);
    cr_assert_str_eq(done(), "{\"a\":-3,\"rows\":[{\"n\":0,\"odd\":false},{\"n\":1,\"odd\":true}],"
                             "\"mixed\":[\"s\",null,[],{}],\"empty\":{}}\n");
    free(text);
}

Test(json, pretty_layout)
{
    start(JSON_PRETTY);
    json_object(&j, NULL);
    json_int(&j, "a", -3);
    json_array(&j, "b");
    json_string(&j, NULL, "q\"\\\n");
    json_bool(&j, NULL, true);
    json_object(&j, NULL);
    json_null(&j, "c");
    json_end_object(&j);
    json_end_array(&j);
    json_array(&j, "empty");
    json_end_array(&j);
    json_end_object(&j);
    cr_assert_eq(json_error(&j), 0);
    cr_assert_str_eq(done(), "{\n  \"a\": -3,\n  \"b\": [\n    \"q\\\"\\\\\\u000a\",\n    true,\n"
                             "    {\n      \"c\": null\n    }\n  ],\n  \"empty\": []\n}\n");
    free(text);
}

Test(json, top_level_values_are_lines_of_their_own)
{
    start(JSON_COMPACT);
    json_object(&j, NULL);
    json_end_object(&j);
    json_int(&j, NULL, 7);
    json_string(&j, NULL, "x");
    cr_assert_eq(json_error(&j), 0);
    cr_assert_str_eq(done(), "{}\n7\n\"x\"\n");
    free(text);
}

Test(json, every_string_escape)
{
    char in[40], want[256];
    size_t n = 0;

    /* every control byte, then what is escaped by a backslash, then bytes
     * that pass through: '/', DEL and the UTF-8 of U+00E9 */
    for (int c = 1; c < 0x20; c++)
        in[n++] = (char)c;
    strcpy(in + n, "\"\\/\x7f\xc3\xa9");
    strcpy(want, "[\"");
    for (int c = 1; c < 0x20; c++)
        sprintf(want + strlen(want), "\\u%04x", c);
    strcat(want, "\\\"\\\\/\x7f\xc3\xa9\"]\n");
    start(JSON_COMPACT);
    json_array(&j, NULL);
    json_string(&j, NULL, in);
    json_end_array(&j);
    cr_assert_str_eq(done(), want);
    free(text);
}

Test(json, keys_are_escaped_too)
{
    start(JSON_COMPACT);
    json_object(&j, NULL);
    json_int(&j, "a\"b\tc", 1);
    json_end_object(&j);
    cr_assert_str_eq(done(), "{\"a\\\"b\\u0009c\":1}\n");
    free(text);
}

Test(json, integer_limits)
{
    start(JSON_COMPACT);
    json_array(&j, NULL);
    json_int(&j, NULL, INT64_MIN);
    json_int(&j, NULL, INT64_MAX);
    json_uint(&j, NULL, UINT64_MAX);
    json_uint(&j, NULL, 0);
    json_end_array(&j);
    cr_assert_str_eq(done(), "[-9223372036854775808,9223372036854775807,"
                             "18446744073709551615,0]\n");
    free(text);
}

Test(json, doubles_six_digits_fixed_decimals_and_nan_as_null)
{
    start(JSON_COMPACT);
    json_array(&j, NULL);
    json_double(&j, NULL, 0.1);
    json_double(&j, NULL, 1234567.0);
    json_double(&j, NULL, 2.5);
    json_fixed(&j, NULL, 2.0, 3);
    json_fixed(&j, NULL, 61728.4965, 3);
    json_fixed(&j, NULL, 10.0, 1);
    json_fixed(&j, NULL, 3.0, 0);
    json_double(&j, NULL, NAN);
    json_double(&j, NULL, INFINITY);
    json_fixed(&j, NULL, -INFINITY, 3);
    json_fixed(&j, NULL, NAN, 1);
    json_end_array(&j);
    cr_assert_eq(json_error(&j), 0);
    cr_assert_str_eq(done(), "[0.1,1.23457e+06,2.5,2.000,61728.497,10.0,3,null,null,null,null]\n");
    free(text);
}

Test(json, depth_limit_stops_the_writer)
{
    start(JSON_COMPACT);
    for (int i = 0; i < JSON_DEPTH; i++)
        json_array(&j, NULL);
    cr_assert_eq(json_error(&j), 0, "JSON_DEPTH levels are allowed");
    json_array(&j, NULL);
    cr_assert_eq(json_error(&j), -EOVERFLOW);
    json_int(&j, NULL, 1);
    for (int i = 0; i <= JSON_DEPTH; i++)
        json_end_array(&j);
    cr_assert_eq(json_error(&j), -EOVERFLOW, "the first error stays");
    char want[JSON_DEPTH + 1];
    memset(want, '[', JSON_DEPTH);
    want[JSON_DEPTH] = '\0';
    cr_assert_str_eq(done(), want, "nothing is written after the error");
    free(text);
}

Test(json, misplaced_keys_and_ends_are_errors)
{
    static const char *const cases[] = { "key in array", "no key in object", "key at top",
                                         "end at top", "mismatched end" };

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        start(JSON_COMPACT);
        switch (c) {
        case 0:
            json_array(&j, NULL);
            json_int(&j, "k", 1);
            break;
        case 1:
            json_object(&j, NULL);
            json_int(&j, NULL, 1);
            break;
        case 2:
            json_int(&j, "k", 1);
            break;
        case 3:
            json_end_object(&j);
            break;
        case 4:
            json_object(&j, NULL);
            json_end_array(&j);
            break;
        }
        cr_assert_eq(json_error(&j), -EINVAL, "%s", cases[c]);
        json_null(&j, NULL);
        done();
        cr_assert_eq(strchr(text, '1'), NULL, "%s: written: %s", cases[c], text);
        cr_assert_eq(strstr(text, "null"), NULL, "%s: written after: %s", cases[c], text);
        free(text);
    }
}

Test(json, write_errors_are_reported)
{
    FILE *f = fopen("/dev/full", "w");

    cr_assert_not_null(f);
    setvbuf(f, NULL, _IONBF, 0);
    json_init(&j, f, JSON_COMPACT);
    json_int(&j, NULL, 1);
    cr_assert_eq(json_error(&j), -EIO);
    fclose(f);
}

/* ---- the tests' reader ---- */

Test(json_reader, paths_through_objects_and_arrays)
{
    const char *doc = " {\"a\": {\"b\": [10, {\"c\": -7}, \"x\"]}, \"p99.9\": 1.5,"
                      " \"s\": \"q\\\"\", \"n\": null, \"big\": 9223372036854775807}\n";
    size_t len;

    cr_assert_eq(sup_json_num(doc, "/a/b/0"), 10);
    cr_assert_eq(sup_json_num(doc, "/a/b/1/c"), -7);
    cr_assert_eq(sup_json_num(doc, "/big"), INT64_MAX);
    cr_assert(sup_json_is(doc, "/a/b/2", "\"x\""));
    cr_assert(sup_json_is(doc, "/s", "\"q\\\"\""));
    cr_assert(sup_json_is(doc, "/n", "null"));
    cr_assert(sup_json_is(doc, "/p99.9", "1.5"), "a key may hold a dot");
    cr_assert(sup_json_is(doc, "/a/b/1", "{\"c\": -7}"));
    const char *whole = sup_json_find(doc, "", &len);
    cr_assert_eq(whole, doc + 1);
    cr_assert_eq(len, strlen(doc) - 2);
}

Test(json_reader, absent_or_wrong_kind_is_not_found)
{
    const char *doc = "{\"a\":[1,2],\"f\":1.5,\"e\":1e3,\"s\":\"3\",\"o\":{},"
                      "\"huge\":9223372036854775808}";
    static const char *const paths[] = { "/b", "/a/2", "/a/01", "/a/-1", "/a/x", "/f", "/e",
                                         "/s", "/o", "/o/x", "/a/0/x", "a", "/huge", "/~0" };
    long long v;
    size_t len;

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        cr_assert_eq(sup_json_int(doc, paths[i], &v), -1, "%s", paths[i]);
    cr_assert_not_null(sup_json_find(doc, "/f", &len));
    cr_assert(!sup_json_is(doc, "/s", "3"));
}

Test(json_reader, only_strict_json_is_read)
{
    static const char *const bad[] = {
        "", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{'a':1}", "{\"a\":01}", "{\"a\":1.}",
        "{\"a\":.5}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":\"x\ty\"}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":\"open}", "{\"a\":1} x",
        "{\"a\":1}{}", "{\"a\":1,\"a\":2}", "{a:1}", "[NaN]",
    };
    size_t len;
    char deep[2 * 65 + 1];

    /* Looked up whole ("") as well as at "/a", so that a bad array is read
     * too; a repeated key is refused only on the path that crosses it. */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_null(sup_json_find(bad[i], "/a", &len), "read: %s", bad[i]);
        if (strstr(bad[i], "\"a\":1,\"a\"") == NULL)
            cr_assert_null(sup_json_find(bad[i], "", &len), "read whole: %s", bad[i]);
    }
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    deep[128] = '\0';
    cr_assert_not_null(sup_json_find(deep, "", &len), "64 levels are read");
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = '\0';
    cr_assert_null(sup_json_find(deep, "", &len), "65 levels are too deep");
    cr_assert_not_null(sup_json_find("[-0.5e+3, 0, true, false, \"\\u00e9\\n\\/\"]", "", &len));
}

Test(json_reader, reads_what_the_writer_writes)
{
    start(JSON_PRETTY);
    json_object(&j, NULL);
    json_string(&j, "ctl", "\x01\x1f\"\\\t");
    json_uint(&j, "max", UINT64_MAX);
    json_int(&j, "min", INT64_MIN);
    json_double(&j, "nan", NAN);
    json_array(&j, "rows");
    json_object(&j, NULL);
    json_fixed(&j, "v", 1.25, 2);
    json_end_object(&j);
    json_end_array(&j);
    json_end_object(&j);
    done();
    cr_assert(sup_json_is(text, "/ctl", "\"\\u0001\\u001f\\\"\\\\\\u0009\""), "%s", text);
    cr_assert(sup_json_is(text, "/max", "18446744073709551615"), "%s", text);
    cr_assert_eq(sup_json_num(text, "/min"), INT64_MIN);
    cr_assert(sup_json_is(text, "/nan", "null"), "%s", text);
    cr_assert(sup_json_is(text, "/rows/0/v", "1.25"), "%s", text);
    free(text);
}
