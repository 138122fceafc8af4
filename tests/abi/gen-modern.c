/*
 * gen-modern.c - vmi_read_va as LibVMI 0.14 and later declare it (count
 * before the buffer, the byte count through a pointer, a status back).
 *   gen-modern NAME BANNER_VA PID USER_VA
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvmi/libvmi.h>

int main(int argc, char **argv)
{
    vmi_instance_t vmi;
    char banner[128];
    static char user[3 * 4096];
    size_t got = 0;

    if (argc != 5) {
        fprintf(stderr, "usage: %s NAME BANNER_VA PID USER_VA\n", argv[0]);
        return 2;
    }
    addr_t banner_va = strtoull(argv[2], NULL, 0);
    vmi_pid_t pid = atoi(argv[3]);
    addr_t user_va = strtoull(argv[4], NULL, 0);
    vmi_init_error_t err;
    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_GLOBAL_FILE_ENTRY,
                          NULL, &err) == VMI_FAILURE) {
        fprintf(stderr, "vmi_init_complete (%d): %s\n", err, vmi_get_last_error(NULL));
        return 1;
    }
    memset(banner, 0, sizeof(banner));
    status_t st = vmi_read_va(vmi, banner_va, 0, sizeof(banner) - 1, banner, &got);
    printf("banner_status %s %zu\nbanner %s\n", st == VMI_SUCCESS ? "success" : "failure", got,
           banner);
    st = vmi_read_va(vmi, user_va, pid, sizeof(user), user, &got);
    printf("user_status %s %zu\nuser_text %.64s\n", st == VMI_SUCCESS ? "success" : "failure", got,
           user);
    /* taking the address gets the modern function */
    status_t (*fn)(vmi_instance_t, addr_t, vmi_pid_t, size_t, void *, size_t *) = &vmi_read_va;
    st = fn(vmi, banner_va, 0, 8, banner, NULL);
    printf("pointer_status %s\n", st == VMI_SUCCESS ? "success" : "failure");
    vmi_destroy(vmi);
    return 0;
}
