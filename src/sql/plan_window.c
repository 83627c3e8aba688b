/*
 * sql/plan_window.c - EXPLAIN's line of a PLAN_WINDOW node (plan.h), in
 * Spark's shape: `Window [f(x) windowspecdefinition(...)], [partition
 * keys], [order keys]`, and of PLAN_WINDOW_LIMIT: `WindowGroupLimit [partition
 * keys], [order keys], row_number(), 2, Partial`.
 */
#include <stdio.h>
#include <string.h>

#include "sql/plan.h"
#include "sql/window.h"

static int put(kiln_buf *b, const char *s)
{
    return kiln_buf_append(b, s, strlen(s));
}

static int put_bound(kiln_buf *b, uint8_t kind, int64_t off, const expr *val)
{
    char tmp[64];
    switch (kind) {
    case WIN_UNBOUNDED_PRECEDING:
        return put(b, "unboundedpreceding$()");
    case WIN_UNBOUNDED_FOLLOWING:
        return put(b, "unboundedfollowing$()");
    case WIN_CURRENT_ROW:
        return put(b, "currentrow$()");
    default:
        if (val) {
            int rc = put(b, kind == WIN_PRECEDING ? "-" : "");
            return rc ? rc : put(b, val->text ? val->text : "?");
        }
        snprintf(tmp, sizeof tmp, "%lld", (long long)(kind == WIN_PRECEDING ? -off : off));
        return put(b, tmp);
    }
}

/* `[partition keys], [order keys]`. */
static int put_spec(kiln_buf *b, const plan *p)
{
    int rc = put(b, "[");
    for (int i = 0; !rc && i < p->nkeys; i++) {
        if (i) rc = put(b, ", ");
        if (!rc) rc = put(b, p->keys[i]->text ? p->keys[i]->text : "?");
    }
    if (!rc) rc = put(b, "], [");
    for (int i = 0; !rc && i < p->norder; i++) {
        if (i) rc = put(b, ", ");
        if (!rc) rc = put(b, p->order[i].e->text ? p->order[i].e->text : "?");
        if (!rc) rc = put(b, p->order[i].desc ? " DESC" : " ASC");
        if (!rc) rc = put(b, p->order[i].nulls_first ? " NULLS FIRST" : " NULLS LAST");
    }
    return rc ? rc : put(b, "]");
}

int plan_explain_window_limit(kiln_buf *b, const plan *p)
{
    static const char *const modes[] = {"", ", Partial", ", Final"};
    const char *fn = p->wgl_fn == WIN_RANK         ? "rank()"
                     : p->wgl_fn == WIN_DENSE_RANK ? "dense_rank()"
                                                   : "row_number()";
    char tmp[96];
    snprintf(tmp, sizeof tmp, ", %s, %lld%s", fn, (long long)p->limit,
             modes[p->wgl_mode < 3 ? p->wgl_mode : 0]);
    int rc = put(b, " ");
    if (!rc) rc = put_spec(b, p);
    return rc ? rc : put(b, tmp);
}

int plan_explain_window(kiln_buf *b, const plan *p)
{
    int rc = put(b, " [");
    int base = p->ncols - p->nwin;
    for (int i = 0; !rc && i < p->nwin; i++) {
        const plan_win *w = &p->win[i];
        if (i) rc = put(b, ", ");
        if (!rc) rc = put(b, p->cols[base + i].name);
        if (!rc && w->unit) {
            rc = put(b, w->unit == WIN_ROWS ? " specifiedwindowframe(RowFrame, "
                                            : " specifiedwindowframe(RangeFrame, ");
            if (!rc) rc = put_bound(b, w->start, w->start_off, w->start_val);
            if (!rc) rc = put(b, ", ");
            if (!rc) rc = put_bound(b, w->end, w->end_off, w->end_val);
            if (!rc) rc = put(b, ")");
        }
    }
    if (!rc) rc = put(b, "], ");
    return rc ? rc : put_spec(b, p);
}
