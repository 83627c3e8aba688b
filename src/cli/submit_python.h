/*
 * cli/submit_python.h - `kiln submit job.py`: a Python application is run
 * by a Python interpreter with the kiln package on its path
 * (cli/submit_python.c).
 */
#ifndef KILN_CLI_SUBMIT_PYTHON_H
#define KILN_CLI_SUBMIT_PYTHON_H

#include <stdbool.h>

/* Whether program is a Python application (its name ends in .py). */
bool submit_is_python(const char *program);

/* Execs the interpreter (kiln.pyspark.driver.python, $PYSPARK_DRIVER_PYTHON,
 * kiln.pyspark.python, $PYSPARK_PYTHON, else /usr/bin/python3) with argv
 * (the program and its arguments) after it, PYTHONPATH starting with the
 * kiln package's directory (next to this kiln program: build/python in a
 * build tree, PREFIX/lib/kiln/python when installed) and the py-files
 * (kiln.submit.pyFiles). conf: submit's key=value lines. Returns only on
 * failure: the exit status, 1, with the message on stderr. */
int submit_python(char **argv, const char *conf);

#endif
