/* json.c - the streaming JSON writer (see json.h).
 *
 * Every value goes through begin_value, which checks that the key fits the
 * level it is written at and puts out the separator, the layout's newline
 * and indentation, and the key.  Output is buffered by the FILE; its
 * errors are left on the stream for json_error to find.
 */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>

void json_init(struct json *j, FILE *f, enum json_style style)
{
    j->_f = f;
    j->_style = style;
    j->_depth = 0;
    j->_err = 0;
    j->_first[0] = true;
    j->_array[0] = false;
}

static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* A newline and the indentation of level depth, in the pretty layout. */
static void put_break(const struct json *j, int depth)
{
    if (j->_style != JSON_PRETTY)
        return;
    fputc('\n', j->_f);
    for (int i = 0; i < depth; i++)
        fputs("  ", j->_f);
}

/* Writes what precedes a value: the comma after the previous one, the
 * line break and the key.  Returns false, writing nothing, when the
 * writer is in error or the key does not fit the level (required in an
 * object, NULL elsewhere); the latter puts the writer in error. */
static bool begin_value(struct json *j, const char *key)
{
    int d = j->_depth;
    bool in_object = d > 0 && !j->_array[d];

    if (j->_err != 0)
        return false;
    if (in_object != (key != NULL)) {
        j->_err = -EINVAL;
        return false;
    }
    if (d > 0) {
        if (!j->_first[d])
            fputc(',', j->_f);
        put_break(j, d);
    }
    j->_first[d] = false;
    if (key != NULL) {
        put_string(j->_f, key);
        fputs(j->_style == JSON_PRETTY ? ": " : ":", j->_f);
    }
    return true;
}

/* Ends a value: a top-level value is a line of its own. */
static void end_value(struct json *j)
{
    if (j->_depth == 0)
        fputc('\n', j->_f);
}

static void open_level(struct json *j, const char *key, bool array)
{
    if (j->_err == 0 && j->_depth == JSON_DEPTH) {
        j->_err = -EOVERFLOW;
        return;
    }
    if (!begin_value(j, key))
        return;
    fputc(array ? '[' : '{', j->_f);
    j->_depth++;
    j->_first[j->_depth] = true;
    j->_array[j->_depth] = array;
}

static void close_level(struct json *j, bool array)
{
    if (j->_err != 0)
        return;
    if (j->_depth == 0 || j->_array[j->_depth] != array) {
        j->_err = -EINVAL;
        return;
    }
    bool empty = j->_first[j->_depth];
    j->_depth--;
    if (!empty)
        put_break(j, j->_depth);
    fputc(array ? ']' : '}', j->_f);
    end_value(j);
}

void json_object(struct json *j, const char *key)
{
    open_level(j, key, false);
}

void json_array(struct json *j, const char *key)
{
    open_level(j, key, true);
}

void json_end_object(struct json *j)
{
    close_level(j, false);
}

void json_end_array(struct json *j)
{
    close_level(j, true);
}

void json_int(struct json *j, const char *key, int64_t v)
{
    if (!begin_value(j, key))
        return;
    fprintf(j->_f, "%" PRId64, v);
    end_value(j);
}

void json_uint(struct json *j, const char *key, uint64_t v)
{
    if (!begin_value(j, key))
        return;
    fprintf(j->_f, "%" PRIu64, v);
    end_value(j);
}

void json_double(struct json *j, const char *key, double v)
{
    if (!begin_value(j, key))
        return;
    if (isfinite(v))
        fprintf(j->_f, "%.6g", v);
    else
        fputs("null", j->_f);
    end_value(j);
}

void json_fixed(struct json *j, const char *key, double v, int decimals)
{
    if (!begin_value(j, key))
        return;
    if (isfinite(v))
        fprintf(j->_f, "%.*f", decimals, v);
    else
        fputs("null", j->_f);
    end_value(j);
}

void json_bool(struct json *j, const char *key, bool v)
{
    if (!begin_value(j, key))
        return;
    fputs(v ? "true" : "false", j->_f);
    end_value(j);
}

void json_null(struct json *j, const char *key)
{
    if (!begin_value(j, key))
        return;
    fputs("null", j->_f);
    end_value(j);
}

void json_string(struct json *j, const char *key, const char *v)
{
    if (!begin_value(j, key))
        return;
    put_string(j->_f, v);
    end_value(j);
}

int json_error(const struct json *j)
{
    if (j->_err != 0)
        return j->_err;
    return ferror(j->_f) ? -EIO : 0;
}
