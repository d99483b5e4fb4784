/* test_bl_report_reuseport.c - the reuseport explanation
 * (bl_report_reuseport.c) fed phases of each shape: the closed queue reset,
 * migrated, split between the two, empty, and clients that saw something
 * else. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bl_report.h"
#include "bl_text.h"
#include "text_check.h"

static struct bl_reuseport_phase phase(int migrate, uint32_t closed, uint32_t other,
                                       uint32_t after, int accepted, int reset)
{
    struct bl_reuseport_phase p;

    memset(&p, 0, sizeof(p));
    p.migrate = migrate;
    p.nclients = (int)(closed + other);
    p.limit = 64;
    p.before[0] = closed;
    p.before[1] = other;
    p.after = after;
    p.accepted = accepted;
    p.reset = reset;
    return p;
}

static char *explain(const struct bl_reuseport_phase *p)
{
    static char *all;
    struct bl_text t;

    free(all); /* the previous call's */
    bl_text_init(&t);
    bl_report_reuseport_explain(p, 1, &t);
    all = bl_text_join(&t);
    cr_assert_not_null(all);
    bl_text_free(&t);
    return all;
}


Test(bl_report_reuseport, closed_queue_reset)
{
    struct bl_reuseport_phase p = phase(0, 7, 9, 9, 9, 7);
    char *t = explain(&p);

    SAYS(t, "held 7 and 9 of the 16 clients");
    SAYS(t, "reset all 7 connections in its queue");
    NEVER(t, "moved");
    NEVER(t, "end of file");
}

Test(bl_report_reuseport, closed_queue_migrated)
{
    struct bl_reuseport_phase p = phase(1, 9, 7, 16, 16, 0);
    char *t = explain(&p);

    SAYS(t, "moved all 9 connections in its queue to the other one (which then held 16)");
    SAYS(t, "accepted 16");
    NEVER(t, "reset all");
}

Test(bl_report_reuseport, split_fate)
{
    struct bl_reuseport_phase p = phase(1, 8, 8, 12, 12, 4);
    p.other = 1;
    char *t = explain(&p);

    SAYS(t, "the other listener gained 4 and 4 clients read ECONNRESET");
    SAYS(t, "1 client read neither a reset nor nothing-yet");
}

Test(bl_report_reuseport, nothing_in_the_closed_queue)
{
    struct bl_reuseport_phase p = phase(0, 0, 16, 16, 16, 0);
    char *t = explain(&p);

    SAYS(t, "nothing waited in the listener that was closed");
    NEVER(t, "reset all");
    NEVER(t, "moved all");
}
