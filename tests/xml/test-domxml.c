/*
 * test-domxml.c - the domain-XML transformer against golden files, plus
 * refusals, status, malformed input and a fuzz loop.
 *
 * tests/xml/golden/NAME.in.xml is an input; beside it:
 *   NAME.enable-MODE.xml  (MODE: both, shm, gdbstub) the expected output of
 *                         enabling MODE with the default socket directory,
 *                         compared byte for byte;
 *   NAME.disable.xml      the expected result of disabling the input or any
 *                         enabled output (the input itself, unless the input
 *                         was enabled already);
 *   NAME.error.txt        a substring of the refusal when enabling both.
 * The expected outputs were produced by vmi-domxml and checked by reading
 * their diffs against the inputs.
 */
#include <string.h>
#include <glib.h>
#include <libxml/parser.h>
#include <libxml/c14n.h>
#include "vmi-domxml.h"

static const char *const modes[] = { "both", "shm", "gdbstub" };

static char *golden_dir(void)
{
    const char *top = g_getenv("top_srcdir");
    if (top && *top)
        return g_build_filename(top, "tests", "xml", "golden", NULL);
    /* standalone build: relative to this source file */
    g_autofree char *here = g_path_get_dirname(__FILE__);
    return g_build_filename(here, "golden", NULL);
}

/* The file's text, or NULL if it does not exist. */
static char *load_optional(const char *name, const char *suffix)
{
    g_autofree char *dir = golden_dir();
    g_autofree char *file = g_strconcat(name, suffix, NULL);
    g_autofree char *path = g_build_filename(dir, file, NULL);
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return text;
}

static char *load(const char *name, const char *suffix)
{
    char *text = load_optional(name, suffix);
    if (!text)
        g_error("cannot read golden file %s%s", name, suffix);
    return text;
}

/* Exclusive C14N with comments: equal for the same tree whatever the
 * quotes, attribute order or empty-element syntax. */
static char *canonical(const char *xml)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlChar *out = NULL;
    char *copy;

    g_assert_nonnull(doc);
    g_assert_cmpint(xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 1, &out), >=, 0);
    copy = g_strdup((const char *)out);
    xmlFree(out);
    xmlFreeDoc(doc);
    return copy;
}

static void assert_same_tree(const char *a, const char *b)
{
    g_autofree char *ca = canonical(a);
    g_autofree char *cb = canonical(b);
    g_assert_cmpstr(ca, ==, cb);
}

static vmi_domxml_mode_t mode_named(const char *name)
{
    vmi_domxml_mode_t mode = 0;
    g_assert_true(vmi_domxml_mode_from_string(name, &mode));
    return mode;
}

/* The UUID as the socket name spells it: lower case, with dashes. */
static char *uuid_of(const char *xml)
{
    const char *open = strstr(xml, "<uuid>");
    const char *close = open ? strstr(open, "</uuid>") : NULL;
    GString *hex = g_string_new(NULL);
    g_autofree char *digits = NULL;

    g_assert_nonnull(close);
    for (const char *p = open + 6; p < close; p++)
        if (g_ascii_isxdigit(*p))
            g_string_append_c(hex, g_ascii_tolower(*p));
    digits = g_string_free(hex, FALSE);
    g_assert_cmpuint(strlen(digits), ==, 32);
    return g_strdup_printf("%.8s-%.4s-%.4s-%.4s-%.12s", digits, digits + 8, digits + 12,
                           digits + 16, digits + 20);
}

static void test_golden(gconstpointer data)
{
    const char *name = data;
    g_autofree char *input = load(name, ".in.xml");
    g_autofree char *expected_disabled = load_optional(name, ".disable.xml");
    g_autofree char *refusal = load_optional(name, ".error.txt");
    g_autofree char *disabled = NULL;
    g_autoptr(GError) error = NULL;
    guint outputs = 0;

    if (!expected_disabled)
        expected_disabled = g_strdup(input);

    /* disabling the input: unchanged unless it was enabled */
    disabled = vmi_domxml_disable(input, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(disabled, ==, expected_disabled);

    for (guint i = 0; i < G_N_ELEMENTS(modes); i++) {
        g_autofree char *suffix = g_strdup_printf(".enable-%s.xml", modes[i]);
        g_autofree char *expected = load_optional(name, suffix);
        vmi_domxml_mode_t mode = mode_named(modes[i]);
        g_autofree char *enabled = NULL;
        g_autofree char *again = NULL;
        g_autofree char *undone = NULL;
        g_autofree char *socket = NULL;
        g_autofree char *uuid = NULL;
        g_autofree char *want_socket = NULL;
        vmi_domxml_mode_t status = 0;

        if (!expected)
            continue;
        outputs++;
        enabled = vmi_domxml_enable(input, mode, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(enabled, ==, expected);

        /* idempotent, byte for byte */
        again = vmi_domxml_enable(enabled, mode, VMI_DOMXML_DEFAULT_GDB_DIR, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(again, ==, enabled);

        /* status says what was enabled */
        g_assert_true(vmi_domxml_status(enabled, &status, &socket, &error));
        g_assert_no_error(error);
        g_assert_cmpint(status, ==, mode);
        uuid = uuid_of(enabled);
        want_socket = g_strdup_printf(VMI_DOMXML_DEFAULT_GDB_DIR "/%s.gdb.sock", uuid);
        if (mode & VMI_DOMXML_GDBSTUB)
            g_assert_cmpstr(socket, ==, want_socket);
        else
            g_assert_null(socket);

        /* disable undoes it: byte for byte, and as a tree */
        undone = vmi_domxml_disable(enabled, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(undone, ==, expected_disabled);
        assert_same_tree(undone, expected_disabled);
    }

    if (refusal) {
        g_autofree char *out = vmi_domxml_enable(input, VMI_DOMXML_SHM | VMI_DOMXML_GDBSTUB,
                                                 NULL, &error);
        g_assert_null(out);
        g_assert_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_UNSUPPORTED);
        g_strstrip(refusal);
        if (!strstr(error->message, refusal))
            g_error("refusal '%s' does not contain '%s'", error->message, refusal);
        g_clear_error(&error);
        outputs++;
    }
    /* a case with nothing to check is a broken golden directory */
    g_assert_cmpuint(outputs, >, 0);
}

static char *golden_input(const char *name)
{
    return load(name, ".in.xml");
}

/* ------------------------------------------------------------ behaviour */

static void test_mode_switch(void)
{
    g_autofree char *input = golden_input("debian12");
    g_autoptr(GError) error = NULL;
    g_autofree char *both = vmi_domxml_enable(input, 3, NULL, &error);
    g_autofree char *shm_from_both = NULL;
    g_autofree char *shm = NULL;
    g_autofree char *moved = NULL;
    g_autofree char *socket = NULL;
    vmi_domxml_mode_t status = 0;

    g_assert_no_error(error);
    shm_from_both = vmi_domxml_enable(both, VMI_DOMXML_SHM, NULL, &error);
    g_assert_no_error(error);
    shm = vmi_domxml_enable(input, VMI_DOMXML_SHM, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(shm_from_both, ==, shm);

    /* another socket directory replaces the old argument */
    moved = vmi_domxml_enable(both, 3, "/run/libvmi/", &error);
    g_assert_no_error(error);
    g_assert_null(strstr(moved, VMI_DOMXML_DEFAULT_GDB_DIR));
    g_assert_nonnull(strstr(moved, "'unix:/run/libvmi/4f2a9c1e-7b3d-4e8a-9f61-2c5d8e0b7a13"
                                   ".gdb.sock,server=on,wait=off'"));
    g_assert_true(vmi_domxml_status(moved, &status, &socket, &error));
    g_assert_cmpint(status, ==, 3);
    g_assert_cmpstr(socket, ==, "/run/libvmi/4f2a9c1e-7b3d-4e8a-9f61-2c5d8e0b7a13.gdb.sock");
}

static void test_status(void)
{
    g_autofree char *input = golden_input("minimal");
    g_autofree char *both = NULL;
    g_autofree char *socket = NULL;
    g_autoptr(GError) error = NULL;
    vmi_domxml_mode_t status = 7;
    char *cut;

    g_assert_true(vmi_domxml_status(input, &status, &socket, &error));
    g_assert_no_error(error);
    g_assert_cmpint(status, ==, 0);
    g_assert_null(socket);

    both = vmi_domxml_enable(input, 3, NULL, &error);
    g_assert_no_error(error);
    /* someone removed our -gdb argument by hand: only shm is left */
    cut = strstr(both, "<qemu:arg value='-gdb'/>");
    g_assert_nonnull(cut);
    memcpy(cut, "<qemu:arg value='-xxx'/>", strlen("<qemu:arg value='-xxx'/>"));
    g_assert_true(vmi_domxml_status(both, &status, &socket, &error));
    g_assert_cmpint(status, ==, VMI_DOMXML_SHM);
    g_assert_null(socket);

    /* optional outputs */
    g_assert_true(vmi_domxml_status(both, NULL, NULL, &error));
    g_assert_false(vmi_domxml_status("<domain", &status, &socket, &error));
    g_assert_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_MALFORMED);
}

static void assert_refused(const char *xml, vmi_domxml_mode_t mode, const char *dir,
                           int code, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *out = vmi_domxml_enable(xml, mode, dir, &error);

    if (out)
        g_error("not refused: %s", xml);
    g_assert_error(error, VMI_DOMXML_ERROR, code);
    if (!strstr(error->message, needle))
        g_error("error '%s' does not contain '%s'", error->message, needle);
}

#define DOMAIN_HEAD "<domain type='kvm'>\n  <name>x</name>\n" \
    "  <uuid>11111111-2222-4333-8444-555555555555</uuid>\n"

static void test_refusals(void)
{
    assert_refused("<domain type='xen'>\n  <name>x</name>\n</domain>\n", 3, NULL,
                   VMI_DOMXML_ERROR_UNSUPPORTED, "type is 'xen'");
    assert_refused("<domain>\n  <name>x</name>\n</domain>\n", VMI_DOMXML_SHM, NULL,
                   VMI_DOMXML_ERROR_UNSUPPORTED, "only 'kvm' and 'qemu'");
    assert_refused(DOMAIN_HEAD "  <memoryBacking>\n    <source type='anonymous'/>\n"
                   "    <access mode='private'/>\n  </memoryBacking>\n</domain>\n",
                   VMI_DOMXML_SHM, NULL, VMI_DOMXML_ERROR_UNSUPPORTED,
                   "<source type='anonymous'/>");
    assert_refused(DOMAIN_HEAD "  <memoryBacking>\n    <access mode='private'/>\n"
                   "  </memoryBacking>\n</domain>\n",
                   VMI_DOMXML_SHM, NULL, VMI_DOMXML_ERROR_UNSUPPORTED, "mode='private'");
    assert_refused(DOMAIN_HEAD "  <cpu>\n    <numa>\n      <cell id='0' cpus='0' memory='1' "
                   "memAccess='private'/>\n    </numa>\n  </cpu>\n</domain>\n",
                   VMI_DOMXML_SHM, NULL, VMI_DOMXML_ERROR_UNSUPPORTED, "memAccess='private'");
    assert_refused(DOMAIN_HEAD "  <qemu:commandline xmlns:qemu='" VMI_DOMXML_QEMU_NAMESPACE "'>\n"
                   "    <qemu:arg value='-s'/>\n  </qemu:commandline>\n</domain>\n",
                   VMI_DOMXML_GDBSTUB, NULL, VMI_DOMXML_ERROR_UNSUPPORTED, "value='-s'");
    assert_refused(DOMAIN_HEAD "</domain>\n", VMI_DOMXML_GDBSTUB, "relative/dir",
                   VMI_DOMXML_ERROR_INVALID_ARGUMENT, "not an absolute path");
    assert_refused(DOMAIN_HEAD "</domain>\n", VMI_DOMXML_GDBSTUB, "/a,b",
                   VMI_DOMXML_ERROR_INVALID_ARGUMENT, "comma");
    assert_refused(DOMAIN_HEAD "</domain>\n", VMI_DOMXML_GDBSTUB,
                   "/very/long/directory/name/that/does/not/fit/into/a/unix/socket/address/at/all",
                   VMI_DOMXML_ERROR_INVALID_ARGUMENT, "longer than the 107 bytes");
    assert_refused("<domain type='kvm'>\n  <name>x</name>\n</domain>\n", VMI_DOMXML_GDBSTUB,
                   NULL, VMI_DOMXML_ERROR_UNSUPPORTED, "no <uuid>");
    assert_refused("<domain type='kvm'><uuid>not-a-uuid</uuid></domain>", VMI_DOMXML_GDBSTUB,
                   NULL, VMI_DOMXML_ERROR_MALFORMED, "'not-a-uuid' is not a UUID");
    assert_refused(DOMAIN_HEAD "</domain>\n", 0, NULL, VMI_DOMXML_ERROR_INVALID_ARGUMENT,
                   "Unknown introspection mode 0");
    assert_refused(DOMAIN_HEAD "</domain>\n", 4, NULL, VMI_DOMXML_ERROR_INVALID_ARGUMENT,
                   "Unknown introspection mode 4");
    /* shm only needs nothing from the command line */
    {
        g_autoptr(GError) error = NULL;
        g_autofree char *out = vmi_domxml_enable(
            DOMAIN_HEAD "  <qemu:commandline xmlns:qemu='" VMI_DOMXML_QEMU_NAMESPACE "'>\n"
            "    <qemu:arg value='-gdb'/>\n    <qemu:arg value='tcp::1234'/>\n"
            "  </qemu:commandline>\n</domain>\n", VMI_DOMXML_SHM, NULL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(strstr(out, "<access mode='shared'/>"));
    }
}

static void test_malformed(void)
{
    static const struct {
        const char *xml;
        const char *needle;
    } cases[] = {
        { "<domain type='kvm'>\n  <name>x</name>\n  <uuid>y</name>\n</domain>\n",
          "line 3: Opening and ending tag mismatch" },
        { "", "not well-formed" },
        { "<domain type='kvm'><qemu:commandline/></domain>", "Namespace prefix qemu" },
        { "<network><name>default</name></network>", "root element is <network>" },
        { "<?xml version='1.0' encoding='ISO-8859-1'?><domain type='kvm'/>", "ISO-8859-1" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e1 = NULL;
        g_autoptr(GError) e2 = NULL;
        g_autofree char *enabled = vmi_domxml_enable(cases[i].xml, 3, NULL, &e1);
        g_autofree char *disabled = vmi_domxml_disable(cases[i].xml, &e2);

        g_assert_null(enabled);
        g_assert_null(disabled);
        g_assert_error(e1, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_MALFORMED);
        g_assert_error(e2, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_MALFORMED);
        if (!strstr(e1->message, cases[i].needle))
            g_error("error '%s' does not contain '%s'", e1->message, cases[i].needle);
    }
    {
        g_autoptr(GError) error = NULL;
        g_assert_null(vmi_domxml_disable(NULL, &error));
        g_assert_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_INVALID_ARGUMENT);
    }
}

/* Layouts the golden files do not show: compact XML, an empty
 * <memoryBacking/>, a taken "qemu" prefix, attribute escaping. */
static void test_layouts(void)
{
    static const char *const inputs[] = {
        "<domain type='qemu'><name>a</name><uuid>11111111-2222-4333-8444-555555555555</uuid>"
        "<memory>1</memory></domain>",
        DOMAIN_HEAD "  <memoryBacking/>\n  <metadata/>\n</domain>\n",
        "<domain type='kvm' xmlns:qemu='urn:other'>\n  <name>a&apos;b\"c&lt;</name>\n"
        "  <uuid> 11111111222243338444555555555555 </uuid>\n  <qemu:x/>\n</domain>\n",
    };
    for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *enabled = vmi_domxml_enable(inputs[i], 3, "/tmp/", &error);
        g_autofree char *again = NULL;
        g_autofree char *disabled = NULL;
        vmi_domxml_mode_t status = 0;
        g_autofree char *socket = NULL;

        g_assert_no_error(error);
        again = vmi_domxml_enable(enabled, 3, "/tmp", &error);
        g_assert_no_error(error);
        g_assert_cmpstr(again, ==, enabled);
        g_assert_true(vmi_domxml_status(enabled, &status, &socket, &error));
        g_assert_cmpint(status, ==, 3);
        g_assert_cmpstr(socket, ==, "/tmp/11111111-2222-4333-8444-555555555555.gdb.sock");
        disabled = vmi_domxml_disable(enabled, &error);
        g_assert_no_error(error);
        assert_same_tree(disabled, inputs[i]);
        if (i == 0) /* compact in, compact out */
            g_assert_null(strchr(enabled, '\n'));
        if (i == 2) /* the qemu prefix was taken: ours is another */
            g_assert_nonnull(strstr(enabled, "xmlns:qemu2='" VMI_DOMXML_QEMU_NAMESPACE "'"));
    }
}

/* ------------------------------------------------------------ fuzz */

static const char *const fuzz_tokens[] = {
    "<", ">", "/>", "'", "\"", "&", "&amp;", "&#x41;", "<!--", "-->", "<![CDATA[", "]]>",
    "<?pi x?>", "xmlns:qemu='" VMI_DOMXML_QEMU_NAMESPACE "'",
    "<memoryBacking>", "</memoryBacking>", "<hugepages/>", "<source type='file'/>",
    "<access mode='shared'/>", "<metadata>", "</metadata>",
    "<vmi:introspection xmlns:vmi='" VMI_DOMXML_NAMESPACE "' mode='shm+gdbstub' "
    "added-source='yes' gdb='/x' added-qemu-commandline='yes' added-metadata='yes'/>",
    "<qemu:commandline>", "</qemu:commandline>", "<qemu:arg value='-gdb'/>",
    "<qemu:arg value='unix:/x,server=on,wait=off'/>", "\n    ", "\t", " ",
    "<!DOCTYPE domain [<!ENTITY e 'ent'>]>", "&e;",
};

static void test_fuzz(void)
{
    g_autofree char *seed_text = golden_input("debian12");
    g_autofree char *seed_enabled = NULL;
    g_autoptr(GRand) rand = g_rand_new_with_seed(20240501);
    guint accepted = 0, idempotent = 0;
    g_autoptr(GError) error = NULL;

    seed_enabled = vmi_domxml_enable(seed_text, 3, NULL, &error);
    g_assert_no_error(error);

    for (guint round = 0; round < 5000; round++) {
        GString *s = g_string_new(round % 2 ? seed_text : seed_enabled);
        guint edits = (guint)g_rand_int_range(rand, 1, 5);
        g_autofree char *xml = NULL;
        g_autofree char *enabled = NULL;
        g_autofree char *disabled = NULL;
        g_autofree char *socket = NULL;
        g_autoptr(GError) e = NULL;
        vmi_domxml_mode_t status = 0;
        vmi_domxml_mode_t mode = (vmi_domxml_mode_t)g_rand_int_range(rand, 1, 4);

        for (guint k = 0; k < edits && s->len > 0; k++) {
            gsize at = (gsize)g_rand_int_range(rand, 0, (gint32)s->len);
            gsize want = (gsize)g_rand_int_range(rand, 1, 64);
            gsize span = MIN(s->len - at, want); /* MIN evaluates twice */
            switch (g_rand_int_range(rand, 0, 4)) {
            case 0: /* flip a byte, never to NUL */
                s->str[at] = (char)(g_rand_int_range(rand, 1, 256));
                break;
            case 1:
                g_string_erase(s, (gssize)at, (gssize)span);
                break;
            case 2: {
                g_autofree char *copy = g_strndup(s->str + at, span);
                g_string_insert(s, (gssize)g_rand_int_range(rand, 0, (gint32)s->len + 1), copy);
                break;
            }
            default:
                g_string_insert(s, (gssize)at,
                                fuzz_tokens[g_rand_int_range(rand, 0, G_N_ELEMENTS(fuzz_tokens))]);
            }
        }
        xml = g_string_free(s, FALSE);

        /* whatever happens, no crash; errors must come with a message */
        enabled = vmi_domxml_enable(xml, mode, NULL, &e);
        if (!enabled) {
            g_assert_nonnull(e);
            g_assert_nonnull(e->message);
            g_clear_error(&e);
            disabled = vmi_domxml_disable(xml, &e);
            g_assert_true((disabled == NULL) == (e != NULL));
            g_clear_error(&e);
            (void)vmi_domxml_status(xml, &status, &socket, &e);
            continue;
        }
        accepted++;
        /* an accepted domain comes out enabled, stays so, and disables */
        g_assert_true(vmi_domxml_status(enabled, &status, &socket, &e));
        g_assert_no_error(e);
        g_assert_cmpint(status, ==, mode);
        {
            g_autofree char *again = vmi_domxml_enable(enabled, mode, NULL, &e);
            g_assert_no_error(e);
            if (g_strcmp0(again, enabled) == 0)
                idempotent++;
            else
                g_error("round %u: enabling twice differs from once", round);
        }
        disabled = vmi_domxml_disable(enabled, &e);
        g_assert_no_error(e);
        g_assert_nonnull(disabled);
    }
    g_test_message("fuzz: %u of 5000 mutants accepted, all idempotent", accepted);
    g_assert_cmpuint(accepted, ==, idempotent);
    /* the loop must exercise both paths */
    g_assert_cmpuint(accepted, >, 50);
    g_assert_cmpuint(accepted, <, 4950);
}

/* ------------------------------------------------------------ main */

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Found by fuzz/fuzz-domxml.c: a <metadata> or <memoryBacking> holding
 * only a comment (no element) lost the comment when our element went in,
 * and disabling did not bring it back. */
static void test_comments_kept(void)
{
    static const char xml[] =
        "<domain type='kvm'>\n"
        "  <name>c</name>\n"
        "  <uuid>3c9a1f40-2e8b-4d57-b6a3-0f1e2d3c4b5a</uuid>\n"
        "  <metadata><!-- the owner: team A --></metadata>\n"
        "  <memory unit='KiB'>1048576</memory>\n"
        "  <memoryBacking><!-- no hugepages here --></memoryBacking>\n"
        "  <devices/>\n"
        "</domain>\n";
    g_autoptr(GError) error = NULL;
    g_autofree char *enabled = vmi_domxml_enable(xml, VMI_DOMXML_SHM, NULL, &error);
    g_autofree char *disabled = NULL;

    g_assert_no_error(error);
    g_assert_nonnull(strstr(enabled, "<!-- the owner: team A -->"));
    g_assert_nonnull(strstr(enabled, "<!-- no hugepages here -->"));
    g_assert_nonnull(strstr(enabled, "<source type="));
    disabled = vmi_domxml_disable(enabled, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(disabled, "<metadata><!-- the owner: team A -->"));
    g_assert_nonnull(strstr(disabled, "<memoryBacking><!-- no hugepages here -->"));
    g_assert_null(strstr(disabled, "vmi:introspection"));
    g_assert_null(strstr(disabled, "<source"));
}

int main(int argc, char **argv)
{
    g_autofree char *dir = golden_dir();
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) listing = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *entry;

    g_test_init(&argc, &argv, NULL);

    listing = g_dir_open(dir, 0, &error);
    if (!listing)
        g_error("cannot list the golden files: %s", error->message);
    while ((entry = g_dir_read_name(listing)))
        if (g_str_has_suffix(entry, ".in.xml"))
            g_ptr_array_add(names, g_strndup(entry, strlen(entry) - strlen(".in.xml")));
    g_ptr_array_sort(names, compare_names);
    if (names->len == 0)
        g_error("no golden cases in %s", dir);

    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_strdup_printf("/domxml/golden/%s",
                                                (const char *)g_ptr_array_index(names, i));
        g_test_add_data_func(path, g_ptr_array_index(names, i), test_golden);
    }
    g_test_add_func("/domxml/mode-switch", test_mode_switch);
    g_test_add_func("/domxml/status", test_status);
    g_test_add_func("/domxml/refusals", test_refusals);
    g_test_add_func("/domxml/malformed", test_malformed);
    g_test_add_func("/domxml/layouts", test_layouts);
    g_test_add_func("/domxml/fuzz", test_fuzz);
    g_test_add_func("/domxml/comments-kept", test_comments_kept);
    return g_test_run();
}
