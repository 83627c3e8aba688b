/*
 * cli/conf_verb.c - `kiln conf`: prints the configuration a context would
 * resolve here (Spark's spark-submit --verbose), one
 * "key = value    (source)" line per setting, sorted by key: what
 * $KILN_MASTER, the defaults file, $KILN_SUBMIT_CONF and the --master /
 * --conf flags given to it set, then the defaults of the known keys left
 * unset. Secrets are masked. `kiln conf --keys` lists every known key with
 * its type, default and doc (the table of src/base/conf_keys.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "cli/conf_verb.h"

const char conf_usage[] =
    "usage: kiln conf [--master M] [--conf key=value]...\n"
    "       kiln conf --keys\n"
    "Prints the configuration a kiln program would run with here, one\n"
    "'key = value    (source)' line per setting, sorted by key. The layers,\n"
    "lowest first: $KILN_MASTER, the defaults file ($KILN_CONF_DIR/kiln-defaults.conf,\n"
    "else the installation's etc/kiln/kiln-defaults.conf), $KILN_SUBMIT_CONF, the\n"
    "--master and --conf options, then the defaults of keys left unset.\n"
    "Unknown kiln.* keys are warned about; a bad value is an error naming its source.\n"
    "  --keys    list every known key: type, default, Spark name and what it does\n"
    "  --help    this text\n";

static int bad_usage(const char *what, const char *arg)
{
    fprintf(stderr, "kiln conf: %s '%s'\n%s", what, arg, conf_usage);
    return 2;
}

static const char *type_name(conf_type t)
{
    switch (t) {
    case CONF_STRING:
        return "string";
    case CONF_BOOL:
        return "bool";
    case CONF_INT:
        return "int";
    case CONF_SIZE:
        return "size";
    case CONF_DURATION:
        return "duration";
    case CONF_DOUBLE:
        return "number";
    case CONF_ENUM:
        return "enum";
    case CONF_MASTER:
        return "master";
    }
    return "?";
}

static void print_keys(void)
{
    size_t n = conf_key_count();
    for (size_t i = 0; i < n; i++) {
        const conf_key *k = conf_key_at(i);
        printf("%s (%s", k->name, type_name(k->type));
        if (k->type == CONF_ENUM) printf(": %s", k->choices);
        if (k->dflt) printf(", default %s", k->dflt);
        if (k->spark) printf("; also read from %s", k->spark);
        printf(")\n    %s\n", k->doc);
    }
}

typedef struct line {
    const char *key, *value, *source;
} line;

static int by_key(const void *a, const void *b)
{
    return strcmp(((const line *)a)->key, ((const line *)b)->key);
}

/* The resolved entries plus the defaults of known keys not set, sorted. */
static int print_conf(const kiln_conf *c)
{
    size_t n = conf_size(c), nkeys = conf_key_count(), m = 0;
    line *lines = calloc(n + nkeys + 1, sizeof *lines);
    if (!lines) {
        fprintf(stderr, "kiln conf: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        conf_at(c, i, &lines[m].key, &lines[m].value);
        lines[m++].source = conf_source_at(c, i);
    }
    for (size_t i = 0; i < nkeys; i++) {
        const conf_key *k = conf_key_at(i);
        if (k->dflt && !kiln_conf_get(c, k->name))
            lines[m++] = (line){k->name, k->dflt, CONF_SRC_DEFAULT};
    }
    qsort(lines, m, sizeof *lines, by_key);
    char path[4096];
    if (conf_defaults_path(path, sizeof path) == KILN_OK) {
        FILE *f = fopen(path, "r");
        printf("# defaults file: %s%s\n", path, f ? "" : " (not present)");
        if (f) fclose(f);
    }
    for (size_t i = 0; i < m; i++)
        printf("%s = %s    (%s)\n", lines[i].key, conf_display_named(lines[i].key, lines[i].value),
               lines[i].source);
    free(lines);
    return 0;
}

int cmd_conf(int argc, char **argv)
{
    bool keys = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int rc = KILN_OK;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(conf_usage, stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("kiln %s\n", kiln_version());
            return 0;
        } else if (!strcmp(a, "--keys")) {
            keys = true;
        } else if (!strcmp(a, "--master") || !strcmp(a, "--conf")) {
            if (i + 1 >= argc) return bad_usage("a value is needed after", a);
            rc = a[2] == 'm' ? conf_flags_set("kiln.master", argv[i + 1], CONF_SRC_MASTER_FLAG)
                             : conf_flags_parse(argv[i + 1]);
            i++;
        } else if (!strncmp(a, "--master=", 9)) {
            rc = conf_flags_set("kiln.master", a + 9, CONF_SRC_MASTER_FLAG);
        } else if (!strncmp(a, "--conf=", 7)) {
            rc = conf_flags_parse(a + 7);
        } else {
            return bad_usage("unknown argument", a);
        }
        if (rc) {
            fprintf(stderr, "kiln conf: %s\n%s", kiln_last_error(),
                    rc == KILN_ECONF ? conf_usage : "");
            return rc == KILN_ECONF ? 2 : 1;
        }
    }
    if (keys) {
        print_keys();
        return 0;
    }
    kiln_conf *c = NULL;
    if (conf_resolve(NULL, &c) != KILN_OK) {
        fprintf(stderr, "kiln conf: %s\n", kiln_last_error());
        return 1;
    }
    int rc = print_conf(c);
    kiln_conf_free(c);
    conf_flags_reset();
    return rc;
}
