/*
 * sql/session_int.h - a session's insides, for the files that implement
 * it (session.c) and the DataFrame API on top (dataframe*.c).
 */
#ifndef KILN_SQL_SESSION_INT_H
#define KILN_SQL_SESSION_INT_H

#include <pthread.h>

#include "sql/analyze.h"
#include "sql/sql_session.h"

#pragma GCC visibility push(hidden)

/* A temporary view or table: its plan (in the session's arena) and, for a
 * cached one, the RDD of its batches (owned). */
typedef struct sql_view {
    const char *name;
    plan *p;
    kiln_rdd *rdd;
    const plan *orig; /* CACHE TABLE: the plan before caching (stmt_cache.c) */
    int level;        /* the rdd's kiln_storage_level; KILN_STORAGE_NONE once uncached */
    /* A table over files (stmt_table.c): its PARTITIONED BY columns (also
     * before any partition directory exists), and whether kiln chose its
     * location (managed: DROP TABLE removes the files). */
    const char **part_cols;
    int npart_cols;
    bool managed;
} sql_view;

struct kiln_session {
    kiln_context *ctx; /* borrowed */
    kiln_arena *a;     /* views' plans and DataFrames' expressions */
    pthread_mutex_t lock;
    sql_settings set;
    anz_catalog cat;
    int nviews;
    sql_view *views;
    int nconf;
    struct {
        char *key, *value;
    } * conf; /* SET values, as given */
    pthread_mutex_t dfs_lock;
    struct kiln_df *dfs; /* live DataFrames (freed with the session) */
    int nudfs;
    struct udf_ref *udfs; /* native functions (udf_catalog.c; malloc'd) */
};

/* The view or table called name (any case), or NULL. */
const plan *sql_catalog_lookup(kiln_session *s, const char *name);
/* Registers p (and rdd, taken) as name; replace: an existing one goes. */
int sql_catalog_put(kiln_session *s, const char *name, plan *p, bool replace, kiln_rdd *rdd);
/* A scan of files in format (csv, json, text) with options; the schema
 * given or inferred. Made in a. */
int sql_file_scan(kiln_session *s, kiln_arena *a, const char *format, const char *paths, int nopts,
                  const char *const *keys, const char *const *values, const col_schema *schema,
                  plan **out);
/* An analyser over the session's catalog and settings, allocating in a. */
void sql_session_anz(kiln_session *s, kiln_arena *a, const char *sql, anz *z);
/* The optimised plan of logical (new nodes in a). */
int sql_session_plan(kiln_session *s, kiln_arena *a, const plan *logical, plan **out);
/* Optimises and runs logical, collecting its rows. */
int sql_session_collect(kiln_session *s, const plan *logical, sql_result *out);
/* sql_session_collect as one SQL execution described by desc (the SQL
 * text; NULL: "DataFrame") for the web UI and the event log
 * (kiln_sql_execution_start; the physical plan's text is made only when
 * the context is observed). */
/* Starts the SQL execution of physical plan p described by desc
 * (kiln_sql_execution_start): its id, -1 when nobody listens or the
 * thread runs one already. End it with kiln_sql_execution_end. */
int64_t sql_session_execution_start(kiln_session *s, const sql_settings *set, const plan *p,
                                    const char *desc);
int sql_session_collect_as(kiln_session *s, const plan *logical, const char *desc, sql_result *out);
/* Statements beyond session.c's (stmt_write.c: INSERT, CREATE TABLE ...
 * USING ... AS; stmt_cache.c: CACHE, UNCACHE, CLEAR CACHE): KILN_OK, an
 * error, or 1 when st is none of them. */
/* CREATE ... USING's OPTIONS without `path`, in s's arena (keys, vals,
 * n of them), and the path (the path option, else LOCATION, else NULL). */
int sql_using_options(kiln_session *s, const ast_stmt_create_table *c, const char **path,
                      const char ***keys, const char ***vals, int *n);
int sql_stmt_write(kiln_session *s, const char *sql, const ast_stmt *st);
int sql_stmt_cache(kiln_session *s, const char *sql, const ast_stmt *st);
/* Tables over files (stmt_table.c): REFRESH TABLE (a statement, as
 * above); what CREATE TABLE ... USING records (PARTITIONED BY, managed);
 * the location of a managed table (kiln.sql.warehouse.dir/name, in s's
 * arena; NULL when out of memory); DROP TABLE's removal of a managed
 * table's files; DESCRIBE's partition and detail rows (3 cells each, in
 * a); re-listing a file table after a write; INSERT's partitioning of
 * table t (wp, and per table column the static value's text or NULL and
 * whether it is NULL, in s's arena; KILN_OK with wp->n 0 when t is not
 * partitioned). */
int sql_stmt_table(kiln_session *s, const char *sql, const ast_stmt *st);
int sql_table_note(kiln_session *s, const char *name, const ast_stmt_create_table *c, bool managed);
const char *sql_managed_path(kiln_session *s, const char *name);
int sql_table_drop_files(kiln_session *s, const char *name);
int sql_table_describe(kiln_session *s, const char *name, const plan *p, bool extended,
                       kiln_arena *a, const char ***cells, int *nrows);
int sql_table_refresh(kiln_session *s, const char *name);
struct sql_write_part;
int sql_insert_partitions(kiln_session *s, anz *z, const ast_stmt_insert *ins, const char *name,
                          const plan *t, struct sql_write_part *wp, const char ***stat,
                          bool **stat_null);

/* Native functions (udf_catalog.c): the analyser's lookup (session is a
 * kiln_session; returns borrowed, valid while the function exists),
 * whether st is a statement about them (CREATE / DROP FUNCTION, SHOW
 * FUNCTIONS) and running it (caller holds s->lock), and freeing them. */
const struct udf_ref *sql_udf_lookup(void *session, const char *name);
bool sql_udf_handles(const ast_stmt *st);
int sql_udf_stmt(kiln_session *s, const ast_stmt *st, sql_outcome *o);
void sql_udf_free(kiln_session *s);

#pragma GCC visibility pop
#endif
