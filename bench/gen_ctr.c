/*
 * gen_ctr.c - writes synthetic click logs in the layout of the Criteo
 * sample (../shared/data/ctr-samples/criteo_sample.txt): a header line,
 * then "label,I1..I13,C1..C26" with the label 0 or 1, 13 integer counts
 * (some missing) and 26 categorical columns of 8 hex digits (some missing).
 *
 *     gen_ctr ROWS OUTPUT [SEED]
 *     build/bin/gen_ctr 1000000 bench/data/ctr-1m.txt
 *
 * Column Cc draws its value from 10 * 4^(c % 6) categories with a Zipf
 * (1/rank) distribution; every category carries a fixed hidden weight, and
 * a click happens with probability sigmoid(-1.6 + sum of the weights of the
 * row's categories + 0.15 * log1p(I1)): about one row in three clicks. The weights do not depend on
 * SEED, so files of different seeds are a training and a test set of the same "market". A learner
 * with hashed features can reach an AUC well above 0.5, not 1.
 * The same arguments give the same file. Needs nothing from kiln.
 */
#include <kiln.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NUM_INT = 13, NUM_CAT = 26 };

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t next_u64(uint64_t *s)
{
    return mix(*s += UINT64_C(0x9e3779b97f4a7c15));
}
static double uniform(uint64_t *s)
{
    return (double)(next_u64(s) >> 11) * 0x1p-53;
}

static int cardinality(int c)
{
    int n = 10;
    for (int i = 0; i < c % 6; i++) n *= 4;
    return n;
}

/* A Zipf(1) rank in [0, n): the inverse of the approximate CDF log(k)/log(n). */
static int zipf(uint64_t *s, int n)
{
    int k = (int)floor(exp(uniform(s) * log((double)n + 1))) - 1;
    return k < 0 ? 0 : k >= n ? n - 1 : k;
}

/* The hidden weight of category v of column c, in about [-1, 1]. */
static double weight(int c, int v)
{
    uint64_t h = mix(((uint64_t)c << 32 | (uint64_t)v) + UINT64_C(0x5bd1e995));
    return ((double)(h >> 11) * 0x1p-53 * 2 - 1) * (c % 3 == 0 ? 1.0 : 0.3);
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "gen_ctr ROWS OUTPUT [SEED]\n"
        "Writes ROWS synthetic click-log rows in the Criteo layout (OUTPUT - for stdout).\n";
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    long long rows = atoll(argv[1]);
    uint64_t s = (argc == 4 ? strtoull(argv[3], NULL, 10) : 1) * UINT64_C(0x2545F4914F6CDD1D);
    FILE *out = strcmp(argv[2], "-") ? fopen(argv[2], "w") : stdout;
    if (!out || rows < 0) {
        perror(argv[2]);
        return 1;
    }
    static char buf[1 << 20];
    setvbuf(out, buf, _IOFBF, sizeof buf);
    fputs("label", out);
    for (int i = 1; i <= NUM_INT; i++) fprintf(out, ",I%d", i);
    for (int c = 1; c <= NUM_CAT; c++) fprintf(out, ",C%d", c);
    fputc('\n', out);
    char line[1024];
    for (long long r = 0; r < rows; r++) {
        int len = 0;
        long ints[NUM_INT];
        int cats[NUM_CAT];
        for (int i = 0; i < NUM_INT; i++)
            ints[i] = uniform(&s) < 0.2 ? -1 : (long)floor(exp(uniform(&s) * 6)) - 1;
        double z = -1.6 + (ints[0] >= 0 ? 0.15 * log1p((double)ints[0]) : 0);
        for (int c = 0; c < NUM_CAT; c++) {
            cats[c] = uniform(&s) < 0.1 ? -1 : zipf(&s, cardinality(c));
            if (cats[c] >= 0) z += weight(c, cats[c]);
        }
        int label = uniform(&s) < 1 / (1 + exp(-z));
        len += snprintf(line + len, sizeof line - (size_t)len, "%d", label);
        for (int i = 0; i < NUM_INT; i++)
            len += ints[i] < 0 ? snprintf(line + len, sizeof line - (size_t)len, ",")
                               : snprintf(line + len, sizeof line - (size_t)len, ",%ld", ints[i]);
        for (int c = 0; c < NUM_CAT; c++)
            len += cats[c] < 0
                       ? snprintf(line + len, sizeof line - (size_t)len, ",")
                       : snprintf(line + len, sizeof line - (size_t)len, ",%08x",
                                  (unsigned)(mix((uint64_t)c * 1000003 + (uint64_t)cats[c]) >> 32));
        line[len++] = '\n';
        fwrite(line, 1, (size_t)len, out);
    }
    if (fclose(out)) {
        perror(argv[2]);
        return 1;
    }
    return 0;
}
