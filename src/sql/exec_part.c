/*
 * sql/exec_part.c - how a stage's rows are spread over its partitions
 * (exec_int.h), so that an aggregate, a join or a window over rows already
 * hashed by its keys needs no exchange (Spark's EnsureRequirements over
 * HashPartitioning): what each operator keeps of its input's partitioning,
 * and what an aggregate or a join still needs.
 */
#include <string.h>

#include "sql/exec_int.h"

void exec_part_keys(exec_part *out, expr *const *keys, int nkeys, int nparts)
{
    memset(out, 0, sizeof *out);
    if (nkeys < 1 || nkeys > EXEC_PART_MAX || nparts < 2) return;
    for (int i = 0; i < nkeys; i++) {
        if (keys[i]->kind != EX_COL) return;
        out->cols[0][i] = keys[i]->col;
    }
    out->nparts = nparts;
    out->ncols = nkeys;
    out->nalt = 1;
}

/* Adds alternative cols[0..n) shifted by off to out (same length). */
static void add_alt(exec_part *out, const int *cols, int n, int off)
{
    if (out->nalt == 2 || (out->nalt && out->ncols != n)) return;
    for (int i = 0; i < n; i++) out->cols[out->nalt][i] = cols[i] + off;
    out->ncols = n;
    out->nalt++;
}

void exec_part_project(exec_part *out, const exec_part *in, const plan *proj)
{
    exec_part r;
    memset(&r, 0, sizeof r);
    for (int a = 0; a < in->nalt; a++) {
        int cols[EXEC_PART_MAX], n = 0;
        for (int i = 0; i < in->ncols; i++) {
            for (int j = 0; j < proj->ncols; j++)
                if (proj->exprs[j]->kind == EX_COL && proj->exprs[j]->col == in->cols[a][i]) {
                    cols[n++] = j;
                    break;
                }
        }
        if (n == in->ncols) add_alt(&r, cols, n, 0);
    }
    if (r.nalt) r.nparts = in->nparts;
    *out = r;
}

/* The alternative of in whose columns are all plain columns among keys;
 * pos[j] gets the key of its column j. -1 when none. */
static int alt_in_keys(const exec_part *in, expr *const *keys, int nkeys, int *pos)
{
    for (int a = 0; a < in->nalt; a++) {
        int found = 0;
        for (int i = 0; i < in->ncols; i++)
            for (int k = 0; k < nkeys; k++)
                if (keys[k]->kind == EX_COL && keys[k]->col == in->cols[a][i]) {
                    pos[found++] = k;
                    break;
                }
        if (found == in->ncols) return a;
    }
    return -1;
}

bool exec_part_agg(const exec_part *in, expr *const *keys, int nkeys, int nparts, exec_part *out)
{
    int pos[EXEC_PART_MAX];
    if (nkeys > 0 && in->nparts > 1 && alt_in_keys(in, keys, nkeys, pos) >= 0) {
        /* The output's key columns come first, in key order. */
        memset(out, 0, sizeof *out);
        add_alt(out, pos, in->ncols, 0);
        out->nparts = in->nparts;
        return true;
    }
    exec_part_first(out, nkeys, nparts);
    return false;
}

void exec_part_first(exec_part *out, int n, int nparts)
{
    memset(out, 0, sizeof *out);
    if (n < 1 || n > EXEC_PART_MAX || nparts < 2) return;
    for (int i = 0; i < n; i++) out->cols[0][i] = i;
    out->ncols = n;
    out->nalt = 1;
    out->nparts = nparts;
}

int exec_agg_hash_keys(const plan *p)
{
    return p->hash_keys > 0 && p->hash_keys < p->nkeys ? p->hash_keys : p->nkeys;
}

/* Whether side's partitioning (an alternative) is the hash of the join's
 * keys at positions idx[0..n) of its own keys, with the other side's keys
 * at those positions of the same types (so that their hashes agree). */
static int side_aligned(const exec_part *side, expr *const *mine, expr *const *other, int nkeys,
                        int nparts, int *idx)
{
    if (side->nparts != nparts || nparts < 2) return 0;
    if (alt_in_keys(side, mine, nkeys, idx) < 0) return 0;
    for (int j = 0; j < side->ncols; j++)
        if (!col_type_eq(mine[idx[j]]->type, other[idx[j]]->type)) return 0;
    return side->ncols;
}

/* Whether side is hashed by exactly keys[idx[0..n)] (plain columns). */
static bool side_is(const exec_part *side, expr *const *keys, const int *idx, int n, int nparts)
{
    if (side->nparts != nparts || side->ncols != n) return false;
    for (int a = 0; a < side->nalt; a++) {
        int j = 0;
        while (j < n && keys[idx[j]]->kind == EX_COL && keys[idx[j]]->col == side->cols[a][j]) j++;
        if (j == n) return true;
    }
    return false;
}

void exec_part_join(const exec_part *l, const exec_part *r, const plan *p, int nparts,
                    exec_join_parts *jp, exec_part *out)
{
    memset(jp, 0, sizeof *jp);
    memset(out, 0, sizeof *out);
    jp->exchange[0] = jp->exchange[1] = true;
    int n = p->nkeys;
    for (int i = 0; i < n && i < EXEC_PART_MAX; i++) jp->idx[i] = i;
    jp->nidx = n;
    if (nparts < 2 || n < 1) return;
    int idx[EXEC_PART_MAX], k;
    if ((k = side_aligned(l, p->keys, p->rkeys, n, nparts, idx))) {
        jp->exchange[0] = false;
        jp->exchange[1] = !side_is(r, p->rkeys, idx, k, nparts);
    } else if ((k = side_aligned(r, p->rkeys, p->keys, n, nparts, idx))) {
        jp->exchange[1] = false;
        jp->exchange[0] = !side_is(l, p->keys, idx, k, nparts);
    } else {
        if (n > EXEC_PART_MAX) return; /* both exchanged; the output's spread unknown */
        k = n;
        for (int i = 0; i < n; i++) idx[i] = i;
    }
    memcpy(jp->idx, idx, sizeof *idx * (size_t)k);
    jp->nidx = k;
    /* The rows come out hashed by the keys at idx on each side: those of
     * a side whose rows keep their key values (not filled with nulls). */
    int lc[EXEC_PART_MAX], rc[EXEC_PART_MAX];
    bool lok = true, rok = true;
    for (int j = 0; j < k; j++) {
        expr *le = p->keys[idx[j]], *re = p->rkeys[idx[j]];
        lok &= le->kind == EX_COL;
        rok &= re->kind == EX_COL;
        if (le->kind == EX_COL) lc[j] = le->col;
        if (re->kind == EX_COL) rc[j] = re->col;
    }
    bool left_kept = p->join == PJ_INNER || p->join == PJ_LEFT || p->join == PJ_SEMI ||
                     p->join == PJ_ANTI;
    bool right_kept = p->join == PJ_INNER || p->join == PJ_RIGHT;
    if (left_kept && lok) add_alt(out, lc, k, 0);
    if (right_kept && rok) add_alt(out, rc, k, p->in[0]->ncols);
    if (out->nalt) out->nparts = nparts;
}

void exec_part_shift(exec_part *out, const exec_part *in, int off)
{
    exec_part r;
    memset(&r, 0, sizeof r);
    for (int a = 0; a < in->nalt; a++) add_alt(&r, in->cols[a], in->ncols, off);
    r.nparts = r.nalt ? in->nparts : 0;
    *out = r;
}
