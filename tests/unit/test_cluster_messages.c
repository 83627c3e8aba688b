/*
 * test_cluster_messages.c - payloads of the cluster manager's messages
 * (src/deploy/messages.c): REGISTER_WORKER, REGISTERED_WORKER and
 * STATUS_REPLY round-trip exactly; hostile payloads (truncated at every
 * byte, trailing bytes, a huge worker count, out-of-range values, a NUL in
 * a string, the wrong type) are refused with KILN_ECORRUPT and a message
 * naming the field; writers refuse values a reader would refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "deploy/messages.h"
#include "kt.h"
#include "kt_net.h"

static deploy_register sample_offer(void)
{
    deploy_register r = {.cores = 8, .memory = 4ull << 30};
    strcpy(r.host, "10.0.0.7");
    strcpy(r.work_dir, "/var/lib/kiln/work \"x\"\n\xc3\xa9");
    return r;
}

static void register_worker_round_trips(void **state)
{
    deploy_register in = sample_offer(), out;
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_msg_register_write(&b, &in));
    net_frame f = frame_of(NET_MSG_REGISTER_WORKER, &b);
    KT_OK(deploy_msg_register_read(&f, "worker w", &out));
    assert_string_equal(out.host, in.host);
    assert_string_equal(out.work_dir, in.work_dir);
    assert_int_equal(out.cores, 8);
    assert_true(out.memory == in.memory);
    /* Cut at every byte: always refused, never read past the end. */
    for (size_t cut = 0; cut < b.len; cut++) {
        net_frame t = f;
        t.payload.len = cut;
        KT_RC(KILN_ECORRUPT, deploy_msg_register_read(&t, "worker w", &out));
    }
    net_frame_release(&f);
    kiln_buf_release(&b);
}

static void register_worker_refuses_bad_values(void **state)
{
    deploy_register out;
    struct {
        uint32_t cores;
        uint64_t memory;
        const char *host, *message;
    } bad[] = {
        {0, 1, "h", "field cores 0"},
        {70000, 1, "h", "field cores 70000"},
        {1, 0, "h", "field memory is 0"},
        {1, 1, "", "field host is empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kiln_buf b;
        kiln_buf_init(&b);
        wire_writer w;
        wire_writer_init(&w, &b);
        wire_put_str(&w, bad[i].host);
        wire_put_u32(&w, bad[i].cores);
        wire_put_u64(&w, bad[i].memory);
        wire_put_str(&w, "/w");
        wire_put_str(&w, ""); /* previous_id */
        wire_put_u32(&w, 0);  /* executor_count */
        wire_put_u32(&w, 0);  /* web_port */
        KT_OK(wire_writer_finish(&w));
        net_frame f = frame_of(NET_MSG_REGISTER_WORKER, &b);
        KT_RC(KILN_ECORRUPT, deploy_msg_register_read(&f, "worker w", &out));
        KT_CHECK(strstr(kiln_last_error(), bad[i].message) &&
                     strstr(kiln_last_error(), "REGISTER_WORKER from worker w"),
                 "case %zu: %s", i, kiln_last_error());
        /* The writer refuses what the reader refuses. */
        deploy_register r = {.cores = bad[i].cores, .memory = bad[i].memory};
        strcpy(r.host, bad[i].host);
        kiln_buf_release(&b);
        kiln_buf_init(&b);
        KT_RC(KILN_EINVAL, deploy_msg_register_write(&b, &r));
        net_frame_release(&f);
        kiln_buf_release(&b);
    }
}

/* A worker registering again: what it lists is checked too, by reader and writer. */
static void register_worker_refuses_bad_executors(void **state)
{
    deploy_worker_exec execs[2] = {
        {.app_id = "app-1", .executor = 0, .cores = 1, .memory = 1, .state = DEPLOY_EXEC_RUNNING},
        {.app_id = "app-1", .executor = 1, .cores = 2, .memory = 1, .state = DEPLOY_EXEC_RUNNING}};
    deploy_worker_register good = {.offer = sample_offer(), .nexecs = 2, .execs = execs};
    strcpy(good.previous_id, "worker-3");
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_msg_register_worker_write(&b, &good));
    net_frame f = frame_of(NET_MSG_REGISTER_WORKER, &b);
    deploy_worker_register out;
    KT_OK(deploy_msg_register_worker_read(&f, "worker w", &out));
    assert_string_equal(out.previous_id, "worker-3");
    assert_int_equal(out.nexecs, 2);
    assert_int_equal(out.execs[1].cores, 2);
    deploy_worker_register_release(&out);
    net_frame_release(&f);
    struct {
        void (*spoil)(deploy_worker_register *r);
        const char *message;
    } bad[] = {
        {NULL, "listed twice"},    {NULL, "state 5"},     {NULL, "cores 0"},
        {NULL, "app_id is empty"}, {NULL, "previous_id"}, {NULL, "web_port 65536"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        deploy_worker_exec e[2] = {execs[0], execs[1]};
        deploy_worker_register r = good;
        r.execs = e;
        if (i == 0) e[1].executor = 0;
        if (i == 1) e[1].state = DEPLOY_EXEC_LOST;
        if (i == 2) e[0].cores = 0;
        if (i == 3) strcpy(e[0].app_id, "../x");
        if (i == 4) strcpy(r.previous_id, "a/b");
        if (i == 5) r.web_port = 65536;
        b.len = 0;
        KT_RC(KILN_EINVAL, deploy_msg_register_worker_write(&b, &r));
        /* The same values, written field by field, are refused by the reader. */
        wire_writer w;
        wire_writer_init(&w, &b);
        wire_put_str(&w, r.offer.host);
        wire_put_u32(&w, r.offer.cores);
        wire_put_u64(&w, r.offer.memory);
        wire_put_str(&w, r.offer.work_dir);
        wire_put_str(&w, r.previous_id);
        wire_put_u32(&w, r.nexecs);
        for (uint32_t k = 0; k < r.nexecs; k++) {
            wire_put_str(&w, e[k].app_id);
            wire_put_u32(&w, e[k].executor);
            wire_put_u32(&w, e[k].cores);
            wire_put_u64(&w, e[k].memory);
            wire_put_u8(&w, e[k].state);
        }
        wire_put_u32(&w, r.web_port);
        KT_OK(wire_writer_finish(&w));
        f = frame_of(NET_MSG_REGISTER_WORKER, &b);
        KT_RC(KILN_ECORRUPT, deploy_msg_register_worker_read(&f, "worker w", &out));
        KT_CHECK(strstr(kiln_last_error(), bad[i].message) != NULL, "case %zu: %s", i,
                 kiln_last_error());
        net_frame_release(&f);
    }
    /* An executor count past what the payload holds. */
    b.len = 0;
    KT_OK(deploy_msg_register_worker_write(&b, &good));
    size_t entry = 4 + 5 + 4 + 4 + 8 + 1; /* "app-1", executor, cores, memory, state */
    memset(b.data + b.len - 4 - 2 * entry - 4, 0xff, 4); /* before the entries and web_port */
    f = frame_of(NET_MSG_REGISTER_WORKER, &b);
    KT_RC(KILN_ECORRUPT, deploy_msg_register_worker_read(&f, "worker w", &out));
    KT_CHECK(strstr(kiln_last_error(), "executor_count") != NULL, "%s", kiln_last_error());
    net_frame_release(&f);
    kiln_buf_release(&b);
    (void)state;
}

static void register_worker_refuses_hostile_layout(void **state)
{
    deploy_register in = sample_offer(), out;
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_msg_register_write(&b, &in));
    /* Trailing bytes. */
    kiln_buf_append(&b, "x", 1);
    net_frame f = frame_of(NET_MSG_REGISTER_WORKER, &b);
    KT_RC(KILN_ECORRUPT, deploy_msg_register_read(&f, "worker w", &out));
    assert_non_null(strstr(kiln_last_error(), "unexpected bytes"));
    /* A host length far past the limit. */
    f.payload.data[0] = 0xff;
    f.payload.data[1] = 0xff;
    KT_RC(KILN_ECORRUPT, deploy_msg_register_read(&f, "worker w", &out));
    assert_non_null(strstr(kiln_last_error(), "host"));
    /* A NUL inside the host. */
    b.len--;
    b.data[0] = 8; /* "10.0.0.7" */
    b.data[1] = 0;
    b.data[4 + 2] = '\0';
    net_frame_release(&f);
    f = frame_of(NET_MSG_REGISTER_WORKER, &b);
    KT_RC(KILN_ECORRUPT, deploy_msg_register_read(&f, "worker w", &out));
    assert_non_null(strstr(kiln_last_error(), "NUL"));
    /* The wrong type. */
    f.type = NET_MSG_HEARTBEAT;
    KT_RC(KILN_ECORRUPT, deploy_msg_register_read(&f, "worker w", &out));
    assert_non_null(strstr(kiln_last_error(), "expected REGISTER_WORKER"));
    net_frame_release(&f);
    kiln_buf_release(&b);
}

static void registered_worker_round_trips(void **state)
{
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_msg_registered_write(&b, "worker-17"));
    net_frame f = frame_of(NET_MSG_REGISTERED_WORKER, &b);
    char id[DEPLOY_ID_MAX];
    KT_OK(deploy_msg_registered_read(&f, "master m", id));
    assert_string_equal(id, "worker-17");
    net_frame_release(&f);
    kiln_buf_release(&b);
    char longid[DEPLOY_ID_MAX + 1];
    memset(longid, 'i', DEPLOY_ID_MAX);
    longid[DEPLOY_ID_MAX] = '\0';
    kiln_buf_init(&b);
    KT_RC(KILN_EINVAL, deploy_msg_registered_write(&b, longid));
    KT_OK(deploy_msg_registered_write(&b, ""));
    f = frame_of(NET_MSG_REGISTERED_WORKER, &b);
    KT_RC(KILN_ECORRUPT, deploy_msg_registered_read(&f, "master m", id));
    assert_non_null(strstr(kiln_last_error(), "worker_id is empty"));
    net_frame_release(&f);
    kiln_buf_release(&b);
}

static void status_request_must_be_empty(void **state)
{
    kiln_buf b;
    kiln_buf_init(&b);
    net_frame f = frame_of(NET_MSG_STATUS_REQUEST, &b);
    KT_OK(deploy_msg_status_request_check(&f, "client c"));
    kiln_buf_append(&b, "z", 1);
    net_frame g = frame_of(NET_MSG_STATUS_REQUEST, &b);
    KT_RC(KILN_ECORRUPT, deploy_msg_status_request_check(&g, "client c"));
    net_frame_release(&f);
    net_frame_release(&g);
    kiln_buf_release(&b);
}

static deploy_status sample_status(uint32_t n)
{
    deploy_status s = {0};
    strcpy(s.url, "kiln://[::1]:7077");
    s.nworkers = n;
    s.workers = calloc(n ? n : 1, sizeof *s.workers);
    assert_non_null(s.workers);
    for (uint32_t i = 0; i < n; i++) {
        snprintf(s.workers[i].id, sizeof s.workers[i].id, "worker-%u", i + 1);
        s.workers[i].offer = sample_offer();
        s.workers[i].offer.cores = i + 1;
        s.workers[i].state = i % 2 ? DEPLOY_WORKER_DEAD : DEPLOY_WORKER_ALIVE;
        s.workers[i].heartbeat_age_ms = 1000ull * i + 7;
    }
    return s;
}

static void status_reply_round_trips(void **state)
{
    for (uint32_t n = 0; n < 5; n++) {
        deploy_status in = sample_status(n), out;
        kiln_buf b;
        kiln_buf_init(&b);
        KT_OK(deploy_msg_status_reply_write(&b, &in));
        net_frame f = frame_of(NET_MSG_STATUS_REPLY, &b);
        KT_OK(deploy_msg_status_reply_read(&f, "master m", &out));
        assert_string_equal(out.url, in.url);
        assert_int_equal(out.nworkers, n);
        for (uint32_t i = 0; i < n; i++) {
            assert_string_equal(out.workers[i].id, in.workers[i].id);
            assert_string_equal(out.workers[i].offer.work_dir, in.workers[i].offer.work_dir);
            assert_int_equal(out.workers[i].offer.cores, i + 1);
            assert_int_equal(out.workers[i].state, in.workers[i].state);
            assert_true(out.workers[i].heartbeat_age_ms == in.workers[i].heartbeat_age_ms);
        }
        for (size_t cut = 0; cut < b.len; cut++) {
            net_frame t = f;
            t.payload.len = cut;
            deploy_status junk;
            KT_RC(KILN_ECORRUPT, deploy_msg_status_reply_read(&t, "master m", &junk));
        }
        deploy_status_release(&out);
        deploy_status_release(&in);
        net_frame_release(&f);
        kiln_buf_release(&b);
    }
}

static void status_reply_refuses_hostile_counts_and_states(void **state)
{
    /* A count of 4 billion workers in a 30-byte payload: refused before any
     * allocation (ASan would catch a huge calloc failing loudly). */
    kiln_buf b;
    kiln_buf_init(&b);
    wire_writer w;
    wire_writer_init(&w, &b);
    wire_put_str(&w, "kiln://m:1");
    wire_put_u32(&w, 0xffffffffu);
    wire_put_raw(&w, "0123456789012345", 16);
    KT_OK(wire_writer_finish(&w));
    net_frame f = frame_of(NET_MSG_STATUS_REPLY, &b);
    deploy_status out;
    KT_RC(KILN_ECORRUPT, deploy_msg_status_reply_read(&f, "master m", &out));
    assert_non_null(strstr(kiln_last_error(), "worker_count 4294967295 does not fit"));
    net_frame_release(&f);
    kiln_buf_release(&b);
    /* An unknown state byte. */
    deploy_status in = sample_status(1);
    kiln_buf_init(&b);
    KT_OK(deploy_msg_status_reply_write(&b, &in));
    b.data[b.len - 18] = 4; /* the state, before the 8-byte age, two empty counts, recovering */
    f = frame_of(NET_MSG_STATUS_REPLY, &b);
    KT_RC(KILN_ECORRUPT, deploy_msg_status_reply_read(&f, "master m", &out));
    assert_non_null(strstr(kiln_last_error(), "state 4"));
    net_frame_release(&f);
    kiln_buf_release(&b);
    deploy_status_release(&in);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(register_worker_round_trips),
        cmocka_unit_test(register_worker_refuses_bad_values),
        cmocka_unit_test(register_worker_refuses_bad_executors),
        cmocka_unit_test(register_worker_refuses_hostile_layout),
        cmocka_unit_test(registered_worker_round_trips),
        cmocka_unit_test(status_request_must_be_empty),
        cmocka_unit_test(status_reply_round_trips),
        cmocka_unit_test(status_reply_refuses_hostile_counts_and_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
