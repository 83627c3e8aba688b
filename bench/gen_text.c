/*
 * gen_text.c - writes deterministic English-like text for word-count benchmarks.
 *
 *     gen_text SIZE OUTPUT [SEED]
 *
 * SIZE is a byte count with an optional binary suffix: 1000000, 64k, 256m, 1g
 * (k = 1024, m = 1024^2, g = 1024^3). OUTPUT is a file name, or - for stdout.
 * SEED (default 1) is an unsigned 64-bit number choosing the word sequence.
 * The file holds whole lines and ends at the first line end at or after SIZE
 * bytes, so it is at most about 300 bytes longer than SIZE.
 *
 * The same SIZE and SEED always give a byte-identical file, on any machine:
 * everything comes from integer generators with fixed seeds, and the only
 * floating point (building the word distribution) is plain IEEE-754
 * arithmetic in a fixed order, with no libm calls.
 *
 * The text: a vocabulary of 100,000 distinct lowercase synthetic words of 1 to
 * 12 letters, made from a fixed seed (it does not depend on SEED), with the
 * short words given the common ranks, as in English. Each line is a sentence
 * of 5 to 20 words drawn from a Zipf distribution with exponent s = 1 (the
 * word of rank k has probability proportional to 1/k; drawn in constant time
 * with Walker's alias method), separated by single spaces. The first word is
 * capitalised, about one word in twelve is followed by a comma, and the line
 * ends in '.', '?' or '!'. Those variants make several hundred thousand
 * distinct whitespace-separated tokens in a file of 256 MiB.
 *
 * It runs well above 200 MB/s: words are copied from a table into a 1 MiB
 * buffer, written with one fwrite per buffer. Needs nothing from kiln.
 */
#include <kiln.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VOCAB_SIZE 100000
#define VOCAB_SEED UINT64_C(0x6b696c6e2d766f63) /* fixed: the vocabulary never changes */
#define MAX_WORD_LEN 12
#define BUF_SIZE (1u << 20)
#define BUF_SLACK 1024 /* more than one line (20 words of 12 + 2 bytes, + 16 of overcopy) */

/* A vocabulary entry, 16 bytes so it can be copied whole. */
struct word {
    char s[15];
    uint8_t len;
};

/* ---- Random numbers: splitmix64 (a counter through a 64-bit mixer) ---------- */

static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n) by multiply-shift; the bias (n / 2^32) is negligible here. */
static uint32_t below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(((next_u64(state) >> 32) * n) >> 32);
}

/* ---- The vocabulary ---------------------------------------------------------- */

/* Letters weighted roughly by English frequency. */
static const char consonants[] = "ttttttnnnnnsssssrrrrrhhhhlllldddccmmwwffggyppbbvkjxqz";
static const char vowels[] = "eeeeeeaaaaooooiiiiuuy";

/* Relative frequency of word lengths 1..12. */
static const uint32_t length_weights[MAX_WORD_LEN] = {2, 6, 12, 14, 14, 13, 11, 9, 7, 5, 4, 3};

static uint32_t draw_length(uint64_t *state)
{
    uint32_t total = 0;
    for (int i = 0; i < MAX_WORD_LEN; i++) total += length_weights[i];
    uint32_t r = below(state, total);
    int len = 0;
    while (r >= length_weights[len]) r -= length_weights[len++];
    return (uint32_t)len + 1;
}

/* A pronounceable word: mostly alternating consonants and vowels. */
static void make_word(uint64_t *state, struct word *w)
{
    uint32_t len = draw_length(state);
    int vowel = len == 1 || below(state, 10) < 3; /* 30% start with a vowel; "a", "i"... */
    int run = 0;                                  /* consonants in a row */
    memset(w, 0, sizeof *w);
    for (uint32_t i = 0; i < len; i++) {
        if (vowel) {
            w->s[i] = vowels[below(state, sizeof vowels - 1)];
            run = 0;
        } else {
            w->s[i] = consonants[below(state, sizeof consonants - 1)];
            run++;
        }
        /* Short words alternate strictly; longer ones mostly, with at most
         * two consonants in a row. */
        if (len < 4) vowel = !vowel;
        else if (vowel) vowel = below(state, 100) < 15;
        else vowel = run >= 2 || below(state, 100) < 85;
    }
    w->len = (uint8_t)len;
}

static uint64_t hash_word(const struct word *w)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */
    for (int i = 0; i < w->len; i++) h = (h ^ (uint8_t)w->s[i]) * UINT64_C(0x100000001b3);
    return h;
}

struct ranked {
    uint32_t key; /* 4 * length + noise: short words first, with some mixing */
    uint32_t index;
};

static int cmp_ranked(const void *pa, const void *pb)
{
    const struct ranked *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Fills words[0..VOCAB_SIZE) with distinct words, most frequent rank first.
 * Returns 0, or -1 when out of memory. */
static int make_vocabulary(struct word *words)
{
    enum { SLOTS = 1 << 18 };                       /* open addressing, load below 0.4 */
    uint32_t *slots = calloc(SLOTS, sizeof *slots); /* word index + 1, 0 = empty */
    struct word *drawn = malloc(VOCAB_SIZE * sizeof *drawn);
    struct ranked *order = malloc(VOCAB_SIZE * sizeof *order);
    if (slots == NULL || drawn == NULL || order == NULL) {
        free(slots);
        free(drawn);
        free(order);
        return -1;
    }

    uint64_t state = VOCAB_SEED;
    uint32_t n = 0;
    while (n < VOCAB_SIZE) {
        make_word(&state, &drawn[n]);
        uint32_t slot = (uint32_t)hash_word(&drawn[n]) & (SLOTS - 1);
        while (slots[slot] != 0 && memcmp(&drawn[slots[slot] - 1], &drawn[n], sizeof *drawn))
            slot = (slot + 1) & (SLOTS - 1);
        if (slots[slot] != 0) continue; /* seen already: draw again */
        slots[slot] = n + 1;
        order[n].key = 4 * drawn[n].len + below(&state, 24);
        order[n].index = n;
        n++;
    }
    qsort(order, VOCAB_SIZE, sizeof *order, cmp_ranked);
    for (uint32_t i = 0; i < VOCAB_SIZE; i++) words[i] = drawn[order[i].index];

    free(slots);
    free(drawn);
    free(order);
    return 0;
}

/* ---- Zipf sampling with Walker's alias method ---------------------------------- */

/* Column c is kept with probability keep[c] / 2^32, else alias[c] is taken. */
struct alias_table {
    uint32_t keep[VOCAB_SIZE];
    uint32_t alias[VOCAB_SIZE];
};

/* Builds the table for P(rank k) proportional to 1/(k+1) (Vose's method).
 * Returns 0, or -1 when out of memory. */
static int make_zipf_table(struct alias_table *t)
{
    double *p = malloc(VOCAB_SIZE * sizeof *p);
    uint32_t *small = malloc(VOCAB_SIZE * sizeof *small);
    uint32_t *large = malloc(VOCAB_SIZE * sizeof *large);
    if (p == NULL || small == NULL || large == NULL) {
        free(p);
        free(small);
        free(large);
        return -1;
    }

    double sum = 0;
    for (uint32_t k = 0; k < VOCAB_SIZE; k++) sum += 1.0 / (k + 1);
    uint32_t ns = 0, nl = 0;
    for (uint32_t k = 0; k < VOCAB_SIZE; k++) {
        p[k] = (1.0 / (k + 1)) * VOCAB_SIZE / sum; /* mean 1 */
        if (p[k] < 1.0) small[ns++] = k;
        else large[nl++] = k;
    }
    while (ns > 0 && nl > 0) {
        uint32_t s = small[--ns], l = large[nl - 1];
        t->keep[s] = (uint32_t)(p[s] * 4294967296.0);
        t->alias[s] = l;
        p[l] -= 1.0 - p[s];
        if (p[l] < 1.0) {
            nl--;
            small[ns++] = l;
        }
    }
    /* What is left has probability 1 (up to rounding): always kept. */
    while (nl > 0) {
        uint32_t l = large[--nl];
        t->keep[l] = UINT32_MAX;
        t->alias[l] = l;
    }
    while (ns > 0) {
        uint32_t s = small[--ns];
        t->keep[s] = UINT32_MAX;
        t->alias[s] = s;
    }

    free(p);
    free(small);
    free(large);
    return 0;
}

static uint32_t draw_rank(const struct alias_table *t, uint64_t *state)
{
    uint64_t r = next_u64(state);
    uint32_t column = (uint32_t)(((r >> 32) * VOCAB_SIZE) >> 32);
    return (uint32_t)r < t->keep[column] ? column : t->alias[column];
}

/* ---- Output -------------------------------------------------------------------- */

/* Writes one sentence at buf and returns its length in bytes. */
static size_t write_line(char *buf, const struct word *words, const struct alias_table *zipf,
                         uint64_t *state)
{
    char *p = buf;
    uint32_t n = 5 + below(state, 16);
    for (uint32_t i = 0; i < n; i++) {
        const struct word *w = &words[draw_rank(zipf, state)];
        memcpy(p, w, sizeof *w); /* 16 bytes at once; only len of them count */
        if (i == 0) p[0] = (char)(p[0] - 'a' + 'A');
        p += w->len;
        if (i + 1 < n) {
            if (below(state, 12) == 0) *p++ = ',';
            *p++ = ' ';
        }
    }
    uint32_t end = below(state, 100);
    *p++ = end < 90 ? '.' : end < 96 ? '?' : '!';
    *p++ = '\n';
    return (size_t)(p - buf);
}

/* Parses "256m" and the like; returns -1 when malformed. */
static long long parse_size(const char *s)
{
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (end == s || n < 0 || errno != 0) return -1;
    int shift = 0;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    default:
        return -1;
    }
    if (*end != '\0' || n > (LLONG_MAX >> shift)) return -1;
    return n << shift;
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "gen_text SIZE OUTPUT [SEED]  (SIZE like 1000000, 64k, 256m, 1g)\n"
        "Writes SIZE bytes of deterministic English-like text (OUTPUT - for stdout).\n";
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    long long size = parse_size(argv[1]);
    if (size < 0) {
        fprintf(stderr, "gen_text: bad SIZE '%s' (want a number with an optional k, m or g)\n",
                argv[1]);
        return 2;
    }
    uint64_t seed = 1;
    if (argc == 4) {
        char *end;
        errno = 0;
        seed = strtoull(argv[3], &end, 10);
        if (*argv[3] == '\0' || *end != '\0' || errno != 0 || argv[3][0] == '-') {
            fprintf(stderr, "gen_text: bad SEED '%s' (want an unsigned number)\n", argv[3]);
            return 2;
        }
    }
    const char *path = argv[2];
    int to_stdout = strcmp(path, "-") == 0;

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    int status = 1;
    FILE *f = NULL;
    struct word *words = malloc(VOCAB_SIZE * sizeof *words);
    struct alias_table *zipf = malloc(sizeof *zipf);
    char *buf = malloc(BUF_SIZE + BUF_SLACK);
    if (words == NULL || zipf == NULL || buf == NULL || make_vocabulary(words) != 0 ||
        make_zipf_table(zipf) != 0) {
        fprintf(stderr, "gen_text: out of memory\n");
        goto done;
    }

    f = to_stdout ? stdout : fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "gen_text: cannot create %s: %s\n", path, strerror(errno));
        goto done;
    }

    /* The text stream depends only on SEED; mixing in a constant keeps it
     * apart from the vocabulary's stream. */
    uint64_t state = seed ^ UINT64_C(0x746578742d737472);
    long long written = 0, lines = 0;
    size_t used = 0;
    int failed = 0;
    while (written + (long long)used < size) {
        used += write_line(buf + used, words, zipf, &state);
        lines++;
        if (used >= BUF_SIZE || written + (long long)used >= size) {
            if (fwrite(buf, 1, used, f) != used) {
                failed = 1;
                break;
            }
            written += (long long)used;
            used = 0;
        }
    }
    if (to_stdout ? fflush(f) != 0 : fclose(f) != 0) failed = 1;
    if (failed) {
        fprintf(stderr, "gen_text: cannot write %s: %s\n", path, strerror(errno));
        if (!to_stdout) unlink(path);
        goto done;
    }

    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "gen_text: wrote %lld bytes, %lld lines to %s in %.2f s (%.0f MB/s)\n", written,
            lines, path, secs, (double)written / 1e6 / (secs > 0 ? secs : 1e-9));
    status = 0;

done:
    free(words);
    free(zipf);
    free(buf);
    return status;
}
