/*
 * gen-2013.c - a program written for the 2013 LibVMI API: it must build
 * unchanged against today's <libvmi/libvmi.h> and against the header of
 * LIBVMI_0.1 (tests/abi/libvmi-0.1/), and both binaries must run against
 * the current library.  Prints what it reads for test-generations.sh.
 *   gen-2013 NAME BANNER_VA PID USER_VA
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

    if (argc != 5) {
        fprintf(stderr, "usage: %s NAME BANNER_VA PID USER_VA\n", argv[0]);
        return 2;
    }
    addr_t banner_va = strtoull(argv[2], NULL, 0);
    vmi_pid_t pid = atoi(argv[3]);
    addr_t user_va = strtoull(argv[4], NULL, 0);
    if (vmi_init(&vmi, VMI_AUTO | VMI_INIT_COMPLETE, argv[1]) == VMI_FAILURE) {
        fprintf(stderr, "vmi_init: %s\n", vmi_get_last_error(NULL));
        return 1;
    }
    memset(banner, 0, sizeof(banner));
    size_t n = vmi_read_va(vmi, banner_va, 0, banner, sizeof(banner) - 1);
    printf("banner_read %zu\nbanner %s\n", n, banner);
    /* two pages are mapped there, the third is not: a short read */
    n = vmi_read_va(vmi, user_va, pid, user, sizeof(user));
    printf("user_read %zu\nuser_text %.64s\n", n, user);
    vmi_destroy(vmi);
    return 0;
}
