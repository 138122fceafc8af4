/*
 * vmi-domxml.h - turn introspection on and off in a libvirt domain's XML.
 *
 * Shared by vmi-helperd and virt-vmi.  The functions take the persistent
 * domain XML as text and return new text; they never talk to libvirt.
 * Everything they change is recorded in one element of our own in the
 * domain's <metadata>, so that disabling removes exactly that and nothing
 * the user wrote.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The namespace of our <metadata> child, <vmi:introspection>. */
#define VMI_DOMXML_NAMESPACE "http://libvmi.org/xmlns/helper/1.0"
/* libvirt's namespace for <qemu:commandline>. */
#define VMI_DOMXML_QEMU_NAMESPACE "http://libvirt.org/schemas/domain/qemu/1.0"
/* Where gdbstub sockets go unless told otherwise: a directory the daemon
 * creates, mode 0700, owned by QEMU's user. */
#define VMI_DOMXML_DEFAULT_GDB_DIR "/var/lib/libvirt/qemu/libvmi"
/* The user libvirt runs QEMU as (Debian's name; libvirt's qemu.conf
 * "user"): the gdbstub socket directory is made for it. */
#define VMI_DOMXML_QEMU_USER "libvirt-qemu"

typedef enum {
    VMI_DOMXML_SHM = 1,     /* guest RAM in a shared file (memoryBacking) */
    VMI_DOMXML_GDBSTUB = 2, /* QEMU's gdbstub on a unix socket */
} vmi_domxml_mode_t;

#define VMI_DOMXML_ERROR (vmi_domxml_error_quark())

typedef enum {
    VMI_DOMXML_ERROR_INVALID_ARGUMENT, /* a bad mode or socket directory */
    VMI_DOMXML_ERROR_MALFORMED,        /* not XML, or not a <domain> */
    VMI_DOMXML_ERROR_UNSUPPORTED,      /* a domain we refuse to change */
} vmi_domxml_error_t;

GQuark vmi_domxml_error_quark(void);

/**
 * vmi_domxml_enable:
 * @xml: a domain's persistent XML
 * @mode: VMI_DOMXML_SHM, VMI_DOMXML_GDBSTUB or both
 * @gdb_socket_dir: (nullable): directory of the gdbstub socket
 *   (NULL: VMI_DOMXML_DEFAULT_GDB_DIR); the socket is
 *   DIR/<uuid>.gdb.sock
 * @error: return location for an error
 *
 * Turns introspection on.  Enabling an enabled domain again gives the
 * same text; enabling it in another mode first undoes the old mode.
 *
 * Returns: (transfer full): the new XML, or NULL with @error set when the
 *   domain cannot be changed safely.
 */
char *vmi_domxml_enable(const char *xml, vmi_domxml_mode_t mode,
                        const char *gdb_socket_dir, GError **error);

/**
 * vmi_domxml_disable:
 * @xml: a domain's persistent XML
 * @error: return location for an error
 *
 * Removes exactly what vmi_domxml_enable() recorded in the metadata.
 * A domain without our metadata is returned unchanged, byte for byte.
 *
 * Returns: (transfer full): the new XML, or NULL with @error set.
 */
char *vmi_domxml_disable(const char *xml, GError **error);

/**
 * vmi_domxml_status:
 * @xml: a domain's persistent XML
 * @mode: (out) (optional): what is enabled: the modes our metadata records
 *   whose elements are still in place (0: nothing)
 * @gdb_socket: (out) (optional) (transfer full): the gdbstub socket path
 *   when VMI_DOMXML_GDBSTUB is enabled, else NULL
 * @error: return location for an error
 *
 * Returns: FALSE with @error set if @xml cannot be read.
 */
gboolean vmi_domxml_status(const char *xml, vmi_domxml_mode_t *mode,
                           char **gdb_socket, GError **error);

/**
 * vmi_domxml_check_socket_dir:
 * @dir: the gdbstub socket directory (absolute)
 * @missing: (out) (optional): TRUE when @dir (or a directory above it)
 *   does not exist yet; what exists is checked
 * @error: return location for an error
 *
 * Checks that only root, QEMU's user (VMI_DOMXML_QEMU_USER) and the
 * caller can reach a socket in @dir: no symbolic link on the path; every
 * directory on it owned by one of them; none above @dir writable by
 * anyone else (a sticky directory of root's, as /tmp, excepted); @dir
 * itself open to nobody else (mode 0700, or 0750 with a group that has no
 * other member).  The rules are those of libvmi/sockdir.h, which the kvm
 * driver applies again before it connects to a gdbstub socket.
 *
 * Returns: FALSE with @error set (G_FILE_ERROR_PERM: not safe, with the
 *   reason; G_FILE_ERROR_ACCES: a directory on the path cannot be
 *   searched by the caller) when @dir cannot be used.
 */
gboolean vmi_domxml_check_socket_dir(const char *dir, gboolean *missing, GError **error);

/**
 * vmi_domxml_ensure_socket_dir:
 * @dir: the gdbstub socket directory (absolute)
 * @created: (out) (optional): TRUE when this call made it
 * @error: return location for an error
 *
 * Makes @dir (mode 0700; missing directories above it mode 0755) when it
 * does not exist.  QEMU, run by libvirt as VMI_DOMXML_QEMU_USER, creates
 * the socket in it: a directory made here by root is given to that user.
 * Each directory is made in its checked parent and checked on an
 * O_NOFOLLOW descriptor before it is changed.  An existing @dir is
 * checked as vmi_domxml_check_socket_dir() does and left as it is: one
 * that is not safe is an error, never repaired.
 *
 * Returns: FALSE with @error set when @dir is not safe, or is missing and
 *   cannot be made.
 */
gboolean vmi_domxml_ensure_socket_dir(const char *dir, gboolean *created, GError **error);

/* "shm", "gdbstub" or "shm+gdbstub"; NULL for anything else. */
const char *vmi_domxml_mode_to_string(vmi_domxml_mode_t mode);

/* Accepts the strings above and "both". */
gboolean vmi_domxml_mode_from_string(const char *text, vmi_domxml_mode_t *mode);

G_END_DECLS
