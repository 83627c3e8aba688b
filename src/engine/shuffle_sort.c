/*
 * engine/shuffle_sort.c - sorting a reduce partition of (key, value) pairs
 * that may not fit in the task's share of memory.
 *
 * Records are decoded into the sorter's arena. When arena and array hold more
 * than the task's share, they are sorted (stably, by key) and written as a run
 * of compressed blocks to a spill file, and memory is reset. At the end the
 * remainder is sorted in memory and the output is a k-way merge of the runs
 * and the remainder; equal keys come out in input order (earlier runs first),
 * so the sort is stable whatever the budget.
 *
 * Memory: the records, their array and the sort's two temporary arrays of
 * (record, index) items count against the limit. Each run being merged
 * holds a block, its decoded records and an arena (RUN_READ_BYTES); when the
 * limit cannot hold that many runs, runs are first merged in groups, the
 * group of the earliest runs taking their place so that stability holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/shuffle_int.h"
#include "io/io.h"

/* What reading one run during a merge holds: a framed block, the decoded
 * block (records are packed into blocks of BLOCK_RAW_MAX) and the arena
 * of its head record, rounded up. */
enum { RUN_READ_BYTES = 4 * BLOCK_RAW_MAX };

typedef struct run {
    char path[4096];
    int fd;
    uint64_t off, end; /* read position and size of the spill file */
    kiln_buf frame, raw;
    size_t pos;        /* next record in raw */
    kiln_arena *arena; /* the head record's parts */
    kiln_value head;
    bool has_head;
} run;

struct sorter {
    kiln_task *t;
    bool descending;
    int64_t limit;     /* bytes held before a run is spilled */
    kiln_arena *arena; /* records in memory */
    val_vec recs;
    int64_t accounted;       /* records, their array and the sort's arrays */
    int64_t arena_checked;   /* the arena's bytes when they were last accounted */
    int64_t merge_accounted; /* runs open for the final merge */
    run *runs;
    size_t nruns;
    /* merge state */
    size_t mem_pos; /* next in-memory record */
    size_t *heap;   /* run indexes; index nruns stands for the in-memory run */
    size_t nheap;
    kiln_arena *out_arena;
    val_vec out;
};

typedef struct sort_item {
    kiln_value v;
    size_t idx;
} sort_item;

static int cmp_asc(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    int c = kiln_value_cmp(kiln_key(&x->v), kiln_key(&y->v));
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_desc(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    int c = kiln_value_cmp(kiln_key(&y->v), kiln_key(&x->v));
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

sorter *sorter_new(kiln_task *t, bool descending, int64_t limit)
{
    sorter *s = calloc(1, sizeof *s);
    if (!s || !(s->arena = kiln_arena_new()) || !(s->out_arena = kiln_arena_new())) {
        if (s) kiln_arena_free(s->arena);
        free(s);
        return NULL;
    }
    s->t = t;
    s->descending = descending;
    s->limit = limit;
    return s;
}

kiln_arena *sorter_arena(sorter *s)
{
    return s->arena;
}

/* Sorts the in-memory records stably by key. */
static int sort_memory(sorter *s)
{
    size_t n = s->recs.n;
    if (n < 2) return KILN_OK;
    sort_item *items = malloc(sizeof *items * n);
    if (!items) return task_error(s->t, KILN_ENOMEM, "out of memory sorting");
    for (size_t i = 0; i < n; i++) items[i] = (sort_item){s->recs.v[i], i};
    qsort(items, n, sizeof *items, s->descending ? cmp_desc : cmp_asc);
    for (size_t i = 0; i < n; i++) s->recs.v[i] = items[i].v;
    free(items);
    return KILN_OK;
}

/* Writes the sorted in-memory records as a run and frees their memory. */
static int spill_run(sorter *s)
{
    kiln_task *t = s->t;
    int rc = sort_memory(s);
    if (rc) return rc;
    run *grown = realloc(s->runs, (s->nruns + 1) * sizeof *grown);
    if (!grown) return task_error(t, KILN_ENOMEM, "out of memory");
    s->runs = grown;
    run *r = &s->runs[s->nruns];
    *r = (run){.fd = -1};
    spill_path(t->ctx, "run", r->path);
    int fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return task_error(t, KILN_EIO, "cannot create spill file %s: %s", r->path, strerror(errno));
    s->nruns++;
    kiln_buf raw, blocks;
    kiln_buf_init(&raw);
    kiln_buf_init(&blocks);
    for (size_t i = 0; i < s->recs.n && rc == KILN_OK; i++) {
        rc = values_file_add(fd, r->path, &raw, &blocks, &s->recs.v[i], i + 1 == s->recs.n);
    }
    off_t size = lseek(fd, 0, SEEK_END);
    r->end = size > 0 ? (uint64_t)size : 0;
    if (close(fd) != 0 && rc == KILN_OK)
        rc = kiln_set_error(KILN_EIO, "cannot write %s: %s", r->path, strerror(errno));
    kiln_buf_release(&raw);
    kiln_buf_release(&blocks);
    if (rc) return task_error(t, rc, "%s", kiln_last_error());
    LOG(LOG_DEBUG, "sort", "task %d spilled a run of %zu records", t->partition, s->recs.n);
    task_note_spill(t->ctx, t, (int64_t)kiln_arena_bytes(s->arena));
    task_note_spill_disk(t, (int64_t)r->end);
    /* The array goes too: its capacity counts, and would keep the sorter
     * over its limit. */
    val_vec_release(&s->recs);
    kiln_arena_reset(s->arena);
    return KILN_OK;
}

/* Memory the records need: the arena, their array, and the two arrays of
 * items that sorting them takes (ours and qsort's merge buffer). */
static int64_t records_bytes(const sorter *s)
{
    return (int64_t)(kiln_arena_bytes(s->arena) +
                     s->recs.cap * (sizeof(kiln_value) + 2 * sizeof(sort_item)));
}

/* Spills the records past the task's share and keeps the budget's count. */
static int account(sorter *s)
{
    kiln_context *ctx = s->t->ctx;
    int64_t held = records_bytes(s);
    if (held > s->limit && s->recs.n > 0) {
        int rc = spill_run(s);
        if (rc) return rc;
        held = records_bytes(s);
    }
    if (held > s->accounted) mem_reserve(ctx, held - s->accounted);
    else mem_release(ctx, s->accounted - held);
    s->accounted = held;
    s->arena_checked = (int64_t)kiln_arena_bytes(s->arena);
    return KILN_OK;
}

int sorter_push(sorter *s, const kiln_value *pair)
{
    if (!kiln_is_pair(pair))
        return task_error(s->t, KILN_ETYPE, "sort_by_key expects (key, value) pairs");
    if (val_vec_push(&s->recs, pair)) return task_error(s->t, KILN_ENOMEM, "out of memory");
    /* Checking every record would cost more than it saves; but big records
     * (up to KILN_MAX_RECORD each) are checked once they add up to 1 MiB,
     * not 1024 of them later. */
    bool grown = (int64_t)kiln_arena_bytes(s->arena) - s->arena_checked >= (1 << 20);
    return (s->recs.n & 1023) == 0 || grown ? account(s) : KILN_OK;
}

/* Loads run r's next record into its head; has_head false at its end. */
static int run_advance(sorter *s, run *r)
{
    r->has_head = false;
    if (r->pos >= r->raw.len) {
        if (r->off >= r->end) return KILN_OK;
        /* Read one block: its header says how long it is. */
        if (kiln_buf_reserve(&r->frame, BLOCK_HEADER))
            return task_error(s->t, KILN_ENOMEM, "out of memory reading spill file %s", r->path);
        if (io_pread_full(r->fd, r->frame.data, BLOCK_HEADER, (int64_t)r->off, KILN_EIO, r->path))
            return task_error(s->t, KILN_EIO, "%s (spill file)", kiln_last_error());
        size_t size = block_framed_size(r->frame.data);
        if (size < BLOCK_HEADER || size > r->end - r->off)
            return task_error(s->t, KILN_ECORRUPT, "damaged spill file %s", r->path);
        if (kiln_buf_reserve(&r->frame, size))
            return task_error(s->t, KILN_ENOMEM, "out of memory reading spill file %s", r->path);
        if (io_pread_full(r->fd, r->frame.data, size, (int64_t)r->off, KILN_EIO, r->path))
            return task_error(s->t, KILN_EIO, "%s (spill file)", kiln_last_error());
        size_t used;
        if (block_decode(r->frame.data, size, &used, &r->raw))
            return task_error(s->t, KILN_ECORRUPT, "damaged spill file %s: %s", r->path,
                              kiln_last_error());
        r->off += size;
        r->pos = 0;
        kiln_arena_reset(r->arena);
    }
    size_t used;
    if (kiln_value_decode(r->arena, r->raw.data + r->pos, r->raw.len - r->pos, &r->head, &used))
        return task_error(s->t, KILN_ECORRUPT, "damaged spill file %s", r->path);
    r->pos += used;
    r->has_head = true;
    return KILN_OK;
}

/* The current head of source i (a run, or the in-memory records). */
static const kiln_value *head_of(sorter *s, size_t i)
{
    return i < s->nruns ? &s->runs[i].head : &s->recs.v[s->mem_pos];
}

/* Whether source a's head comes before source b's (ties: lower source). */
static bool before(sorter *s, size_t a, size_t b)
{
    int c = kiln_value_cmp(kiln_key(head_of(s, a)), kiln_key(head_of(s, b)));
    if (s->descending) c = -c;
    return c < 0 || (c == 0 && a < b);
}

static void sift_down(sorter *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->nheap && before(s, s->heap[l], s->heap[m])) m = l;
        if (r < s->nheap && before(s, s->heap[r], s->heap[m])) m = r;
        if (m == i) return;
        size_t tmp = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = tmp;
        i = m;
    }
}

/* Opens run r for reading and loads its first record. */
static int open_run(sorter *s, run *r)
{
    r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0 || !(r->arena = kiln_arena_new()))
        return task_error(s->t, KILN_EIO, "cannot open spill file %s", r->path);
    kiln_buf_init(&r->frame);
    kiln_buf_init(&r->raw);
    r->pos = 0;
    return run_advance(s, r);
}

/* Closes run r and removes its file. */
static void close_run(run *r)
{
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
    unlink(r->path);
    kiln_buf_release(&r->frame);
    kiln_buf_release(&r->raw);
    kiln_arena_free(r->arena);
    r->arena = NULL;
}

/* Removes and returns the smallest head's source; advances that source.
 * *v is its record, valid until the source is advanced again. */
static int pop_head(sorter *s, kiln_value *v, kiln_arena *into)
{
    size_t src = s->heap[0];
    if (kiln_value_copy(into, head_of(s, src), v))
        return task_error(s->t, KILN_ENOMEM, "out of memory");
    bool more;
    if (src < s->nruns) {
        int rc = run_advance(s, &s->runs[src]);
        if (rc) return rc;
        more = s->runs[src].has_head;
    } else {
        more = ++s->mem_pos < s->recs.n;
    }
    if (!more) s->heap[0] = s->heap[--s->nheap];
    if (s->nheap) sift_down(s, 0);
    return KILN_OK;
}

/* Merges runs [0, k) into one run that takes their place: it comes first,
 * as they did, so equal keys keep their order. */
static int merge_first_runs(sorter *s, size_t k)
{
    kiln_task *t = s->t;
    run out = {.fd = -1};
    spill_path(t->ctx, "run", out.path);
    int fd = open(out.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return task_error(t, KILN_EIO, "cannot create spill file %s: %s", out.path,
                          strerror(errno));
    int rc = KILN_OK;
    s->nheap = 0;
    for (size_t i = 0; i < k && rc == KILN_OK; i++)
        if ((rc = open_run(s, &s->runs[i])) == KILN_OK && s->runs[i].has_head)
            s->heap[s->nheap++] = i;
    for (size_t i = s->nheap; i-- > 0;) sift_down(s, i);
    kiln_buf raw, blocks;
    kiln_buf_init(&raw);
    kiln_buf_init(&blocks);
    kiln_arena *tmp = kiln_arena_new();
    if (!tmp) rc = task_error(t, KILN_ENOMEM, "out of memory");
    while (rc == KILN_OK && s->nheap > 0) {
        kiln_value v;
        kiln_arena_reset(tmp);
        if ((rc = pop_head(s, &v, tmp))) break;
        rc = values_file_add(fd, out.path, &raw, &blocks, &v, false);
        if (rc) rc = task_error(t, rc, "%s", kiln_last_error());
    }
    if (rc == KILN_OK && (rc = values_file_append(fd, out.path, &raw, &blocks, true)))
        rc = task_error(t, rc, "%s", kiln_last_error());
    off_t size = lseek(fd, 0, SEEK_END);
    out.end = size > 0 ? (uint64_t)size : 0;
    if (close(fd) != 0 && rc == KILN_OK)
        rc = task_error(t, KILN_EIO, "cannot write %s: %s", out.path, strerror(errno));
    kiln_buf_release(&raw);
    kiln_buf_release(&blocks);
    kiln_arena_free(tmp);
    for (size_t i = 0; i < k; i++) close_run(&s->runs[i]);
    s->runs[0] = out;
    memmove(&s->runs[1], &s->runs[k], (s->nruns - k) * sizeof *s->runs);
    s->nruns -= k - 1;
    s->nheap = 0;
    if (rc) return rc;
    atomic_fetch_add(&t->ctx->merge_passes, 1);
    LOG(LOG_DEBUG, "sort", "task %d merged %zu runs into one (%zu left)", t->partition, k,
        s->nruns);
    return KILN_OK;
}

int sorter_finish(sorter *s)
{
    /* As many runs as the limit can read at once, at least two. */
    size_t fan_in = s->limit / RUN_READ_BYTES > 2 ? (size_t)(s->limit / RUN_READ_BYTES) : 2;
    int rc;
    if (s->nruns > 0 && s->nruns + (s->recs.n > 0) > fan_in) {
        if (s->recs.n > 0 && (rc = spill_run(s))) return rc;
        if (!(s->heap = malloc(sizeof *s->heap * (s->nruns + 1))))
            return task_error(s->t, KILN_ENOMEM, "out of memory");
        while (s->nruns > fan_in)
            if ((rc = merge_first_runs(s, fan_in))) return rc;
        if ((rc = account(s))) return rc;
    }
    if ((rc = sort_memory(s)) || s->nruns == 0) return rc;
    if (!s->heap && !(s->heap = malloc(sizeof *s->heap * (s->nruns + 1))))
        return task_error(s->t, KILN_ENOMEM, "out of memory");
    int64_t reading = 0;
    for (size_t i = 0; i < s->nruns; i++) {
        run *r = &s->runs[i];
        if ((rc = open_run(s, r))) return rc;
        if (r->has_head) s->heap[s->nheap++] = i;
        reading += (int64_t)(r->frame.cap + r->raw.cap + kiln_arena_bytes(r->arena));
    }
    mem_track(s->t->ctx, &s->merge_accounted, reading);
    if (s->recs.n) s->heap[s->nheap++] = s->nruns;
    for (size_t i = s->nheap; i-- > 0;) sift_down(s, i);
    return KILN_OK;
}

int sorter_next(sorter *s, const kiln_value **vals, size_t *n)
{
    if (s->nruns == 0) { /* everything fitted: hand out the sorted array */
        if (s->mem_pos >= s->recs.n) return 0;
        size_t k = s->recs.n - s->mem_pos < ENG_BATCH ? s->recs.n - s->mem_pos : ENG_BATCH;
        *vals = s->recs.v + s->mem_pos;
        *n = k;
        s->mem_pos += k;
        return 1;
    }
    kiln_arena_reset(s->out_arena);
    s->out.n = 0;
    while (s->out.n < ENG_BATCH && s->nheap > 0) {
        kiln_value v; /* copied: the run's arena is reset when it loads its next block */
        int rc = pop_head(s, &v, s->out_arena);
        if (rc) return rc;
        if (val_vec_push(&s->out, &v)) return task_error(s->t, KILN_ENOMEM, "out of memory");
    }
    *vals = s->out.v;
    *n = s->out.n;
    return s->out.n > 0;
}

void sorter_free(sorter *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nruns; i++) close_run(&s->runs[i]);
    mem_release(s->t->ctx, s->accounted + s->merge_accounted);
    free(s->runs);
    free(s->heap);
    val_vec_release(&s->recs);
    val_vec_release(&s->out);
    kiln_arena_free(s->arena);
    kiln_arena_free(s->out_arena);
    free(s);
}
