/*
 * sysmap.c - kernel symbol maps; see sysmap.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sysmap.h"
#include "private.h"

#define SYSMAP_CHUNK    (256 * 1024)
#define SYSMAP_MAX_LINE 4096    /* longer lines are not symbols: skipped */

struct sysmap {
    char *path;
    char *text;         /* in-memory map (tests), else NULL */
    size_t text_len;
    size_t chunk;       /* bytes per read() of the file */
    size_t max_line;    /* longer lines are skipped */
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
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    close(fd);
    if (!ok) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "System.map '%s' is not a usable file (empty or not a regular file)", path);
        return NULL;
    }
    sysmap_t *map = g_new0(sysmap_t, 1);
    map->path = g_strdup(path);
    map->chunk = SYSMAP_CHUNK;
    map->max_line = SYSMAP_MAX_LINE;
    return map;
}

void sysmap_set_sizes(sysmap_t *map, size_t chunk, size_t max_line)
{
    map->chunk = CLAMP(chunk, 1, SYSMAP_CHUNK);
    map->max_line = CLAMP(max_line, 1, SYSMAP_MAX_LINE);
}

sysmap_t *sysmap_new_from_text(const char *text, size_t len)
{
    sysmap_t *map = g_new0(sysmap_t, 1);
    map->path = g_strdup("(memory)");
    map->text = g_memdup2(text, len);
    map->text_len = len;
    map->chunk = SYSMAP_CHUNK;
    map->max_line = SYSMAP_MAX_LINE;
    return map;
}

void sysmap_free(sysmap_t *map)
{
    if (!map)
        return;
    g_free(map->text);
    g_free(map->path);
    g_free(map);
}

const char *sysmap_path(const sysmap_t *map)
{
    return map->path;
}

/* One parsed line: "ADDR TYPE NAME[\tMODULE]".  The address is converted
 * only for lines a lookup wants (sym_addr): most of a map's lines are
 * skipped by name. */
typedef struct {
    const char *addr_text;
    size_t addr_len;
    char type;
    const char *name;
    size_t name_len;
} sym_line_t;

static addr_t sym_addr(const sym_line_t *l)
{
    addr_t v = 0;
    for (size_t i = 0; i < l->addr_len; i++) {
        char c = l->addr_text[i];
        v = (v << 4) | (addr_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static bool parse_line(const char *p, size_t len, sym_line_t *out)
{
    size_t i = 0;
    while (i < len && i < 16 && g_ascii_isxdigit(p[i]))
        i++;
    if (i == 0 || i + 3 > len || p[i] != ' ' || p[i + 2] != ' ')
        return false;
    out->addr_text = p;
    out->addr_len = i;
    out->type = p[i + 1];
    out->name = p + i + 3;
    out->name_len = len - (i + 3);
    const char *tab = memchr(out->name, '\t', out->name_len);
    if (tab)
        out->name_len = tab - out->name;
    while (out->name_len && (out->name[out->name_len - 1] == '\r' ||
                             out->name[out->name_len - 1] == ' '))
        out->name_len--;
    return out->name_len > 0;
}

/* Calls @fn for every well-formed line until it returns false. */
typedef bool (*line_fn)(const sym_line_t *line, void *data);

static void foreach_buffer(const char *buf, size_t len, size_t max_line, size_t *consumed,
                           line_fn fn, void *data, bool *stop)
{
    const char *p = buf, *end = buf + len;
    while (p < end && !*stop) {
        const char *nl = memchr(p, '\n', end - p);
        if (!nl)
            break;
        sym_line_t l;
        if ((size_t)(nl - p) <= max_line && parse_line(p, nl - p, &l) && !fn(&l, data))
            *stop = true;
        p = nl + 1;
    }
    *consumed = p - buf;
}

/* The last line, without a newline. */
static void last_line(const char *p, size_t len, size_t max_line, line_fn fn, void *data)
{
    sym_line_t l;
    if (len <= max_line && parse_line(p, len, &l))
        fn(&l, data);
}

static void foreach_line(const sysmap_t *map, line_fn fn, void *data)
{
    bool stop = false;
    size_t used;
    if (map->text) {
        foreach_buffer(map->text, map->text_len, map->max_line, &used, fn, data, &stop);
        if (!stop && used < map->text_len)
            last_line(map->text + used, map->text_len - used, map->max_line, fn, data);
        return;
    }
    int fd = open(map->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        g_debug("cannot reopen System.map '%s': %s", map->path, g_strerror(errno));
        return;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    /* Room for a chunk after the unfinished line that the last one left;
     * a line that grows past max_line is no symbol (as in memory) and is
     * skipped to its newline, whatever the chunks' size. */
    size_t cap = map->chunk + map->max_line + 1;
    char *buf = g_malloc(cap);
    size_t have = 0;
    bool skipping = false;
    for (;;) {
        ssize_t n = read(fd, buf + have, map->chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (have && !stop && !skipping)
                last_line(buf, have, map->max_line, fn, data);
            break;
        }
        size_t start = have;
        have += n;
        if (skipping) {
            const char *nl = memchr(buf + start, '\n', have - start);
            if (!nl) {
                have = 0;
                continue;
            }
            skipping = false;
            used = nl + 1 - buf;
            memmove(buf, buf + used, have - used);
            have -= used;
        }
        foreach_buffer(buf, have, map->max_line, &used, fn, data, &stop);
        if (stop)
            break;
        memmove(buf, buf + used, have - used);
        have -= used;
        if (have > map->max_line) {
            skipping = true;
            have = 0;
        }
    }
    g_free(buf);
    close(fd);
}

typedef struct {
    const char *const *names;
    size_t *lens;
    size_t n, left;
    addr_t *addrs;
    char *types;
    bool *found;
} many_t;

static bool match_many(const sym_line_t *l, void *data)
{
    many_t *m = data;
    for (size_t i = 0; i < m->n; i++) {
        if (!m->found[i] && m->lens[i] == l->name_len &&
            memcmp(m->names[i], l->name, l->name_len) == 0) {
            m->found[i] = true;
            m->addrs[i] = sym_addr(l);
            if (m->types)
                m->types[i] = l->type;
            m->left--;
        }
    }
    return m->left > 0;
}

size_t sysmap_lookup_many_typed(const sysmap_t *map, const char *const *names, size_t n,
                                addr_t *addrs, char *types, bool *found)
{
    g_autofree size_t *lens = g_new0(size_t, n ? n : 1);
    many_t m = { .names = names, .lens = lens, .n = n, .left = n, .addrs = addrs,
                 .types = types, .found = found };
    for (size_t i = 0; i < n; i++) {
        lens[i] = strlen(names[i]);
        found[i] = false;
    }
    if (n)
        foreach_line(map, match_many, &m);
    return n - m.left;
}

size_t sysmap_lookup_many(const sysmap_t *map, const char *const *names, size_t n, addr_t *addrs,
                          bool *found)
{
    return sysmap_lookup_many_typed(map, names, n, addrs, NULL, found);
}

bool sysmap_lookup_typed(const sysmap_t *map, const char *name, addr_t *addr, char *type)
{
    bool found = false;
    sysmap_lookup_many_typed(map, &name, 1, addr, type, &found);
    return found;
}

bool sysmap_lookup(const sysmap_t *map, const char *name, addr_t *addr)
{
    bool found = false;
    sysmap_lookup_many(map, &name, 1, addr, &found);
    return found;
}

typedef struct {
    addr_t target, best_addr;
    char *best;
} nearest_t;

static bool match_nearest(const sym_line_t *l, void *data)
{
    nearest_t *n = data;
    /* an absolute symbol ('A': a per-cpu offset, a constant) is no place
     * in the kernel image */
    if (l->type == 'A' || l->type == 'a')
        return true;
    addr_t addr = sym_addr(l);
    /* the first symbol at an address wins, as in a sorted map */
    if (addr <= n->target && (!n->best || addr > n->best_addr)) {
        g_free(n->best);
        n->best = g_strndup(l->name, l->name_len);
        n->best_addr = addr;
    }
    return true;
}

char *sysmap_nearest(const sysmap_t *map, addr_t addr, addr_t *sym_addr)
{
    nearest_t n = { .target = addr };
    foreach_line(map, match_nearest, &n);
    if (n.best && sym_addr)
        *sym_addr = n.best_addr;
    return n.best;
}
