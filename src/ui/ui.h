/*
 * ui/ui.h - what kiln shows of running jobs. Today the console progress bar
 * (progress.c), a listener of a context's event bus (engine/engine.h); the
 * status store, the REST API and the event log are in ui_status.h.
 */
#ifndef KILN_UI_H
#define KILN_UI_H

#include "engine/engine.h"

#pragma GCC visibility push(hidden)

/* The console progress bar Spark users know, drawn on stderr at each
 * progress event (about ten a second) once a stage has run for half a
 * second:
 *   [Stage 3:=======>                    (12 + 2) / 40]
 * and cleared when the stage ends. */
typedef struct progress_bar progress_bar;
progress_bar *progress_bar_new(void);
/* Frees bar (a void * for events_subscribe's release). */
void progress_bar_free(void *bar);
/* The listener to subscribe with bar as its argument. */
void progress_bar_listen(void *bar, const engine_event *e);

#pragma GCC visibility pop

#endif
