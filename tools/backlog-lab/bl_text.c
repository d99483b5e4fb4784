/* bl_text.c - sentence lists for the generated explanations (see
 * bl_text.h). */
#include "bl_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *bl_text_join(const struct bl_text *t)
{
    size_t len = 1;
    char *all;

    for (int i = 0; i < t->n; i++)
        len += strlen(t->line[i]) + 1;
    all = malloc(len);
    if (all == NULL)
        return NULL;
    all[0] = '\0';
    for (int i = 0, at = 0; i < t->n; i++)
        at += sprintf(all + at, "%s\n", t->line[i]);
    return all;
}

void bl_text_init(struct bl_text *t)
{
    t->n = 0;
}

void bl_text_add(struct bl_text *t, const char *fmt, ...)
{
    va_list ap;
    char *s;

    if (t->n == BL_TEXT_MAX_LINES)
        return;
    va_start(ap, fmt);
    int rc = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (rc >= 0)
        t->line[t->n++] = s;
}

/* Prints s wrapped at width columns, the first line after "- ", the rest
 * indented by two spaces. */
static void print_wrapped(FILE *f, const char *s, int width)
{
    int col = 2;

    fputs("- ", f);
    while (*s != '\0') {
        size_t word = strcspn(s, " ");
        if (col > 2 && col + 1 + (int)word > width) {
            fputs("\n  ", f);
            col = 2;
        } else if (col > 2) {
            fputc(' ', f);
            col++;
        }
        fwrite(s, 1, word, f);
        col += (int)word;
        s += word;
        while (*s == ' ')
            s++;
    }
    fputc('\n', f);
}

void bl_text_print(const struct bl_text *t, FILE *f)
{
    for (int i = 0; i < t->n; i++)
        print_wrapped(f, t->line[i], 78);
}

void bl_text_json(const struct bl_text *t, struct json *j, const char *key)
{
    json_array(j, key);
    for (int i = 0; i < t->n; i++)
        json_string(j, NULL, t->line[i]);
    json_end_array(j);
}

void bl_text_free(struct bl_text *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->line[i]);
    t->n = 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bl_text_median(double *v, int n)
{
    if (n == 0)
        return 0;
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
