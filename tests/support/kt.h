/*
 * kt.h - shared harness of the operator tests (tests/unit/test_ops_*.c,
 * test_failure.c, test_shared_vars.c): contexts for each test master, the
 * data shapes every operator is run on, checks that compare an action's
 * result with the reference (reference.h) and say which case failed, and
 * small file-system helpers.
 *
 * Checks use cmocka and must run on the test's main thread only: never call
 * them from a user function (those run on executor threads; a user function
 * reports a problem by returning kiln_task_fail(...)).
 */
#ifndef KILN_TEST_KT_H
#define KILN_TEST_KT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "kiln.h"
#include "reference.h"

/* ---- Start-up --------------------------------------------------------------- */

/* Call first in main: runs kiln_init and, when argv[1] is given, keeps only
 * the tests whose name matches it (cmocka's pattern: '*' and '?'). */
void kt_init(int *argc, char ***argv);

/* ---- Contexts ----------------------------------------------------------------- */

/* Every operator case runs under each of these masters. */
#define KT_MASTER_COUNT 3
extern const char *const kt_masters[KT_MASTER_COUNT];

/* Returns an owned context with kiln.master = master and the console
 * progress bar off; fails the test when creation fails. */
#define kt_context_new(master) kt_context_new_at(__FILE__, __LINE__, (master))
kiln_context *kt_context_new_at(const char *file, int line, const char *master);

/* ---- Data shapes ---------------------------------------------------------------- */

enum kt_shape {
    KT_EMPTY,           /* no values, 4 slices */
    KT_ONE,             /* one value, 2 slices (one of them empty) */
    KT_ONE_PARTITION,   /* 300 small ints, 1 slice */
    KT_MANY_PARTITIONS, /* 11 values in 16 slices: some slices are empty */
    KT_RANDOM,          /* 1000 ints in [-200, 200), 7 slices */
    KT_SKEWED,          /* 600 values, 85% of them the key 7, 5 slices */
    KT_UNICODE,         /* 300 short strings of multi-byte UTF-8, 4 slices */
    KT_LONG_STRINGS,    /* 9 strings of 100-150 KB (and one short), 3 slices */
    KT_MIXED,           /* 200 values of every type (ints, strings, tuples, ...) */
    KT_LARGE,           /* 30000 ints in [-5000, 5000), 3 slices: partitions span
                         * many batches of records */
    KT_SHAPE_COUNT
};

typedef struct kt_data {
    const char *name; /* the shape's name, for messages */
    int shape;
    kiln_value *v; /* n values, parts in the arena given to kt_gen */
    size_t n;
    int slices; /* the slice count to parallelize with */
} kt_data;

/* Fills *out with the shape's data built in a: plain values (pairs false)
 * or (key, int) pairs whose keys are the shape's values (pairs true). The
 * seed picks the draw; data of one shape share their pool of values, so two
 * draws with different seeds have keys in common. n 0 means the shape's own
 * size (and n is ignored for KT_EMPTY and KT_ONE). */
void kt_gen(kiln_arena *a, int shape, bool pairs, uint64_t seed, size_t n, kt_data *out);

/* kiln_parallelize of the data with its slice count; fails the test on NULL. */
#define kt_parallelize(ctx, d) kt_parallelize_at(__FILE__, __LINE__, (ctx), (d))
kiln_rdd *kt_parallelize_at(const char *file, int line, kiln_context *ctx, const kt_data *d);

/* Runs fn once for every master and every shape, with a fresh context per
 * master and the arena a reset before each case. op names the case in
 * failure messages. */
typedef void (*kt_case_fn)(kiln_context *ctx, const kt_data *d, kiln_arena *a);
void kt_run_cases(const char *op, bool pairs, kt_case_fn fn);

/* Sets the label printed with every failure ("op master shape"). */
void kt_set_case(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Adds a detail to the label last set with kt_set_case (replacing any
 * previous detail). */
void kt_case_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *kt_case(void);
/* Prints "[case] message" as a cmocka error (does not fail by itself). */
void kt_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A short printable form of v (strings cut to ~120 bytes), in one of a few
 * rotating static buffers: valid until a few more calls. */
const char *kt_fmt(const kiln_value *v);

/* ---- Checks --------------------------------------------------------------------- */

/* Fails with a message naming the case when cond is false. */
#define KT_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            kt_report("check failed: %s", #cond);                                                  \
            kt_report(__VA_ARGS__);                                                                \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* Evaluates a kiln call and fails unless it returns KILN_OK, printing the
 * code and kiln_last_error(). */
#define KT_OK(expr)                                                                                \
    do {                                                                                           \
        int kt_rc_ = (expr);                                                                       \
        if (kt_rc_ != KILN_OK) {                                                                   \
            kt_report("%s returned %s: %s", #expr, kiln_err_name(kt_rc_), kiln_last_error());      \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* Evaluates a kiln call and fails unless it returns the code want. */
#define KT_RC(want, expr)                                                                          \
    do {                                                                                           \
        int kt_rc_ = (expr);                                                                       \
        if (kt_rc_ != (want)) {                                                                    \
            kt_report("%s returned %s, expected %s (last error: %s)", #expr,                       \
                      kiln_err_name(kt_rc_), kiln_err_name(want), kiln_last_error());              \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* Evaluates a kiln call and fails unless it returns an error (nonzero). */
#define KT_FAILS(expr)                                                                             \
    do {                                                                                           \
        int kt_rc_ = (expr);                                                                       \
        if (kt_rc_ == KILN_OK) {                                                                   \
            kt_report("%s succeeded but should have failed", #expr);                               \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* Fails unless the transformation returned an RDD; returns it. */
#define kt_rdd(expr) kt_rdd_at(__FILE__, __LINE__, #expr, (expr))
kiln_rdd *kt_rdd_at(const char *file, int line, const char *what, kiln_rdd *r);

/* Collects r into a (fails the test on error); returns the list. */
#define kt_collect(r, a) kt_collect_at(__FILE__, __LINE__, (r), (a))
kiln_value kt_collect_at(const char *file, int line, kiln_rdd *r, kiln_arena *a);
/* Counts r (fails the test on error). */
#define kt_count(r) kt_count_at(__FILE__, __LINE__, (r))
int64_t kt_count_at(const char *file, int line, kiln_rdd *r);

/* got must be a list equal item by item (kiln_value_eq) to want. */
#define kt_expect_list(got, want) kt_expect_list_at(__FILE__, __LINE__, (got), (want))
void kt_expect_list_at(const char *file, int line, const kiln_value *got, const kiln_value *want);
/* got must be a list holding the same values as want, in any order. */
#define kt_expect_multiset(a, got, want)                                                           \
    kt_expect_multiset_at(__FILE__, __LINE__, (a), (got), (want))
void kt_expect_multiset_at(const char *file, int line, kiln_arena *a, const kiln_value *got,
                           const kiln_value *want);
/* As kt_expect_multiset after putting both in canonical form (every inner
 * list sorted): for results whose inner lists have no specified order. */
#define kt_expect_canonical(a, got, want)                                                          \
    kt_expect_canonical_at(__FILE__, __LINE__, (a), (got), (want))
void kt_expect_canonical_at(const char *file, int line, kiln_arena *a, const kiln_value *got,
                            const kiln_value *want);
/* got must equal want (kiln_value_eq). */
#define kt_expect_value(got, want) kt_expect_value_at(__FILE__, __LINE__, (got), (want))
void kt_expect_value_at(const char *file, int line, const kiln_value *got, const kiln_value *want);
/* |got - want| <= rel * max(|want|, |got|) + abs_tol; NaN equals NaN. */
#define kt_expect_close(got, want, rel, abs_tol, what)                                             \
    kt_expect_close_at(__FILE__, __LINE__, (got), (want), (rel), (abs_tol), (what))
void kt_expect_close_at(const char *file, int line, long double got, long double want,
                        long double rel, long double abs_tol, const char *what);

/* The list wrapped as an array: kt_items(&l), l.len. */
static inline const kiln_value *kt_items(const kiln_value *list)
{
    return list->u.items;
}

/* True when s contains needle, ignoring ASCII case. */
bool kt_contains_nocase(const char *s, const char *needle);

/* ---- Files -------------------------------------------------------------------------- */

/* Returns a new empty directory under $TMPDIR (or /tmp), malloc'd path. */
char *kt_tmpdir_new(void);
/* Sends fd 2 (where log lines go) to a temporary file until
 * kt_stderr_capture_stop, which restores it and returns what was written
 * (malloc'd, NUL-terminated). One capture at a time. */
void kt_stderr_capture_start(void);
/* A fresh directory under /tmp holding kiln-defaults.conf with text (NULL:
 * no file), for KILN_CONF_DIR; returns its path (owned; kt_rm_rf it). */
char *kt_conf_dir_new(const char *text);
char *kt_stderr_capture_stop(void);
/* Removes path and everything below it (no error if absent). */
void kt_rm_rf(const char *path);
/* Writes len bytes to path (fails the test on error). */
void kt_write_file(const char *path, const void *data, size_t len);
/* Returns the malloc'd content of path (NUL-terminated; *len without it),
 * or NULL when it cannot be read. */
char *kt_read_file(const char *path, size_t *len);
bool kt_exists(const char *path);
/* Returns the malloc'd "dir/name". */
char *kt_path(const char *dir, const char *name);
/* The sorted names in dir (malloc'd array of malloc'd strings, *n entries;
 * NULL when dir cannot be opened). kt_names_free releases it. */
char **kt_list_dir(const char *dir, size_t *n);
void kt_names_free(char **names, size_t n);
/* Entries of dir whose names start with prefix ("" for all); -1 when dir
 * cannot be opened. */
int kt_count_entries(const char *dir, const char *prefix);
/* Writes "dir/NAME" for the first entry (in name order) starting with prefix
 * into out (n bytes); false when there is none. */
bool kt_find_entry(const char *dir, const char *prefix, char *out, size_t n);
/* XORs the byte at offset off of path with mask (fails the test on error):
 * the way the tests damage files. */
void kt_flip_byte(const char *path, long off, unsigned char mask);

#endif
