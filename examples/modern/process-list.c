/*
 * process-list.c - the guest's processes, written against the modern LibVMI
 * API (0.14 and later): vmi_init_complete, status-returning translations and
 * reads, vmi_get_offset with an out parameter.
 *
 *   modern-process-list NAME [PROFILE]
 * NAME is a domain name or the path of a snapshot; with PROFILE (a JSON
 * profile: Volatility 3 ISF) the symbols and offsets come from it
 * (VMI_CONFIG_JSON_PATH), else from the global config file entry.  Prints
 * "PID NAME" per process, init_task (pid 0) first.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <libvmi/libvmi.h>

#define MAX_TASKS 100000

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err;
    addr_t tasks, name, pid_off, init_task;
    int rc = 1;

    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s NAME [PROFILE]\n", argv[0]);
        return 2;
    }
    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL,
                          argc == 3 ? VMI_CONFIG_JSON_PATH : VMI_CONFIG_GLOBAL_FILE_ENTRY,
                          argc == 3 ? argv[2] : NULL, &err) == VMI_FAILURE) {
        fprintf(stderr, "vmi_init_complete (error %d): %s\n", err, vmi_get_last_error(NULL));
        return 1;
    }
    if (vmi_get_ostype(vmi) != VMI_OS_LINUX ||
        vmi_get_offset(vmi, "linux_tasks", &tasks) == VMI_FAILURE ||
        vmi_get_offset(vmi, "linux_name", &name) == VMI_FAILURE ||
        vmi_get_offset(vmi, "linux_pid", &pid_off) == VMI_FAILURE ||
        vmi_translate_ksym2v(vmi, "init_task", &init_task) == VMI_FAILURE) {
        fprintf(stderr, "not a Linux guest with known offsets: %s\n", vmi_get_last_error(vmi));
        goto out;
    }
    /* a live guest holds still while its list is walked (a snapshot does) */
    vmi_mode_t mode;
    if (vmi_get_access_mode(vmi, NULL, 0, NULL, &mode) == VMI_FAILURE ||
        (mode != VMI_FILE && vmi_pause_vm(vmi) == VMI_FAILURE)) {
        fprintf(stderr, "cannot pause the guest: %s\n", vmi_get_last_error(vmi));
        goto out;
    }
    addr_t head = init_task + tasks, cur = head;
    for (int n = 0; n < MAX_TASKS; n++) {
        addr_t task = cur - tasks, next;
        uint32_t pid;
        char *comm = vmi_read_str_va(vmi, task + name, 0);
        if (!comm || vmi_read_32_va(vmi, task + pid_off, 0, &pid) == VMI_FAILURE) {
            fprintf(stderr, "task at 0x%" PRIx64 ": %s\n", task, vmi_get_last_error(vmi));
            free(comm);
            goto resume;
        }
        printf("%u %s\n", pid, comm);
        free(comm);
        if (vmi_read_addr_va(vmi, cur, 0, &next) == VMI_FAILURE) {
            fprintf(stderr, "list at 0x%" PRIx64 ": %s\n", cur, vmi_get_last_error(vmi));
            goto resume;
        }
        if (next == head) {
            rc = 0;
            break;
        }
        cur = next;
    }
resume:
    vmi_resume_vm(vmi);
out:
    vmi_destroy(vmi);
    return rc;
}
