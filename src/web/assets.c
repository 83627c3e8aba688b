/*
 * web/assets.c - the static assets of kiln's pages (src/web/assets/: the
 * stylesheet and the script), compiled in by cmake/web_assets.cmake as
 * byte arrays of generated/web_assets.h and served under /static/.
 */
#include <string.h>

#include "web/web.h"

#include "web_assets.h"

const web_asset *web_asset_find(const char *path)
{
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++)
        if (strcmp(assets[i].path, path) == 0) return &assets[i];
    return NULL;
}
