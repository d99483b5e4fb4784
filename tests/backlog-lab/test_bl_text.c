/* test_bl_text.c - the explanation's sentence list (bl_text.c): printed
 * as "- " items wrapped at 78 columns, joined unwrapped, and the median it
 * quotes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_text.h"

Test(bl_text, text_wraps_and_median)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct bl_text t;
    double v[] = { 5, 1, 3, 2 }, w[] = { 5, 1, 3 };

    bl_text_init(&t);
    bl_text_add(&t, "%s", "word word word word word word word word word word word word "
                          "word word word word word word");
    bl_text_print(&t, f);
    fclose(f);
    cr_assert(strstr(buf, "\n  word") != NULL, "not wrapped: %s", buf);
    for (char *line = buf; *line; line = strchr(line, '\n') + 1)
        cr_assert_leq(strcspn(line, "\n"), 78);
    bl_text_free(&t);
    free(buf);
    cr_assert_float_eq(bl_text_median(v, 4), 2.5, 1e-9);
    cr_assert_float_eq(bl_text_median(w, 3), 3, 1e-9);
    cr_assert_float_eq(bl_text_median(v, 0), 0, 1e-9);
}

Test(bl_text, join_keeps_each_sentence_whole)
{
    struct bl_text t;

    bl_text_init(&t);
    char *none = bl_text_join(&t);
    cr_assert_str_eq(none, "");
    free(none);
    bl_text_add(&t, "first %d", 1);
    bl_text_add(&t, "%s", "a second sentence long enough that printing would wrap it at "
                          "seventy-eight columns, which join must not do");
    char *all = bl_text_join(&t);
    cr_assert_str_eq(all, "first 1\na second sentence long enough that printing would wrap "
                          "it at seventy-eight columns, which join must not do\n");
    free(all);
    bl_text_free(&t);
}
