/*
 * fuzz_lines.c - libFuzzer target for the text input path: the bytes are
 * written to a file (as plain text and, as the first byte picks, as a .gz,
 * .bz2, .zst, .zip or .tar file so the decompressors and libarchive see
 * hostile input), split at every split size the first input byte picks, and
 * read line by line (an archive member by member). Every split
 * configuration must yield the same lines; corrupt compressed input must
 * fail cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io.h"

/* Reads all lines of all splits; returns a hash of them, or 0 on error. */
static uint64_t read_all(io_split *s, size_t n, size_t *lines)
{
    uint64_t h = 1469598103934665603ull;
    *lines = 0;
    for (size_t i = 0; i < n; i++) {
        io_line_reader *r;
        if (io_line_reader_open(&s[i], &r) != KILN_OK) return 0;
        const char *line;
        size_t len;
        int rc;
        do {
            while ((rc = io_line_reader_next(r, &line, &len)) > 0) {
                for (size_t j = 0; j < len; j++) h = (h ^ (uint8_t)line[j]) * 1099511628211ull;
                h = (h ^ 0x100) * 1099511628211ull;
                (*lines)++;
            }
        } while (rc == 0 && (rc = io_line_reader_next_file(r)) > 0);
        io_line_reader_close(r);
        if (rc < 0) return 0;
    }
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const suffix[] = {".txt", ".gz", ".bz2", ".zst", ".zip", ".tar"};
    if (size == 0) return 0;
    char dir[] = "/tmp/kiln-fuzz-lines-XXXXXX";
    if (!mkdtemp(dir)) return 0;
    char path[128];
    snprintf(path, sizeof path, "%s/in%s", dir, suffix[data[0] % 6]);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data + 1, 1, size - 1, f);
        fclose(f);
        uint64_t first = 0;
        size_t first_lines = 0;
        for (int parts = 1; parts <= 4; parts++) {
            io_split *s;
            size_t n, lines;
            if (io_text_splits(path, parts * (1 + data[0] / 4), &s, &n) != KILN_OK) break;
            uint64_t h = read_all(s, n, &lines);
            io_splits_free(s, n);
            if (parts == 1) {
                first = h;
                first_lines = lines;
            } else if (h != first || lines != first_lines) {
                abort(); /* splitting changed the lines */
            }
        }
    }
    unlink(path);
    rmdir(dir);
    return 0;
}
