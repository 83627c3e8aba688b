/*
 * ui/progress.c - the console progress bar Spark users know, drawn on stderr
 * by the driver while a stage runs (the scheduler calls it only when stderr
 * is a terminal and the stage has run for over half a second):
 *   [Stage 3:=======>                    (12 + 2) / 40]
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"

#define BAR_WIDTH 40

void progress_update(int stage, int done, int running, int total, double started)
{
    char line[256], bar[BAR_WIDTH + 1];
    int filled = total > 0 ? (int)((long)done * BAR_WIDTH / total) : 0;
    for (int i = 0; i < BAR_WIDTH; i++) bar[i] = i < filled ? '=' : i == filled ? '>' : ' ';
    bar[BAR_WIDTH] = 0;
    int n = snprintf(line, sizeof line, "\r[Stage %d:%s(%d + %d) / %d]", stage, bar, done, running,
                     total);
    if (n > 0) (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void progress_clear(void)
{
    char line[128];
    memset(line, ' ', sizeof line);
    line[0] = '\r';
    line[sizeof line - 1] = '\r';
    (void)!write(2, line, sizeof line);
}
