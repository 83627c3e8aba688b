/*
 * fuzz_corrupt_payloads.c - libFuzzer target for corrupt payloads, as
 * Redis's corrupt-dump fuzzer does it (tests/support/kt_corrupt.h): valid
 * shuffle segments, cached blocks, a real lineage and cluster and manager
 * payloads, made once by kiln's own writers, then mutated in 1-2 bytes as
 * the input says (byte 0 picks the payload, byte 1 whether block checksums
 * are recomputed so the decoders behind them are reached, the rest the
 * mutations) and decoded as the receiver would. An error must carry a
 * message; nothing may crash, read out of bounds or leak.
 * tests/unit/test_corrupt_payloads.c runs the same with seeded mutations.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../support/kt_corrupt.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("KILN_LOG_LEVEL", "OFF", 1);
    if (kc_init() != KILN_OK) abort();
    atexit(kc_free);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 2) return 0;
    int k = d[0] % KC_COUNT;
    kc_result r = kc_decode_mutated(k, d + 2, n - 2, (d[1] & 3) != 0);
    if (r.rc > 0 || (r.rc != KILN_OK && !r.message)) abort();
    return 0;
}
