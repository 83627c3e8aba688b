/*
 * test_objstore.c - object stores behind io (src/io/store.c, s3.c,
 * https.c, http.c): RDD text_file and SQL CSV/text reads of s3a:// URLs
 * against the same files read from local disk, listing across pages,
 * ranged reads, missing buckets and keys, bad credentials (the error names
 * the URL, never the key), retries through a fault-injecting proxy (503,
 * 429 with Retry-After, connections dropped mid-download: results
 * unchanged), and a CSV read over http://. The peers (s3rver, the proxy, a
 * file server) come from tests/peers/objstore.mjs, run with node from
 * ${KILN_PEERS_DIR:-~/.cache/kiln-peers}; the test skips, saying why, when
 * node or s3rver is absent.
 */
#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/conf.h"
#include "io/store_int.h"
#include "kiln.h"
#include "kiln/sql.h"
#include "kt.h"
#include "kt_fns.h"

extern char **environ;

static pid_t g_pid = -1;
static int g_stdin = -1;
static int g_s3, g_proxy, g_http, g_azure, g_https;
static char g_dir[256];
static const char *SECRET = "S3RVER"; /* s3rver's fixed secret */

static void stop_peers(void)
{
    if (g_stdin >= 0) close(g_stdin);
    if (g_pid > 0) {
        int st;
        for (int i = 0; i < 50 && waitpid(g_pid, &st, WNOHANG) == 0; i++) usleep(100000);
        if (waitpid(g_pid, &st, WNOHANG) == 0) {
            kill(g_pid, SIGKILL);
            waitpid(g_pid, &st, 0);
        }
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (g_dir[0] && system(cmd)) {
    }
}

/* Starts the peers; returns false (and says why) when they cannot run. */
static bool start_peers(void)
{
    const char *peers = getenv("KILN_PEERS_DIR");
    char mod[512];
    if (peers && *peers) snprintf(mod, sizeof mod, "%s/node_modules/s3rver", peers);
    else snprintf(mod, sizeof mod, "%s/.cache/kiln-peers/node_modules/s3rver", getenv("HOME"));
    struct stat st;
    if (stat(mod, &st) != 0) {
        printf("SKIP: s3rver is not installed (%s); run npm install s3rver azurite there\n", mod);
        return false;
    }
    snprintf(g_dir, sizeof g_dir, "/tmp/kiln-objstore-%d", (int)getpid());
    char data[300], serve[300];
    snprintf(data, sizeof data, "%s/s3", g_dir);
    snprintf(serve, sizeof serve, "%s/www", g_dir);
    mkdir(g_dir, 0700);
    mkdir(data, 0700);
    mkdir(serve, 0700);
    int in[2], out[2];
    if (pipe(in) || pipe(out)) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *argv[] = {"node", "tests/peers/objstore.mjs", data, serve, NULL};
    int rc = posix_spawnp(&g_pid, "node", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        printf("SKIP: cannot run node\n");
        g_pid = -1;
        return false;
    }
    g_stdin = in[1];
    FILE *f = fdopen(out[0], "r");
    char line[256] = "";
    bool ok = f && fgets(line, sizeof line, f) &&
              sscanf(line, "{\"s3\":%d,\"proxy\":%d,\"http\":%d,\"azure\":%d,\"https\":%d}", &g_s3,
                     &g_proxy, &g_http, &g_azure, &g_https) == 5;
    if (f) fclose(f);
    if (!ok) printf("SKIP: the peers did not start (%s)\n", line);
    return ok;
}

/* The settings of a context talking to port with key/secret. */
static kiln_context *ctx_for(int port, const char *key, const char *secret, const char *extra_k,
                             const char *extra_v)
{
    kiln_conf *c = kiln_conf_new();
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", port);
    assert_int_equal(kiln_conf_set(c, "kiln.master", "local[2]"), KILN_OK);
    assert_int_equal(kiln_conf_set(c, "kiln.hadoop.fs.s3a.endpoint", ep), KILN_OK);
    assert_int_equal(kiln_conf_set(c, "kiln.hadoop.fs.s3a.access.key", key), KILN_OK);
    assert_int_equal(kiln_conf_set(c, "kiln.hadoop.fs.s3a.secret.key", secret), KILN_OK);
    assert_int_equal(kiln_conf_set(c, "kiln.hadoop.fs.s3a.retry.interval", "50ms"), KILN_OK);
    if (extra_k) assert_int_equal(kiln_conf_set(c, extra_k, extra_v), KILN_OK);
    kiln_context *ctx;
    assert_int_equal(kiln_context_new(c, &ctx), KILN_OK);
    kiln_conf_free(c);
    return ctx;
}

static void write_local(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
}

/* A CSV of n rows with unicode, empty fields and long lines. */
static void make_csv(kiln_buf *b, int n, unsigned seed)
{
    kiln_buf_init(b);
    buf_appendf(b, "id,name,amount\n");
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        if (i % 97 == 5) buf_appendf(b, "%d,,\n", i);
        else buf_appendf(b, "%d,nam\xc3\xa9_%u,%u.%02u\n", i, seed % 1000, seed % 100000, i % 100);
    }
}

/* The collected lines of an RDD of text_file, formatted. */
static void rdd_text(kiln_context *ctx, const char *path, int parts, kiln_buf *out)
{
    kiln_rdd *r = kiln_text_file(ctx, path, parts);
    assert_non_null(r);
    kiln_arena *a = kiln_arena_new();
    kiln_value v;
    int rc = kiln_rdd_collect(r, a, &v);
    if (rc) fail_msg("collect %s: %s", path, kiln_last_error());
    kiln_buf_init(out);
    kiln_value_format(out, &v);
    kiln_arena_free(a);
}

static void sql_text(kiln_context *ctx, const char *sql, kiln_buf *out)
{
    kiln_session *s;
    assert_int_equal(kiln_session_new(ctx, &s), KILN_OK);
    kiln_df *df = kiln_sql(s, sql);
    if (!df) fail_msg("%s: %s", sql, kiln_last_error());
    kiln_arena *a = kiln_arena_new();
    kiln_value v;
    if (kiln_df_collect(df, a, &v)) fail_msg("%s: %s", sql, kiln_last_error());
    kiln_buf_init(out);
    kiln_value_format(out, &v);
    assert_int_equal(kiln_buf_append(out, "", 1), KILN_OK); /* a C string too */
    out->len--;
    kiln_arena_free(a);
    kiln_session_free(s);
}

static void assert_same(const kiln_buf *a, const kiln_buf *b)
{
    if (a->len != b->len || memcmp(a->data, b->data, a->len) != 0)
        fail_msg("differ: %.200s\nvs %.200s", (const char *)a->data, (const char *)b->data);
}

/* The same query over two paths (agg has one %s) gives the same rows. */
static void sql_same(kiln_context *ctx, const char *agg, const char *p1, const char *p2)
{
    char q[1200];
    kiln_buf a, b;
    snprintf(q, sizeof q, agg, p1);
    sql_text(ctx, q, &a);
    snprintf(q, sizeof q, agg, p2);
    sql_text(ctx, q, &b);
    assert_same(&a, &b);
    kiln_buf_release(&a);
    kiln_buf_release(&b);
}

/* text_file of two paths gives the same lines. */
static void rdd_same(kiln_context *ctx, const char *p1, const char *p2, int parts)
{
    kiln_buf a, b;
    rdd_text(ctx, p1, parts, &a);
    rdd_text(ctx, p2, parts, &b);
    assert_same(&a, &b);
    kiln_buf_release(&a);
    kiln_buf_release(&b);
}

/* n bytes written through io_obj_writer in pieces read back whole. */
static void write_read_back(const char *url, const char *data, size_t n)
{
    io_obj_writer *w;
    assert_int_equal(io_obj_writer_open(url, &w), KILN_OK);
    for (size_t off = 0; off < n; off += 1000000)
        assert_int_equal(io_obj_writer_write(w, data + off, n - off < 1000000 ? n - off : 1000000),
                         KILN_OK);
    if (io_obj_writer_close(w)) fail_msg("%s", kiln_last_error());
    kiln_buf got;
    kiln_buf_init(&got);
    assert_int_equal(io_obj_get_all(url, &got), KILN_OK);
    assert_int_equal(got.len, n);
    assert_memory_equal(got.data, data, n);
    kiln_buf_release(&got);
}

/* Reads the same CSV from s3a:// and from disk through RDDs and SQL. */
static void test_read_rdd_sql(void **state)
{
    (void)state;
    kiln_context *ctx = ctx_for(g_s3, "S3RVER", SECRET, "kiln.hadoop.fs.s3a.readahead.range",
                                "64k");
    kiln_buf csv;
    make_csv(&csv, 20000, 7);
    char local[400], ldir[300];
    snprintf(ldir, sizeof ldir, "%s/local", g_dir);
    mkdir(ldir, 0700);
    snprintf(local, sizeof local, "%s/part-0.csv", ldir);
    write_local(local, (const char *)csv.data, csv.len);
    assert_int_equal(io_obj_put("s3a://kiln/csv1/part-0.csv", csv.data, csv.len), KILN_OK);
    assert_int_equal(io_obj_put("s3a://kiln/csv1/_SUCCESS", "", 0), KILN_OK);
    assert_int_equal(io_obj_put("s3a://kiln/csv1/sub/x.csv", "9,z,1\n", 6), KILN_OK);
    rdd_same(ctx, "s3a://kiln/csv1", ldir, 7);
    /* One object named directly, and a glob. */
    rdd_same(ctx, "s3a://kiln/csv1/part-0.csv", "s3a://kiln/csv1/*.csv", 3);
    const char
        *agg = "SELECT count(*), count(_c1), sum(try_cast(_c2 as double)), min(_c1), max(_c0) FROM "
               "csv.`%s` ";
    sql_same(ctx, agg, "s3a://kiln/csv1/part-0.csv", local);
    kiln_buf_release(&csv);
    kiln_context_free(ctx);
}

/* More objects than one page: every one listed, in order. */
static void test_pagination(void **state)
{
    (void)state;
    /* s3rver fails truncated ListObjectsV2 pages: version 1 (markers) here. */
    kiln_context *ctx = ctx_for(g_s3, "S3RVER", SECRET, "kiln.hadoop.fs.s3a.paging.maximum", "3");
    char *v = io_setting("fs.s3a.paging.maximum");
    assert_string_equal(v, "3");
    free(v);
    kiln_conf *c = kiln_conf_new();
    kiln_conf_set(c, "kiln.hadoop.fs.s3a.paging.maximum", "3");
    kiln_conf_set(c, "kiln.hadoop.fs.s3a.list.version", "1");
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", g_s3);
    kiln_conf_set(c, "kiln.hadoop.fs.s3a.endpoint", ep);
    kiln_conf_set(c, "kiln.hadoop.fs.s3a.access.key", "S3RVER");
    kiln_conf_set(c, "kiln.hadoop.fs.s3a.secret.key", SECRET);
    assert_int_equal(io_store_configure(c), KILN_OK);
    kiln_conf_free(c);
    char key[128], want[4096] = "";
    for (int i = 0; i < 11; i++) {
        snprintf(key, sizeof key, "s3a://kiln/many/f%02d.txt", i);
        char line[32];
        int n = snprintf(line, sizeof line, "line %d\n", i);
        assert_int_equal(io_obj_put(key, line, (size_t)n), KILN_OK);
    }
    bool is_file;
    io_obj_list l;
    if (io_obj_list_path("s3a://kiln/many", &is_file, &l)) fail_msg("%s", kiln_last_error());
    assert_false(is_file);
    assert_int_equal(l.n, 11);
    for (size_t i = 0; i < l.n; i++) {
        snprintf(key, sizeof key, "s3a://kiln/many/f%02zu.txt", i);
        assert_string_equal(l.v[i].path, key);
        assert_int_equal(l.v[i].size, i < 10 ? 7 : 8);
    }
    io_obj_list_release(&l);
    /* The public recursive listing: the same objects, with their sizes. */
    assert_int_equal(io_obj_put("s3a://kiln/many/sub/deep.txt", "x\n", 2), KILN_OK);
    io_split *sp;
    size_t ns;
    assert_int_equal(io_url_list_tree("s3a://kiln/many", &sp, &ns), KILN_OK);
    assert_int_equal(ns, 12);
    assert_string_equal(sp[11].path, "s3a://kiln/many/sub/deep.txt");
    assert_int_equal(sp[11].length, 2);
    assert_int_equal(sp[0].length, 7);
    io_splits_free(sp, ns);
    assert_int_equal(io_url_list_tree("s3a://kiln/none-here", &sp, &ns), KILN_OK);
    assert_int_equal(ns, 0);
    io_splits_free(sp, ns);
    int64_t count = 0;
    kiln_rdd *r = kiln_text_file(ctx, "s3a://kiln/many/", 2);
    assert_int_equal(kiln_rdd_count(r, &count), KILN_OK);
    assert_int_equal(count, 11);
    (void)want;
    kiln_context_free(ctx);
}

/* Ranged reads through io_file: any offset, exact bytes; too far fails. */
static void test_ranged(void **state)
{
    (void)state;
    kiln_context *ctx = ctx_for(g_s3, "S3RVER", SECRET, "kiln.hadoop.fs.s3a.readahead.range",
                                "64k");
    size_t n = 300000;
    uint8_t *data = malloc(n), *got = malloc(n);
    for (size_t i = 0; i < n; i++) data[i] = (uint8_t)(i * 31 + (i >> 9));
    assert_int_equal(io_obj_put("s3a://kiln/bin/blob", data, n), KILN_OK);
    io_file *f;
    assert_int_equal(io_file_open("s3a://kiln/bin/blob", &f), KILN_OK);
    assert_int_equal(io_file_size(f), (int64_t)n);
    static const size_t offs[][2] = {{0, 10}, {299990, 10}, {65530, 20}, {1000, 200000}, {5, 1}};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        assert_int_equal(io_file_pread(f, got, offs[i][1], (int64_t)offs[i][0]), KILN_OK);
        assert_memory_equal(got, data + offs[i][0], offs[i][1]);
    }
    assert_int_equal(io_file_pread(f, got, 11, 299990), KILN_ECORRUPT);
    io_file_close(f);
    free(data);
    free(got);
    kiln_context_free(ctx);
}

/* Missing buckets and keys name the URL. */
static void test_missing(void **state)
{
    (void)state;
    kiln_context *ctx = ctx_for(g_s3, "S3RVER", SECRET, NULL, NULL);
    io_file *f;
    assert_int_equal(io_file_open("s3a://kiln/nothing/here.csv", &f), KILN_ENOENT);
    assert_non_null(strstr(kiln_last_error(), "s3a://kiln/nothing/here.csv"));
    kiln_rdd *r = kiln_text_file(ctx, "s3a://kiln/nothing", 2);
    int64_t n;
    assert_true(r == NULL || kiln_rdd_count(r, &n) != KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "Input path does not exist: s3a://kiln/nothing"));
    r = kiln_text_file(ctx, "s3a://no-such-bucket/x", 2);
    assert_true(r == NULL || kiln_rdd_count(r, &n) != KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "no-such-bucket"));
    kiln_context_free(ctx);
}

/* A wrong secret: 403 naming the URL, and neither key nor secret shown. */
static void test_bad_credentials(void **state)
{
    (void)state;
    /* (s3rver checks the key id, not the signature, so the id is wrong.) */
    kiln_context *ctx = ctx_for(g_s3, "AKIAWR0NGKEY", "Wr0ngSecretValue42", NULL, NULL);
    io_file *f;
    int rc = io_file_open("s3a://kiln/csv1/part-0.csv", &f);
    assert_int_not_equal(rc, KILN_OK);
    const char *e = kiln_last_error();
    assert_non_null(strstr(e, "s3a://kiln/csv1/part-0.csv"));
    assert_non_null(strstr(e, "403"));
    assert_null(strstr(e, "Wr0ngSecretValue42"));
    assert_null(strstr(e, "AKIAWR0NGKEY"));
    kiln_rdd *r = kiln_text_file(ctx, "s3a://kiln/csv1", 2);
    int64_t n;
    assert_true(r == NULL || kiln_rdd_count(r, &n) != KILN_OK);
    assert_null(strstr(kiln_last_error(), "Wr0ngSecretValue42"));
    assert_null(strstr(kiln_last_error(), "AKIAWR0NGKEY"));
    /* Credentials in the URL (Hadoop's old form) are refused, unshown. */
    assert_int_equal(io_file_open("s3a://AKIAX:Wr0ngSecretValue42@kiln/csv1/part-0.csv", &f),
                     KILN_EINVAL);
    assert_null(strstr(kiln_last_error(), "Wr0ngSecretValue42"));
    assert_non_null(strstr(kiln_last_error(), "s3a://kiln/csv1/part-0.csv"));
    kiln_context_free(ctx);
}

static void proxy_fault(const char *mode, int count)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/__fault?mode=%s&count=%d", g_proxy, mode, count);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    FILE *null = fopen("/dev/null", "w");
    curl_easy_setopt(h, CURLOPT_WRITEDATA, null);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    fclose(null);
    curl_easy_cleanup(h);
}

static size_t on_stats(char *p, size_t size, size_t n, void *arg)
{
    kiln_buf_append(arg, p, size * n);
    return size * n;
}

/* The number of faults the proxy has injected so far. */
static int proxy_faults(void)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/__stats", g_proxy);
    kiln_buf b;
    kiln_buf_init(&b);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_stats);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
    kiln_buf_append(&b, "", 1);
    const char *f = strstr((const char *)b.data, "\"faults\":");
    int n = f ? atoi(f + 9) : -1;
    kiln_buf_release(&b);
    return n;
}

/* 503s, 429s and dropped connections: retried, results unchanged; too
 * many: a clear error naming the URL and the status. */
static void test_faults(void **state)
{
    (void)state;
    kiln_context *ctx = ctx_for(g_proxy, "S3RVER", SECRET, "kiln.hadoop.fs.s3a.readahead.range",
                                "64k");
    kiln_buf want, got;
    rdd_text(ctx, "s3a://kiln/csv1", 3, &want);
    int f0 = proxy_faults();
    proxy_fault("503", 3);
    /* The retries are logged (at INFO) without any credential. */
    char logf[400];
    snprintf(logf, sizeof logf, "%s/log.txt", g_dir);
    fflush(stderr);
    int saved = dup(2), lfd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(lfd, 2);
    log_set_threshold(LOG_TRACE);
    rdd_text(ctx, "s3a://kiln/csv1", 3, &got);
    log_set_threshold(LOG_WARN);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(lfd);
    kiln_buf log;
    kiln_buf_init(&log);
    FILE *lf = fopen(logf, "r");
    char chunk[4096];
    size_t k;
    while (lf && (k = fread(chunk, 1, sizeof chunk, lf)) > 0) kiln_buf_append(&log, chunk, k);
    if (lf) fclose(lf);
    kiln_buf_append(&log, "", 1);
    assert_non_null(strstr((const char *)log.data, "retrying"));
    assert_non_null(strstr((const char *)log.data, "503"));
    assert_null(strstr((const char *)log.data, SECRET));
    kiln_buf_release(&log);
    assert_same(&want, &got);
    kiln_buf_release(&got);
    assert_int_equal(proxy_faults(), f0 + 3);
    proxy_fault("429", 1);
    rdd_text(ctx, "s3a://kiln/csv1", 3, &got);
    assert_same(&want, &got);
    kiln_buf_release(&got);
    assert_int_equal(proxy_faults(), f0 + 4);
    proxy_fault("drop", 4);
    rdd_text(ctx, "s3a://kiln/csv1", 3, &got);
    assert_same(&want, &got);
    assert_int_equal(proxy_faults(), f0 + 8);
    kiln_buf_release(&got);
    kiln_buf_release(&want);
    kiln_context_free(ctx);
    ctx = ctx_for(g_proxy, "S3RVER", SECRET, "kiln.hadoop.fs.s3a.attempts.maximum", "2");
    proxy_fault("503", 5);
    io_file *f;
    assert_int_equal(io_file_open("s3a://kiln/csv1/part-0.csv", &f), KILN_EIO);
    assert_non_null(strstr(kiln_last_error(), "s3a://kiln/csv1/part-0.csv"));
    assert_non_null(strstr(kiln_last_error(), "HTTP 503"));
    assert_non_null(strstr(kiln_last_error(), "2 attempts"));
    proxy_fault("503", 0);
    kiln_context_free(ctx);
}

/* A CSV over http:// and https:// reads as the same file on disk. */
static void test_http_csv(void **state)
{
    (void)state;
    kiln_context *ctx = ctx_for(g_s3, "S3RVER", SECRET, NULL, NULL);
    kiln_buf csv;
    make_csv(&csv, 5000, 3);
    char local[400], url[300];
    snprintf(local, sizeof local, "%s/www/data.csv", g_dir);
    write_local(local, (const char *)csv.data, csv.len);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/data.csv?sig=SeCrEtSiG", g_http);
    const char *agg = "SELECT count(*), sum(try_cast(_c2 as double)), max(_c1) FROM csv.`%s`";
    sql_same(ctx, agg, url, local);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/missing.csv?sig=SeCrEtSiG", g_http);
    io_file *f;
    assert_int_equal(io_file_open(url, &f), KILN_ENOENT);
    assert_null(strstr(kiln_last_error(), "SeCrEtSiG"));
    kiln_context_free(ctx);
    if (g_https == 0) {
        printf("SKIP: https part: no openssl command for a test certificate\n");
        kiln_buf_release(&csv);
        return;
    }
    /* https: untrusted without the test CA, the same rows with it. */
    snprintf(url, sizeof url, "https://127.0.0.1:%d/data.csv", g_https);
    ctx = ctx_for(g_s3, "S3RVER", SECRET, "kiln.hadoop.fs.http.attempts.maximum", "1");
    assert_int_equal(io_file_open(url, &f), KILN_EIO);
    assert_non_null(strstr(kiln_last_error(), url));
    kiln_context_free(ctx);
    char ca[400];
    snprintf(ca, sizeof ca, "%s/s3/cert.pem", g_dir);
    ctx = ctx_for(g_s3, "S3RVER", SECRET, "kiln.hadoop.fs.ssl.ca.file", ca);
    sql_same(ctx, agg, url, local);
    kiln_buf_release(&csv);
    kiln_context_free(ctx);
}

/* Whether any object is under prefix (a URL). */
static size_t objects_under(const char *url)
{
    bool is_file;
    io_obj_list l;
    size_t n = io_obj_list_path(url, &is_file, &l) == KILN_OK ? l.n : 0;
    io_obj_list_release(&l);
    return n;
}

/* save_as_text_file to s3a:// reads back as the same lines as on disk;
 * _SUCCESS last, nothing left under _temporary; a second save is refused;
 * a failing job leaves nothing. */
static void test_write_rdd(void **state)
{
    (void)state;
    kiln_context *ctx = ctx_for(g_s3, "S3RVER", SECRET, NULL, NULL);
    kiln_rdd *r = kiln_text_file(ctx, "s3a://kiln/csv1/part-0.csv", 4);
    assert_int_equal(kiln_rdd_save_as_text_file(r, "s3a://kiln/out1"), KILN_OK);
    char local[400];
    snprintf(local, sizeof local, "%s/out1", g_dir);
    assert_int_equal(kiln_rdd_save_as_text_file(r, local), KILN_OK);
    rdd_same(ctx, "s3a://kiln/out1", local, 3);
    int64_t size = -1;
    assert_int_equal(io_path_size("s3a://kiln/out1/_SUCCESS", &size), KILN_OK);
    assert_int_equal(size, 0);
    assert_int_equal(objects_under("s3a://kiln/out1/_temporary"), 0);
    assert_int_equal(objects_under("s3a://kiln/out1"), 5); /* 4 parts + _SUCCESS */
    assert_int_equal(kiln_rdd_save_as_text_file(r, "s3a://kiln/out1"), KILN_EEXIST);
    kiln_value v[20];
    for (int i = 0; i < 20; i++) v[i] = kiln_int(i);
    kiln_rdd *p = kiln_parallelize(ctx, v, 20, 4);
    kiln_rdd *m = kiln_rdd_map(p, kt_fail_on_seven_fn, NULL, 0);
    assert_int_not_equal(kiln_rdd_save_as_text_file(m, "s3a://kiln/failed"), KILN_OK);
    assert_int_equal(objects_under("s3a://kiln/failed"), 0);
    kiln_context_free(ctx);
}

/* Objects beyond the part size go up in parts and read back whole. */
static void test_multipart(void **state)
{
    (void)state;
    kiln_context *ctx = ctx_for(g_s3, "S3RVER", SECRET, "kiln.hadoop.fs.s3a.multipart.size", "5m");
    size_t n = (size_t)12 << 20;
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++) data[i] = (i % 61 == 60) ? '\n' : (char)('a' + i % 26);
    write_read_back("s3a://kiln/big/blob.txt", data, n);
    int64_t count;
    assert_int_equal(kiln_rdd_count(kiln_text_file(ctx, "s3a://kiln/big/blob.txt", 3), &count),
                     KILN_OK);
    assert_int_equal(count, (int64_t)(n / 61 + (n % 61 != 0)));
    free(data);
    kiln_context_free(ctx);
}

/* DataFrame CSV writes to s3a:// (create, overwrite, append) read back as
 * the same rows as the same writes on disk. */
static void test_write_sql(void **state)
{
    (void)state;
    kiln_context *ctx = ctx_for(g_s3, "S3RVER", SECRET, NULL, NULL);
    kiln_session *s;
    assert_int_equal(kiln_session_new(ctx, &s), KILN_OK);
    char local[400], q[900];
    snprintf(local, sizeof local, "%s/sqlout", g_dir);
    const char *targets[] = {"s3a://kiln/sqlout", local};
    const char *modes[] = {"error", "overwrite", "append"};
    for (int t = 0; t < 2; t++)
        for (int m = 0; m < 3; m++) {
            kiln_df *df = kiln_sql(s, m == 1 ? "SELECT id * 2 AS x, 'b' AS y FROM range(500)"
                                             : "SELECT id AS x, 'a' AS y FROM range(1000)");
            assert_non_null(df);
            kiln_writer *w = kiln_writer_mode(kiln_df_write(df), modes[m]);
            if (kiln_writer_csv(w, targets[t])) fail_msg("%s", kiln_last_error());
            kiln_df_free(df);
        }
    kiln_buf a, b;
    const char *agg = "SELECT count(*), sum(try_cast(_c0 as bigint)), min(_c1), max(_c1) FROM "
                      "csv.`%s`";
    snprintf(q, sizeof q, agg, targets[0]);
    sql_text(ctx, q, &a);
    snprintf(q, sizeof q, agg, targets[1]);
    sql_text(ctx, q, &b);
    assert_same(&a, &b);
    assert_non_null(strstr((const char *)a.data, "1500"));
    kiln_buf_release(&a);
    kiln_buf_release(&b);
    assert_int_equal(objects_under("s3a://kiln/sqlout/_temporary"), 0);
    kiln_session_free(s);
    kiln_context_free(ctx);
}

/* A partitioned write of query q (fmt, mode, partitionOverwriteMode ovm or
 * NULL) by k, j to target; returns the write's code. */
static int part_write(kiln_session *s, const char *q, const char *fmt, const char *mode,
                      const char *ovm, const char *target)
{
    kiln_df *df = kiln_sql(s, q);
    if (!df) fail_msg("%s: %s", q, kiln_last_error());
    kiln_writer *w = kiln_writer_mode(kiln_writer_format(kiln_df_write(df), fmt), mode);
    if (ovm) w = kiln_writer_option(w, "partitionOverwriteMode", ovm);
    const char *by[] = {"k", "j"};
    int rc = kiln_writer_save(kiln_writer_partition_by(w, by, 2), target);
    kiln_df_free(df);
    return rc;
}

/* The same aggregate of a partitioned dataset on S3 and on disk. */
static void part_same(kiln_context *ctx, const char *fmt, const char *url, const char *local,
                      const char *expect)
{
    char agg[400];
    snprintf(agg, sizeof agg,
             "SELECT k, j, count(*), sum(%s), max(%s) FROM %s.`%%s` GROUP BY k, j ORDER BY k, j",
             strcmp(fmt, "csv") ? "id" : "try_cast(_c0 AS bigint)",
             strcmp(fmt, "csv") ? "v" : "_c1", fmt);
    kiln_buf a, b;
    char q[1200];
    snprintf(q, sizeof q, agg, url);
    sql_text(ctx, q, &a);
    snprintf(q, sizeof q, agg, local);
    sql_text(ctx, q, &b);
    assert_same(&a, &b);
    if (expect && !strstr((const char *)a.data, expect))
        fail_msg("no '%s' in %s", expect, (const char *)a.data);
    kiln_buf_release(&a);
    kiln_buf_release(&b);
}

/* Rows partitioned by k (text needing escapes: '/', '=', '%', ':', a space,
 * unicode; null every 7th row) and j, ids [lo, hi), v the id as text; a
 * row with id == bad throws (1 DIV 0) when bad >= 0. */
static void part_query(char *q, size_t n, long lo, long hi, long bad, const char *where)
{
    char v[80] = "id";
    if (bad >= 0) snprintf(v, sizeof v, "CAST(id + 1 DIV (id - %ld) AS STRING)", bad);
    snprintf(
        q, n,
        "SELECT id, CASE WHEN id %% 7 = 0 THEN NULL ELSE concat('a/b=', id %% 3, ' %%x:\xc3\xa9') "
        "END AS k, CAST(id %% 2 AS INT) AS j, concat('v', %s) AS v FROM range(%ld, %ld, 1, 3) "
        "WHERE %s",
        v, lo, hi, where);
}

/* The writes both stores' tests make of fmt to targets (an object store's
 * URL, a local path): create (hi rows), append, then a dynamic overwrite
 * of the partitions k = 'a/b=<dyn> ...'. */
static void part_steps(kiln_session *s, const char *fmt, const char *const *targets, long hi,
                       int dyn)
{
    char q[1200], where[80];
    snprintf(where, sizeof where, "id %% 3 = %d AND id %% 7 <> 0", dyn);
    for (int t = 0; t < 2; t++) {
        part_query(q, sizeof q, 0, hi, -1, "true");
        if (part_write(s, q, fmt, "error", NULL, targets[t])) fail_msg("%s", kiln_last_error());
        part_query(q, sizeof q, 3000, 3500, -1, "true");
        if (part_write(s, q, fmt, "append", NULL, targets[t])) fail_msg("%s", kiln_last_error());
        part_query(q, sizeof q, 5000, 5300, -1, where);
        if (part_write(s, q, fmt, "overwrite", "dynamic", targets[t]))
            fail_msg("%s", kiln_last_error());
    }
}

/* partitionBy writes of CSV and Parquet to s3a:// read back as the same
 * rows as the same writes on disk: create, append, dynamic and static
 * overwrite, a failing overwrite (the old objects stay), escaped values
 * and nulls (__HIVE_DEFAULT_PARTITION__); nothing left under _temporary. */
static void test_part_write(void **state)
{
    (void)state;
    kiln_context *ctx = ctx_for(g_s3, "S3RVER", SECRET, NULL, NULL);
    kiln_session *s;
    assert_int_equal(kiln_session_new(ctx, &s), KILN_OK);
    const char *fmts[] = {"csv", "parquet"};
    for (int f = 0; f < 2; f++) {
        char url[300], local[400], q[1200], p[600];
        snprintf(url, sizeof url, "s3a://kiln/pw_%s", fmts[f]);
        snprintf(local, sizeof local, "%s/pw_%s", g_dir, fmts[f]);
        const char *targets[] = {url, local};
        part_steps(s, fmts[f], targets, 3000, 1);
        snprintf(p, sizeof p, "%s/k=__HIVE_DEFAULT_PARTITION__/j=1", url);
        assert_true(objects_under(p) > 0);
        snprintf(p, sizeof p, "%s/k=a%%2Fb%%3D2 %%25x%%3A\xc3\xa9/j=0", url);
        assert_true(objects_under(p) > 0);
        part_query(q, sizeof q, 0, 3000, -1, "true");
        assert_int_equal(part_write(s, q, fmts[f], "error", NULL, url), KILN_EEXIST);
        part_same(ctx, fmts[f], url, local, "(a/b=1 %x:\xc3\xa9,0,43,");
        size_t before = objects_under(url);
        /* A failing overwrite: the old objects stay, no _temporary. */
        part_query(q, sizeof q, 0, 3000, 2500, "true");
        assert_int_not_equal(part_write(s, q, fmts[f], "overwrite", NULL, url), KILN_OK);
        if (!strstr(kiln_last_error(), "DIVIDE_BY_ZERO")) fail_msg("%s", kiln_last_error());
        assert_int_equal(objects_under(url), before);
        snprintf(p, sizeof p, "%s/_temporary", url);
        assert_int_equal(objects_under(p), 0);
        part_same(ctx, fmts[f], url, local, "(a/b=1 %x:\xc3\xa9,0,43,");
        /* Static overwrite: the whole dataset replaced. */
        for (int t = 0; t < 2; t++) {
            part_query(q, sizeof q, 100, 110, -1, "true");
            if (part_write(s, q, fmts[f], "overwrite", "static", targets[t]))
                fail_msg("%s", kiln_last_error());
        }
        part_same(ctx, fmts[f], url, local, "(a/b=1 %x:\xc3\xa9,0,2,");
        assert_true(objects_under(url) < 20);
        assert_int_equal(objects_under(p), 0);
    }
    kiln_session_free(s);
    kiln_context_free(ctx);
}

/* Tables over s3a:// partitioned data: INSERT, INSERT OVERWRITE ...
 * PARTITION (static: that partition's old objects go, the others stay),
 * dynamic INSERT OVERWRITE; the same rows as the same table on disk. */
static void test_part_tables(void **state)
{
    (void)state;
    kiln_context *ctx = ctx_for(g_s3, "S3RVER", SECRET, NULL, NULL);
    char local[400];
    snprintf(local, sizeof local, "%s/pt_tab", g_dir);
    const char *locs[] = {"s3a://kiln/pt_tab", local};
    kiln_buf out[2];
    for (int t = 0; t < 2; t++) {
        kiln_session *s;
        assert_int_equal(kiln_session_new(ctx, &s), KILN_OK);
        char q[900];
        snprintf(q, sizeof q,
                 "CREATE TABLE pt USING parquet PARTITIONED BY (k) LOCATION '%s' AS "
                 "SELECT id, id %% 3 AS k, concat('x', id) AS s FROM range(0, 30)",
                 locs[t]);
        const char *steps[] = {
            q,
            "INSERT INTO pt SELECT 100, 'y', 7",
            "INSERT OVERWRITE pt PARTITION (k = 1) SELECT 300, 'w'",
            "SET kiln.sql.sources.partitionOverwriteMode = dynamic",
            "INSERT OVERWRITE pt SELECT 400, 'd', 2",
            "INSERT OVERWRITE pt PARTITION (k = 7) SELECT 700, 'g'",
        };
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
            kiln_df *df = kiln_sql(s, steps[i]);
            if (!df) fail_msg("%s: %s", steps[i], kiln_last_error());
            kiln_df_free(df);
        }
        kiln_session_free(s);
        snprintf(q, sizeof q, "SELECT k, count(*), sum(id) FROM parquet.`%s` GROUP BY k ORDER BY k",
                 locs[t]);
        sql_text(ctx, q, &out[t]);
    }
    assert_same(&out[0], &out[1]);
    assert_string_equal((const char *)out[0].data, "[(0,10,135), (1,1,300), (2,1,400), (7,1,700)]");
    kiln_buf_release(&out[0]);
    kiln_buf_release(&out[1]);
    assert_int_equal(objects_under("s3a://kiln/pt_tab/_temporary"), 0);
    kiln_context_free(ctx);
}

/* Parquet on S3: kiln's writer through the object-store committer, its
 * reader through ranged GETs (footer, then column chunks), with a filter
 * pushed into the scan; the same as the same files on disk. */
static void test_parquet(void **state)
{
    (void)state;
    kiln_context *ctx = ctx_for(g_s3, "S3RVER", SECRET, NULL, NULL);
    kiln_session *s;
    assert_int_equal(kiln_session_new(ctx, &s), KILN_OK);
    char local[400], q[900];
    snprintf(local, sizeof local, "%s/pqout", g_dir);
    const char *targets[] = {"s3a://kiln/pqout", local};
    for (int t = 0; t < 2; t++) {
        kiln_df *df = kiln_sql(s, "SELECT id, id % 13 AS k, CASE WHEN id % 5 = 0 THEN NULL "
                                  "ELSE concat('v', id) END AS v FROM range(0, 200000, 1, 3)");
        assert_non_null(df);
        kiln_writer *w = kiln_writer_option(kiln_df_write(df), "parquet.block.size", "262144");
        if (kiln_writer_parquet(w, targets[t])) fail_msg("%s", kiln_last_error());
        kiln_df_free(df);
    }
    kiln_buf a, b;
    const char *agg = "SELECT k, count(*), count(v), sum(id), max(v) FROM parquet.`%s` "
                      "WHERE id >= 150000 GROUP BY k ORDER BY k";
    snprintf(q, sizeof q, agg, targets[0]);
    sql_text(ctx, q, &a);
    snprintf(q, sizeof q, agg, targets[1]);
    sql_text(ctx, q, &b);
    assert_same(&a, &b);
    assert_non_null(strstr((const char *)a.data, "3846")); /* 50000 / 13 rows in most keys */
    kiln_buf_release(&a);
    kiln_buf_release(&b);
    assert_int_equal(objects_under("s3a://kiln/pqout/_temporary"), 0);
    kiln_session_free(s);
    kiln_context_free(ctx);
}

/* Azurite's well-known account and key (public, documented by Microsoft). */
#define AZ_ACCOUNT "devstoreaccount1"
#define AZ_KEY                                                                                     \
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#define AZ_ROOT "abfss://kilnc@" AZ_ACCOUNT ".dfs.core.windows.net"

static kiln_context *az_ctx(const char *key, const char *extra_k, const char *extra_v)
{
    kiln_conf *c = kiln_conf_new();
    char ep[96];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d/" AZ_ACCOUNT, g_azure);
    assert_int_equal(kiln_conf_set(c, "kiln.master", "local[2]"), KILN_OK);
    assert_int_equal(kiln_conf_set(c, "kiln.hadoop.fs.azure.endpoint", ep), KILN_OK);
    assert_int_equal(kiln_conf_set(c,
                                   "kiln.hadoop.fs.azure.account.key." AZ_ACCOUNT
                                   ".dfs.core.windows.net",
                                   key),
                     KILN_OK);
    assert_int_equal(kiln_conf_set(c, "kiln.hadoop.fs.azure.io.retry.backoff.interval", "50ms"),
                     KILN_OK);
    if (extra_k) assert_int_equal(kiln_conf_set(c, extra_k, extra_v), KILN_OK);
    kiln_context *ctx;
    assert_int_equal(kiln_context_new(c, &ctx), KILN_OK);
    kiln_conf_free(c);
    return ctx;
}

/* abfss:// (Azurite): reads, listing across pages, block-list uploads,
 * save_as_text_file and a SQL write, against the same on disk; a wrong
 * key gives 403 naming the URL, not the key. */
static void test_azure(void **state)
{
    (void)state;
    if (g_azure == 0) {
        printf("SKIP: azurite is not installed\n");
        return;
    }
    kiln_context *ctx = az_ctx(AZ_KEY, "kiln.hadoop.fs.azure.list.max.results", "3");
    if (io_azure_create_container(AZ_ROOT "/")) fail_msg("%s", kiln_last_error());
    kiln_buf csv;
    make_csv(&csv, 20000, 11);
    char local[400], ldir[300];
    snprintf(ldir, sizeof ldir, "%s/azlocal", g_dir);
    mkdir(ldir, 0700);
    snprintf(local, sizeof local, "%s/part-0.csv", ldir);
    write_local(local, (const char *)csv.data, csv.len);
    if (io_obj_put(AZ_ROOT "/csv/part-0.csv", csv.data, csv.len)) fail_msg("%s", kiln_last_error());
    for (int i = 0; i < 7; i++) {
        char key[128];
        snprintf(key, sizeof key, AZ_ROOT "/csv/_x%d", i); /* hidden, listed across pages */
        assert_int_equal(io_obj_put(key, "junk\n", 5), KILN_OK);
    }
    kiln_buf a;
    rdd_same(ctx, AZ_ROOT "/csv", ldir, 5);
    bool is_file;
    io_obj_list l;
    assert_int_equal(io_obj_list_path(AZ_ROOT "/csv", &is_file, &l), KILN_OK);
    assert_int_equal(l.n, 8);
    io_obj_list_release(&l);
    const char *agg = "SELECT count(*), sum(try_cast(_c2 as double)), max(_c1) FROM csv.`%s`";
    sql_same(ctx, agg, AZ_ROOT "/csv/part-0.csv", local);
    /* Block lists: 12 MiB in 5 MiB blocks. */
    kiln_context_free(ctx);
    ctx = az_ctx(AZ_KEY, "kiln.hadoop.fs.azure.write.request.size", "5m");
    size_t n = (size_t)12 << 20;
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++) data[i] = (char)('A' + (i * 7) % 26);
    write_read_back(AZ_ROOT "/big/blob", data, n);
    free(data);
    /* Outputs: RDD and SQL. */
    kiln_rdd *r = kiln_text_file(ctx, AZ_ROOT "/csv/part-0.csv", 3);
    if (kiln_rdd_save_as_text_file(r, AZ_ROOT "/out")) fail_msg("%s", kiln_last_error());
    rdd_same(ctx, AZ_ROOT "/out", local, 3);
    assert_int_equal(objects_under(AZ_ROOT "/out/_temporary"), 0);
    int64_t size = -1;
    assert_int_equal(io_path_size(AZ_ROOT "/out/_SUCCESS", &size), KILN_OK);
    kiln_session *s;
    assert_int_equal(kiln_session_new(ctx, &s), KILN_OK);
    for (int m = 0; m < 2; m++) {
        kiln_df *df = kiln_sql(s, "SELECT id AS x FROM range(300)");
        kiln_writer *wr = kiln_writer_mode(kiln_df_write(df), "overwrite");
        if (kiln_writer_csv(wr, AZ_ROOT "/sqlout")) fail_msg("%s", kiln_last_error());
    }
    sql_text(ctx, "SELECT count(*), sum(try_cast(_c0 as bigint)) FROM csv.`" AZ_ROOT "/sqlout`",
             &a);
    assert_non_null(strstr((const char *)a.data, "300"));
    assert_non_null(strstr((const char *)a.data, "44850"));
    kiln_buf_release(&a);
    kiln_session_free(s);
    kiln_context_free(ctx);
    /* A wrong key. */
    ctx = az_ctx("V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk=", NULL, NULL);
    io_file *f;
    assert_int_not_equal(io_file_open(AZ_ROOT "/csv/part-0.csv", &f), KILN_OK);
    const char *e = kiln_last_error();
    assert_non_null(strstr(e, AZ_ROOT "/csv/part-0.csv"));
    assert_non_null(strstr(e, "403"));
    assert_null(strstr(e, "V3JvbmdLZXlX"));
    assert_null(strstr(e, AZ_KEY));
    kiln_context_free(ctx);
    kiln_buf_release(&csv);
}

/* partitionBy on abfss:// (Azurite): create, append and a dynamic
 * overwrite of CSV and Parquet give the rows the same writes give on disk. */
static void test_part_azure(void **state)
{
    (void)state;
    if (g_azure == 0) {
        printf("SKIP: azurite is not installed\n");
        return;
    }
    kiln_context *ctx = az_ctx(AZ_KEY, NULL, NULL);
    if (io_azure_create_container(AZ_ROOT "/")) fail_msg("%s", kiln_last_error());
    kiln_session *s;
    assert_int_equal(kiln_session_new(ctx, &s), KILN_OK);
    const char *fmts[] = {"csv", "parquet"};
    for (int f = 0; f < 2; f++) {
        char url[300], local[400], p[600];
        snprintf(url, sizeof url, AZ_ROOT "/pw_%s", fmts[f]);
        snprintf(local, sizeof local, "%s/azpw_%s", g_dir, fmts[f]);
        const char *targets[] = {url, local};
        part_steps(s, fmts[f], targets, 2000, 2);
        part_same(ctx, fmts[f], url, local, "(a/b=2 %x:\xc3\xa9,0,43,");
        snprintf(p, sizeof p, "%s/_temporary", url);
        assert_int_equal(objects_under(p), 0);
    }
    kiln_session_free(s);
    kiln_context_free(ctx);
}

/* On a local cluster the executors get the settings from the driver: reads
 * and a save to s3a:// give what the driver alone gives. */
static void test_cluster(void **state)
{
    (void)state;
    kiln_context *ctx = ctx_for(g_s3, "S3RVER", SECRET, "kiln.master", "local-cluster[2,1,256]");
    kiln_buf a, b;
    rdd_text(ctx, "s3a://kiln/csv1", 4, &a);
    kiln_rdd *r = kiln_text_file(ctx, "s3a://kiln/csv1/part-0.csv", 4);
    if (kiln_rdd_save_as_text_file(r, "s3a://kiln/out-cluster")) fail_msg("%s", kiln_last_error());
    /* A partitioned write from the executors: their manifests, the
     * driver's commit; the same rows as on disk. */
    kiln_session *s;
    assert_int_equal(kiln_session_new(ctx, &s), KILN_OK);
    char local[400];
    snprintf(local, sizeof local, "%s/pw-cluster", g_dir);
    const char *targets[] = {"s3a://kiln/pw-cluster", local};
    part_steps(s, "parquet", targets, 1000, 0);
    kiln_session_free(s);
    part_same(ctx, "parquet", targets[0], local, "(a/b=0 %x:\xc3\xa9,0,43,");
    assert_int_equal(objects_under("s3a://kiln/pw-cluster/_temporary"), 0);
    kiln_context_free(ctx);
    ctx = ctx_for(g_s3, "S3RVER", SECRET, NULL, NULL);
    rdd_text(ctx, "s3a://kiln/csv1", 4, &b);
    assert_same(&a, &b);
    kiln_buf_release(&a);
    rdd_text(ctx, "s3a://kiln/out-cluster", 4, &a);
    assert_same(&a, &b);
    kiln_buf_release(&a);
    kiln_buf_release(&b);
    assert_int_equal(objects_under("s3a://kiln/out-cluster/_temporary"), 0);
    kiln_context_free(ctx);
}

/* kiln conf shows credentials of kiln.hadoop.* keys masked. */
static void test_conf_masked(void **state)
{
    (void)state;
    assert_string_equal(conf_display_named("kiln.hadoop.fs.s3a.secret.key", "abc"), "********");
    assert_string_equal(conf_display_named("kiln.hadoop.fs.s3a.access.key", "abc"), "********");
    assert_string_equal(conf_display_named("kiln.hadoop.fs.s3a.session.token", "abc"), "********");
    assert_string_equal(
        conf_display_named("kiln.hadoop.fs.azure.account.key.a.dfs.core.windows.net", "abc"),
        "********");
    assert_string_equal(conf_display_named("kiln.hadoop.fs.s3a.endpoint", "http://x"), "http://x");
    /* spark.hadoop.X is read as kiln.hadoop.X; a kiln.hadoop.X of the same
     * layer wins. */
    kiln_conf *c = kiln_conf_new();
    kiln_conf_set(c, "kiln.master", "local[1]");
    kiln_conf_set(c, "spark.hadoop.fs.s3a.list.version", "1");
    kiln_conf_set(c, "spark.hadoop.fs.s3a.paging.maximum", "9");
    kiln_conf_set(c, "kiln.hadoop.fs.s3a.paging.maximum", "8");
    kiln_context *ctx;
    assert_int_equal(kiln_context_new(c, &ctx), KILN_OK);
    kiln_conf_free(c);
    char *v = io_setting("fs.s3a.list.version");
    assert_non_null(v);
    assert_string_equal(v, "1");
    free(v);
    v = io_setting("fs.s3a.paging.maximum");
    assert_non_null(v);
    assert_string_equal(v, "8");
    free(v);
    kiln_context_free(ctx);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv); /* first: an executor process of a local cluster stays in it */
    if (!start_peers()) {
        stop_peers();
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_rdd_sql),    cmocka_unit_test(test_pagination),
        cmocka_unit_test(test_ranged),          cmocka_unit_test(test_missing),
        cmocka_unit_test(test_bad_credentials), cmocka_unit_test(test_faults),
        cmocka_unit_test(test_http_csv),        cmocka_unit_test(test_write_rdd),
        cmocka_unit_test(test_multipart),       cmocka_unit_test(test_write_sql),
        cmocka_unit_test(test_azure),           cmocka_unit_test(test_cluster),
        cmocka_unit_test(test_conf_masked),     cmocka_unit_test(test_parquet),
        cmocka_unit_test(test_part_write),      cmocka_unit_test(test_part_tables),
        cmocka_unit_test(test_part_azure),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    stop_peers();
    return rc;
}
