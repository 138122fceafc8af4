/*
 * test-config.c - the configuration parser on good input, on each kind of
 * bad input (the message must point at the line and the key or token), and
 * on random mutations of a good file, which must fail cleanly or parse.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "config.h"

static const char good_file[] =
    "# LibVMI configuration\n"
    "debian-12.2 {\n"
    "    ostype = \"Linux\";\n"
    "    sysmap = \"/boot/System.map-6.1.0-13-amd64\";\n"
    "    linux_tasks = 0x2f8;\n"
    "    linux_mm = 0x4A0;\n"
    "    linux_pid = 1234;\n"
    "    linux_name = 0xFFFFFFFFFFFFFFFF;\n"
    "    linux_pgd = 18446744073709551615\n"
    "}\n"
    "\n"
    "// Windows guests\n"
    "win7_sp1 {\n"
    "\tostype=\"Windows\";win_tasks=0x188;\n"
    "\r\n"
    "  win_pdbase = 0x18 ; win_pid = 0x180 ;\n"
    "  /* a comment\n"
    "     across lines */ win_pname = 0x16c;\n"
    "  name = \"quote \\\" and backslash \\\\ here\";\n"
    "}\n"
    "\"vm with spaces\" { domid = 7; }\n"
    "empty { }\n"
    "a:b+c.d { x = 1 }\n"
    "12345 { linux_pid = 0 }\n";

static GHashTable *entry_of(GHashTable *all, const char *name)
{
    GHashTable *entry = g_hash_table_lookup(all, name);
    g_assert_nonnull(entry);
    return entry;
}

static void assert_num(GHashTable *entry, const char *key, guint64 expected, int line)
{
    const config_value_t *v = g_hash_table_lookup(entry, key);
    g_assert_nonnull(v);
    g_assert_cmpint(v->type, ==, CONFIG_NUM);
    g_assert_cmphex(v->num, ==, expected);
    g_assert_null(v->str);
    if (line)
        g_assert_cmpint(v->line, ==, line);
}

static void assert_str(GHashTable *entry, const char *key, const char *expected, int line)
{
    const config_value_t *v = g_hash_table_lookup(entry, key);
    g_assert_nonnull(v);
    g_assert_cmpint(v->type, ==, CONFIG_STR);
    g_assert_cmpstr(v->str, ==, expected);
    if (line)
        g_assert_cmpint(v->line, ==, line);
}

static void test_good_file(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_string(good_file, "good.conf", &error);
    g_assert_no_error(error);
    g_assert_nonnull(all);
    g_assert_cmpuint(g_hash_table_size(all), ==, 6);

    GHashTable *deb = entry_of(all, "debian-12.2");
    g_assert_cmpuint(g_hash_table_size(deb), ==, 7);
    assert_str(deb, "ostype", "Linux", 3);
    assert_str(deb, "sysmap", "/boot/System.map-6.1.0-13-amd64", 4);
    assert_num(deb, "linux_tasks", 0x2f8, 5);
    assert_num(deb, "linux_mm", 0x4a0, 6);
    assert_num(deb, "linux_pid", 1234, 7);
    assert_num(deb, "linux_name", G_MAXUINT64, 8);
    assert_num(deb, "linux_pgd", G_MAXUINT64, 9);
    g_assert_true(config_validate_entry(deb, "good.conf", &error));
    g_assert_no_error(error);

    GHashTable *win = entry_of(all, "win7_sp1");
    g_assert_cmpuint(g_hash_table_size(win), ==, 6);
    assert_str(win, "ostype", "Windows", 14);
    assert_num(win, "win_tasks", 0x188, 14);
    assert_num(win, "win_pdbase", 0x18, 16);
    assert_num(win, "win_pid", 0x180, 16);
    assert_num(win, "win_pname", 0x16c, 18);
    assert_str(win, "name", "quote \" and backslash \\ here", 19);
    g_assert_true(config_validate_entry(win, "good.conf", &error));
    g_assert_no_error(error);

    assert_num(entry_of(all, "vm with spaces"), "domid", 7, 21);
    g_assert_cmpuint(g_hash_table_size(entry_of(all, "empty")), ==, 0);
    assert_num(entry_of(all, "a:b+c.d"), "x", 1, 23);
    assert_num(entry_of(all, "12345"), "linux_pid", 0, 24);
}

static void test_later_wins(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_string(
        "vm { sysmap = \"old\"; linux_pid = 1; sysmap = \"new\" }\n"
        "vm { linux_tasks = 2 }\n"
        "other { linux_pid = 3; linux_pid = 0x4; }\n",
        "dup.conf", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(all), ==, 2);
    GHashTable *vm = entry_of(all, "vm");
    /* The later entry replaces the earlier one as a whole. */
    g_assert_cmpuint(g_hash_table_size(vm), ==, 1);
    assert_num(vm, "linux_tasks", 2, 2);
    assert_num(entry_of(all, "other"), "linux_pid", 4, 3);

    g_autoptr(GHashTable) one = config_parse_string("vm { sysmap = \"old\"; sysmap = \"new\" }",
                                                    "dup.conf", &error);
    g_assert_no_error(error);
    assert_str(entry_of(one, "vm"), "sysmap", "new", 1);
}

static void test_empty_and_comments(void)
{
    static const char *const texts[] = {
        "",
        "\n\n  \t\r\n",
        "# only a comment",
        "# one\n// two\n/* three\n   four */\n# five\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GHashTable) all = config_parse_string(texts[i], "empty.conf", &error);
        g_assert_no_error(error);
        g_assert_nonnull(all);
        g_assert_cmpuint(g_hash_table_size(all), ==, 0);
    }
}

typedef struct {
    const char *name;
    const char *text;
    int code;
    const char *message;    /* the whole message after "bad.conf:" */
} bad_case_t;

static const bad_case_t bad_cases[] = {
    { "missing-equals", "vm {\n  ostype \"Linux\";\n}\n", VMI_CONFIG_ERROR_SYNTAX,
      "2: syntax error near '\"Linux\"' in entry 'vm': expected '='" },
    { "missing-semicolon", "win7 {\n  linux_pid = 1\n  linux_mm = 2;\n}\n", VMI_CONFIG_ERROR_SYNTAX,
      "3: syntax error near 'linux_mm' in entry 'win7': expected ';' or '}'" },
    { "missing-value", "vm {\n linux_pid = ;\n}", VMI_CONFIG_ERROR_SYNTAX,
      "2: syntax error near ';' in entry 'vm': expected number or string" },
    { "bare-word-value", "vm { ostype = Linux; }", VMI_CONFIG_ERROR_SYNTAX,
      "1: syntax error near 'Linux' in entry 'vm': expected number or string" },
    { "negative-number", "vm { linux_pid = -1; }", VMI_CONFIG_ERROR_SYNTAX,
      "1: syntax error near '-1' in entry 'vm': expected number or string" },
    { "bad-hex", "vm {\n linux_tasks = 0x2g8;\n}", VMI_CONFIG_ERROR_SYNTAX,
      "2: syntax error near '0x2g8' in entry 'vm': expected number or string" },
    { "missing-open-brace", "vm\n  ostype = \"Linux\";\n}\n", VMI_CONFIG_ERROR_SYNTAX,
      "2: syntax error near 'ostype': expected '{'" },
    { "stray-close-brace", "vm { }\n}\n", VMI_CONFIG_ERROR_SYNTAX,
      "2: syntax error near '}': expected end of input, name or string" },
    { "missing-close-brace", "vm {\n  ostype = \"Linux\";\n\n", VMI_CONFIG_ERROR_SYNTAX,
      "2: syntax error at end of input in entry 'vm': expected '}' or name" },
    { "missing-close-brace-no-semicolon", "vm {\n  linux_pid = 1\n", VMI_CONFIG_ERROR_SYNTAX,
      "2: syntax error at end of input in entry 'vm': expected ';' or '}'" },
    { "body-without-entry", "ostype = \"Linux\";\n", VMI_CONFIG_ERROR_SYNTAX,
      "1: syntax error near '=': expected '{'" },
    { "double-semicolon", "vm { linux_pid = 1;; }", VMI_CONFIG_ERROR_SYNTAX,
      "1: syntax error near ';' in entry 'vm': expected '}' or name" },
    { "unterminated-string", "vm {\n  sysmap = \"/boot/System.map;\n}\n",
      VMI_CONFIG_ERROR_SYNTAX, "2: unterminated string" },
    { "unterminated-string-eof", "vm {\n  sysmap = \"/boot", VMI_CONFIG_ERROR_SYNTAX,
      "2: unterminated string" },
    { "unterminated-comment", "vm { }\n/* no end\n\n", VMI_CONFIG_ERROR_SYNTAX,
      "2: unterminated comment" },
    { "unknown-escape", "vm {\n\n sysmap = \"C:\\Windows\";\n}", VMI_CONFIG_ERROR_SYNTAX,
      "3: unknown escape '\\W' in string (only \\\" and \\\\)" },
    { "garbage-char", "vm {\n  linux_pid = 1;\n  @\n}\n", VMI_CONFIG_ERROR_SYNTAX,
      "3: unexpected character '@'" },
    { "garbage-non-ascii", "vm { linux_pid = 1; }\n\xc3\xa9", VMI_CONFIG_ERROR_SYNTAX,
      "2: unexpected character '\\xc3'" },
    { "unquoted-path", "vm {\n sysmap = /boot/System.map;\n}", VMI_CONFIG_ERROR_SYNTAX,
      "2: unexpected character '/'" },
    { "empty-name", "\"\" { }", VMI_CONFIG_ERROR_SYNTAX, "1: empty entry name" },
    { "overflow-decimal", "vm {\n\n\n linux_tasks = 18446744073709551616;\n}",
      VMI_CONFIG_ERROR_LIMIT, "4: number too large for key 'linux_tasks'" },
    { "overflow-hex", "vm {\n win_kpcr = 0x10000000000000000;\n}", VMI_CONFIG_ERROR_LIMIT,
      "2: number too large for key 'win_kpcr'" },
};

static void test_bad(gconstpointer data)
{
    const bad_case_t *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_string(c->text, "bad.conf", &error);
    g_assert_null(all);
    g_assert_error(error, VMI_CONFIG_ERROR, c->code);
    g_autofree char *expected = g_strdup_printf("bad.conf:%s", c->message);
    g_assert_cmpstr(error->message, ==, expected);
}

/* Hex with leading zeros is still a 64-bit number. */
static void test_leading_zeros(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_string(
        "vm { a = 0x0000000000000000000000ffffffffffffffff; b = 000000000000000000000042 }",
        "zeros.conf", &error);
    g_assert_no_error(error);
    assert_num(entry_of(all, "vm"), "a", G_MAXUINT64, 1);
    assert_num(entry_of(all, "vm"), "b", 42, 1);
}

static void test_nul_byte(void)
{
    static const char text[] = "vm { sysmap = \"a\0b\"; }";
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_bytes(text, sizeof(text) - 1, "nul.conf", NULL,
                                                   &error);
    g_assert_null(all);
    g_assert_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_SYNTAX);
    g_assert_cmpstr(error->message, ==, "nul.conf:1: NUL byte in string");
    g_clear_error(&error);

    static const char outside[] = "vm { }\n\0";
    g_autoptr(GHashTable) all2 = config_parse_bytes(outside, sizeof(outside) - 1, "nul.conf",
                                                    NULL, &error);
    g_assert_null(all2);
    g_assert_cmpstr(error->message, ==, "nul.conf:2: unexpected character '\\x00'");
}

static void test_long_string(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *ok_value = g_strnfill(CONFIG_MAX_STRING, 'a');
    g_autofree char *ok = g_strdup_printf("vm { sysmap = \"%s\" }", ok_value);
    g_autoptr(GHashTable) all = config_parse_string(ok, "long.conf", &error);
    g_assert_no_error(error);
    assert_str(entry_of(all, "vm"), "sysmap", ok_value, 1);

    /* The limit is on the value: escapes count once. */
    g_autofree char *escaped = g_strdup_printf("vm { sysmap = \"%s\\\\\" }",
                                               ok_value + 1);
    g_autoptr(GHashTable) all2 = config_parse_string(escaped, "long.conf", &error);
    g_assert_no_error(error);
    const config_value_t *v = g_hash_table_lookup(entry_of(all2, "vm"), "sysmap");
    g_assert_cmpuint(strlen(v->str), ==, CONFIG_MAX_STRING);

    g_autofree char *bad = g_strdup_printf("vm {\n sysmap = \"%sb\" }", ok_value);
    g_autoptr(GHashTable) none = config_parse_string(bad, "long.conf", &error);
    g_assert_null(none);
    g_assert_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_LIMIT);
    g_assert_cmpstr(error->message, ==, "long.conf:2: string longer than 4096 bytes");
    g_clear_error(&error);

    g_autofree char *bad_name = g_strdup_printf("\n%sb { }", ok_value);
    g_autoptr(GHashTable) none2 = config_parse_string(bad_name, "long.conf", &error);
    g_assert_null(none2);
    g_assert_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_LIMIT);
    g_assert_cmpstr(error->message, ==, "long.conf:2: name longer than 4096 bytes");
}

static void test_too_many_entries(void)
{
    g_autoptr(GString) text = g_string_new(NULL);
    for (int i = 0; i < CONFIG_MAX_ENTRIES; i++)
        g_string_append_printf(text, "vm%d { domid = %d }\n", i, i);
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_string(text->str, "many.conf", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(all), ==, CONFIG_MAX_ENTRIES);

    g_string_append(text, "one_more { }\n");
    g_autoptr(GHashTable) none = config_parse_string(text->str, "many.conf", &error);
    g_assert_null(none);
    g_assert_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_LIMIT);
    g_assert_cmpstr(error->message, ==, "many.conf:10001: more than 10000 entries");
}

static char *write_temp(const char *contents, gssize len)
{
    g_autoptr(GError) error = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp("test-config-XXXXXX.conf", &path, &error);
    g_assert_no_error(error);
    close(fd);
    g_file_set_contents(path, contents, len, &error);
    g_assert_no_error(error);
    return path;
}

static void test_file_good(void)
{
    g_autofree char *path = write_temp(good_file, -1);
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_file(path, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(all), ==, 6);
    assert_num(entry_of(all, "debian-12.2"), "linux_tasks", 0x2f8, 5);
    g_unlink(path);
}

static void test_file_empty(void)
{
    g_autofree char *path = write_temp("", 0);
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_file(path, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(all), ==, 0);
    g_unlink(path);
}

/* The origin in messages is the path. */
static void test_file_error_names_path(void)
{
    g_autofree char *path = write_temp("vm {\n linux_tasks = 0x10000000000000000;\n}\n", -1);
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_file(path, &error);
    g_assert_null(all);
    g_autofree char *expected = g_strdup_printf("%s:2: number too large for key 'linux_tasks'",
                                                path);
    g_assert_cmpstr(error->message, ==, expected);
    g_unlink(path);
}

static void test_file_missing(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_file("/nonexistent/libvmi.conf", &error);
    g_assert_null(all);
    g_assert_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_IO);
    g_autofree char *expected = g_strdup_printf(
        "/nonexistent/libvmi.conf: cannot read configuration file: %s", g_strerror(ENOENT));
    g_assert_cmpstr(error->message, ==, expected);
}

static void test_file_directory(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_file("/", &error);
    g_assert_null(all);
    g_assert_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_IO);
    g_autofree char *expected = g_strdup_printf("/: cannot read configuration file: %s",
                                                g_strerror(EISDIR));
    g_assert_cmpstr(error->message, ==, expected);
}

static void test_file_unreadable(void)
{
    if (geteuid() == 0) {
        g_test_skip("root reads files whatever their mode");
        return;
    }
    g_autofree char *path = write_temp("vm { }\n", -1);
    g_assert_cmpint(g_chmod(path, 0), ==, 0);
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_file(path, &error);
    g_assert_null(all);
    g_assert_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_IO);
    g_assert_nonnull(strstr(error->message, path));
    g_assert_nonnull(strstr(error->message, g_strerror(EACCES)));
    g_unlink(path);
}

static void test_file_size_limit(void)
{
    g_autofree char *blank = g_strnfill(CONFIG_MAX_INPUT, ' ');
    g_autofree char *path = write_temp(blank, CONFIG_MAX_INPUT);
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) all = config_parse_file(path, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(all), ==, 0);

    g_assert_cmpint(truncate(path, CONFIG_MAX_INPUT + 1), ==, 0);
    g_autoptr(GHashTable) none = config_parse_file(path, &error);
    g_assert_null(none);
    g_assert_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_LIMIT);
    g_autofree char *expected = g_strdup_printf("%s: larger than 16 MiB", path);
    g_assert_cmpstr(error->message, ==, expected);
    g_clear_error(&error);

    /* A sparse 1 TiB file must be refused before it is read, not after. */
    if (truncate(path, (off_t)1 << 40) == 0) {
        g_autoptr(GHashTable) huge = config_parse_file(path, &error);
        g_assert_null(huge);
        g_assert_cmpstr(error->message, ==, expected);
        g_clear_error(&error);
    }
    g_unlink(path);

    /* A string cannot be checked by stat; the length alone is refused,
     * before a byte is read. */
    g_autoptr(GHashTable) big = config_parse_bytes("", CONFIG_MAX_INPUT + 1, "big", NULL,
                                                   &error);
    g_assert_null(big);
    g_assert_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_LIMIT);
    g_assert_cmpstr(error->message, ==, "big: larger than 16 MiB");
}

static void test_entry_string_body(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) entry = config_parse_entry_string(
        "name = \"vm\"; ostype = \"Linux\";\n linux_tasks = 0x10 ; domid = 3",
        "config string", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(entry), ==, 4);
    assert_str(entry, "name", "vm", 1);
    assert_str(entry, "ostype", "Linux", 1);
    assert_num(entry, "linux_tasks", 0x10, 2);
    assert_num(entry, "domid", 3, 2);

    g_autoptr(GHashTable) empty = config_parse_entry_string(" # nothing\n", "s", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(empty), ==, 0);
}

static void test_entry_string_full(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) entry = config_parse_entry_string(
        "first { linux_pid = 1 }\nsecond { linux_pid = 2 }\nfirst { linux_pid = 3 }",
        "config string", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(entry), ==, 1);
    assert_num(entry, "linux_pid", 1, 1);

    g_autoptr(GHashTable) quoted = config_parse_entry_string("\"my vm\" { }", "s", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(quoted), ==, 0);
}

static void test_entry_string_bad(void)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        /* A body then an entry: the name reads as the next key. */
        { "ostype = \"Linux\";\nvm { }", "s:2: syntax error near '{': expected '='" },
        { "ostype = \"Linux\"\nvm { }", "s:2: syntax error near 'vm': expected end of input or ';'" },
        { "vm { } ostype = 1", "s:1: syntax error near '=': expected '{'" },
        { "linux_pid 5", "s:1: syntax error near '5': expected '=' or '{'" },
        { "linux_pid = 0x1ffffffffffffffff", "s:1: number too large for key 'linux_pid'" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GHashTable) entry = config_parse_entry_string(cases[i].text, "s", &error);
        g_assert_null(entry);
        g_assert_nonnull(error);
        g_assert_cmpstr(error->message, ==, cases[i].message);
    }
}

static void test_validate(void)
{
    static const struct {
        const char *text;
        const char *message;    /* NULL: valid */
    } cases[] = {
        { "sysmap = \"/boot/System.map\"; ostype = \"linux\"; custom_key = 5", NULL },
        { "ostype = \"WINDOWS\"; win_tasks = 0x188; other = \"x\"", NULL },
        { "name = \"vm\";\nsysmap = 0x1000", "v.conf:2: key 'sysmap' must be a quoted string, not a number" },
        { "\n\nlinux_tasks = \"0x2f8\"", "v.conf:3: key 'linux_tasks' must be a number, not a string" },
        { "ostype = \"BeOS\"", "v.conf:1: key 'ostype' is 'BeOS', expected \"Linux\" or \"Windows\"" },
        { "ostype = 1", "v.conf:1: key 'ostype' must be a quoted string, not a number" },
        { "domid = \"7\"", "v.conf:1: key 'domid' must be a number, not a string" },
        /* The earliest problem is reported, whatever the hash order. */
        { "linux_pid = \"1\";\nlinux_tasks = \"2\";\ndomid = \"3\"",
          "v.conf:1: key 'linux_pid' must be a number, not a string" },
        { "linux_pid = \"1\"; domid = \"3\"; kvmi_socket = 4",
          "v.conf:1: key 'domid' must be a number, not a string" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GHashTable) entry = config_parse_entry_string(cases[i].text, "v.conf", &error);
        g_assert_no_error(error);
        gboolean ok = config_validate_entry(entry, "v.conf", &error);
        if (!cases[i].message) {
            g_assert_no_error(error);
            g_assert_true(ok);
            continue;
        }
        g_assert_false(ok);
        g_assert_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_INVALID);
        g_assert_cmpstr(error->message, ==, cases[i].message);
    }
}

/* Characters that matter to the grammar, so mutations reach deep. */
static const char fuzz_chars[] = "{}=;\"\\#/*\n 0x9fFzZ_-.:+@\t\r\0";

static void fuzz_mutate(GRand *rand, GString *s)
{
    int kind = g_rand_int_range(rand, 0, 6);
    gsize pos = s->len ? (gsize)g_rand_int_range(rand, 0, (gint32)s->len) : 0;
    char c = g_rand_boolean(rand)
        ? fuzz_chars[g_rand_int_range(rand, 0, sizeof(fuzz_chars) - 1)]
        : (char)g_rand_int_range(rand, 0, 256);
    switch (kind) {
    case 0:
        if (s->len)
            s->str[pos] = c;
        break;
    case 1:
        g_string_insert_c(s, (gssize)pos, c);
        break;
    case 2: {
        gsize len = (gsize)g_rand_int_range(rand, 1, 8);
        if (s->len)
            g_string_erase(s, (gssize)pos, (gssize)MIN(len, s->len - pos));
        break;
    }
    case 3:
        g_string_truncate(s, pos);
        break;
    case 4: {
        /* Repeat a slice, to grow entries and strings. */
        gsize len = (gsize)g_rand_int_range(rand, 1, 64);
        len = MIN(len, s->len - pos);
        g_autofree char *slice = g_strndup(s->str + pos, len);
        g_string_insert_len(s, (gssize)pos, slice, (gssize)len);
        break;
    }
    default:
        g_string_insert(s, (gssize)pos, "0xffffffffffffffffff");
        break;
    }
}

static void fuzz_check(GHashTable *all, GError *error, const char *origin)
{
    if (all) {
        g_assert_null(error);
        return;
    }
    g_assert_nonnull(error);
    g_assert_true(error->domain == VMI_CONFIG_ERROR);
    g_assert_true(g_str_has_prefix(error->message, origin));
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
}

static void test_fuzz(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(0x1b7f3a);
    guint parsed = 0, failed = 0;
    for (int i = 0; i < 20000; i++) {
        g_autoptr(GString) s = g_string_new_len(good_file, sizeof(good_file) - 1);
        int n = g_rand_int_range(rand, 1, 6);
        for (int m = 0; m < n; m++)
            fuzz_mutate(rand, s);

        g_autoptr(GError) error = NULL;
        g_autoptr(GHashTable) all = config_parse_bytes(s->str, s->len, "fuzz", NULL, &error);
        fuzz_check(all, error, "fuzz");
        if (all) {
            parsed++;
            GHashTableIter it;
            gpointer entry;
            g_hash_table_iter_init(&it, all);
            while (g_hash_table_iter_next(&it, NULL, &entry)) {
                g_autoptr(GError) invalid = NULL;
                if (!config_validate_entry(entry, "fuzz", &invalid))
                    fuzz_check(NULL, invalid, "fuzz");
            }
        } else {
            failed++;
        }

        /* The same bytes as a string for vmi_init_custom (cut at a NUL). */
        g_autoptr(GError) entry_error = NULL;
        g_autoptr(GHashTable) entry = config_parse_entry_string(s->str, "fuzz", &entry_error);
        fuzz_check(entry, entry_error, "fuzz");
    }
    /* Both outcomes must be common, or the mutations test nothing. */
    g_test_message("fuzz: %u parsed, %u failed", parsed, failed);
    g_assert_cmpuint(parsed, >, 1000);
    g_assert_cmpuint(failed, >, 1000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/config/good/file", test_good_file);
    g_test_add_func("/config/good/later-wins", test_later_wins);
    g_test_add_func("/config/good/empty-and-comments", test_empty_and_comments);
    g_test_add_func("/config/good/leading-zeros", test_leading_zeros);
    for (gsize i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/config/bad/%s", bad_cases[i].name);
        g_test_add_data_func(path, &bad_cases[i], test_bad);
    }
    g_test_add_func("/config/bad/nul-byte", test_nul_byte);
    g_test_add_func("/config/limits/long-string", test_long_string);
    g_test_add_func("/config/limits/too-many-entries", test_too_many_entries);
    g_test_add_func("/config/file/good", test_file_good);
    g_test_add_func("/config/file/empty", test_file_empty);
    g_test_add_func("/config/file/error-names-path", test_file_error_names_path);
    g_test_add_func("/config/file/missing", test_file_missing);
    g_test_add_func("/config/file/directory", test_file_directory);
    g_test_add_func("/config/file/unreadable", test_file_unreadable);
    g_test_add_func("/config/file/size-limit", test_file_size_limit);
    g_test_add_func("/config/entry-string/body", test_entry_string_body);
    g_test_add_func("/config/entry-string/full", test_entry_string_full);
    g_test_add_func("/config/entry-string/bad", test_entry_string_bad);
    g_test_add_func("/config/validate", test_validate);
    g_test_add_func("/config/fuzz", test_fuzz);

    return g_test_run();
}
