/*
 * regs.c - vCPU 0's registers through the modern calls: vmi_get_vcpuregs()
 * (the struct of all registers) and vmi_get_vcpureg() with LibVMI 0.14's
 * register numbers; for modern-api.sh, which compares them with QEMU's own
 * "info registers" of the same moment.
 *   regs NAME     prints "RIP=... RSP=... CR3=... CR0=..." (16 hex digits)
 */
#include <inttypes.h>
#include <stdio.h>
#include <libvmi/libvmi.h>

int main(int argc, char **argv)
{
    vmi_instance_t vmi;
    vmi_init_error_t err;
    registers_t regs;
    uint64_t cr3;

    if (argc != 2)
        return 2;
    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_GLOBAL_FILE_ENTRY,
                          NULL, &err) == VMI_FAILURE ||
        vmi_get_vcpuregs(vmi, &regs, 0) == VMI_FAILURE ||
        vmi_get_vcpureg(vmi, &cr3, CR3, 0) == VMI_FAILURE) {
        fprintf(stderr, "%s\n", vmi_get_last_error(NULL));
        return 1;
    }
    if (cr3 != regs.x86.cr3) {
        fprintf(stderr, "CR3 %" PRIx64 " by number, %" PRIx64 " in the struct\n", cr3, regs.x86.cr3);
        return 1;
    }
    printf("RIP=%016" PRIx64 " RSP=%016" PRIx64 " CR3=%016" PRIx64 " CR0=%016" PRIx64 "\n",
           regs.x86.rip, regs.x86.rsp, regs.x86.cr3, regs.x86.cr0);
    vmi_destroy(vmi);
    return 0;
}
