/*
 * fuzz_event_log.c - libFuzzer target for event log replay (src/ui/replay.c,
 * ui_replay_line): the bytes are split at newlines and each line applied
 * to one status store, as the history server does with a hostile or
 * corrupt log; then the store's REST answers (the application, jobs,
 * stages, SQL executions) are rendered. A line may be rejected, nothing
 * may crash or leak. The first input line is prefixed with an
 * application start naming "app", so the REST paths resolve.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_status.h"

static const char app_start[] =
    "{\"Event\":\"SparkListenerApplicationStart\",\"App Name\":\"a\",\"App ID\":\"app\","
    "\"Timestamp\":1,\"User\":\"u\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ui_store *s = ui_store_new(NULL);
    if (!s) return 0;
    char err[256];
    (void)ui_replay_line(s, app_start, sizeof app_start - 1, err, sizeof err);
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        (void)ui_replay_line(s, p, n, err, sizeof err);
        p += n + (nl != NULL);
    }
    static const char *const paths[] = {
        "/applications/app",        "/applications/app/jobs",       "/applications/app/stages",
        "/applications/app/sql",    "/applications/app/sql/0",      "/applications/app/executors",
        "/applications/app/jobs/0", "/applications/app/storage/rdd"};
    kiln_buf out;
    kiln_buf_init(&out);
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        out.len = 0;
        (void)ui_api_render(s, paths[i], NULL, &out);
    }
    kiln_buf_release(&out);
    ui_store_free(s);
    return 0;
}
