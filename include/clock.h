/* clock.h - the one clock every program reads: CLOCK_MONOTONIC in
 * nanoseconds.  Inline because it sits on hot paths (vDSO, no syscall). */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>
#include <time.h>

#define CLOCK_NS_PER_US  1000ULL
#define CLOCK_NS_PER_MS  1000000ULL
#define CLOCK_NS_PER_SEC 1000000000ULL

static inline uint64_t clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail for this clock id */
    return (uint64_t)ts.tv_sec * CLOCK_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

#endif
