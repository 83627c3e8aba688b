/*
 * python/src/py_wire_ref.h - decoding kiln's value encoding without
 * copies (py_wire_ref.c); needs no Python.
 */
#ifndef KILN_PY_WIRE_REF_H
#define KILN_PY_WIRE_REF_H

#include <stdint.h>

#include "kiln.h"

/* Reads a LEB128 varint at *p (advanced past it); 0, or -1 when it is
 * truncated or longer than 10 bytes. */
int pyk_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out);

/* The value encoded at *p (advanced past it) as a kiln value whose strings
 * and bytes point into the input (tuples and lists in a, vectors copied
 * there, aligned); KILN_OK, KILN_ECORRUPT (never reading past end) or
 * KILN_ENOMEM. */
int pyk_decode_ref(kiln_arena *a, const uint8_t **p, const uint8_t *end, kiln_value *out);

#endif
