/*
 * log_analysis_df.c - the web server log lab of Spark's introductory
 * course, with DataFrames: the fields pulled out of each line with
 * regexp_extract, then requests per status code, the ten most requested
 * endpoints and the 404s per day. It prints the same report as the RDD
 * example access_log (tests/e2e/examples.sh compares the two).
 *
 *     log_analysis_df [--master M] LOGFILE
 *     build/bin/log_analysis_df ../shared/data/access-logs/apache_logs
 */
#include <kiln.h>
#include <kiln/sql.h>

#include <stdio.h>
#include <stdlib.h>

/* Column name in the session s. */
#define COL(s, n) kiln_fn_col((s), (n))

static int print_rows(kiln_df *df, const char *fmt_int_first)
{
    kiln_arena *a = kiln_arena_new();
    kiln_value rows;
    int rc = kiln_df_collect(df, a, &rows);
    for (uint32_t i = 0; !rc && i < rows.len; i++) {
        const kiln_value *t = &rows.u.items[i];
        const kiln_value *x = &t->u.items[0], *n = &t->u.items[1];
        if (fmt_int_first) printf(fmt_int_first, (long long)n->u.i, (int)x->len, x->u.s);
        else printf("  %-6lld %9lld\n", (long long)x->u.i, (long long)n->u.i);
    }
    kiln_arena_free(a);
    return rc;
}

int main(int argc, char **argv)
{
    if (kiln_init(&argc, &argv)) {
        fprintf(stderr, "log_analysis_df: %s\n", kiln_last_error());
        return 2;
    }
    int done = kiln_args_check(argc, argv,
                               "log_analysis_df [--master M] LOGFILE\n"
                               "A web server log's report with DataFrames.\n",
                               NULL);
    if (done >= 0) return done;
    if (argc != 2) {
        fprintf(stderr, "usage: log_analysis_df [--master M] LOGFILE\n");
        return 2;
    }
    kiln_context *ctx;
    kiln_session *s;
    if (kiln_context_new(NULL, &ctx) || kiln_session_new(ctx, &s)) {
        fprintf(stderr, "log_analysis_df: %s\n", kiln_last_error());
        return 1;
    }
    /* The lab's patterns: host, [timestamp], "method endpoint protocol",
     * status, size. */
    kiln_df *lines = kiln_reader_text(kiln_session_read(s), argv[1]);
    kiln_col *v = COL(s, "value");
    kiln_col *fields[] = {
        kiln_col_alias(kiln_fn_regexp_extract(v, "^\\[?([^\\s]+)", 1), "host"),
        kiln_col_alias(kiln_fn_regexp_extract(v, "\\[(\\d{2}/\\w{3}/\\d{4}):", 1), "day"),
        kiln_col_alias(kiln_fn_regexp_extract(v, "\"\\w+\\s+([^\\s]+)\\s*[^\"]*\"", 1), "endpoint"),
        kiln_col_alias(kiln_col_cast(kiln_fn_regexp_extract(v, "\"\\s+(\\d{3})\\s", 1), "int"),
                       "status"),
    };
    kiln_df *logs = kiln_df_filter(kiln_df_select(lines, fields, 4),
                                   kiln_col_is_not_null(COL(s, "status")));
    logs = kiln_df_cache(logs);
    int64_t n;
    if (kiln_df_count(logs, &n)) {
        fprintf(stderr, "log_analysis_df: %s\n", kiln_last_error());
        return 1;
    }
    printf("%lld requests in %s\n\nRequests per status code:\n", (long long)n, argv[1]);
    kiln_df *by_status = kiln_df_order_by(
        kiln_grouped_count(kiln_df_group_by(logs, (kiln_col *[]){COL(s, "status")}, 1)),
        (kiln_col *[]){COL(s, "status")}, 1);
    int rc = print_rows(by_status, NULL);
    printf("\nTop 10 endpoints:\n");
    kiln_df *top = kiln_df_limit(
        kiln_df_order_by(kiln_grouped_count(
                             kiln_df_group_by(logs, (kiln_col *[]){COL(s, "endpoint")}, 1)),
                         (kiln_col *[]){kiln_col_desc(COL(s, "count")), COL(s, "endpoint")}, 2),
        10);
    if (!rc) rc = print_rows(top, "  %8lld  %.*s\n");
    printf("\n404s per day:\n");
    kiln_df *days = kiln_df_select(
        kiln_df_where(logs, "status = 404"),
        (kiln_col *[]){kiln_col_alias(
            kiln_fn_date_format(kiln_fn_to_date(COL(s, "day"), "dd/MMM/yyyy"), "yyyy-MM-dd"),
            "date")},
        1);
    kiln_df *per_day = kiln_df_order_by(
        kiln_grouped_count(kiln_df_group_by(days, (kiln_col *[]){COL(s, "date")}, 1)),
        (kiln_col *[]){COL(s, "date")}, 1);
    if (!rc && per_day) {
        kiln_arena *a = kiln_arena_new();
        kiln_value rows;
        rc = kiln_df_collect(per_day, a, &rows);
        for (uint32_t i = 0; !rc && i < rows.len; i++) {
            const kiln_value *t = &rows.u.items[i];
            printf("  %.*s %9lld\n", (int)t->u.items[0].len, t->u.items[0].u.s,
                   (long long)t->u.items[1].u.i);
        }
        kiln_arena_free(a);
    } else if (!rc) {
        rc = KILN_ESQL;
    }
    if (rc) fprintf(stderr, "log_analysis_df: %s\n", kiln_last_error());
    kiln_session_free(s);
    kiln_context_free(ctx);
    return rc ? 1 : 0;
}
