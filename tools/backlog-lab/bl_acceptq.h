/* bl_acceptq.h - the accept-queue experiment.
 *
 * One run per backlog: a listener on 127.0.0.1 that does not accept, N
 * nonblocking connects, a settle time, then one measurement of both sides
 * (what each client's TCP_INFO says, the listener's queue through
 * inet_diag and TCP_INFO, the server-side sockets on the port, and the
 * listen-queue TcpExt counters).  Then the listener starts accepting and
 * every client's fate is recorded: when its connect completed (and after
 * how many SYN retransmissions), when it was accepted, and for the
 * clients that write right away, when the server read their bytes.
 *
 * The experiment only measures; bl_report_acceptq.c (bl_report.h) turns
 * the numbers into tables, the explanation and JSON.
 */
#ifndef BL_ACCEPTQ_H
#define BL_ACCEPTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "bl_err.h"
#include "bl_options.h"
#include "bl_netstat.h"

/* The TcpExt counters the experiment tracks (bl_netstat_listen_counters). */
#define BL_NCOUNTERS BL_NETSTAT_NLISTEN

struct bl_client {
    int fd;
    uint16_t port;            /* the client's local port */
    bool writer;              /* writes BL_HELLO_LEN bytes once connected */
    bool connect_failed;      /* the connect failed (errno in err, at t_failed) */
    bool failed_at_call;      /* ... in connect() itself, before any packet */
    int err;
    bool established;         /* the client saw its connect complete */
    bool accepted;
    bool data_read;           /* the server read the writer's bytes */
    uint8_t state_at_settle;  /* TCP state from the client's TCP_INFO */
    bool queued_at_settle;    /* an ESTABLISHED server socket existed */
    bool synrecv_at_settle;   /* a SYN-RECV server socket existed */
    uint32_t syn_retrans;     /* retransmissions when the connect completed */
    uint32_t data_retrans;    /* retransmissions after that, at the end */
    uint64_t t_connect;       /* ns since the run began, for each event */
    uint64_t t_established;
    uint64_t t_accepted;
    uint64_t t_data;
    uint64_t t_failed;
};

#define BL_HELLO_LEN 32

struct bl_acceptq_run {
    int backlog;              /* passed to listen() */
    long somaxconn;           /* net.core.somaxconn when the run began */
    bool private_ns;          /* in a namespace of its own: exact counters */
    int nclients;
    struct bl_client *clients;
    uint64_t settle_ns;       /* when the settle measurement was taken */
    bool interrupted;

    /* at the end of the settle time */
    int cl_established;       /* clients in ESTABLISHED (their view) */
    int cl_syn_sent;          /* clients still in SYN-SENT */
    int cl_failed;            /* connects that had failed by then */
    int cl_failed_at_call;    /* ... of which in connect() itself */
    int srv_established;      /* ESTABLISHED server sockets on the port */
    int srv_syn_recv;         /* SYN-RECV server sockets on the port */
    uint32_t diag_len, diag_limit;   /* inet_diag idiag_rqueue/wqueue */
    uint32_t info_len, info_limit;   /* TCP_INFO tcpi_unacked/sacked */
    int64_t settle_delta[BL_NCOUNTERS];   /* TcpExt, -1 when absent */

    /* after the accepting phase */
    uint64_t accept_ns;       /* how long it ran */
    int accepted;
    int64_t end_delta[BL_NCOUNTERS];
};

/* Runs one backlog with nclients clients; fills *run (run->clients is
 * malloc'ed: free with bl_acceptq_free).  Returns 0, or -1 with *err
 * naming the call that failed when the experiment itself could not run;
 * an interrupt returns 0 with run->interrupted set. */
int bl_acceptq_run(int backlog, int nclients, const struct bl_opts *o,
                   struct bl_acceptq_run *run, struct bl_err *err);

void bl_acceptq_free(struct bl_acceptq_run *run);

/* The backlog a --backlog entry stands for, given somaxconn. */
int bl_acceptq_resolve(const struct bl_backlog_spec *spec, long somaxconn);

/* How many clients a run at backlog gets: --clients, or backlog + 16,
 * capped by BL_MAX_CLIENTS and by what the open-file limit allows. */
int bl_acceptq_clients(const struct bl_opts *o, int backlog, uint64_t nofile);

/* The whole command: resolves the backlogs, prints the time it will take,
 * runs them and reports.  Returns the exit status. */
int bl_acceptq_main(const struct bl_opts *o);

#endif
