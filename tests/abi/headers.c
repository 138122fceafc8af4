/*
 * headers.c - compiled by test-headers.sh in each API generation mode
 * (default, -DLIBVMI_API_MODERN, -DLIBVMI_API_2013), as C and C++, with
 * gcc and clang and warnings as errors: every public header, LibVMI 0.14's
 * values and layouts (the ones python-libvmi's cffi checks), and calls of
 * both generations.  Linked against the library and run, it also checks a
 * few things only a call shows (RUN below).
 */
#define LIBVMI_EXTRA_GLIB
#include <libvmi/libvmi.h>
#include <libvmi/events.h>
#include <libvmi/libvmi_extra.h>
#include <libvmi/peparse.h>
#include <libvmi/slat.h>
#include <libvmi/x86.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
#define ASSERT(c) static_assert(c, #c)
#else
#define ASSERT(c) _Static_assert(c, #c)
#endif

/* LibVMI 0.14 / development head values, in every mode */
ASSERT(VMI_XEN == 0 && VMI_KVM == 1 && VMI_FILE == 2 && VMI_BAREFLANK == 3);
ASSERT(VMI_INIT_DOMAINNAME == 1 && VMI_INIT_DOMAINID == 2 && VMI_INIT_EVENTS == 4);
ASSERT(VMI_INIT_DOMAINUUID == 8 && VMI_INIT_DOMAINWATCH == 16 && VMI_INIT_V2SYM == 32);
ASSERT(EAX == 0 && RAX == 0 && RSP == 7 && RIP == 8 && RFLAGS == 9 && R8 == 10 && R15 == 17);
ASSERT(CR0 == 18 && CR3 == 20 && XCR0 == 22 && DR7 == 28 && CS_SEL == 29 && GDTR_BASE == 56);
ASSERT(TSC == 69 && MSR_EFER == 74 && MSR_ALL == 76 && MSR_STAR == 119 && MSR_ANY == 153);
ASSERT(VMI_PM_UNKNOWN == 0 && VMI_PM_LEGACY == 1 && VMI_PM_PAE == 2 && VMI_PM_IA32E == 3);
ASSERT(VMI_PM_AARCH32 == 4 && VMI_PM_AARCH64 == 5);
ASSERT(VMI_TM_NONE == 0 && VMI_TM_PROCESS_DTB == 1 && VMI_TM_PROCESS_PID == 2 &&
       VMI_TM_KERNEL_SYMBOL == 3 && ACCESS_CONTEXT_VERSION == 1);
ASSERT(VMI_INIT_ERROR_NONE == 0 && VMI_INIT_ERROR_PAGING == 4 && VMI_INIT_ERROR_NO_CONFIG_ENTRY == 8);
ASSERT(VMI_INIT_DATA_KVMI_SOCKET == 2 && VMI_PS_4KB == 0x1000 && VMI_PS_1GB == 0x40000000);
ASSERT(VMI_OS_LINUX == 1 && VMI_OS_WINDOWS == 2 && VMI_OS_WINDOWS_10 == 9);
ASSERT(VMI_ARCH_X86_64 == 2);
/* layouts */
ASSERT(sizeof(access_context_t) == 48 && offsetof(access_context_t, tm) == 24);
ASSERT(offsetof(access_context_t, addr) == 32 && offsetof(access_context_t, pt) == 40);
ASSERT(offsetof(access_context_t, pid) == 40 && offsetof(access_context_t, ksym) == 32);
ASSERT(offsetof(x86_registers_t, rip) == 19 * 8 && offsetof(x86_registers_t, cr3) == 22 * 8);
ASSERT(offsetof(x86_registers_t, fs_base) == 32 * 8 && sizeof(x86_registers_t) == 71 * 8 &&
       offsetof(x86_registers_t, shadow_gs) == 64 * 8);
ASSERT(sizeof(struct registers) == sizeof(x86_registers_t));
ASSERT(offsetof(page_info_t, pm) == 40 && offsetof(page_info_t, npt) == 48);
ASSERT(offsetof(page_info_t, x86_ia32e.pte_location) == 72 && sizeof(page_info_t) == 136);
ASSERT(sizeof(struct dos_header) == 64 && sizeof(struct pe_header) == 24);
ASSERT(sizeof(struct optional_header_pe32) == 224 && sizeof(struct optional_header_pe32plus) == 240);
ASSERT(sizeof(struct export_table) == 40 && sizeof(struct section_header) == 40);
ASSERT(PTRS_PER_PAE_PTE == 512);

#ifndef LIBVMI_API_2013
ASSERT(VMI_CONFIG_GLOBAL_FILE_ENTRY == 0 && VMI_CONFIG_STRING == 1 && VMI_CONFIG_GHASHTABLE == 2);
ASSERT(VMI_CONFIG_JSON_PATH == 3 && VMI_CONFIG_FILE_PATH == 4);
ASSERT(sizeof(vmi_config_t) == sizeof(void *));
#else
ASSERT(VMI_CONFIG_STRING == (1u << 26) && VMI_CONFIG_GHASHTABLE == (1u << 27));
#endif

/* calls of the 2013 generation: default and LIBVMI_API_2013 */
#ifndef LIBVMI_API_MODERN
int use_2013(vmi_instance_t vmi, const char *name);
int use_2013(vmi_instance_t vmi, const char *name)
{
    char buf[16];
    vmi_instance_t v2;
#ifdef LIBVMI_API_2013
    registers_t reg = CR3;      /* a number in the 2013 generation only */
    (void)reg;
#endif
    if (vmi_init(&v2, VMI_AUTO | VMI_INIT_PARTIAL, (char *)name) == VMI_SUCCESS)
        vmi_init_complete(&v2, NULL);
    addr_t va = vmi_translate_ksym2v(vmi, "init_task");
    addr_t pa = vmi_translate_kv2p(vmi, va) + vmi_translate_uv2p(vmi, va, 1);
    pa += vmi_pagetable_lookup(vmi, vmi_pid_to_dtb(vmi, 1), va);
    size_t n = vmi_read_va(vmi, va, 0, buf, sizeof(buf)) + vmi_read_pa(vmi, pa, buf, 4) +
               vmi_read_ksym(vmi, (char *)"init_task", buf, 4) + vmi_write_pa(vmi, pa, buf, 1);
    unsigned long off = vmi_get_offset(vmi, (char *)"linux_tasks");
    addr_t s = vmi_translate_sym2v(vmi, va, 0, (char *)"x");
    const char *sym = vmi_translate_v2sym(vmi, va, 0, 0);
    vmi_v2pcache_flush(vmi);
    return (int)(n + off + s + (sym != NULL) + (vmi_get_access_mode(vmi) == VMI_FILE) +
                 (vmi_get_page_mode(vmi) == VMI_PM_IA32E) + vmi_dtb_to_pid(vmi, pa));
}
#endif

/* calls of the modern generation: default and LIBVMI_API_MODERN */
#ifndef LIBVMI_API_2013
int use_modern(const char *name);
int use_modern(const char *name)
{
    vmi_instance_t vmi;
    vmi_init_error_t err;
    addr_t va, pa, off;
    vmi_pid_t pid;
    char buf[16];
    size_t n;
    registers_t regs;
    vmi_mode_t mode;
    page_info_t info;
    if (vmi_init_complete(&vmi, name, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_GLOBAL_FILE_ENTRY,
                          NULL, &err) == VMI_FAILURE)
        return 1;
    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0);
    vmi_translate_ksym2v(vmi, "init_task", &va);
    ctx.addr = va;
    vmi_translate_kv2p(vmi, va, &pa);
    vmi_translate_uv2p(vmi, va, 1, &pa);
    vmi_pid_to_dtb(vmi, 1, &pa);
    vmi_dtb_to_pid(vmi, pa, &pid);
    vmi_pagetable_lookup(vmi, pa, va, &pa);
    vmi_pagetable_lookup_extended(vmi, pa, va, &info);
    vmi_read(vmi, &ctx, sizeof(buf), buf, &n);
    vmi_read_va(vmi, va, 0, sizeof(buf), buf, &n);
    vmi_read_pa(vmi, pa, sizeof(buf), buf, &n);
    vmi_read_ksym(vmi, "init_task", sizeof(buf), buf, &n);
    vmi_get_offset(vmi, "linux_tasks", &off);
    vmi_translate_sym2v(vmi, &ctx, "x", &va);
    vmi_translate_v2sym(vmi, &ctx, 0);
    vmi_get_access_mode(vmi, NULL, 0, NULL, &mode);
    vmi_get_page_mode(vmi, 0);
    vmi_v2pcache_flush(vmi, ~0ull);
    vmi_get_vcpuregs(vmi, &regs, 0);
    status_t (*fp)(vmi_instance_t, addr_t, vmi_pid_t, size_t, void *, size_t *) = &vmi_read_va;
    GSList *pages = vmi_get_va_pages(vmi, pa);
    g_slist_free_full(pages, g_free);
    vmi_destroy(vmi);
    return fp == NULL;
}
#endif

#ifdef RUN
/* argv[1]: a snapshot with a config entry (LIBVMI_CONF): both generations
 * read the same banner; inside vmi_init_custom the VMI_CONFIG_* names are
 * the 2013 bits (VMI_FILE | VMI_CONFIG_STRING is not mistaken). */
int main(int argc, char **argv)
{
    int bad = 0;
    (void)argc;
#ifndef LIBVMI_API_MODERN
    vmi_instance_t vmi;
    const char *conf = "ostype = \"Linux\"; sysmap = \"/nonexistent/System.map\";";
    char text[256];
    snprintf(text, sizeof(text), "name = \"%s\"; %s", argv[1], conf);
    if (vmi_init_custom(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_STRING,
                        (vmi_config_t)text) != VMI_SUCCESS) {
        printf("not ok - vmi_init_custom(VMI_FILE | VMI_CONFIG_STRING): %s\n", vmi_get_last_error(NULL));
        bad = 1;
    } else {
        printf("ok - vmi_init_custom(VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_STRING, (vmi_config_t)str)\n");
        vmi_destroy(vmi);
    }
#endif
    return bad;
}
#endif
