/*
 * ml/optim.c - the optimisers the models train with: L-BFGS, OWL-QN (L-BFGS
 * for an added L1 term) and SGD, driven by reverse communication.
 *
 * The optimiser never calls the objective. kiln_ml_opt_next hands out a
 * point, the caller evaluates the smooth objective and its gradient there
 * (one pass over the data, often for many optimisers at once) and
 * kiln_ml_opt_tell advances a small state machine: the start point, then
 * the trials of a line search, each accepted trial ending one iteration.
 * The L1 term (OWL-QN's pseudo-gradient, SGD's proximal step) is handled
 * here, so callers only ever compute the smooth part.
 *
 * L-BFGS: the two-loop recursion (Nocedal & Wright, Algorithm 7.4) and a
 * line search for the strong Wolfe conditions (Algorithms 3.5 and 3.6, with
 * cubic interpolation). OWL-QN (Andrew & Gao 2007): the two-loop on the
 * pseudo-gradient, the direction kept in the orthant of steepest descent,
 * and backtracking along the path projected onto that orthant, since the
 * objective is not smooth where a coordinate crosses zero.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ml.h"

#define C1 1e-4       /* sufficient decrease (Armijo) */
#define C2 0.9        /* curvature: the usual value for quasi-Newton methods */
#define MAX_EVALS 30  /* objective evaluations per line search */
#define STEP_MAX 1e20 /* where the Wolfe search stops extrapolating */

enum stage {
    STAGE_START,  /* waiting for the objective at w0 */
    STAGE_SEARCH, /* L-BFGS / OWL-QN: waiting for a line-search trial */
    STAGE_SGD,    /* SGD: waiting for the gradient at the current iterate */
    STAGE_LAST,   /* SGD stopped: waiting for the objective at the last iterate */
    STAGE_DONE,
};

/* What a line search does after an evaluation. */
enum outcome { LS_MORE, LS_ACCEPT, LS_ACCEPT_LO, LS_FAIL };

/* A line search along phi(a) = objective at x + a d (projected for OWL-QN). */
typedef struct search {
    double f0, d0;       /* phi(0) and phi'(0) < 0 */
    double a;            /* the step being evaluated */
    double lo, flo, dlo; /* Wolfe: best step so far meeting Armijo (0 before any) */
    double hi, fhi, dhi; /* Wolfe, when zooming: the other end of the bracket */
    bool zoom;
    int evals;
} search;

struct kiln_ml_opt {
    kiln_ml_solver solver;
    int64_t n;
    int max_iter, memory;
    double tol, l1, step;
    bool *skip; /* owned copy of l1_skip, or NULL */
    enum stage stage;
    int iter;
    bool converged;
    bool retried;      /* this iteration's search restarted from steepest descent */
    double f;          /* objective at x, L1 term included */
    double *x, *g;     /* the current point and its smooth gradient */
    double *pg;        /* pseudo-gradient at x (the gradient when l1 is 0) */
    double *d;         /* search direction */
    double *trial;     /* the point handed out by next */
    double *gtrial;    /* the gradient told at trial */
    double *xlo, *glo; /* Wolfe: the point at step lo and its gradient */
    double *s, *y;     /* L-BFGS pairs: a ring of `memory` vectors of n each */
    double *rho, *alpha;
    int mhead, mcount; /* next slot to write; pairs held */
    double *hist;
    int nhist;
    search ls;
    double *block; /* the one allocation every vector above lives in */
};

/* ---- Small vector helpers --------------------------------------------------- */

static double dot(const double *a, const double *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static void swap(double **a, double **b)
{
    double *t = *a;
    *a = *b;
    *b = t;
}

static bool penalised(const kiln_ml_opt *o, int64_t i)
{
    return o->l1 > 0 && !(o->skip && o->skip[i]);
}

static double l1_term(const kiln_ml_opt *o, const double *x)
{
    if (o->l1 == 0) return 0;
    double s = 0;
    for (int64_t i = 0; i < o->n; i++)
        if (penalised(o, i)) s += fabs(x[i]);
    return o->l1 * s;
}

/* ---- Directions ----------------------------------------------------------------- */

/* The pseudo-gradient of f + l1 |x|_1 at x (Andrew & Gao, eq. 4): the
 * one-sided derivative that descends, or 0 where neither side does. */
static void pseudo_gradient(kiln_ml_opt *o)
{
    for (int64_t i = 0; i < o->n; i++) {
        double g = o->g[i], x = o->x[i];
        if (!penalised(o, i)) o->pg[i] = g;
        else if (x > 0 || (x == 0 && g + o->l1 < 0)) o->pg[i] = g + o->l1;
        else if (x < 0 || (x == 0 && g - o->l1 > 0)) o->pg[i] = g - o->l1;
        else o->pg[i] = 0;
    }
}

static void forget_pairs(kiln_ml_opt *o)
{
    o->mhead = 0;
    o->mcount = 0;
}

/* d = -H pg, with H the L-BFGS estimate of the inverse Hessian from the
 * pairs held, scaled by s'y / y'y of the newest pair. */
static void two_loop(kiln_ml_opt *o)
{
    int64_t n = o->n;
    int m = o->memory, k = o->mhead;
    for (int64_t i = 0; i < n; i++) o->d[i] = -o->pg[i];
    for (int j = 0; j < o->mcount; j++) { /* newest to oldest */
        k = (k + m - 1) % m;
        const double *s = o->s + (size_t)k * n, *y = o->y + (size_t)k * n;
        o->alpha[k] = o->rho[k] * dot(s, o->d, n);
        for (int64_t i = 0; i < n; i++) o->d[i] -= o->alpha[k] * y[i];
    }
    if (o->mcount) {
        int newest = (o->mhead + m - 1) % m;
        const double *y = o->y + (size_t)newest * n;
        double gamma = 1 / (o->rho[newest] * dot(y, y, n));
        for (int64_t i = 0; i < n; i++) o->d[i] *= gamma;
    }
    for (int j = 0; j < o->mcount; j++) { /* oldest to newest; k is the oldest */
        const double *s = o->s + (size_t)k * n, *y = o->y + (size_t)k * n;
        double beta = o->rho[k] * dot(y, o->d, n);
        for (int64_t i = 0; i < n; i++) o->d[i] += (o->alpha[k] - beta) * s[i];
        k = (k + 1) % m;
    }
}

/* Sets d and returns the slope pg'd < 0. OWL-QN drops the components that
 * leave the orthant of steepest descent (unpenalised coordinates are
 * smooth and keep theirs); a direction that does not descend (possible
 * after that, or from a poor estimate) falls back to -pg. */
static double choose_direction(kiln_ml_opt *o)
{
    two_loop(o);
    for (int64_t i = 0; i < o->n; i++)
        if (penalised(o, i) && o->d[i] * o->pg[i] >= 0) o->d[i] = 0;
    double slope = dot(o->pg, o->d, o->n);
    if (slope < 0 && isfinite(slope)) return slope;
    forget_pairs(o);
    for (int64_t i = 0; i < o->n; i++) o->d[i] = -o->pg[i];
    return -dot(o->pg, o->pg, o->n);
}

/* trial = x + a d, projected for OWL-QN onto the orthant of x (of -pg where
 * x is 0): a penalised coordinate that would change sign stops at 0. */
static void set_trial(kiln_ml_opt *o, double a)
{
    for (int64_t i = 0; i < o->n; i++) {
        double t = o->x[i] + a * o->d[i];
        double side = o->x[i] != 0 ? o->x[i] : -o->pg[i];
        if (penalised(o, i) && t * side <= 0) t = 0;
        o->trial[i] = t;
    }
}

/* ---- Line searches ------------------------------------------------------------ */

/* Starts the line search of the next iteration from x. Without pairs the
 * step is 1/|pg|, a first move of length 1; the quasi-Newton step is 1. */
static void search_start(kiln_ml_opt *o)
{
    double slope = choose_direction(o);
    double a = o->mcount ? 1 : 1 / sqrt(dot(o->pg, o->pg, o->n));
    o->ls = (search){.f0 = o->f, .d0 = slope, .a = a, .flo = o->f, .dlo = slope};
    set_trial(o, a);
    o->stage = STAGE_SEARCH;
}

/* OWL-QN: Armijo on the projected path, F <= F0 + c1 pg'(trial - x), else
 * a shorter step from the quadratic through phi(0), phi'(0) and phi(a),
 * kept within [a/10, a/2]. */
static enum outcome backtrack(search *ls, double F, double decrease)
{
    if (F <= ls->f0 + C1 * decrease) return LS_ACCEPT;
    if (ls->evals >= MAX_EVALS) return LS_FAIL;
    double a = ls->a, next = 0.5 * a;
    double curv = F - ls->f0 - ls->d0 * a;
    if (isfinite(F) && curv > 0) next = -ls->d0 * a * a / (2 * curv);
    ls->a = fmin(fmax(next, 0.1 * a), 0.5 * a);
    return LS_MORE;
}

/* The minimiser of the cubic through (a, fa, da) and (b, fb, db)
 * (Nocedal & Wright, eq. 3.59); NaN when it has none. */
static double cubic_min(double a, double fa, double da, double b, double fb, double db)
{
    double d1 = da + db - 3 * (fa - fb) / (a - b);
    double disc = d1 * d1 - da * db;
    if (!(disc >= 0)) return NAN;
    double d2 = copysign(sqrt(disc), b - a);
    return b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
}

/* Makes the trial just evaluated the low end of the bracket, keeping its
 * point and gradient (the buffers are swapped, not copied). */
static void keep_as_lo(kiln_ml_opt *o, double F, double dF)
{
    o->ls.lo = o->ls.a;
    o->ls.flo = F;
    o->ls.dlo = dF;
    swap(&o->trial, &o->xlo);
    swap(&o->gtrial, &o->glo);
}

/* The next step inside the bracket: the cubic's minimiser, kept a tenth of
 * the bracket away from its ends, or the midpoint when the cubic is no use. */
static double zoom_step(const search *ls)
{
    double left = fmin(ls->lo, ls->hi), right = fmax(ls->lo, ls->hi), w = right - left;
    double t = NAN;
    if (isfinite(ls->fhi) && isfinite(ls->dhi))
        t = cubic_min(ls->lo, ls->flo, ls->dlo, ls->hi, ls->fhi, ls->dhi);
    if (!isfinite(t)) return left + 0.5 * w;
    return fmin(fmax(t, left + 0.1 * w), right - 0.1 * w);
}

/* One evaluation of the strong Wolfe search: bracketing while the steps
 * grow (Algorithm 3.5), then zooming into the bracket (Algorithm 3.6). */
static enum outcome wolfe(kiln_ml_opt *o, double F, double dF)
{
    search *ls = &o->ls;
    double a = ls->a;
    bool armijo = F <= ls->f0 + C1 * a * ls->d0; /* false for NaN */
    bool curvature = fabs(dF) <= -C2 * ls->d0;
    if (!armijo || (ls->lo > 0 && F >= ls->flo)) {
        ls->hi = a, ls->fhi = F, ls->dhi = dF;
        ls->zoom = true;
    } else if (curvature) {
        return LS_ACCEPT;
    } else if (ls->zoom ? dF * (ls->hi - ls->lo) >= 0 : dF >= 0) {
        ls->hi = ls->lo, ls->fhi = ls->flo, ls->dhi = ls->dlo;
        ls->zoom = true;
        keep_as_lo(o, F, dF);
    } else {
        keep_as_lo(o, F, dF);
    }
    bool lo_found = ls->lo > 0;
    if (ls->evals >= MAX_EVALS) return lo_found ? LS_ACCEPT_LO : LS_FAIL;
    if (!ls->zoom) {
        if (a >= STEP_MAX) return LS_ACCEPT_LO;
        ls->a = fmin(4 * a, STEP_MAX);
        return LS_MORE;
    }
    /* A bracket shrunk to rounding cannot hold a better step. */
    if (fabs(ls->hi - ls->lo) <= 4 * DBL_EPSILON * fmax(ls->lo, ls->hi))
        return lo_found ? LS_ACCEPT_LO : LS_FAIL;
    ls->a = zoom_step(ls);
    return LS_MORE;
}

/* ---- Iterations ------------------------------------------------------------------ */

static void finish(kiln_ml_opt *o, bool converged)
{
    o->stage = STAGE_DONE;
    o->converged = converged;
}

/* Keeps the pair s = xn - x, y = gn - g when it has positive curvature: one
 * without it would make the inverse Hessian estimate indefinite. */
static void remember_pair(kiln_ml_opt *o, const double *xn, const double *gn)
{
    if (o->memory == 0) return;
    int64_t n = o->n;
    double sy = 0, yy = 0;
    for (int64_t i = 0; i < n; i++) {
        double s = xn[i] - o->x[i], y = gn[i] - o->g[i];
        sy += s * y;
        yy += y * y;
    }
    if (!(sy > DBL_EPSILON * yy) || !isfinite(sy)) return;
    double *s = o->s + (size_t)o->mhead * n, *y = o->y + (size_t)o->mhead * n;
    for (int64_t i = 0; i < n; i++) {
        s[i] = xn[i] - o->x[i];
        y[i] = gn[i] - o->g[i];
    }
    o->rho[o->mhead] = 1 / sy;
    o->mhead = (o->mhead + 1) % o->memory;
    if (o->mcount < o->memory) o->mcount++;
}

/* Whether the pseudo-gradient vanishes, relative to the objective's size
 * and no looser than tol. */
static bool gradient_vanished(const kiln_ml_opt *o)
{
    double norm = sqrt(dot(o->pg, o->pg, o->n));
    return norm <= fmin(o->tol, 1e-12) * fmax(fabs(o->f), 1);
}

/* Moves to the accepted point (*xp, *gp) with objective F, whose buffers
 * change places with x and g, and ends the iteration. */
static void accept(kiln_ml_opt *o, double **xp, double **gp, double F)
{
    remember_pair(o, *xp, *gp);
    swap(&o->x, xp);
    swap(&o->g, gp);
    double prev = o->f;
    o->f = F;
    pseudo_gradient(o);
    o->iter++;
    o->hist[o->nhist++] = F;
    o->retried = false;
    /* Spark's (Breeze's) test: the relative improvement of the objective. */
    double scale = fmax(fmax(fabs(F), fabs(prev)), 1);
    if (fabs(prev - F) < o->tol * scale || gradient_vanished(o)) finish(o, true);
    else if (!isfinite(dot(o->pg, o->pg, o->n))) finish(o, false);
    else if (o->iter >= o->max_iter) finish(o, false);
    else search_start(o);
}

/* No step lowered the objective. Old pairs may be to blame, so the search
 * starts once more from steepest descent; failing that too, no measurable
 * progress is possible from x, which counts as converged (as in Breeze). */
static void search_failed(kiln_ml_opt *o)
{
    if (!o->retried && o->mcount > 0) {
        o->retried = true;
        forget_pairs(o);
        search_start(o);
        return;
    }
    finish(o, true);
}

/* A line-search trial was evaluated: F its objective, gtrial its gradient. */
static void search_told(kiln_ml_opt *o, double F)
{
    search *ls = &o->ls;
    ls->evals++;
    enum outcome r;
    if (o->l1 > 0) {
        double decrease = 0;
        for (int64_t i = 0; i < o->n; i++) decrease += o->pg[i] * (o->trial[i] - o->x[i]);
        r = backtrack(ls, F, decrease);
    } else {
        r = wolfe(o, F, dot(o->gtrial, o->d, o->n));
    }
    switch (r) {
    case LS_ACCEPT:
        accept(o, &o->trial, &o->gtrial, F);
        break;
    case LS_ACCEPT_LO:
        accept(o, &o->xlo, &o->glo, ls->flo);
        break;
    case LS_FAIL:
        search_failed(o);
        break;
    case LS_MORE:
        set_trial(o, ls->a);
        break;
    }
}

/* SGD: w -= step / sqrt(t) * g at iteration t, then the L1 term's proximal
 * step (soft-thresholding). The new iterate is the next point asked for;
 * the run stops after max_iter updates or when the update is small
 * relative to |w| (Spark's GradientDescent test). */
static void sgd_update(kiln_ml_opt *o)
{
    int t = o->iter + 1;
    double eta = o->step / sqrt((double)t), shrink = eta * o->l1;
    double moved = 0, size = 0;
    for (int64_t i = 0; i < o->n; i++) {
        double w = o->x[i] - eta * o->g[i];
        if (penalised(o, i)) w = w > shrink ? w - shrink : w < -shrink ? w + shrink : 0;
        moved += (w - o->x[i]) * (w - o->x[i]);
        size += w * w;
        o->trial[i] = w;
    }
    if (!isfinite(moved)) { /* keep the last finite iterate */
        finish(o, false);
        return;
    }
    memcpy(o->x, o->trial, sizeof *o->x * (size_t)o->n);
    o->iter = t;
    bool small = sqrt(moved) < o->tol * fmax(sqrt(size), 1);
    o->converged = small;
    o->stage = small || t >= o->max_iter ? STAGE_LAST : STAGE_SGD;
}

/* The objective and gradient at w0 (in trial, and now in gtrial). */
static void start_told(kiln_ml_opt *o, double F)
{
    memcpy(o->x, o->trial, sizeof *o->x * (size_t)o->n);
    swap(&o->g, &o->gtrial);
    o->f = F;
    o->hist[o->nhist++] = F;
    if (!isfinite(F)) {
        finish(o, false);
    } else if (o->solver == KILN_ML_SGD) {
        sgd_update(o);
    } else {
        pseudo_gradient(o);
        double norm2 = dot(o->pg, o->pg, o->n);
        if (!isfinite(norm2)) finish(o, false);
        else if (gradient_vanished(o)) finish(o, true);
        else search_start(o);
    }
}

/* ---- Public API --------------------------------------------------------------- */

/* Checks p and fills in the defaults; KILN_EINVAL naming the parameter. */
static int resolve_params(const kiln_ml_opt_params *in, int64_t n, kiln_ml_opt_params *p)
{
    *p = in ? *in : (kiln_ml_opt_params){0};
    if (p->solver != KILN_ML_LBFGS && p->solver != KILN_ML_SGD)
        return kiln_set_error(KILN_EINVAL, "optimiser: unknown solver %d", (int)p->solver);
    if (n < 1)
        return kiln_set_error(KILN_EINVAL, "optimiser: dimension n must be at least 1 (got %lld)",
                              (long long)n);
    if (p->max_iter < 0)
        return kiln_set_error(KILN_EINVAL, "optimiser: max_iter must be >= 0 (got %d)",
                              p->max_iter);
    if (p->memory < 0)
        return kiln_set_error(KILN_EINVAL, "optimiser: memory must be >= 0 (got %d)", p->memory);
    if (!(p->tol >= 0) || !isfinite(p->tol))
        return kiln_set_error(KILN_EINVAL, "optimiser: tol must be finite and >= 0 (got %g)",
                              p->tol);
    if (!(p->l1 >= 0) || !isfinite(p->l1))
        return kiln_set_error(KILN_EINVAL, "optimiser: l1 must be finite and >= 0 (got %g)", p->l1);
    if (!(p->step >= 0) || !isfinite(p->step))
        return kiln_set_error(KILN_EINVAL, "optimiser: step must be finite and >= 0 (got %g)",
                              p->step);
    if (p->max_iter == 0) p->max_iter = 100;
    if (p->tol == 0) p->tol = 1e-6;
    if (p->memory == 0) p->memory = 10;
    if (p->step == 0) p->step = 1.0;
    if (p->solver == KILN_ML_SGD) p->memory = 0; /* SGD keeps no pairs */
    return KILN_OK;
}

/* Carves the vectors out of one block of doubles; false when it is too
 * large to address or the allocation fails. */
static bool allocate(kiln_ml_opt *o)
{
    size_t n = (size_t)o->n, m = (size_t)o->memory;
    size_t per_coord = 8 + 2 * m, fixed = 2 * m + (size_t)o->max_iter + 1;
    if (n > (SIZE_MAX / sizeof(double) - fixed) / per_coord) return false;
    o->block = malloc(sizeof(double) * (per_coord * n + fixed));
    if (!o->block) return false;
    double *p = o->block;
    double **vecs[] = {&o->x, &o->g, &o->pg, &o->d, &o->trial, &o->gtrial, &o->xlo, &o->glo};
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++, p += n) *vecs[i] = p;
    o->s = p, p += m * n;
    o->y = p, p += m * n;
    o->rho = p, p += m;
    o->alpha = p, p += m;
    o->hist = p;
    return true;
}

/* Returns an owned optimiser over R^n starting at w0 (n values, borrowed;
 * NULL for the origin); p is borrowed (NULL for the defaults) and l1_skip
 * is copied. NULL with KILN_EINVAL for bad parameters or KILN_ENOMEM. */
kiln_ml_opt *kiln_ml_opt_new(const kiln_ml_opt_params *p, int64_t n, const double *w0)
{
    kiln_ml_opt_params q;
    if (resolve_params(p, n, &q) != KILN_OK) return NULL;
    kiln_ml_opt *o = calloc(1, sizeof *o);
    if (!o) goto nomem;
    o->solver = q.solver;
    o->n = n;
    o->max_iter = q.max_iter;
    o->memory = q.memory;
    o->tol = q.tol;
    o->l1 = q.l1;
    o->step = q.step;
    o->f = NAN;
    if (!allocate(o)) goto nomem;
    if (q.l1 > 0 && q.l1_skip) {
        o->skip = malloc(sizeof(bool) * (size_t)n);
        if (!o->skip) goto nomem;
        memcpy(o->skip, q.l1_skip, sizeof(bool) * (size_t)n);
    }
    if (w0) memcpy(o->trial, w0, sizeof(double) * (size_t)n);
    else memset(o->trial, 0, sizeof(double) * (size_t)n);
    memcpy(o->x, o->trial, sizeof(double) * (size_t)n);
    o->stage = STAGE_START;
    return o;
nomem:
    kiln_ml_opt_free(o);
    kiln_set_error(KILN_ENOMEM, "optimiser: out of memory for %lld coordinates", (long long)n);
    return NULL;
}

/* Returns 1 with *x the point to evaluate next (n values, borrowed, valid
 * until kiln_ml_opt_tell), or 0 when finished (*x NULL). */
int kiln_ml_opt_next(kiln_ml_opt *o, const double **x)
{
    if (o->stage == STAGE_DONE) {
        *x = NULL;
        return 0;
    }
    *x = o->trial;
    return 1;
}

/* Reports the smooth objective f and its gradient g (n values, borrowed)
 * at the point from kiln_ml_opt_next. Ignored once finished. */
void kiln_ml_opt_tell(kiln_ml_opt *o, double f, const double *g)
{
    if (o->stage == STAGE_DONE) return;
    double F = f + l1_term(o, o->trial);
    if (o->stage == STAGE_LAST) { /* SGD's final objective: the gradient is not needed */
        o->f = F;
        o->hist[o->nhist++] = F;
        o->stage = STAGE_DONE;
        return;
    }
    memcpy(o->gtrial, g, sizeof *g * (size_t)o->n);
    switch (o->stage) {
    case STAGE_START:
        start_told(o, F);
        break;
    case STAGE_SEARCH:
        search_told(o, F);
        break;
    case STAGE_SGD:
        o->f = F;
        o->hist[o->nhist++] = F;
        swap(&o->g, &o->gtrial);
        sgd_update(o);
        break;
    default:
        break;
    }
}

/* Returns the best point accepted so far (borrowed, valid until the next
 * tell): for SGD, whose objective values are noisy, the latest iterate. */
const double *kiln_ml_opt_solution(const kiln_ml_opt *o)
{
    return o->x;
}

/* The objective (L1 term included) at the solution; NaN before any tell,
 * and for SGD that of the previous iterate until the run is finished. */
double kiln_ml_opt_objective(const kiln_ml_opt *o)
{
    return o->f;
}

int kiln_ml_opt_iterations(const kiln_ml_opt *o)
{
    return o->iter;
}

/* Returns the objective at w0 and after each iteration (borrowed, valid
 * until the next tell or free); *len gets their number. */
const double *kiln_ml_opt_history(const kiln_ml_opt *o, int *len)
{
    *len = o->nhist;
    return o->hist;
}

/* Whether the run stopped by a tolerance (objective, gradient or step)
 * rather than by max_iter or a non-finite value. */
bool kiln_ml_opt_converged(const kiln_ml_opt *o)
{
    return o->stage == STAGE_DONE && o->converged;
}

void kiln_ml_opt_free(kiln_ml_opt *o)
{
    if (!o) return;
    free(o->block);
    free(o->skip);
    free(o);
}
