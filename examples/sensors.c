/*
 * sensors.c - hourly minimum, average and maximum temperature per sensor
 * node of the IoT room-climate data (../shared/data/iot-room-climate: CSV
 * files without a header, fields separated by ", ": EID, AbsT (ms since
 * the epoch), RelT, NodeID, Temp, RelH, ...), computed twice: in SQL and
 * with the DataFrame API. The program checks that both give the same rows
 * and prints them as tab-separated lines
 *
 *     node  hour (yyyy-MM-dd HH:00, UTC)  min  avg  max  readings
 *
 * (tests/e2e/examples.sh compares them with Python's answer).
 *
 *     sensors [--master M] INPUT
 *     build/bin/sensors ../shared/data/iot-room-climate/datasets-location_A
 */
#include <kiln.h>
#include <kiln/sql.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SCHEMA                                                                                     \
    "eid BIGINT, abs_t BIGINT, rel_t DOUBLE, node INT, temp DOUBLE, rel_h DOUBLE, l1 DOUBLE, "     \
    "l2 DOUBLE, occupants INT, activity INT, door INT, win INT"

static int collect(kiln_df *df, kiln_arena *a, kiln_value *out)
{
    if (!df) return KILN_ESQL;
    return kiln_df_collect(df, a, out);
}

/* Whether two result rows (node, hour, min, avg, max, n) are the same; the
 * averages may differ in their last bits (sums in another order). */
static bool same_row(const kiln_value *x, const kiln_value *y)
{
    const kiln_value *a = x->u.items, *b = y->u.items;
    return a[0].u.i == b[0].u.i && a[1].len == b[1].len &&
           memcmp(a[1].u.s, b[1].u.s, a[1].len) == 0 && a[2].u.d == b[2].u.d &&
           fabs(a[3].u.d - b[3].u.d) <= 1e-9 * fabs(a[3].u.d) && a[4].u.d == b[4].u.d &&
           a[5].u.i == b[5].u.i;
}

int main(int argc, char **argv)
{
    if (kiln_init(&argc, &argv)) {
        fprintf(stderr, "sensors: %s\n", kiln_last_error());
        return 2;
    }
    int done = kiln_args_check(argc, argv,
                               "sensors [--master M] INPUT\n"
                               "Hourly min / avg / max temperature per sensor of the IoT "
                               "room-climate CSV files in INPUT, in SQL and with DataFrames.\n",
                               NULL);
    if (done >= 0) return done;
    if (argc != 2) {
        fprintf(stderr, "usage: sensors [--master M] INPUT\n");
        return 2;
    }
    kiln_context *ctx;
    kiln_session *s;
    if (kiln_context_new(NULL, &ctx) || kiln_session_new(ctx, &s)) {
        fprintf(stderr, "sensors: %s\n", kiln_last_error());
        return 1;
    }
    kiln_df *readings = kiln_reader_csv(kiln_reader_option(kiln_reader_schema(kiln_session_read(s),
                                                                              SCHEMA),
                                                           "ignoreLeadingWhiteSpace", "true"),
                                        argv[1]);
    int rc = readings ? KILN_OK : KILN_ESQL;
    kiln_arena *a = kiln_arena_new();
    kiln_value by_sql, by_df;

    /* SQL over a temporary view. */
    kiln_df *v = NULL;
    if (!rc) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "CREATE OR REPLACE TEMPORARY VIEW readings (" SCHEMA ") USING csv "
                 "OPTIONS (path '%s', ignoreLeadingWhiteSpace 'true')",
                 argv[1]);
        v = kiln_sql(s, sql);
    }
    if (!rc && !v) rc = KILN_ESQL;
    if (!rc)
        rc = collect(kiln_sql(s, "SELECT node, date_format(timestamp_millis(abs_t), "
                                 "'yyyy-MM-dd HH:00') AS hour, min(temp), avg(temp), max(temp), "
                                 "count(*) FROM readings WHERE temp IS NOT NULL "
                                 "GROUP BY node, hour ORDER BY node, hour"),
                     a, &by_sql);

    /* The same with DataFrames. */
    if (!rc) {
        kiln_col *ts = kiln_fn("timestamp_millis", (kiln_col *[]){kiln_fn_col(s, "abs_t")}, 1);
        kiln_col *keys[] = {kiln_fn_col(s, "node"),
                            kiln_col_alias(kiln_fn_date_format(ts, "yyyy-MM-dd HH:00"), "hour")};
        kiln_col *temp = kiln_fn_col(s, "temp");
        kiln_col *aggs[] = {kiln_fn_min(temp), kiln_fn_avg(temp), kiln_fn_max(temp),
                            kiln_fn_count(kiln_fn_col(s, "*"))};
        kiln_df *hourly = kiln_grouped_agg(
            kiln_df_group_by(kiln_df_filter(readings, kiln_col_is_not_null(temp)), keys, 2), aggs,
            4);
        rc = collect(kiln_df_order_by(
                         hourly, (kiln_col *[]){kiln_fn_col(s, "node"), kiln_fn_col(s, "hour")}, 2),
                     a, &by_df);
    }
    if (!rc && by_sql.len != by_df.len) {
        fprintf(stderr, "sensors: SQL gives %u rows, DataFrames %u\n", by_sql.len, by_df.len);
        rc = 1;
    }
    for (uint32_t i = 0; !rc && i < by_sql.len; i++)
        if (!same_row(&by_sql.u.items[i], &by_df.u.items[i])) {
            fprintf(stderr, "sensors: row %u differs between SQL and DataFrames\n", i + 1);
            rc = 1;
        }
    for (uint32_t i = 0; !rc && i < by_sql.len; i++) {
        const kiln_value *r = by_sql.u.items[i].u.items;
        printf("%lld\t%.*s\t%.2f\t%.6f\t%.2f\t%lld\n", (long long)r[0].u.i, (int)r[1].len, r[1].u.s,
               r[2].u.d, r[3].u.d, r[4].u.d, (long long)r[5].u.i);
    }
    if (!rc) fprintf(stderr, "sensors: SQL and DataFrames agree on %u rows\n", by_sql.len);
    else if (rc != 1) fprintf(stderr, "sensors: %s\n", kiln_last_error());
    kiln_arena_free(a);
    kiln_session_free(s);
    kiln_context_free(ctx);
    return rc ? 1 : 0;
}
