/*
 * test_corrupt_payloads.c - corrupt-payload decoding, as Redis's
 * corrupt-dump fuzzer does it (tests/support/kt_corrupt.h): valid shuffle
 * segments (lz4, zstd, none), cached blocks (disk and serialized), a real
 * lineage, and LAUNCH_TASK, TASK_RESULT, STATUS_REPLY, REGISTER_APP,
 * LAUNCH_EXECUTOR and EXECUTOR_STATE payloads, each mutated in 1-2 bytes
 * by a seeded generator (checksums recomputed for 3 in 4 block mutations,
 * so the decompressor and the value decoder behind them are reached) and
 * decoded: every decode returns KILN_OK or a kiln error with a message,
 * never crashes (ASan and UBSan under make asan; LeakSanitizer for
 * leaks). The unmutated payloads decode, and mutations are caught: for
 * block payloads with checksums left alone, every changed payload is
 * refused. tests/fuzz/fuzz_corrupt_payloads.c runs the same decoders
 * under libFuzzer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kt.h"
#include "kt_corrupt.h"

static int setup(void **state)
{
    (void)state;
    return kc_init() == KILN_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    kc_free();
    return 0;
}

static void valid_payloads_decode(void **state)
{
    (void)state;
    for (int k = 0; k < KC_COUNT; k++) {
        assert_true(kc_valid[k].len > 0);
        int rc = kc_decode(k, &kc_valid[k]);
        if (rc != KILN_OK)
            fail_msg("%s: the valid payload fails: %s", kc_names[k], kiln_last_error());
    }
}

/* Mutation rounds per payload: the lineage ones make a context each. */
static int rounds_for(int k)
{
    return k == KC_LINEAGE || k == KC_LAUNCH_TASK ? 300 : 3000;
}

static void mutated_payloads_decode_or_fail_cleanly(void **state)
{
    (void)state;
    rng g;
    rng_seed(&g, 20261206);
    for (int k = 0; k < KC_COUNT; k++) {
        int ok = 0, refused = 0, unchanged = 0;
        for (int i = 0; i < rounds_for(k); i++) {
            uint8_t src[16];
            for (size_t j = 0; j < sizeof src; j++) src[j] = (uint8_t)rng_next(&g);
            bool fix = (rng_next(&g) & 3) != 0;
            kc_result r = kc_decode_mutated(k, src, sizeof src, fix);
            if (!r.changed) {
                unchanged++;
                continue;
            }
            if (r.rc == KILN_OK) {
                ok++;
                continue;
            }
            refused++;
            if (r.rc > 0 || strcmp(kiln_err_name(r.rc), "KILN_EUNKNOWN") == 0)
                fail_msg("%s: round %d: code %d is not a kiln error", kc_names[k], i, r.rc);
            if (!r.message)
                fail_msg("%s: round %d: %s without a message", kc_names[k], i, kiln_err_name(r.rc));
        }
        printf("[ corrupt  ] %s: %d rounds: %d refused, %d decoded, %d unchanged\n", kc_names[k],
               rounds_for(k), refused, ok, unchanged);
        assert_true(refused > 0);
    }
}

/* Without recomputed checksums a block payload's damage never gets past
 * the checksum: every changed shuffle or cached block is refused. */
static void checksums_catch_every_block_mutation(void **state)
{
    (void)state;
    rng g;
    rng_seed(&g, 7);
    for (int k = KC_SHUFFLE_LZ4; k <= KC_CACHED_DISK; k++) {
        for (int i = 0; i < 2000; i++) {
            uint8_t src[16];
            for (size_t j = 0; j < sizeof src; j++) src[j] = (uint8_t)rng_next(&g);
            kc_result r = kc_decode_mutated(k, src, sizeof src, false);
            if (r.changed && r.rc == KILN_OK)
                fail_msg("%s: round %d: a damaged block was accepted", kc_names[k], i);
            if (r.changed) assert_int_equal(r.rc, KILN_ECORRUPT);
        }
    }
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    setenv("KILN_LOG_LEVEL", "OFF", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_payloads_decode),
        cmocka_unit_test(mutated_payloads_decode_or_fail_cleanly),
        cmocka_unit_test(checksums_catch_every_block_mutation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
