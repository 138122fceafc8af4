/*
 * va-pages.c - every page mapped in a process's address space, through the
 * modern LibVMI API (vmi_get_va_pages of <libvmi/libvmi_extra.h>).
 *
 *   modern-va-pages NAME PID [VA]
 * prints "VA SIZE PA" per page (hex), then "pages N"; with VA, only the
 * page that holds VA and the string there ("string TEXT").
 */
#define LIBVMI_EXTRA_GLIB
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <libvmi/libvmi.h>
#include <libvmi/libvmi_extra.h>

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err;
    addr_t dtb, want = 0;
    int rc = 1;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s NAME PID [VA]\n", argv[0]);
        return 2;
    }
    vmi_pid_t pid = atoi(argv[2]);
    if (argc == 4)
        want = strtoull(argv[3], NULL, 0);
    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL,
                          VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &err) == VMI_FAILURE) {
        fprintf(stderr, "vmi_init_complete (error %d): %s\n", err, vmi_get_last_error(NULL));
        return 1;
    }
    if (vmi_pid_to_dtb(vmi, pid, &dtb) == VMI_FAILURE) {
        fprintf(stderr, "pid %d: %s\n", pid, vmi_get_last_error(vmi));
        goto out;
    }
    GSList *pages = vmi_get_va_pages(vmi, dtb);
    if (!pages) {
        fprintf(stderr, "pages of pid %d: %s\n", pid, vmi_get_last_error(vmi));
        goto out;
    }
    size_t n = 0;
    for (GSList *l = pages; l; l = l->next) {
        page_info_t *p = l->data;
        n++;
        if (argc == 4) {
            if (want < p->vaddr || want - p->vaddr >= p->size)
                continue;
            char *s = vmi_read_str_pa(vmi, p->paddr + (want - p->vaddr));
            printf("0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 "\nstring %.200s\n", p->vaddr,
                   (uint64_t)p->size, p->paddr, s ? s : "");
            free(s);
        } else {
            printf("0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 "\n", p->vaddr, (uint64_t)p->size,
                   p->paddr);
        }
    }
    printf("pages %zu\n", n);
    g_slist_free_full(pages, g_free);
    rc = 0;
out:
    vmi_destroy(vmi);
    return rc;
}
