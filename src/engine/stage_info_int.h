/*
 * engine/stage_info_int.h - stage numbers and the stage descriptions the
 * DAG scheduler posts (stage_info.c). Private to src/engine.
 */
#ifndef KILN_STAGE_INFO_INT_H
#define KILN_STAGE_INFO_INT_H

#include <stdio.h>

#include "engine/engine_int.h"

/* The stage id of shuffle dep's map side: the one it was given, or the next
 * free one now. Any thread. */
int stage_id_for_dep(kiln_context *ctx, int dep);
/* A fresh stage id (a result stage). */
int stage_id_new(kiln_context *ctx);
/* The attempt number the next run of stage gets (0 first). */
int stage_next_attempt(kiln_context *ctx, int stage);

/* An engine_stage_info with storage of its own. */
typedef struct stage_desc {
    engine_stage_info info; /* points into the fields below */
    char name[96];
    int *parents;
    engine_rdd_info *rdds;
    size_t cap_parents, cap_rdds;
} stage_desc;
/* Describes the stage computing top (its RDDs: top and its narrow
 * ancestors; its parents: the map stages of the shuffles they read, given
 * ids here when they have none yet). Release with stage_desc_release, also
 * on error (KILN_ENOMEM). */
int stage_desc_build(kiln_context *ctx, kiln_rdd *top, int id, int attempt, const char *name,
                     int tasks, stage_desc *out);
void stage_desc_release(stage_desc *d);
/* A map stage's name: "shuffle map of OP #ID". */
void stage_map_name(const shuffle_dep *d, char *out, size_t size);

/* Every stage a job over r may run, parents first, the result stage last. */
typedef struct job_plan {
    stage_desc *stages;
    size_t n, cap;
    engine_stage_info *infos; /* n copies of stages[i].info, for the event */
} job_plan;
/* Gives every map stage r's job reads an id (parents first); with plan,
 * also describes them and the result stage (result_stage, name, tasks)
 * into it (release with job_plan_release, also on error). */
int job_plan_make(kiln_context *ctx, kiln_rdd *r, const char *name, int tasks, int result_stage,
                  job_plan *plan);
void job_plan_release(job_plan *plan);

#endif
