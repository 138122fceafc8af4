/*
 * linux_profile.c - the profile cache: where a kernel build keeps its
 * kallsyms tables, so that the next init of the same kernel goes straight
 * to them instead of searching the image.
 *
 * One small text file per kernel build, named after a hash of its banner and
 * GNU build id, under $LIBVMI_PROFILE_CACHE, else /var/cache/libvmi (root)
 * or $XDG_CACHE_HOME/libvmi.  A profile is a hint and nothing more: it gives
 * locations relative to _text, and every answer still comes from the
 * guest's own bytes.  Before use, the guest's banner and build id must equal
 * the profile's, the tables at the given places must pass the decoder's full
 * validation and give the same fingerprint.  A corrupt, stale or foreign
 * profile (a hostile guest may write one under an honest kernel's banner)
 * therefore only costs the search it was meant to save; an unwritable cache
 * is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "linux.h"
#include "kallsyms.h"

#define PROFILE_MAGIC "libvmi-linux-profile 1"
#define PROFILE_MAX_SIZE 4096
#define PROFILE_MAX_FILES 64
#define NOTES_MAX 4096
#define NT_GNU_BUILD_ID 3

/* The cache directory, or NULL when caching is off. */
static char *cache_dir(vmi_instance_t vmi)
{
    const char *conf = vmi_config_get_str(vmi->config, "profile_cache");
    const char *env = g_getenv("LIBVMI_PROFILE_CACHE");
    const char *d = conf ? conf : env;
    if (d)
        return *d && strcmp(d, "off") != 0 ? g_strdup(d) : NULL;
    if (geteuid() == 0)
        return g_strdup("/var/cache/libvmi");
    return g_build_filename(g_get_user_cache_dir(), "libvmi", NULL);
}

/* The kernel's GNU build id (hex) from its notes, or "-". */
static char *build_id(vmi_instance_t vmi, linux_data_t *ld, addr_t *notes_off, size_t *notes_len)
{
    static const char *const names[2] = { "__start_notes", "__stop_notes" };
    addr_t a[2];
    bool found[2];
    *notes_off = 0;
    *notes_len = 0;
    if (linux_sym_many(ld, names, 2, a, found) != 2 || a[1] <= a[0] || a[1] - a[0] > NOTES_MAX ||
        a[0] < ld->virt_text)
        return g_strdup("-");
    size_t len = a[1] - a[0];
    g_autofree uint8_t *n = g_malloc(len);
    if (!linux_kread(vmi, a[0], n, len))
        return g_strdup("-");
    *notes_off = a[0] - ld->virt_text;
    *notes_len = len;
    for (size_t p = 0; len - p >= 12;) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, n + p, 4);
        memcpy(&descsz, n + p + 4, 4);
        memcpy(&type, n + p + 8, 4);
        uint64_t name_end = p + 12 + (((uint64_t)namesz + 3) & ~3ull);
        uint64_t desc_end = name_end + (((uint64_t)descsz + 3) & ~3ull);
        if (desc_end > len)
            break;
        if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(n + p + 12, "GNU", 4) == 0 &&
            descsz > 0 && descsz <= 64) {
            GString *hex = g_string_new(NULL);
            for (uint32_t i = 0; i < descsz; i++)
                g_string_append_printf(hex, "%02x", n[name_end + i]);
            return g_string_free(hex, FALSE);
        }
        p = desc_end;
    }
    return g_strdup("-");
}

static char *read_banner_at(vmi_instance_t vmi, addr_t va, size_t len)
{
    char *b = g_malloc(len + 1);
    if (!linux_kread(vmi, va, b, len)) {
        g_free(b);
        return NULL;
    }
    b[len] = '\0';
    return b;
}

typedef struct {
    char *banner, *build_id;
    addr_t banner_off, notes_off;
    uint64_t notes_len;
    ksyms_layout_t rel;     /* addresses relative to _text */
    uint64_t fingerprint;
} profile_t;

static void profile_clear(profile_t *p)
{
    g_free(p->banner);
    g_free(p->build_id);
}

static bool get_u64(const char *v, uint64_t *out)
{
    char *end;
    if (!v || !*v)
        return false;
    errno = 0;
    *out = g_ascii_strtoull(v, &end, 16);
    return errno == 0 && *end == '\0';
}

/* Strict parse: every field present once, nothing else. */
static bool profile_parse(const char *text, profile_t *p)
{
    memset(p, 0, sizeof(*p));
    g_auto(GStrv) lines = g_strsplit(text, "\n", 64);
    if (!lines[0] || strcmp(lines[0], PROFILE_MAGIC) != 0)
        return false;
    unsigned seen = 0;
    uint64_t v, flags = 0, ptr = 0, count = 0;
    static const char *const keys[] = { "banner", "build_id", "banner_off", "notes_off",
                                        "notes_len", "token_table", "token_index", "markers",
                                        "names", "num_syms_addr", "addresses",
                                        "relative_base_addr", "seqs_of_names", "relative_base",
                                        "num_syms", "flags", "ptr_size", "fingerprint" };
    G_STATIC_ASSERT(G_N_ELEMENTS(keys) <= 32);
    for (size_t i = 1; lines[i]; i++) {
        if (!*lines[i])
            continue;
        char *sp = strchr(lines[i], ' ');
        if (!sp)
            goto bad;
        *sp = '\0';
        const char *key = lines[i], *val = sp + 1;
        size_t k = 0;
        while (k < G_N_ELEMENTS(keys) && strcmp(key, keys[k]) != 0)
            k++;
        if (k == G_N_ELEMENTS(keys) || (seen & (1u << k)))
            goto bad;
        seen |= 1u << k;
        if (k == 0) {
            p->banner = g_strcompress(val);
            continue;
        }
        if (k == 1) {
            p->build_id = g_strdup(val);
            continue;
        }
        if (!get_u64(val, &v))
            goto bad;
        switch (k) {
        case 2: p->banner_off = v; break;
        case 3: p->notes_off = v; break;
        case 4: p->notes_len = v; break;
        case 5: p->rel.token_table = v; break;
        case 6: p->rel.token_index = v; break;
        case 7: p->rel.markers = v; break;
        case 8: p->rel.names = v; break;
        case 9: p->rel.num_syms_addr = v; break;
        case 10: p->rel.addresses = v; break;
        case 11: p->rel.relative_base_addr = v; break;
        case 12: p->rel.seqs_of_names = v; break;
        case 13: p->rel.relative_base = v; break;
        case 14: count = v; break;
        case 15: flags = v; break;
        case 16: ptr = v; break;
        case 17: p->fingerprint = v; break;
        }
    }
    if (seen != (1u << G_N_ELEMENTS(keys)) - 1 || !p->banner || strlen(p->banner) < 14 ||
        strlen(p->banner) > 1024 || (ptr != 8 && ptr != 4) || count == 0 || count > (1u << 24) ||
        p->notes_len > NOTES_MAX)
        goto bad;
    p->rel.num_syms = (uint32_t)count;
    p->rel.ptr_size = (unsigned)ptr;
    p->rel.base_relative = flags & 1;
    p->rel.absolute_percpu = flags & 2;
    p->rel.pc_relative = flags & 4;
    p->rel.big_lengths = flags & 8;
    p->rel.tables_after_tokens = flags & 16;
    return true;
bad:
    profile_clear(p);
    return false;
}

/* Reads a profile file safely: a regular file of ours, small. */
static char *read_profile(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        st.st_size > 0 && st.st_size <= PROFILE_MAX_SIZE) {
        buf = g_malloc0(st.st_size + 1);
        ssize_t n = read(fd, buf, st.st_size);
        if (n != st.st_size) {
            g_free(buf);
            buf = NULL;
        }
    }
    close(fd);
    return buf;
}

static bool profile_try(vmi_instance_t vmi, linux_data_t *ld, profile_t *p)
{
    addr_t base = ld->virt_text;
    size_t blen = strlen(p->banner);
    g_autofree char *b = read_banner_at(vmi, base + p->banner_off, blen);
    if (!b || strcmp(b, p->banner) != 0)
        return false;
    ksyms_layout_t hint = p->rel;
    addr_t *fields[] = { &hint.token_table, &hint.token_index, &hint.markers, &hint.names,
                         &hint.num_syms_addr, &hint.addresses, &hint.relative_base_addr,
                         &hint.seqs_of_names };
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
        if (*fields[i] && *fields[i] >= ld->image_size)
            return false;
        if (*fields[i])
            *fields[i] += base;
    }
    if (hint.base_relative && !hint.pc_relative)
        hint.relative_base += base;
    GError *err = NULL;
    ksyms_t *ks = ksyms_find(linux_kread, vmi, base, base + ld->image_size, hint.ptr_size, &hint,
                             &err);
    if (!ks) {
        g_debug("profile cache: the tables are not where the profile says: %s", err->message);
        g_error_free(err);
        return false;
    }
    if (ksyms_fingerprint(ks) != p->fingerprint) {
        ksyms_free(ks);
        return false;
    }
    ld->ksyms = ks;
    ld->syms_kind = LINUX_SYMS_KALLSYMS;
    addr_t noff;
    size_t nlen;
    g_autofree char *id = build_id(vmi, ld, &noff, &nlen);
    if (strcmp(id, p->build_id) != 0) {
        ksyms_free(ks);
        ld->ksyms = NULL;
        ld->syms_kind = LINUX_SYMS_NONE;
        return false;
    }
    return true;
}

bool linux_profile_load(vmi_instance_t vmi, linux_data_t *ld)
{
    g_autofree char *dir = cache_dir(vmi);
    if (!dir)
        return false;
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0)
        return false;
    GDir *d = NULL;
    bool ok = false;
    struct stat st;
    if (fstat(dirfd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 022))
        goto out;
    d = g_dir_open(dir, 0, NULL);
    if (!d)
        goto out;
    const char *name;
    unsigned files = 0;
    while (!ok && (name = g_dir_read_name(d)) && files < PROFILE_MAX_FILES) {
        if (!g_str_has_prefix(name, "linux-") || !g_str_has_suffix(name, ".profile"))
            continue;
        files++;
        g_autofree char *text = read_profile(dirfd, name);
        profile_t p;
        if (!text || !profile_parse(text, &p))
            continue;
        ok = profile_try(vmi, ld, &p);
        if (ok)
            g_debug("profile cache: kallsyms located through %s/%s", dir, name);
        profile_clear(&p);
    }
out:
    if (d)
        g_dir_close(d);
    close(dirfd);
    ld->syms_from_cache = ok;
    return ok;
}

void linux_profile_store(vmi_instance_t vmi, linux_data_t *ld)
{
    g_autofree char *dir = cache_dir(vmi);
    if (!dir || !ld->ksyms || !ld->banner)
        return;
    addr_t banner_va;
    if (!linux_sym(ld, "linux_banner", &banner_va) || banner_va < ld->virt_text)
        return;
    g_autofree char *banner = read_banner_at(vmi, banner_va, MIN(strlen(ld->banner), 1024));
    if (!banner)
        return;
    addr_t notes_off;
    size_t notes_len;
    g_autofree char *id = build_id(vmi, ld, &notes_off, &notes_len);
    const ksyms_layout_t *l = ksyms_layout(ld->ksyms);
    addr_t base = ld->virt_text;
    addr_t v[] = { l->token_table, l->token_index, l->markers, l->names, l->num_syms_addr,
                   l->addresses, l->relative_base_addr, l->seqs_of_names };
    for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
        if (v[i] && (v[i] < base || v[i] - base >= ld->image_size))
            return;
        if (v[i])
            v[i] -= base;
    }
    addr_t rb = l->relative_base;
    if (l->base_relative && !l->pc_relative)
        rb -= base;
    uint64_t flags = (l->base_relative ? 1 : 0) | (l->absolute_percpu ? 2 : 0) |
                     (l->pc_relative ? 4 : 0) | (l->big_lengths ? 8 : 0) |
                     (l->tables_after_tokens ? 16 : 0);
    g_autofree char *esc = g_strescape(banner, NULL);
    g_autofree char *text = g_strdup_printf(
        PROFILE_MAGIC "\nbanner %s\nbuild_id %s\nbanner_off %" G_GINT64_MODIFIER "x\n"
        "notes_off %" G_GINT64_MODIFIER "x\nnotes_len %zx\ntoken_table %" G_GINT64_MODIFIER "x\n"
        "token_index %" G_GINT64_MODIFIER "x\nmarkers %" G_GINT64_MODIFIER "x\n"
        "names %" G_GINT64_MODIFIER "x\nnum_syms_addr %" G_GINT64_MODIFIER "x\n"
        "addresses %" G_GINT64_MODIFIER "x\nrelative_base_addr %" G_GINT64_MODIFIER "x\n"
        "seqs_of_names %" G_GINT64_MODIFIER "x\nrelative_base %" G_GINT64_MODIFIER "x\n"
        "num_syms %x\nflags %" G_GINT64_MODIFIER "x\nptr_size %x\nfingerprint %"
        G_GINT64_MODIFIER "x\n",
        esc, id, (guint64)(banner_va - base), (guint64)notes_off, notes_len, (guint64)v[0],
        (guint64)v[1], (guint64)v[2], (guint64)v[3], (guint64)v[4], (guint64)v[5], (guint64)v[6],
        (guint64)v[7], (guint64)rb, l->num_syms, (guint64)flags, l->ptr_size,
        (guint64)ksyms_fingerprint(ld->ksyms));
    if (strlen(text) > PROFILE_MAX_SIZE)
        return;

    struct stat st;
    if (g_mkdir_with_parents(dir, 0700) != 0 || lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != geteuid() || (st.st_mode & 022)) {
        g_debug("profile cache %s not usable: not stored", dir);
        return;
    }
    g_autofree char *keysrc = g_strdup_printf("%s\n%s", banner, id);
    g_autofree char *key = g_compute_checksum_for_string(G_CHECKSUM_SHA256, keysrc, -1);
    key[16] = '\0';
    g_autofree char *final = g_strdup_printf("%s/linux-%s.profile", dir, key);
    g_autofree char *tmp = g_strdup_printf("%s/.linux-%s.%d.tmp", dir, key, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        g_debug("profile cache: cannot write %s: %s", tmp, g_strerror(errno));
        return;
    }
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, final) != 0) {
        unlink(tmp);
        return;
    }
    g_debug("profile cache: stored %s", final);
}
