/*
 * base/fault.h - fault simulation for tests, as SQLite does it: make the
 * Nth call at a site fail (once, or that one and every later one), or each
 * call with a probability, so tests can walk N = 1, 2, ... until an
 * operation succeeds and check that every failure returns an error, leaks
 * nothing and leaves no corrupted output.
 *
 * A site is a kind of operation (a read, a write, an fsync, a rename, an
 * allocation the code chose to route through fault_hit, a network
 * connection to reset). The code that performs it asks fault_hit(site)
 * first and, on true, fails as the real operation would (EIO, ENOMEM,
 * ECONNRESET). Off by default: fault_hit is one relaxed atomic load then.
 *
 * Tests arm sites with fault_arm / fault_arm_rate; processes a test starts
 * (executors) arm them from the environment at kiln_init:
 *
 *     KILN_FAULTS="net_reset:p=0.05:seed=7,write:n=3:persist"
 *
 * Thread-safe: counters are atomic; arming while other threads run is
 * allowed (they see the change at their next call).
 */
#ifndef KILN_BASE_FAULT_H
#define KILN_BASE_FAULT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum fault_site {
    FAULT_ALLOC,     /* an allocation routed through fault_hit */
    FAULT_READ,      /* read(2)/pread of a file */
    FAULT_WRITE,     /* write(2)/pwrite of a file */
    FAULT_FSYNC,     /* fsync/fdatasync */
    FAULT_RENAME,    /* rename(2) */
    FAULT_NET_RESET, /* a network connection is reset (the caller closes it) */
    FAULT_SITE_COUNT
} fault_site;

/* Non-zero while any site is armed; fault_hit's fast path. */
extern _Atomic int fault_armed_any;

/* True when this call at site must fail. Counts the call when armed. */
bool fault_hit_slow(fault_site s);
static inline bool fault_hit(fault_site s)
{
    if (__builtin_expect(atomic_load_explicit(&fault_armed_any, memory_order_relaxed) == 0, 1))
        return false;
    return fault_hit_slow(s);
}

/* Fails the nth call at s from now (n >= 1), and every later one when
 * persistent. Resets the site's counters. */
void fault_arm(fault_site s, uint64_t n, bool persistent);
/* The errno a failure at s reports (a full disk: ENOSPC); EIO unless set.
 * Set it after fault_arm / fault_arm_rate, which reset it to EIO. */
void fault_set_errno(fault_site s, int err);
int fault_errno(fault_site s);
/* Fails each call at s with probability p (0..1), drawn from a generator
 * seeded with seed (the same failures for the same seed and call order). */
void fault_arm_rate(fault_site s, double p, uint64_t seed);
/* Disarms every site (counters kept for fault_calls/fault_failures). */
void fault_disarm_all(void);
/* Calls seen and failures injected at s since it was last armed. */
uint64_t fault_calls(fault_site s);
uint64_t fault_failures(fault_site s);
/* The site named name ("alloc", "read", "write", "fsync", "rename",
 * "net_reset"), or -1. */
int fault_site_by_name(const char *name);
/* Arms sites from a spec as KILN_FAULTS holds (see above): comma-separated
 * "site:n=N[:persist]" or "site:p=P[:seed=S]". KILN_EINVAL naming the bad
 * part (nothing armed then). */
int fault_arm_spec(const char *spec);
/* fault_arm_spec(getenv("KILN_FAULTS")) when set; the error is returned. */
int fault_arm_from_env(void);

#endif
