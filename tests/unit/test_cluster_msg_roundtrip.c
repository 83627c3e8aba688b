/*
 * test_cluster_msg_roundtrip.c - every payload of the cluster manager
 * (src/deploy/messages.c, app_messages.c) and of the tasks
 * (src/cluster/cluster_msg.c), over random valid values (fixed seeds, 300
 * rounds each): the writer's bytes equal a reference encoding written
 * field by field from docs/formats/protocol.md, independent of the codecs'
 * field tables (so the wire does not move when a table does); the reader
 * gives back every value; a payload cut short, or one byte longer, is
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "cluster/cluster.h"
#include "deploy/messages.h"
#include "kt.h"
#include "kt_net.h"

enum { ROUNDS = 300 };

static rng g;

static uint32_t below(uint32_t n)
{
    return n ? (uint32_t)(rng_next(&g) % n) : 0;
}

static uint64_t u64(void)
{
    /* Small, large and extreme values alike. */
    switch (below(4)) {
    case 0:
        return below(10);
    case 1:
        return UINT64_MAX - below(3);
    default:
        return rng_next(&g);
    }
}

static uint32_t u32(void)
{
    return (uint32_t)u64();
}

/* A string of 0..max bytes (max < size) drawn from alphabet, NUL-terminated. */
static void str_from(char *out, size_t size, size_t min, size_t max, const char *alphabet)
{
    assert_true(max < size && min <= max);
    size_t n = min + below((uint32_t)(max - min + 1));
    size_t k = strlen(alphabet);
    for (size_t i = 0; i < n; i++) out[i] = alphabet[below((uint32_t)k)];
    out[n] = '\0';
}

static const char ANY[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                          " .:/_-\"\\\t\n\xc3\xa9\xe2\x82\xac\x7f\x01";
static const char ID[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
static const char HEX[] = "0123456789abcdef";

/* A string up to the field's limit (sometimes exactly at it). */
static void any_str(char *out, size_t size, size_t min)
{
    size_t max = below(3) == 0 ? size - 1 : (size - 1 < 40 ? size - 1 : 40);
    str_from(out, size, min, max, ANY);
}

static void id_str(char *out, size_t size)
{
    do str_from(out, size, 1, below(2) ? size - 1 : 12, ID);
    while (!strcmp(out, ".") || !strcmp(out, ".."));
}

static void hash(char out[DEPLOY_SHA256_HEX])
{
    str_from(out, DEPLOY_SHA256_HEX, 64, 64, HEX);
}

/* n random bytes into b (replacing what it held). */
static void bytes(kiln_buf *b, size_t max)
{
    b->len = 0;
    size_t n = below((uint32_t)max + 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)rng_next(&g);
        KT_OK(kiln_buf_append(b, &c, 1));
    }
}

/* The writer's bytes equal the reference's. */
static void same_bytes(const kiln_buf *got, const kiln_buf *want, const char *what, int round)
{
    KT_CHECK(got->len == want->len && (got->len == 0 || !memcmp(got->data, want->data, got->len)),
             "%s, round %d: %zu bytes written, %zu in the reference", what, round, got->len,
             want->len);
}

/* A few cuts of f's payload and one extra byte: each refused by read
 * (an expression using the frame tf). */
#define CUTS_REFUSED(f, call)                                                                      \
    do {                                                                                           \
        net_frame tf = (f);                                                                        \
        size_t full_ = tf.payload.len;                                                             \
        for (int k_ = 0; k_ < 3 && full_ > 0; k_++) {                                              \
            tf.payload.len = k_ == 0 ? full_ - 1 : below((uint32_t)full_);                         \
            KT_RC(KILN_ECORRUPT, call);                                                            \
        }                                                                                          \
        tf.payload.len = full_;                                                                    \
        net_frame longer = frame_of(tf.type, &tf.payload);                                         \
        KT_OK(kiln_buf_append(&longer.payload, "x", 1));                                           \
        tf = longer;                                                                               \
        KT_RC(KILN_ECORRUPT, call);                                                                \
        net_frame_release(&longer);                                                                \
    } while (0)

/* ---- REGISTER_WORKER, REGISTERED_WORKER, STATUS_REQUEST ---------------------------- */

static void random_offer(deploy_register *o)
{
    memset(o, 0, sizeof *o);
    any_str(o->host, sizeof o->host, 1);
    o->cores = 1 + below(DEPLOY_MAX_CORES);
    o->memory = u64() | 1; /* at least 1 */
    any_str(o->work_dir, sizeof o->work_dir, 0);
}

static void offer_ref(wire_writer *w, const deploy_register *o)
{
    wire_put_str(w, o->host);
    wire_put_u32(w, o->cores);
    wire_put_u64(w, o->memory);
    wire_put_str(w, o->work_dir);
}

static void same_offer(const deploy_register *a, const deploy_register *b)
{
    assert_string_equal(a->host, b->host);
    assert_int_equal(a->cores, b->cores);
    assert_true(a->memory == b->memory);
    assert_string_equal(a->work_dir, b->work_dir);
}

/* A worker registering, the first time or again with the executors it runs. */
static void random_worker_register(deploy_worker_register *r, deploy_worker_exec *execs,
                                   uint32_t max)
{
    memset(r, 0, sizeof *r);
    random_offer(&r->offer);
    if (below(2)) id_str(r->previous_id, sizeof r->previous_id);
    r->web_port = (uint32_t)below(65536);
    r->nexecs = below(max + 1);
    r->execs = execs;
    for (uint32_t k = 0; k < r->nexecs; k++) {
        deploy_worker_exec *e = &execs[k];
        memset(e, 0, sizeof *e);
        id_str(e->app_id, sizeof e->app_id);
        e->executor = k; /* (app, executor) pairs are unique */
        e->cores = 1 + below(DEPLOY_MAX_CORES);
        e->memory = u64();
        e->state = below(2) ? DEPLOY_EXEC_RUNNING : DEPLOY_EXEC_RESTARTING;
    }
}

static void worker_register_ref(wire_writer *w, const deploy_worker_register *r)
{
    offer_ref(w, &r->offer);
    wire_put_str(w, r->previous_id);
    wire_put_u32(w, r->nexecs);
    for (uint32_t k = 0; k < r->nexecs; k++) {
        wire_put_str(w, r->execs[k].app_id);
        wire_put_u32(w, r->execs[k].executor);
        wire_put_u32(w, r->execs[k].cores);
        wire_put_u64(w, r->execs[k].memory);
        wire_put_u8(w, r->execs[k].state);
    }
    wire_put_u32(w, r->web_port);
}

static void worker_messages(void **state)
{
    kiln_buf got, want;
    kiln_buf_init(&got);
    kiln_buf_init(&want);
    for (int i = 0; i < ROUNDS; i++) {
        deploy_register in, out;
        random_offer(&in);
        got.len = want.len = 0;
        KT_OK(deploy_msg_register_write(&got, &in));
        wire_writer w;
        wire_writer_init(&w, &want);
        offer_ref(&w, &in);
        wire_put_str(&w, ""); /* no previous id */
        wire_put_u32(&w, 0);  /* no executors */
        wire_put_u32(&w, 0);  /* no web UI */
        KT_OK(wire_writer_finish(&w));
        same_bytes(&got, &want, "REGISTER_WORKER", i);
        net_frame f = frame_of(NET_MSG_REGISTER_WORKER, &got);
        KT_OK(deploy_msg_register_read(&f, "w", &out));
        same_offer(&in, &out);
        CUTS_REFUSED(f, deploy_msg_register_read(&tf, "w", &out));
        net_frame_release(&f);

        deploy_worker_exec execs[4];
        deploy_worker_register rin, rout;
        random_worker_register(&rin, execs, 4);
        got.len = want.len = 0;
        KT_OK(deploy_msg_register_worker_write(&got, &rin));
        wire_writer_init(&w, &want);
        worker_register_ref(&w, &rin);
        KT_OK(wire_writer_finish(&w));
        same_bytes(&got, &want, "REGISTER_WORKER (again)", i);
        f = frame_of(NET_MSG_REGISTER_WORKER, &got);
        KT_OK(deploy_msg_register_worker_read(&f, "w", &rout));
        same_offer(&rin.offer, &rout.offer);
        assert_string_equal(rout.previous_id, rin.previous_id);
        assert_int_equal(rout.web_port, rin.web_port);
        assert_int_equal(rout.nexecs, rin.nexecs);
        for (uint32_t k = 0; k < rin.nexecs; k++) {
            assert_string_equal(rout.execs[k].app_id, rin.execs[k].app_id);
            assert_int_equal(rout.execs[k].executor, rin.execs[k].executor);
            assert_int_equal(rout.execs[k].cores, rin.execs[k].cores);
            assert_true(rout.execs[k].memory == rin.execs[k].memory);
            assert_int_equal(rout.execs[k].state, rin.execs[k].state);
        }
        deploy_worker_register_release(&rout);
        CUTS_REFUSED(f, deploy_msg_register_worker_read(&tf, "w", &rout));
        net_frame_release(&f);

        char id[DEPLOY_ID_MAX], back[DEPLOY_ID_MAX];
        any_str(id, sizeof id, 1);
        got.len = want.len = 0;
        KT_OK(deploy_msg_registered_write(&got, id));
        wire_writer_init(&w, &want);
        wire_put_str(&w, id);
        same_bytes(&got, &want, "REGISTERED_WORKER", i);
        f = frame_of(NET_MSG_REGISTERED_WORKER, &got);
        KT_OK(deploy_msg_registered_read(&f, "m", back));
        assert_string_equal(back, id);
        CUTS_REFUSED(f, deploy_msg_registered_read(&tf, "m", back));
        net_frame_release(&f);
    }
    got.len = 0;
    net_frame f = frame_of(NET_MSG_STATUS_REQUEST, &got);
    KT_OK(deploy_msg_status_request_check(&f, "c"));
    net_frame_release(&f);
    kiln_buf_release(&got);
    kiln_buf_release(&want);
}

/* ---- STATUS_REPLY ------------------------------------------------------------------ */

static void random_status(deploy_status *s)
{
    memset(s, 0, sizeof *s);
    any_str(s->url, sizeof s->url, 0);
    s->nworkers = below(4);
    s->napps = below(4);
    s->nexecs = below(4);
    s->workers = calloc(s->nworkers + 1, sizeof *s->workers);
    s->apps = calloc(s->napps + 1, sizeof *s->apps);
    s->execs = calloc(s->nexecs + 1, sizeof *s->execs);
    for (uint32_t i = 0; i < s->nworkers; i++) {
        deploy_worker_status *w = &s->workers[i];
        any_str(w->id, sizeof w->id, 0);
        random_offer(&w->offer);
        w->state = (deploy_worker_state)(DEPLOY_WORKER_ALIVE + below(3)); /* or DEAD, UNKNOWN */
        w->heartbeat_age_ms = u64();
    }
    for (uint32_t i = 0; i < s->napps; i++) {
        deploy_app_status *a = &s->apps[i];
        any_str(a->id, sizeof a->id, 0);
        any_str(a->name, sizeof a->name, 0);
        a->state = (uint8_t)(DEPLOY_APP_RUNNING + below(3)); /* or FINISHED, UNKNOWN */
        a->cores = u32();
        a->executor_memory = u64();
        any_str(a->driver, sizeof a->driver, 0);
        any_str(a->ui_url, sizeof a->ui_url, 0);
    }
    for (uint32_t i = 0; i < s->nexecs; i++) {
        deploy_exec_status *e = &s->execs[i];
        any_str(e->app_id, sizeof e->app_id, 0);
        e->executor = u32();
        any_str(e->worker_id, sizeof e->worker_id, 0);
        e->cores = u32();
        e->memory = u64();
        e->state = (uint8_t)(1 + below(6));
    }
    s->recovering = (uint8_t)below(2);
}

static void status_ref(wire_writer *w, const deploy_status *s)
{
    wire_put_str(w, s->url);
    wire_put_u32(w, s->nworkers);
    for (uint32_t i = 0; i < s->nworkers; i++) {
        wire_put_str(w, s->workers[i].id);
        offer_ref(w, &s->workers[i].offer);
        wire_put_u8(w, (uint8_t)s->workers[i].state);
        wire_put_u64(w, s->workers[i].heartbeat_age_ms);
    }
    wire_put_u32(w, s->napps);
    for (uint32_t i = 0; i < s->napps; i++) {
        const deploy_app_status *a = &s->apps[i];
        wire_put_str(w, a->id);
        wire_put_str(w, a->name);
        wire_put_u8(w, a->state);
        wire_put_u32(w, a->cores);
        wire_put_u64(w, a->executor_memory);
        wire_put_str(w, a->driver);
        wire_put_str(w, a->ui_url);
    }
    wire_put_u32(w, s->nexecs);
    for (uint32_t i = 0; i < s->nexecs; i++) {
        const deploy_exec_status *e = &s->execs[i];
        wire_put_str(w, e->app_id);
        wire_put_u32(w, e->executor);
        wire_put_str(w, e->worker_id);
        wire_put_u32(w, e->cores);
        wire_put_u64(w, e->memory);
        wire_put_u8(w, e->state);
    }
    wire_put_u8(w, s->recovering);
}

static void status_reply(void **state)
{
    kiln_buf got, want;
    kiln_buf_init(&got);
    kiln_buf_init(&want);
    for (int i = 0; i < ROUNDS; i++) {
        deploy_status in, out;
        random_status(&in);
        got.len = want.len = 0;
        KT_OK(deploy_msg_status_reply_write(&got, &in));
        wire_writer w;
        wire_writer_init(&w, &want);
        status_ref(&w, &in);
        same_bytes(&got, &want, "STATUS_REPLY", i);
        net_frame f = frame_of(NET_MSG_STATUS_REPLY, &got);
        KT_OK(deploy_msg_status_reply_read(&f, "m", &out));
        assert_string_equal(out.url, in.url);
        assert_int_equal(out.recovering, in.recovering);
        assert_int_equal(out.nworkers, in.nworkers);
        assert_int_equal(out.napps, in.napps);
        assert_int_equal(out.nexecs, in.nexecs);
        for (uint32_t k = 0; k < in.nworkers; k++) {
            assert_string_equal(out.workers[k].id, in.workers[k].id);
            same_offer(&out.workers[k].offer, &in.workers[k].offer);
            assert_int_equal(out.workers[k].state, in.workers[k].state);
            assert_true(out.workers[k].heartbeat_age_ms == in.workers[k].heartbeat_age_ms);
        }
        for (uint32_t k = 0; k < in.napps; k++) {
            const deploy_app_status *a = &in.apps[k], *b = &out.apps[k];
            assert_string_equal(a->id, b->id);
            assert_string_equal(a->name, b->name);
            assert_int_equal(a->state, b->state);
            assert_int_equal(a->cores, b->cores);
            assert_true(a->executor_memory == b->executor_memory);
            assert_string_equal(a->driver, b->driver);
            assert_string_equal(a->ui_url, b->ui_url);
        }
        for (uint32_t k = 0; k < in.nexecs; k++) {
            const deploy_exec_status *a = &in.execs[k], *b = &out.execs[k];
            assert_string_equal(a->app_id, b->app_id);
            assert_int_equal(a->executor, b->executor);
            assert_string_equal(a->worker_id, b->worker_id);
            assert_int_equal(a->cores, b->cores);
            assert_true(a->memory == b->memory);
            assert_int_equal(a->state, b->state);
        }
        deploy_status_release(&out);
        CUTS_REFUSED(f, deploy_msg_status_reply_read(&tf, "m", &out));
        net_frame_release(&f);
        deploy_status_release(&in);
    }
    kiln_buf_release(&got);
    kiln_buf_release(&want);
}

/* ---- REGISTER_APP, LAUNCH_EXECUTOR ---------------------------------------------------- */

static deploy_file files[6];
static char conf[512];
static char command[256];

static void random_desc(deploy_app_desc *d)
{
    memset(d, 0, sizeof *d);
    any_str(d->name, sizeof d->name, 0);
    any_str(d->driver_host, sizeof d->driver_host, 1);
    d->driver_port = 1 + below(65535);
    d->executor_memory = 1 + below(1u << 30);
    strcpy(d->exe.name, "exe");
    hash(d->exe.sha256);
    d->exe.size = below(UINT32_MAX);
    d->nfiles = below(6);
    d->files = d->nfiles ? files : NULL;
    for (uint32_t i = 0; i < d->nfiles; i++) {
        /* Distinct base names: a prefix of the index. */
        char tail[200];
        str_from(tail, sizeof tail, 0, below(2) ? 199 : 10, ID);
        snprintf(files[i].name, sizeof files[i].name, "%u%s", i, tail);
        hash(files[i].sha256);
        files[i].size = below(UINT32_MAX);
    }
    size_t n = 0;
    for (int k = below(6); k > 0; k--) {
        char key[40], value[60];
        str_from(key, sizeof key, 1, 39, ID);
        str_from(value, sizeof value, 0, 59, "abc=xyz 019.:/");
        n += (size_t)snprintf(conf + n, sizeof conf - n, "%s=%s\n", key, value);
    }
    d->conf = n ? conf : NULL;
    d->conf_len = n;
    /* The executor's command: none, or an absolute path and arguments. */
    n = 0;
    for (int k = below(4); k > 0; k--) {
        char word[40];
        str_from(word, sizeof word, n == 0 ? 1 : 0, 39, "abc=xyz 019.:/\n");
        if (n == 0) word[0] = '/';
        size_t len = strlen(word) + 1;
        memcpy(command + n, word, len);
        n += len;
    }
    d->command = n ? command : NULL;
    d->command_len = n;
}

static void desc_ref(wire_writer *w, const deploy_app_desc *d)
{
    wire_put_str(w, d->name);
    wire_put_str(w, d->driver_host);
    wire_put_u32(w, d->driver_port);
    wire_put_u64(w, d->executor_memory);
    wire_put_raw(w, d->exe.sha256, 64);
    wire_put_u64(w, d->exe.size);
    wire_put_u32(w, d->nfiles);
    for (uint32_t i = 0; i < d->nfiles; i++) {
        wire_put_str(w, d->files[i].name);
        wire_put_raw(w, d->files[i].sha256, 64);
        wire_put_u64(w, d->files[i].size);
    }
    wire_put_bytes(w, d->conf ? d->conf : "", d->conf_len);
    wire_put_bytes(w, d->command ? d->command : "", d->command_len);
}

static void same_desc(const deploy_app_desc *a, const deploy_app_desc *b)
{
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->driver_host, b->driver_host);
    assert_int_equal(a->driver_port, b->driver_port);
    assert_true(a->executor_memory == b->executor_memory);
    assert_string_equal(b->exe.name, "exe");
    assert_string_equal(a->exe.sha256, b->exe.sha256);
    assert_true(a->exe.size == b->exe.size);
    assert_int_equal(a->nfiles, b->nfiles);
    for (uint32_t i = 0; i < a->nfiles; i++) {
        assert_string_equal(a->files[i].name, b->files[i].name);
        assert_string_equal(a->files[i].sha256, b->files[i].sha256);
        assert_true(a->files[i].size == b->files[i].size);
    }
    assert_int_equal(a->conf_len, b->conf_len);
    assert_memory_equal(a->conf ? a->conf : "", b->conf, a->conf_len);
    assert_int_equal(b->conf[b->conf_len], '\0');
    assert_int_equal(a->command_len, b->command_len);
    assert_memory_equal(a->command ? a->command : "", b->command, a->command_len);
}

static void app_messages(void **state)
{
    kiln_buf got, want;
    kiln_buf_init(&got);
    kiln_buf_init(&want);
    for (int i = 0; i < ROUNDS; i++) {
        deploy_app_register in = {.total_cores = below(DEPLOY_MAX_CORES + 1),
                                  .executor_cores = below(DEPLOY_MAX_CORES + 1)},
                            out;
        random_desc(&in.desc);
        if (below(2)) id_str(in.app_id, sizeof in.app_id); /* registering again */
        if (below(2)) /* its UI: an http(s) URL (deploy_ui_url_ok), or none */
            snprintf(in.ui_url, sizeof in.ui_url, "%s://h%u.example:%u/",
                     below(2) ? "http" : "https", u32(), below(65536));
        got.len = want.len = 0;
        KT_OK(deploy_msg_register_app_write(&got, &in));
        wire_writer w;
        wire_writer_init(&w, &want);
        desc_ref(&w, &in.desc);
        wire_put_u32(&w, in.total_cores);
        wire_put_u32(&w, in.executor_cores);
        wire_put_str(&w, in.app_id);
        wire_put_str(&w, in.ui_url);
        same_bytes(&got, &want, "REGISTER_APP", i);
        net_frame f = frame_of(NET_MSG_REGISTER_APP, &got);
        KT_OK(deploy_msg_register_app_read(&f, "d", &out));
        same_desc(&in.desc, &out.desc);
        assert_int_equal(out.total_cores, in.total_cores);
        assert_int_equal(out.executor_cores, in.executor_cores);
        assert_string_equal(out.app_id, in.app_id);
        assert_string_equal(out.ui_url, in.ui_url);
        deploy_app_desc_release(&out.desc);
        CUTS_REFUSED(f, deploy_msg_register_app_read(&tf, "d", &out));
        net_frame_release(&f);

        deploy_launch lin = {.executor = u32(), .cores = 1 + below(DEPLOY_MAX_CORES)}, lout;
        id_str(lin.app_id, sizeof lin.app_id);
        random_desc(&lin.desc);
        got.len = want.len = 0;
        KT_OK(deploy_msg_launch_write(&got, &lin));
        wire_writer_init(&w, &want);
        wire_put_str(&w, lin.app_id);
        wire_put_u32(&w, lin.executor);
        wire_put_u32(&w, lin.cores);
        desc_ref(&w, &lin.desc);
        same_bytes(&got, &want, "LAUNCH_EXECUTOR", i);
        f = frame_of(NET_MSG_LAUNCH_EXECUTOR, &got);
        KT_OK(deploy_msg_launch_read(&f, "m", &lout));
        assert_string_equal(lout.app_id, lin.app_id);
        assert_int_equal(lout.executor, lin.executor);
        assert_int_equal(lout.cores, lin.cores);
        same_desc(&lin.desc, &lout.desc);
        deploy_app_desc_release(&lout.desc);
        CUTS_REFUSED(f, deploy_msg_launch_read(&tf, "m", &lout));
        net_frame_release(&f);
    }
    kiln_buf_release(&got);
    kiln_buf_release(&want);
}

/* ---- REGISTERED_APP, EXECUTOR_STATE / APP_EXECUTOR, KILL_EXECUTOR, FETCH_FILE -------- */

static void small_app_messages(void **state)
{
    kiln_buf got, want;
    kiln_buf_init(&got);
    kiln_buf_init(&want);
    for (int i = 0; i < ROUNDS; i++) {
        deploy_app_registered rin = {.executors = below(100)}, rout; /* 0: registered again */
        rin.cores = rin.executors + below(1000);
        id_str(rin.app_id, sizeof rin.app_id);
        got.len = want.len = 0;
        KT_OK(deploy_msg_registered_app_write(&got, &rin));
        wire_writer w;
        wire_writer_init(&w, &want);
        wire_put_str(&w, rin.app_id);
        wire_put_u32(&w, rin.executors);
        wire_put_u32(&w, rin.cores);
        same_bytes(&got, &want, "REGISTERED_APP", i);
        net_frame f = frame_of(NET_MSG_REGISTERED_APP, &got);
        KT_OK(deploy_msg_registered_app_read(&f, "m", &rout));
        assert_string_equal(rout.app_id, rin.app_id);
        assert_int_equal(rout.executors, rin.executors);
        assert_int_equal(rout.cores, rin.cores);
        CUTS_REFUSED(f, deploy_msg_registered_app_read(&tf, "m", &rout));
        net_frame_release(&f);

        deploy_exec_report ein = {.executor = u32(),
                                  .state = (uint8_t)(1 + below(6)),
                                  .exit_status = (int32_t)u32(),
                                  .restarts = u32()},
                           eout;
        id_str(ein.app_id, sizeof ein.app_id);
        any_str(ein.message, sizeof ein.message, 0);
        got.len = want.len = 0;
        KT_OK(deploy_msg_exec_report_write(&got, &ein));
        wire_writer_init(&w, &want);
        wire_put_str(&w, ein.app_id);
        wire_put_u32(&w, ein.executor);
        wire_put_u8(&w, ein.state);
        wire_put_u32(&w, (uint32_t)ein.exit_status);
        wire_put_u32(&w, ein.restarts);
        wire_put_str(&w, ein.message);
        same_bytes(&got, &want, "EXECUTOR_STATE", i);
        int type = below(2) ? NET_MSG_EXECUTOR_STATE : NET_MSG_APP_EXECUTOR;
        f = frame_of((uint8_t)type, &got);
        KT_OK(deploy_msg_exec_report_read(&f, type, "w", &eout));
        assert_string_equal(eout.app_id, ein.app_id);
        assert_int_equal(eout.executor, ein.executor);
        assert_int_equal(eout.state, ein.state);
        assert_int_equal(eout.exit_status, ein.exit_status);
        assert_int_equal(eout.restarts, ein.restarts);
        assert_string_equal(eout.message, ein.message);
        CUTS_REFUSED(f, deploy_msg_exec_report_read(&tf, type, "w", &eout));
        net_frame_release(&f);

        char app[DEPLOY_ID_MAX], back[DEPLOY_ID_MAX];
        id_str(app, sizeof app);
        got.len = want.len = 0;
        KT_OK(deploy_msg_kill_write(&got, app));
        wire_writer_init(&w, &want);
        wire_put_str(&w, app);
        same_bytes(&got, &want, "KILL_EXECUTOR", i);
        f = frame_of(NET_MSG_KILL_EXECUTOR, &got);
        KT_OK(deploy_msg_kill_read(&f, "m", back));
        assert_string_equal(back, app);
        CUTS_REFUSED(f, deploy_msg_kill_read(&tf, "m", back));
        net_frame_release(&f);

        char sha[DEPLOY_SHA256_HEX], sback[DEPLOY_SHA256_HEX];
        hash(sha);
        got.len = want.len = 0;
        KT_OK(deploy_msg_fetch_file_write(&got, sha));
        wire_writer_init(&w, &want);
        wire_put_str(&w, sha);
        same_bytes(&got, &want, "FETCH_FILE", i);
        f = frame_of(NET_MSG_FETCH_FILE, &got);
        KT_OK(deploy_msg_fetch_file_read(&f, "w", sback));
        assert_string_equal(sback, sha);
        CUTS_REFUSED(f, deploy_msg_fetch_file_read(&tf, "w", sback));
        net_frame_release(&f);
    }
    kiln_buf_release(&got);
    kiln_buf_release(&want);
}

/* ---- LAUNCH_TASK, TASK_RESULT (src/cluster/cluster_msg.c) ----------------------------- */

static void same_span(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    assert_int_equal(alen, blen);
    if (alen) assert_memory_equal(a, b, alen);
}

static void task_messages(void **state)
{
    kiln_buf got, want, lineage, action, wire, bc, locs;
    kiln_buf *all[] = {&got, &want, &lineage, &action, &wire, &bc, &locs};
    for (size_t k = 0; k < 7; k++) kiln_buf_init(all[k]);
    for (int i = 0; i < ROUNDS; i++) {
        bytes(&lineage, 300);
        bytes(&action, 64);
        bytes(&wire, 40);
        bytes(&bc, 50);
        bytes(&locs, 80);
        task_msg in = {.job = u32(),
                       .stage = u32(),
                       .partition = below(INT32_MAX),
                       .attempt = below(INT32_MAX),
                       .dep = (int32_t)below(1000) - 1,
                       .lineage = lineage.data,
                       .lineage_len = lineage.len,
                       .action = action.data,
                       .action_len = action.len,
                       .wire = wire.data,
                       .wire_len = wire.len,
                       .first_broadcast = 1 + below(1000),
                       .nbroadcasts = below((uint32_t)bc.len + 1),
                       .last_broadcast = below(2000),
                       .broadcasts = bc.data,
                       .broadcasts_len = bc.len,
                       .locations = locs.data,
                       .locations_len = locs.len},
                 out;
        got.len = want.len = 0;
        KT_OK(task_msg_write(&got, &in));
        wire_writer w;
        wire_writer_init(&w, &want);
        wire_put_u32(&w, in.job);
        wire_put_u32(&w, in.stage);
        wire_put_u32(&w, in.partition);
        wire_put_u32(&w, in.attempt);
        wire_put_u32(&w, (uint32_t)in.dep);
        wire_put_bytes(&w, in.lineage, in.lineage_len);
        wire_put_bytes(&w, in.action, in.action_len);
        wire_put_bytes(&w, in.wire, in.wire_len);
        wire_put_u32(&w, in.first_broadcast);
        wire_put_u32(&w, in.nbroadcasts);
        wire_put_u32(&w, in.last_broadcast);
        wire_put_bytes(&w, in.broadcasts, in.broadcasts_len);
        wire_put_bytes(&w, in.locations, in.locations_len);
        same_bytes(&got, &want, "LAUNCH_TASK", i);
        KT_OK(task_msg_read(got.data, got.len, &out));
        assert_int_equal(out.job, in.job);
        assert_int_equal(out.stage, in.stage);
        assert_int_equal(out.partition, in.partition);
        assert_int_equal(out.attempt, in.attempt);
        assert_int_equal(out.dep, in.dep);
        same_span(in.lineage, in.lineage_len, out.lineage, out.lineage_len);
        same_span(in.action, in.action_len, out.action, out.action_len);
        same_span(in.wire, in.wire_len, out.wire, out.wire_len);
        assert_int_equal(out.first_broadcast, in.first_broadcast);
        assert_int_equal(out.nbroadcasts, in.nbroadcasts);
        assert_int_equal(out.last_broadcast, in.last_broadcast);
        same_span(in.broadcasts, in.broadcasts_len, out.broadcasts, out.broadcasts_len);
        same_span(in.locations, in.locations_len, out.locations, out.locations_len);
        for (int k = 0; k < 3; k++)
            KT_RC(KILN_ECORRUPT, task_msg_read(got.data, below((uint32_t)got.len), &out));
        KT_OK(kiln_buf_append(&got, "x", 1));
        KT_RC(KILN_ECORRUPT, task_msg_read(got.data, got.len, &out));

        char error[200], errbuf[1024];
        any_str(error, sizeof error, 0);
        bytes(&lineage, 200); /* records */
        bytes(&action, 60);   /* accumulators */
        bytes(&wire, 48);
        wire.len -= wire.len % CACHED_ENTRY; /* cached: (rdd, partition, memory, disk) */
        result_msg rin = {.status = (uint8_t)below(3),
                          .rc = (int32_t)u32(),
                          .error = below(4) ? error : NULL,
                          .fetch_shuffle = (int32_t)u32(),
                          .fetch_map = (int32_t)u32(),
                          .final = (uint8_t)below(2),
                          .records = lineage.data,
                          .records_len = lineage.len,
                          .accs = action.data,
                          .accs_len = action.len,
                          .naccs = u32(),
                          .fetch_bytes = u64(),
                          .fetch_us = u64(),
                          .fetch_retries = u32(),
                          .cached = wire.data,
                          .cached_len = wire.len},
                   rout;
        /* the task's metrics: random values, each written as a u64 in order */
        int64_t *mv = (int64_t *)&rin.metrics;
        for (size_t k = 0; k < sizeof rin.metrics / sizeof *mv; k++) mv[k] = (int64_t)u64();
        got.len = want.len = 0;
        KT_OK(result_msg_write(&got, &rin));
        wire_writer_init(&w, &want);
        wire_put_u8(&w, rin.status);
        wire_put_u32(&w, (uint32_t)rin.rc);
        wire_put_str(&w, rin.error ? rin.error : "");
        wire_put_u32(&w, (uint32_t)rin.fetch_shuffle);
        wire_put_u32(&w, (uint32_t)rin.fetch_map);
        wire_put_u8(&w, rin.final);
        wire_put_bytes(&w, rin.records, rin.records_len);
        wire_put_u32(&w, rin.naccs);
        wire_put_bytes(&w, rin.accs, rin.accs_len);
        wire_put_u64(&w, rin.fetch_bytes);
        wire_put_u64(&w, rin.fetch_us);
        wire_put_u32(&w, rin.fetch_retries);
        wire_put_bytes(&w, rin.cached, rin.cached_len);
        for (size_t k = 0; k < sizeof rin.metrics / sizeof *mv; k++)
            wire_put_u64(&w, (uint64_t)mv[k]);
        same_bytes(&got, &want, "TASK_RESULT", i);
        KT_OK(result_msg_read(got.data, got.len, &rout, errbuf, sizeof errbuf));
        assert_int_equal(rout.status, rin.status);
        assert_int_equal(rout.rc, rin.rc);
        assert_string_equal(rout.error, rin.error ? rin.error : "");
        assert_ptr_equal(rout.error, errbuf);
        assert_int_equal(rout.fetch_shuffle, rin.fetch_shuffle);
        assert_int_equal(rout.fetch_map, rin.fetch_map);
        assert_int_equal(rout.final, rin.final);
        same_span(rin.records, rin.records_len, rout.records, rout.records_len);
        assert_int_equal(rout.naccs, rin.naccs);
        same_span(rin.accs, rin.accs_len, rout.accs, rout.accs_len);
        assert_true(rout.fetch_bytes == rin.fetch_bytes && rout.fetch_us == rin.fetch_us);
        assert_int_equal(rout.fetch_retries, rin.fetch_retries);
        same_span(rin.cached, rin.cached_len, rout.cached, rout.cached_len);
        assert_memory_equal(&rout.metrics, &rin.metrics, sizeof rin.metrics);
        for (int k = 0; k < 3; k++)
            KT_RC(KILN_ECORRUPT, result_msg_read(got.data, below((uint32_t)got.len), &rout, errbuf,
                                                 sizeof errbuf));
        KT_OK(kiln_buf_append(&got, "x", 1));
        KT_RC(KILN_ECORRUPT, result_msg_read(got.data, got.len, &rout, errbuf, sizeof errbuf));
    }
    for (size_t k = 0; k < 7; k++) kiln_buf_release(all[k]);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    rng_seed(&g, 20261206);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(worker_messages), cmocka_unit_test(status_reply),
        cmocka_unit_test(app_messages),    cmocka_unit_test(small_app_messages),
        cmocka_unit_test(task_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
