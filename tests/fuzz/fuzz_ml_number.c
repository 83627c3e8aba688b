/*
 * fuzz_ml_number.c - libFuzzer target for ml_parse_double, the number
 * parser of the CSV and LIBSVM loaders: it must never read past the end it
 * is given (the input sits in a buffer of exactly its size), and wherever
 * it accepts a number it must consume exactly what strtod consumes of the
 * same text and give the same bits (inputs strtod reads differently by
 * design, hexadecimal floats and leading blanks, are left out).
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ml/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *exact = malloc(size ? size : 1);
    if (size) memcpy(exact, data, size);
    double v;
    const char *end = ml_parse_double(exact, exact + size, &v);
    if (end < exact || end > exact + size) abort();
    size_t used = (size_t)(end - exact);

    char *z = malloc(size + 1);
    if (size) memcpy(z, data, size);
    z[size] = '\0';
    bool hex = strpbrk(z, "xX") != NULL, blank = size && isspace((unsigned char)z[0]);
    if (used > 0 && !hex && !blank && memchr(z, '\0', size) == NULL) {
        char *e;
        double w = strtod(z, &e);
        if ((size_t)(e - z) != used) abort();
        if (!(isnan(v) && isnan(w)) && memcmp(&v, &w, sizeof v) != 0) abort();
    }
    if (used == 0 && v != 0) abort();
    free(z);
    free(exact);
    return 0;
}
