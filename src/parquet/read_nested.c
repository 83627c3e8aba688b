/*
 * parquet/read_nested.c - nested columns of the Parquet reader: a top-level
 * field holding lists, maps, structs or repeated fields (any nesting) is
 * read leaf by leaf (read_column.c) and assembled from the leaves'
 * repetition and definition levels into kiln's array / map / struct
 * vectors (column.h: offsets, children, validity at every level).
 *
 * Records: each leaf buffers level entries until it holds the entries of
 * the batch's rows and the start (repetition level 0) of the next, so a
 * batch ends at a record boundary; the entries after the cut are carried
 * to the next batch (their long strings copied into its arena first, as
 * the page buffers they point into are freed then).
 *
 * Assembly, per leaf: the instances of each node on the path from the top
 * field down to the leaf are ranges [s, e) of the leaf's entries (the
 * records at the top); a node is non-null when def[s] reaches its
 * definition level, a list / map / repeated field non-empty when def[s]
 * reaches the repeated field's level, and its elements split its range
 * where the repetition level equals the repeated field's. The first leaf
 * under a node writes the node's vector (validity, offsets, child sizes);
 * the other leaves only check that they see the same number of instances,
 * so levels that disagree between leaves are an error, never an overrun.
 */
#include <stdlib.h>
#include <string.h>

#include "parquet/pq_leaf_int.h"

typedef struct nleaf {
    const pq_node *node;
    const col_type *type; /* one value's type */
    size_t w;
    pq_leaf leaf;
    bool open;
    int64_t left;        /* entries of the chunk not read yet */
    uint8_t *def, *rep;  /* buffered entries [0, nent) */
    unsigned char *vals; /* their non-null values [0, nval) */
    uint32_t nent, nval, cap;
} nleaf;

struct pq_nested {
    const pq_node *top;
    const char *path;
    int rg;
    int n;
    nleaf *leaves;
};

static void collect(const pq_node *n, nleaf *out, int *k)
{
    if (n->leaf >= 0) {
        out[*k].node = n;
        out[*k].type = n->btype ? n->btype : n->type;
        out[*k].w = col_type_width(out[*k].type);
        (*k)++;
        return;
    }
    for (int c = 0; c < n->nchildren; c++) collect(&n->children[c], out, k);
}

/* A reader of nested top-level field top (see pq_leaf_int.h). */
int pq_nested_new(const pq_node *top, const char *path, pq_nested **out)
{
    pq_nested *x = calloc(1, sizeof *x);
    if (x) x->leaves = calloc((size_t)(top->nleaves ? top->nleaves : 1), sizeof *x->leaves);
    if (!x || !x->leaves) {
        free(x);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    x->top = top;
    x->path = path;
    collect(top, x->leaves, &x->n);
    *out = x;
    return KILN_OK;
}

/* Opens the leaves' chunks of row group rg (see pq_leaf_int.h). */
int pq_nested_open_rg(pq_nested *x, io_file *io, const pq_meta *m, int rg, pq_retired *retired,
                      kiln_arena *tmp)
{
    x->rg = rg;
    for (int i = 0; i < x->n; i++) {
        nleaf *l = &x->leaves[i];
        l->nent = l->nval = 0;
        int rc = pq_leaf_open(&l->leaf, io, x->path, m, l->node, l->type, rg, retired, tmp);
        l->open = true;
        if (rc) return rc;
        l->left = m->rgs[rg].cols[l->node->leaf].num_values;
    }
    return KILN_OK;
}

/* Closes the leaves' chunks (see pq_leaf_int.h). */
void pq_nested_close_rg(pq_nested *x)
{
    for (int i = 0; x && i < x->n; i++)
        if (x->leaves[i].open) {
            pq_leaf_close(&x->leaves[i].leaf);
            x->leaves[i].open = false;
            x->leaves[i].nent = x->leaves[i].nval = 0;
        }
}

/* Copies carried long strings into a (see pq_leaf_int.h). */
int pq_nested_keep(pq_nested *x, kiln_arena *a)
{
    for (int i = 0; x && i < x->n; i++) {
        nleaf *l = &x->leaves[i];
        if (l->type->kind != COL_STRING && l->type->kind != COL_BINARY) continue;
        col_str *s = (col_str *)(void *)l->vals;
        for (uint32_t k = 0; k < l->nval; k++)
            if (s[k].len > COL_STR_INLINE && !col_str_copy(a, s[k].u.ptr, s[k].len, &s[k]))
                return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    return KILN_OK;
}

/* Frees x (see pq_leaf_int.h). */
void pq_nested_free(pq_nested *x)
{
    if (!x) return;
    pq_nested_close_rg(x);
    for (int i = 0; i < x->n; i++) {
        free(x->leaves[i].def);
        free(x->leaves[i].rep);
        free(x->leaves[i].vals);
    }
    free(x->leaves);
    free(x);
}

static int corrupt(const pq_nested *x, const nleaf *l, const char *why)
{
    return kiln_set_error(KILN_ECORRUPT, "%s: column %s, row group %d: %s", x->path,
                          l->node->e->name, x->rg, why);
}

static int grow(nleaf *l, uint64_t need)
{
    if (need <= l->cap) return KILN_OK;
    if (need > UINT32_MAX / 2) return kiln_set_error(KILN_ENOMEM, "too many nested values");
    uint32_t cap = l->cap ? l->cap : 4096;
    while (cap < need) cap *= 2;
    uint8_t *d = realloc(l->def, cap), *r = d ? realloc(l->rep, cap) : NULL;
    if (d) l->def = d;
    if (r) l->rep = r;
    unsigned char *v = r ? realloc(l->vals, (size_t)cap * l->w) : NULL;
    if (!v) return kiln_set_error(KILN_ENOMEM, "out of memory reading nested values");
    l->vals = v;
    l->cap = cap;
    return KILN_OK;
}

/* Buffers entries until l holds n records and the next one's start (or
 * the chunk's end): starts[0..n] get the records' first entries, with
 * starts[n] the cut. */
static int fill(pq_nested *x, nleaf *l, uint32_t n, uint32_t *starts)
{
    uint32_t found = 0, scanned = 0;
    for (;;) {
        for (; scanned < l->nent; scanned++)
            if (l->rep[scanned] == 0) {
                starts[found] = scanned;
                if (found++ == n) return KILN_OK;
            } else if (scanned == 0) {
                return corrupt(x, l, "a record does not start at repetition level 0");
            }
        if (l->left == 0) {
            if (found != n) return corrupt(x, l, "fewer records than the row group's rows");
            starts[n] = l->nent;
            return KILN_OK;
        }
        uint64_t want = n + 1 - found;
        if (found) want = want * l->nent / found + 16;
        if (l->leaf.max_rep == 0) want = n + 1 - found;
        if (want > (uint64_t)l->left) want = (uint64_t)l->left;
        if (want > (1u << 20)) want = 1u << 20;
        int rc = grow(l, (uint64_t)l->nent + want);
        if (rc) return rc;
        uint32_t k = (uint32_t)want, nv;
        uint8_t *d = l->def + l->nent, *r = l->rep + l->nent;
        rc = pq_leaf_read(&l->leaf, k, l->leaf.max_def ? d : NULL, l->leaf.max_rep ? r : NULL,
                          l->vals + (size_t)l->nval * l->w, &nv);
        if (rc) return rc;
        if (!l->leaf.max_def) memset(d, 0, k);
        if (!l->leaf.max_rep) memset(r, 0, k);
        for (uint32_t i = 0; i < k; i++)
            if (r[i] > l->leaf.max_rep) return corrupt(x, l, "repetition level above the maximum");
        l->nent += k;
        l->nval += nv;
        l->left -= k;
    }
}

/* One leaf's walk down the nodes on its path. */
typedef struct walk {
    pq_nested *x;
    nleaf *l;
    kiln_arena *a, *tmp;
    const uint8_t *def, *rep;
    uint32_t nent, vi, nv; /* entries this batch; next value; values this batch */
} walk;

static bool under(const pq_node *n, const pq_node *leaf)
{
    return leaf->leaf >= n->first_leaf && leaf->leaf < n->first_leaf + n->nleaves;
}

/* Splits instances s/e[0..m) of a repeated node (levels d, r) into its
 * elements ns/ne (*total); offsets (when not NULL) get where each starts. */
static void split(const walk *w, const uint32_t *s, const uint32_t *e, uint32_t m, int d, int r,
                  uint32_t *off, uint32_t *ns, uint32_t *ne, uint32_t *total)
{
    uint32_t t = 0;
    for (uint32_t k = 0; k < m; k++) {
        if (off) off[k] = t;
        uint32_t a = s[k], b = e[k];
        if (w->def[a] < d) continue;
        ns[t] = a;
        for (uint32_t j = a + 1; j < b; j++)
            if (w->rep[j] <= r) {
                ne[t++] = j;
                ns[t] = j;
            }
        ne[t++] = b;
    }
    if (off) off[m] = t;
    *total = t;
}

static int node(walk *w, const pq_node *n, col_vec *v, const uint32_t *s, const uint32_t *e,
                uint32_t m, bool base);

/* A repeated node's elements: split, offsets (owner), then the element
 * (a map's key or value when el is NULL). */
static int repeated(walk *w, const pq_node *n, const pq_node *rn, const pq_node *el, col_vec *v,
                    const uint32_t *s, const uint32_t *e, uint32_t m, bool own)
{
    uint32_t *ns = kiln_arena_alloc(w->tmp, sizeof *ns * ((size_t)w->nent + 1));
    uint32_t *ne = kiln_arena_alloc(w->tmp, sizeof *ne * ((size_t)w->nent + 1));
    if (!ns || !ne) return kiln_set_error(KILN_ENOMEM, "out of memory");
    uint32_t total;
    split(w, s, e, m, rn->max_def, rn->max_rep, own ? v->offsets : NULL, ns, ne, &total);
    int rc;
    if (!own && total != v->offsets[m])
        return corrupt(w->x, w->l, "the leaves of a nested field disagree on its elements");
    if (own && (rc = col_vec_reserve_child(v, w->a, total))) return rc;
    if (!el) {
        if (own && !n->val) {
            v->children[1].n = total;
            for (uint32_t k = 0; k < total; k++) col_set_null(&v->children[1], k);
        }
        bool in_key = under(n->key, w->l->node);
        return node(w, in_key ? n->key : n->val, &v->children[in_key ? 0 : 1], ns, ne, total,
                    false);
    }
    return node(w, el, &v->children[0], ns, ne, total, el == n);
}

/* The leaf's values into v's rows: present where def reaches the leaf's. */
static int values(walk *w, const pq_node *n, col_vec *v, const uint32_t *s, uint32_t m)
{
    nleaf *l = w->l;
    size_t sz = l->w;
    unsigned char *dst = v->data;
    const unsigned char *src = l->vals;
    uint32_t j = w->vi;
    int md = n->max_def;
    if (m == w->nv - j) {
        /* as many instances as values: every instance holds one */
        memcpy(dst, src + (size_t)j * sz, (size_t)m * sz);
        w->vi += m;
        return KILN_OK;
    }
    for (uint32_t k = 0; k < m; k++) {
        if (w->def[s[k]] >= md) {
            if (j == w->nv) return corrupt(w->x, l, "more values than levels say");
            memcpy(dst + (size_t)k * sz, src + (size_t)j * sz, sz);
            j++;
        } else {
            memset(dst + (size_t)k * sz, 0, sz);
        }
    }
    w->vi = j;
    return KILN_OK;
}

static int node(walk *w, const pq_node *n, col_vec *v, const uint32_t *s, const uint32_t *e,
                uint32_t m, bool base)
{
    bool own = n->first_leaf == w->l->node->leaf;
    int rc;
    if (!own && v->n != m)
        return corrupt(w->x, w->l, "the leaves of a nested field disagree on its values");
    if (n->rep_array && !base) {
        if (own) v->n = m;
        return repeated(w, n, n, n, v, s, e, m, own);
    }
    if (own) {
        v->n = m;
        int md = base ? 0 : n->max_def;
        for (uint32_t k = 0; k < m; k++)
            if (w->def[s[k]] < md) {
                if (!v->validity && (rc = col_vec_add_validity(v, w->a, m))) return rc;
                col_set_null(v, k);
            }
    }
    switch (n->shape) {
    case PQ_SH_LEAF:
        return values(w, n, v, s, m);
    case PQ_SH_STRUCT:
        for (int c = 0; c < n->nchildren; c++)
            if (under(&n->children[c], w->l->node))
                return node(w, &n->children[c], &v->children[c], s, e, m, false);
        return KILN_OK;
    case PQ_SH_LIST:
        return repeated(w, n, &n->children[0], n->elem, v, s, e, m, own);
    case PQ_SH_MAP:
        return repeated(w, n, n->elem, NULL, v, s, e, m, own);
    default:
        return KILN_OK;
    }
}

/* Reads the next n records into v (see pq_leaf_int.h). */
int pq_nested_read(pq_nested *x, kiln_arena *a, kiln_arena *tmp, col_vec *v, uint32_t n)
{
    uint32_t *starts = kiln_arena_alloc(tmp, sizeof *starts * ((size_t)n + 1));
    uint32_t *ends = kiln_arena_alloc(tmp, sizeof *ends * ((size_t)n + 1));
    if (!starts || !ends) return kiln_set_error(KILN_ENOMEM, "out of memory");
    v->n = 0;
    for (int i = 0; i < x->n; i++) {
        nleaf *l = &x->leaves[i];
        int rc = fill(x, l, n, starts);
        if (rc) return rc;
        uint32_t cut = starts[n];
        for (uint32_t k = 0; k < n; k++) ends[k] = starts[k + 1];
        uint32_t nv = 0, md = (uint32_t)l->leaf.max_def;
        for (uint32_t k = 0; k < cut; k++) nv += l->def[k] == md;
        walk w = {x, l, a, tmp, l->def, l->rep, cut, 0, nv};
        if ((rc = node(&w, x->top, v, starts, ends, n, false))) return rc;
        if (w.vi != nv) return corrupt(x, l, "fewer values than levels say");
        /* carry the entries after the cut */
        memmove(l->def, l->def + cut, l->nent - cut);
        memmove(l->rep, l->rep + cut, l->nent - cut);
        memmove(l->vals, l->vals + (size_t)nv * l->w, (size_t)(l->nval - nv) * l->w);
        l->nent -= cut;
        l->nval -= nv;
    }
    return KILN_OK;
}
