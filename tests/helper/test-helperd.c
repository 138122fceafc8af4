/*
 * test-helperd.c - vmi-helperd's tables, hermetically (no bus, no libvirt,
 * no guest): the Domain method table against dbus/org.libvmi.helper1.Domain.xml
 * (every method of the XML has exactly one entry, with the XML's argument
 * signature, and no entry is missing from the XML), the table check itself
 * on interfaces made to differ, the argument check, and the error table
 * (libvmi's kinds and libvirt's codes to the documented D-Bus errors).
 */
#include <string.h>
#include <libvirt/virterror.h>

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

/* Every libvmi kind has its row; the kinds that say whose fault it is. */
static void test_error_kinds(void)
{
    for (int k = VMI_ERR_NONE; k <= VMI_ERR_TIMEOUT; k++) {
        HelperdError v = helperd_error_from_vmi((vmi_error_code_t)k, TRUE);
        HelperdError o = helperd_error_from_vmi((vmi_error_code_t)k, FALSE);
        g_assert_cmpint(v, <=, HELPERD_ERROR_FAILED);
        /* a step that used none of the caller's values never blames them */
        g_assert_cmpint(o, !=, HELPERD_ERROR_INVALID_ARGUMENT);
    }
    g_assert_cmpint(helperd_error_from_vmi(VMI_ERR_GONE, TRUE), ==, HELPERD_ERROR_DOMAIN_GONE);
    g_assert_cmpint(helperd_error_from_vmi(VMI_ERR_GONE, FALSE), ==, HELPERD_ERROR_DOMAIN_GONE);
    g_assert_cmpint(helperd_error_from_vmi(VMI_ERR_NOT_FOUND, TRUE), ==,
                    HELPERD_ERROR_INVALID_ARGUMENT);
    g_assert_cmpint(helperd_error_from_vmi(VMI_ERR_NOT_FOUND, FALSE), ==, HELPERD_ERROR_FAILED);
    g_assert_cmpint(helperd_error_from_vmi(VMI_ERR_UNSUPPORTED, TRUE), ==,
                    HELPERD_ERROR_INVALID_ARGUMENT);
    /* I/O, timeouts, corrupt answers: the guest's or the hypervisor's side */
    g_assert_cmpint(helperd_error_from_vmi(VMI_ERR_IO, TRUE), ==, HELPERD_ERROR_FAILED);
    g_assert_cmpint(helperd_error_from_vmi(VMI_ERR_TIMEOUT, TRUE), ==, HELPERD_ERROR_FAILED);
    g_assert_cmpint(helperd_error_from_vmi(VMI_ERR_CORRUPT, TRUE), ==, HELPERD_ERROR_FAILED);
    /* a kind newer than the table */
    g_assert_cmpint(helperd_error_from_vmi((vmi_error_code_t)999, TRUE), ==, HELPERD_ERROR_FAILED);

    g_assert_cmpint(helperd_error_from_virt_code(VIR_ERR_NO_DOMAIN, HELPERD_ERROR_FAILED), ==,
                    HELPERD_ERROR_DOMAIN_GONE);
    /* the others are the call's own */
    g_assert_cmpint(helperd_error_from_virt_code(VIR_ERR_OPERATION_INVALID,
                                                 HELPERD_ERROR_INVALID_ARGUMENT), ==,
                    HELPERD_ERROR_INVALID_ARGUMENT);
    g_assert_cmpint(helperd_error_from_virt_code(VIR_ERR_INTERNAL_ERROR, HELPERD_ERROR_FAILED), ==,
                    HELPERD_ERROR_FAILED);
}

/* The D-Bus names of HelperdError are those the interface documents (the
 * error list at the top of Domain.xml), each of them, and no other. */
static void test_error_names(void)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) e = NULL;
    g_assert_true(g_file_get_contents(SRCDIR "/dbus/org.libvmi.helper1.Domain.xml", &text, NULL,
                                      &e));
    g_autoptr(GHashTable) documented = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GRegex) re = g_regex_new("^    (org\\.libvmi\\.helper1\\.Error\\.[A-Za-z]+) ",
                                       G_REGEX_MULTILINE, 0, NULL);
    g_autoptr(GMatchInfo) mi = NULL;
    for (g_regex_match(re, text, 0, &mi); g_match_info_matches(mi); g_match_info_next(mi, NULL))
        g_hash_table_add(documented, g_match_info_fetch(mi, 1));
    g_assert_cmpuint(g_hash_table_size(documented), ==, HELPERD_ERROR_FAILED + 1);
    for (int c = 0; c <= HELPERD_ERROR_FAILED; c++) {
        g_autoptr(GError) ge = g_error_new_literal(HELPERD_ERROR, c, "x");
        g_autofree char *name = g_dbus_error_encode_gerror(ge);
        if (!g_hash_table_contains(documented, name))
            g_error("%s is not documented in Domain.xml", name);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/helperd/methods/domain-table", test_domain_table);
    g_test_add_func("/helperd/methods/match", test_match);
    g_test_add_func("/helperd/methods/args", test_args);
    g_test_add_func("/helperd/errors/kinds", test_error_kinds);
    g_test_add_func("/helperd/errors/names", test_error_names);
    return g_test_run();
}
