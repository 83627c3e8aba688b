/*
 * ml/hashing.c - feature hashing of delimited text (the click-through
 * workflow of Criteo and Avazu logs): each line becomes a labeled point
 * whose sparse features are hashed column values.
 *
 * For a line's column c (0-based) with trimmed text s:
 *   - the label column: the label, a number;
 *   - a numeric column: the feature XXH3_64("c") mod num_features with the
 *     value s parsed (an empty s adds nothing);
 *   - an ignored column: nothing;
 *   - any other column: the feature XXH3_64("c=" + s) mod num_features
 *     with value 1 (an empty s adds nothing);
 * where "c" is the column number in decimal. Features that land on the same
 * index add up (in column order); an entry whose value is or sums to 0 is
 * still stored. A line is one map over
 * kiln_text_file_with_offsets, so a bad label or number fails the task
 * naming the file, line and column.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "ml/delimited.h"

enum { COL_CATEGORICAL = 0, COL_NUMERIC = 1, COL_IGNORED = 2, COL_LABEL = 3 };

typedef struct hash_col {
    int32_t kind;  /* COL_* */
    int32_t index; /* numeric: its feature index (the hash of "c") */
} hash_col;

/* The env of the map: the options, and the kind of the first ncols columns
 * (every later column is categorical). */
typedef struct hash_env {
    int64_t num_features;
    int32_t ncols;
    char delimiter;
    bool header;
    hash_col cols[];
} hash_env;

/* One feature of a line before sorting: its column keeps the sum of a
 * collision in column order. */
typedef struct entry {
    int32_t index;
    int32_t column;
    double value;
} entry;

static int entry_cmp(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    if (a->index != b->index) return a->index < b->index ? -1 : 1;
    return (a->column > b->column) - (a->column < b->column);
}

static int32_t bucket(const void *p, size_t n, int64_t num_features)
{
    return (int32_t)(XXH3_64bits(p, n) % (uint64_t)num_features);
}

/* The feature index of categorical column c with text s ("c=" + s). */
static int cat_index(kiln_task *t, int column, ml_field s, int64_t num_features, int32_t *out)
{
    char small[256];
    char prefix[16];
    int np = snprintf(prefix, sizeof prefix, "%d=", column);
    size_t n = (size_t)np + s.len;
    char *buf = small;
    if (n > sizeof small && !(buf = kiln_arena_alloc(kiln_task_arena(t), n)))
        return kiln_task_fail(t, "out of memory hashing a field of %zu bytes", s.len);
    memcpy(buf, prefix, (size_t)np);
    memcpy(buf + np, s.s, s.len);
    *out = bucket(buf, n, num_features);
    return KILN_OK;
}

/* (offset, line) -> zero or one labeled point. */
static int hash_line(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    const hash_env *e = env;
    int64_t offset;
    ml_field line;
    int rc = ml_offset_line(t, in, &offset, &line);
    if (rc) return rc;
    if ((e->header && offset == 0) || line.len == 0) return KILN_OK;

    ml_field stack_fields[128], *f;
    size_t nf;
    if ((rc = ml_split(t, line.s, line.len, e->delimiter, stack_fields, 128, &f, &nf))) return rc;
    kiln_arena *a = kiln_task_arena(t);
    entry stack_entries[128], *ent = stack_entries;
    if (nf > 128 && !(ent = kiln_arena_alloc(a, nf * sizeof *ent)))
        return kiln_task_fail(t, "out of memory");

    bool have_label = false;
    double label = 0;
    size_t n = 0;
    for (size_t c = 0; c < nf; c++) {
        int kind = c < (size_t)e->ncols ? e->cols[c].kind : COL_CATEGORICAL;
        ml_field s = ml_trim(f[c]);
        switch (kind) {
        case COL_LABEL:
            if (!delim_parse_double(s, &label))
                return ml_fail_at(t, offset, "column %zu: the label \"%.*s\" is not a number", c,
                                  ML_SHOW(s));
            have_label = true;
            break;
        case COL_NUMERIC:
            if (s.len == 0) break;
            if (!delim_parse_double(s, &ent[n].value))
                return ml_fail_at(t, offset, "column %zu: \"%.*s\" is not a number", c, ML_SHOW(s));
            ent[n].index = e->cols[c].index;
            ent[n++].column = (int32_t)c;
            break;
        case COL_CATEGORICAL:
            if (s.len == 0) break;
            if ((rc = cat_index(t, (int)c, s, e->num_features, &ent[n].index))) return rc;
            ent[n].value = 1.0;
            ent[n++].column = (int32_t)c;
            break;
        default: /* ignored */
            break;
        }
    }
    if (!have_label) return ml_fail_at(t, offset, "%zu columns: no label column", nf);

    /* Sort by index (then column, so collisions add in column order) and
     * merge equal indices in place. */
    qsort(ent, n, sizeof *ent, entry_cmp);
    int32_t idx_stack[128], *idx = idx_stack;
    double val_stack[128], *val = val_stack;
    if (n > 128 && (!(idx = kiln_arena_alloc(a, n * sizeof *idx)) ||
                    !(val = kiln_arena_alloc(a, n * sizeof *val))))
        return kiln_task_fail(t, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && idx[m - 1] == ent[i].index) {
            val[m - 1] += ent[i].value;
        } else {
            idx[m] = ent[i].index;
            val[m++] = ent[i].value;
        }
    }
    kiln_value x = kiln_ml_sparse_new(a, e->num_features, idx, val, m);
    if (x.type == KILN_NULL) return kiln_task_fail(t, "%s", kiln_last_error());
    kiln_value p = kiln_ml_point(a, label, x);
    if (p.type == KILN_NULL) return kiln_task_fail(t, "out of memory");
    return kiln_emit(out, &p);
}

static bool listed(const int *cols, int n, int c)
{
    for (int i = 0; i < n; i++)
        if (cols[i] == c) return true;
    return false;
}

kiln_rdd *kiln_ml_hash_features(kiln_context *ctx, const char *path,
                                const kiln_ml_hashing_options *opt, int min_partitions)
{
    if (!ctx || !path || !opt) {
        kiln_set_error(KILN_EINVAL, "hash_features: NULL argument");
        return NULL;
    }
    int64_t nfeat = opt->num_features ? opt->num_features : (int64_t)1 << 18;
    if (nfeat < 1 || nfeat > INT32_MAX) {
        kiln_set_error(KILN_EINVAL, "hash_features: num_features %lld is not in [1, 2^31)",
                       (long long)opt->num_features);
        return NULL;
    }
    if (opt->label_column < 0 || opt->num_numeric < 0 || opt->num_ignore < 0 ||
        (opt->num_numeric && !opt->numeric) || (opt->num_ignore && !opt->ignore)) {
        kiln_set_error(KILN_EINVAL, "hash_features: bad label, numeric or ignore columns");
        return NULL;
    }
    int ncols = opt->label_column + 1;
    for (int i = 0; i < opt->num_numeric + opt->num_ignore; i++) {
        bool numeric = i < opt->num_numeric;
        int c = numeric ? opt->numeric[i] : opt->ignore[i - opt->num_numeric];
        bool both = !numeric && listed(opt->numeric, opt->num_numeric, c);
        if (c < 0 || c == opt->label_column || both) {
            kiln_set_error(KILN_EINVAL,
                           "hash_features: column %d cannot be %s (negative, the label, or "
                           "both numeric and ignored)",
                           c, numeric ? "numeric" : "ignored");
            return NULL;
        }
        if (c + 1 > ncols) ncols = c + 1;
    }
    size_t env_len = sizeof(hash_env) + (size_t)ncols * sizeof(hash_col);
    hash_env *e = calloc(1, env_len);
    if (!e) {
        kiln_set_error(KILN_ENOMEM, "out of memory");
        return NULL;
    }
    e->num_features = nfeat;
    e->ncols = ncols;
    e->delimiter = opt->delimiter ? opt->delimiter : ',';
    e->header = opt->header;
    e->cols[opt->label_column].kind = COL_LABEL;
    for (int i = 0; i < opt->num_ignore; i++) e->cols[opt->ignore[i]].kind = COL_IGNORED;
    for (int i = 0; i < opt->num_numeric; i++) {
        int c = opt->numeric[i];
        char name[16];
        int len = snprintf(name, sizeof name, "%d", c);
        e->cols[c].kind = COL_NUMERIC;
        e->cols[c].index = bucket(name, (size_t)len, nfeat);
    }
    int parts = ml_text_partitions(ctx, min_partitions);
    kiln_rdd *lines = kiln_text_file_with_offsets(ctx, path, parts);
    kiln_rdd *points = lines ? kiln_rdd_flat_map(lines, hash_line, e, env_len) : NULL;
    kiln_rdd_free(lines); /* points keeps it: only points is the caller's */
    free(e);
    return points;
}
