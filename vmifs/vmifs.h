/*
 * vmifs.h - what the parts of vmifs share: the state of one mount.
 *
 * Locking: libvmi instances are not thread-safe, and FUSE calls us from
 * several threads (and the liveness probe runs in its own): every libvmi
 * call, and every use of the process table below, happens with @lock held.
 */
#ifndef VMIFS_H
#define VMIFS_H

#include <glib.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <libvmi.h>
#include "vma.h"

/* Exit codes (vmifs(1)). */
enum {
    VMIFS_EXIT_OK = 0,      /* unmounted by the user (fusermount3 -u, a signal) */
    VMIFS_EXIT_FAILED = 1,  /* could not open the guest or mount */
    VMIFS_EXIT_USAGE = 2,   /* bad command line */
    VMIFS_EXIT_GONE = 3,    /* the guest went away: unmounted itself */
};

/* One guest process (a thread-group leader from the task list). */
typedef struct {
    vmi_pid_t pid;
    char comm[32];
    addr_t task;        /* task_struct (kernel virtual) */
    addr_t dtb;         /* its page directory (physical) */
    addr_t mm;          /* mm_struct (kernel virtual), 0 for kernel threads */
} vmifs_proc_t;

typedef struct {
    vmi_instance_t vmi;
    pthread_mutex_t lock;
    bool writable;
    bool live;              /* a running guest (not a snapshot) */
    uint64_t mem_size;      /* size of mem: the end of the highest backed address */
    gint64 list_ttl_us;     /* readdir: a process list at most this old */
    gint64 lookup_ttl_us;   /* lookups of a pid: at most this old */

    /* the process table (under @lock) */
    vmifs_proc_t *procs;
    size_t nprocs;
    gint64 procs_at;        /* g_get_monotonic_time() of the walk; 0: none */

    /* offsets from the guest's BTF or configuration */
    bool have_mm;
    addr_t off_mm;                          /* task_struct.mm */
    bool have_args;
    addr_t off_arg_start, off_arg_end;      /* mm_struct.arg_start/arg_end */
    addr_t off_start_brk, off_brk, off_start_stack, off_vdso;  /* VMA_OFF_NONE when absent */
    vma_offsets_t vo;
    /* names of mapped files: file.f_path.dentry, dentry.d_name.name,
     * dentry.d_parent; inode: file.f_inode, inode.i_ino, inode.i_sb,
     * super_block.s_dev (VMA_OFF_NONE when absent) */
    uint64_t off_f_dentry, off_d_name, off_d_parent, off_f_inode, off_i_ino, off_i_sb, off_s_dev;

    volatile gint gone;     /* the guest went away (set once) */
    char *gone_reason;
} vmifs_t;

/* guest.c (all with the lock held) */
void vmifs_load_offsets(vmifs_t *c);
/* Refreshes the process table when older than @ttl_us (0: always);
 * 0 or -errno. */
int vmifs_procs_refresh(vmifs_t *c, gint64 ttl_us);
/* The entry of @pid after a refresh as fresh as @ttl_us, or NULL. */
const vmifs_proc_t *vmifs_proc_find(vmifs_t *c, vmi_pid_t pid, gint64 ttl_us);
/* Text files of a process (caller frees *out): 0 or -errno. */
int vmifs_cmdline(vmifs_t *c, const vmifs_proc_t *p, GByteArray **out);
int vmifs_maps(vmifs_t *c, const vmifs_proc_t *p, GByteArray **out);
/* Notes a failed libvmi call: true (and the guest marked gone) when the
 * instance's last error says the guest went away. */
bool vmifs_check_gone(vmifs_t *c);

/* fs.c */
const struct fuse_operations *vmifs_operations(void);

#endif
