/*
 * cli/sql_verb.c - `kiln sql`, Spark's spark-sql: an interactive shell with
 * line editing and history (libedit), or the statements of -e and -f.
 * Result rows go to stdout tab-separated (NULL for null), then "Time
 * taken: S seconds, Fetched N row(s)" to stderr, as spark-sql prints them.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/sql_verb.h"
#include "kiln.h"
#include "sql/show.h"
#include "sql/sql_session.h"

const char sql_usage[] =
    "usage: kiln sql [--master M] [--conf K=V]... [-i FILE] [-e SQL | -f FILE] [-S]\n"
    "Runs Spark SQL: the statements of -e or -f, or an interactive shell\n"
    "(prompt kiln-sql>, statements end with ';', history in ~/.kiln_sql_history).\n"
    "  --master M     where tasks run (kiln.master): local[N], local-cluster[E,C,MB],\n"
    "                 kiln://host:port (default local[*])\n"
    "  --conf K=V     a configuration setting (also kiln.sql.* session settings)\n"
    "  -i FILE        statements run first (an init file)\n"
    "  -e SQL         the statements to run, then exit\n"
    "  -f FILE        the statements of FILE, then exit\n"
    "  -S, --silent   no \"Time taken\" lines\n"
    "Rows print tab-separated with NULL for null; errors end the run with\n"
    "status 1 (the shell goes on).\n";

typedef struct shell {
    kiln_session *s;
    bool silent;
    kiln_buf out;
} shell;

static int print_outcome(void *arg, const char *stmt, size_t len, const sql_outcome *o,
                         double seconds)
{
    (void)stmt;
    (void)len;
    shell *sh = arg;
    if (o->has_rows) {
        kiln_arena *a = kiln_arena_new();
        fn_ctx fc;
        sql_session_fn_ctx(sh->s, a, &fc);
        sh->out.len = 0;
        int rc = sql_format_tsv(&sh->out, &fc, o->rows.batches, o->rows.nbatches);
        kiln_arena_free(a);
        if (rc) return rc;
        if (sh->out.len) fwrite(sh->out.data, 1, sh->out.len, stdout); /* data NULL when empty */
        fflush(stdout);
        if (!sh->silent)
            fprintf(stderr, "Time taken: %.3f seconds, Fetched %lld row(s)\n", seconds,
                    (long long)o->rows.rows);
    } else if (!sh->silent) {
        fprintf(stderr, "Time taken: %.3f seconds\n", seconds);
    }
    return 0;
}

/* Whether t holds nothing but blanks and comments (line and block
 * comments): an empty -i / -f file runs nothing, as spark-sql's. */
static bool blank(const char *t)
{
    for (const char *p = t; *p; p++) {
        if (isspace((unsigned char)*p)) continue;
        if (p[0] == '-' && p[1] == '-') {
            while (p[1] && p[1] != '\n') p++;
            continue;
        }
        if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            if (!e) return false;
            p = e + 1;
            continue;
        }
        return false;
    }
    return true;
}

static int run_text(shell *sh, const char *text)
{
    if (blank(text)) return 0;
    int rc = sql_session_run(sh->s, text, print_outcome, sh);
    if (rc) {
        fprintf(stderr, "Error: %s\n", kiln_last_error());
        return 1;
    }
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "kiln sql: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    kiln_buf b;
    kiln_buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) kiln_buf_append(&b, chunk, n);
    fclose(f);
    kiln_buf_append(&b, "", 1);
    return (char *)b.data;
}

/* Whether text holds a statement ended by ';' outside quotes and comments. */
static bool complete(const char *t)
{
    char q = 0;
    bool done = false;
    for (const char *p = t; *p; p++) {
        if (q) {
            if (*p == '\\' && q != '`' && p[1]) p++;
            else if (*p == q) q = 0;
        } else if (*p == '\'' || *p == '"' || *p == '`') {
            q = *p;
            done = false;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n') p++;
            if (!*p) break;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            if (!e) return false;
            p = e + 1;
        } else if (*p == ';') {
            done = true;
        } else if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            done = false;
        }
    }
    return done && !q;
}

static const char *prompt_main(EditLine *e)
{
    (void)e;
    return "kiln-sql> ";
}
static const char *prompt_more(EditLine *e)
{
    (void)e;
    return "        > ";
}

static int interactive(shell *sh)
{
    EditLine *el = el_init("kiln", stdin, stdout, stderr);
    History *h = history_init();
    HistEvent ev;
    char hist[4096] = "";
    const char *home = getenv("HOME");
    if (home) snprintf(hist, sizeof hist, "%s/.kiln_sql_history", home);
    if (h) {
        history(h, &ev, H_SETSIZE, 1000);
        if (*hist) history(h, &ev, H_LOAD, hist);
        el_set(el, EL_HIST, history, h);
    }
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, prompt_main);
    kiln_buf stmt;
    kiln_buf_init(&stmt);
    for (;;) {
        int n;
        const char *line = el_gets(el, &n);
        if (!line) break;
        kiln_buf_append(&stmt, line, (size_t)n);
        kiln_buf_append(&stmt, "", 1);
        stmt.len--;
        const char *t = (const char *)stmt.data;
        while (*t == ' ' || *t == '\t' || *t == '\n') t++;
        if (!*t) {
            stmt.len = 0;
            continue;
        }
        if ((strncasecmp(t, "quit", 4) == 0 || strncasecmp(t, "exit", 4) == 0) && complete(t))
            break;
        if (!complete(t)) {
            el_set(el, EL_PROMPT, prompt_more);
            continue;
        }
        if (h) {
            char *one = strndup(t, strlen(t));
            if (one) {
                size_t k = strlen(one);
                while (k && (one[k - 1] == '\n' || one[k - 1] == '\r')) one[--k] = 0;
                history(h, &ev, H_ENTER, one);
                free(one);
            }
        }
        run_text(sh, t);
        stmt.len = 0;
        el_set(el, EL_PROMPT, prompt_main);
    }
    if (h && *hist) history(h, &ev, H_SAVE, hist);
    kiln_buf_release(&stmt);
    if (h) history_end(h);
    el_end(el);
    return 0;
}

int cmd_sql(int argc, char **argv)
{
    sql_conf_register(); /* kiln.sql.* given with --conf are known keys */
    kiln_conf *conf = kiln_conf_new();
    const char *exec = NULL, *file = NULL, *init = NULL;
    bool silent = false;
    int rc = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(sql_usage, stdout);
            kiln_conf_free(conf);
            return 0;
        } else if (strcmp(a, "-S") == 0 || strcmp(a, "--silent") == 0) {
            silent = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "kiln sql: %s needs a value\n%s", a, sql_usage);
            kiln_conf_free(conf);
            return 2;
        }
        i++;
        if (strcmp(a, "-e") == 0) {
            exec = v;
        } else if (strcmp(a, "-f") == 0) {
            file = v;
        } else if (strcmp(a, "-i") == 0) {
            init = v;
        } else if (strcmp(a, "--master") == 0) {
            rc = kiln_conf_set(conf, "kiln.master", v);
        } else if (strcmp(a, "--conf") == 0) {
            char *eq = strchr(v, '=');
            if (!eq) {
                fprintf(stderr, "kiln sql: --conf takes K=V, not '%s'\n", v);
                kiln_conf_free(conf);
                return 2;
            }
            char key[256];
            snprintf(key, sizeof key, "%.*s", (int)(eq - v), v);
            rc = kiln_conf_set(conf, key, eq + 1);
        } else {
            fprintf(stderr, "kiln sql: unknown option '%s'\n%s", a, sql_usage);
            kiln_conf_free(conf);
            return 2;
        }
        if (rc) {
            fprintf(stderr, "kiln sql: %s\n", kiln_last_error());
            kiln_conf_free(conf);
            return 2;
        }
    }
    if (exec && file) {
        fprintf(stderr, "kiln sql: -e and -f cannot be used together\n");
        kiln_conf_free(conf);
        return 2;
    }
    kiln_context *ctx;
    if (kiln_context_new(conf, &ctx) != KILN_OK) {
        fprintf(stderr, "kiln sql: %s\n", kiln_last_error());
        kiln_conf_free(conf);
        return 1;
    }
    kiln_conf_free(conf);
    shell sh = {NULL, silent, {0}};
    kiln_buf_init(&sh.out);
    if (sql_session_new(ctx, &sh.s) != KILN_OK) {
        fprintf(stderr, "kiln sql: %s\n", kiln_last_error());
        kiln_context_free(ctx);
        return 1;
    }
    char *text = NULL;
    if (init) {
        if (!(text = read_file(init)) || run_text(&sh, text)) rc = 1;
        free(text);
        text = NULL;
    }
    if (!rc) {
        if (exec) {
            rc = run_text(&sh, exec);
        } else if (file) {
            rc = (text = read_file(file)) ? run_text(&sh, text) : 1;
            free(text);
        } else {
            rc = interactive(&sh);
        }
    }
    kiln_buf_release(&sh.out);
    sql_session_free(sh.s);
    kiln_context_free(ctx);
    return rc;
}
