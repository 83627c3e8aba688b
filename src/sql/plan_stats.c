/*
 * sql/plan_stats.c - size estimates of plans (plan.h), what the executor
 * chooses broadcast joins by, as Spark's SizeInBytesOnlyStatsPlanVisitor
 * does: sizes come from the data (file sizes, cached bytes) and scale with
 * the width of the columns read; operators without a good guess keep their
 * input's size.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sql/plan.h"

#define UNKNOWN INT64_MAX

static int64_t type_width(const col_type *t)
{
    switch (t->kind) {
    case COL_STRING:
    case COL_BINARY:
        return 20; /* Spark's default size of a string */
    case COL_ARRAY:
    case COL_MAP:
        return 40;
    case COL_STRUCT: {
        int64_t w = 0;
        for (int i = 0; i < t->nfields; i++) w += type_width(t->fields[i].type);
        return w;
    }
    default: {
        size_t w = col_type_width(t);
        return w ? (int64_t)w : 1;
    }
    }
}

int64_t plan_row_width(const plan_col *cols, int ncols)
{
    int64_t w = 0;
    for (int i = 0; i < ncols; i++) w += type_width(cols[i].type);
    return w > 0 ? w : 1;
}

static int64_t mul_sat(int64_t a, int64_t b)
{
    int64_t r;
    return a == UNKNOWN || b == UNKNOWN || __builtin_mul_overflow(a, b, &r) ? UNKNOWN : r;
}

/* size * num / den, saturating. */
static int64_t scale(int64_t size, int64_t num, int64_t den)
{
    if (size == UNKNOWN) return UNKNOWN;
    if (den <= 0) return size;
    return (int64_t)((double)size * (double)num / (double)den);
}

/* Bytes of the regular files at path: a file, or a directory's files. */
static int64_t path_bytes(const char *path)
{
    struct stat st;
    if (stat(path, &st)) return UNKNOWN; /* a glob or missing: unknown */
    if (S_ISREG(st.st_mode)) return st.st_size;
    if (!S_ISDIR(st.st_mode)) return UNKNOWN;
    DIR *d = opendir(path);
    if (!d) return UNKNOWN;
    int64_t sum = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;
        if (fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode)) sum += st.st_size;
    }
    closedir(d);
    return sum;
}

static int64_t scan_bytes(const plan *p)
{
    int64_t sum = 0;
    const char *s = p->src.paths;
    char buf[4096];
    while (s && *s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (n >= sizeof buf) return UNKNOWN;
        memcpy(buf, s, n);
        buf[n] = 0;
        int64_t b = path_bytes(buf);
        if (b == UNKNOWN) return UNKNOWN;
        sum += b;
        s = comma ? comma + 1 : NULL;
    }
    /* The file's text holds every column: scale by the ones read. */
    int64_t all = 0;
    for (int i = 0; i < p->src.schema.n; i++) all += type_width(p->src.schema.fields[i].type);
    return scale(sum, plan_row_width(p->cols, p->ncols), all);
}

static int64_t rdd_bytes(const plan *p)
{
    int parts = 0, on_disk = 0;
    int64_t mem = 0;
    kiln_rdd_storage(p->rdd, &parts, &mem, &on_disk);
    int total = kiln_rdd_num_partitions(p->rdd);
    if (parts == 0 || total <= 0) return UNKNOWN; /* not computed yet */
    int in_mem = parts - on_disk;
    int64_t whole = scale(mem, total, in_mem > 0 ? in_mem : 1);
    if (in_mem <= 0) return UNKNOWN;
    return scale(whole, plan_row_width(p->cols, p->ncols), p->row_width ? p->row_width : 1);
}

enum { EST_FK = 1, EST_SEL = 2 };

static bool is_lit(const expr *e)
{
    return e->kind == EX_LIT || (e->kind == EX_CAST && e->args[0]->kind == EX_LIT);
}

/* A guess of the share of rows predicate e keeps, from its shape alone
 * (no statistics), in the manner of PostgreSQL's default selectivities:
 * an equality with a constant 1/10, a range bound or a comparison of two
 * columns 1/3, IN of k constants k/10, LIKE 1/4, conjunctions multiply. */
static double selectivity(const expr *e)
{
    double a, b;
    switch (e->kind) {
    case EX_AND:
        return selectivity(e->args[0]) * selectivity(e->args[1]);
    case EX_OR:
        a = selectivity(e->args[0]), b = selectivity(e->args[1]);
        return a + b - a * b;
    case EX_IS_NULL:
        return 0.1;
    case EX_NOT_NULL:
        return 0.9;
    case EX_CALL: {
        const char *n = e->fn->name;
        bool with_lit = e->nargs == 2 && (is_lit(e->args[0]) || is_lit(e->args[1]));
        if (!strcmp(n, "=") || !strcmp(n, "<=>")) return with_lit ? 0.1 : 0.33;
        if (!strcmp(n, "<") || !strcmp(n, "<=") || !strcmp(n, ">") || !strcmp(n, ">=")) return 0.33;
        if (!strcmp(n, "between")) return 0.25;
        if (!strcmp(n, "in")) return e->nargs - 1 >= 10 ? 1.0 : 0.1 * (e->nargs - 1);
        if (!strcmp(n, "like") || !strcmp(n, "rlike")) return 0.25;
        if (!strcmp(n, "not")) return 1.0 - selectivity(e->args[0]);
        return 0.5;
    }
    default:
        return 0.5;
    }
}

static int64_t est(const plan *p, int mode);

/* Rows of p guessed with selectivities (EST_SEL), UNKNOWN when unknown. */
static int64_t rows_of(const plan *p, int mode)
{
    int64_t b = est(p, mode);
    return b == UNKNOWN ? UNKNOWN : b / plan_row_width(p->cols, p->ncols);
}

/* An inner or outer join's size guessed with selectivities: an equi-join
 * as a foreign-key join, each row of the larger side meeting one of the
 * other's, scaled by the share of the other's rows its filters keep (a
 * fact joined with a filtered dimension keeps that share: TPC-H q07's
 * lineitem with the suppliers of two nations); a join by a condition
 * alone, the product of the rows scaled by the condition's selectivity. */
static int64_t join_guess(const plan *p, int mode)
{
    int64_t l = rows_of(p->in[0], mode), r = rows_of(p->in[1], mode);
    if (l == UNKNOWN || r == UNKNOWN) return UNKNOWN;
    double rows;
    if (p->nkeys) {
        const plan *small = l > r ? p->in[1] : p->in[0];
        int64_t kept = l > r ? r : l, all = rows_of(small, mode & ~EST_SEL);
        rows = (double)(l > r ? l : r);
        if (all != UNKNOWN && all > 0 && kept < all) rows = rows * (double)kept / (double)all;
    } else {
        rows = (double)l * (double)r;
    }
    if (p->pred) rows *= selectivity(p->pred);
    if (p->join == PJ_LEFT || p->join == PJ_FULL) rows = rows > l ? rows : (double)l;
    if (p->join == PJ_RIGHT || p->join == PJ_FULL) rows = rows > r ? rows : (double)r;
    double bytes = rows * (double)plan_row_width(p->cols, p->ncols);
    return bytes >= (double)UNKNOWN ? UNKNOWN : (int64_t)bytes;
}

static int64_t est(const plan *p, int mode)
{
    switch (p->kind) {
    case PLAN_SCAN:
        return scan_bytes(p);
    case PLAN_RDD:
        return rdd_bytes(p);
    case PLAN_VALUES: {
        int64_t rows = 0;
        for (int i = 0; i < p->nbatches; i++) rows += col_batch_live(&p->batches[i]);
        return mul_sat(rows, plan_row_width(p->cols, p->ncols));
    }
    case PLAN_RANGE: {
        __int128 span = (__int128)p->end - p->start;
        __int128 rows = p->step ? span / p->step : 0;
        if (rows < 0) rows = 0;
        return rows > UNKNOWN / 8 ? UNKNOWN : (int64_t)rows * 8;
    }
    case PLAN_PROJECT:
    case PLAN_AGG:
    case PLAN_EXPLODE:
    case PLAN_WINDOW:
    case PLAN_DISTINCT: {
        if (p->kind == PLAN_AGG && p->nkeys == 0) return plan_row_width(p->cols, p->ncols);
        int64_t in = est(p->in[0], mode);
        return scale(in, plan_row_width(p->cols, p->ncols),
                     plan_row_width(p->in[0]->cols, p->in[0]->ncols));
    }
    case PLAN_FILTER:
        if (mode & EST_SEL) {
            int64_t in = est(p->in[0], mode);
            return in == UNKNOWN ? in : (int64_t)((double)in * selectivity(p->pred));
        }
        return est(p->in[0], mode);
    case PLAN_SORT:
    case PLAN_WINDOW_LIMIT:
        return est(p->in[0], mode);
    case PLAN_LIMIT: {
        int64_t in = est(p->in[0], mode);
        int64_t cap = mul_sat(p->limit, plan_row_width(p->cols, p->ncols));
        return in < cap ? in : cap;
    }
    case PLAN_UNION: {
        int64_t sum = 0;
        for (int i = 0; i < p->nin; i++) {
            int64_t b = est(p->in[i], mode);
            if (b == UNKNOWN || __builtin_add_overflow(sum, b, &sum)) return UNKNOWN;
        }
        return sum;
    }
    case PLAN_JOIN:
        if (p->join == PJ_SEMI || p->join == PJ_ANTI) return est(p->in[0], mode);
        if (mode & EST_SEL) return join_guess(p, mode);
        if ((mode & EST_FK) && p->nkeys) { /* each row of the larger side meets one of the other */
            int64_t l = est(p->in[0], mode), r = est(p->in[1], mode);
            int64_t rows = l > r ? l / plan_row_width(p->in[0]->cols, p->in[0]->ncols)
                                 : r / plan_row_width(p->in[1]->cols, p->in[1]->ncols);
            return l == INT64_MAX || r == INT64_MAX
                       ? INT64_MAX
                       : mul_sat(rows, plan_row_width(p->cols, p->ncols));
        }
        return mul_sat(est(p->in[0], mode), est(p->in[1], mode));
    default:
        return UNKNOWN;
    }
}

int64_t plan_est_bytes(const plan *p)
{
    return est(p, 0);
}

int64_t plan_est_bytes_fk(const plan *p)
{
    return est(p, EST_FK);
}

bool plan_size_uncertain(const plan *p)
{
    if (p->kind == PLAN_JOIN && (p->join == PJ_SEMI || p->join == PJ_ANTI)) return true;
    if (p->kind == PLAN_FILTER && p->in[0]->kind == PLAN_AGG) return true;
    for (int i = 0; i < p->nin; i++)
        if (plan_size_uncertain(p->in[i])) return true;
    return false;
}

static bool has_filter(const plan *p)
{
    if (p->kind == PLAN_FILTER) return true;
    for (int i = 0; i < p->nin; i++)
        if (has_filter(p->in[i])) return true;
    return false;
}

int64_t plan_est_bytes_guess(const plan *p)
{
    return est(p, EST_FK | EST_SEL);
}

bool plan_worth_measuring(const plan *p, int64_t limit)
{
    if (plan_size_uncertain(p)) return est(p, EST_FK) / 16 <= limit;
    return has_filter(p) && est(p, EST_FK | EST_SEL) / 4 <= limit;
}
