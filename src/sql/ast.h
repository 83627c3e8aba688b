/*
 * sql/ast.h - the abstract syntax tree of Spark SQL text and the parser
 * that builds it (parse_*.c), for the analyzer of the sql layer.
 *
 * Every node starts with its tag (ast_kind) and the byte offset of its first
 * token in the SQL text (pos); expressions also carry len, the length of
 * their text, so that errors can underline them and the analyzer can name a
 * column by its SQL text as Spark does. Nodes, lists and strings live in the
 * caller's kiln_arena and are freed with it; the tree is read-only after
 * parsing. Names are NUL-terminated arena strings: unquoted identifiers keep
 * their case (the analyzer compares case-insensitively), backquoted ones are
 * unescaped. ast_format prints a tree as a canonical S-expression (tests).
 */
#ifndef KILN_SQL_AST_H
#define KILN_SQL_AST_H

#include <stdbool.h>

#include "kiln.h"

#pragma GCC visibility push(hidden)

typedef enum ast_kind {
    /* Expressions (ast_expr and the structs that start with it). */
    AST_LITERAL,
    AST_INTERVAL,
    AST_COLUMN,
    AST_STAR,
    AST_UNARY,
    AST_BINARY,
    AST_IS,
    AST_BETWEEN,
    AST_IN,
    AST_LIKE,
    AST_FUNC,
    AST_CASE,
    AST_CAST,
    AST_SUBQUERY,
    AST_EXISTS,
    AST_SUBSCRIPT,
    AST_FIELD,
    AST_LAMBDA,
    AST_GROUPING, /* ROLLUP, CUBE, GROUPING SETS in GROUP BY */
    /* Relations (ast_rel and the structs that start with it). */
    AST_REL_TABLE,
    AST_REL_FILE,
    AST_REL_TVF,
    AST_REL_QUERY,
    AST_REL_JOIN,
    AST_REL_VALUES,
    /* Queries. */
    AST_QUERY,
    AST_SELECT,
    AST_SETOP,
    AST_VALUES,
    /* Statements (ast_stmt and the structs that start with it). */
    AST_STMT_QUERY,
    AST_STMT_EXPLAIN,
    AST_STMT_CREATE_VIEW,
    AST_STMT_CREATE_TABLE, /* also CREATE TEMPORARY VIEW ... USING */
    AST_STMT_CREATE_FUNCTION,
    AST_STMT_INSERT,
    AST_STMT_DROP,
    AST_STMT_DESCRIBE,
    AST_STMT_SHOW,
    AST_STMT_SET,
    AST_STMT_RESET,
    AST_STMT_CACHE,
    AST_STMT_UNCACHE,
    AST_STMT_USE,
    AST_STMT_CLEAR_CACHE, /* CLEAR CACHE: a bare ast_stmt */
    AST_STMT_REFRESH,     /* REFRESH TABLE name: an ast_stmt_cache (name only) */
} ast_kind;

/* A possibly qualified name (db.t, a.b.c): n >= 1 parts. */
typedef struct ast_name {
    const char **parts;
    int n;
    int pos;
} ast_name;

/* A data type as written (CAST(x AS decimal(15,2)), a column definition):
 * the text span, also copied as a string, for col_type_parse. */
typedef struct ast_type {
    const char *text;
    int pos;
    int len;
} ast_type;

/* ---- Expressions --------------------------------------------------------- */

typedef struct ast_expr {
    ast_kind kind;
    int pos;    /* byte offset of the first token */
    int len;    /* byte length of the expression's text */
    int height; /* 1 + the greatest height of the operands (leaves: 0) */
} ast_expr;

typedef enum ast_lit_kind {
    LIT_NULL,
    LIT_BOOL,
    LIT_INT,     /* digits; suffix 'L', 'S', 'Y' or 0 (the analyzer sizes it) */
    LIT_DECIMAL, /* 1.5; suffix 'B' for 1BD */
    LIT_DOUBLE,  /* 1e3, 1.5D (suffix 'D'), 1.5F (suffix 'F') */
    LIT_STRING,  /* unescaped; adjacent literals concatenated */
    LIT_BINARY,  /* X'0AFF': the hex digits */
    LIT_DATE,    /* DATE 'yyyy-mm-dd': the string */
    LIT_TIMESTAMP,
    LIT_TIMESTAMP_NTZ,
    LIT_TIMESTAMP_LTZ,
} ast_lit_kind;

typedef struct ast_literal {
    ast_expr e;
    ast_lit_kind lit;
    bool b;           /* LIT_BOOL */
    char suffix;      /* numeric suffix, upper case, or 0 */
    const char *text; /* digits / string value (NUL-terminated) */
    int text_len;     /* bytes of text (a string may hold NUL) */
} ast_literal;

/* INTERVAL '90' DAY, INTERVAL 1 DAY 2 HOURS, INTERVAL '1 2:03' DAY TO MINUTE,
 * INTERVAL '1 day': n parts of a value and units as written (lower case). */
typedef struct ast_interval_part {
    const char *value; /* the string's value or the number's text (may start with -) */
    bool quoted;       /* value was a string literal */
    const char *unit;  /* NULL when the string holds the units ('1 day') */
    const char *to_unit;
} ast_interval_part;

typedef struct ast_interval {
    ast_expr e;
    ast_interval_part *parts;
    int n;
} ast_interval;

typedef struct ast_column {
    ast_expr e;
    ast_name name; /* a.b.c: a column, a qualified column or struct fields */
} ast_column;

typedef struct ast_star {
    ast_expr e;
    ast_name qual; /* t.* : qual.n > 0; plain *: qual.n == 0 */
} ast_star;

typedef enum ast_op {
    OP_OR,
    OP_AND,
    OP_NOT,
    OP_EQ,
    OP_NSEQ, /* <=> */
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_BITOR,
    OP_BITXOR,
    OP_BITAND,
    OP_SHL,
    OP_SHR,
    OP_USHR,
    OP_ADD,
    OP_SUB,
    OP_CONCAT,
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_IDIV, /* DIV */
    OP_NEG,
    OP_POS,
    OP_BITNOT,
} ast_op;

/* The operator's canonical spelling ("=", "and", "div", "-" for OP_NEG). */
const char *ast_op_name(ast_op op);

typedef struct ast_unary {
    ast_expr e;
    ast_op op; /* OP_NOT, OP_NEG, OP_POS, OP_BITNOT */
    ast_expr *arg;
} ast_unary;

typedef struct ast_binary {
    ast_expr e;
    ast_op op;
    ast_expr *left, *right;
} ast_binary;

typedef enum ast_is_what { IS_NULL, IS_TRUE, IS_FALSE, IS_UNKNOWN, IS_DISTINCT_FROM } ast_is_what;

/* x IS [NOT] NULL / TRUE / FALSE / UNKNOWN, x IS [NOT] DISTINCT FROM y. */
typedef struct ast_is {
    ast_expr e;
    ast_is_what what;
    bool negated;
    ast_expr *arg;
    ast_expr *other; /* IS_DISTINCT_FROM */
} ast_is;

typedef struct ast_between {
    ast_expr e;
    bool negated;
    ast_expr *arg, *low, *high;
} ast_between;

struct ast_query;

/* x [NOT] IN (list) or x [NOT] IN (query). */
typedef struct ast_in {
    ast_expr e;
    bool negated;
    ast_expr *arg;
    ast_expr **list;
    int n;
    struct ast_query *query; /* or NULL */
} ast_in;

typedef enum ast_like_op { LIKE_LIKE, LIKE_ILIKE, LIKE_RLIKE } ast_like_op;
typedef enum ast_like_quant { LIKE_ONE, LIKE_ANY, LIKE_ALL } ast_like_quant;

/* x [NOT] LIKE p [ESCAPE 'c'], ILIKE, RLIKE / REGEXP, LIKE ANY|ALL (p, ...). */
typedef struct ast_like {
    ast_expr e;
    ast_like_op op;
    ast_like_quant quant;
    bool negated;
    ast_expr *arg;
    ast_expr **patterns; /* 1 unless quant */
    int n;
    const char *escape; /* or NULL */
} ast_like;

typedef struct ast_sort_item {
    ast_expr *expr;
    int dir;   /* 0 unspecified, 1 ASC, -1 DESC */
    int nulls; /* 0 unspecified, 1 NULLS FIRST, -1 NULLS LAST */
} ast_sort_item;

typedef enum ast_bound_kind {
    BOUND_UNBOUNDED_PRECEDING,
    BOUND_PRECEDING,
    BOUND_CURRENT_ROW,
    BOUND_FOLLOWING,
    BOUND_UNBOUNDED_FOLLOWING,
} ast_bound_kind;

typedef struct ast_bound {
    ast_bound_kind kind;
    ast_expr *offset; /* BOUND_PRECEDING, BOUND_FOLLOWING */
} ast_bound;

/* A window: OVER w (ref only) or OVER ([w] PARTITION BY ... ORDER BY ...
 * frame), or a WINDOW clause's definition. */
typedef struct ast_window {
    int pos;
    const char *ref;  /* a named window, or NULL */
    bool inline_spec; /* parenthesised */
    ast_expr **partition;
    int npartition;
    ast_sort_item *order;
    int norder;
    int frame; /* 0 none, 1 ROWS, 2 RANGE */
    ast_bound start;
    ast_bound end; /* start alone: end is CURRENT ROW */
    bool has_end;
} ast_window;

/* A function call: name(args), name(DISTINCT args), count(*), with
 * FILTER (WHERE ...) and OVER. Also EXTRACT (extract('field', x)),
 * SUBSTRING(x FROM a FOR b), POSITION(a IN b), TRIM(... FROM x). */
typedef struct ast_func {
    ast_expr e;
    ast_name name;
    ast_expr **args;
    int nargs;
    bool distinct;
    bool star; /* count(*) */
    bool ignore_nulls;
    ast_expr *filter;
    ast_window *over;
} ast_func;

typedef struct ast_when {
    ast_expr *cond, *result;
} ast_when;

typedef struct ast_case {
    ast_expr e;
    ast_expr *operand; /* simple CASE x WHEN ..., or NULL */
    ast_when *whens;
    int n;
    ast_expr *else_; /* or NULL */
} ast_case;

/* CAST(x AS t), TRY_CAST(x AS t), x::t. */
typedef struct ast_cast {
    ast_expr e;
    bool try_;
    ast_expr *arg;
    ast_type type;
} ast_cast;

typedef struct ast_subquery {
    ast_expr e; /* AST_SUBQUERY or AST_EXISTS */
    struct ast_query *query;
} ast_subquery;

typedef struct ast_subscript {
    ast_expr e;
    ast_expr *arg, *index;
} ast_subscript;

/* A field of a value that is not a plain name: f(x).a, x[0].b. */
typedef struct ast_field {
    ast_expr e;
    ast_expr *arg;
    const char *name;
} ast_field;

typedef struct ast_lambda {
    ast_expr e;
    const char **params;
    int nparams;
    ast_expr *body;
} ast_lambda;

typedef enum ast_grouping_kind { GROUPING_ROLLUP, GROUPING_CUBE, GROUPING_SETS } ast_grouping_kind;

/* ROLLUP(a, b), CUBE(a, b): sets[i] are the items (one expression each);
 * GROUPING SETS ((a, b), a, ()): each set a list. */
typedef struct ast_grouping {
    ast_expr e;
    ast_grouping_kind gkind;
    ast_expr ***sets;
    int *set_len;
    int n;
} ast_grouping;

/* ---- Relations (FROM) ---------------------------------------------------- */

typedef struct ast_rel {
    ast_kind kind;
    int pos;
    const char *alias;        /* or NULL */
    const char **col_aliases; /* t(a, b) */
    int ncol_aliases;
} ast_rel;

typedef struct ast_rel_table {
    ast_rel r;
    ast_name name;
} ast_rel_table;

/* csv.`/path/file.csv`, parquet.`/dir`. */
typedef struct ast_rel_file {
    ast_rel r;
    const char *format;
    const char *path;
} ast_rel_file;

/* A table-valued function: range(10). */
typedef struct ast_rel_tvf {
    ast_rel r;
    ast_func *call;
} ast_rel_tvf;

typedef struct ast_rel_query {
    ast_rel r;
    struct ast_query *query;
} ast_rel_query;

typedef enum ast_join_kind {
    JOIN_INNER,
    JOIN_LEFT,
    JOIN_RIGHT,
    JOIN_FULL,
    JOIN_SEMI,
    JOIN_ANTI,
    JOIN_CROSS,
} ast_join_kind;

typedef struct ast_rel_join {
    ast_rel r;
    ast_join_kind jkind;
    bool natural;
    ast_rel *left, *right;
    ast_expr *on;       /* or NULL */
    const char **using; /* USING (a, b) */
    int nusing;
} ast_rel_join;

typedef struct ast_values {
    ast_kind kind; /* AST_VALUES */
    int pos;
    ast_expr ***rows;
    int *row_len;
    int n;
} ast_values;

/* VALUES (...), (...) AS t(a, b) in FROM. */
typedef struct ast_rel_values {
    ast_rel r;
    ast_values *values;
} ast_rel_values;

/* ---- Queries ------------------------------------------------------------- */

typedef struct ast_select_item {
    ast_expr *expr;
    const char *alias; /* or NULL */
} ast_select_item;

typedef struct ast_named_window {
    const char *name;
    ast_window *spec;
} ast_named_window;

typedef struct ast_lateral_view {
    bool outer;
    ast_func *call;
    const char *table; /* or NULL */
    const char **cols;
    int ncols;
} ast_lateral_view;

typedef struct ast_select {
    ast_kind kind; /* AST_SELECT */
    int pos;
    bool distinct;
    ast_select_item *items;
    int nitems;
    ast_rel **from; /* comma-separated relations */
    int nfrom;
    ast_lateral_view *laterals;
    int nlaterals;
    ast_expr *where;
    ast_expr **group_by;
    int ngroup_by;
    bool group_all; /* GROUP BY ALL */
    ast_expr *having;
    ast_named_window *windows;
    int nwindows;
    ast_expr *qualify;
} ast_select;

typedef enum ast_setop_kind { SETOP_UNION, SETOP_INTERSECT, SETOP_EXCEPT } ast_setop_kind;

/* left UNION [ALL|DISTINCT] right; left and right are query terms
 * (AST_SELECT, AST_SETOP, AST_VALUES, AST_QUERY, or an AST_REL_TABLE for
 * TABLE t). */
typedef struct ast_setop {
    ast_kind kind; /* AST_SETOP */
    int pos;
    ast_setop_kind op;
    bool all;
    void *left, *right;
} ast_setop;

typedef struct ast_cte {
    int pos;
    const char *name;
    const char **cols;
    int ncols;
    struct ast_query *query;
} ast_cte;

/* A query: WITH, a body (query term, as in ast_setop) and the clauses
 * that apply to its result. */
typedef struct ast_query {
    ast_kind kind; /* AST_QUERY */
    int pos;
    ast_cte *ctes;
    int nctes;
    void *body;
    ast_sort_item *order_by;
    int norder_by;
    ast_sort_item *sort_by;
    int nsort_by;
    ast_expr **cluster_by;
    int ncluster_by;
    ast_expr **distribute_by;
    int ndistribute_by;
    ast_expr *limit; /* or NULL */
    bool limit_all;
    ast_expr *offset; /* or NULL */
} ast_query;

/* ---- Statements ---------------------------------------------------------- */

typedef struct ast_stmt {
    ast_kind kind;
    int pos;
    int len; /* bytes of the statement's text (without ';') */
} ast_stmt;

typedef struct ast_stmt_query {
    ast_stmt s;
    ast_query *query;
} ast_stmt_query;

typedef struct ast_stmt_explain {
    ast_stmt s;
    const char *mode; /* "extended", "formatted", ... lower case, or NULL */
    ast_stmt *stmt;
} ast_stmt_explain;

typedef struct ast_view_col {
    const char *name;
    const char *comment; /* or NULL */
} ast_view_col;

/* CREATE [OR REPLACE] [[GLOBAL] TEMPORARY] VIEW [IF NOT EXISTS] name
 * [(cols)] [COMMENT 'c'] AS query. */
typedef struct ast_stmt_create_view {
    ast_stmt s;
    bool or_replace, global, temporary, if_not_exists;
    ast_name name;
    ast_view_col *cols;
    int ncols;
    const char *comment;
    ast_query *query;
} ast_stmt_create_view;

typedef struct ast_col_def {
    int pos;
    const char *name;
    ast_type type;
    bool not_null;
    const char *comment; /* or NULL */
} ast_col_def;

typedef struct ast_option {
    const char *key; /* dotted keys joined with '.' */
    const char *value;
} ast_option;

/* CREATE [OR REPLACE] TABLE [IF NOT EXISTS] name [(cols)] [USING fmt]
 * [OPTIONS (...)] [PARTITIONED BY (...)] [LOCATION 'p'] [COMMENT 'c']
 * [AS query], and CREATE [OR REPLACE] [GLOBAL] TEMPORARY VIEW name
 * [(cols)] USING fmt OPTIONS (...) (is_view). */
typedef struct ast_stmt_create_table {
    ast_stmt s;
    bool is_view, or_replace, global, temporary, if_not_exists, external;
    ast_name name;
    ast_col_def *cols;
    int ncols;
    const char *using; /* or NULL */
    ast_option *options;
    int noptions;
    const char **partitioned_by;
    int npartitioned_by;
    const char *location;
    const char *comment;
    ast_query *query; /* AS query, or NULL */
} ast_stmt_create_table;

/* CREATE [OR REPLACE] [TEMPORARY] FUNCTION [IF NOT EXISTS] name AS 'class'
 * [USING JAR|FILE|ARCHIVE 'uri', ...]. */
typedef struct ast_stmt_create_function {
    ast_stmt s;
    bool or_replace, temporary, if_not_exists;
    ast_name name;
    const char *class_name;
    ast_option *resources; /* key: jar, file, archive; value: the uri */
    int nresources;
} ast_stmt_create_function;

/* INSERT INTO|OVERWRITE [TABLE] name [PARTITION (k = v, k2, ...)]
 * [(cols)] query. */
typedef struct ast_stmt_insert {
    ast_stmt s;
    bool overwrite;
    ast_name table;
    const char **cols;
    int ncols;
    ast_query *query;
    const char **part_names;  /* the PARTITION clause: npart columns */
    const char **part_values; /* a static value's text, or NULL: dynamic */
    bool *part_null;          /* the static value is NULL */
    int npart;
} ast_stmt_insert;

typedef enum ast_object { OBJ_TABLE, OBJ_VIEW, OBJ_FUNCTION, OBJ_QUERY, OBJ_DATABASE } ast_object;

typedef struct ast_stmt_drop {
    ast_stmt s;
    ast_object what;
    bool if_exists, temporary;
    ast_name name;
} ast_stmt_drop;

/* DESCRIBE [TABLE] [EXTENDED] name, DESCRIBE QUERY q, DESCRIBE FUNCTION f. */
typedef struct ast_stmt_describe {
    ast_stmt s;
    ast_object what; /* OBJ_TABLE, OBJ_QUERY, OBJ_FUNCTION */
    bool extended;
    ast_name name;
    ast_query *query;
} ast_stmt_describe;

typedef enum ast_show_what {
    SHOW_TABLES,
    SHOW_VIEWS,
    SHOW_FUNCTIONS,
    SHOW_COLUMNS,
    SHOW_DATABASES
} ast_show_what;

typedef struct ast_stmt_show {
    ast_stmt s;
    ast_show_what what;
    ast_name table;   /* SHOW COLUMNS IN t */
    ast_name db;      /* IN db / FROM db: n == 0 when absent */
    const char *like; /* or NULL */
} ast_stmt_show;

/* SET (list), SET k, SET k=v, RESET, RESET k: key and value are the raw
 * text, trimmed (Spark's rule: SET takes anything up to the '='). */
typedef struct ast_stmt_set {
    ast_stmt s;
    const char *key;   /* or NULL */
    const char *value; /* or NULL */
} ast_stmt_set;

typedef struct ast_stmt_cache {
    ast_stmt s; /* AST_STMT_CACHE, AST_STMT_UNCACHE */
    bool lazy, if_exists;
    ast_name name;
    ast_option *options;
    int noptions;
    ast_query *query; /* or NULL */
} ast_stmt_cache;

typedef struct ast_stmt_use {
    ast_stmt s;
    ast_name name;
} ast_stmt_use;

/* ---- API ----------------------------------------------------------------- */

/* Deepest nesting (parentheses, subqueries, unary operators, ...) the
 * parser accepts, and the greatest height of an expression tree (a chain
 * a + b + c ... is as high as it is long): deeper input fails with
 * FAILED_TO_PARSE_TOO_COMPLEX, so that neither the parser nor a recursive
 * walk of the tree can exhaust the stack. */
#define SQL_MAX_DEPTH 1000
#define SQL_MAX_HEIGHT 4000

/* Parses one or more ';'-separated statements of sql (NUL-terminated) into
 * *out, an array of *n statements allocated in a (as is everything else).
 * Borrows sql; the tree keeps no pointer to it (pos and len index it).
 * Returns KILN_OK, KILN_ESQL with kiln_last_error() set to a Spark-shaped
 * message with the line and position, or KILN_ENOMEM. */
int sql_parse(kiln_arena *a, const char *sql, ast_stmt ***out, int *n);

/* Parses a single expression (selectExpr, filter strings, expr()); positions
 * are offsets in text. Returns as sql_parse. */
int sql_parse_expr(kiln_arena *a, const char *text, ast_expr **out);

/* Parses an expression with an optional alias, as DataFrame selectExpr
 * and expr() take it ("a + 1 AS b", "a + 1 b"): *alias is the alias in a,
 * or NULL. Returns as sql_parse. */
int sql_parse_named_expr(kiln_arena *a, const char *text, ast_expr **out, const char **alias);

/* Appends the canonical S-expression of s / e / q to b (no NUL).
 * Returns KILN_OK or KILN_ENOMEM. */
int ast_format(kiln_buf *b, const ast_stmt *s);
int ast_format_expr(kiln_buf *b, const ast_expr *e);
int ast_format_query(kiln_buf *b, const ast_query *q);

#pragma GCC visibility pop
#endif
