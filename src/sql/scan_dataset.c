/*
 * sql/scan_dataset.c - datasets in the SQL layer (scan_int.h): a file
 * source's schema with its Hive partition columns, filter pushdown into
 * PLAN_SCAN (Spark's PushedFilters / PartitionFilters), partition pruning
 * and split packing when a scan's tasks are planned, and the pushed
 * filters as ds_filters in a task.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/scan_int.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory planning a file scan");
}

/* ---- Schema ------------------------------------------------------------------ */

/* The schema of a dataset with its partition columns (see scan_int.h). */
int scan_dataset_schema(kiln_arena *a, const char *fmt, const char *paths, const ds_options *o,
                        const col_schema *user, col_schema *out, const char **base, int *npart,
                        int **pos)
{
    ds_dataset d;
    col_schema ddl;
    int rc;
    /* The `schema` option names partition columns as a reader's schema does. */
    if (!user && ds_options_get(o, "schema")) {
        if ((rc = ds_infer_schema(fmt, paths, o, a, &ddl))) return rc;
        user = &ddl;
    }
    if ((rc = ds_dataset_list(paths, o, user, a, &d))) return rc;
    if ((rc = ds_dataset_schema_pos(fmt, &d, o, user, a, out, pos))) return rc;
    *base = d.base;
    *npart = d.parts.n;
    return KILN_OK;
}

/* ---- Pushdown ------------------------------------------------------------------- */

static const struct {
    const char *fn;
    uint8_t op, flipped;
    const char *spark;
} cmp_ops[] = {
    {"=", DS_F_EQ, DS_F_EQ, "EqualTo"},
    {"==", DS_F_EQ, DS_F_EQ, "EqualTo"},
    {"<=>", DS_F_EQ_NULL_SAFE, DS_F_EQ_NULL_SAFE, "EqualNullSafe"},
    {"<", DS_F_LT, DS_F_GT, "LessThan"},
    {"<=", DS_F_LE, DS_F_GE, "LessThanOrEqual"},
    {">", DS_F_GT, DS_F_LT, "GreaterThan"},
    {">=", DS_F_GE, DS_F_LE, "GreaterThanOrEqual"},
};

static const char *spark_name(uint8_t op)
{
    switch (op) {
    case DS_F_IN:
        return "In";
    case DS_F_IS_NULL:
        return "IsNull";
    case DS_F_IS_NOT_NULL:
        return "IsNotNull";
    default:
        for (size_t i = 0; i < sizeof cmp_ops / sizeof cmp_ops[0]; i++)
            if (cmp_ops[i].op == op) return cmp_ops[i].spark;
        return "?";
    }
}

/* Whether e is a literal of exactly type t. */
static bool lit_of(const expr *e, const col_type *t)
{
    return e->kind == EX_LIT && col_type_eq(e->type, t);
}

/* c as a pushed filter over scan s (false when it is not one). */
static bool pushable(const opt *o, const plan *s, expr *c, plan_pushed *out)
{
    kiln_arena *a = o->a;
    *out = (plan_pushed){0};
    out->text = c->text;
    if ((c->kind == EX_IS_NULL || c->kind == EX_NOT_NULL) && c->args[0]->kind == EX_COL) {
        out->col = s->proj[c->args[0]->col];
        out->op = c->kind == EX_IS_NULL ? DS_F_IS_NULL : DS_F_IS_NOT_NULL;
        return true;
    }
    if (c->kind != EX_CALL || c->nargs < 2) return false;
    if (strcmp(c->fn->name, "in") == 0) {
        const expr *col = scan_cast_col(c->args[0]);
        if (!col) return false;
        expr **vals = kiln_arena_alloc(a, sizeof *vals * (size_t)c->nargs);
        if (!vals) return false;
        for (int i = 1; i < c->nargs; i++)
            if (!(vals[i - 1] = lit_of(c->args[i], col->type)
                                    ? c->args[i]
                                    : scan_cast_lit(a, o, c->args[0], col, c->args[i])))
                return false;
        out->col = s->proj[col->col];
        out->op = DS_F_IN;
        out->nvals = c->nargs - 1;
        out->vals = vals;
        return true;
    }
    if (c->nargs != 2) return false;
    for (size_t i = 0; i < sizeof cmp_ops / sizeof cmp_ops[0]; i++) {
        if (strcmp(c->fn->name, cmp_ops[i].fn)) continue;
        const expr *col = scan_cast_col(c->args[0]);
        int ci = col ? 0 : (col = scan_cast_col(c->args[1])) ? 1 : -1;
        if (ci < 0) return false;
        expr *k = c->args[1 - ci];
        expr *v = lit_of(k, col->type) ? k : scan_cast_lit(a, o, c->args[ci], col, k);
        if (!v) return false;
        out->col = s->proj[col->col];
        out->op = ci == 0 ? cmp_ops[i].op : cmp_ops[i].flipped;
        out->nvals = 1;
        out->vals = kiln_arena_alloc(a, sizeof *out->vals);
        if (!out->vals) return false;
        out->vals[0] = v;
        return true;
    }
    return false;
}

/* The filter pushdown pass (see scan_int.h). */
int opt_push_scan_filters(opt *o, plan *p, plan **out)
{
    plan *q;
    int rc = opt_map_inputs(o, p, opt_push_scan_filters, &q);
    if (rc) return rc;
    *out = q;
    if (q->kind != PLAN_FILTER || q->in[0]->kind != PLAN_SCAN || q->in[0]->src.npushed) return 0;
    const plan *s = q->in[0];
    expr **cs = NULL;
    int n = 0, cap = 0;
    if ((rc = expr_conjuncts(o->a, q->pred, &cs, &n, &cap))) return rc;
    plan_pushed *pp = kiln_arena_alloc(o->a, sizeof *pp * (size_t)(n + 1));
    if (!pp) return oom();
    int k = 0;
    for (int i = 0; i < n; i++)
        if (pushable(o, s, cs[i], &pp[k]) || scan_part_expr(o->a, s, cs[i], &pp[k])) k++;
    if (!k) return KILN_OK;
    plan *ns = opt_copy_node(o->a, s);
    plan *nf = q == p ? opt_copy_node(o->a, q) : q;
    if (!ns || !nf) return oom();
    ns->src.pushed = pp;
    ns->src.npushed = k;
    nf->in[0] = ns;
    *out = nf;
    return KILN_OK;
}

/* Appends the literal text of e (strings without their quotes, as Spark). */
static int put_lit(kiln_buf *b, const expr *e)
{
    if (col_type_is_integral(e->type) && e->lit.n && col_valid(&e->lit, 0)) {
        kiln_value v;
        char tmp[32];
        if (col_vec_get_value(&e->lit, 0, NULL, &v) == KILN_OK && v.type == KILN_INT)
            return kiln_buf_append(b, tmp,
                                   (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v.u.i));
    }
    const char *t = e->text ? e->text : "?";
    size_t n = strlen(t);
    if (n >= 2 && t[0] == '\'' && t[n - 1] == '\'') return kiln_buf_append(b, t + 1, n - 2);
    return kiln_buf_append(b, t, n);
}

static int put(kiln_buf *b, const char *s)
{
    return kiln_buf_append(b, s, strlen(s));
}

/* The EXPLAIN text of p's pushed filters (see scan_int.h). */
int plan_explain_scan(kiln_buf *b, const plan *p)
{
    const plan_source *s = &p->src;
    if (!s->npushed) return KILN_OK;
    int ndata = s->schema.n - s->npart, rc = KILN_OK;
    for (int part = 1; part >= 0 && !rc; part--) {
        rc = put(b, part ? ", PartitionFilters: [" : ", PushedFilters: [");
        bool first = true;
        for (int i = 0; !rc && i < s->npushed; i++) {
            const plan_pushed *f = &s->pushed[i];
            if ((f->col >= ndata) != (part == 1)) continue;
            if (!first) rc = put(b, ", ");
            first = false;
            if (part) {
                if (!rc) rc = put(b, f->text ? f->text : "?");
                continue;
            }
            if (!rc) rc = put(b, spark_name(f->op));
            if (!rc) rc = put(b, "(");
            if (!rc) rc = put(b, s->schema.fields[f->col].name);
            if (!rc && f->nvals) rc = put(b, f->op == DS_F_IN ? ", [" : ",");
            for (int v = 0; !rc && v < f->nvals; v++) {
                if (v) rc = put(b, ",");
                if (!rc) rc = put_lit(b, f->vals[v]);
            }
            if (!rc && f->op == DS_F_IN) rc = put(b, "]");
            if (!rc) rc = put(b, ")");
        }
        if (!rc) rc = put(b, "]");
    }
    return rc;
}

/* ---- Wire ------------------------------------------------------------------------- */

/* Writes the dataset fields of s (see scan_int.h). */
void scan_put_dataset(wire_writer *w, const plan_source *s)
{
    wire_put_u8(w, s->base != NULL);
    if (s->base) wire_put_str(w, s->base);
    wire_put_u32(w, (uint32_t)s->npart);
    uint32_t nsent = 0;
    for (int i = 0; i < s->npushed; i++) nsent += s->pushed[i].op != SCAN_PUSHED_PART_EXPR;
    wire_put_u32(w, nsent);
    for (int i = 0; i < s->npushed; i++) {
        const plan_pushed *f = &s->pushed[i];
        if (f->op == SCAN_PUSHED_PART_EXPR) continue;
        wire_put_u32(w, (uint32_t)f->col);
        wire_put_u8(w, f->op);
        wire_put_u32(w, (uint32_t)f->nvals);
        for (int v = 0; v < f->nvals; v++) expr_encode(w, f->vals[v]);
    }
}

static const char *get_str(wire_reader *r, kiln_arena *a, const char *field)
{
    size_t n;
    const uint8_t *p = wire_get_bytes(r, 1u << 20, &n, field);
    char *s = p ? kiln_arena_alloc(a, n + 1) : NULL;
    if (!s) return NULL;
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

/* Reads the dataset fields into s (see scan_int.h). */
int scan_get_dataset(wire_reader *r, kiln_arena *a, bool ansi, const char *tz, plan_source *s)
{
    s->base = wire_get_u8(r, "base") ? get_str(r, a, "base") : NULL;
    uint32_t np = wire_get_u32(r, "partition columns");
    uint32_t nf = wire_get_u32(r, "pushed filters");
    if (r->err || np > (uint32_t)s->schema.n || nf > 4096) return KILN_ECORRUPT;
    s->npart = (int)np;
    s->npushed = (int)nf;
    s->pushed = kiln_arena_alloc(a, sizeof *s->pushed * (nf ? nf : 1));
    if (!s->pushed) return KILN_ENOMEM;
    for (uint32_t i = 0; i < nf; i++) {
        plan_pushed *f = &s->pushed[i];
        *f = (plan_pushed){0};
        f->col = (int)wire_get_u32(r, "pushed column");
        f->op = wire_get_u8(r, "pushed op");
        uint32_t nv = wire_get_u32(r, "pushed values");
        if (r->err || f->col < 0 || f->col >= s->schema.n || f->op > DS_F_IS_NOT_NULL || nv > 65536)
            return KILN_ECORRUPT;
        f->nvals = (int)nv;
        f->vals = kiln_arena_alloc(a, sizeof *f->vals * (nv ? nv : 1));
        if (!f->vals) return KILN_ENOMEM;
        for (uint32_t v = 0; v < nv; v++) {
            int rc = expr_decode(r, a, ansi, tz, &f->vals[v]);
            if (rc) return rc;
            if (f->vals[v]->kind != EX_LIT) return KILN_ECORRUPT;
        }
    }
    return KILN_OK;
}

/* ---- Tasks ---------------------------------------------------------------------------- */

/* One pushed filter as a ds_filter (values in a). */
static int to_filter(const plan_pushed *f, const col_type *t, kiln_arena *a, ds_filter *out)
{
    *out = (ds_filter){.col = f->col, .op = f->op};
    if (f->nvals == 0) return KILN_OK;
    if (f->nvals == 1) {
        out->values = f->vals[0]->lit;
        return KILN_OK;
    }
    int rc = col_vec_init(&out->values, a, t, (uint32_t)f->nvals);
    if (!rc) rc = col_vec_add_validity(&out->values, a, (uint32_t)f->nvals);
    for (int v = 0; !rc && v < f->nvals; v++)
        rc = col_vec_copy_row(&out->values, a, (uint32_t)v, &f->vals[v]->lit, 0);
    out->values.n = (uint32_t)f->nvals;
    return rc;
}

/* p's pushed filters as ds_filters (see scan_int.h). */
int scan_filters(const plan *p, kiln_arena *a, ds_filter **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!p->src.npushed) return KILN_OK;
    ds_filter *f = kiln_arena_alloc(a, sizeof *f * (size_t)p->src.npushed);
    if (!f) return oom();
    int k = 0;
    for (int i = 0; i < p->src.npushed; i++) {
        if (p->src.pushed[i].op == SCAN_PUSHED_PART_EXPR) continue;
        int rc = to_filter(&p->src.pushed[i], p->src.schema.fields[p->src.pushed[i].col].type, a,
                           &f[k++]);
        if (rc) return rc;
    }
    *out = f;
    *n = k;
    return KILN_OK;
}

/* Which files of d survive p's pushed filters on partition columns. */
static int prune(const plan *p, const ds_dataset *d, kiln_arena *a, bool **keep)
{
    *keep = NULL;
    int ndata = p->src.schema.n - p->src.npart;
    if (!d->ndirs || !p->src.npart) return KILN_OK;
    bool *dir_ok = kiln_arena_alloc(a, sizeof *dir_ok * (size_t)d->ndirs);
    bool *k = kiln_arena_alloc(a, sizeof *k * (size_t)(d->nfiles + 1));
    if (!dir_ok || !k) return oom();
    for (int i = 0; i < d->ndirs; i++) dir_ok[i] = true;
    for (int i = 0; i < p->src.npushed; i++) {
        const plan_pushed *f = &p->src.pushed[i];
        if (f->col < ndata || f->op == SCAN_PUSHED_PART_EXPR) continue;
        const char *name = p->src.schema.fields[f->col].name;
        int c = 0;
        while (c < d->parts.n && strcasecmp(d->parts.fields[c].name, name)) c++;
        if (c == d->parts.n || !col_type_eq(d->parts.fields[c].type, d->values[c].type)) continue;
        ds_filter df;
        int rc = to_filter(f, d->parts.fields[c].type, a, &df);
        if (rc) return rc;
        for (int r = 0; r < d->ndirs; r++)
            if (dir_ok[r] && !ds_filter_may_match(&df, &d->values[c], (uint32_t)r))
                dir_ok[r] = false;
    }
    int rc = scan_prune_exprs(p, d, a, dir_ok);
    if (rc) return rc;
    for (int i = 0; i < d->nfiles; i++) k[i] = d->files[i].dir < 0 || dir_ok[d->files[i].dir];
    *keep = k;
    return KILN_OK;
}

/* The tasks of scan p (see scan_int.h). */
int scan_plan_tasks(const plan *p, int min_parts, kiln_arena *a, kiln_value **vals, int *n)
{
    return scan_plan_tasks_set(p, NULL, min_parts, a, vals, n);
}

/* Sets key to v unless o has it. */
static int conf_default(ds_options *o, const char *key, int64_t v)
{
    if (v <= 0 || ds_options_get(o, key)) return KILN_OK;
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    return ds_options_set(o, key, b);
}

int scan_plan_tasks_set(const plan *p, const sql_settings *set, int min_parts, kiln_arena *a,
                        kiln_value **vals, int *n)
{
    *vals = NULL;
    *n = 0;
    ds_options *o = ds_options_new();
    if (!o) return oom();
    int rc = KILN_OK;
    for (int i = 0; !rc && i < p->src.nopts; i++)
        rc = ds_options_set(o, p->src.keys[i], p->src.values[i]);
    if (!rc && set) rc = conf_default(o, "maxPartitionBytes", set->files_max_bytes);
    if (!rc && set && set->files_open_cost > 0 && !ds_options_get(o, "openCostInBytes")) {
        char b[32];
        snprintf(b, sizeof b, "%lld", (long long)(set->files_open_cost - 1));
        rc = ds_options_set(o, "openCostInBytes", b);
    }
    if (!rc && set) rc = conf_default(o, "minPartitionNum", set->files_min_parts);
    /* The partition columns keep the types the plan was made with. */
    int ndata = p->src.schema.n - p->src.npart;
    col_schema parts = {p->src.npart, p->src.schema.fields + ndata};
    ds_dataset d;
    if (!rc) rc = ds_dataset_list(p->src.paths, o, p->src.npart ? &parts : NULL, a, &d);
    bool *keep = NULL;
    if (!rc) rc = prune(p, &d, a, &keep);
    ds_scan_plan sp;
    if (!rc) rc = ds_dataset_plan(p->src.format, &d, keep, o, min_parts, a, &sp);
    ds_options_free(o);
    if (rc) return rc;
    kiln_value *v = kiln_arena_alloc(a, sizeof *v * (size_t)(sp.ntasks + 1));
    if (!v) return oom();
    for (int t = 0; t < sp.ntasks; t++) {
        int lo = sp.task_start[t], hi = sp.task_start[t + 1];
        kiln_value *items = kiln_arena_alloc(a, sizeof *items * (size_t)(hi - lo));
        if (!items) return oom();
        for (int i = lo; i < hi; i++) {
            kiln_value one[3] = {kiln_cstr(a, sp.splits[i].path), kiln_int(sp.splits[i].start),
                                 kiln_int(sp.splits[i].len)};
            items[i - lo] = kiln_tuple_new(a, one, 3);
            if (one[0].type == KILN_NULL || items[i - lo].type == KILN_NULL) return oom();
        }
        v[t] = kiln_tuple_new(a, items, (size_t)(hi - lo));
        if (v[t].type == KILN_NULL) return oom();
    }
    *vals = v;
    *n = sp.ntasks;
    return KILN_OK;
}
