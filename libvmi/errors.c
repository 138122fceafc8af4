/*
 * errors.c - the reason behind a failure and its kind: kept on the instance
 * (or, for a failed init, per thread), logged to the "libvmi" log domain,
 * never printed on stdout.
 */
#include <stdarg.h>
#include <stdio.h>
#include "private.h"
#ifdef ENABLE_KVM
#include "driver/kvm/qmp.h"
#include "driver/kvm/gdb_client.h"
#endif

G_DEFINE_QUARK(vmi-error-quark, vmi_error)

/* The reason a vmi_init* failed, when there is no instance to carry it. */
typedef struct {
    char *message;
    vmi_error_code_t code;
} init_error_t;

static void init_error_free(gpointer p)
{
    init_error_t *e = p;
    g_free(e->message);
    g_free(e);
}

static GPrivate init_error = G_PRIVATE_INIT(init_error_free);

/* A GError's code as a public kind: VMI_ERROR codes are the kinds; errors
 * of other domains (GLib, json-glib) say only that something failed, and
 * GIO's timeouts and I/O errors keep that meaning. */
static vmi_error_code_t code_of(const GError *error)
{
    if (error->domain == VMI_ERROR && error->code > VMI_ERR_NONE && error->code <= VMI_ERR_TIMEOUT)
        return (vmi_error_code_t)error->code;
    if (error->domain == G_FILE_ERROR)
        return error->code == G_FILE_ERROR_NOENT ? VMI_ERR_NOT_FOUND
               : error->code == G_FILE_ERROR_ACCES || error->code == G_FILE_ERROR_PERM
                   ? VMI_ERR_PERMISSION : VMI_ERR_IO;
    if (error->domain == VMI_CONFIG_ERROR)
        /* a file that cannot be read is I/O; everything else is a bad
         * configuration */
        return error->code == VMI_CONFIG_ERROR_IO ? VMI_ERR_IO : VMI_ERR_INVALID;
#ifdef ENABLE_KVM
    if (error->domain == QMP_ERROR)
        switch (error->code) {
        case QMP_ERROR_IO: return VMI_ERR_IO;
        case QMP_ERROR_TIMEOUT: return VMI_ERR_TIMEOUT;
        case QMP_ERROR_PROTOCOL: return VMI_ERR_CORRUPT;
        case QMP_ERROR_GONE: return VMI_ERR_GONE;
        default: return VMI_ERR_FAILED;
        }
    if (error->domain == GDB_CLIENT_ERROR)
        switch (error->code) {
        case GDB_CLIENT_ERROR_IO: return VMI_ERR_IO;
        case GDB_CLIENT_ERROR_TIMEOUT: return VMI_ERR_TIMEOUT;
        case GDB_CLIENT_ERROR_PROTOCOL: return VMI_ERR_CORRUPT;
        case GDB_CLIENT_ERROR_GONE: return VMI_ERR_GONE;
        case GDB_CLIENT_ERROR_NOT_FOUND: return VMI_ERR_NOT_FOUND;
        default: return VMI_ERR_FAILED;
        }
#endif
    return VMI_ERR_FAILED;
}

void vmi_set_error(vmi_instance_t vmi, GError *error)
{
    if (!error)
        return;
    g_debug("%s", error->message);
    vmi_error_code_t code = code_of(error);
    if (vmi) {
        g_free(vmi->last_error);
        vmi->last_error = g_strdup(error->message);
        vmi->last_error_code = code;
        vmi->error_serial++;
    } else {
        init_error_t *e = g_new0(init_error_t, 1);
        e->message = g_strdup(error->message);
        e->code = code;
        g_private_replace(&init_error, e);
    }
    g_error_free(error);
}

static void set_va(vmi_instance_t vmi, vmi_error_code_t code, const char *fmt, va_list ap)
{
    char *msg = g_strdup_vprintf(fmt, ap);
    vmi_set_error(vmi, g_error_new_literal(VMI_ERROR, code, msg));
    g_free(msg);
}

void vmi_errorf(vmi_instance_t vmi, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_va(vmi, VMI_ERR_FAILED, fmt, ap);
    va_end(ap);
}

void vmi_errorc(vmi_instance_t vmi, vmi_error_code_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_va(vmi, code, fmt, ap);
    va_end(ap);
}

void vmi_unsupported(vmi_instance_t vmi, const char *what)
{
    const char *driver = vmi && vmi->driver ? vmi->driver->name : "no";
    vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "%s is not supported by the %s access driver", what,
               driver);
}

const char *vmi_get_last_error(vmi_instance_t vmi)
{
    const char *msg = NULL;
    if (vmi) {
        msg = vmi->last_error;
    } else {
        init_error_t *e = g_private_get(&init_error);
        msg = e ? e->message : NULL;
    }
    return msg ? msg : "no error";
}

vmi_error_code_t vmi_get_last_error_code(vmi_instance_t vmi)
{
    if (vmi)
        return vmi->last_error ? vmi->last_error_code : VMI_ERR_NONE;
    init_error_t *e = g_private_get(&init_error);
    return e && e->message ? e->code : VMI_ERR_NONE;
}
