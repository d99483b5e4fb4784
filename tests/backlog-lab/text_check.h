/* text_check.h - assertions on a generated explanation joined into one
 * string (bl_text_join), shared by the test_bl_report_*.c files. */
#ifndef TEXT_CHECK_H
#define TEXT_CHECK_H

#include <string.h>

#define SAYS(s, what) cr_assert(strstr(s, what) != NULL, "missing '%s' in:\n%s", what, s)
#define NEVER(s, what) cr_assert(strstr(s, what) == NULL, "'%s' in:\n%s", what, s)

#endif
