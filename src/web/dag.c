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
#define NODE_H 36
#define GAP_X 60
#define GAP_Y 24
#define MARGIN 12
#define LABEL_MAX 22 /* characters shown; the whole label is the title */

int web_dag_svg(kiln_buf *b, const web_dag_node *nodes, int nnodes, const web_dag_edge *edges,
                int nedges)
{
    for (int i = 0; i < nedges; i++)
        if (edges[i].from < 0 || edges[i].from >= nnodes || edges[i].to < 0 ||
            edges[i].to >= nnodes)
            return kiln_set_error(KILN_EINVAL, "DAG edge %d: %d -> %d, with %d nodes", i,
                                  edges[i].from, edges[i].to, nnodes);
    if (nnodes <= 0) return html_printf(b, "<svg class=\"dag\" width=\"0\" height=\"0\"></svg>");
    int *rank = calloc((size_t)nnodes, sizeof *rank);
    int *slot = calloc((size_t)nnodes, sizeof *slot);
    int *count = calloc((size_t)nnodes, sizeof *count);
    if (rank == NULL || slot == NULL || count == NULL) {
        free(rank), free(slot), free(count);
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
    int ranks = 0, rows = 0;
    for (int i = 0; i < nnodes; i++) {
        slot[i] = count[rank[i]]++;
        if (rank[i] + 1 > ranks) ranks = rank[i] + 1;
        if (count[rank[i]] > rows) rows = count[rank[i]];
    }
    int w = 2 * MARGIN + ranks * NODE_W + (ranks - 1) * GAP_X;
    int h = 2 * MARGIN + rows * NODE_H + (rows - 1) * GAP_Y;
    int rc = html_printf(b,
                         "<svg class=\"dag\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                         "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">"
                         "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
                         "markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">"
                         "<path d=\"M 0 0 L 10 5 L 0 10 z\" class=\"dag-arrow\"/></marker></defs>",
                         w, h, w, h);
#define X(i) (MARGIN + rank[i] * (NODE_W + GAP_X))
#define Y(i) (MARGIN + slot[i] * (NODE_H + GAP_Y))
    for (int i = 0; rc == KILN_OK && i < nedges; i++) {
        int f = edges[i].from, t = edges[i].to;
        if (f == t) continue;
        rc = html_printf(b,
                         "<line class=\"dag-edge\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                         "marker-end=\"url(#arrow)\"/>",
                         X(f) + NODE_W, Y(f) + NODE_H / 2, X(t), Y(t) + NODE_H / 2);
    }
    for (int i = 0; rc == KILN_OK && i < nnodes; i++) {
        const char *label = nodes[i].label ? nodes[i].label : "";
        if (nodes[i].href) rc = html_printf(b, "<a href=\"%s\">", nodes[i].href);
        if (rc == KILN_OK)
            rc = html_printf(b,
                             "<g class=\"dag-node %s\"><title>%s</title>"
                             "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\"/>"
                             "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
                             nodes[i].cls ? nodes[i].cls : "", label, X(i), Y(i), NODE_W, NODE_H,
                             X(i) + NODE_W / 2, Y(i) + NODE_H / 2 + 5);
        /* A long label is cut at a character boundary, with an ellipsis. */
        size_t n = strlen(label), cut = 0, chars = 0;
        while (cut < n && chars < LABEL_MAX) {
            cut++;
            while (cut < n && ((unsigned char)label[cut] & 0xc0) == 0x80) cut++;
            chars++;
        }
        if (rc == KILN_OK) rc = html_esc_n(b, label, cut);
        if (rc == KILN_OK && cut < n) rc = html_printf(b, "\xe2\x80\xa6");
        if (rc == KILN_OK) rc = html_printf(b, "</text></g>");
        if (rc == KILN_OK && nodes[i].href) rc = html_printf(b, "</a>");
    }
#undef X
#undef Y
    if (rc == KILN_OK) rc = html_printf(b, "</svg>\n");
    free(rank), free(slot), free(count);
    return rc;
}
