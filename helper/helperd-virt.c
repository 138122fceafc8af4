/*
 * helperd-virt.c - vmi-helperd: what it asks libvirt for a domain.
 *
 * Run states and libvirt's errors as the daemon names them, the domain XML
 * (read, changed by the transformer in xml/, defined again) for Enable,
 * Disable and auto_enable, the gdbstub socket directory, and the memory
 * dump behind Snapshot.  Callable from any thread: libvirt's connection
 * objects are thread-safe, and nothing here keeps state.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <libvirt/virterror.h>

#include "helperd.h"

/* ------------------------------------------------------------ states and errors
 * (libvirt's error codes are mapped with libvmi's in helperd-util.c) */

const char *helperd_state_name(int state)
{
    switch (state) {
    case VIR_DOMAIN_RUNNING: return "running";
    case VIR_DOMAIN_BLOCKED: return "blocked";
    case VIR_DOMAIN_PAUSED: return "paused";
    case VIR_DOMAIN_SHUTDOWN: return "shutdown";
    case VIR_DOMAIN_SHUTOFF: return "shutoff";
    case VIR_DOMAIN_CRASHED: return "crashed";
    case VIR_DOMAIN_PMSUSPENDED: return "pmsuspended";
    default: return "unknown";
    }
}

const char *helperd_virt_error(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->message ? e->message : "unknown libvirt error";
}

/* ------------------------------------------------------------ the memory dump */

#define COPY_CHUNK (8 << 20)    /* between chunks, a cancel is seen */

static gboolean copy_cancelled(const gint *cancel, char **message)
{
    if (!cancel || !g_atomic_int_get(cancel))
        return FALSE;
    *message = g_strdup("cancelled");
    return TRUE;
}

/* Copies all of @from into @to (both at offset 0), until *@cancel. */
static gboolean copy_fd(int from, int to, const gint *cancel, char **message)
{
    for (;;) {
        if (copy_cancelled(cancel, message))
            return FALSE;
        ssize_t n = copy_file_range(from, NULL, to, NULL, COPY_CHUNK, 0);
        if (n == 0)
            return TRUE;
        if (n > 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
            *message = g_strdup_printf("writing the dump file failed: %s", g_strerror(errno));
            return FALSE;
        }
        break;
    }
    /* no copy_file_range between these files: read and write */
    g_autofree char *buf = g_malloc(1 << 20);
    for (;;) {
        if (copy_cancelled(cancel, message))
            return FALSE;
        ssize_t n = read(from, buf, 1 << 20);
        if (n == 0)
            return TRUE;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *message = g_strdup_printf("reading the dump failed: %s", g_strerror(errno));
            return FALSE;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t m = write(to, buf + off, (size_t)(n - off));
            if (m < 0 && errno == EINTR)
                continue;
            if (m <= 0) {
                *message = g_strdup_printf("writing the dump file failed: %s",
                                           m < 0 ? g_strerror(errno) : "short write");
                return FALSE;
            }
            off += m;
        }
    }
}

/* libvirt writes QEMU's dump-guest-memory ELF core (pausing the guest for
 * it) into a file of its own choosing only, so it goes to a private
 * temporary directory first and is then copied into the caller's file. */
gboolean helperd_virt_dump_memory(virDomainPtr dom, int fd, const gint *cancel, char **message)
{
    g_autofree char *dir = g_strdup("/var/tmp/vmi-helperd.XXXXXX");
    if (!g_mkdtemp_full(dir, 0700)) {
        *message = g_strdup_printf("cannot create a temporary directory in /var/tmp: %s",
                                   g_strerror(errno));
        return FALSE;
    }
    g_autofree char *tmp = g_build_filename(dir, "dump.elf", NULL);
    gboolean ok = virDomainCoreDumpWithFormat(dom, tmp, VIR_DOMAIN_CORE_DUMP_FORMAT_RAW,
                                              VIR_DUMP_MEMORY_ONLY) == 0;
    if (!ok)
        *message = g_strdup(helperd_virt_error());
    if (ok) {
        int from = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (from < 0) {
            *message = g_strdup_printf("libvirt's dump %s cannot be read: %s", tmp,
                                       g_strerror(errno));
            ok = FALSE;
        } else {
            ok = copy_fd(from, fd, cancel, message);
            close(from);
        }
    }
    unlink(tmp);
    rmdir(dir);
    return ok;
}

/* ------------------------------------------------------------ the domain XML */


gboolean helperd_ensure_gdb_dir(const char *dir, char **message)
{
    g_autoptr(GError) e = NULL;
    gboolean created = FALSE;
    if (!vmi_domxml_ensure_socket_dir(dir, &created, &e)) {
        *message = g_strdup(e->message);
        return FALSE;
    }
    if (created)
        helperd_log("gdbstub socket directory %s made for QEMU", dir);
    return TRUE;
}

static gboolean domxml_get(virDomainPtr dom, char **xml, HelperdError *code, char **message)
{
    const char *name = virDomainGetName(dom);
    int persistent = virDomainIsPersistent(dom);
    if (persistent == 0) {
        *code = HELPERD_ERROR_INVALID_ARGUMENT;
        *message = g_strdup_printf("Domain '%s' is transient: it has no persistent definition to "
                                   "change.", name);
        return FALSE;
    }
    char *text = persistent < 0 ? NULL :
        virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    if (!text) {
        *code = helperd_error_from_virt(HELPERD_ERROR_FAILED);
        *message = g_strdup_printf("Domain '%s': reading its definition failed: %s.", name,
                                   helperd_virt_error());
        return FALSE;
    }
    *xml = g_strdup(text);
    free(text);
    return TRUE;
}

static gboolean domxml_define(virDomainPtr dom, const char *xml, HelperdError *code,
                              char **message)
{
    virDomainPtr nd = virDomainDefineXML(virDomainGetConnect(dom), xml);
    if (!nd) {
        *code = helperd_error_from_virt(HELPERD_ERROR_FAILED);
        *message = g_strdup_printf("Domain '%s': libvirt refused the new definition: %s.",
                                   virDomainGetName(dom), helperd_virt_error());
        return FALSE;
    }
    virDomainFree(nd);
    return TRUE;
}

/* Reads the persistent XML, enables (@mode) or disables introspection in it,
 * and defines it again if that changed anything. */
static gboolean domxml_apply(virDomainPtr dom, gboolean enable, vmi_domxml_mode_t mode,
                             const char *gdb_dir, gboolean *changed, HelperdError *code,
                             char **message)
{
    g_autofree char *xml = NULL;
    g_autoptr(GError) e = NULL;
    *changed = FALSE;
    if (!domxml_get(dom, &xml, code, message))
        return FALSE;
    if (enable) {
        vmi_domxml_mode_t now = 0;
        if (vmi_domxml_status(xml, &now, NULL, NULL) && now == mode)
            return TRUE;
        if ((mode & VMI_DOMXML_GDBSTUB) && !helperd_ensure_gdb_dir(gdb_dir, message)) {
            *code = HELPERD_ERROR_FAILED;
            return FALSE;
        }
    }
    g_autofree char *out = enable ? vmi_domxml_enable(xml, mode, gdb_dir, &e)
                                  : vmi_domxml_disable(xml, &e);
    if (!out) {
        *code = enable && g_error_matches(e, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_INVALID_ARGUMENT)
                ? HELPERD_ERROR_INVALID_ARGUMENT : HELPERD_ERROR_FAILED;
        *message = g_strdup_printf("Domain '%s': introspection cannot be %s: %s.",
                                   virDomainGetName(dom), enable ? "enabled" : "disabled",
                                   e->message);
        return FALSE;
    }
    if (strcmp(out, xml) == 0)
        return TRUE;
    if (!domxml_define(dom, out, code, message))
        return FALSE;
    *changed = TRUE;
    return TRUE;
}

gboolean helperd_enable_domain(virDomainPtr dom, vmi_domxml_mode_t mode, const char *gdb_dir,
                               gboolean *changed, HelperdError *code, char **message)
{
    return domxml_apply(dom, TRUE, mode, gdb_dir, changed, code, message);
}

gboolean helperd_disable_domain(virDomainPtr dom, gboolean *changed, HelperdError *code,
                                char **message)
{
    return domxml_apply(dom, FALSE, 0, NULL, changed, code, message);
}

