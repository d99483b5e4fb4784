/* test_args.c - the shared argv driver and message helper (args.h): every
 * spelling of an option, positionals and "--", every error kind, and the
 * "[PREFIX: ][FLAG: ]message" format with its cutting. */
#include <criterion/criterion.h>
#include <string.h>

#include "args.h"

/* A row as programs write them: their own fields around the spellings. */
struct row {
    int id;
    struct args_opt arg;
    const char *help;
};

static const struct row rows[] = {
    { 10, { "--workers", 'w', true }, "threads" },
    { 11, { "--json", 0, false }, "JSON output" },
    { 12, { "--help", 'h', false }, "this text" },
    { 13, { "--mode", 0, true }, "what to do" },
};

static struct args a;

/* Starts the driver on a NULL-ended list of arguments (argv[0] added). */
static void start(unsigned flags, const char *const *args)
{
    static char *argv[32];
    int argc = 0;

    argv[argc++] = "prog";
    while (*args != NULL)
        argv[argc++] = (char *)*args++;
    argv[argc] = NULL;
    args_init(&a, argc, argv, ARGS_TABLE(rows, arg), flags);
}

#define START(flags, ...) start((flags), (const char *const[]){ __VA_ARGS__, NULL })

/* Expects an option event for rows[index] with the given spelling and value
 * (NULL: none). */
static void expect_option(size_t index, const char *flag, const char *value)
{
    cr_assert_eq(args_next(&a), ARGS_OPTION, "at %s", flag);
    cr_assert_eq(a.index, index);
    cr_assert_eq(a.opt, &rows[index].arg);
    cr_assert_str_eq(a.flag, flag);
    if (value == NULL)
        cr_assert_null(a.value, "%s got '%s'", flag, a.value);
    else
        cr_assert_str_eq(a.value, value);
}

static void expect_positional(const char *arg)
{
    cr_assert_eq(args_next(&a), ARGS_POSITIONAL, "at %s", arg);
    cr_assert_str_eq(a.arg, arg);
    cr_assert_null(a.opt);
    cr_assert_str_eq(a.flag, "");
}

static void expect_end(void)
{
    cr_assert_eq(args_next(&a), ARGS_END);
    cr_assert_null(a.arg);
    cr_assert_eq(args_next(&a), ARGS_END, "ARGS_END repeats");
}

Test(args, every_spelling_of_a_value)
{
    START(0, "--workers", "4", "--workers=5", "-w", "6", "-w7", "--mode=a=b");
    expect_option(0, "--workers", "4");
    expect_option(0, "--workers", "5");
    expect_option(0, "-w", "6");
    expect_option(0, "-w", "7");
    expect_option(3, "--mode", "a=b");
    cr_assert_str_eq(a.arg, "--mode=a=b", "arg is the whole argument");
    expect_end();
}

Test(args, flags_without_a_value)
{
    START(0, "--json", "-h", "--help");
    expect_option(1, "--json", NULL);
    expect_option(2, "-h", NULL);
    expect_option(2, "--help", NULL);
    expect_end();
}

Test(args, a_value_is_taken_whatever_it_looks_like)
{
    START(0, "-w", "-3", "--workers", "--json", "--mode", "--", "-w", "");
    expect_option(0, "-w", "-3");
    expect_option(0, "--workers", "--json");
    expect_option(3, "--mode", "--");
    expect_option(0, "-w", "");
    expect_end();
}

Test(args, empty_values)
{
    START(0, "--mode=", "--workers", "");
    expect_option(3, "--mode", "");
    expect_option(0, "--workers", "");
    expect_end();
}

Test(args, positionals_between_options)
{
    START(0, "echo", "-w", "2", "-", "", "host:1", "--json");
    expect_positional("echo");
    expect_option(0, "-w", "2");
    expect_positional("-");
    expect_positional("");
    expect_positional("host:1");
    expect_option(1, "--json", NULL);
    expect_end();
}

Test(args, double_dash_is_positional_unless_asked)
{
    START(0, "--", "--json");
    expect_positional("--");
    expect_option(1, "--json", NULL);
    expect_end();
}

Test(args, double_dash_ends_the_options)
{
    START(ARGS_DOUBLE_DASH, "--json", "--", "--json", "-w", "--", "x");
    expect_option(1, "--json", NULL);
    expect_positional("--json");
    expect_positional("-w");
    expect_positional("--");
    expect_positional("x");
    expect_end();
}

Test(args, unknown_options)
{
    START(0, "--bogus", "--bogus=3", "-x", "-xyz", "--work", "--workersx", "---w", "--=1");
    const char *want[] = { "--bogus", "--bogus", "-x", "-x", "--work", "--workersx",
                           "---w", "--" };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        cr_assert_eq(args_next(&a), ARGS_UNKNOWN, "case %zu", i);
        cr_assert_str_eq(a.flag, want[i]);
        cr_assert_null(a.opt);
        cr_assert_null(a.value);
    }
    cr_assert_str_eq(a.arg, "--=1");
    expect_end();
}

Test(args, a_value_for_a_flag_without_one)
{
    START(0, "--json=1", "--json=", "-hx", "-h=");
    const char *want[] = { "--json", "--json", "-h", "-h" };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        cr_assert_eq(args_next(&a), ARGS_NO_VALUE, "case %zu", i);
        cr_assert_str_eq(a.flag, want[i]);
        cr_assert_eq(a.opt, &rows[i < 2 ? 1 : 2].arg);
        cr_assert_null(a.value);
    }
    expect_end();
}

Test(args, a_value_missing_at_the_end)
{
    START(0, "--workers");
    cr_assert_eq(args_next(&a), ARGS_NEEDS_VALUE);
    cr_assert_str_eq(a.flag, "--workers");
    cr_assert_eq(a.index, 0);
    cr_assert_eq(a.opt, &rows[0].arg);
    cr_assert_null(a.value);
    expect_end();
    START(0, "-w");
    cr_assert_eq(args_next(&a), ARGS_NEEDS_VALUE);
    cr_assert_str_eq(a.flag, "-w");
    expect_end();
}

Test(args, long_spellings_are_cut_to_fit)
{
    char arg[ARGS_FLAG_MAX + 100];

    memset(arg, 'x', sizeof(arg) - 1);
    arg[0] = arg[1] = '-';
    arg[sizeof(arg) - 1] = '\0';
    START(0, arg);
    cr_assert_eq(args_next(&a), ARGS_UNKNOWN);
    cr_assert_eq(strlen(a.flag), ARGS_FLAG_MAX - 1);
    cr_assert_eq(strncmp(a.flag, arg, ARGS_FLAG_MAX - 1), 0);
}

Test(args, no_arguments)
{
    char *argv[] = { "prog", NULL };

    args_init(&a, 1, argv, ARGS_TABLE(rows, arg), 0);
    expect_end();
}

Test(args, fail_formats_prefix_flag_and_message)
{
    char buf[128];
    struct args_msg m = { buf, sizeof(buf), "tool", 7 };

    cr_assert_eq(args_fail(&m, "-c", "expected %s, got '%d'", "a count", -1), 7);
    cr_assert_str_eq(buf, "tool: -c: expected a count, got '-1'");
    m.prefix = NULL;
    m.code = -1;
    cr_assert_eq(args_fail(&m, "--workers", "needs a value"), -1);
    cr_assert_str_eq(buf, "--workers: needs a value");
    cr_assert_eq(args_fail(&m, NULL, "'%s': unexpected argument", "x"), -1);
    cr_assert_str_eq(buf, "'x': unexpected argument");
    m.prefix = "tool";
    cr_assert_eq(args_fail(&m, NULL, "missing MODE"), -1);
    cr_assert_str_eq(buf, "tool: missing MODE");
}

Test(args, fail_cuts_to_the_buffer)
{
    char buf[12];
    struct args_msg m = { buf, sizeof(buf), "tool", 2 };

    memset(buf, '#', sizeof(buf));
    cr_assert_eq(args_fail(&m, "--workers", "needs a value"), 2);
    cr_assert_str_eq(buf, "tool: --wor");
    m.prefix = "a-very-long-prefix";
    cr_assert_eq(args_fail(&m, "--workers", "x"), 2);
    cr_assert_str_eq(buf, "a-very-long");
    m.prefix = NULL;
    cr_assert_eq(args_fail(&m, "-c", "%s", "0123456789"), 2);
    cr_assert_str_eq(buf, "-c: 0123456");
}

Test(args, fail_with_no_room_writes_nothing)
{
    char buf[1] = { '#' };
    struct args_msg m = { buf, 0, "tool", 2 };

    cr_assert_eq(args_fail(&m, "-c", "x"), 2);
    cr_assert_eq(buf[0], '#');
    m.size = 1;
    cr_assert_eq(args_fail(&m, "-c", "x"), 2);
    cr_assert_eq(buf[0], '\0');
}
