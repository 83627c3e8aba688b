/*
 * fuzz_ml_model.c - libFuzzer target for loading saved models
 * (docs/formats/ml-model.md): the input, cut in two at the position its
 * first byte picks, becomes metadata.json and coefficients.bin of a model
 * directory, which each loader (linear model, k-means, naive Bayes) reads.
 * A damaged or hostile directory must be refused with a message, never
 * crash, read out of bounds or leak; what loads must save again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln.h"
#include "kiln/ml.h"

static char dir[64], meta[96], coef[96], out[96];

static void write_file(const char *p, const uint8_t *d, size_t n)
{
    FILE *f = fopen(p, "wb");
    if (!f) abort();
    if (n) fwrite(d, 1, n, f);
    fclose(f);
}

static void remove_out(void)
{
    char p[160];
    snprintf(p, sizeof p, "%s/metadata.json", out);
    unlink(p);
    snprintf(p, sizeof p, "%s/coefficients.bin", out);
    unlink(p);
    rmdir(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_ml_model_%d", (int)getpid());
        mkdir(dir, 0700);
        snprintf(meta, sizeof meta, "%s/metadata.json", dir);
        snprintf(coef, sizeof coef, "%s/coefficients.bin", dir);
        snprintf(out, sizeof out, "%s.out", dir);
    }
    size_t body = size ? size - 1 : 0;
    const uint8_t *p = data + (size ? 1 : 0);
    size_t cut = size ? (size_t)data[0] * body / 255 : 0;
    write_file(meta, p, cut);
    write_file(coef, p + cut, body - cut);
    kiln_set_error(KILN_OK, NULL);
    kiln_ml_glm *g = kiln_ml_glm_load(dir);
    if (!g && kiln_last_error()[0] == '\0') abort();
    if (g) {
        remove_out();
        if (kiln_ml_glm_save(g, out)) abort();
        kiln_ml_glm_free(g);
    }
    kiln_set_error(KILN_OK, NULL);
    kiln_ml_kmeans *k = kiln_ml_kmeans_load(dir);
    if (!k && kiln_last_error()[0] == '\0') abort();
    if (k) {
        remove_out();
        if (kiln_ml_kmeans_save(k, out)) abort();
        kiln_ml_kmeans_free(k);
    }
    kiln_set_error(KILN_OK, NULL);
    kiln_ml_nb *b = kiln_ml_nb_load(dir);
    if (!b && kiln_last_error()[0] == '\0') abort();
    if (b) {
        remove_out();
        if (kiln_ml_nb_save(b, out)) abort();
        kiln_ml_nb_free(b);
    }
    return 0;
}
