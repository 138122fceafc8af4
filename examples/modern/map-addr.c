/*
 * map-addr.c - how a virtual address translates, level by level, and what
 * is there, through the modern LibVMI API (vmi_pagetable_lookup_extended,
 * access contexts by page table).
 *
 *   modern-map-addr NAME PID VA
 * prints "va VA", "pa PA", "size BYTES", the entries of each level, and the
 * string at VA and at PA ("string TEXT", "pa_string TEXT", cut at 200 bytes).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvmi/libvmi.h>

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err;
    addr_t dtb;
    page_info_t info;
    int rc = 1;

    if (argc != 4) {
        fprintf(stderr, "usage: %s NAME PID VA\n", argv[0]);
        return 2;
    }
    vmi_pid_t pid = atoi(argv[2]);
    addr_t va = strtoull(argv[3], NULL, 0);
    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL,
                          VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &err) == VMI_FAILURE) {
        fprintf(stderr, "vmi_init_complete (error %d): %s\n", err, vmi_get_last_error(NULL));
        return 1;
    }
    if (vmi_pid_to_dtb(vmi, pid, &dtb) == VMI_FAILURE) {
        fprintf(stderr, "pid %d: %s\n", pid, vmi_get_last_error(vmi));
        goto out;
    }
    if (vmi_pagetable_lookup_extended(vmi, dtb, va, &info) == VMI_FAILURE) {
        fprintf(stderr, "0x%" PRIx64 ": %s\n", va, vmi_get_last_error(vmi));
        goto out;
    }
    printf("va 0x%" PRIx64 "\npa 0x%" PRIx64 "\nsize 0x%" PRIx64 "\n", info.vaddr, info.paddr,
           (uint64_t)info.size);
    if (info.pm == VMI_PM_IA32E || info.pm == VMI_PM_LA57)
        printf("pml4e 0x%" PRIx64 " 0x%" PRIx64 "\npdpte 0x%" PRIx64 " 0x%" PRIx64
               "\npde 0x%" PRIx64 " 0x%" PRIx64 "\npte 0x%" PRIx64 " 0x%" PRIx64 "\n",
               info.x86_ia32e.pml4e_location, info.x86_ia32e.pml4e_value,
               info.x86_ia32e.pdpte_location, info.x86_ia32e.pdpte_value,
               info.x86_ia32e.pgd_location, info.x86_ia32e.pgd_value,
               info.x86_ia32e.pte_location, info.x86_ia32e.pte_value);
    /* the same address through a context that names the page table */
    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_DTB, .dtb = dtb, .addr = va);
    char *s = vmi_read_str(vmi, &ctx);
    if (!s) {
        fprintf(stderr, "string at 0x%" PRIx64 ": %s\n", va, vmi_get_last_error(vmi));
        goto out;
    }
    printf("string %.200s\n", s);
    free(s);
    /* and at the physical address it translated to */
    s = vmi_read_str_pa(vmi, info.paddr);
    if (!s) {
        fprintf(stderr, "string at 0x%" PRIx64 ": %s\n", info.paddr, vmi_get_last_error(vmi));
        goto out;
    }
    printf("pa_string %.200s\n", s);
    free(s);
    rc = 0;
out:
    vmi_destroy(vmi);
    return rc;
}
