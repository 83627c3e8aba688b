/*
 * test_shuffle_file.c - the shuffle's blocks and file store: round trips with
 * every codec, every single-byte corruption of a block detected (never a
 * crash or wrong bytes), damaged data and index files reported as fetch
 * failures naming the map output, and write failures (an injected ENOSPC on
 * the Nth write) reported with the file's path, leaving no file behind;
 * the memory store of local mode (outputs kept in memory within its limit,
 * the rest and spilled writers' in files, all read back alike).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "base/base.h"
#include "base/fault.h"
#include "io/io.h"
#include "kt.h"
#include "shuffle/shuffle.h"

static void random_bytes(rng *g, uint8_t *p, size_t n, int alphabet)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)('a' + rng_next(g) % (uint64_t)alphabet);
}

static void blocks_round_trip_with_every_codec(void **state)
{
    rng g;
    rng_seed(&g, 7);
    block_codec codecs[] = {CODEC_NONE, CODEC_LZ4, CODEC_ZSTD};
    size_t sizes[] = {0, 1, 100, BLOCK_RAW_MAX, 3 * BLOCK_RAW_MAX + 17};
    for (size_t c = 0; c < 3; c++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            uint8_t *raw = malloc(sizes[s] + 1);
            random_bytes(&g, raw, sizes[s], 4);
            kiln_buf enc, dec;
            kiln_buf_init(&enc);
            kiln_buf_init(&dec);
            assert_int_equal(block_encode(codecs[c], raw, sizes[s], &enc), KILN_OK);
            size_t used;
            assert_int_equal(block_decode(enc.data, enc.len, &used, &dec), KILN_OK);
            assert_int_equal(used, enc.len);
            assert_int_equal(block_framed_size(enc.data), enc.len);
            assert_int_equal(dec.len, sizes[s]);
            if (sizes[s]) assert_memory_equal(dec.data, raw, sizes[s]);
            kiln_buf_release(&enc);
            kiln_buf_release(&dec);
            free(raw);
        }
    }
    block_codec c;
    assert_int_equal(block_codec_parse("lz5", &c), KILN_ECONF);
    assert_non_null(strstr(kiln_last_error(), "kiln.shuffle.compress.codec"));
}

static void every_corrupted_byte_is_detected(void **state)
{
    rng g;
    rng_seed(&g, 8);
    uint8_t raw[3000];
    random_bytes(&g, raw, sizeof raw, 3);
    block_codec codecs[] = {CODEC_NONE, CODEC_LZ4, CODEC_ZSTD};
    for (size_t c = 0; c < 3; c++) {
        kiln_buf enc, dec;
        kiln_buf_init(&enc);
        kiln_buf_init(&dec);
        assert_int_equal(block_encode(codecs[c], raw, sizeof raw, &enc), KILN_OK);
        for (size_t i = 0; i < enc.len; i++) {
            for (int bit = 0; bit < 8; bit += 3) {
                enc.data[i] ^= (uint8_t)(1u << bit);
                size_t used;
                int rc = block_decode(enc.data, enc.len, &used, &dec);
                assert_int_equal(rc, KILN_ECORRUPT);
                enc.data[i] ^= (uint8_t)(1u << bit);
            }
        }
        /* Every truncation too. */
        for (size_t n = 0; n < enc.len; n++) {
            size_t used;
            assert_int_equal(block_decode(enc.data, n, &used, &dec), KILN_ECORRUPT);
        }
        kiln_buf_release(&enc);
        kiln_buf_release(&dec);
    }
}

/* Rewrites a block's checksum after its header was edited. */
static void reseal(uint8_t *b, size_t n)
{
    XXH64_state_t st;
    XXH64_reset(&st, 0);
    XXH64_update(&st, b, 16);
    XXH64_update(&st, b + BLOCK_HEADER, n - BLOCK_HEADER);
    uint64_t h = XXH64_digest(&st);
    for (int i = 0; i < 8; i++) b[16 + i] = (uint8_t)(h >> (8 * i));
}

/* Found by fuzz_shuffle_block: an uncompressed block whose raw length is
 * smaller than its payload, with a valid checksum, overflowed the output. */
static void well_sealed_block_with_lying_lengths_is_refused(void **state)
{
    uint8_t raw[100];
    memset(raw, 'x', sizeof raw);
    block_codec codecs[] = {CODEC_NONE, CODEC_LZ4, CODEC_ZSTD};
    for (size_t c = 0; c < 3; c++) {
        kiln_buf enc, dec;
        kiln_buf_init(&enc);
        kiln_buf_init(&dec);
        assert_int_equal(block_encode(codecs[c], raw, sizeof raw, &enc), KILN_OK);
        uint32_t lies[] = {0, 1, 99, 101, 5000};
        for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
            for (int k = 0; k < 4; k++) enc.data[12 + k] = (uint8_t)(lies[i] >> (8 * k));
            reseal(enc.data, enc.len);
            size_t used;
            assert_int_equal(block_decode(enc.data, enc.len, &used, &dec), KILN_ECORRUPT);
        }
        kiln_buf_release(&enc);
        kiln_buf_release(&dec);
    }
}

/* The size of the newest spill file in s's directory (the largest
 * attempt number; this process's). */
static char g_store_dir[256]; /* the directory of the last store_in */

static int64_t newest_spill_size(void)
{
    const char *dir = g_store_dir;
    DIR *d = opendir(dir);
    assert_non_null(d);
    unsigned long long best = 0;
    int64_t size = -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        int pid;
        unsigned long long n;
        if (sscanf(e->d_name, "spill_%d_%llu.blocks", &pid, &n) != 2 || pid != (int)getpid())
            continue;
        if (size >= 0 && n < best) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        best = n;
        size = (int64_t)st.st_size;
    }
    closedir(d);
    assert_true(size > 0);
    return size;
}

/* Writes map output m of shuffle 3: record i is the int m * 1000000 + i,
 * sent to partition i % nreduce; spilled once before the commit when spill. */
static void write_map(shuffle_store *s, int m, int nreduce, int per_map, bool spill)
{
    shuffle_writer *w = shuffle_writer_open(s, 3, m);
    assert_non_null(w);
    for (int i = 0; i < per_map; i++) {
        kiln_value v = kiln_int((int64_t)m * 1000000 + i);
        assert_int_equal(shuffle_writer_add(w, i % nreduce, &v), KILN_OK);
    }
    if (spill) {
        assert_int_equal(shuffle_writer_spilled(w), 0);
        assert_int_equal(shuffle_writer_spill(w), KILN_OK);
        /* What the spill counts written is what its file holds (the task's
         * disk_spilled): the newest spill_*.blocks file of the store. */
        assert_int_equal((int64_t)shuffle_writer_spilled(w), newest_spill_size());
    }
    assert_int_equal(shuffle_writer_commit(w), KILN_OK);
}

/* A store in a new directory dir (a mkdtemp template), its memory limit
 * mem (0: files only), shuffle 3 registered with nmaps x nreduce. */
static shuffle_store *store_in(char *dir, int nmaps, int nreduce, block_codec c, size_t mem)
{
    assert_non_null(mkdtemp(dir));
    char sdir[256];
    snprintf(sdir, sizeof sdir, "%s/shuffle", dir);
    snprintf(g_store_dir, sizeof g_store_dir, "%s", sdir);
    shuffle_store *s = shuffle_store_new(sdir, c);
    assert_non_null(s);
    shuffle_store_set_memory(s, mem);
    assert_int_equal(shuffle_register(s, 3, nmaps, nreduce), KILN_OK);
    return s;
}

/* A store with nmaps map outputs of `nreduce` partitions (write_map). */
static shuffle_store *store_with(char *dir, int nmaps, int nreduce, int per_map, block_codec c)
{
    shuffle_store *s = store_in(dir, nmaps, nreduce, c, 0);
    for (int m = 0; m < nmaps; m++) write_map(s, m, nreduce, per_map, false);
    assert_true(shuffle_complete(s, 3));
    return s;
}

typedef struct collected {
    int64_t sum, count;
    bool bad;
    int reduce, nreduce;
} collected;

static int collect_block(void *arg, const uint8_t *p, size_t n)
{
    collected *c = arg;
    kiln_arena *a = kiln_arena_new();
    for (size_t off = 0; off < n;) {
        kiln_value v;
        size_t used;
        if (kiln_value_decode(a, p + off, n - off, &v, &used) != KILN_OK) {
            c->bad = true;
            break;
        }
        if ((v.u.i % 1000000) % c->nreduce != c->reduce) c->bad = true;
        c->sum += v.u.i;
        c->count++;
        off += used;
    }
    kiln_arena_free(a);
    return 0;
}

/* Sums every partition of shuffle 3 and checks each record's partition. */
static void check_all(shuffle_store *s, int nmaps, int nreduce, int per_map)
{
    int64_t total = 0, count = 0, expect = 0;
    for (int r = 0; r < nreduce; r++) {
        collected col = {.reduce = r, .nreduce = nreduce};
        int failed = -1;
        assert_int_equal(shuffle_read(s, 3, r, collect_block, &col, &failed), KILN_OK);
        assert_false(col.bad);
        total += col.sum;
        count += col.count;
        /* the cursor sees the same records */
        shuffle_cursor *c = shuffle_cursor_open(s, 3, r);
        collected cur = {.reduce = r, .nreduce = nreduce};
        const uint8_t *p;
        size_t n;
        int got;
        while ((got = shuffle_cursor_next(c, &p, &n, &failed)) == 1) collect_block(&cur, p, n);
        assert_int_equal(got, 0);
        shuffle_cursor_close(c);
        assert_int_equal(cur.sum, col.sum);
        assert_int_equal(cur.count, col.count);
    }
    for (int m = 0; m < nmaps; m++)
        for (int i = 0; i < per_map; i++) expect += (int64_t)m * 1000000 + i;
    assert_int_equal(count, (int64_t)nmaps * per_map);
    assert_int_equal(total, expect);
}

static void store_round_trip_groups_records_by_partition(void **state)
{
    enum { MAPS = 3, REDUCE = 5, PER_MAP = 40000 };
    block_codec codecs[] = {CODEC_LZ4, CODEC_ZSTD, CODEC_NONE};
    for (size_t c = 0; c < 3; c++) {
        char dir[] = "/tmp/kiln-test-shuffle-XXXXXX";
        shuffle_store *s = store_with(dir, MAPS, REDUCE, PER_MAP, codecs[c]);
        check_all(s, MAPS, REDUCE, PER_MAP);
        assert_true(shuffle_bytes(s) > 0);
        shuffle_store_free(s);
        assert_int_equal(access(dir, F_OK) == 0, 1);
        rmdir(dir);
    }
}

/* Files named shuffle_* in dir. */
static int shuffle_files(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/shuffle", dir);
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) n += strncmp(e->d_name, "shuffle_", 8) == 0;
    if (d) closedir(d);
    return n;
}

static void outputs_stay_in_memory_within_the_limit(void **state)
{
    enum { MAPS = 4, REDUCE = 3, PER_MAP = 20000 };
    /* Room for all: no file is written, and every record reads back. */
    char dir[] = "/tmp/kiln-test-shuffle-XXXXXX";
    shuffle_store *s = store_in(dir, MAPS, REDUCE, CODEC_LZ4, 64 << 20);
    for (int m = 0; m < MAPS; m++) write_map(s, m, REDUCE, PER_MAP, m == 3); /* 3: to files */
    assert_true(shuffle_complete(s, 3));
    assert_int_equal(shuffle_files(dir), 2); /* map 3's data and index only */
    size_t held = shuffle_bytes(s);
    assert_true(held > 0);
    check_all(s, MAPS, REDUCE, PER_MAP);
    /* An invalidated output is gone, and its map can commit again. */
    shuffle_invalidate(s, 3, 1);
    assert_false(shuffle_complete(s, 3));
    assert_true(shuffle_bytes(s) < held);
    write_map(s, 1, REDUCE, PER_MAP, false);
    check_all(s, MAPS, REDUCE, PER_MAP);
    shuffle_unregister(s, 3);
    assert_int_equal(shuffle_files(dir), 0);
    assert_int_equal(shuffle_bytes(s), 0); /* the outputs in memory are dropped too */
    shuffle_store_free(s);
    rmdir(dir);

    /* Room for one output: the others go to files, and all read back. */
    char dir2[] = "/tmp/kiln-test-shuffle-XXXXXX";
    s = store_in(dir2, MAPS, REDUCE, CODEC_LZ4, 300 << 10);
    for (int m = 0; m < MAPS; m++) write_map(s, m, REDUCE, PER_MAP, false);
    int files = shuffle_files(dir2);
    assert_true(files >= 2 && files < 2 * MAPS);
    check_all(s, MAPS, REDUCE, PER_MAP);
    shuffle_store_free(s);
    rmdir(dir2);
}

static void damaged_files_are_fetch_failures_naming_the_map(void **state)
{
    char dir[] = "/tmp/kiln-test-shuffle-XXXXXX";
    shuffle_store *s = store_with(dir, 3, 2, 30000, CODEC_LZ4);
    char path[256];
    snprintf(path, sizeof path, "%s/shuffle/shuffle_3_1.data", dir);
    kt_flip_byte(path, 100, 0x5a);
    collected col = {.reduce = 0, .nreduce = 2};
    int failed = -1;
    assert_int_equal(shuffle_read(s, 3, 0, collect_block, &col, &failed), KILN_EFETCH);
    assert_int_equal(failed, 1);
    assert_non_null(strstr(kiln_last_error(), "map output 1"));
    assert_non_null(strstr(kiln_last_error(), "shuffle_3_1.data"));
    assert_false(col.bad); /* what was handed over before the damage was right */

    /* Invalidated, the map output is missing until it is written again. */
    shuffle_invalidate(s, 3, 1);
    int missing[3];
    assert_int_equal(shuffle_missing(s, 3, missing), 1);
    assert_int_equal(missing[0], 1);
    assert_int_equal(access(path, F_OK), -1);

    /* Reading a forgotten map output is a fetch failure for it. */
    failed = -1;
    col = (collected){.reduce = 1, .nreduce = 2};
    assert_int_equal(shuffle_read(s, 3, 1, collect_block, &col, &failed), KILN_EFETCH);
    assert_int_equal(failed, 1);
    shuffle_store_free(s);
    rmdir(dir);

    /* A damaged index: the map output it belongs to is named. */
    char dir2[] = "/tmp/kiln-test-shuffle-XXXXXX";
    s = store_with(dir2, 3, 2, 1000, CODEC_ZSTD);
    snprintf(path, sizeof path, "%s/shuffle/shuffle_3_2.index", dir2);
    kt_flip_byte(path, 12, 0x5a);
    failed = -1;
    col = (collected){.reduce = 1, .nreduce = 2};
    assert_int_equal(shuffle_read(s, 3, 1, collect_block, &col, &failed), KILN_EFETCH);
    assert_int_equal(failed, 2);
    assert_non_null(strstr(kiln_last_error(), "shuffle_3_2.index"));
    shuffle_store_free(s);
    rmdir(dir2);
}

static void injected_write_failure_names_the_file_and_leaves_nothing(void **state)
{
    char dir[] = "/tmp/kiln-test-shuffle-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sdir[256];
    snprintf(sdir, sizeof sdir, "%s/shuffle", dir);
    for (long nth = 1; nth <= 2; nth++) {
        shuffle_store *s = shuffle_store_new(sdir, CODEC_LZ4);
        assert_int_equal(shuffle_register(s, 9, 1, 4), KILN_OK);
        shuffle_writer *w = shuffle_writer_open(s, 9, 0);
        for (int i = 0; i < 1000; i++) {
            kiln_value v = kiln_int(i);
            assert_int_equal(shuffle_writer_add(w, i % 4, &v), KILN_OK);
        }
        fault_arm(FAULT_WRITE, nth, false);
        fault_set_errno(FAULT_WRITE, ENOSPC);
        assert_int_equal(shuffle_writer_commit(w), KILN_EIO);
        fault_disarm_all();
        assert_non_null(strstr(kiln_last_error(), sdir));
        assert_non_null(strstr(kiln_last_error(), "No space left on device"));
        assert_false(shuffle_complete(s, 9));
        assert_int_equal(kt_count_entries(sdir, ""), 0);
        shuffle_store_free(s);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blocks_round_trip_with_every_codec),
        cmocka_unit_test(every_corrupted_byte_is_detected),
        cmocka_unit_test(well_sealed_block_with_lying_lengths_is_refused),
        cmocka_unit_test(store_round_trip_groups_records_by_partition),
        cmocka_unit_test(outputs_stay_in_memory_within_the_limit),
        cmocka_unit_test(damaged_files_are_fetch_failures_naming_the_map),
        cmocka_unit_test(injected_write_failure_names_the_file_and_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
