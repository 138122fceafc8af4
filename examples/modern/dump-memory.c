/*
 * dump-memory.c - the guest's physical memory into a file, through the
 * modern LibVMI API (vmi_read_pa with a byte count); pages that cannot be
 * read are written as zeros, as LibVMI's dump-memory example does.
 *
 *   modern-dump-memory NAME FILE
 * prints "pages N unreadable M".
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <libvmi/libvmi.h>

#define PAGE 4096

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err;
    static unsigned char page[PAGE];
    uint64_t pages = 0, unreadable = 0;
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: %s NAME FILE\n", argv[0]);
        return 2;
    }
    /* physical memory only: the access mode, then the driver; no paging, no OS */
    vmi_mode_t mode;
    if (vmi_get_access_mode(NULL, argv[1], VMI_INIT_DOMAINNAME, NULL, &mode) == VMI_FAILURE) {
        fprintf(stderr, "%s: %s\n", argv[1], vmi_get_last_error(NULL));
        return 1;
    }
    if (vmi_init(&vmi, mode, argv[1], VMI_INIT_DOMAINNAME, NULL, &err) == VMI_FAILURE) {
        fprintf(stderr, "vmi_init (error %d): %s\n", err, vmi_get_last_error(NULL));
        return 1;
    }
    FILE *out = fopen(argv[2], "wb");
    if (!out) {
        perror(argv[2]);
        goto done;
    }
    addr_t end = vmi_get_max_physical_address(vmi);
    vmi_pause_vm(vmi);
    for (addr_t pa = 0; pa < end; pa += PAGE) {
        size_t got = 0;
        if (vmi_read_pa(vmi, pa, PAGE, page, &got) == VMI_FAILURE) {
            memset(page + got, 0, PAGE - got);
            unreadable++;
        }
        if (fwrite(page, 1, PAGE, out) != PAGE) {
            perror(argv[2]);
            fclose(out);
            goto resume;
        }
        pages++;
    }
    if (fclose(out) != 0) {
        perror(argv[2]);
        goto resume;
    }
    printf("pages %" PRIu64 " unreadable %" PRIu64 "\n", pages, unreadable);
    rc = 0;
resume:
    vmi_resume_vm(vmi);
done:
    vmi_destroy(vmi);
    return rc;
}
