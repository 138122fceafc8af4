/*
 * helperd-methods.c - vmi-helperd: a method table against its interface.
 *
 * Each interface has one method table (helperd-iface.c for Domain,
 * vmi-helperd.c for Manager and ObjectManager); the interface XML in dbus/
 * is the source of the names and signatures.  The daemon checks every
 * table against the compiled-in XML when it starts and refuses to run when
 * they differ, so a method added to one and not the other cannot ship.
 */
#include <string.h>

#include "helperd.h"

/* The in-arguments of @m as a tuple type, e.g. "(tu)". */
static char *in_signature(const GDBusMethodInfo *m)
{
    GString *s = g_string_new("(");
    for (GDBusArgInfo **a = m->in_args; a && *a; a++)
        g_string_append(s, (*a)->signature);
    g_string_append_c(s, ')');
    return g_string_free(s, FALSE);
}

gboolean helperd_methods_match(GDBusInterfaceInfo *info, const char *const *names,
                               const char *const *signatures, size_t n, GError **error)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: the method table "
                            "has %s twice", info->name, names[i]);
                return FALSE;
            }
        GDBusMethodInfo *m = g_dbus_interface_info_lookup_method(info, names[i]);
        if (!m) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: the method table has "
                        "%s, the interface XML has not", info->name, names[i]);
            return FALSE;
        }
        g_autofree char *want = in_signature(m);
        if (strcmp(want, signatures[i]) != 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s.%s: the method table "
                        "expects arguments %s, the interface XML says %s", info->name,
                        names[i], signatures[i], want);
            return FALSE;
        }
    }
    for (GDBusMethodInfo **m = info->methods; m && *m; m++) {
        size_t i = 0;
        while (i < n && strcmp(names[i], (*m)->name) != 0)
            i++;
        if (i == n) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: the interface XML has "
                        "%s, the method table has not", info->name, (*m)->name);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean helperd_method_args_check(const char *method, const char *signature, GVariant *params,
                                   GError **error)
{
    const char *got = params ? g_variant_get_type_string(params) : "()";
    if (g_variant_type_string_is_valid(signature) && strcmp(got, signature) == 0)
        return TRUE;
    g_set_error(error, HELPERD_ERROR, HELPERD_ERROR_INVALID_ARGUMENT, "%s takes arguments of "
                "type %s, not %s.", method, signature, got);
    return FALSE;
}
