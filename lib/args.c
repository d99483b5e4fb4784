/* args.c - the argv driver and the message helper (see args.h).
 *
 * args_next classifies one argument (positional, long or short option),
 * finds its row by walking the caller's table with the caller's stride,
 * and settles where the value comes from: after '=', after the short
 * letter, or from the next argument.  It only reports; the program
 * decides what each event means and what each error says.
 */
#include "args.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void args_init(struct args *a, int argc, char *const argv[],
               const struct args_opt *first, size_t count, size_t stride,
               unsigned flags)
{
    memset(a, 0, sizeof(*a));
    a->_argc = argc;
    a->_next = 1;
    a->_argv = argv;
    a->_table = (const char *)first;
    a->_count = count;
    a->_stride = stride;
    a->_flags = flags;
}

static const struct args_opt *row(const struct args *a, size_t i)
{
    return (const struct args_opt *)(a->_table + i * a->_stride);
}

/* Finds the row whose long name is the len bytes at name ("--workers"). */
static const struct args_opt *find_long(struct args *a, const char *name, size_t len)
{
    for (size_t i = 0; i < a->_count; i++) {
        const struct args_opt *r = row(a, i);
        if (strlen(r->name) == len && memcmp(r->name, name, len) == 0) {
            a->index = i;
            return r;
        }
    }
    return NULL;
}

static const struct args_opt *find_short(struct args *a, char c)
{
    for (size_t i = 0; i < a->_count; i++) {
        const struct args_opt *r = row(a, i);
        if (r->short_name == c) {
            a->index = i;
            return r;
        }
    }
    return NULL;
}

/* Settles an option whose row is r (NULL: unknown) and whose value, when
 * written in the same argument, is attached (else NULL). */
static enum args_kind finish(struct args *a, const struct args_opt *r,
                             const char *attached)
{
    a->opt = r;
    if (r == NULL)
        return ARGS_UNKNOWN;
    if (!r->takes_value)
        return attached != NULL ? ARGS_NO_VALUE : ARGS_OPTION;
    if (attached == NULL) {
        if (a->_next >= a->_argc)
            return ARGS_NEEDS_VALUE;
        attached = a->_argv[a->_next++];
    }
    a->value = attached;
    return ARGS_OPTION;
}

/* "--name" or "--name=value" */
static enum args_kind next_long(struct args *a, const char *arg)
{
    const char *eq = strchr(arg, '=');
    size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);

    snprintf(a->flag, sizeof(a->flag), "%.*s", (int)len, arg);
    return finish(a, find_long(a, arg, len), eq != NULL ? eq + 1 : NULL);
}

/* "-c" or "-cvalue" */
static enum args_kind next_short(struct args *a, const char *arg)
{
    a->flag[0] = '-';
    a->flag[1] = arg[1];
    a->flag[2] = '\0';
    return finish(a, find_short(a, arg[1]), arg[2] != '\0' ? arg + 2 : NULL);
}

enum args_kind args_next(struct args *a)
{
    a->arg = NULL;
    a->opt = NULL;
    a->index = 0;
    a->value = NULL;
    a->flag[0] = '\0';
    for (;;) {
        if (a->_next >= a->_argc)
            return ARGS_END;
        const char *arg = a->_argv[a->_next++];
        int dash2 = strcmp(arg, "--") == 0;
        a->arg = arg;
        if (dash2 && !a->_options_done && (a->_flags & ARGS_DOUBLE_DASH)) {
            a->_options_done = true;
            continue;
        }
        if (a->_options_done || dash2 || arg[0] != '-' || arg[1] == '\0')
            return ARGS_POSITIONAL;
        return arg[1] == '-' ? next_long(a, arg) : next_short(a, arg);
    }
}

/* The end of the text once snprintf has written at offset at and returned
 * n: at most size - 1, where snprintf cuts.  A negative n (an encoding
 * error, which only a bad wide-character argument causes) keeps the text
 * before at. */
static size_t advanced(const struct args_msg *m, size_t at, int n)
{
    if (n < 0) {
        m->buf[at] = '\0';
        return at;
    }
    return (size_t)n >= m->size - at ? m->size - 1 : at + (size_t)n;
}

int args_fail(const struct args_msg *m, const char *flag, const char *fmt, ...)
{
    size_t at = 0;
    va_list ap;

    if (m->size == 0)
        return m->code;
    m->buf[0] = '\0';
    if (m->prefix != NULL)
        at = advanced(m, at, snprintf(m->buf, m->size, "%s: ", m->prefix));
    if (flag != NULL)
        at = advanced(m, at, snprintf(m->buf + at, m->size - at, "%s: ", flag));
    va_start(ap, fmt);
    advanced(m, at, vsnprintf(m->buf + at, m->size - at, fmt, ap));
    va_end(ap);
    return m->code;
}
