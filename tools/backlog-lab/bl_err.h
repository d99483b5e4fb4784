/* bl_err.h - what failed when a backlog-lab experiment could not run: the
 * call (with what it was called on, where that helps) and its errno.
 *
 * An experiment's functions return -1 on failure, as before; the one that
 * saw the call fail records it here on the way out, and the command prints
 * the record after its own context, as echod names the failing call:
 *
 *     backlog-lab: accept-queue run at backlog 8: listen: Invalid argument
 */
#ifndef BL_ERR_H
#define BL_ERR_H

#define BL_ERR_CALL_LEN 128

struct bl_err {
    char call[BL_ERR_CALL_LEN]; /* "listen", "reading /proc/sys/..."; "" until set */
    int errnum;                 /* that call's errno */
};

/* Records the failing call (a printf format) with errnum, unless e already
 * holds a failure: the first one is the cause, and whatever fails while
 * cleaning up after it is not.  Returns -1, so that a failure path reads
 * `return bl_err_set(e, errno, "listen");`. */
int bl_err_set(struct bl_err *e, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
