/*
 * test-linux.c - the Linux OS layer and the public API end to end, on a
 * synthetic guest (synth.c): a raw memory image with x86-64 4-level, 5-level
 * or 32-bit PAE page tables, a kernel at a randomised physical and virtual
 * address, 40 tasks and user address spaces, and its System.map.  The
 * generator records what must be found; the library is asked only through
 * the public API.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <libvmi.h>
#include "synth.h"

#define NTASKS 40
#define PAGE 4096ull

typedef struct fixture {
    synth_t *g;
    char *image;        /* snapshot path */
    char *sysmap;       /* System.map path */
    const char *entry;  /* config entry name (base name without extension) */
} fixture_t;

static char *tmpdir;
static fixture_t fx64, fx57, fxpae;
static unsigned conf_serial;

/* ------------------------------------------------------------ helpers */

/* On failure, show the library's reason in the assertion message. */
#define assert_ok(vmi, call)                                                          \
    do {                                                                              \
        status_t st_ = (call);                                                        \
        if (st_ != VMI_SUCCESS)                                                       \
            g_assert_cmpstr(vmi_get_last_error(vmi), ==, "(success expected: " #call ")"); \
    } while (0)

/* The last error (of @vmi, or of the last failed init with NULL) contains @needle. */
#define assert_error_has(vmi, needle) \
    error_has(vmi_get_last_error(vmi), (needle), __FILE__, __LINE__, G_STRFUNC)

static void error_has(const char *error, const char *needle, const char *file, int line,
                      const char *func)
{
    if (!strstr(error, needle))
        g_assertion_message_cmpstr(G_LOG_DOMAIN, file, line, func,
                                   "vmi_get_last_error() contains needle", error, "contains",
                                   needle);
}

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

static char *write_text(const char *name, const char *text)
{
    char *path = tmp_path(name);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static char *write_image(const synth_t *g, const char *name)
{
    GError *error = NULL;
    char *path = tmp_path(name);
    g_assert_true(synth_write_image(g, path, &error));
    g_assert_no_error(error);
    return path;
}

/* The body of a config entry for @fx's guest: ostype, sysmap, offsets, then @extra. */
static char *config_body(const fixture_t *fx, const char *sysmap, const char *extra)
{
    const synth_offsets_t *o = &fx->g->off;
    return g_strdup_printf("    ostype = \"Linux\";\n"
                           "    sysmap = \"%s\";\n"
                           "    linux_tasks = 0x%" PRIx64 ";\n"
                           "    linux_mm = 0x%" PRIx64 ";\n"
                           "    linux_pid = 0x%" PRIx64 ";\n"
                           "    linux_name = 0x%" PRIx64 ";\n"
                           "    linux_pgd = 0x%" PRIx64 ";\n"
                           "%s",
                           sysmap ? sysmap : fx->sysmap, o->tasks, o->mm, o->pid, o->name,
                           o->pgd, extra ? extra : "");
}

/* Writes a config file with the text and points LIBVMI_CONF at it. */
static void set_conf_text(const char *text)
{
    g_autofree char *name = g_strdup_printf("libvmi-%u.conf", conf_serial++);
    g_autofree char *path = write_text(name, text);
    g_setenv("LIBVMI_CONF", path, TRUE);
}

/* One entry @entry for @fx in LIBVMI_CONF. */
static void set_conf(const fixture_t *fx, const char *entry, const char *sysmap, const char *extra)
{
    g_autofree char *body = config_body(fx, sysmap, extra);
    g_autofree char *text = g_strdup_printf("# test config\n%s {\n%s}\n", entry, body);
    set_conf_text(text);
}

static void no_conf(void)
{
    g_autofree char *path = tmp_path("no-such-libvmi.conf");
    g_setenv("LIBVMI_CONF", path, TRUE);
}

static vmi_instance_t open_guest(const fixture_t *fx, const char *image, const char *extra)
{
    vmi_instance_t vmi = NULL;
    if (!image)
        image = fx->image;
    /* the entry is named after the snapshot's base name without extension */
    g_autofree char *entry = g_path_get_basename(image);
    char *dot = strrchr(entry, '.');
    if (dot)
        *dot = '\0';
    set_conf(fx, entry, NULL, extra);
    assert_ok(NULL, vmi_init(&vmi, VMI_FILE | VMI_INIT_COMPLETE, (char *)image));
    g_assert_nonnull(vmi);
    return vmi;
}

/* vmi_init is expected to fail; returns nothing, the reason is in vmi_get_last_error(NULL). */
static void init_fails(const char *image, uint32_t flags)
{
    vmi_instance_t vmi = (vmi_instance_t)0x1;
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE | flags, (char *)image), ==, VMI_FAILURE);
    g_assert_null(vmi);
}

static const synth_task_t *first_task(const synth_t *g, bool user, size_t skip)
{
    for (size_t i = 1; i < g->ntasks; i++)
        if (g->tasks[i].user == user && skip-- == 0)
            return &g->tasks[i];
    g_assert_not_reached();
    return NULL;
}

static page_mode_t expected_mode(const synth_t *g)
{
    return g->mode == SYNTH_PAE ? VMI_PM_PAE : g->mode == SYNTH_LA57 ? VMI_PM_LA57 : VMI_PM_IA32E;
}

/* ------------------------------------------------------------ checks shared by the variants */

static void check_kernel(vmi_instance_t vmi, const fixture_t *fx)
{
    const synth_t *g = fx->g;
    g_assert_cmphex(vmi_get_kaslr_offset(vmi), ==, g->slide);
    g_assert_cmphex(vmi_translate_ksym2v(vmi, "_text"), ==, g->virt_text);
    g_assert_cmphex(vmi_translate_ksym2v(vmi, "init_task"), ==, g->tasks[0].task_va);
    g_assert_cmphex(vmi_translate_kv2p(vmi, g->virt_text), ==, g->phys_text);
    g_assert_cmphex(vmi_translate_kv2p(vmi, g->tasks[0].task_va + 0x123), ==,
                    g->tasks[0].task_pa + 0x123);
    g_assert_cmphex(vmi_translate_kv2p(vmi, g->tasks[5].task_va), ==, g->tasks[5].task_pa);
    g_assert_cmphex(vmi_pid_to_dtb(vmi, 0), ==, g->kdtb);
    g_assert_cmpint(vmi_get_page_mode(vmi), ==, expected_mode(g));
    g_assert_cmpuint(vmi_get_address_width(vmi), ==, g->width);
    g_assert_cmpint(vmi_get_ostype(vmi), ==, VMI_OS_LINUX);
    g_assert_cmpint(vmi_get_winver(vmi), ==, VMI_OS_WINDOWS_NONE);
    g_assert_cmpuint(vmi_get_memsize(vmi), ==, g->mem_size);
    g_assert_cmpuint(vmi_get_access_mode(vmi), ==, VMI_FILE);
    g_assert_cmpstr(vmi_get_access_path(vmi), ==, "file-raw");
    g_assert_cmpuint(vmi_get_vmid(vmi), ==, (unsigned long)VMI_INVALID_DOMID);
    char *name = vmi_get_name(vmi);
    g_assert_cmpstr(name, ==, fx->image);
    free(name);
    g_assert_cmphex(vmi_get_offset(vmi, "linux_tasks"), ==, g->off.tasks);
    g_assert_cmphex(vmi_get_offset(vmi, "linux_mm"), ==, g->off.mm);
    g_assert_cmphex(vmi_get_offset(vmi, "linux_pid"), ==, g->off.pid);
    g_assert_cmphex(vmi_get_offset(vmi, "linux_name"), ==, g->off.name);
    g_assert_cmphex(vmi_get_offset(vmi, "linux_pgd"), ==, g->off.pgd);
    g_assert_cmphex(vmi_get_offset(vmi, "linux_kaslr"), ==, g->slide);
    g_assert_cmphex(vmi_get_offset(vmi, "no_such_offset"), ==, 0);
    assert_error_has(vmi, "no_such_offset");
    char *banner = vmi_read_str_ksym(vmi, "linux_banner");
    g_assert_cmpstr(banner, ==, g->banner);
    free(banner);
    banner = vmi_get_kernel_version(vmi);
    g_assert_cmpstr(banner, ==, g->banner);
    free(banner);
}

static void check_processes(vmi_instance_t vmi, const synth_t *g)
{
    vmi_process_t *list = NULL;
    size_t count = 0;
    assert_ok(vmi, vmi_get_processes(vmi, &list, &count));
    g_assert_cmpuint(count, ==, g->ntasks);
    for (size_t i = 0; i < count; i++) {
        const synth_task_t *t = &g->tasks[i];
        g_assert_cmpint(list[i].pid, ==, t->pid);
        g_assert_cmpstr(list[i].name, ==, t->name);
        g_assert_cmphex(list[i].task, ==, t->task_va);
        g_assert_cmphex(list[i].dtb, ==, t->dtb);
    }
    free(list);

    /* by pid and by dtb: through the cache the listing filled, then by walking */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            vmi_pidcache_flush(vmi);
        for (size_t i = 1; i < g->ntasks; i++) {
            const synth_task_t *t = &g->tasks[i];
            g_assert_cmphex(vmi_pid_to_dtb(vmi, t->pid), ==, t->dtb);
            if (t->user) {
                vmi_pidcache_flush(vmi);
                g_assert_cmpint(vmi_dtb_to_pid(vmi, t->dtb), ==, t->pid);
            }
        }
    }
    g_assert_cmphex(vmi_pid_to_dtb(vmi, 999999), ==, 0);
    assert_error_has(vmi, "no process with pid 999999");
    g_assert_cmpint(vmi_dtb_to_pid(vmi, 0x1000), ==, -1);

    /* user memory by pid */
    for (size_t i = 1; i < g->ntasks; i++) {
        const synth_task_t *t = &g->tasks[i];
        if (!t->user) {
            /* a kernel thread has no user mappings */
            g_assert_cmphex(vmi_translate_uv2p(vmi, g->user_text_va, t->pid), ==, 0);
            continue;
        }
        g_assert_cmphex(vmi_translate_uv2p(vmi, g->user_text_va + 0x123, t->pid), ==,
                        t->upage_pa[0] + 0x123);
        g_assert_cmphex(vmi_translate_uv2p(vmi, g->user_stack_va + 0xfff, t->pid), ==,
                        t->upage_pa[2] + 0xfff);
        g_assert_cmphex(vmi_pagetable_lookup(vmi, t->dtb, g->user_text_va + PAGE), ==,
                        t->upage_pa[1]);
        g_autofree char *argv = g_strdup_printf("argv-marker-%d", t->pid);
        g_autofree char *env = g_strdup_printf("ENV=value-%d", t->pid);
        char *s = vmi_read_str_va(vmi, g->user_text_va, t->pid);
        g_assert_cmpstr(s, ==, argv);
        free(s);
        s = vmi_read_str_va(vmi, g->user_stack_va, t->pid);
        g_assert_cmpstr(s, ==, env);
        free(s);

        /* across a page boundary (the frames are not adjacent) */
        uint8_t buf[64], want[64];
        g_assert_cmphex(t->upage_pa[1], !=, t->upage_pa[0] + PAGE);
        memcpy(want, g->mem + t->upage_pa[0] + PAGE - 8, 8);
        memcpy(want + 8, g->mem + t->upage_pa[1], 24);
        g_assert_cmpuint(vmi_read_va(vmi, g->user_text_va + PAGE - 8, t->pid, buf, 32), ==, 32);
        g_assert_cmpmem(buf, 32, want, 32);
        /* stopping short at the unmapped third page */
        memset(buf, 0, sizeof(buf));
        g_assert_cmpuint(vmi_read_va(vmi, g->user_text_va + 2 * PAGE - 16, t->pid, buf, 48), ==,
                         16);
        g_assert_cmpmem(buf, 16, g->mem + t->upage_pa[1] + PAGE - 16, 16);
        g_assert_cmpuint(vmi_read_va(vmi, g->user_text_va + 2 * PAGE, t->pid, buf, 8), ==, 0);
    }
    /* a kernel pointer read as an address of the guest's width */
    addr_t next = 0;
    assert_ok(vmi, vmi_read_addr_va(vmi, g->tasks[3].task_va + g->off.tasks, 0, &next));
    g_assert_cmphex(next, ==, g->tasks[4].task_va + g->off.tasks);
}

/* ------------------------------------------------------------ 1-3: init */

static void test_init_file_entry(void)
{
    const fixture_t *fx = &fx64;
    g_autofree char *base = g_path_get_basename(fx->image);
    g_autofree char *quoted = g_strdup_printf("\"%s\"", fx->image);
    /* entry named like the snapshot's base name without extension, with it, the full path */
    const char *entries[] = { fx->entry, base, quoted };
    for (size_t i = 0; i < G_N_ELEMENTS(entries); i++) {
        vmi_instance_t vmi = NULL;
        set_conf(fx, entries[i], NULL, NULL);
        assert_ok(NULL, vmi_init(&vmi, VMI_AUTO | VMI_INIT_COMPLETE, fx->image));
        check_kernel(vmi, fx);
        vmi_destroy(vmi);
    }

    /* an entry for another guest only: COMPLETE looks for the kernel in
     * memory; the synthetic kernel is found (its page tables are real) but
     * carries no kallsyms tables, and the error says so */
    vmi_instance_t vmi = NULL;
    set_conf(fx, "other-guest", NULL, NULL);
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "no OS layer recognised the guest");
    assert_error_has(NULL, "kallsyms");
    /* ... and PARTIAL needs none */
    assert_ok(NULL, vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL, fx->image));
    g_assert_cmpint(vmi_get_ostype(vmi), ==, VMI_OS_UNKNOWN);
    vmi_destroy(vmi);
}

static void test_init_custom(void)
{
    const fixture_t *fx = &fx64;
    no_conf();
    g_autofree char *name_kv = g_strdup_printf("    name = \"%s\";\n", fx->image);
    g_autofree char *body = config_body(fx, NULL, name_kv);
    g_autofree char *full = g_strdup_printf("%s {\n%s}\n", fx->entry, body);
    const char *strings[] = { full, body };
    for (size_t i = 0; i < G_N_ELEMENTS(strings); i++) {
        vmi_instance_t vmi = NULL;
        assert_ok(NULL, vmi_init_custom(&vmi, VMI_FILE | VMI_INIT_COMPLETE | VMI_CONFIG_STRING,
                                        (vmi_config_t)strings[i]));
        check_kernel(vmi, fx);
        check_processes(vmi, fx->g);
        vmi_destroy(vmi);
    }

    /* the classic GHashTable: char * for string keys, uint64_t * for numbers */
    GHashTable *config = g_hash_table_new(g_str_hash, g_str_equal);
    uint64_t offs[] = { fx->g->off.tasks, fx->g->off.mm, fx->g->off.pid, fx->g->off.name,
                        fx->g->off.pgd };
    g_hash_table_insert(config, "name", fx->image);
    g_hash_table_insert(config, "ostype", "Linux");
    g_hash_table_insert(config, "sysmap", fx->sysmap);
    g_hash_table_insert(config, "linux_tasks", &offs[0]);
    g_hash_table_insert(config, "linux_mm", &offs[1]);
    g_hash_table_insert(config, "linux_pid", &offs[2]);
    g_hash_table_insert(config, "linux_name", &offs[3]);
    g_hash_table_insert(config, "linux_pgd", &offs[4]);
    vmi_instance_t vmi = NULL;
    assert_ok(NULL, vmi_init_custom(&vmi, VMI_AUTO | VMI_INIT_COMPLETE | VMI_CONFIG_GHASHTABLE,
                                    config));
    check_kernel(vmi, fx);
    check_processes(vmi, fx->g);
    vmi_destroy(vmi);

    /* a config string that names no guest */
    g_autofree char *nameless = config_body(fx, NULL, NULL);
    g_assert_cmpint(vmi_init_custom(&vmi, VMI_FILE | VMI_INIT_COMPLETE | VMI_CONFIG_STRING,
                                    nameless), ==, VMI_FAILURE);
    assert_error_has(NULL, "names no guest");
    g_hash_table_unref(config);
}

static void test_init_partial_then_complete(void)
{
    const fixture_t *fx = &fx64;
    g_autofree char *body = config_body(fx, NULL, NULL);

    for (int how = 0; how < 4; how++) {
        vmi_instance_t vmi = NULL;
        if (how == 0)
            set_conf(fx, fx->entry, NULL, NULL);
        else
            no_conf();
        assert_ok(NULL, vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL, fx->image));
        /* physical access only */
        g_assert_cmpint(vmi_get_page_mode(vmi), ==, VMI_PM_UNKNOWN);
        g_assert_cmpint(vmi_get_ostype(vmi), ==, VMI_OS_UNKNOWN);
        g_assert_cmphex(vmi_translate_kv2p(vmi, fx->g->virt_text), ==, 0);
        g_assert_cmphex(vmi_translate_ksym2v(vmi, "_text"), ==, 0);
        g_assert_null(vmi_get_kernel_version(vmi));
        assert_error_has(vmi, "Linux OS layer");
        char *s = vmi_read_str_pa(vmi, synth_sym_pa(fx->g, "linux_banner"));
        g_assert_cmpstr(s, ==, fx->g->banner);
        free(s);
        vmi_process_t *list;
        size_t count;
        g_assert_cmpint(vmi_get_processes(vmi, &list, &count), ==, VMI_FAILURE);

        GHashTable *table = NULL;
        uint64_t offs[] = { fx->g->off.tasks, fx->g->off.mm, fx->g->off.pid, fx->g->off.name,
                            fx->g->off.pgd };
        switch (how) {
        case 0:
            assert_ok(vmi, vmi_init_complete(&vmi, NULL));
            break;
        case 1:
            assert_ok(vmi, vmi_init_complete(&vmi, body));
            break;
        case 2:
            assert_ok(vmi, vmi_init_complete_custom(&vmi, VMI_CONFIG_STRING, body));
            break;
        case 3:
            table = g_hash_table_new(g_str_hash, g_str_equal);
            g_hash_table_insert(table, "sysmap", fx->sysmap);
            g_hash_table_insert(table, "ostype", "Linux");
            g_hash_table_insert(table, "linux_tasks", &offs[0]);
            g_hash_table_insert(table, "linux_mm", &offs[1]);
            g_hash_table_insert(table, "linux_pid", &offs[2]);
            g_hash_table_insert(table, "linux_name", &offs[3]);
            g_hash_table_insert(table, "linux_pgd", &offs[4]);
            assert_ok(vmi, vmi_init_complete_custom(&vmi, VMI_CONFIG_GHASHTABLE, table));
            g_hash_table_unref(table);
            break;
        }
        check_kernel(vmi, fx);
        check_processes(vmi, fx->g);
        g_assert_cmpint(vmi_init_complete(&vmi, NULL), ==, VMI_FAILURE);
        assert_error_has(vmi, "already");
        vmi_destroy(vmi);
    }

    /* a failed completion leaves a usable partial instance */
    vmi_instance_t vmi = NULL;
    no_conf();
    assert_ok(NULL, vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL, fx->image));
    g_assert_cmpint(vmi_init_complete(&vmi, NULL), ==, VMI_FAILURE);
    assert_error_has(vmi, "no configuration");
    uint64_t j = 0;
    assert_ok(vmi, vmi_read_64_pa(vmi, synth_sym_pa(fx->g, "jiffies"), &j));
    g_assert_cmphex(j, ==, 0x00000001fffb6c20ull);
    assert_ok(vmi, vmi_init_complete(&vmi, body));
    check_kernel(vmi, fx);
    vmi_destroy(vmi);
}

/* ------------------------------------------------------------ 4: reads */

static void test_processes(void)
{
    vmi_instance_t vmi = open_guest(&fx64, NULL, NULL);
    check_processes(vmi, fx64.g);
    vmi_destroy(vmi);
}

static void test_reads(void)
{
    const synth_t *g = fx64.g;
    vmi_instance_t vmi = open_guest(&fx64, NULL, NULL);
    uint64_t jpa = synth_sym_pa(g, "jiffies"), jva = synth_sym_va(g, "jiffies");
    const uint8_t *j = g->mem + jpa;
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    addr_t va;

    /* every width by physical, virtual address and symbol, at an odd offset too */
    for (uint64_t d = 0; d < 8; d += 3) {
        uint8_t e8 = j[d];
        uint16_t e16;
        uint32_t e32;
        uint64_t e64;
        memcpy(&e16, j + d, 2);
        memcpy(&e32, j + d, 4);
        memcpy(&e64, j + d, 8);
        assert_ok(vmi, vmi_read_8_pa(vmi, jpa + d, &v8));
        g_assert_cmphex(v8, ==, e8);
        assert_ok(vmi, vmi_read_16_pa(vmi, jpa + d, &v16));
        g_assert_cmphex(v16, ==, e16);
        assert_ok(vmi, vmi_read_32_pa(vmi, jpa + d, &v32));
        g_assert_cmphex(v32, ==, e32);
        assert_ok(vmi, vmi_read_64_pa(vmi, jpa + d, &v64));
        g_assert_cmphex(v64, ==, e64);
        assert_ok(vmi, vmi_read_addr_pa(vmi, jpa + d, &va));
        g_assert_cmphex(va, ==, e64);
        assert_ok(vmi, vmi_read_8_va(vmi, jva + d, 0, &v8));
        g_assert_cmphex(v8, ==, e8);
        assert_ok(vmi, vmi_read_16_va(vmi, jva + d, 0, &v16));
        g_assert_cmphex(v16, ==, e16);
        assert_ok(vmi, vmi_read_32_va(vmi, jva + d, 0, &v32));
        g_assert_cmphex(v32, ==, e32);
        assert_ok(vmi, vmi_read_64_va(vmi, jva + d, 0, &v64));
        g_assert_cmphex(v64, ==, e64);
        assert_ok(vmi, vmi_read_addr_va(vmi, jva + d, 0, &va));
        g_assert_cmphex(va, ==, e64);
    }
    assert_ok(vmi, vmi_read_8_ksym(vmi, "jiffies", &v8));
    g_assert_cmphex(v8, ==, 0x20);
    assert_ok(vmi, vmi_read_16_ksym(vmi, "jiffies", &v16));
    g_assert_cmphex(v16, ==, 0x6c20);
    assert_ok(vmi, vmi_read_32_ksym(vmi, "jiffies", &v32));
    g_assert_cmphex(v32, ==, 0xfffb6c20);
    assert_ok(vmi, vmi_read_64_ksym(vmi, "jiffies_64", &v64));
    g_assert_cmphex(v64, ==, 0x00000001fffb6c20ull);
    assert_ok(vmi, vmi_read_addr_ksym(vmi, "jiffies", &va));
    g_assert_cmphex(va, ==, 0x00000001fffb6c20ull);

    /* buffers: kernel reads across the 2 MiB page of the image, by symbol */
    uint8_t buf[256];
    uint64_t edge = g->virt_text + (2ull << 20) - 100;
    g_assert_cmpuint(vmi_read_va(vmi, edge, 0, buf, sizeof(buf)), ==, sizeof(buf));
    g_assert_cmpmem(buf, sizeof(buf), g->mem + g->phys_text + (2ull << 20) - 100, sizeof(buf));
    g_assert_cmpuint(vmi_read_ksym(vmi, "linux_banner", buf, 14), ==, 14);
    g_assert_cmpmem(buf, 14, "Linux version ", 14);
    g_assert_cmpuint(vmi_read_pa(vmi, g->mem_size - 10, buf, 100), ==, 10);
    assert_error_has(vmi, "not backed");
    g_assert_cmpint(vmi_read_64_pa(vmi, g->mem_size - 4, &v64), ==, VMI_FAILURE);

    /* strings */
    char *s = vmi_read_str_ksym(vmi, "linux_banner");
    g_assert_cmpstr(s, ==, g->banner);
    free(s);
    s = vmi_read_str_va(vmi, synth_sym_va(g, "linux_banner"), 0);
    g_assert_cmpstr(s, ==, g->banner);
    free(s);
    s = vmi_read_str_pa(vmi, synth_sym_pa(g, "linux_banner"));
    g_assert_cmpstr(s, ==, g->banner);
    free(s);
    s = vmi_read_str_va(vmi, g->tasks[0].task_va + g->off.name, 0);
    g_assert_cmpstr(s, ==, "swapper/0");
    free(s);

    /* failures: unknown symbol, unmapped kernel address */
    g_assert_null(vmi_read_str_ksym(vmi, "no_such_symbol"));
    assert_error_has(vmi, "no_such_symbol");
    g_assert_cmphex(vmi_translate_ksym2v(vmi, "no_such_symbol"), ==, 0);
    g_assert_cmpint(vmi_read_64_ksym(vmi, "no_such_symbol", &v64), ==, VMI_FAILURE);
    g_assert_cmpuint(vmi_read_va(vmi, g->unmapped_kva, 0, buf, 8), ==, 0);
    g_assert_cmphex(vmi_translate_kv2p(vmi, g->unmapped_kva), ==, 0);
    g_assert_null(vmi_read_str_va(vmi, g->unmapped_kva, 0));
    g_assert_cmphex(vmi_translate_kv2p(vmi, 0x0000800000000000ull), ==, 0);   /* non-canonical */

    /* the symbol map answers addresses too */
    g_assert_cmpstr(vmi_translate_v2sym(vmi, g->virt_text, 0, synth_sym_off(g, "init_task")), ==,
                    "init_task");
    g_assert_cmpstr(vmi_translate_v2sym(vmi, 0, 0, jva), ==, "jiffies");
    g_assert_null(vmi_translate_v2sym(vmi, 0, 0, jva + 1));
    vmi_destroy(vmi);
}

/* ------------------------------------------------------------ 5: writes */

static void pread_exact(const char *path, uint64_t off, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, (off_t)off), ==, (ssize_t)len);
    close(fd);
}

static void test_writes(void)
{
    const synth_t *g = fx64.g;
    const synth_task_t *u = first_task(g, true, 2);
    g_autofree char *wimage = write_image(g, "writable.raw");
    uint64_t jpa = synth_sym_pa(g, "jiffies"), jva = synth_sym_va(g, "jiffies");
    uint8_t v8 = 0xa5;
    uint16_t v16 = 0xbeef;
    uint32_t v32 = 0xdeadbeef;
    uint64_t v64 = 0x0123456789abcdefull;
    char msg[] = "written by test-linux";

    /* read-only: every write fails, with the reason, and the file stays */
    vmi_instance_t vmi = open_guest(&fx64, wimage, NULL);
    uint8_t before[64], after[64];
    pread_exact(wimage, jpa, before, sizeof(before));
    g_assert_cmpint(vmi_write_8_pa(vmi, jpa, &v8), ==, VMI_FAILURE);
    assert_error_has(vmi, "read-only");
    g_assert_cmpint(vmi_write_16_pa(vmi, jpa, &v16), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_write_32_pa(vmi, jpa, &v32), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_write_64_pa(vmi, jpa, &v64), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_write_8_va(vmi, jva, 0, &v8), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_write_16_va(vmi, jva, 0, &v16), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_write_32_va(vmi, jva, 0, &v32), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_write_64_va(vmi, jva, 0, &v64), ==, VMI_FAILURE);
    assert_error_has(vmi, "read-only");
    g_assert_cmpint(vmi_write_8_ksym(vmi, "jiffies", &v8), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_write_16_ksym(vmi, "jiffies", &v16), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_write_32_ksym(vmi, "jiffies", &v32), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_write_64_ksym(vmi, "jiffies", &v64), ==, VMI_FAILURE);
    assert_error_has(vmi, "read-only");
    g_assert_cmpuint(vmi_write_pa(vmi, jpa, msg, sizeof(msg)), ==, 0);
    g_assert_cmpuint(vmi_write_va(vmi, jva, 0, msg, sizeof(msg)), ==, 0);
    g_assert_cmpuint(vmi_write_ksym(vmi, "jiffies", msg, sizeof(msg)), ==, 0);
    g_assert_cmpuint(vmi_write_va(vmi, g->user_text_va, u->pid, msg, sizeof(msg)), ==, 0);
    assert_error_has(vmi, "read-only");
    uint64_t j;
    assert_ok(vmi, vmi_read_64_ksym(vmi, "jiffies", &j));
    g_assert_cmphex(j, ==, 0x00000001fffb6c20ull);
    vmi_destroy(vmi);
    pread_exact(wimage, jpa, after, sizeof(after));
    g_assert_cmpmem(before, sizeof(before), after, sizeof(after));
    pread_exact(wimage, u->upage_pa[0], after, sizeof(after));
    g_assert_cmpmem(g->mem + u->upage_pa[0], sizeof(after), after, sizeof(after));

    /* writable = 1: each kind lands in the file */
    vmi = open_guest(&fx64, wimage, "    writable = 1;\n");
    assert_ok(vmi, vmi_write_8_pa(vmi, jpa + 0x10, &v8));
    assert_ok(vmi, vmi_write_16_pa(vmi, jpa + 0x12, &v16));
    assert_ok(vmi, vmi_write_32_pa(vmi, jpa + 0x14, &v32));
    assert_ok(vmi, vmi_write_64_pa(vmi, jpa + 0x18, &v64));
    assert_ok(vmi, vmi_write_8_va(vmi, jva + 0x20, 0, &v8));
    assert_ok(vmi, vmi_write_16_va(vmi, jva + 0x22, 0, &v16));
    assert_ok(vmi, vmi_write_32_va(vmi, jva + 0x24, 0, &v32));
    assert_ok(vmi, vmi_write_64_va(vmi, jva + 0x28, 0, &v64));
    assert_ok(vmi, vmi_write_64_ksym(vmi, "jiffies", &v64));
    assert_ok(vmi, vmi_write_32_ksym(vmi, "jiffies", &v32));
    assert_ok(vmi, vmi_write_16_ksym(vmi, "jiffies", &v16));
    assert_ok(vmi, vmi_write_8_ksym(vmi, "jiffies", &v8));
    g_assert_cmpuint(vmi_write_pa(vmi, jpa + 0x30, msg, sizeof(msg)), ==, sizeof(msg));
    g_assert_cmpuint(vmi_write_ksym(vmi, "jiffies_64", msg, 4), ==, 4);     /* = jiffies */
    /* a user write across the page boundary of two distant frames */
    g_assert_cmpuint(vmi_write_va(vmi, g->user_text_va + PAGE - 8, u->pid, msg, sizeof(msg)), ==,
                     sizeof(msg));
    /* and one that stops at the unmapped page */
    g_assert_cmpuint(vmi_write_va(vmi, g->user_text_va + 2 * PAGE - 4, u->pid, msg, sizeof(msg)),
                     ==, 4);
    /* the instance sees its writes */
    assert_ok(vmi, vmi_read_64_pa(vmi, jpa + 0x28, &j));
    g_assert_cmphex(j, ==, v64);
    vmi_destroy(vmi);

    /* what the file holds, independently of the library */
    uint8_t expect[0x50];
    memcpy(expect, g->mem + jpa, sizeof(expect));
    /* jiffies[0..7] got 64, 32, 16 and 8 bits, then msg[0..3] */
    memcpy(expect, &v64, 8);
    memcpy(expect, &v32, 4);
    memcpy(expect, &v16, 2);
    memcpy(expect, &v8, 1);
    memcpy(expect, msg, 4);
    expect[0x10] = v8;
    memcpy(expect + 0x12, &v16, 2);
    memcpy(expect + 0x14, &v32, 4);
    memcpy(expect + 0x18, &v64, 8);
    expect[0x20] = v8;
    memcpy(expect + 0x22, &v16, 2);
    memcpy(expect + 0x24, &v32, 4);
    memcpy(expect + 0x28, &v64, 8);
    memcpy(expect + 0x30, msg, sizeof(msg));
    uint8_t got[sizeof(expect)];
    pread_exact(wimage, jpa, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), expect, sizeof(expect));
    pread_exact(wimage, u->upage_pa[0] + PAGE - 8, got, 8);
    g_assert_cmpmem(got, 8, msg, 8);
    pread_exact(wimage, u->upage_pa[1], got, sizeof(msg) - 8);
    g_assert_cmpmem(got, sizeof(msg) - 8, msg + 8, sizeof(msg) - 8);
    pread_exact(wimage, u->upage_pa[1] + PAGE - 4, got, 4);
    g_assert_cmpmem(got, 4, msg, 4);

    /* a fresh instance reads them back */
    vmi = open_guest(&fx64, wimage, NULL);
    assert_ok(vmi, vmi_read_64_va(vmi, jva + 0x18, 0, &j));
    g_assert_cmphex(j, ==, v64);
    uint8_t b8;
    assert_ok(vmi, vmi_read_8_ksym(vmi, "jiffies", &b8));
    g_assert_cmphex(b8, ==, (uint8_t)msg[0]);
    char *s = vmi_read_str_va(vmi, g->user_text_va + PAGE - 8, u->pid);
    g_assert_cmpstr(s, ==, msg);
    free(s);
    s = vmi_read_str_ksym(vmi, "linux_banner");
    g_assert_cmpstr(s, ==, g->banner);
    free(s);
    vmi_destroy(vmi);
    g_unlink(wimage);
}

/* ------------------------------------------------------------ 6: direct pointers */

static void test_direct_access(void)
{
    const synth_t *g = fx64.g;
    const synth_task_t *u = first_task(g, true, 1);
    vmi_instance_t vmi = open_guest(&fx64, NULL, NULL);
    void *p = NULL;
    uint8_t buf[0x100];

    uint64_t bpa = synth_sym_pa(g, "linux_banner");
    g_assert_cmpuint(vmi_get_dgpma(vmi, bpa, &p, 0x40), ==, 0x40);
    g_assert_cmpuint(vmi_read_pa(vmi, bpa, buf, 0x40), ==, 0x40);
    g_assert_cmpmem(p, 0x40, buf, 0x40);
    g_assert_cmpmem(p, 0x40, g->mem + bpa, 0x40);
    /* a raw image is one range: the pointer may run to the end of memory */
    g_assert_cmpuint(vmi_get_dgpma(vmi, g->mem_size - 0x10, &p, 0x100), ==, 0x10);
    p = NULL;
    g_assert_cmpuint(vmi_get_dgpma(vmi, g->mem_size, &p, 0x10), ==, 0);
    g_assert_null(p);

    /* by virtual address: limited to the page */
    g_assert_cmpuint(vmi_get_dgvma(vmi, g->user_text_va + 0xff0, u->pid, &p, 0x100), ==, 0x10);
    g_assert_cmpmem(p, 0x10, g->mem + u->upage_pa[0] + 0xff0, 0x10);
    g_assert_cmpuint(vmi_read_va(vmi, g->user_text_va + 0xff0, u->pid, buf, 0x10), ==, 0x10);
    g_assert_cmpmem(p, 0x10, buf, 0x10);
    uint64_t bva = synth_sym_va(g, "linux_banner");
    g_assert_cmpuint(vmi_get_dgvma(vmi, bva, 0, &p, 0x20), ==, 0x20);
    g_assert_cmpstr(p, ==, g->banner);
    g_assert_cmpuint(vmi_get_dgvma(vmi, g->unmapped_kva, 0, &p, 0x20), ==, 0);
    g_assert_cmpuint(vmi_get_dgvma(vmi, g->user_text_va + 2 * PAGE, u->pid, &p, 0x20), ==, 0);
    vmi_destroy(vmi);
}

/* ------------------------------------------------------------ 7: caches */

static void test_caches(void)
{
    const synth_t *g = fx64.g;
    vmi_instance_t vmi = open_guest(&fx64, NULL, NULL);
    uint64_t jva = synth_sym_va(g, "jiffies"), jpa = synth_sym_pa(g, "jiffies");
    uint64_t bogus = synth_sym_pa(g, "linux_banner") & ~(PAGE - 1);
    addr_t kdtb = vmi_pid_to_dtb(vmi, 0);
    g_assert_cmphex(kdtb, ==, g->kdtb);

    /* v2p: the cache is trusted, a flush forgets */
    g_assert_cmphex(vmi_translate_kv2p(vmi, jva + 8), ==, jpa + 8);
    vmi_v2pcache_add(vmi, jva & ~(PAGE - 1), kdtb, bogus);
    g_assert_cmphex(vmi_translate_kv2p(vmi, jva + 8), ==, bogus + ((jva + 8) & (PAGE - 1)));
    vmi_v2pcache_flush(vmi);
    g_assert_cmphex(vmi_translate_kv2p(vmi, jva + 8), ==, jpa + 8);

    /* pid -> dtb */
    vmi_pidcache_add(vmi, 4242, 0x1234000);
    g_assert_cmphex(vmi_pid_to_dtb(vmi, 4242), ==, 0x1234000);
    g_assert_cmpint(vmi_dtb_to_pid(vmi, 0x1234000), ==, 4242);
    vmi_pidcache_flush(vmi);
    g_assert_cmphex(vmi_pid_to_dtb(vmi, 4242), ==, 0);
    g_assert_cmpint(vmi_dtb_to_pid(vmi, 0x1234000), ==, -1);
    const synth_task_t *u = first_task(g, true, 0);
    g_assert_cmphex(vmi_pid_to_dtb(vmi, u->pid), ==, u->dtb);

    /* symbols: an added one, one that overrides the map, a flush */
    vmi_symcache_add(vmi, 0, 0, "synth_fake", 0xffffffff8badf00dull);
    g_assert_cmphex(vmi_translate_ksym2v(vmi, "synth_fake"), ==, 0xffffffff8badf00dull);
    g_assert_cmphex(vmi_translate_ksym2v(vmi, "jiffies"), ==, jva);
    vmi_symcache_add(vmi, 0, 0, "jiffies", g->virt_text + 0x30);
    g_assert_cmphex(vmi_translate_ksym2v(vmi, "jiffies"), ==, g->virt_text + 0x30);
    vmi_symcache_flush(vmi);
    g_assert_cmphex(vmi_translate_ksym2v(vmi, "jiffies"), ==, jva);
    g_assert_cmphex(vmi_translate_ksym2v(vmi, "synth_fake"), ==, 0);
    vmi_symcache_add(vmi, 0x400000, u->pid, "synth_export", 0x401234);
    g_assert_cmphex(vmi_translate_sym2v(vmi, 0x400000, u->pid, "synth_export"), ==, 0x401234);

    /* rva -> symbol */
    vmi_rvacache_add(vmi, 0x400000, u->pid, 0x1234, "synth_export");
    g_assert_cmpstr(vmi_translate_v2sym(vmi, 0x400000, u->pid, 0x1234), ==, "synth_export");
    g_assert_null(vmi_translate_v2sym(vmi, 0x400000, u->pid, 0x1238));
    vmi_rvacache_flush(vmi);
    g_assert_null(vmi_translate_v2sym(vmi, 0x400000, u->pid, 0x1234));
    vmi_destroy(vmi);
}

/* ------------------------------------------------------------ 8: hex dumps */

static int capture_fd = -1, saved_stdout = -1;

static void capture_begin(void)
{
    g_autofree char *path = tmp_path("stdout.txt");
    fflush(stdout);
    capture_fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
    g_assert_cmpint(capture_fd, >=, 0);
    saved_stdout = dup(STDOUT_FILENO);
    g_assert_cmpint(dup2(capture_fd, STDOUT_FILENO), ==, STDOUT_FILENO);
}

static char *capture_end(void)
{
    fflush(stdout);
    g_assert_cmpint(dup2(saved_stdout, STDOUT_FILENO), ==, STDOUT_FILENO);
    close(saved_stdout);
    close(capture_fd);
    g_autofree char *path = tmp_path("stdout.txt");
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static void test_print_hex(void)
{
    const synth_t *g = fx64.g;
    unsigned char data[] = "Hello, world!\n\0\xff" "ABCD";   /* 20 bytes + NUL */
    capture_begin();
    vmi_print_hex(data, 20);
    char *out = capture_end();
    g_assert_cmpstr(out, ==,
                    "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 ff  |Hello, world!...|\n"
                    "00000010  41 42 43 44                                       |ABCD|\n");
    g_free(out);
    capture_begin();
    vmi_print_hex(data, 0);
    out = capture_end();
    g_assert_cmpstr(out, ==, "");
    g_free(out);

    vmi_instance_t vmi = open_guest(&fx64, NULL, NULL);
    static const char banner_line[] =
        "00000000  4c 69 6e 75 78 20 76 65  72 73 69 6f 6e 20 36 2e  |Linux version 6.|\n";
    capture_begin();
    vmi_print_hex_ksym(vmi, "linux_banner", 16);
    vmi_print_hex_va(vmi, synth_sym_va(g, "linux_banner"), 0, 16);
    vmi_print_hex_pa(vmi, synth_sym_pa(g, "linux_banner"), 16);
    out = capture_end();
    g_autofree char *three = g_strdup_printf("%s%s%s", banner_line, banner_line, banner_line);
    g_assert_cmpstr(out, ==, three);
    g_free(out);

    /* a user page, compared with the dump of what the generator wrote */
    const synth_task_t *u = first_task(g, true, 0);
    capture_begin();
    vmi_print_hex((unsigned char *)g->mem + u->upage_pa[2], 100);
    char *want = capture_end();
    capture_begin();
    vmi_print_hex_va(vmi, g->user_stack_va, u->pid, 100);
    out = capture_end();
    g_assert_cmpstr(out, ==, want);
    g_assert_cmpuint(strlen(out), ==, 6 * 79 + 67);  /* 6 full lines, one of 4 bytes */
    g_free(out);
    g_free(want);
    vmi_destroy(vmi);
}

/* ------------------------------------------------------------ 9: UNICODE_STRING */

static void check_unicode(vmi_instance_t vmi, const synth_t *g)
{
    unicode_string_t *us = vmi_read_unicode_str_va(vmi, synth_sym_va(g, "synth_ustr"), 0);
    g_assert_nonnull(us);
    g_assert_cmpuint(us->length, ==, 10);
    static const uint8_t utf16[] = { 'G', 0, 'r', 0, 0xfc, 0, 0xdf, 0, 'e', 0 };
    g_assert_cmpmem(us->contents, us->length, utf16, sizeof(utf16));
    unicode_string_t out = { 0 };
    assert_ok(vmi, vmi_convert_str_encoding(us, &out, "UTF-8"));
    g_assert_cmpuint(out.length, ==, strlen("Gr\xc3\xbc\xc3\x9f" "e"));
    g_assert_cmpstr((char *)out.contents, ==, "Gr\xc3\xbc\xc3\x9f" "e");
    g_assert_cmpstr(out.encoding, ==, "UTF-8");
    free(out.contents);
    vmi_free_unicode_str(us);
    vmi_free_unicode_str(NULL);
    g_assert_null(vmi_read_unicode_str_va(vmi, g->unmapped_kva, 0));
}

static void test_unicode(void)
{
    vmi_instance_t vmi = open_guest(&fx64, NULL, NULL);
    check_unicode(vmi, fx64.g);
    vmi_destroy(vmi);
}

/* ------------------------------------------------------------ 10: bad input */

static void test_bad_task_list(void)
{
    /* task 5's next points back at task 3: a loop that never reaches init_task */
    synth_t *g = synth_new(SYNTH_IA32E, NTASKS);
    fixture_t fx = { g, NULL, fx64.sysmap, "loop" };
    synth_write_ptr(g, g->tasks[5].task_pa + g->off.tasks, g->tasks[3].task_va + g->off.tasks);
    fx.image = write_image(g, "loop.raw");
    vmi_instance_t vmi = open_guest(&fx, NULL, NULL);
    vmi_process_t *list = (vmi_process_t *)0x1;
    size_t count = 77;
    g_assert_cmpint(vmi_get_processes(vmi, &list, &count), ==, VMI_FAILURE);
    assert_error_has(vmi, "loops");
    g_assert_cmphex(vmi_pid_to_dtb(vmi, 999999), ==, 0);
    assert_error_has(vmi, "loops");
    /* what lies before the loop is still found */
    g_assert_cmphex(vmi_pid_to_dtb(vmi, g->tasks[4].pid), ==, g->tasks[4].dtb);
    vmi_destroy(vmi);
    g_unlink(fx.image);
    g_free(fx.image);

    /* task 9's next points at unmapped memory */
    synth_write_ptr(g, g->tasks[5].task_pa + g->off.tasks, g->tasks[6].task_va + g->off.tasks);
    synth_write_ptr(g, g->tasks[9].task_pa + g->off.tasks, g->unmapped_kva);
    fx.image = write_image(g, "broken.raw");
    vmi = open_guest(&fx, NULL, NULL);
    g_assert_cmpint(vmi_get_processes(vmi, &list, &count), ==, VMI_FAILURE);
    assert_error_has(vmi, "broken");
    g_autofree char *where = g_strdup_printf("%" G_GINT64_MODIFIER "x", (guint64)g->unmapped_kva);
    g_assert_nonnull(strstr(vmi_get_last_error(vmi), where));
    g_assert_cmphex(vmi_pid_to_dtb(vmi, g->tasks[8].pid), ==, g->tasks[8].dtb);
    vmi_destroy(vmi);
    g_unlink(fx.image);
    g_free(fx.image);

    /* init_task.tasks.next is NULL: refused at init, the offsets cannot be checked */
    synth_write_ptr(g, g->tasks[9].task_pa + g->off.tasks, g->tasks[10].task_va + g->off.tasks);
    synth_write_ptr(g, g->tasks[0].task_pa + g->off.tasks, 0);
    fx.image = write_image(g, "nulllist.raw");
    set_conf(&fx, "nulllist", NULL, NULL);
    init_fails(fx.image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "linux_tasks");
    g_unlink(fx.image);
    g_free(fx.image);
    synth_free(g);
}

static void test_bad_offsets(void)
{
    fixture_t *fx = &fx64;
    synth_offsets_t saved = fx->g->off;
    /* linux_name off by 8: init_task's name is not "swapper" */
    fx->g->off.name += 8;
    set_conf(fx, fx->entry, NULL, NULL);
    fx->g->off = saved;
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "offsets do not fit");
    assert_error_has(NULL, "linux_name");
    /* linux_pid wrong */
    fx->g->off.pid += 4;
    set_conf(fx, fx->entry, NULL, NULL);
    fx->g->off = saved;
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "linux_pid");
    /* one offset missing */
    g_autofree char *text = g_strdup_printf("%s {\n ostype = \"Linux\"; sysmap = \"%s\";\n"
                                            " linux_tasks = 0x%" PRIx64 "; linux_mm = 0x%" PRIx64
                                            "; linux_pid = 0x%" PRIx64 "; linux_name = 0x%" PRIx64
                                            ";\n}\n", fx->entry, fx->sysmap, saved.tasks,
                                            saved.mm, saved.pid, saved.name);
    set_conf_text(text);
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "missing linux_pgd");
    /* no offsets at all: the kernel is found, listing processes says what is missing */
    g_autofree char *bare = g_strdup_printf("%s { ostype = \"Linux\"; sysmap = \"%s\"; }\n",
                                            fx->entry, fx->sysmap);
    set_conf_text(bare);
    vmi_instance_t vmi = NULL;
    assert_ok(NULL, vmi_init(&vmi, VMI_FILE | VMI_INIT_COMPLETE, fx->image));
    g_assert_cmphex(vmi_get_kaslr_offset(vmi), ==, fx->g->slide);
    /* an absolute ('A') symbol of the map is not slid, a data one is */
    g_assert_cmphex(fx->g->slide, !=, 0);
    g_assert_cmphex(vmi_translate_ksym2v(vmi, "cpu_debug_store"), ==, 0x1000);
    g_assert_cmphex(vmi_translate_ksym2v(vmi, "init_task"), ==, fx->g->tasks[0].task_va);
    vmi_process_t *list;
    size_t count;
    g_assert_cmpint(vmi_get_processes(vmi, &list, &count), ==, VMI_FAILURE);
    assert_error_has(vmi, "linux_pgd");
    vmi_destroy(vmi);
}

static void test_bad_sysmap(void)
{
    fixture_t *fx = &fx64;
    g_autofree char *missing = tmp_path("no-such-System.map");
    set_conf(fx, fx->entry, missing, NULL);
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "cannot open System.map");
    assert_error_has(NULL, "no-such-System.map");

    /* another kernel's map: the banner is elsewhere */
    g_autofree char *text = synth_sysmap(fx->g, 0x1230);
    g_autofree char *other = write_text("System.map-other", text);
    set_conf(fx, fx->entry, other, NULL);
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "not in this guest's memory");
    /* moved by 2 MiB the banner is found (as a kernel loaded 2 MiB lower), but
     * the page directory there maps nothing */
    g_autofree char *text2m = synth_sysmap(fx->g, 0x200000);
    g_autofree char *other2m = write_text("System.map-other2m", text2m);
    set_conf(fx, fx->entry, other2m, NULL);
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "does not map it");
    /* moved by 8 KiB: no candidate, a 64-bit kernel loads 2 MiB aligned */
    g_autofree char *text8k = synth_sysmap(fx->g, 0x2000);
    g_autofree char *other8k = write_text("System.map-other8k", text8k);
    set_conf(fx, fx->entry, other8k, NULL);
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "not in this guest's memory");
    /* a 32-bit kernel may load 8 KiB aligned: found there, then passed over */
    g_autofree char *text8kp = synth_sysmap(fxpae.g, 0x2000);
    g_autofree char *other8kp = write_text("System.map-other8k-pae", text8kp);
    set_conf(&fxpae, fxpae.entry, other8kp, NULL);
    init_fails(fxpae.image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "does not map it");

    /* not a System.map at all */
    g_autofree char *junk = write_text("System.map-junk", "this is not\na symbol map\n");
    set_conf(fx, fx->entry, junk, NULL);
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "_text");

    /* an empty one */
    g_autofree char *empty = write_text("System.map-empty", "");
    set_conf(fx, fx->entry, empty, NULL);
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "System.map-empty");
}

static void test_bad_config(void)
{
    fixture_t *fx = &fx64;
    g_autofree char *text = g_strdup_printf("%s {\n    ostype = \"Linux\";\n    sysmap = ;\n}\n",
                                            fx->entry);
    set_conf_text(text);
    const char *conf = g_getenv("LIBVMI_CONF");
    g_autofree char *where = g_strdup_printf("%s:3", conf);
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, where);
    /* even PARTIAL refuses a broken config file */
    init_fails(fx->image, VMI_INIT_PARTIAL);
    assert_error_has(NULL, where);

    /* a known key with the wrong type */
    g_autofree char *typed = g_strdup_printf("%s {\n  ostype = \"Linux\";\n  sysmap = \"%s\";\n"
                                             "  linux_tasks = \"0x8b8\";\n}\n", fx->entry,
                                             fx->sysmap);
    set_conf_text(typed);
    g_autofree char *where4 = g_strdup_printf("%s:4", g_getenv("LIBVMI_CONF"));
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, where4);
    assert_error_has(NULL, "linux_tasks");

    /* an OS this library does not know */
    g_autofree char *win = g_strdup_printf("%s { ostype = \"Windows\"; }\n", fx->entry);
    set_conf_text(win);
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "Windows");
}

static void test_bad_kaslr_pins(void)
{
    fixture_t *fx = &fx64;
    const synth_t *g = fx->g;
    g_autofree char *right = g_strdup_printf("    linux_kaslr = 0x%" PRIx64 ";\n"
                                             "    linux_kaslr_phys = 0x%" PRIx64 ";\n",
                                             g->slide, g->phys_text);
    vmi_instance_t vmi = open_guest(fx, NULL, right);
    check_kernel(vmi, fx);
    vmi_destroy(vmi);

    g_autofree char *wrong = g_strdup_printf("    linux_kaslr = 0x%" PRIx64 ";\n",
                                             g->slide + (uint64_t)(2 << 20));
    set_conf(fx, fx->entry, NULL, wrong);
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "linux_kaslr");
    assert_error_has(NULL, "does not match");

    g_autofree char *wrong_phys = g_strdup_printf("    linux_kaslr_phys = 0x%" PRIx64 ";\n",
                                                  g->phys_text + (uint64_t)(2 << 20));
    set_conf(fx, fx->entry, NULL, wrong_phys);
    init_fails(fx->image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "linux_kaslr_phys");
}

static void test_bad_page_tables(void)
{
    /* random bytes over the kernel's PML4 */
    synth_t *g = synth_new(SYNTH_IA32E, NTASKS);
    GRand *r = g_rand_new_with_seed(SYNTH_SEED + 1);
    uint8_t *p = synth_ptr(g, g->kdtb, PAGE);
    for (size_t i = 0; i < PAGE; i++)
        p[i] = (uint8_t)g_rand_int_range(r, 0, 256);
    fixture_t fx = { g, NULL, fx64.sysmap, "garbage-pt" };
    fx.image = write_image(g, "garbage-pt.raw");
    set_conf(&fx, fx.entry, NULL, NULL);
    init_fails(fx.image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "page directory");
    vmi_instance_t vmi = NULL;
    assert_ok(NULL, vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL, fx.image));
    vmi_destroy(vmi);
    g_unlink(fx.image);
    g_free(fx.image);

    /* every PML4 entry points at the PML4 itself: walks land on table pages, never loop */
    uint64_t *e = synth_ptr(g, g->kdtb, PAGE);
    for (size_t i = 0; i < 512; i++)
        e[i] = g->kdtb | 0x63;
    fx.image = write_image(g, "selfref-pt.raw");
    set_conf(&fx, "selfref-pt", NULL, NULL);
    init_fails(fx.image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "page directory");
    g_unlink(fx.image);
    g_free(fx.image);
    g_rand_free(r);
    synth_free(g);
}

static void test_bad_random_file(void)
{
    GRand *r = g_rand_new_with_seed(SYNTH_SEED);
    size_t len = 1 << 20;
    uint8_t *junk = g_malloc(len);
    for (size_t i = 0; i < len; i++)
        junk[i] = (uint8_t)g_rand_int_range(r, 0, 256);
    g_autofree char *path = tmp_path("random.raw");
    g_assert_true(g_file_set_contents(path, (char *)junk, (gssize)len, NULL));
    fixture_t fx = { fx64.g, path, fx64.sysmap, "random" };
    set_conf(&fx, fx.entry, NULL, NULL);
    init_fails(path, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "not in this guest's memory");
    vmi_instance_t vmi = NULL;
    assert_ok(NULL, vmi_init(&vmi, VMI_AUTO | VMI_INIT_PARTIAL, path));
    g_assert_cmpuint(vmi_get_memsize(vmi), ==, len);
    uint8_t buf[64];
    g_assert_cmpuint(vmi_read_pa(vmi, 0x1234, buf, sizeof(buf)), ==, sizeof(buf));
    g_assert_cmpmem(buf, sizeof(buf), junk + 0x1234, sizeof(buf));
    /* the rest of the API refuses politely */
    g_assert_cmphex(vmi_translate_kv2p(vmi, 0xffffffff81000000ull), ==, 0);
    g_assert_cmphex(vmi_translate_uv2p(vmi, 0x400000, 1), ==, 0);
    g_assert_cmpuint(vmi_read_va(vmi, 0x400000, 1, buf, 8), ==, 0);
    g_assert_null(vmi_read_str_ksym(vmi, "linux_banner"));
    g_assert_cmphex(vmi_get_kaslr_offset(vmi), ==, 0);
    g_assert_null(vmi_read_unicode_str_va(vmi, 0x1000, 0));
    vmi_destroy(vmi);
    g_free(junk);
    g_rand_free(r);
}

static void test_decoy_banner(void)
{
    /* A stray "Linux version" string (an old boot log, a page cache page)
     * at a lower candidate load address must not hide the kernel: the
     * candidate whose page directory does not map it is passed over. */
    synth_t *g = synth_new(SYNTH_IA32E, NTASKS);
    static const char decoy[] = "Linux version 5.10.0-decoy (someone@elsewhere) #1 SMP";
    g_assert_cmpuint(synth_sym_off(g, "linux_banner") + sizeof(decoy), <, 2u << 20);
    synth_write(g, 0 + synth_sym_off(g, "linux_banner"), decoy, sizeof(decoy));
    fixture_t fx = { g, NULL, fx64.sysmap, "decoy" };
    fx.image = write_image(g, "decoy.raw");
    vmi_instance_t vmi = open_guest(&fx, NULL, NULL);
    g_assert_cmphex(vmi_get_kaslr_offset(vmi), ==, g->slide);
    g_assert_cmphex(vmi_translate_kv2p(vmi, g->virt_text), ==, g->phys_text);
    g_assert_cmphex(vmi_pid_to_dtb(vmi, 0), ==, g->kdtb);
    char *banner = vmi_read_str_ksym(vmi, "linux_banner");
    g_assert_cmpstr(banner, ==, g->banner);
    free(banner);
    vmi_destroy(vmi);
    g_unlink(fx.image);
    g_free(fx.image);
    synth_free(g);
}

/* ------------------------------------------------------------ holes and far segments */

/* An ELF64 core of @g's memory: its RAM as one PT_LOAD (sparse: the pages
 * the generator never wrote stay holes), then one page of 0xcc at physical
 * @far, stored 1 TiB into the file (a hole before it). */
static char *write_elf_far(const synth_t *g, const char *name, uint64_t far)
{
    char *path = tmp_path(name);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    g_assert_cmpint(fd, >=, 0);
    const uint64_t ram_off = PAGE, far_off = 1ull << 40;
    uint8_t hdr[64 + 2 * 56] = { 0 };
    memcpy(hdr, "\x7f" "ELF", 4);
    hdr[4] = 2;                 /* ELFCLASS64 */
    hdr[5] = 1;                 /* little-endian */
    hdr[6] = 1;                 /* EV_CURRENT */
    const uint16_t h16[] = { 4 /* ET_CORE */, 62 /* EM_X86_64 */ };
    memcpy(hdr + 16, h16, sizeof(h16));
    const uint32_t version = 1;
    const uint64_t phoff = 64;
    const uint16_t ph[] = { 64, 56, 2 };       /* e_ehsize, e_phentsize, e_phnum */
    memcpy(hdr + 20, &version, 4);
    memcpy(hdr + 32, &phoff, 8);
    memcpy(hdr + 52, ph, sizeof(ph));
    const struct { uint32_t type, flags; uint64_t off, va, pa, filesz, memsz, align; } loads[] = {
        { 1, 0, ram_off, 0, 0, g->mem_size, g->mem_size, 0 },
        { 1, 0, far_off, far, far, PAGE, PAGE, 0 },
    };
    G_STATIC_ASSERT(sizeof(loads[0]) == 56);
    memcpy(hdr + 64, loads, sizeof(loads));
    g_assert_cmpint(pwrite(fd, hdr, sizeof(hdr), 0), ==, (ssize_t)sizeof(hdr));
    for (size_t p = 0; p < g->mem_size / PAGE; p++)
        if (g->dirty[p])
            g_assert_cmpint(pwrite(fd, g->mem + p * PAGE, PAGE, (off_t)(ram_off + p * PAGE)), ==,
                            (ssize_t)PAGE);
    uint8_t cc[PAGE];
    memset(cc, 0xcc, sizeof(cc));
    g_assert_cmpint(pwrite(fd, cc, PAGE, (off_t)far_off), ==, (ssize_t)PAGE);
    g_assert_cmpint(close(fd), ==, 0);
    return path;
}

static void test_far_segment(void)
{
    /* a page at 2^51: the kernel is found in the RAM, the page is read,
     * and what lies between holds no data */
    synth_t *g = synth_new(SYNTH_IA32E, NTASKS);
    const uint64_t far = 1ull << 51;
    fixture_t fx = { g, NULL, fx64.sysmap, "far" };
    fx.image = write_elf_far(g, "far.elf", far);
    vmi_instance_t vmi = open_guest(&fx, NULL, NULL);
    g_assert_cmphex(vmi_get_kaslr_offset(vmi), ==, g->slide);
    g_assert_cmphex(vmi_translate_kv2p(vmi, g->virt_text), ==, g->phys_text);
    g_assert_cmpuint(vmi_get_memsize(vmi), ==, g->mem_size + PAGE);
    g_assert_cmphex(vmi_get_max_physical_address(vmi), ==, far + PAGE);
    uint8_t b = 0;
    assert_ok(vmi, vmi_read_8_pa(vmi, far + 17, &b));
    g_assert_cmphex(b, ==, 0xcc);
    /* the runs of data: inside the RAM, then the far page, then none */
    addr_t s = 0, e = 0, pa = 0, last = 0;
    unsigned runs = 0;
    while (vmi_get_backed_range(vmi, pa, &s, &e) == VMI_SUCCESS) {
        g_assert_cmphex(s, >=, pa);
        g_assert_cmphex(e, >, s);
        g_assert_true(e <= g->mem_size || (s >= far && e == far + PAGE));
        last = s;
        pa = e;
        runs++;
        g_assert_cmpuint(runs, <, 100000);
    }
    g_assert_cmphex(last, ==, far);
    g_assert_cmphex(pa, ==, far + PAGE);
    assert_error_has(vmi, "no guest memory at or above");
    g_assert_cmpint(vmi_get_backed_range(vmi, g->mem_size + PAGE, &s, &e), ==, VMI_SUCCESS);
    g_assert_cmphex(s, ==, far);
    vmi_destroy(vmi);
    g_unlink(fx.image);
    g_free(fx.image);

    /* the same with the banner wiped: the search for the kernel probes
     * the memory, not 2^51 bytes of address space, and gives up at once
     * (it once probed every 2 MiB, then every 8 KiB, up to 2^51) */
    uint8_t *banner = synth_ptr(g, g->phys_text + synth_sym_off(g, "linux_banner"), 16);
    memset(banner, 0, 16);
    fx.image = write_elf_far(g, "far-nokernel.elf", far);
    set_conf(&fx, "far-nokernel", NULL, NULL);
    init_fails(fx.image, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "not in this guest's memory");
    g_unlink(fx.image);
    g_free(fx.image);
    synth_free(g);
}

static void test_holes(gconstpointer data)
{
    /* 1 TiB of holes (a sparse file of zeros): no kernel, found out at
     * once with a System.map (64-bit and PAE: it once probed every 8 KiB
     * of the terabyte) and with no configuration */
    const fixture_t *fx = data;
    alarm(20);
    g_autofree char *path = tmp_path("holes.raw");
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)(1ull << 40)), ==, 0);
    g_assert_cmpint(close(fd), ==, 0);
    fixture_t holes = { fx->g, path, fx->sysmap, "holes" };
    set_conf(&holes, "holes", NULL, NULL);
    init_fails(path, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "not in this guest's memory");
    no_conf();
    init_fails(path, VMI_INIT_COMPLETE);
    assert_error_has(NULL, "no 64-bit Linux kernel found");
    vmi_instance_t vmi = NULL;
    assert_ok(NULL, vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL, path));
    addr_t s, e;
    g_assert_cmpint(vmi_get_backed_range(vmi, 0, &s, &e), ==, VMI_FAILURE);
    uint8_t b = 1;
    assert_ok(vmi, vmi_read_8_pa(vmi, 1ull << 39, &b));   /* a hole reads as zero */
    g_assert_cmpuint(b, ==, 0);
    vmi_destroy(vmi);
    g_unlink(path);
    alarm(0);
}

/* ------------------------------------------------------------ 11: LA57 and PAE */

static void test_variant(gconstpointer data)
{
    const fixture_t *fx = data;
    alarm(20);
    vmi_instance_t vmi = open_guest(fx, NULL, NULL);
    check_kernel(vmi, fx);
    check_processes(vmi, fx->g);
    check_unicode(vmi, fx->g);
    uint64_t j = 0;
    assert_ok(vmi, vmi_read_64_ksym(vmi, "jiffies", &j));
    g_assert_cmphex(j, ==, 0x00000001fffb6c20ull);
    addr_t a = 0;
    assert_ok(vmi, vmi_read_addr_ksym(vmi, "jiffies", &a));
    g_assert_cmphex(a, ==, fx->g->width == 4 ? 0xfffb6c20ull : 0x00000001fffb6c20ull);
    vmi_destroy(vmi);

    /* and with the kernel found through the config string */
    no_conf();
    g_autofree char *name_kv = g_strdup_printf("    name = \"%s\";\n", fx->image);
    g_autofree char *body = config_body(fx, NULL, name_kv);
    assert_ok(NULL, vmi_init_custom(&vmi, VMI_AUTO | VMI_CONFIG_STRING, body));
    check_kernel(vmi, fx);
    vmi_destroy(vmi);
    alarm(0);
}

static void test_pae_user_pdpt(void)
{
    /* the PAE PDPTs of processes are 32-byte aligned, several to a page */
    const synth_t *g = fxpae.g;
    const synth_task_t *a = first_task(g, true, 0), *b = first_task(g, true, 1);
    g_assert_cmphex(a->dtb & (PAGE - 1), ==, 0);
    g_assert_cmphex(b->dtb, ==, a->dtb + 32);
    vmi_instance_t vmi = open_guest(&fxpae, NULL, NULL);
    g_assert_cmphex(vmi_translate_uv2p(vmi, g->user_text_va + 4, b->pid), ==, b->upage_pa[0] + 4);
    g_assert_cmphex(vmi_pagetable_lookup(vmi, b->dtb, g->user_stack_va), ==, b->upage_pa[2]);
    g_assert_cmpint(vmi_dtb_to_pid(vmi, b->dtb), ==, b->pid);
    /* the kernel half is shared */
    g_assert_cmphex(vmi_pagetable_lookup(vmi, b->dtb, g->tasks[0].task_va), ==,
                    g->tasks[0].task_pa);
    vmi_destroy(vmi);
}

/* ------------------------------------------------------------ main */

typedef void (*test_fn)(void);

/* Each test runs under a watchdog: a hang is a failure, not a stuck run. */
static void with_watchdog(gconstpointer data)
{
    alarm(20);
    ((test_fn)data)();
    alarm(0);
}

static void add(const char *path, test_fn fn)
{
    g_test_add_data_func(path, (gconstpointer)fn, with_watchdog);
}

static void make_fixture(fixture_t *fx, synth_mode_t mode, const char *entry)
{
    fx->g = synth_new(mode, NTASKS);
    fx->entry = entry;
    g_autofree char *image = g_strdup_printf("%s.raw", entry);
    g_autofree char *map = g_strdup_printf("System.map-%s", entry);
    fx->image = write_image(fx->g, image);
    g_autofree char *text = synth_sysmap(fx->g, 0);
    fx->sysmap = write_text(map, text);
}

static void free_fixture(fixture_t *fx)
{
    synth_free(fx->g);
    g_free(fx->image);
    g_free(fx->sysmap);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("test-linux-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    make_fixture(&fx64, SYNTH_IA32E, "guest");
    make_fixture(&fx57, SYNTH_LA57, "guest-la57");
    make_fixture(&fxpae, SYNTH_PAE, "guest-pae");

    add("/linux/init/file-entry", test_init_file_entry);
    add("/linux/init/custom", test_init_custom);
    add("/linux/init/partial-then-complete", test_init_partial_then_complete);
    add("/linux/processes", test_processes);
    add("/linux/reads", test_reads);
    add("/linux/writes", test_writes);
    add("/linux/direct-access", test_direct_access);
    add("/linux/caches", test_caches);
    add("/linux/print-hex", test_print_hex);
    add("/linux/unicode", test_unicode);
    add("/linux/bad/task-list", test_bad_task_list);
    add("/linux/bad/offsets", test_bad_offsets);
    add("/linux/bad/sysmap", test_bad_sysmap);
    add("/linux/bad/config", test_bad_config);
    add("/linux/bad/far-segment", test_far_segment);
    g_test_add_data_func("/linux/bad/holes/ia32e", &fx64, test_holes);
    g_test_add_data_func("/linux/bad/holes/pae", &fxpae, test_holes);
    add("/linux/bad/kaslr-pins", test_bad_kaslr_pins);
    add("/linux/bad/page-tables", test_bad_page_tables);
    add("/linux/bad/random-file", test_bad_random_file);
    add("/linux/bad/decoy-banner", test_decoy_banner);
    g_test_add_data_func("/linux/la57", &fx57, test_variant);
    g_test_add_data_func("/linux/pae", &fxpae, test_variant);
    add("/linux/pae/user-pdpt", test_pae_user_pdpt);

    int rc = g_test_run();

    free_fixture(&fx64);
    free_fixture(&fx57);
    free_fixture(&fxpae);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    g_free(tmpdir);
    return rc;
}
