/* bl_report_reuseport.c - table, explanation and JSON for the reuseport
 * experiment (see bl_report.h).  What happened to the closed listener's
 * queue is read from the numbers: how many the survivor gained, how many
 * clients were reset. */
#include "bl_report.h"

void bl_report_reuseport_explain(const struct bl_reuseport_phase *ph, int n,
                                 struct bl_text *t)
{
    for (int i = 0; i < n; i++) {
        const struct bl_reuseport_phase *p = &ph[i];
        long moved = (long)p->after - (long)p->before[1];
        bl_text_add(t, "tcp_migrate_req=%d: before the close the two listeners held %u and "
                       "%u of the %d clients (limit %u each): the kernel spread them over "
                       "both queues, each listener of the group with its own.",
                    p->migrate, p->before[0], p->before[1], p->nclients, p->limit);
        if (p->before[0] == 0) {
            bl_text_add(t, "tcp_migrate_req=%d: nothing waited in the listener that was "
                           "closed, so this phase shows nothing about the close; try more "
                           "--clients.", p->migrate);
            continue;
        }
        if (p->reset == (int)p->before[0] && moved <= 0)
            bl_text_add(t, "tcp_migrate_req=%d: closing the first listener reset all %u "
                           "connections in its queue: those clients, connected in their own "
                           "view, read ECONNRESET; the other listener still held %u.",
                        p->migrate, p->before[0], p->after);
        else if (moved == (long)p->before[0] && p->reset == 0)
            bl_text_add(t, "tcp_migrate_req=%d: closing the first listener moved all %u "
                           "connections in its queue to the other one (which then held %u) "
                           "and it accepted them: no client was reset.", p->migrate,
                        p->before[0], p->after);
        else
            bl_text_add(t, "tcp_migrate_req=%d: of the %u connections in the closed "
                           "listener's queue, the other listener gained %ld and %d clients "
                           "read ECONNRESET.", p->migrate, p->before[0], moved, p->reset);
        bl_text_add(t, "tcp_migrate_req=%d: the remaining listener accepted %d.", p->migrate,
                    p->accepted);
        if (p->other > 0)
            bl_text_add(t, "tcp_migrate_req=%d: %d client%s read neither a reset nor "
                           "nothing-yet (end of file or another error).", p->migrate,
                        p->other, p->other == 1 ? "" : "s");
    }
}

void bl_report_reuseport(FILE *f, const struct bl_reuseport_phase *ph, int n,
                         const struct bl_opts *o)
{
    struct bl_text t;

    bl_text_init(&t);
    bl_report_reuseport_explain(ph, n, &t);
    if (o->json) {
        struct json j;
        bl_report_json_begin(&j, f, "reuseport");
        json_array(&j, "phases");
        for (int i = 0; i < n; i++) {
            json_object(&j, NULL);
            json_int(&j, "tcp_migrate_req", ph[i].migrate);
            json_int(&j, "clients", ph[i].nclients);
            json_int(&j, "queue_limit", ph[i].limit);
            json_int(&j, "closed_listener_queue", ph[i].before[0]);
            json_int(&j, "other_listener_queue_before", ph[i].before[1]);
            json_int(&j, "other_listener_queue_after", ph[i].after);
            json_int(&j, "accepted", ph[i].accepted);
            json_int(&j, "clients_reset", ph[i].reset);
            json_int(&j, "clients_other", ph[i].other);
            json_end_object(&j);
        }
        json_end_array(&j);
        bl_report_json_end(&j, &t);
    } else {
        fprintf(f, "An SO_REUSEPORT pair of listeners (backlog %d each); the first is "
                   "closed with connections in its queue:\n", BL_REUSEPORT_BACKLOG);
        fprintf(f, "%15s %7s %14s %14s %13s %8s %6s\n", "tcp_migrate_req", "clients",
                "closed queue", "other before", "other after", "accepted", "reset");
        for (int i = 0; i < n; i++)
            fprintf(f, "%15d %7d %14u %14u %13u %8d %6d\n", ph[i].migrate, ph[i].nclients,
                    ph[i].before[0], ph[i].before[1], ph[i].after, ph[i].accepted,
                    ph[i].reset);
        bl_report_text_end(f, &t);
    }
    bl_text_free(&t);
    fflush(f);
}
