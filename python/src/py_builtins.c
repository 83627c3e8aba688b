/*
 * python/src/py_builtins.c - Python functions kiln runs in C: the
 * package recognises a few (kiln/functions.py) and gives these instead,
 * each with Python's exact result, falling back to the Python function
 * (in the env) for any input whose result C cannot be sure of.
 *
 *   str.split / lambda s: s.split()   pyk_split_fn (a flat_map)
 *   max, min (reductions)             pyk_max_fn, pyk_min_fn
 *   len (a map)                       pyk_len_fn
 */
#include <string.h>

#include "py_kiln.h"

/* The length of the Python whitespace character at p (str.isspace(): the
 * ASCII ones, the separators U+001C..U+001F, and U+0085, U+00A0, U+1680,
 * U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 in UTF-8), or
 * 0. Bytes that are not valid UTF-8 decode to surrogates, never spaces. */
static inline size_t space_at(const uint8_t *p, const uint8_t *end)
{
    uint8_t c = p[0];
    if (c < 0x80) return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20);
    size_t left = (size_t)(end - p);
    if (c == 0xc2 && left >= 2) return (p[1] == 0x85 || p[1] == 0xa0) ? 2 : 0;
    if (left < 3) return 0;
    if (c == 0xe1) return p[1] == 0x9a && p[2] == 0x80 ? 3 : 0;
    if (c == 0xe3) return p[1] == 0x80 && p[2] == 0x80 ? 3 : 0;
    if (c != 0xe2) return 0;
    if (p[1] == 0x80)
        return (p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf ? 3
                                                                                              : 0;
    return p[1] == 0x81 && p[2] == 0x9f ? 3 : 0;
}

int pyk_split_fn(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    if (in->type != KILN_STR) return pyk_call_flat(t, env, in, out);
    const uint8_t *p = (const uint8_t *)in->u.s, *end = p + in->len;
    while (p < end) {
        size_t w;
        while (p < end && (w = space_at(p, end))) p += w;
        const uint8_t *start = p;
        while (p < end && !space_at(p, end)) p++;
        if (p > start) {
            kiln_value word = kiln_str_ref((const char *)start, (size_t)(p - start));
            int rc = kiln_emit(out, &word);
            if (rc) return rc;
        }
    }
    return 0;
}

/* Python's max(a, b) / min(a, b) in C for two ints or two floats (the
 * first of equal items, NaN as Python's comparisons order it: b replaces
 * a only when b > a, resp. b < a); anything else (mixed types, strings,
 * tuples) through env's Python function. */
static int pick(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                const void *env, bool larger)
{
    if (a->type == KILN_INT && b->type == KILN_INT) {
        bool take_b = larger ? b->u.i > a->u.i : b->u.i < a->u.i;
        *out = take_b ? *b : *a;
        return 0;
    }
    if (a->type == KILN_DOUBLE && b->type == KILN_DOUBLE) {
        bool take_b = larger ? b->u.d > a->u.d : b->u.d < a->u.d;
        *out = take_b ? *b : *a;
        return 0;
    }
    return pyk_reduce_fn0(t, a, b, out, env);
}

int pyk_max_fn(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
               const void *env)
{
    return pick(t, a, b, out, env, true);
}

int pyk_min_fn(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
               const void *env)
{
    return pick(t, a, b, out, env, false);
}

/* Python's len(x) in C for tuples, lists, vectors, bytes and ASCII strings
 * (whose bytes are their characters); anything else (a string with other
 * characters, a pickled object) through env's Python function. */
int pyk_len_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    switch (in->type) {
    case KILN_TUPLE:
    case KILN_LIST:
    case KILN_VEC:
        *out = kiln_int(in->len);
        return 0;
    case KILN_BYTES:
        if (in->len >= PYK_PICKLE_MAGIC_LEN &&
            memcmp(in->u.bytes, PYK_PICKLE_MAGIC, PYK_PICKLE_MAGIC_LEN) == 0)
            break;
        *out = kiln_int(in->len);
        return 0;
    case KILN_STR: {
        const uint8_t *p = (const uint8_t *)in->u.s;
        uint32_t i = 0;
        while (i < in->len && p[i] < 0x80) i++;
        if (i < in->len) break;
        *out = kiln_int(in->len);
        return 0;
    }
    }
    return pyk_map_fn0(t, in, out, env);
}
