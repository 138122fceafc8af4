/*
 * xen-check - run inside the Xen rig's dom0 (tests/xendrv/run-xendrv.sh):
 * exercises the xen access driver on one domU through the classic API and
 * prints what it found as "XEN-TEST DOMAIN KEY VALUE" lines.  Nothing here
 * decides pass or fail: the host compares the lines with what the domU
 * printed on its own console (the ground truth).
 *
 *   xen-check DOMAIN PA PID ARGV_VA
 * PA: a pseudo-physical address the guest printed (VMI-PA), PID/ARGV_VA: a
 * sentinel's argv (VMI-ARGV), overwritten with "XENDRV-WROTE-IT".
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <xenforeignmemory.h>
#include <libvmi/libvmi.h>

static const char *dom;

#define T(key, ...) do { printf("XEN-TEST %s %s ", dom, key); printf(__VA_ARGS__); printf("\n"); fflush(stdout); } while (0)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t jiffies(vmi_instance_t vmi)
{
    uint64_t j = 0;
    if (vmi_read_64_ksym(vmi, "jiffies", &j) != VMI_SUCCESS)
        return 0;
    return j;
}

/* ---- events: each counted in its callback, the fields checked by the host */
static int n_cr3, n_int3, n_mem, n_ss;
static uint64_t cr3_val, int3_gla, int3_want, mem_gla, mem_gfn, ss_rip[4];
static addr_t int3_pa;
static uint8_t int3_orig;

/* the first CR3 writes: new value, old value, vCPU (checked after the loop) */
#define CR3_KEEP 16
static uint64_t cr3_new[CR3_KEEP], cr3_old[CR3_KEEP];
static unsigned cr3_vcpu[CR3_KEEP];

static void cr3_cb(vmi_instance_t vmi, vmi_event_t *ev)
{
    (void)vmi;
    if (n_cr3 < CR3_KEEP) {
        cr3_new[n_cr3] = ev->reg_event.value;
        cr3_old[n_cr3] = ev->reg_event.previous;
        cr3_vcpu[n_cr3] = ev->vcpu_id;
    }
    n_cr3++;
    cr3_val = ev->reg_event.value;
}

/* Of the kept CR3 writes: how many change the value, how many chain (each
 * one's old value is the one before's new value: one vCPU), how many are on
 * vCPU 0 (the domU has one), and how many new values are page tables that
 * translate the kernel's _text as the kernel's own does. */
static void cr3_fields(vmi_instance_t vmi, int *changed, int *chained, int *vcpu0, int *text)
{
    int n = n_cr3 < CR3_KEEP ? n_cr3 : CR3_KEEP;
    addr_t tv = vmi_translate_ksym2v(vmi, "_text");
    addr_t tp = tv ? vmi_translate_kv2p(vmi, tv) : 0;
    *changed = *chained = *vcpu0 = *text = 0;
    for (int i = 0; i < n; i++) {
        *changed += cr3_new[i] != cr3_old[i];
        *chained += i > 0 && cr3_old[i] == cr3_new[i - 1];
        *vcpu0 += cr3_vcpu[i] == 0;
        *text += tp && vmi_pagetable_lookup(vmi, cr3_new[i] & ~0xfffull, tv) == tp;
    }
}

static void int3_cb(vmi_instance_t vmi, vmi_event_t *ev)
{
    if (ev->interrupt_event.gla == int3_want) {
        n_int3++;
        int3_gla = ev->interrupt_event.gla;
        vmi_write_8_pa(vmi, int3_pa, &int3_orig);   /* the instruction back, run it */
        ev->interrupt_event.reinject = 0;
    } else {
        ev->interrupt_event.reinject = 1;           /* the guest's own */
    }
}

static void mem_cb(vmi_instance_t vmi, vmi_event_t *ev)
{
    (void)vmi;
    n_mem++;
    mem_gla = ev->mem_event.gla;
    mem_gfn = ev->mem_event.gfn;
}

static void ss_cb(vmi_instance_t vmi, vmi_event_t *ev)
{
    (void)vmi;
    if (n_ss < 4)
        ss_rip[n_ss] = ev->ss_event.gla;
    n_ss++;
}

static void listen_for(vmi_instance_t vmi, int *count, int want, double secs)
{
    double end = now() + secs;
    while (*count < want && now() < end)
        if (vmi_events_listen(vmi, 500) != VMI_SUCCESS) {
            T("listen", "FAILED %s", vmi_get_last_error(vmi));
            break;
        }
}

static void events(vmi_instance_t vmi)
{
    vmi_event_t ev;
    double t0;
    /* CR3 writes */
    memset(&ev, 0, sizeof(ev));
    ev.type = VMI_EVENT_REGISTER;
    ev.reg_event.reg = CR3;
    ev.reg_event.in_access = VMI_REGACCESS_W;
    ev.callback = (void *)cr3_cb;
    if (vmi_register_event(vmi, &ev) == VMI_SUCCESS) {
        t0 = now();
        listen_for(vmi, &n_cr3, 50, 10);
        double dt = now() - t0;
        vmi_clear_event(vmi, &ev);
        int ch, cn, v0, tx;
        cr3_fields(vmi, &ch, &cn, &v0, &tx);
        T("ev-cr3", "n=%d kept=%d changed=%d chained=%d vcpu0=%d text=%d first=0x%" PRIx64
          "/0x%" PRIx64 " last=0x%" PRIx64 " rate=%.1f/s", n_cr3,
          n_cr3 < CR3_KEEP ? n_cr3 : CR3_KEEP, ch, cn, v0, tx, cr3_new[0], cr3_old[0], cr3_val,
          n_cr3 / dt);
    } else {
        T("ev-cr3", "REFUSED %s", vmi_get_last_error(vmi));
    }
    /* INT3 on a kernel function the guest calls (it opens files every 2 s) */
    int3_want = vmi_translate_ksym2v(vmi, "do_sys_openat2");
    int3_pa = vmi_translate_kv2p(vmi, int3_want);
    memset(&ev, 0, sizeof(ev));
    ev.type = VMI_EVENT_INTERRUPT;
    ev.interrupt_event.intr = INT3;
    ev.interrupt_event.gla = int3_want;
    ev.callback = (void *)int3_cb;
    /* A breakpoint Xen does not intercept would reach the guest's kernel
     * (an oops in do_sys_openat2): planted only once events are seen to
     * arrive at all */
    if (int3_pa && vmi_read_8_pa(vmi, int3_pa, &int3_orig) == VMI_SUCCESS &&
        vmi_register_event(vmi, &ev) == VMI_SUCCESS) {
        if (!n_cr3) {
            vmi_clear_event(vmi, &ev);
            T("ev-int3", "NOT-TRIED no CR3 event arrived, so the monitor ring is not known to work "
              "here (an INT3 Xen does not intercept would kill the guest)");
        } else {
            uint8_t cc = 0xcc;
            vmi_write_8_pa(vmi, int3_pa, &cc);
            listen_for(vmi, &n_int3, 1, 15);
            vmi_write_8_pa(vmi, int3_pa, &int3_orig);
            vmi_clear_event(vmi, &ev);
            uint8_t now_byte = 0;
            vmi_read_8_pa(vmi, int3_pa, &now_byte);
            T("ev-int3", "n=%d want=0x%" PRIx64 " gla=0x%" PRIx64 " restored=%d", n_int3,
              int3_want, int3_gla, now_byte == int3_orig);
        }
    } else {
        T("ev-int3", "REFUSED %s", vmi_get_last_error(vmi));
    }
    /* writes to the page of jiffies */
    addr_t jva = vmi_translate_ksym2v(vmi, "jiffies");
    addr_t jpa = vmi_translate_kv2p(vmi, jva);
    memset(&ev, 0, sizeof(ev));
    ev.type = VMI_EVENT_MEMORY;
    ev.mem_event.physical_address = jpa;
    ev.mem_event.granularity = VMI_MEMEVENT_PAGE;
    ev.mem_event.npages = 1;
    ev.mem_event.in_access = VMI_MEMACCESS_W;
    ev.callback = (void *)mem_cb;
    if (vmi_register_event(vmi, &ev) == VMI_SUCCESS) {
        listen_for(vmi, &n_mem, 5, 10);
        vmi_clear_event(vmi, &ev);
        T("ev-mem", "n=%d jiffies=0x%" PRIx64 "/0x%" PRIx64 " gla=0x%" PRIx64 " gfn=0x%" PRIx64,
          n_mem, jva, jpa, mem_gla, mem_gfn);
    } else {
        T("ev-mem", "REFUSED %s", vmi_get_last_error(vmi));
    }
    /* single-step */
    memset(&ev, 0, sizeof(ev));
    ev.type = VMI_EVENT_SINGLESTEP;
    SET_VCPU_SINGLESTEP(ev.ss_event, 0);
    ev.callback = (void *)ss_cb;
    if (vmi_register_event(vmi, &ev) == VMI_SUCCESS) {
        listen_for(vmi, &n_ss, 200, 10);
        vmi_clear_event(vmi, &ev);
        T("ev-ss", "n=%d rips=0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64, n_ss,
          ss_rip[0], ss_rip[1], ss_rip[2], ss_rip[3]);
    } else {
        T("ev-ss", "REFUSED %s", vmi_get_last_error(vmi));
    }
}

/* ---- the same reads with xenforeignmemory alone (HVM/PVH: gfns) */
static void bare_bench(vmi_instance_t vmi, addr_t base)
{
    if (strcmp(vmi_get_access_path(vmi), "xen-hvm") != 0)
        return;
    xenforeignmemory_handle *fm = xenforeignmemory_open(NULL, 0);
    if (!fm)
        return;
    uint32_t domid = vmi_get_vmid(vmi);
    xen_pfn_t pfns[256];
    int err[256];
    static uint8_t buf[1 << 20];
    for (int i = 0; i < 256; i++)
        pfns[i] = (base >> 12) + i;
    double t0 = now();
    void *p = xenforeignmemory_map(fm, domid, PROT_READ, 256, pfns, err);
    if (p)
        memcpy(buf, p, sizeof(buf));
    double cold = now() - t0;
    t0 = now();
    for (int i = 0; i < 20 && p; i++)
        memcpy(buf, p, sizeof(buf));
    double warm = (now() - t0) / 20;
    if (p)
        xenforeignmemory_unmap(fm, p, 256);
    t0 = now();
    for (int i = 0; i < 100; i++) {
        void *q = xenforeignmemory_map(fm, domid, PROT_READ, 1, pfns + (i % 256), err);
        if (q) {
            memcpy(buf, q, 4096);
            xenforeignmemory_unmap(fm, q, 1);
        }
    }
    double small = (now() - t0) / 100;
    xenforeignmemory_close(fm);
    T("bare-bench", "1MiB cold=%.6fs warm=%.6fs 4KiB-map+copy=%.7fs", cold, warm, small);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: xen-check DOMAIN [PA PID ARGV_VA]\n");
        return 2;
    }
    vmi_instance_t vmi;
    if (strcmp(argv[1], "--crash") == 0 && argc >= 3) {
        /* paused (and, on HVM, with a monitor attached), then killed by a
         * signal: the library must leave the domain running */
        dom = argv[2];
        if (vmi_init(&vmi, VMI_AUTO | VMI_INIT_PARTIAL, dom) != VMI_SUCCESS)
            return 1;
        vmi_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = VMI_EVENT_REGISTER;
        ev.reg_event.reg = CR3;
        ev.reg_event.in_access = VMI_REGACCESS_W;
        ev.callback = (void *)cr3_cb;
        int evs = vmi_register_event(vmi, &ev) == VMI_SUCCESS;
        vmi_pause_vm(vmi);
        T("crash", "paused events=%d, now SIGSEGV", evs);
        raise(SIGSEGV);
        return 0;
    }
    dom = argv[1];
    double t0 = now();
    if (vmi_init(&vmi, VMI_AUTO | VMI_INIT_COMPLETE, dom) != VMI_SUCCESS) {
        T("init", "FAILED %s", vmi_get_last_error(NULL));
        return 1;
    }
    T("init", "ok %.3f s mode=%s path=%s width=%u memsize=0x%lx vcpus=%u", now() - t0,
      vmi_get_access_mode(vmi) == VMI_XEN ? "xen" : "other", vmi_get_access_path(vmi),
      vmi_get_address_width(vmi), vmi_get_memsize(vmi), vmi_get_num_vcpus(vmi));

    char *banner = vmi_read_str_ksym(vmi, "linux_banner");
    if (banner) {
        banner[strcspn(banner, "\n")] = 0;
        T("banner", "%s", banner);
        free(banner);
    } else {
        T("banner", "FAILED %s", vmi_get_last_error(vmi));
    }

    /* CR3 from the driver translates _text, to what the kernel's own page
     * tables (the OS layer's dtb) say */
    reg_t cr3 = 0;
    addr_t text = vmi_translate_ksym2v(vmi, "_text");
    if (vmi_get_vcpureg(vmi, &cr3, CR3, 0) == VMI_SUCCESS) {
        addr_t pa = vmi_pagetable_lookup(vmi, cr3, text);
        addr_t kpa = vmi_translate_kv2p(vmi, text);
        uint8_t a[16] = { 0 }, b[16] = { 0 };
        vmi_read_pa(vmi, pa, a, 16);
        vmi_read_pa(vmi, kpa, b, 16);
        T("cr3", "cr3=0x%" PRIx64 " _text=0x%" PRIx64 " pa=0x%" PRIx64 " kv2p=0x%" PRIx64 " same=%d",
          cr3, text, pa, kpa, pa && pa == kpa && !memcmp(a, b, 16));
    } else {
        T("cr3", "FAILED %s", vmi_get_last_error(vmi));
    }
    reg_t rip = 0;
    vmi_get_vcpureg(vmi, &rip, RIP, 0);
    T("rip", "0x%" PRIx64, rip);

    if (argc >= 3) {
        addr_t pa = strtoull(argv[2], NULL, 16);
        char buf[32] = { 0 };
        size_t n = vmi_read_pa(vmi, pa, buf, 17);
        T("read_pa", "0x%" PRIx64 " %zu %s", pa, n, n ? buf : "-");
    }

    /* pause: jiffies stands still; resume: it moves on */
    uint64_t j0 = jiffies(vmi);
    vmi_pause_vm(vmi);
    uint64_t j1 = jiffies(vmi);
    sleep(2);
    uint64_t j2 = jiffies(vmi);
    vmi_resume_vm(vmi);
    sleep(2);
    uint64_t j3 = jiffies(vmi);
    T("pause", "j0=%" PRIu64 " paused=%" PRIu64 ",%" PRIu64 " resumed=%" PRIu64, j0, j1, j2, j3);

    /* shm-snapshot: jiffies frozen in the snapshot, moving after */
    t0 = now();
    if (vmi_shm_snapshot_create(vmi) == VMI_SUCCESS) {
        double ts = now() - t0;
        uint64_t s1 = jiffies(vmi);
        sleep(2);
        uint64_t s2 = jiffies(vmi);
        void *p = NULL;
        addr_t jpa = vmi_translate_kv2p(vmi, vmi_translate_ksym2v(vmi, "jiffies"));
        size_t dn = vmi_get_dgpma(vmi, jpa, &p, 8);
        uint64_t sd = 0;
        if (dn >= 8)
            memcpy(&sd, p, 8);
        vmi_shm_snapshot_destroy(vmi);
        sleep(1);
        uint64_t s3 = jiffies(vmi);
        T("snapshot", "create=%.3fs bytes=%lu snap=%" PRIu64 ",%" PRIu64 " dgpma=%zu:%" PRIu64
          " after=%" PRIu64, ts, vmi_get_memsize(vmi), s1, s2, dn, sd, s3);
    } else {
        T("snapshot", "FAILED %s", vmi_get_last_error(vmi));
    }

    /* registers: set RAX of a paused vCPU and read it back, then restore */
    vmi_pause_vm(vmi);
    reg_t rax = 0, rax2 = 0, r14 = 0, r14b = 0;
    vmi_get_vcpureg(vmi, &rax, RAX, 0);
    vmi_get_vcpureg(vmi, &r14, R14, 0);
    status_t st = vmi_set_vcpureg(vmi, r14 ^ 0x5a5a, R14, 0);
    vmi_get_vcpureg(vmi, &r14b, R14, 0);
    vmi_set_vcpureg(vmi, r14, R14, 0);
    vmi_get_vcpureg(vmi, &rax2, R14, 0);
    vmi_resume_vm(vmi);
    T("setreg", "st=%d r14=0x%" PRIx64 " set=0x%" PRIx64 " restored=0x%" PRIx64, st == VMI_SUCCESS,
      r14, r14b, rax2);

    if (argc >= 5) {
        vmi_pid_t pid = atoi(argv[3]);
        addr_t va = strtoull(argv[4], NULL, 16);
        char *old = vmi_read_str_va(vmi, va, pid);
        const char msg[] = "XENDRV-WROTE-IT";
        size_t n = old ? strlen(old) : 0;
        size_t w = 0;
        if (n >= sizeof(msg) - 1)
            w = vmi_write_va(vmi, va, pid, (void *)msg, sizeof(msg) - 1);
        T("write", "pid=%d va=0x%" PRIx64 " old=%s wrote=%zu", pid, va, old ? old : "-", w);
        free(old);
    }

    /* speed: 4 KiB and 1 MiB physical reads, cold and cached */
    static uint8_t big[1 << 20];
    addr_t base = 16 << 20;
    t0 = now();
    size_t got = vmi_read_pa(vmi, base, big, sizeof(big));
    double cold = now() - t0;
    t0 = now();
    for (int i = 0; i < 20; i++)
        vmi_read_pa(vmi, base, big, sizeof(big));
    double warm = (now() - t0) / 20;
    t0 = now();
    for (int i = 0; i < 1000; i++)
        vmi_read_pa(vmi, base + (i % 256) * 4096, big, 4096);
    double small = (now() - t0) / 1000;
    T("bench", "1MiB cold=%.6fs (%zu) warm=%.6fs 4KiB=%.7fs", cold, got, warm, small);

    bare_bench(vmi, base);
    events(vmi);

    vmi_destroy(vmi);
    T("done", "ok");
    return 0;
}
