/*
 * test-isf-write.c - the ISF writer (isf_write.c) on a BTF built here byte
 * by byte: the JSON is valid and ASCII, libvmi's own ISF reader (isf.c)
 * takes it back with the same offsets, sizes, symbols and banner, and the
 * descriptors are those Volatility 3 reads (bitfields on their storage
 * unit, anonymous members, typedef-named anonymous types, pointers to
 * functions and to declared-only types, renamed duplicates, enum values).
 */
#include <string.h>
#include <json-glib/json-glib.h>
#include "private.h"
#include "btf.h"
#include "isf.h"
#include "isf_write.h"

typedef struct {
    GByteArray *types;
    GString *strs;
} bb_t;

static void u32(bb_t *b, uint32_t v)
{
    uint8_t x[4] = { v, v >> 8, v >> 16, v >> 24 };
    g_byte_array_append(b->types, x, 4);
}

static uint32_t str(bb_t *b, const char *s)
{
    if (!*s)
        return 0;
    uint32_t off = (uint32_t)b->strs->len;
    g_string_append_len(b->strs, s, (gssize)strlen(s) + 1);
    return off;
}

static void rec(bb_t *b, const char *name, uint32_t kind, uint32_t vlen, bool kflag, uint32_t st)
{
    u32(b, str(b, name));
    u32(b, kind << 24 | vlen | (kflag ? 1u << 31 : 0));
    u32(b, st);
}

static void member(bb_t *b, const char *name, uint32_t type, uint32_t off)
{
    u32(b, str(b, name));
    u32(b, type);
    u32(b, off);
}

/* The test BTF; ids in the comments. */
static GBytes *make_btf(void)
{
    bb_t b = { g_byte_array_new(), g_string_new(NULL) };
    g_string_append_c(b.strs, '\0');
    rec(&b, "int", BTF_K_INT, 0, false, 4);                 /* 1 */
    u32(&b, BTF_INT_ENC_SIGNED << 24 | 32);
    rec(&b, "unsigned int", BTF_K_INT, 0, false, 4);        /* 2 */
    u32(&b, 32);
    rec(&b, "char", BTF_K_INT, 0, false, 1);                /* 3 */
    u32(&b, (BTF_INT_ENC_CHAR | BTF_INT_ENC_SIGNED) << 24 | 8);
    rec(&b, "long unsigned int", BTF_K_INT, 0, false, 8);   /* 4 */
    u32(&b, 64);
    rec(&b, "", BTF_K_PTR, 0, false, 6);                    /* 5: task_struct * */
    rec(&b, "task_struct", BTF_K_STRUCT, 7, true, 64);      /* 6 */
    member(&b, "pid", 1, 0);
    member(&b, "flags", 2, 3u << 24 | 45);                  /* bits 45..47 */
    member(&b, "comm", 7, 64);
    member(&b, "", 8, 192);                                 /* anonymous union */
    member(&b, "next", 5, 256);
    member(&b, "state", 10, 320);
    member(&b, "odd\"name\x01\xff", 1, 352);
    rec(&b, "", BTF_K_ARRAY, 0, false, 0);                  /* 7: char[16] */
    u32(&b, 3);
    u32(&b, 1);
    u32(&b, 16);
    rec(&b, "", BTF_K_UNION, 2, false, 8);                  /* 8 */
    member(&b, "a", 4, 0);
    member(&b, "b", 2, 0);
    rec(&b, "atomic_t", BTF_K_TYPEDEF, 0, false, 11);       /* 9 */
    rec(&b, "state", BTF_K_ENUM, 2, false, 4);              /* 10 */
    u32(&b, str(&b, "RUNNING"));
    u32(&b, 0);
    u32(&b, str(&b, "STOPPED"));
    u32(&b, 0xffffffffu);
    rec(&b, "", BTF_K_STRUCT, 1, false, 4);                 /* 11: typedef'd as atomic_t */
    member(&b, "counter", 1, 0);
    rec(&b, "task_struct", BTF_K_STRUCT, 0, false, 4);      /* 12: a second one */
    rec(&b, "undefined_thing", BTF_K_FWD, 0, false, 0);     /* 13 */
    rec(&b, "", BTF_K_PTR, 0, false, 13);                   /* 14 */
    rec(&b, "holder", BTF_K_STRUCT, 3, false, 24);          /* 15 */
    member(&b, "t", 9, 0);
    member(&b, "u", 14, 64);
    member(&b, "fn", 17, 128);
    rec(&b, "", BTF_K_FUNC_PROTO, 0, false, 1);             /* 16 */
    rec(&b, "", BTF_K_PTR, 0, false, 16);                   /* 17 */

    GByteArray *out = g_byte_array_new();
    uint8_t hdr[24] = { 0x9f, 0xeb, 1, 0, 24, 0, 0, 0 };
    uint32_t tl = b.types->len, so = tl, sl = (uint32_t)b.strs->len;
    memcpy(hdr + 8, &(uint32_t){ 0 }, 4);
    memcpy(hdr + 12, &tl, 4);
    memcpy(hdr + 16, &so, 4);
    memcpy(hdr + 20, &sl, 4);
    g_byte_array_append(out, hdr, sizeof(hdr));
    g_byte_array_append(out, b.types->data, b.types->len);
    g_byte_array_append(out, (const uint8_t *)b.strs->str, sl);
    g_byte_array_free(b.types, TRUE);
    g_string_free(b.strs, TRUE);
    return g_byte_array_free_to_bytes(out);
}

static const struct {
    const char *name;
    uint64_t addr;
} syms[] = {
    { "init_task", 0xffffffff82a0c940ull },
    { "modules", 0xffffffff82b00000ull },
    { "linux_banner", 0xffffffff82200100ull },
    { "init_task", 0xffffffff80000000ull },     /* a second one: left out */
    { "we\"ird\\sym\n", 0xffffffff81000000ull },
    { "fixed_percpu_data", 0 },
};

static bool get_sym(void *ctx, uint32_t i, char *name, size_t size, uint64_t *addr, char *type)
{
    (void)ctx;
    g_strlcpy(name, syms[i].name, size);
    *addr = syms[i].addr;
    *type = 'D';
    return true;
}

static const char banner[] = "Linux version 6.1.0-test (x@y) #1 SMP\n";

static GString *write_test_isf(btf_t **btf_out, isf_write_stats_t *st)
{
    GBytes *bytes = make_btf();
    gsize len;
    const void *d = g_bytes_get_data(bytes, &len);
    GError *err = NULL;
    btf_t *btf = btf_parse_take(g_memdup2(d, len), len, &err);
    g_bytes_unref(bytes);
    g_assert_no_error(err);
    isf_write_input_t in = {
        .btf = btf, .nsyms = G_N_ELEMENTS(syms), .sym = get_sym,
        .banner = (const uint8_t *)banner, .banner_len = sizeof(banner),
        .producer_version = "0.1.0",
    };
    GString *json = isf_write_json(&in, st, &err);
    g_assert_no_error(err);
    g_assert_nonnull(json);
    *btf_out = btf;
    return json;
}

static JsonObject *obj(JsonObject *o, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    for (char **p = parts; *p; p++) {
        g_assert_true(json_object_has_member(o, *p));
        o = json_object_get_object_member(o, *p);
        g_assert_nonnull(o);
    }
    return o;
}

static void test_json(void)
{
    btf_t *btf;
    isf_write_stats_t st;
    GString *json = write_test_isf(&btf, &st);
    for (gsize i = 0; i < json->len; i++)
        g_assert_cmpuint((guchar)json->str[i], <, 0x80);
    g_autoptr(JsonParser) p = json_parser_new();
    GError *err = NULL;
    g_assert_true(json_parser_load_from_data(p, json->str, (gssize)json->len, &err));
    g_assert_no_error(err);
    JsonObject *root = json_node_get_object(json_parser_get_root(p));
    g_assert_cmpstr(json_object_get_string_member(obj(root, "metadata"), "format"), ==, "6.2.0");
    g_assert_true(json_object_has_member(obj(root, "metadata"), "linux"));
    JsonObject *ptr = obj(root, "base_types/pointer");
    g_assert_cmpint(json_object_get_int_member(ptr, "size"), ==, 8);
    g_assert_cmpstr(json_object_get_string_member(obj(root, "base_types/char"), "kind"), ==, "char");

    JsonObject *ts = obj(root, "user_types/task_struct/fields");
    /* bits 45..47 of an unsigned int: the second 4-byte unit, its bits 13..15 */
    JsonObject *fl = obj(ts, "flags");
    g_assert_cmpint(json_object_get_int_member(fl, "offset"), ==, 4);
    JsonObject *bf = obj(fl, "type");
    g_assert_cmpstr(json_object_get_string_member(bf, "kind"), ==, "bitfield");
    g_assert_cmpint(json_object_get_int_member(bf, "bit_position"), ==, 13);
    g_assert_cmpint(json_object_get_int_member(bf, "bit_length"), ==, 3);
    g_assert_cmpstr(json_object_get_string_member(obj(bf, "type"), "name"), ==, "unsigned int");
    JsonObject *comm = obj(ts, "comm/type");
    g_assert_cmpstr(json_object_get_string_member(comm, "kind"), ==, "array");
    g_assert_cmpint(json_object_get_int_member(comm, "count"), ==, 16);
    JsonObject *anon = obj(ts, "unnamed_field_3");
    g_assert_true(json_object_get_boolean_member(anon, "anonymous"));
    g_assert_cmpint(json_object_get_int_member(anon, "offset"), ==, 24);
    const char *uname = json_object_get_string_member(obj(anon, "type"), "name");
    g_assert_cmpstr(uname, ==, "unnamed_btf_8");
    g_assert_cmpstr(json_object_get_string_member(obj(anon, "type"), "kind"), ==, "union");
    g_assert_cmpstr(json_object_get_string_member(obj(ts, "next/type/subtype"), "name"), ==,
                    "task_struct");
    g_assert_cmpstr(json_object_get_string_member(obj(ts, "state/type"), "kind"), ==, "enum");
    g_assert_true(json_object_has_member(ts, "odd\"name\x01\xc3\xbf"));
    /* the second task_struct, renamed */
    g_assert_cmpint(json_object_get_int_member(obj(root, "user_types/task_struct_btf12"), "size"), ==, 4);
    /* typedef'd anonymous struct: the typedef's name; declared only: empty */
    g_assert_cmpstr(json_object_get_string_member(obj(root, "user_types/holder/fields/t/type"), "name"),
                    ==, "atomic_t");
    g_assert_cmpint(json_object_get_int_member(obj(root, "user_types/undefined_thing"), "size"), ==, 0);
    g_assert_cmpstr(json_object_get_string_member(obj(root, "user_types/holder/fields/u/type/subtype"),
                                                  "name"), ==, "undefined_thing");
    g_assert_cmpstr(json_object_get_string_member(obj(root, "user_types/holder/fields/fn/type/subtype"),
                                                  "kind"), ==, "function");
    JsonObject *en = obj(root, "enums/state");
    g_assert_cmpstr(json_object_get_string_member(en, "base"), ==, "unsigned int");
    g_assert_cmpint(json_object_get_int_member(obj(en, "constants"), "STOPPED"), ==, 0xffffffffll);

    JsonObject *sy = obj(root, "symbols");
    g_assert_cmpuint(json_object_get_size(sy), ==, G_N_ELEMENTS(syms) - 1);
    g_assert_cmpint(json_object_get_int_member(obj(sy, "init_task"), "address"), ==,
                    (gint64)0xffffffff82a0c940ull);
    g_assert_cmpstr(json_object_get_string_member(obj(sy, "init_task/type"), "name"), ==, "task_struct");
    g_assert_false(json_object_has_member(obj(sy, "modules"), "type")); /* no list_head here */
    g_assert_true(json_object_has_member(sy, "we\"ird\\sym\n"));
    gsize blen;
    g_autofree guchar *b = g_base64_decode(json_object_get_string_member(obj(sy, "linux_banner"),
                                                                        "constant_data"), &blen);
    g_assert_cmpmem(b, blen, banner, sizeof(banner));
    g_assert_cmpuint(st.dropped, >=, 1);
    g_assert_cmpuint(st.renamed, ==, 1);
    g_string_free(json, TRUE);
    btf_free(btf);
}

/* libvmi's ISF reader takes the file back */
static void test_round_trip(void)
{
    btf_t *btf;
    isf_write_stats_t st;
    GString *json = write_test_isf(&btf, &st);
    GError *err = NULL;
    g_autoptr(isf_t) isf = isf_new_from_data(json->str, json->len, &err);
    g_assert_no_error(err);
    uint64_t v, w;
    g_assert_true(isf_member_offset(isf, "task_struct", "comm", &v, NULL));
    g_assert_true(btf_member_offset(btf, "task_struct", "comm", &w, NULL));
    g_assert_cmpuint(v, ==, w);
    g_assert_true(isf_member_offset(isf, "task_struct", "next", &v, NULL));
    g_assert_cmpuint(v, ==, 32);
    g_assert_true(isf_member_offset(isf, "task_struct", "a", &v, NULL)); /* in the anonymous union */
    g_assert_cmpuint(v, ==, 24);
    g_assert_true(isf_member_offset(isf, "holder", "t.counter", &v, NULL));
    g_assert_cmpuint(v, ==, 0);
    g_assert_true(isf_type_size(isf, "task_struct", &v, NULL));
    g_assert_cmpuint(v, ==, 64);
    g_assert_true(isf_type_size(isf, "atomic_t", &v, NULL));
    g_assert_cmpuint(v, ==, 4);
    addr_t a;
    g_assert_true(isf_symbol(isf, "init_task", &a));
    g_assert_cmpuint(a, ==, 0xffffffff82a0c940ull);
    g_assert_cmpstr(isf_banner(isf), ==, banner);
    g_assert_cmpstr(isf_format(isf), ==, "6.2.0");
    g_string_free(json, TRUE);
    btf_free(btf);
}

/* Unusable input is an error, not a crash. */
static void test_refusals(void)
{
    GError *err = NULL;
    isf_write_input_t none = { 0 };
    g_assert_null(isf_write_json(&none, NULL, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_INVALID);
    g_clear_error(&err);
    /* a BTF with no 'long': the size of a pointer is unknown */
    static const uint8_t tiny[] = { 0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                    0, 0, 0, 0, 1, 0, 0, 0, 0 };
    btf_t *btf = btf_parse(tiny, sizeof(tiny), &err);
    g_assert_no_error(err);
    isf_write_input_t in = { .btf = btf };
    g_assert_null(isf_write_json(&in, NULL, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_INVALID);
    g_clear_error(&err);
    btf_free(btf);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/isf-write/json", test_json);
    g_test_add_func("/isf-write/round-trip", test_round_trip);
    g_test_add_func("/isf-write/refusals", test_refusals);
    return g_test_run();
}
