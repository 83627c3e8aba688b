/*
 * movielens.c - the best rated films of MovieLens (ratings.csv and
 * movies.csv of ../shared/data/movielens-latest-small, with headers): the
 * average rating of every film with at least 100 ratings, joined with its
 * title, the top 20 (ties by film id), in SQL. Prints tab-separated lines
 *
 *     movieId  title  average (4 decimals)  ratings
 *
 * (tests/e2e/examples.sh compares them with sqlite3's answer).
 *
 *     movielens [--master M] [--min N] [--top K] DIR
 *     build/bin/movielens ../shared/data/movielens-latest-small
 */
#include <kiln.h>
#include <kiln/sql.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "movielens [--master M] [--min N] [--top K] DIR\n"
    "The K (20) best rated films with at least N (100) ratings, from DIR/ratings.csv and "
    "DIR/movies.csv.\n";

/* A positive integer option's value, or -1. */
static long count_arg(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v > 0 && v < 1000000000 ? v : -1;
}

int main(int argc, char **argv)
{
    if (kiln_init(&argc, &argv)) {
        fprintf(stderr, "movielens: %s\n", kiln_last_error());
        return 2;
    }
    int done = kiln_args_check(argc, argv, usage, "--min= --top=");
    if (done >= 0) return done;
    long min = 100, top = 20;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        long *opt = NULL;
        if (strncmp(a, "--min", 5) == 0) opt = &min;
        else if (strncmp(a, "--top", 5) == 0) opt = &top;
        if (opt) val = a[5] == '=' ? a + 6 : i + 1 < argc ? argv[++i] : "";
        if (opt && (*opt = count_arg(val)) > 0) continue;
        if (!opt && !dir) {
            dir = a;
            continue;
        }
        fprintf(stderr, "movielens: bad argument '%s'\nusage: %s", opt ? val : a, usage);
        return 2;
    }
    if (!dir) {
        fprintf(stderr, "usage: %s", usage);
        return 2;
    }
    kiln_context *ctx;
    kiln_session *s;
    if (kiln_context_new(NULL, &ctx) || kiln_session_new(ctx, &s)) {
        fprintf(stderr, "movielens: %s\n", kiln_last_error());
        return 1;
    }
    char sql[2048];
    int rc = KILN_OK;
    snprintf(sql, sizeof sql,
             "CREATE TEMPORARY VIEW ratings (userId INT, movieId INT, rating DOUBLE, ts BIGINT) "
             "USING csv OPTIONS (path '%s/ratings.csv', header 'true')",
             dir);
    if (!kiln_sql(s, sql)) rc = KILN_ESQL;
    snprintf(sql, sizeof sql,
             "CREATE TEMPORARY VIEW movies (movieId INT, title STRING, genres STRING) "
             "USING csv OPTIONS (path '%s/movies.csv', header 'true')",
             dir);
    if (!rc && !kiln_sql(s, sql)) rc = KILN_ESQL;
    snprintf(sql, sizeof sql,
             "SELECT r.movieId, m.title, r.average, r.n "
             "FROM (SELECT movieId, avg(rating) AS average, count(*) AS n FROM ratings "
             "      GROUP BY movieId HAVING count(*) >= %ld) r "
             "JOIN movies m ON m.movieId = r.movieId "
             "ORDER BY r.average DESC, r.movieId LIMIT %ld",
             min, top);
    kiln_df *best = rc ? NULL : kiln_sql(s, sql);
    kiln_arena *a = kiln_arena_new();
    kiln_value rows;
    rc = best ? kiln_df_collect(best, a, &rows) : KILN_ESQL;
    for (uint32_t i = 0; !rc && i < rows.len; i++) {
        const kiln_value *r = rows.u.items[i].u.items;
        printf("%lld\t%.*s\t%.4f\t%lld\n", (long long)r[0].u.i, (int)r[1].len, r[1].u.s, r[2].u.d,
               (long long)r[3].u.i);
    }
    if (rc) fprintf(stderr, "movielens: %s\n", kiln_last_error());
    kiln_arena_free(a);
    kiln_session_free(s);
    kiln_context_free(ctx);
    return rc ? 1 : 0;
}
