/*
 * datasource/dataset.c - planning the scan of a dataset (partition.c lists
 * it): its schema (data columns inferred or given, then the partition
 * columns), its files cut into splits and the splits packed into tasks as
 * Spark's FilePartition does (next-fit decreasing, each file costing
 * openCostInBytes), so thousands of small files make a few tasks.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datasource/ds_int.h"

/* Whether every file of format is read whole (multiLine, wholetext). */
int ds_whole_files(const char *format, const ds_options *o, bool *whole)
{
    bool multi = false, wt = false;
    int rc;
    bool text = strcasecmp(format, "text") == 0;
    if (strcasecmp(format, "parquet") == 0) { /* splittable by row groups */
        *whole = false;
        return KILN_OK;
    }
    if (!text && (rc = ds_opt_bool(o, "multiLine", false, &multi))) return rc;
    if (text && (rc = ds_opt_bool(o, "wholetext", false, &wt))) return rc;
    *whole = multi || wt;
    return KILN_OK;
}

/* The schema of a dataset (see datasource.h). */
int ds_dataset_schema(const char *format, const ds_dataset *d, const ds_options *o,
                      const col_schema *user, kiln_arena *a, col_schema *out)
{
    return ds_dataset_schema_pos(format, d, o, user, a, out, NULL);
}

/* ds_dataset_schema, and where Spark shows each column (see datasource.h). */
int ds_dataset_schema_pos(const char *format, const ds_dataset *d, const ds_options *o,
                          const col_schema *user, kiln_arena *a, col_schema *out, int **pos)
{
    col_schema data;
    int rc;
    memset(out, 0, sizeof *out);
    const char *ddl = ds_options_get(o, "schema");
    if (user) {
        data = *user;
    } else if (!ddl && strcasecmp(format, "parquet") == 0) {
        /* every file's footer with mergeSchema, else the first's */
        if ((rc = ds_parquet_infer_dataset(d, o, a, &data))) return rc;
    } else if (ddl || (strcasecmp(format, "csv") != 0 && strcasecmp(format, "json") != 0)) {
        /* The `schema` option, text's value column, or another format's
         * own inference over the dataset's first path. */
        if ((rc = ds_infer_schema(format, d->nfiles ? d->files[0].path : ".", o, a, &data)))
            return rc;
    } else {
        ds_split *s = kiln_arena_alloc(a, sizeof *s * (size_t)(d->nfiles + 1));
        if (!s) return KILN_ENOMEM;
        int n = 0;
        for (int i = 0; i < d->nfiles; i++)
            if (d->files[i].size > 0)
                s[n++] = (ds_split){d->files[i].path, 0,
                                    ds_is_compressed(d->files[i].path) ? -1 : d->files[i].size};
        rc = strcasecmp(format, "csv") == 0 ? ds_csv_infer(s, n, o, a, &data)
                                            : ds_json_infer(s, n, o, a, &data);
        if (rc) return rc;
    }
    /* Data columns, less those named as partition columns, then these.
     * With pos, an inferred data column named as a partition column stays
     * in the data (readers find the file's columns by position: CSV) but
     * is not shown (pos -1): the partition column is, in its place. */
    bool keep_overlap = pos && !user && !ddl;
    col_field *f = kiln_arena_alloc(a, sizeof *f * (size_t)(data.n + d->parts.n + 1));
    int *p = pos ? kiln_arena_alloc(a, sizeof *p * (size_t)(data.n + d->parts.n + 1)) : NULL;
    if (!f || (pos && !p)) return KILN_ENOMEM;
    int n = 0, at = 0;
    int *part_at = kiln_arena_alloc(a, sizeof *part_at * (size_t)(d->parts.n + 1));
    if (!part_at) return KILN_ENOMEM;
    for (int c = 0; c < d->parts.n; c++) part_at[c] = -1;
    for (int i = 0; i < data.n; i++) {
        int c = 0;
        while (c < d->parts.n && strcasecmp(data.fields[i].name, d->parts.fields[c].name)) c++;
        if (c < d->parts.n) {
            part_at[c] = at++;
            if (!keep_overlap) continue;
            if (p) p[n] = -1;
        } else if (p) {
            p[n] = at++;
        }
        f[n++] = data.fields[i];
    }
    for (int c = 0; c < d->parts.n; c++) {
        if (p) p[n] = part_at[c] >= 0 ? part_at[c] : at++;
        f[n++] = d->parts.fields[c];
    }
    *out = (col_schema){n, f};
    if (pos) *pos = p;
    return KILN_OK;
}

typedef struct sized {
    ds_split s;
    int64_t bytes;
} sized;

static int by_size_desc(const void *x, const void *y)
{
    const sized *a = x, *b = y;
    if (a->bytes != b->bytes) return a->bytes > b->bytes ? -1 : 1;
    int c = strcmp(a->s.path, b->s.path);
    if (c) return c;
    return (a->s.start > b->s.start) - (a->s.start < b->s.start);
}

/* Plans a dataset's scan (see datasource.h). */
int ds_dataset_plan(const char *format, const ds_dataset *d, const bool *keep, const ds_options *o,
                    int min_parts, kiln_arena *a, ds_scan_plan *out)
{
    memset(out, 0, sizeof *out);
    int64_t max_bytes, open_cost, min_num;
    bool whole;
    int rc;
    if ((rc = ds_opt_size(o, "maxPartitionBytes", 128 << 20, &max_bytes)) ||
        (rc = ds_opt_size(o, "openCostInBytes", 4 << 20, &open_cost)) ||
        (rc = ds_opt_int(o, "minPartitionNum", min_parts > 0 ? min_parts : 1, 1, 1 << 30,
                         &min_num)) ||
        (rc = ds_whole_files(format, o, &whole)))
        return rc;
    /* Spark's maxSplitBytes. */
    int64_t total = 0;
    for (int i = 0; i < d->nfiles; i++)
        if (!keep || keep[i]) total += d->files[i].size + open_cost;
    int64_t per_core = total / min_num;
    int64_t split = per_core > open_cost ? per_core : open_cost;
    if (split > max_bytes) split = max_bytes;
    if (split < 1) split = 1;
    size_t cap = (size_t)d->nfiles + 16, n = 0;
    sized *v = malloc(cap * sizeof *v);
    if (!v) return KILN_ENOMEM;
    for (int i = 0; i < d->nfiles; i++) {
        const ds_file *f = &d->files[i];
        if ((keep && !keep[i]) || f->size == 0) continue;
        bool w = whole || ds_is_compressed(f->path);
        for (int64_t off = 0; off < f->size;) {
            if (n == cap) {
                sized *g = realloc(v, 2 * cap * sizeof *g);
                if (!g) {
                    free(v);
                    return KILN_ENOMEM;
                }
                v = g;
                cap *= 2;
            }
            int64_t len = w ? f->size : (f->size - off < split ? f->size - off : split);
            v[n++] = (sized){{f->path, off, w ? -1 : len}, len};
            off += len;
        }
    }
    qsort(v, n, sizeof *v, by_size_desc);
    out->splits = kiln_arena_alloc(a, sizeof *out->splits * (n + 1));
    out->task_start = kiln_arena_alloc(a, sizeof *out->task_start * (n + 2));
    if (!out->splits || !out->task_start) {
        free(v);
        return KILN_ENOMEM;
    }
    /* Next fit: a task is closed when the next split would overflow it. */
    int nt = 0;
    int64_t cur = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || cur + v[i].bytes > split) {
            out->task_start[nt++] = (int)i;
            cur = 0;
        }
        cur += v[i].bytes + open_cost;
        out->splits[i] = v[i].s;
    }
    out->task_start[nt] = (int)n;
    out->nsplits = (int)n;
    out->ntasks = nt;
    out->split_bytes = split;
    free(v);
    return KILN_OK;
}
