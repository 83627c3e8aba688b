/*
 * sql/spill_run.c - runs of batches on disk (spill_run.h): LZ4 blocks of
 * encoded batches in an unlinked temporary file.
 */
#include "sql/spill_run.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct spill_run {
    int fd;
    uint64_t end; /* bytes written to the file */
    kiln_buf raw; /* batches not yet compressed */
    char *comp;   /* compression buffer */
    size_t comp_cap;
    int64_t rows, raw_bytes;
    size_t block; /* raw bytes buffered before a block is written */
};

spill_run *spill_run_new(kiln_task *t, size_t block)
{
    spill_run *r = calloc(1, sizeof *r);
    if (!r) {
        kiln_set_error(KILN_ENOMEM, "out of memory");
        return NULL;
    }
    r->block = block && block < SPILL_RUN_BLOCK ? block : SPILL_RUN_BLOCK;
    kiln_buf_init(&r->raw);
    char path[4096];
    if (t) {
        kiln_task_spill_path(t, "join", path, sizeof path);
        r->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    } else {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/kiln-spill-XXXXXX", dir && *dir ? dir : "/tmp");
        r->fd = mkstemp(path);
    }
    if (r->fd < 0) {
        kiln_set_error(KILN_EIO, "cannot create spill file %s: %s", path, strerror(errno));
        free(r);
        return NULL;
    }
    unlink(path);
    return r;
}

void spill_run_free(spill_run *r)
{
    if (!r) return;
    close(r->fd);
    kiln_buf_release(&r->raw);
    free(r->comp);
    free(r);
}

static int write_all(int fd, const void *p, size_t n, uint64_t off)
{
    const uint8_t *c = p;
    while (n) {
        ssize_t w = pwrite(fd, c, n, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            return kiln_set_error(KILN_EIO, "cannot write a join spill file: %s",
                                  w < 0 ? strerror(errno) : "disk full");
        c += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return KILN_OK;
}

/* Compresses the buffered batches into one block at the end of the file. */
static int flush(spill_run *r)
{
    if (!r->raw.len) return KILN_OK;
    if (r->raw.len > (size_t)LZ4_MAX_INPUT_SIZE)
        return kiln_set_error(KILN_ERANGE, "a spilled batch of %zu bytes is too large", r->raw.len);
    size_t need = (size_t)LZ4_compressBound((int)r->raw.len) + 8;
    if (need > r->comp_cap) {
        char *g = realloc(r->comp, need);
        if (!g) return KILN_ENOMEM;
        r->comp = g;
        r->comp_cap = need;
    }
    int c = LZ4_compress_default((const char *)r->raw.data, r->comp + 8, (int)r->raw.len,
                                 (int)(need - 8));
    if (c <= 0) return kiln_set_error(KILN_EIO, "LZ4 compression of a spill block failed");
    uint32_t h[2] = {(uint32_t)r->raw.len, (uint32_t)c};
    memcpy(r->comp, h, 8);
    int rc = write_all(r->fd, r->comp, (size_t)c + 8, r->end);
    if (rc) return rc;
    r->end += (uint64_t)c + 8;
    r->raw.len = 0;
    return KILN_OK;
}

int spill_run_add(spill_run *r, const col_batch *b)
{
    uint32_t live = col_batch_live(b);
    if (!live) return KILN_OK;
    size_t at = r->raw.len;
    uint64_t head[2] = {0, 0};
    int rc = kiln_buf_append(&r->raw, head, sizeof head);
    if (!rc) rc = col_batch_encode(&r->raw, b);
    if (rc) return rc;
    uint64_t len = r->raw.len - at - sizeof head;
    memcpy(r->raw.data + at, &len, 8);
    static const uint8_t zero[16];
    size_t pad = (16 - (r->raw.len & 15)) & 15;
    if (pad && (rc = kiln_buf_append(&r->raw, zero, pad))) return rc;
    r->rows += live;
    r->raw_bytes += (int64_t)(r->raw.len - at);
    return r->raw.len >= r->block ? flush(r) : KILN_OK;
}

int spill_run_finish(spill_run *r)
{
    int rc = flush(r);
    kiln_buf_release(&r->raw);
    kiln_buf_init(&r->raw);
    free(r->comp);
    r->comp = NULL;
    r->comp_cap = 0;
    return rc;
}

int64_t spill_run_rows(const spill_run *r)
{
    return r->rows;
}

int64_t spill_run_raw_bytes(const spill_run *r)
{
    return r->raw_bytes;
}

int64_t spill_run_file_bytes(const spill_run *r)
{
    return (int64_t)r->end;
}

size_t spill_run_buffered(const spill_run *r)
{
    return r->raw.cap + r->comp_cap;
}

void spill_reader_init(spill_reader *rd, const spill_run *r)
{
    memset(rd, 0, sizeof *rd);
    rd->r = r;
}

void spill_reader_release(spill_reader *rd)
{
    free(rd->raw);
    free(rd->comp);
    memset(rd, 0, sizeof *rd);
}

static int read_all(int fd, void *p, size_t n, uint64_t off)
{
    uint8_t *c = p;
    while (n) {
        ssize_t got = pread(fd, c, n, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
            return kiln_set_error(KILN_EIO, "cannot read a join spill file: %s",
                                  got < 0 ? strerror(errno) : "cut short");
        c += got;
        n -= (size_t)got;
        off += (uint64_t)got;
    }
    return KILN_OK;
}

/* Reads and decompresses the next block. */
static int load_block(spill_reader *rd)
{
    uint32_t h[2];
    int rc = read_all(rd->r->fd, h, 8, rd->off);
    if (rc) return rc;
    if (h[1] > (uint32_t)LZ4_compressBound((int)h[0]) || rd->off + 8 + h[1] > rd->r->end)
        return kiln_set_error(KILN_ECORRUPT, "a join spill block is damaged");
    if (h[1] > rd->comp_cap) {
        uint8_t *g = realloc(rd->comp, h[1]);
        if (!g) return KILN_ENOMEM;
        rd->comp = g;
        rd->comp_cap = h[1];
    }
    if (h[0] > rd->raw_cap) {
        uint8_t *g = realloc(rd->raw, h[0]);
        if (!g) return KILN_ENOMEM;
        rd->raw = g;
        rd->raw_cap = h[0];
    }
    if ((rc = read_all(rd->r->fd, rd->comp, h[1], rd->off + 8))) return rc;
    int n = LZ4_decompress_safe((const char *)rd->comp, (char *)rd->raw, (int)h[1], (int)h[0]);
    if (n != (int)h[0]) return kiln_set_error(KILN_ECORRUPT, "a join spill block is damaged");
    rd->blk = rd->off;
    rd->off += 8 + (uint64_t)h[1];
    rd->raw_len = h[0];
    rd->pos = 0;
    return KILN_OK;
}

/* The length of the next batch's encoding (its record starts at rd->pos):
 * 1, 0 at the end, or an error. */
static int next_record(spill_reader *rd, uint64_t *len)
{
    if (rd->pos >= rd->raw_len) {
        if (rd->off >= rd->r->end) return 0;
        int rc = load_block(rd);
        if (rc) return rc;
    }
    if (rd->raw_len - rd->pos < 16)
        return kiln_set_error(KILN_ECORRUPT, "a join spill block is damaged");
    memcpy(len, rd->raw + rd->pos, 8);
    if (*len > rd->raw_len - rd->pos - 16)
        return kiln_set_error(KILN_ECORRUPT, "a join spill block is damaged");
    return 1;
}

int spill_reader_skip(spill_reader *rd)
{
    uint64_t len = 0;
    int rc = next_record(rd, &len);
    if (rc <= 0) return rc;
    size_t step = 16 + ((len + 15) & ~(uint64_t)15);
    rd->pos += step;
    rd->bytes += (int64_t)step;
    return 1;
}

void spill_reader_tell(const spill_reader *rd, uint64_t *blk, size_t *pos)
{
    if (rd->pos >= rd->raw_len) {
        *blk = rd->off;
        *pos = 0;
    } else {
        *blk = rd->blk;
        *pos = rd->pos;
    }
}

int spill_reader_seek(spill_reader *rd, uint64_t blk, size_t pos)
{
    rd->off = blk;
    rd->raw_len = rd->pos = 0;
    if (!pos) return KILN_OK;
    int rc = load_block(rd);
    if (rc) return rc;
    if (pos > rd->raw_len) return kiln_set_error(KILN_ECORRUPT, "a join spill block is damaged");
    rd->pos = pos;
    return KILN_OK;
}

int spill_reader_next(spill_reader *rd, kiln_arena *a, col_batch *out)
{
    uint64_t len = 0;
    int rc = next_record(rd, &len);
    if (rc <= 0) return rc;
    rc = col_batch_decode(out, a, rd->raw + rd->pos + 16, len);
    if (rc) return kiln_set_error(rc, "a join spill batch is damaged");
    size_t step = 16 + ((len + 15) & ~(uint64_t)15);
    rd->pos += step;
    rd->bytes += (int64_t)step;
    return 1;
}
