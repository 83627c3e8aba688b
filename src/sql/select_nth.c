/*
 * sql/select_nth.c - introselect and introsort on doubles and int64s
 * (select_nth.h). One template (SEL_DEFINE) instantiated per type, the
 * comparison an inline `<`; doubles first move their NaNs to the end (NaN
 * is the largest value and all NaNs tie), so the rest compares with `<`
 * alone, which also makes -0.0 and 0.0 equal. The partition is
 * branchless (Lomuto's, each element swapped and the boundary advanced by
 * the comparison's 0 or 1: no mispredicted branch per element on random
 * data); a pivot equal to an earlier pivot below the range (pdqsort's
 * test) splits off its ties instead, so many equal values stay linear.
 */
#include "sql/select_nth.h"

#include <stdbool.h>

/* Ranges this short are finished by insertion sort. */
#define SEL_SMALL 16
/* More ranks than this (and than log2 n) are answered by one sort. */
#define SEL_MANY_RANKS 8

static int ilog2(size_t n)
{
    int l = 0;
    while (n >>= 1) l++;
    return l;
}

/* Moves v's NaNs to its end; returns how many values are not NaN. */
static size_t nan_last(double *v, size_t n)
{
    size_t i = 0, j = n;
    for (;;) {
        while (i < j && v[i] == v[i]) i++;
        while (i < j && v[j - 1] != v[j - 1]) j--;
        if (i >= j) return i;
        double t = v[i];
        v[i] = v[j - 1];
        v[j - 1] = t;
    }
}

/*
 * SEL_DEFINE(T, S) defines, for element type T and suffix S:
 *   S##_isort(v, n)      insertion sort
 *   S##_hsort(v, n)      heapsort (the depth limit's fallback)
 *   S##_pivot(v, n)      moves a median-of-3 (ninther when large) to v[0]
 *   S##_part(v, n)       branchless Lomuto partition around p = v[0]: returns
 *                        q with v[0..q) < p = v[q] <= v[q+1..n)
 *   S##_part_eq(v, n)    the same when p = v[0] is the least value: returns e
 *                        with v[0..e) == p < v[e..n) (many ties of a pivot
 *                        would otherwise make quickselect quadratic)
 *   S##_select(v, n, k)  introselect
 *   S##_sort(v, n)       introsort
 */
#define SEL_DEFINE(T, S)                                                                           \
    static inline void S##_swap(T *a, T *b)                                                        \
    {                                                                                              \
        T t = *a;                                                                                  \
        *a = *b;                                                                                   \
        *b = t;                                                                                    \
    }                                                                                              \
    static void S##_isort(T *v, size_t n)                                                          \
    {                                                                                              \
        for (size_t i = 1; i < n; i++) {                                                           \
            T x = v[i];                                                                            \
            size_t j = i;                                                                          \
            while (j > 0 && x < v[j - 1]) {                                                        \
                v[j] = v[j - 1];                                                                   \
                j--;                                                                               \
            }                                                                                      \
            v[j] = x;                                                                              \
        }                                                                                          \
    }                                                                                              \
    static void S##_sift(T *v, size_t i, size_t n)                                                 \
    {                                                                                              \
        T x = v[i];                                                                                \
        for (size_t c; (c = 2 * i + 1) < n; i = c) {                                               \
            if (c + 1 < n && v[c] < v[c + 1]) c++;                                                 \
            if (!(x < v[c])) break;                                                                \
            v[i] = v[c];                                                                           \
        }                                                                                          \
        v[i] = x;                                                                                  \
    }                                                                                              \
    static void S##_hsort(T *v, size_t n)                                                          \
    {                                                                                              \
        for (size_t i = n / 2; i-- > 0;) S##_sift(v, i, n);                                        \
        for (size_t m = n; m > 1; m--) {                                                           \
            S##_swap(&v[0], &v[m - 1]);                                                            \
            S##_sift(v, 0, m - 1);                                                                 \
        }                                                                                          \
    }                                                                                              \
    /* Index of the median of v[a], v[b], v[c]. */                                                 \
    static inline size_t S##_med3(const T *v, size_t a, size_t b, size_t c)                        \
    {                                                                                              \
        if (v[a] < v[b]) return v[b] < v[c] ? b : (v[a] < v[c] ? c : a);                           \
        return v[a] < v[c] ? a : (v[b] < v[c] ? c : b);                                            \
    }                                                                                              \
    static void S##_pivot(T *v, size_t n)                                                          \
    {                                                                                              \
        size_t m = n / 2, l = n - 1, p;                                                            \
        if (n > 128) {                                                                             \
            size_t e = n / 8;                                                                      \
            p = S##_med3(v, S##_med3(v, 0, e, 2 * e), S##_med3(v, m - e, m, m + e),                \
                         S##_med3(v, l - 2 * e, l - e, l));                                        \
        } else {                                                                                   \
            p = S##_med3(v, 0, m, l);                                                              \
        }                                                                                          \
        S##_swap(&v[0], &v[p]);                                                                    \
    }                                                                                              \
    static size_t S##_part(T *v, size_t n)                                                         \
    {                                                                                              \
        T p = v[0];                                                                                \
        size_t i = 1;                                                                              \
        for (size_t j = 1; j < n; j++) { /* v[1..i) < p <= v[i..j) */                              \
            T x = v[j];                                                                            \
            v[j] = v[i];                                                                           \
            v[i] = x;                                                                              \
            i += x < p;                                                                            \
        }                                                                                          \
        v[0] = v[i - 1];                                                                           \
        v[i - 1] = p;                                                                              \
        return i - 1;                                                                              \
    }                                                                                              \
    static size_t S##_part_eq(T *v, size_t n)                                                      \
    {                                                                                              \
        T p = v[0];                                                                                \
        size_t i = 1;                                                                              \
        for (size_t j = 1; j < n; j++) { /* v[0..i) == p < v[i..j) */                              \
            T x = v[j];                                                                            \
            v[j] = v[i];                                                                           \
            v[i] = x;                                                                              \
            i += !(p < x);                                                                         \
        }                                                                                          \
        return i;                                                                                  \
    }                                                                                              \
    static void S##_select(T *v, size_t n, size_t k)                                               \
    {                                                                                              \
        int budget = 2 * ilog2(n) + 4;                                                             \
        bool has_lo = false; /* lo: a value <= all of v[0..n), an earlier pivot */                 \
        T lo = 0;                                                                                  \
        while (n > SEL_SMALL) {                                                                    \
            if (k == 0 || k == n - 1) { /* a minimum or maximum: one scan */                       \
                size_t b = 0;                                                                      \
                for (size_t i = 1; i < n; i++)                                                     \
                    if (k ? v[b] < v[i] : v[i] < v[b]) b = i;                                      \
                S##_swap(&v[k], &v[b]);                                                            \
                return;                                                                            \
            }                                                                                      \
            if (budget-- == 0) {                                                                   \
                S##_hsort(v, n);                                                                   \
                return;                                                                            \
            }                                                                                      \
            S##_pivot(v, n);                                                                       \
            if (has_lo && !(lo < v[0])) { /* the pivot is the least value: split off its ties */   \
                size_t e = S##_part_eq(v, n);                                                      \
                if (k < e) return;                                                                 \
                v += e;                                                                            \
                n -= e;                                                                            \
                k -= e;                                                                            \
                continue;                                                                          \
            }                                                                                      \
            size_t q = S##_part(v, n);                                                             \
            if (k == q) return;                                                                    \
            if (k < q) {                                                                           \
                n = q;                                                                             \
            } else {                                                                               \
                lo = v[q];                                                                         \
                has_lo = true;                                                                     \
                v += q + 1;                                                                        \
                n -= q + 1;                                                                        \
                k -= q + 1;                                                                        \
            }                                                                                      \
        }                                                                                          \
        S##_isort(v, n);                                                                           \
    }                                                                                              \
    static void S##_sort_d(T *v, size_t n, int budget, bool has_lo, T lo)                          \
    {                                                                                              \
        while (n > SEL_SMALL) {                                                                    \
            if (budget-- == 0) {                                                                   \
                S##_hsort(v, n);                                                                   \
                return;                                                                            \
            }                                                                                      \
            S##_pivot(v, n);                                                                       \
            if (has_lo && !(lo < v[0])) {                                                          \
                size_t e = S##_part_eq(v, n);                                                      \
                v += e;                                                                            \
                n -= e;                                                                            \
                continue;                                                                          \
            }                                                                                      \
            size_t q = S##_part(v, n);                                                             \
            if (q < n - q - 1) { /* recurse on the smaller side */                                 \
                S##_sort_d(v, q, budget, has_lo, lo);                                              \
                lo = v[q];                                                                         \
                has_lo = true;                                                                     \
                v += q + 1;                                                                        \
                n -= q + 1;                                                                        \
            } else {                                                                               \
                S##_sort_d(v + q + 1, n - q - 1, budget, true, v[q]);                              \
                n = q;                                                                             \
            }                                                                                      \
        }                                                                                          \
        S##_isort(v, n);                                                                           \
    }                                                                                              \
    static void S##_sort(T *v, size_t n)                                                           \
    {                                                                                              \
        S##_sort_d(v, n, 2 * ilog2(n) + 4, false, 0);                                              \
    }                                                                                              \
    static void S##_ranks(T *v, size_t n, const int64_t *ranks, size_t nr)                         \
    {                                                                                              \
        if (nr > SEL_MANY_RANKS && nr > (size_t)ilog2(n)) {                                        \
            S##_sort(v, n);                                                                        \
            return;                                                                                \
        }                                                                                          \
        size_t lo = 0; /* v[0..lo) holds its final values */                                       \
        for (size_t r = 0; r < nr; r++) {                                                          \
            size_t k = (size_t)ranks[r];                                                           \
            if (k < lo) continue;                                                                  \
            S##_select(v + lo, n - lo, k - lo);                                                    \
            lo = k + 1;                                                                            \
        }                                                                                          \
    }

SEL_DEFINE(double, f64)
SEL_DEFINE(int64_t, i64)

void sel_nth_f64(double *v, size_t n, size_t k)
{
    size_t m = nan_last(v, n);
    if (k < m) f64_select(v, m, k);
}

void sel_nth_i64(int64_t *v, size_t n, size_t k)
{
    if (k < n) i64_select(v, n, k);
}

void sel_sort_f64(double *v, size_t n)
{
    f64_sort(v, nan_last(v, n));
}

void sel_sort_i64(int64_t *v, size_t n)
{
    i64_sort(v, n);
}

void sel_ranks_f64(double *v, size_t n, int64_t *ranks, size_t nr)
{
    i64_sort(ranks, nr);
    size_t m = nan_last(v, n), k = 0;
    while (k < nr && (size_t)ranks[k] < m) k++; /* ranks at m or beyond are NaN */
    f64_ranks(v, m, ranks, k);
}

void sel_ranks_i64(int64_t *v, size_t n, int64_t *ranks, size_t nr)
{
    i64_sort(ranks, nr);
    i64_ranks(v, n, ranks, nr);
}
