/*
 * check-live - checks libvmi's kvm driver against a running rig guest,
 * with the guest's own console as the ground truth.
 *
 *   check-live CHECK NAME CONSOLE
 *
 * NAME is the entry of $LIBVMI_CONF (qmp, gdb, kvm_access, sysmap, offsets);
 * CONSOLE the guest's serial log, which prints its process list, the
 * addresses of its sentinels' strings, VMI-TICK <uptime> every 2 s and the
 * sentinels' command lines as the kernel reads them.  CHECK is one of:
 *   ps        the process list equals the guest's; with --running, the
 *             guest's uptime advances while libvmi reads for 3 s
 *   write     overwrite a sentinel's argv[1] and see the guest print it
 *   regs      CR3 and RIP of every vCPU agree with the page tables
 *   pause     uptime stops while paused, advances after resume
 *   events    breakpoint, write watchpoint on jiffies, 100 single steps
 *   snapshot  jiffies stays fixed in reads while a shm-snapshot exists
 *   initsnap  the same for an instance opened with VMI_INIT_SHM_SNAPSHOT
 *   gone      reads until the caller kills QEMU: an error, no crash or hang
 * Prints TAP lines; exits 1 if a check failed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib.h>
#include <libvmi.h>
#include "live-checks.h"

/* Waits up to @secs for a tick later than @after. */
static double tick_after(double after, double secs)
{
    double end = now() + secs, t;
    while ((t = last_tick()) <= after && now() < end)
        g_usleep(100000);
    return t;
}

/* The last complete VMI-PS block the guest printed: "pid name" lines, sorted. */
static GPtrArray *guest_ps(void)
{
    g_autofree char *text = console();
    const char *begin = NULL, *p = text;
    while ((p = strstr(p, "VMI-PS-BEGIN")) != NULL) {
        if (strstr(p, "VMI-PS-END"))
            begin = p;
        p++;
    }
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    if (!begin)
        return out;
    const char *end = strstr(begin, "VMI-PS-END");
    g_autofree char *block = g_strndup(begin, end - begin);
    g_auto(GStrv) lines = g_strsplit(block, "\n", -1);
    for (char **l = lines; *l; l++) {
        int pid;
        char name[64];
        if (sscanf(*l, "VMI-PS %d %63[^\r\n]", &pid, name) == 2) {
            /* the kernel keeps 15 characters of a name; kworkers get "-desc" in /proc */
            char *dash = strncmp(name, "kworker/", 8) == 0 ? strpbrk(name + 8, "-+") : NULL;
            if (dash)
                *dash = '\0';
            name[15] = '\0';
            g_ptr_array_add(out, g_strdup_printf("%d %s", pid, name));
        }
    }
    return out;
}

static gint cmp_pid_lines(gconstpointer a, gconstpointer b)
{
    return atoi(*(char *const *)a) - atoi(*(char *const *)b);
}

static char *ps_text(GPtrArray *lines)
{
    g_ptr_array_sort(lines, cmp_pid_lines);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < lines->len; i++)
        g_string_append_printf(s, "%s\n", (char *)lines->pdata[i]);
    return g_string_free(s, FALSE);
}

static char *vmi_ps(vmi_instance_t vmi)
{
    vmi_process_t *list = NULL;
    size_t n = 0;
    if (vmi_get_processes(vmi, &list, &n) == VMI_FAILURE)
        return NULL;
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < n; i++)
        if (list[i].pid != 0)
            g_ptr_array_add(lines, g_strdup_printf("%d %s", list[i].pid, list[i].name));
    free(list);
    return ps_text(lines);
}

static void check_ps(vmi_instance_t vmi, bool running)
{
    double t0 = last_tick(), start = now();
    int rounds = 0;
    g_autofree char *got = vmi_ps(vmi);
    check(got != NULL, "process list read (%s)", got ? "ok" : vmi_get_last_error(vmi));
    if (!got)
        return;
    /* the guest may have started a kernel worker meanwhile: compare with
     * what it printed, and accept one of two consecutive prints */
    bool same = false;
    for (int tries = 0; tries < 3 && !same; tries++) {
        g_autoptr(GPtrArray) want_lines = guest_ps();
        g_autofree char *want = ps_text(want_lines);
        same = strcmp(want, got) == 0;
        if (!same && tries == 2)
            printf("# guest:\n%s# libvmi:\n%s", want, got);
        if (!same) {
            tick_after(last_tick(), 5);
            g_free(got);
            got = vmi_ps(vmi);
        }
    }
    check(same, "process list equals the guest's own (through %s)", vmi_get_access_path(vmi));
    if (!running)
        return;
    /* lists one after the other until the guest prints a newer tick (it
     * does every 2 s when it runs; a bound, not a timing: a loaded TCG
     * guest may take far longer than that) */
    double t1 = t0;
    while (now() - start < 3.5 || (t1 <= t0 && now() - start < 60)) {
        g_free(vmi_ps(vmi));
        rounds++;
        if (rounds % 16 == 0)
            t1 = last_tick();
    }
    t1 = last_tick();
    check(t1 > t0, "the guest ran during %d process lists in %.1f s (uptime %.2f -> %.2f)", rounds,
          now() - start, t0, t1);
}

/* "VMI-ARGV1 <pid> <addr> <string>" of the first sentinel */
static bool sentinel(vmi_pid_t *pid, addr_t *addr, char *str, size_t len)
{
    g_autofree char *text = console();
    const char *p = strstr(text, "VMI-ARGV1 ");
    char s[128];
    uint64_t a;
    if (!p || sscanf(p, "VMI-ARGV1 %d %" SCNx64 " %127s", pid, &a, s) != 3)
        return false;
    *addr = a;
    g_strlcpy(str, s, len);
    return true;
}

static bool console_has(const char *needle, double secs)
{
    double end = now() + secs;
    do {
        g_autofree char *text = console();
        if (strstr(text, needle))
            return true;
        g_usleep(200000);
    } while (now() < end);
    return false;
}

static void check_write(vmi_instance_t vmi)
{
    vmi_pid_t pid = 0;
    addr_t addr = 0;
    char orig[128] = "";
    check(sentinel(&pid, &addr, orig, sizeof(orig)), "the guest printed its sentinel's argv[1]");
    char *cur = vmi_read_str_va(vmi, addr, pid);
    check(cur && strcmp(cur, orig) == 0, "argv[1] of pid %d reads '%s' (guest: '%s')", pid,
          cur ? cur : vmi_get_last_error(vmi), orig);
    free(cur);
    /* same length, so the kernel's view of the command line keeps its shape */
    char repl[128];
    snprintf(repl, sizeof(repl), "%.*s", (int)strlen(orig), "written-by-libvmi-written-by-libvmi");
    size_t n = vmi_write_va(vmi, addr, pid, repl, strlen(repl));
    check(n == strlen(repl), "wrote '%s' over argv[1] (%zu bytes: %s)", repl, n,
          n == strlen(repl) ? "ok" : vmi_get_last_error(vmi));
    g_autofree char *needle = g_strdup_printf("VMI-CMDLINE %d cat%s", pid, repl);
    check(console_has(needle, 8), "the guest itself prints the new value: '%s'", needle);
    vmi_write_va(vmi, addr, pid, orig, strlen(orig));
    g_autofree char *back = g_strdup_printf("VMI-CMDLINE %d cat%s", pid, orig);
    double t = last_tick();
    tick_after(t, 5);
    check(console_has(back, 8), "restored, the guest prints '%s' again", back);
}

/* the page directory a CR3 value names (flags and PCID dropped) */
static addr_t cr3_dtb(reg_t cr3)
{
    return cr3 & ~0xfffull & ((1ull << 52) - 1);
}

static void check_regs(vmi_instance_t vmi)
{
    addr_t text = vmi_translate_ksym2v(vmi, "_text");
    addr_t text_pa = vmi_translate_kv2p(vmi, text);
    int vcpus = 0;
    for (unsigned long cpu = 0; cpu < 64; cpu++) {
        reg_t cr3 = 0, rip = 0;
        if (vmi_get_vcpureg(vmi, &cr3, CR3, cpu) == VMI_FAILURE)
            break;
        vcpus++;
        status_t st = vmi_get_vcpureg(vmi, &rip, RIP, cpu);
        check(st == VMI_SUCCESS, "vCPU %lu: RIP 0x%" PRIx64, cpu, rip);
        addr_t dtb = cr3_dtb(cr3);
        /* with PTI a vCPU in user mode runs on the user copy (+4 KiB) */
        addr_t pa = vmi_pagetable_lookup(vmi, dtb, text);
        if (!pa)
            pa = vmi_pagetable_lookup(vmi, dtb & ~0x1000ull, text);
        check(pa == text_pa && pa, "vCPU %lu: CR3 0x%" PRIx64 " maps _text 0x%" PRIx64 " to 0x%" PRIx64
              " like the kernel's tables (0x%" PRIx64 ")", cpu, cr3, text, pa, text_pa);
        addr_t rip_pa = vmi_pagetable_lookup(vmi, dtb, rip);
        check(rip_pa != 0, "vCPU %lu: RIP 0x%" PRIx64 " is mapped by CR3 (pa 0x%" PRIx64 ")", cpu, rip, rip_pa);
    }
    /* setting a register: paused, changed, read back, restored */
    reg_t r11 = 0, back = 0;
    if (vmi_pause_vm(vmi) == VMI_SUCCESS && vmi_get_vcpureg(vmi, &r11, R11, 0) == VMI_SUCCESS) {
        status_t set = vmi_set_vcpureg(vmi, r11 ^ 0x5a5a5a5aull, R11, 0);
        const char *why = set == VMI_SUCCESS ? "set" : vmi_get_last_error(vmi);
        vmi_get_vcpureg(vmi, &back, R11, 0);
        bool gdb = g_getenv("EXPECT_SET_REGS") != NULL;
        if (gdb)
            check(set == VMI_SUCCESS && back == (r11 ^ 0x5a5a5a5aull),
                  "vCPU 0: R11 0x%" PRIx64 " set to 0x%" PRIx64 " reads back 0x%" PRIx64 " (%s)", r11,
                  (uint64_t)(r11 ^ 0x5a5a5a5aull), back, why);
        else
            check(set == VMI_FAILURE && strstr(why, "gdbstub"),
                  "without a gdbstub, setting registers is refused: %s", why);
        vmi_set_vcpureg(vmi, r11, R11, 0);
        vmi_get_vcpureg(vmi, &back, R11, 0);
        check(back == r11, "vCPU 0: R11 restored (0x%" PRIx64 ")", back);
    }
    vmi_resume_vm(vmi);
    const char *want = g_getenv("EXPECT_VCPUS");
    check(vcpus > 0 && (!want || vcpus == atoi(want)), "%d vCPU(s) answered (expected %s)", vcpus,
          want ? want : "any");
}

static void check_pause(vmi_instance_t vmi)
{
    double t0 = tick_after(last_tick(), 5);
    status_t ps = vmi_pause_vm(vmi);
    check(ps == VMI_SUCCESS, "pause: %s", ps == VMI_SUCCESS ? "paused" : vmi_get_last_error(vmi));
    double paused_at = last_tick();
    g_usleep(4500000);
    double t1 = last_tick();
    check(t1 == paused_at, "no tick while paused for 4.5 s (%.2f -> %.2f)", paused_at, t1);
    ps = vmi_resume_vm(vmi);
    check(ps == VMI_SUCCESS, "resume: %s", ps == VMI_SUCCESS ? "resumed" : vmi_get_last_error(vmi));
    double t2 = tick_after(t1, 20);
    check(t2 > t1, "ticks again after resume (%.2f -> %.2f, first %.2f)", t1, t2, t0);
}

static int hits;
static addr_t hit_gla, hit_gfn;
static uint64_t hit_rips[128];
static bool hit_repeats[128];   /* the instruction there may step in place */
static uint8_t hit_code[128][15];   /* its bytes, as read (for the log) */
static size_t hit_code_len[128];

/* Whether the instruction in @code can leave RIP where it was after one
 * step: a REP/REPNE string instruction (one iteration per step) or HLT. */
static bool steps_in_place(const uint8_t *code, size_t len)
{
    bool rep = false;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = code[i];
        if (b == 0xf3 || b == 0xf2)
            rep = true;
        else if (b == 0x66 || b == 0x67 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 ||
                 b == 0x64 || b == 0x65 || b == 0xf0 || (b >= 0x40 && b <= 0x4f))
            continue;
        else
            return b == 0xf4 || (rep && ((b >= 0xa4 && b <= 0xa7) || (b >= 0xaa && b <= 0xaf) ||
                                         b == 0x6c || b == 0x6d || b == 0x6e || b == 0x6f));
    }
    return false;
}

/* the instruction at @va of a vCPU, read through its own CR3 (with PTI, a
 * vCPU in user mode runs on the user copy of the tables) */
static bool repeats_at(vmi_instance_t vmi, unsigned vcpu, addr_t va, uint8_t code[15],
                       size_t *code_len)
{
    reg_t cr3 = 0;
    *code_len = 0;
    if (vmi_get_vcpureg(vmi, &cr3, CR3, vcpu) == VMI_FAILURE)
        return false;
    addr_t dtb = cr3_dtb(cr3);
    addr_t pa = vmi_pagetable_lookup(vmi, dtb, va);
    if (!pa)
        return false;
    size_t n = MIN(15, 4096 - (va & 0xfff));
    if (vmi_read_pa(vmi, pa, code, n) != n)
        return false;
    *code_len = n;
    return steps_in_place(code, n);
}

static reg_t cr3_seen[64];
static int cr3_values;

static void on_event(vmi_instance_t vmi, vmi_event_t *ev)
{
    if (ev->type == VMI_EVENT_REGISTER && cr3_values < 64) {
        cr3_seen[cr3_values++] = ev->reg_event.value;
    } else if (ev->type == VMI_EVENT_INTERRUPT) {
        hit_gla = ev->interrupt_event.gla;
        hit_gfn = ev->interrupt_event.gfn;
    } else if (ev->type == VMI_EVENT_MEMORY) {
        hit_gla = ev->mem_event.gla;
        hit_gfn = ev->mem_event.gfn;
    } else if (ev->type == VMI_EVENT_SINGLESTEP && hits < 128) {
        hit_rips[hits] = ev->ss_event.gla;
        hit_repeats[hits] = repeats_at(vmi, ev->vcpu_id, ev->ss_event.gla, hit_code[hits],
                                       &hit_code_len[hits]);
    }
    hits++;
}

static void listen_until(vmi_instance_t vmi, int want, double secs)
{
    double end = now() + secs;
    while (hits < want && now() < end)
        if (vmi_events_listen(vmi, 500) == VMI_FAILURE) {
            printf("# listen: %s\n", vmi_get_last_error(vmi));
            break;
        }
}

static void check_events(vmi_instance_t vmi)
{
    /* a breakpoint on a function the guest's init calls every tick */
    const char *fn = "ksys_write";
    addr_t va = vmi_translate_ksym2v(vmi, (char *)fn);
    vmi_event_t bp = { .type = VMI_EVENT_INTERRUPT, .callback = on_event };
    bp.interrupt_event.gla = va;
    bp.interrupt_event.intr = INT3;
    hits = 0;
    status_t rs = vmi_register_event(vmi, &bp);
    check(rs == VMI_SUCCESS, "breakpoint on %s (0x%" PRIx64 "): %s", fn, va,
          rs == VMI_SUCCESS ? "registered" : vmi_get_last_error(vmi));
    listen_until(vmi, 1, 10);
    check(hits >= 1 && hit_gla == va, "the breakpoint fired: %d hit(s) at 0x%" PRIx64, hits, hit_gla);
    check(hit_gfn == vmi_translate_kv2p(vmi, va) >> 12, "with its frame 0x%" PRIx64, hit_gfn);
    check(vmi_clear_event(vmi, &bp) == VMI_SUCCESS, "breakpoint cleared");

    /* a write watch on jiffies */
    addr_t jva = vmi_translate_ksym2v(vmi, "jiffies");
    addr_t jpa = vmi_translate_kv2p(vmi, jva);
    vmi_event_t wp = { .type = VMI_EVENT_MEMORY, .callback = on_event };
    wp.mem_event.physical_address = jpa;
    wp.mem_event.granularity = VMI_MEMEVENT_BYTE;
    wp.mem_event.in_access = VMI_MEMACCESS_W;
    hits = 0;
    hit_gla = 0;
    rs = vmi_register_event(vmi, &wp);
    check(rs == VMI_SUCCESS, "write watch on jiffies (pa 0x%" PRIx64 "): %s", jpa,
          rs == VMI_SUCCESS ? "registered" : vmi_get_last_error(vmi));
    listen_until(vmi, 1, 10);
    check(hits >= 1 && hit_gla >= jva && hit_gla < jva + 8,
          "the watch fired at 0x%" PRIx64 " (jiffies at 0x%" PRIx64 ")", hit_gla, jva);
    check(hit_gfn == jpa >> 12, "with jiffies' frame 0x%" PRIx64 " (got 0x%" PRIx64 ")", jpa >> 12, hit_gfn);
    check(vmi_clear_event(vmi, &wp) == VMI_SUCCESS, "watch cleared");

    /* 100 single steps */
    vmi_event_t ss = { .type = VMI_EVENT_SINGLESTEP, .callback = on_event };
    SET_VCPU_SINGLESTEP(ss.ss_event, 0);
    hits = 0;
    rs = vmi_register_event(vmi, &ss);
    check(rs == VMI_SUCCESS, "single-step vCPU 0: %s",
          rs == VMI_SUCCESS ? "registered" : vmi_get_last_error(vmi));
    /* a vCPU halted in the idle loop steps only when an interrupt comes:
     * such a listen reports nothing (the guest's timers fire at least
     * every 2 s) */
    int listens = 0;
    double end = now() + 60;
    while (hits < 100 && now() < end) {
        listens++;
        if (vmi_events_listen(vmi, 1000) == VMI_FAILURE) {
            printf("# listen %d: %s\n", listens, vmi_get_last_error(vmi));
            break;
        }
    }
    /* RIP moves at every step, but for a REP string instruction (one
     * iteration per step) or HLT: such a step must be at one */
    int changes = 0, in_place = 0, unexplained = 0;
    for (int i = 1; i < hits && i < 128; i++) {
        if (hit_rips[i] != hit_rips[i - 1]) {
            changes++;
        } else if (hit_repeats[i - 1]) {
            in_place++;
        } else {
            unexplained++;
            printf("# step %d stayed at 0x%" PRIx64 ", not a REP string instruction or HLT:", i,
                   hit_rips[i]);
            for (size_t b = 0; b < hit_code_len[i - 1]; b++)
                printf(" %02x", hit_code[i - 1][b]);
            printf("%s\n", hit_code_len[i - 1] ? "" : " (code not readable through its CR3)");
        }
    }
    check(hits == 100, "%d listens gave %d single-step callbacks (100 wanted)", listens, hits);
    check(changes >= 1 && unexplained == 0,
          "RIP changed %d times in those steps; %d steps in place at REP/HLT, %d unexplained",
          changes, in_place, unexplained);
    check(vmi_clear_event(vmi, &ss) == VMI_SUCCESS, "single-step cleared");

    /* CR3 writes (the kernel's own mov to CR3, breakpoints in its text):
     * each value written is a page directory that maps the kernel */
    vmi_event_t reg = { .type = VMI_EVENT_REGISTER, .callback = on_event };
    reg.reg_event.reg = CR3;
    reg.reg_event.in_access = VMI_REGACCESS_W;
    hits = 0;
    cr3_values = 0;
    status_t st = vmi_register_event(vmi, &reg);
    check(st == VMI_SUCCESS, "CR3 write event: %s", st == VMI_SUCCESS ? "registered" : vmi_get_last_error(vmi));
    listen_until(vmi, 4, 20);
    addr_t text = vmi_translate_ksym2v(vmi, "_text");
    addr_t text_pa = vmi_translate_kv2p(vmi, text);
    int tables = 0;
    for (int i = 0; i < cr3_values; i++) {
        addr_t pa = vmi_pagetable_lookup(vmi, cr3_dtb(cr3_seen[i]), text);
        tables += pa == text_pa;
        if (pa != text_pa)
            printf("# CR3 value 0x%" PRIx64 " does not map _text\n", cr3_seen[i]);
    }
    check(cr3_values >= 4 && tables == cr3_values,
          "%d CR3 writes seen; %d of the values are page directories that map _text", cr3_values,
          tables);
    check(vmi_clear_event(vmi, &reg) == VMI_SUCCESS, "CR3 write event cleared");

    /* the guest ticks every 2 s of its own time; a loaded host (CI runs
     * guests side by side under TCG) can stretch that */
    double t = last_tick(), t0 = now();
    double t2 = tick_after(t, 20);
    check(t2 > t, "the guest runs on after the events (tick %.2f -> %.2f after %.1f s)", t, t2,
          now() - t0);
}

/* jiffies now and after the guest's next console tick: an idle tickless
 * kernel updates jiffies only when it wakes, which it does for each tick */
static void jiffies_across_tick(vmi_instance_t vmi, uint64_t *a, uint64_t *b)
{
    *a = *b = 0;
    vmi_read_64_ksym(vmi, "jiffies", a);
    double t = last_tick();
    tick_after(t, 5);
    g_usleep(100000);
    vmi_read_64_ksym(vmi, "jiffies", b);
}

static void check_snapshot(vmi_instance_t vmi)
{
    uint64_t a = 0, b = 0;
    jiffies_across_tick(vmi, &a, &b);
    check(a != b, "jiffies moves in a running guest (%" PRIu64 " -> %" PRIu64 ")", a, b);
    double t0 = now();
    status_t st = vmi_shm_snapshot_create(vmi);
    double took = now() - t0;
    check(st == VMI_SUCCESS, "shm-snapshot of %lu MiB created in %.3f s (%s)",
          vmi_get_memsize(vmi) >> 20, took, st == VMI_SUCCESS ? "ok" : vmi_get_last_error(vmi));
    check(strcmp(vmi_get_access_path(vmi), "shm-snapshot") == 0, "reads come from the snapshot (%s)",
          vmi_get_access_path(vmi));
    jiffies_across_tick(vmi, &a, &b);
    check(a == b && a != 0, "jiffies fixed while the snapshot exists, across a guest tick (%" PRIu64
          " = %" PRIu64 ")", a, b);
    void *p = NULL;
    check(vmi_get_dgpma(vmi, 0x1000, &p, 4096) == 4096 && p, "dgpma points into the snapshot");
    check(vmi_shm_snapshot_destroy(vmi) == VMI_SUCCESS, "snapshot destroyed");
    jiffies_across_tick(vmi, &a, &b);
    check(a != b, "jiffies moves again (%" PRIu64 " -> %" PRIu64 ")", a, b);

}

/* An instance opened with VMI_INIT_SHM_SNAPSHOT reads a snapshot from the
 * start (QEMU takes one QMP client at a time: this is its own run). */
static void check_initsnap(vmi_instance_t snap)
{
    uint64_t a = 0, b = 0;
    check(strcmp(vmi_get_access_path(snap), "shm-snapshot") == 0, "opened on a snapshot (%s)",
          vmi_get_access_path(snap));
    jiffies_across_tick(snap, &a, &b);
    check(a == b && a != 0, "jiffies fixed across a guest tick (%" PRIu64 ")", a);
    vmi_process_t *list = NULL;
    size_t n = 0;
    check(vmi_get_processes(snap, &list, &n) == VMI_SUCCESS && n > 10, "processes from the snapshot (%zu)", n);
    free(list);
    /* a pointer by virtual address, no further than its page */
    addr_t banner = vmi_translate_ksym2v(snap, "linux_banner");
    void *vp = NULL;
    size_t got = vmi_get_dgvma(snap, banner, 0, &vp, 1u << 20);
    check(vp && got > 0 && got <= 4096 && memcmp(vp, "Linux version", 13) == 0,
          "dgvma(linux_banner) points at the banner (%zu bytes)", got);
    check(vmi_shm_snapshot_destroy(snap) == VMI_SUCCESS, "snapshot destroyed");
    jiffies_across_tick(snap, &a, &b);
    check(a != b, "then jiffies moves (%" PRIu64 " -> %" PRIu64 ")", a, b);
}

/* Reads until an error; the caller kills QEMU meanwhile. */
static void check_gone(vmi_instance_t vmi)
{
    printf("# reading; kill QEMU now\n");
    fflush(stdout);
    double end = now() + 30;
    int ok_reads = 0;
    while (now() < end) {
        uint64_t v;
        if (vmi_read_64_ksym(vmi, "jiffies", &v) == VMI_FAILURE)
            break;
        ok_reads++;
        g_usleep(10000);
    }
    const char *why = vmi_get_last_error(vmi);
    check(now() < end, "a read failed after QEMU died (%d reads before): %s", ok_reads, why);
    uint64_t v;
    check(vmi_read_64_ksym(vmi, "jiffies", &v) == VMI_FAILURE, "and the next one too: %s",
          vmi_get_last_error(vmi));
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: check-live ps|running|write|regs|pause|events|snapshot|gone NAME CONSOLE\n");
        return 99;
    }
    const char *what = argv[1];
    console_path = argv[3];
    vmi_instance_t vmi = NULL;
    double t0 = now();
    uint32_t flags = VMI_KVM | VMI_INIT_COMPLETE;
    if (!strcmp(what, "initsnap"))
        flags |= VMI_INIT_SHM_SNAPSHOT;
    if (vmi_init(&vmi, flags, argv[2]) == VMI_FAILURE) {
        printf("not ok 1 - vmi_init(%s): %s\n", argv[2], vmi_get_last_error(NULL));
        return 1;
    }
    printf("# %s: access path %s, init %.3f s, slide 0x%" PRIx64 "\n", argv[2],
           vmi_get_access_path(vmi), now() - t0, vmi_get_kaslr_offset(vmi));
    const char *want_path = g_getenv("EXPECT_PATH");
    if (want_path)
        check(strcmp(vmi_get_access_path(vmi), want_path) == 0, "access path is %s (%s)", want_path,
              vmi_get_access_path(vmi));
    if (!strcmp(what, "ps") || !strcmp(what, "running"))
        check_ps(vmi, !strcmp(what, "running"));
    else if (!strcmp(what, "write"))
        check_write(vmi);
    else if (!strcmp(what, "regs"))
        check_regs(vmi);
    else if (!strcmp(what, "pause"))
        check_pause(vmi);
    else if (!strcmp(what, "events"))
        check_events(vmi);
    else if (!strcmp(what, "snapshot"))
        check_snapshot(vmi);
    else if (!strcmp(what, "initsnap"))
        check_initsnap(vmi);
    else if (!strcmp(what, "gone"))
        check_gone(vmi);
    else {
        fprintf(stderr, "check-live: unknown check '%s'\n", what);
        return 99;
    }
    vmi_destroy(vmi);
    printf("1..%d\n", checks);
    return failures ? 1 : 0;
}
