/*
 * cluster/cluster_msg.c - the payloads of LAUNCH_TASK, TASK_RESULT and
 * RELEASE (docs/formats/protocol.md, "Executors"). Each payload's fields are
 * listed once below (net/fields.h); the writer and the reader are
 * generated from that list, so a field cannot be written one way and read
 * another. Byte fields are borrowed from the payload when read.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "net/fields.h"
#include "net/net.h"

#define MAX_LINEAGE (256u << 20)

#define TASK_FIELDS(X)                                                                             \
    X(U32, job, "job", 0, _)                                                                       \
    X(U32, stage, "stage", 0, _)                                                                   \
    X(U32, partition, "partition", 0, _)                                                           \
    X(U32, attempt, "attempt", 0, _)                                                               \
    X(I32, dep, "shuffle", 0, _)                                                                   \
    X(BYTES, lineage, "lineage", MAX_LINEAGE, _)                                                   \
    X(BYTES, action, "action", 64, _)                                                              \
    X(BYTES, wire, "action argument", MAX_LINEAGE, _)                                              \
    X(U32, first_broadcast, "first broadcast", 0, _)                                               \
    X(U32, nbroadcasts, "broadcast count", 0, _)                                                   \
    X(U32, last_broadcast, "last broadcast", 0, _)                                                 \
    X(BYTES, broadcasts, "broadcasts", MAX_LINEAGE, _)                                             \
    X(BYTES, locations, "shuffle locations", MAX_LINEAGE, _)
NET_CODEC(task, task_msg, TASK_FIELDS)

/* The task's metrics: every field of engine.h's TASK_METRICS, in its order,
 * as a u64 (two's complement). */
#define METRICS_FIELDS(X)                                                                          \
    X(U64, run_time, "run time", 0, _)                                                             \
    X(U64, cpu_time, "cpu time", 0, _)                                                             \
    X(U64, result_size, "result size", 0, _)                                                       \
    X(U64, memory_spilled, "memory spilled", 0, _)                                                 \
    X(U64, disk_spilled, "disk spilled", 0, _)                                                     \
    X(U64, peak_memory, "peak memory", 0, _)                                                       \
    X(U64, input_bytes, "input bytes", 0, _)                                                       \
    X(U64, input_records, "input records", 0, _)                                                   \
    X(U64, output_bytes, "output bytes", 0, _)                                                     \
    X(U64, output_records, "output records", 0, _)                                                 \
    X(U64, sr_remote_blocks, "sr remote blocks", 0, _)                                             \
    X(U64, sr_local_blocks, "sr local blocks", 0, _)                                               \
    X(U64, sr_fetch_wait, "sr fetch wait", 0, _)                                                   \
    X(U64, sr_remote_bytes, "sr remote bytes", 0, _)                                               \
    X(U64, sr_local_bytes, "sr local bytes", 0, _)                                                 \
    X(U64, sr_records, "sr records", 0, _)                                                         \
    X(U64, sw_bytes, "sw bytes", 0, _)                                                             \
    X(U64, sw_records, "sw records", 0, _)                                                         \
    X(U64, sw_time, "sw time", 0, _)                                                               \
    X(U64, deser_time, "deserialize time", 0, _)                                                   \
    X(U64, deser_cpu_time, "deserialize cpu time", 0, _)                                           \
    X(U64, result_ser_time, "result serialization time", 0, _)
_Static_assert(sizeof(task_metrics) == 22 * sizeof(int64_t), "METRICS_FIELDS lists every metric");
NET_CODEC(metrics, task_metrics, METRICS_FIELDS)

/* The metrics end TASK_RESULT and result_ser_time ends them, so it is the
 * payload's last u64 (result_msg_set_ser_time). */
_Static_assert(offsetof(task_metrics, result_ser_time) + 8 == sizeof(task_metrics),
               "result_ser_time is the last metric");

#define RESULT_FIELDS(X)                                                                           \
    X(U8, status, "status", 0, _)                                                                  \
    X(I32, rc, "code", 0, _)                                                                       \
    X(STRBUF, error, "error", 0, _)                                                                \
    X(I32, fetch_shuffle, "fetch shuffle", 0, _)                                                   \
    X(I32, fetch_map, "fetch map", 0, _)                                                           \
    X(U8, final, "final", 0, _)                                                                    \
    X(BYTES, records, "records", SIZE_MAX, _)                                                      \
    X(U32, naccs, "accumulator count", 0, _)                                                       \
    X(BYTES, accs, "accumulators", SIZE_MAX, _)                                                    \
    X(U64, fetch_bytes, "fetched bytes", 0, _)                                                     \
    X(U64, fetch_us, "fetch time", 0, _)                                                           \
    X(U32, fetch_retries, "fetch retries", 0, _)                                                   \
    X(BYTES, cached, "cached partitions", 1u << 24, _)                                             \
    X(STRUCT, metrics, "task metrics", 0, metrics)
NET_CODEC(result, result_msg, RESULT_FIELDS)

/* Ids in one RELEASE, per list: the driver sends what piled up while the
 * executor's slots were busy, in several messages when needed. */
#define MAX_RELEASE_IDS (1u << 20)
#define RELEASE_ID_FIELDS(X) X(U64, id, "id", 0, _)
NET_CODEC(release_id, release_id, RELEASE_ID_FIELDS)

#define RELEASE_FIELDS(X)                                                                          \
    X(LIST, rdds, "RDD count", MAX_RELEASE_IDS, release_id)                                        \
    X(LIST, shuffles, "shuffle count", MAX_RELEASE_IDS, release_id)                                \
    X(LIST, broadcasts, "broadcast count", MAX_RELEASE_IDS, release_id)
NET_CODEC(release, release_msg, RELEASE_FIELDS)

int release_msg_write(kiln_buf *b, const release_msg *m)
{
    return release_write(b, m);
}

int release_msg_read(const uint8_t *p, size_t n, release_msg *m)
{
    memset(m, 0, sizeof *m);
    wire_reader r;
    wire_reader_init(&r, p, n, "RELEASE");
    release_get(&r, m, NULL, 0);
    return wire_reader_end(&r);
}

void release_msg_free(release_msg *m)
{
    free(m->rdds);
    free(m->shuffles);
    free(m->broadcasts);
    memset(m, 0, sizeof *m);
}

int task_msg_write(kiln_buf *b, const task_msg *m)
{
    return task_write(b, m);
}

int task_msg_read(const uint8_t *p, size_t n, task_msg *m)
{
    wire_reader r;
    wire_reader_init(&r, p, n, "LAUNCH_TASK");
    task_get(&r, m, NULL, 0);
    int rc = wire_reader_end(&r);
    if (rc == KILN_OK && (m->nbroadcasts > m->broadcasts_len || m->first_broadcast < 1))
        rc = kiln_set_error(KILN_ECORRUPT, "LAUNCH_TASK: %u broadcast values in %zu bytes",
                            m->nbroadcasts, m->broadcasts_len);
    if (rc == KILN_OK && (m->partition > INT32_MAX || m->attempt > INT32_MAX || m->dep < -1))
        rc = kiln_set_error(KILN_ECORRUPT,
                            "LAUNCH_TASK: partition, attempt or shuffle out of range");
    return rc;
}

int result_msg_write(kiln_buf *b, const result_msg *m)
{
    return result_write(b, m);
}

/* error is copied into errbuf (size bytes). */
void result_msg_set_ser_time(kiln_buf *b, uint64_t ms)
{
    if (b->len < 8) return;
    for (int i = 0; i < 8; i++) b->data[b->len - 8 + (size_t)i] = (uint8_t)(ms >> (8 * i));
}

int result_msg_read(const uint8_t *p, size_t n, result_msg *m, char *errbuf, size_t size)
{
    wire_reader r;
    wire_reader_init(&r, p, n, "TASK_RESULT");
    result_get(&r, m, errbuf, size);
    int rc = wire_reader_end(&r);
    if (rc == KILN_OK && m->cached_len % 8)
        rc = kiln_set_error(KILN_ECORRUPT, "TASK_RESULT: cached partitions of %zu bytes",
                            m->cached_len);
    if (rc == KILN_OK && m->status > TASK_FETCH_FAILED)
        rc = kiln_set_error(KILN_ECORRUPT, "TASK_RESULT: status %u", m->status);
    return rc;
}
