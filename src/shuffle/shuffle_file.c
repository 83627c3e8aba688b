/*
 * shuffle/shuffle_file.c - the shuffle store on local disk.
 *
 * A writer packs each reduce partition's encoded records into blocks of
 * about BLOCK_RAW_MAX bytes, compressing each full block at once, and on
 * commit writes shuffle_<id>_<map>.data (every partition's blocks, in
 * partition order) and shuffle_<id>_<map>.index (where each partition's
 * segment starts), under temporary names renamed into place. Readers read the
 * index, then their segment, and check every block's checksum. Format:
 * docs/formats/shuffle.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "io/io.h"
#include "shuffle/shuffle.h"

static const uint8_t INDEX_MAGIC[4] = {'K', 'S', 'I', '1'};

typedef struct shuffle_entry {
    int id, nmaps, nreduce;
    bool *done;     /* per map: output committed */
    kiln_buf **mem; /* per map: its segments held in memory (nreduce), or NULL: files */
} shuffle_entry;

struct shuffle_store {
    pthread_mutex_t lock;
    char *dir;
    block_codec codec;
    shuffle_entry *e;
    size_t n, cap;
    uint64_t attempts;        /* unique temporary names */
    shuffle_remote_fn remote; /* map outputs not held here (cluster mode) */
    void *remote_arg;
    size_t mem_limit;       /* bytes of map outputs that may be held in memory */
    atomic_size_t mem_used; /* held now (changed under lock, read without) */
};

/* Blocks moved to disk to free memory: the per-partition offsets into the
 * spill file (nreduce + 1 of them). */
typedef struct spill {
    char *path;
    uint64_t *off;
} spill;

struct shuffle_writer {
    shuffle_store *s;
    int id, map, nreduce;
    kiln_buf *raw;           /* per reduce: records not yet in a block */
    kiln_buf *comp;          /* per reduce: finished blocks */
    size_t held;             /* bytes in raw and comp */
    uint64_t records, bytes; /* added so far, and their encodings' bytes */
    spill *spills;
    size_t nspills;
    uint64_t spilled; /* bytes written to spill files */
};

static void data_path(const shuffle_store *s, int id, int map, char *out, size_t n, const char *ext)
{
    snprintf(out, n, "%s/shuffle_%d_%d.%s", s->dir, id, map, ext);
}

shuffle_store *shuffle_store_new(const char *dir, block_codec codec)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        kiln_set_error(KILN_EIO, "cannot create shuffle directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    shuffle_store *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(dir))) {
        free(s);
        kiln_set_error(KILN_ENOMEM, "out of memory");
        return NULL;
    }
    s->codec = codec;
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

static shuffle_entry *find(shuffle_store *s, int id);

void shuffle_store_set_memory(shuffle_store *s, size_t limit)
{
    s->mem_limit = limit;
}

/* Frees map output m's segments held in memory. Caller holds the lock. */
static void drop_mem(shuffle_store *s, shuffle_entry *e, int m)
{
    if (!e->mem || !e->mem[m]) return;
    for (int r = 0; r < e->nreduce; r++) {
        s->mem_used -= e->mem[m][r].cap;
        kiln_buf_release(&e->mem[m][r]);
    }
    free(e->mem[m]);
    e->mem[m] = NULL;
}

void shuffle_store_set_remote(shuffle_store *s, shuffle_remote_fn fn, void *arg)
{
    s->remote = fn;
    s->remote_arg = arg;
}

void shuffle_mark_done(shuffle_store *s, int id, int map)
{
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    if (e && map >= 0 && map < e->nmaps) e->done[map] = true;
    pthread_mutex_unlock(&s->lock);
}

void shuffle_store_free(shuffle_store *s)
{
    if (!s) return;
    (void)io_remove_tree(s->dir);
    for (size_t i = 0; i < s->n; i++) {
        for (int m = 0; m < s->e[i].nmaps; m++) drop_mem(s, &s->e[i], m);
        free(s->e[i].mem);
        free(s->e[i].done);
    }
    free(s->e);
    free(s->dir);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Caller holds the lock. */
static shuffle_entry *find(shuffle_store *s, int id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->e[i].id == id) return &s->e[i];
    return NULL;
}

int shuffle_register(shuffle_store *s, int id, int nmaps, int nreduce)
{
    int rc = KILN_OK;
    pthread_mutex_lock(&s->lock);
    if (!find(s, id)) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 8;
            shuffle_entry *e = realloc(s->e, cap * sizeof *e);
            if (!e) {
                rc = KILN_ENOMEM;
                goto out;
            }
            s->e = e;
            s->cap = cap;
        }
        bool *done = calloc((size_t)nmaps + 1, sizeof *done);
        if (!done) {
            rc = KILN_ENOMEM;
            goto out;
        }
        kiln_buf **mem = s->mem_limit ? calloc((size_t)nmaps + 1, sizeof *mem) : NULL;
        if (s->mem_limit && !mem) {
            free(done);
            rc = KILN_ENOMEM;
            goto out;
        }
        s->e[s->n++] = (shuffle_entry){
            .id = id, .nmaps = nmaps, .nreduce = nreduce, .done = done, .mem = mem};
    }
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int shuffle_missing(shuffle_store *s, int id, int *missing)
{
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    int n = 0;
    for (int m = 0; e && m < e->nmaps; m++)
        if (!e->done[m]) missing[n++] = m;
    pthread_mutex_unlock(&s->lock);
    return n;
}

bool shuffle_complete(shuffle_store *s, int id)
{
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    bool done = e != NULL;
    for (int m = 0; e && m < e->nmaps; m++) done = done && e->done[m];
    pthread_mutex_unlock(&s->lock);
    return done;
}

void shuffle_invalidate(shuffle_store *s, int id, int map)
{
    char path[4096];
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    if (e && map >= 0 && map < e->nmaps && e->done[map]) {
        e->done[map] = false;
        drop_mem(s, e, map);
        data_path(s, id, map, path, sizeof path, "data");
        unlink(path);
        data_path(s, id, map, path, sizeof path, "index");
        unlink(path);
    }
    pthread_mutex_unlock(&s->lock);
}

void shuffle_unregister(shuffle_store *s, int id)
{
    char path[4096];
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    if (e) {
        /* Files exist only for outputs committed here (an invalidated one
         * was deleted then). */
        for (int m = 0; m < e->nmaps; m++) {
            if (!e->done[m]) continue;
            if (e->mem && e->mem[m]) {
                drop_mem(s, e, m);
                continue;
            }
            data_path(s, id, m, path, sizeof path, "data");
            unlink(path);
            data_path(s, id, m, path, sizeof path, "index");
            unlink(path);
        }
        free(e->mem);
        free(e->done);
        *e = s->e[--s->n];
    }
    pthread_mutex_unlock(&s->lock);
}

size_t shuffle_count(shuffle_store *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->n;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* ---- Writer ------------------------------------------------------------------ */

shuffle_writer *shuffle_writer_open(shuffle_store *s, int id, int map)
{
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    int nreduce = e ? e->nreduce : 0;
    pthread_mutex_unlock(&s->lock);
    if (!e) {
        kiln_set_error(KILN_ESTATE, "shuffle %d is not registered", id);
        return NULL;
    }
    shuffle_writer *w = calloc(1, sizeof *w);
    if (w) {
        w->raw = calloc((size_t)nreduce + 1, sizeof *w->raw);
        w->comp = calloc((size_t)nreduce + 1, sizeof *w->comp);
    }
    if (!w || !w->raw || !w->comp) {
        if (w) {
            free(w->raw);
            free(w->comp);
        }
        free(w);
        kiln_set_error(KILN_ENOMEM, "out of memory");
        return NULL;
    }
    *w = (shuffle_writer){
        .s = s, .id = id, .map = map, .nreduce = nreduce, .raw = w->raw, .comp = w->comp};
    return w;
}

/* Compresses partition r's pending records into a block (two when the
 * record starting at raw[last] is big enough for a block of its own). */
static int seal_block(shuffle_writer *w, int r, size_t last)
{
    if (w->raw[r].len == 0) return KILN_OK;
    size_t before = w->comp[r].len, pending = w->raw[r].len;
    /* Blocks likely to stay in memory are not compressed; those that
     * would not fit go to files with the configured codec. */
    shuffle_store *s = w->s;
    block_codec codec = s->mem_limit && !w->nspills &&
                                atomic_load(&s->mem_used) + w->held < s->mem_limit
                            ? CODEC_NONE
                            : s->codec;
    int rc = block_encode_pending(codec, &w->raw[r], last, &w->comp[r]);
    w->held = w->held - pending + (w->comp[r].len - before);
    return rc;
}

int shuffle_writer_add(shuffle_writer *w, int reduce, const kiln_value *v)
{
    kiln_buf *raw = &w->raw[reduce];
    size_t before = raw->len;
    int rc = kiln_value_encode(raw, v);
    if (rc == KILN_OK && (rc = block_check_record(raw->len - before)) != KILN_OK)
        raw->len = before; /* refused: the record is not written */
    w->held += raw->len - before;
    if (rc == KILN_OK) {
        w->records++;
        w->bytes += raw->len - before;
    }
    if (rc == KILN_OK && raw->len >= BLOCK_RAW_MAX) rc = seal_block(w, reduce, before);
    return rc;
}

void shuffle_writer_stats(const shuffle_writer *w, uint64_t *records, uint64_t *bytes)
{
    *records = w->records;
    *bytes = w->bytes;
}

size_t shuffle_writer_held(const shuffle_writer *w)
{
    return w->held;
}

static int write_file(const char *path, const kiln_buf *pieces, int n);

int shuffle_writer_spill(shuffle_writer *w)
{
    int rc = KILN_OK;
    for (int r = 0; r < w->nreduce && rc == KILN_OK; r++) rc = seal_block(w, r, w->raw[r].len);
    spill *grown = rc ? NULL : realloc(w->spills, (w->nspills + 1) * sizeof *grown);
    if (!grown) return rc ? rc : KILN_ENOMEM;
    w->spills = grown;
    spill *sp = &w->spills[w->nspills];
    char path[4096];
    pthread_mutex_lock(&w->s->lock);
    uint64_t n = w->s->attempts++;
    pthread_mutex_unlock(&w->s->lock);
    snprintf(path, sizeof path, "%s/spill_%d_%llu.blocks", w->s->dir, (int)getpid(),
             (unsigned long long)n);
    sp->path = strdup(path);
    sp->off = calloc((size_t)w->nreduce + 1, sizeof *sp->off);
    if (!sp->path || !sp->off) {
        free(sp->path);
        free(sp->off);
        return KILN_ENOMEM;
    }
    w->nspills++;
    for (int r = 0; r < w->nreduce; r++) sp->off[r + 1] = sp->off[r] + w->comp[r].len;
    rc = write_file(path, w->comp, w->nreduce);
    if (rc) return rc;
    w->spilled += sp->off[w->nreduce];
    for (int r = 0; r < w->nreduce; r++) kiln_buf_release(&w->comp[r]);
    w->held = 0;
    return KILN_OK;
}

uint64_t shuffle_writer_spilled(const shuffle_writer *w)
{
    return w->spilled;
}

static void put64(uint8_t *p, uint64_t x)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(x >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--) x = x << 8 | p[i];
    return x;
}

/* Writes a whole file at path from the given pieces. */
static int write_file(const char *path, const kiln_buf *pieces, int n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return kiln_set_error(KILN_EIO, "cannot create %s: %s", path, strerror(errno));
    int rc = KILN_OK;
    for (int i = 0; i < n && rc == KILN_OK; i++)
        if (pieces[i].len) rc = io_write_full(fd, pieces[i].data, pieces[i].len, path);
    if (close(fd) != 0 && rc == KILN_OK)
        rc = kiln_set_error(KILN_EIO, "cannot write %s: %s", path, strerror(errno));
    return rc;
}

/* The size of partition r's segment: its spilled blocks and those held. */
static uint64_t segment_size(const shuffle_writer *w, int r)
{
    uint64_t n = w->comp[r].len;
    for (size_t k = 0; k < w->nspills; k++) n += w->spills[k].off[r + 1] - w->spills[k].off[r];
    return n;
}

/* Copies bytes [from, to) of the file at src_path to fd. */
static int copy_range(int fd, const char *path, const char *src_path, uint64_t from, uint64_t to,
                      kiln_buf *chunk)
{
    int in = open(src_path, O_RDONLY | O_CLOEXEC);
    if (in < 0) return kiln_set_error(KILN_EIO, "cannot open %s: %s", src_path, strerror(errno));
    int rc = kiln_buf_reserve(chunk, 1 << 20);
    while (rc == KILN_OK && from < to) {
        size_t want = to - from < (1u << 20) ? (size_t)(to - from) : (1u << 20);
        ssize_t got = io_pread(in, chunk->data, want, (int64_t)from);
        if (got <= 0) {
            rc = kiln_set_error(KILN_EIO, "cannot read %s: %s", src_path,
                                got < 0 ? strerror(errno) : "file too short");
            break;
        }
        rc = io_write_full(fd, chunk->data, (size_t)got, path);
        from += (uint64_t)got;
    }
    close(in);
    return rc;
}

/* Writes the data file: each partition's spilled segments in spill order,
 * then its blocks still in memory. */
static int write_data(shuffle_writer *w, const char *path)
{
    if (w->nspills == 0) return write_file(path, w->comp, w->nreduce);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return kiln_set_error(KILN_EIO, "cannot create %s: %s", path, strerror(errno));
    kiln_buf chunk;
    kiln_buf_init(&chunk);
    int rc = KILN_OK;
    for (int r = 0; r < w->nreduce && rc == KILN_OK; r++) {
        for (size_t k = 0; k < w->nspills && rc == KILN_OK; k++)
            rc = copy_range(fd, path, w->spills[k].path, w->spills[k].off[r],
                            w->spills[k].off[r + 1], &chunk);
        if (rc == KILN_OK && w->comp[r].len)
            rc = io_write_full(fd, w->comp[r].data, w->comp[r].len, path);
    }
    kiln_buf_release(&chunk);
    if (close(fd) != 0 && rc == KILN_OK)
        rc = kiln_set_error(KILN_EIO, "cannot write %s: %s", path, strerror(errno));
    return rc;
}

/* Builds the index: magic, count, nreduce + 1 offsets, checksum. */
static int build_index(shuffle_writer *w, kiln_buf *index)
{
    size_t n = 8 + 8 * ((size_t)w->nreduce + 1) + 8;
    if (kiln_buf_reserve(index, n)) return KILN_ENOMEM;
    uint8_t *p = index->data;
    memcpy(p, INDEX_MAGIC, 4);
    for (int i = 0; i < 4; i++) p[4 + i] = (uint8_t)((uint32_t)w->nreduce >> (8 * i));
    uint64_t off = 0;
    for (int r = 0; r <= w->nreduce; r++) {
        put64(p + 8 + 8 * (size_t)r, off);
        if (r < w->nreduce) off += segment_size(w, r);
    }
    put64(p + n - 8, XXH64(p, n - 8, 0));
    index->len = n;
    return KILN_OK;
}

/* Keeps w's blocks in memory as its map output when the store has room:
 * *kept says whether it did (then w's blocks belong to the store). */
static void commit_to_memory(shuffle_writer *w, bool *kept)
{
    shuffle_store *s = w->s;
    *kept = false;
    if (!s->mem_limit || w->nspills) return;
    size_t bytes = 0;
    for (int r = 0; r < w->nreduce; r++) bytes += w->comp[r].cap;
    kiln_buf *segs = calloc((size_t)w->nreduce + 1, sizeof *segs);
    if (!segs) return;
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, w->id);
    if (e && e->mem && !e->done[w->map] && s->mem_used + bytes <= s->mem_limit) {
        memcpy(segs, w->comp, sizeof *segs * (size_t)w->nreduce);
        for (int r = 0; r < w->nreduce; r++) kiln_buf_init(&w->comp[r]);
        e->mem[w->map] = segs;
        e->done[w->map] = true;
        s->mem_used += bytes;
        segs = NULL;
        *kept = true;
    } else if (e && e->done[w->map]) {
        *kept = true; /* another attempt committed first: nothing to publish */
    }
    pthread_mutex_unlock(&s->lock);
    free(segs);
}

int shuffle_writer_commit(shuffle_writer *w)
{
    shuffle_store *s = w->s;
    int rc = KILN_OK;
    for (int r = 0; r < w->nreduce && rc == KILN_OK; r++) rc = seal_block(w, r, w->raw[r].len);
    bool kept = false;
    if (rc == KILN_OK) commit_to_memory(w, &kept);
    if (kept) {
        shuffle_writer_abort(w);
        return KILN_OK;
    }
    kiln_buf index;
    kiln_buf_init(&index);
    if (rc == KILN_OK) rc = build_index(w, &index);

    char tmp_data[4096], tmp_index[4096], data[4096], idx[4096];
    pthread_mutex_lock(&s->lock);
    uint64_t attempt = s->attempts++;
    pthread_mutex_unlock(&s->lock);
    /* The process id too: executors of a local cluster share the directory. */
    snprintf(tmp_data, sizeof tmp_data, "%s/tmp_%d_%llu.data", s->dir, (int)getpid(),
             (unsigned long long)attempt);
    snprintf(tmp_index, sizeof tmp_index, "%s/tmp_%d_%llu.index", s->dir, (int)getpid(),
             (unsigned long long)attempt);
    if (rc == KILN_OK) rc = write_data(w, tmp_data);
    if (rc == KILN_OK) rc = write_file(tmp_index, &index, 1);
    kiln_buf_release(&index);

    if (rc == KILN_OK) {
        data_path(s, w->id, w->map, data, sizeof data, "data");
        data_path(s, w->id, w->map, idx, sizeof idx, "index");
        pthread_mutex_lock(&s->lock);
        shuffle_entry *e = find(s, w->id);
        if (e && !e->done[w->map]) {
            /* The data file first: an index never points at a missing file. */
            if (io_rename(tmp_data, data) != 0 || io_rename(tmp_index, idx) != 0)
                rc = kiln_set_error(KILN_EIO, "cannot publish shuffle output %s: %s", data,
                                    strerror(errno));
            else e->done[w->map] = true;
        }
        pthread_mutex_unlock(&s->lock);
    }
    unlink(tmp_data); /* no-ops once renamed */
    unlink(tmp_index);
    shuffle_writer_abort(w);
    return rc;
}

void shuffle_writer_abort(shuffle_writer *w)
{
    if (!w) return;
    for (size_t k = 0; k < w->nspills; k++) {
        unlink(w->spills[k].path);
        free(w->spills[k].path);
        free(w->spills[k].off);
    }
    free(w->spills);
    for (int r = 0; r < w->nreduce; r++) {
        kiln_buf_release(&w->raw[r]);
        kiln_buf_release(&w->comp[r]);
    }
    free(w->raw);
    free(w->comp);
    free(w);
}

/* ---- Reader ------------------------------------------------------------------ */

/* Reads n bytes at off of path into buf (replacing its content). */
static int read_at(const char *path, uint64_t off, size_t n, kiln_buf *buf)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return kiln_set_error(KILN_EFETCH, "cannot open %s: %s", path, strerror(errno));
    buf->len = 0;
    int rc = kiln_buf_reserve(buf, n + 1);
    if (rc == KILN_OK) rc = io_pread_full(fd, buf->data, n, (int64_t)off, KILN_EFETCH, path);
    close(fd);
    buf->len = rc == KILN_OK ? n : 0;
    return rc;
}

/* Finds segment r's byte range in the index of map output m. */
static int segment_of(shuffle_store *s, int id, int m, int r, int nreduce, uint64_t *start,
                      uint64_t *end)
{
    char path[4096];
    data_path(s, id, m, path, sizeof path, "index");
    kiln_buf idx;
    kiln_buf_init(&idx);
    size_t n = 8 + 8 * ((size_t)nreduce + 1) + 8;
    int rc = read_at(path, 0, n, &idx);
    if (rc == KILN_OK) {
        const uint8_t *p = idx.data;
        uint32_t count = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
                         (uint32_t)p[7] << 24;
        if (memcmp(p, INDEX_MAGIC, 4) != 0 || count != (uint32_t)nreduce ||
            XXH64(p, n - 8, 0) != get64(p + n - 8)) {
            rc = kiln_set_error(KILN_EFETCH, "damaged shuffle index %s", path);
        } else {
            *start = get64(p + 8 + 8 * (size_t)r);
            *end = get64(p + 8 + 8 * ((size_t)r + 1));
            if (*end < *start) rc = kiln_set_error(KILN_EFETCH, "damaged shuffle index %s", path);
        }
    }
    kiln_buf_release(&idx);
    return rc;
}

/* Whether map output m of shuffle id was committed into this store. */
static bool held_here(shuffle_store *s, int id, int m)
{
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    bool held = e && m >= 0 && m < e->nmaps && e->done[m];
    pthread_mutex_unlock(&s->lock);
    return held;
}

int shuffle_segment_locate(shuffle_store *s, int id, int map, int reduce, char *path, size_t size,
                           uint64_t *start, uint64_t *len)
{
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    int nreduce = e ? e->nreduce : 0;
    bool held = e && map >= 0 && map < e->nmaps && e->done[map];
    pthread_mutex_unlock(&s->lock);
    if (!held || reduce < 0 || reduce >= nreduce)
        return kiln_set_error(KILN_EFETCH,
                              "shuffle %d, map output %d, partition %d is not held here", id, map,
                              reduce);
    uint64_t end = 0;
    int rc = segment_of(s, id, map, reduce, nreduce, start, &end);
    if (rc == KILN_OK) {
        data_path(s, id, map, path, size, "data");
        *len = end - *start;
    }
    return rc;
}

/* Loads segment `reduce` of map output m into seg: from this store's files,
 * or through the remote hook when another process holds it (then *checked:
 * the hook has verified its checksums). *where names it for messages. */
static int load_segment(shuffle_store *s, int id, int m, int reduce, int nreduce, kiln_buf *seg,
                        uint64_t *start, char *where, size_t size, bool *checked)
{
    *start = 0;
    *checked = false;
    if (s->remote && !held_here(s, id, m)) {
        snprintf(where, size, "a remote map output");
        *checked = true;
        return s->remote(s->remote_arg, id, m, reduce, seg);
    }
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    const kiln_buf *mem = e && e->mem && m >= 0 && m < e->nmaps && e->mem[m] && reduce >= 0 &&
                                  reduce < e->nreduce
                              ? &e->mem[m][reduce]
                              : NULL;
    int rc = KILN_OK;
    if (mem) { /* copied under the lock: the output may be dropped after */
        seg->len = 0;
        rc = kiln_buf_append(seg, mem->data, mem->len);
    }
    pthread_mutex_unlock(&s->lock);
    if (mem) {
        snprintf(where, size, "shuffle %d, map output %d in memory", id, m);
        return rc;
    }
    uint64_t end = 0;
    data_path(s, id, m, where, size, "data");
    rc = segment_of(s, id, m, reduce, nreduce, start, &end);
    if (rc == KILN_OK) rc = read_at(where, *start, (size_t)(end - *start), seg);
    return rc;
}

int shuffle_read(shuffle_store *s, int id, int reduce,
                 int (*fn)(void *arg, const uint8_t *p, size_t n), void *arg, int *failed_map)
{
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    int nmaps = e ? e->nmaps : 0, nreduce = e ? e->nreduce : 0;
    pthread_mutex_unlock(&s->lock);
    kiln_buf seg, raw;
    kiln_buf_init(&seg);
    kiln_buf_init(&raw);
    int rc = KILN_OK;
    char path[4096];
    for (int m = 0; m < nmaps && rc == KILN_OK; m++) {
        uint64_t start = 0;
        bool checked;
        rc = load_segment(s, id, m, reduce, nreduce, &seg, &start, path, sizeof path, &checked);
        for (size_t off = 0; rc == KILN_OK && off < seg.len;) {
            size_t used;
            rc = checked ? block_decode_checked(seg.data + off, seg.len - off, &used, &raw)
                         : block_decode(seg.data + off, seg.len - off, &used, &raw);
            if (rc) {
                rc = kiln_set_error(KILN_EFETCH, "shuffle %d, map output %d: %s at byte %llu of %s",
                                    id, m, kiln_last_error(), (unsigned long long)(start + off),
                                    path);
                break;
            }
            off += used;
            rc = fn(arg, raw.data, raw.len);
        }
        if (rc == KILN_EFETCH) *failed_map = m;
    }
    kiln_buf_release(&seg);
    kiln_buf_release(&raw);
    return rc;
}

/* ---- Reading block by block ---------------------------------------------- */

struct shuffle_cursor {
    shuffle_store *s;
    int id, reduce, nmaps, nreduce;
    int map;          /* map output being read */
    kiln_buf seg;     /* its segment */
    size_t off;       /* next block in seg */
    bool checked;     /* seg's checksums were verified by the remote hook */
    kiln_buf raw;     /* the current block, decompressed */
    char where[4096]; /* seg's source, for messages (load_segment) */
};

shuffle_cursor *shuffle_cursor_open(shuffle_store *s, int id, int reduce)
{
    shuffle_cursor *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    c->nmaps = e ? e->nmaps : 0;
    c->nreduce = e ? e->nreduce : 0;
    pthread_mutex_unlock(&s->lock);
    c->s = s;
    c->id = id;
    c->reduce = reduce;
    c->map = -1;
    return c;
}

int shuffle_cursor_next(shuffle_cursor *c, const uint8_t **p, size_t *n, int *failed_map)
{
    while (c->map < 0 || c->off >= c->seg.len) {
        if (++c->map >= c->nmaps) return 0;
        uint64_t start;
        int rc = load_segment(c->s, c->id, c->map, c->reduce, c->nreduce, &c->seg, &start, c->where,
                              sizeof c->where, &c->checked);
        if (rc) {
            *failed_map = c->map;
            return rc;
        }
        c->off = 0;
    }
    size_t used;
    if ((c->checked ? block_decode_checked : block_decode)(c->seg.data + c->off,
                                                           c->seg.len - c->off, &used, &c->raw)) {
        *failed_map = c->map;
        return kiln_set_error(KILN_EFETCH, "shuffle %d, map output %d: %s in %s", c->id, c->map,
                              kiln_last_error(), c->where);
    }
    c->off += used;
    *p = c->raw.data;
    *n = c->raw.len;
    return 1;
}

void shuffle_cursor_close(shuffle_cursor *c)
{
    if (!c) return;
    kiln_buf_release(&c->seg);
    kiln_buf_release(&c->raw);
    free(c);
}

size_t shuffle_bytes(shuffle_store *s)
{
    size_t total = 0;
    char path[4096];
    struct stat st;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++) {
        for (int m = 0; m < s->e[i].nmaps; m++) {
            if (!s->e[i].done[m]) continue;
            if (s->e[i].mem && s->e[i].mem[m]) {
                for (int r = 0; r < s->e[i].nreduce; r++) total += s->e[i].mem[m][r].len;
                continue;
            }
            data_path(s, s->e[i].id, m, path, sizeof path, "data");
            if (stat(path, &st) == 0) total += (size_t)st.st_size;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return total;
}
