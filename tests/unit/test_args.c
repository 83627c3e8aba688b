/*
 * tests/unit/test_args.c - kiln_args_check (src/base/args.c): what it
 * answers (--help, -h, --version: 0), what it refuses (an unknown option, a
 * flag given a value, an option missing its value: 2) and what it leaves to
 * the program (-1): positional arguments, "-", the program's own options in
 * their "--k v", "--k=v" and "-kV" forms, anything after "--".
 * tests/e2e/cli.sh checks the programs themselves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "kiln.h"

#define USAGE "prog [--master M] [-n N] [--folds K] [--verbose] INPUT...\n"
#define OPTIONS "-n= --folds= --verbose"

/* kiln_args_check over the NULL-terminated arguments after "prog". */
static int check(const char *first, ...)
{
    char *argv[32] = {"bin/prog"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    return kiln_args_check(argc, argv, USAGE, OPTIONS);
}

static void test_goes_on_with_positional_and_own_options(void **state)
{
    assert_int_equal(check(NULL), -1);
    assert_int_equal(check("a.txt", "b.txt", NULL), -1);
    assert_int_equal(check("-", "out", NULL), -1);
    assert_int_equal(check("-n", "5", "a.txt", NULL), -1);
    assert_int_equal(check("-n5", "a.txt", NULL), -1);
    assert_int_equal(check("a.txt", "--folds", "3", NULL), -1);
    assert_int_equal(check("--folds=3", "--verbose", "a.txt", NULL), -1);
    /* A value that looks like an option is the option's value. */
    assert_int_equal(check("--folds", "--help", NULL), -1);
    /* After "--" everything is positional. */
    assert_int_equal(check("--", "--mastr", "-x", "--help", NULL), -1);
}

static void test_answers_help_and_version(void **state)
{
    assert_int_equal(check("--help", NULL), 0);
    assert_int_equal(check("a.txt", "-h", NULL), 0);
    assert_int_equal(check("--version", NULL), 0);
    assert_int_equal(check("-n", "3", "--version", "a.txt", NULL), 0);
}

static void test_refuses_unknown_and_malformed_options(void **state)
{
    assert_int_equal(check("--mastr", "local[2]", "a.txt", NULL), 2);
    assert_int_equal(check("a.txt", "-x", NULL), 2);
    assert_int_equal(check("--verbose=yes", NULL), 2);    /* a flag takes no value */
    assert_int_equal(check("a.txt", "--folds", NULL), 2); /* missing value */
    assert_int_equal(check("-n", NULL), 2);
    assert_int_equal(check("--fold", "3", NULL), 2); /* no prefixes */
    assert_int_equal(check("--foldsx=3", NULL), 2);
    assert_int_equal(check("-5", NULL), 2);
    /* No options listed: every option but --help / --version is unknown. */
    char *argv[] = {"prog", "--verbose", NULL};
    assert_int_equal(kiln_args_check(2, argv, USAGE, NULL), 2);
}

static void test_version_is_the_header_version(void **state)
{
    assert_string_equal(kiln_version(), KILN_VERSION);
    int major, minor, patch;
    char end;
    assert_int_equal(sscanf(KILN_VERSION, "%d.%d.%d%c", &major, &minor, &patch, &end), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_goes_on_with_positional_and_own_options),
        cmocka_unit_test(test_answers_help_and_version),
        cmocka_unit_test(test_refuses_unknown_and_malformed_options),
        cmocka_unit_test(test_version_is_the_header_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
