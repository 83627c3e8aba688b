/*
 * fuzz_sql_plan.c - libFuzzer target for the plan fragment decoder
 * (plan_decode, src/sql/plan_wire.c): what a task of a SQL stage decodes
 * from its environment (exec_task.c).
 *
 * At start-up a local session plans a set of queries over two small
 * in-memory views and a CSV file (filters pushed into the scan,
 * projections, aggregates partial and final, DISTINCT aggregates, joins of
 * every type, NOT IN, sorts and top-N, windows with ROWS and RANGE frames,
 * window group limits, UNION ALL, explode, LIMIT / OFFSET, range) as
 * df.rdd does (sql_exec_rdd: nothing runs), and takes every stage's
 * fragment from the RDD graph: the bytes plan_encode wrote. Input byte 0
 * picks one of them (bit 7: decoded with ANSI off), the rest are edits of
 * 4 bytes (op, position low, position high, value): set a byte, insert
 * one, delete 1-8, or set a u32 at the position to a count the decoder
 * must refuse or bound. The whole input is also decoded as a fragment.
 *
 * Each decode must fail with a message (kiln_last_error) or give a plan
 * that encodes again, whose encoding decodes to a plan encoding to the same
 * bytes; never a crash, leak, huge allocation or deep recursion.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "engine/engine_int.h"
#include "kiln/sql.h"
#include "sql/plan.h"

#define FRAG_MAGIC 0x46514b53u /* exec_task.c's "SKQF" */
#define MAX_SEEDS 256

static kiln_buf seeds[MAX_SEEDS];
static int nseeds;
static bool seed_ansi = true;
static char seed_tz[64] = "UTC";
static char dir[] = "/tmp/kiln-fuzz-plan-XXXXXX";
static char csv_path[128];

static const char *const queries[] = {
    "SELECT k, s FROM t WHERE d > 1.5 AND s IS NOT NULL",
    "SELECT k * 2 + 1 AS x, upper(s), CASE WHEN d > 2 THEN 'big' ELSE 'small' END, "
    "cast(dt AS string), coalesce(s, 'none') FROM t",
    "SELECT s, count(*), sum(d), avg(k), min(dt), max(s), count(DISTINCT k) FROM t GROUP BY s",
    "SELECT k, sum(d) FILTER (WHERE d > 1), collect_list(s), percentile(d, 0.5) FROM t "
    "GROUP BY k HAVING count(*) > 0",
    "SELECT t.k, t.s, u.v FROM t JOIN u ON t.k = u.k AND t.d < u.w",
    "SELECT t.k, u.v FROM t LEFT JOIN u ON t.k = u.k",
    "SELECT t.k, u.v FROM t FULL OUTER JOIN u ON t.k <=> u.k",
    "SELECT * FROM t WHERE k IN (SELECT k FROM u WHERE v <> 'x')",
    "SELECT * FROM t WHERE k NOT IN (SELECT k FROM u)",
    "SELECT * FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.k = t.k)",
    "SELECT t.k, u.v FROM t CROSS JOIN u",
    "SELECT * FROM t ORDER BY d DESC NULLS LAST, s",
    "SELECT * FROM t ORDER BY k LIMIT 3",
    "SELECT * FROM t LIMIT 4 OFFSET 1",
    "SELECT k, s, row_number() OVER (PARTITION BY s ORDER BY d), rank() OVER (ORDER BY k), "
    "lag(d, 1, 0.0) OVER (PARTITION BY s ORDER BY k), ntile(2) OVER (ORDER BY k) FROM t",
    "SELECT k, sum(d) OVER (PARTITION BY s ORDER BY k ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), "
    "avg(d) OVER (ORDER BY k RANGE BETWEEN 2 PRECEDING AND 1 FOLLOWING), "
    "first(s, true) OVER (PARTITION BY k) FROM t",
    "SELECT * FROM (SELECT k, s, row_number() OVER (PARTITION BY s ORDER BY d) AS rn FROM t) "
    "WHERE rn <= 2",
    "SELECT k, s FROM t UNION ALL SELECT k, v FROM u",
    "SELECT k FROM t UNION SELECT k FROM u",
    "SELECT k FROM t INTERSECT SELECT k FROM u",
    "SELECT k, e FROM t LATERAL VIEW OUTER explode(arr) x AS e",
    "SELECT k, pos, e FROM t LATERAL VIEW posexplode(arr) x AS pos, e",
    "SELECT DISTINCT s FROM t",
    "SELECT id, id % 3 FROM range(0, 20, 3)",
    "SELECT a, sum(b) FROM csvt WHERE a > 1 AND c IN ('x', 'y') GROUP BY a",
    "SELECT * FROM csvt WHERE c IS NULL OR b < 2",
};

static void clean_dir(void)
{
    unlink(csv_path);
    rmdir(dir);
}

/* Adds the fragment in env (exec_fragment_encode's) to the seeds. */
static void add_fragment(const uint8_t *env, size_t len)
{
    uint32_t n;
    if (len < 8 || nseeds == MAX_SEEDS) return;
    memcpy(&n, env, 4);
    wire_reader r;
    wire_reader_init(&r, env + 4, n, "seed fragment");
    if (wire_get_u32(&r, "magic") != FRAG_MAGIC) return;
    seed_ansi = wire_get_u8(&r, "ansi") != 0;
    wire_get_str(&r, seed_tz, sizeof seed_tz, "time zone");
    wire_get_u64(&r, "now");
    size_t at = r.off;
    kiln_arena *a = kiln_arena_new();
    plan *p;
    if (!a || plan_decode(&r, a, seed_ansi, seed_tz, &p)) {
        fprintf(stderr, "fuzz_sql_plan: a fragment kiln wrote does not decode: %s\n",
                kiln_last_error());
        abort();
    }
    kiln_arena_free(a);
    for (int i = 0; i < nseeds; i++)
        if (seeds[i].len == r.off - at && !memcmp(seeds[i].data, r.p + at, r.off - at)) return;
    kiln_buf_init(&seeds[nseeds]);
    if (kiln_buf_append(&seeds[nseeds], r.p + at, r.off - at)) abort();
    nseeds++;
}

/* Every fragment of the stages under r (map_partitions RDDs whose
 * environment is a SQL fragment), through parents and shuffles. */
static void walk(kiln_rdd *r, int depth)
{
    if (!r || depth > 100) return;
    if (r->ops && r->ops->state == OPST_MAP_PARTITIONS && r->env && r->env_len >= 8)
        add_fragment(r->env, r->env_len);
    for (int i = 0; i < r->nparents; i++) walk(r->parents[i], depth + 1);
    for (int i = 0; i < r->ndeps; i++)
        if (r->deps[i]) walk(r->deps[i]->parent, depth + 1);
}

static void make_seeds(void)
{
    setenv("KILN_LOG_LEVEL", "OFF", 1);
    if (!mkdtemp(dir)) abort();
    snprintf(csv_path, sizeof csv_path, "%s/f.csv", dir);
    FILE *f = fopen(csv_path, "w");
    if (!f) abort();
    fputs("a,b,c\n1,0.5,x\n2,1.5,\n3,2.5,y\n,3.5,z\n", f);
    fclose(f);
    atexit(clean_dir);
    kiln_conf *c = kiln_conf_new();
    kiln_conf_set(c, "kiln.master", "local[1]");
    kiln_conf_set(c, "kiln.ui.enabled", "false");
    kiln_conf_set(c, "kiln.ui.showConsoleProgress", "false");
    kiln_context *ctx = NULL;
    if (kiln_context_new(c, &ctx)) abort();
    kiln_conf_free(c);
    kiln_session *s;
    if (kiln_session_new(ctx, &s)) abort();
    kiln_session_conf_set(s, "kiln.sql.shuffle.partitions", "3");
    char csv_view[512];
    snprintf(csv_view, sizeof csv_view,
             "CREATE TEMPORARY VIEW csvt USING csv OPTIONS (path '%s', header 'true', "
             "inferSchema 'true')",
             csv_path);
    const char *setup[] = {
        "CREATE TEMPORARY VIEW t AS SELECT * FROM VALUES "
        "(1, 'a', 1.5D, DATE'2020-01-01', array(1, 2)), (2, NULL, 2.5D, NULL, array()), "
        "(3, 'b', NULL, DATE'2021-06-30', NULL), (3, 'a', 0.5D, DATE'1999-12-31', array(3)) "
        "AS t(k, s, d, dt, arr)",
        "CREATE TEMPORARY VIEW u AS SELECT * FROM VALUES (1, 'x', 2.0D), (3, 'y', 0.0D), "
        "(NULL, 'z', 1.0D) AS u(k, v, w)",
        csv_view,
    };
    for (size_t i = 0; i < sizeof setup / sizeof *setup; i++) {
        kiln_df *df = kiln_sql(s, setup[i]);
        if (!df) {
            fprintf(stderr, "fuzz_sql_plan: %s: %s\n", setup[i], kiln_last_error());
            abort();
        }
        kiln_df_free(df);
    }
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        kiln_df *df = kiln_sql(s, queries[i]);
        kiln_rdd *r = df ? kiln_df_to_rdd(df) : NULL;
        if (!r) {
            fprintf(stderr, "fuzz_sql_plan: %s: %s\n", queries[i], kiln_last_error());
            abort();
        }
        walk(r, 0);
        kiln_rdd_free(r);
        kiln_df_free(df);
    }
    kiln_session_free(s);
    kiln_context_free(ctx);
    if (nseeds < 10) abort();
    if (getenv("FUZZ_SQL_PLAN_VERBOSE")) fprintf(stderr, "fuzz_sql_plan: %d fragments\n", nseeds);
}

/* Decodes n bytes at p: an error with a message, or a plan whose
 * encodings are stable. */
static void check(const uint8_t *p, size_t n, bool ansi)
{
    kiln_arena *a = kiln_arena_new(), *a2 = kiln_arena_new();
    if (!a || !a2) abort();
    wire_reader r;
    wire_reader_init(&r, p, n, "fuzzed fragment");
    plan *pl = NULL;
    kiln_set_error(KILN_OK, NULL);
    int rc = plan_decode(&r, a, ansi, seed_tz, &pl);
    if (rc) {
        if (!kiln_last_error()[0]) {
            fprintf(stderr, "plan_decode failed (%d) without a message\n", rc);
            abort();
        }
    } else {
        if (!pl || r.off > n) abort();
        kiln_buf b1, b2;
        kiln_buf_init(&b1);
        kiln_buf_init(&b2);
        wire_writer w;
        wire_writer_init(&w, &b1);
        plan_encode(&w, pl);
        if (wire_writer_finish(&w)) {
            fprintf(stderr, "a decoded plan does not encode: %s\n", kiln_last_error());
            abort();
        }
        wire_reader r2;
        wire_reader_init(&r2, b1.data, b1.len, "re-encoded fragment");
        plan *p2 = NULL;
        if (plan_decode(&r2, a2, ansi, seed_tz, &p2) || r2.off != b1.len) {
            fprintf(stderr, "a re-encoded plan does not decode: %s\n", kiln_last_error());
            abort();
        }
        wire_writer_init(&w, &b2);
        plan_encode(&w, p2);
        if (wire_writer_finish(&w) || b1.len != b2.len || memcmp(b1.data, b2.data, b1.len)) {
            fprintf(stderr, "plan encodings differ (%zu, %zu bytes)\n", b1.len, b2.len);
            abort();
        }
        kiln_buf_release(&b1);
        kiln_buf_release(&b2);
    }
    kiln_arena_free(a);
    kiln_arena_free(a2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!nseeds) make_seeds();
    if (size < 1) return 0;
    const kiln_buf *seed = &seeds[data[0] % nseeds];
    bool ansi = (data[0] & 0x80) ? !seed_ansi : seed_ansi;
    kiln_buf b;
    kiln_buf_init(&b);
    if (kiln_buf_append(&b, seed->data, seed->len)) abort();
    static const uint32_t counts[] = {0,          1,          2,          3,         64,
                                      65,         4096,       10000,      100000,    100001,
                                      0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff};
#define NCOUNTS (sizeof counts / sizeof *counts)
    for (size_t i = 1; i + 4 <= size; i += 4) {
        uint8_t op = data[i], v = data[i + 3];
        size_t pos = (size_t)(data[i + 1] | data[i + 2] << 8) % (b.len + 1);
        switch (op % 4) {
        case 0: /* set a byte */
            if (pos < b.len) b.data[pos] = v;
            break;
        case 1: /* insert a byte */
            if (kiln_buf_append(&b, "", 1)) abort();
            memmove(b.data + pos + 1, b.data + pos, b.len - 1 - pos);
            b.data[pos] = v;
            break;
        case 2: { /* delete 1-8 bytes */
            size_t k = (size_t)(v % 8) + 1;
            if (k > b.len - pos) k = b.len - pos;
            memmove(b.data + pos, b.data + pos + k, b.len - pos - k);
            b.len -= k;
            break;
        }
        default: { /* a count at the position */
            uint32_t c = v < 2 * NCOUNTS ? counts[v % NCOUNTS] : v;
            for (int j = 0; j < 4 && pos + (size_t)j < b.len; j++)
                b.data[pos + (size_t)j] = (uint8_t)(c >> (8 * j));
            break;
        }
        }
    }
    check(b.data, b.len, ansi);
    kiln_buf_release(&b);
    check(data, size, seed_ansi);
    return 0;
}
