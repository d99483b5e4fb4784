/* bl_err.c - recording the call that failed (see bl_err.h). */
#include "bl_err.h"

#include <stdarg.h>
#include <stdio.h>

int bl_err_set(struct bl_err *e, int errnum, const char *fmt, ...)
{
    va_list ap;

    if (e->call[0] != '\0')
        return -1;
    va_start(ap, fmt);
    vsnprintf(e->call, sizeof(e->call), fmt, ap);
    va_end(ap);
    e->errnum = errnum;
    return -1;
}
