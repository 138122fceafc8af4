/*
 * check-guest - compares what libvmi reads from a snapshot of a rig guest
 * with the ground truth the guest printed on its serial console.
 *
 *   check-guest SNAPSHOT TRUTHDIR
 *
 * TRUTHDIR holds the rig's truth files (ksyms.txt, banner.txt, argv.txt,
 * regs.txt).  The configuration comes from $LIBVMI_CONF as for any program.
 * Prints one TAP line per check; exits 1 if any check failed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <libvmi.h>

static int failures, checks;

static void check(bool ok, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void check(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    printf("%s %d - %s\n", ok ? "ok" : "not ok", ++checks, msg);
    if (!ok)
        failures++;
    g_free(msg);
}

static char *slurp(const char *dir, const char *file)
{
    char *path = g_build_filename(dir, file, NULL);
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        fprintf(stderr, "check-guest: cannot read %s\n", path);
        exit(99);
    }
    g_free(path);
    return text;
}

/* "name addr" lines -> address of @name */
static bool truth_ksym(const char *ksyms, const char *name, uint64_t *addr)
{
    g_auto(GStrv) lines = g_strsplit(ksyms, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) f = g_strsplit_set(g_strstrip(*l), " \t", -1);
        if (f[0] && f[1] && strcmp(f[0], name) == 0) {
            *addr = g_ascii_strtoull(f[1], NULL, 16);
            return true;
        }
    }
    return false;
}

/* The CR3 value in QEMU's `info registers` output. */
static bool truth_cr3(const char *regs, uint64_t *cr3)
{
    const char *p = strstr(regs, "CR3=");
    if (!p)
        return false;
    *cr3 = g_ascii_strtoull(p + 4, NULL, 16);
    return true;
}

static void snapshot_event_cb(vmi_instance_t vmi, vmi_event_t *event)
{
    (void)vmi;
    (void)event;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: check-guest SNAPSHOT TRUTHDIR\n");
        return 99;
    }
    const char *snap = argv[1], *truth = argv[2];
    bool is_elf = g_str_has_suffix(snap, ".elf");
    vmi_instance_t vmi = NULL;
    if (vmi_init(&vmi, VMI_FILE | VMI_INIT_COMPLETE, (char *)snap) == VMI_FAILURE) {
        printf("not ok 1 - vmi_init(%s): %s\n", snap, vmi_get_last_error(NULL));
        return 1;
    }
    printf("# %s: %s, page mode %d, slide 0x%" PRIx64 "\n", snap, vmi_get_access_path(vmi),
           vmi_get_page_mode(vmi), vmi_get_kaslr_offset(vmi));

    /* 4. linux_banner and _text */
    g_autofree char *banner = slurp(truth, "banner.txt");
    g_strchomp(banner);
    char *got = vmi_read_str_ksym(vmi, "linux_banner");
    if (got)
        g_strchomp(got);
    check(got && strcmp(got, banner) == 0, "linux_banner reads the guest's banner ('%s' vs '%s')",
          got ? got : vmi_get_last_error(vmi), banner);
    free(got);

    g_autofree char *ksyms = slurp(truth, "ksyms.txt");
    static const char *const syms[] = { "_text", "init_task", "linux_banner" };
    for (size_t i = 0; i < G_N_ELEMENTS(syms); i++) {
        uint64_t want;
        if (!truth_ksym(ksyms, syms[i], &want)) {
            /* counted by tests/real/checks.sh as a skipped check */
            printf("# SKIP 1 check(s): ksym2v(%s): the guest printed no %s (kallsyms hides data "
                   "symbols on this kernel)\n", syms[i], syms[i]);
            continue;
        }
        addr_t va = vmi_translate_ksym2v(vmi, syms[i]);
        check(va == want, "ksym2v(%s) = 0x%" PRIx64 ", guest's /proc/kallsyms says 0x%" PRIx64,
              syms[i], va, want);
    }

    /* 5. user-space strings of the sentinel processes */
    g_autofree char *argvs = slurp(truth, "argv.txt");
    g_auto(GStrv) lines = g_strsplit(argvs, "\n", -1);
    int strings = 0;
    for (char **l = lines; *l; l++) {
        if (!**l)
            continue;
        /* pid kind addr string */
        g_auto(GStrv) f = g_strsplit(*l, " ", 4);
        if (!f[0] || !f[1] || !f[2] || !f[3])
            continue;
        vmi_pid_t pid = atoi(f[0]);
        addr_t addr = g_ascii_strtoull(f[2], NULL, 16);
        char *s = vmi_read_str_va(vmi, addr, pid);
        check(s && strcmp(s, f[3]) == 0, "pid %d %s at 0x%" PRIx64 " reads '%s' (guest: '%s')",
              pid, f[1], addr, s ? s : vmi_get_last_error(vmi), f[3]);
        free(s);
        strings++;
    }
    check(strings >= 3, "the guest printed user-space strings to compare (%d)", strings);

    /* 6. CR3 from the QEMU note */
    reg_t cr3 = 0;
    status_t st = vmi_get_vcpureg(vmi, &cr3, CR3, 0);
    if (is_elf) {
        g_autofree char *regs = slurp(truth, "regs.txt");
        uint64_t want = 0;
        check(truth_cr3(regs, &want), "QEMU's info registers shows CR3");
        check(st == VMI_SUCCESS && cr3 == want,
              "vmi_get_vcpureg(CR3) = 0x%" PRIx64 ", QEMU says 0x%" PRIx64, cr3, want);
    } else {
        check(st == VMI_FAILURE && strstr(vmi_get_last_error(vmi), "no vCPU registers"),
              "a raw image has no registers: '%s'", vmi_get_last_error(vmi));
    }

    /* pause/resume on a snapshot succeed and do nothing; events are refused */
    check(vmi_pause_vm(vmi) == VMI_SUCCESS && vmi_resume_vm(vmi) == VMI_SUCCESS,
          "pause/resume on a snapshot succeed");
    /* a complete event (with a callback), so that the refusal is the
     * driver's, not the check of the event itself */
    vmi_event_t ev = { .type = VMI_EVENT_INTERRUPT, .callback = snapshot_event_cb };
    /* the call first: the order in which arguments are evaluated is not
     * C's to promise, and the message of an earlier error is freed by it */
    status_t ev_st = vmi_register_event(vmi, &ev);
    const char *ev_err = vmi_get_last_error(vmi);
    check(ev_st == VMI_FAILURE && strstr(ev_err, "not supported"),
          "events on a snapshot are refused: '%s'", ev_err);

    vmi_destroy(vmi);
    printf("1..%d\n", checks);
    return failures ? 1 : 0;
}
