/*
 * web/html.c - HTML for kiln's pages: escaping of every string that comes
 * from outside (application names, paths, log lines), valid for text and
 * for quoted attribute values alike, with invalid UTF-8 replaced; a page
 * skeleton (title, tabs, the stylesheet and script served as assets,
 * since the Content-Security-Policy allows no inline script or style);
 * tables that kiln.js sorts when a header is clicked.
 */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "web/web.h"

/* Length of the valid UTF-8 sequence at s[0..n), or 0 (RFC 3629: no
 * overlong forms, surrogates or code points past U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, min = 0x10000;
    else return 0;
    if (n < len) return 0;
    unsigned cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

int html_esc_n(kiln_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* bytes of p copied as they are, pending */
    int rc = KILN_OK;
    for (size_t i = 0; i < n && rc == KILN_OK;) {
        const char *rep = NULL;
        size_t len = utf8_len(p + i, n - i);
        switch (len == 1 ? p[i] : 0x100) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '`':
            rep = "&#96;";
            break;
        default:
            if (len == 0) rep = "\xef\xbf\xbd"; /* U+FFFD */
            else if (len == 1 && ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f))
                rep = "";
        }
        if (rep == NULL) {
            run += len;
            i += len;
            continue;
        }
        if (run) rc = kiln_buf_append(b, p + i - run, run);
        run = 0;
        if (rc == KILN_OK && rep[0]) rc = kiln_buf_append(b, rep, strlen(rep));
        i += len ? len : 1;
    }
    if (rc == KILN_OK && run) rc = kiln_buf_append(b, p + n - run, run);
    return rc;
}

int html_esc(kiln_buf *b, const char *s)
{
    return s ? html_esc_n(b, s, strlen(s)) : KILN_OK;
}

int html_printf(kiln_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = KILN_OK;
    const char *p = fmt;
    while (*p && rc == KILN_OK) {
        const char *pct = strchr(p, '%');
        size_t lit = pct ? (size_t)(pct - p) : strlen(p);
        if (lit) rc = kiln_buf_append(b, p, lit);
        if (pct == NULL || rc != KILN_OK) break;
        p = pct + 1;
        char spec[8] = "%";
        size_t k = 1;
        while (k < 5 && (*p == 'l' || *p == 'z')) spec[k++] = *p++;
        char conv = *p ? *p++ : '%';
        spec[k++] = conv;
        spec[k] = '\0';
        char num[32];
        bool l = k == 3 && spec[1] == 'l', ll = k == 4 && spec[2] == 'l', z = spec[1] == 'z';
        switch (conv) {
        case 's':
            rc = html_esc(b, va_arg(ap, const char *));
            continue;
        case '%':
            rc = kiln_buf_append(b, "%", 1);
            continue;
        case 'd':
        case 'i':
            if (ll) snprintf(num, sizeof num, "%lld", va_arg(ap, long long));
            else if (l) snprintf(num, sizeof num, "%ld", va_arg(ap, long));
            else if (z) snprintf(num, sizeof num, "%zd", va_arg(ap, ssize_t));
            else snprintf(num, sizeof num, "%d", va_arg(ap, int));
            break;
        case 'u':
        case 'x':
            if (ll)
                snprintf(num, sizeof num, conv == 'u' ? "%llu" : "%llx",
                         va_arg(ap, unsigned long long));
            else if (l)
                snprintf(num, sizeof num, conv == 'u' ? "%lu" : "%lx", va_arg(ap, unsigned long));
            else if (z) snprintf(num, sizeof num, conv == 'u' ? "%zu" : "%zx", va_arg(ap, size_t));
            else snprintf(num, sizeof num, conv == 'u' ? "%u" : "%x", va_arg(ap, unsigned));
            break;
        default:
            va_end(ap);
            return kiln_set_error(KILN_EINVAL, "html_printf: unsupported conversion %s in \"%s\"",
                                  spec, fmt);
        }
        rc = kiln_buf_append(b, num, strlen(num));
    }
    va_end(ap);
    return rc;
}

int html_page_begin(kiln_buf *b, const char *brand, const char *title, const html_tab *tabs,
                    int ntabs, int active)
{
    int rc = html_printf(
        b,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>%s</title>"
        "<link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/static/kiln.css\">"
        "<script src=\"/static/kiln.js\" defer></script></head>\n<body>"
        "<header><span class=\"brand\">%s</span><nav>",
        title, brand);
    for (int i = 0; rc == KILN_OK && i < ntabs; i++)
        rc = html_printf(b,
                         i == active
                             ? "<a href=\"%s\" class=\"active\" aria-current=\"page\">%s</a>"
                             : "<a href=\"%s\">%s</a>",
                         tabs[i].href, tabs[i].label);
    if (rc == KILN_OK) rc = html_printf(b, "</nav></header>\n<main><h1>%s</h1>\n", title);
    return rc;
}

int html_page_end(kiln_buf *b)
{
    return html_printf(b, "</main>\n<footer>kiln %s</footer></body></html>\n", KILN_VERSION);
}

int html_table_begin(kiln_buf *b, const char *id, const html_col *cols, int ncols)
{
    int rc = id ? html_printf(b, "<table class=\"sortable\" id=\"%s\"><thead><tr>", id)
                : html_printf(b, "<table class=\"sortable\"><thead><tr>");
    for (int i = 0; rc == KILN_OK && i < ncols; i++)
        rc = html_printf(b, "<th data-kind=\"%s\" tabindex=\"0\">%s</th>",
                         cols[i].kind == HTML_NUM ? "num" : "text", cols[i].label);
    if (rc == KILN_OK) rc = html_printf(b, "</tr></thead><tbody>\n");
    return rc;
}

int html_row_begin(kiln_buf *b)
{
    return html_printf(b, "<tr>");
}

int html_cell(kiln_buf *b, const char *text, const char *sort)
{
    return sort ? html_printf(b, "<td data-sort=\"%s\">%s</td>", sort, text)
                : html_printf(b, "<td>%s</td>", text);
}

int html_cell_num(kiln_buf *b, const char *text, double n)
{
    char key[40];
    snprintf(key, sizeof key, "%.17g", n);
    return html_printf(b, "<td data-sort=\"%s\" class=\"num\">%s</td>", key, text);
}

int html_cell_link(kiln_buf *b, const char *href, const char *text)
{
    return html_printf(b, "<td><a href=\"%s\">%s</a></td>", href, text);
}

int html_row_end(kiln_buf *b)
{
    return html_printf(b, "</tr>\n");
}

int html_table_end(kiln_buf *b, const char *empty)
{
    /* The empty row is added by the caller's knowledge: the table is empty
     * when its tbody has no <tr> yet. */
    const char *tb = NULL;
    for (size_t i = b->len; i >= 7; i--)
        if (memcmp(b->data + i - 7, "<tbody>", 7) == 0) {
            tb = (const char *)b->data + i;
            break;
        }
    bool none = tb && memmem(tb, (size_t)((const char *)b->data + b->len - tb), "<tr>", 4) == NULL;
    int rc = KILN_OK;
    if (none && empty)
        rc = html_printf(b, "<tr class=\"empty\"><td colspan=\"99\">%s</td></tr>", empty);
    if (rc == KILN_OK) rc = html_printf(b, "</tbody></table>\n");
    return rc;
}
