/*
 * sql/fn_regex.c - SQL's regular-expression functions (fn_defs_regex):
 * rlike / regexp / regexp_like, regexp_extract, regexp_extract_all,
 * regexp_replace, regexp_count, regexp_instr, regexp_substr and split,
 * with Java's syntax as far as PCRE2 gives it.
 *
 * Patterns are compiled with PCRE2_UTF | PCRE2_MATCH_INVALID_UTF (invalid
 * UTF-8 in a value never matches and never crashes), newlines as Java's
 * '.' sees them (any line terminator), and JIT when available. Compiled
 * patterns are shared by every plan and thread through a process-wide
 * cache (bounded; past its bound a pattern is compiled into the plan's
 * arena without JIT). Every match runs under a match limit and a depth
 * limit: a pattern that backtracks catastrophically fails the task with an
 * error naming the pattern instead of hanging it.
 *
 * Java-only syntax translated: \p{Alpha} and the other POSIX classes
 * (ASCII, as in Java), \p{javaLowerCase}-style and \p{IsLatin} / \p{InGreek}
 * names, \uhhhh. Not translated: Java's character class intersection
 * ([a-z&&[^e]]) and \p{...} names PCRE2 does not know (a bind error).
 */
#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>

#include "sql/fn_text_int.h"

#define RX_MATCH_LIMIT 1000000
#define RX_DEPTH_LIMIT 10000
#define RX_CACHE_MAX 256

typedef struct rx {
    pcre2_code *code;
    pcre2_match_context *mctx;
    uint32_t ngroups;
    const char *pat; /* as written */
    size_t patn;
    uint64_t hash;
} rx;

/* ---- Java syntax -------------------------------------------------------------------------- */

static const char *const posix_map[][2] = {
    {"Lower", "lower"}, {"Upper", "upper"}, {"ASCII", "ascii"}, {"Alpha", "alpha"},
    {"Digit", "digit"}, {"Alnum", "alnum"}, {"Punct", "punct"}, {"Graph", "graph"},
    {"Print", "print"}, {"Blank", "blank"}, {"Cntrl", "cntrl"}, {"XDigit", "xdigit"},
    {"Space", "space"},
};
static const char *const java_map[][2] = {
    {"javaLowerCase", "Ll"},
    {"javaUpperCase", "Lu"},
    {"javaWhitespace", "Xsp"},
    {"javaMirrored", "Sm"},
    {"javaLetter", "L"},
    {"javaDigit", "Nd"},
    {"javaLetterOrDigit", "Xan"},
    {"javaAlphabetic", "L"},
    {"IsAlphabetic", "L"},
    {"IsLetter", "L"},
    {"IsDigit", "Nd"},
    {"IsUppercase", "Lu"},
    {"IsLowercase", "Ll"},
    {"IsWhite_Space", "Xsp"},
    {"IsPunctuation", "P"},
};

/* Rewrites Java-only constructs of p[0..n) into o (room for 8n + 1 bytes);
 * returns the new length. */
static size_t java_to_pcre(const char *p, size_t n, char *o)
{
    size_t w = 0;
    int cls = 0; /* depth inside [...] */
    for (size_t i = 0; i < n;) {
        char ch = p[i];
        if (ch == '\\' && i + 1 < n) {
            char e = p[i + 1];
            if ((e == 'p' || e == 'P') && i + 2 < n && p[i + 2] == '{') {
                const char *end = memchr(p + i + 3, '}', n - i - 3);
                if (end) {
                    size_t nl = (size_t)(end - (p + i + 3));
                    const char *name = p + i + 3;
                    bool done = false;
                    for (size_t k = 0; k < sizeof posix_map / sizeof posix_map[0] && !done; k++) {
                        if (strlen(posix_map[k][0]) == nl && !memcmp(name, posix_map[k][0], nl)) {
                            w += (size_t)sprintf(o + w, "%s[:%s%s:]%s", cls ? "" : "[",
                                                 e == 'P' ? "^" : "", posix_map[k][1],
                                                 cls ? "" : "]");
                            done = true;
                        }
                    }
                    for (size_t k = 0; k < sizeof java_map / sizeof java_map[0] && !done; k++) {
                        if (strlen(java_map[k][0]) == nl && !memcmp(name, java_map[k][0], nl)) {
                            w += (size_t)sprintf(o + w, "\\%c{%s}", e, java_map[k][1]);
                            done = true;
                        }
                    }
                    if (!done && nl > 2 && (!memcmp(name, "Is", 2) || !memcmp(name, "In", 2))) {
                        w += (size_t)sprintf(o + w, "\\%c{%.*s}", e, (int)(nl - 2), name + 2);
                        done = true;
                    }
                    if (done) {
                        i = (size_t)(end - p) + 1;
                        continue;
                    }
                }
            } else if (e == 'u' && i + 5 < n) {
                bool hex = true;
                for (int k = 2; k < 6; k++)
                    hex = hex && strchr("0123456789abcdefABCDEF", p[i + k]) && p[i + k];
                if (hex) {
                    w += (size_t)sprintf(o + w, "\\x{%.4s}", p + i + 2);
                    i += 6;
                    continue;
                }
            }
            o[w++] = ch;
            o[w++] = e;
            i += 2;
            continue;
        }
        if (ch == '[') cls++;
        else if (ch == ']' && cls > 0) cls--;
        o[w++] = ch;
        i++;
    }
    o[w] = 0;
    return w;
}

/* ---- Compilation and the cache ------------------------------------------------------------ */

static void *arena_malloc(size_t n, void *a)
{
    return kiln_arena_alloc(a, n);
}
static void arena_free(void *p, void *a)
{
    (void)p, (void)a;
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* Compiles p[0..n): into malloc'd memory with JIT when a is NULL (for the
 * cache), else into a without JIT. NULL with a message in err on error. */
static rx *rx_build(kiln_arena *a, const char *p, size_t n, char *err, size_t errcap)
{
    pcre2_general_context *g = a ? pcre2_general_context_create(arena_malloc, arena_free, a) : NULL;
    if (a && !g) return NULL;
    char *tr = malloc(n * 8 + 1);
    if (!tr) return NULL;
    size_t trn = java_to_pcre(p, n, tr);
    pcre2_compile_context *cc = pcre2_compile_context_create(g);
    if (!cc) {
        free(tr);
        return NULL;
    }
    pcre2_set_newline(cc, PCRE2_NEWLINE_ANY);
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)tr, trn, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec,
                                     &eo, cc);
    pcre2_compile_context_free(cc);
    free(tr);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        snprintf(err, errcap, "%s near index %zu", (const char *)msg, (size_t)eo);
        if (!a) pcre2_general_context_free(g);
        return NULL;
    }
    if (!a) (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
    rx *r = a ? kiln_arena_alloc(a, sizeof *r) : malloc(sizeof *r);
    char *pc = a ? kiln_arena_alloc(a, n + 1) : malloc(n + 1);
    pcre2_match_context *mc = pcre2_match_context_create(g);
    if (!r || !pc || !mc) {
        if (!a) {
            free(r);
            free(pc);
            pcre2_match_context_free(mc);
            pcre2_code_free(code);
        }
        return NULL;
    }
    pcre2_set_match_limit(mc, RX_MATCH_LIMIT);
    pcre2_set_depth_limit(mc, RX_DEPTH_LIMIT);
    memcpy(pc, p, n);
    pc[n] = 0;
    uint32_t cap = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cap);
    *r = (rx){code, mc, cap, pc, n, hash_bytes(p, n)};
    return r;
}

static pthread_mutex_t rx_mu = PTHREAD_MUTEX_INITIALIZER;
static rx *rx_cache[RX_CACHE_MAX];
static int rx_count;

/* The compiled form of p[0..n): from the process-wide cache, or compiled
 * into a when the cache is full. Borrowed (lives as long as the process or
 * a). NULL with err set when the pattern is invalid (or out of memory:
 * err empty). */
static const rx *rx_get(kiln_arena *a, const char *p, size_t n, char *err, size_t errcap)
{
    err[0] = 0;
    uint64_t h = hash_bytes(p, n);
    pthread_mutex_lock(&rx_mu);
    for (int i = 0; i < rx_count; i++) {
        rx *r = rx_cache[i];
        if (r->hash == h && r->patn == n && memcmp(r->pat, p, n) == 0) {
            pthread_mutex_unlock(&rx_mu);
            return r;
        }
    }
    bool room = rx_count < RX_CACHE_MAX;
    pthread_mutex_unlock(&rx_mu);
    if (!room) return rx_build(a, p, n, err, errcap);
    rx *r = rx_build(NULL, p, n, err, errcap);
    if (!r) return NULL;
    pthread_mutex_lock(&rx_mu);
    for (int i = 0; i < rx_count; i++) { /* another thread may have won */
        rx *o = rx_cache[i];
        if (o->hash == h && o->patn == n && memcmp(o->pat, p, n) == 0) {
            pthread_mutex_unlock(&rx_mu);
            pcre2_match_context_free(r->mctx);
            pcre2_code_free(r->code);
            free((void *)r->pat);
            free(r);
            return o;
        }
    }
    if (rx_count < RX_CACHE_MAX) {
        rx_cache[rx_count++] = r;
        pthread_mutex_unlock(&rx_mu);
        return r;
    }
    pthread_mutex_unlock(&rx_mu);
    pcre2_match_context_free(r->mctx);
    pcre2_code_free(r->code);
    free((void *)r->pat);
    free(r);
    return rx_build(a, p, n, err, errcap);
}

/* ---- Matching ------------------------------------------------------------------------------ */

/* Per-kernel-call matching scratch. */
typedef struct rx_run {
    fn_ctx *c;
    const char *fname;
    const rx *fixed; /* the bound pattern, or NULL: per row */
    const rx *last;  /* per-row pattern of the previous row */
    pcre2_match_data *md;
    uint32_t md_pairs;
    pcre2_general_context *g;
} rx_run;

static int run_init(rx_run *r, fn_ctx *c, const char *fname, const rx *fixed)
{
    memset(r, 0, sizeof *r);
    r->c = c;
    r->fname = fname;
    r->fixed = fixed;
    r->g = pcre2_general_context_create(arena_malloc, arena_free, c->arena);
    return r->g ? KILN_OK : KILN_ENOMEM;
}

/* The pattern of row i (args[1]); KILN_OK or an error already recorded. */
static int run_pattern(rx_run *r, const col_vec *pv, uint32_t i, const rx **out)
{
    const rx *x = r->fixed;
    if (!x) {
        const col_str *ps = tx_str(pv, i);
        const char *pp = col_str_data(ps);
        if (r->last && r->last->patn == ps->len && memcmp(r->last->pat, pp, ps->len) == 0) {
            x = r->last;
        } else {
            char err[300];
            x = rx_get(r->c->arena, pp, ps->len, err, sizeof err);
            if (!x) {
                if (!err[0]) return KILN_ENOMEM;
                return fn_error(r->c, "INVALID_PARAMETER_VALUE.PATTERN", "22023",
                                "The value of parameter(s) `regexp` in `%s` is invalid: '%.*s' "
                                "(%s).",
                                r->fname, (int)(ps->len > 200 ? 200 : ps->len), pp, err);
            }
            r->last = x;
        }
    }
    if (!r->md || r->md_pairs < x->ngroups + 1) {
        r->md = pcre2_match_data_create(x->ngroups + 1, r->g);
        if (!r->md) return KILN_ENOMEM;
        r->md_pairs = x->ngroups + 1;
    }
    *out = x;
    return KILN_OK;
}

/* One match of x in s[0..n) from byte start: 1 found (ovector in r->md), 0
 * none, < 0 an error already recorded. */
static int run_match(rx_run *r, const rx *x, const char *s, size_t n, size_t start)
{
    int rc = pcre2_match(x->code, (PCRE2_SPTR)s, n, start, 0, r->md, x->mctx);
    if (rc >= 0) return 1;
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
        return fn_error(r->c, "REGEX_MATCH_LIMIT_EXCEEDED", "54000",
                        "The regular expression '%.*s' in `%s` needed more than %d steps "
                        "(backtracking limit) on a value of %zu bytes. Simplify the pattern, "
                        "for example avoid nested quantifiers such as (a+)+.",
                        (int)(x->patn > 200 ? 200 : x->patn), x->pat, r->fname, RX_MATCH_LIMIT, n);
    PCRE2_UCHAR msg[200];
    pcre2_get_error_message(rc, msg, sizeof msg);
    return fn_error(r->c, "INVALID_PARAMETER_VALUE.PATTERN", "22023",
                    "Matching the regular expression '%.*s' in `%s` failed: %s",
                    (int)(x->patn > 200 ? 200 : x->patn), x->pat, r->fname, (const char *)msg);
}

/* Java's find loop: after an empty match the next search starts one
 * character later. */
static size_t next_start(const char *s, size_t n, size_t st, size_t en)
{
    if (en > st) return en;
    return en < n ? en + tx_charlen(s + en, s + n) : n + 1;
}

/* ---- Bind ---------------------------------------------------------------------------------- */

typedef struct rx_state {
    const rx *x; /* NULL: pattern per row */
    const char *fname;
    int idx; /* constant group index, or -1 */
    /* regexp_replace: the replacement, parsed when constant */
    const struct rep_piece *rep;
    int nrep;
} rx_state;

static int bind_common(fn_bind *b, const char *fname, rx_state **out)
{
    for (int k = 0; k < 2; k++) {
        if (!tx_castable_to_string(b->args[k]))
            return tx_bind_err(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", k,
                               "The %s parameter of `%s` requires the \"STRING\" type.",
                               k ? "second" : "first", fname);
        b->want[k] = b->args[k]->kind == COL_STRING ? NULL : &col_type_string;
    }
    rx_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return KILN_ENOMEM;
    memset(st, 0, sizeof *st);
    st->fname = fname;
    st->idx = -1;
    bool null;
    const col_str *p = tx_const_str(b, 1, &null);
    if (p) {
        char err[300];
        st->x = rx_get(b->arena, col_str_data(p), p->len, err, sizeof err);
        if (!st->x) {
            if (!err[0]) return KILN_ENOMEM;
            return tx_bind_err(b, "INVALID_PARAMETER_VALUE.PATTERN", 1,
                               "The value of parameter(s) `regexp` in `%s` is invalid: '%.*s' "
                               "(%s).",
                               fname, (int)(p->len > 200 ? 200 : p->len), col_str_data(p), err);
        }
    }
    b->state = st;
    *out = st;
    return KILN_OK;
}

static int group_err_bind(fn_bind *b, const char *fname, int max, int64_t idx)
{
    return tx_bind_err(b, "INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX", 2,
                       "The value of parameter(s) `idx` in `%s` is invalid: Expects group index "
                       "between 0 and %d, but got %lld.",
                       fname, max, (long long)idx);
}

static int group_err(fn_ctx *c, const char *fname, int max, int64_t idx)
{
    return fn_error(c, "INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX", "22023",
                    "The value of parameter(s) `idx` in `%s` is invalid: Expects group index "
                    "between 0 and %d, but got %lld.",
                    fname, max, (long long)idx);
}

/* An optional int argument k (group index or position). */
static int bind_int_arg(fn_bind *b, int k)
{
    const col_type *t = b->args[k];
    if (!col_type_is_integral(t) && t->kind != COL_NULL)
        return tx_bind_err(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", k,
                           "The parameter requires the \"INT\" type.");
    b->want[k] = t->kind == COL_I32 ? NULL : &col_type_i32;
    return KILN_OK;
}

/* ---- rlike ----------------------------------------------------------------------------------- */

static int k_rlike(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const rx_state *st = state;
    rx_run r;
    if (run_init(&r, c, st->fname, st->x)) return KILN_ENOMEM;
    bool *res = COL_DATA(out, bool);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const rx *x;
        int rc = run_pattern(&r, &args[1], i, &x);
        if (rc) return rc;
        const col_str *s = tx_str(&args[0], i);
        int m = run_match(&r, x, col_str_data(s), s->len, 0);
        if (m < 0) return m;
        res[i] = m == 1;
    }
    return KILN_OK;
}

static int bind_rlike_n(fn_bind *b, const char *fname)
{
    rx_state *st;
    int rc = bind_common(b, fname, &st);
    if (rc) return rc;
    b->result = &col_type_bool;
    b->kernel = k_rlike;
    return KILN_OK;
}
static int bind_rlike(fn_bind *b)
{
    return bind_rlike_n(b, "rlike");
}
static int bind_regexp_like(fn_bind *b)
{
    return bind_rlike_n(b, "regexp_like");
}

/* ---- regexp_extract, regexp_substr, regexp_instr, regexp_count ------------------------------ */

static int row_idx(const rx_state *st, const col_vec *args, int nargs, uint32_t i, int dflt)
{
    if (st->idx >= 0) return st->idx;
    return nargs > 2 ? tx_i32(&args[2], i) : dflt;
}

static int k_extract(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const rx_state *st = state;
    rx_run r;
    if (run_init(&r, c, st->fname, st->x)) return KILN_ENOMEM;
    col_str *res = COL_DATA(out, col_str);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const rx *x;
        int rc = run_pattern(&r, &args[1], i, &x);
        if (rc) return rc;
        int idx = row_idx(st, args, nargs, i, 1);
        if (idx < 0 || (uint32_t)idx > x->ngroups)
            return group_err(c, st->fname, (int)x->ngroups, idx);
        const col_str *s = tx_str(&args[0], i);
        const char *sp = col_str_data(s);
        int m = run_match(&r, x, sp, s->len, 0);
        if (m < 0) return m;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r.md);
        if (m == 0 || ov[2 * idx] == PCRE2_UNSET) res[i] = col_str_view("", 0);
        else res[i] = col_str_view(sp + ov[2 * idx], (uint32_t)(ov[2 * idx + 1] - ov[2 * idx]));
    }
    return KILN_OK;
}

static int k_instr(TX_KERNEL_ARGS);

static int bind_extract_n(fn_bind *b, const char *fname, fn_kernel k, const col_type *result)
{
    rx_state *st;
    int rc = bind_common(b, fname, &st);
    if (rc) return rc;
    if (b->nargs > 2) {
        if ((rc = bind_int_arg(b, 2))) return rc;
        int64_t idx;
        if (tx_const_int(b, 2, &idx)) {
            if (st->x && (idx < 0 || idx > st->x->ngroups))
                return group_err_bind(b, fname, (int)st->x->ngroups, idx);
            st->idx = idx < 0 ? 0 : (int)idx;
        }
    } else if (st->x && k != k_instr && st->x->ngroups < 1) {
        return group_err_bind(b, fname, 0, 1); /* the default index is 1 */
    }
    b->result = result;
    b->kernel = k;
    return KILN_OK;
}
static int bind_regexp_extract(fn_bind *b)
{
    return bind_extract_n(b, "regexp_extract", k_extract, &col_type_string);
}

/* regexp_substr: the first match, NULL when none. */
static int k_substr(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const rx_state *st = state;
    rx_run r;
    if (run_init(&r, c, st->fname, st->x)) return KILN_ENOMEM;
    col_str *res = COL_DATA(out, col_str);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const rx *x;
        int rc = run_pattern(&r, &args[1], i, &x);
        if (rc) return rc;
        const col_str *s = tx_str(&args[0], i);
        const char *sp = col_str_data(s);
        int m = run_match(&r, x, sp, s->len, 0);
        if (m < 0) return m;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r.md);
        if (m == 0) col_set_null(out, i);
        else res[i] = col_str_view(sp + ov[0], (uint32_t)(ov[1] - ov[0]));
    }
    return KILN_OK;
}
static int bind_regexp_substr(fn_bind *b)
{
    rx_state *st;
    int rc = bind_common(b, "regexp_substr", &st);
    if (rc) return rc;
    b->result = &col_type_string;
    b->kernel = k_substr;
    b->nullable = true;
    return KILN_OK;
}

static int k_instr(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const rx_state *st = state;
    rx_run r;
    if (run_init(&r, c, st->fname, st->x)) return KILN_ENOMEM;
    int32_t *res = COL_DATA(out, int32_t);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const rx *x;
        int rc = run_pattern(&r, &args[1], i, &x);
        if (rc) return rc;
        int idx = row_idx(st, args, nargs, i, 0);
        if (idx < 0 || (uint32_t)idx > x->ngroups)
            return group_err(c, st->fname, (int)x->ngroups, idx);
        const col_str *s = tx_str(&args[0], i);
        const char *sp = col_str_data(s);
        int m = run_match(&r, x, sp, s->len, 0);
        if (m < 0) return m;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r.md);
        res[i] = m == 0 || ov[2 * idx] == PCRE2_UNSET ? 0 : (int32_t)tx_nchars(sp, ov[2 * idx]) + 1;
    }
    return KILN_OK;
}
static int bind_regexp_instr(fn_bind *b)
{
    return bind_extract_n(b, "regexp_instr", k_instr, &col_type_i32);
}

static int k_count(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const rx_state *st = state;
    rx_run r;
    if (run_init(&r, c, st->fname, st->x)) return KILN_ENOMEM;
    int32_t *res = COL_DATA(out, int32_t);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const rx *x;
        int rc = run_pattern(&r, &args[1], i, &x);
        if (rc) return rc;
        const col_str *s = tx_str(&args[0], i);
        const char *sp = col_str_data(s);
        int32_t cnt = 0;
        for (size_t at = 0; at <= s->len;) {
            int m = run_match(&r, x, sp, s->len, at);
            if (m < 0) return m;
            if (m == 0) break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r.md);
            cnt++;
            at = next_start(sp, s->len, ov[0], ov[1]);
        }
        res[i] = cnt;
    }
    return KILN_OK;
}
static int bind_regexp_count(fn_bind *b)
{
    rx_state *st;
    int rc = bind_common(b, "regexp_count", &st);
    if (rc) return rc;
    b->result = &col_type_i32;
    b->kernel = k_count;
    return KILN_OK;
}

/* ---- Array results ------------------------------------------------------------------------- */

/* Elements of an array<string> result, collected in the arena and handed
 * to out's child at the end. */
typedef struct arr_out {
    kiln_arena *a;
    col_str *el;
    uint32_t n, cap;
} arr_out;

static int arr_push(arr_out *o, col_str s)
{
    if (o->n == o->cap) {
        uint32_t cap = o->cap ? o->cap * 2 : 1024;
        col_str *el = kiln_arena_alloc(o->a, sizeof(col_str) * cap);
        if (!el) return KILN_ENOMEM;
        if (o->n) memcpy(el, o->el, sizeof(col_str) * o->n);
        o->el = el;
        o->cap = cap;
    }
    o->el[o->n++] = s;
    return KILN_OK;
}

static void arr_finish(col_vec *out, arr_out *o)
{
    col_vec *ch = &out->children[0];
    ch->data = o->el ? (void *)o->el : ch->data;
    ch->n = o->n;
    ch->validity = NULL;
}

/* Walks rows 0..n in order (arrays need offsets for every row), calling
 * the body for selected, valid rows. */
#define ARR_ROWS(i, ...)                                                                           \
    do {                                                                                           \
        uint32_t k_sel_ = 0;                                                                       \
        uint32_t lim_ = sel ? (count ? sel[count - 1] + 1 : 0) : count;                            \
        for (uint32_t i = 0; i < lim_; i++) {                                                      \
            out->offsets[i] = ao.n;                                                                \
            bool live_ = !sel || (k_sel_ < count && sel[k_sel_] == i);                             \
            if (!live_) continue;                                                                  \
            k_sel_++;                                                                              \
            if (!col_valid(out, i)) continue;                                                      \
            __VA_ARGS__                                                                            \
        }                                                                                          \
        for (uint32_t i = lim_; i <= n; i++) out->offsets[i] = ao.n;                               \
        out->offsets[lim_] = ao.n;                                                                 \
    } while (0)

static int k_extract_all(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const rx_state *st = state;
    rx_run r;
    if (run_init(&r, c, st->fname, st->x)) return KILN_ENOMEM;
    arr_out ao = {c->arena, NULL, 0, 0};
    int err = KILN_OK;
    ARR_ROWS(i, {
        const rx *x;
        if ((err = run_pattern(&r, &args[1], i, &x))) break;
        int idx = row_idx(st, args, nargs, i, 1);
        if (idx < 0 || (uint32_t)idx > x->ngroups) {
            err = group_err(c, st->fname, (int)x->ngroups, idx);
            break;
        }
        const col_str *s = tx_str(&args[0], i);
        const char *sp = col_str_data(s);
        for (size_t at = 0; at <= s->len;) {
            int m = run_match(&r, x, sp, s->len, at);
            if (m <= 0) {
                err = m;
                break;
            }
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r.md);
            col_str e = ov[2 * idx] == PCRE2_UNSET
                            ? col_str_view("", 0)
                            : col_str_view(sp + ov[2 * idx],
                                           (uint32_t)(ov[2 * idx + 1] - ov[2 * idx]));
            if ((err = arr_push(&ao, e))) break;
            at = next_start(sp, s->len, ov[0], ov[1]);
        }
        if (err) break;
    });
    arr_finish(out, &ao);
    return err;
}
static int bind_regexp_extract_all(fn_bind *b)
{
    const col_type *t = col_type_array(b->arena, &col_type_string, false);
    if (!t) return KILN_ENOMEM;
    return bind_extract_n(b, "regexp_extract_all", k_extract_all, t);
}

/* split(str, regex[, limit]): Java's String.split with limit -1 for a
 * limit <= 0 (trailing empty strings kept), an empty regex splitting into
 * characters (Spark's UTF8String.split). */
static int k_split(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const rx_state *st = state;
    rx_run r;
    if (run_init(&r, c, st->fname, st->x)) return KILN_ENOMEM;
    arr_out ao = {c->arena, NULL, 0, 0};
    int err = KILN_OK;
    ARR_ROWS(i, {
        const col_str *s = tx_str(&args[0], i);
        const char *sp = col_str_data(s);
        size_t len = s->len;
        int64_t limit = nargs > 2 ? tx_i32(&args[2], i) : -1;
        const col_str *ps = tx_str(&args[1], i);
        if (len > 0 && ps->len == 0) {
            int64_t nch = (int64_t)tx_nchars(sp, len);
            int64_t nl = limit > nch || limit <= 0 ? nch : limit;
            size_t at = 0;
            for (int64_t k = 0; k < nl - 1 && !err; k++) {
                size_t cl = tx_charlen(sp + at, sp + len);
                err = arr_push(&ao, col_str_view(sp + at, (uint32_t)cl));
                at += cl;
            }
            if (!err) err = arr_push(&ao, col_str_view(sp + at, (uint32_t)(len - at)));
            if (err) break;
            continue;
        }
        const rx *x;
        if ((err = run_pattern(&r, &args[1], i, &x))) break;
        bool limited = limit > 0;
        uint32_t first = ao.n;
        size_t index = 0;
        for (size_t at = 0; at <= len;) {
            int m = run_match(&r, x, sp, len, at);
            if (m <= 0) {
                err = m;
                break;
            }
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r.md);
            size_t ms = ov[0], me = ov[1];
            at = next_start(sp, len, ms, me);
            uint32_t got = ao.n - first;
            if (!limited || got < limit - 1) {
                if (index == 0 && ms == 0 && me == 0) continue;
                if ((err = arr_push(&ao, col_str_view(sp + index, (uint32_t)(ms - index))))) break;
                index = me;
            } else if (got == limit - 1) {
                if ((err = arr_push(&ao, col_str_view(sp + index, (uint32_t)(len - index))))) break;
                index = me;
            }
        }
        if (err) break;
        if (index == 0) {
            ao.n = first;
            err = arr_push(&ao, *s);
        } else if (!limited || ao.n - first < limit) {
            err = arr_push(&ao, col_str_view(sp + index, (uint32_t)(len - index)));
        }
        if (err) break;
    });
    arr_finish(out, &ao);
    return err;
}
static int bind_split(fn_bind *b)
{
    rx_state *st;
    int rc = bind_common(b, "split", &st);
    if (!rc && b->nargs > 2) rc = bind_int_arg(b, 2);
    if (rc) return rc;
    b->result = col_type_array(b->arena, &col_type_string, false);
    if (!b->result) return KILN_ENOMEM;
    b->kernel = k_split;
    return KILN_OK;
}

/* ---- regexp_replace
 * ------------------------------------------------------------------------------ */

/* A replacement: literal runs and group references (Java's
 * Matcher.appendReplacement syntax: $n, ${name}, \x). */
typedef struct rep_piece {
    int group; /* -1: literal */
    const char *lit;
    size_t litn;
} rep_piece;

/* Parses rep[0..n) for x into pieces (room for n+1); returns the count or
 * -1 with err set. */
static int rep_parse(const rx *x, const char *rep, size_t n, rep_piece *pc, char *lits, char *err,
                     size_t errcap)
{
    int np = 0;
    size_t ln = 0;
    for (size_t i = 0; i < n;) {
        if (rep[i] == '\\') {
            if (i + 1 >= n) {
                snprintf(err, errcap, "character to be escaped is missing");
                return -1;
            }
            if (np == 0 || pc[np - 1].group >= 0) pc[np++] = (rep_piece){-1, lits + ln, 0};
            lits[ln++] = rep[i + 1];
            pc[np - 1].litn++;
            i += 2;
        } else if (rep[i] == '$') {
            i++;
            if (i >= n) {
                snprintf(err, errcap, "Illegal group reference: group index is missing");
                return -1;
            }
            int g;
            if (rep[i] == '{') {
                size_t j = i + 1;
                while (j < n && rep[j] != '}') j++;
                if (j >= n || j == i + 1) {
                    snprintf(err, errcap, "named capturing group is missing trailing '}'");
                    return -1;
                }
                char name[128];
                size_t nl = j - i - 1 < sizeof name - 1 ? j - i - 1 : sizeof name - 1;
                memcpy(name, rep + i + 1, nl);
                name[nl] = 0;
                g = pcre2_substring_number_from_name(x->code, (PCRE2_SPTR)name);
                if (g < 0) {
                    snprintf(err, errcap, "No group with name {%s}", name);
                    return -1;
                }
                i = j + 1;
            } else if (rep[i] >= '0' && rep[i] <= '9') {
                g = rep[i++] - '0';
                if ((uint32_t)g > x->ngroups) {
                    snprintf(err, errcap, "No group %d", g);
                    return -1;
                }
                /* More digits while the group still exists (Java). */
                while (i < n && rep[i] >= '0' && rep[i] <= '9') {
                    int ng = g * 10 + (rep[i] - '0');
                    if ((uint32_t)ng > x->ngroups) break;
                    g = ng;
                    i++;
                }
            } else {
                snprintf(err, errcap, "Illegal group reference");
                return -1;
            }
            pc[np++] = (rep_piece){g, NULL, 0};
        } else {
            if (np == 0 || pc[np - 1].group >= 0) pc[np++] = (rep_piece){-1, lits + ln, 0};
            lits[ln++] = rep[i++];
            pc[np - 1].litn++;
        }
    }
    return np;
}

static int k_replace(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const rx_state *st = state;
    rx_run r;
    if (run_init(&r, c, st->fname, st->x)) return KILN_ENOMEM;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    rep_piece *pcs = NULL;
    char *lits = NULL;
    size_t pcap = 0;
    const rx *last_x = NULL;
    const col_str *last_rep = NULL;
    int np = 0;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const rx *x;
        int rc = run_pattern(&r, &args[1], i, &x);
        if (rc) return rc;
        const rep_piece *pieces = st->rep;
        int npieces = st->nrep;
        if (!pieces) {
            const col_str *rs = tx_str(&args[2], i);
            if (!(last_x == x && last_rep && col_str_eq(last_rep, rs))) {
                if (rs->len + 1 > pcap) {
                    pcap = rs->len + 1 < 64 ? 64 : rs->len + 1;
                    pcs = kiln_arena_alloc(c->arena, sizeof(rep_piece) * pcap);
                    lits = kiln_arena_alloc(c->arena, pcap);
                    if (!pcs || !lits) return KILN_ENOMEM;
                }
                char err[200];
                np = rep_parse(x, col_str_data(rs), rs->len, pcs, lits, err, sizeof err);
                if (np < 0)
                    return fn_error(c, "INVALID_PARAMETER_VALUE.PATTERN", "22023",
                                    "The replacement '%.*s' in `regexp_replace` is invalid: %s",
                                    (int)(rs->len > 200 ? 200 : rs->len), col_str_data(rs), err);
                last_x = x;
                last_rep = rs;
            }
            pieces = pcs;
            npieces = np;
        }
        const col_str *s = tx_str(&args[0], i);
        const char *sp = col_str_data(s);
        size_t len = s->len;
        int64_t pos = nargs > 3 ? tx_i32(&args[3], i) : 1;
        if (pos < 1)
            return fn_error(c, "INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX", "22023",
                            "The value of parameter(s) `position` in `regexp_replace` is "
                            "invalid: Expects a positive value, but got %lld.",
                            (long long)pos);
        size_t from = tx_char_off(sp, len, (size_t)pos - 1);
        if (from >= len && !(len == 0 && pos == 1)) {
            res[i] = *s;
            continue;
        }
        /* Output: build in a growing buffer. */
        size_t cap = len + 64, w = 0;
        char *d = tx_reserve(&o, cap);
        if (!d) return KILN_ENOMEM;
        memcpy(d, sp, from);
        w = from;
        size_t copied = from;
        for (size_t at = from; at <= len;) {
            int m = run_match(&r, x, sp, len, at);
            if (m < 0) return m;
            if (m == 0) break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r.md);
            size_t need = w + (ov[0] - copied);
            for (int k = 0; k < npieces; k++)
                need += pieces[k].group < 0 ? pieces[k].litn
                        : ov[2 * pieces[k].group] == PCRE2_UNSET
                            ? 0
                            : ov[2 * pieces[k].group + 1] - ov[2 * pieces[k].group];
            if (need + (len - ov[1]) > cap) {
                size_t ncap = (need + (len - ov[1])) * 2;
                if (ncap > (size_t)1 << 31)
                    return fn_error(c, "COLLECTION_SIZE_LIMIT_EXCEEDED.FUNCTION", "54000",
                                    "The result of regexp_replace exceeds 2 GB.");
                o.left = 0; /* the old reservation is abandoned */
                char *nd = tx_reserve(&o, ncap);
                if (!nd) return KILN_ENOMEM;
                memcpy(nd, d, w);
                d = nd;
                cap = ncap;
            }
            memcpy(d + w, sp + copied, ov[0] - copied);
            w += ov[0] - copied;
            for (int k = 0; k < npieces; k++) {
                const rep_piece *p = &pieces[k];
                if (p->group < 0) {
                    memcpy(d + w, p->lit, p->litn);
                    w += p->litn;
                } else if (ov[2 * p->group] != PCRE2_UNSET) {
                    size_t gl = ov[2 * p->group + 1] - ov[2 * p->group];
                    memcpy(d + w, sp + ov[2 * p->group], gl);
                    w += gl;
                }
            }
            copied = ov[1];
            at = next_start(sp, len, ov[0], ov[1]);
        }
        memcpy(d + w, sp + copied, len - copied);
        w += len - copied;
        res[i] = tx_commit(&o, d, w);
    }
    return KILN_OK;
}

static int bind_regexp_replace(fn_bind *b)
{
    rx_state *st;
    int rc = bind_common(b, "regexp_replace", &st);
    if (rc) return rc;
    if (!tx_castable_to_string(b->args[2]))
        return tx_bind_err(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", 2,
                           "The third parameter of `regexp_replace` requires the \"STRING\" "
                           "type.");
    b->want[2] = b->args[2]->kind == COL_STRING ? NULL : &col_type_string;
    if (b->nargs > 3 && (rc = bind_int_arg(b, 3))) return rc;
    bool null;
    const col_str *rs = tx_const_str(b, 2, &null);
    if (rs && st->x) {
        rep_piece *pcs = kiln_arena_alloc(b->arena, sizeof(rep_piece) * (rs->len + 1));
        char *lits = kiln_arena_alloc(b->arena, rs->len + 1);
        if (!pcs || !lits) return KILN_ENOMEM;
        char err[200];
        int np = rep_parse(st->x, col_str_data(rs), rs->len, pcs, lits, err, sizeof err);
        if (np < 0)
            return tx_bind_err(b, "INVALID_PARAMETER_VALUE.PATTERN", 2,
                               "The replacement '%.*s' in `regexp_replace` is invalid: %s",
                               (int)(rs->len > 200 ? 200 : rs->len), col_str_data(rs), err);
        st->rep = pcs;
        st->nrep = np;
        if (np == 0) st->rep = pcs; /* empty replacement: no pieces, still constant */
    }
    b->result = &col_type_string;
    b->kernel = k_replace;
    return KILN_OK;
}

#define NN FN_NULL_IN_NULL_OUT

const fn_def fn_defs_regex[] = {
    {"rlike", 2, 2, NN, bind_rlike},
    {"regexp", 2, 2, NN, bind_rlike},
    {"regexp_like", 2, 2, NN, bind_regexp_like},
    {"regexp_extract", 2, 3, NN, bind_regexp_extract},
    {"regexp_extract_all", 2, 3, NN, bind_regexp_extract_all},
    {"regexp_replace", 3, 4, NN, bind_regexp_replace},
    {"regexp_count", 2, 2, NN, bind_regexp_count},
    {"regexp_instr", 2, 3, NN, bind_regexp_instr},
    {"regexp_substr", 2, 2, NN, bind_regexp_substr},
    {"split", 2, 3, NN, bind_split},
    {NULL, 0, 0, 0, NULL},
};
