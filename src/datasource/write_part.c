/*
 * datasource/write_part.c - a task's writer of a partitioned write
 * (df.write.partitionBy, INSERT into a table PARTITIONED BY): rows are
 * routed to one file per Hive-style partition directory "k1=v1/k2=v2" of
 * the task attempt, through ds_writer_open_in, as Spark's dynamic
 * partition writer does.
 *
 * Per batch: each live row's directory name is built into one reusable
 * buffer and looked up in a hash table of the task's directories, then
 * the rows are grouped by directory (a counting sort into one selection
 * array) and each group written as a selection over the batch's data
 * columns: no per-row allocation, one write call per directory and batch.
 *
 * Open files are bounded by max_open (Spark sorts the task's rows by the
 * partition columns instead; kiln keeps the input order): opening one
 * more sets the least recently written aside. Text formats without
 * compression are suspended (bytes written out, file and buffers closed;
 * the same file is appended to when the directory's rows come again), so
 * a task writes one file per directory whatever the order of its rows;
 * others are closed, and the directory's next rows go to a new file with
 * the next counter (-c001), as Spark's writer does when it rolls a file.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasource/ds_int.h"

#define DEFAULT_PARTITION "__HIVE_DEFAULT_PARTITION__"

/* A partition directory of the task. */
typedef struct pdir {
    char *name;     /* "k1=v1/k2=v2" (owned) */
    uint64_t hash;  /* of name */
    ds_writer *w;   /* the file being written, or NULL */
    bool suspended; /* w is set aside (ds_writer_suspend): no fd, no buffer */
    int counter;    /* files opened so far in this directory */
    uint64_t used;  /* batch tick of the last write (LRU) */
    uint32_t stamp; /* batch number of `group` */
    int group;      /* this batch's group index */
} pdir;

struct ds_part_writer {
    const char *format, *uuid; /* copied */
    io_output_job *job;
    int partition, attempt;
    const ds_options *o;
    const col_schema *schema;
    col_schema data; /* the columns written to files */
    int *data_idx;   /* data.n indices into schema */
    int *part;       /* npart indices into schema */
    int npart, max_open, nopen, files;
    int *open_dirs; /* nopen indices of the directories with an open file */
    bool started;   /* the attempt's first file opened */
    pdir *dirs;
    int ndirs, capdirs;
    int *slots; /* open addressing table of dirs indices, -1 empty */
    int nslots;
    uint64_t tick;
    uint32_t batch;
    /* Per batch scratch, grown as needed. */
    kiln_buf key, text;
    int *row_dir;   /* dir of each live row */
    uint32_t *rows; /* live rows grouped by dir */
    int *gdir, *gcount, *gstart;
    uint32_t cap, gcap;
    col_vec *vecs; /* data.n vectors of the batch being written */
};

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory in a partitioned write");
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    return h;
}

int ds_part_writer_open(const char *format, io_output_job *job, int partition, int attempt,
                        const char *uuid, const col_schema *schema, const int *part, int npart,
                        int max_open, const ds_options *o, ds_part_writer **out)
{
    *out = NULL;
    if (npart <= 0 || npart >= schema->n)
        return kiln_set_error(KILN_EINVAL,
                              "[ALL_PARTITION_COLUMNS_NOT_ALLOWED] Cannot use all columns for "
                              "partition columns.");
    ds_part_writer *pw = calloc(1, sizeof *pw);
    if (!pw) return oom();
    pw->format = strdup(format);
    pw->uuid = uuid ? strdup(uuid) : NULL;
    pw->job = job;
    pw->partition = partition;
    pw->attempt = attempt;
    pw->o = o;
    pw->schema = schema;
    pw->npart = npart;
    pw->max_open = max_open > 0 ? max_open : 1;
    pw->part = malloc(sizeof *pw->part * (size_t)npart);
    pw->data_idx = malloc(sizeof *pw->data_idx * (size_t)schema->n);
    pw->data.fields = malloc(sizeof *pw->data.fields * (size_t)schema->n);
    pw->vecs = malloc(sizeof *pw->vecs * (size_t)schema->n);
    pw->open_dirs = malloc(sizeof *pw->open_dirs * (size_t)pw->max_open);
    pw->nslots = 64;
    pw->slots = malloc(sizeof *pw->slots * (size_t)pw->nslots);
    kiln_buf_init(&pw->key);
    kiln_buf_init(&pw->text);
    if (!pw->format || (uuid && !pw->uuid) || !pw->part || !pw->data_idx || !pw->data.fields ||
        !pw->vecs || !pw->slots || !pw->open_dirs) {
        ds_part_writer_abort(pw);
        return oom();
    }
    memset(pw->slots, 0xff, sizeof *pw->slots * (size_t)pw->nslots);
    memcpy(pw->part, part, sizeof *part * (size_t)npart);
    for (int i = 0; i < schema->n; i++) {
        bool is_part = false;
        for (int j = 0; j < npart; j++) is_part |= part[j] == i;
        if (is_part) continue;
        pw->data_idx[pw->data.n] = i;
        pw->data.fields[pw->data.n++] = schema->fields[i];
    }
    *out = pw;
    return KILN_OK;
}

/* Appends the directory of row i of b to pw->key. */
static int row_key(ds_part_writer *pw, const col_batch *b, uint32_t i)
{
    kiln_buf *k = &pw->key;
    int rc = KILN_OK;
    for (int j = 0; !rc && j < pw->npart; j++) {
        const col_vec *v = &b->cols[pw->part[j]];
        const char *name = pw->schema->fields[pw->part[j]].name;
        if (j) rc = kiln_buf_append(k, "/", 1);
        if (!rc) rc = ds_escape_path_name(k, name, strlen(name));
        if (!rc) rc = kiln_buf_append(k, "=", 1);
        if (rc) break;
        pw->text.len = 0;
        if (col_valid(v, i)) rc = ds_fmt_scalar(&pw->text, v, i, 0, "yyyy-MM-dd HH:mm:ss");
        if (rc) break;
        if (pw->text.len == 0)
            rc = kiln_buf_append(k, DEFAULT_PARTITION, strlen(DEFAULT_PARTITION));
        else rc = ds_escape_path_name(k, (const char *)pw->text.data, pw->text.len);
    }
    return rc;
}

/* The index of directory key[0..n) in pw->dirs, added when new; -1 when
 * out of memory. */
static int find_dir(ds_part_writer *pw, const char *key, size_t n)
{
    uint64_t h = hash_bytes(key, n);
    int mask = pw->nslots - 1;
    for (int s = (int)(h & (uint64_t)mask);; s = (s + 1) & mask) {
        int d = pw->slots[s];
        if (d < 0) break;
        if (pw->dirs[d].hash == h && strlen(pw->dirs[d].name) == n &&
            memcmp(pw->dirs[d].name, key, n) == 0)
            return d;
    }
    if (pw->ndirs == pw->capdirs) {
        int cap = pw->capdirs ? pw->capdirs * 2 : 16;
        pdir *p = realloc(pw->dirs, sizeof *p * (size_t)cap);
        if (!p) return -1;
        pw->dirs = p;
        pw->capdirs = cap;
    }
    if ((pw->ndirs + 1) * 2 > pw->nslots) {
        int ns = pw->nslots * 2;
        int *slots = malloc(sizeof *slots * (size_t)ns);
        if (!slots) return -1;
        memset(slots, 0xff, sizeof *slots * (size_t)ns);
        for (int d = 0; d < pw->ndirs; d++) {
            int s = (int)(pw->dirs[d].hash & (uint64_t)(ns - 1));
            while (slots[s] >= 0) s = (s + 1) & (ns - 1);
            slots[s] = d;
        }
        free(pw->slots);
        pw->slots = slots;
        pw->nslots = ns;
    }
    char *name = strndup(key, n);
    if (!name) return -1;
    int d = pw->ndirs++;
    pw->dirs[d] = (pdir){name, h, NULL, false, 0, 0, 0, 0};
    int s = (int)(h & (uint64_t)(pw->nslots - 1));
    while (pw->slots[s] >= 0) s = (s + 1) & (pw->nslots - 1);
    pw->slots[s] = d;
    return d;
}

/* Makes dirs[d]'s file open, closing the least recently used when
 * max_open are. */
static int ensure_open(ds_part_writer *pw, int d)
{
    pdir *p = &pw->dirs[d];
    if (p->w && !p->suspended) return KILN_OK;
    int rc;
    if (pw->nopen >= pw->max_open) {
        /* Set aside the least recently written of the open files: suspended
         * (text formats: the same file goes on later), else closed (the
         * directory's next rows start a new file). */
        int at = 0;
        for (int i = 1; i < pw->nopen; i++)
            if (pw->dirs[pw->open_dirs[i]].used < pw->dirs[pw->open_dirs[at]].used) at = i;
        pdir *lru = &pw->dirs[pw->open_dirs[at]];
        pw->open_dirs[at] = pw->open_dirs[--pw->nopen];
        if (ds_writer_suspendable(lru->w)) {
            lru->suspended = true;
            if ((rc = ds_writer_suspend(lru->w))) return rc;
        } else {
            ds_writer *w = lru->w;
            lru->w = NULL;
            if ((rc = ds_writer_close(w))) return rc;
        }
    }
    if (p->w) {
        if ((rc = ds_writer_resume(p->w))) return rc;
        p->suspended = false;
        pw->open_dirs[pw->nopen++] = d;
        return KILN_OK;
    }
    rc = ds_writer_open_in(pw->format, pw->job, pw->partition, pw->attempt, p->name, p->counter,
                           !pw->started, pw->uuid, &pw->data, pw->o, &p->w);
    if (rc) return rc;
    pw->started = true;
    p->counter++;
    pw->open_dirs[pw->nopen++] = d;
    pw->files++;
    return KILN_OK;
}

static int grow(ds_part_writer *pw, uint32_t n)
{
    if (n <= pw->cap) return KILN_OK;
    uint32_t cap = pw->cap ? pw->cap : 1024;
    while (cap < n) cap *= 2;
    int *rd = realloc(pw->row_dir, sizeof *rd * cap);
    if (rd) pw->row_dir = rd;
    uint32_t *rows = realloc(pw->rows, sizeof *rows * cap);
    if (rows) pw->rows = rows;
    if (!rd || !rows) return oom();
    pw->cap = cap;
    return KILN_OK;
}

static int add_group(ds_part_writer *pw, int ngroups, int d)
{
    if ((uint32_t)ngroups == pw->gcap) {
        uint32_t cap = pw->gcap ? pw->gcap * 2 : 64;
        int *a = realloc(pw->gdir, sizeof *a * cap);
        if (a) pw->gdir = a;
        int *c = realloc(pw->gcount, sizeof *c * cap);
        if (c) pw->gcount = c;
        int *s = realloc(pw->gstart, sizeof *s * (cap + 1));
        if (s) pw->gstart = s;
        if (!a || !c || !s) return oom();
        pw->gcap = cap;
    }
    pw->gdir[ngroups] = d;
    pw->gcount[ngroups] = 0;
    return KILN_OK;
}

int ds_part_writer_write(ds_part_writer *pw, const col_batch *b)
{
    uint32_t live = col_batch_live(b);
    if (!live) return KILN_OK;
    int rc = grow(pw, live);
    if (rc) return rc;
    pw->batch++;
    pw->tick++;
    int ngroups = 0;
    for (uint32_t k = 0; k < live; k++) {
        uint32_t i = b->sel ? b->sel[k] : k;
        pw->key.len = 0;
        if ((rc = row_key(pw, b, i))) return rc;
        int d = find_dir(pw, (const char *)pw->key.data, pw->key.len);
        if (d < 0) return oom();
        pdir *p = &pw->dirs[d];
        if (p->stamp != pw->batch) {
            if ((rc = add_group(pw, ngroups, d))) return rc;
            p->stamp = pw->batch;
            p->group = ngroups++;
        }
        pw->gcount[p->group]++;
        pw->row_dir[k] = p->group;
    }
    pw->gstart[0] = 0;
    for (int g = 0; g < ngroups; g++) pw->gstart[g + 1] = pw->gstart[g] + pw->gcount[g];
    for (int g = 0; g < ngroups; g++) pw->gcount[g] = pw->gstart[g];
    for (uint32_t k = 0; k < live; k++)
        pw->rows[pw->gcount[pw->row_dir[k]]++] = b->sel ? b->sel[k] : k;
    for (int c = 0; c < pw->data.n; c++) pw->vecs[c] = b->cols[pw->data_idx[c]];
    for (int g = 0; !rc && g < ngroups; g++) {
        int d = pw->gdir[g];
        if ((rc = ensure_open(pw, d))) break;
        pw->dirs[d].used = pw->tick;
        col_batch view = {pw->data.n, b->n, pw->vecs, pw->rows + pw->gstart[g],
                          (uint32_t)(pw->gstart[g + 1] - pw->gstart[g])};
        rc = ds_writer_write(pw->dirs[d].w, &view);
    }
    return rc;
}

static void pw_free(ds_part_writer *pw)
{
    for (int i = 0; i < pw->ndirs; i++) {
        if (pw->dirs[i].w) ds_writer_abort(pw->dirs[i].w);
        free(pw->dirs[i].name);
    }
    free(pw->dirs);
    free(pw->slots);
    free(pw->part);
    free(pw->data_idx);
    free(pw->data.fields);
    free(pw->vecs);
    free(pw->open_dirs);
    free(pw->row_dir);
    free(pw->rows);
    free(pw->gdir);
    free(pw->gcount);
    free(pw->gstart);
    kiln_buf_release(&pw->key);
    kiln_buf_release(&pw->text);
    free((char *)pw->format);
    free((char *)pw->uuid);
    free(pw);
}

int ds_part_writer_commit(ds_part_writer *pw)
{
    int rc = KILN_OK;
    for (int i = 0; i < pw->ndirs; i++) {
        ds_writer *w = pw->dirs[i].w;
        pw->dirs[i].w = NULL;
        if (!w) continue;
        if (!rc && pw->dirs[i].suspended) rc = ds_writer_resume(w);
        if (rc) ds_writer_abort(w);
        else rc = ds_writer_close(w);
    }
    if (rc) io_task_attempt_abort(pw->job, pw->partition, pw->attempt);
    else rc = io_task_attempt_commit(pw->job, pw->partition, pw->attempt);
    pw_free(pw);
    return rc;
}

void ds_part_writer_abort(ds_part_writer *pw)
{
    if (!pw) return;
    for (int i = 0; i < pw->ndirs; i++)
        if (pw->dirs[i].w) {
            ds_writer_abort(pw->dirs[i].w);
            pw->dirs[i].w = NULL;
        }
    if (pw->job) io_task_attempt_abort(pw->job, pw->partition, pw->attempt);
    pw_free(pw);
}

int ds_part_writer_files(const ds_part_writer *pw)
{
    return pw->files;
}
