/*
 * ml/load_csv.c - kiln_ml_load_csv: delimited text of numbers as labeled
 * points with dense features.
 *
 * Each line holds the same number of columns as the first data line of its
 * file (the first non-blank line, after the header when there is one);
 * column label_column is the label and the others, in order, the features.
 * Fields may carry spaces around the number; blank lines are skipped (as
 * Spark's CSV reader does). No quoting: a field is a number. The RDD is a
 * flat_map over kiln_text_file_with_offsets, so errors name the file, line
 * and 1-based column.
 *
 * The column count of a file is remembered per thread for the task being
 * run: a task reads its split's lines in order, so one that starts at the
 * beginning of the file meets the first data line itself; one that starts
 * further on reads the beginning of the file once to find it.
 */
#include <math.h>
#include <string.h>

#include "io/io.h"
#include "ml/parse.h"

typedef struct csv_env {
    char delim;
    int label;
    bool header;
} csv_env;

/* What the running task knows of the file it reads. flat_map gives a
 * function no per-task state, so it lives here, keyed by the task and the
 * file; a record at or before the last offset seen means another pass (a
 * new task, or a second input read in turns) and starts over. */
typedef struct csv_file_state {
    const kiln_task *task;
    int stage, partition, attempt;
    const char *file;    /* kiln_task_input_file: stable while the RDD lives */
    int64_t last_offset; /* of the last line seen */
    int64_t ncols;       /* of the file's first data line; 0 while unknown */
    bool from_start;     /* the task read the file from its first line */
} csv_file_state;

static _Thread_local csv_file_state cur;

static const double no_features[1];

static inline bool is_pad(char c, char delim)
{
    return (c == ' ' || c == '\t' || c == '\r') && c != delim;
}

static bool is_blank_line(const char *s, size_t len, char delim)
{
    for (size_t i = 0; i < len; i++)
        if (!is_pad(s[i], delim)) return false;
    return true;
}

static int64_t count_columns(const char *s, const char *end, char delim)
{
    int64_t n = 1;
    for (; (s = memchr(s, delim, (size_t)(end - s))); s++) n++;
    return n;
}

/* Finds the column count of the first data line of file by reading its
 * beginning (a growing prefix: the first lines are usually short). */
static int first_data_columns(kiln_task *t, const char *file, const csv_env *e, int64_t *ncols)
{
    for (int64_t span = 64 << 10;; span = span > INT64_MAX / 16 ? INT64_MAX : span * 16) {
        /* The reader borrows the split and copies the path. */
        io_split sp = {.path = (char *)file, .start = 0, .length = span};
        io_line_reader *rd;
        if (io_line_reader_open(&sp, &rd) != KILN_OK)
            return kiln_task_fail(t, "%s", kiln_last_error());
        const char *line;
        size_t len;
        int rc;
        for (;;) {
            int64_t at = io_line_reader_offset(rd);
            if ((rc = io_line_reader_next(rd, &line, &len)) != 1) break;
            if ((e->header && at == 0) || is_blank_line(line, len, e->delim)) continue;
            *ncols = count_columns(line, line + len, e->delim);
            break;
        }
        io_line_reader_close(rd);
        if (rc < 0) return kiln_task_fail(t, "%s", kiln_last_error());
        if (rc == 1) return KILN_OK;
        if (span == INT64_MAX)
            return kiln_task_fail(t, "%s: no data line found at the start of the file", file);
    }
}

/* The field at p for a message: up to the next delimiter, at most 40 bytes. */
static int field_len(const char *p, const char *end, char delim)
{
    const char *q = p;
    while (q < end && *q != delim && q - p < 40) q++;
    return (int)(q - p);
}

static int csv_line(kiln_task *t, const kiln_value *in, kiln_out *out, const void *envp)
{
    const csv_env *e = envp;
    int64_t off = in->u.items[0].u.i;
    const char *s = in->u.items[1].u.s, *end = s + in->u.items[1].len;
    const char *file = kiln_task_input_file(t);
    if (cur.task != t || cur.stage != kiln_task_stage(t) ||
        cur.partition != kiln_task_partition(t) || cur.attempt != kiln_task_attempt(t) ||
        cur.file != file || off <= cur.last_offset)
        cur = (csv_file_state){.task = t,
                               .stage = kiln_task_stage(t),
                               .partition = kiln_task_partition(t),
                               .attempt = kiln_task_attempt(t),
                               .file = file,
                               .from_start = off == 0};
    cur.last_offset = off;
    if (e->header && off == 0) return KILN_OK;
    if (is_blank_line(s, (size_t)(end - s), e->delim)) return KILN_OK;
    if (cur.ncols == 0) {
        if (cur.from_start) {
            cur.ncols = count_columns(s, end, e->delim);
        } else {
            int rc = first_data_columns(t, file, e, &cur.ncols);
            if (rc) return rc;
        }
    }
    int64_t ncols = cur.ncols;
    if (e->label >= ncols)
        return ml_line_fail(t, off, 0,
                            "label_column %d is past the last column: the file's first data "
                            "line has %lld columns",
                            e->label, (long long)ncols);

    size_t nf = (size_t)(ncols - 1);
    kiln_arena *a = kiln_task_arena(t);
    double *f = nf ? kiln_arena_alloc(a, nf * sizeof *f) : NULL;
    if (nf && !f) return KILN_ENOMEM;
    double label = 0;
    size_t k = 0;
    int64_t col = 0; /* 0-based column of the field at p */
    for (const char *p = s;; col++) {
        if (col == ncols)
            return ml_line_fail(t, off, 0, "%lld columns, but the file's first data line has %lld",
                                (long long)(col + count_columns(p, end, e->delim)),
                                (long long)ncols);
        const char *field = p;
        while (p < end && is_pad(*p, e->delim)) p++;
        double x;
        const char *q = ml_parse_double(p, end, &x);
        const char *r = q;
        while (r < end && is_pad(*r, e->delim)) r++;
        if (q == p || (r < end && *r != e->delim)) {
            int n = field_len(field, end, e->delim);
            if (n == 0 || is_blank_line(field, (size_t)n, e->delim))
                return ml_line_fail(t, off, (int)col + 1, "empty field");
            return ml_line_fail(t, off, (int)col + 1, "not a number: \"%.*s\"", n, field);
        }
        if (!isfinite(x))
            return ml_line_fail(t, off, (int)col + 1, "%.*s is not a finite number", (int)(q - p),
                                p);
        if (col == e->label) label = x;
        else f[k++] = x;
        if (r == end) break;
        p = r + 1;
    }
    if (col + 1 < ncols)
        return ml_line_fail(t, off, 0, "%lld columns, but the file's first data line has %lld",
                            (long long)(col + 1), (long long)ncols);
    kiln_value pt = kiln_ml_point(a, label, kiln_vec_ref(nf ? f : no_features, nf));
    if (pt.type == KILN_NULL) return KILN_ENOMEM;
    return kiln_emit(out, &pt);
}

kiln_rdd *kiln_ml_load_csv(kiln_context *ctx, const char *path, const kiln_ml_csv_options *opt,
                           int min_partitions)
{
    if (!ctx || !path || !opt) {
        kiln_set_error(KILN_EINVAL, "load_csv: NULL argument");
        return NULL;
    }
    csv_env env = {.delim = opt->delimiter ? opt->delimiter : ',',
                   .label = opt->label_column,
                   .header = opt->header};
    if (env.label < 0) {
        kiln_set_error(KILN_EINVAL, "load_csv: label_column %d is negative", env.label);
        return NULL;
    }
    if (strchr("\n.+-eE0123456789", env.delim)) {
        kiln_set_error(KILN_EINVAL, "load_csv: delimiter 0x%02x cannot separate numbers",
                       (unsigned char)env.delim);
        return NULL;
    }
    if (min_partitions <= 0) { /* as kiln_text_file */
        int d = kiln_context_default_parallelism(ctx);
        min_partitions = d < 2 ? d : 2;
    }
    kiln_rdd *lines = kiln_text_file_with_offsets(ctx, path, min_partitions);
    kiln_rdd *points = kiln_rdd_flat_map(lines, csv_line, &env, sizeof env);
    kiln_rdd_free(lines); /* points keeps it: only points is the caller's */
    return points;
}
