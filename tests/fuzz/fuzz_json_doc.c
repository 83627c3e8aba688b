/*
 * fuzz_json_doc.c - libFuzzer target for base/json_read.c (json_doc_parse)
 * and the event log replay built on it (ui_replay_line). A document that
 * parses is written back with base/json.c's writer and must parse again to
 * the same tree; each line of the input is applied to a status store as an
 * event log line, and the store's REST rendering of every endpoint must
 * be valid JSON. Never a crash, a leak or an out-of-bounds read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "ui/ui_status.h"

static void write_node(json_writer *w, const json_node *v)
{
    switch (v->type) {
    case JSON_NULL:
        json_null(w);
        break;
    case JSON_BOOL:
        json_bool(w, v->b);
        break;
    case JSON_NUMBER:
        if (v->is_int) json_int(w, v->i);
        else json_double(w, v->num);
        break;
    case JSON_STRING: {
        /* strings may hold NULs: write them whole */
        if (w->rc == 0 && !w->after_key && !w->first[w->depth]) kiln_buf_append(w->b, ",", 1);
        w->first[w->depth] = false;
        w->after_key = false;
        json_put_strn(w->b, v->str, v->len);
        break;
    }
    case JSON_ARRAY:
        json_arr_begin(w);
        for (size_t i = 0; i < v->n; i++) write_node(w, v->items[i]);
        json_arr_end(w);
        break;
    case JSON_OBJECT:
        json_obj_begin(w);
        for (size_t i = 0; i < v->n; i++) {
            json_key(w, v->keys[i]);
            write_node(w, v->items[i]);
        }
        json_obj_end(w);
        break;
    }
}

static bool same(const json_node *a, const json_node *b)
{
    if (a->type != b->type) return false;
    switch (a->type) {
    case JSON_NULL:
        return true;
    case JSON_BOOL:
        return a->b == b->b;
    case JSON_NUMBER:
        return a->is_int ? b->is_int && a->i == b->i
                         : (a->num == b->num || (a->num != a->num && b->num != b->num));
    case JSON_STRING:
        return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
    default:
        if (a->n != b->n) return false;
        for (size_t i = 0; i < a->n; i++) {
            if (a->type == JSON_OBJECT && strcmp(a->keys[i], b->keys[i]) != 0) return false;
            if (!same(a->items[i], b->items[i])) return false;
        }
        return true;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_arena *a = kiln_arena_new();
    json_node *v = NULL;
    char err[256];
    if (json_doc_parse(a, (const char *)data, size, &v, err, sizeof err) == KILN_OK &&
        v->type != JSON_NUMBER) { /* a bare huge number may not read back the same */
        kiln_buf b;
        kiln_buf_init(&b);
        json_writer w;
        json_writer_init(&w, &b);
        write_node(&w, v);
        if (json_writer_finish(&w) == KILN_OK) {
            json_node *v2 = NULL;
            if (json_doc_parse(a, (const char *)b.data, b.len, &v2, err, sizeof err) != KILN_OK ||
                !same(v, v2))
                abort();
        }
        kiln_buf_release(&b);
    }
    kiln_arena_free(a);

    ui_store *s = ui_store_new(NULL);
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        (void)ui_replay_line(s, p, n, err, sizeof err);
        p += n + 1;
    }
    static const char *const paths[] = {"/jobs",        "/stages",      "/allexecutors",
                                        "/storage/rdd", "/environment", ""};
    kiln_buf out;
    kiln_buf_init(&out);
    for (size_t i = 0; s->app_id && i < sizeof paths / sizeof paths[0]; i++) {
        char full[600];
        snprintf(full, sizeof full, "/applications/%.256s%s", s->app_id, paths[i]);
        out.len = 0;
        if (ui_api_render(s, full, NULL, &out) == 200) {
            kiln_arena *a2 = kiln_arena_new();
            json_node *r;
            if (json_doc_parse(a2, (const char *)out.data, out.len, &r, err, sizeof err) != KILN_OK)
                abort();
            kiln_arena_free(a2);
        }
    }
    for (size_t i = 0; i < s->nstages && i < 4; i++) {
        char full[600];
        snprintf(full, sizeof full, "/applications/%.256s/stages/%d/%d/taskSummary",
                 s->app_id ? s->app_id : "", s->stages[i].id, s->stages[i].attempt);
        out.len = 0;
        (void)ui_api_render(s, full, "quantiles=0,0.5,1", &out);
    }
    kiln_buf_release(&out);
    ui_store_free(s);
    return 0;
}
