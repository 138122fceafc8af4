/*
 * test-isf.c - Volatility 3 ISF files (libvmi/os/linux/isf.c).
 *
 * Hand-written ISF snippets for the lookups and for each kind of bad input;
 * then, for each kernel under $LIBVMI_TEST_KERNELS that has System.map,
 * vmlinux and the rig's pahole.txt, an ISF file made by make-isf.py (which
 * runs pahole on vmlinux itself) is checked against the ground truth: every
 * System.map symbol, every member offset and size in pahole.txt (parsed here,
 * apart from make-isf.py), the rig's offsets.txt, and the banner.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "private.h"
#include "isf.h"
#ifdef HAVE_LZMA
#include <lzma.h>
#endif

static char *tmpdir;

/* ------------------------------------------------------------ snippets */

/* Addresses above INT64_MAX as dwarf2json writes them (unsigned decimal);
 * three symbols share one address; a field of each anonymity style. */
static const char good_isf[] =
    "{\"metadata\": {\"format\": \"6.2.0\", \"producer\": {\"name\": \"t\", \"version\": \"1.0.0\"}},\n"
    " \"base_types\": {\"int\": {\"size\": 4, \"signed\": true, \"kind\": \"int\", \"endian\": \"little\"},\n"
    "                \"pointer\": {\"size\": 8, \"signed\": false, \"kind\": \"int\", \"endian\": \"little\"}},\n"
    " \"enums\": {\"state\": {\"size\": 2, \"base\": \"short\", \"constants\": {\"A\": 0}}},\n"
    " \"user_types\": {\n"
    "  \"outer\": {\"kind\": \"struct\", \"size\": 64, \"fields\": {\n"
    "    \"first\": {\"type\": {\"kind\": \"base\", \"name\": \"int\"}, \"offset\": 0},\n"
    "    \"unnamed_field_8\": {\"type\": {\"kind\": \"union\", \"name\": \"unnamed_u1\"}, \"offset\": 8, \"anonymous\": true},\n"
    "    \"unnamed_field_20\": {\"type\": {\"kind\": \"struct\", \"name\": \"unnamed_s2\"}, \"offset\": 32},\n"
    "    \"inner\": {\"type\": {\"kind\": \"struct\", \"name\": \"inner_t\"}, \"offset\": 48},\n"
    "    \"ptr\": {\"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": \"struct\", \"name\": \"inner_t\"}}, \"offset\": 56},\n"
    "    \"bits\": {\"type\": {\"kind\": \"bitfield\", \"bit_position\": 3, \"bit_length\": 2, \"type\": {\"kind\": \"base\", \"name\": \"int\"}}, \"offset\": 60}}},\n"
    "  \"unnamed_u1\": {\"kind\": \"union\", \"size\": 16, \"fields\": {\n"
    "    \"u_a\": {\"type\": {\"kind\": \"base\", \"name\": \"int\"}, \"offset\": 0},\n"
    "    \"unnamed_field_0\": {\"type\": {\"kind\": \"struct\", \"name\": \"unnamed_s3\"}, \"offset\": 0, \"anonymous\": true}}},\n"
    "  \"unnamed_s3\": {\"kind\": \"struct\", \"size\": 16, \"fields\": {\n"
    "    \"deep_a\": {\"type\": {\"kind\": \"base\", \"name\": \"int\"}, \"offset\": 4},\n"
    "    \"deep_b\": {\"type\": {\"kind\": \"base\", \"name\": \"int\"}, \"offset\": 12}}},\n"
    "  \"unnamed_s2\": {\"kind\": \"struct\", \"size\": 8, \"fields\": {\n"
    "    \"old_style\": {\"type\": {\"kind\": \"base\", \"name\": \"int\"}, \"offset\": 4}}},\n"
    "  \"inner_t\": {\"kind\": \"struct\", \"size\": 8, \"fields\": {\n"
    "    \"x\": {\"type\": {\"kind\": \"base\", \"name\": \"int\"}, \"offset\": 0},\n"
    "    \"y\": {\"type\": {\"kind\": \"enum\", \"name\": \"state\"}, \"offset\": 6}}},\n"
    "  \"loop\": {\"kind\": \"struct\", \"size\": 8, \"fields\": {\n"
    "    \"self\": {\"type\": {\"kind\": \"struct\", \"name\": \"loop\"}, \"offset\": 0, \"anonymous\": true}}}\n"
    " },\n"
    " \"symbols\": {\n"
    "  \"init_task\": {\"address\": 18446744071606217280},\n"
    "  \"zeta\": {\"address\": 18446744071578845184},\n"
    "  \"_text\": {\"address\": 18446744071578845184},\n"
    "  \"alpha\": {\"address\": 18446744071578845184},\n"
    "  \"top\": {\"address\": 18446744073709551615},\n"
    "  \"low\": {\"address\": 4096, \"type\": {\"kind\": \"base\", \"name\": \"int\"}},\n"
    "  \"linux_banner\": {\"address\": 18446744071600000000,\n"
    "     \"constant_data\": \"TGludXggdmVyc2lvbiA2LjEuMC10ZXN0IChnY2MpCgA=\"}\n"
    " }}\n";

static isf_t *load_good(void)
{
    g_autoptr(GError) err = NULL;
    isf_t *isf = isf_new_from_data(good_isf, strlen(good_isf), &err);
    g_assert_no_error(err);
    g_assert_nonnull(isf);
    return isf;
}

static bool have_json(void)
{
#ifdef HAVE_JSON_GLIB
    return true;
#else
    g_test_skip("built without json-glib");
    return false;
#endif
}

static void test_symbols(void)
{
    if (!have_json())
        return;
    g_autoptr(isf_t) isf = load_good();
    addr_t a = 0;
    g_assert_cmpuint(isf_symbol_count(isf), ==, 7);
    g_assert_true(isf_symbol(isf, "init_task", &a));
    g_assert_cmphex(a, ==, 0xffffffff82a1aa40ull);
    g_assert_true(isf_symbol(isf, "top", &a));
    g_assert_cmphex(a, ==, 0xffffffffffffffffull);
    g_assert_true(isf_symbol(isf, "low", &a));
    g_assert_cmphex(a, ==, 4096);
    g_assert_false(isf_symbol(isf, "nope", &a));
    g_assert_false(isf_symbol(isf, "", &a));

    addr_t s = 0;
    g_assert_null(isf_nearest(isf, 4095, &s));
    g_assert_cmpstr(isf_nearest(isf, 4096, &s), ==, "low");
    g_assert_cmphex(s, ==, 4096);
    g_assert_cmpstr(isf_nearest(isf, 0xffffffff80ffffffull, &s), ==, "low");
    /* three at one address: the first in the file */
    g_assert_cmpstr(isf_nearest(isf, 0xffffffff81000000ull, &s), ==, "zeta");
    g_assert_cmphex(s, ==, 0xffffffff81000000ull);
    g_assert_cmpstr(isf_nearest(isf, 0xffffffff82a1aa3full, &s), ==, "linux_banner");
    g_assert_cmpstr(isf_nearest(isf, 0xffffffff82a1aa41ull, &s), ==, "init_task");
    g_assert_cmphex(s, ==, 0xffffffff82a1aa40ull);
    g_assert_cmpstr(isf_nearest(isf, 0xffffffffffffffffull, &s), ==, "top");
    g_assert_cmpstr(isf_nearest(isf, 0xfffffffffffffffeull, NULL), ==, "init_task");

    g_assert_cmpstr(isf_banner(isf), ==, "Linux version 6.1.0-test (gcc)\n");
    g_assert_cmpstr(isf_format(isf), ==, "6.2.0");
}

static void test_members(void)
{
    if (!have_json())
        return;
    g_autoptr(isf_t) isf = load_good();
    static const struct {
        const char *type, *member;
        uint64_t off;
    } cases[] = {
        { "outer", "first", 0 },
        { "outer", "u_a", 8 },             /* in an anonymous union */
        { "outer", "deep_a", 12 },         /* anonymous struct in it */
        { "outer", "deep_b", 20 },
        { "outer", "old_style", 36 },      /* unnamed_ without the flag */
        { "struct outer", "inner", 48 },
        { "outer", "inner.y", 54 },
        { "union unnamed_u1", "deep_b", 12 },
        { "outer", "unnamed_field_8", 8 }, /* named directly */
        { "outer", "bits", 60 },
        { "outer", "ptr", 56 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        uint64_t off = 999;
        g_assert_true(isf_member_offset(isf, cases[i].type, cases[i].member, &off, &err));
        g_assert_no_error(err);
        if (off != cases[i].off)
            g_error("%s.%s: %" PRIu64 ", expected %" PRIu64, cases[i].type, cases[i].member, off,
                    cases[i].off);
    }
    static const struct {
        const char *type, *member;
        int code;
    } bad[] = {
        { "outer", "missing", VMI_ERROR_NOT_FOUND },
        { "nosuch", "x", VMI_ERROR_NOT_FOUND },
        { "outer", "ptr.x", VMI_ERROR_NOT_FOUND },     /* no path through pointers */
        { "outer", "first.x", VMI_ERROR_NOT_FOUND },
        { "outer", "inner..x", VMI_ERROR_INVALID },
        { "outer", "", VMI_ERROR_INVALID },
        { "loop", "anything", VMI_ERROR_NOT_FOUND },   /* contains itself: bounded */
        { "int", "x", VMI_ERROR_NOT_FOUND },
        { "outer", "inner.x.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd.ee",
          VMI_ERROR_INVALID },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        uint64_t off;
        g_assert_false(isf_member_offset(isf, bad[i].type, bad[i].member, &off, &err));
        g_assert_error(err, VMI_ERROR, bad[i].code);
    }

    uint64_t size = 0;
    g_autoptr(GError) err = NULL;
    g_assert_true(isf_type_size(isf, "outer", &size, &err));
    g_assert_cmpuint(size, ==, 64);
    g_assert_true(isf_type_size(isf, "struct inner_t", &size, &err));
    g_assert_cmpuint(size, ==, 8);
    g_assert_true(isf_type_size(isf, "int", &size, &err));
    g_assert_cmpuint(size, ==, 4);
    g_assert_true(isf_type_size(isf, "enum state", &size, &err));
    g_assert_cmpuint(size, ==, 2);
    g_assert_false(isf_type_size(isf, "nosuch", &size, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_NOT_FOUND);
    g_assert_cmpuint(isf_type_count(isf), ==, 6);
}

/* Replaces the first @from in good_isf by @to. */
static char *good_with(const char *from, const char *to)
{
    const char *p = strstr(good_isf, from);
    g_assert_nonnull(p);
    return g_strdup_printf("%.*s%s%s", (int)(p - good_isf), good_isf, to, p + strlen(from));
}

typedef struct bad_case {
    const char *name;
    const char *from, *to;      /* edit of good_isf, or NULL: @to is the data */
    const char *message;        /* a part of the expected message */
} bad_case_t;

static const bad_case_t bad_cases[] = {
    { "not-json", NULL, "{\"metadata\": ", "not valid JSON" },
    { "empty", NULL, "", "not a JSON object" },
    { "array", NULL, "[1, 2]", "not a JSON object" },
    /* json-glib would leak the first and read the second */
    { "two-roots", NULL, "{}{}", "more than one value" },
    { "number-then-root", NULL, "0{\"metadata\": {}}", "more than one value" },
    { "no-metadata", "\"metadata\"", "\"metadatx\"", "metadata.format" },
    { "format-number", "\"format\": \"6.2.0\"", "\"format\": 6", "metadata.format" },
    { "no-symbols", "\"symbols\"", "\"symbolz\"", "'symbols' is missing" },
    { "symbols-array", "\"symbols\": {", "\"symbols\": [], \"x\": {", "'symbols' is missing" },
    { "negative-offset", "\"offset\": 48", "\"offset\": -48", "outside [0, 2^32]" },
    { "huge-offset", "\"offset\": 48", "\"offset\": 4294967297", "outside [0, 2^32]" },
    { "float-offset", "\"offset\": 48", "\"offset\": 48.5", "not an integer" },
    { "string-offset", "\"offset\": 48", "\"offset\": \"48\"", "not an integer" },
    { "no-offset", "\"offset\": 48", "\"offfset\": 48", "has no 'offset'" },
    { "negative-size", "\"size\": 64", "\"size\": -1", "outside [0, 2^32]" },
    { "huge-size", "\"size\": 64", "\"size\": 99999999999999999999999", "outside [0, 2^32]" },
    { "no-fields", "\"fields\": {\n    \"first\"", "\"fieldz\": {\n    \"first\"", "no 'fields'" },
    { "field-no-type", "{\"type\": {\"kind\": \"struct\", \"name\": \"inner_t\"}, \"offset\": 48}",
      "{\"offset\": 48}", "has no type" },
    { "aggregate-no-name", "{\"kind\": \"struct\", \"name\": \"inner_t\"}, \"offset\": 48",
      "{\"kind\": \"struct\"}, \"offset\": 48", "with no name" },
    { "anonymous-string", "\"anonymous\": true", "\"anonymous\": \"yes\"", "not a boolean" },
    { "address-string", "{\"address\": 4096", "{\"address\": \"4096\"", "symbol 'low'" },
    { "address-fraction", "{\"address\": 4096", "{\"address\": 4096.5", "symbol 'low'" },
    { "address-negative-float", "{\"address\": 4096", "{\"address\": -4096.0", "symbol 'low'" },
    { "address-missing", "{\"address\": 4096", "{\"adress\": 4096", "symbol 'low'" },
    { "symbol-number", "\"low\": {\"address\": 4096, \"type\": {\"kind\": \"base\", \"name\": \"int\"}}",
      "\"low\": 5", "symbol 'low' is not an object" },
    { "base-size-float", "\"size\": 4, \"signed\"", "\"size\": 4.0, \"signed\"", "base_types entry 'int'" },
    { "user-type-string", "\"loop\": {\"kind\"", "\"loop\": \"x\", \"l2\": {\"kind\"", "user type 'loop' is not an object" },
};

static void test_bad(gconstpointer data)
{
    if (!have_json())
        return;
    const bad_case_t *c = data;
    g_autofree char *json = c->from ? good_with(c->from, c->to) : g_strdup(c->to);
    g_autoptr(GError) err = NULL;
    isf_t *isf = isf_new_from_data(json, strlen(json), &err);
    g_assert_null(isf);
    g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
    if (!strstr(err->message, c->message))
        g_error("%s: message '%s' lacks '%s'", c->name, err->message, c->message);
}

static char *nested(unsigned depth, bool in_string)
{
    GString *s = g_string_new("{\"metadata\": {\"format\": \"6.2.0\"}, \"user_types\": {}, \"symbols\": {},"
                              " \"x\": ");
    if (in_string)
        g_string_append_c(s, '"');
    for (unsigned i = 0; i < depth; i++)
        g_string_append_c(s, '[');
    if (in_string)
        g_string_append(s, "\\\"\"");  /* an escaped quote, then the real end */
    else
        for (unsigned i = 0; i < depth; i++)
            g_string_append_c(s, ']');
    g_string_append_c(s, '}');
    return g_string_free(s, FALSE);
}

static void test_depth(void)
{
    if (!have_json())
        return;
    g_autoptr(GError) err = NULL;
    /* the root object is one level: 63 arrays inside it make 64 */
    g_autofree char *ok = nested(ISF_MAX_DEPTH - 1, false);
    isf_t *isf = isf_new_from_data(ok, strlen(ok), &err);
    g_assert_no_error(err);
    isf_free(isf);
    g_autofree char *deep = nested(ISF_MAX_DEPTH, false);
    g_assert_null(isf_new_from_data(deep, strlen(deep), &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
    g_assert_nonnull(strstr(err->message, "deeper than 64"));
    g_clear_error(&err);
    /* a million: refused before json-glib recurses into it */
    g_autofree char *huge = nested(1000000, false);
    g_assert_null(isf_new_from_data(huge, strlen(huge), &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
    g_clear_error(&err);
    /* brackets in a string are not nesting */
    g_autofree char *str = nested(1000, true);
    isf = isf_new_from_data(str, strlen(str), &err);
    g_assert_no_error(err);
    isf_free(isf);
}

/* Two whole, valid files end to end: json-glib alone would take the
 * second and leak the first. */
static void test_two_files(void)
{
    if (!have_json())
        return;
    g_autofree char *two = g_strconcat(good_isf, "\n", good_isf, NULL);
    g_autoptr(GError) err = NULL;
    g_assert_null(isf_new_from_data(two, strlen(two), &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
    g_assert_nonnull(strstr(err->message, "more than one value"));
}

static void test_duplicates(void)
{
    if (!have_json())
        return;
    /* JSON keys repeated: the last one is kept (json-glib's rule), once */
    static const char dup[] =
        "{\"metadata\": {\"format\": \"6.2.0\"}, \"user_types\": {"
        " \"t\": {\"kind\": \"struct\", \"size\": 8, \"fields\": {}},"
        " \"t\": {\"kind\": \"struct\", \"size\": 16, \"fields\": {"
        "   \"a\": {\"type\": {\"kind\": \"base\", \"name\": \"int\"}, \"offset\": 1},"
        "   \"a\": {\"type\": {\"kind\": \"base\", \"name\": \"int\"}, \"offset\": 2}}}},"
        " \"symbols\": {\"s\": {\"address\": 1}, \"s\": {\"address\": 2}}}";
    g_autoptr(GError) err = NULL;
    g_autoptr(isf_t) isf = isf_new_from_data(dup, sizeof dup - 1, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(isf_symbol_count(isf), ==, 1);
    addr_t a;
    g_assert_true(isf_symbol(isf, "s", &a));
    g_assert_cmpuint(a, ==, 2);
    uint64_t v;
    g_assert_true(isf_type_size(isf, "t", &v, &err));
    g_assert_cmpuint(v, ==, 16);
    g_assert_true(isf_member_offset(isf, "t", "a", &v, &err));
    g_assert_cmpuint(v, ==, 2);
    g_assert_null(isf_banner(isf));
    g_assert_null(isf_nearest(isf, 1, NULL));
}

/* --------------------------------------------------------------- files */

static char *write_tmp(const char *name, const void *data, size_t len)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_autoptr(GError) err = NULL;
    g_assert_true(g_file_set_contents(path, data, (gssize)len, &err));
    return path;
}

static void test_files(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *missing = g_build_filename(tmpdir, "missing.json", NULL);
    g_assert_null(isf_open(missing, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_IO);
    g_assert_nonnull(strstr(err->message, "missing.json"));
    g_clear_error(&err);
    g_assert_null(isf_open(tmpdir, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_IO);
    g_clear_error(&err);
    g_autofree char *empty = write_tmp("empty.json", "", 0);
    g_assert_null(isf_open(empty, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
    g_clear_error(&err);

    g_autofree char *plain = write_tmp("good.json", good_isf, strlen(good_isf));
    isf_t *isf = isf_open(plain, &err);
#ifdef HAVE_JSON_GLIB
    g_assert_no_error(err);
    g_assert_cmpuint(isf_symbol_count(isf), ==, 7);
    isf_free(isf);
#else
    g_assert_null(isf);
    g_assert_error(err, VMI_ERROR, VMI_ERROR_UNSUPPORTED);
    g_clear_error(&err);
#endif

    /* xz: whole, truncated, trailing garbage */
#ifdef HAVE_LZMA
    size_t cap = lzma_stream_buffer_bound(strlen(good_isf)), n = 0;
    g_autofree uint8_t *xz = g_malloc(cap);
    g_assert_cmpint(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)good_isf,
                                            strlen(good_isf), xz, &n, cap), ==, LZMA_OK);
    g_autofree char *xzpath = write_tmp("good.json.xz", xz, n);
    isf = isf_open(xzpath, &err);
#ifdef HAVE_JSON_GLIB
    g_assert_no_error(err);
    g_assert_cmpstr(isf_banner(isf), ==, "Linux version 6.1.0-test (gcc)\n");
    isf_free(isf);
#else
    g_assert_error(err, VMI_ERROR, VMI_ERROR_UNSUPPORTED);
    g_clear_error(&err);
#endif
    g_autofree char *cut = write_tmp("cut.json.xz", xz, n / 2);
    g_assert_null(isf_open(cut, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
    g_assert_nonnull(strstr(err->message, "truncated"));
    g_clear_error(&err);
    xz[n / 2] ^= 0x55;
    g_autofree char *flip = write_tmp("flip.json.xz", xz, n);
    g_assert_null(isf_open(flip, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
    g_clear_error(&err);
#else
    static const uint8_t magic[] = { 0xfd, '7', 'z', 'X', 'Z', 0, 1, 2, 3 };
    g_autofree char *xzpath = write_tmp("good.json.xz", magic, sizeof magic);
    g_assert_null(isf_open(xzpath, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_UNSUPPORTED);
    g_assert_nonnull(strstr(err->message, "liblzma"));
    g_clear_error(&err);
#endif
}

#ifndef HAVE_JSON_GLIB
static void test_no_json(void)
{
    g_autoptr(GError) err = NULL;
    g_assert_null(isf_new_from_data(good_isf, strlen(good_isf), &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_UNSUPPORTED);
}
#endif

/* ---------------------------------------------------- a real kernel */

typedef struct truth_member {
    char *path;
    uint64_t offset;
} truth_member_t;

static void truth_member_free(gpointer p)
{
    truth_member_t *m = p;
    g_free(m->path);
    g_free(m);
}

/* The member name in a pahole declaration: "(*name)(...)", "name[16]",
 * "name:3", "name __attribute__((...))" or "name". */
static char *decl_name(const char *decl)
{
    const char *fp = strstr(decl, "(*");
    if (fp) {
        fp += 2;
        const char *end = strchr(fp, ')');
        return end ? g_strndup(fp, (size_t)(end - fp)) : NULL;
    }
    g_autofree char *d = g_strdup(decl);
    char *attr = strstr(d, "__attribute__");
    if (attr)
        *attr = '\0';
    char *cut = strpbrk(d, "[:");
    if (cut)
        *cut = '\0';
    g_strchomp(d);
    char *p = d + strlen(d);
    while (p > d && (g_ascii_isalnum(p[-1]) || p[-1] == '_'))
        p--;
    return *p ? g_strdup(p) : NULL;
}

/* "decl; /\* OFF[:BIT] SIZE *\/": the declaration and the offset */
static bool member_line(const char *line, char **decl, uint64_t *off)
{
    const char *c = strstr(line, "/*");
    const char *semi = c ? memchr(line, ';', (size_t)(c - line)) : NULL;
    if (!semi)
        return false;
    char *end;
    unsigned long long v = strtoull(c + 2, &end, 10);
    if (end == c + 2)
        return false;
    *decl = g_strndup(line, (size_t)(semi - line));
    g_strstrip(*decl);
    *off = v;
    return true;
}

typedef struct frame {
    GPtrArray *members;     /* truth_member_t*, paths relative to the frame */
    bool opaque;            /* an enum body: its lines are constants */
} frame_t;

/* Every member of @type in pahole's output @text, by dotted path through
 * named inline types (anonymous ones add nothing to the path), with the
 * absolute offset pahole gives; and the type's size. */
static GPtrArray *pahole_truth(const char *text, const char *type, uint64_t *size)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autofree char *head = g_strdup_printf("struct %s {", type);
    size_t i = 0;
    while (lines[i] && strcmp(lines[i], head) != 0)
        i++;
    g_assert_nonnull(lines[i]);
    GPtrArray *stack = g_ptr_array_new();
    frame_t *top = g_new0(frame_t, 1);
    top->members = g_ptr_array_new_with_free_func(truth_member_free);
    g_ptr_array_add(stack, top);
    *size = 0;
    for (i++; lines[i]; i++) {
        g_autofree char *line = g_strstrip(g_strdup(lines[i]));
        frame_t *f = stack->pdata[stack->len - 1];
        if (stack->len == 1 && line[0] == '}')
            break;
        if (g_str_has_prefix(line, "/* size: ") && stack->len == 1) {
            *size = g_ascii_strtoull(line + 9, NULL, 10);
            continue;
        }
        if (g_str_has_suffix(line, "{")) {
            frame_t *n = g_new0(frame_t, 1);
            n->members = g_ptr_array_new_with_free_func(truth_member_free);
            n->opaque = strstr(line, "enum") != NULL;
            g_ptr_array_add(stack, n);
            continue;
        }
        char *decl;
        uint64_t off;
        if (line[0] == '}') {
            g_assert_true(member_line(line, &decl, &off));
            g_ptr_array_remove_index(stack, stack->len - 1);
            frame_t *parent = stack->pdata[stack->len - 1];
            g_autofree char *name = decl_name(decl + 1);
            bool pointer = strchr(decl, '*') != NULL;
            g_free(decl);
            if (name) {
                truth_member_t *m = g_new0(truth_member_t, 1);
                m->path = g_strdup(name);
                m->offset = off;
                g_ptr_array_add(parent->members, m);
            }
            for (guint k = 0; k < f->members->len && !f->opaque && !pointer; k++) {
                truth_member_t *m = f->members->pdata[k];
                truth_member_t *c = g_new0(truth_member_t, 1);
                c->path = name ? g_strdup_printf("%s.%s", name, m->path) : g_strdup(m->path);
                c->offset = m->offset;
                g_ptr_array_add(parent->members, c);
            }
            g_ptr_array_free(f->members, TRUE);
            g_free(f);
            continue;
        }
        if (f->opaque || !member_line(line, &decl, &off))
            continue;
        char *name = decl_name(decl);
        g_free(decl);
        g_assert_nonnull(name);
        truth_member_t *m = g_new0(truth_member_t, 1);
        m->path = name;
        m->offset = off;
        g_ptr_array_add(f->members, m);
    }
    g_assert_cmpuint(stack->len, ==, 1);
    g_ptr_array_free(stack, TRUE);
    GPtrArray *out = top->members;
    g_free(top);
    return out;
}

static void check_kernel(const char *dir, const char *kver)
{
    g_autofree char *sysmap = g_build_filename(dir, "System.map", NULL);
    g_autofree char *vmlinux = g_build_filename(dir, "vmlinux", NULL);
    g_autofree char *pahole = g_build_filename(dir, "pahole.txt", NULL);
    g_autofree char *offsets = g_build_filename(dir, "offsets.txt", NULL);
    g_autofree char *script = g_build_filename(g_getenv("top_srcdir"), "tests", "unit",
                                               "make-isf.py", NULL);
#ifdef HAVE_LZMA
    const char *ext = ".json.xz";
#else
    const char *ext = ".json";
#endif
    g_autofree char *isf_path = g_strdup_printf("%s/%s%s", tmpdir, kver, ext);
    g_autoptr(GError) err = NULL;
    /* the types the rig's offsets.txt names ("type.member offset") */
    g_autofree char *off_text = NULL;
    g_assert_true(g_file_get_contents(offsets, &off_text, NULL, &err));
    g_auto(GStrv) olines = g_strsplit(off_text, "\n", -1);
    g_autoptr(GString) types_arg = g_string_new("task_struct,mm_struct,list_head");
    for (size_t i = 0; olines[i]; i++) {
        g_autofree char *t = g_strndup(olines[i], strcspn(olines[i], "."));
        g_autofree char *pat = g_strdup_printf(",%s,", t);
        g_autofree char *have = g_strdup_printf(",%s,", types_arg->str);
        if (*t && !strstr(have, pat))
            g_string_append_printf(types_arg, ",%s", t);
    }
    const char *argv[] = { "python3", script, "--system-map", sysmap, "--vmlinux", vmlinux,
                           "--types", types_arg->str, "-o", isf_path,
                           ext[5] ? "--xz" : NULL, NULL };
    int status = 0;
    g_autofree char *errout = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &errout, &status,
                               &err));
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("make-isf.py for %s failed: %s", kver, errout);

    gint64 t0 = g_get_monotonic_time();
    g_autoptr(isf_t) isf = isf_open(isf_path, &err);
    g_assert_no_error(err);
    g_test_message("%s: loaded %zu symbols in %.3f s", kver, isf_symbol_count(isf),
                   (g_get_monotonic_time() - t0) / 1e6);

    /* every System.map symbol: the first line of each name */
    g_autofree char *map_text = NULL;
    g_assert_true(g_file_get_contents(sysmap, &map_text, NULL, &err));
    g_autoptr(GHashTable) first = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GArray) addrs = g_array_new(FALSE, FALSE, sizeof(addr_t));
    g_auto(GStrv) lines = g_strsplit(map_text, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], " ", 3);
        if (g_strv_length(f) != 3)
            continue;
        addr_t want = g_ascii_strtoull(f[0], NULL, 16), got = 0;
        if (g_hash_table_contains(first, f[2]))
            continue;
        g_hash_table_add(first, lines[i] + strlen(f[0]) + strlen(f[1]) + 2);
        if (!isf_symbol(isf, f[2], &got) || got != want)
            g_error("%s: symbol %s: 0x%" PRIx64 " in the ISF, 0x%" PRIx64 " in System.map", kver,
                    f[2], (uint64_t)got, (uint64_t)want);
        g_array_append_val(addrs, want);
        /* nearest at the address: a symbol of that address */
        addr_t at = 0;
        const char *near = isf_nearest(isf, want, &at);
        addr_t near_addr = 0;
        if (!near || at != want || !isf_symbol(isf, near, &near_addr) || near_addr != want)
            g_error("%s: nearest to 0x%" PRIx64 " (%s) is %s at 0x%" PRIx64, kver,
                    (uint64_t)want, f[2], near ? near : "(none)", (uint64_t)at);
    }
    g_assert_cmpuint(isf_symbol_count(isf), ==, g_hash_table_size(first));
    g_assert_cmpuint(isf_symbol_count(isf), >, 1000);

    /* the rig's offsets and sizes */
    unsigned n_off = 0;
    for (size_t i = 0; olines[i]; i++) {
        g_auto(GStrv) f = g_strsplit_set(olines[i], " .", 3);
        if (g_strv_length(f) != 3)
            continue;
        uint64_t got = 0;
        bool ok = strcmp(f[1], "sizeof") == 0 ? isf_type_size(isf, f[0], &got, &err)
                                               : isf_member_offset(isf, f[0], f[1], &got, &err);
        if (!ok)
            g_error("%s: %s: %s", kver, olines[i], err->message);
        if (got != g_ascii_strtoull(f[2], NULL, 10))
            g_error("%s: %s: %" PRIu64 " in the ISF", kver, olines[i], got);
        n_off++;
    }
    g_test_message("%s: %u offsets.txt lines match", kver, n_off);
    g_assert_cmpuint(n_off, >=, 6);

    /* every member pahole shows, through anonymous and named inline types */
    g_autofree char *pahole_text = NULL;
    g_assert_true(g_file_get_contents(pahole, &pahole_text, NULL, &err));
    static const char *const types[] = { "task_struct", "mm_struct" };
    for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
        uint64_t want_size = 0, size = 0;
        g_autoptr(GPtrArray) truth = pahole_truth(pahole_text, types[t], &want_size);
        g_assert_cmpuint(truth->len, >, 20);
        for (guint k = 0; k < truth->len; k++) {
            const truth_member_t *m = truth->pdata[k];
            uint64_t got = 0;
            if (!isf_member_offset(isf, types[t], m->path, &got, &err))
                g_error("%s: %s.%s: %s", kver, types[t], m->path, err->message);
            if (got != m->offset)
                g_error("%s: %s.%s at %" PRIu64 " in the ISF, %" PRIu64 " in pahole", kver,
                        types[t], m->path, got, m->offset);
        }
        g_assert_true(isf_type_size(isf, types[t], &size, &err));
        g_assert_cmpuint(size, ==, want_size);
        g_test_message("%s: %u members of %s match pahole", kver, truth->len, types[t]);
    }
    /* two pointers, of the size vmlinux's ELF class says */
    g_autofree char *elf = NULL;
    gsize elf_len = 0;
    g_autoptr(GMappedFile) vm = g_mapped_file_new(vmlinux, FALSE, &err);
    g_assert_no_error(err);
    elf = g_strndup(g_mapped_file_get_contents(vm), 5);
    elf_len = g_mapped_file_get_length(vm);
    g_assert_cmpuint(elf_len, >, 5);
    uint64_t lh = 0;
    g_assert_true(isf_type_size(isf, "list_head", &lh, &err));
    g_assert_cmpuint(lh, ==, elf[4] == 2 ? 16 : 8);

    /* the banner names the kernel's release */
    g_autofree char *banner_want = g_strdup_printf("Linux version %s ", kver);
    g_assert_nonnull(isf_banner(isf));
    g_assert_true(g_str_has_prefix(isf_banner(isf), banner_want));
    g_assert_true(g_str_has_suffix(isf_banner(isf), "\n"));
}

static void test_real_kernels(void)
{
    if (!have_json())
        return;
    const char *root = g_getenv("LIBVMI_TEST_KERNELS");
    if (!root || !g_file_test(root, G_FILE_TEST_IS_DIR) || !g_getenv("top_srcdir")) {
        g_test_skip("no LIBVMI_TEST_KERNELS directory (or no top_srcdir)");
        return;
    }
    g_autofree char *pahole = g_find_program_in_path("pahole");
    g_autofree char *python = g_find_program_in_path("python3");
    if (!pahole || !python) {
        g_test_skip("needs pahole and python3");
        return;
    }
    g_autoptr(GDir) d = g_dir_open(root, 0, NULL);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    unsigned checked = 0;
    const char *kver;
    while (d && (kver = g_dir_read_name(d))) {
        g_autofree char *dir = g_build_filename(root, kver, NULL);
        static const char *const need[] = { "System.map", "vmlinux", "pahole.txt", "offsets.txt" };
        bool ok = true;
        for (size_t i = 0; i < G_N_ELEMENTS(need) && ok; i++) {
            g_autofree char *p = g_build_filename(dir, need[i], NULL);
            ok = g_file_test(p, G_FILE_TEST_IS_REGULAR);
        }
        /* current-* are links to kernels seen under their own names */
        char *real = realpath(dir, NULL);
        if (!ok || !real || g_hash_table_contains(seen, real)) {
            free(real);
            continue;
        }
        g_hash_table_add(seen, g_strdup(real));
        g_autofree char *release = g_path_get_basename(real);
        free(real);
        check_kernel(dir, release);
        checked++;
    }
    if (!checked)
        g_test_skip("no kernel with System.map, vmlinux, pahole.txt and offsets.txt");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("test-isf.XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    g_test_add_func("/isf/symbols", test_symbols);
    g_test_add_func("/isf/members", test_members);
    for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/isf/bad/%s", bad_cases[i].name);
        g_test_add_data_func(path, &bad_cases[i], test_bad);
    }
    g_test_add_func("/isf/depth", test_depth);
    g_test_add_func("/isf/two-files", test_two_files);
    g_test_add_func("/isf/duplicates", test_duplicates);
    g_test_add_func("/isf/files", test_files);
#ifndef HAVE_JSON_GLIB
    g_test_add_func("/isf/no-json-glib", test_no_json);
#endif
    g_test_add_func("/isf/real-kernels", test_real_kernels);
    int rc = g_test_run();
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    g_free(tmpdir);
    return rc;
}
