/*
 * test_faults_decode.c - fault simulation (base/fault.h, SQLite's way)
 * over the decoders: for N = 1, 2, ... the Nth allocation fails, once and
 * then from then on, while values_decode_all, kiln_value_decode, the
 * lineage decoder and the cluster manager's payload readers decode valid
 * encodings. Each step must return KILN_ENOMEM with a message (never a
 * crash, never a wrong value), free what it had allocated (LeakSanitizer
 * under `make asan`) and leave the decoder usable: the same bytes decode
 * to the reference right after. Allocations counted are those kiln routes
 * through fault_hit (arena blocks, kiln_buf and val_vec growth, payload
 * lists and owned fields, lineage environments): tests/README.md says why.
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
#include "deploy/messages.h"
#include "engine/engine.h"
#include "kt.h"
#include "kt_fault.h"
#include "kt_net.h"
#include "value_gen.h"

enum { MAX_STEPS = 4000 };

/* ---- values_decode_all, kiln_value_decode ---------------------------------------------- */

typedef struct values_case {
    kiln_arena *ref_arena;
    kiln_value *ref; /* the values encoded */
    size_t nref;
    kiln_buf enc;
    bool one;      /* kiln_value_decode of ref[0] (a big list) instead of the run */
    kiln_arena *a; /* what run left */
    val_vec vv;
    kiln_value v;
} values_case;

static int values_run(void *arg)
{
    values_case *c = arg;
    c->a = kiln_arena_new();
    c->vv = (val_vec){0};
    if (c->a == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory: kiln_arena_new");
    if (c->one) {
        size_t used = 0;
        int rc = kiln_value_decode(c->a, c->enc.data, c->enc.len, &c->v, &used);
        if (rc == KILN_OK && used != c->enc.len)
            fail_msg("decoded %zu of %zu bytes", used, c->enc.len);
        return rc;
    }
    return values_decode_all(c->a, c->enc.data, c->enc.len, &c->vv);
}

static void values_free(values_case *c)
{
    kiln_arena_free(c->a);
    val_vec_release(&c->vv);
    c->a = NULL;
}

static void values_check_ok(void *arg)
{
    values_case *c = arg;
    if (c->one) {
        assert_true(kiln_value_eq(&c->v, &c->ref[0]));
    } else {
        assert_int_equal(c->vv.n, c->nref);
        for (size_t i = 0; i < c->nref; i++) assert_true(kiln_value_eq(&c->vv.v[i], &c->ref[i]));
    }
    values_free(c);
}

static void values_check_failed(void *arg, int rc)
{
    values_case *c = arg;
    assert_int_equal(rc, KILN_ENOMEM);
    assert_true(c->vv.n <= c->nref);
    /* What was decoded before the failure is right. */
    for (size_t i = 0; i < c->vv.n; i++) assert_true(kiln_value_eq(&c->vv.v[i], &c->ref[i]));
    values_free(c);
}

static void values_again(void *arg)
{
    values_case *c = arg;
    KT_OK(values_run(c));
    values_check_ok(c);
}

static void values_case_init(values_case *c, bool one)
{
    memset(c, 0, sizeof *c);
    c->one = one;
    c->ref_arena = kiln_arena_new();
    rng g;
    rng_seed(&g, 12);
    kiln_buf_init(&c->enc);
    if (one) {
        /* One list of 3000 values (nested tuples, strings, bytes): one
         * decode call that allocates many times from its arena. */
        enum { K = 3000 };
        kiln_value *items = kiln_arena_alloc(c->ref_arena, sizeof *items * K);
        for (size_t i = 0; i < K; i++) items[i] = gen_value(&g, c->ref_arena, 3);
        c->ref = kiln_arena_alloc(c->ref_arena, sizeof *c->ref);
        c->ref[0] = kiln_list_new(c->ref_arena, items, K);
        c->nref = 1;
    } else {
        c->nref = 3000;
        c->ref = kiln_arena_alloc(c->ref_arena, sizeof *c->ref * c->nref);
        for (size_t i = 0; i < c->nref; i++) c->ref[i] = gen_value(&g, c->ref_arena, 3);
    }
    for (size_t i = 0; i < c->nref; i++) KT_OK(kiln_value_encode(&c->enc, &c->ref[i]));
}

static void values_case_release(values_case *c)
{
    kiln_buf_release(&c->enc);
    kiln_arena_free(c->ref_arena);
}

static void values_decode_all_under_allocation_faults(void **state)
{
    (void)state;
    values_case c;
    values_case_init(&c, false);
    kt_fault_op op = {.name = "values_decode_all",
                      .run = values_run,
                      .check_ok = values_check_ok,
                      .check_failed = values_check_failed,
                      .again = values_again,
                      .must_name = "out of memory",
                      .arg = &c};
    int steps = kt_fault_walk_both(&op, FAULT_ALLOC, MAX_STEPS);
    assert_true(steps > 4);
    values_case_release(&c);
}

static void value_decode_under_allocation_faults(void **state)
{
    (void)state;
    values_case c;
    values_case_init(&c, true);
    kt_fault_op op = {.name = "kiln_value_decode",
                      .run = values_run,
                      .check_ok = values_check_ok,
                      .check_failed = values_check_failed,
                      .again = values_again,
                      .must_name = "out of memory",
                      .arg = &c};
    int steps = kt_fault_walk_both(&op, FAULT_ALLOC, MAX_STEPS);
    assert_true(steps > 4);
    values_case_release(&c);
}

/* ---- Lineage ---------------------------------------------------------------------------- */

static int times(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    int64_t k;
    memcpy(&k, env, sizeof k);
    *out = kiln_pair(kiln_task_arena(t), kiln_int(in->u.i % 7), kiln_int(in->u.i * k));
    return KILN_OK;
}

typedef struct lineage_case {
    kiln_context *ctx;
    kiln_buf enc;
    kiln_rdd *out;
} lineage_case;

static int lineage_run(void *arg)
{
    lineage_case *c = arg;
    c->out = NULL;
    return lineage_decode(c->ctx, c->enc.data, c->enc.len, &c->out);
}

/* The decoded graph computes what the original does: sum over k of
 * 3k for k in [0, 100) grouped by k % 7. */
static void lineage_check_ok(void *arg)
{
    lineage_case *c = arg;
    assert_non_null(c->out);
    kiln_arena *a = kiln_arena_new();
    kiln_value got;
    KT_OK(kiln_rdd_collect(c->out, a, &got));
    assert_int_equal(got.len, 7);
    for (uint32_t i = 0; i < got.len; i++) {
        int64_t key = kiln_key(&got.u.items[i])->u.i, sum = 0;
        assert_int_equal(key, i); /* sorted by key */
        for (int64_t k = key; k < 100; k += 7) sum += 3 * k;
        assert_int_equal(kiln_val(&got.u.items[i])->u.i, sum);
    }
    kiln_arena_free(a);
}

static void lineage_check_failed(void *arg, int rc)
{
    assert_int_equal(rc, KILN_ENOMEM);
    (void)arg;
}

/* Decodes again in the same context, where a failed decode left
 * placeholders, then moves to a fresh context: a context that knows the
 * graph reuses it and would allocate nothing at the next step. */
static void lineage_again(void *arg)
{
    lineage_case *c = arg;
    KT_OK(lineage_run(c));
    lineage_check_ok(c);
    kiln_context_free(c->ctx);
    c->ctx = kt_context_new("local[2]");
}

static void lineage_decode_under_allocation_faults(void **state)
{
    (void)state;
    lineage_case c = {0};
    /* Encoded in one context, decoded in another (as an executor does):
     * a context reuses the RDDs it already knows. */
    kiln_context *from = kt_context_new("local[2]");
    int64_t k = 3;
    kiln_rdd *r = kiln_rdd_map(kiln_range(from, 0, 100, 1, 3), times, &k, sizeof k);
    r = kiln_rdd_sort_by_key(kiln_rdd_reduce_by_key(r, kiln_fn_add, NULL, 0, 2), true, 2);
    kiln_buf_init(&c.enc);
    KT_OK(lineage_encode(r, &c.enc));
    kiln_context_free(from);
    c.ctx = kt_context_new("local[2]");
    kt_fault_op op = {.name = "lineage_decode",
                      .run = lineage_run,
                      .check_ok = lineage_check_ok,
                      .check_failed = lineage_check_failed,
                      .again = lineage_again,
                      .must_name = "out of memory",
                      .arg = &c};
    kt_fault_walk_both(&op, FAULT_ALLOC, MAX_STEPS);
    /* Decoded again in the same context, the graph is the one already known. */
    KT_OK(lineage_run(&c));
    kiln_rdd *first = c.out;
    KT_OK(lineage_run(&c));
    assert_ptr_equal(c.out, first);
    kiln_buf_release(&c.enc);
    kiln_context_free(c.ctx);
}

/* ---- Cluster manager payloads ------------------------------------------------------------ */

typedef struct status_case {
    deploy_status in, out;
    net_frame f;
} status_case;

static int status_run(void *arg)
{
    status_case *c = arg;
    memset(&c->out, 0, sizeof c->out);
    return deploy_msg_status_reply_read(&c->f, "peer", &c->out);
}

static void status_check_ok(void *arg)
{
    status_case *c = arg;
    assert_string_equal(c->out.url, c->in.url);
    assert_int_equal(c->out.nworkers, c->in.nworkers);
    assert_int_equal(c->out.napps, c->in.napps);
    assert_int_equal(c->out.nexecs, c->in.nexecs);
    for (uint32_t i = 0; i < c->in.nworkers; i++)
        assert_string_equal(c->out.workers[i].offer.host, c->in.workers[i].offer.host);
    for (uint32_t i = 0; i < c->in.napps; i++)
        assert_string_equal(c->out.apps[i].name, c->in.apps[i].name);
    for (uint32_t i = 0; i < c->in.nexecs; i++)
        assert_int_equal(c->out.execs[i].executor, c->in.execs[i].executor);
    deploy_status_release(&c->out);
}

static void status_check_failed(void *arg, int rc)
{
    status_case *c = arg;
    assert_int_equal(rc, KILN_ENOMEM);
    /* A failed reader owns nothing: its arrays were freed. */
    assert_null(c->out.workers);
    assert_null(c->out.apps);
    assert_null(c->out.execs);
}

static void status_again(void *arg)
{
    KT_OK(status_run(arg));
    status_check_ok(arg);
}

static void status_reply_read_under_allocation_faults(void **state)
{
    (void)state;
    status_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.in.url, sizeof c.in.url, "kiln://10.0.0.1:7077");
    c.in.nworkers = 3;
    c.in.napps = 2;
    c.in.nexecs = 4;
    c.in.workers = calloc(3, sizeof *c.in.workers);
    c.in.apps = calloc(2, sizeof *c.in.apps);
    c.in.execs = calloc(4, sizeof *c.in.execs);
    for (int i = 0; i < 3; i++) {
        deploy_worker_status *w = &c.in.workers[i];
        snprintf(w->id, sizeof w->id, "worker-%d", i);
        snprintf(w->offer.host, sizeof w->offer.host, "host%d", i);
        snprintf(w->offer.work_dir, sizeof w->offer.work_dir, "/var/kiln/%d", i);
        w->offer.cores = 4;
        w->offer.memory = 1 << 30;
        w->state = DEPLOY_WORKER_ALIVE;
    }
    for (int i = 0; i < 2; i++) {
        deploy_app_status *a = &c.in.apps[i];
        snprintf(a->id, sizeof a->id, "app-%d", i);
        snprintf(a->name, sizeof a->name, "wordcount %d", i);
        snprintf(a->driver, sizeof a->driver, "host0:%d", 4000 + i);
        a->state = DEPLOY_APP_RUNNING;
        a->cores = 2;
        a->executor_memory = 1 << 28;
    }
    for (int i = 0; i < 4; i++) {
        deploy_exec_status *e = &c.in.execs[i];
        snprintf(e->app_id, sizeof e->app_id, "app-%d", i % 2);
        snprintf(e->worker_id, sizeof e->worker_id, "worker-%d", i % 3);
        e->executor = (uint32_t)i;
        e->cores = 1;
        e->memory = 1 << 28;
        e->state = 2;
    }
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_msg_status_reply_write(&b, &c.in));
    c.f = frame_of(NET_MSG_STATUS_REPLY, &b);
    kiln_buf_release(&b);
    kt_fault_op op = {.name = "STATUS_REPLY",
                      .run = status_run,
                      .check_ok = status_check_ok,
                      .check_failed = status_check_failed,
                      .again = status_again,
                      .must_name = "STATUS_REPLY",
                      .arg = &c};
    kt_fault_walk_both(&op, FAULT_ALLOC, MAX_STEPS);
    net_frame_release(&c.f);
    deploy_status_release(&c.in);
}

typedef struct app_case {
    bool launch;
    deploy_app_register reg, reg_out;
    deploy_launch lin, lout;
    deploy_file files[3];
    net_frame f;
} app_case;

static int app_run(void *arg)
{
    app_case *c = arg;
    memset(&c->reg_out, 0, sizeof c->reg_out);
    memset(&c->lout, 0, sizeof c->lout);
    return c->launch ? deploy_msg_launch_read(&c->f, "peer", &c->lout)
                     : deploy_msg_register_app_read(&c->f, "peer", &c->reg_out);
}

static void same_desc(const deploy_app_desc *a, const deploy_app_desc *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->nfiles, b->nfiles);
    for (uint32_t i = 0; i < a->nfiles; i++)
        assert_string_equal(a->files[i].name, b->files[i].name);
    assert_int_equal(a->conf_len, b->conf_len);
    assert_memory_equal(a->conf, b->conf, a->conf_len);
}

static void app_check_ok(void *arg)
{
    app_case *c = arg;
    if (c->launch) {
        assert_string_equal(c->lout.app_id, c->lin.app_id);
        same_desc(&c->lin.desc, &c->lout.desc);
        deploy_app_desc_release(&c->lout.desc);
    } else {
        same_desc(&c->reg.desc, &c->reg_out.desc);
        deploy_app_desc_release(&c->reg_out.desc);
    }
}

static void app_check_failed(void *arg, int rc)
{
    app_case *c = arg;
    assert_int_equal(rc, KILN_ENOMEM);
    const deploy_app_desc *d = c->launch ? &c->lout.desc : &c->reg_out.desc;
    assert_null(d->files);
    assert_null(d->conf);
}

static void app_again(void *arg)
{
    KT_OK(app_run(arg));
    app_check_ok(arg);
}

static void app_desc_fill(app_case *c, deploy_app_desc *d)
{
    snprintf(d->name, sizeof d->name, "pagerank");
    snprintf(d->driver_host, sizeof d->driver_host, "10.0.0.9");
    d->driver_port = 40000;
    d->executor_memory = 1 << 30;
    strcpy(d->exe.name, "exe");
    memset(d->exe.sha256, 'a', 64);
    d->exe.size = 12345;
    d->nfiles = 3;
    d->files = c->files;
    for (int i = 0; i < 3; i++) {
        snprintf(c->files[i].name, sizeof c->files[i].name, "lib%d.so", i);
        memset(c->files[i].sha256, '0' + i, 64);
        c->files[i].size = 100 * (uint64_t)i;
    }
    static char conf[] = "kiln.executor.memory=1g\nkiln.shuffle.compress.codec=zstd\n";
    d->conf = conf;
    d->conf_len = strlen(conf);
}

static void app_payload_walk(bool launch)
{
    app_case c;
    memset(&c, 0, sizeof c);
    c.launch = launch;
    kiln_buf b;
    kiln_buf_init(&b);
    if (launch) {
        snprintf(c.lin.app_id, sizeof c.lin.app_id, "app-20261206-0001");
        c.lin.executor = 2;
        c.lin.cores = 1;
        app_desc_fill(&c, &c.lin.desc);
        KT_OK(deploy_msg_launch_write(&b, &c.lin));
        c.f = frame_of(NET_MSG_LAUNCH_EXECUTOR, &b);
    } else {
        c.reg.total_cores = 4;
        app_desc_fill(&c, &c.reg.desc);
        KT_OK(deploy_msg_register_app_write(&b, &c.reg));
        c.f = frame_of(NET_MSG_REGISTER_APP, &b);
    }
    kiln_buf_release(&b);
    kt_fault_op op = {.name = launch ? "LAUNCH_EXECUTOR" : "REGISTER_APP",
                      .run = app_run,
                      .check_ok = app_check_ok,
                      .check_failed = app_check_failed,
                      .again = app_again,
                      .must_name = launch ? "LAUNCH_EXECUTOR" : "REGISTER_APP",
                      .arg = &c};
    kt_fault_walk_both(&op, FAULT_ALLOC, MAX_STEPS);
    net_frame_release(&c.f);
}

static void register_app_read_under_allocation_faults(void **state)
{
    (void)state;
    app_payload_walk(false);
}

static void launch_executor_read_under_allocation_faults(void **state)
{
    (void)state;
    app_payload_walk(true);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_decode_all_under_allocation_faults),
        cmocka_unit_test(value_decode_under_allocation_faults),
        cmocka_unit_test(lineage_decode_under_allocation_faults),
        cmocka_unit_test(status_reply_read_under_allocation_faults),
        cmocka_unit_test(register_app_read_under_allocation_faults),
        cmocka_unit_test(launch_executor_read_under_allocation_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
