/* bl_env.h - what every backlog-lab experiment shares about the process
 * it runs in: the interrupt flag set by SIGINT/SIGTERM, the progress line
 * on stderr, and writing sysctls of the calling thread's network namespace
 * (the open-file limit and reading sysctls are os.h's).
 *
 * Functions return 0 on success and -1 with errno set on failure.
 */
#ifndef BL_ENV_H
#define BL_ENV_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Set by SIGINT, SIGTERM and SIGHUP once bl_env_catch_signals ran; every
 * wait loop checks it and unwinds through its cleanup path. */
extern volatile sig_atomic_t bl_env_interrupted;

/* Installs the handlers (without SA_RESTART, so blocking calls return
 * EINTR) and ignores SIGPIPE. */
int bl_env_catch_signals(void);

/* Progress lines on stderr: rewritten in place on a terminal, otherwise
 * printed at most once a second (bl_env_progress_now prints regardless).
 * Silent when quiet was set. */
void bl_env_progress_init(bool quiet);
void bl_env_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bl_env_progress_now(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends a progress line (on a terminal: erases it). */
void bl_env_progress_end(void);

/* Writes a whole number into a /proc/sys file.  Only ever used inside a
 * network namespace the lab created. */
int bl_env_write_sysctl(const char *path, long value);
/* The same for a value of several numbers, such as "40000 40007" for
 * ip_local_port_range. */
int bl_env_write_sysctl_text(const char *path, const char *text);

/* Sleeps ns nanoseconds, or less when a signal arrives; returns at once
 * when bl_env_interrupted is already set, and a signal that lands between
 * the caller's check and the sleep still ends the sleep. */
void bl_env_sleep_ns(uint64_t ns);

#endif
