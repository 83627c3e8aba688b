/*
 * parquet/read_schema.c - the file's flat schema list made a tree, with
 * definition / repetition levels per node and each node's kiln type in
 * Spark's mapping (ParquetToSparkSchemaConverter): annotations pick the
 * logical type, LIST groups follow parquet-format's backward-compatibility
 * rules (3-level lists and the legacy 2-level forms), MAP / MAP_KEY_VALUE
 * groups become maps, other groups structs, a repeated field outside a
 * LIST an array of it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parquet/pq_read_int.h"

static bool is_list(const pq_schema_elem *e)
{
    return e->converted == PQ_CT_LIST || e->logical.kind == PQ_LT_LIST;
}
static bool is_map(const pq_schema_elem *e)
{
    return e->converted == PQ_CT_MAP || e->converted == PQ_CT_MAP_KEY_VALUE ||
           e->logical.kind == PQ_LT_MAP;
}

/* Builds node n from schema[*i] on (depth-first, num_children each). */
static int build(const pq_meta *m, kiln_arena *a, pq_node *n, pq_node *parent, int *i, int *leaf,
                 int depth, const char **why)
{
    if (*i >= m->nschema || depth > 64) {
        *why = *i >= m->nschema ? "schema has fewer elements than its groups claim"
                                : "schema nested too deeply";
        return KILN_ECORRUPT;
    }
    const pq_schema_elem *e = &m->schema[(*i)++];
    memset(n, 0, sizeof *n);
    n->e = e;
    n->parent = parent;
    n->leaf = -1;
    n->first_leaf = *leaf;
    if (parent) {
        n->max_def = parent->max_def + (e->repetition != PQ_REQUIRED);
        n->max_rep = parent->max_rep + (e->repetition == PQ_REPEATED);
    }
    if (e->num_children < 0 || e->num_children > m->nschema - *i) {
        *why = "schema group claims more children than the schema has";
        return KILN_ECORRUPT;
    }
    if (e->num_children == 0 && parent) {
        if (e->type < 0) {
            *why = "schema leaf without a physical type";
            return KILN_ECORRUPT;
        }
        n->leaf = (*leaf)++;
        n->nleaves = 1;
        return KILN_OK;
    }
    n->nchildren = e->num_children;
    n->children = kiln_arena_alloc(a,
                                   sizeof *n->children * (size_t)(n->nchildren ? n->nchildren : 1));
    if (!n->children) return KILN_ENOMEM;
    for (int c = 0; c < n->nchildren; c++) {
        int rc = build(m, a, &n->children[c], n, i, leaf, depth + 1, why);
        if (rc) return rc;
    }
    n->nleaves = *leaf - n->first_leaf;
    return KILN_OK;
}

static const col_type *decimal_of(kiln_arena *a, const pq_schema_elem *e)
{
    int p = e->logical.kind == PQ_LT_DECIMAL ? e->logical.precision : e->precision;
    int s = e->logical.kind == PQ_LT_DECIMAL ? e->logical.scale : e->scale;
    return col_type_decimal(a, p, s);
}

/* The kiln type and value conversion of a primitive leaf. */
static void leaf_type(kiln_arena *a, pq_node *n)
{
    const pq_schema_elem *e = n->e;
    const pq_logical_type *l = &e->logical;
    int ct = e->converted;
    bool dec = ct == PQ_CT_DECIMAL || l->kind == PQ_LT_DECIMAL;
    const col_type *t = NULL;
    int cv = PQ_CV_SAME;
    int bits = 0;
    bool sign = true;
    if (l->kind == PQ_LT_INTEGER) {
        bits = l->bit_width;
        sign = l->is_signed;
    } else if (ct >= PQ_CT_UINT_8 && ct <= PQ_CT_INT_64) {
        static const int w[] = {8, 16, 32, 64, 8, 16, 32, 64};
        bits = w[ct - PQ_CT_UINT_8];
        sign = ct >= PQ_CT_INT_8;
    }
    switch (e->type) {
    case PQ_BOOLEAN:
        t = &col_type_bool;
        break;
    case PQ_INT32:
        if (dec) {
            t = decimal_of(a, e);
            cv = t && col_decimal_is_wide(t) ? PQ_CV_I32_I128 : PQ_CV_I32_I64;
        } else if (ct == PQ_CT_DATE || l->kind == PQ_LT_DATE) {
            t = &col_type_date;
        } else if (ct == PQ_CT_TIME_MILLIS || l->kind == PQ_LT_TIME) {
            n->why = "TIME";
        } else if (bits == 8) {
            t = sign ? &col_type_i8 : &col_type_i16;
            cv = sign ? PQ_CV_I32_I8 : PQ_CV_I32_I16;
        } else if (bits == 16) {
            t = sign ? &col_type_i16 : &col_type_i32;
            cv = sign ? PQ_CV_I32_I16 : PQ_CV_SAME;
        } else if (bits == 32 && !sign) {
            t = &col_type_i64;
            cv = PQ_CV_U32_I64;
        } else {
            t = &col_type_i32;
        }
        break;
    case PQ_INT64:
        if (dec) {
            t = decimal_of(a, e);
            cv = t && col_decimal_is_wide(t) ? PQ_CV_I64_I128 : PQ_CV_SAME;
        } else if (l->kind == PQ_LT_TIMESTAMP || ct == PQ_CT_TIMESTAMP_MILLIS ||
                   ct == PQ_CT_TIMESTAMP_MICROS) {
            bool utc = l->kind == PQ_LT_TIMESTAMP ? l->utc : true;
            int unit = l->kind == PQ_LT_TIMESTAMP     ? l->unit
                       : ct == PQ_CT_TIMESTAMP_MILLIS ? PQ_UNIT_MILLIS
                                                      : PQ_UNIT_MICROS;
            t = utc ? &col_type_timestamp : &col_type_timestamp_ntz;
            cv = unit == PQ_UNIT_MILLIS  ? PQ_CV_MILLIS
                 : unit == PQ_UNIT_NANOS ? PQ_CV_NANOS
                                         : PQ_CV_SAME;
        } else if (ct == PQ_CT_TIME_MICROS || l->kind == PQ_LT_TIME) {
            n->why = "TIME";
        } else if (bits == 64 && !sign) {
            t = col_type_decimal(a, 20, 0);
            cv = PQ_CV_U64_I128;
        } else {
            t = &col_type_i64;
        }
        break;
    case PQ_INT96:
        t = &col_type_timestamp;
        cv = PQ_CV_INT96;
        break;
    case PQ_FLOAT:
        t = &col_type_f32;
        break;
    case PQ_DOUBLE:
        t = &col_type_f64;
        break;
    case PQ_BYTE_ARRAY:
    case PQ_FIXED_LEN_BYTE_ARRAY:
        if (dec) {
            t = decimal_of(a, e);
            cv = PQ_CV_DEC_BYTES;
            if (e->type == PQ_FIXED_LEN_BYTE_ARRAY && (e->type_length < 1 || e->type_length > 16))
                t = NULL;
        } else if (e->type == PQ_BYTE_ARRAY &&
                   (ct == PQ_CT_UTF8 || ct == PQ_CT_ENUM || ct == PQ_CT_JSON ||
                    l->kind == PQ_LT_STRING || l->kind == PQ_LT_ENUM || l->kind == PQ_LT_JSON)) {
            t = &col_type_string;
            cv = PQ_CV_STR;
        } else {
            t = &col_type_binary;
            cv = PQ_CV_STR;
        }
        if (e->type == PQ_FIXED_LEN_BYTE_ARRAY && e->type_length < 0) t = NULL;
        break;
    default:
        break;
    }
    if (!t && !n->why) n->why = dec ? "a DECIMAL of a bad precision or scale" : "this type";
    n->type = t;
    n->conv = cv;
}

static bool type_of(kiln_arena *a, pq_node *n);

/* A field named like n (a copy of its name) of type t. */
static bool set_field(col_field *f, const pq_node *n)
{
    f->name = n->e->name;
    f->type = n->type;
    f->nullable = n->e->repetition != PQ_REQUIRED;
    return true;
}

/* The type of n ignoring that it is repeated. */
static bool base_type(kiln_arena *a, pq_node *n)
{
    const pq_schema_elem *e = n->e;
    if (n->leaf >= 0) {
        leaf_type(a, n);
        n->shape = PQ_SH_LEAF;
        return n->type != NULL;
    }
    if (is_list(e)) {
        if (n->nchildren != 1 || n->children[0].e->repetition != PQ_REPEATED) {
            n->why = "a LIST group whose child is not one repeated field";
            return false;
        }
        pq_node *r = &n->children[0];
        /* Backward-compatibility rules: is the repeated field the element? */
        char tuple[512];
        snprintf(tuple, sizeof tuple, "%s_tuple", e->name);
        bool elem_is_r = r->leaf >= 0 || r->nchildren > 1 || strcmp(r->e->name, "array") == 0 ||
                         strcmp(r->e->name, tuple) == 0;
        pq_node *el = elem_is_r ? r : &r->children[0];
        if (!elem_is_r && r->nchildren != 1) {
            n->why = "a LIST group of a bad shape";
            return false;
        }
        if (!base_type(a, el)) {
            n->why = el->why;
            return false;
        }
        if (!elem_is_r && el->e->repetition == PQ_REPEATED) {
            /* A repeated element inside a list: an array of arrays. */
            el->btype = el->type;
            el->rep_array = true;
            el->type = col_type_array(a, el->type, false);
        }
        n->elem = el;
        n->shape = PQ_SH_LIST;
        n->type = col_type_array(a, el->type, !elem_is_r && el->e->repetition == PQ_OPTIONAL);
        return n->type != NULL;
    }
    if (is_map(e)) {
        pq_node *kv = n->nchildren == 1 ? &n->children[0] : NULL;
        if (!kv || kv->e->repetition != PQ_REPEATED || kv->nchildren < 1 || kv->nchildren > 2) {
            n->why = "a MAP group of a bad shape";
            return false;
        }
        pq_node *k = &kv->children[0], *v = kv->nchildren == 2 ? &kv->children[1] : NULL;
        if (!type_of(a, k) || (v && !type_of(a, v))) {
            n->why = !k->type ? k->why : v->why;
            return false;
        }
        n->elem = kv;
        n->key = k;
        n->val = v;
        n->shape = PQ_SH_MAP;
        n->type = col_type_map(a, k->type, v ? v->type : &col_type_null,
                               !v || v->e->repetition != PQ_REQUIRED);
        return n->type != NULL;
    }
    if (n->nchildren == 0) {
        n->why = "an empty group";
        return false;
    }
    col_field *fs = kiln_arena_alloc(a, sizeof *fs * (size_t)n->nchildren);
    if (!fs) return false;
    for (int c = 0; c < n->nchildren; c++) {
        if (!type_of(a, &n->children[c])) {
            n->why = n->children[c].why;
            return false;
        }
        set_field(&fs[c], &n->children[c]);
    }
    n->shape = PQ_SH_STRUCT;
    n->type = col_type_struct(a, fs, n->nchildren);
    return n->type != NULL;
}

/* The type of n: a repeated field outside a LIST is an array of it. */
static bool type_of(kiln_arena *a, pq_node *n)
{
    if (!base_type(a, n)) return false;
    n->btype = n->type;
    if (n->e->repetition == PQ_REPEATED) {
        n->rep_array = true;
        n->type = col_type_array(a, n->type, false);
    }
    return n->type != NULL;
}

/* The schema tree with types (see pq_read_int.h). */
int pq_schema_tree(const pq_meta *m, kiln_arena *a, pq_node **root, const char **why)
{
    pq_node *r = kiln_arena_alloc(a, sizeof *r);
    if (!r) return KILN_ENOMEM;
    int i = 0, leaf = 0;
    int rc = build(m, a, r, NULL, &i, &leaf, 0, why);
    if (rc) return rc;
    if (i != m->nschema) {
        *why = "schema has elements outside its root";
        return KILN_ECORRUPT;
    }
    for (int c = 0; c < r->nchildren; c++) (void)type_of(a, &r->children[c]);
    *root = r;
    return KILN_OK;
}
