/*
 * web/dag.c - a DAG as inline SVG (a job's stages, a plan's operators):
 * nodes in ranks, a node one rank right of its highest parent, nodes of a
 * rank stacked top to bottom in the order given, edges as arrows between
 * box edges. Labels are escaped; colours come from kiln.css (the CSP
 * forbids inline style attributes, presentation classes are used instead).
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "web/web.h"

#define NODE_W 150
#define NODE_W_DETAILS 300 /* nodes with detail lines (a plan's operators and metrics) */
#define NODE_H 36
#define LINE_H 15 /* a detail line */
#define GAP_X 60
#define GAP_Y 24
#define MARGIN 12
#define LABEL_MAX 22  /* characters of a label shown; the whole label is the title */
#define DETAIL_MAX 48 /* characters of a detail line shown */

int web_dag_svg(kiln_buf *b, const web_dag_node *nodes, int nnodes, const web_dag_edge *edges,
                int nedges)
{
    return web_dag_svg_opts(b, nodes, nnodes, edges, nedges, false);
}

/* Appends at most max characters of s (whole UTF-8 sequences), escaped,
 * with an ellipsis when cut. */
static int put_cut(kiln_buf *b, const char *s, size_t max)
{
    size_t n = strlen(s), cut = 0, chars = 0;
    while (cut < n && chars < max) {
        cut++;
        while (cut < n && ((unsigned char)s[cut] & 0xc0) == 0x80) cut++;
        chars++;
    }
    int rc = html_esc_n(b, s, cut);
    if (rc == KILN_OK && cut < n) rc = html_printf(b, "\xe2\x80\xa6");
    return rc;
}

int web_dag_svg_opts(kiln_buf *b, const web_dag_node *nodes, int nnodes, const web_dag_edge *edges,
                     int nedges, bool vertical)
{
    for (int i = 0; i < nedges; i++)
        if (edges[i].from < 0 || edges[i].from >= nnodes || edges[i].to < 0 ||
            edges[i].to >= nnodes)
            return kiln_set_error(KILN_EINVAL, "DAG edge %d: %d -> %d, with %d nodes", i,
                                  edges[i].from, edges[i].to, nnodes);
    if (nnodes <= 0) return html_printf(b, "<svg class=\"dag\" width=\"0\" height=\"0\"></svg>");
    int *rank = calloc((size_t)nnodes, sizeof *rank);
    int *x = calloc((size_t)nnodes, sizeof *x);
    int *y = calloc((size_t)nnodes, sizeof *y);
    int *h = calloc((size_t)nnodes, sizeof *h);
    int *fill = calloc((size_t)nnodes, sizeof *fill);   /* per rank: its extent so far */
    int *thick = calloc((size_t)nnodes, sizeof *thick); /* per rank: its tallest node */
    if (!rank || !x || !y || !h || !fill || !thick) {
        free(rank), free(x), free(y), free(h), free(fill), free(thick);
        return kiln_set_error(KILN_ENOMEM, "out of memory for a DAG");
    }
    /* Longest path from a source; n rounds at most, so a cycle cannot loop. */
    for (int round = 0; round < nnodes; round++) {
        bool changed = false;
        for (int i = 0; i < nedges; i++) {
            int f = edges[i].from, t = edges[i].to;
            if (f != t && rank[t] < rank[f] + 1 && rank[f] + 1 < nnodes) {
                rank[t] = rank[f] + 1;
                changed = true;
            }
        }
        if (!changed) break;
    }
    bool details = false;
    for (int i = 0; i < nnodes; i++) details |= nodes[i].ndetails > 0;
    int nw = details ? NODE_W_DETAILS : NODE_W;
    int ranks = 0;
    for (int i = 0; i < nnodes; i++) {
        h[i] = NODE_H + (nodes[i].ndetails > 0 ? nodes[i].ndetails : 0) * LINE_H;
        if (rank[i] + 1 > ranks) ranks = rank[i] + 1;
        if (h[i] > thick[rank[i]]) thick[rank[i]] = h[i];
    }
    /* Ranks are columns left to right, nodes stacked in each; vertical:
     * ranks are rows top to bottom, nodes side by side. */
    int w = 0, ht = 0, at = MARGIN;
    for (int r = 0; r < ranks; r++) {
        fill[r] = MARGIN;
        int here = at;
        at += (vertical ? thick[r] + GAP_Y : nw + GAP_X);
        thick[r] = here; /* from now on: where rank r starts */
    }
    for (int i = 0; i < nnodes; i++) {
        int r = rank[i];
        if (vertical) {
            x[i] = fill[r];
            y[i] = thick[r];
            fill[r] += nw + GAP_X;
            if (x[i] + nw + MARGIN > w) w = x[i] + nw + MARGIN;
            if (y[i] + h[i] + MARGIN > ht) ht = y[i] + h[i] + MARGIN;
        } else {
            x[i] = thick[r];
            y[i] = fill[r];
            fill[r] += h[i] + GAP_Y;
            if (x[i] + nw + MARGIN > w) w = x[i] + nw + MARGIN;
            if (y[i] + h[i] + MARGIN > ht) ht = y[i] + h[i] + MARGIN;
        }
    }
    int rc = html_printf(b,
                         "<svg class=\"dag\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                         "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">"
                         "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
                         "markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">"
                         "<path d=\"M 0 0 L 10 5 L 0 10 z\" class=\"dag-arrow\"/></marker></defs>",
                         w, ht, w, ht);
    for (int i = 0; rc == KILN_OK && i < nedges; i++) {
        int f = edges[i].from, t = edges[i].to;
        if (f == t) continue;
        if (vertical)
            rc = html_printf(b,
                             "<line class=\"dag-edge\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                             "marker-end=\"url(#arrow)\"/>",
                             x[f] + nw / 2, y[f] + h[f], x[t] + nw / 2, y[t]);
        else
            rc = html_printf(b,
                             "<line class=\"dag-edge\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                             "marker-end=\"url(#arrow)\"/>",
                             x[f] + nw, y[f] + h[f] / 2, x[t], y[t] + h[t] / 2);
    }
    for (int i = 0; rc == KILN_OK && i < nnodes; i++) {
        const char *label = nodes[i].label ? nodes[i].label : "";
        const char *title = nodes[i].title ? nodes[i].title : label;
        int nd = nodes[i].ndetails > 0 ? nodes[i].ndetails : 0;
        if (nodes[i].href) rc = html_printf(b, "<a href=\"%s\">", nodes[i].href);
        if (rc == KILN_OK)
            rc = html_printf(b,
                             "<g class=\"dag-node %s\"><title>%s</title>"
                             "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\"/>"
                             "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
                             nodes[i].cls ? nodes[i].cls : "", title, x[i], y[i], nw, h[i],
                             x[i] + nw / 2, y[i] + (nd ? 22 : NODE_H / 2 + 5));
        /* A long label is cut at a character boundary, with an ellipsis. */
        if (rc == KILN_OK) rc = put_cut(b, label, nd ? DETAIL_MAX : LABEL_MAX);
        if (rc == KILN_OK) rc = html_printf(b, "</text>");
        for (int k = 0; rc == KILN_OK && k < nd; k++) {
            rc = html_printf(b, "<text class=\"dag-detail\" x=\"%d\" y=\"%d\">", x[i] + 8,
                             y[i] + 22 + (k + 1) * LINE_H);
            if (rc == KILN_OK)
                rc = put_cut(b, nodes[i].details[k] ? nodes[i].details[k] : "", DETAIL_MAX);
            if (rc == KILN_OK) rc = html_printf(b, "</text>");
        }
        if (rc == KILN_OK) rc = html_printf(b, "</g>");
        if (rc == KILN_OK && nodes[i].href) rc = html_printf(b, "</a>");
    }
    if (rc == KILN_OK) rc = html_printf(b, "</svg>\n");
    free(rank), free(x), free(y), free(h), free(fill), free(thick);
    return rc;
}
