/*
 * bench_clock.h - the wall clock the benchmark programs share (each
 * bench/NAME.c is a program of its own; this is the one piece they share).
 */
#ifndef KILN_BENCH_CLOCK_H
#define KILN_BENCH_CLOCK_H

#include <time.h>

/* Seconds on the monotonic clock. */
static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds of CPU time the process used (all its threads), user and system:
 * steadier than the wall clock on a shared machine. */
static inline double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
