/*
 * tests/unit/test_error.c - error codes, names and descriptions from the
 * KILN_ERRNO_MAP table, and the thread-local last error message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "base/base.h"

static void test_names_and_descriptions(void **state)
{
    assert_string_equal(kiln_err_name(KILN_OK), "KILN_OK");
    assert_string_equal(kiln_err_name(KILN_ENOMEM), "KILN_ENOMEM");
    assert_string_equal(kiln_err_name(KILN_ESTATE), "KILN_ESTATE");
    assert_string_equal(kiln_strerror(KILN_ENOMEM), "out of memory");
    assert_string_equal(kiln_strerror(KILN_ECORRUPT), "corrupt or truncated data");
    assert_string_equal(kiln_strerror(12345), "unknown error");
    assert_string_equal(kiln_err_name(-999), "KILN_EUNKNOWN");
    /* Every code in the table has its own name and a description. */
    int codes[] = {
#define CODE(name, val, desc) val,
        KILN_ERRNO_MAP(CODE)
#undef CODE
    };
    size_t n = sizeof codes / sizeof codes[0];
    assert_true(n >= 15);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(strncmp(kiln_err_name(codes[i]), "KILN_", 5), 0);
        assert_string_not_equal(kiln_strerror(codes[i]), "unknown error");
        for (size_t j = i + 1; j < n; j++)
            assert_string_not_equal(kiln_err_name(codes[i]), kiln_err_name(codes[j]));
    }
}

static void test_set_error(void **state)
{
    assert_int_equal(kiln_set_error(KILN_EIO, "reading %s line %d", "in.txt", 7), KILN_EIO);
    assert_string_equal(kiln_last_error(), "reading in.txt line 7");
    /* The current message may be used to build the next one. */
    kiln_set_error(KILN_EJOB, "stage 3: %s", kiln_last_error());
    assert_string_equal(kiln_last_error(), "stage 3: reading in.txt line 7");
    /* Long messages are truncated, not overflowed. */
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    kiln_set_error(KILN_EINVAL, "%s", big);
    assert_int_equal(strlen(kiln_last_error()), 1023);
    kiln_set_error(KILN_OK, NULL);
    assert_string_equal(kiln_last_error(), "");
}

static void *other_thread(void *arg)
{
    const char *initial = kiln_last_error();
    *(int *)arg = initial[0] == '\0';
    kiln_set_error(KILN_EUSER, "from the other thread");
    return NULL;
}

static void test_thread_local(void **state)
{
    kiln_set_error(KILN_EIO, "main thread message");
    int other_saw_empty = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, &other_saw_empty), 0);
    pthread_join(t, NULL);
    assert_true(other_saw_empty);
    assert_string_equal(kiln_last_error(), "main thread message");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_descriptions),
        cmocka_unit_test(test_set_error),
        cmocka_unit_test(test_thread_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
