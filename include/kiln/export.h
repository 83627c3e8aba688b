/*
 * kiln/export.h - KILN_API, the mark of a function exported by libkiln.so.
 *
 * libkiln is compiled with -fvisibility=hidden: a function is visible to
 * programs linking libkiln.so only when its declaration in include/ carries
 * KILN_API. Everything else (the engine's, the cluster's internal functions)
 * stays inside the library; programs linking libkiln.a still reach them.
 * Every public header includes this one.
 */
#ifndef KILN_EXPORT_H
#define KILN_EXPORT_H

#ifndef KILN_API
#if defined(__GNUC__) || defined(__clang__)
#define KILN_API __attribute__((visibility("default")))
#else
#define KILN_API
#endif
#endif

#endif
