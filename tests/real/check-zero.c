/*
 * check-zero.c - checks a zero-configuration init of a rig snapshot against
 * what the guest printed about itself (tests/real/zero-config.sh).
 *
 *   check-zero SNAPSHOT TRUTHDIR SAMPLE [EXPECT-KERNEL-SOURCE]
 *
 * SAMPLE: "ADDR TYPE NAME" lines drawn from the guest's /proc/kallsyms
 * (truth.py ksym-sample).  Checks: each name resolves to the guest's
 * address and the address reverse-resolves to that name (or to another name
 * the guest lists at the same address); every offset in truth/offsets.txt
 * (pahole) equals vmi_get_kernel_struct_offset; the five linux_* offsets
 * come from BTF; the KASLR slide and the banner equal the guest's.  With
 * EXPECT-KERNEL-SOURCE, vmi_get_value_source("kernel") must contain it.
 * Prints "ok"/"not ok" lines; exits 1 when a check failed.
 */
#include <libvmi/libvmi.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fails;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            printf("ok - ");                                                                       \
        } else {                                                                                   \
            printf("not ok - ");                                                                   \
            fails++;                                                                               \
        }                                                                                          \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
    } while (0)

static char *slurp(const char *dir, const char *name)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);
    char *s = NULL;
    if (!g_file_get_contents(p, &s, NULL, NULL))
        return NULL;
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: check-zero SNAPSHOT TRUTHDIR SAMPLE [KERNEL-SOURCE]\n");
        return 2;
    }
    const char *snap = argv[1], *truth = argv[2];
    vmi_instance_t vmi = NULL;
    if (vmi_init(&vmi, VMI_AUTO | VMI_INIT_COMPLETE, (char *)snap) != VMI_SUCCESS) {
        printf("not ok - zero-configuration init of %s: %s\n", snap, vmi_get_last_error(NULL));
        return 1;
    }
    const char *ksrc = vmi_get_value_source(vmi, "kernel");
    printf("# kernel found by: %s; symbols: %s\n", ksrc ? ksrc : "?",
           vmi_get_value_source(vmi, "symbols"));
    if (argc > 4)
        CHECK(ksrc && strstr(ksrc, argv[4]), "the kernel was found by '%s' (want '%s')",
              ksrc ? ksrc : "?", argv[4]);
    const char *ssrc = vmi_get_value_source(vmi, "symbols");
    CHECK(ssrc && strstr(ssrc, "kallsyms"), "symbols come from the guest's kallsyms (%s)",
          ssrc ? ssrc : "?");

    /* every name the guest lists per address (aliases) */
    g_autofree char *all = slurp(truth, "kallsyms.txt");
    if (!all) {
        printf("not ok - no %s/kallsyms.txt\n", truth);
        return 1;
    }
    GHashTable *names_at = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    size_t nall = 0;
    for (char *line = strtok(all, "\n"); line; line = strtok(NULL, "\n")) {
        char type, name[512];
        uint64_t a;
        if (sscanf(line, "%" SCNx64 " %c %511s", &a, &type, name) != 3)
            continue;
        nall++;
        uint64_t *k = g_new(uint64_t, 1);
        *k = a;
        char *old = g_hash_table_lookup(names_at, k);
        char *v = g_strdup_printf("%s%s ", old ? old : " ", name);
        g_hash_table_replace(names_at, k, v);
    }

    FILE *f = fopen(argv[3], "r");
    if (!f) {
        printf("not ok - cannot open the sample %s\n", argv[3]);
        return 1;
    }
    char line[1024];
    size_t n = 0, fwd = 0, rev = 0;
    GHashTable *types = g_hash_table_new(g_direct_hash, g_direct_equal);
    while (fgets(line, sizeof(line), f)) {
        char type, name[512];
        uint64_t a;
        if (sscanf(line, "%" SCNx64 " %c %511s", &a, &type, name) != 3)
            continue;
        n++;
        g_hash_table_add(types, GINT_TO_POINTER(g_ascii_tolower(type)));
        addr_t got = vmi_translate_ksym2v(vmi, name);
        if (got == a)
            fwd++;
        else if (fwd + 10 > n)
            printf("# %s: libvmi 0x%" PRIx64 ", guest 0x%" PRIx64 "\n", name, (uint64_t)got, a);
        addr_t off = ~0ull;
        const char *r = vmi_translate_v2ksym_nearest(vmi, a, &off);
        g_autofree char *needle = g_strdup_printf(" %s ", r ? r : "");
        const char *at = g_hash_table_lookup(names_at, &a);
        if (r && off == 0 && (strcmp(r, name) == 0 || (at && strstr(at, needle))))
            rev++;
        else if (rev + 10 > n)
            printf("# reverse of 0x%" PRIx64 " (%s): %s+0x%" PRIx64 "\n", a, name, r ? r : "(none)",
                   (uint64_t)off);
    }
    fclose(f);
    CHECK(n >= 500, "%zu sampled symbols (of %zu the guest lists), %u kinds", n, nall,
          g_hash_table_size(types));
    CHECK(fwd == n, "%zu/%zu symbols resolve to the guest's addresses", fwd, n);
    CHECK(rev == n, "%zu/%zu addresses reverse-resolve to the guest's names", rev, n);

    /* offsets: pahole's, for every member the rig recorded */
    g_autofree char *offs = slurp(truth, "offsets.txt");
    size_t on = 0, ook = 0;
    for (char *l = offs ? strtok(offs, "\n") : NULL; l; l = strtok(NULL, "\n")) {
        char key[256];
        uint64_t want;
        if (sscanf(l, "%255s %" SCNu64, key, &want) != 2 || strncmp(key, "sizeof", 6) == 0)
            continue;
        char *dot = strchr(key, '.');
        if (!dot || strcmp(dot, ".sizeof") == 0)
            continue;
        *dot = '\0';
        on++;
        addr_t got = ~0ull;
        if (vmi_get_kernel_struct_offset(vmi, key, dot + 1, &got) == VMI_SUCCESS && got == want)
            ook++;
        else
            printf("# %s.%s: libvmi %" PRId64 " (%s), pahole %" PRIu64 "\n", key, dot + 1,
                   (int64_t)got, vmi_get_last_error(vmi), want);
    }
    CHECK(on >= 5 && ook == on, "%zu/%zu structure offsets equal pahole's", ook, on);
    static const char *const keys[] = { "linux_tasks", "linux_mm", "linux_pid", "linux_name",
                                        "linux_pgd" };
    unsigned btf = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        const char *s = vmi_get_value_source(vmi, keys[i]);
        btf += s && strcmp(s, "BTF") == 0;
    }
    CHECK(btf == G_N_ELEMENTS(keys), "the five process offsets come from the guest's BTF");

    /* the KASLR slide and the banner */
    g_autofree char *kaslr = slurp(truth, "kaslr.txt");
    const char *sl = kaslr ? strstr(kaslr, "slide ") : NULL;
    uint64_t want_slide = sl ? g_ascii_strtoull(sl + 6, NULL, 16) : 1;
    CHECK(vmi_get_kaslr_offset(vmi) == want_slide, "KASLR slide 0x%" PRIx64 " (guest: 0x%" PRIx64
          ")", (uint64_t)vmi_get_kaslr_offset(vmi), want_slide);
    g_autofree char *banner = slurp(truth, "banner.txt");
    g_autofree char *ver = vmi_get_kernel_version(vmi);
    if (banner)
        g_strchomp(banner);
    CHECK(banner && ver && strcmp(banner, ver) == 0, "banner '%s'", ver ? ver : "(none)");

    vmi_destroy(vmi);
    g_hash_table_destroy(names_at);
    g_hash_table_destroy(types);
    return fails ? 1 : 0;
}
