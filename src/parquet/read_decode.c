/*
 * parquet/read_decode.c - the bit-level decoders of the Parquet reader:
 * the RLE / bit-packed hybrid (levels, dictionary indices, RLE booleans)
 * and DELTA_BINARY_PACKED (integers, and the lengths inside the
 * DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY encodings). Both stream:
 * a run or a miniblock at a time, so a short page that claims many values
 * never makes them allocate; both stop at the end of their bytes.
 */
#include <string.h>

#include "parquet/pq_read_int.h"

/* Starts a hybrid decoder of width bits per value over p[0..n). */
void pq_rle_init(pq_rle *r, const uint8_t *p, size_t n, int width)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->end = p + n;
    r->width = width;
    r->bufpos = 8;
}

static bool uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    uint64_t x = 0;
    for (int s = 0; s < 64; s += 7) {
        if (p >= end) return false;
        uint8_t b = *p++;
        x |= (uint64_t)(b & 0x7f) << s;
        if (!(b & 0x80)) {
            *pp = p;
            *v = x;
            return true;
        }
    }
    return false;
}

/* Unpacks 8 values of width w (<= 32) from q (w bytes). */
static inline void unpack8(const uint8_t *q, int w, uint32_t *out)
{
    uint64_t acc = 0, mask = w == 32 ? 0xffffffffu : ((UINT64_C(1) << w) - 1);
    int bits = 0;
    for (int k = 0; k < 8; k++) {
        while (bits < w) {
            acc |= (uint64_t)*q++ << bits;
            bits += 8;
        }
        out[k] = (uint32_t)(acc & mask);
        acc >>= w;
        bits -= w;
    }
}

/* Unpacks 8 values of width w <= 16 from q, which has 16 bytes readable. */
static inline void unpack8_wide(const uint8_t *q, int w, uint32_t *out)
{
    uint32_t mask = (UINT32_C(1) << w) - 1;
    if (w <= 8) {
        uint64_t x;
        memcpy(&x, q, 8);
        for (int k = 0; k < 8; k++) out[k] = (uint32_t)(x >> (k * w)) & mask;
    } else {
        unsigned __int128 x;
        memcpy(&x, q, 16);
        for (int k = 0; k < 8; k++) out[k] = (uint32_t)(x >> (k * w)) & mask;
    }
}

static bool next_run(pq_rle *r)
{
    for (;;) {
        uint64_t h;
        if (r->p >= r->end || !uvarint(&r->p, r->end, &h)) return false;
        if (h & 1) {
            uint64_t groups = h >> 1;
            size_t avail = (size_t)(r->end - r->p);
            uint64_t bytes = groups * (uint64_t)r->width;
            if (groups > (UINT64_C(1) << 40)) groups = UINT64_C(1) << 40;
            if (r->width && bytes > avail) {
                /* A truncated last run: keep the whole groups there are. */
                groups = avail / (size_t)r->width + (avail % (size_t)r->width != 0);
                bytes = avail;
            }
            uint64_t count = groups * 8;
            r->run = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
            r->packed = true;
            r->bp = r->p;
            r->p += bytes;
            r->bufpos = 8;
        } else {
            int vb = (r->width + 7) / 8;
            if (r->end - r->p < vb) return false;
            uint32_t v = 0;
            for (int i = 0; i < vb; i++) v |= (uint32_t)r->p[i] << (8 * i);
            r->p += vb;
            r->value = v;
            r->run = (h >> 1) > UINT32_MAX ? UINT32_MAX : (uint32_t)(h >> 1);
            r->packed = false;
        }
        if (r->run) return true;
    }
}

/* Fills r->buf with the next group of a packed run (zero-padded when the
 * run's bytes end early). */
static void load_group(pq_rle *r)
{
    int w = r->width;
    if (w == 0) {
        memset(r->buf, 0, sizeof r->buf);
    } else if (r->p - r->bp >= w) {
        unpack8(r->bp, w, r->buf);
        r->bp += w;
    } else {
        uint8_t tmp[32] = {0};
        memcpy(tmp, r->bp, (size_t)(r->p - r->bp));
        unpack8(tmp, w, r->buf);
        r->bp = r->p;
    }
    r->bufpos = 0;
}

/* Decodes up to n values (see pq_read_int.h). */
uint32_t pq_rle_get(pq_rle *r, uint32_t *out, uint32_t n)
{
    uint32_t k = 0;
    while (k < n) {
        if (r->run == 0 && !next_run(r)) break;
        uint32_t take = n - k < r->run ? n - k : r->run;
        if (!r->packed) {
            for (uint32_t i = 0; i < take; i++) out[k + i] = r->value;
        } else {
            uint32_t i = 0;
            while (i < take && r->bufpos < 8) out[k + i++] = r->buf[r->bufpos++];
            int w = r->width;
            if (w && w <= 16)
                while (take - i >= 8 && r->p - r->bp >= w && r->end - r->bp >= 16) {
                    unpack8_wide(r->bp, w, out + k + i);
                    r->bp += w;
                    i += 8;
                }
            while (take - i >= 8 && r->p - r->bp >= w) {
                if (w) unpack8(r->bp, w, out + k + i);
                else memset(out + k + i, 0, 8 * sizeof *out);
                r->bp += w;
                i += 8;
            }
            while (i < take) {
                if (r->bufpos == 8) load_group(r);
                out[k + i++] = r->buf[r->bufpos++];
            }
        }
        r->run -= take;
        k += take;
    }
    return k;
}

/* Decodes up to n values into bytes (widths up to 8). */
uint32_t pq_rle_get8(pq_rle *r, uint8_t *out, uint32_t n)
{
    uint32_t tmp[256], k = 0;
    while (k < n) {
        if (r->run && !r->packed) {
            uint32_t take = n - k < r->run ? n - k : r->run;
            memset(out + k, (int)(uint8_t)r->value, take);
            r->run -= take;
            k += take;
            continue;
        }
        uint32_t want = n - k < 256 ? n - k : 256;
        if (r->run && r->packed && want > r->run) want = r->run;
        uint32_t got = pq_rle_get(r, tmp, want);
        for (uint32_t i = 0; i < got; i++) out[k + i] = (uint8_t)tmp[i];
        k += got;
        if (got < want) break;
    }
    return k;
}

/* pq_rle_get8 that also counts the values equal to match and their
 * maximum (*count and *max grow), a repeated run in one step. */
uint32_t pq_rle_levels(pq_rle *r, uint8_t *out, uint32_t n, uint8_t match, uint32_t *count,
                       uint8_t *max)
{
    uint32_t tmp[256], k = 0, c = 0;
    uint8_t mx = *max;
    while (k < n) {
        if (r->run == 0 && !next_run(r)) break;
        if (!r->packed) {
            uint32_t take = n - k < r->run ? n - k : r->run;
            uint8_t v = r->value > 255 ? 255 : (uint8_t)r->value;
            memset(out + k, v, take);
            c += v == match ? take : 0;
            mx = v > mx ? v : mx;
            r->run -= take;
            k += take;
            continue;
        }
        uint32_t want = n - k < 256 ? n - k : 256;
        if (want > r->run) want = r->run;
        uint32_t got = pq_rle_get(r, tmp, want);
        for (uint32_t i = 0; i < got; i++) {
            uint8_t v = tmp[i] > 255 ? 255 : (uint8_t)tmp[i];
            out[k + i] = v;
            c += v == match;
            mx = v > mx ? v : mx;
        }
        k += got;
        if (got < want) break;
    }
    *count += c;
    *max = mx;
    return k;
}

/* ---- DELTA_BINARY_PACKED ------------------------------------------------------------- */

/* Starts a delta stream (header: block size, miniblocks, count, first). */
bool pq_delta_init(pq_delta *d, const uint8_t *p, size_t n)
{
    uint64_t block, nmini, total, first;
    memset(d, 0, sizeof *d);
    d->p = p;
    d->end = p + n;
    if (!uvarint(&d->p, d->end, &block) || !uvarint(&d->p, d->end, &nmini) ||
        !uvarint(&d->p, d->end, &total) || !uvarint(&d->p, d->end, &first)) {
        d->err = "truncated DELTA_BINARY_PACKED header";
        return false;
    }
    if (block == 0 || block % 128 || nmini == 0 || nmini > 256 || block % nmini ||
        (block / nmini) % 32 || block / nmini > 512) {
        d->err = "bad DELTA_BINARY_PACKED block size";
        return false;
    }
    d->block = (uint32_t)block;
    d->nmini = (uint32_t)nmini;
    d->mini = (uint32_t)(block / nmini);
    d->total = total;
    d->last = (first >> 1) ^ -(first & 1);
    d->mi = d->nmini;
    return true;
}

/* Value i of width w (<= 64) bits at q[0..avail) (zeros past avail). */
static inline uint64_t bits_at(const uint8_t *q, size_t avail, uint64_t i, int w)
{
    uint64_t off = i * (uint64_t)w, byte = off >> 3;
    unsigned __int128 acc = 0;
    for (int b = 0; b < 9 && byte + (uint64_t)b < avail; b++)
        acc |= (unsigned __int128)q[byte + (uint64_t)b] << (8 * b);
    acc >>= off & 7;
    return w == 64 ? (uint64_t)acc : (uint64_t)acc & ((UINT64_C(1) << w) - 1);
}

static bool load_mini(pq_delta *d)
{
    if (d->mi == d->nmini) {
        uint64_t md;
        if (!uvarint(&d->p, d->end, &md) || (size_t)(d->end - d->p) < d->nmini) {
            d->err = "truncated DELTA_BINARY_PACKED block";
            return false;
        }
        d->min_delta = (md >> 1) ^ -(md & 1);
        memcpy(d->widths, d->p, d->nmini);
        d->p += d->nmini;
        d->mi = 0;
    }
    int w = d->widths[d->mi++];
    if (w > 64) {
        d->err = "bad DELTA_BINARY_PACKED bit width";
        return false;
    }
    uint64_t left = d->total - d->done;
    uint32_t need = left < d->mini ? (uint32_t)left : d->mini;
    size_t bytes = (size_t)d->mini * (size_t)w / 8, avail = (size_t)(d->end - d->p);
    if (((uint64_t)need * (uint64_t)w + 7) / 8 > avail) {
        d->err = "truncated DELTA_BINARY_PACKED miniblock";
        return false;
    }
    if (w == 0) {
        memset(d->buf, 0, need * sizeof *d->buf);
    } else {
        for (uint32_t i = 0; i < need; i++) d->buf[i] = bits_at(d->p, avail, i, w);
    }
    d->p += bytes < avail ? bytes : avail;
    d->bufn = need;
    d->bufpos = 0;
    return true;
}

/* The next up to n values (see pq_read_int.h). */
uint32_t pq_delta_get(pq_delta *d, uint64_t *out, uint32_t n)
{
    uint32_t k = 0;
    if (d->err) return 0;
    if (!d->first_out && d->total > 0 && n > 0) {
        out[k++] = d->last;
        d->first_out = true;
        d->done = 1;
    }
    while (k < n && d->done < d->total) {
        if (d->bufpos == d->bufn && !load_mini(d)) break;
        uint32_t take = d->bufn - d->bufpos;
        if (take > n - k) take = n - k;
        uint64_t last = d->last, md = d->min_delta;
        const uint64_t *b = d->buf + d->bufpos;
        for (uint32_t i = 0; i < take; i++) {
            last += md + b[i];
            out[k + i] = last;
        }
        d->last = last;
        d->bufpos += take;
        d->done += take;
        k += take;
    }
    return k;
}

/* Decodes the rest of the stream to find where it ends. */
const uint8_t *pq_delta_end(pq_delta *d)
{
    uint64_t tmp[512];
    while (d->done < d->total || !d->first_out) {
        if (pq_delta_get(d, tmp, 512) == 0) break;
    }
    return d->err ? NULL : d->p;
}
