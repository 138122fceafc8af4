/*
 * sysmap.h - a kernel symbol map (System.map format: "ADDR TYPE NAME").
 *
 * The file is mapped, not parsed into a table: a lookup is a memmem() of
 * " NAME\n" over the mapping (a few ms for a 6 MB map, and the core caches
 * answers), so opening a guest costs nothing for symbols it never needs.
 */
#ifndef VMI_SYSMAP_H
#define VMI_SYSMAP_H

#include <glib.h>
#include <stdbool.h>
#include "libvmi.h"

typedef struct sysmap sysmap_t;

sysmap_t *sysmap_open(const char *path, GError **error);
/* A map held in memory (tests); @text is copied. */
sysmap_t *sysmap_new_from_text(const char *text, size_t len);
void sysmap_free(sysmap_t *map);
/* Address of @name (first occurrence). */
bool sysmap_lookup(const sysmap_t *map, const char *name, addr_t *addr);
/* The symbol at or closest below @addr; returns a newly allocated name. */
char *sysmap_nearest(const sysmap_t *map, addr_t addr, addr_t *sym_addr);
const char *sysmap_path(const sysmap_t *map);

#endif
