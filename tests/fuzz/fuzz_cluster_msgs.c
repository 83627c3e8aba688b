/*
 * fuzz_cluster_msgs.c - libFuzzer target for what cluster peers send after
 * authenticating: the lineage decoder (docs/formats/lineage.md), the
 * LAUNCH_TASK, TASK_RESULT and RELEASE payloads, the cluster manager's
 * REGISTER_WORKER, REGISTERED_WORKER and STATUS_REPLY payloads, the
 * application payloads (REGISTER_APP, REGISTERED_APP, LAUNCH_EXECUTOR,
 * EXECUTOR_STATE / APP_EXECUTOR, KILL_EXECUTOR, FETCH_FILE), the shuffle
 * locations a task carries (block_fetcher_update). (The HTTP request
 * parser has its own target, fuzz_web_request.c.) Input byte 0 picks the
 * decoder (RELEASE shares TASK_RESULT's). The lineage case starts from a
 * real encoded graph (range -> map with env -> reduce_by_key ->
 * sort_by_key) and applies the input as edits
 * (position, byte) to it, so the decoder is driven deep; it only decodes,
 * never runs, the result. Everything must be refused with a message or
 * decoded, never crash, read out of bounds or leak.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/blocks.h"
#include "cluster/cluster.h"
#include "deploy/deploy_int.h"
#include "engine/engine.h"
#include "net/net.h"

static kiln_buf base;

static int times(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)t;
    int64_t k;
    memcpy(&k, env, sizeof k);
    kiln_value kv[2] = {kiln_int(in->u.i % 7), kiln_int(in->u.i * k)};
    *out = kiln_tuple_new(kiln_task_arena(t), kv, 2);
    return KILN_OK;
}

static kiln_context *context(void)
{
    kiln_conf *c = kiln_conf_new();
    kiln_conf_set(c, "kiln.master", "local[1]");
    kiln_conf_set(c, "kiln.ui.showConsoleProgress", "false");
    kiln_context *ctx = NULL;
    if (kiln_context_new(c, &ctx)) abort();
    kiln_conf_free(c);
    return ctx;
}

static void make_base(void)
{
    setenv("KILN_LOG_LEVEL", "OFF", 1);
    kiln_context *ctx = context();
    int64_t k = 3;
    kiln_rdd *r = kiln_rdd_map(kiln_range(ctx, 0, 100, 1, 3), times, &k, sizeof k);
    r = kiln_rdd_sort_by_key(kiln_rdd_reduce_by_key(r, kiln_fn_add, NULL, 0, 2), true, 2);
    kiln_buf_init(&base);
    if (!r || lineage_encode(r, &base)) abort();
    kiln_context_free(ctx);
}

static void lineage_case(const uint8_t *d, size_t n)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_append(&b, base.data, base.len);
    size_t len = b.len;
    if (n >= 2) len = b.len - (d[0] | d[1] << 8) % (b.len + 1) / 8; /* sometimes shorter */
    for (size_t i = 2; i + 3 <= n; i += 3) b.data[(d[i] | d[i + 1] << 8) % b.len] = d[i + 2];
    kiln_context *ctx = context();
    kiln_rdd *out;
    kiln_set_error(KILN_OK, NULL);
    if (lineage_decode(ctx, b.data, len, &out) != KILN_OK && !kiln_last_error()[0]) abort();
    kiln_context_free(ctx);
    kiln_buf_release(&b);
}

static void frame_case(uint8_t type, const uint8_t *d, size_t n)
{
    net_frame f = {.type = type};
    kiln_buf_init(&f.payload);
    kiln_buf_append(&f.payload, d, n);
    deploy_register reg;
    char id[DEPLOY_ID_MAX];
    deploy_status st = {0};
    if (type == NET_MSG_REGISTER_WORKER) deploy_msg_register_read(&f, "fuzz", &reg);
    deploy_worker_register wreg;
    if (type == NET_MSG_REGISTER_WORKER &&
        deploy_msg_register_worker_read(&f, "fuzz", &wreg) == KILN_OK)
        deploy_worker_register_release(&wreg);
    if (type == NET_MSG_REGISTERED_WORKER) deploy_msg_registered_read(&f, "fuzz", id);
    if (type == NET_MSG_STATUS_REPLY && deploy_msg_status_reply_read(&f, "fuzz", &st) == KILN_OK)
        deploy_status_release(&st);
    deploy_app_register ar;
    if (type == NET_MSG_REGISTER_APP && deploy_msg_register_app_read(&f, "fuzz", &ar) == KILN_OK)
        deploy_app_desc_release(&ar.desc);
    deploy_app_registered ad;
    if (type == NET_MSG_REGISTERED_APP) deploy_msg_registered_app_read(&f, "fuzz", &ad);
    deploy_launch l;
    if (type == NET_MSG_LAUNCH_EXECUTOR && deploy_msg_launch_read(&f, "fuzz", &l) == KILN_OK)
        deploy_app_desc_release(&l.desc);
    deploy_exec_report rep;
    if (type == NET_MSG_EXECUTOR_STATE || type == NET_MSG_APP_EXECUTOR)
        deploy_msg_exec_report_read(&f, type, "fuzz", &rep);
    char sha[DEPLOY_SHA256_HEX];
    if (type == NET_MSG_KILL_EXECUTOR) deploy_msg_kill_read(&f, "fuzz", id);
    if (type == NET_MSG_FETCH_FILE) deploy_msg_fetch_file_read(&f, "fuzz", sha);
    net_frame_release(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!base.data) make_base();
    if (size < 1) return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    char err[256];
    static const uint8_t app_types[] = {NET_MSG_REGISTER_APP,    NET_MSG_REGISTERED_APP,
                                        NET_MSG_LAUNCH_EXECUTOR, NET_MSG_EXECUTOR_STATE,
                                        NET_MSG_APP_EXECUTOR,    NET_MSG_KILL_EXECUTOR,
                                        NET_MSG_FETCH_FILE};
    if (data[0] % 15 >= 8) { /* the application payloads */
        frame_case(app_types[data[0] % 15 - 8], d, n);
        return 0;
    }
    switch (data[0] % 15) {
    case 0:
        lineage_case(d, n);
        break;
    case 1: {
        task_msg m;
        task_msg_read(d, n, &m);
        break;
    }
    case 2: { /* and RELEASE, also read on a slot's connection */
        result_msg m;
        result_msg_read(d, n, &m, err, sizeof err);
        release_msg rel;
        kiln_set_error(KILN_OK, NULL);
        if (release_msg_read(d, n, &rel) != KILN_OK && !kiln_last_error()[0]) abort();
        release_msg_free(&rel);
        break;
    }
    case 3:
        frame_case(NET_MSG_REGISTER_WORKER, d, n);
        break;
    case 4:
        frame_case(NET_MSG_REGISTERED_WORKER, d, n);
        break;
    case 5:
        frame_case(NET_MSG_STATUS_REPLY, d, n);
        break;
    case 6: {
        static const uint8_t secret[NET_SECRET_MIN] = {0};
        block_fetcher *f = block_fetcher_new(secret, sizeof secret, false);
        if (!f) abort();
        kiln_set_error(KILN_OK, NULL);
        if (block_fetcher_update(f, d, n) != KILN_OK && !kiln_last_error()[0]) abort();
        block_fetcher_free(f);
        break;
    }
    default:
        break; /* the HTTP parser has its own target: fuzz_web_request.c */
    }
    return 0;
}
