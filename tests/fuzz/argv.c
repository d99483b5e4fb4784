/* argv.c - a fuzzer's input as a command line (see argv.h). */
#include "argv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_argv_init(struct fuzz_argv *fa, const char *prog,
                    const uint8_t *data, size_t size)
{
    char *p;

    fa->_mem = malloc(size + 1);
    if (fa->_mem == NULL)
        abort();
    memcpy(fa->_mem, data, size);
    fa->_mem[size] = '\0';
    fa->argc = 0;
    fa->argv[fa->argc++] = (char *)prog;
    for (p = fa->_mem; fa->argc < FUZZ_ARGV_MAX && size > 0; ) {
        size_t len = strlen(p);
        fa->argv[fa->argc++] = p;
        if (len >= size)
            break;
        size -= len + 1;
        p += len + 1;
    }
    fa->argv[fa->argc] = NULL;
}

void fuzz_argv_free(struct fuzz_argv *fa)
{
    free(fa->_mem);
    fa->_mem = NULL;
}

int fuzz_argv_run(const uint8_t *data, size_t size, const char *prog,
                  void (*check)(const struct fuzz_argv *fa))
{
    struct fuzz_argv fa;

    fuzz_argv_init(&fa, prog, data, size);
    check(&fa);
    fuzz_argv_free(&fa);
    return 0;
}

void fuzz_check_message(const char *err, size_t size, const char *prefix)
{
    const char *end = memchr(err, '\0', size);

    if (end == NULL || end == err || strncmp(err, prefix, strlen(prefix)) != 0) {
        fprintf(stderr, "bad message (want a NUL-ended text starting '%s'): '%.*s'\n",
                prefix, (int)size, err);
        abort();
    }
}

void fuzz_argv_die(const struct fuzz_argv *fa, const char *what)
{
    fprintf(stderr, "accepted command line, %s:", what);
    for (int i = 0; i < fa->argc; i++)
        fprintf(stderr, " '%s'", fa->argv[i]);
    fputc('\n', stderr);
    abort();
}
