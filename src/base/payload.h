/*
 * base/payload.h - the fields binary messages are made of (payload.c):
 * little-endian integers, fixed-size byte strings and u32-length-prefixed
 * bytes and strings, written and read "sticky" (the first failure is kept).
 * Used by the wire protocol (src/net), the lineage and shipped actions of
 * the engine, and the cluster's messages; it depends on nothing but the
 * public headers, so every layer may use it.
 */
#ifndef KILN_BASE_PAYLOAD_H
#define KILN_BASE_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

#pragma GCC visibility push(hidden)

/* ---- Payload fields (payload.c) ------------------------------------------ */

/* Appends fields to a buffer. The first failure (out of memory) is kept and
 * later calls do nothing, so a message is written as a run of calls and
 * checked once with net_writer_finish. All integers little-endian. */
typedef struct net_writer {
    kiln_buf *buf; /* borrowed */
    int err;
} net_writer;

void net_writer_init(net_writer *w, kiln_buf *buf);
void net_put_u8(net_writer *w, uint8_t x);
void net_put_u32(net_writer *w, uint32_t x);
void net_put_u64(net_writer *w, uint64_t x);
/* n bytes as they are (fixed-size fields: nonces, MACs). */
void net_put_raw(net_writer *w, const void *p, size_t n);
/* A u32 length, then n bytes. */
void net_put_bytes(net_writer *w, const void *p, size_t n);
/* A u32 length, then the string's bytes (no NUL). */
void net_put_str(net_writer *w, const char *s);
/* KILN_OK or the first error. */
int net_writer_finish(const net_writer *w);

/* Reads fields from a payload as a cursor. The first failure (truncated
 * field, length over its limit) is recorded with a KILN_ECORRUPT message
 * naming what (the message and peer, e.g. "HEARTBEAT from worker 3") and
 * the field; every later read fails too and returns zero / NULL, so a
 * message is read as a run of calls and checked once with net_reader_end. */
typedef struct net_reader {
    const uint8_t *p; /* borrowed payload */
    size_t len, off;
    const char *what; /* borrowed, for messages */
    int err;
} net_reader;

void net_reader_init(net_reader *r, const void *p, size_t len, const char *what);
uint8_t net_get_u8(net_reader *r, const char *field);
uint32_t net_get_u32(net_reader *r, const char *field);
uint64_t net_get_u64(net_reader *r, const char *field);
/* n bytes; returns borrowed pointer into the payload or NULL. */
const uint8_t *net_get_raw(net_reader *r, size_t n, const char *field);
/* A u32 length (at most max), then that many bytes; *n gets the length.
 * Returns a borrowed pointer into the payload (non-NULL even for 0 bytes)
 * or NULL. */
const uint8_t *net_get_bytes(net_reader *r, size_t max, size_t *n, const char *field);
/* A string field copied into out (size bytes, NUL-terminated): fails when
 * it is longer than size - 1 or holds a NUL byte. Returns the length or 0
 * (check net_reader_end; an empty string is valid). */
size_t net_get_str(net_reader *r, char *out, size_t size, const char *field);
/* KILN_OK when every read succeeded and the whole payload was read; the
 * first error otherwise, or KILN_ECORRUPT for trailing bytes. */
int net_reader_end(net_reader *r);

#pragma GCC visibility pop

#endif
