/*
 * check-events - the modern event API (VMI_EVENTS_VERSION structures,
 * SETUP_*_EVENT, callbacks returning event_response_t) on a running rig
 * guest through the kvm driver, checked against the guest's own truth.
 *
 *   check-events NAME CONSOLE KALLSYMS
 *
 * NAME: the $LIBVMI_CONF entry (gdb and qmp sockets); CONSOLE: the guest's
 * serial log (VMI-KSYM lines give its live _text, _stext, jiffies,
 * init_top_pgt; VMI-PS its processes; VMI-TICK its uptime); KALLSYMS: the
 * rig's kallsyms of the same kernel (another boot: addresses are moved by
 * the live _text).  The guest must run with LIBVMI_RIG_BUSY=1 (CR3 writes).
 *   int3     every INT3 the guest runs: one written at ksys_write, recoiled
 *            with reinject 0 and a toggled single-step
 *   memory   writes to the page of jiffies
 *   register CR3 writes: page directories of the guest's processes, each
 *            write's previous value the one before
 *   step     single steps of vCPU 0 inside the kernel's text (or user
 *            space), stopped by the callback's response
 *   refuse   a response the driver cannot honour: a clear error
 *   stepev   vmi_step_event: N steps, then a callback or the event again
 *   swap     vmi_swap_events on a page
 * Prints TAP lines; exits 1 if a check failed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib.h>
#include <libvmi.h>
#include <libvmi/events.h>
#include "live-checks.h"

static bool guest_runs_on(void)
{
    double t = last_tick(), end = now() + 20;
    while (last_tick() <= t && now() < end)
        g_usleep(100000);
    return last_tick() > t;
}

/* "VMI-KSYM <addr> <type> <name>" of the live guest */
static addr_t guest_ksym(const char *name)
{
    g_autofree char *text = console();
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char n[128], t;
        uint64_t a;
        if (sscanf(*l, "VMI-KSYM %" SCNx64 " %c %127s", &a, &t, n) == 3 && !strcmp(n, name))
            return a;
    }
    return 0;
}

/* @name in the rig's kallsyms, moved to the live kernel */
static addr_t kallsyms(const char *path, const char *name, addr_t live_text)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    addr_t sym = 0, text0 = 0;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char n[256], t;
        uint64_t a;
        if (sscanf(*l, "%" SCNx64 " %c %255s", &a, &t, n) != 3)
            continue;
        if (!strcmp(n, "_text"))
            text0 = a;
        if (!strcmp(n, name) && !sym)
            sym = a;
    }
    return sym && text0 ? sym - text0 + live_text : 0;
}

static bool guest_has_pid(vmi_pid_t pid)
{
    g_autofree char *text = console();
    g_autofree char *needle = g_strdup_printf("VMI-PS %d ", pid);
    return strstr(text, needle) != NULL;
}

static void listen_while(vmi_instance_t vmi, const int *count, int want, double secs)
{
    double end = now() + secs;
    while (*count < want && now() < end)
        if (vmi_events_listen(vmi, 500) == VMI_FAILURE) {
            printf("# listen: %s\n", vmi_get_last_error(vmi));
            break;
        }
}

/* ---------------------------------------------------------------- INT3 */

static struct {
    addr_t target;
    uint8_t orig;
    int hits, foreign, steps, rip_ok;
    bool disarm;
    addr_t last_gla, last_gfn;
    uint32_t last_len;
} bp;

static event_response_t on_int3(vmi_instance_t vmi, vmi_event_t *ev)
{
    interrupt_event_t *ie = &ev->interrupt_event;
    if (ie->gla != bp.target) {
        bp.foreign++;
        ie->reinject = 1;
        return VMI_EVENT_RESPONSE_NONE;
    }
    bp.hits++;
    bp.last_gla = ie->gla;
    bp.last_gfn = ie->gfn;
    bp.last_len = ie->insn_length;
    bp.rip_ok += ev->x86_regs && ev->x86_regs->rip == ie->gla;
    /* recoil: the original byte back, swallow the INT3, step it, re-arm */
    vmi_write_8_va(vmi, bp.target, 0, &bp.orig);
    ie->reinject = 0;
    return VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP;
}

static event_response_t on_rearm(vmi_instance_t vmi, vmi_event_t *ev)
{
    (void)ev;
    uint8_t cc = 0xcc;
    bp.steps++;
    if (!bp.disarm)
        vmi_write_8_va(vmi, bp.target, 0, &cc);
    return VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP;
}

static void check_int3(vmi_instance_t vmi, addr_t target)
{
    memset(&bp, 0, sizeof(bp));
    bp.target = target;
    check(target && vmi_read_8_va(vmi, target, 0, &bp.orig) == VMI_SUCCESS,
          "INT3: ksys_write at 0x%" PRIx64 " (guest's kallsyms), first byte 0x%02x", target, bp.orig);
    vmi_event_t int3 = { 0 }, ss = { 0 };
    SETUP_INTERRUPT_EVENT(&int3, on_int3);
    SETUP_SINGLESTEP_EVENT(&ss, 1u << 0, on_rearm, 0);
    /* the events first: an INT3 the guest ran before would be its own */
    status_t r1 = vmi_register_event(vmi, &int3);
    const char *why1 = r1 == VMI_SUCCESS ? "registered" : vmi_get_last_error(vmi);
    status_t r2 = vmi_register_event(vmi, &ss);
    uint8_t cc = 0xcc;
    status_t w = r1 == VMI_SUCCESS ? vmi_write_8_va(vmi, target, 0, &cc) : VMI_FAILURE;
    check(w == VMI_SUCCESS && r1 == VMI_SUCCESS && r2 == VMI_SUCCESS,
          "INT3 event (%s) and single-step event (enable 0) registered, 0xCC written", why1);
    listen_while(vmi, &bp.hits, 3, 30);
    /* disarm: a recoil under way ends without re-arming, the byte back */
    bp.disarm = true;
    vmi_events_listen(vmi, 0);
    vmi_write_8_va(vmi, target, 0, &bp.orig);
    vmi_clear_event(vmi, &int3, NULL);
    vmi_clear_event(vmi, &ss, NULL);
    check(bp.hits >= 3 && bp.last_gla == target,
          "%d INT3 events at ksys_write (last gla 0x%" PRIx64 "), %d elsewhere", bp.hits,
          bp.last_gla, bp.foreign);
    check(bp.last_gfn == vmi_translate_kv2p(vmi, target) >> 12 && bp.last_len == 1,
          "gfn 0x%" PRIx64 ", insn_length %u", bp.last_gfn, bp.last_len);
    check(bp.hits > 0 && bp.rip_ok == bp.hits, "x86_regs->rip is the INT3's address in %d of %d", bp.rip_ok, bp.hits);
    check(bp.hits > 0 && bp.steps >= bp.hits - 1 && bp.steps <= bp.hits,
          "each hit recoiled by one toggled single step (%d steps, %d hits)", bp.steps, bp.hits);
    uint8_t back = 0;
    vmi_read_8_va(vmi, target, 0, &back);
    check(back == bp.orig, "ksys_write's first byte restored (0x%02x)", back);
    g_autofree char *text = console();
    check(!strstr(text, "int3") && !strstr(text, "BUG") && guest_runs_on(),
          "the guest runs on, no oops on its console");
}

/* -------------------------------------------------------------- memory */

static struct {
    int n, bad_gfn, bad_off, bad_access, at_jiffies;
    addr_t gfn, jiffies;
    addr_t last_gla;
} mem;

static event_response_t on_mem(vmi_instance_t vmi, vmi_event_t *ev)
{
    (void)vmi;
    mem_access_event_t *m = &ev->mem_event;
    mem.n++;
    mem.bad_gfn += m->gfn != mem.gfn;
    /* gla_valid 0: a write that left the bytes as they were (no address) */
    mem.bad_off += m->gla_valid && m->offset != (m->gla & 0xfff);
    mem.bad_access += m->out_access != VMI_MEMACCESS_W;
    mem.at_jiffies += m->gla == mem.jiffies;
    if (mem.n <= 3)
        printf("# write at 0x%" PRIx64 " (gfn 0x%" PRIx64 " offset 0x%" PRIx64 ")\n", m->gla, m->gfn,
               m->offset);
    mem.last_gla = m->gla;
    return VMI_EVENT_RESPONSE_NONE;
}

static event_response_t on_mem_emulate(vmi_instance_t vmi, vmi_event_t *ev)
{
    (void)vmi;
    (void)ev;
    mem.n++;
    return VMI_EVENT_RESPONSE_EMULATE;
}

static int freed;
static status_t freed_rc = VMI_FAILURE;
static void free_cb(vmi_event_t *ev, status_t rc)
{
    (void)ev;
    freed++;
    freed_rc = rc;
}

static void check_memory(vmi_instance_t vmi, addr_t jiffies)
{
    memset(&mem, 0, sizeof(mem));
    mem.jiffies = jiffies;
    mem.gfn = vmi_translate_kv2p(vmi, jiffies) >> 12;
    vmi_event_t ev = { 0 };
    SETUP_MEM_EVENT(&ev, mem.gfn, VMI_MEMACCESS_W, on_mem, 0);
    status_t rs = vmi_register_event(vmi, &ev);
    check(rs == VMI_SUCCESS, "write events on the page of jiffies (0x%" PRIx64 ", gfn 0x%" PRIx64
          "): %s", jiffies, mem.gfn, rs == VMI_SUCCESS ? "registered" : vmi_get_last_error(vmi));
    check(vmi_get_mem_event(vmi, mem.gfn, VMI_MEMACCESS_W) == &ev, "vmi_get_mem_event finds it");
    /* other data shares the page: wait for a write to jiffies itself */
    double end = now() + 30;
    while (mem.at_jiffies < 2 && now() < end && mem.n < 100000)
        if (vmi_events_listen(vmi, 500) == VMI_FAILURE) {
            printf("# listen: %s\n", vmi_get_last_error(vmi));
            break;
        }
    check(mem.n > 0 && mem.at_jiffies >= 2,
          "%d write events, %d at jiffies' own address (guest's kallsyms)", mem.n, mem.at_jiffies);
    check(mem.bad_gfn == 0 && mem.bad_off == 0 && mem.bad_access == 0,
          "every event on that gfn, offset = gla & 0xfff, out_access W (%d, %d, %d wrong)",
          mem.bad_gfn, mem.bad_off, mem.bad_access);
    freed = 0;
    check(vmi_clear_event(vmi, &ev, free_cb) == VMI_SUCCESS && freed == 1 && freed_rc == VMI_SUCCESS,
          "cleared; the free routine was called once with VMI_SUCCESS");

    /* swapped for another event on the same page: the first one's free
     * routine runs, the second one is found */
    vmi_event_t a = { 0 }, b = { 0 };
    SETUP_MEM_EVENT(&a, mem.gfn, VMI_MEMACCESS_W, on_mem, 0);
    SETUP_MEM_EVENT(&b, mem.gfn, VMI_MEMACCESS_RW, on_mem, 0);
    freed = 0;
    status_t sw = vmi_register_event(vmi, &a) == VMI_SUCCESS ? vmi_swap_events(vmi, &a, &b, free_cb)
                                                            : VMI_FAILURE;
    check(sw == VMI_SUCCESS && freed == 1 && vmi_get_mem_event(vmi, mem.gfn, VMI_MEMACCESS_RW) == &b &&
          vmi_get_mem_event(vmi, mem.gfn, VMI_MEMACCESS_W) == NULL,
          "vmi_swap_events: W for RW on the page (%s), the old one freed",
          sw == VMI_SUCCESS ? "swapped" : vmi_get_last_error(vmi));
    vmi_clear_event(vmi, &b, NULL);

    /* what the driver cannot do */
    vmi_event_t x = { 0 };
    SETUP_MEM_EVENT(&x, mem.gfn, VMI_MEMACCESS_X, on_mem, 0);
    rs = vmi_register_event(vmi, &x);
    const char *why = vmi_get_last_error(vmi);
    check(rs == VMI_FAILURE && strstr(why, "VMI_MEMACCESS"), "execute events refused: %s", why);
    vmi_event_t e = { 0 };
    SETUP_MEM_EVENT(&e, mem.gfn, VMI_MEMACCESS_W, on_mem_emulate, 0);
    mem.n = 0;
    status_t ls = VMI_SUCCESS;
    if (vmi_register_event(vmi, &e) == VMI_SUCCESS) {
        for (int i = 0; i < 20 && ls == VMI_SUCCESS; i++)
            ls = vmi_events_listen(vmi, 500);
        vmi_clear_event(vmi, &e, NULL);
    }
    why = vmi_get_last_error(vmi);
    check(ls == VMI_FAILURE && mem.n > 0 && strstr(why, "VMI_EVENT_RESPONSE_EMULATE"),
          "a callback answering EMULATE: listen fails with %s", why);
    vmi_event_t v = { .version = VMI_EVENTS_VERSION + 1, .type = VMI_EVENT_MEMORY };
    v.callback = on_mem;
    rs = vmi_register_event(vmi, &v);
    why = vmi_get_last_error(vmi);
    check(rs == VMI_FAILURE && strstr(why, "version"), "an unknown version refused: %s", why);
}

/* ---------------------------------------------------------------- CR3 */

static struct {
    int n;
    reg_t value[64], previous[64];
} cr;

static event_response_t on_cr3(vmi_instance_t vmi, vmi_event_t *ev)
{
    (void)vmi;
    if (cr.n < 64) {
        cr.value[cr.n] = ev->reg_event.value;
        cr.previous[cr.n] = ev->reg_event.previous;
    }
    cr.n++;
    return VMI_EVENT_RESPONSE_NONE;
}

static void check_cr3(vmi_instance_t vmi, addr_t kernel_pgd)
{
    memset(&cr, 0, sizeof(cr));
    vmi_event_t ev = { 0 };
    SETUP_REG_EVENT(&ev, CR3, VMI_REGACCESS_W, 0, on_cr3);
    status_t rs = vmi_register_event(vmi, &ev);
    check(rs == VMI_SUCCESS, "CR3 write events: %s",
          rs == VMI_SUCCESS ? "registered" : vmi_get_last_error(vmi));
    check(vmi_get_reg_event(vmi, CR3) == &ev, "vmi_get_reg_event(CR3) finds it");
    listen_while(vmi, &cr.n, 8, 30);
    vmi_clear_event(vmi, &ev, NULL);
    int n = MIN(cr.n, 64), procs = 0, chain = 0;
    for (int i = 0; i < n; i++) {
        addr_t dtb = cr.value[i] & ~0xfffull & ((1ull << 52) - 1);
        vmi_pid_t pid = vmi_dtb_to_pid(vmi, dtb);
        bool ok = dtb == kernel_pgd || (pid > 0 && guest_has_pid(pid));
        procs += ok;
        if (!ok)
            printf("# CR3 0x%" PRIx64 ": pid %d, not in the guest's list\n", cr.value[i], pid);
        if (i > 0)
            chain += cr.previous[i] == cr.value[i - 1];
    }
    check(n >= 8, "%d CR3 writes seen", cr.n);
    check(procs == n, "%d of %d values are page directories of processes the guest lists (or "
          "its init_top_pgt)", procs, n);
    check(n >= 2 && chain == n - 1, "each write's previous value is the value written before it (%d of %d)",
          chain, n - 1);
}

/* ---------------------------------------------------------- single-step */

static struct {
    int n, in_text, user, bad;
    addr_t stext, etext;
} st;

static event_response_t on_step(vmi_instance_t vmi, vmi_event_t *ev)
{
    (void)vmi;
    addr_t rip = ev->ss_event.gla;
    st.n++;
    if (rip >= st.stext && rip < st.etext)
        st.in_text++;
    else if (rip < (1ull << 47))
        st.user++;
    else {
        st.bad++;
        printf("# step at 0x%" PRIx64 " outside the kernel's text\n", rip);
    }
    return st.n == 40 ? VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP : VMI_EVENT_RESPONSE_NONE;
}

static void check_step(vmi_instance_t vmi, addr_t stext, addr_t etext)
{
    memset(&st, 0, sizeof(st));
    st.stext = stext;
    st.etext = etext;
    vmi_event_t ev = { 0 };
    SETUP_SINGLESTEP_EVENT(&ev, 1u << 0, on_step, 1);
    status_t rs = vmi_register_event(vmi, &ev);
    check(rs == VMI_SUCCESS, "single-step vCPU 0 (enable 1): %s",
          rs == VMI_SUCCESS ? "registered" : vmi_get_last_error(vmi));
    check(vmi_get_singlestep_event(vmi, 0) == &ev, "vmi_get_singlestep_event(0) finds it");
    listen_while(vmi, &st.n, 40, 60);
    int at40 = st.n;
    for (int i = 0; i < 4; i++)
        vmi_events_listen(vmi, 200);
    check(at40 == 40 && st.n == 40, "40 steps, then none after the callback toggled it off (%d)", st.n);
    check(st.n > 0 && st.bad == 0 && st.in_text + st.user == st.n,
          "every RIP in the kernel's text 0x%" PRIx64 "..0x%" PRIx64 " (%d) or user space (%d)",
          stext, etext, st.in_text, st.user);
    check(vmi_clear_event(vmi, &ev, NULL) == VMI_SUCCESS && guest_runs_on(),
          "cleared, the guest runs on");
}

/* vmi_step_event: N steps of vCPU 0, then a callback (or the event again) */
static int stepped_cb_calls, step_listens;
static event_response_t after_steps(vmi_instance_t vmi, vmi_event_t *ev)
{
    (void)vmi;
    (void)ev;
    stepped_cb_calls++;
    return VMI_EVENT_RESPONSE_NONE;
}

static void check_step_event(vmi_instance_t vmi)
{
    vmi_event_t target = { 0 };
    SETUP_REG_EVENT(&target, CR3, VMI_REGACCESS_W, 0, on_cr3);
    stepped_cb_calls = step_listens = 0;
    status_t rs = vmi_step_event(vmi, &target, 0, 5, after_steps);
    check(rs == VMI_SUCCESS, "vmi_step_event: 5 steps of vCPU 0, then a callback: %s",
          rs == VMI_SUCCESS ? "under way" : vmi_get_last_error(vmi));
    int at_fifth = -1;
    for (double end = now() + 30; stepped_cb_calls == 0 && now() < end; step_listens++) {
        vmi_events_listen(vmi, 500);
        if (stepped_cb_calls && at_fifth < 0)
            at_fifth = step_listens + 1;
    }
    for (int i = 0; i < 3; i++)
        vmi_events_listen(vmi, 200);
    check(stepped_cb_calls == 1 && at_fifth >= 5,
          "the callback ran once, at listen %d (a listen steps once)", at_fifth);
    /* without a callback: the event is registered after the steps */
    memset(&cr, 0, sizeof(cr));
    rs = vmi_step_event(vmi, &target, 0, 3, NULL);
    for (double end = now() + 30; vmi_get_reg_event(vmi, CR3) != &target && now() < end;)
        vmi_events_listen(vmi, 500);
    check(rs == VMI_SUCCESS && vmi_get_reg_event(vmi, CR3) == &target,
          "3 steps, then the CR3 event is registered");
    listen_while(vmi, &cr.n, 2, 30);
    check(cr.n >= 2, "and delivers (%d CR3 writes)", cr.n);
    vmi_clear_event(vmi, &target, NULL);
    check(guest_runs_on(), "the guest runs on");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: check-events NAME CONSOLE KALLSYMS\n");
        return 2;
    }
    console_path = argv[2];
    vmi_instance_t vmi = NULL;
    status_t st_init = vmi_init(&vmi, VMI_AUTO | VMI_INIT_COMPLETE | VMI_INIT_EVENTS, argv[1]);
    check(st_init == VMI_SUCCESS, "vmi_init(%s): %s", argv[1],
          st_init == VMI_SUCCESS ? "ok" : vmi_get_last_error(NULL));
    if (st_init != VMI_SUCCESS)
        return 1;
    check(vmi_events_version() == VMI_EVENTS_VERSION && vmi_are_events_pending(vmi) == 0,
          "events version 0x%x, none pending", vmi_events_version());
    addr_t text = guest_ksym("_text");
    addr_t stext = guest_ksym("_stext"), jiffies = guest_ksym("jiffies");
    addr_t pgd_va = guest_ksym("init_top_pgt");
    addr_t ksys_write = kallsyms(argv[3], "ksys_write", text);
    addr_t etext = kallsyms(argv[3], "_etext", text);
    check(text && stext && jiffies && pgd_va && ksys_write && etext,
          "the guest's symbols: _text 0x%" PRIx64 ", ksys_write 0x%" PRIx64 ", jiffies 0x%" PRIx64,
          text, ksys_write, jiffies);
    const char *which = getenv("CHECK_EVENTS");
    if (!which || strstr(which, "int3"))
        check_int3(vmi, ksys_write);
    if (!which || strstr(which, "memory"))
        check_memory(vmi, jiffies);
    if (!which || strstr(which, "register"))
        check_cr3(vmi, vmi_translate_kv2p(vmi, pgd_va));
    if (!which || strstr(which, "step"))
        check_step(vmi, stext, etext);
    if (!which || strstr(which, "stepev"))
        check_step_event(vmi);
    vmi_destroy(vmi);
    printf("1..%d\n", checks);
    return failures ? 1 : 0;
}
