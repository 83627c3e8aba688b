/*
 * tests/support/kt_rand.h - the tests' small deterministic generator
 * (xorshift64): the same seed gives the same data on every run.
 */
#ifndef KT_RAND_H
#define KT_RAND_H

#include <stdint.h>

/* The next value of the generator whose state is *s (not 0). */
static inline uint64_t kt_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#endif
