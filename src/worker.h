/* worker.h - one echod worker thread: its epoll loop and everything it owns.
 *
 * A worker owns an epoll instance, its listen socket (or a share of the
 * shared one), an eventfd through which the main thread wakes it, its
 * connections (from a slab), a buffer pool and the table of ring headers
 * of the connections that owe bytes, the next sweep for timeouts, a ready
 * list and its counters.  Nothing on the per-message path
 * is shared with another thread.  The main thread talks to the workers only
 * through a struct worker_control (written by main, read by workers after
 * an eventfd kick) and reads their counters.
 */
#ifndef WORKER_H
#define WORKER_H

#include <stdint.h>

#include "listener.h"
#include "options.h"
#include "stats.h"

struct conn_sock_ops;
struct peers;

#define WORKER_EVENTS 256        /* epoll events per epoll_wait */
#define WORKER_ACCEPT_BUDGET 128 /* accepts per loop turn, so I/O keeps flowing */
#define WORKER_TURN_BUDGET (4u << 20)    /* bytes a turn reads, shared by its connections */
#define WORKER_QUANTUM_MIN (16u * 1024)  /* the least share; a waiting one's while others run */
#define WORKER_READ_UNIT (256u * 1024)   /* the most one read takes while nothing is owed */
#define WORKER_LARGE_BUFFERS 4           /* read-unit buffers a worker lends at most */
#define WORKER_LINGER_MS 5000    /* a lingering close waits this long for the peer's FIN */

/* Written by the main thread; each field is read with a relaxed atomic
 * load after a worker_kick.  max_conns and reserve are set before the
 * workers start; active is the workers' own (atomic adds). */
struct worker_control {
    int stop;        /* 1 after SIGINT/SIGTERM: stop accepting, finish, exit */
    int paused;      /* accepting paused (--accept-rate 0, SIGUSR2) */
    uint64_t max_conns; /* open connections at most, all workers; 0: no cap */
    int cap_is_fds;  /* max_conns is the descriptor cap: past it is "shed", not "refused" */
    uint64_t active; /* open connections of all workers */
    struct listener_reserve reserve; /* the spare descriptor for EMFILE/ENFILE */
};

struct worker_config {
    const struct options *opt;
    struct worker_control *ctl;
    unsigned index;  /* 0 .. workers-1; CPU to pin with --cpu-affinity */
    int listen_fd;   /* this worker's socket, or the shared one */
    int done_fd;     /* eventfd: the worker adds 1 when its thread ends */
    const struct conn_sock_ops *ops; /* its connections' socket calls; NULL: conn_sys_ops */
    struct peers *peers; /* --max-conns-per-ip: the table all workers share, or NULL */
    int inherited;   /* listen_fd outlives the process (socket activation): at
                      * stop the worker stops watching it and leaves what is
                      * queued there to the next instance */
};

struct worker;

/* Allocates a worker and its epoll instance, eventfd and registrations
 * (cfg->ctl->reserve must be open: listener_reserve_init).  Returns it, or NULL with a message in err. */
struct worker *worker_create(const struct worker_config *cfg, char *err, size_t errlen);

/* Starts the worker's thread.  Returns 0 or an errno value. */
int worker_start(struct worker *w);

/* Wakes the worker to re-read its struct worker_control. */
void worker_kick(struct worker *w);

/* Waits for the thread to end (it ends after ctl->stop, once its
 * connections are closed or the grace period is over). */
void worker_join(struct worker *w);

/* Takes fd, a connected nonblocking stream socket, as a new connection,
 * as if the listener had just accepted it: counted, refused past
 * --max-conns, registered with epoll (but not counted against
 * --accept-rate, which paces the listener's own accepts).  Only the
 * worker's own thread may call it, or any thread while the worker's thread
 * is not running; tests hand a worker socketpairs this way. */
void worker_adopt(struct worker *w, int fd);

/* Runs one loop turn (see worker.c) in the calling thread, for a worker
 * whose thread was never started: tests step a worker with it.  Blocks in
 * epoll_wait as the worker's thread would, until an event, a deadline, an
 * accept retry or the grace deadline.  Returns 1 while the worker has work
 * left, 0 once it is stopping with no connection open (where its thread
 * would end). */
int worker_turn(struct worker *w);

/* The scratch buffer's size and the largest buffer a connection may hold:
 * max(WORKER_READ_UNIT, --buffer-size). */
uint32_t worker_read_unit(const struct options *o);

/* The worker's counters, for the main thread to read. */
const struct stats_counters *worker_stats(const struct worker *w);

/* Frees a worker whose thread has ended or never started. */
void worker_destroy(struct worker *w);

#endif
