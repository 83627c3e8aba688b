/*
 * test_cluster_app_messages.c - payloads of the application messages
 * (src/deploy/app_messages.c) and the applications and executors of
 * STATUS_REPLY: each round-trips exactly; truncated at every byte, with
 * trailing bytes, a huge count, a path in a file name or id, a bad hash,
 * conf that is not key=value lines, or an unknown state, each is refused
 * with KILN_ECORRUPT naming the field; writers refuse what readers would.
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

static const char HASH_A[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char HASH_B[] = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

static deploy_file files[2];
static char conf_text[] = "kiln.executor.memory=1g\nkiln.x=a=b\n";
static char command_text[] = "/usr/bin/python3\0-c\0import kiln.executor\0";

static deploy_app_desc sample_desc(void)
{
    deploy_app_desc d = {.driver_port = 40123, .executor_memory = 1ull << 30};
    strcpy(d.name, "word count \xc3\xa9");
    strcpy(d.driver_host, "10.0.0.1");
    strcpy(d.exe.sha256, HASH_A);
    d.exe.size = 12345;
    strcpy(files[0].name, "lookup.csv");
    strcpy(files[0].sha256, HASH_B);
    files[0].size = 7;
    strcpy(files[1].name, "model bin");
    strcpy(files[1].sha256, HASH_A);
    files[1].size = 0;
    d.files = files;
    d.nfiles = 2;
    d.conf = conf_text;
    d.conf_len = strlen(conf_text);
    d.command = command_text;
    d.command_len = sizeof command_text - 1;
    return d;
}

static void check_desc(const deploy_app_desc *got)
{
    deploy_app_desc want = sample_desc();
    assert_string_equal(got->name, want.name);
    assert_string_equal(got->driver_host, want.driver_host);
    assert_int_equal(got->driver_port, 40123);
    assert_true(got->executor_memory == want.executor_memory);
    assert_string_equal(got->exe.sha256, HASH_A);
    assert_true(got->exe.size == 12345);
    assert_int_equal(got->nfiles, 2);
    assert_string_equal(got->files[0].name, "lookup.csv");
    assert_string_equal(got->files[1].sha256, HASH_A);
    assert_true(got->files[0].size == 7);
    assert_int_equal(got->conf_len, want.conf_len);
    assert_string_equal(got->conf, conf_text);
    assert_int_equal(got->command_len, sizeof command_text - 1);
    assert_memory_equal(got->command, command_text, sizeof command_text - 1);
}

/* Every cut of b is refused by read (a reader of type t). */
#define ALL_CUTS_REFUSED(t, b, call)                                                               \
    do {                                                                                           \
        for (size_t cut = 0; cut < (b).len; cut++) {                                               \
            net_frame tf = frame_of((t), &(b));                                                    \
            tf.payload.len = cut;                                                                  \
            KT_RC(KILN_ECORRUPT, call);                                                            \
            tf.payload.len = (b).len;                                                              \
            net_frame_release(&tf);                                                                \
        }                                                                                          \
        net_frame tf = frame_of((t), &(b));                                                        \
        kiln_buf_append(&tf.payload, "x", 1);                                                      \
        KT_RC(KILN_ECORRUPT, call);                                                                \
        net_frame_release(&tf);                                                                    \
    } while (0)

static void register_app_round_trips(void **state)
{
    deploy_app_register in = {.desc = sample_desc(), .total_cores = 6, .executor_cores = 2}, out;
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_msg_register_app_write(&b, &in));
    net_frame f = frame_of(NET_MSG_REGISTER_APP, &b);
    KT_OK(deploy_msg_register_app_read(&f, "driver d", &out));
    check_desc(&out.desc);
    assert_int_equal(out.total_cores, 6);
    assert_int_equal(out.executor_cores, 2);
    deploy_app_desc_release(&out.desc);
    ALL_CUTS_REFUSED(NET_MSG_REGISTER_APP, b, deploy_msg_register_app_read(&tf, "driver d", &out));
    net_frame_release(&f);
    kiln_buf_release(&b);
}

/* The application's UI URL travels; only "" and http(s) URLs without
 * quotes, spaces or angle brackets are written or read. */
static void register_app_ui_url(void **state)
{
    (void)state;
    static const char *ok[] = {"", "http://10.0.0.1:4040/", "https://h.example:4443/x?y=1"};
    static const char *bad[] = {
        "javascript:alert(1)", "JAVASCRIPT:x",       "http://",   "ftp://h/",     "http://h/\"><b>",
        "http://h/ x",         "data:text/html,<b>", "//h:4040/", "http://h/\x01"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        deploy_app_register in = {.desc = sample_desc()}, out;
        strcpy(in.ui_url, ok[i]);
        kiln_buf b;
        kiln_buf_init(&b);
        KT_OK(deploy_msg_register_app_write(&b, &in));
        net_frame f = frame_of(NET_MSG_REGISTER_APP, &b);
        KT_OK(deploy_msg_register_app_read(&f, "driver d", &out));
        assert_string_equal(out.ui_url, ok[i]);
        deploy_app_desc_release(&out.desc);
        net_frame_release(&f);
        kiln_buf_release(&b);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(deploy_ui_url_ok(bad[i]));
        deploy_app_register in = {.desc = sample_desc()}, out;
        strcpy(in.ui_url, bad[i]);
        kiln_buf b;
        kiln_buf_init(&b);
        KT_RC(KILN_EINVAL, deploy_msg_register_app_write(&b, &in));
        /* Written with a good URL of the same length, then the bad one put
         * in its place: the reader refuses it, naming the field. */
        size_t n = strlen(bad[i]);
        char good[64] = "http://";
        memset(good + 7, 'a', n > 7 ? n - 7 : 0);
        good[n > 8 ? n : 8] = 0;
        if (n < 8) { /* no good URL that short */
            kiln_buf_release(&b);
            continue;
        }
        strcpy(in.ui_url, good);
        b.len = 0;
        KT_OK(deploy_msg_register_app_write(&b, &in));
        memcpy(b.data + b.len - n, bad[i], n);
        net_frame f = frame_of(NET_MSG_REGISTER_APP, &b);
        KT_RC(KILN_ECORRUPT, deploy_msg_register_app_read(&f, "driver d", &out));
        if (!strstr(kiln_last_error(), "ui_url"))
            fail_msg("'%s' names no ui_url", kiln_last_error());
        net_frame_release(&f);
        kiln_buf_release(&b);
    }
}

static void launch_round_trips(void **state)
{
    deploy_launch in = {.executor = 3, .cores = 2, .desc = sample_desc()}, out;
    strcpy(in.app_id, "app-7");
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_msg_launch_write(&b, &in));
    net_frame f = frame_of(NET_MSG_LAUNCH_EXECUTOR, &b);
    KT_OK(deploy_msg_launch_read(&f, "master m", &out));
    check_desc(&out.desc);
    assert_string_equal(out.app_id, "app-7");
    assert_int_equal(out.executor, 3);
    assert_int_equal(out.cores, 2);
    deploy_app_desc_release(&out.desc);
    ALL_CUTS_REFUSED(NET_MSG_LAUNCH_EXECUTOR, b, deploy_msg_launch_read(&tf, "master m", &out));
    /* The wrong type. */
    f.type = NET_MSG_REGISTER_APP;
    KT_RC(KILN_ECORRUPT, deploy_msg_launch_read(&f, "master m", &out));
    net_frame_release(&f);
    kiln_buf_release(&b);
}

/* Writes a desc with one field changed by edit, bypassing the writer's
 * checks, and expects the reader to name field. */
static void expect_refused(void (*edit)(deploy_app_desc *), const char *field)
{
    deploy_app_desc d = sample_desc();
    deploy_file f2[2];
    memcpy(f2, files, sizeof f2);
    d.files = f2;
    edit(&d);
    /* The writer refuses it too. */
    deploy_app_register r = {.desc = d};
    kiln_buf b;
    kiln_buf_init(&b);
    KT_RC(KILN_EINVAL, deploy_msg_register_app_write(&b, &r));
    /* Hand-written: the same layout as desc_put. */
    wire_writer w;
    wire_writer_init(&w, &b);
    wire_put_str(&w, d.name);
    wire_put_str(&w, d.driver_host);
    wire_put_u32(&w, d.driver_port);
    wire_put_u64(&w, d.executor_memory);
    wire_put_raw(&w, d.exe.sha256, 64);
    wire_put_u64(&w, d.exe.size);
    wire_put_u32(&w, d.nfiles);
    for (uint32_t i = 0; i < d.nfiles; i++) {
        wire_put_str(&w, d.files[i].name);
        wire_put_raw(&w, d.files[i].sha256, 64);
        wire_put_u64(&w, d.files[i].size);
    }
    wire_put_bytes(&w, d.conf, d.conf_len);
    wire_put_bytes(&w, d.command, d.command_len);
    wire_put_u32(&w, 0);
    wire_put_u32(&w, 0);
    wire_put_str(&w, ""); /* previous_app_id */
    wire_put_str(&w, ""); /* ui_url */
    KT_OK(wire_writer_finish(&w));
    net_frame f = frame_of(NET_MSG_REGISTER_APP, &b);
    deploy_app_register out;
    KT_RC(KILN_ECORRUPT, deploy_msg_register_app_read(&f, "driver d", &out));
    if (!strstr(kiln_last_error(), field))
        fail_msg("'%s' does not name %s", kiln_last_error(), field);
    net_frame_release(&f);
    kiln_buf_release(&b);
}

static void slash_name(deploy_app_desc *d)
{
    strcpy(d->files[0].name, "../../etc/passwd");
}
static void dotdot_name(deploy_app_desc *d)
{
    strcpy(d->files[1].name, "..");
}
static void same_name(deploy_app_desc *d)
{
    strcpy(d->files[1].name, d->files[0].name);
}
static void upper_hash(deploy_app_desc *d)
{
    d->exe.sha256[3] = 'A';
}
static void bad_conf(deploy_app_desc *d)
{
    d->conf = "novalue\n";
    d->conf_len = 8;
}
static void unterminated_conf(deploy_app_desc *d)
{
    d->conf = "a=b";
    d->conf_len = 3;
}
static void relative_command(deploy_app_desc *d)
{
    d->command = "python3\0";
    d->command_len = 8;
}
static void unended_command(deploy_app_desc *d)
{
    d->command = "/bin/python3";
    d->command_len = 12;
}
static void no_port(deploy_app_desc *d)
{
    d->driver_port = 70000;
}
static void no_host(deploy_app_desc *d)
{
    d->driver_host[0] = '\0';
}
static void no_memory(deploy_app_desc *d)
{
    d->executor_memory = 0;
}
static void huge_file(deploy_app_desc *d)
{
    d->files[0].size = 1ull << 32;
}

static void desc_refuses_bad_values(void **state)
{
    expect_refused(slash_name, "base name");
    expect_refused(dotdot_name, "base name");
    expect_refused(same_name, "twice");
    expect_refused(upper_hash, "exe_sha256");
    expect_refused(bad_conf, "conf");
    expect_refused(unterminated_conf, "conf");
    expect_refused(relative_command, "command");
    expect_refused(unended_command, "command");
    expect_refused(no_port, "driver_port");
    expect_refused(no_host, "driver_host");
    expect_refused(no_memory, "executor_memory");
    expect_refused(huge_file, "file size");
}

static void desc_refuses_hostile_counts(void **state)
{
    kiln_buf b;
    kiln_buf_init(&b);
    wire_writer w;
    wire_writer_init(&w, &b);
    wire_put_str(&w, "a");
    wire_put_str(&w, "h");
    wire_put_u32(&w, 1);
    wire_put_u64(&w, 1);
    wire_put_raw(&w, HASH_A, 64);
    wire_put_u64(&w, 1);
    wire_put_u32(&w, 0xffffffffu); /* files */
    wire_put_raw(&w, HASH_B, 64);
    KT_OK(wire_writer_finish(&w));
    net_frame f = frame_of(NET_MSG_REGISTER_APP, &b);
    deploy_app_register out;
    KT_RC(KILN_ECORRUPT, deploy_msg_register_app_read(&f, "driver d", &out));
    assert_non_null(strstr(kiln_last_error(), "file_count 4294967295"));
    net_frame_release(&f);
    kiln_buf_release(&b);
}

static void registered_app_round_trips(void **state)
{
    deploy_app_registered in = {.executors = 2, .cores = 4}, out;
    strcpy(in.app_id, "app-12");
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_msg_registered_app_write(&b, &in));
    net_frame f = frame_of(NET_MSG_REGISTERED_APP, &b);
    KT_OK(deploy_msg_registered_app_read(&f, "master m", &out));
    assert_string_equal(out.app_id, "app-12");
    assert_int_equal(out.executors, 2);
    assert_int_equal(out.cores, 4);
    ALL_CUTS_REFUSED(NET_MSG_REGISTERED_APP, b, deploy_msg_registered_app_read(&tf, "m", &out));
    net_frame_release(&f);
    kiln_buf_release(&b);
    strcpy(in.app_id, "../x");
    kiln_buf_init(&b);
    KT_RC(KILN_EINVAL, deploy_msg_registered_app_write(&b, &in));
    kiln_buf_release(&b);
}

static void exec_report_round_trips(void **state)
{
    deploy_exec_report in = {.executor = 1,
                             .state = DEPLOY_EXEC_RESTARTING,
                             .exit_status = -9,
                             .restarts = 2},
                       out;
    strcpy(in.app_id, "app-1");
    strcpy(in.message, "killed by signal 9; restart 2 of 3");
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_msg_exec_report_write(&b, &in));
    for (int t = 0; t < 2; t++) {
        int type = t ? NET_MSG_APP_EXECUTOR : NET_MSG_EXECUTOR_STATE;
        net_frame f = frame_of((uint8_t)type, &b);
        KT_OK(deploy_msg_exec_report_read(&f, type, "worker w", &out));
        assert_string_equal(out.app_id, "app-1");
        assert_int_equal(out.state, DEPLOY_EXEC_RESTARTING);
        assert_int_equal(out.exit_status, -9);
        assert_int_equal(out.restarts, 2);
        assert_string_equal(out.message, in.message);
        ALL_CUTS_REFUSED(type, b, deploy_msg_exec_report_read(&tf, type, "worker w", &out));
        net_frame_release(&f);
    }
    /* An unknown state byte (after the app id and executor). */
    b.data[4 + 5 + 4] = 9;
    net_frame f = frame_of(NET_MSG_EXECUTOR_STATE, &b);
    KT_RC(KILN_ECORRUPT, deploy_msg_exec_report_read(&f, NET_MSG_EXECUTOR_STATE, "w", &out));
    assert_non_null(strstr(kiln_last_error(), "state 9"));
    net_frame_release(&f);
    kiln_buf_release(&b);
}

static void kill_and_fetch_round_trip(void **state)
{
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_msg_kill_write(&b, "app-3"));
    net_frame f = frame_of(NET_MSG_KILL_EXECUTOR, &b);
    char app[DEPLOY_ID_MAX], sha[DEPLOY_SHA256_HEX];
    KT_OK(deploy_msg_kill_read(&f, "m", app));
    assert_string_equal(app, "app-3");
    ALL_CUTS_REFUSED(NET_MSG_KILL_EXECUTOR, b, deploy_msg_kill_read(&tf, "m", app));
    net_frame_release(&f);
    b.len = 0;
    KT_OK(deploy_msg_fetch_file_write(&b, HASH_B));
    f = frame_of(NET_MSG_FETCH_FILE, &b);
    KT_OK(deploy_msg_fetch_file_read(&f, "w", sha));
    assert_string_equal(sha, HASH_B);
    ALL_CUTS_REFUSED(NET_MSG_FETCH_FILE, b, deploy_msg_fetch_file_read(&tf, "w", sha));
    net_frame_release(&f);
    /* Not a hash: a path. */
    b.len = 0;
    KT_RC(KILN_EINVAL, deploy_msg_fetch_file_write(&b, "/etc/passwd"));
    wire_writer w;
    wire_writer_init(&w, &b);
    wire_put_str(&w, "/etc/passwd");
    f = frame_of(NET_MSG_FETCH_FILE, &b);
    KT_RC(KILN_ECORRUPT, deploy_msg_fetch_file_read(&f, "w", sha));
    net_frame_release(&f);
    kiln_buf_release(&b);
}

static void status_reply_carries_apps_and_executors(void **state)
{
    deploy_status in = {.napps = 2, .nexecs = 1}, out;
    strcpy(in.url, "kiln://m:7077");
    in.apps = calloc(2, sizeof *in.apps);
    in.execs = calloc(1, sizeof *in.execs);
    strcpy(in.apps[0].id, "app-1");
    strcpy(in.apps[0].name, "wc");
    in.apps[0].state = DEPLOY_APP_RUNNING;
    in.apps[0].cores = 3;
    in.apps[0].executor_memory = 512u << 20;
    strcpy(in.apps[0].driver, "10.0.0.1:4040");
    strcpy(in.apps[0].ui_url, "http://10.0.0.1:4041/");
    strcpy(in.apps[1].id, "app-2");
    in.apps[1].state = DEPLOY_APP_FINISHED;
    strcpy(in.execs[0].app_id, "app-1");
    strcpy(in.execs[0].worker_id, "worker-1");
    in.execs[0].executor = 4;
    in.execs[0].cores = 3;
    in.execs[0].memory = 512u << 20;
    in.execs[0].state = DEPLOY_EXEC_LOST;
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_msg_status_reply_write(&b, &in));
    net_frame f = frame_of(NET_MSG_STATUS_REPLY, &b);
    KT_OK(deploy_msg_status_reply_read(&f, "m", &out));
    assert_int_equal(out.napps, 2);
    assert_int_equal(out.nexecs, 1);
    assert_string_equal(out.apps[0].driver, "10.0.0.1:4040");
    assert_string_equal(out.apps[0].ui_url, "http://10.0.0.1:4041/");
    assert_string_equal(out.apps[1].ui_url, "");
    assert_int_equal(out.apps[1].state, DEPLOY_APP_FINISHED);
    assert_string_equal(out.execs[0].worker_id, "worker-1");
    assert_int_equal(out.execs[0].state, DEPLOY_EXEC_LOST);
    kiln_buf json;
    kiln_buf_init(&json);
    KT_OK(deploy_status_json(&out, &json));
    KT_OK(kiln_buf_append(&json, "", 1));
    assert_non_null(
        strstr((char *)json.data, "\"id\": \"app-1\", \"name\": \"wc\", \"state\": \"RUNNING\""));
    assert_non_null(
        strstr((char *)json.data, "\"app\": \"app-1\", \"id\": 4, \"worker\": \"worker-1\""));
    assert_non_null(strstr((char *)json.data, "\"state\": \"LOST\""));
    assert_non_null(strstr((char *)json.data, "\"appuiurl\": \"http://10.0.0.1:4041/\""));
    kiln_buf_release(&json);
    deploy_status_release(&out);
    ALL_CUTS_REFUSED(NET_MSG_STATUS_REPLY, b, deploy_msg_status_reply_read(&tf, "m", &out));
    /* A huge executor count near the end (before the executor and the recovering byte). */
    memset(b.data + b.len - (4 + 5 + 4 + 4 + 8 + 4 + 8 + 1) - 1 - 4, 0xff, 4);
    net_frame_release(&f);
    f = frame_of(NET_MSG_STATUS_REPLY, &b);
    KT_RC(KILN_ECORRUPT, deploy_msg_status_reply_read(&f, "m", &out));
    assert_non_null(strstr(kiln_last_error(), "executor_count 4294967295"));
    net_frame_release(&f);
    kiln_buf_release(&b);
    deploy_status_release(&in);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(register_app_round_trips),
        cmocka_unit_test(register_app_ui_url),
        cmocka_unit_test(launch_round_trips),
        cmocka_unit_test(desc_refuses_bad_values),
        cmocka_unit_test(desc_refuses_hostile_counts),
        cmocka_unit_test(registered_app_round_trips),
        cmocka_unit_test(exec_report_round_trips),
        cmocka_unit_test(kill_and_fetch_round_trip),
        cmocka_unit_test(status_reply_carries_apps_and_executors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
