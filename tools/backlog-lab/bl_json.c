/* bl_json.c - the listen-counter deltas object (see bl_json.h). */
#include "bl_json.h"
#include "bl_netstat.h"

void bl_json_listen_deltas(struct json *j, const char *key, const int64_t *d)
{
    json_object(j, key);
    for (int k = 0; k < BL_NETSTAT_NLISTEN; k++) {
        if (d[k] < 0)
            json_null(j, bl_netstat_listen_counters[k]);
        else
            json_int(j, bl_netstat_listen_counters[k], d[k]);
    }
    json_end_object(j);
}
