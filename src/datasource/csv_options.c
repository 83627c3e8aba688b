/*
 * datasource/csv_options.c - Spark's CSV options (sql-data-sources-csv):
 * names, defaults, parsing and checks, into a csv_opts. Every error names
 * the option and the bad value.
 */
#include <string.h>
#include <strings.h>

#include "datasource/csv_int.h"

static int pattern(const ds_options *o, const char *key, const char **out)
{
    const char *v = ds_options_get(o, key);
    *out = v;
    if (v && !ds_pattern_supported(v))
        return kiln_set_error(KILN_EINVAL,
                              "option %s: pattern '%s' is not supported by the CSV/JSON reader "
                              "yet (use yyyy-MM-dd, yyyy-MM-dd HH:mm:ss[.SSS] or the ISO default)",
                              key, v);
    return KILN_OK;
}

/* Parses the CSV options of o into c (strings borrowed from o). */
int csv_opts_parse(csv_opts *c, const ds_options *o, bool for_write)
{
    int rc;
    memset(c, 0, sizeof *c);
    const char *sep = ds_options_get(o, "sep");
    if (!sep) sep = ds_options_get(o, "delimiter");
    if (!sep) sep = ",";
    if ((rc = ds_unescape_sep("sep", sep, c->sep, sizeof c->sep, &c->seplen))) return rc;
    if (c->seplen == 0)
        return kiln_set_error(KILN_EINVAL, "option sep: the delimiter cannot be empty");
    if ((rc = ds_opt_char(o, "quote", '"', true, &c->quote))) return rc;
    if ((rc = ds_opt_char(o, "escape", '\\', true, &c->escape))) return rc;
    if ((rc = ds_opt_char(o, "charToEscapeQuoteEscaping", c->escape == c->quote ? '\0' : '\\', true,
                          &c->esc_esc)))
        return rc;
    if ((rc = ds_opt_char(o, "comment", '\0', true, &c->comment))) return rc;
    const char *ls = ds_options_get(o, "lineSep");
    if (ls) {
        char tmp[8];
        size_t n;
        if ((rc = ds_unescape_sep("lineSep", ls, tmp, sizeof tmp, &n))) return rc;
        if (n != 1 && !(for_write && n >= 1 && n < sizeof c->w_linesep))
            return kiln_set_error(KILN_EINVAL,
                                  "option lineSep: '%s' must be one character when reading", ls);
        c->linesep = tmp[0];
        memcpy(c->w_linesep, tmp, n + 1);
    } else {
        strcpy(c->w_linesep, "\n");
    }
    if (c->linesep == '\r') c->linesep = '\0'; /* same as the default: \r\n or \n */
    if ((rc = ds_opt_bool(o, "header", false, &c->header))) return rc;
    if ((rc = ds_opt_bool(o, "inferSchema", false, &c->infer))) return rc;
    if ((rc = ds_opt_bool(o, "multiLine", false, &c->multiline))) return rc;
    if ((rc = ds_opt_bool(o, "ignoreLeadingWhiteSpace", false, &c->ign_lead))) return rc;
    if ((rc = ds_opt_bool(o, "ignoreTrailingWhiteSpace", false, &c->ign_trail))) return rc;
    if ((rc = ds_opt_bool(o, "ignoreLeadingWhiteSpace", true, &c->w_ign_lead))) return rc;
    if ((rc = ds_opt_bool(o, "ignoreTrailingWhiteSpace", true, &c->w_ign_trail))) return rc;
    if ((rc = ds_opt_bool(o, "enforceSchema", true, &c->enforce))) return rc;
    if ((rc = ds_opt_bool(o, "preferDate", true, &c->prefer_date))) return rc;
    if ((rc = ds_opt_bool(o, "quoteAll", false, &c->quote_all))) return rc;
    if ((rc = ds_opt_bool(o, "escapeQuotes", true, &c->escape_quotes))) return rc;
    c->null_value = ds_opt_str(o, "nullValue", "");
    c->null_len = strlen(c->null_value);
    c->empty_value = ds_opt_str(o, "emptyValue", "");
    c->w_empty_value = ds_opt_str(o, "emptyValue", "\"\"");
    c->nan_value = ds_opt_str(o, "nanValue", "NaN");
    c->pos_inf = ds_opt_str(o, "positiveInf", "Inf");
    c->neg_inf = ds_opt_str(o, "negativeInf", "-Inf");
    c->nan_len = strlen(c->nan_value);
    c->pos_inf_len = strlen(c->pos_inf);
    c->neg_inf_len = strlen(c->neg_inf);
    if ((rc = pattern(o, "dateFormat", &c->date_fmt))) return rc;
    if ((rc = pattern(o, "timestampFormat", &c->ts_fmt))) return rc;
    if ((rc = pattern(o, "timestampNTZFormat", &c->ts_ntz_fmt))) return rc;
    if ((rc = ds_opt_int(o, "maxColumns", 20480, 1, 1 << 24, &c->max_columns))) return rc;
    if ((rc = ds_opt_int(o, "maxCharsPerColumn", -1, -1, INT32_MAX, &c->max_chars))) return rc;
    if ((rc = ds_opt_mode(o, &c->mode))) return rc;
    c->corrupt = ds_opt_str(o, "columnNameOfCorruptRecord", "_corrupt_record");
    char nl = c->linesep ? c->linesep : '\n';
    c->fast = c->seplen == 1 && !c->ign_lead && !c->ign_trail && c->sep[0] != nl &&
              c->sep[0] != c->quote && c->quote != nl;
    if ((rc = ds_opt_double(o, "samplingRatio", 1.0, &c->sampling))) return rc;
    if (c->sampling <= 0 || c->sampling > 1)
        return kiln_set_error(KILN_EINVAL, "option samplingRatio: %g is not in (0, 1]",
                              c->sampling);
    const char *tz = ds_options_get(o, "timeZone");
    if (tz && !ds_parse_zone(tz, &c->tz_sec))
        return kiln_set_error(KILN_EINVAL,
                              "option timeZone: '%s' is not supported (UTC or an offset "
                              "like +02:00)",
                              tz);
    const char *uq = ds_options_get(o, "unescapedQuoteHandling");
    if (uq && strcasecmp(uq, "STOP_AT_DELIMITER") != 0 && strcasecmp(uq, "STOP_AT_CLOSING_QUOTE"))
        return kiln_set_error(KILN_EINVAL,
                              "option unescapedQuoteHandling: '%s' is not supported "
                              "(STOP_AT_DELIMITER, STOP_AT_CLOSING_QUOTE)",
                              uq);
    if ((rc = ds_opt_check_utf8(o))) return rc;
    return KILN_OK;
}
