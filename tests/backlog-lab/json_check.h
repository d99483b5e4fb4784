/* json_check.h - reading a whole number out of a lab's --json output in a
 * test, failing the test when the path is missing. */
#ifndef JSON_CHECK_H
#define JSON_CHECK_H

#include "support.h"

static inline long long json_get(const char *json, const char *path)
{
    long long v;

    cr_assert_eq(sup_json_int(json, path, &v), 0, "%s in %s", path, json);
    return v;
}

#endif
