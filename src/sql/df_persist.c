/*
 * sql/df_persist.c - keeping a DataFrame's rows: df.cache / persist /
 * unpersist / is_cached / storageLevel (include/kiln/sql.h) and the plan
 * of a cached table (CACHE TABLE, stmt_cache.c).
 *
 * A cached plan is a PLAN_RDD over the persisted RDD of the plan's
 * batches (sql_exec_rdd). The RDD belongs to a catalog entry (the table's,
 * or a nameless "__cached_N" one for a DataFrame), which records the
 * storage level; unpersisting drops the kept partitions and sets the level
 * to none, and the plan still gives the rows (recomputed from lineage).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/df_int.h"

/* The catalog entry holding rdd, or NULL. */
static sql_view *entry_of(kiln_session *s, const kiln_rdd *rdd)
{
    for (int i = 0; i < s->nviews; i++)
        if (s->views[i].rdd == rdd) return &s->views[i];
    return NULL;
}

int sql_cache_plan(kiln_session *s, const plan *logical, int level, const char *name, bool eager,
                   plan **out)
{
    if (level <= KILN_STORAGE_NONE || level > KILN_DISK_ONLY)
        return kiln_set_error(KILN_EINVAL, "persist: %d is not a storage level", level);
    kiln_arena *a = kiln_arena_new();
    if (!a) return kiln_set_error(KILN_ENOMEM, "out of memory caching a DataFrame");
    plan *opt_p;
    kiln_rdd *r = NULL;
    int rc = sql_session_plan(s, a, logical, &opt_p);
    if (!rc) {
        sql_settings set = s->set;
        rc = sql_exec_rdd(s->ctx, &set, opt_p, &r);
    }
    /* Its name on the Storage tab, as Spark names cached relations: the
     * table's, or the plan's top line. */
    kiln_buf label;
    kiln_buf_init(&label);
    if (!rc && name) {
        static const char pre[] = "In-memory table ";
        if (!kiln_buf_append(&label, pre, sizeof pre - 1))
            (void)kiln_buf_append(&label, name, strlen(name) + 1);
    } else if (!rc && !plan_explain_line(&label, opt_p, NULL)) {
        while (label.len && label.data[label.len - 1] == '\n') label.len--;
        (void)kiln_buf_append(&label, "", 1);
    }
    if (!rc && label.len) kiln_rdd_set_name(r, (const char *)label.data);
    kiln_buf_release(&label);
    kiln_arena_free(a);
    if (rc) return rc;
    kiln_rdd_persist(r, (kiln_storage_level)level);
    int64_t n;
    if (eager && (rc = kiln_rdd_count(r, &n))) {
        kiln_rdd_free(r);
        return rc;
    }
    plan *p = plan_new(s->a, PLAN_RDD, NULL, 0, logical->ncols);
    if (!p) {
        kiln_rdd_free(r);
        return kiln_set_error(KILN_ENOMEM, "out of memory caching a DataFrame");
    }
    memcpy(p->cols, logical->cols, sizeof *p->cols * (size_t)logical->ncols);
    p->rdd = r;
    p->row_width = plan_row_width(p->cols, p->ncols);
    char anon[32];
    if (!name) {
        snprintf(anon, sizeof anon, "__cached_%d", kiln_rdd_id(r));
        name = anon;
    }
    if ((rc = sql_catalog_put(s, name, p, true, r))) {
        kiln_rdd_free(r);
        return rc;
    }
    entry_of(s, r)->level = level;
    *out = p;
    return KILN_OK;
}

KILN_API kiln_df *kiln_df_persist(kiln_df *df, kiln_storage_level level)
{
    if (!df) return NULL;
    kiln_session *s = df->s;
    pthread_mutex_lock(&s->lock);
    sql_view *v = df->p->kind == PLAN_RDD ? entry_of(s, df->p->rdd) : NULL;
    int rc = KILN_OK;
    if (v && v->level == KILN_STORAGE_NONE) {
        /* Unpersisted before: kept again, at the new level. */
        kiln_rdd_persist(v->rdd, level);
        v->level = level;
    } else if (!v) {
        plan *p;
        if (!(rc = sql_cache_plan(s, df->p, level, NULL, false, &p))) df->p = p;
    }
    pthread_mutex_unlock(&s->lock);
    return rc ? NULL : df;
}

KILN_API kiln_df *kiln_df_unpersist(kiln_df *df)
{
    if (!df || df->p->kind != PLAN_RDD) return df;
    pthread_mutex_lock(&df->s->lock);
    sql_view *v = entry_of(df->s, df->p->rdd);
    if (v) v->level = KILN_STORAGE_NONE;
    kiln_rdd_unpersist(df->p->rdd);
    pthread_mutex_unlock(&df->s->lock);
    return df;
}

KILN_API kiln_storage_level kiln_df_storage_level(kiln_df *df)
{
    if (!df || df->p->kind != PLAN_RDD) return KILN_STORAGE_NONE;
    pthread_mutex_lock(&df->s->lock);
    sql_view *v = entry_of(df->s, df->p->rdd);
    kiln_storage_level l = v ? (kiln_storage_level)v->level : KILN_STORAGE_NONE;
    pthread_mutex_unlock(&df->s->lock);
    return l;
}

KILN_API bool kiln_df_is_cached(kiln_df *df)
{
    return kiln_df_storage_level(df) != KILN_STORAGE_NONE;
}
