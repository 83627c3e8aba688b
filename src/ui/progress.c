/*
 * ui/progress.c - the console progress bar (ui.h), drawn from the events of
 * the stages and tasks of a context, which arrive on scheduler and task
 * threads: the bar's state is under its own lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/ui.h"

#define BAR_WIDTH 40
#define SHOW_AFTER 0.5   /* seconds a stage runs before the bar appears */
#define REDRAW_EVERY 0.1 /* seconds between redraws */

struct progress_bar {
    pthread_mutex_t lock;
    int stage; /* the stage shown, -1: none */
    int total, done, running;
    double started;
    bool shown;
};

progress_bar *progress_bar_new(void)
{
    progress_bar *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    pthread_mutex_init(&b->lock, NULL);
    b->stage = -1;
    return b;
}

void progress_bar_free(void *arg)
{
    progress_bar *b = arg;
    if (!b) return;
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static void draw(const progress_bar *b)
{
    char line[256], bar[BAR_WIDTH + 1];
    int done = b->done < b->total ? b->done : b->total;
    int filled = b->total > 0 ? (int)((long)done * BAR_WIDTH / b->total) : 0;
    for (int i = 0; i < BAR_WIDTH; i++) bar[i] = i < filled ? '=' : i == filled ? '>' : ' ';
    bar[BAR_WIDTH] = 0;
    int n = snprintf(line, sizeof line, "\r[Stage %d:%s(%d + %d) / %d]", b->stage, bar, done,
                     b->running, b->total);
    if (n > 0) (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void clear(void)
{
    char line[128];
    memset(line, ' ', sizeof line);
    line[0] = '\r';
    line[sizeof line - 1] = '\r';
    (void)!write(2, line, sizeof line);
}

void progress_bar_listen(void *arg, const engine_event *e)
{
    progress_bar *b = arg;
    pthread_mutex_lock(&b->lock);
    switch (e->kind) {
    case EV_STAGE_START:
        b->stage = e->stage;
        b->started = e->time;
        break;
    case EV_STAGE_PROGRESS:
        if (e->stage == b->stage && e->time - b->started > SHOW_AFTER) {
            b->total = e->tasks;
            b->done = e->done;
            b->running = e->running;
            draw(b);
            b->shown = true;
        }
        break;
    case EV_STAGE_END:
        if (b->shown) clear();
        b->shown = false;
        b->stage = -1;
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&b->lock);
}
