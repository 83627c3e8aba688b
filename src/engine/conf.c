/*
 * engine/conf.c - kiln_conf (ordered key/value strings), the command-line
 * options kiln_init takes (conf_take_flags), and the layered resolution code > flags > KILN_SUBMIT_CONF
 * (set by `kiln submit`) > file > env.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

struct kiln_conf {
    char **keys, **vals;
    size_t n, cap;
};

size_t conf_size(const kiln_conf *c) { return c ? c->n : 0; }

void conf_at(const kiln_conf *c, size_t i, const char **key, const char **value)
{
    *key = c->keys[i];
    *value = c->vals[i];
}

/* Options taken from argv by kiln_init; process-wide, set before contexts. */
static kiln_conf *g_flags;

kiln_conf *kiln_conf_new(void) { return calloc(1, sizeof(kiln_conf)); }

void kiln_conf_free(kiln_conf *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->keys[i]);
        free(c->vals[i]);
    }
    free(c->keys);
    free(c->vals);
    free(c);
}

int kiln_conf_set(kiln_conf *c, const char *key, const char *value)
{
    if (!c || !key || !value) return kiln_set_error(KILN_EINVAL, "kiln_conf_set: NULL argument");
    char *v = strdup(value);
    if (!v) return KILN_ENOMEM;
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->keys[i], key) == 0) {
            free(c->vals[i]);
            c->vals[i] = v;
            return KILN_OK;
        }
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        char **k = realloc(c->keys, cap * sizeof *k);
        if (k) c->keys = k;
        char **vv = realloc(c->vals, cap * sizeof *vv);
        if (vv) c->vals = vv;
        if (!k || !vv) { free(v); return KILN_ENOMEM; }
        c->cap = cap;
    }
    c->keys[c->n] = strdup(key);
    if (!c->keys[c->n]) { free(v); return KILN_ENOMEM; }
    c->vals[c->n++] = v;
    return KILN_OK;
}

const char *kiln_conf_get(const kiln_conf *c, const char *key)
{
    for (size_t i = 0; c && i < c->n; i++)
        if (strcmp(c->keys[i], key) == 0) return c->vals[i];
    return NULL;
}

/* Copies every entry of src into dst (overriding). */
static int conf_merge(kiln_conf *dst, const kiln_conf *src)
{
    for (size_t i = 0; src && i < src->n; i++) {
        int rc = kiln_conf_set(dst, src->keys[i], src->vals[i]);
        if (rc) return rc;
    }
    return KILN_OK;
}

/* Takes "key=value" into the flags. */
static int flag_conf(const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return kiln_set_error(KILN_ECONF, "--conf expects key=value, got '%s'", kv);
    char *key = strndup(kv, (size_t)(eq - kv));
    if (!key) return KILN_ENOMEM;
    int rc = kiln_conf_set(g_flags, key, eq + 1);
    free(key);
    return rc;
}

int conf_take_flags(int *argc, char ***argv)
{
    if (!g_flags && !(g_flags = kiln_conf_new())) return KILN_ENOMEM;
    if (!argc || !argv) return KILN_OK;
    char **av = *argv;
    int out = 1, rc = KILN_OK;
    for (int i = 1; i < *argc && rc == KILN_OK; i++) {
        const char *a = av[i];
        if (strcmp(a, "--") == 0) {
            /* Everything after "--" belongs to the program. */
            while (i < *argc) av[out++] = av[i++];
            break;
        } else if (strcmp(a, "--master") == 0 || strcmp(a, "--conf") == 0) {
            if (i + 1 >= *argc) return kiln_set_error(KILN_ECONF, "%s needs a value", a);
            rc = a[2] == 'm' ? kiln_conf_set(g_flags, "kiln.master", av[i + 1])
                             : flag_conf(av[i + 1]);
            i++;
        } else if (strncmp(a, "--master=", 9) == 0) {
            rc = kiln_conf_set(g_flags, "kiln.master", a + 9);
        } else if (strncmp(a, "--conf=", 7) == 0) {
            rc = flag_conf(a + 7);
        } else {
            av[out++] = av[i];
        }
    }
    *argc = out;
    av[out] = NULL;
    return rc;
}

static int set_cb(void *arg, const char *k, const char *v)
{
    return kiln_conf_set((kiln_conf *)arg, k, v);
}

/* Applies the key=value lines of KILN_SUBMIT_CONF (what `kiln submit` was
 * given) to c. KILN_ECONF naming a line that is not key=value. */
static int submit_conf(kiln_conf *c)
{
    const char *env = getenv("KILN_SUBMIT_CONF");
    if (!env || !*env) return KILN_OK;
    char *text = strdup(env);
    if (!text) return KILN_ENOMEM;
    int rc = KILN_OK, n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && rc == KILN_OK;
         line = strtok_r(NULL, "\n", &save)) {
        n++;
        char *eq = strchr(line, '=');
        if (!eq || eq == line) {
            rc = kiln_set_error(KILN_ECONF, "KILN_SUBMIT_CONF: line %d '%.200s' is not key=value",
                                n, line);
            break;
        }
        *eq = '\0';
        rc = kiln_conf_set(c, line, eq + 1);
    }
    free(text);
    return rc;
}

int conf_resolve(const kiln_conf *code, kiln_conf **out)
{
    kiln_conf *c = kiln_conf_new();
    if (!c) return KILN_ENOMEM;
    int rc = KILN_OK;
    const char *env_master = getenv("KILN_MASTER");
    if (env_master && *env_master) rc = kiln_conf_set(c, "kiln.master", env_master);
    /* The defaults file: $KILN_CONF_DIR/kiln-defaults.conf or ./conf/... */
    const char *dir = getenv("KILN_CONF_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/kiln-defaults.conf", dir && *dir ? dir : "conf");
    if (rc == KILN_OK) {
        rc = conf_parse_file(path, set_cb, c);
        if (rc == KILN_ENOENT) rc = kiln_set_error(KILN_OK, "%s", ""); /* no file is fine */
    }
    if (rc == KILN_OK) rc = submit_conf(c);
    if (rc == KILN_OK) rc = conf_merge(c, g_flags);
    if (rc == KILN_OK) rc = conf_merge(c, code);
    if (rc) {
        kiln_conf_free(c);
        return rc;
    }
    *out = c;
    return KILN_OK;
}
