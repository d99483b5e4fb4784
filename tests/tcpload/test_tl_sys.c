/* test_tl_sys.c - the machine facts tcpload reports, and raising its own
 * open-file limit. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/resource.h>

#include "os.h"
#include "tl_sys.h"

Test(tl_sys, reads_this_machine)
{
    struct tl_sys s;
    struct rlimit rl;

    tl_sys_read(&s);
    cr_assert_eq(s.nofile, 0, "left for os_raise_nofile");
    cr_assert_eq(os_raise_nofile(&s.nofile, &s.nofile_hard), 0);
    cr_assert_gt(strlen(s.kernel), 0);
    cr_assert_gt(s.port_lo, 0);
    cr_assert_geq(s.port_hi, s.port_lo);
    cr_assert_eq(tl_sys_ports(&s), s.port_hi - s.port_lo + 1);
    cr_assert_geq(s.tw_reuse, 0);
    cr_assert_gt(s.somaxconn, 0);
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    cr_assert_eq(s.nofile, rl.rlim_cur);
    cr_assert_eq(s.nofile, s.nofile_hard, "raised to the hard limit");
}

Test(tl_sys, ports_unknown_when_range_unreadable)
{
    struct tl_sys s;
    memset(&s, 0, sizeof(s));
    cr_assert_eq(tl_sys_ports(&s), 0);
}
