/*
 * sql/parquet_conf.c - the session settings that reach the Parquet writer
 * as options (Spark's precedence: the write's own option first, then the
 * session's conf): kiln.sql.parquet.compression.codec as `compression`
 * (unless compression or parquet.compression is given) and
 * kiln.sql.parquet.outputTimestampType as `outputTimestampType`; the
 * Hadoop-style parquet.block.size, parquet.page.size,
 * parquet.dictionary.page.size and parquet.enable.dictionary set in the
 * session pass through under their own names. Reading:
 * parquet.filter.columnindex.enabled (page pruning by the page index,
 * parquet-mr's name) passes from the session to the reader's options.
 */
#include <string.h>
#include <strings.h>

#include "sql/df_int.h"

static bool given(int n, const char *const *keys, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(keys[i], key) == 0) return true;
    return false;
}

int sql_parquet_write_options(kiln_session *s, kiln_arena *a, int *nopts, const char *const **keys,
                              const char *const **values)
{
    static const char *const map[][2] = {
        {"kiln.sql.parquet.compression.codec", "compression"},
        {"kiln.sql.parquet.outputTimestampType", "outputTimestampType"},
        {"parquet.block.size", "parquet.block.size"},
        {"parquet.page.size", "parquet.page.size"},
        {"parquet.dictionary.page.size", "parquet.dictionary.page.size"},
        {"parquet.enable.dictionary", "parquet.enable.dictionary"},
    };
    int n = *nopts, cap = n + (int)(sizeof map / sizeof map[0]);
    const char **k = kiln_arena_alloc(a, sizeof *k * (size_t)cap);
    const char **v = kiln_arena_alloc(a, sizeof *v * (size_t)cap);
    if (!k || !v) return kiln_set_error(KILN_ENOMEM, "out of memory writing Parquet");
    for (int i = 0; i < n; i++) {
        k[i] = (*keys)[i];
        v[i] = (*values)[i];
    }
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        const char *val = sql_session_get(s, map[i][0]);
        if (!val || given(n, k, map[i][1])) continue;
        if (i == 0 && given(n, k, "parquet.compression")) continue;
        k[n] = map[i][1];
        v[n++] = val;
    }
    *nopts = n;
    *keys = k;
    *values = v;
    return KILN_OK;
}

int sql_parquet_read_options(kiln_session *s, kiln_arena *a, int *nopts, const char *const **keys,
                             const char *const **values)
{
    static const char *const conf[] = {"parquet.filter.columnindex.enabled"};
    int n = *nopts, cap = n + (int)(sizeof conf / sizeof conf[0]);
    const char **k = kiln_arena_alloc(a, sizeof *k * (size_t)cap);
    const char **v = kiln_arena_alloc(a, sizeof *v * (size_t)cap);
    if (!k || !v) return kiln_set_error(KILN_ENOMEM, "out of memory reading Parquet");
    for (int i = 0; i < n; i++) {
        k[i] = (*keys)[i];
        v[i] = (*values)[i];
    }
    for (size_t i = 0; s && i < sizeof conf / sizeof conf[0]; i++) {
        const char *val = sql_session_get(s, conf[i]);
        if (!val || given(n, k, conf[i])) continue;
        k[n] = conf[i];
        v[n++] = val;
    }
    *nopts = n;
    *keys = k;
    *values = v;
    return KILN_OK;
}
