/*
 * kvm.h - the kvm access driver's private state, shared by its files
 * (kvm.c: finding the guest, memory paths, registers, run control;
 * kvm_events.c: events on the gdbstub).
 */
#ifndef VMI_KVM_H
#define VMI_KVM_H

#include <sys/types.h>
#include "private.h"
#include "gdb_client.h"
#include "qmp.h"

typedef enum {
    KVM_PATH_SHM,       /* the shared RAM file, mapped */
    KVM_PATH_PROCESS,   /* QEMU's process memory (process_vm_readv) */
    KVM_PATH_GDBSTUB,   /* m/M packets in physical mode */
} kvm_path_t;

/* One guest-physical RAM range and where its bytes are. */
typedef struct kvm_range {
    uint64_t gpa, size;
    uint8_t *host;      /* shm: pointer into the mapped file, else NULL */
    uint64_t hva;       /* process: address in QEMU, else 0 */
    uint8_t *snap;      /* while a shm-snapshot exists: its copy */
} kvm_range_t;

typedef enum {
    KVM_SLOT_BP,        /* classic INT3 event: a breakpoint at its gla */
    KVM_SLOT_INT3,      /* modern INT3 event: a breakpoint at the #BP handler */
    KVM_SLOT_WATCH,     /* memory event: a watchpoint on one kernel mapping */
    KVM_SLOT_CR,        /* register event: a breakpoint at one mov to CRn */
} kvm_slot_kind_t;

/* One breakpoint or watchpoint of the gdbstub; an event has one or more. */
typedef struct kvm_event_slot {
    vmi_event_t *event;
    kvm_slot_kind_t kind;
    addr_t va;          /* where it sits */
    int z_type;         /* Z packet type */
    unsigned len;
    addr_t pa;          /* WATCH: physical address of va */
    uint8_t *copy;      /* WATCH of writes: the bytes as last seen (where a write landed) */
    uint8_t cr, src, insn_len;  /* CR: register written, source register, length */
} kvm_event_slot_t;

/* A `mov %reg, %crN` found in the kernel's text. */
typedef struct kvm_cr_site {
    addr_t va;
    uint8_t cr, src, insn_len;
} kvm_cr_site_t;

typedef struct kvm_data {
    struct kvm_libvirt *lv;     /* the libvirt domain, when found through libvirt */
    qmp_t *qmp;
    gdb_client_t *gdb;
    int pid;                    /* QEMU, 0 if unknown */
    kvm_path_t path;
    GArray *ranges;             /* kvm_range_t, sorted by gpa */
    size_t last_range;          /* lookup hint */
    uint8_t *shm_map;
    size_t shm_size;
    char *shm_file;             /* the shared RAM file mapped at shm_map */
    int shm_fd;                 /* that file, read-only, as validated; -1 if none */
    dev_t shm_dev;              /* its device and inode */
    ino_t shm_ino;
    bool writable;              /* writes allowed (`writable`, default 1) */
    bool writable_set;          /* `writable` was in the configuration */
    bool shm_writable;          /* the mapping was made writable (first write) */
    bool snapshot;              /* a shm-snapshot exists */
    bool tcg;                   /* QEMU emulates (no KVM): writes go through the gdbstub */
    bool gdb_phys;              /* the gdbstub was put in physical-memory mode for writes */
    uint8_t *snap_mem;
    size_t snap_size;
    double snap_pause;          /* seconds the guest was paused for the last snapshot */
    bool paused_by_us;          /* vmi_pause_vm stopped a running guest */
    unsigned nvcpus;
    /* events */
    GPtrArray *events;          /* kvm_event_slot_t* */
    vmi_event_t *ss_event;      /* the single-step event, if any */
    uint32_t ss_active;         /* vCPUs that step now */
    bool ss_held;               /* a gdb hold keeps the guest stopped for them */
    GArray *cr_sites;           /* kvm_cr_site_t, scanned once */
    x86_registers_t regs;       /* snapshot handed to modern callbacks */
    /* watcher: a thread that waits for QEMU to exit (pidfd) */
    GThread *watcher;
    int pidfd, stop_pipe[2];
} kvm_data_t;

static inline kvm_data_t *kvm_data(vmi_instance_t vmi)
{
    return vmi->driver_data;
}

/* kvm_events.c */
bool kvm_register_event(vmi_instance_t vmi, vmi_event_t *event, GError **error);
bool kvm_clear_event(vmi_instance_t vmi, vmi_event_t *event, GError **error);
bool kvm_events_listen(vmi_instance_t vmi, uint32_t timeout_ms, GError **error);
bool kvm_singlestep_vcpu(vmi_instance_t vmi, vmi_event_t *event, unsigned vcpu, bool on,
                         GError **error);
void kvm_events_free(vmi_instance_t vmi);

/* kvm.c: a gdbstub connection an earlier error left unusable is made again
 * when no event of ours is in the stub */
void kvm_gdb_revive(kvm_data_t *k);

#endif
