/*
 * engine/scheduler_int.h - the state of a stage being run, shared by the
 * DAG scheduler (dag.c), the task scheduler (tasks.c) and speculation
 * (speculation.c). Private to src/engine.
 */
#ifndef KILN_SCHEDULER_INT_H
#define KILN_SCHEDULER_INT_H

#include "engine/engine_int.h"

/* What the scheduler knows about one task (one partition) of a stage. */
typedef struct task_state {
    int next_attempt; /* the attempt number the next launch gets */
    int live;         /* attempts submitted and not yet ended (queued or running) */
    int failures;     /* failed attempts, counted against max_attempts */
    bool copied;      /* a speculative copy has been launched */
    double started;   /* when its oldest running attempt started; 0: none runs */
    double duration;  /* of the attempt that finished it */
    int *failed_on;   /* the executor of each failed attempt (kiln.excludeOnFailure) */
    size_t nfailed_on, cap_failed_on;
} task_state;

/* An executor on which tasks of a stage failed: how many different ones. */
typedef struct exec_failures {
    int executor, tasks;
} exec_failures;

/* A stage being run. It lives on the heap: with speculation, or once its
 * job is cancelled, run_stage may return while attempts still run, and the
 * last of them frees it (abandoned). Such attempts never touch what the
 * caller owns (fn's arg, results, parts): see run_task and guard_fn. */
typedef struct stage_run {
    kiln_context *ctx;
    int job, stage, attempt; /* attempt: of the stage (a rerun after lost map outputs) */
    const char *name;        /* stage_run's own copy once running */
    kiln_rdd *rdd;           /* result stage: the final RDD; map stage: dep->parent */
    shuffle_dep *dep;        /* map stage only */
    part_result_fn fn;
    void *arg;
    const shipped_action *ship; /* NULL: not runnable on executors; then our copy */
    kiln_buf *results;
    const int *parts; /* partition of each task */
    int ntasks;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done, running, outstanding;
    bool *finished;
    bool failed;
    /* Its job was cancelled (kiln_context_cancel_jobs): it has failed, and
     * returns as soon as no attempt is in the caller's code, leaving the
     * others to end on their own (abandoned). */
    bool cancelled;
    char *fail_msg;
    int fail_part, fail_attempt, fail_rc;
    /* map outputs found lost by this run's tasks: (shuffle id, map) pairs */
    int (*lost)[2];
    size_t nlost, cap_lost;
    /* executors on which its tasks failed (kiln.excludeOnFailure) */
    exec_failures *bad;
    size_t nbad, cap_bad;
    /* speculation */
    bool spec;
    task_state *ts;
    int in_caller;  /* attempts now running the caller's fn (guard_fn) */
    bool abandoned; /* run_stage has returned: the last attempt frees the stage */
    shipped_action ship_copy;
    char name_copy[96];
} stage_run;

typedef struct task_ref {
    stage_run *s;
    int index, attempt;
    bool speculative;
} task_ref;

/* Runs every unfinished task of s once (with retries on failure) until all
 * are done, one fails for good, or some lost map outputs (tasks.c). */
void run_tasks(stage_run *s);
/* Queues an attempt of task index; caller holds s->lock (or is alone). */
int task_submit(stage_run *s, int index, bool speculative);
/* Frees s (the last attempt out, or run_stage), releasing its pin. */
void stage_free(stage_run *s);
/* What a stage keeps alive while any attempt of it runs: the RDD owning
 * its dependency (a map stage), which keeps the dependency and its parent,
 * or its RDD (a result stage). */
static inline kiln_rdd *stage_pin(const stage_run *s)
{
    return s->dep && s->dep->owner ? s->dep->owner : s->rdd;
}
/* Launches one copy of each straggler; caller holds s->lock; durations
 * has room for s->ntasks values (speculation.c). */
void speculate(stage_run *s, double *durations);

#endif
