/* bl_report_close.c - table, explanation and JSON for the close
 * experiment (see bl_report.h).
 *
 * Each sequence is compared step by step with the path the tutorials
 * draw; a step that matched gets its sentence, the first that did not is
 * named with what was seen instead, and nothing after it is explained.
 * Where each named state was seen, and the TIME-WAIT timer against
 * 2 x MSL, are read off every step.
 */
#include "bl_report.h"

#include <netinet/tcp.h>
#include <string.h>

/* The textbook path: both ends' states after each step, and what it shows. */
struct path_step {
    uint8_t client, server;
    const char *says;
};

static const struct path_step four_way_path[] = {
    { TCP_ESTABLISHED, TCP_ESTABLISHED, NULL },
    { TCP_FIN_WAIT1, TCP_ESTABLISHED,
      "while the client's FIN was dropped the client sat in FIN-WAIT-1, and the server, "
      "which had not received it, stayed ESTABLISHED." },
    { TCP_FIN_WAIT2, TCP_CLOSE_WAIT,
      "once a retransmission of the FIN got through, the server went to CLOSE-WAIT and "
      "its ACK took the client to FIN-WAIT-2." },
    { TCP_FIN_WAIT2, TCP_CLOSE_WAIT,
      "both stayed there while the server did not close: CLOSE-WAIT is the server's end "
      "waiting for its application's close()." },
    { TCP_TIME_WAIT, TCP_LAST_ACK,
      "the server's close() sent its FIN: the client went to TIME-WAIT on receiving it, "
      "and the server waited in LAST-ACK for the ACK that was dropped." },
    { TCP_TIME_WAIT, 0,
      "when a retransmitted FIN drew an ACK that got through, the server's end was gone: "
      "the end that closed second kept no TIME-WAIT, the client's did." },
};

static const struct path_step simultaneous_path[] = {
    { TCP_ESTABLISHED, TCP_ESTABLISHED, NULL },
    { TCP_FIN_WAIT1, TCP_FIN_WAIT1,
      "both ends closed before either FIN arrived: both sat in FIN-WAIT-1." },
    { TCP_FIN_WAIT2, TCP_CLOSING,
      "the client's FIN reached the server while the server's own FIN was unacknowledged: "
      "the server went to CLOSING, not CLOSE-WAIT, and its ACK took the client to "
      "FIN-WAIT-2." },
    { TCP_TIME_WAIT, TCP_CLOSING,
      "the server's FIN took the client to TIME-WAIT; the server stayed in CLOSING while "
      "the client's ACK was dropped." },
    { TCP_TIME_WAIT, TCP_TIME_WAIT,
      "when the client's ACK got through the server went from CLOSING to TIME-WAIT: after "
      "a simultaneous close both ends are in TIME-WAIT." },
};

static const char *seq_name(enum bl_close_seq_kind k)
{
    return k == BL_CLOSE_FOUR_WAY ? "four-way close" : "simultaneous close";
}

static double sec(uint64_t ns)
{
    return (double)ns / 1e9;
}

static void explain_path(const struct bl_close_seq *s, struct bl_text *t)
{
    const struct path_step *path = s->kind == BL_CLOSE_FOUR_WAY ? four_way_path
                                                                : simultaneous_path;
    int n = s->kind == BL_CLOSE_FOUR_WAY
                ? (int)(sizeof(four_way_path) / sizeof(four_way_path[0]))
                : (int)(sizeof(simultaneous_path) / sizeof(simultaneous_path[0]));

    for (int i = 0; i < s->n && i < n; i++) {
        const struct bl_close_step *st = &s->step[i];
        if (st->client.state != path[i].client || st->server.state != path[i].server) {
            bl_text_add(t, "The %s left the tutorials' path at '%s' (%.3f s): the client "
                           "was %s and the server %s, where the path has %s and %s; the "
                           "table shows the rest.", seq_name(s->kind), st->action,
                        sec(st->t_ns), bl_close_state_name(st->client.state),
                        bl_close_state_name(st->server.state),
                        bl_close_state_name(path[i].client),
                        bl_close_state_name(path[i].server));
            return;
        }
        if (path[i].says != NULL)
            bl_text_add(t, "%s, %.3f s: %s", s->kind == BL_CLOSE_FOUR_WAY
                                                     ? "Four-way close" : "Simultaneous close",
                        sec(st->t_ns), path[i].says);
    }
    if (s->n < n)
        bl_text_add(t, "The %s stopped after %d of its %d steps.", seq_name(s->kind), s->n,
                    n);
}

/* Where state was seen: the first step of each end of each sequence. */
static void explain_state(const struct bl_close_result *r, uint8_t state, struct bl_text *t)
{
    char where[512] = "";
    size_t used = 0;

    for (int q = 0; q < 2; q++) {
        const struct bl_close_seq *s = &r->seq[q];
        for (int side = 0; side < 2; side++) {
            for (int i = 0; i < s->n; i++) {
                const struct bl_close_end *e = side == 0 ? &s->step[i].client
                                                         : &s->step[i].server;
                if (e->state != state)
                    continue;
                char timer[64] = " (no timer)";
                if (e->timer != 0)
                    snprintf(timer, sizeof(timer), " (%s timer, %.3f s left)",
                             bl_close_timer_name(e->timer), e->expires_ms / 1e3);
                int w = snprintf(where + used, sizeof(where) - used, "%sthe %s in the %s "
                                 "at %.3f s%s", used ? "; " : "",
                                 side == 0 ? "client" : "server", seq_name(s->kind),
                                 sec(s->step[i].t_ns), timer);
                if (w > 0 && (size_t)w < sizeof(where) - used)
                    used += (size_t)w;
                break;
            }
        }
    }
    if (used == 0)
        bl_text_add(t, "%s was never seen in this run.", bl_close_state_name(state));
    else
        bl_text_add(t, "%s seen: %s.", bl_close_state_name(state), where);
}

/* The four-way client end's FIN-WAIT-2 timer against tcp_fin_timeout, and
 * what its TIME-WAIT timer did. */
static void explain_timers(const struct bl_close_result *r, struct bl_text *t)
{
    const struct bl_close_seq *s = &r->seq[0];
    const struct bl_close_step *tw_first = NULL, *tw_last = NULL;
    uint32_t most = 0;

    for (int i = 0; i < s->n; i++) {
        const struct bl_close_end *c = &s->step[i].client;
        if (c->state == TCP_FIN_WAIT2 && i > 0 && s->step[i - 1].client.state != TCP_FIN_WAIT2)
            bl_text_add(t, "The client's FIN-WAIT-2 end had a %s timer with %.1f s left; "
                           "net.ipv4.tcp_fin_timeout is %ld s in its namespace%s.",
                        bl_close_timer_name(c->timer), c->expires_ms / 1e3, r->fin_timeout_s,
                        c->expires_ms <= r->fin_timeout_s * 1000 &&
                        c->expires_ms + 1000 >= r->fin_timeout_s * 1000
                            ? ": the timer fits tcp_fin_timeout, the kernel's bound on "
                              "FIN-WAIT-2 for an end that called close()" : "");
        if (c->state != TCP_TIME_WAIT)
            continue;
        if (tw_first == NULL)
            tw_first = &s->step[i];
        tw_last = &s->step[i];
        if (c->expires_ms > most)
            most = c->expires_ms;
    }
    if (tw_first == NULL)
        return;
    double elapsed_ms = sec(tw_last->t_ns - tw_first->t_ns) * 1e3,
           unrestarted_ms = tw_first->client.expires_ms - elapsed_ms;
    if (tw_last->client.expires_ms > unrestarted_ms + 100)
        bl_text_add(t, "The client's TIME-WAIT timer was restarted while the server "
                       "retransmitted its FIN: %.3f s left at %.3f s, so %.3f s at %.3f s "
                       "had it run on, but %.3f s.", tw_first->client.expires_ms / 1e3,
                    sec(tw_first->t_ns), unrestarted_ms / 1e3, sec(tw_last->t_ns),
                    tw_last->client.expires_ms / 1e3);
    bl_text_add(t, "The TIME-WAIT timer read at most %.1f s%s.", most / 1e3,
                most < 239000 ? ", far from the 2 x MSL = 240 s of RFC 793 (MSL 2 minutes) "
                                "that tutorials give" : "");
    if (r->watched && r->gone)
        bl_text_add(t, "Watched every 100 ms, the client's TIME-WAIT end was gone %.1f s "
                       "after it was first seen and %.1f s after its timer last read "
                       "%.1f s.", sec(r->gone_ns - tw_first->t_ns),
                    sec(r->gone_ns - tw_last->t_ns), tw_last->client.expires_ms / 1e3);
    else if (r->watched)
        bl_text_add(t, "Watched every 100 ms, the client's TIME-WAIT end was still there "
                       "%.1f s after the sequence began.", sec(r->gone_ns));
}

void bl_report_close_explain(const struct bl_close_result *r, struct bl_text *t)
{
    static const uint8_t named[] = { TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_CLOSE_WAIT,
                                     TCP_LAST_ACK, TCP_CLOSING, TCP_TIME_WAIT };

    for (int q = 0; q < 2; q++)
        explain_path(&r->seq[q], t);
    for (size_t i = 0; i < sizeof(named); i++)
        explain_state(r, named[i], t);
    explain_timers(r, t);
}

static void end_text(const struct bl_close_end *e, char *buf, size_t len)
{
    if (e->timer == 0)
        snprintf(buf, len, "%s", bl_close_state_name(e->state));
    else
        snprintf(buf, len, "%s %s %.3fs", bl_close_state_name(e->state),
                 bl_close_timer_name(e->timer), e->expires_ms / 1e3);
}

static void print_seq(FILE *f, const struct bl_close_seq *s)
{
    fprintf(f, "%s, port %d (timer kind and time left after each state):\n",
            seq_name(s->kind), BL_CLOSE_PORT + (s->kind == BL_CLOSE_SIMULTANEOUS));
    fprintf(f, "%8s  %-48s %-28s %s\n", "time", "step", "client", "server");
    for (int i = 0; i < s->n; i++) {
        char c[48], sv[48];
        end_text(&s->step[i].client, c, sizeof(c));
        end_text(&s->step[i].server, sv, sizeof(sv));
        fprintf(f, "%7.3fs  %-48s %-28s %s\n", sec(s->step[i].t_ns), s->step[i].action, c,
                sv);
    }
}

static void json_end(struct json *j, const char *key, const struct bl_close_end *e)
{
    json_object(j, key);
    json_string(j, "state", bl_close_state_name(e->state));
    json_string(j, "timer", bl_close_timer_name(e->timer));
    json_int(j, "expires_ms", e->expires_ms);
    json_end_object(j);
}

static void json_seq(struct json *j, const struct bl_close_seq *s)
{
    json_object(j, NULL);
    json_string(j, "sequence", seq_name(s->kind));
    json_int(j, "port", BL_CLOSE_PORT + (s->kind == BL_CLOSE_SIMULTANEOUS));
    json_array(j, "steps");
    for (int i = 0; i < s->n; i++) {
        json_object(j, NULL);
        json_string(j, "action", s->step[i].action);
        json_double(j, "at_ms", (double)s->step[i].t_ns / 1e6);
        json_end(j, "client", &s->step[i].client);
        json_end(j, "server", &s->step[i].server);
        json_end_object(j);
    }
    json_end_array(j);
    json_end_object(j);
}

void bl_report_close(FILE *f, const struct bl_close_result *r, const struct bl_opts *o)
{
    struct bl_text t;

    bl_text_init(&t);
    bl_report_close_explain(r, &t);
    if (o->json) {
        struct json j;
        bl_report_json_begin(&j, f, "close");
        json_int(&j, "tcp_fin_timeout_s", r->fin_timeout_s);
        json_array(&j, "sequences");
        for (int q = 0; q < 2; q++)
            json_seq(&j, &r->seq[q]);
        json_end_array(&j);
        json_object(&j, "time_wait_watch");
        json_bool(&j, "watched", r->watched);
        json_bool(&j, "gone", r->gone);
        if (r->gone)
            json_double(&j, "gone_at_ms", (double)r->gone_ns / 1e6);
        json_end_object(&j);
        bl_report_json_end(&j, &t);
    } else {
        print_seq(f, &r->seq[0]);
        fputc('\n', f);
        print_seq(f, &r->seq[1]);
        if (r->watched)
            fprintf(f, "\nThe four-way client's TIME-WAIT end: %s %.1f s after the "
                       "connection was made.\n", r->gone ? "gone" : "still there",
                    sec(r->gone_ns));
        bl_report_text_end(f, &t);
    }
    bl_text_free(&t);
    fflush(f);
}
