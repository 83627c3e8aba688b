/*
 * kt_fault.h - the SQLite-style fault walk the test_faults_* tests share:
 * for N = 1, 2, ... fail the Nth call at one fault site (base/fault.h),
 * once or from then on, run an operation, and check what it left; stop at
 * the first N where no failure was injected (the operation then ran whole
 * and must have succeeded).
 */
#ifndef KILN_TEST_KT_FAULT_H
#define KILN_TEST_KT_FAULT_H

#include <stdbool.h>

#include "base/fault.h"
#include "kt.h"

/* One operation under test. Every callback borrows arg and runs on the
 * test's main thread. */
typedef struct kt_fault_op {
    const char *name; /* for messages: "values_decode_all", "save_as_text_file" */
    /* Runs the operation once; returns KILN_OK or its error code. Cleans
     * up after itself except for what check_ok / check_failed inspect. */
    int (*run)(void *arg);
    /* After a success (with or without injected faults): asserts that the
     * output equals the reference, then releases it. */
    void (*check_ok)(void *arg);
    /* After a failure with code rc: asserts that nothing partial or
     * corrupt is visible and releases what run left. May be NULL. */
    void (*check_failed)(void *arg, int rc);
    /* With faults disarmed, after each step: runs the operation again on
     * the same object or context and asserts it gives the reference (the
     * object stays usable). May be NULL. */
    void (*again)(void *arg);
    /* A substring every error message must hold (a path, an operation);
     * NULL: any non-empty message. */
    const char *must_name;
    void *arg;
} kt_fault_op;

/* What one walk saw. */
typedef struct kt_fault_walk_stats {
    int steps;     /* values of N tried (the last one ran without a fault) */
    int failed;    /* steps where the operation returned an error */
    int recovered; /* steps where faults were injected and it still succeeded */
} kt_fault_walk_stats;

/* Walks N = 1 .. max_n at site (persistent: the Nth call and every later
 * one fail) and returns what it saw. Fails the test when the operation
 * crashes (the process dies), returns success with a wrong output, an
 * error without a message (or without must_name), a code that is not a
 * KILN_E* code, never gets through unfaulted within max_n steps, or, when
 * need_fault, never meets the site at all. Prints one summary line. */
kt_fault_walk_stats kt_fault_walk(const kt_fault_op *op, fault_site site, bool persistent,
                                  int max_n, bool need_fault);

/* kt_fault_walk transient and then persistent; returns the steps of both. */
int kt_fault_walk_both(const kt_fault_op *op, fault_site site, int max_n);

#endif
