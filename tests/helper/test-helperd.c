/*
 * test-helperd.c - vmi-helperd's tables, hermetically (no bus, no libvirt,
 * no guest): the Domain method table against dbus/org.libvmi.helper1.Domain.xml
 * (every method of the XML has exactly one entry, with the XML's argument
 * signature, and no entry is missing from the XML), the table check itself
 * on interfaces made to differ, and the argument check.
 */
#include <string.h>

#include "helperd.h"
#include "helperd-interfaces.h"

/* The daemon's main-loop state lives in vmi-helperd.c, which is not linked. */
Helperd helperd;

static GDBusInterfaceInfo *iface_of(const char *xml, const char *name)
{
    g_autoptr(GError) e = NULL;
    GDBusNodeInfo *node = g_dbus_node_info_new_for_xml(xml, &e);
    g_assert_no_error(e);
    GDBusInterfaceInfo *info = g_dbus_node_info_lookup_interface(node, name);
    g_assert_nonnull(info);
    g_dbus_interface_info_ref(info);
    g_dbus_node_info_unref(node);
    return info;
}

/* The real table against the compiled-in XML and against the file in the
 * source tree (the same text, installed for clients). */
static void test_domain_table(void)
{
    g_autoptr(GError) e = NULL;
    GDBusInterfaceInfo *info = iface_of(helperd_domain_xml, HELPERD_DOMAIN_IFACE);
    g_assert_true(helperd_iface_domain_check(info, &e));
    g_assert_no_error(e);
    g_dbus_interface_info_unref(info);

    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(SRCDIR "/dbus/org.libvmi.helper1.Domain.xml", &text, NULL,
                                      &e));
    info = iface_of(text, HELPERD_DOMAIN_IFACE);
    g_assert_true(helperd_iface_domain_check(info, &e));
    g_assert_no_error(e);
    g_dbus_interface_info_unref(info);
}

static const char test_xml[] =
    "<node><interface name='t.I'>"
    "<method name='A'><arg name='x' type='t' direction='in'/><arg name='y' type='u' direction='in'/>"
    "<arg name='r' type='ay' direction='out'/></method>"
    "<method name='B'/>"
    "</interface></node>";

static void expect_mismatch(const char *const *names, const char *const *sigs, size_t n,
                            const char *words)
{
    g_autoptr(GError) e = NULL;
    GDBusInterfaceInfo *info = iface_of(test_xml, "t.I");
    g_assert_false(helperd_methods_match(info, names, sigs, n, &e));
    g_assert_nonnull(e);
    if (!strstr(e->message, words))
        g_error("'%s' does not say '%s'", e->message, words);
    g_dbus_interface_info_unref(info);
}

static void test_match(void)
{
    g_autoptr(GError) e = NULL;
    GDBusInterfaceInfo *info = iface_of(test_xml, "t.I");
    const char *names[] = { "A", "B", "C" }, *sigs[] = { "(tu)", "()", "()" };
    g_assert_true(helperd_methods_match(info, names, sigs, 2, &e));
    g_assert_no_error(e);
    g_dbus_interface_info_unref(info);

    /* an entry the XML lacks */
    expect_mismatch(names, sigs, 3, "the method table has C, the interface XML has not");
    /* a method of the XML without its entry */
    expect_mismatch(names, sigs, 1, "the interface XML has B, the method table has not");
    /* out-arguments do not count, in-arguments must be the same */
    const char *wrong[] = { "(tuay)", "()" };
    expect_mismatch(names, wrong, 2, "expects arguments (tuay), the interface XML says (tu)");
    /* one method, two entries */
    const char *twice[] = { "A", "B", "A" }, *tsigs[] = { "(tu)", "()", "(tu)" };
    expect_mismatch(twice, tsigs, 3, "has A twice");
}

static void test_args(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GVariant) ok = g_variant_ref_sink(g_variant_new("(tu)", (guint64)1, 2u));
    g_autoptr(GVariant) bad = g_variant_ref_sink(g_variant_new("(ti)", (guint64)1, 2));
    g_assert_true(helperd_method_args_check("ReadPhysical", "(tu)", ok, &e));
    g_assert_no_error(e);
    g_assert_true(helperd_method_args_check("Pause", "()", NULL, &e));
    g_assert_no_error(e);
    g_assert_false(helperd_method_args_check("ReadPhysical", "(tu)", bad, &e));
    g_assert_error(e, HELPERD_ERROR, HELPERD_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(e->message, "ReadPhysical takes arguments of type (tu), not (ti)"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/helperd/methods/domain-table", test_domain_table);
    g_test_add_func("/helperd/methods/match", test_match);
    g_test_add_func("/helperd/methods/args", test_args);
    return g_test_run();
}
