/*
 * test_ml_persist.c - model directories: each kind of model (GLM, k-means,
 * naive Bayes) saved and loaded is the same bit for bit, special values
 * included; saving refuses an existing directory; loading refuses a
 * damaged or truncated coefficients.bin, another format version, another
 * kind, malformed or incomplete metadata and a missing file, naming the
 * file each time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kiln/ml.h>
#include "base/base.h"
#include "kt.h"
#include "ml/ml.h"

static void fill(double *v, size_t n, uint64_t seed)
{
    rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) v[i] = (rng_double(&r) - 0.5) * exp((double)(i % 40) - 20);
}

/* a and b hold the same bits. */
static void same_bits(const double *a, const double *b, size_t n)
{
    assert_memory_equal(a, b, n * sizeof *a);
}

static kiln_ml_glm *sample_glm(void)
{
    kiln_ml_glm *m = glm_alloc(KILN_ML_MULTINOMIAL, 7, 3, 5);
    assert_non_null(m);
    fill(m->coef, 21, 1);
    fill(m->intercept, 3, 2);
    fill(m->loss_history, 5, 3);
    m->coef[4] = -0.0;
    m->coef[5] = INFINITY;
    m->coef[6] = 5e-324; /* the smallest subnormal */
    m->iterations = 4;
    m->objective = 0.1 + 0.2; /* needs all 17 digits */
    return m;
}

static kiln_ml_kmeans *sample_kmeans(void)
{
    kiln_ml_kmeans *m = kmeans_alloc(4, 3);
    assert_non_null(m);
    fill(m->centers, 12, 4);
    m->cost = 1234.5678901234567;
    m->iterations = 9;
    return m;
}

static kiln_ml_nb *sample_nb(void)
{
    kiln_ml_nb *m = nb_alloc(3, 5);
    assert_non_null(m);
    fill(m->log_prior, 3, 5);
    fill(m->log_theta, 15, 6);
    m->log_prior[1] = -INFINITY; /* a class without points */
    return m;
}

static void round_trips_are_exact(void **state)
{
    char *tmp = kt_tmpdir_new();
    char *gdir = kt_path(tmp, "glm"), *kdir = kt_path(tmp, "deeper/still/kmeans"),
         *ndir = kt_path(tmp, "nb");

    kiln_ml_glm *g = sample_glm();
    KT_OK(kiln_ml_glm_save(g, gdir));
    kiln_ml_glm *g2 = kiln_ml_glm_load(gdir);
    KT_CHECK(g2, "load: %s", kiln_last_error());
    assert_int_equal(g2->family, g->family);
    assert_int_equal(g2->num_features, g->num_features);
    assert_int_equal(g2->num_rows, g->num_rows);
    assert_int_equal(g2->history_len, g->history_len);
    assert_int_equal(g2->iterations, g->iterations);
    same_bits(&g2->objective, &g->objective, 1);
    same_bits(g2->coef, g->coef, 21);
    same_bits(g2->intercept, g->intercept, 3);
    same_bits(g2->loss_history, g->loss_history, 5);
    kiln_ml_glm_free(g2);
    /* A model without history or features. */
    kiln_ml_glm *e = glm_alloc(KILN_ML_LINEAR, 0, 1, 0);
    e->objective = NAN;
    char *edir = kt_path(tmp, "empty");
    KT_OK(kiln_ml_glm_save(e, edir));
    kiln_ml_glm *e2 = kiln_ml_glm_load(edir);
    KT_CHECK(e2, "load: %s", kiln_last_error());
    assert_true(e2->family == KILN_ML_LINEAR && e2->num_features == 0 && e2->history_len == 0);
    assert_true(isnan(e2->objective));
    kiln_ml_glm_free(e);
    kiln_ml_glm_free(e2);
    free(edir);

    kiln_ml_kmeans *k = sample_kmeans();
    KT_OK(kiln_ml_kmeans_save(k, kdir));
    kiln_ml_kmeans *k2 = kiln_ml_kmeans_load(kdir);
    KT_CHECK(k2, "load: %s", kiln_last_error());
    assert_true(k2->k == k->k && k2->dim == k->dim && k2->iterations == k->iterations);
    same_bits(&k2->cost, &k->cost, 1);
    same_bits(k2->centers, k->centers, 12);
    kiln_ml_kmeans_free(k2);

    kiln_ml_nb *n = sample_nb();
    KT_OK(kiln_ml_nb_save(n, ndir));
    kiln_ml_nb *n2 = kiln_ml_nb_load(ndir);
    KT_CHECK(n2, "load: %s", kiln_last_error());
    assert_true(n2->num_classes == n->num_classes && n2->num_features == n->num_features);
    same_bits(n2->log_prior, n->log_prior, 3);
    same_bits(n2->log_theta, n->log_theta, 15);
    kiln_ml_nb_free(n2);

    /* The metadata is readable JSON with the checksum of the coefficients;
     * no temporary file is left. */
    char *meta_path = kt_path(gdir, "metadata.json");
    size_t len;
    char *meta = kt_read_file(meta_path, &len);
    assert_non_null(meta);
    assert_non_null(strstr(meta, "\"format\": \"kiln-ml\""));
    assert_non_null(strstr(meta, "\"version\": 1"));
    assert_non_null(strstr(meta, "\"kind\": \"glm\""));
    assert_non_null(strstr(meta, "\"family\": \"multinomial\""));
    assert_non_null(strstr(meta, "\"num_rows\": 3"));
    assert_non_null(strstr(meta, "\"checksum\": \""));
    assert_int_equal(kt_count_entries(gdir, ""), 2);
    assert_int_equal(kt_count_entries(gdir, "."), 0);
    free(meta);
    free(meta_path);

    /* Saving over an existing directory (even an empty one) is refused. */
    KT_RC(KILN_EEXIST, kiln_ml_kmeans_save(k, gdir));
    assert_non_null(strstr(kiln_last_error(), "already exists"));
    KT_RC(KILN_EEXIST, kiln_ml_nb_save(n, tmp));
    kiln_ml_glm_free(g);
    kiln_ml_kmeans_free(k);
    kiln_ml_nb_free(n);
    kt_rm_rf(tmp);
    free(gdir), free(kdir), free(ndir), free(tmp);
}

/* Saves a fresh k-means model into tmp/name; returns the malloc'd dir. */
static char *saved_kmeans(const char *tmp, const char *name)
{
    char *dir = kt_path(tmp, name);
    kiln_ml_kmeans *k = sample_kmeans();
    KT_OK(kiln_ml_kmeans_save(k, dir));
    kiln_ml_kmeans_free(k);
    return dir;
}

/* Loading dir as k-means fails with a message holding both strings. */
static void refused(const char *dir, const char *file, const char *what)
{
    kiln_ml_kmeans *m = kiln_ml_kmeans_load(dir);
    if (m) kiln_ml_kmeans_free(m);
    KT_CHECK(!m, "loaded a model that should be refused (%s)", what);
    KT_CHECK(strstr(kiln_last_error(), file) && strstr(kiln_last_error(), what),
             "message \"%s\" should name %s and say %s", kiln_last_error(), file, what);
}

/* Replaces the first `from` in dir/metadata.json with `to`. */
static void edit_metadata(const char *dir, const char *from, const char *to)
{
    char *path = kt_path(dir, "metadata.json");
    size_t len;
    char *text = kt_read_file(path, &len);
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t head = (size_t)(at - text), fl = strlen(from), tl = strlen(to);
    char *out = malloc(len - fl + tl + 1);
    memcpy(out, text, head);
    memcpy(out + head, to, tl);
    memcpy(out + head + tl, at + fl, len - head - fl);
    kt_write_file(path, out, len - fl + tl);
    free(out);
    free(text);
    free(path);
}

static void damaged_directories_are_refused(void **state)
{
    char *tmp = kt_tmpdir_new();
    char *d;

    kt_set_case("flipped byte");
    d = saved_kmeans(tmp, "flipped");
    char *bin = kt_path(d, "coefficients.bin");
    kt_flip_byte(bin, 37, 0x10);
    refused(d, "coefficients.bin", "checksum");
    free(bin), free(d);

    kt_set_case("truncated");
    d = saved_kmeans(tmp, "truncated");
    bin = kt_path(d, "coefficients.bin");
    size_t len;
    char *data = kt_read_file(bin, &len);
    kt_write_file(bin, data, len - 8);
    refused(d, "coefficients.bin", "88 bytes");
    free(data), free(bin), free(d);

    kt_set_case("sizes that disagree with the file");
    d = saved_kmeans(tmp, "sizes");
    edit_metadata(d, "\"dim\": 3", "\"dim\": 2");
    refused(d, "coefficients.bin", "describes 8 float64 values");
    free(d);

    kt_set_case("another version");
    d = saved_kmeans(tmp, "version");
    edit_metadata(d, "\"version\": 1", "\"version\": 2");
    refused(d, "metadata.json", "version 2");
    free(d);

    kt_set_case("another format");
    d = saved_kmeans(tmp, "format");
    edit_metadata(d, "kiln-ml", "kiln-xx");
    refused(d, "metadata.json", "kiln-xx");
    free(d);

    kt_set_case("another kind");
    d = saved_kmeans(tmp, "kind");
    assert_null(kiln_ml_glm_load(d));
    KT_CHECK(strstr(kiln_last_error(), "metadata.json") && strstr(kiln_last_error(), "kmeans"),
             "message: %s", kiln_last_error());
    assert_null(kiln_ml_nb_load(d));
    KT_CHECK(strstr(kiln_last_error(), "not a \"naive_bayes\" model"), "message: %s",
             kiln_last_error());
    free(d);

    kt_set_case("malformed metadata");
    d = saved_kmeans(tmp, "malformed");
    edit_metadata(d, "\"k\": 4,", "\"k\": 4");
    refused(d, "metadata.json", "expected ',' or '}'");
    free(d);

    kt_set_case("missing field");
    d = saved_kmeans(tmp, "field");
    edit_metadata(d, "\"cost\"", "\"kost\"");
    refused(d, "metadata.json", "\"cost\" is missing");
    free(d);

    kt_set_case("bad checksum text");
    d = saved_kmeans(tmp, "sumtext");
    edit_metadata(d, "\"checksum\": \"", "\"checksum\": \"z");
    refused(d, "metadata.json", "not 16 hex digits");
    free(d);

    kt_set_case("missing files");
    d = saved_kmeans(tmp, "missing");
    bin = kt_path(d, "coefficients.bin");
    remove(bin);
    refused(d, "coefficients.bin", "missing");
    free(bin);
    bin = kt_path(d, "metadata.json");
    remove(bin);
    refused(d, "metadata.json", "missing");
    assert_int_equal(kiln_ml_kmeans_load(d) == NULL, 1);
    free(bin), free(d);
    d = kt_path(tmp, "never-saved");
    refused(d, "never-saved/metadata.json", "missing");
    free(d);

    kt_rm_rf(tmp);
    free(tmp);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips_are_exact),
        cmocka_unit_test(damaged_directories_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
