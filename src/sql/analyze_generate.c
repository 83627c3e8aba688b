/*
 * sql/analyze_generate.c - generators in the analyser: explode,
 * explode_outer, posexplode, posexplode_outer, inline and inline_outer in
 * a SELECT list (one per SELECT, not nested in an expression, as Spark
 * allows), in LATERAL VIEW [OUTER], and in a DataFrame's select. Each
 * becomes a Generate node (PLAN_EXPLODE): the input's columns, then the
 * generated ones (col, or key and value for a map; pos first for
 * posexplode; the struct's fields for inline).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/analyze_int.h"
#include "sql/generate.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory analysing a generator");
}

bool anz_gen_lookup(const char *name, int *fn, bool *outer)
{
    static const struct {
        const char *name;
        gen_fn fn;
        bool outer;
    } gens[] = {
        {"explode", GEN_EXPLODE, false},       {"explode_outer", GEN_EXPLODE, true},
        {"posexplode", GEN_POSEXPLODE, false}, {"posexplode_outer", GEN_POSEXPLODE, true},
        {"inline", GEN_INLINE, false},         {"inline_outer", GEN_INLINE, true},
    };
    for (size_t i = 0; i < sizeof gens / sizeof gens[0]; i++)
        if (strcasecmp(name, gens[i].name) == 0) {
            if (fn) *fn = gens[i].fn;
            if (outer) *outer = gens[i].outer;
            return true;
        }
    return false;
}

/* The generator call e is, or NULL. */
static const ast_func *gen_call(const ast_expr *e)
{
    if (e->kind != AST_FUNC) return NULL;
    const ast_func *f = (const ast_func *)e;
    return !f->over && anz_gen_lookup(f->name.parts[f->name.n - 1], NULL, NULL) ? f : NULL;
}

int anz_generate(anz *z, plan *in, const ast_func *f, bool outer, const char *qual,
                 const char *const *names, int nnames, plan **out)
{
    int fn = GEN_EXPLODE;
    bool fouter = false;
    const char *fname = f->name.parts[f->name.n - 1];
    anz_gen_lookup(fname, &fn, &fouter);
    outer |= fouter;
    if (f->nargs != 1 || f->star || f->distinct)
        return anz_error(z, f->e.pos, f->e.len, "WRONG_NUM_ARGS.WITHOUT_SUGGESTION", "42605",
                         "The `%s` requires 1 parameters but the actual number is %d.", fname,
                         f->star ? 0 : f->nargs);
    binder b = {in, NULL, "a generator's argument", NULL};
    expr *arg;
    int rc = anz_bind(z, &b, f->args[0], &arg);
    if (rc) return rc;
    const col_type *t = arg->type;
    const col_type *types[3 + 64];
    bool ok = fn == GEN_INLINE
                  ? t->kind == COL_ARRAY && t->elem->kind == COL_STRUCT && t->elem->nfields <= 64
                  : t->kind == COL_ARRAY || t->kind == COL_MAP;
    if (!ok)
        return anz_error(z, f->e.pos, f->e.len, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", "42K09",
                         "Cannot resolve \"%s\" due to data type mismatch: The first parameter "
                         "requires the %s type, however \"%s\" has another type.",
                         anz_expr_name(z, &f->e),
                         fn == GEN_INLINE ? "\"ARRAY<STRUCT>\"" : "(\"ARRAY\" or \"MAP\")",
                         anz_expr_name(z, f->args[0]));
    int ngen = gen_output_types(fn, t, NULL, 0, types);
    const char *defaults[3 + 64];
    int d = 0;
    if (fn == GEN_POSEXPLODE) defaults[d++] = "pos";
    if (fn == GEN_INLINE) {
        for (int i = 0; i < t->elem->nfields; i++) defaults[d++] = t->elem->fields[i].name;
    } else if (t->kind == COL_MAP) {
        defaults[d++] = "key";
        defaults[d++] = "value";
    } else {
        defaults[d++] = "col";
    }
    if (nnames && nnames != ngen)
        return anz_error(z, f->e.pos, f->e.len, "UDTF_ALIAS_NUMBER_MISMATCH", "42802",
                         "The number of aliases supplied in the AS clause does not match the "
                         "number of columns output by the UDTF. Expected %d aliases, but got %d.",
                         ngen, nnames);
    plan *g = plan_new(z->a, PLAN_EXPLODE, &in, 1, in->ncols + ngen);
    if (!g || !(g->exprs = kiln_arena_alloc(z->a, sizeof *g->exprs))) return oom();
    g->exprs[0] = arg;
    g->outer = outer;
    g->gen = (uint8_t)fn;
    memcpy(g->cols, in->cols, sizeof *g->cols * (size_t)in->ncols);
    for (int i = 0; i < ngen; i++) {
        /* pos and a map's key are never null but in an outer row */
        int at = i - (fn == GEN_POSEXPLODE);
        bool nullable = outer || fn == GEN_INLINE;
        if (at >= 0 && fn != GEN_INLINE)
            nullable |= t->kind == COL_ARRAY ? t->contains_null : at == 1 && t->contains_null;
        g->cols[in->ncols + i] = (plan_col){nnames ? names[i] : defaults[i], qual, types[i],
                                            nullable};
    }
    *out = g;
    return KILN_OK;
}

int anz_lateral_views(anz *z, const ast_select *s, plan **from)
{
    for (int i = 0; i < s->nlaterals; i++) {
        const ast_lateral_view *lv = &s->laterals[i];
        if (!gen_call(&lv->call->e))
            return anz_error(z, lv->call->e.pos, lv->call->e.len, "UNSUPPORTED_GENERATOR", "42K0E",
                             "The generator is not supported: `%s` is not a generator.",
                             lv->call->name.parts[lv->call->name.n - 1]);
        int rc = anz_generate(z, *from, lv->call, lv->outer, lv->table, lv->cols, lv->ncols, from);
        if (rc) return rc;
    }
    return KILN_OK;
}

int anz_gen_item(anz *z, plan *in, const ast_expr *e, const char *alias, plan **gen)
{
    const ast_func *f = gen_call(e);
    if (!f) return 0;
    const char *names[1] = {alias};
    int rc = anz_generate(z, in, f, false, NULL, names, alias ? 1 : 0, gen);
    return rc ? rc : 1;
}

int anz_select_generator(anz *z, const ast_select *s, plan *from, bool aggregating, plan **gen,
                         int *item)
{
    *gen = NULL;
    *item = -1;
    for (int i = 0; i < s->nitems; i++) {
        const ast_expr *e = s->items[i].expr;
        if (!gen_call(e)) continue;
        if (*item >= 0)
            return anz_error(z, e->pos, e->len, "UNSUPPORTED_GENERATOR.MULTI_GENERATOR", "42K0E",
                             "The generator is not supported: only one generator allowed per "
                             "SELECT clause but found 2: \"%s\", \"%s\".",
                             anz_expr_name(z, s->items[*item].expr), anz_expr_name(z, e));
        if (aggregating)
            return anz_error(z, e->pos, e->len, "UNSUPPORTED_FEATURE", "0A000",
                             "a generator in an aggregating SELECT is not supported yet");
        int rc = anz_gen_item(z, from, e, s->items[i].alias, gen);
        if (rc < 0) return rc;
        *item = i;
    }
    return KILN_OK;
}

int anz_gen_misplaced(anz *z, const binder *b, const ast_func *f)
{
    bool select = b->clause && strcasecmp(b->clause, "SELECT") == 0;
    if (select)
        return anz_error(z, f->e.pos, f->e.len, "UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS",
                         "42K0E", "The generator is not supported: nested in expressions \"%s\".",
                         anz_expr_name(z, &f->e));
    return anz_error(z, f->e.pos, f->e.len, "UNSUPPORTED_GENERATOR.OUTSIDE_SELECT", "42K0E",
                     "The generator is not supported: outside the SELECT clause, found: %s (in "
                     "%s).",
                     anz_expr_name(z, &f->e), b->clause ? b->clause : "this clause");
}
