/*
 * kiln/ml.h - machine learning on RDDs: vectors, loaders, feature
 * transformers, optimisers, models, evaluation and tuning.
 *
 * Conventions:
 * - Vectors are record values. Dense: a KILN_VEC. Sparse: a 3-tuple
 *   (INT size, BYTES indices, VEC values) whose indices are int32 in
 *   little-endian order, strictly increasing, each in [0, size).
 * - A labeled point is the pair (DOUBLE label, vector).
 * - Functions that return a new object return NULL on error with
 *   kiln_last_error() set; functions that return int return KILN_OK or an
 *   error code with the message set. Objects returned are owned by the
 *   caller and freed with their _free function; RDDs belong to the context.
 * - Everything computed over an RDD runs as kiln jobs (tree_aggregate of
 *   depth 2 for the optimisers), so it runs on every master kiln supports.
 * - Bad data (a malformed line, a NaN or infinite feature or label) fails
 *   the job with a message naming the file and line when the data came
 *   from a file, or the record otherwise; nothing is trained on it.
 */
#ifndef KILN_ML_H
#define KILN_ML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kiln.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Vectors and labeled points --------------------------------------- */

/* Copies nnz (index, value) entries into a; indices must be strictly
 * increasing and in [0, size) (else a null value and the error is set). */
KILN_API kiln_value kiln_ml_sparse_new(kiln_arena *a, int64_t size, const int32_t *indices,
                                       const double *values, size_t nnz);
/* Whether v is a dense or a well-formed sparse vector. */
KILN_API bool kiln_ml_is_vector(const kiln_value *v);
KILN_API bool kiln_ml_is_sparse(const kiln_value *v);
/* The dimension of a vector (dense: its length). */
KILN_API int64_t kiln_ml_vector_size(const kiln_value *v);
/* Number of stored entries (dense: its length). */
KILN_API size_t kiln_ml_vector_nnz(const kiln_value *v);
/* The i-th stored entry of a sparse vector (index, value). */
KILN_API void kiln_ml_sparse_entry(const kiln_value *v, size_t i, int32_t *index, double *value);
/* x . w, where w is dense with at least kiln_ml_vector_size(x) elements. */
KILN_API double kiln_ml_dot(const kiln_value *x, const double *w);
/* y += alpha * x (y dense, at least size(x) elements). */
KILN_API void kiln_ml_axpy(double alpha, const kiln_value *x, double *y);
/* Writes x densely into out[0..size). */
KILN_API void kiln_ml_to_dense(const kiln_value *x, double *out);
/* The labeled point (label, features); features is shallow-copied. */
KILN_API kiln_value kiln_ml_point(kiln_arena *a, double label, kiln_value features);
/* Splits a labeled point; KILN_ETYPE when p is not one. */
KILN_API int kiln_ml_point_parts(const kiln_value *p, double *label, kiln_value *features);

/* ---- Loading ------------------------------------------------------------ */

/* LIBSVM text ("label index:value ..." with 1-based increasing indices) as
 * labeled points with sparse features. num_features 0 infers it from the
 * data (a job). A malformed line fails the job naming file and line. */
KILN_API kiln_rdd *kiln_ml_load_libsvm(kiln_context *ctx, const char *path, int64_t num_features,
                                       int min_partitions);

typedef struct kiln_ml_csv_options {
    char delimiter;   /* ',' when 0 */
    int label_column; /* 0-based column of the label */
    bool header;      /* skip the first line of each file */
} kiln_ml_csv_options;

/* Delimited text of numbers as labeled points with dense features (every
 * column but the label, in order). Every line must have as many columns as
 * the first. A malformed number names file, line and column. */
KILN_API kiln_rdd *kiln_ml_load_csv(kiln_context *ctx, const char *path,
                                    const kiln_ml_csv_options *opt, int min_partitions);

/* ---- Feature transformers ----------------------------------------------- */

/* Feature hashing of delimited text records (the click-through workflow):
 * column label_column is the label (a number); columns listed in numeric
 * (0-based) are numeric features hashed by column name with their value;
 * every other non-empty column c with text s becomes the feature
 * hash("c=" + s) with value 1. Features land in [0, num_features) by
 * murmur-free xxh3 hashing of the bytes, mod num_features; collisions add.
 * header: skip each file's first line. */
typedef struct kiln_ml_hashing_options {
    char delimiter; /* ',' when 0 */
    int label_column;
    const int *numeric; /* borrowed during the call; copied */
    int num_numeric;
    const int *ignore; /* columns dropped entirely (an id, say) */
    int num_ignore;
    int64_t num_features; /* 2^18 when 0 */
    bool header;
} kiln_ml_hashing_options;
KILN_API kiln_rdd *kiln_ml_hash_features(kiln_context *ctx, const char *path,
                                         const kiln_ml_hashing_options *opt, int min_partitions);

/* One-hot encoding of delimited text with categorical and numeric columns
 * (the adult census workflow). Fitting (a job) collects each categorical
 * column's distinct values, sorted; transforming gives labeled points whose
 * features are the numeric columns as they are followed by one indicator
 * per category of each categorical column, in column order. The label is
 * 1 when the label column equals positive_label (after trimming spaces and
 * a trailing '.'), else 0. A category unseen at fit time gets no indicator. */
typedef struct kiln_ml_one_hot_options {
    char delimiter;
    int label_column;
    const char *positive_label;
    const int *categorical; /* 0-based columns; the rest but the label are numeric */
    int num_categorical;
    bool header;
} kiln_ml_one_hot_options;
typedef struct kiln_ml_one_hot kiln_ml_one_hot;
KILN_API kiln_ml_one_hot *kiln_ml_one_hot_fit(kiln_context *ctx, const char *path,
                                              const kiln_ml_one_hot_options *opt);
KILN_API kiln_rdd *kiln_ml_one_hot_transform(kiln_ml_one_hot *enc, const char *path,
                                             int min_partitions);
/* Whether later transforms skip each file's first line (initially the
 * fit's header option): UCI's adult.data has no header, adult.test one. */
KILN_API void kiln_ml_one_hot_set_header(kiln_ml_one_hot *enc, bool header);
KILN_API int64_t kiln_ml_one_hot_num_features(const kiln_ml_one_hot *enc);
KILN_API void kiln_ml_one_hot_free(kiln_ml_one_hot *enc);

/* Column statistics of the features of labeled points (one job). */
typedef struct kiln_ml_summary {
    int64_t count;
    int64_t num_features;
    double *mean, *variance, *min, *max; /* num_features each; variance unbiased (n-1) */
    double label_mean, label_variance;
} kiln_ml_summary;
KILN_API int kiln_ml_summarize(kiln_rdd *points, kiln_ml_summary *out);
KILN_API void kiln_ml_summary_release(kiln_ml_summary *s);

/* Standard scaling (Spark's StandardScaler: std is the unbiased one; a
 * zero std leaves the feature 0) and min-max scaling to [0, 1] (a constant
 * feature becomes 0.5), fitted on points and applied to labeled points. */
typedef struct kiln_ml_scaler kiln_ml_scaler;
KILN_API kiln_ml_scaler *kiln_ml_standard_scaler_fit(kiln_rdd *points, bool with_mean,
                                                     bool with_std);
KILN_API kiln_ml_scaler *kiln_ml_min_max_scaler_fit(kiln_rdd *points);
KILN_API kiln_rdd *kiln_ml_scaler_transform(kiln_ml_scaler *s, kiln_rdd *points);
KILN_API void kiln_ml_scaler_free(kiln_ml_scaler *s);

/* ---- Optimisers (reverse communication) -------------------------------- *
 * The optimiser asks for the objective at points of its choosing:
 *     kiln_ml_opt *o = kiln_ml_opt_new(&params, n, w0);
 *     const double *x;
 *     while (kiln_ml_opt_next(o, &x) == 1) {
 *         ... f = objective at x, g = its gradient (smooth part only) ...
 *         kiln_ml_opt_tell(o, f, g);
 *     }
 * so the caller can evaluate many optimisers' points in one pass over the
 * data (a parameter grid trains in lockstep). The L1 term of OWL-QN is
 * added by the optimiser: the caller returns the smooth part only. */
typedef enum kiln_ml_solver {
    KILN_ML_LBFGS = 0, /* OWL-QN when l1 > 0 */
    KILN_ML_SGD = 1,   /* step / sqrt(iteration); gradient from a mini-batch */
} kiln_ml_solver;

typedef struct kiln_ml_opt_params {
    kiln_ml_solver solver;
    int max_iter;        /* 100 when 0 */
    double tol;          /* relative change in objective; 1e-6 when 0 */
    int memory;          /* L-BFGS history; 10 when 0 */
    double l1;           /* L1 weight (OWL-QN) */
    const bool *l1_skip; /* n flags: true for coordinates without L1 (intercepts); may be NULL */
    double step;         /* SGD step size; 1.0 when 0 */
} kiln_ml_opt_params;

typedef struct kiln_ml_opt kiln_ml_opt;
KILN_API kiln_ml_opt *kiln_ml_opt_new(const kiln_ml_opt_params *p, int64_t n, const double *w0);
/* 1: evaluate at *x (valid until tell); 0: finished. */
KILN_API int kiln_ml_opt_next(kiln_ml_opt *o, const double **x);
KILN_API void kiln_ml_opt_tell(kiln_ml_opt *o, double f, const double *g);
/* The best point so far, its objective (L1 included), iterations done. */
KILN_API const double *kiln_ml_opt_solution(const kiln_ml_opt *o);
KILN_API double kiln_ml_opt_objective(const kiln_ml_opt *o);
KILN_API int kiln_ml_opt_iterations(const kiln_ml_opt *o);
/* The objective after each iteration (L1 included), iterations() + 1 values. */
KILN_API const double *kiln_ml_opt_history(const kiln_ml_opt *o, int *len);
KILN_API bool kiln_ml_opt_converged(const kiln_ml_opt *o);
KILN_API void kiln_ml_opt_free(kiln_ml_opt *o);

/* ---- Generalised linear models ----------------------------------------- */

typedef enum kiln_ml_family {
    KILN_ML_LINEAR = 0,      /* least squares: (1/2n) sum (y - w.x - b)^2 */
    KILN_ML_LOGISTIC = 1,    /* binary, labels 0/1: (1/n) sum log loss */
    KILN_ML_MULTINOMIAL = 2, /* labels 0..K-1: softmax cross-entropy */
} kiln_ml_family;

/* Objective (Spark's, and scikit-learn's with alpha = reg_param):
 *   loss + reg_param * (elastic_net * |w|_1 + (1 - elastic_net) / 2 * |w|_2^2),
 * the intercept never penalised. With standardize, training runs on features
 * divided by their std and the penalty applies to those coefficients (as
 * Spark does); the model returned is on the original scale either way. */
typedef struct kiln_ml_glm_params {
    kiln_ml_family family;
    double reg_param;
    double elastic_net; /* in [0, 1]: 0 ridge (L2), 1 lasso (L1) */
    bool fit_intercept;
    bool standardize;
    int num_classes;      /* multinomial: K (labels 0..K-1), required */
    bool normal_equation; /* linear, elastic_net 0: exact solve when dims <= 4096 */
    kiln_ml_opt_params opt;
} kiln_ml_glm_params;

typedef struct kiln_ml_glm {
    kiln_ml_family family;
    int64_t num_features;
    int num_rows;      /* 1, or K for multinomial */
    double *coef;      /* num_rows x num_features, row-major */
    double *intercept; /* num_rows */
    int iterations;
    double *loss_history; /* objective per iteration (history_len values) */
    int history_len;
    double objective; /* final objective value (on the training scale) */
} kiln_ml_glm;

/* Defaults: the family's natural settings, L-BFGS, max_iter 100, tol 1e-6,
 * fit_intercept true, standardize false. */
KILN_API kiln_ml_glm_params kiln_ml_glm_defaults(kiln_ml_family family);
/* Trains on labeled points (cached by the call while it runs). */
KILN_API kiln_ml_glm *kiln_ml_glm_train(kiln_rdd *points, const kiln_ml_glm_params *p);
/* Linear: w.x + b. Logistic: P(y = 1). Multinomial: the most likely class. */
KILN_API double kiln_ml_glm_predict(const kiln_ml_glm *m, const kiln_value *features);
/* Multinomial: the K class probabilities into probs. */
KILN_API void kiln_ml_glm_predict_probs(const kiln_ml_glm *m, const kiln_value *features,
                                        double *probs);
/* (prediction, label) pairs for labeled points: the input of the metrics. */
KILN_API kiln_rdd *kiln_ml_glm_predict_rdd(const kiln_ml_glm *m, kiln_rdd *points);
KILN_API void kiln_ml_glm_free(kiln_ml_glm *m);

/* ---- k-means -------------------------------------------------------------- */

typedef struct kiln_ml_kmeans_params {
    int k;
    int max_iter; /* 20 when 0 */
    double tol;   /* centre movement; 1e-4 when 0 */
    uint64_t seed;
    int init_steps;        /* k-means|| rounds; 2 when 0 */
    const double *initial; /* k x dim centres to start from (skips k-means||), or NULL */
} kiln_ml_kmeans_params;

typedef struct kiln_ml_kmeans {
    int k;
    int64_t dim;
    double *centers; /* k x dim */
    double cost;     /* sum of squared distances to the nearest centre */
    int iterations;
} kiln_ml_kmeans;

/* Trains on an RDD of vectors or labeled points (the features are used). */
KILN_API kiln_ml_kmeans *kiln_ml_kmeans_train(kiln_rdd *data, const kiln_ml_kmeans_params *p);
KILN_API int kiln_ml_kmeans_predict(const kiln_ml_kmeans *m, const kiln_value *features);
/* Sum of squared distances of data to their nearest centre (a job). */
KILN_API int kiln_ml_kmeans_cost(const kiln_ml_kmeans *m, kiln_rdd *data, double *cost);
KILN_API void kiln_ml_kmeans_free(kiln_ml_kmeans *m);

/* ---- Naive Bayes (multinomial) ------------------------------------------ */

typedef struct kiln_ml_nb {
    int num_classes;
    int64_t num_features;
    double *log_prior; /* num_classes */
    double *log_theta; /* num_classes x num_features */
} kiln_ml_nb;

/* Labels 0..K-1, non-negative features; smoothing is Laplace/Lidstone
 * (scikit-learn's alpha, Spark's lambda; 1.0 usual). */
KILN_API kiln_ml_nb *kiln_ml_nb_train(kiln_rdd *points, double smoothing);
KILN_API int kiln_ml_nb_predict(const kiln_ml_nb *m, const kiln_value *features);
KILN_API void kiln_ml_nb_free(kiln_ml_nb *m);

/* ---- Evaluation --------------------------------------------------------- *
 * Inputs are RDDs of (prediction, label) pairs of doubles. */

typedef struct kiln_ml_regression_metrics {
    int64_t count;
    double mse, rmse, mae, r2, explained_variance;
} kiln_ml_regression_metrics;
KILN_API int kiln_ml_regression_evaluate(kiln_rdd *pred_label, kiln_ml_regression_metrics *out);

/* Predictions are scores in [0, 1] (probabilities of label 1); the counts
 * use threshold (a score >= threshold predicts 1). AUCs are exact (ties
 * handled as scikit-learn's roc_auc_score; PR area as Spark's
 * areaUnderPR, trapezoids). */
typedef struct kiln_ml_binary_metrics {
    int64_t count, tp, fp, tn, fn;
    double auc_roc, auc_pr, accuracy, precision, recall, f1, log_loss;
} kiln_ml_binary_metrics;
KILN_API int kiln_ml_binary_evaluate(kiln_rdd *score_label, double threshold,
                                     kiln_ml_binary_metrics *out);

/* Classes 0..K-1; confusion[label * K + prediction] counts. Accuracy and
 * the weighted precision, recall and F1 (Spark's weighted metrics). */
typedef struct kiln_ml_multiclass_metrics {
    int num_classes;
    int64_t count;
    int64_t *confusion;
    double accuracy, weighted_precision, weighted_recall, weighted_f1;
} kiln_ml_multiclass_metrics;
KILN_API int kiln_ml_multiclass_evaluate(kiln_rdd *pred_label, int num_classes,
                                         kiln_ml_multiclass_metrics *out);
KILN_API void kiln_ml_multiclass_metrics_release(kiln_ml_multiclass_metrics *m);

/* ---- Tuning --------------------------------------------------------------- */

/* Splits r into n RDDs with the given relative weights: each record draws
 * one uniform number from a generator seeded by (seed, partition), so the
 * same seed and partitioning give the same split (Spark's randomSplit). */
KILN_API int kiln_ml_random_split(kiln_rdd *r, const double *weights, int n, uint64_t seed,
                                  kiln_rdd **out);
/* Fold f of k (0 <= f < k) as (train, test), by the same per-record draw. */
KILN_API int kiln_ml_kfold(kiln_rdd *r, int k, int f, uint64_t seed, kiln_rdd **train,
                           kiln_rdd **test);

typedef enum kiln_ml_metric {
    KILN_ML_RMSE = 0, /* lower is better */
    KILN_ML_AUC = 1,  /* higher is better */
    KILN_ML_LOG_LOSS = 2,
    KILN_ML_ACCURACY = 3,
} kiln_ml_metric;

/* k-fold cross-validation of a grid of GLM parameter sets: all grid points
 * of a fold train in lockstep (one pass over the data per iteration for the
 * whole grid). metrics[i] gets grid point i's mean metric over the folds;
 * *best the index of the best; *model the best parameters retrained on all
 * of points (NULL not to retrain). folds < 2: one train/validation split
 * (3:1) instead. */
KILN_API int kiln_ml_cross_validate(kiln_rdd *points, const kiln_ml_glm_params *grid, int n,
                                    int folds, kiln_ml_metric metric, uint64_t seed,
                                    double *metrics, int *best, kiln_ml_glm **model);

/* ---- Persistence ------------------------------------------------------------ *
 * A model directory holds metadata.json (kiln version, model kind, sizes,
 * parameters, an xxh64 checksum of the coefficients) and coefficients.bin
 * (little-endian float64). Loading refuses another format version, a
 * different kind, sizes that disagree, or a checksum mismatch, naming the
 * file. */
KILN_API int kiln_ml_glm_save(const kiln_ml_glm *m, const char *dir);
KILN_API kiln_ml_glm *kiln_ml_glm_load(const char *dir);
KILN_API int kiln_ml_kmeans_save(const kiln_ml_kmeans *m, const char *dir);
KILN_API kiln_ml_kmeans *kiln_ml_kmeans_load(const char *dir);
KILN_API int kiln_ml_nb_save(const kiln_ml_nb *m, const char *dir);
KILN_API kiln_ml_nb *kiln_ml_nb_load(const char *dir);

#ifdef __cplusplus
}
#endif

#endif
