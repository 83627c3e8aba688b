/*
 * base/rng.c - portable pseudo-random numbers and the monotonic clock.
 *
 * Sampling and random splits must give the same records on every executor
 * for a given seed, so the generator is fully specified here rather than
 * taken from libc: xoshiro256** (Blackman and Vigna) seeded through
 * splitmix64. The integer stream is identical on every machine. Poisson
 * deviates use only basic floating-point operations and log/exp/sqrt/cos from
 * libm, so they repeat exactly for a seed on a given libm.
 */
#include <math.h>
#include <time.h>

#include "base/base.h"

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seeds r from any 64-bit seed (0 included). */
void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

/* Returns the next 64 random bits. */
uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Returns a double uniform on [0, 1) with 53 random bits. */
double rng_double(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* log(k!) for k >= 0: a table for small k, Stirling's series above
 * (error below 1e-14 for k >= 10, ample for the rejection test). Written out
 * rather than lgamma() because lgamma writes the global signgam. */
static double log_factorial(double k)
{
    static const double small[10] = {
        0.0,
        0.0,
        0.69314718055994531,
        1.79175946922805500,
        3.17805383034794562,
        4.78749174278204599,
        6.57925121201010100,
        8.52516136106541430,
        10.60460290274525023,
        12.80182748008146961,
    };
    if (k < 10) return small[(int)k];
    double x = k + 1, x2 = x * x;
    return (x - 0.5) * log(x) - x + 0.91893853320467274 +
           (1.0 / 12 - (1.0 / 360 - 1.0 / (1260 * x2)) / x2) / x;
}

/* PTRS, the transformed rejection method with squeeze of W. Hoermann, "The
 * transformed rejection method for generating Poisson random variables"
 * (1993), for lambda >= 10. Uses about two uniforms per deviate. */
static int64_t poisson_ptrs(rng *r, double lambda)
{
    double slam = sqrt(lambda), loglam = log(lambda);
    double b = 0.931 + 2.53 * slam;
    double a = -0.059 + 0.02483 * b;
    double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    double vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double u = rng_double(r) - 0.5;
        double v = rng_double(r);
        double us = 0.5 - fabs(u);
        double k = floor((2 * a / us + b) * u + lambda + 0.43);
        if (us >= 0.07 && v <= vr) return (int64_t)k;
        if (k < 0 || (us < 0.013 && v > us)) continue;
        if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <=
            -lambda + k * loglam - log_factorial(k))
            return (int64_t)k;
    }
}

/* Returns a Poisson(lambda) deviate: 0 for lambda <= 0 or NaN; Knuth's
 * product of uniforms below 30; PTRS up to 1e15; beyond that a rounded
 * normal approximation (relative error below 1e-7 there), capped so the
 * result fits an int64. */
int64_t rng_poisson(rng *r, double lambda)
{
    if (!(lambda > 0)) return 0;
    if (lambda < 30) {
        double limit = exp(-lambda), p = 1;
        int64_t k = -1;
        do {
            k++;
            p *= rng_double(r);
        } while (p > limit);
        return k;
    }
    if (lambda < 1e15) return poisson_ptrs(r, lambda);
    /* Box-Muller with 1 - u so the log never sees 0. */
    double u1 = 1 - rng_double(r), u2 = rng_double(r);
    double z = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
    double k = floor(lambda + sqrt(lambda) * z + 0.5);
    if (!(k < 9.2e18)) return (int64_t)9.2e18;
    return k < 0 ? 0 : (int64_t)k;
}

/* Seconds from an arbitrary fixed point, never going backwards. */
int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double wall_seconds_at(double t)
{
    struct timespec r, m;
    clock_gettime(CLOCK_REALTIME, &r);
    clock_gettime(CLOCK_MONOTONIC, &m);
    return t + ((double)r.tv_sec + (double)r.tv_nsec * 1e-9) -
           ((double)m.tv_sec + (double)m.tv_nsec * 1e-9);
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
