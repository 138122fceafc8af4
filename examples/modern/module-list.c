/*
 * module-list.c - the loaded kernel modules of a Linux guest, through the
 * modern LibVMI API: the "modules" list head, and the layout of struct
 * module (list, name) from vmi_get_kernel_struct_offset.
 *
 *   modern-module-list NAME
 * prints one module name per line, then "modules N".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <libvmi/libvmi.h>

#define MAX_MODULES 10000

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err;
    addr_t head, cur, list_off, name_off;
    int rc = 1, n = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s NAME\n", argv[0]);
        return 2;
    }
    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL,
                          VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &err) == VMI_FAILURE) {
        fprintf(stderr, "vmi_init_complete (error %d): %s\n", err, vmi_get_last_error(NULL));
        return 1;
    }
    if (vmi_translate_ksym2v(vmi, "modules", &head) == VMI_FAILURE ||
        vmi_get_kernel_struct_offset(vmi, "module", "list", &list_off) == VMI_FAILURE ||
        vmi_get_kernel_struct_offset(vmi, "module", "name", &name_off) == VMI_FAILURE) {
        fprintf(stderr, "the module list: %s\n", vmi_get_last_error(vmi));
        goto out;
    }
    if (vmi_read_addr_ksym(vmi, "modules", &cur) == VMI_FAILURE) {
        fprintf(stderr, "modules: %s\n", vmi_get_last_error(vmi));
        goto out;
    }
    while (cur != head) {
        if (++n > MAX_MODULES) {
            fprintf(stderr, "more than %d modules: the list is corrupt\n", MAX_MODULES);
            goto out;
        }
        char *name = vmi_read_str_va(vmi, cur - list_off + name_off, 0);
        if (!name) {
            fprintf(stderr, "module at 0x%" PRIx64 ": %s\n", cur - list_off, vmi_get_last_error(vmi));
            goto out;
        }
        printf("%s\n", name);
        free(name);
        if (vmi_read_addr_va(vmi, cur, 0, &cur) == VMI_FAILURE) {
            fprintf(stderr, "list: %s\n", vmi_get_last_error(vmi));
            goto out;
        }
    }
    printf("modules %d\n", n);
    rc = 0;
out:
    vmi_destroy(vmi);
    return rc;
}
