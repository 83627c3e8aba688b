/*
 * sql/stmt_cache.c - CACHE [LAZY] TABLE t [OPTIONS ('storageLevel' ...)]
 * [[AS] query], UNCACHE TABLE [IF EXISTS] t and CLEAR CACHE.
 *
 * Caching a table replaces its catalog entry's plan by a PLAN_RDD over
 * its persisted rows (df_persist.c), keeping the plan it had (orig) so
 * UNCACHE can put it back; queries and DataFrames made afterwards read
 * the kept rows. CACHE TABLE computes them now unless LAZY, as Spark.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/analyze_int.h"
#include "sql/df_int.h"

static sql_view *find(kiln_session *s, const char *name)
{
    for (int i = 0; i < s->nviews; i++)
        if (strcasecmp(s->views[i].name, name) == 0) return &s->views[i];
    return NULL;
}

static int not_found(const char *name)
{
    return kiln_set_error(KILN_ESQL,
                          "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found. "
                          "SQLSTATE: 42P01",
                          name);
}

/* Spark's StorageLevel names. */
static int level_of(const char *v, int *out)
{
    static const struct {
        const char *name;
        int level;
    } levels[] = {{"MEMORY_ONLY", KILN_MEMORY_ONLY},
                  {"MEMORY_ONLY_SER", KILN_MEMORY_ONLY_SER},
                  {"MEMORY_AND_DISK", KILN_MEMORY_AND_DISK},
                  {"MEMORY_AND_DISK_SER", KILN_MEMORY_AND_DISK},
                  {"DISK_ONLY", KILN_DISK_ONLY}};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcasecmp(v, levels[i].name) == 0) {
            *out = levels[i].level;
            return KILN_OK;
        }
    return kiln_set_error(KILN_ESQL,
                          "[INVALID_OPTIONS] storageLevel '%s' is not one of MEMORY_ONLY, "
                          "MEMORY_ONLY_SER, MEMORY_AND_DISK, MEMORY_AND_DISK_SER, DISK_ONLY",
                          v);
}

/* Gives the RDD of views[i] (a cached table's) to a nameless entry, so
 * DataFrames made from the cached table keep their rows while the table
 * changes. */
static int retire(kiln_session *s, int i)
{
    sql_view v = s->views[i];
    if (!v.rdd) return KILN_OK;
    s->views[i].rdd = NULL;
    char anon[32];
    snprintf(anon, sizeof anon, "__cached_%d", kiln_rdd_id(v.rdd));
    int rc = sql_catalog_put(s, anon, v.p, true, v.rdd);
    if (!rc) find(s, anon)->level = v.level;
    return rc;
}

static int cache_table(kiln_session *s, const char *sql, const ast_stmt_cache *c)
{
    const char *name = c->name.parts[c->name.n - 1];
    int level = KILN_MEMORY_AND_DISK; /* Spark's default for CACHE TABLE */
    int rc;
    for (int i = 0; i < c->noptions; i++)
        if (strcasecmp(c->options[i].key, "storageLevel") == 0 &&
            (rc = level_of(c->options[i].value, &level)))
            return rc;
    const plan *logical;
    if (c->query) {
        anz z;
        plan *q;
        sql_session_anz(s, s->a, sql, &z);
        sql_view *old = find(s, name);
        if ((rc = anz_query(&z, c->query, &q)) ||
            (old && (rc = retire(s, (int)(old - s->views)))) ||
            (rc = sql_catalog_put(s, name, q, true, NULL)))
            return rc;
        logical = q;
    } else {
        sql_view *v = find(s, name);
        if (!v) return not_found(name);
        if (v->orig && v->level != KILN_STORAGE_NONE) return KILN_OK; /* cached already */
        logical = v->orig ? v->orig : v->p;
    }
    plan *p;
    if ((rc = sql_cache_plan(s, logical, level, name, !c->lazy, &p))) return rc;
    find(s, name)->orig = logical;
    return KILN_OK;
}

/* Drops the kept rows of views[i]; a cached table reads its source again. */
static int uncache(kiln_session *s, int i)
{
    sql_view *v = &s->views[i];
    if (v->rdd) kiln_rdd_unpersist(v->rdd);
    v->level = KILN_STORAGE_NONE;
    if (!v->orig) return KILN_OK;
    plan *orig = (plan *)v->orig;
    v->orig = NULL;
    int rc = retire(s, i);
    s->views[i].p = orig;
    return rc;
}

int sql_uncache_table(kiln_session *s, const char *name)
{
    sql_view *v = find(s, name);
    return v ? uncache(s, (int)(v - s->views)) : not_found(name);
}

int sql_stmt_cache(kiln_session *s, const char *sql, const ast_stmt *st)
{
    switch (st->kind) {
    case AST_STMT_CACHE:
        return cache_table(s, sql, (const ast_stmt_cache *)st);
    case AST_STMT_UNCACHE: {
        const ast_stmt_cache *c = (const ast_stmt_cache *)st;
        const char *name = c->name.parts[c->name.n - 1];
        sql_view *v = find(s, name);
        if (!v) return c->if_exists ? KILN_OK : not_found(name);
        return uncache(s, (int)(v - s->views));
    }
    case AST_STMT_CLEAR_CACHE: {
        int rc = KILN_OK;
        for (int i = 0; !rc && i < s->nviews; i++) rc = uncache(s, i);
        return rc;
    }
    default:
        return 1;
    }
}
