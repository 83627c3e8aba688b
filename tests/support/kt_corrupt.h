/*
 * kt_corrupt.h - corrupt-payload decoding, as Redis's corrupt-dump fuzzer
 * does it, shared by tests/unit/test_corrupt_payloads.c (a fixed number of
 * seeded mutations in `make test`) and tests/fuzz/fuzz_corrupt_payloads.c
 * (libFuzzer picks them): VALID encodings made by kiln's own writers, one
 * or two bytes of them mutated (a bit flipped, a byte set, inserted or
 * deleted), block checksums recomputed so the decoder behind the checksum
 * is reached, then decoded as the receiving side would. The decoder must
 * return an error with a message, or a value (a mutation can be valid),
 * never crash, read out of bounds, overflow or leak.
 *
 * The valid encodings (kc_init):
 *   - shuffle segments written by shuffle_writer (lz4, zstd, none): decoded
 *     block by block (block_decode) and each block's records
 *     (values_decode_all), as a reduce task reads them;
 *   - a cached block on disk (values_file_add, the block store's DISK
 *     level) decoded the same way, and a serialized cached block in memory
 *     (MEMORY_SER: encodings back to back, values_decode_all);
 *   - the lineage of a real RDD graph (map with an environment,
 *     reduce_by_key, sort_by_key; lineage_encode), decoded into a fresh
 *     context (lineage_decode);
 *   - LAUNCH_TASK carrying that lineage and two broadcast values (then the
 *     lineage and the broadcasts are decoded too), TASK_RESULT carrying
 *     records (then decoded), and the manager's STATUS_REPLY,
 *     REGISTER_APP, LAUNCH_EXECUTOR and EXECUTOR_STATE payloads.
 *
 * Header-only (static functions): each program includes it once. Needs
 * the internal headers under src/; no cmocka.
 */
#ifndef KILN_TEST_KT_CORRUPT_H
#define KILN_TEST_KT_CORRUPT_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY /* XXH64_state_t on the stack */
#include <xxhash.h>

#include "base/base.h"
#include "cluster/cluster.h"
#include "deploy/messages.h"
#include "engine/engine.h"
#include "engine/engine_int.h"
#include "io/io.h"
#include "net/net.h"
#include "shuffle/shuffle.h"

enum kc_payload {
    KC_SHUFFLE_LZ4,
    KC_SHUFFLE_ZSTD,
    KC_SHUFFLE_NONE,
    KC_CACHED_DISK,
    KC_CACHED_SER,
    KC_LINEAGE,
    KC_LAUNCH_TASK,
    KC_TASK_RESULT,
    KC_STATUS_REPLY,
    KC_REGISTER_APP,
    KC_LAUNCH_EXECUTOR,
    KC_EXEC_REPORT,
    KC_COUNT
};

static const char *const kc_names[KC_COUNT] = {"shuffle segment (lz4)",
                                               "shuffle segment (zstd)",
                                               "shuffle segment (none)",
                                               "cached block (disk)",
                                               "cached block (serialized)",
                                               "lineage",
                                               "LAUNCH_TASK",
                                               "TASK_RESULT",
                                               "STATUS_REPLY",
                                               "REGISTER_APP",
                                               "LAUNCH_EXECUTOR",
                                               "EXECUTOR_STATE"};

static kiln_buf kc_valid[KC_COUNT]; /* the valid encodings */

/* ---- Making the valid encodings --------------------------------------------------------- */

/* Values of every kind: ints, doubles, strings, bytes, tuples, lists,
 * pairs, null, bools; deterministic. */
static kiln_value kc_value(kiln_arena *a, int i)
{
    char s[64];
    snprintf(s, sizeof s, "word-%d-%s", i, i % 3 ? "ascii" : "\xc3\xa9t\xc3\xa9");
    switch (i % 7) {
    case 0:
        return kiln_pair(a, kiln_int(i), kiln_str_new(a, s, strlen(s)));
    case 1:
        return kiln_pair(a, kiln_str_new(a, s, strlen(s)), kiln_double(i * 0.5));
    case 2: {
        kiln_value items[3] = {kiln_int(-i), kiln_null(), kiln_bool(i & 1)};
        return kiln_pair(a, kiln_int(i % 11), kiln_list_new(a, items, 3));
    }
    case 3: {
        kiln_value t[3] = {kiln_str_new(a, s, strlen(s)), kiln_int(i), kiln_double(-1.0 / (i + 1))};
        return kiln_pair(a, kiln_tuple_new(a, t, 3), kiln_int(1));
    }
    case 4:
        return kiln_pair(a, kiln_int((int64_t)i << 40), kiln_bytes_new(a, s, strlen(s)));
    case 5:
        return kiln_pair(a, kiln_null(), kiln_int(i));
    default:
        return kiln_pair(a, kiln_int(i), kiln_int(i * i));
    }
}

enum { KC_RECORDS = 400 };

static int kc_read_file(const char *path, kiln_buf *out)
{
    return io_read_whole(path, out);
}

static int kc_make_shuffle(block_codec codec, kiln_buf *out)
{
    char dir[] = "/tmp/kiln-corrupt-XXXXXX";
    if (!mkdtemp(dir)) return KILN_EIO;
    char sdir[64];
    snprintf(sdir, sizeof sdir, "%s/s", dir);
    shuffle_store *s = shuffle_store_new(sdir, codec);
    if (!s) return KILN_EIO;
    int rc = shuffle_register(s, 0, 1, 2);
    shuffle_writer *w = rc ? NULL : shuffle_writer_open(s, 0, 0);
    kiln_arena *a = kiln_arena_new();
    if (!w) rc = KILN_ESTATE;
    /* Enough records for several 64 KiB blocks in partition 0. */
    for (int i = 0; i < KC_RECORDS * 20 && rc == KILN_OK; i++) {
        kiln_value v = kc_value(a, i);
        rc = shuffle_writer_add(w, i % 5 == 0, &v);
    }
    if (rc == KILN_OK) rc = shuffle_writer_commit(w);
    else shuffle_writer_abort(w);
    char path[128];
    snprintf(path, sizeof path, "%s/shuffle_0_0.data", sdir);
    if (rc == KILN_OK) rc = kc_read_file(path, out);
    kiln_arena_free(a);
    shuffle_store_free(s);
    rmdir(dir);
    return rc;
}

static int kc_make_cached_disk(kiln_buf *out)
{
    char path[] = "/tmp/kiln-corrupt-cache-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return KILN_EIO;
    kiln_buf raw, enc;
    kiln_buf_init(&raw);
    kiln_buf_init(&enc);
    kiln_arena *a = kiln_arena_new();
    int rc = KILN_OK;
    for (int i = 0; i < KC_RECORDS * 10 && rc == KILN_OK; i++) {
        kiln_value v = kc_value(a, i);
        rc = values_file_add(fd, path, &raw, &enc, &v, false);
    }
    if (rc == KILN_OK) rc = values_file_append(fd, path, &raw, &enc, true);
    close(fd);
    if (rc == KILN_OK) rc = kc_read_file(path, out);
    unlink(path);
    kiln_buf_release(&raw);
    kiln_buf_release(&enc);
    kiln_arena_free(a);
    return rc;
}

static int kc_times(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    int64_t k;
    memcpy(&k, env, sizeof k);
    *out = kiln_pair(kiln_task_arena(t), kiln_int(in->u.i % 7), kiln_int(in->u.i * k));
    return KILN_OK;
}

static kiln_context *kc_context(void)
{
    kiln_conf *c = kiln_conf_new();
    kiln_conf_set(c, "kiln.master", "local[1]");
    kiln_conf_set(c, "kiln.ui.showConsoleProgress", "false");
    kiln_context *ctx = NULL;
    if (kiln_context_new(c, &ctx) != KILN_OK) ctx = NULL;
    kiln_conf_free(c);
    return ctx;
}

static int kc_make_lineage(kiln_buf *out)
{
    kiln_context *ctx = kc_context();
    if (!ctx) return KILN_ESTATE;
    int64_t k = 3;
    kiln_rdd *r = kiln_rdd_map(kiln_range(ctx, 0, 100, 1, 3), kc_times, &k, sizeof k);
    r = kiln_rdd_reduce_by_key(r, kiln_fn_add, NULL, 0, 2);
    r = kiln_rdd_sort_by_key(kiln_rdd_persist(r, KILN_MEMORY_ONLY_SER), true, 2);
    int rc = r ? lineage_encode(r, out) : KILN_ENOMEM;
    kiln_context_free(ctx);
    return rc;
}

static void kc_desc(deploy_app_desc *d, deploy_file *files)
{
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "pagerank");
    snprintf(d->driver_host, sizeof d->driver_host, "10.0.0.9");
    d->driver_port = 40000;
    d->executor_memory = 1 << 30;
    strcpy(d->exe.name, "exe");
    memset(d->exe.sha256, 'a', 64);
    d->exe.size = 12345;
    d->nfiles = 2;
    d->files = files;
    for (int i = 0; i < 2; i++) {
        memset(&files[i], 0, sizeof files[i]);
        snprintf(files[i].name, sizeof files[i].name, "lib%d.so", i);
        memset(files[i].sha256, 'b' + i, 64);
        files[i].size = 100;
    }
    static char conf[] = "kiln.executor.memory=1g\nkiln.shuffle.compress.codec=zstd\n";
    d->conf = conf;
    d->conf_len = strlen(conf);
}

static int kc_make_messages(void)
{
    int rc = KILN_OK;
    kiln_arena *a = kiln_arena_new();
    /* LAUNCH_TASK: the lineage and two broadcast values. */
    kiln_buf bc;
    kiln_buf_init(&bc);
    kiln_value v0 = kc_value(a, 3), v1 = kc_value(a, 4);
    rc = kiln_value_encode(&bc, &v0);
    if (rc == KILN_OK) rc = kiln_value_encode(&bc, &v1);
    static const uint8_t action[] = {0};
    task_msg tm = {.job = 1,
                   .stage = 2,
                   .partition = 1,
                   .attempt = 0,
                   .dep = -1,
                   .lineage = kc_valid[KC_LINEAGE].data,
                   .lineage_len = kc_valid[KC_LINEAGE].len,
                   .action = action,
                   .action_len = 0,
                   .first_broadcast = 1,
                   .nbroadcasts = 2,
                   .broadcasts = bc.data,
                   .broadcasts_len = bc.len};
    if (rc == KILN_OK) rc = task_msg_write(&kc_valid[KC_LAUNCH_TASK], &tm);
    kiln_buf_release(&bc);
    /* TASK_RESULT: records. */
    kiln_buf recs;
    kiln_buf_init(&recs);
    for (int i = 0; i < KC_RECORDS && rc == KILN_OK; i++) {
        kiln_value v = kc_value(a, i);
        rc = kiln_value_encode(&recs, &v);
    }
    result_msg res = {.status = TASK_OK,
                      .error = "",
                      .fetch_shuffle = -1,
                      .fetch_map = -1,
                      .records = recs.data,
                      .records_len = recs.len};
    if (rc == KILN_OK) rc = result_msg_write(&kc_valid[KC_TASK_RESULT], &res);
    kiln_buf_release(&recs);
    /* STATUS_REPLY. */
    deploy_worker_status ws[2];
    deploy_app_status as[1];
    deploy_exec_status es[2];
    memset(ws, 0, sizeof ws);
    memset(as, 0, sizeof as);
    memset(es, 0, sizeof es);
    for (int i = 0; i < 2; i++) {
        snprintf(ws[i].id, sizeof ws[i].id, "worker-%d", i);
        snprintf(ws[i].offer.host, sizeof ws[i].offer.host, "host%d", i);
        snprintf(ws[i].offer.work_dir, sizeof ws[i].offer.work_dir, "/var/kiln/%d", i);
        ws[i].offer.cores = 4;
        ws[i].offer.memory = 1 << 30;
        ws[i].state = DEPLOY_WORKER_ALIVE;
        snprintf(es[i].app_id, sizeof es[i].app_id, "app-1");
        snprintf(es[i].worker_id, sizeof es[i].worker_id, "worker-%d", i);
        es[i].executor = (uint32_t)i;
        es[i].cores = 1;
        es[i].memory = 1 << 28;
        es[i].state = 2;
    }
    snprintf(as[0].id, sizeof as[0].id, "app-1");
    snprintf(as[0].name, sizeof as[0].name, "wordcount");
    snprintf(as[0].driver, sizeof as[0].driver, "host0:4000");
    as[0].state = DEPLOY_APP_RUNNING;
    as[0].cores = 2;
    as[0].executor_memory = 1 << 28;
    deploy_status st = {.nworkers = 2, .napps = 1, .nexecs = 2};
    snprintf(st.url, sizeof st.url, "kiln://10.0.0.1:7077");
    st.workers = ws;
    st.apps = as;
    st.execs = es;
    if (rc == KILN_OK) rc = deploy_msg_status_reply_write(&kc_valid[KC_STATUS_REPLY], &st);
    /* REGISTER_APP, LAUNCH_EXECUTOR, EXECUTOR_STATE. */
    deploy_file files[2];
    deploy_app_register reg = {.total_cores = 4};
    kc_desc(&reg.desc, files);
    if (rc == KILN_OK) rc = deploy_msg_register_app_write(&kc_valid[KC_REGISTER_APP], &reg);
    deploy_launch l = {.executor = 2, .cores = 1};
    snprintf(l.app_id, sizeof l.app_id, "app-1");
    kc_desc(&l.desc, files);
    if (rc == KILN_OK) rc = deploy_msg_launch_write(&kc_valid[KC_LAUNCH_EXECUTOR], &l);
    deploy_exec_report er = {.executor = 1, .state = 2, .exit_status = -9, .restarts = 1};
    snprintf(er.app_id, sizeof er.app_id, "app-1");
    snprintf(er.message, sizeof er.message, "killed by signal 9");
    if (rc == KILN_OK) rc = deploy_msg_exec_report_write(&kc_valid[KC_EXEC_REPORT], &er);
    kiln_arena_free(a);
    return rc;
}

/* Makes every valid encoding once. KILN_OK, or the first writer's error. */
static int kc_init(void)
{
    for (int i = 0; i < KC_COUNT; i++) kiln_buf_init(&kc_valid[i]);
    int rc = kc_make_shuffle(CODEC_LZ4, &kc_valid[KC_SHUFFLE_LZ4]);
    if (rc == KILN_OK) rc = kc_make_shuffle(CODEC_ZSTD, &kc_valid[KC_SHUFFLE_ZSTD]);
    if (rc == KILN_OK) rc = kc_make_shuffle(CODEC_NONE, &kc_valid[KC_SHUFFLE_NONE]);
    if (rc == KILN_OK) rc = kc_make_cached_disk(&kc_valid[KC_CACHED_DISK]);
    kiln_arena *a = kiln_arena_new();
    for (int i = 0; i < KC_RECORDS && rc == KILN_OK; i++) {
        kiln_value v = kc_value(a, i);
        rc = kiln_value_encode(&kc_valid[KC_CACHED_SER], &v);
    }
    kiln_arena_free(a);
    if (rc == KILN_OK) rc = kc_make_lineage(&kc_valid[KC_LINEAGE]);
    if (rc == KILN_OK) rc = kc_make_messages();
    return rc;
}

static void kc_free(void)
{
    for (int i = 0; i < KC_COUNT; i++) kiln_buf_release(&kc_valid[i]);
}

/* ---- Mutating ------------------------------------------------------------------------------ */

/* The bytes that choose mutations: a cursor over them, 0 when used up. */
typedef struct kc_src {
    const uint8_t *p;
    size_t n, off;
} kc_src;

static uint32_t kc_byte(kc_src *s)
{
    return s->off < s->n ? s->p[s->off++] : 0;
}

static uint32_t kc_u32(kc_src *s)
{
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) x = x << 8 | kc_byte(s);
    return x;
}

/* One mutation of b: a bit flipped, a byte set (to a boundary value or
 * any), inserted or deleted, at a position the source picks. */
static void kc_mutate_once(kiln_buf *b, kc_src *s)
{
    static const uint8_t special[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x40, 0x20};
    uint32_t kind = kc_byte(s) % 4, pos = kc_u32(s), val = kc_byte(s);
    if (b->len == 0) kind = 2;
    switch (kind) {
    case 0: /* flip a bit */
        b->data[pos % b->len] ^= (uint8_t)(1u << (val % 8));
        break;
    case 1: /* set a byte */
        b->data[pos % b->len] = val & 0x80 ? special[val % sizeof special] : (uint8_t)val;
        break;
    case 2: { /* insert a byte */
        size_t at = pos % (b->len + 1);
        if (kiln_buf_reserve(b, 1) != KILN_OK) return;
        memmove(b->data + at + 1, b->data + at, b->len - at);
        b->data[at] = (uint8_t)val;
        b->len++;
        break;
    }
    default: { /* delete a byte */
        size_t at = pos % b->len;
        memmove(b->data + at, b->data + at + 1, b->len - at - 1);
        b->len--;
        break;
    }
    }
}

static void kc_put64(uint8_t *p, uint64_t x)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(x >> (8 * i));
}

/* Recomputes the checksum of every block found walking b from its start
 * (docs/formats/shuffle.md: XXH64 of header bytes 0-15 and the payload,
 * at header byte 16), so the decoder behind the checksum sees the
 * mutation. Stops where the framing no longer holds. */
static void kc_fix_checksums(kiln_buf *b)
{
    size_t off = 0;
    while (b->len - off >= BLOCK_HEADER) {
        uint8_t *h = b->data + off;
        size_t plen = (size_t)h[8] | (size_t)h[9] << 8 | (size_t)h[10] << 16 | (size_t)h[11] << 24;
        if (plen > b->len - off - BLOCK_HEADER) break;
        XXH64_state_t st;
        XXH64_reset(&st, 0);
        XXH64_update(&st, h, 16);
        XXH64_update(&st, h + BLOCK_HEADER, plen);
        kc_put64(h + 16, XXH64_digest(&st));
        off += BLOCK_HEADER + plen;
    }
}

/* ---- Decoding as the receiver does ----------------------------------------------------------- */

static int kc_decode_blocks(const kiln_buf *b)
{
    kiln_buf raw;
    kiln_buf_init(&raw);
    kiln_arena *a = kiln_arena_new();
    val_vec vv = {0};
    int rc = KILN_OK;
    for (size_t off = 0; off < b->len && rc == KILN_OK;) {
        size_t used = 0;
        rc = block_decode(b->data + off, b->len - off, &used, &raw);
        if (rc == KILN_OK) {
            vv.n = 0;
            kiln_arena_reset(a);
            rc = values_decode_all(a, raw.data, raw.len, &vv);
        }
        off += used;
    }
    val_vec_release(&vv);
    kiln_arena_free(a);
    kiln_buf_release(&raw);
    return rc;
}

static int kc_decode_values(const uint8_t *p, size_t n)
{
    kiln_arena *a = kiln_arena_new();
    val_vec vv = {0};
    int rc = values_decode_all(a, p, n, &vv);
    val_vec_release(&vv);
    kiln_arena_free(a);
    return rc;
}

static int kc_decode_lineage(const uint8_t *p, size_t n)
{
    kiln_context *ctx = kc_context();
    if (!ctx) return kiln_set_error(KILN_ESTATE, "no context");
    kiln_rdd *out = NULL;
    int rc = lineage_decode(ctx, p, n, &out);
    kiln_context_free(ctx);
    return rc;
}

static net_frame kc_frame(uint8_t type, const kiln_buf *b)
{
    net_frame f = {.type = type};
    kiln_buf_init(&f.payload);
    if (b->len) (void)kiln_buf_append(&f.payload, b->data, b->len);
    return f;
}

static int kc_decode(int k, const kiln_buf *b)
{
    int rc;
    switch (k) {
    case KC_SHUFFLE_LZ4:
    case KC_SHUFFLE_ZSTD:
    case KC_SHUFFLE_NONE:
    case KC_CACHED_DISK:
        return kc_decode_blocks(b);
    case KC_CACHED_SER:
        return kc_decode_values(b->data, b->len);
    case KC_LINEAGE:
        return kc_decode_lineage(b->data, b->len);
    case KC_LAUNCH_TASK: {
        task_msg m;
        memset(&m, 0, sizeof m);
        rc = task_msg_read(b->data, b->len, &m);
        if (rc == KILN_OK) rc = kc_decode_values(m.broadcasts, m.broadcasts_len);
        if (rc == KILN_OK) rc = kc_decode_lineage(m.lineage, m.lineage_len);
        return rc;
    }
    case KC_TASK_RESULT: {
        result_msg m;
        char err[256];
        memset(&m, 0, sizeof m);
        rc = result_msg_read(b->data, b->len, &m, err, sizeof err);
        if (rc == KILN_OK) rc = kc_decode_values(m.records, m.records_len);
        return rc;
    }
    default:
        break;
    }
    static const uint8_t types[KC_COUNT] = {[KC_STATUS_REPLY] = NET_MSG_STATUS_REPLY,
                                            [KC_REGISTER_APP] = NET_MSG_REGISTER_APP,
                                            [KC_LAUNCH_EXECUTOR] = NET_MSG_LAUNCH_EXECUTOR,
                                            [KC_EXEC_REPORT] = NET_MSG_EXECUTOR_STATE};
    net_frame f = kc_frame(types[k], b);
    if (k == KC_STATUS_REPLY) {
        deploy_status s;
        memset(&s, 0, sizeof s);
        rc = deploy_msg_status_reply_read(&f, "peer", &s);
        if (rc == KILN_OK) deploy_status_release(&s);
    } else if (k == KC_REGISTER_APP) {
        deploy_app_register r;
        memset(&r, 0, sizeof r);
        rc = deploy_msg_register_app_read(&f, "peer", &r);
        if (rc == KILN_OK) deploy_app_desc_release(&r.desc);
    } else if (k == KC_LAUNCH_EXECUTOR) {
        deploy_launch l;
        memset(&l, 0, sizeof l);
        rc = deploy_msg_launch_read(&f, "peer", &l);
        if (rc == KILN_OK) deploy_app_desc_release(&l.desc);
    } else {
        deploy_exec_report r;
        memset(&r, 0, sizeof r);
        rc = deploy_msg_exec_report_read(&f, NET_MSG_EXECUTOR_STATE, "peer", &r);
    }
    net_frame_release(&f);
    return rc;
}

/* What one mutated decode gave. */
typedef struct kc_result {
    int rc;       /* the decoder's code: KILN_OK or negative */
    bool message; /* on an error: a message was set */
    bool changed; /* the mutated bytes differ from the valid ones */
} kc_result;

/* Copies payload k, applies 1 or 2 mutations chosen by src, recomputes
 * the block checksums when fix is set (block payloads only), decodes it. */
static kc_result kc_decode_mutated(int k, const uint8_t *src, size_t n, bool fix)
{
    kc_result res = {0};
    kc_src s = {src, n, 0};
    kiln_buf b;
    kiln_buf_init(&b);
    if (kc_valid[k].len) (void)kiln_buf_append(&b, kc_valid[k].data, kc_valid[k].len);
    int count = 1 + (int)(kc_byte(&s) & 1);
    for (int i = 0; i < count; i++) kc_mutate_once(&b, &s);
    if (fix && k <= KC_CACHED_DISK) kc_fix_checksums(&b);
    res.changed = b.len != kc_valid[k].len || memcmp(b.data, kc_valid[k].data, b.len) != 0;
    kiln_set_error(KILN_OK, NULL);
    res.rc = kc_decode(k, &b);
    res.message = kiln_last_error()[0] != '\0';
    kiln_buf_release(&b);
    return res;
}

#endif
