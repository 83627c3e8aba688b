/*
 * teragen.c - input for the sort benchmark, in the spirit of Hadoop's TeraGen.
 *
 *     teragen SIZE OUTPUT [SEED]      (SIZE like 2g, 256m, 1000000; OUTPUT - for stdout)
 *
 * Writes SIZE / 100 lines of exactly 100 bytes: a 10-byte key of printable
 * ASCII ('!' to '~'), a space, the row number as 32 hex digits, a space, 55
 * filler letters, and a newline. Keys are pseudo-random (splitmix64 of SEED
 * and the row), so the same SIZE and SEED give a byte-identical file on any
 * machine. Sort order is plain byte order (LC_ALL=C).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"

#define LINE 100

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* "2g", "256m", "100k" or bytes; powers of 1024. Digits only (no sign, no
 * space), and a value that does not fit in 63 bits is refused: strtoull
 * would take "-1g" as 2^64 - 1 shifted, and teragen would fill the disk. */
static int parse_size_arg(const char *s, uint64_t *out)
{
    uint64_t n = 0;
    const char *p = s;
    if (*p < '0' || *p > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (INT64_MAX - 9) / 10) return -1;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    int shift = 0;
    switch (*p) {
    case 'k':
    case 'K':
        shift = 10;
        p++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        p++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        p++;
        break;
    default:
        break;
    }
    if (*p || n > ((uint64_t)INT64_MAX >> shift)) return -1;
    *out = n << shift;
    return 0;
}

static void make_line(char *p, uint64_t row, uint64_t seed)
{
    uint64_t r = splitmix64(seed ^ splitmix64(row));
    for (int i = 0; i < 10; i++) {
        if (i == 5) r = splitmix64(r);
        p[i] = (char)('!' + r % 94);
        r /= 94;
    }
    p[10] = ' ';
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < 32; i++) p[11 + i] = i < 16 ? '0' : hex[(row >> (4 * (31 - i))) & 15];
    p[43] = ' ';
    for (int i = 0; i < 55; i++) p[44 + i] = (char)('A' + (row + (uint64_t)i) % 26);
    p[99] = '\n';
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "teragen SIZE OUTPUT [SEED]   (SIZE like 2g, 256m)\n"
        "Writes SIZE / 100 records of 100 bytes for terasort (OUTPUT - for stdout).\n";
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    uint64_t size, seed = 1;
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    if (parse_size_arg(argv[1], &size)) {
        fprintf(stderr,
                "teragen: invalid SIZE '%.60s' (a non-negative number of bytes with an "
                "optional unit k, m or g, at most 8 EiB)\nusage: %s",
                argv[1], usage_text);
        return 2;
    }
    if (argc == 4 && parse_size_arg(argv[3], &seed)) {
        fprintf(stderr, "teragen: invalid SEED '%.60s' (a non-negative number)\nusage: %s", argv[3],
                usage_text);
        return 2;
    }
    FILE *f = strcmp(argv[2], "-") == 0 ? stdout : fopen(argv[2], "wb");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    enum { ROWS_PER_CHUNK = 10486 };
    char *buf = malloc((size_t)LINE * ROWS_PER_CHUNK);
    uint64_t rows = size / LINE;
    for (uint64_t row = 0; row < rows;) {
        size_t k = 0;
        for (; k < ROWS_PER_CHUNK && row < rows; k++, row++) make_line(buf + k * LINE, row, seed);
        if (fwrite(buf, LINE, k, f) != k) {
            perror(argv[2]);
            return 1;
        }
    }
    free(buf);
    if (f != stdout && fclose(f) != 0) {
        perror(argv[2]);
        return 1;
    }
    fprintf(stderr, "teragen: wrote %llu rows of %d bytes to %s\n", (unsigned long long)rows, LINE,
            argv[2]);
    return 0;
}
