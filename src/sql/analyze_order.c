/*
 * sql/analyze_order.c - the analyser's check that an ORDER BY key (of a
 * query, a set operation or a window) has an orderable type: Spark orders
 * every type but maps (and types holding maps), and says so with
 * DATATYPE_MISMATCH.INVALID_ORDERING_TYPE at the key.
 */
#include <ctype.h>

#include "kiln.h"
#include "sql/analyze_int.h"
#include "sql/nested_key.h"

int anz_check_orderable(anz *z, const ast_sort_item *it, const col_type *t)
{
    if (nk_orderable(t)) return KILN_OK;
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = col_type_format(&b, t);
    char name[256];
    size_t n = 0;
    for (size_t k = 0; !rc && k < b.len && n + 2 < sizeof name; k++) {
        name[n++] = (char)toupper((unsigned char)b.data[k]);
        if (b.data[k] == ',') name[n++] = ' '; /* Spark's "MAP<INT, STRING>" */
    }
    name[n] = 0;
    kiln_buf_release(&b);
    if (rc) return rc;
    const char *dir = it->dir < 0 ? "DESC" : "ASC";
    bool nf = it->nulls ? it->nulls > 0 : it->dir >= 0;
    return anz_error(z, it->expr->pos, it->expr->len, "DATATYPE_MISMATCH.INVALID_ORDERING_TYPE",
                     "42K09",
                     "Cannot resolve \"%s %s NULLS %s\" due to data type mismatch: The `sortorder` "
                     "does not support ordering on type \"%s\".",
                     anz_text_of(z, it->expr), dir, nf ? "FIRST" : "LAST", name);
}
