/*
 * base/fnref.h - function pointers that travel between processes.
 *
 * Executors run the same program as the driver (SPMD), but each process
 * loads it, and libkiln.so, at its own address. A function pointer
 * therefore travels as (build id of the module holding it, offset from
 * that module's load base); the receiver finds the module with the same
 * build id among its own and adds its base. A module the receiver lacks
 * (another build of the program or of libkiln) is refused with an error
 * naming both, never called.
 *
 * The build id is the module's GNU build-id note (the linker writes one by
 * default on Debian); a module without one is identified by the XXH3-128
 * of its file.
 */
#ifndef KILN_BASE_FNREF_H
#define KILN_BASE_FNREF_H

#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

#define FNREF_ID_MAX 32 /* bytes of a build id kept (SHA-1 ids have 20) */

typedef struct fnref {
    uint8_t id_len;
    uint8_t id[FNREF_ID_MAX]; /* the module's build id */
    uint64_t offset;          /* from the module's load base */
} fnref;

/* The build id of the running program (the main executable). */
int fnref_self_id(fnref *out);

/* Describes fn (NULL gives an all-zero fnref). KILN_ENOTFOUND when fn lies
 * in no loaded module. */
int fnref_from_pointer(const void *fn, fnref *out);

/* The pointer for r in this process (NULL for the all-zero fnref);
 * KILN_ENOTFOUND, with a message naming the build id, when no loaded
 * module has r's build id: the peer runs a different binary. */
int fnref_to_pointer(const fnref *r, void **fn);

/* Wire form: u8 id length, the id, u64 offset (little-endian). */
size_t fnref_encode(const fnref *r, uint8_t *out); /* out: at least FNREF_WIRE_MAX */
#define FNREF_WIRE_MAX (1 + FNREF_ID_MAX + 8)
/* Decodes from p (n bytes); sets *used. KILN_ECORRUPT on a bad form. */
int fnref_decode(const uint8_t *p, size_t n, fnref *out, size_t *used);

/* Hex of a build id into buf (2 * len + 1 bytes). */
void fnref_id_hex(const fnref *r, char *buf, size_t size);

#endif
