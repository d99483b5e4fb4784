/* argv.h - turns a fuzzer's input into a command line, for the harnesses
 * that fuzz a program's options parser.
 *
 * The input is split at NUL bytes: "-w\0004\0--json" is the command line
 * PROG -w 4 --json.  Every argument is a NUL-ended copy in memory the
 * fuzzer owns, so an over-read past an argument's end is caught by
 * AddressSanitizer.
 */
#ifndef FUZZ_ARGV_H
#define FUZZ_ARGV_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_ARGV_MAX 64   /* arguments taken, program name included */

struct fuzz_argv {
    int argc;
    char *argv[FUZZ_ARGV_MAX + 1];   /* argv[argc] is NULL */
    char *_mem;
};

/* Fills *fa with prog followed by the pieces of data[0..size-1]; pieces
 * past FUZZ_ARGV_MAX are dropped.  Aborts when out of memory. */
void fuzz_argv_init(struct fuzz_argv *fa, const char *prog,
                    const uint8_t *data, size_t size);

/* Releases what fuzz_argv_init allocated. */
void fuzz_argv_free(struct fuzz_argv *fa);

/* A harness's whole LLVMFuzzerTestOneInput: the input as prog's command
 * line, handed to check (which parses it and aborts on anything wrong),
 * then released.  Returns 0. */
int fuzz_argv_run(const uint8_t *data, size_t size, const char *prog,
                  void (*check)(const struct fuzz_argv *fa));

/* Aborts with a message on stderr when err, a parser's message buffer of
 * size bytes, is not a non-empty NUL-ended text starting with prefix
 * (which may be ""). */
void fuzz_check_message(const char *err, size_t size, const char *prefix);

/* Prints "accepted command line, WHAT: 'PROG' 'ARG'..." and aborts: the
 * parser accepted fa but left what wrong. */
void fuzz_argv_die(const struct fuzz_argv *fa, const char *what)
    __attribute__((noreturn));

#endif
