/* bl_json.h - a small streaming JSON writer for backlog-lab's --json
 * output.  It tracks nesting and commas so that callers only say what
 * comes next; keys are given inside objects and NULL inside arrays.
 * Output goes to a FILE; write errors surface through ferror().
 */
#ifndef BL_JSON_H
#define BL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define BL_JSON_DEPTH 16

struct bl_json {
    FILE *f;
    int depth;
    bool first[BL_JSON_DEPTH]; /* nothing written yet at this level */
};

void bl_json_init(struct bl_json *j, FILE *f);
void bl_json_object(struct bl_json *j, const char *key);  /* { */
void bl_json_array(struct bl_json *j, const char *key);   /* [ */
void bl_json_end_object(struct bl_json *j);                /* } */
void bl_json_end_array(struct bl_json *j);                 /* ] */
void bl_json_int(struct bl_json *j, const char *key, int64_t v);
void bl_json_double(struct bl_json *j, const char *key, double v);
void bl_json_bool(struct bl_json *j, const char *key, bool v);
void bl_json_null(struct bl_json *j, const char *key);
/* An object `key` of the listen-queue counter deltas (bl_netstat_listen_deltas),
 * null for a counter the kernel lacks. */
void bl_json_listen_deltas(struct bl_json *j, const char *key, const int64_t *d);
void bl_json_string(struct bl_json *j, const char *key, const char *v);

#endif
