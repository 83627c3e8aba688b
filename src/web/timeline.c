/*
 * web/timeline.c - an event timeline as inline SVG (Spark's "Event
 * Timeline" of the Jobs page and of a job's page): a time axis, a row of
 * point events (executors added and removed) and bars for things that ran
 * from a start to an end (jobs, stages), each in the first lane free at its
 * start, so that bars never overlap and sequential ones share a lane.
 * Drawn on the server: no script, colours from kiln.css classes (the CSP
 * forbids inline style); every text and tooltip is escaped.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "web/web.h"

#define TL_W 960      /* drawing width */
#define TL_LEFT 90    /* the lane titles' column */
#define TL_RIGHT 16   /* margin */
#define TL_AXIS 22    /* the axis' height */
#define TL_MARKS 34   /* the point events' row */
#define TL_LANE 22    /* a lane's height */
#define TL_BAR 16     /* a bar's height */
#define TL_TICKS 6    /* ticks on the axis, about */
#define TL_LABEL_PX 7 /* what a character of a bar's label takes, about */

/* The time of x on the axis, and back. */
typedef struct scale {
    int64_t t0, t1;
} scale;

static int x_of(const scale *s, int64_t t)
{
    double span = (double)(s->t1 - s->t0);
    double f = span > 0 ? (double)(t - s->t0) / span : 0;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    return TL_LEFT + (int)(f * (TL_W - TL_LEFT - TL_RIGHT) + 0.5);
}

/* A tick's label: the time of day, with milliseconds when ticks are close. */
static void tick_label(char *out, size_t size, int64_t ms, int64_t step)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    size_t n = strftime(out, size, "%H:%M:%S", &tm);
    if (step < 1000 && n + 5 < size) snprintf(out + n, size - n, ".%03lld", (long long)(ms % 1000));
}

/* A step of 1, 2 or 5 times a power of ten milliseconds giving about TL_TICKS ticks. */
static int64_t tick_step(int64_t span)
{
    int64_t step = 1;
    while (step * 5 * TL_TICKS < span) step *= 10;
    if (step * TL_TICKS >= span) return step;
    if (step * 2 * TL_TICKS >= span) return step * 2;
    return step * 5;
}

/* Writes text cut to fit px pixels (at a character boundary, with an ellipsis). */
static int label_fit(kiln_buf *b, const char *text, int px)
{
    size_t max = px > TL_LABEL_PX ? (size_t)(px / TL_LABEL_PX) : 0;
    size_t n = strlen(text), cut = 0, chars = 0;
    while (cut < n && chars < max) {
        cut++;
        while (cut < n && ((unsigned char)text[cut] & 0xc0) == 0x80) cut++;
        chars++;
    }
    int rc = html_esc_n(b, text, cut);
    if (rc == KILN_OK && cut < n && cut > 0) rc = html_printf(b, "\xe2\x80\xa6");
    return rc;
}

static const web_tl_bar *sort_bars;

static int by_start(const void *a, const void *b)
{
    int i = *(const int *)a, j = *(const int *)b;
    int64_t x = sort_bars[i].start, y = sort_bars[j].start;
    return x < y ? -1 : x > y ? 1 : (i > j) - (i < j);
}

int web_timeline_lanes(const web_tl_bar *bars, int nbars, int64_t now, int *lane)
{
    int nlanes = 0;
    int64_t *free_at = calloc((size_t)nbars + 1, sizeof *free_at);
    int *order = calloc((size_t)nbars + 1, sizeof *order);
    if (!free_at || !order) {
        free(free_at), free(order);
        return kiln_set_error(KILN_ENOMEM, "out of memory for a timeline");
    }
    for (int i = 0; i < nbars; i++) order[i] = i;
    /* qsort's comparator has no argument: the bars are in a static, so
     * sorting is done under a lock. */
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    sort_bars = bars;
    qsort(order, (size_t)nbars, sizeof *order, by_start);
    sort_bars = NULL;
    pthread_mutex_unlock(&lock);
    for (int k = 0; k < nbars; k++) {
        int i = order[k];
        int64_t end = bars[i].end > 0 ? bars[i].end : now;
        if (end < bars[i].start) end = bars[i].start;
        int l = 0;
        while (l < nlanes && free_at[l] > bars[i].start) l++;
        if (l == nlanes) nlanes++;
        free_at[l] = end;
        lane[i] = l;
    }
    free(free_at);
    free(order);
    return nlanes;
}

int web_timeline_svg(kiln_buf *b, const char *bars_title, const web_tl_bar *bars, int nbars,
                     const web_tl_mark *marks, int nmarks, int64_t now)
{
    int *lane = calloc((size_t)nbars + 1, sizeof *lane);
    if (!lane) return kiln_set_error(KILN_ENOMEM, "out of memory for a timeline");
    int nlanes = web_timeline_lanes(bars, nbars, now, lane);
    if (nlanes < 0) {
        free(lane);
        return nlanes;
    }
    scale s = {0, 0};
    bool any = false;
#define SEE(t)                                                                                     \
    do {                                                                                           \
        int64_t t_ = (t);                                                                          \
        if (t_ > 0) {                                                                              \
            if (!any || t_ < s.t0) s.t0 = t_;                                                      \
            if (!any || t_ > s.t1) s.t1 = t_;                                                      \
            any = true;                                                                            \
        }                                                                                          \
    } while (0)
    for (int i = 0; i < nbars; i++) {
        SEE(bars[i].start);
        SEE(bars[i].end > 0 ? bars[i].end : now);
    }
    for (int i = 0; i < nmarks; i++) SEE(marks[i].at);
#undef SEE
    if (s.t1 - s.t0 < 10) s.t1 = s.t0 + 10;
    /* A little room on both sides, so the first and last events are seen whole. */
    int64_t pad = (s.t1 - s.t0) / 50;
    s.t0 -= pad, s.t1 += pad;
    int mh = nmarks ? TL_MARKS : 0; /* the marks' row, when there are marks */
    int h = TL_AXIS + mh + (nlanes ? nlanes : 1) * TL_LANE + 8;
    int rc = html_printf(b,
                         "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
                         "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
                         TL_W, h, TL_W, h);
    /* The axis: ticks and their times, with a guide line down every lane. */
    int64_t step = tick_step(s.t1 - s.t0);
    for (int64_t t = (s.t0 + step - 1) / step * step; rc == KILN_OK && t <= s.t1; t += step) {
        char lab[32];
        tick_label(lab, sizeof lab, t, step);
        int x = x_of(&s, t);
        rc = html_printf(b,
                         "<line class=\"tl-grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
                         "<text class=\"tl-tick\" x=\"%d\" y=\"14\" text-anchor=\"middle\">%s"
                         "</text>",
                         x, TL_AXIS - 4, x, h - 4, x, lab);
    }
    if (rc == KILN_OK && nmarks)
        rc = html_printf(b,
                         "<text class=\"tl-lane-title\" x=\"4\" y=\"%d\">Executors</text>"
                         "<line class=\"tl-sep\" x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
                         TL_AXIS + TL_MARKS / 2 + 4, TL_AXIS + mh, TL_W, TL_AXIS + mh);
    if (rc == KILN_OK)
        rc = html_printf(b, "<text class=\"tl-lane-title\" x=\"4\" y=\"%d\">%s</text>",
                         TL_AXIS + mh + TL_BAR - 2, bars_title ? bars_title : "");
    for (int i = 0; rc == KILN_OK && i < nmarks; i++) {
        int x = x_of(&s, marks[i].at);
        int y = TL_AXIS + 6;
        rc = html_printf(b,
                         "<g class=\"tl-mark %s\"><title>%s</title>"
                         "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
                         "<circle cx=\"%d\" cy=\"%d\" r=\"4\"/><text x=\"%d\" y=\"%d\">",
                         marks[i].cls ? marks[i].cls : "", marks[i].title ? marks[i].title : "", x,
                         y, x, y + TL_MARKS - 10, x, y + 4, x + 6, y + 8);
        if (rc == KILN_OK) rc = label_fit(b, marks[i].label ? marks[i].label : "", 120);
        if (rc == KILN_OK) rc = html_printf(b, "</text></g>");
    }
    for (int i = 0; rc == KILN_OK && i < nbars; i++) {
        const web_tl_bar *r = &bars[i];
        int64_t end = r->end > 0 ? r->end : now;
        int x0 = x_of(&s, r->start), x1 = x_of(&s, end < r->start ? r->start : end);
        if (x1 - x0 < 2) x1 = x0 + 2;
        int y = TL_AXIS + mh + lane[i] * TL_LANE + (TL_LANE - TL_BAR) / 2;
        if (r->href) rc = html_printf(b, "<a href=\"%s\">", r->href);
        if (rc == KILN_OK)
            rc = html_printf(b,
                             "<g class=\"tl-bar %s\"><title>%s</title>"
                             "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\"/>"
                             "<text x=\"%d\" y=\"%d\">",
                             r->cls ? r->cls : "", r->title ? r->title : "", x0, y, x1 - x0, TL_BAR,
                             x0 + 3, y + TL_BAR - 4);
        if (rc == KILN_OK) rc = label_fit(b, r->label ? r->label : "", x1 - x0 - 6);
        if (rc == KILN_OK) rc = html_printf(b, "</text></g>");
        if (rc == KILN_OK && r->href) rc = html_printf(b, "</a>");
    }
    if (rc == KILN_OK) rc = html_printf(b, "</svg>\n");
    free(lane);
    return rc;
}
