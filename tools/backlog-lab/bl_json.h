/* bl_json.h - what backlog-lab adds to the shared JSON writer (json.h):
 * the objects of counter deltas every report carries.  Its
 * --json documents are written with the JSON_PRETTY layout.
 */
#ifndef BL_JSON_H
#define BL_JSON_H

#include <stdint.h>

#include "json.h"

/* An object `key` of n counter deltas d[k] named names[k]; null for a
 * counter the kernel lacks (a negative delta). */
void bl_json_counters(struct json *j, const char *key, const char *const *names,
                      const int64_t *d, int n);

/* An object `key` of the listen-queue counter deltas (bl_netstat_listen_deltas),
 * one member per counter in bl_netstat_listen_counters order; null for a
 * counter the kernel lacks (a negative delta). */
void bl_json_listen_deltas(struct json *j, const char *key, const int64_t *d);

#endif
