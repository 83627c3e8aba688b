/*
 * base/args.c - what every kiln program answers on its command line:
 * --help, --version, and an error for an option it does not know
 * (kiln_args_check), and the library's version (kiln_version).
 *
 * A program calls kiln_init first (which takes --master and --conf), then
 * kiln_args_check with its usage text and its own options; whatever is left
 * is positional. The checker only looks; it never changes argv.
 */
#include <stdio.h>
#include <string.h>

#include "base/base.h"

const char *kiln_version(void)
{
    return KILN_VERSION;
}

/* The last component of argv[0], "kiln" when there is none. */
static const char *program_name(const char *argv0)
{
    if (argv0 == NULL || argv0[0] == '\0') return "kiln";
    const char *slash = strrchr(argv0, '/');
    return slash != NULL && slash[1] != '\0' ? slash + 1 : argv0;
}

/* Finds the option named by arg (its name up to '=' for the long form) in
 * options. Returns 0 when unknown, 1 for a flag, 2 for an option taking a
 * value; *inline_value says whether arg carries the value ("--k=v", "-nV"). */
static int known_option(const char *options, const char *arg, bool *inline_value)
{
    *inline_value = false;
    if (options == NULL) return 0;
    size_t alen = strlen(arg);
    const char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
    size_t name_len = eq != NULL ? (size_t)(eq - arg) : alen;
    for (const char *p = options; *p != '\0';) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, " ");
        if (n == 0) break;
        bool takes = p[n - 1] == '=';
        size_t on = takes ? n - 1 : n;
        if (on == name_len && memcmp(p, arg, on) == 0) {
            if (eq != NULL && !takes) return 0; /* "--flag=x" for a flag */
            *inline_value = eq != NULL;
            return takes ? 2 : 1;
        }
        /* A short option with its value attached: "-n5". */
        if (takes && on == 2 && p[1] != '-' && alen > 2 && memcmp(p, arg, 2) == 0) {
            *inline_value = true;
            return 2;
        }
        p += n;
    }
    return 0;
}

/* The first line of usage, for the error hint. */
static void print_usage_line(FILE *f, const char *usage)
{
    size_t n = strcspn(usage, "\n");
    fprintf(f, "usage: %.*s\n", (int)n, usage);
}

static void print_help(const char *usage)
{
    printf("usage: %s", usage);
    if (usage[0] == '\0' || usage[strlen(usage) - 1] != '\n') putchar('\n');
    if (strstr(usage, "--master") != NULL)
        fputs("\noptions of every kiln program (--master and --conf are taken by kiln_init):\n"
              "  --master M        where jobs run: local, local[N], local[*], local[N,F],\n"
              "                    local-cluster[E,C,MB] or kiln://HOST:PORT (default local[*])\n"
              "  --conf key=value  any kiln.* setting (see README.md, Configuration)\n"
              "  --help            this text\n"
              "  --version         the program's and kiln's version\n",
              stdout);
}

int kiln_args_check(int argc, char **argv, const char *usage, const char *options)
{
    const char *name = program_name(argc > 0 ? argv[0] : NULL);
    if (usage == NULL) usage = "";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) break;           /* the rest is positional */
        if (a[0] != '-' || a[1] == '\0') continue; /* "-" is a path (stdin, stdout) */
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(usage);
            return fflush(stdout) == 0 ? 0 : 1;
        }
        if (strcmp(a, "--version") == 0) {
            printf("%s (kiln) %s\n", name, kiln_version());
            return fflush(stdout) == 0 ? 0 : 1;
        }
        bool inline_value;
        int kind = known_option(options, a, &inline_value);
        if (kind == 0) {
            fprintf(stderr, "%s: unknown option '%s'\n", name, a);
        } else if (kind == 2 && !inline_value && i + 1 >= argc) {
            fprintf(stderr, "%s: option '%s' needs a value\n", name, a);
            kind = 0;
        }
        if (kind == 0) {
            print_usage_line(stderr, usage);
            fprintf(stderr, "Try '%s --help' for more information.\n", name);
            return 2;
        }
        if (kind == 2 && !inline_value) i++; /* skip the value */
    }
    return -1;
}
