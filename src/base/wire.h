/*
 * base/wire.h - the fields binary messages are made of (wire.c):
 * little-endian integers, fixed-size byte strings and u32-length-prefixed
 * bytes and strings, written and read "sticky" (the first failure is kept).
 * Used by the wire protocol (src/net), the lineage and shipped actions of
 * the engine, and the cluster's messages; it depends on nothing but the
 * public headers, so every layer may use it.
 */
#ifndef KILN_BASE_WIRE_H
#define KILN_BASE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

#pragma GCC visibility push(hidden)

/* ---- Payload fields (wire.c) ------------------------------------------ */

/* Appends fields to a buffer. The first failure (out of memory) is kept and
 * later calls do nothing, so a message is written as a run of calls and
 * checked once with wire_writer_finish. All integers little-endian. */
typedef struct wire_writer {
    kiln_buf *buf; /* borrowed */
    int err;
} wire_writer;

void wire_writer_init(wire_writer *w, kiln_buf *buf);
void wire_put_u8(wire_writer *w, uint8_t x);
void wire_put_u32(wire_writer *w, uint32_t x);
void wire_put_u64(wire_writer *w, uint64_t x);
/* n bytes as they are (fixed-size fields: nonces, MACs). */
void wire_put_raw(wire_writer *w, const void *p, size_t n);
/* A u32 length, then n bytes. */
void wire_put_bytes(wire_writer *w, const void *p, size_t n);
/* A u32 length, then the string's bytes (no NUL). */
void wire_put_str(wire_writer *w, const char *s);
/* KILN_OK or the first error. */
int wire_writer_finish(const wire_writer *w);

/* Reads fields from a payload as a cursor. The first failure (truncated
 * field, length over its limit) is recorded with a KILN_ECORRUPT message
 * naming what (the message and peer, e.g. "HEARTBEAT from worker 3") and
 * the field; every later read fails too and returns zero / NULL, so a
 * message is read as a run of calls and checked once with wire_reader_end. */
typedef struct wire_reader {
    const uint8_t *p; /* borrowed payload */
    size_t len, off;
    const char *what; /* borrowed, for messages */
    int err;
} wire_reader;

void wire_reader_init(wire_reader *r, const void *p, size_t len, const char *what);
uint8_t wire_get_u8(wire_reader *r, const char *field);
uint32_t wire_get_u32(wire_reader *r, const char *field);
uint64_t wire_get_u64(wire_reader *r, const char *field);
/* n bytes; returns borrowed pointer into the payload or NULL. */
const uint8_t *wire_get_raw(wire_reader *r, size_t n, const char *field);
/* A u32 length (at most max), then that many bytes; *n gets the length.
 * Returns a borrowed pointer into the payload (non-NULL even for 0 bytes)
 * or NULL. */
const uint8_t *wire_get_bytes(wire_reader *r, size_t max, size_t *n, const char *field);
/* A string field copied into out (size bytes, NUL-terminated): fails when
 * it is longer than size - 1 or holds a NUL byte. Returns the length or 0
 * (check wire_reader_end; an empty string is valid). */
size_t wire_get_str(wire_reader *r, char *out, size_t size, const char *field);
/* KILN_OK when every read succeeded and the whole payload was read; the
 * first error otherwise, or KILN_ECORRUPT for trailing bytes. */
int wire_reader_end(wire_reader *r);

#pragma GCC visibility pop

#endif
