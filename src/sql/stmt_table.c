/*
 * sql/stmt_table.c - tables over files: what CREATE TABLE ... USING fmt
 * [PARTITIONED BY (...)] [LOCATION] records beside the table's scan plan
 * (its partition columns, whether kiln chose the location), INSERT's
 * PARTITION (k = 'v', k2) clause, REFRESH TABLE, DESCRIBE's "# Partition
 * Information" and "# Detailed Table Information" rows, and DROP TABLE of
 * a managed table (its files go; an external table's stay).
 *
 * A table's scan lists its files each time it runs, so files written
 * since show up without REFRESH; REFRESH (and every INSERT) rebuilds the
 * plan so that partition directories that did not exist when the table
 * was made become its partition columns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "io/io.h"
#include "sql/analyze_int.h"
#include "sql/df_int.h"
#include "sql/fn_int.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory in a table statement");
}

static sql_view *find(kiln_session *s, const char *name)
{
    for (int i = 0; i < s->nviews; i++)
        if (strcasecmp(s->views[i].name, name) == 0) return &s->views[i];
    return NULL;
}

static char *dup(kiln_arena *a, const char *x)
{
    char *c = kiln_arena_alloc(a, strlen(x) + 1);
    return c ? strcpy(c, x) : NULL;
}

int sql_table_note(kiln_session *s, const char *name, const ast_stmt_create_table *c, bool managed)
{
    sql_view *v = find(s, name);
    if (!v) return KILN_OK;
    v->managed = managed;
    v->npart_cols = 0;
    v->part_cols = NULL;
    if (!c->npartitioned_by) return KILN_OK;
    v->part_cols = kiln_arena_alloc(s->a, sizeof *v->part_cols * (size_t)c->npartitioned_by);
    if (!v->part_cols) return oom();
    for (int i = 0; i < c->npartitioned_by; i++)
        if (!(v->part_cols[i] = dup(s->a, c->partitioned_by[i]))) return oom();
    v->npart_cols = c->npartitioned_by;
    return KILN_OK;
}

const char *sql_managed_path(kiln_session *s, const char *name)
{
    const char *wh = sql_session_get(s, "kiln.sql.warehouse.dir");
    if (!wh || !*wh) wh = "spark-warehouse";
    size_t n = strlen(wh) + strlen(name) + 2;
    char *p = kiln_arena_alloc(s->a, n);
    if (!p) return NULL;
    snprintf(p, n, "%s/%s", wh, name);
    for (char *c = p + strlen(wh) + 1; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
    /* The warehouse is made on first use, as Spark's. */
    (void)mkdir(wh, 0777);
    return p;
}

int sql_table_drop_files(kiln_session *s, const char *name)
{
    sql_view *v = find(s, name);
    if (!v || !v->managed || v->p->kind != PLAN_SCAN || !v->p->src.paths) return KILN_OK;
    return io_remove_tree(v->p->src.paths);
}

/* The partition columns of table v over plan t: the recorded PARTITIONED
 * BY, else the partition directories the scan found (its last npart). */
static int table_parts(const sql_view *v, const plan *t, const char ***cols)
{
    if (v && v->npart_cols) {
        *cols = v->part_cols;
        return v->npart_cols;
    }
    if (t->kind != PLAN_SCAN || !t->src.npart) return 0;
    *cols = NULL;
    return t->src.npart;
}

static const char *part_name(const plan *t, const char **cols, int npart, int i)
{
    return cols ? cols[i] : t->src.schema.fields[t->src.schema.n - npart + i].name;
}

int sql_insert_partitions(kiln_session *s, anz *z, const ast_stmt_insert *ins, const char *name,
                          const plan *t, sql_write_part *wp, const char ***stat, bool **stat_null)
{
    *stat = NULL;
    *stat_null = NULL;
    memset(wp, 0, sizeof *wp);
    const char **cols = NULL;
    int npart = t->kind == PLAN_SCAN ? table_parts(find(s, name), t, &cols) : 0;
    if (ins->npart && !npart)
        return anz_error(z, ins->s.pos, 6, "NON_PARTITION_COLUMN", "42000",
                         "PARTITION clause cannot contain the non-partition column: `%s`.",
                         ins->part_names[0]);
    if (!npart) return KILN_OK;
    const char **order = kiln_arena_alloc(s->a, sizeof *order * (size_t)npart);
    const char **vals = kiln_arena_alloc(s->a, sizeof *vals * (size_t)npart);
    *stat = kiln_arena_alloc(s->a, sizeof **stat * (size_t)(t->ncols + 1));
    *stat_null = kiln_arena_alloc(s->a, sizeof **stat_null * (size_t)(t->ncols + 1));
    if (!order || !vals || !*stat || !*stat_null) return oom();
    memset(*stat, 0, sizeof **stat * (size_t)(t->ncols + 1));
    memset(*stat_null, 0, sizeof **stat_null * (size_t)(t->ncols + 1));
    int n = 0, nstatic = 0;
    bool dynamic_seen = false;
    /* The PARTITION clause first (static values before dynamic columns,
     * as Hive requires), then the partition columns it leaves out. */
    for (int k = 0; k < ins->npart; k++) {
        int i = 0;
        while (i < npart && strcasecmp(part_name(t, cols, npart, i), ins->part_names[k])) i++;
        if (i == npart)
            return anz_error(z, ins->s.pos, 6, "NON_PARTITION_COLUMN", "42000",
                             "PARTITION clause cannot contain the non-partition column: `%s`.",
                             ins->part_names[k]);
        bool is_static = ins->part_values[k] != NULL;
        if (is_static && dynamic_seen)
            return anz_error(z, ins->s.pos, 6, "_LEGACY_ERROR_TEMP_1076", "42000",
                             "Dynamic partition column `%s` must come after the static ones.",
                             ins->part_names[k - 1]);
        dynamic_seen |= !is_static;
        int c = 0;
        while (c < t->ncols && strcasecmp(t->cols[c].name, ins->part_names[k])) c++;
        if (is_static && c < t->ncols) {
            if (ins->part_null[k]) (*stat_null)[c] = true;
            else (*stat)[c] = ins->part_values[k];
            vals[nstatic++] = ins->part_null[k] ? NULL : ins->part_values[k];
        }
        order[n++] = part_name(t, cols, npart, i);
    }
    for (int i = 0; i < npart; i++) {
        bool listed = false;
        for (int k = 0; k < n; k++)
            listed |= strcasecmp(order[k], part_name(t, cols, npart, i)) == 0;
        if (!listed) order[n++] = part_name(t, cols, npart, i);
    }
    *wp = (sql_write_part){npart, order, nstatic, vals};
    return KILN_OK;
}

int sql_table_refresh(kiln_session *s, const char *name)
{
    sql_view *v = find(s, name);
    if (!v || v->p->kind != PLAN_SCAN || !v->p->src.paths) return KILN_OK;
    const plan *t = v->p;
    /* The table's schema again, unless a data column hides under a
     * partition column of its name (then inferred again, keeping it). */
    col_schema schema = t->src.schema;
    plan *p;
    int rc = sql_file_scan(s, s->a, t->src.format, t->src.paths, t->src.nopts, t->src.keys,
                           t->src.values, t->ncols < schema.n ? NULL : &schema, &p);
    if (rc) return rc;
    const char **pc = v->part_cols;
    int npc = v->npart_cols;
    bool managed = v->managed;
    if ((rc = sql_catalog_put(s, name, p, true, NULL))) return rc;
    v = find(s, name);
    v->part_cols = pc;
    v->npart_cols = npc;
    v->managed = managed;
    return KILN_OK;
}

int sql_stmt_table(kiln_session *s, const char *sql, const ast_stmt *st)
{
    (void)sql;
    if (st->kind != AST_STMT_REFRESH) return 1;
    const ast_stmt_cache *c = (const ast_stmt_cache *)st;
    const char *name = c->name.parts[c->name.n - 1];
    if (!find(s, name))
        return kiln_set_error(KILN_ESQL,
                              "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found. "
                              "SQLSTATE: 42P01",
                              name);
    return sql_table_refresh(s, name);
}

int sql_table_describe(kiln_session *s, const char *name, const plan *p, bool extended,
                       kiln_arena *a, const char ***cells, int *nrows)
{
    *nrows = 0;
    *cells = NULL;
    sql_view *v = name ? find(s, name) : NULL;
    if (!v || p->kind != PLAN_SCAN || !p->src.paths) return KILN_OK;
    const char **cols = NULL;
    int npart = table_parts(v, p, &cols);
    int cap = 3 * (npart + 12);
    const char **c = kiln_arena_alloc(a, sizeof *c * (size_t)cap);
    if (!c) return oom();
    int n = 0;
#define ROW(x, y, z) (c[3 * n] = (x), c[3 * n + 1] = (y), c[3 * n + 2] = (z), n++)
    if (npart) {
        ROW("# Partition Information", "", "");
        ROW("# col_name", "data_type", "comment");
        for (int i = 0; i < npart; i++) {
            const char *pn = part_name(p, cols, npart, i);
            const char *ty = "string";
            for (int k = 0; k < p->ncols; k++)
                if (strcasecmp(p->cols[k].name, pn) == 0) ty = fn_type_name(a, p->cols[k].type);
            ROW(pn, ty ? ty : "", NULL);
        }
    }
    if (extended) {
        char real[PATH_MAX];
        const char *loc = realpath(p->src.paths, real) ? real : p->src.paths;
        char *l = kiln_arena_alloc(a, strlen(loc) + 8);
        if (!l) return oom();
        sprintf(l, "file:%s", loc);
        ROW("", "", "");
        ROW("# Detailed Table Information", "", "");
        ROW("Table", v->name, "");
        ROW("Type", v->managed ? "MANAGED" : "EXTERNAL", "");
        ROW("Provider", p->src.format, "");
        ROW("Location", l, "");
        if (npart) {
            kiln_buf b;
            kiln_buf_init(&b);
            int rc = KILN_OK;
            for (int i = 0; !rc && i < npart; i++) {
                const char *pn = part_name(p, cols, npart, i);
                if (i) rc = kiln_buf_append(&b, ", ", 2);
                if (!rc) rc = kiln_buf_append(&b, "`", 1);
                if (!rc) rc = kiln_buf_append(&b, pn, strlen(pn));
                if (!rc) rc = kiln_buf_append(&b, "`", 1);
            }
            if (!rc) rc = kiln_buf_append(&b, "", 1);
            char *pp = rc ? NULL : dup(a, (const char *)b.data);
            kiln_buf_release(&b);
            if (!pp) return oom();
            ROW("Partition Provider", "Catalog", "");
            ROW("Partition Columns", pp, "");
        }
    }
#undef ROW
    *cells = c;
    *nrows = n;
    return KILN_OK;
}
