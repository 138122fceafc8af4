/*
 * test-helperd.c - vmi-helperd's tables, hermetically (no bus, no libvirt,
 * no guest): the Domain method table against dbus/org.libvmi.helper1.Domain.xml
 * (every method of the XML has exactly one entry, with the XML's argument
 * signature, and no entry is missing from the XML), the table check itself
 * on interfaces made to differ, the argument check, and the error table
 * (libvmi's kinds and libvirt's codes to the documented D-Bus errors), and
 * the tables of the Domain operations that vmi-helperd and virt-vmi share
 * (vmi-domain-ops.c) against the names Domain.xml documents.
 */
#include <string.h>
#include <libvirt/virterror.h>

#include "helperd.h"
#include "helperd-interfaces.h"
#include "vmi-domain-ops.h"

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

/* The doc string of @what in Domain.xml's Domain interface: a method's
 * out-argument ("GetRegisters/registers") or a property ("PageMode"). */
static char *doc_of(const char *what)
{
    GDBusInterfaceInfo *info = iface_of(helperd_domain_xml, HELPERD_DOMAIN_IFACE);
    g_auto(GStrv) parts = g_strsplit(what, "/", 2);
    GDBusAnnotationInfo **ann = NULL;
    if (parts[1]) {
        GDBusMethodInfo *m = g_dbus_interface_info_lookup_method(info, parts[0]);
        g_assert_nonnull(m);
        for (GDBusArgInfo **a = m->out_args; a && *a; a++)
            if (strcmp((*a)->name, parts[1]) == 0)
                ann = (*a)->annotations;
    } else {
        GDBusPropertyInfo *p = g_dbus_interface_info_lookup_property(info, parts[0]);
        g_assert_nonnull(p);
        ann = p->annotations;
    }
    char *doc = g_strdup(g_dbus_annotation_info_lookup(ann, "org.gtk.GDBus.DocString"));
    g_assert_nonnull(doc);
    g_dbus_interface_info_unref(info);
    return doc;
}

/* The "quoted" words of @doc. */
static GHashTable *quoted(const char *doc)
{
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GRegex) re = g_regex_new("\"([a-z0-9_]+)\"", 0, 0, NULL);
    g_autoptr(GMatchInfo) mi = NULL;
    for (g_regex_match(re, doc, 0, &mi); g_match_info_matches(mi); g_match_info_next(mi, NULL))
        g_hash_table_add(set, g_match_info_fetch(mi, 1));
    return set;
}

/* GetRegisters: the shared table has every register name the interface
 * documents, and documents every name it has (the daemon's and virt-vmi's
 * tables had drifted apart before there was one). */
static void test_register_names(void)
{
    g_autofree char *doc = doc_of("GetRegisters/registers");
    g_autoptr(GHashTable) documented = quoted(doc);
    g_autoptr(GHashTable) table = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) regs = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (size_t i = 0; i < vmi_domops_n_registers; i++) {
        const vmi_domops_register_t *r = &vmi_domops_registers[i];
        g_assert_nonnull(r->name64);
        g_hash_table_add(table, (gpointer)r->name64);
        if (r->name32)
            g_hash_table_add(table, (gpointer)r->name32);
        /* one name per register and bitness */
        g_assert_false(g_hash_table_contains(regs, GINT_TO_POINTER(r->reg + 1)));
        g_hash_table_add(regs, GINT_TO_POINTER(r->reg + 1));
    }
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, documented);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (!g_hash_table_contains(table, k))
            g_error("Domain.xml documents register \"%s\", the shared table lacks it",
                    (const char *)k);
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (!g_hash_table_contains(documented, k))
            g_error("the shared table has register \"%s\", Domain.xml does not document it",
                    (const char *)k);
}

/* OSType and PageMode: every name the shared code gives is documented. */
static void test_property_names(void)
{
    g_autofree char *pm_doc = doc_of("PageMode");
    g_autofree char *os_doc = doc_of("OSType");
    g_autoptr(GHashTable) pm = quoted(pm_doc);
    g_autoptr(GHashTable) os = quoted(os_doc);
    for (int m = VMI_PM_UNKNOWN; m <= VMI_PM_LA57 + 1; m++)
        g_assert_true(g_hash_table_contains(pm, vmi_domops_page_mode_name((page_mode_t)m)));
    for (int o = VMI_OS_UNKNOWN; o <= VMI_OS_WINDOWS + 1; o++)
        g_assert_true(g_hash_table_contains(os, vmi_domops_os_name((os_t)o)));
    g_assert_cmpstr(vmi_domops_page_mode_name(VMI_PM_LA57), ==, "la57");
    g_assert_cmpstr(vmi_domops_os_name(VMI_OS_LINUX), ==, "linux");
}

/* The argument checks, without a guest. */
static void test_domops_checks(void)
{
    g_autoptr(GError) e = NULL;
    g_assert_true(vmi_domops_check_range("d", G_MAXUINT64, 1, &e));
    g_assert_true(vmi_domops_check_range("d", 0, 0, &e));
    g_assert_false(vmi_domops_check_range("d", G_MAXUINT64, 2, &e));
    g_assert_error(e, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_ARGUMENT);
    g_assert_nonnull(strstr(e->message, "Domain 'd': 2 bytes at 0xffffffffffffffff run past"));
    g_clear_error(&e);
    g_assert_true(vmi_domops_check_len("d", 16, 16, "a read", "", &e));
    g_assert_false(vmi_domops_check_len("d", 17, 16, "a read", "; hint", &e));
    g_assert_error(e, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_TOO_LARGE);
    g_assert_nonnull(strstr(e->message, "a read of 17 bytes exceeds the limit of 16 bytes per "
                                        "call; hint."));
    g_clear_error(&e);
    g_assert_false(vmi_domops_check_symbol("d", "", &e));
    g_assert_error(e, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_ARGUMENT);
    g_clear_error(&e);
    g_autofree char *longname = g_strnfill(VMI_DOMOPS_MAX_SYMBOL + 1, 'a');
    g_assert_false(vmi_domops_check_symbol("d", longname, &e));
    g_clear_error(&e);
    longname[VMI_DOMOPS_MAX_SYMBOL] = '\0';
    g_assert_true(vmi_domops_check_symbol("d", longname, &e));
    /* a negative pid is refused before the guest is asked */
    g_assert_false(vmi_domops_check_pid(NULL, "d", -1, &e));
    g_assert_error(e, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_ARGUMENT);
}

/* Defect 7: the INLINE rule (helperd-worker.h) in the real table: only
 * bounded work may run on the main thread; a pid other than 0 (a task-list
 * walk), a big read, a symbol (the System.map), a process list, registers
 * (a peer) go to the worker. */
static void test_inline_rule(void)
{
    struct { const char *method; GVariant *params; gboolean inl; } c[] = {
        { "ReadPhysical", g_variant_new("(tu)", (guint64)4096, 4096u), TRUE },
        { "ReadPhysical", g_variant_new("(tu)", (guint64)4096, HELPERD_INLINE_MAX_READ), TRUE },
        { "ReadPhysical", g_variant_new("(tu)", (guint64)4096, HELPERD_INLINE_MAX_READ + 1), FALSE },
        { "ReadPhysical", g_variant_new("(tu)", (guint64)0, 16u << 20), FALSE },
        { "ReadVirtual", g_variant_new("(tiu)", (guint64)0xffffffff81000000, 0, 4096u), TRUE },
        { "ReadVirtual", g_variant_new("(tiu)", (guint64)0x400000, 1, 8u), FALSE },
        { "ReadVirtual", g_variant_new("(tiu)", (guint64)0xffffffff81000000, 0, 1u << 20), FALSE },
        { "TranslateKernel", g_variant_new("(t)", (guint64)0xffffffff81000000), TRUE },
        { "TranslateUser", g_variant_new("(ti)", (guint64)0x400000, 0), TRUE },
        { "TranslateUser", g_variant_new("(ti)", (guint64)0x400000, 4242), FALSE },
        { "ReadSymbol", g_variant_new("(su)", "linux_banner", 8u), FALSE },
        { "LookupSymbol", g_variant_new("(s)", "linux_banner"), FALSE },
        { "ListProcesses", g_variant_new("()"), FALSE },
        { "GetRegisters", g_variant_new("(u)", 0u), FALSE },
        { "Pause", g_variant_new("()"), FALSE },
        { "Watch", g_variant_new("(ts)", (guint64)0xffffffff81000000, "w"), FALSE },
        { "OpenMemory", g_variant_new("()"), FALSE },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(c); i++) {
        g_variant_ref_sink(c[i].params);
        if (helperd_iface_domain_inline(c[i].method, c[i].params) != c[i].inl)
            g_error("%s%s: inline should be %d", c[i].method, g_variant_print(c[i].params, FALSE),
                    c[i].inl);
        g_variant_unref(c[i].params);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/helperd/methods/domain-table", test_domain_table);
    g_test_add_func("/helperd/methods/match", test_match);
    g_test_add_func("/helperd/methods/args", test_args);
    g_test_add_func("/helperd/methods/inline-rule", test_inline_rule);
    g_test_add_func("/helperd/errors/kinds", test_error_kinds);
    g_test_add_func("/helperd/errors/names", test_error_names);
    g_test_add_func("/domops/register-names", test_register_names);
    g_test_add_func("/domops/property-names", test_property_names);
    g_test_add_func("/domops/checks", test_domops_checks);
    return g_test_run();
}
