/*
 * wordcount_df.c - the word count with DataFrames: the lines of the
 * inputs split on runs of whitespace (split(value, '\s+')), one row per
 * word (explode), then groupBy("word").count(). Words are the same tokens
 * as the RDD example wordcount's (case and punctuation kept), and the
 * output the same `word<TAB>count` lines, sorted by word, on stdout
 * (tests/e2e/examples.sh compares the two).
 *
 *     wordcount_df [--master M] INPUT
 *     build/bin/wordcount_df ../shared/data/gutenberg/pg1342.txt
 */
#include <kiln.h>
#include <kiln/sql.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    if (kiln_init(&argc, &argv)) {
        fprintf(stderr, "wordcount_df: %s\n", kiln_last_error());
        return 2;
    }
    int done = kiln_args_check(argc, argv,
                               "wordcount_df [--master M] INPUT\n"
                               "Counts the words of INPUT with split, explode and "
                               "groupBy().count().\n",
                               NULL);
    if (done >= 0) return done;
    if (argc != 2) {
        fprintf(stderr, "usage: wordcount_df [--master M] INPUT\n");
        return 2;
    }
    kiln_context *ctx;
    kiln_session *s;
    if (kiln_context_new(NULL, &ctx) || kiln_session_new(ctx, &s)) {
        fprintf(stderr, "wordcount_df: %s\n", kiln_last_error());
        return 1;
    }
    kiln_df *lines = kiln_reader_text(kiln_session_read(s), argv[1]);
    kiln_col *word = kiln_col_alias(kiln_fn_explode(kiln_fn_split(kiln_fn_col(s, "value"), "\\s+")),
                                    "word");
    /* A line that starts with whitespace splits into an empty first word. */
    kiln_df *words = kiln_df_where(kiln_df_select(lines, &word, 1), "word <> ''");
    kiln_df *counts = kiln_df_order_by(
        kiln_grouped_count(kiln_df_group_by(words, (kiln_col *[]){kiln_fn_col(s, "word")}, 1)),
        (kiln_col *[]){kiln_fn_col(s, "word")}, 1);
    kiln_arena *a = kiln_arena_new();
    kiln_value rows;
    int rc = counts ? kiln_df_collect(counts, a, &rows) : KILN_ESQL;
    for (uint32_t i = 0; !rc && i < rows.len; i++) {
        const kiln_value *r = rows.u.items[i].u.items;
        printf("%.*s\t%lld\n", (int)r[0].len, r[0].u.s, (long long)r[1].u.i);
    }
    if (rc) fprintf(stderr, "wordcount_df: %s\n", kiln_last_error());
    kiln_arena_free(a);
    kiln_session_free(s);
    kiln_context_free(ctx);
    return rc ? 1 : 0;
}
