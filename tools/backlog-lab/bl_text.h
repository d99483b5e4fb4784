/* bl_text.h - the generated explanation under each table: a list of
 * sentences built from the measured numbers, printed as text or written
 * into the JSON output as an array of strings. */
#ifndef BL_TEXT_H
#define BL_TEXT_H

#include <stdio.h>

#include "bl_json.h"

#define BL_TEXT_MAX_LINES 64

struct bl_text {
    int n;
    char *line[BL_TEXT_MAX_LINES];
};

void bl_text_init(struct bl_text *t);
/* Appends one sentence (dropped silently past BL_TEXT_MAX_LINES or when
 * memory runs out: an explanation is never worth failing a run for). */
void bl_text_add(struct bl_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints each sentence as a "- " item wrapped at 78 columns. */
void bl_text_print(const struct bl_text *t, FILE *f);
/* Writes the sentences as a JSON array named key. */
void bl_text_json(const struct bl_text *t, struct json *j, const char *key);
void bl_text_free(struct bl_text *t);
/* The sentences unwrapped, each ended by '\n', in one malloc'ed string
 * (NULL when memory runs out): what tests search for whole phrases. */
char *bl_text_join(const struct bl_text *t);

/* The median of n values (sorted in place); 0 when n is 0. */
double bl_text_median(double *v, int n);

#endif
