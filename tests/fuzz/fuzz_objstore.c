/*
 * fuzz_objstore.c - libFuzzer target for what the object stores parse from
 * untrusted places (src/io/store.c, http.c): the XML of list and error
 * bodies as S3 and Azure send them (io_xml_span / io_xml_next over the
 * bytes, not NUL-terminated), and the text as a URL (io_url_parse,
 * io_url_shown). No request is made. Errors are fine; crashes, leaks and
 * out-of-bounds reads are not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *x = (const char *)data;
    static const char *const outer[] = {"Contents", "Blob"};
    static const char *const inner[] = {"Key", "Size", "Name", "Content-Length"};
    for (size_t o = 0; o < 2; o++) {
        size_t pos = 0, n;
        const char *s;
        while (io_xml_span(x, size, outer[o], &pos, &s, &n)) {
            if (s < x || s + n > x + size) abort();
            for (size_t i = 0; i < 4; i++) {
                size_t p2 = 0;
                free(io_xml_next(s, n, inner[i], &p2));
            }
        }
    }
    size_t pos = 0;
    char *t;
    while ((t = io_xml_next(x, size, "NextContinuationToken", &pos)) != NULL) free(t);
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    io_url u;
    if (io_url_parse(text, &u) == KILN_OK) {
        if (!u.shown || strchr(u.shown, '?')) abort(); /* no query string in messages */
        io_url_release(&u);
    }
    char shown[256];
    io_url_shown(text, shown, sizeof shown);
    free(text);
    return 0;
}
