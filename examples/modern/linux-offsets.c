/*
 * linux-offsets.c - the structure offsets a Linux guest's introspection
 * needs, through the modern LibVMI API: the classic keys by
 * vmi_get_offset(), any member by vmi_get_kernel_struct_offset().
 *
 *   modern-linux-offsets NAME [STRUCT.MEMBER ...]
 * prints "linux_tasks 0x..." etc., then "STRUCT.MEMBER DECIMAL" per argument.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <libvmi/libvmi.h>

int main(int argc, char **argv)
{
    static const char *const keys[] = {
        "linux_tasks", "linux_mm", "linux_pid", "linux_name", "linux_pgd",
    };
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err;
    int rc = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s NAME [STRUCT.MEMBER ...]\n", argv[0]);
        return 2;
    }
    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL,
                          VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &err) == VMI_FAILURE) {
        fprintf(stderr, "vmi_init_complete (error %d): %s\n", err, vmi_get_last_error(NULL));
        return 1;
    }
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        addr_t off;
        if (vmi_get_offset(vmi, keys[i], &off) == VMI_FAILURE) {
            fprintf(stderr, "%s: %s\n", keys[i], vmi_get_last_error(vmi));
            rc = 1;
            continue;
        }
        printf("%s 0x%" PRIx64 "\n", keys[i], off);
    }
    for (int i = 2; i < argc; i++) {
        char type[128];
        const char *dot = strchr(argv[i], '.');
        addr_t off;
        if (!dot || (size_t)(dot - argv[i]) >= sizeof(type)) {
            fprintf(stderr, "%s: not STRUCT.MEMBER\n", argv[i]);
            rc = 1;
            continue;
        }
        memcpy(type, argv[i], dot - argv[i]);
        type[dot - argv[i]] = '\0';
        if (vmi_get_kernel_struct_offset(vmi, type, dot + 1, &off) == VMI_FAILURE) {
            fprintf(stderr, "%s: %s\n", argv[i], vmi_get_last_error(vmi));
            rc = 1;
            continue;
        }
        printf("%s %" PRIu64 "\n", argv[i], off);
    }
    vmi_destroy(vmi);
    return rc;
}
