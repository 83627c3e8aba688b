/*
 * gen_glm.c - writes dense regression and classification data as CSV (the
 * label in column 0, no header), the input of the ml benchmarks and of the
 * scikit-learn peers in ../shared/bench.
 *
 *     gen_glm linear|logistic ROWS DIM OUTPUT [SEED]
 *     build/bin/gen_glm logistic 1000000 100 bench/data/logreg-train.csv 1
 *
 * Features are independent N(mean_j, 1) draws with mean_j = j % 5 - 2 (so
 * centring matters); the true weights are w_j = sin(j + 1) / sqrt(DIM) and
 * the intercept 0.5, fixed whatever the SEED. Linear: y = w.x + 0.5 +
 * N(0, 1). Logistic: y = 1 with probability sigmoid(w.x + 0.5 - w.mean),
 * so both classes are common. Numbers are written with 7 significant digits.
 * The same arguments give the same file. Needs nothing from kiln.
 */
#include <kiln.h>

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s)
{
    return (double)(next_u64(s) >> 11) * 0x1p-53;
}

/* A standard normal draw (Box-Muller; the second value is dropped). */
static double normal(uint64_t *s)
{
    double u = uniform(s), v = uniform(s);
    return sqrt(-2 * log(u > 0 ? u : 0x1p-53)) * cos(2 * M_PI * v);
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "gen_glm linear|logistic ROWS DIM OUTPUT [SEED]\n"
        "Writes dense regression or classification data as CSV (OUTPUT - for stdout).\n";
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc < 5 || argc > 6 || (strcmp(argv[1], "linear") && strcmp(argv[1], "logistic"))) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    bool logistic = !strcmp(argv[1], "logistic");
    long long rows = atoll(argv[2]);
    int dim = atoi(argv[3]);
    uint64_t seed = argc == 6 ? strtoull(argv[5], NULL, 10) : 1;
    if (rows < 1 || dim < 1) {
        fprintf(stderr, "gen_glm: ROWS and DIM must be positive\n");
        return 2;
    }
    FILE *out = strcmp(argv[4], "-") ? fopen(argv[4], "w") : stdout;
    if (!out) {
        perror(argv[4]);
        return 1;
    }
    static char buf[1 << 20];
    setvbuf(out, buf, _IOFBF, sizeof buf);
    double *w = malloc(sizeof *w * (size_t)dim), *x = malloc(sizeof *x * (size_t)dim);
    double shift = 0;
    for (int j = 0; j < dim; j++) {
        w[j] = sin(j + 1.0) / sqrt(dim);
        shift += w[j] * (j % 5 - 2);
    }
    uint64_t s = seed * UINT64_C(0x2545F4914F6CDD1D) + 1;
    for (long long i = 0; i < rows; i++) {
        double z = 0.5;
        for (int j = 0; j < dim; j++) {
            x[j] = (j % 5 - 2) + normal(&s);
            z += w[j] * x[j];
        }
        double y = logistic ? (uniform(&s) < 1 / (1 + exp(-(z - shift))) ? 1 : 0) : z + normal(&s);
        fprintf(out, logistic ? "%.0f" : "%.7g", y);
        for (int j = 0; j < dim; j++) fprintf(out, ",%.7g", x[j]);
        fputc('\n', out);
    }
    free(w);
    free(x);
    if (fclose(out)) {
        perror(argv[4]);
        return 1;
    }
    return 0;
}
