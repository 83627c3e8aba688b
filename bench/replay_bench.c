/*
 * replay_bench.c - replays an event log into a status store with Spark's
 * default limits (ui/replay.c) and prints the time it took and what the
 * store holds: bench/run-ui-replay.sh runs it under /usr/bin/time -v for
 * the peak RSS.
 *
 *   replay_bench LOG
 */
#include <stdio.h>

#include "base/base.h"
#include "kiln.h"
#include "ui/ui_status.h"

int main(int argc, char **argv)
{
    static const char usage[] =
        "replay_bench LOG\n"
        "Replays the event log LOG into a status store and prints the time\n"
        "it took and what the store holds.\n";
    int done = kiln_args_check(argc, argv, usage, NULL);
    if (done >= 0) return done;
    if (argc != 2) {
        fprintf(stderr, "usage: %s", usage);
        return 2;
    }
    ui_store *s = ui_store_new(NULL);
    if (!s) return 1;
    double t0 = now_seconds();
    int64_t skipped = 0;
    char err[512];
    int rc = ui_replay(argv[1], s, &skipped, err, sizeof err);
    double secs = now_seconds() - t0;
    if (rc) {
        fprintf(stderr, "replay_bench: %s\n", kiln_last_error());
        return 1;
    }
    size_t tasks = 0;
    int64_t dropped = 0;
    for (size_t i = 0; i < s->nstages; i++) {
        tasks += s->stages[i].ntasks;
        dropped += s->stages[i].dropped_tasks;
    }
    printf("replayed %s in %.2f s: %zu jobs, %zu stages, %zu tasks kept (%lld forgotten), "
           "%zu executors, %lld lines skipped%s%s\n",
           argv[1], secs, s->njobs, s->nstages, tasks, (long long)dropped, s->nexecs,
           (long long)skipped, skipped ? ": " : "", skipped ? err : "");
    ui_store_free(s);
    return 0;
}
