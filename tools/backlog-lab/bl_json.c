/* bl_json.c - streaming JSON writer (see bl_json.h). */
#include "bl_json.h"
#include "bl_netstat.h"

#include <math.h>

void bl_json_init(struct bl_json *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->first[0] = true;
}

static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Writes the comma, newline, indentation and key that precede a value. */
static void begin_value(struct bl_json *j, const char *key)
{
    if (!j->first[j->depth])
        fputc(',', j->f);
    j->first[j->depth] = false;
    if (j->depth > 0) {
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    if (key != NULL) {
        put_string(j->f, key);
        fputs(": ", j->f);
    }
}

static void open_level(struct bl_json *j, const char *key, char c)
{
    begin_value(j, key);
    fputc(c, j->f);
    if (j->depth + 1 < BL_JSON_DEPTH)
        j->depth++;
    j->first[j->depth] = true;
}

static void close_level(struct bl_json *j, char c)
{
    bool empty = j->first[j->depth];

    if (j->depth > 0)
        j->depth--;
    if (!empty) {
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    fputc(c, j->f);
    if (j->depth == 0)
        fputc('\n', j->f);
}

void bl_json_object(struct bl_json *j, const char *key)
{
    open_level(j, key, '{');
}

void bl_json_array(struct bl_json *j, const char *key)
{
    open_level(j, key, '[');
}

void bl_json_end_object(struct bl_json *j)
{
    close_level(j, '}');
}

void bl_json_end_array(struct bl_json *j)
{
    close_level(j, ']');
}

void bl_json_int(struct bl_json *j, const char *key, int64_t v)
{
    begin_value(j, key);
    fprintf(j->f, "%lld", (long long)v);
}

void bl_json_double(struct bl_json *j, const char *key, double v)
{
    begin_value(j, key);
    if (isfinite(v))
        fprintf(j->f, "%.6g", v);
    else
        fputs("null", j->f);
}

void bl_json_bool(struct bl_json *j, const char *key, bool v)
{
    begin_value(j, key);
    fputs(v ? "true" : "false", j->f);
}

void bl_json_null(struct bl_json *j, const char *key)
{
    begin_value(j, key);
    fputs("null", j->f);
}

void bl_json_string(struct bl_json *j, const char *key, const char *v)
{
    begin_value(j, key);
    put_string(j->f, v);
}

void bl_json_listen_deltas(struct bl_json *j, const char *key, const int64_t *d)
{
    bl_json_object(j, key);
    for (int k = 0; k < BL_NETSTAT_NLISTEN; k++) {
        if (d[k] < 0)
            bl_json_null(j, bl_netstat_listen_counters[k]);
        else
            bl_json_int(j, bl_netstat_listen_counters[k], d[k]);
    }
    bl_json_end_object(j);
}
