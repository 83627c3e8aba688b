/*
 * ml/one_hot.c - one-hot encoding of delimited text with categorical and
 * numeric columns (the UCI adult census workflow).
 *
 * Fitting reads the first data line for the column count (every line must
 * have as many), then runs one job: each line's categorical fields, trimmed,
 * as (column, text) pairs -> distinct -> collect; the driver sorts them by
 * column, then by bytes. Transforming is one flat_map over the lines: the
 * numeric columns in column order (features 0..num_numeric-1; zeros are
 * not stored), then one indicator block per categorical column in column
 * order, a category's index being its rank in the sorted values.
 *
 * The encoder keeps everything the transform needs as one flat block of
 * bytes, the oh_env below, handed to the flat_map as its env (copied with
 * the RDD, so the RDD outlives the encoder). The fit's jobs use the same
 * block without the categories.
 *
 * Lines skipped everywhere: the first line of each file when header is set,
 * empty (or all blank) lines, and lines that start with '|' (the comment
 * line of UCI's adult.test).
 */
#include <stdlib.h>
#include <string.h>

#include "ml/delimited.h"

/* kind of a column: >= 0 a numeric column (its feature index), KIND_LABEL,
 * or CAT_KIND(k) for categorical column k (k-th in column order). */
#define KIND_LABEL (-1)
#define CAT_KIND(k) (-2 - (k))
#define CAT_OF(kind) (-2 - (kind))

/* Offsets are from the start of the block; each section starts 8-aligned. */
typedef struct oh_env {
    int64_t num_features;
    int32_t ncols; /* columns of every line; 0 while the fit reads the first line */
    int32_t ncat;
    int32_t nnum;
    char delimiter;
    bool header;
    uint32_t positive_off, positive_len; /* the positive label (in the string bytes) */
    uint32_t kinds_off;                  /* int32[ncols] */
    uint32_t cats_off;                   /* oh_cat[ncat] (transform only) */
    uint32_t offs_off;  /* uint32[strings + 1]: where each category string starts */
    uint32_t bytes_off; /* the strings, back to back */
} oh_env;

typedef struct oh_cat {
    uint32_t base;  /* feature index of the first category */
    uint32_t first; /* index of its first string */
    uint32_t count;
    uint32_t column;
} oh_cat;

struct kiln_ml_one_hot {
    kiln_context *ctx;
    int64_t num_features;
    oh_env *env; /* malloc'd block of env_len bytes */
    size_t env_len;
};

#define SECTION(e, off, type) ((const type *)(const void *)((const char *)(e) + (e)->off))

/* ---- Lines -------------------------------------------------------------------------- */

/* The label's text as compared: trimmed, without a trailing '.'. */
static ml_field label_text(ml_field f)
{
    f = ml_trim(f);
    if (f.len && f.s[f.len - 1] == '.') f.len--;
    return ml_trim(f);
}

/* Splits a data line. Returns 1 with *f and *nf set, 0 for a line to skip,
 * or an error (the task failed). Checks the column count once it is known. */
static int fields_of(kiln_task *t, const oh_env *e, const kiln_value *in, ml_field *stack,
                     size_t cap, ml_field **f, size_t *nf, int64_t *offset)
{
    ml_field line;
    int rc = ml_offset_line(t, in, offset, &line);
    if (rc) return rc;
    if ((e->header && *offset == 0) || ml_trim(line).len == 0 || line.s[0] == '|') return 0;
    if ((rc = ml_split(t, line.s, line.len, e->delimiter, stack, cap, f, nf))) return rc;
    if (e->ncols && *nf != (size_t)e->ncols)
        return ml_fail_at(t, *offset, "%zu columns, expected %d (as the first line)", *nf,
                          (int)e->ncols);
    return 1;
}

/* The first job: each data line's column count. */
static int count_columns(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    ml_field stack[64], *f;
    size_t nf;
    int64_t offset;
    int rc = fields_of(t, env, in, stack, 64, &f, &nf, &offset);
    if (rc <= 0) return rc;
    kiln_value n = kiln_int((int64_t)nf);
    return kiln_emit(out, &n);
}

/* The fit job: checks the numeric fields and emits (column, text) for the
 * categorical ones. */
static int categories_of_line(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    const oh_env *e = env;
    const int32_t *kinds = SECTION(e, kinds_off, int32_t);
    ml_field stack[64], *f;
    size_t nf;
    int64_t offset;
    int rc = fields_of(t, e, in, stack, 64, &f, &nf, &offset);
    if (rc <= 0) return rc;
    kiln_arena *a = kiln_task_arena(t);
    for (size_t c = 0; c < nf; c++) {
        ml_field s = ml_trim(f[c]);
        double x;
        if (kinds[c] >= 0 && !delim_parse_double(s, &x))
            return ml_fail_at(t, offset, "column %zu: \"%.*s\" is not a number", c, ML_SHOW(s));
        if (kinds[c] >= KIND_LABEL) continue; /* numeric or the label */
        kiln_value p = kiln_pair(a, kiln_int((int64_t)c), kiln_str_ref(s.s, s.len));
        if (p.type == KILN_NULL) return kiln_task_fail(t, "out of memory");
        if ((rc = kiln_emit(out, &p))) return rc;
    }
    return KILN_OK;
}

static int bytes_cmp(const char *a, size_t la, const char *b, size_t lb)
{
    size_t n = la < lb ? la : lb;
    int c = n ? memcmp(a, b, n) : 0; /* an empty string's bytes may be NULL */
    return c ? c : (la > lb) - (la < lb);
}

/* The rank of s among category k's sorted values, or -1. */
static int64_t find_category(const oh_env *e, const oh_cat *cat, ml_field s)
{
    const uint32_t *offs = SECTION(e, offs_off, uint32_t);
    const char *bytes = SECTION(e, bytes_off, char);
    size_t lo = 0, hi = cat->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, i = cat->first + mid;
        int c = bytes_cmp(bytes + offs[i], offs[i + 1] - offs[i], s.s, s.len);
        if (c == 0) return (int64_t)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

/* The transform: (offset, line) -> zero or one labeled point. */
static int encode_line(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    const oh_env *e = env;
    const int32_t *kinds = SECTION(e, kinds_off, int32_t);
    const oh_cat *cats = SECTION(e, cats_off, oh_cat);
    ml_field stack[64], *f;
    size_t nf;
    int64_t offset;
    int rc = fields_of(t, e, in, stack, 64, &f, &nf, &offset);
    if (rc <= 0) return rc;
    kiln_arena *a = kiln_task_arena(t);
    int32_t idx_stack[64], *idx = idx_stack;
    double val_stack[64], *val = val_stack;
    if (nf > 64 && (!(idx = kiln_arena_alloc(a, nf * sizeof *idx)) ||
                    !(val = kiln_arena_alloc(a, nf * sizeof *val))))
        return kiln_task_fail(t, "out of memory");
    size_t n = 0;
    double label = 0;
    /* Numeric columns first (their indices are below every indicator). */
    for (size_t c = 0; c < nf; c++) {
        ml_field s = ml_trim(f[c]);
        if (kinds[c] == KIND_LABEL) {
            ml_field l = label_text(s);
            label = bytes_cmp(l.s, l.len, (const char *)e + e->positive_off, e->positive_len) ? 0.0
                                                                                              : 1.0;
        } else if (kinds[c] >= 0) {
            double x;
            if (!delim_parse_double(s, &x))
                return ml_fail_at(t, offset, "column %zu: \"%.*s\" is not a number", c, ML_SHOW(s));
            if (x != 0) {
                idx[n] = kinds[c];
                val[n++] = x;
            }
        }
    }
    for (int32_t k = 0; k < e->ncat; k++) {
        int64_t r = find_category(e, &cats[k], ml_trim(f[cats[k].column]));
        if (r < 0) continue; /* unseen at fit time */
        idx[n] = (int32_t)(cats[k].base + (uint32_t)r);
        val[n++] = 1.0;
    }
    kiln_value x = kiln_ml_sparse_new(a, e->num_features, idx, val, n);
    if (x.type == KILN_NULL) return kiln_task_fail(t, "%s", kiln_last_error());
    kiln_value p = kiln_ml_point(a, label, x);
    if (p.type == KILN_NULL) return kiln_task_fail(t, "out of memory");
    return kiln_emit(out, &p);
}

/* ---- Building the block ---------------------------------------------------------------- */

static int pad8(kiln_buf *b)
{
    static const uint8_t zeros[8];
    return b->len % 8 ? kiln_buf_append(b, zeros, 8 - b->len % 8) : KILN_OK;
}

static int column_cmp(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    return (a > b) - (a < b);
}

/* (column, text) pairs ordered by column, then by the text's bytes. */
static int pair_cmp(const void *pa, const void *pb)
{
    const kiln_value *a = pa, *b = pb;
    int64_t ca = a->u.items[0].u.i, cb = b->u.items[0].u.i;
    if (ca != cb) return ca < cb ? -1 : 1;
    const kiln_value *sa = &a->u.items[1], *sb = &b->u.items[1];
    return bytes_cmp(sa->u.s, sa->len, sb->u.s, sb->len);
}

/* Builds the block into *out: the options, the column kinds for ncols
 * columns (0: not known yet), and the sorted categories (pairs, n of them;
 * none for the fit's jobs). cats: the sorted categorical columns. */
static int build_env(const kiln_ml_one_hot_options *opt, const int *cats, int ncat, int ncols,
                     const kiln_value *pairs, size_t n, kiln_buf *out)
{
    oh_env e = {0};
    kiln_buf b;
    kiln_buf_init(&b);
    e.ncols = ncols;
    e.ncat = ncat;
    e.delimiter = opt->delimiter ? opt->delimiter : ',';
    e.header = opt->header;
    int rc = kiln_buf_append(&b, &e, sizeof e);
    /* Column kinds: numeric columns numbered in column order. */
    e.kinds_off = (uint32_t)b.len;
    for (int c = 0, k = 0; rc == KILN_OK && c < ncols; c++) {
        int32_t kind;
        if (c == opt->label_column) {
            kind = KIND_LABEL;
        } else if (k < ncat && cats[k] == c) {
            kind = CAT_KIND(k);
            k++;
        } else {
            kind = e.nnum++;
        }
        rc = kiln_buf_append(&b, &kind, sizeof kind);
    }
    if (rc == KILN_OK) rc = pad8(&b);
    /* Categories: for each categorical column, its run of sorted pairs. */
    e.cats_off = (uint32_t)b.len;
    size_t at = 0;
    int64_t base = e.nnum;
    for (int k = 0; rc == KILN_OK && k < ncat; k++) {
        oh_cat c = {.base = (uint32_t)base, .first = (uint32_t)at, .column = (uint32_t)cats[k]};
        while (at < n && pairs[at].u.items[0].u.i == cats[k]) c.count++, at++;
        base += c.count;
        rc = kiln_buf_append(&b, &c, sizeof c);
    }
    e.num_features = base;
    if (rc == KILN_OK) rc = pad8(&b);
    e.offs_off = (uint32_t)b.len;
    uint32_t off = 0;
    for (size_t i = 0; rc == KILN_OK && i <= n; i++) {
        rc = kiln_buf_append(&b, &off, sizeof off);
        if (i < n) off += pairs[i].u.items[1].len;
    }
    e.bytes_off = (uint32_t)b.len;
    for (size_t i = 0; rc == KILN_OK && i < n; i++)
        if (pairs[i].u.items[1].len)
            rc = kiln_buf_append(&b, pairs[i].u.items[1].u.s, pairs[i].u.items[1].len);
    /* The positive label, cut as the labels of the data are. */
    ml_field pos = label_text((ml_field){opt->positive_label, strlen(opt->positive_label)});
    e.positive_off = (uint32_t)b.len;
    e.positive_len = (uint32_t)pos.len;
    if (rc == KILN_OK) rc = kiln_buf_append(&b, pos.s, pos.len);
    if (rc == KILN_OK && b.len > UINT32_MAX)
        rc = kiln_set_error(KILN_ERANGE, "one_hot: %zu bytes of categories is too many", b.len);
    if (rc == KILN_OK && e.num_features > INT32_MAX)
        rc = kiln_set_error(KILN_ERANGE, "one_hot: %lld features is too many",
                            (long long)e.num_features);
    if (rc != KILN_OK) {
        kiln_buf_release(&b);
        return rc == KILN_ENOMEM ? kiln_set_error(rc, "out of memory") : rc;
    }
    memcpy(b.data, &e, sizeof e);
    *out = b;
    return KILN_OK;
}

/* ---- The API ------------------------------------------------------------------------- */

/* Checks the options; returns the sorted categorical columns (malloc'd). */
static int check_options(const kiln_ml_one_hot_options *opt, int **out)
{
    if (opt->label_column < 0 || !opt->positive_label || opt->num_categorical < 0 ||
        (opt->num_categorical && !opt->categorical))
        return kiln_set_error(KILN_EINVAL,
                              "one_hot_fit: bad label column, positive label or categorical "
                              "columns");
    int n = opt->num_categorical;
    int *cats = malloc(sizeof *cats * (size_t)(n ? n : 1));
    if (!cats) return kiln_set_error(KILN_ENOMEM, "out of memory");
    if (n) memcpy(cats, opt->categorical, sizeof *cats * (size_t)n);
    qsort(cats, (size_t)n, sizeof *cats, column_cmp);
    for (int i = 0; i < n; i++)
        if (cats[i] < 0 || cats[i] == opt->label_column || (i && cats[i] == cats[i - 1])) {
            int c = cats[i];
            free(cats);
            return kiln_set_error(KILN_EINVAL,
                                  "one_hot_fit: categorical column %d is negative, the label "
                                  "or listed twice",
                                  c);
        }
    *out = cats;
    return KILN_OK;
}

/* The column count of the first data line of lines (a job). */
static int first_line_columns(kiln_rdd *lines, const kiln_ml_one_hot_options *opt, const char *path,
                              int *ncols)
{
    kiln_buf env;
    int rc = build_env(opt, NULL, 0, 0, NULL, 0, &env);
    if (rc) return rc;
    kiln_rdd *counts = kiln_rdd_flat_map(lines, count_columns, env.data, env.len);
    kiln_buf_release(&env);
    kiln_arena *a = kiln_arena_new();
    if (!a) {
        kiln_rdd_free(counts);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    kiln_value first;
    rc = kiln_rdd_first(counts, a, &first);
    kiln_rdd_free(counts);
    if (rc == KILN_EEMPTY) rc = kiln_set_error(rc, "one_hot_fit: %s has no data lines", path);
    if (rc == KILN_OK) *ncols = (int)first.u.i;
    kiln_arena_free(a);
    return rc;
}

kiln_ml_one_hot *kiln_ml_one_hot_fit(kiln_context *ctx, const char *path,
                                     const kiln_ml_one_hot_options *opt)
{
    if (!ctx || !path || !opt) {
        kiln_set_error(KILN_EINVAL, "one_hot_fit: NULL argument");
        return NULL;
    }
    int *cats = NULL;
    if (check_options(opt, &cats)) return NULL;
    int ncat = opt->num_categorical;
    kiln_ml_one_hot *enc = NULL;
    kiln_arena *a = NULL;
    kiln_value *pairs = NULL;
    kiln_buf env;
    int ncols = 0;
    kiln_rdd *found = NULL, *distinct = NULL; /* the fitting job's RDDs, freed at the end */
    kiln_rdd *lines = kiln_text_file_with_offsets(ctx, path, ml_text_partitions(ctx, 0));
    if (!lines || first_line_columns(lines, opt, path, &ncols)) goto out;
    int beyond = opt->label_column;
    if (ncat && cats[ncat - 1] > beyond) beyond = cats[ncat - 1];
    if (beyond >= ncols) {
        kiln_set_error(KILN_EINVAL,
                       "one_hot_fit: the first line of %s has %d columns, no "
                       "column %d",
                       path, ncols, beyond);
        goto out;
    }
    /* The job: distinct (column, text) pairs. */
    if (build_env(opt, cats, ncat, ncols, NULL, 0, &env)) goto out;
    found = kiln_rdd_flat_map(lines, categories_of_line, env.data, env.len);
    kiln_buf_release(&env);
    distinct = kiln_rdd_distinct(found, 0);
    kiln_value list;
    if (!(a = kiln_arena_new())) {
        kiln_set_error(KILN_ENOMEM, "out of memory");
        goto out;
    }
    if (kiln_rdd_collect(distinct, a, &list)) goto out;
    pairs = malloc(sizeof *pairs * (list.len ? list.len : 1));
    if (!pairs) {
        kiln_set_error(KILN_ENOMEM, "out of memory");
        goto out;
    }
    if (list.len) memcpy(pairs, list.u.items, sizeof *pairs * list.len);
    qsort(pairs, list.len, sizeof *pairs, pair_cmp);
    if (build_env(opt, cats, ncat, ncols, pairs, list.len, &env)) goto out;
    if (!(enc = calloc(1, sizeof *enc))) {
        kiln_buf_release(&env);
        kiln_set_error(KILN_ENOMEM, "out of memory");
        goto out;
    }
    enc->ctx = ctx;
    enc->env = (oh_env *)(void *)env.data;
    enc->env_len = env.len;
    enc->num_features = enc->env->num_features;
out:
    kiln_rdd_free(distinct);
    kiln_rdd_free(found);
    kiln_rdd_free(lines);
    free(pairs);
    kiln_arena_free(a);
    free(cats);
    return enc;
}

kiln_rdd *kiln_ml_one_hot_transform(kiln_ml_one_hot *enc, const char *path, int min_partitions)
{
    if (!enc || !path) {
        kiln_set_error(KILN_EINVAL, "one_hot_transform: NULL argument");
        return NULL;
    }
    int parts = ml_text_partitions(enc->ctx, min_partitions);
    kiln_rdd *lines = kiln_text_file_with_offsets(enc->ctx, path, parts);
    kiln_rdd *points = lines ? kiln_rdd_flat_map(lines, encode_line, enc->env, enc->env_len) : NULL;
    kiln_rdd_free(lines); /* points keeps it: only points is the caller's */
    return points;
}

void kiln_ml_one_hot_set_header(kiln_ml_one_hot *enc, bool header)
{
    if (enc) enc->env->header = header; /* RDDs made earlier keep their own copy */
}

int64_t kiln_ml_one_hot_num_features(const kiln_ml_one_hot *enc)
{
    return enc ? enc->num_features : 0;
}

void kiln_ml_one_hot_free(kiln_ml_one_hot *enc)
{
    if (!enc) return;
    free(enc->env);
    free(enc);
}
