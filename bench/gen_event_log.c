/*
 * gen_event_log.c - writes the event log of a synthetic application with
 * many tasks, line by line through the event log's own writer
 * (ui/event_log.c, event_log_line), for the replay benchmark
 * (bench/run-ui-replay.sh) and the history server's limits:
 *
 *   gen_event_log OUT [TASKS [JOBS]]
 *
 * TASKS tasks (1,000,000 by default) in JOBS jobs (20) of two stages each
 * (a map stage and a result stage, half the tasks each), on 8 executors of
 * 4 cores, every task with metrics; one task in a thousand fails once and
 * is retried. Deterministic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "engine/engine.h"
#include "ui/ui_status.h"

static FILE *out;
static kiln_buf line;

static void put(const engine_event *e, double wall)
{
    line.len = 0;
    if (event_log_line(e, wall, &line) != KILN_OK) {
        fprintf(stderr, "gen_event_log: cannot format an event\n");
        exit(1);
    }
    fwrite(line.data, 1, line.len, out);
}

int main(int argc, char **argv)
{
    static const char usage[] =
        "gen_event_log OUT [TASKS [JOBS]]\n"
        "Writes the event log of an application with TASKS tasks (1000000)\n"
        "in JOBS jobs (20) to OUT, for bench/run-ui-replay.sh.\n";
    int done = kiln_args_check(argc, argv, usage, NULL);
    if (done >= 0) return done;
    if (argc < 2) {
        fprintf(stderr, "usage: %s", usage);
        return 2;
    }
    long long tasks = argc > 2 ? atoll(argv[2]) : 1000000;
    int jobs = argc > 3 ? atoi(argv[3]) : 20;
    if (tasks < 2 || jobs < 1) return 2;
    out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    kiln_buf_init(&line);
    double t = 1.8e9; /* 2027 */
    fputs("{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.5.0\"}\n", out);
    put(&(engine_event){.kind = EV_APP_START,
                        .name = "gen",
                        .message = "app-20270115080000-0000",
                        .user = "bench"},
        t);
    kiln_conf *c = kiln_conf_new();
    kiln_conf_set(c, "kiln.master", "kiln://bench:7077");
    kiln_conf_set(c, "kiln.app.name", "gen");
    put(&(engine_event){.kind = EV_ENVIRONMENT, .conf = c}, t);
    kiln_conf_free(c);
    for (int x = 0; x < 8; x++) {
        char id[12], host[32];
        snprintf(id, sizeof id, "%d", x);
        snprintf(host, sizeof host, "worker-%d:7078", x);
        put(&(engine_event){.kind = EV_EXECUTOR_ADDED,
                            .name = id,
                            .host = host,
                            .cores = 4,
                            .memory = 1 << 30},
            t);
    }
    long long per_stage = tasks / jobs / 2, task_id = 0;
    int stage = 0;
    for (int j = 0; j < jobs; j++) {
        engine_rdd_info rdds[2] = {
            {.id = 2 * j, .name = "text_file", .partitions = (int)per_stage, .parent = -1},
            {.id = 2 * j + 1,
             .name = "reduce_by_key",
             .partitions = (int)per_stage,
             .parent = 2 * j}};
        int parent = stage;
        engine_stage_info si[2] = {{.id = stage,
                                    .name = "shuffle map of map #1",
                                    .tasks = (int)per_stage,
                                    .rdds = rdds,
                                    .nrdds = 1},
                                   {.id = stage + 1,
                                    .name = "count at reduce_by_key #2",
                                    .tasks = (int)per_stage,
                                    .parents = &parent,
                                    .nparents = 1,
                                    .rdds = rdds + 1,
                                    .nrdds = 1}};
        put(&(engine_event){.kind = EV_JOB_START,
                            .job = j,
                            .name = "count",
                            .stages = si,
                            .nstages = 2},
            t);
        for (int k = 0; k < 2; k++) {
            put(&(engine_event){.kind = EV_STAGE_START,
                                .job = j,
                                .stage = si[k].id,
                                .name = si[k].name,
                                .tasks = si[k].tasks,
                                .stages = &si[k],
                                .nstages = 1},
                t);
            for (long long i = 0; i < per_stage; i++) {
                int attempts = (task_id % 1000 == 7) ? 2 : 1;
                for (int a = 0; a < attempts; a++) {
                    char exec[8];
                    snprintf(exec, sizeof exec, "%lld", i % 8);
                    engine_event e = {.kind = EV_TASK_START,
                                      .job = j,
                                      .stage = si[k].id,
                                      .partition = (int)i,
                                      .attempt = a,
                                      .task_id = task_id++};
                    put(&e, t);
                    double d = 0.05 + (double)((task_id * 7919) % 1000) / 10000.0;
                    t += 0.0001;
                    task_metrics m = {.run_time = (int64_t)(d * 900),
                                      .cpu_time = 40000000,
                                      .result_size = 1500,
                                      .peak_memory = 1 << 20,
                                      .input_bytes = k ? 0 : 131072,
                                      .input_records = k ? 0 : 2500,
                                      .sr_local_blocks = k ? 64 : 0,
                                      .sr_local_bytes = k ? 65536 : 0,
                                      .sr_records = k ? 900 : 0,
                                      .sw_bytes = k ? 0 : 65536,
                                      .sw_records = k ? 0 : 900,
                                      .sw_time = k ? 0 : 2000000};
                    bool fail = attempts == 2 && a == 0;
                    e.kind = EV_TASK_END;
                    e.name = exec;
                    e.rc = fail ? KILN_EUSER : KILN_OK;
                    e.message = fail ? "map function failed: synthetic failure" : NULL;
                    e.duration = d;
                    e.metrics = &m;
                    e.shuffle_map = k == 0;
                    put(&e, t + d);
                }
            }
            t += 1;
            put(&(engine_event){.kind = EV_STAGE_END,
                                .job = j,
                                .stage = si[k].id,
                                .name = si[k].name,
                                .tasks = si[k].tasks,
                                .stages = &si[k],
                                .nstages = 1},
                t);
        }
        stage += 2;
        put(&(engine_event){.kind = EV_JOB_END, .job = j, .name = "count"}, t);
    }
    put(&(engine_event){.kind = EV_APP_END}, t);
    kiln_buf_release(&line);
    if (fclose(out) != 0) {
        perror(argv[1]);
        return 1;
    }
    fprintf(stderr, "gen_event_log: %lld task attempts in %d jobs\n", task_id, jobs);
    return 0;
}
