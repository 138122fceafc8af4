/*
 * errors.c - the reason behind a failure: kept on the instance (or, for a
 * failed init, per thread), logged to the "libvmi" log domain, never
 * printed on stdout.
 */
#include <stdarg.h>
#include <stdio.h>
#include "private.h"

G_DEFINE_QUARK(vmi-error-quark, vmi_error)

/* The reason a vmi_init* failed, when there is no instance to carry it. */
static GPrivate init_error = G_PRIVATE_INIT(g_free);

void vmi_set_error(vmi_instance_t vmi, GError *error)
{
    if (!error)
        return;
    g_debug("%s", error->message);
    if (vmi) {
        g_free(vmi->last_error);
        vmi->last_error = g_strdup(error->message);
    } else {
        g_private_replace(&init_error, g_strdup(error->message));
    }
    g_error_free(error);
}

void vmi_errorf(vmi_instance_t vmi, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    vmi_set_error(vmi, g_error_new_literal(VMI_ERROR, VMI_ERROR_FAILED, msg));
    g_free(msg);
}

void vmi_unsupported(vmi_instance_t vmi, const char *what)
{
    const char *driver = vmi && vmi->driver ? vmi->driver->name : "no";
    vmi_errorf(vmi, "%s is not supported by the %s access driver", what, driver);
}

const char *vmi_get_last_error(vmi_instance_t vmi)
{
    const char *msg = vmi ? vmi->last_error : g_private_get(&init_error);
    return msg ? msg : "no error";
}
