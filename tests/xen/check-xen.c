/* check-xen: issue 10's acceptance checks through libvmi's xen driver, run
 * inside the Xen rig's dom0 (tests/xen/test-xen-accept.sh).  The ground
 * truth is the domU's own console log (tests/rig/init.sh): VMI-BANNER,
 * VMI-KSYM, VMI-PA (pagemap), VMI-ARGV1 / VMI-CMDLINE, VMI-TICK.
 * Each check prints one line:
 *   XEN-TEST ok - NAME: WHAT | XEN-TEST not ok - NAME: WHAT: WHY |
 *   XEN-TEST skip - NAME: WHAT: WHY
 *
 *   check-xen NAME pv|pvh CONSOLE_LOG      (LIBVMI_CONF names NAME)
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvmi/libvmi.h>

#include "xen-test.h"

/* lines of the console log starting with PREFIX; *last gets the last one */
/* wait up to SECS for a console line equal to WANT after line count N0 */
static int wait_line(const char *path, const char *prefix, const char *want, int secs)
{
    char last[1024];
    int i;
    for (i = 0; i < secs * 2; i++) {
        if (count_lines(path, prefix, last, sizeof last) > 0 && !strcmp(last, want))
            return 0;
        usleep(500000);
    }
    return -1;
}

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    const char *log;
    int pv;

    if (argc != 4 || (strcmp(argv[2], "pv") && strcmp(argv[2], "pvh"))) {
        fprintf(stderr, "usage: check-xen NAME pv|pvh CONSOLE_LOG\n");
        return 2;
    }
    dom_name = argv[1];
    pv = !strcmp(argv[2], "pv");
    log = argv[3];
    if (read_truth(log) < 0 || !banner[0] || !ksym_banner) {
        result(0, "console truth", "no VMI-BANNER / VMI-KSYM linux_banner in %s", log);
        return 1;
    }

    /* VMI_AUTO in dom0 picks the xen driver */
    if (vmi_init(&vmi, VMI_AUTO | VMI_INIT_COMPLETE, (char *)dom_name) == VMI_SUCCESS) {
        result(vmi_get_access_mode(vmi) == VMI_XEN, "VMI_AUTO by domain name picks xen", "mode %u (VMI_XEN %u)",
               (unsigned)vmi_get_access_mode(vmi), (unsigned)VMI_XEN);
        vmi_destroy(vmi);
        vmi = NULL;
    } else {
        result(0, "VMI_AUTO by domain name picks xen", "vmi_init failed");
    }
    if (vmi_init(&vmi, VMI_XEN | VMI_INIT_COMPLETE, (char *)dom_name) != VMI_SUCCESS) {
        result(0, "vmi_init(VMI_XEN) by domain name", "failed");
        return 1;
    }
    result(vmi_get_access_mode(vmi) == VMI_XEN, "vmi_init(VMI_XEN) by domain name", "mode %u, vmid %lu, memsize %lu",
           (unsigned)vmi_get_access_mode(vmi), vmi_get_vmid(vmi), vmi_get_memsize(vmi));
    result(vmi_get_address_width(vmi) == 8, "address width 8", "%u", vmi_get_address_width(vmi));

    /* linux_banner by symbol */
    {
        char *s = vmi_read_str_ksym(vmi, "linux_banner");
        size_t n = s ? strcspn(s, "\n") : 0;
        result(s && n == strlen(banner) && !strncmp(s, banner, n), "linux_banner by symbol equals VMI-BANNER",
               "\"%.50s\"", s ? s : "(unreadable)");
        free(s);
        result(vmi_translate_ksym2v(vmi, "linux_banner") == ksym_banner,
               "ksym2v(linux_banner) equals the guest's kallsyms", "0x%" PRIx64,
               (uint64_t)vmi_translate_ksym2v(vmi, "linux_banner"));
    }

    /* CR3 of vCPU 0 translates _text; linux_banner through it reads the banner */
    {
        reg_t cr3 = 0;
        addr_t ptext = 0, pban = 0;
        char buf[128] = {0};
        size_t want = strlen(banner) < 100 ? strlen(banner) : 100;
        if (vmi_get_vcpureg(vmi, &cr3, CR3, 0) != VMI_SUCCESS) {
            result(0, "CR3 of vCPU 0", "vmi_get_vcpureg failed");
        } else {
            ptext = vmi_pagetable_lookup(vmi, cr3, ksym_text ? ksym_text : 0xffffffff81000000ULL);
            pban = vmi_pagetable_lookup(vmi, cr3, ksym_banner);
            result(ptext != 0, "CR3 translates _text", "cr3 0x%" PRIx64 " -> pa 0x%" PRIx64, (uint64_t)cr3,
                   (uint64_t)ptext);
            result(pban && vmi_read_pa(vmi, pban, buf, want) == want && !memcmp(buf, banner, want),
                   "read_pa of linux_banner's CR3 translation equals VMI-BANNER", "pa 0x%" PRIx64 " \"%.40s\"",
                   (uint64_t)pban, buf);
        }
    }

    /* read_pa of the marker's (pseudo-)physical address (guest's pagemap) */
    if (!pa_addr) {
        skip("read_pa of the VMI-PA marker", "no VMI-PA line on the console (vmi.xen=1)");
    } else {
        char buf[64] = {0};
        size_t n = vmi_read_pa(vmi, pa_addr, buf, strlen(pa_string));
        result(n == strlen(pa_string) && !strcmp(buf, pa_string),
               pv ? "read_pa of a pseudo-physical address (VMI-PA) gives the guest's bytes"
                  : "read_pa of a guest-physical address (VMI-PA) gives the guest's bytes",
               "pa 0x%" PRIx64 ": \"%s\"", pa_addr, buf);
    }

    /* a write into a process's memory shows on the guest's console */
    if (!argv1_pid) {
        skip("write into a process", "no VMI-ARGV1 line");
    } else {
        char want[160], orig[64] = {0};
        size_t len = strlen(argv1);
        if (vmi_read_va(vmi, argv1_addr, argv1_pid, orig, len) != len || strcmp(orig, argv1)) {
            result(0, "read_va of sentinel argv[1]", "pid %u 0x%" PRIx64 ": \"%s\"", argv1_pid, argv1_addr, orig);
        } else {
            char upper[64];
            size_t i;
            for (i = 0; i < len; i++)
                upper[i] = (orig[i] >= 'a' && orig[i] <= 'z') ? orig[i] - 32 : orig[i];
            upper[len] = 0;
            char prefix[32];
            /* the sentinel's own VMI-CMDLINE line (the guest prints one
             * for each of the three every 2 s) */
            snprintf(prefix, sizeof prefix, "VMI-CMDLINE %u ", argv1_pid);
            snprintf(want, sizeof want, "%scat%s", prefix, upper);
            int w = vmi_write_va(vmi, argv1_addr, argv1_pid, upper, len) == len;
            int seen = w && wait_line(log, prefix, want, 300) == 0;
            /* put it back */
            int w2 = vmi_write_va(vmi, argv1_addr, argv1_pid, orig, len) == len;
            snprintf(want, sizeof want, "%scat%s", prefix, orig);
            int back = w2 && wait_line(log, prefix, want, 300) == 0;
            result(w && seen, "write_va into a process shows on the guest's console", "%s",
                   !w ? "write failed" : seen ? upper : "not seen in 300 s");
            if (seen)
                result(back, "the restored bytes show again", w2 ? NULL : "write failed");
            else
                skip("the restored bytes show again", "the first write was not seen");
        }
    }

    /* pause stops the guest's ticks (for 3 tick intervals as measured
     * now), resume restarts them */
    {
        int before, during, after = 0, k, hold;
        double iv = tick_interval(log);
        hold = pause_hold(iv);
        if (iv < 0) {
            result(0, "VMI-TICK lines arrive", "none in 300 s");
        } else if (vmi_pause_vm(vmi) != VMI_SUCCESS) {
            result(0, "vmi_pause_vm", "failed");
        } else {
            sleep(1);
            before = count_ticks(log);
            sleep(hold);
            during = count_ticks(log);
            int r = vmi_resume_vm(vmi) == VMI_SUCCESS;
            for (k = 0; r && k < 2 * hold + 60; k++) {
                sleep(1);
                after = count_ticks(log);
                if (after > during)
                    break;
            }
            result(before == during, "vmi_pause_vm: no VMI-TICK for 3 tick intervals",
                   "%d s (a tick every %.1f s now), ticks %d -> %d", hold, iv, before, during);
            result(r && after > during, "vmi_resume_vm: VMI-TICK again", "ticks %d -> %d", during, after);
        }
    }

    /* Xen shm-snapshot: jiffies (changing while live) stays fixed while
     * the snapshot exists, and changes again after it is destroyed */
    {
        uint64_t j0 = 0, j1 = 0, j2 = 0, j3 = 0, j4 = 0;
        vmi_read_64_ksym(vmi, "jiffies", &j0);
        sleep(2);
        vmi_read_64_ksym(vmi, "jiffies", &j1);
        if (j0 == j1) {
            result(0, "jiffies changes while the domU runs", "0x%" PRIx64 " twice", j0);
        } else if (vmi_shm_snapshot_create(vmi) != VMI_SUCCESS) {
            result(0, "vmi_shm_snapshot_create", "failed");
        } else {
            vmi_read_64_ksym(vmi, "jiffies", &j2);
            sleep(3);
            vmi_read_64_ksym(vmi, "jiffies", &j3);
            result(j2 && j2 == j3, "shm-snapshot: jiffies fixed for 3 s", "0x%" PRIx64 " / 0x%" PRIx64, j2, j3);
            result(vmi_shm_snapshot_destroy(vmi) == VMI_SUCCESS, "vmi_shm_snapshot_destroy", NULL);
            sleep(2);
            vmi_read_64_ksym(vmi, "jiffies", &j4);
            result(j4 > j3, "after the snapshot: jiffies live again", "0x%" PRIx64 " -> 0x%" PRIx64, j3, j4);
        }
    }

    vmi_destroy(vmi);
    /* the host counts a run without this line as a failure (killed) */
    printf("XEN-TEST info - %s: check-xen complete\n", dom_name);
    return failed;
}
