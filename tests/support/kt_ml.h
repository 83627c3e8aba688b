/*
 * kt_ml.h - data files of the ml tests: the CSVs and reference results
 * under tests/ml/ (written by tests/ml/sklearn_kmeans_nb.py).
 */
#ifndef KILN_TEST_KT_ML_H
#define KILN_TEST_KT_ML_H

/* Returns the malloc'd path of name under tests/ml/ in the source tree. */
char *kt_ml_path(const char *name);

/* Reads a headerless CSV of numbers under tests/ml/: returns the malloc'd
 * values row by row, with *rows and *cols; fails the test when the file is
 * missing or its rows differ in length. */
double *kt_ml_csv(const char *name, int *rows, int *cols);

/* Reads the block `block` of an expected-results file under tests/ml/
 * (lines "block rows cols" followed by rows * cols numbers): returns the
 * malloc'd values; fails the test when it is missing. */
double *kt_ml_block(const char *name, const char *block, int *rows, int *cols);

#endif
