/*
 * guest.c - what vmifs reads from the guest's kernel: the process table,
 * a process's command line and its memory areas.  Every function here runs
 * with the mount's lock held (vmifs.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "vmifs.h"

#define CMDLINE_MAX (1u << 20)  /* what cmdline shows at most */
#define NAME_MAX_LEN 255        /* a path component */
#define PATH_DEPTH 64           /* directories above a mapped file */

static uint64_t struct_off(vmi_instance_t vmi, const char *st, const char *member)
{
    addr_t off;
    if (vmi_get_kernel_struct_offset(vmi, st, member, &off) == VMI_SUCCESS)
        return off;
    return VMA_OFF_NONE;
}

void vmifs_load_offsets(vmifs_t *c)
{
    vmi_instance_t vmi = c->vmi;
    addr_t off;
    if (vmi_get_offset(vmi, "linux_mm", &off) == VMI_SUCCESS && off) {
        c->have_mm = true;
        c->off_mm = off;
    } else if ((off = struct_off(vmi, "task_struct", "mm")) != VMA_OFF_NONE) {
        c->have_mm = true;
        c->off_mm = off;
    }
    c->off_arg_start = struct_off(vmi, "mm_struct", "arg_start");
    c->off_arg_end = struct_off(vmi, "mm_struct", "arg_end");
    c->have_args = c->off_arg_start != VMA_OFF_NONE && c->off_arg_end != VMA_OFF_NONE;
    c->off_start_brk = struct_off(vmi, "mm_struct", "start_brk");
    c->off_brk = struct_off(vmi, "mm_struct", "brk");
    c->off_start_stack = struct_off(vmi, "mm_struct", "start_stack");
    c->off_vdso = struct_off(vmi, "mm_struct", "context.vdso");
    c->vo = (vma_offsets_t){
        .mm_mt = struct_off(vmi, "mm_struct", "mm_mt"),
        .ma_root = struct_off(vmi, "maple_tree", "ma_root"),
        .mmap = struct_off(vmi, "mm_struct", "mmap"),
        .vm_next = struct_off(vmi, "vm_area_struct", "vm_next"),
        .vm_start = struct_off(vmi, "vm_area_struct", "vm_start"),
        .vm_end = struct_off(vmi, "vm_area_struct", "vm_end"),
        .vm_mm = struct_off(vmi, "vm_area_struct", "vm_mm"),
        .vm_flags = struct_off(vmi, "vm_area_struct", "vm_flags"),
        .vm_pgoff = struct_off(vmi, "vm_area_struct", "vm_pgoff"),
        .vm_file = struct_off(vmi, "vm_area_struct", "vm_file"),
    };
    c->off_f_dentry = struct_off(vmi, "file", "f_path.dentry");
    c->off_d_name = struct_off(vmi, "dentry", "d_name.name");
    c->off_d_parent = struct_off(vmi, "dentry", "d_parent");
    c->off_f_inode = struct_off(vmi, "file", "f_inode");
    c->off_i_ino = struct_off(vmi, "inode", "i_ino");
    c->off_i_sb = struct_off(vmi, "inode", "i_sb");
    c->off_s_dev = struct_off(vmi, "super_block", "s_dev");
}

bool vmifs_check_gone(vmifs_t *c)
{
    if (g_atomic_int_get(&c->gone))
        return true;
    if (vmi_get_last_error_code(c->vmi) != VMI_ERR_GONE)
        return false;
    if (!c->gone_reason)
        c->gone_reason = g_strdup(vmi_get_last_error(c->vmi));
    g_atomic_int_set(&c->gone, 1);
    return true;
}

static bool kread(vmifs_t *c, addr_t va, void *buf, size_t len)
{
    size_t n = 0;
    return vmi_read_va(c->vmi, va, 0, len, buf, &n) == VMI_SUCCESS && n == len;
}

static bool kread_cb(void *ctx, uint64_t va, void *buf, size_t len)
{
    return kread(ctx, va, buf, len);
}

static int by_pid(const void *a, const void *b)
{
    const vmifs_proc_t *x = a, *y = b;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

int vmifs_procs_refresh(vmifs_t *c, gint64 ttl_us)
{
    gint64 now = g_get_monotonic_time();
    if (c->procs_at && now - c->procs_at <= ttl_us)
        return 0;
    vmi_process_t *list = NULL;
    size_t n = 0;
    if (vmi_get_processes(c->vmi, &list, &n) != VMI_SUCCESS) {
        vmifs_check_gone(c);
        g_message("cannot list the guest's processes: %s", vmi_get_last_error(c->vmi));
        return -EIO;
    }
    vmifs_proc_t *t = g_new0(vmifs_proc_t, n ? n : 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i].pid <= 0)
            continue;       /* the idle task: no /proc entry in Linux either */
        vmifs_proc_t *p = &t[k];
        p->pid = list[i].pid;
        g_strlcpy(p->comm, list[i].name, sizeof(p->comm));
        p->task = list[i].task;
        p->dtb = list[i].dtb;
        uint64_t mm = 0;
        if (c->have_mm && kread(c, list[i].task + c->off_mm, &mm, sizeof(mm)))
            p->mm = mm;
        /* a hostile list could repeat a pid: the first one counts */
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++)
            dup = t[j].pid == p->pid;
        if (!dup)
            k++;
    }
    free(list);
    qsort(t, k, sizeof(*t), by_pid);
    g_free(c->procs);
    c->procs = t;
    c->nprocs = k;
    c->procs_at = g_get_monotonic_time();
    /* page tables change while the guest runs: translations cached before
     * this walk may be stale */
    vmi_v2pcache_flush(c->vmi, ~0ull);
    return 0;
}

const vmifs_proc_t *vmifs_proc_find(vmifs_t *c, vmi_pid_t pid, gint64 ttl_us)
{
    if (vmifs_procs_refresh(c, ttl_us) < 0)
        return NULL;
    vmifs_proc_t key = { .pid = pid };
    vmifs_proc_t *p = bsearch(&key, c->procs, c->nprocs, sizeof(key), by_pid);
    if (!p && ttl_us > 0 && vmifs_procs_refresh(c, 0) == 0)   /* a new process? */
        p = bsearch(&key, c->procs, c->nprocs, sizeof(key), by_pid);
    return p;
}

static bool uread(vmifs_t *c, const vmifs_proc_t *p, addr_t va, void *buf, size_t len, size_t *got)
{
    ACCESS_CONTEXT(ctx, .tm = VMI_TM_PROCESS_DTB, .addr = va, .pt = p->dtb);
    *got = 0;
    return vmi_read(c->vmi, &ctx, len, buf, got) == VMI_SUCCESS;
}

int vmifs_cmdline(vmifs_t *c, const vmifs_proc_t *p, GByteArray **out)
{
    *out = g_byte_array_new();
    if (!p->mm)
        return 0;                   /* a kernel thread: empty, as in Linux */
    if (!c->have_args)
        return -EIO;
    uint64_t start = 0, end = 0;
    if (!kread(c, p->mm + c->off_arg_start, &start, sizeof(start)) ||
        !kread(c, p->mm + c->off_arg_end, &end, sizeof(end))) {
        vmifs_check_gone(c);
        return -EIO;
    }
    if (end <= start)
        return 0;
    size_t len = MIN(end - start, (uint64_t)CMDLINE_MAX);
    g_byte_array_set_size(*out, (guint)len);
    size_t got = 0;
    uread(c, p, start, (*out)->data, len, &got);
    g_byte_array_set_size(*out, (guint)got);    /* up to the first unmapped page */
    if (got == 0 && len > 0 && vmifs_check_gone(c))
        return -EIO;
    return 0;
}

/* The path of the file behind @file (its dentry chain, within its file
 * system), or NULL when it cannot be read. */
static char *file_path(vmifs_t *c, uint64_t file)
{
    if (c->off_f_dentry == VMA_OFF_NONE || c->off_d_name == VMA_OFF_NONE ||
        c->off_d_parent == VMA_OFF_NONE)
        return NULL;
    uint64_t d = 0;
    if (!kread(c, file + c->off_f_dentry, &d, sizeof(d)) || !vma_kernel_ptr(d))
        return NULL;
    GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
    for (int depth = 0; depth < PATH_DEPTH; depth++) {
        uint64_t name = 0, parent = 0;
        char buf[NAME_MAX_LEN + 1] = { 0 };
        size_t got = 0;
        if (!kread(c, d + c->off_d_name, &name, sizeof(name)) || !vma_kernel_ptr(name & ~7ull))
            break;
        vmi_read_va(c->vmi, name, 0, NAME_MAX_LEN, buf, &got);
        buf[MIN(got, (size_t)NAME_MAX_LEN)] = '\0';
        if (!kread(c, d + c->off_d_parent, &parent, sizeof(parent)) || parent == d ||
            !vma_kernel_ptr(parent))
            break;                  /* the root of its file system */
        g_ptr_array_add(parts, g_strdup(buf));
        d = parent;
    }
    GString *s = g_string_new(NULL);
    for (guint i = parts->len; i-- > 0;) {
        g_string_append_c(s, '/');
        for (const char *q = parts->pdata[i]; *q; q++) {
            if (*q == '\n')
                g_string_append(s, "\\012");     /* as Linux escapes it */
            else
                g_string_append_c(s, *q);
        }
    }
    g_ptr_array_free(parts, TRUE);
    if (s->len == 0)
        g_string_append_c(s, '/');
    return g_string_free(s, FALSE);
}

static void file_inode(vmifs_t *c, uint64_t file, uint64_t *ino, uint32_t *dev)
{
    uint64_t inode = 0, sb = 0;
    *ino = 0;
    *dev = 0;
    if (c->off_f_inode == VMA_OFF_NONE || !kread(c, file + c->off_f_inode, &inode, sizeof(inode)) ||
        !vma_kernel_ptr(inode))
        return;
    if (c->off_i_ino != VMA_OFF_NONE)
        kread(c, inode + c->off_i_ino, ino, sizeof(*ino));
    if (c->off_i_sb != VMA_OFF_NONE && c->off_s_dev != VMA_OFF_NONE &&
        kread(c, inode + c->off_i_sb, &sb, sizeof(sb)) && vma_kernel_ptr(sb))
        kread(c, sb + c->off_s_dev, dev, sizeof(*dev));
}

int vmifs_maps(vmifs_t *c, const vmifs_proc_t *p, GByteArray **out)
{
    *out = g_byte_array_new();
    if (!p->mm)
        return 0;                   /* a kernel thread has no areas */
    vma_t *v = NULL;
    size_t n = 0;
    char *why = NULL;
    if (!vma_list(&c->vo, kread_cb, c, p->mm, &v, &n, &why)) {
        vmifs_check_gone(c);
        g_message("pid %d: cannot read its memory areas: %s", p->pid, why);
        free(why);
        return -EIO;
    }
    uint64_t start_brk = 0, brk = 0, start_stack = 0;
    if (c->off_start_brk != VMA_OFF_NONE && c->off_brk != VMA_OFF_NONE) {
        kread(c, p->mm + c->off_start_brk, &start_brk, sizeof(start_brk));
        kread(c, p->mm + c->off_brk, &brk, sizeof(brk));
    }
    if (c->off_start_stack != VMA_OFF_NONE)
        kread(c, p->mm + c->off_start_stack, &start_stack, sizeof(start_stack));
    uint64_t vdso = 0;
    if (c->off_vdso != VMA_OFF_NONE)
        kread(c, p->mm + c->off_vdso, &vdso, sizeof(vdso));
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < n; i++) {
        const vma_t *a = &v[i];
        uint64_t ino = 0;
        uint32_t dev = 0;
        g_autofree char *name = NULL;
        if (a->file) {
            file_inode(c, a->file, &ino, &dev);
            name = file_path(c, a->file);
        } else if (vdso && a->start == vdso) {
            name = g_strdup("[vdso]");
        } else if (vdso && a->end == vdso) {
            name = g_strdup("[vvar]");     /* x86: just below the vDSO */
        } else if (brk && a->start <= brk && a->end >= start_brk) {
            name = g_strdup("[heap]");
        } else if (start_stack && a->start <= start_stack && a->end >= start_stack) {
            name = g_strdup("[stack]");
        }
        gsize at = s->len;
        /* Linux's format (fs/proc/task_mmu.c); dev is the kernel's
         * internal dev_t: major in the upper 12 bits of 32 */
        g_string_append_printf(s, "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08" PRIx64 " %02x:%02x %" PRIu64 " ",
                               a->start, a->end, a->flags & 1 ? 'r' : '-', a->flags & 2 ? 'w' : '-',
                               a->flags & 4 ? 'x' : '-', a->flags & 8 ? 's' : 'p',
                               a->file ? a->pgoff << 12 : 0, dev >> 20, dev & 0xfffff, ino);
        if (name) {
            while (s->len - at < 73)
                g_string_append_c(s, ' ');
            g_string_append(s, name);
        }
        g_string_append_c(s, '\n');
    }
    free(v);
    g_byte_array_append(*out, (const guint8 *)s->str, (guint)s->len);
    g_string_free(s, TRUE);
    return 0;
}
