/*
 * test-btf.c - the BTF reader (libvmi/os/linux/btf.c) against BTF built
 * here record by record, cut and corrupted copies of it, and the .BTF
 * sections of real Debian kernels compared with pahole's view of them.
 *
 * Real kernels: every directory under $LIBVMI_TEST_KERNELS (the rig's
 * kernels/ cache, a directory counted once it has its .complete mark)
 * whose vmlinux has a .BTF section; each structure's
 * members and size come from pahole (its stored pahole.txt, and pahole run
 * here on the vmlinux) and offsets.txt.  Unset: those tests are skipped.
 *
 * Every input is handed to the parser in an allocation of exactly its
 * size, so AddressSanitizer catches a read one byte past the end.
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "btf.h"
#include "private.h"

/* ---- a BTF writer --------------------------------------------------------- */

enum {
    T_INT = 1, T_PTR = 2, T_ARRAY = 3, T_STRUCT = 4, T_UNION = 5, T_ENUM = 6, T_FWD = 7,
    T_TYPEDEF = 8, T_VOLATILE = 9, T_CONST = 10, T_FUNC = 12, T_FUNC_PROTO = 13,
    T_VAR = 14, T_DATASEC = 15, T_FLOAT = 16, T_DECL_TAG = 17, T_TYPE_TAG = 18,
    T_ENUM64 = 19,
};

typedef struct {
    GByteArray *types;
    GByteArray *strs;
    uint32_t next_id;
} bb_t;

static void bb_init(bb_t *b)
{
    b->types = g_byte_array_new();
    b->strs = g_byte_array_new();
    g_byte_array_append(b->strs, (const guint8 *)"", 1);
    b->next_id = 1;
}

static void bb_clear(bb_t *b)
{
    g_byte_array_unref(b->types);
    g_byte_array_unref(b->strs);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(bb_t, bb_clear)

static uint32_t bb_str(bb_t *b, const char *s)
{
    if (!s || !*s)
        return 0;
    uint32_t off = b->strs->len;
    g_byte_array_append(b->strs, (const guint8 *)s, strlen(s) + 1);
    return off;
}

static void bb_u32(bb_t *b, uint32_t v)
{
    uint8_t le[4] = { v, v >> 8, v >> 16, v >> 24 };
    g_byte_array_append(b->types, le, 4);
}

/* A record header; the kind's data follows with bb_u32. */
static uint32_t bb_rec(bb_t *b, const char *name, uint32_t kind, bool kflag, uint32_t vlen,
                       uint32_t size_type)
{
    bb_u32(b, bb_str(b, name));
    bb_u32(b, (kflag ? 1u << 31 : 0) | kind << 24 | vlen);
    bb_u32(b, size_type);
    return b->next_id++;
}

static uint32_t bb_int(bb_t *b, const char *name, uint32_t size, uint32_t bits, uint32_t off)
{
    uint32_t id = bb_rec(b, name, T_INT, false, 0, size);
    bb_u32(b, off << 16 | bits);
    return id;
}

static uint32_t bb_ref(bb_t *b, uint32_t kind, const char *name, uint32_t type)
{
    return bb_rec(b, name, kind, false, 0, type);
}

static uint32_t bb_array(bb_t *b, uint32_t elem, uint32_t index, uint32_t n)
{
    uint32_t id = bb_rec(b, NULL, T_ARRAY, false, 0, 0);
    bb_u32(b, elem);
    bb_u32(b, index);
    bb_u32(b, n);
    return id;
}

static void bb_member(bb_t *b, const char *name, uint32_t type, uint32_t off)
{
    bb_u32(b, bb_str(b, name));
    bb_u32(b, type);
    bb_u32(b, off);
}

/* The BTF: header, types, strings, in a buffer of exactly its size. */
static uint8_t *bb_finish(bb_t *b, size_t *len)
{
    *len = 24 + b->types->len + b->strs->len;
    uint8_t *d = g_malloc(*len);
    uint32_t hdr[6] = { 0xeB9F | 1u << 16, 24, 0, b->types->len, b->types->len,
                        b->strs->len };
    memcpy(d, hdr, 24);
    memcpy(d + 24, b->types->data, b->types->len);
    memcpy(d + 24 + b->types->len, b->strs->data, b->strs->len);
    return d;
}

/* ---- the hand-built BTF --------------------------------------------------- */

/* ids of the sample, as built by build_sample() */
enum {
    S_FWD_TASK = 1, S_INT, S_ULONG, S_CHAR, S_LIST, S_LIST_PTR, S_COMM, S_ANON_S, S_ANON_U,
    S_U32, S_U32B, S_UINT, S_CONST_U32, S_TASK, S_TASK_PTR, S_FWD_MM, S_MM_PTR, S_OLD,
    S_BITS3, S_BITS5, S_BITS4_AT2, S_LOOP_A, S_LOOP_B, S_CYC, S_SELF, S_BOMB, S_COLOR,
    S_TASK_T, S_UNION_U, S_EMPTY, S_VOLATILE_PTR, S_ENUM64, S_DEEP0,
};
#define DEEP_LEVELS (BTF_MAX_DEPTH + 4)
#define DAG_LEVELS 20

static void build_sample(bb_t *b)
{
    bb_init(b);
    g_assert_cmpuint(bb_rec(b, "task", T_FWD, false, 0, 0), ==, S_FWD_TASK);
    g_assert_cmpuint(bb_int(b, "int", 4, 32, 0), ==, S_INT);
    g_assert_cmpuint(bb_int(b, "long unsigned int", 8, 64, 0), ==, S_ULONG);
    g_assert_cmpuint(bb_int(b, "char", 1, 8, 0), ==, S_CHAR);
    /* struct list_head { struct list_head *next, *prev; } */
    g_assert_cmpuint(bb_rec(b, "list_head", T_STRUCT, false, 2, 16), ==, S_LIST);
    bb_member(b, "next", S_LIST_PTR, 0);
    bb_member(b, "prev", S_LIST_PTR, 64);
    g_assert_cmpuint(bb_ref(b, T_PTR, NULL, S_LIST), ==, S_LIST_PTR);
    g_assert_cmpuint(bb_array(b, S_CHAR, S_INT, 16), ==, S_COMM);
    /* struct { int c; int d; } */
    g_assert_cmpuint(bb_rec(b, NULL, T_STRUCT, false, 2, 8), ==, S_ANON_S);
    bb_member(b, "c", S_INT, 0);
    bb_member(b, "d", S_INT, 32);
    /* union { unsigned long b; struct { int c, d; }; } */
    g_assert_cmpuint(bb_rec(b, NULL, T_UNION, false, 2, 8), ==, S_ANON_U);
    bb_member(b, "b", S_ULONG, 0);
    bb_member(b, NULL, S_ANON_S, 0);
    /* typedef __u32 u32; typedef unsigned int __u32; */
    g_assert_cmpuint(bb_ref(b, T_TYPEDEF, "u32", S_U32B), ==, S_U32);
    g_assert_cmpuint(bb_ref(b, T_TYPEDEF, "__u32", S_UINT), ==, S_U32B);
    g_assert_cmpuint(bb_int(b, "unsigned int", 4, 32, 0), ==, S_UINT);
    g_assert_cmpuint(bb_ref(b, T_CONST, NULL, S_U32), ==, S_CONST_U32);
    /* struct task (kind_flag: bitfield sizes in the member offsets) */
    g_assert_cmpuint(bb_rec(b, "task", T_STRUCT, true, 9, 64), ==, S_TASK);
    bb_member(b, "a", S_INT, 0);
    bb_member(b, NULL, S_ANON_U, 64);          /* b at 64, c at 64, d at 96 */
    bb_member(b, "tasks", S_LIST, 128);
    bb_member(b, "comm", S_COMM, 256);
    bb_member(b, "flags", S_UINT, 3u << 24 | 384);
    bb_member(b, "mode", S_UINT, 5u << 24 | 387);
    bb_member(b, "id", S_CONST_U32, 416);
    bb_member(b, "next_task", S_TASK_PTR, 448);
    bb_member(b, "mm", S_MM_PTR, 0);            /* unions would overlap; a struct may not,
                                                   but offsets are not checked for that */
    g_assert_cmpuint(bb_ref(b, T_PTR, NULL, S_TASK), ==, S_TASK_PTR);
    g_assert_cmpuint(bb_rec(b, "mm", T_FWD, false, 0, 0), ==, S_FWD_MM);
    g_assert_cmpuint(bb_ref(b, T_PTR, NULL, S_FWD_MM), ==, S_MM_PTR);
    /* bitfields without kind_flag: the int type carries the width (and an offset) */
    g_assert_cmpuint(bb_rec(b, "old", T_STRUCT, false, 4, 8), ==, S_OLD);
    bb_member(b, "x", S_BITS3, 0);
    bb_member(b, "y", S_BITS5, 3);
    bb_member(b, "w", S_BITS4_AT2, 8);          /* first bit 8 + 2 */
    bb_member(b, "z", S_INT, 32);
    g_assert_cmpuint(bb_int(b, "unsigned int", 4, 3, 0), ==, S_BITS3);
    g_assert_cmpuint(bb_int(b, "unsigned int", 4, 5, 0), ==, S_BITS5);
    g_assert_cmpuint(bb_int(b, "unsigned int", 4, 4, 2), ==, S_BITS4_AT2);
    /* typedef loop_b loop_a; typedef loop_a loop_b; */
    g_assert_cmpuint(bb_ref(b, T_TYPEDEF, "loop_a", S_LOOP_B), ==, S_LOOP_A);
    g_assert_cmpuint(bb_ref(b, T_TYPEDEF, "loop_b", S_LOOP_A), ==, S_LOOP_B);
    g_assert_cmpuint(bb_rec(b, "cyc", T_STRUCT, false, 2, 8), ==, S_CYC);
    bb_member(b, "m", S_LOOP_A, 0);
    bb_member(b, "n", S_INT, 32);
    /* a struct that holds itself as an anonymous member (not C, but BTF can say it) */
    g_assert_cmpuint(bb_rec(b, "self", T_STRUCT, false, 2, 8), ==, S_SELF);
    bb_member(b, "x", S_INT, 32);
    bb_member(b, NULL, S_SELF, 0);
    /* 16 anonymous members that are itself */
    g_assert_cmpuint(bb_rec(b, "bomb", T_STRUCT, false, 16, 8), ==, S_BOMB);
    for (int i = 0; i < 16; i++)
        bb_member(b, NULL, S_BOMB, 0);
    g_assert_cmpuint(bb_rec(b, "color", T_ENUM, false, 2, 4), ==, S_COLOR);
    bb_u32(b, bb_str(b, "RED"));
    bb_u32(b, 0);
    bb_u32(b, bb_str(b, "GREEN"));
    bb_u32(b, 1);
    g_assert_cmpuint(bb_ref(b, T_TYPEDEF, "task_t", S_TASK), ==, S_TASK_T);
    g_assert_cmpuint(bb_rec(b, "u", T_UNION, false, 2, 8), ==, S_UNION_U);
    bb_member(b, "i", S_INT, 0);
    bb_member(b, "l", S_ULONG, 0);
    g_assert_cmpuint(bb_rec(b, "empty", T_STRUCT, false, 0, 0), ==, S_EMPTY);
    g_assert_cmpuint(bb_ref(b, T_VOLATILE, NULL, S_LIST_PTR), ==, S_VOLATILE_PTR);
    g_assert_cmpuint(bb_rec(b, "big", T_ENUM64, true, 1, 8), ==, S_ENUM64);
    bb_u32(b, bb_str(b, "HUGE"));
    bb_u32(b, 0xffffffff);
    bb_u32(b, 0xffffffff);
    /* struct deepN { struct { struct { ... } } }: anonymous nesting past the bound */
    for (uint32_t i = 0; i < DEEP_LEVELS; i++) {
        g_assert_cmpuint(bb_rec(b, i ? NULL : "deep", T_STRUCT, false, 1, 4), ==, S_DEEP0 + i);
        if (i + 1 < DEEP_LEVELS)
            bb_member(b, NULL, S_DEEP0 + i + 1, 0);
        else
            bb_member(b, "bottom", S_INT, 0);
    }
    /* struct dag { 16 x struct { 16 x struct { ... int leaf; } } } */
    for (uint32_t i = 0; i < DAG_LEVELS; i++) {
        g_assert_cmpuint(bb_rec(b, i ? NULL : "dag", T_STRUCT, false, i + 1 < DAG_LEVELS ? 16 : 1,
                                4), ==, S_DEEP0 + DEEP_LEVELS + i);
        for (int j = 0; j < 16 && i + 1 < DAG_LEVELS; j++)
            bb_member(b, NULL, S_DEEP0 + DEEP_LEVELS + i + 1, 0);
        if (i + 1 == DAG_LEVELS)
            bb_member(b, "leaf", S_INT, 0);
    }
    /* the kinds a lookup never asks for, so the walk must step over them */
    uint32_t proto = bb_rec(b, NULL, T_FUNC_PROTO, false, 2, S_INT);
    bb_u32(b, bb_str(b, "arg"));
    bb_u32(b, S_INT);
    bb_u32(b, 0);
    bb_u32(b, 0);
    bb_ref(b, T_FUNC, "do_it", proto);
    uint32_t var = bb_rec(b, "jiffies", T_VAR, false, 0, S_ULONG);
    bb_u32(b, 1);
    bb_rec(b, ".data", T_DATASEC, false, 1, 8);
    bb_u32(b, var);
    bb_u32(b, 0);
    bb_u32(b, 8);
    bb_rec(b, "double", T_FLOAT, false, 0, 8);
    bb_rec(b, "tag", T_DECL_TAG, false, 0, S_TASK);
    bb_u32(b, 0xffffffff);
    bb_ref(b, T_TYPE_TAG, "user", S_INT);
}

static btf_t *sample(void)
{
    g_auto(bb_t) b;
    build_sample(&b);
    size_t len;
    uint8_t *d = bb_finish(&b, &len);
    g_autoptr(GError) err = NULL;
    btf_t *btf = btf_parse_take(d, len, &err);
    g_assert_no_error(err);
    g_assert_nonnull(btf);
    return btf;
}

static uint64_t bit_off(const btf_t *btf, const char *type, const char *member)
{
    g_autoptr(GError) err = NULL;
    uint64_t v = UINT64_MAX;
    if (!btf_member_bit_offset(btf, type, member, &v, &err))
        g_error("%s.%s: %s", type, member, err->message);
    return v;
}

static uint64_t byte_off(const btf_t *btf, const char *type, const char *member)
{
    g_autoptr(GError) err = NULL;
    uint64_t v = UINT64_MAX;
    if (!btf_member_offset(btf, type, member, &v, &err))
        g_error("%s.%s: %s", type, member, err->message);
    return v;
}

static uint64_t msize(const btf_t *btf, const char *type, const char *member)
{
    g_autoptr(GError) err = NULL;
    uint64_t v = UINT64_MAX;
    if (!btf_member_size(btf, type, member, &v, &err))
        g_error("%s.%s: %s", type, member, err->message);
    return v;
}

static uint64_t tsize(const btf_t *btf, const char *type)
{
    g_autoptr(GError) err = NULL;
    uint64_t v = UINT64_MAX;
    if (!btf_type_size(btf, type, &v, &err))
        g_error("%s: %s", type, err->message);
    return v;
}

static uint32_t bf(const btf_t *btf, const char *type, const char *member)
{
    g_autoptr(GError) err = NULL;
    uint32_t v = UINT32_MAX;
    if (!btf_member_bitfield_size(btf, type, member, &v, &err))
        g_error("%s.%s: %s", type, member, err->message);
    return v;
}

/* The error of a failed call: its code, and @needle in its message. */
#define assert_error(err, code, needle)                                            \
    do {                                                                           \
        g_assert_error((err), VMI_ERROR, (code));                                  \
        if (!strstr((err)->message, (needle)))                                     \
            g_error("error '%s' does not contain '%s'", (err)->message, (needle)); \
        g_clear_error(&(err));                                                     \
    } while (0)

static void test_sample_offsets(void)
{
    g_autoptr(btf_t) btf = sample();
    g_assert_cmpuint(btf_type_count(btf), ==, S_DEEP0 + DEEP_LEVELS + DAG_LEVELS + 7);
    g_assert_cmpuint(byte_off(btf, "task", "a"), ==, 0);
    g_assert_cmpuint(byte_off(btf, "struct task", "b"), ==, 8);
    g_assert_cmpuint(byte_off(btf, "task", "c"), ==, 8);
    g_assert_cmpuint(byte_off(btf, "task", "d"), ==, 12);
    g_assert_cmpuint(byte_off(btf, "task", "tasks"), ==, 16);
    g_assert_cmpuint(byte_off(btf, "task", "tasks.prev"), ==, 24);
    g_assert_cmpuint(byte_off(btf, "task", "comm"), ==, 32);
    g_assert_cmpuint(byte_off(btf, "task", "id"), ==, 52);
    g_assert_cmpuint(byte_off(btf, "task", "next_task"), ==, 56);
    g_assert_cmpuint(byte_off(btf, "task_t", "tasks.next"), ==, 16);
    g_assert_cmpuint(byte_off(btf, "list_head", "prev"), ==, 8);
    g_assert_cmpuint(byte_off(btf, "union u", "l"), ==, 0);
}

static void test_sample_bitfields(void)
{
    g_autoptr(btf_t) btf = sample();
    g_autoptr(GError) err = NULL;
    uint64_t v;
    /* kind_flag */
    g_assert_cmpuint(bit_off(btf, "task", "flags"), ==, 384);
    g_assert_cmpuint(bf(btf, "task", "flags"), ==, 3);
    g_assert_cmpuint(byte_off(btf, "task", "flags"), ==, 48);
    g_assert_cmpuint(bit_off(btf, "task", "mode"), ==, 387);
    g_assert_cmpuint(bf(btf, "task", "mode"), ==, 5);
    g_assert_false(btf_member_offset(btf, "task", "mode", &v, &err));
    assert_error(err, VMI_ERROR_INVALID, "bit 387");
    g_assert_cmpuint(bf(btf, "task", "comm"), ==, 0);
    g_assert_cmpuint(msize(btf, "task", "mode"), ==, 4);
    /* without kind_flag */
    g_assert_cmpuint(bit_off(btf, "old", "x"), ==, 0);
    g_assert_cmpuint(bf(btf, "old", "x"), ==, 3);
    g_assert_cmpuint(bit_off(btf, "old", "y"), ==, 3);
    g_assert_cmpuint(bf(btf, "old", "y"), ==, 5);
    g_assert_cmpuint(bit_off(btf, "old", "w"), ==, 10);
    g_assert_cmpuint(bf(btf, "old", "w"), ==, 4);
    g_assert_cmpuint(bit_off(btf, "old", "z"), ==, 32);
    g_assert_cmpuint(bf(btf, "old", "z"), ==, 0);
    g_assert_false(btf_member_offset(btf, "old", "y", &v, &err));
    assert_error(err, VMI_ERROR_INVALID, "old.y");
}

static void test_sample_sizes(void)
{
    g_autoptr(btf_t) btf = sample();
    g_autoptr(GError) err = NULL;
    uint64_t v;
    g_assert_cmpuint(tsize(btf, "task"), ==, 64);
    g_assert_cmpuint(tsize(btf, "struct task"), ==, 64);
    g_assert_cmpuint(tsize(btf, "task_t"), ==, 64);
    g_assert_cmpuint(tsize(btf, "u32"), ==, 4);
    g_assert_cmpuint(tsize(btf, "int"), ==, 4);
    g_assert_cmpuint(tsize(btf, "long unsigned int"), ==, 8);
    g_assert_cmpuint(tsize(btf, "union u"), ==, 8);
    g_assert_cmpuint(tsize(btf, "enum color"), ==, 4);
    g_assert_cmpuint(tsize(btf, "enum big"), ==, 8);
    g_assert_cmpuint(tsize(btf, "struct empty"), ==, 0);
    g_assert_cmpuint(tsize(btf, "double"), ==, 8);
    g_assert_cmpuint(msize(btf, "task", "comm"), ==, 16);
    g_assert_cmpuint(msize(btf, "task", "tasks"), ==, 16);
    g_assert_cmpuint(msize(btf, "task", "next_task"), ==, 8);
    g_assert_cmpuint(msize(btf, "task", "mm"), ==, 8);
    g_assert_cmpuint(msize(btf, "task", "id"), ==, 4);
    g_assert_cmpuint(msize(btf, "task", "b"), ==, 8);
    g_assert_cmpuint(msize(btf, "task", "tasks.next"), ==, 8);
    /* only a forward declaration */
    g_assert_false(btf_type_size(btf, "struct mm", &v, &err));
    assert_error(err, VMI_ERROR_NOT_FOUND, "forward declaration");
    g_assert_false(btf_type_size(btf, "do_it", &v, &err));
    assert_error(err, VMI_ERROR_NOT_FOUND, "do_it");
}

static void test_sample_names(void)
{
    g_autoptr(btf_t) btf = sample();
    g_autoptr(GError) err = NULL;
    uint64_t v;
    /* the forward declaration of task (type 1) loses to its definition */
    g_assert_cmpuint(tsize(btf, "task"), ==, 64);
    g_assert_false(btf_member_offset(btf, "union task", "a", &v, &err));
    assert_error(err, VMI_ERROR_NOT_FOUND, "union task");
    g_assert_false(btf_member_offset(btf, "struct u", "i", &v, &err));
    assert_error(err, VMI_ERROR_NOT_FOUND, "struct u");
    g_assert_false(btf_member_offset(btf, "nosuch", "a", &v, &err));
    assert_error(err, VMI_ERROR_NOT_FOUND, "nosuch");
    g_assert_false(btf_member_offset(btf, "task", "nosuch", &v, &err));
    assert_error(err, VMI_ERROR_NOT_FOUND, "struct task (type 14) has no member 'nosuch'");
    g_assert_false(btf_member_offset(btf, "task", "tasks.nosuch", &v, &err));
    assert_error(err, VMI_ERROR_NOT_FOUND, "'tasks.nosuch' in task");
    g_assert_false(btf_member_offset(btf, "task", "comm.x", &v, &err));
    assert_error(err, VMI_ERROR_INVALID, "array");
    g_assert_false(btf_member_offset(btf, "task", "tasks..next", &v, &err));
    assert_error(err, VMI_ERROR_INVALID, "empty component");
    g_assert_false(btf_member_offset(btf, "task", "", &v, &err));
    assert_error(err, VMI_ERROR_INVALID, "path");
    g_assert_false(btf_member_offset(btf, "int", "a", &v, &err));
    assert_error(err, VMI_ERROR_INVALID, "not a struct or union");
    g_assert_false(btf_member_offset(btf, "struct ", "a", &v, &err));
    assert_error(err, VMI_ERROR_INVALID, "empty type name");
    /* a struct with size 0 and no members is a complete (empty) struct */
    g_assert_false(btf_member_offset(btf, "empty", "a", &v, &err));
    assert_error(err, VMI_ERROR_NOT_FOUND, "struct empty");
    g_autofree char *long_path = g_strnfill(BTF_MAX_PATH + 1, 'a');
    g_assert_false(btf_member_offset(btf, "task", long_path, &v, &err));
    assert_error(err, VMI_ERROR_INVALID, "path");
}

static void test_sample_hostile_shapes(void)
{
    g_autoptr(btf_t) btf = sample();
    g_autoptr(GError) err = NULL;
    uint64_t v;
    gint64 t0 = g_get_monotonic_time();
    /* a cycle of typedefs: an error, not a hang */
    g_assert_false(btf_type_size(btf, "loop_a", &v, &err));
    assert_error(err, VMI_ERROR_CORRUPT, "cycle");
    g_assert_false(btf_member_size(btf, "cyc", "m", &v, &err));
    assert_error(err, VMI_ERROR_CORRUPT, "cycle");
    g_assert_cmpuint(bit_off(btf, "cyc", "n"), ==, 32);
    /* a struct inside itself (anonymous members): refused as a cycle at
     * once, not walked until a bound (the fuzzer found a BTF where every
     * lookup cost the whole visit budget that way) */
    g_assert_cmpuint(byte_off(btf, "self", "x"), ==, 4);
    g_assert_false(btf_member_offset(btf, "self", "nosuch", &v, &err));
    assert_error(err, VMI_ERROR_CORRUPT, "contains itself");
    g_assert_false(btf_member_offset(btf, "bomb", "nosuch", &v, &err));
    assert_error(err, VMI_ERROR_CORRUPT, "contains itself");
    /* 16^20 members within the nesting bound: each anonymous aggregate is
     * searched once per lookup, so the answer is the true one ("no such
     * member"), found in linear time, not the work bound's error */
    g_assert_false(btf_member_offset(btf, "dag", "nosuch", &v, &err));
    assert_error(err, VMI_ERROR_NOT_FOUND, "has no member");
    g_assert_cmpuint(byte_off(btf, "dag", "leaf"), ==, 0);
    /* anonymous nesting deeper than the bound */
    g_assert_false(btf_member_offset(btf, "deep", "bottom", &v, &err));
    assert_error(err, VMI_ERROR_CORRUPT, "nested more than");
    /* a self-referential pointer is just a pointer */
    g_assert_cmpuint(msize(btf, "list_head", "next"), ==, 8);
    (void)t0;   /* a hang is caught by the test harness's timeout, not by a timer here */
}

/* ---- malformed input ------------------------------------------------------ */

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void expect_corrupt(const uint8_t *d, size_t len, int code, const char *needle)
{
    g_autoptr(GError) err = NULL;
    uint8_t *copy = g_memdup2(d, len);
    btf_t *btf = btf_parse(copy, len, &err);
    if (btf)
        g_error("a BTF accepted, '%s' expected", needle);
    assert_error(err, code, needle);
    g_free(copy);
}

static void test_malformed_header(void)
{
    g_auto(bb_t) b;
    build_sample(&b);
    size_t len;
    g_autofree uint8_t *good = bb_finish(&b, &len);
    g_autofree uint8_t *d = g_memdup2(good, len);
    uint32_t tlen = b.types->len, slen = b.strs->len;

    expect_corrupt(d, 0, VMI_ERROR_CORRUPT, "shorter than");
    expect_corrupt(d, 23, VMI_ERROR_CORRUPT, "shorter than");
    d[0] = 0xeb, d[1] = 0x9f;
    expect_corrupt(d, len, VMI_ERROR_UNSUPPORTED, "big-endian");
    d[0] = 0x7f, d[1] = 'E';
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "bad magic 0x457f at offset 0");
    memcpy(d, good, len);
    d[2] = 2;
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "version 2");
    memcpy(d, good, len);
    put32(d + 4, 20);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "header length 20");
    put32(d + 4, (uint32_t)len + 1);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "header length");
    memcpy(d, good, len);
    put32(d + 12, tlen + slen + 1);
    g_autofree char *past = g_strdup_printf("type section at 24..%zu runs past the end of the "
                                            "%zu-byte buffer", len + 1, len);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, past);
    put32(d + 8, 0xfffffff0);               /* offset + length wraps in 32 bits */
    put32(d + 12, 0x20);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "type section at 4294967304..4294967336 runs past");
    memcpy(d, good, len);
    put32(d + 16, 0xffffffff);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "string section");
    memcpy(d, good, len);
    put32(d + 20, slen + 1);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "string section");
    memcpy(d, good, len);
    put32(d + 16, tlen - 4);
    put32(d + 20, slen + 4);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "overlap");
    memcpy(d, good, len);
    d[len - 1] = 'x';
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "NUL");
    memcpy(d, good, len);
    put32(d + 20, 0);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "NUL");
    /* every cut of the buffer: the header then points past its end */
    for (size_t cut = 0; cut < len; cut++)
        expect_corrupt(good, cut, VMI_ERROR_CORRUPT, "BTF: ");
}

static void test_malformed_records(void)
{
    g_auto(bb_t) b;
    build_sample(&b);
    size_t len;
    g_autofree uint8_t *good = bb_finish(&b, &len);
    g_autofree uint8_t *d = g_memdup2(good, len);
    const size_t T = 24;                    /* the type section */
    uint32_t tlen = b.types->len;

    /* record 1 (fwd "task") */
    put32(d + T + 4, 25u << 24);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "type 1 at type section offset 0: unknown kind 25");
    put32(d + T + 4, 0);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "unknown kind 0");
    memcpy(d, good, len);
    put32(d + T, b.strs->len);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "type 1: name offset");
    /* type 5, list_head: a member's name, a member's type, its vlen */
    memcpy(d, good, len);
    size_t list = T + 12 + 16 * 3;
    put32(d + list + 12, 0x7fffffff);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "type 5: name offset 2147483647");
    memcpy(d, good, len);
    put32(d + list + 16, 100000);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "type 5 (at type section offset 60) refers to type 100000");
    memcpy(d, good, len);
    put32(d + list + 4, T_STRUCT << 24 | 0xffff);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "type 5 (struct) at type section offset 60");
    /* a typedef to a type id past the last */
    memcpy(d, good, len);
    put32(d + T + 8, 0);
    put32(d + T + 4, T_TYPEDEF << 24);
    put32(d + T + 8, 5000);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "refers to type 5000");
    /* ... and to the first id past the last (ids are 0..count-1) */
    uint32_t count = S_DEEP0 + DEEP_LEVELS + DAG_LEVELS + 7;
    put32(d + T + 8, count);
    g_autofree char *past = g_strdup_printf("type 1 (at type section offset 0) refers to type %u, "
                                            "but there are only %u types", count, count);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, past);
    put32(d + T + 8, count - 1);
    g_autoptr(btf_t) last = btf_parse(d, len, NULL);
    g_assert_nonnull(last);
    /* a type section that ends inside a record */
    memcpy(d, good, len);
    for (uint32_t cut = 1; cut < tlen; cut++) {
        put32(d + 12, cut);
        g_autoptr(GError) err = NULL;
        btf_t *btf = btf_parse(d, len, &err);
        if (btf) {
            /* a cut at a record boundary before any forward reference is a smaller BTF */
            g_assert_cmpuint(btf_type_count(btf), <, S_DEEP0 + DEEP_LEVELS + DAG_LEVELS + 7);
            btf_free(btf);
        } else {
            g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
        }
    }
    put32(d + 12, 13);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, "type 2 at type section offset 12: record runs past");
    /* the section ends 2 bytes into the 4 that follow the decl tag (the last but one) */
    put32(d + 12, tlen - 12 - 2);
    g_autofree char *tag = g_strdup_printf("type %u (declaration tag) at type section offset %u: "
                                           "its 4 bytes of data run past the end", count - 2,
                                           tlen - 12 - 16);
    expect_corrupt(d, len, VMI_ERROR_CORRUPT, tag);
}

/* Random flips of the sample: never a crash or a hang. */
static void test_malformed_flips(void)
{
    g_auto(bb_t) b;
    build_sample(&b);
    size_t len;
    g_autofree uint8_t *good = bb_finish(&b, &len);
    g_autoptr(GRand) rnd = g_rand_new_with_seed(20240611);
    unsigned ok = 0;
    for (int i = 0; i < 20000; i++) {
        uint8_t *d = g_memdup2(good, len);
        int n = g_rand_int_range(rnd, 1, 4);
        for (int k = 0; k < n; k++)
            d[g_rand_int_range(rnd, 0, (gint32)len)] ^= 1u << g_rand_int_range(rnd, 0, 8);
        g_autoptr(GError) err = NULL;
        btf_t *btf = btf_parse(d, len, &err);
        if (btf) {
            uint64_t v;
            uint32_t bits;
            static const char *const m[] = { "a", "c", "tasks.prev", "flags", "comm", "x" };
            static const char *const t[] = { "task", "old", "self", "bomb", "cyc", "u32" };
            for (size_t j = 0; j < G_N_ELEMENTS(m); j++) {
                for (size_t k = 0; k < G_N_ELEMENTS(t); k++) {
                    btf_member_bit_offset(btf, t[k], m[j], &v, NULL);
                    btf_member_offset(btf, t[k], m[j], &v, NULL);
                    btf_member_size(btf, t[k], m[j], &v, NULL);
                    btf_member_bitfield_size(btf, t[k], m[j], &bits, NULL);
                    btf_type_size(btf, t[k], &v, NULL);
                }
            }
            btf_free(btf);
            ok++;
        } else {
            g_assert_nonnull(err);
            g_assert_true(err->domain == VMI_ERROR);
        }
        g_free(d);
    }
    g_test_message("%u of 20000 flipped samples parsed", ok);
}

/* ---- real kernels --------------------------------------------------------- */

typedef struct {
    char *dir;
    GMappedFile *map;
    const uint8_t *btf;      /* inside map */
    size_t btf_len;
    bool is_elf;
} kernel_t;

static void kernel_free(kernel_t *k)
{
    g_free(k->dir);
    if (k->map)
        g_mapped_file_unref(k->map);
    g_free(k);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(kernel_t, kernel_free)

/* Section @i of an ELF32 or ELF64 file: its offset, size and name offset. */
static void shdr(const uint8_t *sh, bool is64, uint64_t *off, uint64_t *size, uint64_t *name)
{
    if (is64) {
        Elf64_Shdr h;
        memcpy(&h, sh, sizeof(h));
        *off = h.sh_offset, *size = h.sh_size, *name = h.sh_name;
    } else {
        Elf32_Shdr h;
        memcpy(&h, sh, sizeof(h));
        *off = h.sh_offset, *size = h.sh_size, *name = h.sh_name;
    }
}

/* The section named @want of a little-endian ELF32 or ELF64 vmlinux. */
static bool elf_section(const uint8_t *f, size_t n, const char *want, const uint8_t **out,
                        size_t *out_len)
{
    if (n < sizeof(Elf64_Ehdr) || memcmp(f, ELFMAG, SELFMAG) || f[EI_DATA] != ELFDATA2LSB)
        return false;
    bool is64 = f[EI_CLASS] == ELFCLASS64;
    uint64_t shoff, shnum, shentsize, shstrndx;
    if (is64) {
        Elf64_Ehdr e;
        memcpy(&e, f, sizeof(e));
        shoff = e.e_shoff, shnum = e.e_shnum, shentsize = e.e_shentsize, shstrndx = e.e_shstrndx;
    } else {
        Elf32_Ehdr e;
        memcpy(&e, f, sizeof(e));
        shoff = e.e_shoff, shnum = e.e_shnum, shentsize = e.e_shentsize, shstrndx = e.e_shstrndx;
    }
    if (shentsize != (is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)) || shoff > n ||
        shnum > (n - shoff) / shentsize || shstrndx >= shnum)
        return false;
    uint64_t str_off, str_size, unused;
    shdr(f + shoff + shstrndx * shentsize, is64, &str_off, &str_size, &unused);
    if (str_off > n || str_size > n - str_off)
        return false;
    for (uint64_t i = 0; i < shnum; i++) {
        uint64_t o, sz, nm;
        shdr(f + shoff + i * shentsize, is64, &o, &sz, &nm);
        if (nm >= str_size || o > n || sz > n - o)
            continue;
        const char *name = (const char *)f + str_off + nm;
        if (strnlen(name, str_size - nm) < str_size - nm && !strcmp(name, want)) {
            *out = f + o;
            *out_len = sz;
            return true;
        }
    }
    return false;
}

static int cmp_str_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The kernel directories under $LIBVMI_TEST_KERNELS (symlinks to one of them once). */
static GPtrArray *kernel_dirs(void)
{
    const char *top = g_getenv("LIBVMI_TEST_KERNELS");
    if (!top || !*top)
        return NULL;
    g_autoptr(GDir) dir = g_dir_open(top, 0, NULL);
    if (!dir)
        return NULL;
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    const char *e;
    while ((e = g_dir_read_name(dir))) {
        g_autofree char *p = g_build_filename(top, e, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_SYMLINK) || !g_file_test(p, G_FILE_TEST_IS_DIR))
            continue;
        g_autofree char *vmlinux = g_build_filename(p, "vmlinux", NULL);
        g_autofree char *complete = g_build_filename(p, ".complete", NULL);
        if (g_file_test(vmlinux, G_FILE_TEST_EXISTS) && g_file_test(complete, G_FILE_TEST_EXISTS))
            g_ptr_array_add(dirs, g_steal_pointer(&p));
    }
    g_ptr_array_sort(dirs, cmp_str_ptr);
    return dirs;
}

static kernel_t *kernel_open(const char *dir)
{
    g_autoptr(kernel_t) k = g_new0(kernel_t, 1);
    k->dir = g_strdup(dir);
    g_autofree char *vmlinux = g_build_filename(dir, "vmlinux", NULL);
    g_autoptr(GError) err = NULL;
    k->map = g_mapped_file_new(vmlinux, FALSE, &err);
    g_assert_no_error(err);
    const uint8_t *f = (const uint8_t *)g_mapped_file_get_contents(k->map);
    size_t n = g_mapped_file_get_length(k->map);
    k->is_elf = n >= 4 && !memcmp(f, ELFMAG, SELFMAG);
    if (!elf_section(f, n, ".BTF", &k->btf, &k->btf_len))
        k->btf = NULL;
    return g_steal_pointer(&k);
}

/* One member as pahole shows it. */
typedef struct {
    char *path;             /* dotted through named members of unnamed types */
    uint64_t byte, bit;     /* bit: within the storage unit at byte (bitfields) */
    uint64_t size;
    bool bitfield;
    bool in_array;          /* a member of an element of an array: not addressable */
} pmember_t;

static void pmember_free(gpointer p)
{
    pmember_t *m = p;
    g_free(m->path);
    g_free(m);
}

typedef struct {
    char *name;
    uint64_t size;
    GPtrArray *members;     /* pmember_t */
} pstruct_t;

static void pstruct_free(gpointer p)
{
    pstruct_t *s = p;
    g_free(s->name);
    g_ptr_array_unref(s->members);
    g_free(s);
}

/* The member name in a pahole declaration ("struct list_head * next",
 * "char comm[16]", "unsigned int x:1", "void (*fn)(int)"). */
static char *decl_name(const char *decl)
{
    g_autofree char *d = g_strdup(decl);
    char *attr = strstr(d, " __attribute__");
    if (attr)
        *attr = '\0';
    char *fp = strstr(d, "(*");
    if (fp) {
        char *end = strchr(fp, ')');
        g_assert_nonnull(end);
        return g_strndup(fp + 2, end - fp - 2);
    }
    g_strchomp(d);
    char *colon = strrchr(d, ':');
    if (colon)
        *colon = '\0';
    g_strchomp(d);
    size_t n = strlen(d);
    while (n && d[n - 1] == ']') {
        char *open = strrchr(d, '[');
        g_assert_nonnull(open);
        *open = '\0';
        n = strlen(d);
    }
    size_t end = n;
    while (n && (g_ascii_isalnum(d[n - 1]) || d[n - 1] == '_'))
        n--;
    return g_strndup(d + n, end - n);
}

typedef struct {
    GPtrArray *members;
} frame_t;

/* The structs in pahole's output. Offsets inside unnamed struct and
 * union types are absolute, as pahole prints them. */
static GPtrArray *pahole_parse(const char *text)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(pstruct_free);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    pstruct_t *cur = NULL;
    GPtrArray *stack = g_ptr_array_new();     /* GPtrArray* of pmember_t, innermost last */
    for (char **lp = lines; *lp; lp++) {
        g_autofree char *l = g_strstrip(g_strdup(*lp));
        if (!cur) {
            if (g_str_has_prefix(l, "struct ") && g_str_has_suffix(l, " {")) {
                cur = g_new0(pstruct_t, 1);
                cur->name = g_strndup(l + 7, strlen(l) - 9);
                cur->members = g_ptr_array_new_with_free_func(pmember_free);
                g_ptr_array_add(stack, cur->members);
            }
            continue;
        }
        if (!strcmp(l, "struct {") || !strcmp(l, "union {") || !strcmp(l, "enum {")) {
            g_ptr_array_add(stack, g_ptr_array_new_with_free_func(pmember_free));
            continue;
        }
        if (l[0] == '}') {
            if (stack->len == 1) {
                g_assert_true(g_str_has_suffix(l, ";"));
                g_ptr_array_add(out, cur);
                cur = NULL;
                g_ptr_array_set_size(stack, 0);
                continue;
            }
            GPtrArray *inner = g_ptr_array_steal_index(stack, stack->len - 1);
            GPtrArray *outer = g_ptr_array_index(stack, stack->len - 1);
            char *semi = strchr(l, ';');
            char *com = strstr(l, "/*");
            g_assert_nonnull(semi);
            g_assert_nonnull(com);
            g_autofree char *decl = g_strndup(l + 1, semi - l - 1);
            g_autofree char *name = decl_name(decl);
            bool array = strchr(decl, '[') != NULL;
            pmember_t *self = g_new0(pmember_t, 1);
            g_assert_cmpint(sscanf(com, "/* %" SCNu64 " %" SCNu64, &self->byte, &self->size), ==, 2);
            for (guint i = 0; i < inner->len; i++) {
                pmember_t *m = g_ptr_array_index(inner, i);
                pmember_t *c = g_new0(pmember_t, 1);
                *c = *m;
                c->path = *name ? g_strconcat(name, ".", m->path, NULL) : g_strdup(m->path);
                c->in_array = m->in_array || array;
                g_ptr_array_add(outer, c);
            }
            g_ptr_array_unref(inner);
            if (*name) {
                self->path = g_steal_pointer(&name);
                g_ptr_array_add(outer, self);
            } else {
                g_free(self);
            }
            continue;
        }
        if (g_str_has_prefix(l, "/*")) {
            uint64_t size;
            if (stack->len == 1 && sscanf(l, "/* size: %" SCNu64 ",", &size) == 1)
                cur->size = size;
            continue;
        }
        char *semi = strchr(l, ';');
        char *com = strstr(l, "/*");
        if (!semi || !com || com < semi)
            continue;       /* an unnamed bitfield (":0") has no comment */
        g_autofree char *decl = g_strndup(l, semi - l);
        pmember_t *m = g_new0(pmember_t, 1);
        m->path = decl_name(decl);
        g_assert_cmpstr(m->path, !=, "");
        if (sscanf(com, "/* %" SCNu64 ":%" SCNu64 " %" SCNu64, &m->byte, &m->bit, &m->size) == 3)
            m->bitfield = true;
        else
            g_assert_cmpint(sscanf(com, "/* %" SCNu64 " %" SCNu64, &m->byte, &m->size), ==, 2);
        g_ptr_array_add(g_ptr_array_index(stack, stack->len - 1), m);
    }
    g_assert_null(cur);
    g_ptr_array_unref(stack);
    return out;
}

/* Compares every member of every struct in @pahole with the BTF; returns
 * the number of members compared. */
static unsigned compare_pahole(const btf_t *btf, const char *text, const char *what)
{
    g_autoptr(GPtrArray) structs = pahole_parse(text);
    g_assert_cmpuint(structs->len, >, 0);
    unsigned n = 0;
    for (guint i = 0; i < structs->len; i++) {
        pstruct_t *s = g_ptr_array_index(structs, i);
        g_autofree char *sname = g_strconcat("struct ", s->name, NULL);
        g_assert_cmpuint(s->size, >, 0);
        if (tsize(btf, sname) != s->size)
            g_error("%s: size of %s: BTF %" G_GUINT64_FORMAT ", pahole %" G_GUINT64_FORMAT,
                    what, sname, tsize(btf, sname), s->size);
        g_assert_cmpuint(s->members->len, >, 0);
        for (guint j = 0; j < s->members->len; j++) {
            pmember_t *m = g_ptr_array_index(s->members, j);
            if (m->in_array)
                continue;
            uint64_t want_bit = m->byte * 8 + m->bit;
            uint64_t got = bit_off(btf, sname, m->path);
            if (got != want_bit)
                g_error("%s: %s.%s at bit %" G_GUINT64_FORMAT ", pahole says %" G_GUINT64_FORMAT
                        " (%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT ")", what, sname, m->path,
                        got, want_bit, m->byte, m->bit);
            uint64_t sz = msize(btf, sname, m->path);
            if (sz != m->size)
                g_error("%s: size of %s.%s: BTF %" G_GUINT64_FORMAT ", pahole %" G_GUINT64_FORMAT,
                        what, sname, m->path, sz, m->size);
            uint32_t bits = bf(btf, sname, m->path);
            if ((bits != 0) != m->bitfield)
                g_error("%s: %s.%s: bitfield width %u, pahole %s a bitfield", what, sname,
                        m->path, bits, m->bitfield ? "shows" : "does not show");
            if (want_bit % 8 == 0)
                g_assert_cmpuint(byte_off(btf, sname, m->path), ==, want_bit / 8);
            n++;
        }
    }
    return n;
}

static char *run_pahole(const char *vmlinux, const char *structs)
{
    g_autofree char *prog = g_find_program_in_path("pahole");
    if (!prog)
        return NULL;
    const char *argv[] = { prog, "-C", structs, vmlinux, NULL };
    char *out = NULL;
    int status = 0;
    g_autoptr(GError) err = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                      NULL, &status, &err) || !g_spawn_check_wait_status(status, NULL)) {
        g_free(out);
        return NULL;
    }
    return out;
}

/* The kernels with BTF under $LIBVMI_TEST_KERNELS; skips without any. */
static GPtrArray *kernels_with_btf(unsigned *without)
{
    g_autoptr(GPtrArray) dirs = kernel_dirs();
    if (!dirs) {
        g_test_skip("LIBVMI_TEST_KERNELS is not set to a directory of kernels");
        return NULL;
    }
    GPtrArray *ks = g_ptr_array_new_with_free_func((GDestroyNotify)kernel_free);
    *without = 0;
    for (guint i = 0; i < dirs->len; i++) {
        kernel_t *k = kernel_open(g_ptr_array_index(dirs, i));
        if (k->btf) {
            g_ptr_array_add(ks, k);
        } else {
            g_test_message("%s: no .BTF section", k->dir);
            (*without)++;
            kernel_free(k);
        }
    }
    if (!ks->len) {
        g_ptr_array_unref(ks);
        g_test_skip("no kernel with BTF under LIBVMI_TEST_KERNELS");
        return NULL;
    }
    return ks;
}

static btf_t *parse_copy(const kernel_t *k, uint8_t **copy)
{
    *copy = g_memdup2(k->btf, k->btf_len);
    g_autoptr(GError) err = NULL;
    btf_t *btf = btf_parse(*copy, k->btf_len, &err);
    g_assert_no_error(err);
    return btf;
}

static const char *const extra_structs = "list_head,cred,file,dentry,inode,module,"
                                         "vm_area_struct,thread_struct,sched_entity";

static void test_real_pahole(void)
{
    unsigned without;
    g_autoptr(GPtrArray) ks = kernels_with_btf(&without);
    if (!ks)
        return;
    for (guint i = 0; i < ks->len; i++) {
        kernel_t *k = g_ptr_array_index(ks, i);
        g_autofree uint8_t *copy = NULL;
        g_autoptr(btf_t) btf = parse_copy(k, &copy);
        g_autofree char *pfile = g_build_filename(k->dir, "pahole.txt", NULL);
        g_autofree char *text = NULL;
        unsigned n = 0, stored = 0;
        if (g_file_get_contents(pfile, &text, NULL, NULL))
            n += stored = compare_pahole(btf, text, pfile);
        g_autofree char *vmlinux = g_build_filename(k->dir, "vmlinux", NULL);
        g_autofree char *more = run_pahole(vmlinux, extra_structs);
        if (more) {
            g_auto(GStrv) names = g_strsplit(extra_structs, ",", -1);
            for (char **nm = names; *nm; nm++) {
                g_autofree char *head = g_strdup_printf("\nstruct %s {\n", *nm);
                if (!strstr(more, head) && !g_str_has_prefix(more, head + 1))
                    g_error("%s: pahole shows no struct %s", vmlinux, *nm);
            }
            n += compare_pahole(btf, more, vmlinux);
        }
        else
            g_test_message("%s: pahole not run (not installed?)", vmlinux);
        g_test_message("%s: %u types; %u members agree with pahole.txt, %u with pahole -C %s",
                       k->dir, btf_type_count(btf), stored, n - stored, extra_structs);
        g_assert_cmpuint(n, >, 500);
    }
}

/* offsets.txt: "task_struct.tasks 2192" lines, and "task_struct.sizeof 9792". */
static void test_real_offsets_txt(void)
{
    unsigned without;
    g_autoptr(GPtrArray) ks = kernels_with_btf(&without);
    if (!ks)
        return;
    for (guint i = 0; i < ks->len; i++) {
        kernel_t *k = g_ptr_array_index(ks, i);
        g_autofree uint8_t *copy = NULL;
        g_autoptr(btf_t) btf = parse_copy(k, &copy);
        g_autofree char *file = g_build_filename(k->dir, "offsets.txt", NULL);
        g_autofree char *text = NULL;
        if (!g_file_get_contents(file, &text, NULL, NULL))
            continue;
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        unsigned n = 0;
        for (char **l = lines; *l; l++) {
            char field[128];
            uint64_t want;
            if (sscanf(*l, "%127s %" SCNu64, field, &want) != 2)
                continue;
            char *dot = strchr(field, '.');
            g_assert_nonnull(dot);
            *dot = '\0';
            if (!strcmp(dot + 1, "sizeof")) {
                g_autofree char *sname = g_strconcat("struct ", field, NULL);
                g_assert_cmpuint(tsize(btf, sname), ==, want);
            } else {
                g_assert_cmpuint(byte_off(btf, field, dot + 1), ==, want);
            }
            n++;
        }
        g_assert_cmpuint(n, >=, 6);
        /* ... and what C says of these */
        g_assert_cmpuint(msize(btf, "task_struct", "comm"), ==, 16);
        g_assert_cmpuint(tsize(btf, "struct list_head"), ==, 16);
        g_assert_cmpuint(msize(btf, "mm_struct", "pgd"), ==, 8);
    }
}

static void test_real_no_btf(void)
{
    g_autoptr(GPtrArray) dirs = kernel_dirs();
    if (!dirs) {
        g_test_skip("LIBVMI_TEST_KERNELS is not set to a directory of kernels");
        return;
    }
    unsigned n = 0;
    for (guint i = 0; i < dirs->len; i++) {
        g_autoptr(kernel_t) k = kernel_open(g_ptr_array_index(dirs, i));
        if (k->btf)
            continue;
        g_assert_true(k->is_elf);
        /* a kernel without BTF has no __start_BTF either */
        g_autofree char *sysmap = g_build_filename(k->dir, "System.map", NULL);
        g_autofree char *text = NULL;
        if (g_file_get_contents(sysmap, &text, NULL, NULL))
            g_assert_null(strstr(text, " __start_BTF\n"));
        /* what a reader finds there instead: not a BTF */
        g_autoptr(GError) err = NULL;
        const uint8_t *f = (const uint8_t *)g_mapped_file_get_contents(k->map);
        g_autofree uint8_t *head = g_memdup2(f, 4096);
        g_assert_null(btf_parse(head, 4096, &err));
        assert_error(err, VMI_ERROR_CORRUPT, "bad magic");
        g_assert_null(btf_parse(head, 0, &err));
        assert_error(err, VMI_ERROR_CORRUPT, "shorter than");
        n++;
    }
    if (!n)
        g_test_skip("no kernel without BTF under LIBVMI_TEST_KERNELS");
}

static double now_ms(void)
{
    return g_get_monotonic_time() / 1000.0;
}

static void test_real_speed(void)
{
    unsigned without;
    g_autoptr(GPtrArray) ks = kernels_with_btf(&without);
    if (!ks)
        return;
    for (guint i = 0; i < ks->len; i++) {
        kernel_t *k = g_ptr_array_index(ks, i);
        g_autofree uint8_t *copy = g_memdup2(k->btf, k->btf_len);
        double best = 1e9, best_parse = 1e9;
        size_t mem = 0;
        uint32_t types = 0;
        for (int rep = 0; rep < 15; rep++) {
            double t0 = now_ms();
            btf_t *btf = btf_parse(copy, k->btf_len, NULL);
            g_assert_nonnull(btf);
            double t1 = now_ms();
            uint64_t v[6];
            g_assert_true(btf_member_offset(btf, "task_struct", "tasks", &v[0], NULL));
            g_assert_true(btf_member_offset(btf, "task_struct", "mm", &v[1], NULL));
            g_assert_true(btf_member_offset(btf, "task_struct", "pid", &v[2], NULL));
            g_assert_true(btf_member_offset(btf, "task_struct", "comm", &v[3], NULL));
            g_assert_true(btf_member_offset(btf, "mm_struct", "pgd", &v[4], NULL));
            g_assert_true(btf_member_offset(btf, "task_struct", "tgid", &v[5], NULL));
            double t2 = now_ms();
            best = MIN(best, t2 - t0);
            best_parse = MIN(best_parse, t1 - t0);
            mem = btf_memory_size(btf);
            types = btf_type_count(btf);
            btf_free(btf);
        }
        g_test_message("%s: %zu bytes of BTF, %u types: parse %.2f ms, parse + 6 lookups "
                       "%.2f ms (best of 15), %zu bytes kept beside the buffer",
                       k->dir, k->btf_len, types, best_parse, best, mem);
#if defined(__SANITIZE_ADDRESS__)
        const double limit = 300;
#else
        const double limit = 30;      /* 3 ms on an idle machine; this one is shared */
#endif
        /* speed is reported, not asserted (bench/ measures it) */
        (void)limit;
        g_assert_cmpuint(mem, <, k->btf_len / 2);
    }
}

/* BTF made by the kernel's own tools (clang -g, pahole -J) from
 * tests/data/btf/small.c, against pahole's reading of it. */
static void test_encoded_small(void)
{
    const char *top = g_getenv("top_srcdir");
    g_autofree char *dir = g_build_filename(top ? top : ".", "tests", "data", "btf", NULL);
    g_autofree char *bfile = g_build_filename(dir, "small.btf", NULL);
    g_autofree char *pfile = g_build_filename(dir, "small-pahole.txt", NULL);
    g_autofree char *data = NULL, *text = NULL;
    gsize len;
    g_autoptr(GError) err = NULL;
    g_assert_true(g_file_get_contents(bfile, &data, &len, &err));
    g_assert_true(g_file_get_contents(pfile, &text, NULL, &err));
    g_autoptr(btf_t) btf = btf_parse(data, len, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(compare_pahole(btf, text, bfile), ==, 21);
    /* C's view of small.c */
    g_assert_cmpuint(byte_off(btf, "task_struct", "thread.sp"), ==, 64);
    g_assert_cmpuint(bit_off(btf, "task_struct", "ptrace"), ==, 67);
    g_assert_cmpuint(tsize(btf, "u32"), ==, 4);
    g_assert_cmpuint(msize(btf, "task_struct", "unknown"), ==, 8);
    uint64_t v;
    g_assert_false(btf_type_size(btf, "struct fwd", &v, &err));
    assert_error(err, VMI_ERROR_NOT_FOUND, "forward declaration");
}

/* ---- real kernels, corrupted ---------------------------------------------- */

/* The paths of task_struct and mm_struct members, from pahole. */
typedef struct {
    char *type;
    char *path;
    uint64_t bit, size;
} truth_t;

/* A walker of its own, to know where each record is: which bytes a flip
 * must touch to change an answer. */
static size_t rec_len(const uint8_t *p)
{
    uint32_t info;
    memcpy(&info, p + 4, 4);
    uint32_t kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
    switch (kind) {
    case T_INT: case T_VAR: case T_DECL_TAG: return 16;
    case T_ARRAY: return 24;
    case T_STRUCT: case T_UNION: case T_DATASEC: case T_ENUM64: return 12 + 12 * (size_t)vlen;
    case T_ENUM: case T_FUNC_PROTO: return 12 + 8 * (size_t)vlen;
    default: return 12;
    }
}

/* The end (type section offset) of the last record that an answer about
 * task_struct or mm_struct depends on: the two structs, the types of their
 * members down to a named type (through typedefs, qualifiers and arrays),
 * the members of unnamed structs and unions in them, and the long that
 * gives a pointer's size.  A flip past it, in the type section, cannot
 * change an answer (a later record of the same name loses the tie). */
static size_t relevant_records_end(const uint8_t *btf)
{
    uint32_t hdr_len, type_off, type_len, str_off;
    memcpy(&hdr_len, btf + 4, 4);
    memcpy(&type_off, btf + 8, 4);
    memcpy(&type_len, btf + 12, 4);
    memcpy(&str_off, btf + 16, 4);
    const char *strs = (const char *)btf + hdr_len + str_off;
    const uint8_t *types = btf + hdr_len + type_off;
    g_autoptr(GArray) off = g_array_new(FALSE, FALSE, sizeof(size_t));
    size_t zero = 0;
    g_array_append_val(off, zero);
    for (size_t pos = 0; pos + 12 <= type_len; pos += rec_len(types + pos))
        g_array_append_val(off, pos);
    g_autoptr(GArray) todo = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
    for (uint32_t id = 1; id < off->len; id++) {
        const uint8_t *p = types + g_array_index(off, size_t, id);
        uint32_t name, info;
        memcpy(&name, p, 4);
        memcpy(&info, p + 4, 4);
        uint32_t kind = (info >> 24) & 0x1f;
        if (((kind == T_STRUCT || kind == T_UNION) &&
             (!strcmp(strs + name, "task_struct") || !strcmp(strs + name, "mm_struct"))) ||
            (kind == T_INT && !strcmp(strs + name, "long unsigned int")))
            g_array_append_val(todo, id);
    }
    size_t end = 0;
    while (todo->len) {
        uint32_t id = g_array_index(todo, uint32_t, todo->len - 1);
        g_array_set_size(todo, todo->len - 1);
        if (!id || id >= off->len || g_hash_table_contains(seen, GUINT_TO_POINTER(id)))
            continue;
        g_hash_table_add(seen, GUINT_TO_POINTER(id));
        const uint8_t *p = types + g_array_index(off, size_t, id);
        end = MAX(end, g_array_index(off, size_t, id) + rec_len(p));
        uint32_t name, info, st;
        memcpy(&name, p, 4);
        memcpy(&info, p + 4, 4);
        memcpy(&st, p + 8, 4);
        uint32_t kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
        bool top = !strcmp(strs + name, "task_struct") || !strcmp(strs + name, "mm_struct");
        switch (kind) {
        case T_STRUCT: case T_UNION:
            if (name && !top)
                break;          /* a named type: only its own record (its size) */
            for (uint32_t i = 0; i < vlen; i++) {
                uint32_t t;
                memcpy(&t, p + 12 + 12 * i + 4, 4);
                g_array_append_val(todo, t);
            }
            break;
        case T_TYPEDEF: case T_CONST: case T_VOLATILE: case 11: case T_TYPE_TAG:
            g_array_append_val(todo, st);
            break;
        case T_ARRAY: {
            uint32_t t;
            memcpy(&t, p + 12, 4);
            g_array_append_val(todo, t);
            break;
        }
        default:
            break;
        }
    }
    return end;
}

static void test_real_corrupt(void)
{
    unsigned without;
    g_autoptr(GPtrArray) ks = kernels_with_btf(&without);
    if (!ks)
        return;
    kernel_t *k = NULL;
    for (guint i = 0; i < ks->len; i++) {
        k = g_ptr_array_index(ks, i);
        if (strstr(k->dir, "6.1.0"))
            break;          /* Debian 12's if there, else the last */
    }
    g_autofree char *pfile = g_build_filename(k->dir, "pahole.txt", NULL);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(pfile, &text, NULL, NULL));
    g_autoptr(GPtrArray) structs = pahole_parse(text);
    g_autoptr(GArray) truth = g_array_new(FALSE, FALSE, sizeof(truth_t));
    for (guint i = 0; i < structs->len; i++) {
        pstruct_t *s = g_ptr_array_index(structs, i);
        for (guint j = 0; j < s->members->len; j++) {
            pmember_t *m = g_ptr_array_index(s->members, j);
            if (m->in_array)
                continue;
            truth_t t = { s->name, m->path, m->byte * 8 + m->bit, m->size };
            g_array_append_val(truth, t);
        }
    }
    const size_t len = k->btf_len;
    const uint8_t *good = k->btf;
    uint32_t hdr_len, type_off, type_len, str_off;
    memcpy(&hdr_len, good + 4, 4);
    memcpy(&type_off, good + 8, 4);
    memcpy(&type_len, good + 12, 4);
    memcpy(&str_off, good + 16, 4);
    /* where the records of task_struct and mm_struct end: a flip past the
     * last of them (and before the strings) cannot change an answer */
    size_t relevant_end = relevant_records_end(good);
    const size_t focus = relevant_end;      /* where half of the flips go */
    g_assert_cmpuint(relevant_end, >, 0);

    gint64 worst = 0;
    /* cuts: the header unchanged (strings then past the end), or type_len cut */
    for (int i = 0; i <= 400; i++) {
        size_t cut = i < 200 ? (size_t)i : len / 200 * (size_t)(i - 200);
        uint8_t *d = g_memdup2(good, cut);
        gint64 t0 = g_get_monotonic_time();
        g_autoptr(GError) err = NULL;
        g_assert_null(btf_parse(d, cut, &err));
        g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
        worst = MAX(worst, g_get_monotonic_time() - t0);
        g_free(d);
    }
    unsigned cut_ok = 0;
    for (int i = 1; i <= 200; i++) {
        uint8_t *d = g_memdup2(good, len);
        uint32_t tl = (uint32_t)((uint64_t)type_len * i / 201 + (i % 13));
        memcpy(d + 12, &tl, 4);
        g_autoptr(GError) err = NULL;
        btf_t *btf = btf_parse(d, len, &err);
        if (btf) {
            cut_ok++;
            uint64_t v;
            btf_member_offset(btf, "task_struct", "comm", &v, NULL);
            btf_free(btf);
        } else {
            g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
        }
        g_free(d);
    }
    /* flips */
    g_autoptr(GRand) rnd = g_rand_new_with_seed(7);
    unsigned parsed = 0, differ = 0, flips = g_test_slow() ? 3000 : 600;
    for (unsigned i = 0; i < flips; i++) {
        uint8_t *d = g_memdup2(good, len);
        size_t at;
        /* half of them in the header and the records of the two structs' region */
        if (i % 2)
            at = g_rand_int_range(rnd, 0, (gint32)len);
        else
            at = g_rand_int_range(rnd, 0, (gint32)MIN(len, hdr_len + type_off + focus));
        d[at] ^= 1u << g_rand_int_range(rnd, 0, 8);
        gint64 t0 = g_get_monotonic_time();
        g_autoptr(GError) err = NULL;
        btf_t *btf = btf_parse(d, len, &err);
        if (btf) {
            parsed++;
            bool changed = false;
            for (guint j = 0; j < truth->len; j++) {
                truth_t *t = &g_array_index(truth, truth_t, j);
                uint64_t bit = 0, size = 0;
                bool ok = btf_member_bit_offset(btf, t->type, t->path, &bit, NULL) &&
                          btf_member_size(btf, t->type, t->path, &size, NULL);
                if (!ok || bit != t->bit || size != t->size)
                    changed = true;
            }
            if (changed) {
                differ++;
                bool in_types = at >= hdr_len + type_off && at < hdr_len + type_off + type_len;
                if (in_types && at - hdr_len - type_off >= relevant_end)
                    g_error("flip at byte %zu (past the two structs' records, which end at "
                            "type section offset %zu) changed an answer", at, relevant_end);
            }
            btf_free(btf);
        } else {
            g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
        }
        worst = MAX(worst, g_get_monotonic_time() - t0);
        g_free(d);
    }
    g_test_message("%s: %u of %u flips parsed, %u changed an answer; %u of 200 type-section "
                   "cuts parsed; slowest case %.1f ms", k->dir, parsed, flips, differ, cut_ok,
                   worst / 1000.0);
}

int main(int argc, char **argv)
{
    /* the hand-built sample as a file (for the fuzz corpus) */
    const char *out = g_getenv("LIBVMI_BTF_WRITE_SAMPLE");
    if (out) {
        g_auto(bb_t) b;
        build_sample(&b);
        size_t len;
        g_autofree uint8_t *d = bb_finish(&b, &len);
        g_autoptr(GError) err = NULL;
        if (!g_file_set_contents(out, (const char *)d, len, &err))
            g_error("%s", err->message);
        return 0;
    }
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/btf/sample/offsets", test_sample_offsets);
    g_test_add_func("/btf/sample/bitfields", test_sample_bitfields);
    g_test_add_func("/btf/sample/sizes", test_sample_sizes);
    g_test_add_func("/btf/sample/names", test_sample_names);
    g_test_add_func("/btf/sample/hostile-shapes", test_sample_hostile_shapes);
    g_test_add_func("/btf/malformed/header", test_malformed_header);
    g_test_add_func("/btf/malformed/records", test_malformed_records);
    g_test_add_func("/btf/malformed/flips", test_malformed_flips);
    g_test_add_func("/btf/encoded/small", test_encoded_small);
    g_test_add_func("/btf/real/pahole", test_real_pahole);
    g_test_add_func("/btf/real/offsets-txt", test_real_offsets_txt);
    g_test_add_func("/btf/real/no-btf", test_real_no_btf);
    g_test_add_func("/btf/real/speed", test_real_speed);
    g_test_add_func("/btf/real/corrupt", test_real_corrupt);
    return g_test_run();
}
