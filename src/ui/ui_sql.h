/*
 * ui/ui_sql.h - the SQL tab's REST rendering (ui_api_sql.c) for ui_api.c,
 * private to src/ui.
 */
#ifndef KILN_UI_SQL_H
#define KILN_UI_SQL_H

#include "base/json.h"
#include "ui/ui_status.h"

#pragma GCC visibility push(hidden)

/* Renders /sql (nparts 0) or /sql/ID (nparts 1; parts after "sql") as
 * Spark's ExecutionData into w, s->lock held. Returns 200, or 404 / 400
 * with the reason in why. */
int ui_api_sql(json_writer *w, ui_store *s, char **parts, int nparts, const char *query, char *why,
               size_t whysize);

#pragma GCC visibility pop

#endif
