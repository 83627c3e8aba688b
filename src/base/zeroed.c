/*
 * base/zeroed.c - zeroed memory for hash tables that are probed at random:
 * malloc'ed and zeroed by writing, not calloc.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

/* Called through a volatile pointer, or gcc turns malloc + memset into
 * calloc again. */
static void *(*volatile zero_fill)(void *, int, size_t) = memset;

void *zeroed_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p) zero_fill(p, 0, n);
    return p;
}
