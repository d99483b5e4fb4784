/* json.h - the toolkit's one JSON writer: echod's --json stats lines,
 * tcpload's --json report and backlog-lab's --json documents.
 *
 * The writer streams to a FILE and tracks nesting and commas, so a caller
 * only says what comes next: json_object, then its members, then
 * json_end_object.  Inside an object every value is given its key; inside
 * an array, and for the top-level value, the key is NULL.  A top-level
 * value ends with a newline, so one writer can put out JSON Lines.
 *
 * Two layouts: JSON_COMPACT writes a document on one line with no spaces
 * ({"a":1,"b":[true,null]}); JSON_PRETTY puts each member on its own line,
 * indented two spaces per level, with ": " after each key.
 *
 * Strings (keys too) are written with '"' and '\' escaped by a backslash
 * and every other byte below 0x20 as \u00XX; all other bytes, 0x7f and
 * UTF-8 sequences included, go out as they are (they are not validated).
 *
 * Numbers: json_int and json_uint write every 64-bit value exactly;
 * json_double writes six significant digits (printf's %.6g, so large and
 * tiny values get an exponent) and json_fixed a fixed number of decimals.
 * JSON has no NaN or infinity: a double that is not finite is written as
 * null.
 *
 * Misuse is caught, not written: a key missing inside an object or given
 * outside one, an end that does not match the open level, or nesting
 * deeper than JSON_DEPTH puts the writer in error; from then on it writes
 * nothing, and json_error says why.  Write errors stay on the FILE
 * (ferror), which json_error also reports.
 */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH 16   /* most objects and arrays open at once */

enum json_style {
    JSON_COMPACT,       /* one line, no spaces */
    JSON_PRETTY,        /* a member per line, two-space indent */
};

/* The writer's state; the fields are the writer's own. */
struct json {
    FILE *_f;
    enum json_style _style;
    int _depth;                      /* levels open now, 0 at top level */
    int _err;                        /* 0, or the -errno json_error gives */
    bool _first[JSON_DEPTH + 1];     /* nothing written yet at this level */
    bool _array[JSON_DEPTH + 1];     /* this level is an array */
};

/* Starts a writer on f, at top level, with no error. */
void json_init(struct json *j, FILE *f, enum json_style style);

/* Opens an object or an array as the value of key (NULL in an array or at
 * top level); json_end_object and json_end_array close the innermost one
 * and must match it. */
void json_object(struct json *j, const char *key);
void json_array(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_end_array(struct json *j);

/* One value, under key (NULL in an array or at top level).  json_double
 * writes v as %.6g, json_fixed with decimals (>= 0) digits after the
 * point, as %.*f; either writes null for NaN and infinities. */
void json_int(struct json *j, const char *key, int64_t v);
void json_uint(struct json *j, const char *key, uint64_t v);
void json_double(struct json *j, const char *key, double v);
void json_fixed(struct json *j, const char *key, double v, int decimals);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
void json_string(struct json *j, const char *key, const char *v);

/* 0 when everything so far was written; -EOVERFLOW when nesting went past
 * JSON_DEPTH, -EINVAL for a misplaced key or a mismatched end, -EIO when
 * the FILE has had a write error. */
int json_error(const struct json *j);

#endif
