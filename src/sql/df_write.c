/*
 * sql/df_write.c - DataFrameWriter (include/kiln/sql.h) and the write
 * behind INSERT and CREATE TABLE ... USING ... AS (stmt_write.c).
 *
 * A write runs the plan as an RDD of batches (sql_exec_rdd) whose tasks
 * each write their partition with a datasource writer (ds_writer_*)
 * through the io committer: part-PPPPP-<uuid>-c000.<ext> files, _SUCCESS
 * last. The job writes into a hidden directory beside the target
 * (".<name>-kiln-<uuid>"), and only a committed job is moved into place:
 * renamed to the target (error / ignore / overwrite: the old output is
 * renamed away first and removed after), or its part files moved into it
 * (append). A failed job therefore leaves what was at the target as it
 * was, as Spark's committer does for every mode but overwrite (where
 * Spark deletes first; kiln keeps the old output until the new one is
 * complete).
 *
 * Empty partitions write no file, as Spark's, except partition 0, so an
 * empty DataFrame still leaves one part file (with the CSV header when
 * asked).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/wire.h"
#include "datasource/datasource.h"
#include "sql/df_int.h"
#include "sql/sql_error.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory writing a DataFrame");
}

/* ---- Inside a task --------------------------------------------------------------- */

/* What a task needs, decoded from its env. */
typedef struct write_env {
    char dir[PATH_MAX], format[16], uuid[40];
    ds_options *opts;
    col_schema schema;
    int npart, max_open; /* partitioned writes: part[0..npart) of schema */
    int *part;
} write_env;

static int env_decode(const void *env, kiln_arena *a, write_env *e)
{
    uint64_t len;
    memcpy(&len, env, sizeof len);
    wire_reader r;
    wire_reader_init(&r, (const uint8_t *)env + sizeof len, (size_t)len, "write job");
    wire_get_str(&r, e->dir, sizeof e->dir, "dir");
    wire_get_str(&r, e->format, sizeof e->format, "format");
    wire_get_str(&r, e->uuid, sizeof e->uuid, "uuid");
    uint32_t nopts = wire_get_u32(&r, "options");
    if (!(e->opts = ds_options_new())) return oom();
    for (uint32_t i = 0; i < nopts && !r.err; i++) {
        char k[256], v[4096];
        wire_get_str(&r, k, sizeof k, "option key");
        wire_get_str(&r, v, sizeof v, "option value");
        if (!r.err && ds_options_set(e->opts, k, v)) return oom();
    }
    e->npart = (int)wire_get_u32(&r, "partition columns");
    e->max_open = (int)wire_get_u32(&r, "open writers");
    if (e->npart < 0 || e->npart > 1 << 16) e->npart = 0;
    if (!(e->part = kiln_arena_alloc(a, sizeof *e->part * (size_t)(e->npart + 1)))) return oom();
    for (int i = 0; i < e->npart; i++) e->part[i] = (int)wire_get_u32(&r, "partition column");
    uint32_t n = wire_get_u32(&r, "columns");
    e->schema.n = (int)n;
    e->schema.fields = kiln_arena_alloc(a, sizeof *e->schema.fields * (n + 1));
    if (!e->schema.fields) return oom();
    for (uint32_t i = 0; i < n && !r.err; i++) {
        size_t len_i;
        const uint8_t *p = wire_get_bytes(&r, 1 << 16, &len_i, "column name");
        char *name = kiln_arena_alloc(a, len_i + 1);
        if (!name) return oom();
        if (p) memcpy(name, p, len_i);
        name[len_i] = 0;
        e->schema.fields[i] = (col_field){name, NULL, true};
    }
    size_t blen;
    const uint8_t *bp = wire_get_bytes(&r, 1 << 24, &blen, "types");
    int rc = wire_reader_end(&r);
    if (rc) return rc;
    col_batch types;
    if ((rc = col_batch_decode(&types, a, bp, blen))) return rc;
    if (types.ncols != (int)n)
        return kiln_set_error(KILN_ECORRUPT, "write job: %d types for %u columns", types.ncols, n);
    for (uint32_t i = 0; i < n; i++) e->schema.fields[i].type = types.cols[i].type;
    for (int i = 0; i < e->npart; i++)
        if (e->part[i] < 0 || e->part[i] >= (int)n)
            return kiln_set_error(KILN_ECORRUPT, "write job: bad partition column %d", e->part[i]);
    return KILN_OK;
}

int df_batch_bytes(const kiln_value *v, const uint8_t **p, size_t *n)
{
    while (v->type == KILN_TUPLE && v->len > 0) v = &v->u.items[v->len - 1];
    if (v->type != KILN_BYTES) return KILN_ECORRUPT;
    *p = v->u.bytes;
    *n = v->len;
    return KILN_OK;
}

/* The task's next batch into *b (in a, reset first): 1, 0 at the end, or
 * an error. */
static int next_batch(kiln_in *in, kiln_arena *a, col_batch *b)
{
    const kiln_value *v;
    int rc = kiln_in_next(in, &v);
    if (rc <= 0) return rc;
    const uint8_t *p;
    size_t n;
    kiln_arena_reset(a);
    if ((rc = df_batch_bytes(v, &p, &n)) || (rc = col_batch_decode(b, a, p, n))) return rc;
    return 1;
}

/* A task of a partitioned write: rows to their partition directories. */
static int write_partitioned(int index, int attempt, kiln_in *in, io_output_job *job, write_env *e,
                             kiln_arena *a)
{
    ds_part_writer *pw;
    int rc = ds_part_writer_open(e->format, job, index, attempt, e->uuid, &e->schema, e->part,
                                 e->npart, e->max_open, e->opts, &pw);
    if (rc) return rc;
    col_batch b;
    while ((rc = next_batch(in, a, &b)) > 0)
        if ((rc = ds_part_writer_write(pw, &b))) break;
    if (rc < 0) {
        ds_part_writer_abort(pw);
        return rc;
    }
    return ds_part_writer_commit(pw);
}

static int write_rows(kiln_task *t, int index, kiln_in *in, io_output_job *job, write_env *e,
                      kiln_arena *a)
{
    int attempt = kiln_task_attempt(t);
    if (e->npart) return write_partitioned(index, attempt, in, job, e, a);
    ds_writer *w = NULL;
    col_batch b;
    int rc;
    while ((rc = next_batch(in, a, &b)) > 0) {
        if (!col_batch_live(&b)) continue;
        if (!w &&
            (rc = ds_writer_open(e->format, job, index, attempt, e->uuid, &e->schema, e->opts, &w)))
            break;
        if ((rc = ds_writer_write(w, &b))) break;
    }
    if (rc < 0) {
        if (w) ds_writer_abort(w);
        return rc;
    }
    if (w) return ds_writer_commit(w);
    if (index == 0) {
        /* One file even when everything is empty (a CSV header, say). */
        if ((rc = ds_writer_open(e->format, job, 0, attempt, e->uuid, &e->schema, e->opts, &w)))
            return rc;
        return ds_writer_commit(w);
    }
    /* The committer wants every task committed: an empty attempt. */
    return io_task_attempt_commit(job, index, attempt);
}

/* The partition function of a write job (kiln_foreach_partition_fn). */
static int write_part(kiln_task *t, int index, kiln_in *in, const void *env)
{
    kiln_arena *a = kiln_arena_new();
    if (!a) return kiln_task_fail(t, "out of memory writing partition %d", index);
    write_env e = {0};
    io_output_job *job = NULL;
    int rc = env_decode(env, a, &e);
    if (!rc) rc = io_output_job_attach(e.dir, &job);
    kiln_arena *ba = rc ? NULL : kiln_arena_new();
    if (!rc && !ba) rc = oom();
    if (!rc) rc = write_rows(t, index, in, job, &e, ba);
    if (rc) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", kiln_last_error());
        kiln_task_fail(t, "%s", msg);
    }
    io_output_job_detach(job);
    ds_options_free(e.opts);
    kiln_arena_free(ba);
    kiln_arena_free(a);
    return rc ? KILN_EUSER : KILN_OK;
}

/* ---- At the driver ------------------------------------------------------------------ */

static void make_uuid(char out[40])
{
    uint8_t b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
        for (int i = 0; i < 16; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            b[i] = (uint8_t)(x >> 56);
        }
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

/* A hidden sibling of path: dir/.<base>-kiln-<tag>-<uuid>. */
static char *sibling(const char *path, const char *tag, const char *uuid)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    size_t slash = n;
    while (slash > 0 && path[slash - 1] != '/') slash--;
    char *out = NULL;
    if (asprintf(&out, "%.*s.%.*s-kiln-%s-%s", (int)slash, path, (int)(n - slash), path + slash,
                 tag, uuid) < 0)
        return NULL;
    return out;
}

/* Whether a and b (resolved) are the same or one holds the other. */
static bool overlaps(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b), n = na < nb ? na : nb;
    if (strncmp(a, b, n) != 0) return false;
    if (na == nb) return true;
    const char *longer = na > nb ? a : b;
    return longer[n] == '/' || n == 1;
}

/* Whether p reads files at or under target (resolved). */
static bool plan_reads(const plan *p, const char *target)
{
    if (p->kind == PLAN_SCAN && p->src.paths) {
        const char *q = p->src.paths;
        while (*q) {
            size_t n = strcspn(q, ",");
            char one[PATH_MAX], real[PATH_MAX];
            snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one ? n : sizeof one - 1), q);
            /* A glob reads under the directory before its first wildcard. */
            char *w = strpbrk(one, "*?[{");
            if (w) {
                *w = 0;
                char *sl = strrchr(one, '/');
                if (sl) sl[sl == one ? 1 : 0] = 0;
                else snprintf(one, sizeof one, ".");
            }
            if (realpath(one, real) && overlaps(real, target)) return true;
            q += n;
            if (*q == ',') q++;
        }
    }
    for (int i = 0; i < p->nin; i++)
        if (plan_reads(p->in[i], target)) return true;
    return false;
}

/* Puts the committed output at staging in place at path: renamed there
 * when nothing is, else through io_output_place (depth: -1 append, 0
 * whole, d > 0 the directories d levels down). */
static int place(const char *staging, const char *path, bool exists, int depth)
{
    if (!exists) {
        if (io_rename_noreplace(staging, path) == 0) return KILN_OK;
        int rc = kiln_set_error(errno == EEXIST || errno == ENOTEMPTY ? KILN_EEXIST : KILN_EIO,
                                "cannot move the output to %s: %s", path, strerror(errno));
        io_remove_tree(staging);
        return rc;
    }
    return io_output_place(staging, path, depth);
}

static int env_encode(kiln_buf *out, const char *dir, const char *format, const char *uuid,
                      int nopts, const char *const *keys, const char *const *values, const plan *p,
                      int npart, const int *part, int max_open)
{
    kiln_arena *a = kiln_arena_new();
    if (!a) return oom();
    const col_type **types = kiln_arena_alloc(a, sizeof *types * (size_t)(p->ncols + 1));
    col_batch b;
    kiln_buf tb;
    kiln_buf_init(&tb);
    int rc = types ? KILN_OK : oom();
    for (int i = 0; !rc && i < p->ncols; i++) types[i] = p->cols[i].type;
    if (!rc) rc = col_batch_init(&b, a, p->ncols, types, 1);
    if (!rc) rc = col_batch_encode(&tb, &b);
    uint64_t len = 0;
    if (!rc) rc = kiln_buf_append(out, &len, sizeof len);
    wire_writer w;
    wire_writer_init(&w, out);
    wire_put_str(&w, dir);
    wire_put_str(&w, format);
    wire_put_str(&w, uuid);
    wire_put_u32(&w, (uint32_t)nopts);
    for (int i = 0; i < nopts; i++) {
        wire_put_str(&w, keys[i]);
        wire_put_str(&w, values[i]);
    }
    wire_put_u32(&w, (uint32_t)npart);
    wire_put_u32(&w, (uint32_t)max_open);
    for (int i = 0; i < npart; i++) wire_put_u32(&w, (uint32_t)part[i]);
    wire_put_u32(&w, (uint32_t)p->ncols);
    for (int i = 0; i < p->ncols; i++) wire_put_str(&w, p->cols[i].name);
    wire_put_bytes(&w, tb.data, tb.len);
    if (!rc) rc = wire_writer_finish(&w);
    if (!rc) {
        len = out->len - sizeof len;
        memcpy(out->data, &len, sizeof len);
    }
    kiln_buf_release(&tb);
    kiln_arena_free(a);
    return rc;
}

/* Checks what can be checked before a job runs: the format, the text
 * source's single string column, the options (a writer opened and
 * dropped). */
static int check_writer(const char *format, const plan *p, io_output_job *job, const char *uuid,
                        const ds_options *o, const col_schema *schema)
{
    if (strcasecmp(format, "text") == 0) {
        if (p->ncols != 1)
            return kiln_set_error(KILN_ESQL,
                                  "[UNSUPPORTED_DATA_SOURCE_FEATURE] Text data source supports "
                                  "only a single column, and you have %d columns.",
                                  p->ncols);
        if (p->cols[0].type->kind != COL_STRING) {
            kiln_buf b;
            kiln_buf_init(&b);
            int rc = col_type_format(&b, p->cols[0].type);
            if (!rc) rc = kiln_buf_append(&b, "", 1);
            for (size_t i = 0; !rc && i < b.len; i++)
                if (b.data[i] >= 'a' && b.data[i] <= 'z') b.data[i] = (uint8_t)(b.data[i] - 32);
            if (!rc)
                rc = kiln_set_error(KILN_ESQL,
                                    "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The Text datasource "
                                    "doesn't support the column `%s` of the type \"%s\". "
                                    "SQLSTATE: 0A000",
                                    p->cols[0].name, (const char *)b.data);
            kiln_buf_release(&b);
            return rc;
        }
    }
    ds_writer *w;
    int rc = ds_writer_open(format, job, 0, 1 << 20, uuid, schema, o, &w);
    if (!rc) ds_writer_abort(w);
    return rc;
}

/* The formats a write can produce; a new writer is one more name here. */
static const char *const FORMATS[] = {"csv", "json", "text", "parquet"};

/* How an overwrite of a partitioned output replaces it: the depth of the
 * directories io_output_place swaps (0: the whole output). */
static int overwrite_depth(kiln_session *s, const sql_write_part *wp, const ds_options *o,
                           int *depth)
{
    *depth = 0;
    if (!wp || !wp->n) return KILN_OK;
    const char *m = ds_options_get(o, "partitionOverwriteMode");
    if (!m) m = sql_session_get(s, "kiln.sql.sources.partitionOverwriteMode");
    if (!m || strcasecmp(m, "static") == 0) {
        /* The static partition of INSERT OVERWRITE ... PARTITION, or all. */
        *depth = wp->nstatic;
        return KILN_OK;
    }
    if (strcasecmp(m, "dynamic") == 0) {
        *depth = wp->n;
        return KILN_OK;
    }
    return kiln_set_error(KILN_EINVAL,
                          "partitionOverwriteMode: '%s' is not STATIC or DYNAMIC "
                          "(kiln.sql.sources.partitionOverwriteMode)",
                          m);
}

/* The indices of wp's columns in p (Spark's checks: each a column of p,
 * not all of them, no repeats). In a. */
static int part_columns(const plan *p, const sql_write_part *wp, kiln_arena *a, int **out)
{
    int n = wp ? wp->n : 0;
    *out = kiln_arena_alloc(a, sizeof **out * (size_t)(n + 1));
    if (!*out) return oom();
    for (int i = 0; i < n; i++) {
        int c = 0;
        while (c < p->ncols && strcasecmp(p->cols[c].name, wp->cols[i])) c++;
        if (c == p->ncols)
            return kiln_set_error(KILN_ESQL,
                                  "[COLUMN_NOT_FOUND] The column `%s` cannot be found. Verify "
                                  "the spelling and correctness of the column name according "
                                  "to the SQL config \"spark.sql.caseSensitive\". "
                                  "SQLSTATE: 42703",
                                  wp->cols[i]);
        for (int j = 0; j < i; j++)
            if ((*out)[j] == c)
                return kiln_set_error(KILN_ESQL,
                                      "[COLUMN_ALREADY_EXISTS] The column `%s` already exists. "
                                      "SQLSTATE: 42711",
                                      wp->cols[i]);
        (*out)[i] = c;
    }
    if (n && n == p->ncols)
        return kiln_set_error(KILN_ESQL, "[ALL_PARTITION_COLUMNS_NOT_ALLOWED] Cannot use all "
                                         "columns for partition columns. SQLSTATE: KD005");
    return KILN_OK;
}

/* The static partition's directory "k=v/..." (escaped, appended to b and
 * NUL-terminated; b->len excludes the NUL), each level made under staging
 * when mk, so that an INSERT OVERWRITE ... PARTITION (k='v') writing no row
 * still empties it. The values' text is used as given (Spark formats the
 * value cast to the column's type: '01' for an int column names k=1 there). */
static int static_rel(const sql_write_part *wp, const char *staging, bool mk, kiln_buf *b)
{
    size_t base = b->len;
    int rc = KILN_OK;
    for (int i = 0; !rc && i < wp->nstatic; i++) {
        const char *v = wp->static_values ? wp->static_values[i] : NULL;
        if (b->len > base) rc = kiln_buf_append(b, "/", 1);
        if (!rc) rc = ds_escape_path_name(b, wp->cols[i], strlen(wp->cols[i]));
        if (!rc) rc = kiln_buf_append(b, "=", 1);
        if (!rc && (!v || !*v)) rc = kiln_buf_append(b, "__HIVE_DEFAULT_PARTITION__", 26);
        else if (!rc) rc = ds_escape_path_name(b, v, strlen(v));
        if (!rc) rc = kiln_buf_append(b, "", 1);
        if (!rc) b->len--;
        char *dir = NULL;
        if (!rc && mk && asprintf(&dir, "%s/%s", staging, (const char *)b->data + base) < 0)
            rc = oom();
        if (dir && mkdir(dir, 0777) != 0 && errno != EEXIST)
            rc = kiln_set_error(KILN_EIO, "cannot create %s: %s", dir, strerror(errno));
        free(dir);
    }
    return rc;
}

/* Overwrite of an object-store output's partitions: which old objects go
 * (io_output_job_replace), as the local swap of directories at depth. */
static int url_replace(io_output_job *job, const sql_write_part *wp, int depth)
{
    if (depth <= 0) return KILN_OK; /* the whole output */
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = depth == wp->nstatic ? static_rel(wp, NULL, false, &b) : KILN_OK;
    if (!rc) rc = io_output_job_replace(job, depth, b.len ? (const char *)b.data : NULL);
    kiln_buf_release(&b);
    return rc;
}

int sql_write(kiln_session *s, const plan *logical, const char *format, int mode, int nopts,
              const char *const *keys, const char *const *values, const char *path)
{
    return sql_write_partitioned(s, logical, format, mode, nopts, keys, values, path, NULL);
}

int sql_write_partitioned(kiln_session *s, const plan *logical, const char *format, int mode,
                          int nopts, const char *const *keys, const char *const *values,
                          const char *path, const sql_write_part *wp)
{
    if (!path || !*path) return kiln_set_error(KILN_EINVAL, "write: the path is empty");
    char fmt[16];
    snprintf(fmt, sizeof fmt, "%s", format ? format : "csv");
    for (char *c = fmt; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    bool known = false;
    for (size_t i = 0; i < sizeof FORMATS / sizeof FORMATS[0]; i++)
        known |= !strcmp(fmt, FORMATS[i]);
    if (!known)
        return kiln_set_error(KILN_ESQL,
                              "[DATA_SOURCE_NOT_FOUND] Failed to find the data source: %s. "
                              "SQLSTATE: 42K02",
                              format);
    struct stat st = {0};
    /* An object-store URL: its committer stages under _temporary itself. */
    bool url = io_path_is_url(path), exists = false;
    int urc = url ? io_path_exists(path, &exists) : KILN_OK;
    if (urc) return urc;
    if (!url) exists = lstat(path, &st) == 0;
    if (exists && mode == SQL_SAVE_ERROR)
        return kiln_set_error(KILN_EEXIST,
                              "[PATH_ALREADY_EXISTS] Path file:%s already exists. Set mode as "
                              "\"overwrite\" to overwrite the existing path. SQLSTATE: 42K04",
                              path);
    if (exists && mode == SQL_SAVE_IGNORE) return KILN_OK;
    if (exists && !url && mode == SQL_SAVE_APPEND && !S_ISDIR(st.st_mode))
        return kiln_set_error(KILN_EEXIST, "cannot append to %s: it is not a directory", path);
    if (exists && mode == SQL_SAVE_OVERWRITE) {
        char real[PATH_MAX];
        if ((url ? plan_reads(logical, path) : realpath(path, real) && plan_reads(logical, real)))
            return kiln_set_error(KILN_ESQL,
                                  "[UNSUPPORTED_OVERWRITE.PATH] Can't overwrite the target that "
                                  "is also being read from. SQLSTATE: 42902");
    }
    char uuid[40];
    make_uuid(uuid);
    char *staging = url ? strdup(path) : sibling(path, "write", uuid);
    ds_options *o = ds_options_new();
    kiln_arena *a = kiln_arena_new();
    int *part = NULL, npart = wp ? wp->n : 0, depth = 0;
    col_schema schema = {logical->ncols,
                         a ? kiln_arena_alloc(a, sizeof(col_field) * (size_t)(logical->ncols + 1))
                           : NULL};
    kiln_buf env;
    kiln_buf_init(&env);
    io_output_job *job = NULL;
    kiln_rdd *r = NULL;
    int rc = staging && o && a && schema.fields ? KILN_OK : oom();
    if (!rc && strcmp(fmt, "parquet") == 0)
        rc = sql_parquet_write_options(s, a, &nopts, &keys, &values);
    for (int i = 0; !rc && i < nopts; i++) rc = ds_options_set(o, keys[i], values[i]);
    for (int i = 0; !rc && i < logical->ncols; i++)
        schema.fields[i] = (col_field){logical->cols[i].name, logical->cols[i].type, true};
    if (!rc) rc = part_columns(logical, wp, a, &part);
    if (!rc && mode == SQL_SAVE_OVERWRITE) rc = overwrite_depth(s, wp, o, &depth);
    int max_open = 0;
    if (!rc && npart) {
        const char *mo = ds_options_get(o, "maxOpenWriters");
        if (!mo) mo = sql_session_get(s, "kiln.sql.sources.maxOpenWriters");
        max_open = mo ? atoi(mo) : 16;
        if (max_open < 1)
            rc = kiln_set_error(KILN_EINVAL, "maxOpenWriters: '%s' is not a positive number", mo);
    }
    int omode = !url || !exists              ? IO_OUTPUT_CREATE
                : mode == SQL_SAVE_OVERWRITE ? IO_OUTPUT_OVERWRITE
                                             : IO_OUTPUT_APPEND;
    if (!rc) rc = io_output_job_begin_mode(staging, omode, &job);
    if (!rc && omode == IO_OUTPUT_OVERWRITE && (rc = url_replace(job, wp, depth))) {
        io_output_job_abort(job);
        job = NULL;
    }
    if (!rc && (rc = check_writer(fmt, logical, job, uuid, o, &schema))) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", kiln_last_error());
        io_output_job_abort(job);
        job = NULL;
        kiln_set_error(rc, "%s", msg);
    }
    plan *opt_p;
    if (!rc) rc = sql_session_plan(s, a, logical, &opt_p);
    if (!rc)
        rc = env_encode(&env, staging, fmt, uuid, nopts, keys, values, logical, npart, part,
                        max_open);
    int64_t xid = -1; /* the write is one SQL execution, as Spark's save */
    if (!rc) {
        char desc[1100];
        snprintf(desc, sizeof desc, "write %s to %.1000s", fmt, path);
        xid = sql_session_execution_start(s, &s->set, opt_p, desc);
        sql_settings set = s->set;
        set.execution = xid;
        rc = sql_exec_rdd(s->ctx, &set, opt_p, &r);
    }
    int nparts = r ? kiln_rdd_num_partitions(r) : 0;
    if (!rc) rc = kiln_rdd_foreach_partition(r, write_part, env.data, env.len);
    if (!rc && nparts == 0 && !npart) {
        /* No partition at all: the one file of an empty output. */
        ds_writer *w;
        if (!(rc = ds_writer_open(fmt, job, 0, 0, uuid, &schema, o, &w))) rc = ds_writer_commit(w);
        nparts = 1;
    }
    if (job) {
        if (rc) {
            char msg[2048];
            snprintf(msg, sizeof msg, "%s", kiln_last_error());
            io_output_job_abort(job);
            kiln_set_error(rc, "%s", msg);
        } else {
            rc = io_output_job_commit(job, nparts);
        }
    }
    if (!rc && !url && depth > 0 && depth == wp->nstatic) {
        kiln_buf b;
        kiln_buf_init(&b);
        rc = static_rel(wp, staging, true, &b);
        kiln_buf_release(&b);
    }
    if (!rc && !url) rc = place(staging, path, exists, mode == SQL_SAVE_APPEND ? -1 : depth);
    kiln_sql_execution_end(s->ctx, xid, rc ? kiln_last_error() : NULL);
    kiln_rdd_free(r);
    kiln_buf_release(&env);
    kiln_arena_free(a);
    ds_options_free(o);
    free(staging);
    return rc;
}

/* ---- The public writer ------------------------------------------------------------- */

static void writer_free(kiln_writer *w)
{
    if (!w) return;
    for (int i = 0; i < w->nopts; i++) {
        free(w->keys[i]);
        free(w->values[i]);
    }
    for (int i = 0; i < w->npart; i++) free(w->part_cols[i]);
    free(w->part_cols);
    free(w->keys);
    free(w->values);
    free(w->format);
    kiln_df_free(w->df);
    free(w);
}

KILN_API kiln_writer *kiln_df_write(kiln_df *df)
{
    if (!df) return NULL;
    kiln_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->df = df_new(df->s, df->p)) || !(w->format = strdup("csv"))) {
        writer_free(w);
        oom();
        return NULL;
    }
    return w;
}

KILN_API kiln_writer *kiln_writer_format(kiln_writer *w, const char *format)
{
    if (!w) return NULL;
    char *f = format ? strdup(format) : NULL;
    if (!f) {
        writer_free(w);
        kiln_set_error(KILN_EINVAL, "kiln_writer_format: NULL format");
        return NULL;
    }
    free(w->format);
    w->format = f;
    return w;
}

KILN_API kiln_writer *kiln_writer_mode(kiln_writer *w, const char *mode)
{
    if (!w) return NULL;
    static const struct {
        const char *name;
        int mode;
    } modes[] = {{"error", SQL_SAVE_ERROR},         {"errorifexists", SQL_SAVE_ERROR},
                 {"default", SQL_SAVE_ERROR},       {"append", SQL_SAVE_APPEND},
                 {"overwrite", SQL_SAVE_OVERWRITE}, {"ignore", SQL_SAVE_IGNORE}};
    for (size_t i = 0; mode && i < sizeof modes / sizeof modes[0]; i++)
        if (strcasecmp(mode, modes[i].name) == 0) {
            w->mode = modes[i].mode;
            return w;
        }
    kiln_set_error(KILN_ESQL,
                   "[INVALID_SAVE_MODE] The specified save mode \"%s\" is invalid. Valid save "
                   "modes include \"append\", \"overwrite\", \"ignore\", \"error\", "
                   "\"errorifexists\", and \"default\". SQLSTATE: 42000",
                   mode ? mode : "(null)");
    writer_free(w);
    return NULL;
}

KILN_API kiln_writer *kiln_writer_option(kiln_writer *w, const char *key, const char *value)
{
    if (!w) return NULL;
    if (!key || !value) {
        writer_free(w);
        kiln_set_error(KILN_EINVAL, "kiln_writer_option: NULL key or value");
        return NULL;
    }
    for (int i = 0; i < w->nopts; i++)
        if (strcasecmp(w->keys[i], key) == 0) {
            char *v = strdup(value);
            if (!v) break;
            free(w->values[i]);
            w->values[i] = v;
            return w;
        }
    char **k = realloc(w->keys, sizeof *k * (size_t)(w->nopts + 1));
    if (k) w->keys = k;
    char **v = realloc(w->values, sizeof *v * (size_t)(w->nopts + 1));
    if (v) w->values = v;
    if (!k || !v || !(w->keys[w->nopts] = strdup(key))) {
        writer_free(w);
        oom();
        return NULL;
    }
    if (!(w->values[w->nopts] = strdup(value))) {
        free(w->keys[w->nopts]);
        writer_free(w);
        oom();
        return NULL;
    }
    w->nopts++;
    return w;
}

KILN_API kiln_writer *kiln_writer_partition_by(kiln_writer *w, const char *const *cols, int n)
{
    if (!w) return NULL;
    for (int i = 0; i < w->npart; i++) free(w->part_cols[i]);
    free(w->part_cols);
    w->part_cols = NULL;
    w->npart = 0;
    if (n <= 0) return w;
    if (!cols || !(w->part_cols = calloc((size_t)n, sizeof *w->part_cols))) {
        writer_free(w);
        kiln_set_error(cols ? KILN_ENOMEM : KILN_EINVAL, "kiln_writer_partition_by: %s",
                       cols ? "out of memory" : "NULL columns");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (!cols[i] || !(w->part_cols[i] = strdup(cols[i]))) {
            w->npart = i;
            writer_free(w);
            kiln_set_error(KILN_EINVAL, "kiln_writer_partition_by: a NULL column name");
            return NULL;
        }
    }
    w->npart = n;
    return w;
}

KILN_API int kiln_writer_save(kiln_writer *w, const char *path)
{
    if (!w) return kiln_last_error()[0] ? KILN_ESQL : kiln_set_error(KILN_EINVAL, "NULL writer");
    sql_write_part wp = {w->npart, (const char *const *)w->part_cols, 0, NULL};
    int rc = sql_write_partitioned(w->df->s, w->df->p, w->format, w->mode, w->nopts,
                                   (const char *const *)w->keys, (const char *const *)w->values,
                                   path, &wp);
    writer_free(w);
    return rc;
}

static int save_as(kiln_writer *w, const char *format, const char *path)
{
    return kiln_writer_save(kiln_writer_format(w, format), path);
}

KILN_API int kiln_writer_csv(kiln_writer *w, const char *path)
{
    return save_as(w, "csv", path);
}

KILN_API int kiln_writer_json(kiln_writer *w, const char *path)
{
    return save_as(w, "json", path);
}

KILN_API int kiln_writer_text(kiln_writer *w, const char *path)
{
    return save_as(w, "text", path);
}

KILN_API int kiln_writer_parquet(kiln_writer *w, const char *path)
{
    return save_as(w, "parquet", path);
}
