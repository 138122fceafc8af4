/*
 * classic-ps.c - a process list written for the 2013 LibVMI API, the way
 * programs of that generation are written: vmi_init with VMI_AUTO |
 * VMI_INIT_COMPLETE, unsigned long vmi_get_offset(vmi, name), addr_t
 * vmi_translate_ksym2v(vmi, sym), size_t vmi_read_va, comparisons with
 * vmi_get_access_mode() and vmi_get_page_mode().  It must build unchanged
 * against today's header and against the LIBVMI_0.1 one.
 *   classic-ps NAME    prints "PID NAME" per process, then "mode file|live"
 *                      and "paging 64|other"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvmi/libvmi.h>

int main(int argc, char **argv)
{
    vmi_instance_t vmi;
    unsigned long tasks_offset, pid_offset, name_offset;
    addr_t list_head, next_list_entry, current_process;
    char comm[16];

    if (argc != 2) {
        fprintf(stderr, "usage: %s NAME\n", argv[0]);
        return 2;
    }
    if (vmi_init(&vmi, VMI_AUTO | VMI_INIT_COMPLETE, argv[1]) == VMI_FAILURE) {
        fprintf(stderr, "vmi_init: %s\n", vmi_get_last_error(NULL));
        return 1;
    }
    tasks_offset = vmi_get_offset(vmi, "linux_tasks");
    name_offset = vmi_get_offset(vmi, "linux_name");
    pid_offset = vmi_get_offset(vmi, "linux_pid");
    if (!tasks_offset || !name_offset || !pid_offset) {
        fprintf(stderr, "offsets: %s\n", vmi_get_last_error(vmi));
        return 1;
    }
    if (VMI_FILE != vmi_get_access_mode(vmi) && vmi_pause_vm(vmi) != VMI_SUCCESS) {
        fprintf(stderr, "pause: %s\n", vmi_get_last_error(vmi));
        return 1;
    }
    current_process = vmi_translate_ksym2v(vmi, "init_task");
    list_head = current_process + tasks_offset;
    next_list_entry = list_head;
    int n = 0;
    do {
        uint32_t pid = 0;
        current_process = next_list_entry - tasks_offset;
        vmi_read_32_va(vmi, current_process + pid_offset, 0, &pid);
        memset(comm, 0, sizeof(comm));
        if (vmi_read_va(vmi, current_process + name_offset, 0, comm, sizeof(comm) - 1) == 0) {
            fprintf(stderr, "name: %s\n", vmi_get_last_error(vmi));
            break;
        }
        printf("%u %s\n", pid, comm);
        if (vmi_read_addr_va(vmi, next_list_entry, 0, &next_list_entry) == VMI_FAILURE) {
            fprintf(stderr, "list: %s\n", vmi_get_last_error(vmi));
            break;
        }
    } while (next_list_entry != list_head && ++n < 100000);
    printf("mode %s\n", VMI_FILE == vmi_get_access_mode(vmi) ? "file" : "live");
    printf("paging %s\n", VMI_PM_IA32E == vmi_get_page_mode(vmi) ? "64" : "other");
    vmi_resume_vm(vmi);
    vmi_destroy(vmi);
    return 0;
}
