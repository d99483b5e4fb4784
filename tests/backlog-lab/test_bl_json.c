/* test_bl_json.c - what backlog-lab adds to the shared JSON writer
 * (bl_json.c): the object of listen-queue counter deltas, written here
 * beside an explanation (bl_text_json) in the pretty layout. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_json.h"
#include "bl_netstat.h"
#include "bl_text.h"
#include "support.h"

/* The writer itself is tested in tests/lib/test_json.c; here, what
 * backlog-lab adds: the counter deltas, null where the kernel lacks one,
 * and the explanation as an array of strings. */
Test(bl_json, json_counter_deltas_and_explanation)
{
    char *buf = NULL, path[96];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct json j;
    struct bl_text t;
    int64_t d[BL_NETSTAT_NLISTEN];
    long long v;

    cr_assert_not_null(f);
    for (int k = 0; k < BL_NETSTAT_NLISTEN; k++)
        d[k] = k == 1 ? -1 : 10 * k;
    bl_text_init(&t);
    bl_text_add(&t, "say \"%s\"", "it");
    json_init(&j, f, JSON_PRETTY);
    json_object(&j, NULL);
    bl_json_listen_deltas(&j, "counter_deltas", d);
    bl_text_json(&t, &j, "explanation");
    json_end_object(&j);
    cr_assert_eq(json_error(&j), 0);
    fclose(f);
    bl_text_free(&t);
    for (int k = 0; k < BL_NETSTAT_NLISTEN; k++) {
        snprintf(path, sizeof(path), "/counter_deltas/%s", bl_netstat_listen_counters[k]);
        if (k == 1)
            cr_assert(sup_json_is(buf, path, "null"), "%s in %s", path, buf);
        else
            cr_assert(sup_json_int(buf, path, &v) == 0 && v == 10 * k, "%s in %s", path, buf);
    }
    cr_assert(sup_json_is(buf, "/explanation/0", "\"say \\\"it\\\"\""), "%s", buf);
    cr_assert_not_null(strstr(buf, "\n  \"counter_deltas\": {\n    \""), "pretty: %s", buf);
    free(buf);
}

Test(bl_json, named_counters_in_their_order)
{
    static const char *const names[] = { "SyncookiesSent", "InCsumErrors", "ListenDrops" };
    const int64_t d[] = { 7, -1, 0 };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct json j;

    cr_assert_not_null(f);
    json_init(&j, f, JSON_COMPACT);
    json_object(&j, NULL);
    bl_json_counters(&j, "counters", names, d, 3);
    json_end_object(&j);
    cr_assert_eq(json_error(&j), 0);
    fclose(f);
    cr_assert_str_eq(buf, "{\"counters\":{\"SyncookiesSent\":7,\"InCsumErrors\":null,"
                          "\"ListenDrops\":0}}\n", "%s", buf);
    free(buf);
}
