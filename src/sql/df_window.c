/*
 * sql/df_window.c - window functions in the DataFrame API
 * (include/kiln/sql.h): a window specification is SQL text (PARTITION BY,
 * ORDER BY, a frame), c.over(w) is `c OVER (...)`, and select /
 * withColumn place the window calls their columns hold through the
 * analyser's anz_window_plan, as a SELECT does.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/sql.h"
#include "sql/analyze_int.h"
#include "sql/df_int.h"

static char *dup_text(kiln_session *s, const char *t)
{
    size_t n = strlen(t);
    char *c = kiln_arena_alloc(s->a, n + 1);
    if (c) memcpy(c, t, n + 1);
    else kiln_set_error(KILN_ENOMEM, "out of memory making a window specification");
    return c;
}

static kiln_window *copy_of(const kiln_window *w)
{
    kiln_window *c = kiln_arena_alloc(w->s->a, sizeof *c);
    if (!c) {
        kiln_set_error(KILN_ENOMEM, "out of memory making a window specification");
        return NULL;
    }
    *c = *w;
    return c;
}

KILN_API kiln_window *kiln_window_new(kiln_session *s)
{
    if (!s) return NULL;
    kiln_window *w = kiln_arena_alloc(s->a, sizeof *w);
    if (!w) {
        kiln_set_error(KILN_ENOMEM, "out of memory making a window specification");
        return NULL;
    }
    *w = (kiln_window){s, "", "", ""};
    return w;
}

/* "KW a, b, c" from the columns' text (with their sort orders when
 * ordered). */
static const char *col_list(kiln_session *s, const char *kw, kiln_col *const *cols, int n,
                            bool ordered)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_append(&b, kw, strlen(kw));
    for (int i = 0; i < n; i++) {
        if (!cols[i]) {
            kiln_buf_release(&b);
            return NULL;
        }
        kiln_buf_append(&b, i ? ", " : " ", i ? 2 : 1);
        kiln_buf_append(&b, cols[i]->text, strlen(cols[i]->text));
        static const char *const orders[] = {
            [COL_ORDER_NONE] = "",
            [COL_ORDER_ASC] = " ASC NULLS FIRST",
            [COL_ORDER_DESC] = " DESC NULLS LAST",
            [COL_ORDER_ASC_NULLS_LAST] = " ASC NULLS LAST",
            [COL_ORDER_DESC_NULLS_FIRST] = " DESC NULLS FIRST",
        };
        if (ordered && cols[i]->order >= 0 && cols[i]->order <= COL_ORDER_DESC_NULLS_FIRST) {
            const char *o = orders[cols[i]->order];
            kiln_buf_append(&b, o, strlen(o));
        }
    }
    kiln_buf_append(&b, "", 1);
    const char *t = b.data ? dup_text(s, (const char *)b.data) : NULL;
    kiln_buf_release(&b);
    return t;
}

KILN_API kiln_window *kiln_window_partition_by(kiln_window *w, kiln_col *const *cols, int n)
{
    if (!w || (n && !cols)) return NULL;
    kiln_window *c = copy_of(w);
    if (c && !(c->partition = n ? col_list(w->s, "PARTITION BY", cols, n, false) : "")) c = NULL;
    return c;
}

KILN_API kiln_window *kiln_window_order_by(kiln_window *w, kiln_col *const *cols, int n)
{
    if (!w || (n && !cols)) return NULL;
    kiln_window *c = copy_of(w);
    if (c && !(c->order = n ? col_list(w->s, "ORDER BY", cols, n, true) : "")) c = NULL;
    return c;
}

static void bound_text(char *buf, size_t size, int64_t v)
{
    if (v == KILN_WINDOW_UNBOUNDED_PRECEDING) snprintf(buf, size, "UNBOUNDED PRECEDING");
    else if (v == KILN_WINDOW_UNBOUNDED_FOLLOWING) snprintf(buf, size, "UNBOUNDED FOLLOWING");
    else if (v == 0) snprintf(buf, size, "CURRENT ROW");
    else if (v < 0) snprintf(buf, size, "%llu PRECEDING", (unsigned long long)-(uint64_t)v);
    else snprintf(buf, size, "%lld FOLLOWING", (long long)v);
}

static kiln_window *between(kiln_window *w, const char *unit, int64_t start, int64_t end)
{
    if (!w) return NULL;
    char a[48], b[48], t[128];
    bound_text(a, sizeof a, start);
    bound_text(b, sizeof b, end);
    snprintf(t, sizeof t, "%s BETWEEN %s AND %s", unit, a, b);
    kiln_window *c = copy_of(w);
    if (c && !(c->frame = dup_text(w->s, t))) c = NULL;
    return c;
}

KILN_API kiln_window *kiln_window_rows_between(kiln_window *w, int64_t start, int64_t end)
{
    return between(w, "ROWS", start, end);
}

KILN_API kiln_window *kiln_window_range_between(kiln_window *w, int64_t start, int64_t end)
{
    return between(w, "RANGE", start, end);
}

KILN_API kiln_col *kiln_col_over(kiln_col *c, kiln_window *w)
{
    if (!c || !w) return NULL;
    char *t = NULL;
    if (asprintf(&t, "%s OVER (%s%s%s%s%s)", c->text, w->partition,
                 *w->partition && *w->order ? " " : "", w->order,
                 (*w->partition || *w->order) && *w->frame ? " " : "", w->frame) < 0) {
        kiln_set_error(KILN_ENOMEM, "out of memory making a column");
        return NULL;
    }
    kiln_col *o = kiln_expr(c->s, t);
    free(t);
    if (o) o->alias = c->alias;
    return o;
}

KILN_API kiln_col *kiln_fn_row_number(kiln_session *s)
{
    return kiln_expr(s, "row_number()");
}
KILN_API kiln_col *kiln_fn_rank(kiln_session *s)
{
    return kiln_expr(s, "rank()");
}
KILN_API kiln_col *kiln_fn_dense_rank(kiln_session *s)
{
    return kiln_expr(s, "dense_rank()");
}
KILN_API kiln_col *kiln_fn_percent_rank(kiln_session *s)
{
    return kiln_expr(s, "percent_rank()");
}
KILN_API kiln_col *kiln_fn_cume_dist(kiln_session *s)
{
    return kiln_expr(s, "cume_dist()");
}

KILN_API kiln_col *kiln_fn_ntile(kiln_session *s, int n)
{
    return df_colf(s, "ntile(%d)", n);
}

static kiln_col *lag_lead(const char *fn, kiln_col *c, int offset, kiln_col *def)
{
    if (!c) return NULL;
    return df_colf(c->s, "%s(%s, %d, %s)", fn, c->text, offset, def ? def->text : "NULL");
}

KILN_API kiln_col *kiln_fn_lag(kiln_col *c, int offset, kiln_col *def)
{
    return lag_lead("lag", c, offset, def);
}
KILN_API kiln_col *kiln_fn_lead(kiln_col *c, int offset, kiln_col *def)
{
    return lag_lead("lead", c, offset, def);
}

KILN_API kiln_col *kiln_fn_median(kiln_col *c)
{
    return c ? df_colf(c->s, "median(%s)", c->text) : NULL;
}
KILN_API kiln_col *kiln_fn_percentile(kiln_col *c, double p)
{
    return c ? df_colf(c->s, "percentile(%s, %.17g)", c->text, p) : NULL;
}
KILN_API kiln_col *kiln_fn_percentile_approx(kiln_col *c, double p, int accuracy)
{
    return c ? df_colf(c->s, "percentile_approx(%s, %.17g, %d)", c->text, p, accuracy) : NULL;
}

/* ---- Placing window calls ------------------------------------------------------------ */

struct win_collect *df_window_collect(kiln_session *s)
{
    anz z;
    sql_session_anz(s, s->a, NULL, &z);
    win_collect *w = anz_window_new(&z, NULL, 0);
    if (!w) kiln_set_error(KILN_ENOMEM, "out of memory analysing a DataFrame");
    return w;
}

int df_window_place(kiln_session *s, struct win_collect *w, plan **top, expr **es, int n)
{
    if (!anz_window_count(w)) return KILN_OK;
    anz z;
    sql_session_anz(s, s->a, NULL, &z);
    return anz_window_plan(&z, w, NULL, top, es, n);
}
