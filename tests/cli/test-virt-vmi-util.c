/*
 * test-virt-vmi-util.c - the parts of virt-vmi that need no peer: numbers,
 * the option parser, the hex dump layout, error names -> exit codes.
 */
#include <string.h>

#include "virt-vmi-util.h"

static void
test_numbers(void)
{
    guint64 v = 0;
    gint32 pid = 0;

    g_assert_true(vv_parse_u64("0", &v) && v == 0);
    g_assert_true(vv_parse_u64("4096", &v) && v == 4096);
    g_assert_true(vv_parse_u64("0x1000", &v) && v == 0x1000);
    g_assert_true(vv_parse_u64("0XFFFFFFFF82000000", &v) && v == 0xffffffff82000000ull);
    g_assert_true(vv_parse_u64("0xffffffffffffffff", &v) && v == G_MAXUINT64);
    g_assert_false(vv_parse_u64("0x10000000000000000", &v));   /* overflow */
    g_assert_false(vv_parse_u64("18446744073709551616", &v));
    g_assert_false(vv_parse_u64("", &v));
    g_assert_false(vv_parse_u64("0x", &v));
    g_assert_false(vv_parse_u64("-1", &v));
    g_assert_false(vv_parse_u64(" 1", &v));
    g_assert_false(vv_parse_u64("+1", &v));
    g_assert_false(vv_parse_u64("12abc", &v));
    g_assert_false(vv_parse_u64("abc", &v));
    g_assert_false(vv_parse_u64(NULL, &v));
    g_assert_true(vv_parse_u64_max("0x10", 16, &v) && v == 16);
    g_assert_false(vv_parse_u64_max("17", 16, &v));
    g_assert_true(vv_parse_pid("0x2a", &pid) && pid == 42);
    g_assert_true(vv_parse_pid("2147483647", &pid) && pid == G_MAXINT32);
    g_assert_false(vv_parse_pid("2147483648", &pid));
}

static void
test_hexdump(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    const guint8 banner[] = "Linux version 6.1.0 (x)";   /* 23 bytes + NUL */

    vv_hexdump(out, 0xffffffff82000100ull, banner, sizeof(banner));
    g_assert_cmpstr(out->str, ==,
        "ffffffff82000100  4c 69 6e 75 78 20 76 65  72 73 69 6f 6e 20 36 2e  |Linux version 6.|\n"
        "ffffffff82000110  31 2e 30 20 28 78 29 00                           |1.0 (x).|\n");

    g_string_truncate(out, 0);
    vv_hexdump(out, 0, (const guint8 *)"\x01\xff", 2);
    g_assert_cmpstr(out->str, ==,
        "0000000000000000  01 ff                                             |..|\n");
    /* A full line: address, blank, 16 bytes " xx" and the middle blank, 2, |text|. */
    g_string_truncate(out, 0);
    vv_hexdump(out, 0x1000, banner, 16);
    g_assert_cmpuint(strlen(out->str), ==, 16 + 1 + 16 * 3 + 1 + 2 + 18 + 1);

    g_string_truncate(out, 0);
    vv_hexdump(out, 0, NULL, 0);
    g_assert_cmpstr(out->str, ==, "");
}

static void
test_hex_string(void)
{
    g_autofree char *hex = vv_hex_string((const guint8 *)"\x00\x01\xab\xff", 4);

    g_assert_cmpstr(hex, ==, "0001abff");
}

static const vv_option_t global_table[] = {
    { "connect", 'c', VV_OPT_VALUE, "URI", "" },
    { "json", 'j', VV_OPT_FLAG, NULL, "" },
    { NULL },
};
static const vv_option_t read_table[] = {
    { "pa", 0, VV_OPT_VALUE, "ADDR", "" },
    { "len", 'l', VV_OPT_VALUE, "N", "" },
    { "raw", 0, VV_OPT_FLAG, NULL, "" },
    { NULL },
};

static vv_args_t *
parse(const char *line, GError **error)
{
    const vv_option_t *const tables[] = { global_table, read_table, NULL };
    g_auto(GStrv) argv = NULL;
    int argc = 0;

    if (line[0] != '\0')
        g_assert_true(g_shell_parse_argv(line, &argc, &argv, NULL));
    return vv_parse_args(argc, argv, tables, error);
}

static void
test_options(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vv_args_t) a = parse("dom --pa 0x1000 --len=16 -j --raw -c test:///default", &error);

    g_assert_no_error(error);
    g_assert_cmpuint(a->args->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(a->args, 0), ==, "dom");
    g_assert_cmpstr(vv_args_get(a, "pa"), ==, "0x1000");
    g_assert_cmpstr(vv_args_get(a, "len"), ==, "16");
    g_assert_cmpstr(vv_args_get(a, "connect"), ==, "test:///default");
    g_assert_true(vv_args_has(a, "json"));
    g_assert_true(vv_args_has(a, "raw"));
    g_assert_null(vv_args_get(a, "nothing"));
    g_clear_pointer(&a, vv_args_free);

    /* "--" ends the options; "-" is an argument */
    a = parse("-l 4 -- --pa -", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(a->args->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(a->args, 0), ==, "--pa");
    g_assert_cmpstr(vv_args_get(a, "len"), ==, "4");
    g_clear_pointer(&a, vv_args_free);

    a = parse("--bogus", &error);
    g_assert_null(a);
    g_assert_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION);
    g_clear_error(&error);
    a = parse("--len", &error);
    g_assert_null(a);
    g_assert_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
    g_clear_error(&error);
    a = parse("--raw=1", &error);
    g_assert_null(a);
    g_assert_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
    g_clear_error(&error);
    a = parse("-x", &error);
    g_assert_null(a);
    g_clear_error(&error);
    /* a negative number is not an option bundle */
    a = parse("-12", &error);
    g_assert_null(a);
    g_clear_error(&error);
}

static void
test_exit_codes(void)
{
    g_assert_cmpint(vv_exit_for_dbus_error("org.freedesktop.DBus.Error.AccessDenied"), ==, VV_EXIT_DENIED);
    g_assert_cmpint(vv_exit_for_dbus_error("org.freedesktop.DBus.Error.ServiceUnknown"), ==, VV_EXIT_NO_HELPER);
    g_assert_cmpint(vv_exit_for_dbus_error("org.freedesktop.DBus.Error.NameHasNoOwner"), ==, VV_EXIT_NO_HELPER);
    g_assert_cmpint(vv_exit_for_dbus_error("org.freedesktop.DBus.Error.UnknownObject"), ==, VV_EXIT_NO_DOMAIN);
    g_assert_cmpint(vv_exit_for_dbus_error("org.libvmi.helper1.Error.AccessDenied"), ==, VV_EXIT_DENIED);
    g_assert_cmpint(vv_exit_for_dbus_error("org.libvmi.helper1.Error.WritesDisabled"), ==, VV_EXIT_DENIED);
    g_assert_cmpint(vv_exit_for_dbus_error("org.libvmi.helper1.Error.DomainGone"), ==, VV_EXIT_NO_DOMAIN);
    g_assert_cmpint(vv_exit_for_dbus_error("org.libvmi.helper1.Error.NotIntrospectable"), ==, VV_EXIT_FAILED);
    g_assert_cmpint(vv_exit_for_dbus_error("org.libvmi.helper1.Error.TooLarge"), ==, VV_EXIT_FAILED);
    g_assert_cmpint(vv_exit_for_dbus_error("org.libvmi.helper1.Error.InvalidArgument"), ==, VV_EXIT_FAILED);
    g_assert_cmpint(vv_exit_for_dbus_error("com.example.Whatever"), ==, VV_EXIT_FAILED);
    g_assert_cmpint(vv_exit_for_dbus_error(NULL), ==, VV_EXIT_FAILED);
}

/* Guest text for a terminal: nothing but printable ASCII comes out. */
static void
test_escape(void)
{
    struct { const char *in, *out; } c[] = {
        { "init", "init" },
        { "\x1b[31mRED\x1b[0m", "\\x1b[31mRED\\x1b[0m" },
        { "a\nb\rc\td\x7f", "a\\x0ab\\x0dc\\x09d\\x7f" },
        { "back\\slash", "back\\\\slash" },
        { "\xc3\xa9", "\\xc3\\xa9" },
        { "", "" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(c); i++) {
        g_autofree char *got = vv_escape(c[i].in);
        g_assert_cmpstr(got, ==, c[i].out);
    }
}

static void
test_misc(void)
{
    g_autofree char *path = vv_path_for_uuid("C7A5FDBD-cdaf-9455-926a-d65c16db1809");
    g_autofree char *line = vv_one_line("first\n  second  \n\nthird\n");

    g_assert_cmpstr(path, ==, "/org/libvmi/helper1/domain/_c7a5fdbd_cdaf_9455_926a_d65c16db1809");
    g_assert_null(vv_path_for_uuid("web1"));
    g_assert_false(vv_is_uuid("c7a5fdbd-cdaf-9455-926a-d65c16db180"));
    g_assert_false(vv_is_uuid("c7a5fdbd_cdaf-9455-926a-d65c16db1809"));
    g_assert_cmpstr(line, ==, "first; second; third");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virt-vmi/numbers", test_numbers);
    g_test_add_func("/virt-vmi/hexdump", test_hexdump);
    g_test_add_func("/virt-vmi/hex-string", test_hex_string);
    g_test_add_func("/virt-vmi/options", test_options);
    g_test_add_func("/virt-vmi/exit-codes", test_exit_codes);
    g_test_add_func("/virt-vmi/misc", test_misc);
    g_test_add_func("/virt-vmi/escape", test_escape);
    return g_test_run();
}
