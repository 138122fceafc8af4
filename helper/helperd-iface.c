/*
 * helperd-iface.c - vmi-helperd: the org.libvmi.helper1.Domain interface:
 * its method table, the checks of a call on the main loop, and the method
 * handlers, which run on the domain's worker (helperd-worker.c).
 *
 * A call goes: authorization (helperd-auth.c); the object (a stale path is
 * DomainGone); the table entry, whose argument signature is checked once,
 * here; the gates its flags name (control=true, writes=true, per domain);
 * the entry's own checks that need no guest (lengths, alignment, modes);
 * then the worker, or inline on this thread for a constant-time read.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gunixfdlist.h>

#include "helperd-worker.h"
#include "libvmi/libvmi-helper.h"

static gboolean parse_enable_mode(const char *text, vmi_domxml_mode_t *mode)
{
    if (strcmp(text, "process") == 0) {
        *mode = 0;
        return TRUE;
    }
    return vmi_domxml_mode_from_string(text, mode);
}

/* ============================================================ checks (main loop) */

/* The shared checks' errors are HELPERD_ERROR here (the main loop replies
 * with them as they are). */
static gboolean as_helperd_error(GError **error)
{
    GError *e = *error;
    e->code = e->code == VMI_DOMOPS_ERROR_TOO_LARGE ? HELPERD_ERROR_TOO_LARGE
                                                     : HELPERD_ERROR_INVALID_ARGUMENT;
    e->domain = HELPERD_ERROR;
    return FALSE;
}

static gboolean check_len(HelperdDomain *d, const HelperdConfig *cfg, guint64 len,
                          const char *what, GError **error)
{
    const char *hint = strcmp(what, "a read") == 0 ? "; use OpenMemory for bulk reads" : "";
    return vmi_domops_check_len(d->name, len, cfg->read_limit, what, hint, error) ||
           as_helperd_error(error);
}

static gboolean check_symbol(HelperdDomain *d, const char *name, GError **error)
{
    return vmi_domops_check_symbol(d->name, name, error) || as_helperd_error(error);
}

static gboolean c_read_physical(HelperdDomain *d, const HelperdConfig *cfg, GVariant *params,
                                GError **error)
{
    guint32 len;
    g_variant_get(params, "(tu)", NULL, &len);
    return check_len(d, cfg, len, "a read", error);
}

static gboolean c_read_virtual(HelperdDomain *d, const HelperdConfig *cfg, GVariant *params,
                               GError **error)
{
    guint32 len;
    g_variant_get(params, "(tiu)", NULL, NULL, &len);
    return check_len(d, cfg, len, "a read", error);
}

static gboolean c_read_symbol(HelperdDomain *d, const HelperdConfig *cfg, GVariant *params,
                              GError **error)
{
    const char *sym;
    guint32 len;
    g_variant_get(params, "(&su)", &sym, &len);
    return check_len(d, cfg, len, "a read", error) && check_symbol(d, sym, error);
}

static gboolean c_lookup_symbol(HelperdDomain *d, const HelperdConfig *cfg, GVariant *params,
                                GError **error)
{
    const char *sym;
    g_variant_get(params, "(&s)", &sym);
    return check_symbol(d, sym, error);
}

static gboolean c_write(HelperdDomain *d, const HelperdConfig *cfg, GVariant *params,
                        GError **error)
{
    /* the data is the last argument of WritePhysical and WriteVirtual */
    g_autoptr(GVariant) data = g_variant_get_child_value(params, g_variant_n_children(params) - 1);
    return check_len(d, cfg, g_variant_n_children(data), "a write", error);
}

static gboolean c_watch(HelperdDomain *d, const HelperdConfig *cfg, GVariant *params,
                        GError **error)
{
    guint64 addr;
    const char *access;
    g_variant_get(params, "(t&s)", &addr, &access);
    if (strcmp(access, "r") && strcmp(access, "w") && strcmp(access, "rw") && strcmp(access, "x")) {
        g_set_error(error, HELPERD_ERROR, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': access "
                    "'%.16s' is unknown: use r, w, rw or x.", d->name, access);
        return FALSE;
    }
    if (addr & 7) {
        g_set_error(error, HELPERD_ERROR, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': the "
                    "address 0x%" G_GINT64_MODIFIER "x is not aligned to 8 bytes.", d->name, addr);
        return FALSE;
    }
    return TRUE;
}

static gboolean c_snapshot(HelperdDomain *d, const HelperdConfig *cfg, GVariant *params,
                           GError **error)
{
    const char *file;
    g_variant_get(params, "(&s)", &file);
    if (g_path_is_absolute(file))
        return TRUE;
    g_set_error(error, HELPERD_ERROR, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': the path "
                "'%.256s' is not absolute.", d->name, file);
    return FALSE;
}

static gboolean c_enable(HelperdDomain *d, const HelperdConfig *cfg, GVariant *params,
                         GError **error)
{
    const char *mode;
    vmi_domxml_mode_t m;
    g_variant_get(params, "(&s)", &mode);
    if (parse_enable_mode(mode, &m))
        return TRUE;
    g_set_error(error, HELPERD_ERROR, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': mode "
                "'%.32s' is unknown: use shm, gdbstub, both or process.", d->name, mode);
    return FALSE;
}

/* The rule of HELPERD_METHOD_INLINE (helperd-worker.h): a pid walks the
 * guest's task list (a hostile guest's may hold a million entries): only
 * the kernel's (pid 0) may be served inline; and a read is inline only up
 * to HELPERD_INLINE_MAX_READ (a bigger copy goes to the worker). */
static HelperdMethodFlags f_pid_second(GVariant *params, HelperdMethodFlags flags)
{
    gint32 pid;
    g_variant_get_child(params, 1, "i", &pid);
    return pid == 0 ? flags : flags & ~HELPERD_METHOD_INLINE;
}

static HelperdMethodFlags f_read_physical(GVariant *params, HelperdMethodFlags flags)
{
    guint32 size;
    g_variant_get_child(params, 1, "u", &size);
    return size <= HELPERD_INLINE_MAX_READ ? flags : flags & ~HELPERD_METHOD_INLINE;
}

static HelperdMethodFlags f_read_virtual(GVariant *params, HelperdMethodFlags flags)
{
    guint32 size;
    g_variant_get_child(params, 2, "u", &size);
    flags = f_pid_second(params, flags);
    return size <= HELPERD_INLINE_MAX_READ ? flags : flags & ~HELPERD_METHOD_INLINE;
}

/* An execute watch writes INT3 into the guest's code. */
static HelperdMethodFlags f_watch(GVariant *params, HelperdMethodFlags flags)
{
    const char *access;
    g_variant_get(params, "(t&s)", NULL, &access);
    return strcmp(access, "x") == 0 ? flags | HELPERD_METHOD_CONTROL : flags;
}

/* ============================================================ handlers (worker) */

/* Replies with the shared operation's answer, or its error. */
static void reply_op(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *reply, GError *error)
{
    if (reply)
        g_dbus_method_invocation_return_value(inv, reply);
    else
        helperd_worker_fail_op(w, inv, error);
    g_clear_error(&error);
}

static void m_read_physical(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 addr;
    guint32 len;
    GError *e = NULL;
    g_variant_get(params, "(tu)", &addr, &len);
    GVariant *r = vmi_domops_read_physical(w->vmi, w->name, addr, len, &e);
    reply_op(w, inv, r, e);
}

static void m_read_virtual(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 addr;
    gint32 pid;
    guint32 len;
    GError *e = NULL;
    g_variant_get(params, "(tiu)", &addr, &pid, &len);
    GVariant *r = vmi_domops_read_virtual(w->vmi, w->name, addr, pid, len, &e);
    reply_op(w, inv, r, e);
}

static void m_read_symbol(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    const char *name;
    guint32 len;
    GError *e = NULL;
    g_variant_get(params, "(&su)", &name, &len);
    GVariant *r = vmi_domops_read_symbol(w->vmi, w->name, name, len, &e);
    reply_op(w, inv, r, e);
}

static void m_lookup_symbol(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    const char *name;
    GError *e = NULL;
    g_variant_get(params, "(&s)", &name);
    GVariant *r = vmi_domops_lookup_symbol(w->vmi, w->name, name, &e);
    reply_op(w, inv, r, e);
}

static void m_translate_kernel(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 va;
    GError *e = NULL;
    g_variant_get(params, "(t)", &va);
    GVariant *r = vmi_domops_translate(w->vmi, w->name, va, 0, &e);
    reply_op(w, inv, r, e);
}

static void m_translate_user(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 va;
    gint32 pid;
    GError *e = NULL;
    g_variant_get(params, "(ti)", &va, &pid);
    GVariant *r = vmi_domops_translate(w->vmi, w->name, va, pid, &e);
    reply_op(w, inv, r, e);
}

static void m_list_processes(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    GError *e = NULL;
    GVariant *r = vmi_domops_list_processes(w->vmi, w->name, &e);
    reply_op(w, inv, r, e);
}

static void m_get_registers(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint32 vcpu;
    GError *e = NULL;
    g_variant_get(params, "(u)", &vcpu);
    GVariant *r = vmi_domops_get_registers(w->vmi, w->name, vcpu, &e);
    reply_op(w, inv, r, e);
}

/* A Xen domain: through libvmi's xen driver (xc_domain_pause), which needs
 * the domain's instance. */
static void run_control_xen(HelperdWorker *w, GDBusMethodInvocation *inv, gboolean pause)
{
    if (!w->vmi) {
        helperd_return_error(inv, HELPERD_ERROR_NOT_INTROSPECTABLE,
                             "Domain '%s': %s needs the Xen domain opened, and it is not: %s",
                             w->name, pause ? "Pause" : "Resume",
                             w->reason ? w->reason : "libvmi is being opened on it.");
        return;
    }
    gboolean paused = w->paused_by != NULL;
    if (paused != pause &&
        (pause ? vmi_pause_vm(w->vmi) : vmi_resume_vm(w->vmi)) != VMI_SUCCESS) {
        helperd_worker_fail(w, inv, helperd_worker_vmi_error(w, FALSE), "Domain '%s': %s failed: %s.",
                            w->name, pause ? "pausing" : "resuming", vmi_get_last_error(w->vmi));
        return;
    }
    if (!pause)
        g_clear_pointer(&w->paused_by, g_free);
    else if (!paused)
        w->paused_by = g_strdup(g_dbus_method_invocation_get_sender(inv));
    helperd_log("domain %s %s by %s", w->name, pause ? "paused" : "resumed",
                g_dbus_method_invocation_get_sender(inv));
    helperd_worker_state(w, pause ? "paused" : "running");
    g_dbus_method_invocation_return_value(inv, NULL);
}

static void run_control(HelperdWorker *w, GDBusMethodInvocation *inv, gboolean pause)
{
    if (w->xen) {
        run_control_xen(w, inv, pause);
        return;
    }
    virDomainPtr dom = helperd_worker_dom(w);
    int state = VIR_DOMAIN_NOSTATE;
    int rc = dom ? virDomainGetState(dom, &state, NULL, 0) : -1;
    gboolean changed = FALSE;
    if (rc == 0) {
        gboolean paused = state == VIR_DOMAIN_PAUSED;
        if (paused == pause)
            rc = 0;
        else
            rc = pause ? virDomainSuspend(dom) : virDomainResume(dom);
        changed = rc == 0 && paused != pause;
    }
    if (rc == 0 && !pause)
        g_clear_pointer(&w->paused_by, g_free);
    /* a domain paused by someone else (libvirt, an admin) is not ours to
     * resume when this caller leaves */
    if (changed && pause) {
        g_free(w->paused_by);
        w->paused_by = g_strdup(g_dbus_method_invocation_get_sender(inv));
    }
    if (rc < 0) {
        g_autofree char *err = g_strdup(dom ? helperd_virt_error() : "no libvirt connection");
        HelperdError code = dom ? helperd_error_from_virt(HELPERD_ERROR_FAILED)
                                : HELPERD_ERROR_FAILED;
        helperd_worker_fail(w, inv, code, "Domain '%s': %s failed: %s.", w->name,
                            pause ? "pausing" : "resuming", err);
    } else {
        helperd_log("domain %s %s by %s", w->name, pause ? "paused" : "resumed",
                    g_dbus_method_invocation_get_sender(inv));
        /* State says so before the caller hears back (libvirt's event
         * may come later) */
        helperd_worker_state(w, pause ? "paused" : "running");
        g_dbus_method_invocation_return_value(inv, NULL);
    }
    if (dom)
        virDomainFree(dom);
}

static void m_pause(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    run_control(w, inv, TRUE);
}

static void m_resume(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    run_control(w, inv, FALSE);
}

static void m_open_memory(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    /* What libvmi validated when it opened the domain (no symlink, a
     * regular file, the one QEMU maps), as a new read-only descriptor of
     * that open file: a file QEMU's user swaps in at the path later is not
     * what the caller gets.  Read-only whatever writes= says: writes go
     * through WritePhysical, which checks and logs them. */
    dev_t dev = 0;
    ino_t ino = 0;
    int fd = vmi_helper_ram_file_fd(w->vmi, &dev, &ino);
    if (fd < 0) {
        if (vmi_get_last_error_code(w->vmi) == VMI_ERR_NOT_FOUND)
            helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT,
                                 "Domain '%s' has no shared memory file (its access path is %s); "
                                 "Enable(\"shm\") and restart the domain to get one.", w->name,
                                 vmi_get_access_path(w->vmi));
        else
            helperd_worker_fail(w, inv, helperd_worker_vmi_error(w, FALSE), "Domain '%s': its "
                                "RAM file cannot be handed out: %s.", w->name,
                                vmi_get_last_error(w->vmi));
        return;
    }
    helperd_debug("domain %s: OpenMemory for %s: device 0x%lx inode %lu", w->name,
                  g_dbus_method_invocation_get_sender(inv), (unsigned long)dev,
                  (unsigned long)ino);
    g_autoptr(GUnixFDList) fds = g_unix_fd_list_new_from_array(&fd, 1);
    g_dbus_method_invocation_return_value_with_unix_fd_list(inv, g_variant_new("(h)", 0), fds);
}

/* The uid of the caller, from the bus. */
static gboolean caller_uid(GDBusMethodInvocation *inv, uid_t *uid, char **message)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GVariant) r = g_dbus_connection_call_sync(
        g_dbus_method_invocation_get_connection(inv), "org.freedesktop.DBus",
        "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionUnixUser",
        g_variant_new("(s)", g_dbus_method_invocation_get_sender(inv)), G_VARIANT_TYPE("(u)"),
        G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &e);
    if (!r) {
        *message = g_strdup_printf("The caller's user cannot be found: %s.", e->message);
        return FALSE;
    }
    guint32 u;
    g_variant_get(r, "(u)", &u);
    *uid = u;
    return TRUE;
}

/* Removes the file we created at @path (open as @fd), and only that.  The
 * caller owns the directories on the way: unlink(path) as root could
 * follow a symlink swapped into the path meanwhile and remove a file of
 * the same name elsewhere.  So: the directory is opened once, the entry
 * is checked and removed relative to it, without following links. */
static void remove_created(const char *path, int fd)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    struct stat st, pst;
    if (fstat(fd, &st) < 0)
        return;
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return;
    if (fstatat(dfd, base, &pst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(pst.st_mode) &&
        st.st_dev == pst.st_dev && st.st_ino == pst.st_ino)
        unlinkat(dfd, base, 0);
    close(dfd);
}

/* A running domain that a failed or given-up dump left paused runs again
 * (QEMU pauses it while it dumps). */
static void snapshot_resume(HelperdSnapshot *s, gboolean was_running)
{
    int state = VIR_DOMAIN_NOSTATE;
    if (!was_running || virDomainGetState(s->dom, &state, NULL, 0) < 0 ||
        state != VIR_DOMAIN_PAUSED)
        return;
    if (virDomainResume(s->dom) == 0)
        helperd_log("domain %s resumed: it was paused for a snapshot that did not finish", s->name);
    else
        helperd_log("domain %s: paused for a snapshot that did not finish, resuming failed: %s",
                    s->name, helperd_virt_error());
}

gpointer helperd_snapshot_thread(gpointer data)
{
    HelperdSnapshot *s = data;
    uid_t uid;
    g_autofree char *msg = NULL;
    HelperdError code = HELPERD_ERROR_FAILED;
    int fd = -1;
    gboolean ok = FALSE;
    gint64 t0 = g_get_monotonic_time();
    int state = VIR_DOMAIN_NOSTATE;
    gboolean was_running = virDomainGetState(s->dom, &state, NULL, 0) == 0 &&
                           state == VIR_DOMAIN_RUNNING;
    if (!caller_uid(s->inv, &uid, &msg)) {
        code = HELPERD_ERROR_ACCESS_DENIED;
    } else if ((fd = helperd_create_file_as(uid, s->path, &code, &msg)) < 0) {
        g_autofree char *m = g_strdup_printf("Domain '%s': %s", s->name, msg);
        g_free(msg);
        msg = g_steal_pointer(&m);
    } else if (!helperd_virt_dump_memory(s->dom, fd, &s->cancel, &msg)) {
        g_autofree char *m = g_strdup_printf("Domain '%s': the memory dump failed: %s.", s->name,
                                             msg);
        g_free(msg);
        msg = g_steal_pointer(&m);
    } else if (g_atomic_int_get(&s->cancel)) {
        msg = g_strdup_printf("Domain '%s': the snapshot was cancelled.", s->name);
    } else {
        ok = TRUE;
    }
    if (fd >= 0 && !ok)
        remove_created(s->path, fd);
    if (!ok)
        snapshot_resume(s, was_running);
    g_autofree char *esc = g_strescape(s->path, NULL);
    if (ok) {
        struct stat st;
        if (fstat(fd, &st) < 0)
            st.st_size = 0;
        if (g_atomic_int_compare_and_exchange(&s->replied, 0, 1)) {
            helperd_log("domain %s: memory dumped to \"%s\" (%" G_GINT64_FORMAT " MiB in %.1f s) "
                        "for uid %u", s->name, esc, (gint64)st.st_size >> 20,
                        (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC, (unsigned)uid);
            g_dbus_method_invocation_return_value(s->inv, NULL);
        } else {
            /* answered meanwhile (given up): the file must not stay */
            remove_created(s->path, fd);
            helperd_log("domain %s: a given-up snapshot finished late: \"%s\" removed", s->name,
                        esc);
        }
    } else if (!helperd_snapshot_reply_error(s, code, msg)) {
        helperd_log("domain %s: a given-up snapshot ended: %s", s->name, msg);
    }
    if (fd >= 0)
        close(fd);
    g_atomic_int_set(&s->done, 1);
    helperd_snapshot_unref(s);
    return NULL;
}

static void m_snapshot(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    const char *path;
    g_variant_get(params, "(&s)", &path);
    virDomainPtr dom = helperd_worker_dom(w);
    if (!dom) {
        helperd_return_error(inv, HELPERD_ERROR_FAILED, w->xen ? "Domain '%s' is a Xen domain: "
                             "this method goes through libvirt, which does not manage it." :
                             "Domain '%s': libvirt is not connected.", w->name);
        return;
    }
    HelperdSnapshot *s = g_new0(HelperdSnapshot, 1);
    s->refs = 1;
    s->inv = inv;
    s->owner = g_strdup(g_dbus_method_invocation_get_sender(inv));
    s->path = g_strdup(path);
    s->name = g_strdup(w->name);
    s->dom = dom;
    helperd_worker_start_snapshot(w, s);
}

static void m_enable(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    const char *text;
    vmi_domxml_mode_t mode = 0;
    g_variant_get(params, "(&s)", &text);
    parse_enable_mode(text, &mode);      /* checked on the main loop */
    virDomainPtr dom = helperd_worker_dom(w);
    if (!dom) {
        helperd_return_error(inv, HELPERD_ERROR_FAILED, w->xen ? "Domain '%s' is a Xen domain: "
                             "this method goes through libvirt, which does not manage it." :
                             "Domain '%s': libvirt is not connected.", w->name);
        return;
    }
    g_autoptr(HelperdConfig) cfg = helperd_config_get();
    gboolean changed = FALSE;
    HelperdError code = HELPERD_ERROR_FAILED;
    g_autofree char *msg = NULL;
    if (mode == 0) {
        /* the process path needs no change to the definition */
        helperd_log("domain %s: Enable(\"process\"): nothing to change", w->name);
        g_dbus_method_invocation_return_value(inv, NULL);
    } else if (helperd_enable_domain(dom, mode, cfg->gdbstub_dir, &changed, &code, &msg)) {
        helperd_log("domain %s: introspection enabled (%s)%s", w->name,
                    vmi_domxml_mode_to_string(mode), changed ? ", effective at next start" :
                    ", it was already");
        g_dbus_method_invocation_return_value(inv, NULL);
    } else {
        helperd_worker_fail(w, inv, code, "%s", msg);
    }
    virDomainFree(dom);
}

static void m_disable(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    virDomainPtr dom = helperd_worker_dom(w);
    if (!dom) {
        helperd_return_error(inv, HELPERD_ERROR_FAILED, w->xen ? "Domain '%s' is a Xen domain: "
                             "this method goes through libvirt, which does not manage it." :
                             "Domain '%s': libvirt is not connected.", w->name);
        return;
    }
    gboolean changed = FALSE;
    HelperdError code = HELPERD_ERROR_FAILED;
    g_autofree char *msg = NULL;
    if (helperd_disable_domain(dom, &changed, &code, &msg)) {
        helperd_log("domain %s: introspection disabled%s", w->name,
                    changed ? ", effective at next start" : ", it was not enabled");
        g_dbus_method_invocation_return_value(inv, NULL);
    } else {
        helperd_worker_fail(w, inv, code, "%s", msg);
    }
    virDomainFree(dom);
}

static void write_memory(HelperdWorker *w, GDBusMethodInvocation *inv, guint64 addr, gint32 pid,
                         GVariant *data, gboolean physical)
{
    gsize len = 0;
    const guint8 *bytes = g_variant_get_fixed_array(data, &len, 1);
    if (!len) {
        g_dbus_method_invocation_return_value(inv, NULL);
        return;
    }
    g_autoptr(GError) e = NULL;
    if (!vmi_domops_check_range(w->name, addr, len, &e) ||
        (!physical && !vmi_domops_check_pid(w->vmi, w->name, pid, &e))) {
        helperd_worker_fail_op(w, inv, e);
        return;
    }
    /* every page first: all or nothing */
    for (guint64 page = addr & ~(guint64)0xfff; page <= addr + len - 1; page += 0x1000) {
        guint64 at = page < addr ? addr : page;
        gboolean ok;
        if (physical) {
            uint8_t b;
            ok = vmi_read_8_pa(w->vmi, at, &b) == VMI_SUCCESS;
        } else {
            ok = (pid ? vmi_translate_uv2p(w->vmi, at, pid) : vmi_translate_kv2p(w->vmi, at)) != 0;
        }
        if (!ok) {
            helperd_worker_fail(w, inv, helperd_worker_vmi_error(w, TRUE),
                                "Domain '%s': nothing written: the %s address 0x%" G_GINT64_MODIFIER
                                "x is %s.", w->name, physical ? "physical" : "virtual", at,
                                physical ? "not in guest RAM" : "not mapped");
            return;
        }
        if (page + 0x1000 < page)
            break;
    }
    size_t n = physical ? vmi_write_pa(w->vmi, addr, (void *)bytes, len)
                        : vmi_write_va(w->vmi, addr, pid, (void *)bytes, len);
    if (n < len) {
        helperd_worker_fail(w, inv, helperd_worker_vmi_error(w, FALSE),
                            "Domain '%s': the write stopped after %zu of %zu bytes: %s.", w->name,
                            n, (size_t)len, vmi_get_last_error(w->vmi));
        return;
    }
    helperd_log("domain %s: %zu bytes written at %s address 0x%" G_GINT64_MODIFIER "x (pid %d) "
                "by %s", w->name, (size_t)len, physical ? "physical" : "virtual", addr, pid,
                g_dbus_method_invocation_get_sender(inv));
    g_dbus_method_invocation_return_value(inv, NULL);
}

static void m_write_physical(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 addr;
    g_autoptr(GVariant) data = NULL;
    g_variant_get(params, "(t@ay)", &addr, &data);
    write_memory(w, inv, addr, 0, data, TRUE);
}

static void m_write_virtual(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 addr;
    gint32 pid;
    g_autoptr(GVariant) data = NULL;
    g_variant_get(params, "(ti@ay)", &addr, &pid, &data);
    write_memory(w, inv, addr, pid, data, FALSE);
}

static void m_watch(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 addr;
    const char *access;
    g_variant_get(params, "(t&s)", &addr, &access);
    const char *sender = g_dbus_method_invocation_get_sender(inv);
    guint mine = 0;
    for (guint i = 0; i < w->watches->len; i++)
        mine += g_strcmp0(((HelperdWatch *)w->watches->pdata[i])->owner, sender) == 0;
    for (guint i = 0; i < w->rearm->len; i++)
        mine += g_strcmp0(((HelperdWatch *)w->rearm->pdata[i])->owner, sender) == 0;
    if (mine >= HELPERD_MAX_WATCHES_PER_CALLER) {
        helperd_return_error(inv, HELPERD_ERROR_BUSY, "Domain '%s': this connection has %u "
                             "watches, the most one connection may set (of %d per domain).",
                             w->name, mine, HELPERD_MAX_WATCHES);
        return;
    }
    if (w->watches->len + w->rearm->len >= HELPERD_MAX_WATCHES) {
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "Domain '%s': no free watchpoint (at "
                             "most %d watches per domain).", w->name, HELPERD_MAX_WATCHES);
        return;
    }
    HelperdWatch *wt = g_new0(HelperdWatch, 1);
    wt->w = w;
    wt->addr = addr;
    wt->owner = g_strdup(g_dbus_method_invocation_get_sender(inv));
    g_strlcpy(wt->access, access, sizeof(wt->access));
    g_autofree char *err = NULL;
    switch (helperd_watch_arm(w, wt, &err)) {
    case HELPERD_ARM_OK:
        break;
    case HELPERD_ARM_UNMAPPED:
        helperd_worker_fail(w, inv, helperd_worker_vmi_error(w, TRUE), "%s", err);
        helperd_watch_free(wt);
        return;
    case HELPERD_ARM_UNSUPPORTED:
        helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "%s", err);
        helperd_watch_free(wt);
        return;
    case HELPERD_ARM_FAILED:
        helperd_worker_fail(w, inv, helperd_worker_vmi_error(w, FALSE), "%s", err);
        helperd_watch_free(wt);
        return;
    }
    wt->id = ++w->next_watch_id;
    if (!wt->id)
        wt->id = ++w->next_watch_id;
    g_ptr_array_add(w->watches, wt);
    helperd_log("domain %s: watch %u set at 0x%" G_GINT64_MODIFIER "x (%s) for %s", w->name, wt->id,
                addr, access, wt->owner);
    g_dbus_method_invocation_return_value(inv, g_variant_new("(u)", wt->id));
}

static void m_unwatch(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint32 id;
    g_variant_get(params, "(u)", &id);
    const char *sender = g_dbus_method_invocation_get_sender(inv);
    for (guint i = 0; i < w->watches->len; i++) {
        HelperdWatch *wt = w->watches->pdata[i];
        if (wt->id != id)
            continue;
        if (g_strcmp0(wt->owner, sender) != 0) {
            helperd_return_error(inv, HELPERD_ERROR_ACCESS_DENIED, "Domain '%s': watch %u "
                                 "belongs to another connection.", w->name, id);
            return;
        }
        gboolean ok = vmi_clear_event(w->vmi, &wt->event) == VMI_SUCCESS;
        g_autofree char *err = ok ? NULL : g_strdup(vmi_get_last_error(w->vmi));
        g_ptr_array_remove_index(w->watches, i);
        if (!ok) {
            helperd_worker_fail(w, inv, helperd_worker_vmi_error(w, FALSE), "Domain '%s': "
                                "removing watch %u failed: %s.", w->name, id, err);
            return;
        }
        helperd_log("domain %s: watch %u removed", w->name, id);
        g_dbus_method_invocation_return_value(inv, NULL);
        return;
    }
    /* one waiting to be re-armed after a libvirt reconnection: nothing of
     * it is in the guest */
    for (guint i = 0; i < w->rearm->len; i++) {
        HelperdWatch *wt = w->rearm->pdata[i];
        if (wt->id != id)
            continue;
        if (g_strcmp0(wt->owner, sender) != 0) {
            helperd_return_error(inv, HELPERD_ERROR_ACCESS_DENIED, "Domain '%s': watch %u "
                                 "belongs to another connection.", w->name, id);
            return;
        }
        g_ptr_array_remove_index(w->rearm, i);
        helperd_log("domain %s: watch %u removed (it was waiting to be re-armed)", w->name, id);
        g_dbus_method_invocation_return_value(inv, NULL);
        return;
    }
    helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s' has no watch %u.",
                         w->name, id);
}

/* ============================================================ the table */

typedef struct {
    const char *name;
    const char *signature;      /* the in-arguments, as in dbus/org.libvmi.helper1.Domain.xml */
    HelperdMethodFlags flags;
    /* main loop, optional: this call's flags, from its arguments */
    HelperdMethodFlags (*flags_of)(GVariant *params, HelperdMethodFlags flags);
    /* main loop, optional: checks that need no guest; FALSE with @error set
     * (in HELPERD_ERROR) */
    gboolean (*check)(HelperdDomain *d, const HelperdConfig *cfg, GVariant *params,
                      GError **error);
    HelperdWorkerFunc run;      /* on the worker, or inline */
} DomainMethod;

#define INLINE    HELPERD_METHOD_INLINE
#define ANY_TIME  HELPERD_METHOD_ANY_TIME
#define CONTROL   HELPERD_METHOD_CONTROL
#define WRITES    HELPERD_METHOD_WRITES
#define WATCHER   HELPERD_METHOD_WATCHER

/* In the order of the interface XML. */
static const DomainMethod domain_methods[] = {
    { "ReadPhysical", "(tu)", INLINE, f_read_physical, c_read_physical, m_read_physical },
    { "ReadVirtual", "(tiu)", INLINE, f_read_virtual, c_read_virtual, m_read_virtual },
    /* a symbol miss reads the System.map: never inline */
    { "ReadSymbol", "(su)", 0, NULL, c_read_symbol, m_read_symbol },
    { "OpenMemory", "()", 0, NULL, NULL, m_open_memory },
    { "TranslateKernel", "(t)", INLINE, NULL, NULL, m_translate_kernel },
    { "TranslateUser", "(ti)", INLINE, f_pid_second, NULL, m_translate_user },
    { "LookupSymbol", "(s)", 0, NULL, c_lookup_symbol, m_lookup_symbol },
    { "ListProcesses", "()", 0, NULL, NULL, m_list_processes },
    { "GetRegisters", "(u)", 0, NULL, NULL, m_get_registers },
    /* libvirt's, no libvmi needed: also while not introspectable */
    { "Pause", "()", ANY_TIME | CONTROL | WATCHER, NULL, NULL, m_pause },
    { "Resume", "()", ANY_TIME | CONTROL, NULL, NULL, m_resume },
    /* its own thread; given up when the caller leaves */
    { "Snapshot", "(s)", CONTROL | WATCHER, NULL, c_snapshot, m_snapshot },
    { "Enable", "(s)", ANY_TIME | CONTROL, NULL, c_enable, m_enable },
    { "Disable", "()", ANY_TIME | CONTROL, NULL, NULL, m_disable },
    { "WritePhysical", "(tay)", WRITES, NULL, c_write, m_write_physical },
    { "WriteVirtual", "(tiay)", WRITES, NULL, c_write, m_write_virtual },
    { "Watch", "(ts)", WATCHER, f_watch, c_watch, m_watch },
    { "Unwatch", "(u)", 0, NULL, NULL, m_unwatch },
};

#undef INLINE
#undef ANY_TIME
#undef CONTROL
#undef WRITES
#undef WATCHER

static const DomainMethod *domain_method(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(domain_methods); i++)
        if (strcmp(domain_methods[i].name, name) == 0)
            return &domain_methods[i];
    return NULL;
}

gboolean helperd_iface_domain_inline(const char *method, GVariant *params)
{
    const DomainMethod *m = domain_method(method);
    if (!m)
        return FALSE;
    HelperdMethodFlags flags = m->flags_of ? m->flags_of(params, m->flags) : m->flags;
    return (flags & HELPERD_METHOD_INLINE) != 0;
}

gboolean helperd_iface_domain_check(GDBusInterfaceInfo *info, GError **error)
{
    const char *names[G_N_ELEMENTS(domain_methods)], *sigs[G_N_ELEMENTS(domain_methods)];
    for (size_t i = 0; i < G_N_ELEMENTS(domain_methods); i++) {
        names[i] = domain_methods[i].name;
        sigs[i] = domain_methods[i].signature;
    }
    return helperd_methods_match(info, names, sigs, G_N_ELEMENTS(domain_methods), error);
}

/* ============================================================ dispatch */

static void domain_authorized(GDBusMethodInvocation *inv)
{
    const char *sender = g_dbus_method_invocation_get_sender(inv);
    const char *path = g_dbus_method_invocation_get_object_path(inv);
    const char *iface = g_dbus_method_invocation_get_interface_name(inv);
    const char *method = g_dbus_method_invocation_get_method_name(inv);
    GVariant *params = g_dbus_method_invocation_get_parameters(inv);
    if (helperd.stopping) {     /* (its caller's check ended after the stop began) */
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "vmi-helperd is stopping (%s): the "
                             "call was not run.", helperd.stop_why);
        return;
    }
    HelperdDomain *d = g_hash_table_lookup(helperd.domains, path);
    if (!d || !d->worker) {
        const char *name = g_hash_table_lookup(helperd.stale, path);
        helperd_return_error(inv, HELPERD_ERROR_DOMAIN_GONE, "Domain '%s' was stopped or "
                             "undefined: the object %s is stale.", name ? name : "?", path);
        return;
    }
    if (strcmp(iface, HELPERD_PROPS_IFACE) == 0) {
        helperd_return_properties(inv, HELPERD_DOMAIN_IFACE, helperd_domain_properties(d));
        return;
    }
    const DomainMethod *m = domain_method(method);
    if (!m) {
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "Method %s is not implemented.", method);
        return;
    }
    g_autoptr(GError) e = NULL;
    if (!helperd_method_args_check(method, m->signature, params, &e)) {
        helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': %s", d->name,
                             e->message);
        return;
    }
    g_autoptr(HelperdConfig) cfg = helperd_config_get();
    HelperdMethodFlags flags = m->flags_of ? m->flags_of(params, m->flags) : m->flags;
    const char *file = cfg->file ? cfg->file : "the helper's configuration file";
    if ((flags & HELPERD_METHOD_CONTROL) && !d->control) {
        helperd_return_error(inv, HELPERD_ERROR_WRITES_DISABLED, "Domain '%s': %s changes the "
                             "guest and is refused: set control=true (or writes=true) in the "
                             "[domain %s] group of %s to allow it.", d->name, method, d->uuid,
                             file);
        return;
    }
    if ((flags & HELPERD_METHOD_WRITES) && !d->writes) {
        helperd_return_error(inv, HELPERD_ERROR_WRITES_DISABLED, "Writes to domain '%s' are "
                             "disabled: set writes=true in the [domain %s] group of %s to "
                             "enable them.", d->name, d->uuid, file);
        return;
    }
    if (m->check && !m->check(d, cfg, params, &e)) {
        helperd_return_error(inv, (HelperdError)e->code, "%s", e->message);
        return;
    }
    /* its leaving the bus undoes the pause, removes the watch */
    if (flags & HELPERD_METHOD_WATCHER)
        g_hash_table_add(helperd.watchers, g_strdup(sender));
    helperd_worker_call(d->worker, inv, m->run, (flags & HELPERD_METHOD_ANY_TIME) != 0,
                        (flags & HELPERD_METHOD_INLINE) != 0);
}

static void domain_method_call(GDBusConnection *bus, const gchar *sender, const gchar *path,
                               const gchar *iface, const gchar *method, GVariant *params,
                               GDBusMethodInvocation *inv, gpointer user_data)
{
    if (helperd.stopping) {
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "vmi-helperd is stopping (%s): the "
                             "call was not run.", helperd.stop_why);
        return;
    }
    helperd_auth_call(inv, domain_authorized);
}

const GDBusInterfaceVTable helperd_iface_domain_vtable = {
    .method_call = domain_method_call,
    /* no get_property: Properties calls come to method_call, behind the
     * authorization */
};
