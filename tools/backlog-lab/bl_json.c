/* bl_json.c - the counter deltas objects (see bl_json.h). */
#include "bl_json.h"
#include "bl_netstat.h"

void bl_json_counters(struct json *j, const char *key, const char *const *names,
                      const int64_t *d, int n)
{
    json_object(j, key);
    for (int k = 0; k < n; k++) {
        if (d[k] < 0)
            json_null(j, names[k]);
        else
            json_int(j, names[k], d[k]);
    }
    json_end_object(j);
}

void bl_json_listen_deltas(struct json *j, const char *key, const int64_t *d)
{
    bl_json_counters(j, key, bl_netstat_listen_counters, d, BL_NETSTAT_NLISTEN);
}
