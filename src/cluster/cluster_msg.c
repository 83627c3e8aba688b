/*
 * cluster/cluster_msg.c - the payloads of LAUNCH_TASK and TASK_RESULT
 * (docs/formats/protocol.md, "Executors").
 */
#include <string.h>

#include "cluster/cluster.h"
#include "net/net.h"

#define MAX_LINEAGE (256u << 20)

int task_msg_write(kiln_buf *b, const task_msg *m)
{
    net_writer w;
    net_writer_init(&w, b);
    net_put_u32(&w, m->job);
    net_put_u32(&w, m->stage);
    net_put_u32(&w, m->partition);
    net_put_u32(&w, m->attempt);
    net_put_u32(&w, (uint32_t)m->dep);
    net_put_bytes(&w, m->lineage, m->lineage_len);
    net_put_bytes(&w, m->action, m->action_len);
    net_put_bytes(&w, m->wire, m->wire_len);
    net_put_u32(&w, m->first_broadcast);
    net_put_u32(&w, m->nbroadcasts);
    net_put_bytes(&w, m->broadcasts, m->broadcasts_len);
    net_put_bytes(&w, m->locations, m->locations_len);
    return net_writer_finish(&w);
}

int task_msg_read(const uint8_t *p, size_t n, task_msg *m)
{
    net_reader r;
    net_reader_init(&r, p, n, "LAUNCH_TASK");
    m->job = net_get_u32(&r, "job");
    m->stage = net_get_u32(&r, "stage");
    m->partition = net_get_u32(&r, "partition");
    m->attempt = net_get_u32(&r, "attempt");
    m->dep = (int32_t)net_get_u32(&r, "shuffle");
    m->lineage = net_get_bytes(&r, MAX_LINEAGE, &m->lineage_len, "lineage");
    m->action = net_get_bytes(&r, 64, &m->action_len, "action");
    m->wire = net_get_bytes(&r, MAX_LINEAGE, &m->wire_len, "action argument");
    m->first_broadcast = net_get_u32(&r, "first broadcast");
    m->nbroadcasts = net_get_u32(&r, "broadcast count");
    m->broadcasts = net_get_bytes(&r, MAX_LINEAGE, &m->broadcasts_len, "broadcasts");
    m->locations = net_get_bytes(&r, MAX_LINEAGE, &m->locations_len, "shuffle locations");
    int rc = net_reader_end(&r);
    if (rc == KILN_OK && (m->nbroadcasts > m->broadcasts_len || m->first_broadcast < 1))
        rc = kiln_set_error(KILN_ECORRUPT, "LAUNCH_TASK: %u broadcast values in %zu bytes",
                            m->nbroadcasts, m->broadcasts_len);
    if (rc == KILN_OK && (m->partition > INT32_MAX || m->attempt > INT32_MAX || m->dep < -1))
        rc = kiln_set_error(KILN_ECORRUPT, "LAUNCH_TASK: partition, attempt or shuffle out of range");
    return rc;
}

int result_msg_write(kiln_buf *b, const result_msg *m)
{
    net_writer w;
    net_writer_init(&w, b);
    net_put_u8(&w, m->status);
    net_put_u32(&w, (uint32_t)m->rc);
    net_put_str(&w, m->error ? m->error : "");
    net_put_u32(&w, (uint32_t)m->fetch_shuffle);
    net_put_u32(&w, (uint32_t)m->fetch_map);
    net_put_u8(&w, m->final);
    net_put_bytes(&w, m->records, m->records_len);
    net_put_u32(&w, m->naccs);
    net_put_bytes(&w, m->accs, m->accs_len);
    net_put_u64(&w, m->fetch_bytes);
    net_put_u64(&w, m->fetch_us);
    net_put_bytes(&w, m->cached, m->cached_len);
    return net_writer_finish(&w);
}

int result_msg_read(const uint8_t *p, size_t n, result_msg *m, char *errbuf, size_t size)
{
    net_reader r;
    net_reader_init(&r, p, n, "TASK_RESULT");
    m->status = net_get_u8(&r, "status");
    m->rc = (int32_t)net_get_u32(&r, "code");
    net_get_str(&r, errbuf, size, "error");
    m->error = errbuf;
    m->fetch_shuffle = (int32_t)net_get_u32(&r, "fetch shuffle");
    m->fetch_map = (int32_t)net_get_u32(&r, "fetch map");
    m->final = net_get_u8(&r, "final");
    m->records = net_get_bytes(&r, SIZE_MAX, &m->records_len, "records");
    m->naccs = net_get_u32(&r, "accumulator count");
    m->accs = net_get_bytes(&r, SIZE_MAX, &m->accs_len, "accumulators");
    m->fetch_bytes = net_get_u64(&r, "fetched bytes");
    m->fetch_us = net_get_u64(&r, "fetch time");
    m->cached = net_get_bytes(&r, 1u << 24, &m->cached_len, "cached partitions");
    int rc = net_reader_end(&r);
    if (rc == KILN_OK && m->cached_len % 8)
        rc = kiln_set_error(KILN_ECORRUPT, "TASK_RESULT: cached partitions of %zu bytes", m->cached_len);
    if (rc == KILN_OK && m->status > TASK_FETCH_FAILED)
        rc = kiln_set_error(KILN_ECORRUPT, "TASK_RESULT: status %u", m->status);
    return rc;
}
