/* test_soak.c - the soak (tests/helpers/soak.c, run by `make soak`) can
 * fail: started against tests/helpers/flipecho in echod's place, it names
 * the one corrupted byte, counts the connection and exits 1.  The seed is
 * fixed, so the first connection is one that reads its first byte. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

Test(soak, reports_a_flipped_byte, .timeout = 60)
{
    char *soak = sup_helper("soak"), *flip = sup_helper("flipecho");
    char *argv[] = { soak, "--echod", flip, "--seconds", "1", "--conns", "1",
                     "--seed", "1", "--", "0", NULL };
    char *out = NULL, *err = NULL;
    int status = sup_run(soak, argv, 45000, &out, &err);

    cr_assert_eq(sup_exit_code(status), 1, "soak status %#x; %s%s", status, out, err);
    cr_expect(strstr(err, ": byte 0 is ") != NULL, "no corrupted byte named: %s", err);
    cr_expect(strstr(out, ", 1 connections with a corrupted byte,") != NULL, "%s", out);
    cr_expect(strstr(out, "soak: FAILED") != NULL, "%s", out);
    free(out);
    free(err);
    free(soak);
    free(flip);
}
