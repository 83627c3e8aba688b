/*
 * tests/unit/test_arena.c - kiln_arena: alignment, no overlap, block growth,
 * dedicated blocks for large requests, reset and free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/base.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

static void test_alignment_and_zero(void **state)
{
    kiln_arena *a = kiln_arena_new();
    assert_non_null(a);
    for (size_t n = 0; n < 200; n++) {
        void *p = kiln_arena_alloc(a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
    }
    kiln_arena_free(a);
}

/* Allocations never overlap: each is filled with its own byte and all are
 * checked after every allocation is done, across many blocks. */
static void test_no_overlap(void **state)
{
    enum { N = 5000 };
    static unsigned char *ptrs[N];
    static size_t sizes[N];
    kiln_arena *a = kiln_arena_new();
    rng r;
    rng_seed(&r, 1);
    for (int i = 0; i < N; i++) {
        sizes[i] = 1 + rng_next(&r) % (i % 100 == 0 ? 300000 : 700);
        ptrs[i] = kiln_arena_alloc(a, sizes[i]);
        assert_non_null(ptrs[i]);
        memset(ptrs[i], i & 0xff, sizes[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t j = 0; j < sizes[i]; j += 7) assert_int_equal(ptrs[i][j], i & 0xff);
    kiln_arena_free(a);
}

static void test_first_block_and_growth(void **state)
{
    kiln_arena *a = kiln_arena_new();
    size_t first = kiln_arena_bytes(a);
    assert_true(first >= 64 * KIB && first < 64 * KIB + 256);

    /* Filling the first block takes no new memory. */
    for (int i = 0; i < 64; i++) assert_non_null(kiln_arena_alloc(a, KIB));
    assert_int_equal(kiln_arena_bytes(a), first);

    /* The next small request opens a 128 KiB block. */
    assert_non_null(kiln_arena_alloc(a, 16));
    size_t second = kiln_arena_bytes(a) - first;
    assert_true(second >= 128 * KIB && second < 128 * KIB + 256);

    /* 64 MiB of small requests: blocks grow to 4 MiB and no further, so the
     * overhead stays below one maximal block plus headers. */
    for (int i = 0; i < 64 * 1024; i++) assert_non_null(kiln_arena_alloc(a, KIB));
    size_t total = kiln_arena_bytes(a);
    assert_true(total >= 64 * MIB);
    assert_true(total < 64 * MIB + 4 * MIB + 64 * KIB + 4096);
    kiln_arena_free(a);
}

static void test_large_request_own_block(void **state)
{
    kiln_arena *a = kiln_arena_new();
    char *small = kiln_arena_alloc(a, 100);
    size_t before = kiln_arena_bytes(a);
    char *big = kiln_arena_alloc(a, 10 * MIB);
    assert_non_null(big);
    memset(big, 0x5a, 10 * MIB);
    size_t grew = kiln_arena_bytes(a) - before;
    assert_true(grew >= 10 * MIB && grew < 10 * MIB + 256);
    /* The shared block goes on where it was: the next small request is
     * adjacent to the previous one and costs nothing. */
    char *next = kiln_arena_alloc(a, 16);
    assert_ptr_equal(next, small + 112);
    assert_int_equal(kiln_arena_bytes(a), before + grew);
    assert_int_equal((unsigned char)big[10 * MIB - 1], 0x5a);
    kiln_arena_free(a);
}

static void test_reset_keeps_first_block_and_one_spare(void **state)
{
    kiln_arena *a = kiln_arena_new();
    size_t first = kiln_arena_bytes(a);
    char *p0 = kiln_arena_alloc(a, 10);
    for (int i = 0; i < 100; i++) assert_non_null(kiln_arena_alloc(a, 50 * KIB));
    assert_non_null(kiln_arena_alloc(a, 8 * MIB));
    assert_true(kiln_arena_bytes(a) > first + 8 * MIB);
    kiln_arena_reset(a);
    /* The 8 MiB block went back; one of the 50 KiB blocks
     * stays as a spare. */
    size_t kept = kiln_arena_bytes(a) - first;
    assert_true(kept >= 50 * KIB && kept < 50 * KIB + 256);
    /* The first block is reused from its start. */
    char *p1 = kiln_arena_alloc(a, 10);
    assert_ptr_equal(p0, p1);
    /* Growth past the first block takes the spare, not new memory. */
    for (int i = 0; i < 100; i++) /* 64 KiB in the first block, the rest in the spare */
        assert_non_null(kiln_arena_alloc(a, KIB));
    assert_int_equal(kiln_arena_bytes(a) - first, kept);
    /* A second reset keeps the same spare. */
    kiln_arena_reset(a);
    assert_int_equal(kiln_arena_bytes(a) - first, kept);
    kiln_arena_free(a);
}

static void test_rewind_keeps_every_block(void **state)
{
    kiln_arena *a = kiln_arena_new();
    for (int i = 0; i < 200; i++) assert_non_null(kiln_arena_alloc(a, 40 * KIB));
    size_t held = kiln_arena_bytes(a);
    assert_int_equal(arena_used_bytes(a), held);
    arena_rewind(a);
    assert_int_equal(kiln_arena_bytes(a), held);
    assert_true(arena_used_bytes(a) < 128 * KIB);
    /* Filling it again the same way takes nothing from the system, and the
     * data written is intact. */
    char *last = NULL;
    for (int i = 0; i < 200; i++) {
        assert_non_null(last = kiln_arena_alloc(a, 40 * KIB));
        memset(last, i, 40 * KIB);
    }
    assert_int_equal(kiln_arena_bytes(a), held);
    assert_int_equal((unsigned char)last[40 * KIB - 1], 199);
    kiln_arena_reset(a);
    assert_true(kiln_arena_bytes(a) <= 64 * KIB + 4 * MIB + 512);
    kiln_arena_free(a);
}

static void test_impossible_request(void **state)
{
    kiln_arena *a = kiln_arena_new();
    size_t before = kiln_arena_bytes(a);
    assert_null(kiln_arena_alloc(a, SIZE_MAX));
    assert_null(kiln_arena_alloc(a, SIZE_MAX - 8));
    assert_int_equal(kiln_arena_bytes(a), before);
    assert_non_null(kiln_arena_alloc(a, 1)); /* still usable */
    kiln_arena_free(a);
    kiln_arena_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_zero),
        cmocka_unit_test(test_no_overlap),
        cmocka_unit_test(test_first_block_and_growth),
        cmocka_unit_test(test_large_request_own_block),
        cmocka_unit_test(test_reset_keeps_first_block_and_one_spare),
        cmocka_unit_test(test_rewind_keeps_every_block),
        cmocka_unit_test(test_impossible_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
