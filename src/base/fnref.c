/*
 * base/fnref.c - function pointers as (build id, offset): see fnref.h.
 *
 * Modules are walked with dl_iterate_phdr; a module's build id is read
 * from its PT_NOTE segments (note type NT_GNU_BUILD_ID, owner "GNU"), or,
 * lacking one, hashed from its file. A pointer belongs to the module with
 * a loaded segment holding it; offsets are from the module's load bias, so
 * they are file addresses, the same in every process.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#include "base/base.h"
#include "base/fnref.h"

#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif

/* The GNU build id in the PT_NOTE segments of a loaded module. */
static size_t note_build_id(const struct dl_phdr_info *info, uint8_t *id)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE) continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            size_t name = (nh->n_namesz + 3) & ~(size_t)3, desc = (nh->n_descsz + 3) & ~(size_t)3;
            const uint8_t *nm = p + sizeof *nh, *ds = nm + name;
            if (ds + desc > end) break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(nm, "GNU", 4) &&
                nh->n_descsz > 0) {
                size_t n = nh->n_descsz < FNREF_ID_MAX ? nh->n_descsz : FNREF_ID_MAX;
                memcpy(id, ds, n);
                return n;
            }
            p = ds + desc;
        }
    }
    return 0;
}

/* The XXH3-128 of a module's file, for modules without a build-id note. */
static size_t file_build_id(const char *path, uint8_t *id)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) XXH3_128bits_update(st, buf, n);
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    fclose(f);
    memcpy(id, &h.high64, 8);
    memcpy(id + 8, &h.low64, 8);
    return 16;
}

/* A walk over the loaded modules (dl_iterate_phdr) looking for one. */
typedef enum walk_mode {
    WALK_FIRST,   /* the main program: reported first */
    WALK_ADDRESS, /* the module with a loaded segment holding addr */
    WALK_ID,      /* the module whose build id is want's */
} walk_mode;

typedef struct walk {
    walk_mode mode;
    uintptr_t addr;
    const fnref *want;
    bool found;
    uintptr_t bias; /* the module's load bias: file address + bias = address here */
    uint8_t id[FNREF_ID_MAX];
    size_t id_len;
} walk;

static size_t module_id(const struct dl_phdr_info *info, uint8_t *id)
{
    size_t n = note_build_id(info, id);
    if (n) return n;
    const char *path = info->dlpi_name && *info->dlpi_name ? info->dlpi_name : "/proc/self/exe";
    return file_build_id(path, id);
}

static bool holds(const struct dl_phdr_info *info, uintptr_t addr)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = (uintptr_t)info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= lo && addr - lo < ph->p_memsz) return true;
    }
    return false;
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    walk *w = arg;
    if (w->mode == WALK_ADDRESS && !holds(info, w->addr)) return 0;
    uint8_t id[FNREF_ID_MAX];
    size_t n = module_id(info, id);
    if (w->mode == WALK_ID && (n != w->want->id_len || memcmp(id, w->want->id, n))) return 0;
    w->found = n > 0;
    w->bias = (uintptr_t)info->dlpi_addr;
    memcpy(w->id, id, n);
    w->id_len = n;
    return 1;
}

static void set_id(fnref *out, const walk *w)
{
    memcpy(out->id, w->id, w->id_len);
    out->id_len = (uint8_t)w->id_len;
}

int fnref_self_id(fnref *out)
{
    memset(out, 0, sizeof *out);
    walk w = {.mode = WALK_FIRST};
    dl_iterate_phdr(visit, &w);
    if (!w.found) return kiln_set_error(KILN_ENOTFOUND, "the program's build id cannot be read");
    set_id(out, &w);
    return KILN_OK;
}

int fnref_from_pointer(const void *fn, fnref *out)
{
    memset(out, 0, sizeof *out);
    if (!fn) return KILN_OK;
    walk w = {.mode = WALK_ADDRESS, .addr = (uintptr_t)fn};
    dl_iterate_phdr(visit, &w);
    if (!w.found)
        return kiln_set_error(KILN_ENOTFOUND,
                              "function %p lies in no loaded module with a "
                              "build id",
                              fn);
    set_id(out, &w);
    out->offset = (uint64_t)((uintptr_t)fn - w.bias);
    return KILN_OK;
}

int fnref_to_pointer(const fnref *r, void **fn)
{
    *fn = NULL;
    if (r->id_len == 0 && r->offset == 0) return KILN_OK;
    walk w = {.mode = WALK_ID, .want = r};
    dl_iterate_phdr(visit, &w);
    if (!w.found) {
        char hex[2 * FNREF_ID_MAX + 1];
        fnref_id_hex(r, hex, sizeof hex);
        return kiln_set_error(KILN_ENOTFOUND,
                              "a function of the module with build id %s was sent, and no "
                              "module loaded here has that id: the peer runs a different "
                              "build of the program or of libkiln (rebuild, and run the same "
                              "binary everywhere)",
                              hex);
    }
    *fn = (void *)(w.bias + (uintptr_t)r->offset);
    return KILN_OK;
}

size_t fnref_encode(const fnref *r, uint8_t *out)
{
    out[0] = r->id_len;
    memcpy(out + 1, r->id, r->id_len);
    for (int i = 0; i < 8; i++) out[1 + r->id_len + i] = (uint8_t)(r->offset >> (8 * i));
    return 1 + (size_t)r->id_len + 8;
}

int fnref_decode(const uint8_t *p, size_t n, fnref *out, size_t *used)
{
    memset(out, 0, sizeof *out);
    if (n < 1 || p[0] > FNREF_ID_MAX || n < 1 + (size_t)p[0] + 8)
        return kiln_set_error(KILN_ECORRUPT,
                              "function reference: %zu bytes are too few or its "
                              "build id is longer than %d bytes",
                              n, FNREF_ID_MAX);
    out->id_len = p[0];
    memcpy(out->id, p + 1, out->id_len);
    for (int i = 0; i < 8; i++) out->offset |= (uint64_t)p[1 + out->id_len + i] << (8 * i);
    *used = 1 + (size_t)out->id_len + 8;
    return KILN_OK;
}

void fnref_id_hex(const fnref *r, char *buf, size_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < r->id_len && k + 3 <= size; i++)
        k += (size_t)snprintf(buf + k, 3, "%02x", r->id[i]);
    if (size) buf[k < size ? k : size - 1] = '\0';
}
