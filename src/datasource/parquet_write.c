/*
 * datasource/parquet_write.c - the "parquet" format of the datasource
 * writers: options (compression, parquet.page.size, parquet.block.size,
 * parquet.dictionary.page.size, parquet.enable.dictionary,
 * outputTimestampType) turned into a src/parquet writer whose bytes go to
 * the task attempt's part file (part-PPPPP-<uuid>-c000.snappy.parquet).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datasource/ds_int.h"
#include "parquet/parquet.h"

static int to_part(void *arg, const void *p, size_t n)
{
    ds_writer *w = arg;
    return io_task_output_write(w->out, p, n);
}

static int pw_write(ds_writer *w, const col_batch *b)
{
    return pq_writer_write(w->state, b);
}

static int pw_finish(ds_writer *w)
{
    return pq_writer_finish(w->state);
}

static void pw_free(ds_writer *w)
{
    pq_writer_free(w->state);
    w->state = NULL;
}

static const ds_writer_fmt parquet_wfmt = {pw_write, pw_free, pw_finish};

/* Reads the writer options of o into po. */
static int parse_options(const ds_options *o, pq_write_options *po)
{
    pq_write_options_default(po);
    const char *comp = ds_options_get(o, "compression");
    if (!comp) comp = ds_options_get(o, "parquet.compression");
    int rc;
    if (comp && (rc = pq_write_codec(comp, &po->codec)))
        return kiln_set_error(rc, "option compression: %s", kiln_last_error());
    if ((rc = ds_opt_size(o, "parquet.page.size", po->page_size, &po->page_size)) ||
        (rc = ds_opt_size(o, "parquet.dictionary.page.size", po->dict_page_size,
                          &po->dict_page_size)) ||
        (rc = ds_opt_size(o, "parquet.block.size", po->block_size, &po->block_size)) ||
        (rc = ds_opt_int(o, "parquet.page.row.count.limit", po->page_rows, 1, INT32_MAX,
                         &po->page_rows)) ||
        (rc = ds_opt_bool(o, "parquet.enable.dictionary", true, &po->dictionary)))
        return rc;
    const char *ts = ds_options_get(o, "outputTimestampType");
    if (ts) {
        if (strcasecmp(ts, "TIMESTAMP_MICROS") == 0) po->ts_type = PQ_TS_MICROS;
        else if (strcasecmp(ts, "TIMESTAMP_MILLIS") == 0) po->ts_type = PQ_TS_MILLIS;
        else if (strcasecmp(ts, "INT96") == 0) po->ts_type = PQ_TS_INT96;
        else
            return kiln_set_error(KILN_EINVAL,
                                  "option outputTimestampType: '%s' is not one of INT96, "
                                  "TIMESTAMP_MICROS, TIMESTAMP_MILLIS",
                                  ts);
    }
    return KILN_OK;
}

/* Makes w a Parquet writer (see ds_int.h). */
int ds_parquet_writer_init(ds_writer *w, const ds_options *o)
{
    pq_write_options po;
    int rc = parse_options(o, &po);
    pq_writer *pw = NULL;
    if (!rc) rc = pq_writer_new(w->schema, &po, to_part, w, &pw);
    if (rc) return rc;
    w->state = pw;
    w->fmt = &parquet_wfmt;
    w->ext = pq_codec_file_ext(po.codec);
    return KILN_OK;
}
