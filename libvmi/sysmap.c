/*
 * sysmap.c - kernel symbol maps; see sysmap.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sysmap.h"
#include "private.h"

#define SYSMAP_MAX_SIZE (1u << 30)   /* no real map comes near this */
#define SYSMAP_MAX_NAME 512

struct sysmap {
    char *path;
    const char *data;
    size_t size;
    bool mapped;
};

sysmap_t *sysmap_open(const char *path, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot open System.map '%s': %s", path,
                    g_strerror(e));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
        (uint64_t)st.st_size > SYSMAP_MAX_SIZE) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "System.map '%s' is not a usable file (empty, too large or not regular)",
                    path);
        close(fd);
        return NULL;
    }
    void *p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot map System.map '%s': %s", path,
                    g_strerror(e));
        return NULL;
    }
    sysmap_t *map = g_new0(sysmap_t, 1);
    map->path = g_strdup(path);
    map->data = p;
    map->size = st.st_size;
    map->mapped = true;
    return map;
}

sysmap_t *sysmap_new_from_text(const char *text, size_t len)
{
    sysmap_t *map = g_new0(sysmap_t, 1);
    map->path = g_strdup("(memory)");
    map->data = g_memdup2(text, len);
    map->size = len;
    return map;
}

void sysmap_free(sysmap_t *map)
{
    if (!map)
        return;
    if (map->mapped)
        munmap((void *)map->data, map->size);
    else
        g_free((void *)map->data);
    g_free(map->path);
    g_free(map);
}

const char *sysmap_path(const sysmap_t *map)
{
    return map->path;
}

/* Parses "ADDR T " ending right before @name_start; false if the line does
 * not have that shape. */
static bool parse_line_head(const sysmap_t *map, const char *name_start, addr_t *addr)
{
    /* name_start points after "ADDR T " */
    const char *p = name_start - 1;          /* the space before the name */
    if (p - 2 < map->data || p[-2] != ' ' || !g_ascii_isalpha(p[-1]))
        return false;
    const char *end = p - 2;                 /* the space after the address */
    const char *start = end;
    while (start > map->data && start[-1] != '\n')
        start--;
    if (end == start || end - start > 16)
        return false;
    addr_t v = 0;
    for (const char *c = start; c < end; c++) {
        if (!g_ascii_isxdigit(*c))
            return false;
        v = (v << 4) | g_ascii_xdigit_value(*c);
    }
    *addr = v;
    return true;
}

bool sysmap_lookup(const sysmap_t *map, const char *name, addr_t *addr)
{
    size_t n = strlen(name);
    if (n == 0 || n > SYSMAP_MAX_NAME)
        return false;
    char needle[SYSMAP_MAX_NAME + 3];
    needle[0] = ' ';
    memcpy(needle + 1, name, n);
    needle[n + 1] = '\n';
    const char *p = map->data;
    const char *end = map->data + map->size;
    while (p < end) {
        const char *hit = memmem(p, end - p, needle, n + 2);
        if (!hit) {
            /* the last line may lack its newline */
            if (map->size > n + 1 && end[-1] != '\n' &&
                memcmp(end - n - 1, needle, n + 1) == 0 && parse_line_head(map, end - n, addr))
                return true;
            return false;
        }
        if (parse_line_head(map, hit + 1, addr))
            return true;
        p = hit + 1;
    }
    return false;
}

char *sysmap_nearest(const sysmap_t *map, addr_t addr, addr_t *sym_addr)
{
    const char *best = NULL;
    size_t best_len = 0;
    addr_t best_addr = 0;
    const char *p = map->data, *end = map->data + map->size;
    while (p < end) {
        const char *nl = memchr(p, '\n', end - p);
        const char *line_end = nl ? nl : end;
        /* "ADDR T NAME" */
        addr_t v = 0;
        const char *c = p;
        while (c < line_end && g_ascii_isxdigit(*c) && c - p < 16)
            v = (v << 4) | g_ascii_xdigit_value(*c++);
        if (c > p && c + 3 < line_end && c[0] == ' ' && c[2] == ' ' && v <= addr &&
            (!best || v >= best_addr)) {
            const char *name = c + 3;
            size_t len = line_end - name;
            const char *tab = memchr(name, '\t', len);
            if (tab)
                len = tab - name;
            /* the first symbol at an address wins, as in a sorted map */
            if (!best || v > best_addr) {
                best = name;
                best_len = len;
                best_addr = v;
            }
        }
        p = line_end + 1;
    }
    if (!best)
        return NULL;
    if (sym_addr)
        *sym_addr = best_addr;
    return g_strndup(best, best_len);
}
