/*
 * fs.c - the file system: FUSE operations over one libvmi instance.
 *
 *   /mem               guest physical memory (offset = physical address)
 *   /proc/PID/mem      the virtual memory of process PID (offset = address)
 *   /proc/PID/cmdline  its argv, NUL separated (mm->arg_start..arg_end)
 *   /proc/PID/comm     its name and a newline
 *   /proc/PID/maps     its memory areas, in the format of Linux's
 *
 * Every file is opened with direct_io: reads go to us whatever the size
 * says, in requests as large as the kernel sends (up to 1 MiB), and
 * nothing is cached (guest memory changes under us).
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vmifs.h"

typedef enum {
    N_NONE, N_ROOT, N_MEM, N_PROCDIR, N_PID, N_PID_MEM, N_PID_CMDLINE, N_PID_COMM, N_PID_MAPS,
} node_t;

static const char *const pid_files[] = {
    [N_PID_MEM] = "mem", [N_PID_CMDLINE] = "cmdline", [N_PID_COMM] = "comm", [N_PID_MAPS] = "maps",
};

typedef struct {
    node_t node;
    vmi_pid_t pid;
    GByteArray *text;   /* cmdline, comm, maps: made at open */
} fh_t;

static vmifs_t *ctx(void)
{
    return fuse_get_context()->private_data;
}

/* Parses @path: the node, and the pid for the nodes under proc/PID. */
static node_t parse(const char *path, vmi_pid_t *pid)
{
    if (strcmp(path, "/") == 0)
        return N_ROOT;
    if (strcmp(path, "/mem") == 0)
        return N_MEM;
    if (strcmp(path, "/proc") == 0)
        return N_PROCDIR;
    if (strncmp(path, "/proc/", 6) != 0)
        return N_NONE;
    const char *s = path + 6;
    if (*s < '1' || *s > '9')
        return N_NONE;          /* no leading zeros, no sign: one name per pid */
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || v <= 0 || v > INT32_MAX)
        return N_NONE;
    *pid = (vmi_pid_t)v;
    if (*end == '\0')
        return N_PID;
    if (*end != '/')
        return N_NONE;
    for (node_t n = N_PID_MEM; n <= N_PID_MAPS; n++)
        if (strcmp(end + 1, pid_files[n]) == 0)
            return n;
    return N_NONE;
}

static int vmifs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    vmifs_t *c = ctx();
    vmi_pid_t pid = 0;
    node_t n = parse(path, &pid);
    memset(st, 0, sizeof(*st));
    st->st_uid = getuid();
    st->st_gid = getgid();
    st->st_nlink = 1;
    mode_t rw = c->writable ? 0600 : 0400;
    switch (n) {
    case N_ROOT:
    case N_PROCDIR:
        st->st_mode = S_IFDIR | 0555;
        st->st_nlink = 2;
        return 0;
    case N_MEM:
        st->st_mode = S_IFREG | rw;
        st->st_size = (off_t)c->mem_size;
        st->st_blocks = (blkcnt_t)(c->mem_size / 512);
        return 0;
    case N_NONE:
        return -ENOENT;
    default:
        break;
    }
    /* under proc/PID: the pid must exist now (a lookup, never stale for
     * longer than the lookup TTL) */
    pthread_mutex_lock(&c->lock);
    const vmifs_proc_t *p = vmifs_proc_find(c, pid, c->lookup_ttl_us);
    bool gone = g_atomic_int_get(&c->gone);
    pthread_mutex_unlock(&c->lock);
    if (!p)
        return gone ? -EIO : -ENOENT;
    if (n == N_PID) {
        st->st_mode = S_IFDIR | 0555;
        st->st_nlink = 2;
    } else {
        st->st_mode = S_IFREG | (n == N_PID_MEM ? rw : 0444);
    }
    return 0;
}

static int vmifs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                         struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    vmifs_t *c = ctx();
    vmi_pid_t pid = 0;
    node_t n = parse(path, &pid);
    switch (n) {
    case N_ROOT:
        fill(buf, ".", NULL, 0, 0);
        fill(buf, "..", NULL, 0, 0);
        fill(buf, "mem", NULL, 0, 0);
        fill(buf, "proc", NULL, 0, 0);
        return 0;
    case N_PROCDIR: {
        pthread_mutex_lock(&c->lock);
        int rc = vmifs_procs_refresh(c, c->list_ttl_us);
        size_t count = c->nprocs;
        vmi_pid_t *pids = g_new(vmi_pid_t, count ? count : 1);
        for (size_t i = 0; i < count; i++)
            pids[i] = c->procs[i].pid;
        pthread_mutex_unlock(&c->lock);
        if (rc < 0) {
            g_free(pids);
            return rc;
        }
        fill(buf, ".", NULL, 0, 0);
        fill(buf, "..", NULL, 0, 0);
        for (size_t i = 0; i < count; i++) {
            char name[16];
            g_snprintf(name, sizeof(name), "%d", pids[i]);
            fill(buf, name, NULL, 0, 0);
        }
        g_free(pids);
        return 0;
    }
    case N_PID: {
        pthread_mutex_lock(&c->lock);
        const vmifs_proc_t *p = vmifs_proc_find(c, pid, c->lookup_ttl_us);
        pthread_mutex_unlock(&c->lock);
        if (!p)
            return -ENOENT;
        fill(buf, ".", NULL, 0, 0);
        fill(buf, "..", NULL, 0, 0);
        for (node_t k = N_PID_MEM; k <= N_PID_MAPS; k++)
            fill(buf, pid_files[k], NULL, 0, 0);
        return 0;
    }
    case N_NONE:
        return -ENOENT;
    default:
        return -ENOTDIR;
    }
}

static int vmifs_open(const char *path, struct fuse_file_info *fi)
{
    vmifs_t *c = ctx();
    vmi_pid_t pid = 0;
    node_t n = parse(path, &pid);
    bool wants_write = (fi->flags & O_ACCMODE) != O_RDONLY;
    if (n == N_NONE)
        return -ENOENT;
    if (n == N_ROOT || n == N_PROCDIR || n == N_PID)
        return -EISDIR;
    if (wants_write && !(c->writable && (n == N_MEM || n == N_PID_MEM)))
        return c->writable ? -EACCES : -EROFS;
    fh_t *h = g_new0(fh_t, 1);
    h->node = n;
    h->pid = pid;
    int rc = 0;
    if (n != N_MEM) {
        pthread_mutex_lock(&c->lock);
        const vmifs_proc_t *p = vmifs_proc_find(c, pid, c->lookup_ttl_us);
        if (!p)
            rc = g_atomic_int_get(&c->gone) ? -EIO : -ENOENT;
        else if (n == N_PID_CMDLINE)
            rc = vmifs_cmdline(c, p, &h->text);
        else if (n == N_PID_MAPS)
            rc = vmifs_maps(c, p, &h->text);
        else if (n == N_PID_COMM) {
            h->text = g_byte_array_new();
            g_byte_array_append(h->text, (const guint8 *)p->comm, (guint)strlen(p->comm));
            g_byte_array_append(h->text, (const guint8 *)"\n", 1);
        }
        pthread_mutex_unlock(&c->lock);
    }
    if (rc < 0) {
        if (h->text)
            g_byte_array_unref(h->text);
        g_free(h);
        return rc;
    }
    fi->fh = (uint64_t)(uintptr_t)h;
    fi->direct_io = 1;
    fi->nonseekable = 0;
    return 0;
}

static int vmifs_release(const char *path, struct fuse_file_info *fi)
{
    fh_t *h = (fh_t *)(uintptr_t)fi->fh;
    if (h) {
        if (h->text)
            g_byte_array_unref(h->text);
        g_free(h);
    }
    return 0;
}

/* Physical memory: holes (no RAM or ROM there) read as zeros; a backed
 * page that cannot be read ends the read there (EIO if nothing was read). */
static int read_phys(vmifs_t *c, char *buf, size_t size, uint64_t off)
{
    if (off >= c->mem_size)
        return 0;
    size = MIN(size, c->mem_size - off);
    size_t done = 0;
    pthread_mutex_lock(&c->lock);
    while (done < size) {
        addr_t pa = off + done, s, e;
        size_t left = size - done;
        if (vmi_get_backed_range(c->vmi, pa, &s, &e) != VMI_SUCCESS)
            s = e = c->mem_size;
        if (s > pa) {
            size_t z = (size_t)MIN((uint64_t)left, s - pa);
            memset(buf + done, 0, z);
            done += z;
            continue;
        }
        size_t want = (size_t)MIN((uint64_t)left, e - pa), got = 0;
        vmi_read_pa(c->vmi, pa, want, buf + done, &got);
        done += got;
        if (got < want) {
            bool gone = vmifs_check_gone(c);
            if (done == 0)
                g_message("reading guest-physical 0x%" G_GINT64_MODIFIER "x failed: %s%s",
                          (guint64)pa, vmi_get_last_error(c->vmi), gone ? " (unmounting)" : "");
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return done > 0 ? (int)done : -EIO;
}

/* A process's virtual memory through its page tables: a read that starts
 * on an unmapped page fails with EIO, one that reaches one stops short
 * there.  A process with no user memory (a kernel thread) or one that has
 * exited reads as end of file, as in Linux. */
static int read_virt(vmifs_t *c, vmi_pid_t pid, char *buf, size_t size, uint64_t off)
{
    pthread_mutex_lock(&c->lock);
    const vmifs_proc_t *p = vmifs_proc_find(c, pid, c->list_ttl_us);
    if (!p || !p->mm) {
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    ACCESS_CONTEXT(ac, .tm = VMI_TM_PROCESS_DTB, .addr = off, .pt = p->dtb);
    size_t got = 0;
    vmi_read(c->vmi, &ac, size, buf, &got);
    if (got == 0)
        vmifs_check_gone(c);
    pthread_mutex_unlock(&c->lock);
    return got > 0 ? (int)got : -EIO;
}

static int vmifs_read(const char *path, char *buf, size_t size, off_t off,
                      struct fuse_file_info *fi)
{
    vmifs_t *c = ctx();
    fh_t *h = (fh_t *)(uintptr_t)fi->fh;
    if (off < 0)
        return -EINVAL;
    if (size > INT_MAX)
        size = INT_MAX & ~4095;
    switch (h->node) {
    case N_MEM:
        return read_phys(c, buf, size, (uint64_t)off);
    case N_PID_MEM:
        return read_virt(c, h->pid, buf, size, (uint64_t)off);
    default:
        if ((uint64_t)off >= h->text->len)
            return 0;
        size = MIN(size, h->text->len - (size_t)off);
        memcpy(buf, h->text->data + off, size);
        return (int)size;
    }
}

static int vmifs_write(const char *path, const char *buf, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
    vmifs_t *c = ctx();
    fh_t *h = (fh_t *)(uintptr_t)fi->fh;
    if (!c->writable)
        return -EROFS;
    if (off < 0)
        return -EINVAL;
    if (size > INT_MAX)
        size = INT_MAX & ~4095;
    size_t done = 0;
    pthread_mutex_lock(&c->lock);
    if (h->node == N_MEM) {
        if ((uint64_t)off >= c->mem_size) {
            pthread_mutex_unlock(&c->lock);
            return -ENOSPC;
        }
        size = MIN(size, c->mem_size - (uint64_t)off);
        vmi_write_pa(c->vmi, (addr_t)off, size, (void *)buf, &done);
    } else if (h->node == N_PID_MEM) {
        const vmifs_proc_t *p = vmifs_proc_find(c, h->pid, c->list_ttl_us);
        if (!p || !p->mm) {
            pthread_mutex_unlock(&c->lock);
            return -ESRCH;
        }
        ACCESS_CONTEXT(ac, .tm = VMI_TM_PROCESS_DTB, .addr = (addr_t)off, .pt = p->dtb);
        vmi_write(c->vmi, &ac, size, (void *)buf, &done);
    } else {
        pthread_mutex_unlock(&c->lock);
        return -EACCES;
    }
    if (done == 0) {
        vmifs_check_gone(c);
        g_message("writing %zu bytes at 0x%" G_GINT64_MODIFIER "x of %s failed: %s", size,
                  (guint64)off, path, vmi_get_last_error(c->vmi));
    }
    pthread_mutex_unlock(&c->lock);
    return done > 0 ? (int)done : -EIO;
}

/* SEEK_DATA / SEEK_HOLE on mem: the backed ranges of the guest's physical
 * address space (SEEK_SET/CUR/END never reach us). */
static off_t vmifs_lseek(const char *path, off_t off, int whence, struct fuse_file_info *fi)
{
    vmifs_t *c = ctx();
    fh_t *h = (fh_t *)(uintptr_t)fi->fh;
    if (whence != SEEK_DATA && whence != SEEK_HOLE)
        return -EINVAL;
    if (h->node != N_MEM)
        return whence == SEEK_DATA ? off : -ENXIO;   /* no holes known elsewhere */
    if (off < 0 || (uint64_t)off >= c->mem_size)
        return -ENXIO;
    addr_t s, e;
    off_t r;
    pthread_mutex_lock(&c->lock);
    if (whence == SEEK_DATA) {
        bool found = vmi_get_backed_range(c->vmi, (addr_t)off, &s, &e) == VMI_SUCCESS &&
                     s < c->mem_size;
        r = found ? (off_t)s : -ENXIO;
    } else {
        addr_t at = (addr_t)off;
        /* inside a run of backed ranges: the hole is where they end */
        while (at < c->mem_size && vmi_get_backed_range(c->vmi, at, &s, &e) == VMI_SUCCESS &&
               s == at && e > at)
            at = e;
        r = (off_t)MIN(at, c->mem_size);
    }
    pthread_mutex_unlock(&c->lock);
    return r;
}

/* The size of mem is the guest's: a truncation (dd without conv=notrunc)
 * is refused rather than pretended. */
static int vmifs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    vmifs_t *c = ctx();
    vmi_pid_t pid = 0;
    node_t n = parse(path, &pid);
    if (!c->writable)
        return -EROFS;
    if (n == N_MEM && (uint64_t)size == c->mem_size)
        return 0;
    return n == N_NONE ? -ENOENT : -EPERM;
}

static void *vmifs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    /* the guest changes under us: no attribute or name caching; the
     * process folders come and go */
    cfg->entry_timeout = 0;
    cfg->attr_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->direct_io = 1;
    cfg->kernel_cache = 0;
    /* writes as large as reads (libfuse derives the request size from it) */
    conn->max_write = 1u << 20;
    return fuse_get_context()->private_data;
}

static const struct fuse_operations ops = {
    .init = vmifs_init,
    .getattr = vmifs_getattr,
    .readdir = vmifs_readdir,
    .open = vmifs_open,
    .release = vmifs_release,
    .read = vmifs_read,
    .write = vmifs_write,
    .truncate = vmifs_truncate,
    .lseek = vmifs_lseek,
};

const struct fuse_operations *vmifs_operations(void)
{
    return &ops;
}
