/*
 * vmi-bench-live - libvmi's live access paths against their limits,
 * measured in the same run on a running QEMU guest:
 *   - read_pa through the shared RAM file vs memcpy from the same mapping;
 *   - read_pa through QEMU's process memory vs a bare process_vm_readv of
 *     the same host range;
 *   - read_pa through the gdbstub vs the stub's raw limit (one full-size
 *     `m` packet per round trip), and vs gdb's own `dump memory`;
 *   - shm-snapshot creation per GiB (whole call, and the guest's pause).
 *
 *   vmi-bench-live QMP_SOCKET GDB_SOCKET
 *
 * Linked with the library's internals to reach the host addresses and the
 * gdb client it uses (the figures must compare like with like).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include "kvm.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define USE(buf) __asm__ volatile("" : : "r"(buf) : "memory")
static void *(*volatile libc_memcpy)(void *, const void *, size_t) = memcpy;

static const addr_t BASE = 16u << 20;      /* RAM in every rig guest */

static vmi_instance_t open_path(const char *qmp, const char *gdb, const char *path)
{
    g_autofree char *conf = g_strdup_printf("name = \"live\"; qmp = \"%s\"; gdb = \"%s\"; "
                                            "kvm_access = \"%s\";", qmp, gdb, path);
    vmi_instance_t vmi = NULL;
    if (vmi_init_custom(&vmi, VMI_KVM | VMI_INIT_PARTIAL | VMI_CONFIG_STRING, conf) == VMI_FAILURE) {
        fprintf(stderr, "vmi-bench-live: %s: %s\n", path, vmi_get_last_error(NULL));
        exit(1);
    }
    return vmi;
}

static void report(const char *what, double ours, double limit, double target)
{
    double ratio = ours / limit;
    printf("%-40s %9.3f GB/s  limit %9.3f GB/s  ratio %.2f (target >= %.2f) %s\n", what, ours / 1e9,
           limit / 1e9, ratio, target, ratio >= target ? "MET" : "MISSED");
}

/* Best of 7 alternating rounds of "ours" and "limit" over @span bytes in
 * @chunk pieces; returns bytes per second of each. */
typedef void (*copy_fn)(void *ctx, uint8_t *buf, addr_t pa, size_t len);

static void race(copy_fn ours, copy_fn limit, void *ctx, size_t span, size_t chunk, int reps,
                 double *ours_bps, double *limit_bps)
{
    uint8_t *buf = NULL;
    if (posix_memalign((void **)&buf, 64, chunk) != 0)
        exit(1);
    double best_o = 1e30, best_l = 1e30;
    for (int r = 0; r < 7; r++) {
        double t0 = now();
        for (int k = 0; k < reps; k++)
            for (size_t o = 0; o < span; o += chunk) {
                limit(ctx, buf, BASE + o, chunk);
                USE(buf);
            }
        double t1 = now();
        for (int k = 0; k < reps; k++)
            for (size_t o = 0; o < span; o += chunk) {
                ours(ctx, buf, BASE + o, chunk);
                USE(buf);
            }
        double t2 = now();
        best_l = MIN(best_l, t1 - t0);
        best_o = MIN(best_o, t2 - t1);
    }
    *ours_bps = (double)span * reps / best_o;
    *limit_bps = (double)span * reps / best_l;
    free(buf);
}

static void vmi_copy(void *ctx, uint8_t *buf, addr_t pa, size_t len)
{
    vmi_read_pa(ctx, pa, buf, len);
}

static void memcpy_copy(void *ctx, uint8_t *buf, addr_t pa, size_t len)
{
    void *p = NULL;
    vmi_get_dgpma(ctx, pa, &p, len);
    libc_memcpy(buf, p, len);
}

static void process_copy(void *ctx, uint8_t *buf, addr_t pa, size_t len)
{
    kvm_data_t *k = kvm_data(ctx);
    const kvm_range_t *r = &g_array_index(k->ranges, kvm_range_t, k->ranges->len - 1);
    struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)(r->hva + (pa - r->gpa)), len };
    process_vm_readv(k->pid, &local, 1, &remote, 1, 0);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: vmi-bench-live QMP_SOCKET GDB_SOCKET\n");
        return 2;
    }
    const char *qmp = argv[1], *gdb = argv[2];
    double ours, limit;

    /* --- shared RAM file */
    vmi_instance_t vmi = open_path(qmp, gdb, "shm");
    printf("guest: %lu MiB of physical address space\n", vmi_get_memsize(vmi) >> 20);
    race(vmi_copy, memcpy_copy, vmi, 8u << 20, 4096, 20, &ours, &limit);
    report("live read_pa 4 KiB, shared file", ours, limit, 0.8);
    race(vmi_copy, memcpy_copy, vmi, 8u << 20, 1u << 20, 20, &ours, &limit);
    report("live read_pa 1 MiB, shared file", ours, limit, 0.8);

    /* --- snapshot: whole call and the guest's pause */
    double t0 = now();
    vmi_pause_vm(vmi);
    double pause_rt = now() - t0;
    vmi_resume_vm(vmi);
    t0 = now();
    if (vmi_shm_snapshot_create(vmi) == VMI_FAILURE) {
        fprintf(stderr, "vmi-bench-live: snapshot: %s\n", vmi_get_last_error(vmi));
        return 1;
    }
    double snap = now() - t0;
    kvm_data_t *k = kvm_data(vmi);
    double gib = k->snap_size / (double)(1u << 30);
    printf("%-40s %9.3f s/GiB whole call, guest paused %.3f s/GiB (target < 0.15 s/GiB) %s\n",
           "shm-snapshot creation", snap / gib, k->snap_pause / gib,
           k->snap_pause / gib < 0.15 ? "MET (pause)" : "MISSED");
    printf("%-40s %9.3f ms (QMP stop + cont round trips, included above)\n", "", pause_rt * 1e3);
    vmi_shm_snapshot_destroy(vmi);
    vmi_destroy(vmi);

    /* --- process memory */
    vmi = open_path(qmp, gdb, "process");
    race(vmi_copy, process_copy, vmi, 8u << 20, 4096, 20, &ours, &limit);
    report("live read_pa 4 KiB, process memory", ours, limit, 0.8);
    race(vmi_copy, process_copy, vmi, 8u << 20, 1u << 20, 20, &ours, &limit);
    report("live read_pa 1 MiB, process memory", ours, limit, 0.8);
    vmi_destroy(vmi);

    /* --- gdbstub: the raw limit is one full-size m packet per round trip */
    vmi = open_path(qmp, gdb, "gdbstub");
    k = kvm_data(vmi);
    size_t per_packet = (gdb_client_packet_size(k->gdb) - 16) / 2;
    const size_t span = 256u << 10;
    uint8_t *buf = g_malloc(span);
    double best_raw = 1e30, best_ours = 1e30;
    for (int r = 0; r < 5; r++) {
        gdb_client_hold(k->gdb, NULL);
        double a = now();
        for (size_t o = 0; o < span; o += per_packet)
            gdb_client_read_mem(k->gdb, BASE + o, buf + o, MIN(per_packet, span - o), NULL);
        double b = now();
        gdb_client_release(k->gdb, NULL);
        double c = now();
        vmi_read_pa(vmi, BASE, buf, span);
        double d = now();
        best_raw = MIN(best_raw, b - a);
        best_ours = MIN(best_ours, d - c);
    }
    report("live read_pa 256 KiB, gdbstub", span / best_ours, span / best_raw, 0.8);
    printf("%-40s %zu bytes per packet\n", "", per_packet);
    g_free(buf);
    vmi_destroy(vmi);

    /* --- gdb's own dump memory of the same range on the same stub */
    g_autofree char *cmd = g_strdup_printf(
        "timeout 120 gdb -nx -batch -ex 'set pagination off' -ex 'target remote %s' "
        "-ex 'maint packet Qqemu.PhyMemMode:1' "
        "-ex 'dump binary memory /dev/null 0x%" PRIx64 " 0x%" PRIx64 "' -ex 'detach' >/dev/null 2>&1",
        gdb, (uint64_t)BASE, (uint64_t)(BASE + span));
    if (system("command -v gdb >/dev/null 2>&1") == 0) {
        double t = now();
        int rc = system(cmd);
        double dt = now() - t;
        if (rc == 0)
            printf("%-40s %9.3f MB/s (libvmi %.3f MB/s: %.1fx) %s\n", "gdb dump memory, same stub",
                   span / dt / 1e6, span / best_ours / 1e6, dt / best_ours,
                   best_ours < dt ? "libvmi faster" : "gdb faster");
        else
            printf("gdb dump memory: gdb failed (exit %d)\n", rc);
    } else {
        printf("gdb dump memory: SKIP (no gdb installed)\n");
    }
    return 0;
}
