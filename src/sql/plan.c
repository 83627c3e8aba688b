/*
 * sql/plan.c - making plan nodes and printing them (plan.h).
 */
#include "sql/plan.h"
#include "sql/scan_int.h"

#include <stdio.h>
#include <string.h>

plan *plan_new(kiln_arena *a, plan_kind kind, plan **in, int nin, int ncols)
{
    plan *p = kiln_arena_alloc(a, sizeof *p);
    if (!p) return NULL;
    memset(p, 0, sizeof *p);
    p->kind = (uint8_t)kind;
    p->nin = nin;
    p->in = kiln_arena_alloc(a, sizeof *p->in * (size_t)(nin ? nin : 1));
    p->ncols = ncols;
    p->cols = kiln_arena_alloc(a, sizeof *p->cols * (size_t)(ncols ? ncols : 1));
    if (!p->in || !p->cols) return NULL;
    if (nin) memcpy(p->in, in, sizeof *in * (size_t)nin);
    memset(p->cols, 0, sizeof *p->cols * (size_t)(ncols ? ncols : 1));
    return p;
}

static int put(kiln_buf *b, const char *s)
{
    return kiln_buf_append(b, s, strlen(s));
}

static int put_expr_list(kiln_buf *b, expr *const *e, int n)
{
    int rc = KILN_OK;
    for (int i = 0; !rc && i < n; i++) {
        if (i) rc = put(b, ", ");
        if (!rc) rc = put(b, e[i]->text && *e[i]->text ? e[i]->text : "?");
    }
    return rc;
}

static const char *const kind_names[] = {
    [PLAN_SCAN] = "Scan",       [PLAN_VALUES] = "LocalRelation",
    [PLAN_RANGE] = "Range",     [PLAN_RDD] = "InMemoryRelation",
    [PLAN_PROJECT] = "Project", [PLAN_FILTER] = "Filter",
    [PLAN_AGG] = "Aggregate",   [PLAN_JOIN] = "Join",
    [PLAN_SORT] = "Sort",       [PLAN_LIMIT] = "Limit",
    [PLAN_UNION] = "Union",     [PLAN_EXPLODE] = "Generate",
    [PLAN_WINDOW] = "Window",   [PLAN_DISTINCT] = "Distinct",
    [PLAN_INPUT] = "Input",     [PLAN_BROADCAST] = "BroadcastInput",
};

static const char *const join_names[] = {"Inner",    "LeftOuter", "RightOuter", "FullOuter",
                                         "LeftSemi", "LeftAnti",  "Cross"};

int plan_explain_line(kiln_buf *b, const plan *p, const char *name)
{
    if (!name && p->kind == PLAN_WINDOW_LIMIT) name = "WindowGroupLimit";
    int rc = put(b, name ? name : kind_names[p->kind]);
    if (rc) return rc;
    char tmp[128];
    switch (p->kind) {
    case PLAN_SCAN:
        rc = put(b, " ");
        if (!rc) rc = put(b, p->src.format);
        if (!rc) rc = put(b, " ");
        if (!rc) rc = put(b, p->src.paths);
        if (!rc) rc = plan_explain_scan(b, p);
        break;
    case PLAN_PROJECT:
        rc = put(b, " [");
        if (!rc) rc = put_expr_list(b, p->exprs, p->ncols);
        if (!rc) rc = put(b, "]");
        break;
    case PLAN_FILTER:
        rc = put(b, " ");
        if (!rc) rc = put(b, p->pred->text);
        break;
    case PLAN_AGG:
        rc = put(b, " [");
        if (!rc) rc = put_expr_list(b, p->keys, p->nkeys);
        if (!rc) rc = put(b, "], [");
        for (int i = 0; !rc && i < p->naggs; i++) {
            if (i) rc = put(b, ", ");
            if (!rc) rc = put(b, p->cols[p->nkeys + i].name);
        }
        if (!rc) rc = put(b, "]");
        break;
    case PLAN_JOIN:
        rc = put(b, " ");
        if (!rc) rc = put(b, join_names[p->join]);
        for (int i = 0; !rc && i < p->nkeys; i++) {
            rc = put(b, i ? " AND " : ", ");
            if (!rc) rc = put(b, p->keys[i]->text);
            if (!rc) rc = put(b, " = ");
            if (!rc) rc = put(b, p->rkeys[i]->text);
        }
        if (!rc && p->pred) {
            rc = put(b, p->nkeys ? " AND " : ", ");
            if (!rc) rc = put(b, p->pred->text);
        }
        break;
    case PLAN_SORT:
        rc = put(b, " [");
        for (int i = 0; !rc && i < p->norder; i++) {
            if (i) rc = put(b, ", ");
            if (!rc) rc = put(b, p->order[i].e->text);
            if (!rc) rc = put(b, p->order[i].desc ? " DESC" : " ASC");
            if (!rc) rc = put(b, p->order[i].nulls_first ? " NULLS FIRST" : " NULLS LAST");
        }
        if (!rc) rc = put(b, "]");
        break;
    case PLAN_WINDOW:
        rc = plan_explain_window(b, p);
        break;
    case PLAN_WINDOW_LIMIT:
        rc = plan_explain_window_limit(b, p);
        break;
    case PLAN_LIMIT:
        snprintf(tmp, sizeof tmp, " %lld", (long long)p->limit);
        rc = put(b, tmp);
        if (!rc && p->offset) {
            snprintf(tmp, sizeof tmp, " OFFSET %lld", (long long)p->offset);
            rc = put(b, tmp);
        }
        break;
    case PLAN_EXPLODE: {
        static const char *const gens[] = {"explode", "posexplode", "inline", "replicate"};
        snprintf(tmp, sizeof tmp, " %s%s(", p->gen < 4 ? gens[p->gen] : "?",
                 p->outer ? "_outer" : "");
        rc = put(b, tmp);
        if (!rc) rc = put(b, p->exprs[0]->text);
        if (!rc) rc = put(b, ")");
        break;
    }
    case PLAN_RANGE:
        snprintf(tmp, sizeof tmp, " (%lld, %lld, step=%lld, splits=%d)", (long long)p->start,
                 (long long)p->end, (long long)p->step, p->slices);
        rc = put(b, tmp);
        break;
    default:
        break;
    }
    if (!rc && p->ncols && p->kind != PLAN_PROJECT && p->kind != PLAN_AGG) {
        rc = put(b, " [");
        for (int i = 0; !rc && i < p->ncols; i++) {
            if (i) rc = put(b, ", ");
            if (!rc) rc = put(b, p->cols[i].name);
        }
        if (!rc) rc = put(b, "]");
    }
    if (!rc) rc = put(b, "\n");
    return rc;
}

int plan_explain_indent(kiln_buf *b, int depth)
{
    int rc = KILN_OK;
    for (int i = 0; !rc && i < depth; i++) rc = put(b, i + 1 == depth ? "+- " : "   ");
    return rc;
}

static int explain(kiln_buf *b, const plan *p, int depth)
{
    int rc = plan_explain_indent(b, depth);
    if (!rc) rc = plan_explain_line(b, p, NULL);
    for (int i = 0; !rc && i < p->nin; i++) rc = explain(b, p->in[i], depth + 1);
    return rc;
}

int plan_explain(kiln_buf *b, const plan *p)
{
    return explain(b, p, 0);
}
