/*
 * deploy/status.c - the status document (JSON, the body of the master's
 * GET /json and the output of `kiln status`) and the status client that
 * asks a master for it over the wire (STATUS_REQUEST / STATUS_REPLY).
 *
 * Both the HTTP listener and `kiln status` print the document built here
 * from a deploy_status, so the two can never disagree on its layout.
 * Memory is reported in MiB as Spark's master does ("memory": 4096 for 4g);
 * the exact byte count is "memory_bytes".
 */
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "deploy/deploy_int.h"

static const char *state_name(deploy_worker_state s)
{
    return s == DEPLOY_WORKER_ALIVE ? "ALIVE" : s == DEPLOY_WORKER_DEAD ? "DEAD" : "UNKNOWN";
}

/* One worker as one line: easy to read and to grep. */
static int worker_json(kiln_buf *b, const deploy_worker_status *w)
{
    int rc = buf_appendf(b, "{\"id\": ");
    if (rc == KILN_OK) rc = json_put_str(b, w->id);
    if (rc == KILN_OK) rc = buf_appendf(b, ", \"host\": ");
    if (rc == KILN_OK) rc = json_put_str(b, w->offer.host);
    if (rc == KILN_OK)
        rc = buf_appendf(b,
                         ", \"cores\": %u, \"memory\": %llu, \"memory_bytes\": %llu, \"workdir\": ",
                         w->offer.cores, (unsigned long long)(w->offer.memory >> 20),
                         (unsigned long long)w->offer.memory);
    if (rc == KILN_OK) rc = json_put_str(b, w->offer.work_dir);
    if (rc == KILN_OK)
        rc = buf_appendf(b, ", \"state\": \"%s\", \"lastheartbeat_age_ms\": %llu}",
                         state_name(w->state), (unsigned long long)w->heartbeat_age_ms);
    return rc;
}

/* One application as one line. */
static int app_json(kiln_buf *b, const deploy_app_status *a)
{
    int rc = buf_appendf(b, "{\"id\": ");
    if (rc == KILN_OK) rc = json_put_str(b, a->id);
    if (rc == KILN_OK) rc = buf_appendf(b, ", \"name\": ");
    if (rc == KILN_OK) rc = json_put_str(b, a->name);
    if (rc == KILN_OK)
        rc = buf_appendf(b,
                         ", \"state\": \"%s\", \"cores\": %u, \"memoryperexecutor\": %llu, "
                         "\"memoryperexecutor_bytes\": %llu, \"driver\": ",
                         a->state == DEPLOY_APP_RUNNING    ? "RUNNING"
                         : a->state == DEPLOY_APP_FINISHED ? "FINISHED"
                                                           : "UNKNOWN",
                         a->cores, (unsigned long long)(a->executor_memory >> 20),
                         (unsigned long long)a->executor_memory);
    if (rc == KILN_OK) rc = json_put_str(b, a->driver);
    /* kiln's: Spark's master shows the UI's link on its page only */
    if (rc == KILN_OK) rc = buf_appendf(b, ", \"appuiurl\": ");
    if (rc == KILN_OK) rc = json_put_str(b, a->ui_url);
    if (rc == KILN_OK) rc = buf_appendf(b, "}");
    return rc;
}

/* One executor as one line. */
static int exec_json(kiln_buf *b, const deploy_exec_status *e)
{
    int rc = buf_appendf(b, "{\"app\": ");
    if (rc == KILN_OK) rc = json_put_str(b, e->app_id);
    if (rc == KILN_OK) rc = buf_appendf(b, ", \"id\": %u, \"worker\": ", e->executor);
    if (rc == KILN_OK) rc = json_put_str(b, e->worker_id);
    if (rc == KILN_OK)
        rc = buf_appendf(b, ", \"cores\": %u, \"memory\": %llu, \"state\": \"%s\"}", e->cores,
                         (unsigned long long)(e->memory >> 20), deploy_exec_state_name(e->state));
    return rc;
}

/* Totals over the ALIVE workers, as Spark's master page shows them. */
static int totals_json(kiln_buf *b, const deploy_status *s)
{
    uint32_t alive = 0;
    uint64_t cores = 0, memory = 0;
    for (uint32_t i = 0; i < s->nworkers; i++) {
        if (s->workers[i].state != DEPLOY_WORKER_ALIVE) continue;
        alive++;
        cores += s->workers[i].offer.cores;
        memory += s->workers[i].offer.memory;
    }
    return buf_appendf(b, "  \"aliveworkers\": %u,\n  \"cores\": %llu,\n  \"memory\": %llu,\n",
                       alive, (unsigned long long)cores, (unsigned long long)(memory >> 20));
}

int deploy_status_json(const deploy_status *s, kiln_buf *out)
{
    int rc = buf_appendf(out, "{\n  \"url\": ");
    if (rc == KILN_OK) rc = json_put_str(out, s->url);
    if (rc == KILN_OK)
        rc = buf_appendf(out, ",\n  \"status\": \"%s\",\n", s->recovering ? "RECOVERING" : "ALIVE");
    if (rc == KILN_OK) rc = totals_json(out, s);
    if (rc == KILN_OK) rc = buf_appendf(out, "  \"workers\": [");
    for (uint32_t i = 0; rc == KILN_OK && i < s->nworkers; i++) {
        rc = buf_appendf(out, "%s\n    ", i ? "," : "");
        if (rc == KILN_OK) rc = worker_json(out, &s->workers[i]);
    }
    if (rc == KILN_OK) rc = buf_appendf(out, "%s],\n", s->nworkers ? "\n  " : "");
    if (rc == KILN_OK) rc = buf_appendf(out, "  \"applications\": [");
    for (uint32_t i = 0; rc == KILN_OK && i < s->napps; i++) {
        rc = buf_appendf(out, "%s\n    ", i ? "," : "");
        if (rc == KILN_OK) rc = app_json(out, &s->apps[i]);
    }
    if (rc == KILN_OK) rc = buf_appendf(out, "%s],\n  \"executors\": [", s->napps ? "\n  " : "");
    for (uint32_t i = 0; rc == KILN_OK && i < s->nexecs; i++) {
        rc = buf_appendf(out, "%s\n    ", i ? "," : "");
        if (rc == KILN_OK) rc = exec_json(out, &s->execs[i]);
    }
    if (rc == KILN_OK) rc = buf_appendf(out, "%s]\n}\n", s->nexecs ? "\n  " : "");
    return rc;
}

/* Sends STATUS_REQUEST on an authenticated connection and reads the reply. */
static int request_status(int fd, const char *peer, int timeout_ms, deploy_status *out)
{
    int rc = net_send_frame(fd, NET_MSG_STATUS_REQUEST, NULL, 0, timeout_ms, peer);
    net_frame f = {0};
    if (rc == KILN_OK) rc = net_recv_frame(fd, DEPLOY_STATUS_MAX_FRAME, timeout_ms, peer, &f);
    if (rc != KILN_OK) return rc;
    if (f.type == NET_MSG_ERROR) {
        int code;
        char msg[NET_ERROR_MAX_MESSAGE + 1];
        rc = net_msg_error_read(&f, peer, &code, msg, sizeof msg);
        if (rc == KILN_OK) rc = kiln_set_error(code < 0 ? code : KILN_EIO, "%s: %s", peer, msg);
    } else {
        rc = deploy_msg_status_reply_read(&f, peer, out);
    }
    net_frame_release(&f);
    return rc;
}

int deploy_status_fetch(const net_url *url, const char *secret_spec, int timeout_ms,
                        deploy_status *out)
{
    uint8_t *secret;
    size_t slen;
    int rc = net_secret_load(secret_spec, &secret, &slen);
    if (rc != KILN_OK) return rc;
    char peer[NET_HOST_MAX + 32];
    net_url_format(peer, sizeof peer, "master kiln", url->host, url->port);
    int fd = -1;
    rc = net_dial(url->host, url->port, secret, slen, false, timeout_ms, peer, &fd);
    net_secret_free(secret, slen);
    if (rc == KILN_OK) rc = request_status(fd, peer, timeout_ms, out);
    net_close(fd);
    return rc;
}
