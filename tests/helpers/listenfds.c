/* listenfds.c - hands listening sockets to a program the way a service
 * manager does (sd_listen_fds(3)), so a test can be the process that holds
 * the sockets across restarts, as systemd does.
 *
 * usage: listenfds FD [FD...] -- PROGRAM [ARGS...]
 * Moves the inherited descriptors FD... to 3, 4, ..., sets LISTEN_FDS,
 * LISTEN_PID (its own pid, which exec keeps) and LISTEN_FDNAMES, and
 * execs PROGRAM.  Exits 127 when it cannot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FDS 16
#define HIGH_FD 100 /* parked here first, so moving one never clobbers another */

int main(int argc, char *argv[])
{
    int parked[MAX_FDS], n = 0, i = 1;
    char num[32], names[MAX_FDS * 8] = "";

    for (; i < argc && strcmp(argv[i], "--") != 0 && n < MAX_FDS; i++) {
        int fd = atoi(argv[i]);
        parked[n] = fcntl(fd, F_DUPFD, HIGH_FD);
        if (parked[n] < 0) {
            fprintf(stderr, "listenfds: descriptor %s: %s\n", argv[i], strerror(errno));
            return 127;
        }
        close(fd); /* the program sees each socket once, at 3 + k */
        n++;
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "usage: listenfds FD [FD...] -- PROGRAM [ARGS...]\n");
        return 127;
    }
    for (int k = 0; k < n; k++) {
        if (dup2(parked[k], 3 + k) < 0) { /* dup2 clears close-on-exec */
            fprintf(stderr, "listenfds: dup2: %s\n", strerror(errno));
            return 127;
        }
        close(parked[k]);
        strcat(names, k == 0 ? "echo" : ":echo");
    }
    snprintf(num, sizeof(num), "%d", n);
    setenv("LISTEN_FDS", num, 1);
    snprintf(num, sizeof(num), "%d", (int)getpid());
    setenv("LISTEN_PID", num, 1);
    setenv("LISTEN_FDNAMES", names, 1);
    execv(argv[i + 1], argv + i + 1);
    fprintf(stderr, "listenfds: exec %s: %s\n", argv[i + 1], strerror(errno));
    return 127;
}
