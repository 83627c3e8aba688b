/*
 * fuzz_ml_text.c - libFuzzer target for the ML text readers as a job runs
 * them: the input is written to a file and read by the LIBSVM loader, the
 * CSV loader (with and without a header), feature hashing and one-hot
 * encoding (fit and transform), each counted under local[1]. Any input
 * must give a count or a failed job with a message, never a crash, an
 * out-of-bounds read or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kiln.h"
#include "kiln/ml.h"

static kiln_context *ctx;
static char path[64];

static void setup(void)
{
    kiln_conf *c = kiln_conf_new();
    kiln_conf_set(c, "kiln.master", "local[1]");
    kiln_conf_set(c, "kiln.ui.showConsoleProgress", "false");
    setenv("KILN_LOG_LEVEL", "ERROR", 1); /* failed jobs are expected: keep quiet */
    if (kiln_context_new(c, &ctx)) abort();
    kiln_conf_free(c);
    snprintf(path, sizeof path, "/tmp/fuzz_ml_text_%d.txt", (int)getpid());
}

static void count(kiln_rdd *r)
{
    int64_t n;
    kiln_set_error(KILN_OK, NULL);
    if (r && kiln_rdd_count(r, &n) != KILN_OK && kiln_last_error()[0] == '\0') abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx) setup();
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    count(kiln_ml_load_libsvm(ctx, path, 0, 2));
    count(kiln_ml_load_libsvm(ctx, path, 8, 1));
    for (int header = 0; header <= 1; header++) {
        kiln_ml_csv_options o = {.delimiter = ',', .label_column = 1, .header = header};
        count(kiln_ml_load_csv(ctx, path, &o, 2));
    }
    static const int numeric[] = {2};
    kiln_ml_hashing_options h = {.label_column = 0,
                                 .numeric = numeric,
                                 .num_numeric = 1,
                                 .num_features = 64,
                                 .header = size % 2};
    count(kiln_ml_hash_features(ctx, path, &h, 2));
    static const int cats[] = {0, 2};
    kiln_ml_one_hot_options oh = {.delimiter = ',',
                                  .label_column = 1,
                                  .positive_label = "1",
                                  .categorical = cats,
                                  .num_categorical = 2};
    kiln_ml_one_hot *enc = kiln_ml_one_hot_fit(ctx, path, &oh);
    if (enc) {
        count(kiln_ml_one_hot_transform(enc, path, 2));
        kiln_ml_one_hot_free(enc);
    }
    return 0;
}
