/*
 * engine/block_store.c - cached partitions of persisted RDDs.
 *
 * A block is one partition of one RDD, kept as values (MEMORY_ONLY), as their
 * encoding (MEMORY_ONLY_SER), or in a file of compressed blocks under the
 * context's scratch directory (DISK_ONLY, and MEMORY_AND_DISK once evicted).
 * Blocks in memory count against the storage half of kiln.executor.memory;
 * to make room, the least recently used blocks that no task is reading are
 * evicted: MEMORY_AND_DISK blocks move to disk, the others are dropped and
 * computed again from lineage when next needed. A block larger than the whole
 * storage share is not kept in memory at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "io/io.h"

typedef enum where { IN_MEMORY, IN_MEMORY_SER, ON_DISK } where;

typedef struct block {
    int rdd, part;
    kiln_storage_level level;
    where at;
    kiln_arena *arena; /* IN_MEMORY */
    kiln_value *vals;
    size_t n;
    kiln_buf bytes; /* IN_MEMORY_SER: the values' encodings, back to back */
    char *path;     /* ON_DISK */
    int64_t size;   /* memory held (0 on disk) */
    uint64_t used;  /* last use, for LRU */
    int pins;       /* iterators reading it */
    bool keep_file; /* a checkpoint file: read, never deleted */
} block;

struct block_store {
    pthread_mutex_t lock;
    block **b;
    size_t n, cap;
    int64_t held, limit;
    uint64_t clock;
};

block_store *block_store_new(int64_t limit)
{
    block_store *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    pthread_mutex_init(&s->lock, NULL);
    s->limit = limit;
    return s;
}

static void block_free(block *b)
{
    kiln_arena_free(b->arena);
    free(b->vals);
    kiln_buf_release(&b->bytes);
    if (b->path && !b->keep_file) unlink(b->path);
    free(b->path);
    free(b);
}

void block_store_free(block_store *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) block_free(s->b[i]);
    free(s->b);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Caller holds the lock. */
static size_t find(block_store *s, int rdd, int part)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->b[i]->rdd == rdd && s->b[i]->part == part) return i;
    return s->n;
}

static eng_iter *open_block(kiln_context *ctx, block *b, kiln_task *t, bool owned);

/* Writes raw's records as blocks once they fill one, or when last; the
 * record at raw[rec] (if any) gets a block of its own when it is big. */
static int values_file_flush(int fd, const char *path, kiln_buf *raw, kiln_buf *enc, size_t rec,
                             bool last)
{
    if (raw->len < BLOCK_RAW_MAX && !(last && raw->len)) return KILN_OK;
    enc->len = 0;
    int rc = block_encode_pending(CODEC_LZ4, raw, rec, enc);
    if (rc == KILN_OK) rc = io_write_full(fd, enc->data, enc->len, path);
    if (enc->cap > 4 * BLOCK_RAW_MAX) kiln_buf_release(enc); /* a big record's block */
    return rc;
}

int values_file_append(int fd, const char *path, kiln_buf *raw, kiln_buf *enc, bool last)
{
    return values_file_flush(fd, path, raw, enc, raw->len, last);
}

int values_file_add(int fd, const char *path, kiln_buf *raw, kiln_buf *enc, const kiln_value *v,
                    bool last)
{
    size_t before = raw->len;
    int rc = kiln_value_encode(raw, v);
    if (rc == KILN_OK && (rc = block_check_record(raw->len - before)) != KILN_OK) raw->len = before;
    return rc ? rc : values_file_flush(fd, path, raw, enc, before, last);
}

eng_iter *values_file_iterator(kiln_context *ctx, const char *path, kiln_task *t)
{
    block *b = calloc(1, sizeof *b);
    if (!b || !(b->path = strdup(path))) {
        free(b);
        task_error(t, KILN_ENOMEM, "out of memory");
        return NULL;
    }
    b->at = ON_DISK;
    b->keep_file = true;
    return open_block(ctx, b, t, true);
}

/* Encodes vals[0..n) into lz4 blocks in a new file; returns its path. */
static int write_disk(kiln_context *ctx, const kiln_value *vals, size_t n, char **path_out)
{
    char path[4096];
    spill_path(ctx, "block", path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return kiln_set_error(KILN_EIO, "cannot create %s: %s", path, strerror(errno));
    kiln_buf raw, enc;
    kiln_buf_init(&raw);
    kiln_buf_init(&enc);
    int rc = KILN_OK;
    for (size_t i = 0; i < n && rc == KILN_OK; i++) {
        rc = values_file_add(fd, path, &raw, &enc, &vals[i], i + 1 == n);
    }
    if (close(fd) != 0 && rc == KILN_OK)
        rc = kiln_set_error(KILN_EIO, "cannot write %s: %s", path, strerror(errno));
    kiln_buf_release(&raw);
    kiln_buf_release(&enc);
    if (rc == KILN_OK && !(*path_out = strdup(path))) rc = KILN_ENOMEM;
    if (rc) unlink(path);
    return rc;
}

/* Writes an in-memory block's values to disk and frees them. */
static int move_to_disk(kiln_context *ctx, block *b)
{
    int rc = write_disk(ctx, b->vals, b->n, &b->path);
    if (rc) return rc;
    kiln_arena_free(b->arena);
    free(b->vals);
    b->arena = NULL;
    b->vals = NULL;
    b->at = ON_DISK;
    b->size = 0;
    return KILN_OK;
}

/* Makes room for `need` bytes by evicting unpinned blocks, oldest first.
 * Caller holds the lock; disk writes happen under it (evictions are rare). */
static void make_room(kiln_context *ctx, block_store *s, int64_t need)
{
    while (s->held + need > s->limit) {
        block *victim = NULL;
        size_t vi = 0;
        for (size_t i = 0; i < s->n; i++) {
            block *b = s->b[i];
            if (b->at != ON_DISK && b->pins == 0 && (!victim || b->used < victim->used)) {
                victim = b;
                vi = i;
            }
        }
        if (!victim) return;
        int64_t size = victim->size;
        s->held -= size;
        mem_release(ctx, size);
        if (victim->level == KILN_MEMORY_AND_DISK && victim->at == IN_MEMORY &&
            move_to_disk(ctx, victim) == KILN_OK) {
            LOG(LOG_INFO, "storage", "moved block rdd_%d_%d to disk", victim->rdd, victim->part);
            mem_note_spill(ctx, size);
            continue;
        }
        LOG(LOG_INFO, "storage", "dropped block rdd_%d_%d", victim->rdd, victim->part);
        s->b[vi] = s->b[--s->n];
        block_free(victim);
    }
}

/* ---- Reading a block ------------------------------------------------------ */

typedef struct block_iter {
    eng_iter base;
    kiln_context *ctx;
    block *b;   /* pinned */
    size_t pos; /* IN_MEMORY: next value; SER: next byte */
    int fd;     /* ON_DISK */
    uint64_t off;
    kiln_buf frame, raw; /* ON_DISK: one block */
    size_t rpos;
    kiln_arena *arena; /* decoded batch */
    val_vec out;
    bool owned; /* a block not kept by the store: freed at close */
} block_iter;

/* Decodes values from p[*pos..n) into the batch until it is full. */
static int decode_into(block_iter *it, kiln_task *t, const uint8_t *p, size_t n, size_t *pos)
{
    while (*pos < n && it->out.n < ENG_BATCH) {
        kiln_value v;
        size_t used;
        if (kiln_value_decode(it->arena, p + *pos, n - *pos, &v, &used) ||
            val_vec_push(&it->out, &v))
            return task_error(t, KILN_ECORRUPT, "damaged cached block: %s", kiln_last_error());
        *pos += used;
    }
    return KILN_OK;
}

static int block_next(eng_iter *base, kiln_task *t, const kiln_value **vals, size_t *n)
{
    block_iter *it = (block_iter *)base;
    block *b = it->b;
    if (b->at == IN_MEMORY) {
        if (it->pos >= b->n) return 0;
        size_t k = b->n - it->pos < ENG_BATCH ? b->n - it->pos : ENG_BATCH;
        *vals = b->vals + it->pos;
        *n = k;
        it->pos += k;
        return 1;
    }
    kiln_arena_reset(it->arena);
    it->out.n = 0;
    int rc = KILN_OK;
    if (b->at == IN_MEMORY_SER) {
        rc = decode_into(it, t, b->bytes.data, b->bytes.len, &it->pos);
    } else {
        while (rc == KILN_OK && it->out.n < ENG_BATCH) {
            if (it->rpos >= it->raw.len) {
                uint8_t h[BLOCK_HEADER];
                ssize_t got = io_pread(it->fd, h, BLOCK_HEADER, it->off);
                if (got == 0) break;
                if (got < 0)
                    return task_error(t, KILN_EIO, "cannot read cached block %s: %s", b->path,
                                      strerror(errno));
                size_t size = got == BLOCK_HEADER ? block_framed_size(h) : 0;
                size_t used;
                if (size < BLOCK_HEADER)
                    return task_error(t, KILN_ECORRUPT, "damaged cached block %s", b->path);
                if (kiln_buf_reserve(&it->frame, size))
                    return task_error(t, KILN_ENOMEM, "out of memory reading cached block %s",
                                      b->path);
                got = io_pread(it->fd, it->frame.data, size, it->off);
                if (got < 0)
                    return task_error(t, KILN_EIO, "cannot read cached block %s: %s", b->path,
                                      strerror(errno));
                if (got != (ssize_t)size || block_decode(it->frame.data, size, &used, &it->raw))
                    return task_error(t, KILN_ECORRUPT, "damaged cached block %s", b->path);
                it->off += size;
                it->rpos = 0;
            }
            rc = decode_into(it, t, it->raw.data, it->raw.len, &it->rpos);
        }
    }
    if (rc) return rc;
    *vals = it->out.v;
    *n = it->out.n;
    return it->out.n > 0;
}

static void block_close(eng_iter *base)
{
    block_iter *it = (block_iter *)base;
    if (it->fd >= 0) close(it->fd);
    if (it->owned) {
        block_free(it->b);
    } else {
        block_store *s = it->ctx->blocks;
        pthread_mutex_lock(&s->lock);
        it->b->pins--;
        pthread_mutex_unlock(&s->lock);
    }
    kiln_buf_release(&it->frame);
    kiln_buf_release(&it->raw);
    kiln_arena_free(it->arena);
    val_vec_release(&it->out);
    free(it);
}

/* An iterator over b, which the caller has pinned (or owns: owned). */
static eng_iter *open_block(kiln_context *ctx, block *b, kiln_task *t, bool owned)
{
    block_iter *it = calloc(1, sizeof *it);
    if (!it || !(it->arena = kiln_arena_new())) {
        free(it);
        task_error(t, KILN_ENOMEM, "out of memory");
        return NULL;
    }
    it->base.next = block_next;
    it->base.close = block_close;
    it->ctx = ctx;
    it->b = b;
    it->fd = -1;
    it->owned = owned;
    if (b->at == ON_DISK && (it->fd = open(b->path, O_RDONLY | O_CLOEXEC)) < 0) {
        task_error(t, KILN_EIO, "cannot open cached block %s: %s", b->path, strerror(errno));
        block_close(&it->base);
        return NULL;
    }
    return &it->base;
}

eng_iter *block_store_get(kiln_context *ctx, int rdd, int part, kiln_task *t, bool *hit)
{
    block_store *s = ctx->blocks;
    pthread_mutex_lock(&s->lock);
    size_t i = find(s, rdd, part);
    block *b = i < s->n ? s->b[i] : NULL;
    if (b) {
        b->pins++;
        b->used = ++s->clock;
    }
    pthread_mutex_unlock(&s->lock);
    *hit = b != NULL;
    return b ? open_block(ctx, b, t, false) : NULL;
}

eng_iter *block_store_put(kiln_context *ctx, int rdd, int part, kiln_storage_level level,
                          kiln_arena *arena, val_vec *vv, kiln_task *t)
{
    block_store *s = ctx->blocks;
    block *b = calloc(1, sizeof *b);
    if (!b) {
        task_error(t, KILN_ENOMEM, "out of memory");
        return NULL;
    }
    *b = (block){.rdd = rdd, .part = part, .level = level, .at = IN_MEMORY};
    int rc = KILN_OK;
    if (level == KILN_MEMORY_ONLY_SER) {
        for (size_t i = 0; i < vv->n && rc == KILN_OK; i++)
            rc = kiln_value_encode(&b->bytes, &vv->v[i]);
        b->at = IN_MEMORY_SER;
        b->size = (int64_t)b->bytes.cap;
        kiln_arena_free(arena);
        val_vec_release(vv);
    } else if (level == KILN_DISK_ONLY) {
        rc = write_disk(ctx, vv->v, vv->n, &b->path);
        b->at = ON_DISK;
        kiln_arena_free(arena);
        val_vec_release(vv);
    } else {
        b->arena = arena;
        b->vals = vv->v;
        b->n = vv->n;
        b->size = (int64_t)(kiln_arena_bytes(arena) + vv->cap * sizeof(kiln_value));
        *vv = (val_vec){0};
    }
    if (rc) {
        task_error(t, rc, "caching partition %d of RDD %d: %s", part, rdd, kiln_last_error());
        block_free(b);
        return NULL;
    }
    pthread_mutex_lock(&s->lock);
    size_t existing = find(s, rdd, part);
    bool keep = existing == s->n; /* another attempt may have cached it first */
    if (keep && b->at != ON_DISK) {
        if (b->size <= s->limit) make_room(ctx, s, b->size);
        if (s->held + b->size > s->limit) {
            /* No room (larger than storage, or the rest is being read):
             * disk if allowed, else not cached. */
            keep = false;
            if (level == KILN_MEMORY_AND_DISK && move_to_disk(ctx, b) == KILN_OK) keep = true;
        }
    }
    block *serve = b;
    if (keep) {
        if (grow_for_one((void **)&s->b, s->n, &s->cap, sizeof *s->b, 64) == KILN_OK) {
            s->b[s->n++] = b;
            s->held += b->size;
            mem_reserve(ctx, b->size);
        } else {
            keep = false;
        }
    } else if (existing < s->n) {
        serve = s->b[existing];
    }
    if (serve != b || keep) {
        serve->pins++;
        serve->used = ++s->clock;
    }
    pthread_mutex_unlock(&s->lock);
    if (serve == b && !keep) return open_block(ctx, b, t, true); /* served once, not cached */
    if (serve != b) block_free(b);
    return open_block(ctx, serve, t, false);
}

void block_store_drop_rdd(kiln_context *ctx, int rdd)
{
    block_store *s = ctx->blocks;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n;) {
        block *b = s->b[i];
        if (b->rdd != rdd || b->pins > 0) {
            i++;
            continue;
        }
        s->held -= b->size;
        mem_release(ctx, b->size);
        s->b[i] = s->b[--s->n];
        block_free(b);
    }
    pthread_mutex_unlock(&s->lock);
}

int block_store_count(kiln_context *ctx, int rdd, int64_t *memory, int64_t *disk)
{
    block_store *s = ctx->blocks;
    int n = 0;
    if (memory) *memory = 0;
    if (disk) *disk = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++) {
        if (s->b[i]->rdd != rdd) continue;
        n++;
        if (s->b[i]->at == ON_DISK) {
            if (disk) (*disk)++;
        } else if (memory) {
            *memory += s->b[i]->size;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

bool block_store_has(kiln_context *ctx, int rdd, int part)
{
    block_store *s = ctx->blocks;
    pthread_mutex_lock(&s->lock);
    bool has = find(s, rdd, part) < s->n;
    pthread_mutex_unlock(&s->lock);
    return has;
}

bool block_store_size(kiln_context *ctx, int rdd, int part, int64_t *memory, int64_t *disk)
{
    block_store *s = ctx->blocks;
    *memory = *disk = 0;
    pthread_mutex_lock(&s->lock);
    size_t i = find(s, rdd, part);
    bool has = i < s->n;
    char *path = NULL;
    if (has && s->b[i]->at == ON_DISK) path = s->b[i]->path ? strdup(s->b[i]->path) : NULL;
    else if (has) *memory = s->b[i]->size;
    pthread_mutex_unlock(&s->lock);
    struct stat st;
    if (path && stat(path, &st) == 0) *disk = (int64_t)st.st_size;
    free(path);
    return has;
}

int block_store_encode(kiln_context *ctx, int rdd, int part, kiln_buf *out)
{
    kiln_task t = {.ctx = ctx, .job = -1, .partition = part, .fetch_shuffle = -1, .fetch_map = -1};
    bool hit;
    eng_iter *it = block_store_get(ctx, rdd, part, &t, &hit);
    int rc = KILN_OK;
    if (!hit) {
        rc = kiln_set_error(KILN_ENOENT, "partition %d of RDD %d is not cached here", part, rdd);
    } else if (!it) {
        rc = kiln_set_error(KILN_EIO, "%s", t.error ? t.error : "cannot read a cached block");
    } else {
        const kiln_value *vals;
        size_t n;
        while ((rc = it->next(it, &t, &vals, &n)) > 0) {
            rc = KILN_OK;
            for (size_t i = 0; i < n && rc == KILN_OK; i++) rc = kiln_value_encode(out, &vals[i]);
            if (rc) break;
        }
        if (rc < 0 && t.error) kiln_set_error(rc, "%s", t.error);
        it->close(it);
    }
    free(t.error);
    return rc < 0 ? rc : KILN_OK;
}
