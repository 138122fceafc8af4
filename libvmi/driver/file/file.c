/*
 * file.c - the file access driver: memory snapshots on disk.
 *
 * Two formats, told apart by content: an ELF core as written by QEMU's
 * dump-guest-memory / `virsh dump --memory-only` (PT_LOAD segments map
 * physical ranges, notes carry per-vCPU registers), or a raw image where the
 * file offset is the physical address (pmemsave, `dd` of a RAM file).
 * The file is mapped with mmap; it is opened for writing only when the
 * configuration says `writable = 1`.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "private.h"
#include "elfcore.h"
#include "guard.h"

#define EM_X86_64_ 62

typedef struct file_data {
    int fd;
    uint8_t *map;
    size_t size;
    bool writable;
    bool is_elf;
    elfcore_t core;
    uint64_t memsize;
    dev_t dev;                  /* the file opened, for file_ram_file_fd() */
    ino_t ino;
} file_data_t;

static file_data_t *fdata(vmi_instance_t vmi)
{
    return vmi->driver_data;
}

static bool file_probe(const char *name, GHashTable *config)
{
    (void)config;
    return g_file_test(name, G_FILE_TEST_IS_REGULAR);
}

static void file_close(vmi_instance_t vmi)
{
    file_data_t *f = fdata(vmi);
    if (!f)
        return;
    if (f->map)
        munmap(f->map, f->size);
    if (f->fd >= 0)
        close(f->fd);
    elfcore_clear(&f->core);
    g_free(f);
    vmi->driver_data = NULL;
}

typedef struct {
    file_data_t *f;
    GError **error;
    bool is_elf;
} parse_args_t;

/* The format and, for an ELF core, its headers: everything open reads
 * through the mapping, run guarded (the file may shrink meanwhile). */
static bool parse_guarded(void *arg)
{
    parse_args_t *a = arg;
    a->is_elf = elfcore_is_elf(a->f->map, a->f->size);
    return !a->is_elf || elfcore_parse(a->f->map, a->f->size, &a->f->core, a->error);
}

static bool file_open(vmi_instance_t vmi, const char *name, GHashTable *config, GError **error)
{
    uint64_t writable = 0;
    vmi_config_get_num(config, "writable", &writable);

    file_data_t *f = g_new0(file_data_t, 1);
    f->fd = -1;
    f->writable = writable != 0;
    vmi->driver_data = f;

    f->fd = open(name, (f->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (f->fd < 0) {
        int e = errno;
        g_set_error(error, VMI_ERROR,
                    e == ENOENT ? VMI_ERROR_NOT_FOUND
                    : e == EACCES || e == EPERM || e == EROFS ? VMI_ERROR_PERMISSION : VMI_ERROR_IO,
                    "cannot open '%s'%s: %s", name, f->writable ? " for writing" : "",
                    g_strerror(e));
        file_close(vmi);
        return false;
    }
    struct stat st;
    if (fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "'%s' is not a regular file", name);
        file_close(vmi);
        return false;
    }
    if (st.st_size == 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "'%s' is empty: not a memory snapshot", name);
        file_close(vmi);
        return false;
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "'%s' is too large to map here", name);
        file_close(vmi);
        return false;
    }
    f->size = (size_t)st.st_size;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    /* a snapshot that shrinks while open must fail reads, not kill us */
    vmi_guard_install();
    f->map = mmap(NULL, f->size, PROT_READ | (f->writable ? PROT_WRITE : 0),
                  MAP_SHARED, f->fd, 0);
    if (f->map == MAP_FAILED) {
        int e = errno;
        f->map = NULL;
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot map '%s': %s", name, g_strerror(e));
        file_close(vmi);
        return false;
    }
    /* Accesses are scattered (page tables, task structs): no read-ahead. */
    madvise(f->map, f->size, MADV_RANDOM);

    parse_args_t pa = { f, error, false };
    bool faulted;
    bool ok = vmi_guarded_run(parse_guarded, &pa, f->map, f->size, &faulted);
    if (faulted) {
        elfcore_clear(&f->core);
        g_clear_error(error);
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "'%s' shrank while it was being read", name);
        file_close(vmi);
        return false;
    }
    if (!ok) {
        file_close(vmi);
        return false;
    }
    if (pa.is_elf) {
        if (f->core.nranges == 0) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                        "'%s' is an ELF file without memory (no PT_LOAD segment)", name);
            file_close(vmi);
            return false;
        }
        f->is_elf = true;
        /* elfcore_parse refuses a PT_LOAD whose end does not fit 64 bits */
        const elfcore_range_t *last = &f->core.ranges[f->core.nranges - 1];
        f->memsize = last->pa + last->memsize;
        g_debug("'%s': ELF core, %zu ranges, %zu vCPUs, memory up to 0x%" G_GINT64_MODIFIER "x",
                name, f->core.nranges, f->core.ncpus, (guint64)f->memsize);
    } else {
        f->memsize = f->size;
        g_debug("'%s': raw memory image of %zu bytes", name, f->size);
    }
    return true;
}

static uint8_t *file_map(vmi_instance_t vmi, addr_t pa, size_t want, size_t *avail, bool write)
{
    file_data_t *f = fdata(vmi);
    (void)want;
    if (write && !f->writable) {
        vmi_errorc(vmi, VMI_ERR_PERMISSION, "the snapshot '%s' is open read-only: set 'writable = 1' in its "
                   "configuration to write to it", vmi->name);
        return NULL;
    }
    if (!f->is_elf) {
        if (pa >= f->size)
            return NULL;
        *avail = f->size - pa;
        return f->map + pa;
    }
    ssize_t i = elfcore_find(&f->core, pa);
    if (i < 0)
        return NULL;
    const elfcore_range_t *r = &f->core.ranges[i];
    /* the zero-filled tail beyond p_filesz has no bytes in the file */
    if (pa - r->pa >= r->size)
        return NULL;
    *avail = r->pa + r->size - pa;
    return f->map + r->offset + (pa - r->pa);
}

/* The copy path: pread, which does not grow the resident set (see
 * VMI_SMALL_READ). */
static size_t file_read(vmi_instance_t vmi, addr_t pa, void *buf, size_t count)
{
    file_data_t *f = fdata(vmi);
    size_t done = 0;
    while (done < count) {
        addr_t cur = pa + done;
        uint64_t off, avail;
        if (!f->is_elf) {
            if (cur >= f->size)
                break;
            off = cur;
            avail = f->size - cur;
        } else {
            ssize_t i = elfcore_find(&f->core, cur);
            if (i < 0 || cur - f->core.ranges[i].pa >= f->core.ranges[i].size)
                break;
            const elfcore_range_t *r = &f->core.ranges[i];
            off = r->offset + (cur - r->pa);
            avail = r->pa + r->size - cur;
        }
        ssize_t n = pread(f->fd, (uint8_t *)buf + done, MIN(avail, count - done), (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += n;
    }
    return done;
}

/* The first run of data in the file's bytes [@lo, @hi): a sparse file's
 * holes are skipped (SEEK_DATA, SEEK_HOLE); where the file system cannot
 * tell, all of it is data. */
static bool data_run(int fd, uint64_t lo, uint64_t hi, uint64_t *s, uint64_t *e)
{
    if (lo >= hi)
        return false;
    off_t d = lseek(fd, (off_t)lo, SEEK_DATA);
    if (d < 0) {
        if (errno == ENXIO)
            return false;       /* only holes from @lo on */
        *s = lo;
        *e = hi;
        return true;
    }
    if ((uint64_t)d >= hi)
        return false;
    off_t h = lseek(fd, d, SEEK_HOLE);
    *s = (uint64_t)d;
    *e = h < 0 || (uint64_t)h > hi ? hi : (uint64_t)h;
    return *e > *s;
}

static bool file_next_data(vmi_instance_t vmi, addr_t pa, addr_t *start, addr_t *end)
{
    file_data_t *f = fdata(vmi);
    uint64_t s, e;
    if (!f->is_elf) {
        if (!data_run(f->fd, pa, f->size, &s, &e))
            return false;
        *start = s;
        *end = e;
        return true;
    }
    /* the ranges are sorted and do not overlap; only their file bytes
     * (p_filesz, not the zero-filled tail) hold data */
    size_t lo = 0, hi = f->core.nranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const elfcore_range_t *r = &f->core.ranges[mid];
        if (pa - r->pa < r->size || pa < r->pa)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (size_t i = lo; i < f->core.nranges; i++) {
        const elfcore_range_t *r = &f->core.ranges[i];
        uint64_t from = pa > r->pa ? pa - r->pa : 0;
        if (from >= r->size)
            continue;
        if (data_run(f->fd, r->offset + from, r->offset + r->size, &s, &e)) {
            *start = r->pa + (s - r->offset);
            *end = r->pa + (e - r->offset);
            return true;
        }
    }
    return false;
}

/* A raw image is laid out as a RAM file (offset = physical address): the
 * helper may hand it out as one (OpenMemory on a domain of libvirt's test
 * driver).  A new read-only descriptor of the file opened, never a reopen
 * by name; with writes on, through /proc/self/fd, checked to be the same
 * inode. */
static int file_ram_file_fd(vmi_instance_t vmi, dev_t *dev, ino_t *ino, GError **error)
{
    file_data_t *f = fdata(vmi);
    if (f->is_elf) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "'%s' is an ELF core, not laid out "
                    "as a RAM file", vmi->name);
        return -1;
    }
    int fd;
    if (!f->writable) {
        fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
    } else {
        char self[64];
        g_snprintf(self, sizeof(self), "/proc/self/fd/%d", f->fd);
        fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_dev != f->dev || st.st_ino != f->ino)) {
            close(fd);
            g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "no read-only descriptor of '%s' could "
                        "be made (/proc/self/fd gave another file)", vmi->name);
            return -1;
        }
    }
    if (fd < 0) {
        int e = errno;
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot duplicate the descriptor of '%s': %s",
                    vmi->name, g_strerror(e));
        return -1;
    }
    if (dev)
        *dev = f->dev;
    if (ino)
        *ino = f->ino;
    return fd;
}

static uint64_t file_memsize(vmi_instance_t vmi)
{
    return fdata(vmi)->memsize;
}

static uint64_t file_ram_size(vmi_instance_t vmi)
{
    file_data_t *f = fdata(vmi);
    if (!f->is_elf)
        return f->size;
    uint64_t total = 0;
    for (size_t i = 0; i < f->core.nranges; i++)
        total += f->core.ranges[i].size;
    return total;
}

static const char *file_access_path(vmi_instance_t vmi)
{
    return fdata(vmi)->is_elf ? "file-elf" : "file-raw";
}

static unsigned file_num_vcpus(vmi_instance_t vmi)
{
    return fdata(vmi)->core.ncpus;
}

/* Maps a register name to the vCPU state an ELF core carries. */
static bool elf_reg(const elfcore_cpu_t *c, reg_t reg, reg_t *v)
{
    static const reg_t seg_sel[] = { CS_SEL, DS_SEL, ES_SEL, FS_SEL, GS_SEL, SS_SEL,
                                           LDTR_SEL, TR_SEL };
    static const reg_t seg_limit[] = { CS_LIMIT, DS_LIMIT, ES_LIMIT, FS_LIMIT, GS_LIMIT,
                                             SS_LIMIT, LDTR_LIMIT, TR_LIMIT, GDTR_LIMIT,
                                             IDTR_LIMIT };
    static const reg_t seg_base[] = { CS_BASE, DS_BASE, ES_BASE, FS_BASE, GS_BASE, SS_BASE,
                                            LDTR_BASE, TR_BASE, GDTR_BASE, IDTR_BASE };
    static const reg_t seg_ar[] = { CS_ARBYTES, DS_ARBYTES, ES_ARBYTES, FS_ARBYTES,
                                          GS_ARBYTES, SS_ARBYTES, LDTR_ARBYTES, TR_ARBYTES };
    switch (reg) {
    case RAX: *v = c->rax; return true;
    case RBX: *v = c->rbx; return true;
    case RCX: *v = c->rcx; return true;
    case RDX: *v = c->rdx; return true;
    case RBP: *v = c->rbp; return true;
    case RSI: *v = c->rsi; return true;
    case RDI: *v = c->rdi; return true;
    case RSP: *v = c->rsp; return true;
    case R8: *v = c->r8; return true;
    case R9: *v = c->r9; return true;
    case R10: *v = c->r10; return true;
    case R11: *v = c->r11; return true;
    case R12: *v = c->r12; return true;
    case R13: *v = c->r13; return true;
    case R14: *v = c->r14; return true;
    case R15: *v = c->r15; return true;
    case RIP: *v = c->rip; return true;
    case RFLAGS: *v = c->rflags; return true;
    default: break;
    }
    if (c->has_qemu) {
        switch (reg) {
        case CR0: *v = c->cr[0]; return true;
        case CR2: *v = c->cr[2]; return true;
        case CR3: *v = c->cr[3]; return true;
        case CR4: *v = c->cr[4]; return true;
        case SHADOW_GS:
            if (!c->has_kernel_gs_base)
                return false;
            *v = c->kernel_gs_base;
            return true;
        default: break;
        }
        /* QEMUCPUState segment order: cs ds es fs gs ss ldt tr gdt idt */
        static const int qemu_index[] = { ELFCORE_SEG_CS, ELFCORE_SEG_DS, ELFCORE_SEG_ES,
                                          ELFCORE_SEG_FS, ELFCORE_SEG_GS, ELFCORE_SEG_SS,
                                          ELFCORE_SEG_LDT, ELFCORE_SEG_TR, ELFCORE_SEG_GDT,
                                          ELFCORE_SEG_IDT };
        for (size_t i = 0; i < G_N_ELEMENTS(seg_sel); i++)
            if (reg == seg_sel[i]) { *v = c->seg[qemu_index[i]].selector; return true; }
        for (size_t i = 0; i < G_N_ELEMENTS(seg_limit); i++)
            if (reg == seg_limit[i]) { *v = c->seg[qemu_index[i]].limit; return true; }
        for (size_t i = 0; i < G_N_ELEMENTS(seg_base); i++)
            if (reg == seg_base[i]) { *v = c->seg[qemu_index[i]].base; return true; }
        for (size_t i = 0; i < G_N_ELEMENTS(seg_ar); i++)
            if (reg == seg_ar[i]) { *v = c->seg[qemu_index[i]].flags; return true; }
    }
    return false;
}

static bool file_get_vcpureg(vmi_instance_t vmi, reg_t *value, reg_t reg,
                             unsigned long vcpu, GError **error)
{
    file_data_t *f = fdata(vmi);
    if (!f->is_elf) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "'%s' is a raw memory image: it carries no vCPU registers", vmi->name);
        return false;
    }
    if (vcpu >= f->core.ncpus) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "vCPU %lu does not exist: the snapshot '%s' has %zu vCPU(s)", vcpu,
                    vmi->name, f->core.ncpus);
        return false;
    }
    /* the vCPU exists (NOT_FOUND is for a vCPU past the last): the
     * snapshot just cannot give this register */
    if (!elf_reg(&f->core.cpus[vcpu], reg, value)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "register %d of vCPU %lu is not recorded in the snapshot '%s'", (int)reg,
                    vcpu, vmi->name);
        return false;
    }
    return true;
}

static bool file_get_lma(vmi_instance_t vmi, bool *lma)
{
    file_data_t *f = fdata(vmi);
    if (!f->is_elf)
        return false;
    /* QEMU writes an x86-64 core exactly when the guest was in long mode. */
    *lma = f->core.machine == EM_X86_64_;
    return true;
}

/* A snapshot never runs: pausing and resuming succeed and do nothing, so
 * classic programs that pause before they read work unchanged. */
static bool file_pause(vmi_instance_t vmi, GError **error)
{
    return true;
}

static bool file_resume(vmi_instance_t vmi, GError **error)
{
    return true;
}

/* A file is already a consistent point-in-time copy. */
static bool file_shm_snapshot(vmi_instance_t vmi, GError **error)
{
    return true;
}

const vmi_driver_ops_t file_driver_ops = {
    .name = "file",
    .mode = VMI_FILE,
    .probe = file_probe,
    .open = file_open,
    .close = file_close,
    .map = file_map,
    .read = file_read,
    .memsize = file_memsize,
    .next_data = file_next_data,
    .ram_size = file_ram_size,
    .ram_file_fd = file_ram_file_fd,
    .access_path = file_access_path,
    .num_vcpus = file_num_vcpus,
    .get_vcpureg = file_get_vcpureg,
    .get_lma = file_get_lma,
    .pause = file_pause,
    .resume = file_resume,
    .shm_snapshot_create = file_shm_snapshot,
    .shm_snapshot_destroy = file_shm_snapshot,
};
