/*
 * tests/support/udf_test_ref.h - the haversine formula shared by the test
 * UDF library (udf_test.c) and test_sql_udf's sequential reference, so
 * both compute the same doubles.
 */
#ifndef KILN_UDF_TEST_REF_H
#define KILN_UDF_TEST_REF_H

#include <math.h>

/* Great-circle distance in km between two points given in degrees. */
static inline double udf_ref_haversine(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0088, d = 3.14159265358979323846 / 180;
    double dlat = (lat2 - lat1) * d, dlon = (lon2 - lon1) * d;
    double h = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * d) * cos(lat2 * d) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(sqrt(h));
}

#endif
