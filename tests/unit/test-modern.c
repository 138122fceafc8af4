/*
 * test-modern.c - the modern LibVMI API (0.14 and later) on a synthetic
 * Linux guest (tests/unit/synth.c): init in stages with every
 * configuration mode, access contexts of every translation mechanism,
 * lookups with every level, the pages of an address space, mapped guest
 * pages, PE export tables, and the refusals (with their reasons) of what no
 * driver here can do.  Expected values come from the generator, which knows
 * what it placed where without asking the library.
 */
#define LIBVMI_EXTRA_GLIB
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libvmi.h>
#include <libvmi_extra.h>
#include <peparse.h>
#include <slat.h>
#include "synth.h"

static char *tmpdir;
static synth_t *g;
static char *image, *sysmap, *conf_body;

#define assert_ok(vmi, call)                                                              \
    do {                                                                                  \
        if ((call) != VMI_SUCCESS)                                                        \
            g_assert_cmpstr(vmi_get_last_error(vmi), ==, "(success expected: " #call ")"); \
    } while (0)

static void assert_error_has(vmi_instance_t vmi, const char *needle)
{
    const char *e = vmi_get_last_error(vmi);
    if (!strstr(e, needle))
        g_assert_cmpstr(e, ==, needle);
}

static char *path_in(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

static const synth_task_t *user_task(void)
{
    for (size_t i = 1; i < g->ntasks; i++)
        if (g->tasks[i].user)
            return &g->tasks[i];
    g_assert_not_reached();
    return NULL;
}

/* The modern way: vmi_init_complete with the entry named after the image. */
static vmi_instance_t open_modern(void)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err = 99;
    assert_ok(NULL, vmi_init_complete(&vmi, image, VMI_INIT_DOMAINNAME, NULL,
                                      VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &err));
    g_assert_cmpint(err, ==, VMI_INIT_ERROR_NONE);
    return vmi;
}

/* ------------------------------------------------------------ init */

static void test_stages(void)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err;
    vmi_mode_t mode = 99;

    assert_ok(NULL, vmi_get_access_mode(NULL, image, VMI_INIT_DOMAINNAME, NULL, &mode));
    g_assert_cmpint(mode, ==, VMI_FILE);
    assert_ok(NULL, vmi_init(&vmi, mode, image, VMI_INIT_DOMAINNAME, NULL, &err));
    /* physical access only so far */
    uint8_t b;
    assert_ok(vmi, vmi_read_8_pa(vmi, synth_sym_pa(g, "linux_banner"), &b));
    g_assert_cmpint(b, ==, 'L');
    addr_t va;
    g_assert_cmpint(vmi_translate_ksym2v(vmi, "linux_banner", &va), ==, VMI_FAILURE);
    /* a raw image has no registers: the OS layer finds the paging */
    g_assert_cmpint(vmi_init_paging(vmi, 0), ==, VMI_PM_UNKNOWN);
    assert_error_has(vmi, "vmi_init_os finds it");
    g_assert_cmpint(vmi_init_os(vmi, VMI_CONFIG_STRING, conf_body, &err), ==, VMI_OS_LINUX);
    g_assert_cmpint(err, ==, VMI_INIT_ERROR_NONE);
    g_assert_cmpint(vmi_get_page_mode(vmi, 0), ==, VMI_PM_IA32E);
    assert_ok(vmi, vmi_translate_ksym2v(vmi, "linux_banner", &va));
    g_assert_cmphex(va, ==, synth_sym_va(g, "linux_banner"));
    g_assert_cmpstr(vmi_get_linux_sysmap(vmi), ==, sysmap);
    g_assert_cmpint(vmi_get_library_arch(), ==, VMI_ARCH_X86_64);
    vmi_destroy(vmi);
}

static void test_config_modes(void)
{
    vmi_init_error_t err;
    const synth_offsets_t *o = &g->off;
    /* a GHashTable: strings as char *, numbers as uint64_t * */
    GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);
    uint64_t tasks = o->tasks, mm = o->mm, pid = o->pid, name = o->name, pgd = o->pgd;
    g_hash_table_insert(t, "ostype", "Linux");
    g_hash_table_insert(t, "sysmap", sysmap);
    g_hash_table_insert(t, "linux_tasks", &tasks);
    g_hash_table_insert(t, "linux_mm", &mm);
    g_hash_table_insert(t, "linux_pid", &pid);
    g_hash_table_insert(t, "linux_name", &name);
    g_hash_table_insert(t, "linux_pgd", &pgd);
    g_autofree char *file = path_in("modern.conf");
    g_autofree char *entry = g_strdup_printf("synth {\n%s}\n", conf_body);
    g_assert_true(g_file_set_contents(file, entry, -1, NULL));

    struct { vmi_config_t mode; void *config; } cases[] = {
        { VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL },
        { VMI_CONFIG_STRING, conf_body },
        { VMI_CONFIG_GHASHTABLE, t },
        { VMI_CONFIG_FILE_PATH, file },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        vmi_instance_t vmi = NULL;
        addr_t off = 0;
        assert_ok(NULL, vmi_init_complete(&vmi, image, VMI_INIT_DOMAINNAME, NULL, cases[i].mode,
                                          cases[i].config, &err));
        assert_ok(vmi, vmi_get_offset(vmi, "linux_tasks", &off));
        g_assert_cmphex(off, ==, o->tasks);
        vmi_destroy(vmi);
    }
    g_hash_table_unref(t);

    /* the entry must be in the file given: the guest's name is "synth" */
    vmi_instance_t vmi = NULL;
    g_autofree char *other = path_in("other.raw");
    g_assert_cmpint(symlink(image, other), ==, 0);
    g_assert_cmpint(vmi_init_complete(&vmi, other, VMI_INIT_DOMAINNAME, NULL,
                                      VMI_CONFIG_FILE_PATH, file, &err), ==, VMI_FAILURE);
    g_assert_cmpint(err, ==, VMI_INIT_ERROR_NO_CONFIG_ENTRY);
    assert_error_has(NULL, "has no entry for");
    /* a JSON profile that is not there */
    g_assert_cmpint(vmi_init_complete(&vmi, image, VMI_INIT_DOMAINNAME, NULL,
                                      VMI_CONFIG_JSON_PATH, "/nonexistent/profile.json", &err),
                    ==, VMI_FAILURE);
    g_assert_cmpint(err, ==, VMI_INIT_ERROR_NO_CONFIG);
    assert_error_has(NULL, "no JSON profile at /nonexistent/profile.json");
    g_assert_null(vmi);
}

static void test_init_errors(void)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err = VMI_INIT_ERROR_NONE;
    uint64_t id = 7;
    /* how the domain is named must be said, once */
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE, image, 0, NULL, &err), ==, VMI_FAILURE);
    assert_error_has(NULL, "exactly one of VMI_INIT_DOMAINNAME");
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE, image, VMI_INIT_DOMAINNAME | VMI_INIT_DOMAINID,
                             NULL, &err), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE, image, VMI_INIT_DOMAINNAME | VMI_INIT_DOMAINWATCH,
                             NULL, &err), ==, VMI_FAILURE);
    assert_error_has(NULL, "VMI_INIT_DOMAINWATCH");
    g_assert_cmpint(err, ==, VMI_INIT_ERROR_DRIVER);
    /* no Xen here */
    g_assert_cmpint(vmi_init(&vmi, VMI_XEN, "dom", VMI_INIT_DOMAINNAME, NULL, &err), ==,
                    VMI_FAILURE);
#ifdef ENABLE_XEN
    /* built, but this host is no dom0: the reason names xenstore */
    assert_error_has(NULL, "xenstore");
#else
    assert_error_has(NULL, "VMI_XEN is not built");
#endif
    g_assert_cmpint(vmi_init(&vmi, (vmi_mode_t)42, image, VMI_INIT_DOMAINNAME, NULL, &err), ==,
                    VMI_FAILURE);
    /* a file that is not there */
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE, "/nonexistent/x.raw", VMI_INIT_DOMAINNAME, NULL,
                             &err), ==, VMI_FAILURE);
    g_assert_cmpint(err, ==, VMI_INIT_ERROR_VM_NOT_FOUND);
    /* by ID: the file driver does not know domain IDs (VMI_FILE: no
     * probing, which would ask libvirt) */
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE, &id, VMI_INIT_DOMAINID, NULL, &err), ==,
                    VMI_FAILURE);
    g_assert_cmpint(err, ==, VMI_INIT_ERROR_VM_NOT_FOUND);
    /* init_data this libvmi cannot use */
    struct { uint64_t count; vmi_init_data_entry_t entry[1]; } data = {
        1, { { VMI_INIT_DATA_MEMMAP, NULL } } };
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE, image, VMI_INIT_DOMAINNAME,
                             (vmi_init_data_t *)&data, &err), ==, VMI_FAILURE);
    assert_error_has(NULL, "VMI_INIT_DATA_MEMMAP is not supported");
    /* a KVMi socket is not needed: accepted */
    data.entry[0].type = VMI_INIT_DATA_KVMI_SOCKET;
    data.entry[0].data = "/tmp/introspector";
    assert_ok(NULL, vmi_init(&vmi, VMI_FILE, image, VMI_INIT_DOMAINNAME,
                             (vmi_init_data_t *)&data, &err));
    vmi_destroy(vmi);
    /* a bad configuration string */
    g_assert_cmpint(vmi_init_complete(&vmi, image, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                                      "ostype = ;", &err), ==, VMI_FAILURE);
    g_assert_cmpint(err, ==, VMI_INIT_ERROR_NO_CONFIG);
    g_assert_null(vmi);
}

/* ------------------------------------------------------------ access contexts */

static void test_contexts(void)
{
    vmi_instance_t vmi = open_modern();
    const synth_task_t *u = user_task();
    uint64_t bva = synth_sym_va(g, "linux_banner"), bpa = synth_sym_pa(g, "linux_banner");
    size_t blen = strlen(g->banner);
    char buf[256];
    size_t n = 0;
    g_autofree char *marker = g_strdup_printf("argv-marker-%d", u->pid);

    ACCESS_CONTEXT(phys, .translate_mechanism = VMI_TM_NONE, .addr = bpa);
    ACCESS_CONTEXT(kva, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0, .addr = bva);
    ACCESS_CONTEXT(dtb, .translate_mechanism = VMI_TM_PROCESS_DTB, .dtb = g->kdtb, .addr = bva);
    ACCESS_CONTEXT(sym, .translate_mechanism = VMI_TM_KERNEL_SYMBOL, .ksym = "linux_banner");
    const access_context_t *kinds[] = { &phys, &kva, &dtb, &sym };
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
        memset(buf, 0, sizeof(buf));
        assert_ok(vmi, vmi_read(vmi, kinds[i], blen, buf, &n));
        g_assert_cmpuint(n, ==, blen);
        g_assert_cmpstr(buf, ==, g->banner);
        g_autofree char *s = vmi_read_str(vmi, kinds[i]);
        g_assert_nonnull(s);
        g_assert_true(g_str_has_prefix(s, g->banner));
        uint32_t v32;
        assert_ok(vmi, vmi_read_32(vmi, kinds[i], &v32));
        g_assert_cmpmem(&v32, 4, g->banner, 4);
    }
    /* LibVMI 0.14.0's contexts had no version field: accepted */
    access_context_t old = { .translate_mechanism = VMI_TM_PROCESS_PID, .addr = g->user_text_va,
                             .pid = u->pid };
    g_autofree char *s = vmi_read_str(vmi, &old);
    g_assert_cmpstr(s, ==, marker);
    /* a user process's pages: two mapped, then a hole */
    ACCESS_CONTEXT(user, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = u->pid,
                   .addr = g->user_text_va);
    g_autofree uint8_t *big = g_malloc(3 * 4096);
    g_assert_cmpint(vmi_read(vmi, &user, 3 * 4096, big, &n), ==, VMI_FAILURE);
    g_assert_cmpuint(n, ==, 2 * 4096);
    g_assert_cmpmem(big, 4096, g->mem + u->upage_pa[0], 4096);
    const access_context_t *fault = vmi_get_last_pagetable_lookup_fault(vmi);
    g_assert_nonnull(fault);
    g_assert_cmphex(fault->addr, ==, g->user_text_va + 2 * 4096);
    g_assert_cmphex(fault->pt, ==, u->dtb);
    /* pointers as wide as the paging mode; a 32-bit view of a 64-bit pointer */
    addr_t p64;
    ACCESS_CONTEXT(init, .translate_mechanism = VMI_TM_KERNEL_SYMBOL, .ksym = "init_task");
    access_context_t tasks = init;
    tasks.tm = VMI_TM_PROCESS_PID;
    tasks.pid = 0;
    tasks.addr = synth_sym_va(g, "init_task") + g->off.tasks;
    assert_ok(vmi, vmi_read_addr(vmi, &tasks, &p64));
    g_assert_cmphex(p64, ==, g->tasks[1].task_va + g->off.tasks);
    /* refused: unknown version, nested translation, an unknown mechanism */
    access_context_t bad = kva;
    bad.version = 7;
    g_assert_cmpint(vmi_read(vmi, &bad, 4, buf, &n), ==, VMI_FAILURE);
    assert_error_has(vmi, "version 7");
    bad = kva;
    bad.npt = 0x1000;
    bad.npm = VMI_PM_EPT_4L;
    g_assert_cmpint(vmi_read(vmi, &bad, 4, buf, &n), ==, VMI_FAILURE);
    assert_error_has(vmi, "no EPT walker");
    g_assert_cmpint(vmi_get_last_error_code(vmi), ==, VMI_ERR_UNSUPPORTED);
    bad = kva;
    bad.tm = VMI_TM_INVALID;
    g_assert_cmpint(vmi_read(vmi, &bad, 4, buf, &n), ==, VMI_FAILURE);
    /* writes through a context land where reads see them */
    uint64_t j = 0x1122334455667788ULL, back = 0;
    ACCESS_CONTEXT(jif, .translate_mechanism = VMI_TM_KERNEL_SYMBOL, .ksym = "jiffies");
    assert_ok(vmi, vmi_write_64(vmi, &jif, &j));
    assert_ok(vmi, vmi_read_64_pa(vmi, synth_sym_pa(g, "jiffies"), &back));
    g_assert_cmphex(back, ==, j);
    vmi_destroy(vmi);
}

static void test_modern_reads(void)
{
    vmi_instance_t vmi = open_modern();
    const synth_task_t *u = user_task();
    char buf[64];
    size_t n = 99;
    addr_t va, pa, dtb, off;
    vmi_pid_t pid;

    assert_ok(vmi, vmi_translate_ksym2v(vmi, "linux_banner", &va));
    assert_ok(vmi, vmi_translate_kv2p(vmi, va, &pa));
    g_assert_cmphex(pa, ==, synth_sym_pa(g, "linux_banner"));
    assert_ok(vmi, vmi_read_ksym(vmi, "linux_banner", 5, buf, &n));
    g_assert_cmpmem(buf, 5, "Linux", 5);
    assert_ok(vmi, vmi_read_pa(vmi, pa, 5, buf, &n));
    g_assert_cmpuint(n, ==, 5);
    assert_ok(vmi, vmi_pid_to_dtb(vmi, u->pid, &dtb));
    g_assert_cmphex(dtb, ==, u->dtb);
    assert_ok(vmi, vmi_dtb_to_pid(vmi, dtb, &pid));
    g_assert_cmpint(pid, ==, u->pid);
    assert_ok(vmi, vmi_translate_uv2p(vmi, g->user_text_va, u->pid, &pa));
    g_assert_cmphex(pa, ==, u->upage_pa[0]);
    assert_ok(vmi, vmi_pagetable_lookup(vmi, dtb, g->user_text_va + 4096, &pa));
    g_assert_cmphex(pa, ==, u->upage_pa[1]);
    assert_ok(vmi, vmi_get_offset(vmi, "linux_pid", &off));
    g_assert_cmphex(off, ==, g->off.pid);
    g_assert_cmpint(vmi_get_offset(vmi, "no_such_offset", &off), ==, VMI_FAILURE);
    /* the modern reads fail short reads; the count says how far they got */
    g_assert_cmpint(vmi_read_va(vmi, g->unmapped_kva, 0, 8, buf, &n), ==, VMI_FAILURE);
    g_assert_cmpuint(n, ==, 0);
    g_assert_cmpint(vmi_read_ksym(vmi, "no_such_symbol", 8, buf, &n), ==, VMI_FAILURE);
    /* the symbol at an address */
    ACCESS_CONTEXT(kctx, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0);
    g_assert_cmpstr(vmi_translate_v2ksym(vmi, &kctx, synth_sym_va(g, "init_task")), ==,
                    "init_task");
    /* pointers written as the guest's width */
    addr_t w = 0xfeedface12345678ULL, r = 0;
    assert_ok(vmi, vmi_write_addr_va(vmi, synth_sym_va(g, "jiffies"), 0, &w));
    assert_ok(vmi, vmi_read_addr_ksym(vmi, "jiffies", &r));
    g_assert_cmphex(r, ==, w);
    vmi_destroy(vmi);
}

/* ------------------------------------------------------------ page tables */

static void test_lookup_extended(void)
{
    vmi_instance_t vmi = open_modern();
    const synth_task_t *u = user_task();
    page_info_t info;
    assert_ok(vmi, vmi_pagetable_lookup_extended(vmi, u->dtb, g->user_text_va + 0x123, &info));
    g_assert_cmphex(info.paddr, ==, u->upage_pa[0] + 0x123);
    g_assert_cmpuint(info.size, ==, VMI_PS_4KB);
    g_assert_cmpint(info.pm, ==, VMI_PM_IA32E);
    /* each level's entry: read back from the generator's memory */
    uint64_t pml4e, pdpte, pde, pte;
    memcpy(&pml4e, g->mem + info.x86_ia32e.pml4e_location, 8);
    memcpy(&pdpte, g->mem + info.x86_ia32e.pdpte_location, 8);
    memcpy(&pde, g->mem + info.x86_ia32e.pgd_location, 8);
    memcpy(&pte, g->mem + info.x86_ia32e.pte_location, 8);
    g_assert_cmphex(info.x86_ia32e.pml4e_location & ~0xfffULL, ==, u->dtb & ~0xfffULL);
    g_assert_cmphex(pml4e, ==, info.x86_ia32e.pml4e_value);
    g_assert_cmphex(pte, ==, info.x86_ia32e.pte_value);
    g_assert_cmphex(pte & 0x000ffffffffff000ULL, ==, u->upage_pa[0]);
    g_assert_cmphex(info.x86_ia32e.pgd_location & ~0xfffULL, ==, pdpte & 0x000ffffffffff000ULL);
    g_assert_cmphex(info.x86_ia32e.pte_location & ~0xfffULL, ==, pde & 0x000ffffffffff000ULL);
    /* a hole */
    g_assert_cmpint(vmi_pagetable_lookup_extended(vmi, u->dtb, g->user_text_va + 2 * 4096, &info),
                    ==, VMI_FAILURE);
    /* nested: without a nested table as the plain lookup; with one refused */
    addr_t pa = 0, na = 1;
    assert_ok(vmi, vmi_nested_pagetable_lookup(vmi, 0, VMI_PM_UNKNOWN, u->dtb, VMI_PM_IA32E,
                                               g->user_text_va, &pa, &na));
    g_assert_cmphex(pa, ==, u->upage_pa[0]);
    g_assert_cmphex(na, ==, 0);
    g_assert_cmpint(vmi_nested_pagetable_lookup(vmi, 0x5000, VMI_PM_EPT_4L, u->dtb, VMI_PM_IA32E,
                                                g->user_text_va, &pa, &na), ==, VMI_FAILURE);
    assert_error_has(vmi, "no SLAT walker");
    /* a top table past the end of memory, in every mode: a failure with no
     * entry filled in (the 5-level walk once indexed past its levels here;
     * found by fuzz/fuzz-vapages.c, seen under UBSan) */
    static const page_mode_t modes[] = { VMI_PM_LEGACY, VMI_PM_PAE, VMI_PM_IA32E, VMI_PM_LA57 };
    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        memset(&info, 0xa5, sizeof(info));
        g_assert_cmpint(vmi_nested_pagetable_lookup_extended(vmi, 0, VMI_PM_NONE,
                                                             g->mem_size + 0x2000, modes[i], 0x1000,
                                                             &info), ==, VMI_FAILURE);
        g_assert_cmphex(info.x86_ia32e.pte_location, ==, 0);
        g_assert_cmphex(info.x86_ia32e.pml4e_value, ==, 0);
    }
    vmi_destroy(vmi);
}

static void test_va_pages(void)
{
    vmi_instance_t vmi = open_modern();
    const synth_task_t *u = user_task();
    GSList *pages = vmi_get_va_pages(vmi, u->dtb);
    g_assert_nonnull(pages);
    size_t n = 0;
    bool text0 = false, text1 = false, stack = false, hole = false, sorted = true;
    addr_t prev = 0;
    for (GSList *l = pages; l; l = l->next, n++) {
        page_info_t *p = l->data;
        if (n && p->vaddr <= prev)
            sorted = false;
        prev = p->vaddr;
        text0 |= p->vaddr == g->user_text_va && p->paddr == u->upage_pa[0];
        text1 |= p->vaddr == g->user_text_va + 4096 && p->paddr == u->upage_pa[1];
        stack |= p->vaddr == (g->user_stack_va & ~0xfffULL) && p->paddr == u->upage_pa[2];
        hole |= p->vaddr == g->user_text_va + 2 * 4096;
    }
    g_assert_true(text0 && text1 && stack);
    g_assert_false(hole);
    g_assert_true(sorted);
    g_slist_free_full(pages, g_free);
    /* the kernel's space holds the banner's page */
    pages = vmi_get_va_pages(vmi, g->kdtb);
    uint64_t bva = synth_sym_va(g, "linux_banner");
    bool banner = false;
    for (GSList *l = pages; l; l = l->next) {
        page_info_t *p = l->data;
        if (bva >= p->vaddr && bva - p->vaddr < p->size)
            banner = p->paddr + (bva - p->vaddr) == synth_sym_pa(g, "linux_banner");
    }
    g_assert_true(banner);
    g_slist_free_full(pages, g_free);
    /* a page table outside memory */
    g_assert_null(vmi_get_va_pages(vmi, 0xfffffff000ULL));
    g_assert_null(vmi_get_nested_va_pages(vmi, 0x1000, VMI_PM_EPT_4L, g->kdtb, VMI_PM_IA32E));
    vmi_destroy(vmi);
}

/* A page table that points back at itself: every entry of the top table
 * maps the top table again, a fan-out without end: refused as corrupt, fast. */
static void test_va_pages_hostile(void)
{
    vmi_instance_t vmi = open_modern();
    const synth_task_t *u = user_task();
    uint64_t root = u->dtb & ~0xfffULL;
    g_autofree uint8_t *saved = g_memdup2(g->mem + root, 4096);
    /* write through the library (the image is what it reads) */
    for (unsigned i = 0; i < 512; i++) {
        uint64_t e = root | 0x67;
        assert_ok(vmi, vmi_write_64_pa(vmi, root + i * 8, &e));
    }
    gint64 t0 = g_get_monotonic_time();
    GSList *pages = vmi_get_va_pages(vmi, u->dtb);
    g_assert_null(pages);
    assert_error_has(vmi, "point back at themselves");
    g_assert_cmpint(vmi_get_last_error_code(vmi), ==, VMI_ERR_CORRUPT);
    g_test_message("refused in %.2f s", (g_get_monotonic_time() - t0) / 1e6);
    g_assert_cmpuint(vmi_write_pa(vmi, root, 4096, saved, NULL), ==, VMI_SUCCESS);
    vmi_destroy(vmi);
}

static void test_mmap(void)
{
    vmi_instance_t vmi = open_modern();
    const synth_task_t *u = user_task();
    void *ptrs[3];
    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = u->pid,
                   .addr = g->user_text_va);
    assert_ok(vmi, vmi_mmap_guest(vmi, &ctx, 3, PROT_READ, ptrs));
    g_assert_nonnull(ptrs[0]);
    g_assert_nonnull(ptrs[1]);
    g_assert_null(ptrs[2]);     /* not mapped */
    g_assert_cmpmem(ptrs[0], 4096, g->mem + u->upage_pa[0], 4096);
    g_assert_cmpmem(ptrs[1], 4096, g->mem + u->upage_pa[1], 4096);
    munmap(ptrs[0], 4096);
    munmap(ptrs[1], 4096);
    /* the pages are the snapshot's: a write through the library shows */
    unsigned long pfn = synth_sym_pa(g, "jiffies") >> 12;
    assert_ok(vmi, vmi_mmap_guest_pfns(vmi, &pfn, 1, PROT_READ, ptrs));
    uint64_t v = 0xabcdef0123456789ULL;
    assert_ok(vmi, vmi_write_64_ksym(vmi, "jiffies", &v));
    g_assert_cmpmem((uint8_t *)ptrs[0] + (synth_sym_pa(g, "jiffies") & 0xfff), 8, &v, 8);
    munmap(ptrs[0], 4096);
    assert_ok(vmi, vmi_mmap_guest_pa(vmi, synth_sym_pa(g, "linux_banner") & ~0xfffULL, 1,
                                     PROT_READ, ptrs));
    g_assert_cmpmem((uint8_t *)ptrs[0] + (synth_sym_pa(g, "linux_banner") & 0xfff), 5, "Linux", 5);
    munmap(ptrs[0], 4096);
    g_assert_cmpint(vmi_mmap_guest_pa(vmi, 0, 0, PROT_READ, ptrs), ==, VMI_FAILURE);
    vmi_destroy(vmi);
}

/* ------------------------------------------------------------ PE images */

/* A PE32+ image with exports "Alpha" (rva 0x2000) and "Beta" (0x2010),
 * placed in the kernel's direct map at @pa. */
static addr_t place_pe(addr_t pa)
{
    uint8_t img[8192];
    memset(img, 0, sizeof(img));
    struct dos_header *dos = (struct dos_header *)img;
    dos->signature = IMAGE_DOS_HEADER;
    dos->offset_to_pe = 0x80;
    struct pe_header *pe = (struct pe_header *)(img + 0x80);
    pe->signature = IMAGE_NT_SIGNATURE;
    pe->machine = 0x8664;
    pe->size_of_optional_header = sizeof(struct optional_header_pe32plus);
    struct optional_header_pe32plus *oh = (struct optional_header_pe32plus *)(img + 0x80 + sizeof(*pe));
    oh->magic = IMAGE_PE32_PLUS_MAGIC;
    oh->number_of_rva_and_sizes = 16;
    oh->idd[IMAGE_DIRECTORY_ENTRY_EXPORT].virtual_address = 0x1000;
    oh->idd[IMAGE_DIRECTORY_ENTRY_EXPORT].size = 0x100;
    struct export_table *et = (struct export_table *)(img + 0x1000);
    et->number_of_functions = 2;
    et->number_of_names = 2;
    et->address_of_functions = 0x1040;
    et->address_of_names = 0x1050;
    et->address_of_name_ordinals = 0x1060;
    uint32_t fns[2] = { 0x2000, 0x2010 }, names[2] = { 0x1070, 0x1080 };
    uint16_t ords[2] = { 0, 1 };
    memcpy(img + 0x1040, fns, sizeof(fns));
    memcpy(img + 0x1050, names, sizeof(names));
    memcpy(img + 0x1060, ords, sizeof(ords));
    memcpy(img + 0x1070, "Alpha", 6);
    memcpy(img + 0x1080, "Beta", 5);
    synth_write(g, pa, img, sizeof(img));
    return g->page_offset + pa;
}

static void test_pe(void)
{
    /* a free 8 KiB in low memory (below 2 MiB the generator leaves empty) */
    addr_t base = place_pe(0x100000);
    g_autofree char *pe_image = path_in("pe.raw");
    GError *error = NULL;
    g_assert_true(synth_write_image(g, pe_image, &error));
    g_autofree char *text = g_strdup_printf("pe {\n%s}\n", conf_body);
    g_autofree char *conf = path_in("pe.conf");
    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err;
    assert_ok(NULL, vmi_init_complete(&vmi, pe_image, VMI_INIT_DOMAINNAME, NULL,
                                      VMI_CONFIG_FILE_PATH, conf, &err));
    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0, .addr = base);
    addr_t va = 0;
    assert_ok(vmi, vmi_translate_sym2v(vmi, &ctx, "Beta", &va));
    g_assert_cmphex(va, ==, base + 0x2010);
    g_assert_cmpint(vmi_translate_sym2v(vmi, &ctx, "Gamma", &va), ==, VMI_FAILURE);
    assert_error_has(vmi, "exports no 'Gamma'");
    g_assert_cmpstr(vmi_translate_v2sym(vmi, &ctx, 0x2000), ==, "Alpha");
    /* the 2013 spellings */
    g_assert_cmphex(vmi_translate_sym2v__4(vmi, base, 0, "Alpha"), ==, base + 0x2000);
    struct export_table et;
    addr_t rva;
    size_t size;
    assert_ok(vmi, peparse_get_export_table(vmi, &ctx, &et, &rva, &size));
    g_assert_cmpuint(et.number_of_names, ==, 2);
    g_assert_cmphex(rva, ==, 0x1000);
    uint8_t hdr[4096];
    assert_ok(vmi, peparse_get_image(vmi, &ctx, sizeof(hdr), hdr));
    uint16_t type;
    void *opt;
    peparse_assign_headers(hdr, NULL, NULL, &type, &opt, NULL, NULL);
    g_assert_cmphex(type, ==, IMAGE_PE32_PLUS_MAGIC);
    g_assert_cmphex(peparse_get_idd_rva(IMAGE_DIRECTORY_ENTRY_EXPORT, &type, opt, NULL, NULL), ==, 0x1000);
    /* hostile headers: the PE offset past what was read */
    struct dos_header *dos = (struct dos_header *)hdr;
    dos->offset_to_pe = 0xfffffff0u;
    g_assert_cmpint(peparse_validate_pe_image(hdr, sizeof(hdr)), ==, VMI_FAILURE);
    g_assert_cmpint(peparse_validate_pe_image(hdr, 10), ==, VMI_FAILURE);
    /* no image at all */
    ctx.addr = synth_sym_va(g, "linux_banner");
    g_assert_cmpint(vmi_translate_sym2v(vmi, &ctx, "Alpha", &va), ==, VMI_FAILURE);
    assert_error_has(vmi, "no valid PE image");
    vmi_destroy(vmi);
    synth_write(g, 0x100000, (uint8_t[8192]){ 0 }, 8192);
}

/* ------------------------------------------------------------ refusals */

static void test_refusals(void)
{
    vmi_instance_t vmi = open_modern();
    bool state;
    uint16_t id;
    domain_status_t st;
    xsave_area_t xs;
    struct registers regs;
    g_assert_cmpint(vmi_slat_state(vmi, &state), ==, VMI_FAILURE);
    assert_error_has(vmi, "SLAT (altp2m) views is not supported by the file access driver");
    g_assert_cmpint(vmi_slat_create(vmi, &id), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_get_domain_status(vmi, &st), ==, VMI_FAILURE);
    assert_error_has(vmi, "execution status");
    g_assert_cmpint(vmi_get_xsave_info(vmi, 0, &xs), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_alloc_gfn(vmi, 5), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_request_page_fault(vmi, 0, 0, 0), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_read_disk(vmi, "hda", 0, 1, &id), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_get_last_error_code(vmi), ==, VMI_ERR_UNSUPPORTED);
    /* a raw image has no registers */
    g_assert_cmpint(vmi_get_vcpuregs(vmi, &regs, 0), ==, VMI_FAILURE);
    g_assert_false(vmi_get_windows_build_info(vmi, NULL));
    vmi_destroy(vmi);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    GError *error = NULL;
    tmpdir = g_dir_make_tmp("vmi-modern-XXXXXX", &error);
    g_assert_no_error(error);
    g = synth_new(SYNTH_IA32E, 24);
    image = path_in("synth.raw");
    sysmap = path_in("System.map");
    g_autofree char *map = synth_sysmap(g, 0);
    g_assert_true(g_file_set_contents(sysmap, map, -1, NULL));
    g_assert_true(synth_write_image(g, image, &error));
    const synth_offsets_t *o = &g->off;
    conf_body = g_strdup_printf("ostype = \"Linux\"; sysmap = \"%s\"; writable = 1;\n"
                                "linux_tasks = 0x%" PRIx64 "; linux_mm = 0x%" PRIx64 ";\n"
                                "linux_pid = 0x%" PRIx64 "; linux_name = 0x%" PRIx64 ";\n"
                                "linux_pgd = 0x%" PRIx64 ";\n",
                                sysmap, o->tasks, o->mm, o->pid, o->name, o->pgd);
    g_autofree char *conf = path_in("libvmi.conf");
    g_autofree char *text = g_strdup_printf("synth {\n%s}\n", conf_body);
    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    g_setenv("LIBVMI_CONF", conf, TRUE);

    g_test_add_func("/modern/init/stages", test_stages);
    g_test_add_func("/modern/init/config-modes", test_config_modes);
    g_test_add_func("/modern/init/errors", test_init_errors);
    g_test_add_func("/modern/read/contexts", test_contexts);
    g_test_add_func("/modern/read/pa-va-ksym", test_modern_reads);
    g_test_add_func("/modern/pt/lookup-extended", test_lookup_extended);
    g_test_add_func("/modern/pt/va-pages", test_va_pages);
    g_test_add_func("/modern/pt/va-pages-hostile", test_va_pages_hostile);
    g_test_add_func("/modern/mmap", test_mmap);
    g_test_add_func("/modern/pe", test_pe);
    g_test_add_func("/modern/refusals", test_refusals);
    int rc = g_test_run();
    synth_free(g);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
