/*
 * sql/udf_catalog.c - a session's native functions (udf.h): CREATE
 * [OR REPLACE] [TEMPORARY] FUNCTION name AS 'path/libx.so[:symbol]', DROP
 * [TEMPORARY] FUNCTION, SHOW FUNCTIONS, the analyser's lookup and
 * kiln_session_register_udf. Functions live as long as the session (kiln
 * has no persistent catalog: a function created without TEMPORARY is
 * session-scoped too).
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/sql.h"
#include "sql/agg_fn.h"
#include "sql/session_int.h"
#include "sql/udf.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory");
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s + 32);
}

static int find(const kiln_session *s, const char *name)
{
    for (int i = 0; i < s->nudfs; i++)
        if (strcasecmp(s->udfs[i].name, name) == 0) return i;
    return -1;
}

const udf_ref *sql_udf_lookup(void *session, const char *name)
{
    kiln_session *s = session;
    int i = find(s, name);
    return i < 0 ? NULL : &s->udfs[i];
}

static void ref_free(udf_ref *r)
{
    free((char *)r->name);
    free((char *)r->lib);
    free((char *)r->symbol);
}

void sql_udf_free(kiln_session *s)
{
    for (int i = 0; i < s->nudfs; i++) ref_free(&s->udfs[i]);
    free(s->udfs);
    s->udfs = NULL;
    s->nudfs = 0;
}

/* Registers (name, lib, symbol) after loading it once here, so a bad path
 * fails now and not in a task. Caller holds s->lock. */
static int reg(kiln_session *s, const char *name, const char *lib, const char *symbol, bool replace,
               bool if_not_exists)
{
    if (!name || !*name || !lib || !*lib || !symbol || !*symbol)
        return kiln_set_error(KILN_EINVAL, "a function needs a name, a library path and a symbol");
    udf_ref r = {strdup(name), realpath(lib, NULL), strdup(symbol)};
    int rc = KILN_OK;
    if (!r.name || !r.symbol) {
        rc = oom();
        goto fail;
    }
    lower((char *)r.name);
    if (fn_lookup(r.name) || agg_lookup(r.name)) {
        rc = kiln_set_error(KILN_ESQL,
                            "[ROUTINE_ALREADY_EXISTS] Cannot create the function `%s` because a "
                            "built-in function has that name. Choose a different name. "
                            "SQLSTATE: 42723",
                            r.name);
        goto fail;
    }
    if (!r.lib) {
        rc = kiln_set_error(KILN_ESQL,
                            "[CANNOT_LOAD_FUNCTION_CLASS] Cannot load the library '%s' of the "
                            "function `%s`: %s SQLSTATE: 46103",
                            lib, r.name, strerror(errno));
        goto fail;
    }
    int at = find(s, r.name);
    if (at >= 0 && if_not_exists) goto fail; /* rc OK: nothing to do */
    if (at >= 0 && !replace) {
        rc = kiln_set_error(KILN_ESQL,
                            "[ROUTINE_ALREADY_EXISTS] Cannot create the function `%s` because it "
                            "already exists. Choose a different name, drop or replace the "
                            "existing function, or add the IF NOT EXISTS clause to tolerate a "
                            "pre-existing function. SQLSTATE: 42723",
                            r.name);
        goto fail;
    }
    const kiln_udf *d;
    if ((rc = udf_load(r.name, r.lib, r.symbol, &d))) {
        rc = kiln_set_error(KILN_ESQL, "%s SQLSTATE: 46103", kiln_last_error());
        goto fail;
    }
    if (at >= 0) {
        ref_free(&s->udfs[at]);
        s->udfs[at] = r;
        return KILN_OK;
    }
    udf_ref *g = realloc(s->udfs, sizeof *g * (size_t)(s->nudfs + 1));
    if (!g) {
        rc = oom();
        goto fail;
    }
    s->udfs = g;
    s->udfs[s->nudfs++] = r;
    return KILN_OK;
fail:
    ref_free(&r);
    return rc;
}

KILN_API int kiln_session_register_udf(kiln_session *s, const char *name, const char *lib_path,
                                       const char *symbol)
{
    if (!s) return kiln_set_error(KILN_EINVAL, "no session");
    pthread_mutex_lock(&s->lock);
    int rc = reg(s, name, lib_path, symbol ? symbol : name, true, false);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int create(kiln_session *s, const ast_stmt_create_function *f)
{
    if (f->nresources)
        return kiln_set_error(KILN_ESQL,
                              "[UNSUPPORTED_FEATURE] CREATE FUNCTION ... USING %s: a "
                              "native function names its library in AS "
                              "'path/libx.so:symbol' SQLSTATE: 0A000",
                              f->resources[0].key);
    const char *name = f->name.parts[f->name.n - 1];
    /* 'path:symbol', or 'path' with the function's name as the symbol. */
    const char *spec = f->class_name, *colon = strrchr(spec, ':');
    if (colon && strchr(colon, '/')) colon = NULL;
    char *lib = strndup(spec, colon ? (size_t)(colon - spec) : strlen(spec));
    char *sym = strdup(colon ? colon + 1 : name);
    int rc = lib && sym ? KILN_OK : oom();
    if (!rc) {
        if (!colon) lower(sym);
        rc = reg(s, name, lib, sym, f->or_replace, f->if_not_exists);
    }
    free(lib);
    free(sym);
    return rc;
}

static int drop(kiln_session *s, const ast_stmt_drop *d)
{
    const char *name = d->name.parts[d->name.n - 1];
    int i = find(s, name);
    if (i < 0) {
        if (d->if_exists) return KILN_OK;
        return kiln_set_error(KILN_ESQL,
                              "[ROUTINE_NOT_FOUND] The routine `%s` cannot be found. Verify the "
                              "spelling and correctness of the schema and catalog. SQLSTATE: "
                              "42883",
                              name);
    }
    ref_free(&s->udfs[i]);
    memmove(&s->udfs[i], &s->udfs[i + 1], sizeof *s->udfs * (size_t)(s->nudfs - i - 1));
    s->nudfs--;
    return KILN_OK;
}

/* Spark's SHOW FUNCTIONS LIKE pattern: '*' any characters, '|' between
 * alternatives, case-insensitive. */
static bool like(const char *pattern, const char *name)
{
    if (!pattern) return true;
    char *p = strdup(pattern), *save = NULL;
    if (p) lower(p); /* names are lower case */
    bool hit = false;
    for (char *alt = p ? strtok_r(p, "|", &save) : NULL; alt && !hit;
         alt = strtok_r(NULL, "|", &save)) {
        while (*alt == ' ') alt++;
        for (char *e = alt + strlen(alt); e > alt && e[-1] == ' ';) *--e = 0;
        hit = fnmatch(alt, name, 0) == 0;
    }
    free(p);
    return hit;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* SHOW FUNCTIONS [LIKE p]: the session's native functions, one column
 * `function`, sorted (built-in functions are not listed). */
static int show(kiln_session *s, const ast_stmt_show *sh, sql_result *out)
{
    memset(out, 0, sizeof *out);
    if (!(out->a = kiln_arena_new())) return oom();
    const char **names = kiln_arena_alloc(out->a, sizeof *names * (size_t)(s->nudfs + 1));
    out->cols = kiln_arena_alloc(out->a, sizeof *out->cols);
    out->batches = kiln_arena_alloc(out->a, sizeof *out->batches);
    if (!names || !out->cols || !out->batches) return oom();
    uint32_t n = 0;
    for (int i = 0; i < s->nudfs; i++)
        if (like(sh->like, s->udfs[i].name)) names[n++] = s->udfs[i].name;
    qsort(names, n, sizeof *names, cmp_name);
    out->ncols = 1;
    out->cols[0] = (plan_col){"function", NULL, &col_type_string, false};
    const col_type *t = &col_type_string;
    if (col_batch_init(out->batches, out->a, 1, &t, n ? n : 1)) return oom();
    for (uint32_t i = 0; i < n; i++)
        if (!col_str_copy(out->a, names[i], (uint32_t)strlen(names[i]),
                          &COL_DATA(&out->batches->cols[0], col_str)[i]))
            return oom();
    out->batches->n = out->batches->cols[0].n = n;
    out->nbatches = n ? 1 : 0;
    out->rows = n;
    return KILN_OK;
}

bool sql_udf_handles(const ast_stmt *st)
{
    return st->kind == AST_STMT_CREATE_FUNCTION ||
           (st->kind == AST_STMT_DROP && ((const ast_stmt_drop *)st)->what == OBJ_FUNCTION) ||
           (st->kind == AST_STMT_SHOW && ((const ast_stmt_show *)st)->what == SHOW_FUNCTIONS);
}

int sql_udf_stmt(kiln_session *s, const ast_stmt *st, sql_outcome *o)
{
    memset(o, 0, sizeof *o);
    if (st->kind == AST_STMT_CREATE_FUNCTION)
        return create(s, (const ast_stmt_create_function *)st);
    if (st->kind == AST_STMT_DROP) return drop(s, (const ast_stmt_drop *)st);
    int rc = show(s, (const ast_stmt_show *)st, &o->rows);
    if (rc) {
        kiln_arena_free(o->rows.a);
        return rc;
    }
    o->has_rows = true;
    return KILN_OK;
}
