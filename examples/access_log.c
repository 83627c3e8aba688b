/*
 * access_log.c - a report over an Apache access log.
 *
 *     access_log [--master M] [--conf key=value]... LOGFILE [OUTPUT_DIR]
 *
 * LOGFILE is in the Apache combined log format (the common format, without
 * the referer and user agent, is accepted too):
 *
 *     83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /a.html HTTP/1.1" 200 2326 "-" "curl"
 *
 * Prints the number of requests, requests per status code (by code), the ten
 * most requested endpoints, the 404s per day (YYYY-MM-DD, by date) and how
 * many lines were malformed and skipped. With OUTPUT_DIR, also writes the
 * per-status counts there as "status<TAB>count" lines (Hadoop layout).
 *
 *     build/bin/access_log ../shared/data/access-logs/apache_logs
 *     build/bin/access_log --master 'local[2]' access.log /tmp/status-counts
 *
 * What it shows: a user function that parses text into tuples (and points
 * into its input rather than copying), an accumulator carried in a function's
 * env, user functions parameterised by env, and kiln_rdd_cache for an RDD
 * that several jobs read.
 */
#include <kiln.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define TOP_ENDPOINTS 10

/* A parsed request is the tuple (status, endpoint, date). */
enum { F_STATUS, F_ENDPOINT, F_DATE, NUM_FIELDS };

struct request {
    int status;
    const char *endpoint; /* points into the line */
    size_t endpoint_len;
    char date[10]; /* YYYY-MM-DD, not NUL-terminated */
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Turns "dd/Mon/yyyy" at p (11 bytes) into "yyyy-mm-dd" at date. */
static bool parse_date(const char *p, char date[10])
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (!is_digit(p[0]) || !is_digit(p[1]) || p[2] != '/' || p[6] != '/') return false;
    for (int i = 7; i < 11; i++)
        if (!is_digit(p[i])) return false;
    int month = 0;
    while (month < 12 && memcmp(months + 3 * month, p + 3, 3) != 0) month++;
    if (month == 12) return false;
    memcpy(date, p + 7, 4);
    date[4] = '-';
    date[5] = (char)('0' + (month + 1) / 10);
    date[6] = (char)('0' + (month + 1) % 10);
    date[7] = '-';
    date[8] = p[0];
    date[9] = p[1];
    return true;
}

/* Returns the first '"' in [p, end) that is not escaped by a backslash. */
static const char *find_quote(const char *p, const char *end)
{
    for (; p < end; p++) {
        if (*p == '\\' && p + 1 < end) p++;
        else if (*p == '"') return p;
    }
    return NULL;
}

/* Parses the fields we need from a line of n bytes (not NUL-terminated):
 *     ... [dd/Mon/yyyy:HH:MM:SS zone] "METHOD endpoint PROTOCOL" status ...
 * Returns false when the line does not have that shape. */
static bool parse_request(const char *line, size_t n, struct request *r)
{
    const char *end = line + n;
    const char *p = memchr(line, '[', n);
    if (p == NULL || end - p < 13 || p[12] != ':' || !parse_date(p + 1, r->date)) return false;
    p = memchr(p, ']', (size_t)(end - p));
    if (p == NULL || end - p < 3 || p[1] != ' ' || p[2] != '"') return false;
    p += 3;
    const char *request_end = find_quote(p, end);
    if (request_end == NULL) return false;

    /* The request line: METHOD SP endpoint [SP protocol]. */
    const char *sp = memchr(p, ' ', (size_t)(request_end - p));
    if (sp == NULL) return false;
    r->endpoint = sp + 1;
    sp = memchr(r->endpoint, ' ', (size_t)(request_end - r->endpoint));
    r->endpoint_len = (size_t)((sp ? sp : request_end) - r->endpoint);
    if (r->endpoint_len == 0) return false;

    /* Then SP, a three-digit status, and SP or the end of the line. */
    p = request_end + 1;
    if (end - p < 4 || p[0] != ' ' || !is_digit(p[1]) || !is_digit(p[2]) || !is_digit(p[3]) ||
        (end - p > 4 && p[4] != ' '))
        return false;
    r->status = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    return true;
}

/* The env of parse_line. */
struct parse_env {
    int64_t malformed; /* accumulator id */
};

/* A kiln_flat_map_fn: a line -> one (status, endpoint, date) tuple, or
 * nothing and one more malformed line on the accumulator in env. The tuple is
 * built in the task arena; its endpoint points into the line, which
 * kiln_emit allows. */
static int parse_line(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    struct parse_env pe;
    memcpy(&pe, env, sizeof pe); /* env bytes carry no alignment promise */
    if (in->type != KILN_STR)
        return kiln_task_fail(t, "parse_line: expected a line of text, got type %d", in->type);

    struct request r;
    if (!parse_request(in->u.s, in->len, &r)) {
        int rc = kiln_accumulator_add(t, pe.malformed, kiln_int(1));
        return rc == KILN_OK ? 0 : kiln_task_fail(t, "parse_line: %s", kiln_strerror(rc));
    }

    kiln_arena *a = kiln_task_arena(t);
    kiln_value fields[NUM_FIELDS];
    fields[F_STATUS] = kiln_int(r.status);
    fields[F_ENDPOINT] = kiln_str_ref(r.endpoint, r.endpoint_len);
    fields[F_DATE] = kiln_str_new(a, r.date, sizeof r.date);
    kiln_value record = kiln_tuple_new(a, fields, NUM_FIELDS);
    if (fields[F_DATE].type != KILN_STR || record.type != KILN_TUPLE || kiln_emit(out, &record))
        return kiln_task_fail(t, "parse_line: out of memory");
    return 0;
}

/* A kiln_map_fn: record -> (record[field], 1), with the field index in env. */
static int field_one(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    int field;
    memcpy(&field, env, sizeof field);
    if (in->type != KILN_TUPLE || in->len <= (uint32_t)field)
        return kiln_task_fail(t, "field_one: record has no field %d", field);
    *out = kiln_pair(kiln_task_arena(t), in->u.items[field], kiln_int(1));
    return out->type == KILN_TUPLE ? 0 : kiln_task_fail(t, "field_one: out of memory");
}

/* A kiln_filter_fn: keeps the records whose status is the int in env. */
static int has_status(kiln_task *t, const kiln_value *in, bool *keep, const void *env)
{
    int status;
    memcpy(&status, env, sizeof status);
    if (in->type != KILN_TUPLE || in->len != NUM_FIELDS)
        return kiln_task_fail(t, "has_status: not a parsed request");
    *keep = in->u.items[F_STATUS].u.i == status;
    return 0;
}

static void report(const char *what, int rc)
{
    const char *msg = kiln_last_error();
    fprintf(stderr, "access_log: %s: %s\n", what, *msg ? msg : kiln_strerror(rc));
}

/* Prints a string value's bytes (it is not NUL-terminated). */
static void print_str(const kiln_value *v)
{
    fwrite(v->u.s, 1, v->len, stdout);
}

int main(int argc, char **argv)
{
    kiln_context *ctx = NULL;
    kiln_arena *arena = NULL;
    int status = 1;
    int rc;

    rc = kiln_init(&argc, &argv); /* first: removes --master and --conf */
    if (rc != KILN_OK) {
        report("bad kiln option", rc);
        return 2;
    }
    static const char usage_text[] =
        "access_log [--master M] [--conf key=value]... LOGFILE [OUTPUT_DIR]\n"
        "Reports requests per status, the top endpoints, 404s per day and malformed\n"
        "lines of an Apache access log; with OUTPUT_DIR, saves the status counts.\n";
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    const char *log_path = argv[1];
    const char *output_dir = argc == 3 ? argv[2] : NULL;

    /* Check the paths up front, so a typo is reported plainly and before any work. */
    struct stat st;
    if (stat(log_path, &st) != 0) {
        fprintf(stderr, "access_log: cannot read %s: %s\n", log_path, strerror(errno));
        return 1;
    }
    if (output_dir != NULL && stat(output_dir, &st) == 0) {
        fprintf(stderr, "access_log: %s already exists; name a new directory\n", output_dir);
        return 1;
    }

    rc = kiln_context_new(NULL, &ctx);
    if (rc != KILN_OK) {
        report("cannot create a context", rc);
        return 1;
    }
    arena = kiln_arena_new();
    if (arena == NULL) {
        fprintf(stderr, "access_log: out of memory\n");
        goto done;
    }

    struct parse_env env = {.malformed = kiln_accumulator_new(ctx, "malformed lines", KILN_INT)};
    if (env.malformed < 0) {
        report("cannot create an accumulator", (int)env.malformed);
        goto done;
    }

    /* Parsed once, then read from memory by every job below. Caching also
     * keeps the malformed count right: a partition computed twice would add
     * its malformed lines twice. */
    kiln_rdd *lines = kiln_text_file(ctx, log_path, 0);
    kiln_rdd *requests = kiln_rdd_cache(kiln_rdd_flat_map(lines, parse_line, &env, sizeof env));

    /* Job 1: count; it fills the cache and the accumulator. */
    int64_t num_requests;
    rc = kiln_rdd_count(requests, &num_requests);
    if (rc != KILN_OK) {
        report("reading the log failed", rc);
        goto done;
    }
    kiln_value malformed = kiln_accumulator_value(ctx, env.malformed);
    printf("%" PRId64 " requests in %s, %" PRId64 " malformed lines skipped\n", num_requests,
           log_path, malformed.u.i);

    /* Job 2: requests per status code, sorted by code, in one partition
     * (cached because it is printed and maybe saved). The env bytes are
     * copied when a transformation is made, so `field` can be reused. */
    int field = F_STATUS;
    kiln_rdd *status_ones = kiln_rdd_map(requests, field_one, &field, sizeof field);
    kiln_rdd *status_counts = kiln_rdd_reduce_by_key(status_ones, kiln_fn_add, NULL, 0, 0);
    kiln_rdd *by_status = kiln_rdd_cache(kiln_rdd_sort_by_key(status_counts, true, 1));
    kiln_value statuses;
    rc = kiln_rdd_collect(by_status, arena, &statuses);
    if (rc != KILN_OK) {
        report("counting status codes failed", rc);
        goto done;
    }
    printf("\nRequests per status code:\n");
    for (uint32_t i = 0; i < statuses.len; i++) {
        const kiln_value *pair = &statuses.u.items[i]; /* (status, count) */
        printf("  %3" PRId64 "  %8" PRId64 "\n", kiln_key(pair)->u.i, kiln_val(pair)->u.i);
    }

    /* Job 3: the ten most requested endpoints, as (count, endpoint) pairs. */
    field = F_ENDPOINT;
    kiln_rdd *endpoint_ones = kiln_rdd_map(requests, field_one, &field, sizeof field);
    kiln_rdd *endpoint_counts = kiln_rdd_reduce_by_key(endpoint_ones, kiln_fn_add, NULL, 0, 0);
    kiln_rdd *count_endpoint = kiln_rdd_map(endpoint_counts, kiln_fn_swap, NULL, 0);
    kiln_value top;
    rc = kiln_rdd_top(count_endpoint, TOP_ENDPOINTS, arena, &top);
    if (rc != KILN_OK) {
        report("finding the top endpoints failed", rc);
        goto done;
    }
    printf("\nTop %d endpoints:\n", TOP_ENDPOINTS);
    for (uint32_t i = 0; i < top.len; i++) {
        const kiln_value *pair = &top.u.items[i]; /* (count, endpoint) */
        printf("  %8" PRId64 "  ", kiln_key(pair)->u.i);
        print_str(kiln_val(pair));
        putchar('\n');
    }

    /* Job 4: 404s per day. count_by_key returns its (date, count) list sorted
     * by date, which suits a handful of keys. */
    int not_found = 404;
    field = F_DATE;
    kiln_rdd *requests_404 = kiln_rdd_filter(requests, has_status, &not_found, sizeof not_found);
    kiln_rdd *dates_404 = kiln_rdd_map(requests_404, field_one, &field, sizeof field);
    kiln_value per_day;
    rc = kiln_rdd_count_by_key(dates_404, arena, &per_day);
    if (rc != KILN_OK) {
        report("counting 404s per day failed", rc);
        goto done;
    }
    printf("\n404s per day:\n");
    for (uint32_t i = 0; i < per_day.len; i++) {
        const kiln_value *pair = &per_day.u.items[i]; /* (date, count) */
        printf("  ");
        print_str(kiln_key(pair));
        printf("  %8" PRId64 "\n", kiln_val(pair)->u.i);
    }

    /* Job 5, on request: the per-status counts as files. */
    if (output_dir != NULL) {
        rc = kiln_rdd_save_as_text_file(kiln_rdd_map(by_status, kiln_fn_pair_to_tsv, NULL, 0),
                                        output_dir);
        if (rc != KILN_OK) {
            report("saving the status counts failed", rc);
            goto done;
        }
        printf("\nStatus counts saved in %s\n", output_dir);
    }
    status = 0;

done:
    kiln_arena_free(arena);
    kiln_context_free(ctx);
    return status;
}
