/*
 * sysmap.h - a kernel symbol map (System.map format: "ADDR TYPE NAME").
 *
 * The map is streamed, not loaded: a lookup reads the file once in chunks
 * through a small buffer and stops at the answer.  Opening a guest thus
 * costs neither the time to index 100k+ symbols it will never ask for nor
 * the memory to hold them; the core caches the answers it gives.
 */
#ifndef VMI_SYSMAP_H
#define VMI_SYSMAP_H

#include <glib.h>
#include <stdbool.h>
#include "libvmi.h"

typedef struct sysmap sysmap_t;

/* Checks that @path is a readable regular file. */
sysmap_t *sysmap_open(const char *path, GError **error);
/* A map held in memory (tests); @text is copied. */
sysmap_t *sysmap_new_from_text(const char *text, size_t len);
void sysmap_free(sysmap_t *map);
/* For the tests and the fuzzer: read the file @chunk bytes at a time (1 to
 * 256 KiB, the default) and skip lines longer than @max_line (1 to 4096,
 * the default), so that small inputs reach every edge.  A file map and
 * the same text in memory answer alike whatever the sizes. */
void sysmap_set_sizes(sysmap_t *map, size_t chunk, size_t max_line);
/* Addresses of @n names in one pass (first occurrence of each); sets
 * found[i]; returns how many were found. */
size_t sysmap_lookup_many(const sysmap_t *map, const char *const *names, size_t n, addr_t *addrs,
                          bool *found);
/* The same, and each symbol's type letter in types[i] (found ones only). */
size_t sysmap_lookup_many_typed(const sysmap_t *map, const char *const *names, size_t n,
                                addr_t *addrs, char *types, bool *found);
bool sysmap_lookup_typed(const sysmap_t *map, const char *name, addr_t *addr, char *type);
/* Address of @name (first occurrence). */
bool sysmap_lookup(const sysmap_t *map, const char *name, addr_t *addr);
/* The symbol at or closest below @addr, absolute ('A') ones aside; returns a
 * newly allocated name. */
char *sysmap_nearest(const sysmap_t *map, addr_t addr, addr_t *sym_addr);
const char *sysmap_path(const sysmap_t *map);

#endif
