/*
 * kvm.c - the kvm access driver: live QEMU/KVM (or TCG) guests on an
 * unmodified QEMU.
 *
 * The guest is reached through what QEMU already offers: QMP (run control,
 * the physical memory layout from `info mtree -f`, host addresses from
 * `gpa2hva`, registers from `info registers`), the gdbstub (registers,
 * physical memory in PhyMemMode, breakpoints, watchpoints, single-step) and,
 * when the domain's RAM is a shared file, that file.  Memory goes through
 * the fastest path available:
 *   1. the shared RAM file, mapped: no copy through the kernel, the guest
 *      keeps running;
 *   2. QEMU's process memory with process_vm_readv: any running guest, no
 *      XML change, the guest keeps running;
 *   3. the gdbstub: stops the guest for every batch of accesses.
 * `kvm_access = "shm" | "process" | "gdbstub"` in the configuration forces
 * a path; vmi_get_access_path() says which one is in use.
 *
 * Configuration keys: qmp (QMP socket), gdb (gdbstub socket or tcp:H:P),
 * shm (the RAM file; found through QOM when not given), pid (QEMU's pid;
 * found from the QMP socket's peer when not given).
 *
 * With libvirt (ENABLE_LIBVIRT) and no `qmp` key, the name is a libvirt
 * domain's name, UUID or ID at `uri` (default qemu:///system): libvirt
 * relays QMP, and gives QEMU's pid and, from the domain XML, the gdbstub
 * (see kvm_libvirt.c).
 */
#include <stdio.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "kvm.h"
#include "guard.h"
#include "sockdir.h"
#ifdef ENABLE_LIBVIRT
#include "kvm_libvirt.h"
#endif

#define KVM_TIMEOUT_MS 5000

static const char *const path_names[] = {
    [KVM_PATH_SHM] = "shm",
    [KVM_PATH_PROCESS] = "process",
    [KVM_PATH_GDBSTUB] = "gdbstub",
};

/* ------------------------------------------------------------ probing */

static bool kvm_probe(const char *name, GHashTable *config)
{
    if (vmi_config_get_str(config, "qmp") || vmi_config_get_str(config, "gdb"))
        return true;
#ifdef ENABLE_LIBVIRT
    return kvm_libvirt_probe(name, config);
#else
    return false;
#endif
}

/* ------------------------------------------------------------ layout */

static kvm_range_t *find_range(kvm_data_t *k, addr_t pa)
{
    kvm_range_t *r = (kvm_range_t *)k->ranges->data;
    size_t n = k->ranges->len;
    if (k->last_range < n && pa - r[k->last_range].gpa < r[k->last_range].size)
        return &r[k->last_range];
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pa < r[mid].gpa)
            hi = mid;
        else if (pa - r[mid].gpa >= r[mid].size)
            lo = mid + 1;
        else {
            k->last_range = mid;
            return &r[mid];
        }
    }
    return NULL;
}

/* The RAM layout from QEMU: `info mtree -f`, the RAM ranges of the flat
 * view of the "memory" address space (below and above the PCI hole). */
static bool load_layout(kvm_data_t *k, GArray **mtree, GError **error)
{
    g_autofree char *text = qmp_hmp(k->qmp, "info mtree -f", error);
    if (!text)
        return false;
    *mtree = qmp_parse_mtree(text, error);
    if (!*mtree)
        return false;
    if ((*mtree)->len == 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "QEMU reports no RAM in the guest's "
                    "physical address space (info mtree -f)");
        g_clear_pointer(mtree, g_array_unref);
        return false;
    }
    k->ranges = g_array_sized_new(FALSE, TRUE, sizeof(kvm_range_t), (*mtree)->len);
    for (guint i = 0; i < (*mtree)->len; i++) {
        const qmp_ram_range_t *m = &g_array_index(*mtree, qmp_ram_range_t, i);
        kvm_range_t r = { .gpa = m->gpa, .size = m->size };
        g_array_append_val(k->ranges, r);
    }
    return true;
}

/* The RAM file of memory backend @id, through QOM. */
static char *shm_from_qom(kvm_data_t *k, const char *id)
{
    g_autoptr(JsonObject) args = json_object_new();
    g_autofree char *path = g_strdup_printf("/objects/%s", id);
    json_object_set_string_member(args, "path", path);
    json_object_set_string_member(args, "property", "mem-path");
    g_autoptr(JsonNode) mem = qmp_execute(k->qmp, "qom-get", args, NULL);
    if (!mem || JSON_NODE_TYPE(mem) != JSON_NODE_VALUE)
        return NULL;
    json_object_set_string_member(args, "property", "share");
    g_autoptr(JsonNode) share = qmp_execute(k->qmp, "qom-get", args, NULL);
    if (!share || JSON_NODE_TYPE(share) != JSON_NODE_VALUE || !json_node_get_boolean(share))
        return NULL;
    return g_strdup(json_node_get_string(mem));
}

/* Whether process @pid maps the file @st (device and inode, from
 * /proc/PID/maps). When the maps cannot be read (no ptrace access to QEMU),
 * there is nothing to check against: true. */
static bool kvm_pid_maps_file(int pid, const struct stat *st)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/maps", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return true;
    char line[4096];
    bool hit = false;
    /* a QEMU has some hundreds of mappings; bounded all the same */
    for (int n = 0; !hit && n < 1000000 && fgets(line, sizeof(line), f); n++) {
        unsigned int maj, min;
        unsigned long long ino;
        if (sscanf(line, "%*x-%*x %*4s %*x %x:%x %llu", &maj, &min, &ino) == 3)
            hit = ino == (unsigned long long)st->st_ino && maj == major(st->st_dev) &&
                  min == minor(st->st_dev);
        /* the rest of an overlong line (a path) is skipped */
        while (!strchr(line, '\n') && fgets(line, sizeof(line), f))
            ;
    }
    fclose(f);
    return hit;
}

/* Maps the shared RAM file and points every range backed by it there. */
static bool setup_shm(vmi_instance_t vmi, kvm_data_t *k, GArray *mtree, const char *file,
                      GError **error)
{
    g_autofree char *found = NULL;
    const char *backend = NULL;
    if (!file) {
        /* the backend whose RAM ranges these are: ask QOM for its file */
        for (guint i = 0; i < mtree->len && !found; i++) {
            backend = g_array_index(mtree, qmp_ram_range_t, i).name;
            found = shm_from_qom(k, backend);
        }
        file = found;
    }
    if (!file) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "the guest's RAM is not a shared file (no memory-backend-file with share=on)");
        return false;
    }
    /* With writes off (`writable = 0`) the file is opened read-only and
     * can never be written through us; with writes on, the mapping is still
     * read-only until the first write (kvm_map). */
    /* A file QEMU names lives in a directory QEMU's user can write: a
     * compromised QEMU could put a symlink, a FIFO or another file there
     * for us (often root) to map. So: no symlink, a regular file, and the
     * very file QEMU has mapped. A path given in the config is trusted. */
    int flags = (k->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                (found ? O_NOFOLLOW : 0);
    int fd = open(file, flags);
    if (fd < 0 && k->writable && !k->writable_set && (errno == EACCES || errno == EROFS)) {
        /* writes were not asked for: a file we may only read will do */
        g_debug("kvm: the RAM file '%s' cannot be opened for writing: writes are off", file);
        k->writable = false;
        flags = (flags & ~O_RDWR) | O_RDONLY;
        fd = open(file, flags);
    }
    if (fd < 0) {
        int e = errno;
        g_set_error(error, VMI_ERROR,
                    e == EACCES || e == EPERM || e == EROFS ? VMI_ERROR_PERMISSION
                    : e == ENOENT ? VMI_ERROR_NOT_FOUND : VMI_ERROR_IO,
                    "cannot open the guest's RAM file '%s'%s: %s%s", file,
                    k->writable ? " for writing (writable = 0 opens it read-only)" : "",
                    g_strerror(e), e == ELOOP ? " (a symbolic link: refused)" : "");
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "the guest's RAM file '%s' is not a regular file",
                    file);
        return false;
    }
    if (st.st_size <= 0 || (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "the guest's RAM file '%s' is %s", file,
                    st.st_size <= 0 ? "empty" : "larger than this process can map");
        return false;
    }
    if (found && k->pid > 0 && !kvm_pid_maps_file(k->pid, &st)) {
        close(fd);
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "the file '%s' is not the one QEMU (pid %d) "
                    "has mapped as guest RAM: refused", file, k->pid);
        return false;
    }
    k->shm_size = st.st_size;
    /* a shrinking file must fail reads, not kill us (guard.h) */
    vmi_guard_install();
    k->shm_map = mmap(NULL, k->shm_size, PROT_READ, MAP_SHARED, fd, 0);
    if (k->shm_map == MAP_FAILED) {
        int e = errno;
        close(fd);
        k->shm_map = NULL;
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot map the guest's RAM file '%s': %s",
                    file, g_strerror(e));
        return false;
    }
    madvise(k->shm_map, k->shm_size, MADV_RANDOM);
    /* The file we validated, kept for kvm_ram_file_fd(): whoever hands it
     * out (vmi-helperd's OpenMemory) gives this very inode, read-only,
     * never a file reopened by a path QEMU's user controls.  With writes
     * on, the read-only descriptor comes from /proc/self/fd (the same open
     * file's inode, not a path lookup). */
    if (k->writable) {
        char self[64];
        g_snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
        k->shm_fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st2;
        if (k->shm_fd >= 0 && (fstat(k->shm_fd, &st2) < 0 || st2.st_dev != st.st_dev ||
                               st2.st_ino != st.st_ino)) {
            close(k->shm_fd);
            k->shm_fd = -1;
        }
        close(fd);
    } else {
        k->shm_fd = fd;
    }
    k->shm_dev = st.st_dev;
    k->shm_ino = st.st_ino;
    g_free(k->shm_file);
    k->shm_file = g_strdup(file);
    /* Ranges carry their offset inside the RAM block; those of the block
     * that is the file point into the mapping. */
    size_t mapped = 0;
    for (guint i = 0; i < mtree->len; i++) {
        const qmp_ram_range_t *m = &g_array_index(mtree, qmp_ram_range_t, i);
        kvm_range_t *r = &g_array_index(k->ranges, kvm_range_t, i);
        if (backend && strcmp(m->name, backend) != 0)
            continue;
        if (qmp_range_fits(m, k->shm_size)) {
            r->host = k->shm_map + m->offset;
            mapped++;
        } else {
            g_debug("kvm: RAM range 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER "x at "
                    "offset 0x%" G_GINT64_MODIFIER "x of '%s' does not fit the file (%zu bytes): "
                    "not read through it", (guint64)m->gpa, (guint64)m->size,
                    (guint64)m->offset, m->name, k->shm_size);
        }
    }
    g_debug("kvm: RAM file %s mapped (%zu bytes, %zu of %u ranges)", file, k->shm_size, mapped,
            mtree->len);
    return mapped > 0;
}

/* Host addresses of the ranges in QEMU's process, from gpa2hva. */
static bool setup_process(vmi_instance_t vmi, kvm_data_t *k, GError **error)
{
    if (k->pid <= 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "QEMU's process id is unknown");
        return false;
    }
    for (guint i = 0; i < k->ranges->len; i++) {
        kvm_range_t *r = &g_array_index(k->ranges, kvm_range_t, i);
        g_autofree char *cmd = g_strdup_printf("gpa2hva 0x%" G_GINT64_MODIFIER "x", (guint64)r->gpa);
        g_autofree char *out = qmp_hmp(k->qmp, cmd, error);
        if (!out || !qmp_parse_gpa2hva(out, &r->hva, error))
            return false;
    }
    /* one byte, to learn now (not at the first read) whether we may */
    const kvm_range_t *r0 = &g_array_index(k->ranges, kvm_range_t, 0);
    uint8_t b;
    struct iovec local = { &b, 1 }, remote = { (void *)(uintptr_t)r0->hva, 1 };
    if (process_vm_readv(k->pid, &local, 1, &remote, 1, 0) != 1) {
        int e = errno;
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot read QEMU's memory (pid %d): %s%s",
                    k->pid, g_strerror(e), e == EPERM ? " (needs root or CAP_SYS_PTRACE)" : "");
        return false;
    }
    return true;
}

/* ------------------------------------------------------------ watcher */

typedef struct {
    vmi_instance_t vmi;
    int pidfd, stop_fd, pid;
} watch_args_t;

/* Waits for QEMU to exit, so that the next access fails at once with the
 * reason (a shared RAM file would otherwise go on answering with the
 * memory of a dead guest). */
static gpointer watcher_main(gpointer data)
{
    watch_args_t *w = data;
    struct pollfd fds[2] = { { .fd = w->pidfd, .events = POLLIN }, { .fd = w->stop_fd, .events = POLLIN } };
    for (;;) {
        int n = poll(fds, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            g_autofree char *why = g_strdup_printf("the guest is gone: its QEMU (pid %d) exited",
                                                   w->pid);
            vmi_set_gone(w->vmi, why);
        }
        break;
    }
    g_free(w);
    return NULL;
}

static void start_watcher(vmi_instance_t vmi, kvm_data_t *k)
{
    k->pidfd = -1;
    k->stop_pipe[0] = k->stop_pipe[1] = -1;
    if (k->pid <= 0)
        return;
#ifdef SYS_pidfd_open
    k->pidfd = (int)syscall(SYS_pidfd_open, k->pid, 0);
#endif
    if (k->pidfd < 0 || pipe2(k->stop_pipe, O_CLOEXEC) < 0) {
        g_debug("kvm: cannot watch QEMU (pid %d) for exit: %s", k->pid, g_strerror(errno));
        return;
    }
    watch_args_t *w = g_new0(watch_args_t, 1);
    *w = (watch_args_t){ .vmi = vmi, .pidfd = k->pidfd, .stop_fd = k->stop_pipe[0], .pid = k->pid };
    k->watcher = g_thread_new("vmi-kvm-watch", watcher_main, w);
}

static void stop_watcher(kvm_data_t *k)
{
    if (k->watcher) {
        if (write(k->stop_pipe[1], "x", 1) < 0)
            g_debug("kvm: waking the watcher failed: %s", g_strerror(errno));
        g_thread_join(k->watcher);
        k->watcher = NULL;
    }
    for (int i = 0; i < 2; i++)
        if (k->stop_pipe[i] >= 0)
            close(k->stop_pipe[i]);
    if (k->pidfd >= 0)
        close(k->pidfd);
}

/* ------------------------------------------------------------ gdbstub socket */

/* The effective uid of process @pid (its /proc status "Uid:" line). */
static bool process_uid(int pid, uid_t *uid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
    g_autofree char *text = NULL;
    if (pid <= 0 || !g_file_get_contents(path, &text, NULL, NULL))
        return false;
    const char *line = strstr(text, "\nUid:");
    unsigned long real, eff;
    if (line && sscanf(line + 1, "Uid: %lu %lu", &real, &eff) == 2) {
        *uid = (uid_t)eff;
        return true;
    }
    return false;
}

/* Whoever reaches the gdbstub has the guest's memory and registers: a unix
 * socket is used only when nobody but root, the caller and QEMU's user can
 * reach it (libvmi/sockdir.h has the rules).  QEMU's user is the user of
 * its process when the pid is known, else the socket's owner.  A tcp:
 * address is not checked (any local user can connect to it). */
static bool check_gdb_socket(kvm_data_t *k, const char *address, GError **error)
{
    sockdir_trust_t t;
    uid_t qemu = 0;

    if (g_str_has_prefix(address, "tcp:"))
        return true;
    bool known = process_uid(k->pid, &qemu);
    sockdir_trust_init(&t);
    sockdir_trust_add(&t, geteuid());
    if (known)
        sockdir_trust_add(&t, qemu);
    return sockdir_check_socket("gdbstub socket", address, &t, !known, error);
}

/* An earlier error on the gdbstub's stream (bytes that are not packets, a
 * reply that came after its timeout) leaves the client unusable: made
 * again here, before a use, so that a stub (or a peer posing as one) that
 * misbehaved once does not cost the registers and events for the rest of
 * the instance's life.  Only when nothing of ours is in the stub: QEMU drops
 * a client's breakpoints and watchpoints when it leaves, and the events
 * would be gone without a word.  The socket is checked again as at open
 * (it may have been replaced).  Not on the gdbstub access path, whose
 * memory reads have no other way; a failed reconnection leaves no gdbstub
 * (registers from QMP, events unsupported), said once. */
void kvm_gdb_revive(kvm_data_t *k)
{
    if (!k->gdb || gdb_client_usable(k->gdb) || k->path == KVM_PATH_GDBSTUB || k->ss_event ||
        (k->events && k->events->len > 0))
        return;
    g_autofree char *address = g_strdup(gdb_client_address(k->gdb));
    g_autoptr(GError) e = NULL;
    gdb_client_free(k->gdb);
    k->gdb = NULL;
    k->gdb_phys = false;
    if (check_gdb_socket(k, address, &e))
        k->gdb = gdb_client_connect(address, KVM_TIMEOUT_MS, true, &e);
    if (k->gdb)
        g_message("kvm: gdbstub %s: connected again after an earlier error", address);
    else
        g_message("kvm: gdbstub %s: not connected again after an earlier error: %s", address,
                  e ? e->message : "unknown error");
}

/* ------------------------------------------------------------ open/close */

#ifdef ENABLE_LIBVIRT
/* No QMP socket configured: the libvirt domain @name, if there is one,
 * gives QMP, QEMU's pid and, unless configured, the gdbstub's address
 * (@gdb_found).  Without one, a configured gdbstub alone will do. */
static bool open_libvirt(kvm_data_t *k, const char *name, GHashTable *config, char **gdb_found,
                         GError **error)
{
    g_autoptr(GError) why = NULL;
    k->lv = kvm_libvirt_open(name, config, &why);
    if (!k->lv) {
        if (vmi_config_get_str(config, "gdb")) {
            g_debug("kvm: '%s' through its gdbstub alone: %s", name, why->message);
            return true;
        }
        g_propagate_error(error, g_steal_pointer(&why));
        return false;
    }
    k->qmp = kvm_libvirt_qmp(k->lv, error);
    if (!k->qmp)
        return false;
    k->pid = kvm_libvirt_pid(k->lv, &why);
    if (!k->pid)
        g_debug("kvm: %s", why->message);
    g_clear_error(&why);
    if (!vmi_config_get_str(config, "gdb")) {
        *gdb_found = kvm_libvirt_gdb_address(k->lv, &why);
        if (why)
            g_debug("kvm: no gdbstub for '%s': %s", name, why->message);
    }
    g_debug("kvm: '%s' is libvirt domain '%s' (%s) at %s, QEMU pid %d, gdbstub %s", name,
            kvm_libvirt_name(k->lv), kvm_libvirt_uuid(k->lv), kvm_libvirt_uri(k->lv), k->pid,
            *gdb_found ? *gdb_found : "none");
    return true;
}
#endif

static void kvm_close(vmi_instance_t vmi)
{
    kvm_data_t *k = kvm_data(vmi);
    if (!k)
        return;
    stop_watcher(k);
    kvm_events_free(vmi);
    if (k->paused_by_us && k->qmp)
        qmp_cont(k->qmp, NULL);
    if (k->snap_mem)
        munmap(k->snap_mem, k->snap_size);
    if (k->shm_map)
        munmap(k->shm_map, k->shm_size);
    if (k->shm_fd >= 0)
        close(k->shm_fd);
    g_free(k->shm_file);
    if (k->gdb)
        gdb_client_free(k->gdb);
    if (k->qmp)
        qmp_free(k->qmp);
#ifdef ENABLE_LIBVIRT
    kvm_libvirt_free(k->lv);
#endif
    if (k->ranges)
        g_array_unref(k->ranges);
    g_free(k);
    vmi->driver_data = NULL;
}

static bool kvm_open(vmi_instance_t vmi, const char *name, GHashTable *config, GError **error)
{
    g_autoptr(GArray) mtree = NULL;
    g_autofree char *gdb_found = NULL;
    GError *why_shm = NULL, *why_process = NULL, *why_gdb = NULL;
    kvm_data_t *k = g_new0(kvm_data_t, 1);
    k->pidfd = k->stop_pipe[0] = k->stop_pipe[1] = -1;
    k->shm_fd = -1;
    vmi->driver_data = k;
    const char *qmp_path = vmi_config_get_str(config, "qmp");
    const char *gdb_path = vmi_config_get_str(config, "gdb");
    const char *shm = vmi_config_get_str(config, "shm");
    const char *force = vmi_config_get_str(config, "kvm_access");
    uint64_t pid = 0;

    /* Writes to the guest are on unless `writable = 0` (classic LibVMI
     * writes to live guests); off, every write is refused and the RAM file
     * is opened read-only. */
    uint64_t writable = 1;
    k->writable_set = vmi_config_get_num(config, "writable", &writable);
    k->writable = writable != 0;
    if (force && strcmp(force, "shm") && strcmp(force, "process") && strcmp(force, "gdbstub")) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "kvm_access = \"%s\": use \"shm\", \"process\" or \"gdbstub\"", force);
        goto fail;
    }
#ifdef ENABLE_LIBVIRT
    if (!qmp_path && !open_libvirt(k, name, config, &gdb_found, error))
        goto fail;
#else
    if (!qmp_path && !gdb_path) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "'%s': give the QMP socket ('qmp') and/or the gdbstub socket ('gdb') in its "
                    "configuration (this libvmi was built without libvirt)", name);
        goto fail;
    }
#endif
    if (qmp_path) {
        k->qmp = qmp_connect(qmp_path, KVM_TIMEOUT_MS, error);
        if (!k->qmp) {
            g_prefix_error(error, "QMP socket '%s': ", qmp_path);
            goto fail;
        }
        k->pid = qmp_peer_pid(k->qmp);
    }
    if (vmi_config_get_num(config, "pid", &pid))
        k->pid = (int)pid;
    if (gdb_path) {
        if (!check_gdb_socket(k, gdb_path, error))
            goto fail;
        /* QEMU stops the guest when a debugger connects: let it run on */
        k->gdb = gdb_client_connect(gdb_path, KVM_TIMEOUT_MS, true, error);
        if (!k->gdb) {
            g_prefix_error(error, "gdbstub '%s': ", gdb_path);
            goto fail;
        }
    } else if (gdb_found) {
        /* The domain XML's gdbstub is a bonus (registers by packet,
         * events): QMP already reaches the guest, so a stub that is busy
         * with another debugger costs only those.  One that others can
         * reach is a misconfiguration worth a message. */
        if (!check_gdb_socket(k, gdb_found, &why_gdb)) {
            g_message("kvm: the domain's gdbstub is not used: %s", why_gdb->message);
        } else {
            k->gdb = gdb_client_connect(gdb_found, KVM_TIMEOUT_MS, true, &why_gdb);
            if (!k->gdb)
                g_debug("kvm: the domain's gdbstub '%s' is not used: %s", gdb_found,
                        why_gdb->message);
        }
    }
    if (k->gdb)
        k->nvcpus = gdb_client_num_vcpus(k->gdb);
    if (k->qmp) {
        /* TCG runs translated copies of the guest's code: a write to the
         * RAM that QEMU does not see (the shared file, its process memory)
         * leaves those stale (a breakpoint written would never run) */
        g_autofree char *kvm = qmp_hmp(k->qmp, "info kvm", NULL);
        k->tcg = kvm && strstr(kvm, "disabled") != NULL;
    }

    if (k->qmp && !load_layout(k, &mtree, error))
        goto fail;

    bool chosen = false;
    if (k->qmp && (!force || strcmp(force, "shm") == 0)) {
        if (setup_shm(vmi, k, mtree, shm, &why_shm)) {
            k->path = KVM_PATH_SHM;
            chosen = true;
        }
    }
    if (!chosen && k->qmp && (!force || strcmp(force, "process") == 0)) {
        if (setup_process(vmi, k, &why_process)) {
            k->path = KVM_PATH_PROCESS;
            chosen = true;
        }
    }
    if (!chosen && k->gdb && (!force || strcmp(force, "gdbstub") == 0)) {
        if (!gdb_client_set_phys_mode(k->gdb, true, error))
            goto fail_why;
        if (!k->ranges) {
            /* no QMP: one range as large as the stub will answer for;
             * reads past the RAM fail cleanly */
            k->ranges = g_array_new(FALSE, TRUE, sizeof(kvm_range_t));
            uint64_t size = 0;
            vmi_config_get_num(config, "memsize", &size);
            kvm_range_t r = { .gpa = 0, .size = size ? size : (4ull << 30) };
            g_array_append_val(k->ranges, r);
        }
        k->path = KVM_PATH_GDBSTUB;
        chosen = true;
    }
    if (!chosen) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "no way to the memory of '%s'%s%s: shared RAM file: %s; process memory: %s; "
                    "gdbstub: %s", name, force ? " through " : "", force ? force : "",
                    why_shm ? why_shm->message : "not tried",
                    why_process ? why_process->message : "not tried",
                    k->gdb ? "not chosen" : why_gdb ? why_gdb->message
                                                    : "no 'gdb' socket configured");
        g_clear_error(&why_shm);
        g_clear_error(&why_process);
        g_clear_error(&why_gdb);
        goto fail;
    }
    g_clear_error(&why_shm);
    g_clear_error(&why_process);
    g_clear_error(&why_gdb);
    if (!k->nvcpus && k->qmp) {
        g_autoptr(JsonNode) cpus = qmp_execute(k->qmp, "query-cpus-fast", NULL, NULL);
        if (cpus && JSON_NODE_HOLDS_ARRAY(cpus))
            k->nvcpus = json_array_get_length(json_node_get_array(cpus));
    }
    start_watcher(vmi, k);
    g_debug("kvm: '%s' through %s (QEMU pid %d, %u vCPUs, %u RAM ranges)", name,
            path_names[k->path], k->pid, k->nvcpus, k->ranges->len);
    return true;

fail_why:
    g_clear_error(&why_shm);
    g_clear_error(&why_process);
fail:
    g_clear_error(&why_gdb);
    kvm_close(vmi);
    return false;
}

/* ------------------------------------------------------------ memory */

static uint8_t *kvm_map(vmi_instance_t vmi, addr_t pa, size_t want, size_t *avail, bool write)
{
    kvm_data_t *k = kvm_data(vmi);
    kvm_range_t *r = find_range(k, pa);
    if (!r)
        return NULL;
    uint8_t *base = k->snapshot ? r->snap : r->host;
    if (!base)
        return NULL;
    if (write && k->snapshot) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "a shm-snapshot exists: writes would go nowhere (destroy it first)");
        return NULL;
    }
    if (write && k->tcg && k->gdb)
        return NULL;    /* through QEMU (kvm_write), which drops stale translations */
    if (write && !k->shm_writable) {
        if (!k->writable) {
            vmi_errorc(vmi, VMI_ERR_PERMISSION, "writes to '%s' are off ('writable = 0' in its "
                       "configuration)", vmi->name);
            return NULL;
        }
        /* the first write: the mapping becomes writable now */
        if (mprotect(k->shm_map, k->shm_size, PROT_READ | PROT_WRITE) < 0) {
            int e = errno;
            vmi_errorc(vmi, e == EACCES || e == EPERM ? VMI_ERR_PERMISSION : VMI_ERR_IO,
                       "cannot make the guest's RAM file mapping writable: %s", g_strerror(e));
            return NULL;
        }
        k->shm_writable = true;
    }
    *avail = r->size - (pa - r->gpa);
    return base + (pa - r->gpa);
}

static size_t process_rw(vmi_instance_t vmi, kvm_data_t *k, addr_t pa, void *buf, size_t count, bool write)
{
    size_t done = 0;
    while (done < count) {
        kvm_range_t *r = find_range(k, pa + done);
        if (!r || !r->hva)
            break;
        size_t off = pa + done - r->gpa;
        size_t n = MIN(count - done, r->size - off);
        struct iovec local = { (uint8_t *)buf + done, n };
        struct iovec remote = { (void *)(uintptr_t)(r->hva + off), n };
        ssize_t got = write ? process_vm_writev(k->pid, &local, 1, &remote, 1, 0)
                            : process_vm_readv(k->pid, &local, 1, &remote, 1, 0);
        if (got <= 0) {
            /* QEMU exited under the call: say so now, before the watcher
             * thread does, so the caller hears "gone", not a failed walk */
            if (got < 0 && errno == ESRCH)
                vmi_set_gone(vmi, "the guest is gone: its QEMU exited during the call");
            break;
        }
        done += got;
    }
    return done;
}

static size_t gdb_rw(vmi_instance_t vmi, kvm_data_t *k, addr_t pa, void *buf, size_t count,
                     bool write)
{
    GError *error = NULL;
    /* only as far as RAM goes: the stub answers E14 beyond */
    size_t done = 0;
    while (done < count) {
        kvm_range_t *r = find_range(k, pa + done);
        if (!r)
            break;
        size_t n = MIN(count - done, r->size - (pa + done - r->gpa));
        bool ok = write ? gdb_client_write_mem(k->gdb, pa + done, (uint8_t *)buf + done, n, &error)
                        : gdb_client_read_mem(k->gdb, pa + done, (uint8_t *)buf + done, n, &error);
        if (!ok) {
            if (k->pid > 0 && kill(k->pid, 0) < 0 && errno == ESRCH)
                vmi_set_gone(vmi, "the guest is gone: its QEMU exited during the call");
            if (!vmi_check_gone(vmi))
                vmi_set_error(vmi, error);
            else
                g_clear_error(&error);
            break;
        }
        done += n;
    }
    return done;
}

/* The copy path: snapshot and shm ranges by memcpy, else process memory or
 * the gdbstub. */
static size_t kvm_read(vmi_instance_t vmi, addr_t pa, void *buf, size_t count)
{
    kvm_data_t *k = kvm_data(vmi);
    size_t done = 0;
    while (done < count) {
        size_t avail;
        uint8_t *p = kvm_map(vmi, pa + done, count - done, &avail, false);
        if (!p)
            break;
        size_t n = MIN(avail, count - done);
        size_t got = vmi_guarded_copy_part((uint8_t *)buf + done, p, n);
        done += got;
        if (got < n) {
            vmi_errorc(vmi, VMI_ERR_IO, "reading guest-physical 0x%" G_GINT64_MODIFIER "x failed: "
                       "the guest's RAM file '%s' no longer covers it (it shrank under the "
                       "mapping)", (guint64)(pa + done), k->shm_file ? k->shm_file : "?");
            return done;
        }
    }
    if (done == count || k->snapshot)
        return done;
    if (k->path == KVM_PATH_PROCESS)
        return done + process_rw(vmi, k, pa + done, (uint8_t *)buf + done, count - done, false);
    if (k->path == KVM_PATH_GDBSTUB)
        return done + gdb_rw(vmi, k, pa + done, (uint8_t *)buf + done, count - done, false);
    return done;
}

static size_t kvm_write(vmi_instance_t vmi, addr_t pa, const void *buf, size_t count)
{
    kvm_data_t *k = kvm_data(vmi);
    if (!k->writable) {
        vmi_errorc(vmi, VMI_ERR_PERMISSION, "writes to '%s' are off ('writable = 0' in its "
                   "configuration)", vmi->name);
        return 0;
    }
    if (k->snapshot) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "a shm-snapshot exists: writes would go nowhere (destroy it first)");
        return 0;
    }
    if ((k->tcg && k->gdb) || k->path == KVM_PATH_GDBSTUB) {
        GError *error = NULL;
        if (k->path != KVM_PATH_GDBSTUB && !k->gdb_phys &&
            !gdb_client_set_phys_mode(k->gdb, true, &error)) {
            vmi_set_error(vmi, error);
            return 0;
        }
        k->gdb_phys = true;
        return gdb_rw(vmi, k, pa, (void *)buf, count, true);
    }
    if (k->path == KVM_PATH_PROCESS)
        return process_rw(vmi, k, pa, (void *)buf, count, true);
    return 0;
}

static uint64_t kvm_memsize(vmi_instance_t vmi)
{
    kvm_data_t *k = kvm_data(vmi);
    const kvm_range_t *last = &g_array_index(k->ranges, kvm_range_t, k->ranges->len - 1);
    return last->gpa + last->size;
}

static bool kvm_next_data(vmi_instance_t vmi, addr_t pa, addr_t *start, addr_t *end)
{
    kvm_data_t *k = kvm_data(vmi);
    for (guint i = 0; i < k->ranges->len; i++) {
        const kvm_range_t *r = &g_array_index(k->ranges, kvm_range_t, i);
        if (r->size && pa - r->gpa < r->size) {
            *start = pa;
            *end = r->gpa + r->size;
            return true;
        }
        if (r->gpa > pa && r->size) {
            *start = r->gpa;
            *end = r->gpa + r->size;
            return true;
        }
    }
    return false;
}

static uint64_t kvm_ram_size(vmi_instance_t vmi)
{
    kvm_data_t *k = kvm_data(vmi);
    uint64_t total = 0;
    for (guint i = 0; i < k->ranges->len; i++)
        total += g_array_index(k->ranges, kvm_range_t, i).size;
    return total;
}

static const char *kvm_access_path(vmi_instance_t vmi)
{
    kvm_data_t *k = kvm_data(vmi);
    return k->snapshot ? "shm-snapshot" : path_names[k->path];
}

/* The RAM file is a public fact only when memory is read through it. */
static const char *kvm_ram_file(vmi_instance_t vmi)
{
    kvm_data_t *k = kvm_data(vmi);
    return k->path == KVM_PATH_SHM ? k->shm_file : NULL;
}

/* The RAM file as validated at open: a new read-only descriptor of it, its
 * device and inode. */
static int kvm_ram_file_fd(vmi_instance_t vmi, dev_t *dev, ino_t *ino, GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    if (k->path != KVM_PATH_SHM || !k->shm_map) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "'%s' is not read through a shared "
                    "RAM file (access path %s)", vmi->name, kvm_access_path(vmi));
        return -1;
    }
    if (k->shm_fd < 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "no read-only descriptor of the RAM file "
                    "'%s' could be made when it was opened (/proc/self/fd)", k->shm_file);
        return -1;
    }
    int fd = fcntl(k->shm_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot duplicate the RAM file's "
                    "descriptor: %s", g_strerror(e));
        return -1;
    }
    if (dev)
        *dev = k->shm_dev;
    if (ino)
        *ino = k->shm_ino;
    return fd;
}

/* ------------------------------------------------------------ registers */

/* gdb target-description names of the registers, by reg_t. */
static const char *gdb_reg_name(reg_t reg, bool lm)
{
    switch (reg) {
    case RAX: return lm ? "rax" : "eax";
    case RBX: return lm ? "rbx" : "ebx";
    case RCX: return lm ? "rcx" : "ecx";
    case RDX: return lm ? "rdx" : "edx";
    case RBP: return lm ? "rbp" : "ebp";
    case RSI: return lm ? "rsi" : "esi";
    case RDI: return lm ? "rdi" : "edi";
    case RSP: return lm ? "rsp" : "esp";
    case R8: return "r8";
    case R9: return "r9";
    case R10: return "r10";
    case R11: return "r11";
    case R12: return "r12";
    case R13: return "r13";
    case R14: return "r14";
    case R15: return "r15";
    case RIP: return lm ? "rip" : "eip";
    case RFLAGS: return "eflags";
    case CR0: return "cr0";
    case CR2: return "cr2";
    case CR3: return "cr3";
    case CR4: return "cr4";
    case CS_SEL: return "cs";
    case DS_SEL: return "ds";
    case ES_SEL: return "es";
    case FS_SEL: return "fs";
    case GS_SEL: return "gs";
    case SS_SEL: return "ss";
    case FS_BASE: return "fs_base";
    case GS_BASE: return "gs_base";
    case SHADOW_GS: return "k_gs_base";
    case MSR_EFER: return "efer";
    default: return NULL;
    }
}

static bool qmp_reg(const qmp_regs_t *q, reg_t reg, reg_t *v)
{
    /* QEMU's info registers segment order: es cs ss ds fs gs ldt tr */
    static const reg_t sel[] = { ES_SEL, CS_SEL, SS_SEL, DS_SEL, FS_SEL, GS_SEL, LDTR_SEL, TR_SEL };
    static const reg_t base[] = { ES_BASE, CS_BASE, SS_BASE, DS_BASE, FS_BASE, GS_BASE, LDTR_BASE, TR_BASE };
    static const reg_t lim[] = { ES_LIMIT, CS_LIMIT, SS_LIMIT, DS_LIMIT, FS_LIMIT, GS_LIMIT, LDTR_LIMIT, TR_LIMIT };
    static const reg_t ar[] = { ES_ARBYTES, CS_ARBYTES, SS_ARBYTES, DS_ARBYTES, FS_ARBYTES, GS_ARBYTES, LDTR_ARBYTES, TR_ARBYTES };
    switch (reg) {
    case RAX: *v = q->rax; return true;
    case RBX: *v = q->rbx; return true;
    case RCX: *v = q->rcx; return true;
    case RDX: *v = q->rdx; return true;
    case RBP: *v = q->rbp; return true;
    case RSI: *v = q->rsi; return true;
    case RDI: *v = q->rdi; return true;
    case RSP: *v = q->rsp; return true;
    case R8: *v = q->r8; return true;
    case R9: *v = q->r9; return true;
    case R10: *v = q->r10; return true;
    case R11: *v = q->r11; return true;
    case R12: *v = q->r12; return true;
    case R13: *v = q->r13; return true;
    case R14: *v = q->r14; return true;
    case R15: *v = q->r15; return true;
    case RIP: *v = q->rip; return true;
    case RFLAGS: *v = q->rflags; return true;
    case CR0: *v = q->cr0; return true;
    case CR2: *v = q->cr2; return true;
    case CR3: *v = q->cr3; return true;
    case CR4: *v = q->cr4; return true;
    case MSR_EFER: *v = q->efer; return true;
    case DR0: case DR1: case DR2: case DR3: *v = q->dr[reg - DR0]; return true;
    case DR6: *v = q->dr[6]; return true;
    case DR7: *v = q->dr[7]; return true;
    case GDTR_BASE: *v = q->gdt_base; return true;
    case IDTR_BASE: *v = q->idt_base; return true;
    case GDTR_LIMIT: *v = q->gdt_limit; return true;
    case IDTR_LIMIT: *v = q->idt_limit; return true;
    default: break;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(sel); i++) {
        if (reg == sel[i]) { *v = q->seg[i].selector; return true; }
        if (reg == base[i]) { *v = q->seg[i].base; return true; }
        if (reg == lim[i]) { *v = q->seg[i].limit; return true; }
        if (reg == ar[i]) { *v = q->seg[i].flags; return true; }
    }
    return false;
}

static bool qmp_vcpu_regs(kvm_data_t *k, unsigned long vcpu, qmp_regs_t *regs, GError **error)
{
    g_autofree char *text = qmp_hmp(k->qmp, "info registers -a", error);
    if (!text)
        return false;
    g_autoptr(GPtrArray) cpus = qmp_split_cpus(text);
    if (vcpu >= cpus->len) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "vCPU %lu does not exist (the guest has %u)",
                    vcpu, cpus->len);
        return false;
    }
    return qmp_parse_registers(cpus->pdata[vcpu], regs, error);
}

/* After a failed exchange with QEMU (QMP through libvirt or our own, the
 * gdbstub): did QEMU exit?  A monitor that answers "end of file" or a
 * broken pipe belongs to a QEMU that is exiting: its pidfd turns readable
 * within @wait_ms.  Then the failure is the gone kind (the caller hears
 * DomainGone, not an I/O error), and every later access fails at once. */
static void kvm_note_failure(vmi_instance_t vmi, kvm_data_t *k, GError **error, int wait_ms)
{
    bool exited = false;
    if (k->pidfd >= 0) {
        struct pollfd p = { .fd = k->pidfd, .events = POLLIN };
        int n;
        while ((n = poll(&p, 1, wait_ms)) < 0 && errno == EINTR)
            ;
        exited = n > 0;
    } else if (k->pid > 0) {
        exited = kill(k->pid, 0) < 0 && errno == ESRCH;
    }
    if (!exited)
        return;
    vmi_set_gone(vmi, "the guest is gone: its QEMU exited during the call");
    if (error && *error) {
        g_autofree char *was = g_strdup((*error)->message);
        g_clear_error(error);
        g_set_error(error, VMI_ERROR, VMI_ERROR_GONE, "the guest is gone: its QEMU exited during "
                    "the call (%s)", was);
    }
}

static bool kvm_get_vcpureg(vmi_instance_t vmi, reg_t *value, reg_t reg, unsigned long vcpu,
                            GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    kvm_gdb_revive(k);
    if (k->gdb) {
        bool lm = gdb_client_has_reg(k->gdb, "rax");
        const char *name = gdb_reg_name(reg, lm);
        if (name && gdb_client_has_reg(k->gdb, name)) {
            uint64_t v;
            if (!gdb_client_read_reg(k->gdb, vcpu, name, &v, error)) {
                kvm_note_failure(vmi, k, error, 500);
                return false;
            }
            *value = v;
            return true;
        }
    }
    if (k->qmp) {
        qmp_regs_t regs;
        if (!qmp_vcpu_regs(k, vcpu, &regs, error)) {
            /* a missing vCPU is the caller's value, not a failure */
            if (!(error && *error && (*error)->domain == VMI_ERROR &&
                  (*error)->code == VMI_ERROR_NOT_FOUND))
                kvm_note_failure(vmi, k, error, 500);
            return false;
        }
        if (qmp_reg(&regs, reg, value))
            return true;
    }
    g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                "register %d cannot be read from this guest (neither the gdbstub nor QMP's info "
                "registers has it)", (int)reg);
    return false;
}

static bool kvm_set_vcpureg(vmi_instance_t vmi, reg_t value, reg_t reg, unsigned long vcpu,
                            GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    kvm_gdb_revive(k);
    if (!k->gdb) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "setting registers needs the gdbstub ('gdb' in the configuration)");
        return false;
    }
    const char *name = gdb_reg_name(reg, gdb_client_has_reg(k->gdb, "rax"));
    if (!name || !gdb_client_has_reg(k->gdb, name)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "register %d cannot be written through the gdbstub", (int)reg);
        return false;
    }
    return gdb_client_write_reg(k->gdb, vcpu, name, value, error);
}

static bool kvm_get_lma(vmi_instance_t vmi, bool *lma)
{
    reg_t efer;
    if (!kvm_get_vcpureg(vmi, &efer, MSR_EFER, 0, NULL))
        return false;
    *lma = (efer >> 10) & 1;
    return true;
}

static unsigned kvm_num_vcpus(vmi_instance_t vmi)
{
    return kvm_data(vmi)->nvcpus;
}

/* ------------------------------------------------------------ run control */

static void kvm_hold(vmi_instance_t vmi)
{
    kvm_data_t *k = kvm_data(vmi);
    if (k->path == KVM_PATH_GDBSTUB && !k->snapshot && k->gdb)
        gdb_client_hold(k->gdb, NULL);
}

static void kvm_release(vmi_instance_t vmi)
{
    kvm_data_t *k = kvm_data(vmi);
    if (k->path == KVM_PATH_GDBSTUB && !k->snapshot && k->gdb)
        gdb_client_release(k->gdb, NULL);
}

static bool kvm_pause(vmi_instance_t vmi, GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    if (k->qmp) {
        bool running;
        if (!qmp_query_running(k->qmp, &running, error))
            return false;
        if (!running)
            return true;    /* not ours to resume later */
        if (!qmp_stop(k->qmp, error))
            return false;
        k->paused_by_us = true;
        return true;
    }
    if (!gdb_client_is_running(k->gdb))
        return true;
    if (!gdb_client_stop(k->gdb, error))
        return false;
    k->paused_by_us = true;
    return true;
}

static bool kvm_is_running(vmi_instance_t vmi, bool *running, GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    if (k->qmp)
        return qmp_query_running(k->qmp, running, error);
    *running = gdb_client_is_running(k->gdb);
    return true;
}

static bool kvm_resume(vmi_instance_t vmi, GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    if (!k->paused_by_us)
        return true;        /* resume restores the state before the pause */
    k->paused_by_us = false;
    if (k->qmp)
        return qmp_cont(k->qmp, error);
    return gdb_client_cont(k->gdb, error);
}

/* ------------------------------------------------------------ snapshots */

/* Copying guest RAM is done by two threads: one core cannot both fault in
 * fresh pages and keep up with the memory bus.  The copy's memory, and our
 * mapping of the guest's pages, are faulted in before the guest is paused,
 * so the pause lasts only as long as the copy itself. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define SNAP_THREADS 2

typedef struct {
    uint8_t *dst;
    const uint8_t *src;     /* NULL: only fault in dst */
    size_t len;
    const uint8_t *prefault;    /* with src NULL: also map these source pages */
    bool faulted;               /* the RAM file shrank under the copy */
} snap_job_t;

static gpointer snap_worker(gpointer data)
{
    snap_job_t *j = data;
    if (!j->src) {
        if (madvise(j->dst, j->len, MADV_POPULATE_WRITE) < 0)
            for (size_t o = 0; o < j->len; o += VMI_PAGE_SIZE)
                j->dst[o] = 0;
        /* the guest's pages, mapped now: the copy then takes no faults
         * (a failure only costs time) */
        if (j->prefault)
            madvise((void *)((uintptr_t)j->prefault & ~(uintptr_t)(VMI_PAGE_SIZE - 1)), j->len,
                    MADV_POPULATE_READ);
    } else {
        j->faulted = !vmi_guarded_copy(j->dst, j->src, j->len);
    }
    return NULL;
}

/* False when the source faulted (the RAM file shrank). */
static bool snap_parallel(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *prefault)
{
    GThread *threads[SNAP_THREADS];
    snap_job_t jobs[SNAP_THREADS];
    size_t per = ((len / SNAP_THREADS) + VMI_PAGE_SIZE - 1) & VMI_PAGE_MASK;
    for (int i = 0; i < SNAP_THREADS; i++) {
        size_t off = MIN(len, i * per);
        jobs[i] = (snap_job_t){ dst + off, src ? src + off : NULL, MIN(per, len - off),
                                prefault ? prefault + off : NULL, false };
        threads[i] = i ? g_thread_new("vmi-snapshot", snap_worker, &jobs[i]) : NULL;
    }
    snap_worker(&jobs[0]);
    bool ok = !jobs[0].faulted;
    for (int i = 1; i < SNAP_THREADS; i++) {
        g_thread_join(threads[i]);
        ok = ok && !jobs[i].faulted;
    }
    return ok;
}

static bool kvm_snapshot_create(vmi_instance_t vmi, GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    if (k->snapshot)
        return true;
    size_t total = 0;
    for (guint i = 0; i < k->ranges->len; i++)
        total += g_array_index(k->ranges, kvm_range_t, i).size;
    uint8_t *mem = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        int e = errno;
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot allocate %zu MiB for a snapshot: %s",
                    total >> 20, g_strerror(e));
        return false;
    }
    size_t at = 0;
    for (guint i = 0; i < k->ranges->len; i++) {
        kvm_range_t *r = &g_array_index(k->ranges, kvm_range_t, i);
        (void)snap_parallel(mem + at, NULL, r->size, r->host);
        at += r->size;
    }
    gint64 t0 = g_get_monotonic_time();
    if (!kvm_pause(vmi, error)) {
        munmap(mem, total);
        return false;
    }
    bool paused = k->paused_by_us;
    size_t off = 0;
    bool ok = true;
    for (guint i = 0; i < k->ranges->len && ok; i++) {
        kvm_range_t *r = &g_array_index(k->ranges, kvm_range_t, i);
        r->snap = mem + off;
        if (r->host)
            ok = snap_parallel(r->snap, r->host, r->size, NULL);
        else
            ok = kvm_read(vmi, r->gpa, r->snap, r->size) == r->size;
        off += r->size;
    }
    if (paused)
        kvm_resume(vmi, NULL);
    k->snap_pause = (g_get_monotonic_time() - t0) / 1e6;
    if (!ok) {
        for (guint i = 0; i < k->ranges->len; i++)
            g_array_index(k->ranges, kvm_range_t, i).snap = NULL;
        munmap(mem, total);
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "copying the guest's RAM for a snapshot failed%s",
                    k->path == KVM_PATH_SHM ? " (the RAM file shrank under the copy?)" : "");
        return false;
    }
    k->snap_mem = mem;
    k->snap_size = total;
    k->snapshot = true;
    return true;
}

static bool kvm_snapshot_destroy(vmi_instance_t vmi, GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    if (!k->snapshot) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "there is no shm-snapshot to destroy");
        return false;
    }
    for (guint i = 0; i < k->ranges->len; i++)
        g_array_index(k->ranges, kvm_range_t, i).snap = NULL;
    munmap(k->snap_mem, k->snap_size);
    k->snap_mem = NULL;
    k->snapshot = false;
    return true;
}

const vmi_driver_ops_t kvm_driver_ops = {
    .name = "kvm",
    .mode = VMI_KVM,
    .probe = kvm_probe,
    .open = kvm_open,
    .close = kvm_close,
    .map = kvm_map,
    .read = kvm_read,
    .write = kvm_write,
    .memsize = kvm_memsize,
    .next_data = kvm_next_data,
    .ram_size = kvm_ram_size,
    .access_path = kvm_access_path,
    .ram_file = kvm_ram_file,
    .ram_file_fd = kvm_ram_file_fd,
    .num_vcpus = kvm_num_vcpus,
    .get_vcpureg = kvm_get_vcpureg,
    .set_vcpureg = kvm_set_vcpureg,
    .get_lma = kvm_get_lma,
    .hold = kvm_hold,
    .release = kvm_release,
    .pause = kvm_pause,
    .is_running = kvm_is_running,
    .resume = kvm_resume,
    .shm_snapshot_create = kvm_snapshot_create,
    .shm_snapshot_destroy = kvm_snapshot_destroy,
    .register_event = kvm_register_event,
    .clear_event = kvm_clear_event,
    .events_listen = kvm_events_listen,
    .singlestep_vcpu = kvm_singlestep_vcpu,
};
