/*
 * ml/load_libsvm.c - kiln_ml_load_libsvm: LIBSVM text as labeled points
 * with sparse features.
 *
 * A line is "label index:value index:value ..." with 1-based, strictly
 * increasing indices, fields separated by spaces or tabs; empty lines and
 * lines starting with '#' are skipped. A line becomes the point (label,
 * sparse vector of size num_features holding value at index - 1). The RDD
 * is a flat_map over kiln_text_file_with_offsets, so a bad line is named by
 * its file and line number. With num_features 0 a first job parses every
 * line and takes the largest index, so bad data is reported by the load
 * itself in that case.
 */
#include <math.h>
#include <string.h>

#include "ml/parse.h"

typedef struct libsvm_env {
    int64_t num_features; /* 0 while inferring: no upper bound */
    bool infer;           /* emit the line's largest index instead of a point */
} libsvm_env;

/* Entries of a line held on the stack before the vector is built (more go
 * to the task arena). */
#define STACK_ENTRIES 256

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The length of the token at p (up to a blank), at most 60 for messages. */
static int token_len(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && !is_blank(*q) && q - p < 60) q++;
    return (int)(q - p);
}

/* Parses one line; emits a point (or, inferring, its largest index). */
static int libsvm_line(kiln_task *t, const kiln_value *in, kiln_out *out, const void *envp)
{
    const libsvm_env *e = envp;
    int64_t off = in->u.items[0].u.i;
    const char *p = in->u.items[1].u.s, *end = p + in->u.items[1].len;
    while (p < end && is_blank(*p)) p++;
    if (p == end || *p == '#') return KILN_OK;

    double label;
    const char *q = ml_parse_double(p, end, &label);
    if (q == p || (q < end && !is_blank(*q)))
        return ml_line_fail(t, off, 0, "bad label \"%.*s\"", token_len(p, end), p);
    if (!isfinite(label))
        return ml_line_fail(t, off, 0, "label %.*s is not a finite number", (int)(q - p), p);

    kiln_arena *a = kiln_task_arena(t);
    int32_t stack_idx[STACK_ENTRIES];
    double stack_val[STACK_ENTRIES];
    int32_t *idx = stack_idx;
    double *val = stack_val;
    if (!e->infer) {
        /* Every entry has one ':', so their count bounds the entries. */
        size_t cap = 0;
        for (const char *c = q; (c = memchr(c, ':', (size_t)(end - c))); c++) cap++;
        if (cap > STACK_ENTRIES) {
            idx = kiln_arena_alloc(a, cap * sizeof *idx);
            val = kiln_arena_alloc(a, cap * sizeof *val);
            if (!idx || !val) return KILN_ENOMEM;
        }
    }

    size_t n = 0;
    int64_t prev = 0;
    for (p = q;;) {
        while (p < end && is_blank(*p)) p++;
        if (p == end) break;
        const char *tok = p;
        int64_t ix = 0;
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if (ix <= INT32_MAX) ix = ix * 10 + (*p - '0');
        if (p == tok || p == end || *p != ':')
            return ml_line_fail(t, off, 0, "expected index:value, got \"%.*s\"",
                                token_len(tok, end), tok);
        if (ix == 0) return ml_line_fail(t, off, 0, "index 0: indices are 1-based");
        if (ix > INT32_MAX)
            return ml_line_fail(t, off, 0, "index %.*s is too large", (int)(p - tok), tok);
        if (ix <= prev)
            return ml_line_fail(t, off, 0,
                                "index %lld after %lld: indices must be strictly increasing",
                                (long long)ix, (long long)prev);
        if (e->num_features > 0 && ix > e->num_features)
            return ml_line_fail(t, off, 0, "index %lld is above num_features %lld", (long long)ix,
                                (long long)e->num_features);
        const char *v = ++p;
        double x;
        p = ml_parse_double(v, end, &x);
        if (p == v || (p < end && !is_blank(*p)))
            return ml_line_fail(t, off, 0, "bad value in \"%.*s\"", token_len(tok, end), tok);
        if (!isfinite(x))
            return ml_line_fail(t, off, 0, "the value of index %lld is not finite: %.*s",
                                (long long)ix, (int)(p - v), v);
        if (!e->infer) {
            idx[n] = (int32_t)(ix - 1);
            val[n] = x;
        }
        n++;
        prev = ix;
    }

    if (e->infer) {
        if (prev == 0) return KILN_OK;
        kiln_value m = kiln_int(prev);
        return kiln_emit(out, &m);
    }
    kiln_value f = kiln_ml_sparse_new(a, e->num_features, idx, val, n);
    if (f.type == KILN_NULL) return ml_line_fail(t, off, 0, "%s", kiln_last_error());
    kiln_value pt = kiln_ml_point(a, label, f);
    if (pt.type == KILN_NULL) return KILN_ENOMEM;
    return kiln_emit(out, &pt);
}

static int max_int(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                   const void *env)
{
    *out = a->u.i >= b->u.i ? *a : *b;
    return KILN_OK;
}

kiln_rdd *kiln_ml_load_libsvm(kiln_context *ctx, const char *path, int64_t num_features,
                              int min_partitions)
{
    if (!ctx || !path) {
        kiln_set_error(KILN_EINVAL, "load_libsvm: NULL argument");
        return NULL;
    }
    if (num_features < 0 || num_features > INT32_MAX) {
        kiln_set_error(KILN_ERANGE, "load_libsvm: num_features %lld is not in [0, %d]",
                       (long long)num_features, INT32_MAX);
        return NULL;
    }
    if (min_partitions <= 0) { /* as kiln_text_file */
        int d = kiln_context_default_parallelism(ctx);
        min_partitions = d < 2 ? d : 2;
    }
    kiln_rdd *lines = kiln_text_file_with_offsets(ctx, path, min_partitions);
    if (!lines) return NULL;
    libsvm_env env = {.num_features = num_features};
    if (num_features == 0) {
        libsvm_env scan = {.infer = true};
        kiln_rdd *maxes = kiln_rdd_flat_map(lines, libsvm_line, &scan, sizeof scan);
        kiln_arena *a = kiln_arena_new();
        kiln_value zero = kiln_int(0), max;
        int rc = a ? kiln_rdd_fold(maxes, &zero, max_int, NULL, 0, a, &max)
                   : kiln_set_error(KILN_ENOMEM, "out of memory");
        kiln_arena_free(a);
        kiln_rdd_free(maxes);
        if (rc != KILN_OK) { /* the job's message names the bad line */
            kiln_rdd_free(lines);
            return NULL;
        }
        env.num_features = max.u.i;
    }
    kiln_rdd *points = kiln_rdd_flat_map(lines, libsvm_line, &env, sizeof env);
    kiln_rdd_free(lines); /* points keeps it: only points is the caller's */
    return points;
}
