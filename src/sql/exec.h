/*
 * sql/exec.h - running plans as kiln jobs.
 *
 * The driver cuts a plan into stages at exchanges, as Spark's
 * EnsureRequirements does: every stage is an RDD of the engine whose
 * partitions run a plan fragment (a tree of physical operators over the
 * task's input) through one generic partition function, exec_fragment_fn,
 * with the encoded fragment as its environment. Nothing in a fragment is a
 * pointer, so local threads, local-cluster executors and standalone workers
 * run it alike, and the engine's scheduler, shuffle, retries and lineage
 * recovery apply to SQL as to any RDD.
 *
 * What travels between stages are batches in their wire form
 * (docs/formats/batch.md) as bytes values: a stage that ends in an exchange
 * emits (partition, batch) pairs, hash-partitioned by the exchange's keys
 * (or all to partition 0), and the next stage's input is that shuffle's
 * output; a join's two inputs share one shuffle, each batch tagged with its
 * side. The final stage's batches are collected by the driver.
 */
#ifndef KILN_SQL_EXEC_H
#define KILN_SQL_EXEC_H

#include "kiln.h"
#include "sql/op.h"
#include "sql/plan.h"

#pragma GCC visibility push(hidden)

/* The session's settings a query runs with. */
typedef struct sql_settings {
    bool ansi;               /* kiln.sql.ansi.enabled */
    char tz[64];             /* kiln.sql.session.timeZone */
    int shuffle_partitions;  /* kiln.sql.shuffle.partitions */
    int64_t broadcast_bytes; /* kiln.sql.autoBroadcastJoinThreshold (-1: never) */
    int64_t now_us;          /* current_timestamp() of the query */
    /* kiln.sql.files.maxPartitionBytes / openCostInBytes + 1 /
     * minPartitionNum (0: not set; a scan's own options win) */
    int64_t files_max_bytes, files_open_cost;
    int files_min_parts;
    /* The SQL execution the query runs as (kiln_sql_execution_start), whose
     * plan graph and operator metrics the executor describes; -1: none. */
    int64_t execution;
} sql_settings;

/* A query's result at the driver: batches (in a) with the plan's schema. */
typedef struct sql_result {
    kiln_arena *a; /* owns everything below */
    int ncols;
    plan_col *cols;
    int nbatches;
    col_batch *batches;
    int64_t rows;
} sql_result;

/* Runs p on ctx and collects its rows. Returns KILN_OK or the error (the
 * job's failure, with the message in kiln_last_error()). */
int sql_exec_collect(kiln_context *ctx, const sql_settings *s, const plan *p, sql_result *out);
void sql_result_release(sql_result *r);

/* Runs p and returns an RDD of its batches as bytes values (for cache and
 * for DataFrame-to-RDD conversion); owned by the caller. */
int sql_exec_rdd(kiln_context *ctx, const sql_settings *s, const plan *p, kiln_rdd **out);

/* Appends the physical plan of optimised plan p (EXPLAIN's "Physical
 * Plan": exchanges, join strategies) to b without running anything
 * (exec_explain.c). */
int sql_exec_explain(kiln_buf *b, const sql_settings *s, const plan *p);
/* EXPLAIN's text: the analysed and optimised logical plans, then the
 * physical plan. */
int sql_explain_all(kiln_buf *b, const sql_settings *s, const plan *analyzed, const plan *opt);

/* ---- Inside a task (exec_task.c) -------------------------------------------- */

/* How a fragment's output leaves the task. */
typedef enum frag_out {
    FRAG_OUT_BATCHES, /* bytes values, one per batch */
    FRAG_OUT_HASH,    /* (partition, batch) pairs by the hash of keys mod nparts */
} frag_out;

/* The environment of exec_fragment_fn, encoded. out_acc (0: none) is the
 * first of two accumulators the task adds the rows and the bytes it
 * emits to (an exchange's metrics, exec_graph.c). */
int exec_fragment_encode(kiln_buf *b, const sql_settings *s, const plan *frag, frag_out out,
                         int nparts, expr *const *keys, int nkeys, int side, int64_t out_acc);
/* The partition function of every SQL stage (kiln_partitions_fn). */
int exec_fragment_fn(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env);
/* The partitioner of SQL exchanges: the pair's key is the partition. */
int exec_partition_of(const kiln_value *key, int num_partitions, const void *env);

/* Opens the operator tree of a fragment; the task's input feeds its
 * PLAN_INPUT, PLAN_SCAN and PLAN_RANGE leaves (in may be NULL when there
 * is none). Returns NULL with the error set. */
op *exec_open(const plan *p, fn_ctx *fc, kiln_task *t, kiln_in *in);

#pragma GCC visibility pop
#endif
