/*
 * tests/unit/test_fault.c - the fault simulation switches (base/fault.h):
 * the Nth call fails once or from then on, rates fail about that share of
 * calls and repeat for a seed, specs from KILN_FAULTS parse or name what
 * is wrong, and a disarmed site never fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/fault.h"
#include "kiln.h"

static void test_off_by_default(void **state)
{
    (void)state;
    fault_disarm_all();
    for (int i = 0; i < 1000; i++) assert_false(fault_hit(FAULT_WRITE));
}

static void test_nth_once_and_persistent(void **state)
{
    (void)state;
    fault_arm(FAULT_READ, 3, false);
    bool got[6];
    for (int i = 0; i < 6; i++) got[i] = fault_hit(FAULT_READ);
    assert_false(got[0] || got[1] || got[3] || got[4] || got[5]);
    assert_true(got[2]);
    assert_int_equal(fault_calls(FAULT_READ), 6);
    assert_int_equal(fault_failures(FAULT_READ), 1);
    assert_false(fault_hit(FAULT_WRITE)); /* other sites untouched */

    fault_arm(FAULT_FSYNC, 2, true);
    assert_false(fault_hit(FAULT_FSYNC));
    for (int i = 0; i < 5; i++) assert_true(fault_hit(FAULT_FSYNC));
    fault_disarm_all();
    assert_false(fault_hit(FAULT_FSYNC));
    assert_false(fault_hit(FAULT_READ));

    /* EIO unless a test says otherwise; arming again resets it. */
    fault_arm(FAULT_WRITE, 1, false);
    assert_int_equal(fault_errno(FAULT_WRITE), EIO);
    fault_set_errno(FAULT_WRITE, ENOSPC);
    assert_int_equal(fault_errno(FAULT_WRITE), ENOSPC);
    fault_arm(FAULT_WRITE, 1, false);
    assert_int_equal(fault_errno(FAULT_WRITE), EIO);
    fault_disarm_all();
}

static int count_rate(double p, uint64_t seed, int n, bool *pattern)
{
    fault_arm_rate(FAULT_NET_RESET, p, seed);
    int k = 0;
    for (int i = 0; i < n; i++) {
        bool f = fault_hit(FAULT_NET_RESET);
        if (pattern) pattern[i] = f;
        k += f;
    }
    fault_disarm_all();
    return k;
}

static void test_rate(void **state)
{
    (void)state;
    enum { N = 20000 };
    static bool a[N], b[N];
    int k = count_rate(0.05, 7, N, a);
    /* 5% of 20000 = 1000, sd about 31: 6 sd either side. */
    assert_in_range(k, 800, 1200);
    assert_int_equal(count_rate(0.05, 7, N, b), k);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(count_rate(0.0, 1, N, NULL), 0);
    assert_int_equal(count_rate(1.0, 1, N, NULL), N);
}

static void test_spec(void **state)
{
    (void)state;
    assert_int_equal(fault_arm_spec("write:n=2,net_reset:p=1:seed=3"), KILN_OK);
    assert_false(fault_hit(FAULT_WRITE));
    assert_true(fault_hit(FAULT_WRITE));
    assert_false(fault_hit(FAULT_WRITE));
    assert_true(fault_hit(FAULT_NET_RESET));
    fault_disarm_all();
    assert_int_equal(fault_arm_spec("rename:n=1:persist"), KILN_OK);
    assert_true(fault_hit(FAULT_RENAME));
    assert_true(fault_hit(FAULT_RENAME));
    fault_disarm_all();

    assert_int_equal(fault_arm_spec("disk:n=1"), KILN_EINVAL);
    assert_non_null(strstr(kiln_last_error(), "unknown site 'disk'"));
    assert_int_equal(fault_arm_spec("write:n=0"), KILN_EINVAL);
    assert_int_equal(fault_arm_spec("write:p=1.5"), KILN_EINVAL);
    assert_int_equal(fault_arm_spec("write:n=x"), KILN_EINVAL);
    assert_non_null(strstr(kiln_last_error(), "bad option 'n=x'"));
    /* A bad part arms nothing, not even the good parts before it. */
    assert_int_equal(fault_arm_spec("read:n=1,bogus:n=1"), KILN_EINVAL);
    assert_false(fault_hit(FAULT_READ));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_nth_once_and_persistent),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
