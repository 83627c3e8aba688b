/*
 * sql/udf.h - native scalar functions loaded from shared libraries
 * (include/kiln/udf.h is their ABI): the per-process loader, calls bound
 * into expressions (an EX_CALL whose fn is one of udf_fn_defs), their wire
 * form, and a session's catalog of them.
 *
 * A plan holds a UDF call as (name, library path, symbol) and the bound
 * argument types; every process binds it again by loading the library
 * (once per process: the handles are cached and never closed).
 */
#ifndef KILN_SQL_UDF_H
#define KILN_SQL_UDF_H

#include "base/wire.h"
#include "kiln/udf.h"
#include "sql/expr.h"

#pragma GCC visibility push(hidden)

/* A registered function: its SQL name (lower case), the library's
 * absolute path and the descriptor's symbol. */
typedef struct udf_ref {
    const char *name;
    const char *lib;
    const char *symbol;
} udf_ref;

/* The descriptor `symbol` of library `lib`, loading the library on first
 * use in this process (thread-safe; cached for the process's life).
 * Returns KILN_OK, or KILN_ESQL with a message naming the path and
 * dlerror(), or the symbol, or a wrong ABI version; fn names the function
 * in the message. */
int udf_load(const char *fn, const char *lib, const char *symbol, const kiln_udf **out);

/* A call of UDF ref over args (bound expressions), in a: binds the
 * descriptor (fixed types or its bind callback) and casts the arguments
 * to the types it wants. NULL on failure with "[CLASS] message" in
 * kiln_last_error() (the analyser adds the SQL position). */
expr *udf_expr(kiln_arena *a, const udf_ref *ref, expr **args, int nargs, const char *text);
/* Whether fn is the definition standing for UDF calls in EX_CALL nodes. */
bool udf_is(const fn_def *fn);
/* Whether two UDF call nodes call the same function. */
bool udf_same(const expr *a, const expr *b);
/* The reference of a UDF call node e (after the function's name in the
 * wire form of e), and back (strings in a; KILN_ECORRUPT when short). */
void udf_encode(wire_writer *w, const expr *e);
int udf_decode_ref(wire_reader *r, kiln_arena *a, udf_ref *out);

#pragma GCC visibility pop
#endif
