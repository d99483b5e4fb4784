/* args.h - the argv driver and the command-line message helper shared by
 * echod, tcpload and backlog-lab.
 *
 * Each program keeps its own table of options: an array of rows of its own
 * type, each row holding a struct args_opt (the spellings, and whether the
 * option takes a value) beside the program's own fields (setter, modes,
 * defaults).  args_next walks argv and hands back one event at a time: an
 * option with its row, its value and the flag as the user spelled it; a
 * positional argument; or an error kind.  The driver never prints and never
 * decides what a message says: the program turns every event into its own
 * semantics and every error kind into its own text through args_fail, so
 * that all messages share one shape, "[PREFIX: ]FLAG: message".
 *
 * Spellings: "--name value", "--name=value", "-c value", "-cvalue"; a flag
 * without a value is "--name" or "-c".  Short letters are not bundled: what
 * follows "-c" in the same argument is always its value.  A value taken
 * from the next argument is taken whatever it looks like ("-w -3" gives
 * -w the value "-3").  "-" alone, "" and any argument not starting with '-'
 * are positional; "--" is positional too unless ARGS_DOUBLE_DASH is given,
 * in which case it ends the options and everything after it is positional.
 */
#ifndef ARGS_H
#define ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* One option's spellings; a member of each row of a program's table. */
struct args_opt {
    const char *name;   /* the long form with its dashes: "--workers" */
    char short_name;    /* 'w' for "-w"; 0 when there is none */
    bool takes_value;
};

enum args_kind {
    ARGS_END,          /* argv is used up */
    ARGS_OPTION,       /* a known option: opt, index, flag, value (NULL when
                        * the row takes none) */
    ARGS_POSITIONAL,   /* arg is not an option (or comes after "--") */
    ARGS_UNKNOWN,      /* flag names no row */
    ARGS_NO_VALUE,     /* opt takes no value but was given one: "--json=1",
                        * "-hx" */
    ARGS_NEEDS_VALUE,  /* opt takes a value and was the last argument */
};

#define ARGS_DOUBLE_DASH 1u   /* args_init flag: "--" ends the options */
#define ARGS_FLAG_MAX 512     /* bytes kept of a spelled flag, NUL included */

/* The driver's state.  Fields after the comment "set by args_next" describe
 * the last event; the others are private (leading underscore). */
struct args {
    int _argc, _next;
    char *const *_argv;
    const char *_table;        /* the first row's struct args_opt */
    size_t _count, _stride;
    unsigned _flags;
    bool _options_done;
    /* set by args_next */
    const char *arg;           /* the whole argument, as in argv; NULL at ARGS_END */
    const struct args_opt *opt; /* the row's spellings, or NULL */
    size_t index;              /* the row's index in the table (when opt is set) */
    const char *value;         /* the option's value, or NULL */
    char flag[ARGS_FLAG_MAX];  /* the flag as spelled, without "=value":
                                * "--workers" or "-w"; "" for a positional */
};

/* Prepares *a to walk argv[1..argc-1].  The table has count rows of stride
 * bytes each, and first points to the struct args_opt inside its first
 * row (ARGS_TABLE fills these three from an array and a member name).
 * flags is 0 or ARGS_DOUBLE_DASH. */
void args_init(struct args *a, int argc, char *const argv[],
               const struct args_opt *first, size_t count, size_t stride,
               unsigned flags);

/* The first, count and stride arguments of args_init for an array of rows
 * whose struct args_opt member is named member. */
#define ARGS_TABLE(rows, member) \
    &(rows)[0].member, sizeof(rows) / sizeof((rows)[0]), sizeof((rows)[0])

/* Reads the next argument (and the value it takes from the one after it)
 * and returns what it was; the fields after "set by args_next" say more.
 * Long names are matched exactly, never by prefix. */
enum args_kind args_next(struct args *a);

/* Where a program's command-line messages go. */
struct args_msg {
    char *buf;           /* the caller's buffer */
    size_t size;         /* its size in bytes */
    const char *prefix;  /* written first as "PREFIX: " ("tcpload"), or NULL */
    int code;            /* what args_fail returns: the program's error code */
};

/* Writes "[PREFIX: ][FLAG: ]message" into m->buf, the message formatted
 * from fmt as printf does, cut to fit and always NUL-ended (when size > 0);
 * flag NULL leaves out "FLAG: ".  Returns m->code, so that a parser can
 * write "return args_fail(...)". */
int args_fail(const struct args_msg *m, const char *flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
