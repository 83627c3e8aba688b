/*
 * ml/ml.h - what the files of src/ml share (the public API is
 * include/kiln/ml.h).
 */
#ifndef KILN_ML_INTERNAL_H
#define KILN_ML_INTERNAL_H

#include <kiln.h>
#include <kiln/ml.h>

#include "base/base.h"

#endif
